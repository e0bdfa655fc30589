import { field } from '../../config/fields.ts';
import { defineKind } from '../../sync/kind.ts';
import { priorityClassesKind } from './priorityclasses-kind.ts';
import { DEFAULT_PRIORITY_CLASS_MAX_VALUE } from './translate.ts';

/**
 * PriorityClasses made in the virtual cluster, virtual → host under cluster-scoped names, their
 * value capped. Off by default, as vCluster's sync.toHost.priorityClasses; it excludes
 * host-priorityclasses (one virtual name would stand for two different classes).
 */
export const priorityClassesDescriptor = defineKind({
  name: 'priorityclasses',
  description: 'PriorityClasses, virtual → host (cluster-scoped names, value capped)',
  defaultOn: false,
  conflictsWith: ['host-priorityclasses'],
  fields: [
    field({
      flag: 'priority-class-max-value',
      key: 'priorityClassMaxValue',
      kind: 'int',
      default: DEFAULT_PRIORITY_CLASS_MAX_VALUE,
      description:
        "highest value a tenant's PriorityClass may have to be copied to the host (default: the highest user-definable value; lower it below the host's own important classes)",
    }),
  ],
  hostRbac: [
    {
      scope: 'cluster',
      apiGroups: ['scheduling.k8s.io'],
      resources: ['priorityclasses'],
      verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
    },
  ],
  build: (options, where) => priorityClassesKind(options, where),
});
