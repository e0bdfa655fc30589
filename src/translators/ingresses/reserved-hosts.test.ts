import { hostsOverlap, invalidReservedHosts, reservedHostRefusal } from './reserved-hosts.ts';

describe('reserved ingress hosts', () => {
  it('overlap: equal names (case aside), and a wildcard with a name one label under it', () => {
    expect(hostsOverlap('vc1.example.com', 'VC1.Example.com')).toBe(true);
    expect(hostsOverlap('*.example.com', 'vc1.example.com')).toBe(true);
    expect(hostsOverlap('vc1.example.com', '*.example.com')).toBe(true);
    expect(hostsOverlap('*.example.com', '*.example.com')).toBe(true);
    // A wildcard covers one label only; other names and suffixes do not overlap.
    expect(hostsOverlap('*.example.com', 'a.vc1.example.com')).toBe(false);
    expect(hostsOverlap('*.example.com', 'example.com')).toBe(false);
    expect(hostsOverlap('vc1.example.com.evil', 'vc1.example.com')).toBe(false);
    expect(hostsOverlap('xvc1.example.com', 'vc1.example.com')).toBe(false);
  });

  it('refuses an Ingress naming one in its rules or its TLS hosts, and names both hosts', () => {
    const reserved = ['vc1.example.com'];
    const ing = (spec: Record<string, unknown>) => ({ metadata: { name: 'web' }, spec });
    expect(
      reservedHostRefusal(
        ing({ rules: [{ host: 'web.example.com' }, { host: 'VC1.example.com' }] }),
        reserved,
      ),
    ).toBe(`host "VC1.example.com" is reserved for the virtual cluster's API server ("vc1.example.com")`);
    expect(reservedHostRefusal(ing({ tls: [{ hosts: ['*.example.com'] }] }), reserved)).toContain(
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
    expect(reservedHostRefusal(aliased, reserved)).toContain('host "vc1.example.com" is reserved');
    expect(
      reservedHostRefusal(ing({ rules: [{ host: 'web.example.com' }, {}], tls: [{}] }), reserved),
    ).toBeUndefined();
    expect(reservedHostRefusal(ing({ rules: 'x' }), reserved)).toBeUndefined();
    expect(reservedHostRefusal(ing({ rules: [{ host: 'vc1.example.com' }] }), [])).toBeUndefined();
  });

  it('takes DNS names with a wildcard first label at most', () => {
    expect(invalidReservedHosts(['vc1.example.com', '*.example.com', 'API.Example.com'])).toBeUndefined();
    for (const bad of ['a b', '*foo.example.com', 'a.*.example.com', 'https://vc1.example.com', ''])
      expect(invalidReservedHosts([bad])).toBe(
        `must be a DNS name (a "*." wildcard first label at most), got ${JSON.stringify(bad)}`,
      );
  });
});
