import { Resources } from '../../kube/resources.ts';
import { selectableFromHostDescriptor } from '../shared/from-host.ts';

/**
 * StorageClasses of the host, read-only in the virtual cluster (--sync +host-storageclasses); an admin may
 * limit them by label (--host-storageclasses-selector).
 */
export const hostStorageClassesKind = selectableFromHostDescriptor(
  'host-storageclasses',
  Resources.storageClasses,
  'StorageClasses',
  'hostStorageclassesSelector',
);
