/** A counter's value per label set, from a Prometheus text page. */
export function counterValues(
  text: string,
  name: string,
): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  const line = new RegExp(`^${name}(?:\\{([^}]*)\\})?\\s+(\\S+)$`, 'gm');
  for (const m of text.matchAll(line)) {
    const labels: Record<string, string> = {};
    for (const l of (m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ labels, value: Number(m[2]) });
  }
  return out;
}

export const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/**
 * What the bench reads from a syncer's metrics page, whichever syncer serves it: vsyncer's own
 * counters here, vCluster's (controller-runtime and client-go) in vcluster.ts.
 */
export interface SyncerMetrics {
  /** Write requests per cluster (`host`, `virtual`). */
  writesPerCluster(text: string): Record<string, number>;
  /** Write requests per cluster, verb and (where the syncer says) resource. */
  writesByVerb(text: string): Record<string, number>;
  /** All requests, reads and watches too, per cluster and verb. */
  requestsByVerb(text: string): Record<string, number>;
  /** Reconciles per kind (or controller). */
  reconcilesByKind(text: string): Record<string, number>;
  /** Bytes: the language runtime's heap in use and held, and memory outside it (buffers). */
  memory(text: string): { heapUsed: number; heapTotal: number; external: number };
}

export const vsyncerMetrics: SyncerMetrics = {
  writesPerCluster,
  writesByVerb,
  requestsByVerb,
  reconcilesByKind: (text) => sumBy(text, 'vsyncer_reconcile_total', 'kind'),
  memory: (text) => ({
    heapUsed: metricValue(text, 'vsyncer_nodejs_heap_size_used_bytes'),
    heapTotal: metricValue(text, 'vsyncer_nodejs_heap_size_total_bytes'),
    external: metricValue(text, 'vsyncer_nodejs_external_memory_bytes'),
  }),
};

/** Write requests the syncer made, per cluster, from its vsyncer_api_requests_total counter. */
export function writesPerCluster(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { labels, value } of counterValues(text, 'vsyncer_api_requests_total')) {
    if (!WRITE_VERBS.has(labels.verb ?? '')) continue;
    const cluster = labels.cluster ?? '?';
    out[cluster] = (out[cluster] ?? 0) + value;
  }
  return out;
}

/** Write requests per cluster and resource-less verb, for the detail table. */
export function writesByVerb(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { labels, value } of counterValues(text, 'vsyncer_api_requests_total')) {
    if (!WRITE_VERBS.has(labels.verb ?? '')) continue;
    const key = `${labels.cluster} ${labels.verb}${labels.resource ? ' ' + labels.resource : ''}`;
    out[key] = (out[key] ?? 0) + value;
  }
  return out;
}

export function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d) out[k] = d;
  }
  return out;
}

/** The sum of a metric's samples over all its label sets (0 when absent). */
export function metricValue(text: string, name: string): number {
  return counterValues(text, name).reduce((sum, s) => sum + s.value, 0);
}

/** The sum of a counter per value of one label, e.g. reconciles per kind. */
export function sumBy(text: string, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { labels, value } of counterValues(text, name)) {
    const key = labels[label] ?? '?';
    out[key] = (out[key] ?? 0) + value;
  }
  return out;
}

/** All requests (reads and watches too) per cluster and verb. */
export function requestsByVerb(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { labels, value } of counterValues(text, 'vsyncer_api_requests_total')) {
    const key = `${labels.cluster} ${labels.verb}`;
    out[key] = (out[key] ?? 0) + value;
  }
  return out;
}
