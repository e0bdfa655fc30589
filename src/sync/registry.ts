/** Something the syncer runs for one `--sync` kind: a generic translator syncer, or a special one (events, nodes). */
export interface SyncComponent {
  readonly kind: string;
  /** Starts the workers; called once the caches are full and this replica leads. */
  start(): void;
  /** Stops taking work and waits for in-flight reconciles; false when the deadline passed first. */
  stop(deadlineMs: number): Promise<boolean>;
}

/** Builds a component from whatever the application hands every kind (config, clients, metrics). */
export type ComponentFactory<D> = (deps: D) => SyncComponent;

/** Components by kind name, so `--sync` can switch each one on or off. */
export class ComponentRegistry<D> {
  private readonly factories = new Map<string, { factory: ComponentFactory<D>; defaultOn: boolean }>();

  /** Registers a kind; defaultOn says whether it syncs when `--sync` does not mention it. */
  register(kind: string, factory: ComponentFactory<D>, defaultOn: boolean): void {
    if (this.factories.has(kind)) throw new Error(`kind '${kind}' registered twice`);
    this.factories.set(kind, { factory, defaultOn });
  }

  kinds(): string[] {
    return [...this.factories.keys()];
  }

  defaults(): string[] {
    return [...this.factories].filter(([, f]) => f.defaultOn).map(([kind]) => kind);
  }

  /** Builds the components of the enabled kinds, in registration order. */
  build(enabled: ReadonlySet<string>, deps: D): SyncComponent[] {
    for (const kind of enabled) {
      if (!this.factories.has(kind))
        throw new Error(`unknown kind '${kind}' (known: ${this.kinds().join(', ')})`);
    }
    return [...this.factories].filter(([kind]) => enabled.has(kind)).map(([, f]) => f.factory(deps));
  }
}

/**
 * Resolves a `--sync` value such as `pods,-events,+nodes` against the defaults: a bare or `+` name
 * turns a kind on, `-name` turns it off, `*` turns every known kind on.
 */
export function resolveEnabledKinds(
  spec: readonly string[],
  known: readonly string[],
  defaults: readonly string[],
): Set<string> {
  const enabled = new Set(defaults);
  for (const raw of spec) {
    const item = raw.trim();
    if (!item) continue;
    if (item === '*') {
      for (const k of known) enabled.add(k);
      continue;
    }
    const off = item.startsWith('-');
    const kind = item.replace(/^[+-]/, '');
    if (!known.includes(kind)) throw new Error(`unknown kind '${kind}' (known: ${known.join(', ')})`);
    if (off) enabled.delete(kind);
    else enabled.add(kind);
  }
  return enabled;
}
