import { TerminalError } from '../../controller/errors.ts';
import { isApiError } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import type {
  KindSpec,
  KubeletEndpoint,
  Placement,
  ReconcileContext,
  Relation,
  SyncEnvironment,
  SyncResult,
} from '../../sync/kind.ts';
import { managedCopiesScope } from '../../sync/mappers.ts';
import { MANAGED_BY_LABEL } from '../../naming/labels.ts';
import { DAEMONSET_POD_ANNOTATION } from '../../naming/annotations.ts';
import { malformedNode } from '../shared/shape.ts';
import { allocatableLeft, holdsNodeResources, resourceFootprint } from './allocatable.ts';
import { parseToleration } from '../shared/tolerations.ts';
import { withTenantNodeSpec } from './tenant-node-spec.ts';
import { atMostEvery } from '../../util/at-most-every.ts';
import {
  fakeNode,
  isManagedNode,
  nodeMetadataFor,
  nodeSpecInSync,
  nodeSpecWith,
  nodeStatusInSync,
  realNodeCopy,
  standIn,
  withCurrentConditionTimes,
  withCurrentKubeletAddress,
  withKubeletEndpoint,
} from './translate.ts';

export interface NodeOptions {
  syncRealNodes: boolean;
  nodeSelector: string;
  /** --enforce-toleration (the pods kind's): taints it tolerates are not shown on real nodes. */
  enforceTolerations?: readonly string[];
  /** --virtual-scheduler (the pods kind's): every node it may place pods on is shown. */
  virtualScheduler?: boolean;
}

/**
 * Whether a pod bound to a node keeps that node shown. A DaemonSet's pod does not, as in vCluster:
 * the virtual DaemonSet controller makes one for every node it sees, so such pods alone would keep
 * every node that ever ran a pod of the tenant's for good; once the node goes, the controller
 * removes its pod there.
 */
function keepsNode(pod: KubeObject): boolean {
  return !pod.metadata?.ownerReferences?.some((owner) => owner.kind === 'DaemonSet' && owner.controller);
}

/** The same for a host copy, which says it is a DaemonSet's pod as the pods kind marks it for autoscalers. */
export function hostCopyKeepsNode(pod: KubeObject): boolean {
  return pod.metadata?.annotations?.[DAEMONSET_POD_ANNOTATION] !== 'true';
}

/**
 * Which host nodes are shown as real copies whether or not pods of this virtual cluster run there:
 * those --node-selector selects, with --sync-real-nodes; with the virtual scheduler, which needs to
 * see every node it may use, all of them when no selector limits them. Undefined: none.
 */
export function nodesShownRegardless(options: NodeOptions): ((node: KubeObject) => boolean) | undefined {
  if (!options.syncRealNodes) return undefined;
  const selector = options.nodeSelector || (options.virtualScheduler ? '*' : '');
  return selector ? labelSelectorMatcher(selector) : undefined;
}

/**
 * Shows the virtual cluster the nodes its pods are bound to: a minimal fake node per node in use
 * (default), or a copy of the real host node (--sync-real-nodes), removed when no pod uses it (the
 * virtual cluster's pod garbage collector deletes the pods of a node that is missing). Only nodes
 * carrying our managed label are ever updated or deleted. A real node is copied only once the host
 * placed one of this virtual cluster's pods on it (or --node-selector shows it): a tenant's pod
 * naming a node (`spec.nodeName`) proves nothing (it never runs where the host does not allow it),
 * so until then the node it names is a fake one, whether or not the host has a node of that name.
 * In real-node mode such a fake node, or one standing for a host node that went, draws no pods
 * (standIn).
 */
export function nodesKind(
  options: NodeOptions,
  where: Pick<Placement, 'vcName' | 'hostNamespace'>,
  kubeletEndpoint?: KubeletEndpoint,
): KindSpec {
  const vcName = where.vcName;
  const enforcedTolerations = (options.enforceTolerations ?? []).map(parseToleration);
  const selector = nodesShownRegardless(options);
  /** Real-node mode: a host node --node-selector shows whether or not pods run there. */
  const revealedBySelector = (hostNode: KubeObject | undefined) =>
    hostNode !== undefined && selector?.(hostNode) === true;
  /** Whether the tenant may see the real host node: one of its pods runs there, or the selector shows it. */
  const revealed = (ctx: ReconcileContext, hostNode: KubeObject | undefined) =>
    ctx.related('host-pods').some(hostCopyKeepsNode) || revealedBySelector(hostNode);
  /**
   * With the virtual scheduler, real nodes show what is left of their allocatable once the pods of
   * others (the host's own, other virtual clusters') running there are counted, as vCluster does: it
   * schedules on what the host still has room for, not on the node's whole size.
   */
  const countsOthersPods = options.virtualScheduler === true && options.syncRealNodes;
  let cachedVersion: string | undefined;
  const fight = new NodeWriteFight();

  /** The virtual API server's version, so fake nodes report the kubelet version tenants expect. */
  async function kubeletVersion(ctx: ReconcileContext): Promise<string> {
    cachedVersion ??= await ctx.virtual.serverVersion();
    return cachedVersion;
  }

  async function desiredNode(
    ctx: ReconcileContext,
    hostNode: KubeObject | undefined,
    current?: KubeObject,
  ): Promise<KubeObject> {
    if (hostNode && revealed(ctx, hostNode)) {
      // A host node of the wrong shape is shown to no tenant: refused with the field named.
      const problem = malformedNode(hostNode);
      if (problem) throw new TerminalError(`malformed host node: ${problem}`);
      let copy = realNodeCopy(hostNode, vcName, enforcedTolerations);
      if (countsOthersPods) copy = withAllocatableLeft(copy, ctx.related(OTHERS_PODS));
      return served(withKubeletEndpoint(copy, kubeletEndpoint, current));
    }
    const fake = fakeNode(
      ctx.key,
      await kubeletVersion(ctx),
      new Date(ctx.clock.now()).toISOString(),
      vcName,
    );
    // With real copies a fake node stands for no node the tenant may use: it must draw no pods.
    const node = options.syncRealNodes ? standIn(fake) : fake;
    return served(withKubeletEndpoint(node, kubeletEndpoint, current));
  }

  /**
   * The node, once the kubelet port it would advertise is listened on. A port another process holds
   * is never advertised: the reconcile fails, and its retry gives the node another port.
   */
  async function served(node: KubeObject): Promise<KubeObject> {
    const port = (node.status as { daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } } | undefined)
      ?.daemonEndpoints?.kubeletEndpoint?.Port;
    if (!kubeletEndpoint?.nodePorts || port === undefined) return node;
    try {
      await kubeletEndpoint.nodePorts.served(port);
    } catch (err) {
      throw new Error(
        `node ${node.metadata?.name}: kubelet port ${port} cannot be served (${(err as Error).message}); the next try takes another port`,
        { cause: err },
      );
    }
    return node;
  }

  async function syncStatus(
    ctx: ReconcileContext,
    desired: KubeObject,
    current: KubeObject,
  ): Promise<boolean> {
    if (nodeStatusInSync(desired, current)) return false;
    await ctx.virtual.update(
      Resources.nodes,
      '',
      { ...current, status: withCurrentConditionTimes(desired.status, current.status) },
      { subresource: 'status' },
    );
    return true;
  }

  return {
    direction: 'from-host',
    virtualType: Resources.nodes,
    hostType: Resources.nodes,
    hostWatch: options.syncRealNodes ? 'all' : 'none',
    // One worker: node objects are few, and their writes need no parallelism.
    workers: 1,
    // Same name on both sides; a virtual node is ours only by its marker (a tenant's own node is not).
    mapper: {
      targetKey: (key) => key,
      sourceKeyOf: (node) => (isManagedNode(node) ? (node.metadata?.name ?? undefined) : undefined),
    },
    relations: [
      hostPodsOnNodes(where),
      {
        name: 'pods',
        cluster: 'virtual',
        type: Resources.pods,
        keys: nodeKeysOf,
        membershipOnly: true,
        // A DaemonSet's pods orphaned (`--cascade=orphan`) start keeping their node.
        changed: (old, pod) => keepsNode(old) !== keepsNode(pod),
      },
      ...(countsOthersPods ? [othersPodsOnNodes(where)] : []),
    ],

    setup(env) {
      if (options.syncRealNodes) slimHostNodeCache(env);
      if (countsOthersPods)
        env.informers
          .get(env.host, Resources.pods, OTHERS_PODS_SCOPE)
          .addCacheTransform(resourceFootprintOnly);
      // A node deleted (by the syncer, the tenant or anyone) gives its kubelet port back.
      const ports = kubeletEndpoint?.nodePorts;
      if (ports)
        env.informers
          .get(env.virtual, Resources.nodes)
          .addHandlers({ onDelete: (node) => ports.release(node.metadata?.name ?? '') });
    },

    wanted: (ctx, hostNode) => ctx.related('pods').some(keepsNode) || revealed(ctx, hostNode),

    async create(ctx, hostNode): Promise<SyncResult> {
      const desired = withTenantNodeSpec(await desiredNode(ctx, hostNode));
      let created: KubeObject;
      try {
        created = await ctx.virtual.create(Resources.nodes, '', desired);
      } catch (err) {
        if (!isApiError(err, 'alreadyExists')) throw err;
        // The cache has not shown that node yet: look again once it may have (at once would spin,
        // one create refused after another, until it does).
        return { requeueAfterMs: 100 };
      }
      await syncStatus(ctx, desired, created);
      return { virtualWritten: true, createdTarget: true };
    },

    async update(ctx, hostNode, current): Promise<SyncResult> {
      const pause = fight.pauseMs(ctx.key, ctx.clock.monotonicNow());
      if (pause !== undefined) {
        fight.warn(ctx);
        return { requeueAfterMs: pause };
      }
      const desired = withTenantNodeSpec(
        kubeletEndpoint
          ? await desiredNode(ctx, hostNode, current)
          : withCurrentKubeletAddress(await desiredNode(ctx, hostNode), current, hostNode),
        current,
      );
      let latest = current;
      let wrote = false;
      const metadata = nodeMetadataFor(desired, current);
      if (metadata || !nodeSpecInSync(desired, current)) {
        latest = await ctx.virtual.update(Resources.nodes, '', {
          ...current,
          metadata: { ...current.metadata, ...(metadata ?? {}) },
          spec: nodeSpecWith(desired, current),
        });
        wrote = true;
      }
      if (await syncStatus(ctx, desired, latest)) wrote = true;
      if (wrote) fight.wrote(ctx.key, ctx.clock.monotonicNow());
      return wrote ? { virtualWritten: true } : {};
    },
  };
}

/**
 * A node written again and again, its changes undone each time by another writer: a second syncer
 * run against the same virtual cluster without --leader-elect (each advertises its own kubelet port),
 * or a controller of the tenant's that edits nodes. Neither would ever give way: past
 * NODE_WRITES_PER_WINDOW writes of one node in NODE_WRITE_WINDOW_MS, the node is written once per
 * window at most, and the operator told, rather than the virtual API server written to without end.
 */
const NODE_WRITE_WINDOW_MS = 10_000;
const NODE_WRITES_PER_WINDOW = 10;

class NodeWriteFight {
  /** Per node, when it was written within the window (older times dropped as they are read). */
  private readonly writes = new Map<string, number[]>();
  private readonly warning = atMostEvery(60_000);

  wrote(key: string, nowMs: number): void {
    this.writes.set(key, [...this.recent(key, nowMs), nowMs]);
  }

  /** How long to wait before writing this node again, or undefined to write now. */
  pauseMs(key: string, nowMs: number): number | undefined {
    const recent = this.recent(key, nowMs);
    if (recent.length) this.writes.set(key, recent);
    else this.writes.delete(key);
    if (recent.length < NODE_WRITES_PER_WINDOW) return undefined;
    return Math.max(1, recent[0]! + NODE_WRITE_WINDOW_MS - nowMs);
  }

  warn(ctx: ReconcileContext): void {
    if (this.warning(ctx.clock.monotonicNow()))
      ctx.log.warn(
        `virtual node ${ctx.key} was written ${NODE_WRITES_PER_WINDOW} times in ${NODE_WRITE_WINDOW_MS / 1000} s, each change undone by another writer: is a second syncer running against this virtual cluster without --leader-elect? Writing it once per ${NODE_WRITE_WINDOW_MS / 1000} s at most meanwhile`,
      );
  }

  private recent(key: string, nowMs: number): number[] {
    return (this.writes.get(key) ?? []).filter((at) => nowMs - at < NODE_WRITE_WINDOW_MS);
  }
}

/** The host nodes' informers given withoutUnshownStatus: each gets it once, whichever kinds read it. */
const slimmed = new WeakSet<object>();

/**
 * Gives the informer of every host node (the one the nodes kind watches with --sync-real-nodes, and
 * host-csinodes reads) the cache transform withoutUnshownStatus, so that it is the same for every
 * reader, whichever kind asks first or alone. Only for a kind that reads that informer anyway:
 * asking for it makes it, and it lists every node.
 */
export function slimHostNodeCache(env: Pick<SyncEnvironment, 'informers' | 'host'>): void {
  const informer = env.informers.get(env.host, Resources.nodes);
  if (slimmed.has(informer)) return;
  informer.addCacheTransform(withoutUnshownStatus);
  slimmed.add(informer);
}

/**
 * A host node as its cache keeps it: without the images pulled there and the volumes attached and
 * in use, which no copy shows (tenantVisibleStatus drops them) and nothing else reads from that
 * cache (the kubelet and metrics APIs ask the host). They are often most of a node's size (every
 * image pulled there, by each of its names and digests), and every host node is cached. The status
 * is rebuilt, not `delete`d from (see forCache).
 */
export function withoutUnshownStatus(node: KubeObject): KubeObject {
  const status = node.status as Record<string, unknown> | undefined;
  if (!status || !UNSHOWN_STATUS.some((field) => field in status)) return node;
  const { images: _images, volumesAttached: _attached, volumesInUse: _inUse, ...kept } = status;
  return { ...node, status: kept };
}
const UNSHOWN_STATUS = ['images', 'volumesAttached', 'volumesInUse'];

/** One term of --node-selector: a label that must be there, with this value when one is given. */
export interface NodeSelectorTerm {
  key: string;
  value?: string;
}

/** The terms of a --node-selector (`key=value` or `key`, comma separated); empty for `*` or ''. */
export function nodeSelectorTerms(selector: string): NodeSelectorTerm[] {
  if (selector.trim() === '*') return [];
  return selector
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => {
      const eq = t.indexOf('=');
      return eq < 0 ? { key: t } : { key: t.slice(0, eq), value: t.slice(eq + 1).replace(/^=/, '') };
    });
}

/** Matches `*` (everything) or comma-separated `key=value` / `key` terms against a node's labels. */
export function labelSelectorMatcher(selector: string): (node: KubeObject) => boolean {
  if (selector.trim() === '*') return () => true;
  const terms = nodeSelectorTerms(selector);
  return (node) =>
    terms.every(({ key, value }) => {
      const actual = node.metadata?.labels?.[key];
      return value === undefined ? actual !== undefined : actual === value;
    });
}

/**
 * This virtual cluster's host pods, by the node the host placed each on: what makes a node's real
 * details the tenant's to see (`ctx.related('host-pods')`).
 */
export function hostPodsOnNodes(where: Pick<Placement, 'vcName' | 'hostNamespace'>): Relation {
  return {
    name: 'host-pods',
    cluster: 'host',
    type: Resources.pods,
    scope: managedCopiesScope(where),
    keys: nodeKeysOf,
    membershipOnly: true,
    changed: (old, pod) => hostCopyKeepsNode(old) !== hostCopyKeepsNode(pod),
  };
}

/** The relation of the pods of others (not this virtual cluster's) on each node. */
const OTHERS_PODS = 'others-pods';
/**
 * Every host pod holding a node's resources: bound, not finished (one that finishes leaves the
 * cache, as if deleted). A scope of its own, so its informer and its cache transform are no one
 * else's.
 */
const OTHERS_PODS_SCOPE = { fieldSelector: 'spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed' };

/**
 * What the cache keeps of another's pod: only what podRequests and the relation read. Every host
 * pod of the cluster is cached, so each kept byte counts many times.
 */
function resourceFootprintOnly(pod: KubeObject): KubeObject {
  type Container = { restartPolicy?: unknown; resources?: { requests?: unknown } };
  const spec = (pod.spec ?? {}) as {
    nodeName?: unknown;
    containers?: Container[];
    initContainers?: Container[];
    overhead?: unknown;
    resources?: { requests?: unknown };
  };
  const container = (c: Container) => ({
    ...(c?.restartPolicy !== undefined ? { restartPolicy: c.restartPolicy } : {}),
    resources: { requests: c?.resources?.requests },
  });
  const list = (l: unknown) => (Array.isArray(l) ? (l as Container[]).map(container) : undefined);
  const managedBy = pod.metadata?.labels?.[MANAGED_BY_LABEL];
  return {
    apiVersion: pod.apiVersion,
    kind: pod.kind,
    metadata: {
      name: pod.metadata?.name,
      namespace: pod.metadata?.namespace,
      uid: pod.metadata?.uid,
      resourceVersion: pod.metadata?.resourceVersion,
      ...(managedBy !== undefined ? { labels: { [MANAGED_BY_LABEL]: managedBy } } : {}),
    },
    spec: {
      nodeName: spec.nodeName,
      containers: list(spec.containers),
      initContainers: list(spec.initContainers),
      overhead: spec.overhead,
      resources: spec.resources?.requests !== undefined ? { requests: spec.resources.requests } : undefined,
    },
    status: { phase: (pod.status as { phase?: unknown } | undefined)?.phase },
  };
}

/**
 * Every host pod that is not this virtual cluster's (every namespace), by the node it holds
 * resources on: what the virtual scheduler's nodes are reduced by. This cluster's own are the copies
 * in its host namespace labelled with its name (a cluster of the same name in another namespace is
 * another's). An update matters only when what the pod holds changes (bound, finished, resized).
 */
function othersPodsOnNodes(where: Pick<Placement, 'vcName' | 'hostNamespace'>): Relation {
  const ours = (pod: KubeObject) =>
    pod.metadata?.namespace === where.hostNamespace &&
    pod.metadata?.labels?.[MANAGED_BY_LABEL] === where.vcName;
  return {
    name: OTHERS_PODS,
    cluster: 'host',
    type: Resources.pods,
    scope: OTHERS_PODS_SCOPE,
    keys: (pod) => (holdsNodeResources(pod) && !ours(pod) ? nodeKeysOf(pod) : []),
    changed: (old, current) => resourceFootprint(old) !== resourceFootprint(current),
  };
}

/** A real node's copy with its allocatable reduced by the requests of others' pods there. */
function withAllocatableLeft(node: KubeObject, othersPods: readonly KubeObject[]): KubeObject {
  const status = node.status as { allocatable?: Record<string, string> } | undefined;
  if (!status?.allocatable) return node;
  return { ...node, status: { ...status, allocatable: allocatableLeft(status.allocatable, othersPods) } };
}

/** The node a pod is bound to, as a relation's keys. */
export function nodeKeysOf(pod: KubeObject): string[] {
  const nodeName = (pod.spec as { nodeName?: unknown } | undefined)?.nodeName;
  return typeof nodeName === 'string' && nodeName ? [nodeName] : [];
}
