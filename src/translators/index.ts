import type { ValuesOf } from '../config/fields.ts';
import { KindRegistry } from '../sync/registry.ts';
import { apiServiceDescriptor } from './api-service/index.ts';
import { configMapsKind } from './configmaps/index.ts';
import { customResourceKinds, type CustomResourcesConfig } from './custom-resources/index.ts';
import { hostStorageClassesKind } from './host-storageclasses/index.ts';
import { hostIngressClassesKind } from './host-ingressclasses/index.ts';
import { hostGatewayClassesKind } from './host-gatewayclasses/index.ts';
import { hostPriorityClassesKind } from './host-priorityclasses/index.ts';
import { hostRuntimeClassesKind } from './host-runtimeclasses/index.ts';
import { hostCSIDriversKind } from './host-csidrivers/index.ts';
import { hostCSINodesDescriptor } from './host-csinodes/index.ts';
import { hostCSIStorageCapacitiesDescriptor } from './host-csistoragecapacities/index.ts';
import { hostVolumeSnapshotClassesKind } from './host-volumesnapshotclasses/index.ts';
import { endpointsDescriptor } from './endpoints/index.ts';
import { endpointSlicesDescriptor } from './endpointslices/index.ts';
import { eventsDescriptor } from './events/index.ts';
import { gatewayApiDescriptors } from './gateway-api/index.ts';
import type { HostGatewaysConfig } from './host-gateways/config.ts';
import { hostGatewaysDescriptorFor } from './host-gateways/index.ts';
import { ingressesDescriptorFor } from './ingresses/index.ts';
import { GATEWAY_SHIM_ANNOTATIONS } from './ingresses/cert-manager.ts';
import type { KindDescriptor } from '../sync/kind.ts';
import { networkPoliciesDescriptor } from './networkpolicies/index.ts';
import { nodesDescriptor } from './nodes/index.ts';
import { persistentVolumeClaimsDescriptor } from './persistentvolumeclaims/index.ts';
import { persistentVolumesDescriptor } from './persistentvolumes/index.ts';
import { volumeSnapshotsDescriptor } from './volumesnapshots/index.ts';
import { podDisruptionBudgetsDescriptor } from './poddisruptionbudgets/index.ts';
import { podsKind } from './pods/index.ts';
import { priorityClassesDescriptor } from './priorityclasses/index.ts';
import { secretsDescriptorFor, secretsKind } from './secrets/index.ts';
import { serviceAccountsDescriptor } from './serviceaccounts/index.ts';
import { servicesDescriptor } from './services/index.ts';
import { mappedHostServicesDescriptor, mappedVirtualServicesDescriptor } from './service-mappings/index.ts';
import { mappedHostConfigMapsDescriptor, mappedHostSecretsDescriptor } from './mapped-host-data/index.ts';
import { storageClassesDescriptor } from './storageclasses/index.ts';
import { hostDeviceClassesKind } from './host-deviceclasses/index.ts';
import { resourceClaimsDescriptor, resourceClaimTemplatesDescriptor } from './resourceclaims/index.ts';

/**
 * Every kind the syncer can sync, one line each, in the order their controllers start; then one
 * kind per custom resource the config file names (`cr:<plural>.<group>`).
 */
export function builtinKinds(
  customResources?: CustomResourcesConfig,
  hostGateways?: HostGatewaysConfig,
): KindRegistry {
  const custom = customResourceKinds(customResources);
  const [gateways, httpRoutes, grpcRoutes, tlsRoutes, referenceGrants, backendTLSPolicies] =
    gatewayApiDescriptors(hostGateways);
  const registry = new KindRegistry()
    .register(custom.following(configMapsKind, 'ConfigMap'))
    .register(custom.following(secretsDescriptorFor(custom.hostCertManager !== undefined), 'Secret'))
    .register(mappedHostConfigMapsDescriptor)
    .register(mappedHostSecretsDescriptor)
    .register(podsKind)
    .register(servicesDescriptor)
    .register(mappedHostServicesDescriptor)
    .register(mappedVirtualServicesDescriptor)
    .register(persistentVolumeClaimsDescriptor)
    .register(storageClassesDescriptor)
    .register(persistentVolumesDescriptor)
    .register(volumeSnapshotsDescriptor)
    .register(resourceClaimsDescriptor)
    .register(resourceClaimTemplatesDescriptor)
    .register(apiServiceDescriptor)
    .register(endpointsDescriptor)
    .register(endpointSlicesDescriptor)
    .register(networkPoliciesDescriptor)
    .register(ingressesDescriptorFor(custom.hostCertManager))
    .register(eventsDescriptor)
    .register(nodesDescriptor)
    .register(hostStorageClassesKind)
    .register(hostIngressClassesKind)
    .register(hostPriorityClassesKind)
    .register(hostRuntimeClassesKind)
    .register(hostCSIDriversKind)
    .register(hostCSINodesDescriptor)
    .register(hostCSIStorageCapacitiesDescriptor)
    .register(hostVolumeSnapshotClassesKind)
    .register(hostGatewayClassesKind)
    .register(hostDeviceClassesKind)
    .register(hostGatewaysDescriptorFor(hostGateways))
    .register(podDisruptionBudgetsDescriptor)
    .register(priorityClassesDescriptor)
    .register(serviceAccountsDescriptor)
    .register(withoutGatewayShim(gateways, custom.hostCertManager !== undefined))
    .register(httpRoutes)
    .register(grpcRoutes)
    .register(tlsRoutes)
    .register(referenceGrants)
    .register(backendTLSPolicies);
  for (const descriptor of custom.descriptors) registry.register(descriptor);
  return registry;
}

/** The settings every kind declares, as one typed object (kinds without settings add nothing). */
export type KindOptions = ValuesOf<typeof configMapsKind.fields> &
  ValuesOf<typeof secretsKind.fields> &
  ValuesOf<typeof podsKind.fields> &
  ValuesOf<typeof servicesDescriptor.fields> &
  ValuesOf<typeof mappedHostServicesDescriptor.fields> &
  ValuesOf<typeof mappedVirtualServicesDescriptor.fields> &
  ValuesOf<typeof eventsDescriptor.fields> &
  ValuesOf<typeof nodesDescriptor.fields> &
  ValuesOf<typeof priorityClassesDescriptor.fields> &
  ValuesOf<typeof persistentVolumesDescriptor.fields> &
  ValuesOf<typeof storageClassesDescriptor.fields> &
  ValuesOf<typeof serviceAccountsDescriptor.fields>;

/**
 * The Gateways kind, with integrations.certManager on: cert-manager's gateway-shim annotations are
 * left off Gateway copies (see GATEWAY_SHIM_ANNOTATIONS).
 */
function withoutGatewayShim(descriptor: KindDescriptor, hostCertManager: boolean): KindDescriptor {
  if (!hostCertManager) return descriptor;
  return {
    ...descriptor,
    build: (options, where) =>
      descriptor.build(options, {
        ...where,
        deniedHostMetadata: [...(where.deniedHostMetadata ?? []), ...GATEWAY_SHIM_ANNOTATIONS],
      }),
  };
}
