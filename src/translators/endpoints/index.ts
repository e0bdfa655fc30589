import { defineKind } from '../../sync/kind.ts';
import { CRUD } from '../shared/data-object.ts';
import { endpointsKind } from './endpoints-kind.ts';

/** Endpoints of selector-less Services, virtual → host, with addresses a tenant may not use dropped. */
export const endpointsDescriptor = defineKind({
  name: 'endpoints',
  description: 'Endpoints of Services without a selector, virtual → host',
  defaultOn: true,
  eventKind: 'Endpoints',
  fields: [],
  hostRbac: [
    { scope: 'namespace', apiGroups: [''], resources: ['endpoints'], verbs: CRUD },
    // Every pod of the namespace: an Endpoints address must not be another tenant's pod.
    { scope: 'namespace', apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
  ],
  build: (_options, where) => endpointsKind(where),
});
