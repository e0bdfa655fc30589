import { TerminalError } from '../../controller/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { explainAlreadyExists } from '../../sync/engine.ts';
import type { KindSpec, Placement, ReconcileContext, SyncResult } from '../../sync/kind.ts';
import { namespacedToHost } from '../../sync/mappers.ts';
import { writeVirtualMetadata } from '../../sync/metadata-writes.ts';
import { malformedNetworkPolicy } from '../shared/shape.ts';
import { hostNetworkPolicyFor, hostSpecInSync } from './translate.ts';

const POLICIES = Resources.networkPolicies;

/** A policy of the wrong shape is refused with the field named, before its selectors are translated. */
function refuseMalformed(virtual: KubeObject): void {
  const problem = malformedNetworkPolicy(virtual);
  if (problem) throw new TerminalError(`malformed network policy: ${problem}`);
}

/**
 * NetworkPolicies, virtual → host. The spec flows down only (a host edit is reverted, since a
 * loosened selector there would reach other tenants' pods); labels and annotations merge both ways;
 * the host copy goes with the virtual object (the engine's default removal, UID precondition).
 */
export function networkPoliciesKind(where: Placement): KindSpec {
  const place = (ctx: ReconcileContext) => ({ ...where, hostName: ctx.hostName });

  const spec: KindSpec = {
    direction: 'to-host',
    virtualType: POLICIES,
    hostType: POLICIES,
    mapper: namespacedToHost(POLICIES, where),

    async create(ctx, virtual): Promise<SyncResult> {
      refuseMalformed(virtual!);
      try {
        await ctx.host.create(POLICIES, ctx.hostNamespace, hostNetworkPolicyFor(virtual!, place(ctx)));
      } catch (err) {
        await explainAlreadyExists(ctx, spec, err);
      }
      ctx.log.debug('created host copy');
      return { hostWritten: true };
    },

    async update(ctx, source, host): Promise<SyncResult> {
      const virtual = source!;
      refuseMalformed(virtual);
      const result: SyncResult = {};
      const desired = hostNetworkPolicyFor(virtual, place(ctx));
      const plan = ctx.planMetadata(virtual, host, desired);
      if (plan.hostChanged || !hostSpecInSync(desired, host)) {
        await ctx.host.update(POLICIES, ctx.hostNamespace, {
          ...host,
          metadata: { ...host.metadata, ...plan.host },
          spec: desired.spec,
        });
        result.hostWritten = true;
      }
      if (plan.virtualChanged && plan.virtual) {
        await writeVirtualMetadata(ctx, POLICIES, virtual, plan.virtual);
        result.virtualWritten = true;
      }
      return result;
    },
  };
  return spec;
}
