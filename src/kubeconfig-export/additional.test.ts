import { invalidAdditionalSecrets, parseAdditionalSecret } from './additional.ts';

describe('--kubeconfig-additional-secret', () => {
  it('reads a name, and a namespace, server and context when given', () => {
    expect(parseAdditionalSecret('name=vc-extra')).toEqual({ name: 'vc-extra' });
    expect(
      parseAdditionalSecret('name=kc; namespace=team ;server=https://vc.example.com:8443;context=admin'),
    ).toEqual({ name: 'kc', namespace: 'team', server: 'https://vc.example.com:8443', context: 'admin' });
    expect(parseAdditionalSecret('name=kc;insecure=true')).toStrictEqual({ name: 'kc', insecure: true });
    expect(parseAdditionalSecret('name=kc;insecure=false')).toStrictEqual({ name: 'kc' });
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
