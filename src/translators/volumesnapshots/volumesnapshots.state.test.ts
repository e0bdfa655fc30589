import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type StateTable } from '../../testing/state-table.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const PVC = Resources.persistentVolumeClaims;
const SNAP = Resources.volumeSnapshots;
const hostName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;

const claim = (name: string, ns = 'team'): KubeObject => ({
  metadata: { name, namespace: ns },
  spec: {
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: '1Gi' } },
    storageClassName: 'disks',
  },
});
const snapshot = (name: string, source: Record<string, string>, ns = 'team'): KubeObject => ({
  apiVersion: 'snapshot.storage.k8s.io/v1',
  kind: 'VolumeSnapshot',
  metadata: { name, namespace: ns },
  spec: { volumeSnapshotClassName: 'csi-snaps', source },
});

const hostSnapshot = (t: StateTable, name = 'nightly') =>
  t.host.objects(SNAP, HOST_NS).find((s) => s.metadata?.name === hostName(name));
const virtualSnapshot = (t: StateTable, name = 'nightly') =>
  t.virtual.objects(SNAP, 'team').find((s) => s.metadata?.name === name);
const syncErrors = (t: StateTable) =>
  t.virtual
    .objects(Resources.events, 'team')
    .filter((e) => e.reason === 'SyncError')
    .map((e) => String(e.message));

/** Claims and snapshots in the virtual cluster, with claims and snapshots both synced. */
async function withObjects(objects: [typeof PVC, KubeObject][], host: [typeof PVC, KubeObject][] = []) {
  const table = await start({
    kinds: ['persistentvolumeclaims', 'volumesnapshots'],
    // The class the claims name (a claim naming none would need a host default class).
    host: [
      [Resources.storageClasses, { metadata: { name: 'disks' }, provisioner: 'csi.example.com' }],
      ...host,
    ],
  });
  for (const [type, o] of objects) await table.virtual.create(type, o.metadata!.namespace!, o);
  await table.settle();
  return table;
}

/** A claim `restored` filled from the tenant's VolumeSnapshot of that name. */
const claimRestoredFrom = (snapshotName: string): KubeObject => ({
  ...claim('restored'),
  spec: {
    ...(claim('restored').spec as object),
    dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: snapshotName },
  },
});

describe('volumesnapshots state table', () => {
  it("a snapshot of the tenant's own claim: on the host, taken of the claim's copy, class unchanged", async () => {
    const table = await withObjects([
      [PVC, claim('data')],
      [SNAP, snapshot('nightly', { persistentVolumeClaimName: 'data' })],
    ]);
    const host = hostSnapshot(table);
    expect(host?.spec).toEqual({
      volumeSnapshotClassName: 'csi-snaps',
      source: { persistentVolumeClaimName: hostName('data') },
    });
    expect(host?.metadata?.labels?.['vcluster.loft.sh/managed-by']).toBe(VC);
  });

  it("a snapshot naming no class keeps the copy the host's snapshot controller gave its default class", async () => {
    const plain = snapshot('nightly', { persistentVolumeClaimName: 'data' });
    plain.spec = { source: { persistentVolumeClaimName: 'data' } };
    const table = await withObjects([
      [PVC, claim('data')],
      [SNAP, plain],
    ]);
    const host = hostSnapshot(table)!;
    // What the host's snapshot controller does to a snapshot without a class.
    await table.host.update(SNAP, HOST_NS, {
      ...host,
      spec: { ...(host.spec as object), volumeSnapshotClassName: 'host-default' },
    });
    await table.settle();
    expect(hostSnapshot(table)?.metadata?.uid).toBe(host.metadata?.uid);
    expect(hostSnapshot(table)?.spec).toEqual({
      volumeSnapshotClassName: 'host-default',
      source: { persistentVolumeClaimName: hostName('data') },
    });
    // A copy taken of another source is still replaced (a source cannot change).
    const edited = hostSnapshot(table)!;
    await table.host.update(SNAP, HOST_NS, {
      ...edited,
      spec: { ...(edited.spec as object), source: { persistentVolumeClaimName: 'someone-elses' } },
    });
    await table.settle();
    expect(hostSnapshot(table)?.metadata?.uid).not.toBe(host.metadata?.uid);
    expect(hostSnapshot(table)?.spec).toEqual({ source: { persistentVolumeClaimName: hostName('data') } });
  });

  /** The tenant's snapshot `nightly` with its class edited to `other`. */
  async function editClass(table: StateTable, other: string) {
    const virtual = virtualSnapshot(table)!;
    await table.virtual.update(SNAP, 'team', {
      ...virtual,
      spec: { ...(virtual.spec as object), volumeSnapshotClassName: other },
    });
    await table.settle();
  }

  it.each([
    ['bound to its content', { boundVolumeSnapshotContentName: 'snapcontent-1' }],
    ['ready', { readyToUse: true }],
  ])(
    'a class edited once the host copy is taken (%s): the copy and its stored snapshot are kept, the tenant told',
    async (_name, status) => {
      const table = await withObjects([
        [PVC, claim('data')],
        [SNAP, snapshot('nightly', { persistentVolumeClaimName: 'data' })],
      ]);
      const host = hostSnapshot(table)!;
      await table.host.update(SNAP, HOST_NS, { ...host, status }, { subresource: 'status' });
      await table.settle();
      await editClass(table, 'other-snaps');
      expect(hostSnapshot(table)?.metadata?.uid).toBe(host.metadata?.uid);
      expect(hostSnapshot(table)?.spec).toMatchObject({ volumeSnapshotClassName: 'csi-snaps' });
      expect(table.host.writeLog().filter((w) => w.startsWith('delete volumesnapshots'))).toEqual([]);
      expect(syncErrors(table).join('\n')).toContain('volumeSnapshotClassName');
    },
  );

  it('a class edited before the host copy is taken: the copy is made again with the new class', async () => {
    const table = await withObjects([
      [PVC, claim('data')],
      [SNAP, snapshot('nightly', { persistentVolumeClaimName: 'data' })],
    ]);
    const host = hostSnapshot(table)!;
    await editClass(table, 'other-snaps');
    expect(hostSnapshot(table)?.metadata?.uid).not.toBe(host.metadata?.uid);
    expect(hostSnapshot(table)?.spec).toMatchObject({ volumeSnapshotClassName: 'other-snaps' });
    expect(syncErrors(table)).toEqual([]);
  });

  it("a class the host sets as the copy is made (an admission policy) is kept, told once, not fought; the tenant's next class is asked for once", async () => {
    const table = await start({
      kinds: ['persistentvolumeclaims', 'volumesnapshots'],
      host: [[Resources.storageClasses, { metadata: { name: 'disks' }, provisioner: 'csi.example.com' }]],
    });
    // A Kyverno or Gatekeeper mutation of the host: every VolumeSnapshot gets the approved class.
    table.host.mutateOnCreate('volumesnapshots', (o) => {
      (o.spec as Record<string, unknown>).volumeSnapshotClassName = 'approved';
    });
    await table.virtual.create(PVC, 'team', claim('data'));
    await table.virtual.create(SNAP, 'team', snapshot('nightly', { persistentVolumeClaimName: 'data' }));
    await table.settle();
    const creates = () => table.host.writeLog().filter((w) => w.startsWith('create volumesnapshots')).length;
    expect(creates()).toBe(1);
    expect(hostSnapshot(table)?.spec).toMatchObject({ volumeSnapshotClassName: 'approved' });
    expect(syncErrors(table)).toEqual([
      expect.stringContaining('the host cluster set another snapshot class'),
    ]);
    // The tenant asks for another class: one new copy (which the host sets again), no more.
    await editClass(table, 'other-snaps');
    expect(creates()).toBe(2);
    expect(hostSnapshot(table)?.spec).toMatchObject({ volumeSnapshotClassName: 'approved' });
  });

  /** The host copy an earlier incarnation of the tenant's snapshot `nightly` got, taken of `claim`'s copy and ready. */
  const earlierCopy = (claimName: string): [typeof SNAP, KubeObject] => [
    SNAP,
    {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: {
        name: hostName('nightly'),
        namespace: HOST_NS,
        uid: 'host-snapshot-uid',
        labels: { 'vcluster.loft.sh/managed-by': VC, 'vcluster.loft.sh/namespace': 'team' },
        annotations: {
          'vcluster.loft.sh/object-name': 'nightly',
          'vcluster.loft.sh/object-namespace': 'team',
          'vcluster.loft.sh/object-uid': 'earlier-uid',
          'vcluster.loft.sh/object-kind': 'snapshot.storage.k8s.io/v1, Kind=VolumeSnapshot',
        },
      },
      spec: {
        volumeSnapshotClassName: 'csi-snaps',
        source: { persistentVolumeClaimName: hostName(claimName) },
      },
      status: { readyToUse: true, restoreSize: '1Gi' },
    },
  ];

  /** A snapshot as Velero restores it into the virtual cluster: a new object (UID), marked. */
  const restored = (o: KubeObject): KubeObject => ({
    ...o,
    metadata: { ...o.metadata, labels: { 'velero.io/restore-name': 'after-the-outage' } },
  });

  it('a snapshot made again under its name (a restore of the virtual cluster): its host copy, and the snapshot it holds, are kept', async () => {
    const table = await withObjects(
      [
        [PVC, claim('data')],
        [SNAP, restored(snapshot('nightly', { persistentVolumeClaimName: 'data' }))],
      ],
      [earlierCopy('data')],
    );
    expect(hostSnapshot(table)?.metadata?.uid).toBe('host-snapshot-uid');
    expect(hostSnapshot(table)?.metadata?.annotations?.['vcluster.loft.sh/object-uid']).toBe(
      virtualSnapshot(table)?.metadata?.uid,
    );
    expect(virtualSnapshot(table)?.status).toEqual({ readyToUse: true, restoreSize: '1Gi' });
    expect(table.host.writeLog().filter((w) => w.includes('volumesnapshots'))).toEqual([
      `update volumesnapshots ${HOST_NS}/${hostName('nightly')}`,
    ]);
    expect(syncErrors(table)).toEqual([]);
  });

  it("a snapshot the tenant deleted and made again (no restore): a new snapshot, never the earlier copy's data", async () => {
    const table = await withObjects(
      [
        [PVC, claim('data')],
        [SNAP, snapshot('nightly', { persistentVolumeClaimName: 'data' })],
      ],
      [earlierCopy('data')],
    );
    expect(hostSnapshot(table)?.metadata?.uid).not.toBe('host-snapshot-uid');
    expect(hostSnapshot(table)?.status).toBeUndefined();
    expect(
      (virtualSnapshot(table)?.status as { readyToUse?: boolean } | undefined)?.readyToUse,
    ).toBeUndefined();
    expect(table.host.writeLog().filter((w) => w.includes('volumesnapshots'))).toEqual([
      `delete volumesnapshots ${HOST_NS}/${hostName('nightly')}`,
      `create volumesnapshots ${HOST_NS}/${hostName('nightly')}`,
    ]);
  });

  it.each([
    ['of another claim', { persistentVolumeClaimName: 'data' }, 'an earlier VolumeSnapshot of this name'],
    // As a Velero restore writes it: a pre-provisioned snapshot of the content it restored.
    ['pre-provisioned', { volumeSnapshotContentName: 'restored-content' }, 'pre-provisioned'],
  ])(
    "a snapshot made again under its name, %s: the earlier one's host copy is kept, never deleted, and the tenant told why; deleting the snapshot removes it",
    async (_name, source, message) => {
      const table = await withObjects(
        [
          [PVC, claim('data')],
          [SNAP, restored(snapshot('nightly', source))],
        ],
        [earlierCopy('old')],
      );
      expect(hostSnapshot(table)?.metadata?.uid).toBe('host-snapshot-uid');
      expect(hostSnapshot(table)?.spec).toMatchObject({
        source: { persistentVolumeClaimName: hostName('old') },
      });
      expect(table.host.writeLog().filter((w) => w.includes('volumesnapshots'))).toEqual([]);
      expect(syncErrors(table).join('\n')).toContain(message);
      await table.virtual.delete(SNAP, 'team', 'nightly');
      await table.settle();
      expect(hostSnapshot(table)).toBeUndefined();
    },
  );

  it("readiness flows back, without the name of the host's snapshot content", async () => {
    const table = await withObjects([
      [PVC, claim('data')],
      [SNAP, snapshot('nightly', { persistentVolumeClaimName: 'data' })],
    ]);
    const host = hostSnapshot(table)!;
    await table.host.update(
      SNAP,
      HOST_NS,
      {
        ...host,
        status: {
          readyToUse: true,
          restoreSize: '1Gi',
          creationTime: '2026-12-01T00:00:00Z',
          boundVolumeSnapshotContentName: 'snapcontent-of-the-host',
        },
      },
      { subresource: 'status' },
    );
    await table.settle();
    expect(virtualSnapshot(table)?.status).toEqual({
      readyToUse: true,
      restoreSize: '1Gi',
      creationTime: '2026-12-01T00:00:00Z',
    });
  });

  it.each([
    [
      'a host snapshot content',
      { volumeSnapshotContentName: 'snapcontent-of-another-tenant' },
      'pre-provisioned',
    ],
    ['a claim that does not exist', { persistentVolumeClaimName: 'nothing' }, 'not found'],
    ['no source', {}, 'exactly one of'],
  ])('a snapshot of %s: SyncError, nothing on the host', async (_name, source, message) => {
    const table = await withObjects([[SNAP, snapshot('nightly', source)]]);
    expect(hostSnapshot(table)).toBeUndefined();
    expect(syncErrors(table).join('\n')).toContain(message);
  });

  it("a snapshot not yet taken whose claim goes loses its host copy (the claim's host name could be another cluster's next); a taken one keeps it", async () => {
    const table = await withObjects([
      [PVC, claim('data')],
      [PVC, claim('logs')],
      [SNAP, snapshot('nightly', { persistentVolumeClaimName: 'data' })],
      [SNAP, snapshot('taken', { persistentVolumeClaimName: 'logs' })],
    ]);
    const taken = hostSnapshot(table, 'taken')!;
    await table.host.update(
      SNAP,
      HOST_NS,
      { ...taken, status: { readyToUse: true, boundVolumeSnapshotContentName: 'snapcontent-1' } },
      { subresource: 'status' },
    );
    await table.settle();
    expect(hostSnapshot(table)).toBeDefined();
    await table.virtual.delete(PVC, 'team', 'data');
    await table.virtual.delete(PVC, 'team', 'logs');
    await table.settle();
    expect(hostSnapshot(table)).toBeUndefined();
    expect(syncErrors(table).join('\n')).toContain('"data" not found');
    // Taken already: the stored snapshot is its own data, whatever becomes of the claim.
    expect(hostSnapshot(table, 'taken')).toBeDefined();
  });

  it("a snapshot not yet taken whose claim stays but loses its host copy loses its own (the judge cannot see another cluster's claim under the freed name)", async () => {
    // `clone` is made from `golden`; deleting `golden` takes the unbound clone's host copy away.
    const clone = claim('clone');
    (clone.spec as Record<string, unknown>).dataSource = { kind: 'PersistentVolumeClaim', name: 'golden' };
    const table = await withObjects([
      [PVC, claim('golden')],
      [PVC, clone],
      [SNAP, snapshot('grab', { persistentVolumeClaimName: 'clone' })],
    ]);
    expect(hostSnapshot(table, 'grab')).toBeDefined();
    await table.virtual.delete(PVC, 'team', 'golden');
    await table.settle();
    expect(table.host.objects(PVC, HOST_NS).map((c) => c.metadata?.name)).toEqual([]);
    // The tenant's claim `clone` is still there; its snapshot's copy, which holds nothing yet, went.
    expect(table.virtual.objects(PVC, 'team').map((c) => c.metadata?.name)).toEqual(['clone']);
    expect(hostSnapshot(table, 'grab')).toBeUndefined();
  });

  it("an unbound claim restored from a snapshot whose copy went loses its copy too: a provisioner would read the snapshot's freed host name", async () => {
    const table = await withObjects([
      [PVC, claim('data')],
      [SNAP, snapshot('nightly', { persistentVolumeClaimName: 'data' })],
      [PVC, claimRestoredFrom('nightly')],
    ]);
    expect(table.host.objects(PVC, HOST_NS).map((c) => c.metadata?.name)).toEqual([
      hostName('data'),
      hostName('restored'),
    ]);
    // The snapshot is not taken yet: deleting its claim takes its copy away, and with it the restore's.
    await table.virtual.delete(PVC, 'team', 'data');
    await table.settle();
    expect(hostSnapshot(table)).toBeUndefined();
    expect(table.host.objects(PVC, HOST_NS).map((c) => c.metadata?.name)).toEqual([]);
  });

  it("a claim whose host name is held by someone else's claim is not snapshotted", async () => {
    const foreign: KubeObject = { metadata: { name: hostName('data'), namespace: HOST_NS }, spec: {} };
    const table = await withObjects(
      [
        [PVC, claim('data')],
        [SNAP, snapshot('nightly', { persistentVolumeClaimName: 'data' })],
      ],
      [[PVC, foreign]],
    );
    // The claim is refused (its own SyncError), so the snapshot never gets a copy to be taken of.
    expect(syncErrors(table).join('\n')).toContain('not managed by this virtual cluster');
    expect(hostSnapshot(table)).toBeUndefined();
  });

  it("a claim restored from the tenant's snapshot names the snapshot's host copy", async () => {
    const restored = claimRestoredFrom('nightly');
    const table = await withObjects([
      [PVC, claim('data')],
      [SNAP, snapshot('nightly', { persistentVolumeClaimName: 'data' })],
      [PVC, restored],
    ]);
    const host = table.host.objects(PVC, HOST_NS).find((c) => c.metadata?.name === hostName('restored'));
    expect((host?.spec as { dataSource?: unknown }).dataSource).toEqual({
      apiGroup: 'snapshot.storage.k8s.io',
      kind: 'VolumeSnapshot',
      name: hostName('nightly'),
    });
  });

  it('a claim restored from a snapshot made after it is synced once the snapshot is made and copied', async () => {
    const restored = claimRestoredFrom('nightly');
    const table = await withObjects([
      [PVC, claim('data')],
      [PVC, restored],
    ]);
    expect(syncErrors(table).join('\n')).toContain('VolumeSnapshot "nightly" not found');
    await table.virtual.create(SNAP, 'team', snapshot('nightly', { persistentVolumeClaimName: 'data' }));
    await table.settle();
    expect(hostSnapshot(table)).toBeDefined();
    const host = table.host.objects(PVC, HOST_NS).find((c) => c.metadata?.name === hostName('restored'));
    expect((host?.spec as { dataSource?: unknown } | undefined)?.dataSource).toEqual({
      apiGroup: 'snapshot.storage.k8s.io',
      kind: 'VolumeSnapshot',
      name: hostName('nightly'),
    });
  });
});

describe('volumesnapshots: host classes naming the snapshotter Secret after the snapshot', () => {
  const CLASSES = Resources.volumeSnapshotClasses;
  const SECRETS = Resources.secrets;
  const snapshotClass = (
    name: string,
    secretName: string,
    extra: Record<string, unknown> = {},
    driver = 'csi.example.com',
  ): KubeObject => ({
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshotClass',
    metadata: { name, ...extra },
    driver,
    deletionPolicy: 'Delete',
    parameters: {
      'csi.storage.k8s.io/snapshotter-secret-name': secretName,
      'csi.storage.k8s.io/snapshotter-secret-namespace': '${volumesnapshot.namespace}',
    },
  });
  const start2 = (classes: KubeObject[]) =>
    start({
      kinds: ['persistentvolumeclaims', 'volumesnapshots', 'secrets'],
      host: [
        [Resources.storageClasses, { metadata: { name: 'disks' }, provisioner: 'csi.example.com' }],
        [Resources.storageClasses, { metadata: { name: 'legacy' }, provisioner: 'kubernetes.io/aws-ebs' }],
        ...classes.map((c) => [CLASSES, c] as const),
      ],
    });

  it("`${volumesnapshot.name}`: taken only once the tenant's own Secret of the snapshot's name is copied; another namespace's copy under that host name is never used", async () => {
    const table = await start2([snapshotClass('csi-snaps', '${volumesnapshot.name}')]);
    // Namespace `b-x-team`'s Secret `nightly` would be copied under the host name of the snapshot
    // `nightly-x-b` of `team`: the snapshotter would hand it to the driver.
    await table.virtual.create(SECRETS, 'b-x-team', {
      metadata: {
        name: 'nightly',
        namespace: 'b-x-team',
        annotations: { 'vcluster.loft.sh/force-sync': 'true' },
      },
      data: { token: 'dmljdGlt' },
    });
    await table.virtual.create(PVC, 'team', claim('data'));
    await table.virtual.create(SNAP, 'team', snapshot('nightly-x-b', { persistentVolumeClaimName: 'data' }));
    await table.settle();
    expect(table.host.objects(SECRETS, HOST_NS).map((s) => s.metadata?.name)).toContain(
      hostName('nightly-x-b'),
    );
    expect(hostSnapshot(table, 'nightly-x-b')).toBeUndefined();
    expect(syncErrors(table)).toEqual([expect.stringContaining('Secret "nightly-x-b" not found')]);

    // The tenant's own Secret of the snapshot's name in `team`: copied (force-sync), but its host name
    // is held by the other namespace's copy, so the snapshot still waits.
    await table.virtual.create(SECRETS, 'team', {
      metadata: {
        name: 'nightly-x-b',
        namespace: 'team',
        annotations: { 'vcluster.loft.sh/force-sync': 'true' },
      },
      data: { token: 'b3du' },
    });
    await table.settle();
    expect(hostSnapshot(table, 'nightly-x-b')).toBeUndefined();

    // A snapshot whose own Secret is copied is taken.
    await table.virtual.create(SECRETS, 'team', {
      metadata: { name: 'weekly', namespace: 'team', annotations: { 'vcluster.loft.sh/force-sync': 'true' } },
      data: { token: 'b3du' },
    });
    await table.virtual.create(SNAP, 'team', snapshot('weekly', { persistentVolumeClaimName: 'data' }));
    await table.settle();
    expect(hostSnapshot(table, 'weekly')?.spec).toMatchObject({ volumeSnapshotClassName: 'csi-snaps' });

    // Its Secret deleted (or a namespace deleted whole, the Secret first): the copy stays while the
    // snapshot's does, as the snapshotter reads it again to delete the stored snapshot.
    const secretCopies = () => table.host.objects(SECRETS, HOST_NS).map((s) => s.metadata?.name);
    await table.virtual.delete(SECRETS, 'team', 'weekly');
    await table.settle();
    table.clock.advance(60_000);
    await table.settle();
    expect(secretCopies()).toContain(hostName('weekly'));
    await table.virtual.delete(SNAP, 'team', 'weekly');
    await table.settle();
    expect(hostSnapshot(table, 'weekly')).toBeUndefined();
    table.clock.advance(60_000);
    await table.settle();
    expect(secretCopies()).not.toContain(hostName('weekly'));
  });

  it("a Secret named after the snapshot with more around it is refused; a fixed name is not judged; naming no class, the host's default is", async () => {
    const table = await start2([
      snapshotClass('csi-snaps', 'creds-${volumesnapshot.name}'),
      snapshotClass('fixed', 'snapshotter-creds'),
      snapshotClass('host-default', '${volumesnapshot.name}', {
        annotations: { 'snapshot.storage.kubernetes.io/is-default-class': 'true' },
      }),
      // Another driver's default: not the one the snapshot controller gives a snapshot of this claim.
      snapshotClass(
        'other-default',
        'creds-${volumesnapshot.name}',
        { annotations: { 'snapshot.storage.kubernetes.io/is-default-class': 'true' } },
        'other.example.com',
      ),
    ]);
    await table.virtual.create(PVC, 'team', claim('data'));
    // A claim whose class's provisioner is an in-tree name (CSI migration): no default class names it.
    await table.virtual.create(PVC, 'team', {
      ...claim('old'),
      spec: { ...(claim('old').spec as object), storageClassName: 'legacy' },
    });
    const unnamedOld = snapshot('unnamed-old', { persistentVolumeClaimName: 'old' });
    delete (unnamedOld.spec as Record<string, unknown>).volumeSnapshotClassName;
    await table.virtual.create(SNAP, 'team', unnamedOld);
    await table.virtual.create(SNAP, 'team', snapshot('nightly', { persistentVolumeClaimName: 'data' }));
    const fixed = snapshot('fixed', { persistentVolumeClaimName: 'data' });
    (fixed.spec as Record<string, unknown>).volumeSnapshotClassName = 'fixed';
    await table.virtual.create(SNAP, 'team', fixed);
    const unnamed = snapshot('unnamed', { persistentVolumeClaimName: 'data' });
    delete (unnamed.spec as Record<string, unknown>).volumeSnapshotClassName;
    await table.virtual.create(SNAP, 'team', unnamed);
    await table.settle();
    expect(hostSnapshot(table, 'nightly')).toBeUndefined();
    expect(hostSnapshot(table, 'fixed')).toBeDefined();
    // Naming no class, it gets the host's default, which names its Secret after the snapshot.
    expect(hostSnapshot(table, 'unnamed')).toBeUndefined();
    expect(hostSnapshot(table, 'unnamed-old')).toBeUndefined();
    expect(syncErrors(table).sort()).toEqual([
      expect.stringContaining('(csi.storage.k8s.io/snapshotter-secret-name), under names no Secret'),
      expect.stringContaining('VolumeSnapshotClass "host-default"'),
      expect.stringContaining('VolumeSnapshotClass "host-default"'),
    ]);
  });
});

describe('volumesnapshots: the class the host gives the copy', () => {
  it('a class a host admission policy sets on the copy is the one judged: the untaken copy goes, and the tenant is told', async () => {
    const CLASSES = Resources.volumeSnapshotClasses;
    const table = await start({
      kinds: ['persistentvolumeclaims', 'volumesnapshots', 'secrets'],
      host: [
        [Resources.storageClasses, { metadata: { name: 'disks' }, provisioner: 'csi.example.com' }],
        [CLASSES, { metadata: { name: 'csi-snaps' }, driver: 'csi.example.com', deletionPolicy: 'Delete' }],
        [
          CLASSES,
          {
            metadata: { name: 'per-snapshot' },
            driver: 'csi.example.com',
            deletionPolicy: 'Delete',
            parameters: {
              'csi.storage.k8s.io/snapshotter-secret-name': '${volumesnapshot.name}',
              'csi.storage.k8s.io/snapshotter-secret-namespace': '${volumesnapshot.namespace}',
            },
          },
        ],
      ],
    });
    table.host.mutateOnCreate('volumesnapshots', (o) => {
      (o.spec as { volumeSnapshotClassName?: string }).volumeSnapshotClassName = 'per-snapshot';
    });
    await table.virtual.create(PVC, 'team', claim('data'));
    await table.virtual.create(SNAP, 'team', snapshot('nightly', { persistentVolumeClaimName: 'data' }));
    await table.settle();
    expect(hostSnapshot(table)).toBeUndefined();
    expect(syncErrors(table)).toContainEqual(expect.stringContaining('VolumeSnapshotClass "per-snapshot"'));
  });
});
