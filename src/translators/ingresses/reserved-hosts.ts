import type { KubeObject } from '../../kube/object.ts';
import { ingressHostsOverlap, reservedHostRefusal } from '../shared/reserved-hosts.ts';

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
