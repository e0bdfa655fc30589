import { defineKind } from '../../sync/kind.ts';
import { apiServiceKind } from './api-service-kind.ts';

/** Virtual `default/kubernetes` (Service, Endpoints, EndpointSlice) stands for the host Service of the virtual API. */
export const apiServiceDescriptor = defineKind({
  name: 'api-service',
  description:
    'virtual default/kubernetes Service, Endpoints and EndpointSlice, from the host Service of the virtual API',
  defaultOn: true,
  fields: [],
  hostRbac: [
    { scope: 'namespace', apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
    { scope: 'namespace', apiGroups: [''], resources: ['endpoints'], verbs: ['get', 'list', 'watch'] },
  ],
  build: (_options, where) => apiServiceKind(where),
});
