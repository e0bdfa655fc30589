import type { KubeObject } from '../../kube/object.ts';
import { parseQuantity } from '../../kube/quantity.ts';

/** The resources a node's allocatable is reduced by: what the scheduler counts. */
const COUNTED = ['cpu', 'memory', 'ephemeral-storage'] as const;
type Counted = (typeof COUNTED)[number];
type Amounts = Record<Counted, number>;

interface ContainerLike {
  restartPolicy?: string;
  resources?: { requests?: Record<string, unknown> };
}

const zero = (): Amounts => ({ cpu: 0, memory: 0, 'ephemeral-storage': 0 });
const requestsOf = (c: ContainerLike | undefined): Amounts => {
  const out = zero();
  for (const r of COUNTED) out[r] = parseQuantity(c?.resources?.requests?.[r]) ?? 0;
  return out;
};
const add = (a: Amounts, b: Amounts): Amounts => {
  const out = zero();
  for (const r of COUNTED) out[r] = a[r] + b[r];
  return out;
};
const max = (a: Amounts, b: Amounts): Amounts => {
  const out = zero();
  for (const r of COUNTED) out[r] = Math.max(a[r], b[r]);
  return out;
};

/**
 * What the scheduler counts a pod as requesting (its PodRequests): the pod-level requests where set,
 * else the containers' plus the sidecars' (restartable init containers), or the largest an init
 * container needs while it runs beside the sidecars started before it, whichever is more; plus the
 * runtime class's overhead.
 */
export function podRequests(pod: KubeObject): Amounts {
  const spec = (pod.spec ?? {}) as {
    containers?: ContainerLike[];
    initContainers?: ContainerLike[];
    overhead?: Record<string, unknown>;
    resources?: { requests?: Record<string, unknown> };
  };
  let running = zero();
  for (const c of spec.containers ?? []) running = add(running, requestsOf(c));
  let sidecars = zero();
  let initPeak = zero();
  for (const c of spec.initContainers ?? []) {
    if (c?.restartPolicy === 'Always') sidecars = add(sidecars, requestsOf(c));
    else initPeak = max(initPeak, add(sidecars, requestsOf(c)));
  }
  let total = max(add(running, sidecars), initPeak);
  const podLevel = requestsOf({ resources: spec.resources });
  for (const r of COUNTED) if (spec.resources?.requests?.[r] !== undefined) total[r] = podLevel[r];
  total = add(total, requestsOf({ resources: { requests: spec.overhead } }));
  return total;
}

/** Whether a pod still holds its node's resources: bound, and not finished. */
export function holdsNodeResources(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: unknown } | undefined)?.phase;
  const nodeName = (pod.spec as { nodeName?: unknown } | undefined)?.nodeName;
  return typeof nodeName === 'string' && nodeName !== '' && phase !== 'Succeeded' && phase !== 'Failed';
}

/** What of a pod the allocatable left depends on, comparable between two versions of it. */
export function resourceFootprint(pod: KubeObject): string {
  if (!holdsNodeResources(pod)) return '';
  return JSON.stringify([(pod.spec as { nodeName?: string }).nodeName, podRequests(pod)]);
}

/**
 * A node's allocatable less what these pods (others', running there) request: what is left for the
 * virtual cluster's scheduler. CPU, memory, ephemeral storage and the pod count go down, never below
 * zero; other resources (GPUs, hugepages) stay as the host node has them.
 */
export function allocatableLeft(
  allocatable: Record<string, string>,
  pods: readonly KubeObject[],
): Record<string, string> {
  if (!pods.length) return allocatable;
  let used = zero();
  for (const pod of pods) used = add(used, podRequests(pod));
  const out = { ...allocatable };
  const cpu = parseQuantity(allocatable.cpu);
  if (cpu !== undefined) out.cpu = `${Math.max(0, Math.floor((cpu - used.cpu) * 1000 + 1e-6))}m`;
  for (const r of ['memory', 'ephemeral-storage'] as const) {
    const have = parseQuantity(allocatable[r]);
    if (have !== undefined) out[r] = String(Math.max(0, Math.floor(have - used[r])));
  }
  const podCount = parseQuantity(allocatable.pods);
  if (podCount !== undefined) out.pods = String(Math.max(0, Math.floor(podCount) - pods.length));
  return out;
}
