import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { freePort } from '../hack/cluster/ports.ts';
import { hostName } from '../src/naming/names.ts';
import { kubectl, testClusters, waitFor } from '../test/harness/clusters.ts';
import { apply, createTenantNamespace, getObject, mustKubectl, type List } from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

/*
 * --metrics-server-proxy (vCluster's integrations.metricsServer): the virtual cluster's metrics API
 * (kubectl top, HorizontalPodAutoscalers) served by the syncer from the host's. Both API servers are
 * real and aggregate for real: the virtual one calls the syncer through the APIService it registers,
 * the host one calls the host's metrics API. That last one is a stand-in here (this machine has no
 * kubelets for a metrics-server to scrape): a small HTTPS server registered on the host as
 * v1beta1.metrics.k8s.io, answering for every pod of the host namespace, with a sidecar the tenant
 * did not declare, and for one pod that is not this virtual cluster's.
 */
const vc = uniqueName('mtr');
const hostNs = `host-${vc}`;
const ns = uniqueName('top');
let syncer: SyncerProcess;
let standIn: Server;
let proxyPort: number;

interface PodMetrics {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  containers?: { name: string; usage: Record<string, string> }[];
  usage?: Record<string, string>;
}
interface Named {
  metadata: { name: string };
  spec?: { nodeName?: string; containers?: { name: string }[] };
}

/** The stand-in's answer for a path of the host's metrics API. */
async function hostMetricsAnswer(path: string): Promise<[number, unknown]> {
  const gv = '/apis/metrics.k8s.io/v1beta1';
  if (path === gv)
    return [
      200,
      {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: 'metrics.k8s.io/v1beta1',
        resources: [
          { name: 'nodes', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
          { name: 'pods', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
        ],
      },
    ];
  const stamp = { timestamp: new Date().toISOString(), window: '15s' };
  if (path === `${gv}/namespaces/${hostNs}/pods`) {
    const pods = (await getObject<List<Named>>('host', ['pods', '-n', hostNs]))?.items ?? [];
    const items = [
      ...pods.map((p) => ({
        metadata: { name: p.metadata.name, namespace: hostNs, labels: { host: 'label' } },
        ...stamp,
        containers: [...(p.spec?.containers ?? []).map((c) => c.name), 'mesh-sidecar'].map((name) => ({
          name,
          usage: { cpu: '5m', memory: '10Mi' },
        })),
      })),
      // Named as this virtual cluster's host pods are, but no pod of it.
      {
        metadata: { name: hostName('intruder', ns, vc), namespace: hostNs },
        ...stamp,
        containers: [{ name: 'x', usage: { cpu: '1', memory: '1Gi' } }],
      },
    ];
    return [200, { kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items }];
  }
  if (path === `${gv}/nodes`) {
    const nodes = (await getObject<List<Named>>('host', ['nodes']))?.items ?? [];
    const items = nodes.map((n) => ({
      metadata: { name: n.metadata.name },
      ...stamp,
      usage: { cpu: '250m', memory: '2Gi' },
    }));
    return [200, { kind: 'NodeMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items }];
  }
  return [404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound' }];
}

/** Registers the stand-in as the host's metrics API (an ExternalName Service naming localhost). */
async function registerHostMetricsApi(port: number): Promise<void> {
  await apply('host', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `metrics-${vc}`, namespace: hostNs },
    spec: { type: 'ExternalName', externalName: 'localhost', ports: [{ port }] },
  });
  await apply('host', {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: 'v1beta1.metrics.k8s.io' },
    spec: {
      service: { namespace: hostNs, name: `metrics-${vc}`, port },
      group: 'metrics.k8s.io',
      version: 'v1beta1',
      insecureSkipTLSVerify: true,
      groupPriorityMinimum: 100,
      versionPriority: 100,
    },
  });
}

const available = async (cluster: 'host' | 'virtual') => {
  const api = await getObject<{
    status?: { conditions?: { type: string; status: string; message?: string }[] };
  }>(cluster, ['apiservice', 'v1beta1.metrics.k8s.io']);
  return api?.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') === true;
};

const raw = async <T>(path: string): Promise<T> =>
  JSON.parse(await mustKubectl('virtual', ['get', '--raw', path])) as T;

beforeAll(async () => {
  const clusters = testClusters();
  await prepareHostNamespace(vc, hostNs);
  standIn = createServer({
    cert: readFileSync(clusters.virtualKubelet.certFile),
    key: readFileSync(clusters.virtualKubelet.keyFile),
  });
  standIn.on('request', (req, res) => {
    void hostMetricsAnswer(new URL(req.url ?? '/', 'https://localhost').pathname).then(([code, body]) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
  await registerHostMetricsApi((standIn.address() as AddressInfo).port);
  await waitFor('the host metrics API available', () => available('host'), 60_000);
  await createTenantNamespace(ns);
  proxyPort = await freePort();
  syncer = await startSyncer({
    name: vc,
    hostNamespace: hostNs,
    args: [
      '--metrics-server-proxy',
      `--metrics-server-proxy-port=${proxyPort}`,
      `--kubelet-tls-cert-file=${clusters.virtualKubelet.certFile}`,
      `--kubelet-tls-key-file=${clusters.virtualKubelet.keyFile}`,
    ],
  });
}, 180_000);

afterAll(async () => {
  await syncer?.stop();
  await kubectl('virtual', ['delete', 'apiservice', 'v1beta1.metrics.k8s.io', '--ignore-not-found']);
  await kubectl('virtual', [
    'delete',
    'service',
    'vsyncer-metrics-proxy',
    '-n',
    'kube-system',
    '--ignore-not-found',
  ]);
  await kubectl('host', ['delete', 'apiservice', 'v1beta1.metrics.k8s.io', '--ignore-not-found']);
  // The host API server keeps its connections to the stand-in open: closed here, not waited for.
  standIn?.closeAllConnections();
  await new Promise<void>((resolve) => (standIn ? standIn.close(() => resolve()) : resolve()));
  await kubectl('virtual', ['delete', 'namespace', ns, '--wait=false']);
}, 60_000);

describe('the metrics API from the host (--metrics-server-proxy)', () => {
  it('registers it in the virtual cluster, where it becomes Available; its Service names localhost and is never copied', async () => {
    await waitFor('the virtual metrics API available', () => available('virtual'), 90_000);
    const service = await getObject<{
      metadata: { labels: Record<string, string> };
      spec: Record<string, unknown>;
    }>('virtual', ['service', 'vsyncer-metrics-proxy', '-n', 'kube-system']);
    expect(service?.spec).toMatchObject({ type: 'ExternalName', externalName: 'localhost' });
    const copies = await getObject<List<Named>>('host', [
      'services',
      '-n',
      hostNs,
      '-l',
      `vcluster.loft.sh/namespace=kube-system`,
    ]);
    expect((copies?.items ?? []).map((s) => s.metadata.name)).not.toContain(
      hostName('vsyncer-metrics-proxy', 'kube-system', vc),
    );
  }, 120_000);

  it("kubectl top and the raw API show the tenant's pods under their names, labels and declared containers, nothing else", async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', image: 'registry.local/app:1' }] },
    });
    await waitFor(
      'the pod running',
      async () =>
        (await getObject<{ status?: { phase?: string } }>('virtual', ['pod', 'web', '-n', ns]))?.status
          ?.phase === 'Running',
      90_000,
    );
    const list = await raw<{ kind: string; items: PodMetrics[] }>(
      `/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods`,
    );
    expect(list.kind).toBe('PodMetricsList');
    expect(list.items.map((i) => [i.metadata.namespace, i.metadata.name, i.metadata.labels])).toEqual([
      [ns, 'web', { app: 'web' }],
    ]);
    expect(list.items[0]!.containers).toEqual([{ name: 'app', usage: { cpu: '5m', memory: '10Mi' } }]);
    // One pod by name; one that is not there is a 404, as metrics-server answers.
    expect(
      (await raw<PodMetrics>(`/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods/web`)).metadata.name,
    ).toBe('web');
    const missing = await kubectl('virtual', [
      'get',
      '--raw',
      `/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods/intruder`,
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('NotFound');
    // A label selector on the tenant's labels (what a HorizontalPodAutoscaler sends).
    const selected = await raw<{ items: PodMetrics[] }>(
      `/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent('app=web')}`,
    );
    expect(selected.items).toHaveLength(1);
    const none = await raw<{ items: PodMetrics[] }>(
      `/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent('host=label')}`,
    );
    expect(none.items).toEqual([]);
    const top = await mustKubectl('virtual', ['top', 'pod', '-n', ns, '--no-headers']);
    expect(top.trim().split(/\s+/)).toEqual(['web', '5m', '10Mi']);
  }, 150_000);

  it("node metrics: the node its pods run on, a fake node's usage the sum of the tenant's pods there", async () => {
    const webNode = (
      await mustKubectl('virtual', ['get', 'pod', 'web', '-n', ns, '-o', 'jsonpath={.spec.nodeName}'])
    ).trim();
    expect(webNode).not.toBe('');
    // The virtual cluster is shared with other test files, whose pods this syncer copies too, on any
    // host node: the nodes listed are those that run this virtual cluster's host pods, each figure the
    // sum over its pods there (web among them). Read again until the host pods are the same before and
    // after the metrics list, as they churn with the other files.
    const containersByNode = async () => {
      const pods =
        (
          await getObject<List<Named>>('host', [
            'pods',
            '-n',
            hostNs,
            '-l',
            `vcluster.loft.sh/managed-by=${vc}`,
          ])
        )?.items ?? [];
      const byNode = new Map<string, number>();
      for (const p of pods) {
        const node = p.spec?.nodeName;
        if (node) byNode.set(node, (byNode.get(node) ?? 0) + (p.spec?.containers?.length ?? 0));
      }
      return byNode;
    };
    const sameCounts = (a: Map<string, number>, b: Map<string, number>) =>
      a.size === b.size && [...a].every(([node, n]) => b.get(node) === n);
    const { list, byNode } = await waitFor(
      'node metrics and host pods read alike',
      async () => {
        const before = await containersByNode();
        const list = await raw<{ items: PodMetrics[] }>('/apis/metrics.k8s.io/v1beta1/nodes');
        const after = await containersByNode();
        const listed = list.items.map((i) => i.metadata.name).sort();
        return (
          sameCounts(before, after) &&
          listed.join() === [...before.keys()].sort().join() && { list, byNode: before }
        );
      },
      30_000,
    );
    expect(byNode.has(webNode)).toBe(true);
    // The host node's 250m and 2Gi would be every tenant's load: a fake node shows its pods' declared
    // containers (5m, 10Mi each), not the host's sidecars.
    for (const item of list.items) {
      const containers = byNode.get(item.metadata.name)!;
      expect(item.usage).toEqual({ cpu: `${5_000_000 * containers}n`, memory: `${10_240 * containers}Ki` });
    }
    // kubectl top shows the same figure for web's node, read between two equal reads of the host pods.
    await waitFor(
      'kubectl top node and host pods read alike',
      async () => {
        const before = await containersByNode();
        const top = await mustKubectl('virtual', ['top', 'node', webNode, '--no-headers']);
        const after = await containersByNode();
        if (!sameCounts(before, after)) return false;
        expect(top.trim().split(/\s+/).slice(0, 2)).toEqual([webNode, `${5 * before.get(webNode)!}m`]);
        return true;
      },
      30_000,
    );
    // A host node that runs none of this virtual cluster's pods has no metrics here, shown to the
    // virtual cluster or not (checked again if one of its pods lands there meanwhile).
    for (const node of testClusters().nodes) {
      const refusal = await waitFor(
        `node ${node} read with no pod of ours on it, or with one`,
        async () => {
          const before = await containersByNode();
          const res = await kubectl('virtual', [
            'get',
            '--raw',
            `/apis/metrics.k8s.io/v1beta1/nodes/${node}`,
          ]);
          const after = await containersByNode();
          return sameCounts(before, after) && { hosts: before.has(node), code: res.code };
        },
        30_000,
      );
      if (!refusal.hosts) expect(refusal.code).not.toBe(0);
    }
    // The other suites' pods may sit on every node above: a node made now, tainted so that nothing
    // lands on it, surely runs none of this virtual cluster's pods.
    const free = uniqueName('free-node');
    await mustKubectl(
      'host',
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: free, annotations: { 'kwok.x-k8s.io/node': 'fake' } },
        spec: { taints: [{ key: 'e2e-free', effect: 'NoSchedule' }] },
      }),
    );
    try {
      const read = await kubectl('virtual', ['get', '--raw', `/apis/metrics.k8s.io/v1beta1/nodes/${free}`]);
      expect(read.code).not.toBe(0);
    } finally {
      await mustKubectl('host', ['delete', 'node', free, '--wait=false']);
    }
  }, 60_000);

  it('answers only the front proxy: a direct caller without its certificate is refused', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: proxyPort,
          path: `/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods`,
          rejectUnauthorized: false,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(401);
  });

  it('turned off, the syncer removes its registration', async () => {
    expect(await syncer.stop()).toBe(0);
    syncer = await startSyncer({ name: vc, hostNamespace: hostNs, args: [] });
    await waitFor(
      'the APIService gone',
      async () => (await getObject('virtual', ['apiservice', 'v1beta1.metrics.k8s.io'])) === undefined,
      60_000,
    );
    expect(
      await getObject('virtual', ['service', 'vsyncer-metrics-proxy', '-n', 'kube-system']),
    ).toBeUndefined();
  }, 90_000);
});
