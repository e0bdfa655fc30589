import { LRUCache } from 'lru-cache';
import { TerminalError, WaitingError } from '../../controller/errors.ts';
import { withMessagesScrubbed } from '../../sync/scrub.ts';
import type { Informer } from '../../informer/informer.ts';
import { objectKey, type KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { hostName } from '../../naming/names.ts';
import { createHostCopy } from '../../sync/engine.ts';
import { deleteIncarnation } from '../../kube/delete-incarnation.ts';
import type { KindSpec, Placement, ReconcileContext, SyncResult } from '../../sync/kind.ts';
import {
  managedCopiesScope,
  namespacedToHost,
  ownedVirtualKey,
  recordedVirtualUid,
} from '../../sync/mappers.ts';
import { writePlannedMetadataUp } from '../../sync/metadata-writes.ts';
import { ReferenceJudge, referenceTargets } from '../pods/reference-safety.ts';
import { sameJson } from '../shared/host-metadata.ts';
import { ownNamedSecretProblem } from '../shared/own-named-secret.ts';
import { secretsNamedAfter } from '../storageclasses/claim-class.ts';
import { SNAPSHOT_TEMPLATES } from './class-secrets.ts';
import { restoredByVelero } from '../shared/velero-restore.ts';
import {
  hostSnapshotFor,
  hostSpecInSync,
  malformedSnapshot,
  sameSnapshotSource,
  snapshotTaken,
  sourceOf,
  virtualSnapshotStatus,
} from './translate.ts';

const SNAPSHOTS = Resources.volumeSnapshots;
const CLAIMS = Resources.persistentVolumeClaims;
const SECRETS = Resources.secrets;
const CLASSES = Resources.volumeSnapshotClasses;
/** The snapshot classes the host's snapshot controller gives a snapshot naming none. */
const DEFAULT_CLASS_ANNOTATION = 'snapshot.storage.kubernetes.io/is-default-class';
/** Virtual snapshots by the claim they are taken from (`namespace/claim`). */
const SOURCE_INDEX = 'volumesnapshots/source-claim';
/** Why an earlier incarnation's copy taken of something else is not replaced (see update). */
const EARLIER_SNAPSHOT_KEPT =
  'spec: the host still holds the snapshot an earlier VolumeSnapshot of this name took, of another source or class; it is kept (deleting it may delete the stored snapshot). Delete this VolumeSnapshot to remove that one, then create it again';
/** Why a taken snapshot keeps its class: a new copy would lose the data the old one holds (see update). */
const TAKEN_CLASS_KEPT =
  'spec.volumeSnapshotClassName: the snapshot is taken already, so a new class is ignored (as Kubernetes does once a snapshot is bound) and it keeps the class it was taken with; to take it with another class, create another VolumeSnapshot';
/** Why the copy keeps a class the host gave it (a host admission policy's): see update. */
const HOST_CLASS_KEPT =
  'spec.volumeSnapshotClassName: the host cluster set another snapshot class on the copy when it was made (an admission policy of the host); the copy keeps it';
/** The snapshot class each snapshot's copy was last made asking for, by the snapshot's UID. */
type ClassesAskedFor = LRUCache<string, string>;

/**
 * VolumeSnapshots, virtual → host, with readiness back. A snapshot is taken only of a claim of its
 * own namespace whose host copy provably is that tenant's claim; a tenant never names a host
 * VolumeSnapshotContent (that would read another tenant's data), and the host's snapshot classes
 * are used as they are. Without the snapshot CRDs on the host the kind has nothing to do.
 */
export function volumeSnapshotsKind(where: Placement): KindSpec {
  const place = (ctx: ReconcileContext) => ({ ...where, hostName: ctx.hostName });
  const managed = managedCopiesScope(where);
  let judge: ReferenceJudge;
  let virtualSnapshots: Informer<KubeObject> | undefined;
  let hostClasses: Informer<KubeObject> | undefined;
  let hostClaims: Informer<KubeObject> | undefined;
  let hostStorageClasses: Informer<KubeObject> | undefined;
  /**
   * A host admission policy may set its own class on every snapshot as it is made; replacing such a
   * copy would only have it set again, for ever (and start a snapshot in the storage each time). So a
   * copy is made again for its class only when the tenant asks for another than the last copy was
   * made asking for.
   */
  const classesAskedFor: ClassesAskedFor = new LRUCache({ maxSize: 10_000, sizeCalculation: () => 1 });
  /**
   * The class the host gave a snapshot's copy when that class was refused (see classSecretProblem),
   * by the snapshot's UID, with the class the copy was made asking for: the copy is not made again
   * for the host to give it that class again, for ever, until that class would pass or the tenant
   * asks for another.
   */
  const hostClassRefused = new LRUCache<string, { asked: string; given: string }>({
    maxSize: 10_000,
    sizeCalculation: () => 1,
  });
  const classOf = (snapshot: KubeObject) =>
    (snapshot.spec as { volumeSnapshotClassName?: string } | undefined)?.volumeSnapshotClassName ?? '';

  /** Whether the snapshot's claim, in its namespace, is provably this tenant's with its own host copy. */
  function judgeClaim(ctx: ReconcileContext, claim: string) {
    return judge.judge(ctx.virtualNamespace, {
      kind: 'PersistentVolumeClaim',
      name: claim,
      optional: false,
      where: { field: 'spec.source.persistentVolumeClaimName' },
    });
  }

  /**
   * Whether the claim a not yet taken snapshot is of is not provably the tenant's own copy now: gone,
   * refused, or its copy gone (the judge sees only this virtual cluster's copies, so another's claim
   * under the freed name reads as a copy still to come). The host's snapshot controller takes the
   * claim of an unbound copy by its host name when it can (once the claim is bound), which may be
   * long after the copy was made; by then that ambiguous name could hold another virtual cluster's
   * claim. The copy holds no data yet: it goes, and is made again once the claim's copy is back.
   */
  function untakenSourceLost(ctx: ReconcileContext, virtual: KubeObject, host: KubeObject): boolean {
    const claim = malformedSnapshot(virtual) ? undefined : sourceOf(virtual).persistentVolumeClaimName;
    if (snapshotTaken(host) || !claim) return false;
    return judgeClaim(ctx, claim).state !== 'ready';
  }

  /**
   * The host classes a snapshot is taken with: the copy's (set by the host's snapshot controller, or
   * an admission policy), else the one it names, else the host's defaults for the CSI driver of its
   * claim's class (the snapshot controller's choice; every default while that is not known).
   */
  function hostClassesFor(ctx: ReconcileContext, virtual: KubeObject, host?: KubeObject): KubeObject[] {
    const named = (host && classOf(host)) || classOf(virtual);
    if (named) return [hostClasses?.store.get(named)].filter((c): c is KubeObject => c !== undefined);
    const defaults = (hostClasses?.store.list() ?? []).filter(
      (c) => c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true',
    );
    // The snapshot controller goes by the bound volume's CSI driver; its claim's class's provisioner is
    // the same but under CSI migration (an in-tree name). None matching, every default is judged.
    const driver = claimDriver(ctx, virtual);
    const ofDriver = defaults.filter((c) => (c as { driver?: unknown }).driver === driver);
    return ofDriver.length ? ofDriver : defaults;
  }

  /** The provisioner (a CSI driver) of the host class of the snapshot's claim's copy, when known. */
  function claimDriver(ctx: ReconcileContext, virtual: KubeObject): string | undefined {
    const claim = malformedSnapshot(virtual) ? undefined : sourceOf(virtual).persistentVolumeClaimName;
    const copy = claim
      ? hostClaims?.store.get(`${ctx.hostNamespace}/${hostName(claim, ctx.virtualNamespace, where.vcName)}`)
      : undefined;
    const className = (copy?.spec as { storageClassName?: unknown } | undefined)?.storageClassName;
    const provisioner =
      typeof className === 'string' ? hostStorageClasses?.store.get(className)?.provisioner : undefined;
    return typeof provisioner === 'string' ? provisioner : undefined;
  }

  /**
   * Why the snapshot may not be taken (yet), when its host class names the snapshotter's Secret after
   * the snapshot (`${volumesnapshot.name}` in its namespace, the host namespace): the CSI driver would
   * be handed the host Secret of the copy's own name, which must then be the copy of the tenant's
   * Secret of the snapshot's name and namespace, and nothing else under that ambiguous name.
   */
  function classSecretProblem(
    ctx: ReconcileContext,
    virtual: KubeObject,
    host?: KubeObject,
  ): Error | undefined {
    for (const cls of hostClassesFor(ctx, virtual, host)) {
      const named = secretsNamedAfter((cls as { parameters?: unknown }).parameters, SNAPSHOT_TEMPLATES);
      const reads = `VolumeSnapshotClass "${cls.metadata?.name}" of the host names the Secrets of its CSI driver after the snapshot`;
      if (named.other.length)
        return new TerminalError(
          `${reads} (${named.other.join(', ')}), under names no Secret of the tenant can be proved to hold; use another class`,
        );
      if (!named.exact) continue;
      const problem = ownNamedSecretProblem(judge, ctx, reads, 'spec.volumeSnapshotClassName', 'snapshot');
      if (problem) return new TerminalError(problem);
    }
    return undefined;
  }

  /** The host copy to have: refused with the field named, or waiting for the claim's copy. */
  function desiredHost(ctx: ReconcileContext, virtual: KubeObject): KubeObject {
    const problem = malformedSnapshot(virtual);
    if (problem) throw new TerminalError(`malformed volume snapshot: ${problem}`);
    const source = sourceOf(virtual);
    if (source.volumeSnapshotContentName)
      throw new TerminalError(
        'spec.source.volumeSnapshotContentName: pre-provisioned snapshots are not supported (snapshot contents are host objects)',
      );
    const claim = source.persistentVolumeClaimName!;
    const verdict = judgeClaim(ctx, claim);
    if (verdict.state === 'refused')
      throw new TerminalError(`spec.source.persistentVolumeClaimName: ${verdict.message}`);
    if (verdict.state === 'waiting') {
      // A claim that does not exist is reported (retried once it and its copy appear); a copy on its way is waited for.
      const message = `spec.source.persistentVolumeClaimName: ${verdict.message}`;
      throw verdict.missing ? new TerminalError(message) : new WaitingError(message);
    }
    return hostSnapshotFor(virtual, hostName(claim, ctx.virtualNamespace, where.vcName), place(ctx));
  }

  const spec: KindSpec = {
    direction: 'both',
    virtualType: SNAPSHOTS,
    hostType: SNAPSHOTS,
    mapper: namespacedToHost(SNAPSHOTS, where),
    // A snapshot a restore of the virtual cluster made again (Velero marks what it restores) keeps
    // its host copy: deleting that copy deletes the stored snapshot when its class's deletionPolicy
    // is Delete. One the tenant deleted and made again is a new snapshot: taken afresh, never the old
    // copy's data under the new name (its delete and create may reach the syncer as one change).
    adoptsEarlierIncarnations: restoredByVelero,
    relations: [
      // A class changed: the snapshots it may be taken with are judged again.
      {
        name: 'host-classes',
        cluster: 'host',
        type: CLASSES,
        keys: (cls) =>
          (virtualSnapshots?.store.list() ?? [])
            .filter(
              (s) =>
                [cls.metadata?.name, ''].includes(classOf(s)) ||
                hostClassRefused.get(s.metadata?.uid ?? '')?.given === cls.metadata?.name,
            )
            .map(objectKey),
      },
      // A snapshot waiting for the copy of the Secret its class names after it is retried once it appears.
      {
        name: 'secret-copies',
        cluster: 'host',
        type: SECRETS,
        scope: managed,
        whenKind: 'secrets',
        keys: (copy) => {
          const owner = ownedVirtualKey(copy, where, SECRETS);
          return owner && virtualSnapshots?.store.get(owner) ? [owner] : [];
        },
      },
      // A snapshot waiting for its claim's host copy is retried as soon as the copy appears.
      {
        name: 'claim-copies',
        cluster: 'host',
        type: CLAIMS,
        scope: managed,
        whenKind: 'persistentvolumeclaims',
        keys: (copy) => {
          const owner = ownedVirtualKey(copy, where, CLAIMS);
          return owner && virtualSnapshots
            ? virtualSnapshots.store.byIndex(SOURCE_INDEX, owner).map(objectKey)
            : [];
        },
      },
    ],

    setup(env, kinds) {
      const peers = new Map(
        [...kinds].filter(([, k]) => ['PersistentVolumeClaim', 'Secret'].includes(k.spec.virtualType.kind)),
      );
      hostClasses = env.informers.get(env.host, CLASSES);
      // The claims kind's own caches (and RBAC); without that kind no claim is judged the tenant's.
      if (peers.has('persistentvolumeclaims')) {
        hostClaims = env.informers.get(env.host, CLAIMS, managed);
        hostStorageClasses = env.informers.get(env.host, Resources.storageClasses);
      }
      judge = new ReferenceJudge(
        referenceTargets(peers, (peer) => ({
          host: env.informers.get(env.host, peer.hostType, managed),
          virtual: env.informers.get(env.virtual, peer.virtualType),
        })),
      );
      virtualSnapshots = env.informers.get(env.virtual, SNAPSHOTS);
      virtualSnapshots.addIndexer(SOURCE_INDEX, (snapshot) => {
        const claim = malformedSnapshot(snapshot) ? undefined : sourceOf(snapshot).persistentVolumeClaimName;
        return claim ? [`${snapshot.metadata?.namespace}/${claim}`] : [];
      });
    },

    async create(ctx, virtual): Promise<SyncResult> {
      const desired = desiredHost(ctx, virtual!);
      const refused = hostClassRefused.get(virtual!.metadata?.uid ?? '');
      const givenByHost =
        refused?.asked === classOf(desired)
          ? { spec: { volumeSnapshotClassName: refused.given } }
          : undefined;
      const secretProblem = classSecretProblem(ctx, virtual!, givenByHost);
      if (secretProblem) throw secretProblem;
      classesAskedFor.set(virtual!.metadata?.uid ?? '', classOf(desired));
      return createHostCopy(ctx, spec, desired);
    },

    async update(ctx, source, host): Promise<SyncResult> {
      const virtual = source!;
      if (untakenSourceLost(ctx, virtual, host)) {
        // It holds no data yet: it goes, and the tenant is told why when it is made again.
        ctx.log.info('the claim of a snapshot not yet taken is gone or refused; deleting the host copy');
        await deleteIncarnation(ctx.host, SNAPSHOTS, host);
        return { hostWritten: true };
      }
      // Not taken yet, the snapshotter may still read the Secret its class names after the snapshot:
      // one no longer provably the tenant's copy takes the copy with it (it holds no data yet).
      const secretProblem = snapshotTaken(host) ? undefined : classSecretProblem(ctx, virtual, host);
      if (secretProblem) {
        const asked = classesAskedFor.get(virtual.metadata?.uid ?? '');
        if (asked !== undefined && asked !== classOf(host))
          hostClassRefused.set(virtual.metadata?.uid ?? '', { asked, given: classOf(host) });
        await deleteIncarnation(ctx.host, SNAPSHOTS, host);
        throw secretProblem;
      }
      const desired = desiredHost(ctx, virtual);
      const plan = ctx.planMetadata(virtual, host, desired);
      const result: SyncResult = {};
      // A snapshot's source is immutable: a host copy taken of something else is replaced, not edited;
      // but not one an earlier incarnation took, which may be the only copy of its data (as a claim
      // made again keeps its copy's immutable fields): the tenant decides by deleting the snapshot.
      // A class edited once the snapshot is taken keeps the copy: replacing it would delete the stored
      // snapshot (with a Delete class) for a field that no longer matters; status still flows. So does
      // a class the host set as the copy was made (classesAskedFor).
      if (!hostSpecInSync(desired, host)) {
        if (recordedVirtualUid(host) !== virtual.metadata?.uid)
          throw new TerminalError(EARLIER_SNAPSHOT_KEPT);
        const classOnly = sameSnapshotSource(desired, host);
        const classEditedAfterTaken = snapshotTaken(host) && classOnly;
        const classSetByHost =
          classOnly && classesAskedFor.get(virtual.metadata?.uid ?? '') === classOf(desired);
        if (classSetByHost) {
          await ctx.events.record(virtual, 'Warning', 'SyncError', HOST_CLASS_KEPT, { once: true });
        } else if (classEditedAfterTaken) {
          await ctx.events.record(virtual, 'Warning', 'SyncError', TAKEN_CLASS_KEPT, { once: true });
        } else {
          await ctx.host.delete(SNAPSHOTS, ctx.hostNamespace, host.metadata?.name ?? '', {
            uid: host.metadata?.uid,
          });
          return { hostWritten: true };
        }
      }
      if (plan.hostChanged) {
        await ctx.host.update(SNAPSHOTS, ctx.hostNamespace, {
          ...host,
          metadata: { ...host.metadata, ...plan.host },
        });
        result.hostWritten = true;
      }
      let latest = virtual;
      const status = withMessagesScrubbed(virtualSnapshotStatus(host), where);
      if (status && !sameJson(status, virtual.status)) {
        latest = await ctx.virtual.update(
          SNAPSHOTS,
          ctx.virtualNamespace,
          { ...virtual, status },
          { subresource: 'status' },
        );
        result.virtualWritten = true;
      }
      if (await writePlannedMetadataUp(ctx, SNAPSHOTS, latest, plan)) result.virtualWritten = true;
      return result;
    },
  };
  return spec;
}
