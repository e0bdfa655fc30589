/**
 * A grace for an existing object (an Ingress, a Gateway API route) that comes to name an object
 * whose host copy is on its way: a Secret the tenant just made, copied by the secrets kind a moment
 * later. The host copy points at nothing meanwhile (a freed host name is never kept), but telling
 * the tenant at once would be a false alarm with nearly every such change; only a copy still away
 * after the grace is told, and the object is looked at again when the grace ends.
 *
 * A new object needs none of this: it waits for the copies it names before its first host write
 * (mayWaitForCopies), so one still missing after that is told at once.
 */

/** How long an existing object may name an object whose copy is on its way before the tenant is told. */
export const COPY_GRACE_MS = 5_000;

/**
 * How many objects' graces are remembered at once. Few are open at any time; past the bound both
 * maps are cleared whole, which only shortens or restarts a grace (and drops a re-check that an
 * update that failed left behind).
 */
const GRACES_REMEMBERED = 10_000;

export class CopyGrace {
  /**
   * Since when (monotonic ms) each object has named the copies on their way it names now (`what`):
   * a change of them starts the grace again, so each copy gets its own.
   */
  private readonly since = new Map<string, { since: number; what: string }>();
  /** In how many ms each object is to be looked at again, for its reconcile's result to ask. */
  private readonly recheck = new Map<string, number>();

  /**
   * Whether the copies on their way that the object `key` names (`coming`, one entry each; none
   * settles it) are to be told now (`now` on the monotonic clock): at once for a new object (not on
   * the host yet, `existing` false), which has waited for them already; for an existing one once they
   * have been on their way COPY_GRACE_MS, a re-check at the grace's end noted until then (takeRecheck).
   */
  tell(key: string, now: number, coming: readonly string[], existing: boolean): boolean {
    if (!coming.length) {
      this.settled(key);
      return false;
    }
    if (existing) return this.tellNow(key, now, coming);
    this.toldAtOnce(key, now, coming);
    return true;
  }

  /** tell() for an existing object. */
  private tellNow(key: string, now: number, coming: readonly string[]): boolean {
    const what = coming.join('\n');
    const known = this.since.get(key);
    const since = known?.what === what ? known.since : now;
    const left = since + COPY_GRACE_MS - now;
    if (left <= 0) return true;
    this.remember(key, { since, what });
    this.recheck.set(key, left);
    return false;
  }

  /**
   * The copies on their way that `key` names are told now (a new object, which has waited for them
   * already): they are told again while they stay away, without a grace of their own (one would
   * word the next report without them, a second event seeming to say they came).
   */
  private toldAtOnce(key: string, now: number, coming: readonly string[]): void {
    this.remember(key, { since: now - COPY_GRACE_MS, what: coming.join('\n') });
    this.recheck.delete(key);
  }

  private remember(key: string, since: { since: number; what: string }): void {
    if (!this.since.has(key) && this.since.size >= GRACES_REMEMBERED) {
      this.since.clear();
      this.recheck.clear();
    }
    this.since.set(key, since);
  }

  /** The object names no copy on its way any more: a later one starts a grace of its own. */
  private settled(key: string): void {
    this.since.delete(key);
    this.recheck.delete(key);
  }

  /** When to look at `key` again (ms from now), once: undefined when no grace asks for it. */
  takeRecheck(key: string): number | undefined {
    const after = this.recheck.get(key);
    this.recheck.delete(key);
    return after;
  }
}
