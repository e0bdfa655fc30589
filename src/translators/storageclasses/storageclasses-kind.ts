import { LRUCache } from 'lru-cache';
import { TerminalError } from '../../controller/errors.ts';
import { deleteIncarnation } from '../../kube/delete-incarnation.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { createHostCopy } from '../../sync/engine.ts';
import type { KindSpec, Placement, ReconcileContext, SyncResult } from '../../sync/kind.ts';
import { clusterScopedToHost } from '../../sync/mappers.ts';
import { writePlannedMetadataUp } from '../../sync/metadata-writes.ts';
import { FROM_HOST_LABEL } from '../shared/from-host.ts';
import { malformedStorageClass } from '../shared/shape.ts';
import {
  HOST_RECLAIM_POLICY_FOR_RETAIN,
  hostStorageClassFor,
  immutableFieldsDiffering,
  mutableFieldsMatch,
  refusalOf,
  retainTurnedToDelete,
  withMutableFields,
  type HostClassPolicy,
} from './translate.ts';

const CLASSES = Resources.storageClasses;

/** How many tenant classes' replacements are remembered (see HostChanges). */
const REPLACEMENTS_REMEMBERED = 10_000;

/**
 * The tenant classes whose host copy this syncer replaced, or made and found changed by the host's
 * admission, by virtual UID, with the copy it asked for then and whether the tenant was told (of a
 * copy the host changed since). The API server never lets a class's provisioner, parameters, reclaim
 * policy or binding mode change, so a host copy differing in them can only be replaced; but a host
 * policy that mutates classes on create (a Kyverno or Gatekeeper rule adding `encrypted: "true"`,
 * forcing a reclaim policy) changes every fresh copy alike, and replacing it again would delete and
 * create the class for ever, each round a success with no backoff, seen by every StorageClass
 * watcher of the host. So a copy is replaced at most once
 * per copy asked for: after that, the host's values stand, and the tenant is told once which fields
 * the host changed. The tenant's class cannot change those fields either (a new class has a new UID),
 * so a change of what is asked for comes only with a new class or a new setting of the syncer's.
 *
 * Kept in memory, not in an annotation of the copy recording what the host admitted: that would take
 * a second write after every create, and a policy that strips or rewrites annotations (or an admin
 * copying the class with them) would make it lie. Forgetting costs at most one replacement per class
 * after a restart, which then is remembered again.
 */
interface HostChanges {
  asked: KubeObject;
  told: boolean;
}

/** The storageclasses kind's own settings. */
export interface StorageClassOptions {
  allowedStorageProvisioners: string[];
  /** --allow-retain-storage-class: see HOST_RECLAIM_POLICY_FOR_RETAIN. */
  allowRetainStorageClass?: boolean;
}

/**
 * StorageClasses a tenant creates in the virtual cluster, copied to the host as cluster-scoped
 * classes named `vcluster-<name>-x-<hostNamespace>-x-<vc>`, so that the tenant's claims are
 * provisioned by the host's provisioners with the tenant's parameters (the claims kind renames a
 * claim's class to its copy). A class whose provisioner is not allowed, or whose parameters name a
 * Secret, never reaches the host (a SyncError on the virtual class says why; a copy made before is
 * deleted); a tenant's default class stays the default only in the virtual cluster, and its Retain
 * becomes Delete on the host unless the admin allows it (HOST_RECLAIM_POLICY_FOR_RETAIN).
 */
export function storageClassesKind(options: StorageClassOptions, where: Placement): KindSpec {
  const place = (ctx: ReconcileContext) => ({ ...where, hostName: ctx.hostName });
  const allowed = options.allowedStorageProvisioners ?? [];
  const policy: HostClassPolicy = { allowRetain: options.allowRetainStorageClass ?? false };
  const desiredFor = (ctx: ReconcileContext, virtual: KubeObject) =>
    hostStorageClassFor(virtual, place(ctx), policy);

  function refuse(virtual: KubeObject): void {
    const problem = malformedStorageClass(virtual);
    if (problem) throw new TerminalError(`malformed storage class: ${problem}`);
    const refusal = refusalOf(virtual, allowed);
    if (refusal) throw new TerminalError(refusal);
  }

  const deleteCopy = (ctx: ReconcileContext, host: KubeObject) => deleteIncarnation(ctx.host, CLASSES, host);

  const hostChanged = new LRUCache<string, HostChanges>({
    maxSize: REPLACEMENTS_REMEMBERED,
    sizeCalculation: () => 1,
  });
  const uidOf = (virtual: KubeObject) => virtual.metadata?.uid ?? '';
  /** Whether this syncer made this tenant class's copy as asked for now, and the host changed it. */
  const madeAlready = (virtual: KubeObject, desired: KubeObject) => {
    const seen = hostChanged.get(uidOf(virtual));
    return seen !== undefined && immutableFieldsDiffering(seen.asked, desired).length === 0;
  };

  /**
   * Tells the tenant, once per copy asked for, which fixed fields the host gave its copy other
   * values of (fields are named, not values: the host's may say what only its admin should read).
   */
  async function tellHostChanged(
    ctx: ReconcileContext,
    virtual: KubeObject,
    fields: string[],
  ): Promise<void> {
    const seen = hostChanged.get(uidOf(virtual));
    if (!seen || seen.told) return;
    seen.told = true;
    await ctx.events.record(
      virtual,
      'Warning',
      'SyncError',
      `the host gave this class's copy other ${fields.join(', ')} than the class says (a policy of the host's sets them when a class is created, or its admin did); they cannot change after create, so the copy is kept as the host made it and claims of this class get the host's values`,
      { once: true },
    );
  }

  /** Tells the tenant its class's Retain became Delete on the host, and who may allow Retain. */
  const tellRetainNotCopied = (ctx: ReconcileContext, virtual: KubeObject) =>
    ctx.events.record(
      virtual,
      'Warning',
      'SyncError',
      `reclaimPolicy Retain is not copied to the host: its copy of this class has ${HOST_RECLAIM_POLICY_FOR_RETAIN}, so a volume provisioned for a claim of this class is deleted with the claim (a volume the host retained would be out of this virtual cluster's reach, its storage kept for good); the host's admin allows Retain with --allow-retain-storage-class`,
      { once: true },
    );

  /**
   * Creates the copy; when the host's answer already differs in fixed fields (its admission changed
   * it), that counts as the one replacement: a new copy would be changed alike.
   */
  async function createCopy(
    ctx: ReconcileContext,
    virtual: KubeObject,
    desired: KubeObject,
  ): Promise<SyncResult> {
    const result = await createHostCopy(ctx, spec, desired);
    // Said when a copy is made, not at every reconcile: once per class (and per replacement); not
    // when the host's admission set Retain after all (tellHostChanged says so).
    const made = result.created ?? desired;
    if (retainTurnedToDelete(virtual, policy) && made.reclaimPolicy === HOST_RECLAIM_POLICY_FOR_RETAIN)
      await tellRetainNotCopied(ctx, virtual);
    const changed = result.created ? immutableFieldsDiffering(desired, result.created) : [];
    if (changed.length) {
      hostChanged.set(uidOf(virtual), { asked: desired, told: false });
      await tellHostChanged(ctx, virtual, changed);
    }
    return result;
  }

  const spec: KindSpec = {
    direction: 'to-host',
    virtualType: CLASSES,
    hostType: CLASSES,
    mapper: clusterScopedToHost(CLASSES, where),

    // Classes shown from the host (host-storageclasses in another syncer of the same virtual
    // cluster) are not the tenant's.
    wanted: (_ctx, virtual) =>
      virtual !== undefined && virtual.metadata?.labels?.[FROM_HOST_LABEL] !== 'true',

    async create(ctx, virtual): Promise<SyncResult> {
      refuse(virtual!);
      return createCopy(ctx, virtual!, desiredFor(ctx, virtual!));
    },

    async update(ctx, source, host): Promise<SyncResult> {
      const virtual = source!;
      const desired = desiredFor(ctx, virtual);
      const refused =
        malformedStorageClass(virtual) !== undefined || refusalOf(virtual, allowed) !== undefined;
      const changed = immutableFieldsDiffering(desired, host);
      if (refused || (changed.length && !madeAlready(virtual, desired))) {
        // Refused since it was copied (the allowed provisioners changed), or a copy whose fixed
        // fields say something else (an admin re-created it): the copy goes. A refused class
        // stays off the host, and the tenant is told why; any other is copied afresh, once.
        await deleteCopy(ctx, host);
        refuse(virtual);
        hostChanged.set(uidOf(virtual), { asked: desired, told: false });
        const created = await createCopy(ctx, virtual, desired);
        return { ...created, hostWritten: true };
      }
      // A copy the host changed after this syncer made it as asked: kept (see HostChanges).
      if (changed.length) await tellHostChanged(ctx, virtual, changed);
      const result: SyncResult = {};
      const plan = ctx.planMetadata(virtual, host, desired);
      if (plan.hostChanged || !mutableFieldsMatch(desired, host)) {
        const updated = withMutableFields({ ...host, metadata: { ...host.metadata, ...plan.host } }, desired);
        await ctx.host.update(CLASSES, '', updated);
        result.hostWritten = true;
      }
      if (await writePlannedMetadataUp(ctx, CLASSES, virtual, plan)) result.virtualWritten = true;
      return result;
    },
  };
  return spec;
}
