import { splitKey, type KubeObject } from '../kube/object.ts';
import type { InformerHandlers } from './informer.ts';
import type { IndexFunc, ReadOnlyStore } from './store.ts';

/**
 * What readers use of an informer: its cache, handlers and indexes, and whether it has filled. An
 * Informer is one; so is a NamespacesInformer, several scoped informers seen as one.
 */
export interface InformerView<T extends KubeObject> {
  readonly store: ReadOnlyStore<T>;
  readonly description: string;
  addIndexer(name: string, fn: IndexFunc<T>): void;
  addHandlers(handlers: InformerHandlers<T>): void;
  hasSynced(): boolean;
  waitForSync(): Promise<void>;
  /** Whether an object (read from its cluster) is one this informer lists (Informer.covers). */
  covers(obj: T): boolean;
}

/** What one part watches: a whole namespace, or one object of it (by name). */
export interface ObjectScope {
  namespace: string;
  name?: string;
}

/** A part's key: `namespace/name` for one object, `namespace/*` for a namespace (no name has a `*`). */
const partKey = (scope: ObjectScope) => `${scope.namespace}/${scope.name ?? '*'}`;

/** One cache over several scoped caches: each key is looked up in the part that watches it. */
class PartsStore<T extends KubeObject> implements ReadOnlyStore<T> {
  private readonly parts: ReadonlyMap<string, InformerView<T>>;

  constructor(parts: ReadonlyMap<string, InformerView<T>>) {
    this.parts = parts;
  }

  get(key: string): T | undefined {
    const part = this.parts.get(key) ?? this.parts.get(`${splitKey(key).namespace}/*`);
    return part?.store.get(key);
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
 * The objects of a few named namespaces, and of single named objects, each watched on its own, as
 * one informer: a kind that reads host objects an admin mapped (not of the host namespace) then
 * caches those only, not every namespace of the host, and needs no cluster-wide list or watch (a
 * single object is listed and watched by a `metadata.name` field selector, which RBAC's
 * resourceNames allow). An object named on its own in a namespace also watched whole is left to the
 * namespace's part.
 */
export class NamespacesInformer<T extends KubeObject> implements InformerView<T> {
  private readonly parts: ReadonlyMap<string, InformerView<T>>;
  readonly store: ReadOnlyStore<T>;

  /** `informerOf` gives the informer of one scope (the factory's shared one). */
  constructor(scopes: readonly ObjectScope[], informerOf: (scope: ObjectScope) => InformerView<T>) {
    const whole = new Set(scopes.filter((s) => s.name === undefined).map((s) => s.namespace));
    const kept = scopes.filter((s) => s.name === undefined || !whole.has(s.namespace));
    const parts = new Map<string, InformerView<T>>();
    for (const scope of kept) if (!parts.has(partKey(scope))) parts.set(partKey(scope), informerOf(scope));
    this.parts = parts;
    this.store = new PartsStore(this.parts);
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

  covers(obj: T): boolean {
    return [...this.parts.values()].some((p) => p.covers(obj));
  }

  async waitForSync(): Promise<void> {
    await Promise.all([...this.parts.values()].map((p) => p.waitForSync()));
  }
}
