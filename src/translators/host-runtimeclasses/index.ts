import { Resources } from '../../kube/resources.ts';
import { fromHostDescriptor } from '../shared/from-host.ts';

/** RuntimeClasses of the host, read-only in the virtual cluster (--sync +host-runtimeclasses). */
export const hostRuntimeClassesKind = fromHostDescriptor(
  'host-runtimeclasses',
  Resources.runtimeClasses,
  'RuntimeClasses',
);
