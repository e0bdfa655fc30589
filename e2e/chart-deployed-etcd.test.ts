// The chart with a deployed etcd, installed for real (VSYNC_REAL_NODE=1): three etcd members and two
// replicas of the vanilla control plane on the real node, the members finding each other by name
// through a DNS of the host (the test host cluster has none of its own: a CoreDNS reading the host API
// stands in for it, and the pods are given it with deployedEtcd.dnsConfig and controlPlane.dnsConfig).
// Every non-root container runs as a user other than the chart's default (controlPlane.runAsUser, as
// vCluster's rootless mode and OpenShift guides set one).
// A tenant writes through the virtual API server; a member and then a control-plane replica are
// deleted, and nothing written is lost; an upgrade that changes the member count is refused;
// uninstall takes the members and their claims.
import { spawnSync } from 'node:child_process';
import { realNodePlacement, type RealNodeInfo } from '../hack/realnode/realnode.ts';
import { startCoreDns } from '../hack/realnode/dns.ts';
import { stopComponent, type ComponentSpec } from '../hack/cluster/process.ts';
import { freePort } from '../hack/cluster/ports.ts';
import { SERVICE_CIDR } from '../hack/cluster/launcher.ts';
import { hostName } from '../src/naming/names.ts';
import {
  buildAndImportImages,
  CHART_DIR,
  createDataVolume,
  helm,
  LOCAL_STORAGE_CLASS,
  localValues,
  portForward,
  releaseKubectl,
  tenantKubeconfig,
  type HostAccess,
} from '../test/harness/chart.ts';
import { testClusters, testRealNode, waitFor } from '../test/harness/clusters.ts';
import { recordMeasurement } from '../test/harness/objects.ts';
import { uniqueName } from '../test/harness/syncer.ts';

const enabled = process.env.VSYNC_REAL_NODE === '1';
const release = uniqueName('vc');
const ns = `etcd-${release}`;
const MEMBERS = 3;
const REPLICAS = 2;
/**
 * Where the host's stand-in DNS listens: an address of this machine outside the pod range, on the
 * real node's bridge (pods reach the machine through it; `down` removes the bridge and the address).
 * Port 53 of the bridge's own address is the local virtual cluster's DNS.
 */
const DNS_ADDRESS = '10.246.0.53';
/** Not the chart's default user: every non-root container of the release runs as this one (controlPlane.runAsUser). */
const USER = 4242;
const BRIDGE = 'vsync0';

interface Pod {
  metadata: { name: string; uid: string; labels?: Record<string, string> };
  status?: { phase?: string; containerStatuses?: { ready: boolean }[] };
}
interface List<T> {
  items: T[];
}

let host: HostAccess;
let node: RealNodeInfo;
let values: Record<string, unknown>;
let hostDns: ComponentSpec | undefined;
let forward: Awaited<ReturnType<typeof portForward>> | undefined;
let tenantConfig: string;
const volumes = Array.from({ length: MEMBERS }, (_, i) => `etcd-${release}-${i}`);

// kubectl as the host's admin, and as the tenant (the exported kubeconfig, through the port-forward).
const { hostCtl, hostJson, tenant, mustTenant } = releaseKubectl(
  () => host,
  () => tenantConfig,
);

/** The pods of a label selector, once `count` of them are Ready (none of `notUids`); returns them. */
function podsReady(what: string, selector: string, count: number, notUids: string[] = []) {
  return waitFor(
    what,
    async () => {
      const pods = (await hostJson<List<Pod>>(['get', 'pods', '-n', ns, '-l', selector]))?.items ?? [];
      const ready = pods.filter(
        (p) =>
          !notUids.includes(p.metadata.uid) &&
          (p.status?.containerStatuses ?? []).length > 0 &&
          p.status!.containerStatuses!.every((c) => c.ready),
      );
      return ready.length === count && ready;
    },
    300_000,
    1000,
  );
}
const membersReady = (notUids?: string[]) =>
  podsReady(
    `${MEMBERS} etcd members Ready`,
    `app.kubernetes.io/name=vsyncer-etcd,release=${release}`,
    MEMBERS,
    notUids,
  );
const controlPlaneReady = (notUids?: string[]) =>
  podsReady(
    `${REPLICAS} control-plane replicas Ready`,
    `app.kubernetes.io/name=vsyncer,release=${release}`,
    REPLICAS,
    notUids,
  );

/** Port-forward to the chart's Service and the tenant's kubeconfig through it, answering. */
async function connectTenant(): Promise<void> {
  forward?.stop();
  forward = await portForward(host, ns, release);
  const url = forward.url;
  tenantConfig = await waitFor(
    `Secret vc-${release} with the tenant kubeconfig`,
    () => tenantKubeconfig(host, ns, `vc-${release}`, url, `tenant-${ns}`),
    120_000,
  );
  await waitFor(
    'the virtual API server through the port-forward',
    async () => (await tenant(['get', 'ns'])).code === 0,
    60_000,
  );
}

/** A member's leadership and peers, from its metrics port (2381) through a port-forward. */
async function memberMetrics(
  pod: string,
): Promise<{ hasLeader: number; isLeader: number; activePeers: number }> {
  const metricsForward = await portForward(host, ns, release, { resource: `pod/${pod}`, port: 2381 });
  try {
    const text = await (await fetch(`${metricsForward.url.replace('https:', 'http:')}/metrics`)).text();
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    const activePeers = text
      .split('\n')
      .filter((line) => line.startsWith('etcd_network_active_peers{') && line.endsWith(' 1')).length;
    return {
      hasLeader: gauge('etcd_server_has_leader'),
      isLeader: gauge('etcd_server_is_leader'),
      activePeers,
    };
  } finally {
    metricsForward.stop();
  }
}

/** Creates Service `name` in the tenant's namespace shop and waits for the syncer's host copy of it. */
async function serviceSynced(name: string, timeoutMs: number): Promise<void> {
  await mustTenant(['create', 'service', 'clusterip', name, '-n', 'shop', '--tcp', '80:8080']);
  const hostService = hostName(name, 'shop', release);
  await waitFor(
    `host Service ${hostService}`,
    async () => (await hostCtl(['get', 'service', hostService, '-n', ns])).code === 0,
    timeoutMs,
  );
}

/** Writes ConfigMap `name` in the tenant's default namespace, retrying while a forward reconnects. */
async function write(name: string): Promise<void> {
  await waitFor(
    `ConfigMap ${name} written`,
    async () => {
      const res = await tenant(['create', 'configmap', name, '--from-literal', `written=${name}`]);
      if (res.code === 0 || res.stderr.includes('AlreadyExists')) return true;
      if (res.stderr.includes('connection refused') || res.stderr.includes('EOF'))
        await connectTenant().catch(() => undefined);
      return false;
    },
    120_000,
    1000,
  );
}

(enabled ? describe : describe.skip)(
  enabled
    ? 'the chart with a deployed etcd, installed for real'
    : 'the chart with a deployed etcd, installed for real (skipped: set VSYNC_REAL_NODE=1 to start the real kubelet node it runs on)',
  () => {
    beforeAll(async () => {
      const clusters = testClusters();
      node = testRealNode();
      host = { kubectl: clusters.kubectl, kubeconfig: clusters.host.kubeconfig, stateDir: clusters.stateDir };
      const images = buildAndImportImages();
      const added = spawnSync('ip', ['addr', 'replace', `${DNS_ADDRESS}/32`, 'dev', BRIDGE], {
        encoding: 'utf8',
      });
      if (added.status !== 0)
        throw new Error(`ip addr replace ${DNS_ADDRESS} dev ${BRIDGE}: ${added.stderr}`);
      hostDns = await startCoreDns(
        {
          id: `e2e/host-dns-${release}`,
          stateDir: host.stateDir,
          bindIP: DNS_ADDRESS,
          port: 53,
          readyPort: await freePort(),
          kubeconfig: host.kubeconfig,
        },
        () => undefined,
      );
      const dns = {
        dnsPolicy: 'None',
        dnsConfig: {
          nameservers: [DNS_ADDRESS],
          searches: [`${ns}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local'],
          options: [{ name: 'ndots', value: '5' }],
        },
      };
      const local = localValues(node, images, SERVICE_CIDR);
      values = {
        ...local,
        controlPlane: {
          ...(local.controlPlane as object),
          ...dns,
          runAsUser: USER,
          runAsGroup: USER,
          fsGroup: USER,
        },
        // The vanilla control plane keeps nothing of its own on a deployed etcd: no data claim.
        persistence: { enabled: false },
        syncer: { ...(local.syncer as object), replicas: REPLICAS },
        deployedEtcd: {
          enabled: true,
          replicas: MEMBERS,
          // The control-plane image has etcd where the public etcd image has it.
          image: images.controlPlane,
          imagePullPolicy: 'Never',
          persistence: {
            enabled: true,
            storageClassName: LOCAL_STORAGE_CLASS,
            size: '1Gi',
            deleteOnUninstall: true,
          },
          ...realNodePlacement(node),
          ...dns,
        },
      };
      for (const volume of volumes) await createDataVolume(host, node, volume, `${USER}:${USER}`);
      const created = await hostCtl(['create', 'namespace', ns]);
      if (created.code !== 0) throw new Error(`creating namespace ${ns}: ${created.stderr}`);
    }, 25 * 60_000);

    afterAll(async () => {
      forward?.stop();
      if (host) {
        await helm(host, ['uninstall', release, '-n', ns, '--wait']).catch(() => undefined);
        await hostCtl(['delete', 'namespace', ns, '--wait=false']);
        for (const volume of volumes) await hostCtl(['delete', 'pv', volume, '--wait=false']);
      }
      if (hostDns) await stopComponent(hostDns, 2000);
      spawnSync('ip', ['addr', 'del', `${DNS_ADDRESS}/32`, 'dev', BRIDGE]);
    }, 180_000);

    it('installs: three members form one cluster over TLS, two control-plane replicas run on it', async () => {
      const started = Date.now();
      const res = await helm(host, ['install', release, CHART_DIR, '-n', ns], values);
      expect(res.stderr).not.toMatch(/Error/);
      expect(res.code).toBe(0);
      // A member is Ready only once it is part of a quorum (its /readyz).
      await membersReady();
      await controlPlaneReady();
      recordMeasurement('chart_deployed_etcd_install_to_ready_seconds', (Date.now() - started) / 1000);
      // Every container as the user asked for, checked on the running pods.
      const pods = (await hostJson<
        List<{
          spec: {
            securityContext?: { fsGroup?: number };
            containers: { name: string; securityContext?: { runAsUser?: number } }[];
          };
        }>
      >(['get', 'pods', '-n', ns, '-l', `release=${release}`]))!.items.filter((p) =>
        p.spec.containers.some((c) => c.name !== 'coredns'),
      );
      expect(pods.length).toBe(MEMBERS + REPLICAS);
      for (const pod of pods) {
        expect(pod.spec.securityContext?.fsGroup).toBe(USER);
        expect(new Set(pod.spec.containers.map((c) => c.securityContext?.runAsUser))).toEqual(
          new Set([USER]),
        );
      }
      // Each member on a claim of its own.
      const claims = (await hostJson<List<{ metadata: { name: string }; status: { phase: string } }>>([
        'get',
        'pvc',
        '-n',
        ns,
      ]))!.items;
      expect(
        claims.filter((c) => c.metadata.name.startsWith(`data-${release}-etcd-`)).map((c) => c.status.phase),
      ).toEqual(Array(MEMBERS).fill('Bound'));
      // One cluster, not three of one member each (each of which would lead itself): exactly one
      // leader among the members, every member with one and with both others as active peers.
      const metrics = await Promise.all(
        Array.from({ length: MEMBERS }, (_, i) => memberMetrics(`${release}-etcd-${i}`)),
      );
      expect(metrics.map((m) => m.hasLeader)).toEqual(Array(MEMBERS).fill(1));
      expect(metrics.reduce((sum, m) => sum + m.isLeader, 0)).toBe(1);
      expect(metrics.map((m) => m.activePeers)).toEqual(Array(MEMBERS).fill(MEMBERS - 1));
    }, 420_000);

    it('serves the tenant from the deployed etcd, and the syncer syncs', async () => {
      await connectTenant();
      await write('before-failover');
      await mustTenant(['create', 'namespace', 'shop']);
      await serviceSynced('web', 60_000);
    }, 180_000);

    it('loses nothing when a member goes: the others keep the quorum, and it comes back on its claim', async () => {
      const before = await membersReady();
      const gone = before.find((p) => p.metadata.name === `${release}-etcd-0`)!;
      expect((await hostCtl(['delete', 'pod', gone.metadata.name, '-n', ns, '--wait=false'])).code).toBe(0);
      // Two of three members are a quorum: writes go on while the third is away.
      await write('during-member-loss');
      const after = await membersReady([gone.metadata.uid]);
      expect(
        after.some((p) => p.metadata.name === gone.metadata.name && p.metadata.uid !== gone.metadata.uid),
      ).toBe(true);
      for (const name of ['before-failover', 'during-member-loss'])
        expect(await mustTenant(['get', 'configmap', name, '-o', 'jsonpath={.data.written}'])).toBe(name);
    }, 420_000);

    it('loses nothing when a control-plane replica goes: the other serves and syncs', async () => {
      const before = await controlPlaneReady();
      const gone = before.find((p) => p.metadata.name === `${release}-0`)!;
      expect((await hostCtl(['delete', 'pod', gone.metadata.name, '-n', ns, '--wait=false'])).code).toBe(0);
      await write('during-replica-loss');
      await controlPlaneReady([gone.metadata.uid]);
      await connectTenant();
      for (const name of ['before-failover', 'during-member-loss', 'during-replica-loss'])
        expect(await mustTenant(['get', 'configmap', name, '-o', 'jsonpath={.data.written}'])).toBe(name);
      // Whichever replica leads now, the syncer still syncs.
      await serviceSynced('api', 120_000);
    }, 420_000);

    it('refuses an upgrade that changes the member count, naming how members change', async () => {
      const res = await helm(
        host,
        ['upgrade', release, CHART_DIR, '-n', ns, '--set', 'deployedEtcd.replicas=5'],
        values,
      );
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain(
        "deployedEtcd.replicas: the release's etcd has 3 members and this upgrade asks for 5",
      );
    }, 120_000);

    it('uninstall takes the members and their claims', async () => {
      forward?.stop();
      forward = undefined;
      const res = await helm(host, ['uninstall', release, '-n', ns, '--wait']);
      expect(res.code).toBe(0);
      await waitFor(
        'no etcd member, claim or Service of the release left',
        async () => {
          const left = await hostCtl([
            'get',
            'statefulsets,pods,pvc,services,secrets',
            '-n',
            ns,
            '-o',
            'name',
          ]);
          return left.code === 0 && !left.stdout.includes(`${release}-etcd`);
        },
        120_000,
        1000,
      );
    }, 180_000);
  },
);
