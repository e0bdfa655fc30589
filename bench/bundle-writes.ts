// What writing pod tokens into bundles costs the host: the API server rewrites, stores and sends to
// every watcher the whole bundle Secret on each write, however few keys the write changes. This fills
// bundles of each capacity with the same tokens, a few per write (merge patches with the
// resourceVersion, as src/translators/pods/token-bundles.ts writes them), and reports per capacity
// the CPU seconds of the host's kube-apiserver, etcd and controller manager, the writes, and their
// latency. One fresh host cluster (bench/lib/rig.ts); capacities interleaved over the rounds; no syncer.
//
//   node bench/bundle-writes.ts [--capacities 200,50,25] [--tokens 200] [--per-write 7] [--rounds 3]
//                               [--out bench/results]
//
// Results: bench/results/<date>-<commit>-bundle-writes.{json,md}. It reports; it never passes or fails.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../hack/cluster/launcher.ts';
import type { KubeObject } from '../src/kube/object.ts';
import { Resources } from '../src/kube/resources.ts';
import { componentPids, sampleProcess } from './lib/process-sampler.ts';
import { HOST_NS, startRig, type Rig } from './lib/rig.ts';
import { runLabel } from './lib/run-label.ts';
import { summarize } from './lib/stats.ts';

const { values: args } = parseArgs({
  options: {
    capacities: { type: 'string', default: '200,50,25' },
    tokens: { type: 'string', default: '200' },
    'per-write': { type: 'string', default: '7' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string', default: join(REPO_ROOT, 'bench/results') },
  },
});

function positiveInts(flag: string, raw: string): number[] {
  const values = raw.split(',').map(Number);
  if (values.some((v) => !Number.isInteger(v) || v <= 0))
    throw new Error(`--${flag} wants positive whole numbers, got "${raw}"`);
  return values;
}
function positiveInt(flag: string, raw: string): number {
  const [value, ...more] = positiveInts(flag, raw);
  if (more.length) throw new Error(`--${flag} wants one number, got "${raw}"`);
  return value!;
}
const capacities = positiveInts('capacities', args.capacities);
const tokens = positiveInt('tokens', args.tokens);
const perWrite = positiveInt('per-write', args['per-write']);
const rounds = positiveInt('rounds', args.rounds);

/** A bound service-account token is a JWT of about 1.4 KB; its content does not matter here. */
const token = () => randomBytes(1050).toString('base64url');
const COMPONENTS = ['host-kube-apiserver', 'host-etcd', 'host-kube-controller-manager'] as const;

interface Fill {
  capacity: number;
  round: number;
  writes: number;
  latencyMs: { p50: number; max: number };
  cpuSeconds: Record<(typeof COMPONENTS)[number], number>;
}

/** Fills ceil(tokens / capacity) bundles, perWrite tokens per write, and measures what the host spent. */
async function fill(rig: Rig, pids: Map<string, number>, capacity: number, round: number): Promise<Fill> {
  const cpu = () => COMPONENTS.map((c) => sampleProcess(pids.get(c) ?? -1)?.cpuSeconds ?? NaN);
  const before = cpu();
  const latencies: number[] = [];
  const latest = new Map<string, KubeObject>();
  for (let done = 0; done < tokens;) {
    const name = `bundle-writes-${capacity}-${round}-${Math.floor(done / capacity)}`;
    const count = Math.min(perWrite, capacity - (done % capacity), tokens - done);
    const data: Record<string, string> = {};
    for (let i = 0; i < count; i++) data[`k${done + i}`] = Buffer.from(token()).toString('base64');
    const base = latest.get(name);
    const started = performance.now();
    const written = base
      ? await rig.host.patch(
          Resources.secrets,
          HOST_NS,
          name,
          { metadata: { resourceVersion: base.metadata?.resourceVersion }, data },
          'merge',
        )
      : await rig.host.create(Resources.secrets, HOST_NS, {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name, namespace: HOST_NS },
          data,
        });
    latencies.push(performance.now() - started);
    latest.set(name, written);
    done += count;
  }
  const after = cpu();
  const stats = summarize(latencies);
  return {
    capacity,
    round,
    writes: latencies.length,
    latencyMs: { p50: Math.round(stats.p50 * 10) / 10, max: Math.round(stats.max * 10) / 10 },
    cpuSeconds: Object.fromEntries(
      COMPONENTS.map((c, i) => [c, +(after[i]! - before[i]!).toFixed(2)]),
    ) as Fill['cpuSeconds'],
  };
}

const label = runLabel();
const rig = await startRig({ nodes: 1, log: (line) => console.error(line) });
const fills: Fill[] = [];
try {
  const pids = componentPids(rig.clusters.stateDir);
  await fill(rig, pids, capacities[0]!, 0); // warms the API server and the client up; not reported
  for (let round = 1; round <= rounds; round++)
    for (const capacity of capacities) {
      const result = await fill(rig, pids, capacity, round);
      console.error(JSON.stringify(result));
      fills.push(result);
    }
} finally {
  await rig.stop();
}

const lines = [
  `# Token bundle writes, ${label.date} (${label.commit})`,
  '',
  `Machine: ${label.cores} cores, load ${label.loadavg[0]?.toFixed(2)} before. ${tokens} tokens of ~1.4 KB, ` +
    `${perWrite} per write (merge patch), into bundles of each capacity; ${rounds} rounds, interleaved.`,
  '',
  '| capacity | round | writes | latency p50 / max (ms) | kube-apiserver CPU s | etcd CPU s | controller manager CPU s |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...fills.map(
    (f) =>
      `| ${f.capacity} | ${f.round} | ${f.writes} | ${f.latencyMs.p50} / ${f.latencyMs.max} | ` +
      `${f.cpuSeconds['host-kube-apiserver']} | ${f.cpuSeconds['host-etcd']} | ${f.cpuSeconds['host-kube-controller-manager']} |`,
  ),
  '',
];
mkdirSync(args.out, { recursive: true });
const stem = join(args.out, `${label.date}-${label.commit}-bundle-writes`);
writeFileSync(
  `${stem}.json`,
  JSON.stringify({ meta: { ...label, tokens, perWrite, rounds, capacities }, fills }, null, 2),
);
writeFileSync(`${stem}.md`, lines.join('\n'));
console.log(lines.join('\n'));
console.log(`written: ${stem}.{json,md}`);
