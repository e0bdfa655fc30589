import { hostName } from '../src/naming/names.ts';
import { waitFor } from '../test/harness/clusters.ts';
import { installGatewayApiCrds } from '../test/harness/gateway-api.ts';
import {
  apply,
  createTenantNamespace,
  getObject,
  mustKubectl,
  waitForEvents,
  type Cluster,
} from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

const GROUP = 'gateway.networking.k8s.io';
const ABSENT = /^vsyncer-absent-[0-9a-f]{20}$/;

type Ref = { name: string; namespace?: string; group?: string; kind?: string; sectionName?: string };
interface Route {
  spec: { parentRefs: Ref[]; rules: { backendRefs: Ref[] }[] };
  status?: { parents?: { parentRef: Ref; controllerName: string }[] };
}
interface Gateway {
  metadata: { generation: number };
  spec: { gatewayClassName: string; listeners: { name: string; tls?: { certificateRefs: Ref[] } }[] };
  status?: { addresses?: { value: string }[] };
}

const vc = uniqueName('gwapi');
const hostNs = `host-${vc}`;
const ns = uniqueName('gw');
const other = uniqueName('gw-other');
const host = (name: string, namespace = ns) => hostName(name, namespace, vc);
let syncer: SyncerProcess;

const object = <T>(cluster: Cluster, kind: string, name: string, namespace: string) =>
  getObject<T>(cluster, [kind, name, '-n', namespace]);
const hostRoute = (name: string) =>
  object<Route>('host', 'httproutes.gateway.networking.k8s.io', host(name), hostNs);
const route = (name: string, parentRefs: Ref[], backendRefs: Ref[]) => ({
  apiVersion: `${GROUP}/v1`,
  kind: 'HTTPRoute',
  metadata: { name, namespace: ns },
  spec: { parentRefs, rules: [{ backendRefs: backendRefs.map((b) => ({ ...b, port: 80 })) }] },
});
const service = (name: string, namespace: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace },
  spec: { selector: { app: name }, ports: [{ port: 80 }] },
});
const condition = (type: string, reason: string) => ({
  type,
  status: 'True',
  reason,
  message: '',
  lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
});

beforeAll(async () => {
  // Other tests share these clusters: the CRDs are installed once and left in place.
  await installGatewayApiCrds('host');
  await installGatewayApiCrds('virtual');
  await prepareHostNamespace(vc, hostNs);
  await createTenantNamespace(ns);
  await createTenantNamespace(other);
  syncer = await startSyncer({
    name: vc,
    hostNamespace: hostNs,
    args: [
      '--sync=+gateways,+httproutes,+referencegrants,-pods,-events',
      // The virtual API server's own name (the chart's controlPlane.ingress), on a shared data plane.
      `--reserved-ingress-host=${vc}.vcluster.example.com`,
    ],
  });
}, 180_000);

afterAll(async () => {
  for (const n of [ns, other])
    await mustKubectl('virtual', ['delete', 'namespace', n, '--wait=false']).catch(() => undefined);
  await syncer?.stop();
});

describe('Gateway API', () => {
  it("a Gateway and an HTTPRoute reach the host naming this tenant's copies; the host's status flows back", async () => {
    await apply('virtual', service('web', ns));
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'tls', namespace: ns },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': 'Yw==', 'tls.key': 'aw==' },
    });
    await apply('virtual', {
      apiVersion: `${GROUP}/v1`,
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: ns },
      spec: {
        gatewayClassName: 'host-class',
        listeners: [
          {
            name: 'https',
            port: 443,
            protocol: 'HTTPS',
            hostname: 'web.example.com',
            tls: { certificateRefs: [{ name: 'tls' }] },
          },
        ],
      },
    });
    await apply('virtual', route('web', [{ name: 'gw', sectionName: 'https' }], [{ name: 'web' }]));

    const hostGateway = await waitFor(
      'host Gateway',
      () => object<Gateway>('host', 'gateways.gateway.networking.k8s.io', host('gw'), hostNs),
      60_000,
    );
    expect(hostGateway.spec.gatewayClassName).toBe('host-class');
    expect(hostGateway.spec.listeners[0]!.tls?.certificateRefs).toEqual([
      { group: '', kind: 'Secret', name: host('tls') },
    ]);
    // The certificate is synced because the Gateway names it (no pod does).
    expect(await object('host', 'secret', host('tls'), hostNs)).toBeDefined();
    const hostWeb = await waitFor('host HTTPRoute', () => hostRoute('web'), 60_000);
    expect(hostWeb.spec.parentRefs).toEqual([
      { group: GROUP, kind: 'Gateway', name: host('gw'), sectionName: 'https' },
    ]);
    expect(hostWeb.spec.rules[0]!.backendRefs).toEqual([
      expect.objectContaining({ group: '', kind: 'Service', name: host('web'), port: 80 }),
    ]);

    // The host's gateway controller (this test) writes status; it flows up in virtual names.
    await mustKubectl('host', [
      'patch',
      'gateways.gateway.networking.k8s.io',
      host('gw'),
      '-n',
      hostNs,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({
        status: {
          addresses: [{ type: 'IPAddress', value: '203.0.113.10' }],
          conditions: [
            { ...condition('Programmed', 'Programmed'), observedGeneration: hostGateway.metadata.generation },
          ],
        },
      }),
    ]);
    await mustKubectl('host', [
      'patch',
      'httproutes.gateway.networking.k8s.io',
      host('web'),
      '-n',
      hostNs,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({
        status: {
          parents: [
            {
              parentRef: {
                group: GROUP,
                kind: 'Gateway',
                name: host('gw'),
                namespace: hostNs,
                sectionName: 'https',
              },
              controllerName: 'example.com/gateway-controller',
              conditions: [condition('Accepted', 'Accepted')],
            },
          ],
        },
      }),
    ]);
    const gw = await waitFor(
      'virtual Gateway status',
      async () => {
        const g = await object<Gateway>('virtual', 'gateways.gateway.networking.k8s.io', 'gw', ns);
        return g?.status?.addresses?.[0]?.value === '203.0.113.10' && g;
      },
      60_000,
    );
    expect(gw.status?.addresses).toEqual([{ type: 'IPAddress', value: '203.0.113.10' }]);
    const web = await waitFor(
      'virtual HTTPRoute status',
      async () => {
        const r = await object<Route>('virtual', 'httproutes.gateway.networking.k8s.io', 'web', ns);
        return (r?.status?.parents?.length ?? 0) > 0 && r;
      },
      60_000,
    );
    // Named as the route names it: its own namespace's Gateway, without a namespace.
    expect(web.status?.parents?.[0]?.parentRef).toEqual({
      group: GROUP,
      kind: 'Gateway',
      name: 'gw',
      sectionName: 'https',
    });
  }, 120_000);

  it('a route with a backend in another virtual namespace is kept off the host without a ReferenceGrant there, and synced once one allows it', async () => {
    await apply('virtual', service('api', other));
    await apply('virtual', route('cross', [{ name: 'gw' }], [{ name: 'api', namespace: other }]));
    // vCluster's reason for it.
    const events = await waitForEvents('virtual', ns, 'cross', 'RefNotPermitted');
    expect(events.map((e) => e.message).join('\n')).toContain(
      `no ReferenceGrant in namespace ${other} allows it`,
    );
    expect(await hostRoute('cross')).toBeUndefined();

    await apply('virtual', {
      apiVersion: `${GROUP}/v1beta1`,
      kind: 'ReferenceGrant',
      metadata: { name: 'routes-from-gw', namespace: other },
      spec: {
        from: [{ group: GROUP, kind: 'HTTPRoute', namespace: ns }],
        to: [{ group: '', kind: 'Service' }],
      },
    });
    await waitFor(
      'host HTTPRoute cross naming the copy of the granted Service',
      async () => (await hostRoute('cross'))?.spec.rules[0]!.backendRefs[0]!.name === host('api', other),
      60_000,
    );
    // The grant's host copy names only the host namespace: it grants nothing there.
    const grantCopy = await waitFor(
      'host ReferenceGrant',
      () =>
        object<{ spec: { from: { namespace: string }[] } }>(
          'host',
          'referencegrants.gateway.networking.k8s.io',
          host('routes-from-gw', other),
          hostNs,
        ),
      60_000,
    );
    expect(grantCopy.spec.from.map((f) => f.namespace)).toEqual([hostNs]);
  }, 120_000);

  it('a tenant cannot name a host Service that is not its copy', async () => {
    await apply('host', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'host-admin', namespace: hostNs },
      spec: { ports: [{ port: 80 }] },
    });
    await apply('virtual', route('sneaky', [{ name: 'gw' }], [{ name: 'host-admin' }]));
    const sneaky = await waitFor('host HTTPRoute sneaky', () => hostRoute('sneaky'), 60_000);
    expect(sneaky.spec.rules[0]!.backendRefs[0]!.name).toMatch(ABSENT);
    const events = await waitForEvents('virtual', ns, 'sneaky', 'SyncError');
    expect(events.map((e) => e.message).join('\n')).toContain('Service "host-admin"');
    expect(events.map((e) => e.message).join('\n')).not.toContain(hostNs);
  }, 120_000);

  it("an HTTPRoute claiming the virtual API server's reserved host (a wildcard above it) gets a SyncError and no copy", async () => {
    await apply('virtual', {
      ...route('takeover', [{ name: 'gw' }], [{ name: 'web' }]),
      spec: { ...route('takeover', [{ name: 'gw' }], [{ name: 'web' }]).spec, hostnames: ['*.example.com'] },
    });
    const events = await waitForEvents('virtual', ns, 'takeover', 'SyncError');
    expect(events.map((e) => e.message).join('\n')).toContain(
      `host "*.example.com" is reserved for the virtual cluster's API server ("${vc}.vcluster.example.com")`,
    );
    expect(await hostRoute('takeover')).toBeUndefined();
  }, 120_000);
});
