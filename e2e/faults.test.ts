import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  readComponents,
  removeClusterData,
  REPO_ROOT,
  startClusters,
  stopClusters,
} from '../hack/cluster/launcher.ts';
import { controlComponent, testClusters, waitFor } from '../test/harness/clusters.ts';
import {
  apply,
  createTenantNamespace,
  getObject,
  metricValue,
  mustKubectl,
} from '../test/harness/objects.ts';
import { runVsyncerCheck, type CheckJson } from '../test/harness/check.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';
import { WorkloadGenerator } from '../test/harness/workload.ts';
import { serviceAccountKubeconfig } from '../test/harness/host-identity.ts';

/*
 * The fault suite: a workload generator keeps creating, updating
 * and deleting tenant objects while a fault is injected; then the generator stops and `vsyncer check`
 * must report the clusters agreeing (0 missing, orphaned, duplicated, stale) within a deadline. Faults
 * kill and pause API servers, so the suite runs on a cluster pair of its own. Per fault it writes the
 * objects checked, the time to converge, the syncer's writes and what shows the fault took effect
 * (watchers re-listed, 403/429/500 answers, the leader's takeover) to test-results/faults.json.
 */
/**
 * `make test` runs the short profile (the faults below, about 3 minutes); VSYNC_FAULTS=1 (or `long`)
 * runs every fault and the 20 restarts in a row (about 12 minutes); VSYNC_FAULTS=0 none.
 */
const profile: 'off' | 'short' | 'long' =
  process.env.VSYNC_FAULTS === '0'
    ? 'off'
    : process.env.VSYNC_FAULTS === '1' || process.env.VSYNC_FAULTS === 'long'
      ? 'long'
      : 'short';
const SHORT_PROFILE = [
  'no fault (baseline)',
  'SIGKILL of the syncer',
  'restart of the host kube-apiserver',
  'watch history expiry',
  'the host API answering 500',
  'the virtual etcd restored from an earlier copy',
];
const inProfile = (fault: string) =>
  profile === 'long' || (profile === 'short' && SHORT_PROFILE.some((p) => fault.startsWith(p)));
const enabled = profile !== 'off';
const vc = uniqueName('flt');
const hostNs = `host-${vc}`;
const namespaces = [uniqueName('fa'), uniqueName('fb'), uniqueName('fc')];
/** The host's class for the generator's claims (no provisioner runs: they stay Pending on both sides). */
const storageClass = uniqueName('flt-class');
/**
 * The syncer speaks to the host as a service account of the host namespace (bound to cluster-admin),
 * as it does in a pod, not as the harness's admin: that one is in system:masters, whose requests API
 * priority and fairness always exempts (only the mandatory `exempt` FlowSchema may have precedence 1).
 */
const SYNCER_ACCOUNT = 'vsyncer';
let syncerKubeconfig: string;
/** Short leases, as in the integration test of leader election, so a killed leader is replaced soon. */
const LEASE = [
  '--leader-elect',
  '--leader-elect-lease-duration=6s',
  '--leader-elect-renew-deadline=4s',
  '--leader-elect-retry-period=1s',
];
let stateDir: string;
let savedStateDir: string | undefined;
let syncer: SyncerProcess;
const results: Record<string, unknown>[] = [];
let faultRuns = 0;

const check = () => runVsyncerCheck(vc, hostNs, namespaces);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const start = (args: string[] = []) =>
  startSyncer({ name: vc, hostNamespace: hostNs, hostKubeconfig: syncerKubeconfig, args });
/** How each syncer process a test ended went: still running until then, and the exit it was told to make. */
interface EndedSyncer {
  pid: number | undefined;
  ending: 'stop' | 'kill';
  wasRunning: boolean;
  exitCode: number | null;
  signalCode: NodeJS.Signals | null;
}
const endedSyncers = new Map<SyncerProcess, EndedSyncer>();
/** Ends a syncer the way a fault asks (SIGTERM or SIGKILL), recording how it was and how it exited. */
async function endSyncer(p: SyncerProcess, ending: 'stop' | 'kill'): Promise<void> {
  if (endedSyncers.has(p)) return;
  const wasRunning = p.child.exitCode === null && p.child.signalCode === null;
  await (ending === 'stop' ? p.stop() : p.kill());
  endedSyncers.set(p, {
    pid: p.child.pid,
    ending,
    wasRunning,
    exitCode: p.child.exitCode,
    signalCode: p.child.signalCode,
  });
}

/** A kubeconfig for the syncer's service account (a token good for the whole suite). */
async function syncerAccountKubeconfig(): Promise<string> {
  await mustKubectl('host', ['create', 'serviceaccount', SYNCER_ACCOUNT, '-n', hostNs]);
  await mustKubectl('host', [
    'create',
    'clusterrolebinding',
    `vsyncer-${vc}`,
    '--clusterrole=cluster-admin',
    `--serviceaccount=${hostNs}:${SYNCER_ACCOUNT}`,
  ]);
  return serviceAccountKubeconfig(hostNs, SYNCER_ACCOUNT, join(stateDir, 'syncer-host.kubeconfig'));
}

/** kubectl as the syncer's service account; resolves with the exit code. */
function kubectlAsSyncer(args: string[], input: string): Promise<number> {
  return new Promise((resolve) => {
    const child = execFile(testClusters().kubectl, ['--kubeconfig', syncerKubeconfig, ...args], (err) =>
      resolve(err ? 1 : 0),
    );
    child.stdin?.end(input);
  });
}

/** A TCP server that accepts connections and never answers: a webhook call to it hangs until its timeout. */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

const writes = async (): Promise<number> => {
  const m = await syncer.metrics();
  return ['create', 'update', 'patch', 'delete'].reduce(
    (sum, verb) => sum + metricValue(m, 'vsyncer_api_requests_total', { verb }),
    0,
  );
};

/** How many answers with this HTTP code the syncer has had from the host API. */
const hostAnswers = async (code: number): Promise<number> =>
  metricValue(await syncer.metrics(), 'vsyncer_api_requests_total', { cluster: 'host', code: String(code) });

/** What a fault tells the record beside the common figures (evidence that it took effect). */
type FaultRecord = Record<string, unknown>;

/** Runs the generator around a fault, then waits for check to agree; records what it took. */
async function underLoad(
  name: string,
  fault: () => Promise<FaultRecord | void>,
): Promise<{ report: CheckJson; record: FaultRecord }> {
  const run = ++faultRuns;
  const generator = new WorkloadGenerator({
    namespaces,
    opsPerSecond: 4,
    seed: run + 6,
    storageClass,
    // Each fault's generator its own names: it never touches what an earlier one left.
    namePrefix: `f${run}`,
  });
  const before = { process: syncer, writes: await writes().catch(() => 0) };
  generator.start();
  let record: FaultRecord;
  try {
    await sleep(5000);
    record = (await fault()) ?? {};
    await sleep(5000);
  } finally {
    await generator.stop();
  }
  const ops = generator.ops;
  const stopped = Date.now();
  let last: Awaited<ReturnType<typeof check>> | undefined;
  const report = await waitFor(
    `vsyncer check to agree after ${name}`,
    async () => {
      last = await check();
      return last.code === 0 && last.report;
    },
    180_000,
    2000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${JSON.stringify(last?.report ?? last?.stderr)}`);
  });
  results.push({
    fault: name,
    ops: ops.length,
    failedOps: ops.filter((o) => !o.ok).length,
    checked: report.totals.checked,
    convergeSeconds: (Date.now() - stopped) / 1000,
    // A restarted syncer counts from zero: its writes are all of this fault's.
    syncerWrites: (await writes()) - (syncer === before.process ? before.writes : 0),
    syncerRssMb: Number(
      (metricValue(await syncer.metrics(), 'vsyncer_process_resident_memory_bytes') / 2 ** 20).toFixed(1),
    ),
    ...record,
  });
  return { report, record };
}

/**
 * Compacts an etcd's whole history, through its HTTP gateway: two writes of a key outside the API
 * server's prefix first, so that even a client holding the newest revision is two behind (a watch from
 * revision R replays from R+1, which must be older than the compaction to be refused). Returns the
 * revision compacted to.
 */
async function compactEtcd(cluster: 'host' | 'virtual'): Promise<number> {
  const { port } = readComponents(stateDir)[`${cluster}/etcd`]!;
  const call = async (path: string, body: object) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${cluster}/etcd ${path}: HTTP ${res.status} ${text}`);
    return JSON.parse(text) as { header?: { revision?: string } };
  };
  const key = Buffer.from('vsyncer-fault-compaction').toString('base64');
  let put: { header?: { revision?: string } } = {};
  for (const n of ['1', '2'])
    put = await call('/v3/kv/put', { key, value: Buffer.from(n).toString('base64') });
  const revision = Number(put.header?.revision);
  if (!revision) throw new Error(`${cluster}/etcd: no revision in ${JSON.stringify(put)}`);
  await call('/v3/kv/compaction', { revision: String(revision), physical: true });
  return revision;
}

/** Every series of one of the syncer's metrics: its labels and value. */
async function series(metric: string): Promise<{ labels: Record<string, string>; value: number }[]> {
  const out = [];
  for (const line of (await syncer.metrics()).split('\n')) {
    const m = /^(\w+)\{(.*)\}\s+(\S+)/.exec(line);
    if (m?.[1] !== metric) continue;
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

const execFileAsync = promisify(execFile);

/** Re-lists (after 410, or a store found older) per `cluster/resource` so far. */
async function relistsByWatcher(): Promise<Map<string, number>> {
  const relists = await series('vsyncer_watch_relists_total');
  return new Map(relists.map((s) => [`${s.labels.cluster}/${s.labels.resource}`, s.value]));
}

/** The syncer's watchers: every `cluster/resource` it has listed successfully. */
async function watchers(): Promise<string[]> {
  const lists = (await series('vsyncer_api_requests_total')).filter(
    (s) => s.labels.verb === 'list' && s.labels.code === '200',
  );
  return [...new Set(lists.map((s) => `${s.labels.cluster}/${s.labels.resource}`))].sort();
}

(enabled ? describe : describe.skip)(
  {
    off: 'faults under load (skipped: VSYNC_FAULTS=0)',
    short: 'faults under load (short profile; VSYNC_FAULTS=1 runs every fault)',
    long: 'faults under load (every fault)',
  }[profile],
  () => {
    beforeAll(async () => {
      savedStateDir = process.env.VSYNC_TEST_STATE_DIR;
      stateDir = mkdtempSync(join(tmpdir(), 'vsyncer-faults-'));
      // The launcher turns API priority and fairness off (less work on small machines); the host of
      // this suite has it, so that a FlowSchema can make it answer the syncer with 429.
      const apfVar = 'VSYNC_HOST_KUBE_APISERVER_EXTRA_ARGS';
      const savedApf = process.env[apfVar];
      process.env[apfVar] = `${savedApf ?? ''} --enable-priority-and-fairness=true`;
      try {
        await startClusters({ stateDir, ownerPid: process.pid, log: () => {} });
      } finally {
        if (savedApf === undefined) delete process.env[apfVar];
        else process.env[apfVar] = savedApf;
      }
      // The harness (kubectl, startSyncer) follows this variable: this file's own clusters from here.
      process.env.VSYNC_TEST_STATE_DIR = stateDir;
      await prepareHostNamespace(vc, hostNs);
      syncerKubeconfig = await syncerAccountKubeconfig();
      await apply('host', {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: storageClass },
        provisioner: 'example.com/no-provisioner',
        volumeBindingMode: 'Immediate',
      });
      syncer = await start();
      for (const ns of namespaces) await createTenantNamespace(ns);
    }, 240_000);

    afterAll(async () => {
      await syncer?.stop();
      if (stateDir) {
        await stopClusters(stateDir);
        removeClusterData(stateDir);
      }
      if (savedStateDir) process.env.VSYNC_TEST_STATE_DIR = savedStateDir;
      const dir = join(REPO_ROOT, 'test-results');
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'faults.json'),
        JSON.stringify({ at: new Date().toISOString(), results }, null, 2),
      );
    }, 120_000);

    const agreesAfter = (
      name: string,
      fault: () => Promise<FaultRecord | void>,
      opts: { verify?: (record: FaultRecord) => void; after?: () => Promise<void> } = {},
    ) =>
      (inProfile(name) ? it : it.skip)(
        `${name}: check finds 0 missing, orphaned, duplicated and stale objects`,
        async () => {
          try {
            const { report, record } = await underLoad(name, fault);
            expect(report.totals).toMatchObject({ missing: 0, orphaned: 0, duplicated: 0, stale: 0 });
            expect(report.totals.checked).toBeGreaterThan(0);
            opts.verify?.(record);
          } finally {
            await opts.after?.();
          }
        },
        420_000,
      );

    agreesAfter('no fault (baseline)', async () => {});
    agreesAfter('SIGKILL of the syncer mid-burst, then a restart', async () => {
      await endSyncer(syncer, 'kill');
      await sleep(3000);
      syncer = await start();
    });

    // Two replicas share the lease; the one writing is SIGKILLed (no release): the other takes over once
    // the lease expires. The survivor then hands over (SIGTERM) to a single syncer for the faults after.
    let replicas: SyncerProcess[] = [];
    agreesAfter(
      'SIGKILL of the leader of two replicas',
      async () => {
        await endSyncer(syncer, 'stop');
        replicas = await Promise.all(
          ['a', 'b'].map((id) => start([...LEASE, `--leader-elect-identity=${id}`])),
        );
        const leads = async (p: SyncerProcess) => metricValue(await p.metrics(), 'vsyncer_leader') === 1;
        const leader = await waitFor(
          'one of two replicas leads',
          async () => {
            const leading = [];
            for (const p of replicas) if (await leads(p)) leading.push(p);
            return leading.length === 1 && leading[0];
          },
          60_000,
        );
        const follower = replicas.find((p) => p !== leader)!;
        syncer = leader;
        await sleep(5000);
        const leaderWrites = await writes();
        await endSyncer(leader, 'kill');
        const killedAt = Date.now();
        await waitFor('the other replica takes over', () => leads(follower), 60_000);
        syncer = follower;
        return { leaderWritesBeforeKill: leaderWrites, takeoverSeconds: (Date.now() - killedAt) / 1000 };
      },
      {
        after: async () => {
          for (const p of replicas) if (p !== syncer) await endSyncer(p, 'kill');
          await endSyncer(syncer, 'stop');
          syncer = await start();
        },
      },
    );

    agreesAfter('restart of the host kube-apiserver', () =>
      controlComponent(stateDir, 'host/kube-apiserver', 'restart'),
    );
    agreesAfter('restart of the virtual kube-apiserver', () =>
      controlComponent(stateDir, 'virtual/kube-apiserver', 'restart'),
    );
    agreesAfter('restart of the host etcd', () => controlComponent(stateDir, 'host/etcd', 'restart'));
    agreesAfter('restart of the virtual etcd', () => controlComponent(stateDir, 'virtual/etcd', 'restart'));
    // The virtual cluster's store put back to a copy taken earlier (a backup restored), the syncer left
    // running: what was made since is gone from the virtual cluster (its host copies must go), what was
    // changed since is as it was (so must its copies be), what was deleted since is back. A
    // kube-apiserver answers a watch from a revision it has not reached with a silent stream, so only a
    // cache that asks the store's revision finds it went back. Without the generator: its own record of
    // what exists would be wrong after the restore.
    const restoreFault = 'the virtual etcd restored from an earlier copy, the syncer left running';
    (inProfile(restoreFault) ? it : it.skip)(
      `${restoreFault}: what the restore undid goes from the host, check finds 0 differences`,
      async () => {
        const ns = namespaces[0]!;
        const hostPod = (name: string) => getObject('host', ['pod', `${name}-x-${ns}-x-${vc}`, '-n', hostNs]);
        const hostData = async (name: string) =>
          (
            await getObject<{ data?: Record<string, string> }>('host', [
              'configmap',
              `${name}-x-${ns}-x-${vc}`,
              '-n',
              hostNs,
            ])
          )?.data;
        const pod = (name: string, mounts?: string) => ({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace: ns },
          spec: {
            containers: [{ name: 'c', image: 'registry.local/app:1' }],
            ...(mounts ? { volumes: [{ name: 'v', configMap: { name: mounts } }] } : {}),
          },
        });
        await apply('virtual', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'rs-cm', namespace: ns },
          data: { v: '1' },
        });
        await apply('virtual', pod('rs-kept', 'rs-cm'));
        await apply('virtual', pod('rs-gone'));
        await waitFor(
          'the first copies',
          async () => !!(await hostPod('rs-kept')) && !!(await hostPod('rs-gone')),
          60_000,
        );

        const plane = ['virtual/kube-controller-manager', 'virtual/kube-apiserver', 'virtual/etcd'];
        const stopPlane = async () => {
          for (const id of plane) await controlComponent(stateDir, id, 'stop');
        };
        const startPlane = async () => {
          for (const id of [...plane].reverse()) await controlComponent(stateDir, id, 'start');
        };
        const etcd = readComponents(stateDir)['virtual/etcd']!;
        const dataDir = etcd.args.find((a) => a.startsWith('--data-dir='))!.slice('--data-dir='.length);
        const copy = `${dataDir}.backup`;
        await stopPlane();
        await execFileAsync('cp', ['-a', dataDir, copy]);
        await startPlane();

        await apply('virtual', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'rs-cm', namespace: ns },
          data: { v: '2' },
        });
        await mustKubectl('virtual', ['delete', 'pod', 'rs-gone', '-n', ns, '--grace-period=0', '--force']);
        await apply('virtual', pod('rs-new'));
        await waitFor(
          'the copies of the changes since',
          async () =>
            !!(await hostPod('rs-new')) &&
            !(await hostPod('rs-gone')) &&
            (await hostData('rs-cm'))?.v === '2',
          60_000,
        );

        const relistsBefore = await relistsByWatcher();
        await stopPlane();
        await execFileAsync('rm', ['-rf', dataDir]);
        await execFileAsync('mv', [copy, dataDir]);
        await startPlane();

        await waitFor(
          'the host as the restored virtual cluster has it',
          async () => !(await hostPod('rs-new')) && (await hostData('rs-cm'))?.v === '1',
          120_000,
          1000,
        );
        const report = await waitFor(
          'vsyncer check to agree after the restore',
          async () => {
            const last = await check();
            return last.code === 0 && last.report;
          },
          120_000,
          2000,
        );
        expect(report.totals).toMatchObject({ missing: 0, orphaned: 0, duplicated: 0, stale: 0 });
        const relistsAfter = await relistsByWatcher();
        expect(
          [...relistsAfter].filter(([w, n]) => w.startsWith('virtual/') && n > (relistsBefore.get(w) ?? 0))
            .length,
        ).toBeGreaterThan(0);
      },
      420_000,
    );

    agreesAfter('a 20 s stall of the host kube-apiserver (SIGSTOP, SIGCONT)', async () => {
      await controlComponent(stateDir, 'host/kube-apiserver', 'pause');
      await sleep(20_000);
      await controlComponent(stateDir, 'host/kube-apiserver', 'resume');
    });

    // Both API servers stopped, both etcds compacted past every revision a client has seen, then the
    // API servers started again: each watch cache starts over later than any revision the syncer
    // holds, and etcd keeps nothing older (some kinds, such as events, are watched from etcd directly),
    // so every watch the syncer resumes is answered 410 Gone.
    agreesAfter(
      'watch history expiry: both etcds compacted while their API servers restart, every watch gets 410',
      async () => {
        const before = await relistsByWatcher();
        const all = await watchers();
        const apiservers = ['host/kube-apiserver', 'virtual/kube-apiserver'];
        await Promise.all(apiservers.map((id) => controlComponent(stateDir, id, 'stop')));
        const compactedRevision = {
          host: await compactEtcd('host'),
          virtual: await compactEtcd('virtual'),
        };
        await Promise.all(apiservers.map((id) => controlComponent(stateDir, id, 'start')));
        const relisted = async () => {
          const after = await relistsByWatcher();
          return all.filter((w) => (after.get(w) ?? 0) > (before.get(w) ?? 0));
        };
        // Deadline only against a hang: what did not re-list by then is recorded and fails below.
        const done = await waitFor(
          'a re-list after 410 by every watcher',
          async () => {
            const r = await relisted();
            return r.length === all.length && r;
          },
          120_000,
          1000,
        ).catch(() => relisted());
        return {
          compactedRevision,
          watchers: all.length,
          watchersRelisted: done.length,
          notRelisted: all.filter((w) => !done.includes(w)),
        };
      },
      {
        verify: (record) => {
          expect(record.watchers).toBeGreaterThan(0);
          expect(record.notRelisted).toEqual([]);
        },
      },
    );

    const quota = `fault-full-${vc}`;
    agreesAfter(
      "the host namespace's ResourceQuota full for 20 s, then raised",
      async () => {
        const refusedBefore = await hostAnswers(403);
        const hard = (n: string) =>
          Object.fromEntries(
            ['pods', 'services', 'configmaps', 'secrets', 'persistentvolumeclaims'].map((r) => [r, n]),
          );
        await apply('host', {
          apiVersion: 'v1',
          kind: 'ResourceQuota',
          metadata: { name: quota, namespace: hostNs },
          spec: { hard: hard('0') },
        });
        await sleep(20_000);
        await mustKubectl('host', [
          'patch',
          'resourcequota',
          quota,
          '-n',
          hostNs,
          '--type=merge',
          '-p',
          JSON.stringify({ spec: { hard: hard('100000') } }),
        ]);
        return { refusedCreates: (await hostAnswers(403)) - refusedBefore };
      },
      {
        verify: (record) => expect(record.refusedCreates).toBeGreaterThan(0),
        after: async () => {
          await mustKubectl('host', ['delete', 'resourcequota', quota, '-n', hostNs, '--ignore-not-found']);
        },
      },
    );

    // API priority and fairness: the syncer's requests go to a priority level with no seats that
    // rejects what it cannot run. A level runs one request when none of its own runs (even at 0 seats),
    // so the test keeps that one slot taken: a dry-run create of its own, as the syncer's account, that
    // a validating webhook holds for 10 s (the webhook's server never answers; failurePolicy Ignore).
    // Meanwhile every request of the syncer, watches and lists included, is answered 429.
    const throttle = `vsyncer-fault-${vc}`;
    agreesAfter(
      'the host API answering 429 for 20 s (API priority and fairness: a seatless, rejecting level)',
      async () => {
        const before = await hostAnswers(429);
        const silent = await silentServer();
        try {
          await apply('host', {
            apiVersion: 'admissionregistration.k8s.io/v1',
            kind: 'ValidatingWebhookConfiguration',
            metadata: { name: throttle },
            webhooks: [
              {
                name: 'hold.fault.vsyncer.dev',
                clientConfig: { url: `https://127.0.0.1:${silent.port}/hold` },
                rules: [
                  {
                    operations: ['CREATE'],
                    apiGroups: [''],
                    apiVersions: ['v1'],
                    resources: ['configmaps'],
                    scope: 'Namespaced',
                  },
                ],
                objectSelector: { matchLabels: { 'fault.vsyncer.dev/hold': 'true' } },
                failurePolicy: 'Ignore',
                sideEffects: 'None',
                admissionReviewVersions: ['v1'],
                timeoutSeconds: 10,
              },
            ],
          });
          await apply('host', {
            apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
            kind: 'PriorityLevelConfiguration',
            metadata: { name: throttle },
            spec: {
              type: 'Limited',
              limited: {
                nominalConcurrencyShares: 0,
                lendablePercent: 0,
                borrowingLimitPercent: 0,
                limitResponse: { type: 'Reject' },
              },
            },
          });
          await apply('host', {
            apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
            kind: 'FlowSchema',
            metadata: { name: throttle },
            spec: {
              matchingPrecedence: 50,
              priorityLevelConfiguration: { name: throttle },
              distinguisherMethod: { type: 'ByUser' },
              rules: [
                {
                  subjects: [
                    { kind: 'ServiceAccount', serviceAccount: { name: SYNCER_ACCOUNT, namespace: hostNs } },
                  ],
                  resourceRules: [
                    {
                      verbs: ['*'],
                      apiGroups: ['*'],
                      resources: ['*'],
                      clusterScope: true,
                      namespaces: ['*'],
                    },
                  ],
                  nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
                },
              ],
            },
          });
          const hold = JSON.stringify({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'hold', namespace: hostNs, labels: { 'fault.vsyncer.dev/hold': 'true' } },
          });
          const until = Date.now() + 20_000;
          // Two holders, so one is ready to take the slot the moment the other's hold ends.
          await Promise.all(
            [0, 1].map(async () => {
              while (Date.now() < until)
                await kubectlAsSyncer(['create', '-f', '-', '--dry-run=server', '-o', 'name'], hold);
            }),
          );
        } finally {
          await mustKubectl('host', ['delete', 'flowschema', throttle, '--ignore-not-found']);
          await mustKubectl('host', ['delete', 'prioritylevelconfiguration', throttle, '--ignore-not-found']);
          await mustKubectl('host', [
            'delete',
            'validatingwebhookconfiguration',
            throttle,
            '--ignore-not-found',
          ]);
          await silent.close();
        }
        return { tooManyRequests: (await hostAnswers(429)) - before };
      },
      { verify: (record) => expect(record.tooManyRequests).toBeGreaterThan(0) },
    );

    // A validating webhook that cannot be called, failing closed, for the syncer's account: every write
    // of the syncer is answered 500 (Internal error: failed calling webhook); reads still work.
    const refuse = `vsyncer-fault-${vc}`;
    agreesAfter(
      'the host API answering 500 to writes for 20 s (an unreachable fail-closed webhook)',
      async () => {
        const before = await hostAnswers(500);
        await apply('host', {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'ValidatingWebhookConfiguration',
          metadata: { name: refuse },
          webhooks: [
            {
              name: 'refuse.fault.vsyncer.dev',
              // Nothing listens on port 1: the call fails at once.
              clientConfig: { url: 'https://127.0.0.1:1/refuse' },
              rules: [
                {
                  operations: ['CREATE', 'UPDATE', 'DELETE'],
                  apiGroups: ['*'],
                  apiVersions: ['*'],
                  resources: ['*/*'],
                  scope: '*',
                },
              ],
              matchConditions: [
                {
                  name: 'the-syncer',
                  expression: `request.userInfo.username == 'system:serviceaccount:${hostNs}:${SYNCER_ACCOUNT}'`,
                },
              ],
              failurePolicy: 'Fail',
              sideEffects: 'None',
              admissionReviewVersions: ['v1'],
              timeoutSeconds: 2,
            },
          ],
        });
        try {
          await sleep(20_000);
        } finally {
          await mustKubectl('host', [
            'delete',
            'validatingwebhookconfiguration',
            refuse,
            '--ignore-not-found',
          ]);
        }
        return { internalErrors: (await hostAnswers(500)) - before };
      },
      {
        verify: (record) => expect(record.internalErrors).toBeGreaterThan(0),
        after: async () => {
          await mustKubectl('host', [
            'delete',
            'validatingwebhookconfiguration',
            refuse,
            '--ignore-not-found',
          ]);
        },
      },
    );

    (profile === 'long' ? it : it.skip)(
      "20 restarts of the host kube-apiserver in a row: the clusters agree, and the syncer's memory is recorded",
      async () => {
        const rss = async () =>
          metricValue(await syncer.metrics(), 'vsyncer_process_resident_memory_bytes') / 2 ** 20;
        const rssBefore = await rss();
        const { report } = await underLoad('20 restarts of the host kube-apiserver', async () => {
          for (let i = 0; i < 20; i++) await controlComponent(stateDir, 'host/kube-apiserver', 'restart');
        });
        expect(report.totals).toMatchObject({ missing: 0, orphaned: 0, duplicated: 0, stale: 0 });
        results.push({
          fault: '20 restarts: syncer RSS before / after (MB)',
          rssBefore,
          rssAfter: await rss(),
        });
      },
      900_000,
    );

    it('never exited on a transient API error', () => {
      // The syncer running now: neither an exit code nor a signal (a killed process has no exit code).
      expect({ exitCode: syncer.child.exitCode, signalCode: syncer.child.signalCode }).toEqual({
        exitCode: null,
        signalCode: null,
      });
      // Each one a fault replaced ran until the test ended it, and ended as told: a clean exit on
      // SIGTERM (not the exit code 1 of a fatal error), or SIGKILL's.
      const expected = (e: EndedSyncer): EndedSyncer => ({
        ...e,
        wasRunning: true,
        exitCode: e.ending === 'stop' ? 0 : null,
        signalCode: e.ending === 'stop' ? null : 'SIGKILL',
      });
      const ended = [...endedSyncers.values()];
      expect(ended).toEqual(ended.map(expected));
    });
  },
);
