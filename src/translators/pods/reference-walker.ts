import type { Container, EphemeralContainer, PodSpec, Volume } from '../../kube/types.ts';

/**
 * The kind of object a pod spec names. Generic ephemeral volumes may clone from any kind a volume
 * populator understands (a VolumeSnapshot, a PVC, a custom kind), so the set is open.
 */
export type PodReferenceKind =
  'Secret' | 'ConfigMap' | 'PersistentVolumeClaim' | 'ResourceClaim' | 'VolumeSnapshot' | (string & {});

/** Where in the pod spec a reference sits. */
export interface PodReferenceLocation {
  /** The volume that holds the reference, for references inside volumes. */
  volume?: string;
  /** The container that holds the reference, for env and envFrom references. */
  container?: string;
  /** The path of the name field from the pod spec, as Kubernetes writes field paths in errors. */
  field: string;
}

/** One object reference in a pod spec, with a setter that renames it in place. */
export interface PodReference {
  kind: PodReferenceKind;
  /** The API group of a data source (empty or absent for the core group). */
  apiGroup?: string;
  name: string;
  /** Whether the pod runs without the object (the kubelet skips an optional source that is missing). */
  optional: boolean;
  where: PodReferenceLocation;
  /** Writes a new name into the spec that was walked. */
  rename(newName: string): void;
}

/** A visitor of pod references. */
export type PodReferenceVisitor = (ref: PodReference) => void;

type Named<K extends string> = { [P in K]?: string };

/** Hands one reference to the visitor when the holder names something. */
function emit<K extends string>(
  visit: PodReferenceVisitor,
  holder: Named<K> | undefined,
  key: K,
  ref: Omit<PodReference, 'name' | 'rename'>,
): void {
  const name = holder?.[key];
  if (!holder || !name) return;
  visit({
    ...ref,
    name,
    rename: (newName) => {
      holder[key] = newName;
    },
  });
}

/**
 * Every object reference in a pod spec, in spec order: volumes (secret, configMap, projected
 * secret/configMap sources, persistentVolumeClaim, the credential secrets of azureFile, CSI, flex and
 * in-tree network volumes, the data sources of generic ephemeral volumes), then env and envFrom of
 * init, regular and ephemeral containers, then image pull secrets and resource claims.
 *
 * This is the one place that knows where a pod names objects, so what the syncer copies to the host
 * (referencedSecrets, ...), what it renames (translatePodToHost) and what it reports missing
 * (missingReferences) cannot disagree.
 */
export function forEachPodReference(spec: PodSpec | undefined, visit: PodReferenceVisitor): void {
  if (!spec) return;
  (spec.volumes ?? []).forEach((v, i) => visitVolume(v, `spec.volumes[${i}]`, visit));
  const lists: [string, (Container | EphemeralContainer)[] | undefined][] = [
    ['initContainers', spec.initContainers],
    ['containers', spec.containers],
    ['ephemeralContainers', spec.ephemeralContainers],
  ];
  for (const [list, containers] of lists)
    (containers ?? []).forEach((c, i) => visitContainer(c, `spec.${list}[${i}]`, visit));
  // The kubelet pulls without a missing pull secret (it only warns), so these are optional to it.
  (spec.imagePullSecrets ?? []).forEach((s, i) =>
    emit(visit, s, 'name', {
      kind: 'Secret',
      optional: true,
      where: { field: `spec.imagePullSecrets[${i}].name` },
    }),
  );
  // A template is never named on the host: the claim made from it is (pods/resource-claims.ts).
  (spec.resourceClaims ?? []).forEach((c, i) => {
    if (c.resourceClaimTemplateName) return;
    emit(visit, c, 'resourceClaimName', {
      kind: 'ResourceClaim',
      apiGroup: 'resource.k8s.io',
      optional: false,
      where: { field: `spec.resourceClaims[${i}].resourceClaimName` },
    });
  });
}

function visitVolume(v: Volume, path: string, visit: PodReferenceVisitor): void {
  const at = (field: string) => ({ volume: v.name, field: `${path}.${field}` });
  emit(visit, v.secret, 'secretName', {
    kind: 'Secret',
    optional: v.secret?.optional ?? false,
    where: at('secret.secretName'),
  });
  emit(visit, v.configMap, 'name', {
    kind: 'ConfigMap',
    optional: v.configMap?.optional ?? false,
    where: at('configMap.name'),
  });
  (v.projected?.sources ?? []).forEach((s, i) => {
    emit(visit, s.secret, 'name', {
      kind: 'Secret',
      optional: s.secret?.optional ?? false,
      where: at(`projected.sources[${i}].secret.name`),
    });
    emit(visit, s.configMap, 'name', {
      kind: 'ConfigMap',
      optional: s.configMap?.optional ?? false,
      where: at(`projected.sources[${i}].configMap.name`),
    });
  });
  emit(visit, v.persistentVolumeClaim, 'claimName', {
    kind: 'PersistentVolumeClaim',
    optional: false,
    where: at('persistentVolumeClaim.claimName'),
  });
  // Secrets handed to the kubelet or a storage driver to mount the volume: none is optional, a
  // missing one fails the mount.
  emit(visit, v.azureFile, 'secretName', {
    kind: 'Secret',
    optional: false,
    where: at('azureFile.secretName'),
  });
  const credentials: [string, { name?: string } | undefined][] = [
    ['csi.nodePublishSecretRef', v.csi?.nodePublishSecretRef],
    ['flexVolume.secretRef', v.flexVolume?.secretRef],
    ['iscsi.secretRef', v.iscsi?.secretRef],
    ['rbd.secretRef', v.rbd?.secretRef],
    ['cephfs.secretRef', v.cephfs?.secretRef],
    ['cinder.secretRef', v.cinder?.secretRef],
    ['scaleIO.secretRef', v.scaleIO?.secretRef],
    ['storageos.secretRef', v.storageos?.secretRef],
  ];
  for (const [field, ref] of credentials)
    emit(visit, ref, 'name', { kind: 'Secret', optional: false, where: at(`${field}.name`) });
  // A glusterfs volume names an Endpoints object of the pod's namespace (the in-tree plugin is gone
  // from current kubelets, but the field is still accepted): on the host it would name a host object.
  emit(visit, v.glusterfs, 'endpoints', {
    kind: 'Endpoints',
    optional: false,
    where: at('glusterfs.endpoints'),
  });
  // A generic ephemeral volume's claim may be filled from an object of the pod's namespace: a PVC
  // to clone, a VolumeSnapshot, or a populator's custom object; each is visited with its own kind.
  const claim = v.ephemeral?.volumeClaimTemplate?.spec;
  for (const key of ['dataSource', 'dataSourceRef'] as const) {
    const source = claim?.[key];
    if (!source) continue;
    emit(visit, source, 'name', {
      kind: source.kind,
      apiGroup: source.apiGroup,
      optional: false,
      where: at(`ephemeral.volumeClaimTemplate.spec.${key}.name`),
    });
  }
}

function visitContainer(c: Container | EphemeralContainer, path: string, visit: PodReferenceVisitor): void {
  const at = (field: string) => ({ container: c.name, field: `${path}.${field}` });
  (c.env ?? []).forEach((e, i) => {
    const secret = e.valueFrom?.secretKeyRef;
    const configMap = e.valueFrom?.configMapKeyRef;
    emit(visit, secret, 'name', {
      kind: 'Secret',
      optional: secret?.optional ?? false,
      where: at(`env[${i}].valueFrom.secretKeyRef.name`),
    });
    emit(visit, configMap, 'name', {
      kind: 'ConfigMap',
      optional: configMap?.optional ?? false,
      where: at(`env[${i}].valueFrom.configMapKeyRef.name`),
    });
  });
  (c.envFrom ?? []).forEach((e, i) => {
    emit(visit, e.secretRef, 'name', {
      kind: 'Secret',
      optional: e.secretRef?.optional ?? false,
      where: at(`envFrom[${i}].secretRef.name`),
    });
    emit(visit, e.configMapRef, 'name', {
      kind: 'ConfigMap',
      optional: e.configMapRef?.optional ?? false,
      where: at(`envFrom[${i}].configMapRef.name`),
    });
  });
}

/**
 * The distinct names of the references to one kind of one API group (the core group unless given),
 * in the order the walk first meets them.
 */
export function referencedNames(spec: PodSpec | undefined, kind: PodReferenceKind, apiGroup = ''): string[] {
  const names = new Set<string>();
  forEachPodReference(spec, (ref) => {
    // A data source of a custom group may reuse a core kind's name; it is not that core object.
    if (ref.kind === kind && (ref.apiGroup ?? '') === apiGroup) names.add(ref.name);
  });
  return [...names];
}
