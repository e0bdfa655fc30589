import type { ClusterClient } from '../kube/client.ts';
import { ApiError } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import { FakeClock, type Clock } from '../util/clock.ts';
import { silentLogger, type Logger } from '../util/log.ts';
import { hostname } from 'node:os';
import { LeaderElector, processIdentity } from './leader-elector.ts';

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
  clock: Clock,
  identity: string,
  log: string[],
  link = { cut: false },
  logger: Logger = silentLogger,
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
    logger,
    onStartedLeading: () => log.push(`${identity} leads`),
    onStoppedLeading: () => log.push(`${identity} lost`),
  });
}

/** One shared lease and clock, and an elector per identity, each behind a link a test can cut. */
function replicas<const Ids extends string[]>(...identities: Ids) {
  const store = new LeaseStore();
  const clock = new FakeClock(0);
  const log: string[] = [];
  const links: Record<string, { cut: boolean }> = {};
  const electors = identities.map((id) => elector(store, clock, id, log, (links[id] = { cut: false }))) as {
    [I in keyof Ids]: LeaderElector;
  };
  return { store, clock, log, links, electors };
}

type FullSpec = {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
};
const fullSpec = (s: LeaseStore) => s.lease?.spec as FullSpec;

/** Advances the clock in steps, letting the electors run between them. */
async function tick(clock: FakeClock, ms: number, step = 1_000) {
  for (let t = 0; t < ms; t += step) {
    clock.advance(Math.min(step, ms - t));
    await settle();
  }
}

describe('LeaderElector', () => {
  it('lets one replica lead; another takes over only after the lease expires', async () => {
    const {
      store,
      clock,
      log,
      links,
      electors: [a, b],
    } = replicas('a', 'b');
    const aLink = links.a!;
    a.start();
    await settle();
    b.start();
    await settle();
    expect(log).toEqual(['a leads']);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    // a is cut off without releasing: b must wait out the lease duration, measured on its own clock.
    aLink.cut = true;
    await tick(clock, 12_000, 2_000);
    expect(b.isLeader()).toBe(false);
    await tick(clock, 6_000, 2_000);
    expect(b.isLeader()).toBe(true);
    expect(fullSpec(store).holderIdentity).toBe('b');
    expect(fullSpec(store).leaseTransitions).toBe(1);
    expect(a.isLeader()).toBe(false);
    expect(log).toContain('a lost');
    await b.stop();
    await a.stop();
  });

  it('a standby says once which replica it waits for, not at every retry', async () => {
    const store = new LeaseStore();
    const clock = new FakeClock(0);
    const log: string[] = [];
    const said: string[] = [];
    const logger: Logger = {
      debug: () => {},
      info: (msg, fields) => void said.push(`${msg} ${JSON.stringify(fields ?? {})}`),
      warn: () => {},
      error: () => {},
      child: () => logger,
    };
    const a = elector(store, clock, 'a', log);
    const b = elector(store, clock, 'b', log, { cut: false }, logger);
    a.start();
    await settle();
    b.start();
    await tick(clock, 10_000, 2_000);
    expect(said).toEqual([
      'standing by: another replica holds the leader lease {"holder":"a","lease":"ns/vsyncer-vc"}',
    ]);
    await a.stop();
    await tick(clock, 4_000, 2_000);
    expect(b.isLeader()).toBe(true);
    expect(said.at(-1)).toBe('became leader {"identity":"b"}');
    await b.stop();
  });

  it('stops counting as leader the moment renewals have failed for the renew deadline', async () => {
    const {
      store,
      clock,
      log,
      electors: [a],
    } = replicas('a');
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

  it('a wall clock stepped back or forward changes nothing: leadership is timed on the monotonic clock', async () => {
    const store = new LeaseStore();
    const fake = new FakeClock(100_000);
    let offset = 0;
    const clock = {
      now: () => fake.now() + offset,
      monotonicNow: () => fake.monotonicNow(),
      setTimer: (fn: () => void, ms: number) => fake.setTimer(fn, ms),
    };
    const log: string[] = [];
    const a = elector(store, clock, 'a', log);
    a.start();
    await settle();
    for (const step of [-60_000, 120_000]) {
      offset += step;
      expect(a.isLeader()).toBe(true);
      fake.advance(2_000);
      await settle();
      expect(a.isLeader()).toBe(true);
    }
    // Renewals failing still end it at the renew deadline, counted on the monotonic clock.
    store.down = true;
    offset -= 3_600_000;
    fake.advance(9_000);
    await settle();
    expect(log).toEqual(['a leads']);
    fake.advance(2_000);
    await settle();
    expect(log).toEqual(['a leads', 'a lost']);
    expect(a.isLeader()).toBe(false);
    await a.stop();
  });

  it('a standby whose wall clock jumps ahead does not take a lease its holder still renews', async () => {
    const store = new LeaseStore();
    const fake = new FakeClock(0);
    let standbyOffset = 0;
    const standbyClock = {
      now: () => fake.now() + standbyOffset,
      monotonicNow: () => fake.monotonicNow(),
      setTimer: (fn: () => void, ms: number) => fake.setTimer(fn, ms),
    };
    const log: string[] = [];
    const aLink = { cut: false };
    const a = elector(store, fake, 'a', log, aLink);
    const b = elector(store, standbyClock, 'b', log);
    a.start();
    await settle();
    b.start();
    await settle();
    fake.advance(1_000);
    await settle();
    // The standby's wall clock steps a minute ahead while the leader's renewals fail for 5 s (well
    // within its renew deadline): the lease record the standby sees stays the same meanwhile.
    standbyOffset = 60_000;
    aLink.cut = true;
    let both = false;
    for (let i = 0; i < 60; i++) {
      if (i === 50) aLink.cut = false;
      fake.advance(100);
      await settle();
      if (a.isLeader() && b.isLeader()) both = true;
    }
    expect(both).toBe(false);
    expect(log).toEqual(['a leads']);
    expect(fullSpec(store).holderIdentity).toBe('a');
    await a.stop();
    await b.stop();
  });

  it('releases the lease on stop so a standby takes over at once', async () => {
    const {
      store,
      clock,
      electors: [a, b],
    } = replicas('a', 'b');
    a.start();
    await settle();
    b.start();
    await settle();
    await a.stop();
    expect(fullSpec(store).holderIdentity).toBe('');
    clock.advance(2_000);
    await settle();
    expect(b.isLeader()).toBe(true);
    await b.stop();
  });
});

describe('LeaderElector: holding the lease', () => {
  it('creates the lease, renews it every retry period, and keeps a standby out meanwhile', async () => {
    const {
      store,
      clock,
      log,
      electors: [a, b],
    } = replicas('a', 'b');
    a.start();
    await settle();
    expect(store.lease).toMatchObject({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'vsyncer-vc', namespace: 'ns' },
    });
    const created = fullSpec(store);
    expect(created).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(created.renewTime).toBe('1970-01-01T00:00:00.000000Z');
    b.start();
    await settle();
    await tick(clock, 60_000);
    expect(fullSpec(store)).toMatchObject({
      holderIdentity: 'a',
      leaseTransitions: 0,
      acquireTime: created.acquireTime,
      renewTime: '1970-01-01T00:01:00.000000Z',
    });
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(log).toEqual(['a leads']);
    await b.stop(); // a standby's stop must not touch the leader's lease
    expect(fullSpec(store).holderIdentity).toBe('a');
    await a.stop();
  });

  it('lets exactly one of two replicas that start together lead', async () => {
    const {
      store,
      clock,
      log,
      electors: [a, b],
    } = replicas('a', 'b');
    a.start();
    b.start(); // both see no lease and try to create it; one gets AlreadyExists
    await settle();
    await tick(clock, 10_000);
    expect(log).toHaveLength(1);
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
    expect(fullSpec(store).holderIdentity).toBe(log[0]!.split(' ')[0]);
    await a.stop();
    await b.stop();
  });

  it('rides out failed renewals shorter than the renew deadline', async () => {
    const {
      store,
      clock,
      log,
      electors: [a, b],
    } = replicas('a', 'b');
    a.start();
    b.start();
    await settle();
    store.down = true;
    await tick(clock, 8_000);
    expect(a.isLeader()).toBe(true);
    store.down = false;
    await tick(clock, 30_000);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(log).toEqual(['a leads']);
    await a.stop();
    await b.stop();
  });
});

describe('LeaderElector: losing and handing over', () => {
  it('reports lost leadership once and stops trying, even when the API comes back', async () => {
    const {
      store,
      clock,
      log,
      electors: [a],
    } = replicas('a');
    a.start();
    await settle();
    store.down = true;
    await tick(clock, 12_000);
    expect(a.isLeader()).toBe(false);
    expect(log).toEqual(['a leads', 'a lost']);
    store.down = false;
    await tick(clock, 60_000);
    expect(log).toEqual(['a leads', 'a lost']);
    expect(a.isLeader()).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
    await a.stop();
  });

  // The clock starts at 0, as a clock may: stepping down must not depend on how large now() is.
  it('steps down at its next renewal when another replica holds the lease', async () => {
    const {
      store,
      clock,
      log,
      electors: [a],
    } = replicas('a');
    a.start();
    await settle();
    // Another replica took the lease (say a was paused past the lease duration).
    store.lease = {
      ...store.lease,
      metadata: { ...store.lease!.metadata, resourceVersion: String(++store.rv) },
      spec: { ...fullSpec(store), holderIdentity: 'c', renewTime: '1970-01-01T00:00:01.000000Z' },
    };
    await tick(clock, 2_000);
    expect(a.isLeader()).toBe(false);
    expect(log).toEqual(['a leads', 'a lost']);
    expect(fullSpec(store).holderIdentity).toBe('c');
    await a.stop();
    expect(fullSpec(store).holderIdentity).toBe('c');
  });

  it('after a leader stops without managing to release, a standby waits out the lease duration', async () => {
    const {
      store,
      clock,
      log,
      links,
      electors: [a, b],
    } = replicas('a', 'b');
    const aLink = links.a!;
    a.start();
    await settle();
    b.start();
    await settle();
    await tick(clock, 10_000);
    const lastRenewal = clock.now();
    expect(fullSpec(store).renewTime).toBe('1970-01-01T00:00:10.000000Z');
    aLink.cut = true;
    await a.stop(); // the release fails: the lease still names a
    expect(fullSpec(store).holderIdentity).toBe('a');
    await tick(clock, 14_000);
    expect(b.isLeader()).toBe(false);
    await tick(clock, 6_000);
    expect(b.isLeader()).toBe(true);
    expect(clock.now() - lastRenewal).toBeLessThanOrEqual(20_000);
    expect(fullSpec(store)).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expect(fullSpec(store).acquireTime).not.toBe('1970-01-01T00:00:00.000000Z'); // a's acquireTime
    expect(log).toEqual(['a leads', 'b leads']); // stop() is not a loss of leadership
    await b.stop();
  });

  it('releases on stop so a standby takes over within one retry period', async () => {
    const {
      store,
      clock,
      log,
      electors: [a, b],
    } = replicas('a', 'b');
    a.start();
    b.start();
    await settle();
    await tick(clock, 5_000);
    await a.stop();
    expect(a.isLeader()).toBe(false);
    expect(fullSpec(store).holderIdentity).toBe('');
    await tick(clock, 2_000);
    expect(b.isLeader()).toBe(true);
    expect(fullSpec(store).holderIdentity).toBe('b');
    expect(log).toEqual(['a leads', 'b leads']);
    await b.stop();
  });
});

describe('LeaderElector: stop during a renewal', () => {
  it('still releases the lease when stop is called while a renewal is in flight', async () => {
    const {
      store,
      clock,
      log,
      electors: [a],
    } = replicas('a');
    a.start();
    await settle();
    clock.advance(2_000); // the renewal has read the lease and is about to write it
    await a.stop(); // SIGTERM lands right then
    expect(fullSpec(store).holderIdentity).toBe('');
    const b = elector(store, clock, 'b', log);
    b.start();
    await settle();
    expect(b.isLeader()).toBe(true);
    await b.stop();
  });
});

describe('LeaderElector: stop during the first acquisition', () => {
  it('releases a lease it won while being stopped, and never reports leading', async () => {
    const {
      store,
      clock,
      log,
      electors: [a],
    } = replicas('a');
    a.start(); // the create is in flight
    await a.stop(); // SIGTERM lands before it returns
    expect(log).toEqual([]);
    expect(a.isLeader()).toBe(false);
    expect(fullSpec(store).holderIdentity).toBe('');
    const b = elector(store, clock, 'b', log);
    b.start();
    await settle();
    expect(b.isLeader()).toBe(true); // no wait for the lease duration
    await b.stop();
  });
});

describe('LeaderElector: a lease naming our identity', () => {
  // A force-deleted pod's process still running, and its replacement under the same pod name.
  it('is not ours unless this process wrote it: a second process of one identity waits it out', async () => {
    const store = new LeaseStore();
    const clock = new FakeClock(0);
    const log: string[] = [];
    const oldLink = { cut: false };
    const old = elector(store, clock, 'vsyncer-0', log, oldLink);
    old.start();
    await settle();
    const acquired = fullSpec(store).acquireTime;
    clock.advance(1_000); // a later acquireTime tells the replacement's takeover apart
    const replacement = elector(store, clock, 'vsyncer-0', log);
    replacement.start();
    await tick(clock, 60_000);
    expect(old.isLeader()).toBe(true);
    expect(replacement.isLeader()).toBe(false);
    expect(log).toEqual(['vsyncer-0 leads']);
    // The old one is cut off: the replacement takes the lease once it expires, as a transition.
    oldLink.cut = true;
    await tick(clock, 12_000);
    expect(replacement.isLeader()).toBe(false);
    await tick(clock, 8_000);
    expect(replacement.isLeader()).toBe(true);
    expect(old.isLeader()).toBe(false);
    expect(fullSpec(store).leaseTransitions).toBe(1);
    expect(fullSpec(store).acquireTime).not.toBe(acquired);
    await replacement.stop();
    await old.stop();
  });

  it('gets a per-process suffix, keeping the configured name (or the hostname) readable', () => {
    const [a, b] = [processIdentity('vsyncer-0'), processIdentity('vsyncer-0')];
    expect(a).toMatch(/^vsyncer-0_[0-9a-f-]{36}$/);
    expect(a).not.toBe(b);
    expect(processIdentity('').startsWith(`${hostname()}_`)).toBe(true);
  });
});

describe('LeaderElector: lease transitions', () => {
  it('counts taking over a released lease as a transition', async () => {
    const {
      store,
      clock,
      log,
      electors: [a],
    } = replicas('a');
    a.start();
    await settle();
    await a.stop();
    expect(fullSpec(store)).toMatchObject({ holderIdentity: '', leaseTransitions: 0 });
    const b = elector(store, clock, 'b', log);
    b.start();
    await settle();
    expect(fullSpec(store)).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    await tick(clock, 4_000); // renewals by the same holder are not transitions
    expect(fullSpec(store).leaseTransitions).toBe(1);
    await b.stop();
  });
});
