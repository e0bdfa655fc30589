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
  hostStorageClassFor,
  immutableFieldsMatch,
  mutableFieldsMatch,
  refusalOf,
  withMutableFields,
} from './translate.ts';

const CLASSES = Resources.storageClasses;

/** The storageclasses kind's own settings. */
export interface StorageClassOptions {
  allowedStorageProvisioners: string[];
}

/**
 * StorageClasses a tenant creates in the virtual cluster, copied to the host as cluster-scoped
 * classes named `vcluster-<name>-x-<hostNamespace>-x-<vc>`, so that the tenant's claims are
 * provisioned by the host's provisioners with the tenant's parameters (the claims kind renames a
 * claim's class to its copy). A class whose provisioner is not allowed, or whose parameters name a
 * Secret, never reaches the host (a SyncError on the virtual class says why; a copy made before is
 * deleted); a tenant's default class stays the default only in the virtual cluster.
 */
export function storageClassesKind(options: StorageClassOptions, where: Placement): KindSpec {
  const place = (ctx: ReconcileContext) => ({ ...where, hostName: ctx.hostName });
  const allowed = options.allowedStorageProvisioners ?? [];

  function refuse(virtual: KubeObject): void {
    const problem = malformedStorageClass(virtual);
    if (problem) throw new TerminalError(`malformed storage class: ${problem}`);
    const refusal = refusalOf(virtual, allowed);
    if (refusal) throw new TerminalError(refusal);
  }

  const deleteCopy = (ctx: ReconcileContext, host: KubeObject) => deleteIncarnation(ctx.host, CLASSES, host);

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
      return createHostCopy(ctx, spec, hostStorageClassFor(virtual!, place(ctx)));
    },

    async update(ctx, source, host): Promise<SyncResult> {
      const virtual = source!;
      const desired = hostStorageClassFor(virtual, place(ctx));
      const refused =
        malformedStorageClass(virtual) !== undefined || refusalOf(virtual, allowed) !== undefined;
      if (refused || !immutableFieldsMatch(desired, host)) {
        // Refused since it was copied (the allowed provisioners changed), or a copy whose fixed
        // fields say something else (an admin re-created it): the copy goes. A refused class
        // stays off the host, and the tenant is told why; any other is copied afresh.
        await deleteCopy(ctx, host);
        refuse(virtual);
        const created = await createHostCopy(ctx, spec, desired);
        return { ...created, hostWritten: true };
      }
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
