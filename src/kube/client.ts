import type { KubeObject, ObjectList } from './object.ts';
import type { ResourceType } from './resources.ts';

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WatchOptions {
  resourceVersion: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Server-side timeout: the server ends the watch cleanly after this many seconds. */
  timeoutSeconds: number;
  allowWatchBookmarks: boolean;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

export interface WriteOptions {
  subresource?: string;
  fieldManager?: string;
  dryRun?: boolean;
}

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

export interface PatchOptions extends WriteOptions {
  /** Server-side apply only: take ownership of conflicting fields. */
  force?: boolean;
}

export interface DeleteOptions {
  /** Precondition: delete only the incarnation with this UID. */
  uid?: string;
  resourceVersion?: string;
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
}

/**
 * What the syncer needs from one API server. Objects go in and come out as plain JSON, so a field
 * this version of the syncer does not know about survives a read-modify-write.
 */
export interface ClusterClient {
  /** 'host' or 'virtual': used in logs, metrics and error messages. */
  readonly name: string;
  get<T extends KubeObject = KubeObject>(type: ResourceType, namespace: string, name: string): Promise<T>;
  list<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    options?: ListOptions,
  ): Promise<ObjectList<T>>;
  /**
   * Streams watch events to onEvent until the server closes the stream (resolves) or the signal
   * aborts (resolves); rejects with an ApiError if the watch cannot be opened.
   */
  watch(
    type: ResourceType,
    namespace: string,
    options: WatchOptions,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void>;
  create<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    object: KubeObject,
    options?: WriteOptions & { name?: string },
  ): Promise<T>;
  /** PUT: the object's resourceVersion is an optimistic-concurrency precondition. */
  update<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    object: KubeObject,
    options?: WriteOptions,
  ): Promise<T>;
  patch<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    name: string,
    patch: unknown,
    patchType: PatchType,
    options?: PatchOptions,
  ): Promise<T>;
  delete(type: ResourceType, namespace: string, name: string, options?: DeleteOptions): Promise<void>;
  /** The server's Kubernetes version (`gitVersion` of /version), e.g. `v1.37.2`. */
  serverVersion(): Promise<string>;
  /**
   * Discovery: the resources the server serves in one group version (`v1`, `apps/v1`), without
   * subresources. Rejects with a 404 ApiError when the group version is not served.
   */
  servedResources(groupVersion: string): Promise<ServedResource[]>;
}

/** One resource of a group version, as discovery lists it. */
export interface ServedResource {
  /** The plural, as in URLs: `deployments`. */
  name: string;
  kind: string;
  namespaced: boolean;
}
