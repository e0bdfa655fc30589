/**
 * An error that retrying cannot fix (the object is invalid, or its host name is taken by an object
 * we do not own). The controller stops retrying and reports it on the virtual object instead.
 */
export class TerminalError extends Error {
  readonly reason: string;
  /**
   * Tried again after this long all the same: for a refusal that something the syncer cannot watch
   * may lift (an object that is not its own, holding the name a copy needs, deleted by its owner).
   */
  readonly retryAfterMs?: number;
  /**
   * retryAfterMs doubles with each refusal of the key in a row, a few times at most (a
   * host policy refusing a pod must not cost a token and a host write every minute for good).
   */
  readonly retryBacksOff: boolean;
  /**
   * The message carries an API server's own words (a refusal of the host's), which may name any
   * object of the shared host namespace, not only what the tenant wrote.
   */
  readonly fromApiServer: boolean;

  constructor(
    message: string,
    reason = 'SyncError',
    options: { retryAfterMs?: number; retryBacksOff?: boolean; fromApiServer?: boolean } = {},
  ) {
    super(message);
    this.name = 'TerminalError';
    this.reason = reason;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    this.retryBacksOff = options.retryBacksOff ?? false;
    this.fromApiServer = options.fromApiServer ?? false;
  }
}

export function isTerminal(err: unknown): err is TerminalError {
  return err instanceof TerminalError;
}

/**
 * The reconcile ran out of stack: an object nested deeper than the syncer's recursive copies and
 * JSON.stringify can walk (the API server accepts 10,000 levels in free-form fields; Node's stack ends
 * near 5,000). Retrying the same object cannot help; a change to it may.
 */
export function tooDeepError(err: unknown): TerminalError | undefined {
  if (!(err instanceof RangeError) || !/call stack/i.test(err.message)) return undefined;
  return new TerminalError(
    'the object nests too deeply for the syncer to copy (it ran out of stack walking it); flatten its free-form fields',
    'ObjectTooDeep',
  );
}

/**
 * Not a failure of the object: something it needs is not there yet (a host copy, an IP to be
 * freed). Retried with backoff like any error, but logged quietly: waiting is normal. With
 * `retryAfterMs`, retried then instead, outside the queue's rate limiter: for a wait a watch ends
 * (a relation brings the key back as soon as what it waits for appears) and whose end is known, so
 * that many keys waiting together do not spend the retry budget every other key's retries share.
 */
export class WaitingError extends Error {
  readonly retryAfterMs?: number;

  constructor(message: string, opts: { retryAfterMs?: number } = {}) {
    super(message);
    this.name = 'WaitingError';
    this.retryAfterMs = opts.retryAfterMs;
  }
}
