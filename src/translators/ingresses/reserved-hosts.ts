import type { KubeObject } from '../../kube/object.ts';
import { controllerHostRefusal } from '../shared/host-object-annotations.ts';
import {
  gatewayHostnamesOverlap,
  ingressHostsOverlap,
  isHostPattern,
  reservedHostRefusal,
  unallowedHostRefusal,
} from '../shared/reserved-hosts.ts';

/**
 * Extra names for an Ingress's server (comma- or space-separated): ingress-nginx's (under both its
 * prefixes), haproxy-ingress's (under both of its) and Kong's (added to every route's hosts). Each
 * controller serves them like rule hosts.
 */
const SERVER_ALIAS_KEYS = [
  'nginx.ingress.kubernetes.io/server-alias',
  'ingress.kubernetes.io/server-alias',
  'haproxy-ingress.github.io/server-alias',
  'konghq.com/host-aliases',
];
/** haproxy-ingress's regular expressions of further names the server answers. */
const SERVER_ALIAS_REGEX_KEYS = [
  'haproxy-ingress.github.io/server-alias-regex',
  'ingress.kubernetes.io/server-alias-regex',
];

const annotationField = (key: string) => `metadata.annotations[${JSON.stringify(key)}]`;

/** The server aliases an Ingress's annotations give, each with the key it came from. */
function aliasesOf(ingress: KubeObject): { key: string; alias: string }[] {
  const annotations = ingress.metadata?.annotations ?? {};
  return SERVER_ALIAS_KEYS.flatMap((key) =>
    (annotations[key] ?? '')
      .split(/[\s,]+/)
      .filter((alias) => alias !== '')
      .map((alias) => ({ key, alias })),
  );
}

/** The hosts an Ingress's rules and TLS entries name. */
function ruleHostsOf(ingress: KubeObject): string[] {
  const spec = (ingress.spec ?? {}) as {
    rules?: { host?: unknown }[];
    tls?: { hosts?: unknown[] }[];
  };
  const hosts = [
    ...(Array.isArray(spec.rules) ? spec.rules.map((r) => r?.host) : []),
    ...(Array.isArray(spec.tls) ? spec.tls.flatMap((t) => (Array.isArray(t?.hosts) ? t.hosts : [])) : []),
  ];
  return hosts.filter((h): h is string => typeof h === 'string' && h !== '');
}

/**
 * Why the Ingress's server aliases cannot be held to an admin's host bounds, or undefined. The
 * controllers write an alias into their configuration as it is: to nginx `~...` is a regular
 * expression and `.d`, `d.*` and `*.d` are wildcards (`*.d` of any depth, unlike a rule host's), so
 * only a plain host name, or a `*.` first label read at any depth, can be judged; and a regex alias
 * never can.
 */
function unboundedAliasRefusal(ingress: KubeObject): string | undefined {
  const annotations = ingress.metadata?.annotations ?? {};
  const regex = SERVER_ALIAS_REGEX_KEYS.find((key) => (annotations[key] ?? '').trim() !== '');
  if (regex)
    return `${annotationField(regex)}: a regular expression of host names, which the syncer cannot hold to the hosts this virtual cluster may serve`;
  const pattern = aliasesOf(ingress).find(({ alias }) => !isHostPattern(alias));
  return pattern
    ? `${annotationField(pattern.key)}: ${JSON.stringify(pattern.alias)} is not a host name (a "*." first label at most); the host's controller would read it as a pattern`
    : undefined;
}

/** Why the Ingress may not be synced, naming the reserved host it claims; undefined when it claims none. */
export function reservedIngressHostRefusal(
  ingress: KubeObject,
  reserved: readonly string[],
): string | undefined {
  if (reserved.length === 0) return undefined;
  return (
    unboundedAliasRefusal(ingress) ??
    reservedHostRefusal(ruleHostsOf(ingress), reserved, ingressHostsOverlap) ??
    // An alias's `*.d` matches at any depth (nginx's own wildcard), as a Gateway's does.
    reservedHostRefusal(
      aliasesOf(ingress).map((a) => a.alias),
      reserved,
      gatewayHostnamesOverlap,
    )
  );
}

/**
 * Why the Ingress may not be synced when the admin bounded the hosts tenants serve
 * (--allowed-ingress-host): a host outside them, or none at all: a rule without a host, or a
 * `defaultBackend` (ingress-nginx makes it the backend of every host no other Ingress names), serves
 * any name. Undefined when it stays within them, or none is set.
 */
export function unallowedIngressHostRefusal(
  ingress: KubeObject,
  allowed: readonly string[],
): string | undefined {
  if (allowed.length === 0) return undefined;
  const spec = (ingress.spec ?? {}) as { rules?: { host?: unknown }[]; defaultBackend?: unknown };
  if (spec.defaultBackend !== undefined)
    return 'spec.defaultBackend serves every host name: this virtual cluster may serve only its allowed hosts';
  const rules = Array.isArray(spec.rules) ? spec.rules : [];
  const hostless = rules.findIndex((r) => typeof r?.host !== 'string' || r.host === '');
  if (hostless >= 0)
    return `spec.rules[${hostless}] has no host, so it serves every host name: this virtual cluster may serve only its allowed hosts`;
  return (
    unboundedAliasRefusal(ingress) ??
    unallowedHostRefusal([...ruleHostsOf(ingress), ...aliasesOf(ingress).map((a) => a.alias)], allowed)
  );
}

/**
 * Whether a controller URL is addressed to the request's own host (`https://$host/oauth2/auth`, the
 * oauth2-proxy pattern): nginx's `$host` as the whole host, no port or another port after it.
 */
export const isRequestHostUrl = (value: string): boolean =>
  /^[a-z][a-z0-9+.-]*:\/\/\$host(:\d{1,5})?([/?#]|$)/i.test(value.trim());

/**
 * Why a controller URL addressed to the request's host (isRequestHostUrl) may not reach the host's
 * controller, or undefined. nginx fills `$host` in with the name a request came in by, which for this
 * Ingress is one of its hosts (a rule's, a TLS entry's, a server alias; one name of a `*.` wildcard's):
 * each is judged as a fixed URL's host would be. An Ingress serving every name (a rule without a host,
 * a defaultBackend, a regular expression alias) would have the controller call any name a client
 * sends, a host-internal one included.
 */
export function requestHostRefusal(ingress: KubeObject, hostNamespace: string): string | undefined {
  const spec = (ingress.spec ?? {}) as { rules?: { host?: unknown }[]; defaultBackend?: unknown };
  const serves = '"$host" is the name each request comes in by';
  if (spec.defaultBackend !== undefined)
    return `${serves}, and spec.defaultBackend serves every name: give the URL a fixed host`;
  const rules = Array.isArray(spec.rules) ? spec.rules : [];
  const hostless = rules.findIndex((r) => typeof r?.host !== 'string' || r.host === '');
  if (hostless >= 0 || rules.length === 0)
    return `${serves}, and ${hostless >= 0 ? `spec.rules[${hostless}] has no host, so it serves` : 'an Ingress without rules serves'} every name: give the URL a fixed host`;
  const aliases = unboundedAliasRefusal(ingress);
  if (aliases) return `${serves}; ${aliases}`;
  for (const host of [...ruleHostsOf(ingress), ...aliasesOf(ingress).map((a) => a.alias)]) {
    // One name a wildcard stands for, judged as any of them would be.
    const refusal = controllerHostRefusal(host.replace(/^\*\./, 'any.'), hostNamespace);
    if (refusal) return `${serves}, here ${JSON.stringify(host)}: ${refusal}`;
  }
  return undefined;
}
