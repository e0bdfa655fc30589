import { deniedMetadataPatternProblem, isDeniedMetadataKey, withoutDeniedKeys } from './denied-metadata.ts';

describe('denied metadata patterns', () => {
  it('match an exact key or a prefix ending in *', () => {
    expect(isDeniedMetadataKey('metallb.io/loadBalancerIPs', ['metallb.io/*'])).toBe(true);
    expect(isDeniedMetadataKey('metallb.iox/a', ['metallb.io/*'])).toBe(false);
    expect(isDeniedMetadataKey('example.com/a', ['example.com/a'])).toBe(true);
    expect(isDeniedMetadataKey('example.com/ab', ['example.com/a'])).toBe(false);
    expect(withoutDeniedKeys({ a: '1', 'x.io/b': '2' }, ['x.io/*'])).toEqual({ a: '1' });
  });

  it("keep a denied injector key whose value only turns the injector off (the tenant's opt-out), never another value", () => {
    const denied = [
      'sidecar.opentelemetry.io/*',
      'instrumentation.opentelemetry.io/*',
      'admission.datadoghq.com/*',
      'kuma.io/*',
      'consul.hashicorp.com/*',
    ];
    expect(
      withoutDeniedKeys(
        {
          'sidecar.opentelemetry.io/inject': 'false',
          'instrumentation.opentelemetry.io/inject-java': 'false',
          'instrumentation.opentelemetry.io/inject-python': 'observability/python',
          'instrumentation.opentelemetry.io/container-names': 'false',
          'admission.datadoghq.com/enabled': 'false',
          'admission.datadoghq.com/java-lib.version': 'false',
          'kuma.io/sidecar-injection': 'disabled',
          'kuma.io/mesh': 'false',
          // Consul's catalog sync, which may register every Service of a namespace.
          'consul.hashicorp.com/service-sync': 'false',
          'consul.hashicorp.com/service-name': 'false',
        },
        denied,
      ),
    ).toEqual({
      'sidecar.opentelemetry.io/inject': 'false',
      'instrumentation.opentelemetry.io/inject-java': 'false',
      'admission.datadoghq.com/enabled': 'false',
      'kuma.io/sidecar-injection': 'disabled',
      'consul.hashicorp.com/service-sync': 'false',
    });
    expect(withoutDeniedKeys({ 'sidecar.opentelemetry.io/inject': 'true' }, denied)).toEqual({});
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
