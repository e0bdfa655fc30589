import { Resources } from '../../kube/resources.ts';
import type { KubeObject } from '../../kube/object.ts';
import { stateTables, type Seed, type StateTable } from '../../testing/state-table.ts';

/** A claim's spec, as far as these tests read it. */
const specOf = (claim: KubeObject) => (claim.spec ?? {}) as { storageClassName?: string };

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const SC = Resources.storageClasses;
const hostClass = (name: string, provisioner = 'csi.example.com'): Seed => [
  SC,
  {
    metadata: { name, labels: { tier: 'fast' } },
    provisioner,
    parameters: { type: 'ssd' },
    reclaimPolicy: 'Delete',
  },
];
const copies = (t: StateTable) => t.virtual.objects(SC);
const run = (host: Seed[], virtual: Seed[] = []) => start({ kinds: ['host-storageclasses'], host, virtual });

describe('host-storageclasses state table (a from-host cluster-scoped kind)', () => {
  it('a host StorageClass appears in the virtual cluster with its fields and labels', async () => {
    const table = await run([hostClass('fast')]);
    await table.settle();
    expect(table.writes()).toEqual(['virtual: create storageclasses fast']);
    expect(copies(table)[0]).toMatchObject({
      provisioner: 'csi.example.com',
      parameters: { type: 'ssd' },
      metadata: { labels: { tier: 'fast', 'vsyncer.dev/managed': 'true' } },
    });
  });

  it("a tenant's edit of the copy is reverted", async () => {
    const table = await run([hostClass('fast')]);
    await table.settle();
    const copy = copies(table)[0]!;
    await table.virtual.update(SC, '', {
      ...copy,
      parameters: { type: 'hdd' },
      metadata: { ...copy.metadata, labels: { ...copy.metadata!.labels, tier: 'slow' } },
    });
    await table.settle();
    expect(copies(table)[0]).toMatchObject({
      parameters: { type: 'ssd' },
      metadata: { labels: { tier: 'fast' } },
    });
  });

  it('a host delete removes the copy', async () => {
    const table = await run([hostClass('fast')]);
    await table.settle();
    expect(copies(table)).toHaveLength(1);
    await table.host.delete(SC, '', 'fast');
    await table.settle();
    expect(copies(table)).toEqual([]);
  });

  it("as in vCluster, a tenant's own StorageClass of a host class's name becomes the host's copy (an immutable field differing: made again)", async () => {
    const tenant: Seed = [
      SC,
      {
        metadata: { name: 'fast', uid: 'tenant-fast', labels: { team: 'a' } },
        provisioner: 'csi.example.com',
      },
    ];
    const table = await run([hostClass('fast')], [tenant]);
    await table.settle();
    expect(table.writes()).toEqual(['virtual: update storageclasses fast']);
    expect(copies(table)).toEqual([
      expect.objectContaining({
        provisioner: 'csi.example.com',
        parameters: { type: 'ssd' },
        metadata: expect.objectContaining({
          uid: 'tenant-fast',
          labels: expect.objectContaining({ tier: 'fast', 'vsyncer.dev/managed': 'true' }),
        }),
      }),
    ]);

    const other: Seed = [SC, { metadata: { name: 'fast' }, provisioner: 'tenant.example.com' }];
    const replaced = await run([hostClass('fast')], [other]);
    // The real API refuses a provisioner change on update; the fake is told to do the same.
    replaced.virtual.failNext('update', 'storageclasses', 'invalid');
    await replaced.settle();
    expect(copies(replaced).map((c) => c.provisioner)).toEqual(['csi.example.com']);
  });

  it("as in vCluster, a tenant's own StorageClass with no host class of its name (or one the admin's selector withholds) is deleted, and the tenant told", async () => {
    const table = await start({
      kinds: ['host-storageclasses'],
      flags: { hostStorageclassesSelector: 'tier=fast' },
      host: [
        hostClass('fast'),
        [SC, { metadata: { name: 'slow', labels: { tier: 'slow' } }, provisioner: 'x' }],
      ],
      virtual: [
        [SC, { metadata: { name: 'mine' }, provisioner: 'tenant.example.com' }],
        [SC, { metadata: { name: 'slow' }, provisioner: 'x' }],
      ],
    });
    await table.settle();
    expect(copies(table).map((c) => c.metadata?.name)).toEqual(['fast']);
    expect(
      table.virtual
        .objects(Resources.events, 'default')
        .map((e) => [e.reason, (e.involvedObject as { name: string }).name])
        .sort(),
    ).toEqual([
      ['SyncWarning', 'mine'],
      ['SyncWarning', 'slow'],
    ]);
  });

  it("a StorageClass another tool controls (vCluster's controlled-by) is left alone", async () => {
    const table = await run(
      [],
      [
        [
          SC,
          {
            metadata: { name: 'theirs', labels: { 'vcluster.loft.sh/controlled-by': 'other-tool' } },
            provisioner: 'tenant.example.com',
          },
        ],
      ],
    );
    await table.settle();
    expect(table.writes()).toEqual([]);
  });

  it("another virtual cluster's copy of its tenant's class (managed-by on the host) is never shown", async () => {
    const otherTenants: Seed = [
      SC,
      {
        metadata: {
          name: 'vcluster-nfs-x-team-x-other',
          labels: { 'vcluster.loft.sh/managed-by': 'other', team: 'red' },
          annotations: { 'vcluster.loft.sh/object-name': 'nfs' },
        },
        provisioner: 'nfs.example.com',
        parameters: { server: 'nfs.internal', path: '/exports/red' },
      },
    ];
    const table = await run([hostClass('fast'), otherTenants]);
    await table.settle();
    expect(copies(table).map((c) => c.metadata?.name)).toEqual(['fast']);
  });

  it('an immutable field changed on the host: the copy is replaced', async () => {
    const table = await run([hostClass('fast')]);
    await table.settle();
    const h = table.host.objects(SC)[0]!;
    // The real API refuses a provisioner change on update; the fake is told to do the same.
    table.virtual.failNext('update', 'storageclasses', 'invalid');
    await table.host.update(SC, '', { ...h, provisioner: 'csi.other.com' });
    await table.settle();
    expect(copies(table)[0]?.provisioner).toBe('csi.other.com');
    expect(table.writes().filter((w) => w.startsWith('virtual:'))).toEqual([
      'virtual: create storageclasses fast',
      'virtual: delete storageclasses fast',
      'virtual: create storageclasses fast',
    ]);
  });

  describe('--host-storageclasses-selector (vCluster sync.fromHost.storageClasses.selector)', () => {
    const labelled = (name: string, labels: Record<string, string>): Seed => [
      SC,
      { metadata: { name, labels }, provisioner: 'csi.example.com' },
    ];
    const selected = (host: Seed[], extraKinds: string[] = [], virtual: Seed[] = []) =>
      start({
        kinds: ['host-storageclasses', ...extraKinds],
        host,
        virtual,
        flags: { hostStorageclassesSelector: 'value=one' },
      });
    const names = (t: StateTable) => copies(t).map((c) => c.metadata?.name);

    it('only the classes it selects appear; one relabelled on the host comes and goes', async () => {
      const table = await selected([labelled('one', { value: 'one' }), labelled('two', { value: 'two' })]);
      await table.settle();
      expect(names(table)).toEqual(['one']);
      const two = table.host.objects(SC).find((c) => c.metadata?.name === 'two')!;
      await table.host.update(SC, '', { ...two, metadata: { ...two.metadata, labels: { value: 'one' } } });
      await table.settle();
      expect(names(table)).toEqual(['one', 'two']);
      const one = table.host.objects(SC).find((c) => c.metadata?.name === 'one')!;
      await table.host.update(SC, '', { ...one, metadata: { ...one.metadata, labels: {} } });
      await table.settle();
      expect(names(table)).toEqual(['two']);
    });

    it('a claim naming a host class it does not select is refused, and synced once the class is relabelled', async () => {
      const table = await selected(
        [labelled('one', { value: 'one' }), labelled('two', { value: 'two' })],
        ['persistentvolumeclaims'],
      );
      await table.settle();
      const claim = (name: string, storageClassName: string) => ({
        metadata: { name, namespace: 'team' },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: '1Gi' } },
          storageClassName,
        },
      });
      await table.virtual.create(Resources.persistentVolumeClaims, 'team', claim('ok', 'one'));
      await table.virtual.create(Resources.persistentVolumeClaims, 'team', claim('no', 'two'));
      await table.settle();
      const hostClaims = () =>
        table.host
          .objects(Resources.persistentVolumeClaims)
          .map((c) => c.metadata?.annotations?.['vcluster.loft.sh/object-name']);
      expect(hostClaims()).toEqual(['ok']);
      expect(
        table.virtual
          .objects(Resources.events, 'team')
          .filter((e) => e.reason === 'SyncWarning')
          .map((e) => String(e.message)),
      ).toEqual([
        `did not sync persistent volume claim "no" to host because the storage class "two" in the host does not match the selector under 'sync.fromHost.storageClasses.selector'`,
      ]);
      const two = table.host.objects(SC).find((c) => c.metadata?.name === 'two')!;
      await table.host.update(SC, '', { ...two, metadata: { ...two.metadata, labels: { value: 'one' } } });
      await table.settle();
      expect(hostClaims().sort()).toEqual(['no', 'ok']);
    });

    /** A table selecting classes labelled value=one, with a claim `unnamed` that names no class. */
    async function withUnnamedClaim(classes: Seed[]) {
      const table = await selected(classes, ['persistentvolumeclaims']);
      await table.settle();
      await table.virtual.create(Resources.persistentVolumeClaims, 'team', {
        metadata: { name: 'unnamed', namespace: 'team' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      });
      await table.settle();
      return table;
    }

    it("a claim naming no class gets the host's default class by name, selected or not (as in vCluster: the selector limits the classes a tenant names)", async () => {
      const defaultClass: Seed = [
        SC,
        {
          metadata: { name: 'plain', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
          provisioner: 'csi.example.com',
        },
      ];
      const table = await withUnnamedClaim([labelled('one', { value: 'one' }), defaultClass]);
      expect(
        table.host
          .objects(Resources.persistentVolumeClaims)
          .map((c) => [
            c.metadata?.annotations?.['vcluster.loft.sh/object-name'],
            specOf(c).storageClassName,
          ]),
      ).toEqual([['unnamed', 'plain']]);
      expect(table.virtual.objects(Resources.events, 'team')).toEqual([]);
    });

    it('a class-less copy made while the host had no default is made again naming the default that comes, selected or not', async () => {
      const table = await withUnnamedClaim([labelled('one', { value: 'one' })]);
      const copy = () => table.host.objects(Resources.persistentVolumeClaims)[0]!;
      const first = copy();
      expect(specOf(first).storageClassName).toBeUndefined();
      await table.host.create(SC, '', {
        metadata: { name: 'plain', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
        provisioner: 'csi.example.com',
      });
      await table.settle();
      expect(copy().metadata?.uid).not.toBe(first.metadata?.uid);
      expect(specOf(copy()).storageClassName).toBe('plain');
    });

    it("with several defaults the claim names the one the host's admission gives (the newest)", async () => {
      const marked = (name: string, created: string, labels: Record<string, string>): Seed => [
        SC,
        {
          metadata: {
            name,
            labels,
            creationTimestamp: created,
            annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
          },
          provisioner: 'csi.example.com',
        },
      ];
      const table = await withUnnamedClaim([
        marked('new', '2026-06-01T00:00:00Z', {}),
        marked('old', '2026-01-01T00:00:00Z', { value: 'one' }),
      ]);
      expect(
        table.host.objects(Resources.persistentVolumeClaims).map((c) => specOf(c).storageClassName),
      ).toEqual(['new']);
    });
  });
});
