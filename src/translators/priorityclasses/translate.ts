import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { hostMetadataFor, sameJson } from '../shared/host-metadata.ts';

/**
 * The highest value a tenant's class may have on the host unless configured: Kubernetes' highest
 * user-definable priority. Above it are only the system classes (system-cluster-critical at
 * 2000000000, system-node-critical at 2000001000), which no tenant class can reach.
 */
export const DEFAULT_PRIORITY_CLASS_MAX_VALUE = 1_000_000_000;

/** The fields of a PriorityClass (scheduling.k8s.io/v1) the syncer reads. */
export interface PriorityClassFields {
  value?: number;
  description?: string;
  preemptionPolicy?: string;
  globalDefault?: boolean;
}

const fieldsOf = (pc: KubeObject | undefined): PriorityClassFields => (pc ?? {}) as PriorityClassFields;

/**
 * Virtual classes that are not the tenant's to sync: the virtual API server's own system classes
 * (the host has its own, and no copy of them may outrank anything there).
 */
export const isSystemPriorityClass = (name: string): boolean => name.startsWith('system-');

/** Why a virtual class may not reach the host, or undefined when it may. */
export function refusalOf(virtual: KubeObject, maxValue: number): string | undefined {
  const value = fieldsOf(virtual).value ?? 0;
  if (value > maxValue)
    return `priority class value ${value} is above the highest value this virtual cluster may use on the host (${maxValue})`;
  return undefined;
}

/**
 * The host copy of a virtual PriorityClass, under its cluster-scoped host name. Value and preemption
 * policy are copied (both are immutable, on either side); globalDefault never is: a tenant must not
 * change which class host pods without one get.
 */
export function hostPriorityClassFor(
  virtual: KubeObject,
  where: { vcName: string; hostNamespace: string; hostName: string },
): KubeObject {
  const v = fieldsOf(virtual);
  const host: KubeObject = {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: hostMetadataFor(virtual, Resources.priorityClasses, where),
    value: v.value ?? 0,
  };
  if (v.description) host.description = v.description;
  if (v.preemptionPolicy) host.preemptionPolicy = v.preemptionPolicy;
  return host;
}

/**
 * True when the host class says what the desired one says. The server defaults preemptionPolicy
 * (PreemptLowerPriority) and globalDefault (false); those defaults count as equal. An admin's
 * globalDefault on the copy reads as a change and is reverted.
 */
export function hostClassInSync(desired: KubeObject, host: KubeObject): boolean {
  const norm = (pc: KubeObject) => {
    const f = fieldsOf(pc);
    return {
      value: f.value ?? 0,
      description: f.description || undefined,
      preemptionPolicy: f.preemptionPolicy ?? 'PreemptLowerPriority',
      globalDefault: f.globalDefault === true,
    };
  };
  return sameJson(norm(desired), norm(host));
}
