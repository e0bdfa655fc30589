import { Resources } from '../../kube/resources.ts';
import { fromHostDescriptor } from '../shared/from-host.ts';

/** CSINodes of the host, read-only in the virtual cluster (--sync +host-csinodes). */
export const hostCSINodesKind = fromHostDescriptor('host-csinodes', Resources.csiNodes, 'CSINodes');
