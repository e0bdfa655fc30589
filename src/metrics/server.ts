import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { listenOn } from '../util/listen.ts';
import { silentLogger, type Logger } from '../util/log.ts';

export interface HealthServerOptions {
  /** `host:port` or `:port`. */
  bindAddress: string;
  registry: Registry;
  /** Names of what is not ready yet; empty means ready. */
  notReady(): string[];
  /** Problems that mean the process should be restarted; empty means healthy. */
  unhealthy?(): string[];
  /** Where an error of the listening server goes (none: not logged). */
  logger?: Logger;
}

/** Serves /metrics, /healthz and /readyz on one port. Resolves once listening, with the bound address. */
export async function startHealthServer(
  opts: HealthServerOptions,
): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    if (path === '/metrics') {
      opts.registry.metrics().then(
        (text) => send(200, text, opts.registry.contentType),
        (err: Error) => send(500, `metrics failed: ${err.message}\n`),
      );
      return;
    }
    if (path === '/healthz' || path === '/livez') {
      const problems = opts.unhealthy?.() ?? [];
      return problems.length ? send(500, `unhealthy: ${problems.join(', ')}\n`) : send(200, 'ok\n');
    }
    if (path === '/readyz') {
      const waiting = opts.notReady();
      return waiting.length ? send(503, `not ready: ${waiting.join(', ')}\n`) : send(200, 'ok\n');
    }
    send(404, 'not found\n');
  });
  const { host, port } = splitBindAddress(opts.bindAddress);
  await listenOn(
    server,
    port,
    host,
    (err) =>
      new Error(`cannot listen on --metrics-bind-address ${opts.bindAddress}: ${err.code ?? err.message}`),
    opts.logger ?? silentLogger,
    'metrics endpoint',
  );
  return { server, address: server.address() as AddressInfo };
}

/** `:8080` → all interfaces; `127.0.0.1:0` → loopback, any free port. */
export function splitBindAddress(address: string): { host: string | undefined; port: number } {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`bad bind address '${address}'`);
  return { host: host || undefined, port };
}
