import { byName, type KubeObject } from '../../kube/object.ts';

export interface EnvVar {
  name: string;
  value: string;
}

interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
}

/** `ip:port`, an IPv6 address in brackets, as the kubelet writes it (net.JoinHostPort). */
export const hostPort = (ip: string, port: number): string =>
  ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;

/** Whether the kubelet gives pods variables for a Service: one with a cluster IP and ports. */
export function hasServiceLinks(service: KubeObject): boolean {
  const spec = (service.spec ?? {}) as { clusterIP?: string; ports?: ServicePort[]; type?: string };
  return (
    !!spec.clusterIP && spec.clusterIP !== 'None' && spec.type !== 'ExternalName' && !!spec.ports?.length
  );
}

/**
 * The docker-link style variables the kubelet injects for every Service of a pod's namespace
 * (`<NAME>_SERVICE_HOST`, `<NAME>_PORT_<port>_<PROTO>`, ...). On the host the kubelet would inject
 * the host namespace's services, so service links are turned off there and these, built from the
 * virtual services, are set instead. Sorted by service name like the kubelet does.
 */
export function serviceLinkEnv(services: readonly KubeObject[]): EnvVar[] {
  const out: EnvVar[] = [];
  const sorted = [...services].sort(byName).filter(hasServiceLinks);
  for (const svc of sorted) {
    const spec = (svc.spec ?? {}) as { clusterIP: string; ports: ServicePort[] };
    const ip = spec.clusterIP;
    const prefix = (svc.metadata?.name ?? '').toUpperCase().replace(/-/g, '_');
    const first = spec.ports[0]!;
    out.push(
      { name: `${prefix}_SERVICE_HOST`, value: ip },
      { name: `${prefix}_SERVICE_PORT`, value: String(first.port) },
    );
    for (const port of spec.ports) {
      if (port.name)
        out.push({
          name: `${prefix}_SERVICE_PORT_${port.name.toUpperCase().replace(/-/g, '_')}`,
          value: String(port.port),
        });
    }
    const url = (p: ServicePort) => `${(p.protocol ?? 'TCP').toLowerCase()}://${hostPort(ip, p.port)}`;
    out.push({ name: `${prefix}_PORT`, value: url(first) });
    for (const port of spec.ports) {
      const proto = (port.protocol ?? 'TCP').toUpperCase();
      const base = `${prefix}_PORT_${port.port}_${proto}`;
      out.push(
        { name: base, value: url(port) },
        { name: `${base}_PROTO`, value: proto.toLowerCase() },
        { name: `${base}_PORT`, value: String(port.port) },
        { name: `${base}_ADDR`, value: ip },
      );
    }
  }
  return out;
}
