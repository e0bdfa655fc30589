import { Resources } from '../../kube/resources.ts';
import { stateTables, type StateTable } from '../../testing/state-table.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const SC = Resources.storageClasses;
const classWrites = (t: StateTable) => t.virtual.writeLog().filter((w) => w.includes(' storageclasses '));
const syncErrors = (t: StateTable) =>
  t.virtual
    .objects(Resources.events, 'default')
    .filter((e) => e.reason === 'SyncError')
    .map((e) => String(e.message));

describe('writeVirtualCopy (a from-host kind: host-storageclasses)', () => {
  it("a tenant's webhook that changes an immutable field of every new class: the copy is replaced once, then left, the tenant told", async () => {
    const table = await start({
      kinds: ['host-storageclasses'],
      host: [
        [SC, { metadata: { name: 'fast' }, provisioner: 'csi.example.com', parameters: { type: 'ssd' } }],
      ],
    });
    table.virtual.mutateOnCreate('storageclasses', (o) => {
      o.parameters = { ...(o.parameters as object), encrypted: 'true' };
    });
    // The real API refuses a parameters change on update; the fake is told to, ten times over.
    for (let i = 0; i < 10; i++) table.virtual.failNext('update', 'storageclasses', 'invalid');
    await table.settle();
    expect(classWrites(table)).toEqual([
      'create storageclasses fast',
      'delete storageclasses fast',
      'create storageclasses fast',
    ]);
    expect(table.virtual.objects(SC)[0]!.parameters).toEqual({ type: 'ssd', encrypted: 'true' });
    expect(syncErrors(table)).toEqual([
      expect.stringContaining(
        "this copy of the host's StorageClass cannot be brought in line (virtual parameters differs)",
      ),
    ]);

    // The host's class changes: its new version may replace the copy once more.
    const host = table.host.objects(SC)[0]!;
    await table.host.update(SC, '', { ...host, parameters: { type: 'nvme' } });
    await table.settle();
    expect(classWrites(table).slice(3)).toEqual(['delete storageclasses fast', 'create storageclasses fast']);
  });
});
