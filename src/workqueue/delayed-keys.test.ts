import { FakeClock, MAX_TIMER_MS } from '../util/clock.ts';
import { DelayedKeys } from './delayed-keys.ts';

function setup() {
  const clock = new FakeClock(0);
  const due: string[] = [];
  const delayed = new DelayedKeys<string>(clock, (key) => due.push(`${key}@${clock.now()}`));
  return { clock, due, delayed };
}

describe('DelayedKeys', () => {
  it("never asks for a timer longer than Node's longest (it would fire at once, over and over), and still hands the key out at its time", () => {
    const clock = new FakeClock(0);
    const asked: number[] = [];
    const spy = {
      now: () => clock.now(),
      monotonicNow: () => clock.monotonicNow(),
      setTimer: (fn: () => void, ms: number) => (asked.push(ms), clock.setTimer(fn, ms)),
    };
    const due: string[] = [];
    const delayed = new DelayedKeys<string>(spy, (key) => due.push(key));
    const fortyDays = 40 * 24 * 3_600_000;
    delayed.add('token-check', fortyDays);
    clock.advance(MAX_TIMER_MS);
    expect(due).toEqual([]);
    clock.advance(fortyDays - MAX_TIMER_MS);
    expect(due).toEqual(['token-check']);
    expect(Math.max(...asked)).toBe(MAX_TIMER_MS);
  });

  it('hands out each key at its time, earliest first, behind one timer', () => {
    const { clock, due, delayed } = setup();
    delayed.add('c', 300);
    delayed.add('a', 100);
    delayed.add('b', 200);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(150);
    expect(due).toEqual(['a@100']);
    clock.advance(1000);
    expect(due).toEqual(['a@100', 'b@200', 'c@300']);
    expect(delayed.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('keeps monotonic time: a wall clock set back or forward neither holds a key nor brings it early', () => {
    const { clock, due, delayed } = setup();
    delayed.add('a', 1000);
    delayed.add('b', 2000);
    clock.stepWall(-3_600_000);
    clock.advance(1000);
    expect(due).toEqual([`a@${1000 - 3_600_000}`]);
    clock.stepWall(2 * 3_600_000);
    clock.advance(999);
    expect(due).toHaveLength(1);
    clock.advance(1);
    expect(due).toEqual([`a@${1000 - 3_600_000}`, `b@${2000 + 3_600_000}`]);
  });

  it('keeps the earlier time of a key given twice, and hands it out once', () => {
    const { clock, due, delayed } = setup();
    delayed.add('a', 500);
    delayed.add('a', 100);
    delayed.add('a', 300);
    expect(delayed.get('a')).toBe(100);
    clock.advance(1000);
    expect(due).toEqual(['a@100']);
  });

  it('forgets a removed key, and keeps no memory for keys removed long before their time', () => {
    const { clock, due, delayed } = setup();
    const year = 365 * 24 * 3_600_000;
    for (let i = 0; i < 10_000; i++) delayed.add(`gone-${i}`, year + i);
    delayed.add('kept-b', 200);
    delayed.add('kept-a', 100);
    for (let i = 0; i < 10_000; i++) delayed.remove(`gone-${i}`);
    delayed.remove('never-added');
    expect(delayed.size).toBe(2);
    expect(delayed.entries).toBeLessThan(200);
    clock.advance(year * 2);
    expect(due).toEqual(['kept-a@100', 'kept-b@200']);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('hands out keys due at the same time in the order they were given', () => {
    const { clock, due, delayed } = setup();
    for (const key of ['e', 'b', 'd', 'a', 'c', 'f', 'g']) delayed.add(key, 100);
    clock.advance(100);
    expect(due.map((d) => d[0])).toEqual(['e', 'b', 'd', 'a', 'c', 'f', 'g']);
  });

  it('takes a key again once it was handed out', () => {
    const { clock, due, delayed } = setup();
    delayed.add('a', 100);
    clock.advance(100);
    delayed.add('a', 200);
    clock.advance(100);
    expect(due).toEqual(['a@100', 'a@200']);
  });

  it('re-arms for an earlier key, and forgets everything on clear', () => {
    const { clock, due, delayed } = setup();
    delayed.add('late', 1000);
    delayed.add('early', 10);
    clock.advance(10);
    expect(due).toEqual(['early@10']);
    delayed.clear();
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(5000);
    expect(due).toEqual(['early@10']);
  });

  it('keeps order over many random times', () => {
    const { clock, due, delayed } = setup();
    let seed = 11;
    const times = new Map<string, number>();
    for (let i = 0; i < 500; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const key = `k${seed % 97}`;
      const at = 1 + (seed % 1000);
      delayed.add(key, at);
      times.set(key, Math.min(times.get(key) ?? Infinity, at));
    }
    clock.advance(2000);
    const want = [...times].sort((a, b) => a[1] - b[1]).map(([key, at]) => `${key}@${at}`);
    expect(due.slice().sort()).toEqual(want.slice().sort());
    const at = due.map((d) => Number(d.split('@')[1]));
    expect(at).toEqual([...at].sort((a, b) => a - b));
  });
});
