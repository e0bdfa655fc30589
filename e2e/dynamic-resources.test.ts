import { hostName, hostNameShort } from '../src/naming/names.ts';
import { waitFor } from '../test/harness/clusters.ts';
import {
  apply,
  createTenantNamespace,
  getObject,
  mustKubectl,
  waitForEvents,
} from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

/*
 * Dynamic Resource Allocation (vCluster's sync.toHost.resourceClaims, resourceClaimTemplates and
 * sync.fromHost.deviceClasses): the host's device classes an admin offers are shown to the tenant; a
 * tenant pod's claim made from a template reaches the host as the claim the virtual cluster made, the
 * host's scheduler allocates a device of the host's (a ResourceSlice of every node, as a driver would
 * publish it), and the tenant sees its claim allocated and reserved for its own pod, which runs.
 */
const vc = uniqueName('dra');
const hostNs = `host-${vc}`;
const ns = uniqueName('gpus');
const driver = `${vc}.example.com`;
const offered = uniqueName('gpu');
const withheld = uniqueName('fpga');
const slice = uniqueName('devices');
let syncer: SyncerProcess;

interface Claim {
  metadata: { name: string; labels?: Record<string, string>; ownerReferences?: { uid: string }[] };
  spec: unknown;
  status?: {
    allocation?: { devices?: { results?: { driver: string; device: string; request: string }[] } };
    reservedFor?: { resource: string; name: string; uid: string }[];
  };
}

const deviceClass = (name: string, labels: Record<string, string>) => ({
  apiVersion: 'resource.k8s.io/v1',
  kind: 'DeviceClass',
  metadata: { name, labels },
  spec: { selectors: [{ cel: { expression: `device.driver == "${driver}"` } }] },
});

const claimSpec = (deviceClassName: string, extra: Record<string, unknown> = {}) => ({
  devices: { requests: [{ name: 'gpu', exactly: { deviceClassName, ...extra } }] },
});

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  await apply('host', deviceClass(offered, { tier: 'tenants' }));
  await apply('host', deviceClass(withheld, { tier: 'admins' }));
  // What a DRA driver publishes: two devices, reachable from every node.
  await apply('host', {
    apiVersion: 'resource.k8s.io/v1',
    kind: 'ResourceSlice',
    metadata: { name: slice },
    spec: {
      driver,
      pool: { name: 'shared', generation: 1, resourceSliceCount: 1 },
      allNodes: true,
      devices: [{ name: 'gpu-0' }, { name: 'gpu-1' }],
    },
  });
  syncer = await startSyncer({
    name: vc,
    hostNamespace: hostNs,
    args: [
      '--sync=resourceclaims,resourceclaimtemplates,+host-deviceclasses',
      '--host-deviceclasses-selector=tier=tenants',
    ],
  });
  await createTenantNamespace(ns);
}, 120_000);

afterAll(async () => {
  // Other suites' syncers watch the whole shared virtual cluster: leave nothing behind for them.
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await syncer?.stop();
  await mustKubectl('host', ['delete', 'resourceslice', slice, '--ignore-not-found']);
  await mustKubectl('host', ['delete', 'deviceclass', offered, withheld, '--ignore-not-found']);
});

describe('dynamic resource allocation', () => {
  it('shows only the device classes the admin offers, read-only', async () => {
    const copy = await waitFor(
      'the offered DeviceClass copy',
      () =>
        getObject<{ spec: unknown; metadata: { labels?: Record<string, string> } }>('virtual', [
          'deviceclass',
          offered,
        ]),
      60_000,
    );
    expect(copy.spec).toEqual(deviceClass(offered, {}).spec);
    expect(copy.metadata.labels?.tier).toBe('tenants');
    expect(await getObject('virtual', ['deviceclass', withheld])).toBeUndefined();
  });

  it("a pod's claim made from a template is allocated a host device, and the tenant sees it allocated to its pod", async () => {
    await apply('virtual', {
      apiVersion: 'resource.k8s.io/v1',
      kind: 'ResourceClaimTemplate',
      metadata: { name: 'one-gpu', namespace: ns },
      spec: { spec: claimSpec(offered) },
    });
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'trainer', namespace: ns },
      spec: {
        containers: [{ name: 'main', image: 'trainer:1', resources: { claims: [{ name: 'gpu' }] } }],
        resourceClaims: [{ name: 'gpu', resourceClaimTemplateName: 'one-gpu' }],
      },
    });
    // The template's host copy, as vCluster keeps one.
    await waitFor(
      'the template copy',
      () => getObject('host', ['resourceclaimtemplate', '-n', hostNs, hostNameShort('one-gpu', ns, vc)]),
      60_000,
    );
    const pod = await waitFor(
      'the tenant pod Running',
      async () => {
        const p = await getObject<{
          metadata: { uid: string };
          status?: { phase?: string; resourceClaimStatuses?: { name: string; resourceClaimName: string }[] };
        }>('virtual', ['pod', 'trainer', '-n', ns]);
        return p?.status?.phase === 'Running' && p;
      },
      90_000,
    );
    // The claim the virtual cluster made for the pod, recorded in its status and kept there.
    const made = pod.status?.resourceClaimStatuses?.find((s) => s.name === 'gpu')?.resourceClaimName;
    expect(made).toBeTruthy();
    const hostPod = await getObject<{ spec: { resourceClaims: unknown[] } }>('host', [
      'pod',
      '-n',
      hostNs,
      hostName('trainer', ns, vc),
    ]);
    expect(hostPod?.spec.resourceClaims).toEqual([
      { name: 'gpu', resourceClaimName: hostNameShort(made!, ns, vc) },
    ]);
    const hostClaim = await getObject<Claim>('host', [
      'resourceclaim',
      '-n',
      hostNs,
      hostNameShort(made!, ns, vc),
    ]);
    expect(hostClaim?.status?.allocation?.devices?.results?.[0]).toMatchObject({ driver, request: 'gpu' });
    const claim = await waitFor(
      'the virtual claim allocated and reserved for the pod',
      async () => {
        const c = await getObject<Claim>('virtual', ['resourceclaim', '-n', ns, made!]);
        return c?.status?.reservedFor?.length ? c : undefined;
      },
      60_000,
    );
    expect(claim.status?.allocation).toEqual(hostClaim?.status?.allocation);
    expect(claim.status?.reservedFor).toEqual([{ resource: 'pods', name: 'trainer', uid: pod.metadata.uid }]);
    // The host made no claim of its own from a template.
    const hostClaims = await getObject<{ items: Claim[] }>('host', ['resourceclaims', '-n', hostNs]);
    expect(hostClaims?.items.map((c) => c.metadata.name)).toEqual([hostNameShort(made!, ns, vc)]);
    // The pod ends: the virtual claim goes with it, and so does its copy.
    await mustKubectl('virtual', ['delete', 'pod', 'trainer', '-n', ns, '--wait=false']);
    await waitFor(
      'the host claim removed',
      async () =>
        (await getObject('host', ['resourceclaim', '-n', hostNs, hostNameShort(made!, ns, vc)])) ===
        undefined,
      90_000,
    );
  });

  it('a claim naming a class the admin does not offer, or asking for admin access, never reaches the host', async () => {
    await apply('virtual', {
      apiVersion: 'resource.k8s.io/v1',
      kind: 'ResourceClaim',
      metadata: { name: 'fpga', namespace: ns },
      spec: claimSpec(withheld),
    });
    // A tenant is admin of its virtual cluster: it may mark its own namespace for admin access there.
    await mustKubectl('virtual', ['label', 'namespace', ns, 'resource.kubernetes.io/admin-access=true']);
    await apply('virtual', {
      apiVersion: 'resource.k8s.io/v1',
      kind: 'ResourceClaim',
      metadata: { name: 'peek', namespace: ns },
      spec: claimSpec(offered, { adminAccess: true }),
    });
    const [refusal] = await waitForEvents('virtual', ns, 'fpga', 'SyncWarning');
    expect(refusal!.message).toContain(
      `did not sync resource claim "fpga" to host because the device class "${withheld}" in the host does not match the selector under 'sync.fromHost.deviceClasses.selector'`,
    );
    const [adminAccess] = await waitForEvents('virtual', ns, 'peek', 'SyncError');
    expect(adminAccess!.message).toContain('spec.devices.requests[0].exactly.adminAccess');
    for (const name of ['fpga', 'peek'])
      expect(
        await getObject('host', ['resourceclaim', '-n', hostNs, hostNameShort(name, ns, vc)]),
      ).toBeUndefined();
  });

  it('a pod asking for a device class through an extended resource runs only with a class the admin offers', async () => {
    const asking = (name: string, cls: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns },
      spec: {
        containers: [
          {
            name: 'main',
            image: 'app:1',
            resources: { limits: { [`deviceclass.resource.kubernetes.io/${cls}`]: '1' } },
          },
        ],
      },
    });
    await apply('virtual', asking('by-offered', offered));
    await apply('virtual', asking('by-withheld', withheld));
    const [refusal] = await waitForEvents('virtual', ns, 'by-withheld', 'SyncWarning');
    expect(refusal!.message).toContain(
      `did not sync pod "by-withheld" to host because the device class "${withheld}" in the host does not match the selector`,
    );
    expect(await getObject('host', ['pod', '-n', hostNs, hostName('by-withheld', ns, vc)])).toBeUndefined();
    // The host's scheduler makes the claim of the offered class itself, and the pod runs.
    await waitFor(
      'the pod asking for the offered class Running',
      async () =>
        (await getObject<{ status?: { phase?: string } }>('virtual', ['pod', 'by-offered', '-n', ns]))?.status
          ?.phase === 'Running',
      90_000,
    );
    await mustKubectl('virtual', ['delete', 'pod', 'by-offered', 'by-withheld', '-n', ns, '--wait=false']);
  });

  it('a shared claim named by the pod is copied, allocated and reserved for the pod by the host', async () => {
    await apply('virtual', {
      apiVersion: 'resource.k8s.io/v1',
      kind: 'ResourceClaim',
      metadata: { name: 'shared', namespace: ns, labels: { team: 'ml' } },
      spec: claimSpec(offered),
    });
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'server', namespace: ns },
      spec: {
        containers: [{ name: 'main', image: 'server:1', resources: { claims: [{ name: 'gpu' }] } }],
        resourceClaims: [{ name: 'gpu', resourceClaimName: 'shared' }],
      },
    });
    const claim = await waitFor(
      'the shared claim reserved for the pod',
      async () => {
        const c = await getObject<Claim>('virtual', ['resourceclaim', '-n', ns, 'shared']);
        return c?.status?.reservedFor?.length ? c : undefined;
      },
      90_000,
    );
    const pod = await getObject<{ metadata: { uid: string } }>('virtual', ['pod', 'server', '-n', ns]);
    expect(claim.status?.reservedFor).toEqual([{ resource: 'pods', name: 'server', uid: pod?.metadata.uid }]);
    const host = await getObject<Claim>('host', [
      'resourceclaim',
      '-n',
      hostNs,
      hostNameShort('shared', ns, vc),
    ]);
    expect(host?.metadata.labels?.team).toBe('ml');
    expect(host?.spec).toEqual(claim.spec);
    // Settled: the virtual cluster's resourceclaim controller keeps the status the syncer wrote.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const settled = await getObject<Claim & { metadata: { resourceVersion: string } }>('virtual', [
      'resourceclaim',
      '-n',
      ns,
      'shared',
    ]);
    expect(settled?.metadata.resourceVersion).toBe((claim as typeof settled)?.metadata.resourceVersion);
    // The pod ends: the host frees the device, and the tenant's claim shows it free, and stays.
    await mustKubectl('virtual', ['delete', 'pod', 'server', '-n', ns, '--wait=false']);
    const freed = await waitFor(
      'the shared claim freed',
      async () => {
        const c = await getObject<Claim & { metadata: { resourceVersion: string } }>('virtual', [
          'resourceclaim',
          '-n',
          ns,
          'shared',
        ]);
        return c && !c.status?.allocation && !c.status?.reservedFor?.length ? c : undefined;
      },
      90_000,
    );
    const hostFreed = await getObject<Claim>('host', [
      'resourceclaim',
      '-n',
      hostNs,
      hostNameShort('shared', ns, vc),
    ]);
    expect(hostFreed?.status?.allocation).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(
      (
        await getObject<{ metadata: { resourceVersion: string } }>('virtual', [
          'resourceclaim',
          '-n',
          ns,
          'shared',
        ])
      )?.metadata.resourceVersion,
    ).toBe(freed.metadata.resourceVersion);
  });
});
