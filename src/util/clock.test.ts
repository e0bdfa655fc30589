import { FakeClock, MAX_TIMER_MS, realClock } from './clock.ts';

describe('FakeClock', () => {
  it('fires timers in due order and only when due', () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setTimer(() => fired.push('b'), 20);
    clock.setTimer(() => fired.push('a'), 10);
    const cancel = clock.setTimer(() => fired.push('cancelled'), 15);
    cancel();
    clock.advance(9);
    expect(fired).toEqual([]);
    clock.advance(11);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.now()).toBe(20);
  });

  it('fires timers scheduled by a firing timer when they fall inside the advance', () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimer(() => {
      fired.push(clock.now());
      clock.setTimer(() => fired.push(clock.now()), 5);
    }, 5);
    clock.advance(10);
    expect(fired).toEqual([5, 10]);
  });

  it('steps its wall clock alone, as an NTP step does: the monotonic clock and the timers keep time', () => {
    const clock = new FakeClock(50_000);
    const fired: number[] = [];
    clock.setTimer(() => fired.push(clock.monotonicNow()), 1000);
    clock.stepWall(-3_600_000);
    expect(clock.now()).toBe(50_000 - 3_600_000);
    expect(clock.monotonicNow()).toBe(50_000);
    clock.advance(999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([51_000]);
    expect(clock.now()).toBe(51_000 - 3_600_000);
  });
});

describe('realClock', () => {
  it("holds a timer longer than Node's longest (which Node would fire after 1 ms) at the longest", async () => {
    let fired = false;
    const cancel = realClock.setTimer(() => (fired = true), MAX_TIMER_MS * 5);
    await new Promise((resolve) => setTimeout(resolve, 50));
    cancel();
    expect(fired).toBe(false);
  });
});
