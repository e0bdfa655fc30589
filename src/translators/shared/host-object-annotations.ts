import { deniedByBounds, DEFAULT_DENIED_ENDPOINT_CIDRS, hostNameRefusal } from './address-policy.ts';

/**
 * Annotations naming objects of kinds the syncer does not translate, which host add-ons read with
 * their own rights: cert-manager's namespaced Issuer (its ingress and gateway shims look it up in the
 * object's namespace, on the host the shared one, where it could only be another tenant's or the
 * host's: a ClusterIssuer, which an admin offers to everyone, is the way), and Traefik's Middlewares,
 * TLS options and ServersTransports (`<namespace>-<name>@kubernetescrd`, any namespace of the host: an
 * admin's authentication middleware, or a transport holding an admin's client certificates, which
 * Traefik presents to the backend). vCluster copies them as they are.
 */
const HOST_OBJECT_ANNOTATIONS = new Map([
  [
    'cert-manager.io/issuer',
    "names an Issuer of the host namespace, which is not this tenant's: use a ClusterIssuer (cert-manager.io/cluster-issuer)",
  ],
  // cert-manager copies a Certificate's annotations to its requests and ACME orders, whose HTTP-01
  // solver then edits the Ingress of that name in the host namespace, or uses that class.
  [
    'acme.cert-manager.io/http01-override-ingress-name',
    "names an Ingress of the host namespace for cert-manager's HTTP-01 solver to edit, which is not this tenant's",
  ],
  [
    'acme.cert-manager.io/http01-override-ingress-class',
    "names an ingress class for cert-manager's HTTP-01 solver, past the classes this virtual cluster is offered",
  ],
  // Istio makes a Gateway's Deployment, Service and ServiceAccount in its namespace: under the name
  // it is told (over another tenant's object of that name), running as the account it is told
  // (another tenant's, or the syncer's own, with its mesh identity).
  [
    'gateway.istio.io/service-account',
    "names a ServiceAccount of the host namespace for Istio's gateway pods to run as, which is not this tenant's",
  ],
  [
    'gateway.istio.io/name-override',
    "names the objects Istio makes for the Gateway in the host namespace, where that name may be another tenant's",
  ],
  ['traefik.ingress.kubernetes.io/router.middlewares', 'names Traefik Middlewares of host namespaces'],
  ['traefik.ingress.kubernetes.io/router.tls.options', 'names Traefik TLS options of host namespaces'],
  [
    'traefik.ingress.kubernetes.io/service.serverstransport',
    'names a Traefik ServersTransport of host namespaces (with the client certificates it presents)',
  ],
]);

/** What an ingress controller's annotation is, for what the syncer must do with it on a copy. */
export type ControllerAnnotationRole =
  /** Text put into the host controller's own configuration: refused. */
  | 'snippet'
  /** A Secret, as `name` (the object's namespace) or `namespace/name`. */
  | 'secret'
  /** A Secret of the object's namespace, as `name` only. */
  | 'secret-name'
  /** A Service of the object's namespace, as `name` only. */
  | 'service'
  /** A ConfigMap (config maps are not synced for ingresses). */
  | 'configmap'
  /** A URL the host controller itself calls, from inside the host cluster. */
  | 'url'
  /**
   * Text HAProxy evaluates as a log-format string (a header's value, a rewritten path): a sample
   * fetch in it (`%[env(NAME)]`) would put the controller's own environment into what the tenant's
   * backend or client receives. Refused when it holds one.
   */
  | 'log-format'
  /** Objects of a kind the syncer does not sync, in any host namespace: refused. */
  | 'host-object';

/** One controller's annotations: every prefix it reads them under, and their roles by name part. */
interface ControllerAnnotations {
  controller: string;
  prefixes: readonly string[];
  roles: ReadonlyMap<string, ControllerAnnotationRole>;
  /** Roles of whole families of names (every config snippet), tried after `roles`. */
  patterns?: readonly [RegExp, ControllerAnnotationRole][];
  /** Why a `host-object` name of this controller is refused. */
  hostObjects?: string;
}

/** Every controller's `*-snippet` and `*-snippets`: text for its own configuration. */
const SNIPPETS: [RegExp, ControllerAnnotationRole] = [/-snippets?$/, 'snippet'];

/**
 * Ingress controllers' annotations that put the tenant's text into the host controller's own
 * configuration (it runs with the controller's rights and sees every other Ingress's traffic and
 * certificates: CVE-2021-25742), or name objects the controller reads in the object's namespace (on
 * the host the shared one) or in any namespace. A controller reads its keys under each of its prefixes
 * alike, so they are matched on the name part under every one of them; a prefix two controllers read
 * (`ingress.kubernetes.io/`) is matched against both. Sources: the controllers' annotation references
 * (ingress-nginx, NGINX Inc.'s NGINX Ingress Controller, HAProxy Technologies' kubernetes-ingress,
 * the community haproxy-ingress, Emissary-ingress, Skipper). vCluster copies them all as they are, but for the ingress-nginx
 * secrets, which it renames.
 */
const CONTROLLERS: readonly ControllerAnnotations[] = [
  {
    controller: 'ingress-nginx',
    // Its --annotations-prefix; `ingress.kubernetes.io` was its default before 0.9 and can be set again.
    prefixes: ['nginx.ingress.kubernetes.io/', 'ingress.kubernetes.io/'],
    roles: new Map<string, ControllerAnnotationRole>([
      ['auth-secret', 'secret'],
      ['auth-tls-secret', 'secret'],
      ['proxy-ssl-secret', 'secret'],
      // vCluster leaves it as it is: on the host, a host Service.
      ['default-backend', 'service'],
      ['auth-proxy-set-headers', 'configmap'],
      ['custom-headers', 'configmap'],
      ['fastcgi-params-configmap', 'configmap'],
      // External auth and request mirroring: held to the rules of an ExternalName (CVE-2021-25740).
      ['auth-url', 'url'],
      ['auth-signin', 'url'],
      ['mirror-target', 'url'],
      ['mirror-host', 'url'],
    ]),
    // configuration-, server-, auth-, stream-, modsecurity-snippet.
    patterns: [SNIPPETS],
  },
  {
    controller: "NGINX Inc.'s NGINX Ingress Controller",
    prefixes: ['nginx.org/', 'nginx.com/'],
    // htpasswd and JWK Secrets of the Ingress's namespace.
    roles: new Map<string, ControllerAnnotationRole>([
      ['basic-auth-secret', 'secret-name'],
      ['jwt-key', 'secret-name'],
    ]),
    // server-snippets, location-snippets.
    patterns: [SNIPPETS],
  },
  {
    controller: "HAProxy Technologies' kubernetes-ingress",
    prefixes: ['haproxy.org/', 'haproxy.com/', 'ingress.kubernetes.io/'],
    roles: new Map<string, ControllerAnnotationRole>([
      // `name` or `namespace/name`, any namespace.
      ['auth-secret', 'secret'],
      ['server-crt', 'secret'],
      ['server-ca', 'secret'],
      ['client-ca', 'secret'],
      // A Service's: an ACL put first in the shared frontends' backend switching, as HAProxy text.
      ['route-acl', 'snippet'],
      ['request-set-header', 'log-format'],
      ['response-set-header', 'log-format'],
      ['set-host', 'log-format'],
      ['path-rewrite', 'log-format'],
      ['request-redirect', 'log-format'],
    ]),
    // backend-, frontend-, global-, stats-config-snippet; cr-backend, cr-defaults, cr-global,
    // cr-frontend-* name its custom resources (which hold configuration) as `namespace/name`.
    patterns: [SNIPPETS, [/^cr-/, 'host-object']],
    hostObjects: 'names HAProxy custom resources (Backend, Defaults, Global) of host namespaces',
  },
  {
    controller: 'haproxy-ingress',
    // Its default --annotations-prefix is both.
    prefixes: ['haproxy-ingress.github.io/', 'ingress.kubernetes.io/'],
    roles: new Map<string, ControllerAnnotationRole>([
      // `name` or `namespace/name` (or `file://`, a file of the controller's: refused as malformed).
      ['auth-secret', 'secret'],
      ['auth-tls-secret', 'secret'],
      ['secure-crt-secret', 'secret'],
      ['secure-verify-ca-secret', 'secret'],
      // `svc://` names a Service without a domain: refused as a bare name.
      ['auth-url', 'url'],
      ['auth-signin', 'url'],
      ['headers', 'log-format'],
      ['rewrite-target', 'log-format'],
    ]),
    // config-backend, -defaults, -frontend(-early, -late), -global, -peers, -proxy, -sections, -tcp,
    // -tcp-service.
    patterns: [SNIPPETS, [/^config-/, 'snippet']],
  },
  {
    controller: 'Emissary-ingress (Ambassador)',
    prefixes: ['getambassador.io/'],
    // Its "annotation configuration", read from any Service it watches: Mappings to any address or
    // host Service, and gateway-wide AuthServices, Modules and TLSContexts (Secrets as namespace/name).
    roles: new Map<string, ControllerAnnotationRole>([['config', 'snippet']]),
  },
  {
    controller: 'Skipper',
    prefixes: ['zalando.org/'],
    // Whole routes in its own language, each with any backend address (cloud metadata, host Services).
    roles: new Map<string, ControllerAnnotationRole>([['skipper-routes', 'snippet']]),
  },
];

/** The controller and role an annotation key has under any of the controllers' prefixes, or undefined. */
function controllerAnnotation(
  key: string,
): { entry: ControllerAnnotations; role: ControllerAnnotationRole } | undefined {
  for (const entry of CONTROLLERS) {
    const prefix = entry.prefixes.find((p) => key.startsWith(p));
    if (!prefix) continue;
    const name = key.slice(prefix.length);
    const role = entry.roles.get(name) ?? entry.patterns?.find(([pattern]) => pattern.test(name))?.[1];
    if (role) return { entry, role };
  }
  return undefined;
}

/** What an ingress controller reads an annotation key as (see CONTROLLERS), or undefined. */
export function controllerAnnotationRole(key: string): ControllerAnnotationRole | undefined {
  return controllerAnnotation(key)?.role;
}

const annotationField = (key: string) => `metadata.annotations[${JSON.stringify(key)}]`;

/** The refusal of a configuration snippet, in the words every kind uses. */
export const snippetRefusal = (key: string) =>
  `${annotationField(key)}: configuration snippets would run in the host's shared ingress controller`;

/**
 * Why a `log-format` annotation's value may not reach the host, or undefined. HAProxy starts a sample
 * fetch at `[` right after `%`, after `%{flags}` and after `%(name)`; and the controllers write the
 * value in double quotes, inside which HAProxy expands `$NAME` and `${NAME}` from its environment
 * when it reads its configuration.
 */
export function logFormatRefusal(key: string, value: string): string | undefined {
  if (/%[[{(]/.test(value))
    return `${annotationField(key)}: a sample fetch (%[...], %{...}[...], %(...)[...]) would be evaluated by the host's shared ingress controller, with its environment`;
  if (/\$[{A-Za-z_]/.test(value))
    return `${annotationField(key)}: an environment variable ($NAME, \${NAME}) would be expanded by the host's shared ingress controller`;
  return undefined;
}

/** Why an annotation key may not reach the host (see HOST_OBJECT_ANNOTATIONS), or undefined. */
export function hostObjectAnnotationRefusal(key: string): string | undefined {
  const found = controllerAnnotation(key);
  const why =
    HOST_OBJECT_ANNOTATIONS.get(key) ?? (found?.role === 'host-object' ? found.entry.hostObjects : undefined);
  return why && `${annotationField(key)} ${why}`;
}

/** The first refusal among an object's annotations, or undefined. */
export function hostObjectAnnotationsRefusal(
  annotations: Record<string, string> | undefined,
): string | undefined {
  for (const key of Object.keys(annotations ?? {})) {
    const refusal = hostObjectAnnotationRefusal(key);
    if (refusal) return refusal;
  }
  return undefined;
}

/** The AWS Load Balancer Controller's OIDC settings: JSON naming the client credentials' Secret. */
export const ALB_OIDC_ANNOTATION = 'alb.ingress.kubernetes.io/auth-idp-oidc';

/** The private and shared ranges a host controller must not be sent to (no admin allow-list here). */
const isPrivateAddress = deniedByBounds({ denied: DEFAULT_DENIED_ENDPOINT_CIDRS, allowed: [] });

/** ingress-nginx's own prefix (its default --annotations-prefix). */
const INGRESS_NGINX_PREFIX = 'nginx.ingress.kubernetes.io/';
/** The prefix ingress-nginx read before 0.9, and reads again when set so, shared with HAProxy's. */
const SHARED_PREFIX = 'ingress.kubernetes.io/';
/**
 * ingress-nginx's keys of free text it writes into nginx.conf, which neither HAProxy controller
 * reads under the shared prefix: judged there too.
 */
const INGRESS_NGINX_TEXT_KEYS = new Set([
  'auth-tls-match-cn',
  'auth-cache-key',
  'auth-request-redirect',
  'auth-response-headers',
  'connection-proxy-header',
  'global-rate-limit-key',
  'permanent-redirect',
  'temporal-redirect',
  'proxy-redirect-from',
  'proxy-redirect-to',
  'upstream-hash-by',
  'upstream-vhost',
  'x-forwarded-prefix',
]);
/** Whether ingress-nginx writes the key's value into nginx.conf (see INGRESS_NGINX_TEXT_KEYS). */
const readAsNginxText = (key: string): boolean =>
  key.startsWith(INGRESS_NGINX_PREFIX) ||
  (key.startsWith(SHARED_PREFIX) && INGRESS_NGINX_TEXT_KEYS.has(key.slice(SHARED_PREFIX.length)));

/**
 * What in a value could end the directive ingress-nginx writes it into and start another: a quote,
 * a `;`, a brace that is not part of an nginx variable (`${name}`, as in a rate limit's key) or of a
 * regular expression's repeat count (`{3}`, `{1,3}`), a control character other than white space,
 * or a backslash at the end (it would escape the quote written after the value). White space alone
 * starts nothing (ingress-nginx splits CIDR lists written on several lines), nor does a backslash
 * inside a regular expression (`CN=client\.example\.com`, a `~^www\d+\.example\.com$` alias).
 */
function configBreakout(value: string): string | undefined {
  const text = value
    .trimEnd()
    .replace(/\$\{[A-Za-z0-9_]+\}/g, '')
    .replace(/\{\d+(,\d*)?\}/g, '');
  if (text.endsWith('\\')) return '\\';
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f"'`;{}]/.exec(text)?.[0];
}

/**
 * Why an annotation's value may not reach the host because the host's ingress controller would
 * write it into its own configuration, where it could add directives of the tenant's: every value
 * under ingress-nginx's prefix, and every `url` annotation (of any controller). ingress-nginx writes
 * most of its annotations into nginx.conf, and before 1.11.5 and 1.12.1 some without quoting or
 * escaping them (CVE-2025-24514 through auth-url, CVE-2025-1097 through auth-tls-match-cn,
 * CVE-2025-1098 through mirror-target and mirror-host): a value that ends a directive runs the
 * tenant's configuration in the shared controller, which reads every Secret of the cluster, as a
 * snippet would. No value these annotations take needs such a character (configBreakout); vCluster
 * copies them as they are.
 */
export function controllerConfigTextRefusal(key: string, value: string): string | undefined {
  const role = controllerAnnotationRole(key);
  // A snippet is refused whatever it holds, in words of its own.
  if (role === 'snippet') return undefined;
  if (!readAsNginxText(key) && role !== 'url') return undefined;
  // A URL has no white space; and the HAProxy controllers' configuration is read line by line.
  const found = (role === 'url' ? /[\t\n\r]/.exec(value.trimEnd())?.[0] : undefined) ?? configBreakout(value);
  if (found === undefined) return undefined;
  return `${annotationField(key)}: ${JSON.stringify(found)} could end a directive of the host's shared ingress controller's configuration, which would then run what follows (no value of this annotation needs it)`;
}

/** Why the host controller may not call this URL (or host name) of a `url` annotation, or undefined. */
export function controllerUrlRefusal(value: string, hostNamespace: string): string | undefined {
  // The authority, read by hand: nginx takes variables ($request_uri) in these URLs, which a URL
  // parser refuses.
  const authority = value
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .split(/[/?#]/)[0]!
    .replace(/^[^@]*@/, '');
  const bracketed = authority.startsWith('[');
  const host = bracketed ? authority.slice(1, authority.indexOf(']')) : authority.split(/[:$]/)[0]!;
  // A variable there is filled in from the request (its Host header): any address at all. And a
  // character no host name has (`;`, a quote, white space) ends the host where the controller's
  // parser stops, not where this one does.
  if (!host || authority.split(':')[0]!.includes('$') || (!bracketed && !/^[A-Za-z0-9._-]+$/.test(host)))
    return `${JSON.stringify(value)} names no fixed host the syncer can judge`;
  return controllerHostRefusal(host, hostNamespace);
}

/** Why a host controller must not call this host name (a private address, a host-internal name), or undefined. */
export const controllerHostRefusal = (host: string, hostNamespace: string): string | undefined =>
  hostNameRefusal(host, { isDeniedAddress: isPrivateAddress, hostNamespace });

/**
 * The first refusal among a Service's annotations, or undefined. HAProxy Technologies' controller and
 * haproxy-ingress read their annotations from Services too (the backend's configuration): a snippet
 * or an object of any host namespace is refused as on an Ingress, and so is a Secret, which is not
 * synced for a Service (there is no copy of the tenant's to name): left as written, it would name one
 * of the host namespace.
 */
export function serviceAnnotationsRefusal(
  annotations: Record<string, string> | undefined,
  hostNamespace: string,
): string | undefined {
  for (const [key, value] of Object.entries(annotations ?? {})) {
    const hostObject = hostObjectAnnotationRefusal(key);
    if (hostObject) return hostObject;
    const field = annotationField(key);
    // The AWS Load Balancer Controller merges a backend Service's annotations into its Ingress's
    // authentication settings; this one names the OIDC client's Secret (its secretName is required).
    if (key === ALB_OIDC_ANNOTATION)
      return `${field} names a Secret (secretName), which is not synced for a Service: on the host it would name one of the host namespace`;
    switch (controllerAnnotationRole(key)) {
      case 'snippet':
        return snippetRefusal(key);
      case 'secret':
      case 'secret-name':
        return `${field} names a Secret, which is not synced for a Service: on the host it would name one of the host namespace`;
      case 'configmap':
        return `${field}: config maps named by annotations are not synced to the host`;
      case 'url': {
        const text = controllerConfigTextRefusal(key, value);
        if (text) return text;
        const refusal = controllerUrlRefusal(value, hostNamespace);
        if (refusal) return `${field}: ${refusal}`;
        break;
      }
      case 'log-format': {
        const refusal = logFormatRefusal(key, value);
        if (refusal) return refusal;
        break;
      }
    }
  }
  return undefined;
}
