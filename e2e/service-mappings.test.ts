import { waitFor } from '../test/harness/clusters.ts';
import { apply, createTenantNamespace, getObject, mustKubectl } from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

interface ServiceLite {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    type?: string;
    clusterIP?: string;
    selector?: Record<string, string>;
    ports?: { name?: string; port: number; targetPort?: number | string }[];
  };
}
interface EndpointsLite {
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
let syncer: SyncerProcess;

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  await mustKubectl('host', ['create', 'namespace', sharedNs]);
  await apply('host', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'postgres', namespace: sharedNs },
    spec: { selector: { app: 'postgres' }, ports: [{ name: 'sql', port: 5432, targetPort: 15432 }] },
  });
  await createTenantNamespace(webNs);
  syncer = await startSyncer({
    name: vc,
    hostNamespace: hostNs,
    args: [
      `--map-host-service=${sharedNs}/postgres=${appNs}/db`,
      `--map-virtual-service=${webNs}/web=${hostReplica}`,
    ],
  });
}, 180_000);

afterAll(async () => {
  await mustKubectl('virtual', ['delete', 'namespace', appNs, webNs, '--wait=false']).catch(() => undefined);
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
    const endpoints = await waitFor(
      'the endpoints of the virtual replica',
      () => getObject<EndpointsLite>('virtual', ['endpoints', 'db', '-n', appNs]),
      60_000,
    );
    expect(endpoints.subsets).toEqual([
      expect.objectContaining({
        addresses: [{ ip: host.spec.clusterIP }],
        ports: [expect.objectContaining({ port: 5432 })],
      }),
    ]);
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
    // A second virtual cluster (its own syncer and host namespace) maps it.
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
