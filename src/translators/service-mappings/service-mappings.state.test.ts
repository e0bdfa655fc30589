import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../../testing/state-table.ts';
import { hostServiceRefusal } from './replicas.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const SVC = Resources.services;
const EP = Resources.endpoints;
const NS = Resources.namespaces;

function service(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { metadata: { name, namespace, labels: { app: name } }, spec };
}

const postgres = service('shared', 'postgres', {
  type: 'ClusterIP',
  clusterIP: '10.96.5.5',
  clusterIPs: ['10.96.5.5'],
  ports: [{ name: 'sql', port: 5432, targetPort: 15432, protocol: 'TCP' }],
  selector: { app: 'postgres' },
});

const find = (objects: KubeObject[], name: string) => objects.find((o) => o.metadata?.name === name);
const virtualDb = (t: StateTable) => find(t.virtual.objects(SVC, 'team'), 'db');
const virtualDbEndpoints = (t: StateTable) => find(t.virtual.objects(EP, 'team'), 'db');
const syncErrors = (t: StateTable, ns: string) =>
  t.virtual
    .objects(Resources.events, ns)
    .filter((e) => e.reason === 'SyncError')
    .map((e) => String(e.message));

async function fromHost(host: Seed[], opts: { virtual?: Seed[]; kinds?: string[] } = {}) {
  const table = await start({
    kinds: opts.kinds ?? ['mapped-host-services'],
    flags: { mapHostService: ['shared/postgres=team/db'] },
    host,
    virtual: opts.virtual,
  });
  await table.settle();
  return table;
}

describe('mapped-host-services (--map-host-service)', () => {
  it("a host Service appears as a headless virtual Service whose endpoints are the host Service's cluster IP", async () => {
    const table = await fromHost([[SVC, postgres]]);
    expect(table.virtual.objects(NS).map((n) => n.metadata?.name)).toContain('team');
    expect(virtualDb(table)).toMatchObject({
      metadata: {
        labels: { 'vsyncer.dev/managed': 'true' },
        annotations: {
          'vcluster.loft.sh/controlled-by': 'mapped-host-services',
          'vcluster.loft.sh/object-host-name': 'postgres',
          'vcluster.loft.sh/object-host-namespace': 'shared',
        },
      },
      spec: {
        type: 'ClusterIP',
        clusterIP: 'None',
        ports: [{ name: 'sql', port: 5432, targetPort: 5432, protocol: 'TCP' }],
      },
    });
    expect(virtualDbEndpoints(table)!.subsets).toEqual([
      { addresses: [{ ip: '10.96.5.5' }], ports: [{ name: 'sql', port: 5432, protocol: 'TCP' }] },
    ]);
    // Nothing is written to the host.
    expect(table.host.writeLog()).toEqual([]);
  });

  it('host port changes follow; a tenant edit of the endpoints is reverted; the host Service gone, the replica goes', async () => {
    const table = await fromHost([[SVC, postgres]]);
    const host = find(table.host.objects(SVC, 'shared'), 'postgres')!;
    await table.host.update(SVC, 'shared', {
      ...host,
      spec: {
        ...(host.spec as object),
        ports: [{ name: 'sql', port: 6432, targetPort: 15432, protocol: 'TCP' }],
      },
    });
    await table.settle();
    expect(virtualDb(table)!.spec).toMatchObject({ ports: [{ port: 6432, targetPort: 6432 }] });
    expect(virtualDbEndpoints(table)!.subsets).toEqual([
      { addresses: [{ ip: '10.96.5.5' }], ports: [{ name: 'sql', port: 6432, protocol: 'TCP' }] },
    ]);

    const ep = virtualDbEndpoints(table)!;
    await table.virtual.update(EP, 'team', {
      ...ep,
      subsets: [{ addresses: [{ ip: '10.0.0.66' }], ports: [{ port: 6432 }] }],
    });
    await table.settle();
    expect(virtualDbEndpoints(table)!.subsets).toEqual([
      { addresses: [{ ip: '10.96.5.5' }], ports: [{ name: 'sql', port: 6432, protocol: 'TCP' }] },
    ]);

    await table.host.delete(SVC, 'shared', 'postgres');
    await table.settle();
    expect(virtualDb(table)).toBeUndefined();
    expect(virtualDbEndpoints(table)).toBeUndefined();
  });

  it("a headless host Service: the replica's endpoints are the host's addresses, without the host objects they name", async () => {
    const headless = service('shared', 'postgres', {
      clusterIP: 'None',
      ports: [{ port: 5432 }],
      selector: { app: 'pg' },
    });
    const endpoints: KubeObject = {
      metadata: { name: 'postgres', namespace: 'shared' },
      subsets: [
        {
          addresses: [
            {
              ip: '10.244.1.7',
              hostname: 'pg-0',
              nodeName: 'node-a',
              targetRef: { kind: 'Pod', name: 'pg-0', namespace: 'shared' },
            },
          ],
          ports: [{ port: 5432, protocol: 'TCP' }],
        },
      ],
    };
    const table = await fromHost([
      [SVC, headless],
      [EP, endpoints],
    ]);
    expect(virtualDbEndpoints(table)!.subsets).toEqual([
      { addresses: [{ ip: '10.244.1.7', hostname: 'pg-0' }], ports: [{ port: 5432, protocol: 'TCP' }] },
    ]);
  });

  it('a malformed host Service is not replicated, and the process goes on', async () => {
    const table = await fromHost([
      [SVC, service('shared', 'postgres', { clusterIP: '10.96.5.5', ports: [{ port: 'x' }] })],
    ]);
    expect(virtualDb(table)).toBeUndefined();
    expect(table.virtual.writeLog().filter((w) => !w.includes(' events '))).toEqual([]);
  });

  it("a host Service a syncer made (another virtual cluster's copy, whose endpoints its tenant chose) is not replicated", async () => {
    const copy = service('shared', 'postgres', {
      clusterIP: 'None',
      ports: [{ port: 5432, protocol: 'TCP' }],
    });
    copy.metadata!.labels = { 'vcluster.loft.sh/managed-by': 'vc2' };
    const table = await fromHost([
      [SVC, copy],
      [
        EP,
        {
          metadata: { name: 'postgres', namespace: 'shared' },
          subsets: [{ addresses: [{ ip: '203.0.113.7' }] }],
        },
      ],
    ]);
    expect(virtualDb(table)).toBeUndefined();
    expect(virtualDbEndpoints(table)).toBeUndefined();
    expect(hostServiceRefusal(copy)).toContain('a syncer made it');
  });

  it('a Service another virtual cluster exposes (its mapVirtualServices replica) is replicated: how two virtual clusters talk', async () => {
    const exposed = { ...postgres, metadata: { ...postgres.metadata } };
    exposed.metadata!.labels = { 'vcluster.loft.sh/managed-by': 'vc2' };
    exposed.metadata!.annotations = {
      'vcluster.loft.sh/controlled-by': 'mapped-virtual-services',
      'vsyncer.dev/replica-of': 'data/postgres',
    };
    const table = await fromHost([[SVC, exposed]]);
    expect(virtualDb(table)?.spec).toMatchObject({ clusterIP: 'None' });
  });

  it('a replicated host Service that is refused since (a copy of a tenant Service) loses its replica', async () => {
    const table = await fromHost([[SVC, postgres]]);
    expect(virtualDb(table)).toBeDefined();
    const host = table.host.objects(SVC, 'shared')[0]!;
    await table.host.update(SVC, 'shared', {
      ...host,
      metadata: { ...host.metadata, labels: { 'vcluster.loft.sh/managed-by': 'vc2' } },
    });
    await table.settle();
    expect(virtualDb(table)).toBeUndefined();
    expect(virtualDbEndpoints(table)).toBeUndefined();
  });

  it("a tenant's own Service of the mapped name is never touched; once the tenant deletes it, the replica is made", async () => {
    const own = service('team', 'db', {
      clusterIP: '10.96.9.9',
      ports: [{ port: 80 }],
      selector: { app: 'mine' },
    });
    const table = await fromHost([[SVC, postgres]], {
      virtual: [
        [NS, { metadata: { name: 'team' } }],
        [SVC, own],
      ],
    });
    expect(virtualDb(table)!.spec).toMatchObject({ clusterIP: '10.96.9.9', selector: { app: 'mine' } });
    expect(virtualDbEndpoints(table)).toBeUndefined();
    expect(table.virtual.writeLog().filter((w) => !w.includes(' events '))).toEqual([]);
    await table.virtual.delete(SVC, 'team', 'db');
    await table.settle();
    expect(virtualDb(table)!.spec).toMatchObject({ clusterIP: 'None' });
  });

  it('the replica is no tenant Service: the services and endpoints kinds never copy it to the host', async () => {
    const table = await fromHost(
      [
        [SVC, postgres],
        [
          SVC,
          {
            metadata: { name: VC, namespace: HOST_NS },
            spec: { clusterIP: '10.96.0.50', ports: [{ port: 443 }] },
          },
        ],
      ],
      { kinds: ['mapped-host-services', 'services', 'endpoints'] },
    );
    expect(virtualDb(table)).toBeDefined();
    expect(table.host.writeLog()).toEqual([]);
  });

  it('no mapping left: the replica of the last one goes, and no host Service is read', async () => {
    const old = await fromHost([[SVC, postgres]]);
    const table = await start({
      kinds: ['mapped-host-services'],
      host: [[SVC, postgres]],
      virtual: [
        [NS, { metadata: { name: 'team' } }],
        [SVC, virtualDb(old)!],
        [EP, virtualDbEndpoints(old)!],
      ],
    });
    await table.settle();
    expect(virtualDb(table)).toBeUndefined();
    expect(virtualDbEndpoints(table)).toBeUndefined();
    expect(table.writes()).toEqual(['virtual: delete services team/db', 'virtual: delete endpoints team/db']);
  });

  it('a mapping changed: the replica of the old one goes, the new one is made', async () => {
    const old = await fromHost([[SVC, postgres]]);
    const leftover = virtualDb(old)!;
    const leftoverEndpoints = virtualDbEndpoints(old)!;
    const table = await start({
      kinds: ['mapped-host-services'],
      flags: { mapHostService: ['shared/postgres=team/database'] },
      host: [[SVC, postgres]],
      virtual: [
        [NS, { metadata: { name: 'team' } }],
        [SVC, leftover],
        [EP, leftoverEndpoints],
      ],
    });
    await table.settle();
    expect(virtualDb(table)).toBeUndefined();
    expect(virtualDbEndpoints(table)).toBeUndefined();
    expect(find(table.virtual.objects(SVC, 'team'), 'database')).toBeDefined();
  });
});

describe('mapped-virtual-services (--map-virtual-service)', () => {
  const web = service('team', 'web', {
    clusterIP: '10.96.7.7',
    ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30080 }],
    selector: { app: 'web' },
  });
  const replica = (t: StateTable) => find(t.host.objects(SVC, HOST_NS), 'tenant-web');

  async function toHost(virtual: Seed[], host: Seed[] = [], kinds = ['mapped-virtual-services']) {
    const table = await start({
      kinds,
      flags: { mapVirtualService: ['team/web=tenant-web'] },
      virtual,
      host,
    });
    await table.settle();
    return table;
  }

  it("a tenant's Service is replicated in the host namespace under the mapped name, selecting the same host pods", async () => {
    const table = await toHost([[SVC, web]]);
    const host = replica(table)!;
    expect(host).toMatchObject({
      metadata: {
        // Labelled as vCluster labels its replicas (every other kind keeps away); still this kind's
        // own by its annotation (the changes below follow).
        labels: { 'vcluster.loft.sh/managed-by': VC, 'vcluster.loft.sh/controlled-by': 'vcluster' },
        annotations: {
          'vcluster.loft.sh/controlled-by': 'mapped-virtual-services',
          'vsyncer.dev/replica-of': 'team/web',
        },
      },
      spec: {
        type: 'ClusterIP',
        ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
      },
    });
    // The selector is scoped to this virtual cluster and namespace, as the Service's own copy is.
    expect((host.spec as { selector?: unknown }).selector).toEqual({
      app: 'web',
      'vcluster.loft.sh/managed-by': VC,
      'vcluster.loft.sh/namespace': 'team',
    });
    expect(host.metadata?.annotations?.['vcluster.loft.sh/object-name']).toBeUndefined();
  });

  it('beside the services kind: both the copy and the replica exist, and neither kind takes the other', async () => {
    const api: Seed = [
      SVC,
      {
        metadata: { name: VC, namespace: HOST_NS },
        spec: { clusterIP: '10.96.0.50', ports: [{ port: 443 }] },
      },
    ];
    const table = await toHost([[SVC, web]], [api], ['mapped-virtual-services', 'services']);
    const names = table.host
      .objects(SVC, HOST_NS)
      .map((s) => s.metadata?.name)
      .sort();
    expect(names).toEqual([VC, `web-x-team-x-${VC}`, 'tenant-web'].sort());
    const writes = table.host.writeLog().length;
    await table.settle();
    expect(table.host.writeLog()).toHaveLength(writes);
  });

  it("is never taken for the kind that copies Services: an Ingress naming the Service gets the Service's own copy", async () => {
    const table = await start({
      kinds: ['mapped-virtual-services', 'services', 'ingresses'],
      flags: { mapVirtualService: ['team/web=tenant-web'] },
    });
    await table.virtual.create(SVC, 'team', web);
    await table.virtual.create(
      SVC,
      'team',
      service('team', 'other', { ports: [{ port: 80 }], selector: { app: 'o' } }),
    );
    await table.virtual.create(Resources.ingresses, 'team', {
      metadata: { name: 'site', namespace: 'team' },
      spec: {
        rules: [
          {
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'web', port: { number: 80 } } },
                },
                {
                  path: '/o',
                  pathType: 'Prefix',
                  backend: { service: { name: 'other', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    });
    await table.settle();
    const copy = find(table.host.objects(Resources.ingresses, HOST_NS), `site-x-team-x-${VC}`);
    // Both the mapped Service and one no mapping names.
    expect(JSON.stringify(copy?.spec)).toContain(`"name":"web-x-team-x-${VC}"`);
    expect(JSON.stringify(copy?.spec)).toContain(`"name":"other-x-team-x-${VC}"`);
    expect(replica(table)).toBeDefined();
  });

  it('selector and port changes follow; the virtual Service gone, the replica goes', async () => {
    const table = await toHost([[SVC, web]]);
    const v = virtualOf(table);
    await table.virtual.update(SVC, 'team', {
      ...v,
      spec: {
        ...(v.spec as object),
        selector: { app: 'web2' },
        ports: [{ name: 'http', port: 81, targetPort: 8081, protocol: 'TCP' }],
      },
    });
    await table.settle();
    expect(replica(table)!.spec).toMatchObject({
      ports: [{ port: 81, targetPort: 8081 }],
      selector: { app: 'web2' },
    });
    await table.virtual.delete(SVC, 'team', 'web');
    await table.settle();
    expect(replica(table)).toBeUndefined();
  });

  it('a host Service of the mapped name that is not the replica is never touched', async () => {
    const theirs: Seed = [
      SVC,
      {
        metadata: { name: 'tenant-web', namespace: HOST_NS },
        spec: { clusterIP: '10.96.8.8', selector: { app: 'host' } },
      },
    ];
    const table = await toHost([[SVC, web]], [theirs]);
    expect(replica(table)!.spec).toMatchObject({ selector: { app: 'host' } });
    expect(table.host.writeLog()).toEqual([]);
    expect(syncErrors(table, 'team')).toEqual([expect.stringContaining('already exists')]);
  });

  it('a mapping removed: its replica is deleted at the next start (the kind runs without mappings)', async () => {
    const old = await toHost([[SVC, web]]);
    const leftover = replica(old)!;
    const table = await start({
      kinds: ['mapped-virtual-services'],
      virtual: [[SVC, web]],
      host: [[SVC, leftover]],
    });
    await table.settle();
    expect(replica(table)).toBeUndefined();
    expect(table.host.writeLog()).toEqual([`delete services ${HOST_NS}/tenant-web`]);
  });

  it("the tenant's Service loses its selector: the replica, which still reached the old pods, is deleted", async () => {
    const table = await toHost([[SVC, web]]);
    const v = virtualOf(table);
    await table.virtual.update(SVC, 'team', { ...v, spec: { ...(v.spec as object), selector: undefined } });
    await table.settle();
    expect(replica(table)).toBeUndefined();
    expect(syncErrors(table, 'team')).toEqual([expect.stringContaining('has no selector')]);
  });

  it('a malformed Service (from a cache, never an API server) is refused with the field named, and the process goes on', async () => {
    const table = await toHost([[SVC, service('team', 'web', { ports: 'http', selector: { app: 'web' } })]]);
    expect(replica(table)).toBeUndefined();
    expect(syncErrors(table, 'team')).toEqual([expect.stringContaining('malformed service: spec.ports')]);
  });

  it('a Service without a selector is refused: its replica would select nothing', async () => {
    const table = await toHost([
      [SVC, service('team', 'web', { clusterIP: '10.96.7.7', ports: [{ port: 80 }] })],
    ]);
    expect(replica(table)).toBeUndefined();
    expect(syncErrors(table, 'team')).toEqual([expect.stringContaining('has no selector')]);
  });
});

const virtualOf = (t: StateTable) => find(t.virtual.objects(SVC, 'team'), 'web')!;
