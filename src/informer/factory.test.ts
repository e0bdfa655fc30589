import type { ClusterClient } from '../kube/client.ts';
import { Resources } from '../kube/resources.ts';
import { RefusingCluster } from '../testing/refusing-cluster.ts';
import { FakeClock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { InformerFactory } from './factory.ts';

// Never started here: no call reaches the client, so none of its methods is needed.
const client = { name: 'host' } as unknown as ClusterClient;

describe('InformerFactory: optional informers', () => {
  it('an optional cache holds up neither the start nor /readyz; once any user needs it, it does', async () => {
    const factory = new InformerFactory({});
    factory.get(client, Resources.services, { namespace: 'dns' }, { optional: true });
    expect(factory.notSynced()).toEqual([]);
    await expect(factory.waitForSync()).resolves.toBeUndefined();

    // The same scope asked for again, without the option: shared, and required now.
    const shared = factory.get(client, Resources.services, { namespace: 'dns' });
    expect(factory.notSynced()).toEqual([shared.description]);
    // Asking for it as optional again does not take that back.
    factory.get(client, Resources.services, { namespace: 'dns' }, { optional: true });
    expect(factory.notSynced()).toEqual([shared.description]);
  });
});

/** A logger that keeps its warnings. */
function warningsLogger(): { logger: Logger; warnings: { msg: string; fields?: Record<string, unknown> }[] } {
  const warnings: { msg: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (msg, fields) => warnings.push({ msg, fields }),
    error: () => {},
    child: () => logger,
  };
  return { logger, warnings };
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('InformerFactory: users', () => {
  /** Two users: configmaps reads config maps, nodes reads nodes, whose list the host refuses. */
  function twoUsers() {
    const clock = new FakeClock(0);
    const host = new RefusingCluster('host', 'nodes', clock);
    const { logger, warnings } = warningsLogger();
    const factory = new InformerFactory({ clock, logger, slowSyncWarnMs: 60_000 });
    factory.forUser('configmaps').get(host, Resources.configMaps, { namespace: 'ns' });
    factory.forUser('nodes').get(host, Resources.nodes);
    // Asked for by two users: each waits for it.
    factory.forUser('nodes').get(host, Resources.configMaps, { namespace: 'ns' });
    return { clock, host, factory, warnings };
  }

  it('a user waits for the informers it asked for alone: one that cannot fill holds up only its users', async () => {
    const { clock, host, factory } = twoUsers();
    factory.start();
    let configmapsReady = false;
    let nodesReady = false;
    void factory.waitForSync('configmaps').then(() => (configmapsReady = true));
    void factory.waitForSync('nodes').then(() => (nodesReady = true));
    await settle();
    expect(configmapsReady).toBe(true);
    expect(nodesReady).toBe(false);
    // /readyz names the informer, who waits for it, and (for logs) why its list fails.
    expect(factory.unfilled()).toEqual([
      {
        informer: 'host/nodes',
        heldUp: ['nodes'],
        lastListError: 'host API: nodes is forbidden: cannot list nodes',
      },
    ]);
    expect(factory.notSynced()).toEqual(['host/nodes']);
    host.granted = true;
    clock.advance(30_000); // the longest retry backoff
    await settle();
    expect(nodesReady).toBe(true);
    expect(factory.unfilled()).toEqual([]);
    await factory.stop();
  });

  it('warns every slowSyncWarnMs while a user waits, naming the informer and its list error', async () => {
    const { clock, factory, warnings } = twoUsers();
    factory.start();
    void factory.waitForSync('configmaps');
    void factory.waitForSync('nodes');
    await settle();
    clock.advance(59_000);
    await settle();
    expect(warnings.filter((w) => w.fields?.waiting)).toEqual([]);
    clock.advance(1_000);
    await settle();
    const held = warnings.filter((w) => w.fields?.waiting);
    expect(held).toEqual([
      {
        msg: 'held up: the caches it reads have not filled; it starts once they do',
        fields: {
          waiting: 'nodes',
          waitedSeconds: 60,
          unfilled: ['host/nodes: host API: nodes is forbidden: cannot list nodes'],
        },
      },
    ]);
    clock.advance(60_000);
    await settle();
    expect(warnings.filter((w) => w.fields?.waiting)).toHaveLength(2);
    // Stopped, the factory warns no more: its timers are gone.
    await factory.stop();
    const before = warnings.length;
    clock.advance(600_000);
    expect(warnings.length).toBe(before);
  });

  it('an informer a user asked for as optional is not waited for by that user', async () => {
    const clock = new FakeClock(0);
    const host = new RefusingCluster('host', 'services', clock);
    const factory = new InformerFactory({ clock });
    factory.forUser('pods').get(host, Resources.services, { namespace: 'dns' }, { optional: true });
    factory.start();
    await expect(factory.waitForSync('pods')).resolves.toBeUndefined();
    expect(factory.unfilled()).toEqual([]);
    await factory.stop();
  });
});
