/**
 * Sources refused because another object holds the name their copy needs (another tenant object
 * whose host name is the same, since `-x-` may be in any name), by that holder's key: when the
 * holder goes, they are queued again rather than left unsynced until they change. A source is
 * forgotten each time it is reconciled (it waits again if it is still refused), so entries never
 * outlive the refusal.
 */
export class NameWaiters {
  private readonly byHolder = new Map<string, Set<string>>();
  private readonly holderOf = new Map<string, string>();

  /** The source `key` waits for the object `holder` to give up its name. */
  wait(key: string, holder: string): void {
    this.forget(key);
    this.holderOf.set(key, holder);
    const waiting = this.byHolder.get(holder) ?? new Set<string>();
    waiting.add(key);
    this.byHolder.set(holder, waiting);
  }

  /** The source `key` waits no more (it is being reconciled again). */
  forget(key: string): void {
    const holder = this.holderOf.get(key);
    if (holder === undefined) return;
    this.holderOf.delete(key);
    const waiting = this.byHolder.get(holder);
    waiting?.delete(key);
    if (waiting && waiting.size === 0) this.byHolder.delete(holder);
  }

  /** The sources that waited for `holder`, which is gone; none wait for it any more. */
  release(holder: string): string[] {
    const waiting = this.byHolder.get(holder);
    if (!waiting) return [];
    this.byHolder.delete(holder);
    for (const key of waiting) this.holderOf.delete(key);
    return [...waiting];
  }

  /** How many sources wait (for tests and metrics). */
  get size(): number {
    return this.holderOf.size;
  }
}
