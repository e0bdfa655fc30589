import type { Informer } from '../../informer/informer.ts';
import { LEADER_ELECTION_KEYS } from '../../naming/denied-metadata.ts';
import { WaitingError } from '../../controller/errors.ts';
import { deleteIncarnation } from '../../kube/delete-incarnation.ts';
import { objectKey, type KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { createHostCopy } from '../../sync/engine.ts';
import type { KindSpec, Placement, ReconcileContext, SyncResult } from '../../sync/kind.ts';
import { OBJECT_NAME_ANNOTATION } from '../../naming/labels.ts';
import { managedCopiesScope, namespacedToHost } from '../../sync/mappers.ts';
import { writePlannedMetadataUp } from '../../sync/metadata-writes.ts';
import {
  addressPolicyRelations,
  reportDropped,
  takesTenantEndpoints,
  tenantAddressPolicy,
  type EndpointAddressBounds,
  type AddressPolicy,
} from '../shared/address-policy.ts';
import { sameJson } from '../shared/host-metadata.ts';
import { hostServiceCopies, ownHostService } from '../shared/service-copies.ts';
import { hostEndpointsFor } from './translate.ts';
import { ipIndexKey } from '../../util/ip.ts';

const ENDPOINTS = Resources.endpoints;
/** The virtual API server's own endpoints: never copied (they stand for the host Service of the virtual API). */
const KUBERNETES = 'default/kubernetes';

/** Index of the virtual Endpoints by the addresses they list (ipIndexKey). */
const BY_ADDRESS = 'endpoints/address';

/** The addresses an Endpoints object lists, ready or not, as an index reads them: never throwing. */
function endpointsAddresses(endpoints: KubeObject): string[] {
  const subsets = Array.isArray(endpoints.subsets) ? (endpoints.subsets as unknown[]) : [];
  return subsets.flatMap((subset) => {
    if (!subset || typeof subset !== 'object') return [];
    const { addresses, notReadyAddresses } = subset as { addresses?: unknown; notReadyAddresses?: unknown };
    return [addresses, notReadyAddresses].flatMap((list) =>
      (Array.isArray(list) ? list : []).flatMap((a: unknown) => {
        const ip = a && typeof a === 'object' ? (a as { ip?: unknown }).ip : undefined;
        return typeof ip === 'string' ? [ipIndexKey(ip)] : [];
      }),
    );
  });
}

/**
 * Endpoints of Services without a selector, virtual → host: the tenant's own list of addresses for a
 * Service (an external database, say). Services with a selector get theirs from the host's own
 * controller. Addresses a tenant may not point a host Service at are dropped and reported.
 */
export function endpointsKind(where: Placement, addressBounds: EndpointAddressBounds): KindSpec {
  let virtualServices: Informer<KubeObject>;
  let hostServices: Informer<KubeObject>;
  let policy: AddressPolicy;
  // Set in setup; the relations may be wired (and asked) before.
  let virtualEndpoints: Informer<KubeObject> | undefined;
  const place = (ctx: ReconcileContext) => ({
    ...where,
    hostName: ctx.hostName,
    deniedHostMetadata: [...(where.deniedHostMetadata ?? []), ...LEADER_ELECTION_KEYS],
  });

  async function desired(ctx: ReconcileContext, virtual: KubeObject): Promise<KubeObject> {
    const { endpoints, dropped } = hostEndpointsFor(virtual, place(ctx), policy);
    await reportDropped(ctx, virtual, 'addresses', dropped);
    return endpoints;
  }

  const spec: KindSpec = {
    direction: 'to-host',
    virtualType: ENDPOINTS,
    hostType: ENDPOINTS,
    mapper: namespacedToHost(ENDPOINTS, where),
    copyNamesOtherCopies: true,
    // A Service gaining or losing its selector decides whether its Endpoints are the tenant's to sync.
    relations: [
      { name: 'services', cluster: 'virtual', type: Resources.services, keys: (svc) => [objectKey(svc)] },
      // The copy waits for its Service's host copy, and goes with it.
      hostServiceCopies(where, (service) => [service]),
      // Addresses are vetted against pod IPs, which pods take and give back.
      ...addressPolicyRelations(where, (ip) =>
        (virtualEndpoints?.store.byIndex(BY_ADDRESS, ip) ?? []).map(objectKey),
      ),
    ],

    setup(env) {
      virtualServices = env.informers.get(env.virtual, Resources.services);
      hostServices = env.informers.get(env.host, Resources.services, managedCopiesScope(where));
      // The virtual pods, and every pod of the host namespace (other tenants' IPs are what a tenant
      // must not target): informers shared with the endpointslices kind.
      policy = tenantAddressPolicy(env, addressBounds);
      const endpoints = env.informers.get(env.virtual, ENDPOINTS);
      endpoints.addIndexer(BY_ADDRESS, endpointsAddresses);
      virtualEndpoints = endpoints;
    },

    // Only for the Service's own host copy: host names are ambiguous, and Endpoints under the name of
    // another virtual cluster's Service would be mirrored into that Service's slices by the host.
    wanted(ctx, virtual) {
      if (!virtual || ctx.key === KUBERNETES) return false;
      if (!takesTenantEndpoints(virtualServices.store.get(ctx.key))) return false;
      return ownHostService(hostServices, where, ctx.virtualNamespace, ctx.virtualName) !== undefined;
    },

    /**
     * The host endpoints controller's Endpoints of the Service's host copy, left behind when the
     * Service lost its selector (the controller stops maintaining them but does not delete them):
     * they carry the Service's labels, so they are in the way of the tenant's own. They are the
     * Endpoints of our Service by name, once that Service is provably the tenant's and selector-less,
     * and are replaced; a synced copy of anything, or Endpoints of a Service not ours, never are.
     */
    async replaceInTheWay(ctx, inTheWay): Promise<boolean> {
      if (inTheWay.metadata?.annotations?.[OBJECT_NAME_ANNOTATION]) return false;
      const hostService = ownHostService(hostServices, where, ctx.virtualNamespace, ctx.virtualName);
      if (!hostService) return false;
      if (Object.keys((hostService.spec as { selector?: object } | undefined)?.selector ?? {}).length > 0)
        return false;
      // Deleted already and held by a finalizer: waited for with backoff, not deleted again each time.
      if (inTheWay.metadata?.deletionTimestamp)
        throw new WaitingError("the host controller's endpoints of the service are still being deleted");
      await deleteIncarnation(ctx.host, ENDPOINTS, inTheWay);
      ctx.log.info("replacing the host controller's endpoints of the service, which lost its selector");
      return true;
    },

    async create(ctx, virtual): Promise<SyncResult> {
      return createHostCopy(ctx, spec, await desired(ctx, virtual!));
    },

    async update(ctx, source, host): Promise<SyncResult> {
      const virtual = source!;
      const want = await desired(ctx, virtual);
      const plan = ctx.planMetadata(virtual, host, want);
      const result: SyncResult = {};
      if (plan.hostChanged || !sameJson(want.subsets, host.subsets)) {
        await ctx.host.update(ENDPOINTS, ctx.hostNamespace, {
          ...host,
          metadata: { ...host.metadata, ...plan.host },
          subsets: want.subsets,
        });
        result.hostWritten = true;
      }
      if (await writePlannedMetadataUp(ctx, ENDPOINTS, virtual, plan)) result.virtualWritten = true;
      return result;
    },
  };
  return spec;
}
