import type { KubeObject } from '../../kube/object.ts';
import { malformedIngress } from '../shared/shape.ts';
import {
  hostIngressFor,
  hostSpecInSync,
  ingressClassFromHost,
  ingressReferences,
  ingressRefusal,
  ingressSecretKeys,
  specOf,
  type IngressReference,
  type RenameReference,
} from './translate.ts';
import { loadBalancerStatusFromHost } from '../shared/load-balancer-status.ts';

const VC = 'vc1';
const HOST_NS = 'host-ns';
const where = { vcName: VC, hostNamespace: HOST_NS, virtualApiService: VC, hostName: 'web-x-team-x-vc1' };
/** A rename that shows what it was asked: `<kind>:<namespace>/<name>`. */
const tag: RenameReference = (ref) => `${ref.kind.toLowerCase()}:${ref.namespace}/${ref.name}`;
const host = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;

function ingress(spec: Record<string, unknown>, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: 'team', uid: 'u1', labels: { app: 'web' }, annotations },
    spec,
  };
}

const rule = (...services: string[]) => ({
  host: 'web.example.com',
  http: {
    paths: services.map((name, i) => ({
      path: `/${i}`,
      pathType: 'Prefix',
      backend: { service: { name, port: { number: 80 } } },
    })),
  },
});

const annotationsOf = (obj: KubeObject) => obj.metadata?.annotations ?? {};
const translate = (obj: KubeObject, rename = tag, current?: KubeObject) =>
  hostIngressFor(obj, where, rename, current);

describe('hostIngressFor', () => {
  it('renames every backend Service and TLS Secret; the rest of the spec is kept', () => {
    const virtual = ingress({
      ingressClassName: 'nginx',
      defaultBackend: { service: { name: 'fallback', port: { name: 'http' } } },
      rules: [rule('web', 'api'), { host: 'no-http.example.com' }],
      tls: [{ hosts: ['web.example.com'], secretName: 'web-tls' }, { hosts: ['x.example.com'] }],
    });
    expect(translate(virtual).spec).toEqual({
      ingressClassName: 'nginx',
      defaultBackend: { service: { name: 'service:team/fallback', port: { name: 'http' } } },
      rules: [rule('service:team/web', 'service:team/api'), { host: 'no-http.example.com' }],
      tls: [{ hosts: ['web.example.com'], secretName: 'secret:team/web-tls' }, { hosts: ['x.example.com'] }],
    });
    // The cached virtual object is never changed.
    expect(specOf(virtual).defaultBackend?.service?.name).toBe('fallback');
  });

  it('names, labels and back-references the host copy like every synced object', () => {
    const out = translate(ingress({ rules: [rule('web')] }));
    expect(out.metadata?.name).toBe(where.hostName);
    expect(out.metadata?.namespace).toBe(HOST_NS);
    expect(out.metadata?.labels).toMatchObject({ app: 'web', 'vcluster.loft.sh/managed-by': VC });
    expect(annotationsOf(out)).toMatchObject({
      'vcluster.loft.sh/object-name': 'web',
      'vcluster.loft.sh/object-namespace': 'team',
      'vcluster.loft.sh/object-kind': 'networking.k8s.io/v1, Kind=Ingress',
    });
  });

  it("keeps an IngressClass the host defaulted on its copy when the tenant named none, never over the tenant's", () => {
    const current = ingress({ ingressClassName: 'host-default' });
    expect(translate(ingress({}), tag, current).spec).toMatchObject({ ingressClassName: 'host-default' });
    expect(translate(ingress({ ingressClassName: 'mine' }), tag, current).spec).toMatchObject({
      ingressClassName: 'mine',
    });
  });

  it.each<[string, string, string]>([
    ['auth-secret by name', 'nginx.ingress.kubernetes.io/auth-secret', 'basic'],
    ['auth-tls-secret by name', 'nginx.ingress.kubernetes.io/auth-tls-secret', 'ca'],
    ['proxy-ssl-secret by name', 'nginx.ingress.kubernetes.io/proxy-ssl-secret', 'client'],
  ])('ingress-nginx %s: renamed in the Ingress namespace', (_what, key, value) => {
    const out = translate(ingress({}, { [key]: value }));
    expect(annotationsOf(out)[key]).toBe(`secret:team/${value}`);
  });

  it.each<[string, string]>([
    // HAProxy Technologies' controller: under each of its three prefixes.
    ['haproxy.org/server-crt', 'client'],
    ['haproxy.com/server-ca', 'ca'],
    ['haproxy.org/client-ca', 'ca'],
    ['haproxy.org/auth-secret', 'users'],
    ['ingress.kubernetes.io/auth-secret', 'users'],
    // haproxy-ingress: under both of its default prefixes.
    ['haproxy-ingress.github.io/auth-secret', 'users'],
    ['haproxy-ingress.github.io/auth-tls-secret', 'ca'],
    ['ingress.kubernetes.io/auth-tls-secret', 'ca'],
    ['haproxy-ingress.github.io/secure-crt-secret', 'client'],
    ['ingress.kubernetes.io/secure-verify-ca-secret', 'ca'],
  ])("HAProxy controllers' secret %s: renamed in the Ingress namespace, as ingress-nginx's", (key, value) => {
    const out = translate(ingress({}, { [key]: value }));
    expect(annotationsOf(out)[key]).toBe(`secret:team/${value}`);
  });

  it('keeps an HAProxy header without a sample fetch or variable as written', () => {
    const out = translate(ingress({}, { 'haproxy.org/response-set-header': 'Cache-Control "no-store"' }));
    expect(annotationsOf(out)['haproxy.org/response-set-header']).toBe('Cache-Control "no-store"');
    // A `$` anchoring a regular expression names no variable.
    const rewrite = translate(ingress({}, { 'haproxy.org/path-rewrite': '^/api/(.*)$ /\\1' }));
    expect(annotationsOf(rewrite)['haproxy.org/path-rewrite']).toBe('^/api/(.*)$ /\\1');
  });

  it.each(['ingress.kubernetes.io/auth-tls-secret', 'haproxy.org/server-crt'])(
    "%s as namespace/name (kube-system/x): that virtual namespace's copy, never the host's namespace",
    (key) => {
      const out = translate(ingress({}, { [key]: 'kube-system/x' }));
      expect(annotationsOf(out)[key]).toBe(`${HOST_NS}/secret:kube-system/x`);
    },
  );

  it("ingress-nginx secret as namespace/name: that namespace's copy, in the host namespace", () => {
    const key = 'nginx.ingress.kubernetes.io/auth-tls-secret';
    const out = translate(ingress({}, { [key]: 'certs/ca' }));
    expect(annotationsOf(out)[key]).toBe(`${HOST_NS}/secret:certs/ca`);
  });

  it('ingress-nginx default-backend: renamed like a backend Service', () => {
    const key = 'nginx.ingress.kubernetes.io/default-backend';
    expect(annotationsOf(translate(ingress({}, { [key]: 'errors' })))[key]).toBe('service:team/errors');
  });

  it('ALB actions: the key and the forwarded Services renamed, the rest of the action kept', () => {
    const action = {
      type: 'forward',
      forwardConfig: {
        targetGroups: [
          { serviceName: 'blue', servicePort: '80', weight: 20 },
          { targetGroupARN: 'arn:aws:elasticloadbalancing:tg/green', weight: 80 },
        ],
        targetGroupStickinessConfig: { enabled: true },
      },
    };
    const virtual = ingress(
      {
        rules: [
          {
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'split', port: { name: 'use-annotation' } } },
                },
              ],
            },
          },
        ],
      },
      {
        'alb.ingress.kubernetes.io/actions.split': JSON.stringify(action),
        'alb.ingress.kubernetes.io/conditions.split': '[{"field":"host-header"}]',
      },
    );
    const out = translate(virtual);
    const annotations = annotationsOf(out);
    expect(annotations['alb.ingress.kubernetes.io/actions.split']).toBeUndefined();
    expect(JSON.parse(annotations[`alb.ingress.kubernetes.io/actions.${host('split')}`]!)).toEqual({
      ...action,
      forwardConfig: {
        ...action.forwardConfig,
        targetGroups: [
          { ...action.forwardConfig.targetGroups[0], serviceName: 'service:team/blue' },
          action.forwardConfig.targetGroups[1],
        ],
      },
    });
    expect(annotations[`alb.ingress.kubernetes.io/conditions.${host('split')}`]).toBe(
      '[{"field":"host-header"}]',
    );
    // The backend names the action (renamed like its key), not a Service: nothing to resolve.
    expect(specOf(out).rules?.[0]?.http?.paths[0]?.backend.service?.name).toBe(host('split'));
    expect(ingressReferences(virtual, where).map((r) => r.field)).toEqual([
      'metadata.annotations["alb.ingress.kubernetes.io/actions.split"].forwardConfig.targetGroups[0].serviceName',
    ]);
  });

  it('ALB actions without a Service are copied verbatim (only the key renamed)', () => {
    const value = '{ "type": "fixed-response", "fixedResponseConfig": {"statusCode": "404"} }';
    const out = translate(ingress({}, { 'alb.ingress.kubernetes.io/actions.nope': value }));
    expect(annotationsOf(out)[`alb.ingress.kubernetes.io/actions.${host('nope')}`]).toBe(value);
  });

  it('a use-annotation backend without its action annotation is a Service like any other', () => {
    const virtual = ingress({
      defaultBackend: { service: { name: 'plain', port: { name: 'use-annotation' } } },
    });
    expect(specOf(translate(virtual)).defaultBackend?.service?.name).toBe('service:team/plain');
  });

  it('ALB OIDC: the client-credentials Secret renamed', () => {
    const key = 'alb.ingress.kubernetes.io/auth-idp-oidc';
    const value = JSON.stringify({ issuer: 'https://idp.example.com', secretName: 'oidc' });
    const out = JSON.parse(annotationsOf(translate(ingress({}, { [key]: value })))[key]!);
    expect(out).toEqual({ issuer: 'https://idp.example.com', secretName: 'secret:team/oidc' });
  });

  it('ALB JSON fields are found as the controller (Go encoding/json) finds them: in any case', () => {
    const action = {
      type: 'forward',
      ForwardConfig: { TargetGroups: [{ SERVICENAME: 'web', servicePort: 80 }] },
    };
    const actions = annotationsOf(
      translate(ingress({}, { 'alb.ingress.kubernetes.io/actions.split': JSON.stringify(action) })),
    );
    expect(JSON.parse(actions[`alb.ingress.kubernetes.io/actions.${host('split')}`]!)).toEqual({
      type: 'forward',
      ForwardConfig: { TargetGroups: [{ SERVICENAME: 'service:team/web', servicePort: 80 }] },
    });
    // The long s folds onto s for Go, as the Kelvin sign does onto k.
    const key = 'alb.ingress.kubernetes.io/auth-idp-oidc';
    const oidc = annotationsOf(translate(ingress({}, { [key]: '{"\u017fecretName":"oidc"}' })));
    expect(JSON.parse(oidc[key]!)).toEqual({ '\u017fecretName': 'secret:team/oidc' });
  });

  it('NGINX Inc. secret annotations (basic auth, JWT key): renamed like the TLS Secret', () => {
    const annotations = { 'nginx.org/basic-auth-secret': 'users', 'nginx.com/jwt-key': 'jwk' };
    expect(annotationsOf(translate(ingress({}, annotations)))).toMatchObject({
      'nginx.org/basic-auth-secret': 'secret:team/users',
      'nginx.com/jwt-key': 'secret:team/jwk',
    });
  });

  it('other annotations are copied as they are', () => {
    const annotations = {
      'nginx.ingress.kubernetes.io/rewrite-target': '/',
      'kubernetes.io/ingress.class': 'nginx',
      'cert-manager.io/cluster-issuer': 'letsencrypt',
      // A URL the host controller calls, outside the host cluster: kept.
      'nginx.ingress.kubernetes.io/auth-url': 'https://auth.example.com/check?rd=$escaped_request_uri',
      // nginx variables in braces, a regular expression's repeat count, a trailing line break (a
      // YAML block), and a backslash where only ingress-nginx's Lua reads the value: none ends a directive.
      'nginx.ingress.kubernetes.io/global-rate-limit-key': '${remote_addr}${http_x_api_client}',
      'nginx.ingress.kubernetes.io/auth-tls-match-cn': 'CN=(web|api)-[0-9]{1,3}\n',
      'nginx.ingress.kubernetes.io/canary-by-header-pattern': '^v\\d{1,3}$',
      // Values ingress-nginx's own validators take: a regular expression's backslashes, a CIDR list
      // on several lines (split on commas, each entry trimmed).
      'nginx.ingress.kubernetes.io/server-alias': '~^www\\d+\\.example\\.com$',
      'nginx.ingress.kubernetes.io/whitelist-source-range': '10.0.0.0/8,\n192.168.0.0/16\n',
    };
    expect(annotationsOf(translate(ingress({}, annotations)))).toMatchObject(annotations);
  });

  it("an auth URL on the request's own host ($host, oauth2-proxy's pattern) is kept when every name the Ingress serves is one the controller may call; else refused", () => {
    const annotations = {
      'nginx.ingress.kubernetes.io/auth-url': 'https://$host/oauth2/auth',
      'nginx.ingress.kubernetes.io/auth-signin': 'https://$host/oauth2/start?rd=$escaped_request_uri',
    };
    const withHosts = (...hosts: string[]) =>
      ingress({ rules: hosts.map((host) => ({ ...rule('web'), host })) }, annotations);
    expect(annotationsOf(translate(withHosts('web.example.com', '*.apps.example.com')))).toMatchObject(
      annotations,
    );
    const refused: [KubeObject, string][] = [
      [
        withHosts('web.example.com', 'admin.internal'),
        '"admin.internal": admin.internal is in a private-use domain',
      ],
      [withHosts('*.svc.cluster.local'), '"*.svc.cluster.local": any.svc.cluster.local'],
      [
        ingress({ rules: [{ ...rule('web'), host: undefined }] }, annotations),
        'spec.rules[0] has no host, so it serves every name',
      ],
      [
        ingress(
          { rules: [rule('web')], defaultBackend: { service: { name: 'web', port: { number: 80 } } } },
          annotations,
        ),
        'spec.defaultBackend serves every name',
      ],
      [
        ingress(
          { rules: [rule('web')] },
          { ...annotations, 'nginx.ingress.kubernetes.io/server-alias': '10.0.0.5.nip.io' },
        ),
        '"10.0.0.5.nip.io": 10.0.0.5.nip.io spells out 10.0.0.5',
      ],
    ];
    for (const [obj, why] of refused) expect(() => translate(obj)).toThrow(why);
  });

  it("a regular expression's path (ingress-nginx's use-regex) is copied as written: repeat counts and backslashes end no directive", () => {
    const paths = ['/api/v[0-9]{1,2}/(.*)', '/.+\\.php$'];
    const regex = rule('web', 'web');
    regex.http.paths.forEach((p, i) => {
      p.path = paths[i]!;
      p.pathType = 'ImplementationSpecific';
    });
    const out = translate(ingress({ rules: [regex] }, { 'nginx.ingress.kubernetes.io/use-regex': 'true' }));
    expect(specOf(out).rules?.[0]?.http?.paths.map((p) => p.path)).toEqual(paths);
  });

  it('a reference the kind cannot resolve is written as the rename says (a name nobody holds)', () => {
    const rename: RenameReference = (ref) =>
      ref.name === 'gone' ? 'vsyncer-absent-reference' : host(ref.name);
    const out = translate(ingress({ rules: [rule('gone', 'web')] }), rename);
    expect(specOf(out).rules?.[0]?.http?.paths.map((p) => p.backend.service?.name)).toEqual([
      'vsyncer-absent-reference',
      host('web'),
    ]);
  });
});

describe('ingressRefusal', () => {
  it.each<[string, KubeObject, string]>([
    [
      'a resource default backend',
      ingress({ defaultBackend: { resource: { apiGroup: 'k8s.example.com', kind: 'Bucket', name: 'b' } } }),
      'spec.defaultBackend.resource: resource backends cannot be synced to the host',
    ],
    [
      'a resource backend in a rule',
      ingress({
        rules: [
          rule('web'),
          {
            http: {
              paths: [
                { path: '/', pathType: 'Prefix', backend: { resource: { kind: 'Secret', name: 'x' } } },
              ],
            },
          },
        ],
      }),
      'spec.rules[1].http.paths[0].backend.resource: resource backends cannot be synced to the host',
    ],
    [
      'an ingress-nginx secret with three parts',
      ingress({}, { 'nginx.ingress.kubernetes.io/auth-secret': 'a/b/c' }),
      'metadata.annotations["nginx.ingress.kubernetes.io/auth-secret"] must name a Secret as "name" or "namespace/name"',
    ],
    [
      'an ingress-nginx secret with an empty part',
      ingress({}, { 'nginx.ingress.kubernetes.io/proxy-ssl-secret': '/client' }),
      'metadata.annotations["nginx.ingress.kubernetes.io/proxy-ssl-secret"] must name a Secret as "name" or "namespace/name"',
    ],
    [
      'an empty ingress-nginx secret',
      ingress({}, { 'nginx.ingress.kubernetes.io/auth-tls-secret': '' }),
      'metadata.annotations["nginx.ingress.kubernetes.io/auth-tls-secret"] must name a Secret as "name" or "namespace/name"',
    ],
    [
      'an ingress-nginx default backend in another namespace',
      ingress({}, { 'nginx.ingress.kubernetes.io/default-backend': 'other/errors' }),
      'metadata.annotations["nginx.ingress.kubernetes.io/default-backend"] must name a Service of the Ingress\'s namespace',
    ],
    [
      'an ingress-nginx annotation naming a ConfigMap',
      ingress({}, { 'nginx.ingress.kubernetes.io/custom-headers': 'team/headers' }),
      'metadata.annotations["nginx.ingress.kubernetes.io/custom-headers"]: config maps named by ingress annotations are not synced to the host',
    ],
    ...(
      [
        ['haproxy.org/response-set-header', 'X-Leak %[env(LICENSE_KEY)]'],
        ['haproxy.com/request-set-header', 'X-Leak %[env(HOME)]'],
        ['ingress.kubernetes.io/set-host', '%[env(HOSTNAME)]'],
        ['haproxy-ingress.github.io/headers', 'x-leak: %[env(POD_NAME)]'],
        // With flags, or a name, before the expression.
        ['haproxy.org/request-set-header', 'X-Leak %{+Q}[env(SECRET)]'],
        ['haproxy.org/response-set-header', 'X-Leak %(leak)[env(SECRET)]'],
      ] as const
    ).map(([key, value]): [string, KubeObject, string] => [
      `an HAProxy sample fetch in ${key}: ${value} (the controller's environment)`,
      ingress({}, { [key]: value }),
      `metadata.annotations[${JSON.stringify(key)}]: a sample fetch (%[...], %{...}[...], %(...)[...]) would be evaluated by the host's shared ingress controller, with its environment`,
    ]),
    ...['X-Leak ${SECRET}', 'X-Leak $SECRET'].map((value): [string, KubeObject, string] => [
      `an environment variable in an HAProxy header (${value}), expanded in the quotes the controller writes`,
      ingress({}, { 'haproxy.org/request-set-header': value }),
      'metadata.annotations["haproxy.org/request-set-header"]: an environment variable ($NAME, ${NAME}) would be expanded by the host\'s shared ingress controller',
    ]),
    [
      'an ingress-nginx configuration snippet (it would run in the host controller)',
      ingress(
        {},
        { 'nginx.ingress.kubernetes.io/server-snippet': 'location /x { alias /var/run/secrets/; }' },
      ),
      'metadata.annotations["nginx.ingress.kubernetes.io/server-snippet"]: configuration snippets would run in the host\'s shared ingress controller',
    ],
    ...[
      'nginx.org/server-snippets',
      'nginx.org/location-snippets',
      'nginx.ingress.kubernetes.io/stream-snippet',
      // HAProxy Technologies' controller reads its keys under three prefixes alike.
      'haproxy.org/backend-config-snippet',
      'haproxy.com/backend-config-snippet',
      'ingress.kubernetes.io/backend-config-snippet',
      'haproxy.org/frontend-config-snippet',
      'haproxy.com/route-acl',
      // haproxy-ingress: both of its default prefixes, every config-* key.
      'haproxy-ingress.github.io/config-backend',
      'ingress.kubernetes.io/config-backend',
      'haproxy-ingress.github.io/config-frontend',
      'ingress.kubernetes.io/config-global',
      'haproxy-ingress.github.io/config-defaults',
      'haproxy-ingress.github.io/config-tcp-service',
      'getambassador.io/config',
      'zalando.org/skipper-routes',
    ].map((key): [string, KubeObject, string] => [
      `a ${key} snippet (another controller's, it would run in the host controller too)`,
      ingress({}, { [key]: 'location /x { alias /var/run/secrets/; }' }),
      `metadata.annotations[${JSON.stringify(key)}]: configuration snippets would run in the host's shared ingress controller`,
    ]),
    ...[
      [
        'http://169.254.169.254/latest/meta-data/',
        '169.254.169.254 is a loopback, link-local, unspecified or cloud metadata address',
      ],
      [
        'http://admin.kube-system.svc.cluster.local/auth',
        "admin.kube-system.svc.cluster.local is in a private-use domain, which the host's own resolvers answer",
      ],
      [
        'https://10.0.0.5/auth',
        '10.0.0.5 is a private address (the host admin may allow it with --allowed-endpoint-cidr)',
      ],
      ['[::1]:8080', '::1 is a loopback, link-local, unspecified or cloud metadata address'],
      [
        'http://$host/auth',
        '"$host" is the name each request comes in by, and an Ingress without rules serves every name: give the URL a fixed host',
      ],
      [
        'http://$host.evil.example/auth',
        '"http://$host.evil.example/auth" names no fixed host the syncer can judge',
      ],
      // A character no host name has: where the controller's parser ends the host is not known.
      [
        'http://169.254.169.254,x.com/',
        '"http://169.254.169.254,x.com/" names no fixed host the syncer can judge',
      ],
    ].map(([url, why]): [string, KubeObject, string] => [
      `an ingress-nginx auth-url the host controller would call inside the host (${url})`,
      ingress({}, { 'nginx.ingress.kubernetes.io/auth-url': url! }),
      `metadata.annotations["nginx.ingress.kubernetes.io/auth-url"]: ${why}`,
    ]),
    [
      'an ingress-nginx mirror target inside the host',
      ingress({}, { 'nginx.ingress.kubernetes.io/mirror-target': 'http://web.host-ns:8080$request_uri' }),
      'metadata.annotations["nginx.ingress.kubernetes.io/mirror-target"]: web.host-ns names a Service of the host cluster (<service>.<namespace>)',
    ],
    // Values that would end the directive ingress-nginx writes them into (CVE-2025-24514, -1097,
    // -1098: its versions before 1.11.5 and 1.12.1 wrote them unescaped), then run the rest.
    ...(
      [
        [
          'nginx.ingress.kubernetes.io/auth-url',
          'http://example.com/#\n}}}\nserver { listen 9999; }\n#',
          '"\\n"',
        ],
        ['nginx.ingress.kubernetes.io/auth-tls-match-cn', 'CN=abc #(\n){}\n }}\nssl_engine x;\n#', '"{"'],
        ['nginx.ingress.kubernetes.io/mirror-target', 'https://example.com/x;}', '";"'],
        ['nginx.ingress.kubernetes.io/upstream-vhost', 'example.com"; proxy_pass http://10.0.0.1', '"\\""'],
        ['nginx.ingress.kubernetes.io/auth-cache-key', '$remote_user} location /x {', '"}"'],
        // A backslash at the end escapes the quote written after the value.
        ['nginx.ingress.kubernetes.io/auth-tls-match-cn', 'CN=client\\', '"\\\\"'],
        // ingress-nginx's free text under the prefix it shares with HAProxy's controllers.
        ['ingress.kubernetes.io/auth-tls-match-cn', 'CN=abc #(\n){}\n }}\nssl_engine x;\n#', '"{"'],
        // Under any controller's prefix, a URL needs none of them either.
        ['haproxy-ingress.github.io/auth-url', "https://auth.example.com/'x", `"'"`],
      ] as const
    ).map(([key, value, found]): [string, KubeObject, string] => [
      `${key} with ${found}, which would end the host controller's directive`,
      ingress({}, { [key]: value }),
      `metadata.annotations[${JSON.stringify(key)}]: ${found} could end a directive of the host's shared ingress controller's configuration, which would then run what follows (no value of this annotation needs it)`,
    ]),
    [
      'a path holding nginx directives (CVE-2021-25745)',
      ingress({
        rules: [
          {
            host: 'a.example.com',
            http: {
              paths: [
                {
                  path: '/x { alias /etc/; } location /y',
                  pathType: 'ImplementationSpecific',
                  backend: { service: { name: 'web', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      }),
      'spec.rules[0].http.paths[0].path: " " could end a directive of the host\'s shared ingress controller\'s configuration, which would then run what follows (a path needs it escaped)',
    ],
    [
      'a regular expression path ending in a backslash (it would escape the closing quote)',
      ingress({
        rules: [
          {
            host: 'a.example.com',
            http: {
              paths: [
                {
                  path: '/x\\',
                  pathType: 'ImplementationSpecific',
                  backend: { service: { name: 'web', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      }),
      'spec.rules[0].http.paths[0].path: "\\\\" could end a directive of the host\'s shared ingress controller\'s configuration, which would then run what follows (a path needs it escaped)',
    ],
    [
      "a haproxy-ingress secret that is a file of the controller's",
      ingress({}, { 'haproxy-ingress.github.io/secure-crt-secret': 'file:///etc/haproxy/client.pem' }),
      'metadata.annotations["haproxy-ingress.github.io/secure-crt-secret"] must name a Secret as "name" or "namespace/name"',
    ],
    ...['haproxy.org/cr-backend', 'haproxy.com/cr-backend', 'ingress.kubernetes.io/cr-backend'].map(
      (key): [string, KubeObject, string] => [
        `HAProxy custom resources of any host namespace (${key})`,
        ingress({}, { [key]: 'kube-system/admin-backend' }),
        `metadata.annotations[${JSON.stringify(key)}] names HAProxy custom resources (Backend, Defaults, Global) of host namespaces`,
      ],
    ),
    [
      "a haproxy-ingress auth-url naming a Service (svc://): on the host, one of the host namespace's",
      ingress({}, { 'haproxy-ingress.github.io/auth-url': 'svc://admin-auth:8080/auth' }),
      'metadata.annotations["haproxy-ingress.github.io/auth-url"]: admin-auth is a bare name, which the host resolves among its own Services',
    ],
    [
      "an ALB IngressGroup (a load balancer shared with the host's other Ingresses)",
      ingress({}, { 'alb.ingress.kubernetes.io/group.name': 'shared' }),
      'metadata.annotations["alb.ingress.kubernetes.io/group.name"]: would join a load balancer shared with the host\'s other Ingresses',
    ],
    [
      "a cert-manager Issuer (of the host namespace, never the tenant's)",
      ingress({}, { 'cert-manager.io/issuer': 'internal-ca-x-payments-x-b' }),
      'metadata.annotations["cert-manager.io/issuer"] names an Issuer of the host namespace, which is not this tenant\'s: use a ClusterIssuer (cert-manager.io/cluster-issuer)',
    ],
    [
      "Traefik middlewares of any host namespace (an admin's authentication, say)",
      ingress(
        {},
        { 'traefik.ingress.kubernetes.io/router.middlewares': 'kube-system-admin-auth@kubernetescrd' },
      ),
      'metadata.annotations["traefik.ingress.kubernetes.io/router.middlewares"] names Traefik Middlewares of host namespaces',
    ],
    [
      'an NGINX Inc. basic-auth secret in another namespace',
      ingress({}, { 'nginx.org/basic-auth-secret': 'other/users' }),
      'metadata.annotations["nginx.org/basic-auth-secret"] must name a Secret of the Ingress\'s namespace',
    ],
    [
      'an ALB action that is not JSON',
      ingress({}, { 'alb.ingress.kubernetes.io/actions.a': '{nope' }),
      'metadata.annotations["alb.ingress.kubernetes.io/actions.a"] must be a JSON object',
    ],
    [
      'an ALB action whose service name is a number',
      ingress(
        {},
        { 'alb.ingress.kubernetes.io/actions.a': '{"forwardConfig":{"targetGroups":[{"serviceName":1}]}}' },
      ),
      'metadata.annotations["alb.ingress.kubernetes.io/actions.a"].forwardConfig.targetGroups[0].serviceName must be a string',
    ],
    [
      // The controller would read the later one, whatever the syncer renamed.
      'an ALB target group naming its Service twice, in two cases',
      ingress(
        {},
        {
          'alb.ingress.kubernetes.io/actions.a':
            '{"forwardConfig":{"targetGroups":[{"serviceName":"web","ServiceName":"other"}]}}',
        },
      ),
      'metadata.annotations["alb.ingress.kubernetes.io/actions.a"].forwardConfig.targetGroups[0]: "serviceName" and "ServiceName" are one field (serviceName) to the host\'s controller',
    ],
    [
      'ALB OIDC settings naming their Secret twice',
      ingress({}, { 'alb.ingress.kubernetes.io/auth-idp-oidc': '{"secretName":"a","SecretName":"b"}' }),
      'metadata.annotations["alb.ingress.kubernetes.io/auth-idp-oidc"]: "secretName" and "SecretName" are one field (secretName) to the host\'s controller',
    ],
    [
      'ALB target groups that are not a list',
      ingress({}, { 'alb.ingress.kubernetes.io/actions.a': '{"forwardConfig":{"targetGroups":{}}}' }),
      'metadata.annotations["alb.ingress.kubernetes.io/actions.a"]: forwardConfig.targetGroups must be a list',
    ],
    [
      'an ALB action name too long for the host key',
      ingress({}, { [`alb.ingress.kubernetes.io/actions.${'a'.repeat(50)}`]: '{}' }),
      `metadata.annotations["alb.ingress.kubernetes.io/actions.${'a'.repeat(50)}"]: the name is too long to be renamed for the host`,
    ],
    [
      'ALB OIDC settings that are a list',
      ingress({}, { 'alb.ingress.kubernetes.io/auth-idp-oidc': '[]' }),
      'metadata.annotations["alb.ingress.kubernetes.io/auth-idp-oidc"] must be a JSON object',
    ],
  ])('refuses %s, naming the field', (_what, virtual, problem) => {
    expect(ingressRefusal(virtual, where)).toBe(problem);
    expect(ingressReferences(virtual, where)).toEqual([]);
  });

  it('accepts an ordinary Ingress', () => {
    const virtual = ingress(
      { rules: [rule('web')], tls: [{ secretName: 'tls' }] },
      { 'nginx.ingress.kubernetes.io/auth-secret': 'team/basic' },
    );
    expect(ingressRefusal(virtual, where)).toBeUndefined();
  });
});

describe('ingressReferences and ingressSecretKeys', () => {
  const virtual = ingress(
    {
      defaultBackend: { service: { name: 'fallback' } },
      rules: [rule('web', 'web')],
      tls: [{ secretName: 'tls' }, { secretName: 'tls' }],
    },
    {
      'nginx.ingress.kubernetes.io/auth-tls-secret': 'certs/ca',
      'nginx.ingress.kubernetes.io/auth-secret': 'basic',
      'alb.ingress.kubernetes.io/auth-idp-oidc': '{"secretName":"oidc"}',
    },
  );

  it('lists every Service and Secret with where the Ingress names it', () => {
    expect(ingressReferences(virtual, where)).toEqual<IngressReference[]>([
      { kind: 'Service', namespace: 'team', name: 'fallback', field: 'spec.defaultBackend.service.name' },
      {
        kind: 'Service',
        namespace: 'team',
        name: 'web',
        field: 'spec.rules[0].http.paths[0].backend.service.name',
      },
      {
        kind: 'Service',
        namespace: 'team',
        name: 'web',
        field: 'spec.rules[0].http.paths[1].backend.service.name',
      },
      { kind: 'Secret', namespace: 'team', name: 'tls', field: 'spec.tls[0].secretName' },
      { kind: 'Secret', namespace: 'team', name: 'tls', field: 'spec.tls[1].secretName' },
      {
        kind: 'Secret',
        namespace: 'certs',
        name: 'ca',
        field: 'metadata.annotations["nginx.ingress.kubernetes.io/auth-tls-secret"]',
      },
      {
        kind: 'Secret',
        namespace: 'team',
        name: 'basic',
        field: 'metadata.annotations["nginx.ingress.kubernetes.io/auth-secret"]',
      },
      {
        kind: 'Secret',
        namespace: 'team',
        name: 'oidc',
        field: 'metadata.annotations["alb.ingress.kubernetes.io/auth-idp-oidc"].secretName',
      },
    ]);
  });

  it("gives the secrets to sync, once each, another namespace's included", () => {
    expect(ingressSecretKeys(virtual, where)).toEqual(['team/tls', 'certs/ca', 'team/basic', 'team/oidc']);
  });

  it('names nothing for a malformed Ingress', () => {
    expect(ingressSecretKeys({ ...virtual, spec: { tls: 'x' } }, where)).toEqual([]);
  });
});

describe('status and spec comparison', () => {
  it('the host load balancer goes up; none reads as an empty one', () => {
    const lb = { ingress: [{ ip: '203.0.113.7', ports: [{ port: 443, protocol: 'TCP' }] }] };
    expect(loadBalancerStatusFromHost({ status: { loadBalancer: lb } })).toEqual({ loadBalancer: lb });
    expect(loadBalancerStatusFromHost({})).toEqual({ loadBalancer: {} });
  });

  it('empty lists the API server drops count as absent; a real difference does not', () => {
    const desired = { spec: { rules: [rule('a')], tls: [] } };
    expect(hostSpecInSync(desired, { spec: { rules: [rule('a')] } })).toBe(true);
    expect(hostSpecInSync(desired, { spec: { rules: [rule('b')] } })).toBe(false);
  });

  it("the host's defaulted IngressClass goes up only to an Ingress that named none", () => {
    const hostCopy = ingress({ ingressClassName: 'host-default' });
    expect(ingressClassFromHost(ingress({}), hostCopy)).toBe('host-default');
    expect(ingressClassFromHost(ingress({ ingressClassName: 'mine' }), hostCopy)).toBeUndefined();
    expect(ingressClassFromHost(ingress({}), ingress({}))).toBeUndefined();
  });
});

describe('malformedIngress', () => {
  const valid = ingress(
    {
      ingressClassName: 'nginx',
      defaultBackend: { service: { name: 'fallback', port: { number: 80 } } },
      rules: [rule('web')],
      tls: [{ hosts: ['web.example.com'], secretName: 'tls' }],
    },
    { a: 'b' },
  );

  it('accepts a well-formed Ingress, and null where a field is optional', () => {
    expect(malformedIngress(valid)).toBeUndefined();
    expect(
      malformedIngress({ ...valid, spec: { defaultBackend: null, tls: null, rules: [{ http: null }] } }),
    ).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    ['a spec that is a string', { ...valid, spec: 'x' }, 'spec must be an object'],
    ['TLS that is a map', { ...valid, spec: { tls: {} } }, 'spec.tls must be a list'],
    [
      'a secret name that is a number',
      { ...valid, spec: { tls: [{ secretName: 1 }] } },
      'spec.tls[0].secretName must be a string',
    ],
    [
      'a backend service without a name',
      { ...valid, spec: { defaultBackend: { service: { port: { number: 80 } } } } },
      'spec.defaultBackend.service.name is required',
    ],
    [
      'paths that are not a list',
      { ...valid, spec: { rules: [{ http: { paths: {} } }] } },
      'spec.rules[0].http.paths must be a list',
    ],
    [
      'a path without a backend',
      { ...valid, spec: { rules: [{ http: { paths: [{ path: '/' }] } }] } },
      'spec.rules[0].http.paths[0].backend is required',
    ],
    [
      'a port number that is a string',
      { ...valid, spec: { defaultBackend: { service: { name: 's', port: { number: '80' } } } } },
      'spec.defaultBackend.service.port.number must be a number',
    ],
    [
      'an annotation that is not a string',
      {
        ...valid,
        metadata: { ...valid.metadata, annotations: { 'nginx.ingress.kubernetes.io/auth-secret': 1 } },
      },
      'metadata.annotations["nginx.ingress.kubernetes.io/auth-secret"] must be a string',
    ],
    [
      'an ingress class that is a list',
      { ...valid, spec: { ingressClassName: [] } },
      'spec.ingressClassName must be a string',
    ],
  ])('refuses %s, naming the field', (_what, obj, problem) => {
    expect(malformedIngress(obj)).toBe(problem);
  });
});
