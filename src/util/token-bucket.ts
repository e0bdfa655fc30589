import { MAX_TIMER_MS, type Clock } from './clock.ts';

/**
 * A token bucket that refills at `qps` and holds at most `burst` tokens. Callers reserve a token and
 * wait until it is theirs, so order is kept and no more than burst + qps·t pass in any time t. It
 * paces requests to each API server and bounds the overall retry rate of a work queue.
 */
export class TokenBucket {
  private readonly qps: number;
  private readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;

  constructor(qps: number, burst: number, clock: Clock) {
    this.qps = qps;
    this.burst = burst;
    this.clock = clock;
    if (!(qps > 0) || !(burst >= 1))
      throw new Error(`token bucket needs qps > 0 and burst >= 1 (got ${qps}/${burst})`);
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Reserves one token; returns how many milliseconds the caller must wait before using it. */
  reserve(): number {
    const now = this.clock.now();
    this.tokens = this.refilled(now);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  /**
   * Takes a token only when one is there now; false otherwise, and nothing is reserved. For work that
   * is refused rather than delayed when over budget (requests from callers not yet known).
   */
  tryTake(): boolean {
    const now = this.clock.now();
    this.tokens = this.refilled(now);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * The tokens there are at `now`. A clock set back (an NTP step, a VM resumed) refills nothing
   * rather than taking tokens away: an hour back would otherwise hold every request for an hour.
   */
  private refilled(now: number): number {
    const elapsed = Math.max(0, now - this.last);
    return Math.min(this.burst, this.tokens + (elapsed / 1000) * this.qps);
  }

  /** Waits for a token; resolves with the milliseconds spent waiting. */
  async take(): Promise<number> {
    const wait = this.reserve();
    // A timer takes at most MAX_TIMER_MS (a tiny --host-qps can ask for more): waited in parts.
    for (let left = wait; left > 0; left -= MAX_TIMER_MS) {
      const part = Math.min(left, MAX_TIMER_MS);
      await new Promise<void>((resolve) => this.clock.setTimer(resolve, part));
    }
    return wait;
  }
}
