import { TerminalError } from '../../controller/errors.ts';
import { isApiError } from '../../kube/errors.ts';
import { objectKey, splitKey, type KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import type { KindSpec, ReconcileContext, SyncResult } from '../../sync/kind.ts';
import { mappedReplicas } from '../mapped-host-data/kind.ts';
import { sameJson } from '../shared/host-metadata.ts';
import { virtualCopyDifferences, writeVirtualCopy } from '../shared/from-host.ts';
import { ensureVirtualNamespace } from '../shared/virtual-namespace.ts';
import type { HostGatewaysConfig } from './config.ts';
import { HOST_GATEWAYS_KIND, isImported, mirroredGateway, mirroredStatus } from './mirror.ts';

const type = Resources.gateways;

/**
 * Gateways of the host shown in the virtual cluster where the admin's mappings say (vCluster's
 * `sync.fromHost.gateways`), so that tenants' routes may attach to a shared Gateway (the route kinds
 * rename such a parent to the host Gateway itself; see imported-parents.ts). The copy follows the
 * host Gateway: spec as mirroredSpec shows it, status (addresses only when exposed), labels and
 * annotations; a tenant's edit is reverted and a deleted copy is made again; it goes when the host
 * Gateway goes, stops being selected, or loses its mapping. Only the host namespaces and Gateways the
 * mappings name are read, and never written. A tenant's own Gateway of the copy's name is never
 * touched: the copy waits, with the reason given.
 */
export function hostGatewaysKind(config: HostGatewaysConfig): KindSpec {
  const replicas = mappedReplicas(type, HOST_GATEWAYS_KIND, config.mappings);

  async function write(ctx: ReconcileContext, host: KubeObject, current?: KubeObject): Promise<SyncResult> {
    const result = await writeVirtualCopy(
      ctx,
      type,
      ctx.virtualNamespace,
      mirroredGateway(config, host, ctx.virtualKey),
      current,
    );
    // The copy as it is now, for its generation (writeVirtualCopy returns what it did, not the object).
    let latest = current;
    if (result.virtualWritten)
      try {
        latest = await ctx.virtual.get(type, ctx.virtualNamespace, splitKey(ctx.virtualKey).name);
      } catch (err) {
        // Deleted to be made again (a field the API server would not change in place): its delete brings the key back.
        if (isApiError(err, 'notFound')) return result;
        throw err;
      }
    if (!latest) return result;
    const status = mirroredStatus(config, host, latest.metadata?.generation);
    if (!sameJson(status, latest.status ?? {})) {
      await ctx.virtual.update(type, ctx.virtualNamespace, { ...latest, status }, { subresource: 'status' });
      return { ...result, virtualWritten: true };
    }
    return result;
  }

  return {
    // Tenants' Gateways are the gateways kind's: these copies are a kind of their own. A syncer's copy
    // of a tenant's Gateway (a host namespace of virtual clusters mapped whole) is never shown.
    ...replicas,
    wanted: (ctx, host) => replicas.wanted(ctx, host) && isImported(config, host),

    async create(ctx, host): Promise<SyncResult> {
      const madeNamespace = await ensureVirtualNamespace(ctx, ctx.virtualNamespace);
      try {
        const result = await write(ctx, host!);
        ctx.log.info(
          `imported host Gateway ${objectKey(host!)} as ${ctx.virtualKey}${madeNamespace ? ' (namespace made)' : ''}`,
        );
        return result;
      } catch (err) {
        if (!isApiError(err, 'alreadyExists')) throw err;
        throw new TerminalError(
          `virtual Gateway ${ctx.virtualKey} exists and is not the copy of host Gateway ${ctx.key}: delete it, or map the host Gateway to another name`,
        );
      }
    },

    update: async (ctx, host, current) => write(ctx, host!, current),

    diff: (ctx, host, current) => {
      const differences = virtualCopyDifferences(mirroredGateway(config, host, ctx.virtualKey), current);
      if (!sameJson(mirroredStatus(config, host, current.metadata?.generation), current.status ?? {}))
        differences.push('virtual status differs');
      return differences;
    },
  };
}
