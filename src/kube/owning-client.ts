import type {
  ClusterClient,
  DeleteOptions,
  ListOptions,
  PatchOptions,
  PatchType,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from './client.ts';
import type { KubeObject, ObjectList, OwnerReference } from './object.ts';
import type { ResourceType } from './resources.ts';

/**
 * A client that gives every object it creates in one namespace, and that names no owner of its own,
 * one owner reference (`--set-owner`: the Service of the virtual API, so the host's garbage collector
 * removes every synced object once that Service is deleted). Everything else passes through unchanged:
 * objects with owners already (token secrets owned by their host pod) go with those owners, updates
 * carry whatever metadata the caller read, and subresource creates (a token request, a binding) are
 * not objects of the namespace.
 */
export class OwningClient implements ClusterClient {
  readonly name: string;
  private readonly inner: ClusterClient;
  private readonly namespace: string;
  private readonly owner: () => OwnerReference;

  /** owner is asked at each create, so it may be resolved after the client is made (and throws until then). */
  constructor(inner: ClusterClient, namespace: string, owner: () => OwnerReference) {
    this.inner = inner;
    this.name = inner.name;
    this.namespace = namespace;
    this.owner = owner;
  }

  async create<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    object: KubeObject,
    options?: WriteOptions & { name?: string },
  ): Promise<T> {
    const owned =
      type.namespaced &&
      namespace === this.namespace &&
      !options?.subresource &&
      !object.metadata?.ownerReferences?.length;
    if (!owned) return this.inner.create<T>(type, namespace, object, options);
    // A copy: the caller's object may be shared (a cached desired object), and is left as it was.
    const withOwner = { ...object, metadata: { ...object.metadata, ownerReferences: [{ ...this.owner() }] } };
    return this.inner.create<T>(type, namespace, withOwner, options);
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
}
