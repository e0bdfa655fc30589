import { Resources } from '../../kube/resources.ts';
import { stateTables, type Seed, type StateTable } from '../../testing/state-table.ts';

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
    await table.host.delete(SC, '', 'fast');
    await table.settle();
    expect(copies(table)).toEqual([]);
  });

  it("a tenant's own StorageClass of the same name is never touched", async () => {
    const tenant: Seed = [SC, { metadata: { name: 'fast' }, provisioner: 'tenant.example.com' }];
    const table = await run([hostClass('fast')], [tenant]);
    await table.settle();
    expect(table.writes()).toEqual([]);
    expect(copies(table)[0]?.provisioner).toBe('tenant.example.com');
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
});
