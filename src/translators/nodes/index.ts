import { field } from '../../config/fields.ts';
import { defineKind } from '../../sync/kind.ts';
import { nodesKind } from './nodes-kind.ts';

/** The nodes the virtual cluster's pods run on: fake stand-ins, or copies of the real host nodes. */
export const nodesDescriptor = defineKind({
  name: 'nodes',
  description: 'Nodes that virtual pods run on, host → virtual (fake by default, or real copies)',
  defaultOn: true,
  fields: [
    field({
      flag: 'sync-real-nodes',
      key: 'syncRealNodes',
      kind: 'bool',
      default: false,
      description: 'show copies of the real host nodes instead of minimal fake nodes',
    }),
    field({
      flag: 'node-selector',
      key: 'nodeSelector',
      kind: 'string',
      default: '',
      description:
        'with --sync-real-nodes: also show host nodes matching this label selector even without pods ("*" for all)',
    }),
  ],
  // Fake nodes need nothing on the host; real copies read the host's nodes.
  hostRbac: [
    {
      scope: 'cluster',
      apiGroups: [''],
      resources: ['nodes'],
      verbs: ['get', 'list', 'watch'],
      whenOption: 'syncRealNodes',
    },
  ],
  build: (options, where) => nodesKind(options, where.kubeletEndpoint),
});
