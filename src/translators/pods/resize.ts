import { LRUCache } from 'lru-cache';
import { isApiError } from '../../kube/errors.ts';
import type { Container, Pod } from '../../kube/types.ts';
import { cloneJson } from '../../util/json.ts';

/**
 * In-place pod resize (`pods/resize`, GA in Kubernetes 1.35). A tenant resizes the virtual pod; the
 * host pod, the one a kubelet runs, must get the same container resources, through the host's own
 * resize subresource (a plain update may not change them).
 *
 * Only what the tenant's pod sets is carried: requests and limits of cpu and memory (the only
 * resources Kubernetes resizes), per container by name. A value the host pod has and the virtual
 * pod lacks (a host LimitRange's default) is left alone: the resize API cannot remove one anyway.
 */

/** The resources a resize may change. */
const RESIZABLE = ['cpu', 'memory'] as const;
const FIELDS = ['requests', 'limits'] as const;

/** One resource value the host pod must take from the virtual pod. */
export interface ResizeChange {
  container: string;
  field: (typeof FIELDS)[number];
  resource: string;
  /** The host pod's value now, or undefined when it sets none. */
  have?: string;
  want: string;
}

/**
 * What of the virtual pod's container resources the host pod does not have. Containers and init
 * containers (sidecars resize; the host refuses the rest as the virtual API server would have); the
 * host's own injected containers have no virtual counterpart and are never compared.
 *
 * Quantities are compared as both API servers store them (canonical form), so `0.5` and `500m`
 * cannot both appear.
 */
export function resizeChanges(virtual: Pod, host: Pod): ResizeChange[] {
  const out: ResizeChange[] = [];
  const compare = (hostList: Container[] | undefined, virtualList: Container[] | undefined) => {
    for (const h of hostList ?? []) {
      const v = virtualList?.find((c) => c.name === h.name);
      if (!v) continue;
      for (const field of FIELDS) {
        for (const resource of RESIZABLE) {
          const want = v.resources?.[field]?.[resource];
          const have = h.resources?.[field]?.[resource];
          if (want !== undefined && want !== have)
            out.push({ container: h.name, field, resource, have, want: String(want) });
        }
      }
    }
  };
  compare(host.spec?.containers, virtual.spec?.containers);
  compare(host.spec?.initContainers, virtual.spec?.initContainers);
  return out;
}

/** The host pod with changes applied: the body of a PUT to its `resize` subresource. */
export function resizedHostPod(host: Pod, changes: readonly ResizeChange[]): Pod {
  const pod = cloneJson(host);
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  for (const change of changes) {
    const container = containers.find((c) => c.name === change.container);
    if (!container) continue;
    const resources = (container.resources ??= {});
    (resources[change.field] ??= {})[change.resource] = change.want;
  }
  return pod;
}

/** A short, stable text of a set of changes: what a refusal is remembered by, and what check says. */
export function describeResize(changes: readonly ResizeChange[]): string {
  return changes
    .map((c) => `${c.container} ${c.field}.${c.resource} ${c.have ?? 'unset'} -> ${c.want}`)
    .join(', ');
}

/** A resize the host refused: shown on the virtual pod, and not tried again before retryAt. */
export interface RefusedResize {
  uid: string;
  /** describeResize of the refused changes: a different request is tried at once. */
  what: string;
  message: string;
  /** When this request was first refused (RFC 3339): the condition's transition time. */
  since: string;
  retryAt: number;
}

/** How long a refused resize waits before it is tried again (a quota may have room by then). */
export const RESIZE_RETRY_MS = 60_000;

/** What resizeOnHost did. */
export interface ResizeOutcome {
  /** The host pod as it is now (the resize's answer when one was made). */
  hostPod: Pod;
  wrote: boolean;
  refused?: RefusedResize;
}

/**
 * Makes the host pod's container resources follow the virtual pod's through the host's resize
 * subresource, and remembers what the host refused, per pod, so that a refusal is told to the tenant
 * once and tried again only after RESIZE_RETRY_MS (or at once for a different request). A refusal
 * never holds up the rest of the pod's sync: status, images and tokens go on as before.
 */
export class HostResizer {
  // Count-bounded, as the pods kind's other per-pod memories.
  private readonly refused = new LRUCache<string, RefusedResize>({
    maxSize: 10_000,
    sizeCalculation: () => 1,
  });

  private readonly now: () => number;
  /** Makes a host message fit for the tenant (host names out). */
  private readonly scrub: (message: string) => string;

  constructor(now: () => number, scrub: (message: string) => string) {
    this.now = now;
    this.scrub = scrub;
  }

  /**
   * io.resize PUTs a host pod to its resize subresource; io.tell records a refusal on the virtual pod.
   */
  async reconcile(
    key: string,
    virtual: Pod,
    host: Pod,
    io: { resize: (pod: Pod) => Promise<Pod>; tell: (what: string, message: string) => Promise<void> },
  ): Promise<ResizeOutcome> {
    const changes = resizeChanges(virtual, host);
    if (!changes.length) {
      this.refused.delete(key);
      return { hostPod: host, wrote: false };
    }
    const uid = virtual.metadata?.uid ?? '';
    const what = describeResize(changes);
    const earlier = this.refused.get(key);
    const again = earlier?.uid === uid && earlier.what === what ? earlier : undefined;
    if (again && this.now() < again.retryAt) return { hostPod: host, wrote: false, refused: again };
    try {
      const resized = await io.resize(resizedHostPod(host, changes));
      this.refused.delete(key);
      return { hostPod: resized, wrote: true };
    } catch (err) {
      const refusal = resizeRefusal(err);
      if (refusal === undefined) throw err;
      const message = this.scrub(refusal);
      const refused: RefusedResize = {
        uid,
        what,
        message,
        since: again?.since ?? new Date(this.now()).toISOString(),
        retryAt: this.now() + RESIZE_RETRY_MS,
      };
      this.refused.set(key, refused);
      if (!again) await io.tell(what, message);
      return { hostPod: host, wrote: false, refused };
    }
  }
}

/**
 * Why the host will not take a resize, for an answer that says so: the request is invalid there
 * (422: a host LimitRange, a feature gate), forbidden (403: a ResourceQuota, or RBAC without
 * `pods/resize`), or the host API server does not serve the subresource (404/405: before 1.33).
 * Anything else (a conflict, an outage, the pod gone) is thrown again for the usual retry.
 */
function resizeRefusal(err: unknown): string | undefined {
  if (!isApiError(err)) return undefined;
  if (err.kind === 'invalid' || err.kind === 'forbidden') return err.serverMessage;
  const unserved =
    (err.kind === 'notFound' && /could not find the requested resource/.test(err.serverMessage)) ||
    err.statusCode === 405;
  return unserved ? 'the host API server does not serve in-place resize (pods/resize)' : undefined;
}
