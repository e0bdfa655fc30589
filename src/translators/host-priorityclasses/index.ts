import { Resources } from '../../kube/resources.ts';
import { selectableFromHostDescriptor } from '../shared/from-host.ts';

/**
 * PriorityClasses of the host, read-only in the virtual cluster (--sync +host-priorityclasses); an admin may
 * limit them by label (--host-priorityclasses-selector). The virtual API server's own classes
 * (`system-node-critical`, `system-cluster-critical`: the prefix is reserved to it) stay its own.
 */
export const hostPriorityClassesKind = selectableFromHostDescriptor(
  'host-priorityclasses',
  Resources.priorityClasses,
  'PriorityClasses',
  'hostPriorityclassesSelector',
  undefined,
  undefined,
  (virtual) => virtual.metadata?.name?.startsWith('system-') === true,
);
