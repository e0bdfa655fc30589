import { objectKey, type KubeObject } from '../kube/object.ts';

/** Returns the index values an object is filed under (e.g. the secrets a pod references). */
export type IndexFunc<T> = (obj: T) => string[];

/** What readers of an informer's cache may do: look, never write. */
export interface ReadOnlyStore<T extends KubeObject> {
  get(key: string): T | undefined;
  list(): T[];
  keys(): string[];
  /** Objects filed under value in the named index. */
  byIndex(index: string, value: string): T[];
  readonly size: number;
}

export interface StoreDiff<T> {
  added: T[];
  updated: [oldObj: T, newObj: T][];
  deleted: T[];
}

/** An informer's cache, with secondary indexes. Only the owning informer writes to it. */
export class Store<T extends KubeObject> implements ReadOnlyStore<T> {
  private items = new Map<string, T>();
  private readonly indexers: Record<string, IndexFunc<T>>;
  /**
   * Per index, the keys filed under each value. Most values have one key (a host object's source
   * key), so a lone key is kept as itself and becomes a Set only when a second one joins it: in a
   * cache of ten thousand pods, a Set per entry was megabytes.
   */
  private indexes = new Map<string, Map<string, string | Set<string>>>();
  /**
   * The values each object was filed under, per index (a lone value as itself). Unfiling uses them
   * instead of calling the index function again: a function that reads other caches may answer
   * differently by then.
   */
  private filed = new Map<string, Map<string, string | string[]>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.indexers = { ...indexers };
    for (const name of Object.keys(indexers)) this.clearIndex(name);
  }

  /** Adds an index after construction, filing every object already cached. */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.indexers[name]) throw new Error(`store already has an index named '${name}'`);
    this.indexers[name] = fn;
    this.clearIndex(name);
    for (const [key, obj] of this.items) this.fileUnder(name, fn, key, obj);
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  byIndex(index: string, value: string): T[] {
    const idx = this.indexes.get(index);
    if (!idx) throw new Error(`store has no index named '${index}'`);
    const keys = idx.get(value);
    if (keys === undefined) return [];
    return (typeof keys === 'string' ? [keys] : [...keys])
      .map((key) => this.items.get(key))
      .filter((o): o is T => o !== undefined);
  }

  /** Adds or replaces one object; returns the previous version. */
  upsert(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key);
    this.items.set(key, obj);
    this.index(key, obj);
    return old;
  }

  /** Removes one object; returns it if it was there. */
  remove(key: string): T | undefined {
    const old = this.items.get(key);
    if (old) {
      this.unindex(key);
      this.items.delete(key);
    }
    return old;
  }

  /**
   * Swaps the whole content for a fresh list in one step and reports what changed. Readers never
   * see a half-filled store, and only objects truly missing from the new list count as deleted.
   */
  replace(objs: T[]): StoreDiff<T> {
    const next = new Map<string, T>();
    for (const obj of objs) next.set(objectKey(obj), obj);
    const diff: StoreDiff<T> = { added: [], updated: [], deleted: [] };
    for (const [key, obj] of next) {
      const old = this.items.get(key);
      if (!old) diff.added.push(obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) diff.updated.push([old, obj]);
    }
    for (const [key, old] of this.items) if (!next.has(key)) diff.deleted.push(old);
    this.items = next;
    for (const name of this.indexes.keys()) this.clearIndex(name);
    for (const [key, obj] of next) this.index(key, obj);
    return diff;
  }

  private clearIndex(name: string): void {
    this.indexes.set(name, new Map());
    this.filed.set(name, new Map());
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.indexers)) this.fileUnder(name, fn, key, obj);
  }

  /**
   * Files one object under the values an index function gives. A function that cannot read the
   * object (a malformed tenant object in the cache) files it nowhere: one bad object must not keep
   * the cache from filling, which would stall every controller that waits for it.
   */
  private fileUnder(name: string, fn: IndexFunc<T>, key: string, obj: T): void {
    let values: string[];
    try {
      values = [...new Set(fn(obj))];
    } catch {
      values = [];
    }
    // Most objects are filed under nothing in most indexes (a pod that mounts no config map): they
    // take no entry, which in a cache of ten thousand pods is a few MB.
    if (values.length === 0) return;
    const idx = this.indexes.get(name)!;
    for (const value of values) {
      const keys = idx.get(value);
      if (keys === undefined) idx.set(value, key);
      else if (typeof keys === 'string') {
        if (keys !== key) idx.set(value, new Set([keys, key]));
      } else keys.add(key);
    }
    this.filed.get(name)!.set(key, values.length === 1 ? values[0]! : values);
  }

  private unindex(key: string): void {
    for (const [name, idx] of this.indexes) {
      const filed = this.filed.get(name)!;
      const values = filed.get(key);
      if (values === undefined) continue;
      for (const value of typeof values === 'string' ? [values] : values) {
        const keys = idx.get(value);
        if (keys === key) idx.delete(value);
        else if (typeof keys === 'object') {
          keys.delete(key);
          if (keys.size === 1) idx.set(value, keys.values().next().value!);
        }
      }
      filed.delete(key);
    }
  }
}
