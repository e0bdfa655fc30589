import { EventEmitter } from 'node:events';
import { RouteError } from './routes.ts';
import { StreamLimit } from './stream-limit.ts';

/** A caller's side of a stream: a socket or response, open until it emits 'close'. */
const caller = (destroyed = false) => Object.assign(new EventEmitter(), { destroyed });

describe('StreamLimit', () => {
  it('refuses a stream past the maximum with a 429, and takes one again once another closes', () => {
    const limit = new StreamLimit(2);
    const callers = [caller(), caller()];
    for (const c of callers) expect(limit.hold(c)).toBe(true);
    expect(limit.count).toBe(2);
    let refused: unknown;
    try {
      limit.hold(caller());
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(RouteError);
    expect((refused as RouteError).status).toBe(429);
    expect((refused as RouteError).message).toContain('sessions open (2)');
    callers[0]!.emit('close');
    // A second close of the same caller counts once.
    callers[0]!.emit('close');
    expect(limit.count).toBe(1);
    expect(limit.hold(caller())).toBe(true);
    expect(limit.count).toBe(2);
  });

  it('does not count a caller that left already (its close will not come again)', () => {
    const limit = new StreamLimit(1);
    expect(limit.hold(caller(true))).toBe(false);
    expect(limit.count).toBe(0);
    expect(limit.hold(caller())).toBe(true);
  });
});
