import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { Agent } from 'undici';
import { FakeClock } from '../util/clock.ts';
import { ApiError } from './errors.ts';
import { getIfExists } from './get-if-exists.ts';
import { Resources } from './resources.ts';
import { RestClient, type RestClientOptions } from './rest-client.ts';
import { Informer } from '../informer/informer.ts';
import type { KubeObject } from './object.ts';
import type { Logger } from '../util/log.ts';

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
function clientOf(options: Pick<RestClientOptions, 'qps' | 'burst' | 'writeGuard' | 'clock'>): RestClient {
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

  it('a 200 with an empty body, or an object without a name (a proxy): no object, not one without a UID', async () => {
    for (const body of ['', '{}', '{"kind":"ConfigMap","metadata":{}}']) {
      handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      const err = await failure(client.get(Resources.configMaps, 'ns', 'a'));
      expect(err.message).toBe(
        'host API: get /api/v1/namespaces/ns/configmaps/a: the answer is not an object (no metadata.name)',
      );
    }
  });

  it('a 404 naming nothing is no proof of absence for getIfExists; one naming the object is', async () => {
    const notFound = (details?: object) =>
      JSON.stringify({ kind: 'Status', reason: 'NotFound', code: 404, message: 'not found', details });
    handler = (_req, res) => res.writeHead(404).end(notFound());
    expect((await failure(getIfExists(client, Resources.pods, 'ns', 'web'))).kind).toBe('notFound');
    handler = (_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<html>no route</html>');
    expect((await failure(getIfExists(client, Resources.pods, 'ns', 'web'))).kind).toBe('notFound');
    // Where absence only leads to a create, a caller may take it as absence.
    expect(
      await getIfExists(client, Resources.pods, 'ns', 'web', { unnamedNotFoundIsAbsent: true }),
    ).toBeUndefined();
    handler = (_req, res) => res.writeHead(404).end(notFound({ name: 'web', kind: 'pods' }));
    expect(await getIfExists(client, Resources.pods, 'ns', 'web')).toBeUndefined();
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
      // The server's answer, not a connection to retry as it was (see Informer's failed watches).
      expect(err.kind).toBe('unavailable');
      expect(err.message).not.toContain('watch stream broke');
    }
  });
});

describe('RestClient: an object without a name', () => {
  it('is refused before anything is sent: its path would be the collection', async () => {
    const seen: string[] = [];
    handler = (req, res) => (seen.push(`${req.method} ${req.url}`), res.end('{}'));
    await expect(client.delete(Resources.secrets, 'ns', '')).rejects.toThrow(
      'secrets: an object without a name cannot be addressed',
    );
    await expect(client.update(Resources.secrets, 'ns', { metadata: {} })).rejects.toThrow(
      'secrets: an object without a name cannot be addressed',
    );
    expect(seen).toEqual([]);
  });
});

describe('RestClient: watch streams', () => {
  it('a quiet watch is not cut by the HTTP client body timeout: silence is the informer watchdog to judge', async () => {
    // undici's default is 300 s between two chunks; a connection pool with 200 ms (undici's timers tick
    // each second) stands in for the one client-node builds, set where the client keeps it before its
    // first request.
    const quick = clientOf({ qps: 1000, burst: 1000 });
    const pool = new Agent({ bodyTimeout: 200 });
    Object.assign(quick, { dispatcher: pool, dispatcherReady: true });
    try {
      handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        setTimeout(
          () => res.end(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'late' } } })}\n`),
          2_500,
        );
      };
      const events: string[] = [];
      await quick.watch(
        Resources.configMaps,
        'ns',
        WATCH,
        (e) => events.push(e.object.metadata?.name ?? ''),
        new AbortController().signal,
      );
      expect(events).toEqual(['late']);
      // Any other request keeps the client's timeouts.
      handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        setTimeout(() => res.end('{"metadata":{"name":"a"}}'), 2_500);
      };
      expect((await failure(quick.get(Resources.configMaps, 'ns', 'a'))).message).toMatch(/Body Timeout/i);
    } finally {
      await pool.close();
    }
  });

  it('delivers every event in order however the stream is cut into chunks', async () => {
    const events = Array.from({ length: 7 }, (_, i) =>
      JSON.stringify({
        type: 'ADDED',
        object: { metadata: { name: `cm-${i}`, labels: { a: 'é'.repeat(i) } } },
      }),
    );
    const stream = Buffer.from(events.join('\n') + '\n\n');
    // Cuts inside an event, inside a two-byte character, right after a newline, and several events at once.
    const cuts = [5, stream.indexOf('\n') + 1, stream.indexOf('é') + 1, stream.length - 40, stream.length];
    expect([...cuts].sort((a, b) => a - b)).toEqual(cuts);
    handler = (_req, res) => {
      res.writeHead(200);
      let from = 0;
      const next = () => {
        const to = cuts.shift();
        if (to === undefined) return res.end();
        res.write(stream.subarray(from, to));
        from = to;
        setTimeout(next, 5);
      };
      next();
    };
    const names: string[] = [];
    await client.watch(
      Resources.configMaps,
      'ns',
      WATCH,
      (e) => names.push(`${e.object.metadata?.name} ${e.object.metadata?.labels?.a}`),
      new AbortController().signal,
    );
    expect(names).toEqual(events.map((_, i) => `cm-${i} ${'é'.repeat(i)}`));
  });
});

describe('RestClient: integers beyond 2^53', () => {
  const CUSTOM = { group: 'e.example', version: 'v1', resource: 'things', kind: 'Thing', namespaced: true };
  const body = '{"metadata":{"name":"t"},"spec":{"bytes":18446744073709551615}}';

  it('a free-form type reads and writes them exactly, from an answer and from a watch line', async () => {
    let written = '';
    handler = (req, res) => {
      if (req.url?.includes('watch=true')) return res.end(`{"type":"ADDED","object":${body}}\n`);
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        written = text;
        res.end(body);
      });
    };
    const type = { ...CUSTOM, freeFormContent: true };
    const got = await client.get(type, 'ns', 't');
    await client.update(type, 'ns', got);
    expect(written).toBe(body);
    const seen: string[] = [];
    await client.watch(
      type,
      'ns',
      WATCH,
      (e) => seen.push(JSON.stringify(e.object)),
      new AbortController().signal,
    );
    expect(seen).toEqual([body]);
  });

  it('any other type reads them as JSON.parse does (its translators compare numbers as numbers)', async () => {
    handler = (_req, res) => res.end(body);
    const got = await client.get(CUSTOM, 'ns', 't');
    expect((got as unknown as { spec: { bytes: unknown } }).spec.bytes).toBe(2 ** 64);
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

  it('reuses credentials for 10 s, and asks client-node again at once after a 401', async () => {
    const seen: string[] = [];
    let status = 200;
    handler = (req, res) => {
      seen.push(req.headers.authorization ?? '');
      res.writeHead(status).end('{}');
    };
    const clock = new FakeClock();
    const rotating = clientOf({ qps: 1000, burst: 1000, clock });
    const user = (rotating as unknown as { kubeConfig: KubeConfig }).kubeConfig.getCurrentUser()!;
    const rotate = (token: string) => ((user as { token?: string }).token = token);
    const get = () => rotating.get(Resources.configMaps, 'ns', 'a').catch(() => undefined);

    await get();
    rotate('t2');
    clock.advance(9_000);
    await get(); // still the cached 't'
    status = 401;
    await get(); // refused: the cache is dropped
    status = 200;
    await get(); // 't2' at once
    rotate('t3');
    clock.advance(10_000);
    await get(); // 't3' after the TTL
    expect(seen).toEqual(['Bearer t', 'Bearer t', 'Bearer t', 'Bearer t2', 'Bearer t3']);
  });
});

describe('RestClient + Informer against a Status body with malformed causes', () => {
  it('a 500 whose Status details.causes is not a list: the informer keeps retrying, its loop does not die', async () => {
    let lists = 0;
    let fourthList!: () => void;
    const listedFourTimes = new Promise<void>((resolve) => (fourthList = resolve));
    handler = (_req, res) => {
      if (++lists === 4) fourthList();
      res
        .writeHead(500, { 'content-type': 'application/json' })
        .end(JSON.stringify({ kind: 'Status', code: 500, message: 'etcd hiccup', details: { causes: 'x' } }));
    };
    // Errors the informer logs: judging the Status must not throw, which its outer loop would catch
    // and log as 'list/watch loop failed' (and still list again), so listing again alone proves little.
    const errors: string[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (msg) => errors.push(msg),
      child: () => logger,
    };
    const informer = new Informer<KubeObject>({
      client: clientOf({ qps: 1000, burst: 1000 }),
      type: Resources.configMaps,
      namespace: 'ns',
      backoff: { initialMs: 10, maxMs: 20 },
      logger,
    });
    informer.start();
    const running = (informer as unknown as { running: Promise<void> }).running;
    // Waits for the fourth list, not for a time: a loop that died (or ended) settles `running` first.
    const ended = await Promise.race([
      listedFourTimes.then(() => undefined),
      running.then(
        () => 'the loop ended',
        (e: unknown) => e,
      ),
    ]);
    expect(ended).toBeUndefined();
    expect(lists).toBeGreaterThanOrEqual(4);
    expect(errors).toEqual([]);
    await informer.stop().catch(() => {});
  });
});
