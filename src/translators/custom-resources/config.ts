import { Resources } from '../../kube/resources.ts';
import { parsePath, replaceAt, valuesAt, type PathSegment } from './path.ts';
import { invalidServerUrls } from './servers.ts';

/**
 * The `customResources` section of the config file: which custom resources are synced, each as
 * `<plural>.<group>/<version>` (the CRD's own name and a version it serves) or `<plural>.<group>`
 * (the version the CRD stores). Each direction is vsyncer's list, or vCluster's map (see
 * fromVclusterForm).
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
 *       scope: Cluster           # optional: Namespaced | Cluster, checked against the CRD
 *     - resource: issuers.cert-manager.io   # no version: the CRD's storage version
 *       namespaces: { cert-manager: tenant-certs }   # namespaced kinds only: host namespace → virtual namespace
 * ```
 */
export interface CustomResourcesConfig {
  toHost: CustomResourceEntry[];
  fromHost: CustomResourceEntry[];
  /**
   * The host runs cert-manager for this virtual cluster (integrations.certManager): its ingress-shim
   * issues into the TLS Secrets of Ingresses annotated for it, which then come back to the tenant.
   */
  hostCertManager?: boolean;
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
   * `Secret`, `ConfigMap`, `Service`, the `<plural>.<group>` of another toHost custom resource or of
   * a cluster-scoped fromHost one, or a SELECTOR_REFERENCE_KINDS kind.
   */
  kind: string;
  /**
   * Secrets only: the Secret is the host controller's output, not the tenant's input (cert-manager's
   * `spec.secretName`). The syncer makes it on the host, empty and of this type, and copies what the
   * host's controller writes there into the tenant's Secret of that name (see docs/custom-resources.md).
   */
  filledByHost?: string;
  /**
   * With filledByHost: a field of the object (one field, no `[]`) holding labels and annotations for
   * the filled Secret (cert-manager's `spec.secretTemplate`, `{labels, annotations}`). It is left off
   * the host copy (the host's controller would write them on the host Secret as given), and its labels
   * and annotations go on the tenant's Secret instead, where the tenant's own tools read them.
   */
  template?: { path: string; segments: PathSegment[] };
  /**
   * With template: a field holding it (one field, no `[]`). While that field is not set, the host's
   * controller takes the object's own labels and annotations for the Secret (external-secrets without
   * `spec.target.template`): the tenant's Secret gets the tenant object's instead, and the host copy
   * gets the field, empty, so that the controller reads none off the copy (the syncer's ownership
   * annotations among them).
   */
  ownMetadataUnless?: { path: string; segments: PathSegment[] };
  /**
   * With filledByHost: a field of the object (one field, no `[]`) naming the Secret's type when set
   * (external-secrets' `spec.target.template.type`); filledByHost is the type when it is not. The
   * type of a Secret cannot change, so the host Secret must be made of the type its controller writes.
   */
  typeFrom?: { path: string; segments: PathSegment[] };
  /**
   * An absent or empty field names an object of the referrer's own name (external-secrets' target
   * Secret is the ExternalSecret's name unless `spec.target.name` says otherwise). The host copy gets
   * the field written, renamed as any other. One field only (no `[]`).
   */
  orOwnName?: boolean;
  /** The reference counts only while another field of the object holds one of a few values. */
  when?: ReferenceCondition;
  /**
   * With filledByHost: while this holds, the host's controller would own the Secret it writes, and
   * remove it with the object (ESO's `creationPolicy: Owner`, its default): the tenant's Secret gets a
   * controller reference to the tenant's object, so that the tenant's cluster does the same.
   */
  ownedWhen?: ReferenceCondition;
  /**
   * Secrets and ConfigMaps only: the object holds templates the host's controller renders (ESO's
   * `templateFrom`). It must be a copy of the tenant's own object (never a Secret a host controller
   * fills, whose content no one checks), and none of its values may name a function that reads
   * beyond it (see go-template.ts).
   */
  holdsTemplates?: boolean;
}

/**
 * When a reference counts: `path` (no `[]`) holds one of `values`, or is absent and `orAbsent`
 * (cert-manager's `issuerRef.name` names an Issuer when `issuerRef.kind` is `Issuer` or not set,
 * a ClusterIssuer when it is `ClusterIssuer`).
 */
export interface ReferenceCondition {
  path: string;
  segments: PathSegment[];
  values: string[];
  orAbsent: boolean;
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
  /**
   * A regular expression (anchored as written) a value may match instead of being one of `values`:
   * for a field of free form whose shape alone decides what the host's controller does with it
   * (an Azure tenant ID that the controller pastes into a URL).
   */
  pattern?: RegExp;
  /** Whether the field may be left out (a CRD's default may name what the values exclude). */
  optional: boolean;
  /**
   * The rule holds only while this does (a field bounded only while the object names a kind of
   * issuer, say, the field `issuerRef.kind`).
   */
  when?: ReferenceCondition;
}

/**
 * A mapping a toHost custom resource may hold only some keys of: one key per choice, where each
 * choice the admin did not allow is refused (external-secrets' providers, and how each signs in).
 * An allowlist, so that what a later release of the CRD adds is refused until allowed.
 */
export interface CustomResourceAllowedKeys {
  /** As configured, e.g. `spec.provider`. */
  path: string;
  segments: PathSegment[];
  keys: string[];
  /**
   * Whether the mapping must hold one of the keys once the field holding it is set: a store's
   * `auth` left out has the host's controller sign in with its own identity (a cloud role of the
   * host's), which is the host's to use, not a tenant's.
   */
  required: boolean;
}

export interface CustomResourceEntry {
  direction: 'toHost' | 'fromHost';
  /** Where the entry is in the config file, e.g. `customResources.fromHost[0]`. */
  field: string;
  /** As configured: `<plural>.<group>/<version>`, or `<plural>.<group>`. */
  resource: string;
  plural: string;
  group: string;
  /** As configured; absent: the version the CRD stores, read when the kind is prepared. */
  version?: string;
  /** As configured (vCluster's `scope`); the CRD's must be the same. */
  scope?: CustomResourceScope;
  /** `<plural>.<group>`: the CRD's name, and the kind's `cr:` name without the prefix. */
  crdName: string;
  crd: CrdSource;
  /** toHost only. */
  references: CustomResourceReference[];
  /** toHost only: an object holding another value is refused. */
  allowedValues: CustomResourceAllowedValues[];
  /** toHost only: an object holding another key in one of these mappings is refused. */
  allowedKeys: CustomResourceAllowedKeys[];
  /**
   * toHost only: fields holding a URL the host's controller calls from inside the host cluster (an
   * ACME server); an object naming a private or internal address there is refused.
   */
  urls: { path: string; segments: PathSegment[] }[];
  /**
   * toHost only: fields naming DNS names a host controller serves, or answers challenges for, on the
   * host's shared ingress controllers (a Certificate's dnsNames: cert-manager's HTTP-01 solver); held
   * to --reserved-ingress-host and --allowed-ingress-host as an Ingress's hosts are.
   */
  hosts: { path: string; segments: PathSegment[] }[];
  /**
   * toHost only: fields naming a host IngressClass the host's controller makes Ingresses of (an ACME
   * HTTP-01 solver's class); with `host-ingressclasses` and its selector, held to the classes offered,
   * as an Ingress's class is.
   */
  ingressClasses: { path: string; segments: PathSegment[] }[];
  /**
   * toHost only: fields holding a server the host's controller calls, and whose answers come back in
   * the status: only `defaults` (exact URLs) and --allowed-server-url may be named (see servers.ts).
   */
  servers: { path: string; segments: PathSegment[]; defaults: string[] }[];
  /**
   * toHost only: fields holding Go templates the host's controller renders (every string under the
   * path: a mapping's values, a list's items); an object whose templates call a function that reads
   * beyond it with the controller's rights is refused (see go-template.ts).
   */
  templates: { path: string; segments: PathSegment[] }[];
  /** toHost only: the host object's status is copied to the virtual one. */
  status: boolean;
  /** fromHost of namespaced resources: host namespace → virtual namespace; nothing else is shown. */
  namespaces: Record<string, string>;
  /**
   * The labels an object must have to be synced: fromHost, a host object to be shown (vCluster's
   * `selector.labels`); toHost, a tenant's object to be copied (one that loses them loses its copy).
   */
  selectorLabels: Record<string, string>;
  /** For messages: the config field each host namespace of `namespaces` was set at. */
  namespaceFields: Record<string, string>;
}

/** A CRD's `spec.scope`. */
export type CustomResourceScope = 'Namespaced' | 'Cluster';
const SCOPES: readonly CustomResourceScope[] = ['Namespaced', 'Cluster'];

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

/**
 * The API groups Kubernetes serves itself (those with a dot: the others fail the resource's form
 * anyway), and the metrics API: no CRD ever serves them, so an entry naming one would wait for ever,
 * and the chart, which derives the syncer's host RBAC from the entries, would grant access to them.
 * Kept in step with charts/vsyncer/templates/_helpers.tpl (vsyncer.customResourceRules).
 */
export const BUILT_IN_API_GROUPS: readonly string[] = [
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'internal.apiserver.k8s.io',
  'metrics.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'rbac.authorization.k8s.io',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'storagemigration.k8s.io',
];

const DNS_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const RESOURCE = new RegExp(
  `^(?<plural>${DNS_LABEL})\\.(?<group>${DNS_LABEL}(\\.${DNS_LABEL})+)(/(?<version>v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?))?$`,
);
const NAMESPACE = new RegExp(`^${DNS_LABEL}$`);
const KEYS = {
  toHost: [
    'resource',
    'scope',
    'crd',
    'status',
    'selector',
    'references',
    'allowedValues',
    'allowedKeys',
    'urls',
    'hosts',
    'ingressClasses',
    'servers',
    'templates',
  ],
  fromHost: ['resource', 'scope', 'crd', 'namespaces', 'selector'],
} as const;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const json = (v: unknown) => JSON.stringify(v);

/**
 * Entries an integration (integrations.certManager) adds to the configured ones, each in the list
 * form with the field it comes from.
 */
export interface IntegrationItems {
  toHost: IntegrationItem[];
  fromHost: IntegrationItem[];
  /** See CustomResourcesConfig.hostCertManager. */
  hostCertManager?: boolean;
}
export interface IntegrationItem {
  item: Record<string, unknown>;
  /** The config field that asked for it, for messages. */
  at: string;
}

/**
 * Parses and validates the `customResources` section, with the entries integrations add; throws
 * CustomResourceConfigError naming the field.
 */
export function parseCustomResources(
  raw: unknown,
  field = 'customResources',
  integrations: IntegrationItems = { toHost: [], fromHost: [] },
): CustomResourcesConfig {
  const out: CustomResourcesConfig = {
    toHost: [],
    fromHost: [],
    ...(integrations.hostCertManager ? { hostCertManager: true } : {}),
  };
  if (raw !== undefined && raw !== null && !isRecord(raw))
    throw new CustomResourceConfigError(
      field,
      `must be a mapping with toHost and/or fromHost, got ${json(raw)}`,
    );
  const sections = isRecord(raw) ? raw : {};
  for (const key of Object.keys(sections)) {
    if (key !== 'toHost' && key !== 'fromHost')
      throw new CustomResourceConfigError(`${field}.${key}`, 'unknown field (known: toHost, fromHost)');
  }
  const seen = new Map<string, string>();
  for (const direction of ['toHost', 'fromHost'] as const) {
    const section = sections[direction];
    let items: VclusterItem[] = [];
    if (Array.isArray(section))
      items = section.map((item, i) => ({ item, at: `${field}.${direction}[${i}]` }));
    else if (isRecord(section)) items = fromVclusterForm(section, direction, `${field}.${direction}`);
    else if (section !== undefined && section !== null)
      throw new CustomResourceConfigError(
        `${field}.${direction}`,
        `must be a list of entries, or vCluster's mapping of <plural>.<group> to {enabled, ...}, got ${json(section)}`,
      );
    items = [...items, ...integrations[direction].map((i) => ({ ...i, resourceAt: i.at }))];
    items.forEach(({ item, at, resourceAt, namespacesAt }) => {
      const entry = parseEntry(item, direction, at, namespacesAt);
      const earlier = seen.get(entry.crdName);
      if (earlier)
        throw new CustomResourceConfigError(
          resourceAt ?? `${at}.resource`,
          `${entry.crdName} is already configured at ${earlier}`,
        );
      seen.set(entry.crdName, at);
      out[direction].push(entry);
    });
  }
  // A reference to another custom resource names one synced to the host (its copy is what gets
  // named), or one the host shows the virtual cluster (its name is the host object's).
  const named = new Set([...out.toHost, ...out.fromHost].map((e) => e.crdName));
  out.toHost.forEach((entry) =>
    entry.references.forEach((ref, j) => {
      if (
        (BUILTIN_REFERENCE_KINDS as readonly string[]).includes(ref.kind) ||
        isSelectorReference(ref) ||
        named.has(ref.kind)
      )
        return;
      throw new CustomResourceConfigError(
        `${entry.field}.references[${j}].kind`,
        `must be one of ${[...BUILTIN_REFERENCE_KINDS, ...SELECTOR_REFERENCE_KINDS].join(', ')} or the <plural>.<group> of a toHost or fromHost entry, got ${json(ref.kind)}`,
      );
    }),
  );
  out.toHost.forEach((entry) => selectorOverlapCheck(entry.references, `${entry.field}.references`));
  return out;
}

/**
 * obj with each `orOwnName` reference that counts and is absent or empty written as the object's own
 * name, so that it is judged, renamed and indexed as a name the tenant wrote; obj itself when there is
 * none. Shared with obj where untouched (see replaceAt).
 */
export function withOwnNames<T>(obj: T, entry: Pick<CustomResourceEntry, 'references'>): T {
  const name = (obj as { metadata?: { name?: unknown } }).metadata?.name;
  if (typeof name !== 'string' || !name) return obj;
  let out: unknown = obj;
  for (const ref of entry.references)
    if (ref.orOwnName && referenceApplies(ref, obj))
      out = replaceAt(
        out,
        ref.segments,
        (value) => (value === undefined || value === null || value === '' ? name : value),
        {
          fillAbsent: true,
        },
      );
  return out as T;
}

/** The type of the Secret a `filledByHost` reference names in obj: its `typeFrom` field's when set. */
export function filledTypeOf(ref: CustomResourceReference, obj: unknown): string | undefined {
  if (!ref.filledByHost) return undefined;
  if (!ref.typeFrom) return ref.filledByHost;
  const value = valuesAt(obj, ref.typeFrom.segments).values[0]?.value;
  // A type with surrounding spaces is refused with the object (filledTypeRefusal), never read here.
  return typeof value === 'string' && value ? value : ref.filledByHost;
}

/** Whether a toHost object carries its entry's selector labels (every object, with none). */
export const selectedForSync = (
  entry: Pick<CustomResourceEntry, 'selectorLabels'>,
  obj: { metadata?: { labels?: Record<string, string> } },
): boolean => Object.entries(entry.selectorLabels).every(([k, v]) => obj.metadata?.labels?.[k] === v);

/** Whether a configured reference counts for obj now (its `when`, if any, holds). */
export const referenceApplies = (ref: CustomResourceReference, obj: unknown): boolean =>
  !ref.when || conditionHolds(ref.when, obj);

/** Whether obj's field holds one of the condition's values (or is absent, with orAbsent). */
export function conditionHolds(condition: ReferenceCondition, obj: unknown): boolean {
  const { values } = valuesAt(obj, condition.segments);
  const value = values[0]?.value;
  if (value === undefined || value === null || value === '') return condition.orAbsent;
  return typeof value === 'string' && condition.values.includes(value);
}

/** What vsyncer offers in place of vCluster's patches, for the messages refusing one. */
const INSTEAD_OF_PATCHES =
  "vsyncer does not run vCluster's patches; what it offers instead is in its list form (customResources.toHost[], see docs/custom-resources.md): references (a path and a kind: Secret, ConfigMap, Service or another toHost entry's <plural>.<group>) rewritten to the named object's host copy, LabelSelector and Labels references scoped to the tenant's namespace on the host, and allowedValues limiting what a field may hold";
const VCLUSTER_KEYS = {
  toHost: ['enabled', 'scope', 'patches'],
  fromHost: ['enabled', 'scope', 'patches', 'mappings'],
} as const;
/** A whole namespace in vCluster's `mappings.byName`: `<namespace>/*`. */
const WHOLE_NAMESPACE = new RegExp(`^(?<namespace>${DNS_LABEL})/\\*$`);

/**
 * vCluster's form of one direction (`sync.toHost.customResources`, `sync.fromHost.customResources` of
 * its vcluster.yaml): a mapping of `<plural>.<group>` (or `<plural>.<group>/<version>`) to `{enabled,
 * scope, patches}`, fromHost with `mappings.byName`. Each enabled one becomes the entry vsyncer's list
 * form would write; `enabled: false` ones are left out. A reference patch naming a v1 Secret, ConfigMap
 * or Service becomes a reference; whole-namespace mappings (`"<host-ns>/*": "<virtual-ns>/*"`) become
 * `namespaces`. Anything else (other patches, single objects or renames in mappings, the virtual
 * cluster's own namespace) is refused, naming what vsyncer offers instead.
 */
/** One entry to parse: the list form's item, or what vCluster's form says in its terms. */
interface VclusterItem {
  item: unknown;
  at: string;
  /** Where the resource is named, when not at `${at}.resource` (vCluster's key). */
  resourceAt?: string;
  namespacesAt?: (hostNs: string) => string;
}

function fromVclusterForm(
  section: Record<string, unknown>,
  direction: 'toHost' | 'fromHost',
  field: string,
): VclusterItem[] {
  return Object.entries(section).flatMap(([key, value]) => {
    const at = `${field}[${json(key)}]`;
    if (!RESOURCE.test(key))
      throw new CustomResourceConfigError(
        at,
        "the key must be <plural>.<group> (the CRD's name; the version it stores is synced) or <plural>.<group>/<version>, e.g. certificates.cert-manager.io",
      );
    if (!isRecord(value))
      throw new CustomResourceConfigError(at, `must be a mapping {enabled, ...}, got ${json(value)}`);
    const known: readonly string[] = VCLUSTER_KEYS[direction];
    for (const k of Object.keys(value))
      if (!known.includes(k))
        throw new CustomResourceConfigError(
          `${at}.${k}`,
          `unknown field (known in vCluster's form: ${known.join(', ')}; vsyncer's own fields take its list form)`,
        );
    const enabled = value.enabled ?? false;
    if (typeof enabled !== 'boolean')
      throw new CustomResourceConfigError(`${at}.enabled`, `must be true or false, got ${json(enabled)}`);
    if (!enabled) return [];
    const item: Record<string, unknown> = { resource: key };
    if (value.scope !== undefined && value.scope !== null) item.scope = value.scope;
    const references = vclusterPatches(value.patches, direction, `${at}.patches`);
    if (references.length) item.references = references;
    if (direction === 'toHost') return [{ item, at, resourceAt: at }];
    const { namespaces, fields } = vclusterMappings(value.mappings, `${at}.mappings`);
    if (Object.keys(namespaces).length && item.scope === 'Cluster')
      throw new CustomResourceConfigError(
        `${at}.mappings`,
        'mappings (host namespaces to show) apply only to namespaced resources, not to scope Cluster',
      );
    if (Object.keys(namespaces).length) item.namespaces = namespaces;
    else if (item.scope === 'Namespaced')
      throw new CustomResourceConfigError(
        `${at}.mappings.byName`,
        'a namespaced resource from the host needs the host namespaces to show, each as "<host-namespace>/*": "<virtual-namespace>/*"',
      );
    return [{ item, at, resourceAt: at, namespacesAt: (hostNs: string) => fields[hostNs]! }];
  });
}

/** vCluster's patches of one resource: the references among them, or a refusal naming the patch. */
function vclusterPatches(
  raw: unknown,
  direction: 'toHost' | 'fromHost',
  at: string,
): { path: string; kind: string }[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw))
    throw new CustomResourceConfigError(at, `must be a list of patches, got ${json(raw)}`);
  return raw.map((patch, i) => {
    const reference =
      direction === 'toHost'
        ? referenceOfPatch(patch)
        : 'fromHost shows the host objects as they are, and takes no patches';
    if (typeof reference === 'string')
      throw new CustomResourceConfigError(`${at}[${i}]`, `${reference}. ${INSTEAD_OF_PATCHES}`);
    return reference;
  });
}

/**
 * The vsyncer reference a vCluster patch is exactly: a reference patch naming a v1 Secret, ConfigMap
 * or Service by a field (vCluster's `[*]` is vsyncer's `[]`), in the object's own namespace. Else why not.
 */
function referenceOfPatch(patch: unknown): { path: string; kind: string } | string {
  if (!isRecord(patch)) return `a patch is a mapping {path, ...}, got ${json(patch)}`;
  const modes = Object.keys(patch).filter((k) => k !== 'path');
  if (modes.some((m) => m === 'expression' || m === 'reverseExpression'))
    return 'an expression patch (JavaScript) has no equivalent';
  if (modes.includes('labels'))
    return 'a labels patch has no exact equivalent (a LabelSelector or Labels reference scopes a selector to the tenant instead)';
  if (modes.length !== 1 || modes[0] !== 'reference' || !isRecord(patch.reference))
    return `a patch of ${json(modes)} has no equivalent (only a reference patch naming a v1 Secret, ConfigMap or Service maps)`;
  const ref = patch.reference;
  const dynamic = Object.keys(ref).filter((k) => !['apiVersion', 'kind', 'namePath'].includes(k));
  if (dynamic.length)
    return `a reference patch with ${dynamic.join(', ')} has no equivalent: vsyncer's references name an object of one kind, in the object's own namespace`;
  const kind = ref.kind;
  if (ref.apiVersion !== 'v1' || !(BUILTIN_REFERENCE_KINDS as readonly unknown[]).includes(kind))
    return `a reference patch to apiVersion ${json(ref.apiVersion)}, kind ${json(kind)} does not map: only apiVersion v1 with kind Secret, ConfigMap or Service does (another custom resource is named by its <plural>.<group> in the list form)`;
  if (typeof patch.path !== 'string' || (ref.namePath !== undefined && typeof ref.namePath !== 'string'))
    return 'a reference patch needs path (and namePath, if any) as strings';
  const joined = [patch.path, ref.namePath as string | undefined]
    .filter((p) => p !== undefined && p.trim() !== '')
    .map((p) => p!.trim())
    .join('.');
  const path = joined.replaceAll('[*]', '[]');
  try {
    parsePath(path);
  } catch (err) {
    return `the reference patch's path ${json(joined)} is not one vsyncer takes (field names joined by '.', [*] after a list; no indexes or quoted keys): ${(err as Error).message}`;
  }
  return { path, kind: kind as string };
}

/** vCluster's fromHost `mappings`: whole host namespaces to virtual ones, or a refusal naming the mapping. */
function vclusterMappings(
  raw: unknown,
  at: string,
): { namespaces: Record<string, string>; fields: Record<string, string> } {
  const namespaces: Record<string, string> = {};
  const fields: Record<string, string> = {};
  if (raw === undefined || raw === null) return { namespaces, fields };
  if (!isRecord(raw)) throw new CustomResourceConfigError(at, `must be a mapping {byName}, got ${json(raw)}`);
  for (const k of Object.keys(raw))
    if (k !== 'byName') throw new CustomResourceConfigError(`${at}.${k}`, 'unknown field (known: byName)');
  const byName = raw.byName ?? {};
  if (!isRecord(byName))
    throw new CustomResourceConfigError(`${at}.byName`, `must be a mapping, got ${json(byName)}`);
  for (const [hostRef, virtualRef] of Object.entries(byName)) {
    const here = `${at}.byName[${json(hostRef)}]`;
    if (hostRef === '' || hostRef.startsWith('/'))
      throw new CustomResourceConfigError(
        here,
        "names the virtual cluster's own host namespace, which vsyncer never shows: every virtual cluster sharing it keeps its copies there, and what host controllers make for them carries no managed-by label (map only namespaces the host's own controllers and admins use)",
      );
    const host = WHOLE_NAMESPACE.exec(hostRef)?.groups?.namespace;
    const virtual =
      typeof virtualRef === 'string' ? WHOLE_NAMESPACE.exec(virtualRef)?.groups?.namespace : undefined;
    if (!host || !virtual)
      throw new CustomResourceConfigError(
        here,
        `vsyncer shows whole host namespaces, each as one virtual namespace with the objects' names unchanged: "<host-namespace>/*": "<virtual-namespace>/*"; single objects and renames are not taken, got ${json(hostRef)}: ${json(virtualRef)}`,
      );
    if (Object.values(namespaces).includes(virtual))
      throw new CustomResourceConfigError(
        here,
        `virtual namespace ${virtual} is already the target of another host namespace`,
      );
    namespaces[host] = virtual;
    fields[host] = here;
  }
  return { namespaces, fields };
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

function parseEntry(
  item: unknown,
  direction: 'toHost' | 'fromHost',
  at: string,
  namespacesAt: (hostNs: string) => string = (hostNs) => `${at}.namespaces.${hostNs}`,
): CustomResourceEntry {
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
      `must be <plural>.<group>/<version> (the CRD's name and a version it serves) or <plural>.<group> (the version it stores), e.g. certificates.cert-manager.io/v1, got ${json(resource)}`,
    );
  }
  const { plural, group, version } = match.groups as { plural: string; group: string; version?: string };
  if (
    BUILT_IN_API_GROUPS.includes(group) ||
    Object.values(Resources).some((t) => t.resource === plural && t.group === group)
  )
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
  const scope = item.scope ?? undefined;
  if (scope !== undefined && !SCOPES.includes(scope as CustomResourceScope))
    throw new CustomResourceConfigError(
      `${at}.scope`,
      `must be one of ${SCOPES.join(', ')} (the CRD's spec.scope), got ${json(scope)}`,
    );
  const namespaces = parseNamespaces(item.namespaces, `${at}.namespaces`);
  const hasNamespaces = Object.keys(namespaces).length > 0;
  if (direction === 'toHost' && scope === 'Cluster')
    throw new CustomResourceConfigError(
      `${at}.scope`,
      "only namespaced resources are synced to the host: a tenant's cluster-scoped object there would act on every namespace of the host (show the host's own with fromHost instead)",
    );
  if (scope === 'Namespaced' && direction === 'fromHost' && !hasNamespaces)
    throw new CustomResourceConfigError(
      `${at}.scope`,
      'a namespaced resource from the host needs namespaces (host namespace: virtual namespace)',
    );
  if (scope === 'Cluster' && hasNamespaces)
    throw new CustomResourceConfigError(
      `${at}.scope`,
      'namespaces (host namespace: virtual namespace) apply only to namespaced resources, not to Cluster',
    );
  return {
    direction,
    field: at,
    resource: (resource as string).trim(),
    plural,
    group,
    ...(version ? { version } : {}),
    ...(scope ? { scope: scope as CustomResourceScope } : {}),
    crdName: `${plural}.${group}`,
    crd: crd as CrdSource,
    status: direction === 'toHost' && status,
    references: parseReferences(item.references, `${at}.references`),
    allowedValues: parseAllowedValues(item.allowedValues, `${at}.allowedValues`),
    allowedKeys: parseAllowedKeys(item.allowedKeys, `${at}.allowedKeys`),
    urls: parsePaths(item.urls, `${at}.urls`),
    hosts: parsePaths(item.hosts, `${at}.hosts`),
    ingressClasses: parsePaths(item.ingressClasses, `${at}.ingressClasses`),
    servers: parseServers(item.servers, `${at}.servers`),
    templates: parsePaths(item.templates, `${at}.templates`),
    namespaces,
    namespaceFields: Object.fromEntries(Object.keys(namespaces).map((ns) => [ns, namespacesAt(ns)])),
    selectorLabels: parseSelector(item.selector, `${at}.selector`),
  };
}

/** An entry's `selector` (vCluster's `{labels: {...}}`): the labels a synced object must have. */
function parseSelector(raw: unknown, at: string): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) throw new CustomResourceConfigError(at, `must be a mapping {labels}, got ${json(raw)}`);
  for (const key of Object.keys(raw))
    if (key !== 'labels')
      throw new CustomResourceConfigError(`${at}.${key}`, 'unknown field (known: labels)');
  const labels = raw.labels ?? {};
  if (!isRecord(labels) || !Object.values(labels).every((v) => typeof v === 'string'))
    throw new CustomResourceConfigError(
      `${at}.labels`,
      `must be a mapping of label keys to string values, got ${json(labels)}`,
    );
  return labels as Record<string, string>;
}

function parseReferences(raw: unknown, at: string): CustomResourceReference[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw))
    throw new CustomResourceConfigError(at, `must be a list of {path, kind}, got ${json(raw)}`);
  return raw.map((ref, i) => {
    const here = `${at}[${i}]`;
    if (!isRecord(ref))
      throw new CustomResourceConfigError(here, `must be a mapping {path, kind}, got ${json(ref)}`);
    const known = [
      'path',
      'kind',
      'filledByHost',
      'template',
      'ownMetadataUnless',
      'typeFrom',
      'orOwnName',
      'when',
      'ownedWhen',
      'holdsTemplates',
    ];
    for (const key of Object.keys(ref))
      if (!known.includes(key))
        throw new CustomResourceConfigError(`${here}.${key}`, `unknown field (known: ${known.join(', ')})`);
    if (typeof ref.path !== 'string')
      throw new CustomResourceConfigError(`${here}.path`, `must be a string, got ${json(ref.path)}`);
    const segments = parsePathAt(ref.path, `${here}.path`);
    if (typeof ref.kind !== 'string' || !ref.kind.trim())
      throw new CustomResourceConfigError(`${here}.kind`, `must be a string, got ${json(ref.kind)}`);
    const kind = ref.kind.trim();
    const out: CustomResourceReference = { path: ref.path.trim(), segments, kind };
    if (ref.filledByHost !== undefined && ref.filledByHost !== null) {
      if (kind !== 'Secret')
        throw new CustomResourceConfigError(
          `${here}.filledByHost`,
          `only a Secret may be filled by the host's controller, not a ${kind}`,
        );
      if (typeof ref.filledByHost !== 'string' || !SECRET_TYPE.test(ref.filledByHost.trim()))
        throw new CustomResourceConfigError(
          `${here}.filledByHost`,
          `must be the type of Secret the host's controller writes (e.g. kubernetes.io/tls, Opaque), got ${json(ref.filledByHost)}`,
        );
      out.filledByHost = ref.filledByHost.trim();
    }
    if (ref.template !== undefined && ref.template !== null) {
      if (!out.filledByHost)
        throw new CustomResourceConfigError(
          `${here}.template`,
          "labels and annotations are templated only for a Secret the host's controller fills (filledByHost)",
        );
      const templateSegments = parsePathAt(ref.template, `${here}.template`);
      if (templateSegments.some((s) => s.each))
        throw new CustomResourceConfigError(
          `${here}.template`,
          'must name one field (no []): the template of the Secret the object names',
        );
      out.template = { path: (ref.template as string).trim(), segments: templateSegments };
    }
    if (ref.ownMetadataUnless !== undefined && ref.ownMetadataUnless !== null) {
      if (!out.template)
        throw new CustomResourceConfigError(
          `${here}.ownMetadataUnless`,
          'names the field holding the template: only with template',
        );
      out.ownMetadataUnless = {
        path: String(ref.ownMetadataUnless).trim(),
        segments: oneFieldAt(ref.ownMetadataUnless, `${here}.ownMetadataUnless`),
      };
    }
    if (ref.typeFrom !== undefined && ref.typeFrom !== null) {
      if (!out.filledByHost)
        throw new CustomResourceConfigError(
          `${here}.typeFrom`,
          "a type is read only for a Secret the host's controller fills (filledByHost, the type when the field is not set)",
        );
      out.typeFrom = {
        path: String(ref.typeFrom).trim(),
        segments: oneFieldAt(ref.typeFrom, `${here}.typeFrom`),
      };
    }
    if (ref.orOwnName !== undefined && ref.orOwnName !== null) {
      if (typeof ref.orOwnName !== 'boolean')
        throw new CustomResourceConfigError(
          `${here}.orOwnName`,
          `must be true or false, got ${json(ref.orOwnName)}`,
        );
      if (ref.orOwnName && segments.some((s) => s.each))
        throw new CustomResourceConfigError(
          `${here}.orOwnName`,
          "only a reference by one field (no [] in its path) may default to the object's own name",
        );
      if (ref.orOwnName) out.orOwnName = true;
    }
    if (ref.when !== undefined && ref.when !== null) out.when = parseCondition(ref.when, `${here}.when`);
    if (ref.ownedWhen !== undefined && ref.ownedWhen !== null) {
      if (!out.filledByHost)
        throw new CustomResourceConfigError(
          `${here}.ownedWhen`,
          "only a Secret the host's controller fills (filledByHost) is owned by the object naming it",
        );
      out.ownedWhen = parseCondition(ref.ownedWhen, `${here}.ownedWhen`);
    }
    if (ref.holdsTemplates !== undefined && ref.holdsTemplates !== null) {
      if (typeof ref.holdsTemplates !== 'boolean')
        throw new CustomResourceConfigError(
          `${here}.holdsTemplates`,
          `must be true or false, got ${json(ref.holdsTemplates)}`,
        );
      if (ref.holdsTemplates && (!['Secret', 'ConfigMap'].includes(kind) || out.filledByHost))
        throw new CustomResourceConfigError(
          `${here}.holdsTemplates`,
          "only a Secret or ConfigMap the tenant writes holds templates (not one the host's controller fills)",
        );
      if (ref.holdsTemplates) out.holdsTemplates = true;
    }
    if (isSelectorReference(out) && out.when)
      throw new CustomResourceConfigError(
        `${here}.when`,
        `a ${kind} reference is always scoped; it takes no when`,
      );
    return out;
  });
}

/** A Secret's type: a name, or a prefixed one (`kubernetes.io/tls`, `helm.sh/release.v1`). */
export const SECRET_TYPE = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function parseCondition(raw: unknown, at: string): ReferenceCondition {
  const shape = 'a mapping {path, values, orAbsent}';
  if (!isRecord(raw)) throw new CustomResourceConfigError(at, `must be ${shape}, got ${json(raw)}`);
  for (const key of Object.keys(raw))
    if (!['path', 'values', 'orAbsent'].includes(key))
      throw new CustomResourceConfigError(`${at}.${key}`, 'unknown field (known: path, values, orAbsent)');
  const segments = parsePathAt(raw.path, `${at}.path`);
  if (segments.some((s) => s.each))
    throw new CustomResourceConfigError(
      `${at}.path`,
      'must name one field (no []): the condition holds for the whole object',
    );
  const { values } = raw;
  if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string' && v))
    throw new CustomResourceConfigError(
      `${at}.values`,
      `must be a non-empty list of strings, got ${json(values)}`,
    );
  const orAbsent = raw.orAbsent ?? false;
  if (typeof orAbsent !== 'boolean')
    throw new CustomResourceConfigError(`${at}.orAbsent`, `must be true or false, got ${json(orAbsent)}`);
  return { path: (raw.path as string).trim(), segments, values: values as string[], orAbsent };
}

/** A configured path naming one field (no `[]`), as segments. */
function oneFieldAt(path: unknown, at: string): PathSegment[] {
  const segments = parsePathAt(path, at);
  if (segments.some((s) => s.each)) throw new CustomResourceConfigError(at, 'must name one field (no [])');
  return segments;
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
      if (!['path', 'values', 'pattern', 'optional', 'when'].includes(key))
        throw new CustomResourceConfigError(
          `${here}.${key}`,
          'unknown field (known: path, values, pattern, optional, when)',
        );
    const segments = parsePathAt(rule.path, `${here}.path`);
    let pattern: RegExp | undefined;
    if (rule.pattern !== undefined && rule.pattern !== null) {
      try {
        if (typeof rule.pattern !== 'string' || !rule.pattern) throw new Error('not a string');
        pattern = new RegExp(rule.pattern, 'u');
      } catch (err) {
        throw new CustomResourceConfigError(
          `${here}.pattern`,
          `must be a regular expression, got ${json(rule.pattern)} (${(err as Error).message})`,
        );
      }
    }
    const values = rule.values ?? (pattern ? [] : undefined);
    const optional = rule.optional ?? false;
    if (typeof optional !== 'boolean')
      throw new CustomResourceConfigError(`${here}.optional`, `must be true or false, got ${json(optional)}`);
    // No values, with optional: the field may not be set at all (a ServiceMonitor's namespaceSelector).
    if (
      !Array.isArray(values) ||
      (values.length === 0 && !optional && !pattern) ||
      !values.every((v) => typeof v === 'string')
    )
      throw new CustomResourceConfigError(
        `${here}.values`,
        `must be a non-empty list of strings (an empty one with optional: true forbids the field), got ${json(values)}`,
      );
    return {
      path: (rule.path as string).trim(),
      segments,
      values: values as string[],
      ...(pattern ? { pattern } : {}),
      optional,
      ...(rule.when !== undefined && rule.when !== null
        ? { when: parseCondition(rule.when, `${here}.when`) }
        : {}),
    };
  });
}

function parseAllowedKeys(raw: unknown, at: string): CustomResourceAllowedKeys[] {
  if (raw === undefined || raw === null) return [];
  const shape = 'a list of {path, keys, required}';
  if (!Array.isArray(raw)) throw new CustomResourceConfigError(at, `must be ${shape}, got ${json(raw)}`);
  return raw.map((rule, i) => {
    const here = `${at}[${i}]`;
    if (!isRecord(rule))
      throw new CustomResourceConfigError(here, `must be a mapping {path, keys}, got ${json(rule)}`);
    for (const key of Object.keys(rule))
      if (!['path', 'keys', 'required'].includes(key))
        throw new CustomResourceConfigError(`${here}.${key}`, 'unknown field (known: path, keys, required)');
    const segments = parsePathAt(rule.path, `${here}.path`);
    const { keys } = rule;
    if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string' && k))
      throw new CustomResourceConfigError(
        `${here}.keys`,
        `must be a non-empty list of field names, got ${json(keys)}`,
      );
    const required = rule.required ?? false;
    if (typeof required !== 'boolean')
      throw new CustomResourceConfigError(`${here}.required`, `must be true or false, got ${json(required)}`);
    return { path: (rule.path as string).trim(), segments, keys: keys as string[], required };
  });
}

/** A list of `{path, defaults}` (servers). */
function parseServers(raw: unknown, at: string): CustomResourceEntry['servers'] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw))
    throw new CustomResourceConfigError(at, `must be a list of {path, defaults}, got ${json(raw)}`);
  return raw.map((item, i) => {
    const here = `${at}[${i}]`;
    if (!isRecord(item))
      throw new CustomResourceConfigError(here, `must be a mapping {path, defaults}, got ${json(item)}`);
    for (const key of Object.keys(item))
      if (key !== 'path' && key !== 'defaults')
        throw new CustomResourceConfigError(`${here}.${key}`, 'unknown field (known: path, defaults)');
    const defaults = item.defaults ?? [];
    const problem = Array.isArray(defaults) ? invalidServerUrls(defaults as unknown[]) : 'not a list';
    if (problem)
      throw new CustomResourceConfigError(
        `${here}.defaults`,
        `must be a list of http(s) URLs, got ${json(defaults)}: ${problem}`,
      );
    return {
      path: String(item.path).trim(),
      segments: parsePathAt(item.path, `${here}.path`),
      defaults: defaults as string[],
    };
  });
}

/** A list of `{path}` (urls, hosts, ingressClasses, templates). */
function parsePaths(raw: unknown, at: string): { path: string; segments: PathSegment[] }[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw))
    throw new CustomResourceConfigError(at, `must be a list of {path}, got ${json(raw)}`);
  return raw.map((item, i) => {
    const here = `${at}[${i}]`;
    if (!isRecord(item))
      throw new CustomResourceConfigError(here, `must be a mapping {path}, got ${json(item)}`);
    for (const key of Object.keys(item))
      if (key !== 'path')
        throw new CustomResourceConfigError(`${here}.${key}`, 'unknown field (known: path)');
    return { path: String(item.path).trim(), segments: parsePathAt(item.path, `${here}.path`) };
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
    entry.namespaceFields[hostNamespace] ?? `${entry.field}.namespaces.${hostNamespace}`,
    `${hostNamespace} is the host namespace of this virtual cluster: it holds the copies of every virtual cluster sharing it, and what host controllers make for them, so it may not be shown whole`,
  );
}
