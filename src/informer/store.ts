import { objectKey, type KubeObject } from '../kube/object.ts';
import type { StringPool } from './string-pool.ts';

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
  /** The index functions, in the order their names were added (`filed` refers to them by position). */
  private readonly indexers: { name: string; fn: IndexFunc<T> }[] = [];
  /**
   * Per index, the keys filed under each value. Most values have one key (a host object's source
   * key), so a lone key is kept as itself and becomes a Set only when a second one joins it: in a
   * cache of ten thousand pods, a Set per entry was megabytes.
   */
  private indexes = new Map<string, Map<string, string | Set<string>>>();
  /**
   * The values each object was filed under (a lone value as itself), by the index's position in
   * `indexers`; objects filed nowhere have no entry. Unfiling uses them instead of calling the index
   * functions again: a function that reads other caches may answer differently by then. One entry per
   * object, not one per object and index: the pod caches have several indexes each, and at ten
   * thousand pods the per-index maps were 8 of the 78 MB the two pod caches held.
   */
  private filed = new Map<string, (string | string[] | undefined)[]>();

  /**
   * Index values are mostly strings each object's index function builds afresh (`Secret/ns/name`,
   * the same for every pod that mounts it); filed through `strings`, one copy of each is kept.
   */
  private readonly strings: StringPool | undefined;

  constructor(indexers: Record<string, IndexFunc<T>> = {}, options: { strings?: StringPool } = {}) {
    this.strings = options.strings;
    for (const [name, fn] of Object.entries(indexers)) this.addIndexer(name, fn);
  }

  /** Adds an index after construction, filing every object already cached. */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.indexes.has(name)) throw new Error(`store already has an index named '${name}'`);
    this.indexers.push({ name, fn });
    this.indexes.set(name, new Map());
    const position = this.indexers.length - 1;
    for (const [key, obj] of this.items) this.fileUnder(position, key, obj);
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
    for (const { name } of this.indexers) this.indexes.set(name, new Map());
    this.filed = new Map();
    for (const [key, obj] of next) this.index(key, obj);
    return diff;
  }

  private index(key: string, obj: T): void {
    for (let position = 0; position < this.indexers.length; position++) this.fileUnder(position, key, obj);
  }

  /**
   * Files one object under the values an index function gives. A function that cannot read the
   * object (a malformed tenant object in the cache) files it nowhere: one bad object must not keep
   * the cache from filling, which would stall every controller that waits for it.
   */
  private fileUnder(position: number, key: string, obj: T): void {
    const { name, fn } = this.indexers[position]!;
    let values: string[];
    try {
      values = [...new Set(fn(obj))];
      if (this.strings) values = values.map((v) => this.strings!.intern(v));
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
    let entry = this.filed.get(key);
    // Sized to the indexes: filling an empty array by position reserves room for 17 values.
    if (entry === undefined)
      this.filed.set(key, (entry = new Array<string | string[] | undefined>(this.indexers.length)));
    entry[position] = values.length === 1 ? values[0]! : values;
  }

  private unindex(key: string): void {
    const entry = this.filed.get(key);
    if (entry === undefined) return;
    this.filed.delete(key);
    for (let position = 0; position < entry.length; position++) {
      const values = entry[position];
      if (values === undefined) continue;
      const idx = this.indexes.get(this.indexers[position]!.name)!;
      for (const value of typeof values === 'string' ? [values] : values) {
        const keys = idx.get(value);
        if (keys === key) idx.delete(value);
        else if (typeof keys === 'object') {
          keys.delete(key);
          if (keys.size === 1) idx.set(value, keys.values().next().value!);
        }
      }
    }
  }
}
