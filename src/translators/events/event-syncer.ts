import { Controller } from '../../controller/controller.ts';
import type { Informer } from '../../informer/informer.ts';
import { isApiError, isNotFound } from '../../kube/errors.ts';
import { objectKey, type KubeObject } from '../../kube/object.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import { MANAGED_BY_LABEL } from '../../naming/labels.ts';
import { claimedVirtualKey } from '../../sync/generic-syncer.ts';
import type { SyncComponent } from '../../sync/registry.ts';
import type { ComponentDeps } from '../index.ts';
import { eventUpdate, virtualEventFor } from './translate.ts';

/** Kinds whose host events are copied up, by the involvedObject.kind the host reports. */
const SYNCED_KINDS: Record<string, ResourceType> = {
  Pod: Resources.pods,
  ConfigMap: Resources.configMaps,
  Secret: Resources.secrets,
};

/**
 * Copies events about synced objects from the host namespace to the virtual cluster. Host events
 * carry no managed-by label, so every event in the host namespace is watched and only those whose
 * involved object is one of ours are copied; the rest are ignored without any API call.
 */
export class EventSyncer implements SyncComponent {
  readonly kind = 'events';
  private readonly controller: Controller;
  private readonly hostEvents: Informer<KubeObject>;
  private readonly deps: ComponentDeps;

  constructor(deps: ComponentDeps) {
    this.deps = deps;
    const { env } = deps;
    this.hostEvents = env.informers.get(env.host, Resources.events, { namespace: env.hostNamespace });
    this.controller = new Controller({
      name: 'events',
      workers: deps.config.workers,
      reconcile: (key) => this.reconcile(key),
      clock: env.clock,
      logger: env.logger,
      metrics: deps.metrics,
      queueMetrics: deps.metrics,
    });
    const enqueue = (e: KubeObject) => {
      if (this.hostObjectInformer(e)) this.controller.enqueue(objectKey(e));
    };
    this.hostEvents.addHandlers({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
    // Make sure the informers we look objects up in exist before the caches are waited for.
    for (const type of Object.values(SYNCED_KINDS)) {
      this.hostInformer(type);
      env.informers.get(env.virtual, type);
    }
  }

  start(): void {
    this.controller.start(
      this.hostEvents.store
        .list()
        .filter((e) => this.hostObjectInformer(e))
        .map((e) => objectKey(e)),
    );
  }

  stop(deadlineMs: number): Promise<boolean> {
    return this.controller.stop(deadlineMs);
  }

  private hostInformer(type: ResourceType): Informer<KubeObject> {
    const { env } = this.deps;
    return env.informers.get(env.host, type, {
      namespace: env.hostNamespace,
      labelSelector: `${MANAGED_BY_LABEL}=${env.vcName}`,
    });
  }

  private hostObjectInformer(event: KubeObject): Informer<KubeObject> | undefined {
    const kind = (event.involvedObject as { kind?: string } | undefined)?.kind ?? '';
    const type = SYNCED_KINDS[kind];
    return type ? this.hostInformer(type) : undefined;
  }

  private async reconcile(key: string) {
    const { env } = this.deps;
    const hostEvent = this.hostEvents.store.get(key);
    if (!hostEvent) return;
    const involved = hostEvent.involvedObject as { kind: string; name: string; uid?: string };
    const type = SYNCED_KINDS[involved.kind];
    if (!type) return;
    const hostObject = this.hostInformer(type).store.get(`${env.hostNamespace}/${involved.name}`);
    const virtualKey = hostObject && claimedVirtualKey(hostObject);
    if (!hostObject || !virtualKey) return;
    const virtualObject = env.informers.get(env.virtual, type).store.get(virtualKey);
    if (!virtualObject?.metadata?.uid) return;
    const desired = virtualEventFor(
      hostEvent,
      {
        apiVersion: 'v1',
        kind: involved.kind,
        namespace: virtualObject.metadata.namespace ?? '',
        name: virtualObject.metadata.name ?? '',
        uid: virtualObject.metadata.uid,
        hostName: involved.name,
      },
      { vcName: env.vcName, hostNamespace: env.hostNamespace },
    );
    const namespace = desired.metadata!.namespace!;
    try {
      await env.virtual.create(Resources.events, namespace, desired);
    } catch (err) {
      if (!isApiError(err, 'alreadyExists')) throw err;
      try {
        await env.virtual.patch(
          Resources.events,
          namespace,
          desired.metadata!.name!,
          eventUpdate(desired),
          'merge',
        );
      } catch (patchErr) {
        if (!isNotFound(patchErr)) throw patchErr;
      }
    }
  }
}
