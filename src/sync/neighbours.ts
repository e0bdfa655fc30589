import type { ClusterClient } from '../kube/client.ts';
import { isApiError } from '../kube/errors.ts';
import { Resources } from '../kube/resources.ts';
import { MANAGED_BY_LABEL } from '../naming/labels.ts';
import type { Logger } from '../util/log.ts';

/**
 * Whether two virtual clusters in one host namespace can make the same host names: when one name ends
 * in `-x-` and the other (`b` and `x-b`, `b` and `team-x-b`), every host name `<name>-x-<namespace>-x-<vc>`
 * of the longer is also one the shorter's tenants can make (namespace `kube-system-x`, name
 * `kube-dns`), and whoever writes first holds it. The chart refuses such an install; this is the same rule.
 */
export function virtualClusterNamesCollide(a: string, b: string): boolean {
  if (a === b) return false;
  return `-x-${a}`.endsWith(`-x-${b}`) || `-x-${b}`.endsWith(`-x-${a}`);
}

/**
 * The Services vCluster's chart and vsyncer's label `app=vcluster,release=<name>` (the virtual API
 * Service of each virtual cluster). A tenant's Service copy may carry any labels but always has the
 * managed-by label, which it cannot take off: those are left out, so no tenant can fake a neighbour.
 */
const VIRTUAL_CLUSTER_SERVICES = `app=vcluster,!${MANAGED_BY_LABEL}`;

export interface NeighbourCheckOptions {
  host: ClusterClient;
  hostNamespace: string;
  vcName: string;
  logger: Logger;
}

/**
 * Looks, once at the start of the leader, for another virtual cluster in the host namespace whose
 * name collides with this one's (installed beside it by another chart or by hand, past the chart's
 * own check), and warns: the syncer keeps running, since refusing would stop both virtual clusters,
 * but the admin learns that their tenants can take host names from each other.
 * Returns the colliding names found (none when the Services cannot be read).
 */
export async function warnOfCollidingNeighbours(o: NeighbourCheckOptions): Promise<string[]> {
  let names: string[];
  try {
    const list = await o.host.list(Resources.services, o.hostNamespace, {
      labelSelector: VIRTUAL_CLUSTER_SERVICES,
    });
    names = list.items.map((s) => s.metadata?.labels?.release ?? '');
  } catch (err) {
    // Not a reason to stop syncing: the check is a warning at best.
    const level = isApiError(err, 'forbidden') ? 'info' : 'warn';
    o.logger[level]('could not look for other virtual clusters in the host namespace', { err });
    return [];
  }
  const colliding = [...new Set(names)].filter((n) => n && virtualClusterNamesCollide(n, o.vcName)).sort();
  for (const other of colliding)
    o.logger.warn(
      'another virtual cluster in this host namespace has a name that collides with this one: the host names of ' +
        "their copies can be the same (one name is the other's with a '-x-' part before it), and the tenants of " +
        'one can hold host names the other needs (its DNS among them); move one to another host namespace',
      { namespace: o.hostNamespace, virtualCluster: o.vcName, other },
    );
  return colliding;
}
