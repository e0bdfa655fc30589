import { deleteIncarnation } from '../../kube/delete-incarnation.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { ResourceType } from '../../kube/resources.ts';
import type { KindSpec, ReconcileContext, SyncResult } from '../../sync/kind.ts';

/** How often a copy kept for a host pod that still uses it is looked at again. */
export const KEEP_WHILE_USED_RECHECK_MS = 10_000;

/**
 * A kind's `remove` for copies a host pod may still use (mounts, runs as): while the kind's
 * `keptBecause` names a reason the copy stays and is looked at again later; otherwise that very copy
 * (its UID) is deleted. Freeing the copy's ambiguous name while a pod uses it would let another
 * object take the name and reach that pod.
 */
export function removeUnlessKept(
  type: ResourceType,
  keptBecause: NonNullable<KindSpec['keptBecause']>,
  recheckMs = KEEP_WHILE_USED_RECHECK_MS,
): (ctx: ReconcileContext, copy: KubeObject) => Promise<SyncResult> {
  return async (ctx, copy) => {
    const kept = keptBecause(ctx, copy);
    if (kept) {
      ctx.log.debug(`host copy kept for now: ${kept}`);
      return { requeueAfterMs: recheckMs };
    }
    await deleteIncarnation(ctx.host, type, copy);
    return { hostWritten: true };
  };
}
