import {
  requestedNamesRefusal,
  gatewayHostnamesOverlap,
  ingressHostsOverlap,
  invalidReservedHosts,
  reservedHostRefusal,
  hostWithin,
  unallowedHostRefusal,
} from './reserved-hosts.ts';

describe('reserved hosts', () => {
  it('Ingress overlap: equal names (case aside), and a wildcard with a name one label under it', () => {
    expect(ingressHostsOverlap('vc1.example.com', 'VC1.Example.com')).toBe(true);
    expect(ingressHostsOverlap('*.example.com', 'vc1.example.com')).toBe(true);
    expect(ingressHostsOverlap('vc1.example.com', '*.example.com')).toBe(true);
    expect(ingressHostsOverlap('*.example.com', '*.example.com')).toBe(true);
    // A wildcard covers one label only; other names and suffixes do not overlap.
    expect(ingressHostsOverlap('*.example.com', 'a.vc1.example.com')).toBe(false);
    expect(ingressHostsOverlap('*.example.com', '*.vc1.example.com')).toBe(false);
    expect(ingressHostsOverlap('*.example.com', 'example.com')).toBe(false);
    expect(ingressHostsOverlap('vc1.example.com.evil', 'vc1.example.com')).toBe(false);
    expect(ingressHostsOverlap('xvc1.example.com', 'vc1.example.com')).toBe(false);
  });

  it('Gateway API overlap: a wildcard covers names of any depth under it, and narrower wildcards', () => {
    expect(gatewayHostnamesOverlap('vc1.example.com', 'VC1.example.com')).toBe(true);
    expect(gatewayHostnamesOverlap('*.example.com', 'vc1.example.com')).toBe(true);
    expect(gatewayHostnamesOverlap('*.example.com', 'a.vc1.example.com')).toBe(true);
    expect(gatewayHostnamesOverlap('a.vc1.example.com', '*.example.com')).toBe(true);
    expect(gatewayHostnamesOverlap('*.example.com', '*.vc1.example.com')).toBe(true);
    expect(gatewayHostnamesOverlap('*.vc1.example.com', '*.example.com')).toBe(true);
    // Never the wildcard's own domain, nor a name that only ends in the same letters.
    expect(gatewayHostnamesOverlap('*.example.com', 'example.com')).toBe(false);
    expect(gatewayHostnamesOverlap('*.example.com', 'badexample.com')).toBe(false);
    expect(gatewayHostnamesOverlap('*.vc1.example.com', 'vc2.example.com')).toBe(false);
    expect(gatewayHostnamesOverlap('vc1.example.com.evil', 'vc1.example.com')).toBe(false);
  });

  it('names the host claimed and the reserved one it meets; none claimed, none refused', () => {
    const reserved = ['vc1.example.com'];
    expect(reservedHostRefusal(['web.example.com', 'VC1.example.com'], reserved, ingressHostsOverlap)).toBe(
      `host "VC1.example.com" is reserved for the virtual cluster's API server ("vc1.example.com")`,
    );
    expect(reservedHostRefusal(['web.example.com'], reserved, gatewayHostnamesOverlap)).toBeUndefined();
    expect(reservedHostRefusal(['vc1.example.com'], [], gatewayHostnamesOverlap)).toBeUndefined();
  });

  it('takes DNS names with a wildcard first label at most', () => {
    expect(invalidReservedHosts(['vc1.example.com', '*.example.com', 'API.Example.com'])).toBeUndefined();
    for (const bad of ['a b', '*foo.example.com', 'a.*.example.com', 'https://vc1.example.com', ''])
      expect(invalidReservedHosts([bad])).toBe(
        `must be a DNS name (a "*." wildcard first label at most), got ${JSON.stringify(bad)}`,
      );
  });
});

describe('allowed hosts', () => {
  it('an entry covers itself; a wildcard entry every name under it at any depth, wildcards too, never its own domain', () => {
    expect(hostWithin('Team-A.example.com', 'team-a.example.com')).toBe(true);
    expect(hostWithin('a.team-a.example.com', '*.team-a.example.com')).toBe(true);
    expect(hostWithin('x.a.team-a.example.com', '*.team-a.example.com')).toBe(true);
    expect(hostWithin('*.a.team-a.example.com', '*.team-a.example.com')).toBe(true);
    expect(hostWithin('*.team-a.example.com', '*.team-a.example.com')).toBe(true);
    expect(hostWithin('team-a.example.com', '*.team-a.example.com')).toBe(false);
    expect(hostWithin('evilteam-a.example.com', '*.team-a.example.com')).toBe(false);
    expect(hostWithin('*.example.com', '*.team-a.example.com')).toBe(false);
    expect(hostWithin('a.team-a.example.com', 'team-a.example.com')).toBe(false);
  });

  it('refuses the first host outside every entry, and nothing when no entry is set', () => {
    expect(unallowedHostRefusal(['a.team-a.example.com', 'b.other.com'], ['*.team-a.example.com'])).toBe(
      'host "b.other.com" is not among the hosts this virtual cluster may serve ("*.team-a.example.com")',
    );
    expect(unallowedHostRefusal(['a.team-a.example.com'], ['*.team-a.example.com'])).toBeUndefined();
    expect(unallowedHostRefusal(['anything.com'], [])).toBeUndefined();
  });
});

describe('names asked for a certificate (dnsNames, common names)', () => {
  const rules = { reservedHosts: ['api.vc.example.com'], allowedHosts: ['*.tenants.example.com'] };
  it('reads them as resolvers and certificate checks do: case, spaces and a trailing dot away', () => {
    for (const name of ['api.vc.example.com.', ' API.VC.example.com ', 'Api.Vc.Example.Com'])
      expect(requestedNamesRefusal([name], rules, ingressHostsOverlap)).toMatch(/is reserved/);
    expect(requestedNamesRefusal(['web.example.com.'], rules, ingressHostsOverlap)).toMatch(
      /is not among the hosts this virtual cluster may serve/,
    );
    expect(requestedNamesRefusal(['a.tenants.example.com.'], rules, ingressHostsOverlap)).toBeUndefined();
  });

  it("lets be what is no DNS name, which nothing serves (a CA's common name)", () => {
    expect(
      requestedNamesRefusal(['team CA', 'a.tenants.example.com'], rules, ingressHostsOverlap),
    ).toBeUndefined();
  });
});
