import { defineKind } from '../../sync/kind.ts';
import { ENDPOINT_ADDRESS_FIELDS } from '../endpoints/index.ts';
import { CRUD } from '../shared/data-object.ts';
import { endpointSlicesKind } from './endpointslices-kind.ts';

/** EndpointSlices a tenant writes for selector-less Services, virtual → host, unsafe endpoints dropped. */
export const endpointSlicesDescriptor = defineKind({
  name: 'endpointslices',
  description: 'EndpointSlices of Services without a selector (tenant-written), virtual → host',
  // Writing slices directly is the modern API (Endpoints is deprecated since Kubernetes 1.33).
  defaultOn: true,
  eventKind: 'EndpointSlice',
  fields: [],
  hostRbac: [
    { scope: 'namespace', apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: CRUD },
    // Every pod of the namespace: an endpoint must not be another tenant's pod.
    { scope: 'namespace', apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    // A copy joins its Service's host copy only once that is provably the tenant's Service.
    { scope: 'namespace', apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
  ],
  reads: ENDPOINT_ADDRESS_FIELDS,
  build: (options, where) =>
    endpointSlicesKind(where, { denied: options.deniedEndpointCidrs, allowed: options.allowedEndpointCidrs }),
});
