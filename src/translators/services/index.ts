import { defineKind } from '../../sync/kind.ts';
import { ENDPOINT_ADDRESS_FIELDS } from '../endpoints/index.ts';
import { CRUD } from '../shared/data-object.ts';
import { servicesKind } from './services-kind.ts';

/** Services, virtual → host, with one cluster IP in both clusters; node ports and load-balancer status back. */
export const servicesDescriptor = defineKind({
  name: 'services',
  description: 'Services, virtual → host; cluster IP, node ports and load-balancer status back',
  defaultOn: true,
  eventKind: 'Service',
  fields: [],
  hostRbac: [
    { scope: 'namespace', apiGroups: [''], resources: ['services'], verbs: CRUD },
    // The host EndpointSlice controller's slices of a copy that lost its selector, which it leaves.
    {
      scope: 'namespace',
      apiGroups: ['discovery.k8s.io'],
      resources: ['endpointslices'],
      verbs: ['get', 'list', 'watch', 'delete'],
    },
  ],
  // An ExternalName may not name what a tenant's endpoints may not.
  reads: ENDPOINT_ADDRESS_FIELDS,
  build: (options, where) =>
    servicesKind(where, { denied: options.deniedEndpointCidrs, allowed: options.allowedEndpointCidrs }),
});
