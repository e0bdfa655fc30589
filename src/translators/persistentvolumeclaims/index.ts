import { defineKind } from '../../sync/kind.ts';
import { CRUD } from '../shared/data-object.ts';
import { VIRTUAL_SCHEDULER_FIELD } from '../shared/virtual-scheduler.ts';
import { persistentVolumeClaimsKind } from './persistentvolumeclaims-kind.ts';

/**
 * PersistentVolumeClaims, virtual → host, with status (binding, capacity, resize) back and a
 * PersistentVolume in the virtual cluster for each bound claim (a fake one; with persistentvolumes
 * on, the host volume's details). On by default, as in vCluster.
 */
export const persistentVolumeClaimsDescriptor = defineKind({
  name: 'persistentvolumeclaims',
  description:
    'PersistentVolumeClaims, virtual → host; status back, and a PersistentVolume for each bound claim',
  defaultOn: true,
  eventKind: 'PersistentVolumeClaim',
  fields: [],
  reads: [VIRTUAL_SCHEDULER_FIELD],
  hostRbac: [
    { scope: 'namespace', apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: CRUD },
    // A gone claim's copy stays while an unfinished host pod mounts it; an unbound copy that must go
    // takes the pods waiting on it along.
    { scope: 'namespace', apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'delete'] },
    // A claim naming a class the host lacks is refused up front, and synced once the class appears.
    {
      scope: 'cluster',
      apiGroups: ['storage.k8s.io'],
      resources: ['storageclasses'],
      verbs: ['get', 'list', 'watch'],
    },
  ],
  build: (options, where) => persistentVolumeClaimsKind(where, options.virtualScheduler),
});
