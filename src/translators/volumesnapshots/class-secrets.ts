import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import type { BuiltKind, SyncEnvironment } from '../../sync/kind.ts';
import { managedCopiesScope } from '../../sync/mappers.ts';
import { secretsNamedAfter } from '../storageclasses/claim-class.ts';

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
 * which would then be used. Undefined without the volumesnapshots kind.
 */
export function snapshotNamedSecretHolder(
  env: SyncEnvironment,
  kinds: ReadonlyMap<string, BuiltKind>,
): ((copy: KubeObject) => string | undefined) | undefined {
  if (!kinds.has('volumesnapshots')) return undefined;
  const snapshots = env.informers.get(env.host, Resources.volumeSnapshots, managedCopiesScope(env));
  const classes = env.informers.get(env.host, Resources.volumeSnapshotClasses);
  return (copy) => {
    const snapshot = snapshots.store.get(`${env.hostNamespace}/${copy.metadata?.name ?? ''}`);
    const className = (snapshot?.spec as { volumeSnapshotClassName?: unknown } | undefined)
      ?.volumeSnapshotClassName;
    if (typeof className !== 'string') return undefined;
    const parameters = (classes.store.get(className) as { parameters?: unknown } | undefined)?.parameters;
    if (!secretsNamedAfter(parameters, SNAPSHOT_TEMPLATES).exact) return undefined;
    return `the host snapshot of this name has VolumeSnapshotClass "${className}", whose snapshotter reads this Secret by the snapshot's name`;
  };
}
