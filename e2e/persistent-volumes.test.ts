import { hostClusterScopedName, hostName } from '../src/naming/names.ts';
import { waitFor } from '../test/harness/clusters.ts';
import {
  apply,
  createTenantNamespace,
  eventsFor,
  getObject,
  mustKubectl,
  waitForEvents,
} from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

interface Claim {
  metadata: { name: string; uid: string };
  spec: { volumeName?: string; storageClassName?: string };
  status?: { phase?: string; capacity?: { storage?: string } };
}
interface Volume {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    capacity?: { storage?: string };
    nfs?: { server: string; path: string };
    hostPath?: unknown;
    csi?: Record<string, unknown>;
    claimRef?: { namespace?: string; name?: string; uid?: string };
  };
  status?: { phase?: string };
}

const vc = uniqueName('pvs');
const hostNs = `host-${vc}`;
const ns = uniqueName('static');
/** Cluster-scoped in the virtual cluster every e2e syncer shares: unique names. */
const share = uniqueName('share');
const root = uniqueName('root');
const spare = uniqueName('spare');
/** A host volume the test provisions, as a CSI provisioner would, for a claim naming no volume. */
const provisioned = uniqueName('pvc');
let syncer: SyncerProcess;

const hostVolumeName = (name: string) => hostClusterScopedName(name, hostNs, vc);
const hostVolume = (name: string) => getObject<Volume>('host', ['pv', hostVolumeName(name)]);
const virtualVolume = (name: string) => getObject<Volume>('virtual', ['pv', name]);
const hostClaim = (name: string) => getObject<Claim>('host', ['pvc', hostName(name, ns, vc), '-n', hostNs]);
const virtualClaim = (name: string) => getObject<Claim>('virtual', ['pvc', name, '-n', ns]);

/** The virtual claim once it is Bound to the volume it names. */
const boundClaim = (name: string, volumeName: string) =>
  waitFor(
    `virtual claim ${name} Bound to ${volumeName}`,
    async () => {
      const v = await virtualClaim(name);
      return v?.status?.phase === 'Bound' && v.spec.volumeName === volumeName && v;
    },
    120_000,
  );

/** A volume (of the virtual cluster, or its host copy) once it is Bound. */
const boundVolume = (where: 'virtual' | 'host', name: string) =>
  waitFor(
    `${where} volume of ${name} Bound`,
    async () => {
      const v = await (where === 'virtual' ? virtualVolume(name) : hostVolume(name));
      return v?.status?.phase === 'Bound' && v;
    },
    60_000,
  );

/** A tenant volume, reserved for `claim` by name (as tenants write it) when one is given. */
function volume(name: string, source: object, claim?: string): object {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteMany'],
      // No class: only a claim asking for none (and naming the volume) binds it.
      storageClassName: '',
      persistentVolumeReclaimPolicy: 'Retain',
      mountOptions: ['nfsvers=4.1'],
      ...source,
      ...(claim ? { claimRef: { namespace: ns, name: claim } } : {}),
    },
  };
}

function claim(name: string, volumeName: string): object {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: ns },
    spec: {
      accessModes: ['ReadWriteMany'],
      resources: { requests: { storage: '1Gi' } },
      storageClassName: '',
      volumeName,
    },
  };
}

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  await createTenantNamespace(ns);
  syncer = await startSyncer({
    name: vc,
    hostNamespace: hostNs,
    args: ['--sync=+persistentvolumes', '--allowed-pv-source=nfs'],
  });
}, 180_000);

afterAll(async () => {
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await mustKubectl('virtual', [
    'delete',
    'pv',
    share,
    root,
    spare,
    '--ignore-not-found',
    '--wait=false',
  ]).catch(() => undefined);
  await syncer?.stop();
  await mustKubectl('host', [
    'delete',
    'pv',
    hostVolumeName(share),
    hostVolumeName(spare),
    provisioned,
    '--ignore-not-found',
    '--wait=false',
  ]).catch(() => undefined);
});

describe('PersistentVolumes (static provisioning, --allowed-pv-source=nfs)', () => {
  it("a tenant's nfs volume and a claim naming it: bound on the host by the host's binder, and in the virtual cluster to the tenant's volume", async () => {
    await apply(
      'virtual',
      volume(share, { nfs: { server: 'nfs.example.com', path: '/exports/team' } }, 'data'),
    );
    await apply('virtual', claim('data', share));

    const copy = await waitFor('the host copy of the volume', () => hostVolume(share), 60_000);
    // Cluster-scoped copies are labelled for their host namespace too, as vCluster labels them.
    expect(copy.metadata.labels?.['vcluster.loft.sh/managed-by']).toBe(`${hostNs}-x-${vc}`);
    expect(copy.metadata.annotations?.['vcluster.loft.sh/object-name']).toBe(share);
    expect(copy.spec.nfs).toEqual({ server: 'nfs.example.com', path: '/exports/team' });
    expect(copy.spec.claimRef).toMatchObject({ namespace: hostNs, name: hostName('data', ns, vc) });

    // No provisioner and no test stand-in: the host's own binder binds the claim to the copy.
    const host = await waitFor(
      'the host claim Bound to the copy',
      async () => {
        const h = await hostClaim('data');
        return h?.status?.phase === 'Bound' && h;
      },
      90_000,
    );
    expect(host.spec.volumeName).toBe(hostVolumeName(share));

    const bound = await boundClaim('data', share);
    expect(bound.status?.capacity?.storage).toBe('1Gi');
    const pv = await boundVolume('virtual', share);
    expect(pv.spec.claimRef).toMatchObject({ namespace: ns, name: 'data', uid: bound.metadata.uid });
    expect(pv.metadata.labels?.['vcluster.loft.sh/fake-pv']).toBeUndefined();
    expect((await boundVolume('host', share)).spec.claimRef?.uid).toBe(
      (await hostClaim('data'))?.metadata.uid,
    );
    // No fake volume stands in for it.
    expect(await virtualVolume(hostVolumeName(share))).toBeUndefined();
  }, 240_000);

  it('a claim naming a volume reserved for no claim: the syncer reserves and binds it in the virtual cluster (which runs no binder)', async () => {
    await apply('virtual', volume(spare, { nfs: { server: 'nfs.example.com', path: '/exports/spare' } }));
    await apply('virtual', claim('spare', spare));
    const bound = await boundClaim('spare', spare);
    const pv = await boundVolume('virtual', spare);
    expect(pv.spec.claimRef).toMatchObject({ namespace: ns, name: 'spare', uid: bound.metadata.uid });
    expect((await hostVolume(spare))?.spec.claimRef).toMatchObject({
      namespace: hostNs,
      name: hostName('spare', ns, vc),
      uid: (await hostClaim('spare'))?.metadata.uid,
    });
  }, 180_000);

  it('a hostPath volume is refused with a SyncError, and nothing reaches the host', async () => {
    await apply('virtual', volume(root, { hostPath: { path: '/' } }, 'root'));
    const events = await waitForEvents('virtual', 'default', root, 'SyncError', 60_000);
    expect(events.map((e) => e.message)).toEqual(
      expect.arrayContaining([expect.stringContaining('"hostPath" is not allowed')]),
    );
    expect(await hostVolume(root)).toBeUndefined();
    // A claim naming it is not given any host volume either.
    await apply('virtual', claim('root', root));
    // A barrier, not a sleep: a claim made after it in the same namespace, naming a volume the host
    // may have, which the syncer must carry over. The watch brings the two in order and the queue
    // hands them out in order, so once its copy is there the syncer has had 'root' in hand too.
    const sentinel = uniqueName('sentinel');
    await apply(
      'virtual',
      volume(sentinel, { nfs: { server: 'nfs.example.com', path: '/exports/sentinel' } }),
    );
    await apply('virtual', claim('root-sentinel', sentinel));
    await waitFor('host copy of root-sentinel', () => hostClaim('root-sentinel'), 60_000);
    await mustKubectl('virtual', ['delete', 'pvc', 'root-sentinel', '-n', ns, '--wait=false']);
    await mustKubectl('virtual', ['delete', 'pv', sentinel, '--wait=false']);
    expect(await hostClaim('root')).toBeUndefined();
    expect(await hostVolume(root)).toBeUndefined();
    expect((await eventsFor('virtual', 'default', root)).map((e) => e.reason)).toContain('SyncError');
  }, 120_000);

  it('deleting the tenant volume deletes its host copy', async () => {
    await mustKubectl('virtual', ['delete', 'pvc', 'data', '-n', ns, '--wait=false']);
    await mustKubectl('virtual', ['delete', 'pv', share, '--wait=false']);
    await waitFor(
      'the tenant volume and its host copy gone',
      async () => (await virtualVolume(share)) === undefined && (await hostVolume(share)) === undefined,
      120_000,
    );
  }, 180_000);

  it("a claim provisioned on the host: the virtual cluster is shown the host volume's details, without its Secrets", async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'dynamic', namespace: ns },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        storageClassName: '',
      },
    });
    const host = await waitFor('the host claim', () => hostClaim('dynamic'), 60_000);
    // The test plays a CSI provisioner: a host volume pre-bound to the host claim; the host's binder binds them.
    await apply('host', {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: provisioned, labels: { 'topology.kubernetes.io/zone': 'zone-a' } },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: '',
        persistentVolumeReclaimPolicy: 'Retain',
        csi: {
          driver: 'csi.example.com',
          volumeHandle: `handle-${provisioned}`,
          nodePublishSecretRef: { name: 'storage-admin', namespace: 'kube-system' },
        },
        claimRef: { namespace: hostNs, name: host.metadata.name },
      },
    });
    const bound = await boundClaim('dynamic', provisioned);
    const pv = await boundVolume('virtual', provisioned);
    expect(pv.metadata.annotations?.['vcluster.loft.sh/host-pv']).toBe(provisioned);
    expect(pv.metadata.labels?.['topology.kubernetes.io/zone']).toBe('zone-a');
    expect(pv.metadata.labels?.['vcluster.loft.sh/fake-pv']).toBeUndefined();
    expect(pv.spec.csi).toEqual({
      driver: 'csi.example.com',
      volumeHandle: `handle-${provisioned}`,
      nodePublishSecretRef: { name: 'hidden-by-vsyncer', namespace: 'hidden-by-vsyncer' },
    });
    expect(pv.spec.claimRef).toMatchObject({ namespace: ns, name: 'dynamic', uid: bound.metadata.uid });
    expect(JSON.stringify(pv)).not.toContain('storage-admin');
    expect(JSON.stringify(pv)).not.toContain(hostNs);
    // The host volume stays the host's: as its provisioner wrote it, bound to the host claim.
    const hostPv = await getObject<Volume>('host', ['pv', provisioned]);
    expect(hostPv?.spec.csi?.nodePublishSecretRef).toEqual({
      name: 'storage-admin',
      namespace: 'kube-system',
    });
    expect(hostPv?.metadata.labels?.['vcluster.loft.sh/managed-by']).toBeUndefined();

    // Gone with its claim, as vCluster's own e2e test expects.
    await mustKubectl('virtual', ['delete', 'pvc', 'dynamic', '-n', ns, '--wait=false']);
    await waitFor(
      'the virtual claim, its volume and its host claim gone',
      async () =>
        (await virtualClaim('dynamic')) === undefined &&
        (await virtualVolume(provisioned)) === undefined &&
        (await hostClaim('dynamic')) === undefined,
      120_000,
    );
  }, 240_000);
});
