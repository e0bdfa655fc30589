import { defineKind } from '../../sync/kind.ts';
import { CRUD } from '../shared/data-object.ts';
import { servicesKind } from './services-kind.ts';

/** Services, virtual → host, with one cluster IP in both clusters; node ports and load-balancer status back. */
export const servicesDescriptor = defineKind({
  name: 'services',
  description: 'Services, virtual → host; cluster IP, node ports and load-balancer status back',
  defaultOn: true,
  eventKind: 'Service',
  fields: [],
  hostRbac: [{ scope: 'namespace', apiGroups: [''], resources: ['services'], verbs: CRUD }],
  build: (_options, where) => servicesKind(where),
});
