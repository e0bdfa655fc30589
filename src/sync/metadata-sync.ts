/**
 * Plans label and annotation changes for a synced pair (a virtual object and its host copy),
 * three-way, from the metadata both had right after their last successful sync.
 *
 * Contract, for each host key of labels and of annotations separately:
 *
 * 1. Keys the syncer owns outright always take the desired value (absent if not desired); host
 *    edits of them, additions included, are reverted and never flow up. Labels: `managed-by`, the
 *    namespace label, `ns-label-<vc>-x-*` and `label-<vc>-x-*` (hashed reserved or
 *    `vcluster.loft.sh/` tenant keys). Annotations: `object-*`, the two managed records, and the
 *    pod identity annotations (`name`, `namespace`, `uid`, `service-account-name`, `labels`). A
 *    tenant cannot forge an owned label (hostLabelKey hashes every tenant key under
 *    `vcluster.loft.sh/`), and the translator writes owned annotations over the tenant's.
 * 2. Host keys: a key on the host that is not in the host object's managed record (an admin's, a
 *    policy engine's, a sidecar injector's) keeps the host's value and stays, even when the tenant
 *    sets or removes the same key; it is not recorded. A host policy that labels a pod (a quarantine
 *    label a NetworkPolicy selects, say) holds whatever the tenant writes. Only with
 *    `tenantOverridesHostKeys` (vCluster's two-way sync, --tenant-overrides-host-metadata) does a
 *    tenant that sets the key to a value of its own since `last` (one it may write: keys an admin
 *    denies, `--denied-host-metadata` and the pods' `--denied-pod-metadata`, never reach `desired`)
 *    make it a tenant key, written and recorded (rule 3 from then on). What the host does to it
 *    is shown to the tenant, as vCluster's two-way metadata sync does: a host key added or changed
 *    since `last` flows up under its virtual key, and one the host removed since `last` is removed
 *    from the virtual object if that still holds the host's old value; unless the tenant changed
 *    that key since `last` (then the tenant's value stays in the virtual object, and on the host
 *    only once the host key is gone). Never shown: keys the kind says are the host cluster's own
 *    (`hostOnly`, e.g. a claim's binder annotations), keys under the syncers' own prefixes
 *    (`vcluster.loft.sh/`, `vsyncer.dev/`), and `kubectl.kubernetes.io/last-applied-configuration`
 *    (the host's would break the tenant's next `kubectl apply`). If the host drops a host key the
 *    tenant holds another value for, that becomes an ordinary tenant key. A host with no record for
 *    the map (written before records existed) has no host keys: every key is the syncer's, the
 *    tenant's view is written and nothing flows up, as before records existed.
 * 3. Tenant keys (in the record, or not yet on the host) are merged three-way against `last`:
 *    a change by the tenant since `last` (added, changed, removed) goes to the host; otherwise a
 *    change on the host since `last` (edited or removed) of a key that was recorded at `last`
 *    stays on the host and flows up to the virtual object under its virtual key; if both changed,
 *    the tenant wins. A key whose value the translator rewrites (desired differs from the tenant's:
 *    a reference to a host copy) is the syncer's alone: a host change of it is reverted, never shown. Without `last` (after a restart) the tenant wins for every key and nothing
 *    flows up. A host key that cannot be translated back to exactly one virtual key never flows up.
 * 4. The plan holds the complete host maps to write (with up-to-date records listing every key the
 *    syncer set, host keys excluded) and, only when something flows up, the complete tenant maps
 *    to write to the virtual object. Planning again from the plan's own result, with `last` set to
 *    that result, changes nothing.
 */
import { LRUCache } from 'lru-cache';
import type { SubtreePool } from '../informer/subtree-pool.ts';
import type { ObjectMeta } from '../kube/object.ts';
import {
  hostLabelKey,
  isDerivedLabelKey,
  MANAGED_ANNOTATIONS_ANNOTATION,
  MANAGED_BY_LABEL,
  MANAGED_LABELS_ANNOTATION,
  NAMESPACE_LABEL,
  OBJECT_HOST_NAME_ANNOTATION,
  OBJECT_HOST_NAMESPACE_ANNOTATION,
  OBJECT_KIND_ANNOTATION,
  OBJECT_NAME_ANNOTATION,
  OBJECT_NAMESPACE_ANNOTATION,
  OBJECT_UID_ANNOTATION,
  POD_LABELS_ANNOTATION,
  POD_ANNOTATIONS_ANNOTATION,
  CONTAINER_RESOURCES_ANNOTATION,
  POD_SPEC_RECORD_ANNOTATION,
  SPEC_DIGEST_ANNOTATION,
  CLUSTER_NAMESERVERS_ANNOTATION,
  OWNER_REFERENCES_ANNOTATION,
  OWNER_SET_KIND_ANNOTATION,
  POD_NAME_ANNOTATION,
  POD_NAMESPACE_ANNOTATION,
  POD_SERVICE_ACCOUNT_ANNOTATION,
  POD_UID_ANNOTATION,
  virtualLabelsFromHost,
} from '../naming/labels.ts';
import type { LabelsAndAnnotations } from './managed-metadata.ts';

export type { LabelsAndAnnotations };

type StringMap = Record<string, string>;

/** Labels and annotations as found on an object, either map possibly missing. */
export type MetadataMaps = Pick<ObjectMeta, 'labels' | 'annotations'>;

/** An object (a KubeObject) whose metadata holds the labels, annotations and UID. */
export interface WithMetadata {
  metadata?: Pick<ObjectMeta, 'uid' | 'labels' | 'annotations'>;
}

/** Either an object or its labels and annotations alone. */
export type MetadataSource = MetadataMaps | WithMetadata;

/** Both sides' labels and annotations right after a successful sync of the pair. */
export interface MetadataSnapshot {
  virtual: LabelsAndAnnotations;
  host: LabelsAndAnnotations;
}

/** What planMetadata needs to know about a synced pair. */
export interface MetadataPlanInput {
  /** Name of the virtual cluster, to tell its hashed label keys from the tenant's. */
  vcName: string;
  /** The virtual object (or its labels and annotations) now. */
  virtual: MetadataSource;
  /** The host object (or its labels and annotations) now, managed records included. */
  host: MetadataSource;
  /** What the translator makes of the current virtual object for the host (records, if any, are ignored). */
  desiredHost: MetadataSource;
  /** Both sides right after the last successful sync; absent after a restart. */
  last?: MetadataSnapshot;
  /** Host keys the host cluster's own controllers set on this kind's copies: never shown to the tenant. */
  hostOnly?: HostOnlyKeys;
  /** A tenant's own value for a host key replaces the host's (rule 2's opt-in exception). */
  tenantOverridesHostKeys?: boolean;
}

/** Per map, the host keys that are the host cluster's own (see MetadataPlanInput.hostOnly). */
export interface HostOnlyKeys {
  labels?: (hostKey: string) => boolean;
  annotations?: (hostKey: string) => boolean;
}

/** The labels and annotations to write to each side. */
export interface MetadataPlan {
  /** Complete host maps to write, managed records included. */
  host: LabelsAndAnnotations;
  hostChanged: boolean;
  /** Complete tenant maps to write to the virtual object; only present when something flows up. */
  virtual?: LabelsAndAnnotations;
  virtualChanged: boolean;
}

const RECORDS = new Set([MANAGED_LABELS_ANNOTATION, MANAGED_ANNOTATIONS_ANNOTATION]);

const SYNCER_ANNOTATIONS = new Set([
  OBJECT_NAME_ANNOTATION,
  OBJECT_NAMESPACE_ANNOTATION,
  OBJECT_UID_ANNOTATION,
  OBJECT_KIND_ANNOTATION,
  OBJECT_HOST_NAME_ANNOTATION,
  OBJECT_HOST_NAMESPACE_ANNOTATION,
  POD_NAME_ANNOTATION,
  POD_NAMESPACE_ANNOTATION,
  POD_UID_ANNOTATION,
  POD_SERVICE_ACCOUNT_ANNOTATION,
  POD_LABELS_ANNOTATION,
  POD_ANNOTATIONS_ANNOTATION,
  CONTAINER_RESOURCES_ANNOTATION,
  POD_SPEC_RECORD_ANNOTATION,
  SPEC_DIGEST_ANNOTATION,
  CLUSTER_NAMESERVERS_ANNOTATION,
  // A bare pod's own would tell host tools it belongs to a workload it does not.
  OWNER_REFERENCES_ANNOTATION,
  OWNER_SET_KIND_ANNOTATION,
  ...RECORDS,
]);

/** The syncer's own annotation prefix: every key under it is the syncer's to write on a host object. */
const SYNCER_PREFIX = 'vsyncer.dev/';

const isSyncerAnnotation = (key: string) => SYNCER_ANNOTATIONS.has(key) || key.startsWith(SYNCER_PREFIX);

/**
 * A tenant's annotations without the keys the syncer writes on host copies itself (back-references,
 * the pod's identity, its records, anything under `vsyncer.dev/`). Those say whose copy an object
 * is: a tenant's own value would pass its copy off as another object's (a cluster-scoped copy given
 * an `object-namespace` is no longer recognised as this syncer's, so it would never be updated or
 * deleted again; a Secret copy given `vsyncer.dev/token-pod-uid` would pass for a pod's tokens).
 */
export function withoutSyncerAnnotations(annotations: Record<string, string>): Record<string, string> {
  const keys = Object.keys(annotations);
  if (!keys.some(isSyncerAnnotation)) return annotations;
  return Object.fromEntries(keys.filter((k) => !isSyncerAnnotation(k)).map((k) => [k, annotations[k]!]));
}

/** How one map (labels or annotations) relates host keys to the syncer and to virtual keys. */
interface MapRules {
  record: string;
  owned(hostKey: string): boolean;
  /** The virtual key a tenant key is kept under on the host, or undefined if it is no tenant key. */
  toVirtual(hostKey: string): string | undefined;
  /** Host keys whose changes are never shown to the tenant (see the module comment, rule 2). */
  hostOnly(hostKey: string): boolean;
}

/** Prefixes of the keys syncers keep for themselves: a host one is never the tenant's to see. */
const SYNCER_PREFIXES = ['vcluster.loft.sh/', 'vsyncer.dev/'];
/** kubectl's record of what was last applied: the tenant's own, whatever an admin applied on the host. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

function neverShown(kindSays: ((hostKey: string) => boolean) | undefined) {
  return (key: string) =>
    key === LAST_APPLIED_ANNOTATION ||
    SYNCER_PREFIXES.some((p) => key.startsWith(p)) ||
    kindSays?.(key) === true;
}

function labelRules(vcName: string, hostOnly: HostOnlyKeys | undefined): MapRules {
  return {
    record: MANAGED_LABELS_ANNOTATION,
    owned: (key) => key === MANAGED_BY_LABEL || key === NAMESPACE_LABEL || isDerivedLabelKey(key, vcName),
    toVirtual: (key) => {
      const [virtualKey] = Object.keys(virtualLabelsFromHost({ [key]: '' }, vcName));
      // virtualLabelsFromHost passes through e.g. a plain `release` an admin put on the host, whose
      // tenant counterpart lives under a hashed key: only an exact round trip names a tenant key.
      return virtualKey !== undefined && hostLabelKey(virtualKey, vcName) === key ? virtualKey : undefined;
    },
    hostOnly: neverShown(hostOnly?.labels),
  };
}

function annotationRules(hostOnly: HostOnlyKeys | undefined): MapRules {
  return {
    record: MANAGED_ANNOTATIONS_ANNOTATION,
    owned: (key) => SYNCER_ANNOTATIONS.has(key),
    toVirtual: (key) => (SYNCER_ANNOTATIONS.has(key) ? undefined : key),
    hostOnly: neverShown(hostOnly?.annotations),
  };
}

/** Plans the label and annotation writes for a synced pair; see the module comment for the rules. */
export function planMetadata(input: MetadataPlanInput): MetadataPlan {
  const hostNow = complete(input.host);
  const virtualNow = complete(input.virtual);
  const desired = complete(input.desiredHost);
  const last = input.last;
  const plan = (field: 'labels' | 'annotations', rules: MapRules) =>
    planMap(rules, {
      virtual: virtualNow[field],
      host: hostNow[field],
      // Records are owned annotations, so the host's are dropped and rewritten below; the
      // translator's (withManagedRecord output) must not count as keys it wants.
      desired: field === 'annotations' ? withoutRecords(desired.annotations) : desired.labels,
      record: parseRecord(hostNow.annotations[rules.record]),
      tenantOverridesHostKeys: input.tenantOverridesHostKeys === true,
      last: last && {
        virtual: last.virtual[field],
        host: last.host[field],
        record: parseRecord(last.host.annotations[rules.record]),
      },
    });
  const labels = plan('labels', labelRules(input.vcName, input.hostOnly));
  const annotations = plan('annotations', annotationRules(input.hostOnly));

  const host: LabelsAndAnnotations = {
    labels: labels.host,
    annotations: {
      ...annotations.host,
      [MANAGED_LABELS_ANNOTATION]: keyList(labels.recorded),
      [MANAGED_ANNOTATIONS_ANNOTATION]: keyList(annotations.recorded),
    },
  };
  const virtual: LabelsAndAnnotations = {
    labels: applyUp(virtualNow.labels, labels.up),
    annotations: applyUp(virtualNow.annotations, annotations.up),
  };
  const virtualChanged =
    !sameMap(virtual.labels, virtualNow.labels) || !sameMap(virtual.annotations, virtualNow.annotations);
  return {
    host,
    hostChanged: !sameMap(host.labels, hostNow.labels) || !sameMap(host.annotations, hostNow.annotations),
    ...(virtualChanged ? { virtual } : {}),
    virtualChanged,
  };
}

/** Both sides' metadata once a plan has been written: what to keep as `last` for the next sync. */
export function snapshotAfter(input: MetadataPlanInput, plan: MetadataPlan): MetadataSnapshot {
  return { virtual: plan.virtual ?? complete(input.virtual), host: plan.host };
}

interface MapState {
  virtual: StringMap;
  host: StringMap;
  desired: StringMap;
  /** Host keys the syncer set last time it wrote; undefined for an object written before records. */
  record: Set<string> | undefined;
  tenantOverridesHostKeys: boolean;
  last?: { virtual: StringMap; host: StringMap; record: Set<string> | undefined };
}

interface MapPlan {
  host: StringMap;
  recorded: string[];
  /** Virtual keys to set (a value) or remove (undefined) on the virtual object. */
  up: Map<string, string | undefined>;
}

function planMap(rules: MapRules, s: MapState): MapPlan {
  const out: MapPlan = { host: {}, recorded: [], up: new Map() };
  // Without a record on the host the syncer cannot tell whose keys changed, and without one in
  // `last` it cannot tell which host changes touched tenant keys: then nothing flows up.
  const last = s.record && s.last?.record ? s.last : undefined;
  const write = (key: string, value: string | undefined, recorded: boolean) => {
    if (value === undefined) return;
    out.host[key] = value;
    if (recorded) out.recorded.push(key);
  };

  // A host key the host removed since `last` is in neither map any more, but may still be shown.
  const droppedHostKeys = last ? Object.keys(last.host).filter((k) => !last.record?.has(k)) : [];
  for (const key of new Set([...Object.keys(s.host), ...Object.keys(s.desired), ...droppedHostKeys])) {
    if (rules.owned(key)) {
      write(key, own(s.desired, key), true);
      continue;
    }
    const onHost = Object.hasOwn(s.host, key);
    if (s.record && onHost && !s.record.has(key)) {
      if (tenantSetHostKey(rules, s, last, key)) {
        write(key, own(s.desired, key), true);
        continue;
      }
      write(key, own(s.host, key), false);
      showHostKey(rules, s, last, key, out.up);
      continue;
    }
    if (!onHost && showHostKey(rules, s, last, key, out.up)) continue;
    const virtualKey = rules.toVirtual(key);
    const hostChanged = last?.record?.has(key) === true && own(s.host, key) !== own(last.host, key);
    const tenantChanged =
      !last || virtualKey === undefined || own(s.virtual, virtualKey) !== own(last.virtual, virtualKey);
    // A value the translator rewrites (an annotation naming a Secret, which names its host copy there)
    // is the syncer's to write: the host's value is a host name, never the tenant's.
    const rewritten =
      virtualKey !== undefined &&
      Object.hasOwn(s.desired, key) &&
      own(s.desired, key) !== own(s.virtual, virtualKey);
    if (hostChanged && !tenantChanged && virtualKey !== undefined && !rewritten) {
      write(key, own(s.host, key), true);
      if (own(s.virtual, virtualKey) !== own(s.host, key)) out.up.set(virtualKey, own(s.host, key));
    } else {
      write(key, own(s.desired, key), true);
    }
  }
  return out;
}

/**
 * Whether the tenant gave a host key a value of its own since `last` and may thereby take it over
 * (rule 2's opt-in exception, vCluster's two-way sync): a value it may write (a denied key is not in
 * `desired`) that is not the host's.
 */
function tenantSetHostKey(rules: MapRules, s: MapState, last: MapState['last'], key: string): boolean {
  const virtualKey = rules.toVirtual(key);
  if (!s.tenantOverridesHostKeys || !last || virtualKey === undefined || rules.hostOnly(key)) return false;
  const wanted = own(s.desired, key);
  return (
    wanted !== undefined &&
    wanted !== own(s.host, key) &&
    own(s.virtual, virtualKey) !== own(last.virtual, virtualKey)
  );
}

/**
 * Shows the tenant what the host did to one of its own keys since `last` (rule 2): sets `up` for the
 * key's virtual key and says whether it did. A key removed on the host is removed from the virtual
 * object only while that still holds the host's old value; otherwise the tenant's value is its own.
 * `last` is planMap's: the snapshot, only when both it and the host carry records.
 */
function showHostKey(
  rules: MapRules,
  s: MapState,
  last: MapState['last'],
  key: string,
  up: MapPlan['up'],
): boolean {
  const virtualKey = rules.toVirtual(key);
  if (!last || virtualKey === undefined || rules.hostOnly(key)) return false;
  // Only a key that was the host's at `last` (on the host, unrecorded) or is new on the host since.
  if (last.record!.has(key) || (!Object.hasOwn(s.host, key) && !Object.hasOwn(last.host, key))) return false;
  const hostValue = own(s.host, key);
  const shownValue = own(s.virtual, virtualKey);
  if (hostValue === own(last.host, key)) return false;
  if (shownValue !== own(last.virtual, virtualKey)) return false; // the tenant changed it since
  if (hostValue === undefined && shownValue !== own(last.host, key)) return false; // the tenant's own value
  if (shownValue !== hostValue) up.set(virtualKey, hostValue);
  return true;
}

/**
 * A map's own value for a key. Label and annotation keys are the tenant's to choose, and `toString`
 * or `constructor` are valid ones: a plain lookup would find Object.prototype's functions instead.
 */
function own(map: StringMap, key: string): string | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

function applyUp(map: StringMap, up: Map<string, string | undefined>): StringMap {
  const out = { ...map };
  for (const [key, value] of up) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

function complete(source: MetadataSource): LabelsAndAnnotations {
  const maps = isObject(source) ? (source.metadata ?? {}) : source;
  return { labels: { ...(maps.labels ?? {}) }, annotations: { ...(maps.annotations ?? {}) } };
}

// A KubeObject is told from bare maps by its metadata field; one without metadata has no maps either.
function isObject(source: MetadataSource): source is WithMetadata {
  return 'metadata' in source;
}

function withoutRecords(map: StringMap): StringMap {
  return Object.fromEntries(Object.entries(map).filter(([key]) => !RECORDS.has(key)));
}

function parseRecord(value: string | undefined): Set<string> | undefined {
  return value === undefined ? undefined : new Set(value.split('\n').filter(Boolean));
}

// The same format withManagedRecord writes: sorted, one key per line.
function keyList(keys: string[]): string {
  return [...keys].sort().join('\n');
}

function sameMap(a: StringMap, b: StringMap): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

interface CachedSnapshot {
  /** The UIDs of the pair the snapshot was taken of: it says nothing about another incarnation. */
  virtualUid: string;
  hostUid: string;
  metadata: MetadataSnapshot;
}

/** Bounded in-memory store of each pair's metadata after its last successful sync, keyed by `kind/virtualKey`. */
export class LastSynced {
  private readonly cache: LRUCache<string, CachedSnapshot>;
  private readonly parts: SubtreePool | undefined;

  /**
   * Keeps at most `max` pairs; the least recently used are forgotten, which only costs up-flow for them.
   * `parts`: the informer caches' pool. A snapshot's values are mostly the cached objects' own (names,
   * UIDs), lists the syncer builds afresh for every object (the managed-annotations record) and label
   * maps that repeat from pod to pod: it keeps one copy of each.
   */
  constructor(options: { max?: number; parts?: SubtreePool } = {}) {
    // Bounded by count through maxSize, not `max`: with `max` lru-cache allocates room for every
    // entry up front (about 0.8 MB per kind at 50,000), and most kinds hold a handful of pairs.
    this.cache = new LRUCache({ maxSize: options.max ?? 50_000, sizeCalculation: () => 1 });
    this.parts = options.parts;
  }

  /** The snapshot for this pair, or undefined if none is kept or it was taken of other objects (other UIDs). */
  get(
    kind: string,
    virtualKey: string,
    virtual: WithMetadata,
    host: WithMetadata,
  ): MetadataSnapshot | undefined {
    const entry = this.cache.get(cacheKey(kind, virtualKey));
    if (!entry || !uidOf(virtual) || !uidOf(host)) return undefined;
    if (entry.virtualUid !== uidOf(virtual) || entry.hostUid !== uidOf(host)) return undefined;
    return copySnapshot(entry.metadata);
  }

  /**
   * Remembers the pair once `plan` (made from these two objects) has been written successfully.
   * What is kept is the plan's outcome, not what the servers returned: a webhook that rewrites a
   * tenant key on the host then shows as a host change next time and flows up, instead of being
   * overwritten again and again.
   */
  set(kind: string, virtualKey: string, virtual: WithMetadata, host: WithMetadata, plan: MetadataPlan): void {
    this.remember(kind, virtualKey, virtual, host, {
      virtual: plan.virtual ?? complete(virtual),
      host: plan.host,
    });
  }

  /**
   * Remembers a pair just made: the source and its copy as the API answered the create. The next
   * plan then sees a host change made before it as a change (see SyncResult.created).
   */
  setCreated(kind: string, virtualKey: string, virtual: WithMetadata, host: WithMetadata): void {
    this.remember(kind, virtualKey, virtual, host, { virtual: complete(virtual), host: complete(host) });
  }

  private remember(
    kind: string,
    virtualKey: string,
    virtual: WithMetadata,
    host: WithMetadata,
    snapshot: MetadataSnapshot,
  ): void {
    if (!uidOf(virtual) || !uidOf(host)) return;
    const metadata = copySnapshot(snapshot);
    // Shared parts are frozen; get() hands out copies, as it always did.
    this.parts?.shareParts(metadata as unknown as Record<string, unknown>);
    this.cache.set(cacheKey(kind, virtualKey), {
      virtualUid: uidOf(virtual),
      hostUid: uidOf(host),
      metadata,
    });
  }

  /** Forgets the pair, e.g. when either object is deleted. */
  delete(kind: string, virtualKey: string): void {
    this.cache.delete(cacheKey(kind, virtualKey));
  }

  /** Number of pairs kept. */
  get size(): number {
    return this.cache.size;
  }
}

// An object without a UID (not yet created) never matches a kept snapshot.
function uidOf(o: WithMetadata): string {
  return o.metadata?.uid ?? '';
}

function cacheKey(kind: string, virtualKey: string): string {
  return `${kind}/${virtualKey}`;
}

// Copies on the way in and out, so a caller editing an object's maps cannot change what was synced.
function copySnapshot(s: MetadataSnapshot): MetadataSnapshot {
  return { virtual: complete(s.virtual), host: complete(s.host) };
}
