import { hostClusterScopedName, hostName } from '../src/naming/names.ts';
import { waitFor } from '../test/harness/clusters.ts';
import {
  apply,
  createTenantNamespace,
  getObject,
  mustKubectl,
  waitForEvents,
} from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

interface StorageClassLite {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  provisioner: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: string;
  volumeBindingMode?: string;
  allowVolumeExpansion?: boolean;
  mountOptions?: string[];
}
interface ClaimLite {
  spec: { storageClassName?: string };
}

const vc = uniqueName('scs');
const hostNs = `host-${vc}`;
const ns = uniqueName('disks');
const PROVISIONER = 'example.com/tenant-disks';
/** Cluster-scoped in the virtual cluster every e2e syncer shares: unique names. */
const fast = uniqueName('fast');
const local = uniqueName('local');
const creds = uniqueName('creds');
/** A copy another virtual cluster made on the host. */
const foreignCopy = hostClusterScopedName(uniqueName('gold'), hostNs, 'other');
const DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
let syncer: SyncerProcess;

const hostClass = (name: string) =>
  getObject<StorageClassLite>('host', ['storageclass', hostClusterScopedName(name, hostNs, vc)]);
const hostClaim = (name: string) =>
  getObject<ClaimLite>('host', ['pvc', hostName(name, ns, vc), '-n', hostNs]);

function storageClass(name: string, extra: Record<string, unknown> = {}): object {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name, labels: { tier: 'fast' } },
    provisioner: PROVISIONER,
    parameters: { type: 'ssd' },
    reclaimPolicy: 'Retain',
    volumeBindingMode: 'WaitForFirstConsumer',
    ...extra,
  };
}

const claim = (name: string, storageClassName: string) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: ns },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName },
});

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  await createTenantNamespace(ns);
  await apply('host', {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: foreignCopy, labels: { 'vcluster.loft.sh/managed-by': `${hostNs}-x-other` } },
    provisioner: PROVISIONER,
  });
  syncer = await startSyncer({
    name: vc,
    hostNamespace: hostNs,
    args: ['--sync=+storageclasses', `--allowed-storage-provisioner=${PROVISIONER}`],
  });
}, 180_000);

afterAll(async () => {
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await mustKubectl('virtual', ['delete', 'storageclass', fast, local, creds, '--ignore-not-found']);
  await syncer?.stop();
  for (const name of [fast, local, creds])
    await mustKubectl('host', [
      'delete',
      'storageclass',
      hostClusterScopedName(name, hostNs, vc),
      '--ignore-not-found',
    ]);
  await mustKubectl('host', ['delete', 'storageclass', foreignCopy, '--ignore-not-found']);
});

describe('storageclasses (tenant classes to the host)', () => {
  it("a tenant's class reaches the host with its fields, never as the host's default, and its claims use the copy", async () => {
    // "false" keeps the shared virtual cluster's default as it is; any value must stay off the host.
    await apply(
      'virtual',
      storageClass(fast, {
        metadata: { name: fast, labels: { tier: 'fast' }, annotations: { [DEFAULT_CLASS]: 'false' } },
        mountOptions: ['noatime'],
      }),
    );
    const copy = await waitFor('host copy of the tenant class', () => hostClass(fast), 60_000);
    expect(copy).toMatchObject({
      provisioner: PROVISIONER,
      parameters: { type: 'ssd' },
      // The tenant's Retain becomes Delete on the host (without --allow-retain-storage-class): a
      // Released host volume of a tenant's claim is unreachable and would never be reclaimed.
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
      mountOptions: ['noatime'],
      metadata: {
        labels: { tier: 'fast', 'vcluster.loft.sh/managed-by': `${hostNs}-x-${vc}` },
        annotations: { 'vcluster.loft.sh/object-name': fast },
      },
    });
    expect(copy.metadata.annotations?.[DEFAULT_CLASS]).toBeUndefined();

    await apply('virtual', claim('data', fast));
    const host = await waitFor('host claim of data', () => hostClaim('data'), 60_000);
    expect(host.spec.storageClassName).toBe(hostClusterScopedName(fast, hostNs, vc));

    // Expansion may change on a class; the real API server lets the copy follow.
    await mustKubectl('virtual', ['patch', 'storageclass', fast, '-p', '{"allowVolumeExpansion":true}']);
    await waitFor(
      'expansion allowed on the copy',
      async () => (await hostClass(fast))?.allowVolumeExpansion === true,
      60_000,
    );
  }, 150_000);

  it('a provisioner not allowed, or parameters naming a Secret: a SyncError on the class, nothing on the host', async () => {
    await apply('virtual', storageClass(local, { provisioner: 'rancher.io/local-path' }));
    await apply(
      'virtual',
      storageClass(creds, {
        parameters: {
          'csi.storage.k8s.io/provisioner-secret-name': 'cloud-credentials',
          'csi.storage.k8s.io/provisioner-secret-namespace': 'kube-system',
        },
      }),
    );
    const notAllowed = await waitForEvents('virtual', 'default', local, 'SyncError', 60_000);
    expect(notAllowed[0]?.message).toContain('provisioner "rancher.io/local-path" is not one');
    const secret = await waitForEvents('virtual', 'default', creds, 'SyncError', 60_000);
    expect(secret[0]?.message).toContain('name a Secret');
    expect(await hostClass(local)).toBeUndefined();
    expect(await hostClass(creds)).toBeUndefined();
  }, 120_000);

  it("a claim naming another virtual cluster's host class directly is refused as unknown", async () => {
    await apply('virtual', claim('borrowed', foreignCopy));
    const events = await waitForEvents('virtual', ns, 'borrowed', 'SyncError', 60_000);
    expect(events[0]?.message).toContain(`StorageClass "${foreignCopy}" does not exist in the host cluster`);
    expect(await hostClaim('borrowed')).toBeUndefined();
  }, 90_000);

  it("deleting the tenant's class deletes its host copy", async () => {
    await waitFor('host copy of the tenant class', () => hostClass(fast), 60_000);
    await mustKubectl('virtual', ['delete', 'storageclass', fast]);
    await waitFor('host copy gone', async () => (await hostClass(fast)) === undefined, 60_000);
  }, 90_000);
});
