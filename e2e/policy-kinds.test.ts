import { hostName } from '../src/naming/names.ts';
import { waitFor } from '../test/harness/clusters.ts';
import {
  apply,
  createTenantNamespace,
  getObject,
  mustKubectl,
  waitForEvents,
  type List,
} from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

interface Budget {
  spec: { selector?: { matchLabels?: Record<string, string> }; minAvailable?: number };
  status?: { expectedPods?: number };
}
interface PodLite {
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    priorityClassName?: string;
    serviceAccountName?: string;
    automountServiceAccountToken?: boolean;
    imagePullSecrets?: { name: string }[];
  };
}
interface ClassLite {
  metadata: { name: string; labels?: Record<string, string> };
  value: number;
  globalDefault?: boolean;
}
interface AccountLite {
  metadata: { annotations?: Record<string, string> };
  automountServiceAccountToken?: boolean;
  secrets?: unknown[];
  imagePullSecrets?: { name: string }[];
}

/** A host Secret the host admin lets labelled accounts pull with (never read: only named). */
const PULL_SECRET = 'e2e-registry-creds';
const vc = uniqueName('pol');
const hostNs = `host-${vc}`;
const nsA = uniqueName('pa');
const nsB = uniqueName('pb');
const lowClass = uniqueName('low');
const highClass = uniqueName('high');
const ROLE = 'eks.amazonaws.com/role-arn';
const DENIED = 'example.com/host-secret';
let syncer: SyncerProcess;

const hostClassName = (name: string) => `vcluster-${name}-x-${hostNs}-x-${vc}`;

/** A bare pod labelled app=web in a virtual namespace. */
const webPod = (name: string, namespace: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels: { app: 'web' } },
  spec: { containers: [{ name: 'main', image: 'registry.local/web:1' }], ...spec },
});

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  await createTenantNamespace(nsA);
  await createTenantNamespace(nsB);
  syncer = await startSyncer({
    name: vc,
    hostNamespace: hostNs,
    args: [
      '--sync=+priorityclasses,+serviceaccounts,+poddisruptionbudgets',
      '--priority-class-max-value=100000',
      `--denied-service-account-annotation=${DENIED}`,
      `--workload-image-pull-secret=${PULL_SECRET}`,
      '--workload-image-pull-secret-selector=inject-pull-secrets=true',
    ],
  });
}, 180_000);

afterAll(async () => {
  for (const ns of [nsA, nsB])
    await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await mustKubectl('virtual', ['delete', 'priorityclass', lowClass, highClass, '--ignore-not-found']);
  await syncer?.stop();
  await mustKubectl('host', ['delete', 'priorityclass', hostClassName(lowClass), '--ignore-not-found']);
});

describe('policy kinds', () => {
  it("a PodDisruptionBudget's host copy selects only that virtual namespace's pods", async () => {
    for (const ns of [nsA, nsB])
      for (const name of ['web-1', 'web-2']) await apply('virtual', webPod(name, ns));
    await apply('virtual', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web', namespace: nsA },
      spec: { selector: { matchLabels: { app: 'web' } }, minAvailable: 1 },
    });
    const host = await waitFor(
      'host copy of the budget',
      () => getObject<Budget>('host', ['pdb', hostName('web', nsA, vc), '-n', hostNs]),
      60_000,
    );
    const selector = host.spec.selector?.matchLabels ?? {};
    expect(selector).toEqual({
      app: 'web',
      'vcluster.loft.sh/managed-by': vc,
      'vcluster.loft.sh/namespace': nsA,
    });
    // Four host pods carry app=web; the budget's selector matches exactly the two of namespace A.
    await waitFor(
      'the host pods of both namespaces',
      async () =>
        ((await getObject<List<PodLite>>('host', ['pods', '-n', hostNs, '-l', 'app=web']))?.items.length ??
          0) >= 4,
      60_000,
    );
    const labelSelector = Object.entries(selector)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const selected = await getObject<List<PodLite>>('host', ['pods', '-n', hostNs, '-l', labelSelector]);
    expect(selected?.items.map((p) => p.metadata.name).sort()).toEqual([
      hostName('web-1', nsA, vc),
      hostName('web-2', nsA, vc),
    ]);
    // The host's disruption controller counts the same two.
    await waitFor(
      'host budget status expecting 2 pods',
      async () =>
        (await getObject<Budget>('host', ['pdb', hostName('web', nsA, vc), '-n', hostNs]))?.status
          ?.expectedPods === 2,
      60_000,
    );
    // The virtual budget's status is the virtual cluster's own disruption controller's.
    await waitFor(
      'virtual budget status expecting 2 pods',
      async () => (await getObject<Budget>('virtual', ['pdb', 'web', '-n', nsA]))?.status?.expectedPods === 2,
      60_000,
    );
  }, 180_000);

  it('a tenant PriorityClass above the cap is refused with an event; one below arrives and its pods use it', async () => {
    await apply('virtual', {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: highClass },
      value: 200000,
    });
    await apply('virtual', {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: lowClass },
      value: 1000,
      globalDefault: false,
      description: 'tenant batch',
    });
    const events = await waitForEvents('virtual', 'default', highClass, 'SyncError');
    expect(events[0]?.message).toContain('above the highest value');
    expect(events[0]?.message).not.toContain(hostNs);
    const copy = await waitFor(
      'host copy of the low class',
      () => getObject<ClassLite>('host', ['priorityclass', hostClassName(lowClass)]),
      60_000,
    );
    expect(copy.value).toBe(1000);
    expect(copy.globalDefault ?? false).toBe(false);
    // Cluster-scoped copies are labelled for their host namespace too, as vCluster labels them.
    expect(copy.metadata.labels?.['vcluster.loft.sh/managed-by']).toBe(`${hostNs}-x-${vc}`);
    expect(await getObject('host', ['priorityclass', hostClassName(highClass)])).toBeUndefined();

    await apply('virtual', webPod('ranked', nsB, { priorityClassName: lowClass }));
    const pod = await waitFor(
      'host pod of the ranked pod',
      () => getObject<PodLite>('host', ['pod', hostName('ranked', nsB, vc), '-n', hostNs]),
      60_000,
    );
    expect(pod.spec.priorityClassName).toBe(hostClassName(lowClass));
  }, 120_000);

  it('a ServiceAccount arrives on the host with allowed annotations, without a denied one, and its pods run as it', async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: 'app',
        namespace: nsA,
        annotations: { [ROLE]: 'arn:aws:iam::123456789012:role/app', [DENIED]: 'nope' },
      },
    });
    const account = await waitFor(
      'host copy of the service account',
      () => getObject<AccountLite>('host', ['serviceaccount', hostName('app', nsA, vc), '-n', hostNs]),
      60_000,
    );
    expect(account.metadata.annotations?.[ROLE]).toBe('arn:aws:iam::123456789012:role/app');
    expect(account.metadata.annotations?.[DENIED]).toBeUndefined();
    expect(account.automountServiceAccountToken).toBe(false);
    expect(account.secrets ?? []).toEqual([]);

    await apply('virtual', webPod('identity', nsA, { serviceAccountName: 'app' }));
    const pod = await waitFor(
      'host pod running as the copy',
      () => getObject<PodLite>('host', ['pod', hostName('identity', nsA, vc), '-n', hostNs]),
      60_000,
    );
    expect(pod.spec.serviceAccountName).toBe(hostName('app', nsA, vc));
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    // Not labelled for them: no pull secrets.
    expect(account.imagePullSecrets ?? []).toEqual([]);
  }, 120_000);

  it("an account labelled for them gets the host's pull secrets, which the host gives its pods; unlabelled, it loses them", async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'builder', namespace: nsA, labels: { 'inject-pull-secrets': 'true' } },
    });
    const copy = () =>
      getObject<AccountLite>('host', ['serviceaccount', hostName('builder', nsA, vc), '-n', hostNs]);
    await waitFor(
      'host copy with the pull secret',
      async () => (await copy())?.imagePullSecrets?.some((s) => s.name === PULL_SECRET),
      60_000,
    );
    // The host's own ServiceAccount admission puts them into a pod that names none of its own.
    await apply('virtual', webPod('built', nsA, { serviceAccountName: 'builder' }));
    const pod = await waitFor(
      'host pod of the labelled account',
      () => getObject<PodLite>('host', ['pod', hostName('built', nsA, vc), '-n', hostNs]),
      60_000,
    );
    expect(pod.spec.imagePullSecrets).toEqual([{ name: PULL_SECRET }]);
    await mustKubectl('virtual', ['label', 'serviceaccount', 'builder', '-n', nsA, 'inject-pull-secrets-']);
    await waitFor(
      'host copy without pull secrets',
      async () => (await copy())?.imagePullSecrets === undefined,
      60_000,
    );
  }, 120_000);
});
