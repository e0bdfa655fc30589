import { TerminalError } from '../../controller/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import type { KindSpec } from '../../sync/kind.ts';
import { defineKind } from '../../sync/kind.ts';
import { writeVirtualCopy } from '../shared/from-host.ts';
import { malformedNamespacedHostObject } from '../shared/shape.ts';
import { CAPACITY_NAMESPACE, capacityMapper, virtualCapacityFor } from './translate.ts';

const CAPACITIES = Resources.csiStorageCapacities;

/** A host capacity of the wrong shape is shown to no tenant: refused with the field named. */
function copyOf(host: KubeObject): KubeObject {
  const problem = malformedNamespacedHostObject(host);
  if (problem) throw new TerminalError(`malformed host CSIStorageCapacity: ${problem}`);
  return virtualCapacityFor(host);
}

/**
 * CSIStorageCapacities of the host (every host namespace), read-only in the virtual cluster's
 * kube-system as `<name>-x-<host namespace>`: a tenant's edit is reverted, a host delete removes the
 * copy, a tenant's own object of that name is never touched.
 */
export function hostCSIStorageCapacitiesKind(): KindSpec {
  return {
    direction: 'from-host',
    virtualType: CAPACITIES,
    hostType: CAPACITIES,
    hostWatch: 'all-namespaces',
    mapper: capacityMapper(),
    create: async (ctx, host) => writeVirtualCopy(ctx, CAPACITIES, CAPACITY_NAMESPACE, copyOf(host!)),
    update: async (ctx, host, current) =>
      writeVirtualCopy(ctx, CAPACITIES, CAPACITY_NAMESPACE, copyOf(host!), current),
  };
}

/** CSIStorageCapacities of the host, read-only in the virtual kube-system (--sync +host-csistoragecapacities). */
export const hostCSIStorageCapacitiesDescriptor = defineKind({
  name: 'host-csistoragecapacities',
  description: 'CSIStorageCapacities of the host, shown read-only in the virtual kube-system',
  defaultOn: false,
  fields: [],
  hostRbac: [
    {
      scope: 'cluster',
      apiGroups: ['storage.k8s.io'],
      resources: ['csistoragecapacities'],
      verbs: ['get', 'list', 'watch'],
    },
  ],
  build: () => hostCSIStorageCapacitiesKind(),
});
