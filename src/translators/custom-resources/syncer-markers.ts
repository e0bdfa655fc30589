import { withoutSyncerAnnotations } from '../../sync/metadata-sync.ts';
import { isJsonObject, setOwn } from '../../util/json.ts';

const isRecord = isJsonObject;
/** A field holding annotations: `annotations`, and charts' `podAnnotations`, `commonAnnotations`... */
const ANNOTATIONS_FIELD = /annotations$/i;

/**
 * A custom resource's content as its host copy carries it: every annotations map inside it (a pod
 * template's, a secret template's, a chart's `podAnnotations` in a HelmRelease; whatever its values,
 * a null read as "" by a Go operator) without the syncer's own annotations, the ones that say whose copy
 * an object is (object-kind, object-name, object-namespace, object-uid, the pod's identity, anything
 * under `vsyncer.dev/`). A host operator that copies such a map onto objects it makes in the host
 * namespace would otherwise make them pass for this syncer's copies: taken over as the copy of a
 * tenant's pod (whose logs and exec the tenant would then reach), or deleted as a stale copy. A
 * content without them is returned as the same object.
 */
export function withoutSyncerMarkers(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(withoutSyncerMarkers);
    return items.every((item, i) => item === value[i]) ? value : items;
  }
  if (!isRecord(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    // (withoutSyncerAnnotations reads only the keys, whatever the values.)
    const next =
      ANNOTATIONS_FIELD.test(key) && isRecord(item)
        ? withoutSyncerAnnotations(item as Record<string, string>)
        : withoutSyncerMarkers(item);
    if (next === item && !out) continue;
    out ??= copyUpTo(value, key);
    setOwn(out, key, next);
  }
  return out ?? value;
}

/** A copy of the entries of `value` before `key`, for a walk that found its first change at `key`. */
function copyUpTo(value: Record<string, unknown>, key: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === key) break;
    setOwn(out, k, v);
  }
  return out;
}
