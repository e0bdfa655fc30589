import { TerminalError } from '../../controller/errors.ts';
import { deleteIncarnation } from '../../kube/delete-incarnation.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { createHostCopy } from '../../sync/engine.ts';
import type { KindSpec, Placement, ReconcileContext, SyncResult } from '../../sync/kind.ts';
import { clusterScopedToHost } from '../../sync/mappers.ts';
import { writePlannedMetadataUp } from '../../sync/metadata-writes.ts';
import { FROM_HOST_LABEL } from '../shared/from-host.ts';
import { malformedPriorityClass } from '../shared/shape.ts';
import { hostClassInSync, hostPriorityClassFor, isSystemPriorityClass, refusalOf } from './translate.ts';

const CLASSES = Resources.priorityClasses;

/** The priorityclasses kind's own settings. */
export interface PriorityClassOptions {
  priorityClassMaxValue: number;
}

/**
 * PriorityClasses created in the virtual cluster, copied to the host as cluster-scoped classes named
 * `vcluster-<name>-x-<hostNamespace>-x-<vc>`, so that a tenant's pods can be ranked among each other
 * on the host. A class above the configured maximum never reaches the host (a SyncError on the
 * virtual class says why; a copy made before the maximum was lowered is deleted), globalDefault is
 * never set there, and the virtual API server's own system classes are never copied.
 */
export function priorityClassesKind(options: PriorityClassOptions, where: Placement): KindSpec {
  const place = (ctx: ReconcileContext) => ({ ...where, hostName: ctx.hostName });
  const max = options.priorityClassMaxValue;

  function refuse(virtual: KubeObject): void {
    const problem = malformedPriorityClass(virtual);
    if (problem) throw new TerminalError(`malformed priority class: ${problem}`);
    const refusal = refusalOf(virtual, max);
    if (refusal) throw new TerminalError(refusal);
  }

  const spec: KindSpec = {
    direction: 'to-host',
    virtualType: CLASSES,
    hostType: CLASSES,
    mapper: clusterScopedToHost(CLASSES, where),

    // The virtual cluster's system classes, and the host's classes shown there (host-priorityclasses
    // in another syncer of the same virtual cluster), are not the tenant's.
    wanted: (ctx, virtual) =>
      virtual !== undefined &&
      !isSystemPriorityClass(ctx.key) &&
      virtual.metadata?.labels?.[FROM_HOST_LABEL] !== 'true',

    async create(ctx, virtual): Promise<SyncResult> {
      refuse(virtual!);
      return createHostCopy(ctx, spec, hostPriorityClassFor(virtual!, place(ctx)));
    },

    async update(ctx, source, host): Promise<SyncResult> {
      const virtual = source!;
      if (refusalOf(virtual, max) !== undefined) {
        // Made before the maximum was lowered: the copy goes, and the tenant is told why.
        await deleteIncarnation(ctx.host, CLASSES, host);
      }
      refuse(virtual);
      const result: SyncResult = {};
      const desired = hostPriorityClassFor(virtual, place(ctx));
      const plan = ctx.planMetadata(virtual, host, desired);
      if (plan.hostChanged || !hostClassInSync(desired, host)) {
        const updated: KubeObject = { ...host, metadata: { ...host.metadata, ...plan.host } };
        updated.description = desired.description;
        updated.globalDefault = false;
        await ctx.host.update(CLASSES, '', updated);
        result.hostWritten = true;
      }
      if (await writePlannedMetadataUp(ctx, CLASSES, virtual, plan)) result.virtualWritten = true;
      return result;
    },
  };
  return spec;
}
