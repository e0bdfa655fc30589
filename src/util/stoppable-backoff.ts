import type { Clock } from './clock.ts';

/**
 * The waits between attempts of a task that runs once and retries until it is done (the syncer's
 * start-up writes): doubling from minMs to maxMs, and cut short by stop(), after which the task ends.
 */
export class StoppableBackoff {
  private delay: number;
  private cancelTimer = () => {};
  private wake = () => {};
  private stoppedFlag = false;

  private readonly clock: Clock;
  private readonly maxMs: number;

  constructor(clock: Clock, minMs = 1_000, maxMs = 60_000) {
    this.clock = clock;
    this.maxMs = maxMs;
    this.delay = minMs;
  }

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /** How long the next wait lasts. */
  get nextDelayMs(): number {
    return this.delay;
  }

  /** Waits the current delay (or until stop()), then doubles it. */
  async wait(): Promise<void> {
    if (this.stoppedFlag) return;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      this.cancelTimer = this.clock.setTimer(resolve, this.delay);
    });
    this.delay = Math.min(this.delay * 2, this.maxMs);
  }

  stop(): void {
    this.stoppedFlag = true;
    this.cancelTimer();
    this.wake();
  }
}

/**
 * Tries each item in order; one that fails (attempt throws; onFailure hears why) holds up none after
 * it. The failed ones are tried again, still in their order, after each of the backoff's waits,
 * until every one has succeeded: true then, false once the backoff is stopped.
 */
export async function retryInPasses<T>(
  items: readonly T[],
  backoff: StoppableBackoff,
  attempt: (item: T) => Promise<void>,
  onFailure: (item: T, err: unknown) => void,
): Promise<boolean> {
  let pending = [...items];
  for (;;) {
    const failed: T[] = [];
    for (const item of pending) {
      if (backoff.stopped) return false;
      try {
        await attempt(item);
      } catch (err) {
        failed.push(item);
        onFailure(item, err);
      }
    }
    if (failed.length === 0) return true;
    pending = failed;
    if (backoff.stopped) return false;
    await backoff.wait();
  }
}
