import { field } from '../../config/fields.ts';
import { defineKind } from '../../sync/kind.ts';
import { CRUD } from '../shared/data-object.ts';
import { storageClassesKind } from './storageclasses-kind.ts';
import { ANY_PROVISIONER } from './translate.ts';

/**
 * StorageClasses made in the virtual cluster, virtual → host under cluster-scoped names; claims
 * naming one are provisioned through its copy. Off by default, as vCluster's
 * sync.toHost.storageClasses; it excludes host-storageclasses (one virtual name would stand for two
 * different classes).
 */
export const storageClassesDescriptor = defineKind({
  name: 'storageclasses',
  description: "StorageClasses, virtual → host (cluster-scoped names; claims use the tenant's copy)",
  defaultOn: false,
  conflictsWith: ['host-storageclasses'],
  fields: [
    field({
      flag: 'allowed-storage-provisioner',
      key: 'allowedStorageProvisioners',
      kind: 'list',
      default: [],
      repeatable: true,
      valueName: '<name>',
      description: `provisioner a tenant StorageClass may name to be copied to the host (kind storageclasses); none by default, "${ANY_PROVISIONER}" allows every one. Its parameters act with the provisioner's authority (a local-path nodePath is a host directory): list only provisioners whose every parameter a tenant may choose. Classes whose parameters name a Secret are never copied`,
    }),
    field({
      flag: 'allow-retain-storage-class',
      key: 'allowRetainStorageClass',
      kind: 'bool',
      default: false,
      description:
        "copy a tenant StorageClass's reclaimPolicy Retain to the host (kind storageclasses). By default its host copy gets Delete: a host volume Released by a tenant's deleted claim is one the tenant can neither reach nor delete, and its storage stays allocated until the host's admin deletes it",
    }),
  ],
  hostRbac: [{ scope: 'cluster', apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: CRUD }],
  build: (options, where) => storageClassesKind(options, where),
});
