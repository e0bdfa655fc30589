// HTTPRoutes synced alone (vCluster's sync.toHost.gatewayApi.httpRoutes with referenceGrants off or
// auto): a virtual cluster without the Gateway API CRDs gets the ones a route reads, and the tenant's
// ReferenceGrants still decide its cross-namespace references without being copied to the host.
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
/** What a route reads in the virtual cluster besides its own kind. */
const READ_CRDS = ['httproutes', 'gateways', 'referencegrants'].map((r) => `${r}.${GROUP}`);

interface Route {
  spec: { rules: { backendRefs: { name: string; namespace?: string }[] }[] };
}

const vc = uniqueName('gwroutes');
const hostNs = `host-${vc}`;
const ns = uniqueName('routes');
const other = uniqueName('routes-other');
let syncer: SyncerProcess;

const hostRoute = (name: string) =>
  getObject<Route>('host', [`httproutes.${GROUP}`, hostName(name, ns, vc), '-n', hostNs]);
const backendOf = async (name: string) => (await hostRoute(name))?.spec.rules[0]?.backendRefs[0]?.name;

beforeAll(async () => {
  await installGatewayApiCrds('host');
  // A virtual cluster that has none of them (other suites install them there again, over the copies).
  await mustKubectl('virtual', ['delete', 'crd', ...READ_CRDS, '--ignore-not-found']);
  await prepareHostNamespace(vc, hostNs);
  await createTenantNamespace(ns);
  await createTenantNamespace(other);
  syncer = await startSyncer({ name: vc, hostNamespace: hostNs, args: ['--sync=+httproutes,-pods,-events'] });
}, 180_000);

afterAll(async () => {
  for (const n of [ns, other])
    await mustKubectl('virtual', ['delete', 'namespace', n, '--wait=false']).catch(() => undefined);
  await syncer?.stop();
});

describe('HTTPRoutes without ReferenceGrant copies', () => {
  it("copies the host's CRDs of routes, Gateways and ReferenceGrants into a virtual cluster that lacks them", async () => {
    for (const crd of READ_CRDS) {
      const copied = await waitFor(
        `the ${crd} CRD in the virtual cluster`,
        () => getObject<{ metadata: { labels?: Record<string, string> } }>('virtual', ['crd', crd]),
        60_000,
      );
      expect(copied.metadata.labels?.['vsyncer.dev/managed']).toBe('true');
    }
    await mustKubectl('virtual', [
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      ...READ_CRDS.map((c) => `crd/${c}`),
    ]);
  }, 120_000);

  it("a tenant's ReferenceGrant allows a backend in its namespace, and stays in the virtual cluster", async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api', namespace: other },
      spec: { selector: { app: 'api' }, ports: [{ port: 80 }] },
    });
    await apply('virtual', {
      apiVersion: `${GROUP}/v1`,
      kind: 'HTTPRoute',
      metadata: { name: 'cross', namespace: ns },
      spec: { rules: [{ backendRefs: [{ name: 'api', namespace: other, port: 80 }] }] },
    });
    // Not permitted yet: no copy, and the tenant is told (vCluster's reason).
    await waitForEvents('virtual', ns, 'cross', 'RefNotPermitted');
    expect(await hostRoute('cross')).toBeUndefined();

    await apply('virtual', {
      apiVersion: `${GROUP}/v1beta1`,
      kind: 'ReferenceGrant',
      metadata: { name: 'routes-in', namespace: other },
      spec: {
        from: [{ group: GROUP, kind: 'HTTPRoute', namespace: ns }],
        to: [{ group: '', kind: 'Service' }],
      },
    });
    await waitFor(
      'host HTTPRoute cross naming the copy of the granted Service',
      async () => (await backendOf('cross')) === hostName('api', other, vc),
      60_000,
    );
    const hostGrants = await getObject<{ items: unknown[] }>('host', [
      `referencegrants.${GROUP}`,
      '-n',
      hostNs,
    ]);
    expect(hostGrants?.items).toEqual([]);

    // The grant withdrawn: the copy goes.
    await mustKubectl('virtual', ['delete', `referencegrants.${GROUP}`, 'routes-in', '-n', other]);
    await waitFor(
      'host HTTPRoute cross removed',
      async () => (await hostRoute('cross')) === undefined,
      60_000,
    );
  }, 120_000);
});
