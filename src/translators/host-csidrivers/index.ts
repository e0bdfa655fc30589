import { Resources } from '../../kube/resources.ts';
import { fromHostDescriptor } from '../shared/from-host.ts';
import { ON_WITH_VIRTUAL_SCHEDULER } from '../shared/virtual-scheduler.ts';

/** CSIDrivers of the host, read-only in the virtual cluster (--sync +host-csidrivers; on by default with the virtual scheduler). */
export const hostCSIDriversKind = fromHostDescriptor(
  'host-csidrivers',
  Resources.csiDrivers,
  'CSIDrivers',
  ON_WITH_VIRTUAL_SCHEDULER,
);
