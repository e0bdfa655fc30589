import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { hostName } from '../../naming/names.ts';
import type { Placement } from '../../sync/kind.ts';
import {
  vetEndpoint,
  type AddressPolicy,
  type HostPodRef,
  type TargetRef,
} from '../shared/address-policy.ts';
import { hostMetadataFor, sameJson } from '../shared/host-metadata.ts';

/** The label naming the Service a slice belongs to (in the slice's namespace). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** The label naming the controller that manages a slice. */
export const SLICE_MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';

/**
 * The virtual cluster's own controllers. Their slices are never copied: the EndpointSlice
 * controller's serve Services with a selector (the host's controller makes the host's own), and the
 * mirroring controller's are derived from Endpoints, which the endpoints kind copies and the host's
 * mirroring controller mirrors again.
 */
export const VIRTUAL_SLICE_CONTROLLERS: ReadonlySet<string> = new Set([
  'endpointslice-controller.k8s.io',
  'endpointslicemirroring-controller.k8s.io',
]);

/**
 * The managed-by value of every host copy, whatever the tenant's slice says. It is the syncer's own,
 * claimed by no host controller: with the EndpointSlice or mirroring controller's value the host's
 * controllers would treat the copy as theirs (and delete it as one they did not make), and a value
 * the tenant chose could name some other controller on the host (a mesh, a gateway) that acts on
 * slices it believes it manages.
 */
export const SYNCER_SLICE_MANAGER = 'vsyncer.dev';

/** One endpoint of a slice, as far as the translation reads it. */
interface Endpoint {
  addresses?: unknown[] | null;
  targetRef?: TargetRef | null;
  conditions?: unknown;
  hostname?: string | null;
  zone?: string | null;
  nodeName?: string | null;
  hints?: { forZones?: unknown[] | null; forNodes?: unknown[] | null } | null;
}

/** The name of the Service a virtual slice belongs to, or undefined when it names none. */
export function serviceNameOf(slice: KubeObject | undefined): string | undefined {
  const name: unknown = slice?.metadata?.labels?.[SERVICE_NAME_LABEL];
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** True when a virtual slice is one of the virtual cluster's own controllers'. */
export function managedByVirtualController(slice: KubeObject): boolean {
  const manager: unknown = slice.metadata?.labels?.[SLICE_MANAGED_BY_LABEL];
  return typeof manager === 'string' && VIRTUAL_SLICE_CONTROLLERS.has(manager);
}

/**
 * The labels of a host copy that are the syncer's alone, whatever either side says: the Service it
 * belongs to is the host copy of the tenant's Service, and the manager is the syncer.
 */
export function pinnedSliceLabels(virtual: KubeObject, vcName: string): Record<string, string> {
  return {
    [SERVICE_NAME_LABEL]: hostName(serviceNameOf(virtual) ?? '', virtual.metadata?.namespace ?? '', vcName),
    [SLICE_MANAGED_BY_LABEL]: SYNCER_SLICE_MANAGER,
  };
}

/**
 * One endpoint of the host copy: what a Service's consumers read of it. `nodeName` and node hints
 * (`hints.forNodes`) are dropped: host node names are not the tenant's to set (kube-proxy routes
 * `internalTrafficPolicy: Local` and same-node traffic by them). Fields this list does not know
 * (`deprecatedTopology`, future ones) are not copied.
 */
function hostEndpoint(endpoint: Endpoint, targetRef: HostPodRef | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { addresses: endpoint.addresses ?? [] };
  if (endpoint.conditions != null) out.conditions = endpoint.conditions;
  if (endpoint.hostname != null) out.hostname = endpoint.hostname;
  if (targetRef) out.targetRef = targetRef;
  if (endpoint.zone != null) out.zone = endpoint.zone;
  const forZones = endpoint.hints?.forZones;
  if (forZones?.length) out.hints = { forZones };
  return out;
}

/**
 * The host copy of a tenant's EndpointSlice of a selector-less Service. Each endpoint is kept only
 * when it is safe on a shared host namespace (shared/address-policy.ts): a `Pod` targetRef must be
 * this tenant's pod with those IPs (and is pointed at the host pod); no IP may be another tenant's
 * pod in the host namespace, nor loopback, link-local or unspecified. FQDN slices hold hostnames,
 * resolved by whoever consumes them (as for an ExternalName Service), and are kept. Dropped
 * endpoints are returned so the tenant can be told.
 */
export function hostEndpointSliceFor(
  virtual: KubeObject,
  where: Placement & { hostName: string },
  policy: AddressPolicy,
): { slice: KubeObject; dropped: string[] } {
  const meta = virtual.metadata ?? {};
  const namespace = meta.namespace ?? '';
  const addressType = virtual.addressType;
  const dropped: string[] = [];
  const endpoints = ((virtual.endpoints ?? []) as Endpoint[]).flatMap((endpoint) => {
    const verdict = vetEndpoint(endpoint.addresses ?? [], endpoint.targetRef ?? undefined, {
      namespace,
      hostNamespace: where.hostNamespace,
      policy,
      ips: addressType !== 'FQDN',
    });
    if (!verdict.ok) {
      dropped.push(verdict.problem);
      return [];
    }
    return [hostEndpoint(endpoint, verdict.targetRef)];
  });
  const slice: KubeObject = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    // Its own labels pinned past the admin's denied keys: kube-proxy reads them.
    metadata: hostMetadataFor(
      virtual,
      Resources.endpointSlices,
      where,
      pinnedSliceLabels(virtual, where.vcName),
    ),
    addressType,
    endpoints,
  };
  if (Array.isArray(virtual.ports)) slice.ports = virtual.ports;
  return { slice, dropped };
}

/**
 * Whether a host copy already serves what the desired copy does. A missing list and an empty one are
 * alike (the API server returns `null` for an empty list); the address type cannot change.
 */
export function hostSliceInSync(desired: KubeObject, host: KubeObject): boolean {
  return (
    sameJson(desired.endpoints ?? [], host.endpoints ?? []) && sameJson(desired.ports ?? [], host.ports ?? [])
  );
}
