import { clusterRoleBindingName, invalidClusterRole, parseServiceAccountRef } from './service-account.ts';

describe("exportKubeConfig.serviceAccount's names", () => {
  it('reads [namespace/]name, the namespace kube-system by default as in vCluster', () => {
    expect(parseServiceAccountRef('argocd')).toEqual({ namespace: 'kube-system', name: 'argocd' });
    expect(parseServiceAccountRef('ci/deployer')).toEqual({ namespace: 'ci', name: 'deployer' });
    expect(parseServiceAccountRef('ci/')).toMatch(/the service account must be a valid object name/);
    expect(parseServiceAccountRef('/x')).toMatch(/the namespace must be a valid namespace name/);
  });

  it('takes any ClusterRole name a path can hold', () => {
    expect(invalidClusterRole('')).toBeUndefined();
    expect(invalidClusterRole('system:aggregate-to-view')).toBeUndefined();
    expect(invalidClusterRole('..')).toMatch(/must be a valid ClusterRole name/);
    expect(invalidClusterRole('a%2Fb')).toMatch(/must be a valid ClusterRole name/);
  });

  it("names the binding as vCluster does (vcluster-sa-<name>-<namespace>), cut to 63 characters with vCluster's hash", () => {
    expect(clusterRoleBindingName({ namespace: 'kube-system', name: 'argocd', clusterRole: 'view' })).toBe(
      'vcluster-sa-argocd-kube-system',
    );
    const long = clusterRoleBindingName({
      namespace: 'kube-system',
      name: 'a'.repeat(60),
      clusterRole: 'view',
    });
    expect(long).toHaveLength(63);
    expect(long).toMatch(/^vcluster-sa-a{40}-[0-9a-f]{10}$/);
  });
});
