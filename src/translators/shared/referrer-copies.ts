import { Resources, type ResourceType } from '../../kube/resources.ts';
import { gatewayApiReferences } from '../gateway-api/references.ts';
import { ingressReferences } from '../ingresses/translate.ts';
import type { HostCopyReferrer } from './host-copies-naming.ts';

/** A Gateway API kind whose copies name core objects of `kind` (Services, Secrets, ConfigMaps). */
const gatewayApiCopies = (type: ResourceType, kind: string): HostCopyReferrer => ({
  kind: type.resource,
  type,
  // Backends, mirrors, mesh parents, a policy's targets, certificates and CA bundles alike.
  names: (copy) =>
    gatewayApiReferences(copy)
      .filter((ref) => ref.group === '' && ref.kind === kind)
      .map((ref) => ref.name),
});

/** The Ingress kind's copies, as naming objects of `kind` (Services; Secrets: TLS, controller annotations). */
const ingressCopies = (kind: string): HostCopyReferrer => ({
  kind: 'ingresses',
  type: Resources.ingresses,
  // A copy's issuer annotation names the host's Issuer copy: read, not refused as a host one.
  names: (copy, where) =>
    ingressReferences(copy, { vcName: where.vcName, hostNamespace: where.hostNamespace, issuerJudged: true })
      .filter((ref) => ref.kind === kind)
      .map((ref) => ref.name),
});

/** The kinds whose host copies send traffic to Services by their host names. */
export const SERVICE_REFERRERS: readonly HostCopyReferrer[] = [
  ingressCopies('Service'),
  gatewayApiCopies(Resources.httpRoutes, 'Service'),
  gatewayApiCopies(Resources.grpcRoutes, 'Service'),
  gatewayApiCopies(Resources.tlsRoutes, 'Service'),
  gatewayApiCopies(Resources.backendTLSPolicies, 'Service'),
];

/** The kinds whose host copies serve or check TLS with Secrets by their host names. */
export const SECRET_REFERRERS: readonly HostCopyReferrer[] = [
  ingressCopies('Secret'),
  gatewayApiCopies(Resources.gateways, 'Secret'),
];

/** The kinds whose host copies check TLS with CA bundles in ConfigMaps by their host names. */
export const CONFIGMAP_REFERRERS: readonly HostCopyReferrer[] = [
  gatewayApiCopies(Resources.gateways, 'ConfigMap'),
  gatewayApiCopies(Resources.backendTLSPolicies, 'ConfigMap'),
];
