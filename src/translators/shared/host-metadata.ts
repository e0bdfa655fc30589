import type { KubeObject, ObjectMeta } from '../../kube/object.ts';
import { groupVersionKindString, type ResourceType } from '../../kube/resources.ts';
import { objectAnnotations } from '../../naming/annotations.ts';
import { hostLabels, MANAGED_BY_LABEL, managedByValue } from '../../naming/labels.ts';
import { withManagedRecord } from '../../sync/managed-metadata.ts';
import { withoutSyncerAnnotations } from '../../sync/metadata-sync.ts';
import { withoutDeniedKeys } from '../../naming/denied-metadata.ts';

export interface HostPlacement {
  vcName: string;
  hostNamespace: string;
  hostName: string;
  /** Tenant keys left off the copy (Placement.deniedHostMetadata). */
  deniedHostMetadata?: readonly string[];
}

/**
 * Metadata of the host copy of a virtual object: translated name, labels and back-references, and
 * the record of which keys are the syncer's. Copies of cluster-scoped kinds have no namespace.
 * `pinnedLabels` are the kind's own labels on the copy, over the tenant's and past the admin's
 * denied keys (an EndpointSlice's Service name).
 */
export function hostMetadataFor(
  virtual: KubeObject,
  type: ResourceType,
  where: HostPlacement,
  pinnedLabels: Record<string, string> = {},
): ObjectMeta {
  const meta = virtual.metadata ?? {};
  // Only the tenant's keys are filtered: the syncer's own (pinned labels a host controller reads, the
  // back-references) are added after.
  const denied = where.deniedHostMetadata ?? [];
  const labels = hostLabels(
    { ...withoutDeniedKeys(meta.labels ?? {}, denied), ...pinnedLabels },
    {
      vcName: where.vcName,
      virtualNamespace: meta.namespace ?? '',
    },
  );
  // Copies of cluster-scoped kinds share the cluster with other host namespaces' virtual clusters.
  if (!type.namespaced) labels[MANAGED_BY_LABEL] = managedByValue(where, false);
  const managed = withManagedRecord({
    labels,
    annotations: {
      ...withoutSyncerAnnotations(withoutDeniedKeys(meta.annotations ?? {}, denied)),
      ...objectAnnotations({
        name: meta.name ?? '',
        namespace: meta.namespace ?? '',
        uid: meta.uid ?? '',
        kind: groupVersionKindString(type),
        hostName: where.hostName,
        hostNamespace: where.hostNamespace,
      }),
    },
  });
  return type.namespaced
    ? { name: where.hostName, namespace: where.hostNamespace, ...managed }
    : { name: where.hostName, ...managed };
}

/**
 * Deep equality of JSON values, treating a missing map and an empty one alike: the same answer as
 * comparing the JSON of both with sorted keys, undefined entries dropped and an object with no
 * defined entry counted as missing (in an array: as null). Compares in place, with no copy and no
 * string, because reconciles call it for every field they check.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  const missingA = isMissing(a);
  const missingB = isMissing(b);
  if (missingA || missingB) return missingA && missingB;
  return sameValue(a, b);
}

/**
 * True when every field `desired` sets has that value in `current`, which may hold more (the API
 * server's defaults, another controller's fields): the check for objects whose defaults differ
 * between the clusters' versions, where a full comparison would write for ever.
 */
export function coversJson(desired: unknown, current: unknown): boolean {
  if (isPlainObject(desired)) {
    if (!isPlainObject(current)) return Object.keys(desired).length === 0;
    return Object.entries(desired).every(([k, v]) => v === undefined || coversJson(v, current[k]));
  }
  return sameJson(desired, current);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** undefined, or an object whose every entry is undefined: what the JSON form leaves out. */
function isMissing(v: unknown): boolean {
  if (v === undefined) return true;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  for (const key in v)
    if (Object.hasOwn(v, key) && (v as Record<string, unknown>)[key] !== undefined) return false;
  return true;
}

/** Equality of two values that are both present. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return sameScalar(a, b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      // An element that is missing is written as null.
      const x = isMissing(a[i]) ? null : a[i];
      const y = isMissing(b[i]) ? null : b[i];
      if (!sameValue(x, y)) return false;
    }
    return true;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let entries = 0;
  for (const key in ra) {
    if (!Object.hasOwn(ra, key) || isMissing(ra[key])) continue;
    entries++;
    if (!Object.hasOwn(rb, key) || isMissing(rb[key]) || !sameValue(ra[key], rb[key])) return false;
  }
  for (const key in rb) if (Object.hasOwn(rb, key) && !isMissing(rb[key])) entries--;
  return entries === 0;
}

/** Scalars as JSON writes them: numbers that JSON cannot hold become null. */
function sameScalar(a: unknown, b: unknown): boolean {
  const x = typeof a === 'number' && !Number.isFinite(a) ? null : a;
  const y = typeof b === 'number' && !Number.isFinite(b) ? null : b;
  return x === y;
}
