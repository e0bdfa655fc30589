import { Resources } from '../../kube/resources.ts';
import { fromHostDescriptor } from '../shared/from-host.ts';

/** PriorityClasses of the host, read-only in the virtual cluster (--sync +host-priorityclasses). */
export const hostPriorityClassesKind = fromHostDescriptor(
  'host-priorityclasses',
  Resources.priorityClasses,
  'PriorityClasses',
);
