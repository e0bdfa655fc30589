import type { KubeObject } from '../../kube/object.ts';
import type { ContainerStatus, EphemeralContainer, Pod } from '../../kube/types.ts';

/*
 * A host pod's ephemeral containers are not all the tenant's: a host admin may debug the pod in place
 * (`kubectl debug` on the host pod), under any name, the name of a debug container the tenant declares
 * later included. Such a container runs with what the admin chose (often privileged), so the tenant
 * must never exec into it, attach to it, read its logs or see its status. The syncer marks the debug
 * containers it adds with an environment variable, written with the container itself (the
 * ephemeralcontainers subresource changes nothing else of a pod): only a marked container is the
 * tenant's.
 */

/** The environment variable that marks a debug container as the copy of the tenant's. */
export const TENANT_DEBUG_CONTAINER_ENV = 'VSYNCER_TENANT_DEBUG_CONTAINER';

/** The tenant's debug container as the syncer adds it to the host pod: marked. */
export function markedDebugContainer(container: EphemeralContainer): EphemeralContainer {
  const env = (container.env ?? []).filter((e) => e.name !== TENANT_DEBUG_CONTAINER_ENV);
  return { ...container, env: [...env, { name: TENANT_DEBUG_CONTAINER_ENV, value: 'true' }] };
}

/** The names of a host pod's debug containers that are copies of the tenant's (see markedDebugContainer). */
export function tenantDebugContainerNames(hostPod: KubeObject | Pod): Set<string> {
  const spec = hostPod.spec as { ephemeralContainers?: EphemeralContainer[] } | undefined;
  return new Set(
    (spec?.ephemeralContainers ?? [])
      .filter((c) => c.env?.some((e) => e.name === TENANT_DEBUG_CONTAINER_ENV && e.value === 'true'))
      .map((c) => c.name),
  );
}

/** The waiting reason of a debug container the syncer refused, as on the event that tells it. */
export const REFUSED_DEBUG_CONTAINER_REASON = 'SyncError';

/**
 * The statuses of the tenant's debug containers the syncer refused (name → why), where the host pod
 * has none of them: waiting, as the kubelet shows a container it cannot create. `kubectl debug`
 * waits for the container's status and prints a waiting message; without one it waited in silence.
 * Without `refused` (`vsyncer check`, which does not judge), those the virtual status shows already
 * are kept as they are.
 */
export function refusedDebugContainerStatuses(
  virtual: Pod,
  shownFromHost: ReadonlySet<string>,
  refused: ReadonlyMap<string, string> | undefined,
): ContainerStatus[] {
  const out: ContainerStatus[] = [];
  for (const container of virtual.spec?.ephemeralContainers ?? []) {
    if (shownFromHost.has(container.name)) continue;
    if (refused) {
      const message = refused.get(container.name);
      if (message === undefined) continue;
      out.push({
        name: container.name,
        image: container.image ?? '',
        imageID: '',
        ready: false,
        restartCount: 0,
        state: { waiting: { reason: REFUSED_DEBUG_CONTAINER_REASON, message } },
      });
    } else {
      const shown = virtual.status?.ephemeralContainerStatuses?.find((s) => s.name === container.name);
      if (shown?.state?.waiting?.reason === REFUSED_DEBUG_CONTAINER_REASON) out.push(shown);
    }
  }
  return out;
}
