import { isDnsSubdomain } from '../../naming/dns-names.ts';

/**
 * Hosts a tenant may not claim on the host's ingress and gateway controllers (`--reserved-ingress-host`):
 * the virtual API server's own (the chart's controlPlane.ingress host and proxy.extraSANs names). A
 * tenant's Ingress or Gateway API object for that host, on a controller (or data plane) shared with the
 * chart's Ingress, could otherwise take its traffic: with TLS passed through, clients that skip
 * verification would hand it their tokens.
 */

/** A host name as Ingresses and the Gateway API write it: a DNS name, its first label possibly `*`. */
export function isHostPattern(host: string): boolean {
  const name = host.toLowerCase();
  return host.length <= 253 && isDnsSubdomain(name.startsWith('*.') ? name.slice(2) : name);
}

/**
 * Why a --reserved-ingress-host or --allowed-ingress-host value is not a host name (a `*.` wildcard
 * first label at most).
 */
export function invalidReservedHosts(hosts: readonly string[]): string | undefined {
  const bad = hosts.find((h) => !isHostPattern(h));
  return bad === undefined
    ? undefined
    : `must be a DNS name (a "*." wildcard first label at most), got ${JSON.stringify(bad)}`;
}

/**
 * Why names a host controller would serve or get a certificate for (a Certificate's dnsNames and
 * commonName, an Ingress's cert-manager common name) may not be asked for: one reserved, or outside
 * the allowed names; undefined when each may be. Each is read as a resolver and a certificate check
 * read it (case, surrounding spaces and one trailing dot read away). What is still no DNS name then
 * (a CA's common name, `team CA`) names nothing anyone serves, and is let be.
 */
export function requestedNamesRefusal(
  names: readonly string[],
  rules: { reservedHosts: readonly string[]; allowedHosts: readonly string[] },
  overlap: HostsOverlap,
): string | undefined {
  const served = names.map((n) => n.trim().toLowerCase().replace(/\.$/, '')).filter(isHostPattern);
  return (
    reservedHostRefusal(served, rules.reservedHosts, overlap) ??
    unallowedHostRefusal(served, rules.allowedHosts)
  );
}

/** Whether two host patterns can match the same request host, given what a `*.d` wildcard matches. */
export type HostsOverlap = (a: string, b: string) => boolean;

function overlapWith(wildcardCovers: (suffix: string, name: string) => boolean): HostsOverlap {
  return (a, b) => {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    if (x === y) return true;
    const covers = (wild: string, other: string) =>
      wild.startsWith('*.') && wildcardCovers(wild.slice(1), other);
    return covers(x, y) || covers(y, x);
  };
}

/**
 * Ingress matching: a wildcard `*.d` matches a name of exactly one more label under `d` (so two
 * different wildcards never meet).
 */
export const ingressHostsOverlap: HostsOverlap = overlapWith(
  (suffix, name) => !name.startsWith('*.') && name.slice(name.indexOf('.')) === suffix,
);

/**
 * Gateway API matching: a wildcard `*.d` matches every name ending in `.d`, of any depth (never `d`
 * itself); so does a narrower wildcard `*.x.d` overlap it.
 */
export const gatewayHostnamesOverlap: HostsOverlap = overlapWith(underAtAnyDepth);

/** Whether a name (or `*.` wildcard) lies under `suffix` (`.d`) at any depth. */
function underAtAnyDepth(suffix: string, name: string): boolean {
  return (name.startsWith('*.') ? name.slice(1) : name).endsWith(suffix);
}

/** Why hosts a tenant's object names may not be served, naming the reserved host one claims; undefined when none does. */
export function reservedHostRefusal(
  hosts: readonly string[],
  reserved: readonly string[],
  overlap: HostsOverlap,
): string | undefined {
  for (const host of hosts) {
    const taken = reserved.find((r) => overlap(host, r));
    if (taken !== undefined)
      return `host ${JSON.stringify(host)} is reserved for the virtual cluster's API server (${JSON.stringify(taken)})`;
  }
  return undefined;
}

/**
 * Whether a host an object names lies within an allowed entry (`--allowed-ingress-host`): the entry
 * itself, or, for an entry `*.d`, any name under `d` at any depth, wildcards (`*.x.d`) included,
 * whichever matching an ingress or gateway controller applies; never `d` itself.
 */
export function hostWithin(host: string, allowed: string): boolean {
  const name = host.toLowerCase();
  const entry = allowed.toLowerCase();
  if (name === entry) return true;
  return entry.startsWith('*.') && underAtAnyDepth(entry.slice(1), name);
}

/**
 * Why hosts a tenant's object names may not be served, when an admin bounded them
 * (`--allowed-ingress-host`); undefined when each lies within an allowed entry, or none is set. Bounds
 * a virtual cluster to its own names on ingress and gateway controllers it shares with other tenants,
 * where any host (and, on ingress-nginx, a canary or a longer path of someone else's) could be taken.
 */
export function unallowedHostRefusal(
  hosts: readonly string[],
  allowed: readonly string[],
): string | undefined {
  if (allowed.length === 0) return undefined;
  const outside = hosts.find((host) => !allowed.some((entry) => hostWithin(host, entry)));
  return outside === undefined
    ? undefined
    : `host ${JSON.stringify(outside)} is not among the hosts this virtual cluster may serve (${allowed.map((a) => JSON.stringify(a)).join(', ')})`;
}
