import { claimMetadataReadBy, claimNamedSecretsOf } from './claim-class.ts';

describe('claimNamedSecretsOf', () => {
  const ofParameters = (parameters: Record<string, unknown>) =>
    claimNamedSecretsOf({ metadata: { name: 'c' }, parameters });

  it("finds CSI Secrets named after the claim in the claim's namespace, exactly or with more around", () => {
    expect(
      ofParameters({
        'csi.storage.k8s.io/provisioner-secret-name': '${pvc.name}',
        'csi.storage.k8s.io/provisioner-secret-namespace': '${pvc.namespace}',
      }),
    ).toEqual({ exact: true, other: [] });
    expect(
      ofParameters({
        'csi.storage.k8s.io/node-stage-secret-name': '${pvc.name}-luks',
        'csi.storage.k8s.io/node-stage-secret-namespace': '${pvc.namespace}',
        csiNodePublishSecretName: 'creds-${pvc.name}',
        csiNodePublishSecretNamespace: '${pvc.namespace}',
      }),
    ).toEqual({
      exact: false,
      other: ['csi.storage.k8s.io/node-stage-secret-name', 'csiNodePublishSecretName'],
    });
  });

  it("leaves Secrets of an admin's namespace, and names not read from the claim, to the admin", () => {
    expect(
      ofParameters({
        'csi.storage.k8s.io/provisioner-secret-name': '${pvc.name}',
        'csi.storage.k8s.io/provisioner-secret-namespace': 'storage-creds',
        'csi.storage.k8s.io/node-stage-secret-name': 'ceph-admin',
        'csi.storage.k8s.io/node-stage-secret-namespace': '${pvc.namespace}',
        pool: '${pvc.name}',
        count: 3,
      }),
    ).toEqual({ exact: false, other: [] });
    expect(claimNamedSecretsOf(undefined)).toEqual({ exact: false, other: [] });
  });
});

describe('claimMetadataReadBy', () => {
  it("finds the claim annotations and labels a class's parameters read, in either template syntax", () => {
    expect(
      claimMetadataReadBy({
        metadata: { name: 'smb' },
        parameters: {
          'csi.storage.k8s.io/node-publish-secret-name': "${pvc.annotations['team.example.com/creds']}",
          'csi.storage.k8s.io/node-stage-secret-name': '${pvc.annotations["a/b"]}-${pvc.name}',
          'csi.storage.k8s.io/node-publish-secret-namespace': '${pvc.namespace}',
          pathPattern: '${.PVC.namespace}/${.PVC.annotations.nfs.io/storage-path}/${.PVC.labels.tier}',
          // Go templates (local-path-provisioner and others).
          volumeNamePattern: '{{ .PVC.Namespace }}-{{ .PVC.Annotations.volumeName }}',
          subDir:
            '{{ index .PVC.Labels "team.example.com/dir" }}/{{ index .PVC.ObjectMeta.Annotations `x/y` }}',
          count: 3,
        },
      }),
    ).toEqual({
      annotations: ['team.example.com/creds', 'a/b', 'nfs.io/storage-path', 'volumeName', 'x/y'],
      labels: ['tier', 'team.example.com/dir'],
    });
  });

  it('reads none from a class without such templates, or no class', () => {
    expect(claimMetadataReadBy({ metadata: { name: 'x' }, parameters: { type: 'gp3' } })).toEqual({
      annotations: [],
      labels: [],
    });
    expect(claimMetadataReadBy(undefined)).toEqual({ annotations: [], labels: [] });
  });
});
