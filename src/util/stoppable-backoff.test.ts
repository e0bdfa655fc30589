import { FakeClock } from './clock.ts';
import { StoppableBackoff } from './stoppable-backoff.ts';

const settled = () => new Promise((r) => setImmediate(r));

describe('StoppableBackoff', () => {
  it('waits 1, 2, 4 ... seconds up to the ceiling', async () => {
    const clock = new FakeClock();
    const backoff = new StoppableBackoff(clock, 1_000, 4_000);
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      delays.push(backoff.nextDelayMs);
      let done = false;
      void backoff.wait().then(() => (done = true));
      clock.advance(backoff.nextDelayMs - 1);
      await settled();
      expect(done).toBe(false);
      clock.advance(1);
      await settled();
      expect(done).toBe(true);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 4_000]);
  });

  it('ends a wait at once on stop, and waits no more after it', async () => {
    const backoff = new StoppableBackoff(new FakeClock());
    let done = false;
    void backoff.wait().then(() => (done = true));
    backoff.stop();
    await settled();
    expect(done).toBe(true);
    expect(backoff.stopped).toBe(true);
    await backoff.wait(); // resolves without any clock movement
  });
});
