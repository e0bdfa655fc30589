import { TerminalError } from '../../controller/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { createHostCopy } from '../../sync/engine.ts';
import type { KindSpec, Placement, ReconcileContext, SyncResult } from '../../sync/kind.ts';
import { namespacedToHost } from '../../sync/mappers.ts';
import { writePlannedMetadataUp } from '../../sync/metadata-writes.ts';
import { malformedNetworkPolicy } from '../shared/shape.ts';
import {
  hostNetworkPolicyFor,
  hostSpecInSync,
  specOf,
  unreadableIpBlock,
  type EgressBounds,
} from './translate.ts';

const POLICIES = Resources.networkPolicies;

/**
 * A policy of the wrong shape, or with an address block that cannot be read, is refused with the
 * field named, before its selectors are translated and its blocks confined.
 */
function refuseMalformed(virtual: KubeObject): void {
  const problem = malformedNetworkPolicy(virtual) ?? unreadableIpBlock(specOf(virtual));
  if (problem) throw new TerminalError(`malformed network policy: ${problem}`);
}

/**
 * NetworkPolicies, virtual → host. The spec flows down only (a host edit is reverted, since a
 * loosened selector there would reach other tenants' pods); labels and annotations merge both ways;
 * the host copy goes with the virtual object (the engine's default removal, UID precondition).
 */
export function networkPoliciesKind(where: Placement, egress: EgressBounds | undefined): KindSpec {
  const place = (ctx: ReconcileContext) => ({ ...where, hostName: ctx.hostName, egress });

  const spec: KindSpec = {
    direction: 'to-host',
    virtualType: POLICIES,
    hostType: POLICIES,
    mapper: namespacedToHost(POLICIES, where),

    async create(ctx, virtual): Promise<SyncResult> {
      refuseMalformed(virtual!);
      return createHostCopy(ctx, spec, hostNetworkPolicyFor(virtual!, place(ctx)));
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
      if (await writePlannedMetadataUp(ctx, POLICIES, virtual, plan)) result.virtualWritten = true;
      return result;
    },
  };
  return spec;
}
