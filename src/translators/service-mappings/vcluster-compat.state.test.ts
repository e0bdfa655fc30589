import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../../testing/state-table.ts';

/**
 * What vCluster's own e2e suite observes of replicated Services (test_servicesync.go, the start-up
 * cleanup of pkg/setup), and what becomes of the replicas vCluster leaves behind.
 */
const start = stateTables();

const SVC = Resources.services;
const EP = Resources.endpoints;
const NS = Resources.namespaces;
const VCLUSTER_LABEL = { 'vcluster.loft.sh/controlled-by': 'vcluster' };

const postgres: KubeObject = {
  metadata: { name: 'postgres', namespace: 'shared' },
  spec: {
    type: 'ClusterIP',
    clusterIP: '10.96.5.5',
    clusterIPs: ['10.96.5.5', 'fd00::5'],
    ipFamilies: ['IPv4', 'IPv6'],
    ports: [{ name: 'sql', port: 5432, targetPort: 15432, protocol: 'TCP' }],
    selector: { app: 'postgres' },
  },
};

/** The replica vCluster makes of postgres at team/db: the label, headless, no selector. */
const vclusterReplica: KubeObject = {
  metadata: { name: 'db', namespace: 'team', uid: 'left-by-vcluster', labels: { ...VCLUSTER_LABEL } },
  spec: { type: 'ClusterIP', clusterIP: 'None', ports: [{ name: 'sql', port: 5432, protocol: 'TCP' }] },
};
const vclusterEndpoints: KubeObject = {
  metadata: { name: 'db', namespace: 'team', labels: { ...VCLUSTER_LABEL } },
  subsets: [{ addresses: [{ ip: '10.96.0.99' }], ports: [{ name: 'sql', port: 5432, protocol: 'TCP' }] }],
};

/** vCluster's e2e init manifest: a labelled Service no fromHost mapping targets. */
const cleanupService = (labels: Record<string, string> = VCLUSTER_LABEL): KubeObject => ({
  metadata: { name: 'test-replicated-service-cleanup', namespace: 'default', labels },
  spec: {
    clusterIP: '10.96.1.40',
    selector: { app: 'fake-app' },
    ports: [{ name: 'tcp', port: 8080, targetPort: 8080, protocol: 'TCP' }],
  },
});

const find = (objects: KubeObject[], name: string) => objects.find((o) => o.metadata?.name === name);
const virtualDb = (t: StateTable) => find(t.virtual.objects(SVC, 'team'), 'db');
const virtualDbEndpoints = (t: StateTable) => find(t.virtual.objects(EP, 'team'), 'db');
const cleanupTarget = (t: StateTable) =>
  find(t.virtual.objects(SVC, 'default'), 'test-replicated-service-cleanup');
const events = (t: StateTable, ns: string, reason: string) =>
  t.virtual
    .objects(Resources.events, ns)
    .filter((e) => e.reason === reason)
    .map((e) => String(e.message));
const nonEventWrites = (t: StateTable) => t.virtual.writeLog().filter((w) => !w.includes(' events '));

async function fromHost(opts: { host?: Seed[]; virtual?: Seed[]; kinds?: string[] } = {}) {
  const table = await start({
    kinds: opts.kinds ?? ['mapped-host-services'],
    flags: { mapHostService: ['shared/postgres=team/db'] },
    host: opts.host ?? [[SVC, postgres]],
    virtual: opts.virtual,
  });
  await table.settle();
  return table;
}

describe('replicated Services as vCluster labels and fills them', () => {
  it('the virtual replica and its Endpoints carry vcluster.loft.sh/controlled-by: vcluster, beside the syncer marks', async () => {
    const table = await fromHost();
    for (const obj of [virtualDb(table), virtualDbEndpoints(table)])
      expect(obj?.metadata?.labels).toEqual({ 'vsyncer.dev/managed': 'true', ...VCLUSTER_LABEL });
    expect(virtualDb(table)?.metadata?.annotations?.['vcluster.loft.sh/controlled-by']).toBe(
      'mapped-host-services',
    );
  });

  it("the Endpoints hold one address, the host Service's spec.clusterIP (a dual-stack Service's primary family)", async () => {
    const table = await fromHost();
    expect(virtualDbEndpoints(table)!.subsets).toEqual([
      { addresses: [{ ip: '10.96.5.5' }], ports: [{ name: 'sql', port: 5432, protocol: 'TCP' }] },
    ]);
  });

  it('a replica made before the label was added gets it, in place', async () => {
    const old = await fromHost();
    const unlabelled = (o: KubeObject): KubeObject => ({
      ...o,
      metadata: { ...o.metadata, labels: { 'vsyncer.dev/managed': 'true' } },
    });
    const table = await fromHost({
      virtual: [
        [NS, { metadata: { name: 'team' } }],
        [SVC, unlabelled(virtualDb(old)!)],
        [EP, unlabelled(virtualDbEndpoints(old)!)],
      ],
    });
    expect(virtualDb(table)?.metadata?.labels).toMatchObject(VCLUSTER_LABEL);
    expect(virtualDbEndpoints(table)?.metadata?.labels).toMatchObject(VCLUSTER_LABEL);
    expect(nonEventWrites(table)).toEqual(['update services team/db', 'update endpoints team/db']);
  });

  it('the label keeps the services and endpoints kinds away: nothing is copied to the host', async () => {
    const table = await fromHost({
      host: [
        [SVC, postgres],
        [
          SVC,
          {
            metadata: { name: VC, namespace: HOST_NS },
            spec: { clusterIP: '10.96.0.50', ports: [{ port: 443 }] },
          },
        ],
      ],
      kinds: ['mapped-host-services', 'services', 'endpoints'],
    });
    expect(virtualDb(table)?.metadata?.labels).toMatchObject(VCLUSTER_LABEL);
    expect(table.host.writeLog()).toEqual([]);
  });
});

describe('replicas vCluster left, after a migration', () => {
  it('at a mapped name: taken over in place (same object), its Endpoints too, and the tenant told', async () => {
    const table = await fromHost({
      virtual: [
        [NS, { metadata: { name: 'team' } }],
        [SVC, vclusterReplica],
        [EP, vclusterEndpoints],
      ],
    });
    const db = virtualDb(table)!;
    expect(db.metadata?.uid).toBe('left-by-vcluster');
    expect(db.metadata?.labels).toEqual({ 'vsyncer.dev/managed': 'true', ...VCLUSTER_LABEL });
    expect(db.metadata?.annotations).toMatchObject({
      'vcluster.loft.sh/controlled-by': 'mapped-host-services',
      'vcluster.loft.sh/object-host-namespace': 'shared',
      'vcluster.loft.sh/object-host-name': 'postgres',
    });
    expect(virtualDbEndpoints(table)).toMatchObject({
      metadata: { labels: { 'vsyncer.dev/managed': 'true', ...VCLUSTER_LABEL } },
      subsets: [{ addresses: [{ ip: '10.96.5.5' }] }],
    });
    expect(nonEventWrites(table)).toEqual(['update services team/db', 'update endpoints team/db']);
    expect(events(table, 'team', 'ReplicaTakenOver')).toEqual([
      expect.stringContaining('replica of the host Service shared/postgres'),
    ]);
    // Taken over, it is this syncer's replica: it goes with its host Service.
    await table.host.delete(SVC, 'shared', 'postgres');
    await table.settle();
    expect(virtualDb(table)).toBeUndefined();
    expect(virtualDbEndpoints(table)).toBeUndefined();
  });

  it("a labelled Service with a selector at a mapped name is the tenant's, not vCluster's: never touched, the mapping waits", async () => {
    const own: KubeObject = {
      metadata: { name: 'db', namespace: 'team', labels: { ...VCLUSTER_LABEL, app: 'mine' } },
      spec: { clusterIP: '10.96.1.9', selector: { app: 'mine' }, ports: [{ port: 80 }] },
    };
    const table = await fromHost({
      virtual: [
        [NS, { metadata: { name: 'team' } }],
        [SVC, own],
      ],
    });
    expect(virtualDb(table)?.spec).toMatchObject({ clusterIP: '10.96.1.9', selector: { app: 'mine' } });
    expect(nonEventWrites(table)).toEqual([]);
    // Once the tenant deletes it, the replica is made.
    await table.virtual.delete(SVC, 'team', 'db');
    await table.settle();
    expect(virtualDb(table)?.spec).toMatchObject({ clusterIP: 'None' });
  });

  it('at a mapped name whose host Service is gone: deleted with its Endpoints, as vCluster does', async () => {
    const table = await fromHost({
      host: [],
      virtual: [
        [NS, { metadata: { name: 'team' } }],
        [SVC, vclusterReplica],
        [EP, vclusterEndpoints],
      ],
    });
    expect(virtualDb(table)).toBeUndefined();
    expect(virtualDbEndpoints(table)).toBeUndefined();
    expect(events(table, 'team', 'ReplicaDeleted')).toEqual([expect.stringContaining('shared/postgres')]);
  });
});

describe("vCluster's start-up cleanup: labelled Services no mapping targets", () => {
  it("vCluster's e2e init manifest: deleted at start, and the tenant told why", async () => {
    const table = await fromHost({ virtual: [[SVC, cleanupService()]] });
    expect(cleanupTarget(table)).toBeUndefined();
    expect(virtualDb(table)).toBeDefined();
    expect(events(table, 'default', 'ReplicaDeleted')).toEqual([
      expect.stringContaining('no Service mapping'),
    ]);
  });

  it('one appearing later (a restored backup, a re-applied manifest) goes too', async () => {
    const table = await fromHost();
    await table.virtual.create(SVC, 'default', cleanupService());
    await table.settle();
    expect(cleanupTarget(table)).toBeUndefined();
  });

  it('with no mapping at all, and whatever else the virtual cluster holds', async () => {
    const table = await start({
      kinds: ['mapped-host-services'],
      virtual: [[SVC, cleanupService()]],
    });
    await table.settle();
    expect(cleanupTarget(table)).toBeUndefined();
    expect(table.host.writeLog()).toEqual([]);
  });

  it('kept: another controlled-by value (another tool), no label, the label as an annotation only', async () => {
    const annotated = cleanupService({});
    annotated.metadata!.name = 'annotated';
    annotated.metadata!.annotations = { ...VCLUSTER_LABEL };
    const unlabelled = cleanupService({ app: 'x' });
    unlabelled.metadata!.name = 'unlabelled';
    const table = await fromHost({
      virtual: [
        [SVC, cleanupService({ 'vcluster.loft.sh/controlled-by': 'argo' })],
        [SVC, annotated],
        [SVC, unlabelled],
      ],
    });
    expect(
      table.virtual
        .objects(SVC, 'default')
        .map((s) => s.metadata?.name)
        .sort(),
    ).toEqual(['annotated', 'test-replicated-service-cleanup', 'unlabelled']);
    expect(nonEventWrites(table).filter((w) => w.startsWith('delete'))).toEqual([]);
  });
});
