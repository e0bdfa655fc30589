import type { LineView } from './line-stream.ts';
import { formatSeriesLine, parseSeriesLine, sampleOf, type SeriesLine } from './prometheus-text.ts';

/**
 * A host node's statistics as a tenant may see them: only this virtual cluster's pods, under their
 * virtual names. The host kubelet reports every pod on the node, other tenants' included; a pod is
 * kept only when it is a host pod this syncer made (the caller lists them, proved by managed-by and
 * the object annotations), and renamed to the virtual pod it is the copy of.
 */

/**
 * A host pod's virtual identity, by `hostNamespace/hostName`; `hostUid` is the host pod's own, and
 * `containers`, when known, the tenant's containers in it (not those a host webhook or the syncer
 * added: their figures are left out).
 */
export type OwnedPods = ReadonlyMap<
  string,
  { namespace: string; name: string; uid: string; hostUid?: string; containers?: ReadonlySet<string> }
>;

/** Whether a container's figures are the tenant's to see: pod-level ones (no container) always. */
const tenantsContainer = (virtual: { containers?: ReadonlySet<string> }, container: string | undefined) =>
  !virtual.containers || !container || container === 'POD' || virtual.containers.has(container);

/**
 * Whether figures the kubelet gave for a pod of this name (and `uid`, when it names one) are the owned
 * host pod's. A name is reused once a pod is deleted: a kubelet still reporting the old pod (being torn
 * down) or another pod given the name since (by whoever may create pods in the host namespace) must
 * not be shown as the tenant's.
 */
const isSameHostPod = (virtual: { hostUid?: string }, uid: string | undefined) =>
  uid === undefined || uid === virtual.hostUid;

/** A pod's UID in cAdvisor's `id` (the cgroup path: `pod<uid>`, with `_` for `-` under systemd). */
const CGROUP_POD_UID =
  /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?![0-9a-f])/;

/** The UID a series names its pod by: `pod_uid`, or (cAdvisor's) the one in its cgroup path. */
const podUidOf = (label: (name: string) => string | undefined): string | undefined =>
  label('pod_uid') ?? label('id')?.match(CGROUP_POD_UID)?.[1]?.replace(/_/g, '-');

interface PodStats {
  podRef?: { name?: string; namespace?: string; uid?: string };
  [field: string]: unknown;
}

/**
 * The node's figures a tenant may see: the machine's size and use, as cAdvisor's `machine_*` and the
 * node series of `/metrics/resource` show it. Not its system containers (the kubelet's, the runtime's
 * cgroups), its network interfaces (a network plugin names one per pod, other tenants' included, each
 * with its traffic), its runtime's image store or its limits: anything the kubelet adds later is
 * left out until it is listed here.
 */
const NODE_FIELDS = ['nodeName', 'startTime', 'cpu', 'memory', 'swap', 'fs'];
/** Of the node's network: the totals of its default interface, not the list of every interface. */
const NETWORK_FIELDS = ['time', 'name', 'rxBytes', 'rxErrors', 'txBytes', 'txErrors'];

const picked = (value: unknown, fields: readonly string[]): Record<string, unknown> | undefined => {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of fields) if (Object.hasOwn(source, f)) out[f] = source[f];
  return out;
};

/**
 * What the tenant sees of a node's own use: the host node's (its copy is a real node's,
 * --sync-real-nodes), or the sum of the tenant's pods on it (a fake node, which shows nothing of the
 * host: its total less the tenant's own would be the other tenants' load; as the metrics API shows it).
 */
export type NodeUse = 'host' | 'own-pods';

/** The summary's cpu and memory figures a fake node's are summed from, over the tenant's pods. */
const SUMMED = {
  cpu: ['usageNanoCores', 'usageCoreNanoSeconds'],
  memory: ['usageBytes', 'workingSetBytes', 'rssBytes'],
};

/** The sum of the pods' `group` figures (the latest time among theirs), undefined when none has any. */
function summed(pods: readonly PodStats[], group: 'cpu' | 'memory'): Record<string, unknown> | undefined {
  const out: Record<string, number> = {};
  let time: string | undefined;
  for (const pod of pods) {
    const figures = pod[group];
    if (!figures || typeof figures !== 'object') continue;
    const values = figures as Record<string, unknown>;
    for (const field of SUMMED[group])
      if (typeof values[field] === 'number') out[field] = (out[field] ?? 0) + values[field];
    if (typeof values.time === 'string' && (time === undefined || values.time > time)) time = values.time;
  }
  return Object.keys(out).length ? { ...(time ? { time } : {}), ...out } : undefined;
}

/** `/stats/summary`: the node's own figures (NODE_FIELDS, or its tenant's pods' sum), the pods filtered and renamed. */
export function summaryForTenant(summary: unknown, owned: OwnedPods, nodeUse: NodeUse = 'host'): unknown {
  if (!summary || typeof summary !== 'object' || Array.isArray(summary))
    throw new Error('stats summary: not an object');
  const { pods, node } = summary as { pods?: unknown; node?: unknown };
  const list = Array.isArray(pods) ? (pods as PodStats[]) : [];
  const kept: PodStats[] = [];
  for (const pod of list) {
    const ref = pod?.podRef;
    const virtual = ref ? owned.get(`${ref.namespace}/${ref.name}`) : undefined;
    if (!virtual || !isSameHostPod(virtual, ref?.uid)) continue;
    // Volume stats name host claims and host volumes: the tenant's names are not knowable here.
    const { volume: _volume, containers, ...stats } = pod;
    kept.push({
      ...stats,
      ...(Array.isArray(containers)
        ? {
            containers: (containers as { name?: string }[]).filter((c) => tenantsContainer(virtual, c?.name)),
          }
        : {}),
      podRef: { name: virtual.name, namespace: virtual.namespace, uid: virtual.uid },
    });
  }
  if (nodeUse === 'own-pods') {
    const nodeStats: Record<string, unknown> = picked(node, ['nodeName', 'startTime']) ?? {};
    const cpu = summed(kept, 'cpu');
    const memory = summed(kept, 'memory');
    return { node: { ...nodeStats, ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) }, pods: kept };
  }
  const nodeStats = picked(node, NODE_FIELDS);
  const network = picked((node as { network?: unknown } | undefined)?.network, NETWORK_FIELDS);
  return { node: nodeStats && network ? { ...nodeStats, network } : (nodeStats ?? {}), pods: kept };
}

/**
 * Prometheus text from a host kubelet, as a tenant may see it, line by line: comments as they are; a
 * pod's series only for this virtual cluster's pods, with `namespace`, `pod` and `pod_uid` the
 * virtual pod's; a series of no pod as `nodeSeries` gives it (undefined: left out); a line that
 * cannot be read whole is left out. Line by line, so that a large answer (cAdvisor's, on a node of
 * many pods) streams through without being held whole.
 */
function metricLinesForTenant(
  owned: OwnedPods,
  nodeSeries: (series: SeriesLine) => SeriesLine | undefined,
  onTenantSeries?: (series: SeriesLine) => void,
): LineView {
  return (line) => {
    if (line.startsWith('#') || line.trim() === '') return line;
    const series = parseSeriesLine(line);
    if (!series) return undefined;
    const label = (name: string) => series.labels.find(([k]) => k === name)?.[1];
    const pod = label('pod');
    if (pod === undefined) {
      const kept = nodeSeries(series);
      return kept === undefined ? undefined : kept === series ? line : formatSeriesLine(kept);
    }
    const virtual = owned.get(`${label('namespace')}/${pod}`);
    if (!virtual || !isSameHostPod(virtual, podUidOf(label))) return undefined;
    if (!tenantsContainer(virtual, label('container'))) return undefined;
    const virtualValue = new Map([
      ['pod', virtual.name],
      ['namespace', virtual.namespace],
      ['pod_uid', virtual.uid],
    ]);
    const hostNamespace = label('namespace')!;
    const labels = series.labels.map(([k, v]): [string, string] => [
      k,
      virtualValue.get(k) ?? withVirtualIdentity(v, { pod, namespace: hostNamespace }, virtual),
    ]);
    onTenantSeries?.(series);
    return formatSeriesLine({ ...series, labels });
  };
}

/**
 * A label value with the host pod's identity in it made the virtual pod's: cAdvisor's `id` (the
 * cgroup path, `.../pod<uid>/...`, with `_` for `-` under systemd) and, with cri-dockerd, `name`
 * (`k8s_<container>_<pod>_<namespace>_<uid>_<n>`).
 */
function withVirtualIdentity(
  value: string,
  host: { pod: string; namespace: string },
  virtual: { namespace: string; name: string; uid: string; hostUid?: string },
): string {
  let out = value;
  if (virtual.hostUid) {
    out = out.split(virtual.hostUid).join(virtual.uid);
    out = out.split(virtual.hostUid.replace(/-/g, '_')).join(virtual.uid.replace(/-/g, '_'));
  }
  return out.split(`_${host.pod}_${host.namespace}_`).join(`_${virtual.name}_${virtual.namespace}_`);
}

/**
 * `/metrics/resource`: the node's series (RESOURCE_NODE_SERIES), and this virtual cluster's pods' and
 * containers', renamed. On a fake node the node's use is the sum of the tenant's containers (kubelets
 * write the container series first: families come sorted by name), the node's other series left out.
 */
export function resourceMetricLines(owned: OwnedPods, nodeUse: NodeUse = 'host'): LineView {
  const sums = new Map<string, number>();
  return metricLinesForTenant(
    owned,
    (series) => {
      if (!RESOURCE_NODE_SERIES.test(series.name)) return undefined;
      if (nodeUse === 'host' || !series.name.startsWith('node_')) return series;
      const summedFrom = NODE_SERIES_FROM_CONTAINERS.get(series.name);
      if (!summedFrom) return undefined;
      const { timestamp } = sampleOf(series);
      return { ...series, rest: ` ${sums.get(summedFrom) ?? 0}${timestamp ? ` ${timestamp}` : ''}` };
    },
    // A tenant's container series, as kept: counted towards the node's sums.
    nodeUse === 'own-pods'
      ? (series) => {
          const value = Number(sampleOf(series).value);
          if (series.name.startsWith('container_') && Number.isFinite(value))
            sums.set(series.name, (sums.get(series.name) ?? 0) + value);
        }
      : undefined,
  );
}

/** A fake node's series of `/metrics/resource`, each the sum of its tenant's containers' series. */
const NODE_SERIES_FROM_CONTAINERS = new Map([
  ['node_cpu_usage_seconds_total', 'container_cpu_usage_seconds_total'],
  ['node_memory_working_set_bytes', 'container_memory_working_set_bytes'],
  ['node_swap_usage_bytes', 'container_swap_usage_bytes'],
]);

/** The node's own series of `/metrics/resource`: its cpu, memory and swap, and the scrape's error. */
const RESOURCE_NODE_SERIES = /^(?:node_[a-z_]+|scrape_error|resource_scrape_error)$/;

/** Labels of cAdvisor's machine series that identify the host machine itself. */
const MACHINE_IDS = new Set(['boot_id', 'machine_id', 'system_uuid']);

/**
 * `/metrics/cadvisor`: this virtual cluster's pods' and containers' series, renamed, and the
 * machine's size (`machine_*`, without the labels that identify the host machine). The node's other
 * cgroups (the system's, the kubelet's, the runtime's, `pod=""`) are the host's, and left out.
 */
export function cadvisorMetricLines(owned: OwnedPods): LineView {
  return metricLinesForTenant(owned, (series) => {
    if (!series.name.startsWith('machine_')) return undefined;
    return { ...series, labels: series.labels.filter(([k]) => !MACHINE_IDS.has(k)) };
  });
}

/** `/metrics/probes` (the kubelet's probe results): this virtual cluster's pods' series only, renamed. */
export function probeMetricLines(owned: OwnedPods): LineView {
  return metricLinesForTenant(owned, () => undefined);
}
