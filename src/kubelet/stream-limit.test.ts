import { EventEmitter } from 'node:events';
import { RouteError } from './routes.ts';
import { StreamLimit } from './stream-limit.ts';

/** A caller's side of a stream: a socket or response, open until it emits 'close'. */
const caller = (destroyed = false) => Object.assign(new EventEmitter(), { destroyed });

describe('StreamLimit', () => {
  it('refuses a stream past the maximum with a 429, and takes one again once another closes', () => {
    const limit = new StreamLimit(2);
    const callers = [caller(), caller()];
    for (const c of callers) expect(limit.hold(c, 'team')).toBe(true);
    expect(limit.count).toBe(2);
    let refused: unknown;
    try {
      limit.hold(caller(), 'team');
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
    expect(limit.hold(caller(), 'team')).toBe(true);
    expect(limit.count).toBe(2);
  });

  it("refuses a namespace's stream past its share, while other namespaces still get theirs", () => {
    const limit = new StreamLimit(10, 2);
    const noisy = [caller(), caller()];
    for (const c of noisy) expect(limit.hold(c, 'noisy')).toBe(true);
    expect(() => limit.hold(caller(), 'noisy')).toThrow('open to pods of namespace noisy (2)');
    expect(limit.hold(caller(), 'team')).toBe(true);
    noisy[0]!.emit('close');
    expect(limit.hold(caller(), 'noisy')).toBe(true);
    expect(limit.count).toBe(3);
  });

  it('does not count a caller that left already (its close will not come again)', () => {
    const limit = new StreamLimit(1);
    expect(limit.hold(caller(true), 'team')).toBe(false);
    expect(limit.count).toBe(0);
    expect(limit.hold(caller(), 'team')).toBe(true);
  });
});
