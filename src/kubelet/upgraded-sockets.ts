import type { Duplex } from 'node:stream';

/**
 * Connections no HTTP server tracks any more: a caller's socket handed over on an upgrade (exec,
 * attach, port-forward) and the host's switched socket spliced to it. A server's
 * `closeAllConnections` misses them and its `close` waits for them, as long as a session lasts (up to
 * its idle timeout, hours): they are held here until they close, so that stopping can close them.
 */
export class UpgradedSockets {
  private readonly open = new Set<Duplex>();

  /** Holds `socket` until it closes. */
  track(socket: Duplex): void {
    if (socket.destroyed) return;
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
  }

  /** Destroys every socket held. */
  destroyAll(): void {
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }

  get count(): number {
    return this.open.size;
  }
}
