import type { KubeObject } from '../../kube/object.ts';
import type { ResourceType } from '../../kube/resources.ts';
import { OBJECT_KIND_ANNOTATION } from '../../naming/labels.ts';
import type { Mapper, Placement } from '../../sync/kind.ts';
import { namespacedToHost, ownedVirtualKey } from '../../sync/mappers.ts';

/** `<group>/<version>, Kind=<Kind>` (groupVersionKindString's form), read back. */
const RECORDED_KIND = /^(?<group>[^/]*)\/(?<version>[^/,]+), Kind=(?<kind>.+)$/;

/**
 * ownedVirtualKey for a custom resource, whatever version the copy records. An entry without a
 * version syncs the CRD's storage version, which an operator upgrade changes; one with a version
 * may be moved to a newer one. The API server serves every object of a CRD in each version it
 * serves, so a copy recorded under another version of the same group and kind is the same object:
 * refusing it would leave every copy orphaned (never updated nor deleted) and every tenant object
 * refused for a host name "already used". Everything else (managed-by, the object-name and
 * object-namespace annotations, the group and kind) must still match; the copy's next update
 * records the version synced now.
 */
export function ownedCustomResourceKey(
  host: KubeObject,
  where: Pick<Placement, 'vcName' | 'hostNamespace'>,
  type: ResourceType,
): string | undefined {
  const recorded = RECORDED_KIND.exec(host.metadata?.annotations?.[OBJECT_KIND_ANNOTATION] ?? '')?.groups;
  const sameKind = recorded?.group === type.group && recorded.kind === type.kind;
  return ownedVirtualKey(host, where, sameKind ? { ...type, version: recorded.version! } : type);
}

/** namespacedToHost for a custom resource, its copies recognised by ownedCustomResourceKey. */
export function customResourceToHost(type: ResourceType, where: Placement): Mapper {
  return {
    ...namespacedToHost(type, where),
    sourceKeyOf: (host) => ownedCustomResourceKey(host, where, type),
  };
}
