import { waitFor } from '../test/harness/clusters.ts';
import { apply, createTenantNamespace, getObject, mustKubectl } from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

interface ServiceLite {
  metadata: {
    name: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    type?: string;
    clusterIP?: string;
    selector?: Record<string, string>;
    ports?: { name?: string; port: number; targetPort?: number | string }[];
  };
}
interface EndpointsLite {
  metadata?: { labels?: Record<string, string> };
  subsets?: { addresses?: { ip: string }[]; ports?: { port: number }[] }[];
}

const vc = uniqueName('map');
const hostNs = `host-${vc}`;
/** A host namespace of the host's own, with a shared database Service. */
const sharedNs = uniqueName('shared');
/** The virtual namespace the host Service appears in: made by the syncer, not by the test. */
const appNs = uniqueName('app');
/** A tenant namespace whose Service is replicated on the host. */
const webNs = uniqueName('web');
const hostReplica = `${vc}-web`;
/** vCluster marks every replica it makes with this label (and the syncer does as well). */
const VCLUSTER_LABEL = { 'vcluster.loft.sh/controlled-by': 'vcluster' };
/** As vCluster's e2e init manifest: a labelled Service no mapping targets, there before the syncer. */
const leftover = uniqueName('test-replicated-service-cleanup');
let syncer: SyncerProcess;
/** The UID of vCluster's replica made before the syncer started: taken over, it keeps it. */
let leftReplicaUid: string | undefined;

/** A Service in the virtual `default` namespace, as vCluster's e2e init manifest writes it. */
const labelledService = (name: string, labels: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default', labels },
  spec: { selector: { app: 'fake-app' }, ports: [{ name: 'tcp', port: 8080, targetPort: 8080 }] },
});

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  await mustKubectl('host', ['create', 'namespace', sharedNs]);
  await apply('host', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'postgres', namespace: sharedNs },
    spec: { selector: { app: 'postgres' }, ports: [{ name: 'sql', port: 5432, targetPort: 15432 }] },
  });
  await apply('host', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'cache', namespace: sharedNs },
    spec: { selector: { app: 'cache' }, ports: [{ name: 'redis', port: 6379 }] },
  });
  await createTenantNamespace(webNs);
  // What vCluster leaves in the virtual cluster before a migration: its replica of a mapping the
  // syncer takes on (headless, labelled, with its Endpoints), and one of a mapping since removed.
  await apply('virtual', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'cache', namespace: webNs, labels: VCLUSTER_LABEL },
    spec: { clusterIP: 'None', ports: [{ name: 'redis', port: 6379 }] },
  });
  await apply('virtual', {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'cache', namespace: webNs, labels: VCLUSTER_LABEL },
    subsets: [{ addresses: [{ ip: '10.96.0.99' }], ports: [{ name: 'redis', port: 6379 }] }],
  });
  leftReplicaUid = (await getObject<ServiceLite>('virtual', ['service', 'cache', '-n', webNs]))?.metadata.uid;
  await apply('virtual', labelledService(leftover, VCLUSTER_LABEL));
  syncer = await startFirstSyncer();
}, 180_000);

/** This file's syncer: the mappings every test but the two-cluster one reads. */
const startFirstSyncer = () =>
  startSyncer({
    name: vc,
    hostNamespace: hostNs,
    args: [
      `--map-host-service=${sharedNs}/postgres=${appNs}/db`,
      `--map-host-service=${sharedNs}/cache=${webNs}/cache`,
      `--map-virtual-service=${webNs}/web=${hostReplica}`,
    ],
  });

afterAll(async () => {
  await mustKubectl('virtual', ['delete', 'namespace', appNs, webNs, '--wait=false']).catch(() => undefined);
  await mustKubectl('virtual', ['delete', 'service', '-n', 'default', leftover, '--ignore-not-found']).catch(
    () => undefined,
  );
  await syncer?.stop();
  await mustKubectl('host', ['delete', 'namespace', sharedNs, '--wait=false']).catch(() => undefined);
});

describe('Service mappings (vCluster replicateServices)', () => {
  it("a host Service of another namespace appears in the virtual cluster, its endpoints the host Service's cluster IP", async () => {
    const host = (await getObject<ServiceLite>('host', ['service', 'postgres', '-n', sharedNs]))!;
    const replica = await waitFor(
      'the virtual replica of the host Service',
      () => getObject<ServiceLite>('virtual', ['service', 'db', '-n', appNs]),
      60_000,
    );
    expect(replica.spec).toMatchObject({
      clusterIP: 'None',
      ports: [{ name: 'sql', port: 5432, targetPort: 5432 }],
    });
    // Labelled as vCluster labels its replicas.
    expect(replica.metadata.labels).toMatchObject(VCLUSTER_LABEL);
    const endpoints = await waitFor(
      'the endpoints of the virtual replica',
      () => getObject<EndpointsLite>('virtual', ['endpoints', 'db', '-n', appNs]),
      60_000,
    );
    // One address, the host Service's spec.clusterIP, as vCluster's e2e suite expects.
    expect(endpoints.subsets).toEqual([
      expect.objectContaining({
        addresses: [{ ip: host.spec.clusterIP }],
        ports: [expect.objectContaining({ port: 5432 })],
      }),
    ]);
    expect(endpoints.metadata?.labels).toMatchObject(VCLUSTER_LABEL);
    // The virtual cluster mirrors the Endpoints into an EndpointSlice (what its DNS serves); neither
    // the replica nor its endpoints are copied back down to the host.
    await waitFor(
      'the mirrored EndpointSlice',
      async () => {
        const slices = await getObject<{ items: unknown[] }>('virtual', [
          'endpointslices',
          '-n',
          appNs,
          '-l',
          'kubernetes.io/service-name=db',
        ]);
        return (slices?.items.length ?? 0) > 0;
      },
      60_000,
    );
    const hostServices = await getObject<{ items: ServiceLite[] }>('host', ['services', '-n', hostNs]);
    expect(hostServices!.items.map((s) => s.metadata.name)).not.toContain(`db-x-${appNs}-x-${vc}`);
  }, 120_000);

  it("vCluster's start-up cleanup: a labelled Service no mapping targets is deleted, at start and whenever one appears", async () => {
    await waitFor(
      'the labelled Service made before the syncer started gone',
      async () => (await getObject('virtual', ['service', leftover, '-n', 'default'])) === undefined,
      60_000,
    );
    const later = uniqueName('later-replica');
    const otherTool = uniqueName('other-tool');
    await apply('virtual', labelledService(later, VCLUSTER_LABEL));
    await apply('virtual', labelledService(otherTool, { 'vcluster.loft.sh/controlled-by': 'argo' }));
    try {
      await waitFor(
        'the labelled Service made later gone',
        async () => (await getObject('virtual', ['service', later, '-n', 'default'])) === undefined,
        60_000,
      );
      // Another tool's Service (another controlled-by value) is never the syncer's to delete.
      expect(await getObject('virtual', ['service', otherTool, '-n', 'default'])).toBeDefined();
    } finally {
      await mustKubectl('virtual', [
        'delete',
        'service',
        '-n',
        'default',
        later,
        otherTool,
        '--ignore-not-found',
      ]);
    }
  }, 120_000);

  it("the replica vCluster left at a mapped name is taken over in place, its Endpoints pointed at the host Service's cluster IP", async () => {
    const host = (await getObject<ServiceLite>('host', ['service', 'cache', '-n', sharedNs]))!;
    const taken = await waitFor(
      'the replica taken over',
      async () => {
        const svc = await getObject<ServiceLite>('virtual', ['service', 'cache', '-n', webNs]);
        return svc?.metadata.annotations?.['vcluster.loft.sh/object-host-name'] === 'cache' ? svc : undefined;
      },
      60_000,
    );
    expect(taken.metadata.labels).toMatchObject(VCLUSTER_LABEL);
    expect(taken.metadata.uid).toBe(leftReplicaUid);
    const endpoints = await waitFor(
      "the replica's Endpoints rewritten",
      async () => {
        const ep = await getObject<EndpointsLite>('virtual', ['endpoints', 'cache', '-n', webNs]);
        return ep?.subsets?.[0]?.addresses?.[0]?.ip === host.spec.clusterIP ? ep : undefined;
      },
      60_000,
    );
    expect(endpoints.subsets?.[0]?.addresses).toEqual([{ ip: host.spec.clusterIP }]);
  }, 120_000);

  it("a tenant's Service is replicated in the host namespace under the mapped name, selecting the tenant's pods", async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: webNs },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    });
    const replica = await waitFor(
      'the host replica',
      () => getObject<ServiceLite>('host', ['service', hostReplica, '-n', hostNs]),
      60_000,
    );
    expect(replica.spec.selector).toEqual({
      app: 'web',
      'vcluster.loft.sh/managed-by': vc,
      'vcluster.loft.sh/namespace': webNs,
    });
    expect(replica.spec.ports).toEqual([
      expect.objectContaining({ name: 'http', port: 80, targetPort: 8080 }),
    ]);
    // The Service's own copy is there too.
    await waitFor(
      "the Service's own host copy",
      () => getObject('host', ['service', `web-x-${webNs}-x-${vc}`, '-n', hostNs]),
      60_000,
    );

    await mustKubectl('virtual', ['delete', 'service', 'web', '-n', webNs]);
    await waitFor(
      'the host replica gone',
      async () => (await getObject('host', ['service', hostReplica, '-n', hostNs])) === undefined,
      60_000,
    );
  }, 120_000);

  it('a Service one virtual cluster exposes (toHost) appears in another that maps it (fromHost): how two virtual clusters talk', async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: webNs },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    });
    const exposed = await waitFor(
      'the host replica',
      () => getObject<ServiceLite>('host', ['service', hostReplica, '-n', hostNs]),
      60_000,
    );
    // A second virtual cluster (its own syncer and host namespace) maps it. Both are one virtual
    // cluster here, which no deployment is: each syncer would take the other's virtual replicas for
    // stale ones of its own and delete them. The first stops meanwhile (its host replica stays).
    await syncer.stop();
    const vc2 = uniqueName('map2');
    const otherNs = uniqueName('client');
    await prepareHostNamespace(vc2, `host-${vc2}`);
    const second = await startSyncer({
      name: vc2,
      hostNamespace: `host-${vc2}`,
      args: [`--map-host-service=${hostNs}/${hostReplica}=${otherNs}/web`, '--sync', '-services,-endpoints'],
    });
    try {
      const endpoints = await waitFor(
        "the second virtual cluster's replica and its endpoints",
        () => getObject<EndpointsLite>('virtual', ['endpoints', 'web', '-n', otherNs]),
        60_000,
      );
      expect(endpoints.subsets?.[0]?.addresses).toEqual([{ ip: exposed.spec.clusterIP }]);
    } finally {
      await second.stop();
      await mustKubectl('virtual', ['delete', 'namespace', otherNs, '--wait=false']).catch(() => undefined);
      await mustKubectl('host', ['delete', 'namespace', `host-${vc2}`, '--wait=false']).catch(
        () => undefined,
      );
      syncer = await startFirstSyncer();
      // Its replicas (which the second syncer took for stale ones of its own) are back before the
      // next test reads them.
      await waitFor(
        "the first syncer's replica again",
        async () => (await getObject('virtual', ['endpoints', 'db', '-n', appNs])) !== undefined,
        60_000,
      );
    }
  }, 180_000);

  it('the host Service deleted: its virtual replica goes', async () => {
    await mustKubectl('host', ['delete', 'service', 'postgres', '-n', sharedNs]);
    await waitFor(
      'the virtual replica gone',
      async () => (await getObject('virtual', ['service', 'db', '-n', appNs])) === undefined,
      60_000,
    );
  }, 90_000);
});
