import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../../testing/state-table.ts';
import { hostStorageClassFor } from './translate.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const SC = Resources.storageClasses;
const PVC = Resources.persistentVolumeClaims;
const PV = Resources.persistentVolumes;
const hostClassName = (name: string, vc = VC) => `vcluster-${name}-x-${HOST_NS}-x-${vc}`;
const DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
const MANAGED_BY = 'vcluster.loft.sh/managed-by';

function storageClass(name: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name, labels: { tier: 'fast' } },
    provisioner: 'csi.example.com',
    parameters: { type: 'ssd', fsType: 'ext4' },
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
    ...extra,
  };
}

function claim(name: string, storageClassName: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name, namespace: 'team' },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
      storageClassName,
      ...extra,
    },
  };
}

const hostClass = (t: StateTable, name = 'fast') =>
  t.host.objects(SC).find((c) => c.metadata?.name === hostClassName(name));
const virtualClass = (t: StateTable, name = 'fast') =>
  t.virtual.objects(SC).find((c) => c.metadata?.name === name);
/** The tenant relabels its class `fast` (a change that replaces nothing), and the syncer settles. */
async function relabel(t: StateTable, labels: Record<string, string>): Promise<void> {
  const v = virtualClass(t)!;
  await t.virtual.update(SC, '', { ...v, metadata: { ...v.metadata, labels } });
  await t.settle();
}
const hostClaim = (t: StateTable, name: string, ns = 'team') =>
  t.host.objects(PVC, HOST_NS).find((c) => c.metadata?.name === `${name}-x-${ns}-x-${VC}`);
const syncErrors = (t: StateTable, ns = 'default') =>
  t.virtual
    .objects(Resources.events, ns)
    .filter((e) => e.reason === 'SyncError')
    .map((e) => String(e.message));

/**
 * Acts as a host policy that mutates every new StorageClass; past a few creates it refuses them, so
 * a syncer that replaces the copy for ever fails the test instead of running it out of time.
 */
function hostPolicy(table: StateTable, mutate: (o: KubeObject) => void) {
  let creates = 0;
  table.host.mutateOnCreate('storageclasses', (o) => {
    if (++creates > 5) throw new Error('the host policy saw more than five creates');
    mutate(o);
  });
}

/** A table running storageclasses (and claims), with the tenant's classes created through the virtual API. */
async function withClasses(
  classes: KubeObject[],
  opts: { host?: Seed[]; virtual?: Seed[]; flags?: Record<string, string>; kinds?: string[] } = {},
) {
  const table = await start({
    kinds: opts.kinds ?? ['storageclasses', 'persistentvolumeclaims'],
    flags: opts.flags ?? { allowedStorageProvisioner: '*' },
    host: opts.host,
    virtual: opts.virtual,
  });
  for (const c of classes) await table.virtual.create(SC, '', c);
  await table.settle();
  return table;
}

describe('storageclasses state table (to the host)', () => {
  it("a tenant's class: cluster-scoped host copy with its fields, labelled, pointing back, never the host's default", async () => {
    const table = await withClasses([
      storageClass('fast', {
        metadata: {
          name: 'fast',
          labels: { tier: 'fast' },
          annotations: { [DEFAULT_CLASS]: 'true', note: 'x' },
        },
        mountOptions: ['noatime'],
        allowVolumeExpansion: true,
        allowedTopologies: [{ matchLabelExpressions: [{ key: 'zone', values: ['a'] }] }],
      }),
    ]);
    const host = hostClass(table)!;
    expect(host).toMatchObject({
      provisioner: 'csi.example.com',
      parameters: { type: 'ssd', fsType: 'ext4' },
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
      mountOptions: ['noatime'],
      allowVolumeExpansion: true,
      allowedTopologies: [{ matchLabelExpressions: [{ key: 'zone', values: ['a'] }] }],
      metadata: {
        labels: { tier: 'fast', [MANAGED_BY]: `${HOST_NS}-x-${VC}` },
        annotations: {
          note: 'x',
          'vcluster.loft.sh/object-name': 'fast',
          'vcluster.loft.sh/object-uid': virtualClass(table)!.metadata?.uid,
          'vcluster.loft.sh/object-kind': 'storage.k8s.io/v1, Kind=StorageClass',
        },
      },
    });
    expect(host.metadata?.annotations?.[DEFAULT_CLASS]).toBeUndefined();
    expect(table.host.writeLog()).toEqual([`create storageclasses ${hostClassName('fast')}`]);
  });

  it('the changeable fields and metadata follow; the default-class annotation never reaches the host', async () => {
    const table = await withClasses([storageClass('fast')]);
    const v = virtualClass(table)!;
    await table.virtual.update(SC, '', {
      ...v,
      metadata: { ...v.metadata, labels: { tier: 'gold' }, annotations: { [DEFAULT_CLASS]: 'true' } },
      allowVolumeExpansion: true,
      mountOptions: ['discard'],
    });
    await table.settle();
    const host = hostClass(table)!;
    expect(host).toMatchObject({
      allowVolumeExpansion: true,
      mountOptions: ['discard'],
      parameters: { type: 'ssd' },
    });
    expect(host.metadata?.labels?.tier).toBe('gold');
    expect(host.metadata?.annotations?.[DEFAULT_CLASS]).toBeUndefined();
    // The tenant's class keeps its annotation: in the virtual cluster it is the default.
    expect(virtualClass(table)!.metadata?.annotations?.[DEFAULT_CLASS]).toBe('true');
  });

  it('a provisioner the admin did not allow, or parameters naming a Secret: refused with a SyncError, nothing on the host', async () => {
    const table = await withClasses(
      [
        storageClass('other', { provisioner: 'rancher.io/local-path' }),
        storageClass('creds', {
          parameters: {
            'csi.storage.k8s.io/node-publish-secret-name': 'cloud-creds',
            'csi.storage.k8s.io/node-publish-secret-namespace': 'kube-system',
          },
        }),
        storageClass('fast'),
      ],
      { flags: { allowedStorageProvisioner: 'csi.example.com' } },
    );
    expect(table.host.objects(SC).map((c) => c.metadata?.name)).toEqual([hostClassName('fast')]);
    expect(syncErrors(table).sort()).toEqual([
      expect.stringContaining(
        'parameters "csi.storage.k8s.io/node-publish-secret-name", "csi.storage.k8s.io/node-publish-secret-namespace" name a Secret',
      ),
      expect.stringContaining(
        'provisioner "rancher.io/local-path" is not one this virtual cluster may use on the host (allowed: csi.example.com;',
      ),
    ]);
  });

  it('by default no provisioner is allowed: every tenant class is refused, the flag named', async () => {
    const table = await withClasses([storageClass('fast')], { flags: {} });
    expect(table.host.writeLog()).toEqual([]);
    expect(syncErrors(table)).toEqual([
      'provisioner "csi.example.com" is not one this virtual cluster may use on the host (allowed: none; the host\'s admin lists them with --allowed-storage-provisioner)',
    ]);
  });

  it('a malformed class is refused with the field named; the process goes on', async () => {
    const table = await withClasses([], {
      virtual: [[SC, storageClass('bad', { parameters: { size: 5 } })]],
    });
    expect(table.host.writeLog()).toEqual([]);
    expect(syncErrors(table)).toEqual(['malformed storage class: parameters["size"] must be a string']);
  });

  it('the virtual class deleted: its host copy goes; a class shown from the host is never copied', async () => {
    const table = await withClasses([storageClass('fast')], {
      virtual: [
        [
          SC,
          storageClass('shown', { metadata: { name: 'shown', labels: { 'vsyncer.dev/managed': 'true' } } }),
        ],
      ],
    });
    expect(hostClass(table)).toBeDefined();
    await table.virtual.delete(SC, '', 'fast');
    await table.settle();
    expect(table.host.objects(SC)).toEqual([]);
  });

  it("a host copy whose fixed fields differ (re-made by someone) is replaced by the tenant's", async () => {
    const table = await withClasses([storageClass('fast')]);
    const host = hostClass(table)!;
    await table.host.delete(SC, '', host.metadata!.name!);
    await table.host.create(SC, '', {
      ...host,
      metadata: { ...host.metadata, uid: undefined, resourceVersion: undefined },
      parameters: { type: 'hdd' },
    });
    await table.settle();
    expect(hostClass(table)!.parameters).toEqual({ type: 'ssd', fsType: 'ext4' });
  });

  it('a host policy that changes every new class: the copy is made once and kept, the tenant told once which fields', async () => {
    const table = await start({ kinds: ['storageclasses'], flags: { allowedStorageProvisioner: '*' } });
    hostPolicy(table, (o) => {
      o.parameters = { ...(o.parameters as object), encrypted: 'true' };
      o.volumeBindingMode = 'Immediate';
    });
    await table.virtual.create(SC, '', storageClass('fast'));
    await table.settle();
    expect(table.host.writeLog()).toEqual([`create storageclasses ${hostClassName('fast')}`]);
    expect(hostClass(table)).toMatchObject({
      parameters: { type: 'ssd', fsType: 'ext4', encrypted: 'true' },
      volumeBindingMode: 'Immediate',
    });
    expect(syncErrors(table)).toEqual([
      expect.stringContaining(
        "the host gave this class's copy other parameters, volumeBindingMode than the class says",
      ),
    ]);
    // The tenant's later edits still reach the copy, and still replace nothing.
    await relabel(table, { tier: 'gold' });
    expect(table.host.writeLog()).toEqual([
      `create storageclasses ${hostClassName('fast')}`,
      `update storageclasses ${hostClassName('fast')}`,
    ]);
    expect(hostClass(table)!.metadata?.labels?.tier).toBe('gold');
    expect(syncErrors(table)).toHaveLength(1);
  });

  it('a copy the host policy changed before a restart is replaced once, then kept', async () => {
    const virtual = storageClass('fast', {
      metadata: { name: 'fast', uid: 'fast-uid', labels: { tier: 'fast' } },
    });
    const earlier = hostStorageClassFor(virtual, {
      vcName: VC,
      hostNamespace: HOST_NS,
      hostName: hostClassName('fast'),
    });
    const table = await start({
      kinds: ['storageclasses'],
      flags: { allowedStorageProvisioner: '*' },
      virtual: [[SC, virtual]],
      host: [[SC, { ...earlier, parameters: { type: 'ssd', fsType: 'ext4', encrypted: 'true' } }]],
    });
    hostPolicy(table, (o) => {
      o.parameters = { ...(o.parameters as object), encrypted: 'true' };
    });
    await table.settle();
    expect(table.host.writeLog()).toEqual([
      `delete storageclasses ${hostClassName('fast')}`,
      `create storageclasses ${hostClassName('fast')}`,
    ]);
    expect(hostClass(table)!.parameters).toEqual({ type: 'ssd', fsType: 'ext4', encrypted: 'true' });
    expect(syncErrors(table)).toEqual([
      expect.stringContaining("the host gave this class's copy other parameters than"),
    ]);
  });

  describe('reclaimPolicy Retain (--allow-retain-storage-class)', () => {
    const retained = () => storageClass('fast', { reclaimPolicy: 'Retain' });
    const retainNotice = expect.stringContaining(
      'reclaimPolicy Retain is not copied to the host: its copy of this class has Delete',
    );

    it('by default the host copy gets Delete, and the tenant is told once', async () => {
      const table = await withClasses([retained()], { kinds: ['storageclasses'] });
      expect(hostClass(table)!.reclaimPolicy).toBe('Delete');
      expect(virtualClass(table)!.reclaimPolicy).toBe('Retain');
      expect(syncErrors(table)).toEqual([retainNotice]);
      // Later reconciles neither replace the copy nor say it again.
      await relabel(table, { tier: 'gold' });
      expect(table.host.writeLog()).toEqual([
        `create storageclasses ${hostClassName('fast')}`,
        `update storageclasses ${hostClassName('fast')}`,
      ]);
      expect(syncErrors(table)).toEqual([retainNotice]);
    });

    it('allowed by the admin, Retain is copied as it is, with nothing to tell', async () => {
      const table = await withClasses([retained()], {
        kinds: ['storageclasses'],
        flags: { allowedStorageProvisioner: '*', allowRetainStorageClass: 'true' },
      });
      expect(hostClass(table)!.reclaimPolicy).toBe('Retain');
      expect(syncErrors(table)).toEqual([]);
    });

    it('a copy made with Retain before (an earlier syncer) is replaced once with Delete', async () => {
      const virtual = storageClass('fast', {
        metadata: { name: 'fast', uid: 'fast-uid' },
        reclaimPolicy: 'Retain',
      });
      const where = { vcName: VC, hostNamespace: HOST_NS, hostName: hostClassName('fast') };
      const table = await start({
        kinds: ['storageclasses'],
        flags: { allowedStorageProvisioner: '*' },
        virtual: [[SC, virtual]],
        host: [[SC, hostStorageClassFor(virtual, where, { allowRetain: true })]],
      });
      await table.settle();
      expect(table.host.writeLog()).toEqual([
        `delete storageclasses ${hostClassName('fast')}`,
        `create storageclasses ${hostClassName('fast')}`,
      ]);
      expect(hostClass(table)!.reclaimPolicy).toBe('Delete');
      expect(syncErrors(table)).toEqual([retainNotice]);
    });

    it('a host policy that forces Retain back: the copy is kept as the host made it, no loop', async () => {
      const table = await start({ kinds: ['storageclasses'], flags: { allowedStorageProvisioner: '*' } });
      hostPolicy(table, (o) => {
        o.reclaimPolicy = 'Retain';
      });
      await table.virtual.create(SC, '', retained());
      await table.settle();
      expect(table.host.writeLog()).toEqual([`create storageclasses ${hostClassName('fast')}`]);
      expect(hostClass(table)!.reclaimPolicy).toBe('Retain');
      expect(syncErrors(table)).toEqual([
        expect.stringContaining("the host gave this class's copy other reclaimPolicy than the class says"),
      ]);
    });
  });
});

describe('claims and volumes naming a tenant class (storageclasses on)', () => {
  it("a claim of a tenant's class is provisioned through the class's host copy", async () => {
    const table = await withClasses([storageClass('fast')]);
    await table.virtual.create(PVC, 'team', claim('data', 'fast'));
    await table.settle();
    expect(hostClaim(table, 'data')!.spec).toMatchObject({ storageClassName: hostClassName('fast') });
    // The tenant still sees its own class's name.
    expect(table.virtual.objects(PVC, 'team')[0]!.spec).toMatchObject({ storageClassName: 'fast' });
  });

  it('a claim waits while the host name of its class is held by an object that is not its copy, and never uses it', async () => {
    const squatter: KubeObject = {
      metadata: { name: hostClassName('fast'), labels: { [MANAGED_BY]: `${HOST_NS}-x-${VC}` } },
      provisioner: 'evil.example.com',
    };
    const table = await withClasses([], { host: [[SC, squatter]] });
    await table.virtual.create(SC, '', storageClass('fast'));
    await table.virtual.create(PVC, 'team', claim('data', 'fast'));
    await table.settle();
    expect(hostClaim(table, 'data')).toBeUndefined();
    expect(table.host.objects(SC).map((c) => c.metadata?.name)).toEqual([hostClassName('fast')]);
    expect(hostClass(table)!.provisioner).toBe('evil.example.com');
    // The class says why it has no copy.
    expect(syncErrors(table)).toEqual([
      expect.stringContaining('its host name is already used by another object'),
    ]);
  });

  it("a claim naming another virtual cluster's (or any syncer's) host class directly is refused as unknown", async () => {
    const foreign = hostClassName('gold', 'other');
    const table = await withClasses([], {
      host: [
        [
          SC,
          {
            metadata: { name: foreign, labels: { [MANAGED_BY]: `${HOST_NS}-x-other` } },
            provisioner: 'csi.example.com',
          },
        ],
      ],
    });
    await table.virtual.create(PVC, 'team', claim('data', foreign));
    await table.settle();
    expect(hostClaim(table, 'data')).toBeUndefined();
    expect(syncErrors(table, 'team')).toEqual([
      expect.stringContaining(`StorageClass "${foreign}" does not exist in the host cluster`),
    ]);
  });

  it("a claim of a host class (not the tenant's) keeps its name", async () => {
    const table = await withClasses([], {
      host: [[SC, { metadata: { name: 'standard' }, provisioner: 'csi.example.com' }]],
    });
    await table.virtual.create(PVC, 'team', claim('data', 'standard'));
    await table.settle();
    expect(hostClaim(table, 'data')!.spec).toMatchObject({ storageClassName: 'standard' });
  });

  it("a claim reserved by a tenant volume that was refused still may not name another cluster's class", async () => {
    const foreign = hostClassName('gold', 'other');
    const table = await withClasses([], {
      kinds: ['storageclasses', 'persistentvolumeclaims', 'persistentvolumes'],
      flags: { allowedPvSource: 'nfs', allowedStorageProvisioner: '*' },
      host: [
        [
          SC,
          {
            metadata: { name: foreign, labels: { [MANAGED_BY]: `${HOST_NS}-x-other` } },
            provisioner: 'csi.example.com',
          },
        ],
      ],
    });
    // A hostPath volume is refused (not in --allowed-pv-source): it gets no host copy, and the
    // host's binder would provision the claim through its class instead.
    await table.virtual.create(PV, '', {
      metadata: { name: 'sneaky' },
      spec: {
        capacity: { storage: '10Gi' },
        accessModes: ['ReadWriteOnce'],
        hostPath: { path: '/' },
        claimRef: { namespace: 'team', name: 'data' },
      },
    });
    await table.virtual.create(PVC, 'team', claim('data', foreign));
    await table.settle();
    expect(hostClaim(table, 'data')).toBeUndefined();
    expect(syncErrors(table, 'team')).toEqual([
      expect.stringContaining(`StorageClass "${foreign}" does not exist in the host cluster`),
    ]);
  });

  it("a tenant volume of a tenant class carries the copy's name, as its claim does, so the host binder pairs them", async () => {
    const table = await withClasses(
      [storageClass('manual', { provisioner: 'kubernetes.io/no-provisioner' })],
      {
        kinds: ['storageclasses', 'persistentvolumeclaims', 'persistentvolumes'],
        flags: { allowedPvSource: 'nfs', allowedStorageProvisioner: '*' },
      },
    );
    await table.virtual.create(PV, '', {
      metadata: { name: 'share' },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'manual',
        nfs: { server: 'nfs.example.com', path: '/share' },
        claimRef: { namespace: 'team', name: 'data' },
      },
    });
    await table.virtual.create(PVC, 'team', claim('data', 'manual', { volumeName: 'share' }));
    await table.settle();
    const hostVolume = table.host.objects(PV).find((v) => v.metadata?.name === hostClassName('share'));
    expect(hostVolume!.spec).toMatchObject({ storageClassName: hostClassName('manual') });
    expect(hostClaim(table, 'data')!.spec).toMatchObject({ storageClassName: hostClassName('manual') });
  });
});
