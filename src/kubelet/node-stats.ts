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
 * `/metrics/resource` (Prometheus text): series without a pod label (the node's) are kept; series of
 * a pod are kept only for this virtual cluster's pods, with `namespace` and `pod` renamed.
 */
export function resourceMetricsForTenant(text: string, owned: OwnedPods): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') {
      out.push(line);
      continue;
    }
    const labels = /\{([^}]*)\}/.exec(line);
    const pod = labels ? /(?:^|,)pod="([^"]*)"/.exec(labels[1]!)?.[1] : undefined;
    if (pod === undefined) {
      out.push(line);
      continue;
    }
    const namespace = /(?:^|,)namespace="([^"]*)"/.exec(labels![1]!)?.[1];
    const virtual = owned.get(`${namespace}/${pod}`);
    if (!virtual) continue;
    const renamed = labels![1]!
      .replace(/(^|,)pod="[^"]*"/, `$1pod="${virtual.name}"`)
      .replace(/(^|,)namespace="[^"]*"/, `$1namespace="${virtual.namespace}"`);
    out.push(line.replace(labels![0]!, `{${renamed}}`));
  }
  return out.join('\n');
}
