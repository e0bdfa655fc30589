import { defineKind } from '../../sync/kind.ts';
import { HOST_CRD_READ } from '../custom-resources/crd.ts';
import { CRUD } from '../shared/data-object.ts';
import { volumeSnapshotsKind } from './volumesnapshots-kind.ts';

/**
 * VolumeSnapshots of tenants' claims, virtual → host, readiness back. Off by default (as vCluster's
 * `sync.toHost.volumeSnapshots`); needs the CSI snapshot CRDs on the host, which are copied into a
 * virtual cluster that lacks them (without them the kind sees no objects). Claims may then be
 * restored from a tenant's snapshot.
 */
export const volumeSnapshotsDescriptor = defineKind({
  name: 'volumesnapshots',
  description: "VolumeSnapshots, virtual → host, of the tenant's own claims; readiness back",
  defaultOn: false,
  eventKind: 'VolumeSnapshot',
  fields: [],
  hostRbac: [
    {
      scope: 'namespace',
      apiGroups: ['snapshot.storage.k8s.io'],
      resources: ['volumesnapshots'],
      verbs: CRUD,
    },
    // The host's classes: which name the snapshotter's Secrets after the snapshot.
    {
      scope: 'cluster',
      apiGroups: ['snapshot.storage.k8s.io'],
      resources: ['volumesnapshotclasses'],
      verbs: ['get', 'list', 'watch'],
    },
    // The host's CRD, copied into a virtual cluster that lacks it.
    HOST_CRD_READ,
  ],
  build: (_options, where) => volumeSnapshotsKind(where),
});
