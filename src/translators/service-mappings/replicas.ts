import { splitKey, type KubeObject } from '../../kube/object.ts';
import {
  CONTROLLED_BY_LABEL,
  MANAGED_BY_LABEL,
  OBJECT_HOST_NAME_ANNOTATION,
  OBJECT_HOST_NAMESPACE_ANNOTATION,
  managedByValue,
  translateLabelSelector,
} from '../../naming/labels.ts';
import { FROM_HOST_LABEL } from '../shared/from-host.ts';
import { sameJson } from '../shared/host-metadata.ts';
import { specOf, type ServicePort } from '../services/translate.ts';
import { VCLUSTER_REPLICA_LABELS } from './vcluster-leftovers.ts';

/** The `--sync` names of the two kinds (their replicas carry them as controlled-by, see below). */
export const MAPPED_HOST_SERVICES = 'mapped-host-services';
export const MAPPED_VIRTUAL_SERVICES = 'mapped-virtual-services';

/** The virtual Service a mapping replicates, recorded on its host replica. */
export const REPLICA_OF_ANNOTATION = 'vsyncer.dev/replica-of';

const HEADLESS = 'None';

/**
 * Replicas carry vCluster's controlled-by annotation with their kind's name: it tells the two kinds'
 * replicas apart, and from an object a tenant labelled (the label alone says "vCluster's").
 */
const controlledBy = (kind: string) => ({ [CONTROLLED_BY_LABEL]: kind });

/** A replica's ports: each port as clients dial it, with no node port (no type exposes one). */
function replicaPorts(ports: ServicePort[] | undefined, targetIsPort: boolean): ServicePort[] | undefined {
  return ports?.map(({ nodePort: _n, ...p }) => (targetIsPort ? { ...p, targetPort: p.port } : p));
}

/**
 * Ports as the API server stores them, to compare a desired replica with the one there: protocol
 * defaulted to TCP, targetPort to the port; node ports (no replica asks for one) left out.
 */
function comparablePorts(ports: ServicePort[] | undefined) {
  return (ports ?? []).map(({ nodePort: _n, ...p }) => ({
    ...p,
    protocol: p.protocol ?? 'TCP',
    targetPort: p.targetPort ?? p.port,
  }));
}

// --- host → virtual -----------------------------------------------------------------------------

/**
 * A virtual replica (Service and Endpoints) is labelled as vCluster labels its own, besides the
 * from-host label that marks it as this syncer's. The label keeps every other kind away from it;
 * this kind is from-host, whose targets the engine's opt-out never holds up.
 */
const virtualReplicaLabels = { [FROM_HOST_LABEL]: 'true', ...VCLUSTER_REPLICA_LABELS };

/** True for a virtual Service or Endpoints the host-services kind made. */
export function isVirtualReplica(obj: KubeObject | undefined): boolean {
  const meta = obj?.metadata;
  return (
    meta?.labels?.[FROM_HOST_LABEL] === 'true' &&
    meta.annotations?.[CONTROLLED_BY_LABEL] === MAPPED_HOST_SERVICES
  );
}

/** The host Service a mapping may replicate, or why not (after malformedService passed it). */
export function hostServiceRefusal(host: KubeObject): string | undefined {
  // Its shape was checked first (malformedService): a spec, if any, is an object; ports a list.
  // A syncer's copy of a tenant's Service is that tenant's, with the endpoints it chose. A replica
  // a virtual cluster exposes under a host name (mapVirtualServices, vCluster's toHost) is made to be
  // mapped (vCluster's way for two virtual clusters to talk), its endpoints its pods by selector.
  if (
    host.metadata?.labels?.[MANAGED_BY_LABEL] !== undefined &&
    host.metadata?.annotations?.[CONTROLLED_BY_LABEL] !== MAPPED_VIRTUAL_SERVICES
  )
    return "a syncer made it (a copy of a tenant's Service): only the host Services a virtual cluster exposes (mapVirtualServices) and the host's own may be mapped";
  if (host.spec == null) return 'the host Service has no spec';
  const s = specOf(host);
  if (s.type === 'ExternalName')
    return s.externalName ? undefined : 'the host ExternalName Service names no host';
  if (!s.clusterIP) return 'the host Service has no cluster IP yet';
  return undefined;
}

/**
 * The virtual Service that stands for a host Service: headless, so the virtual cluster's DNS
 * answers with the addresses of its Endpoints (the host Service's cluster IP, see
 * virtualEndpointsOf) and a client dials the host Service itself; an ExternalName Service stays
 * one, naming the same host.
 */
export function virtualReplicaOf(host: KubeObject, virtualKey: string): KubeObject {
  const { namespace, name } = splitKey(virtualKey);
  const s = specOf(host);
  const spec: Record<string, unknown> =
    s.type === 'ExternalName'
      ? { type: 'ExternalName', externalName: s.externalName, ports: replicaPorts(s.ports, false) }
      : { type: 'ClusterIP', clusterIP: HEADLESS, ports: replicaPorts(s.ports, true) };
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace,
      labels: virtualReplicaLabels,
      annotations: {
        ...controlledBy(MAPPED_HOST_SERVICES),
        [OBJECT_HOST_NAME_ANNOTATION]: host.metadata?.name ?? '',
        [OBJECT_HOST_NAMESPACE_ANNOTATION]: host.metadata?.namespace ?? '',
      },
    },
    spec,
  };
}

/** An Endpoints address, without the host objects it names (a host pod, a host node). */
const bareAddress = (a: { ip?: string; hostname?: string }) =>
  a.hostname ? { ip: a.ip, hostname: a.hostname } : { ip: a.ip };

interface Subset {
  addresses?: { ip?: string; hostname?: string }[];
  notReadyAddresses?: { ip?: string; hostname?: string }[];
  ports?: { name?: string; port: number; protocol?: string; appProtocol?: string }[];
}

/**
 * The Endpoints of a host Service's virtual replica: its cluster IP, at the Service's ports; for a
 * headless host Service, the addresses of the host's own Endpoints (bare IPs). None for an
 * ExternalName Service.
 */
export function virtualEndpointsOf(
  host: KubeObject,
  virtualKey: string,
  hostEndpoints: KubeObject | undefined,
): KubeObject | undefined {
  const s = specOf(host);
  if (s.type === 'ExternalName') return undefined;
  const { namespace, name } = splitKey(virtualKey);
  let subsets: Subset[];
  if (s.clusterIP === HEADLESS) {
    subsets = ((hostEndpoints?.subsets ?? []) as Subset[]).map((sub) => {
      const out: Subset = {};
      if (sub.addresses?.length) out.addresses = sub.addresses.map(bareAddress);
      if (sub.notReadyAddresses?.length) out.notReadyAddresses = sub.notReadyAddresses.map(bareAddress);
      if (sub.ports) out.ports = sub.ports;
      return out;
    });
  } else {
    const ports = (s.ports ?? []).map((p) => {
      const port: { name?: string; port: number; protocol?: string; appProtocol?: string } = {
        port: p.port,
        protocol: p.protocol ?? 'TCP',
      };
      if (p.name) port.name = p.name;
      if (p.appProtocol) port.appProtocol = p.appProtocol;
      return port;
    });
    // One address, spec.clusterIP, as vCluster writes: Endpoints hold one IP family (the endpoints
    // controller writes a dual-stack Service's primary family only), and that IP is the Service's.
    subsets = [{ addresses: [{ ip: s.clusterIP! }], ...(ports.length ? { ports } : {}) }];
  }
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name,
      namespace,
      labels: virtualReplicaLabels,
      annotations: controlledBy(MAPPED_HOST_SERVICES),
    },
    subsets,
  };
}

/** True when the virtual replica says what the desired one says (the server's defaults aside). */
export function virtualReplicaInSync(desired: KubeObject, current: KubeObject): boolean {
  const d = specOf(desired);
  const c = specOf(current);
  return (
    (d.type ?? 'ClusterIP') === (c.type ?? 'ClusterIP') &&
    (d.externalName ?? '') === (c.externalName ?? '') &&
    (d.type === 'ExternalName' || c.clusterIP === HEADLESS) &&
    sameJson(comparablePorts(d.ports), comparablePorts(c.ports)) &&
    markedAsDesired(desired, current)
  );
}

/** True when the replica's Endpoints say what the desired ones say. */
export function virtualEndpointsInSync(desired: KubeObject, current: KubeObject): boolean {
  return sameJson(desired.subsets, current.subsets) && markedAsDesired(desired, current);
}

/**
 * The replica's labels and annotations over what the object has: how a replica made before a label
 * was added gets it, and a Service vCluster left is marked as this syncer's when taken over.
 */
export function withReplicaMarks(current: KubeObject, desired: KubeObject): KubeObject['metadata'] {
  return {
    ...current.metadata,
    labels: { ...current.metadata?.labels, ...desired.metadata?.labels },
    annotations: { ...current.metadata?.annotations, ...desired.metadata?.annotations },
  };
}

/** True when the object has the labels and annotations the desired replica has (others aside). */
function markedAsDesired(desired: KubeObject, current: KubeObject): boolean {
  return (
    sameJson(desired.metadata?.labels, pick(current.metadata?.labels, desired.metadata?.labels)) &&
    sameJson(
      desired.metadata?.annotations,
      pick(current.metadata?.annotations, desired.metadata?.annotations),
    )
  );
}

/** The entries of `from` whose keys `keys` has. */
function pick(from: Record<string, string> | undefined, keys: Record<string, string> | undefined) {
  return Object.fromEntries(Object.keys(keys ?? {}).map((k) => [k, from?.[k]]));
}

// --- virtual → host -----------------------------------------------------------------------------

/** True for a host Service the virtual-services kind made for this virtual cluster. */
export function isHostReplica(
  obj: KubeObject | undefined,
  where: { vcName: string; hostNamespace: string },
): boolean {
  const meta = obj?.metadata;
  return (
    meta?.labels?.[MANAGED_BY_LABEL] === managedByValue(where, true) &&
    meta.annotations?.[CONTROLLED_BY_LABEL] === MAPPED_VIRTUAL_SERVICES &&
    meta.annotations[REPLICA_OF_ANNOTATION] !== undefined
  );
}

/**
 * The host replica of a virtual Service, in the host namespace under the mapping's name: a ClusterIP
 * Service with the virtual Service's ports and its selector scoped to this virtual cluster and
 * namespace, so it selects exactly the host pods the virtual Service selects. It is no copy of the
 * Service (that is the services kind's `<name>-x-<namespace>-x-<vc>`): it records which Service it
 * replicates in its own annotation, not in the copies' object-name annotations. Labelled
 * vcluster.loft.sh/controlled-by as vCluster's are, and annotated with this kind's name, which makes it
 * this kind's target and another virtual cluster's mapped-host-services source (isControlledElsewhere)
 * and keeps every other kind away.
 */
export function hostReplicaOf(
  virtual: KubeObject,
  hostKey: string,
  where: { vcName: string; hostNamespace: string },
): KubeObject {
  const v = specOf(virtual);
  const virtualNamespace = virtual.metadata?.namespace ?? '';
  const spec: Record<string, unknown> = { type: 'ClusterIP', ports: replicaPorts(v.ports, false) };
  if (v.clusterIP === HEADLESS) spec.clusterIP = HEADLESS;
  if (v.selector && Object.keys(v.selector).length > 0)
    spec.selector = translateLabelSelector(
      { matchLabels: v.selector },
      { vcName: where.vcName, virtualNamespace },
    ).matchLabels;
  if (v.publishNotReadyAddresses) spec.publishNotReadyAddresses = true;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: splitKey(hostKey).name,
      namespace: where.hostNamespace,
      // vCluster's mark on its replicas: every other kind, and other tools, keep away from it; the
      // annotation says it is this kind's own (see isControlledElsewhere).
      labels: { [MANAGED_BY_LABEL]: managedByValue(where, true), ...VCLUSTER_REPLICA_LABELS },
      annotations: {
        ...controlledBy(MAPPED_VIRTUAL_SERVICES),
        [REPLICA_OF_ANNOTATION]: `${virtualNamespace}/${virtual.metadata?.name ?? ''}`,
      },
    },
    spec,
  };
}

/** True when the host replica's ports and selector say what the desired one says. */
export function hostReplicaInSync(desired: KubeObject, current: KubeObject): boolean {
  const d = specOf(desired);
  const c = specOf(current);
  return (
    sameJson(comparablePorts(d.ports), comparablePorts(c.ports)) &&
    sameJson(d.selector, c.selector) &&
    (d.clusterIP === HEADLESS) === (c.clusterIP === HEADLESS) &&
    (d.publishNotReadyAddresses ?? false) === (c.publishNotReadyAddresses ?? false)
  );
}
