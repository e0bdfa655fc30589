import type { ClusterClient, ListOptions, WatchEvent } from '../kube/client.ts';
import {
  ApiError,
  isApiError,
  isGone,
  isNotFound,
  isNotFoundNaming,
  isResourceVersionTooLarge,
  type ApiStatus,
} from '../kube/errors.ts';
import { objectKey, type KubeObject } from '../kube/object.ts';
import { apiVersionOf, Resources, type ResourceType } from '../kube/resources.ts';
import { Backoff } from '../util/backoff.ts';
import { realClock, type Clock } from '../util/clock.ts';
import { silentLogger, type Logger } from '../util/log.ts';
import { parseLabelSelector, selectorMatches } from '../util/label-selector.ts';
import { Store, type IndexFunc, type ReadOnlyStore } from './store.ts';
import type { SubtreePool } from './subtree-pool.ts';
import { asRevision, type StoreTimeline, type TimelineMark } from './store-timeline.ts';

/** The part of a CustomResourceDefinition the informer reads. */
interface CustomResourceDefinition extends KubeObject {
  spec?: { versions?: { name?: string; served?: boolean }[] };
}

/** Whether a CRD-backed type's 404 means its CRD is missing, and if not, why not. */
/** Whether a type answering 404 is not served at all (missing), or why the 404 is not that. */
type NotServedVerdict = { missing: true } | { missing: false; because: string };

export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

/** Counters the informer reports; the metrics module implements them. */
export interface InformerMetrics {
  watchRestart(cluster: string, resource: string, reason: string): void;
  relist(cluster: string, resource: string): void;
}

export interface InformerOptions<T extends KubeObject> {
  client: ClusterClient;
  type: ResourceType;
  /** '' watches all namespaces (or a cluster-scoped kind). */
  namespace: string;
  labelSelector?: string;
  fieldSelector?: string;
  indexers?: Record<string, IndexFunc<T>>;
  clock?: Clock;
  logger?: Logger;
  metrics?: InformerMetrics;
  /** Server-side watch timeout range, in seconds; each watch picks a random value inside it. */
  watchTimeoutSeconds?: [min: number, max: number];
  /** A watch that delivers nothing (not even a bookmark) for this long is presumed dead. */
  inactivityTimeoutMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  listPageSize?: number;
  /** Shares repeated strings and parts of cached objects with other caches (see SubtreePool); none: kept as parsed. */
  parts?: SubtreePool;
  /**
   * The API server's store as every informer of it sees it (see StoreTimeline); none: a store that went
   * back is found only by this informer's own last version.
   */
  timeline?: StoreTimeline;
}

type Phase = 'stopped' | 'listing' | 'watching' | 'backoff';

/**
 * How long a watch may deliver nothing, not even a bookmark, before it is taken for dead. A
 * kube-apiserver sends a watch that asked for bookmarks one about every minute however quiet the type
 * (measured: 60 s apart on 1.37); a stream silent for three of those is a connection that stalled
 * without closing (a half-open TCP connection behind a NAT or load balancer, a wedged proxy), through
 * which no change would come until the watch's own term (5 to 10 minutes). An API server that sends no
 * periodic bookmarks costs a quiet type one reconnect (and one small list) per this interval.
 */
const SILENT_WATCH_LIMIT_MS = 180_000;

/** How often a CRD-backed type that is not served is listed again. */
const NOT_SERVED_RECHECK_MS = 60_000;
/** Watches in a row ending at once with nothing delivered before the informer says so. */
const CLOSED_EARLY_WARNING_AFTER = 5;

/**
 * Watches in a row that failed other than by the network after which the informer lists again
 * rather than watch from the same resourceVersion once more. One such failure may pass (an API server
 * restarting answers 500 for a moment) and costs no list; the same failure three times, with the
 * backoff between them (up to 3.5 s by default), is likely tied to where the watch resumes (an event it
 * cannot take, a resourceVersion the server answers oddly), which only a list gets past. Lists stay
 * paced: at most one per three watches, each after a growing backoff.
 */
const RELIST_AFTER_FAILED_WATCHES = 3;

/**
 * What the informer lists before it watches again after its watch was lost (the connection failed,
 * or the stream ended early or went silent): one object at most, for the collection's
 * resourceVersion, the store's revision now. A revision older than the informer's means the store went
 * back in time (restored from a backup, a snapshot): a kube-apiserver answers a watch from a version
 * it has not reached with a stream that stays silent until it gets there (no "too large" error), so
 * without this the cache would miss every change until then and keep what the restore undid. The
 * name selector makes the probe recognisable in logs (and to the tests' fake server) and its answer
 * empty. What it costs the server: a read of one key for a namespaced informer; across namespaces, a
 * scan of its watch cache (Kubernetes 1.31 on serves such reads from it), or of the collection in
 * etcd before; once per lost watch of each informer.
 */
export const STORE_PROBE: ListOptions = { fieldSelector: 'metadata.name=vsyncer-store-probe', limit: 1 };

/**
 * A failure of the connection rather than of the watch (unreachable, dropped, throttled): watching
 * again from the same resourceVersion is right, and a list would cost more and fail the same way.
 */
function isConnectionFailure(err: unknown): boolean {
  return isApiError(err, 'network') || isApiError(err, 'tooManyRequests');
}

/**
 * The HTTP code a watch's ERROR event stands for. Without one (a proxy's or an old server's Status),
 * its reason tells an expired resourceVersion, which only a list gets past, as client-go reads it;
 * anything else is the server's failure, never the connection's (0), which would be watched again
 * from the same version for ever.
 */
function watchErrorCode(status: ApiStatus | undefined): number {
  if (typeof status?.code === 'number' && status.code > 0) return status.code;
  return status?.reason === 'Expired' || status?.reason === 'Gone' ? 410 : 500;
}

/**
 * List-then-watch cache of one resource type that keeps itself correct through API server
 * restarts, dropped or silent connections, watch timeouts and 410 Gone. Handlers get old and new
 * objects; a re-list is diffed against the cache so no delete is ever invented.
 */
export class Informer<T extends KubeObject> {
  private readonly opts: InformerOptions<T>;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly writableStore: Store<T>;
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly transforms: ((obj: T) => T)[] = [];
  private readonly backoff: Backoff;
  private resourceVersion = '';
  /** Whether the last watch ended before half the term it asked for (see listAndWatch). */
  private lastWatchEndedEarly = false;
  /** The timeline's epoch when this cache last listed (see storeWentBack). */
  private listedInEpoch = 0;
  private synced = false;
  /** Whether a watch event of an unknown type was logged at warn level already. */
  private unknownEventTypeSeen = false;
  private syncWaiters: (() => void)[] = [];
  private running: Promise<void> | undefined;
  private stopController = new AbortController();
  private phase: Phase = 'stopped';
  /** A CRD-backed type found not served (see ResourceType.fromCrd), said once until it is. */
  private notServedLogged = false;
  /** Ends the wait before a not-served type is listed again (see recheckIfNotServed). */
  private wakeNotServed?: () => void;

  constructor(opts: InformerOptions<T>) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.log = (opts.logger ?? silentLogger).child({
      cluster: opts.client.name,
      resource: opts.type.resource,
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
    });
    this.writableStore = new Store<T>(opts.indexers, { strings: opts.parts?.strings });
    this.backoff = new Backoff(opts.backoff?.initialMs ?? 500, opts.backoff?.maxMs ?? 30_000);
  }

  /** The cache: readers may look, only this informer writes. */
  get store(): ReadOnlyStore<T> {
    return this.writableStore;
  }

  /** A short name for logs and readiness reports, e.g. `host/configmaps` (`host/configmaps in shared`). */
  get description(): string {
    const where = this.opts.namespace ? ` in ${this.opts.namespace}` : '';
    const which = this.opts.fieldSelector ? ` (${this.opts.fieldSelector})` : '';
    return `${this.opts.client.name}/${this.opts.type.resource}${where}${which}`;
  }

  /**
   * Whether an object (read from its cluster) is one this informer lists: in its namespace, matching
   * its label selector and its field selector (of which only metadata.name and metadata.namespace
   * are read; any other field makes it false, so that no caller waits for an object never listed).
   */
  covers(obj: KubeObject): boolean {
    const { namespace, labelSelector, fieldSelector } = this.opts;
    if (namespace && obj.metadata?.namespace !== namespace) return false;
    if (labelSelector && !selectorMatches(parseLabelSelector(labelSelector), obj.metadata?.labels ?? {}))
      return false;
    for (const term of fieldSelector ? fieldSelector.split(',') : []) {
      const m = /^(metadata\.name|metadata\.namespace)\s*(==?|!=)\s*(.*)$/.exec(term.trim());
      if (!m) return false;
      const actual = m[1] === 'metadata.name' ? obj.metadata?.name : obj.metadata?.namespace;
      if ((actual === m[3]) !== (m[2] !== '!=')) return false;
    }
    return true;
  }

  /** Where the informer is in its list/watch cycle (for tests and status). */
  get currentPhase(): Phase {
    return this.phase;
  }

  /** Adds a secondary index to the cache (allowed at any time; existing objects are filed). */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    this.writableStore.addIndexer(name, fn);
  }

  /**
   * Changes each object before it is cached and handed to handlers, so that the cache keeps less of
   * what its readers never read (the token bundles' tokens). Every reader of the informer sees the
   * changed objects, so a transform must leave alone whatever another reader may need: it should only
   * touch objects one component owns. Only before the informer starts, so that no object escapes it.
   */
  addCacheTransform(fn: (obj: T) => T): void {
    if (this.running)
      throw new Error(`informer ${this.description} started already: add cache transforms before`);
    this.transforms.push(fn);
  }

  addHandlers(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list has filled the cache. */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  start(): void {
    if (this.running) return;
    this.stopController = new AbortController();
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    await this.running;
    this.running = undefined;
    this.phase = 'stopped';
  }

  /** An object from the wire as the cache keeps it (see forCache), after this informer's transforms. */
  private forCache(obj: T): T {
    try {
      return forCache(obj, this.opts.type, this.opts.parts, this.transforms);
    } catch (err) {
      // One object a transform cannot read (a shape its kind never expected) must not fail the whole
      // list, and so every list after it: it is kept as it came, for its kind's own shape check.
      this.log.warn('keeping an object as it came: preparing it for the cache failed', {
        name: obj.metadata?.name,
        namespace: obj.metadata?.namespace,
        err,
      });
      return obj;
    }
  }

  private get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  /**
   * listAndWatch, started again should it fail on its own (a bug in judging an error, say): the cache
   * would otherwise stay as it was for ever while the process looks healthy.
   */
  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.listAndWatch();
      } catch (err) {
        if (this.stopped) break;
        this.log.error('list/watch loop failed; listing again after a backoff', { err });
        this.phase = 'backoff';
        await this.sleep(this.backoff.next());
      }
    }
  }

  /** Lists, then watches from there, until stopped; what fails is retried as the error says. */
  private async listAndWatch(): Promise<void> {
    let needList = true;
    // 410s in a row with nothing watched between them (e.g. a list served from a stale cache):
    // re-list at once the first time, then back off so two API calls cannot spin.
    let goneInARow = 0;
    // Watches in a row that failed other than by the network (see RELIST_AFTER_FAILED_WATCHES).
    let failedWatches = 0;
    /** Watches in a row that ended at once with nothing delivered (see CLOSED_EARLY_WARNING_AFTER). */
    let closedEarlyInARow = 0;
    /** The watch was lost: the store's revision is looked at before watching again (STORE_PROBE). */
    let probeStore = false;
    while (!this.stopped) {
      try {
        if (needList) {
          this.phase = 'listing';
          await this.relist();
          needList = false;
          failedWatches = 0;
          probeStore = false;
          // stop() during the list: the watch's abort listener would never fire, so do not open one.
          if (this.stopped) break;
        } else if (probeStore) {
          probeStore = false;
          const before = this.opts.timeline?.mark();
          const now = await this.storeRevision();
          if (this.storeWentBack(now, before)) {
            this.log.info(
              `the ${this.opts.client.name} API server's store is at resource version ${now}, older than versions seen before (restored from a backup?), re-listing`,
            );
            this.opts.metrics?.relist(this.opts.client.name, this.opts.type.resource);
            needList = true;
            continue;
          }
          if (this.stopped) break;
        }
        this.phase = 'watching';
        const outcome = await this.watchOnce();
        // Lost, not run to its term: an API server shutting down ends watches cleanly, events or not.
        probeStore = outcome === 'closed-early' || outcome === 'inactive' || this.lastWatchEndedEarly;
        goneInARow = 0;
        failedWatches = 0;
        if (outcome === 'inactive')
          this.opts.metrics?.watchRestart(this.opts.client.name, this.opts.type.resource, 'inactive');
        closedEarlyInARow = outcome === 'closed-early' ? closedEarlyInARow + 1 : 0;
        if (outcome === 'closed-early') {
          this.opts.metrics?.watchRestart(this.opts.client.name, this.opts.type.resource, 'closed-early');
          // Told once per run of them: changes then arrive only after each backoff (up to 30 s).
          if (closedEarlyInARow === CLOSED_EARLY_WARNING_AFTER)
            this.log.warn(
              `the ${this.opts.client.name} API server keeps ending watches of ${this.opts.type.resource} at once with nothing delivered (a proxy or load balancer cutting streams?): changes arrive late, after each reconnect's backoff`,
            );
          // Ended soon and silent: maybe a flapping server or proxy, so retries are paced. A watch
          // that ran its term (a quiet type) reopens at once, or a change made just after its
          // timeout would wait out a backoff grown over a quiet hour (up to 30 s).
          await this.sleep(this.backoff.next());
        } else {
          this.backoff.reset();
        }
      } catch (err) {
        if (this.stopped) break;
        const notServed = isNotFound(err) ? await this.notServedVerdict() : undefined;
        if (this.stopped) break;
        if (notServed?.missing) {
          // Not served by this API server (its CRD is not installed, or it lacks the optional API):
          // read as an empty collection, so nothing waits for this cache, and look again now and then
          // (a CRD installed later is picked up). A cache that was filled keeps what it holds: the
          // CRD's own removal deletes every object first.
          if (!this.notServedLogged)
            this.log.warn(
              `${this.opts.type.resource}.${this.opts.type.group} is not served by the ${this.opts.client.name} API server (${this.opts.type.fromCrd ? `its CRD is not installed, or does not serve ${this.opts.type.version}` : `it does not serve ${this.opts.type.group}/${this.opts.type.version}: older than that API, or it is turned off`}): treated as empty, checked again every ${NOT_SERVED_RECHECK_MS / 1000} s`,
            );
          this.notServedLogged = true;
          this.markSynced();
          needList = true;
          this.phase = 'backoff';
          await this.sleep(NOT_SERVED_RECHECK_MS, (wake) => (this.wakeNotServed = wake));
          this.wakeNotServed = undefined;
          continue;
        }
        // A resourceVersion too old, or too new (the server's store went back in time, restored from a
        // backup): a list takes the objects as they are now, and a watch from its version works again.
        if (isGone(err) || isResourceVersionTooLarge(err)) {
          this.log.info(
            isGone(err)
              ? 'resource version too old, re-listing'
              : 'resource version newer than the server has (its store restored from a backup?), re-listing',
          );
          this.opts.metrics?.relist(this.opts.client.name, this.opts.type.resource);
          needList = true;
          if (goneInARow++ > 0) {
            this.phase = 'backoff';
            await this.sleep(this.backoff.next());
          }
          continue;
        }
        const reason = err instanceof ApiError ? err.kind : 'error';
        this.opts.metrics?.watchRestart(this.opts.client.name, this.opts.type.resource, reason);
        // The server may have restarted, perhaps on a restored store: asked before watching again.
        if (isApiError(err, 'network')) probeStore = true;
        if (
          this.phase === 'watching' &&
          !isConnectionFailure(err) &&
          ++failedWatches >= RELIST_AFTER_FAILED_WATCHES
        ) {
          this.log.warn(`watch failed ${failedWatches} times in a row, re-listing`);
          this.opts.metrics?.relist(this.opts.client.name, this.opts.type.resource);
          needList = true;
        }
        const delay = this.backoff.next();
        if (notServed)
          this.log.warn(
            `${this.opts.type.resource}.${this.opts.type.group} answered 404 though ${notServed.because}: retrying (an API server may answer so for a while after it starts)`,
            { retryInMs: delay, phase: this.phase },
          );
        else this.log.warn('list/watch failed, retrying', { err, retryInMs: delay, phase: this.phase });
        this.phase = 'backoff';
        await this.sleep(delay);
      }
    }
  }

  /**
   * The resourceVersion of the collection as the server's store has it now (see STORE_PROBE). A
   * network failure is thrown (the probe is asked again once the server answers); any other answer
   * (an API that refuses the selector) leaves the store unjudged, and the watch resumes as it would.
   */
  private async storeRevision(): Promise<string | undefined> {
    try {
      const page = await this.opts.client.list(this.opts.type, this.opts.namespace, STORE_PROBE);
      return page?.metadata?.resourceVersion;
    } catch (err) {
      if (isApiError(err, 'network')) throw err;
      this.log.debug("the store's resource version could not be read; watching on", { err });
      return undefined;
    }
  }

  /**
   * Whether the store, at revision `now`, went back in time since this cache listed: older than its
   * own last version, or than the highest any informer of the server had seen when the read was sent
   * (`before`, the timeline's mark), or found so by another informer since this one listed.
   */
  private storeWentBack(now: string | undefined, before: TimelineMark | undefined): boolean {
    const revision = asRevision(now);
    const last = asRevision(this.resourceVersion);
    const own = revision !== undefined && last !== undefined && revision < last;
    const timeline = this.opts.timeline;
    if (!timeline || !before) return own;
    const shared = timeline.wentBack(now, before);
    return own || shared || this.listedInEpoch !== timeline.epoch;
  }

  /** Lists everything (in pages) and swaps the cache in one step, then tells handlers the difference. */
  private async relist(): Promise<void> {
    const items: T[] = [];
    let continueToken: string | undefined;
    const seenTokens = new Set<string>();
    let resourceVersion = '';
    do {
      const page = await this.opts.client.list<T>(this.opts.type, this.opts.namespace, {
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        limit: this.opts.listPageSize ?? 500,
        continue: continueToken,
      });
      // `items: null` is how some servers (aggregated APIs, proxies) answer an empty list, as client-go reads it.
      if (page.items === null) page.items = [];
      if (!Array.isArray(page.items)) {
        throw new ApiError(
          this.opts.client.name,
          0,
          undefined,
          `list of ${this.opts.type.resource} returned no items array`,
        );
      }
      for (const item of page.items) items.push(this.forCache(item));
      const next = page.metadata?.continue || undefined;
      // A server (a broken proxy, an aggregated API) handing out a continue token again would be
      // listed for ever, the pages piling up in memory.
      if (next !== undefined && seenTokens.has(next))
        throw new ApiError(
          this.opts.client.name,
          500,
          undefined,
          `list of ${this.opts.type.resource} answered a continue token it had answered before`,
        );
      if (next !== undefined) seenTokens.add(next);
      continueToken = next;
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    } while (continueToken && !this.stopped);
    if (this.stopped) return;
    const diff = this.writableStore.replace(items);
    this.resourceVersion = resourceVersion;
    this.opts.timeline?.saw(resourceVersion);
    this.listedInEpoch = this.opts.timeline?.epoch ?? 0;
    this.log.debug('listed', { count: items.length, resourceVersion });
    if (this.notServedLogged)
      this.log.info(`${this.opts.type.resource}.${this.opts.type.group} is now served`);
    this.notServedLogged = false;
    for (const obj of diff.added) this.dispatch((h) => h.onAdd?.(obj));
    for (const [oldObj, newObj] of diff.updated) this.dispatch((h) => h.onUpdate?.(oldObj, newObj));
    for (const obj of diff.deleted) this.dispatch((h) => h.onDelete?.(obj));
    this.markSynced();
  }

  /**
   * One watch from the current resourceVersion. Resolves when the server closes it (normally at
   * its timeout) or when the inactivity watchdog gives up on it; throws on errors, 410 included.
   * `closed-early`: closed with nothing delivered before half the timeout it asked for.
   */
  private async watchOnce(): Promise<'closed-after-events' | 'closed-at-term' | 'closed-early' | 'inactive'> {
    const [minTimeout, maxTimeout] = this.opts.watchTimeoutSeconds ?? [300, 600];
    const timeoutSeconds = Math.round(minTimeout + Math.random() * (maxTimeout - minTimeout));
    const inactivityMs =
      this.opts.inactivityTimeoutMs ?? Math.min((timeoutSeconds + 30) * 1000, SILENT_WATCH_LIMIT_MS);
    const abort = new AbortController();
    const onStop = () => abort.abort();
    this.stopController.signal.addEventListener('abort', onStop);
    let inactive = false;
    let cancelWatchdog = () => {};
    const armWatchdog = () => {
      cancelWatchdog();
      cancelWatchdog = this.clock.setTimer(() => {
        inactive = true;
        this.log.warn('watch silent for too long, reconnecting', { inactivityMs });
        abort.abort();
      }, inactivityMs);
    };
    let events = 0;
    let failure: unknown;
    const opened = this.clock.monotonicNow();
    armWatchdog();
    try {
      await this.opts.client.watch(
        this.opts.type,
        this.opts.namespace,
        {
          resourceVersion: this.resourceVersion,
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
          timeoutSeconds,
          allowWatchBookmarks: true,
        },
        (event) => {
          if (failure) return;
          armWatchdog();
          events++;
          try {
            this.apply(event);
          } catch (err) {
            failure = err;
            abort.abort();
          }
        },
        abort.signal,
      );
    } finally {
      cancelWatchdog();
      this.stopController.signal.removeEventListener('abort', onStop);
    }
    if (failure) throw failure;
    this.lastWatchEndedEarly = this.clock.monotonicNow() - opened < (timeoutSeconds * 1000) / 2;
    if (inactive) return 'inactive';
    if (events > 0) return 'closed-after-events';
    return this.lastWatchEndedEarly ? 'closed-early' : 'closed-at-term';
  }

  private apply(event: WatchEvent): void {
    if (event.type === 'ERROR') {
      const status = (typeof event.object === 'object' ? event.object : undefined) as ApiStatus | undefined;
      throw new ApiError(this.opts.client.name, watchErrorCode(status), status, 'watch error event');
    }
    const rv = event.object.metadata?.resourceVersion;
    this.opts.timeline?.saw(rv);
    if (event.type === 'BOOKMARK') {
      if (rv) this.resourceVersion = rv;
      return;
    }
    if (event.type !== 'ADDED' && event.type !== 'MODIFIED' && event.type !== 'DELETED') {
      // As client-go: an event of a type no API server sends (a broken proxy's) changes nothing. Said
      // once at warn level: a proxy sending them may send many.
      const log = this.unknownEventTypeSeen ? this.log.debug : this.log.warn;
      log.call(this.log, 'watch sent an event of an unknown type; ignored', { type: String(event.type) });
      this.unknownEventTypeSeen = true;
      return;
    }
    const obj = this.forCache(event.object as T);
    if (rv) this.resourceVersion = rv;
    if (event.type === 'DELETED') {
      const old = this.writableStore.remove(objectKey(obj));
      this.dispatch((h) => h.onDelete?.(old ?? obj));
      return;
    }
    const old = this.writableStore.upsert(obj);
    if (old) this.dispatch((h) => h.onUpdate?.(old, obj));
    else this.dispatch((h) => h.onAdd?.(obj));
  }

  private dispatch(call: (h: InformerHandlers<T>) => void): void {
    for (const handler of this.handlers) {
      try {
        call(handler);
      } catch (err) {
        this.log.error('informer handler threw', { err });
      }
    }
  }

  /**
   * Whether a 404 on listing means the type is not served here: for a CRD-backed type, its CRD is
   * missing or does not serve the version; for an optional built-in API, discovery does not list it.
   * Undefined for other types: a 404 on them is an ordinary failure.
   */
  private async notServedVerdict(): Promise<NotServedVerdict | undefined> {
    if (this.opts.type.fromCrd) return this.crdVerdict();
    if (this.opts.type.optionalApi) return this.apiVerdict();
    return undefined;
  }

  /** The same for an optional built-in API, read from discovery (see ResourceType.optionalApi). */
  private async apiVerdict(): Promise<NotServedVerdict> {
    const groupVersion = apiVersionOf(this.opts.type);
    const { resource } = this.opts.type;
    try {
      const served = await this.opts.client.servedResources(groupVersion);
      return served.some((r) => r.name === resource)
        ? { missing: false, because: `discovery lists it in ${groupVersion}` }
        : { missing: true };
    } catch (err) {
      if (isNotFound(err)) return { missing: true };
      return { missing: false, because: `discovery of ${groupVersion} failed (${(err as Error).message})` };
    }
  }

  /**
   * What a 404 on this CRD-backed type means: missing when its CRD is not installed or does not
   * serve this version, so no object of it can be read; otherwise why the 404 is not that (the CRD
   * serves it, or could not be read). Taken on trust, a 404 from an API server that has the CRD but
   * does not serve it yet (for a moment after a start) would empty this cache, and the kinds reading
   * it would delete every copy it had: VolumeSnapshots, their data with them.
   */
  private async crdVerdict(): Promise<NotServedVerdict> {
    const { group, version, resource } = this.opts.type;
    const name = `${resource}.${group}`;
    try {
      const crd = await this.opts.client.get<CustomResourceDefinition>(
        Resources.customResourceDefinitions,
        '',
        name,
      );
      const serves = (crd.spec?.versions ?? []).some((v) => v.name === version && v.served === true);
      return serves ? { missing: false, because: `its CRD ${name} serves ${version}` } : { missing: true };
    } catch (crdErr) {
      // Only a NotFound naming the CRD proves it missing (one naming nothing is a proxy's, say).
      if (isNotFoundNaming(crdErr, name)) return { missing: true };
      return { missing: false, because: `its CRD ${name} could not be read (${(crdErr as Error).message})` };
    }
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  /**
   * A CRD-backed type found not served is listed again now rather than at the next recheck: its CRD
   * has just been installed (see bootstrap/crds-from-host.ts). Does nothing otherwise.
   */
  recheckIfNotServed(): void {
    this.wakeNotServed?.();
  }

  /** Waits ms (or until stopped); `wakeable` receives a function that ends the wait early. */
  private sleep(ms: number, wakeable?: (wake: () => void) => void): Promise<void> {
    const signal = this.stopController.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        cancel();
        signal.removeEventListener('abort', finish);
        resolve();
      };
      const cancel = this.clock.setTimer(finish, ms);
      signal.addEventListener('abort', finish);
      wakeable?.(finish);
    });
  }
}

/**
 * An object as the cache keeps it: with the type it was read as (list items come without apiVersion
 * and kind; and a tenant's own CRD may serve a resource under another kind, which code reading `kind`
 * to know what it holds must never see: a route read as no route at all is copied unjudged), and
 * without managedFields. Those record which client last wrote which field, nothing the syncer reads,
 * and are often a third of an object's size; a cache of ten thousand pods holds them for nothing.
 * Writes are unaffected: an update that carries no managedFields leaves the server's record as it is.
 * Its strings and its repeated parts are the pool's shared copies (the parts frozen: read, never edit a
 * cached object). The object is fresh from the wire, so it is changed in place.
 *
 * The metadata is rebuilt without the field rather than `delete`d from: V8 turns an object it deletes
 * a property from into a hash table, which made every cached object's metadata about 300 bytes larger
 * than keeping managedFields would have (448 bytes per object in a heap snapshot, three per pod).
 */
function forCache<T extends KubeObject>(
  obj: T,
  type: ResourceType,
  parts: SubtreePool | undefined,
  transforms: readonly ((obj: T) => T)[],
): T {
  const apiVersion = type.group ? `${type.group}/${type.version}` : type.version;
  let typed =
    obj.kind === type.kind && obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion, kind: type.kind };
  if (typed.metadata?.managedFields) {
    const { managedFields: _dropped, ...metadata } = typed.metadata;
    typed.metadata = metadata;
  }
  for (const transform of transforms) typed = transform(typed);
  parts?.shareParts(typed as unknown as Record<string, unknown>);
  return typed;
}
