import type { KubeObject, ObjectMeta } from '../../kube/object.ts';
import { groupVersionKindString, type ResourceType } from '../../kube/resources.ts';
import { objectAnnotations } from '../../naming/annotations.ts';
import { hostLabels } from '../../naming/labels.ts';
import { withManagedRecord } from '../../sync/managed-metadata.ts';

export interface HostPlacement {
  vcName: string;
  hostNamespace: string;
  hostName: string;
}

/**
 * Metadata of the host copy of a virtual object: translated name, labels and back-references, and
 * the record of which keys are the syncer's. Copies of cluster-scoped kinds have no namespace.
 */
export function hostMetadataFor(virtual: KubeObject, type: ResourceType, where: HostPlacement): ObjectMeta {
  const meta = virtual.metadata ?? {};
  const managed = withManagedRecord({
    labels: hostLabels(meta.labels ?? {}, { vcName: where.vcName, virtualNamespace: meta.namespace ?? '' }),
    annotations: {
      ...(meta.annotations ?? {}),
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

/** Deep equality of JSON values, treating a missing map and an empty one alike. */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (entries.length === 0) return undefined;
    return Object.fromEntries(entries.map(([k, x]) => [k, canonical(x)]));
  }
  return v;
}
