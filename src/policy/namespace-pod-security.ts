/**
 * vCluster's isolated mode puts the Pod Security Standard on every namespace of the virtual cluster
 * (`pod-security.kubernetes.io/enforce`), so that the virtual API server itself refuses a pod the
 * host would not run: `kubectl run` fails at once with the admission plugin's reason, and a
 * ReplicaSet reports FailedCreate, instead of a pod that stays Pending with a SyncError. The syncer
 * checks every pod against the same level before it reaches the host whatever the labels say
 * (pods/pod-security.ts); these labels only move the refusal to where the tenant meets it first.
 *
 * A namespace keeps a stricter level its owner set; a laxer one, or none, or a value the plugin does
 * not read, is set to the configured level again, whoever changed it.
 */
import { Controller, type ControllerMetrics } from '../controller/controller.ts';
import type { SharedInformers } from '../informer/factory.ts';
import type { Informer } from '../informer/informer.ts';
import type { ClusterClient } from '../kube/client.ts';
import { isNotFound } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import type { SyncComponent } from '../sync/engine.ts';
import {
  ENFORCE_LABEL,
  namespaceLevel,
  POD_SECURITY_LEVELS,
  stricterLevel,
  type PodSecurityLevel,
} from '../translators/pods/pod-security.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { WorkQueueMetrics } from '../workqueue/metrics.ts';

const ENFORCE_VERSION_LABEL = 'pod-security.kubernetes.io/enforce-version';
const WARN_LABEL = 'pod-security.kubernetes.io/warn';
const WARN_VERSION_LABEL = 'pod-security.kubernetes.io/warn-version';

/**
 * The labels written with an enforce level, as vCluster writes them: the level at the current
 * version of the standard (the version the syncer's own check applies), and a warning at the same
 * level, so that `kubectl apply` of a workload whose pods would be refused warns at once. A warn level
 * stricter than that is kept.
 */
export function podSecurityLabels(
  labels: Record<string, string> | undefined,
  enforce: PodSecurityLevel,
): Record<string, string> {
  const warn = labels?.[WARN_LABEL];
  const validWarn = (POD_SECURITY_LEVELS as readonly string[]).includes(warn ?? '');
  return {
    [ENFORCE_LABEL]: enforce,
    [ENFORCE_VERSION_LABEL]: 'latest',
    [WARN_LABEL]: validWarn ? stricterLevel(enforce, warn as PodSecurityLevel) : enforce,
    [WARN_VERSION_LABEL]: 'latest',
  };
}

/**
 * The pod security labels to write on a namespace, or undefined when it has what it should: all of
 * them with a new enforce level; for a namespace an earlier syncer labelled with the level alone (the
 * configured level, no enforce-version, no warning), the warning it did not write. A namespace its
 * owner made stricter is left as the owner labelled it, and a warning the tenant removed after the
 * syncer wrote it stays removed.
 */
export function podSecurityLabelsWanted(
  labels: Record<string, string> | undefined,
  level: PodSecurityLevel,
): Record<string, string> | undefined {
  const enforce = enforceLabelWanted(labels, level);
  if (enforce) return podSecurityLabels(labels, enforce);
  const labelledByEarlierSyncer =
    labels?.[ENFORCE_LABEL] === level &&
    labels[WARN_LABEL] === undefined &&
    labels[ENFORCE_VERSION_LABEL] === undefined;
  if (!labelledByEarlierSyncer) return undefined;
  return { [WARN_LABEL]: level, [WARN_VERSION_LABEL]: 'latest' };
}

/** The enforce label a namespace should carry, or undefined when it carries it already. */
export function enforceLabelWanted(
  labels: Record<string, string> | undefined,
  level: PodSecurityLevel,
): PodSecurityLevel | undefined {
  const wanted = namespaceLevel(labels, level);
  return labels?.[ENFORCE_LABEL] === wanted ? undefined : wanted;
}

export interface NamespacePodSecurityOptions {
  virtual: ClusterClient;
  informers: SharedInformers;
  level: PodSecurityLevel;
  clock: Clock;
  logger: Logger;
  metrics?: ControllerMetrics & WorkQueueMetrics;
}

/** The component's name, as logs, metrics and the informers it waits for know it. */
export const NAMESPACE_POD_SECURITY = 'namespace-pod-security';

/** Keeps the enforce label (and, with it, a warning) on every virtual namespace (see the file's comment). */
export class NamespacePodSecurityLabels implements SyncComponent {
  readonly kind = NAMESPACE_POD_SECURITY;
  private readonly namespaces: Informer<KubeObject>;
  private readonly controller: Controller;
  private readonly opts: NamespacePodSecurityOptions;

  constructor(opts: NamespacePodSecurityOptions) {
    this.opts = opts;
    this.namespaces = opts.informers.get(opts.virtual, Resources.namespaces);
    this.controller = new Controller({
      name: this.kind,
      workers: 1,
      reconcile: (name) => this.reconcile(name),
      clock: opts.clock,
      logger: opts.logger,
      metrics: opts.metrics,
      queueMetrics: opts.metrics,
    });
    const changed = (ns: KubeObject) => ns.metadata?.name && this.controller.enqueue(ns.metadata.name);
    this.namespaces.addHandlers({ onAdd: changed, onUpdate: (_old, ns) => changed(ns) });
  }

  start(): void {
    this.controller.start(this.namespaces.store.list().map((ns) => ns.metadata?.name ?? ''));
  }

  stop(deadlineMs: number): Promise<boolean> {
    return this.controller.stop(deadlineMs);
  }

  private async reconcile(name: string): Promise<void> {
    const ns = this.namespaces.store.get(name);
    if (!ns || ns.metadata?.deletionTimestamp) return;
    const wanted = podSecurityLabelsWanted(ns.metadata?.labels, this.opts.level);
    if (!wanted) return;
    let patched: KubeObject;
    try {
      // A merge patch of these labels alone, guarded by the version read, so a concurrent edit is read again.
      patched = await this.opts.virtual.patch(
        Resources.namespaces,
        '',
        name,
        {
          metadata: {
            resourceVersion: ns.metadata?.resourceVersion,
            labels: wanted,
          },
        },
        'merge',
      );
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (enforceLabelWanted(patched.metadata?.labels, this.opts.level) !== undefined) {
      // Something in the virtual cluster (a mutating webhook, a policy engine) put another level back
      // in the same write: retried with backoff (the error does that), never in a tight loop.
      throw new Error(
        `namespace ${name}: ${ENFORCE_LABEL} was set to ${wanted[ENFORCE_LABEL]} but reads ${JSON.stringify(patched.metadata?.labels?.[ENFORCE_LABEL])} after the write (a webhook of the virtual cluster changes it?)`,
      );
    }
    this.opts.logger.debug('namespace pod security labels set', { namespace: name, labels: wanted });
  }
}
