import { Resources } from '../../kube/resources.ts';
import { selectableFromHostDescriptor } from '../shared/from-host.ts';

/**
 * PriorityClasses of the host, read-only in the virtual cluster (--sync +host-priorityclasses); an admin may
 * limit them by label (--host-priorityclasses-selector).
 */
export const hostPriorityClassesKind = selectableFromHostDescriptor(
  'host-priorityclasses',
  Resources.priorityClasses,
  'PriorityClasses',
  'hostPriorityclassesSelector',
);
