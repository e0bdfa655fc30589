import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { hostMetadataFor, sameJson, type HostPlacement } from '../shared/host-metadata.ts';

/** What a VolumeSnapshot is taken from: a claim of its namespace, or (pre-provisioned) a content object. */
export interface SnapshotSource {
  persistentVolumeClaimName?: string;
  volumeSnapshotContentName?: string;
}

export const sourceOf = (snapshot: KubeObject): SnapshotSource =>
  ((snapshot.spec as { source?: SnapshotSource } | undefined)?.source ?? {}) as SnapshotSource;

/** The field that is wrong with a snapshot's shape, or undefined when it can be translated. */
export function malformedSnapshot(snapshot: KubeObject): string | undefined {
  const spec = snapshot.spec as Record<string, unknown> | undefined;
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return 'spec: must be an object';
  const source = spec.source as Record<string, unknown> | undefined;
  if (!source || typeof source !== 'object' || Array.isArray(source)) return 'spec.source: must be an object';
  const claim = source.persistentVolumeClaimName;
  const content = source.volumeSnapshotContentName;
  if (claim !== undefined && (typeof claim !== 'string' || claim === ''))
    return 'spec.source.persistentVolumeClaimName: must be a non-empty string';
  if (content !== undefined && (typeof content !== 'string' || content === ''))
    return 'spec.source.volumeSnapshotContentName: must be a non-empty string';
  if ((claim === undefined) === (content === undefined))
    return 'spec.source: exactly one of persistentVolumeClaimName and volumeSnapshotContentName';
  const className = spec.volumeSnapshotClassName;
  if (className !== undefined && className !== null && typeof className !== 'string')
    return 'spec.volumeSnapshotClassName: must be a string';
  return undefined;
}

/**
 * The host copy: the source claim renamed to its host copy (the caller has proved it is the
 * tenant's), the class unchanged (classes are the host's).
 */
export function hostSnapshotFor(
  virtual: KubeObject,
  claimHostName: string,
  where: HostPlacement,
): KubeObject {
  const spec = virtual.spec as { volumeSnapshotClassName?: string | null };
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshot',
    metadata: hostMetadataFor(virtual, Resources.volumeSnapshots, where),
    spec: {
      source: { persistentVolumeClaimName: claimHostName },
      ...(spec.volumeSnapshotClassName ? { volumeSnapshotClassName: spec.volumeSnapshotClassName } : {}),
    },
  };
}

/**
 * Whether the host copy is a snapshot of what the desired one says: the same source, and the same
 * class when the tenant named one. A snapshot naming no class gets the host's default from the host's
 * snapshot controller, written into the copy's spec: that is the copy being made, not a difference.
 */
export function hostSpecInSync(desired: KubeObject, host: KubeObject): boolean {
  const d = (desired.spec ?? {}) as { source?: unknown; volumeSnapshotClassName?: unknown };
  const h = (host.spec ?? {}) as { source?: unknown; volumeSnapshotClassName?: unknown };
  return (
    sameJson(d.source, h.source) &&
    (d.volumeSnapshotClassName === undefined || d.volumeSnapshotClassName === h.volumeSnapshotClassName)
  );
}

/** Whether the copy is of the source the desired one names (its class may still differ). */
export function sameSnapshotSource(desired: KubeObject, host: KubeObject): boolean {
  const source = (o: KubeObject) => (o.spec as { source?: unknown } | undefined)?.source;
  return sameJson(source(desired), source(host));
}

/** Whether the host has taken the snapshot: bound to a content, which holds the stored data. */
export function snapshotTaken(host: KubeObject): boolean {
  const status = host.status as { boundVolumeSnapshotContentName?: string; readyToUse?: boolean } | undefined;
  return Boolean(status?.boundVolumeSnapshotContentName) || status?.readyToUse === true;
}

/**
 * The status a tenant sees: readiness, time, size and errors of the host snapshot. The name of the
 * host's VolumeSnapshotContent is left out: it is a cluster-scoped host object no tenant may name.
 */
export function virtualSnapshotStatus(host: KubeObject): Record<string, unknown> | undefined {
  const status = host.status as Record<string, unknown> | undefined;
  if (!status || typeof status !== 'object') return undefined;
  const { boundVolumeSnapshotContentName: _content, volumeGroupSnapshotName: _group, ...rest } = status;
  return Object.keys(rest).length ? rest : undefined;
}
