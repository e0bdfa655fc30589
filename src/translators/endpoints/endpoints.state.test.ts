import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import {
  HOST_NS,
  ownHostPod,
  ownHostService,
  stateTables,
  VC,
  type Seed,
  type StateTable,
} from '../../testing/state-table.ts';

const startTable = stateTables();
/**
 * Starts a table for one test (stopped afterwards), with the host copy of every virtual Service in
 * it, as the services kind makes them: Endpoints are synced only for a Service's own host copy.
 */
const start = (opts: Parameters<typeof startTable>[0]) => {
  const services = (opts.virtual ?? []).filter(([type]) => type === Resources.services);
  const copies = services.map(([, svc]) => ownHostService(svc.metadata!.namespace!, svc.metadata!.name!));
  return startTable({ ...opts, host: [...copies, ...(opts.host ?? [])] });
};

const EP = Resources.endpoints;
const hostName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;
const service = (name: string, selector?: Record<string, string>): Seed => [
  Resources.services,
  {
    metadata: { name, namespace: 'team', uid: `svc-${name}` },
    spec: { ports: [{ port: 5432 }], ...(selector ? { selector } : {}) },
  },
];
const endpoints = (name: string, addresses: Record<string, unknown>[]): Seed => [
  EP,
  {
    metadata: { name, namespace: 'team', uid: `ep-${name}` },
    subsets: [{ addresses, ports: [{ port: 5432 }] }],
  },
];
const tenantPod: Seed = [
  Resources.pods,
  {
    metadata: { name: 'db-0', namespace: 'team', uid: 'pod-db' },
    spec: { containers: [] },
    status: { podIP: '10.244.0.7' },
  },
];
/** The tenant pod's host copy: its IP is what the host kubelet gave it. */
const tenantHostPod: Seed = ownHostPod('team', 'db-0', '10.244.0.7');
/** A pod of another virtual cluster in the same host namespace. */
const foreignHostPod: Seed = [
  Resources.pods,
  {
    metadata: {
      name: 'secret-db-x-x-x-other',
      namespace: HOST_NS,
      labels: { 'vcluster.loft.sh/managed-by': 'other' },
    },
    spec: { containers: [] },
    status: { podIP: '10.244.0.9' },
  },
];

const hostEndpoints = (t: StateTable, name: string) =>
  t.host.objects(EP, HOST_NS).find((e) => e.metadata?.name === hostName(name));
const addressesOf = (e: KubeObject | undefined) =>
  ((e?.subsets ?? []) as { addresses?: { ip: string; targetRef?: { name?: string } }[] }[]).flatMap(
    (s) => s.addresses ?? [],
  );

describe('endpoints state table (selector-less Services)', () => {
  it("client-go's Endpoints leader-election record stays off the copy: a renewal costs no host write", async () => {
    const LEADER = 'control-plane.alpha.kubernetes.io/leader';
    const [type, ep] = endpoints('db', [{ ip: '93.184.216.10' }]);
    ep.metadata!.annotations = { [LEADER]: '{"holderIdentity":"a","renewTime":"2026-12-08T00:00:00Z"}' };
    const t = await start({ kinds: ['endpoints'], virtual: [service('db'), [type, ep]] });
    await t.settle();
    expect(hostEndpoints(t, 'db')?.metadata?.annotations).not.toHaveProperty([LEADER]);
    t.host.clearWrites();
    const current = t.virtual.objects(EP, 'team').find((e) => e.metadata?.name === 'db')!;
    await t.virtual.update(EP, 'team', {
      ...current,
      metadata: {
        ...current.metadata,
        annotations: { [LEADER]: '{"holderIdentity":"a","renewTime":"2026-12-08T00:00:10Z"}' },
      },
    });
    await t.settle();
    expect(t.host.writeLog()).toEqual([]);
  });

  it("an external address and this tenant's pod are synced, the pod reference pointed at its host pod", async () => {
    const t = await start({
      kinds: ['endpoints'],
      virtual: [
        service('db'),
        tenantPod,
        endpoints('db', [
          { ip: '93.184.216.10' },
          { ip: '10.244.0.7', targetRef: { kind: 'Pod', name: 'db-0' } },
        ]),
      ],
      host: [tenantHostPod],
    });
    await t.settle();
    expect(addressesOf(hostEndpoints(t, 'db'))).toEqual([
      { ip: '93.184.216.10' },
      { ip: '10.244.0.7', targetRef: { kind: 'Pod', name: hostName('db-0'), namespace: HOST_NS } },
    ]);
  });

  it("no Endpoints for a host Service of that name that is another virtual cluster's: the host would mirror them into its slices", async () => {
    const t = await startTable({
      kinds: ['endpoints'],
      virtual: [service('db'), endpoints('db', [{ ip: '93.184.217.7' }])],
      host: [ownHostService('team', 'db', 'b-x-vc')],
    });
    await t.settle();
    expect(hostEndpoints(t, 'db')).toBeUndefined();
    expect(t.writes()).toEqual([]);
  });

  it("another tenant's pod, link-local (cloud metadata) and loopback addresses are dropped, and the tenant is told", async () => {
    const t = await start({
      kinds: ['endpoints'],
      virtual: [
        service('db'),
        endpoints('db', [
          { ip: '10.244.0.9' },
          { ip: '169.254.169.254' },
          { ip: '127.0.0.1' },
          { ip: '93.184.216.10' },
          // The same, with leading zeros, as the host's API server and kube-proxy read them.
          { ip: '0010.244.0.9' },
          { ip: '0169.254.169.0254' },
          { ip: '::ffff:0127.0.0.1' },
        ]),
      ],
      host: [foreignHostPod],
    });
    await t.settle();
    expect(addressesOf(hostEndpoints(t, 'db'))).toEqual([{ ip: '93.184.216.10' }]);
    const events = t.virtual.objects(Resources.events, 'team').map((e) => String(e.message));
    expect(events.some((m) => m.includes('10.244.0.9') && m.includes('169.254.169.254'))).toBe(true);
    expect(events.join(' ')).not.toContain(HOST_NS);
  });

  it("another tenant's pod IP written another way (IPv6 uncompressed, or upper case) is dropped too", async () => {
    const foreign6: Seed = [
      Resources.pods,
      {
        metadata: {
          name: 'v6-db-x-x-x-other',
          namespace: HOST_NS,
          labels: { 'vcluster.loft.sh/managed-by': 'other' },
        },
        spec: { containers: [] },
        status: { podIP: '2600:1f14::5', podIPs: [{ ip: '2600:1f14::5' }] },
      },
    ];
    const t = await start({
      kinds: ['endpoints'],
      virtual: [
        service('db'),
        endpoints('db', [{ ip: '2600:1f14:0:0:0:0:0:5' }, { ip: '2600:1F14::5' }, { ip: '2600:1f14::6' }]),
      ],
      host: [foreign6],
      // Public-looking addresses: only the foreign pod check can drop them.
      flags: { deniedEndpointCidr: '' },
    });
    await t.settle();
    expect(addressesOf(hostEndpoints(t, 'db'))).toEqual([{ ip: '2600:1f14::6' }]);
  });

  it("private addresses that are not this tenant's pods (other host namespaces' pods, nodes, the host API) are dropped, unless the host admin allows them", async () => {
    const addresses = [
      { ip: '10.244.3.17' },
      { ip: '172.18.0.2' },
      { ip: 'fd00::1' },
      { ip: '93.184.216.10' },
      { ip: '0010.0244.3.17' },
      { ip: 'fd00::00001' },
    ];
    const t = await start({ kinds: ['endpoints'], virtual: [service('db'), endpoints('db', addresses)] });
    await t.settle();
    expect(addressesOf(hostEndpoints(t, 'db'))).toEqual([{ ip: '93.184.216.10' }]);
    const events = t.virtual.objects(Resources.events, 'team').map((e) => String(e.message));
    expect(
      events.some(
        (m) =>
          m.includes('172.18.0.2: not an address this virtual cluster may name') &&
          m.includes('--allowed-endpoint-cidr'),
      ),
    ).toBe(true);

    const allowing = await start({
      kinds: ['endpoints'],
      virtual: [service('db'), endpoints('db', addresses)],
      flags: { allowedEndpointCidr: '172.18.0.0/16' },
    });
    await allowing.settle();
    expect(addressesOf(hostEndpoints(allowing, 'db'))).toEqual([
      { ip: '172.18.0.2' },
      { ip: '93.184.216.10' },
    ]);
  });

  it("an address of this tenant's pod is dropped once the pod finishes or goes, and one given to another's pod after", async () => {
    const t = await start({
      kinds: ['endpoints'],
      virtual: [service('db'), tenantPod, endpoints('db', [{ ip: '10.244.0.7' }, { ip: '93.184.216.10' }])],
      host: [tenantHostPod],
    });
    await t.settle();
    expect(addressesOf(hostEndpoints(t, 'db'))).toEqual([{ ip: '10.244.0.7' }, { ip: '93.184.216.10' }]);

    /** The host kubelet reports the pod in this phase, its IP still in its status. */
    const hostPodIn = async (phase: string) => {
      const pod = t.host.objects(Resources.pods, HOST_NS).find((p) => p.metadata?.name === hostName('db-0'))!;
      await t.host.update(
        Resources.pods,
        HOST_NS,
        { ...pod, status: { phase, podIP: '10.244.0.7' } },
        { subresource: 'status' },
      );
      await t.settle();
    };
    // The pod completes: the network plugin has its IP back, while its status still shows it.
    await hostPodIn('Succeeded');
    expect(addressesOf(hostEndpoints(t, 'db'))).toEqual([{ ip: '93.184.216.10' }]);

    // Running again, the address comes back; then the pod is deleted.
    await hostPodIn('Running');
    expect(addressesOf(hostEndpoints(t, 'db'))).toEqual([{ ip: '10.244.0.7' }, { ip: '93.184.216.10' }]);
    await t.host.delete(Resources.pods, HOST_NS, hostName('db-0'));
    await t.settle();
    expect(addressesOf(hostEndpoints(t, 'db'))).toEqual([{ ip: '93.184.216.10' }]);
  });

  it("a finished, terminating or host-network pod of this tenant's vouches for no address", async () => {
    const [, base] = ownHostPod('team', 'job-1', '10.244.3.21');
    const variants: KubeObject[] = [
      { ...base, status: { phase: 'Succeeded', podIP: '10.244.3.21' } },
      { ...base, status: { phase: 'Failed', podIP: '10.244.3.21' } },
      { ...base, metadata: { ...base.metadata, deletionTimestamp: '2026-12-04T10:00:00Z' } },
      { ...base, spec: { containers: [], hostNetwork: true } },
    ];
    for (const pod of variants) {
      const t = await start({
        kinds: ['endpoints'],
        virtual: [service('db'), endpoints('db', [{ ip: '10.244.3.21' }, { ip: '93.184.216.10' }])],
        host: [[Resources.pods, pod]],
      });
      await t.settle();
      expect(addressesOf(hostEndpoints(t, 'db'))).toEqual([{ ip: '93.184.216.10' }]);
    }
  });

  it('a targetRef naming a pod that does not have that IP is dropped', async () => {
    const t = await start({
      kinds: ['endpoints'],
      virtual: [
        service('db'),
        tenantPod,
        endpoints('db', [{ ip: '10.244.0.9', targetRef: { kind: 'Pod', name: 'db-0' } }]),
      ],
      host: [foreignHostPod],
    });
    await t.settle();
    expect(addressesOf(hostEndpoints(t, 'db'))).toEqual([]);
  });

  it('Endpoints of a Service with a selector (made by the controllers) and of default/kubernetes are never synced', async () => {
    const kubernetes: Seed = [
      EP,
      {
        metadata: { name: 'kubernetes', namespace: 'default' },
        subsets: [{ addresses: [{ ip: '127.0.0.1' }] }],
      },
    ];
    const t = await start({
      kinds: ['endpoints'],
      virtual: [service('web', { app: 'web' }), endpoints('web', [{ ip: '10.244.0.7' }]), kubernetes],
    });
    await t.settle();
    expect(t.host.writeLog()).toEqual([]);
  });

  it('a Service that gains a selector: its synced Endpoints are removed from the host', async () => {
    const t = await start({
      kinds: ['endpoints'],
      virtual: [service('db'), endpoints('db', [{ ip: '93.184.216.10' }])],
    });
    await t.settle();
    expect(hostEndpoints(t, 'db')).toBeDefined();
    const svc = t.virtual.objects(Resources.services, 'team')[0]!;
    await t.virtual.update(Resources.services, 'team', {
      ...svc,
      spec: { ...(svc.spec as object), selector: { app: 'db' } },
    });
    await t.settle();
    expect(hostEndpoints(t, 'db')).toBeUndefined();
  });
  it("a Service that loses its selector: the host controller's Endpoints for it give way to the tenant's", async () => {
    const t = await start({ kinds: ['services', 'endpoints'] });
    await t.virtual.create(Resources.services, 'team', {
      metadata: { name: 'db', namespace: 'team', labels: { app: 'db' } },
      spec: { selector: { app: 'db' }, ports: [{ port: 5432 }] },
    });
    await t.settle();
    // What the host's endpoints controller made for the host copy while it had a selector: the
    // Service's labels, no annotations. It leaves them when the selector goes.
    await t.host.create(EP, HOST_NS, {
      metadata: {
        name: hostName('db'),
        namespace: HOST_NS,
        labels: { app: 'db', 'vcluster.loft.sh/managed-by': VC, 'vcluster.loft.sh/namespace': 'team' },
      },
      subsets: [{ addresses: [{ ip: '10.244.0.50' }], ports: [{ port: 5432 }] }],
    });
    const svc = t.virtual.objects(Resources.services, 'team')[0]!;
    const { selector: _s, ...spec } = svc.spec as Record<string, unknown>;
    await t.virtual.update(Resources.services, 'team', { ...svc, spec });
    await t.virtual.create(EP, 'team', {
      metadata: { name: 'db', namespace: 'team' },
      subsets: [{ addresses: [{ ip: '93.184.216.10' }], ports: [{ port: 5432 }] }],
    });
    await t.settle();
    t.clock.advance(1000);
    await t.settle();
    expect(addressesOf(hostEndpoints(t, 'db'))).toEqual([{ ip: '93.184.216.10' }]);
    expect(t.virtual.objects(Resources.events, 'team').map((e) => e.reason)).toEqual([]);
  });

  it("the host controller's Endpoints, deleted but held by a finalizer, are waited for with backoff, not deleted again and again", async () => {
    const t = await start({ kinds: ['services', 'endpoints'] });
    await t.virtual.create(Resources.services, 'team', {
      metadata: { name: 'db', namespace: 'team' },
      spec: { ports: [{ port: 5432 }] },
    });
    await t.settle();
    await t.host.create(EP, HOST_NS, {
      metadata: {
        name: hostName('db'),
        namespace: HOST_NS,
        finalizers: ['example.com/hold'],
        labels: { 'vcluster.loft.sh/managed-by': VC, 'vcluster.loft.sh/namespace': 'team' },
      },
      subsets: [{ addresses: [{ ip: '10.244.0.50' }], ports: [{ port: 5432 }] }],
    });
    await t.virtual.create(EP, 'team', {
      metadata: { name: 'db', namespace: 'team' },
      subsets: [{ addresses: [{ ip: '93.184.216.10' }], ports: [{ port: 5432 }] }],
    });
    await t.settle();
    const deletes = () => t.host.writeLog().filter((w) => w.startsWith('delete endpoints'));
    expect(deletes()).toHaveLength(1);
    for (let i = 0; i < 100; i++) {
      t.clock.advance(200);
      await t.settle();
    }
    expect(deletes()).toHaveLength(1);
    // Its finalizer gone, the tenant's Endpoints take its place at once (not at the next backoff).
    const held = hostEndpoints(t, 'db')!;
    await t.host.update(EP, HOST_NS, { ...held, metadata: { ...held.metadata, finalizers: [] } });
    await t.settle();
    expect(addressesOf(hostEndpoints(t, 'db'))).toEqual([{ ip: '93.184.216.10' }]);
  });
});
