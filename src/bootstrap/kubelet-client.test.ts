import { kubeletClientObjects } from './kubelet-client.ts';

describe('kubeletClientObjects', () => {
  it("binds the API server's kubelet client user to the built-in kubelet API role, labelled as a bootstrap", () => {
    const [only, ...rest] = kubeletClientObjects('kube-apiserver-kubelet-client');
    expect(rest).toEqual([]);
    expect(only!.type.kind).toBe('ClusterRoleBinding');
    expect(only!.object).toMatchObject({
      metadata: { name: 'vsyncer:kubelet-api-client', labels: { 'vsyncer.dev/bootstrap': 'kubelet-client' } },
      roleRef: { kind: 'ClusterRole', name: 'system:kubelet-api-admin' },
      subjects: [{ kind: 'User', name: 'kube-apiserver-kubelet-client' }],
    });
  });
});
