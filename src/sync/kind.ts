import type { NodePorts } from '../kubelet/node-ports.ts';
import type { FieldSpec, ValuesOf } from '../config/fields.ts';
import type { InformerScope, SharedInformers } from '../informer/factory.ts';
import type { ClusterClient } from '../kube/client.ts';
import type { KubeObject } from '../kube/object.ts';
import type { ResourceType } from '../kube/resources.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { EventRecorder } from './event-recorder.ts';
import type { HostOnlyKeys, MetadataPlan } from './metadata-sync.ts';

/**
 * Which way a kind flows.
 * - `to-host`: the virtual object is the source; its host copy is rewritten from it (host edits of the
 *   spec are reverted), labels and annotations merge both ways.
 * - `both`: as to-host, and the host's status (and what the host decides, such as a node or an IP)
 *   flows back up to the virtual object.
 * - `from-host`: the host object is the source; the virtual copy is read-only (tenant edits are
 *   reverted) and goes when the host object goes.
 */
export type Direction = 'to-host' | 'from-host' | 'both';

/** One side of a sync: the cluster, and the objects of it the engine watches. */
export type Side = 'virtual' | 'host';

/**
 * Names one kind's objects across the clusters. Keys are `namespace/name` (or `name` when
 * cluster-scoped). The *source* is the side the kind flows from (virtual for to-host and both, host
 * for from-host); the work queue is keyed by source keys.
 */
export interface Mapper {
  /** The key of the target object for a source key; the source object is passed when it exists. */
  targetKey(sourceKey: string, source: KubeObject | undefined): string | undefined;
  /**
   * The source key a target object is the copy of, or undefined when it is not ours. This is the
   * ownership check: it must prove ownership from the object's metadata, never from its name alone.
   */
  sourceKeyOf(target: KubeObject): string | undefined;
  /** The UID of the source incarnation a target was made from, when the target records it. */
  sourceUidOf?(target: KubeObject): string | undefined;
  /**
   * Whether a target sourceKeyOf takes for ours may be deleted (absent: always). Some proof is
   * enough to update a copy but not to delete it: see clusterScopedToHost.
   */
  deletable?(target: KubeObject): boolean;
  /**
   * The source keys whose target would be at this key (a mapping read backwards), for kinds whose
   * target name an object that is not a copy may hold: when it goes, they are queued to take it.
   */
  sourceKeysFor?(targetKey: string): string[];
}

/**
 * An object of some kind whose changes concern objects of this kind (a pod → the config maps it
 * mounts). The engine watches it, enqueues the keys it returns for the old and the new version, and
 * indexes them so the kind can ask which related objects point at a key.
 */
export interface Relation {
  /** Unique within the kind; `ctx.related(name, key)` reads the index. */
  name: string;
  cluster: Side;
  type: ResourceType;
  scope?: InformerScope;
  /**
   * Watched only while this `--sync` kind is enabled too: objects of a kind that is off have no
   * effect worth following (the secrets kind follows ingresses only when ingresses are synced).
   */
  whenKind?: string;
  /** Source keys of this kind that obj concerns. */
  keys(obj: KubeObject): string[];
  /**
   * The kind reads only which objects point at a key (`ctx.related(...).length`), never their
   * content: an update that keeps an object's keys enqueues nothing. Without it every update does
   * (a pod's status changes would re-reconcile each config map it mounts). With `changed` as well,
   * an update that keeps the keys enqueues them when `changed` finds it relevant: the kind reads
   * which objects point at a key and that one property of them.
   */
  membershipOnly?: boolean;
  /**
   * Only an update this finds relevant enqueues the keys (adds and deletes always do): a namespace's
   * labels, say, and not its every status change. With `membershipOnly`, an update that changes the
   * keys always counts.
   */
  changed?(old: KubeObject, current: KubeObject): boolean;
  /**
   * The kind never reads these objects back (`ctx.related`): they only say which keys to enqueue, so
   * no index is kept (keys that are every pod of a namespace would otherwise be filed per namespace).
   * Its keys are the kind's own sources, which the start lists anyway: they are not asked for then.
   */
  unindexed?: boolean;
  /**
   * The syncer may be unable to read these objects (an admin's namespace, RBAC not granted): their
   * cache does not hold up the start or /readyz (InformerUse.optional). The kind must check its
   * informer's `hasSynced` before it takes an empty cache for "none".
   */
  optional?: boolean;
}

/** What a sync step did, so the engine can measure latency and schedule follow-ups. */
export interface SyncResult {
  hostWritten?: boolean;
  virtualWritten?: boolean;
  requeueAfterMs?: number;
  /**
   * When, by the objects' own timestamps, the change this reconcile carried began (a virtual pod's
   * creation; the host condition's transition), in ms: what a tenant waited, not only the syncer.
   */
  tenantWaitFrom?: Partial<Record<'virtual-to-host' | 'host-to-virtual', number>>;
  /**
   * The write this reconcile made comes back as an event that continues the same urgent flow (a
   * binding, then the status it lets through): take that event in the urgent lane too.
   */
  urgentFollowUp?: boolean;
  /**
   * This reconcile created the target object (the kind's create did, and the API answered). Until the
   * target's cache shows it, the key is not created again (see KindController.createdTargetUntil).
   */
  createdTarget?: boolean;
  /**
   * The target as the API answered its create, when the kind has it: a to-host kind's next sync
   * compares the host's labels and annotations against it, so a host change made before that sync
   * is shown to the tenant too (and what the host's admission added at the create is not).
   */
  created?: KubeObject;
}

/** What every kind may use: both clusters, shared informers, the event recorder, the other kinds. */
export interface SyncEnvironment {
  /** The virtual cluster's name (vCluster's `<vc>` in host names and labels). */
  vcName: string;
  /** The host namespace every namespaced object is synced into. */
  hostNamespace: string;
  virtual: ClusterClient;
  host: ClusterClient;
  /**
   * The shared informers, as this kind sees them: its `waitForSync` waits for every informer the
   * kind asked for (its relations' and its setup's included), so the kind starts when they are full.
   */
  informers: SharedInformers;
  events: EventRecorder;
  clock: Clock;
  logger: Logger;
  /**
   * A tenant's value for a label or annotation the host set on a copy replaces the host's
   * (--tenant-overrides-host-metadata, vCluster's two-way sync); by default host-set keys keep the
   * host's value, so a host policy's labels hold whatever the tenant writes.
   */
  tenantOverridesHostMetadata?: boolean;
}

/** One reconcile's view of a kind. */
export interface ReconcileContext extends SyncEnvironment {
  /** The work key: the source object's key. */
  key: string;
  /** The virtual object's key, namespace and name (for to-host kinds the key itself). */
  virtualKey: string;
  virtualNamespace: string;
  virtualName: string;
  /** The host object's name (for namespaced kinds, in hostNamespace), when the mapper knows it. */
  hostName: string;
  /** How often this key has been retried since it last succeeded. */
  retries: number;
  log: Logger;
  /** Objects of a relation that point at a source key (default: this reconcile's key). */
  related(relation: string, key?: string): KubeObject[];
  /**
   * Plans the labels and annotations of a synced pair three-way (whichever side changed since the
   * last sync wins; host-set keys keep the host's value and are shown to the tenant), and remembers
   * the outcome once the reconcile succeeds, if the host holds it: it did already, or `ctx.host.update`
   * of that host object sent `plan.host` (the engine notes it; a plan not written is not remembered).
   */
  planMetadata(virtual: KubeObject, host: KubeObject, desiredHost: KubeObject): MetadataPlan;
  /**
   * Says this reconcile wrote labels and annotations that flowed up onto the virtual object, patched
   * from `fromResourceVersion` (writeVirtualMetadata calls it): until the cache shows that write, the
   * next plan would read the older virtual object for the tenant's change and take it down again.
   */
  noteMetadataUp?(fromResourceVersion: string | undefined): void;
  /**
   * Says this reconcile replaced the source with a new incarnation (a Service re-created with the
   * host's IP). Until the cache shows that UID, the key waits instead of taking the cache's stale
   * view (the old object, or none) for a deletion and removing the target.
   */
  expectSourceUid(uid: string): void;
}

/** Which host objects a kind watches: see KindSpec.hostWatch. */
export type HostWatch =
  | 'managed'
  | 'all'
  | 'all-namespaces'
  | 'none'
  | { readonly namespaces: readonly string[]; readonly objects?: readonly string[] };

/** A kind as the engine runs it, built from its descriptor and its options. */
export interface KindSpec<V extends KubeObject = KubeObject, H extends KubeObject = KubeObject> {
  readonly direction: Direction;
  readonly virtualType: ResourceType;
  readonly hostType: ResourceType;
  /**
   * Which host objects to watch: `managed` (default) those labelled managed-by this virtual cluster,
   * in the host namespace when namespaced; `all` every one (events, nodes); `none` no host informer
   * (fake nodes exist only in the virtual cluster); `all-namespaces` every one in every host
   * namespace (namespaced host objects of the host's own, such as a CSI driver's capacities);
   * `{ namespaces, objects }` every one in these host namespaces, and these single objects
   * (`namespace/name`), only (what an admin mapped from the host).
   */
  readonly hostWatch?: HostWatch;
  /**
   * With hostWatch `all` or `all-namespaces`: only host objects these labels select (kubectl syntax,
   * applied by the API server), as an admin limits what the host shows a tenant. An object that stops
   * matching leaves the cache as if deleted.
   */
  readonly hostLabelSelector?: string;
  /**
   * A target made for an earlier incarnation of its source (another recorded UID) is taken over by
   * the new one (`update` writes the new record) instead of being deleted and made again: for kinds
   * whose target holds data the source does not (a claim's volume), as vCluster's DisableUIDDeletion.
   * One already terminating is still waited out. A function decides per source.
   */
  readonly adoptsEarlierIncarnations?: boolean | ((source: KubeObject | undefined) => boolean);
  /**
   * The kind's copies name other copies by their host names (an EndpointSlice its Service's, an
   * Ingress its backends'), which is only safe while the kind keeps judging those names: a source
   * opting out (vCluster's controlled-by) removes its copy instead of freezing it, since a frozen copy
   * would outlive the copy it names, whose ambiguous host name another object may take next.
   */
  readonly copyNamesOtherCopies?: boolean;
  /**
   * The kind's targets are extra objects for sources another kind copies (a Service's replica under
   * a mapped name): it is never taken for the kind that copies its type, which other kinds look up
   * to rename the objects they reference.
   */
  readonly replica?: boolean;
  /**
   * Tells the tenant, beyond the Warning event every refusal gets, that its object was refused (a
   * terminal error), where the object's own status can say it (a pod's PodScheduled condition:
   * events expire, and `kubectl get` and Helm's --wait read status). Virtual sources without a copy
   * only: one with a copy shows the copy's status.
   */
  readonly onRefused?: (
    virtual: KubeObject,
    message: string,
    virtualClient: ClusterClient,
    now: number,
  ) => Promise<void>;
  /**
   * Kinds whose objects (annotated controlled-by with their name) this kind takes as sources all the
   * same: a host Service another virtual cluster exposes (mapped-virtual-services), mapped into this
   * one by mapped-host-services. Any other controlled-by value keeps the source another tool's.
   */
  readonly sourcesOf?: readonly string[];
  /** False when the virtual objects need not be watched (events are written, never read back). */
  readonly watchVirtual?: boolean;
  /**
   * CRD-served resources the kind reads in the virtual cluster besides its own (a route's parent
   * Gateways and the ReferenceGrants that allow its references): a virtual cluster lacking their
   * CRDs gets the host's, as for the kind's own, so that a tenant can write what the kind honours.
   */
  readonly virtualCrdsRead?: readonly ResourceType[];
  /**
   * Label and annotation keys the host cluster's own controllers set on this kind's host copies (a
   * claim's binder and provisioner annotations): kept on the host, never shown to the tenant.
   */
  readonly hostOnlyMetadata?: HostOnlyKeys;
  /** Concurrent reconciles; defaults to the --workers setting. */
  readonly workers?: number;
  readonly mapper: Mapper;
  readonly relations?: readonly Relation[];
  /**
   * What must hold before the kind can watch anything (a custom resource's CRD served on both
   * sides): resolves undefined once it holds, or why not yet. Until then the kind makes no
   * informers and waits, checked again every few seconds with each new reason logged; the other
   * kinds run meanwhile, and their relations that follow this kind (whenKind) are wired once it is ready.
   */
  prepare?(env: SyncEnvironment): Promise<string | undefined>;
  /** Extra informers the kind reads (not relations: nothing is enqueued from them). */
  setup?(env: SyncEnvironment, kinds: ReadonlyMap<string, BuiltKind>): void;
  /**
   * Whether the source key should have a target. The default: the source exists and is not
   * controlled by someone else.
   */
  wanted?(ctx: ReconcileContext, source: (V | H) | undefined): boolean;
  /**
   * For `vsyncer check`: how a synced pair differs from what this kind would write (the target's
   * content and, for kinds with status back, the source's status), computed purely from the two
   * objects: no reads, no writes. One short description per difference; none when they agree.
   * Kinds without it are reported with staleness not checked.
   */
  diff?(ctx: ReconcileContext, source: V | H, target: V | H): string[];
  /**
   * An object of another's holds the target's name: true when the kind proved it is its own to
   * replace and deleted it (the key is then retried shortly, as its deletion may enqueue nothing).
   * Without it, or when it answers false, the name stays taken.
   */
  replaceInTheWay?(ctx: ReconcileContext, inTheWay: V | H): Promise<boolean>;
  /** Only the source exists (or, for derived kinds, none): make the target. */
  create(ctx: ReconcileContext, source: (V | H) | undefined): Promise<SyncResult>;
  /** Both exist: bring them in line, writing nothing when they already are. */
  update(ctx: ReconcileContext, source: (V | H) | undefined, target: V | H): Promise<SyncResult>;
  /**
   * The target is ours and no longer wanted. The default deletes it (UID precondition); pods wait
   * for a terminating host pod; events keep theirs.
   */
  remove?(ctx: ReconcileContext, target: V | H): Promise<SyncResult>;
  /**
   * Why a target that is ours and no longer wanted stays for now, or undefined when it may go (config
   * maps and secrets stay while a host pod still uses their copy). `remove` must keep such a target;
   * `vsyncer check` does not count it as orphaned. Reads caches only.
   */
  keptBecause?(ctx: ReconcileContext, target: V | H): string | undefined;
  /**
   * Why a target recording another UID than the source's (an earlier incarnation's, by its record)
   * must be neither deleted nor taken over, or undefined: the source is refused with this (a
   * SyncError) and both are kept, looked at again now and then. Pods: one that ran could only have
   * run from its own copy, so a copy made before it started that records another UID is one whose
   * record was changed.
   */
  earlierIncarnationRefusal?(source: V | H, target: V | H): string | undefined;
  /**
   * Whether the virtual object, though there, has no copy as it is now (refused): the objects naming
   * it are told its copy is not there, so that they name it no more, and a copy kept until then
   * (keptBecause) goes. Reads the object only.
   */
  withholds?(virtual: V): boolean;
  /**
   * The host names of the core objects of `kind` (`Service`, `Secret`, `ConfigMap`) a host copy of
   * this kind names, for a kind whose references are configured (custom resources): those copies stay
   * while it names them (see hostCopiesNaming). Built-in referrers are listed there instead.
   */
  namesOnHost?(copy: H, kind: string): string[];
  /**
   * Once neither the source nor its target is there: removes what the source left on the target's
   * side besides its target (a pod's token Secret, written before its host pod by a syncer that
   * stopped between the two, which nothing else would ever delete). Keys come from relations.
   */
  leftovers?(ctx: ReconcileContext): Promise<SyncResult>;
}

/** An enabled kind: its spec, and what its descriptor says about it to the other kinds. */
export interface BuiltKind {
  name: string;
  spec: KindSpec;
  /** The involvedObject kind of its host events, when they are copied. */
  eventKind?: string;
}

/**
 * The host RBAC a kind needs: a rule of the Role in the host namespace, of the ClusterRole, or of a
 * Role in each host namespace the kind's `whenOption` mappings name (`mapped-namespaces`: the chart
 * finds those namespaces in the same values, templates/rbac.yaml).
 */
export interface RbacRule {
  scope: 'namespace' | 'cluster' | 'mapped-namespaces';
  apiGroups: readonly string[];
  resources: readonly string[];
  verbs: readonly string[];
  /** Needed only when this option of the kind is set: true, or a non-empty list (e.g. syncRealNodes). */
  whenOption?: string;
}

/**
 * Everything about one kind that the rest of the program derives from: `--sync` and its help, the
 * config fields, the chart's RBAC, the list of kinds whose host events are copied.
 */
export interface KindDescriptor<
  F extends readonly FieldSpec[] = readonly FieldSpec[],
  R extends readonly FieldSpec[] = readonly FieldSpec[],
> {
  /** The `--sync` name, e.g. 'configmaps'. */
  readonly name: string;
  readonly description: string;
  readonly defaultOn: boolean;
  /**
   * Also on by default while a boolean setting (`option`, a config key) is true and, when given,
   * `kind` is on: what vCluster's `auto` means (the host's storage classes and CSI objects come with
   * its virtual scheduler). `-name` still turns it off, and it yields to a kind it conflicts with.
   */
  readonly defaultOnWith?: { option: string; kind?: string };
  /** Kinds that may not be enabled together with this one (a clear config error names both). */
  readonly conflictsWith?: readonly string[];
  /**
   * Left off by `--sync '*'`: the kind means nothing without settings of its own, which are not given
   * (host-gateways without the host Gateways to show). Named, it is on, and says what it lacks.
   */
  readonly notByStar?: boolean;
  /** This kind's own settings; it receives exactly these and `reads`, nothing else of the config. */
  readonly fields: F;
  /**
   * Its settings mean nothing while the kind is off, and one set then is a mistake the syncer
   * refuses at start (a class selector without its class kind would limit nothing).
   */
  readonly settingsNeedKind?: boolean;
  /**
   * A setting of this kind that needs another kind on (checked at start while this kind is on), as
   * [flag, problem]; undefined when all is well.
   */
  readonly settingNeedsOtherKind?: (
    options: ValuesOf<F> & ValuesOf<R>,
    enabled: ReadonlySet<string>,
  ) => [string, string] | undefined;
  /**
   * Settings another kind declares (and owns as flags) that this kind follows too, so that one
   * flag means the same for both: the endpoint kinds share their address rules, pods follow the
   * nodes kind's node selector.
   */
  readonly reads?: R;
  readonly hostRbac: readonly RbacRule[];
  /** The involvedObject kind of host events copied into the virtual cluster for this kind. */
  readonly eventKind?: string;
  /** The spec the engine runs, for this kind's options and this virtual cluster's placement. */
  build(options: ValuesOf<F> & ValuesOf<R>, where: Placement): KindSpec;
}

/** Where a virtual cluster lives on the host: what every mapper needs. */
export interface Placement {
  vcName: string;
  hostNamespace: string;
  /** The host Service that fronts the virtual API server; virtual `default/kubernetes` stands for it. */
  virtualApiService: string;
  /**
   * Tenant label and annotation keys no host copy gets (--denied-host-metadata): keys host
   * controllers act on with the host's authority. Unset: none.
   */
  deniedHostMetadata?: readonly string[];
  /** Where the syncer serves the virtual nodes' kubelet API, when it does: every virtual node points there. */
  kubeletEndpoint?: KubeletEndpoint;
}

/** The address and port the virtual cluster's nodes advertise for their kubelet. */
export interface KubeletEndpoint {
  address: string;
  port: number;
  /** One port per node, when node-level endpoints must know their node. */
  nodePorts?: NodePorts;
}

/** Declares a kind with its option types inferred from its fields. */
export function defineKind<
  const F extends readonly FieldSpec[],
  const R extends readonly FieldSpec[] = readonly [],
>(d: KindDescriptor<F, R>): KindDescriptor<F, R> {
  return d;
}
