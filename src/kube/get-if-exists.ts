import type { ClusterClient } from './client.ts';
import { isNotFound } from './errors.ts';
import type { KubeObject } from './object.ts';
import type { ResourceType } from './resources.ts';

/**
 * The object of that name as its cluster has it now, or undefined when there is none; any other
 * failure is thrown. For decisions a cache may be behind on, read from the cluster itself.
 */
export async function getIfExists<T extends KubeObject = KubeObject>(
  client: ClusterClient,
  type: ResourceType,
  namespace: string,
  name: string,
): Promise<T | undefined> {
  try {
    return await client.get<T>(type, namespace, name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
