import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { hostMetadataFor, sameJson } from '../shared/host-metadata.ts';

/** The annotations that make a class the cluster's default: a tenant's class never is, on the host. */
export const DEFAULT_CLASS_ANNOTATIONS: readonly string[] = [
  'storageclass.kubernetes.io/is-default-class',
  'storageclass.beta.kubernetes.io/is-default-class',
];

/** In --allowed-storage-provisioner: every provisioner is allowed. */
export const ANY_PROVISIONER = '*';

/** The fields of a StorageClass (storage.k8s.io/v1) the syncer copies. */
export interface StorageClassFields {
  provisioner?: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: string;
  mountOptions?: string[];
  allowVolumeExpansion?: boolean;
  volumeBindingMode?: string;
  allowedTopologies?: unknown[];
}

const fieldsOf = (sc: KubeObject | undefined): StorageClassFields => (sc ?? {}) as StorageClassFields;

/**
 * The fields the API server never lets change after create. A host copy that differs in one of
 * them cannot be updated into shape; it is replaced (see storageclasses-kind.ts).
 */
const IMMUTABLE_FIELDS = ['provisioner', 'parameters', 'reclaimPolicy', 'volumeBindingMode'] as const;
/** The fields an update may change. */
const MUTABLE_FIELDS = ['mountOptions', 'allowVolumeExpansion', 'allowedTopologies'] as const;

/**
 * Parameters whose key names a Secret: CSI's `csi.storage.k8s.io/<operation>-secret-name` and
 * `-secret-namespace`, and the in-tree provisioners' `secretName`, `adminSecretNamespace` and the
 * like. The host's provisioner reads such a Secret with its own authority, from any namespace the
 * parameter names, so a tenant class naming one would hand another tenant's or the host's
 * credentials to its volumes.
 */
const SECRET_PARAMETER = /secret/i;

/**
 * Why a tenant's class may not reach the host, or undefined when it may: a provisioner the host's
 * admin did not allow (`allowed` lists names, none by default; `*` allows every one), or a parameter
 * naming a Secret. Provisioners are not allowed by default because their parameters act with the
 * provisioner's authority on the host: rancher's local-path takes a node directory (`nodePath`,
 * `pathPattern`), NFS drivers a server and export, so an unchecked class is a hostPath volume.
 */
export function refusalOf(virtual: KubeObject, allowed: readonly string[]): string | undefined {
  const f = fieldsOf(virtual);
  const provisioner = f.provisioner ?? '';
  if (!allowed.includes(ANY_PROVISIONER) && !allowed.includes(provisioner)) {
    const list = allowed.length ? allowed.join(', ') : 'none';
    return `provisioner "${provisioner}" is not one this virtual cluster may use on the host (allowed: ${list}; the host's admin lists them with --allowed-storage-provisioner)`;
  }
  const secretKeys = Object.keys(f.parameters ?? {}).filter((k) => SECRET_PARAMETER.test(k));
  if (secretKeys.length)
    return `parameters ${secretKeys.map((k) => JSON.stringify(k)).join(', ')} name a Secret, which the host's provisioner would read with its own authority; a tenant's class may not name Secrets`;
  return undefined;
}

/** The class without the annotations that would make its host copy the host's default class. */
function withoutDefaultClassAnnotations(virtual: KubeObject): KubeObject {
  const annotations = virtual.metadata?.annotations;
  if (!annotations || !DEFAULT_CLASS_ANNOTATIONS.some((k) => k in annotations)) return virtual;
  const kept = Object.fromEntries(
    Object.entries(annotations).filter(([k]) => !DEFAULT_CLASS_ANNOTATIONS.includes(k)),
  );
  return { ...virtual, metadata: { ...virtual.metadata, annotations: kept } };
}

/**
 * The reclaim policy a host copy gets for a tenant class's `Retain` unless the host's admin allows
 * Retain (--allow-retain-storage-class). A volume the host provisions for a tenant's claim is
 * Released when the claim goes, and a Released host volume is out of the tenant's reach: the
 * virtual cluster has no object for it to delete, and nothing reclaims it, so with Retain every
 * claim a tenant makes and deletes keeps its storage allocated on the host's backend for good. Only
 * dynamically provisioned volumes follow a class's policy: a tenant's own PersistentVolume keeps
 * its host copy at Retain whatever its class says (HOST_COPY_RECLAIM_POLICY in persistentvolumes,
 * since that storage is not the tenant's to delete).
 */
export const HOST_RECLAIM_POLICY_FOR_RETAIN = 'Delete';

/** How the host copy of a tenant's class is made: what the host's admin allows. */
export interface HostClassPolicy {
  /** --allow-retain-storage-class: a tenant class's `Retain` is copied as it is. */
  allowRetain?: boolean;
}

/** Whether the tenant's class asks for Retain and its host copy gets Delete instead. */
export function retainTurnedToDelete(virtual: KubeObject, policy: HostClassPolicy): boolean {
  return fieldsOf(virtual).reclaimPolicy === 'Retain' && !policy.allowRetain;
}

/**
 * The host copy of a tenant's StorageClass, under its cluster-scoped host name: provisioner,
 * parameters, reclaim policy, mount options, expansion, binding mode and topologies as the tenant
 * wrote them, but Retain only when the host's admin allows it (HOST_RECLAIM_POLICY_FOR_RETAIN). The
 * default-class annotations are never copied: a tenant must not choose the class every other claim
 * of the host gets.
 */
export function hostStorageClassFor(
  virtual: KubeObject,
  where: { vcName: string; hostNamespace: string; hostName: string },
  policy: HostClassPolicy = {},
): KubeObject {
  const v = fieldsOf(virtual);
  const host: KubeObject = {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: hostMetadataFor(withoutDefaultClassAnnotations(virtual), Resources.storageClasses, where),
    provisioner: v.provisioner,
  };
  for (const f of [...IMMUTABLE_FIELDS, ...MUTABLE_FIELDS])
    if (f !== 'provisioner' && v[f] != null) host[f] = v[f];
  if (retainTurnedToDelete(virtual, policy)) host.reclaimPolicy = HOST_RECLAIM_POLICY_FOR_RETAIN;
  return host;
}

/**
 * The fields as the API server stores them: it defaults reclaimPolicy (Delete) and
 * volumeBindingMode (Immediate), leaves allowVolumeExpansion unset and drops empty lists; those
 * count as equal.
 */
function normalized(sc: KubeObject, fields: readonly (keyof StorageClassFields)[]): Record<string, unknown> {
  const f = fieldsOf(sc);
  const defaults: StorageClassFields = {
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
    allowVolumeExpansion: false,
  };
  // The API server drops empty lists (mountOptions: []): an empty list is no list.
  const present = (v: unknown) => (Array.isArray(v) && v.length === 0 ? undefined : v);
  return Object.fromEntries(fields.map((k) => [k, present(f[k]) ?? defaults[k]]));
}

/** The host copy's fields that cannot change and say something else than the desired copy. */
export function immutableFieldsDiffering(desired: KubeObject, host: KubeObject): string[] {
  const want = normalized(desired, IMMUTABLE_FIELDS);
  const have = normalized(host, IMMUTABLE_FIELDS);
  return IMMUTABLE_FIELDS.filter((f) => !sameJson(want[f], have[f]));
}

/** True when the host copy's fields that cannot change say what the desired copy says. */
export function immutableFieldsMatch(desired: KubeObject, host: KubeObject): boolean {
  return immutableFieldsDiffering(desired, host).length === 0;
}

/** True when the host copy's fields that may change say what the desired copy says. */
export function mutableFieldsMatch(desired: KubeObject, host: KubeObject): boolean {
  return sameJson(normalized(desired, MUTABLE_FIELDS), normalized(host, MUTABLE_FIELDS));
}

/** The host copy with the desired copy's changeable fields (the others cannot differ, see above). */
export function withMutableFields(host: KubeObject, desired: KubeObject): KubeObject {
  const updated: KubeObject = { ...host };
  for (const f of MUTABLE_FIELDS) {
    if (desired[f] != null) updated[f] = desired[f];
    else delete updated[f];
  }
  return updated;
}
