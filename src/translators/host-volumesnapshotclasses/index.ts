import { Resources } from '../../kube/resources.ts';
import { fromHostDescriptor } from '../shared/from-host.ts';

/**
 * VolumeSnapshotClasses of the host, read-only in the virtual cluster (vCluster's
 * sync.fromHost.volumeSnapshotClasses; --sync +host-volumesnapshotclasses), so tenants see the
 * classes their VolumeSnapshots may name. Needs the CSI snapshot CRDs on both sides.
 */
export const hostVolumeSnapshotClassesKind = fromHostDescriptor(
  'host-volumesnapshotclasses',
  Resources.volumeSnapshotClasses,
  'VolumeSnapshotClasses',
);
