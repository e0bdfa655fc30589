// Measures end-to-end sync latency: config maps created in the virtual cluster until their host copy
// is visible, and pods until the virtual pod shows Running (host scheduled, kwok ran it, status back).
// Writes bench/results/sync-latency-<timestamp>.json; never passes or fails on a timing.
//
//   node bench/sync-latency.ts [--configmaps N] [--pods N]     (needs `make up`-style clusters: VSYNC_STATE_DIR)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { summarize as summary } from './lib/stats.ts';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { configmaps: { type: 'string', default: '200' }, pods: { type: 'string', default: '30' } },
});
const stateDir = process.env.VSYNC_STATE_DIR ?? join(root, '.state/clusters');
const info = JSON.parse(readFileSync(join(stateDir, 'clusters.json'), 'utf8')) as {
  host: { kubeconfig: string };
  virtual: { kubeconfig: string };
  kubectl: string;
};
const vc = process.env.VC_NAME ?? 'demo';
// `make up` with SYNCER_ARGS=--sync-all-configmaps, so config maps sync without a pod using them.
const hostNs = process.env.HOST_NAMESPACE ?? `vc-${vc}`;

function kubectl(cluster: 'host' | 'virtual', args: string[], input?: string): string {
  const res = spawnSync(info.kubectl, ['--kubeconfig', info[cluster].kubeconfig, ...args], {
    input,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (res.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${res.stderr}`);
  return res.stdout;
}

async function poll(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ns = `bench-${Date.now().toString(36)}`;
kubectl('virtual', ['create', 'namespace', ns]);

// Config maps: created in one batch, seen on the host by polling the host list.
const cmCount = Number(values.configmaps);
const createdAt = new Map<string, number>();
const seenAt = new Map<string, number>();
const docs = Array.from(
  { length: cmCount },
  (_, i) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-${i}, namespace: ${ns}}\ndata: {i: "${i}"}\n`,
);
const batchStart = Date.now();
for (let i = 0; i < cmCount; i += 50) {
  kubectl('virtual', ['apply', '-f', '-'], docs.slice(i, i + 50).join('---\n'));
  const t = Date.now();
  for (let j = i; j < Math.min(cmCount, i + 50); j++) createdAt.set(`cm-${j}`, t);
}
await poll(() => {
  const list = JSON.parse(
    kubectl('host', [
      'get',
      'configmaps',
      '-n',
      hostNs,
      '-l',
      `vcluster.loft.sh/namespace=${ns}`,
      '-o',
      'json',
    ]),
  ) as { items: { metadata: { annotations: Record<string, string> } }[] };
  const now = Date.now();
  for (const item of list.items) {
    const name = item.metadata.annotations['vcluster.loft.sh/object-name']!;
    if (createdAt.has(name) && !seenAt.has(name)) seenAt.set(name, now);
  }
  return seenAt.size >= cmCount;
}, 300_000);
const cmLatencies = [...seenAt].map(([name, t]) => t - createdAt.get(name)!);

// Pods: a Deployment, measured until every virtual pod reports Running.
const podCount = Number(values.pods);
const podStart = Date.now();
kubectl('virtual', [
  'create',
  'deployment',
  'bench',
  '-n',
  ns,
  '--image=registry.local/bench:1',
  `--replicas=${podCount}`,
]);
const runningAt = new Map<string, number>();
await poll(() => {
  const list = JSON.parse(kubectl('virtual', ['get', 'pods', '-n', ns, '-o', 'json'])) as {
    items: { metadata: { name: string }; status?: { phase?: string } }[];
  };
  const now = Date.now();
  for (const p of list.items)
    if (p.status?.phase === 'Running' && !runningAt.has(p.metadata.name)) runningAt.set(p.metadata.name, now);
  return runningAt.size >= podCount;
}, 600_000);
const podLatencies = [...runningAt.values()].map((t) => t - podStart);

/** Quantile of a Prometheus histogram (linear inside the bucket), from the syncer's /metrics. */
function histogramQuantile(text: string, labels: string, q: number): number | undefined {
  const buckets: [number, number][] = [];
  for (const m of text.matchAll(/^vsyncer_sync_latency_seconds_bucket\{([^}]*)\}\s+(\S+)$/gm)) {
    if (!m[1]!.includes(labels)) continue;
    const le = /le="([^"]+)"/.exec(m[1]!)![1]!;
    buckets.push([le === '+Inf' ? Infinity : Number(le), Number(m[2])]);
  }
  buckets.sort((a, b) => a[0] - b[0]);
  const total = buckets[buckets.length - 1]?.[1];
  if (!total) return undefined;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank)
      return le === Infinity
        ? prevLe
        : prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(1, count - prevCount);
    prevLe = le;
    prevCount = count;
  }
  return undefined;
}

let syncerHistogram: Record<string, unknown>;
try {
  const port = readFileSync(join(stateDir, 'syncer.metrics-port'), 'utf8').trim();
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  syncerHistogram = {};
  for (const [kind, direction] of [
    ['configmaps', 'virtual-to-host'],
    ['pods', 'virtual-to-host'],
    ['pods', 'host-to-virtual'],
  ] as const) {
    const labels = `kind="${kind}",direction="${direction}"`;
    syncerHistogram[`${kind} ${direction}`] = {
      p50Seconds: histogramQuantile(text, labels, 0.5),
      p99Seconds: histogramQuantile(text, labels, 0.99),
    };
  }
} catch (err) {
  syncerHistogram = { note: `could not read syncer metrics: ${(err as Error).message}` };
}

const result = {
  at: new Date().toISOString(),
  machine: { cpus: (await import('node:os')).cpus().length },
  note: "latencies in ms, observed by polling every 50ms plus kubectl time, so they over-state the syncer latency; the syncer's own histogram is vsyncer_sync_latency_seconds",
  configmaps: { ...summary(cmLatencies), batchSeconds: (Math.max(...seenAt.values()) - batchStart) / 1000 },
  podsCreatedToRunning: summary(podLatencies),
  syncerHistogram,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
const out = join(root, 'bench/results', `sync-latency-${Date.now()}.json`);
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
console.log(`written to ${out}`);
kubectl('virtual', ['delete', 'namespace', ns, '--wait=false']);
