// The Helm chart installed for real (VSYNC_REAL_NODE=1): the syncer image built from the project's
// Dockerfile and the vanilla control plane's image, imported into the real node's runtime; `helm
// install` of charts/vsyncer into a host namespace; the control-plane pod running on the real node
// with the syncer on its in-cluster service account; a tenant using the virtual cluster through the
// kubeconfig the syncer exports and a port-forward of the chart's Service; then upgrade and
// uninstall, after which the host namespace holds nothing of the release.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { realNodePlacement, type RealNodeInfo } from '../hack/realnode/realnode.ts';
import { startCoreDns } from '../hack/realnode/dns.ts';
import { stopComponent, type ComponentSpec } from '../hack/cluster/process.ts';
import { freePort } from '../hack/cluster/ports.ts';
import { hostName } from '../src/naming/names.ts';
import { SERVICE_CIDR } from '../hack/cluster/launcher.ts';
import {
  buildAndImportImages,
  CHART_DIR,
  createDataVolume,
  helm,
  localValues,
  portForward,
  releaseKubectl,
  run,
  tenantKubeconfig,
  type ChartImages,
  type HostAccess,
} from '../test/harness/chart.ts';
import { testClusters, testRealNode, waitFor } from '../test/harness/clusters.ts';
import { metricsServerManifests } from '../test/harness/metrics-server.ts';
import { recordMeasurement } from '../test/harness/objects.ts';
import { uniqueName } from '../test/harness/syncer.ts';

const enabled = process.env.VSYNC_REAL_NODE === '1';
const release = uniqueName('vc');
const ns = `chart-${release}`;
const tenantNs = 'shop';

interface Pod {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { nodeName?: string; containers: { args?: string[] }[] };
  status?: { phase?: string; podIP?: string; containerStatuses?: { ready: boolean }[] };
}
interface List<T> {
  items: T[];
}

let host: HostAccess;
let node: RealNodeInfo;
let images: ChartImages;
let values: Record<string, unknown>;
let forward: Awaited<ReturnType<typeof portForward>> | undefined;
let tenantConfig: string;
/** The host's DNS for the fallback test: the test host cluster has none of its own. */
let hostDns: ComponentSpec | undefined;
/** The Service's node port once it is a NodePort (a random one of the default range). */
const nodePort = 30000 + Math.floor(Math.random() * 2700);

// kubectl as the host's admin, and as the tenant (the exported kubeconfig, through the port-forward).
const { hostCtl, hostJson, tenant, mustTenant } = releaseKubectl(
  () => host,
  () => tenantConfig,
);

/** Waits for a pod of the tenant's namespace to finish; resolves with its phase (Succeeded or Failed). */
function tenantPodFinished(name: string, timeoutMs: number): Promise<string> {
  return waitFor(
    `pod ${name} finished`,
    async () => {
      const p = JSON.parse(await mustTenant(['get', 'pod', name, '-n', tenantNs, '-o', 'json'])) as Pod;
      return (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && p.status.phase;
    },
    timeoutMs,
    1000,
  );
}

/** Waits for the control-plane pod to be Ready on the real node; returns it. */
async function controlPlaneReady(
  what: string,
  notUid?: string,
): Promise<Pod & { metadata: { uid: string } }> {
  return waitFor(
    what,
    async () => {
      const pod = await hostJson<Pod & { metadata: { uid: string } }>([
        'get',
        'pod',
        `${release}-0`,
        '-n',
        ns,
      ]);
      const ready = pod?.status?.containerStatuses?.every((c) => c.ready) ?? false;
      return ready && pod!.metadata.uid !== notUid && pod;
    },
    180_000,
    500,
  );
}

/** Port-forward to the chart's Service and the tenant kubeconfig pointed at it, answering. */
async function connectTenant(): Promise<void> {
  forward?.stop();
  forward = await portForward(host, ns, release);
  const url = forward.url;
  tenantConfig = await waitFor(
    `Secret vc-${release} with the tenant kubeconfig`,
    () => tenantKubeconfig(host, ns, `vc-${release}`, url),
    60_000,
  );
  await waitFor(
    'the virtual API server through the port-forward',
    async () => (await tenant(['get', 'ns'])).code === 0,
    60_000,
  );
}

/**
 * `helm upgrade` of the release with these values set over the test's; resolves with the new
 * control-plane pod once it is Ready (a values change restarts it).
 */
async function upgradeRelease(sets: string[], what = 'a new control-plane pod Ready after the upgrade') {
  const before = await controlPlaneReady('the control-plane pod Ready before the upgrade');
  const res = await helm(
    host,
    ['upgrade', release, CHART_DIR, '-n', ns, ...sets.flatMap((set) => ['--set', set])],
    values,
  );
  expect(res.code).toBe(0);
  return controlPlaneReady(what, before.metadata.uid);
}

const webDeployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: tenantNs },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        ...onRealNode(),
        containers: [
          {
            name: 'web',
            image: node.images.httpserver,
            imagePullPolicy: 'Never',
            ports: [{ containerPort: 8080 }],
          },
        ],
      },
    },
  },
});

function onRealNode() {
  return {
    ...realNodePlacement(node),
    terminationGracePeriodSeconds: 1,
  };
}

(enabled ? describe : describe.skip)(
  enabled
    ? 'the chart installed for real'
    : 'the chart installed for real (skipped: set VSYNC_REAL_NODE=1 to start the real kubelet node it runs on)',
  () => {
    beforeAll(async () => {
      const clusters = testClusters();
      node = testRealNode();
      host = { kubectl: clusters.kubectl, kubeconfig: clusters.host.kubeconfig, stateDir: clusters.stateDir };
      images = buildAndImportImages();
      values = localValues(node, images, SERVICE_CIDR);
      await createDataVolume(host, node, `data-${release}`);
      const created = await hostCtl(['create', 'namespace', ns]);
      if (created.code !== 0) throw new Error(`creating namespace ${ns}: ${created.stderr}`);
    }, 25 * 60_000);

    afterAll(async () => {
      forward?.stop();
      if (hostDns) await stopComponent(hostDns, 2000);
      if (!host) return;
      await helm(host, ['uninstall', release, '-n', ns, '--wait']).catch(() => undefined);
      await hostCtl(['delete', 'namespace', ns, '--wait=false']);
      await hostCtl(['delete', 'pv', `data-${release}`, '--wait=false']);
    }, 120_000);

    it('installs: the control-plane pod runs on the real node, the syncer on its service account', async () => {
      const started = Date.now();
      const res = await helm(host, ['install', release, CHART_DIR, '-n', ns], values);
      expect(res.stderr).not.toMatch(/Error/);
      expect(res.code).toBe(0);
      const pod = await controlPlaneReady('the control-plane pod Ready');
      recordMeasurement('chart_install_to_ready_seconds', (Date.now() - started) / 1000);
      expect(pod.spec.nodeName).toBe(node.node);
      // No host kubeconfig: the syncer's host client is the pod's service account.
      const syncer = pod.spec.containers.find((c) => (c.args ?? []).includes('start'));
      // (the only host credential in the pod is its service account's token; the sync below proves it works).
      expect(syncer?.args).toContain('--host-kubeconfig=');
    }, 300_000);

    it('gives the tenant a kubeconfig (Secret vc-<release>) that reaches the virtual API server', async () => {
      await connectTenant();
      const namespaces = await mustTenant(['get', 'namespaces', '-o', 'name']);
      expect(namespaces).toContain('namespace/kube-system');
      // It is the virtual cluster, not the host: the host namespace of the release is not there.
      expect(namespaces).not.toContain(`namespace/${ns}`);
    }, 120_000);

    it("serves the virtual API server on the pod's port 8443, where vcluster connect port-forwards (the exported kubeconfig names that port)", async () => {
      // vCluster's CLI forwards a local port to the pod's port of the exported server URL
      // (https://localhost:8443): the syncer passes that port's TCP through to the API server.
      const podForward = await portForward(host, ns, release, { resource: `pod/${release}-0`, port: 8443 });
      try {
        const exported = await hostCtl([
          'get',
          'secret',
          `vc-${release}`,
          '-n',
          ns,
          '-o',
          'jsonpath={.data.config}',
        ]);
        expect(Buffer.from(exported.stdout, 'base64').toString('utf8')).toContain(
          'server: https://localhost:8443',
        );
        const config = await tenantKubeconfig(host, ns, `vc-${release}`, podForward.url, 'tenant-pod-port');
        const res = await run(host.kubectl, ['--kubeconfig', config!, 'get', 'namespaces', '-o', 'name']);
        expect(res.stderr).toBe('');
        expect(res.stdout).toContain('namespace/kube-system');
        expect(res.stdout).not.toContain(`namespace/${ns}`);
      } finally {
        podForward.stop();
      }
    }, 120_000);

    it('runs a Deployment and a Service on the real node; a virtual pod reaches it by DNS name', async () => {
      // The virtual cluster's DNS, which the syncer deploys for the vanilla control plane, placed on the
      // real node as a cluster admin would place it (the syncer creates it once and leaves it to them).
      await waitFor(
        'the CoreDNS Deployment in virtual kube-system',
        async () => (await tenant(['get', 'deployment', 'coredns', '-n', 'kube-system'])).code === 0,
        60_000,
      );
      await mustTenant([
        'patch',
        'deployment',
        'coredns',
        '-n',
        'kube-system',
        '--type=merge',
        '-p',
        JSON.stringify({ spec: { template: { spec: onRealNode() } } }),
      ]);
      await mustTenant(['create', 'namespace', tenantNs]);
      await mustTenant(['apply', '-f', '-'], JSON.stringify(webDeployment()));
      await mustTenant(['expose', 'deployment', 'web', '-n', tenantNs, '--port=80', '--target-port=8080']);
      const pods = await waitFor(
        'two web pods Running in the virtual cluster',
        async () => {
          const list = JSON.parse(
            await mustTenant(['get', 'pods', '-n', tenantNs, '-l', 'app=web', '-o', 'json']),
          ) as List<Pod>;
          return (
            list.items.length === 2 && list.items.every((p) => p.status?.phase === 'Running') && list.items
          );
        },
        180_000,
        1000,
      );
      // The host copies run on the real node, in the release's namespace.
      const hostPods = (await hostJson<List<Pod>>([
        'get',
        'pods',
        '-n',
        ns,
        '-l',
        'vcluster.loft.sh/managed-by=' + release,
      ]))!.items;
      expect(
        hostPods.filter(
          (p) =>
            p.metadata.name.startsWith('web-') &&
            p.status?.phase === 'Running' &&
            p.spec.nodeName === node.node,
        ),
      ).toHaveLength(2);
      const clusterIP = (
        await mustTenant(['get', 'service', 'web', '-n', tenantNs, '-o', 'jsonpath={.spec.clusterIP}'])
      ).trim();
      expect(clusterIP).toMatch(/^10\.96\./);
      await waitFor(
        'CoreDNS Ready on the real node',
        async () => {
          const list = JSON.parse(
            await mustTenant(['get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-dns', '-o', 'json']),
          ) as List<Pod>;
          return list.items.some((p) => p.status?.containerStatuses?.every((c) => c.ready));
        },
        180_000,
        1000,
      );
      const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
      const getter = (name: string, args: string[]) => ({
        name,
        image: node.images.httpserver,
        imagePullPolicy: 'Never',
        args: [...args, '-retry', '90s', '-timeout', '3s'],
      });
      const client = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'client', namespace: tenantNs },
        spec: {
          ...onRealNode(),
          restartPolicy: 'Never',
          containers: [
            // The Service by its name, through the virtual DNS.
            getter('web', ['-get', `http://web.${tenantNs}.svc.cluster.local/`]),
            // The virtual API server by the IP in KUBERNETES_SERVICE_HOST, verified against the pod's CA
            // for that IP (no server-name override): the serving certificate must name it.
            getter('api', [
              '-get',
              'https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)/version',
              '-token-file',
              `${sa}/token`,
              '-ca-file',
              `${sa}/ca.crt`,
            ]),
          ],
        },
      };
      await mustTenant(['apply', '-f', '-'], JSON.stringify(client));
      const phase = await tenantPodFinished('client', 120_000);
      // kubectl logs through the virtual API server, the syncer's kubelet API and the real kubelet.
      const logs = await mustTenant(['logs', 'client', '-n', tenantNs, '-c', 'web']);
      const api = await mustTenant(['logs', 'client', '-n', tenantNs, '-c', 'api']);
      expect({ phase, logs, api }).toMatchObject({ phase: 'Succeeded' });
      // The real kubelet's refusal (no previous container) names the host pod: the tenant reads its own.
      const previous = await tenant(['logs', 'client', '-n', tenantNs, '-c', 'web', '--previous']);
      expect(previous.code).not.toBe(0);
      expect(previous.stderr).toContain('previous terminated container "web" in pod "client" not found');
      expect(previous.stderr).not.toContain('-x-');
      // httpserver answers with its hostname: one of the two web pods (a host pod keeps its virtual name as hostname).
      const hostname = /hostname=(\S+)/.exec(logs)?.[1];
      expect(pods.map((p) => p.metadata.name)).toContain(hostname);
      // (earlier attempts may have logged errors: kube-proxy and CoreDNS take a moment for new endpoints)
      expect(api).toMatch(/"gitVersion":\s*"v1\.37\./);
    }, 400_000);

    it("answers node statistics through the virtual API server with the tenant's pod names (kubectl top's source)", async () => {
      // The virtual node the web pods run on advertises the control-plane pod's IP (a loopback address
      // would be refused by the API server's node proxy), with a certificate issued for it at pod start.
      const pod = JSON.parse(
        await mustTenant(['get', 'pods', '-n', tenantNs, '-l', 'app=web', '-o', 'json']),
      ) as List<Pod>;
      const nodeName = pod.items[0]!.spec.nodeName!;
      const summary = await waitFor(
        `/stats/summary of virtual node ${nodeName} naming the web pods`,
        async () => {
          const res = await tenant(['get', '--raw', `/api/v1/nodes/${nodeName}/proxy/stats/summary`]);
          if (res.code !== 0) throw new Error(res.stderr);
          const body = JSON.parse(res.stdout) as { pods: { podRef: { namespace: string; name: string } }[] };
          const names = body.pods.map((p) => `${p.podRef.namespace}/${p.podRef.name}`);
          return pod.items.every((p) => names.includes(`${tenantNs}/${p.metadata.name}`)) && names;
        },
        90_000,
        2000,
      );
      // Only this virtual cluster's pods, under their virtual names: not the control plane's own pod.
      for (const name of summary) expect(name).not.toMatch(/-x-|^chart-/);
      const metrics = await mustTenant(['get', '--raw', `/api/v1/nodes/${nodeName}/proxy/metrics/resource`]);
      const podLines = metrics.split('\n').filter((l) => l.startsWith('pod_cpu_usage_seconds_total{'));
      expect(podLines.some((l) => l.includes(`namespace="${tenantNs}"`) && l.includes('pod="web-'))).toBe(
        true,
      );
      for (const line of podLines) expect(line).not.toMatch(/-x-/);
      // cAdvisor's series (Prometheus's kubelet job): the web pods' containers, renamed; none of the
      // host's own cgroups or other pods.
      // (cAdvisor finds a new pod's cgroup on its next housekeeping pass: it may take a few seconds.)
      const series = await waitFor(
        "cAdvisor's series of the web pods",
        async () => {
          const cadvisor = await mustTenant([
            'get',
            '--raw',
            `/api/v1/nodes/${nodeName}/proxy/metrics/cadvisor`,
          ]);
          const lines = cadvisor
            .split('\n')
            .filter((l) => l.startsWith('container_cpu_usage_seconds_total{'));
          return lines.some((l) => l.includes(`namespace="${tenantNs}"`) && l.includes('pod="web-')) && lines;
        },
        60_000,
        2000,
      );
      for (const line of series) {
        expect(line).toMatch(new RegExp(`namespace="(${tenantNs}|kube-system)"`));
        expect(line).not.toMatch(/pod=""|-x-/);
      }
    }, 180_000);

    it("serves an aggregated API (an APIService, as metrics-server's) through the virtual API server's front proxy", async () => {
      // An HTTPS server of the tenant's that answers with the client certificate and the user the
      // front proxy names; the APIService points the group at its Service.
      const manifests = [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'whoami', namespace: tenantNs, labels: { app: 'whoami' } },
          spec: {
            ...onRealNode(),
            containers: [
              {
                name: 'whoami',
                image: node.images.httpserver,
                imagePullPolicy: 'Never',
                args: ['-tls', '-listen', ':8443'],
                ports: [{ containerPort: 8443 }],
              },
            ],
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'whoami', namespace: tenantNs },
          spec: { selector: { app: 'whoami' }, ports: [{ port: 443, targetPort: 8443 }] },
        },
        {
          apiVersion: 'apiregistration.k8s.io/v1',
          kind: 'APIService',
          metadata: { name: 'v1.whoami.example.com' },
          spec: {
            group: 'whoami.example.com',
            version: 'v1',
            service: { namespace: tenantNs, name: 'whoami', port: 443 },
            insecureSkipTLSVerify: true,
            groupPriorityMinimum: 1000,
            versionPriority: 15,
          },
        },
      ];
      await mustTenant(
        ['apply', '-f', '-'],
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests }),
      );
      await waitFor(
        'APIService v1.whoami.example.com Available',
        async () => {
          const available = await tenant([
            'get',
            'apiservice',
            'v1.whoami.example.com',
            '-o',
            'jsonpath={.status.conditions[?(@.type=="Available")].status}',
          ]);
          return available.stdout.trim() === 'True';
        },
        180_000,
        2000,
      );
      const answer = await mustTenant(['get', '--raw', '/apis/whoami.example.com/v1/me']);
      expect(answer).toContain('path=/apis/whoami.example.com/v1/me');
      // The API server proves itself with the chart's front-proxy client certificate and names the
      // tenant's user, whom it authenticated.
      expect(answer).toContain('client-cert=front-proxy-client');
      expect(answer).toMatch(/^x-remote-user=\S+$/m);
      expect(answer).toMatch(/^x-remote-group=.*system:authenticated/m);
      await mustTenant(['delete', 'apiservice', 'v1.whoami.example.com']);
      await mustTenant(['delete', 'pod', 'whoami', '-n', tenantNs, '--wait=false']);
    }, 240_000);

    it("runs a tenant's metrics-server: kubectl top reads the web pods and their node through the syncer's kubelet", async () => {
      // As released, without --kubelet-insecure-tls: the syncer's kubelet certificate is of the cluster
      // CA, which metrics-server checks it against.
      const manifests = metricsServerManifests(images.metricsServer, onRealNode());
      await mustTenant(
        ['apply', '-f', '-'],
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests }),
      );
      // metrics-server scrapes every virtual node's /metrics/resource (its own port, with its service
      // account's token) and answers the metrics API through the aggregation layer.
      const top = await waitFor(
        'kubectl top pods naming the web pods',
        async () => {
          const res = await tenant(['top', 'pods', '-n', tenantNs, '-l', 'app=web', '--no-headers']);
          const lines = res.stdout.split('\n').filter((l) => /^web-\S+\s+\d+m\s+\d+Mi/.test(l));
          return res.code === 0 && lines.length === 2 && lines;
        },
        300_000,
        5000,
      );
      expect(top).toHaveLength(2);
      const webNode = (
        await mustTenant([
          'get',
          'pods',
          '-n',
          tenantNs,
          '-l',
          'app=web',
          '-o',
          'jsonpath={.items[0].spec.nodeName}',
        ])
      ).trim();
      // A node's usage is a rate over two scrapes (15 s apart); a pod's first comes from its start.
      const nodes = await waitFor(
        `kubectl top node ${webNode}`,
        async () => {
          const res = await tenant(['top', 'node', webNode, '--no-headers']);
          return res.code === 0 && res.stdout;
        },
        120_000,
        5000,
      );
      expect(nodes).toMatch(new RegExp(`^${webNode}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi`, 'm'));
      await mustTenant(
        ['delete', '-f', '-'],
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests }),
      );
    }, 360_000);

    it("serves kubectl top from the host's metrics-server with syncer.metricsServerProxy, through the chart's RBAC", async () => {
      // A real metrics-server on the host, scraping the real node's kubelet.
      const hostMetrics = JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: metricsServerManifests(images.metricsServer, onRealNode(), { kubeletInsecureTls: true }),
      });
      const applied = await hostCtl(['apply', '-f', '-'], hostMetrics);
      expect(applied.code).toBe(0);
      try {
        let lastTop = '';
        await waitFor(
          'the host metrics API answering for the web pods',
          async () => {
            const res = await hostCtl(['top', 'pods', '-n', ns, '--no-headers']);
            lastTop = res.stdout + res.stderr;
            return res.code === 0 && res.stdout.includes(`-x-${tenantNs}-x-`);
          },
          240_000,
          5000,
        ).catch(async (err: Error) => {
          // What the host's metrics-server was doing, to tell its failure from the syncer's.
          const pods = await hostCtl([
            'get',
            'pods',
            '-n',
            'kube-system',
            '-l',
            'k8s-app=metrics-server',
            '-o',
            'wide',
          ]);
          const logs = await hostCtl(['logs', '-n', 'kube-system', 'deploy/metrics-server', '--tail=30']);
          const api = await hostCtl([
            'get',
            'apiservice',
            'v1beta1.metrics.k8s.io',
            '-o',
            'jsonpath={.status}',
          ]);
          throw new Error(
            `${err.message}\nkubectl top: ${lastTop}\npods: ${pods.stdout}${pods.stderr}\nlogs: ${logs.stdout}${logs.stderr}\napiservice: ${api.stdout}`,
            { cause: err },
          );
        });
        await upgradeRelease(['syncer.metricsServerProxy.enabled=true']);
        await connectTenant();
        const top = await waitFor(
          'kubectl top pods in the virtual cluster naming the web pods',
          async () => {
            const r = await tenant(['top', 'pods', '-n', tenantNs, '--no-headers']);
            const lines = r.stdout.split('\n').filter((l) => l.trim());
            const web = lines.filter((l) => /^web-\S+\s+\d+m\s+\d+Mi$/.test(l.trim()));
            return r.code === 0 && web.length === 2 && lines;
          },
          180_000,
          5000,
        );
        // Only the tenant's pods, under their virtual names.
        const tenantPods = (await mustTenant(['get', 'pods', '-n', tenantNs, '-o', 'name']))
          .trim()
          .split('\n')
          .map((n) => n.replace('pod/', ''));
        expect(top.map((l) => l.split(/\s+/)[0]).filter((n) => !tenantPods.includes(n!))).toEqual([]);
        const nodes = await mustTenant(['top', 'node', '--no-headers']);
        expect(nodes).toMatch(new RegExp(`^${node.node}\\s+\\d+m\\s+\\d+%`, 'm'));
      } finally {
        await hostCtl(['delete', '-f', '-', '--ignore-not-found'], hostMetrics);
      }
    }, 600_000);

    it("resolves the host's Services by name with syncer.fallbackHostDns (vCluster's fallbackHostCluster)", async () => {
      // The test host cluster has no DNS: a CoreDNS reading the host API stands in for it, on the bridge
      // (port 53 there is the hack cluster's virtual DNS).
      hostDns = await startCoreDns(
        {
          id: `e2e/host-dns-${release}`,
          stateDir: host.stateDir,
          bindIP: node.gateway,
          port: 5353,
          readyPort: await freePort(),
          kubeconfig: host.kubeconfig,
        },
        () => undefined,
      );
      // The host copy of the tenant's web Service: a name only the host's DNS knows.
      const hostService = hostName('web', tenantNs, release);
      const hostIP = (await hostJson<{ spec: { clusterIP: string } }>([
        'get',
        'service',
        hostService,
        '-n',
        ns,
      ]))!.spec.clusterIP;
      const lookup = async (name: string, retry: string) => {
        await mustTenant(
          ['apply', '-f', '-'],
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name, namespace: tenantNs },
            spec: {
              ...onRealNode(),
              restartPolicy: 'Never',
              containers: [
                {
                  name: 'get',
                  image: node.images.httpserver,
                  imagePullPolicy: 'Never',
                  // <service>.<host namespace>, through the pod's search path.
                  args: [
                    '-get',
                    `http://${hostService}.${ns}/`,
                    '-resolve',
                    '-retry',
                    retry,
                    '-timeout',
                    '3s',
                  ],
                },
              ],
            },
          }),
        );
        const phase = await tenantPodFinished(name, 300_000);
        const logs = await tenant(['logs', name, '-n', tenantNs]);
        return { phase, logs: logs.stdout + logs.stderr };
      };
      // Without the fallback the virtual DNS has no such name.
      const without = await lookup('host-name-off', '10s');
      expect(without.phase).toBe('Failed');
      expect(without.logs).toMatch(/error: resolving:.*no such host/);
      // (The next test reaches the API server through the NodePort set here: one restart for both.)
      await upgradeRelease([
        `syncer.fallbackHostDns=${node.gateway}:5353`,
        'controlPlane.service.spec.type=NodePort',
        `controlPlane.service.httpsNodePort=${nodePort}`,
        `controlPlane.proxy.extraSANs[0]=${node.nodeIP}`,
        `exportKubeconfig.server=https://${node.nodeIP}:${nodePort}`,
      ]);
      await connectTenant();
      await waitFor(
        "the virtual CoreDNS's Corefile forwarding to the host DNS",
        async () =>
          (
            await mustTenant([
              'get',
              'configmap',
              'coredns',
              '-n',
              'kube-system',
              '-o',
              'jsonpath={.data.Corefile}',
            ])
          ).includes(`forward . ${node.gateway}:5353`),
        120_000,
      );
      // CoreDNS reads the new Corefile once the kubelet refreshes its volume (about a minute).
      const withFallback = await lookup('host-name-on', '240s');
      expect(withFallback).toMatchObject({ phase: 'Succeeded' });
      expect(withFallback.logs).toContain(`resolved=${hostIP}`);
      expect(withFallback.logs).toMatch(/hostname=web-/);
    }, 900_000);

    it('reaches the virtual API server from outside through a NodePort, with the exported kubeconfig as it is', async () => {
      const service = (await hostJson<{ spec: { type: string; ports: { nodePort?: number }[] } }>([
        'get',
        'service',
        release,
        '-n',
        ns,
      ]))!;
      expect(service.spec).toMatchObject({ type: 'NodePort', ports: [{ nodePort }] });
      // The kubeconfig the syncer exports names the node's address, whose certificate (k3s's --tls-san, the
      // vanilla API server's issued at pod start) names it too: kubectl verifies it, no port-forward.
      const outside = await waitFor(
        'the exported kubeconfig naming the NodePort address',
        async () => {
          const file = await tenantKubeconfig(
            host,
            ns,
            `vc-${release}`,
            `https://${node.nodeIP}:${nodePort}`,
          );
          const exported = (
            await hostCtl(['get', 'secret', `vc-${release}`, '-n', ns, '-o', 'jsonpath={.data.config}'])
          ).stdout;
          return (
            Buffer.from(exported, 'base64')
              .toString()
              .includes(`server: https://${node.nodeIP}:${nodePort}`) && file
          );
        },
        60_000,
      );
      const res = await waitFor(
        'kubectl through the NodePort',
        async () => {
          const r = await run(host.kubectl, [
            '--kubeconfig',
            outside,
            'get',
            'namespace',
            tenantNs,
            '-o',
            'name',
          ]);
          return r.code === 0 && r;
        },
        60_000,
      );
      expect(res.stdout.trim()).toBe(`namespace/${tenantNs}`);
      // (tenantKubeconfig wrote the file the port-forward's kubeconfig lives in: write that back.)
      await connectTenant();
    }, 120_000);

    it("runs the syncer with exactly the chart's Role: a Secret of another namespace is refused", async () => {
      const token = (await hostCtl(['create', 'token', release, '-n', ns])).stdout.trim();
      expect(token).not.toBe('');
      // The host kubeconfig with the token as its only credential (a client certificate would win).
      const kubeconfig = parseYaml(readFileSync(host.kubeconfig, 'utf8')) as { users: { user: unknown }[] };
      for (const u of kubeconfig.users) u.user = { token };
      const asFile = join(host.stateDir, `sa-${release}.kubeconfig`);
      writeFileSync(asFile, stringifyYaml(kubeconfig), { mode: 0o600 });
      const as = (args: string[]) => run(host.kubectl, ['--kubeconfig', asFile, ...args]);
      expect((await as(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])).stdout).toBe(
        `system:serviceaccount:${ns}:${release}`,
      );
      // Within the Role: its own namespace's Secrets and Pods.
      expect((await as(['get', 'secrets', '-n', ns])).code).toBe(0);
      expect((await as(['get', 'pods', '-n', ns])).code).toBe(0);
      // Outside it: Secrets of another namespace, cluster-wide Secrets, writes to another namespace.
      for (const args of [
        ['get', 'secrets', '-n', 'kube-system'],
        ['get', 'secrets', '--all-namespaces'],
        ['create', 'configmap', 'x', '-n', 'default'],
        ['get', 'namespaces'],
      ]) {
        const res = await as(args);
        expect({ args, code: res.code, forbidden: /forbidden/i.test(res.stderr) }).toEqual({
          args,
          code: 1,
          forbidden: true,
        });
      }
    }, 60_000);

    it('upgrades (a values change restarts the pod) and keeps the virtual cluster and its workloads', async () => {
      const after = await upgradeRelease(['syncer.logLevel=debug']);
      expect(after.spec.containers.find((c) => (c.args ?? []).includes('start'))?.args).toContain(
        '--log-level=debug',
      );
      await connectTenant();
      // The data survived (etcd on the claim): the tenant's objects are still there, the pods still Running.
      const deployments = await mustTenant(['get', 'deployments', '-n', tenantNs, '-o', 'name']);
      expect(deployments.trim()).toBe('deployment.apps/web');
      await waitFor(
        'the web pods Running after the upgrade',
        async () => {
          const list = JSON.parse(
            await mustTenant(['get', 'pods', '-n', tenantNs, '-l', 'app=web', '-o', 'json']),
          ) as List<Pod>;
          return list.items.length === 2 && list.items.every((p) => p.status?.phase === 'Running');
        },
        120_000,
        1000,
      );
    }, 400_000);

    it('upgrades to the virtual scheduler: the vanilla control plane runs kube-scheduler, which places a new pod on the real node it is shown', async () => {
      const after = await upgradeRelease(
        [
          'syncer.logLevel=debug',
          'syncer.virtualScheduler=true',
          'syncer.syncRealNodes=true',
          `syncer.nodeSelector=${node.label}`,
        ],
        'a control-plane pod with kube-scheduler Ready',
      );
      expect(after.spec.containers.map((c) => (c as { name?: string }).name)).toContain('kube-scheduler');
      await connectTenant();
      await mustTenant(
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'placed', namespace: tenantNs },
          spec: {
            ...onRealNode(),
            containers: [{ name: 'web', image: node.images.httpserver, imagePullPolicy: 'Never' }],
          },
        }),
      );
      const placed = await waitFor(
        'the pod placed by the virtual scheduler, Running',
        async () => {
          const pod = JSON.parse(
            await mustTenant(['get', 'pod', 'placed', '-n', tenantNs, '-o', 'json']),
          ) as Pod;
          return pod.status?.phase === 'Running' && pod;
        },
        180_000,
        1000,
      );
      expect(placed.spec.nodeName).toBe(node.node);
      // Bound in the virtual cluster by its own scheduler, not by the syncer after the host's.
      const events = await mustTenant([
        'get',
        'events',
        '-n',
        tenantNs,
        '--field-selector',
        'involvedObject.name=placed,reason=Scheduled',
        '-o',
        'jsonpath={.items[*].reportingComponent}{.items[*].source.component}',
      ]);
      expect(events).toContain('default-scheduler');
      await mustTenant(['delete', 'pod', 'placed', '-n', tenantNs, '--wait=false']);
    }, 400_000);

    it('uninstalls and leaves nothing of the release in the host namespace', async () => {
      forward?.stop();
      forward = undefined;
      const res = await helm(host, ['uninstall', release, '-n', ns, '--wait']);
      expect(res.code).toBe(0);
      const kinds =
        'pods,services,endpoints,configmaps,secrets,serviceaccounts,persistentvolumeclaims,statefulsets,roles,rolebindings,networkpolicies,resourcequotas,limitranges';
      const left = await waitFor(
        'the host namespace emptied of the release',
        async () => {
          const list = (await hostJson<List<{ kind: string; metadata: { name: string } }>>([
            'get',
            kinds,
            '-n',
            ns,
          ]))!;
          const rest = list.items
            .map((o) => `${o.kind}/${o.metadata.name}`)
            // What every namespace has, whoever uses it.
            .filter((k) => k !== 'ConfigMap/kube-root-ca.crt' && k !== 'ServiceAccount/default');
          return rest.length === 0 ? rest : false;
        },
        180_000,
        1000,
      );
      expect(left).toEqual([]);
    }, 300_000);
  },
);
