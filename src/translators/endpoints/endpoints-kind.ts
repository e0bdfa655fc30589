import type { Informer } from '../../informer/informer.ts';
import { objectKey, type KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { MANAGED_BY_LABEL } from '../../naming/labels.ts';
import { createHostCopy } from '../../sync/engine.ts';
import type { KindSpec, Placement, ReconcileContext, SyncResult } from '../../sync/kind.ts';
import { namespacedToHost } from '../../sync/mappers.ts';
import { writePlannedMetadataUp } from '../../sync/metadata-writes.ts';
import { sameJson } from '../shared/host-metadata.ts';
import { hostEndpointsFor, hostPodName, type AddressPolicy } from './translate.ts';

const ENDPOINTS = Resources.endpoints;
const POD_IP_INDEX = 'endpoints/pod-ip';
/** The virtual API server's own endpoints: never copied (they stand for the host Service of the virtual API). */
const KUBERNETES = 'default/kubernetes';

interface PodStatusLite {
  podIP?: string;
  podIPs?: { ip?: string }[];
}
const podIPs = (pod: KubeObject): string[] => {
  const status = (pod.status ?? {}) as PodStatusLite;
  return [
    ...new Set([status.podIP, ...(status.podIPs ?? []).map((p) => p.ip)].filter((ip): ip is string => !!ip)),
  ];
};

/**
 * Endpoints of Services without a selector, virtual → host: the tenant's own list of addresses for a
 * Service (an external database, say). Services with a selector get theirs from the host's own
 * controller. Addresses a tenant may not point a host Service at are dropped and reported.
 */
export function endpointsKind(where: Placement): KindSpec {
  let virtualServices: Informer<KubeObject>;
  let virtualPods: Informer<KubeObject>;
  let hostPods: Informer<KubeObject>;
  const place = (ctx: ReconcileContext) => ({ ...where, hostName: ctx.hostName });

  const policy: AddressPolicy = {
    tenantPod(namespace, name) {
      const pod = virtualPods.store.get(`${namespace}/${name}`);
      return pod ? { hostName: hostPodName(name, namespace, where.vcName), ips: podIPs(pod) } : undefined;
    },
    isForeignPodIP: (ip) =>
      hostPods.store
        .byIndex(POD_IP_INDEX, ip)
        .some((p) => p.metadata?.labels?.[MANAGED_BY_LABEL] !== where.vcName),
  };

  async function desired(ctx: ReconcileContext, virtual: KubeObject): Promise<KubeObject> {
    const { endpoints, dropped } = hostEndpointsFor(virtual, place(ctx), policy);
    if (dropped.length)
      await ctx.events.record(
        virtual,
        'Warning',
        'SyncError',
        `addresses not synced to the host: ${dropped.join('; ')}`,
      );
    return endpoints;
  }

  const spec: KindSpec = {
    direction: 'to-host',
    virtualType: ENDPOINTS,
    hostType: ENDPOINTS,
    mapper: namespacedToHost(ENDPOINTS, where),
    // A Service gaining or losing its selector decides whether its Endpoints are the tenant's to sync.
    relations: [
      { name: 'services', cluster: 'virtual', type: Resources.services, keys: (svc) => [objectKey(svc)] },
    ],

    setup(env) {
      virtualServices = env.informers.get(env.virtual, Resources.services);
      virtualPods = env.informers.get(env.virtual, Resources.pods);
      // Every pod of the host namespace, other tenants' too: their IPs are what a tenant must not target.
      hostPods = env.informers.get(env.host, Resources.pods, { namespace: env.hostNamespace });
      hostPods.addIndexer(POD_IP_INDEX, podIPs);
    },

    wanted(ctx, virtual) {
      if (!virtual || ctx.key === KUBERNETES) return false;
      const service = virtualServices.store.get(ctx.key);
      const spec = (service?.spec ?? {}) as { selector?: Record<string, string>; type?: string };
      return !!service && spec.type !== 'ExternalName' && Object.keys(spec.selector ?? {}).length === 0;
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
