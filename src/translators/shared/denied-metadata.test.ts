import { Resources } from '../../kube/resources.ts';
import { deniedMetadataPatternProblem, isDeniedMetadataKey, withoutDeniedKeys } from './denied-metadata.ts';
import { hostMetadataFor } from './host-metadata.ts';

describe('denied metadata patterns', () => {
  it('match an exact key or a prefix ending in *', () => {
    expect(isDeniedMetadataKey('metallb.io/loadBalancerIPs', ['metallb.io/*'])).toBe(true);
    expect(isDeniedMetadataKey('metallb.iox/a', ['metallb.io/*'])).toBe(false);
    expect(isDeniedMetadataKey('example.com/a', ['example.com/a'])).toBe(true);
    expect(isDeniedMetadataKey('example.com/ab', ['example.com/a'])).toBe(false);
    expect(withoutDeniedKeys({ a: '1', 'x.io/b': '2' }, ['x.io/*'])).toEqual({ a: '1' });
  });

  it.each([
    ['*', 'a bare "*"'],
    ['', 'is not a label or annotation key'],
    ['bad key', 'is not a label or annotation key'],
    ['a/b/c', 'is not a label or annotation key'],
    ['a/b/*', 'is not a key prefix'],
    ['a b*', 'is not a key prefix'],
  ])('refuses %j', (pattern, problem) => expect(deniedMetadataPatternProblem(pattern)).toContain(problem));

  it.each(['external-dns.alpha.kubernetes.io/*', 'external-dns*', 'example.com/name', 'plain'])(
    'takes %j',
    (pattern) => expect(deniedMetadataPatternProblem(pattern)).toBeUndefined(),
  );
});

describe('hostMetadataFor with denied keys', () => {
  const service = {
    metadata: {
      name: 'web',
      namespace: 'team',
      uid: 'u1',
      labels: { app: 'web', 'vcluster.loft.sh/x': 'forged' },
      annotations: { 'external-dns.alpha.kubernetes.io/hostname': 'www.bank.example', note: 'n' },
    },
  };
  const where = { vcName: 'vc', hostNamespace: 'host-ns', hostName: 'web-x-team-x-vc' };

  it("drops the tenant's denied keys and keeps everything else", () => {
    const meta = hostMetadataFor(service, Resources.services, {
      ...where,
      deniedHostMetadata: ['external-dns.alpha.kubernetes.io/*'],
    });
    expect(meta.annotations).not.toHaveProperty(['external-dns.alpha.kubernetes.io/hostname']);
    expect(meta.annotations?.note).toBe('n');
    expect(meta.labels?.app).toBe('web');
  });

  it("never drops the syncer's own keys, whatever the patterns name", () => {
    const meta = hostMetadataFor(service, Resources.services, {
      ...where,
      deniedHostMetadata: ['vcluster.loft.sh/*', 'vsyncer.dev/*'],
    });
    expect(meta.labels).toMatchObject({
      'vcluster.loft.sh/managed-by': 'vc',
      'vcluster.loft.sh/namespace': 'team',
    });
    expect(meta.annotations).toMatchObject({
      'vcluster.loft.sh/object-name': 'web',
      'vcluster.loft.sh/object-uid': 'u1',
    });
    expect(Object.keys(meta.annotations ?? {})).toEqual(
      expect.arrayContaining(['vcluster.loft.sh/managed-annotations']),
    );
  });

  it('is the plain copy with no patterns', () => {
    expect(hostMetadataFor(service, Resources.services, { ...where, deniedHostMetadata: [] })).toEqual(
      hostMetadataFor(service, Resources.services, where),
    );
  });
});
