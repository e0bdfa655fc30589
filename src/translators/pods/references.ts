import type { KubeObject } from '../../kube/object.ts';
import type { PodSpec } from '../../kube/types.ts';
import { forEachPodReference } from './reference-walker.ts';

/** A Secret or ConfigMap a pod needs that does not exist, and where the pod needs it. */
export interface MissingReference {
  kind: 'secret' | 'configmap';
  name: string;
  /** The volume that mounts it, if it is mounted (else it is an env reference). */
  volume?: string;
}

/** The kubelet's lower-case words for the kinds it reports missing. */
const KUBELET_KINDS = new Map<string, MissingReference['kind']>([
  ['Secret', 'secret'],
  ['ConfigMap', 'configmap'],
]);

/**
 * The non-optional secrets and config maps a pod references that are missing, so the syncer can
 * report them the way a kubelet would (a FailedMount warning) while still syncing the pod: volumes
 * (including the credential secrets of CSI, flex, azureFile and in-tree network volumes) and env /
 * envFrom of init, regular and ephemeral containers.
 *
 * Image pull secrets are left out on purpose: the walker marks them optional because a kubelet pulls
 * without a missing one and blocks nothing (no FailedMount; the host kubelet warns
 * FailedToRetrieveImagePullSecret on its own, and that event flows back to the virtual pod).
 * PVCs and resource claims are left out too: a missing one holds the pod in scheduling, which the
 * host scheduler reports itself.
 */
export function missingReferences(
  pod: KubeObject,
  exists: (kind: 'secret' | 'configmap', name: string) => boolean,
): MissingReference[] {
  const out: MissingReference[] = [];
  const seen = new Set<string>();
  forEachPodReference(pod.spec as PodSpec | undefined, (ref) => {
    const kind = KUBELET_KINDS.get(ref.kind);
    if (!kind || ref.optional || exists(kind, ref.name)) return;
    const volume = ref.where.volume;
    const id = `${kind}/${ref.name}/${volume ?? ''}`;
    if (seen.has(id)) return;
    seen.add(id);
    out.push({ kind, name: ref.name, volume });
  });
  return out;
}

/** The message a kubelet gives for a missing mounted object, or for a missing env source. */
export function missingReferenceMessage(ref: MissingReference): { reason: string; message: string } {
  const what = `${ref.kind} "${ref.name}" not found`;
  return ref.volume
    ? { reason: 'FailedMount', message: `MountVolume.SetUp failed for volume "${ref.volume}" : ${what}` }
    : { reason: 'Failed', message: `Error: ${what}` };
}
