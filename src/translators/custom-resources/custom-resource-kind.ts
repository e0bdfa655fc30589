import { TerminalError, WaitingError } from '../../controller/errors.ts';
import { HOST_REACHING_TEMPLATE_FUNCTIONS, secretReadingDataRefusal } from '../shared/go-template.ts';
import { withMessagesScrubbed } from '../../sync/scrub.ts';
import type { Informer } from '../../informer/informer.ts';
import { objectKey, splitKey, type KubeObject } from '../../kube/object.ts';
import { apiVersionOf, Resources } from '../../kube/resources.ts';
import { managedBySelector, OBJECT_HOST_NAME_ANNOTATION } from '../../naming/labels.ts';
import { createHostCopy, isPrepared } from '../../sync/engine.ts';
import type {
  BuiltKind,
  HostWatch,
  KindSpec,
  Mapper,
  Placement,
  ReconcileContext,
  Relation,
  SyncEnvironment,
  SyncResult,
} from '../../sync/kind.ts';
import { managedCopiesScope, referenceKey, referrersOfCopy, referrersOfVirtual } from '../../sync/mappers.ts';
import { virtualObjectsRelation } from '../shared/host-copies-naming.ts';
import { withManagedRecord } from '../../sync/managed-metadata.ts';
import { writePlannedMetadataUp } from '../../sync/metadata-writes.ts';
import {
  absentReferenceName,
  ReferenceJudge,
  type JudgedReference,
  type ReferenceTarget,
} from '../pods/reference-safety.ts';
import {
  classWithheld,
  FROM_HOST_LABEL,
  hostClassSelectorOf,
  offersClass,
  writeVirtualCopy,
} from '../shared/from-host.ts';
import type { LabelSelector } from '../../naming/labels.ts';
import { judgeOrMakeFilled } from '../shared/filled-secrets.ts';
import { hostMetadataFor, sameJson } from '../shared/host-metadata.ts';
import {
  BUILTIN_REFERENCE_KINDS,
  customResourceKindName,
  filledTypeOf,
  isSelectorReference,
  referenceApplies,
  selectedForSync,
  withOwnNames,
  type CustomResourceEntry,
  type CustomResourceReference,
} from './config.ts';
import { prepareCustomResource, type ResolvedResource } from './crd.ts';
import { replaceAt, rewriteAt, schemaDefaultsAt, valuesAt, withoutAt } from './path.ts';
import { hostSelectorFor } from './selectors.ts';
import { customResourceToHost, ownedCustomResourceKey } from './ownership.ts';
import { customResourceRefusal, type HostRules } from './allowed-values.ts';
import { selectorOf, showsHostObject, shownVerdict } from './shown.ts';
import { CLUSTER_ISSUERS_CRD, clusterIssuedRefusal } from './cluster-issued.ts';
import { deleteIncarnation } from '../../kube/delete-incarnation.ts';
import { setOwn } from '../../util/json.ts';
import { withoutSyncerMarkers } from './syncer-markers.ts';
import { accountKeyToMake, newAccountKeySecret, withKeyGenerationOff } from './acme-account-keys.ts';
import { isApiError } from '../../kube/errors.ts';

/** Virtual objects by what they name (`<kind>/<namespace>/<name>`), to find those a copy concerns. */
const REFERENCE_INDEX = 'custom-resources/references';
/** The kind showing host IngressClasses; its selector holds the classes an entry's `ingressClasses` name. */
const HOST_INGRESS_CLASSES_KIND = 'host-ingressclasses';

/** How an object naming a cluster-scoped object the host shows is indexed (any namespace names it). */
const shownReferenceKey = (crdName: string, name: string) => `${crdName}//${name}`;

/** What judging an object's references found: per reference, the host names and the unresolved values. */
interface JudgedReferences {
  renames: { ref: CustomResourceReference; hostNames: Map<string, string>; unresolved: Set<string> }[];
  /** `<location>: why`, for references whose copy is not there yet. */
  waiting: string[];
  /** `<location>: why`, for references that may never be renamed as they are. */
  refused: string[];
  /**
   * `<location>: why`, for references to a kind that has not started yet (its CRD, its caches, at a
   * restart): nothing is known of them, so nothing is written, not even for an object on the host.
   */
  starting: string[];
  /** Secrets a host controller fills whose host Secret is not made yet (see judgeOrMakeFilled). */
  toMake: {
    location: string;
    value: string;
    target: ReferenceTarget;
    type: string;
    rename: Map<string, string>;
  }[];
  /** `<location>: why`, for filled Secrets whose host name another object holds. */
  filledRefused: string[];
}

/**
 * A Secret the host's controller would fill is held by another object: the object may not be on the
 * host at all (its copy there would have the controller write into that object, or into a name it
 * left), and a copy made before is removed.
 */
class FilledNameRefused extends TerminalError {}

const isBuiltinReferenceKind = (kind: string) =>
  (BUILTIN_REFERENCE_KINDS as readonly string[]).includes(kind);

/** Top-level fields the syncer never copies: the server's own, and status (it flows the other way). */
const NOT_COPIED = new Set(['apiVersion', 'kind', 'metadata', 'status']);

/** The fields of an object that are copied: everything but metadata, type and status. */
function bodyOf(obj: KubeObject): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([f]) => !NOT_COPIED.has(f)));
}

/** Logs each distinct forbidden message once, as an error an operator sees. */
function forbiddenLogger(env: SyncEnvironment, kind: string): (message: string) => void {
  const logged = new Set<string>();
  return (message) => {
    if (logged.has(message)) return;
    logged.add(message);
    env.logger.error('host RBAC is missing for a configured custom resource', { kind, reason: message });
  };
}

/** Resolves each configured reference kind to the enabled, ready kind whose copies it names. */
export function referenceTargetOf(
  env: SyncEnvironment,
  kinds: ReadonlyMap<string, BuiltKind>,
  refKind: string,
): ReferenceTarget | 'starting' | undefined {
  const builtin = isBuiltinReferenceKind(refKind);
  const found = [...kinds.values()].find((k) =>
    builtin
      ? k.spec.virtualType.group === '' &&
        k.spec.virtualType.kind === refKind &&
        k.spec.direction !== 'from-host' &&
        !k.spec.replica
      : k.name === customResourceKindName({ crdName: refKind }),
  );
  if (!found) return undefined;
  if (!isPrepared(found.spec)) return 'starting';
  const { spec } = found;
  return {
    spec,
    // The same scope as the kind's own host informer: one shared cache.
    host: env.informers.get(env.host, spec.hostType, {
      namespace: spec.hostType.namespaced ? env.hostNamespace : '',
      labelSelector: managedBySelector(env, spec.hostType.namespaced),
    }),
    virtual: env.informers.get(env.virtual, spec.virtualType),
  };
}

/**
 * One reference, to an object of `namespace` of the kind `target` syncs: its copy's host name once
 * that copy is provably this tenant's copy of exactly that object (ReferenceJudge); else why not, the
 * message naming `refKind` and `value`.
 */
/**
 * Why the host copy a template-holding reference resolves to may not be rendered by the host's
 * controller, or undefined. Only a copy of the tenant's own object, which records its UID, has had
 * its content judged (see data-object.ts); a Secret a host controller fills (another ExternalSecret's
 * target, which records none) holds whatever that controller wrote there, from a store the tenant
 * chooses. Its content is judged again here, as the host holds it.
 */
function templateSourceRefusal(
  target: ReferenceTarget,
  hostNamespace: string,
  hostName: string,
  what: string,
): string | undefined {
  const copy = target.host.store.get(`${hostNamespace}/${hostName}`);
  if (!copy) return undefined;
  if (target.spec.mapper.sourceUidOf?.(copy) === undefined)
    return `${what}: a Secret a host controller fills is no template source (what it holds is that controller's output, which nothing checks)`;
  const refusal = secretReadingDataRefusal(
    copy.data,
    target.spec.virtualType.kind === 'Secret',
    HOST_REACHING_TEMPLATE_FUNCTIONS,
  );
  return refusal ? `${what}: ${refusal}` : undefined;
}

export function judgeCopy(
  target: ReferenceTarget | undefined,
  namespace: string,
  refKind: string,
  location: string,
  value: string,
): { hostName: string } | { state: 'waiting' | 'refused'; message: string; missing?: boolean } {
  const what = `${refKind} "${value}"`;
  if (!target)
    return { state: 'refused', message: `${what}: objects of this kind are not synced to the host` };
  if (!target.spec.virtualType.namespaced)
    return { state: 'refused', message: `${what}: ${refKind} is not namespaced` };
  const reference: JudgedReference = {
    kind: target.spec.virtualType.kind as JudgedReference['kind'],
    apiGroup: target.spec.virtualType.group,
    name: value,
    optional: false,
    where: { field: location },
  };
  const verdict = new ReferenceJudge(new Map([[reference.kind, target]])).judge(namespace, reference);
  if (verdict.state === 'ready') return { hostName: verdict.hostName };
  if (verdict.state === 'refused' || verdict.state === 'waiting') return verdict;
  return { state: 'waiting', message: `${what} not found`, missing: true };
}

/**
 * A configured namespaced custom resource, virtual → host (status back unless `status: false`).
 * Objects become `<name>-x-<ns>-x-<vc>` in the host namespace; ownership is proved by the copy's
 * metadata. Each
 * configured reference is rewritten to the host name of the object it names, and only once that
 * object's host copy is provably this tenant's copy of exactly it; until then the object waits.
 * Each configured label selector is scoped to the object's virtual namespace on the host copy only.
 */
export function toHostCustomResourceKind(
  entry: CustomResourceEntry,
  resolved: ResolvedResource,
  where: Placement,
  resolvedOf: (crdName: string) => ResolvedResource | undefined = () => undefined,
  shownFromHost: ReadonlyMap<string, CustomResourceEntry> = new Map(),
  hostLimits: Pick<HostRules, 'reservedHosts' | 'allowedHosts' | 'allowedServers'> = {
    reservedHosts: [],
    allowedHosts: [],
    allowedServers: [],
  },
  /**
   * Which of cert-manager's kinds of the certManager integration this is: Issuers make missing ACME
   * account keys (acme-account-keys.ts), Certificates are held to what a host ClusterIssuer may be
   * asked (cluster-issued.ts).
   */
  certManager?: 'issuers' | 'certificates',
): KindSpec {
  const acmeAccountKeys = certManager === 'issuers';
  const { type } = resolved;
  const kindName = customResourceKindName(entry);
  // Namespaced only: prepare refuses a cluster-scoped resource (see scopeProblem). Copies of any
  // version of the resource are this kind's (see ownedCustomResourceKey).
  const mapper: Mapper = customResourceToHost(type, where);
  let env: SyncEnvironment;
  let kinds: ReadonlyMap<string, BuiltKind> = new Map();
  let logForbidden: (message: string) => void = () => {};
  let virtualObjects: Informer<KubeObject> | undefined;
  /** References naming one object each, renamed to its copy's host name. */
  const nameReferences = entry.references.filter((r) => !isSelectorReference(r));
  /** Label selectors, scoped to the tenant's namespace on the host. */
  const selectorReferences = entry.references.filter(isSelectorReference);

  /** Objects naming the virtual object a host copy stands for: retried when that copy changes. */
  const namingTheOwnerOf = referrersOfCopy(where, () => virtualObjects, REFERENCE_INDEX);
  const managed = managedCopiesScope(where);
  const builtinCopyRelations: Relation[] = (
    [
      ['Secret', Resources.secrets, 'secrets'],
      ['ConfigMap', Resources.configMaps, 'configmaps'],
      ['Service', Resources.services, 'services'],
    ] as const
  )
    .filter(([refKind]) => nameReferences.some((r) => r.kind === refKind))
    .map(([refKind, refType, kind]) => ({
      name: `${kind}-copies`,
      cluster: 'host',
      type: refType,
      scope: managed,
      whenKind: kind,
      keys: namingTheOwnerOf(refKind, refType),
    }));
  // A copy of another configured custom resource that comes or goes retries the objects naming it,
  // as a Secret's does: one on the host must stop naming a host name that copy left.
  const customCopyRelations: Relation[] = [
    ...new Set(nameReferences.map((r) => r.kind).filter((k) => !isBuiltinReferenceKind(k))),
  ].flatMap((crdName) => {
    const referenced = resolvedOf(crdName);
    if (!referenced) return [];
    return [
      {
        name: `${crdName}-copies`,
        cluster: 'host',
        type: referenced.type,
        scope: managed,
        whenKind: customResourceKindName({ crdName }),
        keys: (copy: KubeObject) => {
          // As referrersOfCopy, with a custom resource's ownership (any version of it).
          const owner = ownedCustomResourceKey(copy, where, referenced.type);
          return owner && virtualObjects
            ? virtualObjects.store.byIndex(REFERENCE_INDEX, referenceKey(crdName, owner)).map(objectKey)
            : [];
        },
      },
    ];
  });
  // A host object the virtual cluster starts or stops showing (a ClusterIssuer) retries the objects
  // naming it, in every namespace.
  const shownRelations: Relation[] = [
    ...new Set(nameReferences.map((r) => r.kind).filter((k) => shownFromHost.has(k))),
  ].flatMap((crdName) => {
    const referenced = resolvedOf(crdName);
    if (!referenced) return [];
    return [
      {
        name: `${crdName}-shown`,
        cluster: 'host',
        type: referenced.type,
        // The shown kind's own host informer (see hostInformerFor): one shared cache.
        scope: { namespace: '', labelSelector: selectorOf(shownFromHost.get(crdName)!) },
        whenKind: customResourceKindName({ crdName }),
        keys: (shown: KubeObject) =>
          virtualObjects
            ? virtualObjects.store
                .byIndex(REFERENCE_INDEX, shownReferenceKey(crdName, shown.metadata?.name ?? ''))
                .map(objectKey)
            : [],
        unindexed: true,
      },
    ];
  });
  /**
   * An object refused for a class it names (ingressClassRefusal) is tried again when that host class
   * changes: given the selector's labels, or made.
   */
  /** The IngressClasses an object names at the entry's `ingressClasses` fields, where it names them. */
  const namedIngressClasses = (obj: KubeObject): { location: string; name: string }[] =>
    entry.ingressClasses.flatMap((field) =>
      valuesAt(obj, field.segments).values.flatMap(({ location, value }) =>
        typeof value === 'string' && value !== '' ? [{ location, name: value }] : [],
      ),
    );
  const ingressClassRelations = entry.ingressClasses.length
    ? [
        {
          name: 'host-ingressclasses',
          cluster: 'host' as const,
          type: Resources.ingressClasses,
          whenKind: HOST_INGRESS_CLASSES_KIND,
          keys: (cls: KubeObject) => {
            if (!offeredIngressClasses) return [];
            const name = cls.metadata?.name ?? '';
            return (virtualObjects?.store.list() ?? [])
              .filter((obj) => namedIngressClasses(obj).some((named) => named.name === name))
              .map(objectKey);
          },
        },
      ]
    : [];
  // A Service, Secret or ConfigMap that goes (or a Service whose copy its kind withholds) has the
  // objects naming it judged again at once: their copies name it no more before its copy goes.
  const naming = referrersOfVirtual(() => virtualObjects, REFERENCE_INDEX);
  const virtualReferencedRelations: Relation[] = (
    [
      ['Secret', Resources.secrets, 'secrets'],
      ['ConfigMap', Resources.configMaps, 'configmaps'],
      ['Service', Resources.services, 'services'],
    ] as const
  )
    .filter(([refKind]) => nameReferences.some((r) => r.kind === refKind && !r.filledByHost))
    .map(([refKind, refType, kind]) => virtualObjectsRelation(refType, kind, naming(refKind)));
  const copyRelations = [
    ...builtinCopyRelations,
    ...virtualReferencedRelations,
    ...customCopyRelations,
    ...shownRelations,
    ...ingressClassRelations,
  ];

  /** Every configured reference of the object, judged: its copy's host name, or why it has none now. */
  function judgeReferences(ctx: ReconcileContext, virtual: KubeObject): JudgedReferences {
    const judged: JudgedReferences = {
      renames: [],
      waiting: [],
      refused: [],
      starting: [],
      toMake: [],
      filledRefused: [],
    };
    for (const ref of nameReferences) {
      const { values, problem } = valuesAt(virtual, ref.segments);
      if (problem) throw new TerminalError(`malformed ${type.kind}: ${problem}`);
      if (!referenceApplies(ref, virtual)) continue;
      const shown = shownFromHost.get(ref.kind);
      const found = shown ? undefined : referenceTargetOf(env, kinds, ref.kind);
      const target = found === 'starting' ? undefined : found;
      const hostNames = new Map<string, string>();
      const unresolved = new Set<string>();
      for (const { location, value } of values) {
        if (value === '') continue;
        if (typeof value !== 'string')
          throw new TerminalError(`malformed ${type.kind}: ${location} must be a string`);
        if (ref.filledByHost && target) {
          const filled = filledJudge(target).judgeFilled(ctx.virtualNamespace, filledRef(value));
          if (filled.state === 'ready') hostNames.set(value, filled.hostName);
          else if (filled.state === 'waiting')
            judged.toMake.push({
              location,
              value,
              target,
              type: filledTypeOf(ref, virtual)!,
              rename: hostNames,
            });
          else if (filled.state === 'refused') judged.filledRefused.push(`${location}: ${filled.message}`);
          continue;
        }
        const verdict = shown
          ? judgeShown(shown, value)
          : found === 'starting'
            ? {
                state: 'starting' as const,
                message: `${ref.kind} "${value}": objects of this kind are not synced yet`,
              }
            : judgeCopy(target, ctx.virtualNamespace, ref.kind, location, value);
        const templates =
          ref.holdsTemplates && target && 'hostName' in verdict
            ? templateSourceRefusal(target, ctx.hostNamespace, verdict.hostName, `${ref.kind} "${value}"`)
            : undefined;
        if (templates) {
          unresolved.add(value);
          judged.refused.push(`${location}: ${templates}`);
        } else if ('hostName' in verdict) hostNames.set(value, verdict.hostName);
        else {
          unresolved.add(value);
          judged[verdict.state].push(`${location}: ${verdict.message}`);
        }
      }
      judged.renames.push({ ref, hostNames, unresolved });
    }
    return judged;
  }

  /**
   * A reference to an object the host shows the virtual cluster (a ClusterIssuer): it keeps its
   * name, which is the host object's, once the host object is one the virtual cluster shows
   * (judged on the host: the virtual copy's label is the tenant's to forge). One it does not show
   * (left out by the selector, or missing) reads as missing, whatever the host holds.
   */
  function judgeShown(
    shown: CustomResourceEntry,
    value: string,
  ): { hostName: string } | { state: 'waiting' | 'refused' | 'starting'; message: string } {
    const what = `${shown.crdName} "${value}"`;
    const verdict = shownVerdict(env, kinds, shown, value);
    switch (verdict.state) {
      case 'shown':
        return { hostName: value };
      case 'starting':
        return { state: 'starting', message: `${what}: objects of this kind are not shown yet` };
      case 'refused':
        return { state: 'refused', message: `${what}: ${verdict.message}` };
      case 'not-shown':
        return { state: 'waiting', message: `${what} not found` };
    }
    return verdict satisfies never;
  }

  /** Judges Secrets a host controller fills (`filledByHost`): see ReferenceJudge.judgeFilled. */
  const filledJudge = (target: ReferenceTarget) => new ReferenceJudge(new Map([['Secret', target]]));
  const filledRef = (value: string): JudgedReference => ({
    kind: 'Secret',
    name: value,
    optional: false,
    where: { field: value },
  });

  /**
   * The body with every reference renamed to its host copy's name. A new object waits for copies
   * that are not ready (nothing on the host names anything meanwhile). An object already on the
   * host cannot wait: its copy would keep naming the host name the referenced copy left, which
   * another namespace's object may take next (host names are ambiguous). Such a reference points
   * at a name no copy can have until the copy is ready again; `notReady` says which, and why.
   */
  async function hostBody(
    ctx: ReconcileContext,
    virtual: KubeObject,
    onHost: boolean,
  ): Promise<{ body: Record<string, unknown>; notReady: string[] }> {
    // A reference left to default (external-secrets' target Secret) is judged and written as named.
    const named = withOwnNames(virtual, entry);
    // A malformed selector is the tenant's to fix: said before what waits for other objects.
    let body = withoutSyncerMarkers(scopedSelectors(ctx, bodyOf(named)));
    const judged = judgeReferences(ctx, named);
    const { waiting, refused, starting, filledRefused } = judged;
    // Nothing is known of a kind that has not started: its objects' copies may be there all along.
    if (starting.length) throw new WaitingError(starting.join('; '));
    if (filledRefused.length)
      throw new FilledNameRefused(`cannot sync this ${type.kind}: ${filledRefused.join('; ')}`);
    if (!onHost && refused.length)
      throw new TerminalError(`cannot sync this ${type.kind}: ${refused.join('; ')}`);
    if (!onHost && waiting.length) {
      // Said once (the wait is retried quietly): what a tenant's object waits for, where it looks.
      await ctx.events.record(
        virtual,
        'Normal',
        'Waiting',
        `waiting for what it names: ${waiting.join('; ')}`,
        { once: true },
      );
      throw new WaitingError(waiting.join('; '));
    }
    // Everything else is ready to be written: the host Secrets its controller fills are made now.
    for (const { location, value, target, type: secretType, rename } of judged.toMake) {
      const made = await judgeOrMakeFilled(
        ctx,
        filledJudge(target),
        filledRef(value),
        ctx.virtualNamespace,
        secretType,
      );
      if (made.state !== 'ready')
        throw new FilledNameRefused(
          `cannot sync this ${type.kind}: ${location}: ${'message' in made ? made.message : made.state}`,
        );
      rename.set(value, made.hostName);
    }
    const referrer = `${kindName}/${ctx.virtualNamespace}/${virtual.metadata?.name}/${virtual.metadata?.uid}`;
    for (const { ref, hostNames, unresolved } of judged.renames)
      body = rewriteAt(body, ref.segments, (value) =>
        unresolved.has(value)
          ? absentReferenceName(referrer, { kind: ref.kind, name: `${ctx.virtualNamespace}/${value}` })
          : (hostNames.get(value) ?? value),
      );
    // A filled Secret's template goes on the tenant's Secret (filled-secrets.ts), never the host's.
    for (const ref of entry.references) {
      if (ref.template) body = withoutAt(body, ref.template.segments);
      // Its holder set, empty: the host's controller would otherwise take the copy's own metadata.
      if (ref.ownMetadataUnless && referenceApplies(ref, named))
        body = replaceAt(
          body,
          ref.ownMetadataUnless.segments,
          (value) => value ?? schemaDefaultsAt(resolved.hostSchema, ref.ownMetadataUnless!.segments),
          { fillAbsent: true },
        );
    }
    return { body: body as Record<string, unknown>, notReady: [...refused, ...waiting] };
  }

  /**
   * The body with each configured selector scoped to this virtual cluster and the object's virtual
   * namespace; a value that is not a selector is a TerminalError naming where it is. An absent or
   * null selector is scoped as an empty one: to many host controllers (Istio's workloadSelector) a
   * missing selector means every workload of the namespace, and on the host that namespace is every
   * tenant's. See replaceAt's fillAbsent for where a missing field is written.
   */
  function scopedSelectors(ctx: ReconcileContext, body: Record<string, unknown>): unknown {
    const scope = { vcName: where.vcName, virtualNamespace: ctx.virtualNamespace };
    let out: unknown = body;
    for (const ref of selectorReferences) {
      const { problem } = valuesAt(body, ref.segments);
      if (problem) throw new TerminalError(`malformed ${type.kind}: ${problem}`);
      out = replaceAt(
        out,
        ref.segments,
        (value, location) => {
          const scoped = hostSelectorFor(ref.kind, value ?? {}, location, scope);
          if ('problem' in scoped)
            throw new TerminalError(
              `malformed ${type.kind}: ${scoped.problem} (configured as a ${ref.kind})`,
            );
          return scoped.selector;
        },
        { fillAbsent: true },
      );
    }
    return out;
  }

  /** With `host-ingressclasses` and its selector: the host classes the entry's `ingressClasses` may name. */
  let offeredIngressClasses: { informer: Informer<KubeObject>; selector: LabelSelector } | undefined;

  /**
   * Why a class the object names is not one the tenant may use (as an Ingress naming it would be
   * refused): the host's controller would make its Ingresses of that class in the host namespace.
   */
  function ingressClassRefusal(virtual: KubeObject): string | undefined {
    if (!offeredIngressClasses) return undefined;
    const { informer, selector } = offeredIngressClasses;
    for (const { location, name } of namedIngressClasses(virtual)) {
      const cls = informer.store.get(name);
      if (cls && offersClass(selector, cls)) continue;
      const object = { words: type.kind, name: virtual.metadata?.name ?? '' };
      return `${location}: ${classWithheld(object, 'IngressClass', name, cls !== undefined)}`;
    }
    return undefined;
  }

  /** Why a Certificate may not be issued by the host ClusterIssuer it names (cluster-issued.ts). */
  function clusterIssuerRefusal(virtual: KubeObject): string | undefined {
    const issuerRef = (virtual.spec as { issuerRef?: { name?: unknown; kind?: unknown } } | undefined)
      ?.issuerRef;
    const shown = shownFromHost.get(CLUSTER_ISSUERS_CRD);
    if (certManager !== 'certificates' || issuerRef?.kind !== 'ClusterIssuer' || !shown) return undefined;
    if (typeof issuerRef.name !== 'string') return undefined;
    const verdict = shownVerdict(env, kinds, shown, issuerRef.name);
    return clusterIssuedRefusal(virtual, verdict.state === 'shown' ? verdict.host : undefined);
  }

  const refusalOf = (virtual: KubeObject): string | undefined =>
    customResourceRefusal(virtual, entry, {
      hostNamespace: where.hostNamespace,
      ...hostLimits,
    }) ??
    ingressClassRefusal(virtual) ??
    clusterIssuerRefusal(virtual);

  /** The host copy to have; `onHost`: the object has one already (see hostBody). */
  async function desiredHost(
    ctx: ReconcileContext,
    virtual: KubeObject,
    onHost: boolean,
  ): Promise<{ desired: KubeObject; notReady: string[] }> {
    const refusal = refusalOf(virtual);
    if (refusal) throw new TerminalError(`cannot sync this ${type.kind}: ${refusal}`);
    if (acmeAccountKeys) await makeMissingAccountKey(ctx, virtual, onHost);
    const metadata = hostMetadataFor(virtual, type, { ...where, hostName: ctx.hostName });
    const hosted = await hostBody(ctx, virtual, onHost);
    const body = acmeAccountKeys ? withKeyGenerationOff(hosted.body) : hosted.body;
    return {
      desired: { apiVersion: apiVersionOf(type), kind: type.kind, metadata, ...body },
      notReady: hosted.notReady,
    };
  }

  /**
   * Makes the ACME account key Secret the Issuer names in its virtual namespace when it is missing,
   * as cert-manager would (acme-account-keys.ts). Only while Secrets are synced (it would otherwise
   * never reach the host) and once their kind has read them (the cache, filled before workers start,
   * says what is missing); never replacing a Secret: one the cache does not show yet is found by the
   * create (AlreadyExists), and left as it is. A new Issuer then waits for the copy; one already on
   * the host goes on, as for any reference whose copy is not ready (see hostBody).
   */
  async function makeMissingAccountKey(
    ctx: ReconcileContext,
    virtual: KubeObject,
    onHost: boolean,
  ): Promise<void> {
    const wanted = accountKeyToMake(virtual);
    if (!wanted || virtual.metadata?.deletionTimestamp) return;
    const target = referenceTargetOf(env, kinds, 'Secret');
    if (!target || target === 'starting') return;
    const secrets = env.informers.get(env.virtual, Resources.secrets);
    if (secrets.store.get(`${ctx.virtualNamespace}/${wanted.name}`)) return;
    try {
      await ctx.virtual.create(
        Resources.secrets,
        ctx.virtualNamespace,
        await newAccountKeySecret(wanted.name, wanted.key),
      );
    } catch (err) {
      if (isApiError(err, 'alreadyExists')) return;
      await ctx.events.record(
        virtual,
        'Warning',
        'SyncError',
        `cannot create the ACME account key Secret ${wanted.name}: ${(err as Error).message}`,
        { once: true },
      );
      throw err;
    }
    await ctx.events.record(
      virtual,
      'Normal',
      'AccountKeyCreated',
      `created the ACME account key Secret ${wanted.name} (key ${wanted.key}), as cert-manager would: the host's cert-manager reads it from its copy`,
    );
    if (!onHost)
      throw new WaitingError(
        `waiting for the copy of the ACME account key Secret ${wanted.name}, just created`,
      );
  }

  const spec: KindSpec = {
    direction: entry.status ? 'both' : 'to-host',
    virtualType: type,
    hostType: type,
    mapper,
    // A copy naming other copies must not be frozen by an opt-out: it would keep a host name the
    // named copy may leave, for another namespace's object to take.
    copyNamesOtherCopies: nameReferences.length > 0,

    prepare(e) {
      env = e;
      logForbidden = forbiddenLogger(e, kindName);
      return prepareCustomResource(e, entry, resolved, logForbidden);
    },

    relations: copyRelations,

    /**
     * The host names a copy's configured references of a core kind hold: while one names a Service's,
     * Secret's or ConfigMap's copy, that copy stays when it would go (hostCopiesNaming). A Secret the
     * host's controller fills (filledByHost) is the host's, not a copy that waits for the tenant.
     */
    namesOnHost: (copy, kind) =>
      nameReferences
        .filter((ref) => ref.kind === kind && !ref.filledByHost)
        .flatMap((ref) =>
          valuesAt(copy, ref.segments).values.flatMap(({ value }) =>
            typeof value === 'string' && value ? [value] : [],
          ),
        ),

    // With a selector, an object that loses its labels loses its copy (vCluster's toHost selectors).
    wanted: (_ctx, virtual) => virtual !== undefined && selectedForSync(entry, virtual),

    setup(e, all) {
      kinds = all;
      const classSelector = entry.ingressClasses.length
        ? hostClassSelectorOf(all, HOST_INGRESS_CLASSES_KIND)
        : undefined;
      offeredIngressClasses = classSelector && {
        informer: e.informers.get(e.host, Resources.ingressClasses),
        selector: classSelector,
      };
      // What is missing is read from this cache (makeMissingAccountKey): filled before workers start.
      if (acmeAccountKeys) e.informers.get(e.virtual, Resources.secrets);
      virtualObjects = e.informers.get(e.virtual, type);
      virtualObjects.addIndexer(REFERENCE_INDEX, (obj) => {
        const namespace = obj.metadata?.namespace ?? '';
        const named = withOwnNames(obj, entry);
        return nameReferences.flatMap((ref) =>
          valuesAt(named, ref.segments).values.flatMap(({ value }) =>
            typeof value !== 'string' || !value
              ? []
              : shownFromHost.has(ref.kind)
                ? [shownReferenceKey(ref.kind, value)]
                : [`${ref.kind}/${namespace}/${value}`],
          ),
        );
      });
    },

    async create(ctx, virtual): Promise<SyncResult> {
      return createHostCopy(ctx, spec, (await desiredHost(ctx, virtual!, false)).desired);
    },

    async update(ctx, source, host): Promise<SyncResult> {
      const virtual = source!;
      const refusal = refusalOf(virtual);
      if (refusal) {
        // Refused now (changed since, or by a configuration that allows less than when the copy was
        // made): the host's controller must not keep acting on the copy.
        await deleteIncarnation(ctx.host, type, host);
        throw new TerminalError(`cannot sync this ${type.kind}: ${refusal}; its host copy is removed`);
      }
      let judgedHost: { desired: KubeObject; notReady: string[] };
      try {
        judgedHost = await desiredHost(ctx, virtual, true);
      } catch (err) {
        if (!(err instanceof FilledNameRefused)) throw err;
        // The host's controller must not keep writing a Secret under a name that is not this tenant's.
        await deleteIncarnation(ctx.host, type, host);
        throw new TerminalError(`${err.message}; its host copy is removed`);
      }
      const { desired, notReady } = judgedHost;
      const plan = ctx.planMetadata(virtual, host, desired);
      const result: SyncResult = {};
      const fields = Object.keys({ ...bodyOf(desired), ...bodyOf(host) });
      if (plan.hostChanged || !fields.every((f) => sameJson(desired[f], host[f]))) {
        // The host's status is kept as it is (a resource without a status subresource takes it from the PUT).
        const updated: KubeObject = { ...host, metadata: { ...host.metadata, ...plan.host } };
        for (const f of fields) {
          if (desired[f] === undefined) delete updated[f];
          else setOwn(updated, f, desired[f]);
        }
        await ctx.host.update(type, ctx.hostNamespace, updated);
        result.hostWritten = true;
      }
      // Told after the write: nothing may come between judging the references and writing them.
      if (notReady.length)
        await ctx.events.record(
          virtual,
          'Warning',
          'SyncError',
          `${type.kind} synced pointing at nothing in place of what is not ready: ${notReady.join('; ')}`,
          { once: true },
        );
      let latest = virtual;
      // The host's controllers write host names in their messages.
      const status = entry.status
        ? withMessagesScrubbed(host.status, where, { allStrings: true })
        : undefined;
      if (entry.status && !sameJson(status, virtual.status)) {
        const withStatus: KubeObject = { ...virtual, status };
        if (status === undefined) delete withStatus.status;
        latest = await ctx.virtual.update(
          type,
          ctx.virtualNamespace,
          withStatus,
          resolved.statusSubresource.virtual ? { subresource: 'status' } : {},
        );
        result.virtualWritten = true;
      }
      if (await writePlannedMetadataUp(ctx, type, latest, plan)) result.virtualWritten = true;
      return result;
    },
  };
  return spec;
}

/**
 * A configured custom resource the host owns, shown read-only in the virtual cluster under its own
 * name: cluster-scoped objects as they are, namespaced ones of each configured host namespace in
 * the virtual namespace it maps to. A tenant's edit is reverted, a host delete removes the copy, and
 * a tenant's own object of that name is never touched (copies carry `vsyncer.dev/managed`).
 */
export function fromHostCustomResourceKind(entry: CustomResourceEntry, resolved: ResolvedResource): KindSpec {
  const { type } = resolved;
  const hostNamespaceOf = new Map(Object.entries(entry.namespaces).map(([h, v]) => [v, h]));
  const virtualNamespaceOf = (hostNamespace: string | undefined) =>
    type.namespaced ? entry.namespaces[hostNamespace ?? ''] : '';

  const mapper: Mapper = {
    targetKey(hostKey) {
      if (!type.namespaced) return hostKey;
      const { namespace, name } = splitKey(hostKey);
      const virtualNamespace = virtualNamespaceOf(namespace);
      return virtualNamespace ? `${virtualNamespace}/${name}` : undefined;
    },
    sourceKeyOf(virtual) {
      const meta = virtual.metadata ?? {};
      if (meta.labels?.[FROM_HOST_LABEL] !== 'true' || !meta.name) return undefined;
      if (!type.namespaced) return meta.name;
      const hostNamespace = hostNamespaceOf.get(meta.namespace ?? '');
      return hostNamespace ? `${hostNamespace}/${meta.name}` : undefined;
    },
  };

  function copyOf(host: KubeObject): KubeObject {
    const meta = host.metadata ?? {};
    const namespace = virtualNamespaceOf(meta.namespace);
    return {
      apiVersion: apiVersionOf(type),
      kind: type.kind,
      metadata: {
        name: meta.name,
        ...(type.namespaced ? { namespace } : {}),
        ...withManagedRecord({
          labels: { ...(meta.labels ?? {}), [FROM_HOST_LABEL]: 'true' },
          annotations: { ...(meta.annotations ?? {}), [OBJECT_HOST_NAME_ANNOTATION]: meta.name ?? '' },
        }),
      },
      ...bodyOf(host),
    };
  }

  const write = (ctx: ReconcileContext, host: KubeObject, current?: KubeObject) =>
    writeVirtualCopy(ctx, type, virtualNamespaceOf(host.metadata?.namespace) ?? '', copyOf(host), current);

  return {
    direction: 'from-host',
    virtualType: type,
    hostType: type,
    // Read where the objects are: cluster-wide for cluster-scoped ones, the configured host
    // namespaces otherwise (the type is known only once prepared).
    get hostWatch(): HostWatch {
      return type.namespaced ? { namespaces: Object.keys(entry.namespaces) } : 'all';
    },
    mapper,
    prepare: (env) =>
      prepareCustomResource(env, entry, resolved, forbiddenLogger(env, customResourceKindName(entry))),
    // What a syncer made on the host (managed-by: a virtual cluster's toHost copy of its tenant's
    // object, with its spec) belongs to that tenant: never shown here.
    // Only what the selector offers is read (see shown.ts, which judges references to these).
    hostLabelSelector: selectorOf(entry),
    wanted: (_ctx, host) =>
      host !== undefined &&
      virtualNamespaceOf(host.metadata?.namespace) !== undefined &&
      showsHostObject(entry, host),
    create: async (ctx, host) => write(ctx, host!),
    update: async (ctx, host, current) => write(ctx, host!, current),
  };
}
