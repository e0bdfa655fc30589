import { isAdmissionDenial, isApiError, isConflict, isInvalid, isNotFound } from '../kube/errors.ts';
import { realClock, type Clock } from '../util/clock.ts';
import { silentLogger, type Logger } from '../util/log.ts';
import { WorkQueue } from '../workqueue/index.ts';
import type { WorkQueueMetrics } from '../workqueue/metrics.ts';
import { isTerminal, TerminalError, tooDeepError, WaitingError } from './errors.ts';
import type { UnreachableApiLog } from './unreachable-log.ts';

/** The soonest a wait that says when to retry is retried (see WaitingError.retryAfterMs). */
const MIN_WAIT_RETRY_MS = 50;
/** The least a key waits after a conflict, unless a watch event brings it back sooner (vCluster: 1 s). */
const CONFLICT_RETRY_MS = 250;
/**
 * How long after a host admission policy or webhook refused a write (as invalid) it is tried again:
 * the tenant is told at once, and the object syncs within a minute of the admin lifting the policy.
 */
export const ADMISSION_DENIAL_RETRY_MS = 60_000;
/** How often a backing-off retry doubles at most: 1, 2, 4, 8, then every 16 minutes (vCluster's ~16). */
const RETRY_BACKOFF_DOUBLINGS = 4;

/** What a reconcile asks for next: nothing (done), or another look after some time. */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

export type ReconcileOutcome = 'success' | 'requeue' | 'conflict' | 'error' | 'terminal';

/** Counters the controller reports; the metrics module implements them. */
export interface ControllerMetrics {
  reconciled(controller: string, outcome: ReconcileOutcome): void;
  reconcileError(controller: string, reason: string): void;
}

export interface ControllerOptions {
  name: string;
  workers: number;
  reconcile(key: string): Promise<ReconcileResult | void>;
  /** Told once per terminal failure; the key is not retried until something changes. */
  onTerminalError?(key: string, err: TerminalError): Promise<void> | void;
  /**
   * Told of a failure that is retried (a conflict, an API server's error, not a wait), with how many
   * such failures of the key came right before this one (waits between them do not count, nor end
   * the run; a success or a terminal failure does).
   */
  onRetriedError?(key: string, err: unknown, failuresBefore: number): Promise<void> | void;
  clock?: Clock;
  logger?: Logger;
  /** Where failures to reach an API server are said, once for all controllers (else one line each). */
  unreachable?: UnreachableApiLog;
  metrics?: ControllerMetrics;
  queueMetrics?: WorkQueueMetrics;
}

/** Workers kept for urgent keys beside N ordinary ones: a quarter as many, at least one. */
export const urgentWorkers = (workers: number) => Math.max(1, Math.ceil(workers / 4));

/**
 * N workers draining one work queue into a reconcile function (and a few more for urgent keys). A key is never reconciled twice at
 * once; conflicts retry quietly with backoff; terminal errors are reported, not retried; and an
 * exception in one reconcile never escapes to the process.
 */
export class Controller {
  readonly queue: WorkQueue<string>;
  private readonly opts: ControllerOptions;
  private readonly log: Logger;
  private workers: Promise<void>[] = [];
  private stopping = false;
  private started = false;
  private inFlight = 0;
  /** Per key, the retried failures (conflicts, API errors) since its last success (see onRetriedError). */
  private readonly retriedFailures = new Map<string, number>();
  /** Refusals in a row of keys whose terminal errors back off (TerminalError.retryBacksOff). */
  private readonly terminalStreaks = new Map<string, number>();

  constructor(opts: ControllerOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1)
      throw new Error(`workers must be a positive integer, got ${opts.workers}`);
    this.opts = opts;
    this.log = (opts.logger ?? silentLogger).child({ controller: opts.name });
    this.queue = new WorkQueue<string>({
      name: opts.name,
      clock: opts.clock ?? realClock,
      metrics: opts.queueMetrics,
    });
  }

  /**
   * Queues a key for reconcile. Before start() it is dropped: a standby replica's informers keep
   * reporting changes for weeks, and queueing them would grow without bound (start() queues every
   * key that exists then instead).
   */
  enqueue(key: string, opts: { urgent?: boolean } = {}): void {
    if (this.started) this.queue.add(key, opts);
  }

  /** True once start() ran: changes are queued and worked on. */
  get isStarted(): boolean {
    return this.started;
  }

  /** Starts the workers, with every key that exists now (from the informer caches) queued once. */
  start(initialKeys: Iterable<string> = []): void {
    if (this.started) return;
    this.started = true;
    for (const key of initialKeys) this.queue.add(key);
    for (let i = 0; i < this.opts.workers; i++) this.workers.push(this.work(false));
    // Kept for urgent keys alone, so that while every other worker waits on a rate-limited cluster
    // (a burst of creates), a change that needs only the other cluster still goes through at once.
    for (let i = 0; i < urgentWorkers(this.opts.workers); i++) this.workers.push(this.work(true));
  }

  /** Reconciles in progress right now. */
  get busy(): number {
    return this.inFlight;
  }

  /**
   * Stops handing out work and waits for in-flight reconciles, at most deadlineMs.
   * Returns true when they all finished in time.
   */
  async stop(deadlineMs: number): Promise<boolean> {
    this.stopping = true;
    this.queue.shutDown();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    const finished = Promise.all(this.workers).then(() => true as const);
    const result = await Promise.race([finished, timedOut]);
    clearTimeout(timer);
    return result;
  }

  private async work(urgentOnly: boolean): Promise<void> {
    for (;;) {
      const key = await this.queue.get({ urgentOnly });
      if (key === undefined) return;
      if (this.stopping) {
        this.queue.done(key);
        continue;
      }
      this.inFlight++;
      try {
        await this.reconcileOne(key);
      } catch (err) {
        // reconcileOne handles every error of a reconcile; this is one of its own handling (a metric
        // or a log that failed). The worker stays, and the key is tried again later.
        this.log.error('handling a reconcile failed', { key, err });
        this.queue.addRateLimited(key);
      } finally {
        this.inFlight--;
        this.queue.done(key);
      }
    }
  }

  /** When a terminal error that is tried again all the same is tried: later with each refusal in a row, if it backs off. */
  private terminalRetryMs(key: string, terminal: TerminalError): number {
    const base = terminal.retryAfterMs!;
    if (!terminal.retryBacksOff) return base;
    const streak = this.terminalStreaks.get(key) ?? 0;
    this.terminalStreaks.set(key, streak + 1);
    return base * 2 ** Math.min(streak, RETRY_BACKOFF_DOUBLINGS);
  }

  private async reconcileOne(key: string): Promise<void> {
    const { name, metrics } = this.opts;
    try {
      const result = await this.opts.reconcile(key);
      if (result?.requeueAfterMs !== undefined && !Number.isFinite(result.requeueAfterMs)) {
        // A delay computed from something odd (a host's token expiry it could not read): the key is
        // not lost in the delay heap, it is tried again with a backoff that grows while the odd delay
        // comes back (so its failures are not forgotten), and the odd delay is told.
        this.log.warn('a reconcile asked to be tried again after a delay that is no number; backing off', {
          key,
          requeueAfterMs: String(result.requeueAfterMs),
        });
        this.queue.addRateLimited(key);
        metrics?.reconciled(name, 'requeue');
      } else if (result?.requeueAfterMs !== undefined) {
        this.queue.forget(key);
        this.retriedFailures.delete(key);
        this.terminalStreaks.delete(key);
        this.queue.addAfter(key, result.requeueAfterMs);
        metrics?.reconciled(name, 'requeue');
      } else {
        this.queue.forget(key);
        this.retriedFailures.delete(key);
        this.terminalStreaks.delete(key);
        metrics?.reconciled(name, 'success');
      }
    } catch (err) {
      if (isConflict(err)) {
        // Someone wrote the object since we read it. Their write's watch event brings the key back
        // with the cache caught up; retried at once, the cache would most likely still be behind,
        // and a second conflict in a row is told to the tenant (see onRetriedError).
        this.log.debug('conflict, retrying', { key });
        metrics?.reconciled(name, 'conflict');
        await this.tellRetried(key, err);
        this.queue.addRateLimited(key, { atLeastMs: CONFLICT_RETRY_MS });
        return;
      }
      const terminal = isTerminal(err)
        ? err
        : isInvalid(err)
          ? new TerminalError(errorText(err), 'SyncError', {
              fromApiServer: true,
              // The object may be fine and the policy that refused it lifted later, which no watch tells.
              ...(isAdmissionDenial(err)
                ? { retryAfterMs: ADMISSION_DENIAL_RETRY_MS, retryBacksOff: true }
                : {}),
            })
          : tooDeepError(err);
      if (terminal) {
        metrics?.reconciled(name, 'terminal');
        metrics?.reconcileError(name, terminal.reason);
        this.log.warn('reconcile failed permanently', { key, err: terminal.message });
        this.queue.forget(key);
        this.retriedFailures.delete(key);
        if (terminal.retryAfterMs !== undefined)
          this.queue.addAfter(key, this.terminalRetryMs(key, terminal));
        try {
          await this.opts.onTerminalError?.(key, terminal);
        } catch (reportErr) {
          this.log.error('could not report a terminal error', { key, err: reportErr });
        }
        return;
      }
      metrics?.reconciled(name, 'error');
      if (err instanceof WaitingError) {
        metrics?.reconcileError(name, 'waiting');
        this.log.debug('waiting, retrying', {
          key,
          reason: err.message,
          retries: this.queue.numRequeues(key),
        });
        // A time given is honoured, never sooner than MIN_WAIT_RETRY_MS: a wait cannot spin.
        if (err.retryAfterMs !== undefined && Number.isFinite(err.retryAfterMs))
          this.queue.addAfter(key, Math.max(MIN_WAIT_RETRY_MS, err.retryAfterMs));
        else this.queue.addRateLimited(key);
        return;
      }
      metrics?.reconcileError(name, isApiError(err) ? err.kind : 'exception');
      const fields = { key, err, retries: this.queue.numRequeues(key) };
      if (this.opts.unreachable && isApiError(err, 'network')) {
        this.log.debug('reconcile failed, retrying', fields);
        this.opts.unreachable.failed(err.cluster, err);
      } else if (isNotFound(err) && fields.retries === 0) {
        // An object the reconcile wrote went meanwhile (the virtual pod GC force-deleting a pod of a
        // node that went, a claim a StatefulSet scaled away): the retry reads that from the cache.
        // Only one that answers 404 again is worth a warning.
        this.log.debug('reconcile failed, retrying', fields);
      } else this.log.warn('reconcile failed, retrying', fields);
      await this.tellRetried(key, err);
      this.queue.addRateLimited(key);
    }
  }

  private async tellRetried(key: string, err: unknown): Promise<void> {
    const before = this.retriedFailures.get(key) ?? 0;
    this.retriedFailures.set(key, before + 1);
    try {
      await this.opts.onRetriedError?.(key, err, before);
    } catch (reportErr) {
      this.log.error('could not report a retried error', { key, err: reportErr });
    }
  }
}

function errorText(err: unknown): string {
  if (isApiError(err)) return err.serverMessage;
  return err instanceof Error ? err.message : String(err);
}
