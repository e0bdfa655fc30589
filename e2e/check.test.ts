import { hostName } from '../src/naming/names.ts';
import { waitFor } from '../test/harness/clusters.ts';
import { apply, createTenantNamespace, getObject, mustKubectl } from '../test/harness/objects.ts';
import { runVsyncerCheck, type CheckJson } from '../test/harness/check.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

const vc = uniqueName('check');
const hostNs = `host-${vc}`;
const ns = uniqueName('audit');
let syncer: SyncerProcess | undefined;

/** Runs the built `vsyncer check` for this test's syncer and namespace. */
const runCheck = () => runVsyncerCheck(vc, hostNs, [ns]);

/** Waits until check says the clusters agree (the syncer converges), and returns that report. */
async function agreeing(): Promise<CheckJson> {
  let last = '';
  try {
    return await waitFor(
      'vsyncer check to exit 0',
      async () => {
        const r = await runCheck();
        last = `exit ${r.code}: ${r.stderr}${JSON.stringify(r.report?.differences ?? [])}`;
        if (r.code === 2) throw new Error(last);
        return r.code === 0 ? r.report : undefined;
      },
      120_000,
      1000,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast check: ${last}`, { cause: err });
  }
}

const mine = (report: CheckJson) =>
  report.differences
    .filter((d) => d.key.startsWith(`${ns}/`))
    .map((d) => [d.kind, d.category, d.key])
    .sort();

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  await createTenantNamespace(ns);
  for (const [name, value] of [
    ['app-config', 'a'],
    ['edited', 'b'],
  ] as const)
    await mustKubectl('virtual', ['create', 'configmap', name, '-n', ns, `--from-literal=key=${value}`]);
  await apply('virtual', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
    spec: {
      containers: [{ name: 'main', image: 'registry.local/web:1' }],
      volumes: [
        { name: 'a', configMap: { name: 'app-config' } },
        { name: 'b', configMap: { name: 'edited' } },
      ],
    },
  });
  await mustKubectl('virtual', ['create', 'service', 'clusterip', 'web', '-n', ns, '--tcp=80:8080']);
  syncer = await startSyncer({ name: vc, hostNamespace: hostNs });
}, 180_000);

afterAll(async () => {
  await syncer?.stop();
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
});

describe('vsyncer check between the real clusters', () => {
  it('exits 0 once the syncer has converged, and reports what it checked', async () => {
    await waitFor(
      'the virtual pod Running',
      async () =>
        (await getObject<{ status?: { phase?: string } }>('virtual', ['pod', 'web', '-n', ns]))?.status
          ?.phase === 'Running',
      90_000,
    );
    const report = await agreeing();
    expect(report).toMatchObject({ agree: true, differences: [] });
    const byKind = Object.fromEntries(report.kinds.map((k) => [k.kind, k]));
    expect(byKind.configmaps).toMatchObject({ staleChecked: true, notChecked: null });
    expect(byKind.configmaps!.checked).toBeGreaterThanOrEqual(2);
    expect(byKind.pods!.checked).toBeGreaterThanOrEqual(1);
    expect(byKind.services!.checked).toBeGreaterThanOrEqual(1);
    expect(byKind.events!.notChecked).toMatch(/never reads them back/);
  }, 240_000);

  it('finds a deleted host copy, an orphan and a hand-edited copy while the syncer is stopped (exit 1)', async () => {
    await syncer!.stop();
    syncer = undefined;
    await mustKubectl('host', ['delete', 'configmap', hostName('app-config', ns, vc), '-n', hostNs]);
    await apply('host', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: hostName('ghost', ns, vc),
        namespace: hostNs,
        labels: { 'vcluster.loft.sh/managed-by': vc, 'vcluster.loft.sh/namespace': ns },
        annotations: {
          'vcluster.loft.sh/object-name': 'ghost',
          'vcluster.loft.sh/object-namespace': ns,
          'vcluster.loft.sh/object-kind': '/v1, Kind=ConfigMap',
          'vcluster.loft.sh/object-uid': '00000000-0000-0000-0000-000000000000',
        },
      },
      data: { key: 'nobody' },
    });
    await mustKubectl('host', [
      'patch',
      'configmap',
      hostName('edited', ns, vc),
      '-n',
      hostNs,
      '--type=merge',
      '-p',
      '{"data":{"key":"changed by hand"}}',
    ]);
    const r = await runCheck();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.report!.agree).toBe(false);
    expect(mine(r.report!)).toEqual([
      ['configmaps', 'missing', `${ns}/app-config`],
      ['configmaps', 'orphaned', `${ns}/ghost`],
      ['configmaps', 'stale', `${ns}/edited`],
    ]);
    expect(r.report!.totals).toMatchObject({ missing: 1, orphaned: 1, stale: 1, duplicated: 0 });
    expect(r.report!.differences.find((d) => d.category === 'stale')!.detail).toBe('host data differs');
  }, 60_000);

  it('exits 0 again once a restarted syncer has repaired all three', async () => {
    syncer = await startSyncer({ name: vc, hostNamespace: hostNs });
    const report = await agreeing();
    expect(report.agree).toBe(true);
    const copy = await getObject<{ data: { key: string } }>('host', [
      'configmap',
      hostName('edited', ns, vc),
      '-n',
      hostNs,
    ]);
    expect(copy?.data.key).toBe('b');
    expect(await getObject('host', ['configmap', hostName('ghost', ns, vc), '-n', hostNs])).toBeUndefined();
  }, 240_000);
});
