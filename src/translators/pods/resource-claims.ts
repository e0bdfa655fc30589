import type { KubeObject } from '../../kube/object.ts';
import type { Pod } from '../../kube/types.ts';
import { claimsNotMadeForPod, withEphemeralClaims } from './ephemeral-claims.ts';

/**
 * A pod's ResourceClaims made from templates (Dynamic Resource Allocation). The virtual cluster's
 * resourceclaim controller makes each such claim for the pod (controlled by it, its name in the
 * pod's `status.resourceClaimStatuses`), and the resourceclaims kind syncs it like any other: the
 * host pod names that copy, and the tenant sees its claim allocated. Were the host pod to keep the
 * template, the host would make a claim of its own that the virtual cluster never learns about.
 */

/** What the virtual cluster's controller recorded for one of the pod's claims. */
interface ClaimStatus {
  name: string;
  resourceClaimName?: string | null;
}

const claimStatuses = (pod: Pod): ClaimStatus[] => {
  const statuses = (pod.status as { resourceClaimStatuses?: unknown } | undefined)?.resourceClaimStatuses;
  // Only the API server writes these; a list of anything else is read as none (the pod waits).
  return Array.isArray(statuses)
    ? (statuses as (ClaimStatus | null)[]).filter((s): s is ClaimStatus => !!s && typeof s.name === 'string')
    : [];
};

/** The pod's claim entries (a malformed list, which the pods kind refuses, reads as none). */
const claimEntries = (pod: Pod) =>
  Array.isArray(pod.spec?.resourceClaims)
    ? pod.spec.resourceClaims.filter((e) => e && typeof e === 'object')
    : [];

/** The claims a pod names in its spec (not its templates). */
export const claimsNamedInSpec = (pod: Pod): string[] =>
  claimEntries(pod)
    .map((entry) => entry.resourceClaimName)
    .filter((name): name is string => typeof name === 'string' && name !== '');

/** The claims the virtual cluster made for the pod from its templates, as its status records them. */
export const claimsMadeFromTemplates = (pod: Pod): string[] =>
  claimStatuses(pod)
    .map((s) => s.resourceClaimName)
    .filter((name): name is string => typeof name === 'string' && name !== '');

/** The claim the virtual cluster made for the pod's claim entry `entry`, once it has. */
function madeFor(pod: Pod, entry: string): string | undefined {
  const made = claimStatuses(pod).find((s) => s.name === entry)?.resourceClaimName;
  return typeof made === 'string' && made ? made : undefined;
}

/**
 * The pod with each claim entry that names a template turned into a reference to the claim the
 * virtual cluster made from it, where it has (others are left as they are: see
 * templatedClaimsWaiting). A new object: cached pods are frozen and shared.
 */
export function withClaimsMadeFromTemplates(pod: Pod): Pod {
  const entries = pod.spec?.resourceClaims;
  if (!Array.isArray(entries) || !entries.some((e) => e?.resourceClaimTemplateName)) return pod;
  return {
    ...pod,
    spec: {
      ...pod.spec!,
      resourceClaims: entries.map((e) => {
        if (!e?.resourceClaimTemplateName) return e;
        const made = madeFor(pod, e.name);
        return made ? { name: e.name, resourceClaimName: made } : e;
      }),
    },
  };
}

/**
 * The pod with every claim the virtual cluster makes for it named as a claim: its generic ephemeral
 * volumes' PersistentVolumeClaims and the ResourceClaims of its templates (once made), so that these
 * are judged, waited for and renamed like any object it names.
 */
export const withClaimsMadeForPod = (pod: Pod): Pod => withClaimsMadeFromTemplates(withEphemeralClaims(pod));

/**
 * The pod's claim entries whose claim the virtual cluster has not made from their template yet, as
 * messages; the pod waits for them (its status update brings it back).
 */
export function templatedClaimsWaiting(pod: Pod): string[] {
  return claimEntries(pod)
    .filter((e) => e?.resourceClaimTemplateName && !madeFor(pod, e.name))
    .map(
      (e) =>
        `resource claim "${e.name}": waiting for the claim the virtual cluster makes from template "${e.resourceClaimTemplateName}"`,
    );
}

/**
 * Why the pod may not use the claims made from its templates, in the kubelet's words: a claim of
 * that name that is not controlled by this pod (its UID) is someone else's (a tenant's, or an
 * earlier pod's of the name); the host pod names the claim, where nothing checks that the pod owns
 * it. A claim not there yet is left to the reference judge, which waits for it.
 */
export function templatedClaimsNotOwned(
  pod: Pod,
  claimOf: (name: string) => KubeObject | undefined,
): string[] {
  const names = claimEntries(pod)
    .filter((entry) => entry?.resourceClaimTemplateName)
    .map((entry) => madeFor(pod, entry.name))
    .filter((name): name is string => name !== undefined);
  return claimsNotMadeForPod(pod, 'ResourceClaim', names, claimOf);
}
