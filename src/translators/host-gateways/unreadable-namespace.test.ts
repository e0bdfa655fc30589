import { buildConfig, placementOf } from '../../config/config.ts';
import { InformerFactory } from '../../informer/factory.ts';
import type { ListOptions } from '../../kube/client.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { ResourceType } from '../../kube/resources.ts';
import { KindController } from '../../sync/engine.ts';
import { EventRecorder } from '../../sync/event-recorder.ts';
import type { SyncEnvironment } from '../../sync/kind.ts';
import { apiError, FakeCluster } from '../../testing/fake-cluster.ts';
import { FakeClock } from '../../util/clock.ts';
import { silentLogger } from '../../util/log.ts';
import { builtinKinds } from '../index.ts';

/** A host whose Gateways of one namespace the syncer may not list (its Role is missing there). */
class ForbiddenNamespace extends FakeCluster {
  override async list<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    options: ListOptions = {},
  ) {
    if (type.resource === 'gateways' && namespace === 'platform')
      throw apiError('forbidden', 'gateways is forbidden in platform', 'host');
    return super.list<T>(type, namespace, options);
  }
}

it("a mapped host namespace the syncer may not read holds up no kind but host-gateways: the route and tenant Gateway kinds' caches fill", async () => {
  const clock = new FakeClock(Date.parse('2026-11-30T12:00:00Z'));
  const host = new ForbiddenNamespace('host', { clock });
  const virtual = new FakeCluster('virtual', { clock });
  const informers = new InformerFactory({ clock, logger: silentLogger });
  const config = buildConfig(
    { hostGateways: { mappings: { byName: { 'platform/*': 'shared/*', 'infra/edge': 'edges/edge' } } } },
    { name: 'vc', hostNamespace: 'host-ns', virtualKubeconfig: '/dev/null', sync: ['*'] },
  );
  const kinds = builtinKinds(config.customResources, config.hostGateways).build(
    new Set(['host-gateways', 'httproutes', 'gateways']),
    config as unknown as Record<string, unknown>,
    placementOf(config),
  );
  const env: SyncEnvironment = {
    vcName: 'vc',
    hostNamespace: 'host-ns',
    virtual,
    host,
    informers,
    clock,
    logger: silentLogger,
    events: new EventRecorder({ client: virtual, component: 'vsyncer', clock, logger: silentLogger }),
  };
  const controllers = [...kinds.values()].map(
    (kind) =>
      new KindController({
        kind,
        kinds,
        env: { ...env, informers: informers.forUser(kind.name) },
        workers: 1,
      }),
  );
  informers.start();
  for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
  expect(informers.unfilled('httproutes')).toEqual([]);
  expect(informers.unfilled('gateways')).toEqual([]);
  // Nor /readyz: what no kind needs filled is not waited for.
  expect(informers.unfilled().map((u) => u.informer)).not.toContainEqual(expect.stringContaining('platform'));
  await Promise.all(controllers.map((c) => c.stop(100)));
  await informers.stop();
});
