import { TerminalError } from '../../controller/errors.ts';
import { withMessagesScrubbed } from '../../sync/scrub.ts';
import type { Informer } from '../../informer/informer.ts';
import { isApiError } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { hostName } from '../../naming/names.ts';
import { OBJECT_HOST_NAMESPACE_ANNOTATION } from '../../naming/labels.ts';
import { createHostCopy } from '../../sync/engine.ts';
import type { KindSpec, Placement, ReconcileContext, SyncResult } from '../../sync/kind.ts';
import { clusterScopedToHost, ownedVirtualKey } from '../../sync/mappers.ts';
import { writePlannedMetadataUp } from '../../sync/metadata-writes.ts';
import { sameJson } from '../shared/host-metadata.ts';
import { isControllerAnnotation } from '../persistentvolumeclaims/translate.ts';
import {
  claimClassResolver,
  TENANT_CLASSES_KIND,
  type ClaimClassResolver,
} from '../storageclasses/claim-class.ts';
import {
  claimKeyOf,
  HOST_COPY_RECLAIM_POLICY,
  hostVolumeFor,
  hostVolumeInSync,
  isSyncerVolume,
  namedStorageOf,
  nfsExportOf,
  nfsPathsOverlap,
  refusalOf,
  updatedHostSpec,
  virtualVolumeStatusFor,
  volumeSpecOf,
} from './translate.ts';

const VOLUMES = Resources.persistentVolumes;
const BY_CLAIM = 'persistentvolumes-by-claim';
/** Volumes (of either cluster) by the storage they name (namedStorageOf). */
const BY_STORAGE = 'persistentvolumes-by-storage';
/** Host volumes by the NFS server they mount from (directories inside one another share data). */
const BY_NFS_SERVER = 'persistentvolumes-by-nfs-server';
const CLAIMS = Resources.persistentVolumeClaims;

/** The persistentvolumes kind's own settings. */
export interface PersistentVolumeOptions {
  allowedPvSources: string[];
}

/**
 * PersistentVolumes a tenant creates in the virtual cluster (static provisioning), copied to the
 * host as `vcluster-<name>-x-<hostNamespace>-x-<vc>` with their phase back. A volume names storage
 * directly, so only the source types of `--allowed-pv-source` are synced (none by default), never
 * one naming a Secret, nor one naming the storage of a host volume that is not this virtual
 * cluster's (a CSI volume handle, an NFS export); every copy is `Retain` (HOST_COPY_RECLAIM_POLICY),
 * so the host never deletes the storage a tenant named. A host copy is made only once the virtual
 * volume is reserved for a claim (spec.claimRef, set by the tenant, or by the syncer when a claim
 * names the volume, as a binder would): it is pre-bound to that claim's host copy, so no other
 * claim of the host can bind it. The syncer's own fake volumes are never copied.
 */
export function persistentVolumesKind(options: PersistentVolumeOptions, where: Placement): KindSpec {
  const place = (ctx: ReconcileContext) => ({ ...where, hostName: ctx.hostName });
  const allowed = options.allowedPvSources ?? [];
  let hostClaims: Informer<KubeObject>;
  /** The virtual volumes, indexed by the claim each is reserved for (`namespace/name`). */
  let virtualVolumes: Informer<KubeObject> | undefined;
  /**
   * Every volume of the host, ours or not (the informer the claims kind reads too), indexed by the
   * storage each names.
   */
  let hostVolumes: Informer<KubeObject>;
  /** Tenants' own classes (storageclasses on): a volume of one carries its copy's name on the host. */
  let classes: ClaimClassResolver | undefined;
  const hostClassOf = (pv: KubeObject) => {
    const name = volumeSpecOf(pv).storageClassName;
    return name ? classes?.hostNameOf(name) : undefined;
  };

  const isOwnCopy = (pv: KubeObject) => ownedVirtualKey(pv, where, VOLUMES) !== undefined;

  /** The virtual volumes that name the storage of `key` (a NamedStorage key). */
  const volumesNaming = (key: string | undefined): string[] =>
    key ? (virtualVolumes?.store.byIndex(BY_STORAGE, key).map((v) => v.metadata?.name ?? '') ?? []) : [];

  /**
   * Why a volume may not name its storage: a host volume that is not this virtual cluster's copy
   * (another tenant's, the host's own) names it too, and a copy would reach that volume's data.
   */
  function foreignStorageRefusal(virtual: KubeObject): string | undefined {
    const storage = namedStorageOf(virtual);
    if (!storage) return undefined;
    const named = hostVolumes.store.byIndex(BY_STORAGE, storage.key);
    if (!named.every(isOwnCopy))
      return `${storage.field}: ${storage.what} is the storage of a PersistentVolume of the host cluster that is not this virtual cluster's; a volume of the virtual cluster may not name it`;
    const share = nfsExportOf(virtual);
    const overlapping =
      share &&
      hostVolumes.store
        .byIndex(BY_NFS_SERVER, share.server)
        .find((pv) => !isOwnCopy(pv) && nfsPathsOverlap(share.path, nfsExportOf(pv)?.path ?? ''));
    if (overlapping)
      return `${storage.field}: ${storage.what} contains, or lies inside, the directory of a PersistentVolume of the host cluster that is not this virtual cluster's (${nfsExportOf(overlapping)!.path}); a volume of the virtual cluster may not reach its data`;
    return undefined;
  }

  /** Why a volume may not reach the host, or undefined when it may. */
  const refusalOfVolume = (virtual: KubeObject): string | undefined =>
    refusalOf(virtual, allowed) ?? foreignStorageRefusal(virtual);

  function refuse(virtual: KubeObject): void {
    const refusal = refusalOfVolume(virtual);
    if (refusal) throw new TerminalError(refusal);
  }

  /**
   * A copy made before its volume was refused (the allowed sources narrowed at a restart, a host
   * volume naming the same storage found) stays, and is no longer updated: deleting it would take the
   * storage from under the claim bound to it and that claim's pods, and a provisioner honouring a
   * Delete policy (KEP-2644) would delete the storage too. Only its reclaim policy is made Retain,
   * should an earlier syncer have copied the tenant's.
   */
  async function keepRefusedCopy(ctx: ReconcileContext, host: KubeObject, refusal: string): Promise<never> {
    // It is made Retain, and records this host namespace if it did not (a vCluster copy), so that
    // deleting the volume still removes it (see clusterScopedToHost's deletable).
    const annotations = host.metadata?.annotations ?? {};
    const unrecorded = annotations[OBJECT_HOST_NAMESPACE_ANNOTATION] === undefined;
    if (volumeSpecOf(host).persistentVolumeReclaimPolicy !== HOST_COPY_RECLAIM_POLICY || unrecorded) {
      await ctx.host.update(VOLUMES, '', {
        ...host,
        metadata: {
          ...host.metadata,
          annotations: { ...annotations, [OBJECT_HOST_NAMESPACE_ANNOTATION]: where.hostNamespace },
        },
        spec: { ...volumeSpecOf(host), persistentVolumeReclaimPolicy: HOST_COPY_RECLAIM_POLICY },
      });
      ctx.log.info("the refused volume's host copy made Retain");
    }
    throw new TerminalError(`${refusal}; the host copy made before is kept as it is, no longer updated`);
  }

  /** The host name of the claim a volume is reserved for. */
  function claimHostName(virtual: KubeObject): string | undefined {
    const key = claimKeyOf(virtual);
    if (!key) return undefined;
    const [namespace = '', name = ''] = key.split('/');
    return hostName(name, namespace, where.vcName);
  }

  /**
   * The host claim of the claim the volume is reserved for, once it is there as that claim's copy.
   * Its host name must be free or held by that copy: host names are ambiguous, and a pre-bound volume
   * is bound to whatever claim has the name (and UID, when the reservation names one).
   */
  function claimCopyOf(virtual: KubeObject): KubeObject | undefined {
    const key = claimKeyOf(virtual);
    const held = key ? hostClaims.store.get(`${where.hostNamespace}/${claimHostName(virtual)}`) : undefined;
    if (!held) return undefined;
    if (ownedVirtualKey(held, where, CLAIMS) !== key)
      throw new TerminalError(
        `spec.claimRef: the host name of claim "${key}" is held by another object; the volume is not synced`,
      );
    return held;
  }

  const spec: KindSpec = {
    direction: 'both',
    virtualType: VOLUMES,
    hostType: VOLUMES,
    // The host's binder and provisioners annotate their own; the virtual cluster's set the tenant's.
    hostOnlyMetadata: { annotations: isControllerAnnotation },
    mapper: clusterScopedToHost(VOLUMES, where),
    // A volume made again under its name (a restore of the virtual cluster) keeps its host copy, and
    // that copy's binding to its host claim, as in vCluster.
    adoptsEarlierIncarnations: true,
    // A volume names its claim's host copy once that copy is there (see hostVolumeFor).
    relations: [
      {
        name: 'host-claims',
        cluster: 'host',
        type: CLAIMS,
        scope: { namespace: where.hostNamespace },
        keys: (claim) => {
          const key = ownedVirtualKey(claim, where, CLAIMS);
          return key
            ? (virtualVolumes?.store.byIndex(BY_CLAIM, key).map((v) => v.metadata?.name ?? '') ?? [])
            : [];
        },
      },
      // A volume refused for storage a host volume not ours names (or, for NFS, a directory inside
      // or around it) is looked at again when that volume goes, or stops naming it.
      {
        name: 'host-storage',
        cluster: 'host',
        type: VOLUMES,
        unindexed: true,
        changed: (old, current) =>
          namedStorageOf(old)?.key !== namedStorageOf(current)?.key || isOwnCopy(old) !== isOwnCopy(current),
        keys: (pv) => {
          const server = nfsExportOf(pv)?.server;
          const sameServer = server
            ? (virtualVolumes?.store.byIndex(BY_NFS_SERVER, server).map((v) => v.metadata?.name ?? '') ?? [])
            : [];
          return [...new Set([...volumesNaming(namedStorageOf(pv)?.key), ...sameServer])];
        },
      },
    ],

    setup(env, kinds) {
      hostClaims = env.informers.get(env.host, CLAIMS, { namespace: env.hostNamespace });
      virtualVolumes = env.informers.get(env.virtual, VOLUMES);
      virtualVolumes.addIndexer(BY_CLAIM, (pv) => {
        const key = claimKeyOf(pv);
        return key ? [key] : [];
      });
      const byStorage = (pv: KubeObject) => {
        const key = namedStorageOf(pv)?.key;
        return key ? [key] : [];
      };
      const byNfsServer = (pv: KubeObject) => {
        const server = nfsExportOf(pv)?.server;
        return server ? [server] : [];
      };
      virtualVolumes.addIndexer(BY_STORAGE, byStorage);
      virtualVolumes.addIndexer(BY_NFS_SERVER, byNfsServer);
      hostVolumes = env.informers.get(env.host, VOLUMES);
      hostVolumes.addIndexer(BY_STORAGE, byStorage);
      hostVolumes.addIndexer(BY_NFS_SERVER, byNfsServer);
      // Only with tenants' classes synced is a volume's class renamed (and host classes read).
      if (kinds.has(TENANT_CLASSES_KIND)) classes = claimClassResolver(env, kinds);
    },

    // The fake volumes the claims kind shows for bound claims (and anything else the syncer made)
    // are not the tenant's; nor is a volume not yet reserved for a claim (its host copy would be
    // free for any claim of the host to bind).
    wanted: (_ctx, virtual) => virtual !== undefined && !isSyncerVolume(virtual),

    async create(ctx, virtual): Promise<SyncResult> {
      refuse(virtual!);
      if (!claimKeyOf(virtual)) {
        ctx.log.debug('the volume is not reserved for a claim yet; no host copy');
        return {};
      }
      return createHostCopy(
        ctx,
        spec,
        hostVolumeFor(virtual!, place(ctx), hostClassOf(virtual!), claimCopyOf(virtual!)?.metadata?.uid),
      );
    },

    async update(ctx, source, host): Promise<SyncResult> {
      const virtual = source!;
      const refusal = refusalOfVolume(virtual);
      if (refusal !== undefined) return keepRefusedCopy(ctx, host, refusal);
      const result: SyncResult = {};
      // A copy already pre-bound to the claim copy keeps it (a copy missing from the cache for a moment
      // must not release it): to that very copy, by its UID, which no later claim of the name has.
      const held = volumeSpecOf(host).claimRef;
      const heldUid = held?.name === claimHostName(virtual) ? held?.uid : undefined;
      const desired = hostVolumeFor(
        virtual,
        place(ctx),
        hostClassOf(virtual),
        claimCopyOf(virtual)?.metadata?.uid ?? heldUid,
      );
      const plan = ctx.planMetadata(virtual, host, desired);
      if (plan.hostChanged || !hostVolumeInSync(desired, host)) {
        try {
          await ctx.host.update(VOLUMES, '', {
            ...host,
            metadata: { ...host.metadata, ...plan.host },
            spec: updatedHostSpec(desired, host),
          });
        } catch (err) {
          if (!isApiError(err, 'invalid')) throw err;
          throw new TerminalError(
            `the host cluster refused the change (${err instanceof Error ? err.message : String(err)}); a volume's source and mode cannot change: delete and re-create the PersistentVolume`,
          );
        }
        result.hostWritten = true;
      }
      const status = withMessagesScrubbed(virtualVolumeStatusFor(host, virtual), where);
      let latest = virtual;
      if (!sameJson(status, virtual.status ?? {})) {
        latest = await ctx.virtual.update(VOLUMES, '', { ...virtual, status }, { subresource: 'status' });
        result.virtualWritten = true;
      }
      if (await writePlannedMetadataUp(ctx, VOLUMES, latest, plan)) result.virtualWritten = true;
      return result;
    },
  };
  return spec;
}
