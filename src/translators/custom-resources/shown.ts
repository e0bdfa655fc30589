import type { KubeObject } from '../../kube/object.ts';
import { MANAGED_BY_LABEL } from '../../naming/labels.ts';
import { isPrepared } from '../../sync/engine.ts';
import { hostInformerFor } from '../../sync/host-watch.ts';
import type { BuiltKind, SyncEnvironment } from '../../sync/kind.ts';
import { customResourceKindName, selectedForSync, type CustomResourceEntry } from './config.ts';

/**
 * Which host objects of a fromHost entry the virtual cluster shows, judged on the host: a tenant can
 * make a virtual object that looks like a shown copy (its label is the tenant's to write), never a
 * host object.
 */

/** A fromHost entry's selector in kubectl's syntax (`a=b,c=d`), or undefined when it has none. */
export const selectorOf = (entry: Pick<CustomResourceEntry, 'selectorLabels'>): string | undefined =>
  Object.entries(entry.selectorLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',') || undefined;

/**
 * Whether a host object is shown: not a syncer's copy of a tenant's object (managed-by), and
 * carrying every label of the entry's selector.
 */
export const showsHostObject = (
  entry: Pick<CustomResourceEntry, 'selectorLabels'>,
  host: KubeObject,
): boolean => host.metadata?.labels?.[MANAGED_BY_LABEL] === undefined && selectedForSync(entry, host);

/** What the virtual cluster shows of a cluster-scoped fromHost object, by name. */
export type ShownVerdict =
  | { state: 'shown'; host: KubeObject }
  /** The kind has not read the host yet (its CRD, its cache): nothing can be said. */
  | { state: 'starting' }
  | { state: 'not-shown' }
  | { state: 'refused'; message: string };

/** Whether the host object `name` of a cluster-scoped fromHost entry is one the virtual cluster shows. */
export function shownVerdict(
  env: SyncEnvironment,
  kinds: ReadonlyMap<string, BuiltKind>,
  entry: CustomResourceEntry,
  name: string,
): ShownVerdict {
  const kind = kinds.get(customResourceKindName(entry));
  if (!kind) return { state: 'refused', message: `${entry.crdName} is not shown by this syncer (--sync)` };
  if (!isPrepared(kind.spec)) return { state: 'starting' };
  if (kind.spec.virtualType.namespaced)
    return {
      state: 'refused',
      message: `${entry.crdName} is namespaced: only cluster-scoped ones are named as they are`,
    };
  const informer = hostInformerFor(env, kind.spec);
  if (!informer?.hasSynced()) return { state: 'starting' };
  const host = informer.store.get(name);
  return host && !host.metadata?.deletionTimestamp && showsHostObject(entry, host)
    ? { state: 'shown', host }
    : { state: 'not-shown' };
}
