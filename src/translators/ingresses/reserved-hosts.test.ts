import { reservedIngressHostRefusal } from './reserved-hosts.ts';

describe('reserved hosts of an Ingress', () => {
  const reserved = ['vc1.example.com'];
  const ing = (spec: Record<string, unknown>) => ({ metadata: { name: 'web' }, spec });

  it('refuses an Ingress naming one in its rules, its TLS hosts or its server aliases', () => {
    expect(
      reservedIngressHostRefusal(
        ing({ rules: [{ host: 'web.example.com' }, { host: 'VC1.example.com' }] }),
        reserved,
      ),
    ).toBe(`host "VC1.example.com" is reserved for the virtual cluster's API server ("vc1.example.com")`);
    expect(reservedIngressHostRefusal(ing({ tls: [{ hosts: ['*.example.com'] }] }), reserved)).toContain(
      '"*.example.com"',
    );
    // ingress-nginx's server aliases name hosts too.
    const aliased = {
      metadata: {
        name: 'web',
        annotations: { 'nginx.ingress.kubernetes.io/server-alias': 'a.example.com, vc1.example.com' },
      },
      spec: { rules: [{ host: 'web.example.com' }] },
    };
    expect(reservedIngressHostRefusal(aliased, reserved)).toContain('host "vc1.example.com" is reserved');
  });

  it('lets one through that names none, or names them where no host is given', () => {
    expect(
      reservedIngressHostRefusal(ing({ rules: [{ host: 'web.example.com' }, {}], tls: [{}] }), reserved),
    ).toBeUndefined();
    // Wildcards match one label in an Ingress: this one does not reach the reserved name.
    expect(reservedIngressHostRefusal(ing({ rules: [{ host: '*.com' }] }), reserved)).toBeUndefined();
    expect(reservedIngressHostRefusal(ing({ rules: 'x' }), reserved)).toBeUndefined();
    expect(reservedIngressHostRefusal(ing({ rules: [{ host: 'vc1.example.com' }] }), [])).toBeUndefined();
  });
});
