/** Where a kind of object lives in the API. */
export interface ResourceType {
  /** API group; '' for the core group. */
  group: string;
  version: string;
  /** Plural lower-case resource name used in URLs, e.g. 'configmaps'. */
  resource: string;
  kind: string;
  namespaced: boolean;
  /**
   * Served only where its CustomResourceDefinition is installed: a 404 on listing it means "not
   * installed here", read by informers as an empty collection (see Informer).
   */
  fromCrd?: boolean;
  /**
   * A built-in API an API server may not serve (older than the API, or its group version turned
   * off): a 404 on listing it, with discovery not listing it either, means "not served here", read by
   * informers as an empty collection, as for a CRD that is not installed.
   */
  optionalApi?: boolean;
  /**
   * Objects whose content has no schema the syncer knows (a configured custom resource): read with
   * integers beyond 2^53 kept exact (parseExactJson), as a Go operator's int64 fields may hold them.
   */
  freeFormContent?: boolean;
}

/** `apiVersion` as it appears in objects: 'v1' or 'apps/v1'. */
export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** `/v1, Kind=Pod` form used by vCluster's object-kind annotation. */
export function groupVersionKindString(type: ResourceType): string {
  return `${type.group}/${type.version}, Kind=${type.kind}`;
}

/**
 * The URL path of a collection or, with name, of one object (and optionally a subresource). An empty
 * name is refused: its path would be the collection's, and a DELETE there (an object read without a
 * name) would ask for every object of the namespace.
 */
export function resourcePath(
  type: ResourceType,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  if (name === '') throw new Error(`${type.resource}: an object without a name cannot be addressed`);
  const base = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
  let path = base;
  if (type.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${type.resource}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}

const core = (resource: string, kind: string, namespaced = true): ResourceType => ({
  group: '',
  version: 'v1',
  resource,
  kind,
  namespaced,
});

const group = (
  apiGroup: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  version = 'v1',
): ResourceType => ({ group: apiGroup, version, resource, kind, namespaced });

/** A Gateway API kind (v1 of the standard channel, Gateway API v1.5 and later): served only with its CRD. */
const gatewayApi = (resource: string, kind: string): ResourceType => ({
  ...group('gateway.networking.k8s.io', resource, kind, true),
  fromCrd: true,
});

/** A CSI snapshot kind (external-snapshotter's CRDs, v1): served only where those CRDs are installed. */
const snapshotApi = (resource: string, kind: string, namespaced = true): ResourceType => ({
  ...group('snapshot.storage.k8s.io', resource, kind, namespaced),
  fromCrd: true,
});

/** A Dynamic Resource Allocation kind (resource.k8s.io/v1): not served before Kubernetes 1.34. */
const dra = (resource: string, kind: string, namespaced: boolean): ResourceType => ({
  ...group('resource.k8s.io', resource, kind, namespaced),
  optionalApi: true,
});

/** The resource types the syncer knows. */
export const Resources = {
  configMaps: core('configmaps', 'ConfigMap'),
  secrets: core('secrets', 'Secret'),
  pods: core('pods', 'Pod'),
  services: core('services', 'Service'),
  endpoints: core('endpoints', 'Endpoints'),
  events: core('events', 'Event'),
  namespaces: core('namespaces', 'Namespace', false),
  nodes: core('nodes', 'Node', false),
  serviceAccounts: core('serviceaccounts', 'ServiceAccount'),
  persistentVolumeClaims: core('persistentvolumeclaims', 'PersistentVolumeClaim'),
  persistentVolumes: core('persistentvolumes', 'PersistentVolume', false),
  leases: group('coordination.k8s.io', 'leases', 'Lease', true),
  endpointSlices: group('discovery.k8s.io', 'endpointslices', 'EndpointSlice', true),
  tokenReviews: group('authentication.k8s.io', 'tokenreviews', 'TokenReview', false),
  subjectAccessReviews: group('authorization.k8s.io', 'subjectaccessreviews', 'SubjectAccessReview', false),
  storageClasses: group('storage.k8s.io', 'storageclasses', 'StorageClass', false),
  csiDrivers: group('storage.k8s.io', 'csidrivers', 'CSIDriver', false),
  csiNodes: group('storage.k8s.io', 'csinodes', 'CSINode', false),
  ingressClasses: group('networking.k8s.io', 'ingressclasses', 'IngressClass', false),
  networkPolicies: group('networking.k8s.io', 'networkpolicies', 'NetworkPolicy', true),
  ingresses: group('networking.k8s.io', 'ingresses', 'Ingress', true),
  priorityClasses: group('scheduling.k8s.io', 'priorityclasses', 'PriorityClass', false),
  runtimeClasses: group('node.k8s.io', 'runtimeclasses', 'RuntimeClass', false),
  podDisruptionBudgets: group('policy', 'poddisruptionbudgets', 'PodDisruptionBudget', true),
  csiStorageCapacities: group('storage.k8s.io', 'csistoragecapacities', 'CSIStorageCapacity', true),
  gatewayClasses: { ...gatewayApi('gatewayclasses', 'GatewayClass'), namespaced: false },
  gateways: gatewayApi('gateways', 'Gateway'),
  httpRoutes: gatewayApi('httproutes', 'HTTPRoute'),
  grpcRoutes: gatewayApi('grpcroutes', 'GRPCRoute'),
  tlsRoutes: gatewayApi('tlsroutes', 'TLSRoute'),
  referenceGrants: gatewayApi('referencegrants', 'ReferenceGrant'),
  backendTLSPolicies: gatewayApi('backendtlspolicies', 'BackendTLSPolicy'),
  // Dynamic Resource Allocation (resource.k8s.io/v1, served by default from Kubernetes 1.34).
  resourceClaims: dra('resourceclaims', 'ResourceClaim', true),
  resourceClaimTemplates: dra('resourceclaimtemplates', 'ResourceClaimTemplate', true),
  deviceClasses: dra('deviceclasses', 'DeviceClass', false),
  volumeSnapshots: snapshotApi('volumesnapshots', 'VolumeSnapshot'),
  volumeSnapshotClasses: snapshotApi('volumesnapshotclasses', 'VolumeSnapshotClass', false),
  // Written only by the CoreDNS bootstrap (src/bootstrap/), never synced.
  clusterRoles: group('rbac.authorization.k8s.io', 'clusterroles', 'ClusterRole', false),
  clusterRoleBindings: group('rbac.authorization.k8s.io', 'clusterrolebindings', 'ClusterRoleBinding', false),
  deployments: group('apps', 'deployments', 'Deployment', true),
  // The metrics API (metrics-server's, aggregated), read on the host and served to the virtual cluster.
  podMetrics: group('metrics.k8s.io', 'pods', 'PodMetrics', true, 'v1beta1'),
  nodeMetrics: group('metrics.k8s.io', 'nodes', 'NodeMetrics', false, 'v1beta1'),
  apiServices: group('apiregistration.k8s.io', 'apiservices', 'APIService', false),
  customResourceDefinitions: group(
    'apiextensions.k8s.io',
    'customresourcedefinitions',
    'CustomResourceDefinition',
    false,
  ),
} satisfies Record<string, ResourceType>;
