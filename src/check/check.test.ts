import { KubeConfig } from '@kubernetes/client-node';
import { buildConfig, placementOf } from '../config/config.ts';
import type { KubeObject, OwnerReference } from '../kube/object.ts';
import { kubeconfigSecret } from '../kubeconfig-export/secret.ts';
import { Resources } from '../kube/resources.ts';
import {
  MANAGED_BY_LABEL,
  OBJECT_KIND_ANNOTATION,
  OBJECT_NAME_ANNOTATION,
  OBJECT_NAMESPACE_ANNOTATION,
  OBJECT_UID_ANNOTATION,
} from '../naming/labels.ts';
import { FakeCluster } from '../testing/fake-cluster.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../testing/state-table.ts';
import { builtinKinds } from '../translators/index.ts';
import { agrees, checkClusters, type CheckReport, type KindReport } from './check.ts';
import { CHECK_AGREE, CHECK_DIFFER, CHECK_ERROR, runCheck } from './command.ts';
import { ListOnlyClient, ReadOnlyError, readOnlyRestClient } from './read-only.ts';
import { formatTable, toJson } from './report.ts';

const start = stateTables();
const KINDS = ['configmaps', 'secrets', 'services', 'pods', 'events'];
const hostName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;

function configFor(kinds: readonly string[], flags: Record<string, unknown> = {}) {
  return buildConfig(
    {},
    {
      name: VC,
      hostNamespace: HOST_NS,
      virtualKubeconfig: '/dev/null',
      // Only these kinds: the defaults off, each named one on.
      sync: [
        ...builtinKinds()
          .defaults()
          .map((k) => `-${k}`),
        ...kinds,
      ],
      ...flags,
    },
  );
}

function kindsFor(kinds: readonly string[], flags: Record<string, unknown> = {}) {
  const config = configFor(kinds, flags);
  return builtinKinds(config.customResources).build(
    new Set(kinds),
    config as unknown as Record<string, unknown>,
    placementOf(config),
  );
}

/** A tenant namespace with a pod that uses a config map and a secret, a Service, and an unused config map. */
const seeds: { virtual: Seed[]; host: Seed[] } = {
  virtual: [
    [
      Resources.services,
      { metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { clusterIP: '10.96.0.10' } },
    ],
    [Resources.namespaces, { metadata: { name: 'team' } }],
    [Resources.configMaps, { metadata: { name: 'cfg', namespace: 'team' }, data: { a: '1' } }],
    [Resources.configMaps, { metadata: { name: 'unused', namespace: 'team' }, data: { b: '2' } }],
    [Resources.secrets, { metadata: { name: 'sec', namespace: 'team' }, data: { k: 'dg==' } }],
    [
      Resources.services,
      {
        metadata: { name: 'web', namespace: 'team' },
        spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
      },
    ],
    [
      Resources.pods,
      {
        metadata: { name: 'web', namespace: 'team', labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'main', image: 'app:1', envFrom: [{ secretRef: { name: 'sec' } }] }],
          volumes: [{ name: 'c', configMap: { name: 'cfg' } }],
        },
        status: { phase: 'Pending' },
      },
    ],
  ],
  host: [
    [
      Resources.services,
      {
        metadata: { name: VC, namespace: HOST_NS },
        spec: { clusterIP: '10.96.0.50', ports: [{ port: 443 }] },
      },
    ],
  ],
};

/** The syncer's kinds between two fake clusters, run until nothing more happens. */
async function converged(owner?: OwnerReference): Promise<StateTable> {
  const t = await start({ kinds: KINDS, ...seeds, owner });
  await t.settle();
  // The syncer stops: what the tests then change on purpose stays changed.
  await t.stop();
  return t;
}

async function check(
  t: StateTable,
  now = t.clock.now(),
  kinds: readonly string[] = KINDS,
): Promise<CheckReport> {
  const before = [t.virtual.writes.length, t.host.writes.length];
  const report = await checkClusters({
    kinds: kindsFor(kinds),
    vcName: VC,
    hostNamespace: HOST_NS,
    virtual: t.virtual,
    host: t.host,
    now: () => now,
  });
  // The check only reads.
  expect([t.virtual.writes.length, t.host.writes.length]).toEqual(before);
  return report;
}

const kind = (r: CheckReport, name: string): KindReport => r.kinds.find((k) => k.kind === name)!;
const counts = (k: KindReport) => [k.missing, k.orphaned, k.duplicated, k.stale];
const hostCopy = (t: StateTable, type = Resources.configMaps, name = hostName('cfg')) =>
  t.host.get(type, HOST_NS, name);

/** A host config map whose metadata says it is this virtual cluster's copy of team/<name>. */
function claimingCopy(name: string, claims: string, uid = 'uid-gone'): KubeObject {
  return {
    metadata: {
      name,
      namespace: HOST_NS,
      labels: { [MANAGED_BY_LABEL]: VC },
      annotations: {
        [OBJECT_NAME_ANNOTATION]: claims,
        [OBJECT_NAMESPACE_ANNOTATION]: 'team',
        [OBJECT_KIND_ANNOTATION]: '/v1, Kind=ConfigMap',
        [OBJECT_UID_ANNOTATION]: uid,
      },
    },
    data: { a: '1' },
  };
}

describe('vsyncer check', () => {
  it('finds the clusters in agreement once the syncer converged, and counts what it checked', async () => {
    const t = await converged();
    const r = await check(t);
    expect(r.kinds.flatMap((k) => k.differences)).toEqual([]);
    expect(agrees(r)).toBe(true);
    // cfg, unused and kube-root-ca-less team: both config maps are looked at; only cfg is wanted.
    expect(kind(r, 'configmaps')).toMatchObject({ target: 'host', checked: 2, missing: 0, stale: 0 });
    expect(kind(r, 'pods')).toMatchObject({ checked: 1, stale: 0 });
    expect(kind(r, 'services').checked).toBe(2); // web, and kube-system/kube-dns
    expect(kind(r, 'events').notChecked).toMatch(/never reads them back/);
    expect(formatTable(r)).toContain('the clusters agree');
  });

  it('counts neither the owner references of --set-owner nor the exported kubeconfig Secret as differences', async () => {
    const owner: OwnerReference = {
      apiVersion: 'v1',
      kind: 'Service',
      name: VC,
      uid: 'svc-uid',
      controller: false,
    };
    const t = await converged(owner);
    expect((await hostCopy(t)).metadata?.ownerReferences).toEqual([owner]);
    expect((await hostCopy(t, Resources.pods, hostName('web'))).metadata?.ownerReferences).toEqual([owner]);
    // What --kubeconfig-secret writes: no managed-by label, so no kind takes it for a copy or an orphan.
    const exported = kubeconfigSecret({
      name: `vc-${VC}`,
      namespace: HOST_NS,
      vcName: VC,
      data: { config: 'YQ==' },
    });
    t.host.seed(Resources.secrets, {
      ...exported,
      metadata: { ...exported.metadata, ownerReferences: [owner] },
    });
    const r = await check(t);
    expect(r.kinds.flatMap((k) => k.differences)).toEqual([]);
    expect(kind(r, 'secrets').checked).toBe(1);
  });

  it('reports a host copy deleted by hand as missing, and an unreferenced config map as nothing', async () => {
    const t = await converged();
    await t.host.delete(Resources.configMaps, HOST_NS, hostName('cfg'));
    const r = await check(t, t.clock.now() + 90_000);
    expect(counts(kind(r, 'configmaps'))).toEqual([1, 0, 0, 0]);
    expect(kind(r, 'configmaps').differences[0]).toMatchObject({
      category: 'missing',
      key: 'team/cfg',
      target: `${HOST_NS}/${hostName('cfg')}`,
    });
    expect(agrees(r)).toBe(false);
    // The age runs from the virtual object's creation (the fake clock's start).
    expect((toJson(r) as { kinds: { kind: string; oldestAgeSeconds: number }[] }).kinds).toContainEqual(
      expect.objectContaining({ kind: 'configmaps', oldestAgeSeconds: 90 }),
    );
  });

  it('reports a host object that claims a virtual object that does not exist, or an earlier incarnation, as orphaned', async () => {
    const t = await converged();
    await t.host.create(Resources.configMaps, HOST_NS, claimingCopy(hostName('ghost'), 'ghost'));
    const cfg = await hostCopy(t);
    await t.host.update(Resources.configMaps, HOST_NS, {
      ...cfg,
      metadata: {
        ...cfg.metadata,
        annotations: { ...cfg.metadata!.annotations, [OBJECT_UID_ANNOTATION]: 'old' },
      },
    });
    const r = await check(t, t.clock.now() + 5_000);
    const configMaps = kind(r, 'configmaps');
    expect(counts(configMaps)).toEqual([0, 2, 0, 0]);
    expect(configMaps.differences.map((d) => [d.key, d.detail])).toEqual([
      ['team/cfg', expect.stringContaining('records virtual UID old')],
      ['team/ghost', expect.stringContaining('does not exist')],
    ]);
    expect(configMaps.differences.find((d) => d.key === 'team/ghost')!.since).toBe(t.clock.now());
  });

  it('does not count a copy kept for a host pod that still mounts it as orphaned, and does once that pod is gone', async () => {
    const t = await converged();
    // The tenant deletes a config map its running pod mounts: the syncer keeps the host copy for the pod.
    await t.virtual.delete(Resources.configMaps, 'team', 'cfg');
    expect(await hostCopy(t)).toBeDefined();
    expect(counts(kind(await check(t), 'configmaps'))).toEqual([0, 0, 0, 0]);
    // No host pod mounts it any more: the copy left behind is an orphan.
    await t.host.delete(Resources.pods, HOST_NS, hostName('web'));
    const configMaps = kind(await check(t), 'configmaps');
    expect(counts(configMaps)).toEqual([0, 1, 0, 0]);
    expect(configMaps.differences[0]).toMatchObject({
      key: 'team/cfg',
      detail: expect.stringContaining('does not exist'),
    });
  });

  it('reports two host objects claiming one virtual object as duplicated', async () => {
    const t = await converged();
    const uid = (await t.virtual.get(Resources.configMaps, 'team', 'cfg')).metadata!.uid;
    await t.host.create(Resources.configMaps, HOST_NS, claimingCopy('cfg-second-copy', 'cfg', uid));
    const r = await check(t);
    expect(counts(kind(r, 'configmaps'))).toEqual([0, 0, 1, 0]);
    expect(kind(r, 'configmaps').differences[0]!.detail).toContain('cfg-second-copy');
  });

  it('reports a hand-edited host copy and a status not carried back as stale', async () => {
    const t = await converged();
    const cfg = await hostCopy(t);
    await t.host.update(Resources.configMaps, HOST_NS, { ...cfg, data: { a: 'edited' } });
    const pod = await t.host.get(Resources.pods, HOST_NS, hostName('web'));
    await t.host.update(
      Resources.pods,
      HOST_NS,
      { ...pod, status: { phase: 'Running' } },
      { subresource: 'status' },
    );
    const r = await check(t);
    expect(counts(kind(r, 'configmaps'))).toEqual([0, 0, 0, 1]);
    expect(kind(r, 'configmaps').differences[0]!.detail).toBe('host data differs');
    expect(counts(kind(r, 'pods'))).toEqual([0, 0, 0, 1]);
    expect(kind(r, 'pods').differences[0]!.detail).toMatch(/virtual status differs .*Pending vs Running/);
    expect(kind(r, 'secrets').stale).toBe(0);
  });

  it('checks the replicas of mapped host ConfigMaps: in agreement, then one edited by hand stale, one deleted missing', async () => {
    const flags = { mapHostConfigmap: ['shared/*=team/*'] };
    const t = await start({
      kinds: ['mapped-host-configmaps'],
      flags,
      host: [
        [Resources.configMaps, { metadata: { name: 'a', namespace: 'shared' }, data: { k: '1' } }],
        [Resources.configMaps, { metadata: { name: 'b', namespace: 'shared' }, data: { k: '2' } }],
      ],
    });
    await t.settle();
    await t.stop();
    const run = () =>
      checkClusters({
        kinds: kindsFor(['mapped-host-configmaps'], flags),
        vcName: VC,
        hostNamespace: HOST_NS,
        virtual: t.virtual,
        host: t.host,
      });
    expect(counts(kind(await run(), 'mapped-host-configmaps'))).toEqual([0, 0, 0, 0]);
    const a = await t.virtual.get(Resources.configMaps, 'team', 'a');
    await t.virtual.update(Resources.configMaps, 'team', { ...a, data: { k: 'edited' } });
    await t.virtual.delete(Resources.configMaps, 'team', 'b');
    const r = kind(await run(), 'mapped-host-configmaps');
    expect(counts(r)).toEqual([1, 0, 0, 1]);
    expect(r.differences.map((d) => d.detail)).toContain('virtual data differs');
    // A mapping since changed: its replica is orphaned, and counted in its own namespace only.
    const moved = (namespaces: string[]) =>
      checkClusters({
        kinds: kindsFor(['mapped-host-configmaps'], { mapHostConfigmap: ['shared/*=elsewhere/*'] }),
        vcName: VC,
        hostNamespace: HOST_NS,
        virtual: t.virtual,
        host: t.host,
        namespaces,
      });
    expect(kind(await moved(['team']), 'mapped-host-configmaps').orphaned).toBe(1);
    expect(kind(await moved(['other']), 'mapped-host-configmaps').orphaned).toBe(0);
  });

  it('says staleness is not checked for kinds that cannot compute their desired object purely', async () => {
    const t = await start({ kinds: ['nodes'], virtual: [] });
    const r = await check(t, t.clock.now(), ['nodes']);
    expect(kind(r, 'nodes')).toMatchObject({ source: 'host', target: 'virtual', stale: undefined });
    expect(formatTable(r)).toMatch(/nodes\s+virtual\s+0\s+0\s+0\s+0\s+not checked/);
    expect((toJson(r) as { kinds: unknown[] }).kinds[0]).toMatchObject({ stale: null, staleChecked: false });
  });

  it('exits 0 when the clusters agree, 1 when they differ, and prints JSON with -o json', async () => {
    const t = await converged();
    const config = configFor(KINDS);
    let out = '';
    const io = { out: (s: string) => (out += s), err: () => {} };
    expect(await runCheck(config, 'json', io, { host: t.host, virtual: t.virtual })).toBe(CHECK_AGREE);
    expect(JSON.parse(out)).toMatchObject({ agree: true, totals: { missing: 0, orphaned: 0 } });
    await t.host.delete(Resources.secrets, HOST_NS, hostName('sec'));
    out = '';
    expect(await runCheck(config, 'table', io, { host: t.host, virtual: t.virtual })).toBe(CHECK_DIFFER);
    expect(out).toContain('secrets missing team/sec');
    expect(out).toContain('the clusters differ: 1 missing, 0 orphaned, 0 duplicated, 0 stale');
  });

  it('--namespace checks only those virtual namespaces', async () => {
    const t = await converged();
    await t.host.delete(Resources.secrets, HOST_NS, hostName('sec'));
    const io = { out: () => {}, err: () => {} };
    const config = configFor(KINDS);
    const clients = { host: t.host, virtual: t.virtual };
    expect(await runCheck(config, 'table', io, clients, ['elsewhere'])).toBe(CHECK_AGREE);
    expect(await runCheck(config, 'table', io, clients, ['team'])).toBe(CHECK_DIFFER);
  });

  it('exits 2 naming the cluster and the list when an API server refuses a list', async () => {
    const t = await converged();
    t.host.failNext('list', 'pods', 'forbidden');
    let err = '';
    const code = await runCheck(
      configFor(KINDS),
      'table',
      { out: () => {}, err: (s) => (err += s) },
      { host: t.host, virtual: t.virtual },
    );
    expect(code).toBe(CHECK_ERROR);
    expect(err).toMatch(/^error: cannot check the clusters: host: list pods in host-ns/);
  });
});

describe('the clients of vsyncer check', () => {
  it('refuses every write in the REST client before anything is sent', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'c', server: 'http://127.0.0.1:9' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const client = readOnlyRestClient({
      name: 'host',
      kubeConfig,
      qps: 100,
      burst: 100,
      requestTimeoutMs: 1000,
    });
    const cm = { metadata: { name: 'x', namespace: 'n' } };
    await expect(client.create(Resources.configMaps, 'n', cm)).rejects.toBeInstanceOf(ReadOnlyError);
    await expect(client.update(Resources.configMaps, 'n', cm)).rejects.toBeInstanceOf(ReadOnlyError);
    await expect(client.patch(Resources.configMaps, 'n', 'x', {}, 'merge')).rejects.toBeInstanceOf(
      ReadOnlyError,
    );
    await expect(client.delete(Resources.configMaps, 'n', 'x')).rejects.toBeInstanceOf(ReadOnlyError);
  });

  it('refuses writes in the list-only wrapper too, and remembers when listed objects last changed', async () => {
    const cluster = new FakeCluster('host');
    cluster.seed(Resources.configMaps, {
      metadata: {
        name: 'x',
        namespace: 'n',
        uid: 'u1',
        creationTimestamp: '2026-01-01T00:00:00Z',
        managedFields: [{ manager: 'kubectl', time: '2026-01-02T00:00:00Z' }],
      },
    });
    const client = new ListOnlyClient(cluster);
    const [listed] = (await client.list(Resources.configMaps, 'n')).items;
    expect(client.lastChange(listed!)).toBe(Date.parse('2026-01-02T00:00:00Z'));
    await expect(client.create(Resources.configMaps, 'n', listed!)).rejects.toBeInstanceOf(ReadOnlyError);
    await expect(client.delete(Resources.configMaps, 'n', 'x')).rejects.toBeInstanceOf(ReadOnlyError);
    expect(cluster.writes).toEqual([]);
  });

  it("host-priorityclasses: the host's system- classes are the virtual API server's own there, neither missing nor tried", async () => {
    const PC = Resources.priorityClasses;
    const critical = { metadata: { name: 'system-cluster-critical' }, value: 2000000000 };
    const t = await start({
      kinds: ['host-priorityclasses'],
      host: [[PC, critical]],
      virtual: [[PC, critical]],
    });
    await t.settle();
    const report = await check(t, t.clock.now(), ['host-priorityclasses']);
    expect(counts(kind(report, 'host-priorityclasses'))).toEqual([0, 0, 0, 0]);
  });
});
