import { splitKey, type KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import {
  OBJECT_HOST_NAMESPACE_ANNOTATION,
  OBJECT_NAME_ANNOTATION,
  OBJECT_NAMESPACE_ANNOTATION,
} from '../../naming/labels.ts';
import { safeConcatName } from '../../naming/safe-concat.ts';
import type { Mapper } from '../../sync/kind.ts';
import { withManagedRecord } from '../../sync/managed-metadata.ts';
import { FROM_HOST_LABEL, recordedHostKey, virtualCopyOf } from '../shared/from-host.ts';

/**
 * The virtual namespace every host capacity is shown in. Host capacities live in the namespace of
 * the CSI driver that publishes them, which the virtual cluster does not have; kube-system always
 * exists, and is where a cluster's own storage drivers would publish theirs.
 */
export const CAPACITY_NAMESPACE = 'kube-system';

/** The virtual name of a host capacity: `<name>-x-<host namespace>`, hashed past 63 characters. */
export const virtualCapacityName = (name: string, hostNamespace: string): string =>
  safeConcatName(name, 'x', hostNamespace);

/**
 * Host CSIStorageCapacities ↔ their read-only copies in the virtual kube-system. A virtual object is
 * a copy only when it carries the syncer's from-host label; the host object it stands for is named
 * by its host-name and host-namespace annotations.
 */
export function capacityMapper(): Mapper {
  return {
    targetKey: (hostKey) => {
      const { namespace, name } = splitKey(hostKey);
      return `${CAPACITY_NAMESPACE}/${virtualCapacityName(name, namespace)}`;
    },
    sourceKeyOf: (virtual) => {
      const meta = virtual.metadata ?? {};
      if (meta.labels?.[FROM_HOST_LABEL] !== 'true' || meta.namespace !== CAPACITY_NAMESPACE)
        return undefined;
      return recordedHostKey(virtual);
    },
  };
}

/**
 * The virtual copy of a host capacity: every field (storage class, topology, capacity, maximum
 * volume size) as on the host. Storage classes are shown in the virtual cluster under their host
 * names (host-storageclasses), so storageClassName needs no translation.
 */
export function virtualCapacityFor(host: KubeObject): KubeObject {
  const copy = virtualCopyOf(host, Resources.csiStorageCapacities);
  const meta = host.metadata ?? {};
  copy.metadata = {
    name: virtualCapacityName(meta.name ?? '', meta.namespace ?? ''),
    namespace: CAPACITY_NAMESPACE,
    ...withManagedRecord({
      labels: copy.metadata?.labels,
      annotations: {
        ...copy.metadata?.annotations,
        [OBJECT_HOST_NAMESPACE_ANNOTATION]: meta.namespace ?? '',
        // The host object by name too, as vCluster shows it (its docs' example; its mapper reads these).
        [OBJECT_NAME_ANNOTATION]: meta.name ?? '',
        [OBJECT_NAMESPACE_ANNOTATION]: meta.namespace ?? '',
      },
    }),
  };
  return copy;
}
