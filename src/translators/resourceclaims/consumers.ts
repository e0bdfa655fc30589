import type { KubeObject } from '../../kube/object.ts';

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

/** The claims a (host) pod names in its spec. */
export const hostNamesOf = (pod: KubeObject): string[] =>
  ((pod.spec as { resourceClaims?: { resourceClaimName?: unknown }[] } | undefined)?.resourceClaims ?? [])
    .map((entry) => entry?.resourceClaimName)
    .filter((name): name is string => typeof name === 'string' && name !== '');

/** Whether a pod names the claim: in its spec, or as the claim made for it from a template. */
export function podNamesClaim(pod: KubeObject, claim: string): boolean {
  const entries = (pod.spec as { resourceClaims?: unknown } | undefined)?.resourceClaims;
  const made = (pod.status as { resourceClaimStatuses?: unknown } | undefined)?.resourceClaimStatuses;
  const names = (list: unknown) =>
    Array.isArray(list) &&
    list.some((e) => (e as { resourceClaimName?: unknown } | null)?.resourceClaimName === claim);
  return names(entries) || names(made);
}
