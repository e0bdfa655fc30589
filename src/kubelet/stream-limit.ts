import { RouteError } from './routes.ts';

/**
 * Log follows and exec, attach and port-forward sessions open at once, at most: each holds a
 * connection to the host API server under the syncer's identity, which a tenant opening thousands
 * must not exhaust (nor the syncer's sockets).
 */
export const MAX_OPEN_STREAMS = 256;

/**
 * Of those, at most this many for the pods of one namespace: every call comes as the virtual API
 * server, so users cannot be told apart, and one allowed `pods/log` in a single namespace must not
 * hold every other namespace's logs and shells off.
 */
export const MAX_OPEN_STREAMS_PER_NAMESPACE = 64;

/** Counts the host streams open now, each until its caller's side closes. */
export class StreamLimit {
  private open = 0;
  private readonly openByNamespace = new Map<string, number>();
  private readonly max: number;
  private readonly maxPerNamespace: number;
  constructor(max = MAX_OPEN_STREAMS, maxPerNamespace = MAX_OPEN_STREAMS_PER_NAMESPACE) {
    this.max = max;
    this.maxPerNamespace = maxPerNamespace;
  }

  /**
   * Counts one more stream to a pod of `namespace` until `caller` closes; refuses it (429) when `max`
   * are open already, or the namespace's share. A caller gone already (it left while it was admitted)
   * has closed for good and is not counted: false, and no stream is to be opened for it.
   */
  hold(
    caller: { destroyed: boolean; once(event: 'close', listener: () => void): unknown },
    namespace: string,
  ): boolean {
    if (caller.destroyed) return false;
    if (this.open >= this.max)
      throw new RouteError(
        429,
        `too many log follows and exec, attach or port-forward sessions open (${this.max}): close some and try again`,
      );
    const inNamespace = this.openByNamespace.get(namespace) ?? 0;
    if (inNamespace >= this.maxPerNamespace)
      throw new RouteError(
        429,
        `too many log follows and exec, attach or port-forward sessions open to pods of namespace ${namespace} (${this.maxPerNamespace}): close some and try again`,
      );
    this.open++;
    this.openByNamespace.set(namespace, inNamespace + 1);
    caller.once('close', () => {
      this.open--;
      const left = (this.openByNamespace.get(namespace) ?? 1) - 1;
      if (left > 0) this.openByNamespace.set(namespace, left);
      else this.openByNamespace.delete(namespace);
    });
    return true;
  }

  get count(): number {
    return this.open;
  }
}
