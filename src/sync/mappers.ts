import { groupVersionKindString, type ResourceType } from '../kube/resources.ts';
import {
  MANAGED_BY_LABEL,
  managedByValue,
  OBJECT_HOST_NAMESPACE_ANNOTATION,
  OBJECT_KIND_ANNOTATION,
  OBJECT_NAME_ANNOTATION,
  OBJECT_NAMESPACE_ANNOTATION,
  OBJECT_UID_ANNOTATION,
} from '../naming/labels.ts';
import { hostClusterScopedName, hostName } from '../naming/names.ts';
import type { InformerScope } from '../informer/factory.ts';
import type { Informer } from '../informer/informer.ts';
import { objectKey, splitKey, type KubeObject } from '../kube/object.ts';
import type { Mapper, Placement } from './kind.ts';

/**
 * The virtual key a host object claims to be the copy of, when its metadata proves it is ours: the
 * managed-by label names this virtual cluster (and, for cluster-scoped copies, its host namespace:
 * see managedByValue) and the object-kind annotation names this kind. Names are ambiguous (`-x-` may
 * appear anywhere), so the annotations are what counts, never the name.
 */
export function ownedVirtualKey(
  host: KubeObject,
  where: Pick<Placement, 'vcName' | 'hostNamespace'>,
  virtualType: ResourceType,
): string | undefined {
  const meta = host.metadata ?? {};
  if (virtualType.kind === 'Pod' && virtualType.group === '' && controlledByAnotherObject(host))
    return undefined;
  const label = meta.labels?.[MANAGED_BY_LABEL];
  // A cluster-scoped copy an earlier syncer labelled with the bare name is ours only under the
  // name this host namespace gives it: a same-named virtual cluster elsewhere names its own after
  // its namespace. Its next update relabels it.
  const legacy = !virtualType.namespaced && label === where.vcName;
  if (label !== managedByValue(where, virtualType.namespaced) && !legacy) return undefined;
  const annotations = meta.annotations ?? {};
  if (annotations[OBJECT_KIND_ANNOTATION] !== groupVersionKindString(virtualType)) return undefined;
  // The cluster-scoped managed-by value `<hostNamespace>-x-<vc>` is ambiguous too: namespace `team-x-blue`
  // with cluster `prod` and namespace `team` with cluster `blue-x-prod` write the same. The host
  // namespace a copy records tells them apart (vCluster's own copies record none).
  const recordedNamespace = annotations[OBJECT_HOST_NAMESPACE_ANNOTATION];
  if (!virtualType.namespaced && recordedNamespace && recordedNamespace !== where.hostNamespace)
    return undefined;
  const name = annotations[OBJECT_NAME_ANNOTATION];
  if (!name) return undefined;
  if (legacy && meta.name !== hostClusterScopedName(name, where.hostNamespace, where.vcName))
    return undefined;
  const namespace = annotations[OBJECT_NAMESPACE_ANNOTATION];
  if (virtualType.namespaced !== Boolean(namespace)) return undefined;
  return namespace ? `${namespace}/${name}` : name;
}

/**
 * Whether a host pod's controller is anything but a Service. Pod copies have none, or, made by vCluster
 * for a virtual pod that has a controller, vCluster's own Service marked as theirs (any Service passes:
 * which one is vCluster's is not known here). A host controller can make pods from a copy's content,
 * and a tenant writes that content: the pods of a gateway controller's Deployment carry a Gateway's
 * infrastructure labels and annotations, an operator's pods a custom resource's template. Whatever
 * those say, they are that controller's, never a copy the syncer may update, delete or serve a
 * tenant's logs and exec from. Only pods: other copies may be put under a host controller on purpose
 * (the Secret an ExternalSecret's copy fills is then ESO's to control, and still the tenant's copy),
 * and their content is kept clean of the syncer's keys instead (withoutSyncerAnnotations, as for
 * Istio's Service, which the Gateway copy owns without controlling it).
 */
function controlledByAnotherObject(host: KubeObject): boolean {
  return (host.metadata?.ownerReferences ?? []).some(
    (o) => o.controller === true && !(o.apiVersion === 'v1' && o.kind === 'Service'),
  );
}

/**
 * A host object an earlier syncer made for this virtual key: our managed-by label and the key in its
 * object-namespace/object-name annotations, but no object-kind annotation (vCluster 0.19 and older
 * wrote none). It is not taken for a copy, as the kind is what proves it (see ownedVirtualKey); this
 * only lets the refusal say why, and what to do.
 */
export function copyWithoutKind(host: KubeObject, managedBy: string, virtualKey: string): boolean {
  return (
    host.metadata?.annotations?.[OBJECT_KIND_ANNOTATION] === undefined &&
    claimedVirtualKey(host, managedBy) === virtualKey
  );
}

/**
 * The virtual key a host object of this virtual cluster names in its object annotations, proven or
 * not. Never a proof of ownership: only a hint of which virtual object to look at again (when an
 * earlier syncer's copy that held its host name is deleted, that object can now have its own).
 * `managedBy` is this virtual cluster's label value for the kind (managedByValue).
 */
export function claimedVirtualKey(host: KubeObject, managedBy: string): string | undefined {
  const meta = host.metadata ?? {};
  if (meta.labels?.[MANAGED_BY_LABEL] !== managedBy) return undefined;
  const name = meta.annotations?.[OBJECT_NAME_ANNOTATION];
  if (!name) return undefined;
  const namespace = meta.annotations?.[OBJECT_NAMESPACE_ANNOTATION];
  return namespace ? `${namespace}/${name}` : name;
}

/**
 * Whether a copy without kind (copyWithoutKind) provably is the copy of `source`: the virtual UID it
 * records (object-uid, which vCluster 0.19 wrote too) is the source's own. A UID is random and never
 * reused, and the copy is of the kind's own host type, so the name's ambiguity plays no part: the
 * copy is taken over (the kind annotation written), not left holding the name.
 */
export function earlierCopyOf(
  host: KubeObject,
  source: KubeObject,
  managedBy: string,
  virtualKey: string,
): boolean {
  const uid = source.metadata?.uid;
  return (
    !!uid &&
    copyWithoutKind(host, managedBy, virtualKey) &&
    host.metadata?.annotations?.[OBJECT_UID_ANNOTATION] === uid
  );
}

/** Why a tenant's object has no copy when an earlier syncer's copy holds its host name. */
export const COPY_WITHOUT_KIND =
  "its host name is held by a copy an earlier syncer made without the vcluster.loft.sh/object-kind annotation (vCluster 0.19 or older) that records another object's UID (vcluster.loft.sh/object-uid), which this syncer does not take over; delete that host object and the syncer makes its own copy";

/** The host objects this virtual cluster made in its host namespace: what a kind watches of its copies. */
export function managedCopiesScope(where: Pick<Placement, 'vcName' | 'hostNamespace'>): InformerScope {
  return { namespace: where.hostNamespace, labelSelector: `${MANAGED_BY_LABEL}=${where.vcName}` };
}

/** The key a reference index files a reference under: the referenced kind and its virtual `namespace/name`. */
export const referenceKey = (kind: string, key: string): string => `${kind}/${key}`;

/**
 * Relation keys of a host copy: the virtual objects that name the virtual object the copy provably
 * stands for, found through their reference index (filed by referenceKey). The informer is read
 * lazily: kinds make it in setup, after their relations are declared.
 */
export function referrersOfCopy(
  where: Pick<Placement, 'vcName' | 'hostNamespace'>,
  referrers: () => Informer<KubeObject> | undefined,
  index: string,
): (kind: string, type: ResourceType) => (copy: KubeObject) => string[] {
  return (kind, type) => (copy) => {
    const owner = ownedVirtualKey(copy, where, type);
    const informer = referrers();
    if (!owner || !informer) return [];
    return informer.store.byIndex(index, referenceKey(kind, owner)).map(objectKey);
  };
}

/**
 * Relation keys of a virtual object: the objects that name it, found through their reference index
 * (filed by referenceKey), read lazily as in referrersOfCopy.
 */
export function referrersOfVirtual(
  referrers: () => Informer<KubeObject> | undefined,
  index: string,
): (kind: string) => (obj: KubeObject) => string[] {
  return (kind) => (obj) =>
    referrers()
      ?.store.byIndex(index, referenceKey(kind, objectKey(obj)))
      .map(objectKey) ?? [];
}

/** The virtual UID a host copy was made from. */
export function recordedVirtualUid(host: KubeObject): string | undefined {
  return host.metadata?.annotations?.[OBJECT_UID_ANNOTATION];
}

/**
 * Namespaced virtual objects into the host namespace under vCluster's `<name>-x-<ns>-x-<vc>` (or,
 * for the kinds vCluster names so, `naming` is its short form, hostNameShort). `special` maps a few
 * virtual keys to fixed host names (virtual `default/kubernetes` stands for the host Service of the
 * virtual API); a special host name is claimed only by its own key.
 */
export function namespacedToHost(
  virtualType: ResourceType,
  where: Placement,
  special: Readonly<Record<string, string>> = {},
  naming: (name: string, namespace: string, vcName: string) => string = hostName,
): Mapper {
  return {
    targetKey(virtualKey) {
      const fixed = special[virtualKey];
      if (fixed) return `${where.hostNamespace}/${fixed}`;
      const { namespace, name } = splitKey(virtualKey);
      return `${where.hostNamespace}/${naming(name, namespace, where.vcName)}`;
    },
    sourceKeyOf: (host) => ownedVirtualKey(host, where, virtualType),
    sourceUidOf: recordedVirtualUid,
  };
}

/** Cluster-scoped virtual objects onto the host as `vcluster-<name>-x-<hostNamespace>-x-<vc>`. */
export function clusterScopedToHost(
  virtualType: ResourceType,
  where: Pick<Placement, 'vcName' | 'hostNamespace'>,
): Mapper {
  return {
    targetKey: (name) => hostClusterScopedName(name, where.hostNamespace, where.vcName),
    sourceKeyOf: (host) => ownedVirtualKey(host, where, virtualType),
    sourceUidOf: recordedVirtualUid,
    // A copy that records no host namespace (vCluster's) may be another virtual cluster's whose
    // managed-by value and names read the same (see ownedVirtualKey): it is updated, and so gains
    // the record, but never deleted before it has it.
    deletable: (host) => Boolean(host.metadata?.annotations?.[OBJECT_HOST_NAMESPACE_ANNOTATION]),
  };
}

/**
 * Host objects shown in the virtual cluster under the same name (nodes). A virtual object is ours
 * only when it carries `managedLabel: "true"`; anything else of that name is the tenant's.
 */
export function mirrored(managedLabel: string): Mapper {
  return {
    targetKey: (key) => key,
    sourceKeyOf: (virtual) =>
      virtual.metadata?.labels?.[managedLabel] === 'true' ? (virtual.metadata.name ?? undefined) : undefined,
  };
}
