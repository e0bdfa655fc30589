import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { listenOn } from '../util/listen.ts';
import type { Logger } from '../util/log.ts';

/*
 * Why this exists: vCluster's CLI (`vcluster connect <name>`) reads the kubeconfig Secret the syncer
 * writes (server https://localhost:8443) and port-forwards a local port to that port of the
 * control-plane pod, where vCluster's own pod serves its API server. Ours serves it elsewhere (k3s on
 * 6443), so the syncer passes a second port's bytes through to it, unchanged: TLS goes end to end, so
 * the API server's certificate and its client authentication work as they do on its own port, and
 * nothing here sees a request or a credential.
 */

/** Connections passed through at once, at most: each holds two sockets (file descriptors). */
export const MAX_PASSTHROUGH_CONNECTIONS = 1024;
/** How long a connection to the API server may take to open before the client's is closed. */
const CONNECT_TIMEOUT_MS = 10_000;
/** TCP keepalive on both sockets: a peer gone without a FIN (a node lost) frees its connection. */
const KEEPALIVE_MS = 30_000;
/** Refused connections (over the cap) are logged at most this often. */
const DROP_LOG_INTERVAL_MS = 60_000;

/** Where bytes go: a host name or IP (without brackets) and a port. */
export interface TcpAddress {
  host: string;
  port: number;
}

/**
 * The host and port of an API server URL, as a client connects to them: `https://[::1]:6443` → ::1
 * and 6443; without a port, 443 for https (80 for http). Throws on a URL a TCP passthrough cannot
 * serve: not http(s), or with a path (bytes passed through cannot add one to each request).
 */
export function apiServerAddress(server: string): TcpAddress {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new Error(`server ${JSON.stringify(server)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`server ${JSON.stringify(server)} is not an http(s) URL`);
  if (url.pathname !== '/' && url.pathname !== '')
    throw new Error(
      `server ${JSON.stringify(server)} has a path, which a TCP passthrough cannot add to requests`,
    );
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { host, port };
}

export interface ApiPassthroughOptions {
  /** IP to listen on. */
  bindAddress: string;
  /** Port to listen on (0: any free one). */
  port: number;
  /** The virtual API server (see apiServerAddress). */
  target: TcpAddress;
  logger: Logger;
  /** Default MAX_PASSTHROUGH_CONNECTIONS. */
  maxConnections?: number;
}

const ANY_ADDRESS = new Set(['0.0.0.0', '::']);
const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

/** Passes TCP connections on one port through to the virtual API server, both ways, byte for byte. */
export class ApiPassthrough {
  private readonly opts: ApiPassthroughOptions;
  /** Where connections go, as `host:port` (IPv6 in brackets). */
  readonly target: string;
  private server: Server | undefined;
  /** Both sockets of every connection, each until it closes, for stop() to close. */
  private readonly sockets = new Set<Socket>();
  private lastDropLogged = -Infinity;

  /** Throws when the listener would be its own target (each connection would open another). */
  constructor(opts: ApiPassthroughOptions) {
    const { bindAddress, port, target } = opts;
    const self =
      port === target.port &&
      (target.host === bindAddress || (ANY_ADDRESS.has(bindAddress) && isLoopback(target.host)));
    this.target = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    if (self)
      throw new Error(
        `${this.target} is where the passthrough itself would listen (port ${port} on ${bindAddress}): it would connect to itself; choose another port`,
      );
    this.opts = opts;
  }

  /** Listens; resolves with the bound address. A port that cannot be taken rejects, naming the flag. */
  async start(): Promise<AddressInfo> {
    const { bindAddress, port, logger } = this.opts;
    // allowHalfOpen: a client that has sent all it will (a FIN) still reads the answer, and the other
    // way round; each FIN is passed on as the pipe ends the other socket.
    const server = createServer({ allowHalfOpen: true }, (client) => this.accept(client));
    // Over the cap Node closes a new connection at once (and says so with 'drop').
    server.maxConnections = this.opts.maxConnections ?? MAX_PASSTHROUGH_CONNECTIONS;
    server.on('drop', () => {
      const now = performance.now();
      if (now - this.lastDropLogged < DROP_LOG_INTERVAL_MS) return;
      this.lastDropLogged = now;
      logger.warn('API passthrough: too many connections open; closing new ones', {
        max: server.maxConnections,
      });
    });
    await listenOn(
      server,
      port,
      bindAddress,
      (err) =>
        new Error(
          `cannot listen on --api-proxy-port ${port} (--api-proxy-bind-address ${bindAddress}): ${err.code ?? err.message}`,
        ),
      logger,
      'API passthrough',
    );
    this.server = server;
    return server.address() as AddressInfo;
  }

  /** Stops listening and closes every connection passed through. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  /** Sockets open now, both sides of each connection. */
  get openSockets(): number {
    return this.sockets.size;
  }

  private accept(client: Socket): void {
    const { target, logger } = this.opts;
    const upstream = createConnection({ host: target.host, port: target.port, allowHalfOpen: true });
    let connected = false;
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.setNoDelay(true);
      socket.setKeepAlive(true, KEEPALIVE_MS);
    }
    upstream.setTimeout(CONNECT_TIMEOUT_MS, () => {
      logger.warn('API passthrough: the virtual API server did not answer; closing the connection', {
        target: this.target,
      });
      closeBoth();
    });
    upstream.once('connect', () => {
      connected = true;
      upstream.setTimeout(0);
    });
    // Every error closes both: with no listener, an 'error' event would end the process.
    client.on('error', (err: NodeJS.ErrnoException) => {
      logger.debug('API passthrough: client connection failed', { error: err.code ?? err.message });
      closeBoth();
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      const error = err.code ?? err.message;
      if (connected) logger.debug('API passthrough: API server connection failed', { error });
      else
        logger.warn('API passthrough: cannot connect to the virtual API server', {
          target: this.target,
          error,
        });
      closeBoth();
    });
    // A socket closed before both ways ended (destroyed, reset) takes the other with it; after both
    // ended, the other has been ended too and closes once it has written what it holds.
    const closeAfter = (from: Socket, to: Socket) =>
      from.once('close', () => {
        if (!(to.readableEnded && to.writableEnded)) to.destroy();
      });
    closeAfter(client, upstream);
    closeAfter(upstream, client);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
