import type { KubeObject } from '../kube/object.ts';
import type { ExportedData } from './build.ts';

/**
 * Marks the Secret the syncer writes the tenant's kubeconfig to, valued with the virtual cluster's
 * name. A Secret of that name without it is someone else's and is never touched. It carries no
 * managed-by label: it is no synced copy, so no kind watches it or counts it as an orphan.
 */
export const KUBECONFIG_OF_LABEL = 'vsyncer.dev/kubeconfig-of';

/** The labels vCluster puts on its kubeconfig Secret, which tools select it by. */
const vclusterLabels = (vcName: string) => ({ app: 'vcluster', 'vcluster-name': vcName });

/** The Secret holding the tenant's kubeconfig, as the syncer creates it. */
export function kubeconfigSecret(opts: {
  name: string;
  namespace: string;
  vcName: string;
  data: ExportedData;
}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: opts.name,
      namespace: opts.namespace,
      labels: { [KUBECONFIG_OF_LABEL]: opts.vcName, ...vclusterLabels(opts.vcName) },
    },
    type: 'Opaque',
    data: { ...opts.data },
  };
}

/** What to do about the Secret: nothing when it already holds the kubeconfig (a restart writes nothing). */
export type SecretPlan =
  | { action: 'create'; secret: KubeObject }
  | { action: 'update'; secret: KubeObject }
  | { action: 'none' }
  | { action: 'not-ours' };

/**
 * Compares the Secret found (if any) with the desired one. An update starts from the Secret found, so
 * its other metadata (owner references, an admin's labels) stays; the data is replaced and the
 * desired labels added (an earlier syncer's export lacks vCluster's).
 */
export function planKubeconfigSecret(
  existing: KubeObject | undefined,
  desired: KubeObject,
  vcName: string,
): SecretPlan {
  if (!existing) return { action: 'create', secret: desired };
  const labels = existing.metadata?.labels ?? {};
  if (labels[KUBECONFIG_OF_LABEL] !== vcName) return { action: 'not-ours' };
  const wanted = desired.metadata?.labels ?? {};
  const labelled = Object.entries(wanted).every(([k, v]) => labels[k] === v);
  if (labelled && sameData(existing.data, desired.data)) return { action: 'none' };
  return {
    action: 'update',
    secret: {
      ...existing,
      metadata: { ...existing.metadata, labels: { ...labels, ...wanted } },
      data: desired.data,
    },
  };
}

function sameData(a: unknown, b: unknown): boolean {
  const left = (a ?? {}) as Record<string, string>;
  const right = (b ?? {}) as Record<string, string>;
  const keys = Object.keys(left);
  return keys.length === Object.keys(right).length && keys.every((k) => left[k] === right[k]);
}
