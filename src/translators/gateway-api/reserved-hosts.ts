import type { KubeObject } from '../../kube/object.ts';
import {
  gatewayHostnamesOverlap,
  reservedHostRefusal,
  unallowedHostRefusal,
} from '../shared/reserved-hosts.ts';

/**
 * The host names a Gateway API object serves: a Gateway's listeners' hostnames, a route's
 * spec.hostnames (HTTPRoute, GRPCRoute, TLSRoute). Other kinds name none.
 */
export function hostnamesOf(kind: string, object: KubeObject): string[] {
  const spec = (object.spec ?? {}) as { listeners?: unknown; hostnames?: unknown };
  const names =
    kind === 'Gateway'
      ? Array.isArray(spec.listeners)
        ? spec.listeners.map((l) => (l as { hostname?: unknown } | null)?.hostname)
        : []
      : Array.isArray(spec.hostnames)
        ? spec.hostnames
        : [];
  return names.filter((h): h is string => typeof h === 'string' && h !== '');
}

/**
 * Why the object may not be synced, naming the reserved host it claims; undefined when it claims none.
 * An HTTP route or listener without a hostname matches every host, but only where nothing more
 * specific (the API server's own route) does, so it is let through as an Ingress rule without a host
 * is. A TLSRoute without one is not: a controller such as Traefik makes it a catch-all TCP router for
 * every server name, which goes before the HTTP and passthrough routes of the same entry point.
 */
export function reservedHostnameRefusal(
  kind: string,
  object: KubeObject,
  reserved: readonly string[],
): string | undefined {
  const hostnames = hostnamesOf(kind, object);
  if (kind === 'TLSRoute' && reserved.length > 0 && hostnames.length === 0)
    return "a TLSRoute without hostnames takes every TLS server name, the virtual cluster's API server's too: list its hostnames";
  return reservedHostRefusal(hostnames, reserved, gatewayHostnamesOverlap);
}

/**
 * Why the object may not be synced when the admin bounded the hosts tenants serve
 * (--allowed-ingress-host): a hostname outside them, or an HTTP, HTTPS or TLS Gateway listener
 * without one (it serves every name). A route without hostnames takes its listeners', which are bounded so. Undefined when it
 * stays within them, or none is set.
 */
export function unallowedHostnameRefusal(
  kind: string,
  object: KubeObject,
  allowed: readonly string[],
): string | undefined {
  if (allowed.length === 0) return undefined;
  if (kind === 'Gateway') {
    const listeners = (object.spec as { listeners?: unknown } | undefined)?.listeners;
    const open = (Array.isArray(listeners) ? listeners : []).findIndex((l) => {
      const { hostname, protocol } = (l ?? {}) as { hostname?: unknown; protocol?: unknown };
      // TCP and UDP listeners match no host name: they serve a port, whatever the name.
      const byHost = protocol !== 'TCP' && protocol !== 'UDP';
      return byHost && (typeof hostname !== 'string' || hostname === '');
    });
    if (open >= 0)
      return `spec.listeners[${open}] has no hostname, so it serves every host name: this virtual cluster may serve only its allowed hosts`;
  }
  return unallowedHostRefusal(hostnamesOf(kind, object), allowed);
}
