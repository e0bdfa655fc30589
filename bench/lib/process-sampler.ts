import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What /proc says of a process: resident memory and CPU time used so far. */
export interface ProcessSample {
  at: number;
  rssBytes: number;
  cpuSeconds: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Reads one sample of a Linux process, or undefined once it has exited. */
export function sampleProcess(pid: number): ProcessSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    // Fields after the command name (which may hold spaces) start at state; utime and stime are the 14th and 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { at: Date.now(), rssBytes: rssKb * 1024, cpuSeconds: ticks / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/** Samples a process every interval until stopped; keeps the peak RSS and the samples. */
export class ProcessSampler {
  readonly samples: ProcessSample[] = [];
  private timer: NodeJS.Timeout | undefined;

  private readonly pid: number;
  private readonly intervalMs: number;

  constructor(pid: number, intervalMs = 250) {
    this.pid = pid;
    this.intervalMs = intervalMs;
  }

  start(): void {
    this.take();
    this.timer = setInterval(() => this.take(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.take();
  }

  /** The peak RSS seen between two times (all samples when omitted). */
  peakRss(from = 0, to = Infinity): number {
    return Math.max(0, ...this.samples.filter((s) => s.at >= from && s.at <= to).map((s) => s.rssBytes));
  }

  private take(): void {
    const s = sampleProcess(this.pid);
    if (s) this.samples.push(s);
  }
}

/**
 * CPU seconds each of the rig's processes used between two calls: the cluster components (from the
 * launcher's pid files, `<cluster>-<component>.pid`), the syncer and this bench client. Tells where
 * the machine's cores went during a burst.
 */
export class CpuAccount {
  private readonly start = new Map<string, number>();
  private readonly pids: Map<string, number>;
  private readonly selfStart = process.cpuUsage();

  constructor(pids: Map<string, number>) {
    this.pids = pids;
    for (const [name, pid] of pids) this.start.set(name, sampleProcess(pid)?.cpuSeconds ?? 0);
  }

  /** CPU seconds per process since construction, largest first, plus `total`. */
  since(): Record<string, number> {
    const out: [string, number][] = [];
    for (const [name, pid] of this.pids) {
      const now = sampleProcess(pid)?.cpuSeconds;
      if (now !== undefined) out.push([name, +(now - this.start.get(name)!).toFixed(2)]);
    }
    const self = process.cpuUsage(this.selfStart);
    out.push(['bench client', +((self.user + self.system) / 1e6).toFixed(2)]);
    out.sort((a, b) => b[1] - a[1]);
    const total = out.reduce((sum, [, v]) => sum + v, 0);
    return Object.fromEntries([...out, ['total', +total.toFixed(2)]]);
  }
}

/** The launcher's component processes of a state dir, by `<cluster>-<component>` (readable pid files only). */
export function componentPids(stateDir: string): Map<string, number> {
  const dir = join(stateDir, 'pids');
  const out = new Map<string, number>();
  for (const file of existsSync(dir) ? readdirSync(dir) : []) {
    if (!file.endsWith('.pid')) continue;
    const pid = Number(readFileSync(join(dir, file), 'utf8').trim());
    if (pid > 0) out.set(file.slice(0, -'.pid'.length), pid);
  }
  return out;
}
