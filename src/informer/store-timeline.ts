/**
 * One API server's store as its informers see it, so that a store put back in time (an etcd restored
 * from a backup or a snapshot) is found by any of them. A kube-apiserver's resource versions are one
 * revision counter across its resources: the highest any informer has seen (a list, an event, a
 * bookmark) is a floor for the store's revision ever after, unless the store went back. One informer
 * alone cannot tell: the writes lost with the restore may have been of other resources, and the
 * restored store may have passed its own last version again with writes of its own (an informer of
 * a quiet resource last saw version 240, the store now holds 241, other resources were at 252).
 *
 * A resource kept in another etcd (`--etcd-servers-overrides`, usually events) counts its own
 * versions: the informer factory gives events a timeline of their own.
 */
export class StoreTimeline {
  private highest: bigint | undefined;
  private timesWentBack = 0;

  /** How many times the store was found to have gone back: a cache listed before the last must list again. */
  get epoch(): number {
    return this.timesWentBack;
  }

  /** Notes a resource version read from the server. */
  saw(resourceVersion: string | undefined): void {
    const revision = asRevision(resourceVersion);
    if (revision !== undefined && (this.highest === undefined || revision > this.highest))
      this.highest = revision;
  }

  /**
   * What was seen before a read of the store's revision is sent (see wentBack): versions other
   * informers see while the read is on its way may be newer than the revision it answers.
   */
  mark(): TimelineMark {
    return { highest: this.highest, epoch: this.timesWentBack };
  }

  /**
   * Whether the store's revision (a fresh read's collection version, sent after `before` was taken)
   * is older than one seen before it: the store went back. Counted once (a new epoch), the revision
   * taken as the highest from then on; a read that another informer's finding overtook counts
   * nothing more (its informer lists again for the new epoch).
   */
  wentBack(resourceVersion: string | undefined, before: TimelineMark): boolean {
    const revision = asRevision(resourceVersion);
    if (revision === undefined || before.highest === undefined || revision >= before.highest) return false;
    if (before.epoch !== this.timesWentBack) return false;
    this.highest = revision;
    this.timesWentBack++;
    return true;
  }
}

/** The highest version seen and the epoch, as they were at one moment (StoreTimeline.mark). */
export interface TimelineMark {
  readonly highest: bigint | undefined;
  readonly epoch: number;
}

/**
 * A resource version as a revision. Versions are opaque to clients, but every kube-apiserver store
 * (etcd's revision, kine's id) writes them as growing integers; any other form (an aggregated API's)
 * is not compared.
 */
export function asRevision(resourceVersion: string | undefined): bigint | undefined {
  return resourceVersion !== undefined && /^\d{1,30}$/.test(resourceVersion)
    ? BigInt(resourceVersion)
    : undefined;
}
