import { FakeClock } from '../util/clock.ts';
import {
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
} from './rate-limiters.ts';
import type { WorkQueueMetrics } from './metrics.ts';
import { WorkQueue } from './workqueue.ts';

const settle = () => new Promise((r) => setImmediate(r));

function queue(clock = new FakeClock(0), metrics?: WorkQueueMetrics) {
  return new WorkQueue<string>({
    name: 'test',
    clock,
    metrics,
    rateLimiter: new ItemExponentialRateLimiter(5, 1000),
  });
}

describe('WorkQueue', () => {
  it('hands out urgent keys before ordinary ones, moving a waiting key ahead when it turns urgent', async () => {
    const q = queue();
    q.add('a');
    q.add('b');
    q.add('c', { urgent: true });
    q.add('b', { urgent: true });
    expect(q.len()).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['c', 'b', 'a']);
  });

  it('a key made urgent while it is processed comes back ahead of the others', async () => {
    const q = queue();
    q.add('a');
    q.add('x');
    expect(await q.get()).toBe('a');
    q.add('a', { urgent: true });
    q.add('y');
    q.done('a');
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['a', 'x', 'y']);
  });

  it('a retried key comes back in the lane it was handed out from', async () => {
    const clock = new FakeClock(0);
    const q = queue(clock);
    q.add('create');
    q.add('status', { urgent: true });
    expect(await q.get()).toBe('status');
    expect(await q.get()).toBe('create');
    // Both meet a conflict and are retried after their backoff.
    q.addRateLimited('status');
    q.addRateLimited('create');
    q.done('status');
    q.done('create');
    q.add('other');
    clock.advance(5);
    // The status change is urgent again: ahead of the ordinary keys, and taken by urgent-only workers.
    expect(await q.get({ urgentOnly: true })).toBe('status');
    expect([await q.get(), await q.get()]).toEqual(['other', 'create']);
  });

  it('an urgent-only getter ignores ordinary keys, and ends at shut down', async () => {
    const q = queue();
    let got: string | undefined = 'pending';
    void q.get({ urgentOnly: true }).then((k) => (got = k));
    q.add('ordinary');
    await settle();
    expect(got).toBe('pending');
    q.add('status', { urgent: true });
    await settle();
    expect(got).toBe('status');
    let after: string | undefined = 'pending';
    void q.get({ urgentOnly: true }).then((k) => (after = k));
    q.shutDown();
    await settle();
    expect(after).toBeUndefined();
    expect(await q.get()).toBe('ordinary');
  });

  it('de-duplicates keys that are queued', async () => {
    const q = queue();
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('hands out keys in FIFO order', async () => {
    const q = queue();
    for (const k of ['c', 'a', 'b']) q.add(k);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['c', 'a', 'b']);
  });

  it('never hands out a key that is being processed, and keeps a change made meanwhile', async () => {
    const q = queue();
    q.add('a');
    const first = await q.get();
    q.add('a'); // changed while processing
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await settle();
    expect(second).toBeUndefined(); // not handed out while 'a' is processing
    q.done(first!);
    await settle();
    expect(second).toBe('a');
  });

  it('wakes a waiting getter when a key arrives', async () => {
    const q = queue();
    const got = q.get();
    q.add('x');
    expect(await got).toBe('x');
  });

  it('addAfter fires on time and the earliest request wins', async () => {
    const clock = new FakeClock(0);
    const q = queue(clock);
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    q.addAfter('a', 200);
    clock.advance(49);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(q.len()).toBe(1);
    clock.advance(500);
    expect(q.len()).toBe(1); // the later requests did not add it again
  });

  it('a delayed key comes when its delay has passed, whatever the wall clock does meanwhile', async () => {
    const clock = new FakeClock(Date.parse('2026-11-30T12:00:00Z'));
    const q = queue(clock);
    q.addAfter('retry', 1000);
    q.addAfter('later', 5000);
    clock.stepWall(-3_600_000); // an NTP step, a VM resumed
    clock.advance(1000);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('retry');
    clock.stepWall(+3_600_000);
    expect(q.len()).toBe(0); // nor does a step forward bring the other one early
    clock.advance(4000);
    expect(await q.get()).toBe('later');
  });

  it('addRateLimited backs off exponentially and forget resets it', async () => {
    const clock = new FakeClock(0);
    const q = queue(clock);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = clock.now();
      q.addRateLimited('a');
      for (let guard = 0; q.len() === 0 && guard < 10_000; guard++) clock.advance(1);
      delays.push(clock.now() - before);
      q.done((await q.get())!);
    }
    expect(delays).toEqual([5, 10, 20, 40, 80]);
    expect(q.numRequeues('a')).toBe(5);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
  });

  it('shutDown hands out what is queued, then undefined, and refuses new keys', async () => {
    const q = queue();
    q.add('a');
    q.shutDown();
    q.add('b');
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBeUndefined();
  });

  it('shutDown wakes getters that wait on an empty queue', async () => {
    const q = queue();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
  });

  it('shutDownWithDrain waits for in-flight work', async () => {
    const q = queue();
    q.add('a');
    const key = await q.get();
    let drained = false;
    const drain = q.shutDownWithDrain().then(() => (drained = true));
    await settle();
    expect(drained).toBe(false);
    q.add('late');
    expect(q.len()).toBe(0);
    q.done(key!);
    await drain;
    expect(drained).toBe(true);
  });

  it('reports metrics: adds, depth, retries, queue and work time', async () => {
    const clock = new FakeClock(0);
    const calls: string[] = [];
    const metrics: WorkQueueMetrics = {
      depth: (_n, d) => calls.push(`depth:${d}`),
      added: () => calls.push('added'),
      retried: () => calls.push('retried'),
      queueDuration: (_n, s) => calls.push(`queued:${s}`),
      workDuration: (_n, s) => calls.push(`work:${s}`),
    };
    const q = queue(clock, metrics);
    q.add('a');
    clock.advance(2000);
    const k = await q.get();
    clock.advance(500);
    q.done(k!);
    q.addRateLimited('a');
    expect(calls).toEqual(['added', 'depth:1', 'depth:0', 'queued:2', 'work:0.5', 'retried']);
  });
});

describe('rate limiters', () => {
  it("the syncer's default: a key failing through a long outage retries at least once a minute", () => {
    const clock = new FakeClock(0);
    const l = defaultControllerRateLimiter<string>(clock);
    const delays: number[] = [];
    for (let i = 0; i < 30; i++) {
      delays.push(l.when('a'));
      clock.advance(delays[i]!);
    }
    expect(delays.slice(0, 3)).toEqual([5, 10, 20]);
    expect(Math.max(...delays)).toBe(60_000);
  });

  it('exponential: doubles per failure up to the cap, per item', () => {
    const l = new ItemExponentialRateLimiter<string>(5, 30);
    expect([l.when('a'), l.when('a'), l.when('a'), l.when('a'), l.when('b')]).toEqual([5, 10, 20, 30, 5]);
    l.forget('a');
    expect(l.when('a')).toBe(5);
  });

  it('bucket: burst immediately, then spaced at qps', () => {
    const clock = new FakeClock(0);
    const l = new BucketRateLimiter<string>(10, 3, clock);
    expect([l.when('a'), l.when('b'), l.when('c')]).toEqual([0, 0, 0]);
    expect([l.when('d'), l.when('e')]).toEqual([100, 200]);
    clock.advance(1000); // refills up to burst
    expect(l.when('f')).toBe(0);
  });

  it('max-of takes the longest delay', () => {
    const clock = new FakeClock(0);
    const l = new MaxOfRateLimiter<string>(
      new ItemExponentialRateLimiter(5, 1000),
      new BucketRateLimiter(1, 1, clock),
    );
    expect(l.when('a')).toBe(5);
    expect(l.when('b')).toBe(1000);
  });
});
