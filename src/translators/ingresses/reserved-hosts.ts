import type { KubeObject } from '../../kube/object.ts';
import { ingressHostsOverlap, reservedHostRefusal, unallowedHostRefusal } from '../shared/reserved-hosts.ts';

/** ingress-nginx's extra names for an Ingress's server (comma-separated), a host like any rule's. */
const SERVER_ALIAS = 'nginx.ingress.kubernetes.io/server-alias';

/** Every host an Ingress names: its rules', its TLS entries' and its server aliases. */
function hostsOf(ingress: KubeObject): string[] {
  const aliases = (ingress.metadata?.annotations?.[SERVER_ALIAS] ?? '').split(/[\s,]+/);
  const spec = (ingress.spec ?? {}) as {
    rules?: { host?: unknown }[];
    tls?: { hosts?: unknown[] }[];
  };
  const hosts = [
    ...(Array.isArray(spec.rules) ? spec.rules.map((r) => r?.host) : []),
    ...(Array.isArray(spec.tls) ? spec.tls.flatMap((t) => (Array.isArray(t?.hosts) ? t.hosts : [])) : []),
    ...aliases,
  ];
  return hosts.filter((h): h is string => typeof h === 'string' && h !== '');
}

/** Why the Ingress may not be synced, naming the reserved host it claims; undefined when it claims none. */
export const reservedIngressHostRefusal = (ingress: KubeObject, reserved: readonly string[]) =>
  reservedHostRefusal(hostsOf(ingress), reserved, ingressHostsOverlap);

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
  return unallowedHostRefusal(hostsOf(ingress), allowed);
}
