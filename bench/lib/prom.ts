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

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

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
