import { exportServiceAccount, invalidAdditionalSecrets, parseAdditionalSecret } from './additional.ts';

describe('--kubeconfig-additional-secret', () => {
  it('reads a name, and a namespace, server and context when given', () => {
    expect(parseAdditionalSecret('name=vc-extra')).toEqual({ name: 'vc-extra' });
    expect(
      parseAdditionalSecret('name=kc; namespace=team ;server=https://vc.example.com:8443;context=admin'),
    ).toEqual({ name: 'kc', namespace: 'team', server: 'https://vc.example.com:8443', context: 'admin' });
    expect(parseAdditionalSecret('name=kc;insecure=true')).toStrictEqual({ name: 'kc', insecure: true });
    expect(parseAdditionalSecret('name=kc;insecure=false')).toStrictEqual({ name: 'kc' });
  });

  it("reads vCluster's serviceAccount (namespace default kube-system) and its clusterRole", () => {
    const entry = parseAdditionalSecret('name=kc;serviceAccount=argocd;clusterRole=cluster-admin');
    expect(entry).toEqual({ name: 'kc', serviceAccount: 'argocd', clusterRole: 'cluster-admin' });
    expect(exportServiceAccount(entry as { name: string })).toEqual({
      namespace: 'kube-system',
      name: 'argocd',
      clusterRole: 'cluster-admin',
    });
    const own = parseAdditionalSecret('name=kc;serviceAccount=ci/deployer') as { name: string };
    expect(exportServiceAccount(own)).toEqual({ namespace: 'ci', name: 'deployer', clusterRole: '' });
    expect(exportServiceAccount({ name: 'kc' })).toBeUndefined();
  });

  it.each([
    ['no name', 'namespace=team', /name must be a valid Secret name/],
    ['a bad name', 'name=Not_Valid', /name must be a valid Secret name/],
    ['a bad namespace', 'name=kc;namespace=a.b', /namespace must be a valid namespace name/],
    ['a server that is no URL', 'name=kc;server=vc.example.com', /server must be an http\(s\) URL/],
    ['an empty context', 'name=kc;context=', /context must not be empty/],
    ['an unknown key', 'name=kc;proxy=http://p', /expected name=<secret>/],
    ['insecure not a boolean', 'name=kc;insecure=yes', /insecure must be true or false/],
    ['a key twice', 'name=kc;name=kd', /name given twice/],
    ['no key', 'kc', /expected name=<secret>/],
    [
      'a service account of three parts',
      'name=kc;serviceAccount=a/b/c',
      /serviceAccount: expected \[namespace\/\]name/,
    ],
    [
      'a bad service account namespace',
      'name=kc;serviceAccount=A_B/x',
      /the namespace must be a valid namespace name/,
    ],
    [
      'an empty service account',
      'name=kc;serviceAccount=',
      /the service account must be a valid object name/,
    ],
    [
      'a cluster role without an account',
      'name=kc;clusterRole=view',
      /clusterRole is bound to the serviceAccount, which is not given/,
    ],
    [
      'a cluster role with a slash',
      'name=kc;serviceAccount=x;clusterRole=a/b',
      /clusterRole must be a valid ClusterRole name/,
    ],
  ])('refuses %s, naming the problem', (_what, entry, problem) => {
    expect(parseAdditionalSecret(entry)).toMatch(problem);
    expect(invalidAdditionalSecrets([entry])).toMatch(problem);
  });

  it('refuses the same Secret twice', () => {
    expect(invalidAdditionalSecrets(['name=kc;namespace=a', 'name=kc;namespace=b'])).toBeUndefined();
    expect(invalidAdditionalSecrets(['name=kc;namespace=a', 'name=kc;namespace=a;context=x'])).toMatch(
      /the same Secret is named twice/,
    );
  });
});
