import { LRUCache } from 'lru-cache';
import { ADMISSION_DENIAL_RETRY_MS, Controller, type ControllerMetrics } from '../controller/controller.ts';
import { deleteIncarnation } from '../kube/delete-incarnation.ts';
import { TerminalError, WaitingError } from '../controller/errors.ts';
import type { UnreachableApiLog } from '../controller/unreachable-log.ts';
import type { Informer } from '../informer/informer.ts';
import type { InformerView } from '../informer/namespaces-informer.ts';
import type { ClusterClient } from '../kube/client.ts';
import { ApiError, isAdmissionDenial, isApiError, isNotFound, isNotFoundNaming } from '../kube/errors.ts';
import { objectKey, splitKey, type KubeObject } from '../kube/object.ts';
import { groupVersionKindString, type ResourceType } from '../kube/resources.ts';
import {
  managedByValue,
  OBJECT_HOST_NAMESPACE_ANNOTATION,
  OBJECT_KIND_ANNOTATION,
} from '../naming/labels.ts';
import type { WorkQueueMetrics } from '../workqueue/metrics.ts';
import {
  isControlledElsewhere,
  sourceControlledElsewhere,
  targetControlledElsewhere,
} from './controlled-elsewhere.ts';
import { hostInformerFor } from './host-watch.ts';
import type { BuiltKind, KindSpec, ReconcileContext, Relation, SyncEnvironment, SyncResult } from './kind.ts';
import { LastSynced, planMetadata, type MetadataPlan } from './metadata-sync.ts';
import { claimedVirtualKey, copyWithoutKind, COPY_WITHOUT_KIND, earlierCopyOf } from './mappers.ts';
import { NameWaiters } from './name-waiters.ts';
import { NotedHostWrites } from './noted-host-writes.ts';
import { scrubHostNames } from './scrub.ts';

/** Observes how long a change took to reach the other cluster. */
export interface SyncLatencyMetrics {
  syncLatency(kind: string, direction: 'virtual-to-host' | 'host-to-virtual', seconds: number): void;
  /** From the object's own timestamp of the change to the write that carried it (whole seconds). */
  tenantWait(kind: string, direction: 'virtual-to-host' | 'host-to-virtual', seconds: number): void;
}

/** Something the syncer runs for one `--sync` kind. */
export interface SyncComponent {
  readonly kind: string;
  /** Starts the workers; called once the caches are full and this replica leads. */
  start(): void;
  /** Stops taking work and waits for in-flight reconciles; false when the deadline passed first. */
  stop(deadlineMs: number): Promise<boolean>;
}

export interface KindControllerOptions {
  kind: BuiltKind;
  env: SyncEnvironment;
  /** Every enabled kind, by name, for kinds that read the others (events). */
  kinds: ReadonlyMap<string, BuiltKind>;
  workers: number;
  controllerMetrics?: ControllerMetrics;
  queueMetrics?: WorkQueueMetrics;
  latencyMetrics?: SyncLatencyMetrics;
  /** Shared by every kind: an API server that cannot be reached is said once, not per object. */
  unreachable?: UnreachableApiLog;
}

/**
 * A metadata plan made during a reconcile, remembered as the last-synced state once it succeeds and
 * the host holds it (see NotedHostWrites).
 */
interface PendingMetadata {
  plan?: MetadataPlan;
  pair?: [KubeObject, KubeObject];
  hostWrites: NotedHostWrites;
}

/** How long a key waits for the cache to show a source incarnation or a target the kind created itself. */
const EXPECTATION_TIMEOUT_MS = 30_000;
/** How soon a key is retried after its kind deleted an object in the way of its target. */
const REPLACED_IN_THE_WAY_RECHECK_MS = 200;
/** How often a copy refused because a host object that is not ours holds its name is tried again. */
export const NAME_TAKEN_RECHECK_MS = 5 * 60_000;
/** While waiting for a created target to show, how often to look again without its event. */
const CREATED_TARGET_RECHECK_MS = 1_000;
/** How soon a target the source's cache does not yet show as its own is looked at again. */
const SOURCE_CACHE_BEHIND_RECHECK_MS = 1_000;
/**
 * How many source deletes a kind remembers (key and UID), so that removing their copies needs no read
 * of the source: more than a namespace's worth of objects deleted at once, at a few MB at most.
 */
const REMEMBERED_SOURCE_DELETES = 10_000;

/** The index of target objects by the source key they claim (through the mapper's ownership check). */
/** Target objects by the source key they copy, per kind (two kinds may share a target informer). */
const SOURCE_INDEX = (kind: string) => `vsyncer/${kind}/source-key`;

/** The host API server refusing a write for annotations past its limit (256 KiB, keys and values together). */
function isAnnotationsTooLong(err: unknown): err is ApiError {
  return (
    isApiError(err, 'invalid') &&
    err.cluster === 'host' &&
    /metadata\.annotations: Too long/.test(err.serverMessage)
  );
}

/**
 * The host's refusal of a copy's annotations, for the tenant: they are the syncer's doing as much as
 * the tenant's, since the copy holds the syncer's records besides the object's own annotations (each
 * key again, its labels for a pod).
 */
const annotationsTooLongText = (err: ApiError): string =>
  `${err.serverMessage} (the host copy holds the syncer's records of this object's annotation keys, and of a pod's labels, besides its own annotations: keep those well under half the limit)`;

/** The host API server refusing a write as larger than it takes (413: 3 MiB by default). */
const isTooLargeForHost = (err: unknown): err is ApiError =>
  isApiError(err) && err.cluster === 'host' && err.statusCode === 413;

/**
 * The host's refusal of a copy as too large, for the tenant: asking again will not change it while
 * the object is as it is. A pod's copy also holds what the syncer adds: its service links' variables,
 * which the virtual cluster's kubelet would have added (a set per Service of the namespace, in every
 * container).
 */
const tooLargeForHostText = (kind: string, err: ApiError): string =>
  `the host cluster's API server refused the copy as too large (${err.serverMessage || `HTTP ${err.statusCode}`})${
    kind === 'Pod'
      ? ": a pod's copy carries its service links' environment variables, a set for each Service of its namespace in every container; set enableServiceLinks: false if it does not read them, or make the pod smaller"
      : ': make the object smaller'
  }`;

/** How long a host source the host has and its cache lacks is waited for before its copies go. */
const HOST_CACHE_BEHIND_MAX_MS = 60_000;

/** How often a kind whose prepare said "not yet" (its CRD missing) checks again. */
const PREPARE_RETRY_MS = 5_000;

/** Kinds with a prepare step, once it succeeded and their caches are full (shared by every controller). */
const preparedKinds = new WeakMap<KindSpec, { done: boolean; promise: Promise<void>; resolve: () => void }>();

function preparedSignal(spec: KindSpec): { done: boolean; promise: Promise<void>; resolve: () => void } {
  let signal = preparedKinds.get(spec);
  if (!signal) {
    let resolve = () => {};
    const promise = new Promise<void>((r) => (resolve = r));
    signal = { done: false, promise, resolve };
    preparedKinds.set(spec, signal);
  }
  return signal;
}

/** True when a kind needs no prepare step, or its prepare succeeded and its caches are full. */
export function isPrepared(spec: KindSpec): boolean {
  return !spec.prepare || preparedSignal(spec).done;
}

/**
 * Runs one kind: watches its source and target objects and its relations, and for each source key
 * decides between the cases (only the source, both, only the target, neither) after checking that
 * any target it would touch is provably ours. The kind only builds and compares objects.
 */
export class KindController implements SyncComponent {
  readonly kind: string;
  readonly controller: Controller;
  private readonly spec: KindSpec;
  private readonly env: SyncEnvironment;
  private readonly sourceSide: 'virtual' | 'host';
  private readonly opts: KindControllerOptions;
  private sourceInformer: InformerView<KubeObject> | undefined;
  private targetInformer: InformerView<KubeObject> | undefined;
  /** Where a kind with a prepare step is: not yet tried, checking, waiting to retry, filling caches, ready. */
  private phase: 'idle' | 'preparing' | 'waiting' | 'syncing' | 'ready' = 'idle';
  private lastWaitReason = '';
  private cancelRetry = () => {};
  private stopped = false;
  private readonly relationInformers = new Map<string, Informer<KubeObject>>();
  private readonly latency?: SyncLatencyMetrics;
  private readonly lastSynced: LastSynced;
  /** Source incarnations this controller created itself and the cache has not shown yet. */
  private readonly expectedSourceUid = new Map<string, { uid: string; until: number }>();
  /**
   * Per key, the virtual object's resourceVersions from before labels and annotations this kind wrote
   * up onto it (the plan's and the patched one's): a cached object of one of them has not caught up.
   */
  private readonly metadataUpFrom = new LRUCache<string, ReadonlySet<string>>({
    maxSize: 10_000,
    sizeCalculation: () => 1,
  });
  /**
   * The same for the host copy: per key, its resourceVersions from before the labels and annotations
   * this kind last wrote down onto it. A cached copy at one of them still holds the older values, which
   * would read as the host's own change since the last sync and flow up over the tenant's.
   */
  private readonly metadataDownFrom = new LRUCache<string, ReadonlySet<string>>({
    maxSize: 10_000,
    sizeCalculation: () => 1,
  });
  /**
   * Targets this controller created whose create the target cache has not shown yet, by key, until
   * when to wait for it. A key reconciled again in between (a retry's timer, a related object's
   * change) would otherwise create the target a second time: for a pod, a token minted and stored
   * for nothing and a create the host refuses with AlreadyExists.
   */
  private readonly createdTargetUntil = new Map<string, number>();
  /** Sources refused because a copy of another source holds their name (see nameTaken). */
  private readonly nameWaiters = new NameWaiters();
  /** Keys whose next event continues an urgent flow (see SyncResult.urgentFollowUp). */
  private readonly urgentFollowUps = new Set<string>();
  /** When a change was first seen on each side and not yet synced: for the latency histogram. */
  private readonly virtualChangeSeen = new Map<string, number>();
  private readonly hostChangeSeen = new Map<string, number>();
  /**
   * Source incarnations this replica's cache saw deleted, by key: their copies may go without asking
   * the source's cluster (see sourceCacheBehind). Bounded by maxSize, not max: with max, lru-cache
   * allocates its whole capacity up front, a few hundred kilobytes for each kind's controller.
   */
  private readonly sourceDeletes = new LRUCache<string, string>({
    maxSize: REMEMBERED_SOURCE_DELETES,
    sizeCalculation: () => 1,
  });
  /**
   * Host sources found on the host but not in the cache, since when (see hostCacheBehind).
   * A plain Map, not an LRUCache: lru-cache allocates its whole capacity up front, which for every
   * kind's controller cost megabytes of heap at idle. Entries go once the wait ends or the source is
   * seen (reconcileCases), so it holds only the sources being waited for.
   */
  private readonly hostCacheBehindSince = new Map<string, number>();

  constructor(opts: KindControllerOptions) {
    const { env } = opts;
    const { spec } = opts.kind;
    this.kind = opts.kind.name;
    this.spec = spec;
    this.env = env;
    this.opts = opts;
    this.latency = opts.latencyMetrics;
    this.lastSynced = new LastSynced({ parts: env.informers.parts });
    this.controller = new Controller({
      name: this.kind,
      workers: spec.workers ?? opts.workers,
      reconcile: (key) => this.reconcile(key),
      onTerminalError: (key, err) => this.reportTerminal(key, err),
      onRetriedError: (key, err, failuresBefore) => this.reportRetried(key, err, failuresBefore),
      clock: env.clock,
      logger: env.logger,
      metrics: opts.controllerMetrics,
      unreachable: opts.unreachable,
      queueMetrics: opts.queueMetrics,
    });
    this.sourceSide = spec.direction === 'from-host' ? 'host' : 'virtual';
    // A kind with a prepare step (a custom resource whose CRD may be missing) makes its informers
    // only once prepare succeeds: an informer of an unserved resource would never fill its cache.
    if (!spec.prepare) this.wire();
  }

  /** Makes the kind's informers, handlers, relations and extra setup. */
  private wire(): void {
    const { env, spec, opts } = this;
    const virtualInformer =
      spec.watchVirtual === false ? undefined : env.informers.get(env.virtual, spec.virtualType);
    const hostInformer = hostInformerFor(env, spec);
    [this.sourceInformer, this.targetInformer] =
      this.sourceSide === 'virtual' ? [virtualInformer, hostInformer] : [hostInformer, virtualInformer];

    // A change on the target side (a host pod's status, say) is carried to the source side by writes
    // there alone: it is urgent, and never waits behind creates held up by the target's rate limit.
    const seen = (side: 'virtual' | 'host', key: string | undefined) => {
      if (!key || !this.controller.isStarted) return;
      const map = side === 'virtual' ? this.virtualChangeSeen : this.hostChangeSeen;
      if (!map.has(key)) map.set(key, env.clock.monotonicNow());
      this.controller.enqueue(key, { urgent: side !== this.sourceSide || this.urgentFollowUps.delete(key) });
    };
    const targetSide = this.sourceSide === 'virtual' ? 'host' : 'virtual';
    this.sourceInformer?.addHandlers({
      onAdd: (o) => seen(this.sourceSide, objectKey(o)),
      onUpdate: (_old, o) => seen(this.sourceSide, objectKey(o)),
      onDelete: (o) => {
        // What the key waited for (its token's next check, say) is moot: the reconcile this delete
        // brings asks again for whatever it still needs. A long wait would keep the key in memory.
        this.controller.queue.cancelDelayed(objectKey(o));
        if (this.sourceSide === 'virtual' && o.metadata?.uid)
          this.sourceDeletes.set(objectKey(o), o.metadata.uid);
        seen(this.sourceSide, objectKey(o));
      },
    });
    if (this.targetInformer) {
      this.targetInformer.addIndexer(SOURCE_INDEX(this.kind), (t) => {
        const key = spec.mapper.sourceKeyOf(t);
        return key ? [key] : [];
      });
      this.targetInformer.addHandlers({
        onAdd: (o) => seen(targetSide, spec.mapper.sourceKeyOf(o)),
        onUpdate: (old, o) => {
          const before = spec.mapper.sourceKeyOf(old);
          const after = spec.mapper.sourceKeyOf(o);
          if (before && before !== after) seen(targetSide, before);
          seen(targetSide, after);
        },
        onDelete: (o) => {
          for (const waiting of this.nameWaiters.release(objectKey(o))) seen(targetSide, waiting);
          const copied = spec.mapper.sourceKeyOf(o);
          if (copied) return seen(targetSide, copied);
          // An object that held a target's name without being a copy is gone (an earlier syncer's
          // host object, see copyWithoutKind; a tenant's own object where a mapping shows a host
          // one): the sources that name may now get their copy.
          if (targetSide === 'host')
            seen(targetSide, claimedVirtualKey(o, managedByValue(env, spec.hostType.namespaced)));
          for (const key of spec.mapper.sourceKeysFor?.(objectKey(o)) ?? []) seen(targetSide, key);
        },
      });
    }
    for (const relation of spec.relations ?? []) {
      const follows = relation.whenKind ? opts.kinds.get(relation.whenKind) : undefined;
      if (relation.whenKind && !follows) continue;
      // A relation to the objects of a kind with a prepare step is wired once that kind is ready.
      if (follows && !isPrepared(follows.spec))
        void preparedSignal(follows.spec).promise.then(() => {
          if (this.stopped) return;
          const informer = this.wireRelation(relation);
          // Its cache is full already (the kind it follows waited for it): queue what it concerns.
          if (this.controller.isStarted)
            for (const obj of informer.store.list())
              for (const key of relationKeys(relation, obj)) this.controller.enqueue(key);
        });
      else this.wireRelation(relation);
    }
    spec.setup?.(env, opts.kinds);
  }

  /** True while a kind with a prepare step is checking or filling its caches (not while it waits). */
  get starting(): boolean {
    return this.phase === 'preparing' || this.phase === 'syncing';
  }

  /** Starts reconciling every source object and every target that claims one. */
  start(): void {
    if (!this.spec.prepare) {
      this.startWorkers();
      return;
    }
    if (this.phase === 'idle') void this.prepareAndStart();
  }

  /**
   * Runs the kind's prepare step until it succeeds (every few seconds, logging each new reason it
   * waits for), then makes the informers, waits for their caches and starts the workers. The other
   * kinds run meanwhile.
   */
  private async prepareAndStart(): Promise<void> {
    if (this.stopped) return;
    this.phase = 'preparing';
    let reason: string | undefined;
    try {
      reason = await this.spec.prepare!(this.env);
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
    if (this.stopped) return;
    if (reason !== undefined) {
      if (reason !== this.lastWaitReason)
        this.env.logger.warn('kind waiting before it can start', { kind: this.kind, reason });
      this.lastWaitReason = reason;
      this.phase = 'waiting';
      this.cancelRetry = this.env.clock.setTimer(() => void this.prepareAndStart(), PREPARE_RETRY_MS);
      return;
    }
    this.phase = 'syncing';
    this.wire();
    // Every cache the kind asked for, its setup's too (other kinds' copies it judges references by),
    // not only its source, target and relations: see SyncEnvironment.informers.
    await this.env.informers.waitForSync();
    if (this.stopped) return;
    this.phase = 'ready';
    const signal = preparedSignal(this.spec);
    signal.done = true;
    signal.resolve();
    this.env.logger.info('kind started', { kind: this.kind });
    this.startWorkers();
  }

  private startWorkers(): void {
    const keys = new Set<string>();
    for (const obj of this.sourceInformer?.store.list() ?? []) {
      const key = objectKey(obj);
      if (key) keys.add(key);
    }
    for (const obj of this.targetInformer?.store.list() ?? []) {
      // Guarded as the informer guards its handlers and indexes: this runs in a promise nobody awaits,
      // where one object a mapper cannot read would end the whole process.
      try {
        const key = this.spec.mapper.sourceKeyOf(obj);
        if (key) keys.add(key);
      } catch (err) {
        this.env.logger.warn('a copy whose source cannot be read from it is not reconciled at start', {
          kind: this.kind,
          object: objectKey(obj),
          err,
        });
      }
    }
    for (const [name, informer] of this.relationInformers) {
      const relation = this.spec.relations!.find((r) => r.name === name)!;
      // Keys such a relation gives are its kind's own sources, listed above already (a namespace's
      // pods): asking each related object for them again would cost objects × sources at start.
      if (relation.unindexed) continue;
      for (const obj of informer.store.list()) for (const key of relationKeys(relation, obj)) keys.add(key);
    }
    this.controller.start(keys);
  }

  stop(deadlineMs: number): Promise<boolean> {
    this.stopped = true;
    this.cancelRetry();
    return this.controller.stop(deadlineMs);
  }

  private wireRelation(relation: NonNullable<KindSpec['relations']>[number]): Informer<KubeObject> {
    const client = relation.cluster === 'virtual' ? this.env.virtual : this.env.host;
    const informer = this.env.informers.get(client, relation.type, relation.scope, {
      optional: relation.optional,
    });
    if (!relation.unindexed)
      informer.addIndexer(this.relationIndex(relation.name), (obj) => relation.keys(obj));
    const changed = (...objs: KubeObject[]) => {
      if (!this.controller.isStarted) return;
      for (const obj of objs) for (const key of relationKeys(relation, obj)) this.controller.enqueue(key);
    };
    informer.addHandlers({
      onAdd: (o) => changed(o),
      onUpdate: (old, o) => {
        const keysMoved =
          relation.membershipOnly && !sameKeys(relationKeys(relation, old), relationKeys(relation, o));
        if (!keysMoved) {
          if (relation.membershipOnly && !relation.changed) return;
          if (relation.changed && !relationChanged(relation, old, o)) return;
        }
        changed(old, o);
      },
      onDelete: (o) => changed(o),
    });
    this.relationInformers.set(relation.name, informer);
    return informer;
  }

  private relationIndex(name: string): string {
    return `${this.kind}/${name}`;
  }

  private context(key: string, targetKey: string | undefined, pending: PendingMetadata): ReconcileContext {
    const { env } = this;
    const [virtualKey, hostKey] = this.sourceSide === 'virtual' ? [key, targetKey] : [targetKey ?? '', key];
    const { namespace, name } = splitKey(virtualKey);
    return {
      ...env,
      host: pending.hostWrites,
      key,
      virtualKey,
      virtualNamespace: namespace,
      virtualName: name,
      hostName: hostKey ? splitKey(hostKey).name : '',
      retries: this.controller.queue.numRequeues(key),
      log: env.logger.child({ kind: this.kind, object: key }),
      related: (relation, relatedKey = key) =>
        this.relationInformers.get(relation)?.store.byIndex(this.relationIndex(relation), relatedKey) ?? [],
      expectSourceUid: (uid) => {
        this.expectedSourceUid.set(key, { uid, until: env.clock.monotonicNow() + EXPECTATION_TIMEOUT_MS });
      },
      planMetadata: (virtual, host, desiredHost) => {
        const behind = this.metadataUpFrom.get(key);
        const hostBehind = this.metadataDownFrom.get(key);
        if (
          behind?.has(virtual.metadata?.resourceVersion ?? '') ||
          hostBehind?.has(host.metadata?.resourceVersion ?? '')
        ) {
          // A cache has not shown this kind's own write yet: its older labels would read as the
          // tenant's changes (and revert what the host did), or the host's (and flow up over the
          // tenant's). Nothing changes now and nothing is remembered; the write's own event brings
          // the key back.
          return unchangedMetadata(host);
        }
        if (behind) this.metadataUpFrom.delete(key);
        if (hostBehind) this.metadataDownFrom.delete(key);
        const last = this.lastSynced.get(this.kind, key, virtual, host);
        const plan = planMetadata({
          virtual,
          host,
          desiredHost,
          last,
          vcName: env.vcName,
          hostOnly: this.spec.hostOnlyMetadata,
          tenantOverridesHostKeys: env.tenantOverridesHostMetadata === true,
        });
        pending.plan = plan;
        pending.pair = [virtual, host];
        pending.hostWrites.follow(host.metadata?.uid);
        return plan;
      },
      noteMetadataUp: (fromResourceVersion) => {
        const versions = [pending.pair?.[0].metadata?.resourceVersion, fromResourceVersion].filter(
          (v): v is string => !!v,
        );
        if (versions.length) this.metadataUpFrom.set(key, new Set(versions));
      },
    };
  }

  private async reconcile(key: string): Promise<SyncResult> {
    try {
      return await this.reconcileCases(key);
    } catch (err) {
      if (isAnnotationsTooLong(err))
        throw new TerminalError(annotationsTooLongText(err), 'SyncError', { fromApiServer: true });
      if (isTooLargeForHost(err))
        // Tried again a minute later, then less often: a namespace's Services may go.
        throw new TerminalError(tooLargeForHostText(this.spec.virtualType.kind, err), 'SyncError', {
          fromApiServer: true,
          retryAfterMs: ADMISSION_DENIAL_RETRY_MS,
          retryBacksOff: true,
        });
      if (isAdmissionDenial(err) && err.cluster === 'host')
        // A host policy or webhook refused it as invalid: said as the host's refusal it is, and tried
        // again a minute later, then less often (the controller backs the retry off), as the admin
        // may lift it.
        throw new TerminalError(`the host cluster rejected the object: ${err.serverMessage}`, 'SyncError', {
          fromApiServer: true,
          retryAfterMs: ADMISSION_DENIAL_RETRY_MS,
          retryBacksOff: true,
        });
      if (isApiError(err, 'forbidden') && err.cluster === 'host') {
        // The host refused (admission, quota, policy): tell the tenant why, keep retrying with backoff
        // in case the host side changes. Repeats fold into one event with a count.
        await this.reportTerminal(
          key,
          new TerminalError(`the host cluster rejected the object: ${err.serverMessage}`, 'SyncError', {
            fromApiServer: true,
          }),
        );
      }
      throw err;
    }
  }

  private async reconcileCases(key: string): Promise<SyncResult> {
    const { spec } = this;
    this.nameWaiters.forget(key);
    const pending: PendingMetadata = { hostWrites: new NotedHostWrites(this.env.host) };
    const sourceObj = this.sourceInformer?.store.get(key);
    // After this kind replaced the source itself, both caches catch up on their own time: the new
    // source, and the target's record of it. Until both show it, wait rather than act on either.
    const expected = this.expectedSourceUid.get(key);
    const replacing = expected !== undefined && this.env.clock.monotonicNow() < expected.until;
    if (expected && !replacing) this.expectedSourceUid.delete(key);
    if (replacing && sourceObj?.metadata?.uid !== expected.uid) return { requeueAfterMs: 100 };
    const source = sourceObj;
    if (source && this.hostCacheBehindSince.size) this.hostCacheBehindSince.delete(key);
    const targetKey = spec.mapper.targetKey(key, source);
    const ctx = this.context(key, targetKey, pending);
    const inTheWay = targetKey ? this.targetInformer?.store.get(targetKey) : undefined;
    const owned = this.targetInformer?.store.byIndex(SOURCE_INDEX(this.kind), key) ?? [];
    // Objects another tool controls (vCluster's controlled-by) are left alone, on either side; but
    // an opt-out never holds up a deletion (a tenant could otherwise keep a host copy running past
    // its object's end), and a copy that names other copies goes (see KindSpec.copyNamesOtherCopies).
    if (sourceControlledElsewhere(spec, sourceObj, this.kind) && !sourceObj?.metadata?.deletionTimestamp) {
      let removed: SyncResult = {};
      if (spec.copyNamesOtherCopies)
        for (const copy of owned)
          if (!isControlledElsewhere(copy, this.kind)) removed = merge(removed, await this.remove(ctx, copy));
      this.observeLatency(key, removed);
      return removed;
    }
    const target = inTheWay && spec.mapper.sourceKeyOf(inTheWay) === key ? inTheWay : undefined;
    if (targetControlledElsewhere(spec, target, this.kind)) {
      // Its changes are someone else's to carry: none waits on this syncer (and its time seen would
      // otherwise be kept, and counted once it is this syncer's again).
      this.observeLatency(key, {});
      return {};
    }
    const wanted = spec.wanted ? spec.wanted(ctx, source) : source !== undefined;
    // Whatever the kind wants of a key without a source (a claim's shown volume, say), a source the
    // cache does not show is first proven gone: the kind acts on its absence.
    if (!source && (await this.sourceCacheBehind(key, target ? [target, ...owned] : owned))) {
      ctx.log.info('the copy stands for a source this cache has not shown yet; waiting for the source cache');
      return { requeueAfterMs: SOURCE_CACHE_BEHIND_RECHECK_MS };
    }

    let result: SyncResult = {};
    // Copies of this key under another name (the naming changed, or the source moved) are not wanted.
    for (const stale of owned) {
      if (stale === target) continue;
      if (wanted && objectKey(stale) === targetKey) continue;
      const ownedByOther = this.otherSourceRecordedBy(key, stale);
      if (ownedByOther) {
        // Its name records this key, its UID another source (its metadata was edited on the host): it
        // is that source's copy, running perhaps, and deleting it would lose what the tenant has.
        ctx.log.warn(
          `host object ${objectKey(stale)} records this key but the UID of ${ownedByOther}: left alone (its vcluster.loft.sh/object-* annotations were changed on the host)`,
        );
        continue;
      }
      result = merge(result, await this.remove(ctx, stale));
    }
    // The cache shows what holds the target's name now: nothing created earlier is awaited any more.
    if (inTheWay || !wanted) this.createdTargetUntil.delete(key);
    if (wanted) {
      if (inTheWay && !target) {
        // Its delete, whoever makes it or however long a finalizer holds it, brings this key back.
        this.nameWaiters.wait(key, objectKey(inTheWay));
        if (await spec.replaceInTheWay?.(ctx, inTheWay))
          return { requeueAfterMs: REPLACED_IN_THE_WAY_RECHECK_MS };
        // An earlier syncer's copy of this very object (vCluster 0.19's, without the kind): taken over.
        if (
          this.sourceSide === 'virtual' &&
          source &&
          (await this.tookOverEarlierCopy(ctx, inTheWay, source))
        )
          return { hostWritten: true };
        // Another synced object or someone else's object already has this name: never touch it.
        this.observeLatency(key, {});
        return this.nameTaken(ctx, inTheWay);
      }
      const recordedUid = target && spec.mapper.sourceUidOf?.(target);
      if (replacing && recordedUid === expected.uid) this.expectedSourceUid.delete(key);
      if (
        target &&
        !this.mayDelete(target) &&
        (recordedUid === undefined || recordedUid !== source?.metadata?.uid)
      ) {
        // A copy that does not prove it is this virtual cluster's (Mapper.deletable: vCluster's own
        // cluster-scoped copies) is taken only when made from this very object. Another virtual
        // cluster's copy can read the same; updating it would hand it the proof, and the tenant could
        // then replace or delete it.
        this.observeLatency(key, {});
        ctx.log.warn(
          `host copy ${objectKey(target)} records no host namespace and was made from another ${spec.virtualType.kind} of this name: not taken over; if it is this virtual cluster's, annotate it ${OBJECT_HOST_NAMESPACE_ANNOTATION}=${this.env.hostNamespace}`,
        );
        throw new TerminalError(
          `cannot sync ${spec.virtualType.kind} ${key}: its host name is held by ${objectKey(target)}, a copy made by vCluster or an earlier syncer from another object of that name, which may be another virtual cluster's (it records no host namespace); if it is this virtual cluster's, the host admin can mark it so (see the syncer's log)`,
        );
      }
      const adopts =
        typeof spec.adoptsEarlierIncarnations === 'function'
          ? spec.adoptsEarlierIncarnations(source)
          : spec.adoptsEarlierIncarnations === true;
      const adopted = adopts && !target?.metadata?.deletionTimestamp;
      if (target && recordedUid !== undefined && recordedUid !== source?.metadata?.uid && !adopted) {
        // Our own replacement: the target's new record is written, its cache has not seen it yet.
        if (replacing) return { requeueAfterMs: 100 };
        // (A copy that may not be deleted never gets here: see the refusal above.)
        const refusal = source && spec.earlierIncarnationRefusal?.(source, target);
        if (refusal) {
          this.observeLatency(key, {});
          throw new TerminalError(refusal, 'SyncError', { retryAfterMs: NAME_TAKEN_RECHECK_MS });
        }
        const kept = spec.keptBecause?.(ctx, target);
        if (kept && source && !target.metadata?.deletionTimestamp) {
          // Deleting it would free its (ambiguous) name while it is still in use (a host pod mounts
          // it): another object could take the name and reach that pod. The new incarnation takes it
          // over in place instead; if it cannot (an immutable copy), the copy stays as it is.
          ctx.log.info(
            `target belongs to an earlier incarnation but is kept (${kept}); taken over in place where it can be`,
          );
          result = merge(result, await spec.update(ctx, source, target));
        } else if (!target.metadata?.deletionTimestamp && this.mayDelete(target)) {
          // The target belongs to an earlier incarnation of the source: replace it. Its delete event
          // brings us back here to create the new copy; while it terminates, wait. Unless the source
          // cache is what is behind (a replica that has just taken the lease, whose cache has not seen
          // the source the target was made for): the source is asked, not the cache.
          if ((await this.liveSourceUid(key)) === recordedUid) {
            ctx.log.info('target is the copy of the source as it is now; waiting for the source cache');
            return { requeueAfterMs: SOURCE_CACHE_BEHIND_RECHECK_MS };
          }
          ctx.log.info('target belongs to an earlier incarnation, deleting it');
          result = merge(result, await this.deleteObject(this.targetClient(), spec, target));
        }
      } else if (target) {
        result = merge(result, await this.update(ctx, source, target));
      } else {
        const waitMs = this.createdTargetWait(key);
        if (waitMs > 0) {
          // Its event brings the key back (a target event enqueues its source key); the requeue only
          // covers a target deleted before the cache ever showed it.
          ctx.log.debug('created the target, its cache has not shown it yet');
          result = merge(result, { requeueAfterMs: Math.min(waitMs, CREATED_TARGET_RECHECK_MS) });
        } else {
          const created = await spec.create(ctx, source);
          if (created.createdTarget)
            this.createdTargetUntil.set(key, this.env.clock.monotonicNow() + EXPECTATION_TIMEOUT_MS);
          if (created.created && source && this.sourceSide === 'virtual')
            this.lastSynced.setCreated(this.kind, key, source, created.created);
          delete created.created;
          result = merge(result, created);
        }
      }
    } else if (target) {
      result = merge(result, await this.remove(ctx, target));
    } else if (!source && spec.leftovers) {
      result = merge(result, await spec.leftovers(ctx));
    }
    if (pending.plan && pending.pair) {
      // A plan the host does not hold (the kind left the copy as it was) is no sync: the snapshot
      // before it still says what both sides held when they last agreed.
      if (pending.hostWrites.holds(pending.plan)) {
        this.lastSynced.set(this.kind, key, pending.pair[0], pending.pair[1], pending.plan);
        const from = [pending.pair[1].metadata?.resourceVersion, pending.hostWrites.updatedFrom];
        if (pending.plan.hostChanged)
          this.metadataDownFrom.set(key, new Set(from.filter((v): v is string => !!v)));
      }
    } else if (!wanted) {
      this.lastSynced.delete(this.kind, key);
    }
    this.observeLatency(key, result);
    if (result.urgentFollowUp) {
      // The echo is the next source-side event, taken urgently whenever it comes. What is queued
      // already moves ahead too: the echo, if it came in while this reconcile ran, or another change
      // of the target (a host pod's status), which does not make the echo come any sooner.
      this.urgentFollowUps.add(key);
      if (this.controller.queue.isQueued(key)) this.controller.enqueue(key, { urgent: true });
    }
    return result;
  }

  /**
   * Brings the copy in line with its source. A copy that names other copies (by host name or address)
   * is only safe while it follows its source, and a tenant can make the host refuse every update of
   * it: annotations the virtual API server took grow past the host's limit once the syncer's records
   * are added. Such a copy is removed rather than left frozen, naming what its source has given up
   * (a pod's address, a Service's host name), which another tenant's object may hold next; its delete
   * event brings the key back to make it again, and the host's refusal of that is told to the tenant.
   * Only that refusal of the copy's own write counts: others may pass (a host starting, a webhook's
   * error) or are a host policy's to keep (re-made, the copy would get past a policy on updates).
   */
  private async update(ctx: ReconcileContext, source: KubeObject | undefined, target: KubeObject) {
    try {
      return await this.spec.update(ctx, source, target);
    } catch (err) {
      const frozen = isAnnotationsTooLong(err) && err.detailsName === target.metadata?.name;
      if (!frozen || !this.spec.copyNamesOtherCopies || this.sourceSide !== 'virtual') throw err;
      ctx.log.warn(
        `the host refuses every update of ${objectKey(target)} (its annotations are too long), which names other copies: removing it`,
      );
      return this.remove(ctx, target);
    }
  }

  /** How much longer to wait for the cache to show a target this controller created (0: no wait). */
  private createdTargetWait(key: string): number {
    const until = this.createdTargetUntil.get(key);
    if (until === undefined) return 0;
    const left = until - this.env.clock.monotonicNow();
    if (left <= 0) this.createdTargetUntil.delete(key);
    return Math.max(0, left);
  }

  /**
   * Writes the kind annotation on an earlier syncer's copy of the source (earlierCopyOf), that very
   * object (its UID), so that it is the source's copy from now on: its update event brings the key
   * back, to be synced as any copy is. Whether it did.
   */
  private async tookOverEarlierCopy(
    ctx: ReconcileContext,
    copy: KubeObject,
    source: KubeObject,
  ): Promise<boolean> {
    const managedBy = managedByValue(ctx, this.spec.hostType.namespaced);
    if (!earlierCopyOf(copy, source, managedBy, ctx.virtualKey)) return false;
    await ctx.host.patch(
      this.spec.hostType,
      copy.metadata?.namespace ?? '',
      copy.metadata?.name ?? '',
      {
        metadata: {
          uid: copy.metadata?.uid,
          annotations: { [OBJECT_KIND_ANNOTATION]: groupVersionKindString(this.spec.virtualType) },
        },
      },
      'merge',
    );
    ctx.log.info(
      "took over the copy an earlier syncer made without the kind annotation (vCluster 0.19 or older): it records this object's UID",
    );
    return true;
  }

  private nameTaken(ctx: ReconcileContext, inTheWay: KubeObject): never {
    const holder = objectKey(inTheWay);
    this.nameWaiters.wait(ctx.key, holder);
    // The reconcile may have awaited writes since it looked: a holder deleted meanwhile was not
    // waited for when its delete came, so look again rather than refuse for good.
    if (!this.targetInformer?.store.get(holder)) {
      this.nameWaiters.forget(ctx.key);
      throw new WaitingError(`the object that held the host name of ${ctx.key} is gone`);
    }
    if (this.sourceSide === 'host') {
      // A tenant's own object of that name (a node they made): theirs to keep; we show nothing there.
      ctx.log.debug('virtual object of that name is not ours, leaving it');
      throw new TerminalError(
        `a ${this.spec.virtualType.kind} named ${objectKey(inTheWay)} exists and is not managed by the syncer`,
      );
    }
    refuseEarlierCopy(this.spec, ctx, inTheWay);
    throw new TerminalError(
      `cannot sync ${this.spec.virtualType.kind} ${ctx.key}: its host name is already used by another object that is not this object's copy`,
    );
  }

  /**
   * The key of another source whose UID a copy recorded under `key` carries, or undefined: such a copy
   * is that source's, whose recorded name or namespace was changed on the host. Read only for copies
   * about to go under another name, which are rare, so the source cache is scanned.
   */
  private otherSourceRecordedBy(key: string, copy: KubeObject): string | undefined {
    const uid = this.spec.mapper.sourceUidOf?.(copy);
    if (!uid || !this.sourceInformer) return undefined;
    const source = this.sourceInformer.store.list().find((s) => s.metadata?.uid === uid);
    const sourceKey = source && objectKey(source);
    return sourceKey !== key ? sourceKey : undefined;
  }

  /**
   * Whether copies about to go because the source cache lacks their source stand for a source that
   * exists: the cache is behind. A replica that has just taken the lease may see the old leader's
   * copy of a source its own watch has not delivered yet; deleting it would kill a running pod, free
   * a Service's address, or take a real node (and the pods bound to it) or a class from the tenant.
   * Whatever incarnation exists, the cache is what is behind: once it shows the source, its copies
   * are judged as ever (taken over, or replaced). A delete this cache saw, or a read finding nothing,
   * proves the source gone; it is remembered, so that copies kept for a while (a host pod still
   * mounts them) are not read for again and again. A host source's cache leaves out what a selector
   * or a mapping does not name, which must go: one found is waited for only while the cache would
   * list it (Informer.covers), and for a minute at most.
   */
  private async sourceCacheBehind(key: string, copies: readonly KubeObject[]): Promise<boolean> {
    const recorded = (copy: KubeObject) => this.spec.mapper.sourceUidOf?.(copy);
    const deleted = this.sourceDeletes.get(key);
    if (
      !this.sourceInformer ||
      copies.length === 0 ||
      (deleted !== undefined && copies.every((c) => [deleted, undefined].includes(recorded(c))))
    ) {
      // No wait goes on for this key (a later one starts afresh).
      this.hostCacheBehindSince.delete(key);
      return false;
    }
    if (this.sourceSide === 'host') return this.hostCacheBehind(key);
    if ((await this.liveSourceUid(key)) !== undefined) return true;
    const uids = new Set(copies.map(recorded));
    if (uids.size === 1) this.sourceDeletes.set(key, [...uids][0] ?? '');
    return false;
  }

  /** sourceCacheBehind for a host source: read it, and wait for it while the cache would list it. */
  private async hostCacheBehind(key: string): Promise<boolean> {
    const { namespace, name } = splitKey(key);
    let live: KubeObject;
    try {
      live = await this.env.host.get(this.spec.hostType, namespace, name);
    } catch (err) {
      // Gone: the copies go. Not readable (RBAC): the cache is all there is to go by, as before. Any
      // other failure (a timeout, a proxy's unnamed 404) proves nothing: tried again, copies kept.
      const gone = isNotFoundNaming(err, name);
      if (!gone && !isApiError(err, 'forbidden') && !isApiError(err, 'unauthorized'))
        throw new WaitingError(
          `the host could not be asked whether ${key} exists (${err instanceof Error ? err.message : String(err)}); its copies are kept`,
        );
      this.hostCacheBehindSince.delete(key);
      if (gone) this.sourceDeletes.set(key, '');
      return false;
    }
    if (!this.sourceInformer?.covers(live)) {
      this.hostCacheBehindSince.delete(key);
      return false;
    }
    const now = this.env.clock.monotonicNow();
    const since = this.hostCacheBehindSince.get(key) ?? now;
    if (now - since < HOST_CACHE_BEHIND_MAX_MS) {
      this.hostCacheBehindSince.set(key, since);
      return true;
    }
    this.hostCacheBehindSince.delete(key);
    this.env.logger.warn(
      'the host cache has not shown a source the host has; its copies go as the cache says',
      {
        kind: this.kind,
        object: key,
        waitedMs: HOST_CACHE_BEHIND_MAX_MS,
      },
    );
    return false;
  }

  /**
   * The source's UID as its cluster has it now (undefined: no such object), not as the cache does.
   * Only a NotFound naming the object proves it absent: one naming none is the resource's (a CRD
   * whose version the tenant stopped serving), and must not read as every object gone.
   */
  private async liveSourceUid(key: string): Promise<string | undefined> {
    const { namespace, name } = splitKey(key);
    const client = this.sourceSide === 'virtual' ? this.env.virtual : this.env.host;
    const type = this.sourceSide === 'virtual' ? this.spec.virtualType : this.spec.hostType;
    try {
      return (await client.get(type, namespace, name)).metadata?.uid;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      if (isNotFoundNaming(err, name)) return undefined;
      throw new WaitingError(
        `the ${this.sourceSide} API server answered NotFound for ${type.resource} without naming ${key}: it may not serve the resource now; its copies are kept`,
      );
    }
  }

  private targetClient(): ClusterClient {
    return this.sourceSide === 'virtual' ? this.env.host : this.env.virtual;
  }

  /** Whether a copy taken for ours may be deleted (Mapper.deletable; absent: always). */
  private mayDelete(target: KubeObject): boolean {
    return this.spec.mapper.deletable?.(target) !== false;
  }

  /** Removes a copy that is not wanted, unless the mapper says it may not be deleted. */
  private async remove(ctx: ReconcileContext, target: KubeObject): Promise<SyncResult> {
    if (!this.mayDelete(target)) {
      ctx.log.info(
        `target ${objectKey(target)} is not wanted but is left in place: nothing proves it is not another virtual cluster's`,
      );
      return {};
    }
    if (this.spec.remove) return this.spec.remove(ctx, target);
    return this.deleteObject(this.targetClient(), this.spec, target);
  }

  /** Deletes a target object, only the incarnation we saw (UID precondition). */
  private async deleteObject(client: ClusterClient, spec: KindSpec, obj: KubeObject): Promise<SyncResult> {
    const type: ResourceType = this.sourceSide === 'virtual' ? spec.hostType : spec.virtualType;
    await deleteIncarnation(client, type, obj);
    return this.sourceSide === 'virtual' ? { hostWritten: true } : { virtualWritten: true };
  }

  /**
   * Observes change-seen → written for each direction that was written. A reconcile that returns
   * has dealt with every change seen so far (a failed one throws and keeps them for its retry).
   */
  private observeLatency(key: string, result: SyncResult): void {
    const elapsed = this.env.clock.monotonicNow();
    const down = this.virtualChangeSeen.get(key);
    if (down !== undefined && result.hostWritten)
      this.latency?.syncLatency(this.kind, 'virtual-to-host', (elapsed - down) / 1000);
    const up = this.hostChangeSeen.get(key);
    if (up !== undefined && result.virtualWritten)
      this.latency?.syncLatency(this.kind, 'host-to-virtual', (elapsed - up) / 1000);
    // From an object's creation timestamp, which is wall-clock time.
    const now = this.env.clock.now();
    this.virtualChangeSeen.delete(key);
    this.hostChangeSeen.delete(key);
    for (const [direction, from] of Object.entries(result.tenantWaitFrom ?? {})) {
      const written = direction === 'virtual-to-host' ? result.hostWritten : result.virtualWritten;
      if (written && Number.isFinite(from))
        this.latency?.tenantWait(this.kind, direction as 'virtual-to-host', Math.max(0, (now - from) / 1000));
    }
  }

  /** Tells the tenant, on the virtual object, why it cannot be synced (host names scrubbed). */
  /**
   * A write the API server keeps answering with an error (a conflict with another writer, a server
   * error) is told to the tenant as vCluster tells it, `SyncError` "Error syncing: ...", at the second
   * failure in a row (one conflict is a cache a moment behind, not worth a word), once per run of
   * failures and per message (each count would be a write the tenant did not cause). Only API servers' answers, and
   * of those only a conflict's own words (it names the object, scrubbed): a server error's may name
   * the host's webhooks, addresses, policies or quotas, and a network error the host's address.
   */
  private async reportRetried(key: string, err: unknown, failuresBefore: number): Promise<void> {
    // Once per run of failures: an outage of the host failing every key must not become a write per
    // key and retry to the virtual cluster. A conflict only at the third in a row: two come of an
    // ordinary race (a tenant's resize, the kubelet's status and the syncer's write up).
    if (!isApiError(err) || this.sourceSide !== 'virtual') return;
    if (failuresBefore !== (err.kind === 'conflict' ? 2 : 1)) return;
    // The host's refusal (a quota, a policy) is told in its own words already (see reconcile).
    if (err.kind === 'forbidden' && err.cluster === 'host') return;
    const virtual = this.sourceInformer?.store.get(key);
    if (!virtual) return;
    const server = `the ${err.cluster === 'host' ? 'host' : 'virtual'} cluster's API server`;
    const what =
      err.kind === 'conflict' && err.serverMessage
        ? err.serverMessage
        : err.kind === 'network'
          ? `${server} could not be reached; trying again`
          : `${server} answered ${err.statusCode}${err.reason ? ` ${err.reason}` : ''}; trying again`;
    const message = scrubHostNames(
      `Error syncing: ${what}`,
      { vcName: this.env.vcName, hostNamespace: this.env.hostNamespace },
      { keepForeignNames: false },
    );
    await this.env.events.record(virtual, 'Warning', 'SyncError', message, { once: true });
  }

  /** Whether the cache holds the copy of this source (its target, claiming the key). */
  private hasCopy(key: string, source: KubeObject): boolean {
    const targetKey = this.spec.mapper.targetKey(key, source);
    const target = targetKey ? this.targetInformer?.store.get(targetKey) : undefined;
    return target !== undefined && this.spec.mapper.sourceKeyOf(target) === key;
  }

  private async reportTerminal(key: string, err: TerminalError): Promise<void> {
    if (this.sourceSide !== 'virtual') return;
    const virtual = this.sourceInformer?.store.get(key);
    if (!virtual) return;
    const message = scrubHostNames(
      err.message,
      { vcName: this.env.vcName, hostNamespace: this.env.hostNamespace },
      // The syncer's own refusals name what the tenant wrote; an API server's may name anyone's objects.
      { keepForeignNames: !err.fromApiServer },
    );
    await this.env.events.record(virtual, 'Warning', err.reason, message);
    // Only an object that has no copy: one that has is shown the copy's status, which the next sync
    // would write over the refusal (and the refusal over it again, without end).
    if (!this.spec.onRefused || this.hasCopy(key, virtual)) return;
    try {
      await this.spec.onRefused(virtual, message, this.env.virtual, this.env.clock.now());
    } catch (refusedErr) {
      // Said by the event already; the error being reported stays the one that counts.
      this.env.logger.warn('could not write the refusal to the object', {
        kind: this.kind,
        object: key,
        err: refusedErr,
      });
    }
  }
}

/** The keys a related object concerns; none when the object cannot be read (a malformed tenant object). */
function relationKeys(relation: Relation, obj: KubeObject): string[] {
  try {
    return relation.keys(obj);
  } catch {
    return [];
  }
}

/** Whether an update of a related object matters; a malformed tenant object's does not. */
function relationChanged(relation: Relation, old: KubeObject, current: KubeObject): boolean {
  try {
    return relation.changed!(old, current);
  } catch {
    return false;
  }
}

function sameKeys(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((k) => set.has(k));
}

/** A plan that leaves both sides' labels and annotations as the host has them. */
function unchangedMetadata(host: KubeObject): MetadataPlan {
  return {
    host: { labels: { ...host.metadata?.labels }, annotations: { ...host.metadata?.annotations } },
    hostChanged: false,
    virtualChanged: false,
  };
}

function merge(a: SyncResult, b: SyncResult): SyncResult {
  const out: SyncResult = {
    hostWritten: a.hostWritten || b.hostWritten,
    virtualWritten: a.virtualWritten || b.virtualWritten,
  };
  if (a.tenantWaitFrom || b.tenantWaitFrom) out.tenantWaitFrom = { ...a.tenantWaitFrom, ...b.tenantWaitFrom };
  if (a.urgentFollowUp || b.urgentFollowUp) out.urgentFollowUp = true;
  if (a.createdTarget || b.createdTarget) out.createdTarget = true;
  const after = [a.requeueAfterMs, b.requeueAfterMs].filter((v): v is number => v !== undefined);
  if (after.length) out.requeueAfterMs = Math.min(...after);
  if (!out.hostWritten) delete out.hostWritten;
  if (!out.virtualWritten) delete out.virtualWritten;
  return out;
}

/**
 * Creates the host copy of the object being reconciled; a name already taken becomes the right
 * error (see explainAlreadyExists).
 */
export async function createHostCopy(
  ctx: ReconcileContext,
  spec: KindSpec,
  copy: KubeObject,
): Promise<SyncResult> {
  let created: KubeObject;
  try {
    created = await ctx.host.create(spec.hostType, ctx.hostNamespace, copy);
  } catch (err) {
    return explainAlreadyExists(ctx, spec, err);
  }
  ctx.log.debug('created host copy');
  return { hostWritten: true, createdTarget: true, created };
}

/** The refusal when the host object holding an object's host name is an earlier syncer's copy of it. */
function refuseEarlierCopy(spec: KindSpec, ctx: ReconcileContext, holder: KubeObject): void {
  if (copyWithoutKind(holder, managedByValue(ctx, spec.hostType.namespaced), ctx.virtualKey))
    throw new TerminalError(`cannot sync ${spec.virtualType.kind} ${ctx.virtualKey}: ${COPY_WITHOUT_KIND}`);
}

/**
 * Turns a create that failed with AlreadyExists into the right error: a conflict to retry when the
 * existing object is ours (our cache is behind), a terminal error when it belongs to someone else.
 */
export async function explainAlreadyExists(
  ctx: ReconcileContext,
  spec: KindSpec,
  err: unknown,
): Promise<never> {
  if (!isApiError(err, 'alreadyExists')) throw err;
  let existing: KubeObject | undefined;
  try {
    existing = await ctx.host.get(spec.hostType, ctx.hostNamespace, ctx.hostName);
  } catch (getErr) {
    if (!isNotFound(getErr)) throw getErr;
  }
  if (existing && spec.mapper.sourceKeyOf(existing) === ctx.key) throw err;
  refuseHeldName(ctx, spec, existing);
}

/** Refuses a source whose host name `existing`, not its copy, holds (or held a moment ago). */
export function refuseHeldName(
  ctx: ReconcileContext,
  spec: KindSpec,
  existing: KubeObject | undefined,
): never {
  if (existing) refuseEarlierCopy(spec, ctx, existing);
  // Its owner may delete it, and the host informers (this virtual cluster's objects only) would not
  // tell: looked at again now and then.
  throw new TerminalError(
    `cannot sync ${spec.virtualType.kind} ${ctx.virtualKey}: an object with the same name already exists in the host namespace and is not managed by this virtual cluster`,
    'SyncError',
    { retryAfterMs: NAME_TAKEN_RECHECK_MS },
  );
}
