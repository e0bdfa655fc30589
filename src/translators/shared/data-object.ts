import { TerminalError } from '../../controller/errors.ts';
import type { Informer } from '../../informer/informer.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { Pod } from '../../kube/types.ts';
import {
  FORCE_SYNC_ANNOTATION,
  hostKeyForReservedLabel,
  MANAGED_BY_LABEL,
  OBJECT_NAME_ANNOTATION,
} from '../../naming/labels.ts';
import { DATA_COPY_DENIED_KEYS } from '../../naming/denied-metadata.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import { createHostCopy } from '../../sync/engine.ts';
import type {
  BuiltKind,
  KindSpec,
  Placement,
  Relation,
  ReconcileContext,
  SyncEnvironment,
  SyncResult,
} from '../../sync/kind.ts';
import { managedCopiesScope, namespacedToHost } from '../../sync/mappers.ts';
import { writePlannedMetadataUp } from '../../sync/metadata-writes.ts';
import { referencedNames } from '../pods/reference-walker.ts';
import { hostMetadataFor, sameJson } from './host-metadata.ts';
import { malformedDataObject } from './shape.ts';
import { secretReadingDataRefusal } from './go-template.ts';
import { KEEP_WHILE_USED_RECHECK_MS, removeUnlessKept } from './remove-unless-kept.ts';
import {
  BoundedKeep,
  hostCopiesNaming,
  type HostCopyReferrer,
  hostReferrerRelations,
  MAX_NAMED_KEEP_MS,
  NAMED_COPY_RECHECK_MS,
} from './host-copies-naming.ts';

/** Every verb on a kind the syncer owns copies of. */
export const CRUD = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] as const;

/** Names of the virtual objects of one kind a pod uses. */
export type PodReferences = (pod: KubeObject) => string[];

/** Objects of another kind that use objects of this kind (ingresses name TLS secrets): also a reason to sync them. */
export interface Referrer {
  /** The `--sync` kind of the referring objects: they are followed only while it is enabled. */
  kind: string;
  type: ResourceType;
  /**
   * `namespace/name` keys of the objects of this kind obj uses (another namespace's too, allowed or
   * not: once a permission comes, the object is found through them).
   */
  references(obj: KubeObject): string[];
  /** What a reference must have before it counts (absent: every reference counts). */
  permission?: ReferencePermission;
}

/**
 * What the virtual cluster's own rules ask of a reference before it counts (the Gateway API's
 * ReferenceGrants): one they refuse must not copy another namespace's Secret into the shared host
 * namespace, where host controllers and admins read it, even though the referrer's copy is refused.
 */
export interface ReferencePermission {
  /** The virtual objects that allow references, watched while the referrer's kind runs. */
  type: ResourceType;
  /** Whether `referrer`'s reference to the object `key` counts; `granting` lists a namespace's permission objects. */
  allows(referrer: KubeObject, key: string, granting: (namespace: string) => KubeObject[]): boolean;
  /** Keys of the objects of this kind a permission object may allow; `keysIn` lists a namespace's. */
  concerns(permission: KubeObject, keysIn: (namespace: string) => string[]): string[];
}

export interface DataObjectOptions {
  type: ResourceType;
  /** Top-level fields copied verbatim to the host, e.g. data, binaryData, immutable. */
  payloadFields: readonly string[];
  /** Sync every object rather than only those a pod uses. */
  syncAll: boolean;
  /** What a pod references; used unless syncAll. */
  podReferences: PodReferences;
  /** Other kinds whose objects keep an object synced while they use it; used unless syncAll. */
  referrers?: readonly Referrer[];
  /** Objects synced whether or not anything uses them yet (the root CA bundle every pod mounts). */
  syncedAhead?: (virtual: KubeObject) => boolean;
  /** Last word on the host copy of `virtual`, e.g. to neutralise fields the host would act on. */
  hostTransform?: (host: KubeObject, virtual: KubeObject) => KubeObject;
  /**
   * Other reasons a copy may not go yet, from what else on the host reads it by name (beside the
   * host pods that mount it), each made with the kinds built beside this one; undefined when none can.
   */
  keptFor?: readonly KeptFor[];
  /**
   * Kinds whose host copies name this kind's copies by their host names (an Ingress its TLS Secret):
   * a copy that would go stays while one of them still names it, for a few seconds at most (see
   * hostCopiesNaming).
   */
  namedByHostCopies?: readonly HostCopyReferrer[];
}

/** Makes a check of why a copy stays (undefined: it may go), or undefined when nothing can hold one. */
export type KeptFor = (
  env: SyncEnvironment,
  kinds: ReadonlyMap<string, BuiltKind>,
) => ((copy: KubeObject) => string | undefined) | undefined;

/** The host copy of a config map or secret: translated metadata and the payload, nothing else. */
export function hostDataObject(
  virtual: KubeObject,
  opts: Pick<DataObjectOptions, 'type' | 'payloadFields' | 'hostTransform'>,
  where: Placement & { hostName: string },
): KubeObject {
  const out: KubeObject = {
    apiVersion: 'v1',
    kind: opts.type.kind,
    metadata: hostMetadataFor(virtual, opts.type, {
      ...where,
      deniedHostMetadata: [...(where.deniedHostMetadata ?? []), ...DATA_COPY_DENIED_KEYS],
    }),
  };
  for (const field of opts.payloadFields) if (virtual[field] !== undefined) out[field] = virtual[field];
  const unmarked = withoutHelmReleaseMarks(out, where.vcName);
  return opts.hostTransform ? opts.hostTransform(unmarked, virtual) : unmarked;
}

/** The label Helm finds its release records by (`owner=helm,name=<release>`), and their Secret type. */
const HELM_OWNER_LABEL = 'owner';
const HELM_RELEASE_SECRET_TYPE = 'helm.sh/release.v1';

/**
 * A host copy that Helm cannot take for a release record. Helm finds a release's records by label
 * alone, in the namespace it installs into, which for the virtual cluster's own release is the host
 * namespace: a tenant's Secret or ConfigMap labelled `owner: helm, name: <release>` would be read as
 * that release's latest record, and an admin's next `helm upgrade` or `uninstall` would act on the
 * manifest and hooks the tenant wrote, with the admin's rights. The `owner` label is kept hashed (as
 * reserved labels are) and the record type becomes Opaque; the virtual object keeps both.
 */
function withoutHelmReleaseMarks(copy: KubeObject, vcName: string): KubeObject {
  const labels = copy.metadata?.labels;
  const marked = labels?.[HELM_OWNER_LABEL] === 'helm';
  if (!marked && copy.type !== HELM_RELEASE_SECRET_TYPE) return copy;
  const out: KubeObject = { ...copy, metadata: { ...copy.metadata } };
  if (marked) {
    const { [HELM_OWNER_LABEL]: owner, ...rest } = labels!;
    out.metadata!.labels = { ...rest, [hostKeyForReservedLabel(HELM_OWNER_LABEL, vcName)]: owner! };
  }
  if (copy.type === HELM_RELEASE_SECRET_TYPE) out.type = 'Opaque';
  return out;
}

/**
 * Kinds that are plain data (config maps, secrets): spec flows virtual → host only, so a hand edit
 * of the host copy is reverted; labels and annotations merge both ways; by default only objects a
 * pod (or a referrer, such as an ingress) uses, or the tenant marked with vCluster's
 * `vcluster.loft.sh/force-sync: "true"`, are synced.
 */
export function dataObjectKind(opts: DataObjectOptions, where: Placement): KindSpec {
  const place = (ctx: ReconcileContext) => ({ ...where, hostName: ctx.hostName });
  /** An object of the wrong shape is refused with the field named, before its payload is copied. */
  const refuseMalformed = (virtual: KubeObject) => {
    const problem = malformedDataObject(virtual);
    if (problem) throw new TerminalError(`malformed ${opts.type.kind}: ${problem}`);
    // A host ExternalSecret's `templateFrom` renders a copy's values with the host's ESO.
    const template = secretReadingDataRefusal(virtual.data, opts.type.kind === 'Secret');
    if (template) throw new TerminalError(`${template}: not copied to the host`);
  };
  const hostReferenceIndex = `host-pods-referencing-${opts.type.resource}`;
  const referrers = opts.referrers ?? [];
  let hostPods: Informer<KubeObject> | undefined;
  let virtualObjects: Informer<KubeObject> | undefined;
  let keptFor: ((copy: KubeObject) => string | undefined)[] = [];
  let namedBy: ((copy: KubeObject) => string | undefined) | undefined;
  const namedKeep = new BoundedKeep(MAX_NAMED_KEEP_MS);
  /** Why a copy may be neither deleted nor replaced: what reads it by name for as long as it is there. */
  /** The host pods mounting a copy. */
  const podsMounting = (copy: KubeObject): KubeObject[] =>
    hostPods?.store.byIndex(hostReferenceIndex, copy.metadata?.name ?? '') ?? [];
  const heldBy = (copy: KubeObject): string | undefined =>
    podsMounting(copy).length > 0
      ? 'a host pod still mounts it'
      : keptFor.reduce<string | undefined>((why, check) => why ?? check(copy), undefined);
  /** The virtual names of the host pods mounting a copy (they are the copy's namespace's). */
  const hostPodsMounting = (copy: KubeObject): string[] =>
    podsMounting(copy)
      .map((pod) => pod.metadata?.annotations?.[OBJECT_NAME_ANNOTATION])
      .filter((name): name is string => !!name)
      .sort();
  const keysIn = (namespace: string) =>
    virtualObjects?.store.keys().filter((key) => key.startsWith(`${namespace}/`)) ?? [];
  /**
   * Whether some object of a referrer's kind uses this key in a way that counts. Its permission
   * objects are read from the informer of their relation, which runs whenever the referrer's does.
   */
  const referred = (ctx: ReconcileContext, { kind, permission }: Referrer) => {
    const users = ctx.related(kind);
    if (!permission || users.length === 0) return users.length > 0;
    const permissions = ctx.informers.get(ctx.virtual, permission.type).store;
    const granting = (ns: string) => permissions.list().filter((p) => p.metadata?.namespace === ns);
    return users.some((obj) => permission.allows(obj, ctx.key, granting));
  };
  /** What makes an object wanted (unless syncAll): the pods and referrers that use it. */
  const usedBy: Relation[] = [
    {
      name: 'pods',
      cluster: 'virtual',
      type: Resources.pods,
      keys: (pod) => opts.podReferences(pod).map((name) => `${pod.metadata?.namespace}/${name}`),
      membershipOnly: true,
    },
    ...referrers.map((r) => ({
      name: r.kind,
      cluster: 'virtual' as const,
      type: r.type,
      whenKind: r.kind,
      keys: r.references,
      membershipOnly: true,
    })),
    // A permission that comes or goes decides again for the objects it may allow: copied once
    // allowed, the copy removed once no longer.
    ...referrers.flatMap((r) =>
      r.permission
        ? [
            {
              name: `${r.kind}-permissions`,
              cluster: 'virtual' as const,
              type: r.permission.type,
              whenKind: r.kind,
              keys: (obj: KubeObject) => r.permission!.concerns(obj, keysIn),
              unindexed: true,
            },
          ]
        : [],
    ),
  ];
  const mapper = namespacedToHost(opts.type, where);
  let hostCopies: Informer<KubeObject> | undefined;
  const spec: KindSpec = {
    direction: 'to-host',
    virtualType: opts.type,
    hostType: opts.type,
    mapper,
    relations: [
      ...hostReferrerRelations(opts.namedByHostCopies ?? [], where, () => hostCopies, mapper),
      ...(opts.syncAll ? [] : usedBy),
    ],

    setup(env, kinds) {
      keptFor = (opts.keptFor ?? []).flatMap((make) => make(env, kinds) ?? []);
      hostCopies = env.informers.get(env.host, opts.type, managedCopiesScope(where));
      namedBy = opts.namedByHostCopies?.length
        ? hostCopiesNaming(env, kinds, opts.namedByHostCopies, `${opts.type.resource}-named`, opts.type.kind)
        : undefined;
      virtualObjects = env.informers.get(env.virtual, opts.type);
      hostPods = env.informers.get(env.host, Resources.pods, {
        namespace: env.hostNamespace,
        labelSelector: `${MANAGED_BY_LABEL}=${env.vcName}`,
      });
      hostPods.addIndexer(hostReferenceIndex, (pod) =>
        referencedNames((pod as unknown as Pod).spec, opts.type.kind),
      );
    },

    /**
     * A copy a host pod still mounts stays until that pod is gone, even when the tenant deleted the
     * object: host names are ambiguous, and another object taking the name meanwhile would hand its
     * content to the running pod. One a referrer's host copy still names stays until its kind names
     * it no more (within MAX_NAMED_KEEP_MS), for the same reason.
     */
    keptBecause: (ctx, copy) =>
      heldBy(copy) ?? namedKeep.reason(copy, ctx.clock.monotonicNow(), namedBy?.(copy)),

    remove: async (ctx, copy) => {
      const recheckMs = heldBy(copy) ? KEEP_WHILE_USED_RECHECK_MS : NAMED_COPY_RECHECK_MS;
      const result = await removeUnlessKept(opts.type, spec.keptBecause!, recheckMs)(ctx, copy);
      if (result.hostWritten) namedKeep.forget(copy);
      return result;
    },

    wanted: (ctx, virtual) =>
      virtual !== undefined &&
      (opts.syncAll ||
        opts.syncedAhead?.(virtual) === true ||
        virtual.metadata?.annotations?.[FORCE_SYNC_ANNOTATION] === 'true' ||
        ctx.related('pods').length > 0 ||
        referrers.some((r) => referred(ctx, r))),

    // The payload only: labels and annotations merge both ways, and which side wins depends on history.
    diff(ctx, virtual, host) {
      const desired = hostDataObject(virtual, opts, place(ctx));
      return opts.payloadFields.filter((f) => !sameJson(desired[f], host[f])).map((f) => `host ${f} differs`);
    },

    async create(ctx, virtual): Promise<SyncResult> {
      refuseMalformed(virtual!);
      return createHostCopy(ctx, spec, hostDataObject(virtual!, opts, place(ctx)));
    },

    async update(ctx, source, host): Promise<SyncResult> {
      const virtual = source!;
      refuseMalformed(virtual);
      const desired = hostDataObject(virtual, opts, place(ctx));
      const plan = ctx.planMetadata(virtual, host, desired);
      const result: SyncResult = {};
      if (await writePlannedMetadataUp(ctx, opts.type, virtual, plan)) result.virtualWritten = true;
      const payloadChanged = !opts.payloadFields.every((f) => sameJson(desired[f], host[f]));
      if (!plan.hostChanged && !payloadChanged) return result;
      // A Secret's type never changes; a copy made with another (a Helm release record, before its
      // type became Opaque on the host) can only be replaced.
      const typeChanged =
        opts.payloadFields.includes('type') && (desired.type ?? 'Opaque') !== (host.type ?? 'Opaque');
      const mustReplace = (host.immutable === true && payloadChanged) || typeChanged;
      // Named by a referrer's copy or not, the copy is named again once replaced: only holders count.
      const kept = mustReplace ? heldBy(host) : undefined;
      if (mustReplace && !kept) {
        // Replaced (the UID precondition guards the delete): its delete event brings the key back,
        // and the copy is then created afresh.
        await ctx.host.delete(opts.type, ctx.hostNamespace, ctx.hostName, { uid: host.metadata?.uid });
        return { ...result, hostWritten: true };
      }
      // Not while a host pod mounts it: its (ambiguous) name would be free for another object to
      // reach that pod. Until then an immutable copy stays as it is, but one of another type (a Helm
      // record's) gets what may change: its labels above all, by which Helm finds release records.
      const done = { ...result, ...(kept ? { requeueAfterMs: KEEP_WHILE_USED_RECHECK_MS } : {}) };
      if (kept) {
        // Silent, a Deployment's rollout would wait for ever: its new pods for the copy, the copy
        // for its old pods to go (`kubectl replace --force` of an immutable object). A type that
        // cannot change is told too: host controllers reading Secrets by type pass the copy by.
        const mounting = hostPodsMounting(host);
        const named =
          mounting.slice(0, 5).join(', ') + (mounting.length > 5 ? ` and ${mounting.length - 5} more` : '');
        const holders = mounting.length ? `pod(s) ${named} in this namespace mount it` : kept;
        const immutableHeld = host.immutable === true && payloadChanged;
        await ctx.events.record(
          virtual,
          'Warning',
          'SyncWaiting',
          immutableHeld
            ? `the host copy still holds this ${opts.type.kind}'s earlier content, which cannot change in place while ${holders}: pods made since that use it wait until those are gone (delete them, or give the new ${opts.type.kind} a name of its own)`
            : `the host copy keeps this ${opts.type.kind}'s earlier type ${host.type ?? 'Opaque'}, which cannot change in place while ${holders} (its data is current): it gets type ${desired.type ?? 'Opaque'} once those are gone`,
          // Once, however the pods holding it come and go meanwhile.
          { once: true, key: immutableHeld ? 'content held' : 'type held' },
        );
      }
      if (kept && !typeChanged) {
        ctx.log.debug(`immutable host copy not replaced yet: ${kept}`);
        return done;
      }
      const updated: KubeObject = { ...host, metadata: { ...host.metadata, ...plan.host } };
      if (host.immutable !== true)
        for (const field of opts.payloadFields) {
          if (desired[field] === undefined) delete updated[field];
          else updated[field] = desired[field];
        }
      if (typeChanged) updated.type = host.type;
      if (sameJson(updated, host)) return done;
      await ctx.host.update(opts.type, ctx.hostNamespace, updated);
      ctx.log.debug('updated host copy');
      return { ...done, hostWritten: true };
    },
  };
  return spec;
}
