import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startClusters, stopClusters, type ClusterInfo } from '../hack/cluster/launcher.ts';
import { hostName } from '../src/naming/names.ts';
import { waitFor } from '../test/harness/clusters.ts';
import {
  apply,
  createTenantNamespace,
  eventsFor,
  getObject,
  mustKubectl,
  waitForEvents,
} from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

/**
 * The escapes a hostile tenant found (a host pod mounting a secret that was not its own), replayed
 * between the real clusters in both orders: nothing of the victim may reach the tenant's host pod.
 */

interface HostPod {
  spec: {
    volumes?: {
      name: string;
      secret?: { secretName?: string };
      projected?: { sources?: { secret?: { name?: string } }[] };
    }[];
    containers: { env?: { valueFrom?: { secretKeyRef?: { name?: string } } }[] }[];
  };
}

const vc = uniqueName('iso');
// A second virtual cluster in the same host namespace whose name contains `-x-`: `c-x-<vc>`.
const otherVc = `c-x-${vc}`;
const hostNs = `host-${vc}`;
const suffix = vc.slice(vc.lastIndexOf('-') + 1);
// Namespaces chosen so names collide across them: `a` / `b-x-a`, and `c` / `n`.
const [nsA, nsBxA] = [`a${suffix}`, `b-x-a${suffix}`];
const [nsC, nsN] = ['c', `n${suffix}`];
let syncer: SyncerProcess;
let otherSyncer: SyncerProcess;
/** A second virtual cluster (with its own API server) whose syncer shares our host namespace. */
let other: ClusterInfo;
let otherStateDir: string;
const otherKubectl = (args: string[], input?: string) =>
  execFileSync(other.kubectl, ['--kubeconfig', other.virtual.kubeconfig, ...args], {
    encoding: 'utf8',
    input,
  });

const secretManifest = (name: string, namespace: string, value: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace },
  stringData: { value },
});
const podManifest = (name: string, namespace: string, secretName: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace },
  spec: {
    containers: [
      {
        name: 'main',
        image: 'registry.local/app:1',
        env: [{ name: 'V', valueFrom: { secretKeyRef: { name: secretName, key: 'value' } } }],
      },
    ],
    volumes: [{ name: 'loot', secret: { secretName } }],
  },
});
const hostPodOf = (name: string, namespace: string, cluster = vc) =>
  getObject<HostPod>('host', ['pod', '-n', hostNs, hostName(name, namespace, cluster)]);
/** Every secret a host pod reads (volumes, projected sources, env). */
const secretsRead = (pod: HostPod) => [
  ...(pod.spec.volumes ?? []).flatMap((v) => [
    ...(v.secret?.secretName ? [v.secret.secretName] : []),
    ...(v.projected?.sources ?? []).flatMap((s) => (s.secret?.name ? [s.secret.name] : [])),
  ]),
  ...pod.spec.containers.flatMap((c) =>
    (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef?.name ? [e.valueFrom.secretKeyRef.name] : [])),
  ),
];
/** Waits a while and checks the pod was never created on the host, and the tenant was told why. */
async function heldWithEvent(
  pod: string,
  namespace: string,
  reason: 'FailedMount' | 'SyncError',
): Promise<string> {
  const events = await waitForEvents('virtual', namespace, pod, reason);
  expect(await hostPodOf(pod, namespace)).toBeUndefined();
  const text = events.map((e) => e.message).join('\n');
  expect(text).not.toContain(hostNs);
  return text;
}
/**
 * A barrier, not a sleep, for a check that the syncer did nothing: a pod mounting its own secret,
 * made in the namespace after what the test just wrote, which the syncer must carry to the host. The
 * watches bring the events in order and the pods' and secrets' queues hand them out in order, so
 * once the sentinel's pod and secret are on the host the syncer has had what came before in hand.
 */
async function passBarrier(namespace: string): Promise<void> {
  const name = uniqueName('barrier');
  await apply('virtual', secretManifest(name, namespace, 'sentinel'));
  await apply('virtual', podManifest(name, namespace, name));
  await waitFor(`the sentinel ${namespace}/${name} on the host`, () => hostPodOf(name, namespace), 60_000);
  expect(await getObject('host', ['secret', '-n', hostNs, hostName(name, namespace, vc)])).toBeDefined();
  await mustKubectl('virtual', ['delete', 'pod', name, '-n', namespace, '--wait=false']);
  await mustKubectl('virtual', ['delete', 'secret', name, '-n', namespace, '--wait=false']);
}

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  await prepareHostNamespace(otherVc, hostNs);
  for (const ns of [nsA, nsBxA, nsC]) await createTenantNamespace(ns);
  syncer = await startSyncer({ name: vc, hostNamespace: hostNs, args: ['--sync=+networkpolicies'] });
  otherStateDir = mkdtempSync(join(tmpdir(), 'vsyncer-other-vc-'));
  other = await startClusters({ stateDir: otherStateDir, nodes: 1 });
  otherKubectl(['create', 'namespace', nsN]);
  // The other cluster's syncer: its own virtual API server, our host cluster and host namespace.
  otherSyncer = await startSyncer({
    name: otherVc,
    hostNamespace: hostNs,
    args: ['--virtual-kubeconfig', other.virtual.kubeconfig, '--sync=+networkpolicies'],
  });
}, 240_000);

afterAll(async () => {
  await Promise.all([syncer?.stop(), otherSyncer?.stop()]);
  if (otherStateDir) {
    await stopClusters(otherStateDir);
    rmSync(otherStateDir, { recursive: true, force: true });
  }
  for (const ns of [nsA, nsBxA, nsC])
    await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
});

describe('escape 1: an unmanaged host secret under the translated name of a missing secret', () => {
  it('secret first: the pod is held (FailedMount), never mounting the host admin secret', async () => {
    await apply('host', {
      ...secretManifest(hostName('admin1', nsA, vc), hostNs, 'host-admin'),
      metadata: { name: hostName('admin1', nsA, vc), namespace: hostNs },
    });
    await apply('virtual', podManifest('thief1', nsA, 'admin1'));
    await heldWithEvent('thief1', nsA, 'FailedMount');
  }, 120_000);

  it('pod first: the admin secret appearing later is never mounted', async () => {
    await apply('virtual', podManifest('thief1b', nsA, 'admin1b'));
    await waitForEvents('virtual', nsA, 'thief1b', 'FailedMount');
    const adminName = hostName('admin1b', nsA, vc);
    await apply('host', {
      ...secretManifest('x', hostNs, 'host-admin'),
      metadata: { name: adminName, namespace: hostNs },
    });
    // The tenant makes the secret its pod names: its copy is refused, the name being the admin's
    // (so the syncer has seen the admin secret there), and the pod stays held.
    await apply('virtual', secretManifest('admin1b', nsA, 'tenant-data'));
    await waitForEvents('virtual', nsA, 'admin1b', 'SyncError');
    await passBarrier(nsA);
    expect(await hostPodOf('thief1b', nsA)).toBeUndefined();
    // Once the admin's secret is gone, the tenant's copy takes the name and the pod mounts that: the
    // pod was held for the tenant's own copy, never made while the name was the admin's.
    await mustKubectl('host', ['delete', 'secret', adminName, '-n', hostNs]);
    await mustKubectl('virtual', ['label', 'secret', 'admin1b', '-n', nsA, 'e2e-retry=1']);
    interface HostSecret {
      data: { value: string };
      metadata: { creationTimestamp: string; labels?: Record<string, string> };
    }
    const copy = await waitFor(
      "the tenant's copy of admin1b",
      async () => {
        const c = await getObject<HostSecret>('host', ['secret', '-n', hostNs, adminName]);
        return c?.metadata.labels?.['vcluster.loft.sh/managed-by'] === vc && c;
      },
      60_000,
    );
    expect(Buffer.from(copy.data.value, 'base64').toString()).toBe('tenant-data');
    const pod = await waitFor(
      'host pod of thief1b',
      () =>
        getObject<HostPod & { metadata: { creationTimestamp: string } }>('host', [
          'pod',
          '-n',
          hostNs,
          hostName('thief1b', nsA, vc),
        ]),
      60_000,
    );
    expect(secretsRead(pod)).toContain(adminName);
    // Made no earlier than the tenant's copy (both the host API server's timestamps, to the second).
    expect(Date.parse(pod.metadata.creationTimestamp)).toBeGreaterThanOrEqual(
      Date.parse(copy.metadata.creationTimestamp),
    );
  }, 180_000);
});

describe('escape 2: a host secret under the token secret name', () => {
  it('the token a pod mounts is never a secret someone else could name, before or after the pod', async () => {
    // The name the token secret had before: `<host pod>-token-<volume>`, made in advance by someone.
    const legacy = `${hostName('tokens', nsA, vc)}-token-kube-api-access`;
    await apply('host', {
      ...secretManifest('x', hostNs, 'host-admin'),
      metadata: { name: legacy, namespace: hostNs },
    });
    await apply('virtual', {
      ...podManifest('tokens', nsA, 'own'),
      spec: { containers: [{ name: 'main', image: 'registry.local/app:1' }] },
    });
    const pod = await waitFor('host pod of tokens', () => hostPodOf('tokens', nsA), 60_000);
    const read = secretsRead(pod);
    expect(read.length).toBeGreaterThan(0);
    // A token bundle of this virtual cluster: no `-x-`, so never a name a tenant's copy could take.
    for (const name of read) expect(name).toMatch(/^vsyncer-tokens-[0-9a-f]{10}-\d+$/);
    expect(read).not.toContain(legacy);
  }, 120_000);
});

describe('escape 3: `-x-` inside one virtual cluster (`s-x-b` in `a` vs `s` in `b-x-a`)', () => {
  const victimSecret = 's';
  const thiefRef = `s-x-${nsBxA.slice(0, nsBxA.length - `-x-${nsA}`.length)}`;

  it('the two references share a host name', () => {
    expect(hostName(thiefRef, nsA, vc)).toBe(hostName(victimSecret, nsBxA, vc));
  });

  it('victim first: the thief pod is refused with a SyncError', async () => {
    await apply('virtual', secretManifest(victimSecret, nsBxA, 'victim-data'));
    await apply('virtual', podManifest('owner', nsBxA, victimSecret));
    await waitFor('victim pod on the host', () => hostPodOf('owner', nsBxA), 60_000);
    await apply('virtual', podManifest('thief3', nsA, thiefRef));
    const text = await heldWithEvent('thief3', nsA, 'FailedMount');
    expect(text).toContain(`secret "${thiefRef}" not found`);
  }, 120_000);

  it("thief first, then the thief creates its own secret: refused, the name is the victim's", async () => {
    await apply('virtual', secretManifest(thiefRef, nsA, 'thief-data'));
    await waitForEvents('virtual', nsA, thiefRef, 'SyncError');
    await passBarrier(nsA);
    expect(await hostPodOf('thief3', nsA)).toBeUndefined();
    const events = await eventsFor('virtual', nsA, thiefRef);
    expect(events.some((e) => e.reason === 'SyncError')).toBe(true);
    // The victim's copy is untouched.
    const copy = await getObject<{
      data: { value: string };
      metadata: { annotations: Record<string, string> };
    }>('host', ['secret', '-n', hostNs, hostName(victimSecret, nsBxA, vc)]);
    expect(Buffer.from(copy!.data.value, 'base64').toString()).toBe('victim-data');
    expect(copy!.metadata.annotations['vcluster.loft.sh/object-namespace']).toBe(nsBxA);
  }, 120_000);
});

describe('escape 4: another virtual cluster in the same host namespace (`demo` ns `c` vs `c-x-demo`)', () => {
  it('the two references share a host name', () => {
    expect(hostName(`s-x-${nsN}`, nsC, vc)).toBe(hostName('s', nsN, otherVc));
  });

  it("the other cluster's copy is never mounted, changed or deleted", async () => {
    // The other virtual cluster's tenant has secret `s` in namespace `n`, used by a pod.
    otherKubectl(['apply', '-f', '-'], JSON.stringify(secretManifest('s', nsN, 'other-cluster-data')));
    await waitFor(
      "the other cluster's default service account",
      async () => {
        try {
          otherKubectl(['get', 'serviceaccount', 'default', '-n', nsN]);
          return true;
        } catch {
          return false;
        }
      },
      60_000,
    );
    otherKubectl(['apply', '-f', '-'], JSON.stringify(podManifest('other-owner', nsN, 's')));
    const otherCopyName = hostName('s', nsN, otherVc);
    await waitFor(
      "the other cluster's copy",
      () => getObject('host', ['secret', '-n', hostNs, otherCopyName]),
      60_000,
    );
    // Our tenant's pod in `c` names `s-x-n`: its host name is the other cluster's copy.
    await apply('virtual', podManifest('thief4', nsC, `s-x-${nsN}`));
    await heldWithEvent('thief4', nsC, 'FailedMount');
    // Our tenant makes the secret it names: our copy would take the other cluster's name.
    await apply('virtual', secretManifest(`s-x-${nsN}`, nsC, 'thief-data'));
    await waitForEvents('virtual', nsC, `s-x-${nsN}`, 'SyncError');
    await passBarrier(nsC);
    expect(await hostPodOf('thief4', nsC)).toBeUndefined();
    const copy = await getObject<{ data: { value: string }; metadata: { labels: Record<string, string> } }>(
      'host',
      ['secret', '-n', hostNs, otherCopyName],
    );
    expect(Buffer.from(copy!.data.value, 'base64').toString()).toBe('other-cluster-data');
    expect(copy!.metadata.labels['vcluster.loft.sh/managed-by']).toBe(otherVc);
    // Deleting our tenant's objects deletes nothing of the other cluster's.
    await mustKubectl('virtual', ['delete', 'pod', 'thief4', '-n', nsC, '--wait=false']);
    await mustKubectl('virtual', ['delete', 'secret', `s-x-${nsN}`, '-n', nsC]);
    await passBarrier(nsC);
    expect(await getObject('host', ['secret', '-n', hostNs, otherCopyName])).toBeDefined();
    expect(
      await getObject('host', ['pod', '-n', hostNs, hostName('other-owner', nsN, otherVc)]),
    ).toBeDefined();
  }, 180_000);
});

describe('escape 5: a running pod whose secret is deleted cannot be fed another object under its name', () => {
  it('the copy stays while the pod mounts it; the later claimant is refused', async () => {
    const ref = 'm-x-' + nsBxA.slice(0, nsBxA.length - `-x-${nsA}`.length);
    await apply('virtual', secretManifest(ref, nsA, 'mine'));
    await apply('virtual', podManifest('runner', nsA, ref));
    await waitFor('runner on the host', () => hostPodOf('runner', nsA), 60_000);
    await mustKubectl('virtual', ['delete', 'secret', ref, '-n', nsA]);
    await apply('virtual', secretManifest('m', nsBxA, 'victim-data'));
    await apply('virtual', podManifest('victim5', nsBxA, 'm'));
    await waitForEvents('virtual', nsBxA, 'm', 'SyncError');
    const copy = await getObject<{ data: { value: string } }>('host', [
      'secret',
      '-n',
      hostNs,
      hostName(ref, nsA, vc),
    ]);
    expect(Buffer.from(copy!.data.value, 'base64').toString()).toBe('mine');
  }, 120_000);
});

describe('network policies: a tenant policy selects only its own pods, whatever their labels', () => {
  interface Selector {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
  }
  interface Peer {
    podSelector?: Selector;
    namespaceSelector?: Selector;
    ipBlock?: { cidr: string };
  }
  /** A label selector as kubectl's -l takes it, so the host API server does the selecting. */
  const selectorString = (sel: Selector) =>
    [
      ...Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
      ...(sel.matchExpressions ?? []).map((e) =>
        e.operator === 'Exists'
          ? e.key
          : e.operator === 'DoesNotExist'
            ? `!${e.key}`
            : `${e.key} ${e.operator.toLowerCase()} (${(e.values ?? []).join(',')})`,
      ),
    ].join(',');
  /** The host pods (in the shared host namespace) a host selector selects. */
  const hostPodsSelected = async (sel: Selector) =>
    (await mustKubectl('host', ['get', 'pods', '-n', hostNs, '-l', selectorString(sel), '-o', 'name']))
      .split('\n')
      .filter(Boolean)
      .map((n) => n.replace('pod/', ''))
      .sort();

  it('the host copy selects only this virtual namespace and cluster; namespace selectors go through pod labels; ipBlocks kept', async () => {
    const run = (name: string, namespace: string, labels: string) =>
      mustKubectl('virtual', [
        'run',
        name,
        '-n',
        namespace,
        '--image=registry.local/app:1',
        '--restart=Never',
        `--labels=${labels}`,
      ]);
    await run('np-web', nsA, 'app=web');
    await run('np-client', nsBxA, 'role=client');
    // The other virtual cluster has a namespace of the same name and a pod with identical labels.
    try {
      otherKubectl(['create', 'namespace', nsA]);
    } catch {
      // already there
    }
    await waitFor(
      "the other cluster's default service account in " + nsA,
      async () => {
        try {
          otherKubectl(['get', 'serviceaccount', 'default', '-n', nsA]);
          return true;
        } catch {
          return false;
        }
      },
      60_000,
    );
    otherKubectl([
      'run',
      'np-web',
      '-n',
      nsA,
      '--image=registry.local/app:1',
      '--restart=Never',
      '--labels=app=web,role=client',
    ]);
    const ours = hostName('np-web', nsA, vc);
    const theirs = hostName('np-web', nsA, otherVc);
    for (const name of [ours, theirs, hostName('np-client', nsBxA, vc)])
      await waitFor(`host pod ${name}`, () => getObject('host', ['pod', '-n', hostNs, name]), 60_000);

    await apply('virtual', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'web', namespace: nsA },
      spec: {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [
              { podSelector: {} },
              { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': nsBxA } } },
              { namespaceSelector: {}, podSelector: { matchLabels: { role: 'client' } } },
              { ipBlock: { cidr: '192.0.2.0/24' } },
            ],
          },
        ],
      },
    });
    const policy = await waitFor(
      'host copy of the policy',
      () =>
        getObject<{ spec: { podSelector: Selector; ingress: { from: Peer[] }[] } }>('host', [
          'networkpolicy',
          '-n',
          hostNs,
          hostName('web', nsA, vc),
        ]),
      60_000,
    );
    // The policy's pods: ours only, never the other cluster's twin with the same labels.
    expect(await hostPodsSelected(policy.spec.podSelector)).toEqual([ours]);
    const [sameNamespace, byNamespace, anyNamespaceClients, block] = policy.spec.ingress[0]!.from;
    // An empty podSelector: every pod of this virtual namespace of this cluster, no one else's.
    const ourNamespace = await hostPodsSelected({
      matchLabels: { 'vcluster.loft.sh/managed-by': vc, 'vcluster.loft.sh/namespace': nsA },
    });
    expect(ourNamespace).toContain(ours);
    expect(await hostPodsSelected(sameNamespace!.podSelector!)).toEqual(ourNamespace);
    expect(ourNamespace).not.toContain(theirs);
    // No namespaceSelector reaches the host: it would select other host namespaces.
    expect(policy.spec.ingress[0]!.from.every((p) => p.namespaceSelector === undefined)).toBe(true);
    // Every pod of namespace nsBxA of this cluster (the namespace's own label, carried by its pods).
    const clientNamespace = await hostPodsSelected({
      matchLabels: { 'vcluster.loft.sh/managed-by': vc, 'vcluster.loft.sh/namespace': nsBxA },
    });
    expect(clientNamespace).toContain(hostName('np-client', nsBxA, vc));
    expect(await hostPodsSelected(byNamespace!.podSelector!)).toEqual(clientNamespace);
    // role=client in any namespace: our client, not the other cluster's pod that also has role=client.
    expect(await hostPodsSelected(anyNamespaceClients!.podSelector!)).toEqual([
      hostName('np-client', nsBxA, vc),
    ]);
    expect(block).toEqual({ ipBlock: { cidr: '192.0.2.0/24' } });
  }, 180_000);
});

describe('pod security in the syncer', () => {
  it('a privileged pod is refused with a SyncError naming the control, and never reaches the host', async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'root', namespace: nsA },
      spec: {
        hostPID: true,
        containers: [{ name: 'main', image: 'registry.local/app:1', securityContext: { privileged: true } }],
      },
    });
    const text = await heldWithEvent('root', nsA, 'SyncError');
    expect(text).toContain('host namespaces');
    expect(text).toContain('privileged');
  }, 120_000);

  it("a namespace's enforce label makes it stricter (restricted), never looser", async () => {
    await mustKubectl('virtual', [
      'label',
      'namespace',
      nsBxA,
      'pod-security.kubernetes.io/enforce=privileged',
      '--overwrite',
    ]);
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'still-baseline', namespace: nsBxA },
      spec: { hostNetwork: true, containers: [{ name: 'main', image: 'registry.local/app:1' }] },
    });
    await heldWithEvent('still-baseline', nsBxA, 'SyncError');
    // The virtual API server enforces the label on new pods itself; the syncer's check matters for a
    // pod that exists before the label does and reaches the host only later (held here for a secret).
    await apply('virtual', podManifest('not-restricted', nsC, 'arrives-later'));
    await waitForEvents('virtual', nsC, 'not-restricted', 'FailedMount');
    await mustKubectl('virtual', [
      'label',
      'namespace',
      nsC,
      'pod-security.kubernetes.io/enforce=restricted',
      '--overwrite',
    ]);
    await apply('virtual', secretManifest('arrives-later', nsC, 'x'));
    const text = await heldWithEvent('not-restricted', nsC, 'SyncError');
    expect(text).toContain('restricted');
  }, 120_000);
});
