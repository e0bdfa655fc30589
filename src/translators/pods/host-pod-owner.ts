import type { KubeObject, OwnerReference } from '../../kube/object.ts';

/**
 * An ownerReference to a host pod, for what the syncer writes for that pod alone (its token Secret, a
 * fill of an optional object): the host's garbage collector removes it with the pod.
 */
export function hostPodOwner(hostPod: KubeObject): OwnerReference {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    name: hostPod.metadata?.name ?? '',
    uid: hostPod.metadata?.uid ?? '',
  };
}
