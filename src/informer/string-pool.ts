/**
 * One shared copy of each repeated string in the informer caches.
 *
 * JSON.parse gives every string value its own copy, so ten thousand cached pods hold ten thousand
 * copies of their image, node, scheduler and toleration names, their env var names and the long
 * managed-annotations lists the syncer writes. In a heap snapshot after a 1,000-pod burst, duplicate
 * strings were 7 of the 39 MB live, more than the whole virtual pod cache. Interning them when an
 * object enters a cache keeps one copy of each.
 *
 * The pool must not keep every string it was shown alive (UIDs, IPs and timestamps never repeat), so
 * it has two generations: a string is looked up in the current one and then the previous one, and is
 * (re)filed in the current one. When the current generation is full it becomes the previous one and
 * the old previous one is dropped. Strings that keep coming in new objects are refiled and stay; strings
 * seen once fall out after two generations. The pool holds at most twice `generationSize` entries.
 */
export class StringPool {
  private current = new Map<string, string>();
  private previous = new Map<string, string>();
  private readonly generationSize: number;
  /** Strings longer than this are not pooled. */
  readonly maxLength: number;

  /**
   * `maxLength`: longer strings are left alone. The long strings in the caches are tokens, keys and
   * certificates, which never repeat, and hashing them would cost time for nothing.
   */
  constructor(options: { generationSize?: number; maxLength?: number } = {}) {
    this.generationSize = options.generationSize ?? 20_000;
    this.maxLength = options.maxLength ?? 1024;
  }

  /** The pooled instance of a string equal to `s` (filing `s` if there is none). */
  intern(s: string): string {
    if (s.length > this.maxLength) return s;
    const hit = this.current.get(s);
    if (hit !== undefined) return hit;
    const pooled = this.previous.get(s) ?? s;
    if (this.current.size >= this.generationSize) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(pooled, pooled);
    return pooled;
  }

  /** Whether a string equal to `s` is pooled (for tests). */
  has(s: string): boolean {
    return this.current.has(s) || this.previous.has(s);
  }

  /** Entries held, counting a string filed in both generations twice (for tests). */
  get size(): number {
    return this.current.size + this.previous.size;
  }
}
