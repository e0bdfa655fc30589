import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import {
  HOST_NS,
  ownHostPod,
  stateTables,
  VC,
  type Seed,
  type StateTable,
} from '../../testing/state-table.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const SLICES = Resources.endpointSlices;
const hostName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;
const SERVICE_LABEL = 'kubernetes.io/service-name';
const MANAGER_LABEL = 'endpointslice.kubernetes.io/managed-by';

const service = (name: string, selector?: Record<string, string>): Seed => [
  Resources.services,
  {
    metadata: { name, namespace: 'team', uid: `svc-${name}` },
    spec: { ports: [{ port: 5432 }], ...(selector ? { selector } : {}) },
  },
];
/** The host copy of a virtual Service, as the services kind makes it (its metadata proves it is ours). */
const hostService = (name: string, owner = { vc: VC, namespace: 'team', name }): Seed => [
  Resources.services,
  {
    metadata: {
      name: hostName(name),
      namespace: HOST_NS,
      labels: { 'vcluster.loft.sh/managed-by': owner.vc },
      annotations: {
        'vcluster.loft.sh/object-name': owner.name,
        'vcluster.loft.sh/object-namespace': owner.namespace,
        'vcluster.loft.sh/object-kind': '/v1, Kind=Service',
      },
    },
    spec: { ports: [{ port: 5432 }] },
  },
];
const slice = (
  name: string,
  endpoints: Record<string, unknown>[],
  labels: Record<string, string> = { [SERVICE_LABEL]: 'db' },
): Seed => [
  SLICES,
  {
    metadata: { name, namespace: 'team', uid: `slice-${name}`, labels },
    addressType: 'IPv4',
    endpoints,
    ports: [{ port: 5432, protocol: 'TCP' }],
  },
];
const tenantPod = (ip?: string): Seed => [
  Resources.pods,
  {
    metadata: { name: 'db-0', namespace: 'team', uid: 'pod-db' },
    spec: { containers: [] },
    status: ip ? { podIP: ip } : {},
  },
];
/** The tenant pod's host copy: its IP is what the host kubelet gave it. */
const tenantHostPod = (ip?: string): Seed => ownHostPod('team', 'db-0', ip);
/** A pod of another virtual cluster in the same host namespace. */
const foreignHostPod = (name = 'secret-db-x-x-x-other', ip = '10.244.0.9'): Seed => [
  Resources.pods,
  {
    metadata: { name, namespace: HOST_NS, labels: { 'vcluster.loft.sh/managed-by': 'other' } },
    spec: { containers: [] },
    status: { podIP: ip },
  },
];

const hostSlice = (t: StateTable, name = 'db-abc') =>
  t.host.objects(SLICES, HOST_NS).find((s) => s.metadata?.name === hostName(name));
const endpointsOf = (s: KubeObject | undefined) => (s?.endpoints ?? []) as Record<string, unknown>[];
const messages = (t: StateTable) =>
  t.virtual.objects(Resources.events, 'team').map((e) => `${String(e.reason)}: ${String(e.message)}`);

describe('endpointslices state table (tenant-written slices of selector-less Services)', () => {
  it("the Endpoints' leader-election record, which the mirroring controller copies onto its slice, stays off the copy: a renewal costs no host write", async () => {
    const LEADER = 'control-plane.alpha.kubernetes.io/leader';
    const [type, mirrored] = slice('db-abc', [{ addresses: ['93.184.216.10'] }]);
    mirrored.metadata!.annotations = { [LEADER]: '{"holderIdentity":"a"}' };
    const t = await start({
      kinds: ['endpointslices'],
      virtual: [service('db'), [type, mirrored]],
      host: [hostService('db')],
    });
    await t.settle();
    expect(hostSlice(t)?.metadata?.annotations).not.toHaveProperty([LEADER]);
    t.host.clearWrites();
    const current = t.virtual.objects(SLICES, 'team')[0]!;
    await t.virtual.update(SLICES, 'team', {
      ...current,
      metadata: { ...current.metadata, annotations: { [LEADER]: '{"holderIdentity":"b"}' } },
    });
    await t.settle();
    expect(t.host.writeLog()).toEqual([]);
  });

  it("an external address and this tenant's pod are synced, labelled for the host Service, the pod reference pointed at its host pod", async () => {
    const t = await start({
      kinds: ['endpointslices'],
      virtual: [
        service('db'),
        tenantPod('10.244.0.7'),
        slice('db-abc', [
          { addresses: ['93.184.216.10'], conditions: { ready: true } },
          { addresses: ['10.244.0.7'], targetRef: { kind: 'Pod', name: 'db-0' }, nodeName: 'node-1' },
        ]),
      ],
      host: [hostService('db'), tenantHostPod('10.244.0.7')],
    });
    await t.settle();
    expect(t.host.writeLog()).toEqual([`create endpointslices ${HOST_NS}/${hostName('db-abc')}`]);
    const host = hostSlice(t)!;
    expect(host.metadata?.labels).toMatchObject({
      [SERVICE_LABEL]: hostName('db'),
      [MANAGER_LABEL]: 'vsyncer.dev',
      'vcluster.loft.sh/managed-by': VC,
      'vcluster.loft.sh/namespace': 'team',
    });
    expect(host.metadata?.annotations).toMatchObject({
      'vcluster.loft.sh/object-name': 'db-abc',
      'vcluster.loft.sh/object-namespace': 'team',
      'vcluster.loft.sh/object-kind': 'discovery.k8s.io/v1, Kind=EndpointSlice',
    });
    expect(host.addressType).toBe('IPv4');
    expect(host.ports).toEqual([{ port: 5432, protocol: 'TCP' }]);
    expect(endpointsOf(host)).toEqual([
      { addresses: ['93.184.216.10'], conditions: { ready: true } },
      { addresses: ['10.244.0.7'], targetRef: { kind: 'Pod', name: hostName('db-0'), namespace: HOST_NS } },
    ]);
    expect(messages(t)).toEqual([]);
    // Nothing flows back to the tenant's slice: its labels are as the tenant wrote them.
    expect(t.virtual.writeLog()).toEqual([]);
  });

  it("keeps its own labels whatever --denied-host-metadata names; the tenant's denied keys go", async () => {
    const tenantSlice = slice('db-abc', [{ addresses: ['93.184.216.10'] }]);
    const meta = tenantSlice[1].metadata!;
    meta.labels = { ...meta.labels, 'kubernetes.io/team': 'a', app: 'db' };
    const t = await start({
      kinds: ['endpointslices'],
      virtual: [service('db'), tenantSlice],
      host: [hostService('db')],
      flags: { deniedHostMetadata: ['kubernetes.io/*', 'endpointslice.kubernetes.io/*'] },
    });
    await t.settle();
    // Made with them at once: no slice without its Service's name for kube-proxy, no second write.
    expect(t.host.writeLog()).toEqual([`create endpointslices ${HOST_NS}/${hostName('db-abc')}`]);
    const labels = hostSlice(t)!.metadata?.labels;
    expect(labels).toMatchObject({
      [SERVICE_LABEL]: hostName('db'),
      [MANAGER_LABEL]: 'vsyncer.dev',
      app: 'db',
    });
    expect(labels).not.toHaveProperty(['kubernetes.io/team']);
  });

  it("a slice that opts out (vCluster's controlled-by) loses its copy: frozen, it would outlive its Service's copy and feed a later Service of that host name", async () => {
    const t = await start({
      kinds: ['endpointslices'],
      virtual: [service('db'), slice('db-abc', [{ addresses: ['93.184.216.10'] }])],
      host: [hostService('db')],
    });
    await t.settle();
    expect(hostSlice(t)).toBeDefined();
    const v = t.virtual.objects(SLICES, 'team')[0]!;
    await t.virtual.update(SLICES, 'team', {
      ...v,
      metadata: { ...v.metadata, labels: { ...v.metadata?.labels, 'vcluster.loft.sh/controlled-by': 'x' } },
    });
    await t.settle();
    expect(hostSlice(t)).toBeUndefined();
  });

  it("another tenant's pod IP and the cloud metadata address are dropped, and the tenant is told without host names", async () => {
    const t = await start({
      kinds: ['endpointslices'],
      virtual: [
        service('db'),
        slice('db-abc', [
          { addresses: ['10.244.0.9'] },
          { addresses: ['169.254.169.254'] },
          { addresses: ['93.184.216.10'] },
          // The same with leading zeros, as the host's API server and kube-proxy read them.
          { addresses: ['0010.244.0.9'] },
          { addresses: ['0169.0254.169.254'] },
        ]),
      ],
      host: [hostService('db'), foreignHostPod()],
    });
    await t.settle();
    expect(endpointsOf(hostSlice(t))).toEqual([{ addresses: ['93.184.216.10'] }]);
    const events = t.virtual.objects(Resources.events, 'team');
    expect(events.map((e) => [e.reason, e.type, (e.involvedObject as { kind?: string }).kind])).toEqual([
      ['SyncError', 'Warning', 'EndpointSlice'],
    ]);
    const message = String(events[0]!.message);
    expect(message).toContain('10.244.0.9');
    expect(message).toContain('169.254.169.254');
    expect(message).not.toContain(HOST_NS);
    expect(message).not.toContain('-x-');
  });

  it("a private address is dropped unless --allowed-endpoint-cidr (the endpoints kind's flag) carves it out", async () => {
    const seeds = {
      kinds: ['endpointslices'],
      virtual: [
        service('db'),
        slice('db-abc', [
          { addresses: ['172.18.0.2'] },
          { addresses: ['93.184.216.10'] },
          { addresses: ['0172.0018.0.2'] },
        ]),
      ],
      host: [hostService('db')],
    };
    const t = await start(seeds);
    await t.settle();
    expect(endpointsOf(hostSlice(t))).toEqual([{ addresses: ['93.184.216.10'] }]);
    const allowing = await start({ ...seeds, flags: { allowedEndpointCidr: '172.18.0.0/16' } });
    await allowing.settle();
    expect(endpointsOf(hostSlice(allowing))).toEqual([
      { addresses: ['172.18.0.2'] },
      { addresses: ['93.184.216.10'] },
      { addresses: ['0172.0018.0.2'] },
    ]);
  });

  it("a targetRef whose host name is held by a host pod that is not that pod's copy is dropped", async () => {
    // Host names are ambiguous: another virtual cluster's pod may hold the name db-0-x-team-x-vc.
    const t = await start({
      kinds: ['endpointslices'],
      virtual: [
        service('db'),
        tenantPod('10.244.0.7'),
        slice('db-abc', [{ addresses: ['10.244.0.7'], targetRef: { kind: 'Pod', name: 'db-0' } }]),
      ],
      host: [hostService('db'), foreignHostPod(hostName('db-0'), '10.244.0.20')],
    });
    await t.settle();
    expect(endpointsOf(hostSlice(t))).toEqual([]);
    expect(messages(t)).toEqual([
      'SyncError: endpoints not synced to the host: 10.244.0.7: not the IP of pod team/db-0',
    ]);
  });

  it("slices of the virtual cluster's controllers, of Services with a selector, of default/kubernetes and of no Service are never synced", async () => {
    const kubernetes: Seed = [
      SLICES,
      {
        metadata: { name: 'kubernetes', namespace: 'default', labels: { [SERVICE_LABEL]: 'kubernetes' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.0.0.1'] }],
      },
    ];
    const t = await start({
      kinds: ['endpointslices'],
      virtual: [
        service('db'),
        service('web', { app: 'web' }),
        slice('db-mirrored', [{ addresses: ['93.184.216.10'] }], {
          [SERVICE_LABEL]: 'db',
          [MANAGER_LABEL]: 'endpointslicemirroring-controller.k8s.io',
        }),
        slice('db-controller', [{ addresses: ['93.184.216.10'] }], {
          [SERVICE_LABEL]: 'db',
          [MANAGER_LABEL]: 'endpointslice-controller.k8s.io',
        }),
        slice('web-abc', [{ addresses: ['93.184.216.10'] }], { [SERVICE_LABEL]: 'web' }),
        slice('loose', [{ addresses: ['93.184.216.10'] }], {}),
        slice('nosvc', [{ addresses: ['93.184.216.10'] }], { [SERVICE_LABEL]: 'missing' }),
        kubernetes,
      ],
      host: [hostService('db'), hostService('web')],
    });
    await t.settle();
    expect(t.host.writeLog()).toEqual([]);
    expect(t.virtual.writeLog()).toEqual([]);
  });

  it('a Service that gains a selector: its synced slices are removed from the host', async () => {
    const t = await start({
      kinds: ['endpointslices'],
      virtual: [service('db'), slice('db-abc', [{ addresses: ['93.184.216.10'] }])],
      host: [hostService('db')],
    });
    await t.settle();
    expect(hostSlice(t)).toBeDefined();
    const svc = t.virtual.objects(Resources.services, 'team')[0]!;
    await t.virtual.update(Resources.services, 'team', {
      ...svc,
      spec: { ...(svc.spec as object), selector: { app: 'db' } },
    });
    await t.settle();
    expect(hostSlice(t)).toBeUndefined();
  });

  it('a host object of that name that is not ours is never overwritten; the tenant is told without host names', async () => {
    const theirs: Seed = [
      SLICES,
      {
        metadata: {
          name: hostName('db-abc'),
          namespace: HOST_NS,
          labels: { [SERVICE_LABEL]: 'someone-else', [MANAGER_LABEL]: 'endpointslice-controller.k8s.io' },
        },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.1.1.1'] }],
      },
    ];
    const t = await start({
      kinds: ['endpointslices'],
      virtual: [service('db'), slice('db-abc', [{ addresses: ['93.184.216.10'] }])],
      host: [hostService('db'), theirs],
    });
    const before = t.host.objects(SLICES, HOST_NS);
    await t.settle();
    expect(t.host.writeLog()).toEqual([]);
    expect(t.host.objects(SLICES, HOST_NS)).toEqual(before);
    const all = messages(t);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatch(/^SyncError: cannot sync EndpointSlice team\/db-abc/);
    expect(all[0]).not.toContain(HOST_NS);
    expect(all[0]).not.toContain(hostName('db-abc'));
  });

  it("a slice waits for its Service's host copy, and never joins a host Service that is not that copy", async () => {
    const t = await start({
      kinds: ['endpointslices'],
      virtual: [
        service('db'),
        service('cache'),
        slice('cache-abc', [{ addresses: ['93.184.216.10'] }], { [SERVICE_LABEL]: 'cache' }),
      ],
      // cache-x-team-x-vc on the host is another virtual cluster's Service (names are ambiguous).
      host: [hostService('cache', { vc: 'team-x-vc', namespace: 'x', name: 'cache' })],
    });
    await t.settle();
    expect(t.host.writeLog()).toEqual([]);

    // db's slice appears once db's host copy does.
    await t.virtual.create(SLICES, 'team', slice('db-abc', [{ addresses: ['93.184.216.10'] }])[1]);
    await t.settle();
    expect(hostSlice(t)).toBeUndefined();
    await t.host.create(Resources.services, HOST_NS, hostService('db')[1]);
    await t.settle();
    expect(endpointsOf(hostSlice(t))).toEqual([{ addresses: ['93.184.216.10'] }]);
    expect(hostSlice(t, 'cache-abc')).toBeUndefined();

    // And goes with it.
    await t.host.delete(Resources.services, HOST_NS, hostName('db'));
    await t.settle();
    expect(hostSlice(t)).toBeUndefined();
  });

  it("a tenant pod's IP arriving, and another tenant's pod taking a listed IP, re-vet the slice", async () => {
    const t = await start({
      kinds: ['endpointslices'],
      virtual: [
        service('db'),
        tenantPod(),
        slice('db-abc', [
          { addresses: ['10.244.0.7'], targetRef: { kind: 'Pod', name: 'db-0' } },
          { addresses: ['93.184.216.10'] },
        ]),
      ],
      host: [hostService('db'), tenantHostPod()],
    });
    await t.settle();
    expect(endpointsOf(hostSlice(t))).toEqual([{ addresses: ['93.184.216.10'] }]);

    // The host kubelet gives the host pod its IP; the pods kind copies it up to the virtual pod.
    const hostPod = t.host
      .objects(Resources.pods, HOST_NS)
      .find((p) => p.metadata?.name === hostName('db-0'))!;
    await t.host.update(
      Resources.pods,
      HOST_NS,
      { ...hostPod, status: { podIP: '10.244.0.7' } },
      { subresource: 'status' },
    );
    const pod = t.virtual.objects(Resources.pods, 'team')[0]!;
    await t.virtual.update(
      Resources.pods,
      'team',
      { ...pod, status: { podIP: '10.244.0.7' } },
      { subresource: 'status' },
    );
    await t.settle();
    expect(endpointsOf(hostSlice(t))).toEqual([
      { addresses: ['10.244.0.7'], targetRef: { kind: 'Pod', name: hostName('db-0'), namespace: HOST_NS } },
      { addresses: ['93.184.216.10'] },
    ]);

    // A pod of another virtual cluster is scheduled and gets the IP.
    const other = await t.host.create(
      Resources.pods,
      HOST_NS,
      foreignHostPod('other-pod', '93.184.216.10')[1],
    );
    await t.settle();
    await t.host.update(
      Resources.pods,
      HOST_NS,
      { ...other, status: { podIP: '93.184.216.10' } },
      { subresource: 'status' },
    );
    await t.settle();
    expect(endpointsOf(hostSlice(t))).toEqual([
      { addresses: ['10.244.0.7'], targetRef: { kind: 'Pod', name: hostName('db-0'), namespace: HOST_NS } },
    ]);
  });

  it("an address of this tenant's pod is dropped from the slice once the pod is gone", async () => {
    const t = await start({
      kinds: ['endpointslices'],
      virtual: [service('db'), tenantPod('10.244.0.7'), slice('db-abc', [{ addresses: ['10.244.0.7'] }])],
      host: [hostService('db'), tenantHostPod('10.244.0.7')],
    });
    await t.settle();
    expect(endpointsOf(hostSlice(t))).toEqual([{ addresses: ['10.244.0.7'] }]);
    await t.host.delete(Resources.pods, HOST_NS, hostName('db-0'));
    await t.settle();
    expect(endpointsOf(hostSlice(t))).toEqual([]);
  });

  it('tenant changes flow down; a host edit of the Service or manager label is reverted and never flows up', async () => {
    const t = await start({
      kinds: ['endpointslices'],
      virtual: [service('db'), slice('db-abc', [{ addresses: ['93.184.216.10'] }])],
      host: [hostService('db')],
    });
    await t.settle();
    const virtual = t.virtual.objects(SLICES, 'team')[0]!;
    await t.virtual.update(SLICES, 'team', {
      ...virtual,
      metadata: { ...virtual.metadata, labels: { ...virtual.metadata!.labels, tier: 'db' } },
      endpoints: [{ addresses: ['93.184.216.11'] }],
    });
    await t.settle();
    expect(endpointsOf(hostSlice(t))).toEqual([{ addresses: ['93.184.216.11'] }]);
    expect(hostSlice(t)!.metadata?.labels?.tier).toBe('db');

    const host = hostSlice(t)!;
    await t.host.update(SLICES, HOST_NS, {
      ...host,
      metadata: {
        ...host.metadata,
        labels: { ...host.metadata!.labels, [SERVICE_LABEL]: 'another-service', [MANAGER_LABEL]: 'mesh' },
      },
    });
    t.virtual.clearWrites();
    await t.settle();
    expect(hostSlice(t)!.metadata?.labels).toMatchObject({
      [SERVICE_LABEL]: hostName('db'),
      [MANAGER_LABEL]: 'vsyncer.dev',
    });
    expect(t.virtual.writeLog()).toEqual([]);
    expect(t.virtual.objects(SLICES, 'team')[0]!.metadata?.labels).toEqual({
      [SERVICE_LABEL]: 'db',
      tier: 'db',
    });

    await t.virtual.delete(SLICES, 'team', 'db-abc');
    await t.settle();
    expect(hostSlice(t)).toBeUndefined();
  });

  it('a malformed slice is refused with the field named, not retried', async () => {
    const t = await start({
      kinds: ['endpointslices'],
      virtual: [service('db'), slice('db-abc', [{ addresses: '93.184.216.10' }])],
      host: [hostService('db')],
    });
    await t.settle();
    expect(t.host.writeLog()).toEqual([]);
    expect(messages(t)).toEqual([
      'SyncError: malformed EndpointSlice: endpoints[0].addresses must be a list',
    ]);
    expect(t.controllers.get('endpointslices')!.controller.queue.numRequeues('team/db-abc')).toBe(0);
  });

  it('runs beside the endpoints kind, sharing its pod informers', async () => {
    const t = await start({
      kinds: ['endpoints', 'endpointslices'],
      virtual: [
        service('db'),
        [
          Resources.endpoints,
          {
            metadata: { name: 'db', namespace: 'team', uid: 'ep-db' },
            subsets: [
              { addresses: [{ ip: '10.244.0.9' }, { ip: '93.184.216.10' }], ports: [{ port: 5432 }] },
            ],
          },
        ],
        slice('db-abc', [{ addresses: ['10.244.0.9'] }, { addresses: ['93.184.216.10'] }]),
      ],
      host: [hostService('db'), foreignHostPod()],
    });
    await t.settle();
    expect(t.host.writeLog().sort()).toEqual([
      `create endpoints ${HOST_NS}/${hostName('db')}`,
      `create endpointslices ${HOST_NS}/${hostName('db-abc')}`,
    ]);
    expect(endpointsOf(hostSlice(t))).toEqual([{ addresses: ['93.184.216.10'] }]);
  });
});
