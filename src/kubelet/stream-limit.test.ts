import { EventEmitter } from 'node:events';
import { RouteError } from './routes.ts';
import { StreamLimit } from './stream-limit.ts';

describe('StreamLimit', () => {
  it('refuses a stream past the maximum with a 429, and takes one again once another closes', () => {
    const limit = new StreamLimit(2);
    const callers = [new EventEmitter(), new EventEmitter()];
    for (const c of callers) limit.hold(c);
    expect(limit.count).toBe(2);
    let refused: unknown;
    try {
      limit.hold(new EventEmitter());
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
    expect(() => limit.hold(new EventEmitter())).not.toThrow();
    expect(limit.count).toBe(2);
  });
});
