import { Controller } from '../../controller/controller.ts';
import type { Informer } from '../../informer/informer.ts';
import { isApiError, isNotFound } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import type { SyncComponent } from '../../sync/registry.ts';
import type { ComponentDeps } from '../index.ts';
import { fakeNode, MANAGED_NODE_LABEL, nodeMetaInSync, nodeStatusInSync, realNodeCopy } from './translate.ts';

const NODE_INDEX = 'by-node-name';

/**
 * Shows the virtual cluster the nodes its pods run on: a minimal fake node per node in use
 * (default), or a copy of the real host node (--sync-real-nodes), removed when no pod uses it.
 * Only nodes carrying our managed label are ever updated or deleted.
 */
export class NodeSyncer implements SyncComponent {
  readonly kind = 'nodes';
  private readonly deps: ComponentDeps;
  private readonly controller: Controller;
  private readonly virtualPods: Informer<KubeObject>;
  private readonly virtualNodes: Informer<KubeObject>;
  private readonly hostNodes: Informer<KubeObject> | undefined;
  private readonly selector: ((node: KubeObject) => boolean) | undefined;

  constructor(deps: ComponentDeps) {
    this.deps = deps;
    const { env, config } = deps;
    this.controller = new Controller({
      name: 'nodes',
      workers: 1,
      reconcile: (name) => this.reconcile(name),
      clock: env.clock,
      logger: env.logger,
      metrics: deps.metrics,
      queueMetrics: deps.metrics,
    });
    this.virtualPods = env.informers.get(env.virtual, Resources.pods);
    this.virtualPods.addIndexer(NODE_INDEX, (pod) => {
      const nodeName = nodeNameOf(pod);
      return nodeName ? [nodeName] : [];
    });
    const podChanged = (...pods: KubeObject[]) => {
      for (const p of pods) {
        const nodeName = nodeNameOf(p);
        if (nodeName) this.controller.enqueue(nodeName);
      }
    };
    this.virtualPods.addHandlers({
      onAdd: (p) => podChanged(p),
      onUpdate: (o, n) => podChanged(o, n),
      onDelete: (p) => podChanged(p),
    });
    this.virtualNodes = env.informers.get(env.virtual, Resources.nodes);
    const nodeChanged = (n: KubeObject) => this.controller.enqueue(n.metadata?.name ?? '');
    this.virtualNodes.addHandlers({
      onAdd: nodeChanged,
      onUpdate: (_o, n) => nodeChanged(n),
      onDelete: nodeChanged,
    });
    if (config.syncRealNodes) {
      this.hostNodes = env.informers.get(env.host, Resources.nodes);
      this.hostNodes.addHandlers({
        onAdd: nodeChanged,
        onUpdate: (_o, n) => nodeChanged(n),
        onDelete: nodeChanged,
      });
      this.selector = config.nodeSelector ? labelSelectorMatcher(config.nodeSelector) : undefined;
    }
  }

  start(): void {
    const names = new Set<string>();
    for (const p of this.virtualPods.store.list()) {
      const nodeName = nodeNameOf(p);
      if (nodeName) names.add(nodeName);
    }
    for (const n of [...this.virtualNodes.store.list(), ...(this.hostNodes?.store.list() ?? [])])
      if (n.metadata?.name) names.add(n.metadata.name);
    this.controller.start(names);
  }

  stop(deadlineMs: number): Promise<boolean> {
    return this.controller.stop(deadlineMs);
  }

  private async reconcile(name: string) {
    if (!name) return;
    const { env } = this.deps;
    const inUse = this.virtualPods.store.byIndex(NODE_INDEX, name).length > 0;
    const hostNode = this.hostNodes?.store.get(name);
    const selected = hostNode !== undefined && this.selector?.(hostNode) === true;
    const existing = this.virtualNodes.store.get(name);
    const ours = existing?.metadata?.labels?.[MANAGED_NODE_LABEL] === 'true';
    if (!inUse && !selected) {
      if (existing && ours) await this.deleteVirtualNode(existing);
      return {};
    }
    if (this.hostNodes && !hostNode) {
      // Real-node mode, but the host node is gone: the pods on it will go too; keep nothing stale.
      if (existing && ours) await this.deleteVirtualNode(existing);
      return {};
    }
    if (existing && !ours) return {}; // someone else's node object: leave it alone
    const now = new Date(env.clock.now()).toISOString();
    const desired = hostNode ? realNodeCopy(hostNode) : fakeNode(name, await this.kubeletVersion(), now);
    let current = existing;
    if (!current) {
      try {
        current = await env.virtual.create(Resources.nodes, '', desired);
      } catch (err) {
        if (!isApiError(err, 'alreadyExists')) throw err;
        return { requeueAfterMs: 0 };
      }
    } else if (!nodeMetaInSync(desired, current)) {
      const spec = {
        ...((current.spec ?? {}) as Record<string, unknown>),
        ...(desired.spec as Record<string, unknown>),
      };
      current = await env.virtual.update(Resources.nodes, '', {
        ...current,
        metadata: { ...current.metadata, labels: desired.metadata?.labels },
        spec,
      });
    }
    if (!nodeStatusInSync(desired, current)) {
      await env.virtual.update(
        Resources.nodes,
        '',
        { ...current, status: desired.status },
        { subresource: 'status' },
      );
    }
    return { virtualWritten: true };
  }

  private async deleteVirtualNode(node: KubeObject): Promise<void> {
    try {
      await this.deps.env.virtual.delete(Resources.nodes, '', node.metadata?.name ?? '', {
        uid: node.metadata?.uid,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private cachedVersion: string | undefined;

  /** The virtual API server's version, so fake nodes report the kubelet version tenants expect. */
  private async kubeletVersion(): Promise<string> {
    this.cachedVersion ??= await this.deps.env.virtual.serverVersion();
    return this.cachedVersion;
  }
}

/** Matches `*` (everything) or comma-separated `key=value` / `key` terms against a node's labels. */
export function labelSelectorMatcher(selector: string): (node: KubeObject) => boolean {
  if (selector.trim() === '*') return () => true;
  const terms = selector
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => {
      const eq = t.indexOf('=');
      return eq < 0
        ? { key: t, value: undefined }
        : { key: t.slice(0, eq), value: t.slice(eq + 1).replace(/^=/, '') };
    });
  return (node) =>
    terms.every(({ key, value }) => {
      const actual = node.metadata?.labels?.[key];
      return value === undefined ? actual !== undefined : actual === value;
    });
}

/** The node a virtual pod is bound to, if any. */
function nodeNameOf(pod: KubeObject): string | undefined {
  return (pod.spec as { nodeName?: string } | undefined)?.nodeName;
}
