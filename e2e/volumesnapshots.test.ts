import { join } from 'node:path';
import { hostName } from '../src/naming/names.ts';
import { waitFor } from '../test/harness/clusters.ts';
import {
  apply,
  createTenantNamespace,
  getObject,
  mustKubectl,
  waitForEvents,
} from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

/*
 * VolumeSnapshots of a tenant's claims reach the host (where the CSI snapshot CRDs are installed)
 * taken of the claim's host copy; readiness comes back; a tenant cannot name a host snapshot content.
 */
const vc = uniqueName('snap');
const hostNs = `host-${vc}`;
const ns = uniqueName('snaps');
const snapshotClass = uniqueName('csi-snaps');
/** A host class whose snapshotter Secret is named after each snapshot. */
const perSnapshotClass = uniqueName('per-snap');
/** The host class the snapshotted claim names (a claim naming none needs a host default class). */
const storageClass = uniqueName('snap-disks');
let syncer: SyncerProcess;

interface Snapshot {
  spec: { source: { persistentVolumeClaimName?: string } };
  status?: Record<string, unknown>;
}

beforeAll(async () => {
  const crd = join(import.meta.dirname, '..', 'test', 'fixtures', 'volumesnapshot-crd.yaml');
  for (const cluster of ['host', 'virtual'] as const) {
    await mustKubectl(cluster, ['apply', '-f', crd]);
    await mustKubectl(cluster, [
      'wait',
      '--for=condition=Established',
      'crd/volumesnapshots.snapshot.storage.k8s.io',
      'crd/volumesnapshotclasses.snapshot.storage.k8s.io',
    ]);
  }
  await prepareHostNamespace(vc, hostNs);
  await apply('host', {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: storageClass },
    provisioner: 'example.com/no-provisioner',
  });
  syncer = await startSyncer({
    name: vc,
    hostNamespace: hostNs,
    args: ['--sync=volumesnapshots,+host-volumesnapshotclasses'],
  });
  await createTenantNamespace(ns);
}, 120_000);

afterAll(async () => {
  // Other suites' syncers watch the whole shared virtual cluster: leave no claim behind for them.
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await syncer?.stop();
  await mustKubectl('host', ['delete', 'volumesnapshotclass', snapshotClass, '--ignore-not-found']);
  await mustKubectl('host', ['delete', 'volumesnapshotclass', perSnapshotClass, '--ignore-not-found']);
  await mustKubectl('host', ['delete', 'storageclass', storageClass, '--ignore-not-found']);
});

describe('volume snapshots', () => {
  it("the host's VolumeSnapshotClasses are shown in the virtual cluster, read-only", async () => {
    await apply('host', {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotClass',
      metadata: { name: snapshotClass },
      driver: 'csi.example.com',
      deletionPolicy: 'Delete',
    });
    const copy = await waitFor(
      'the VolumeSnapshotClass copy',
      () =>
        getObject<{ driver: string; deletionPolicy: string; metadata: { labels?: Record<string, string> } }>(
          'virtual',
          ['volumesnapshotclass', snapshotClass],
        ),
      60_000,
    );
    expect(copy).toMatchObject({ driver: 'csi.example.com', deletionPolicy: 'Delete' });
    expect(copy.metadata.labels?.['vsyncer.dev/managed']).toBe('true');
    await mustKubectl('virtual', [
      'patch',
      'volumesnapshotclass',
      snapshotClass,
      '--type=merge',
      '-p',
      '{"deletionPolicy":"Retain"}',
    ]);
    await waitFor(
      'the tenant edit reverted',
      async () =>
        (await getObject<{ deletionPolicy: string }>('virtual', ['volumesnapshotclass', snapshotClass]))
          ?.deletionPolicy === 'Delete',
      60_000,
    );
  }, 120_000);

  it("go to the host taken of the claim's copy, and their readiness comes back", async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: ns },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        storageClassName: storageClass,
      },
    });
    await apply('virtual', {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: { name: 'nightly', namespace: ns },
      spec: { source: { persistentVolumeClaimName: 'data' } },
    });
    const host = await waitFor(
      'the host snapshot',
      () => getObject<Snapshot>('host', ['volumesnapshot', hostName('nightly', ns, vc), '-n', hostNs]),
      60_000,
    );
    expect(host.spec.source.persistentVolumeClaimName).toBe(hostName('data', ns, vc));
    // What the host's snapshot controller would write.
    await mustKubectl('host', [
      'patch',
      'volumesnapshot',
      hostName('nightly', ns, vc),
      '-n',
      hostNs,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({
        status: { readyToUse: true, restoreSize: '1Gi', boundVolumeSnapshotContentName: 'snapcontent-1' },
      }),
    ]);
    const virtual = await waitFor(
      'readiness in the virtual cluster',
      async () => {
        const v = await getObject<Snapshot>('virtual', ['volumesnapshot', 'nightly', '-n', ns]);
        return v?.status?.readyToUse === true && v;
      },
      60_000,
    );
    expect(virtual.status).toEqual({ readyToUse: true, restoreSize: '1Gi' });
  }, 120_000);

  it("with a host class naming the snapshotter Secret after the snapshot: taken only once the tenant's own Secret of that name is copied", async () => {
    await apply('host', {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotClass',
      metadata: { name: perSnapshotClass },
      driver: 'csi.example.com',
      deletionPolicy: 'Delete',
      parameters: {
        'csi.storage.k8s.io/snapshotter-secret-name': '${volumesnapshot.name}',
        'csi.storage.k8s.io/snapshotter-secret-namespace': '${volumesnapshot.namespace}',
      },
    });
    await apply('virtual', {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: { name: 'keyed', namespace: ns },
      spec: { volumeSnapshotClassName: perSnapshotClass, source: { persistentVolumeClaimName: 'data' } },
    });
    const events = await waitForEvents('virtual', ns, 'keyed', 'SyncError', 60_000);
    expect(events[0]!.message).toContain('Secret "keyed" not found');
    expect(
      await getObject('host', ['volumesnapshot', hostName('keyed', ns, vc), '-n', hostNs]),
    ).toBeUndefined();
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'keyed', namespace: ns, annotations: { 'vcluster.loft.sh/force-sync': 'true' } },
      stringData: { token: 'tenant' },
    });
    const host = await waitFor(
      'the host snapshot',
      () => getObject<Snapshot>('host', ['volumesnapshot', hostName('keyed', ns, vc), '-n', hostNs]),
      60_000,
    );
    expect(host.spec.source.persistentVolumeClaimName).toBe(hostName('data', ns, vc));
  }, 120_000);

  it('refuses a snapshot naming a host snapshot content', async () => {
    await apply('virtual', {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: { name: 'stolen', namespace: ns },
      spec: { source: { volumeSnapshotContentName: 'snapcontent-of-another-tenant' } },
    });
    const events = await waitForEvents('virtual', ns, 'stolen', 'SyncError', 60_000);
    expect(events[0]!.message).toContain('pre-provisioned snapshots are not supported');
    expect(
      await getObject('host', ['volumesnapshot', hostName('stolen', ns, vc), '-n', hostNs]),
    ).toBeUndefined();
  }, 120_000);
});
