import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../hack/cluster/ports.ts';
import { hostName } from '../src/naming/names.ts';
import { testClusters, waitFor } from '../test/harness/clusters.ts';
import { apply, createTenantNamespace, getObject, mustKubectl } from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

/**
 * --virtual-scheduler: a kube-scheduler of the virtual cluster's own (as k3s runs one with the chart's
 * syncer.virtualScheduler) places tenant pods on the copies of the host's kwok nodes; the syncer
 * sends each pod, once bound, to that node. The scheduler runs only for this suite.
 */
interface Pod {
  metadata: { name: string };
  spec: { nodeName?: string; affinity?: unknown; nodeSelector?: Record<string, string> };
  status?: { phase?: string };
}

const vc = uniqueName('vsched');
const hostNs = `host-${vc}`;
const ns = uniqueName('apps');
/** A host namespace of the host's own, whose pods take room on a node the virtual scheduler sees. */
const othersNs = uniqueName('host-apps');
/** A host class binding on first use, which no provisioner serves: the test provisions its volume. */
const lateClass = uniqueName('late');
const lateVolume = `pv-${vc}`;
let syncer: SyncerProcess;
let scheduler: ChildProcess | undefined;
let certDir: string;

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  await createTenantNamespace(ns);
  await mustKubectl('host', ['create', 'namespace', othersNs]);
  await apply('host', {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: lateClass },
    provisioner: 'example.com/no-provisioner',
    volumeBindingMode: 'WaitForFirstConsumer',
  });
  syncer = await startSyncer({
    name: vc,
    hostNamespace: hostNs,
    // The host's classes come with the virtual scheduler (it reads a claim's binding mode from them).
    args: ['--virtual-scheduler', '--sync-real-nodes', '--node-selector=type=kwok'],
  });
  const clusters = testClusters();
  const kubeconfig = clusters.virtual.kubeconfig;
  certDir = mkdtempSync(join(tmpdir(), 'virtual-scheduler-'));
  scheduler = spawn(
    join(clusters.binDirs.kubernetes, 'kube-scheduler'),
    [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${await freePort()}`,
      `--cert-dir=${certDir}`,
      '--leader-elect=false',
    ],
    { stdio: 'ignore' },
  );
}, 120_000);

afterAll(async () => {
  scheduler?.kill('SIGTERM');
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await mustKubectl('host', ['delete', 'namespace', othersNs, '--wait=false']).catch(() => undefined);
  await syncer?.stop();
  rmSync(certDir, { recursive: true, force: true });
  await mustKubectl('host', ['delete', 'pv', lateVolume, '--ignore-not-found', '--wait=false']);
  await mustKubectl('host', ['delete', 'storageclass', lateClass, '--ignore-not-found']);
});

interface Claim {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { volumeName?: string };
  status?: { phase?: string };
}
const virtualPod = (name: string) => getObject<Pod>('virtual', ['pod', name, '-n', ns]);
const hostPod = (name: string) => getObject<Pod>('host', ['pod', hostName(name, ns, vc), '-n', hostNs]);

/** A tenant pod of one container, with the node selector and what else its spec is given. */
const applyTenantPod = (name: string, spec: Record<string, unknown>) =>
  apply('virtual', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { containers: [{ name: 'main', image: 'registry.local/app:1' }], ...spec },
  });

/** The message of the pod's PodScheduled condition once the virtual scheduler found it unschedulable. */
const unschedulableMessage = (name: string, what: string) =>
  waitFor(
    what,
    async () => {
      const pod = await getObject<{
        status?: { conditions?: { type: string; reason?: string; message?: string }[] };
      }>('virtual', ['pod', name, '-n', ns]);
      const scheduled = pod?.status?.conditions?.find((c) => c.type === 'PodScheduled');
      return scheduled?.reason === 'Unschedulable' && (scheduled.message ?? '');
    },
    60_000,
  );

describe('--virtual-scheduler', () => {
  it('the virtual scheduler places a pod on a real node it sees; the host pod runs on that node, and the pod is Running', async () => {
    // The tenant asks for one node by its label: only the virtual scheduler, which sees the copies, decides.
    await applyTenantPod('placed', { nodeSelector: { 'kubernetes.io/hostname': 'kwok-node-2' } });
    const running = await waitFor(
      'the pod Running in the virtual cluster',
      async () => {
        const pod = await virtualPod('placed');
        return pod?.status?.phase === 'Running' && pod;
      },
      90_000,
    );
    expect(running.spec.nodeName).toBe('kwok-node-2');
    const host = (await hostPod('placed'))!;
    expect(host.spec.nodeName).toBe('kwok-node-2');
    // The host copy asks only for that node and the admin's enforced selector: the tenant's own was the
    // virtual scheduler's to apply.
    expect(host.spec.nodeSelector).toEqual({ type: 'kwok' });
    expect(JSON.stringify(host.spec.affinity)).toContain('kwok-node-2');
  }, 120_000);

  it('a pod the virtual scheduler cannot place stays Pending there, and never reaches the host', async () => {
    await applyTenantPod('unplaceable', { nodeSelector: { 'example.com/no-such-label': 'x' } });
    await unschedulableMessage('unplaceable', 'the virtual scheduler to report the pod unschedulable');
    expect((await virtualPod('unplaceable'))?.spec.nodeName).toBeUndefined();
    expect(await hostPod('unplaceable')).toBeUndefined();
  }, 90_000);

  it('a node the tenant cordons stays cordoned: the virtual scheduler places nothing there until it is uncordoned', async () => {
    await mustKubectl('virtual', ['cordon', 'kwok-node-2']);
    await applyTenantPod('cordoned', { nodeSelector: { 'kubernetes.io/hostname': 'kwok-node-2' } });
    const reason = await unschedulableMessage(
      'cordoned',
      'the virtual scheduler to find kwok-node-2 unschedulable',
    );
    expect(reason).toMatch(/unschedulable/);
    const node = await getObject<{ spec?: { unschedulable?: boolean } }>('virtual', ['node', 'kwok-node-2']);
    expect(node?.spec?.unschedulable).toBe(true);
    expect(await hostPod('cordoned')).toBeUndefined();
    await mustKubectl('virtual', ['uncordon', 'kwok-node-2']);
    await waitFor(
      'the pod placed once the node is uncordoned',
      async () => (await virtualPod('cordoned'))?.spec.nodeName === 'kwok-node-2',
      90_000,
    );
  }, 180_000);

  it("a node's room is what the host's own pods leave of it: a pod that would not fit there is not placed there", async () => {
    // The host's own pod on kwok-node-1 requests all but 100m of its 32 cpus.
    await apply('host', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'hog', namespace: othersNs },
      spec: {
        nodeName: 'kwok-node-1',
        containers: [
          { name: 'main', image: 'registry.local/hog:1', resources: { requests: { cpu: '31900m' } } },
        ],
      },
    });
    const cpuLeft = await waitFor(
      "kwok-node-1's copy showing what the host's pod leaves",
      async () => {
        const node = await getObject<{ status?: { allocatable?: { cpu?: string } } }>('virtual', [
          'node',
          'kwok-node-1',
        ]);
        const cpu = node?.status?.allocatable?.cpu;
        const milli = cpu?.endsWith('m') ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000;
        return milli <= 100 ? { milli } : false;
      },
      60_000,
    );
    // 32 cpus less the host pod's 31.9 (less any other suite's pods there), never below zero. (At most
    // 100m is what the wait above waited for: it fails when the copy never shows it.)
    expect(cpuLeft.milli).toBeGreaterThanOrEqual(0);
    await applyTenantPod('no-room', {
      nodeSelector: { 'kubernetes.io/hostname': 'kwok-node-1' },
      containers: [{ name: 'main', image: 'registry.local/app:1', resources: { requests: { cpu: '500m' } } }],
    });
    const reason = await unschedulableMessage(
      'no-room',
      'the virtual scheduler to find no room on kwok-node-1',
    );
    expect(reason).toMatch(/Insufficient cpu/);
    expect(await hostPod('no-room')).toBeUndefined();
  }, 150_000);

  it('a claim of a WaitForFirstConsumer class is provisioned on the node the virtual scheduler chose, and the pod runs there', async () => {
    await waitFor(
      'the host class in the virtual cluster',
      () => getObject('virtual', ['storageclass', lateClass]),
      60_000,
    );
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'late-data', namespace: ns },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        storageClassName: lateClass,
      },
    });
    await applyTenantPod('with-volume', {
      nodeSelector: { 'kubernetes.io/hostname': 'kwok-node-0' },
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'late-data' } }],
    });
    // The virtual scheduler picks the node and says so on the claim; its copy carries the choice to the
    // host, whose provisioner (here the test) makes the volume there.
    const hostClaimName = hostName('late-data', ns, vc);
    const hostClaim = await waitFor(
      'the host claim carrying the selected node',
      async () => {
        const c = await getObject<Claim>('host', ['pvc', hostClaimName, '-n', hostNs]);
        return c?.metadata.annotations?.['volume.kubernetes.io/selected-node'] ? c : undefined;
      },
      90_000,
    );
    expect(hostClaim.metadata.annotations?.['volume.kubernetes.io/selected-node']).toBe('kwok-node-0');
    // Until the volume is there the pod waits, bound to no node and absent from the host.
    expect((await virtualPod('with-volume'))?.spec.nodeName).toBeUndefined();
    expect(await hostPod('with-volume')).toBeUndefined();
    await apply('host', {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: lateVolume },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: lateClass,
        persistentVolumeReclaimPolicy: 'Delete',
        hostPath: { path: `/tmp/${vc}` },
        claimRef: { namespace: hostNs, name: hostClaimName },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: 'kubernetes.io/hostname', operator: 'In', values: ['kwok-node-0'] },
                ],
              },
            ],
          },
        },
      },
    });
    await waitFor(
      'the virtual claim Bound',
      async () =>
        (await getObject<Claim>('virtual', ['pvc', 'late-data', '-n', ns]))?.status?.phase === 'Bound',
      90_000,
    );
    const running = await waitFor(
      'the pod Running on the chosen node',
      async () => {
        const pod = await virtualPod('with-volume');
        return pod?.status?.phase === 'Running' && pod;
      },
      120_000,
    );
    expect(running.spec.nodeName).toBe('kwok-node-0');
    expect((await hostPod('with-volume'))?.spec.nodeName).toBe('kwok-node-0');
  }, 300_000);
});
