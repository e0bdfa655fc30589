import type { Clock } from '../util/clock.ts';
import { TokenBucket } from '../util/token-bucket.ts';

/** Decides how long an item waits before it is retried. */
export interface RateLimiter<K> {
  /** The delay (ms) before item may be retried; counts a failure. */
  when(item: K): number;
  /** Forgets the item's failures (it succeeded). */
  forget(item: K): void;
  /** How many failures the item has had since it was last forgotten. */
  retries(item: K): number;
}

/** Per-item exponential backoff: base, 2·base, 4·base, ... capped at max. */
export class ItemExponentialRateLimiter<K> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(baseMs = 5, maxMs = 1_000_000) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  when(item: K): number {
    const n = this.failures.get(item) ?? 0;
    this.failures.set(item, n + 1);
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(n, 62));
  }

  forget(item: K): void {
    this.failures.delete(item);
  }

  retries(item: K): number {
    return this.failures.get(item) ?? 0;
  }
}

/**
 * An overall token bucket shared by all items (qps refill, burst capacity): bounds the total retry
 * rate however many items fail at once. `when` reserves a token and returns the wait for it.
 */
export class BucketRateLimiter<K> implements RateLimiter<K> {
  private readonly bucket: TokenBucket;

  constructor(qps: number, burst: number, clock: Clock) {
    this.bucket = new TokenBucket(qps, burst, clock);
  }

  when(_item: K): number {
    return this.bucket.reserve();
  }

  forget(_item: K): void {}

  retries(_item: K): number {
    return 0;
  }
}

/** The longest delay any of the limiters asks for. */
export class MaxOfRateLimiter<K> implements RateLimiter<K> {
  private readonly limiters: RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    this.limiters = limiters;
  }

  when(item: K): number {
    return Math.max(0, ...this.limiters.map((l) => l.when(item)));
  }

  forget(item: K): void {
    for (const l of this.limiters) l.forget(item);
  }

  retries(item: K): number {
    return Math.max(0, ...this.limiters.map((l) => l.retries(item)));
  }
}

/**
 * The longest a failing key waits between retries. client-go's default is 1000 s; a syncer is the
 * path a tenant waits on, and a key that failed through an outage (twenty API server restarts,
 * each answering 403 until its RBAC cache is warm, then connection refused) would otherwise sit
 * out up to 16 minutes once the API is back. One retry a minute per failing key is cheap, the
 * overall bucket below still bounds them, and errors that retrying cannot fix are not retried on
 * a timer at all (TerminalError).
 */
export const MAX_RETRY_DELAY_MS = 60_000;

/** client-go's default shape: per-item exponential from 5 ms (capped, see above), and 10 qps / 100 burst overall. */
export function defaultControllerRateLimiter<K>(clock: Clock): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(
    new ItemExponentialRateLimiter<K>(5, MAX_RETRY_DELAY_MS),
    new BucketRateLimiter<K>(10, 100, clock),
  );
}
