import { Controller, type ControllerMetrics } from '../controller/controller.ts';
import { TerminalError } from '../controller/errors.ts';
import type { Informer } from '../informer/informer.ts';
import { isApiError, isNotFound } from '../kube/errors.ts';
import { objectKey, splitKey, type KubeObject } from '../kube/object.ts';
import { hostName } from '../naming/names.ts';
import {
  CONTROLLED_BY_LABEL,
  MANAGED_BY_LABEL,
  OBJECT_NAME_ANNOTATION,
  OBJECT_NAMESPACE_ANNOTATION,
  OBJECT_UID_ANNOTATION,
} from '../naming/labels.ts';
import type { WorkQueueMetrics } from '../workqueue/metrics.ts';
import type { SyncComponent } from './registry.ts';
import { scrubHostNames } from './scrub.ts';
import type { ReconcileContext, SyncEnvironment, SyncResult, Translator } from './translator.ts';

/** Observes how long a change took to reach the other cluster. */
export interface SyncLatencyMetrics {
  syncLatency(kind: string, direction: 'virtual-to-host' | 'host-to-virtual', seconds: number): void;
}

export interface GenericSyncerOptions {
  env: SyncEnvironment;
  translator: Translator;
  workers: number;
  controllerMetrics?: ControllerMetrics;
  queueMetrics?: WorkQueueMetrics;
  latencyMetrics?: SyncLatencyMetrics;
}

/**
 * Runs one translator: watches its kind on both sides, maps host objects back to the virtual
 * object they claim, and on each key decides between the three cases (only virtual, both, only
 * host). A host object is touched only when it carries our managed-by label and its annotations
 * name the virtual object being reconciled.
 */
export class GenericSyncer implements SyncComponent {
  readonly controller: Controller;
  private readonly env: SyncEnvironment;
  private readonly translator: Translator;
  private readonly virtualInformer: Informer<KubeObject>;
  private readonly hostInformer: Informer<KubeObject>;
  private readonly latency?: SyncLatencyMetrics;
  /** When a change was first seen on each side and not yet synced: for the latency histogram. */
  private readonly virtualChangeSeen = new Map<string, number>();
  private readonly hostChangeSeen = new Map<string, number>();

  constructor(opts: GenericSyncerOptions) {
    this.env = opts.env;
    this.translator = opts.translator;
    this.latency = opts.latencyMetrics;
    const { env, translator } = opts;
    this.controller = new Controller({
      name: translator.kind,
      workers: opts.workers,
      reconcile: (key) => this.reconcile(key),
      onTerminalError: (key, err) => this.reportTerminal(key, err),
      clock: env.clock,
      logger: env.logger,
      metrics: opts.controllerMetrics,
      queueMetrics: opts.queueMetrics,
    });
    this.virtualInformer = env.informers.get(env.virtual, translator.virtualType);
    this.hostInformer = env.informers.get(env.host, translator.hostType, {
      namespace: translator.hostType.namespaced ? env.hostNamespace : '',
      labelSelector: `${MANAGED_BY_LABEL}=${env.vcName}`,
    });
    this.virtualInformer.addHandlers({
      onAdd: (obj) => this.virtualChanged(obj),
      onUpdate: (_old, obj) => this.virtualChanged(obj),
      onDelete: (obj) => this.virtualChanged(obj),
    });
    this.hostInformer.addHandlers({
      onAdd: (obj) => this.hostChanged(obj),
      onUpdate: (_old, obj) => this.hostChanged(obj),
      onDelete: (obj) => this.hostChanged(obj),
    });
    translator.setup?.(env, (key) => this.controller.enqueue(key));
  }

  get kind(): string {
    return this.translator.kind;
  }

  /** Starts reconciling every virtual object and every host object that claims one. */
  start(): void {
    const keys = new Set<string>();
    for (const obj of this.virtualInformer.store.list())
      if (!obj.metadata?.labels?.[CONTROLLED_BY_LABEL]) keys.add(objectKey(obj));
    for (const obj of this.hostInformer.store.list()) {
      const key = claimedVirtualKey(obj);
      if (key) keys.add(key);
    }
    this.controller.start(keys);
  }

  stop(deadlineMs: number): Promise<boolean> {
    return this.controller.stop(deadlineMs);
  }

  /** The host object name for a virtual key. */
  hostNameFor(virtualKey: string): string {
    const { namespace, name } = splitKey(virtualKey);
    return hostName(name, namespace, this.env.vcName);
  }

  private virtualChanged(obj: KubeObject): void {
    // Before start (a standby, or caches still filling) start() will pick up whatever exists then.
    if (!this.controller.isStarted || obj.metadata?.labels?.[CONTROLLED_BY_LABEL]) return;
    const key = objectKey(obj);
    if (!this.virtualChangeSeen.has(key)) this.virtualChangeSeen.set(key, this.env.clock.now());
    this.controller.enqueue(key);
  }

  private hostChanged(obj: KubeObject): void {
    const key = claimedVirtualKey(obj);
    if (!key || !this.controller.isStarted) return;
    if (!this.hostChangeSeen.has(key)) this.hostChangeSeen.set(key, this.env.clock.now());
    this.controller.enqueue(key);
  }

  private context(key: string): ReconcileContext {
    const { namespace, name } = splitKey(key);
    return {
      ...this.env,
      virtualKey: key,
      virtualNamespace: namespace,
      virtualName: name,
      hostName: hostName(name, namespace, this.env.vcName),
      log: this.env.logger.child({ kind: this.translator.kind, object: key }),
    };
  }

  private async reconcile(key: string): Promise<SyncResult> {
    try {
      return await this.reconcileCases(key);
    } catch (err) {
      if (isApiError(err, 'forbidden') && err.cluster === 'host') {
        // The host refused (admission, quota, policy): tell the tenant why, keep retrying with backoff
        // in case the host side changes. Repeats fold into one event with a count.
        await this.reportTerminal(
          key,
          new TerminalError(`the host cluster rejected the object: ${err.serverMessage}`),
        );
      }
      throw err;
    }
  }

  private async reconcileCases(key: string): Promise<SyncResult> {
    const ctx = this.context(key);
    const virtual = this.virtualInformer.store.get(key);
    const hostKey = this.translator.hostType.namespaced
      ? `${this.env.hostNamespace}/${ctx.hostName}`
      : ctx.hostName;
    const host = this.hostInformer.store.get(hostKey);
    if (host && claimedVirtualKey(host) !== key) {
      // Two virtual objects hash to one host name, or someone relabelled an object: never touch it.
      throw new TerminalError(`the host name for ${key} is already used by another synced object`);
    }
    const wanted =
      virtual &&
      !virtual.metadata?.labels?.[CONTROLLED_BY_LABEL] &&
      (this.translator.shouldSync?.(virtual) ?? true);

    let result: SyncResult = {};
    if (wanted && host && host.metadata?.annotations?.[OBJECT_UID_ANNOTATION] !== virtual.metadata?.uid) {
      // The host copy belongs to an earlier incarnation of this virtual object: replace it. Its
      // delete event brings us back here to create the new copy; while it terminates, wait.
      if (!host.metadata?.deletionTimestamp) {
        ctx.log.info('host object belongs to an earlier incarnation, deleting it');
        result = await this.deleteHost(ctx, host);
      }
    } else if (wanted && !host) {
      result = await this.translator.createHost(ctx, virtual);
    } else if (wanted && host) {
      result = await this.translator.sync(ctx, virtual, host);
    } else if (host) {
      result = this.translator.hostOnly
        ? await this.translator.hostOnly(ctx, host)
        : await this.deleteHost(ctx, host);
    }
    this.observeLatency(key, result);
    return result;
  }

  /** Deletes our host copy, only the incarnation we saw (UID precondition). */
  private async deleteHost(ctx: ReconcileContext, host: KubeObject): Promise<SyncResult> {
    try {
      await ctx.host.delete(this.translator.hostType, this.env.hostNamespace, host.metadata?.name ?? '', {
        uid: host.metadata?.uid,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return { hostWritten: true };
  }

  /**
   * Observes change-seen → written for each direction that was written. A reconcile that returns
   * has dealt with every change seen so far (a failed one throws and keeps them for its retry).
   */
  private observeLatency(key: string, result: SyncResult): void {
    const now = this.env.clock.now();
    const down = this.virtualChangeSeen.get(key);
    if (down !== undefined && result.hostWritten)
      this.latency?.syncLatency(this.translator.kind, 'virtual-to-host', (now - down) / 1000);
    const up = this.hostChangeSeen.get(key);
    if (up !== undefined && result.virtualWritten)
      this.latency?.syncLatency(this.translator.kind, 'host-to-virtual', (now - up) / 1000);
    this.virtualChangeSeen.delete(key);
    this.hostChangeSeen.delete(key);
  }

  private async reportTerminal(key: string, err: TerminalError): Promise<void> {
    const virtual = this.virtualInformer.store.get(key);
    if (!virtual) return;
    const message = scrubHostNames(err.message, {
      vcName: this.env.vcName,
      hostNamespace: this.env.hostNamespace,
    });
    await this.env.events.record(virtual, 'Warning', err.reason, message);
  }
}

/** The `namespace/name` of the virtual object a host object claims, from its annotations. */
export function claimedVirtualKey(host: KubeObject): string | undefined {
  const annotations = host.metadata?.annotations ?? {};
  const name = annotations[OBJECT_NAME_ANNOTATION];
  if (!name) return undefined;
  const namespace = annotations[OBJECT_NAMESPACE_ANNOTATION];
  return namespace ? `${namespace}/${name}` : name;
}

/**
 * Turns a create that failed with AlreadyExists into the right error: a conflict to retry when the
 * existing object is ours (our cache is behind), a terminal error when it belongs to someone else.
 */
export async function explainAlreadyExists(
  ctx: ReconcileContext,
  translator: Translator,
  err: unknown,
): Promise<never> {
  if (!isApiError(err, 'alreadyExists')) throw err;
  let existing: KubeObject | undefined;
  try {
    existing = await ctx.host.get(translator.hostType, ctx.hostNamespace, ctx.hostName);
  } catch (getErr) {
    if (!isNotFound(getErr)) throw getErr;
  }
  if (
    existing &&
    existing.metadata?.labels?.[MANAGED_BY_LABEL] === ctx.vcName &&
    claimedVirtualKey(existing) === ctx.virtualKey
  ) {
    throw err;
  }
  throw new TerminalError(
    `cannot sync ${translator.virtualType.kind} ${ctx.virtualKey}: an object with the same name already exists in the host namespace and is not managed by this virtual cluster`,
  );
}
