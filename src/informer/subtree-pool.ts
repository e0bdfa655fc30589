import { StringPool } from './string-pool.ts';

/** The hash of a value that is not pooled; every real hash is zero or more. */
const NOT_POOLED = -1;

/**
 * How deep below an object's top level parts are walked. A tenant's custom resource may nest far
 * deeper than any real object (the API servers accept thousands of levels), and a walk that deep would
 * run out of stack in the middle of filling a cache; parts below this depth are kept as parsed.
 */
const MAX_DEPTH = 100;

/**
 * One shared, frozen copy of each repeated part of the cached objects.
 *
 * Interning strings leaves every cached pod with its own objects and arrays, and most of them repeat:
 * the pods of one workload carry the same containers' env, ports, resources and probes, the same
 * tolerations, DNS config and projected-volume sources, and the syncer writes the same ones into
 * every host pod. In a heap snapshot after a 1,000-pod burst those parts were about half of what a
 * cached host pod held. Here an object entering a cache is walked bottom-up; each part (object or
 * array below the top level) equal to one already pooled is replaced by the pooled one, and a new one
 * is frozen and pooled. Frozen, because a part is now shared by many cached objects (of any tenant
 * namespace): code that wrongly edits a cached object gets a TypeError instead of silently changing
 * other objects. Reconciles copy before editing (`cloneJson`), as they always had to.
 *
 * Equality is decided exactly, not by the hash: two parts are the same when they have the same keys
 * and each value is the same string, number, boolean or null, or the very same pooled part. The hash
 * (which includes the keys' order, as `sameJson` compares serializations) only finds the candidate.
 * A part that holds a string too long to pool (a token, a certificate) is left as it is, and so are
 * the parts holding it.
 *
 * Like the string pool it has two generations, so parts seen once (a pod's status conditions, with
 * their timestamps) age out, and the pool holds at most twice `generationSize` parts.
 */
export class SubtreePool {
  readonly strings: StringPool;
  private current = new Map<number, object>();
  private previous = new Map<number, object>();
  private readonly generationSize: number;
  /** The value share/shareField leave for their caller to put in place of what they were given. */
  private result: unknown;

  constructor(options: { strings?: StringPool; generationSize?: number } = {}) {
    this.strings = options.strings ?? new StringPool();
    this.generationSize = options.generationSize ?? 20_000;
  }

  /**
   * Replaces, in place, each field of `root` with its pooled equal (strings through the string pool,
   * objects and arrays through this pool). `root` itself is neither frozen nor pooled: it is the cache's
   * entry, unique by its UID and resourceVersion. Only for an object no one else holds yet, such as
   * one just parsed from a watch event.
   */
  shareParts(root: Record<string, unknown>): void {
    for (const key in root) {
      this.shareField(root[key], 0);
      root[key] = this.result;
    }
  }

  /** Parts pooled, counting a part filed in both generations twice (for tests). */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  /**
   * Pools `part` (after pooling its own parts) and returns its hash, never negative, or NOT_POOLED
   * when it cannot be pooled; the value to use in its place is left in `result`. `part` is fresh, so
   * its fields are replaced in place before it is frozen or dropped. (`result` instead of a returned
   * pair: this runs for every part of every object the caches receive, and the pairs were garbage.)
   */
  private share(part: object, depth: number): number {
    this.result = part;
    // Frozen already: pooled before (an object handed to a cache twice) or someone else's; left alone.
    if (Object.isFrozen(part) || depth > MAX_DEPTH) return NOT_POOLED;
    let hash: number;
    let poolable = true;
    if (Array.isArray(part)) {
      hash = 0x5bd1e995;
      for (let i = 0; i < part.length; i++) {
        const fieldHash = this.shareField(part[i], depth);
        part[i] = this.result;
        if (fieldHash === NOT_POOLED) poolable = false;
        hash = mix(hash, fieldHash);
      }
    } else {
      const record = part as Record<string, unknown>;
      hash = 0x27d4eb2f;
      for (const key in record) {
        const fieldHash = this.shareField(record[key], depth);
        record[key] = this.result;
        if (fieldHash === NOT_POOLED) poolable = false;
        hash = mix(mix(hash, stringHash(key)), fieldHash);
      }
    }
    this.result = part;
    if (!poolable) return NOT_POOLED;
    hash &= 0x3fffffff; // a small integer, so the maps' keys need no boxing
    const current = this.current.get(hash);
    if (current !== undefined && sameParts(current, part)) {
      this.result = current;
      return hash;
    }
    const previous = this.previous.get(hash);
    if (previous !== undefined && sameParts(previous, part)) {
      this.file(hash, previous);
      this.result = previous;
      return hash;
    }
    Object.freeze(part);
    this.file(hash, part);
    return hash;
  }

  /** Like share, for any field value: strings go through the string pool, scalars are hashed. */
  private shareField(value: unknown, depth: number): number {
    switch (typeof value) {
      case 'string': {
        const pooled = this.strings.intern(value);
        this.result = pooled;
        // A string the pool leaves alone (too long) marks its part as not worth pooling.
        return pooled.length > this.strings.maxLength ? NOT_POOLED : stringHash(pooled);
      }
      case 'number':
        this.result = value;
        return mix(0x1b873593, Number.isInteger(value) ? value | 0 : stringHash(String(value))) & 0x7fffffff;
      case 'boolean':
        this.result = value;
        return value ? 0x2f : 0x3d;
      case 'object':
        if (value !== null) return this.share(value, depth + 1);
        this.result = value;
        return 0x4b;
      default:
        // Not JSON (undefined, a function): never pooled.
        this.result = value;
        return NOT_POOLED;
    }
  }

  private file(hash: number, part: object): void {
    if (this.current.size >= this.generationSize) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(hash, part);
  }
}

/**
 * Whether two parts whose own parts are pooled are equal as JSON values: arrays element by element,
 * objects key by key, each value the same string, number, boolean or null, or the very same pooled
 * part. (Key order is in the hash, so a part is only ever offered one with its own order, bar a hash
 * collision; the API servers write keys in one order anyway.)
 */
function sameParts(a: object, b: object): boolean {
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const recordA = a as Record<string, unknown>;
  const recordB = b as Record<string, unknown>;
  let count = 0;
  for (const key in recordA) {
    if (!Object.hasOwn(recordB, key) || !Object.is(recordA[key], recordB[key])) return false;
    count++;
  }
  for (const _key in recordB) count--;
  return count === 0;
}

function mix(hash: number, value: number): number {
  let h = Math.imul(hash ^ value, 0x01000193);
  h ^= h >>> 15;
  return Math.imul(h, 0x85ebca6b) | 0;
}

/** FNV-1a over the UTF-16 code units. */
function stringHash(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h & 0x7fffffff;
}
