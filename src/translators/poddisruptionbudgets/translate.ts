import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { translateLabelSelector, type LabelSelector } from '../../naming/labels.ts';
import type { Placement } from '../../sync/kind.ts';
import { hostMetadataFor, sameJson } from '../shared/host-metadata.ts';

/** The parts of a PodDisruptionBudget spec (policy/v1) the syncer reads and writes: all of it. */
export interface PodDisruptionBudgetSpec {
  selector?: LabelSelector | null;
  minAvailable?: number | string;
  maxUnavailable?: number | string;
  unhealthyPodEvictionPolicy?: string;
}

export const specOf = (pdb: KubeObject | undefined): PodDisruptionBudgetSpec =>
  (pdb?.spec ?? {}) as PodDisruptionBudgetSpec;

/** The eviction policy of not-Ready pods on every host copy (see translatePodDisruptionBudgetSpec). */
export const HOST_UNHEALTHY_POD_EVICTION_POLICY = 'AlwaysAllow';

/**
 * The host spec of a virtual budget. The selector is translated exactly as the pods' labels are on
 * the host (reserved keys hashed) and scoped to this virtual cluster and the budget's namespace, so
 * the host copy counts only that namespace's pods of this tenant: every tenant's pods share one host
 * namespace, and an unscoped selector would let a tenant's budget block the eviction of other
 * tenants' pods. In policy/v1 a missing selector selects no pods and an empty one every pod of the
 * namespace: a missing one stays missing (scoping it would make it select every pod), an empty one
 * becomes "every pod of this namespace of this virtual cluster". The budget values are copied; the
 * eviction policy of pods that are not Ready is always AlwaysAllow.
 */
export function translatePodDisruptionBudgetSpec(
  spec: PodDisruptionBudgetSpec,
  where: { vcName: string; virtualNamespace: string },
): PodDisruptionBudgetSpec {
  const out: PodDisruptionBudgetSpec = {};
  if (spec.selector) out.selector = translateLabelSelector(spec.selector, where);
  if (spec.minAvailable !== undefined && spec.minAvailable !== null) out.minAvailable = spec.minAvailable;
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null)
    out.maxUnavailable = spec.maxUnavailable;
  // Whatever the tenant asked: a pod that is not Ready may always be evicted on the host, or a tenant
  // could block every host drain of a node with a pod that never gets Ready under a 100% budget.
  out.unhealthyPodEvictionPolicy = HOST_UNHEALTHY_POD_EVICTION_POLICY;
  return out;
}

/** The host copy of a virtual PodDisruptionBudget: translated metadata and spec, no status. */
export function hostPodDisruptionBudgetFor(
  virtual: KubeObject,
  where: Placement & { hostName: string },
): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: hostMetadataFor(virtual, Resources.podDisruptionBudgets, where),
    spec: translatePodDisruptionBudgetSpec(specOf(virtual), {
      vcName: where.vcName,
      virtualNamespace: virtual.metadata?.namespace ?? '',
    }),
  };
}

/**
 * True when the host budget already says what the desired one says. Empty selector lists the API
 * server drops count as equal, so its normalisation never reads as a host edit to revert.
 */
export function hostSpecInSync(desired: KubeObject, host: KubeObject): boolean {
  return sameJson(normalise(specOf(desired)), normalise(specOf(host)));
}

function normalise(spec: PodDisruptionBudgetSpec): unknown {
  const selector = spec.selector
    ? {
        matchLabels: spec.selector.matchLabels,
        matchExpressions: spec.selector.matchExpressions?.length ? spec.selector.matchExpressions : undefined,
      }
    : undefined;
  return { ...spec, selector };
}
