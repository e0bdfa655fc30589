import type { ClusterClient, WriteOptions } from './client.ts';
import { ForwardingClient } from './forwarding-client.ts';
import type { KubeObject, OwnerReference } from './object.ts';
import type { ResourceType } from './resources.ts';

/**
 * A client that gives every object it creates in one namespace, and that names no owner of its own,
 * one owner reference (`--set-owner`: the Service of the virtual API, so the host's garbage collector
 * removes every synced object once that Service is deleted). Everything else passes through unchanged:
 * objects with owners already (token secrets owned by their host pod) go with those owners, updates
 * carry whatever metadata the caller read, and subresource creates (a token request, a binding) are
 * not objects of the namespace.
 */
export class OwningClient extends ForwardingClient {
  private readonly namespace: string;
  private readonly owner: () => OwnerReference;

  /** owner is asked at each create, so it may be resolved after the client is made (and throws until then). */
  constructor(inner: ClusterClient, namespace: string, owner: () => OwnerReference) {
    super(inner);
    this.namespace = namespace;
    this.owner = owner;
  }

  override async create<T extends KubeObject = KubeObject>(
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
}
