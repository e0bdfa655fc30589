import type { Pod } from '../../kube/types.ts';

/** One pod condition, as the status holds it. */
export interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastProbeTime?: string;
  /** The pod generation the condition was set for (Kubernetes 1.34+). */
  observedGeneration?: number;
}

/**
 * Condition types the kubelet and the control plane own. A readiness gate may not make the syncer
 * write one of these to the host pod: the host's own components decide them.
 */
const SYSTEM_CONDITION_TYPES: ReadonlySet<string> = new Set([
  'PodScheduled',
  'Initialized',
  'ContainersReady',
  'Ready',
  'PodReadyToStartContainers',
  'DisruptionTarget',
  'PodResizePending',
  'PodResizeInProgress',
]);

const DISRUPTION_TARGET = 'DisruptionTarget';

/** A list as the status holds it, or none: objects reach here before or without a shape check. */
const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

const conditionsOf = (pod: Pod): PodCondition[] =>
  listOf((pod.status as { conditions?: unknown } | undefined)?.conditions).filter(
    (c): c is PodCondition => typeof (c as PodCondition | null)?.type === 'string',
  );

/**
 * The condition types of the pod's readiness gates that the tenant's own controllers set: on the
 * virtual pod, where they run. The host kubelet counts them into Ready only once they are on the host
 * pod too, so the syncer carries them down, and keeps them on the virtual pod when status comes up.
 */
export function readinessGateTypes(pod: Pod): Set<string> {
  const gates = listOf((pod.spec as { readinessGates?: unknown } | undefined)?.readinessGates);
  return new Set(
    gates
      .map((g) => (g as { conditionType?: unknown } | null)?.conditionType)
      .filter((t): t is string => typeof t === 'string' && t !== '' && !SYSTEM_CONDITION_TYPES.has(t)),
  );
}

/**
 * One condition per type (the last, as a status patch would leave it): repeated ones would otherwise
 * never read as in sync.
 */
function lastOfEachType(conditions: PodCondition[]): PodCondition[] {
  const byType = new Map<string, PodCondition>();
  for (const c of conditions) byType.set(c.type, c);
  return [...byType.values()];
}

/** The virtual pod's conditions of its gates' types, one per type. */
const gateConditions = (virtual: Pod, gates: ReadonlySet<string>): PodCondition[] =>
  lastOfEachType(conditionsOf(virtual).filter((c) => gates.has(c.type)));

/**
 * The host pod's conditions with the virtual pod's readiness-gate conditions in place of its own, or
 * undefined when the host pod already has them as the tenant set them.
 */
export function hostConditionsWithGates(virtual: Pod, host: Pod): PodCondition[] | undefined {
  const gates = readinessGateTypes(virtual);
  if (!gates.size) return undefined;
  const wanted = gateConditions(virtual, gates);
  const current = conditionsOf(host);
  const same = (a: PodCondition | undefined, b: PodCondition) =>
    a !== undefined && a.status === b.status && a.reason === b.reason && a.message === b.message;
  if (
    wanted.every((w) =>
      same(
        current.find((c) => c.type === w.type),
        w,
      ),
    )
  )
    return undefined;
  const types = new Set(wanted.map((w) => w.type));
  return [...current.filter((c) => !types.has(c.type)), ...wanted];
}

/**
 * The condition types of the host pod's own custom conditions (a host controller's, neither the
 * kubelet's nor the control plane's, nor one of the pod's gates). Remembered as the status comes up,
 * so that one the host drops later is dropped from the virtual pod too (virtualConditionsWithGates).
 */
export function hostCustomConditionTypes(hostConditions: PodCondition[] | undefined, virtual: Pod): string[] {
  const gates = readinessGateTypes(virtual);
  const types = listOf(hostConditions)
    .map((c) => (c as PodCondition | null)?.type)
    .filter((t): t is string => typeof t === 'string' && !SYSTEM_CONDITION_TYPES.has(t) && !gates.has(t));
  return [...new Set(types)];
}

/**
 * The host conditions for the virtual pod: the host's, but its readiness-gate conditions as the
 * tenant set them, and any condition of its own type a tenant's controller set on the virtual pod
 * that the host pod does not have (the host's components never see it; a status write must not wipe
 * it). The kubelet's and control plane's types always come from the host. A type in `fromHostBefore`
 * came up from the host pod (hostCustomConditionTypes) and is the host's to drop: gone from the host
 * pod, it goes from the virtual one.
 */
export function virtualConditionsWithGates(
  hostConditions: PodCondition[] | undefined,
  virtual: Pod,
  fromHostBefore: ReadonlySet<string> = new Set(),
): PodCondition[] | undefined {
  const gates = readinessGateTypes(virtual);
  const onHost = new Set(listOf(hostConditions).map((c) => (c as PodCondition | null)?.type));
  // DisruptionTarget is the virtual control plane's when it evicts the pod (a drain, a preemption):
  // the host pod, deleted plainly, has none, and a Job's podFailurePolicy reads it on the virtual pod.
  const tenantsOwn = (c: PodCondition) =>
    gates.has(c.type) ||
    (!onHost.has(c.type) &&
      !fromHostBefore.has(c.type) &&
      (!SYSTEM_CONDITION_TYPES.has(c.type) || c.type === DISRUPTION_TARGET));
  const own = lastOfEachType(conditionsOf(virtual).filter(tenantsOwn));
  if (!own.length) return hostConditions;
  const fromHost = listOf(hostConditions).filter((c) => !gates.has((c as PodCondition | null)?.type ?? ''));
  return [...fromHost, ...own] as PodCondition[];
}
