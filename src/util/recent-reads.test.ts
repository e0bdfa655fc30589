import { FakeClock } from './clock.ts';
import { RecentReads } from './recent-reads.ts';

describe('RecentReads', () => {
  it('answers callers within the time from one read, in flight or done, then reads again', async () => {
    const clock = new FakeClock();
    const reads = new RecentReads<string, number>(5_000, clock);
    let calls = 0;
    const read = () => Promise.resolve(++calls);
    expect(await Promise.all([reads.get('pods', read), reads.get('pods', read)])).toEqual([1, 1]);
    clock.advance(4_999);
    expect(await reads.get('pods', read)).toBe(1);
    expect(await reads.get('nodes', read)).toBe(2);
    clock.advance(1);
    expect(await reads.get('pods', read)).toBe(3);
  });

  it('keeps no failure: the next caller reads again', async () => {
    const reads = new RecentReads<string, number>(5_000, new FakeClock());
    await expect(reads.get('pods', () => Promise.reject(new Error('host down')))).rejects.toThrow(
      'host down',
    );
    expect(await reads.get('pods', () => Promise.resolve(7))).toBe(7);
  });
});
