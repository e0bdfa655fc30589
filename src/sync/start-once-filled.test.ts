import { buildConfig, placementOf } from '../config/config.ts';
import { InformerFactory } from '../informer/factory.ts';
import { Resources } from '../kube/resources.ts';
import { FakeCluster } from '../testing/fake-cluster.ts';
import { RefusingCluster } from '../testing/refusing-cluster.ts';
import { builtinKinds } from '../translators/index.ts';
import { FakeClock } from '../util/clock.ts';
import { silentLogger } from '../util/log.ts';
import { KindController } from './engine.ts';
import { EventRecorder } from './event-recorder.ts';
import type { BuiltKind } from './kind.ts';
import { startOnceFilled } from './start-once-filled.ts';

const settle = async () => {
  for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r));
};

/**
 * Kinds (by default the config maps and secrets kinds) as the syncer runs them, each with its own view
 * of the informers; the host refuses to list `refused` (by default RBAC for secrets in the host
 * namespace is not granted: the secrets kind's host list keeps failing).
 */
function syncer(kindNames = ['configmaps', 'secrets'], refused = 'secrets') {
  const clock = new FakeClock(Date.parse('2026-11-30T12:00:00Z'));
  const virtual = new FakeCluster('virtual', { clock });
  const host = new RefusingCluster('host', refused, clock);
  const informers = new InformerFactory({ clock, logger: silentLogger });
  const config = buildConfig(
    {},
    {
      name: 'vc',
      hostNamespace: 'host-ns',
      virtualKubeconfig: '/dev/null',
      sync: kindNames,
      syncAllConfigmaps: 'true',
      syncAllSecrets: 'true',
    },
  );
  const kinds = builtinKinds().build(
    new Set(kindNames),
    config as unknown as Record<string, unknown>,
    placementOf(config),
  );
  const env = {
    vcName: 'vc',
    hostNamespace: 'host-ns',
    virtual,
    host,
    events: new EventRecorder({ client: virtual, component: 'vsyncer', clock, logger: silentLogger }),
    clock,
    logger: silentLogger,
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
  return { clock, virtual, host, informers, controllers };
}

describe('startOnceFilled', () => {
  it('a kind whose host list keeps failing holds up itself alone: the other kinds sync', async () => {
    const { clock, virtual, host, informers, controllers } = syncer();
    virtual.seed(Resources.configMaps, {
      metadata: { name: 'settings', namespace: 'team' },
      data: { k: 'v' },
    });
    virtual.seed(Resources.secrets, { metadata: { name: 'token', namespace: 'team' }, data: { k: 'dg==' } });
    informers.start();
    const opts = { stopping: () => false, logger: silentLogger };
    for (const c of controllers) void startOnceFilled(c, informers, opts);
    await settle();
    const hostNames = (type: typeof Resources.configMaps) => host.objects(type).map((o) => o.metadata?.name);
    expect(hostNames(Resources.configMaps)).toEqual(['settings-x-team-x-vc']);
    expect(controllers.map((c) => [c.kind, c.controller.isStarted])).toEqual([
      ['configmaps', true],
      ['secrets', false],
    ]);
    // Not ready meanwhile, naming the informer and the kind it holds up.
    expect(informers.unfilled()).toEqual([
      expect.objectContaining({ informer: 'host/secrets in host-ns', heldUp: ['secrets'] }),
    ]);

    // Granted: the secrets kind starts once its cache fills, and syncs.
    host.granted = true;
    clock.advance(30_000);
    await settle();
    expect(controllers.every((c) => c.controller.isStarted)).toBe(true);
    expect(hostNames(Resources.secrets)).toEqual(['token-x-team-x-vc']);
    expect(informers.unfilled()).toEqual([]);
    await Promise.all(controllers.map((c) => c.stop(1000)));
    await informers.stop();
  });

  it.each([
    ['secrets', 'ingresses'],
    ['secrets', 'gateways'],
    ['configmaps', 'gateways'],
    ['services', 'httproutes'],
  ])(
    "a kind whose copies another names (%s, named by %s) does not wait for that kind's refused host list",
    async (named, referrer) => {
      const { clock, informers, controllers } = syncer([named, referrer], referrer);
      informers.start();
      for (const c of controllers)
        void startOnceFilled(c, informers, { stopping: () => false, logger: silentLogger });
      clock.advance(30_000);
      await settle();
      expect(controllers.map((c) => [c.kind, c.controller.isStarted])).toEqual([
        [named, true],
        [referrer, false],
      ]);
      await Promise.all(controllers.map((c) => c.stop(1000)));
      await informers.stop();
    },
  );

  it('starts nothing once the syncer is stopping', async () => {
    const { informers, controllers } = syncer();
    informers.start();
    const configmaps = controllers.find((c) => c.kind === 'configmaps')!;
    await startOnceFilled(configmaps, informers, { stopping: () => true, logger: silentLogger });
    expect(configmaps.controller.isStarted).toBe(false);
    await informers.stop();
  });
});

describe('a kind with a prepare step', () => {
  it('starts once every cache it asked for is full, those its setup asked for included', async () => {
    const clock = new FakeClock(0);
    const virtual = new FakeCluster('virtual', { clock });
    const host = new RefusingCluster('host', 'secrets', clock);
    const informers = new InformerFactory({ clock, logger: silentLogger });
    // Its informers are made only once prepared; its setup reads host secrets, which it may not list.
    const kind: BuiltKind = {
      name: 'prepared',
      spec: {
        direction: 'to-host',
        virtualType: Resources.configMaps,
        hostType: Resources.configMaps,
        mapper: { targetKey: (key) => key, sourceKeyOf: () => undefined },
        prepare: async () => undefined,
        setup: (env) => void env.informers.get(env.host, Resources.secrets, { namespace: 'host-ns' }),
        create: async () => ({}),
        update: async () => ({}),
      },
    };
    const env = {
      vcName: 'vc',
      hostNamespace: 'host-ns',
      virtual,
      host,
      informers: informers.forUser(kind.name),
      events: new EventRecorder({ client: virtual, component: 'vsyncer', clock, logger: silentLogger }),
      clock,
      logger: silentLogger,
    };
    const controller = new KindController({ kind, kinds: new Map([[kind.name, kind]]), env, workers: 1 });
    informers.start();
    await startOnceFilled(controller, informers, { stopping: () => false, logger: silentLogger });
    await settle();
    expect(controller.controller.isStarted).toBe(false);
    expect(informers.unfilled()).toEqual([
      expect.objectContaining({ informer: 'host/secrets in host-ns', heldUp: ['prepared'] }),
    ]);
    host.granted = true;
    clock.advance(30_000);
    await settle();
    expect(controller.controller.isStarted).toBe(true);
    await controller.stop(1000);
    await informers.stop();
  });
});
