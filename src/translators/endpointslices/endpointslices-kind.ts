import { TerminalError } from '../../controller/errors.ts';
import { LEADER_ELECTION_KEYS } from '../../naming/denied-metadata.ts';
import type { Informer } from '../../informer/informer.ts';
import { objectKey, type KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { MANAGED_BY_LABEL } from '../../naming/labels.ts';
import { createHostCopy } from '../../sync/engine.ts';
import type { KindSpec, Placement, ReconcileContext, SyncResult } from '../../sync/kind.ts';
import { namespacedToHost } from '../../sync/mappers.ts';
import type { MetadataPlan } from '../../sync/metadata-sync.ts';
import { writePlannedMetadataUp } from '../../sync/metadata-writes.ts';
import {
  addressPolicyRelations,
  takesTenantEndpoints,
  tenantAddressPolicy,
  type EndpointAddressBounds,
  type AddressPolicy,
  type TargetRef,
  reportDropped,
} from '../shared/address-policy.ts';
import { sameJson } from '../shared/host-metadata.ts';
import { ipIndexKey } from '../../util/ip.ts';
import { hostServiceCopies, ownHostService } from '../shared/service-copies.ts';
import { malformedEndpointSlice } from '../shared/shape.ts';
import {
  hostEndpointSliceFor,
  hostSliceInSync,
  managedByVirtualController,
  pinnedSliceLabels,
  serviceNameOf,
} from './translate.ts';

const SLICES = Resources.endpointSlices;
/** The virtual API server's own Service: its slices stand for the host Service of the virtual API. */
const KUBERNETES = 'default/kubernetes';
/** Indexes of the virtual slices: by `namespace/service`, by the `namespace/pod` they target, by address. */
const BY_SERVICE = 'endpointslices/service';
const BY_POD = 'endpointslices/pod';
const BY_ADDRESS = 'endpointslices/address';

/** A slice of the wrong shape is refused with the field named, before its endpoints are read. */
function refuseMalformed(virtual: KubeObject): void {
  const problem = malformedEndpointSlice(virtual);
  if (problem) throw new TerminalError(`malformed EndpointSlice: ${problem}`);
}

/** The endpoints of a slice as an index reads them: never throwing, whatever the object holds. */
function endpointsOf(slice: KubeObject): { addresses: unknown[]; targetRef?: TargetRef }[] {
  const endpoints = Array.isArray(slice.endpoints) ? (slice.endpoints as unknown[]) : [];
  return endpoints.flatMap((e) => {
    if (!e || typeof e !== 'object') return [];
    const { addresses, targetRef } = e as { addresses?: unknown; targetRef?: unknown };
    return [
      {
        addresses: Array.isArray(addresses) ? addresses : [],
        ...(targetRef && typeof targetRef === 'object' ? { targetRef: targetRef as TargetRef } : {}),
      },
    ];
  });
}

const sliceServiceKeys = (slice: KubeObject): string[] => {
  const service = serviceNameOf(slice);
  return service && slice.metadata?.namespace ? [`${slice.metadata.namespace}/${service}`] : [];
};
const slicePodKeys = (slice: KubeObject): string[] =>
  endpointsOf(slice).flatMap(({ targetRef: ref }) =>
    ref?.kind === 'Pod' && typeof ref.name === 'string'
      ? [
          `${typeof ref.namespace === 'string' && ref.namespace ? ref.namespace : slice.metadata?.namespace}/${ref.name}`,
        ]
      : [],
  );
/** A slice's addresses by value (ipKey), as a pod's IPs are looked up in it however either is written. */
const sliceAddresses = (slice: KubeObject): string[] =>
  endpointsOf(slice).flatMap((e) =>
    e.addresses.filter((a): a is string => typeof a === 'string').map(ipIndexKey),
  );

/**
 * The host copy's labels that are the syncer's alone (pinnedSliceLabels) always take the syncer's
 * value: a host edit of them is reverted, and never flows up to the tenant's slice (it would show a
 * host name, and re-point the tenant's slice). The rest of the plan is the engine's three-way merge.
 * The plan is changed in place: it is what the engine remembers as the last sync.
 */
function pinLabels(
  plan: MetadataPlan,
  virtual: KubeObject,
  host: KubeObject,
  pinned: Record<string, string>,
): void {
  Object.assign(plan.host.labels, pinned);
  plan.hostChanged =
    !sameJson(plan.host.labels, host.metadata?.labels ?? {}) ||
    !sameJson(plan.host.annotations, host.metadata?.annotations ?? {});
  if (!plan.virtual) return;
  const current = virtual.metadata?.labels ?? {};
  for (const key of Object.keys(pinned)) {
    if (Object.hasOwn(current, key)) plan.virtual.labels[key] = current[key]!;
    else delete plan.virtual.labels[key];
  }
  plan.virtualChanged =
    !sameJson(plan.virtual.labels, current) ||
    !sameJson(plan.virtual.annotations, virtual.metadata?.annotations ?? {});
  if (!plan.virtualChanged) delete plan.virtual;
}

/**
 * EndpointSlices a tenant writes for its Services without a selector, virtual → host: the modern
 * form of the tenant's own list of addresses (the endpoints kind copies the Endpoints form). Slices
 * made by the virtual cluster's controllers are not copied, nor those of Services with a selector.
 * A copy is labelled with the host copy of its Service, and only while that host Service is provably
 * the copy of the tenant's Service (host names are ambiguous: a slice must never join another
 * tenant's Service). Endpoints a tenant may not point a host Service at are dropped and reported.
 */
export function endpointSlicesKind(where: Placement, addressBounds: EndpointAddressBounds): KindSpec {
  let virtualServices: Informer<KubeObject>;
  let hostServices: Informer<KubeObject>;
  let virtualSlices: Informer<KubeObject> | undefined;
  let policy: AddressPolicy;
  const place = (ctx: ReconcileContext) => ({
    ...where,
    hostName: ctx.hostName,
    deniedHostMetadata: [...(where.deniedHostMetadata ?? []), ...LEADER_ELECTION_KEYS],
  });
  // The relations below are wired (and may be asked) before setup has made the indexes.
  const slicesBy = (index: string, value: string): string[] =>
    virtualSlices ? virtualSlices.store.byIndex(index, value).map(objectKey) : [];

  async function desired(ctx: ReconcileContext, virtual: KubeObject): Promise<KubeObject> {
    refuseMalformed(virtual);
    const { slice, dropped } = hostEndpointSliceFor(virtual, place(ctx), policy);
    await reportDropped(ctx, virtual, 'endpoints', dropped);
    return slice;
  }

  const spec: KindSpec = {
    direction: 'to-host',
    virtualType: SLICES,
    hostType: SLICES,
    mapper: namespacedToHost(SLICES, where),
    copyNamesOtherCopies: true,
    relations: [
      // A Service gaining or losing its selector decides whether its slices are the tenant's to sync.
      {
        name: 'services',
        cluster: 'virtual',
        type: Resources.services,
        keys: (svc) => slicesBy(BY_SERVICE, objectKey(svc)),
      },
      // A copy waits for its Service's host copy, and goes with it.
      hostServiceCopies(where, (service) => slicesBy(BY_SERVICE, service)),
      // Endpoints are vetted against pod IPs: a tenant pod getting its IP, or a pod of another
      // tenant taking an IP a slice lists, changes which endpoints may be copied.
      {
        name: 'pods',
        cluster: 'virtual',
        type: Resources.pods,
        keys: (pod) => slicesBy(BY_POD, objectKey(pod)),
      },
      ...addressPolicyRelations(where, (ip) => slicesBy(BY_ADDRESS, ip)),
    ],

    setup(env) {
      virtualServices = env.informers.get(env.virtual, Resources.services);
      hostServices = env.informers.get(env.host, Resources.services, {
        namespace: env.hostNamespace,
        labelSelector: `${MANAGED_BY_LABEL}=${env.vcName}`,
      });
      // The virtual pods, and every pod of the host namespace (other tenants' IPs are what a tenant
      // must not target): informers shared with the endpoints kind.
      policy = tenantAddressPolicy(env, addressBounds);
      const slices = env.informers.get(env.virtual, SLICES);
      slices.addIndexer(BY_SERVICE, sliceServiceKeys);
      slices.addIndexer(BY_POD, slicePodKeys);
      slices.addIndexer(BY_ADDRESS, sliceAddresses);
      virtualSlices = slices;
    },

    wanted(ctx, virtual) {
      if (!virtual || managedByVirtualController(virtual)) return false;
      const service = serviceNameOf(virtual);
      if (!service) return false;
      const serviceKey = `${ctx.virtualNamespace}/${service}`;
      if (serviceKey === KUBERNETES) return false;
      return (
        takesTenantEndpoints(virtualServices.store.get(serviceKey)) &&
        ownHostService(hostServices, where, ctx.virtualNamespace, service) !== undefined
      );
    },

    async create(ctx, virtual): Promise<SyncResult> {
      return createHostCopy(ctx, spec, await desired(ctx, virtual!));
    },

    async update(ctx, source, host): Promise<SyncResult> {
      const virtual = source!;
      const want = await desired(ctx, virtual);
      const plan = ctx.planMetadata(virtual, host, want);
      pinLabels(plan, virtual, host, pinnedSliceLabels(virtual, where.vcName));
      const result: SyncResult = {};
      if (plan.hostChanged || !hostSliceInSync(want, host)) {
        await ctx.host.update(SLICES, ctx.hostNamespace, {
          ...host,
          metadata: { ...host.metadata, ...plan.host },
          endpoints: want.endpoints,
          ports: want.ports,
        });
        result.hostWritten = true;
      }
      if (await writePlannedMetadataUp(ctx, SLICES, virtual, plan)) result.virtualWritten = true;
      return result;
    },
  };
  return spec;
}
