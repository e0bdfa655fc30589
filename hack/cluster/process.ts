import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';

/** Everything needed to (re)start one component with the same flags and ports. */
export interface ComponentSpec {
  /** `host/kube-apiserver` etc. */
  id: string;
  command: string;
  args: string[];
  log: string;
  pidFile: string;
  port: number;
  /** How to tell it is up: an HTTP(S) URL that must answer 200. */
  readyUrl: string;
  /** Client TLS material for readiness probes of HTTPS endpoints that need it. */
  tls?: { ca?: string; cert?: string; key?: string; insecure?: boolean };
}

export type ComponentState = 'running' | 'paused' | 'stopped';

/** A one-line failure that names the component and its log, as the README promises. */
export class ComponentError extends Error {
  constructor(id: string, what: string, log?: string) {
    super(`error: ${id}: ${what}${log ? ` (log: ${log})` : ''}`);
    this.name = 'ComponentError';
  }
}

export function readPid(spec: ComponentSpec): number | undefined {
  if (!existsSync(spec.pidFile)) return undefined;
  const pid = Number(readFileSync(spec.pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers signal 0; /proc tells the truth.
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** running, paused (SIGSTOP'd) or stopped. */
export function componentState(spec: ComponentSpec): ComponentState {
  const pid = readPid(spec);
  if (!pid || !alive(pid)) return 'stopped';
  try {
    return /^State:\s+T/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')) ? 'paused' : 'running';
  } catch {
    return 'stopped';
  }
}

/** Starts the component detached, in its own process group, logging to its log file. */
export function startComponent(spec: ComponentSpec): number {
  if (!existsSync(spec.command))
    throw new ComponentError(spec.id, `binary ${spec.command} not found; run hack/build-tools.sh`);
  const out = openSync(spec.log, 'a');
  const child = spawn(spec.command, spec.args, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  if (!child.pid) throw new ComponentError(spec.id, 'could not be started', spec.log);
  writeFileSync(spec.pidFile, String(child.pid));
  return child.pid;
}

/** Sends a signal to the component's whole process group. */
export function signalComponent(spec: ComponentSpec, signal: NodeJS.Signals): boolean {
  const pid = readPid(spec);
  if (!pid || !alive(pid)) return false;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      return false;
    }
  }
  return true;
}

/** SIGTERM (after SIGCONT, in case it is paused), then SIGKILL after graceMs; resolves once it is gone. */
export async function stopComponent(spec: ComponentSpec, graceMs = 5000): Promise<void> {
  const pid = readPid(spec);
  if (pid && alive(pid)) {
    signalComponent(spec, 'SIGCONT');
    signalComponent(spec, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (alive(pid) && Date.now() < deadline) await sleep(100);
    if (alive(pid)) signalComponent(spec, 'SIGKILL');
    while (alive(pid)) await sleep(50);
  }
  // A detached child's exit is reaped by init, sometimes seconds later; wait (briefly) until even the
  // zombie is gone, so `down` really leaves nothing in the process table.
  for (let i = 0; pid && existsSync(`/proc/${pid}`) && i < 100; i++) await sleep(50);
  rmSync(spec.pidFile, { force: true });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** GET url; resolves with the status code (0 when nothing answers). */
export function probe(url: string, tls?: ComponentSpec['tls']): Promise<number> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const options = {
      method: 'GET',
      timeout: 2000,
      ca: tls?.ca ? readFileSync(tls.ca) : undefined,
      cert: tls?.cert ? readFileSync(tls.cert) : undefined,
      key: tls?.key ? readFileSync(tls.key) : undefined,
      rejectUnauthorized: !tls?.insecure,
    };
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, options, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Waits until the ready URL answers 200; fails fast with the component's log if it exits first. */
export async function waitReady(spec: ComponentSpec, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (componentState(spec) === 'stopped')
      throw new ComponentError(spec.id, `exited during startup: ${lastLogLine(spec.log)}`, spec.log);
    if ((await probe(spec.readyUrl, spec.tls)) === 200) return;
    if (Date.now() > deadline)
      throw new ComponentError(spec.id, `not ready after ${timeoutMs / 1000}s at ${spec.readyUrl}`, spec.log);
    await sleep(250);
  }
}

function lastLogLine(log: string): string {
  try {
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    const important = [...lines]
      .reverse()
      .find((l) => /error|fatal|failed|invalid|unknown flag|address already in use/i.test(l));
    return (important ?? lines[lines.length - 1] ?? '').slice(0, 300);
  } catch {
    return 'no log';
  }
}
