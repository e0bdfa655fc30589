import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { hostNameShort } from '../../naming/names.ts';
import { podInfrastructure } from '../../testing/pod-seeds.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../../testing/state-table.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const CLAIMS = Resources.resourceClaims;
const TEMPLATES = Resources.resourceClaimTemplates;
const PODS = Resources.pods;
const hostName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;
/** Claims and templates are named on the host as vCluster names them (its short form). */
const claimHostName = (name: string, ns = 'team') => hostNameShort(name, ns, VC);

const claimSpec = (deviceClassName: string, extra: Record<string, unknown> = {}) => ({
  devices: {
    requests: [
      { name: 'gpu', exactly: { deviceClassName, allocationMode: 'ExactCount', count: 1, ...extra } },
    ],
  },
});

function claim(
  name: string,
  spec: unknown = claimSpec('gpu'),
  extra: Partial<KubeObject['metadata']> = {},
): Seed {
  return [CLAIMS, { metadata: { name, namespace: 'team', uid: `uid-${name}`, ...extra }, spec }];
}

function deviceClass(name: string, labels: Record<string, string> = {}): Seed {
  return [Resources.deviceClasses, { metadata: { name, labels }, spec: {} }];
}

function pod(
  name: string,
  resourceClaims: unknown[],
  status: Record<string, unknown> = { phase: 'Pending' },
): Seed {
  return [
    PODS,
    {
      metadata: { name, namespace: 'team', uid: `uid-${name}` },
      spec: { containers: [{ name: 'main', image: 'app:1' }], resourceClaims },
      status,
    },
  ];
}

const hostClaim = (t: StateTable, name: string) =>
  t.host.objects(CLAIMS, HOST_NS).find((c) => c.metadata?.name === claimHostName(name));
const virtualClaim = (t: StateTable, name: string) =>
  t.virtual.objects(CLAIMS, 'team').find((c) => c.metadata?.name === name);
const hostPod = (t: StateTable, name: string) =>
  t.host.objects(PODS, HOST_NS).find((p) => p.metadata?.name === hostName(name)) as
    (KubeObject & { spec?: { resourceClaims?: unknown[] } }) | undefined;
const warnings = (t: StateTable, name: string) =>
  t.virtual
    .objects(Resources.events, 'team')
    .filter((e) => (e.involvedObject as { name?: string }).name === name)
    .map((e) => `${e.reason}: ${e.message}`);

/** What the host's scheduler writes when it allocates a claim's device and reserves it for pods. */
const allocated = (device: string, ...hostPods: { name: string; uid: string }[]) => ({
  allocation: {
    devices: { results: [{ request: 'gpu', driver: 'gpu.example.com', pool: 'shared', device }] },
  },
  ...(hostPods.length ? { reservedFor: hostPods.map((p) => ({ resource: 'pods', ...p })) } : {}),
});

async function setHostStatus(t: StateTable, name: string, status: Record<string, unknown>) {
  await t.host.update(CLAIMS, HOST_NS, { ...hostClaim(t, name)!, status }, { subresource: 'status' });
  await t.settle();
}

/**
 * The host frees the claim and allocates it anew in one go: both writes are made before any watch
 * event is delivered, so the syncer sees only the new allocation (as after a restart).
 */
async function reallocate(t: StateTable, name: string, status: Record<string, unknown>) {
  const { resourceVersion: _unconditional, ...metadata } = hostClaim(t, name)!.metadata!;
  const claim = { ...hostClaim(t, name)!, metadata };
  const writes = [
    t.host.update(CLAIMS, HOST_NS, { ...claim, status: {} }, { subresource: 'status' }),
    t.host.update(CLAIMS, HOST_NS, { ...claim, status }, { subresource: 'status' }),
  ];
  await Promise.all(writes);
  await t.settle();
}

describe('resourceclaims state table', () => {
  it('copies a claim with its spec; the allocation comes back, reserved for the virtual pods of its host pods only', async () => {
    const table = await start({
      kinds: ['pods', 'resourceclaims'],
      virtual: [
        ...podInfrastructure.virtual,
        claim('shared', claimSpec('gpu'), { labels: { team: 'ml' } }),
        pod('server', [{ name: 'gpu', resourceClaimName: 'shared' }]),
      ],
      host: podInfrastructure.host,
    });
    await table.settle();
    const copy = hostClaim(table, 'shared')!;
    expect(copy.spec).toEqual(claimSpec('gpu'));
    expect(copy.metadata?.labels).toMatchObject({ team: 'ml', 'vcluster.loft.sh/managed-by': VC });
    expect(hostPod(table, 'server')?.spec?.resourceClaims).toEqual([
      { name: 'gpu', resourceClaimName: claimHostName('shared') },
    ]);
    const server = hostPod(table, 'server')!;
    // Reserved for the tenant's pod, and for a host pod that is none of this tenant's.
    await setHostStatus(
      table,
      'shared',
      allocated(
        'gpu-0',
        { name: server.metadata!.name!, uid: server.metadata!.uid! },
        { name: 'admin-job', uid: 'h1' },
      ),
    );
    expect(virtualClaim(table, 'shared')?.status).toEqual({
      ...allocated('gpu-0'),
      reservedFor: [{ resource: 'pods', name: 'server', uid: 'uid-server' }],
    });
  });

  it('an allocation the host replaced is removed first, as the API keeps one once set', async () => {
    const table = await start({ kinds: ['resourceclaims'], virtual: [claim('gpu')] });
    await table.settle();
    await setHostStatus(table, 'gpu', allocated('gpu-0'));
    expect(virtualClaim(table, 'gpu')?.status).toEqual(allocated('gpu-0'));
    table.virtual.clearWrites();
    await reallocate(table, 'gpu', allocated('gpu-1'));
    expect(virtualClaim(table, 'gpu')?.status).toEqual(allocated('gpu-1'));
    expect(table.virtual.writeLog()).toEqual([
      'update resourceclaims/status team/gpu',
      'update resourceclaims/status team/gpu',
    ]);
  });

  it.each([
    ['admin access', claimSpec('gpu', { adminAccess: true }), 'spec.devices.requests[0].exactly.adminAccess'],
    [
      'admin access in an alternative',
      {
        devices: {
          requests: [
            { name: 'gpu', firstAvailable: [{ name: 'a', deviceClassName: 'gpu', adminAccess: true }] },
          ],
        },
      },
      'spec.devices.requests[0].firstAvailable[0].adminAccess',
    ],
    [
      'requests not a list',
      { devices: { requests: { name: 'gpu' } } },
      'spec.devices.requests: must be a list',
    ],
  ])('a claim asking for %s never reaches the host, and the tenant is told', async (_what, spec, field) => {
    const table = await start({ kinds: ['resourceclaims'], virtual: [claim('peek', spec)] });
    await table.settle();
    expect(table.host.objects(CLAIMS, HOST_NS)).toEqual([]);
    expect(warnings(table, 'peek').join('\n')).toContain(field);
  });

  it('with the host device classes shown, a claim may name only a class offered; one offered later is synced then', async () => {
    const table = await start({
      kinds: ['resourceclaims', 'resourceclaimtemplates', 'host-deviceclasses'],
      flags: { hostDeviceclassesSelector: 'tier=tenants' },
      virtual: [
        claim('fpga', claimSpec('fpga')),
        claim('gpu', claimSpec('gpu')),
        claim('missing', claimSpec('tpu')),
        [TEMPLATES, { metadata: { name: 'fpgas', namespace: 'team' }, spec: { spec: claimSpec('fpga') } }],
      ],
      host: [deviceClass('gpu', { tier: 'tenants' }), deviceClass('fpga', { tier: 'admins' })],
    });
    await table.settle();
    expect(table.host.objects(CLAIMS, HOST_NS).map((c) => c.metadata?.name)).toEqual([claimHostName('gpu')]);
    expect(table.host.objects(TEMPLATES, HOST_NS)).toEqual([]);
    expect(table.virtual.objects(Resources.deviceClasses).map((c) => c.metadata?.name)).toEqual(['gpu']);
    expect(warnings(table, 'fpga')).toEqual([
      `SyncWarning: did not sync resource claim "fpga" to host because the device class "fpga" in the host does not match the selector under 'sync.fromHost.deviceClasses.selector'`,
    ]);
    expect(warnings(table, 'missing')).toEqual([
      `SyncWarning: did not sync resource claim "missing" to host because the device class "tpu" couldn't be reached in the host: deviceclasses.resource.k8s.io "tpu" not found`,
    ]);
    // The admin offers fpga: the claim and the template naming it are synced.
    const fpga = table.host.objects(Resources.deviceClasses).find((c) => c.metadata?.name === 'fpga')!;
    await table.host.update(Resources.deviceClasses, '', {
      ...fpga,
      metadata: { ...fpga.metadata, labels: { tier: 'tenants' } },
    });
    await table.settle();
    expect(
      table.host
        .objects(CLAIMS, HOST_NS)
        .map((c) => c.metadata?.name)
        .sort(),
    ).toEqual([claimHostName('fpga'), claimHostName('gpu')].sort());
    expect(table.host.objects(TEMPLATES, HOST_NS).map((c) => [c.metadata?.name, c.spec])).toEqual([
      [claimHostName('fpgas'), { spec: claimSpec('fpga') }],
    ]);
  });
});

describe('resourceclaims: status the virtual API keeps otherwise', () => {
  it('a device status of a replaced allocation goes with it (the API refuses one naming a device not allocated)', async () => {
    const table = await start({ kinds: ['resourceclaims'], virtual: [claim('gpu')] });
    await table.settle();
    const device = (name: string) => ({
      driver: 'gpu.example.com',
      pool: 'shared',
      device: name,
      data: { index: 0 },
    });
    await setHostStatus(table, 'gpu', { ...allocated('gpu-0'), devices: [device('gpu-0')] });
    expect(virtualClaim(table, 'gpu')?.status).toEqual({ ...allocated('gpu-0'), devices: [device('gpu-0')] });
    // Freed and allocated anew, with the driver's status of the new device.
    await reallocate(table, 'gpu', { ...allocated('gpu-1'), devices: [device('gpu-1')] });
    expect(virtualClaim(table, 'gpu')?.status).toEqual({ ...allocated('gpu-1'), devices: [device('gpu-1')] });
    expect(warnings(table, 'gpu')).toEqual([]);
  });

  it('an allocation field an older virtual API server drops is written once, not for ever', async () => {
    const table = await start({ kinds: ['resourceclaims'], virtual: [claim('gpu')] });
    await table.settle();
    // As an API server without the field (older, or its feature gate off) keeps the status.
    const update = table.virtual.update.bind(table.virtual);
    table.virtual.update = ((type, namespace, body, options) => {
      const status = body.status as { allocation?: Record<string, unknown> } | undefined;
      if (type === CLAIMS && options?.subresource === 'status' && status?.allocation) {
        const { allocationTimestamp: _dropped, ...kept } = status.allocation;
        body = { ...body, status: { ...status, allocation: kept } };
      }
      return update(type, namespace, body, options);
    }) as typeof table.virtual.update;
    table.virtual.clearWrites();
    await setHostStatus(table, 'gpu', {
      allocation: { ...allocated('gpu-0').allocation, allocationTimestamp: '2026-11-30T12:00:00Z' },
    });
    expect(virtualClaim(table, 'gpu')?.status).toEqual(allocated('gpu-0'));
    expect(table.virtual.writeLog()).toEqual(['update resourceclaims/status team/gpu']);
  });
});

describe('resourceclaims: a copy a host pod names', () => {
  it("stays while the pod is there after the tenant deletes the claim: another namespace's claim of the same host name waits", async () => {
    // Names chosen so that both translate to one host name: `a-x-b` of `c`, and `a` of `b-x-c`.
    const table = await start({
      kinds: ['pods', 'resourceclaims'],
      virtual: [
        ...podInfrastructure.virtual,
        [Resources.namespaces, { metadata: { name: 'c' } }],
        [Resources.namespaces, { metadata: { name: 'b-x-c' } }],
        [CLAIMS, { metadata: { name: 'a-x-b', namespace: 'c', uid: 'uid-c' }, spec: claimSpec('gpu') }],
        [
          PODS,
          {
            metadata: { name: 'pending', namespace: 'c', uid: 'uid-pending' },
            spec: {
              containers: [{ name: 'main', image: 'app:1' }],
              resourceClaims: [{ name: 'gpu', resourceClaimName: 'a-x-b' }],
            },
            status: { phase: 'Pending' },
          },
        ],
      ],
      host: podInfrastructure.host,
    });
    await table.settle();
    const shared = hostNameShort('a-x-b', 'c', VC);
    expect(shared).toBe(hostNameShort('a', 'b-x-c', VC));
    const copyOf = () =>
      table.host
        .objects(CLAIMS, HOST_NS)
        .map((c) => [c.metadata?.name, c.metadata?.annotations?.['vcluster.loft.sh/object-namespace']]);
    expect(copyOf()).toEqual([[shared, 'c']]);
    await table.virtual.delete(CLAIMS, 'c', 'a-x-b');
    await table.settle();
    expect(copyOf()).toEqual([[shared, 'c']]);
    await table.virtual.create(CLAIMS, 'b-x-c', {
      metadata: { name: 'a', namespace: 'b-x-c' },
      spec: claimSpec('gpu'),
    });
    await table.settle();
    expect(copyOf()).toEqual([[shared, 'c']]);
    // The pod goes: then the copy, and the other namespace's claim gets the name.
    await table.virtual.delete(PODS, 'c', 'pending');
    await table.settle();
    expect(copyOf()).toEqual([[shared, 'b-x-c']]);
  });
});

describe('resourceclaims: a class the admin withholds later', () => {
  it('removes a copy not allocated yet (the host would allocate from it); an allocated one keeps its device and status', async () => {
    const table = await start({
      kinds: ['resourceclaims', 'host-deviceclasses'],
      flags: { hostDeviceclassesSelector: 'tier=tenants' },
      virtual: [claim('waiting'), claim('running')],
      host: [deviceClass('gpu', { tier: 'tenants' })],
    });
    await table.settle();
    await setHostStatus(table, 'running', allocated('gpu-0'));
    const gpu = table.host.objects(Resources.deviceClasses)[0]!;
    await table.host.update(Resources.deviceClasses, '', {
      ...gpu,
      metadata: { ...gpu.metadata, labels: {} },
    });
    await table.settle();
    expect(table.host.objects(CLAIMS, HOST_NS).map((c) => c.metadata?.name)).toEqual([
      claimHostName('running'),
    ]);
    expect(warnings(table, 'waiting')).toEqual([
      `SyncWarning: did not sync resource claim "waiting" to host because the device class "gpu" in the host does not match the selector under 'sync.fromHost.deviceClasses.selector'`,
    ]);
    // Still allocated: its status flows (a reservation for a pod that is none of the tenant's is left out).
    await setHostStatus(table, 'running', allocated('gpu-0', { name: 'gone', uid: 'h2' }));
    expect(virtualClaim(table, 'running')?.status).toEqual(allocated('gpu-0'));
    expect(warnings(table, 'running')).toEqual([]);
    // Freed: it goes too, and the tenant sees it free and is told why.
    await setHostStatus(table, 'running', {});
    expect(table.host.objects(CLAIMS, HOST_NS)).toEqual([]);
    expect(virtualClaim(table, 'running')?.status).toEqual({});
    expect(warnings(table, 'running')).toHaveLength(1);
  });

  it('a copy whose spec the host defaults otherwise is kept as it is (no replacement loop between API versions)', async () => {
    const table = await start({ kinds: ['resourceclaims'], virtual: [claim('gpu')] });
    await table.settle();
    const copy = hostClaim(table, 'gpu')!;
    // As a host of another version might write it: a default the virtual cluster's API has not.
    const defaulted = {
      ...copy,
      spec: { devices: { ...(copy.spec as { devices: object }).devices, constraints: [] } },
    };
    await table.host.delete(CLAIMS, HOST_NS, copy.metadata!.name!);
    await table.host.create(CLAIMS, HOST_NS, {
      ...defaulted,
      metadata: { ...copy.metadata, resourceVersion: undefined, uid: undefined },
    });
    await table.settle();
    table.host.clearWrites();
    await table.virtual.update(CLAIMS, 'team', {
      ...virtualClaim(table, 'gpu')!,
      metadata: { ...virtualClaim(table, 'gpu')!.metadata, labels: { x: 'y' } },
    });
    await table.settle();
    expect(table.host.writeLog()).toEqual([`update resourceclaims ${HOST_NS}/${claimHostName('gpu')}`]);
    expect(hostClaim(table, 'gpu')?.spec).toEqual(defaulted.spec);
  });
});

describe('pods with claims made from templates', () => {
  const templated = [{ name: 'gpu', resourceClaimTemplateName: 'one-gpu' }];
  const madeStatus = {
    phase: 'Pending',
    resourceClaimStatuses: [{ name: 'gpu', resourceClaimName: 'web-gpu-x7k2q' }],
  };
  const madeClaim = (ownerUid: string) =>
    claim('web-gpu-x7k2q', claimSpec('gpu'), {
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'web', uid: ownerUid, controller: true }],
    });

  const table = (virtual: Seed[]) =>
    start({
      kinds: ['pods', 'resourceclaims'],
      virtual: [...podInfrastructure.virtual, ...virtual],
      host: podInfrastructure.host,
    });

  it("waits for the claim the virtual cluster makes, then names its copy; the claim statuses stay the virtual cluster's", async () => {
    const t = await table([pod('web', templated)]);
    await t.settle();
    expect(hostPod(t, 'web')).toBeUndefined();
    // The virtual cluster's resourceclaim controller makes the claim, then records it in the pod's status.
    await t.virtual.create(CLAIMS, 'team', madeClaim('uid-web')[1]);
    const web = t.virtual.objects(PODS, 'team')[0]!;
    await t.virtual.update(PODS, 'team', { ...web, status: madeStatus }, { subresource: 'status' });
    await t.settle();
    expect(hostPod(t, 'web')?.spec?.resourceClaims).toEqual([
      { name: 'gpu', resourceClaimName: claimHostName('web-gpu-x7k2q') },
    ]);
    expect(t.host.objects(TEMPLATES, HOST_NS)).toEqual([]);
    // The host pod runs: its status comes up, and the virtual cluster's record of its claims is kept.
    const host = hostPod(t, 'web')!;
    await t.host.update(
      PODS,
      HOST_NS,
      { ...host, status: { phase: 'Running', podIP: '10.1.0.5' } },
      { subresource: 'status' },
    );
    await t.settle();
    const status = t.virtual.objects(PODS, 'team')[0]!.status as Record<string, unknown>;
    expect(status).toMatchObject({
      phase: 'Running',
      resourceClaimStatuses: madeStatus.resourceClaimStatuses,
    });
  });

  it.each([
    ['made by the tenant (no owner)', claim('web-gpu-x7k2q')],
    ["an earlier pod's of the name", madeClaim('uid-of-an-earlier-web')],
  ])('a claim the status names but %s is not used: the pod waits, told', async (_what, seed) => {
    const t = await table([seed, pod('web', templated, madeStatus)]);
    await t.settle();
    expect(hostPod(t, 'web')).toBeUndefined();
    expect(warnings(t, 'web')).toContain(
      'FailedPrepareDynamicResources: ResourceClaim team/web-gpu-x7k2q was not created for pod team/web (pod is not owner)',
    );
  });

  it('without the resourceclaims kind, a pod naming a claim is refused, said so', async () => {
    const t = await start({
      kinds: ['pods'],
      virtual: [
        ...podInfrastructure.virtual,
        claim('shared'),
        pod('web', [{ name: 'gpu', resourceClaimName: 'shared' }]),
      ],
      host: podInfrastructure.host,
    });
    await t.settle();
    expect(hostPod(t, 'web')).toBeUndefined();
    expect(warnings(t, 'web').join('\n')).toContain(
      'ResourceClaim "shared": objects of this kind are not synced to the host',
    );
  });
});

describe('pods asking for a device class through an extended resource', () => {
  const asking = (name: string, resource: string): Seed => [
    PODS,
    {
      metadata: { name, namespace: 'team', uid: `uid-${name}` },
      spec: { containers: [{ name: 'main', image: 'app:1', resources: { limits: { [resource]: '1' } } }] },
      status: { phase: 'Pending' },
    },
  ];

  it('with the host device classes shown, only a class offered may be asked for; one offered later lets the pod through', async () => {
    const fpga: Seed = [
      Resources.deviceClasses,
      {
        metadata: { name: 'fpga', labels: { tier: 'admins' } },
        spec: { extendedResourceName: 'example.com/fpga' },
      },
    ];
    const table = await start({
      kinds: ['pods', 'host-deviceclasses'],
      flags: { hostDeviceclassesSelector: 'tier=tenants' },
      virtual: [
        ...podInfrastructure.virtual,
        asking('by-prefix', 'deviceclass.resource.kubernetes.io/fpga'),
        asking('by-name', 'example.com/fpga'),
        asking('offered', 'deviceclass.resource.kubernetes.io/gpu'),
        asking('plain', 'nvidia.com/gpu'),
      ],
      host: [...podInfrastructure.host, deviceClass('gpu', { tier: 'tenants' }), fpga],
    });
    await table.settle();
    expect(
      table.host
        .objects(PODS, HOST_NS)
        .map((p) => p.metadata?.name)
        .sort(),
    ).toEqual([hostName('offered'), hostName('plain')].sort());
    for (const name of ['by-prefix', 'by-name'])
      expect(warnings(table, name)).toEqual([
        `SyncWarning: did not sync pod "${name}" to host because the device class "fpga" in the host does not match the selector under 'sync.fromHost.deviceClasses.selector'`,
      ]);
    const cls = table.host.objects(Resources.deviceClasses).find((c) => c.metadata?.name === 'fpga')!;
    await table.host.update(Resources.deviceClasses, '', {
      ...cls,
      metadata: { ...cls.metadata, labels: { tier: 'tenants' } },
    });
    await table.settle();
    expect(table.host.objects(PODS, HOST_NS)).toHaveLength(4);
  });
});

describe('resourceclaims: after the second review', () => {
  it('the same device allocated anew with other fields (unseen in between) is freed first, not refused as immutable', async () => {
    const table = await start({ kinds: ['resourceclaims'], virtual: [claim('gpu')] });
    await table.settle();
    const at = (time: string) => ({
      allocation: { ...allocated('gpu-0').allocation, allocationTimestamp: time },
    });
    await setHostStatus(table, 'gpu', at('2026-11-30T12:00:00Z'));
    await reallocate(table, 'gpu', at('2026-11-30T13:00:00Z'));
    expect(virtualClaim(table, 'gpu')?.status).toEqual(at('2026-11-30T13:00:00Z'));
    expect(warnings(table, 'gpu')).toEqual([]);
  });

  it("keeps the reservation the virtual cluster's controller makes for a pod on a node that is held off the host (no fight)", async () => {
    const held: Seed = [
      PODS,
      {
        metadata: { name: 'held', namespace: 'team', uid: 'uid-held' },
        spec: {
          nodeName: 'node-1',
          containers: [{ name: 'main', image: 'app:1', envFrom: [{ configMapRef: { name: 'missing' } }] }],
          resourceClaims: [{ name: 'gpu', resourceClaimName: 'shared' }],
        },
        status: { phase: 'Pending' },
      },
    ];
    const table = await start({
      kinds: ['pods', 'resourceclaims', 'configmaps'],
      virtual: [
        ...podInfrastructure.virtual,
        claim('shared'),
        pod('a', [{ name: 'gpu', resourceClaimName: 'shared' }]),
        held,
      ],
      host: podInfrastructure.host,
    });
    await table.settle();
    expect(hostPod(table, 'held')).toBeUndefined();
    const a = hostPod(table, 'a')!;
    await setHostStatus(
      table,
      'shared',
      allocated('gpu-0', { name: a.metadata!.name!, uid: a.metadata!.uid! }),
    );
    // The virtual cluster's resourceclaim controller reserves the allocated claim for the bound pod.
    const claimNow = virtualClaim(table, 'shared')!;
    const status = claimNow.status as { reservedFor: unknown[] };
    const both = [...status.reservedFor, { resource: 'pods', name: 'held', uid: 'uid-held' }];
    await table.virtual.update(
      CLAIMS,
      'team',
      { ...claimNow, status: { ...status, reservedFor: both } },
      { subresource: 'status' },
    );
    table.virtual.clearWrites();
    await table.settle();
    expect((virtualClaim(table, 'shared')?.status as { reservedFor: unknown[] }).reservedFor).toEqual(both);
    expect(table.virtual.writeLog().filter((w) => w.startsWith('update resourceclaims'))).toEqual([]);
  });

  it('a pod that ended keeps no copy: the claim deleted, its copy goes', async () => {
    const table = await start({
      kinds: ['pods', 'resourceclaims'],
      virtual: [
        ...podInfrastructure.virtual,
        claim('gpu'),
        pod('job', [{ name: 'gpu', resourceClaimName: 'gpu' }]),
      ],
      host: podInfrastructure.host,
    });
    await table.settle();
    const job = hostPod(table, 'job')!;
    await table.host.update(
      PODS,
      HOST_NS,
      { ...job, status: { phase: 'Succeeded' } },
      { subresource: 'status' },
    );
    await table.settle();
    await table.virtual.delete(CLAIMS, 'team', 'gpu');
    await table.settle();
    expect(table.host.objects(CLAIMS, HOST_NS)).toEqual([]);
  });

  it("a claim made again while a pod names its earlier copy waits, never taking over the earlier one's spec and device", async () => {
    const table = await start({
      kinds: ['pods', 'resourceclaims'],
      virtual: [
        ...podInfrastructure.virtual,
        claim('gpu'),
        pod('server', [{ name: 'gpu', resourceClaimName: 'gpu' }]),
      ],
      host: podInfrastructure.host,
    });
    await table.settle();
    const uidOfCopy = () => hostClaim(table, 'gpu')?.metadata?.annotations?.['vcluster.loft.sh/object-uid'];
    await table.virtual.delete(CLAIMS, 'team', 'gpu');
    await table.virtual.create(CLAIMS, 'team', {
      metadata: { name: 'gpu', namespace: 'team' },
      spec: claimSpec('tpu'),
    });
    await table.settle();
    expect(uidOfCopy()).toBe('uid-gpu');
    expect(hostClaim(table, 'gpu')?.spec).toEqual(claimSpec('gpu'));
    await table.virtual.delete(PODS, 'team', 'server');
    await table.settle();
    expect(uidOfCopy()).toBe(virtualClaim(table, 'gpu')?.metadata?.uid);
    expect(hostClaim(table, 'gpu')?.spec).toEqual(claimSpec('tpu'));
  });

  it('a class withheld while a pending pod names the copy: the copy stays under that pod, and the tenant is told', async () => {
    const table = await start({
      kinds: ['pods', 'resourceclaims', 'host-deviceclasses'],
      flags: { hostDeviceclassesSelector: 'tier=tenants' },
      virtual: [
        ...podInfrastructure.virtual,
        claim('gpu'),
        pod('server', [{ name: 'gpu', resourceClaimName: 'gpu' }]),
      ],
      host: [...podInfrastructure.host, deviceClass('gpu', { tier: 'tenants' })],
    });
    await table.settle();
    const cls = table.host.objects(Resources.deviceClasses)[0]!;
    await table.host.update(Resources.deviceClasses, '', {
      ...cls,
      metadata: { ...cls.metadata, labels: {} },
    });
    await table.settle();
    expect(table.host.objects(CLAIMS, HOST_NS).map((c) => c.metadata?.name)).toEqual([claimHostName('gpu')]);
    expect(warnings(table, 'gpu')).toEqual([
      `SyncWarning: did not sync resource claim "gpu" to host because the device class "gpu" in the host does not match the selector under 'sync.fromHost.deviceClasses.selector'`,
    ]);
  });
});
