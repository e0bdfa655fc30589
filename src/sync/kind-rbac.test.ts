import { buildConfig } from '../config/config.ts';
import { InformerFactory, type InformerScope } from '../informer/factory.ts';
import type { Informer } from '../informer/informer.ts';
import type { ClusterClient } from '../kube/client.ts';
import type { KubeObject } from '../kube/object.ts';
import type { ResourceType } from '../kube/resources.ts';
import { FakeCluster } from '../testing/fake-cluster.ts';
import { builtinKinds } from '../translators/index.ts';
import { parseHostGatewaysConfig } from '../translators/host-gateways/config.ts';
import { FakeClock } from '../util/clock.ts';
import { silentLogger } from '../util/log.ts';
import { KindController } from './engine.ts';
import { EventRecorder } from './event-recorder.ts';

/** An informer factory that remembers which host resources were asked for. */
class RecordingInformers extends InformerFactory {
  readonly hostResources = new Set<string>();

  override get<T extends KubeObject>(
    client: ClusterClient,
    type: ResourceType,
    scope: InformerScope = {},
  ): Informer<T> {
    if (client.name === 'host')
      this.hostResources.add(type.group ? `${type.resource}.${type.group}` : type.resource);
    return super.get<T>(client, type, scope);
  }
}

// The host-gateways kind needs host Gateways to show (by name and a namespace whole: both scopes).
const registry = builtinKinds(
  undefined,
  parseHostGatewaysConfig({ mappings: { byName: { 'platform/*': 'shared/*', 'infra/edge': 'edges/edge' } } }),
);
// Every option that makes a kind read more of the host is on.
const options = { syncRealNodes: 'true' };

describe('each kind declares the host RBAC for everything it watches', () => {
  it.each(registry.kinds())('%s', (name) => {
    const clock = new FakeClock(0);
    const informers = new RecordingInformers({ clock, logger: silentLogger });
    const [virtual, host] = [new FakeCluster('virtual'), new FakeCluster('host')];
    const config = buildConfig(
      {},
      { name: 'vc', hostNamespace: 'ns', virtualKubeconfig: '/dev/null', ...options },
    );
    const kinds = registry.build(new Set([name]), config as unknown as Record<string, unknown>, {
      vcName: 'vc',
      hostNamespace: 'ns',
      virtualApiService: 'vc',
    });
    const env = {
      vcName: 'vc',
      hostNamespace: 'ns',
      virtual,
      host,
      informers,
      events: new EventRecorder({ client: virtual, component: 'test', clock, logger: silentLogger }),
      clock,
      logger: silentLogger,
    };
    for (const kind of kinds.values()) new KindController({ kind, kinds, env, workers: 1 });
    const granted = new Set(
      registry
        .hostRbac(new Set([name]), { syncRealNodes: true })
        .filter((r) => r.verbs.includes('list') && r.verbs.includes('watch'))
        .flatMap((r) => r.resources.map((res) => (r.apiGroups[0] ? `${res}.${r.apiGroups[0]}` : res))),
    );
    expect([...informers.hostResources].filter((r) => !granted.has(r))).toEqual([]);
  });
});
