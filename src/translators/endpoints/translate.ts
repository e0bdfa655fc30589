import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import type { Placement } from '../../sync/kind.ts';
import { vetEndpoint, type AddressPolicy, type TargetRef } from '../shared/address-policy.ts';
import { hostMetadataFor } from '../shared/host-metadata.ts';

interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: TargetRef;
}
interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: unknown[];
}

/**
 * The host copy of a selector-less Service's Endpoints. Each address is kept only when it is safe
 * on a shared host namespace (the rules of shared/address-policy.ts): an address naming a pod must be
 * one of this tenant's pods with that IP (its targetRef is pointed at the host pod); no address may be
 * another tenant's pod in the host namespace, nor loopback, link-local or unspecified. Dropped
 * addresses are returned so the tenant can be told.
 */
export function hostEndpointsFor(
  virtual: KubeObject,
  where: Placement & { hostName: string },
  policy: AddressPolicy,
): { endpoints: KubeObject; dropped: string[] } {
  const namespace = virtual.metadata?.namespace ?? '';
  const dropped: string[] = [];
  const keep = (address: EndpointAddress): EndpointAddress | undefined => {
    const verdict = vetEndpoint([address.ip], address.targetRef, {
      namespace,
      hostNamespace: where.hostNamespace,
      policy,
      ips: true,
    });
    if (!verdict.ok) {
      dropped.push(verdict.problem);
      return undefined;
    }
    const { targetRef: _ref, nodeName: _node, ...rest } = address;
    return verdict.targetRef ? { ...rest, targetRef: verdict.targetRef } : rest;
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
