import { request as plainRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request, type RequestOptions } from 'node:https';
import type { Socket } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import { realClock, type Clock } from '../util/clock.ts';
import { userAgent } from '../version.ts';

/** Headers that carry a protocol upgrade (SPDY or WebSocket): passed to the host API unchanged. */
const UPGRADE_HEADERS = [
  'connection',
  'upgrade',
  'x-stream-protocol-version',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
];

/** How long a node statistics read may go without a byte from the host. */
const HOST_READ_IDLE_MS = 30_000;

/**
 * How long the host API may take to answer a request (its status line and headers, or its switch of
 * protocols), as the API server's own proxy to a kubelet waits no longer either. Past that the caller
 * is told so, instead of waiting with an open connection for as long as the host leaves it open.
 */
export const HOST_HEADERS_TIMEOUT_MS = 60_000;

/** The host API did not answer in time (see HOST_HEADERS_TIMEOUT_MS); the caller is told 504. */
export class HostHeadersTimeout extends Error {
  constructor(ms: number) {
    super(`the host API server did not answer within ${ms / 1000} s; try again later`);
    this.name = 'HostHeadersTimeout';
  }
}

/** Waits for the host client's rate limiter to let one more request through. */
export type Pace = () => Promise<void>;

/**
 * Streams to the host API server with the syncer's own host credentials: pod logs as a response
 * body, exec/attach/port-forward as an upgraded connection. Nothing is buffered; bytes are piped.
 * Each request waits its turn on `pace`, the host client's limiter: tenants' scrapes and `kubectl logs`
 * count against --host-qps like the syncer's own requests, so they cannot flood the host API.
 */
export class HostStreams {
  private readonly kubeConfig: KubeConfig;
  private readonly server: URL;
  private readonly headersTimeoutMs: number;
  private readonly pace: Pace;

  constructor(
    kubeConfig: KubeConfig,
    headersTimeoutMs = HOST_HEADERS_TIMEOUT_MS,
    pace: Pace = async () => {},
  ) {
    this.kubeConfig = kubeConfig;
    this.headersTimeoutMs = headersTimeoutMs;
    this.pace = pace;
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('host kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  /**
   * Opens a request to the host API (credentials applied); the caller writes, ends and reads it. One
   * the host has not answered within the headers timeout is destroyed with HostHeadersTimeout.
   */
  async open(
    method: string,
    path: string,
    query: URLSearchParams,
    headers: Record<string, string | string[]>,
  ): Promise<ClientRequest> {
    const options: RequestOptions = {
      protocol: this.server.protocol,
      hostname: this.server.hostname.replace(/^\[|\]$/g, ''),
      port: this.server.port || (this.server.protocol === 'https:' ? 443 : 80),
      method,
      path: `${this.server.pathname.replace(/\/+$/, '')}${path}${query.size ? `?${query}` : ''}`,
      headers: { 'user-agent': userAgent() },
    };
    await this.pace();
    await this.kubeConfig.applyToHTTPSOptions(options);
    options.headers = { ...(options.headers as Record<string, string>), ...headers };
    const req = this.server.protocol === 'https:' ? request(options) : plainRequest(options);
    this.limitWaitForAnswer(req, Object.hasOwn(headers, 'upgrade'));
    return req;
  }

  /** Destroys `req` with HostHeadersTimeout unless the host answers, or it ends, within the timeout. */
  private limitWaitForAnswer(req: ClientRequest, upgrade: boolean): void {
    const ms = this.headersTimeoutMs;
    const timer = setTimeout(() => req.destroy(new HostHeadersTimeout(ms)), ms);
    timer.unref();
    const answered = () => clearTimeout(timer);
    req.once('response', answered).once('close', answered);
    // Only a request that asks to switch protocols listens for the switch: Node hands the socket of a
    // switch to whoever listens, and nobody here would close one that was not asked for.
    if (upgrade) req.once('upgrade', answered);
  }

  /**
   * GETs a response to stream (node statistics): resolves with it once the host answered 2xx; rejects
   * on any other status with the host's message.
   */
  async get(path: string): Promise<IncomingMessage> {
    const req = await this.open('GET', path, new URLSearchParams(), {});
    // A node proxy that goes quiet must not hold the caller (and a socket) for ever.
    req.setTimeout(HOST_READ_IDLE_MS, () =>
      req.destroy(new Error(`host API: ${path}: nothing for ${HOST_READ_IDLE_MS / 1000} s`)),
    );
    return new Promise((resolve, reject) => {
      req.on('response', (res: IncomingMessage) => {
        if ((res.statusCode ?? 500) < 300) return resolve(res);
        let message = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (message.length < 200) message += chunk;
        });
        res.on('end', () =>
          reject(new Error(`host API: ${path}: ${res.statusCode} ${message.slice(0, 200)}`)),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** GETs a small response whole (a stats summary); rejects past `limitBytes` or on a non-2xx status. */
  async read(path: string, limitBytes = 16 * 1024 * 1024): Promise<string> {
    const res = await this.get(path);
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limitBytes) {
          res.destroy();
          reject(new Error(`host API: ${path}: answer larger than ${limitBytes} bytes`));
        } else chunks.push(chunk);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
  }
}

/** The upgrade headers of an incoming request, repeated values kept as separate header lines. */
export function upgradeHeadersOf(rawHeaders: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (UPGRADE_HEADERS.includes(name)) (out[name] ??= []).push(rawHeaders[i + 1]!);
  }
  return out;
}

/** The headers of the host's switching answer a client needs to speak the protocol agreed on. */
const SWITCHED_HEADERS = [
  'connection',
  'upgrade',
  'x-stream-protocol-version',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
];

/**
 * Writes the host's switching answer (status line and the headers of the protocol) on a socket that
 * left HTTP parsing. Nothing else of it goes on: the host's warnings (an admission policy's, naming the
 * host pod, namespace or node) and audit IDs are the host's.
 */
export function writeHead(socket: Socket, response: IncomingMessage): void {
  const lines = [`HTTP/1.1 ${response.statusCode} ${response.statusMessage ?? ''}`];
  for (let i = 0; i + 1 < response.rawHeaders.length; i += 2)
    if (SWITCHED_HEADERS.includes(response.rawHeaders[i]!.toLowerCase()))
      lines.push(`${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}`);
  socket.write(lines.join('\r\n') + '\r\n\r\n');
}

/**
 * How long a spliced session may pass no byte either way before both sides are closed: a kubelet's
 * own default (--streaming-connection-idle-timeout), so an idle shell lasts as long as on a node.
 */
export const STREAM_IDLE_TIMEOUT_MS = 4 * 60 * 60 * 1000;

/**
 * Joins a client's upgraded socket to the host's once the host switched protocols: whatever either
 * side sent early (the heads) goes first, then bytes flow both ways until one side closes, or neither
 * sends anything for `idleMs` (timed on `clock`, which a test replaces to drive the idle time by hand).
 */
export function splice(
  client: Socket,
  clientHead: Buffer,
  host: Socket,
  hostHead: Buffer,
  idleMs = STREAM_IDLE_TIMEOUT_MS,
  clock: Clock = realClock,
): void {
  if (hostHead.length) client.write(hostHead);
  if (clientHead.length) host.write(clientHead);
  let cancelIdle = () => {};
  const closeBoth = () => {
    cancelIdle();
    client.destroy();
    host.destroy();
  };
  client.on('error', closeBoth).on('close', closeBoth);
  host.on('error', closeBoth).on('close', closeBoth);
  host.pipe(client);
  client.pipe(host);
  // Bytes either way count: the session is idle only when neither socket reads anything. An idle timer
  // of its own rather than the socket's setTimeout, so that it runs on `clock`; a byte only notes the
  // time, and the timer, when due, waits out whatever is left of the idle time since the last one.
  let lastByteAt = clock.monotonicNow();
  const heard = () => (lastByteAt = clock.monotonicNow());
  client.on('data', heard);
  host.on('data', heard);
  const watchIdle = (ms: number) => {
    cancelIdle = clock.setTimer(() => {
      const idle = clock.monotonicNow() - lastByteAt;
      if (idle >= idleMs) closeBoth();
      else watchIdle(idleMs - idle);
    }, ms);
  };
  watchIdle(idleMs);
}
