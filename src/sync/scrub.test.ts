import { scrubHostNames } from './scrub.ts';

describe('scrubHostNames', () => {
  const where = { vcName: 'vc1', hostNamespace: 'team-a' };
  it.each([
    ['configmaps "app-x-default-x-vc1" already exists', 'configmaps "app" already exists'],
    ['pod my.pod-x-kube-system-x-vc1 is invalid', 'pod my.pod is invalid'],
    ['forbidden in namespace team-a', 'forbidden in namespace <host namespace>'],
    [
      'secret averyveryverylongnamethatgetscutat52charactersxxxx-x-ns-a1b2c3d4e5 missing',
      'secret averyveryverylongnamethatgetscutat52charactersxxxx missing',
    ],
    ['nothing to hide here', 'nothing to hide here'],
  ])('%s', (input, expected) => {
    expect(scrubHostNames(input, where)).toBe(expected);
  });
});
