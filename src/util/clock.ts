/** Time source, injected everywhere timing matters so tests can drive it by hand. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Milliseconds from an arbitrary start, on a clock that is never set: for delays. The wall clock
   * may be stepped (NTP, a VM resumed), and an hour back would hold a 1 s retry for an hour.
   */
  monotonicNow(): number;
  /** Calls fn after ms milliseconds; returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

/** The longest delay Node's timers take (2^31 - 1 ms); a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The real clock. Timers are unref'd so a pending retry never keeps the process alive. */
export const realClock: Clock = {
  now: () => Date.now(),
  monotonicNow: () => performance.now(),
  setTimer(fn, ms) {
    // Longer than Node takes would fire after 1 ms: capped, it fires early rather than at once.
    const handle = setTimeout(fn, Math.min(MAX_TIMER_MS, Math.max(0, ms)));
    handle.unref?.();
    return () => clearTimeout(handle);
  },
};

interface PendingTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that moves only when a test calls `advance`; timers fire in due order. Its wall clock may
 * also be stepped alone (`stepWall`), as NTP steps a real one: timers keep monotonic time, as Node's do.
 */
export class FakeClock implements Clock {
  /** The monotonic reading; the wall clock reads it plus wallOffset. */
  private current: number;
  private wallOffset = 0;
  private seq = 0;
  private timers = new Set<PendingTimer>();

  constructor(start = 1_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current + this.wallOffset;
  }

  monotonicNow(): number {
    return this.current;
  }

  /** Sets the wall clock forward (or back, with a negative ms) without time passing. */
  stepWall(ms: number): void {
    this.wallOffset += ms;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer: PendingTimer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  /** Number of timers not yet fired or cancelled. */
  pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by ms, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let next: PendingTimer | undefined;
      for (const t of this.timers) {
        if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      }
      if (!next) break;
      this.timers.delete(next);
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = target;
  }
}
