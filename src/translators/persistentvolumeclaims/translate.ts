import { SELECTED_NODE_ANNOTATION } from '../shared/virtual-scheduler.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import type { Placement } from '../../sync/kind.ts';
import { hostMetadataFor, sameJson } from '../shared/host-metadata.ts';

/**
 * A selector no volume matches: the host's binder then gives a claim only a volume reserved for it
 * (its claimRef), which it matches before any selector.
 */
export const PRE_BOUND_ONLY = {
  matchExpressions: [{ key: 'vsyncer.dev/pre-bound-volumes-only', operator: 'Exists' }],
};

/** The parts of a PersistentVolumeClaim the syncer reads or writes. */
export interface TypedObjectReference {
  apiGroup?: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface ClaimSpec {
  accessModes?: string[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  storageClassName?: string | null;
  volumeName?: string;
  volumeMode?: string;
  selector?: unknown;
  dataSource?: TypedObjectReference | null;
  dataSourceRef?: TypedObjectReference | null;
  volumeAttributesClassName?: string | null;
}

export interface ClaimStatus {
  phase?: string;
  accessModes?: string[];
  capacity?: Record<string, string>;
  conditions?: unknown[];
  [field: string]: unknown;
}

export const specOf = (claim: KubeObject | undefined): ClaimSpec => (claim?.spec ?? {}) as ClaimSpec;
export const statusOf = (claim: KubeObject | undefined): ClaimStatus => (claim?.status ?? {}) as ClaimStatus;

/** vCluster's label on the PersistentVolumes it shows for bound claims. */
export const FAKE_PV_LABEL = 'vcluster.loft.sh/fake-pv';
/** The (deprecated) annotation that names a claim's class and takes precedence over the spec. */
export const BETA_STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';
/** What the fake volumes say made them; also makes a virtual PV controller leave their deletion to us. */
export const FAKE_PV_PROVISIONER = 'vsyncer.dev/fake-pv-provisioner';
/** The inert flexVolume driver of fake volumes: no kubelet has it, no controller acts on it. */
export const FAKE_PV_DRIVER = 'vsyncer.dev/fake';

/**
 * Annotation prefixes of the storage controllers (binder, provisioners, resizer, scheduler). Each
 * cluster's controllers set their own on their own claims: one flowing down would make the host's
 * binder or a provisioner act on what the virtual cluster decided (`bind-completed` on an unbound
 * host claim marks it Lost; `selected-node` or `storage-provisioner` steer provisioning), so they
 * stay where they were set.
 */
const CONTROLLER_ANNOTATION_PREFIXES = [
  'pv.kubernetes.io/',
  'volume.kubernetes.io/',
  'volume.beta.kubernetes.io/',
];

export const isControllerAnnotation = (key: string): boolean =>
  CONTROLLER_ANNOTATION_PREFIXES.some((p) => key.startsWith(p));

/**
 * The binder's annotations that say a claim's binding is done, as the host's binder left them on the
 * host claim. The virtual cluster has no binder of its own (the chart turns it off, as vCluster's
 * does), yet its scheduler counts a claim as bound only once it carries `bind-completed`: without it
 * a pod of a bound claim is never placed by the virtual scheduler. So they come up with the binding,
 * as vCluster brings them up.
 */
const BINDING_ANNOTATIONS = [
  'pv.kubernetes.io/bind-completed',
  'pv.kubernetes.io/bound-by-controller',
  'volume.beta.kubernetes.io/storage-provisioner',
];

/**
 * The annotations with `source`'s binding annotations (BINDING_ANNOTATIONS) in place of their own:
 * the host claim's coming up, or the virtual claim's own kept when a metadata plan made before this
 * reconcile wrote them would otherwise take them off again.
 */
export function withBindingAnnotationsOf(
  annotations: Record<string, string>,
  source: KubeObject,
): Record<string, string> {
  const out = { ...annotations };
  for (const key of BINDING_ANNOTATIONS) {
    const value = source.metadata?.annotations?.[key];
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

/**
 * The virtual claim's annotations with the host claim's binding annotations in place of its own, or
 * undefined when they are the same already.
 */
export function annotationsWithHostBinding(
  virtual: KubeObject,
  host: KubeObject,
): Record<string, string> | undefined {
  const current = virtual.metadata?.annotations ?? {};
  const fromHost = host.metadata?.annotations ?? {};
  if (BINDING_ANNOTATIONS.every((key) => current[key] === fromHost[key])) return undefined;
  return withBindingAnnotationsOf(current, host);
}

/** The claim's class as the API and the binder read it: the beta annotation first, then the spec. */
export function storageClassOf(claim: KubeObject): string | undefined {
  const annotated = claim.metadata?.annotations?.[BETA_STORAGE_CLASS_ANNOTATION];
  if (annotated !== undefined) return annotated;
  return specOf(claim).storageClassName ?? undefined;
}

/** A data source of a claim, as the syncer judges it: where it is written, and what it names. */
export interface ClaimDataSource {
  field: 'spec.dataSource' | 'spec.dataSourceRef';
  apiGroup: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** The claim's data sources (the API server fills both fields from either). */
export function dataSourcesOf(claim: KubeObject): ClaimDataSource[] {
  const spec = specOf(claim);
  const out: ClaimDataSource[] = [];
  for (const field of ['dataSource', 'dataSourceRef'] as const) {
    const ref = spec[field];
    if (!ref) continue;
    out.push({
      field: `spec.${field}`,
      apiGroup: ref.apiGroup ?? '',
      kind: ref.kind,
      name: ref.name,
      ...(ref.namespace ? { namespace: ref.namespace } : {}),
    });
  }
  return out;
}

/** A host name for a data source the kind judged to be this tenant's own copy. */
export type RenameDataSource = (ref: ClaimDataSource) => string;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const stringMap = (v: unknown) => isRecord(v) && Object.values(v).every((x) => typeof x === 'string');

/**
 * What is wrong with the shape of a claim the translators read, or undefined when it fits (an API
 * server never serves such a claim; a cache or a bug upstream might).
 */
export function malformedClaim(obj: unknown): string | undefined {
  if (!isRecord(obj)) return 'the object must be an object';
  const meta = obj.metadata;
  if (!isRecord(meta)) return 'metadata must be an object';
  for (const f of ['name', 'namespace'])
    if (typeof meta[f] !== 'string' || meta[f] === '') return `metadata.${f} must be a non-empty string`;
  for (const f of ['labels', 'annotations'])
    if (meta[f] != null && !stringMap(meta[f])) return `metadata.${f} must be a map of strings`;
  const spec = obj.spec;
  if (spec == null) return undefined;
  if (!isRecord(spec)) return 'spec must be an object';
  if (spec.accessModes != null) {
    if (!Array.isArray(spec.accessModes) || !spec.accessModes.every((m) => typeof m === 'string'))
      return 'spec.accessModes must be a list of strings';
  }
  for (const f of ['storageClassName', 'volumeName', 'volumeMode', 'volumeAttributesClassName'])
    if (spec[f] != null && typeof spec[f] !== 'string') return `spec.${f} must be a string`;
  if (spec.resources != null) {
    if (!isRecord(spec.resources)) return 'spec.resources must be an object';
    for (const f of ['requests', 'limits'])
      if (spec.resources[f] != null && !stringMap(spec.resources[f]))
        return `spec.resources.${f} must be a map of strings`;
  }
  for (const f of ['dataSource', 'dataSourceRef']) {
    const ref = spec[f];
    if (ref == null) continue;
    if (!isRecord(ref)) return `spec.${f} must be an object`;
    for (const g of ['kind', 'name'])
      if (typeof ref[g] !== 'string' || ref[g] === '') return `spec.${f}.${g} must be a non-empty string`;
    for (const g of ['apiGroup', 'namespace'])
      if (ref[g] != null && typeof ref[g] !== 'string') return `spec.${f}.${g} must be a string`;
  }
  return undefined;
}

/**
 * The storage controllers' annotations that stay in their cluster (see CONTROLLER_ANNOTATION_PREFIXES):
 * all of them, but the node a virtual scheduler selected for a claim (--virtual-scheduler), which the
 * host's provisioner needs, since no host scheduler places the claim's pod before it is bound.
 */
export const controllerAnnotationsKept =
  (virtualScheduler: boolean) =>
  (key: string): boolean =>
    isControllerAnnotation(key) && !(virtualScheduler && key === SELECTED_NODE_ANNOTATION);

/** The virtual claim with the storage controllers' annotations left out. */
function withoutControllerAnnotations(virtual: KubeObject, stays: (key: string) => boolean): KubeObject {
  const annotations = virtual.metadata?.annotations;
  if (!annotations) return virtual;
  return {
    ...virtual,
    metadata: {
      ...virtual.metadata,
      annotations: Object.fromEntries(Object.entries(annotations).filter(([k]) => !stays(k))),
    },
  };
}

/**
 * The host copy of a virtual claim. The host decides which volume it gets: the tenant's `volumeName`
 * is never sent (a tenant naming a host volume could take another tenant's data), only
 * `hostVolumeName`, the host copy of a tenant's own volume the kind proved ours; `selector` never is
 * (it selects host volumes by their labels). Data sources are renamed to this tenant's own copies
 * by `rename` (the kind checked them), and the class to `hostClassName` when the kind resolved one
 * (a tenant's class becomes its host copy). A claim asking for no class (`""`) is provisioned by no
 * one: the host's binder would give it any unreserved class-less volume of the host, another
 * tenant's or the host's own, so its copy selects none (PRE_BOUND_ONLY) and gets only a volume bound
 * to it in advance (a tenant's own volume's copy, or one a host admin reserves for the claim's copy).
 * With `current`, the immutable fields are the host
 * claim's own and only what may change on a claim (its resources, its volume attributes class)
 * follows the virtual one, so a resize flows down.
 */
export function hostClaimFor(
  virtual: KubeObject,
  where: Placement & { hostName: string },
  rename: RenameDataSource,
  opts: {
    current?: KubeObject;
    hostVolumeName?: string;
    hostClassName?: string;
    /** Only a volume reserved for the host claim may be bound to it (see PRE_BOUND_ONLY). */
    preBoundOnly?: boolean;
    virtualScheduler?: boolean;
  } = {},
): KubeObject {
  const { current, hostVolumeName } = opts;
  const v = specOf(virtual);
  let spec: ClaimSpec;
  if (current) {
    spec = { ...specOf(current) };
    if (v.resources !== undefined) spec.resources = v.resources;
    if (v.volumeAttributesClassName != null) spec.volumeAttributesClassName = v.volumeAttributesClassName;
    // Settable once: the host claim may still get the volume the tenant named.
    if (hostVolumeName && !spec.volumeName) spec.volumeName = hostVolumeName;
  } else {
    spec = {};
    if (v.accessModes) spec.accessModes = v.accessModes;
    if (v.resources) spec.resources = v.resources;
    const storageClass = opts.hostClassName ?? storageClassOf(virtual);
    if (storageClass !== undefined) spec.storageClassName = storageClass;
    if (v.volumeMode) spec.volumeMode = v.volumeMode;
    if (v.volumeAttributesClassName) spec.volumeAttributesClassName = v.volumeAttributesClassName;
    if (hostVolumeName) spec.volumeName = hostVolumeName;
    else if (storageClass === '' || opts.preBoundOnly) spec.selector = PRE_BOUND_ONLY;
    for (const ref of dataSourcesOf(virtual)) {
      const renamed: TypedObjectReference = { kind: ref.kind, name: rename(ref) };
      if (ref.apiGroup) renamed.apiGroup = ref.apiGroup;
      if (ref.field === 'spec.dataSource') spec.dataSource = renamed;
      else spec.dataSourceRef = renamed;
    }
  }
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: hostMetadataFor(
      withoutControllerAnnotations(virtual, controllerAnnotationsKept(opts.virtualScheduler ?? false)),
      Resources.persistentVolumeClaims,
      where,
    ),
    spec,
  };
}

/** True when the host claim's spec already has what the desired one says of the fields that may change. */
export function hostSpecInSync(desired: KubeObject, host: KubeObject): boolean {
  const d = specOf(desired);
  const h = specOf(host);
  return (
    sameJson(d.resources, h.resources) &&
    (!d.volumeName || d.volumeName === h.volumeName) &&
    (d.volumeAttributesClassName == null || d.volumeAttributesClassName === h.volumeAttributesClassName)
  );
}

/** A data source as the API server keeps it: dataSourceRef, filled from dataSource when only that is set. */
function effectiveDataSource(spec: ClaimSpec): TypedObjectReference | undefined {
  const ref = spec.dataSourceRef ?? spec.dataSource;
  return ref ? { ...ref, apiGroup: ref.apiGroup ?? '' } : undefined;
}

/**
 * The fields that cannot change on a claim in which the host claim differs from the desired copy
 * (both host-translated): a host claim made for another claim of the same name is not this one's.
 */
export function immutableFieldsDiffering(desired: KubeObject, host: KubeObject): string[] {
  const d = specOf(desired);
  const h = specOf(host);
  const differing: string[] = [];
  if ((d.storageClassName ?? null) !== (h.storageClassName ?? null)) differing.push('spec.storageClassName');
  if (!sameJson(d.accessModes, h.accessModes)) differing.push('spec.accessModes');
  // Both API servers default an unset mode to Filesystem.
  if ((d.volumeMode ?? 'Filesystem') !== (h.volumeMode ?? 'Filesystem')) differing.push('spec.volumeMode');
  if (!sameJson(effectiveDataSource(d), effectiveDataSource(h))) differing.push('spec.dataSource');
  return differing;
}

/**
 * Condition types the virtual cluster's own controllers write on a claim: `Unused`, from the pods that
 * name it, which the virtual controller manager sees (as the host's sees their copies). Written over
 * with the host's, the two would overwrite each other at every change.
 */
const VIRTUAL_CONDITION_TYPES = new Set(['Unused']);

/**
 * The status the virtual claim shows: the host claim's, as the host's controllers wrote it, but for
 * the conditions the virtual cluster's controllers write (VIRTUAL_CONDITION_TYPES), which stay the
 * virtual claim's.
 */
export function virtualStatusFor(host: KubeObject, virtual?: KubeObject): ClaimStatus {
  const status = { ...statusOf(host) };
  const ofType = (claim: KubeObject | undefined, own: boolean) =>
    (statusOf(claim).conditions ?? []).filter(
      (c) => VIRTUAL_CONDITION_TYPES.has((c as { type?: string }).type ?? '') === own,
    );
  const conditions = [...ofType(host, false), ...ofType(virtual, true)];
  if (conditions.length) status.conditions = conditions;
  else delete status.conditions;
  return status;
}
