import type { IncomingMessage } from 'node:http';
import type { Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { realClock, type Clock } from '../util/clock.ts';

/**
 * How long a connection may stay silent after its TLS handshake before it sends a request. Node's own
 * request timers start with a request, so a connection that never sends one would be held for ever;
 * anyone who can reach the port (every tenant pod can) could hold tens of thousands, and the
 * syncer's memory with them.
 */
export const FIRST_REQUEST_TIMEOUT_MS = 30_000;

/** How long a TLS handshake may take (Node's default is two minutes). */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * At most this many connections at once: well above what the virtual API server opens (its log and
 * exec streams are limited to a few hundred) and scrapers, and a bound on what silent ones can hold
 * meanwhile.
 */
export const MAX_CONNECTIONS = 2048;

/**
 * Closes each connection that sends no request within `timeoutMs` of its handshake. After its first
 * request a connection is Node's to time out (keep-alive) or the stream's to hold. The timers run on
 * `clock`, which a test replaces to drive them by hand.
 */
export function closeSilentConnections(
  server: Server,
  timeoutMs = FIRST_REQUEST_TIMEOUT_MS,
  clock: Clock = realClock,
): void {
  // Cancels each silent connection's timer (realClock's timers are unref'd, as these always were).
  const silent = new WeakMap<object, () => void>();
  server.on('secureConnection', (socket: TLSSocket) => {
    const cancel = clock.setTimer(() => socket.destroy(), timeoutMs);
    silent.set(socket, cancel);
    socket.once('close', cancel);
  });
  const heard = (req: IncomingMessage) => {
    const cancel = silent.get(req.socket);
    if (cancel === undefined) return;
    cancel();
    silent.delete(req.socket);
  };
  server.prependListener('request', heard);
  server.prependListener('upgrade', heard);
}
