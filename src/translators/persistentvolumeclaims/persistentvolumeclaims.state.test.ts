import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type StateTable } from '../../testing/state-table.ts';
import { podInfrastructure } from '../../testing/pod-seeds.ts';
import { PRE_BOUND_ONLY, specOf, statusOf, type ClaimSpec } from './translate.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const PVC = Resources.persistentVolumeClaims;
const PV = Resources.persistentVolumes;
const SC = Resources.storageClasses;
const hostName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;
const MANAGED_BY = 'vcluster.loft.sh/managed-by';

const storageClass = (name: string): KubeObject => ({
  metadata: { name },
  provisioner: 'csi.example.com',
  allowVolumeExpansion: true,
});

function claim(
  name: string,
  spec: ClaimSpec = {},
  ns = 'team',
  annotations?: Record<string, string>,
): KubeObject {
  return {
    metadata: { name, namespace: ns, labels: { app: name }, ...(annotations ? { annotations } : {}) },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
      storageClassName: 'fast',
      ...spec,
    },
  };
}

const virtualClaim = (t: StateTable, name = 'data', ns = 'team') =>
  t.virtual.objects(PVC, ns).find((c) => c.metadata?.name === name);
const hostClaim = (t: StateTable, name = 'data', ns = 'team') =>
  t.host.objects(PVC, HOST_NS).find((c) => c.metadata?.name === hostName(name, ns));
const virtualVolume = (t: StateTable, name: string) =>
  t.virtual.objects(PV).find((v) => v.metadata?.name === name);
const syncErrors = (t: StateTable, ns = 'team') =>
  t.virtual
    .objects(Resources.events, ns)
    .filter((e) => e.reason === 'SyncError')
    .map((e) => String(e.message));

/** A table running persistentvolumeclaims, the host having the class `fast`, and these claims created. */
async function withClaims(
  claims: KubeObject[],
  extra: { host?: [typeof PVC, KubeObject][]; virtual?: [typeof PVC, KubeObject][] } = {},
): Promise<StateTable> {
  const table = await start({
    kinds: ['persistentvolumeclaims'],
    host: [[SC, storageClass('fast')], ...(extra.host ?? [])],
    virtual: extra.virtual ?? [],
  });
  for (const c of claims) await table.virtual.create(PVC, c.metadata!.namespace!, c);
  await table.settle();
  return table;
}

/** What a host provisioner and the host's binder do: the claim gets a volume, then Bound status. */
async function bindOnHost(
  t: StateTable,
  name = 'data',
  volume = 'pvc-1234',
  capacity = '1Gi',
): Promise<void> {
  const h = hostClaim(t, name)!;
  const bound = await t.host.update(PVC, HOST_NS, {
    ...h,
    metadata: {
      ...h.metadata,
      annotations: { ...h.metadata?.annotations, 'pv.kubernetes.io/bind-completed': 'yes' },
    },
    spec: { ...specOf(h), volumeName: volume },
  });
  await t.host.update(
    PVC,
    HOST_NS,
    { ...bound, status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: capacity } } },
    { subresource: 'status' },
  );
  await t.settle();
}

describe('persistentvolumeclaims state table', () => {
  it("with --virtual-scheduler, the node it selected for a claim reaches the host claim (the host's provisioner makes the volume there); the other controllers' marks stay", async () => {
    const table = await start({
      kinds: ['persistentvolumeclaims', 'pods', 'nodes'],
      flags: { virtualScheduler: 'true', syncRealNodes: 'true' },
      host: [[SC, storageClass('fast')]],
    });
    await table.virtual.create(PVC, 'team', claim('data'));
    await table.settle();
    expect(hostClaim(table)!.metadata?.annotations?.['volume.kubernetes.io/selected-node']).toBeUndefined();
    // The virtual scheduler picks the node of the claim's first pod, and says so on the claim.
    const v = virtualClaim(table)!;
    await table.virtual.update(PVC, 'team', {
      ...v,
      metadata: {
        ...v.metadata,
        annotations: {
          ...v.metadata?.annotations,
          'volume.kubernetes.io/selected-node': 'node-2',
          'pv.kubernetes.io/bind-completed': 'yes',
        },
      },
    });
    await table.settle();
    const annotations = hostClaim(table)!.metadata?.annotations ?? {};
    expect(annotations['volume.kubernetes.io/selected-node']).toBe('node-2');
    expect(annotations['pv.kubernetes.io/bind-completed']).toBeUndefined();
  });

  it("a deleted claim's copy stays while an unfinished host pod mounts it (a pending pod holds no claim in either cluster), and goes after", async () => {
    const table = await withClaims([claim('data')]);
    // A gated pod's host copy: unscheduled, so no pvc-protection holds the claim anywhere.
    await table.host.create(Resources.pods, HOST_NS, {
      metadata: { name: hostName('gated'), namespace: HOST_NS, labels: { [MANAGED_BY]: VC } },
      spec: {
        schedulingGates: [{ name: 'example.com/hold' }],
        containers: [{ name: 'main', image: 'app:1' }],
        volumes: [{ name: 'v', persistentVolumeClaim: { claimName: hostName('data') } }],
      },
      status: { phase: 'Pending' },
    });
    await table.virtual.delete(PVC, 'team', 'data');
    await table.settle();
    // Freed, its ambiguous name could pass to another object, which the pod would mount once scheduled.
    expect(hostClaim(table)).toBeDefined();
    await table.host.delete(Resources.pods, HOST_NS, hostName('gated'));
    table.clock.advance(10_000);
    await table.delivered();
    await table.settle();
    expect(hostClaim(table)).toBeUndefined();
  });

  it('create: the host claim is named, labelled, points back, and carries the spec but no volume of its choosing', async () => {
    const table = await withClaims([
      claim('data', { volumeMode: 'Filesystem', selector: { matchLabels: { disk: 'ssd' } } }, 'team', {
        note: 'keep',
        'pv.kubernetes.io/bind-completed': 'yes',
        'volume.kubernetes.io/selected-node': 'n1',
        // A provisioner's per-claim override of its class (OpenEBS Local PV's node directory).
        'cas.openebs.io/config': '- name: BasePath\n  value: /',
      }),
    ]);
    const host = hostClaim(table)!;
    expect(host.metadata?.annotations).not.toHaveProperty(['cas.openebs.io/config']);
    expect(host.metadata?.labels).toEqual({
      app: 'data',
      [MANAGED_BY]: VC,
      'vcluster.loft.sh/namespace': 'team',
    });
    expect(host.metadata?.annotations).toMatchObject({
      note: 'keep',
      'vcluster.loft.sh/object-name': 'data',
      'vcluster.loft.sh/object-namespace': 'team',
      'vcluster.loft.sh/object-uid': virtualClaim(table)!.metadata?.uid,
      'vcluster.loft.sh/object-kind': '/v1, Kind=PersistentVolumeClaim',
    });
    // The storage controllers' own marks stay in the cluster that set them.
    expect(Object.keys(host.metadata?.annotations ?? {}).filter((k) => /kubernetes\.io\//.test(k))).toEqual(
      [],
    );
    expect(specOf(host)).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
      storageClassName: 'fast',
      volumeMode: 'Filesystem',
    });
    expect(table.host.writeLog()).toEqual([`create persistentvolumeclaims ${HOST_NS}/${hostName('data')}`]);
    expect(statusOf(virtualClaim(table)).phase).toBe('Pending');
    expect(table.virtual.objects(PV)).toEqual([]);
  });

  it('a claim asking for no class: its copy selects no volume, so the host binder gives it only one reserved for it', async () => {
    const table = await withClaims([
      claim('data', { storageClassName: '', selector: { matchLabels: { disk: 'ssd' } } }),
    ]);
    const host = hostClaim(table)!;
    expect(specOf(host).storageClassName).toBe('');
    // Not the tenant's selector (it would select host volumes): one no volume matches.
    expect(specOf(host).selector).toEqual({
      matchExpressions: [{ key: 'vsyncer.dev/pre-bound-volumes-only', operator: 'Exists' }],
    });
    // A claim with a class is provisioned through it: no selector.
    const other = await withClaims([claim('fast-data')]);
    expect(specOf(hostClaim(other, 'fast-data')).selector).toBeUndefined();
  });

  it("a host label that comes up with the binding does not take the binder's annotations off again", async () => {
    const table = await withClaims([claim('data')]);
    const h = hostClaim(table)!;
    // The host claim's status says Bound first; then the binder names the volume as a host controller
    // labels the claim, in one write: the binding and the label come up in one reconcile.
    await table.host.update(
      PVC,
      HOST_NS,
      { ...h, status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } } },
      { subresource: 'status' },
    );
    await table.settle();
    const h2 = hostClaim(table)!;
    await table.host.update(PVC, HOST_NS, {
      ...h2,
      metadata: {
        ...h2.metadata,
        labels: { ...h2.metadata?.labels, backup: 'daily' },
        annotations: { ...h2.metadata?.annotations, 'pv.kubernetes.io/bind-completed': 'yes' },
      },
      spec: { ...specOf(h2), volumeName: 'pvc-1234' },
    });
    const before = table.virtual.writeLog().length;
    await table.settle();
    const v = virtualClaim(table)!;
    expect(v.metadata?.labels?.backup).toBe('daily');
    expect(v.metadata?.annotations?.['pv.kubernetes.io/bind-completed']).toBe('yes');
    // One write binds and annotates the claim, one brings the label up: none takes the other's off.
    const claimWrites = table.virtual
      .writeLog()
      .slice(before)
      .filter((w) => w.includes('persistentvolumeclaims team/'));
    expect(claimWrites).toEqual([
      'update persistentvolumeclaims team/data',
      'patch persistentvolumeclaims team/data',
    ]);
  });

  it('bound on the host: a fake volume named as the host volume, the virtual claim bound to it with the host status', async () => {
    const table = await withClaims([claim('data')]);
    await bindOnHost(table);
    const pv = virtualVolume(table, 'pvc-1234')!;
    expect(pv.metadata?.labels).toEqual({
      'vcluster.loft.sh/fake-pv': 'true',
      'vsyncer.dev/managed': 'true',
    });
    expect(pv.spec).toEqual({
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'fast',
      volumeMode: 'Filesystem',
      persistentVolumeReclaimPolicy: 'Delete',
      flexVolume: { driver: 'vsyncer.dev/fake' },
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: 'team',
        name: 'data',
        uid: virtualClaim(table)!.metadata?.uid,
      },
    });
    expect(pv.status).toEqual({ phase: 'Bound' });
    const v = virtualClaim(table)!;
    expect(specOf(v).volumeName).toBe('pvc-1234');
    expect(v.status).toEqual({
      phase: 'Bound',
      accessModes: ['ReadWriteOnce'],
      capacity: { storage: '1Gi' },
    });
    // The host binder's word that the binding is done comes up with it (the virtual scheduler waits
    // for it; the virtual cluster has no binder of its own to write it), and nothing goes down.
    expect(v.metadata?.annotations?.['pv.kubernetes.io/bind-completed']).toBe('yes');
    expect(hostClaim(table)!.metadata?.annotations?.['pv.kubernetes.io/bind-completed']).toBe('yes');
  });

  it("the host's condition messages reach the tenant without host names", async () => {
    const table = await withClaims([claim('data')]);
    const h = hostClaim(table)!;
    await table.host.update(
      PVC,
      HOST_NS,
      {
        ...h,
        status: {
          phase: 'Pending',
          conditions: [
            {
              type: 'Resizing',
              status: 'True',
              message: `waiting for an external resizer for claim ${HOST_NS}/${hostName('data', 'team')}`,
            },
          ],
        },
      },
      { subresource: 'status' },
    );
    await table.settle();
    expect((virtualClaim(table)!.status as { conditions: { message: string }[] }).conditions).toEqual([
      {
        type: 'Resizing',
        status: 'True',
        message: 'waiting for an external resizer for claim <host namespace>/data',
      },
    ]);
  });

  it('steady state: a second pass over a bound claim writes nothing', async () => {
    const table = await withClaims([claim('data')]);
    await bindOnHost(table);
    table.virtual.clearWrites();
    table.host.clearWrites();
    table.controllers.get('persistentvolumeclaims')!.controller.enqueue('team/data');
    await table.settle();
    expect(table.writes()).toEqual([]);
  });

  it('resize: a grown request flows down; the capacity the host reaches flows up, to the claim and its volume', async () => {
    const table = await withClaims([claim('data')]);
    await bindOnHost(table);
    const v = virtualClaim(table)!;
    await table.virtual.update(PVC, 'team', {
      ...v,
      spec: { ...specOf(v), resources: { requests: { storage: '5Gi' } } },
    });
    await table.settle();
    expect(specOf(hostClaim(table)).resources).toEqual({ requests: { storage: '5Gi' } });
    expect(statusOf(virtualClaim(table)).capacity).toEqual({ storage: '1Gi' });

    // The host's resizer finishes: new capacity in the host claim's status.
    const h = hostClaim(table)!;
    await table.host.update(
      PVC,
      HOST_NS,
      { ...h, status: { ...statusOf(h), capacity: { storage: '5Gi' } } },
      { subresource: 'status' },
    );
    await table.settle();
    expect(statusOf(virtualClaim(table)).capacity).toEqual({ storage: '5Gi' });
    expect((virtualVolume(table, 'pvc-1234')!.spec as { capacity: unknown }).capacity).toEqual({
      storage: '5Gi',
    });
  });

  it('a host edit of the spec is reverted; a tenant label edited on the host flows up', async () => {
    const table = await withClaims([claim('data')]);
    await bindOnHost(table);
    const h = hostClaim(table)!;
    await table.host.update(PVC, HOST_NS, {
      ...h,
      metadata: { ...h.metadata, labels: { ...h.metadata?.labels, app: 'db' } },
      spec: { ...specOf(h), resources: { requests: { storage: '9Gi' } } },
    });
    await table.settle();
    expect(specOf(hostClaim(table)).resources).toEqual({ requests: { storage: '1Gi' } });
    expect(virtualClaim(table)!.metadata?.labels).toEqual({ app: 'db' });
  });

  it('an unknown StorageClass: SyncError naming it, nothing on the host; synced once the host has the class', async () => {
    const table = await withClaims([claim('data', { storageClassName: 'gold' })]);
    expect(table.host.writeLog()).toEqual([]);
    expect(syncErrors(table)).toEqual([
      expect.stringContaining('StorageClass "gold" does not exist in the host cluster'),
    ]);
    await table.host.create(SC, '', storageClass('gold'));
    await table.settle();
    expect(specOf(hostClaim(table)).storageClassName).toBe('gold');
  });

  it('the beta class annotation counts as the class: checked, and sent as storageClassName', async () => {
    const table = await withClaims([
      claim('a', { storageClassName: undefined }, 'team', {
        'volume.beta.kubernetes.io/storage-class': 'gold',
      }),
      claim('b', { storageClassName: undefined }, 'team', {
        'volume.beta.kubernetes.io/storage-class': 'fast',
      }),
    ]);
    expect(hostClaim(table, 'a')).toBeUndefined();
    expect(syncErrors(table)).toEqual([expect.stringContaining('"gold"')]);
    expect(specOf(hostClaim(table, 'b')).storageClassName).toBe('fast');
    expect(
      hostClaim(table, 'b')!.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'],
    ).toBeUndefined();
  });

  it("no class: the host's default by name; with no default, a copy that gets only a volume reserved for it", async () => {
    const table = await withClaims([
      claim('plain', { storageClassName: undefined }),
      claim('none', { storageClassName: '' }),
    ]);
    // A class-less host claim without the selector would be bound to any unclaimed class-less host volume.
    expect(specOf(hostClaim(table, 'plain'))).toMatchObject({ selector: PRE_BOUND_ONLY });
    expect(specOf(hostClaim(table, 'plain')).storageClassName).toBeUndefined();
    // "" asks for no class, and gets the same.
    expect(specOf(hostClaim(table, 'none'))).toMatchObject({
      storageClassName: '',
      selector: PRE_BOUND_ONLY,
    });
    expect(syncErrors(table)).toEqual([]);
    const marked = (name: string, created: string): KubeObject => ({
      ...storageClass(name),
      metadata: {
        name,
        creationTimestamp: created,
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
    });
    // Two defaults: the newest, as the host's admission picks, named on the copy of a claim made now.
    await table.host.create(SC, '', marked('older', '2026-01-01T00:00:00Z'));
    await table.host.create(SC, '', marked('newer', '2026-06-01T00:00:00Z'));
    await table.virtual.create(PVC, 'team', claim('later', { storageClassName: undefined }));
    await table.settle();
    expect(specOf(hostClaim(table, 'later')).storageClassName).toBe('newer');
    expect(specOf(hostClaim(table, 'later')).selector).toBeUndefined();
    // The copy made while there was no default would never be provisioned (its selector): made again,
    // naming the default; the claim asking for no class keeps its copy.
    expect(specOf(hostClaim(table, 'plain'))).toMatchObject({ storageClassName: 'newer' });
    expect(specOf(hostClaim(table, 'plain')).selector).toBeUndefined();
    expect(specOf(hostClaim(table, 'none'))).toMatchObject({
      storageClassName: '',
      selector: PRE_BOUND_ONLY,
    });
  });

  it("a default class made by some virtual cluster (a tenant's class copy) is not the host's default", async () => {
    const copy: KubeObject = {
      ...storageClass('tenant-gold-x-other-x-vc'),
      metadata: {
        name: 'tenant-gold-x-other-x-vc',
        labels: { [MANAGED_BY]: 'other' },
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
    };
    const table = await withClaims([claim('plain', { storageClassName: undefined })], { host: [[SC, copy]] });
    expect(specOf(hostClaim(table, 'plain'))).toMatchObject({ selector: PRE_BOUND_ONLY });
    expect(specOf(hostClaim(table, 'plain')).storageClassName).toBeUndefined();
  });

  it("metadata a host class's parameters read (a CSI secret by annotation, a path by label) is refused: at create, and once set later", async () => {
    const templated: KubeObject = {
      ...storageClass('smb'),
      parameters: {
        'csi.storage.k8s.io/node-publish-secret-name': "${pvc.annotations['team.example.com/creds']}",
        'csi.storage.k8s.io/node-publish-secret-namespace': '${pvc.namespace}',
        pathPattern: '${.PVC.namespace}/${.PVC.labels.tier}',
      },
    };
    const table = await withClaims(
      [
        claim('creds', { storageClassName: 'smb' }, 'team', {
          'team.example.com/creds': 'other-tenants-secret',
        }),
        {
          ...claim('tiered', { storageClassName: 'smb' }),
          metadata: { name: 'tiered', namespace: 'team', labels: { tier: '../b' } },
        },
        claim('plain', { storageClassName: 'smb' }),
      ],
      { host: [[SC, templated]] },
    );
    expect(hostClaim(table, 'creds')).toBeUndefined();
    expect(hostClaim(table, 'tiered')).toBeUndefined();
    expect(syncErrors(table).sort()).toEqual([
      `metadata.annotations["team.example.com/creds"]: StorageClass "smb" of the host reads it to choose what the host provisions with (a Secret, a directory), among every tenant's; leave it out`,
      expect.stringContaining('metadata.labels["tier"]: StorageClass "smb"'),
    ]);
    // Set after the copy was made: refused while the claim is unbound, and the copy does not get it.
    const plain = virtualClaim(table, 'plain')!;
    const annotated = { ...plain.metadata, annotations: { 'team.example.com/creds': 'x' } };
    await table.virtual.update(PVC, 'team', { ...plain, metadata: annotated });
    await table.settle();
    expect(hostClaim(table, 'plain')!.metadata?.annotations?.['team.example.com/creds']).toBeUndefined();
    expect(syncErrors(table)).toHaveLength(3);
    // Once bound, the provisioner has read what it reads: the claim syncs on, the key with it.
    await bindOnHost(table, 'plain');
    expect(statusOf(virtualClaim(table, 'plain')).phase).toBe('Bound');
    expect(hostClaim(table, 'plain')!.metadata?.annotations?.['team.example.com/creds']).toBe('x');
  });

  describe("a host class naming its CSI driver's Secrets after the claim (`${pvc.name}`, in the claim's namespace)", () => {
    const perClaim = (name: string, secretName: string): KubeObject => ({
      ...storageClass(name),
      parameters: {
        'csi.storage.k8s.io/provisioner-secret-name': secretName,
        'csi.storage.k8s.io/provisioner-secret-namespace': '${pvc.namespace}',
      },
    });
    const secret = (name: string, ns = 'team'): KubeObject => ({
      metadata: { name, namespace: ns, annotations: { 'vcluster.loft.sh/force-sync': 'true' } },
      data: { key: 'c2VjcmV0' },
    });
    const table = () =>
      start({
        kinds: ['persistentvolumeclaims', 'secrets'],
        host: [
          [SC, perClaim('per-claim', '${pvc.name}')],
          [SC, perClaim('suffixed', '${pvc.name}-luks')],
        ],
        virtual: [
          [Resources.namespaces, { metadata: { name: 'team' } }],
          [Resources.namespaces, { metadata: { name: 'b-x-team' } }],
        ],
      });

    it("the copy is made once the Secret of the claim's name is the copy of that namespace's own, and goes while unbound when it is not", async () => {
      const t = await table();
      await t.virtual.create(PVC, 'team', claim('data', { storageClassName: 'per-claim' }));
      await t.settle();
      // No Secret of that name: the provisioner would read whatever takes the host name.
      expect(hostClaim(t)).toBeUndefined();
      expect(syncErrors(t)).toEqual(
        expect.arrayContaining([expect.stringContaining('Secret "data" not found')]),
      );
      await t.virtual.create(Resources.secrets, 'team', secret('data'));
      await t.settle();
      expect(hostClaim(t)).toBeDefined();
      // Deleted while the copy is unbound: the copy goes before anything is provisioned with another's,
      // and the Secret's copy, held while the claim's is there, after it.
      await t.virtual.delete(Resources.secrets, 'team', 'data');
      await t.settle();
      expect(hostClaim(t)).toBeUndefined();
      t.clock.advance(60_000);
      await t.settle();
      expect(t.host.objects(Resources.secrets, HOST_NS)).toEqual([]);
      // Provisioned, a volume keeps the Secret names it got: the Secret going changes nothing.
      await t.virtual.create(Resources.secrets, 'team', secret('logs'));
      await t.virtual.create(PVC, 'team', claim('logs', { storageClassName: 'per-claim' }));
      await t.settle();
      await bindOnHost(t, 'logs');
      await t.virtual.delete(Resources.secrets, 'team', 'logs');
      await t.settle();
      expect(specOf(hostClaim(t, 'logs')).volumeName).toBe('pvc-1234');
      // But its copy stays while the claim's does: the driver reads it by that name at every mount
      // and resize, and the name, freed, could pass to another namespace's Secret.
      const secretCopies = () => t.host.objects(Resources.secrets, HOST_NS).map((s) => s.metadata?.name);
      t.clock.advance(60_000);
      await t.settle();
      expect(secretCopies()).toEqual([hostName('logs')]);
      await t.virtual.delete(PVC, 'team', 'logs');
      await t.settle();
      expect(hostClaim(t, 'logs')).toBeUndefined();
      t.clock.advance(60_000);
      await t.settle();
      expect(secretCopies()).toEqual([]);
    });

    it("another namespace's Secret holding the claim's host name is never read for it", async () => {
      const t = await table();
      // Secret `data-x-b` of `team` and claim `data` of `b-x-team` share the host name.
      await t.virtual.create(Resources.secrets, 'team', secret('data-x-b'));
      await t.settle();
      expect(t.host.objects(Resources.secrets, HOST_NS).map((s) => s.metadata?.name)).toEqual([
        hostName('data', 'b-x-team'),
      ]);
      await t.virtual.create(PVC, 'b-x-team', claim('data', { storageClassName: 'per-claim' }, 'b-x-team'));
      await t.settle();
      expect(hostClaim(t, 'data', 'b-x-team')).toBeUndefined();
      expect(syncErrors(t, 'b-x-team')).toEqual(
        expect.arrayContaining([expect.stringContaining('Secret "data" not found')]),
      );
    });

    it('a Secret named after the claim with more around it is refused, the parameter named', async () => {
      const t = await table();
      await t.virtual.create(PVC, 'team', claim('data', { storageClassName: 'suffixed' }));
      await t.settle();
      expect(hostClaim(t)).toBeUndefined();
      expect(syncErrors(t)).toEqual(
        expect.arrayContaining([expect.stringContaining('csi.storage.k8s.io/provisioner-secret-name')]),
      );
    });
  });

  it('a tenant naming a volume: refused with a SyncError, nothing on the host', async () => {
    const table = await withClaims([claim('data', { volumeName: 'someone-elses-pv' })]);
    expect(table.host.writeLog()).toEqual([]);
    expect(syncErrors(table)).toEqual([expect.stringContaining('spec.volumeName')]);
  });

  it("dataSource of the tenant's own claim: renamed to that claim's host copy", async () => {
    const table = await withClaims([claim('golden')]);
    await table.virtual.create(
      PVC,
      'team',
      claim('clone', {
        dataSource: { kind: 'PersistentVolumeClaim', name: 'golden' },
        dataSourceRef: { kind: 'PersistentVolumeClaim', name: 'golden' },
      }),
    );
    await table.settle();
    expect(specOf(hostClaim(table, 'clone')).dataSource).toEqual({
      kind: 'PersistentVolumeClaim',
      name: hostName('golden'),
    });
    expect(specOf(hostClaim(table, 'clone')).dataSourceRef).toEqual({
      kind: 'PersistentVolumeClaim',
      name: hostName('golden'),
    });
  });

  it.each<[string, ClaimSpec, string]>([
    [
      "another namespace's claim",
      { dataSourceRef: { kind: 'PersistentVolumeClaim', name: 'golden', namespace: 'other' } },
      'another namespace',
    ],
    [
      'a claim that does not exist',
      { dataSource: { kind: 'PersistentVolumeClaim', name: 'nothing' } },
      'not found',
    ],
    [
      'a VolumeSnapshot (not synced)',
      { dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'snap' } },
      'not synced',
    ],
    [
      'an object of another kind',
      { dataSourceRef: { apiGroup: 'example.com', kind: 'Populator', name: 'p' } },
      'not supported',
    ],
    ['itself', { dataSource: { kind: 'PersistentVolumeClaim', name: 'clone' } }, 'itself'],
  ])('dataSource naming %s: refused with a SyncError, nothing on the host', async (_name, spec, message) => {
    const table = await withClaims([claim('golden', {}, 'other')]);
    table.host.clearWrites();
    await table.virtual.create(PVC, 'team', claim('clone', spec));
    await table.settle();
    expect(table.host.writeLog()).toEqual([]);
    expect(syncErrors(table)).toEqual([expect.stringContaining(message)]);
  });

  it("dataSource whose host name is held by another object's copy: never renamed to it; named once the source has its own copy", async () => {
    // `golden` of namespace `team` maps to the same host name as this object, which claims to be
    // another's (a copy left under a name that is not its own: the syncer removes it).
    const impostor: KubeObject = {
      metadata: {
        name: hostName('golden'),
        namespace: HOST_NS,
        labels: { [MANAGED_BY]: VC },
        annotations: {
          'vcluster.loft.sh/object-name': 'golden-x-team',
          'vcluster.loft.sh/object-namespace': 'x',
          'vcluster.loft.sh/object-kind': '/v1, Kind=PersistentVolumeClaim',
        },
      },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    };
    const table = await start({
      kinds: ['persistentvolumeclaims'],
      host: [
        [SC, storageClass('fast')],
        [PVC, impostor],
      ],
      virtual: [[PVC, claim('golden', {}, 'team')]],
    });
    await table.virtual.create(
      PVC,
      'team',
      claim('clone', { dataSource: { kind: 'PersistentVolumeClaim', name: 'golden' } }),
    );
    await table.settle();
    // The clone waited while the name was held, and was made only after the source's own copy.
    const writes = table.host.writeLog().filter((w) => !w.includes(' events '));
    const at = (w: string) => writes.indexOf(w);
    expect(at(`delete persistentvolumeclaims ${HOST_NS}/${hostName('golden')}`)).toBeGreaterThanOrEqual(0);
    expect(at(`create persistentvolumeclaims ${HOST_NS}/${hostName('golden')}`)).toBeGreaterThan(
      at(`delete persistentvolumeclaims ${HOST_NS}/${hostName('golden')}`),
    );
    expect(at(`create persistentvolumeclaims ${HOST_NS}/${hostName('clone')}`)).toBeGreaterThan(
      at(`create persistentvolumeclaims ${HOST_NS}/${hostName('golden')}`),
    );
    expect(hostClaim(table, 'golden')?.metadata?.annotations?.['vcluster.loft.sh/object-namespace']).toBe(
      'team',
    );
  });

  it("an unbound clone whose source goes before it is provisioned loses its host copy (the source's host name could be another cluster's next); a bound one keeps it", async () => {
    const table = await withClaims([claim('golden'), claim('bound-golden')]);
    await table.virtual.create(
      PVC,
      'team',
      claim('clone', { dataSource: { kind: 'PersistentVolumeClaim', name: 'golden' } }),
    );
    await table.virtual.create(
      PVC,
      'team',
      claim('bound-clone', { dataSource: { kind: 'PersistentVolumeClaim', name: 'bound-golden' } }),
    );
    await table.settle();
    await bindOnHost(table, 'bound-clone');
    expect(hostClaim(table, 'clone')).toBeDefined();
    await table.virtual.delete(PVC, 'team', 'golden');
    await table.virtual.delete(PVC, 'team', 'bound-golden');
    await table.settle();
    expect(hostClaim(table, 'clone')).toBeUndefined();
    expect(syncErrors(table)).toEqual(
      expect.arrayContaining([expect.stringContaining('"golden" not found')]),
    );
    // Provisioned already: its data is its own, whatever becomes of the source.
    expect(specOf(hostClaim(table, 'bound-clone')).volumeName).toBeDefined();
  });

  it("an unbound clone losing its source takes the host pods waiting on it along (they would name the freed name); the tenant's pod stays and waits", async () => {
    const table = await start({
      kinds: ['persistentvolumeclaims', 'pods'],
      host: [[SC, storageClass('fast')], ...podInfrastructure.host],
      virtual: podInfrastructure.virtual,
    });
    await table.virtual.create(PVC, 'team', claim('golden'));
    await table.virtual.create(
      PVC,
      'team',
      claim('clone', { dataSource: { kind: 'PersistentVolumeClaim', name: 'golden' } }),
    );
    await table.virtual.create(Resources.pods, 'team', {
      metadata: { name: 'app', namespace: 'team', uid: 'uid-app' },
      spec: {
        containers: [{ name: 'main', image: 'app:1' }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'clone' } }],
      },
      status: { phase: 'Pending' },
    });
    await table.settle();
    const hostPodsNow = () => table.host.objects(Resources.pods, HOST_NS).map((p) => p.metadata?.name);
    // Unschedulable for now (WaitForFirstConsumer: the clone is provisioned once it is scheduled).
    expect(hostPodsNow()).toEqual([hostName('app')]);
    await table.virtual.delete(PVC, 'team', 'golden');
    await table.settle();
    expect(hostClaim(table, 'clone')).toBeUndefined();
    expect(hostPodsNow()).toEqual([]);
    // The tenant's pod is not lost: it waits for its claim, which is refused for the missing source.
    expect(table.virtual.objects(Resources.pods, 'team').map((p) => p.metadata?.name)).toEqual(['app']);
    expect(syncErrors(table)).toEqual(
      expect.arrayContaining([expect.stringContaining('"golden" not found')]),
    );
    // Once a source is there again, the clone and then its pod are made again.
    await table.virtual.create(PVC, 'team', claim('golden'));
    table.clock.advance(60_000);
    await table.delivered();
    await table.settle();
    expect(hostClaim(table, 'clone')).toBeDefined();
    expect(hostPodsNow()).toEqual([hostName('app')]);
  });

  it("a pod whose claim has no host copy (a class the host lacks) is told, as the host's scheduler would tell it, once that lasts: not for a claim a moment away", async () => {
    const table = await start({
      kinds: ['persistentvolumeclaims', 'pods'],
      host: [[SC, storageClass('fast')], ...podInfrastructure.host],
      virtual: podInfrastructure.virtual,
    });
    await table.virtual.create(PVC, 'team', claim('data', { storageClassName: 'gold' }));
    await table.virtual.create(Resources.pods, 'team', {
      metadata: { name: 'app', namespace: 'team', uid: 'uid-app' },
      spec: {
        containers: [{ name: 'main', image: 'app:1' }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
      },
      status: { phase: 'Pending' },
    });
    await table.settle();
    const told = () =>
      table.virtual
        .objects(Resources.events, 'team')
        .filter((e) => (e.involvedObject as { kind?: string }).kind === 'Pod')
        .map((e) => `${e.reason}: ${e.message}`);
    expect(told()).toEqual([]);
    for (let s = 0; s < 12; s++) {
      table.clock.advance(1000);
      await table.settle();
    }
    expect(table.host.objects(Resources.pods, HOST_NS)).toEqual([]);
    expect(told()).toEqual([
      `FailedScheduling: persistentvolumeclaim "data" is not on the host yet (the claim's events say why)`,
    ]);
  });

  it('a clone refused for a missing source is synced once the source claim is made and copied', async () => {
    const table = await withClaims([
      claim('clone', { dataSource: { kind: 'PersistentVolumeClaim', name: 'golden' } }),
    ]);
    expect(hostClaim(table, 'clone')).toBeUndefined();
    expect(syncErrors(table)).toEqual([expect.stringContaining('"golden" not found')]);
    await table.virtual.create(PVC, 'team', claim('golden'));
    await table.settle();
    expect(specOf(hostClaim(table, 'clone')).dataSource).toEqual({
      kind: 'PersistentVolumeClaim',
      name: hostName('golden'),
    });
  });

  it('virtual claim deleted: its host claim and its fake volume go', async () => {
    const table = await withClaims([claim('data')]);
    await bindOnHost(table);
    await table.virtual.delete(PVC, 'team', 'data');
    await table.settle();
    expect(hostClaim(table)).toBeUndefined();
    expect(table.virtual.objects(PV)).toEqual([]);
  });

  it('a claim held by its finalizer while pods use it: the host claim goes now, the fake volume with the claim', async () => {
    const going = claim('data', { volumeName: 'pvc-1' });
    going.metadata = {
      ...going.metadata,
      uid: 'v1',
      deletionTimestamp: '2026-11-30T11:00:00Z',
      finalizers: ['kubernetes.io/pvc-protection'],
    };
    const copy: KubeObject = {
      metadata: {
        name: hostName('data'),
        namespace: HOST_NS,
        labels: { [MANAGED_BY]: VC },
        annotations: {
          'vcluster.loft.sh/object-name': 'data',
          'vcluster.loft.sh/object-namespace': 'team',
          'vcluster.loft.sh/object-uid': 'v1',
          'vcluster.loft.sh/object-kind': '/v1, Kind=PersistentVolumeClaim',
        },
      },
      spec: { ...specOf(going), volumeName: 'pvc-1' },
      status: { phase: 'Bound' },
    };
    const fake: KubeObject = {
      metadata: {
        name: 'pvc-1',
        labels: { 'vcluster.loft.sh/fake-pv': 'true', 'vsyncer.dev/managed': 'true' },
      },
      spec: { claimRef: { namespace: 'team', name: 'data', uid: 'v1' } },
    };
    const table = await start({
      kinds: ['persistentvolumeclaims'],
      host: [
        [SC, storageClass('fast')],
        [PVC, copy],
      ],
      virtual: [
        [PVC, going],
        [PV, fake],
      ],
    });
    await table.settle();
    expect(hostClaim(table)).toBeUndefined();
    expect(virtualVolume(table, 'pvc-1')).toBeDefined();
    table.virtual.finishDeletion(PVC, 'team', 'data');
    await table.settle();
    expect(table.virtual.objects(PV)).toEqual([]);
  });

  it('host claim of a bound claim deleted: the virtual claim (its data is gone) and its fake volume go', async () => {
    const table = await withClaims([claim('data')]);
    await bindOnHost(table);
    await table.host.delete(PVC, HOST_NS, hostName('data'));
    await table.settle();
    expect(virtualClaim(table)).toBeUndefined();
    expect(table.virtual.objects(PV)).toEqual([]);
    expect(hostClaim(table)).toBeUndefined();
  });

  it("host claim of a bound claim no longer labelled managed-by (a host admin or policy took it off): it left the syncer's cache, but the virtual claim and its volume are kept, the tenant told why; once it is really gone, they go", async () => {
    const table = await withClaims([claim('data')]);
    await bindOnHost(table);
    const h = hostClaim(table)!;
    const { [MANAGED_BY]: _taken, ...labels } = h.metadata?.labels ?? {};
    await table.host.update(PVC, HOST_NS, { ...h, metadata: { ...h.metadata, labels } });
    table.host.clearWrites();
    await table.settle();
    expect(virtualClaim(table)).toBeDefined();
    expect(virtualVolume(table, 'pvc-1234')).toBeDefined();
    expect(hostClaim(table)).toBeDefined();
    expect(table.host.writeLog()).toEqual([]);
    expect(syncErrors(table)).toEqual([
      expect.stringContaining('no longer carries the vcluster.loft.sh/managed-by label'),
    ]);
    // The cache does not show it going: it is looked at again a while later.
    await table.host.delete(PVC, HOST_NS, hostName('data'));
    await table.settle();
    expect(virtualClaim(table)).toBeDefined();
    table.clock.advance(5 * 60_000);
    await table.settle();
    expect(virtualClaim(table)).toBeUndefined();
    expect(table.virtual.objects(PV)).toEqual([]);
  });

  it('host claim of a bound claim deleted and its name taken by another claim (not labelled ours, bound to no volume of it): the virtual claim and its volume go', async () => {
    const table = await withClaims([claim('data')]);
    await bindOnHost(table);
    await table.host.delete(PVC, HOST_NS, hostName('data'));
    await table.host.create(PVC, HOST_NS, {
      metadata: { name: hostName('data'), namespace: HOST_NS },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    await table.settle();
    expect(virtualClaim(table)).toBeUndefined();
    expect(table.virtual.objects(PV)).toEqual([]);
  });

  /** The host copy an earlier incarnation of the tenant's claim `data` got, bound to its volume. */
  const earlierBoundCopy = (): [typeof PVC, KubeObject] => [
    PVC,
    {
      metadata: {
        name: hostName('data'),
        namespace: HOST_NS,
        uid: 'host-claim-uid',
        labels: { [MANAGED_BY]: VC, 'vcluster.loft.sh/namespace': 'team' },
        annotations: {
          'vcluster.loft.sh/object-name': 'data',
          'vcluster.loft.sh/object-namespace': 'team',
          'vcluster.loft.sh/object-uid': 'earlier-uid',
          'vcluster.loft.sh/object-kind': '/v1, Kind=PersistentVolumeClaim',
        },
      },
      spec: { ...specOf(claim('data')), volumeMode: 'Filesystem', volumeName: 'pvc-1234' },
      status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } },
    },
  ];

  it('a claim made again under its name (a restore of the virtual cluster): the host claim and its data are kept, as in vCluster', async () => {
    const table = await withClaims([claim('data')], { host: [earlierBoundCopy()] });
    expect(hostClaim(table)?.metadata?.uid).toBe('host-claim-uid');
    expect(hostClaim(table)!.metadata?.annotations?.['vcluster.loft.sh/object-uid']).toBe(
      virtualClaim(table)!.metadata?.uid,
    );
    expect(specOf(virtualClaim(table)).volumeName).toBe('pvc-1234');
    expect(statusOf(virtualClaim(table)).phase).toBe('Bound');
    expect(virtualVolume(table, 'pvc-1234')).toBeDefined();
  });

  it.each([
    // Restore in place: the tenant deleted the claim and made it again filled from another source.
    ['a data source', { dataSource: { kind: 'PersistentVolumeClaim', name: 'golden' } }, 'spec.dataSource'],
    ['another class', { storageClassName: 'slow' }, 'spec.storageClassName'],
    ['other access modes', { accessModes: ['ReadWriteMany'] }, 'spec.accessModes'],
    ['another volume mode', { volumeMode: 'Block' }, 'spec.volumeMode'],
  ])(
    "a claim made again under its name with %s (its delete unseen): the earlier claim's host copy is neither taken nor deleted, the tenant told",
    async (_name, changed, field) => {
      const table = await withClaims([claim('golden'), claim('data', changed as ClaimSpec)], {
        host: [earlierBoundCopy(), [SC, storageClass('slow')]],
      });
      expect(hostClaim(table)?.metadata?.uid).toBe('host-claim-uid');
      expect(hostClaim(table)?.metadata?.annotations?.['vcluster.loft.sh/object-uid']).toBe('earlier-uid');
      expect(specOf(virtualClaim(table)).volumeName).toBeUndefined();
      expect(statusOf(virtualClaim(table)).phase).not.toBe('Bound');
      expect(table.host.writeLog().filter((w) => w.includes(hostName('data')))).toEqual([]);
      expect(syncErrors(table).join('\n')).toContain(field);
      // The tenant lets it go by deleting the claim, as the error says.
      await table.virtual.delete(PVC, 'team', 'data');
      await table.settle();
      expect(hostClaim(table)).toBeUndefined();
    },
  );

  it("a claim naming no class made again after the host's default changed takes the earlier copy (made with the default of its time)", async () => {
    const defaultClass = (name: string): [typeof SC, KubeObject] => [
      SC,
      {
        ...storageClass(name),
        metadata: { name, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      },
    ];
    const classless = claim('data');
    delete (classless.spec as { storageClassName?: string }).storageClassName;
    // The earlier copy names `fast`, the default then; the host's default is `gp3` now.
    const table = await withClaims([classless], { host: [earlierBoundCopy(), defaultClass('gp3')] });
    expect(hostClaim(table)?.metadata?.annotations?.['vcluster.loft.sh/object-uid']).toBe(
      virtualClaim(table)!.metadata?.uid,
    );
    expect(statusOf(virtualClaim(table)).phase).toBe('Bound');
    expect(syncErrors(table)).toEqual([]);
  });

  it("a pod's ephemeral claim made again (a new pod of the same name) gets a new host claim: the earlier pod's goes, its data with it; a claim merely owned by a pod is not one", async () => {
    const NAME = 'web-0-scratch';
    const earlier = earlierBoundCopy()[1];
    const earlierOf = (name: string): [typeof PVC, KubeObject] => [
      PVC,
      {
        ...earlier,
        metadata: {
          ...earlier.metadata,
          name: hostName(name),
          uid: `host-${name}-uid`,
          annotations: { ...earlier.metadata!.annotations, 'vcluster.loft.sh/object-name': name },
        },
        spec: { ...specOf(earlier), volumeName: `pvc-${name}` },
      },
    ];
    const ownedBy = (name: string, pod: string, apiVersion = 'v1') => {
      const c = claim(name);
      c.metadata!.ownerReferences = [
        { apiVersion, kind: 'Pod', name: pod, uid: `${pod}-uid`, controller: true },
      ];
      return c;
    };
    const table = await withClaims(
      [
        ownedBy(NAME, 'web-0'),
        // Owned by a pod but not named after it, or by another API's Pod: not an ephemeral volume's.
        ownedBy('data', 'web-0'),
        ownedBy('cache-x', 'cache', 'example.com/v1'),
      ],
      { host: [earlierOf(NAME), earlierOf('data'), earlierOf('cache-x')] },
    );
    const copy = hostClaim(table, NAME);
    expect(copy?.metadata?.uid).not.toBe(`host-${NAME}-uid`);
    expect(copy?.metadata?.annotations?.['vcluster.loft.sh/object-uid']).toBe(
      virtualClaim(table, NAME)!.metadata?.uid,
    );
    expect(specOf(copy!).volumeName).toBeUndefined();
    expect(table.host.writeLog().filter((w) => w.includes(hostName(NAME)))).toEqual([
      `delete persistentvolumeclaims ${HOST_NS}/${hostName(NAME)}`,
      `create persistentvolumeclaims ${HOST_NS}/${hostName(NAME)}`,
    ]);
    // The others take the earlier copy (their fields agree), as any claim made again does.
    expect(hostClaim(table, 'data')?.metadata?.uid).toBe('host-data-uid');
    expect(hostClaim(table, 'cache-x')?.metadata?.uid).toBe('host-cache-x-uid');
  });

  it('a claim Velero restored under its name takes the earlier host copy, whatever its fields say', async () => {
    const restored = claim('data', { storageClassName: 'slow' });
    restored.metadata!.labels = {
      ...restored.metadata!.labels,
      'velero.io/restore-name': 'after-the-outage',
    };
    const table = await withClaims([restored], { host: [earlierBoundCopy(), [SC, storageClass('slow')]] });
    expect(hostClaim(table)?.metadata?.uid).toBe('host-claim-uid');
    expect(hostClaim(table)?.metadata?.annotations?.['vcluster.loft.sh/object-uid']).toBe(
      virtualClaim(table)!.metadata?.uid,
    );
    expect(statusOf(virtualClaim(table)).phase).toBe('Bound');
    expect(syncErrors(table)).toEqual([]);
  });

  it('host claim of a pending claim deleted: made again', async () => {
    const table = await withClaims([claim('data')]);
    const before = hostClaim(table)!.metadata?.uid;
    await table.host.delete(PVC, HOST_NS, hostName('data'));
    await table.settle();
    expect(hostClaim(table)).toBeDefined();
    expect(hostClaim(table)!.metadata?.uid).not.toBe(before);
  });

  it("a tenant's own volume under the host volume's name: untouched, SyncError, the claim is not bound to it", async () => {
    const theirs: KubeObject = {
      metadata: { name: 'pvc-1234' },
      spec: { capacity: { storage: '1Mi' }, accessModes: ['ReadOnlyMany'], hostPath: { path: '/x' } },
    };
    const table = await withClaims([claim('data')], { virtual: [[PV, theirs]] });
    await bindOnHost(table);
    expect(virtualVolume(table, 'pvc-1234')!.spec).toEqual(theirs.spec);
    expect(specOf(virtualClaim(table)).volumeName).toBeUndefined();
    expect(syncErrors(table)).toEqual([expect.stringContaining('"pvc-1234" exists in the virtual cluster')]);
  });

  it("a tenant's edit of a fake volume is reverted", async () => {
    const table = await withClaims([claim('data')]);
    await bindOnHost(table);
    const pv = virtualVolume(table, 'pvc-1234')!;
    await table.virtual.update(PV, '', {
      ...pv,
      spec: { ...(pv.spec as object), capacity: { storage: '1Ti' } },
    });
    await table.settle();
    expect((virtualVolume(table, 'pvc-1234')!.spec as { capacity: unknown }).capacity).toEqual({
      storage: '1Gi',
    });
  });

  it("a fake volume left without claim is deleted; a tenant's volume naming a missing claim is not", async () => {
    const ref = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      namespace: 'team',
      name: 'gone',
      uid: 'u1',
    };
    const spec = {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      flexVolume: { driver: 'x' },
      claimRef: ref,
    };
    const orphan: KubeObject = {
      metadata: {
        name: 'pvc-orphan',
        labels: { 'vcluster.loft.sh/fake-pv': 'true', 'vsyncer.dev/managed': 'true' },
      },
      spec,
    };
    const tenants: KubeObject = { metadata: { name: 'tenant-pv' }, spec };
    const table = await withClaims([], {
      virtual: [
        [PV, orphan],
        [PV, tenants],
      ],
    });
    expect(table.virtual.objects(PV).map((v) => v.metadata?.name)).toEqual(['tenant-pv']);
    expect(table.host.writeLog()).toEqual([]);
  });

  it('an unmanaged host claim in the way: untouched, SyncError, and the tenant keeps its claim', async () => {
    const theirs: KubeObject = {
      metadata: { name: hostName('data'), namespace: HOST_NS },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '9Gi' } } },
    };
    const table = await withClaims([claim('data')], { host: [[PVC, theirs]] });
    expect(table.host.writeLog()).toEqual([]);
    expect(specOf(hostClaim(table)).resources).toEqual({ requests: { storage: '9Gi' } });
    expect(virtualClaim(table)).toBeDefined();
    expect(syncErrors(table)).toHaveLength(1);
  });

  it("a pod's ephemeral-volume claim is synced like any other (the host pod mounts its copy)", async () => {
    const ephemeral = claim('web-0-scratch');
    ephemeral.metadata!.ownerReferences = [
      { apiVersion: 'v1', kind: 'Pod', name: 'web-0', uid: 'p1', controller: true, blockOwnerDeletion: true },
    ];
    const table = await withClaims([ephemeral]);
    const copy = hostClaim(table, 'web-0-scratch');
    expect(copy).toBeDefined();
    // The virtual pod that owns it is no host object: the copy names no owner.
    expect(copy?.metadata?.ownerReferences).toBeUndefined();
    expect(syncErrors(table)).toEqual([]);
  });

  it('a malformed claim is refused with the field named', async () => {
    const table = await withClaims([claim('data', { accessModes: 'ReadWriteOnce' as never })]);
    expect(table.host.writeLog()).toEqual([]);
    expect(syncErrors(table)).toEqual([
      expect.stringContaining('spec.accessModes must be a list of strings'),
    ]);
  });
});

describe('persistentvolumeclaims: a replica whose claims cache is behind (a leader handover)', () => {
  it("a bound claim's host copy and shown volume stay while this replica's cache has not shown the claim", async () => {
    // Replica A leads: the claim is copied, bound on the host, its volume shown in the virtual cluster.
    const a = await withClaims([claim('data')]);
    await bindOnHost(a);
    const shown = a.virtual.objects(PV);
    expect(shown).toHaveLength(1);
    const virtual = virtualClaim(a)!;
    const copy = hostClaim(a)!;
    // Replica B listed the claims before the tenant made it, and its claims watch lags; its volumes'
    // is current. A's lease ends; B leads.
    const b = await start({
      kinds: ['persistentvolumeclaims'],
      host: [
        [SC, storageClass('fast')],
        [PVC, copy],
      ],
      virtual: shown.map((pv) => [PV, pv] as [typeof PV, KubeObject]),
    });
    b.virtual.holdWatchEvents('persistentvolumeclaims');
    const { resourceVersion: _rv, ...meta } = virtual.metadata!;
    void _rv;
    await b.virtual.create(PVC, 'team', { ...virtual, metadata: meta });
    b.host.clearWrites();
    b.virtual.clearWrites();
    await b.settle();
    expect(b.writes().filter((w) => w.includes(' delete '))).toEqual([]);
    b.virtual.releaseWatchEvents();
    await b.settle();
    expect(b.writes().filter((w) => w.includes(' delete '))).toEqual([]);
    expect(hostClaim(b)?.metadata?.uid).toBe(copy.metadata?.uid);
  });

  it("the virtual controller manager's Unused condition stays the virtual claim's: the host's is not written over it, the host's other conditions are", async () => {
    const table = await withClaims([claim('data')]);
    await bindOnHost(table);
    const unused = (since: string) => ({ type: 'Unused', status: 'True', lastTransitionTime: since });
    // The virtual controller manager marks the claim unused (no virtual pod names it).
    const v = virtualClaim(table)!;
    await table.virtual.update(
      PVC,
      'team',
      { ...v, status: { ...statusOf(v), conditions: [unused('2026-11-30T12:00:00Z')] } },
      { subresource: 'status' },
    );
    // The host's does the same at its own time, and resizes.
    const resizing = { type: 'Resizing', status: 'True' };
    const h = hostClaim(table)!;
    await table.host.update(
      PVC,
      HOST_NS,
      { ...h, status: { ...statusOf(h), conditions: [unused('2026-11-30T12:00:05Z'), resizing] } },
      { subresource: 'status' },
    );
    table.virtual.clearWrites();
    await table.settle();
    expect(statusOf(virtualClaim(table)).conditions).toEqual([resizing, unused('2026-11-30T12:00:00Z')]);
    // Once: nothing more is written when the claim is looked at again.
    expect(table.virtual.writeLog()).toEqual(['update persistentvolumeclaims/status team/data']);
  });
});
