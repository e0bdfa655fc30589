import type { ClusterClient } from '../kube/client.ts';
import { ApiError } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import { MANAGED_BY_LABEL } from '../naming/labels.ts';
import { hostName } from '../naming/names.ts';
import { ownedVirtualKey, recordedVirtualUid } from '../sync/mappers.ts';
import { tenantDebugContainerNames } from '../translators/pods/debug-containers.ts';
import type { OwnedPods } from './node-stats.ts';
import { RouteError } from './routes.ts';

/** The host pod a virtual pod runs as, proven to be its copy. */
export interface PodTarget {
  hostNamespace: string;
  hostPod: string;
  /**
   * The containers the virtual pod declares (init, regular and ephemeral) that the host pod holds as
   * the same sort of container. The host pod may hold more, injected by host webhooks (mesh sidecars
   * with host credentials) or by the syncer: those are not the tenant's to read or enter, even under
   * a name the tenant also declares as another sort (a debug container the host refused for its
   * name stays in the virtual pod's spec, naming the host's sidecar).
   */
  containers: ReadonlySet<string>;
  /** The UID of the host pod proven the copy: the session must reach that very pod (see isStillTarget). */
  hostUid: string;
}

/**
 * Pod lookups of admitted requests (each reads the virtual pod, then its host copy, fresh): at most
 * this many a second, in bursts of this many, and refused (429) beyond rather than queued behind the
 * clients' rate limits, where a flood would hold back everyone's logs and exec and grow without bound.
 * A person's `kubectl logs` or `exec` needs one; a tool tailing every pod of a namespace, a burst.
 */
export const POD_LOOKUP_BUDGET = { qps: 10, burst: 50 };

/** The virtual pod a kubelet request names, read from the API (not a cache); undefined when there is none. */
export function readVirtualPod(
  virtual: ClusterClient,
  namespace: string,
  pod: string,
): Promise<KubeObject | undefined> {
  return getOrUndefined(virtual, namespace, pod);
}

/**
 * The host pod behind a virtual pod (as readVirtualPod read it), read from the host API (not a
 * cache: a stale cache could hand out a pod that has just been replaced). The host pod must carry
 * this virtual cluster's managed-by label and name exactly this virtual pod (namespace, name and UID)
 * in its annotations: the host name alone proves nothing, since `-x-` may appear in any name. A pod
 * the virtual cluster does not have is forbidden, one whose copy is not (yet) on the host not found:
 * a caller learns nothing about host pods it may not reach.
 */
export async function resolvePodTarget(
  clients: { host: ClusterClient },
  where: { vcName: string; hostNamespace: string },
  virtualPod: KubeObject | undefined,
  request: { namespace: string; pod: string; uid?: string },
): Promise<PodTarget> {
  const { namespace, pod, uid } = request;
  // Forbidden, as vCluster answers: only this virtual cluster's pods are here, whatever the name.
  if (!virtualPod || (uid && virtualPod.metadata?.uid !== uid))
    throw new RouteError(403, `pod ${namespace}/${pod} is not a pod of this virtual cluster`);
  const name = hostName(pod, namespace, where.vcName);
  const hostPod = await getOrUndefined(clients.host, where.hostNamespace, name);
  const isCopy =
    hostPod !== undefined &&
    ownedVirtualKey(hostPod, where, Resources.pods) === `${namespace}/${pod}` &&
    recordedVirtualUid(hostPod) === virtualPod.metadata?.uid;
  // A 400, as the API server answers for a container still waiting: a 404 from a kubelet reaches
  // `kubectl logs` as a bare NotFound, without this text.
  if (!isCopy) throw new RouteError(400, `pod ${namespace}/${pod} is not running on the host yet`);
  return {
    hostNamespace: where.hostNamespace,
    hostPod: name,
    containers: tenantContainers(virtualPod, hostPod),
    hostUid: hostPod.metadata?.uid ?? '',
  };
}

/**
 * Whether the host pod of that name is still the one proven the copy, read after the host answered a
 * session or log request made by name. Between the proof and that request the copy could go (the
 * tenant deleting its pod) and another virtual cluster's pod take the name (host names are ambiguous),
 * and the session would then be in that pod. Read after the answer: a pod whose UID is unchanged then
 * was there all along, so the host served this very pod.
 */
export async function isStillTarget(clients: { host: ClusterClient }, target: PodTarget): Promise<boolean> {
  const current = await getOrUndefined(clients.host, target.hostNamespace, target.hostPod);
  return target.hostUid !== '' && current?.metadata?.uid === target.hostUid;
}

/** The containers of a host pod that are the tenant's (see PodTarget.containers). */
export function tenantContainers(virtualPod: KubeObject, hostPod: KubeObject): Set<string> {
  const declared = virtualPod.spec as PodContainers | undefined;
  const held = hostPod.spec as PodContainers | undefined;
  const containers = new Set<string>();
  for (const sort of CONTAINER_SORTS) {
    // A debug container is the tenant's only when the syncer marked it (a host admin's may take its name).
    const onHost =
      sort === 'ephemeralContainers'
        ? tenantDebugContainerNames(hostPod)
        : new Set((held?.[sort] ?? []).map((c) => c.name));
    for (const c of declared?.[sort] ?? []) if (onHost.has(c.name)) containers.add(c.name);
  }
  return containers;
}

const CONTAINER_SORTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
type PodContainers = Partial<Record<(typeof CONTAINER_SORTS)[number], { name: string }[]>>;

async function getOrUndefined(
  client: ClusterClient,
  namespace: string,
  name: string,
): Promise<KubeObject | undefined> {
  try {
    return await client.get(Resources.pods, namespace, name);
  } catch (err) {
    if (err instanceof ApiError && err.statusCode === 404) return undefined;
    throw err;
  }
}

/**
 * This virtual cluster's host pods (managed-by, proved by their annotations), by `hostNamespace/hostName`,
 * listed from the host API: for when the host pod cache has not synced yet.
 */
export async function ownedHostPods(
  clients: { host: ClusterClient },
  where: { vcName: string; hostNamespace: string },
): Promise<OwnedPods> {
  const list = await clients.host.list(Resources.pods, where.hostNamespace, {
    labelSelector: `${MANAGED_BY_LABEL}=${where.vcName}`,
  });
  return ownedAmong(list.items, where);
}

/** A virtual pod by namespace and name (from a cache), to tell the tenant's containers apart. */
export type VirtualPodLookup = (namespace: string, name: string) => KubeObject | undefined;

/** Of these host pods, those the host placed on `node`. */
export function placedOn(hostPods: readonly KubeObject[], node: string): KubeObject[] {
  return hostPods.filter((pod) => (pod.spec as { nodeName?: unknown } | undefined)?.nodeName === node);
}

/** Of these host pods, those this virtual cluster's syncer made (see ownedHostPods). */
export function ownedAmong(
  hostPods: readonly KubeObject[],
  where: { vcName: string; hostNamespace: string },
  virtualPod?: VirtualPodLookup,
): OwnedPods {
  const out = new Map<string, OwnedPods extends ReadonlyMap<string, infer V> ? V : never>();
  for (const pod of hostPods) {
    if (pod.metadata?.namespace !== where.hostNamespace) continue;
    const key = ownedVirtualKey(pod, where, Resources.pods);
    const uid = recordedVirtualUid(pod);
    if (!key || !uid) continue;
    const [namespace, name] = key.split('/') as [string, string];
    // With a lookup, the tenant's containers; a pod the lookup lacks (not seen yet) shows none of them.
    const virtual = virtualPod?.(namespace, name);
    const containers = virtualPod
      ? virtual?.metadata?.uid === uid
        ? tenantContainers(virtual, pod)
        : new Set<string>()
      : undefined;
    out.set(`${where.hostNamespace}/${pod.metadata?.name}`, {
      namespace,
      name,
      uid,
      hostUid: pod.metadata?.uid,
      ...(containers ? { containers } : {}),
    });
  }
  return out;
}
