import { createHash } from 'node:crypto';
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
import { safeConcatName } from '../../naming/safe-concat.ts';
import { NAME_TAKEN_RECHECK_MS } from '../../sync/engine.ts';
import type { ReconcileContext } from '../../sync/kind.ts';
import {
  bundlePrefix,
  tokenKey,
  type TokenBundles,
  type TokenSlot,
  type TokenWrite,
} from './token-bundles.ts';

export const TOKEN_REFRESH_AT_ANNOTATION = 'vsyncer.dev/token-refresh-at';
export const TOKEN_EXPIRES_AT_ANNOTATION = 'vsyncer.dev/token-expires-at';
export const TOKEN_KEY = 'token';
/** The virtual pod incarnation a token secret was minted for. */
export const TOKEN_POD_UID_ANNOTATION = 'vsyncer.dev/token-pod-uid';
/**
 * The virtual pod (`<namespace>/<name>`) a per-pod token Secret was minted for: tells an earlier
 * incarnation's Secret (same pod, another UID) from another pod's under the same ambiguous host name.
 * Deliberately not vCluster's object-name annotations: a token Secret is no copy of a tenant object.
 */
export const TOKEN_POD_ANNOTATION = 'vsyncer.dev/token-pod';
/** vCluster's annotation on its per-pod token Secrets (they are never synced back). */
export const SKIP_BACKSYNC_ANNOTATION = 'vcluster.loft.sh/skip-backsync';

/**
 * Where new pods' tokens go (--pod-token-secrets): shared bundles (token-bundles.ts), or one Secret
 * per pod as vCluster's sync.toHost.pods.useSecretsForSATokens makes it.
 */
export const POD_TOKEN_SECRET_MODES = ['bundled', 'per-pod'] as const;
export type PodTokenSecretMode = (typeof POD_TOKEN_SECRET_MODES)[number];

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

/** The kubelet's default lifetime for projected tokens. */
const DEFAULT_EXPIRATION_SECONDS = 3600;

/** One projected service-account token a pod asks for: one serviceAccountToken source of one volume. */
export interface TokenNeed {
  volumeName: string;
  /**
   * Which token source of the volume this is, counting only serviceAccountToken sources (0 for the
   * first). Counting tokens rather than all sources keeps the first token of every volume on the host
   * secret name it had when only one token per volume was supported, wherever it sits in `sources`.
   */
  tokenIndex: number;
  audience?: string;
  expirationSeconds: number;
}

interface ProjectedSource {
  serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string };
}

/**
 * The projected service-account tokens in a virtual pod's volumes: one per serviceAccountToken
 * source, so several tokens in one volume each keep their own audience and lifetime.
 */
export function tokenNeeds(pod: KubeObject): TokenNeed[] {
  const volumes =
    (pod.spec as { volumes?: { name: string; projected?: { sources?: ProjectedSource[] } }[] } | undefined)
      ?.volumes ?? [];
  const needs: TokenNeed[] = [];
  for (const volume of volumes) {
    const tokens = (volume.projected?.sources ?? []).flatMap((s) =>
      s.serviceAccountToken ? [s.serviceAccountToken] : [],
    );
    tokens.forEach((source, tokenIndex) =>
      needs.push({
        volumeName: volume.name,
        tokenIndex,
        audience: source.audience,
        expirationSeconds: source.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS,
      }),
    );
  }
  return needs;
}

/**
 * The host secret holding one projected token of one incarnation of a virtual pod:
 * `vsyncer-token-<hash>` of the pod's UID, the volume and the token's index among the volume's
 * serviceAccountToken sources. Copies of tenant objects are named `<name>-x-<ns>-x-<vc>` (or cut to
 * 63 characters with a hash), so this name, 46 characters with no `-x-`, can never be the host name
 * of a tenant's Secret: no tenant can place content where a pod reads its token, or read a token
 * through a Secret of its own.
 */
export function tokenSecretName(virtualPodUid: string, volumeName: string, tokenIndex: number): string {
  const digest = createHash('sha256').update(`${virtualPodUid}/${volumeName}/${tokenIndex}`).digest('hex');
  return `vsyncer-token-${digest.slice(0, 32)}`;
}

/**
 * The name host pods made before the hashed names mounted (`<host pod>-token-<volume>[.<index>]`).
 * Their volumes cannot change, so their tokens keep being renewed under it.
 */
export function legacyTokenSecretName(hostPodName: string, volumeName: string, tokenIndex: number): string {
  return tokenIndex === 0
    ? safeConcatName(hostPodName, 'token', volumeName)
    : safeConcatName(hostPodName, 'token', `${volumeName}.${tokenIndex}`);
}

interface HostVolume {
  name: string;
  projected?: { sources?: { secret?: { name?: string; items?: { key?: string }[] } }[] };
}
const hostVolumes = (hostPod: KubeObject): HostVolume[] =>
  (hostPod.spec as { volumes?: HostVolume[] } | undefined)?.volumes ?? [];

/** The secret names a host pod's volumes mount, so a running pod's token goes where it reads it. */
function mountedSecretNames(hostPod: KubeObject): Set<string> {
  return new Set(
    hostVolumes(hostPod)
      .flatMap((v) => v.projected?.sources ?? [])
      .flatMap((s) => (s.secret?.name ? [s.secret.name] : [])),
  );
}

/** The bundle keys a host pod mounts (this virtual cluster's bundles only). */
export function bundleSlotsOf(hostPod: KubeObject, vcName: string): TokenSlot[] {
  const prefix = bundlePrefix(vcName);
  return hostVolumes(hostPod)
    .flatMap((v) => v.projected?.sources ?? [])
    .flatMap((s) =>
      s.secret?.name?.startsWith(prefix)
        ? (s.secret.items ?? []).flatMap((i) => (i.key ? [{ secretName: s.secret!.name!, key: i.key }] : []))
        : [],
    );
}

/** Where a running host pod reads one of its tokens, and what kind of Secret holds it. */
export interface MountedTokenSource {
  name: string;
  key: string;
  /** A key of a shared bundle (token-bundles.ts). */
  bundled: boolean;
  /** A key of the pod's per-pod Secret (vCluster's `<pod>-sa-token`). */
  perPod?: boolean;
}

/**
 * Where a running host pod reads one of its tokens: the bundle key it mounts, the key of its per-pod
 * Secret (`perPodName`, when it mounts that), or (pods made before bundles) its own secret under the
 * hashed or the legacy name, key `token`. A pod keeps reading where it was made to, whatever
 * --pod-token-secrets says now.
 */
export function mountedTokenSource(
  hostPod: KubeObject,
  hostPodName: string,
  virtualPodUid: string,
  volumeName: string,
  tokenIndex: number,
  perPodName?: string,
): MountedTokenSource {
  const key = tokenKey(virtualPodUid, volumeName, tokenIndex);
  const volume = hostVolumes(hostPod).find((v) => v.name === volumeName);
  for (const source of volume?.projected?.sources ?? []) {
    if (source.secret?.name && source.secret.items?.some((i) => i.key === key))
      return { name: source.secret.name, key, bundled: true };
  }
  if (perPodName) {
    const perPodKey = perPodTokenKey(volumeName, tokenIndex);
    for (const source of volume?.projected?.sources ?? []) {
      if (source.secret?.name === perPodName && source.secret.items?.some((i) => i.key === perPodKey))
        return { name: perPodName, key: perPodKey, bundled: false, perPod: true };
    }
  }
  const legacy = legacyTokenSecretName(hostPodName, volumeName, tokenIndex);
  const name = mountedSecretNames(hostPod).has(legacy)
    ? legacy
    : tokenSecretName(virtualPodUid, volumeName, tokenIndex);
  return { name, key: TOKEN_KEY, bundled: false };
}

/** A token secret is ours for this pod only if it says so: managed by us and minted for this incarnation. */
function isTokenSecretOf(
  secret: KubeObject,
  vcName: string,
  virtualPodUid: string,
  hostPodUid: string | undefined,
): boolean {
  const meta = secret.metadata ?? {};
  if (meta.labels?.[MANAGED_BY_LABEL] !== vcName) return false;
  if (meta.annotations?.[TOKEN_POD_UID_ANNOTATION] === virtualPodUid) return true;
  // Secrets written before the annotation existed are recognised by their owner, the host pod.
  return hostPodUid !== undefined && (meta.ownerReferences ?? []).some((o) => o.uid === hostPodUid);
}

/**
 * The largest token the syncer stores. A bound service-account token is about 1 KiB (more with a long
 * audience); a full bundle of BUNDLE_CAPACITY tokens this size stays below a Secret's 1 MiB.
 */
export const MAX_TOKEN_BYTES = 4096;

/** A token secret's name is held by something that is not this pod's token: the pod must not run with it. */
export class TokenSecretTakenError extends Error {}

/** When to renew: after 80% of the token's life, as the kubelet does for projected tokens. */
export function refreshTime(issuedAtMs: number, expiresAtMs: number): number {
  return issuedAtMs + Math.floor((expiresAtMs - issuedAtMs) * 0.8);
}

/** Where a new pod's tokens went, for the host pod's volumes, and when to renew them. */
export interface PreparedTokens {
  sourceFor(volumeName: string, tokenIndex: number): { name: string; key: string };
  nextCheckMs?: number;
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
 * Keeps each projected token of a host pod minted by the *virtual* API server (TokenRequest bound
 * to the virtual pod), so workloads authenticate to their virtual cluster and never hold a host
 * credential. New pods' tokens go into shared token bundles (token-bundles.ts) or, with
 * --pod-token-secrets per-pod, into one Secret per pod named as vCluster names it; either way they are
 * written before the host pod is created, so that it starts with its token. A per-pod Secret is
 * owned by its host pod once that exists (the host's garbage collector removes it with the pod). Pods
 * made before bundles keep their own secrets (owned by the host pod). Every pod's tokens are renewed
 * where it reads them, whatever the mode is now; the reconcile is requeued for the next renewal.
 */
export class PodTokens {
  private readonly hostSecrets: Informer<KubeObject>;
  private readonly bundles: TokenBundles;
  private readonly mode: PodTokenSecretMode;
  /**
   * Per-pod Secrets as our last write left them, by `namespace/name`: the cache may not show a write
   * yet, and the next (the owner set once the host pod exists) needs its resourceVersion.
   */
  private readonly written = new LRUCache<string, KubeObject>({ maxSize: 10_000, sizeCalculation: () => 1 });

  constructor(
    hostSecrets: Informer<KubeObject>,
    bundles: TokenBundles,
    mode: PodTokenSecretMode = 'bundled',
  ) {
    this.hostSecrets = hostSecrets;
    this.bundles = bundles;
    this.mode = mode;
  }

  /** Mints every token a new pod needs into bundles (or its per-pod Secret), before its host pod exists. */
  async prepare(ctx: ReconcileContext, virtualPod: KubeObject): Promise<PreparedTokens> {
    if (this.mode === 'per-pod') return this.preparePerPod(ctx, virtualPod);
    const now = ctx.clock.now();
    const uid = virtualPod.metadata?.uid ?? '';
    const needs = tokenNeeds(virtualPod);
    const slots = new Map<string, TokenSlot>();
    for (const need of needs)
      slots.set(
        `${need.volumeName}/${need.tokenIndex}`,
        this.bundles.slotFor(tokenKey(uid, need.volumeName, need.tokenIndex)),
      );
    const minted = await Promise.all(needs.map((need) => this.mint(ctx, virtualPod, need)));
    const writes: TokenWrite[] = needs.map((need, i) => ({
      slot: slots.get(`${need.volumeName}/${need.tokenIndex}`)!,
      token: minted[i]!.token,
      issuedAt: now,
      refreshAt: refreshTime(now, minted[i]!.expiresAt),
    }));
    await this.bundles.put(writes);
    const next = Math.min(...writes.map((w) => w.refreshAt - now));
    return {
      sourceFor(volumeName, tokenIndex) {
        const slot = slots.get(`${volumeName}/${tokenIndex}`);
        if (!slot) throw new Error(`no token prepared for volume ${volumeName} (${tokenIndex})`);
        return { name: slot.secretName, key: slot.key };
      },
      nextCheckMs: writes.length ? Math.max(1000, next) : undefined,
    };
  }

  /** The per-pod mode's prepare: every token of the pod in its one Secret, written before the pod. */
  private async preparePerPod(ctx: ReconcileContext, virtualPod: KubeObject): Promise<PreparedTokens> {
    const needs = tokenNeeds(virtualPod);
    const name = perPodTokenSecretName(virtualPod.metadata?.name ?? '', ctx.virtualNamespace, ctx.vcName);
    const keys = new Set(needs.map((need) => perPodTokenKey(need.volumeName, need.tokenIndex)));
    const refreshAt = needs.length
      ? await this.writePerPod(ctx, virtualPod, undefined, needs, name)
      : undefined;
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
    if (this.mode !== 'per-pod' || !tokenNeeds(virtualPod).length) return false;
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

  /** Mints or renews what is due for a running pod; returns whether it wrote and when to look again. */
  async ensure(
    ctx: ReconcileContext,
    virtualPod: KubeObject,
    hostPod: KubeObject,
  ): Promise<{ wrote: boolean; nextCheckMs?: number }> {
    const now = ctx.clock.now();
    let wrote = false;
    let next: number | undefined;
    const virtualUid = virtualPod.metadata?.uid ?? '';
    const renewals: TokenWrite[] = [];
    const perPodName = perPodTokenSecretName(
      virtualPod.metadata?.name ?? '',
      ctx.virtualNamespace,
      ctx.vcName,
    );
    const perPodNeeds: TokenNeed[] = [];
    for (const need of tokenNeeds(virtualPod)) {
      const source = mountedTokenSource(
        hostPod,
        ctx.hostName,
        virtualUid,
        need.volumeName,
        need.tokenIndex,
        perPodName,
      );
      if (source.perPod) {
        perPodNeeds.push(need);
        continue;
      }
      if (source.bundled) {
        const slot = { secretName: source.name, key: source.key };
        const times = this.bundles.timesOf(slot);
        if (times && times.refreshAt > now) {
          next = Math.min(next ?? Infinity, times.refreshAt - now);
          continue;
        }
        const minted = await this.mint(ctx, virtualPod, need);
        const refreshAt = refreshTime(now, minted.expiresAt);
        renewals.push({ slot, token: minted.token, issuedAt: now, refreshAt });
        next = Math.min(next ?? Infinity, refreshAt - now);
        continue;
      }
      const renewed = await this.ensureOwnSecret(ctx, virtualPod, hostPod, need, source.name, now);
      if (renewed.wrote) wrote = true;
      next = Math.min(next ?? Infinity, renewed.nextCheckMs);
    }
    if (renewals.length) {
      await this.bundles.put(renewals);
      wrote = true;
    }
    if (perPodNeeds.length) {
      const perPod = await this.ensurePerPod(ctx, virtualPod, hostPod, perPodNeeds, perPodName, now);
      if (perPod.wrote) wrote = true;
      next = Math.min(next ?? Infinity, perPod.nextCheckMs);
    }
    return { wrote, nextCheckMs: next === undefined ? undefined : Math.max(1000, next) };
  }

  /**
   * A running pod's per-pod Secret: all its tokens renewed together once the first is due (one write),
   * its host pod made its owner if it is not yet, and made again if it went missing.
   */
  private async ensurePerPod(
    ctx: ReconcileContext,
    virtualPod: KubeObject,
    hostPod: KubeObject,
    needs: TokenNeed[],
    name: string,
    now: number,
  ): Promise<{ wrote: boolean; nextCheckMs: number }> {
    const existing = this.latestPerPod(ctx, name);
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
    const next = await this.writePerPod(ctx, virtualPod, hostPod, needs, name);
    return { wrote: true, nextCheckMs: next - ctx.clock.now() };
  }

  /** The per-pod Secret as last known: the cache's, or our own later write the cache has not shown yet. */
  private latestPerPod(ctx: ReconcileContext, name: string): KubeObject | undefined {
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
    const existing = this.latestPerPod(ctx, name);
    if (!existing || perPodHolder(existing, ctx.vcName, virtualPod) !== 'own') return false;
    const hostPodUid = hostPod.metadata?.uid;
    if (!hostPodUid || existing.metadata?.ownerReferences?.some((o) => o.uid === hostPodUid)) return false;
    await this.putPerPod(ctx, name, {
      ...existing,
      metadata: { ...existing.metadata, ownerReferences: [podOwner(hostPod)] },
    });
    return true;
  }

  /**
   * Mints every token of `needs` and writes them to the pod's per-pod Secret, owned by `hostPod` (none
   * before it exists), after proving that what holds the name is this pod's; returns when to renew.
   */
  private async writePerPod(
    ctx: ReconcileContext,
    virtualPod: KubeObject,
    hostPod: KubeObject | undefined,
    needs: TokenNeed[],
    name: string,
  ): Promise<number> {
    // Judged before minting: a pod whose Secret name is held gets no token at all.
    let existing = this.latestPerPod(ctx, name);
    if (existing && perPodHolder(existing, ctx.vcName, virtualPod) === 'other')
      throw new TerminalError(PER_POD_NAME_TAKEN, 'SyncError', { retryAfterMs: NAME_TAKEN_RECHECK_MS });
    const now = ctx.clock.now();
    const minted = await Promise.all(needs.map((need) => this.mint(ctx, virtualPod, need)));
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
          secret(hostPod ? [podOwner(hostPod)] : []),
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
    const owners = hostPod ? [podOwner(hostPod)] : ownersWithoutPods(existing);
    const body = secret(owners);
    await this.putPerPod(ctx, name, {
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
  private async putPerPod(ctx: ReconcileContext, name: string, secret: KubeObject): Promise<void> {
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

  /** A token in the pod's own secret (pods made before bundles): renewed there, where the pod reads it. */
  private async ensureOwnSecret(
    ctx: ReconcileContext,
    virtualPod: KubeObject,
    hostPod: KubeObject,
    need: TokenNeed,
    name: string,
    now: number,
  ): Promise<{ wrote: boolean; nextCheckMs: number }> {
    const virtualUid = virtualPod.metadata?.uid ?? '';
    const existing = this.hostSecrets.store.get(`${ctx.hostNamespace}/${name}`);
    if (existing && !isTokenSecretOf(existing, ctx.vcName, virtualUid, hostPod.metadata?.uid)) {
      throw new TokenSecretTakenError(
        `the host secret for the token of volume "${need.volumeName}" is held by another object`,
      );
    }
    const refreshAt = Number(existing?.metadata?.annotations?.[TOKEN_REFRESH_AT_ANNOTATION] ?? 0);
    // A secret still owned by an earlier host pod would be garbage-collected with it: write it again.
    const ownedByThisHostPod = existing?.metadata?.ownerReferences?.some(
      (o) => o.uid === hostPod.metadata?.uid,
    );
    if (existing && ownedByThisHostPod && refreshAt > now)
      return { wrote: false, nextCheckMs: refreshAt - now };
    const minted = await this.mint(ctx, virtualPod, need);
    const secret = this.secretFor(ctx, name, hostPod, virtualUid, minted.token, now, minted.expiresAt);
    if (existing) {
      await ctx.host.update(Resources.secrets, ctx.hostNamespace, {
        ...secret,
        metadata: { ...secret.metadata, resourceVersion: existing.metadata?.resourceVersion },
      });
    } else {
      try {
        await ctx.host.create(Resources.secrets, ctx.hostNamespace, secret);
      } catch (err) {
        // Not in our cache, yet there: someone else's object has the name.
        if (isApiError(err, 'alreadyExists'))
          throw new TokenSecretTakenError(
            `the host secret for the token of volume "${need.volumeName}" is held by another object`,
          );
        throw err;
      }
    }
    return { wrote: true, nextCheckMs: refreshTime(now, minted.expiresAt) - now };
  }

  private async mint(
    ctx: ReconcileContext,
    virtualPod: KubeObject,
    need: TokenNeed,
  ): Promise<{ token: string; expiresAt: number }> {
    const serviceAccount =
      (virtualPod.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName || 'default';
    const request = await ctx.virtual.create<KubeObject>(
      Resources.serviceAccounts,
      ctx.virtualNamespace,
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: need.audience ? [need.audience] : [],
          expirationSeconds: need.expirationSeconds,
          boundObjectRef: {
            apiVersion: 'v1',
            kind: 'Pod',
            name: virtualPod.metadata?.name,
            uid: virtualPod.metadata?.uid,
          },
        },
      },
      { subresource: 'token', name: serviceAccount },
    );
    const status = (request.status ?? {}) as { token?: string; expirationTimestamp?: string };
    const expiresAt = Date.parse(status.expirationTimestamp ?? '');
    if (!status.token || Number.isNaN(expiresAt))
      throw new Error(`TokenRequest for service account ${serviceAccount} returned no token`);
    if (status.token.length > MAX_TOKEN_BYTES)
      // Tokens share host Secrets (token-bundles.ts), which hold 1 MiB: one this size would fill a
      // bundle and fail the writes of every pod's token after it.
      throw new TerminalError(
        `the token for service account ${serviceAccount} is ${status.token.length} bytes (its audience has ${need.audience?.length ?? 0} characters); tokens over ${MAX_TOKEN_BYTES} bytes are not synced`,
      );
    return { token: status.token, expiresAt };
  }

  private secretFor(
    ctx: ReconcileContext,
    name: string,
    hostPod: KubeObject,
    virtualPodUid: string,
    token: string,
    issuedAt: number,
    expiresAt: number,
  ): KubeObject {
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name,
        namespace: ctx.hostNamespace,
        labels: { [MANAGED_BY_LABEL]: ctx.vcName },
        annotations: {
          [TOKEN_POD_UID_ANNOTATION]: virtualPodUid,
          [TOKEN_REFRESH_AT_ANNOTATION]: String(refreshTime(issuedAt, expiresAt)),
          [TOKEN_EXPIRES_AT_ANNOTATION]: new Date(expiresAt).toISOString(),
        },
        ownerReferences: [podOwner(hostPod)],
      },
      type: 'Opaque',
      data: { [TOKEN_KEY]: Buffer.from(token).toString('base64') },
    };
  }
}

/** An ownerReference to a host pod, so the host's garbage collector removes what it owns with it. */
function podOwner(hostPod: KubeObject): OwnerReference {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    name: hostPod.metadata?.name ?? '',
    uid: hostPod.metadata?.uid ?? '',
  };
}
