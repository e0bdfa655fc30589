import type { Informer } from '../../informer/informer.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { hostName } from '../../naming/names.ts';
import type { Placement, Relation } from '../../sync/kind.ts';
import { managedCopiesScope, ownedVirtualKey } from '../../sync/mappers.ts';

/**
 * The host copy of a virtual Service, when it exists and is provably that Service's copy: host names
 * are ambiguous, and what belongs to a Service (its Endpoints, its slices) must never land on another
 * virtual cluster's Service of the same host name.
 */
export function ownHostService(
  hostServices: Informer<KubeObject>,
  where: Pick<Placement, 'vcName' | 'hostNamespace'>,
  namespace: string,
  service: string,
): KubeObject | undefined {
  const host = hostServices.store.get(`${where.hostNamespace}/${hostName(service, namespace, where.vcName)}`);
  return host && ownedVirtualKey(host, where, Resources.services) === `${namespace}/${service}`
    ? host
    : undefined;
}

/**
 * A relation on this virtual cluster's host Service copies: what waits for a Service's copy (and goes
 * with it) is looked at again when the copy comes, changes or goes. `keysOf` gives the kind's keys
 * for the Service's virtual key (`namespace/name`).
 */
export function hostServiceCopies(where: Placement, keysOf: (serviceKey: string) => string[]): Relation {
  return {
    name: 'host-services',
    cluster: 'host',
    type: Resources.services,
    scope: managedCopiesScope(where),
    keys: (svc) => {
      const key = ownedVirtualKey(svc, where, Resources.services);
      return key ? keysOf(key) : [];
    },
  };
}
