import type { KubeObject } from '../../kube/object.ts';
import type { ResourceType } from '../../kube/resources.ts';
import type { ReconcileContext } from '../../sync/kind.ts';
import { sameJson } from './host-metadata.ts';

/** The load-balancer status a virtual Service or Ingress should show: its host copy's. */
export function loadBalancerStatusFromHost(host: KubeObject): { loadBalancer: unknown } {
  const status = host.status as { loadBalancer?: unknown } | undefined;
  return { loadBalancer: status?.loadBalancer ?? {} };
}

/**
 * Writes the host copy's load-balancer status to the virtual object when it differs. `latest` is the
 * virtual object as this reconcile's earlier writes left it; returns it as the status write leaves it.
 */
export async function writeLoadBalancerStatusUp(
  ctx: ReconcileContext,
  type: ResourceType,
  virtual: KubeObject,
  latest: KubeObject,
  host: KubeObject,
): Promise<{ latest: KubeObject; written: boolean }> {
  // A Service holds a load balancer's addresses only while it is of type LoadBalancer (the API server
  // refuses them otherwise): the host copy may not have dropped its own yet after a change of type.
  const serviceType = (latest.spec as { type?: string } | undefined)?.type;
  const status =
    type.kind === 'Service' && serviceType !== 'LoadBalancer'
      ? { loadBalancer: {} }
      : loadBalancerStatusFromHost(host);
  if (sameJson(status, virtual.status ?? { loadBalancer: {} })) return { latest, written: false };
  const updated = await ctx.virtual.update(
    type,
    ctx.virtualNamespace,
    { ...latest, status },
    { subresource: 'status' },
  );
  return { latest: updated, written: true };
}
