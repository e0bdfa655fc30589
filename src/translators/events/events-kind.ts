import { WaitingError } from '../../controller/errors.ts';
import type { Informer } from '../../informer/informer.ts';
import { isApiError, isNamespaceTerminating, isNotFound } from '../../kube/errors.ts';
import { getIfExists } from '../../kube/get-if-exists.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { FORCE_SYNC_ANNOTATION, MANAGED_BY_LABEL } from '../../naming/labels.ts';
import type { KindSpec, Mapper, Placement, SyncResult } from '../../sync/kind.ts';
import { tenantDebugContainerNames } from '../pods/debug-containers.ts';
import { sameJson } from '../shared/host-metadata.ts';
import { malformedEvent } from '../shared/shape.ts';
import {
  eventUpdate,
  forcedVirtualEvent,
  FORCED_EVENT_NAMESPACE,
  isForcedCopy,
  virtualEventFor,
  virtualEventName,
} from './translate.ts';

/** How the events kind finds the virtual object behind a host object of one synced kind. */
interface EventSource {
  host: Informer<KubeObject>;
  virtual: Informer<KubeObject>;
  mapper: Mapper;
  apiVersion: string;
}

interface InvolvedObject {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  fieldPath?: string;
}

type Resolution =
  | { state: 'resolved'; virtual: KubeObject; hostName: string; apiVersion: string }
  | { state: 'waiting' }
  | { state: 'not-ours' };

/**
 * vCluster's force-sync: the host's admin marked an event of the host namespace for the tenant. Never
 * an object some virtual cluster synced (its annotations could be a tenant's).
 */
const isForced = (hostEvent: KubeObject): boolean =>
  hostEvent.metadata?.annotations?.[FORCE_SYNC_ANNOTATION] === 'true' &&
  hostEvent.metadata?.labels?.[MANAGED_BY_LABEL] === undefined;

const CONTAINER_FIELD_PATH = /^spec\.(containers|initContainers|ephemeralContainers)\{(.*)\}$/;

/**
 * Whether a host event about a pod concerns a container the tenant did not declare: one the host
 * injected (a mesh or secrets sidecar, a host admin's debug container) or the syncer's own hosts
 * rewriter. Its events name that container's image and failures, which are the host's, as the pod's
 * status and the kubelet API leave such containers out.
 */
function aboutHiddenContainer(hostEvent: KubeObject, virtualPod: KubeObject, hostPod: KubeObject): boolean {
  const fieldPath = (hostEvent.involvedObject as InvolvedObject | undefined)?.fieldPath;
  const match = typeof fieldPath === 'string' ? CONTAINER_FIELD_PATH.exec(fieldPath) : null;
  if (!match) return false;
  const [, sort, name] = match as unknown as [
    string,
    'containers' | 'initContainers' | 'ephemeralContainers',
    string,
  ];
  const declared = (
    (virtualPod.spec as Record<string, { name?: string }[] | undefined> | undefined)?.[sort] ?? []
  ).some((c) => c?.name === name);
  if (!declared) return true;
  // A debug container counts only if the syncer added it for the tenant (one of that name may be a host admin's).
  return sort === 'ephemeralContainers' && !tenantDebugContainerNames(hostPod).has(name);
}

/** The group of an apiVersion (`networking.k8s.io/v1` → `networking.k8s.io`; core `v1` → ''). */
const apiGroupOf = (apiVersion: string): string =>
  apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';

/**
 * Host events about a copy that speak of the copy's host side only, by involved kind: the host's
 * disruption controller finds the bare host pods a budget's copy selects "unmanaged" (they have no
 * controller there) and says so with the copy's host selector, while the virtual cluster's budget,
 * whose pods have their controllers, is computed and reported there by its own controller.
 */
const HOST_SIDE_REASONS: Readonly<Record<string, ReadonlySet<string>>> = {
  PodDisruptionBudget: new Set(['UnmanagedPods', 'CalculateExpectedPodCountFailed', 'NoControllers']),
};

/** Retries for an event whose involved object is not cached yet, before it counts as not ours. */
const MAX_WAIT_RETRIES = 8;

/**
 * Copies host events about synced objects into the virtual cluster. Host events carry no
 * managed-by label, so every event of the host namespace is watched; only those whose involved
 * object is provably one of ours (its copy, same UID as the event names, whose virtual object has
 * the UID the copy records) are copied, and nothing else costs an API call. An event the host's
 * admin marked `vcluster.loft.sh/force-sync: "true"` is shown as it is, in the virtual `default`
 * namespace, when it concerns none of ours (vCluster's way to tell a tenant something).
 */
export function eventsKind(where: Placement): KindSpec {
  const sources = new Map<string, EventSource>();
  /** When this syncer started: host events last seen before it may have been copied already. */
  let startedAt = 0;
  // The name filter only decides whether waiting for the cache is worth it; ownership decides the rest.
  const mayBeOurs = (name: string) => name.endsWith(`-x-${where.vcName}`) || /-[0-9a-f]{10}$/.test(name);

  function resolve(hostEvent: KubeObject): Resolution {
    const involved = (hostEvent.involvedObject ?? {}) as InvolvedObject;
    const source = sources.get(involved.kind ?? '');
    if (!source || !involved.name) return { state: 'not-ours' };
    // A kind of that name in another API group (a host CRD's `Pod`, `Service`) is another object.
    if (involved.apiVersion && apiGroupOf(involved.apiVersion) !== apiGroupOf(source.apiVersion))
      return { state: 'not-ours' };
    const hostObject = source.host.store.get(`${where.hostNamespace}/${involved.name}`);
    if (!hostObject) return mayBeOurs(involved.name) ? { state: 'waiting' } : { state: 'not-ours' };
    // An event about an earlier incarnation of the host object says nothing about this one.
    if (involved.uid && hostObject.metadata?.uid !== involved.uid) return { state: 'not-ours' };
    const virtualKey = source.mapper.sourceKeyOf(hostObject);
    if (!virtualKey) return { state: 'not-ours' };
    const virtual = source.virtual.store.get(virtualKey);
    if (!virtual?.metadata?.uid) return { state: 'waiting' };
    if (source.mapper.sourceUidOf && source.mapper.sourceUidOf(hostObject) !== virtual.metadata.uid)
      return { state: 'waiting' };
    if (involved.kind === 'Pod' && aboutHiddenContainer(hostEvent, virtual, hostObject))
      return { state: 'not-ours' };
    if (HOST_SIDE_REASONS[involved.kind ?? '']?.has(String(hostEvent.reason))) return { state: 'not-ours' };
    return { state: 'resolved', virtual, hostName: involved.name, apiVersion: source.apiVersion };
  }

  function desiredEvent(hostEvent: KubeObject, r: Extract<Resolution, { state: 'resolved' }>): KubeObject {
    const meta = r.virtual.metadata!;
    return virtualEventFor(
      hostEvent,
      {
        apiVersion: r.apiVersion,
        kind: String((hostEvent.involvedObject as InvolvedObject).kind),
        namespace: meta.namespace ?? '',
        name: meta.name ?? '',
        uid: meta.uid ?? '',
        hostName: r.hostName,
      },
      where,
    );
  }

  return {
    direction: 'from-host',
    virtualType: Resources.events,
    hostType: Resources.events,
    hostWatch: 'all',
    watchVirtual: false,
    mapper: {
      targetKey(_key, hostEvent) {
        // A malformed event maps to no virtual event (create skips it): resolving it would read
        // fields it does not have as if it had them.
        if (!hostEvent || malformedEvent(hostEvent)) return undefined;
        const r = resolve(hostEvent);
        if (r.state === 'not-ours' && isForced(hostEvent))
          return `${FORCED_EVENT_NAMESPACE}/${hostEvent.metadata?.name ?? ''}`;
        if (r.state !== 'resolved') return undefined;
        // Only the name: the event itself (with its scrubbed message) is built once, by create.
        const meta = r.virtual.metadata!;
        return `${meta.namespace ?? ''}/${virtualEventName(hostEvent, meta.name ?? '')}`;
      },
      // Virtual events are written, never read back: nothing is ever deleted or adopted.
      sourceKeyOf: () => undefined,
    },

    setup(env, kinds) {
      startedAt = env.clock.now();
      for (const peer of kinds.values()) {
        if (!peer.eventKind) continue;
        const { spec } = peer;
        sources.set(peer.eventKind, {
          host: env.informers.get(env.host, spec.hostType, {
            namespace: spec.hostType.namespaced ? env.hostNamespace : '',
            labelSelector: `${MANAGED_BY_LABEL}=${env.vcName}`,
          }),
          virtual: env.informers.get(env.virtual, spec.virtualType),
          mapper: spec.mapper,
          apiVersion: spec.virtualType.group
            ? `${spec.virtualType.group}/${spec.virtualType.version}`
            : spec.virtualType.version,
        });
      }
    },

    wanted: (_ctx, hostEvent) =>
      hostEvent !== undefined &&
      (isForced(hostEvent) || sources.has(String((hostEvent.involvedObject as InvolvedObject)?.kind))),

    async create(ctx, hostEvent): Promise<SyncResult> {
      const problem = malformedEvent(hostEvent);
      if (problem) {
        // Not the tenant's object and nothing to tell them: a host event of the wrong shape is skipped.
        ctx.log.debug('malformed host event, not copied', { problem });
        return {};
      }
      const r = resolve(hostEvent!);
      if (r.state === 'waiting' && ctx.retries < MAX_WAIT_RETRIES)
        // The event often arrives before the object it is about reaches our caches: retry a while.
        throw new WaitingError('the object this event is about is not cached yet');
      const forced = r.state !== 'resolved' && isForced(hostEvent!);
      if (r.state !== 'resolved' && !forced) return {};
      const desired = r.state === 'resolved' ? desiredEvent(hostEvent!, r) : forcedVirtualEvent(hostEvent!);
      // A forced event updates only its own earlier copy, never a tenant's event of that name.
      const mayUpdate = (copy: KubeObject) => !forced || isForcedCopy(copy, hostEvent!.metadata?.name ?? '');
      const namespace = desired.metadata!.namespace!;
      if (lastSeen(hostEvent!) < startedAt) {
        // From before this start: most likely copied by an earlier run. Look before writing, so a
        // restart with nothing new writes nothing.
        const copy = await getIfExists(ctx.virtual, Resources.events, namespace, desired.metadata!.name!);
        if (copy) {
          const update = eventUpdate(desired);
          if (!mayUpdate(copy) || sameJson(update, eventUpdate(copy))) return {};
          await ctx.virtual.patch(Resources.events, namespace, desired.metadata!.name!, update, 'merge');
          return { virtualWritten: true };
        }
      }
      try {
        await ctx.virtual.create(Resources.events, namespace, desired);
      } catch (err) {
        // Its namespace is going, and every event in it with it.
        if (isNamespaceTerminating(err)) return {};
        if (!isApiError(err, 'alreadyExists')) throw err;
        if (forced) {
          const copy = await ctx.virtual.get(Resources.events, namespace, desired.metadata!.name!);
          if (!mayUpdate(copy)) {
            ctx.log.info('a forced host event is not shown: a virtual event of its name is not its copy', {
              event: `${namespace}/${desired.metadata!.name}`,
            });
            return {};
          }
        }
        try {
          await ctx.virtual.patch(
            Resources.events,
            namespace,
            desired.metadata!.name!,
            eventUpdate(desired),
            'merge',
          );
        } catch (patchErr) {
          if (!isNotFound(patchErr)) throw patchErr;
        }
      }
      return { virtualWritten: true };
    },

    update: async () => ({}),
    // Copied events expire in the virtual cluster on their own, like any event.
    remove: async () => ({}),
  };
}

/** When a host event last happened, by its own (whole-second) timestamps. */
function lastSeen(event: KubeObject): number {
  const e = event as {
    lastTimestamp?: string;
    eventTime?: string;
    metadata?: { creationTimestamp?: string };
  };
  const at = Date.parse(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? '');
  return Number.isFinite(at) ? at : 0;
}
