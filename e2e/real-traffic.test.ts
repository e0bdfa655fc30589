// Real packets through the virtual cluster, on the host's real node (VSYNC_REAL_NODE=1): a tenant pod
// resolves another tenant Service by its DNS name through the virtual cluster's DNS (CoreDNS reading
// the virtual API server, hack/realnode/dns.ts) and gets an HTTP answer through that Service's
// ClusterIP; and a pod calls the virtual `kubernetes` Service with its own service-account token,
// which the virtual API server accepts and the host API server refuses; and a tenant's in-place resize
// reaches the container's cgroup, the real kubelet's report of it coming back to the virtual pod.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { freePortRange } from '../hack/cluster/ports.ts';
import { request } from 'node:https';
import { join } from 'node:path';
import { virtualDnsManifest } from '../hack/realnode/dns.ts';
import { realNodePlacement, type RealNodeInfo } from '../hack/realnode/realnode.ts';
import { hostName } from '../src/naming/names.ts';
import { kubectl, testClusters, testRealNode, waitFor } from '../test/harness/clusters.ts';
import {
  apply,
  createTenantNamespace,
  getObject,
  mustKubectl,
  recordMeasurement,
} from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

interface Pod {
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    nodeName?: string;
    dnsConfig?: { nameservers?: string[] };
    containers: { env?: { name: string; value?: string }[] }[];
    volumes?: {
      name: string;
      projected?: { sources: { secret?: { name: string; items?: { key: string; path: string }[] } }[] };
    }[];
  };
  status?: { phase?: string; podIP?: string };
}
interface Service {
  spec: { clusterIP: string };
}

const enabled = process.env.VSYNC_REAL_NODE === '1';
const vc = uniqueName('rt');
const hostNs = `host-${vc}`;
const ns = uniqueName('traffic');
/** A host namespace of the host's own with a Service, and the virtual namespace it is mapped into. */
const sharedNs = uniqueName('shared');
const mappedNs = uniqueName('mapped');
let node: RealNodeInfo;
let syncer: SyncerProcess;
let nodePortsFrom: number;

/** A pod spec pinned to the real node: it tolerates the node's taint and selects its label; local images only. */
function onRealNode(container: Record<string, unknown>, restartPolicy = 'Never') {
  return {
    ...realNodePlacement(node),
    terminationGracePeriodSeconds: 1,
    restartPolicy,
    containers: [{ name: 'main', image: node.images.httpserver, imagePullPolicy: 'Never', ...container }],
  };
}

const virtualPod = (name: string) => getObject<Pod>('virtual', ['pod', name, '-n', ns]);
const hostPod = (name: string) => getObject<Pod>('host', ['pod', hostName(name, ns, vc), '-n', hostNs]);

/** Waits until a run-once virtual pod has finished; returns its output (the virtual cluster's kubectl logs). */
async function finishedOutput(name: string, timeoutMs: number): Promise<{ phase: string; output: string }> {
  const phase = await waitFor(
    `virtual pod ${name} finished`,
    async () => {
      const p = await virtualPod(name);
      return (p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed') && p.status.phase;
    },
    timeoutMs,
  );
  // Through the virtual API server and the syncer's kubelet API to the real kubelet.
  const logs = await kubectl('virtual', ['logs', name, '-n', ns]);
  if (logs.code !== 0) throw new Error(`kubectl logs ${name} on virtual failed: ${logs.stderr}`);
  return { phase, output: logs.stdout };
}

/**
 * kubectl in a terminal of 40 rows and 100 columns (util-linux `script` gives it a pty, which -t
 * needs); resolves with what it printed, line ends as a terminal writes them turned back to \n.
 */
async function terminalExec(cluster: 'host' | 'virtual', args: string[]): Promise<string> {
  const clusters = testClusters();
  const quote = (a: string) => `'${a.replaceAll("'", `'\\''`)}'`;
  const command = [clusters.kubectl, '--kubeconfig', clusters[cluster].kubeconfig, ...args]
    .map(quote)
    .join(' ');
  const res = spawnSync('script', ['-qefc', `stty rows 40 cols 100; ${command}`, '/dev/null'], {
    encoding: 'utf8',
    timeout: 60_000,
    input: '',
  });
  if (res.status !== 0)
    throw new Error(
      `kubectl ${args.join(' ')} in a terminal failed (${res.status}): ${res.stdout}${res.stderr}`,
    );
  // script's stdin ends at once; the terminal echoes that as ^@, wherever the line is.
  return res.stdout.replaceAll('\r\n', '\n').replaceAll('^@', '');
}

/** A GET with a bearer token; resolves with the status code. */
function getWithToken(server: string, path: string, ca: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, server),
      { ca: readFileSync(ca), headers: { authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

(enabled ? describe : describe.skip)(
  enabled
    ? 'real traffic through the virtual cluster'
    : 'real traffic through the virtual cluster (skipped: set VSYNC_REAL_NODE=1 to start the real kubelet node)',
  () => {
    beforeAll(async () => {
      const clusters = testClusters();
      node = testRealNode();
      await prepareHostNamespace(vc, hostNs);
      // The virtual DNS Service as `up` made it: another test may have replaced or removed it.
      await apply('virtual', virtualDnsManifest(node.gateway));
      // What a real install's host Service <vc> has: endpoints where pods reach the virtual API server
      // (listening on every address when the real node is on; the node's pods reach the host on the bridge).
      await apply('host', {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: vc, namespace: hostNs },
        subsets: [
          {
            addresses: [{ ip: node.gateway }],
            ports: [{ name: 'https', port: Number(new URL(clusters.virtual.server).port), protocol: 'TCP' }],
          },
        ],
      });
      nodePortsFrom = await freePortRange(10);
      // No --cluster-dns-ip: pods get the synced virtual kube-dns Service's IP as nameserver.
      syncer = await startSyncer({
        name: vc,
        hostNamespace: hostNs,
        kubelet: true,
        args: [
          '--cluster-dns-ip=',
          // The virtual DNS Service's endpoints name the host's bridge address, a private one.
          `--allowed-endpoint-cidr=${node.gateway}/32`,
          `--kubelet-node-ports=${nodePortsFrom}-${nodePortsFrom + 9}`,
          '--kubelet-node-stats=true',
          `--map-host-service=${sharedNs}/db=${mappedNs}/shared-db`,
        ],
      });
      await createTenantNamespace(ns);
    }, 180_000);

    afterAll(async () => {
      await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
      await syncer?.stop();
      // The host pods run on the real node: deleting the host namespace stops them.
      await mustKubectl('host', ['delete', 'namespace', hostNs, '--wait=false']).catch(() => undefined);
      await mustKubectl('host', ['delete', 'namespace', sharedNs, '--wait=false']).catch(() => undefined);
      await mustKubectl('virtual', ['delete', 'namespace', mappedNs, '--wait=false']).catch(() => undefined);
    });

    it('a pod resolves web.<ns>.svc.cluster.local through the virtual DNS and gets an HTTP answer through its ClusterIP', async () => {
      const started = Date.now();
      await apply('virtual', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: ns },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: onRealNode({ ports: [{ containerPort: 8080 }] }, 'Always'),
          },
        },
      });
      await apply('virtual', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: ns },
        spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      });
      const server = await waitFor(
        'the web pod Running on the real node (virtual status)',
        async () => {
          const list = await getObject<{ items: Pod[] }>('virtual', ['pods', '-n', ns, '-l', 'app=web']);
          const p = list?.items.find((i) => i.status?.phase === 'Running' && i.status.podIP);
          return p;
        },
        90_000,
      );
      expect(server.spec.nodeName).toBe(node.node);
      const service = await waitFor(
        'service web with the host cluster IP in both clusters',
        async () => {
          const v = await getObject<Service>('virtual', ['service', 'web', '-n', ns]);
          const h = await getObject<Service>('host', ['service', hostName('web', ns, vc), '-n', hostNs]);
          return !!v?.spec.clusterIP && v.spec.clusterIP === h?.spec.clusterIP && v;
        },
        60_000,
      );
      const dns = await waitFor(
        'kube-system/kube-dns with the host cluster IP in both clusters',
        async () => {
          const v = await getObject<Service>('virtual', ['service', 'kube-dns', '-n', 'kube-system']);
          const h = await getObject<Service>('host', [
            'service',
            hostName('kube-dns', 'kube-system', vc),
            '-n',
            hostNs,
          ]);
          return !!v?.spec.clusterIP && v.spec.clusterIP === h?.spec.clusterIP && v;
        },
        60_000,
      );

      await apply('virtual', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'client', namespace: ns },
        spec: onRealNode({
          // kube-proxy needs a moment for new endpoints: the client retries for up to a minute.
          args: [
            '-get',
            `http://web.${ns}.svc.cluster.local/via-dns`,
            '-resolve',
            '-retry',
            '60s',
            '-timeout',
            '3s',
          ],
        }),
      });
      const { phase, output } = await finishedOutput('client', 120_000);
      recordMeasurement('real_traffic_dns_http_seconds', (Date.now() - started) / 1000);
      expect({ phase, output }).toEqual({
        phase: 'Succeeded',
        output: expect.stringContaining('status=200'),
      });
      // The name resolved (through the virtual DNS) to the virtual Service's cluster IP.
      expect(output).toContain(`resolved=${service.spec.clusterIP}\n`);
      // The server pod answered: its hostname is the virtual pod's name; the request came from the client pod.
      expect(output).toContain(`hostname=${server.metadata.name}\n`);
      expect(output).toContain('path=/via-dns');
      const client = (await hostPod('client'))!;
      expect(client.spec.nodeName).toBe(node.node);
      expect(client.spec.dnsConfig?.nameservers?.[0]).toBe(dns.spec.clusterIP);
      expect(output).toContain(`client=${client.status!.podIP}:`);
    }, 300_000);

    it('a pod reaches a host Service of another host namespace by the virtual name --map-host-service gives it', async () => {
      await mustKubectl('host', ['create', 'namespace', sharedNs]);
      await apply('host', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'db-0', namespace: sharedNs, labels: { app: 'db' } },
        spec: {
          ...onRealNode({ ports: [{ containerPort: 8080 }] }, 'Always'),
          automountServiceAccountToken: false,
        },
      });
      await apply('host', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'db', namespace: sharedNs },
        spec: { selector: { app: 'db' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      });
      const hostService = (await getObject<Service>('host', ['service', 'db', '-n', sharedNs]))!;
      // The syncer made the virtual namespace and the headless replica with the host IP as endpoint.
      await waitFor(
        "the replica's endpoints in the virtual cluster",
        async () => {
          const ep = await getObject<{ subsets?: { addresses?: { ip: string }[] }[] }>('virtual', [
            'endpoints',
            'shared-db',
            '-n',
            mappedNs,
          ]);
          return ep?.subsets?.[0]?.addresses?.[0]?.ip === hostService.spec.clusterIP;
        },
        60_000,
      );
      await waitFor(
        'the host pod Running',
        async () =>
          (await getObject<Pod>('host', ['pod', 'db-0', '-n', sharedNs]))?.status?.phase === 'Running',
        90_000,
      );
      await apply('virtual', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'mapped-client', namespace: ns },
        spec: onRealNode({
          args: [
            '-get',
            `http://shared-db.${mappedNs}.svc.cluster.local/via-mapping`,
            '-resolve',
            '-retry',
            '60s',
            '-timeout',
            '3s',
          ],
        }),
      });
      const { phase, output } = await finishedOutput('mapped-client', 120_000);
      expect({ phase, output }).toEqual({
        phase: 'Succeeded',
        output: expect.stringContaining('status=200'),
      });
      // The virtual name resolved to the host Service's cluster IP, and the host's own pod answered.
      expect(output).toContain(`resolved=${hostService.spec.clusterIP}\n`);
      expect(output).toContain('hostname=db-0\n');
      expect(output).toContain('path=/via-mapping');
    }, 300_000);

    it('kubectl exec -i, cp both ways and node statistics reach a real container through the syncer', async () => {
      await apply('virtual', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'shell',
          namespace: ns,
          labels: { app: 'shell', release: 'r1' },
          annotations: { 'team.example/owner': 'ops "blue"' },
        },
        spec: {
          ...onRealNode(
            {
              image: node.images.busybox,
              command: ['sleep', '3600'],
              volumeMounts: [{ name: 'podinfo', mountPath: '/etc/podinfo' }],
            },
            'Always',
          ),
          volumes: [
            {
              name: 'podinfo',
              downwardAPI: {
                items: [
                  { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
                  { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
                ],
              },
            },
          ],
        },
      });
      await waitFor(
        'the shell pod Running',
        async () => (await virtualPod('shell'))?.status?.phase === 'Running',
        90_000,
      );
      const stdin = await kubectl(
        'virtual',
        ['exec', '-i', '-n', ns, 'shell', '--', 'sh', '-c', 'read l; echo "got:$l"'],
        'hello\n',
      );
      expect(stdin).toMatchObject({ code: 0, stdout: 'got:hello\n' });
      // The real kubelet's downward-API files show the virtual pod's own labels and annotations
      // (a reserved label key too), not the host pod's translated keys and the syncer's records.
      const podinfo = await kubectl('virtual', [
        'exec',
        '-n',
        ns,
        'shell',
        '--',
        'sh',
        '-c',
        'cat /etc/podinfo/labels; echo; echo ---; cat /etc/podinfo/annotations',
      ]);
      expect(podinfo.code).toBe(0);
      const [labelsFile, annotationsFile] = podinfo.stdout.split('\n---\n');
      expect(labelsFile).toBe('app="shell"\nrelease="r1"');
      // kubectl apply's last-applied-configuration is one of the virtual pod's annotations too.
      const annotationLines = annotationsFile!.split('\n');
      expect(annotationLines.map((l) => l.slice(0, l.indexOf('=')))).toEqual(
        Object.keys((await virtualPod('shell'))!.metadata!.annotations!).sort(),
      );
      expect(annotationLines).toContain('team.example/owner="ops \\"blue\\""');
      // A terminal (-t): the container's shell gets a pty for stdin and stdout, as on the host pod.
      const inTerminal = await terminalExec('virtual', [
        'exec',
        '-it',
        '-n',
        ns,
        'shell',
        '--',
        'sh',
        '-c',
        'tty; test -t 0 && echo stdin is a terminal',
      ]);
      expect(inTerminal).toMatch(/^\/dev\/pts\/\d+\nstdin is a terminal\n$/);
      const host = await terminalExec('host', [
        'exec',
        '-it',
        '-n',
        hostNs,
        hostName('shell', ns, vc),
        '--',
        'sh',
        '-c',
        'tty; test -t 0 && echo stdin is a terminal',
      ]);
      // (each session gets the next free pty number)
      const anyPty = (out: string) => out.replace(/\/dev\/pts\/\d+/, '/dev/pts/N');
      expect(anyPty(inTerminal)).toBe(anyPty(host));
      const dir = mkdtempSync(join(tmpdir(), 'realnode-cp-'));
      try {
        writeFileSync(join(dir, 'in'), 'into the container\n');
        expect((await kubectl('virtual', ['cp', join(dir, 'in'), `${ns}/shell:/tmp/in`])).code).toBe(0);
        expect((await kubectl('virtual', ['exec', '-n', ns, 'shell', '--', 'cat', '/tmp/in'])).stdout).toBe(
          'into the container\n',
        );
        expect((await kubectl('virtual', ['cp', `${ns}/shell:/tmp/in`, join(dir, 'out')])).code).toBe(0);
        expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('into the container\n');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      // The real kubelet's statistics for this node, through the node's own port: only this virtual
      // cluster's pods, under their virtual names.
      const vnode = await getObject<{ status: { daemonEndpoints: { kubeletEndpoint: { Port: number } } } }>(
        'virtual',
        ['node', (await virtualPod('shell'))!.spec!.nodeName!],
      );
      const port = vnode!.status.daemonEndpoints.kubeletEndpoint.Port;
      const pki = (f: string) => join(testClusters().stateDir, 'virtual', 'pki', f);
      const summary = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          `https://127.0.0.1:${port}/stats/summary`,
          {
            ca: readFileSync(pki('ca.crt')),
            cert: readFileSync(pki('admin.crt')),
            key: readFileSync(pki('admin.key')),
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
      expect(summary.status).toBe(200);
      const pods = (JSON.parse(summary.body) as { pods: { podRef: { namespace: string; name: string } }[] })
        .pods;
      expect(pods.map((p) => `${p.podRef.namespace}/${p.podRef.name}`)).toContain(`${ns}/shell`);
      for (const p of pods) expect(p.podRef.name).not.toContain('-x-');
    }, 180_000);

    it("a tenant's in-place resize reaches the real container's cgroup, and the kubelet's report comes back", async () => {
      const resources = (cpu: string) => ({
        requests: { cpu, memory: '64Mi' },
        limits: { cpu, memory: '64Mi' },
      });
      await apply('virtual', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'sized', namespace: ns },
        spec: onRealNode(
          { image: node.images.busybox, command: ['sleep', '3600'], resources: resources('100m') },
          'Always',
        ),
      });
      type Sized = {
        metadata: { generation: number };
        status?: {
          observedGeneration?: number;
          containerStatuses?: { resources?: { limits?: { cpu?: string } } }[];
        };
      };
      const sized = () => getObject<Sized>('virtual', ['pod', 'sized', '-n', ns]);
      await waitFor(
        'the kubelet reporting the running container resources',
        async () => (await sized())?.status?.containerStatuses?.[0]?.resources?.limits?.cpu === '100m',
        90_000,
      );
      await mustKubectl('virtual', [
        'patch',
        'pod',
        'sized',
        '-n',
        ns,
        '--subresource',
        'resize',
        '-p',
        JSON.stringify({ spec: { containers: [{ name: 'main', resources: resources('200m') }] } }),
      ]);
      const done = await waitFor(
        'the resize applied and reported',
        async () => {
          const pod = await sized();
          return (
            pod?.status?.containerStatuses?.[0]?.resources?.limits?.cpu === '200m' &&
            pod.status.observedGeneration === pod.metadata.generation &&
            pod
          );
        },
        90_000,
      );
      expect(done.metadata.generation).toBeGreaterThan(1);
      // The container's own CPU quota: 200m is 20 ms in each 100 ms period (cgroup v2's cpu.max, or
      // v1's cpu.cfs_quota_us on this rig).
      const quota = await kubectl('virtual', [
        'exec',
        '-n',
        ns,
        'sized',
        '--',
        'sh',
        '-c',
        'cat /sys/fs/cgroup/cpu.max 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us',
      ]);
      expect(quota.code).toBe(0);
      expect(quota.stdout).toMatch(/^20000( 100000)?\n$/);
    }, 180_000);

    it('the virtual kubernetes Service answers a pod that presents its own token; the host API refuses that token', async () => {
      // The pod may read pods of its namespace (so the answer is a 200 that names it).
      await apply('virtual', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'default-view', namespace: ns },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: ns }],
      });
      const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
      await apply('virtual', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'api-client', namespace: ns },
        spec: onRealNode({
          // The API server's certificate names kubernetes.default.svc (and the virtual cluster's
          // default/kubernetes IP, not the host <vc> IP the pod dials): check it for that name.
          args: [
            '-get',
            `https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)/api/v1/namespaces/${ns}/pods/api-client`,
            '-token-file',
            `${sa}/token`,
            '-ca-file',
            `${sa}/ca.crt`,
            '-server-name',
            'kubernetes.default.svc',
            '-retry',
            '60s',
            '-timeout',
            '3s',
          ],
        }),
      });
      const { phase, output } = await finishedOutput('api-client', 120_000);
      expect({ phase, output }).toEqual({
        phase: 'Succeeded',
        output: expect.stringContaining('status=200'),
      });
      const body = JSON.parse(output.slice(output.indexOf('{'))) as Pod;
      // The virtual API server answered: the pod as the tenant sees it (virtual name and namespace).
      expect(body.metadata).toMatchObject({ name: 'api-client', namespace: ns });

      const host = (await hostPod('api-client'))!;
      const apiService = (await getObject<Service>('host', ['service', vc, '-n', hostNs]))!;
      const env = Object.fromEntries((host.spec.containers[0]!.env ?? []).map((e) => [e.name, e.value]));
      expect(env.KUBERNETES_SERVICE_HOST).toBe(apiService.spec.clusterIP);

      // The token the pod presented: the key of the syncer's token bundle that its projected volume mounts.
      const source = host.spec.volumes
        ?.flatMap((v) => v.projected?.sources ?? [])
        .find((s) => s.secret?.items?.some((i) => i.path === 'token'))?.secret;
      expect(source).toBeDefined();
      const secret = (await getObject<{ data: Record<string, string> }>('host', [
        'secret',
        source!.name,
        '-n',
        hostNs,
      ]))!;
      const token = Buffer.from(secret.data[source!.items![0]!.key]!, 'base64').toString();
      const clusters = testClusters();
      const ca = (cluster: 'host' | 'virtual') => join(clusters.stateDir, cluster, 'pki', 'ca.crt');
      expect(await getWithToken(clusters.virtual.server, '/api', ca('virtual'), token)).toBe(200);
      expect(await getWithToken(clusters.host.server, '/api', ca('host'), token)).toBe(401);
    }, 240_000);
  },
);
