import type { KubeObject } from '../../kube/object.ts';
import type { Placement } from '../../sync/kind.ts';
import { sameJson } from '../shared/host-metadata.ts';
import { loadBalancerStatusFromHost } from '../shared/load-balancer-status.ts';
import { hostServiceFor, hostSpecInSync, needsRecreate, specOf, withHostNodePorts } from './translate.ts';

/**
 * For `vsyncer check`: what of a synced Service pair is not as the syncer would leave it, from the
 * two objects alone: the host spec the tenant decides, and back up the cluster IP, node ports and
 * load-balancer status the host decides.
 */
export function serviceDifferences(
  virtual: KubeObject,
  host: KubeObject,
  where: Placement & { hostName: string },
): string[] {
  const v = specOf(virtual);
  const h = specOf(host);
  const out: string[] = [];
  if (needsRecreate(virtual, host))
    out.push(`virtual cluster IP is ${v.clusterIP ?? 'unset'}, the host's is ${h.clusterIP ?? 'unset'}`);
  if (!hostSpecInSync(hostServiceFor(virtual, where, host), host)) out.push('host spec differs');
  if (!sameJson(withHostNodePorts(v, h), v.ports)) out.push("virtual node ports differ from the host's");
  if (!sameJson(loadBalancerStatusFromHost(host), virtual.status ?? { loadBalancer: {} }))
    out.push("virtual load-balancer status differs from the host's");
  return out;
}
