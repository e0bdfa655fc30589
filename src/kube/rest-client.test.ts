import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiError } from './errors.ts';
import { Resources } from './resources.ts';
import { RestClient, type RestClientOptions } from './rest-client.ts';

// A stand-in HTTP server that answers the way broken proxies and servers do; the Kubernetes
// behaviour itself is covered by the integration tests against real API servers.
type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_req, res) => res.end();
let server: Server;
let client: RestClient;

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = clientOf({ qps: 1000, burst: 1000 });
});

/** A client of the stand-in server; `options` sets its rate limit and write guard. */
function clientOf(options: Pick<RestClientOptions, 'qps' | 'burst' | 'writeGuard'>): RestClient {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return new RestClient({ name: 'host', kubeConfig, requestTimeoutMs: 2000, ...options });
}

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ApiError)) throw err;
  return err as ApiError;
}

const WATCH = { resourceVersion: '1', timeoutSeconds: 5, allowWatchBookmarks: true };

describe('RestClient: malformed answers become ApiErrors that say what came back', () => {
  it('a 200 that is not JSON (a proxy page)', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
    const err = await failure(client.get(Resources.configMaps, 'ns', 'a'));
    expect(err.message).toBe(
      'host API: get /api/v1/namespaces/ns/configmaps/a: answer is not JSON: <html>login</html>',
    );
    expect(err.kind).toBe('network');
  });

  it('an error status without a Status body', async () => {
    handler = (_req, res) => res.writeHead(502).end('Bad Gateway');
    const err = await failure(client.list(Resources.configMaps, 'ns'));
    expect(err.statusCode).toBe(502);
    expect(err.message).toContain('HTTP 502 Bad Gateway');
  });

  it('an error with a Status body keeps its reason and message', async () => {
    handler = (_req, res) =>
      res.writeHead(409).end(
        JSON.stringify({
          kind: 'Status',
          reason: 'Conflict',
          message: 'the object has been modified',
          code: 409,
        }),
      );
    const err = await failure(client.update(Resources.configMaps, 'ns', { metadata: { name: 'a' } }));
    expect(err.kind).toBe('conflict');
    expect(err.serverMessage).toBe('the object has been modified');
  });

  it('an answer cut off half-way', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"kind":"ConfigMap"');
      res.destroy();
    };
    const err = await failure(client.get(Resources.configMaps, 'ns', 'a'));
    expect(err.kind).toBe('network');
    expect(err.message).toContain('get /api/v1/namespaces/ns/configmaps/a');
  });

  it('a watch line that is not JSON, and one without a type', async () => {
    for (const [line, expected] of [
      ['not json', 'watch sent a line that is not JSON: not json'],
      ['{"object":{}}', 'watch sent an event without type or object'],
    ]) {
      handler = (_req, res) => res.writeHead(200).end(`${line}\n`);
      const err = await failure(
        client.watch(Resources.configMaps, 'ns', WATCH, () => {}, new AbortController().signal),
      );
      expect(err.message).toContain(expected);
    }
  });
});

describe('RestClient: leadership is checked when the request leaves, not when it was queued', () => {
  it('refuses a write whose leadership ended while it waited for a rate-limit token', async () => {
    let requests = 0;
    handler = (_req, res) => {
      requests++;
      res.writeHead(200).end('{}');
    };
    let leading = true;
    const slow = clientOf({
      qps: 10,
      burst: 1,
      writeGuard: () => {
        if (!leading) throw new Error('not the leader');
      },
    });
    await slow.update(Resources.configMaps, 'ns', { metadata: { name: 'a' } });
    const queued = slow.update(Resources.configMaps, 'ns', { metadata: { name: 'b' } }); // waits ~100ms
    leading = false;
    await expect(queued).rejects.toThrow('not the leader');
    expect(requests).toBe(1);
  });
});
