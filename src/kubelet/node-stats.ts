import type { LineView } from './line-stream.ts';
import { formatSeriesLine, parseSeriesLine, type SeriesLine } from './prometheus-text.ts';

/**
 * A host node's statistics as a tenant may see them: only this virtual cluster's pods, under their
 * virtual names. The host kubelet reports every pod on the node, other tenants' included; a pod is
 * kept only when it is a host pod this syncer made (the caller lists them, proved by managed-by and
 * the object annotations), and renamed to the virtual pod it is the copy of.
 */

/** A host pod's virtual identity, by `hostNamespace/hostName`. */
export type OwnedPods = ReadonlyMap<string, { namespace: string; name: string; uid: string }>;

interface PodStats {
  podRef?: { name?: string; namespace?: string; uid?: string };
  [field: string]: unknown;
}

/** `/stats/summary`: the node part as it is, the pods filtered and renamed. */
export function summaryForTenant(summary: unknown, owned: OwnedPods): unknown {
  if (!summary || typeof summary !== 'object' || Array.isArray(summary))
    throw new Error('stats summary: not an object');
  const { pods, ...rest } = summary as { pods?: unknown };
  const list = Array.isArray(pods) ? (pods as PodStats[]) : [];
  const kept: PodStats[] = [];
  for (const pod of list) {
    const ref = pod?.podRef;
    const virtual = ref ? owned.get(`${ref.namespace}/${ref.name}`) : undefined;
    if (!virtual) continue;
    // Volume stats name host claims and host volumes: the tenant's names are not knowable here.
    const { volume: _volume, ...stats } = pod;
    kept.push({ ...stats, podRef: { name: virtual.name, namespace: virtual.namespace, uid: virtual.uid } });
  }
  return { ...rest, pods: kept };
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
    if (!virtual) return undefined;
    const virtualValue = new Map([
      ['pod', virtual.name],
      ['namespace', virtual.namespace],
      ['pod_uid', virtual.uid],
    ]);
    const labels = series.labels.map(([k, v]): [string, string] => [k, virtualValue.get(k) ?? v]);
    return formatSeriesLine({ ...series, labels });
  };
}

/**
 * `/metrics/resource`: the node's series (cpu, memory, the scrape error) as they are, and this virtual
 * cluster's pods' and containers', renamed.
 */
export function resourceMetricLines(owned: OwnedPods): LineView {
  return metricLinesForTenant(owned, (series) => series);
}

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
