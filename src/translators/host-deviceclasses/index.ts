import { Resources } from '../../kube/resources.ts';
import { selectableFromHostDescriptor } from '../shared/from-host.ts';

/**
 * DeviceClasses of the host, read-only in the virtual cluster (vCluster's `sync.fromHost.deviceClasses`;
 * --sync +host-deviceclasses); an admin may limit them by label (--host-deviceclasses-selector). With
 * this kind on, a tenant's ResourceClaims and ResourceClaimTemplates may name only a class shown here
 * (see the resourceclaims kind): the host's scheduler allocates their devices from the host's.
 */
export const hostDeviceClassesKind = selectableFromHostDescriptor(
  'host-deviceclasses',
  Resources.deviceClasses,
  'DeviceClasses',
  'hostDeviceclassesSelector',
);
