import { TerminalError } from '../../controller/errors.ts';
import { deleteIncarnation } from '../../kube/delete-incarnation.ts';
import { isApiError } from '../../kube/errors.ts';
import { splitKey, type KubeObject, type OwnerReference } from '../../kube/object.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import { FROM_HOST_LABEL, OBJECT_UID_ANNOTATION } from '../../naming/labels.ts';
import { isPrepared } from '../../sync/engine.ts';
import type {
  BuiltKind,
  KindSpec,
  Placement,
  ReconcileContext,
  Relation,
  SyncResult,
} from '../../sync/kind.ts';
import { recordedVirtualUid } from '../../sync/mappers.ts';
import { hostInformerFor } from '../../sync/host-watch.ts';
import type { InformerView } from '../../informer/namespaces-informer.ts';
import type { InformerScope } from '../../informer/factory.ts';
import type { JudgingContext } from '../ingresses/cert-manager.ts';
import type { JudgedReference, ReferenceJudge, ReferenceVerdict } from '../pods/reference-safety.ts';
import { scrubHostNames } from '../../sync/scrub.ts';
import { hostMetadataFor, sameJson } from './host-metadata.ts';
import { isDnsSubdomain } from '../../naming/dns-names.ts';

/**
 * Secrets a host controller writes for a tenant's object: cert-manager's issued certificate in a
 * Certificate's `spec.secretName` (a custom resource reference configured `filledByHost`), or in the
 * TLS Secret of an Ingress its ingress-shim issues for. They go the other way from every other
 * Secret: the syncer makes the host Secret, empty and of the expected type, under the tenant
 * Secret's host name and with its ownership metadata, so that the name is provably this tenant's
 * before the host's controller is pointed at it (ReferenceJudge.judgeFilled); what the host's
 * controller then writes there is copied into the tenant's Secret of that name, made if missing.
 * Nothing flows down: the tenant's edits of such a Secret are replaced by what the host holds, as
 * cert-manager would replace them.
 */

/** How a host controller fills one Secret. */
export interface FilledSecret {
  /** The type of Secret it writes. */
  type: string;
  /**
   * Labels and annotations the object asks for on the Secret (cert-manager's `secretTemplate`),
   * which go on the tenant's Secret rather than the host's (see CustomResourceReference.template).
   */
  template?: { labels: Record<string, string>; annotations: Record<string, string> };
  /**
   * The tenant's object that names the Secret, when its controller would own the Secret it writes
   * (ESO's creationPolicy Owner): `controls` puts a controller reference to it on the tenant's
   * Secret, so that the tenant's cluster removes the Secret with the object, as it would with ESO
   * there; without it, a reference to it put there before is taken off.
   */
  owner?: { apiVersion: string; kind: string; name: string; uid: string; controls: boolean };
}

/**
 * An object that can change what a filler's objects ask for without changing them (an Ingress's
 * issuer offered or withdrawn): followed so that the Secrets they name are looked at again.
 */
export interface FillerDependency {
  /** Unique among the filler's dependencies. */
  name: string;
  cluster: 'host' | 'virtual';
  type: ResourceType;
  scope?: InformerScope;
  /** The `--sync` kind of those objects: followed only while it runs. */
  whenKind: string;
  /** Those of `objects` (the filler's, the tenant's) that name obj. */
  naming(obj: KubeObject, objects: readonly KubeObject[]): KubeObject[];
}

/** Objects of one kind that name Secrets a host controller fills. */
export interface SecretFiller {
  /** The relation's name, unique among the secrets kind's relations. */
  name: string;
  /** The `--sync` kind of those objects: followed only while it runs. */
  whenKind: string;
  type: ResourceType;
  /**
   * The Secrets obj names as filled by the host (`namespace/name`), each as the host's controller
   * fills it; none for an object that may not reach the host.
   */
  filled(obj: KubeObject, at?: JudgingContext): Map<string, FilledSecret>;
  /**
   * Whether what `filled` answers for obj is not known yet: the kinds it is judged against (the
   * ClusterIssuers shown, the Issuers synced) have not started. A host Secret it may fill is then
   * left as it is, as while the filler's own kind starts.
   */
  undecided?(obj: KubeObject, at: JudgingContext): boolean;
  /** What else `filled` reads (see FillerDependency). */
  dependencies?: readonly FillerDependency[];
}

/** Marks a tenant's Secret the syncer fills from the host (informative: ownership is judged on the host). */
export const FILLED_FROM_HOST_ANNOTATION = 'vsyncer.dev/filled-from-host';

/** Keys the syncers write on host objects: never copied into the tenant's Secret. */
const SYNCER_KEY = /^(vcluster\.loft\.sh|vsyncer\.dev)\//;

/** An empty Secret of a type: the keys the API server requires of it, each empty. */
function emptyPayload(type: string): Pick<KubeObject, 'type' | 'data'> {
  if (type === 'kubernetes.io/tls') return { type, data: { 'tls.crt': '', 'tls.key': '' } };
  if (type === 'kubernetes.io/basic-auth') return { type, data: { username: '' } };
  if (type === 'kubernetes.io/ssh-auth') return { type, data: { 'ssh-privatekey': '' } };
  if (type === 'kubernetes.io/dockerconfigjson') return { type, data: { '.dockerconfigjson': 'e30=' } };
  return { type, data: {} };
}

/** Whether the host's controller has written anything into the Secret yet. */
const isFilled = (host: KubeObject): boolean =>
  Object.values((host.data as Record<string, string> | undefined) ?? {}).some((v) => v !== '');

/**
 * The host Secret to make for the tenant Secret `namespace/name` the host's controller will fill:
 * its host name and ownership metadata, no record of a virtual UID (the tenant's Secret may not
 * exist yet, and is made from this one), and the type's keys, empty.
 */
function emptyFilledSecret(
  where: Pick<Placement, 'vcName' | 'hostNamespace'>,
  secret: { namespace: string; name: string; hostName: string },
  type: string,
): KubeObject {
  const metadata = hostMetadataFor(
    { metadata: { name: secret.name, namespace: secret.namespace } },
    Resources.secrets,
    { vcName: where.vcName, hostNamespace: where.hostNamespace, hostName: secret.hostName },
  );
  return { apiVersion: 'v1', kind: 'Secret', metadata: withoutUidRecord(metadata), ...emptyPayload(type) };
}

/** Metadata without the record of a virtual UID: a host Secret the host's controller fills has none. */
function withoutUidRecord<M extends { annotations?: Record<string, string> }>(metadata: M): M {
  const { [OBJECT_UID_ANNOTATION]: _uid, ...annotations } = metadata.annotations ?? {};
  return { ...metadata, annotations };
}

/**
 * Takes over the copy of the tenant's own Secret (made for a pod before): from now on the host's
 * controller fills it, so it stops recording the tenant Secret's UID (see withFilledSecrets).
 */
async function takeOver(ctx: ReconcileContext, copy: KubeObject): Promise<void> {
  await ctx.host.update(Resources.secrets, ctx.hostNamespace, {
    ...copy,
    metadata: withoutUidRecord(copy.metadata ?? {}),
  });
}

/**
 * From the reconcile of an object naming it (a Certificate, an Ingress): the verdict on a Secret the
 * host's controller fills, making its host Secret when it is not there yet. It is made only once
 * everything else about that object is ready to be written, so that nothing is made on the host for
 * an object that never gets there. A name an object the syncer does not own holds is refused.
 */
export async function judgeOrMakeFilled(
  ctx: ReconcileContext,
  judge: ReferenceJudge,
  ref: JudgedReference,
  namespace: string,
  type: string,
): Promise<ReferenceVerdict> {
  const verdict = judge.judgeFilled(namespace, ref);
  const target = judge.targetOf(ref.kind);
  if (verdict.state !== 'waiting' || !target) return verdict;
  const hostKey = target.spec.mapper.targetKey(`${namespace}/${ref.name}`, undefined);
  if (!hostKey) return verdict;
  const hostName = splitKey(hostKey).name;
  const copy = target.host.store.get(hostKey);
  if (copy && target.spec.mapper.sourceKeyOf(copy) === `${namespace}/${ref.name}`) {
    await takeOver(ctx, copy);
    return { state: 'ready', hostName };
  }
  try {
    await ctx.host.create(
      Resources.secrets,
      ctx.hostNamespace,
      emptyFilledSecret(ctx, { namespace, name: ref.name, hostName }, type),
    );
    ctx.log.debug('made the host Secret a host controller fills', { secret: `${namespace}/${ref.name}` });
    return { state: 'ready', hostName };
  } catch (err) {
    if (!isApiError(err, 'alreadyExists')) throw err;
  }
  // Made meanwhile (by the secrets kind, by another object naming it), or held by someone else, which
  // the cache of managed copies does not show.
  const existing = await ctx.host.get(Resources.secrets, ctx.hostNamespace, hostName);
  if (target.spec.mapper.sourceKeyOf(existing) !== `${namespace}/${ref.name}`)
    return {
      state: 'refused',
      message: `Secret "${ref.name}": its host name is held by an object the syncer does not own`,
    };
  if (recordedVirtualUid(existing) !== undefined) await takeOver(ctx, existing);
  return { state: 'ready', hostName };
}

/**
 * Annotations whose value is the name of a host object (cert-manager's, naming the Certificate and
 * its issuer): the tenant reads the virtual name. Other values (DNS names, common names) are kept as
 * they are: scrubbing would change a name that merely holds the host namespace as a label.
 */
const NAMING_ANNOTATIONS = new Set(['cert-manager.io/certificate-name', 'cert-manager.io/issuer-name']);

/** The host Secret's own labels or annotations (the host controller's, not a syncer's). */
function hostOwnKeys(
  keys: Record<string, string> | undefined,
  ctx: ReconcileContext,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(keys ?? {}))
    if (!SYNCER_KEY.test(k)) out[k] = NAMING_ANNOTATIONS.has(k) ? scrubHostNames(v, ctx) : v;
  return out;
}

/** The name part of a label or annotation key, and a label's value (empty allowed), as the API checks them. */
const KEY_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Whether a label or annotation key is one the API server takes (`[prefix/]name`). */
function isQualifiedKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  return KEY_NAME.test(key.slice(slash + 1)) && (prefix === undefined || isDnsSubdomain(prefix));
}

/**
 * A template's labels or annotations that may go on the tenant's Secret: not the syncers' own keys
 * (the tenant may not set those so), and only what the API server takes (one invalid key would fail
 * every write of the Secret, and the issued data would never arrive).
 */
function tenantKeys(
  keys: Record<string, string> | undefined,
  what: 'labels' | 'annotations',
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(keys ?? {}).filter(
      ([k, v]) => !SYNCER_KEY.test(k) && isQualifiedKey(k) && (what === 'annotations' || LABEL_VALUE.test(v)),
    ),
  );
}

/**
 * Records which labels and annotations the template set on the tenant's Secret, so that those it no
 * longer names are taken off again, as cert-manager takes them off (JSON `{labels, annotations}`).
 */
export const TEMPLATE_KEYS_ANNOTATION = 'vsyncer.dev/template-keys';

/** The keys TEMPLATE_KEYS_ANNOTATION records (none when absent or unreadable). */
function templateKeysOf(secret: KubeObject | undefined): { labels: string[]; annotations: string[] } {
  const raw = secret?.metadata?.annotations?.[TEMPLATE_KEYS_ANNOTATION];
  try {
    const parsed = JSON.parse(raw ?? '{}') as { labels?: unknown; annotations?: unknown };
    const list = (v: unknown) =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    return { labels: list(parsed.labels), annotations: list(parsed.annotations) };
  } catch {
    return { labels: [], annotations: [] };
  }
}

/** `keys` without those the template set before and sets no more (`keep`: what is set now). */
function withoutDropped(
  keys: Record<string, string>,
  before: readonly string[],
  keep: Record<string, string>,
): Record<string, string> {
  const out = { ...keys };
  for (const k of before) if (!(k in keep)) delete out[k];
  return out;
}

/**
 * The owner references of the tenant's Secret with the naming object's controller reference as
 * FilledSecret.owner says: added when it controls the Secret and nothing else does (ESO refuses a
 * Secret another controls, and so does this), taken off when it no longer does. Others are kept.
 */
function withOwner(
  current: OwnerReference[] | undefined,
  owner: FilledSecret['owner'],
): { ownerReferences?: OwnerReference[] } {
  if (!owner) return current ? { ownerReferences: current } : {};
  const others = (current ?? []).filter((r) => r.uid !== owner.uid);
  const { controls, ...identity } = owner;
  const refs =
    controls && !others.some((r) => r.controller)
      ? [...others, { ...identity, controller: true, blockOwnerDeletion: false }]
      : others;
  return refs.length || current ? { ownerReferences: refs } : {};
}

/**
 * Brings the tenant's Secret in line with what the host's controller wrote: made when missing,
 * its data, and the host's own labels and annotations (cert-manager's, naming the Certificate and
 * issuer by their virtual names), laid over the tenant's. A Secret of another type cannot take
 * it (the type is immutable): one the syncer made is replaced, a tenant's own is refused.
 */
export async function fillFromHost(
  ctx: ReconcileContext,
  spec: KindSpec,
  virtual: KubeObject | undefined,
  host: KubeObject,
  filled: Omit<FilledSecret, 'type'> = {},
): Promise<SyncResult> {
  if (!isFilled(host)) return {};
  // Shown from the host by an admin's mapping (judgeFilled refuses naming one): never written into.
  if (virtual?.metadata?.labels?.[FROM_HOST_LABEL] === 'true')
    throw new TerminalError('a Secret shown from the host cluster is not filled by a host controller');
  const { template, owner } = filled;
  // The template's keys, with the host controller's own over them (cert-manager refuses a template
  // naming its keys); never a syncer's. Those the template no longer names are taken off below.
  const templateLabels = tenantKeys(template?.labels, 'labels');
  const templateAnnotations = tenantKeys(template?.annotations, 'annotations');
  const hostLabels = hostOwnKeys(host.metadata?.labels, ctx);
  const hostAnnotations = hostOwnKeys(host.metadata?.annotations, ctx);
  const labels = { ...templateLabels, ...hostLabels };
  const recorded = {
    labels: Object.keys(templateLabels).sort(),
    annotations: Object.keys(templateAnnotations).sort(),
  };
  const annotations: Record<string, string> = {
    ...templateAnnotations,
    ...hostAnnotations,
    [FILLED_FROM_HOST_ANNOTATION]: 'true',
    ...(recorded.labels.length || recorded.annotations.length
      ? { [TEMPLATE_KEYS_ANNOTATION]: JSON.stringify(recorded) }
      : {}),
  };
  const type = host.type ?? 'Opaque';
  if (!virtual) {
    const created = await ctx.virtual.create(spec.virtualType, ctx.virtualNamespace, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: ctx.virtualName,
        namespace: ctx.virtualNamespace,
        labels,
        annotations,
        ...withOwner(undefined, owner),
      },
      type,
      data: host.data,
    });
    // Until the cache shows it, a reconcile would take it for missing and make it again.
    if (created.metadata?.uid) ctx.expectSourceUid(created.metadata.uid);
    ctx.log.debug('made the Secret the host filled');
    return { virtualWritten: true };
  }
  if ((virtual.type ?? 'Opaque') !== type) {
    if (virtual.metadata?.annotations?.[FILLED_FROM_HOST_ANNOTATION] !== 'true')
      throw new TerminalError(
        `Secret ${ctx.virtualName} is of type ${virtual.type ?? 'Opaque'}, and the host's controller writes ${type} into it: delete it to get what the host writes`,
      );
    // Its delete event brings the key back, and the Secret is made afresh.
    await ctx.virtual.delete(spec.virtualType, ctx.virtualNamespace, ctx.virtualName, {
      uid: virtual.metadata?.uid,
    });
    return { virtualWritten: true };
  }
  const meta = virtual.metadata ?? {};
  const before = templateKeysOf(virtual);
  const { [TEMPLATE_KEYS_ANNOTATION]: _record, ...ownAnnotations } = meta.annotations ?? {};
  const desired: KubeObject = {
    ...virtual,
    metadata: {
      ...meta,
      labels: { ...withoutDropped(meta.labels ?? {}, before.labels, labels), ...labels },
      annotations: { ...withoutDropped(ownAnnotations, before.annotations, annotations), ...annotations },
      ...withOwner(meta.ownerReferences, owner),
    },
    data: host.data,
  };
  if (
    sameJson(desired.data, virtual.data) &&
    sameJson(desired.metadata?.labels, meta.labels) &&
    sameJson(desired.metadata?.annotations, meta.annotations) &&
    sameJson(desired.metadata?.ownerReferences ?? [], meta.ownerReferences ?? [])
  )
    return {};
  await ctx.virtual.update(spec.virtualType, ctx.virtualNamespace, desired);
  ctx.log.debug('updated the Secret the host filled');
  return { virtualWritten: true };
}

/**
 * The secrets kind, made to also keep the Secrets the fillers' objects name as filled by the host.
 * A host Secret is the host's to fill once an object naming it so has taken it (judgeOrMakeFilled
 * makes it, or takes over the tenant's copy, when that object is about to reach the host): such a
 * host Secret records no virtual UID. Then, while it is named so, it is kept and copied up, never
 * down; the tenant deleting its Secret only brings it back from the host (a UID record would make the
 * engine take the host Secret for an earlier incarnation's and delete it, from under a pod mounting
 * it). Until it is taken (an object naming it waits, or is refused), the tenant's Secret is copied
 * down as ever, for a pod using it. While a filler's kind has not started (at a restart), a taken
 * host Secret is left as it is: what its objects name is not known yet.
 */
export function withFilledSecrets(base: KindSpec, fillers: readonly SecretFiller[]): KindSpec {
  if (fillers.length === 0) return base;
  let kinds: ReadonlyMap<string, BuiltKind> = new Map();
  let at: JudgingContext | undefined;
  /** Each filler's objects (its kind's cache), once set up and while that kind runs. */
  const fillerObjects = new Map<string, InformerView<KubeObject>>();
  const relations: Relation[] = fillers.flatMap((f): Relation[] => [
    {
      name: f.name,
      cluster: 'virtual',
      type: f.type,
      whenKind: f.whenKind,
      keys: (obj) => [...f.filled(obj).keys()],
      membershipOnly: true,
      // A template changed (labels for the tenant's Secret) counts as well as the keys.
      changed: (old, current) =>
        JSON.stringify([...f.filled(old).values()]) !== JSON.stringify([...f.filled(current).values()]),
    },
    // What else decides it: the Secrets of the objects naming such an object are looked at again (an
    // issuer withdrawn: a taken Secret named so no more becomes an ordinary copy at once).
    ...(f.dependencies ?? []).map(({ naming, ...dependency }): Relation => ({
      ...dependency,
      name: `${f.name}/${dependency.name}`,
      keys: (obj) =>
        naming(obj, fillerObjects.get(f.name)?.store.list() ?? []).flatMap((o) => [...f.filled(o).keys()]),
      unindexed: true,
    })),
  ]);
  /** The type of Secret a host controller fills under this key, or undefined when none does. */
  /** How a host controller fills the Secret of this key, or undefined when none does. */
  const filledAs = (ctx: ReconcileContext): FilledSecret | undefined => {
    for (const f of fillers)
      for (const obj of ctx.related(f.name)) {
        const filled = f.filled(obj, at).get(ctx.key);
        if (filled) return filled;
      }
    return undefined;
  };
  /** Whether what names this key as filled is not known yet (at a restart): see SecretFiller. */
  const fillersStarting = (ctx: ReconcileContext) =>
    fillers.some((f) => {
      const kind = kinds.get(f.whenKind);
      if (kind !== undefined && !isPrepared(kind.spec)) return true;
      return (
        f.undecided !== undefined && at !== undefined && ctx.related(f.name).some((o) => f.undecided!(o, at!))
      );
    });
  const baseWants = (ctx: ReconcileContext, source: KubeObject | undefined) =>
    base.wanted ? base.wanted(ctx, source) : source !== undefined;
  /** A host Secret an object naming it as filled has taken: it records no virtual UID. */
  const taken = (host: KubeObject) => recordedVirtualUid(host) === undefined;
  let hostCopies: InformerView<KubeObject> | undefined;
  /**
   * Whether the host Secret of this key is absent or taken: only then does a Secret named as filled
   * keep it wanted. An ordinary copy whose tenant Secret is gone is not kept for a Certificate that
   * has not taken it: it goes as ever, unless a host pod still mounts it (removeUnlessKept), where
   * keeping it wanted would have the engine replace it as an earlier incarnation's, from under that pod.
   */
  const absentOrTaken = (ctx: ReconcileContext): boolean => {
    const hostKey = spec.mapper.targetKey(ctx.key, undefined);
    const host = hostKey ? hostCopies?.store.get(hostKey) : undefined;
    return host === undefined || taken(host);
  };
  const spec: KindSpec = {
    ...base,
    relations: [...(base.relations ?? []), ...relations],
    setup(env, all) {
      kinds = all;
      at = { env, kinds: all };
      hostCopies = hostInformerFor(env, spec);
      for (const f of fillers)
        if (f.dependencies?.length && all.has(f.whenKind))
          fillerObjects.set(f.name, env.informers.get(env.virtual, f.type));
      base.setup?.(env, all);
    },
    wanted: (ctx, source) => baseWants(ctx, source) || (filledAs(ctx) !== undefined && absentOrTaken(ctx)),
    async create(ctx, source) {
      // The objects naming it make it (judgeOrMakeFilled) once they reach the host; until then a
      // Secret something else uses (a pod) is copied down as ever.
      return baseWants(ctx, source) ? base.create(ctx, source) : {};
    },
    async update(ctx, source, target) {
      if (!taken(target)) return base.update(ctx, source, target);
      if (fillersStarting(ctx)) return { requeueAfterMs: KEEP_WHILE_FILLERS_START_MS };
      const filled = filledAs(ctx);
      if (filled) return fillFromHost(ctx, spec, source, target, filled);
      // Named so no more (its Certificate deleted, a pod still using it): an ordinary copy again.
      return base.update(ctx, source, target);
    },
    async remove(ctx, target) {
      if (taken(target) && fillersStarting(ctx)) return { requeueAfterMs: KEEP_WHILE_FILLERS_START_MS };
      if (base.remove) return base.remove(ctx, target);
      await deleteIncarnation(ctx.host, base.hostType, target);
      return { hostWritten: true };
    },
  };
  return spec;
}

/** How often a filled host Secret that a not-yet-started kind may still name is looked at again. */
const KEEP_WHILE_FILLERS_START_MS = 5_000;
