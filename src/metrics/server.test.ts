import type { Server } from 'node:http';
import { request } from 'node:http';
import { Counter, Registry } from 'prom-client';
import { splitBindAddress, startHealthServer } from './server.ts';

interface Reply {
  status: number;
  type: string | undefined;
  body: string;
}

function get(port: number, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('health server', () => {
  let server: Server | undefined;
  let port = 0;
  let notReady: string[] = [];
  let unhealthy: string[] = [];
  const registry = new Registry();
  const counter = new Counter({
    name: 'vsyncer_test_things_total',
    help: 'Things counted by the test',
    registers: [registry],
  });

  beforeAll(async () => {
    const started = await startHealthServer({
      bindAddress: '127.0.0.1:0',
      registry,
      notReady: () => notReady,
      unhealthy: () => unhealthy,
    });
    server = started.server;
    port = started.address.port;
    expect(started.address.address).toBe('127.0.0.1');
    expect(port).toBeGreaterThan(0);
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  it('serves the registry on /metrics in the Prometheus text format', async () => {
    counter.inc(3);
    const r = await get(port, '/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toBe(registry.contentType);
    expect(r.body).toContain('# HELP vsyncer_test_things_total Things counted by the test');
    expect(r.body).toContain('vsyncer_test_things_total 3');
  });

  it('answers /readyz 503 naming what is not ready, then 200 once all is', async () => {
    notReady = ['informer host/pods not synced', 'informer virtual/pods not synced'];
    const waiting = await get(port, '/readyz');
    expect(waiting.status).toBe(503);
    expect(waiting.body).toBe('not ready: informer host/pods not synced, informer virtual/pods not synced\n');
    notReady = [];
    const ready = await get(port, '/readyz?verbose=1');
    expect(ready.status).toBe(200);
    expect(ready.body).toBe('ok\n');
  });

  it('answers /healthz and /livez 200, or 500 naming the problem', async () => {
    expect((await get(port, '/healthz')).status).toBe(200);
    expect((await get(port, '/livez')).body).toBe('ok\n');
    notReady = ['not synced']; // readiness has no bearing on liveness
    expect((await get(port, '/healthz')).status).toBe(200);
    notReady = [];
    unhealthy = ['workers stuck'];
    const sick = await get(port, '/healthz');
    expect(sick.status).toBe(500);
    expect(sick.body).toContain('workers stuck');
    unhealthy = [];
  });

  it('answers 404 for an unknown path and 405 for a write', async () => {
    expect((await get(port, '/nope')).status).toBe(404);
    expect((await get(port, '/')).status).toBe(404);
    expect((await get(port, '/metrics', 'POST')).status).toBe(405);
    expect((await get(port, '/readyz', 'HEAD')).status).toBe(200);
  });

  it('works without an unhealthy callback', async () => {
    const other = await startHealthServer({ bindAddress: '127.0.0.1:0', registry, notReady: () => [] });
    try {
      expect((await get(other.address.port, '/healthz')).status).toBe(200);
    } finally {
      await new Promise<void>((resolve) => other.server.close(() => resolve()));
    }
  });

  it('rejects naming the bind address when the port is taken', async () => {
    await expect(
      startHealthServer({ bindAddress: `127.0.0.1:${port}`, registry, notReady: () => [] }),
    ).rejects.toThrow(`cannot listen on --metrics-bind-address 127.0.0.1:${port}: EADDRINUSE`);
  });
});

describe('splitBindAddress', () => {
  it.each([
    [':8080', undefined, 8080],
    ['127.0.0.1:0', '127.0.0.1', 0],
    ['[::1]:9090', '::1', 9090],
    ['metrics.local:80', 'metrics.local', 80],
  ])('%s', (address, host, port) => expect(splitBindAddress(address)).toEqual({ host, port }));

  it.each(['8080', ':http', ':70000', ':-1'])('rejects %j', (address) =>
    expect(() => splitBindAddress(address)).toThrow(`bad bind address '${address}'`),
  );
});
