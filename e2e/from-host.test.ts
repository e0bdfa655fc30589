import { waitFor } from '../test/harness/clusters.ts';
import { apply, getObject, mustKubectl } from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

interface ClassObject {
  metadata: { name: string; uid?: string; resourceVersion?: string; labels?: Record<string, string> };
  provisioner?: string;
  value?: number;
  description?: string;
}

const vc = uniqueName('fh');
const hostNs = `host-${vc}`;
const storageClass = uniqueName('fast');
const priorityClass = uniqueName('batch');
let syncer: SyncerProcess;
/** The virtual cluster's own system-node-critical, before the syncer started. */
let ownClass: ClassObject | undefined;

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  ownClass = await getObject<ClassObject>('virtual', ['priorityclass', 'system-node-critical']);
  syncer = await startSyncer({
    name: vc,
    hostNamespace: hostNs,
    args: ['--sync', '+host-storageclasses,+host-priorityclasses'],
  });
}, 120_000);

afterAll(async () => {
  await syncer?.stop();
  await mustKubectl('host', ['delete', 'storageclass', storageClass, '--ignore-not-found']);
  await mustKubectl('host', ['delete', 'priorityclass', priorityClass, '--ignore-not-found']);
});

const virtualCopy = (kind: string, name: string) => getObject<ClassObject>('virtual', [kind, name]);

describe('from-host classes', () => {
  it('a StorageClass and a PriorityClass made on the host appear in the virtual cluster', async () => {
    await apply('host', {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: storageClass, labels: { tier: 'fast' } },
      provisioner: 'csi.example.com',
    });
    await apply('host', {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: priorityClass },
      value: 1000,
      description: 'batch jobs',
    });
    const sc = await waitFor('StorageClass copy', () => virtualCopy('storageclass', storageClass), 60_000);
    expect(sc.provisioner).toBe('csi.example.com');
    expect(sc.metadata.labels?.tier).toBe('fast');
    const pc = await waitFor('PriorityClass copy', () => virtualCopy('priorityclass', priorityClass), 60_000);
    expect(pc.value).toBe(1000);
  }, 120_000);

  it("the virtual cluster's own system priority classes are left alone", async () => {
    // After the copies above: the kind has run over every class by now.
    expect(ownClass).toBeDefined();
    const own = await virtualCopy('priorityclass', 'system-node-critical');
    expect(own?.metadata).toMatchObject({
      uid: ownClass!.metadata.uid,
      resourceVersion: ownClass!.metadata.resourceVersion,
    });
    expect(own?.metadata.labels?.['vsyncer.dev/managed']).toBeUndefined();
  });

  it("a tenant's edit of a copy is reverted", async () => {
    await mustKubectl('virtual', ['label', 'storageclass', storageClass, 'tier=slow', '--overwrite']);
    await waitFor(
      'label reverted to the host value',
      async () => (await virtualCopy('storageclass', storageClass))?.metadata.labels?.tier === 'fast',
      60_000,
    );
    await mustKubectl('virtual', [
      'patch',
      'priorityclass',
      priorityClass,
      '--type=merge',
      '-p',
      '{"description":"mine"}',
    ]);
    await waitFor(
      'description reverted',
      async () => (await virtualCopy('priorityclass', priorityClass))?.description === 'batch jobs',
      60_000,
    );
  }, 120_000);

  it('a host delete removes the copies', async () => {
    await mustKubectl('host', ['delete', 'storageclass', storageClass]);
    await mustKubectl('host', ['delete', 'priorityclass', priorityClass]);
    await waitFor(
      'copies gone',
      async () => {
        const [sc, pc] = [
          await virtualCopy('storageclass', storageClass),
          await virtualCopy('priorityclass', priorityClass),
        ];
        return sc === undefined && pc === undefined;
      },
      60_000,
    );
  }, 120_000);
});
