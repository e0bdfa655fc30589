import { namespaceLabelKey } from '../src/naming/labels.ts';
import { hostName } from '../src/naming/names.ts';
import { kubectl, waitFor } from '../test/harness/clusters.ts';
import {
  apply,
  createTenantNamespace,
  eventsFor,
  getObject,
  metricValue,
  mustKubectl,
  recordMeasurement,
  waitForEvents,
  type List,
} from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

interface PodStatus {
  phase?: string;
  podIP?: string;
  podIPs?: { ip: string }[];
  conditions?: { type: string; status: string }[];
}
interface Pod {
  metadata: {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string }[];
  };
  spec: {
    nodeName?: string;
    serviceAccountName?: string;
    automountServiceAccountToken?: boolean;
    volumes?: {
      name: string;
      secret?: { secretName: string };
      configMap?: { name: string };
      projected?: unknown;
    }[];
    containers: { envFrom?: { secretRef?: { name: string } }[] }[];
    dnsPolicy?: string;
    enableServiceLinks?: boolean;
    hostname?: string;
  };
  status?: PodStatus;
}
const vc = uniqueName('e2e');
const hostNs = `host-${vc}`;
const ns = uniqueName('apps');
let syncer: SyncerProcess;

const hostPods = async (selector = `vcluster.loft.sh/managed-by=${vc}`) =>
  (await getObject<List<Pod>>('host', ['pods', '-n', hostNs, '-l', selector]))?.items ?? [];
const virtualPods = async (selector: string) =>
  (await getObject<List<Pod>>('virtual', ['pods', '-n', ns, '-l', selector]))?.items ?? [];
const isReady = (p: Pod) =>
  p.status?.phase === 'Running' &&
  p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  await createTenantNamespace(ns);
  syncer = await startSyncer({ name: vc, hostNamespace: hostNs });
}, 180_000);

afterAll(async () => {
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await syncer?.stop();
});

describe('a Deployment in the virtual cluster', () => {
  it('runs 3 pods on the host, with vCluster names, labels and annotations, and reports them Running', async () => {
    await mustKubectl('virtual', [
      'create',
      'deployment',
      'web',
      '-n',
      ns,
      '--image=registry.local/web:1',
      '--replicas=3',
    ]);
    const running = await waitFor(
      '3 virtual pods Running and Ready with node and IPs',
      async () => {
        const pods = await virtualPods('app=web');
        return (
          pods.length === 3 &&
          pods.every((p) => isReady(p) && p.spec.nodeName && p.status?.podIP && p.status.podIPs?.length) &&
          pods
        );
      },
      120_000,
    );
    const hosts = await hostPods(`vcluster.loft.sh/managed-by=${vc},vcluster.loft.sh/namespace=${ns}`);
    expect(hosts).toHaveLength(3);
    for (const vpod of running) {
      const hpod = hosts.find((h) => h.metadata.name === hostName(vpod.metadata.name, ns, vc));
      expect(hpod).toBeDefined();
      expect(hpod!.metadata.labels).toMatchObject({
        app: 'web',
        'vcluster.loft.sh/managed-by': vc,
        'vcluster.loft.sh/namespace': ns,
      });
      expect(hpod!.metadata.annotations).toMatchObject({
        'vcluster.loft.sh/object-name': vpod.metadata.name,
        'vcluster.loft.sh/object-namespace': ns,
        'vcluster.loft.sh/object-uid': vpod.metadata.uid,
        'vcluster.loft.sh/name': vpod.metadata.name,
        'vcluster.loft.sh/namespace': ns,
        'vcluster.loft.sh/uid': vpod.metadata.uid,
      });
      expect(hpod!.spec.serviceAccountName).toBe(`vc-workload-${vc}`);
      expect(hpod!.spec.automountServiceAccountToken).toBe(false);
      expect(hpod!.spec.enableServiceLinks).toBe(false);
      expect(hpod!.spec.dnsPolicy).toBe('None');
      expect(hpod!.spec.nodeName).toBe(vpod.spec.nodeName);
      expect(hpod!.status?.podIP).toBe(vpod.status?.podIP);
    }
    const nodes = (await getObject<List<{ metadata: { name: string } }>>('virtual', ['nodes']))!.items.map(
      (n) => n.metadata.name,
    );
    for (const vpod of running) expect(nodes).toContain(vpod.spec.nodeName);
  }, 180_000);

  it('makes no write at steady state: an idle syncer only watches', async () => {
    // Every write series (cluster, verb, resource, code) by value, so that a failure names the writes.
    const writes = async (): Promise<Record<string, number>> => {
      const found: Record<string, number> = {};
      for (const line of (await syncer.metrics()).split('\n')) {
        const match = /^vsyncer_api_requests_total\{([^}]*)\}\s+(\S+)/.exec(line);
        if (match && /verb="(create|update|patch|delete)"/.test(match[1]!))
          found[match[1]!] = Number(match[2]);
      }
      return found;
    };
    // The suites before this one delete their namespaces without waiting, and this syncer, which watches
    // the whole virtual cluster, copied what was in them: each object the namespace controller removes,
    // in steps seconds apart, is a delete here. A syncer is idle only once its tenants are.
    await waitFor(
      'no virtual namespace terminating',
      async () => {
        const phases = await mustKubectl('virtual', [
          'get',
          'namespaces',
          '-o',
          'jsonpath={.items[*].status.phase}',
        ]);
        return !phases.includes('Terminating');
      },
      120_000,
    );
    // Let the last status, binding and event writes of the rollout land (a host event can arrive seconds
    // after the pod it is about on a loaded machine), then watch a quiet period.
    let before = await writes();
    await waitFor(
      'writes to settle',
      async () => {
        await new Promise((r) => setTimeout(r, 3000));
        const now = await writes();
        const settled = JSON.stringify(now) === JSON.stringify(before);
        before = now;
        return settled;
      },
      60_000,
    );
    await new Promise((r) => setTimeout(r, 5000));
    // The syncer has written (the rollout above): a series name that matched nothing would compare
    // {} with {} and prove nothing.
    expect(Object.keys(before).length).toBeGreaterThan(0);
    expect(await writes()).toEqual(before);
  }, 90_000);

  it('scales down: scaling to 1 deletes two host pods', async () => {
    await mustKubectl('virtual', ['scale', 'deployment', 'web', '-n', ns, '--replicas=1']);
    await waitFor(
      'one host pod left',
      async () => {
        const hosts = (
          await hostPods(`vcluster.loft.sh/managed-by=${vc},vcluster.loft.sh/namespace=${ns},app=web`)
        ).filter((p) => !(p.metadata as { deletionTimestamp?: string }).deletionTimestamp);
        return hosts.length === 1;
      },
      120_000,
    );
    await waitFor('one virtual pod left', async () => (await virtualPods('app=web')).length === 1, 120_000);
  }, 180_000);

  it('replaces a pod whose host pod is deleted by hand', async () => {
    const [before] = await virtualPods('app=web');
    await mustKubectl('host', [
      'delete',
      'pod',
      '-n',
      hostNs,
      hostName(before!.metadata.name, ns, vc),
      '--wait=false',
    ]);
    const after = await waitFor(
      'a new Ready virtual pod replaces it',
      async () => {
        const pods = await virtualPods('app=web');
        return (
          pods.length === 1 && pods[0]!.metadata.uid !== before!.metadata.uid && isReady(pods[0]!) && pods[0]
        );
      },
      120_000,
    );
    await waitFor(
      'its host pod exists',
      async () =>
        (await getObject('host', ['pod', '-n', hostNs, hostName(after.metadata.name, ns, vc)])) !== undefined,
      60_000,
    );
  }, 180_000);
});

describe('a pod with a subdomain and pod-level resources (a StatefulSet pod of a chart that sets them)', () => {
  it("runs: the syncer's hosts rewrite asks no more than the pod allows, which the host API server checks", async () => {
    const resources = { cpu: '20m', memory: '32Mi' };
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'small-0', namespace: ns, labels: { app: 'small' } },
      spec: {
        subdomain: 'small',
        resources: { requests: resources, limits: resources },
        containers: [{ name: 'main', image: 'busybox' }],
      },
    });
    const [running] = await waitFor(
      'the pod Running',
      async () => {
        const pods = await virtualPods('app=small');
        return pods[0]?.status?.phase === 'Running' && pods;
      },
      60_000,
    );
    expect(running!.metadata.name).toBe('small-0');
    const host = await getObject<{ spec: { initContainers?: { name: string; resources?: unknown }[] } }>(
      'host',
      ['pod', '-n', hostNs, hostName('small-0', ns, vc)],
    );
    expect(host?.spec.initContainers?.[0]).toMatchObject({
      name: 'vcluster-rewrite-hosts',
      resources: { requests: resources, limits: resources },
    });
  }, 90_000);
});

describe("a pod asking for ephemeral storage (Bitnami charts' resource presets do)", () => {
  it('runs: the host nodes report ephemeral storage, as a kubelet does', async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'scratch', namespace: ns, labels: { app: 'scratch' } },
      spec: {
        containers: [
          {
            name: 'main',
            image: 'busybox',
            resources: { requests: { 'ephemeral-storage': '50Mi' }, limits: { 'ephemeral-storage': '2Gi' } },
          },
        ],
      },
    });
    const running = await waitFor(
      'the pod Running',
      async () => (await virtualPods('app=scratch'))[0]?.status?.phase === 'Running',
      60_000,
    );
    expect(running).toBe(true);
  }, 90_000);
});

describe("a chart's test pod (a bare pod Helm runs as a hook, as `helm test` does)", () => {
  it('completes on a kwok node, as its command would', async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'chart-test',
        namespace: ns,
        labels: { app: 'chart-test' },
        annotations: { 'helm.sh/hook': 'test' },
      },
      spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] },
    });
    const done = await waitFor(
      'the pod Succeeded',
      async () => (await virtualPods('app=chart-test'))[0]?.status?.phase === 'Succeeded',
      60_000,
    );
    expect(done).toBe(true);
  }, 90_000);
});

describe("a pod's labels and annotations, both ways", () => {
  it('shows what the host adds to a running pod; the host keeps its value when the tenant gives those keys its own', async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'labelled',
        namespace: ns,
        labels: { 'set-by': 'tenant' },
        annotations: { note: 'from the tenant' },
      },
      spec: { containers: [{ name: 'main', image: 'registry.local/app:1' }] },
    });
    await waitFor(
      'the pod Running',
      async () => (await virtualPods('set-by=tenant')).some((p) => p.status?.phase === 'Running'),
      60_000,
    );
    const hostCopy = hostName('labelled', ns, vc);
    await mustKubectl('host', ['label', 'pod', hostCopy, '-n', hostNs, 'zone=blue']);
    await mustKubectl('host', ['annotate', 'pod', hostCopy, '-n', hostNs, 'scanned-by=host-policy']);
    await waitFor(
      "the host's label and annotation on the virtual pod",
      async () => {
        const [pod] = await virtualPods('set-by=tenant');
        return (
          pod?.metadata.labels?.zone === 'blue' && pod.metadata.annotations?.['scanned-by'] === 'host-policy'
        );
      },
      30_000,
    );

    await mustKubectl('virtual', [
      'label',
      'pod',
      'labelled',
      '-n',
      ns,
      '--overwrite',
      'zone=red',
      'tier=web',
    ]);
    await mustKubectl('virtual', [
      'annotate',
      'pod',
      'labelled',
      '-n',
      ns,
      '--overwrite',
      'scanned-by=the-tenant',
    ]);
    // The tenant's own new label came with the same write as its value for `zone`: once it is on the
    // host, the syncer has planned that write (and the annotation's, which came before it).
    const host = await waitFor(
      "the tenant's new label on the host pod",
      async () => (await hostPods(`tier=web,vcluster.loft.sh/managed-by=${vc}`))[0] ?? false,
      30_000,
    );
    // A host policy's keys hold whatever the tenant writes (--tenant-overrides-host-metadata is off).
    expect(host.metadata.labels?.zone).toBe('blue');
    expect(host.metadata.annotations?.['scanned-by']).toBe('host-policy');
    expect(host.metadata.labels?.['set-by']).toBe('tenant');
    expect(host.metadata.annotations?.note).toBe('from the tenant');
    await mustKubectl('virtual', ['delete', 'pod', 'labelled', '-n', ns, '--wait=false']);
  }, 120_000);

  it("carries a change of the namespace's labels to the host pods already running there", async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'ns-labelled', namespace: ns, labels: { probe: 'ns-labels' } },
      spec: { containers: [{ name: 'main', image: 'registry.local/app:1' }] },
    });
    await waitFor(
      'the pod Running',
      async () => (await virtualPods('probe=ns-labels')).some((p) => p.status?.phase === 'Running'),
      60_000,
    );
    const teamKey = namespaceLabelKey('team', vc);
    const [before] = await hostPods(`probe=ns-labels,vcluster.loft.sh/managed-by=${vc}`);
    expect(before?.metadata.labels?.[teamKey]).toBeUndefined();

    await mustKubectl('virtual', ['label', 'namespace', ns, 'team=blue']);
    await waitFor(
      "the namespace's new label on the host pod",
      async () =>
        (await hostPods(`probe=ns-labels,vcluster.loft.sh/managed-by=${vc}`))[0]?.metadata.labels?.[
          teamKey
        ] === 'blue',
      30_000,
    );
    await mustKubectl('virtual', ['label', 'namespace', ns, 'team-']);
    await waitFor(
      "the namespace's label gone from the host pod",
      async () => {
        const [pod] = await hostPods(`probe=ns-labels,vcluster.loft.sh/managed-by=${vc}`);
        return pod !== undefined && pod.metadata.labels?.[teamKey] === undefined;
      },
      30_000,
    );
    // The tenant never sees the syncer's ns-label keys on its pod.
    const [virtual] = await virtualPods('probe=ns-labels');
    expect(
      Object.keys(virtual?.metadata.labels ?? {}).filter((k) => k.startsWith('vcluster.loft.sh/')),
    ).toEqual([]);
    await mustKubectl('virtual', ['delete', 'pod', 'ns-labelled', '-n', ns, '--wait=false']);
  }, 120_000);
});

describe('spec changes after creation', () => {
  const podName = 'mutable';
  type MutablePod = {
    spec: {
      nodeName?: string;
      containers: { name: string; image: string }[];
      activeDeadlineSeconds?: number;
      tolerations?: { key?: string }[];
      schedulingGates?: { name: string }[];
      ephemeralContainers?: { name: string; image: string }[];
    };
  };
  const hostPod = () => getObject<MutablePod>('host', ['pod', '-n', hostNs, hostName(podName, ns, vc)]);
  const patchVirtualPod = (ops: object[]) =>
    mustKubectl('virtual', ['patch', 'pod', podName, '-n', ns, '--type=json', '-p', JSON.stringify(ops)]);

  it('carries what Kubernetes lets change down to the host pod: gates, image, deadline, tolerations, ephemeral containers', async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: podName, namespace: ns },
      spec: {
        schedulingGates: [{ name: 'example.com/hold' }],
        containers: [{ name: 'main', image: 'registry.local/app:1' }],
      },
    });
    const gated = await waitFor('gated host pod', async () => (await hostPod()) ?? false, 60_000);
    expect(gated.spec.schedulingGates).toEqual([{ name: 'example.com/hold' }]);
    expect(gated.spec.nodeName).toBeUndefined();

    // Removing the gate lets the host scheduler place the pod, and the virtual pod is bound to that node.
    await patchVirtualPod([{ op: 'remove', path: '/spec/schedulingGates' }]);
    const placed = await waitFor(
      'virtual pod bound once the gate is gone',
      async () => {
        const v = await getObject<MutablePod>('virtual', ['pod', podName, '-n', ns]);
        return v?.spec.nodeName ? v : false;
      },
      60_000,
    );
    expect((await hostPod())!.spec.nodeName).toBe(placed.spec.nodeName);

    await patchVirtualPod([
      { op: 'replace', path: '/spec/containers/0/image', value: 'registry.local/app:2' },
      { op: 'add', path: '/spec/activeDeadlineSeconds', value: 86400 },
      {
        op: 'add',
        path: '/spec/tolerations/-',
        value: { key: 'example.com/maintenance', operator: 'Exists', effect: 'NoSchedule' },
      },
    ]);
    const updated = await waitFor(
      'image, deadline and toleration on the host pod',
      async () => {
        const h = await hostPod();
        return (
          h?.spec.containers[0]!.image === 'registry.local/app:2' &&
          h.spec.activeDeadlineSeconds === 86400 &&
          h.spec.tolerations?.some((t) => t.key === 'example.com/maintenance') &&
          h
        );
      },
      60_000,
    );
    expect(updated.spec.nodeName).toBe(placed.spec.nodeName);

    // `kubectl debug` adds an ephemeral container through the virtual pod's subresource. Its default
    // profile adds SYS_PTRACE, which the Pod Security "baseline" level forbids; the baseline profile does not.
    await mustKubectl('virtual', [
      'debug',
      podName,
      '-n',
      ns,
      '--image=registry.local/debug:1',
      '--container=debugger',
      '--profile=baseline',
    ]);
    const debugged = await waitFor(
      'ephemeral container on the host pod',
      async () => {
        const h = await hostPod();
        return h?.spec.ephemeralContainers?.some((c) => c.name === 'debugger') && h;
      },
      60_000,
    );
    expect(debugged.spec.ephemeralContainers).toEqual([
      expect.objectContaining({ name: 'debugger', image: 'registry.local/debug:1' }),
    ]);
    // A debug container the syncer's Pod Security level forbids never reaches the host pod.
    await mustKubectl('virtual', [
      'debug',
      podName,
      '-n',
      ns,
      '--image=registry.local/debug:1',
      '--container=ptrace',
    ]);
    const refused = await waitForEvents('virtual', ns, podName, 'SyncError');
    expect(refused.map((e) => e.message).join('\n')).toContain('SYS_PTRACE');
    expect((await hostPod())?.spec.ephemeralContainers?.map((c) => c.name)).toEqual(['debugger']);
    // kubectl debug waits on the container's status: the virtual API server takes it, waiting, with why.
    type DebugStatuses = {
      status?: {
        ephemeralContainerStatuses?: { name: string; state?: { waiting?: { message?: string } } }[];
      };
    };
    const shown = await waitFor(
      'the refused debug container shown waiting on the virtual pod',
      async () =>
        (
          await getObject<DebugStatuses>('virtual', ['pod', podName, '-n', ns])
        )?.status?.ephemeralContainerStatuses?.find((c) => c.name === 'ptrace' && c.state?.waiting),
      60_000,
    );
    expect(shown.state?.waiting?.message).toContain('SYS_PTRACE');
    await mustKubectl('virtual', ['delete', 'pod', podName, '-n', ns, '--wait=false']);
  }, 180_000);
});

describe('readiness gates', () => {
  it("carries the gate's condition a tenant controller sets on the virtual pod down to the host pod, and keeps it", async () => {
    const gate = 'example.com/registered';
    const name = 'gated-ready';
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns },
      spec: {
        readinessGates: [{ conditionType: gate }],
        containers: [{ name: 'main', image: 'registry.local/app:1' }],
      },
    });
    type Conditions = { status?: { phase?: string; conditions?: { type: string; status: string }[] } };
    const gateOf = (pod: Conditions | undefined) =>
      pod?.status?.conditions?.find((c) => c.type === gate)?.status;
    await waitFor(
      'the virtual pod Running',
      async () =>
        (await getObject<Conditions>('virtual', ['pod', name, '-n', ns]))?.status?.phase === 'Running',
      60_000,
    );
    // What a tenant's controller (a load balancer's, say) does once the pod is registered.
    await mustKubectl('virtual', [
      'patch',
      'pod',
      name,
      '-n',
      ns,
      '--subresource=status',
      '--type=strategic',
      '-p',
      JSON.stringify({ status: { conditions: [{ type: gate, status: 'True', reason: 'Registered' }] } }),
    ]);
    await waitFor(
      "the gate's condition on the host pod",
      async () =>
        gateOf(await getObject<Conditions>('host', ['pod', hostName(name, ns, vc), '-n', hostNs])) === 'True',
      60_000,
    );
    // The host's status coming up does not take it away. A barrier, not a sleep: a label put on the
    // pod after that, which the syncer must carry to the host pod; a key is reconciled by one worker
    // at a time, so once the label is there the syncer has looked at this pod again since.
    await mustKubectl('virtual', ['label', 'pod', name, '-n', ns, 'e2e-barrier=1']);
    await waitFor(
      'the label on the host pod',
      async () =>
        (await getObject<Pod>('host', ['pod', hostName(name, ns, vc), '-n', hostNs]))?.metadata.labels?.[
          'e2e-barrier'
        ] === '1',
      60_000,
    );
    expect(gateOf(await getObject<Conditions>('virtual', ['pod', name, '-n', ns]))).toBe('True');
    await mustKubectl('virtual', ['delete', 'pod', name, '-n', ns, '--wait=false']);
  }, 120_000);
});

describe('a Job in the virtual cluster', () => {
  it('runs to completion: the host pod finishes, the Job is Complete, and nothing is started again', async () => {
    const job = 'once';
    await apply('virtual', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: job, namespace: ns },
      spec: {
        backoffLimit: 0,
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'registry.local/task:1' }] },
        },
      },
    });
    type JobStatus = { status?: { succeeded?: number; conditions?: { type: string; status: string }[] } };
    const complete = await waitFor(
      'the Job Complete',
      async () => {
        const j = await getObject<JobStatus>('virtual', ['job', job, '-n', ns]);
        return j?.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') && j;
      },
      60_000,
    );
    expect(complete.status?.succeeded).toBe(1);
    const pods = await virtualPods(`batch.kubernetes.io/job-name=${job}`);
    expect(pods).toHaveLength(1);
    const pod = pods[0]!;
    expect(pod.status?.phase).toBe('Succeeded');
    // The finished host pod stays (as a kubelet leaves it), under the virtual pod's name.
    const copies = await hostPods(`batch.kubernetes.io/job-name=${job}`);
    expect(copies).toHaveLength(1);
    const hostPod = copies[0]!;
    expect(hostPod.metadata.name).toBe(hostName(pod.metadata.name, ns, vc));
    expect(hostPod.status?.phase).toBe('Succeeded');
    // Deleting the Job takes its pod and then the host copy with it.
    await mustKubectl('virtual', ['delete', 'job', job, '-n', ns, '--cascade=foreground', '--wait=false']);
    await waitFor(
      'the host pod of the deleted Job gone',
      async () => (await hostPods(`batch.kubernetes.io/job-name=${job}`)).length === 0,
      60_000,
    );
  }, 120_000);
});
describe('references, tokens and events', () => {
  const podName = 'uses-refs';
  const hostPodName = () => hostName(podName, ns, vc);

  beforeAll(async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: ns },
      data: { mode: 'fast' },
    });
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: ns },
      stringData: { PASSWORD: 'hunter2' },
    });
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'unused', namespace: ns },
      data: { x: '1' },
    });
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: podName, namespace: ns, labels: { app: 'refs' } },
      spec: {
        containers: [
          {
            name: 'main',
            image: 'registry.local/app:1',
            envFrom: [{ secretRef: { name: 'creds' } }],
            volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }],
          },
        ],
        volumes: [{ name: 'cfg', configMap: { name: 'settings' } }],
      },
    });
  }, 60_000);

  it('syncs the referenced ConfigMap and Secret under host names, and rewrites the references', async () => {
    const hpod = await waitFor(
      'host pod',
      () => getObject<Pod>('host', ['pod', '-n', hostNs, hostPodName()]),
      60_000,
    );
    expect(hpod.spec.volumes?.find((v) => v.name === 'cfg')?.configMap?.name).toBe(
      hostName('settings', ns, vc),
    );
    expect(hpod.spec.containers[0]!.envFrom?.[0]?.secretRef?.name).toBe(hostName('creds', ns, vc));
    await waitFor(
      'config map on host',
      async () =>
        (await getObject('host', ['configmap', '-n', hostNs, hostName('settings', ns, vc)])) !== undefined,
      60_000,
    );
    const secret = await waitFor(
      'secret on host',
      () =>
        getObject<{ data: Record<string, string> }>('host', [
          'secret',
          '-n',
          hostNs,
          hostName('creds', ns, vc),
        ]),
      60_000,
    );
    expect(Buffer.from(secret.data.PASSWORD!, 'base64').toString()).toBe('hunter2');
    // Only referenced objects are synced by default.
    expect(await getObject('host', ['configmap', '-n', hostNs, hostName('unused', ns, vc)])).toBeUndefined();
  }, 120_000);

  it('gives the pod a token minted by the virtual API server, which the host rejects', async () => {
    const hpod = await waitFor(
      'host pod with a token volume',
      async () => {
        const p = await getObject<Pod>('host', ['pod', '-n', hostNs, hostPodName()]);
        return p?.spec.volumes?.some((v) => JSON.stringify(v).includes('token')) && p;
      },
      60_000,
    );
    // The pod mounts one key of a token bundle (shared with other pods): its own, and only that.
    const mounts = (hpod.spec.volumes ?? []).flatMap((v) =>
      (
        (v as { projected?: { sources?: { secret?: { name: string; items?: { key: string }[] } }[] } })
          .projected?.sources ?? []
      ).flatMap((s) => (s.secret?.name.startsWith('vsyncer-tokens-') ? [s.secret] : [])),
    );
    expect(mounts).toHaveLength(1);
    expect(mounts[0]!.items).toHaveLength(1);
    const key = mounts[0]!.items![0]!.key;
    const bundle = await waitFor(
      'token bundle holding the key',
      async () => {
        const b = await getObject<{ data?: Record<string, string> }>('host', [
          'secret',
          '-n',
          hostNs,
          mounts[0]!.name,
        ]);
        return b?.data?.[key] !== undefined && b;
      },
      60_000,
    );
    const token = Buffer.from(bundle.data![key]!, 'base64').toString();
    const review = (audienceCluster: 'virtual' | 'host') =>
      mustKubectl(
        audienceCluster,
        ['create', '-o', 'json', '-f', '-'],
        JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }),
      );
    const virtualReview = JSON.parse(await review('virtual')) as {
      status: { authenticated?: boolean; user?: { username: string } };
    };
    expect(virtualReview.status.authenticated).toBe(true);
    expect(virtualReview.status.user?.username).toBe(`system:serviceaccount:${ns}:default`);
    const hostReview = JSON.parse(await review('host')) as { status: { authenticated?: boolean } };
    expect(hostReview.status.authenticated ?? false).toBe(false);
  }, 120_000);

  it('copies events about the host pod to the virtual pod, with virtual names', async () => {
    const hpod = (await getObject<Pod>('host', ['pod', '-n', hostNs, hostPodName()]))!;
    const now = new Date().toISOString();
    await apply('host', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${hostPodName()}.e2etest`, namespace: hostNs },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        name: hostPodName(),
        namespace: hostNs,
        uid: hpod.metadata.uid,
      },
      reason: 'Pulled',
      message: `Successfully pulled image for ${hostPodName()}`,
      type: 'Normal',
      source: { component: 'kubelet' },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
    const events = await waitForEvents('virtual', ns, podName, 'Pulled', 60_000);
    expect(events[0]!.message).toBe(`Successfully pulled image for ${podName}`);
  }, 120_000);

  it("vCluster's force-sync: an admin's host event is shown in default; a tenant's unused ConfigMap is synced", async () => {
    const now = new Date().toISOString();
    const notice = uniqueName('notice');
    await apply('host', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: notice, namespace: hostNs, annotations: { 'vcluster.loft.sh/force-sync': 'true' } },
      involvedObject: { apiVersion: 'v1', kind: 'ConfigMap', name: 'admin-notes', namespace: hostNs },
      reason: 'Maintenance',
      message: 'this virtual cluster sleeps at 22:00',
      type: 'Warning',
      source: { component: 'admin' },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
    const shown = await waitFor(
      'the forced event in the virtual default namespace',
      () =>
        getObject<{ message: string; involvedObject: Record<string, string> }>('virtual', [
          'event',
          notice,
          '-n',
          'default',
        ]),
      60_000,
    );
    expect(shown.message).toBe('this virtual cluster sleeps at 22:00');
    expect(shown.involvedObject).toEqual({ namespace: 'default' });

    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'forced', namespace: ns, annotations: { 'vcluster.loft.sh/force-sync': 'true' } },
      data: { k: 'v' },
    });
    await waitFor(
      'the forced ConfigMap on the host',
      () => getObject('host', ['configmap', '-n', hostNs, hostName('forced', ns, vc)]),
      60_000,
    );
  }, 120_000);

  it('removes the synced ConfigMap and Secret from the host once the pod is gone', async () => {
    await mustKubectl('virtual', ['delete', 'pod', podName, '-n', ns, '--wait=false']);
    await waitFor(
      'host copies removed',
      async () => {
        const cm = await getObject('host', ['configmap', '-n', hostNs, hostName('settings', ns, vc)]);
        const secret = await getObject('host', ['secret', '-n', hostNs, hostName('creds', ns, vc)]);
        return cm === undefined && secret === undefined;
      },
      120_000,
    );
    await waitFor(
      'virtual pod gone',
      async () => (await getObject('virtual', ['pod', podName, '-n', ns])) === undefined,
      120_000,
    );
  }, 180_000);
});

describe('bad input', () => {
  it('holds a pod whose secret is missing, reports it like a kubelet, and starts it once the secret exists', async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'missing-secret', namespace: ns },
      spec: {
        containers: [{ name: 'main', image: 'registry.local/app:1' }],
        volumes: [{ name: 'creds', secret: { secretName: 'does-not-exist' } }],
      },
    });
    const events = await waitForEvents('virtual', ns, 'missing-secret', 'FailedMount', 60_000);
    expect(events[0]!.message).toBe(
      'MountVolume.SetUp failed for volume "creds" : secret "does-not-exist" not found',
    );
    // Held: a host pod naming a secret that is not there could be handed whatever later takes that
    // (ambiguous) host name.
    expect(
      await getObject('host', ['pod', '-n', hostNs, hostName('missing-secret', ns, vc)]),
    ).toBeUndefined();
    await mustKubectl('virtual', [
      'create',
      'secret',
      'generic',
      'does-not-exist',
      '-n',
      ns,
      '--from-literal=k=v',
    ]);
    await waitFor(
      'host pod created once the secret is synced',
      async () =>
        (await getObject('host', ['pod', '-n', hostNs, hostName('missing-secret', ns, vc)])) !== undefined,
      60_000,
    );
  }, 120_000);

  it('starts a pod whose optional secret is missing, and fills its volume in once the secret exists (as a kubelet would)', async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'optional-secret', namespace: ns },
      spec: {
        containers: [{ name: 'main', image: 'registry.local/app:1' }],
        volumes: [{ name: 'certs', secret: { secretName: 'operator-certs', optional: true } }],
      },
    });
    const hostPodName = hostName('optional-secret', ns, vc);
    let hostPod: Pod | undefined;
    await waitFor(
      'host pod created without the secret',
      async () => (hostPod = await getObject<Pod>('host', ['pod', '-n', hostNs, hostPodName])) !== undefined,
      60_000,
    );
    const placeholder = hostPod!.spec.volumes!.find((v) => v.name === 'certs')!.secret!.secretName;
    expect(placeholder).toMatch(/^vsyncer-absent-[0-9a-f]{20}$/);
    // The operator writes its certificate once it runs.
    await mustKubectl('virtual', [
      'create',
      'secret',
      'generic',
      'operator-certs',
      '-n',
      ns,
      '--from-literal=ca.crt=first',
    ]);
    interface Filled {
      data?: Record<string, string>;
      metadata: { ownerReferences?: { kind: string; uid: string }[] };
    }
    let fill: Filled | undefined;
    await waitFor(
      'the secret written where the host pod looks for it',
      async () =>
        (fill = await getObject<Filled>('host', ['secret', '-n', hostNs, placeholder])) !== undefined,
      60_000,
    );
    expect(Buffer.from(fill!.data!['ca.crt']!, 'base64').toString()).toBe('first');
    expect(fill!.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Pod', uid: hostPod!.metadata.uid }),
    ]);
    // The host's garbage collector removes it with the host pod.
    await mustKubectl('virtual', ['delete', 'pod', 'optional-secret', '-n', ns, '--wait=false']);
    await waitFor(
      'the fill gone with its pod',
      async () => (await getObject('host', ['secret', '-n', hostNs, placeholder])) === undefined,
      120_000,
    );
  }, 240_000);

  it('leaves pod privileges to the host: Pod Security Admission rejects a privileged pod, the tenant sees why', async () => {
    await mustKubectl('host', ['label', 'namespace', hostNs, 'pod-security.kubernetes.io/enforce=baseline']);
    try {
      await apply('virtual', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'privileged', namespace: ns },
        spec: {
          containers: [
            { name: 'main', image: 'registry.local/app:1', securityContext: { privileged: true } },
          ],
        },
      });
      const events = await waitForEvents('virtual', ns, 'privileged', 'SyncError', 60_000);
      expect(events[0]!.message).toContain('violates PodSecurity "baseline:latest": privileged');
      expect(events[0]!.message).not.toContain(hostNs);
      expect(await getObject('host', ['pod', '-n', hostNs, hostName('privileged', ns, vc)])).toBeUndefined();
    } finally {
      await mustKubectl('host', ['label', 'namespace', hostNs, 'pod-security.kubernetes.io/enforce-']);
      await kubectl('virtual', ['delete', 'pod', 'privileged', '-n', ns, '--wait=false']);
    }
  }, 120_000);

  it('reports a host rejection as a SyncError event, without host names, crash or hot loop', async () => {
    await apply('host', {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'max-cpu', namespace: hostNs },
      spec: { limits: [{ type: 'Container', max: { cpu: '1' } }] },
    });
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'too-big', namespace: ns },
      spec: {
        containers: [
          {
            name: 'main',
            image: 'registry.local/app:1',
            resources: { requests: { cpu: '2' }, limits: { cpu: '2' } },
          },
        ],
      },
    });
    const events = await waitForEvents('virtual', ns, 'too-big', 'SyncError', 60_000);
    expect(events[0]!.type).toBe('Warning');
    expect(events[0]!.message).toContain('cpu');
    expect(events[0]!.message).not.toContain(hostNs);
    expect(events[0]!.message).not.toContain(hostName('too-big', ns, vc));
    try {
      // The refusal was counted as a failed reconcile (a series that matched nothing would read 0).
      expect(
        metricValue(await syncer.metrics(), 'vsyncer_reconcile_total', { kind: 'pods', result: 'error' }),
      ).toBeGreaterThan(0);
      // Backoff, not a hot loop: each failure of the key is counted by its rate limiter (the count the
      // syncer logs with it), so each wait is longer than the one before. A retry that skipped the
      // limiter (or forgot the key's failures) would log a count that repeats or starts over.
      const failures = () =>
        syncer
          .logs()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { ts: string; msg: string; key?: string; retries?: number })
          .filter((l) => l.msg === 'reconcile failed, retrying' && l.key === `${ns}/too-big`);
      const seen = await waitFor(
        'six failures of too-big in the log',
        async () => {
          const f = failures();
          return f.length >= 6 && f;
        },
        60_000,
      );
      const counts = seen.map((l) => l.retries ?? -1);
      const notGrowing = counts.slice(1).filter((c, i) => c <= counts[i]!);
      expect({ counts, notGrowing }).toEqual({ counts, notGrowing: [] });
      // Measured, not asserted (a clock must not decide a test): the last wait between two retries.
      const [previous, last] = seen.slice(-2).map((l) => Date.parse(l.ts));
      recordMeasurement('refused-pod-retry-gap-ms', last! - previous!, { retries: seen.length });
      // Still refused, still reported, and the syncer still running (no exit code, no signal).
      expect(await getObject('host', ['pod', '-n', hostNs, hostName('too-big', ns, vc)])).toBeUndefined();
      expect((await eventsFor('virtual', ns, 'too-big')).map((e) => e.reason)).toContain('SyncError');
      expect(syncer.child.exitCode).toBeNull();
      expect(syncer.child.signalCode).toBeNull();
    } finally {
      await kubectl('host', ['delete', 'limitrange', 'max-cpu', '-n', hostNs]);
    }
    // Retried, not given up on: once the host accepts it, the backoff's next turn creates it.
    await waitFor(
      'too-big created on the host once the host accepts it',
      async () => (await getObject('host', ['pod', '-n', hostNs, hostName('too-big', ns, vc)])) !== undefined,
      90_000,
    );
  }, 240_000);
});

/**
 * --pod-token-secrets per-pod (vCluster's sync.toHost.pods.useSecretsForSATokens: true, set by every
 * vCluster e2e values file): the shape vCluster's own e2e test checks, on real API servers. The file's
 * syncer is restarted with the flag (two syncers of one virtual cluster would take each other's pods),
 * so a pod made before keeps its bundle key.
 */
describe('per-pod token Secrets (useSecretsForSATokens)', () => {
  const before = 'tok-before';
  const podName = 'tok-per-pod';
  interface TokenSecret {
    metadata: {
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
      ownerReferences?: { kind: string; name: string; uid: string }[];
    };
    data?: Record<string, string>;
  }
  type Projected = { sources?: { secret?: { name: string; items?: { key: string; path: string }[] } }[] };
  const secretSources = (pod: Pod) =>
    (pod.spec.volumes ?? []).flatMap((v) =>
      ((v.projected as Projected | undefined)?.sources ?? []).flatMap((s) => (s.secret ? [s.secret] : [])),
    );
  const tokenPod = (name: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { containers: [{ name: 'main', image: 'registry.local/app:1' }] },
  });

  beforeAll(async () => {
    await apply('virtual', tokenPod(before));
    await waitFor(
      'host pod made with bundles',
      () => getObject<Pod>('host', ['pod', '-n', hostNs, hostName(before, ns, vc)]),
      60_000,
    );
    await syncer.stop();
    syncer = await startSyncer({ name: vc, hostNamespace: hostNs, args: ['--pod-token-secrets=per-pod'] });
    await apply('virtual', tokenPod(podName));
  }, 240_000);

  afterAll(async () => {
    await mustKubectl('virtual', ['delete', 'pod', before, podName, '-n', ns, '--wait=false']).catch(
      () => undefined,
    );
    await syncer.stop();
    syncer = await startSyncer({ name: vc, hostNamespace: hostNs });
  }, 180_000);

  it("keeps the pod's token in vCluster's <pod>-sa-token Secret, which the host pod mounts and owns", async () => {
    const hpod = await waitFor(
      'host pod',
      () => getObject<Pod>('host', ['pod', '-n', hostNs, hostName(podName, ns, vc)]),
      60_000,
    );
    // vCluster's e2e: no token annotation on the host pod...
    expect(Object.keys(hpod.metadata.annotations ?? {}).filter((k) => /token/i.test(k))).toEqual([]);
    // ...a host Secret named as vCluster translates `<pod>-sa-token`...
    const secretName = hostName(`${podName}-sa-token`, ns, vc);
    const secret = await waitFor(
      'token Secret owned by the host pod',
      async () => {
        const s = await getObject<TokenSecret>('host', ['secret', '-n', hostNs, secretName]);
        return s?.metadata.ownerReferences?.some((o) => o.kind === 'Pod' && o.uid === hpod.metadata.uid) && s;
      },
      60_000,
    );
    expect(secret.metadata.labels?.['vcluster.loft.sh/managed-by']).toBe(vc);
    expect(secret.metadata.annotations?.['vcluster.loft.sh/skip-backsync']).toBe('true');
    // ...and every projected secret source naming it (a token, keyed by its volume's name).
    const sources = secretSources(hpod);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(source.name).toBe(secretName);
    const tokenVolume = (hpod.spec.volumes ?? []).find((v) => v.name.startsWith('kube-api-access-'))!;
    expect(Object.keys(secret.data ?? {})).toEqual([tokenVolume.name]);
    // A token of the virtual API server for the pod's service account; the host's refuses it.
    const token = Buffer.from(secret.data![tokenVolume.name]!, 'base64').toString();
    const review = async (cluster: 'virtual' | 'host') =>
      (
        JSON.parse(
          await mustKubectl(
            cluster,
            ['create', '-o', 'json', '-f', '-'],
            JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }),
          ),
        ) as { status: { authenticated?: boolean; user?: { username: string } } }
      ).status;
    const virtualReview = await review('virtual');
    expect(virtualReview.authenticated).toBe(true);
    expect(virtualReview.user?.username).toBe(`system:serviceaccount:${ns}:default`);
    expect((await review('host')).authenticated ?? false).toBe(false);
  }, 120_000);

  it('leaves a pod made before the switch reading its bundle key, with no Secret of its own', async () => {
    const hpod = (await getObject<Pod>('host', ['pod', '-n', hostNs, hostName(before, ns, vc)]))!;
    const sources = secretSources(hpod);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(source.name).toMatch(/^vsyncer-tokens-/);
    expect(
      await getObject('host', ['secret', '-n', hostNs, hostName(`${before}-sa-token`, ns, vc)]),
    ).toBeUndefined();
  }, 60_000);
});
