import { FakeClock, MAX_TIMER_MS } from './clock.ts';
import { TokenBucket } from './token-bucket.ts';

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('TokenBucket', () => {
  it("waits longer than Node's longest timer in parts (a tiny qps), never at once", async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(1e-7, 1, clock);
    await bucket.take();
    let sent = false;
    const wait = bucket.take().then((ms) => (sent = ms > 0));
    // 1e-7 per second: one request every 1e10 ms, about 4.7 of the longest timer (2^31 - 1 ms).
    for (let part = 1; part <= 4; part++) {
      await settle();
      clock.advance(MAX_TIMER_MS);
      await settle();
      expect(sent).toBe(false);
    }
    clock.advance(1e10 - 4 * MAX_TIMER_MS);
    await settle();
    await wait;
    expect(sent).toBe(true);
  });

  it('lets a burst through at once, then spaces reservations 1/qps apart', () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(10, 3, clock);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0]);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([100, 200, 300]);
  });

  it('tryTake takes only a token that is there, and reserves nothing when refused', () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(10, 2, clock);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    clock.advance(100);
    // Refusals did not dig a hole: one token came back and is there to take.
    expect([bucket.tryTake(), bucket.tryTake()]).toEqual([true, false]);
    expect(bucket.reserve()).toBe(100);
  });

  it('a clock set back takes no tokens away: the next request waits only what it would have', () => {
    let now = 1_000_000_000;
    const clock = { now: () => now, monotonicNow: () => 0, setTimer: () => () => {} };
    const bucket = new TokenBucket(50, 100, clock);
    expect(bucket.reserve()).toBe(0);
    now -= 3_600_000; // an NTP step, a VM resumed
    expect(bucket.reserve()).toBe(0);
    for (let i = 0; i < 98; i++) bucket.reserve();
    expect(bucket.reserve()).toBe(20); // the burst is spent: 1/qps, as ever
  });

  it('refills at qps, never beyond the burst', () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(10, 3, clock);
    for (let i = 0; i < 3; i++) bucket.reserve();
    clock.advance(100);
    expect(bucket.reserve()).toBe(0); // one token came back
    expect(bucket.reserve()).toBe(100);
    clock.advance(60_000); // a long idle period refills only up to the burst
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0, 100]);
  });

  it('never lets more than burst + qps·t through in any time t', () => {
    const clock = new FakeClock(0);
    const qps = 5;
    const burst = 4;
    const bucket = new TokenBucket(qps, burst, clock);
    const due: number[] = [];
    for (let i = 0; i < 30; i++) {
      due.push(clock.now() + bucket.reserve());
      clock.advance(37); // callers arrive faster than the rate
    }
    for (let i = 0; i < due.length; i++) {
      for (let j = i; j < due.length; j++) {
        const window = due[j]! - due[i]!;
        expect(j - i + 1).toBeLessThanOrEqual(burst + Math.floor((qps * window) / 1000));
      }
    }
    // Past the burst, the steady pace is qps (to the millisecond the wait is rounded up to).
    expect(Math.abs(due[29]! - due[19]! - 2000)).toBeLessThanOrEqual(1);
  });

  it('take waits on the clock for its turn, in order, and reports the wait', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(2, 1, clock);
    const done: string[] = [];
    void bucket.take().then((w) => done.push(`a ${w}`));
    void bucket.take().then((w) => done.push(`b ${w}`));
    void bucket.take().then((w) => done.push(`c ${w}`));
    await settle();
    expect(done).toEqual(['a 0']);
    clock.advance(499);
    await settle();
    expect(done).toEqual(['a 0']);
    clock.advance(1);
    await settle();
    expect(done).toEqual(['a 0', 'b 500']);
    clock.advance(500);
    await settle();
    expect(done).toEqual(['a 0', 'b 500', 'c 1000']);
  });

  it.each([
    [0, 1],
    [-1, 1],
    [Number.NaN, 1],
    [1, 0],
    [1, Number.NaN],
  ])('refuses qps %p with burst %p', (qps, burst) =>
    expect(() => new TokenBucket(qps, burst, new FakeClock())).toThrow(
      'token bucket needs qps > 0 and burst >= 1',
    ),
  );
});
