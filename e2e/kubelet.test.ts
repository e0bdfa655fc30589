import { randomBytes } from 'node:crypto';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { criLogLine } from '../hack/cluster/launcher.ts';
import { freePort, freePortRange } from '../hack/cluster/ports.ts';
import { hostName } from '../src/naming/names.ts';
import { kubectl, testClusters, waitFor } from '../test/harness/clusters.ts';
import { apply, createTenantNamespace, getObject, mustKubectl } from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

/*
 * The virtual nodes' kubelet API, served by the syncer: kubectl logs, exec, attach, port-forward and
 * cp on a virtual pod go through the virtual API server to the syncer, which streams them from the
 * host pod through the host API. The host's "kubelet" is kwok's: its logs come from a file, exec runs
 * local commands as user nobody in a scratch directory, port-forward is an echo (hack/cluster).
 */
const vc = uniqueName('kbl');
const hostNs = `host-${vc}`;
const ns = uniqueName('shell');
const pod = 'shell';
const hostPod = hostName(pod, ns, vc);
let syncer: SyncerProcess;
let nodePortsFrom: number;
let portHolder: Server;
const children: ChildProcess[] = [];

const onVirtual = (args: string[], input?: string) => kubectl('virtual', ['-n', ns, ...args], input);
const onHost = (args: string[], input?: string) => kubectl('host', ['-n', hostNs, ...args], input);

/** A kubectl that keeps running (logs -f, attach, port-forward); its output so far, and a way to stop it. */
function longRunning(
  cluster: 'host' | 'virtual',
  args: string[],
): { output: () => string; child: ChildProcess } {
  const info = testClusters();
  const child = spawn(info.kubectl, ['--kubeconfig', info[cluster].kubeconfig, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { output: () => output, child };
}

/** A GET to the syncer's kubelet endpoint with an optional client certificate; resolves with status and body. */
function kubeletGet(
  path: string,
  cert?: { cert: string; key: string } | { bearer: string },
  port?: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const bearer = cert && 'bearer' in cert ? cert.bearer : undefined;
  const pair = cert && 'cert' in cert ? cert : undefined;
  const url = new URL(path, port ? `https://127.0.0.1:${port}` : syncer.kubeletUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: readFileSync(testClusters().virtualKubelet.clientCaFile),
        cert: pair ? readFileSync(pair.cert) : undefined,
        key: pair ? readFileSync(pair.key) : undefined,
        headers: { ...headers, ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const pki = (cluster: 'host' | 'virtual', file: string) =>
  join(testClusters().stateDir, cluster, 'pki', file);

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  // Each virtual node gets its own kubelet port from a range (node-level endpoints need to know the node).
  nodePortsFrom = await freePortRange(10);
  // Another process holds the range's first port: no node may advertise it.
  portHolder = createServer();
  await new Promise<void>((resolve) => portHolder.listen(nodePortsFrom, '127.0.0.1', resolve));
  syncer = await startSyncer({
    name: vc,
    hostNamespace: hostNs,
    kubelet: true,
    args: [`--kubelet-node-ports=${nodePortsFrom}-${nodePortsFrom + 9}`, '--kubelet-node-stats=true'],
  });
  await createTenantNamespace(ns);
  await apply('virtual', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod, namespace: ns },
    spec: { containers: [{ name: 'main', image: 'busybox' }] },
  });
  await waitFor(
    'the virtual pod Running on a node',
    async () => {
      const p = await getObject<{ status?: { phase?: string } }>('virtual', ['pod', pod, '-n', ns]);
      return p?.status?.phase === 'Running';
    },
    90_000,
  );
}, 150_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  // Other suites' syncers watch the whole shared virtual cluster: leave no pod behind for them.
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await syncer?.stop();
  await new Promise((resolve) => portHolder?.close(resolve));
});

describe('the kubelet API of the virtual nodes', () => {
  it('kubectl logs, --previous and --tail give what the same command on the host pod gives', async () => {
    for (const extra of [[], ['--previous'], ['--tail=1']]) {
      const [virtual, host] = [
        await onVirtual(['logs', pod, ...extra]),
        await onHost(['logs', hostPod, ...extra]),
      ];
      expect(virtual.stderr).toBe('');
      expect(virtual.code).toBe(0);
      expect(virtual.stdout).not.toBe('');
      expect(virtual.stdout).toBe(host.stdout);
    }
  }, 60_000);

  it('kubectl logs -f streams lines written after it started', async () => {
    const follow = longRunning('virtual', ['-n', ns, 'logs', '-f', pod]);
    await waitFor('the log so far', async () => follow.output().includes('simulated container log'), 30_000);
    const line = `followed ${Math.random().toString(36).slice(2)}`;
    appendFileSync(testClusters().simulatedKubelet.logsFile, criLogLine(line));
    await waitFor(`"${line}" in the followed log`, async () => follow.output().includes(line), 30_000);
    follow.child.kill('SIGTERM');
  }, 60_000);

  it('kubectl exec runs the command in the pod: output and errors as on the host', async () => {
    const script = ['--', 'sh', '-c', 'echo $((6*7)); echo oops >&2'];
    const [virtual, host] = [
      await onVirtual(['exec', pod, ...script]),
      await onHost(['exec', hostPod, ...script]),
    ];
    expect(virtual).toEqual(host);
    expect(virtual).toEqual({ code: 0, stdout: '42\n', stderr: 'oops\n' });
  }, 60_000);

  it('kubectl exec fails where it fails on the host (a command exiting non-zero)', async () => {
    // kwok's simulated kubelet reports a failed command as an error, not as its exit code.
    const script = ['--', 'sh', '-c', 'exit 3'];
    const [virtual, host] = [
      await onVirtual(['exec', pod, ...script]),
      await onHost(['exec', hostPod, ...script]),
    ];
    expect(virtual.code).not.toBe(0);
    expect(virtual.code).toBe(host.code);
    expect(virtual.stderr).toContain('exit status 3');
  }, 60_000);

  it('kubectl exec -i passes standard input to the command', async () => {
    const res = await onVirtual(
      ['exec', '-i', pod, '--', 'sh', '-c', 'read line; echo "got:$line"'],
      'hello\n',
    );
    expect(res).toMatchObject({ code: 0, stdout: 'got:hello\n' });
  }, 60_000);

  it('kubectl cp copies files out of the pod', async () => {
    // Copying into the pod is left out: kwok's simulated exec never closes the command's standard
    // input, so tar waits forever there, on the host pod as through the syncer.
    const { execDir } = testClusters().simulatedKubelet;
    const file = join(execDir, `cp-${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, 'from the pod\n');
    chmodSync(file, 0o644);
    const local = mkdtempSync(join(tmpdir(), 'kubectl-cp-'));
    try {
      const out = await kubectl('virtual', ['cp', `${ns}/${pod}:${file}`, join(local, 'copied')]);
      expect(out.code).toBe(0);
      expect(readFileSync(join(local, 'copied'), 'utf8')).toBe('from the pod\n');
    } finally {
      rmSync(local, { recursive: true, force: true });
    }
  }, 60_000);

  it('kubectl attach streams the container output', async () => {
    const attach = longRunning('virtual', ['-n', ns, 'attach', pod]);
    const line = `attached ${Math.random().toString(36).slice(2)}`;
    // Written until attach shows it: the first lines may come before the stream is open.
    await waitFor(
      `"${line}" through attach`,
      async () => {
        appendFileSync(testClusters().simulatedKubelet.logsFile, criLogLine(line));
        return attach.output().includes(line);
      },
      30_000,
      1000,
    );
    attach.child.kill('SIGTERM');
  }, 60_000);

  it('kubectl port-forward carries a TCP connection to the pod and back', async () => {
    const port = await freePort();
    const forward = longRunning('virtual', ['-n', ns, 'port-forward', `pod/${pod}`, `${port}:8080`]);
    await waitFor('port-forward to listen', async () => forward.output().includes('Forwarding from'), 30_000);
    const echoed = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('ping through the tunnel\n'));
      let got = '';
      socket.on('data', (d: Buffer) => {
        got += d.toString();
        if (got.includes('\n')) {
          socket.destroy();
          resolve(got);
        }
      });
      socket.on('error', reject);
      setTimeout(() => reject(new Error(`no echo; got ${JSON.stringify(got)}`)), 20_000).unref();
    });
    expect(echoed).toBe('ping through the tunnel\n');
    forward.child.kill('SIGTERM');
  }, 60_000);

  it("gives the pod's node its own kubelet port, and asks that node's host node for its statistics", async () => {
    const vpod = await getObject<{ spec: { nodeName: string } }>('virtual', ['pod', pod, '-n', ns]);
    const node = vpod!.spec.nodeName;
    const vnode = await getObject<{ status: { daemonEndpoints: { kubeletEndpoint: { Port: number } } } }>(
      'virtual',
      ['node', node],
    );
    const port = vnode!.status.daemonEndpoints.kubeletEndpoint.Port;
    expect(port).toBeGreaterThan(nodePortsFrom); // the first is another process's
    expect(port).toBeLessThanOrEqual(nodePortsFrom + 9);
    // The API servers refuse to proxy to a node at a loopback address ("address not allowed"), so the
    // node port is called directly. The host refuses the same for kwok's nodes: its answer, which the
    // syncer logs and does not hand the caller (host addresses), names the host node the syncer asked,
    // which is the node whose port the request came in on.
    const virtualAdmin = { cert: pki('virtual', 'admin.crt'), key: pki('virtual', 'admin.key') };
    const stats = await kubeletGet('/stats/summary', virtualAdmin, port);
    expect(stats.status).toBe(502);
    expect(stats.body).toContain('this request could not be served');
    expect(stats.body).not.toContain('/api/v1/nodes/');
    expect(syncer.logs()).toContain(`/api/v1/nodes/${node}/proxy/stats/summary`);
    // On the bind port no node is named: node-level endpoints are refused there.
    expect((await kubeletGet('/stats/summary', virtualAdmin)).status).toBe(404);
  }, 60_000);

  it('counts the sessions it served', async () => {
    const metrics = await syncer.metrics();
    expect(metrics).toMatch(/vsyncer_kubelet_requests_total\{action="logs",code="200"\} [1-9]/);
    expect(metrics).toMatch(/vsyncer_kubelet_requests_total\{action="exec",code="101"\} [1-9]/);
  }, 60_000);
});

describe('who the kubelet API serves', () => {
  const virtualAdmin = () => ({ cert: pki('virtual', 'admin.crt'), key: pki('virtual', 'admin.key') });

  it("serves the virtual cluster's pods to a client of the virtual cluster's CA that may proxy to nodes", async () => {
    const res = await kubeletGet(`/containerLogs/${ns}/${pod}/main`, virtualAdmin());
    expect(res.status).toBe(200);
    expect(res.body).toContain('simulated container log');
  }, 60_000);

  it('refuses a caller without a client certificate, or with one of another CA (the host)', async () => {
    const none = await kubeletGet(`/containerLogs/${ns}/${pod}/main`);
    expect(none.status).toBe(401);
    const host = await kubeletGet(`/containerLogs/${ns}/${pod}/main`, {
      cert: pki('host', 'admin.crt'),
      key: pki('host', 'admin.key'),
    });
    expect(host.status).toBe(401);
  }, 60_000);

  it('answers a request line no URL can be made of with 400, at once, before anyone is authenticated', async () => {
    const url = new URL(syncer.kubeletUrl!);
    for (const path of ['//%', '//a:99999']) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path,
            ca: readFileSync(testClusters().virtualKubelet.clientCaFile),
            timeout: 10_000,
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`no answer to ${path}`)));
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(400);
    }
  }, 60_000);

  it("refuses a user of the virtual cluster's CA whom its RBAC does not let proxy to nodes", async () => {
    // A client certificate the virtual CA signed: removed when done, whatever the outcome.
    const dir = mkdtempSync(join(tmpdir(), 'tenant-cert-'));
    try {
      const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
      openssl([
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'u.key',
        '-out',
        'u.csr',
        '-subj',
        '/CN=tenant-dev',
      ]);
      openssl([
        'x509',
        '-req',
        '-in',
        'u.csr',
        '-CA',
        pki('virtual', 'ca.crt'),
        '-CAkey',
        pki('virtual', 'ca.key'),
        '-CAcreateserial',
        '-out',
        'u.crt',
        '-days',
        '1',
      ]);
      const asTenant = { cert: join(dir, 'u.crt'), key: join(dir, 'u.key') };
      const res = await kubeletGet(`/containerLogs/${ns}/${pod}/main`, asTenant);
      expect(res.status).toBe(403);
      expect(res.body).toContain('tenant-dev may not get nodes/proxy');
      // The same answer for a pod or container that does not exist: it learns nothing of which do.
      for (const path of [
        `/containerLogs/${ns}/no-such-pod/main`,
        `/containerLogs/${ns}/${pod}/no-such-container`,
      ])
        expect(await kubeletGet(path, asTenant)).toEqual(res);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('takes bearer tokens the virtual API server vouches for (a metrics-server), with its RBAC on nodes', async () => {
    const reader = `node-reader-${Math.random().toString(36).slice(2, 7)}`;
    await mustKubectl('virtual', ['-n', ns, 'create', 'serviceaccount', reader]);
    await mustKubectl('virtual', ['-n', ns, 'create', 'serviceaccount', `${reader}-none`]);
    await mustKubectl('virtual', [
      'create',
      'clusterrole',
      reader,
      '--verb=get',
      '--resource=nodes/proxy,nodes/stats,nodes/metrics',
    ]);
    await mustKubectl('virtual', [
      'create',
      'clusterrolebinding',
      reader,
      `--clusterrole=${reader}`,
      `--serviceaccount=${ns}:${reader}`,
    ]);
    const token = (name: string) =>
      mustKubectl('virtual', ['-n', ns, 'create', 'token', name]).then((t) => t.trim());
    const readerToken = await token(reader);
    const allowed = await kubeletGet(`/containerLogs/${ns}/${pod}/main`, { bearer: readerToken });
    expect(allowed.status).toBe(200);
    // A WebSocket exec is a GET, but runs a command in the pod: `get` on nodes/proxy is not enough.
    const websocketExec = await kubeletGet(
      `/exec/${ns}/${pod}/main?command=id&output=1`,
      { bearer: readerToken },
      undefined,
      {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-protocol': 'v5.channel.k8s.io',
      },
    );
    expect(websocketExec).toMatchObject({ status: 403 });
    expect(websocketExec.body).toContain(`may not create nodes/proxy`);
    const denied = await kubeletGet(`/containerLogs/${ns}/${pod}/main`, {
      bearer: await token(`${reader}-none`),
    });
    expect(denied.status).toBe(403);
    expect((await kubeletGet(`/containerLogs/${ns}/${pod}/main`, { bearer: 'not-a-token' })).status).toBe(
      401,
    );
    // A host token means nothing to the virtual API server.
    const hostToken = (
      await mustKubectl('host', ['-n', hostNs, 'create', 'token', `vc-workload-${vc}`])
    ).trim();
    expect((await kubeletGet(`/containerLogs/${ns}/${pod}/main`, { bearer: hostToken })).status).toBe(401);
  }, 60_000);

  it('has no host pod to offer: a host pod name is forbidden, a host pod that is not the copy not found', async () => {
    // The host pod's own namespace and name mean nothing here: not a pod of this virtual cluster.
    const direct = await kubeletGet(`/containerLogs/${hostNs}/${hostPod}/main`, virtualAdmin());
    expect(direct.status).toBe(403);
    // A host pod under the name a virtual pod maps to, made by someone else (no managed-by), is not
    // that virtual pod's copy: neither the syncer nor its kubelet API touches it.
    await mustKubectl('host', [
      '-n',
      hostNs,
      'run',
      hostName('intruder', ns, vc),
      '--image=busybox',
      '--restart=Never',
    ]);
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'intruder', namespace: ns },
      spec: { containers: [{ name: 'main', image: 'busybox' }] },
    });
    const res = await kubeletGet(`/containerLogs/${ns}/intruder/main`, virtualAdmin());
    expect(res.status).toBe(400);
    const viaApi = await onVirtual(['logs', 'intruder']);
    expect(viaApi.stdout).not.toContain('simulated container log');
    const intruder = await getObject<{ metadata: { labels?: Record<string, string> } }>('host', [
      'pod',
      hostName('intruder', ns, vc),
      '-n',
      hostNs,
    ]);
    expect(intruder?.metadata.labels?.['vcluster.loft.sh/managed-by']).toBeUndefined();
  }, 60_000);

  it("serves only the containers the virtual pod declares, not one the host pod has besides (the syncer's, a host sidecar)", async () => {
    // A pod with a subdomain gets the syncer's hosts-rewrite init container on the host: a container
    // of the host pod that is not the tenant's, as a host webhook's injected sidecar would be.
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'sub', namespace: ns },
      spec: { subdomain: 'grp', containers: [{ name: 'main', image: 'busybox' }] },
    });
    const hostInit = async () =>
      (
        await getObject<{ spec: { initContainers?: { name: string }[] } }>('host', [
          'pod',
          hostName('sub', ns, vc),
          '-n',
          hostNs,
        ])
      )?.spec.initContainers?.map((c) => c.name) ?? [];
    await waitFor(
      'the host pod with its extra init container',
      async () => (await hostInit()).length > 0,
      60_000,
    );
    const extra = (await hostInit())[0]!;
    for (const path of [
      `/containerLogs/${ns}/sub/${extra}`,
      `/exec/${ns}/sub/${extra}?command=id&output=1`,
    ]) {
      const res = await kubeletGet(path, virtualAdmin());
      expect({ path, status: res.status, body: res.body }).toMatchObject({
        status: 403,
        body: expect.stringContaining(`container ${extra} is not valid for pod ${ns}/sub`),
      });
    }
    // Nor once the tenant declares a debug container of that name (the host refuses it: the name is
    // taken there), which leaves the name in the virtual pod's spec.
    await mustKubectl('virtual', [
      'patch',
      'pod',
      'sub',
      '-n',
      ns,
      '--subresource=ephemeralcontainers',
      '--type=strategic',
      '-p',
      JSON.stringify({ spec: { ephemeralContainers: [{ name: extra, image: 'busybox', stdin: true }] } }),
    ]);
    const exec = await kubeletGet(`/exec/${ns}/sub/${extra}?command=id&output=1`, virtualAdmin());
    expect(exec).toMatchObject({ status: 403, body: expect.stringContaining('is not valid for pod') });
    // Its own container is served as usual.
    expect((await kubeletGet(`/containerLogs/${ns}/sub/main`, virtualAdmin())).status).toBe(200);
  }, 90_000);

  it("answers /healthz to anyone; /pods and /runningpods list this virtual cluster's pods only, under their virtual names", async () => {
    expect(await kubeletGet('/healthz')).toEqual({ status: 200, body: 'ok' });
    expect((await kubeletGet('/pods')).status).toBe(401);
    const node = (await getObject<{ spec: { nodeName: string } }>('virtual', ['pod', pod, '-n', ns]))!.spec
      .nodeName;
    const port = (await getObject<{ status: { daemonEndpoints: { kubeletEndpoint: { Port: number } } } }>(
      'virtual',
      ['node', node],
    ))!.status.daemonEndpoints.kubeletEndpoint.Port;
    const virtualPods = new Set(
      (await getObject<{ items: { metadata: { namespace: string; name: string } }[] }>('virtual', [
        'pods',
        '-A',
      ]))!.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`),
    );
    type PodList = {
      kind: string;
      items: { metadata: { namespace: string; name: string }; spec: { nodeName?: string } }[];
    };
    // On the node's own port: that node's pods; on the bind port (no node named): every node's.
    for (const [path, onPort] of [
      ['/pods', port],
      ['/runningpods/', port],
      ['/pods', undefined],
    ] as const) {
      const res = await kubeletGet(path, virtualAdmin(), onPort);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      const list = JSON.parse(res.body) as PodList;
      expect(list.kind).toBe('PodList');
      const keys = list.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
      expect(keys).toContain(`${ns}/${pod}`);
      for (const key of keys) expect(virtualPods).toContain(key);
      if (path === '/pods' && onPort) for (const p of list.items) expect(p.spec.nodeName).toBe(node);
    }
  }, 60_000);

  it('refuses paths a kubelet serves but this endpoint does not', async () => {
    for (const path of ['/configz', '/debug/pprof/', '/spec/']) {
      expect((await kubeletGet(path, virtualAdmin())).status).toBe(404);
    }
  }, 60_000);

  it('refuses a flood of unknown bearer tokens (429) rather than queue them before the callers it knows', async () => {
    const sa = `flood-${Math.random().toString(36).slice(2, 7)}`;
    await mustKubectl('virtual', ['-n', ns, 'create', 'serviceaccount', sa]);
    await mustKubectl('virtual', [
      'create',
      'clusterrolebinding',
      sa,
      '--clusterrole=system:kubelet-api-admin',
      `--serviceaccount=${ns}:${sa}`,
    ]);
    const known = (await mustKubectl('virtual', ['-n', ns, 'create', 'token', sa])).trim();
    expect((await kubeletGet(`/containerLogs/${ns}/${pod}/main`, { bearer: known })).status).toBe(200);
    // The known caller asks in the middle of the flood.
    const flood = Array.from({ length: 300 }, () =>
      kubeletGet('/pods', { bearer: randomBytes(24).toString('hex') }),
    );
    const during = kubeletGet(`/containerLogs/${ns}/${pod}/main`, { bearer: known });
    const [junk, knownAnswer] = await Promise.all([Promise.all(flood), during]);
    const statuses = new Set(junk.map((r) => r.status));
    expect([...statuses].sort()).toEqual([401, 429]);
    expect(junk.find((r) => r.status === 429)!.body).toContain('too many new bearer tokens');
    // The token it already knows is answered from its cache, not refused with the junk.
    expect(knownAnswer.status).toBe(200);
  }, 60_000);
});
