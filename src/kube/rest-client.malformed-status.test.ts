import { jest } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { Informer } from '../informer/informer.ts';
import type { KubeObject } from './object.ts';
import { Resources } from './resources.ts';
import { RestClient } from './rest-client.ts';

jest.setTimeout(10_000);

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_req, res) => res.end();
let server: Server;

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function client(): RestClient {
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
  return new RestClient({ name: 'host', kubeConfig, requestTimeoutMs: 2000, qps: 1000, burst: 1000 });
}

describe('RestClient + Informer against a Status body with malformed causes', () => {
  it('a 500 whose Status details.causes is not a list: the informer keeps retrying, its loop does not die', async () => {
    let lists = 0;
    handler = (_req, res) => {
      lists++;
      res
        .writeHead(500, { 'content-type': 'application/json' })
        .end(JSON.stringify({ kind: 'Status', code: 500, message: 'etcd hiccup', details: { causes: 'x' } }));
    };
    const informer = new Informer<KubeObject>({
      client: client(),
      type: Resources.configMaps,
      namespace: 'ns',
      backoff: { initialMs: 10, maxMs: 20 },
    });
    informer.start();
    let died: unknown;
    (informer as unknown as { running: Promise<void> }).running.catch((e) => (died = e));
    await new Promise((r) => setTimeout(r, 300));
    // A loop that lives lists again after its 10-20 ms backoff: many lists in 300 ms.
    expect(died).toBeUndefined();
    expect(lists).toBeGreaterThan(3);
    await informer.stop().catch(() => {});
  });
});
