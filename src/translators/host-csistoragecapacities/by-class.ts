/**
 * Which capacities (by key) name which storage class, as last reconciled: a class's change must
 * re-judge its capacities, and the class alone does not say which they are.
 */
export class CapacitiesByClass {
  private readonly classOf = new Map<string, string>();
  private readonly keysOf = new Map<string, Set<string>>();

  /** Records the class capacity `key` names now (undefined: the capacity is gone). */
  record(key: string, className: string | undefined): void {
    const previous = this.classOf.get(key);
    if (previous === className) return;
    if (previous !== undefined) {
      const keys = this.keysOf.get(previous);
      keys?.delete(key);
      if (keys?.size === 0) this.keysOf.delete(previous);
    }
    if (className === undefined) {
      this.classOf.delete(key);
      return;
    }
    this.classOf.set(key, className);
    let keys = this.keysOf.get(className);
    if (!keys) this.keysOf.set(className, (keys = new Set()));
    keys.add(key);
  }

  /** The keys of the capacities last seen naming this class. */
  capacitiesOf(className: string): string[] {
    return [...(this.keysOf.get(className) ?? [])];
  }
}
