import type { FieldSpec } from '../config/fields.ts';
import type { BuiltKind, KindDescriptor, Placement, RbacRule } from './kind.ts';

/** The kinds the syncer knows, in the order their controllers start. */
export class KindRegistry {
  private readonly descriptors = new Map<string, KindDescriptor>();

  /** Adds a kind; its name and option keys must be unique across the registry. */
  register(descriptor: KindDescriptor): this {
    if (this.descriptors.has(descriptor.name)) throw new Error(`kind '${descriptor.name}' registered twice`);
    const keys = new Set(this.fields().map((f) => f.key));
    for (const field of descriptor.fields) {
      if (keys.has(field.key))
        throw new Error(`kind '${descriptor.name}': option '${field.key}' is declared by another kind`);
    }
    this.descriptors.set(descriptor.name, descriptor as unknown as KindDescriptor);
    return this;
  }

  all(): KindDescriptor[] {
    return [...this.descriptors.values()];
  }

  kinds(): string[] {
    return [...this.descriptors.keys()];
  }

  defaults(): string[] {
    return this.all()
      .filter((d) => d.defaultOn)
      .map((d) => d.name);
  }

  /**
   * The kinds on for a `--sync` value and the settings: resolveEnabledKinds over the defaults, then
   * the kinds on by default with a setting (defaultOnWith) that nothing turned off and no enabled
   * kind conflicts with.
   */
  enabledKinds(spec: readonly string[], config: Readonly<Record<string, unknown>>): Set<string> {
    const notByStar = [
      ...this.excludedByOthers(),
      ...this.all()
        .filter((d) => d.notByStar)
        .map((d) => d.name),
    ];
    const resolve = (defaults: string[]) => resolveEnabledKinds(spec, this.kinds(), defaults, notByStar);
    const base = resolve(this.defaults());
    const conflicts = (a: KindDescriptor, b: string) =>
      a.conflictsWith?.includes(b) === true ||
      this.descriptors.get(b)?.conflictsWith?.includes(a.name) === true;
    const withSetting = this.all().filter((d) => {
      const when = d.defaultOnWith;
      if (!when || base.has(d.name) || config[when.option] !== true) return false;
      if (when.kind && !base.has(when.kind)) return false;
      return ![...base].some((other) => conflicts(d, other));
    });
    if (!withSetting.length) return base;
    return resolve([...this.defaults(), ...withSetting.map((d) => d.name)]);
  }

  /** Every kind's own settings, in registration order. */
  fields(): FieldSpec[] {
    return this.all().flatMap((d) => [...d.fields]);
  }

  /**
   * The kinds another kind excludes (host-priorityclasses, host-storageclasses): `--sync '*'` leaves
   * them off, so that "every kind" means the tenant's own classes and still starts. Named
   * explicitly (with the other turned off), they are on.
   */
  excludedByOthers(): string[] {
    return [...new Set(this.all().flatMap((d) => d.conflictsWith ?? []))];
  }

  /** Throws when two enabled kinds exclude each other (e.g. priority classes to and from the host). */
  checkConflicts(enabled: ReadonlySet<string>): void {
    for (const d of this.all()) {
      if (!enabled.has(d.name)) continue;
      const other = d.conflictsWith?.find((k) => enabled.has(k));
      if (other)
        throw new Error(`kinds '${d.name}' and '${other}' cannot both be enabled: enable one of them`);
    }
  }

  /**
   * The first setting given a value while its kind (settingsNeedKind) is off, or that needs another
   * kind that is off (settingNeedsOtherKind), as [flag, problem]; undefined when there is none.
   */
  settingWithoutKind(
    enabled: ReadonlySet<string>,
    config: Readonly<Record<string, unknown>>,
  ): [string, string] | undefined {
    for (const d of this.all()) {
      if (enabled.has(d.name) && d.settingNeedsOtherKind) {
        const options = Object.fromEntries(
          [...d.fields, ...(d.reads ?? [])].map((f) => [f.key, config[f.key] ?? f.default]),
        );
        const problem = d.settingNeedsOtherKind(options as never, enabled);
        if (problem) return problem;
      }
      if (!d.settingsNeedKind || enabled.has(d.name)) continue;
      const set = d.fields.find(
        (f) => JSON.stringify(config[f.key] ?? f.default) !== JSON.stringify(f.default),
      );
      if (set) return [`--${set.flag}`, `is set, but kind '${d.name}' is off: add it to --sync (+${d.name})`];
    }
    return undefined;
  }

  /** The involvedObject kinds whose host events are copied, among the enabled kinds. */
  eventKinds(enabled: ReadonlySet<string>): string[] {
    return this.all()
      .filter((d) => enabled.has(d.name) && d.eventKind)
      .map((d) => d.eventKind!);
  }

  /** The host RBAC rules the enabled kinds need with these option values. */
  hostRbac(enabled: ReadonlySet<string>, options: Readonly<Record<string, unknown>>): RbacRule[] {
    return this.all()
      .filter((d) => enabled.has(d.name))
      .flatMap((d) => d.hostRbac.filter((r) => !r.whenOption || isSet(options[r.whenOption])));
  }

  /**
   * Builds the specs of the enabled kinds, in registration order; each receives only its own
   * options and those it reads of other kinds, picked from the whole configuration.
   */
  build(
    enabled: ReadonlySet<string>,
    config: Readonly<Record<string, unknown>>,
    where: Placement,
  ): Map<string, BuiltKind> {
    for (const kind of enabled) {
      if (!this.descriptors.has(kind))
        throw new Error(`unknown kind '${kind}' (known: ${this.kinds().join(', ')})`);
    }
    this.checkConflicts(enabled);
    const specs = new Map<string, BuiltKind>();
    for (const d of this.all()) {
      if (!enabled.has(d.name)) continue;
      const options = Object.fromEntries(
        [...d.fields, ...(d.reads ?? [])].map((f) => [f.key, config[f.key]]),
      );
      const spec = d.build(options as never, where);
      specs.set(d.name, { name: d.name, spec, eventKind: d.eventKind });
    }
    return specs;
  }
}

/** An option that turns something on: true, or a non-empty list. */
const isSet = (value: unknown): boolean => value === true || (Array.isArray(value) && value.length > 0);

/**
 * vCluster v0.19's `--sync` names for kinds that carry another name here, so a vCluster command line
 * keeps working: its fake nodes are this syncer's nodes kind (fake unless --sync-real-nodes), and
 * the host's classes and CSI objects come from the host under `host-` names.
 */
export const VCLUSTER_SYNC_NAMES: Readonly<Record<string, string>> = {
  'fake-nodes': 'nodes',
  hoststorageclasses: 'host-storageclasses',
  ingressclasses: 'host-ingressclasses',
  csidrivers: 'host-csidrivers',
  csinodes: 'host-csinodes',
  csistoragecapacities: 'host-csistoragecapacities',
};

/**
 * Resolves a `--sync` value such as `pods,-events,+nodes` against the defaults: a bare or `+` name
 * turns a kind on, `-name` turns it off, `*` turns every known kind on but those of `notByStar`.
 */
export function resolveEnabledKinds(
  spec: readonly string[],
  known: readonly string[],
  defaults: readonly string[],
  notByStar: readonly string[] = [],
): Set<string> {
  const enabled = new Set(defaults);
  for (const raw of spec) {
    const item = raw.trim();
    if (!item) continue;
    if (item === '*') {
      for (const k of known) if (!notByStar.includes(k)) enabled.add(k);
      continue;
    }
    const off = item.startsWith('-');
    const named = item.replace(/^[+-]/, '');
    const kind = VCLUSTER_SYNC_NAMES[named] ?? named;
    if (!known.includes(kind)) throw new Error(`unknown kind '${kind}' (known: ${known.join(', ')})`);
    if (off) enabled.delete(kind);
    else enabled.add(kind);
  }
  return enabled;
}
