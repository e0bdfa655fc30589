import type {
  ClusterClient,
  DeleteOptions,
  ListOptions,
  PatchOptions,
  PatchType,
  ServedResource,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from './client.ts';
import type { KubeObject, ObjectList } from './object.ts';
import type { ResourceType } from './resources.ts';

/**
 * A client that passes every call to another one: the base of clients that change a few calls (a
 * decorator overrides those and inherits the rest, so a method added to ClusterClient is forwarded
 * everywhere by adding it here once).
 */
export class ForwardingClient implements ClusterClient {
  readonly name: string;
  protected readonly inner: ClusterClient;

  constructor(inner: ClusterClient) {
    this.inner = inner;
    this.name = inner.name;
  }

  get<T extends KubeObject = KubeObject>(type: ResourceType, namespace: string, name: string): Promise<T> {
    return this.inner.get<T>(type, namespace, name);
  }

  list<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    options?: ListOptions,
  ): Promise<ObjectList<T>> {
    return this.inner.list<T>(type, namespace, options);
  }

  watch(
    type: ResourceType,
    namespace: string,
    options: WatchOptions,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    return this.inner.watch(type, namespace, options, onEvent, signal);
  }

  create<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    object: KubeObject,
    options?: WriteOptions & { name?: string },
  ): Promise<T> {
    return this.inner.create<T>(type, namespace, object, options);
  }

  update<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    object: KubeObject,
    options?: WriteOptions,
  ): Promise<T> {
    return this.inner.update<T>(type, namespace, object, options);
  }

  patch<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    name: string,
    patch: unknown,
    patchType: PatchType,
    options?: PatchOptions,
  ): Promise<T> {
    return this.inner.patch<T>(type, namespace, name, patch, patchType, options);
  }

  delete(type: ResourceType, namespace: string, name: string, options?: DeleteOptions): Promise<void> {
    return this.inner.delete(type, namespace, name, options);
  }

  serverVersion(): Promise<string> {
    return this.inner.serverVersion();
  }

  servedResources(groupVersion: string): Promise<ServedResource[]> {
    return this.inner.servedResources(groupVersion);
  }
}
