// Host Gateways shown to tenants (vCluster's sync.fromHost.gateways; the host-gateways kind with the
// config file's hostGateways), and tenants' HTTPRoutes attaching to them, between real API servers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostName } from '../src/naming/names.ts';
import { waitFor } from '../test/harness/clusters.ts';
import { installGatewayApiCrds } from '../test/harness/gateway-api.ts';
import {
  apply,
  createTenantNamespace,
  getObject,
  mustKubectl,
  waitForEvents,
} from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

const GROUP = 'gateway.networking.k8s.io';
const GATEWAYS = `gateways.${GROUP}`;
const ROUTES = `httproutes.${GROUP}`;

type Ref = { name: string; namespace?: string; group?: string; kind?: string; sectionName?: string };
interface Gateway {
  metadata: { labels?: Record<string, string>; generation: number; resourceVersion: string };
  spec: {
    gatewayClassName: string;
    listeners: { name: string; port: number; tls?: Record<string, unknown> }[];
  };
  status?: { addresses?: unknown[]; conditions?: { type: string; observedGeneration?: number }[] };
}
interface Route {
  spec: { parentRefs: Ref[] };
  status?: { parents?: { parentRef: Ref; controllerName: string }[] };
}

const vc = uniqueName('hostgw');
const hostNs = `host-${vc}`;
const platform = uniqueName('platform');
const shared = uniqueName('shared');
const team = uniqueName('team');
let syncer: SyncerProcess;
let dir: string;

const condition = (type: string) => ({
  type,
  status: 'True',
  reason: type,
  message: '',
  observedGeneration: 1,
  lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
});
const hostGateway = (name: string, labels: Record<string, string>) => ({
  apiVersion: `${GROUP}/v1`,
  kind: 'Gateway',
  metadata: { name, namespace: platform, labels },
  spec: {
    gatewayClassName: 'shared-class',
    listeners: [
      { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } },
      {
        name: 'https',
        port: 443,
        protocol: 'HTTPS',
        hostname: '*.example.com',
        tls: { mode: 'Terminate', certificateRefs: [{ name: 'wildcard-cert' }] },
        allowedRoutes: { namespaces: { from: 'Same' } },
      },
    ],
  },
});
const route = (name: string, hostnames: string[]) => ({
  apiVersion: `${GROUP}/v1`,
  kind: 'HTTPRoute',
  metadata: { name, namespace: team },
  spec: { parentRefs: [{ name: 'edge', namespace: shared }], hostnames, rules: [{}] },
});
const mirror = (name: string) => getObject<Gateway>('virtual', [GATEWAYS, name, '-n', shared]);
const hostRoute = (name: string) =>
  getObject<Route>('host', [ROUTES, hostName(name, team, vc), '-n', hostNs]);

beforeAll(async () => {
  await installGatewayApiCrds('host');
  await installGatewayApiCrds('virtual');
  await prepareHostNamespace(vc, hostNs);
  await mustKubectl('host', ['create', 'namespace', platform]);
  await apply('host', hostGateway('edge', { tenants: 'yes' }));
  await apply('host', hostGateway('internal', {}));
  await createTenantNamespace(team);
  dir = mkdtempSync(join(tmpdir(), 'vsyncer-hostgw-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      hostGateways: {
        mappings: { byName: { [`${platform}/*`]: `${shared}/*` } },
        selector: { matchLabels: { tenants: 'yes' } },
        allowedRoutes: {
          overrides: [{ hostNamespace: platform, name: 'edge', allowedHostnames: ['*.team.example.com'] }],
        },
      },
    }),
  );
  syncer = await startSyncer({
    name: vc,
    hostNamespace: hostNs,
    args: ['--config', config, '--sync=+host-gateways,+gateways,+httproutes,-pods,-events'],
  });
}, 180_000);

afterAll(async () => {
  await mustKubectl('virtual', ['delete', 'namespace', team, shared, '--wait=false']).catch(() => undefined);
  await syncer?.stop();
  await mustKubectl('host', ['delete', 'namespace', platform, '--wait=false']).catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('host Gateways shown to tenants', () => {
  it('shows the selected host Gateway in its mapped namespace, without its certificates; not the unselected one', async () => {
    const shown = await waitFor(`the copy of ${platform}/edge`, () => mirror('edge'), 60_000);
    expect(shown.metadata.labels?.['vcluster.loft.sh/imported-gateway']).toBe('true');
    const https = shown.spec.listeners.find((l) => l.name === 'https')!;
    expect(https.tls?.certificateRefs).toBeUndefined();
    expect(https.tls?.options).toEqual({ 'vcluster.loft.sh/certificate-refs-sanitized': 'true' });
    expect(await mirror('internal')).toBeUndefined();
  }, 120_000);

  it("shows the host's status without its addresses, and reverts a tenant's edit", async () => {
    await mustKubectl('host', [
      'patch',
      GATEWAYS,
      'edge',
      '-n',
      platform,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({
        status: {
          addresses: [{ type: 'IPAddress', value: '203.0.113.10' }],
          conditions: [condition('Accepted'), condition('Programmed')],
        },
      }),
    ]);
    const shown = await waitFor(
      'the host status on the copy',
      async () => {
        const g = await mirror('edge');
        return g?.status?.conditions?.some((c) => c.type === 'Programmed') ? g : undefined;
      },
      60_000,
    );
    expect(shown.status?.addresses ?? []).toEqual([]);
    // Current on the host is current on the copy, whose generations are its own.
    expect(shown.status?.conditions?.map((c) => c.observedGeneration)).toEqual([
      shown.metadata.generation,
      shown.metadata.generation,
    ]);
    // Settled: the virtual API server keeps the copy as written (no defaulting it would rewrite for ever).
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await mirror('edge'))?.metadata.resourceVersion).toBe(shown.metadata.resourceVersion);

    await mustKubectl('virtual', [
      'patch',
      GATEWAYS,
      'edge',
      '-n',
      shared,
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'replace', path: '/spec/listeners/0/port', value: 8080 }]),
    ]);
    await waitFor(
      'the edit reverted',
      async () => (await mirror('edge'))?.spec.listeners[0]?.port === 80,
      60_000,
    );
  }, 120_000);

  it('a route naming the copy attaches to the host Gateway, on the listeners that admit it; status comes back naming the copy', async () => {
    await apply('virtual', route('web', ['shop.team.example.com']));
    const host = await waitFor('host HTTPRoute web', () => hostRoute('web'), 60_000);
    // The https listener admits only the Gateway's own namespace: narrowed to the http one.
    expect(host.spec.parentRefs).toEqual([
      { group: GROUP, kind: 'Gateway', name: 'edge', namespace: platform, sectionName: 'http' },
    ]);

    await mustKubectl('host', [
      'patch',
      ROUTES,
      hostName('web', team, vc),
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
                name: 'edge',
                namespace: platform,
                sectionName: 'http',
              },
              controllerName: 'example.com/gateway-controller',
              conditions: [condition('Accepted')],
            },
          ],
        },
      }),
    ]);
    const web = await waitFor(
      'the virtual HTTPRoute status',
      async () => {
        const r = await getObject<Route>('virtual', [ROUTES, 'web', '-n', team]);
        return r?.status?.parents?.length ? r : undefined;
      },
      60_000,
    );
    expect(web.status!.parents![0]!.parentRef).toEqual({
      group: GROUP,
      kind: 'Gateway',
      name: 'edge',
      namespace: shared,
    });
  }, 120_000);

  it('a route claiming a hostname the admin does not allow on that Gateway is not synced, and told', async () => {
    await apply('virtual', route('admin', ['admin.example.com']));
    const events = await waitForEvents('virtual', team, 'admin', 'SyncError');
    expect(await hostRoute('admin')).toBeUndefined();
    expect(events.map((e) => e.message).join('\n')).toContain(
      `hostname "admin.example.com" is not permitted by imported Gateway "edge"'s hostname policy`,
    );
  }, 120_000);

  it("a tenant's Gateway in the mapped namespace is refused; the copy goes with the host Gateway, and the routes attached to it with it", async () => {
    await apply('virtual', {
      apiVersion: `${GROUP}/v1`,
      kind: 'Gateway',
      metadata: { name: 'mine', namespace: shared },
      spec: { gatewayClassName: 'shared-class', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
    });
    const events = await waitForEvents('virtual', shared, 'mine', 'SyncError');
    expect(events.map((e) => e.message).join('\n')).toContain(
      `Gateway ${shared}/mine is reserved for an imported Gateway`,
    );
    expect(await getObject('host', [GATEWAYS, hostName('mine', shared, vc), '-n', hostNs])).toBeUndefined();

    await mustKubectl('host', ['delete', GATEWAYS, 'edge', '-n', platform]);
    await waitFor('the copy gone', async () => (await mirror('edge')) === undefined, 60_000);
    await waitFor('host HTTPRoute web removed', async () => (await hostRoute('web')) === undefined, 60_000);
    // What the host's controller said of it (Accepted, above) no longer holds: cleared.
    await waitFor(
      'the status of HTTPRoute web cleared',
      async () => !(await getObject<Route>('virtual', [ROUTES, 'web', '-n', team]))?.status?.parents?.length,
      60_000,
    );
  }, 120_000);
});
