import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../../testing/state-table.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const CAP = Resources.csiStorageCapacities;
const SC = Resources.storageClasses;
const MANAGED_BY = 'vcluster.loft.sh/managed-by';
const hostCapacity = (
  name: string,
  namespace = 'csi-system',
  capacity = '10Gi',
  className = 'fast',
): Seed => [
  CAP,
  {
    metadata: { name, namespace, labels: { driver: 'csi.example.com' } },
    storageClassName: className,
    nodeTopology: { matchLabels: { 'topology.kubernetes.io/zone': 'a' } },
    capacity,
    maximumVolumeSize: '5Gi',
  },
];
const hostClass = (name: string, labels: Record<string, string> = {}): Seed => [
  SC,
  { metadata: { name, labels }, provisioner: 'csi.example.com' },
];
const copies = (t: StateTable) => t.virtual.objects(CAP);
/** A table whose host has the class 'fast' its capacities name, unless the test says which classes. */
const run = (host: Seed[], virtual: Seed[] = [], classes: Seed[] = [hostClass('fast')]) =>
  start({ kinds: ['host-csistoragecapacities'], host: [...classes, ...host], virtual });

describe('host-csistoragecapacities state table (a from-host namespaced kind)', () => {
  it('a host capacity of any host namespace appears in the virtual kube-system as <name>-x-<namespace>', async () => {
    const table = await run([hostCapacity('csisc-1'), hostCapacity('csisc-2', 'other-driver')]);
    await table.settle();
    expect(table.writes().sort()).toEqual([
      'virtual: create csistoragecapacities kube-system/csisc-1-x-csi-system',
      'virtual: create csistoragecapacities kube-system/csisc-2-x-other-driver',
    ]);
    const copy = copies(table).find((c) => c.metadata?.name === 'csisc-1-x-csi-system')!;
    expect(copy).toMatchObject({
      storageClassName: 'fast',
      nodeTopology: { matchLabels: { 'topology.kubernetes.io/zone': 'a' } },
      capacity: '10Gi',
      maximumVolumeSize: '5Gi',
      metadata: {
        namespace: 'kube-system',
        labels: { driver: 'csi.example.com', 'vsyncer.dev/managed': 'true' },
        annotations: {
          'vcluster.loft.sh/object-host-name': 'csisc-1',
          'vcluster.loft.sh/object-host-namespace': 'csi-system',
          // vCluster's documented form.
          'vcluster.loft.sh/object-name': 'csisc-1',
          'vcluster.loft.sh/object-namespace': 'csi-system',
        },
      },
    });
  });

  it('a host change flows in; a tenant edit of the copy is reverted', async () => {
    const table = await run([hostCapacity('csisc-1')]);
    await table.settle();
    const h = table.host.objects(CAP)[0]!;
    await table.host.update(CAP, 'csi-system', { ...h, capacity: '20Gi' });
    await table.settle();
    expect(copies(table)[0]?.capacity).toBe('20Gi');
    await table.virtual.update(CAP, 'kube-system', { ...copies(table)[0]!, capacity: '1Pi' });
    await table.settle();
    expect(copies(table)[0]?.capacity).toBe('20Gi');
  });

  it('steady state: a second pass writes nothing', async () => {
    const table = await run([hostCapacity('csisc-1')]);
    await table.settle();
    table.virtual.clearWrites();
    table.controllers.get('host-csistoragecapacities')!.controller.enqueue('csi-system/csisc-1');
    await table.settle();
    expect(table.writes()).toEqual([]);
  });

  it('a host delete removes the copy', async () => {
    const table = await run([hostCapacity('csisc-1')]);
    await table.settle();
    expect(copies(table)).toHaveLength(1);
    await table.host.delete(CAP, 'csi-system', 'csisc-1');
    await table.settle();
    expect(copies(table)).toEqual([]);
  });

  it("a tenant's own capacity of that name is never touched", async () => {
    const tenant: Seed = [
      CAP,
      { metadata: { name: 'csisc-1-x-csi-system', namespace: 'kube-system' }, storageClassName: 'mine' },
    ];
    const table = await run([hostCapacity('csisc-1')], [tenant]);
    await table.settle();
    expect(table.writes()).toEqual([]);
    expect(copies(table)[0]?.storageClassName).toBe('mine');
  });

  it("another virtual cluster's copy of its tenant's class is never shown, nor a class the host lacks; a class made later shows its capacities", async () => {
    const other = `vcluster-fast-x-${HOST_NS}-x-other`;
    const otherCopy = hostClass(other, { [MANAGED_BY]: 'other', 'vcluster.loft.sh/object-name': 'fast' });
    const table = await run(
      [
        hostCapacity('theirs', 'csi-system', '10Gi', other),
        hostCapacity('later', 'csi-system', '1Gi', 'later'),
      ],
      [],
      [otherCopy],
    );
    await table.settle();
    expect(copies(table)).toEqual([]);
    await table.host.create(SC, '', { metadata: { name: 'later' }, provisioner: 'csi.example.com' });
    await table.settle();
    expect(copies(table).map((c) => c.metadata?.name)).toEqual(['later-x-csi-system']);
    // The host's class turned into a syncer's copy (labelled managed-by): its capacities go.
    const later = table.host.objects(SC).find((c) => c.metadata?.name === 'later')!;
    await table.host.update(SC, '', {
      ...later,
      metadata: { ...later.metadata, labels: { [MANAGED_BY]: 'other' } },
    });
    await table.settle();
    expect(copies(table)).toEqual([]);
  });

  it("this cluster's copy of its tenant's class shows its capacities under the tenant's class name", async () => {
    const ours = `vcluster-fast-x-${HOST_NS}-x-${VC}`;
    const table = await start({
      kinds: ['storageclasses', 'host-csistoragecapacities'],
      flags: { allowedStorageProvisioner: '*' },
      host: [hostCapacity('ours', 'csi-system', '3Gi', ours)],
      virtual: [[SC, { metadata: { name: 'fast' }, provisioner: 'csi.example.com' }]],
    });
    await table.settle();
    expect(table.host.objects(SC).map((c) => c.metadata?.name)).toEqual([ours]);
    expect(copies(table).map((c) => [c.metadata?.name, c.storageClassName])).toEqual([
      ['ours-x-csi-system', 'fast'],
    ]);
  });

  it("with an admin's selector of the host classes, only the capacities of the classes it offers", async () => {
    const table = await start({
      kinds: ['host-storageclasses', 'host-csistoragecapacities'],
      flags: { hostStorageclassesSelector: 'offered=yes' },
      host: [
        hostClass('fast', { offered: 'yes' }),
        hostClass('secret-gold'),
        hostCapacity('fast-cap', 'csi-system', '1Gi', 'fast'),
        hostCapacity('gold-cap', 'csi-system', '1Gi', 'secret-gold'),
      ],
    });
    await table.settle();
    expect(copies(table).map((c) => c.metadata?.name)).toEqual(['fast-cap-x-csi-system']);
  });

  it("a tenant's own class hides the host's capacities of its name (its claims go to the tenant's class), until it goes", async () => {
    const ours = `vcluster-fast-x-${HOST_NS}-x-${VC}`;
    const table = await start({
      kinds: ['storageclasses', 'host-csistoragecapacities'],
      flags: { allowedStorageProvisioner: '*' },
      host: [
        hostClass('fast'),
        hostCapacity('hosts', 'csi-system', '1Gi', 'fast'),
        hostCapacity('tenants', 'csi-system', '2Gi', ours),
      ],
      virtual: [[SC, { metadata: { name: 'fast' }, provisioner: 'csi.example.com' }]],
    });
    await table.settle();
    expect(copies(table).map((c) => [c.metadata?.name, c.storageClassName])).toEqual([
      ['tenants-x-csi-system', 'fast'],
    ]);
    await table.virtual.delete(SC, '', 'fast');
    await table.settle();
    expect(copies(table).map((c) => [c.metadata?.name, c.storageClassName])).toEqual([
      ['hosts-x-csi-system', 'fast'],
    ]);
  });
});
