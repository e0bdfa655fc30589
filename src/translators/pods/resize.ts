import { LRUCache } from 'lru-cache';
import { isApiError } from '../../kube/errors.ts';
import type { Container, Pod } from '../../kube/types.ts';
import { CONTAINER_RESOURCES_ANNOTATION } from '../../naming/labels.ts';
import { cloneJson } from '../../util/json.ts';

/**
 * In-place pod resize (`pods/resize`, GA in Kubernetes 1.35). A tenant resizes the virtual pod; the
 * host pod, the one a kubelet runs, must get the same container resources, through the host's own
 * resize subresource (a plain update may not change them).
 *
 * Only what the tenant changed is carried, three-way: the host pod records (annotation
 * CONTAINER_RESOURCES_ANNOTATION) the virtual pod's cpu and memory requests and limits it was made
 * or last resized from, and a value the tenant has changed since is the only one sent. What the host
 * does to a pod's resources on its own (a policy capping them at admission, a host VPA resizing in
 * place, a LimitRange's default) is left alone: the tenant's original values never override it. A
 * host pod without the record (made by an older syncer) is not resized.
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

/** Each container's resizable values (cpu and memory requests and limits) that a pod sets, by name. */
type ResourceRecord = Record<string, Partial<Record<(typeof FIELDS)[number], Record<string, string>>>>;

function recordOf(pod: Pod): ResourceRecord {
  const out: ResourceRecord = {};
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const field of FIELDS)
      for (const resource of RESIZABLE) {
        const value = c.resources?.[field]?.[resource];
        if (value !== undefined) ((out[c.name] ??= {})[field] ??= {})[resource] = String(value);
      }
  }
  return out;
}

/** The record of a virtual pod's resizable resources its host pod carries (stable key order). */
export function resourceRecordOf(virtual: Pod): string {
  return JSON.stringify(recordOf(virtual));
}

/** The record a host pod carries, or undefined (none, or not readable: an older syncer's pod). */
function recordedOn(host: Pod): ResourceRecord | undefined {
  const text = host.metadata?.annotations?.[CONTAINER_RESOURCES_ANNOTATION];
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as ResourceRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What the tenant changed of its pod's container resources since the host pod's record, and the host
 * pod does not have yet. Containers and init containers (sidecars resize; the host refuses the rest
 * as the virtual API server would have); the host's own injected containers have no virtual
 * counterpart and are never compared. Nothing for a pod that has finished.
 *
 * Quantities are compared as both API servers store them (canonical form), so `0.5` and `500m`
 * cannot both appear.
 */
export function resizeChanges(virtual: Pod, host: Pod): ResizeChange[] {
  const recorded = recordedOn(host);
  const phase = host.status?.phase;
  if (!recorded || phase === 'Succeeded' || phase === 'Failed') return [];
  const out: ResizeChange[] = [];
  const compare = (hostList: Container[] | undefined, virtualList: Container[] | undefined) => {
    for (const h of hostList ?? []) {
      const v = virtualList?.find((c) => c.name === h.name);
      if (!v) continue;
      for (const field of FIELDS) {
        for (const resource of RESIZABLE) {
          const raw = v.resources?.[field]?.[resource];
          const want = raw === undefined ? undefined : String(raw);
          const have = h.resources?.[field]?.[resource];
          if (want !== undefined && want !== recorded[h.name]?.[field]?.[resource] && want !== have)
            out.push({ container: h.name, field, resource, have, want });
        }
      }
    }
  };
  compare(host.spec?.containers, virtual.spec?.containers);
  compare(host.spec?.initContainers, virtual.spec?.initContainers);
  return out;
}

/**
 * The record the host pod is to carry after this reconcile: the virtual pod's when the host has
 * taken (or had no need of) every change, else the one it has (a refused or failed resize is tried
 * again from the same record); none for a pod that has none.
 */
export function recordAfter(virtual: Pod, host: Pod, outcome: ResizeOutcome): string | undefined {
  const current = host.metadata?.annotations?.[CONTAINER_RESOURCES_ANNOTATION];
  if (current === undefined || outcome.pending) return current;
  return resourceRecordOf(virtual);
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

/** What HostResizer.reconcile did. */
export interface ResizeOutcome {
  /** The host pod as it is now (the resize's answer when one was made). */
  hostPod: Pod;
  wrote: boolean;
  /** Changes remain that the host did not take (refused, or a failure to try again soon). */
  pending?: boolean;
  refused?: RefusedResize;
  /** Try again in this many ms (a refusal's retry, or a failure's). */
  retryInMs?: number;
  /** The error of a failed attempt (not a refusal), for the log. */
  failure?: unknown;
}

/** How soon a resize that failed (an outage, a conflict, a timeout) is tried again. */
const RESIZE_FAILURE_RETRY_MS = 2_000;

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

  /** Failed attempts (not refusals) in a row, per pod: how long the next one waits. */
  private readonly failures = new LRUCache<string, number>({ maxSize: 10_000, sizeCalculation: () => 1 });
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
      this.failures.delete(key);
      return { hostPod: host, wrote: false };
    }
    const uid = virtual.metadata?.uid ?? '';
    const what = describeResize(changes);
    const earlier = this.refused.get(key);
    const again = earlier?.uid === uid && earlier.what === what ? earlier : undefined;
    if (again && this.now() < again.retryAt)
      return {
        hostPod: host,
        wrote: false,
        pending: true,
        refused: again,
        retryInMs: again.retryAt - this.now(),
      };
    try {
      const resized = await io.resize(resizedHostPod(host, changes));
      this.refused.delete(key);
      this.failures.delete(key);
      return { hostPod: resized, wrote: true };
    } catch (err) {
      const refusal = resizeRefusal(err);
      // Anything else (an outage, a webhook down, a conflict) holds up nothing else either: the rest
      // of the pod's sync goes on, and the resize is tried again soon.
      if (refusal === undefined) {
        const attempts = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, attempts);
        // Backs off as failures repeat (an outage may last), up to a refusal's minute.
        const retryInMs = Math.min(RESIZE_FAILURE_RETRY_MS * 2 ** (attempts - 1), RESIZE_RETRY_MS);
        return { hostPod: host, wrote: false, pending: true, retryInMs, failure: err };
      }
      this.failures.delete(key);
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
      return { hostPod: host, wrote: false, pending: true, refused, retryInMs: RESIZE_RETRY_MS };
    }
  }
}

/**
 * Why the host will not take a resize, for an answer that says so: the request is invalid there
 * (422: a host LimitRange, a feature gate), forbidden (403: a ResourceQuota, or RBAC without
 * `pods/resize`), or the host API server does not serve the subresource (404/405: before 1.33).
 * Anything else (a conflict, an outage, the pod gone) is a failure to try again soon.
 */
function resizeRefusal(err: unknown): string | undefined {
  if (!isApiError(err)) return undefined;
  if (err.kind === 'invalid' || err.kind === 'forbidden') return err.serverMessage;
  const unserved =
    (err.kind === 'notFound' && /could not find the requested resource/.test(err.serverMessage)) ||
    err.statusCode === 405;
  return unserved ? 'the host API server does not serve in-place resize (pods/resize)' : undefined;
}
