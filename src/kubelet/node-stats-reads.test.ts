import { FakeClock } from '../util/clock.ts';
import { NodeStatsReads, STATS_SHARE_MS } from './node-stats-reads.ts';
import { RouteError } from './routes.ts';

/** A read that settles when the test says, counting how often it was asked. */
function heldRead() {
  let release: (body: string) => void = () => {};
  const held = {
    asked: 0,
    read: () => {
      held.asked++;
      return new Promise<string>((resolve) => (release = resolve));
    },
    release: (body: string) => release(body),
  };
  return held;
}

describe('NodeStatsReads', () => {
  it('shares one read per node and endpoint while it is under way and for a while after', async () => {
    const clock = new FakeClock();
    const reads = new NodeStatsReads(clock);
    const held = heldRead();
    const { read } = held;
    const first = reads.get('n1', 'stats/summary', read);
    const second = reads.get('n1', 'stats/summary', read);
    held.release('figures');
    expect(await Promise.all([first, second])).toEqual(['figures', 'figures']);
    clock.advance(STATS_SHARE_MS - 1);
    expect(await reads.get('n1', 'stats/summary', read)).toBe('figures');
    expect(held.asked).toBe(1);
    // Another endpoint, another node: reads of their own.
    let others = 0;
    const other = async () => `other ${++others}`;
    expect(await reads.get('n1', 'metrics/cadvisor', other)).toBe('other 1');
    expect(await reads.get('n2', 'stats/summary', other)).toBe('other 2');
    clock.advance(1);
    const again = heldRead();
    const next = reads.get('n1', 'stats/summary', again.read);
    again.release('newer');
    expect(await next).toBe('newer');
  });

  it('refuses a read past the maximum under way (429) for that caller alone; the next caller reads once one ends', async () => {
    const reads = new NodeStatsReads(new FakeClock(), 2);
    const held = [heldRead(), heldRead()];
    const under = held.map((h, i) => reads.get(`n${i}`, 'stats/summary', h.read));
    let refusal: unknown;
    try {
      void reads.get('n9', 'stats/summary', async () => 'never');
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(RouteError);
    expect((refusal as RouteError).status).toBe(429);
    held[0]!.release('a');
    await under[0];
    expect(await reads.get('n9', 'stats/summary', async () => 'now')).toBe('now');
    held[1]!.release('b');
    await under[1];
  });
});
