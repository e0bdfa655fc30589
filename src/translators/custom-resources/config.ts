import { Resources } from '../../kube/resources.ts';
import { parsePath, type PathSegment } from './path.ts';

/**
 * The `customResources` section of the config file: which custom resources are synced, each as
 * `<plural>.<group>/<version>` (the CRD's own name and a version it serves).
 *
 * ```yaml
 * customResources:
 *   toHost:
 *     - resource: certificates.cert-manager.io/v1
 *       crd: fromHost            # fromHost (default) | toHost | existing
 *       status: true             # default true: the host's status flows back
 *       references:
 *         - path: spec.secretName
 *           kind: Secret         # Secret | ConfigMap | Service | <plural>.<group> of another toHost entry
 *         - path: spec.selector
 *           kind: LabelSelector  # LabelSelector | Labels: scoped to the tenant's namespace on the host
 *       allowedValues:           # fields a tenant may set only to these values
 *         - path: spec.issuerRef.kind
 *           values: [ClusterIssuer]
 *           optional: false      # default false: the field must be set
 *         - path: spec.namespaceSelector
 *           values: []           # none, with optional: true: the field may not be set
 *           optional: true
 *   fromHost:
 *     - resource: clusterissuers.cert-manager.io/v1
 *       namespaces: { cert-manager: tenant-certs }   # namespaced kinds only: host namespace → virtual namespace
 * ```
 */
export interface CustomResourcesConfig {
  toHost: CustomResourceEntry[];
  fromHost: CustomResourceEntry[];
}

/** Where the CRD comes from when one side lacks it (see docs/custom-resources.md). */
export type CrdSource = 'fromHost' | 'toHost' | 'existing';

/**
 * A reference a toHost custom resource makes to other objects: one synced object by name, rewritten
 * to its host name, or pods and other objects by label selector, scoped to the tenant's namespace.
 */
export interface CustomResourceReference {
  /** As configured, e.g. `spec.tls[].secretName`. */
  path: string;
  segments: PathSegment[];
  /**
   * `Secret`, `ConfigMap`, `Service`, the `<plural>.<group>` of another toHost custom resource, or
   * a SELECTOR_REFERENCE_KINDS kind.
   */
  kind: string;
}

/**
 * A field a toHost custom resource may hold only one of a few values, as an admin decides: the
 * fields the syncer does not rename reach the host as written, where a value such as `kind: Issuer`
 * makes the host's controller look for an object in the shared host namespace.
 */
export interface CustomResourceAllowedValues {
  /** As configured, e.g. `spec.issuerRef.kind`. */
  path: string;
  segments: PathSegment[];
  values: string[];
  /** Whether the field may be left out (a CRD's default may name what the values exclude). */
  optional: boolean;
}

export interface CustomResourceEntry {
  direction: 'toHost' | 'fromHost';
  /** Where the entry is in the config file, e.g. `customResources.fromHost[0]`. */
  field: string;
  /** As configured: `<plural>.<group>/<version>`. */
  resource: string;
  plural: string;
  group: string;
  version: string;
  /** `<plural>.<group>`: the CRD's name, and the kind's `cr:` name without the prefix. */
  crdName: string;
  crd: CrdSource;
  /** toHost only. */
  references: CustomResourceReference[];
  /** toHost only: an object holding another value is refused. */
  allowedValues: CustomResourceAllowedValues[];
  /** toHost only: the host object's status is copied to the virtual one. */
  status: boolean;
  /** fromHost of namespaced resources: host namespace → virtual namespace; nothing else is shown. */
  namespaces: Record<string, string>;
}

/** A malformed `customResources` entry, naming the field (the config turns it into a ConfigError). */
export class CustomResourceConfigError extends Error {
  readonly field: string;
  readonly problem: string;

  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'CustomResourceConfigError';
    this.field = field;
    this.problem = problem;
  }
}

/** The kinds a reference may name besides configured custom resources. */
export const BUILTIN_REFERENCE_KINDS = ['Secret', 'ConfigMap', 'Service'] as const;

/**
 * Reference kinds for label selectors rather than names: `LabelSelector` (`{matchLabels,
 * matchExpressions}`) and `Labels` (a selector written as a plain label map). On the host they are
 * scoped to this virtual cluster and the object's virtual namespace, since the host namespace is
 * shared by every tenant.
 */
export const SELECTOR_REFERENCE_KINDS = ['LabelSelector', 'Labels'] as const;
export type SelectorReferenceKind = (typeof SELECTOR_REFERENCE_KINDS)[number];

/** Whether a reference is to a label selector (not to an object by name). */
export const isSelectorReference = <R extends { kind: string }>(
  ref: R,
): ref is R & { kind: SelectorReferenceKind } =>
  (SELECTOR_REFERENCE_KINDS as readonly string[]).includes(ref.kind);

/** The `--sync` name of the kind that syncs one configured custom resource. */
export const customResourceKindName = (entry: Pick<CustomResourceEntry, 'crdName'>): string =>
  `cr:${entry.crdName}`;

const DNS_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const RESOURCE = new RegExp(
  `^(?<plural>${DNS_LABEL})\\.(?<group>${DNS_LABEL}(\\.${DNS_LABEL})+)/(?<version>v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?)$`,
);
const NAMESPACE = new RegExp(`^${DNS_LABEL}$`);
const KEYS = {
  toHost: ['resource', 'crd', 'status', 'references', 'allowedValues'],
  fromHost: ['resource', 'crd', 'namespaces'],
} as const;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const json = (v: unknown) => JSON.stringify(v);

/** Parses and validates the `customResources` section; throws CustomResourceConfigError naming the field. */
export function parseCustomResources(raw: unknown, field = 'customResources'): CustomResourcesConfig {
  const out: CustomResourcesConfig = { toHost: [], fromHost: [] };
  if (raw === undefined || raw === null) return out;
  if (!isRecord(raw))
    throw new CustomResourceConfigError(
      field,
      `must be a mapping with toHost and/or fromHost, got ${json(raw)}`,
    );
  for (const key of Object.keys(raw)) {
    if (key !== 'toHost' && key !== 'fromHost')
      throw new CustomResourceConfigError(`${field}.${key}`, 'unknown field (known: toHost, fromHost)');
  }
  const seen = new Map<string, string>();
  for (const direction of ['toHost', 'fromHost'] as const) {
    const list = raw[direction];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list))
      throw new CustomResourceConfigError(
        `${field}.${direction}`,
        `must be a list of entries, got ${json(list)}`,
      );
    list.forEach((item, i) => {
      const at = `${field}.${direction}[${i}]`;
      const entry = parseEntry(item, direction, at);
      const earlier = seen.get(entry.crdName);
      if (earlier)
        throw new CustomResourceConfigError(
          `${at}.resource`,
          `${entry.crdName} is already configured at ${earlier}`,
        );
      seen.set(entry.crdName, at);
      out[direction].push(entry);
    });
  }
  // A reference to another custom resource names one synced to the host (its copy is what gets named).
  const toHost = new Set(out.toHost.map((e) => e.crdName));
  out.toHost.forEach((entry, i) =>
    entry.references.forEach((ref, j) => {
      if (
        (BUILTIN_REFERENCE_KINDS as readonly string[]).includes(ref.kind) ||
        isSelectorReference(ref) ||
        toHost.has(ref.kind)
      )
        return;
      throw new CustomResourceConfigError(
        `${field}.toHost[${i}].references[${j}].kind`,
        `must be one of ${[...BUILTIN_REFERENCE_KINDS, ...SELECTOR_REFERENCE_KINDS].join(', ')} or the <plural>.<group> of a toHost entry, got ${json(ref.kind)}`,
      );
    }),
  );
  out.toHost.forEach((entry, i) =>
    selectorOverlapCheck(entry.references, `${field}.toHost[${i}].references`),
  );
  return out;
}

/**
 * A selector reference's path may not hold, or lie within, another reference's: a selector scoped
 * twice would have its own scoping keys hashed as a tenant's reserved keys, and a name inside a
 * selector is a label value, not an object's name.
 */
function selectorOverlapCheck(references: CustomResourceReference[], at: string): void {
  const fields = (ref: CustomResourceReference) => ref.segments.map((s) => s.field);
  const within = (inner: string[], outer: string[]) =>
    inner.length >= outer.length && outer.every((f, n) => inner[n] === f);
  references.forEach((ref, j) => {
    if (!isSelectorReference(ref)) return;
    references.forEach((other, k) => {
      if (k === j) return;
      if (within(fields(other), fields(ref)) || within(fields(ref), fields(other)))
        throw new CustomResourceConfigError(
          `${at}[${Math.max(j, k)}].path`,
          `overlaps ${at}[${Math.min(j, k)}].path (${json(references[Math.min(j, k)]!.path)}): a ${ref.kind} reference's field may not hold or lie within another reference's`,
        );
    });
  });
}

function parseEntry(item: unknown, direction: 'toHost' | 'fromHost', at: string): CustomResourceEntry {
  if (!isRecord(item))
    throw new CustomResourceConfigError(at, `must be a mapping with a resource, got ${json(item)}`);
  const known: readonly string[] = KEYS[direction];
  for (const key of Object.keys(item)) {
    if (!known.includes(key))
      throw new CustomResourceConfigError(`${at}.${key}`, `unknown field (known: ${known.join(', ')})`);
  }
  const resource = item.resource;
  const match = typeof resource === 'string' ? RESOURCE.exec(resource.trim()) : null;
  if (!match) {
    throw new CustomResourceConfigError(
      `${at}.resource`,
      `must be <plural>.<group>/<version> (the CRD's name and a version it serves), e.g. certificates.cert-manager.io/v1, got ${json(resource)}`,
    );
  }
  const { plural, group, version } = match.groups as { plural: string; group: string; version: string };
  if (Object.values(Resources).some((t) => t.resource === plural && t.group === group))
    throw new CustomResourceConfigError(
      `${at}.resource`,
      `${plural}.${group} is a built-in kind, not a custom resource`,
    );
  const crdChoices: readonly CrdSource[] =
    direction === 'toHost' ? ['fromHost', 'toHost', 'existing'] : ['fromHost', 'existing'];
  const crd = item.crd ?? 'fromHost';
  if (typeof crd !== 'string' || !crdChoices.includes(crd as CrdSource))
    throw new CustomResourceConfigError(
      `${at}.crd`,
      `must be one of ${crdChoices.join(', ')}, got ${json(crd)}`,
    );
  const status = item.status ?? true;
  if (typeof status !== 'boolean')
    throw new CustomResourceConfigError(`${at}.status`, `must be true or false, got ${json(status)}`);
  return {
    direction,
    field: at,
    resource: resource as string,
    plural,
    group,
    version,
    crdName: `${plural}.${group}`,
    crd: crd as CrdSource,
    status: direction === 'toHost' && status,
    references: parseReferences(item.references, `${at}.references`),
    allowedValues: parseAllowedValues(item.allowedValues, `${at}.allowedValues`),
    namespaces: parseNamespaces(item.namespaces, `${at}.namespaces`),
  };
}

function parseReferences(raw: unknown, at: string): CustomResourceReference[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw))
    throw new CustomResourceConfigError(at, `must be a list of {path, kind}, got ${json(raw)}`);
  return raw.map((ref, i) => {
    const here = `${at}[${i}]`;
    if (!isRecord(ref))
      throw new CustomResourceConfigError(here, `must be a mapping {path, kind}, got ${json(ref)}`);
    for (const key of Object.keys(ref))
      if (key !== 'path' && key !== 'kind')
        throw new CustomResourceConfigError(`${here}.${key}`, 'unknown field (known: path, kind)');
    if (typeof ref.path !== 'string')
      throw new CustomResourceConfigError(`${here}.path`, `must be a string, got ${json(ref.path)}`);
    const segments = parsePathAt(ref.path, `${here}.path`);
    if (typeof ref.kind !== 'string' || !ref.kind.trim())
      throw new CustomResourceConfigError(`${here}.kind`, `must be a string, got ${json(ref.kind)}`);
    return { path: ref.path.trim(), segments, kind: ref.kind.trim() };
  });
}

/** A configured path's segments, or a CustomResourceConfigError naming the field. */
function parsePathAt(path: unknown, at: string): PathSegment[] {
  if (typeof path !== 'string')
    throw new CustomResourceConfigError(at, `must be a string, got ${json(path)}`);
  try {
    return parsePath(path.trim());
  } catch (err) {
    throw new CustomResourceConfigError(at, (err as Error).message);
  }
}

function parseAllowedValues(raw: unknown, at: string): CustomResourceAllowedValues[] {
  if (raw === undefined || raw === null) return [];
  const shape = 'a list of {path, values, optional}';
  if (!Array.isArray(raw)) throw new CustomResourceConfigError(at, `must be ${shape}, got ${json(raw)}`);
  return raw.map((rule, i) => {
    const here = `${at}[${i}]`;
    if (!isRecord(rule))
      throw new CustomResourceConfigError(here, `must be a mapping {path, values}, got ${json(rule)}`);
    for (const key of Object.keys(rule))
      if (!['path', 'values', 'optional'].includes(key))
        throw new CustomResourceConfigError(
          `${here}.${key}`,
          'unknown field (known: path, values, optional)',
        );
    const segments = parsePathAt(rule.path, `${here}.path`);
    const values = rule.values;
    const optional = rule.optional ?? false;
    if (typeof optional !== 'boolean')
      throw new CustomResourceConfigError(`${here}.optional`, `must be true or false, got ${json(optional)}`);
    // No values, with optional: the field may not be set at all (a ServiceMonitor's namespaceSelector).
    if (
      !Array.isArray(values) ||
      (values.length === 0 && !optional) ||
      !values.every((v) => typeof v === 'string')
    )
      throw new CustomResourceConfigError(
        `${here}.values`,
        `must be a non-empty list of strings (an empty one with optional: true forbids the field), got ${json(values)}`,
      );
    return { path: (rule.path as string).trim(), segments, values: values as string[], optional };
  });
}

function parseNamespaces(raw: unknown, at: string): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw))
    throw new CustomResourceConfigError(
      at,
      `must be a mapping of host namespace to virtual namespace, got ${json(raw)}`,
    );
  const out: Record<string, string> = {};
  for (const [hostNs, virtualNs] of Object.entries(raw)) {
    if (!NAMESPACE.test(hostNs))
      throw new CustomResourceConfigError(`${at}.${hostNs}`, 'the key must be a host namespace name');
    if (typeof virtualNs !== 'string' || !NAMESPACE.test(virtualNs))
      throw new CustomResourceConfigError(
        `${at}.${hostNs}`,
        `must be a virtual namespace name, got ${json(virtualNs)}`,
      );
    if (Object.values(out).includes(virtualNs))
      throw new CustomResourceConfigError(
        `${at}.${hostNs}`,
        `virtual namespace ${virtualNs} is already the target of another host namespace`,
      );
    out[hostNs] = virtualNs;
  }
  return out;
}

/**
 * Why a fromHost entry may not be built for a virtual cluster in host namespace `hostNamespace`, or
 * undefined. Its own host namespace is where every virtual cluster sharing it keeps its copies, and
 * what host controllers make for them (a CertificateRequest for another virtual cluster's Certificate)
 * carries no managed-by label, only an owner reference: shown whole, it would show one tenant
 * another's objects. The real host namespace is known only when the kinds are built.
 */
export function ownHostNamespaceProblem(
  entry: CustomResourceEntry,
  hostNamespace: string,
): CustomResourceConfigError | undefined {
  if (entry.direction !== 'fromHost' || !(hostNamespace in entry.namespaces)) return undefined;
  return new CustomResourceConfigError(
    `${entry.field}.namespaces.${hostNamespace}`,
    `${hostNamespace} is the host namespace of this virtual cluster: it holds the copies of every virtual cluster sharing it, and what host controllers make for them, so it may not be shown whole`,
  );
}
