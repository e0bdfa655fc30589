import { isDeepStrictEqual } from 'node:util';
import { hostName } from '../src/naming/names.ts';
import { waitFor } from '../test/harness/clusters.ts';
import { createTenantNamespace, getObject, mustKubectl, waitForEvents } from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

/**
 * In-place pod resize (`kubectl patch --subresource resize`) between two real API servers. The host
 * nodes are kwok's, which report no container resources; here the test does what a host kubelet
 * does (reports the running container's resources and the generation it saw), since both API
 * servers allow a resize only of a pod whose kubelet reports them. VSYNC_REAL_NODE runs the same
 * against a real kubelet (e2e/real-traffic.test.ts).
 */
type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };
interface Pod {
  metadata: { name: string; generation?: number; resourceVersion?: string };
  spec: { containers: { name: string; resources?: Resources }[]; nodeName?: string };
  status?: {
    phase?: string;
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: { name: string; resources?: Resources; state?: Record<string, unknown> }[];
  };
}

const vc = uniqueName('resize');
const hostNs = `host-${vc}`;
const ns = uniqueName('apps');
let syncer: SyncerProcess;
const hostPodName = (name: string) => hostName(name, ns, vc);
const virtualPod = (name: string) => getObject<Pod>('virtual', ['pod', name, '-n', ns]);
const hostPod = (name: string) => getObject<Pod>('host', ['pod', hostPodName(name), '-n', hostNs]);
const cpuOf = (pod: Pod | undefined) => pod?.spec.containers[0]?.resources;

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  await createTenantNamespace(ns);
  syncer = await startSyncer({ name: vc, hostNamespace: hostNs });
}, 180_000);

afterAll(async () => {
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await syncer?.stop();
});

/** A host kubelet's report: running, with the spec's resources applied, at the pod's generation. */
async function kubeletReports(name: string): Promise<void> {
  const pod = (await hostPod(name))!;
  const status = {
    ...pod.status,
    observedGeneration: pod.metadata.generation,
    containerStatuses: (pod.status?.containerStatuses ?? []).map((s) => ({
      ...s,
      resources: pod.spec.containers.find((c) => c.name === s.name)?.resources ?? {},
    })),
  };
  await mustKubectl(
    'host',
    ['replace', '--subresource', 'status', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'Pod', ...pod, status }),
  );
}

/** A running pod whose kubelet reports its resources, seen so on both sides. */
async function runningPod(name: string, resources: Resources): Promise<void> {
  await mustKubectl(
    'virtual',
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns },
      spec: { containers: [{ name: 'main', image: 'registry.local/app:1', resources }] },
    }),
  );
  await waitFor(
    'host pod running',
    async () => (await hostPod(name))?.status?.containerStatuses?.[0]?.state?.running,
    60_000,
  );
  await kubeletReports(name);
  await waitFor(
    'virtual pod showing its resources, at its own generation',
    async () => {
      const pod = await virtualPod(name);
      return (
        pod?.status?.containerStatuses?.[0]?.resources !== undefined &&
        pod.status.observedGeneration === pod.metadata.generation
      );
    },
    30_000,
  );
}

const resize = (name: string, resources: Resources) =>
  mustKubectl('virtual', [
    'patch',
    'pod',
    name,
    '-n',
    ns,
    '--subresource',
    'resize',
    '-p',
    JSON.stringify({ spec: { containers: [{ name: 'main', resources }] } }),
  ]);

describe('in-place pod resize', () => {
  it("reaches the host pod; the tenant's pod reads as behind until the host kubelet has seen it", async () => {
    await runningPod('web', { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m' } });
    await resize('web', { requests: { cpu: '150m' }, limits: { cpu: '300m' } });
    const resized = { requests: { cpu: '150m', memory: '64Mi' }, limits: { cpu: '300m' } };
    await waitFor(
      'host pod resized',
      async () => {
        const resources = cpuOf(await hostPod('web'));
        return isDeepStrictEqual(resources, resized) && resources;
      },
      30_000,
    );
    const behind = await waitFor(
      'virtual pod status after the host write',
      async () => {
        const pod = await virtualPod('web');
        return pod?.status?.observedGeneration !== undefined && pod;
      },
      30_000,
    );
    expect(cpuOf(behind)).toEqual(resized);
    expect(behind.status!.observedGeneration).toBe(behind.metadata.generation! - 1);
    await kubeletReports('web');
    await waitFor(
      'virtual pod caught up',
      async () => {
        const pod = await virtualPod('web');
        return (
          pod?.status?.observedGeneration === pod?.metadata.generation &&
          isDeepStrictEqual(pod?.status?.containerStatuses?.[0]?.resources, resized)
        );
      },
      30_000,
    );
  }, 120_000);

  it('a resize the host refuses (its ResourceQuota) shows as PodResizePending Infeasible with an event, and a later one goes through', async () => {
    await runningPod('db', { requests: { cpu: '100m' }, limits: { cpu: '100m' } });
    const used = async () =>
      (
        await getObject<{ status?: { used?: Record<string, string> } }>('host', [
          'resourcequota',
          'cap',
          '-n',
          hostNs,
        ])
      )?.status?.used;
    await mustKubectl('host', ['create', 'quota', 'cap', '-n', hostNs, '--hard=limits.cpu=250m']);
    // The quota refuses only once its controller has counted what the namespace uses.
    await waitFor('quota counted', async () => (await used())?.['limits.cpu'] !== undefined, 30_000);
    try {
      await resize('db', { requests: { cpu: '400m' }, limits: { cpu: '400m' } });
      const events = await waitForEvents('virtual', ns, 'db', 'ResizeRefused');
      expect(events[0]!.message).toContain('exceeded quota: cap');
      expect(events[0]!.message).not.toContain(hostNs);
      const pending = await waitFor(
        'PodResizePending on the virtual pod',
        async () => (await virtualPod('db'))?.status?.conditions?.find((c) => c.type === 'PodResizePending'),
        30_000,
      );
      expect(pending).toMatchObject({ status: 'True', reason: 'Infeasible' });
      expect(cpuOf(await hostPod('db'))).toEqual({ requests: { cpu: '100m' }, limits: { cpu: '100m' } });
    } finally {
      await mustKubectl('host', ['delete', 'quota', 'cap', '-n', hostNs]);
    }
    // A different request is tried at once (the refused one would wait its minute).
    await resize('db', { requests: { cpu: '300m' }, limits: { cpu: '300m' } });
    await waitFor('host pod resized', async () => cpuOf(await hostPod('db'))?.limits?.cpu === '300m', 30_000);
    await waitFor(
      'PodResizePending gone',
      async () => !(await virtualPod('db'))?.status?.conditions?.some((c) => c.type === 'PodResizePending'),
      30_000,
    );
  }, 120_000);
});
