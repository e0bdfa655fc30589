// `make bench`: pod-burst scenarios on fresh cluster pairs, the built syncer between them.
//
// A client creates bare pods in the virtual cluster (namespaces one after another, at a fixed rate,
// over one client) and times, from its own watches on both API servers:
//   down = virtual create answered → host pod seen;  up = host pod Running (kwok) → virtual pod Running.
// It also records the syncer's CPU seconds and RSS (from /proc), its API writes per cluster (its
// vsyncer_api_requests_total counter), and what happens in the idle period after the burst. The
// "physical limit" scenarios create the same pods directly in the host namespace, with no syncer;
// the `vcluster-*` ones (named only) run vCluster's own syncer instead (bench/lib/vcluster.ts), so that
// `--scenarios burst-200,vcluster-200 --rounds 3` compares the two in interleaved rounds.
// Results: bench/results/<date>-<commit>.{json,md,svg}. It reports; it never passes or fails.
//
//   node bench/pod-burst.ts [--scenarios burst-200,burst-200-raised,...] [--rounds N] [--cpu-prof]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { KubeObject } from '../src/kube/object.ts';
import { Resources } from '../src/kube/resources.ts';
import { PodTracker, type PodTimes } from './lib/pod-tracker.ts';
import { componentPids, CpuAccount, ProcessSampler } from './lib/process-sampler.ts';
import { diff } from './lib/prom.ts';
import { HOST_NS, VC, placementArgs, startRig, startSyncer, type Rig, type SyncerHandle } from './lib/rig.ts';
import { startVcluster } from './lib/vcluster.ts';
import { runCheckJson, type CheckJson } from '../test/harness/check.ts';
import { runLabel } from './lib/run-label.ts';
import { cdfSvg, type Series } from './lib/svg.ts';
import { secs, summarize, type Summary } from './lib/stats.ts';

const ROOT = join(import.meta.dirname, '..');
const RAISED = ['--host-qps', '400', '--host-burst', '800'];

interface Scenario {
  name: string;
  pods: number;
  namespaces: number;
  ratePerSecond: number;
  /** Syncer flags beyond the rig's; undefined: no syncer, pods go straight to the host (the physical limit). */
  syncerArgs?: string[];
  /** Which syncer: vsyncer (the default), or vCluster's own (v0.19, built by hack/vcluster/build.sh) side by side. */
  syncer?: 'vsyncer' | 'vcluster';
  /** Steady churn instead of a burst: each second this many creates, and as many deletes once `keep` pods live. */
  churn?: { seconds: number; keep: number };
  /** Config maps created after the pods (at the same rate, same namespaces), synced with --sync-all-configmaps. */
  configMaps?: number;
  /** Leave the default list: run only when named in --scenarios (long scenarios). */
  optIn?: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: 'burst-200', pods: 200, namespaces: 4, ratePerSecond: 80, syncerArgs: [] },
  { name: 'burst-200-raised', pods: 200, namespaces: 4, ratePerSecond: 80, syncerArgs: RAISED },
  { name: 'direct-200', pods: 200, namespaces: 4, ratePerSecond: 80 },
  { name: 'burst-1000', pods: 1000, namespaces: 10, ratePerSecond: 200, syncerArgs: [] },
  { name: 'burst-1000-raised', pods: 1000, namespaces: 10, ratePerSecond: 200, syncerArgs: RAISED },
  { name: 'direct-1000', pods: 1000, namespaces: 10, ratePerSecond: 200 },
  {
    name: 'churn-60s',
    pods: 1200,
    namespaces: 4,
    ratePerSecond: 20,
    syncerArgs: [],
    churn: { seconds: 60, keep: 200 },
  },
  {
    // 5,000 synced objects (1,000 pods, 4,000 config maps), then a no-change restart over them.
    name: 'restart-5000',
    pods: 1000,
    namespaces: 10,
    ratePerSecond: 200,
    configMaps: 4000,
    syncerArgs: ['--sync-all-configmaps'],
  },
  {
    // Head-of-line blocking: the host limiter held at 5 writes/s, so pods go down at that pace
    // (about 40 s for 200); their status comes up with virtual writes only, so the up latency shows
    // whether status changes wait behind the creates stuck on the host limiter.
    name: 'burst-200-throttled',
    pods: 200,
    namespaces: 4,
    ratePerSecond: 80,
    syncerArgs: ['--host-qps', '5', '--host-burst', '10'],
    optIn: true,
  },
  {
    // Memory and CPU per pod at scale (about 10 minutes of creates on 2 cores).
    name: 'pods-10000',
    pods: 10_000,
    namespaces: 20,
    ratePerSecond: 200,
    syncerArgs: [],
    optIn: true,
  },
  // vCluster's syncer on the same rig: the baseline of issue 12, measured as vsyncer is. Opt-in, as
  // its first run builds it from Go (minutes). v0.19 has no flag for its host rate limit (40/80).
  {
    name: 'vcluster-200',
    pods: 200,
    namespaces: 4,
    ratePerSecond: 80,
    syncerArgs: [],
    syncer: 'vcluster',
    optIn: true,
  },
  {
    name: 'vcluster-1000',
    pods: 1000,
    namespaces: 10,
    ratePerSecond: 200,
    syncerArgs: [],
    syncer: 'vcluster',
    optIn: true,
  },
];

interface Result {
  scenario: Scenario;
  round: number;
  down?: Summary;
  up?: Summary;
  /**
   * Created (the create answered) → Running in the virtual cluster, per pod: what a tenant waits for,
   * down, the host's own start and up together. Down and up alone can mislead: a change that
   * shortens one can lengthen the host's part or the other (docs/performance-log.md, "Tokens prepared
   * ahead of the worker").
   */
  tenantWait?: Summary;
  /** Created on the host → Running on the host (the direct scenarios), for comparison. */
  hostStart?: Summary;
  /** Churn: the tenant's delete answered → host pod gone. */
  deleteDown?: Summary;
  createSeconds: number;
  allRunningAfterSeconds: number;
  podsPerSecond: number;
  missing: number;
  /** CPU seconds per process (cluster components, syncer, this client) from the first create to all Running. */
  cpuByProcess: Record<string, number>;
  /** Config-map scenarios: all created → every host copy seen. */
  configMapsSyncedAfterSeconds?: number;
  syncer?: {
    cpuSecondsBurst: number;
    rssStartMB: number;
    rssPeakMB: number;
    rssIdleMB: number;
    /** V8 heap in use after the burst settled (from the syncer's metrics). */
    heapUsedIdleMB: number;
    /** What V8 holds for its heap then (used or not), and memory outside it (buffers): where RSS goes. */
    heapTotalIdleMB: number;
    externalIdleMB: number;
    /** CPU seconds of the burst per pod, in milliseconds. */
    cpuMsPerPod: number;
    idleSeconds: number;
    idleCpuSeconds: number;
    idleWrites: Record<string, number>;
    /** The same by cluster, verb and resource: what was still being written after the burst. */
    idleWritesByVerb: Record<string, number>;
    writes: Record<string, number>;
    writesPerPod: Record<string, number>;
    writesByVerb: Record<string, number>;
    /** Reconciles per kind in the burst (vsyncer_reconcile_total), and API requests per cluster and verb, reads included. */
    reconcilesByKind: Record<string, number>;
    requestsByVerb: Record<string, number>;
    restart: RestartResult;
  };
  samples: { down: number[]; up: number[]; hostStart: number[]; tenantWait: number[] };
}

const USAGE =
  'usage: node bench/pod-burst.ts [--scenarios a,b,...] [--rounds N] [--idle-seconds N] [--cpu-prof]\n' +
  '         [--syncer-args "FLAGS"] [--node-args "FLAGS"] [--out DIR]';
const { values } = parsedArgs();

function parsedArgs() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        scenarios: {
          type: 'string',
          default: SCENARIOS.filter((s) => !s.optIn)
            .map((s) => s.name)
            .join(','),
        },
        rounds: { type: 'string', default: '1' },
        'idle-seconds': { type: 'string', default: '40' },
        'cpu-prof': { type: 'boolean', default: false },
        /** More syncer flags for every syncer scenario (experiments; recorded in the results). */
        'syncer-args': { type: 'string', default: '' },
        /** Node.js flags for the syncer process (experiments, e.g. V8 heap sizes). */
        'node-args': { type: 'string', default: '' },
        out: { type: 'string', default: join(ROOT, 'bench/results') },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (parsed.values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  for (const flag of ['rounds', 'idle-seconds'] as const) {
    if (!/^[1-9]\d*$/.test(parsed.values[flag]!)) {
      console.error(
        `--${flag} must be a positive whole number, not ${JSON.stringify(parsed.values[flag])}\n${USAGE}`,
      );
      process.exit(2);
    }
  }
  return parsed;
}
const extraArgs = values['syncer-args']!.split(' ').filter(Boolean);
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => Math.round(bytes / (1 << 20));

function podManifest(name: string, namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { containers: [{ name: 'main', image: 'registry.local/bench:1' }] },
  };
}

async function waitUntil(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Namespaces whose default service account exists (pods are refused before it does). */
async function prepareNamespaces(rig: Rig, cluster: 'host' | 'virtual', names: string[]): Promise<void> {
  for (const ns of names) rig.kubectl(cluster, ['create', 'namespace', ns]);
  const client = cluster === 'host' ? rig.host : rig.virtual;
  for (const ns of names)
    for (let i = 0; ; i++) {
      const ok = await client.get(Resources.serviceAccounts, ns, 'default').then(
        () => true,
        () => false,
      );
      if (ok) break;
      if (i > 300) throw new Error(`no default service account in ${ns}`);
      await sleep(100);
    }
}

/** Creates the pods one after another at the scenario's rate; returns each pod's create-answered time. */
async function createPods(rig: Rig, s: Scenario, namespaces: string[], times: PodTimes, direct: boolean) {
  const client = direct ? rig.host : rig.virtual;
  const perNamespace = Math.ceil(s.pods / s.namespaces);
  const start = Date.now();
  for (let i = 0; i < s.pods; i++) {
    const due = start + (i * 1000) / s.ratePerSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    const ns = namespaces[Math.floor(i / perNamespace)]!;
    const name = `p-${i}`;
    const namespace = direct ? HOST_NS : ns;
    await client.create(Resources.pods, namespace, podManifest(direct ? `${ns}-${name}` : name, namespace));
    times.created.set(`${ns}/${name}`, Date.now());
    if (s.churn && i >= s.churn.keep) {
      // Steady state: the oldest pod goes as a new one comes.
      const old = i - s.churn.keep;
      const oldNs = namespaces[Math.floor(old / perNamespace)]!;
      await client.delete(
        Resources.pods,
        direct ? HOST_NS : oldNs,
        direct ? `${oldNs}-p-${old}` : `p-${old}`,
      );
      times.deleted.set(`${oldNs}/p-${old}`, Date.now());
    }
  }
  return (Date.now() - start) / 1000;
}

interface RestartResult {
  /** SIGTERM to exited. */
  stopSeconds: number;
  /** Start to /readyz (every cache full). */
  readySeconds: number;
  /** Start to the first `vsyncer check` that finds the clusters agreeing (each check lists both clusters). */
  agreeSeconds: number | null;
  /** Objects that check compared. */
  checked: number | null;
  /** When no check agreed: the last one's totals and first differences, to say why. */
  lastDisagreement?: { totals: CheckJson['totals']; differences: string[] };
  /** Writes of the new syncer in the settle period after ready: 0 when nothing changed. */
  writes: Record<string, number>;
  writesByVerb: Record<string, number>;
  settleSeconds: number;
}

/**
 * A no-change restart: the syncer stops and starts again over everything it synced. `checkArgs`:
 * the vsyncer flags that make `vsyncer check` compare what this syncer is set to sync; undefined
 * when check cannot judge this syncer's copies (vCluster v0.19 writes no object-kind annotation,
 * and check, as vsyncer, takes no host object without it for a copy).
 */
async function measureRestart(
  rig: Rig,
  old: SyncerHandle,
  start: () => Promise<SyncerHandle>,
  checkArgs: string[] | undefined,
): Promise<RestartResult> {
  const t0 = Date.now();
  await old.stop();
  const t1 = Date.now();
  const fresh = await start();
  const t2 = Date.now();
  let agree: { seconds: number; checked: number } | undefined;
  let last: CheckJson | undefined;
  for (let i = 0; checkArgs && i < 10 && !agree; i++) {
    const { report } = await runCheckJson([...placementArgs(rig), ...checkArgs]);
    last = report;
    if (report?.agree) agree = { seconds: (Date.now() - t1) / 1000, checked: report.totals.checked };
  }
  const settleSeconds = 15;
  await sleep(Math.max(0, settleSeconds * 1000 - (Date.now() - t2)));
  return {
    stopSeconds: +((t1 - t0) / 1000).toFixed(2),
    readySeconds: +((t2 - t1) / 1000).toFixed(2),
    agreeSeconds: agree ? +agree.seconds.toFixed(2) : null,
    checked: agree?.checked ?? null,
    ...(agree || !last
      ? {}
      : {
          lastDisagreement: {
            totals: last.totals,
            differences: last.differences
              .slice(0, 5)
              .map((d) => `${d.kind} ${d.category} ${d.key}${d.target ? ` → ${d.target}` : ''}: ${d.detail}`),
          },
        }),
    ...(await (async () => {
      const text = await fresh.metrics();
      return { writes: fresh.reader.writesPerCluster(text), writesByVerb: fresh.reader.writesByVerb(text) };
    })()),
    settleSeconds,
  };
}

/** Creates config maps one after another at the scenario's rate, spread over its namespaces. */
async function createConfigMaps(rig: Rig, s: Scenario, namespaces: string[]): Promise<void> {
  const count = s.configMaps ?? 0;
  const start = Date.now();
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / s.ratePerSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    const namespace = namespaces[i % namespaces.length]!;
    await rig.virtual.create(Resources.configMaps, namespace, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `cm-${i}`, namespace },
      data: { index: String(i), payload: 'x'.repeat(256) },
    });
  }
}

/** Host config maps the syncer made (its managed-by label), however many the tenant's namespaces hold. */
async function hostConfigMapCopies(rig: Rig): Promise<number> {
  const list = await rig.host.list(Resources.configMaps, HOST_NS, {
    labelSelector: `vcluster.loft.sh/managed-by=${VC}`,
  });
  return list.items.filter((cm) => cm.metadata?.name?.startsWith('cm-')).length;
}

async function runScenario(s: Scenario, round: number): Promise<Result> {
  log(`${s.name} round ${round}: starting fresh clusters`);
  // kwok nodes take 110 pods each: enough nodes that every pod of the burst can run.
  const rig = await startRig({ nodes: Math.max(3, Math.ceil(s.pods / 100) + 1), log: (l) => log(l) });
  try {
    const direct = s.syncerArgs === undefined;
    const namespaces = Array.from({ length: s.namespaces }, (_, i) => `bench-${i}`);
    // --syncer-args and --node-args are vsyncer's: vCluster's syncer runs as its scenario says.
    const syncerArgs =
      s.syncer === 'vcluster' ? (s.syncerArgs ?? []) : [...(s.syncerArgs ?? []), ...extraArgs];
    const nodeArgs = [
      ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(values.out!, 'profiles')}`] : []),
      ...values['node-args']!.split(' ').filter(Boolean),
    ];
    const start = () =>
      s.syncer === 'vcluster' ? startVcluster(rig, syncerArgs) : startSyncer(rig, syncerArgs, nodeArgs);
    const syncer = direct ? undefined : await start();
    await prepareNamespaces(rig, 'virtual', namespaces);
    // Direct pods are named <ns>-p-<i> in the host namespace; the key is the tenant-style ns/p-<i>.
    const directKey = (pod: KubeObject) => {
      const m = /^(bench-\d+)-(p-\d+)$/.exec(pod.metadata?.name ?? '');
      return m ? `${m[1]}/${m[2]}` : undefined;
    };
    const tracker = new PodTracker(
      rig.host,
      HOST_NS,
      direct ? undefined : rig.virtual,
      direct ? directKey : undefined,
    );
    await tracker.start();
    const sampler = syncer ? new ProcessSampler(syncer.child.pid!) : undefined;
    sampler?.start();
    await sleep(3000); // the syncer's start-up work settles; RSS here is its idle start
    const rssStart = sampler?.samples.at(-1)?.rssBytes ?? 0;
    const before = syncer ? await syncer.metrics() : '';
    const cpuBefore = sampler?.samples.at(-1)?.cpuSeconds ?? 0;

    const pids = componentPids(rig.clusters.stateDir);
    if (syncer) pids.set('syncer', syncer.child.pid!);
    const cpu = new CpuAccount(pids);
    const t0 = Date.now();
    const createSeconds = await createPods(rig, s, namespaces, tracker.times, direct);
    const done = direct ? tracker.times.hostRunning : tracker.times.virtualRunning;
    const t = tracker.times;
    // A deleted pod's host pod is gone, or never came (deleted before it was synced).
    const removed = (k: string) => t.hostGone.has(k) || !t.hostSeen.has(k);
    // Every pod ran (or, in churn, was deleted and its host pod is gone).
    const settled = () => [...t.created.keys()].every((k) => done.has(k) || (t.deleted.has(k) && removed(k)));
    // 100 ms a pod at least: 10,000 pods need minutes after the last create (pods-10000 hit 300 s).
    await waitUntil(`${s.pods} pods Running`, settled, Math.max(300_000, s.pods * 100)).catch((err) =>
      log(String(err)),
    );
    const allRunningAfterSeconds = (Math.max(...done.values()) - t0) / 1000;
    const cpuByProcess = cpu.since();
    let configMapsSyncedAfterSeconds: number | undefined;
    if (s.configMaps) {
      const c0 = Date.now();
      await createConfigMaps(rig, s, namespaces);
      for (let copies = 0; copies < s.configMaps; copies = await hostConfigMapCopies(rig)) {
        if (Date.now() - c0 > 600_000) {
          log(`only ${copies} of ${s.configMaps} config maps reached the host`);
          break;
        }
        await sleep(500);
      }
      configMapsSyncedAfterSeconds = +((Date.now() - c0) / 1000).toFixed(2);
    }

    let syncerResult: Result['syncer'];
    if (syncer && sampler) {
      await sleep(5000);
      const afterBurst = await syncer.metrics();
      const cpuAfterBurst = sampler.samples.at(-1)!.cpuSeconds;
      const idleSeconds = Number(values['idle-seconds']);
      await sleep(idleSeconds * 1000);
      const afterIdle = await syncer.metrics();
      sampler.stop();
      const last = sampler.samples.at(-1)!;
      const metrics = syncer.reader;
      const memory = metrics.memory(afterIdle);
      const writes = diff(metrics.writesPerCluster(afterBurst), metrics.writesPerCluster(before));
      syncerResult = {
        cpuSecondsBurst: +(cpuAfterBurst - cpuBefore).toFixed(2),
        cpuMsPerPod: +((1000 * (cpuAfterBurst - cpuBefore)) / s.pods).toFixed(1),
        rssStartMB: mb(rssStart),
        rssPeakMB: mb(sampler.peakRss()),
        rssIdleMB: mb(last.rssBytes),
        heapUsedIdleMB: mb(memory.heapUsed),
        heapTotalIdleMB: mb(memory.heapTotal),
        externalIdleMB: mb(memory.external),
        idleSeconds,
        idleCpuSeconds: +(last.cpuSeconds - cpuAfterBurst).toFixed(2),
        idleWrites: diff(metrics.writesPerCluster(afterIdle), metrics.writesPerCluster(afterBurst)),
        idleWritesByVerb: diff(metrics.writesByVerb(afterIdle), metrics.writesByVerb(afterBurst)),
        writes,
        writesPerPod: Object.fromEntries(
          Object.entries(writes).map(([k, v]) => [k, +(v / s.pods).toFixed(2)]),
        ),
        writesByVerb: diff(metrics.writesByVerb(afterBurst), metrics.writesByVerb(before)),
        reconcilesByKind: diff(metrics.reconcilesByKind(afterBurst), metrics.reconcilesByKind(before)),
        requestsByVerb: diff(metrics.requestsByVerb(afterBurst), metrics.requestsByVerb(before)),
        restart: await measureRestart(rig, syncer, start, s.syncer === 'vcluster' ? undefined : syncerArgs),
      };
    }
    tracker.stop();
    const keys = [...t.created.keys()];
    const gone = [...t.deleted.keys()].flatMap((k) =>
      t.hostGone.has(k) ? [(t.hostGone.get(k)! - t.deleted.get(k)!) / 1000] : [],
    );
    const down = keys.flatMap((k) =>
      t.hostSeen.has(k) ? [(t.hostSeen.get(k)! - t.created.get(k)!) / 1000] : [],
    );
    const up = keys.flatMap((k) =>
      t.hostRunning.has(k) && t.virtualRunning.has(k)
        ? [(t.virtualRunning.get(k)! - t.hostRunning.get(k)!) / 1000]
        : [],
    );
    const hostStart = keys.flatMap((k) =>
      t.hostRunning.has(k) ? [(t.hostRunning.get(k)! - t.created.get(k)!) / 1000] : [],
    );
    const tenantWait = keys.flatMap((k) =>
      t.virtualRunning.has(k) ? [(t.virtualRunning.get(k)! - t.created.get(k)!) / 1000] : [],
    );
    return {
      scenario: s,
      round,
      ...(direct
        ? { hostStart: summarize(hostStart) }
        : { down: summarize(down), up: summarize(up), tenantWait: summarize(tenantWait) }),
      ...(s.churn ? { deleteDown: summarize(gone) } : {}),
      createSeconds: +createSeconds.toFixed(2),
      allRunningAfterSeconds: +allRunningAfterSeconds.toFixed(2),
      podsPerSecond: +(done.size / allRunningAfterSeconds).toFixed(1),
      missing: keys.filter((k) => !done.has(k) && !(t.deleted.has(k) && removed(k))).length,
      cpuByProcess,
      ...(configMapsSyncedAfterSeconds === undefined ? {} : { configMapsSyncedAfterSeconds }),
      syncer: syncerResult,
      samples: { down, up, hostStart, tenantWait },
    };
  } finally {
    await rig.stop();
  }
}

/** `a 1, b 2`: a record of counts as the Markdown lists show it. */
const listed = (record: Record<string, number>) =>
  Object.entries(record)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

function markdown(results: Result[], meta: Record<string, unknown>): string {
  const rows = results.map((r) => {
    const sy = r.syncer;
    const direct = results.find(
      (d) => d.scenario.syncerArgs === undefined && d.scenario.pods === r.scenario.pods,
    );
    const ratio = direct && sy ? `${Math.round((100 * r.podsPerSecond) / direct.podsPerSecond)}%` : '–';
    return [
      `${r.scenario.name} #${r.round}`,
      (r.down ? `${secs(r.down.p50)} / ${secs(r.down.p99)}` : '–') +
        (r.deleteDown
          ? ` (delete → host pod gone ${secs(r.deleteDown.p50)} / ${secs(r.deleteDown.p99)})`
          : ''),
      r.up
        ? `${secs(r.up.p50)} / ${secs(r.up.p99)}`
        : r.hostStart
          ? `(host start ${secs(r.hostStart.p50)} / ${secs(r.hostStart.p99)})`
          : '–',
      r.tenantWait ? `${secs(r.tenantWait.p50)} / ${secs(r.tenantWait.p99)}` : '–',
      `${r.allRunningAfterSeconds} s${r.missing ? ` (${r.missing} missing)` : ''}` +
        (r.configMapsSyncedAfterSeconds === undefined
          ? ''
          : `; ${r.scenario.configMaps} config maps synced after ${r.configMapsSyncedAfterSeconds} s`),
      `${r.podsPerSecond} (${ratio})`,
      sy ? `${sy.writes.host ?? 0} (${sy.writesPerPod.host ?? 0}/pod)` : '–',
      sy ? `${sy.writes.virtual ?? 0}` : '–',
      sy
        ? `${sy.rssStartMB} / ${sy.rssPeakMB} / ${sy.rssIdleMB} MB (heap ${sy.heapUsedIdleMB} of ${sy.heapTotalIdleMB}, external ${sy.externalIdleMB})`
        : '–',
      sy ? `${sy.cpuSecondsBurst} (${sy.cpuMsPerPod} ms/pod)` : '–',
      sy ? `${sy.idleCpuSeconds} s, ${JSON.stringify(sy.idleWrites)}` : '–',
      sy
        ? `${sy.restart.readySeconds} s, ` +
          (r.scenario.syncer === 'vcluster'
            ? 'not checked'
            : `agree ${sy.restart.agreeSeconds ?? '–'} s (${sy.restart.checked ?? '?'} checked)`) +
          `, ${JSON.stringify(sy.restart.writes)}`
        : '–',
    ];
  });
  const header = [
    'scenario',
    'down p50 / p99 (s)',
    'up p50 / p99 (s)',
    'tenant wait p50 / p99 (s)',
    'all Running after',
    'pods/s (of direct)',
    'host writes',
    'virtual writes',
    'RSS start / peak / idle',
    'CPU s (burst)',
    'idle CPU, writes',
    'restart: ready, check agrees, writes',
  ];
  const lines = [
    `# Pod burst, ${meta.date} (${meta.commit})`,
    '',
    `Machine: ${meta.cores} cores, load ${meta.loadBefore} before; Node ${meta.node}. Extra vsyncer flags: ${(meta.extraSyncerArgs as string[]).join(' ') || 'none'}. Generated by \`make bench\` (bench/pod-burst.ts).`,
    '',
    ...(results.some((r) => r.scenario.syncer === 'vcluster')
      ? [
          "`vcluster-*`: vCluster's own syncer (v0.19.0, hack/vcluster/build.sh) on the same rig. Its writes are " +
            "client-go's `rest_client_requests_total` by method (no resource), its heap the Go runtime's; " +
            "ready = its pod controller's workers started (caches synced); check does not judge its copies " +
            '(v0.19 writes no `object-kind` annotation).',
          '',
        ]
      : []),
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    ...((meta.failures as string[]).length
      ? ['Failed (no result):', '', ...(meta.failures as string[]).map((f) => `- ${f}`), '']
      : []),
    'CPU seconds per process from the first create to all Running (2 cores: at most twice the time):',
    '',
    ...results.map(
      (r) => `- ${r.scenario.name} #${r.round} (${r.allRunningAfterSeconds} s): ${listed(r.cpuByProcess)}`,
    ),
    '',
    'Reconciles per kind, and API requests per cluster and verb (reads included), per scenario:',
    '',
    ...results
      .filter((r) => r.syncer)
      .map(
        (r) =>
          `- ${r.scenario.name} #${r.round}: reconciles ${listed(r.syncer!.reconcilesByKind)}; requests ${listed(r.syncer!.requestsByVerb)}`,
      ),
    '',
    'Writes by verb and resource (host and virtual), per scenario:',
    '',
    ...results
      .filter((r) => r.syncer)
      .map(
        (r) =>
          `- ${r.scenario.name} #${r.round}: ${listed(r.syncer!.writesByVerb)}` +
          (Object.keys(r.syncer!.idleWritesByVerb).length
            ? `; in the idle window: ${listed(r.syncer!.idleWritesByVerb)}`
            : ''),
      ),
    '',
  ];
  return lines.join('\n');
}

const label = runLabel();
const { date } = label;
/** Scenario rounds that failed (the rig would not start, a syncer exited): reported, the rest still run. */
const failures: string[] = [];
const meta = {
  date,
  commit: label.commit,
  cores: label.cores,
  loadBefore: label.loadavg[0]!.toFixed(2),
  node: process.version,
  extraSyncerArgs: extraArgs,
  failures,
};
const wanted = values.scenarios!.split(',').map((n) => n.trim());
const unknown = wanted.filter((n) => !SCENARIOS.some((s) => s.name === n));
if (unknown.length) {
  console.error(
    `unknown scenario(s): ${unknown.join(', ')} (known: ${SCENARIOS.map((s) => s.name).join(', ')})`,
  );
  process.exit(2);
}
const results: Result[] = [];
for (let round = 1; round <= Number(values.rounds); round++)
  // In the order asked, so that a comparison can interleave its scenarios.
  for (const s of wanted.map((name) => SCENARIOS.find((x) => x.name === name)!)) {
    try {
      const r = await runScenario(s, round);
      log(
        `${s.name} #${round}: down ${JSON.stringify(r.down)} up ${JSON.stringify(r.up)} tenant wait ${JSON.stringify(r.tenantWait)} all Running after ${r.allRunningAfterSeconds}s`,
      );
      results.push(r);
    } catch (err) {
      failures.push(`${s.name} #${round}: ${(err as Error).message}`);
      log(`${s.name} #${round} failed: ${(err as Error).stack ?? String(err)}`);
    }
  }

mkdirSync(values.out!, { recursive: true });
const base = join(values.out!, `${date}-${meta.commit}`);
writeFileSync(`${base}.json`, JSON.stringify({ meta, results }, null, 2) + '\n');
writeFileSync(`${base}.md`, markdown(results, meta));
const series: Series[] = results.flatMap((r) =>
  r.syncer
    ? [
        { label: `${r.scenario.name} #${r.round} down`, samples: r.samples.down },
        { label: `${r.scenario.name} #${r.round} up`, samples: r.samples.up },
        { label: `${r.scenario.name} #${r.round} tenant wait`, samples: r.samples.tenantWait },
      ]
    : [{ label: `${r.scenario.name} #${r.round} host start`, samples: r.samples.hostStart }],
);
writeFileSync(`${base}.svg`, cdfSvg(`Pod burst latency CDF (${meta.commit})`, series));
console.log(markdown(results, meta));
console.log(`written: ${base}.json, .md, .svg`);
process.exit(0);
