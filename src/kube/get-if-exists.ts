import type { ClusterClient } from './client.ts';
import { isNotFound, isNotFoundNaming } from './errors.ts';
import type { KubeObject } from './object.ts';
import type { ResourceType } from './resources.ts';

/**
 * The object of that name as its cluster has it now, or undefined when there is none; any other
 * failure is thrown. For decisions a cache may be behind on, read from the cluster itself.
 *
 * Only a NotFound that names the object proves it absent: one naming nothing comes from something
 * else (a proxy in front of the API server, a resource not served at this moment) and is thrown, so
 * that no caller deletes or replaces what still exists. `unnamedNotFoundIsAbsent` is for reads of
 * any type an admin lists (aggregated APIs may answer a missing object without naming it), where
 * absence only leads to a create.
 */
export async function getIfExists<T extends KubeObject = KubeObject>(
  client: ClusterClient,
  type: ResourceType,
  namespace: string,
  name: string,
  { unnamedNotFoundIsAbsent = false } = {},
): Promise<T | undefined> {
  try {
    return await client.get<T>(type, namespace, name);
  } catch (err) {
    if (isNotFoundNaming(err, name) || (unnamedNotFoundIsAbsent && isNotFound(err))) return undefined;
    throw err;
  }
}
