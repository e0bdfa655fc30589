import { TerminalError } from '../../controller/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import type { KindSpec, Placement, ReconcileContext } from '../../sync/kind.ts';
import { defineKind } from '../../sync/kind.ts';
import { clusterScopedToHost } from '../../sync/mappers.ts';
import type { LabelSelector } from '../../naming/labels.ts';
import {
  FROM_HOST_LABEL,
  hostClassSelectorOf,
  isHostsOwnClass,
  offersClass,
  readRule,
  writeVirtualCopy,
} from '../shared/from-host.ts';
import { malformedNamespacedHostObject } from '../shared/shape.ts';
import { CAPACITY_NAMESPACE, capacityMapper, virtualCapacityFor } from './translate.ts';
import { CapacitiesByClass } from './by-class.ts';

const CAPACITIES = Resources.csiStorageCapacities;
const CLASSES = Resources.storageClasses;

/** A host capacity of the wrong shape is shown to no tenant: refused with the field named. */
function copyOf(host: KubeObject, className: string): KubeObject {
  const problem = malformedNamespacedHostObject(host);
  if (problem) throw new TerminalError(`malformed host CSIStorageCapacity: ${problem}`);
  return { ...virtualCapacityFor(host), storageClassName: className };
}

const classNameOf = (capacity: KubeObject | undefined): string =>
  String((capacity as { storageClassName?: unknown } | undefined)?.storageClassName ?? '');

/**
 * CSIStorageCapacities of the host (every host namespace), read-only in the virtual cluster's
 * kube-system as `<name>-x-<host namespace>`: a tenant's edit is reverted, a host delete removes the
 * copy, a tenant's own object of that name is never touched.
 *
 * Only the capacities of classes the tenant has are shown: the host's own classes under their names,
 * and this virtual cluster's copies of its tenant's classes (storageclasses kind) under the tenant's
 * name, as vCluster shows them. Another virtual cluster's class copy is that tenant's (its name says
 * which cluster and namespace, its capacities where that tenant's volumes may go): never shown, nor a
 * capacity of a class the host does not have.
 */
export function hostCSIStorageCapacitiesKind(where: Pick<Placement, 'vcName' | 'hostNamespace'>): KindSpec {
  const ourClassCopies = clusterScopedToHost(CLASSES, where);
  const byClass = new CapacitiesByClass();
  /** The admin's selector of the host classes shown (host-storageclasses), if any. */
  let offered: LabelSelector | undefined;
  /** Tenants' classes are synced (storageclasses): a tenant's class hides the host's of its name. */
  let tenantClassesSynced = false;
  /** Whether the tenant has a class of its own of that name (not a copy of the host's). */
  const tenantHasClass = (ctx: ReconcileContext, name: string) => {
    const cls = ctx.informers.get(ctx.virtual, CLASSES).store.get(name);
    return cls !== undefined && cls.metadata?.labels?.[FROM_HOST_LABEL] !== 'true';
  };
  /**
   * The class name the tenant knows the capacity's class by, or undefined when it is not theirs to
   * see: the host's own class when the admin's selector offers it and no class of the tenant's takes
   * its name (the tenant's claims of that name go to the tenant's class), or this cluster's copy of a
   * tenant's class.
   */
  const shownClassName = (ctx: ReconcileContext, capacity: KubeObject): string | undefined => {
    const cls = ctx.informers.get(ctx.host, CLASSES).store.get(classNameOf(capacity));
    if (!cls) return undefined;
    if (!isHostsOwnClass(cls)) return ourClassCopies.sourceKeyOf(cls);
    const name = cls.metadata?.name ?? '';
    if (!offersClass(offered, cls)) return undefined;
    if (tenantClassesSynced && tenantHasClass(ctx, name)) return undefined;
    return name;
  };
  const write = (ctx: ReconcileContext, host: KubeObject, current?: KubeObject) => {
    const className = shownClassName(ctx, host);
    // wanted() said yes on the same cache, in the same reconcile.
    if (className === undefined) throw new Error(`the class of ${ctx.key} is not shown`);
    return writeVirtualCopy(ctx, CAPACITIES, CAPACITY_NAMESPACE, copyOf(host, className), current);
  };
  return {
    direction: 'from-host',
    virtualType: CAPACITIES,
    hostType: CAPACITIES,
    hostWatch: 'all-namespaces',
    mapper: capacityMapper(),
    relations: [
      {
        // A class made, labelled or deleted after its capacities were seen shows or hides them.
        name: 'host-storageclasses',
        cluster: 'host',
        type: CLASSES,
        keys: (cls) => byClass.capacitiesOf(cls.metadata?.name ?? ''),
        unindexed: true,
      },
      {
        // A tenant's class made or deleted hides or shows the host's capacities of its name.
        name: 'tenant-storageclasses',
        cluster: 'virtual',
        type: CLASSES,
        whenKind: 'storageclasses',
        keys: (cls) => byClass.capacitiesOf(cls.metadata?.name ?? ''),
        unindexed: true,
      },
    ],
    setup: (_env, kinds) => {
      offered = hostClassSelectorOf(kinds, 'host-storageclasses');
      tenantClassesSynced = kinds.has('storageclasses');
    },
    wanted: (ctx, host) => {
      byClass.record(ctx.key, host === undefined ? undefined : classNameOf(host));
      return host !== undefined && shownClassName(ctx, host) !== undefined;
    },
    create: async (ctx, host) => write(ctx, host!),
    update: async (ctx, host, current) => write(ctx, host!, current),
  };
}

/** CSIStorageCapacities of the host, read-only in the virtual kube-system (--sync +host-csistoragecapacities). */
export const hostCSIStorageCapacitiesDescriptor = defineKind({
  name: 'host-csistoragecapacities',
  description: 'CSIStorageCapacities of the host, shown read-only in the virtual kube-system',
  // Not on with the virtual scheduler, as vCluster's would be: a capacity's node topology names host
  // nodes the node selector may hide from the tenant, with their free storage.
  defaultOn: false,
  fields: [],
  hostRbac: [
    {
      scope: 'cluster',
      apiGroups: ['storage.k8s.io'],
      resources: ['csistoragecapacities'],
      verbs: ['get', 'list', 'watch'],
    },
    // Which class each capacity is of: the host's own, this cluster's copy, or another's.
    ...readRule(CLASSES),
  ],
  build: (_options, where) => hostCSIStorageCapacitiesKind(where),
});
