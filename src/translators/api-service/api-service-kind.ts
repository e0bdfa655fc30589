import { WaitingError } from '../../controller/errors.ts';
import { isApiError } from '../../kube/errors.ts';
import { objectKey, type KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import type { KindSpec, Mapper, Placement, ReconcileContext, SyncResult } from '../../sync/kind.ts';
import { sameJson } from '../shared/host-metadata.ts';
import { specOf } from '../services/translate.ts';

const SERVICES = Resources.services;
const ENDPOINTS = Resources.endpoints;
const ENDPOINT_SLICES = Resources.endpointSlices;
/**
 * Set on the Endpoints, as the API server sets it on its own: the slice is written here, and the
 * mirroring controller would otherwise add one of its own (`kubernetes-<random>`) beside it.
 */
const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** The virtual API server's own Service and Endpoints. */
export const KUBERNETES_NAMESPACE = 'default';
export const KUBERNETES_NAME = 'kubernetes';
const KUBERNETES_KEY = `${KUBERNETES_NAMESPACE}/${KUBERNETES_NAME}`;

interface EndpointSubset {
  addresses?: { ip: string; hostname?: string; nodeName?: string; targetRef?: unknown }[];
  notReadyAddresses?: { ip: string; hostname?: string; nodeName?: string; targetRef?: unknown }[];
  ports?: { name?: string; port: number; protocol?: string; appProtocol?: string }[];
}

/**
 * Host Service `<vc>` ↔ virtual `default/kubernetes`. The virtual object is the API server's own (not
 * a tenant's), so the name is the ownership proof here: nothing else can be `default/kubernetes`.
 */
function apiServiceMapper(apiKey: string): Mapper {
  return {
    targetKey: (hostKey) => (hostKey === apiKey ? KUBERNETES_KEY : undefined),
    sourceKeyOf: (virtual) => (objectKey(virtual) === KUBERNETES_KEY ? apiKey : undefined),
  };
}

/**
 * The virtual Endpoints `default/kubernetes`: the host API Service's endpoints (where the virtual API
 * server really listens), under the virtual Service's port name. Host pod references mean nothing in
 * the virtual cluster and are dropped.
 */
export function virtualApiEndpoints(
  hostEndpoints: KubeObject | undefined,
  portName: string,
  apiPort?: { name?: string; targetPort?: number | string },
): EndpointSubset[] {
  const subsets = (hostEndpoints?.subsets ?? []) as EndpointSubset[];
  const address = ({ ip, hostname }: { ip: string; hostname?: string }) =>
    hostname ? { ip, hostname } : { ip };
  // The host Service may expose more than the API (the chart's metrics port): only the port of its
  // first (the API's) port is the virtual Service's, as a real cluster's default/kubernetes has one.
  const isApiPort = (p: { name?: string; port: number }) =>
    (apiPort?.name !== undefined && p.name === apiPort.name) ||
    (typeof apiPort?.targetPort === 'number' && p.port === apiPort.targetPort);
  // Where the API's port can be told, a subset without it (addresses that serve only the other port,
  // as in a rollout) is no API endpoint; where it cannot, every subset is taken as it is.
  const known = subsets.some((s) => s.ports?.some(isApiPort));
  return subsets.flatMap((s) => {
    const api = known ? s.ports?.find(isApiPort) : undefined;
    if (known && !api) return [];
    const out: EndpointSubset = {};
    if (s.addresses?.length) out.addresses = s.addresses.map(address);
    if (s.notReadyAddresses?.length) out.notReadyAddresses = s.notReadyAddresses.map(address);
    const ports = api ? [api] : s.ports;
    // One port (the API's): named as the virtual Service names it, so clients matching by name find it.
    if (ports) out.ports = ports.map((p) => ({ ...p, name: ports.length === 1 ? portName : p.name }));
    return [out];
  });
}

interface EndpointSliceBody {
  addressType: 'IPv4' | 'IPv6';
  endpoints: { addresses: string[]; conditions: { ready: boolean } }[];
  ports: { name?: string; port: number; protocol?: string; appProtocol?: string }[];
}

/**
 * The virtual EndpointSlice `default/kubernetes`, as the API server writes its own: the Endpoints'
 * addresses of one family (the first address's; the API server's slice holds one family), ready or
 * not, with their ports.
 */
export function virtualApiEndpointSlice(subsets: EndpointSubset[]): EndpointSliceBody {
  const isV6 = (ip: string) => ip.includes(':');
  const first = subsets.flatMap((s) => [...(s.addresses ?? []), ...(s.notReadyAddresses ?? [])])[0];
  const addressType = first && isV6(first.ip) ? 'IPv6' : 'IPv4';
  const sameFamily = (a: { ip: string }) => isV6(a.ip) === (addressType === 'IPv6');
  const endpoints = subsets.flatMap((s) => [
    ...(s.addresses ?? [])
      .filter(sameFamily)
      .map((a) => ({ addresses: [a.ip], conditions: { ready: true } })),
    ...(s.notReadyAddresses ?? [])
      .filter(sameFamily)
      .map((a) => ({ addresses: [a.ip], conditions: { ready: false } })),
  ]);
  const ports = subsets[0]?.ports ?? [];
  return { addressType, endpoints, ports };
}

/**
 * The virtual API service: virtual `default/kubernetes` carries the cluster IP of the host Service that
 * fronts the virtual API server, and its Endpoints that Service's endpoints, so an in-cluster client
 * reaches the virtual API by `kubernetes.default.svc` or by the IP in KUBERNETES_SERVICE_HOST alike.
 * The virtual API server keeps the Service's ports (it reconciles them); the syncer only moves its IP,
 * which needs a re-create. Nothing here is ever deleted when the host Service goes.
 */
export function apiServiceKind(where: Placement): KindSpec {
  const apiKey = `${where.hostNamespace}/${where.virtualApiService}`;

  function hostClusterIP(host: KubeObject): string {
    const ip = specOf(host).clusterIP;
    if (!ip || ip === 'None')
      throw new WaitingError(
        `waiting for the virtual API service ${where.virtualApiService} to get a cluster IP`,
      );
    return ip;
  }

  /** The virtual Service as the API server would make it, with the host's cluster IP. */
  function virtualServiceWith(ip: string, host: KubeObject, current?: KubeObject): KubeObject {
    const hostPort = specOf(host).ports?.[0];
    const ports = specOf(current).ports ?? [
      {
        name: 'https',
        protocol: 'TCP',
        port: hostPort?.port ?? 443,
        targetPort: hostPort?.targetPort ?? 443,
      },
    ];
    const labels = current?.metadata?.labels ?? { component: 'apiserver', provider: 'kubernetes' };
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: KUBERNETES_NAME, namespace: KUBERNETES_NAMESPACE, labels },
      spec: { type: 'ClusterIP', sessionAffinity: 'None', ports, clusterIP: ip, clusterIPs: [ip] },
    };
  }

  async function createService(ctx: ReconcileContext, desired: KubeObject): Promise<void> {
    const ip = specOf(desired).clusterIP!;
    try {
      await ctx.virtual.create(SERVICES, KUBERNETES_NAMESPACE, desired);
    } catch (err) {
      const ipTaken = isApiError(err, 'invalid') && /already allocated/.test(err.message);
      if (!isApiError(err, 'alreadyExists') && !ipTaken) throw err;
      // Our cache can be behind our own move (it saw the delete, not yet the create): then the
      // Service is in place already, and this refusal is only about our own Service.
      const live = await ctx.virtual
        .get(SERVICES, KUBERNETES_NAMESPACE, KUBERNETES_NAME)
        .catch(() => undefined);
      if (live && specOf(live).clusterIP === ip) return;
      // The API server re-made its Service first (it does every few seconds); the next pass moves its IP.
      if (!ipTaken)
        throw new WaitingError(
          'the virtual API server re-created default/kubernetes first; moving its IP again',
        );
      // A tenant's Service holds the IP: default/kubernetes gets it once that Service is gone.
      throw new WaitingError(
        `waiting for cluster IP ${ip} (the virtual API service's) to be free: another virtual Service holds it`,
      );
    }
  }

  async function syncEndpoints(
    ctx: ReconcileContext,
    host: KubeObject,
    service: KubeObject | undefined,
  ): Promise<boolean> {
    const hostEndpoints = ctx.related('host-endpoints')[0];
    const current = ctx.related('virtual-endpoints')[0];
    const portName = specOf(service).ports?.[0]?.name ?? 'https';
    const subsets = virtualApiEndpoints(hostEndpoints, portName, specOf(host).ports?.[0]);
    // The slice first: once the Endpoints say skip-mirror, the mirroring controller removes its own.
    const sliceWritten = await syncEndpointSlice(ctx, subsets);
    if (!current) {
      if (!subsets.length) return sliceWritten;
      await ctx.virtual.create(ENDPOINTS, KUBERNETES_NAMESPACE, {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: {
          name: KUBERNETES_NAME,
          namespace: KUBERNETES_NAMESPACE,
          labels: { [SKIP_MIRROR_LABEL]: 'true' },
        },
        subsets,
      });
      return true;
    }
    const skipsMirror = current.metadata?.labels?.[SKIP_MIRROR_LABEL] === 'true';
    if (sameJson(subsets, current.subsets ?? []) && skipsMirror) return sliceWritten;
    await ctx.virtual.update(ENDPOINTS, KUBERNETES_NAMESPACE, {
      ...current,
      metadata: {
        ...current.metadata,
        labels: { ...current.metadata?.labels, [SKIP_MIRROR_LABEL]: 'true' },
      },
      subsets,
    });
    return true;
  }

  /** The virtual EndpointSlice `default/kubernetes`, from the same subsets as the Endpoints. */
  async function syncEndpointSlice(ctx: ReconcileContext, subsets: EndpointSubset[]): Promise<boolean> {
    const current = ctx.related('virtual-endpointslices')[0];
    const body = virtualApiEndpointSlice(subsets);
    if (!current) {
      if (!body.endpoints.length) return false;
      await ctx.virtual.create(ENDPOINT_SLICES, KUBERNETES_NAMESPACE, {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: KUBERNETES_NAME,
          namespace: KUBERNETES_NAMESPACE,
          labels: { [SERVICE_NAME_LABEL]: KUBERNETES_NAME },
        },
        ...body,
      });
      return true;
    }
    const labelled = current.metadata?.labels?.[SERVICE_NAME_LABEL] === KUBERNETES_NAME;
    const same =
      current.addressType === body.addressType &&
      sameJson(current.endpoints ?? [], body.endpoints) &&
      sameJson(current.ports ?? [], body.ports);
    if (labelled && same) return false;
    // A slice's address type cannot change in place.
    if (current.addressType !== body.addressType) {
      await ctx.virtual.delete(ENDPOINT_SLICES, KUBERNETES_NAMESPACE, KUBERNETES_NAME, {
        uid: current.metadata?.uid,
      });
      return true;
    }
    await ctx.virtual.update(ENDPOINT_SLICES, KUBERNETES_NAMESPACE, {
      ...current,
      metadata: {
        ...current.metadata,
        labels: { ...current.metadata?.labels, [SERVICE_NAME_LABEL]: KUBERNETES_NAME },
      },
      ...body,
    });
    return true;
  }

  async function sync(ctx: ReconcileContext, host: KubeObject, virtual?: KubeObject): Promise<SyncResult> {
    const ip = hostClusterIP(host);
    let virtualWritten = false;
    if (!virtual) {
      await createService(ctx, virtualServiceWith(ip, host));
      virtualWritten = true;
    } else if (specOf(virtual).clusterIP !== ip) {
      // A cluster IP cannot change in place. The delete and create run back to back, and if the create
      // loses a race the API server puts its own Service back: in-cluster clients are never left without one.
      try {
        await ctx.virtual.delete(SERVICES, KUBERNETES_NAMESPACE, KUBERNETES_NAME, {
          uid: virtual.metadata?.uid,
        });
      } catch (err) {
        // Our cache is behind (we replaced it already, or the API server did): look again soon.
        if (isApiError(err, 'notFound') || isApiError(err, 'conflict')) return { requeueAfterMs: 200 };
        throw err;
      }
      await createService(ctx, virtualServiceWith(ip, host, virtual));
      ctx.log.info('moved default/kubernetes to the cluster IP of the host API service', { clusterIP: ip });
      virtualWritten = true;
    }
    if (await syncEndpoints(ctx, host, virtual)) virtualWritten = true;
    return { virtualWritten };
  }

  return {
    direction: 'from-host',
    virtualType: SERVICES,
    hostType: SERVICES,
    // Every Service of the host namespace (the API Service carries no managed-by label); the informer
    // is the one the pods kind reads the same Service from.
    hostWatch: 'all',
    mapper: apiServiceMapper(apiKey),
    relations: [
      {
        name: 'host-endpoints',
        cluster: 'host',
        type: ENDPOINTS,
        scope: { namespace: where.hostNamespace, fieldSelector: `metadata.name=${where.virtualApiService}` },
        keys: (e) => (objectKey(e) === apiKey ? [apiKey] : []),
      },
      {
        name: 'virtual-endpoints',
        cluster: 'virtual',
        type: ENDPOINTS,
        keys: (e) => (objectKey(e) === KUBERNETES_KEY ? [apiKey] : []),
      },
      {
        name: 'virtual-endpointslices',
        cluster: 'virtual',
        type: ENDPOINT_SLICES,
        scope: { namespace: KUBERNETES_NAMESPACE, fieldSelector: `metadata.name=${KUBERNETES_NAME}` },
        keys: (s) => (objectKey(s) === KUBERNETES_KEY ? [apiKey] : []),
      },
    ],
    wanted: (ctx, host) => ctx.key === apiKey && host !== undefined,
    create: (ctx, host) => sync(ctx, host!),
    update: (ctx, host, virtual) => sync(ctx, host!, virtual),
    // The API server's own Service stays when the host Service goes (a re-install brings it back).
    remove: async () => ({}),
  };
}
