import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, startClusters, stopClusters } from '../hack/cluster/launcher.ts';
import { controlComponent, waitFor } from '../test/harness/clusters.ts';
import { createTenantNamespace, metricValue } from '../test/harness/objects.ts';
import { runVsyncerCheck, type CheckJson } from '../test/harness/check.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';
import { WorkloadGenerator } from '../test/harness/workload.ts';

/*
 * The fault suite (VSYNC_FAULTS=1; off in `make test`): a workload generator keeps creating, updating
 * and deleting tenant objects while a fault is injected; then the generator stops and `vsyncer check`
 * must report the clusters agreeing (0 missing, orphaned, duplicated, stale) within a deadline. Faults
 * kill and pause API servers, so the suite runs on a cluster pair of its own. Per fault it writes the
 * objects checked, the time to converge and the syncer's writes to test-results/faults.json.
 */
const enabled = process.env.VSYNC_FAULTS === '1';
const vc = uniqueName('flt');
const hostNs = `host-${vc}`;
const namespaces = [uniqueName('fa'), uniqueName('fb'), uniqueName('fc')];
let stateDir: string;
let savedStateDir: string | undefined;
let syncer: SyncerProcess;
const results: Record<string, unknown>[] = [];

const check = () => runVsyncerCheck(vc, hostNs, namespaces);

const writes = async (): Promise<number> => {
  const m = await syncer.metrics();
  return ['create', 'update', 'patch', 'delete'].reduce(
    (sum, verb) => sum + metricValue(m, 'vsyncer_api_requests_total', { verb }),
    0,
  );
};

/** Runs the generator around a fault, then waits for check to agree; records what it took. */
async function underLoad(name: string, fault: () => Promise<void>): Promise<CheckJson> {
  const generator = new WorkloadGenerator({ namespaces, opsPerSecond: 4, seed: results.length + 7 });
  const before = { process: syncer, writes: await writes().catch(() => 0) };
  generator.start();
  await new Promise((r) => setTimeout(r, 5000));
  await fault();
  await new Promise((r) => setTimeout(r, 5000));
  const ops = await generator.stop();
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
  });
  return report;
}

(enabled ? describe : describe.skip)(
  enabled ? 'faults under load' : 'faults under load (skipped: set VSYNC_FAULTS=1)',
  () => {
    beforeAll(async () => {
      savedStateDir = process.env.VSYNC_TEST_STATE_DIR;
      stateDir = mkdtempSync(join(tmpdir(), 'vsyncer-faults-'));
      await startClusters({ stateDir, ownerPid: process.pid, log: () => {} });
      // The harness (kubectl, startSyncer) follows this variable: this file's own clusters from here.
      process.env.VSYNC_TEST_STATE_DIR = stateDir;
      await prepareHostNamespace(vc, hostNs);
      syncer = await startSyncer({ name: vc, hostNamespace: hostNs });
      for (const ns of namespaces) await createTenantNamespace(ns);
    }, 240_000);

    afterAll(async () => {
      await syncer?.stop();
      if (stateDir) await stopClusters(stateDir);
      if (savedStateDir) process.env.VSYNC_TEST_STATE_DIR = savedStateDir;
      const dir = join(REPO_ROOT, 'test-results');
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'faults.json'),
        JSON.stringify({ at: new Date().toISOString(), results }, null, 2),
      );
    }, 120_000);

    const agreesAfter = (name: string, fault: () => Promise<void>) =>
      it(`${name}: check finds 0 missing, orphaned, duplicated and stale objects`, async () => {
        const report = await underLoad(name, fault);
        expect(report.totals).toMatchObject({ missing: 0, orphaned: 0, duplicated: 0, stale: 0 });
        expect(report.totals.checked).toBeGreaterThan(0);
      }, 420_000);

    agreesAfter('no fault (baseline)', async () => {});
    agreesAfter('SIGKILL of the syncer mid-burst, then a restart', async () => {
      await syncer.kill();
      await new Promise((r) => setTimeout(r, 3000));
      syncer = await startSyncer({ name: vc, hostNamespace: hostNs });
    });
    agreesAfter('restart of the host kube-apiserver', () =>
      controlComponent(stateDir, 'host/kube-apiserver', 'restart'),
    );
    agreesAfter('restart of the virtual kube-apiserver', () =>
      controlComponent(stateDir, 'virtual/kube-apiserver', 'restart'),
    );
    agreesAfter('restart of the host etcd', () => controlComponent(stateDir, 'host/etcd', 'restart'));
    agreesAfter('a 20 s stall of the host kube-apiserver (SIGSTOP, SIGCONT)', async () => {
      await controlComponent(stateDir, 'host/kube-apiserver', 'pause');
      await new Promise((r) => setTimeout(r, 20_000));
      await controlComponent(stateDir, 'host/kube-apiserver', 'resume');
    });

    it("20 restarts of the host kube-apiserver in a row: the clusters agree, and the syncer's memory is recorded", async () => {
      const rss = async () =>
        metricValue(await syncer.metrics(), 'vsyncer_process_resident_memory_bytes') / 2 ** 20;
      const rssBefore = await rss();
      const report = await underLoad('20 restarts of the host kube-apiserver', async () => {
        for (let i = 0; i < 20; i++) await controlComponent(stateDir, 'host/kube-apiserver', 'restart');
      });
      expect(report.totals).toMatchObject({ missing: 0, orphaned: 0, duplicated: 0, stale: 0 });
      results.push({
        fault: '20 restarts: syncer RSS before / after (MB)',
        rssBefore,
        rssAfter: await rss(),
      });
    }, 900_000);

    it('never exited on a transient API error', () => {
      expect(syncer.child.exitCode).toBeNull();
    });
  },
);
