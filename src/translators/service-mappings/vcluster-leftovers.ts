import { objectKey, type KubeObject } from '../../kube/object.ts';
import { CONTROLLED_BY_LABEL } from '../../naming/labels.ts';
import { VCLUSTER_REPLICA_MARK } from '../../sync/controlled-elsewhere.ts';
import { FROM_HOST_LABEL } from '../shared/from-host.ts';
import { specOf } from '../services/translate.ts';
import type { ServiceMappings } from './mappings.ts';

/**
 * Service replicas vCluster left in the virtual cluster (networking.replicateServices.fromHost),
 * found again after a migration to this syncer, or after a mapping was removed while the syncer was
 * down. vCluster marks every replica it makes with one label and nothing else: no record of the host
 * Service, no owner. That label is all there is to go by, and a tenant can put it on its own
 * objects too, so what is done with such an object is chosen to be what vCluster would do, and said.
 */

/** The value of vcluster.loft.sh/controlled-by on every replica vCluster makes. */
export const VCLUSTER_CONTROLLER = VCLUSTER_REPLICA_MARK;

/**
 * The label this syncer's replicas carry as vCluster's do (both sides), so tools and queries written
 * for vCluster (and vCluster itself, if a cluster goes back) find them. Every other kind skips an
 * object so labelled (see sync/controlled-elsewhere.ts): replicas are no tenant objects to copy; the
 * replica kinds know theirs by their own annotation beside it.
 */
export const VCLUSTER_REPLICA_LABELS: Readonly<Record<string, string>> = {
  [CONTROLLED_BY_LABEL]: VCLUSTER_CONTROLLER,
};

/** The virtual API server's own Service: no mapping may name it, so no replica was ever there. */
const KUBERNETES_SERVICE = 'default/kubernetes';

/**
 * A virtual Service or Endpoints labelled as vCluster labels its replicas, that no kind of this
 * syncer made (its replicas, and every other object it shows from the host, carry the from-host
 * label as well).
 */
export function isVclusterLeftover(obj: KubeObject | undefined): boolean {
  const labels = obj?.metadata?.labels;
  return (
    labels?.[CONTROLLED_BY_LABEL] === VCLUSTER_CONTROLLER &&
    labels[FROM_HOST_LABEL] === undefined &&
    objectKey(obj!) !== KUBERNETES_SERVICE
  );
}

/**
 * Shaped as the replicas vCluster makes of a host Service: headless, of type ClusterIP, selecting
 * nothing (its Endpoints written for it). A labelled Service with a selector or a cluster IP is no
 * replica vCluster made, whatever its label says: the tenant's own, with pods behind it.
 */
function shapedAsVclusterReplica(service: KubeObject): boolean {
  const s = specOf(service);
  return (
    (s.type ?? 'ClusterIP') === 'ClusterIP' &&
    s.clusterIP === 'None' &&
    Object.keys(s.selector ?? {}).length === 0
  );
}

/**
 * The work key a leftover Service is reconciled under (by the host-services kind, whose keys are host
 * Services), given the mappings' target → host key:
 * - at a mapping's target, shaped as vCluster's replica: that mapping's host Service, so it is taken
 *   over as the replica (or deleted when the host Service is gone), as vCluster would;
 * - at a mapping's target but not so shaped: none. It is the tenant's Service, never touched; the
 *   mapping waits, as for any tenant Service holding the name;
 * - anywhere else: its own key, which no mapping maps, so it is not wanted and is deleted, whatever
 *   its shape, as vCluster deletes every labelled virtual Service no fromHost mapping targets (its own
 *   e2e suite's has a selector). The label's value `vcluster` is vCluster's mark on its replicas; a
 *   tenant opts a Service out with any other value. Were its key a mapped host Service's, it would
 *   still be a stale target of that key and go the same way.
 */
export function leftoverSourceKey(
  service: KubeObject,
  hostKeysByTarget: ServiceMappings,
): string | undefined {
  if (!isVclusterLeftover(service)) return undefined;
  const key = objectKey(service);
  const hostKey = hostKeysByTarget.get(key);
  if (hostKey === undefined) return key;
  return shapedAsVclusterReplica(service) ? hostKey : undefined;
}

/** What the tenant is told (an event on the Service, and the log) when a leftover is deleted. */
export function leftoverDeletedMessage(mappedFrom: string | undefined): string {
  const why = mappedFrom
    ? `the host Service its mapping names (${mappedFrom}) is gone, or may not be replicated`
    : 'no Service mapping (mapHostServices, vCluster fromHost) replicates a host Service under this name';
  return `deleted: labelled ${CONTROLLED_BY_LABEL}=${VCLUSTER_CONTROLLER}, it is a Service replica vCluster made, and ${why}`;
}

/** What the tenant is told when a leftover is taken over as a mapping's replica. */
export function leftoverAdoptedMessage(hostKey: string): string {
  return `taken over as the replica of the host Service ${hostKey}: labelled ${CONTROLLED_BY_LABEL}=${VCLUSTER_CONTROLLER} and headless without a selector, it is the replica vCluster made under this name`;
}
