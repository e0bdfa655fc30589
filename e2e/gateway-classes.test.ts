import { hostName } from '../src/naming/names.ts';
import { waitFor } from '../test/harness/clusters.ts';
import { installGatewayApiCrds } from '../test/harness/gateway-api.ts';
import { apply, createTenantNamespace, eventsFor, getObject, mustKubectl } from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

/*
 * The host's GatewayClasses shown in the virtual cluster (vCluster's sync.fromHost.gatewayClasses with
 * a selector), and tenants' Gateways held to them, step by step as vCluster's own e2e suite checks it
 * (test_gatewayapi_sync.go).
 */
const GROUP = 'gateway.networking.k8s.io';
const SELECTOR_KEY = 'e2e.vsyncer.dev/gatewayclass';
const vc = uniqueName('gwclass');
const hostNs = `host-${vc}`;
const ns = uniqueName('gwc');
const allowed = uniqueName('gc-allowed');
const hidden = uniqueName('gc-hidden');
let syncer: SyncerProcess;

interface GatewayClass {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { controllerName: string; description?: string; parametersRef?: unknown };
}

const hostClass = (name: string, selected: boolean) => ({
  apiVersion: `${GROUP}/v1`,
  kind: 'GatewayClass',
  metadata: { name, labels: { [SELECTOR_KEY]: selected ? vc : 'other' } },
  spec: {
    controllerName: 'example.com/gateway-controller',
    description: `e2e ${name}`,
    parametersRef: { group: '', kind: 'ConfigMap', name: 'gateway-config', namespace: 'kube-system' },
  },
});
const gateway = (name: string, className: string) => ({
  apiVersion: `${GROUP}/v1`,
  kind: 'Gateway',
  metadata: { name, namespace: ns },
  spec: { gatewayClassName: className, listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
});
const virtualClass = (name: string) => getObject<GatewayClass>('virtual', ['gatewayclass', name]);
const hostGateway = (name: string) =>
  getObject('host', ['gateways.gateway.networking.k8s.io', hostName(name, ns, vc), '-n', hostNs]);
const relabel = (name: string, value: string) =>
  mustKubectl('host', ['label', 'gatewayclass', name, `${SELECTOR_KEY}=${value}`, '--overwrite']);

beforeAll(async () => {
  await installGatewayApiCrds('host');
  // The virtual cluster gets the host's GatewayClass CRD from the syncer, as vCluster installs it
  // (other tests install the CRDs there again, over the copy).
  await mustKubectl('virtual', [
    'delete',
    'crd',
    'gatewayclasses.gateway.networking.k8s.io',
    '--ignore-not-found',
  ]);
  await prepareHostNamespace(vc, hostNs);
  await createTenantNamespace(ns);
  await apply('host', hostClass(allowed, true));
  await apply('host', hostClass(hidden, false));
  syncer = await startSyncer({
    name: vc,
    hostNamespace: hostNs,
    args: [
      '--sync=+gateways,+host-gatewayclasses,-pods,-events',
      `--host-gatewayclasses-selector=${SELECTOR_KEY}=${vc}`,
    ],
  });
}, 180_000);

afterAll(async () => {
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await syncer?.stop();
  await mustKubectl('host', ['delete', 'gatewayclass', allowed, hidden, '--ignore-not-found']).catch(
    () => undefined,
  );
});

describe('GatewayClasses from the host (host-gatewayclasses with a selector)', () => {
  it("copies the host's GatewayClass CRD into a virtual cluster that lacks it", async () => {
    const copied = await waitFor(
      'the GatewayClass CRD in the virtual cluster',
      () =>
        getObject<{ metadata: { labels?: Record<string, string> } }>('virtual', [
          'crd',
          'gatewayclasses.gateway.networking.k8s.io',
        ]),
      60_000,
    );
    expect(copied.metadata.labels?.['vsyncer.dev/managed']).toBe('true');
  }, 120_000);

  it('shows the selected class without its parametersRef, hides the other, and follows relabelling', async () => {
    const shown = await waitFor(
      'the allowed class in the virtual cluster',
      () => virtualClass(allowed),
      60_000,
    );
    expect(shown.spec).toEqual({
      controllerName: 'example.com/gateway-controller',
      description: `e2e ${allowed}`,
    });
    expect(await virtualClass(hidden)).toBeUndefined();

    await relabel(hidden, vc);
    await waitFor('the relabelled class shown', () => virtualClass(hidden), 60_000);
    await relabel(hidden, 'other');
    await waitFor(
      'the delabelled class gone',
      async () => (await virtualClass(hidden)) === undefined,
      60_000,
    );

    await mustKubectl('host', ['annotate', 'gatewayclass', allowed, `e2e.vsyncer.dev/resync=${vc}`]);
    const updated = await waitFor(
      'the host annotation shown',
      async () => {
        const c = await virtualClass(allowed);
        return c?.metadata.annotations?.['e2e.vsyncer.dev/resync'] === vc && c;
      },
      60_000,
    );
    expect(updated.spec.parametersRef).toBeUndefined();
  }, 240_000);

  it("a Gateway naming a hidden class never reaches the host and gets vCluster's SyncWarning; one naming the allowed class does, until it names the hidden one", async () => {
    await apply('virtual', gateway('bad', hidden));
    await apply('virtual', gateway('good', allowed));
    const good = await waitFor('the allowed Gateway on the host', () => hostGateway('good'), 60_000);
    expect((good as { spec: { gatewayClassName: string } }).spec.gatewayClassName).toBe(allowed);
    expect(await hostGateway('bad')).toBeUndefined();
    const warning = `GatewayClass "${hidden}" is not available in this virtual cluster`;
    await waitFor(
      'the SyncWarning on the refused Gateway',
      async () =>
        (await eventsFor('virtual', ns, 'bad')).some(
          (e) => e.reason === 'SyncWarning' && e.message === warning,
        ),
      60_000,
    );

    await apply('virtual', gateway('good', hidden));
    await waitFor(
      'the host copy gone, with the SyncWarning',
      async () =>
        (await hostGateway('good')) === undefined &&
        (await eventsFor('virtual', ns, 'good')).some(
          (e) => e.reason === 'SyncWarning' && e.message === warning,
        ),
      60_000,
    );
    expect(await hostGateway('bad')).toBeUndefined();
  }, 180_000);

  it('a host class deleted disappears from the virtual cluster', async () => {
    await mustKubectl('host', ['delete', 'gatewayclass', allowed]);
    await waitFor('the class gone', async () => (await virtualClass(allowed)) === undefined, 60_000);
  }, 120_000);
});
