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

interface Claim {
  metadata: {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    storageClassName?: string;
    volumeName?: string;
    resources?: { requests?: { storage?: string } };
    dataSource?: { apiGroup?: string | null; kind: string; name: string };
    dataSourceRef?: { apiGroup?: string | null; kind: string; name: string; namespace?: string };
    selector?: unknown;
  };
  status?: { phase?: string; capacity?: { storage?: string } };
}
interface Volume {
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    capacity?: { storage?: string };
    storageClassName?: string;
    claimRef?: { namespace?: string; name?: string; uid?: string };
    flexVolume?: { driver: string };
    hostPath?: unknown;
  };
  status?: { phase?: string };
}

const vc = uniqueName('stg');
const hostNs = `host-${vc}`;
const ns = uniqueName('vol');
/** A namespace whose claim `golden` has the host name a claim `golden-x-p…` of `ns` would have. */
const otherPrefix = uniqueName('p');
const otherNs = `${otherPrefix}-x-${ns}`;
/** A class the host has, with expansion allowed (no provisioner runs: the test binds claims itself). */
const storageClass = uniqueName('fast');
const hostVolume = `pv-${vc}`;
let syncer: SyncerProcess;

const virtualClaim = (name: string, namespace = ns) =>
  getObject<Claim>('virtual', ['pvc', name, '-n', namespace]);
const hostClaim = (name: string, namespace = ns) =>
  getObject<Claim>('host', ['pvc', hostName(name, namespace, vc), '-n', hostNs]);

function claim(name: string, spec: Record<string, unknown> = {}, namespace = ns): object {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
      storageClassName: storageClass,
      ...spec,
    },
  };
}

/** Waits for a SyncError on a virtual claim, and checks nothing of it reached the host. */
async function refused(name: string, message: string | RegExp): Promise<void> {
  const events = await waitForEvents('virtual', ns, name, 'SyncError', 60_000);
  expect(events.map((e) => e.message)).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  expect(await hostClaim(name)).toBeUndefined();
}

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  await apply('host', {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: storageClass },
    provisioner: 'example.com/no-provisioner',
    allowVolumeExpansion: true,
    volumeBindingMode: 'Immediate',
  });
  await createTenantNamespace(ns);
  await createTenantNamespace(otherNs);
  // The class is shown in the virtual cluster too: its API server admits a resize only for a class
  // that allows expansion.
  syncer = await startSyncer({ name: vc, hostNamespace: hostNs, args: ['--sync=+host-storageclasses'] });
  await waitFor(
    'the host StorageClass in the virtual cluster',
    () => getObject('virtual', ['storageclass', storageClass]),
    60_000,
  );
}, 180_000);

afterAll(async () => {
  await mustKubectl('virtual', ['delete', 'namespace', ns, otherNs, '--wait=false']).catch(() => undefined);
  await syncer?.stop();
  await mustKubectl('host', ['delete', 'pv', hostVolume, '--ignore-not-found', '--wait=false']);
  await mustKubectl('host', ['delete', 'storageclass', storageClass, '--ignore-not-found']);
});

describe('PersistentVolumeClaims', () => {
  it('a claim bound on the host shows Bound in the virtual cluster, with a fake volume named as the host one', async () => {
    await apply('virtual', claim('data'));
    const host = await waitFor('host claim', () => hostClaim('data'), 60_000);
    expect(host.metadata.labels).toMatchObject({
      app: 'data',
      'vcluster.loft.sh/managed-by': vc,
      'vcluster.loft.sh/namespace': ns,
    });
    expect(host.metadata.annotations?.['vcluster.loft.sh/object-name']).toBe('data');
    expect(host.spec.storageClassName).toBe(storageClass);

    // The test plays the provisioner: a host volume pre-bound to the host claim; the host's binder binds them.
    await apply('host', {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: hostVolume },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: storageClass,
        persistentVolumeReclaimPolicy: 'Retain',
        hostPath: { path: `/tmp/${vc}` },
        claimRef: { namespace: hostNs, name: hostName('data', ns, vc) },
      },
    });
    const bound = await waitFor(
      'the virtual claim Bound to its fake volume',
      async () => {
        const v = await virtualClaim('data');
        return v?.status?.phase === 'Bound' && v.spec.volumeName === hostVolume && v;
      },
      60_000,
    );
    expect(bound.status?.capacity?.storage).toBe('1Gi');
    const pv = await waitFor(
      'the fake volume Bound',
      async () => {
        const v = await getObject<Volume>('virtual', ['pv', hostVolume]);
        return v?.status?.phase === 'Bound' && v;
      },
      60_000,
    );
    expect(pv.metadata.labels?.['vcluster.loft.sh/fake-pv']).toBe('true');
    expect(pv.spec.claimRef).toMatchObject({ namespace: ns, name: 'data', uid: bound.metadata.uid });
    expect(pv.spec.capacity?.storage).toBe('1Gi');
    expect(pv.spec.storageClassName).toBe(storageClass);
    // Nothing of the host volume itself is shown.
    expect(pv.spec.hostPath).toBeUndefined();
    expect(pv.spec.flexVolume).toBeDefined();
  }, 180_000);

  it("a generic ephemeral volume: the virtual cluster's claim is synced, and the host pod mounts its copy", async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'scratchy', namespace: ns },
      spec: {
        containers: [
          { name: 'main', image: 'registry.local/app:1', volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }] },
        ],
        volumes: [
          {
            name: 'tmp',
            ephemeral: {
              volumeClaimTemplate: {
                spec: {
                  accessModes: ['ReadWriteOnce'],
                  resources: { requests: { storage: '1Gi' } },
                  storageClassName: storageClass,
                },
              },
            },
          },
        ],
      },
    });
    // The virtual cluster's ephemeral-volume controller makes the claim `<pod>-<volume>`.
    const hostCopy = await waitFor(
      "the ephemeral claim's host copy",
      () => hostClaim('scratchy-tmp'),
      60_000,
    );
    expect(hostCopy.spec.storageClassName).toBe(storageClass);
    type PodVolumes = {
      spec: {
        volumes?: { name: string; persistentVolumeClaim?: { claimName: string }; ephemeral?: unknown }[];
      };
    };
    const hostPod = await waitFor(
      'the host pod',
      () => getObject<PodVolumes>('host', ['pod', hostName('scratchy', ns, vc), '-n', hostNs]),
      60_000,
    );
    expect(hostPod.spec.volumes?.find((v) => v.name === 'tmp')).toEqual({
      name: 'tmp',
      persistentVolumeClaim: { claimName: hostName('scratchy-tmp', ns, vc) },
    });
    // No claim of the host's own making: only the copy.
    const hostClaims = await getObject<{ items: { metadata: { name: string } }[] }>('host', [
      'pvc',
      '-n',
      hostNs,
    ]);
    expect(hostClaims?.items.map((c) => c.metadata.name).filter((n) => n.includes('scratchy'))).toEqual([
      hostName('scratchy-tmp', ns, vc),
    ]);
    await mustKubectl('virtual', ['delete', 'pod', 'scratchy', '-n', ns, '--wait=false']);
  }, 120_000);

  it('a resize flows down to the host claim, and the capacity the host reaches flows up', async () => {
    await mustKubectl('virtual', [
      'patch',
      'pvc',
      'data',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { resources: { requests: { storage: '2Gi' } } } }),
    ]);
    await waitFor(
      'the host claim asks for 2Gi',
      async () => (await hostClaim('data'))?.spec.resources?.requests?.storage === '2Gi',
      60_000,
    );
    // The test plays the resizer: the host claim's status gets the new capacity.
    await mustKubectl('host', [
      'patch',
      'pvc',
      hostName('data', ns, vc),
      '-n',
      hostNs,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { capacity: { storage: '2Gi' } } }),
    ]);
    await waitFor(
      'the virtual claim and its fake volume at 2Gi',
      async () => {
        const v = await virtualClaim('data');
        const pv = await getObject<Volume>('virtual', ['pv', hostVolume]);
        return v?.status?.capacity?.storage === '2Gi' && pv?.spec.capacity?.storage === '2Gi';
      },
      60_000,
    );
  }, 120_000);

  it("a claim naming no class: with no host default, a copy only a volume reserved for it gets; the default's name once the host has one", async () => {
    const fallback = uniqueName('default');
    try {
      await apply('virtual', claim('plain', { storageClassName: undefined }));
      const plain = await waitFor('host claim of a claim naming no class', () => hostClaim('plain'), 60_000);
      expect(plain.spec.storageClassName).toBeUndefined();
      expect(plain.spec.selector).toEqual({
        matchExpressions: [{ key: 'vsyncer.dev/pre-bound-volumes-only', operator: 'Exists' }],
      });
      await apply('host', {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: fallback, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
        provisioner: 'example.com/no-provisioner',
      });
      // Shown in the virtual cluster, it is in the syncer's cache of host classes too.
      await waitFor(
        'the default class shown',
        () => getObject('virtual', ['storageclass', fallback]),
        60_000,
      );
      await apply('virtual', claim('later', { storageClassName: undefined }));
      const later = await waitFor(
        'host claim made once the host has a default',
        () => hostClaim('later'),
        60_000,
      );
      expect(later.spec.storageClassName).toBe(fallback);
      expect(later.spec.selector).toBeUndefined();
      // The copy made before would never be provisioned (its selector): it is made again, naming it.
      const remade = await waitFor(
        'the earlier copy made again with the default',
        async () => {
          const claim = await hostClaim('plain');
          return (
            claim?.metadata.uid !== plain.metadata.uid && claim?.spec.storageClassName === fallback && claim
          );
        },
        60_000,
      );
      expect(remade.spec.selector).toBeUndefined();
    } finally {
      // Other suites share the host: it has no default class again.
      await mustKubectl('host', ['delete', 'storageclass', fallback, '--ignore-not-found']);
    }
  }, 120_000);

  it('a claim naming a StorageClass the host does not have: a SyncError naming it, nothing on the host', async () => {
    const missing = uniqueName('nope');
    await apply('virtual', claim('unknown-class', { storageClassName: missing }));
    await refused('unknown-class', `StorageClass "${missing}" does not exist in the host cluster`);
  }, 90_000);

  it("a dataSource naming another namespace's claim (by namespace, or by its ambiguous host name), or no claim, is refused", async () => {
    await apply('virtual', claim('golden', {}, otherNs));
    await waitFor('host copy of the other namespace claim', () => hostClaim('golden', otherNs), 60_000);
    await apply(
      'virtual',
      claim('steal', {
        dataSourceRef: { kind: 'PersistentVolumeClaim', name: 'golden', namespace: otherNs },
      }),
    );
    const stored = (await virtualClaim('steal'))!;
    if (stored.spec.dataSourceRef || stored.spec.dataSource) {
      await refused('steal', /another namespace|not found/);
    } else {
      // Without the CrossNamespaceVolumeDataSource feature the API server drops the reference: an
      // ordinary empty claim, whose host copy must name no data source either.
      const host = await waitFor(
        'host copy of the claim without data source',
        () => hostClaim('steal'),
        60_000,
      );
      expect(host.spec.dataSourceRef ?? host.spec.dataSource ?? null).toBeNull();
    }
    await apply(
      'virtual',
      claim('from-nothing', { dataSource: { kind: 'PersistentVolumeClaim', name: 'nothing' } }),
    );
    await refused('from-nothing', /"nothing" not found/);
    // Host names are ambiguous: `golden-x-<prefix>` of this namespace maps to the very host name of
    // the other namespace's `golden`. It does not exist here, so it is refused, never renamed to that copy.
    const alias = `golden-x-${otherPrefix}`;
    expect(hostName(alias, ns, vc)).toBe(hostName('golden', otherNs, vc));
    await apply('virtual', claim('alias', { dataSource: { kind: 'PersistentVolumeClaim', name: alias } }));
    await refused('alias', `"${alias}" not found`);
  }, 120_000);

  it("a dataSource naming the tenant's own claim is renamed to that claim's host copy", async () => {
    await apply('virtual', claim('clone', { dataSource: { kind: 'PersistentVolumeClaim', name: 'data' } }));
    const host = await waitFor('host claim of the clone', () => hostClaim('clone'), 60_000);
    expect(host.spec.dataSource).toMatchObject({
      kind: 'PersistentVolumeClaim',
      name: hostName('data', ns, vc),
    });
    expect(host.spec.dataSourceRef).toMatchObject({
      kind: 'PersistentVolumeClaim',
      name: hostName('data', ns, vc),
    });
  }, 90_000);

  it('deleting the virtual claim deletes its host claim and its fake volume', async () => {
    await mustKubectl('virtual', ['delete', 'pvc', 'data', '-n', ns, '--wait=false']);
    await waitFor(
      'host claim, virtual claim and fake volume gone',
      async () =>
        (await hostClaim('data')) === undefined &&
        (await virtualClaim('data')) === undefined &&
        (await getObject('virtual', ['pv', hostVolume])) === undefined,
      90_000,
    );
  }, 120_000);
});
