import type { KubeObject } from '../../kube/object.ts';
import { volumeSpecOf } from '../persistentvolumes/translate.ts';
import {
  boundToClaim,
  claimKeyOfShownVolume,
  fakeVolumeFor,
  HIDDEN_SECRET_NAME,
  hostDetailsVolumeFor,
  isShownVolume,
  shownVolumeInSync,
} from './shown-volumes.ts';

const virtualClaim: KubeObject = {
  metadata: { name: 'data', namespace: 'team', uid: 'u1' },
  spec: { storageClassName: 'fast', resources: { requests: { storage: '1Gi' } } },
};
const hostClaim: KubeObject = {
  metadata: { name: 'data-x-team-x-vc', namespace: 'host-ns', uid: 'h1' },
  spec: { volumeName: 'pvc-9', storageClassName: 'fast' },
  status: { phase: 'Bound', capacity: { storage: '1Gi' } },
};
/** A host volume a CSI provisioner made for the host claim, naming host Secrets. */
const hostVolume: KubeObject = {
  metadata: {
    name: 'pvc-9',
    labels: { 'topology.kubernetes.io/zone': 'z1', 'vcluster.loft.sh/fake-pv': 'true' },
    annotations: {
      'pv.kubernetes.io/provisioned-by': 'ebs.csi.aws.com',
      'volume.kubernetes.io/provisioner-deletion-secret-name': 'aws-creds',
    },
  },
  spec: {
    capacity: { storage: '1Gi' },
    accessModes: ['ReadWriteOnce'],
    storageClassName: 'fast',
    persistentVolumeReclaimPolicy: 'Delete',
    volumeMode: 'Filesystem',
    csi: {
      driver: 'ebs.csi.aws.com',
      volumeHandle: 'vol-0abc',
      fsType: 'ext4',
      nodePublishSecretRef: { name: 'aws-creds', namespace: 'kube-system' },
      controllerExpandSecretRef: { name: 'aws-creds', namespace: 'kube-system' },
      volumeAttributes: {
        'storage.kubernetes.io/csiProvisionerIdentity': 'p1',
        'csi.storage.k8s.io/node-publish-secret-name': 'aws-creds',
      },
    },
    nodeAffinity: {
      required: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] }],
      },
    },
    claimRef: { kind: 'PersistentVolumeClaim', namespace: 'host-ns', name: 'data-x-team-x-vc', uid: 'h1' },
  },
  status: { phase: 'Bound' },
};

describe('fakeVolumeFor', () => {
  it('takes size and modes from the host status, class and mode from the virtual claim, nothing of the host volume', () => {
    const virtual: KubeObject = {
      metadata: { name: 'data', namespace: 'team', uid: 'u1' },
      spec: {
        storageClassName: '',
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        volumeMode: 'Block',
      },
    };
    const host: KubeObject = {
      metadata: { name: 'data-x-team-x-vc', namespace: 'host-ns' },
      spec: { volumeName: 'pvc-9', storageClassName: 'host-default' },
      status: { phase: 'Bound', accessModes: ['ReadWriteMany'], capacity: { storage: '2Gi' } },
    };
    const pv = fakeVolumeFor(virtual, host);
    expect(pv.metadata?.name).toBe('pvc-9');
    expect(pv.spec).toMatchObject({
      capacity: { storage: '2Gi' },
      accessModes: ['ReadWriteMany'],
      storageClassName: '',
      volumeMode: 'Block',
      claimRef: { namespace: 'team', name: 'data', uid: 'u1' },
      flexVolume: { driver: 'vsyncer.dev/fake' },
    });
    expect(JSON.stringify(pv)).not.toContain('host-ns');
    expect(JSON.stringify(pv)).not.toContain('data-x-team-x-vc');
    expect(isShownVolume(pv)).toBe(true);
    expect(claimKeyOfShownVolume(pv)).toBe('team/data');
  });
});

describe('hostDetailsVolumeFor', () => {
  const pv = hostDetailsVolumeFor(virtualClaim, hostVolume);

  it("shows the host volume's source, size, modes and node affinity, bound to the virtual claim", () => {
    expect(pv.metadata?.name).toBe('pvc-9');
    expect(pv.metadata?.annotations?.['vcluster.loft.sh/host-pv']).toBe('pvc-9');
    expect(pv.metadata?.labels?.['topology.kubernetes.io/zone']).toBe('z1');
    expect(pv.spec).toMatchObject({
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'fast',
      csi: { driver: 'ebs.csi.aws.com', volumeHandle: 'vol-0abc', fsType: 'ext4' },
      nodeAffinity: volumeSpecOf(hostVolume).nodeAffinity,
      claimRef: { namespace: 'team', name: 'data', uid: 'u1' },
    });
    expect(isShownVolume(pv)).toBe(true);
    expect(claimKeyOfShownVolume(pv)).toBe('team/data');
  });

  it('names no host Secret, host claim or host namespace, and takes none of the host annotations or syncer labels', () => {
    const text = JSON.stringify(pv);
    for (const hidden of ['aws-creds', 'kube-system', 'host-ns', 'data-x-team-x-vc'])
      expect(text).not.toContain(hidden);
    expect(pv.metadata?.annotations?.['pv.kubernetes.io/provisioned-by']).not.toBe('ebs.csi.aws.com');
    expect(pv.metadata?.labels?.['vcluster.loft.sh/fake-pv']).toBeUndefined();
    // Secret references keep their shape (some sources require them), under a stand-in name.
    expect((pv.spec as { csi: object }).csi).toMatchObject({
      nodePublishSecretRef: { name: HIDDEN_SECRET_NAME, namespace: HIDDEN_SECRET_NAME },
      volumeAttributes: {
        'storage.kubernetes.io/csiProvisionerIdentity': 'p1',
        'csi.storage.k8s.io/node-publish-secret-name': HIDDEN_SECRET_NAME,
      },
    });
    const azure = hostDetailsVolumeFor(virtualClaim, {
      ...hostVolume,
      spec: { azureFile: { secretName: 'storage-key', shareName: 'data', secretNamespace: 'kube-system' } },
    });
    expect(volumeSpecOf(azure).azureFile).toEqual({
      secretName: HIDDEN_SECRET_NAME,
      shareName: 'data',
      secretNamespace: HIDDEN_SECRET_NAME,
    });
  });

  it('takes the virtual claim class, not the host one', () => {
    const other = hostDetailsVolumeFor({ ...virtualClaim, spec: {} }, hostVolume);
    expect(volumeSpecOf(other).storageClassName).toBe('');
  });
});

describe('boundToClaim', () => {
  it('holds only when the claim names the volume and the volume names the claim, UID included', () => {
    expect(boundToClaim(hostVolume, hostClaim)).toBe(true);
    const otherUid = { ...hostClaim, metadata: { ...hostClaim.metadata, uid: 'h2' } };
    expect(boundToClaim(hostVolume, otherUid)).toBe(false);
    const namesOther = { ...hostClaim, spec: { volumeName: 'pvc-other' } };
    expect(boundToClaim(hostVolume, namesOther)).toBe(false);
    const unbound = { ...hostVolume, spec: { ...volumeSpecOf(hostVolume), claimRef: undefined } };
    expect(boundToClaim(unbound, hostClaim)).toBe(false);
    const noUid = {
      ...hostVolume,
      spec: { ...volumeSpecOf(hostVolume), claimRef: { namespace: 'host-ns', name: 'data-x-team-x-vc' } },
    };
    expect(boundToClaim(noUid, hostClaim)).toBe(false);
  });
});

describe('shownVolumeInSync', () => {
  const desired = hostDetailsVolumeFor(virtualClaim, hostVolume);

  it('leaves server defaults and other fields be', () => {
    const current = {
      ...desired,
      metadata: { ...desired.metadata, finalizers: ['kubernetes.io/pv-protection'] },
      spec: { ...volumeSpecOf(desired), csi: { ...(desired.spec as { csi: object }).csi, readOnly: false } },
    };
    expect(shownVolumeInSync(desired, current)).toBe(true);
  });

  it.each<[string, (pv: KubeObject) => KubeObject]>([
    ['capacity', (pv) => ({ ...pv, spec: { ...volumeSpecOf(pv), capacity: { storage: '5Gi' } } })],
    ['source', (pv) => ({ ...pv, spec: { ...volumeSpecOf(pv), csi: { driver: 'x', volumeHandle: 'y' } } })],
    [
      'claim',
      (pv) => ({
        ...pv,
        spec: { ...volumeSpecOf(pv), claimRef: { namespace: 'team', name: 'data', uid: 'u2' } },
      }),
    ],
    ['label', (pv) => ({ ...pv, metadata: { ...pv.metadata, labels: {} } })],
    ['annotation', (pv) => ({ ...pv, metadata: { ...pv.metadata, annotations: {} } })],
  ])('a tenant edit of its %s is not', (_what, edit) => {
    expect(shownVolumeInSync(desired, edit(desired))).toBe(false);
  });
});

describe('isShownVolume', () => {
  it("is false for a tenant's volume, even one with vCluster's host-pv annotation but not the syncer's label", () => {
    expect(
      isShownVolume({ metadata: { name: 'mine', annotations: { 'vcluster.loft.sh/host-pv': 'x' } } }),
    ).toBe(false);
    expect(isShownVolume(undefined)).toBe(false);
  });
});
