import { isApiError, isNotFound } from '../../kube/errors.ts';
import { Resources } from '../../kube/resources.ts';
import type { ReconcileContext } from '../../sync/kind.ts';

/**
 * Makes a virtual namespace when it is missing, for a host object an admin mapped into it (as
 * vCluster does): true when this call made it. Never changes one that exists.
 */
export async function ensureVirtualNamespace(ctx: ReconcileContext, namespace: string): Promise<boolean> {
  try {
    await ctx.virtual.get(Resources.namespaces, '', namespace);
    return false;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
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
