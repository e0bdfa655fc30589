import { hash10, safeConcatName } from './safe-concat.ts';

export const MANAGED_BY_LABEL = 'vcluster.loft.sh/managed-by';
/** Marks objects the syncer shows in the virtual cluster on behalf of the host (nodes, classes, CRDs). */
export const FROM_HOST_LABEL = 'vsyncer.dev/managed';
export const NAMESPACE_LABEL = 'vcluster.loft.sh/namespace';
export const CONTROLLED_BY_LABEL = 'vcluster.loft.sh/controlled-by';
export const OBJECT_NAME_ANNOTATION = 'vcluster.loft.sh/object-name';
export const OBJECT_NAMESPACE_ANNOTATION = 'vcluster.loft.sh/object-namespace';
export const OBJECT_UID_ANNOTATION = 'vcluster.loft.sh/object-uid';
export const OBJECT_KIND_ANNOTATION = 'vcluster.loft.sh/object-kind';
export const OBJECT_HOST_NAME_ANNOTATION = 'vcluster.loft.sh/object-host-name';
export const OBJECT_HOST_NAMESPACE_ANNOTATION = 'vcluster.loft.sh/object-host-namespace';
export const POD_NAME_ANNOTATION = 'vcluster.loft.sh/name';
export const POD_NAMESPACE_ANNOTATION = 'vcluster.loft.sh/namespace';
export const POD_UID_ANNOTATION = 'vcluster.loft.sh/uid';
export const POD_SERVICE_ACCOUNT_ANNOTATION = 'vcluster.loft.sh/service-account-name';
export const POD_LABELS_ANNOTATION = 'vcluster.loft.sh/labels';
/** On a host pod: the virtual pod's owner references, and the kind of its set (vCluster's, for host tools). */
export const OWNER_REFERENCES_ANNOTATION = 'vcluster.loft.sh/owner-references';
export const OWNER_SET_KIND_ANNOTATION = 'vcluster.loft.sh/owner-set-kind';
/** On a host pod: the virtual pod's cpu and memory it was made or last resized from (pods/resize.ts). */
export const CONTAINER_RESOURCES_ANNOTATION = 'vsyncer.dev/container-resources';
/**
 * On a host pod whose downward API reads `metadata.annotations` whole: the virtual pod's annotations
 * as the kubelet would render them (pods/downward-maps.ts), so the tenant sees its own, not the host's.
 */
export const POD_ANNOTATIONS_ANNOTATION = 'vsyncer.dev/annotations';
/** On a host pod: the images and scheduling gates last written from the virtual pod (pods/spec-record.ts). */
export const POD_SPEC_RECORD_ANNOTATION = 'vsyncer.dev/pod-spec';
/** On a host Gateway API object: the digest of the spec it was last written with (gateway-api/spec-record.ts). */
export const SPEC_DIGEST_ANNOTATION = 'vsyncer.dev/spec-digest';
/** On a host pod: the --pod-dns-nameserver nameservers it was made with (pods/dns-nameservers.ts). */
export const CLUSTER_NAMESERVERS_ANNOTATION = 'vsyncer.dev/cluster-nameservers';
/**
 * vCluster's "sync this one": on a tenant's ConfigMap or Secret, synced though nothing uses it; on an
 * event of the host namespace (set by the host's admin), shown in the virtual `default` namespace
 * though it concerns no synced object.
 */
export const FORCE_SYNC_ANNOTATION = 'vcluster.loft.sh/force-sync';
/**
 * On a virtual Service: one the control plane serves itself (the metrics API's, which names
 * localhost), never copied to the host.
 */
export const CONTROL_PLANE_LOCAL_LABEL = 'vsyncer.dev/control-plane-local';
/** The label / annotation keys the syncer set on a host object, one per line, so it leaves other keys alone. */
export const MANAGED_LABELS_ANNOTATION = 'vcluster.loft.sh/managed-labels';
export const MANAGED_ANNOTATIONS_ANNOTATION = 'vcluster.loft.sh/managed-annotations';

/**
 * The managed-by value of this virtual cluster's host objects: its name in its host namespace; for
 * cluster-scoped objects `<hostNamespace>-x-<vc>`, as vCluster writes it, since virtual clusters of
 * one name in different host namespaces share the cluster scope and must not take each other's.
 */
export function managedByValue(
  where: { vcName: string; hostNamespace: string },
  namespaced: boolean,
): string {
  return namespaced ? where.vcName : safeConcatName(where.hostNamespace, 'x', where.vcName);
}

/**
 * The label selector of this virtual cluster's host objects of a kind (see managedByValue). For
 * cluster-scoped kinds it also selects the bare name, which syncers before 2026-12-02 wrote there:
 * such a copy is taken over only when its name is this host namespace's (see ownedVirtualKey).
 */
export function managedBySelector(
  where: { vcName: string; hostNamespace: string },
  namespaced: boolean,
): string {
  return namespaced
    ? `${MANAGED_BY_LABEL}=${where.vcName}`
    : `${MANAGED_BY_LABEL} in (${managedByValue(where, false)},${where.vcName})`;
}

/**
 * Label keys the host side reserves for itself; a tenant's labels with these keys are stored hashed.
 * The gateway-name keys are how a host gateway controller that runs a Gateway's proxies in the
 * Gateway's own namespace (Istio, NGINX Gateway Fabric and kgateway by the Gateway API's key, Envoy
 * Gateway's namespace mode, Contour's provisioner) selects them for the Gateway's Service: a tenant
 * pod labelled with another Gateway copy's name would join that Service and take a share of its
 * traffic. Its own selectors translate the same way, so they still select its own pods.
 */
export const RESERVED_LABEL_KEYS: readonly string[] = [
  'release',
  NAMESPACE_LABEL,
  MANAGED_BY_LABEL,
  CONTROLLED_BY_LABEL,
  'gateway.networking.k8s.io/gateway-name',
  'istio.io/gateway-name',
  'gateway.istio.io/managed',
  'gateway.envoyproxy.io/owning-gateway-name',
  'gateway.envoyproxy.io/owning-gateway-namespace',
  'gateway.envoyproxy.io/owning-gatewayclass',
  'projectcontour.io/owning-gateway-name',
];

const RESERVED_LABEL_PREFIX = 'vcluster.loft.sh/label';
const NAMESPACE_LABEL_PREFIX = 'vcluster.loft.sh/ns-label';

/**
 * vCluster's label keys that carry a hashed key for one virtual cluster: `<prefix>-<vc>-x-<hash10(key)>`,
 * cut by safeConcatName to 63 characters (and so always a valid key, whatever the name's length).
 */
const vcLabelKey = (prefix: string, key: string, vcName: string) =>
  safeConcatName(prefix, vcName, 'x', hash10(key));

/**
 * The start every such key of this virtual cluster shares: `<prefix>-<vc>-x-`, or, for a name long
 * enough that safeConcatName cuts the key, its first 52 characters and the '-' before the hash.
 */
function vcLabelKeyStart(prefix: string, vcName: string): string {
  const start = `${prefix}-${vcName}-x-`;
  return start.length + 10 <= 63 ? start : `${start.slice(0, 52)}-`;
}

/** Where a reserved virtual label key is kept on the host: `vcluster.loft.sh/label-<vc>-x-<hash10(key)>`. */
export function hostKeyForReservedLabel(key: string, vcName: string): string {
  return vcLabelKey(RESERVED_LABEL_PREFIX, key, vcName);
}

/** Label key carrying a virtual namespace label on pods: `vcluster.loft.sh/ns-label-<vc>-x-<hash10(key)>`. */
export function namespaceLabelKey(key: string, vcName: string): string {
  return vcLabelKey(NAMESPACE_LABEL_PREFIX, key, vcName);
}

/** Whether a host label key is one this virtual cluster's syncer derives (a reserved or namespace label). */
export function isDerivedLabelKey(key: string, vcName: string): boolean {
  return (
    key.startsWith(vcLabelKeyStart(RESERVED_LABEL_PREFIX, vcName)) ||
    key.startsWith(vcLabelKeyStart(NAMESPACE_LABEL_PREFIX, vcName))
  );
}

/** Whether a host label key carries a namespace label of this virtual cluster. */
export const isNamespaceLabelKey = (key: string, vcName: string): boolean =>
  key.startsWith(vcLabelKeyStart(NAMESPACE_LABEL_PREFIX, vcName));

/**
 * Translates one virtual label key to its host key: unchanged, unless reserved. Every key under
 * `vcluster.loft.sh/` counts as reserved too, so a tenant cannot forge the syncer's own labels
 * (e.g. an ns-label its namespace does not have, to match another namespace's selector).
 */
export function hostLabelKey(key: string, vcName: string): string {
  return RESERVED_LABEL_KEYS.includes(key) || key.startsWith('vcluster.loft.sh/')
    ? hostKeyForReservedLabel(key, vcName)
    : key;
}

/** Host labels of a namespaced object: the tenant's labels (reserved keys hashed) plus managed-by and namespace. */
export function hostLabels(
  virtualLabels: Record<string, string>,
  where: { vcName: string; virtualNamespace: string },
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(virtualLabels)) out[hostLabelKey(key, where.vcName)] = value;
  out[MANAGED_BY_LABEL] = where.vcName;
  if (where.virtualNamespace) out[NAMESPACE_LABEL] = where.virtualNamespace;
  return out;
}

/** The tenant's labels back from host labels: our own keys dropped, hashed reserved keys restored. */
export function virtualLabelsFromHost(
  hostLabelMap: Record<string, string>,
  vcName: string,
): Record<string, string> {
  const restore = new Map(RESERVED_LABEL_KEYS.map((k) => [hostKeyForReservedLabel(k, vcName), k]));
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(hostLabelMap)) {
    if (key === MANAGED_BY_LABEL || key === NAMESPACE_LABEL || isNamespaceLabelKey(key, vcName)) continue;
    const original = restore.get(key);
    if (original) out[original] = value;
    else if (!key.startsWith('vcluster.loft.sh/label-')) out[key] = value;
  }
  return out;
}

/** A virtual namespace's labels as pod labels, so namespace selectors can become pod-label selectors. */
export function namespaceLabelsForPod(
  namespaceLabels: Record<string, string>,
  vcName: string,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(namespaceLabels).map(([k, v]) => [namespaceLabelKey(k, vcName), v]),
  );
}

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/**
 * A pod-label selector as it must read on the host: keys translated like labels, and scoped to this
 * virtual cluster and namespace, because every tenant's pods share one host namespace.
 */
export function translateLabelSelector(
  selector: LabelSelector | undefined,
  where: { vcName: string; virtualNamespace: string },
): LabelSelector {
  const matchLabels: Record<string, string> = {};
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {}))
    matchLabels[hostLabelKey(k, where.vcName)] = v;
  matchLabels[MANAGED_BY_LABEL] = where.vcName;
  if (where.virtualNamespace) matchLabels[NAMESPACE_LABEL] = where.virtualNamespace;
  const out: LabelSelector = { matchLabels };
  const expressions = (selector?.matchExpressions ?? []).map((e) => ({
    ...e,
    key: hostLabelKey(e.key, where.vcName),
  }));
  if (expressions.length) out.matchExpressions = expressions;
  return out;
}

/**
 * A namespace selector (pod affinity terms) as pod-label requirements on the host: each namespace
 * label key becomes the ns-label key that synced pods carry.
 */
export function namespaceSelectorAsPodSelector(selector: LabelSelector, vcName: string): LabelSelector {
  const matchLabels: Record<string, string> = { [MANAGED_BY_LABEL]: vcName };
  for (const [k, v] of Object.entries(selector.matchLabels ?? {}))
    matchLabels[namespaceLabelKey(k, vcName)] = v;
  const out: LabelSelector = { matchLabels };
  const expressions = (selector.matchExpressions ?? []).map((e) => ({
    ...e,
    key: namespaceLabelKey(e.key, vcName),
  }));
  if (expressions.length) out.matchExpressions = expressions;
  return out;
}
