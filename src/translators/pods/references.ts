import type { KubeObject } from '../../kube/object.ts';

/** A Secret or ConfigMap a pod needs that does not exist, and where the pod needs it. */
export interface MissingReference {
  kind: 'secret' | 'configmap';
  name: string;
  /** The volume that mounts it, if it is mounted (else it is an env reference). */
  volume?: string;
}

interface KeyRef {
  name?: string;
  optional?: boolean;
}

interface VolumeLite {
  name: string;
  secret?: { secretName?: string; optional?: boolean };
  configMap?: KeyRef;
  projected?: { sources?: { secret?: KeyRef; configMap?: KeyRef }[] };
}

interface ContainerLite {
  env?: { valueFrom?: { secretKeyRef?: KeyRef; configMapKeyRef?: KeyRef } }[];
  envFrom?: { secretRef?: KeyRef; configMapRef?: KeyRef }[];
}

/**
 * The non-optional secrets and config maps a pod references that are missing, so the syncer can
 * report them the way a kubelet would (a FailedMount warning) while still syncing the pod.
 */
export function missingReferences(
  pod: KubeObject,
  exists: (kind: 'secret' | 'configmap', name: string) => boolean,
): MissingReference[] {
  const spec = (pod.spec ?? {}) as {
    volumes?: VolumeLite[];
    containers?: ContainerLite[];
    initContainers?: ContainerLite[];
  };
  const out: MissingReference[] = [];
  const seen = new Set<string>();
  const check = (kind: 'secret' | 'configmap', ref: KeyRef | undefined, volume?: string) => {
    if (!ref?.name || ref.optional || exists(kind, ref.name)) return;
    const id = `${kind}/${ref.name}/${volume ?? ''}`;
    if (seen.has(id)) return;
    seen.add(id);
    out.push({ kind, name: ref.name, volume });
  };
  for (const v of spec.volumes ?? []) {
    if (v.secret) check('secret', { name: v.secret.secretName, optional: v.secret.optional }, v.name);
    check('configmap', v.configMap, v.name);
    for (const source of v.projected?.sources ?? []) {
      check('secret', source.secret, v.name);
      check('configmap', source.configMap, v.name);
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const e of c.env ?? []) {
      check('secret', e.valueFrom?.secretKeyRef);
      check('configmap', e.valueFrom?.configMapKeyRef);
    }
    for (const e of c.envFrom ?? []) {
      check('secret', e.secretRef);
      check('configmap', e.configMapRef);
    }
  }
  return out;
}

/** The message a kubelet gives for a missing mounted object, or for a missing env source. */
export function missingReferenceMessage(ref: MissingReference): { reason: string; message: string } {
  const what = `${ref.kind} "${ref.name}" not found`;
  return ref.volume
    ? { reason: 'FailedMount', message: `MountVolume.SetUp failed for volume "${ref.volume}" : ${what}` }
    : { reason: 'Failed', message: `Error: ${what}` };
}
