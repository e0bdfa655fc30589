import { FakeClock } from './clock.ts';
import { RecentReads } from './recent-reads.ts';

describe('RecentReads', () => {
  it('answers callers from one read while it is in flight and for the time after it settled, then reads again', async () => {
    const clock = new FakeClock();
    const reads = new RecentReads<string, number>(5_000, clock);
    let calls = 0;
    let finish: (n: number) => void = () => undefined;
    const slow = () => new Promise<number>((resolve) => (finish = resolve)).then(() => ++calls);
    const first = reads.get('pods', slow);
    clock.advance(10_000);
    // Still in flight: shared, however long it takes.
    const second = reads.get('pods', slow);
    finish(0);
    expect(await Promise.all([first, second])).toEqual([1, 1]);
    clock.advance(4_999);
    expect(await reads.get('pods', () => Promise.resolve(++calls))).toBe(1);
    expect(await reads.get('nodes', () => Promise.resolve(++calls))).toBe(2);
    clock.advance(1);
    expect(await reads.get('pods', () => Promise.resolve(++calls))).toBe(3);
  });

  it('shares a failure for the same time: a source that is down is asked once per period', async () => {
    const clock = new FakeClock();
    const reads = new RecentReads<string, number>(5_000, clock);
    let asked = 0;
    const failing = () => {
      asked++;
      return Promise.reject(new Error('host down'));
    };
    await expect(reads.get('pods', failing)).rejects.toThrow('host down');
    await expect(reads.get('pods', failing)).rejects.toThrow('host down');
    expect(asked).toBe(1);
    clock.advance(5_000);
    expect(await reads.get('pods', () => Promise.resolve(7))).toBe(7);
  });
});
