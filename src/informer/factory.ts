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

export interface InformerUse {
  /**
   * The cache may stay unfilled without holding anything else up: it is left out of `waitForSync`
   * and `notSynced` (so out of the start and /readyz), and its readers check `hasSynced` themselves.
   * For what an admin may point at something the syncer cannot read (a namespace that does not exist
   * yet, RBAC not granted). Shared informers are optional only while every user asked for that.
   */
  optional?: boolean;
}

/**
 * Hands out one shared informer per (cluster, resource, scope), so translators that read the same
 * objects (pods and their secrets, say) share one watch and one cache.
 */
export class InformerFactory {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  /** Keys of informers no user needs filled before the start (see InformerUse.optional). */
  private readonly optional = new Set<string>();
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
    use: InformerUse = {},
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
      if (use.optional) this.optional.add(key);
      if (this.started) informer.start();
    } else if (!use.optional) {
      this.optional.delete(key);
    }
    return informer as unknown as Informer<T>;
  }

  all(): Informer<KubeObject>[] {
    return [...this.informers.values()];
  }

  /** Every informer of this type on this cluster (any scope) lists it again now if it was not served. */
  recheckIfNotServed(client: ClusterClient, type: ResourceType): void {
    const prefix = [client.name, type.group, type.resource, ''].join('|');
    for (const [key, informer] of this.informers) if (key.startsWith(prefix)) informer.recheckIfNotServed();
  }

  start(): void {
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
  }

  /** Resolves when every informer created so far, but the optional ones, has filled its cache. */
  async waitForSync(): Promise<void> {
    await Promise.all(this.required().map((i) => i.waitForSync()));
  }

  /** Informers, but the optional ones, that have not yet filled their caches (for /readyz). */
  notSynced(): string[] {
    return this.required()
      .filter((i) => !i.hasSynced())
      .map((i) => i.description);
  }

  private required(): Informer<KubeObject>[] {
    return [...this.informers].filter(([key]) => !this.optional.has(key)).map(([, i]) => i);
  }

  async stop(): Promise<void> {
    await Promise.all(this.all().map((i) => i.stop()));
  }
}
