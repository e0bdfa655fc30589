import type { KubeObject } from '../../kube/object.ts';
import { withManagedRecord } from '../../sync/managed-metadata.ts';
import type { Taint } from '../shared/tolerations.ts';

/**
 * The taints the syncer put on a virtual node (the host node's, less those the enforced tolerations
 * tolerate), as JSON: vCluster's record of the same. A taint on the node that is not in it is the
 * tenant's own, and stays.
 */
export const ORIGINAL_TAINTS_ANNOTATION = 'vcluster.loft.sh/original-taints';
/** Set while the node is unschedulable because its host node is (or it is a stand-in, see standIn). */
export const HOST_UNSCHEDULABLE_ANNOTATION = 'vsyncer.dev/host-unschedulable';
/**
 * Set while the tenant has cordoned the node itself. Needed only while the host's cordon is on too:
 * then `spec.unschedulable` alone cannot tell whose it is, and the host lifting its cordon must not
 * lift the tenant's.
 */
export const TENANT_UNSCHEDULABLE_ANNOTATION = 'vsyncer.dev/tenant-unschedulable';
/**
 * The taint the API server puts on every new node until its lifecycle controller sees it Ready. The
 * virtual cluster runs no such controller, so the syncer takes it off, unless the host node has it.
 */
const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';

interface NodeSpec {
  taints?: Taint[];
  unschedulable?: boolean;
}

const specOf = (node: KubeObject | undefined): NodeSpec => (node?.spec ?? {}) as NodeSpec;
const sameTaint = (a: Taint, b: Taint) => a.key === b.key && a.value === b.value && a.effect === b.effect;
const holds = (list: readonly Taint[], taint: Taint) => list.some((t) => sameTaint(t, taint));

/**
 * The taints a record names, or undefined when the node has none or an unreadable one: a node an
 * older syncer made, whose every taint and cordon was the syncer's to set, as then.
 */
function recordedTaints(node: KubeObject): Taint[] | undefined {
  const text = node.metadata?.annotations?.[ORIGINAL_TAINTS_ANNOTATION];
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? (parsed as Taint[]).filter((t) => t && typeof t === 'object') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the tenant has cordoned the node: it is unschedulable and the host's cordon was off at the
 * last sync, or the tenant's cordon was recorded then (both on; the tenant uncordoning meanwhile shows
 * as the node schedulable, and clears it).
 */
function cordonedByTenant(node: KubeObject): boolean {
  if (specOf(node).unschedulable !== true) return false;
  const annotations = node.metadata?.annotations ?? {};
  return (
    annotations[HOST_UNSCHEDULABLE_ANNOTATION] !== 'true' ||
    annotations[TENANT_UNSCHEDULABLE_ANNOTATION] === 'true'
  );
}

/**
 * The desired virtual node with the tenant's own taints and cordon kept: a tenant may taint, cordon
 * and drain the nodes it sees (for its virtual scheduler, say) without touching the host, as on
 * vCluster. `desired` carries what the syncer sets (the host node's taints and schedulability; a
 * stand-in's, see standIn; none for another fake node); `current` is the virtual node now (absent
 * on create). The taints the syncer set and the host's cordon are recorded on the node, so that
 * once the host lifts them they go, while the tenant's stay.
 */
export function withTenantNodeSpec(desired: KubeObject, current?: KubeObject): KubeObject {
  const fromHost = specOf(desired).taints ?? [];
  const record = current && recordedTaints(current);
  // Without a record (a node of an older syncer) nothing on it is known to be the tenant's.
  const tenantTaints =
    record === undefined
      ? []
      : (specOf(current).taints ?? []).filter(
          (t) =>
            !holds(record, t) &&
            // The host's taint of the same key and effect wins: the API server takes one of each.
            !fromHost.some((h) => h.key === t.key && h.effect === t.effect) &&
            !(t.key === NOT_READY_TAINT && !fromHost.some((h) => h.key === NOT_READY_TAINT)),
        );
  const hostCordon = specOf(desired).unschedulable === true;
  const tenantCordon = record !== undefined && cordonedByTenant(current!);
  const taints = [...fromHost, ...tenantTaints];
  const annotations = { ...(desired.metadata?.annotations ?? {}) };
  // Written on every node, `[]` included: a node without it is an older syncer's.
  annotations[ORIGINAL_TAINTS_ANNOTATION] = JSON.stringify(fromHost);
  if (hostCordon) annotations[HOST_UNSCHEDULABLE_ANNOTATION] = 'true';
  if (tenantCordon) annotations[TENANT_UNSCHEDULABLE_ANNOTATION] = 'true';
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      ...withManagedRecord({ labels: desired.metadata?.labels, annotations }),
    },
    spec: {
      ...specOf(desired),
      taints: taints.length ? taints : undefined,
      unschedulable: hostCordon || tenantCordon || undefined,
    },
  };
}
