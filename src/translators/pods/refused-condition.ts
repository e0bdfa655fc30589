import type { ClusterClient } from '../../kube/client.ts';
import { isApiError } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';

/** The reason on the condition, as on the Warning event the refusal also gets. */
export const REFUSED_REASON = 'SyncError';

interface PodCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastProbeTime?: string | null;
}

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The pod with a `PodScheduled: False` condition saying why the syncer refused it (it has no host pod,
 * so it runs nowhere: the engine asks only then), or undefined when there is nothing to change: it
 * started (a pod that ran and lost its copy; its conditions are its kubelet's), it is scheduled, or the
 * condition says this already. A pod made with its node named (`kubectl debug node/...`, a
 * DaemonSet-less operator's) never started is told so too. `kubectl describe`, `kubectl wait` and
 * Helm's --wait read it; the Warning event says the same but expires within the hour.
 */
export function withRefusedCondition(pod: KubeObject, message: string, now: number): KubeObject | undefined {
  const status = (pod.status ?? {}) as { conditions?: PodCondition[]; startTime?: string };
  if (status.startTime) return undefined;
  const conditions = status.conditions ?? [];
  const scheduled = conditions.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'True') return undefined;
  if (scheduled?.reason === REFUSED_REASON && scheduled.message === message) return undefined;
  const condition: PodCondition = {
    type: 'PodScheduled',
    status: 'False',
    reason: REFUSED_REASON,
    message,
    lastProbeTime: null,
    lastTransitionTime:
      scheduled?.status === 'False' && scheduled.lastTransitionTime
        ? scheduled.lastTransitionTime
        : rfc3339(now),
  };
  return {
    ...pod,
    status: { ...status, conditions: [...conditions.filter((c) => c !== scheduled), condition] },
  };
}

/** Writes withRefusedCondition's pod; a pod changed or gone meanwhile is left to its next reconcile. */
export async function markRefused(
  pod: KubeObject,
  message: string,
  client: ClusterClient,
  now: number,
): Promise<void> {
  const marked = withRefusedCondition(pod, message, now);
  if (!marked) return;
  try {
    await client.update(Resources.pods, pod.metadata?.namespace ?? '', marked, { subresource: 'status' });
  } catch (err) {
    if (!isApiError(err, 'conflict') && !isApiError(err, 'notFound')) throw err;
  }
}
