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
