import type { InformerFactory } from '../informer/factory.ts';
import type { ClusterClient } from '../kube/client.ts';
import type { KubeObject } from '../kube/object.ts';
import type { ResourceType } from '../kube/resources.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { EventRecorder } from './event-recorder.ts';

/** What every translator may use: both clusters, shared informers, the event recorder. */
export interface SyncEnvironment {
  /** The virtual cluster's name (vCluster's `<vc>` in host names and labels). */
  vcName: string;
  /** The host namespace every namespaced object is synced into. */
  hostNamespace: string;
  virtual: ClusterClient;
  host: ClusterClient;
  informers: InformerFactory;
  events: EventRecorder;
  clock: Clock;
  logger: Logger;
}

/** One reconcile's view: the environment plus which object is being synced. */
export interface ReconcileContext extends SyncEnvironment {
  /** `namespace/name` of the virtual object. */
  virtualKey: string;
  virtualNamespace: string;
  virtualName: string;
  /** The host object's name (in hostNamespace). */
  hostName: string;
  log: Logger;
}

/** What a sync step did, so the engine can measure latency and schedule follow-ups. */
export interface SyncResult {
  hostWritten?: boolean;
  virtualWritten?: boolean;
  requeueAfterMs?: number;
}

/** Lets a translator trigger a reconcile of another virtual object when something it depends on changes. */
export type Enqueue = (virtualKey: string) => void;

/**
 * One kind of object the syncer copies between the clusters. The generic syncer decides which of
 * the three cases applies and checks ownership; the translator only builds and compares objects.
 */
export interface Translator<V extends KubeObject = KubeObject, H extends KubeObject = KubeObject> {
  /** The name used by `--sync`, metrics and logs, e.g. 'configmaps'. */
  readonly kind: string;
  readonly virtualType: ResourceType;
  readonly hostType: ResourceType;
  /** Registers extra informers or indexes and wires dependencies to enqueue; called once before start. */
  setup?(env: SyncEnvironment, enqueue: Enqueue): void;
  /** False when this virtual object should have no host copy (e.g. a config map no pod uses). */
  shouldSync?(virtual: V): boolean;
  /** Only the virtual object exists: create its host copy. */
  createHost(ctx: ReconcileContext, virtual: V): Promise<SyncResult>;
  /** Both exist: bring them in line, writing nothing when they already are. */
  sync(ctx: ReconcileContext, virtual: V, host: H): Promise<SyncResult>;
  /** Only our host copy exists. The default deletes it; pods instead delete the virtual side's leftovers. */
  hostOnly?(ctx: ReconcileContext, host: H): Promise<SyncResult>;
}
