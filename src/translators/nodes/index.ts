import { field } from '../../config/fields.ts';
import { defineKind, type RbacRule } from '../../sync/kind.ts';
import { isLabelKey, isLabelValue } from '../../util/label-selector.ts';
import { ENFORCE_TOLERATIONS_FIELD } from '../shared/tolerations.ts';
import { VIRTUAL_SCHEDULER_FIELD } from '../shared/virtual-scheduler.ts';
import { nodesKind } from './nodes-kind.ts';

/** `*`, or `key` / `key=value` terms: what the selector is written into pods as (set-based forms are not). */
function invalidNodeSelector(selector: string): string | undefined {
  if (selector.trim() === '' || selector.trim() === '*') return undefined;
  for (const term of selector.split(',').map((t) => t.trim())) {
    const eq = term.indexOf('=');
    const key = eq < 0 ? term : term.slice(0, eq);
    const value = eq < 0 ? '' : term.slice(eq + 1).replace(/^=/, '');
    if (!isLabelKey(key) || !isLabelValue(value))
      return `must be "*" or comma-separated label terms key or key=value, got ${JSON.stringify(selector)} (term ${JSON.stringify(term)})`;
  }
  return undefined;
}

/** Which host nodes this virtual cluster uses. Declared here, read by the pods kind too. */
export const NODE_SELECTOR_FIELDS = [
  field({
    flag: 'node-selector',
    key: 'nodeSelector',
    kind: 'string',
    default: '',
    description:
      'host nodes this virtual cluster uses, by label (key=value or key, comma separated): with --sync-real-nodes they are shown even without pods ("*" for all); with --enforce-node-selector its pods run only there',
    validate: invalidNodeSelector,
  }),
  field({
    flag: 'enforce-node-selector',
    key: 'enforceNodeSelector',
    kind: 'bool',
    default: true,
    description:
      "with --node-selector: add it to every synced pod's host copy (key=value terms to its nodeSelector, bare keys as a required node affinity), so no pod runs on another node, as vCluster does",
  }),
] as const;

export const SYNC_REAL_NODES_FIELD = field({
  flag: 'sync-real-nodes',
  key: 'syncRealNodes',
  kind: 'bool',
  default: false,
  description: 'show copies of the real host nodes instead of minimal fake nodes',
});

/** Reading which nodes the host placed this cluster's pods on, and, for real copies, the nodes. */
export const NODE_READ_RULES: RbacRule[] = [
  { scope: 'namespace', apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
  {
    scope: 'cluster',
    apiGroups: [''],
    resources: ['nodes'],
    verbs: ['get', 'list', 'watch'],
    whenOption: 'syncRealNodes',
  },
];

/**
 * With the virtual scheduler, every host pod (each namespace): what others' pods hold on a node comes
 * off the allocatable its copy shows.
 */
const OTHERS_PODS_READ_RULE: RbacRule = {
  scope: 'cluster',
  apiGroups: [''],
  resources: ['pods'],
  verbs: ['get', 'list', 'watch'],
  whenOption: 'virtualScheduler',
};

/** The nodes the virtual cluster's pods run on: fake stand-ins, or copies of the real host nodes. */
export const nodesDescriptor = defineKind({
  name: 'nodes',
  description: 'Nodes that virtual pods run on, host → virtual (fake by default, or real copies)',
  defaultOn: true,
  fields: [SYNC_REAL_NODES_FIELD, ...NODE_SELECTOR_FIELDS],
  reads: [ENFORCE_TOLERATIONS_FIELD, VIRTUAL_SCHEDULER_FIELD],
  // A node is shown for the host pods placed on it; real copies read the host's nodes too.
  hostRbac: [...NODE_READ_RULES, OTHERS_PODS_READ_RULE],
  build: (options, where) => nodesKind(options, where, where.kubeletEndpoint),
});
