import { reservedIngressHostRefusal, unallowedIngressHostRefusal } from './reserved-hosts.ts';

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

describe('server aliases, read as the ingress controllers read them', () => {
  const reserved = ['api.vc.example.com'];
  const allowed = ['*.tenant-a.example.com'];
  const aliased = (annotations: Record<string, string>) => ({
    metadata: { name: 'web', annotations },
    spec: { rules: [{ host: 'app.tenant-a.example.com' }] },
  });
  const nginx = (alias: string) => aliased({ 'nginx.ingress.kubernetes.io/server-alias': alias });

  it.each([
    // To nginx: a regular expression; wildcards at either end, or a leading dot.
    ['~^api\\.vc\\.example\\.com$'],
    ['api.vc.example.*'],
    ['.vc.example.com'],
    ['~^.*$|x.tenant-a.example.com'],
  ])('refuses an alias the controller reads as a pattern (%s), under either bound', (alias) => {
    const why = 'is not a host name (a "*." first label at most)';
    expect(reservedIngressHostRefusal(nginx(alias), reserved)).toContain(why);
    expect(unallowedIngressHostRefusal(nginx(alias), allowed)).toContain(why);
  });

  it("reads an alias's *. first label at any depth, as nginx does", () => {
    // A rule host *.example.com would match one label only; the alias reaches api.vc.example.com.
    expect(reservedIngressHostRefusal(nginx('*.example.com'), reserved)).toBe(
      `host "*.example.com" is reserved for the virtual cluster's API server ("api.vc.example.com")`,
    );
    expect(unallowedIngressHostRefusal(nginx('*.tenant-a.example.com'), allowed)).toBeUndefined();
  });

  it.each([
    ['haproxy-ingress.github.io/server-alias', 'api.vc.example.com', 'is reserved'],
    ['ingress.kubernetes.io/server-alias', 'api.vc.example.com', 'is reserved'],
    ['haproxy-ingress.github.io/server-alias-regex', '^api\\.vc\\.example\\.com', 'a regular expression'],
    ['ingress.kubernetes.io/server-alias-regex', '.*', 'a regular expression'],
  ])("reads haproxy-ingress's %s too", (key, value, why) => {
    expect(reservedIngressHostRefusal(aliased({ [key]: value }), reserved)).toContain(why);
  });

  it("reads Kong's host aliases (added to every route's hosts) as server aliases", () => {
    const kong = aliased({ 'konghq.com/host-aliases': 'a.tenant-a.example.com,api.vc.example.com' });
    expect(reservedIngressHostRefusal(kong, reserved)).toContain('is reserved');
    expect(
      unallowedIngressHostRefusal(aliased({ 'konghq.com/host-aliases': 'victim.example.com' }), allowed),
    ).toContain('"victim.example.com"');
  });

  it('judges no alias while the admin bounds no hosts', () => {
    const regex = aliased({ 'haproxy-ingress.github.io/server-alias-regex': '.*' });
    expect(reservedIngressHostRefusal(regex, [])).toBeUndefined();
    expect(unallowedIngressHostRefusal(regex, [])).toBeUndefined();
  });
});
