import { realClock, type Clock } from '../util/clock.ts';
import { DelayedKeys } from './delayed-keys.ts';
import type { WorkQueueMetrics } from './metrics.ts';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiters.ts';

export interface WorkQueueOptions<K> {
  name: string;
  clock?: Clock;
  rateLimiter?: RateLimiter<K>;
  metrics?: WorkQueueMetrics;
}

/**
 * A work queue with client-go semantics. A key is queued at most once (dirty set); a key being
 * processed is never handed out again until `done`, and a change that arrives meanwhile is kept
 * and delivered after `done` (processing set). Delayed adds keep the earliest time.
 */
export class WorkQueue<K extends string> {
  private readonly name: string;
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter<K>;
  private readonly metrics: WorkQueueMetrics | undefined;
  private readonly queue: K[] = [];
  /** Keys that jump the queue (a change only the other cluster's side needs, such as status). */
  private readonly urgent: K[] = [];
  /** Keys to queue as urgent when they come back from processing. */
  private readonly urgentLater = new Set<K>();
  /** Keys being processed that were handed out from the urgent lane. */
  private readonly takenUrgent = new Set<K>();
  /** Delayed keys to queue as urgent when they are due (an urgent key's retry). */
  private readonly urgentWhenDue = new Set<K>();
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  /** When each key was queued and taken, on the monotonic clock (for the queue and work durations). */
  private readonly addedAt = new Map<K, number>();
  private readonly startedAt = new Map<K, number>();
  /** Keys added with a delay, until they are due. */
  private readonly delayed: DelayedKeys<K>;
  private getters: { resolve: (key: K | undefined) => void; urgentOnly: boolean }[] = [];
  private drainWaiters: (() => void)[] = [];
  private shuttingDown = false;

  constructor(opts: WorkQueueOptions<K>) {
    this.name = opts.name;
    this.clock = opts.clock ?? realClock;
    this.rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter<K>(this.clock);
    this.metrics = opts.metrics;
    this.delayed = new DelayedKeys(this.clock, (key) =>
      this.add(key, { urgent: this.urgentWhenDue.delete(key) }),
    );
  }

  /**
   * Queues key unless it is already queued; a key being processed is queued again after done. An
   * urgent add goes ahead of every ordinary key (and moves the key ahead if it already waits).
   */
  add(key: K, opts: { urgent?: boolean } = {}): void {
    if (this.shuttingDown) return;
    if (this.dirty.has(key)) {
      if (opts.urgent) this.makeUrgent(key);
      return;
    }
    this.metrics?.added(this.name);
    this.dirty.add(key);
    this.addedAt.set(key, this.clock.monotonicNow());
    if (this.processing.has(key)) {
      if (opts.urgent) this.urgentLater.add(key);
      return;
    }
    this.enqueue(key, opts.urgent === true);
  }

  /**
   * Waits for the next key (urgent ones first) and marks it processing; undefined once the queue is
   * shut down and empty. `urgentOnly` getters take urgent keys only: workers kept for them stay free
   * while ordinary keys hold every other worker.
   */
  get(opts: { urgentOnly?: boolean } = {}): Promise<K | undefined> {
    const urgentOnly = opts.urgentOnly === true;
    if (this.urgent.length > 0 || (!urgentOnly && this.queue.length > 0)) return Promise.resolve(this.take());
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push({ resolve, urgentOnly }));
  }

  /** Marks key finished; if it changed while processing, it is queued again. */
  done(key: K): void {
    if (!this.processing.delete(key)) return;
    this.takenUrgent.delete(key);
    const started = this.startedAt.get(key);
    this.startedAt.delete(key);
    if (started !== undefined)
      this.metrics?.workDuration(this.name, (this.clock.monotonicNow() - started) / 1000);
    const urgent = this.urgentLater.delete(key);
    if (this.dirty.has(key)) this.enqueue(key, urgent);
    this.notifyIfDrained();
  }

  /**
   * Adds key after ms; if it is already waiting, the earlier time wins. An urgent one is queued as
   * urgent when due.
   */
  addAfter(key: K, ms: number, opts: { urgent?: boolean } = {}): void {
    if (this.shuttingDown) return;
    // NaN would sit in the delay heap for ever, and unsettle its order for the keys around it: the
    // key takes the rate limiter's delay instead, which grows while it comes back.
    if (Number.isNaN(ms)) ms = this.rateLimiter.when(key);
    if (ms <= 0) {
      this.add(key, opts);
      return;
    }
    if (opts.urgent) this.urgentWhenDue.add(key);
    this.delayed.add(key, this.clock.monotonicNow() + ms);
  }

  /**
   * Adds key after the rate limiter's delay (per-item backoff and overall bucket). A retry stays in
   * the lane the key was handed out from: a status change that met a conflict must not go to wait
   * behind the creates.
   */
  addRateLimited(key: K, opts: { atLeastMs?: number } = {}): void {
    this.metrics?.retried(this.name);
    const ms = Math.max(opts.atLeastMs ?? 0, this.rateLimiter.when(key));
    this.addAfter(key, ms, { urgent: this.takenUrgent.has(key) });
  }

  /** Drops key's delayed add, if it waits for one: its object is gone. */
  cancelDelayed(key: K): void {
    this.delayed.remove(key);
    this.urgentWhenDue.delete(key);
  }

  /** Clears key's failure count: it succeeded. */
  forget(key: K): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.rateLimiter.retries(key);
  }

  /** True when key waits to be handed out (or to come back after it is done). */
  isQueued(key: K): boolean {
    return this.dirty.has(key);
  }

  /** How many keys wait for a delayed add. */
  delayedLen(): number {
    return this.delayed.size;
  }

  len(): number {
    return this.queue.length + this.urgent.length;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Stops accepting adds; getters get the keys still queued, then undefined. Delayed adds are dropped. */
  shutDown(): void {
    this.shuttingDown = true;
    this.delayed.clear();
    this.urgentWhenDue.clear();
    if (this.len() === 0) for (const { resolve } of this.getters.splice(0)) resolve(undefined);
    // Urgent-only getters get nothing more: the ordinary keys left are for the ordinary getters.
    else
      for (const g of this.getters.filter((g) => g.urgentOnly && this.urgent.length === 0)) {
        this.getters.splice(this.getters.indexOf(g), 1);
        g.resolve(undefined);
      }
  }

  /** Shuts down and resolves once every queued and in-process key is done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.isDrained()) return Promise.resolve();
    return new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  private isDrained(): boolean {
    return this.len() === 0 && this.processing.size === 0;
  }

  private enqueue(key: K, urgent: boolean): void {
    (urgent ? this.urgent : this.queue).push(key);
    this.metrics?.depth(this.name, this.len());
    this.wakeGetter();
  }

  /** Moves a waiting key ahead of the ordinary ones (or marks it so for when it is done). */
  private makeUrgent(key: K): void {
    if (this.processing.has(key)) {
      this.urgentLater.add(key);
      return;
    }
    const at = this.queue.indexOf(key);
    if (at < 0) return; // already urgent
    this.queue.splice(at, 1);
    this.urgent.push(key);
    this.wakeGetter();
  }

  private notifyIfDrained(): void {
    if (this.shuttingDown && this.isDrained()) for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  private take(): K {
    const urgent = this.urgent.length > 0;
    const key = (urgent ? this.urgent.shift() : this.queue.shift())!;
    if (urgent) this.takenUrgent.add(key);
    this.metrics?.depth(this.name, this.len());
    this.processing.add(key);
    this.dirty.delete(key);
    const added = this.addedAt.get(key);
    this.addedAt.delete(key);
    const now = this.clock.monotonicNow();
    if (added !== undefined) this.metrics?.queueDuration(this.name, (now - added) / 1000);
    this.startedAt.set(key, now);
    return key;
  }

  private wakeGetter(): void {
    for (;;) {
      const g = this.urgent.length > 0 ? this.getters[0] : this.getters.find((x) => !x.urgentOnly);
      if (!g || this.len() === 0) return;
      this.getters.splice(this.getters.indexOf(g), 1);
      g.resolve(this.take());
    }
  }
}
