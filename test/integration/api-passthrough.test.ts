import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { parse as parseYaml } from 'yaml';
import { freePort } from '../../hack/cluster/ports.ts';
import { ApiPassthrough, apiServerAddress } from '../../src/kube/api-passthrough.ts';
import { silentLogger } from '../../src/util/log.ts';
import { runCommand, testClusters, waitFor } from '../harness/clusters.ts';
import { mustKubectl } from '../harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../harness/syncer.ts';

/*
 * The passthrough between a client holding the virtual cluster's credentials and the real virtual
 * kube-apiserver: TLS and client-certificate authentication end to end, as `vcluster connect` uses it.
 */

interface Credentials {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** The CA and admin client certificate of the virtual cluster's kubeconfig (embedded data). */
function virtualCredentials(): Credentials {
  const kc = parseYaml(readFileSync(testClusters().virtual.kubeconfig, 'utf8')) as {
    clusters: { cluster: Record<string, string> }[];
    users: { user: Record<string, string> }[];
  };
  const b64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64');
  return {
    ca: b64(kc.clusters[0]!.cluster['certificate-authority-data']),
    cert: b64(kc.users[0]!.user['client-certificate-data']),
    key: b64(kc.users[0]!.user['client-key-data']),
  };
}

/** kubectl with the virtual cluster's kubeconfig, to `server` instead of its own. */
function kubectlVia(server: string, args: string[]) {
  const info = testClusters();
  return runCommand(
    info.kubectl,
    ['--kubeconfig', info.virtual.kubeconfig, '--server', server, '--request-timeout=20s', ...args],
    undefined,
    30_000,
  );
}

interface OpenWatch {
  status: number;
  /** The watch's body so far. */
  body(): string;
  /** Resolves when the connection ends, however it ends. */
  ended: Promise<void>;
  /** True once ended. */
  isEnded(): boolean;
}

/** A watch through 127.0.0.1:port with the given credentials; resolves once its headers arrived. */
function openWatch(port: number, path: string, creds: Credentials): Promise<OpenWatch> {
  return new Promise((resolve, reject) => {
    let done = false;
    let finish!: () => void;
    const ended = new Promise<void>((r) => (finish = () => ((done = true), r())));
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', agent: false, ...creds }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('error', finish);
      res.on('close', finish);
      resolve({ status: res.statusCode ?? 0, body: () => body, ended, isEnded: () => done });
    });
    req.on('error', (err) => {
      finish();
      reject(err);
    });
    req.end();
  });
}

/** A plain request through 127.0.0.1:port; resolves with its status and body, rejects as the connection fails. */
function get(port: number, path: string, creds: Credentials): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 20_000, ...creds }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

const creds = virtualCredentials();
const ns = uniqueName('passthrough');

beforeAll(async () => {
  await mustKubectl('virtual', ['create', 'namespace', ns]);
});

afterAll(async () => {
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
});

describe('the API passthrough, in process, to the virtual kube-apiserver', () => {
  let passthrough: ApiPassthrough;
  let server: string;
  let port: number;

  beforeEach(async () => {
    passthrough = new ApiPassthrough({
      bindAddress: '127.0.0.1',
      port: 0,
      target: apiServerAddress(testClusters().virtual.server),
      logger: silentLogger,
    });
    port = (await passthrough.start()).port;
    server = `https://127.0.0.1:${port}`;
  });

  afterEach(() => passthrough.stop());

  it("lists namespaces with the virtual cluster's credentials: its certificate and client auth, end to end", async () => {
    const res = await kubectlVia(server, ['get', 'namespaces', '-o', 'name']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout.split('\n')).toEqual(expect.arrayContaining(['namespace/default', `namespace/${ns}`]));
    // Without a client certificate the API server itself says who the caller is: anonymous.
    const anonymous = await get(port, '/api/v1/namespaces', { ca: creds.ca });
    expect(anonymous.status).toBe(403);
    expect(anonymous.body).toContain('system:anonymous');
  });

  it('keeps a watch open that receives an event, and ends it when it is closed', async () => {
    const watch = await openWatch(port, `/api/v1/namespaces/${ns}/configmaps?watch=1`, creds);
    expect(watch.status).toBe(200);
    await mustKubectl('virtual', ['create', 'configmap', 'seen-through', '-n', ns, '--from-literal=k=v']);
    await waitFor(
      'the ADDED event through the passthrough',
      async () => /"type":"ADDED".*"name":"seen-through"/.test(watch.body()),
      20_000,
    );
    expect(watch.isEnded()).toBe(false);
    await passthrough.stop();
    await waitFor('the watch to end', async () => watch.isEnded(), 5_000, 50);
    expect(passthrough.openSockets).toBe(0);
  });
});

describe('the API passthrough to an unreachable API server', () => {
  it("closes the client's connection at once, and stays up", async () => {
    // A port on loopback nothing listens on.
    const deadPort = await freePort();
    const passthrough = new ApiPassthrough({
      bindAddress: '127.0.0.1',
      port: 0,
      target: { host: '127.0.0.1', port: deadPort },
      logger: silentLogger,
    });
    const { port } = await passthrough.start();
    try {
      // Twice: the first failure left the passthrough listening.
      for (let i = 0; i < 2; i++) {
        // "At once": closed by the passthrough, not by a client timeout (which would say so instead).
        await expect(get(port, '/api/v1/namespaces', creds)).rejects.toThrow(
          /socket disconnected|ECONNRESET|socket hang up/,
        );
      }
      await waitFor('no socket left open', async () => passthrough.openSockets === 0, 5_000, 50);
    } finally {
      await passthrough.stop();
    }
  });
});

describe('vsyncer start --api-proxy-port', () => {
  const vc = uniqueName('apiproxy');
  const hostNs = `host-${vc}`;
  let syncer: SyncerProcess;
  let port: number;

  beforeAll(async () => {
    await prepareHostNamespace(vc, hostNs);
    port = await freePort();
    syncer = await startSyncer({
      name: vc,
      hostNamespace: hostNs,
      args: [
        '--sync=-secrets,-pods,-events,-nodes,-services,-api-service,-endpoints,-endpointslices,-configmaps',
        `--api-proxy-port=${port}`,
        '--api-proxy-bind-address=127.0.0.1',
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await syncer?.stop();
  });

  it('serves the virtual API server on that port, and closes its connections when it stops', async () => {
    const res = await kubectlVia(`https://127.0.0.1:${port}`, ['get', 'namespace', ns, '-o', 'name']);
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe(`namespace/${ns}`);
    expect(syncer.logs()).toContain('passing TCP connections through to the virtual API server');
    const watch = await openWatch(port, `/api/v1/namespaces/${ns}/configmaps?watch=1`, creds);
    expect(watch.status).toBe(200);
    expect(await syncer.stop()).toBe(0);
    await waitFor('the watch to end with the syncer', async () => watch.isEnded(), 10_000, 50);
    // Closed by the syncer's shutdown, not by its timeout (which an open connection would hold up).
    expect(syncer.logs()).not.toContain('shutdown timeout reached');
  });
});
