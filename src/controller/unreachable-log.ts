import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';

/** How often an API server that cannot be reached is said, at most. */
const REPORT_EVERY_MS = 30_000;

/**
 * One warning per API server that cannot be reached (a refused connection, a reset, a timeout of
 * the connection), shared by every kind's controller, instead of a warning per object and retry:
 * an outage of the host with a few hundred objects pending wrote thousands of lines a minute, and
 * the one thing to say, that the host cannot be reached, was lost among them. Each failure still
 * goes to the debug log with its object.
 */
export class UnreachableApiLog {
  /** Per cluster: failures since the last warning, and when that was (monotonic ms). */
  private readonly clusters = new Map<string, { failures: number; saidAt?: number }>();
  private readonly logger: Logger;
  private readonly clock: Clock;

  constructor(logger: Logger, clock: Clock) {
    this.logger = logger;
    this.clock = clock;
  }

  /** A reconcile failed because `cluster`'s API server could not be reached. */
  failed(cluster: string, err: unknown): void {
    const now = this.clock.monotonicNow();
    const state = this.clusters.get(cluster) ?? { failures: 0 };
    state.failures++;
    this.clusters.set(cluster, state);
    if (state.saidAt !== undefined && now - state.saidAt < REPORT_EVERY_MS) return;
    this.logger.warn(`the ${cluster} cluster's API server cannot be reached; retrying with backoff`, {
      failedReconciles: state.failures,
      err: err instanceof Error ? err.message : String(err),
    });
    state.failures = 0;
    state.saidAt = now;
  }
}
