import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type StateTable } from '../../testing/state-table.ts';
import { PRE_BOUND_ONLY, specOf, statusOf } from '../persistentvolumeclaims/translate.ts';
import { invalidAllowedSources, volumeSpecOf } from './translate.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const PV = Resources.persistentVolumes;
const PVC = Resources.persistentVolumeClaims;
const SC = Resources.storageClasses;
const MANAGED_BY = 'vcluster.loft.sh/managed-by';
/** The managed-by value of this virtual cluster's cluster-scoped copies: `<host namespace>-x-<vc>`. */
const CLUSTER_OWNER = `${HOST_NS}-x-${VC}`;
const hostPvName = (name: string) => `vcluster-${name}-x-${HOST_NS}-x-${VC}`;
const hostClaimName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;

const NFS = { server: 'nfs.example.com', path: '/exports/team' };

function volume(
  name: string,
  source: Record<string, unknown>,
  claim?: string,
  extra: object = {},
): KubeObject {
  return {
    metadata: {
      name,
      labels: { tier: 'gold' },
      annotations: { note: 'keep', 'pv.kubernetes.io/provisioned-by': 'ebs.csi.aws.com' },
    },
    spec: {
      capacity: { storage: '5Gi' },
      accessModes: ['ReadWriteMany'],
      volumeMode: 'Filesystem',
      storageClassName: 'fast',
      persistentVolumeReclaimPolicy: 'Retain',
      mountOptions: ['nfsvers=4.1'],
      ...source,
      ...(claim ? { claimRef: { namespace: 'team', name: claim, uid: 'virtual-claim-uid' } } : {}),
      ...extra,
    },
  };
}

/** A volume the tenant reserves for a claim by name, as a tenant writes it (the binder adds the UID). */
const reservedVolume = (name: string, claimName: string) =>
  volume(name, { nfs: NFS }, undefined, { claimRef: { namespace: 'team', name: claimName } });

function claim(name: string, volumeName?: string): KubeObject {
  return {
    metadata: { name, namespace: 'team' },
    spec: {
      accessModes: ['ReadWriteMany'],
      resources: { requests: { storage: '5Gi' } },
      storageClassName: 'fast',
      ...(volumeName ? { volumeName } : {}),
    },
  };
}

const hostVolume = (t: StateTable, name: string) =>
  t.host.objects(PV).find((v) => v.metadata?.name === hostPvName(name));
const virtualVolume = (t: StateTable, name: string) =>
  t.virtual.objects(PV).find((v) => v.metadata?.name === name);
const hostClaim = (t: StateTable, name: string) =>
  t.host.objects(PVC, HOST_NS).find((c) => c.metadata?.name === hostClaimName(name));
const virtualClaim = (t: StateTable, name: string) =>
  t.virtual.objects(PVC, 'team').find((c) => c.metadata?.name === name);
const allSyncErrors = (t: StateTable) =>
  t.virtual
    .objects(Resources.events)
    .filter((e) => e.reason === 'SyncError')
    .map((e) => String(e.message));

/** The claim's host copy, as the claims kind makes it: what a volume reserved for the claim waits for. */
const hostClaimCopy = (name: string): [typeof PV, KubeObject] => [
  PVC as typeof PV,
  {
    metadata: {
      name: hostClaimName(name),
      namespace: HOST_NS,
      uid: `host-claim-${name}`,
      labels: { [MANAGED_BY]: VC },
      annotations: {
        'vcluster.loft.sh/object-name': name,
        'vcluster.loft.sh/object-namespace': 'team',
        'vcluster.loft.sh/object-kind': '/v1, Kind=PersistentVolumeClaim',
      },
    },
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '5Gi' } } },
  },
];
/** The name a volume is pre-bound to while its claim has no host copy: of the volume's own, no claim's. */
const NO_CLAIM = expect.stringMatching(/^vsyncer-absent-[0-9a-f]{20}$/);

async function table(
  allowed: string[] | undefined,
  volumes: KubeObject[],
  opts: { kinds?: string[]; claims?: KubeObject[]; host?: [typeof PV, KubeObject][] } = {},
): Promise<StateTable> {
  const t = await start({
    kinds: opts.kinds ?? ['persistentvolumes'],
    flags: allowed ? { allowedPvSource: allowed.join(',') } : {},
    host: [[SC, { metadata: { name: 'fast' }, provisioner: 'csi.example.com' }], ...(opts.host ?? [])],
  });
  for (const v of volumes) await t.virtual.create(PV, '', v);
  for (const c of opts.claims ?? []) await t.virtual.create(PVC, 'team', c);
  await t.settle();
  return t;
}

/** The host's binder (or its volume controller) sets the phase of a volume's host copy. */
async function setHostPhase(t: StateTable, volumeName: string, phase: string): Promise<void> {
  await t.host.update(
    PV,
    '',
    { ...hostVolume(t, volumeName)!, status: { phase } },
    { subresource: 'status' },
  );
  await t.settle();
}

/** What the host's binder does: both host objects say Bound, the claim names the volume. */
async function bindOnHost(t: StateTable, claimName: string, volumeName: string): Promise<void> {
  const h = hostClaim(t, claimName)!;
  const bound = await t.host.update(PVC, HOST_NS, {
    ...h,
    spec: { ...specOf(h), volumeName: hostPvName(volumeName) },
  });
  await t.host.update(
    PVC,
    HOST_NS,
    { ...bound, status: { phase: 'Bound', accessModes: ['ReadWriteMany'], capacity: { storage: '5Gi' } } },
    { subresource: 'status' },
  );
  const pv = hostVolume(t, volumeName)!;
  await t.host.update(PV, '', {
    ...pv,
    spec: { ...volumeSpecOf(pv), claimRef: { ...volumeSpecOf(pv).claimRef, uid: bound.metadata?.uid } },
  });
  await setHostPhase(t, volumeName, 'Bound');
}

/** The claimRef a binder gives a volume bound to the claim `name` of namespace team. */
const boundRef = (t: StateTable, name: string) => ({
  kind: 'PersistentVolumeClaim',
  apiVersion: 'v1',
  namespace: 'team',
  name,
  uid: virtualClaim(t, name)!.metadata?.uid,
});

describe('--allowed-pv-source', () => {
  it.each<[string[], string | undefined]>([
    [['nfs', 'iscsi', 'hostPath', 'csi:ebs.csi.aws.com', 'flexVolume:example.com/x'], undefined],
    [['csi'], 'must name its driver'],
    [['nfs:x'], 'takes no driver'],
    [['*'], 'unknown volume source type'],
    [['emptyDir'], 'unknown volume source type'],
  ])('%j', (list, problem) => {
    const found = invalidAllowedSources(list);
    if (problem) expect(found).toContain(problem);
    else expect(found).toBeUndefined();
  });
});

describe('persistentvolumes state table', () => {
  it('no --allowed-pv-source: every tenant volume is refused with a SyncError naming the flag, nothing on the host', async () => {
    const t = await table(undefined, [volume('share', { nfs: NFS }, 'data')]);
    expect(t.host.writeLog()).toEqual([]);
    expect(allSyncErrors(t)).toEqual([expect.stringContaining('--allowed-pv-source is empty')]);
  });

  it.each<[string, string[], Record<string, unknown>, string]>([
    [
      'hostPath, not listed',
      ['nfs', 'csi:csi.example.com'],
      { hostPath: { path: '/' } },
      '"hostPath" is not allowed',
    ],
    ['local, not listed', ['nfs'], { local: { path: '/mnt/disk' } }, '"local" is not allowed'],
    [
      'a CSI driver not listed',
      ['csi:csi.example.com'],
      { csi: { driver: 'other.csi', volumeHandle: 'v' } },
      '"csi:other.csi" is not allowed',
    ],
    [
      'a listed CSI driver with a Secret',
      ['csi:csi.example.com'],
      {
        csi: {
          driver: 'csi.example.com',
          volumeHandle: 'v',
          nodePublishSecretRef: { name: 's', namespace: 'kube-system' },
        },
      },
      'spec.csi.nodePublishSecretRef: a PersistentVolume of the virtual cluster may not name a Secret',
    ],
    [
      'iscsi with a CHAP Secret',
      ['iscsi'],
      { iscsi: { targetPortal: 'p:3260', iqn: 'iqn.x', lun: 0, secretRef: { name: 'chap' } } },
      'spec.iscsi.secretRef',
    ],
    ['two sources', ['nfs', 'hostPath'], { nfs: NFS, hostPath: { path: '/' } }, 'more than one source'],
    ['Recycle', ['nfs'], { nfs: NFS, persistentVolumeReclaimPolicy: 'Recycle' }, 'Recycle is not supported'],
  ])('%s: refused with a SyncError, nothing on the host', async (_name, allowed, source, message) => {
    const t = await table(allowed, [volume('pv', source, 'data')]);
    expect(t.host.writeLog()).toEqual([]);
    expect(allSyncErrors(t)).toEqual([expect.stringContaining(message)]);
  });

  it('an allowed nfs volume: host copy under the cluster-scoped name, spec down, claimRef to the host claim and its UID', async () => {
    const affinity = {
      required: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }],
      },
    };
    const t = await table(['nfs'], [volume('share', { nfs: NFS, nodeAffinity: affinity }, 'data')], {
      host: [hostClaimCopy('data')],
    });
    const host = hostVolume(t, 'share')!;
    expect(t.host.writeLog()).toEqual([`create persistentvolumes ${hostPvName('share')}`]);
    expect(host.metadata?.labels).toEqual({ tier: 'gold', [MANAGED_BY]: CLUSTER_OWNER });
    expect(host.metadata?.annotations).toMatchObject({
      note: 'keep',
      'vcluster.loft.sh/object-name': 'share',
      'vcluster.loft.sh/object-uid': virtualVolume(t, 'share')!.metadata?.uid,
      'vcluster.loft.sh/object-kind': '/v1, Kind=PersistentVolume',
    });
    // A provisioner's mark would let the host's provisioner delete the storage: it stays behind.
    expect(host.metadata?.annotations?.['pv.kubernetes.io/provisioned-by']).toBeUndefined();
    expect(host.spec).toEqual({
      capacity: { storage: '5Gi' },
      accessModes: ['ReadWriteMany'],
      volumeMode: 'Filesystem',
      storageClassName: 'fast',
      persistentVolumeReclaimPolicy: 'Retain',
      mountOptions: ['nfsvers=4.1'],
      nodeAffinity: affinity,
      nfs: NFS,
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: HOST_NS,
        name: hostClaimName('data'),
        // That very copy: a reservation by name alone would outlive it, and go to the next claim of
        // the (ambiguous) host name.
        uid: 'host-claim-data',
      },
    });
    expect(allSyncErrors(t)).toEqual([]);
  });

  it('an allowed CSI driver is synced; a volume not reserved for a claim waits for one', async () => {
    const csi = { csi: { driver: 'csi.example.com', volumeHandle: 'vol-1', volumeAttributes: { a: 'b' } } };
    const t = await table(
      ['csi:csi.example.com', 'nfs'],
      [volume('disk', csi, 'data'), volume('free', { nfs: NFS })],
    );
    expect(volumeSpecOf(hostVolume(t, 'disk')).csi).toEqual(csi.csi);
    // Unreserved, its host copy would be free for any claim of the host.
    expect(hostVolume(t, 'free')).toBeUndefined();
    expect(allSyncErrors(t)).toEqual([]);
  });

  it('a volume reserved for a claim later (its claimRef set afterwards) is copied then', async () => {
    const t = await table(['nfs'], [volume('share', { nfs: NFS })]);
    expect(t.host.writeLog()).toEqual([]);
    const v = virtualVolume(t, 'share')!;
    await t.virtual.update(PV, '', {
      ...v,
      spec: { ...volumeSpecOf(v), claimRef: { namespace: 'team', name: 'data' } },
    });
    await t.settle();
    // Its claim has no host copy yet: pre-bound to no claim, as host names are ambiguous.
    expect(volumeSpecOf(hostVolume(t, 'share')).claimRef).toMatchObject({
      namespace: HOST_NS,
      name: NO_CLAIM,
    });
    await t.host.create(PVC, HOST_NS, hostClaimCopy('data')[1]);
    await t.settle();
    expect(volumeSpecOf(hostVolume(t, 'share')).claimRef).toMatchObject({
      namespace: HOST_NS,
      name: hostClaimName('data'),
    });
  });

  it("a volume reserved for a claim another virtual cluster's claim may later take the host name of is never pre-bound to that name", async () => {
    const t = await table(['nfs'], [volume('share', { nfs: NFS }, 'data')]);
    expect(volumeSpecOf(hostVolume(t, 'share')).claimRef?.name).toEqual(NO_CLAIM);
    // Someone else's claim comes under the name: still not.
    await t.host.create(PVC, HOST_NS, {
      ...hostClaimCopy('data')[1],
      metadata: { name: hostClaimName('data'), namespace: HOST_NS, labels: { [MANAGED_BY]: 'b-x-vc' } },
    });
    await t.settle();
    expect(volumeSpecOf(hostVolume(t, 'share')).claimRef?.name).toEqual(NO_CLAIM);
  });

  it('status flows back; a second pass writes nothing', async () => {
    const t = await table(['nfs'], [volume('share', { nfs: NFS }, 'data')]);
    await setHostPhase(t, 'share', 'Available');
    expect(virtualVolume(t, 'share')!.status).toEqual({ phase: 'Available' });
    await setHostPhase(t, 'share', 'Bound');
    expect(virtualVolume(t, 'share')!.status).toEqual({ phase: 'Bound' });
    t.virtual.clearWrites();
    t.host.clearWrites();
    t.controllers.get('persistentvolumes')!.controller.enqueue('share');
    await t.settle();
    expect(t.writes()).toEqual([]);
  });

  it('a volume bound on the host but not yet in the virtual cluster (no claim UID in its claimRef) keeps its virtual phase until it is', async () => {
    const t = await table(['nfs'], [reservedVolume('share', 'data')]);
    await setHostPhase(t, 'share', 'Available');
    expect(virtualVolume(t, 'share')!.status).toEqual({ phase: 'Available' });
    await setHostPhase(t, 'share', 'Bound');
    expect(virtualVolume(t, 'share')!.status).toEqual({ phase: 'Available' });
    // Bound in the virtual cluster (the claims kind writes the claim's UID): the host's phase follows.
    const v = virtualVolume(t, 'share')!;
    await t.virtual.update(PV, '', {
      ...v,
      spec: { ...volumeSpecOf(v), claimRef: { ...volumeSpecOf(v).claimRef, uid: 'virtual-claim-uid' } },
    });
    await t.settle();
    expect(virtualVolume(t, 'share')!.status).toEqual({ phase: 'Bound' });
  });

  it("a host edit of the copy is reverted; the host binder's UID on the claimRef is kept", async () => {
    const t = await table(['nfs'], [volume('share', { nfs: NFS }, 'data')]);
    const h = hostVolume(t, 'share')!;
    await t.host.update(PV, '', {
      ...h,
      spec: {
        ...volumeSpecOf(h),
        capacity: { storage: '1Ti' },
        claimRef: { ...volumeSpecOf(h).claimRef, uid: 'host-claim-uid' },
      },
    });
    await t.settle();
    expect(volumeSpecOf(hostVolume(t, 'share')).capacity).toEqual({ storage: '5Gi' });
    expect(volumeSpecOf(hostVolume(t, 'share')).claimRef?.uid).toBe('host-claim-uid');
  });

  /** A copy of an earlier incarnation of volume `share`, bound to the claim copy; by vCluster: no host-namespace record. */
  const earlierIncarnationCopy = (byVCluster: boolean): KubeObject => ({
    metadata: {
      name: hostPvName('share'),
      uid: 'host-pv-uid',
      labels: { tier: 'gold', [MANAGED_BY]: CLUSTER_OWNER },
      annotations: {
        'vcluster.loft.sh/object-name': 'share',
        'vcluster.loft.sh/object-uid': 'earlier-uid',
        'vcluster.loft.sh/object-kind': '/v1, Kind=PersistentVolume',
        ...(byVCluster ? {} : { 'vcluster.loft.sh/object-host-namespace': HOST_NS }),
      },
    },
    spec: {
      ...volumeSpecOf(volume('share', { nfs: NFS })),
      // Bound by the host's binder to the claim copy, which stays.
      claimRef: { namespace: HOST_NS, name: hostClaimName('data'), uid: 'host-claim-data' },
    },
    status: { phase: 'Bound' },
  });

  it('a volume made again under its name (a restore of the virtual cluster): its host copy is kept, as in vCluster', async () => {
    const t = await table(['nfs'], [volume('share', { nfs: NFS }, 'data')], {
      host: [[PV, earlierIncarnationCopy(false)], hostClaimCopy('data')],
    });
    expect(hostVolume(t, 'share')?.metadata?.uid).toBe('host-pv-uid');
    expect(hostVolume(t, 'share')!.metadata?.annotations?.['vcluster.loft.sh/object-uid']).toBe(
      virtualVolume(t, 'share')!.metadata?.uid,
    );
    expect(volumeSpecOf(hostVolume(t, 'share')).claimRef?.uid).toBe('host-claim-data');
  });

  it("an earlier incarnation's copy that records no host namespace (vCluster's) is not taken: another virtual cluster's reads the same", async () => {
    const earlier = earlierIncarnationCopy(true);
    const t = await table(['nfs'], [volume('share', { nfs: NFS }, 'data')], {
      host: [[PV, earlier], hostClaimCopy('data')],
    });
    expect(t.host.writeLog()).toEqual([]);
    expect(hostVolume(t, 'share')?.metadata).toEqual(
      expect.objectContaining({ annotations: earlier.metadata?.annotations }),
    );
    expect(allSyncErrors(t)).toEqual([expect.stringContaining('records no host namespace')]);
    // Nor does the tenant's delete reach it.
    await t.virtual.delete(PV, '', 'share');
    await t.settle();
    expect(hostVolume(t, 'share')?.metadata?.uid).toBe('host-pv-uid');
  });

  it('virtual volume deleted: its host copy goes', async () => {
    const t = await table(['nfs'], [volume('share', { nfs: NFS }, 'data')]);
    expect(hostVolume(t, 'share')).toBeDefined();
    await t.virtual.delete(PV, '', 'share');
    await t.settle();
    expect(hostVolume(t, 'share')).toBeUndefined();
  });

  it("a reservation outlives its claim's copy only for that copy's UID: a later claim under the same host name never gets the volume", async () => {
    const t = await table(['nfs'], [volume('share', { nfs: NFS }, 'data')], {
      host: [hostClaimCopy('data')],
    });
    expect(volumeSpecOf(hostVolume(t, 'share')).claimRef?.uid).toBe('host-claim-data');
    // The claim's copy goes (its claim deleted); another virtual cluster's claim may take the name next.
    await t.host.delete(PVC, HOST_NS, hostClaimName('data'));
    const v = virtualVolume(t, 'share')!;
    await t.virtual.update(PV, '', { ...v, metadata: { ...v.metadata, labels: { touched: 'yes' } } });
    await t.settle();
    expect(volumeSpecOf(hostVolume(t, 'share')).claimRef).toMatchObject({
      name: hostClaimName('data'),
      uid: 'host-claim-data',
    });
  });

  it("a claimRef whose host name is held by someone else's claim: refused, the volume is never pre-bound to it", async () => {
    const foreign: KubeObject = {
      metadata: { name: hostClaimName('data'), namespace: HOST_NS, labels: { [MANAGED_BY]: 'other' } },
      spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '5Gi' } } },
    };
    const t = await start({
      kinds: ['persistentvolumes'],
      flags: { allowedPvSource: 'nfs' },
      host: [[PVC, foreign]],
    });
    await t.virtual.create(PV, '', volume('share', { nfs: NFS }, 'data'));
    await t.settle();
    expect(hostVolume(t, 'share')).toBeUndefined();
    expect(allSyncErrors(t)).toEqual([expect.stringContaining('held by another object')]);
  });

  it('the fake volumes of bound claims are never copied to the host', async () => {
    const fake: KubeObject = {
      metadata: {
        name: 'pvc-1234',
        labels: { 'vcluster.loft.sh/fake-pv': 'true', 'vsyncer.dev/managed': 'true' },
      },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        flexVolume: { driver: 'vsyncer.dev/fake' },
        claimRef: { namespace: 'team', name: 'data' },
      },
    };
    const t = await table(['nfs', 'flexVolume:vsyncer.dev/fake'], [fake]);
    expect(t.host.writeLog()).toEqual([]);
    expect(virtualVolume(t, 'pvc-1234')!.spec).toEqual(fake.spec);
  });
});

describe('the storage a tenant volume names', () => {
  const CSI = 'csi.example.com';
  const csi = (volumeHandle: string, driver = CSI) => ({ csi: { driver, volumeHandle } });
  /** A copy this virtual cluster's syncer made, recording the virtual volume `name` of UID `uid`. */
  const ownCopy = (name: string, uid: string, spec: object): KubeObject => ({
    metadata: {
      name: hostPvName(name),
      labels: { [MANAGED_BY]: CLUSTER_OWNER },
      annotations: {
        'vcluster.loft.sh/object-name': name,
        'vcluster.loft.sh/object-uid': uid,
        'vcluster.loft.sh/object-kind': '/v1, Kind=PersistentVolume',
        'vcluster.loft.sh/object-host-namespace': HOST_NS,
      },
    },
    spec,
  });
  /** A volume of the host that is not this virtual cluster's: another tenant's, provisioned for its claim. */
  const foreignVolume = (name: string, source: object): [typeof PV, KubeObject] => [
    PV,
    {
      metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': CSI } },
      spec: {
        capacity: { storage: '5Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Delete',
        ...source,
        claimRef: { namespace: 'other-tenant', name: 'their-claim', uid: 'their-claim-uid' },
      },
      status: { phase: 'Bound' },
    },
  ];

  it("the host copy is Retain whatever the tenant's volume says (a provisioner would delete the storage it names); the virtual volume keeps its own; no write back and forth", async () => {
    const t = await table(
      [`csi:${CSI}`],
      [volume('disk', csi('vol-1'), 'data', { persistentVolumeReclaimPolicy: 'Delete' })],
    );
    expect(volumeSpecOf(hostVolume(t, 'disk')).persistentVolumeReclaimPolicy).toBe('Retain');
    expect(volumeSpecOf(virtualVolume(t, 'disk')).persistentVolumeReclaimPolicy).toBe('Delete');
    // Its claim deleted, the host copy is Released: the phase shows, the policies stay each their own.
    await setHostPhase(t, 'disk', 'Released');
    expect(virtualVolume(t, 'disk')!.status).toEqual({ phase: 'Released' });
    t.virtual.clearWrites();
    t.host.clearWrites();
    t.controllers.get('persistentvolumes')!.controller.enqueue('disk');
    await t.settle();
    expect(t.writes()).toEqual([]);
    expect(volumeSpecOf(hostVolume(t, 'disk')).persistentVolumeReclaimPolicy).toBe('Retain');
    expect(volumeSpecOf(virtualVolume(t, 'disk')).persistentVolumeReclaimPolicy).toBe('Delete');
  });

  it("a copy an earlier syncer made with the tenant's Delete is made Retain", async () => {
    const virtual = volume('disk', csi('vol-1'), 'data', { persistentVolumeReclaimPolicy: 'Delete' });
    virtual.metadata!.uid = 'disk-uid';
    const t = await start({
      kinds: ['persistentvolumes'],
      flags: { allowedPvSource: `csi:${CSI}` },
      virtual: [[PV, virtual]],
      host: [[PV, ownCopy('disk', 'disk-uid', { ...volumeSpecOf(virtual), claimRef: undefined })]],
    });
    await t.settle();
    expect(t.host.writeLog()).toEqual([`update persistentvolumes ${hostPvName('disk')}`]);
    expect(volumeSpecOf(hostVolume(t, 'disk')).persistentVolumeReclaimPolicy).toBe('Retain');
  });

  it("a volume naming the storage of a host volume not this virtual cluster's (CSI volume handle, NFS export): refused naming the field; synced once that volume is gone", async () => {
    const t = await table(
      [`csi:${CSI}`, 'csi:other.csi.example.com', 'nfs'],
      [
        volume('steal-disk', csi('vol-victim'), 'a'),
        // The same export however its path is written, the server in any case.
        volume('steal-share', { nfs: { server: 'NFS.example.com', path: '/exports//victim/./' } }, 'b'),
        // The same handle of another driver is other storage.
        volume('other-driver', csi('vol-victim', 'other.csi.example.com'), 'c'),
        // Two volumes of this virtual cluster may name the same storage: the tenant's own.
        volume('mine', csi('vol-mine'), 'd'),
        volume('mine-too', csi('vol-mine'), 'e'),
      ],
      {
        host: [
          foreignVolume('pvc-victim-disk', csi('vol-victim')),
          foreignVolume('pvc-victim-share', { nfs: { server: 'nfs.example.com', path: '/exports/victim' } }),
        ],
      },
    );
    expect(hostVolume(t, 'steal-disk')).toBeUndefined();
    expect(hostVolume(t, 'steal-share')).toBeUndefined();
    expect(hostVolume(t, 'other-driver')).toBeDefined();
    expect(hostVolume(t, 'mine')).toBeDefined();
    expect(hostVolume(t, 'mine-too')).toBeDefined();
    expect(allSyncErrors(t).sort()).toEqual([
      expect.stringMatching(
        /^spec\.csi\.volumeHandle: volume handle "vol-victim" of CSI driver "csi\.example\.com" is the storage of a PersistentVolume of the host cluster that is not this virtual cluster's/,
      ),
      expect.stringMatching(
        /^spec\.nfs\.path: NFS export .* is the storage of a PersistentVolume of the host cluster/,
      ),
    ]);
    // The host's volumes are never written.
    expect(t.host.writeLog().filter((w) => w.includes('victim'))).toEqual([]);
    await t.host.delete(PV, '', 'pvc-victim-disk');
    await t.settle();
    expect(volumeSpecOf(hostVolume(t, 'steal-disk')).csi).toEqual(csi('vol-victim').csi);
  });

  it("an NFS volume around or inside the directory of a host volume not this virtual cluster's is refused (it reaches that volume's data); a sibling directory is not; synced once that volume is gone", async () => {
    const share = (path: string) => ({ nfs: { server: 'nfs.example.com', path } });
    const t = await table(
      ['nfs'],
      [
        volume('parent', share('/exports'), 'a'),
        volume('inside', share('/exports/victim/db'), 'b'),
        volume('root', share('/'), 'c'),
        volume('sibling', share('/exports/victim-2'), 'd'),
        volume('other-server', { nfs: { server: 'nfs2.example.com', path: '/exports' } }, 'e'),
      ],
      { host: [foreignVolume('pvc-victim-share', share('/exports/victim'))] },
    );
    expect(['parent', 'inside', 'root'].map((name) => hostVolume(t, name))).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(hostVolume(t, 'sibling')).toBeDefined();
    expect(hostVolume(t, 'other-server')).toBeDefined();
    expect(allSyncErrors(t)).toEqual(
      Array(3).fill(
        expect.stringMatching(
          /^spec\.nfs\.path: NFS export .* contains, or lies inside, the directory of a PersistentVolume of the host cluster that is not this virtual cluster's \(\/exports\/victim\)/,
        ),
      ),
    );
    await t.host.delete(PV, '', 'pvc-victim-share');
    await t.settle();
    expect(volumeSpecOf(hostVolume(t, 'parent')).nfs).toEqual(share('/exports').nfs);
  });

  it.each<[string, string, string]>([
    ['a trailing dot', 'nfs.example.com', 'NFS.example.com.'],
    ['an IPv6 address written longer, in brackets', 'fd00::5', '[fd00:0:0::5]'],
    ['an IPv4-mapped address', '10.0.0.5', '::ffff:10.0.0.5'],
  ])(
    "an NFS server written another way than the host volume's (%s) is the same server",
    async (_how, hostServer, tenantServer) => {
      const t = await table(
        ['nfs'],
        [
          volume('same', { nfs: { server: tenantServer, path: '/exports/victim' } }, 'a'),
          volume('parent', { nfs: { server: tenantServer, path: '/exports' } }, 'b'),
        ],
        {
          host: [foreignVolume('pvc-victim-share', { nfs: { server: hostServer, path: '/exports/victim' } })],
        },
      );
      expect([hostVolume(t, 'same'), hostVolume(t, 'parent')]).toEqual([undefined, undefined]);
      expect(allSyncErrors(t)).toHaveLength(2);
    },
  );

  it('an NFS server of numbers not written as an address usually is (10.0.5, 0x0a000005, 010.0.0.5) is refused: the mount reads it otherwise', async () => {
    const t = await table(
      ['nfs'],
      ['10.0.5', '0x0a000005', '010.0.0.5', '167772165.'].map((server, i) =>
        volume(`v${i}`, { nfs: { server, path: '/exports/a' } }, `c${i}`),
      ),
    );
    expect([0, 1, 2, 3].map((i) => hostVolume(t, `v${i}`))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(allSyncErrors(t)).toContainEqual(
      'spec.nfs.server: "10.0.5" is neither a host name nor an IP address written in its usual form (a.b.c.d, or IPv6)',
    );
  });

  /**
   * A table started with a tenant volume and the copy an earlier run of the syncer made of it, bound
   * on the host, as that run copied it: the tenant's Delete, a size the volume has since outgrown.
   */
  async function withEarlierCopy(
    allowed: string | undefined,
    host: [typeof PV, KubeObject][] = [],
    opts: { byVCluster?: boolean } = {},
  ) {
    const virtual = volume('share', { nfs: NFS }, 'data', { persistentVolumeReclaimPolicy: 'Delete' });
    virtual.metadata!.uid = 'share-uid';
    const copied = {
      ...volumeSpecOf(virtual),
      capacity: { storage: '1Gi' },
      claimRef: { namespace: HOST_NS, name: hostClaimName('data'), uid: 'host-claim-data' },
    };
    const earlier = { ...ownCopy('share', 'share-uid', copied), status: { phase: 'Bound' } };
    // vCluster's copies record no host namespace.
    if (opts.byVCluster) delete earlier.metadata!.annotations!['vcluster.loft.sh/object-host-namespace'];
    return start({
      kinds: ['persistentvolumes'],
      flags: allowed ? { allowedPvSource: allowed } : {},
      virtual: [[PV, virtual]],
      host: [[PV, earlier], ...host],
    });
  }

  it.each<[string, string | undefined, string, boolean]>([
    ['the allowed sources narrowed', `csi:${CSI}`, '"nfs" is not allowed', false],
    ['no source allowed any more', undefined, '--allowed-pv-source is empty', false],
    ['no source allowed, the copy made by vCluster', undefined, '--allowed-pv-source is empty', true],
  ])(
    '%s: the copy made before is kept (made Retain, never deleted), no longer updated, and the tenant told why',
    async (_name, allowed, why, byVCluster) => {
      const t = await withEarlierCopy(allowed, [], { byVCluster });
      await t.settle();
      const copy = hostVolume(t, 'share')!;
      expect(t.host.writeLog()).toEqual([`update persistentvolumes ${hostPvName('share')}`]);
      expect(volumeSpecOf(copy).persistentVolumeReclaimPolicy).toBe('Retain');
      expect(volumeSpecOf(copy).capacity).toEqual({ storage: '1Gi' });
      expect(allSyncErrors(t)).toEqual([expect.stringMatching(new RegExp(`${why}.*kept as it is`))]);
      // A tenant's edit goes no further; nor does the host's phase come back.
      const v = virtualVolume(t, 'share')!;
      await t.virtual.update(PV, '', { ...v, metadata: { ...v.metadata, labels: { tier: 'silver' } } });
      await setHostPhase(t, 'share', 'Released');
      expect(hostVolume(t, 'share')!.metadata?.labels).toEqual({ [MANAGED_BY]: CLUSTER_OWNER });
      expect(virtualVolume(t, 'share')!.status).toBeUndefined();
      // The tenant deleting the volume still removes its copy.
      await t.virtual.delete(PV, '', 'share');
      await t.settle();
      expect(hostVolume(t, 'share')).toBeUndefined();
    },
  );

  it("a copy made before a host volume not this virtual cluster's was found naming the same storage: kept, the tenant told why", async () => {
    const t = await withEarlierCopy('nfs', [foreignVolume('pvc-victim-share', { nfs: NFS })]);
    await t.settle();
    expect(volumeSpecOf(hostVolume(t, 'share')).persistentVolumeReclaimPolicy).toBe('Retain');
    expect(volumeSpecOf(hostVolume(t, 'share')).capacity).toEqual({ storage: '1Gi' });
    expect(allSyncErrors(t)).toEqual([expect.stringMatching(/^spec\.nfs\.path: .*kept as it is/)]);
  });
});

describe('persistentvolumes with persistentvolumeclaims', () => {
  const both = ['persistentvolumeclaims', 'persistentvolumes'];

  it("a claim naming a tenant's synced volume: the host claim names its host copy; bound on the host, the virtual claim is bound to the tenant's volume", async () => {
    const t = await table(['nfs'], [reservedVolume('share', 'data')], {
      kinds: both,
      claims: [claim('data', 'share')],
    });
    expect(specOf(hostClaim(t, 'data')).volumeName).toBe(hostPvName('share'));
    await bindOnHost(t, 'data', 'share');
    // The virtual cluster runs no binder (the chart turns it off): the syncer binds them there.
    expect(specOf(virtualClaim(t, 'data')).volumeName).toBe('share');
    expect(volumeSpecOf(virtualVolume(t, 'share')).claimRef).toEqual(boundRef(t, 'data'));
    expect(statusOf(virtualClaim(t, 'data')).phase).toBe('Bound');
    expect(virtualVolume(t, 'share')!.status).toEqual({ phase: 'Bound' });
    // No fake volume stands in for it.
    expect(t.virtual.objects(PV).map((p) => p.metadata?.name)).toEqual(['share']);
    expect(allSyncErrors(t)).toEqual([]);
  });

  it('a claim the volume is reserved for (claimRef only): bound on the host, the virtual claim gets the volume', async () => {
    const t = await table(['nfs'], [reservedVolume('share', 'data')], {
      kinds: both,
      claims: [claim('data')],
    });
    expect(specOf(hostClaim(t, 'data')).volumeName).toBeUndefined();
    // Only a volume reserved for the host claim may be bound to it: the binder never hands it an
    // unclaimed host volume while the copy is still reserved for a placeholder.
    expect(specOf(hostClaim(t, 'data')).selector).toEqual(PRE_BOUND_ONLY);
    await bindOnHost(t, 'data', 'share');
    expect(specOf(virtualClaim(t, 'data')).volumeName).toBe('share');
    expect(volumeSpecOf(virtualVolume(t, 'share')).claimRef).toEqual(boundRef(t, 'data'));
    expect(statusOf(virtualClaim(t, 'data')).phase).toBe('Bound');
    expect(t.virtual.objects(PV).map((p) => p.metadata?.name)).toEqual(['share']);
  });

  it('a claim naming a volume reserved for no claim reserves it, as a binder does; then its copy is made and named', async () => {
    const t = await table(['nfs'], [volume('share', { nfs: NFS })], {
      kinds: both,
      claims: [claim('data', 'share')],
    });
    expect(volumeSpecOf(virtualVolume(t, 'share')).claimRef).toEqual(boundRef(t, 'data'));
    expect(volumeSpecOf(hostVolume(t, 'share')).claimRef).toMatchObject({ name: hostClaimName('data') });
    expect(specOf(hostClaim(t, 'data')).volumeName).toBe(hostPvName('share'));
    await bindOnHost(t, 'data', 'share');
    expect(statusOf(virtualClaim(t, 'data')).phase).toBe('Bound');
    expect(virtualVolume(t, 'share')!.status).toEqual({ phase: 'Bound' });
    expect(allSyncErrors(t)).toEqual([]);
  });

  it('a claim naming a volume reserved for another claim leaves it reserved for that one', async () => {
    const t = await table(['nfs'], [reservedVolume('share', 'other')], {
      kinds: both,
      claims: [claim('data', 'share')],
    });
    expect(volumeSpecOf(virtualVolume(t, 'share')).claimRef).toEqual({ namespace: 'team', name: 'other' });
    // "other" has no host copy: the volume names no claim on the host.
    expect(volumeSpecOf(hostVolume(t, 'share')).claimRef).toMatchObject({ name: NO_CLAIM });
    expect(statusOf(virtualClaim(t, 'data')).phase).not.toBe('Bound');
  });

  it('a claim naming a refused volume, a fake volume, a missing one, or a host name: refused, never given a host volume', async () => {
    const fake: KubeObject = {
      metadata: {
        name: 'pvc-9',
        labels: { 'vcluster.loft.sh/fake-pv': 'true', 'vsyncer.dev/managed': 'true' },
      },
      spec: { flexVolume: { driver: 'vsyncer.dev/fake' }, claimRef: { namespace: 'team', name: 'other' } },
    };
    const t = await table(['nfs'], [volume('root', { hostPath: { path: '/' } }, 'a'), fake], {
      kinds: both,
      claims: [claim('a', 'root'), claim('b', 'pvc-9'), claim('c', 'nothing'), claim('d', hostPvName('x'))],
    });
    for (const name of ['b', 'c', 'd']) expect(hostClaim(t, name)).toBeUndefined();
    expect(hostClaim(t, 'a')).toBeUndefined();
    expect(allSyncErrors(t)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('"hostPath" is not allowed'),
        expect.stringContaining('spec.volumeName: a claim cannot name its volume'),
      ]),
    );
    expect(t.host.writeLog()).toEqual([]);
  });

  it("a claim naming a volume whose host name is held by another copy (not this volume's): synced only once the volume has its own copy", async () => {
    // Same host name, labelled as ours, but the copy of another volume left under a name that is
    // not its own: the syncer removes it, then copies the volume, then the claim.
    const impostor: KubeObject = {
      metadata: {
        name: hostPvName('share'),
        labels: { [MANAGED_BY]: CLUSTER_OWNER },
        annotations: {
          'vcluster.loft.sh/object-name': 'share-x-other',
          'vcluster.loft.sh/object-kind': '/v1, Kind=PersistentVolume',
          // Recorded as this host namespace's: a copy without it is never deleted (Mapper.deletable).
          'vcluster.loft.sh/object-host-namespace': HOST_NS,
        },
      },
      spec: { capacity: { storage: '5Gi' }, accessModes: ['ReadWriteMany'], nfs: NFS },
    };
    const t = await table(['nfs'], [volume('share', { nfs: NFS }, 'data')], {
      kinds: both,
      claims: [claim('data', 'share')],
      host: [[PV, impostor]],
    });
    const writes = t.host.writeLog();
    const at = (w: string) => writes.indexOf(w);
    expect(at(`delete persistentvolumes ${hostPvName('share')}`)).toBeGreaterThanOrEqual(0);
    expect(at(`create persistentvolumes ${hostPvName('share')}`)).toBeGreaterThan(
      at(`delete persistentvolumes ${hostPvName('share')}`),
    );
    expect(at(`create persistentvolumeclaims ${HOST_NS}/${hostClaimName('data')}`)).toBeGreaterThan(
      at(`create persistentvolumes ${hostPvName('share')}`),
    );
  });

  it('with persistentvolumes off, naming a volume stays refused', async () => {
    const t = await start({
      kinds: ['persistentvolumeclaims'],
      host: [[SC, { metadata: { name: 'fast' } }]],
    });
    await t.virtual.create(PV, '', volume('share', { nfs: NFS }, 'data'));
    await t.virtual.create(PVC, 'team', claim('data', 'share'));
    await t.settle();
    expect(t.host.writeLog()).toEqual([]);
    expect(allSyncErrors(t)).toEqual([
      expect.stringContaining('spec.volumeName: a claim cannot name its volume'),
    ]);
  });

  /** A host volume a provisioner made and the host's binder bound to the host claim (by UID too). */
  function provisioned(t: StateTable, claimName: string, volumeName: string, claimUid?: string): KubeObject {
    const h = hostClaim(t, claimName)!;
    return {
      metadata: { name: volumeName, labels: { 'topology.kubernetes.io/zone': 'z1' } },
      spec: {
        capacity: { storage: '5Gi' },
        accessModes: ['ReadWriteMany'],
        storageClassName: 'fast',
        persistentVolumeReclaimPolicy: 'Delete',
        volumeMode: 'Filesystem',
        csi: {
          driver: 'csi.example.com',
          volumeHandle: 'vol-0abc',
          nodeStageSecretRef: { name: 'storage-admin', namespace: 'kube-system' },
        },
        claimRef: {
          kind: 'PersistentVolumeClaim',
          namespace: HOST_NS,
          name: h.metadata?.name,
          uid: claimUid ?? h.metadata?.uid,
        },
      },
      status: { phase: 'Bound' },
    };
  }

  /** The host's binder binding the host claim to `volumeName`. */
  async function bindHostClaim(t: StateTable, name: string, volumeName: string): Promise<void> {
    const h = hostClaim(t, name)!;
    const bound = await t.host.update(PVC, HOST_NS, { ...h, spec: { ...specOf(h), volumeName } });
    await t.host.update(
      PVC,
      HOST_NS,
      { ...bound, status: { phase: 'Bound', accessModes: ['ReadWriteMany'], capacity: { storage: '5Gi' } } },
      { subresource: 'status' },
    );
    await t.settle();
  }

  it("a claim bound on the host to a volume provisioned for it is shown that volume's details (vCluster's host-pv), no host Secret named", async () => {
    const t = await table(['nfs'], [], { kinds: both, claims: [claim('data')] });
    await t.host.create(PV, '', provisioned(t, 'data', 'pvc-1234'));
    t.host.clearWrites();
    await bindHostClaim(t, 'data', 'pvc-1234');
    const pv = virtualVolume(t, 'pvc-1234')!;
    expect(pv.metadata?.annotations?.['vcluster.loft.sh/host-pv']).toBe('pvc-1234');
    expect(pv.metadata?.labels).toEqual({
      'topology.kubernetes.io/zone': 'z1',
      'vsyncer.dev/managed': 'true',
    });
    expect(pv.spec).toEqual({
      capacity: { storage: '5Gi' },
      accessModes: ['ReadWriteMany'],
      storageClassName: 'fast',
      persistentVolumeReclaimPolicy: 'Delete',
      volumeMode: 'Filesystem',
      csi: {
        driver: 'csi.example.com',
        volumeHandle: 'vol-0abc',
        nodeStageSecretRef: { name: 'hidden-by-vsyncer', namespace: 'hidden-by-vsyncer' },
      },
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: 'team',
        name: 'data',
        uid: virtualClaim(t, 'data')!.metadata?.uid,
      },
    });
    expect(pv.status).toEqual({ phase: 'Bound' });
    expect(specOf(virtualClaim(t, 'data')).volumeName).toBe('pvc-1234');
    expect(statusOf(virtualClaim(t, 'data')).phase).toBe('Bound');
    // The host volume is the host's: never written, never copied.
    expect(t.host.writeLog().filter((w) => w.includes('persistentvolumes'))).toEqual([]);
    expect(t.host.objects(PV).map((v) => v.metadata?.name)).toEqual(['pvc-1234']);

    // A second pass writes nothing; a host resize shows; a tenant's deletion is undone.
    t.virtual.clearWrites();
    t.host.clearWrites();
    t.controllers.get('persistentvolumeclaims')!.controller.enqueue('team/data');
    await t.settle();
    expect(t.writes()).toEqual([]);
    const h = t.host.objects(PV)[0]!;
    await t.host.update(PV, '', { ...h, spec: { ...volumeSpecOf(h), capacity: { storage: '8Gi' } } });
    await t.settle();
    expect(volumeSpecOf(virtualVolume(t, 'pvc-1234')).capacity).toEqual({ storage: '8Gi' });
    await t.virtual.delete(PV, '', 'pvc-1234');
    await t.settle();
    expect(volumeSpecOf(virtualVolume(t, 'pvc-1234')).csi).toMatchObject({
      driver: 'csi.example.com',
      volumeHandle: 'vol-0abc',
    });
  });

  it('details the virtual API server refuses give way to a fake volume, for good', async () => {
    const t = await table(['nfs'], [], { kinds: both, claims: [claim('data')] });
    await t.host.create(PV, '', provisioned(t, 'data', 'pvc-1234'));
    t.virtual.failNext('create', 'persistentvolumes', 'invalid');
    await bindHostClaim(t, 'data', 'pvc-1234');
    const pv = virtualVolume(t, 'pvc-1234')!;
    expect(pv.metadata?.labels?.['vcluster.loft.sh/fake-pv']).toBe('true');
    expect(specOf(virtualClaim(t, 'data')).volumeName).toBe('pvc-1234');
    t.virtual.clearWrites();
    t.host.clearWrites();
    t.controllers.get('persistentvolumeclaims')!.controller.enqueue('team/data');
    await t.settle();
    expect(t.writes()).toEqual([]);
  });

  it('a host volume not bound to the host claim by UID shows none of its details: the claim gets a fake volume', async () => {
    const t = await table(['nfs'], [], { kinds: both, claims: [claim('data')] });
    await t.host.create(PV, '', provisioned(t, 'data', 'pvc-1234', 'some-other-claim'));
    await bindHostClaim(t, 'data', 'pvc-1234');
    const pv = virtualVolume(t, 'pvc-1234')!;
    expect(pv.metadata?.labels?.['vcluster.loft.sh/fake-pv']).toBe('true');
    expect(JSON.stringify(pv)).not.toContain('vol-0abc');
    expect(specOf(virtualClaim(t, 'data')).volumeName).toBe('pvc-1234');
  });

  it('a claim bound on the host to a volume the cache does not show yet waits for it, then shows it', async () => {
    const t = await table(['nfs'], [], { kinds: both, claims: [claim('data')] });
    await bindHostClaim(t, 'data', 'pvc-1234');
    expect(virtualVolume(t, 'pvc-1234')).toBeUndefined();
    await t.host.create(PV, '', provisioned(t, 'data', 'pvc-1234'));
    await t.settle();
    expect(volumeSpecOf(virtualVolume(t, 'pvc-1234')).csi).toMatchObject({ volumeHandle: 'vol-0abc' });
  });

  it("a fake volume shown before the host volume is proven bound gives way to the host volume's details", async () => {
    const t = await table(['nfs'], [], { kinds: both, claims: [claim('data')] });
    await t.host.create(PV, '', provisioned(t, 'data', 'pvc-1234', 'not-yet'));
    await bindHostClaim(t, 'data', 'pvc-1234');
    const fake = virtualVolume(t, 'pvc-1234')!;
    expect(volumeSpecOf(fake).flexVolume).toBeDefined();
    // The virtual cluster's PV protection holds the bound fake volume: the syncer lets it go.
    await t.virtual.update(PV, '', {
      ...fake,
      metadata: { ...fake.metadata, finalizers: ['kubernetes.io/pv-protection'] },
    });
    await t.host.update(PV, '', provisioned(t, 'data', 'pvc-1234'));
    await t.settle();
    const pv = virtualVolume(t, 'pvc-1234')!;
    expect(pv.metadata?.uid).not.toBe(fake.metadata?.uid);
    expect(volumeSpecOf(pv).flexVolume).toBeUndefined();
    expect(volumeSpecOf(pv).csi).toMatchObject({ volumeHandle: 'vol-0abc' });
    expect(volumeSpecOf(pv).claimRef?.uid).toBe(virtualClaim(t, 'data')!.metadata?.uid);
    expect(specOf(virtualClaim(t, 'data')).volumeName).toBe('pvc-1234');
  });
});

describe('static provisioning with a class name no StorageClass has', () => {
  const both = ['persistentvolumeclaims', 'persistentvolumes'];
  // As in the Kubernetes docs' example ("storageClassName: manual"): a binder matches a volume and a
  // claim by class name; the class object is only read for dynamic provisioning.
  const manual = { storageClassName: 'manual' };
  const manualClaim = (name: string, volumeName?: string): KubeObject => {
    const c = claim(name, volumeName);
    return { ...c, spec: { ...specOf(c), ...manual } };
  };

  it('a claim naming its volume is synced with the host copy of the volume', async () => {
    const t = await table(['nfs'], [volume('share', { nfs: NFS }, undefined, manual)], {
      kinds: both,
      claims: [manualClaim('data', 'share')],
    });
    expect(allSyncErrors(t)).toEqual([]);
    expect(specOf(hostClaim(t, 'data'))).toMatchObject({
      storageClassName: 'manual',
      volumeName: hostPvName('share'),
    });
    expect(volumeSpecOf(hostVolume(t, 'share')).storageClassName).toBe('manual');
  });

  it('a claim a volume is reserved for (claimRef) is synced, so the host binder binds the pair', async () => {
    const t = await table(
      ['nfs'],
      [
        volume('share', { nfs: NFS }, undefined, {
          ...manual,
          claimRef: { namespace: 'team', name: 'data' },
        }),
      ],
      { kinds: both, claims: [manualClaim('data')] },
    );
    expect(allSyncErrors(t)).toEqual([]);
    expect(specOf(hostClaim(t, 'data')).storageClassName).toBe('manual');
    // Matched by class alone, it could take any unclaimed host volume of class "manual".
    expect(specOf(hostClaim(t, 'data')).selector).toEqual(PRE_BOUND_ONLY);
  });
});
