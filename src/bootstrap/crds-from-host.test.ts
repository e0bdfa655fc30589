import type { InformerFactory } from '../informer/factory.ts';
import type { KubeObject } from '../kube/object.ts';
import { Resources, type ResourceType } from '../kube/resources.ts';
import { CRDS } from '../translators/custom-resources/crd.ts';
import { FakeCluster } from '../testing/fake-cluster.ts';
import { FakeClock } from '../util/clock.ts';
import { createLogger } from '../util/log.ts';
import { CrdsFromHost } from './crds-from-host.ts';

const GATEWAY_CLASSES = Resources.gatewayClasses;
const crd = (type: ResourceType, labels: Record<string, string> = {}): KubeObject => ({
  metadata: {
    name: `${type.resource}.${type.group}`,
    labels,
    annotations: {
      'api-approved.kubernetes.io': 'https://github.com/kubernetes-sigs/gateway-api/pull/3328',
      'gateway.networking.k8s.io/bundle-version': 'v1.6.3',
      'meta.helm.sh/release-namespace': 'gateway-system',
    },
  },
  spec: {
    group: type.group,
    scope: type.namespaced ? 'Namespaced' : 'Cluster',
    names: { kind: type.kind, plural: type.resource },
    versions: [{ name: 'v1', served: true, storage: true }],
    conversion: {
      strategy: 'Webhook',
      webhook: { clientConfig: { service: { name: 'x', namespace: 'y' } } },
    },
  },
});
const establish = async (cluster: FakeCluster, name: string) => {
  const current = await cluster.get(CRDS, '', name);
  await cluster.update(
    CRDS,
    '',
    { ...current, status: { conditions: [{ type: 'Established', status: 'True' }] } },
    { subresource: 'status' },
  );
};
const tick = () => new Promise((r) => setImmediate(r));

function setup(types: ResourceType[]) {
  const host = new FakeCluster('host');
  const virtual = new FakeCluster('virtual');
  const clock = new FakeClock();
  const rechecked: string[] = [];
  const informers = {
    recheckIfNotServed: (_client: unknown, type: ResourceType) => rechecked.push(type.resource),
  } as unknown as InformerFactory;
  const crds = new CrdsFromHost({
    host,
    virtual,
    informers,
    types,
    hostNamespace: 'host-ns',
    vcName: 'vc',
    clock,
    logger: createLogger({ level: 'error', format: 'text', write: () => {} }),
  });
  return { host, virtual, clock, rechecked, crds };
}

describe('CrdsFromHost', () => {
  it("copies the host's CRD the virtual cluster lacks (marked, without its conversion webhook), then has the informers list it once established", async () => {
    const { host, virtual, clock, rechecked, crds } = setup([GATEWAY_CLASSES]);
    host.seed(CRDS, crd(GATEWAY_CLASSES));
    const done = crds.start();
    await tick();
    const copy = await virtual.get(CRDS, '', 'gatewayclasses.gateway.networking.k8s.io');
    expect(copy.metadata?.labels).toEqual({ 'vsyncer.dev/managed': 'true' });
    // The approval a protected group needs, and the API's own; nothing else of the host's.
    expect(copy.metadata?.annotations).toEqual({
      'api-approved.kubernetes.io': 'https://github.com/kubernetes-sigs/gateway-api/pull/3328',
      'gateway.networking.k8s.io/bundle-version': 'v1.6.3',
    });
    expect((copy.spec as { conversion?: unknown }).conversion).toEqual({ strategy: 'None' });
    expect(rechecked).toEqual([]);
    await establish(virtual, 'gatewayclasses.gateway.networking.k8s.io');
    clock.advance(1_000);
    expect(await done).toBe(true);
    expect(rechecked).toEqual(['gatewayclasses']);
    expect(host.writeLog()).toEqual([]);
  });

  it('leaves a CRD the virtual cluster has as it is, and does nothing when the host has none', async () => {
    const { host, virtual, crds } = setup([GATEWAY_CLASSES, Resources.volumeSnapshots]);
    host.seed(CRDS, crd(GATEWAY_CLASSES));
    virtual.seed(CRDS, { ...crd(GATEWAY_CLASSES, { mine: 'yes' }), status: {} });
    expect(await crds.start()).toBe(true);
    expect(virtual.writeLog()).toEqual([]);
    expect(
      (await virtual.get(CRDS, '', 'gatewayclasses.gateway.networking.k8s.io')).metadata?.labels,
    ).toEqual({
      mine: 'yes',
    });
  });

  it("brings its own copy in line with the host's CRD (a newer version served there)", async () => {
    const { host, virtual, crds } = setup([GATEWAY_CLASSES]);
    const newer = crd(GATEWAY_CLASSES);
    (newer.spec as { versions: unknown[] }).versions.push({ name: 'v2', served: true, storage: false });
    host.seed(CRDS, newer);
    virtual.seed(CRDS, {
      ...crd(GATEWAY_CLASSES, { 'vsyncer.dev/managed': 'true' }),
      status: { conditions: [{ type: 'Established', status: 'True' }] },
    });
    expect(await crds.start()).toBe(true);
    const copy = await virtual.get(CRDS, '', 'gatewayclasses.gateway.networking.k8s.io');
    expect((copy.spec as { versions: { name: string }[] }).versions.map((v) => v.name)).toEqual(['v1', 'v2']);
  });
});
