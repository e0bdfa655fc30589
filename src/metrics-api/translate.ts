/**
 * The host's metrics API (metrics-server's `metrics.k8s.io/v1beta1`) as a tenant may see it: the
 * host namespace's pod metrics become the virtual pods', under their virtual names and labels, with
 * only the containers the tenant declared; node metrics only of the nodes the virtual cluster shows.
 * A host pod counts only when it is proven this virtual cluster's copy (ownedAmong: managed-by and
 * the object annotations, never the name), as the kubelet endpoint's statistics do.
 */
import type { KubeObject } from '../kube/object.ts';
import type { OwnedPods } from '../kubelet/node-stats.ts';
import type { LabelSelector } from '../naming/labels.ts';
import { parseQuantity } from '../kube/quantity.ts';
import { FAKE_NODE_LABEL, isManagedNode } from '../translators/nodes/translate.ts';
import { selectorMatches } from '../util/label-selector.ts';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
export const METRICS_GROUP_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

/** One item of a PodMetricsList or NodeMetricsList, as metrics-server writes it. */
export interface MetricsItem {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    creationTimestamp?: string;
  };
  timestamp?: string;
  window?: string;
  containers?: { name?: string; usage?: Record<string, string> }[];
  usage?: Record<string, string>;
}

/** What a tenant asked for: every namespace or one, every object or one, and a label selector. */
export interface MetricsQuery {
  namespace?: string;
  name?: string;
  selector: LabelSelector;
}

/** A virtual object by namespace and name (namespace '' for nodes), from a cache. */
export type VirtualLookup = (namespace: string, name: string) => KubeObject | undefined;

const itemsOf = (list: unknown): MetricsItem[] => {
  const items = (list as { items?: unknown } | undefined)?.items;
  return Array.isArray(items) ? items.filter((i): i is MetricsItem => !!i && typeof i === 'object') : [];
};

/**
 * The pod metrics of a host namespace (a PodMetricsList) as the tenant's: each item of a host pod this
 * virtual cluster owns, renamed to its virtual pod, with that pod's labels and only its declared
 * containers, kept when the query selects it. Items of other pods (another tenant's, the host's own)
 * are dropped.
 */
export function tenantPodMetrics(
  hostList: unknown,
  hostNamespace: string,
  owned: OwnedPods,
  virtualPod: VirtualLookup,
  query: MetricsQuery,
): MetricsItem[] {
  const out: MetricsItem[] = [];
  for (const item of itemsOf(hostList)) {
    const identity = owned.get(`${hostNamespace}/${item.metadata?.name ?? ''}`);
    if (!identity) continue;
    if (query.namespace !== undefined && identity.namespace !== query.namespace) continue;
    if (query.name !== undefined && identity.name !== query.name) continue;
    const pod = virtualPod(identity.namespace, identity.name);
    // The pod in the cache must be the one the host pod is the copy of (not a later one of the name).
    if (!pod || pod.metadata?.uid !== identity.uid) continue;
    const labels = pod.metadata?.labels ?? {};
    if (!selectorMatches(query.selector, labels)) continue;
    const declared = identity.containers;
    out.push({
      ...renamed(item, { name: identity.name, namespace: identity.namespace, labels: { ...labels } }),
      containers: (item.containers ?? []).filter((c) => !declared || declared.has(c.name ?? '')),
    });
  }
  return out;
}

/** What the node metrics are made from: the syncer's own view of where this virtual cluster runs. */
export interface NodeMetricsSources {
  /**
   * Host pods of this virtual cluster (proven copies), by the node the host placed them on: each by
   * its host name, with the containers the tenant declared in it when known.
   */
  hostPodsByNode: ReadonlyMap<string, readonly OwnedHostPod[]>;
  /** The host's pod metrics of the host namespace (a PodMetricsList), for fake nodes' sums. */
  hostPodMetrics: unknown;
  virtualNode: VirtualLookup;
  /**
   * Whether virtual nodes stand for host nodes (--sync-real-nodes): only then may a node show its
   * host node's figures. Decided by the syncer's settings, never by a node's labels, which a tenant
   * edits (a fake node stripped of its marker must not show the host node's total).
   */
  realNodes: boolean;
}

/**
 * The host's node metrics (a NodeMetricsList) of the nodes where this virtual cluster's pods run, as
 * the syncer knows from its own host pods, never from what a node object says (a tenant may make a
 * Node with any name and marker): a real node's copy (--sync-real-nodes) gets its host node's
 * figures; a fake node, which shows nothing of the host, the sum of this virtual cluster's pods on it
 * (the host node's total would tell the tenant other tenants' load). Labels are the virtual node's.
 */
export function tenantNodeMetrics(
  hostNodeMetrics: unknown,
  sources: NodeMetricsSources,
  query: MetricsQuery,
): MetricsItem[] {
  const podUsage = new Map(itemsOf(sources.hostPodMetrics).map((item) => [item.metadata?.name ?? '', item]));
  const out: MetricsItem[] = [];
  for (const item of itemsOf(hostNodeMetrics)) {
    const name = item.metadata?.name ?? '';
    if (query.name !== undefined && name !== query.name) continue;
    const ourPods = sources.hostPodsByNode.get(name);
    const node = sources.virtualNode('', name);
    if (!ourPods?.length || !node || !isManagedNode(node) || node.metadata?.deletionTimestamp) continue;
    const labels = node.metadata?.labels ?? {};
    if (!selectorMatches(query.selector, labels)) continue;
    const fake = !sources.realNodes || labels[FAKE_NODE_LABEL] === 'true';
    out.push({
      ...renamed(item, { name, labels: { ...labels } }),
      usage: fake ? sumOfPods(ourPods, podUsage) : (item.usage ?? {}),
    });
  }
  return out;
}

/** A host pod of this virtual cluster and the containers the tenant declared in it (when known). */
export interface OwnedHostPod {
  name: string;
  containers?: ReadonlySet<string>;
}

/**
 * CPU and memory of these pods' declared containers together (what `kubectl top pod` shows of them),
 * as metrics-server writes them (nanocores, KiB).
 */
function sumOfPods(
  pods: readonly OwnedHostPod[],
  usage: ReadonlyMap<string, MetricsItem>,
): Record<string, string> {
  let cores = 0;
  let bytes = 0;
  for (const pod of pods) {
    for (const container of usage.get(pod.name)?.containers ?? []) {
      if (pod.containers && !pod.containers.has(container.name ?? '')) continue;
      cores += parseQuantity(container.usage?.cpu) ?? 0;
      bytes += parseQuantity(container.usage?.memory) ?? 0;
    }
  }
  return { cpu: `${Math.round(cores * 1e9)}n`, memory: `${Math.round(bytes / 1024)}Ki` };
}

/** An item's timing (when and over what window it was measured) under the tenant's metadata. */
function renamed(item: MetricsItem, metadata: NonNullable<MetricsItem['metadata']>): MetricsItem {
  const created = item.metadata?.creationTimestamp;
  return {
    metadata: { ...metadata, ...(created ? { creationTimestamp: created } : {}) },
    ...(item.timestamp !== undefined ? { timestamp: item.timestamp } : {}),
    ...(item.window !== undefined ? { window: item.window } : {}),
  };
}

/** The discovery document of the group version: what the aggregator and kubectl ask first. */
export function apiResourceList(): Record<string, unknown> {
  const verbs = ['get', 'list'];
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: METRICS_GROUP_VERSION,
    resources: [
      { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs },
      { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs },
    ],
  };
}

/** The group, as `/apis/metrics.k8s.io` answers it. */
export function apiGroup(): Record<string, unknown> {
  const version = { groupVersion: METRICS_GROUP_VERSION, version: METRICS_VERSION };
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: METRICS_GROUP,
    versions: [version],
    preferredVersion: version,
  };
}
