import type { KubeObject } from '../../kube/object.ts';
import { isJsonObject } from '../../util/json.ts';
import { portKey } from './translate.ts';

/**
 * Which of a Service's host-allocated fields its owner asked for by value, read from its managed
 * fields: a field the API server allocated (a cluster IP, a node port) is owned by no manager, one a
 * client wrote (a manifest's `clusterIP`, `nodePort`) by that client. The syncer's own writes (its
 * user agent's manager) do not count. A manifest asking for values the host gave to another of its
 * Services makes a re-apply fail once the Service carries the host's (a cluster IP cannot change,
 * server-side apply conflicts with the syncer): the tenant is told.
 */

/** The manager name the API server gives the syncer's writes (from its user agent, vsyncer/<version>). */
const SYNCERS_MANAGER = 'vsyncer';

interface ManagedFieldsEntry {
  manager?: string;
  fieldsV1?: unknown;
}

/** The spec field sets of every manager but the syncer. */
function tenantSpecFields(svc: KubeObject): Record<string, unknown>[] {
  const entries = (svc.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
  return entries.flatMap((entry) => {
    if (entry.manager === SYNCERS_MANAGER || !isJsonObject(entry.fieldsV1)) return [];
    const spec = entry.fieldsV1['f:spec'];
    return isJsonObject(spec) ? [spec] : [];
  });
}

/** Whether a client other than the syncer set the Service's cluster IP. */
export function clusterIPAskedFor(svc: KubeObject): boolean {
  return tenantSpecFields(svc).some((spec) => 'f:clusterIP' in spec || 'f:clusterIPs' in spec);
}

/** The ports (`<protocol>/<port>`) whose node port a client other than the syncer set. */
export function nodePortsAskedFor(svc: KubeObject): Set<string> {
  const asked = new Set<string>();
  for (const spec of tenantSpecFields(svc)) {
    const ports = spec['f:ports'];
    if (!isJsonObject(ports)) continue;
    for (const [key, fields] of Object.entries(ports)) {
      if (!key.startsWith('k:') || !isJsonObject(fields) || !('f:nodePort' in fields)) continue;
      try {
        const id = JSON.parse(key.slice(2)) as { port?: unknown; protocol?: unknown };
        if (typeof id.port === 'number')
          asked.add(
            portKey({ port: id.port, protocol: typeof id.protocol === 'string' ? id.protocol : undefined }),
          );
      } catch {
        // Not a key of the shape the API server writes: nothing asked that can be told.
      }
    }
  }
  return asked;
}
