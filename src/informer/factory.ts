import type { ClusterClient, ListOptions } from '../kube/client.ts';
import { StoreTimeline } from './store-timeline.ts';
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

/** What a component (a kind, say) asks of the shared informers. */
export interface SharedInformers {
  /** The shared informer for this cluster, type and scope (see InformerFactory.get). */
  get<T extends KubeObject>(
    client: ClusterClient,
    type: ResourceType,
    scope?: InformerScope,
    use?: InformerUse,
  ): Informer<T>;
  /** Resolves once every informer obtained here, but the optional ones, has filled its cache. */
  waitForSync(): Promise<void>;
  /** The pool of shared parts of cached values (see InformerFactory.parts). */
  readonly parts: SubtreePool;
}

/** An informer whose cache has not filled yet, who waits for it, and why its list last failed. */
export interface UnfilledInformer {
  informer: string;
  /** The users (see forUser) that asked for it filled, in the order they first did. */
  heldUp: string[];
  lastListError?: string;
}

export interface InformerFactoryDeps {
  clock?: Clock;
  logger?: Logger;
  metrics?: InformerMetrics;
  /** How long a user waits for its caches before each warning naming what holds it up (default 60 s). */
  slowSyncWarnMs?: number;
}

/** How long a user's caches may take to fill before a warning says which informers hold it up. */
const SLOW_SYNC_WARN_MS = 60_000;

/**
 * Hands out one shared informer per (cluster, resource, scope), so translators that read the same
 * objects (pods and their secrets, say) share one watch and one cache. It remembers which user
 * (a kind) asked for which informers, so each user can start once its own caches are full: one
 * whose list keeps failing (RBAC not granted, a group the API server does not serve) holds up the
 * users that read it, not every other.
 */
export class InformerFactory implements SharedInformers {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  /** Keys of informers no user needs filled before the start (see InformerUse.optional). */
  private readonly optional = new Set<string>();
  /** Per user, the keys of the informers it asked for without the optional use. */
  private readonly required = new Map<string, Set<string>>();
  /** Per informer key, the error its last list ended with (none once a list succeeds). */
  private readonly listErrors = new Map<string, unknown>();
  /** Cancels the slow-sync warnings of waits in progress (see waitForSync). */
  private readonly warnings = new Set<() => void>();
  private readonly deps: InformerFactoryDeps;
  /** Per API server (and events apart, often in an etcd of their own), its store as its informers see it. */
  private readonly timelines = new Map<string, StoreTimeline>();
  /**
   * One pool for every cache: the same strings and parts recur across kinds and clusters (a host pod
   * repeats its virtual pod's containers). Public for other long-lived copies of cached values, such
   * as the last-synced metadata.
   */
  readonly parts = new SubtreePool();
  private started = false;

  constructor(deps: InformerFactoryDeps) {
    this.deps = deps;
  }

  /** The shared informer for this cluster, type and scope; created (and started if the factory runs) on first use. */
  get<T extends KubeObject>(
    client: ClusterClient,
    type: ResourceType,
    scope: InformerScope = {},
    use: InformerUse = {},
  ): Informer<T> {
    return this.getFor(undefined, client, type, scope, use);
  }

  /**
   * The factory as one user sees it (a kind, named as `--sync` names it): what it gets is shared as
   * ever, and its `waitForSync` waits for exactly the informers it asked for.
   */
  forUser(user: string): SharedInformers {
    return {
      get: (client, type, scope = {}, use = {}) => this.getFor(user, client, type, scope, use),
      waitForSync: () => this.waitForSync(user),
      parts: this.parts,
    };
  }

  private getFor<T extends KubeObject>(
    user: string | undefined,
    client: ClusterClient,
    type: ResourceType,
    scope: InformerScope,
    use: InformerUse,
  ): Informer<T> {
    const key = [
      client.name,
      type.group,
      type.resource,
      scope.namespace ?? '',
      scope.labelSelector ?? '',
      scope.fieldSelector ?? '',
    ].join('|');
    if (user !== undefined && !use.optional) {
      const keys = this.required.get(user) ?? new Set<string>();
      this.required.set(user, keys.add(key));
    }
    let informer = this.informers.get(key);
    if (!informer) {
      informer = new Informer<KubeObject>({
        client: notingLists(client, (err) =>
          err === undefined ? this.listErrors.delete(key) : this.listErrors.set(key, err),
        ),
        type,
        namespace: scope.namespace ?? '',
        labelSelector: scope.labelSelector,
        fieldSelector: scope.fieldSelector,
        parts: this.parts,
        timeline: this.timelineOf(client, type),
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

  /**
   * The store timeline an informer of this type shares: one per API server, events apart (a resource a
   * kube-apiserver keeps in another etcd, `--etcd-servers-overrides`, counts versions of its own; events
   * are the one commonly kept so).
   */
  private timelineOf(client: ClusterClient, type: ResourceType): StoreTimeline {
    const key = `${client.name}|${type.resource === 'events' ? 'events' : ''}`;
    let timeline = this.timelines.get(key);
    if (!timeline) this.timelines.set(key, (timeline = new StoreTimeline()));
    return timeline;
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

  /**
   * Resolves when every informer created so far, but the optional ones, has filled its cache; given
   * a user, every informer that user asked for (see forUser), warning now and then while it waits.
   */
  async waitForSync(user?: string): Promise<void> {
    if (user === undefined) {
      await Promise.all(this.requiredKeys().map((key) => this.informers.get(key)!.waitForSync()));
      return;
    }
    const cancel = this.warnWhileUnfilled(user);
    try {
      // Until none is left unfilled: the user may ask for more while it waits (its relations).
      for (let keys = this.unfilledKeysOf(user); keys.length; keys = this.unfilledKeysOf(user))
        await Promise.all(keys.map((key) => this.informers.get(key)!.waitForSync()));
    } finally {
      cancel();
    }
  }

  /** Informers, but the optional ones, that have not yet filled their caches. */
  notSynced(): string[] {
    return this.unfilled().map((u) => u.informer);
  }

  /** Informers, but the optional ones (or, given a user, those it waits for), not yet filled: for /readyz and logs. */
  unfilled(user?: string): UnfilledInformer[] {
    const keys = user === undefined ? this.requiredKeys() : [...(this.required.get(user) ?? [])];
    return keys
      .filter((key) => !this.informers.get(key)!.hasSynced())
      .map((key) => {
        const lastError = this.listErrors.get(key);
        return {
          informer: this.informers.get(key)!.description,
          heldUp: [...this.required].filter(([, keys]) => keys.has(key)).map(([u]) => u),
          ...(lastError === undefined ? {} : { lastListError: errorText(lastError) }),
        };
      });
  }

  private requiredKeys(): string[] {
    return [...this.informers.keys()].filter((key) => !this.optional.has(key));
  }

  private unfilledKeysOf(user: string): string[] {
    return [...(this.required.get(user) ?? [])].filter((key) => !this.informers.get(key)!.hasSynced());
  }

  /**
   * Warns every slowSyncWarnMs while the user waits, naming the informers that hold it up and why
   * their lists failed: an informer that cannot fill otherwise shows only in /readyz and in its own
   * retry lines, which do not say what waits for it. Returns what stops the warnings.
   */
  private warnWhileUnfilled(user: string): () => void {
    const { clock, logger } = this.deps;
    if (!clock || !logger) return () => {};
    const every = this.deps.slowSyncWarnMs ?? SLOW_SYNC_WARN_MS;
    const since = clock.now();
    let cancelTimer = () => {};
    const arm = () => {
      cancelTimer = clock.setTimer(() => {
        const unfilled = this.unfilled(user);
        if (unfilled.length)
          logger.warn('held up: the caches it reads have not filled; it starts once they do', {
            waiting: user,
            waitedSeconds: Math.round((clock.now() - since) / 1000),
            unfilled: unfilled.map(
              (u) => `${u.informer}: ${u.lastListError ?? 'its first list has not finished'}`,
            ),
          });
        arm();
      }, every);
    };
    arm();
    const cancel = () => {
      cancelTimer();
      this.warnings.delete(cancel);
    };
    this.warnings.add(cancel);
    return cancel;
  }

  async stop(): Promise<void> {
    for (const cancel of [...this.warnings]) cancel();
    await Promise.all(this.all().map((i) => i.stop()));
  }
}

/**
 * The client an informer lists through, telling `note` how each list ended (an error, or undefined
 * for success): the informer keeps its errors to its own log lines, and whoever waits for its cache
 * wants to say why the cache is still empty. Everything else goes to the client unchanged.
 */
function notingLists(client: ClusterClient, note: (err: unknown) => void): ClusterClient {
  const list = async <T extends KubeObject>(type: ResourceType, namespace: string, options?: ListOptions) => {
    try {
      const page = await client.list<T>(type, namespace, options);
      note(undefined);
      return page;
    } catch (err) {
      note(err);
      throw err;
    }
  };
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'list') return list;
      const value: unknown = Reflect.get(target, prop, target);
      // Bound to the client itself: its methods may keep state of their own (a limiter, a cache).
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
