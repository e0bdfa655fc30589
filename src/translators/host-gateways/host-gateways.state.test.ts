import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type StateTable } from '../../testing/state-table.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const GW = Resources.gateways;
const HR = Resources.httpRoutes;
const NS = Resources.namespaces;
const GROUP = 'gateway.networking.k8s.io';
const hostName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;

/** A host Gateway of the platform team: an HTTPS listener with a host certificate, and infrastructure. */
const platformGateway = (name: string, labels: Record<string, string> = {}, ns = 'platform'): KubeObject => ({
  apiVersion: `${GROUP}/v1`,
  kind: 'Gateway',
  metadata: { name, namespace: ns, labels, annotations: { owner: 'platform' }, generation: 3 },
  spec: {
    gatewayClassName: 'shared',
    infrastructure: { labels: { cost: 'platform' } },
    listeners: [
      { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } },
      {
        name: 'https',
        port: 443,
        protocol: 'HTTPS',
        tls: { mode: 'Terminate', certificateRefs: [{ name: 'wildcard-cert' }] },
        allowedRoutes: { namespaces: { from: 'Same' } },
      },
    ],
  },
  status: {
    addresses: [{ type: 'IPAddress', value: '203.0.113.10' }],
    conditions: [{ type: 'Programmed', status: 'True', reason: 'Programmed', observedGeneration: 3 }],
  },
});
const namespace = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  metadata: { name, labels },
});
const route = (name: string, parentRefs: unknown[], hostnames?: string[], ns = 'team'): KubeObject => ({
  apiVersion: `${GROUP}/v1`,
  kind: 'HTTPRoute',
  metadata: { name, namespace: ns },
  spec: { parentRefs, ...(hostnames ? { hostnames } : {}), rules: [{}] },
});

/** A table showing the platform namespace's Gateways in virtual namespace `shared`. */
async function importing(hostGateways: Record<string, unknown> = {}, flags: Record<string, unknown> = {}) {
  return start({
    kinds: ['host-gateways', 'httproutes', 'gateways'],
    flags,
    file: { hostGateways: { mappings: { byName: { 'platform/*': 'shared/*' } }, ...hostGateways } },
    host: [[GW, platformGateway('edge')]],
    virtual: [
      [NS, namespace('team')],
      [NS, namespace('apps', { team: 'apps' })],
    ],
  });
}
const mirror = (t: StateTable, name = 'edge', ns = 'shared') =>
  t.virtual.objects(GW, ns).find((g) => g.metadata?.name === name);
const hostRoute = (t: StateTable, name: string, ns = 'team') =>
  t.host.objects(HR, HOST_NS).find((r) => r.metadata?.name === hostName(name, ns));
const parentsOf = (o: KubeObject | undefined) =>
  (o?.spec as { parentRefs?: unknown[] } | undefined)?.parentRefs;
const events = (t: StateTable, kind: string, ns: string) =>
  t.virtual
    .objects(Resources.events, ns)
    .filter((e) => (e.involvedObject as { kind?: string }).kind === kind)
    .map((e) => `${e.reason}: ${e.message as string}`);

describe('host-gateways: the copy a tenant sees', () => {
  it('shows a host Gateway of a namespace mapped whole, without host certificates, infrastructure or addresses', async () => {
    const table = await importing();
    await table.settle();
    const shown = mirror(table)!;
    expect(shown.metadata?.labels).toMatchObject({ 'vcluster.loft.sh/imported-gateway': 'true' });
    expect(shown.metadata?.annotations).toMatchObject({ owner: 'platform' });
    expect(shown.metadata?.annotations?.['vcluster.loft.sh/source-gateway']).toBeUndefined();
    expect(shown.spec).toEqual({
      gatewayClassName: 'shared',
      listeners: [
        { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } },
        {
          name: 'https',
          port: 443,
          protocol: 'HTTPS',
          // The Gateway API wants certificates or options on a terminating listener: a marker option.
          tls: { mode: 'Terminate', options: { 'vcluster.loft.sh/certificate-refs-sanitized': 'true' } },
          allowedRoutes: { namespaces: { from: 'Same' } },
        },
      ],
    });
    // Current on the host is current on the copy.
    expect(shown.status).toEqual({
      conditions: [
        {
          type: 'Programmed',
          status: 'True',
          reason: 'Programmed',
          observedGeneration: shown.metadata?.generation,
        },
      ],
    });
    // Its namespace was made, and nothing of it reached the host (the gateways kind leaves it alone).
    expect(table.virtual.objects(NS, '').map((n) => n.metadata?.name)).toContain('shared');
    expect(table.host.objects(GW, HOST_NS)).toEqual([]);
  });

  it("shows the admin's policy on every listener, addresses and the source when exposed, certificates and infrastructure when not sanitized", async () => {
    const table = await importing({
      allowedRoutes: {
        defaultVirtualNamespacePolicy: { from: 'Selector', selector: { matchLabels: { team: 'apps' } } },
      },
      status: { exposeAddresses: true },
      metadata: { exposeSourceGateway: true },
      sanitize: { certificateRefs: false, infrastructure: false },
    });
    await table.settle();
    const shown = mirror(table)!;
    const spec = shown.spec as { infrastructure?: unknown; listeners: Record<string, unknown>[] };
    expect(spec.listeners.map((l) => l.allowedRoutes)).toEqual([
      { namespaces: { from: 'Selector', selector: { matchLabels: { team: 'apps' } } } },
      { namespaces: { from: 'Selector', selector: { matchLabels: { team: 'apps' } } } },
    ]);
    expect(spec.listeners[1]!.tls).toEqual({
      mode: 'Terminate',
      certificateRefs: [{ name: 'wildcard-cert' }],
    });
    expect(spec.infrastructure).toEqual({ labels: { cost: 'platform' } });
    expect((shown.status as { addresses?: unknown }).addresses).toEqual([
      { type: 'IPAddress', value: '203.0.113.10' },
    ]);
    expect(shown.metadata?.annotations?.['vcluster.loft.sh/source-gateway']).toBe('platform/edge');
  });

  it("follows the host Gateway: a tenant's edit is reverted, a deleted copy is made again, the host's delete removes it", async () => {
    const table = await importing();
    await table.settle();
    const shown = mirror(table)!;
    await table.virtual.update(GW, 'shared', {
      ...shown,
      spec: { ...(shown.spec as object), gatewayClassName: 'mine' },
    });
    await table.settle();
    expect((mirror(table)!.spec as { gatewayClassName: string }).gatewayClassName).toBe('shared');

    await table.virtual.delete(GW, 'shared', 'edge');
    await table.settle();
    expect(mirror(table)).toBeDefined();

    await table.host.delete(GW, 'platform', 'edge');
    await table.settle();
    expect(mirror(table)).toBeUndefined();
  });

  it('a namespace mapped whole shows only the Gateways the selector picks, and drops one relabelled; a Gateway mapped by name needs no label', async () => {
    const table = await start({
      kinds: ['host-gateways'],
      file: {
        hostGateways: {
          mappings: { byName: { 'platform/*': 'shared/*', 'infra/internal': 'shared-internal/private' } },
          selector: { matchLabels: { tenants: 'yes' } },
        },
      },
      host: [
        [GW, platformGateway('edge', { tenants: 'yes' })],
        [GW, platformGateway('admin')],
        [GW, platformGateway('internal', {}, 'infra')],
      ],
    });
    await table.settle();
    expect(mirror(table, 'edge')).toBeDefined();
    expect(mirror(table, 'admin')).toBeUndefined();
    expect(mirror(table, 'private', 'shared-internal')).toBeDefined();

    const edge = table.host.objects(GW, 'platform').find((g) => g.metadata?.name === 'edge')!;
    await table.host.update(GW, 'platform', { ...edge, metadata: { ...edge.metadata, labels: {} } });
    await table.settle();
    expect(mirror(table, 'edge')).toBeUndefined();
  });

  it("never shows a syncer's copy of a tenant's Gateway, even in a namespace mapped whole", async () => {
    const copy = platformGateway('web-x-team-x-other', { 'vcluster.loft.sh/managed-by': 'other' });
    const table = await start({
      kinds: ['host-gateways'],
      file: { hostGateways: { mappings: { byName: { 'platform/*': 'shared/*' } } } },
      host: [[GW, copy]],
    });
    await table.settle();
    expect(table.virtual.objects(GW, 'shared')).toEqual([]);
  });
});

describe('host-gateways: routes attaching to a host Gateway', () => {
  it('a route naming the copy attaches to the host Gateway itself; its status names the copy as the route does', async () => {
    const table = await importing();
    await table.virtual.create(HR, 'shared', route('same-ns', [{ name: 'edge' }], undefined, 'shared'));
    await table.virtual.create(HR, 'team', route('web', [{ name: 'edge', namespace: 'shared' }]));
    await table.settle();
    expect(parentsOf(hostRoute(table, 'same-ns', 'shared'))).toEqual([
      { name: 'edge', namespace: 'platform' },
    ]);
    // The https listener admits only routes of the copy's own namespace: on the host the parent of a
    // route of another is narrowed to the listener that admits it.
    expect(parentsOf(hostRoute(table, 'web'))).toEqual([
      { name: 'edge', namespace: 'platform', sectionName: 'http' },
    ]);

    const accepted = { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'ok' };
    const hostParent = (sectionName?: string) => ({
      parentRef: {
        group: GROUP,
        kind: 'Gateway',
        name: 'edge',
        namespace: 'platform',
        ...(sectionName ? { sectionName } : {}),
      },
      controllerName: 'example.com/gateway',
      conditions: [accepted],
    });
    for (const [name, ns, sectionName] of [
      ['same-ns', 'shared', undefined],
      ['web', 'team', 'http'],
    ] as const) {
      const host = hostRoute(table, name, ns)!;
      await table.host.update(
        HR,
        HOST_NS,
        { ...host, status: { parents: [hostParent(sectionName)] } },
        { subresource: 'status' },
      );
    }
    await table.settle();
    const statusOf = (name: string, ns: string) =>
      table.virtual.objects(HR, ns).find((r) => r.metadata?.name === name)?.status;
    // Named as each route names it: without a namespace in the copy's own, with one elsewhere (the
    // narrowed parent joined back into the one the tenant wrote).
    expect(statusOf('same-ns', 'shared')).toEqual({
      parents: [{ ...hostParent(), parentRef: { group: GROUP, kind: 'Gateway', name: 'edge' } }],
    });
    expect(statusOf('web', 'team')).toEqual({
      parents: [
        { ...hostParent(), parentRef: { group: GROUP, kind: 'Gateway', name: 'edge', namespace: 'shared' } },
      ],
    });
  });

  it("a route from a namespace the admin's policy does not admit is not synced until its namespace is labelled", async () => {
    const table = await importing({
      allowedRoutes: {
        defaultVirtualNamespacePolicy: { from: 'Selector', selector: { matchLabels: { team: 'apps' } } },
      },
    });
    await table.virtual.create(HR, 'team', route('web', [{ name: 'edge', namespace: 'shared' }]));
    await table.virtual.create(
      HR,
      'apps',
      route('api', [{ name: 'edge', namespace: 'shared' }], undefined, 'apps'),
    );
    await table.settle();
    expect(hostRoute(table, 'web')).toBeUndefined();
    expect(events(table, 'HTTPRoute', 'team').join('\n')).toContain(
      'the Gateway does not allow routes from namespace team',
    );
    expect(parentsOf(hostRoute(table, 'api', 'apps'))).toEqual([{ name: 'edge', namespace: 'platform' }]);

    const team = table.virtual.objects(NS, '').find((n) => n.metadata?.name === 'team')!;
    await table.virtual.update(NS, '', { ...team, metadata: { ...team.metadata, labels: { team: 'apps' } } });
    await table.settle();
    expect(parentsOf(hostRoute(table, 'web'))).toEqual([{ name: 'edge', namespace: 'platform' }]);
  });

  it("is judged by the copy the admin's config makes, not one the tenant edited", async () => {
    const table = await importing({ allowedRoutes: { defaultVirtualNamespacePolicy: { from: 'Same' } } });
    await table.settle();
    const shown = mirror(table)!;
    const spec = shown.spec as { listeners: Record<string, unknown>[] };
    const opened = spec.listeners.map((l) => ({ ...l, allowedRoutes: { namespaces: { from: 'All' } } }));
    await table.virtual.update(GW, 'shared', { ...shown, spec: { ...spec, listeners: opened } });
    await table.virtual.create(HR, 'team', route('web', [{ name: 'edge', namespace: 'shared' }]));
    await table.settle();
    expect(hostRoute(table, 'web')).toBeUndefined();
  });

  it('an override limits the hostnames routes may claim on its Gateway: one claiming others is not synced', async () => {
    const table = await importing({
      allowedRoutes: {
        overrides: [{ hostNamespace: 'platform', name: 'edge', allowedHostnames: ['*.team-a.example.com'] }],
      },
    });
    const parent = [{ name: 'edge', namespace: 'shared', sectionName: 'http' }];
    await table.virtual.create(HR, 'team', route('ok', parent, ['api.team-a.example.com']));
    await table.virtual.create(HR, 'team', route('theirs', parent, ['admin.example.com']));
    await table.virtual.create(HR, 'team', route('any', parent));
    await table.settle();
    expect(parentsOf(hostRoute(table, 'ok'))).toEqual([
      { name: 'edge', namespace: 'platform', sectionName: 'http' },
    ]);
    expect(hostRoute(table, 'theirs')).toBeUndefined();
    expect(hostRoute(table, 'any')).toBeUndefined();
    const told = events(table, 'HTTPRoute', 'team').join('\n');
    expect(told).toContain(
      `hostname "admin.example.com" is not permitted by imported Gateway "edge"'s hostname policy`,
    );
    expect(told).toContain(
      `a HTTPRoute with no hostnames is not permitted by imported Gateway "edge"'s hostname policy`,
    );
  });

  it("a place of the mapping with no host Gateway behind it is no tenant's: a Gateway there is refused, and a route naming it is not synced", async () => {
    const table = await importing();
    await table.virtual.create(GW, 'shared', {
      metadata: { name: 'mine', namespace: 'shared' },
      spec: { gatewayClassName: 'shared', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
    });
    await table.virtual.create(HR, 'team', route('web', [{ name: 'mine', namespace: 'shared' }]));
    await table.settle();
    expect(table.host.objects(GW, HOST_NS)).toEqual([]);
    expect(events(table, 'Gateway', 'shared').join('\n')).toContain(
      'Gateway shared/mine is reserved for an imported Gateway',
    );
    expect(hostRoute(table, 'web')).toBeUndefined();
    expect(events(table, 'HTTPRoute', 'team').join('\n')).toContain('no host Gateway is shown there now');
  });

  it('a route attached to a host Gateway that goes leaves the host with it, and comes back with it', async () => {
    const table = await importing();
    await table.virtual.create(
      HR,
      'team',
      route('web', [{ name: 'edge', namespace: 'shared', sectionName: 'http' }]),
    );
    await table.settle();
    expect(parentsOf(hostRoute(table, 'web'))).toEqual([
      { name: 'edge', namespace: 'platform', sectionName: 'http' },
    ]);
    await table.host.delete(GW, 'platform', 'edge');
    await table.settle();
    expect(hostRoute(table, 'web')).toBeUndefined();
    await table.host.create(GW, 'platform', platformGateway('edge'));
    await table.settle();
    expect(parentsOf(hostRoute(table, 'web'))).toEqual([
      { name: 'edge', namespace: 'platform', sectionName: 'http' },
    ]);
  });

  it("with --allowed-ingress-host a route must name its hostnames to attach to a shared host Gateway (its listeners' names are the admin's, not bounded)", async () => {
    const table = await importing({}, { allowedIngressHost: ['*.team.example.com'] });
    const parent = [{ name: 'edge', namespace: 'shared', sectionName: 'http' }];
    await table.virtual.create(HR, 'team', route('named', parent, ['shop.team.example.com']));
    await table.virtual.create(HR, 'team', route('unnamed', parent));
    await table.settle();
    expect(parentsOf(hostRoute(table, 'named'))).toEqual([
      { name: 'edge', namespace: 'platform', sectionName: 'http' },
    ]);
    expect(hostRoute(table, 'unnamed')).toBeUndefined();
    expect(events(table, 'HTTPRoute', 'team').join('\n')).toContain(
      "a HTTPRoute without hostnames would serve every name of the host's shared Gateway",
    );
  });

  it("a host Gateway of the release's own namespace (the admin's, not a copy) is attached to and named in status", async () => {
    const table = await start({
      kinds: ['host-gateways', 'httproutes'],
      file: { hostGateways: { mappings: { byName: { [`${HOST_NS}/edge`]: 'shared/edge' } } } },
      host: [[GW, platformGateway('edge', {}, HOST_NS)]],
      virtual: [[NS, namespace('team')]],
    });
    await table.virtual.create(
      HR,
      'team',
      route('web', [{ name: 'edge', namespace: 'shared', sectionName: 'http' }]),
    );
    await table.settle();
    const host = hostRoute(table, 'web')!;
    expect(parentsOf(host)).toEqual([{ name: 'edge', namespace: HOST_NS, sectionName: 'http' }]);
    const accepted = { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'ok' };
    const parentRef = {
      group: GROUP,
      kind: 'Gateway',
      name: 'edge',
      namespace: HOST_NS,
      sectionName: 'http',
    };
    await table.host.update(
      HR,
      HOST_NS,
      {
        ...host,
        status: { parents: [{ parentRef, controllerName: 'example.com/gateway', conditions: [accepted] }] },
      },
      { subresource: 'status' },
    );
    await table.settle();
    const virtual = table.virtual.objects(HR, 'team').find((r) => r.metadata?.name === 'web')!;
    expect((virtual.status as { parents: { parentRef: unknown }[] }).parents.map((p) => p.parentRef)).toEqual(
      [{ ...parentRef, namespace: 'shared' }],
    );
  });

  it('a host Gateway every syncer is to leave alone (controlled-by) is neither shown nor attached to', async () => {
    const table = await start({
      kinds: ['host-gateways', 'httproutes'],
      file: { hostGateways: { mappings: { byName: { 'platform/*': 'shared/*' } } } },
      host: [[GW, platformGateway('edge', { 'vcluster.loft.sh/controlled-by': 'other' })]],
      virtual: [[NS, namespace('team')]],
    });
    await table.virtual.create(
      HR,
      'team',
      route('web', [{ name: 'edge', namespace: 'shared', sectionName: 'http' }]),
    );
    await table.settle();
    expect(mirror(table)).toBeUndefined();
    expect(hostRoute(table, 'web')).toBeUndefined();
  });
});
