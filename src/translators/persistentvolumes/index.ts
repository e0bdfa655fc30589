import { field } from '../../config/fields.ts';
import { defineKind } from '../../sync/kind.ts';
import { CRUD } from '../shared/data-object.ts';
import { persistentVolumesKind } from './persistentvolumes-kind.ts';
import { invalidAllowedSources } from './translate.ts';

/**
 * PersistentVolumes made in the virtual cluster (static provisioning), virtual → host under
 * cluster-scoped names, their phase back. Off by default, as vCluster's sync.toHost.persistentVolumes;
 * with it on, tenant volumes are refused unless their source type is in --allowed-pv-source.
 */
export const persistentVolumesDescriptor = defineKind({
  name: 'persistentvolumes',
  description:
    'PersistentVolumes, virtual → host (cluster-scoped names; only the source types of --allowed-pv-source)',
  defaultOn: false,
  // No eventKind: events about a cluster-scoped object are in the host's default namespace, which
  // the events kind does not watch (and every tenant's volumes' events are there).
  fields: [
    field({
      flag: 'allowed-pv-source',
      key: 'allowedPvSources',
      kind: 'list',
      default: [],
      repeatable: true,
      valueName: '<type>',
      description:
        "volume source types a tenant PersistentVolume may use (kind persistentvolumes): nfs, iscsi, csi:<driver>, ...; none by default. hostPath and local give tenants the host's filesystem",
      validate: invalidAllowedSources,
    }),
  ],
  hostRbac: [
    { scope: 'cluster', apiGroups: [''], resources: ['persistentvolumes'], verbs: CRUD },
    // A volume is pre-bound to a host claim only when that claim's name is free or held by its copy.
    {
      scope: 'namespace',
      apiGroups: [''],
      resources: ['persistentvolumeclaims'],
      verbs: ['get', 'list', 'watch'],
    },
  ],
  build: (options, where) => persistentVolumesKind(options, where),
});
