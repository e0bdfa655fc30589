import { Resources } from '../../kube/resources.ts';
import { fromHostDescriptor } from '../shared/from-host.ts';

/** CSIDrivers of the host, read-only in the virtual cluster (--sync +host-csidrivers). */
export const hostCSIDriversKind = fromHostDescriptor('host-csidrivers', Resources.csiDrivers, 'CSIDrivers');
