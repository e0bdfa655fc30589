import type { KubeObject } from '../../kube/object.ts';
import type { Pod } from '../../kube/types.ts';
import { claimsMadeFromTemplates, claimsNamedInSpec } from '../pods/resource-claims.ts';

/*
 * The pods that consume ResourceClaims, as the resourceclaim controller of Kubernetes reads them:
 * which claims a pod names, and when it is done with them.
 */

/**
 * Whether a pod is done as the resourceclaim controller reads it (its reservations are dropped):
 * ended, or deleted before it was placed on a node.
 */
export const podDone = (pod: KubeObject): boolean => {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  return phase === 'Succeeded' || phase === 'Failed' || (!!pod.metadata?.deletionTimestamp && !nodeName);
};

/** The claims a pod (host or virtual) names in its spec. */
export const specClaimsOf = (pod: KubeObject): string[] => claimsNamedInSpec(pod as unknown as Pod);

/** Whether a pod names the claim: in its spec, or as the claim made for it from a template. */
export function podNamesClaim(pod: KubeObject, claim: string): boolean {
  return specClaimsOf(pod).includes(claim) || claimsMadeFromTemplates(pod as unknown as Pod).includes(claim);
}
