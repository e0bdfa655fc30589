import type { KubeObject } from '../../kube/object.ts';
import type { ResourceType } from '../../kube/resources.ts';
import { hostMetadataFor, type HostPlacement } from '../shared/host-metadata.ts';

/**
 * Dynamic Resource Allocation objects (resource.k8s.io/v1): what the syncer reads of a
 * ResourceClaim's `spec.devices` (a ResourceClaimTemplate has the same under `spec.spec`), checks, and
 * copies unchanged. Device classes are cluster-scoped host objects named as they are; nothing in a
 * claim names a namespaced object, so nothing is renamed.
 */
interface DeviceRequestLike {
  name?: unknown;
  deviceClassName?: unknown;
  adminAccess?: unknown;
}
interface DeviceRequest extends DeviceRequestLike {
  exactly?: DeviceRequestLike | null;
  firstAvailable?: DeviceRequestLike[] | null;
}

/** The claim spec of a ResourceClaim, or of the claims a ResourceClaimTemplate makes. */
export function claimSpecOf(obj: KubeObject, templated: boolean): Record<string, unknown> | undefined {
  const spec = obj.spec as Record<string, unknown> | undefined;
  return templated ? (spec?.spec as Record<string, unknown> | undefined) : spec;
}

/** Where the claim spec sits in the object, for messages. */
export const claimSpecPath = (templated: boolean): string => (templated ? 'spec.spec' : 'spec');

/** A device class one request (or one of its alternatives) names, and where. */
export interface NamedClass {
  name: string;
  field: string;
}

/**
 * The first thing wrong with a claim spec, named by its field, or undefined. Wrong: the API
 * server's own refusals the syncer relies on (requests a list of objects, each with a device class
 * name), and admin access: it lets a claim reach devices already allocated to others, which on the
 * host are other tenants' (Kubernetes grants it only in namespaces an admin labels, and the host
 * namespace is shared by every tenant of this virtual cluster).
 */
export function claimSpecProblem(spec: unknown, path: string): string | undefined {
  if (spec === undefined || spec === null) return `${path}: required`;
  if (typeof spec !== 'object' || Array.isArray(spec)) return `${path}: must be an object`;
  const devices = (spec as { devices?: unknown }).devices;
  if (devices === undefined || devices === null) return undefined;
  if (typeof devices !== 'object' || Array.isArray(devices)) return `${path}.devices: must be an object`;
  const requests = (devices as { requests?: unknown }).requests;
  if (requests === undefined || requests === null) return undefined;
  if (!Array.isArray(requests)) return `${path}.devices.requests: must be a list`;
  for (const [i, request] of requests.entries()) {
    const at = `${path}.devices.requests[${i}]`;
    if (!request || typeof request !== 'object' || Array.isArray(request)) return `${at}: must be an object`;
    const r = request as DeviceRequest;
    const alternatives = r.firstAvailable ?? [];
    if (!Array.isArray(alternatives)) return `${at}.firstAvailable: must be a list`;
    const parts: [DeviceRequestLike | null | undefined, string][] = [
      [r, at],
      [r.exactly, `${at}.exactly`],
      ...alternatives.map((a, j): [DeviceRequestLike, string] => [a, `${at}.firstAvailable[${j}]`]),
    ];
    for (const [part, field] of parts) {
      if (part === undefined || part === null) continue;
      if (typeof part !== 'object' || Array.isArray(part)) return `${field}: must be an object`;
      if (part.adminAccess === true)
        return `${field}.adminAccess: admin access is not given to tenants (it reaches devices allocated to other workloads of the host)`;
      if (part.deviceClassName !== undefined && typeof part.deviceClassName !== 'string')
        return `${field}.deviceClassName: must be a string`;
    }
  }
  return undefined;
}

/** Every device class a well-formed claim spec names (claimSpecProblem found nothing), with its field. */
export function deviceClassesOf(spec: unknown, path: string): NamedClass[] {
  const requests = ((spec as { devices?: { requests?: DeviceRequest[] } } | undefined)?.devices?.requests ??
    []) as DeviceRequest[];
  const out: NamedClass[] = [];
  requests.forEach((r, i) => {
    const at = `${path}.devices.requests[${i}]`;
    const named = (part: DeviceRequestLike | null | undefined, field: string) => {
      if (typeof part?.deviceClassName === 'string' && part.deviceClassName)
        out.push({ name: part.deviceClassName, field: `${field}.deviceClassName` });
    };
    named(r, at);
    named(r.exactly, `${at}.exactly`);
    (r.firstAvailable ?? []).forEach((a, j) => named(a, `${at}.firstAvailable[${j}]`));
  });
  return out;
}

/** The host copy: the tenant's spec unchanged under translated metadata, no status. */
export function hostDraObjectFor(virtual: KubeObject, type: ResourceType, where: HostPlacement): KubeObject {
  return {
    apiVersion: `${type.group}/${type.version}`,
    kind: type.kind,
    metadata: hostMetadataFor(virtual, type, where),
    spec: virtual.spec,
  };
}

/** A consumer a claim is reserved for (`status.reservedFor[]`). */
export interface ConsumerReference {
  apiGroup?: string;
  resource?: string;
  name?: string;
  uid?: string;
}

/**
 * The virtual claim's status from its host copy's: the allocation and the devices' own status as the
 * host's scheduler and drivers wrote them, and the consumers it is reserved for as this virtual
 * cluster knows them (`virtualPodOf` names the virtual pod of a host pod, undefined for a consumer
 * that is not this tenant's pod of the claim's namespace, which is left out), with
 * `keptReservations` of the virtual claim's own. Undefined when the host copy has no status yet.
 */
export function virtualClaimStatus(
  host: KubeObject,
  virtualPodOf: (hostPodName: string) => { name: string; uid: string } | undefined,
  keptReservations: readonly ConsumerReference[] = [],
): Record<string, unknown> | undefined {
  const status = host.status as
    { allocation?: unknown; reservedFor?: ConsumerReference[]; devices?: unknown } | undefined;
  if (!status) return undefined;
  const reservedFor: ConsumerReference[] = [];
  for (const consumer of status.reservedFor ?? []) {
    if ((consumer.apiGroup ?? '') !== '' || consumer.resource !== 'pods' || !consumer.name) continue;
    const pod = virtualPodOf(consumer.name);
    if (pod) reservedFor.push({ resource: 'pods', name: pod.name, uid: pod.uid });
  }
  // Reservations the virtual cluster's own controller keeps (see the kind's keptReservations).
  for (const kept of keptReservations)
    if (!reservedFor.some((r) => r.uid === kept.uid)) reservedFor.push(kept);
  const out: Record<string, unknown> = {};
  if (status.allocation) out.allocation = status.allocation;
  // Reservations need an allocation (the API refuses them without one).
  if (status.allocation && reservedFor.length) out.reservedFor = reservedFor;
  if (Array.isArray(status.devices) && status.devices.length) out.devices = status.devices;
  return out;
}
