import { Resources } from '../../kube/resources.ts';
import { selectableFromHostDescriptor } from '../shared/from-host.ts';
import { ON_WITH_VIRTUAL_SCHEDULER } from '../shared/virtual-scheduler.ts';

/**
 * StorageClasses of the host, read-only in the virtual cluster (--sync +host-storageclasses); an admin may
 * limit them by label (--host-storageclasses-selector). On by default with the virtual scheduler.
 */
export const hostStorageClassesKind = selectableFromHostDescriptor(
  'host-storageclasses',
  Resources.storageClasses,
  'StorageClasses',
  'hostStorageclassesSelector',
  undefined,
  ON_WITH_VIRTUAL_SCHEDULER,
);
