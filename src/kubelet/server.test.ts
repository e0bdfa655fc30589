import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Informer } from '../informer/informer.ts';
import type { ClusterClient } from '../kube/client.ts';
import type { KubeObject } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import { issueCertificate } from '../pki/certificate.ts';
import { apiError, FakeCluster } from '../testing/fake-cluster.ts';
import { opensslCa } from '../testing/openssl-ca.ts';
import { tempDirs } from '../testing/temp-dirs.ts';
import { FakeClock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { HostStreams } from './host-streams.ts';
import { NodePorts } from './node-ports.ts';
import { STATS_SHARE_MS } from './node-stats-reads.ts';
import { POD_LOOKUP_BUDGET } from './pod-target.ts';
import { KubeletServer, REFUSED_UPGRADE_CLOSE_MS, type KubeletServerOptions } from './server.ts';
import { ownedPodCopyMetadata } from '../testing/owned-copies.ts';

// The kubelet API end to end inside one process: a real TLS listener called with a client
// certificate, the virtual and host API servers faked (pods, access reviews), and a plain HTTP
// server standing in for the host API's pod subresources and node proxy.

const tempDir = tempDirs();
const NODE = 'node-1';
const HOST_POD = 'web-x-team-x-vc';

/** The files the server reads, and the client certificate the virtual API server would present. */
let files: { cert: string; key: string; ca: string };
let client: { cert: string; key: string; ca: string };

beforeAll(() => {
  const ca = opensslCa('ec');
  const serving = issueCertificate(
    {
      commonName: 'kubelet',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      usages: ['serverAuth'],
      validDays: 1,
    },
    ca,
  );
  const caller = issueCertificate(
    { commonName: 'apiserver', dnsNames: [], ipAddresses: [], usages: ['clientAuth'], validDays: 1 },
    ca,
  );
  const dir = tempDir('vsyncer-kubelet-');
  files = { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), ca: join(dir, 'ca.crt') };
  writeFileSync(files.cert, serving.certPem);
  writeFileSync(files.key, serving.keyPem);
  writeFileSync(files.ca, ca.certPem);
  client = { cert: caller.certPem, key: caller.keyPem, ca: ca.certPem };
});

/** How the host answers unless a test says otherwise: a log line, and a switch for an exec. */
const HOST_ANSWERS = {
  onRequest: (_req: IncomingMessage, res: ServerResponse) => void res.end('log line\n'),
  /** The host's end of the session stays open until the syncer closes its end (or the test ends). */
  onUpgrade: (_req: IncomingMessage, socket: Socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n');
    socket.on('end', () => socket.end());
  },
};

/** The host API's pod subresources and node proxy: each test may say how it answers; paths asked are kept. */
const hostApi = {
  server: undefined as HttpServer | undefined,
  asked: [] as string[],
  sessions: [] as Socket[],
  ...HOST_ANSWERS,
};

beforeAll(async () => {
  hostApi.server = createHttpServer((req, res) => {
    hostApi.asked.push(req.url ?? '');
    hostApi.onRequest(req, res);
  });
  hostApi.server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    hostApi.asked.push(req.url ?? '');
    hostApi.sessions.push(socket);
    hostApi.onUpgrade(req, socket);
  });
  await new Promise<void>((resolve) => hostApi.server!.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const socket of hostApi.sessions) socket.destroy();
  hostApi.server!.closeAllConnections();
  await new Promise((resolve) => hostApi.server!.close(resolve));
});

function hostStreams(headersTimeoutMs?: number): HostStreams {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'host',
        server: `http://127.0.0.1:${(hostApi.server!.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'syncer' }],
    contexts: [{ name: 'host', cluster: 'host', user: 'syncer' }],
    currentContext: 'host',
  });
  return new HostStreams(kc, headersTimeoutMs);
}

const virtualPod = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'team', uid: 'v-uid' },
  spec: { nodeName: NODE, containers: [{ name: 'app', image: 'app' }] },
});

/** The host copy of team/web, with a sidecar a host webhook injected. */
const hostPod = (): KubeObject => ({
  metadata: {
    ...ownedPodCopyMetadata({
      hostName: HOST_POD,
      hostNamespace: 'host-ns',
      vcName: 'vc',
      virtual: { namespace: 'team', name: 'web', uid: 'v-uid' },
    }),
    uid: 'host-uid',
  },
  spec: {
    nodeName: NODE,
    containers: [
      { name: 'app', image: 'app' },
      { name: 'istio-proxy', image: 'proxy' },
    ],
  },
});

/**
 * The virtual API server: pods by `namespace/name` (reads counted), access reviews answered by
 * `allows` (a review of no node means every node).
 */
class VirtualApi {
  readonly pods = new Map<string, KubeObject>([['team/web', virtualPod()]]);
  podReads = 0;
  allows: (user: string, node: string | undefined) => boolean = () => true;

  get client(): ClusterClient {
    return {
      get: async (_type: unknown, namespace: string, name: string) => {
        this.podReads++;
        const pod = this.pods.get(`${namespace}/${name}`);
        if (!pod) throw apiError('notFound', `pods "${name}" not found`, 'virtual');
        return structuredClone(pod);
      },
      create: async (_type: unknown, _namespace: string, review: KubeObject) => {
        const spec = review.spec as { user: string; resourceAttributes: { name?: string } };
        return { status: { allowed: this.allows(spec.user, spec.resourceAttributes.name) } };
      },
    } as unknown as ClusterClient;
  }
}

/** An informer's cache as the server reads it: its objects, and whether it has synced. */
function cacheOf(objects: () => KubeObject[], synced: () => boolean): Informer<KubeObject> {
  const key = (o: KubeObject) => `${o.metadata?.namespace}/${o.metadata?.name}`;
  return {
    hasSynced: synced,
    store: { list: objects, get: (k: string) => objects().find((o) => key(o) === k) },
  } as unknown as Informer<KubeObject>;
}

/** What the server logged at warn and above, as one text. */
function capturingLogger(): Logger & { text(): string } {
  const lines: string[] = [];
  const keep = (msg: string, fields?: Record<string, unknown>) =>
    void lines.push(`${msg} ${JSON.stringify(fields)}`);
  const logger: Logger & { text(): string } = {
    debug: () => {},
    info: () => {},
    warn: keep,
    error: keep,
    child: () => logger,
    text: () => lines.join('\n'),
  };
  return logger;
}

async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

interface Running {
  kubelet: KubeletServer;
  /** The bind port (names no node) and the port of NODE. */
  port: number;
  nodePort: number;
  virtual: VirtualApi;
  host: FakeCluster;
  logger: ReturnType<typeof capturingLogger>;
  /** Whether the pod caches have synced (they have, unless a test says otherwise). */
  synced: { value: boolean };
}

const running: KubeletServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((k) => k.stop()));
  Object.assign(hostApi, HOST_ANSWERS, { asked: [] });
  for (const socket of hostApi.sessions.splice(0)) socket.destroy();
});

/** A kubelet server on 127.0.0.1 with NODE on a port of its own; `options` replace the defaults. */
async function startKubelet(options: Partial<KubeletServerOptions> = {}): Promise<Running> {
  const virtual = new VirtualApi();
  const host = new FakeCluster('host');
  host.seed(Resources.pods, hostPod());
  const synced = { value: true };
  const free = await freePort();
  const nodePorts = new NodePorts(free, free);
  const logger = capturingLogger();
  const kubelet = new KubeletServer({
    bindAddress: '127.0.0.1:0',
    tlsCertFile: files.cert,
    tlsKeyFile: files.key,
    clientCaFile: files.ca,
    vcName: 'vc',
    hostNamespace: 'host-ns',
    host,
    virtual: virtual.client,
    hostStreams: hostStreams(),
    logger,
    nodePorts,
    nodeStats: true,
    podCaches: {
      virtual: cacheOf(
        () => [...virtual.pods.values()],
        () => synced.value,
      ),
      host: cacheOf(
        () => host.objects(Resources.pods, 'host-ns'),
        () => synced.value,
      ),
    },
    ...options,
  });
  running.push(kubelet);
  const { port } = await kubelet.start();
  const nodePort = nodePorts.portFor(NODE);
  await nodePorts.served(nodePort);
  return { kubelet, port, nodePort, virtual, host, logger, synced };
}

/** A request with the virtual API server's client certificate: its status and body. */
async function call(port: number, path: string): Promise<{ status: number; body: string }> {
  const req = httpsRequest({ host: '127.0.0.1', port, path, ...client, agent: false });
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  let body = '';
  for await (const chunk of res as AsyncIterable<Buffer>) body += chunk.toString();
  return { status: res.statusCode ?? 0, body };
}

/** An exec as the virtual API server asks for one (SPDY): the caller's end of the session once switched. */
async function openExec(port: number): Promise<Socket> {
  const answer = await exec(port);
  if (!('socket' in answer)) throw new Error(`exec refused: ${answer.status} ${answer.body}`);
  return answer.socket;
}

/** An exec: the caller's end of the session when switched, else the status and body of the refusal. */
async function exec(
  port: number,
): Promise<{ socket: Socket; headers: IncomingMessage['headers'] } | { status: number; body: string }> {
  const req = httpsRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/exec/team/web/app?command=sh&input=1&output=1&tty=1',
    headers: { connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io' },
    ...client,
    agent: false,
  });
  req.end();
  return new Promise((resolve, reject) => {
    req.on('upgrade', (res: IncomingMessage, socket: Socket) => resolve({ socket, headers: res.headers }));
    req.on('response', (res: IncomingMessage) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

describe('a host that does not answer', () => {
  it('is answered 504 with a message that names no host, once the headers timeout passes', async () => {
    hostApi.onRequest = () => {}; // never answers
    const { port } = await startKubelet({ hostStreams: hostStreams(200) });
    expect(await call(port, '/containerLogs/team/web/app')).toEqual({
      status: 504,
      body: 'the host API server did not answer within 0.2 s; try again later\n',
    });
  });

  it('is answered 504 for an exec too, when the host neither switches nor answers', async () => {
    hostApi.onUpgrade = () => {}; // never answers
    const { port } = await startKubelet({ hostStreams: hostStreams(200) });
    expect(await exec(port)).toEqual({
      status: 504,
      body: 'the host API server did not answer within 0.2 s; try again later\n',
    });
  });
});

describe("a host refusal about the syncer's own credentials", () => {
  const forbidden = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    message:
      'pods "web-x-team-x-vc" is forbidden: User "system:serviceaccount:host-ns:vc-syncer" cannot create resource "pods/exec" in API group "" in the namespace "host-ns"',
    reason: 'Forbidden',
    code: 403,
  });

  it.each([401, 403])(
    'a host %i is logged, and the caller told only that the request failed (logs and exec)',
    async (code) => {
      hostApi.onRequest = (_req, res) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(forbidden);
      };
      hostApi.onUpgrade = (_req, socket) =>
        void socket.end(
          `HTTP/1.1 ${code} Refused\r\ncontent-type: application/json\r\ncontent-length: ${forbidden.length}\r\n\r\n${forbidden}`,
        );
      const { port, logger } = await startKubelet();
      const failed = {
        status: 502,
        body: "this request could not be served (the syncer's log has the cause)",
      };
      expect(await call(port, '/containerLogs/team/web/app')).toEqual(failed);
      expect(await exec(port)).toEqual(failed);
      expect(logger.text()).toContain(`host API answered ${code}`);
      expect(logger.text()).toContain('system:serviceaccount:host-ns:vc-syncer');
    },
  );

  it("passes a host policy's 403 on (an admission webhook's reason is the tenant's to read), host names scrubbed", async () => {
    const denied = JSON.stringify({
      kind: 'Status',
      message:
        'admission webhook "exec.policy.example" denied the request: exec into web-x-team-x-vc is not allowed in host-ns',
      reason: 'Forbidden',
      code: 403,
    });
    hostApi.onUpgrade = (_req, socket) =>
      void socket.end(
        `HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: ${denied.length}\r\n\r\n${denied}`,
      );
    const { port } = await startKubelet();
    const answer = await exec(port);
    if (!('status' in answer)) throw new Error('the exec was upgraded, not refused');
    expect(answer.status).toBe(403);
    expect((JSON.parse(answer.body) as { message: string }).message).toBe(
      'admission webhook "exec.policy.example" denied the request: exec into web is not allowed in <host namespace>',
    );
  });

  it.each([
    ['container not found ("app")', 'container not found ("app")'],
    [
      'container app not found in pod web-x-team-x-vc_host-ns',
      'container app not found in pod web_<host namespace>',
    ],
  ])(
    "passes the kubelet's 500 for a container not running (%s) on, host names scrubbed; any other 500 stays in the log",
    async (kubelets, told) => {
      const refusal = (message: string) =>
        JSON.stringify({ kind: 'Status', message, reason: 'InternalError', code: 500 });
      let message = kubelets;
      hostApi.onUpgrade = (_req, socket) => {
        const body = refusal(message);
        void socket.end(
          `HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
        );
      };
      const { port } = await startKubelet();
      const answer = await exec(port);
      if (!('status' in answer)) throw new Error('the exec was upgraded, not refused');
      expect(answer.status).toBe(500);
      expect((JSON.parse(answer.body) as { message: string }).message).toBe(told);
      message = 'error dialing backend: dial tcp 10.1.2.3:10250: connect: connection refused';
      expect(await exec(port)).toEqual({
        status: 502,
        body: "this request could not be served (the syncer's log has the cause)",
      });
    },
  );

  it("passes another 4xx on (the request's own fault), host names scrubbed", async () => {
    hostApi.onRequest = (_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          message: 'container "app" in pod "web-x-team-x-vc" is waiting to start: ContainerCreating',
          code: 400,
        }),
      );
    };
    const { port } = await startKubelet();
    expect(await call(port, '/containerLogs/team/web/app')).toEqual({
      status: 400,
      body: 'container "app" in pod "web" is waiting to start: ContainerCreating',
    });
  });
});

describe("the host's switching answer", () => {
  it('reaches the caller with the headers of the protocol only: no host warning or audit ID', async () => {
    hostApi.onUpgrade = (_req, socket) => {
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
          'X-Stream-Protocol-Version: v4.channel.k8s.io\r\n' +
          'Warning: 299 - "exec into web-x-team-x-vc in host-ns is audited"\r\nAudit-Id: 1f2e3d\r\n\r\n',
      );
      socket.on('end', () => socket.end());
    };
    const { port } = await startKubelet();
    const answer = await exec(port);
    if (!('socket' in answer)) throw new Error(`exec refused: ${answer.status} ${answer.body}`);
    expect(answer.headers).toEqual({
      connection: 'Upgrade',
      upgrade: 'SPDY/3.1',
      'x-stream-protocol-version': 'v4.channel.k8s.io',
    });
    answer.socket.destroy();
  });
});

describe('a caller without a credential', () => {
  /** A TLS connection with no client certificate that never closes its own side. */
  async function anonymous(port: number) {
    // allowHalfOpen (a net.Socket option tls.connect passes on, which its types leave out): the
    // caller's side stays open when the server ends its own, as a hostile caller keeps it.
    const options = { host: '127.0.0.1', port, rejectUnauthorized: false, allowHalfOpen: true };
    const socket = tlsConnect(options as ConnectionOptions);
    await once(socket, 'secureConnect');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', () => undefined);
    return { socket, ended: once(socket, 'end'), received: () => received };
  }

  /** The connections the kubelet's bind-address listener holds, once it holds none (or after `withinMs`). */
  async function connectionsLeft(kubelet: KubeletServer, withinMs: number): Promise<number> {
    const server = (kubelet as unknown as { server: import('node:net').Server }).server;
    const count = () =>
      new Promise<number>((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
    const deadline = Date.now() + withinMs;
    let left = await count();
    while (left > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      left = await count();
    }
    return left;
  }

  it('cannot hold a refused upgrade open: the server closes it once the answer has had time to be read', async () => {
    const { kubelet, port } = await startKubelet();
    const caller = await anonymous(port);
    caller.socket.write(
      'POST /exec/team/web/app?command=sh HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n',
    );
    await caller.ended;
    expect(caller.received()).toMatch(/^HTTP\/1\.1 401 /);
    // Before, the server ended its side only: the connection stayed for as long as the caller kept
    // its own (no HTTP timeout applies after an upgrade request), one of the listener's 2048. (A
    // wait well past the close's 2 s, so that a loaded machine's late timer does not fail it.)
    expect(await connectionsLeft(kubelet, REFUSED_UPGRADE_CLOSE_MS + 10_000)).toBe(0);
    caller.socket.destroy();
  }, 20_000);

  it('gets no keep-alive: a 401 closes the connection, so repeated requests cannot hold it', async () => {
    const { kubelet, port } = await startKubelet();
    const caller = await anonymous(port);
    caller.socket.write('GET /pods HTTP/1.1\r\nHost: x\r\n\r\nGET /pods HTTP/1.1\r\nHost: x\r\n\r\n');
    await caller.ended;
    expect(caller.received()).toMatch(/^HTTP\/1\.1 401 [^]*connection: close/i);
    // The second request on the connection is never answered, and the server holds nothing.
    expect(caller.received().match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(await connectionsLeft(kubelet, 10_000)).toBe(0);
    caller.socket.destroy();
  }, 20_000);
});

describe('a host pod replaced under its name while a request was made', () => {
  /**
   * Another virtual cluster's pod taking the name once the copy went (host names are ambiguous): the
   * host answers for the pod now of that name, which is not the one proven the copy.
   */
  function replaceHostPod(host: FakeCluster): void {
    host.seed(Resources.pods, { ...hostPod(), metadata: { ...hostPod().metadata, uid: 'another-uid' } });
  }

  it('an exec is not spliced to it: the caller is told the pod was replaced, and the host session is closed', async () => {
    const { port, host } = await startKubelet();
    hostApi.onUpgrade = (req, socket) => {
      replaceHostPod(host);
      HOST_ANSWERS.onUpgrade(req, socket);
    };
    const answer = await exec(port);
    if ('socket' in answer) throw new Error('the session was spliced to the replacing pod');
    expect(answer.status).toBe(404);
    expect(answer.body).toContain('pod team/web was replaced on the host while the request was made');
    await once(hostApi.sessions[0]!, 'close');
  });

  it('its log is not shown: the caller is told the pod was replaced', async () => {
    const { port, host } = await startKubelet();
    hostApi.onRequest = (_req, res) => {
      replaceHostPod(host);
      res.end('the other tenant’s log line\n');
    };
    const answer = await call(port, '/containerLogs/team/web/app');
    expect(answer.status).toBe(404);
    expect(answer.body).not.toContain('log line');
    expect(answer.body).toContain('was replaced on the host');
  });

  it('a host session reset while the pod is read again closes the caller with a 502; the process does not fall over', async () => {
    const { port, host } = await startKubelet();
    // The read waits on the host rate limiter in a busy syncer: here, 300 ms.
    const read = host.get.bind(host);
    (host as unknown as { get: typeof host.get }).get = (async (...args: Parameters<typeof host.get>) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return read(...args);
    }) as typeof host.get;
    hostApi.onUpgrade = (_req, socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n');
      setTimeout(() => socket.resetAndDestroy(), 50);
    };
    // Before, the reset was an error event on a socket without a listener: an uncaught exception,
    // which ends the syncer (jest fails the test on it).
    const answer = await exec(port);
    expect(answer).toEqual({ status: 502, body: 'the host closed the session before it began\n' });
  });

  it('the pod still the proven copy when the host answered: the session and the log are served', async () => {
    const { port } = await startKubelet();
    expect(await call(port, '/containerLogs/team/web/app')).toEqual({ status: 200, body: 'log line\n' });
    (await openExec(port)).destroy();
  });
});

describe('stopping', () => {
  it("closes open exec sessions, both the caller's and the host's sockets, instead of waiting for them to end", async () => {
    const { kubelet, port, nodePort } = await startKubelet();
    const sessions = [await openExec(port), await openExec(nodePort)];
    expect(hostApi.sessions).toHaveLength(2);
    const hostClosed = hostApi.sessions.map((s) => once(s, 'close'));
    const callersClosed = sessions.map((s) => once(s, 'close'));
    // The sessions never end by themselves: a stop that waited for them would wait for ever (the
    // bound is only there to fail with a message rather than at the test's timeout).
    const stopped = kubelet.stop().then(() => 'stopped');
    const late = new Promise((resolve) => setTimeout(resolve, 10_000, 'still waiting after 10 s'));
    expect(await Promise.race([stopped, late])).toBe('stopped');
    await Promise.all([...hostClosed, ...callersClosed]);
  }, 20_000);
});

describe('admission of a pod request', () => {
  it('once the pod cache is filled, a caller is authorized before a pod it lacks is read: one not allowed every node costs no read', async () => {
    const { port, virtual } = await startKubelet();
    // Allowed NODE alone, as a role naming the node would allow it.
    virtual.allows = (_user, node) => node === NODE;
    expect(await call(port, '/containerLogs/team/ghost/app')).toEqual({
      status: 403,
      body: 'apiserver may not get nodes/proxy\n',
    });
    expect(virtual.podReads).toBe(0);
    // A pod the cache has: authorized for its node, then read fresh.
    expect(await call(port, '/containerLogs/team/web/app')).toEqual({ status: 200, body: 'log line\n' });
    expect(virtual.podReads).toBe(1);
  });

  it('tells who the virtual cluster refused (the virtual API server refused: its binding is gone)', async () => {
    const refused: string[] = [];
    const { port, virtual } = await startKubelet({ onRefused: (user) => refused.push(user) });
    virtual.allows = () => false;
    expect((await call(port, '/containerLogs/team/web/app')).status).toBe(403);
    expect(refused).toEqual(['apiserver']);
  });

  it('before the pod cache is filled, tells a caller allowed only some nodes to come back, reading nothing', async () => {
    const { port, virtual, synced } = await startKubelet();
    synced.value = false;
    virtual.allows = (_user, node) => node === NODE;
    expect(await call(port, '/containerLogs/team/web/app')).toEqual({
      status: 503,
      body: "a caller allowed only some nodes is served once the syncer has read the virtual cluster's pods (it is starting); try again in a few seconds\n",
    });
    expect(virtual.podReads).toBe(0);
  });

  it('before the pod cache is filled, serves a caller allowed every node', async () => {
    const { port, virtual, synced } = await startKubelet();
    synced.value = false;
    expect(await call(port, '/containerLogs/team/web/app')).toEqual({ status: 200, body: 'log line\n' });
    expect(virtual.podReads).toBe(1);
  });

  it('refuses pod lookups past their budget at once (429) instead of queueing them; the budget comes back with time', async () => {
    const clock = new FakeClock();
    const { port, virtual } = await startKubelet({ clock });
    const answers = await Promise.all(
      Array.from({ length: POD_LOOKUP_BUDGET.burst + 5 }, (_, i) =>
        call(port, `/containerLogs/team/ghost-${i}/app`),
      ),
    );
    const refused = answers.filter((a) => a.status === 429);
    expect(refused).toHaveLength(5);
    expect(refused[0]!.body).toBe('too many pod lookups right now; try again in a few seconds\n');
    expect(answers.filter((a) => a.status === 403)).toHaveLength(POD_LOOKUP_BUDGET.burst);
    expect(virtual.podReads).toBe(POD_LOOKUP_BUDGET.burst);
    clock.advance(1000);
    expect(await call(port, '/containerLogs/team/web/app')).toEqual({ status: 200, body: 'log line\n' });
  });
});

describe('node statistics', () => {
  // The host node's figures: the tenant's pod (with a host webhook's sidecar) and another tenant's.
  const hostSummary = JSON.stringify({
    node: { nodeName: NODE },
    pods: [
      {
        podRef: { name: HOST_POD, namespace: 'host-ns', uid: 'host-uid' },
        containers: [{ name: 'app' }, { name: 'istio-proxy' }],
      },
      { podRef: { name: 'db', namespace: 'other-tenant', uid: 'db-uid' }, containers: [{ name: 'db' }] },
    ],
  });
  const hostCadvisor = [
    `container_memory_rss{container="app",namespace="host-ns",pod="${HOST_POD}"} 1`,
    `container_memory_rss{container="istio-proxy",namespace="host-ns",pod="${HOST_POD}"} 2`,
    'container_memory_rss{container="db",namespace="other-tenant",pod="db"} 3',
    '',
  ].join('\n');
  const nodeProxy = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === `/api/v1/nodes/${NODE}/proxy/stats/summary`) return void res.end(hostSummary);
    if (req.url === `/api/v1/nodes/${NODE}/proxy/metrics/cadvisor`) return void res.end(hostCadvisor);
    res.writeHead(404);
    res.end();
  };
  const tenantSummary = {
    status: 200,
    body: JSON.stringify({
      node: { nodeName: NODE },
      pods: [{ podRef: { name: 'web', namespace: 'team', uid: 'v-uid' }, containers: [{ name: 'app' }] }],
    }),
  };

  it("finds the tenant's pods in the host pod cache, and shares one host read per node and endpoint for a few seconds", async () => {
    hostApi.onRequest = nodeProxy;
    const clock = new FakeClock();
    const { nodePort, host } = await startKubelet({ clock });
    const listed: string[] = [];
    const list = host.list.bind(host);
    host.list = ((type, ...rest) => {
      listed.push(type.resource);
      return list(type, ...rest);
    }) as typeof host.list;
    const summaryPath = `/api/v1/nodes/${NODE}/proxy/stats/summary`;
    expect(await Promise.all([call(nodePort, '/stats/summary'), call(nodePort, '/stats/summary')])).toEqual([
      tenantSummary,
      tenantSummary,
    ]);
    expect(await call(nodePort, '/metrics/cadvisor')).toEqual({
      status: 200,
      body: 'container_memory_rss{container="app",namespace="team",pod="web"} 1\n',
    });
    expect(await call(nodePort, '/stats/summary')).toEqual(tenantSummary);
    expect(hostApi.asked).toEqual([summaryPath, `/api/v1/nodes/${NODE}/proxy/metrics/cadvisor`]);
    clock.advance(STATS_SHARE_MS);
    expect(await call(nodePort, '/stats/summary')).toEqual(tenantSummary);
    expect(hostApi.asked.filter((p) => p === summaryPath)).toHaveLength(2);
    expect(listed).toEqual([]);
  });

  it("shows a fake node's use as its tenant's pods' sum, a real node's copy (--sync-real-nodes) the host node's", async () => {
    const withUse = JSON.stringify({
      node: { nodeName: NODE, cpu: { usageNanoCores: 4000 } },
      pods: [
        { podRef: { name: HOST_POD, namespace: 'host-ns', uid: 'host-uid' }, cpu: { usageNanoCores: 10 } },
        { podRef: { name: 'db', namespace: 'other-tenant', uid: 'db-uid' }, cpu: { usageNanoCores: 3990 } },
      ],
    });
    hostApi.onRequest = (req, res) => void res.end(withUse);
    const nodeCpu = async (nodePort: number) =>
      (JSON.parse((await call(nodePort, '/stats/summary')).body) as { node: { cpu?: unknown } }).node.cpu;
    expect(await nodeCpu((await startKubelet()).nodePort)).toEqual({ usageNanoCores: 10 });
    expect(await nodeCpu((await startKubelet({ realNodes: true })).nodePort)).toEqual({
      usageNanoCores: 4000,
    });
  });

  it("answers 503 until both pod caches have synced (a sidecar could not be told from the tenant's containers), without asking the host", async () => {
    hostApi.onRequest = nodeProxy;
    const { nodePort, synced } = await startKubelet();
    synced.value = false;
    for (const path of ['/stats/summary', '/metrics/cadvisor'])
      expect(await call(nodePort, path)).toEqual({
        status: 503,
        body: 'node statistics are served once the syncer has read the pods of both clusters (it is starting); try again in a few seconds\n',
      });
    expect(hostApi.asked).toEqual([]);
  });
});
