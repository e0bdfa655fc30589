/**
 * An error that retrying cannot fix (the object is invalid, or its host name is taken by an object
 * we do not own). The controller stops retrying and reports it on the virtual object instead.
 */
export class TerminalError extends Error {
  readonly reason: string;

  constructor(message: string, reason = 'SyncError') {
    super(message);
    this.name = 'TerminalError';
    this.reason = reason;
  }
}

export function isTerminal(err: unknown): err is TerminalError {
  return err instanceof TerminalError;
}

/**
 * Not a failure of the object: something it needs is not there yet (a host copy, an IP to be
 * freed). Retried with backoff like any error, but logged quietly: waiting is normal.
 */
export class WaitingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WaitingError';
  }
}
