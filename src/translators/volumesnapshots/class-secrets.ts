import { Resources } from '../../kube/resources.ts';
import { secretHolderFor } from '../storageclasses/claim-class.ts';

/** How the CSI external-snapshotter spells the snapshot's own name and namespace in a Secret's. */
export const SNAPSHOT_TEMPLATES = {
  name: '${volumesnapshot.name}',
  namespace: '${volumesnapshot.namespace}',
};

/**
 * Why a Secret copy stays, when a host snapshot copy of its very host name has a class naming the
 * snapshotter's Secret after the snapshot: the snapshotter reads it to take the snapshot and again to
 * delete it (for a Delete policy). Were the copy to go first (a namespace deleted whole), the stored
 * snapshot could not be deleted, or its ambiguous name could pass to another namespace's Secret,
 * which would then be used.
 */
export const snapshotNamedSecretHolder = secretHolderFor({
  kind: 'volumesnapshots',
  objects: Resources.volumeSnapshots,
  classField: 'volumeSnapshotClassName',
  classes: Resources.volumeSnapshotClasses,
  templates: SNAPSHOT_TEMPLATES,
  reads: (className) =>
    `the host snapshot of this name has VolumeSnapshotClass "${className}", whose snapshotter reads this Secret by the snapshot's name`,
});
