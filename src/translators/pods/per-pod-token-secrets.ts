import { LRUCache } from 'lru-cache';
import { TerminalError, WaitingError } from '../../controller/errors.ts';
import type { Informer } from '../../informer/informer.ts';
import { isApiError, isNotFound } from '../../kube/errors.ts';
import { getIfExists } from '../../kube/get-if-exists.ts';
import type { KubeObject, OwnerReference } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import {
  MANAGED_BY_LABEL,
  OBJECT_KIND_ANNOTATION,
  OBJECT_NAME_ANNOTATION,
  OBJECT_NAMESPACE_ANNOTATION,
} from '../../naming/labels.ts';
import { hostName } from '../../naming/names.ts';
import { NAME_TAKEN_RECHECK_MS } from '../../sync/engine.ts';
import type { ReconcileContext } from '../../sync/kind.ts';
import { hostPodOwner } from './host-pod-owner.ts';
import {
  mintToken,
  refreshTime,
  tokenNeeds,
  TOKEN_EXPIRES_AT_ANNOTATION,
  TOKEN_POD_UID_ANNOTATION,
  TOKEN_REFRESH_AT_ANNOTATION,
  type PreparedTokens,
  type TokenNeed,
} from './token-requests.ts';

/**
 * The virtual pod (`<namespace>/<name>`) a per-pod token Secret was minted for: tells an earlier
 * incarnation's Secret (same pod, another UID) from another pod's under the same ambiguous host name.
 * Deliberately not vCluster's object-name annotations: a token Secret is no copy of a tenant object.
 */
export const TOKEN_POD_ANNOTATION = 'vsyncer.dev/token-pod';
/** vCluster's annotation on its per-pod token Secrets (they are never synced back). */
export const SKIP_BACKSYNC_ANNOTATION = 'vcluster.loft.sh/skip-backsync';

/**
 * vCluster's per-pod token Secret: the host name of a Secret `<pod>-sa-token` in the pod's namespace.
 * Ambiguous like every translated name (pod `q-x-r` of namespace `a` and Secret `q` of namespace
 * `r-sa-token-x-a` get the same): what holds it is judged by its metadata, never by its name.
 */
export function perPodTokenSecretName(podName: string, podNamespace: string, vcName: string): string {
  return hostName(`${podName}-sa-token`, podNamespace, vcName);
}

/**
 * A token's key in its pod's per-pod Secret: the volume's name, as vCluster keys it; a volume's
 * further tokens `<volume>.<index>` (vCluster keeps one per volume; a volume name, a DNS label, has
 * no `.`, so no other volume's key is the same).
 */
export function perPodTokenKey(volumeName: string, tokenIndex: number): string {
  return tokenIndex === 0 ? volumeName : `${volumeName}.${tokenIndex}`;
}

/**
 * How a host object under a per-pod token Secret's name stands to a pod incarnation: its own token
 * Secret; an earlier incarnation's of the same pod (same namespace and name, another UID: its host
 * pod is gone, so the Secret is the new one's to take); or anything else, which is never written to
 * nor mounted. Only metadata the syncer alone writes counts: our managed-by label, the pod and UID
 * annotations, and none of the object annotations every copy of a tenant object carries (a tenant
 * can set any annotation on its own Secret, and the copy keeps it).
 */
function perPodHolder(
  secret: KubeObject,
  vcName: string,
  virtualPod: KubeObject,
): 'own' | 'earlier-incarnation' | 'other' {
  const meta = secret.metadata ?? {};
  const annotations = meta.annotations ?? {};
  if (meta.labels?.[MANAGED_BY_LABEL] !== vcName) return 'other';
  if (
    annotations[OBJECT_NAME_ANNOTATION] !== undefined ||
    annotations[OBJECT_NAMESPACE_ANNOTATION] !== undefined ||
    annotations[OBJECT_KIND_ANNOTATION] !== undefined
  )
    return 'other';
  const pod = `${virtualPod.metadata?.namespace}/${virtualPod.metadata?.name}`;
  const uid = annotations[TOKEN_POD_UID_ANNOTATION];
  if (annotations[TOKEN_POD_ANNOTATION] !== pod || !uid) return 'other';
  return uid === virtualPod.metadata?.uid ? 'own' : 'earlier-incarnation';
}

/** Why a pod is not synced when its per-pod token Secret's host name is held (said to the tenant). */
const PER_POD_NAME_TAKEN =
  "the host name of the pod's service-account token Secret (<pod>-sa-token) is held by another object, such as the copy of a Secret of another namespace whose host name is the same; the pod is not synced until that object is gone (or rename the pod)";

/** The ownerReferences a per-pod Secret keeps when rewritten with no host pod yet: none of a pod. */
const ownersWithoutPods = (secret: KubeObject | undefined) =>
  (secret?.metadata?.ownerReferences ?? []).filter((o) => o.kind !== 'Pod');

/**
 * --pod-token-secrets per-pod: a pod's tokens in one host Secret, named and keyed as vCluster's
 * sync.toHost.pods.useSecretsForSATokens names them, written before the host pod is created and owned
 * by it once it exists (the host's garbage collector removes it with the pod). Whatever holds the name
 * without being this pod incarnation's Secret is never written to nor mounted: the pod is refused.
 */
export class PerPodTokenSecrets {
  private readonly hostSecrets: Informer<KubeObject>;
  /**
   * Per-pod Secrets as our last write left them, by `namespace/name`: the cache may not show a write
   * yet, and the next (the owner set once the host pod exists) needs its resourceVersion.
   */
  private readonly written = new LRUCache<string, KubeObject>({ maxSize: 10_000, sizeCalculation: () => 1 });

  constructor(hostSecrets: Informer<KubeObject>) {
    this.hostSecrets = hostSecrets;
  }

  /** Every token of a new pod in its one Secret, written before the pod. */
  async prepare(ctx: ReconcileContext, virtualPod: KubeObject): Promise<PreparedTokens> {
    const needs = tokenNeeds(virtualPod);
    const name = perPodTokenSecretName(virtualPod.metadata?.name ?? '', ctx.virtualNamespace, ctx.vcName);
    const keys = new Set(needs.map((need) => perPodTokenKey(need.volumeName, need.tokenIndex)));
    const refreshAt = needs.length ? await this.write(ctx, virtualPod, undefined, needs, name) : undefined;
    return {
      sourceFor(volumeName, tokenIndex) {
        const key = perPodTokenKey(volumeName, tokenIndex);
        if (!keys.has(key)) throw new Error(`no token prepared for volume ${volumeName} (${tokenIndex})`);
        return { name, key };
      },
      nextCheckMs: refreshAt === undefined ? undefined : Math.max(1000, refreshAt - ctx.clock.now()),
    };
  }

  /**
   * Gives a per-pod Secret its host pod as owner, once the pod exists: the host's garbage collector
   * then removes it with the pod. Best effort: the running pod's next reconcile (ensure) does it too.
   */
  async adopt(ctx: ReconcileContext, virtualPod: KubeObject, hostPod: KubeObject): Promise<boolean> {
    if (!tokenNeeds(virtualPod).length) return false;
    const name = perPodTokenSecretName(virtualPod.metadata?.name ?? '', ctx.virtualNamespace, ctx.vcName);
    try {
      return await this.setOwner(ctx, virtualPod, hostPod, name);
    } catch (err) {
      ctx.log.info('could not give the token Secret its host pod as owner yet; the next reconcile will', {
        error: String(err),
      });
      return false;
    }
  }

  /**
   * A running pod's per-pod Secret: all its tokens renewed together once the first is due (one write),
   * its host pod made its owner if it is not yet, and made again if it went missing.
   */
  async ensure(
    ctx: ReconcileContext,
    virtualPod: KubeObject,
    hostPod: KubeObject,
    needs: TokenNeed[],
    name: string,
    now: number,
  ): Promise<{ wrote: boolean; nextCheckMs: number }> {
    const existing = this.latest(ctx, name);
    const holder = existing && perPodHolder(existing, ctx.vcName, virtualPod);
    if (holder === 'other')
      throw new TerminalError(PER_POD_NAME_TAKEN, 'SyncError', { retryAfterMs: NAME_TAKEN_RECHECK_MS });
    const refreshAt = Number(existing?.metadata?.annotations?.[TOKEN_REFRESH_AT_ANNOTATION] ?? 0);
    const data = (existing?.data ?? {}) as Record<string, string>;
    const complete = needs.every((need) => data[perPodTokenKey(need.volumeName, need.tokenIndex)]);
    if (holder === 'own' && complete && refreshAt > now) {
      const owned = await this.setOwner(ctx, virtualPod, hostPod, name);
      return { wrote: owned, nextCheckMs: refreshAt - now };
    }
    const next = await this.write(ctx, virtualPod, hostPod, needs, name);
    return { wrote: true, nextCheckMs: next - ctx.clock.now() };
  }

  /** The per-pod Secret as last known: the cache's, or our own later write the cache has not shown yet. */
  private latest(ctx: ReconcileContext, name: string): KubeObject | undefined {
    const key = `${ctx.hostNamespace}/${name}`;
    const cached = this.hostSecrets.store.get(key);
    const mine = this.written.get(key);
    if (!mine) return cached;
    if (!cached) return mine;
    const newer =
      cached.metadata?.uid === mine.metadata?.uid &&
      Number(mine.metadata?.resourceVersion) > Number(cached.metadata?.resourceVersion);
    if (newer) return mine;
    this.written.delete(key);
    return cached;
  }

  /** Makes the host pod the owner of its per-pod Secret, if it is not; whether that wrote. */
  private async setOwner(
    ctx: ReconcileContext,
    virtualPod: KubeObject,
    hostPod: KubeObject,
    name: string,
  ): Promise<boolean> {
    const existing = this.latest(ctx, name);
    if (!existing || perPodHolder(existing, ctx.vcName, virtualPod) !== 'own') return false;
    const hostPodUid = hostPod.metadata?.uid;
    if (!hostPodUid || existing.metadata?.ownerReferences?.some((o) => o.uid === hostPodUid)) return false;
    await this.put(ctx, name, {
      ...existing,
      metadata: { ...existing.metadata, ownerReferences: [hostPodOwner(hostPod)] },
    });
    return true;
  }

  /**
   * Mints every token of `needs` and writes them to the pod's per-pod Secret, owned by `hostPod` (none
   * before it exists), after proving that what holds the name is this pod's; returns when to renew.
   */
  private async write(
    ctx: ReconcileContext,
    virtualPod: KubeObject,
    hostPod: KubeObject | undefined,
    needs: TokenNeed[],
    name: string,
  ): Promise<number> {
    // Judged before minting: a pod whose Secret name is held gets no token at all.
    let existing = this.latest(ctx, name);
    if (existing && perPodHolder(existing, ctx.vcName, virtualPod) === 'other')
      throw new TerminalError(PER_POD_NAME_TAKEN, 'SyncError', { retryAfterMs: NAME_TAKEN_RECHECK_MS });
    const now = ctx.clock.now();
    const minted = await Promise.all(needs.map((need) => mintToken(ctx, virtualPod, need)));
    const expiresAt = Math.min(...minted.map((m) => m.expiresAt));
    const refreshAt = refreshTime(now, expiresAt);
    const data = Object.fromEntries(
      needs.map((need, i) => [
        perPodTokenKey(need.volumeName, need.tokenIndex),
        Buffer.from(minted[i]!.token).toString('base64'),
      ]),
    );
    const secret = (ownerReferences: OwnerReference[]): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name,
        namespace: ctx.hostNamespace,
        labels: { [MANAGED_BY_LABEL]: ctx.vcName },
        annotations: {
          [SKIP_BACKSYNC_ANNOTATION]: 'true',
          [TOKEN_POD_ANNOTATION]: `${virtualPod.metadata?.namespace}/${virtualPod.metadata?.name}`,
          [TOKEN_POD_UID_ANNOTATION]: virtualPod.metadata?.uid ?? '',
          [TOKEN_REFRESH_AT_ANNOTATION]: String(refreshAt),
          [TOKEN_EXPIRES_AT_ANNOTATION]: new Date(expiresAt).toISOString(),
        },
        ...(ownerReferences.length ? { ownerReferences } : {}),
      },
      type: 'Opaque',
      data,
    });
    if (!existing) {
      try {
        const created = await ctx.host.create<KubeObject>(
          Resources.secrets,
          ctx.hostNamespace,
          secret(hostPod ? [hostPodOwner(hostPod)] : []),
        );
        this.written.set(`${ctx.hostNamespace}/${name}`, created);
        return refreshAt;
      } catch (err) {
        if (!isApiError(err, 'alreadyExists')) throw err;
      }
      // Not in our cache, yet there (not ours, or not seen yet): judged as it is.
      existing = await getIfExists(ctx.host, Resources.secrets, ctx.hostNamespace, name);
      if (!existing)
        throw new WaitingError("the pod's token Secret was deleted while it was written; writing it again");
      if (perPodHolder(existing, ctx.vcName, virtualPod) === 'other')
        throw new TerminalError(PER_POD_NAME_TAKEN, 'SyncError', { retryAfterMs: NAME_TAKEN_RECHECK_MS });
    }
    // This pod's own Secret, or its earlier incarnation's (whose host pod is gone): rewritten, its
    // owner the host pod (or, before that exists, no pod: an earlier pod's would take it away).
    const owners = hostPod ? [hostPodOwner(hostPod)] : ownersWithoutPods(existing);
    const body = secret(owners);
    await this.put(ctx, name, {
      ...body,
      metadata: {
        ...body.metadata,
        uid: existing.metadata?.uid,
        resourceVersion: existing.metadata?.resourceVersion,
      },
    });
    return refreshAt;
  }

  /** Updates a per-pod Secret (with the resourceVersion it was read at) and remembers the result. */
  private async put(ctx: ReconcileContext, name: string, secret: KubeObject): Promise<void> {
    const key = `${ctx.hostNamespace}/${name}`;
    try {
      this.written.set(key, await ctx.host.update<KubeObject>(Resources.secrets, ctx.hostNamespace, secret));
    } catch (err) {
      // Gone (its earlier host pod's garbage collection, say) or changed since read: read again.
      this.written.delete(key);
      if (isNotFound(err))
        throw new WaitingError("the pod's token Secret went while it was written; writing it again");
      throw err;
    }
  }
}
