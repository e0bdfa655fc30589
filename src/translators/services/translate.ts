import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { translateLabelSelector } from '../../naming/labels.ts';
import type { Placement } from '../../sync/kind.ts';
import { hostMetadataFor, sameJson } from '../shared/host-metadata.ts';

/** The parts of a Service spec the syncer reads or writes. */
export interface ServicePort {
  name?: string;
  protocol?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
  appProtocol?: string;
}

export interface ServiceSpec {
  type?: string;
  selector?: Record<string, string>;
  ports?: ServicePort[];
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  externalName?: string;
  externalIPs?: string[];
  externalTrafficPolicy?: string;
  internalTrafficPolicy?: string;
  healthCheckNodePort?: number;
  loadBalancerIP?: string;
  loadBalancerClass?: string;
  loadBalancerSourceRanges?: string[];
  allocateLoadBalancerNodePorts?: boolean;
  sessionAffinity?: string;
  sessionAffinityConfig?: unknown;
  publishNotReadyAddresses?: boolean;
  trafficDistribution?: string;
}

export const specOf = (svc: KubeObject | undefined): ServiceSpec => (svc?.spec ?? {}) as ServiceSpec;

/** Spec fields the tenant decides and the host copy follows. */
const TENANT_FIELDS = [
  'type',
  'externalName',
  'externalTrafficPolicy',
  'internalTrafficPolicy',
  'loadBalancerIP',
  'loadBalancerClass',
  'loadBalancerSourceRanges',
  'allocateLoadBalancerNodePorts',
  'sessionAffinity',
  'sessionAffinityConfig',
  'publishNotReadyAddresses',
  'trafficDistribution',
  'ipFamilyPolicy',
] as const satisfies readonly (keyof ServiceSpec)[];

/**
 * Tenant fields the API server fills in when a Service leaves them out: unset in the desired spec,
 * the host's value is its default, not a leftover. Any other field unset in the virtual Service
 * (the API server omits false and empty ones: `publishNotReadyAddresses`, source ranges) is unset on
 * the host too.
 */
const SERVER_DEFAULTED: readonly (keyof ServiceSpec)[] = [
  'type',
  'externalTrafficPolicy',
  'internalTrafficPolicy',
  'allocateLoadBalancerNodePorts',
  'sessionAffinity',
  'sessionAffinityConfig',
  'ipFamilyPolicy',
];

const HEADLESS = 'None';
const usesNodePorts = (type: string | undefined) => type === 'NodePort' || type === 'LoadBalancer';
/** A port as Kubernetes keys it in a Service's list (and its managed fields): `<protocol>/<port>`. */
export const portKey = (p: Pick<ServicePort, 'port' | 'protocol'>) => `${p.protocol ?? 'TCP'}/${p.port}`;

/**
 * The host copy of a virtual Service. The selector is scoped to this virtual cluster and namespace
 * (every tenant's pods share the host namespace), the host allocates cluster IPs and node ports
 * (the virtual Service is then made to carry them), and `externalIPs` are dropped: on a shared host
 * they would let a tenant capture traffic meant for any address (CVE-2020-8554).
 */
export function hostServiceFor(
  virtual: KubeObject,
  where: Placement & { hostName: string },
  current?: KubeObject,
): KubeObject {
  const v = specOf(virtual);
  const spec: ServiceSpec = {};
  for (const field of TENANT_FIELDS)
    if (v[field] !== undefined) (spec as Record<string, unknown>)[field] = v[field];
  // The virtual API server sets it on a ClusterIP Service with externalIPs, which makes it external;
  // the copy has none (above), and the host refuses it on a Service that is not.
  if (!usesNodePorts(v.type)) delete spec.externalTrafficPolicy;
  const virtualNamespace = virtual.metadata?.namespace ?? '';
  if (v.selector && Object.keys(v.selector).length > 0) {
    spec.selector = translateLabelSelector(
      { matchLabels: v.selector },
      { vcName: where.vcName, virtualNamespace },
    ).matchLabels;
  }
  if (v.type !== 'ExternalName') {
    spec.ports = hostPorts(v, specOf(current));
    // Headless stays headless; any other IP is the host's to allocate (and then kept).
    if (v.clusterIP === HEADLESS) spec.clusterIP = HEADLESS;
    else if (specOf(current).clusterIP && specOf(current).clusterIP !== HEADLESS) {
      spec.clusterIP = specOf(current).clusterIP;
      spec.clusterIPs = specOf(current).clusterIPs;
    }
    if (v.ipFamilies && !current) spec.ipFamilies = v.ipFamilies;
    else if (specOf(current).ipFamilies) spec.ipFamilies = specOf(current).ipFamilies;
    // Dual-stack → single-stack: the host keeps only its primary family, as the API server requires.
    // (Single → dual needs nothing here: the policy changes and the host allocates the second IP.)
    if (v.ipFamilyPolicy === 'SingleStack') {
      if (spec.clusterIPs && spec.clusterIPs.length > 1) spec.clusterIPs = spec.clusterIPs.slice(0, 1);
      if (spec.ipFamilies && spec.ipFamilies.length > 1) spec.ipFamilies = spec.ipFamilies.slice(0, 1);
    }
  } else {
    spec.ports = v.ports?.map(({ nodePort: _n, ...p }) => p);
  }
  if (v.type === 'LoadBalancer' && v.externalTrafficPolicy === 'Local' && specOf(current).healthCheckNodePort)
    spec.healthCheckNodePort = specOf(current).healthCheckNodePort;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: hostMetadataFor(virtual, Resources.services, where),
    spec,
  };
}

/**
 * The host's ports: the tenant's, with node ports only for types that have them. A node port the
 * host already allocated for the same port is kept (so an update never churns it); otherwise the
 * host allocates one. Only a create asks for the virtual Service's own (askingForVirtualNodePorts).
 */
function hostPorts(v: ServiceSpec, current: ServiceSpec): ServicePort[] | undefined {
  if (!v.ports) return undefined;
  const allocated = new Map((current.ports ?? []).map((p) => [portKey(p), p.nodePort]));
  return v.ports.map((p) => {
    const { nodePort: _virtual, ...rest } = p;
    if (!usesNodePorts(v.type)) return rest;
    const keep = allocated.get(portKey(p));
    return keep ? { ...rest, nodePort: keep } : rest;
  });
}

/** True when the host Service's spec already says what the desired one says. */
export function hostSpecInSync(desired: KubeObject, host: KubeObject): boolean {
  const d = specOf(desired);
  const h = specOf(host);
  const keys = new Set([...Object.keys(d), ...TENANT_FIELDS, 'selector', 'ports']);
  for (const key of keys) {
    const k = key as keyof ServiceSpec;
    // Fields the server defaults (sessionAffinity None, policies Cluster, families) count as equal when unset.
    if (d[k] === undefined && SERVER_DEFAULTED.includes(k)) continue;
    if (k === 'ports') {
      if (!sameJson(normalisePorts(d.ports), normalisePorts(h.ports))) return false;
    } else if (!sameJson(d[k], h[k])) return false;
  }
  return true;
}

function normalisePorts(ports: ServicePort[] | undefined): unknown {
  return ports?.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort ?? p.port }));
}

/** The host's view to carry up: the IPs the virtual Service must have, and its node ports. */
export interface AllocatedByHost {
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ports?: ServicePort[];
}

/**
 * The host copy asking for the virtual Service's own cluster IPs, or undefined when there are none
 * to ask for (headless, ExternalName, not allocated). The virtual and the host API server allocate
 * from the same range, and an address free in one is usually free in the other: when the host grants
 * it, the virtual Service need not be deleted and made again with the host's address, which clients
 * see as the Service missing for a moment (`helm install --wait` fails on it) and which gives it a
 * new UID. The host refuses an address it has given out or that is outside its range; it then
 * allocates, as it always did.
 */
export function askingForVirtualClusterIPs(copy: KubeObject, virtual: KubeObject): KubeObject | undefined {
  const v = specOf(virtual);
  const c = specOf(copy);
  if (v.type === 'ExternalName' || !v.clusterIP || v.clusterIP === HEADLESS || c.clusterIP) return undefined;
  const clusterIPs = v.clusterIPs?.length ? v.clusterIPs : [v.clusterIP];
  return {
    ...copy,
    spec: { ...c, clusterIP: v.clusterIP, clusterIPs, ...(v.ipFamilies ? { ipFamilies: v.ipFamilies } : {}) },
  };
}

/**
 * The host copy asking for the virtual Service's node ports, or undefined when it has none. A tenant
 * who sets `nodePort: 30080` expects that port, as vCluster gives it; the virtual API server fills in
 * the others from the same range as the host's. The host refuses a port it has given out (the create
 * is then tried without them, and the host allocates); the virtual Service then takes the host's.
 * With `healthCheck` (a create: the port cannot change afterwards), a load balancer's
 * `healthCheckNodePort` is asked for too, so that both Services show the same, as in vCluster.
 */
export function askingForVirtualNodePorts(
  copy: KubeObject,
  virtual: KubeObject,
  opts: { healthCheck?: boolean } = {},
): KubeObject | undefined {
  const v = specOf(virtual);
  const c = specOf(copy);
  if (!usesNodePorts(v.type) || !c.ports) return undefined;
  const wanted = new Map((v.ports ?? []).filter((p) => p.nodePort).map((p) => [portKey(p), p.nodePort]));
  const healthCheckNodePort =
    opts.healthCheck && v.type === 'LoadBalancer' && v.externalTrafficPolicy === 'Local'
      ? v.healthCheckNodePort
      : undefined;
  if (!wanted.size && !healthCheckNodePort) return undefined;
  const ports = c.ports.map((p) => (wanted.has(portKey(p)) ? { ...p, nodePort: wanted.get(portKey(p)) } : p));
  return { ...copy, spec: { ...c, ports, ...(healthCheckNodePort ? { healthCheckNodePort } : {}) } };
}

/**
 * True when the virtual Service has cluster IPs other than the host's (either family of a
 * dual-stack Service): it must be re-created.
 */
export function needsRecreate(virtual: KubeObject, host: KubeObject): boolean {
  const h = specOf(host);
  const v = specOf(virtual);
  if (!h.clusterIP || h.clusterIP === HEADLESS || v.type === 'ExternalName') return false;
  if (h.clusterIP !== v.clusterIP) return true;
  // The policy decides how many families each side has; while they disagree on it, wait for the host.
  const hostIPs = h.clusterIPs ?? [h.clusterIP];
  const virtualIPs = v.clusterIPs ?? [v.clusterIP];
  return hostIPs.length === virtualIPs.length && !sameJson(hostIPs, virtualIPs);
}

/**
 * The virtual Service as it must be re-created: the tenant's object with the host's cluster IPs
 * and node ports, without server-set metadata.
 */
export function recreatedVirtualService(virtual: KubeObject, host: KubeObject): KubeObject {
  const {
    uid: _u,
    resourceVersion: _r,
    creationTimestamp: _c,
    managedFields: _m,
    ...meta
  } = virtual.metadata ?? {};
  const spec: ServiceSpec = { ...specOf(virtual) };
  const h = specOf(host);
  spec.clusterIP = h.clusterIP;
  spec.clusterIPs = h.clusterIPs;
  if (h.ipFamilies) spec.ipFamilies = h.ipFamilies;
  spec.ports = withHostNodePorts(spec, h);
  if (h.healthCheckNodePort) spec.healthCheckNodePort = h.healthCheckNodePort;
  return { apiVersion: 'v1', kind: 'Service', metadata: meta, spec };
}

/** The virtual ports with the host's node ports (only for types that have node ports). */
export function withHostNodePorts(v: ServiceSpec, h: ServiceSpec): ServicePort[] | undefined {
  if (!v.ports) return undefined;
  const hostNodePorts = new Map((h.ports ?? []).map((p) => [portKey(p), p.nodePort]));
  return v.ports.map((p) => {
    const { nodePort: _n, ...rest } = p;
    const nodePort = usesNodePorts(v.type) ? hostNodePorts.get(portKey(p)) : undefined;
    return nodePort ? { ...rest, nodePort } : rest;
  });
}
