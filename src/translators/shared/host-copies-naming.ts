import type { KubeObject } from '../../kube/object.ts';
import type { ResourceType } from '../../kube/resources.ts';
import type { Informer } from '../../informer/informer.ts';
import type { BuiltKind, Mapper, Placement, Relation, SyncEnvironment } from '../../sync/kind.ts';
import { managedCopiesScope } from '../../sync/mappers.ts';
import { sameJson } from './host-metadata.ts';

/**
 * Host names are ambiguous (`a/s-x-b` and `b-x-a/s` are both `s-x-b-x-a-x-<vc>`; another virtual
 * cluster's names can read the same too), and an object of another virtual namespace whose name
 * reads the same waits for a copy's name to be free. A copy that goes while a host copy of another
 * kind (an Ingress, a Gateway, a route) still names it hands that referrer to the waiting object:
 * the host's ingress or gateway controller would send the referrer's traffic to another tenant's
 * Service, or serve its TLS with another tenant's Secret. So such a copy stays a little longer,
 * until the referrer's own kind renames its reference away (which a relation on the virtual objects
 * makes happen at once: virtualObjectsRelation), within a bound.
 */

/** How often a copy kept while a referrer's copy names it is looked at again. */
export const NAMED_COPY_RECHECK_MS = 1_000;
/** How long such a copy is kept at most (see BoundedKeep). */
export const MAX_NAMED_KEEP_MS = 15_000;

/** A kind whose host copies name copies of another kind by their host names. */
export interface HostCopyReferrer {
  /** The kind's name: nothing is read unless it runs (no copies, caches or RBAC without it). */
  kind: string;
  type: ResourceType;
  /** The host names of the copies (of the kind asked about) that a host copy of this kind names. */
  names(copy: KubeObject, where: Pick<Placement, 'vcName' | 'hostNamespace'>): string[];
}

/**
 * A kind's relations on its referrers' host copies: one that names a copy no more (renamed, or gone)
 * brings the copy's key back at once, so that a copy kept for it (hostCopiesNaming) goes then, not
 * at its next look. `copies` is the kind's informer of its own host copies, set in its setup.
 */
export const hostReferrerRelations = (
  referrers: readonly HostCopyReferrer[],
  where: Pick<Placement, 'vcName' | 'hostNamespace'>,
  copies: () => Informer<KubeObject> | undefined,
  mapper: Pick<Mapper, 'sourceKeyOf'>,
): Relation[] =>
  referrers.map((referrer) => ({
    name: `host-${referrer.type.resource}-naming`,
    cluster: 'host',
    type: referrer.type,
    scope: managedCopiesScope(where),
    whenKind: referrer.kind,
    optional: true,
    unindexed: true,
    membershipOnly: true,
    keys: (referrerCopy) =>
      referrer.names(referrerCopy, where).flatMap((name) => {
        const copy = copies()?.store.get(`${where.hostNamespace}/${name}`);
        const key = copy && mapper.sourceKeyOf(copy);
        return key ? [key] : [];
      }),
  }));

/**
 * A referrer kind's relation on the virtual objects it names: when one comes or goes, or its spec,
 * labels or annotations change (which decide whether its kind withholds its copy: KindSpec.withholds), the
 * objects naming it (`naming`: their keys) are judged again at once, so that an object that goes is
 * named no more before its copy goes (which waits for that: see hostCopiesNaming), not after.
 */
export const virtualObjectsRelation = (
  type: ResourceType,
  whenKind: string,
  naming: (obj: KubeObject) => string[],
): Relation => ({
  name: `virtual-${type.resource}`,
  cluster: 'virtual',
  type,
  whenKind,
  unindexed: true,
  keys: naming,
  changed: (old, current) =>
    !sameJson(old.spec, current.spec) ||
    !sameJson(old.metadata?.labels, current.metadata?.labels) ||
    !sameJson(old.metadata?.annotations, current.metadata?.annotations),
});

/**
 * Why a copy of `namedKind` (`Service`, `Secret`, `ConfigMap`) must stay a little longer: a host copy
 * of this virtual cluster of one of `referrers`, or of a kind that says what its copies name
 * (KindSpec.namesOnHost: custom resources' configured references), still names its host name (a
 * sentence saying which), or undefined. Only kinds that run are read. `indexName` tells apart the
 * indexes of the kinds asking (one referrer's copies are indexed by the Services they name and by
 * the Secrets).
 */
export function hostCopiesNaming(
  env: SyncEnvironment,
  kinds: ReadonlyMap<string, BuiltKind>,
  referrers: readonly HostCopyReferrer[],
  indexName: string,
  namedKind: string,
): (copy: KubeObject) => string | undefined {
  const declared = [...kinds.values()].flatMap(({ name, spec }): HostCopyReferrer[] =>
    spec.namesOnHost
      ? [{ kind: name, type: spec.hostType, names: (copy) => spec.namesOnHost!(copy, namedKind) }]
      : [],
  );
  const watched = [...referrers, ...declared]
    .filter((referrer) => kinds.has(referrer.kind))
    .map((referrer) => {
      // Optional: the referrer's own kind waits for its cache (its RBAC, its CRD); a kind asking
      // about its copies must not wait with it (Secrets stopped syncing for an Ingress list refused).
      const copies = env.informers.get(env.host, referrer.type, managedCopiesScope(env), { optional: true });
      copies.addIndexer(indexName, (copy) => [...new Set(referrer.names(copy, env))]);
      return { referrer, copies };
    });
  return (copy) => {
    const name = copy.metadata?.name ?? '';
    for (const { referrer, copies } of watched) {
      // A cache not filled (its list refused, its resource not served) cannot tell: no copy is kept
      // for it, as none was before referrers were read, rather than every one for good.
      if (!copies.hasSynced()) continue;
      const named = copies.store.byIndex(indexName, name)[0];
      if (named) return `host ${referrer.type.kind} ${named.metadata?.name ?? ''} still names it`;
    }
    return undefined;
  };
}

/**
 * Keeps copies for a reason for `maxMs` at most from when each (by UID) was first kept: a referrer
 * whose host copy cannot be written (a host webhook refusing it) must not keep a copy, which still
 * serves or holds the tenant's data, for good.
 */
export class BoundedKeep {
  /** When each kept copy (by UID) was first kept, and last asked about. */
  private readonly kept = new Map<string, { first: number; last: number }>();
  private readonly maxMs: number;

  constructor(maxMs: number) {
    this.maxMs = maxMs;
  }

  /** `why` while the copy has been kept for less than maxMs (undefined once not, or without a reason). */
  reason(copy: KubeObject, now: number, why: string | undefined): string | undefined {
    const uid = copy.metadata?.uid ?? '';
    if (!why) {
      this.kept.delete(uid);
      return undefined;
    }
    this.forgetUnaskedSince(now - 2 * this.maxMs);
    const first = this.kept.get(uid)?.first ?? now;
    this.kept.set(uid, { first, last: now });
    return now - first < this.maxMs ? why : undefined;
  }

  /** The copy is gone: its record goes. */
  forget(copy: KubeObject): void {
    this.kept.delete(copy.metadata?.uid ?? '');
  }

  /** Records no one asked about for a while: their copies went by someone else's hand. */
  private forgetUnaskedSince(cutoff: number): void {
    for (const [uid, { last }] of this.kept) if (last < cutoff) this.kept.delete(uid);
  }
}
