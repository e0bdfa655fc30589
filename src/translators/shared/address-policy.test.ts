import {
  deniedByBounds,
  DEFAULT_DENIED_ENDPOINT_CIDRS,
  hostNameRefusal,
  isForbiddenAddress,
  podIPs,
  takesTenantEndpoints,
  vetEndpoint,
  type AddressPolicy,
} from './address-policy.ts';

/** A policy over fixed answers: this tenant's pods (`ns/name` → IPs) and other tenants' pod IPs. */
const policyOf = (
  pods: Record<string, string[]> = {},
  foreign: string[] = [],
  denied: string[] = [],
): AddressPolicy => ({
  tenantPod: (namespace, name) => {
    const ips = pods[`${namespace}/${name}`];
    return ips ? { hostName: `${name}-x-${namespace}-x-vc`, ips } : undefined;
  },
  isForeignPodIP: (ip) => foreign.includes(ip),
  isDeniedAddress: (ip) => denied.includes(ip),
});
const opts = (policy: AddressPolicy, ips = true) => ({
  namespace: 'team',
  hostNamespace: 'host-ns',
  policy,
  ips,
});

describe('isForbiddenAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '0.0.0.0',
    '0.1.2.3',
    '169.254.169.254',
    '169.254.0.1',
    '::1',
    '::',
    '0:0:0:0:0:0:0:1',
    '0000::0001',
    'fe80::1',
    'FE80::1',
    'febf::1',
    '::ffff:169.254.169.254',
    '::ffff:127.0.0.1',
    '::ffff:a9fe:a9fe',
    'fd00:ec2::254',
    'FD00:0EC2:0:0:0:0:0:254',
    'fd00:ec2::23',
    'fd20:ce::254',
    '100.100.100.200',
    '::ffff:100.100.100.200',
    // Azure's WireServer (a public address every Azure VM reaches).
    '168.63.129.16',
    '::ffff:168.63.129.16',
    // Carried by NAT64's well-known prefix or 6to4: the translator or relay sends them there.
    '64:ff9b::a9fe:a9fe',
    '64:ff9b::169.254.169.254',
    '64:ff9b::7f00:1',
    '2002:a9fe:a9fe::1',
    '2002:6464:64c8:1::5',
  ])('%s is forbidden', (ip) => expect(isForbiddenAddress(ip)).toBe(true));

  it.each([
    '192.0.2.10',
    '10.244.0.7',
    '169.253.1.1',
    '128.0.0.1',
    '2001:db8::1',
    'fd00:ec2::255',
    'fd20:ce::253',
    'fec0::1',
    '::2',
    '::ffff:192.0.2.10',
    'db.example.com',
    '',
    '300.1.1.1',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    'fd00:ec2::253',
    '100.100.100.201',
    '168.63.129.17',
    '64:ff9b::c000:20a',
    '2002:c000:20a::1',
    '64:ff9c::a9fe:a9fe',
  ])('%s is not (an address the host may reach, or no IP at all)', (ip) =>
    expect(isForbiddenAddress(ip)).toBe(false),
  );
});

describe('deniedByBounds, at the default denied blocks', () => {
  const denied = deniedByBounds({ denied: DEFAULT_DENIED_ENDPOINT_CIDRS, allowed: [] });

  it.each([
    '10.0.0.1',
    '::ffff:10.0.0.1',
    'fd12::1',
    // A private IPv4 address reached through NAT64 (well-known or local-use prefix) or 6to4.
    '64:ff9b::a00:1',
    '64:ff9b::10.0.0.1',
    '64:ff9b:1::a00:1',
    '64:ff9b:1:a00:1::',
    '2002:a00:1::1',
    '2002:c0a8:101::',
    // Blocks no outside service has, where clusters put pods and Services once private space runs
    // short (class E, benchmarking, documentation), and GKE's default Service range.
    '240.10.0.5',
    '255.255.255.255',
    '198.18.0.1',
    '192.0.0.1',
    '192.0.2.10',
    '203.0.113.7',
    '64:ff9b::c000:20a',
    '2001:db8::1',
    '100::1',
    '34.118.224.10',
  ])('%s is denied', (ip) => expect(denied(ip)).toBe(true));

  it.each([
    '93.184.216.10',
    '2606:2800:220:1::1',
    '64:ff9b::5db8:d80a',
    '2002:5db8:d80a::1',
    '34.118.240.1',
    'db.example.com',
  ])('%s is not', (ip) => expect(denied(ip)).toBe(false));

  it('an allowed IPv4 block lets its addresses through NAT64 as well; an allowed NAT64 block does not open the private IPv4 behind it', () => {
    const allowing = (allowed: string[]) =>
      deniedByBounds({ denied: DEFAULT_DENIED_ENDPOINT_CIDRS, allowed });
    expect(allowing(['10.1.0.0/16'])('64:ff9b::10.1.2.3')).toBe(false);
    expect(allowing(['64:ff9b::/96'])('64:ff9b::10.1.2.3')).toBe(true);
  });
});

describe('podIPs', () => {
  it('reads podIP and podIPs once each, skipping what is no IP', () => {
    const pod = {
      status: { podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }, null, { ip: 7 }] },
    };
    expect(podIPs(pod)).toEqual(['10.0.0.1', 'fd00::1']);
  });

  it('a pod without status has none', () => {
    expect(podIPs({})).toEqual([]);
    expect(podIPs({ status: { podIPs: 'x' } })).toEqual([]);
  });
});

describe('takesTenantEndpoints', () => {
  it.each<[string, Record<string, unknown> | undefined, boolean]>([
    ['no Service', undefined, false],
    ['no selector', { spec: { ports: [] } }, true],
    ['an empty selector', { spec: { selector: {} } }, true],
    ['a selector (the controllers make its endpoints)', { spec: { selector: { app: 'db' } } }, false],
    ['ExternalName (it has none)', { spec: { type: 'ExternalName', externalName: 'db.example.com' } }, false],
    ['no spec', {}, true],
  ])('%s: %s', (_what, service, expected) => {
    expect(takesTenantEndpoints(service)).toBe(expected);
  });
});

describe('vetEndpoint', () => {
  it('a bare IP that is nobody else’s pod is kept, without a targetRef', () => {
    expect(vetEndpoint(['192.0.2.10'], undefined, opts(policyOf()))).toEqual({ ok: true });
  });

  it('forbidden addresses are dropped first, named', () => {
    expect(vetEndpoint(['192.0.2.10', '169.254.169.254'], undefined, opts(policyOf()))).toEqual({
      ok: false,
      problem: '169.254.169.254: a loopback, link-local, unspecified or cloud metadata address',
    });
  });

  it('an address that is no string is dropped', () => {
    expect(vetEndpoint([7], undefined, opts(policyOf()))).toEqual({
      ok: false,
      problem: '7: not an address',
    });
  });

  it("another tenant's pod IP is dropped, bare or with a targetRef of this tenant's pod claiming it", () => {
    const policy = policyOf({ 'team/db-0': ['10.244.0.9'] }, ['10.244.0.9']);
    const problem = `10.244.0.9: not an address this virtual cluster may name (its own pods' IPs, or another address in a block the host admin allows with --allowed-endpoint-cidr, never another tenant's pod)`;
    expect(vetEndpoint(['10.244.0.9'], undefined, opts(policy))).toEqual({ ok: false, problem });
    // The tenant writes its pods' status: an IP there proves nothing on its own.
    expect(vetEndpoint(['10.244.0.9'], { kind: 'Pod', name: 'db-0' }, opts(policy))).toEqual({
      ok: false,
      problem,
    });
  });

  it('a denied private address is dropped, naming the flag that allows it, also as an FQDN', () => {
    const policy = policyOf({}, [], ['172.18.0.2']);
    expect(vetEndpoint(['192.0.2.10', '172.18.0.2'], undefined, opts(policy))).toEqual({
      ok: false,
      // The same words as for another tenant's pod: which is which stays the host's business.
      problem: `172.18.0.2: not an address this virtual cluster may name (its own pods' IPs, or another address in a block the host admin allows with --allowed-endpoint-cidr, never another tenant's pod)`,
    });
    // In an FQDN endpoint the same address is a name its consumers resolve to it: refused as well.
    expect(vetEndpoint(['172.18.0.2'], undefined, opts(policy, false))).toMatchObject({ ok: false });
  });

  it("a Pod targetRef of this tenant's pod with its IPs is pointed at the host pod", () => {
    const policy = policyOf({ 'team/db-0': ['10.244.0.7', 'fd00::7'] });
    expect(
      vetEndpoint(['10.244.0.7', 'fd00::7'], { kind: 'Pod', name: 'db-0', uid: 'v-uid' }, opts(policy)),
    ).toEqual({ ok: true, targetRef: { kind: 'Pod', name: 'db-0-x-team-x-vc', namespace: 'host-ns' } });
  });

  it('a Pod targetRef may name a pod of another namespace of this virtual cluster', () => {
    const policy = policyOf({ 'other/db-0': ['10.244.0.7'] });
    expect(
      vetEndpoint(['10.244.0.7'], { kind: 'Pod', name: 'db-0', namespace: 'other' }, opts(policy)),
    ).toEqual({ ok: true, targetRef: { kind: 'Pod', name: 'db-0-x-other-x-vc', namespace: 'host-ns' } });
  });

  it('a Pod targetRef with an address that is not its IP, or of no such pod, is dropped', () => {
    const policy = policyOf({ 'team/db-0': ['10.244.0.7'] });
    expect(vetEndpoint(['10.244.0.7', '10.244.0.8'], { kind: 'Pod', name: 'db-0' }, opts(policy))).toEqual({
      ok: false,
      problem: '10.244.0.8: not the IP of pod team/db-0',
    });
    expect(vetEndpoint(['10.244.0.7'], { kind: 'Pod', name: 'gone' }, opts(policy))).toEqual({
      ok: false,
      problem: '10.244.0.7: not the IP of pod team/gone',
    });
    expect(vetEndpoint(['10.244.0.7'], { kind: 'Pod' }, opts(policy))).toEqual({
      ok: false,
      problem: '10.244.0.7: not the IP of pod team/',
    });
  });

  it('any other targetRef is dropped (it names a virtual object), the address vetted as bare', () => {
    expect(vetEndpoint(['192.0.2.10'], { kind: 'Node', name: 'n1' }, opts(policyOf()))).toEqual({ ok: true });
  });

  it('hostnames (ips: false) are kept unless the host would resolve them to itself; a Pod targetRef must still be this tenant’s pod', () => {
    const policy = policyOf({ 'team/db-0': ['10.244.0.7'] });
    expect(vetEndpoint(['db.example.com', 'db-1.example.com'], undefined, opts(policy, false))).toEqual({
      ok: true,
    });
    expect(vetEndpoint(['localhost', 'db.example.com'], undefined, opts(policy, false))).toEqual({
      ok: false,
      problem: "localhost is in a private-use domain, which the host's own resolvers answer",
    });
    expect(vetEndpoint(['db.example.com'], { kind: 'Pod', name: 'db-0' }, opts(policy, false))).toEqual({
      ok: true,
      targetRef: { kind: 'Pod', name: 'db-0-x-team-x-vc', namespace: 'host-ns' },
    });
    expect(vetEndpoint(['db.example.com'], { kind: 'Pod', name: 'gone' }, opts(policy, false))).toEqual({
      ok: false,
      problem: 'db.example.com: not an address of pod team/gone',
    });
  });
});

describe('hostNameRefusal', () => {
  const rules = (hostNamespace: string) => ({ isDeniedAddress: () => false, hostNamespace });

  it.each(['svc.dev', 'db-0.db.dev', 'vc2-0.vc2-headless.dev', 'a.b.c.dev', 'DB-0.DB.Dev.'])(
    '%s is refused when the host namespace is "dev" (named like a public TLD): the search path resolves it there',
    (name) => {
      expect(hostNameRefusal(name, rules('dev'))).toMatch(
        /names a (Service|Service or pod) of the host cluster/,
      );
    },
  );

  it.each([
    ['a9fea9fe.nip.io', '169.254.169.254'],
    ['app-a9fea9fe.nip.io', '169.254.169.254'],
    ['app-7F000001.nip.io', '127.0.0.1'],
    ['fe80--1.sslip.io', 'fe80::1'],
    ['--1.sslip.io', '::1'],
    // sslip.io reads them anywhere, bounded by dots or dashes.
    ['169-254-169-254-app.sslip.io', '169.254.169.254'],
    ['a9fea9fe-app.nip.io', '169.254.169.254'],
    ['x-169.254.169.254-y.sslip.io', '169.254.169.254'],
    ['app-127-0-0-1-x.nip.io', '127.0.0.1'],
  ])('%s spells out %s in the way wildcard DNS services read it: refused', (name, ip) => {
    expect(hostNameRefusal(name, rules('host-ns'))).toContain(`spells out ${ip}`);
  });

  it('a private address in hex is refused as private, a public one is kept', () => {
    const privateOnly = { isDeniedAddress: (ip: string) => ip.startsWith('10.'), hostNamespace: 'host-ns' };
    expect(hostNameRefusal('app-0a000001.nip.io', privateOnly)).toContain(
      'spells out 10.0.0.1, which is a private address',
    );
    expect(hostNameRefusal('deadbeef.example.com', privateOnly)).toBeUndefined();
    // Outside the wildcard DNS services, eight hex digits are an ordinary name's.
    expect(hostNameRefusal('myaks-dns-7f3a1b2c.hcp.eastus.azmk8s.io', privateOnly)).toBeUndefined();
    expect(hostNameRefusal('app-0a000001.example.com', privateOnly)).toBeUndefined();
    expect(hostNameRefusal('fe80--1.example.com', privateOnly)).toBeUndefined();
    expect(hostNameRefusal('cafe-2001-db8--1.sslip.io', privateOnly)).toBeUndefined();
  });

  it.each(['db-0.db.dev', 'api.dev', 'web.app'])(
    '%s is a public name while the host namespace is another',
    (name) => {
      expect(hostNameRefusal(name, rules('host-ns'))).toBeUndefined();
    },
  );
});
