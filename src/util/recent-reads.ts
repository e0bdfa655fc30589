import { realClock, type Clock } from './clock.ts';

interface Read<V> {
  result: Promise<V>;
  /** When it settled; undefined while in flight. */
  settledAt?: number;
}

/**
 * Reads shared for a while: a read of a key in flight, or settled less than `ttlMs` ago, answers the
 * callers since instead of each asking again. A failure is shared as well: a source that is down or
 * refuses is asked once per `ttlMs`, however many callers there are.
 */
export class RecentReads<K, V> {
  private readonly reads = new Map<K, Read<V>>();
  private readonly ttlMs: number;
  private readonly clock: Clock;

  constructor(ttlMs: number, clock: Clock = realClock) {
    this.ttlMs = ttlMs;
    this.clock = clock;
  }

  get(key: K, read: () => Promise<V>): Promise<V> {
    const recent = this.reads.get(key);
    if (recent && (recent.settledAt === undefined || this.clock.now() - recent.settledAt < this.ttlMs))
      return recent.result;
    const entry: Read<V> = { result: read() };
    const settled = () => {
      entry.settledAt = this.clock.now();
    };
    entry.result.then(settled, settled);
    this.reads.set(key, entry);
    return entry.result;
  }
}
