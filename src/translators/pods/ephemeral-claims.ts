import type { KubeObject } from '../../kube/object.ts';
import type { Pod, Volume } from '../../kube/types.ts';

/**
 * Generic ephemeral volumes. The virtual cluster's ephemeral-volume controller makes each such
 * volume's claim, `<pod>-<volume>`, owned by the pod, and the claims kind syncs it like any other:
 * the host pod mounts that copy by name, and the tenant sees its claim bound, as in vCluster. Were
 * the host pod to keep its `ephemeral` source, the host would make a claim of its own that the
 * virtual cluster never learns about, and the tenant's claim would stay Pending forever.
 */
export function ephemeralClaimName(podName: string, volumeName: string): string {
  return `${podName}-${volumeName}`;
}

/**
 * The pod with each generic ephemeral volume turned into a reference to the claim made for it, so
 * the claim is judged, waited for and renamed like any claim the pod mounts. A new object: cached
 * pods are frozen and shared.
 */
export function withEphemeralClaims(pod: Pod): Pod {
  const volumes = pod.spec?.volumes;
  if (!Array.isArray(volumes) || !volumes.some((v) => v?.ephemeral)) return pod;
  const podName = pod.metadata?.name ?? '';
  return {
    ...pod,
    spec: { ...pod.spec!, volumes: volumes.map((v) => (v?.ephemeral ? claimVolume(podName, v) : v)) },
  };
}

function claimVolume(podName: string, v: Volume): Volume {
  return { name: v.name, persistentVolumeClaim: { claimName: ephemeralClaimName(podName, v.name) } };
}

/**
 * Why the pod may not mount its generic ephemeral volumes' claims yet, in the kubelet's words: a claim
 * of that name that is not controlled by this pod (its UID) was made by someone else (a tenant, or for
 * an earlier pod of the name). A claim not there yet is left to the reference judge, which waits for it.
 */
export function ephemeralClaimsNotOwned(
  pod: Pod,
  claimOf: (name: string) => KubeObject | undefined,
): string[] {
  const podName = pod.metadata?.name ?? '';
  const names = (pod.spec?.volumes ?? [])
    .filter((volume) => volume?.ephemeral)
    .map((volume) => ephemeralClaimName(podName, volume.name));
  return claimsNotMadeForPod(pod, 'PVC', names, claimOf);
}

/**
 * Of the claims made for a pod (by these names), those that exist but are not controlled by the pod
 * (its UID), each in the kubelet's words (`<kind> <ns>/<name> was not created for pod ...`).
 */
export function claimsNotMadeForPod(
  pod: Pod,
  kind: string,
  names: readonly string[],
  claimOf: (name: string) => KubeObject | undefined,
): string[] {
  const namespace = pod.metadata?.namespace ?? '';
  const podName = pod.metadata?.name ?? '';
  return names
    .filter((name) => {
      const claim = claimOf(name);
      return claim !== undefined && !controlledBy(claim, pod.metadata?.uid);
    })
    .map(
      (name) =>
        `${kind} ${namespace}/${name} was not created for pod ${namespace}/${podName} (pod is not owner)`,
    );
}

/** The object's controller: its owner reference with `controller: true` (the API allows one). */
const controllerOf = (obj: KubeObject) =>
  obj.metadata?.ownerReferences?.find((ref) => ref.controller === true);

/** Whether the object's controller has this UID. */
function controlledBy(obj: KubeObject, uid: string | undefined): boolean {
  return uid !== undefined && controllerOf(obj)?.uid === uid;
}

/**
 * Whether a claim is a pod's generic ephemeral volume's: controlled by a core Pod, and named as the
 * ephemeral volume controller names it (ephemeralClaimName).
 */
export function isEphemeralClaim(claim: KubeObject): boolean {
  const controller = controllerOf(claim);
  return (
    controller?.kind === 'Pod' &&
    controller.apiVersion === 'v1' &&
    (claim.metadata?.name ?? '').startsWith(ephemeralClaimName(controller.name, ''))
  );
}
