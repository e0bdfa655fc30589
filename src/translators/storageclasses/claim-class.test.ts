import { claimMetadataReadBy } from './claim-class.ts';

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
