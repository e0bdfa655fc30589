import { createHash } from 'node:crypto';
import { TerminalError, WaitingError } from '../../controller/errors.ts';
import type { Informer } from '../../informer/informer.ts';
import { splitKey, type KubeObject } from '../../kube/object.ts';
import { FROM_HOST_LABEL } from '../../naming/labels.ts';
import type { BuiltKind, KindSpec } from '../../sync/kind.ts';
import type { PodReference } from './reference-walker.ts';

/**
 * Whether a pod may be created on the host with one of its references, and how:
 * - `ready`: the host object under the translated name (`hostName`) is provably the copy of exactly
 *   the referenced virtual object (this virtual cluster, namespace, name and kind);
 * - `absent-optional`: an optional reference to nothing: it must point at a name nobody can take;
 * - `waiting`: the copy is not there yet (or the object is missing): create the pod later;
 * - `refused`: the name belongs to another object, or the kind is not synced: never create it.
 */
export type ReferenceVerdict =
  | { state: 'ready'; hostName: string }
  | { state: 'absent-optional' }
  | { state: 'waiting'; message: string; missing: boolean }
  | { state: 'refused'; message: string };

/**
 * How often an object naming host copies (an Ingress, a Gateway API route) waits for one that is not
 * there (per-item backoff: about 1.3 s in all) before it is synced pointing at nothing in its place;
 * the copy's arrival renames it. A copy that never comes (refused, its name held by an object the
 * syncer does not own) must not keep the rest off the host.
 */
export const WAIT_FOR_COPIES_RETRIES = 8;

/**
 * Whether an object naming host copies may still wait for one that is not there: only one not on the
 * host yet, and only for WAIT_FOR_COPIES_RETRIES. A copy on the host must not keep naming a host name
 * its object's copy left (another namespace's object could take it): it points at nothing at once.
 */
export function mayWaitForCopies(ctx: { retries: number }, current: KubeObject | undefined): boolean {
  return current === undefined && ctx.retries < WAIT_FOR_COPIES_RETRIES;
}

/** How every name absentReferenceName gives begins. */
export const ABSENT_REFERENCE_PREFIX = 'vsyncer-absent-';

/** The identity of a pod incarnation as absentReferenceName takes it (no other pod's is the same). */
export const podReferrer = (pod: {
  metadata?: { namespace?: string; name?: string; uid?: string };
}): string => `pod/${pod.metadata?.namespace}/${pod.metadata?.name}/${pod.metadata?.uid}`;

/**
 * Where an optional reference to a missing object points on the host: a name no copy of a tenant
 * object can have (copies are `<name>-x-<ns>-x-<vc>`, or cut to exactly 63 characters; this one has
 * 35), so the kubelet finds nothing there, as it would for the missing object, and nothing a tenant
 * syncs later under the ambiguous translated name reaches the pod. It is the referring object's own
 * (a digest of its identity and the reference): a host controller that makes an object of the name
 * an Ingress points at (cert-manager writes the certificate of an Ingress's TLS Secret) hands its
 * content to that Ingress only, never to another tenant's pod pointing at a shared name.
 */
export function absentReferenceName(referrer: string, reference: { kind: string; name: string }): string {
  const digest = createHash('sha256')
    .update(`${referrer}\n${reference.kind}/${reference.name}`)
    .digest('hex');
  return `${ABSENT_REFERENCE_PREFIX}${digest.slice(0, 20)}`;
}

/**
 * What the judge reads of a reference: pods' references, those of other objects (an ingress's), and
 * a pod's service account when service accounts are synced.
 */
export type JudgedReference = Pick<PodReference, 'apiGroup' | 'name' | 'optional' | 'where'> & {
  kind: PodReference['kind'] | 'ServiceAccount';
};

/** A synced kind a pod can reference: how its names map, and both caches of it. */
export interface ReferenceTarget {
  spec: KindSpec;
  host: Informer<KubeObject>;
  virtual: Informer<KubeObject>;
}

/** Whether the kind withholds the object's copy as it is now (see KindSpec.withholds); not when it cannot tell. */
function withheld(spec: KindSpec, virtual: KubeObject): boolean {
  try {
    return spec.withholds?.(virtual) === true;
  } catch {
    return false;
  }
}

/**
 * Judges a pod's references against the synced kinds. Names of host copies are ambiguous (`-x-` may
 * appear in any name, and virtual clusters share host namespaces), so a reference is only ever
 * resolved to a host object whose ownership metadata names exactly the referenced virtual object;
 * anything else, including a name nobody holds yet, is not handed to the host.
 */
export class ReferenceJudge {
  private readonly targets: ReadonlyMap<string, ReferenceTarget>;

  constructor(targets: ReadonlyMap<string, ReferenceTarget>) {
    this.targets = targets;
  }

  /** The synced kind references of this kind are judged against, if it is synced. */
  targetOf(kind: JudgedReference['kind']): ReferenceTarget | undefined {
    return this.targets.get(kind);
  }

  /** The verdict on one reference of a pod in virtual namespace ns. */
  judge(namespace: string, ref: JudgedReference): ReferenceVerdict {
    const what = describeReference(ref);
    const target = this.targets.get(ref.kind);
    if (!target || (ref.apiGroup ?? '') !== target.spec.virtualType.group) {
      return { state: 'refused', message: `${what}: objects of this kind are not synced to the host` };
    }
    const virtualKey = `${namespace}/${ref.name}`;
    const virtual = target.virtual.store.get(virtualKey);
    // A missing object reads as missing, whatever holds its host name: the tenant learns nothing of
    // objects it cannot see, and the pod gets nothing it did not name.
    if (!virtual) {
      return ref.optional
        ? { state: 'absent-optional' }
        : { state: 'waiting', message: `${what} not found`, missing: true };
    }
    const hostKey = target.spec.mapper.targetKey(virtualKey, undefined);
    const copy = hostKey ? target.host.store.get(hostKey) : undefined;
    if (!hostKey || !copy || withheld(target.spec, virtual))
      return { state: 'waiting', message: `${what}: waiting for its host copy`, missing: false };
    if (target.spec.mapper.sourceKeyOf(copy) !== virtualKey) {
      return { state: 'refused', message: `${what}: its host name is held by another object` };
    }
    const recorded = target.spec.mapper.sourceUidOf?.(copy);
    if (recorded !== undefined && recorded !== virtual.metadata?.uid) {
      return { state: 'waiting', message: `${what}: its host copy is being replaced`, missing: false };
    }
    return { state: 'ready', hostName: splitKey(hostKey).name };
  }

  /**
   * The verdict on a Secret a host controller fills (shared/filled-secrets.ts): ready once the host
   * Secret of its name is provably the copy of exactly that Secret, which the secrets kind makes
   * before the tenant's Secret exists; so the tenant's Secret need not exist. A name another object
   * holds is refused: the host's controller would write into it.
   */
  judgeFilled(namespace: string, ref: JudgedReference): ReferenceVerdict {
    const what = describeReference(ref);
    const target = this.targets.get(ref.kind);
    if (!target || (ref.apiGroup ?? '') !== target.spec.virtualType.group)
      return { state: 'refused', message: `${what}: objects of this kind are not synced to the host` };
    const virtualKey = `${namespace}/${ref.name}`;
    // A host object an admin shows the tenant (a mapped host Secret): the host's controller writing
    // the tenant's output into it would fight the replica's own sync for ever.
    if (target.virtual.store.get(virtualKey)?.metadata?.labels?.[FROM_HOST_LABEL] === 'true')
      return {
        state: 'refused',
        message: `${what}: a Secret shown from the host cluster, which no host controller may fill; name another`,
      };
    const hostKey = target.spec.mapper.targetKey(virtualKey, undefined);
    const copy = hostKey ? target.host.store.get(hostKey) : undefined;
    if (!hostKey || !copy)
      return { state: 'waiting', message: `${what}: waiting for its host Secret to be made`, missing: false };
    if (target.spec.mapper.sourceKeyOf(copy) !== virtualKey)
      return { state: 'refused', message: `${what}: its host name is held by another object` };
    // An ordinary copy of the tenant's Secret (made for a pod) is taken over first: see
    // judgeOrMakeFilled.
    if (target.spec.mapper.sourceUidOf?.(copy) !== undefined)
      return {
        state: 'waiting',
        message: `${what}: its host copy is taken over for the host's controller`,
        missing: false,
      };
    return { state: 'ready', hostName: splitKey(hostKey).name };
  }

  /** The verdict on every reference, the worst first (refused, then waiting). */
  judgeAll(
    namespace: string,
    refs: readonly PodReference[],
  ): { ref: PodReference; verdict: ReferenceVerdict }[] {
    return refs.map((ref) => ({ ref, verdict: this.judge(namespace, ref) })).sort(worstFirst);
  }
}

/** A reference and the verdict on it. */
export interface JudgedOne<R extends JudgedReference = JudgedReference> {
  ref: R;
  verdict: ReferenceVerdict;
}

const RANK = { refused: 0, waiting: 1, 'absent-optional': 2, ready: 3 } as const;
const worstFirst = (a: JudgedOne, b: JudgedOne) => RANK[a.verdict.state] - RANK[b.verdict.state];

/** How a reference reads in a message to the tenant. */
const describeReference = (ref: JudgedReference) =>
  `${ref.kind} "${ref.name}"${ref.where.volume ? ` (volume "${ref.where.volume}")` : ''}`;

/** What makes two references the same to the judge (their place in the spec does not). */
const judgedAs = (ref: JudgedReference) =>
  JSON.stringify([ref.kind, ref.apiGroup ?? '', ref.name, ref.optional]);

/**
 * The host names one judgement gave an object's references: the translation takes these and no
 * others. Judging again later could answer otherwise (a secret made or deleted meanwhile), and a
 * translation that fell back to the translated name would then hand over whatever holds it, another
 * namespace's copy included. A reference that was not judged ready or absent-optional is never
 * named: asking for it throws (waiting, or refused), as does asking for one never judged.
 */
export class JudgedNames {
  private readonly verdicts = new Map<string, JudgedOne>();
  private readonly referrer: string;

  /** `referrer` is the referring object's identity (see absentReferenceName). */
  constructor(referrer: string, judged: readonly JudgedOne[]) {
    this.referrer = referrer;
    // A reference named twice alike keeps its worse verdict.
    for (const one of [...judged].sort(worstFirst))
      if (!this.verdicts.has(judgedAs(one.ref))) this.verdicts.set(judgedAs(one.ref), one);
  }

  /** The host name a reference takes, as judged; throws for one that may not take any. */
  hostNameOf(ref: JudgedReference): string {
    const judged = this.verdicts.get(judgedAs(ref));
    if (!judged) throw new WaitingError(`${describeReference(ref)}: not judged yet`);
    const { verdict } = judged;
    switch (verdict.state) {
      case 'ready':
        return verdict.hostName;
      case 'absent-optional':
        return absentReferenceName(this.referrer, ref);
      case 'waiting':
        throw new WaitingError(verdict.message);
      case 'refused':
        throw new TerminalError(verdict.message);
    }
  }

  /**
   * The first reference judged ready that `judgeNow` no longer finds ready under the same name,
   * described; undefined while every one still is. Names are written some time after they are judged
   * (tokens are minted first, other writes go before a debug container's): by then a copy proven the
   * pod's own may have gone, and its name passed to another object's copy. Asked just before the write.
   */
  noLongerReady(judgeNow: (ref: JudgedReference) => ReferenceVerdict): string | undefined {
    for (const { ref, verdict } of this.verdicts.values()) {
      if (verdict.state !== 'ready') continue;
      const now = judgeNow(ref);
      if (now.state !== 'ready' || now.hostName !== verdict.hostName)
        return `${describeReference(ref)}: its host copy changed since it was judged`;
    }
    return undefined;
  }
}

/** The reference targets among the enabled kinds: to-host namespaced kinds, by their virtual kind. */
export function referenceTargets(
  kinds: ReadonlyMap<string, BuiltKind>,
  informerOf: (spec: KindSpec) => { host: Informer<KubeObject>; virtual: Informer<KubeObject> },
): Map<string, ReferenceTarget> {
  const out = new Map<string, ReferenceTarget>();
  for (const { spec } of kinds.values()) {
    if (spec.direction === 'from-host' || spec.replica || !spec.virtualType.namespaced) continue;
    // Kinds known only once prepared (custom resources) are never named by pods or ingresses.
    if (spec.prepare) continue;
    // Pods are not referenced by pods; everything else a pod names may be.
    if (spec.virtualType.kind === 'Pod') continue;
    out.set(spec.virtualType.kind, { spec, ...informerOf(spec) });
  }
  return out;
}
