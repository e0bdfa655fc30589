import { defineKind } from '../../sync/kind.ts';
import { CRUD } from '../shared/data-object.ts';
import { podDisruptionBudgetsKind } from './poddisruptionbudgets-kind.ts';

/**
 * PodDisruptionBudgets, virtual → host, each selecting only its tenant's pods of its virtual
 * namespace, so that host evictions (node drains) respect a tenant's budgets. Off by default, as in
 * vCluster: a budget on the host can hold up the host admin's drains.
 */
export const podDisruptionBudgetsDescriptor = defineKind({
  name: 'poddisruptionbudgets',
  description: "PodDisruptionBudgets, virtual → host; selectors confined to the namespace's pods",
  defaultOn: false,
  eventKind: 'PodDisruptionBudget',
  fields: [],
  hostRbac: [{ scope: 'namespace', apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: CRUD }],
  build: (_options, where) => podDisruptionBudgetsKind(where),
});
