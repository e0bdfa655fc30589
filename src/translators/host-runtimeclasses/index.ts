import { Resources } from '../../kube/resources.ts';
import { selectableFromHostDescriptor } from '../shared/from-host.ts';

/**
 * RuntimeClasses of the host, read-only in the virtual cluster (--sync +host-runtimeclasses); an admin may
 * limit them by label (--host-runtimeclasses-selector).
 */
export const hostRuntimeClassesKind = selectableFromHostDescriptor(
  'host-runtimeclasses',
  Resources.runtimeClasses,
  'RuntimeClasses',
  'hostRuntimeclassesSelector',
);
