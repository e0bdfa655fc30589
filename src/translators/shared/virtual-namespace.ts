import { isApiError } from '../../kube/errors.ts';
import { getIfExists } from '../../kube/get-if-exists.ts';
import { Resources } from '../../kube/resources.ts';
import type { ReconcileContext } from '../../sync/kind.ts';

/**
 * Makes a virtual namespace when it is missing, for a host object an admin mapped into it (as
 * vCluster does): true when this call made it. Never changes one that exists.
 */
export async function ensureVirtualNamespace(ctx: ReconcileContext, namespace: string): Promise<boolean> {
  if (await getIfExists(ctx.virtual, Resources.namespaces, '', namespace)) return false;
  try {
    await ctx.virtual.create(Resources.namespaces, '', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
    });
  } catch (err) {
    if (!isApiError(err, 'alreadyExists')) throw err;
  }
  return true;
}
