import { realClock, type Clock } from './clock.ts';

/**
 * Reads shared for a while: a read of a key made less than `ttlMs` ago (in flight or done) answers
 * the callers since, instead of each asking again. A read that fails is not kept: the next caller
 * asks anew.
 */
export class RecentReads<K, V> {
  private readonly reads = new Map<K, { at: number; result: Promise<V> }>();
  private readonly ttlMs: number;
  private readonly clock: Clock;

  constructor(ttlMs: number, clock: Clock = realClock) {
    this.ttlMs = ttlMs;
    this.clock = clock;
  }

  get(key: K, read: () => Promise<V>): Promise<V> {
    const recent = this.reads.get(key);
    if (recent && this.clock.now() - recent.at < this.ttlMs) return recent.result;
    const result = read();
    this.reads.set(key, { at: this.clock.now(), result });
    result.catch(() => {
      if (this.reads.get(key)?.result === result) this.reads.delete(key);
    });
    return result;
  }
}
