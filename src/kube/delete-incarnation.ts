import type { ClusterClient } from './client.ts';
import { isNotFound } from './errors.ts';
import type { KubeObject } from './object.ts';
import type { ResourceType } from './resources.ts';

/**
 * Deletes the very object given, if it is still there: a UID precondition, so that a later object
 * of that name (another tenant's, after an ambiguous host name) is never deleted in its place; one
 * already gone counts as deleted.
 */
export async function deleteIncarnation(
  client: ClusterClient,
  type: ResourceType,
  obj: KubeObject,
): Promise<void> {
  try {
    await client.delete(type, obj.metadata?.namespace ?? '', obj.metadata?.name ?? '', {
      uid: obj.metadata?.uid,
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
