import { Resources } from '../../kube/resources.ts';
import { stateTables, type Seed, type StateTable } from '../../testing/state-table.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const CAP = Resources.csiStorageCapacities;
const hostCapacity = (name: string, namespace = 'csi-system', capacity = '10Gi'): Seed => [
  CAP,
  {
    metadata: { name, namespace, labels: { driver: 'csi.example.com' } },
    storageClassName: 'fast',
    nodeTopology: { matchLabels: { 'topology.kubernetes.io/zone': 'a' } },
    capacity,
    maximumVolumeSize: '5Gi',
  },
];
const copies = (t: StateTable) => t.virtual.objects(CAP);
const run = (host: Seed[], virtual: Seed[] = []) =>
  start({ kinds: ['host-csistoragecapacities'], host, virtual });

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
});
