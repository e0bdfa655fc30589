import { createHash } from 'node:crypto';
import type { Informer } from '../../informer/informer.ts';
import { isApiError } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { MANAGED_BY_LABEL } from '../../naming/labels.ts';
import { safeConcatName } from '../../naming/safe-concat.ts';
import type { ReconcileContext } from '../../sync/kind.ts';
import { hostPodOwner } from './host-pod-owner.ts';
import { PerPodTokenSecrets, perPodTokenKey, perPodTokenSecretName } from './per-pod-token-secrets.ts';
import {
  bundlePrefix,
  tokenKey,
  type TokenBundles,
  type TokenSlot,
  type TokenWrite,
} from './token-bundles.ts';
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

export const TOKEN_KEY = 'token';
/**
 * Where new pods' tokens go (--pod-token-secrets): shared bundles (token-bundles.ts), or one Secret
 * per pod as vCluster's sync.toHost.pods.useSecretsForSATokens makes it.
 */
export const POD_TOKEN_SECRET_MODES = ['bundled', 'per-pod'] as const;
export type PodTokenSecretMode = (typeof POD_TOKEN_SECRET_MODES)[number];

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

/** A token secret's name is held by something that is not this pod's token: the pod must not run with it. */
export class TokenSecretTakenError extends Error {}

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
  private readonly perPod: PerPodTokenSecrets;

  constructor(
    hostSecrets: Informer<KubeObject>,
    bundles: TokenBundles,
    mode: PodTokenSecretMode = 'bundled',
  ) {
    this.hostSecrets = hostSecrets;
    this.bundles = bundles;
    this.mode = mode;
    this.perPod = new PerPodTokenSecrets(hostSecrets);
  }

  /** Mints every token a new pod needs into bundles (or its per-pod Secret), before its host pod exists. */
  async prepare(ctx: ReconcileContext, virtualPod: KubeObject): Promise<PreparedTokens> {
    if (this.mode === 'per-pod') return this.perPod.prepare(ctx, virtualPod);
    const now = ctx.clock.now();
    const uid = virtualPod.metadata?.uid ?? '';
    const needs = tokenNeeds(virtualPod);
    const slots = new Map<string, TokenSlot>();
    for (const need of needs)
      slots.set(
        `${need.volumeName}/${need.tokenIndex}`,
        this.bundles.slotFor(tokenKey(uid, need.volumeName, need.tokenIndex)),
      );
    const minted = await Promise.all(needs.map((need) => mintToken(ctx, virtualPod, need)));
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

  /**
   * Gives a per-pod Secret its host pod as owner, once the pod exists (per-pod mode only): the host's
   * garbage collector then removes it with the pod.
   */
  adopt(ctx: ReconcileContext, virtualPod: KubeObject, hostPod: KubeObject): Promise<boolean> {
    if (this.mode !== 'per-pod') return Promise.resolve(false);
    return this.perPod.adopt(ctx, virtualPod, hostPod);
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
        const minted = await mintToken(ctx, virtualPod, need);
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
      const perPod = await this.perPod.ensure(ctx, virtualPod, hostPod, perPodNeeds, perPodName, now);
      if (perPod.wrote) wrote = true;
      next = Math.min(next ?? Infinity, perPod.nextCheckMs);
    }
    return { wrote, nextCheckMs: next === undefined ? undefined : Math.max(1000, next) };
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
    const minted = await mintToken(ctx, virtualPod, need);
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
        ownerReferences: [hostPodOwner(hostPod)],
      },
      type: 'Opaque',
      data: { [TOKEN_KEY]: Buffer.from(token).toString('base64') },
    };
  }
}
