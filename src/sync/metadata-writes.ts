import type { KubeObject } from '../kube/object.ts';
import type { ResourceType } from '../kube/resources.ts';
import type { ReconcileContext } from './kind.ts';
import type { MetadataPlan } from './metadata-sync.ts';

type StringMap = Record<string, string>;

/** A merge patch that turns `have` into `want`: changed keys set, removed keys null. */
function mapPatch(have: StringMap | undefined, want: StringMap): Record<string, string | null> {
  const patch: Record<string, string | null> = {};
  // Own keys only: `toString` is a valid label key, and `in` would find Object.prototype's.
  for (const key of Object.keys(have ?? {})) if (!Object.hasOwn(want, key)) patch[key] = null;
  for (const [key, value] of Object.entries(want))
    if (!have || !Object.hasOwn(have, key) || have[key] !== value) patch[key] = value;
  return patch;
}

/**
 * Writes labels and annotations that flowed up from the host onto the virtual object, as a merge
 * patch guarded by the resourceVersion the plan was made from (a conflict retries the reconcile).
 */
export async function writeVirtualMetadata(
  ctx: ReconcileContext,
  type: ResourceType,
  virtual: KubeObject,
  want: { labels: StringMap; annotations: StringMap },
): Promise<KubeObject> {
  const meta = virtual.metadata ?? {};
  ctx.noteMetadataUp?.(meta.resourceVersion);
  return ctx.virtual.patch(
    type,
    meta.namespace ?? '',
    meta.name ?? '',
    {
      metadata: {
        resourceVersion: meta.resourceVersion,
        labels: mapPatch(meta.labels, want.labels),
        annotations: mapPatch(meta.annotations, want.annotations),
      },
    },
    'merge',
  );
}

/** Writes what a metadata plan sends up, if anything; true when it wrote. */
export async function writePlannedMetadataUp(
  ctx: ReconcileContext,
  type: ResourceType,
  virtual: KubeObject,
  plan: MetadataPlan,
): Promise<boolean> {
  if (!plan.virtualChanged || !plan.virtual) return false;
  await writeVirtualMetadata(ctx, type, virtual, plan.virtual);
  return true;
}
