import { RouteError } from './routes.ts';

/**
 * Log follows and exec, attach and port-forward sessions open at once, at most: each holds a
 * connection to the host API server under the syncer's identity, which a tenant opening thousands
 * must not exhaust (nor the syncer's sockets).
 */
export const MAX_OPEN_STREAMS = 256;

/** Counts the host streams open now, each until its caller's side closes. */
export class StreamLimit {
  private open = 0;
  private readonly max: number;
  constructor(max = MAX_OPEN_STREAMS) {
    this.max = max;
  }

  /**
   * Counts one more stream until `caller` closes; refuses it (429) when `max` are open already. A
   * caller gone already (it left while it was admitted) has closed for good and is not counted:
   * false, and no stream is to be opened for it.
   */
  hold(caller: { destroyed: boolean; once(event: 'close', listener: () => void): unknown }): boolean {
    if (caller.destroyed) return false;
    if (this.open >= this.max)
      throw new RouteError(
        429,
        `too many log follows and exec, attach or port-forward sessions open (${this.max}): close some and try again`,
      );
    this.open++;
    caller.once('close', () => this.open--);
    return true;
  }

  get count(): number {
    return this.open;
  }
}
