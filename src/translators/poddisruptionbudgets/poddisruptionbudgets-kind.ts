import { TerminalError } from '../../controller/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { createHostCopy } from '../../sync/engine.ts';
import type { KindSpec, Placement, ReconcileContext, SyncResult } from '../../sync/kind.ts';
import { namespacedToHost } from '../../sync/mappers.ts';
import { writePlannedMetadataUp } from '../../sync/metadata-writes.ts';
import { malformedPodDisruptionBudget } from '../shared/shape.ts';
import { hostPodDisruptionBudgetFor, hostSpecInSync } from './translate.ts';

const PDBS = Resources.podDisruptionBudgets;

/** A budget of the wrong shape is refused with the field named, before its selector is translated. */
function refuseMalformed(virtual: KubeObject): void {
  const problem = malformedPodDisruptionBudget(virtual);
  if (problem) throw new TerminalError(`malformed pod disruption budget: ${problem}`);
}

/**
 * PodDisruptionBudgets, virtual → host, so that host evictions (a host node drain, the host's
 * autoscaler) respect the tenant's budgets. The spec flows down only (a host edit is reverted: a
 * widened selector there would hold other tenants' pods); labels and annotations merge both ways;
 * the host copy goes with the virtual object.
 *
 * Status is not copied up: the virtual cluster's own disruption controller computes the virtual
 * budget's status from the virtual pods, whose status is the host's. Writing the host's status over
 * it (another generation, other condition times) would make two writers rewrite it in turn.
 */
export function podDisruptionBudgetsKind(where: Placement): KindSpec {
  const place = (ctx: ReconcileContext) => ({ ...where, hostName: ctx.hostName });

  const spec: KindSpec = {
    direction: 'to-host',
    virtualType: PDBS,
    hostType: PDBS,
    mapper: namespacedToHost(PDBS, where),

    async create(ctx, virtual): Promise<SyncResult> {
      refuseMalformed(virtual!);
      return createHostCopy(ctx, spec, hostPodDisruptionBudgetFor(virtual!, place(ctx)));
    },

    async update(ctx, source, host): Promise<SyncResult> {
      const virtual = source!;
      refuseMalformed(virtual);
      const result: SyncResult = {};
      const desired = hostPodDisruptionBudgetFor(virtual, place(ctx));
      const plan = ctx.planMetadata(virtual, host, desired);
      if (plan.hostChanged || !hostSpecInSync(desired, host)) {
        await ctx.host.update(PDBS, ctx.hostNamespace, {
          ...host,
          metadata: { ...host.metadata, ...plan.host },
          spec: desired.spec,
        });
        result.hostWritten = true;
      }
      if (await writePlannedMetadataUp(ctx, PDBS, virtual, plan)) result.virtualWritten = true;
      return result;
    },
  };
  return spec;
}
