import { Resources } from '../../kube/resources.ts';
import { fromHostDescriptor } from '../shared/from-host.ts';

/** StorageClasses of the host, read-only in the virtual cluster (--sync +host-storageclasses). */
export const hostStorageClassesKind = fromHostDescriptor(
  'host-storageclasses',
  Resources.storageClasses,
  'StorageClasses',
);
