import type { ClusterClient } from '../kube/client.ts';
import type { KubeObject } from '../kube/object.ts';
import type { ResourceType } from '../kube/resources.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { Informer, type InformerMetrics } from './informer.ts';
import { SubtreePool } from './subtree-pool.ts';

export interface InformerScope {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * Hands out one shared informer per (cluster, resource, scope), so translators that read the same
 * objects (pods and their secrets, say) share one watch and one cache.
 */
export class InformerFactory {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly deps: { clock?: Clock; logger?: Logger; metrics?: InformerMetrics };
  /**
   * One pool for every cache: the same strings and parts recur across kinds and clusters (a host pod
   * repeats its virtual pod's containers). Public for other long-lived copies of cached values, such
   * as the last-synced metadata.
   */
  readonly parts = new SubtreePool();
  private started = false;

  constructor(deps: { clock?: Clock; logger?: Logger; metrics?: InformerMetrics }) {
    this.deps = deps;
  }

  /** The shared informer for this cluster, type and scope; created (and started if the factory runs) on first use. */
  get<T extends KubeObject>(
    client: ClusterClient,
    type: ResourceType,
    scope: InformerScope = {},
  ): Informer<T> {
    const key = [
      client.name,
      type.group,
      type.resource,
      scope.namespace ?? '',
      scope.labelSelector ?? '',
      scope.fieldSelector ?? '',
    ].join('|');
    let informer = this.informers.get(key);
    if (!informer) {
      informer = new Informer<KubeObject>({
        client,
        type,
        namespace: scope.namespace ?? '',
        labelSelector: scope.labelSelector,
        fieldSelector: scope.fieldSelector,
        parts: this.parts,
        ...this.deps,
      });
      this.informers.set(key, informer);
      if (this.started) informer.start();
    }
    return informer as unknown as Informer<T>;
  }

  all(): Informer<KubeObject>[] {
    return [...this.informers.values()];
  }

  start(): void {
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
  }

  /** Resolves when every informer created so far has filled its cache. */
  async waitForSync(): Promise<void> {
    await Promise.all(this.all().map((i) => i.waitForSync()));
  }

  /** Informers that have not yet filled their caches (for /readyz). */
  notSynced(): string[] {
    return this.all()
      .filter((i) => !i.hasSynced())
      .map((i) => i.description);
  }

  async stop(): Promise<void> {
    await Promise.all(this.all().map((i) => i.stop()));
  }
}
