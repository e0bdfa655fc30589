import { CLAIM_COPY_DENIED_KEYS } from '../../naming/denied-metadata.ts';
import { isEphemeralClaim } from '../pods/ephemeral-claims.ts';
import { TerminalError, WaitingError } from '../../controller/errors.ts';
import { deleteIncarnation } from '../../kube/delete-incarnation.ts';
import { getIfExists } from '../../kube/get-if-exists.ts';
import { withMessagesScrubbed } from '../../sync/scrub.ts';
import type { Informer } from '../../informer/informer.ts';
import { isApiError, isNotFound } from '../../kube/errors.ts';
import { objectKey, type KubeObject } from '../../kube/object.ts';
import { KEEP_WHILE_USED_RECHECK_MS } from '../shared/remove-unless-kept.ts';
import { referencedNames } from '../pods/reference-walker.ts';
import type { Pod } from '../../kube/types.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import {
  MANAGED_BY_LABEL,
  managedByValue,
  OBJECT_NAME_ANNOTATION,
  OBJECT_NAMESPACE_ANNOTATION,
} from '../../naming/labels.ts';
import { hostClusterScopedName, hostName } from '../../naming/names.ts';
import { createHostCopy, NAME_TAKEN_RECHECK_MS } from '../../sync/engine.ts';
import type { KindSpec, Placement, ReconcileContext, Relation, SyncResult } from '../../sync/kind.ts';
import {
  managedCopiesScope,
  namespacedToHost,
  ownedVirtualKey,
  recordedVirtualUid,
} from '../../sync/mappers.ts';
import { writePlannedMetadataUp } from '../../sync/metadata-writes.ts';
import { claimKeyOf, isSyncerVolume, volumeSpecOf } from '../persistentvolumes/translate.ts';
import { ReferenceJudge, referenceTargets } from '../pods/reference-safety.ts';
import { ownNamedSecretProblem } from '../shared/own-named-secret.ts';
import { sameJson } from '../shared/host-metadata.ts';
import { CLASS_WITHHELD_REASON } from '../shared/from-host.ts';
import { claimClassResolver, type ClaimClassResolver } from '../storageclasses/claim-class.ts';
import { restoredByVelero } from '../shared/velero-restore.ts';
import {
  boundToClaim,
  claimKeyOfShownVolume,
  claimRefTo,
  fakeVolumeFor,
  hostDetailsVolumeFor,
  isHostDetailsVolume,
  isShownVolume,
  shownVolumeInSync,
} from './shown-volumes.ts';
import {
  annotationsWithHostBinding,
  withBindingAnnotationsOf,
  dataSourcesOf,
  FAKE_PV_LABEL,
  hostClaimFor,
  hostSpecInSync,
  controllerAnnotationsKept,
  immutableFieldsDiffering,
  malformedClaim,
  PRE_BOUND_ONLY,
  specOf,
  statusOf,
  storageClassOf,
  virtualStatusFor,
  type ClaimDataSource,
} from './translate.ts';

const CLAIMS = Resources.persistentVolumeClaims;
const VOLUMES = Resources.persistentVolumes;
const SNAPSHOTS = Resources.volumeSnapshots;
/** The kind that syncs VolumeSnapshots, which claims may be restored from. */
const SNAPSHOTS_KIND = 'volumesnapshots';
/** The kind that syncs Secrets, which a host class may name after a claim. */
const SECRETS_KIND = 'secrets';
/** The kinds a claim may be cloned or restored from, by `apiGroup/kind`, when that kind is synced. */
const DATA_SOURCE_KINDS = new Set(['/PersistentVolumeClaim', 'snapshot.storage.k8s.io/VolumeSnapshot']);
/** Virtual claims by the class they name, and by the objects they are cloned from (`Kind/namespace/name`). */
const CLASS_INDEX = 'persistentvolumeclaims/class';
/** CLASS_INDEX's key for claims naming no class (not a valid class name, so never one's). */
const NO_CLASS_NAMED = '<no class named>';
const DATA_SOURCE_INDEX = 'persistentvolumeclaims/data-sources';
const SHOWN_VOLUMES = 'shown-volumes';
/** The finalizer the PV protection controller keeps on a volume while it is Bound. */
const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';
/** Unfinished host pods by the host claims they mount. */
const HOST_PODS_BY_CLAIM = 'persistentvolumeclaims/host-pods-by-claim';
/** Virtual claims by the volume they name (spec.volumeName). */
const VOLUME_NAME_INDEX = 'persistentvolumeclaims/volume-name';
/** The kind that syncs tenants' own volumes; with it on, a claim may name one (see realVolumeOf). */
const REAL_VOLUMES_KIND = 'persistentvolumes';
/** Why a bound claim whose host copy left the syncer's cache is kept (see lostCopyStillThere). */
const COPY_NO_LONGER_LABELLED = `the claim's host copy is still there but no longer carries the ${MANAGED_BY_LABEL} label of this virtual cluster (it was taken off on the host): the claim and its data are kept, but no longer synced until the label is back`;
const VOLUME_NAME_REFUSED =
  'spec.volumeName: a claim cannot name its volume; the host cluster binds it (leave volumeName empty)';

/** Why a claim made again is not given the host claim an earlier one of its name left (see update). */
const earlierClaimKept = (fields: string[]) =>
  `${fields.join(', ')}: the host still holds the claim an earlier PersistentVolumeClaim of this name had (deleted while the syncer did not see it), with its volume and data; a claim with other ${fields.join(', ')} cannot take it over, so it is kept and this claim is not synced. Delete this claim to let that one and its data go, as the earlier claim's deletion asked, then create it again`;

/** A claim of the wrong shape is refused with the field named, before anything reads its spec. */
function refuseMalformed(virtual: KubeObject): void {
  const problem = malformedClaim(virtual);
  if (problem) throw new TerminalError(`malformed persistent volume claim: ${problem}`);
}

/**
 * PersistentVolumeClaims, virtual → host, with the host claim's status (bound, capacity, resize
 * conditions) back, and a PersistentVolume in the virtual cluster for each bound claim (named as
 * the host volume; see shown-volumes.ts for what it shows). The host decides which volume a claim gets: a
 * tenant never names a host volume, a class the host lacks is refused, and a claim is cloned only
 * from a copy that provably is this tenant's own claim (or snapshot) of the same namespace.
 */
export function persistentVolumeClaimsKind(where: Placement, virtualScheduler = false): KindSpec {
  const place = (ctx: ReconcileContext) => ({
    ...where,
    hostName: ctx.hostName,
    deniedHostMetadata: [...(where.deniedHostMetadata ?? []), ...CLAIM_COPY_DENIED_KEYS],
  });
  const managed = managedCopiesScope(where);
  let judge: ReferenceJudge;
  let virtualClaims: Informer<KubeObject> | undefined;
  let virtualVolumes: Informer<KubeObject>;
  let classes: ClaimClassResolver;
  /**
   * The host's volumes, when the persistentvolumes kind is on: the copies of tenants' own volumes,
   * and the volumes provisioned for host claims, whose details the virtual cluster is then shown.
   */
  let hostVolumes: Informer<KubeObject> | undefined;
  let hostClaims: Informer<KubeObject>;
  /** This virtual cluster's host pods, indexed by the claims they mount (HOST_PODS_BY_CLAIM). */
  let hostPods: Informer<KubeObject>;
  /** Host volumes (`name/uid`) whose details the virtual API server refused: shown as fake volumes. */
  const detailsRefused = new Set<string>();
  const incarnation = (pv: KubeObject) => `${pv.metadata?.name}/${pv.metadata?.uid}`;

  const shownVolumesOf = (ctx: ReconcileContext) => ctx.related(SHOWN_VOLUMES);

  /** Deletes this key's shown volumes but the one to keep (only the incarnation we saw). */
  async function deleteShownVolumes(ctx: ReconcileContext, keep?: string): Promise<boolean> {
    let wrote = false;
    for (const pv of shownVolumesOf(ctx))
      if (pv.metadata?.name !== keep && (await deleteShownVolume(ctx, pv))) wrote = true;
    return wrote;
  }

  /**
   * Deletes a shown volume. The PV protection finalizer holds a Bound volume until a binder marks it
   * Released; none runs in the virtual cluster (the chart turns it off, as vCluster does), and a
   * shown volume stands for nothing there, so the syncer takes that finalizer off once the volume is
   * going. Other finalizers stay.
   */
  async function deleteShownVolume(ctx: ReconcileContext, pv: KubeObject): Promise<boolean> {
    const name = pv.metadata?.name ?? '';
    let wrote = false;
    try {
      if (!pv.metadata?.deletionTimestamp) {
        await ctx.virtual.delete(VOLUMES, '', name, { uid: pv.metadata?.uid });
        wrote = true;
      }
      if (pv.metadata?.finalizers?.includes(PV_PROTECTION_FINALIZER)) {
        const patch = {
          metadata: {
            uid: pv.metadata.uid,
            '$deleteFromPrimitiveList/finalizers': [PV_PROTECTION_FINALIZER],
          },
        };
        await ctx.virtual.patch(VOLUMES, '', name, patch, 'strategic');
        wrote = true;
      }
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return wrote;
  }

  /**
   * The volume the virtual cluster shows for a claim bound on the host: with the persistentvolumes
   * kind on, the host volume's details once the host volume is provably bound to the host claim (a
   * volume the cache does not have yet is waited for); otherwise a fake one.
   */
  function shownVolumeFor(virtual: KubeObject, host: KubeObject): KubeObject {
    const volumeName = specOf(host).volumeName ?? '';
    if (!hostVolumes) return fakeVolumeFor(virtual, host);
    const hostVolume = hostVolumes.store.get(volumeName);
    if (!hostVolume)
      throw new WaitingError(`waiting for the syncer's cache to show host volume "${volumeName}"`);
    return boundToClaim(hostVolume, host) && !detailsRefused.has(incarnation(hostVolume))
      ? hostDetailsVolumeFor(virtual, hostVolume)
      : fakeVolumeFor(virtual, host);
  }

  /**
   * Whether the virtual API server takes a shown volume (tried without writing; `alreadyExists` means
   * it validated). Host volume details it refuses are remembered, so a fake volume stands for them.
   */
  async function replacementTaken(ctx: ReconcileContext, desired: KubeObject): Promise<boolean> {
    try {
      await ctx.virtual.create(VOLUMES, '', desired, { dryRun: true });
      return true;
    } catch (err) {
      if (isApiError(err, 'alreadyExists')) return true;
      if (!refusedDetails(ctx, desired, err)) throw err;
      return false;
    }
  }

  /**
   * Whether err is the virtual API server refusing a host volume's details (invalid); if so they are
   * remembered, so a fake volume stands for that host volume from now on.
   */
  function refusedDetails(ctx: ReconcileContext, desired: KubeObject, err: unknown): boolean {
    const hostVolume = hostVolumes?.store.get(desired.metadata?.name ?? '');
    if (!isApiError(err, 'invalid') || !hostVolume || !isHostDetailsVolume(desired)) return false;
    detailsRefused.add(incarnation(hostVolume));
    ctx.log.warn("the virtual API server refused the host volume's details; a fake volume stands for it", {
      volume: hostVolume.metadata?.name,
      error: (err as Error).message,
    });
    return true;
  }

  /**
   * Creates the shown volume. One with a host volume's details that the virtual API server refuses
   * (a source its version does not know, say) gives way to a fake one, for good: retrying cannot help.
   */
  async function createShownVolume(
    ctx: ReconcileContext,
    desired: KubeObject,
    virtual: KubeObject,
    host: KubeObject,
  ): Promise<KubeObject> {
    try {
      return await ctx.virtual.create(VOLUMES, '', desired);
    } catch (err) {
      if (!refusedDetails(ctx, desired, err)) throw err;
      return ctx.virtual.create(VOLUMES, '', fakeVolumeFor(virtual, host));
    }
  }

  /** The claim whose host copy a host volume is bound to, provably (see boundToClaim). */
  function claimOfHostVolume(pv: KubeObject): string[] {
    const ref = volumeSpecOf(pv).claimRef;
    if (ref?.namespace !== where.hostNamespace || !ref.name) return [];
    const claim = hostClaims.store.get(`${where.hostNamespace}/${ref.name}`);
    const key = claim && boundToClaim(pv, claim) ? ownedVirtualKey(claim, where, CLAIMS) : undefined;
    return key ? [key] : [];
  }

  /**
   * Deletes the copy of a claim that is gone, unless an unfinished host pod mounts it: then it is
   * looked at again later. The virtual cluster protects a claim only from pods bound to a node, so a
   * pod still pending (gated, unschedulable) holds nothing there; its host pod names the copy, and
   * another object taking the freed (ambiguous) name would be mounted once the host schedules it.
   */
  async function removeCopyOfGoneClaim(ctx: ReconcileContext, host: KubeObject): Promise<SyncResult> {
    const users = hostPods.store.byIndex(HOST_PODS_BY_CLAIM, host.metadata?.name ?? '');
    if (users.length) {
      ctx.log.debug(`host claim kept for now: host pod ${users[0]!.metadata?.name} still mounts it`);
      return { requeueAfterMs: KEEP_WHILE_USED_RECHECK_MS };
    }
    return (await deleteHostClaim(ctx, host)) ? { hostWritten: true } : {};
  }

  /**
   * Deletes an unbound copy the tenant's claim still has (made again with a new default class, or
   * gone for good with its lost data source), and first the host pods of this virtual cluster that
   * mount it and have not finished. They run nothing yet (a kubelet starts no container before every
   * claim is bound), and kept they would name the freed, ambiguous name: another virtual cluster's
   * claim taking it would be mounted. The pods kind makes them again once the claim has a copy.
   */
  async function deleteUnboundCopy(ctx: ReconcileContext, host: KubeObject): Promise<boolean> {
    if (host.metadata?.deletionTimestamp) return false;
    for (const pod of hostPods.store.byIndex(HOST_PODS_BY_CLAIM, host.metadata?.name ?? '')) {
      ctx.log.info(`deleting host pod ${pod.metadata?.name}: it mounts the host claim about to go`);
      await deleteIncarnation(ctx.host, Resources.pods, pod);
    }
    return deleteHostClaim(ctx, host);
  }

  /** Deletes the host claim unless it is already going. */
  async function deleteHostClaim(ctx: ReconcileContext, host: KubeObject): Promise<boolean> {
    if (host.metadata?.deletionTimestamp) return false;
    await deleteIncarnation(ctx.host, CLAIMS, host);
    return true;
  }

  /**
   * Refuses to take over the host claim of an earlier claim of this name (see adoptsEarlierIncarnations)
   * when a copy made for this claim would differ in fields that cannot change: the tenant deleted that
   * claim and made another (a restore in place, from a new data source) while the syncer did not see
   * it, and would otherwise get the old volume, the new source silently dropped. A claim Velero
   * restored is the earlier one again, whatever it says now.
   */
  async function refuseOtherClaimsCopy(
    ctx: ReconcileContext,
    virtual: KubeObject,
    host: KubeObject,
  ): Promise<void> {
    if (recordedVirtualUid(host) === virtual.metadata?.uid || restoredByVelero(virtual)) return;
    // A pod's ephemeral volume is made for that pod: the claim of an earlier pod of the same name
    // (its pod deleted, and with it the claim) holds nothing the new pod may have. It goes, and a new
    // copy is made once it has.
    if (isEphemeralClaim(virtual)) {
      await deleteHostClaim(ctx, host);
      throw new WaitingError(`the host claim of an earlier pod's ephemeral volume ${ctx.key} goes first`);
    }
    const isStatic = !!specOf(virtual).volumeName || tenantVolumeReservedFor(ctx.key);
    const fresh = hostClaimFor(virtual, place(ctx), resolveDataSources(ctx, virtual), {
      hostClassName: await hostClassOf(ctx, virtual, isStatic),
    });
    // A claim naming no class got the host's default of its time, which may have changed since.
    const differing = immutableFieldsDiffering(fresh, host).filter(
      (field) => field !== 'spec.storageClassName' || storageClassOf(virtual) !== undefined,
    );
    if (differing.length) throw new TerminalError(earlierClaimKept(differing));
  }

  /**
   * Whether a data source the claim was made from is not provably its own copy now (see
   * resolveDataSources): refused, missing, or its copy gone. A copy waited for counts too: the judge
   * sees only this virtual cluster's copies, so another's object under the freed name reads as none.
   */
  function dataSourceNoLongerOwn(ctx: ReconcileContext, virtual: KubeObject): boolean {
    if (dataSourcesOf(virtual).length === 0) return false;
    try {
      resolveDataSources(ctx, virtual);
      return false;
    } catch (err) {
      return err instanceof TerminalError || err instanceof WaitingError;
    }
  }

  /**
   * The host name of each data source, once it is provably this tenant's own copy of an object of
   * the claim's namespace. Another namespace, a kind that is not synced, a missing object or a name
   * held by someone else's object refuses the claim; a copy on its way is waited for.
   */
  function resolveDataSources(ctx: ReconcileContext, virtual: KubeObject): (ref: ClaimDataSource) => string {
    const ns = ctx.virtualNamespace;
    for (const ref of dataSourcesOf(virtual)) {
      const what = `${ref.field} (${ref.kind} "${ref.name}")`;
      if (ref.namespace && ref.namespace !== ns)
        throw new TerminalError(`${what}: data sources in another namespace are not supported`);
      if (!DATA_SOURCE_KINDS.has(`${ref.apiGroup}/${ref.kind}`))
        throw new TerminalError(`${what}: data sources of this kind are not supported`);
      if (ref.kind === 'PersistentVolumeClaim' && ref.name === ctx.virtualName)
        throw new TerminalError(`${what}: a claim cannot be cloned from itself`);
      const verdict = judge.judge(ns, {
        kind: ref.kind,
        apiGroup: ref.apiGroup,
        name: ref.name,
        optional: false,
        where: { field: ref.field },
      });
      if (verdict.state === 'refused') throw new TerminalError(`${ref.field}: ${verdict.message}`);
      if (verdict.state === 'waiting') {
        if (verdict.missing) throw new TerminalError(`${ref.field}: ${verdict.message}`);
        throw new WaitingError(`${ref.field}: ${verdict.message}`);
      }
    }
    return (ref) => hostName(ref.name, ns, where.vcName);
  }

  /**
   * The class the host claim names. A class the host does not have would leave a dynamically
   * provisioned host claim pending for ever: say so instead; a tenant's own class (storageclasses
   * on) is its host copy, waited for until it is there. A claim naming no class gets the host's
   * default by name, as the host's admission would give it; with no default it gets none, and its
   * copy only a volume reserved for it (see create). A claim given a tenant's own volume (named, or
   * reserving it) is not provisioned: a binder matches the pair by class name alone, and no class
   * need exist (static provisioning's `storageClassName: manual`). A class that does exist under
   * that name is judged all the same, as one the tenant may use.
   */
  async function hostClassOf(
    ctx: ReconcileContext,
    virtual: KubeObject,
    isStatic: boolean,
  ): Promise<string | undefined> {
    const storageClass = storageClassOf(virtual);
    // Naming none, it gets the host's default whatever an admin's class selector offers, as in
    // vCluster (the selector limits the classes a tenant names; the default is the host admin's own).
    if (storageClass === undefined && !isStatic) return classes.hostDefaultClass();
    if (!storageClass) return storageClass;
    await awaitTenantClassInCache(ctx, storageClass);
    const verdict = isStatic ? classes.staticVerdict(storageClass) : classes.verdict(storageClass);
    if (verdict.state === 'missing') throw new TerminalError(verdict.message);
    if (verdict.state === 'withheld')
      throw new TerminalError(verdict.message(ctx.virtualName), CLASS_WITHHELD_REASON);
    if (verdict.state === 'waiting') throw new WaitingError(verdict.message);
    return verdict.hostName;
  }

  /**
   * Why the provisioner may not provision the copy yet, when its host class names CSI Secrets after
   * the claim (`${pvc.name}` in the claim's namespace, see claimNamedSecretsOf): it would read the
   * host Secret of the copy's own name, which must then be the copy of the tenant's Secret of the
   * claim's name and namespace, and nothing else under that ambiguous name. Provisioners read it
   * only to provision (a volume keeps the Secrets' names it got): a bound copy needs nothing.
   */
  function claimNamedSecretRefusal(ctx: ReconcileContext, copy: KubeObject): string | undefined {
    const hostClassName = specOf(copy).storageClassName;
    if (!hostClassName || specOf(copy).volumeName) return undefined;
    const named = classes.claimNamedSecretsOf(hostClassName);
    const reads = `StorageClass "${hostClassName}" of the host names the Secrets of its CSI driver after the claim`;
    if (named.other.length)
      return `${reads} (${named.other.join(', ')}), under names no Secret of the tenant can be proved to hold; use another class`;
    if (!named.exact) return undefined;
    return ownNamedSecretProblem(judge, ctx, reads, 'storageClassName', 'claim');
  }

  /**
   * Why the claim's copy may not carry its metadata: its host class's parameters read a label or
   * annotation the tenant set (a CSI driver's secret by name, a directory of a shared export), and on
   * the host that value would pick among every tenant's objects of the one host namespace.
   * Provisioners read them only to provision: a bound claim may carry them.
   */
  function metadataReadByClassRefusal(copy: KubeObject): string | undefined {
    const hostClassName = specOf(copy).storageClassName;
    if (!hostClassName) return undefined;
    const read = classes.claimMetadataReadBy(hostClassName);
    for (const [field, keys] of [
      ['annotations', read.annotations],
      ['labels', read.labels],
    ] as const) {
      const set = keys.find((k) => copy.metadata?.[field]?.[k] !== undefined);
      if (set !== undefined)
        return `metadata.${field}[${JSON.stringify(set)}]: StorageClass "${hostClassName}" of the host reads it to choose what the host provisions with (a Secret, a directory), among every tenant's; leave it out`;
    }
    return undefined;
  }

  /**
   * Whether the host claim is the copy of a claim naming no class made while the host had no default
   * class (see create): it selects only a volume reserved for it, and no provisioner provisions a
   * claim with a selector, so it would wait for ever once the host has a default it could get.
   */
  function waitsForADefault(virtual: KubeObject, host: KubeObject, ctx: ReconcileContext): boolean {
    return (
      storageClassOf(virtual) === undefined &&
      !specOf(virtual).volumeName &&
      !specOf(host).volumeName &&
      sameJson(specOf(host).selector, PRE_BOUND_ONLY) &&
      !tenantVolumeReservedFor(ctx.key)
    );
  }

  /**
   * A claim made right after its class may be seen before the class is cached: it would be taken
   * for a host class of that name, and a claim's class never changes afterwards. With tenants'
   * classes synced, a class missing from the cache is looked up once in the virtual API.
   */
  async function awaitTenantClassInCache(ctx: ReconcileContext, name: string): Promise<void> {
    if (!classes.syncsTenantClasses || classes.knowsVirtualClass(name)) return;
    try {
      await ctx.virtual.get(Resources.storageClasses, '', name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    throw new WaitingError(`StorageClass "${name}": waiting for the syncer's cache to show it`);
  }

  /** True when a tenant's own volume (persistentvolumes on) is reserved for the claim `key`. */
  function tenantVolumeReservedFor(key: string): boolean {
    if (!hostVolumes) return false;
    return virtualVolumes.store.list().some((pv) => !isSyncerVolume(pv) && claimKeyOf(pv) === key);
  }

  /**
   * The host volume a claim naming a volume (spec.volumeName) gets: only the host copy of a tenant's
   * own volume, with the persistentvolumes kind on, whose copy is provably this virtual cluster's
   * copy of exactly that volume (names are ambiguous). Anything else is refused as before; a copy
   * not made yet is waited for. A volume reserved for no claim is first reserved for this one, as a
   * cluster's binder does (the virtual cluster runs none, see bindToRealVolume): only a reserved
   * volume gets a host copy.
   */
  async function realVolumeOf(ctx: ReconcileContext, virtual: KubeObject): Promise<string> {
    const name = specOf(virtual).volumeName ?? '';
    const pv = virtualVolumes.store.get(name);
    if (!hostVolumes || !pv || isShownVolume(pv) || pv.metadata?.labels?.[FAKE_PV_LABEL] !== undefined)
      throw new TerminalError(VOLUME_NAME_REFUSED);
    if (!volumeSpecOf(pv).claimRef?.name && !pv.metadata?.deletionTimestamp) {
      await ctx.virtual.update(VOLUMES, '', {
        ...pv,
        spec: { ...(pv.spec as object), claimRef: claimRefTo(virtual) },
      });
      throw new WaitingError(
        `spec.volumeName: PersistentVolume "${name}" reserved for the claim; waiting for its host copy`,
      );
    }
    const copyName = hostClusterScopedName(name, where.hostNamespace, where.vcName);
    const copy = hostVolumes.store.get(copyName);
    if (!copy)
      throw new WaitingError(`spec.volumeName: waiting for the host copy of PersistentVolume "${name}"`);
    if (ownedVirtualKey(copy, where, VOLUMES) !== name || recordedVirtualUid(copy) !== pv.metadata?.uid)
      throw new TerminalError(
        `spec.volumeName: the host volume of PersistentVolume "${name}" is not this virtual cluster's copy of it`,
      );
    return copyName;
  }

  /**
   * The tenant's own volume a host claim is bound to, when the host volume is its copy (the claims
   * kind then binds the virtual claim to it instead of showing a fake volume).
   */
  function realBindingOf(host: KubeObject): string | undefined {
    const volumeName = specOf(host).volumeName;
    if (!hostVolumes || !volumeName) return undefined;
    const copy = hostVolumes.store.get(volumeName);
    return copy ? ownedVirtualKey(copy, where, VOLUMES) : undefined;
  }

  /**
   * A virtual claim bound to a volume of ours whose host claim is gone has lost its data: it goes
   * too (as vCluster does), rather than being re-created empty under the same name.
   */
  function lostBinding(ctx: ReconcileContext, virtual: KubeObject): KubeObject | undefined {
    const volumeName = specOf(virtual).volumeName;
    if (!volumeName) return undefined;
    const pv = virtualVolumes.store.get(volumeName);
    return isShownVolume(pv) &&
      claimKeyOfShownVolume(pv!) === ctx.key &&
      volumeSpecOf(pv).claimRef?.uid === virtual.metadata?.uid
      ? pv
      : undefined;
  }

  /**
   * Whether the host copy of a bound claim, gone from the cache, is still there all the same: the
   * cache holds only host claims labelled managed-by, and a host admin or policy may take the label
   * off. Read by name: the copy is gone only when nothing is there, or what is there is provably
   * another claim (not bound to the volume the virtual claim shows, which a bound claim never
   * changes, or naming another owner). Anything else may be the copy, with the tenant's data.
   */
  async function lostCopyStillThere(ctx: ReconcileContext, shown: KubeObject): Promise<boolean> {
    const current = await getIfExists(ctx.host, CLAIMS, ctx.hostNamespace, ctx.hostName);
    if (!current) return false;
    return specOf(current).volumeName === shown.metadata?.name && !namesAnotherOwner(ctx, current);
  }

  /** True when a host claim's ownership label or annotations, those still on it, name another object. */
  function namesAnotherOwner(ctx: ReconcileContext, hostClaim: KubeObject): boolean {
    const label = hostClaim.metadata?.labels?.[MANAGED_BY_LABEL];
    const annotations = hostClaim.metadata?.annotations ?? {};
    const name = annotations[OBJECT_NAME_ANNOTATION];
    const namespace = annotations[OBJECT_NAMESPACE_ANNOTATION];
    return (
      (label !== undefined && label !== managedByValue(where, true)) ||
      (name !== undefined && name !== ctx.virtualName) ||
      (namespace !== undefined && namespace !== ctx.virtualNamespace)
    );
  }

  /**
   * Once the host claim is bound: the shown volume, the virtual claim's volumeName (settable once),
   * then its status. Returns the latest virtual claim.
   */
  async function bindVirtual(
    ctx: ReconcileContext,
    virtual: KubeObject,
    host: KubeObject,
    result: SyncResult,
  ): Promise<KubeObject> {
    const volumeName = specOf(host).volumeName;
    const bound = !!volumeName && statusOf(host).phase === 'Bound';
    if (!bound) return virtual;
    const real = realBindingOf(host);
    if (real !== undefined) return bindToRealVolume(ctx, virtual, host, real, result);
    if (await deleteShownVolumes(ctx, volumeName)) result.virtualWritten = true;
    const desired = shownVolumeFor(virtual, host);
    const current = virtualVolumes.store.get(volumeName);
    if (current && !isShownVolume(current)) {
      throw new TerminalError(
        `the claim is bound, but a PersistentVolume named "${volumeName}" exists in the virtual cluster and is not managed by the syncer`,
      );
    }
    // One being replaced (below) goes first; its delete event brings us back.
    if (current?.metadata?.deletionTimestamp) {
      if (await deleteShownVolume(ctx, current)) result.virtualWritten = true;
      return virtual;
    }
    let pv = current;
    if (!current) {
      pv = await createShownVolume(ctx, desired, virtual, host);
      result.virtualWritten = true;
    } else if (!shownVolumeInSync(desired, current)) {
      try {
        pv = await ctx.virtual.update(VOLUMES, '', {
          ...current,
          metadata: {
            ...current.metadata,
            labels: { ...current.metadata?.labels, ...desired.metadata?.labels },
            annotations: { ...current.metadata?.annotations, ...desired.metadata?.annotations },
          },
          spec: { ...(current.spec as object), ...(desired.spec as object) },
        });
      } catch (err) {
        if (!isApiError(err, 'invalid')) throw err;
        // A field that cannot change (the volume mode, the source: a fake volume giving way to the host
        // volume's details): replace the volume, once its replacement is known to be taken.
        if (!(await replacementTaken(ctx, desired))) return virtual;
        await deleteShownVolume(ctx, current);
        result.virtualWritten = true;
        return virtual;
      }
      result.virtualWritten = true;
    }
    if ((pv?.status as { phase?: string } | undefined)?.phase !== 'Bound') {
      await ctx.virtual.update(VOLUMES, '', { ...pv, status: { phase: 'Bound' } }, { subresource: 'status' });
      result.virtualWritten = true;
    }
    return bindClaim(ctx, virtual, host, volumeName, result);
  }

  /**
   * The virtual claim names its volume (settable once) and carries the host binder's annotations
   * (annotationsWithHostBinding); one write for both. Returns the latest virtual claim.
   */
  async function bindClaim(
    ctx: ReconcileContext,
    virtual: KubeObject,
    host: KubeObject,
    volumeName: string,
    result: SyncResult,
  ): Promise<KubeObject> {
    const annotations = annotationsWithHostBinding(virtual, host);
    if (specOf(virtual).volumeName && !annotations) return virtual;
    const latest = await ctx.virtual.update(CLAIMS, ctx.virtualNamespace, {
      ...virtual,
      metadata: { ...virtual.metadata, annotations: annotations ?? virtual.metadata?.annotations },
      spec: { ...specOf(virtual), volumeName: specOf(virtual).volumeName || volumeName },
    });
    result.virtualWritten = true;
    return latest;
  }

  /**
   * The host claim is bound to the copy of the tenant's volume `name`: the binding is made in the
   * virtual cluster too, as its binder would make it (the chart turns that binder off, as vCluster
   * does, and the syncer takes its part): the claim names the volume, the volume's claimRef carries
   * the claim's UID. No fake volume is shown. A binder that does run there writes the same.
   */
  async function bindToRealVolume(
    ctx: ReconcileContext,
    virtual: KubeObject,
    host: KubeObject,
    name: string,
    result: SyncResult,
  ): Promise<KubeObject> {
    if (await deleteShownVolumes(ctx)) result.virtualWritten = true;
    const pv = virtualVolumes.store.get(name);
    const ref = volumeSpecOf(pv).claimRef;
    if (!pv || (ref?.name && `${ref.namespace}/${ref.name}` !== ctx.key)) {
      throw new TerminalError(
        `the claim is bound on the host to the copy of PersistentVolume "${name}", which is not reserved for it in the virtual cluster`,
      );
    }
    const current = specOf(virtual).volumeName;
    if (current && current !== name) throw new TerminalError(VOLUME_NAME_REFUSED);
    const latest = await bindClaim(ctx, virtual, host, name, result);
    if (ref?.uid !== latest.metadata?.uid) {
      await ctx.virtual.update(VOLUMES, '', {
        ...pv,
        spec: { ...(pv.spec as object), claimRef: claimRefTo(latest) },
      });
      result.virtualWritten = true;
    }
    return latest;
  }

  /** The claims cloned or restored from the virtual object whose host copy of `type` changed. */
  function dataSourceCopies(name: string, type: ResourceType): Relation {
    return {
      name,
      cluster: 'host',
      type,
      scope: managed,
      keys: (copy) => {
        const owner = ownedVirtualKey(copy, where, type);
        if (!owner || !virtualClaims) return [];
        return virtualClaims.store.byIndex(DATA_SOURCE_INDEX, `${type.kind}/${owner}`).map(objectKey);
      },
    };
  }

  /** Claim keys a tenant volume concerns: the claim it is reserved for, and the claims naming it. */
  function claimsOfVolume(name: string | undefined, pv: KubeObject | undefined): string[] {
    if (!name) return [];
    const ref = volumeSpecOf(pv).claimRef;
    const keys = virtualClaims?.store.byIndex(VOLUME_NAME_INDEX, name).map(objectKey) ?? [];
    if (ref?.namespace && ref.name) keys.push(`${ref.namespace}/${ref.name}`);
    return [...new Set(keys)];
  }

  const spec: KindSpec = {
    direction: 'both',
    virtualType: CLAIMS,
    hostType: CLAIMS,
    // The host's binder and provisioners annotate their own; the virtual cluster's set the tenant's.
    hostOnlyMetadata: { annotations: controllerAnnotationsKept(virtualScheduler) },
    mapper: namespacedToHost(CLAIMS, where),
    // A claim made again under its name (a restore of the virtual cluster) keeps its host claim and
    // the data on its volume, as in vCluster; deleting it would let the provisioner delete the volume.
    // Only one that could have made that host claim takes it over (see refuseOtherClaimsCopy).
    adoptsEarlierIncarnations: true,
    relations: [
      // A shown volume changed or went (a tenant's edit is reverted), or outlived its claim.
      {
        name: SHOWN_VOLUMES,
        cluster: 'virtual',
        type: VOLUMES,
        keys: (pv) => {
          const key = isShownVolume(pv) ? claimKeyOfShownVolume(pv) : undefined;
          return key ? [key] : [];
        },
      },
      // With tenants' own volumes synced: a claim naming one (or reserved by one) follows the
      // volume, and the volume's host copy; a claim bound on the host follows its host volume.
      {
        name: 'tenant-volumes',
        cluster: 'virtual',
        type: VOLUMES,
        whenKind: REAL_VOLUMES_KIND,
        keys: (pv) => (isShownVolume(pv) ? [] : claimsOfVolume(pv.metadata?.name, pv)),
      },
      {
        name: 'host-volumes',
        cluster: 'host',
        type: VOLUMES,
        whenKind: REAL_VOLUMES_KIND,
        keys: (pv) => {
          const name = ownedVirtualKey(pv, where, VOLUMES);
          if (!name) return claimOfHostVolume(pv);
          return claimsOfVolume(name, virtualVolumes?.store.get(name));
        },
      },
      // A claim refused for its class is synced as soon as the host gets the class; one waiting
      // for the copy of a tenant's class, as soon as the copy is there; one naming no class, refused
      // for the host's default, as soon as a default class changes.
      {
        name: 'host-classes',
        cluster: 'host',
        type: Resources.storageClasses,
        keys: (sc) =>
          [
            ...(classes?.virtualNamesOf(sc) ?? []),
            ...(classes?.decidesUnnamed(sc) ? [NO_CLASS_NAMED] : []),
          ].flatMap((name) => virtualClaims?.store.byIndex(CLASS_INDEX, name).map(objectKey) ?? []),
      },
      // A claim waiting for the copy of its data source (a claim, or a snapshot when those are
      // synced) is retried as soon as the copy appears.
      dataSourceCopies('data-source-copies', CLAIMS),
      { ...dataSourceCopies('data-source-snapshot-copies', SNAPSHOTS), whenKind: SNAPSHOTS_KIND },
      // A claim whose host class names a Secret after it follows that Secret's copy (same key).
      {
        name: 'claim-named-secret-copies',
        cluster: 'host',
        type: Resources.secrets,
        scope: managed,
        whenKind: SECRETS_KIND,
        keys: (copy) => {
          const owner = ownedVirtualKey(copy, where, Resources.secrets);
          return owner && virtualClaims?.store.get(owner) ? [owner] : [];
        },
      },
      // ... and the tenant's Secret itself: its copy stays while the claim's is there (the driver
      // reads it by that name), so the Secret going is what tells an unbound claim it is missing.
      {
        name: 'claim-named-secrets',
        cluster: 'virtual',
        type: Resources.secrets,
        whenKind: SECRETS_KIND,
        keys: (secret) => {
          const key = objectKey(secret);
          return virtualClaims?.store.get(key) ? [key] : [];
        },
        membershipOnly: true,
      },
    ],

    setup(env, kinds) {
      const peers = new Map(
        [...kinds].filter(([, k]) =>
          ['PersistentVolumeClaim', 'VolumeSnapshot', 'Secret'].includes(k.spec.virtualType.kind),
        ),
      );
      judge = new ReferenceJudge(
        referenceTargets(peers, (peer) => ({
          host: env.informers.get(env.host, peer.hostType, managed),
          virtual: env.informers.get(env.virtual, peer.virtualType),
        })),
      );
      virtualVolumes = env.informers.get(env.virtual, VOLUMES);
      if (kinds.has(REAL_VOLUMES_KIND)) hostVolumes = env.informers.get(env.host, VOLUMES);
      hostClaims = env.informers.get(env.host, CLAIMS, managed);
      hostPods = env.informers.get(env.host, Resources.pods, managed);
      hostPods.addIndexer(HOST_PODS_BY_CLAIM, (pod) => {
        const phase = (pod.status as { phase?: string } | undefined)?.phase;
        if (phase === 'Succeeded' || phase === 'Failed') return [];
        return referencedNames((pod as unknown as Pod).spec, 'PersistentVolumeClaim');
      });
      classes = claimClassResolver(env, kinds);
      virtualClaims = env.informers.get(env.virtual, CLAIMS);
      virtualClaims.addIndexer(CLASS_INDEX, (claim) => {
        if (typeof claim.spec !== 'object') return [];
        const storageClass = storageClassOf(claim);
        // `""` asks for no class at all; only a claim without the field gets the host's default.
        if (storageClass === undefined) return [NO_CLASS_NAMED];
        return storageClass ? [storageClass] : [];
      });
      virtualClaims.addIndexer(VOLUME_NAME_INDEX, (claim) => {
        const volumeName = typeof claim.spec === 'object' ? specOf(claim).volumeName : undefined;
        return typeof volumeName === 'string' && volumeName ? [volumeName] : [];
      });
      virtualClaims.addIndexer(DATA_SOURCE_INDEX, (claim) =>
        malformedClaim(claim)
          ? []
          : dataSourcesOf(claim).map((r) => `${r.kind}/${claim.metadata?.namespace}/${r.name}`),
      );
    },

    // Claims the ephemeral-volume controller makes for a pod are synced like any other: the host pod
    // mounts the copy (see pods' ephemeral-claims.ts), as in vCluster. A fake volume whose claim is
    // gone is still work: it must go.
    wanted: (ctx, virtual) => virtual !== undefined || shownVolumesOf(ctx).length > 0,

    async create(ctx, virtual): Promise<SyncResult> {
      if (!virtual) {
        return (await deleteShownVolumes(ctx)) ? { virtualWritten: true } : {};
      }
      refuseMalformed(virtual);
      // Going, and nothing on the host: the virtual cluster's own finalizers finish it.
      if (virtual.metadata?.deletionTimestamp) return {};
      const lost = lostBinding(ctx, virtual);
      if (lost && (await lostCopyStillThere(ctx, lost))) {
        ctx.log.warn('the host claim of a bound claim left the cache but is still there; keeping the claim');
        // The cache would not show the copy going: looked at again now and then.
        throw new TerminalError(COPY_NO_LONGER_LABELLED, 'SyncError', {
          retryAfterMs: NAME_TAKEN_RECHECK_MS,
        });
      }
      if (lost) {
        ctx.log.info('the host claim of a bound claim is gone; deleting the virtual claim');
        await ctx.virtual.delete(CLAIMS, ctx.virtualNamespace, ctx.virtualName, {
          uid: virtual.metadata?.uid,
        });
        await deleteShownVolumes(ctx);
        return { virtualWritten: true };
      }
      const hostVolume = specOf(virtual).volumeName ? await realVolumeOf(ctx, virtual) : undefined;
      // A tenant's own volume reserves the claim: its copy is the volume the host claim may get, and
      // the only one (the copy may still be reserved for a placeholder while the claim's copy is made).
      const reservedByTenantVolume = hostVolume === undefined && tenantVolumeReservedFor(ctx.key);
      await deleteShownVolumes(ctx);
      const hostClassName = await hostClassOf(
        ctx,
        virtual,
        hostVolume !== undefined || reservedByTenantVolume,
      );
      // No class and no host default: the host's binder would give the copy any unclaimed class-less
      // volume of the host, another tenant's or the host's own; it gets one reserved for it only.
      const classless = hostClassName === undefined && storageClassOf(virtual) === undefined;
      const rename = resolveDataSources(ctx, virtual);
      const copy = hostClaimFor(virtual, place(ctx), rename, {
        hostVolumeName: hostVolume,
        hostClassName,
        preBoundOnly: reservedByTenantVolume || classless,
        virtualScheduler,
      });
      const readByClass = metadataReadByClassRefusal(copy) ?? claimNamedSecretRefusal(ctx, copy);
      if (readByClass) throw new TerminalError(readByClass);
      const result = await createHostCopy(ctx, spec, copy);
      return {
        ...result,
        tenantWaitFrom: { 'virtual-to-host': Date.parse(virtual.metadata?.creationTimestamp ?? '') },
      };
    },

    async update(ctx, source, host): Promise<SyncResult> {
      const result: SyncResult = {};
      if (!source || source.metadata?.deletionTimestamp) {
        // The tenant's claim is gone or going: its host claim goes with it. Its fake volume stays
        // while the claim is still there (finalizers hold it until no pod uses it), then goes.
        if (!source && (await deleteShownVolumes(ctx))) result.virtualWritten = true;
        return { ...result, ...(await removeCopyOfGoneClaim(ctx, host)) };
      }
      const virtual = source;
      refuseMalformed(virtual);
      await refuseOtherClaimsCopy(ctx, virtual, host);
      if (waitsForADefault(virtual, host, ctx) && classes.hostDefaultClass() !== undefined) {
        // The host has a default class now, as a host claim without a class would have got it: the
        // copy is made again naming it (unbound: pods that wait for it are made again too).
        if (await deleteUnboundCopy(ctx, host)) {
          ctx.log.info('the host has a default class now; making the claim copy again to get it');
          result.hostWritten = true;
        }
        return result;
      }
      const volumeName = specOf(virtual).volumeName;
      let hostVolume: string | undefined;
      if (volumeName && volumeName !== specOf(host).volumeName && realBindingOf(host) !== volumeName) {
        hostVolume = await realVolumeOf(ctx, virtual);
        const bound = specOf(host).volumeName;
        if (bound && bound !== hostVolume)
          throw new TerminalError(
            `spec.volumeName: the host claim is already bound to another volume than PersistentVolume "${volumeName}"`,
          );
      }
      // A provisioner reads an unbound copy's data source by its host name when it provisions, which
      // may be long after create (WaitForFirstConsumer). Should the source stop being this tenant's
      // own copy meanwhile (deleted, and its ambiguous name taken by another virtual cluster's claim),
      // the unbound copy, which holds no data yet, goes before anything is provisioned from that.
      if (!specOf(host).volumeName && dataSourceNoLongerOwn(ctx, virtual)) {
        ctx.log.info('a data source of the unbound claim is no longer its own copy; deleting the host claim');
        if (await deleteUnboundCopy(ctx, host)) result.hostWritten = true;
        return result;
      }
      // So with the Secret its host class names after it: made again once it is its own again.
      const secretRefusal = claimNamedSecretRefusal(ctx, host);
      if (secretRefusal) {
        ctx.log.info('the Secret named after the unbound claim is not its own copy; deleting the host claim');
        await deleteUnboundCopy(ctx, host);
        throw new TerminalError(secretRefusal);
      }
      // Data sources are immutable and were judged at create (and above, while unbound): the host
      // claim keeps its own.
      const desired = hostClaimFor(virtual, place(ctx), () => '', {
        current: host,
        hostVolumeName: hostVolume,
        virtualScheduler,
      });
      // Set since: an unbound claim's provisioner may still read it (it keeps what it had meanwhile).
      const readByClass = !specOf(host).volumeName && metadataReadByClassRefusal(desired);
      if (readByClass) throw new TerminalError(readByClass);
      const plan = ctx.planMetadata(virtual, host, desired);
      if (plan.hostChanged || !hostSpecInSync(desired, host)) {
        await ctx.host.update(CLAIMS, ctx.hostNamespace, {
          ...host,
          metadata: { ...host.metadata, ...plan.host },
          spec: desired.spec,
        });
        result.hostWritten = true;
      }
      let latest = await bindVirtual(ctx, virtual, host, result);
      const status = withMessagesScrubbed(virtualStatusFor(host, latest), where);
      // Bound only once the virtual claim names its volume (a binder there would undo it otherwise).
      if (status.phase === 'Bound' && !specOf(latest).volumeName)
        status.phase = statusOf(latest).phase ?? 'Pending';
      // A claim naming a tenant's own volume may be bound in the virtual cluster ahead of the host (by
      // a binder running there): until the host claim is bound too, its Pending is not written over that.
      const namedVolume = specOf(latest).volumeName
        ? virtualVolumes.store.get(specOf(latest).volumeName!)
        : undefined;
      const namesRealVolume =
        hostVolumes !== undefined && !!specOf(latest).volumeName && !isShownVolume(namedVolume);
      const hostPending = (statusOf(host).phase ?? 'Pending') === 'Pending';
      // Nor is it shown Bound before the volume is bound to it in the virtual cluster (the claim's UID
      // in the volume's claimRef, see bindToRealVolume): no binder shows a claim Bound before that.
      if (
        namesRealVolume &&
        status.phase === 'Bound' &&
        (!namedVolume || volumeSpecOf(namedVolume).claimRef?.uid !== latest.metadata?.uid)
      )
        status.phase = statusOf(latest).phase ?? 'Pending';
      if (!(namesRealVolume && hostPending) && !sameJson(status, statusOf(latest))) {
        latest = await ctx.virtual.update(
          CLAIMS,
          ctx.virtualNamespace,
          { ...latest, status },
          { subresource: 'status' },
        );
        result.virtualWritten = true;
      }
      // The plan was made from the claim before its binding annotations were written (bindClaim).
      const up = plan.virtual && {
        ...plan,
        virtual: {
          ...plan.virtual,
          annotations: withBindingAnnotationsOf(plan.virtual.annotations, latest),
        },
      };
      if (await writePlannedMetadataUp(ctx, CLAIMS, latest, up ?? plan)) result.virtualWritten = true;
      return result;
    },

    async remove(ctx, host): Promise<SyncResult> {
      const result: SyncResult = {};
      if (await deleteShownVolumes(ctx)) result.virtualWritten = true;
      return { ...result, ...(await removeCopyOfGoneClaim(ctx, host)) };
    },
  };
  return spec;
}
