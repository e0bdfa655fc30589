import { splitKey, type KubeObject } from '../kube/object.ts';
import type { InformerHandlers } from './informer.ts';
import type { IndexFunc, ReadOnlyStore } from './store.ts';

/**
 * What readers use of an informer: its cache, handlers and indexes, and whether it has filled. An
 * Informer is one; so is a NamespacesInformer, several namespace-scoped informers seen as one.
 */
export interface InformerView<T extends KubeObject> {
  readonly store: ReadOnlyStore<T>;
  readonly description: string;
  addIndexer(name: string, fn: IndexFunc<T>): void;
  addHandlers(handlers: InformerHandlers<T>): void;
  hasSynced(): boolean;
  waitForSync(): Promise<void>;
}

/** One cache over several namespace-scoped caches: each key is looked up in its namespace's. */
class NamespacesStore<T extends KubeObject> implements ReadOnlyStore<T> {
  private readonly parts: ReadonlyMap<string, InformerView<T>>;

  constructor(parts: ReadonlyMap<string, InformerView<T>>) {
    this.parts = parts;
  }

  get(key: string): T | undefined {
    return this.parts.get(splitKey(key).namespace)?.store.get(key);
  }
  list(): T[] {
    return [...this.parts.values()].flatMap((p) => p.store.list());
  }
  keys(): string[] {
    return [...this.parts.values()].flatMap((p) => p.store.keys());
  }
  byIndex(index: string, value: string): T[] {
    return [...this.parts.values()].flatMap((p) => p.store.byIndex(index, value));
  }
  get size(): number {
    let n = 0;
    for (const p of this.parts.values()) n += p.store.size;
    return n;
  }
}

/**
 * The objects of a few named namespaces, watched one namespace at a time, as one informer: a kind
 * that reads host objects of the namespaces an admin mapped (not the host namespace) then caches
 * those namespaces only, not every namespace of the host, and needs no cluster-wide list or watch.
 */
export class NamespacesInformer<T extends KubeObject> implements InformerView<T> {
  private readonly parts: ReadonlyMap<string, InformerView<T>>;
  readonly store: ReadOnlyStore<T>;

  /** `informerOf` gives the informer of one namespace (the factory's shared one). */
  constructor(namespaces: readonly string[], informerOf: (namespace: string) => InformerView<T>) {
    this.parts = new Map([...new Set(namespaces)].map((ns) => [ns, informerOf(ns)]));
    this.store = new NamespacesStore(this.parts);
  }

  get description(): string {
    const parts = [...this.parts.values()].map((p) => p.description);
    return parts.length ? parts.join(', ') : 'no namespace';
  }

  addIndexer(name: string, fn: IndexFunc<T>): void {
    for (const p of this.parts.values()) p.addIndexer(name, fn);
  }

  addHandlers(handlers: InformerHandlers<T>): void {
    for (const p of this.parts.values()) p.addHandlers(handlers);
  }

  hasSynced(): boolean {
    return [...this.parts.values()].every((p) => p.hasSynced());
  }

  async waitForSync(): Promise<void> {
    await Promise.all([...this.parts.values()].map((p) => p.waitForSync()));
  }
}
