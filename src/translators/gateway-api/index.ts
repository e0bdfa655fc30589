import { DENIED_POD_METADATA_FIELD } from '../pods/index.ts';
import { ALLOWED_HOST_FIELD, RESERVED_HOST_FIELD } from '../ingresses/index.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import { defineKind, type RbacRule } from '../../sync/kind.ts';
import { SERVICE_COPY_DENIED_KEYS } from '../../naming/denied-metadata.ts';
import { HOST_CRD_READ } from '../custom-resources/crd.ts';
import { CRUD } from '../shared/data-object.ts';
import type { HostGatewaysConfig } from '../host-gateways/config.ts';
import { gatewayApiKind } from './gateway-api-kind.ts';

/**
 * The Gateway API kinds, virtual → host, each off by default: they mean something only where the
 * host runs a gateway controller, and exist only where the Gateway API CRDs (v1.5 or later, v1 of
 * every kind) are installed. Where a cluster does not serve one (its CRD is missing, on the host or in
 * the virtual cluster), its informers read it as empty and look again every minute (see
 * ResourceType.fromCrd): the syncer starts and runs, and logs which resource is missing.
 */
const rbac = (type: ResourceType): RbacRule[] => [
  { scope: 'namespace', apiGroups: [type.group], resources: [type.resource], verbs: CRUD },
  // The host's CRD, copied into a virtual cluster that lacks it.
  HOST_CRD_READ,
  // The copies of what these objects name, to prove them ours before naming them.
  {
    scope: 'namespace',
    apiGroups: [''],
    resources: ['services', 'secrets', 'configmaps'],
    verbs: ['get', 'list', 'watch'],
  },
];

/**
 * The descriptors, with the host Gateways the config file shows (`hostGateways`, the host-gateways
 * kind), to which tenants' routes may attach, and which no tenant Gateway may stand in for.
 */
export function gatewayApiDescriptors(hostGateways?: HostGatewaysConfig) {
  const gatewaysDescriptor = defineKind({
    name: 'gateways',
    description:
      "Gateway API Gateways, virtual → host; certificates renamed to this tenant's copies (which are synced), status back",
    defaultOn: false,
    eventKind: 'Gateway',
    fields: [],
    reads: [DENIED_POD_METADATA_FIELD, RESERVED_HOST_FIELD, ALLOWED_HOST_FIELD],
    hostRbac: rbac(Resources.gateways),
    // The infrastructure's metadata (or, without it, the Gateway's own: Istio's default) goes on the pods
    // and Services the host controller makes: held to the pods' list, every copy's, and a Service copy's
    // (no load-balancer address sharing keys).
    build: (options, where) =>
      gatewayApiKind(Resources.gateways, true, where, {
        deniedMetadataKeys: [
          ...options.deniedPodMetadata,
          ...(where.deniedHostMetadata ?? []),
          ...SERVICE_COPY_DENIED_KEYS,
        ],
        reservedHosts: options.reservedIngressHosts,
        allowedHosts: options.allowedIngressHosts,
        hostGateways,
      }),
  });

  /** A route kind: parents and backends renamed, its hostnames held to the reserved and allowed hosts. */
  const routeDescriptor = (type: ResourceType) =>
    defineKind({
      name: type.resource,
      description: `Gateway API ${type.kind}s, virtual → host; parents and backends renamed to this tenant's copies, status back`,
      defaultOn: false,
      eventKind: type.kind,
      fields: [],
      reads: [RESERVED_HOST_FIELD, ALLOWED_HOST_FIELD],
      hostRbac: rbac(type),
      build: (options, where) =>
        gatewayApiKind(type, true, where, {
          reservedHosts: options.reservedIngressHosts,
          allowedHosts: options.allowedIngressHosts,
          hostGateways,
        }),
    });
  const httpRoutesDescriptor = routeDescriptor(Resources.httpRoutes);
  const grpcRoutesDescriptor = routeDescriptor(Resources.grpcRoutes);
  const tlsRoutesDescriptor = routeDescriptor(Resources.tlsRoutes);

  const referenceGrantsDescriptor = defineKind({
    name: 'referencegrants',
    description:
      'Gateway API ReferenceGrants, virtual → host, made inert there (every virtual namespace is the one host namespace); the syncer enforces them itself',
    defaultOn: false,
    eventKind: 'ReferenceGrant',
    fields: [],
    hostRbac: rbac(Resources.referenceGrants),
    build: (_options, where) => gatewayApiKind(Resources.referenceGrants, false, where),
  });

  const backendTLSPoliciesDescriptor = defineKind({
    name: 'backendtlspolicies',
    description:
      "Gateway API BackendTLSPolicies, virtual → host; target Services and CA config maps renamed to this tenant's copies, status back",
    defaultOn: false,
    eventKind: 'BackendTLSPolicy',
    fields: [],
    hostRbac: rbac(Resources.backendTLSPolicies),
    // Its ancestors in status may be host Gateways shown here.
    build: (_options, where) => gatewayApiKind(Resources.backendTLSPolicies, true, where, { hostGateways }),
  });

  return [
    gatewaysDescriptor,
    httpRoutesDescriptor,
    grpcRoutesDescriptor,
    tlsRoutesDescriptor,
    referenceGrantsDescriptor,
    backendTLSPoliciesDescriptor,
  ] as const;
}
