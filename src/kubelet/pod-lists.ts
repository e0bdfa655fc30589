/**
 * A kubelet's `/pods` and `/runningpods` as a tenant may see them: the virtual pods, never the host's.
 * A host kubelet lists every pod of its node, other tenants' included; here the list is made from the
 * virtual cluster's own pods, kept only while their host copy exists (proved by the host pod's
 * managed-by label and annotations, as `ownedHostPods` reads them), as a kubelet lists only the pods
 * it was given.
 */
import type { KubeObject } from '../kube/object.ts';
import type { OwnedPods } from './node-stats.ts';

/** The node-level pod lists served, by path (a trailing slash is accepted, as a kubelet does). */
export type PodListKind = 'pods' | 'runningpods';

export function podListKindOf(path: string): PodListKind | undefined {
  const trimmed = path.replace(/\/$/, '');
  return trimmed === '/pods' ? 'pods' : trimmed === '/runningpods' ? 'runningpods' : undefined;
}

/** `/pods`: the virtual pods bound to `node` (to any node when undefined) whose host copy exists. */
export function podsOnNode(virtualPods: readonly KubeObject[], owned: OwnedPods, node?: string): KubeObject {
  const running = new Set([...owned.values()].map((p) => `${p.namespace}/${p.name}/${p.uid}`));
  const items = virtualPods
    .filter((pod) => {
      const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
      const meta = pod.metadata ?? {};
      return (
        nodeName !== undefined &&
        (node === undefined || nodeName === node) &&
        running.has(`${meta.namespace}/${meta.name}/${meta.uid}`)
      );
    })
    .map((pod) => ({ ...pod, apiVersion: 'v1', kind: 'Pod' }));
  return { apiVersion: 'v1', kind: 'PodList', metadata: {}, items };
}

/**
 * `/runningpods`: of those, the pods that run, in the kubelet's short form (name, namespace, UID and
 * each running container's name and image).
 */
export function runningPods(podList: KubeObject): KubeObject {
  const items = ((podList.items as KubeObject[] | undefined) ?? [])
    .filter((pod) => (pod.status as { phase?: string } | undefined)?.phase === 'Running')
    .map((pod) => {
      const spec = pod.spec as { containers?: { name: string; image?: string }[] } | undefined;
      const states = (pod.status as { containerStatuses?: { name: string; state?: { running?: unknown } }[] })
        .containerStatuses;
      const runningNames = new Set((states ?? []).filter((s) => s.state?.running).map((s) => s.name));
      return {
        metadata: { name: pod.metadata?.name, namespace: pod.metadata?.namespace, uid: pod.metadata?.uid },
        spec: {
          containers: (spec?.containers ?? [])
            .filter((c) => runningNames.has(c.name))
            .map((c) => ({ name: c.name, image: c.image })),
        },
        status: {},
      };
    });
  return { apiVersion: 'v1', kind: 'PodList', metadata: {}, items };
}
