import type { ClusterClient } from '../kube/client.ts';
import { ApiError } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import { FakeClock } from '../util/clock.ts';
import { silentLogger } from '../util/log.ts';
import { LeaderElector } from './leader-elector.ts';

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

/** One Lease in memory, with resourceVersion checks like an API server; `down` makes every call fail. */
class LeaseStore {
  lease: KubeObject | undefined;
  rv = 0;
  down = false;
}

/** A client of the store; cutting `link` breaks only this client, like a crashed or partitioned replica. */
function leaseClient(store: LeaseStore, link: { cut: boolean } = { cut: false }): ClusterClient {
  {
    const fail = () => new ApiError('host', 0, undefined, 'connection refused');
    const broken = () => store.down || link.cut;
    return {
      name: 'host',
      async get() {
        if (broken()) throw fail();
        if (!store.lease) throw new ApiError('host', 404, { reason: 'NotFound' }, 'not found');
        return structuredClone(store.lease);
      },
      async create(_t: unknown, _ns: string, obj: KubeObject) {
        if (broken()) throw fail();
        if (store.lease) throw new ApiError('host', 409, { reason: 'AlreadyExists' }, 'exists');
        store.lease = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++store.rv) } };
        return structuredClone(store.lease);
      },
      async update(_t: unknown, _ns: string, obj: KubeObject) {
        if (broken()) throw fail();
        if (obj.metadata?.resourceVersion !== store.lease?.metadata?.resourceVersion)
          throw new ApiError('host', 409, { reason: 'Conflict' }, 'conflict');
        store.lease = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++store.rv) } };
        return structuredClone(store.lease);
      },
    } as unknown as ClusterClient;
  }
}

function elector(
  store: LeaseStore,
  clock: FakeClock,
  identity: string,
  log: string[],
  link = { cut: false },
) {
  return new LeaderElector({
    client: leaseClient(store, link),
    namespace: 'ns',
    leaseName: 'vsyncer-vc',
    identity,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    clock,
    logger: silentLogger,
    onStartedLeading: () => log.push(`${identity} leads`),
    onStoppedLeading: () => log.push(`${identity} lost`),
  });
}

const spec = (s: LeaseStore) => s.lease?.spec as { holderIdentity?: string; leaseTransitions?: number };

describe('LeaderElector', () => {
  it('lets one replica lead; another takes over only after the lease expires', async () => {
    const store = new LeaseStore();
    const clock = new FakeClock(0);
    const log: string[] = [];
    const aLink = { cut: false };
    const a = elector(store, clock, 'a', log, aLink);
    const b = elector(store, clock, 'b', log);
    a.start();
    await settle();
    b.start();
    await settle();
    expect(log).toEqual(['a leads']);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    // a is cut off without releasing: b must wait out the lease duration, measured on its own clock.
    aLink.cut = true;
    for (let t = 0; t < 12_000; t += 2_000) {
      clock.advance(2_000);
      await settle();
    }
    expect(b.isLeader()).toBe(false);
    for (let t = 0; t < 6_000; t += 2_000) {
      clock.advance(2_000);
      await settle();
    }
    expect(b.isLeader()).toBe(true);
    expect(spec(store).holderIdentity).toBe('b');
    expect(spec(store).leaseTransitions).toBe(1);
    expect(a.isLeader()).toBe(false);
    expect(log).toContain('a lost');
    await b.stop();
    await a.stop();
  });

  it('stops counting as leader the moment renewals have failed for the renew deadline', async () => {
    const store = new LeaseStore();
    const clock = new FakeClock(0);
    const log: string[] = [];
    const a = elector(store, clock, 'a', log);
    a.start();
    await settle();
    store.down = true;
    clock.advance(9_000);
    await settle();
    expect(a.isLeader()).toBe(true);
    clock.advance(1_000); // renew deadline (10s) since the last successful renewal
    expect(a.isLeader()).toBe(false); // writes are refused before the next tick even runs
    clock.advance(2_000);
    await settle();
    expect(log).toEqual(['a leads', 'a lost']);
    await a.stop();
  });

  it('releases the lease on stop so a standby takes over at once', async () => {
    const store = new LeaseStore();
    const clock = new FakeClock(0);
    const log: string[] = [];
    const a = elector(store, clock, 'a', log);
    const b = elector(store, clock, 'b', log);
    a.start();
    await settle();
    b.start();
    await settle();
    await a.stop();
    expect(spec(store).holderIdentity).toBe('');
    clock.advance(2_000);
    await settle();
    expect(b.isLeader()).toBe(true);
    await b.stop();
  });
});
