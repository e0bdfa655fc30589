import {
  hostKeysOf,
  invalidHostDataMappings,
  mappedHostScopes,
  parseHostDataMappings,
  virtualKeyOf,
  type HostDataMappings,
} from './mappings.ts';

const parsed = (entries: string[]): HostDataMappings => {
  const result = parseHostDataMappings(entries, 'vc-ns');
  if (typeof result === 'string') throw new Error(result);
  return result;
};

describe('host data mappings', () => {
  it.each([
    // vCluster's documented forms, each host object → its virtual key.
    [['shared/*=team/*'], 'shared/a', 'team/a'],
    [['default/my.cm=barfoo/cm-my'], 'default/my.cm', 'barfoo/cm-my'],
    [['default/my.cm=barfoo/*'], 'default/my.cm', 'barfoo/my.cm'],
    [['/specific=other/specific-copy'], 'vc-ns/specific', 'other/specific-copy'],
    [['=my-new-ns'], 'vc-ns/anything', 'my-new-ns/anything'],
    [['=my-new-ns/*'], 'vc-ns/anything', 'my-new-ns/anything'],
    // An exact name wins over its namespace's *.
    [['shared/*=team/*', 'shared/a=special/b'], 'shared/a', 'special/b'],
    [['shared/*=team/*'], 'other/a', undefined],
    [['/specific=other/specific'], 'vc-ns/else', undefined],
  ])('%j maps %s to %s', (entries, hostKey, virtualKey) => {
    expect(virtualKeyOf(parsed(entries), hostKey)).toBe(virtualKey);
  });

  it('reads a mapping backwards: the host objects a virtual key shows', () => {
    const m = parsed([
      'shared/*=team/*',
      'other/*=team/*',
      'default/my.cm=team/cm-my',
      'default/keep=team/*',
    ]);
    expect(hostKeysOf(m, 'team/cm-my').sort()).toEqual(['default/my.cm', 'other/cm-my', 'shared/cm-my']);
    expect(hostKeysOf(m, 'team/keep').sort()).toEqual(['default/keep', 'other/keep', 'shared/keep']);
    expect(hostKeysOf(m, 'elsewhere/x')).toEqual([]);
  });

  it('reads only what the mappings name: namespaces mapped whole, and single objects elsewhere', () => {
    expect(mappedHostScopes(parsed(['shared/*=team/*', 'default/x=a/x', '/y=b/y', 'shared/z=c/z']))).toEqual({
      namespaces: ['shared'],
      objects: ['default/x', 'vc-ns/y'],
    });
    expect(mappedHostScopes(parsed([]))).toEqual({ namespaces: [], objects: [] });
  });

  it.each([
    ['shared/a', 'must be <host-namespace>/<name>=<virtual-namespace>/<name>'],
    ['a=b=c', 'must be'],
    ['shared/a/b=team/a', 'the host side must be'],
    ['Shared/a=team/a', 'the host namespace is not a DNS label'],
    ['shared/A_b=team/a', 'the host name is not a DNS subdomain'],
    ['shared/a=team', 'a namespace alone only with an empty host side'],
    ['shared/a=te_am/a', 'the virtual namespace is not a DNS label'],
    ['shared/*=team/a', 'every object of host namespace shared must map to <namespace>/*'],
    ['=team/a', 'every object of host namespace host-namespace must map to <namespace>/*'],
  ])('refuses %j: %s', (entry, problem) => {
    expect(invalidHostDataMappings([entry])).toContain(problem);
  });

  it('refuses the same host object or namespace twice, and two objects mapped to one', () => {
    expect(invalidHostDataMappings(['shared/*=a/*', 'shared/*=b/*'])).toBe(
      'host namespace shared is mapped twice',
    );
    expect(parseHostDataMappings(['/x=a/x', 'vc-ns/x=b/x'], 'vc-ns')).toBe(
      'host object vc-ns/x is mapped twice',
    );
    expect(invalidHostDataMappings(['s/x=a/y', 't/y=a/*'])).toBe(
      'virtual object a/y is the target of two mappings',
    );
    // Two namespaces into one is allowed (vCluster's own e2e does it).
    expect(invalidHostDataMappings(['s/*=a/*', 't/*=a/*'])).toBeUndefined();
  });
});
