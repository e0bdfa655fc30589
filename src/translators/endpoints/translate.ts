import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { hostName } from '../../naming/names.ts';
import type { Placement } from '../../sync/kind.ts';
import { hostMetadataFor } from '../shared/host-metadata.ts';

interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string; uid?: string };
}
interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: unknown[];
}

/** What the translation may ask about the clusters, to decide which addresses a tenant may use. */
export interface AddressPolicy {
  /** The host pod standing for a virtual pod, when that pod is this tenant's: its name and IPs. */
  tenantPod(namespace: string, name: string): { hostName: string; ips: string[] } | undefined;
  /** True when the IP belongs to a host pod that is not this virtual cluster's. */
  isForeignPodIP(ip: string): boolean;
}

/**
 * Addresses no tenant may send host traffic to: loopback, link-local (cloud metadata services live
 * at 169.254.169.254) and unspecified addresses.
 */
export function isForbiddenAddress(ip: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(ip);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 127 || a === 0 || (a === 169 && b === 254);
  }
  const v6 = ip.toLowerCase();
  return v6 === '::1' || v6 === '::' || v6.startsWith('fe80:');
}

/**
 * The host copy of a selector-less Service's Endpoints. Each address is kept only when it is safe
 * on a shared host namespace: an address naming a pod must be one of this tenant's pods with that IP
 * (its targetRef is pointed at the host pod); a bare IP must not be another tenant's pod in the host
 * namespace, nor loopback or link-local. Dropped addresses are returned so the tenant can be told.
 */
export function hostEndpointsFor(
  virtual: KubeObject,
  where: Placement & { hostName: string },
  policy: AddressPolicy,
): { endpoints: KubeObject; dropped: string[] } {
  const namespace = virtual.metadata?.namespace ?? '';
  const dropped: string[] = [];
  const keep = (address: EndpointAddress): EndpointAddress | undefined => {
    if (typeof address.ip !== 'string' || isForbiddenAddress(address.ip)) {
      dropped.push(`${address.ip}: a loopback or link-local address`);
      return undefined;
    }
    const ref = address.targetRef;
    if (ref?.kind === 'Pod') {
      const pod = ref.name ? policy.tenantPod(ref.namespace || namespace, ref.name) : undefined;
      if (!pod || !pod.ips.includes(address.ip)) {
        dropped.push(`${address.ip}: not the IP of pod ${ref.namespace || namespace}/${ref.name ?? ''}`);
        return undefined;
      }
      const { nodeName: _node, ...rest } = address;
      return { ...rest, targetRef: { kind: 'Pod', name: pod.hostName, namespace: where.hostNamespace } };
    }
    if (policy.isForeignPodIP(address.ip)) {
      dropped.push(`${address.ip}: the IP of a pod that is not this virtual cluster's`);
      return undefined;
    }
    const { targetRef: _ref, nodeName: _node, ...rest } = address;
    return rest;
  };
  const subsets = ((virtual.subsets ?? []) as EndpointSubset[]).map((s) => {
    const out: EndpointSubset = { ports: s.ports };
    const addresses = (s.addresses ?? []).flatMap((a) => keep(a) ?? []);
    const notReady = (s.notReadyAddresses ?? []).flatMap((a) => keep(a) ?? []);
    if (addresses.length) out.addresses = addresses;
    if (notReady.length) out.notReadyAddresses = notReady;
    return out;
  });
  return {
    endpoints: {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: hostMetadataFor(virtual, Resources.endpoints, where),
      subsets: subsets.filter((s) => s.addresses || s.notReadyAddresses),
    },
    dropped,
  };
}

/** The host name of a virtual pod (for targetRefs). */
export const hostPodName = (name: string, namespace: string, vcName: string) =>
  hostName(name, namespace, vcName);
