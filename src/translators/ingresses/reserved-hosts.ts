import type { KubeObject } from '../../kube/object.ts';
import { isDnsSubdomain } from '../../naming/dns-names.ts';

/**
 * Hosts a tenant's Ingress may not claim on the host's ingress controllers (`--reserved-ingress-host`):
 * the virtual API server's own (the chart's controlPlane.ingress host and proxy.extraSANs names). An
 * Ingress of a tenant for that host, on a controller shared with the chart's Ingress, could otherwise
 * take its traffic: with TLS passed through, clients that skip verification would hand it their tokens.
 */

/** A host as an Ingress names it: a DNS name, its first label possibly the wildcard `*`. */
function isIngressHost(host: string): boolean {
  const name = host.toLowerCase();
  return host.length <= 253 && isDnsSubdomain(name.startsWith('*.') ? name.slice(2) : name);
}

/** Why a --reserved-ingress-host value is not a host name (a `*.` wildcard first label at most). */
export function invalidReservedHosts(hosts: readonly string[]): string | undefined {
  const bad = hosts.find((h) => !isIngressHost(h));
  return bad === undefined
    ? undefined
    : `must be a DNS name (a "*." wildcard first label at most), got ${JSON.stringify(bad)}`;
}

/**
 * Whether two Ingress hosts can name the same request host: equal (letter case aside), or one a
 * wildcard `*.d` and the other a name of exactly one more label under `d` (as Ingress wildcards match).
 */
export function hostsOverlap(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return true;
  const covers = (wild: string, name: string) =>
    wild.startsWith('*.') && !name.startsWith('*.') && name.slice(name.indexOf('.')) === wild.slice(1);
  return covers(x, y) || covers(y, x);
}

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
export function reservedHostRefusal(ingress: KubeObject, reserved: readonly string[]): string | undefined {
  for (const host of hostsOf(ingress)) {
    const taken = reserved.find((r) => hostsOverlap(host, r));
    if (taken !== undefined)
      return `host ${JSON.stringify(host)} is reserved for the virtual cluster's API server (${JSON.stringify(taken)})`;
  }
  return undefined;
}
