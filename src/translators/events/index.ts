import { defineKind } from '../../sync/kind.ts';
import { eventsKind } from './events-kind.ts';

/** Host events about synced objects, copied into the virtual cluster with virtual names. */
export const eventsDescriptor = defineKind({
  name: 'events',
  description: 'Events about synced objects, host → virtual',
  defaultOn: true,
  fields: [],
  hostRbac: [{ scope: 'namespace', apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] }],
  build: (_options, where) => eventsKind(where),
});
