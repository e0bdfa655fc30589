import { createHash } from 'node:crypto';
import { TerminalError } from '../../controller/errors.ts';
import type { Informer } from '../../informer/informer.ts';
import { isApiError } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { MANAGED_BY_LABEL } from '../../naming/labels.ts';
import { safeConcatName } from '../../naming/safe-concat.ts';
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

/**
 * Where a running host pod reads one of its tokens: the bundle key it mounts, or (pods made before
 * bundles) its own secret under the hashed or the legacy name, key `token`.
 */
export function mountedTokenSource(
  hostPod: KubeObject,
  hostPodName: string,
  virtualPodUid: string,
  volumeName: string,
  tokenIndex: number,
): { name: string; key: string; bundled: boolean } {
  const key = tokenKey(virtualPodUid, volumeName, tokenIndex);
  const volume = hostVolumes(hostPod).find((v) => v.name === volumeName);
  for (const source of volume?.projected?.sources ?? []) {
    if (source.secret?.name && source.secret.items?.some((i) => i.key === key))
      return { name: source.secret.name, key, bundled: true };
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
 * Keeps each projected token of a host pod minted by the *virtual* API server (TokenRequest bound
 * to the virtual pod), so workloads authenticate to their virtual cluster and never hold a host
 * credential. New pods' tokens go into shared token bundles (token-bundles.ts), written before the
 * host pod is created so that it starts with its token; pods made before bundles keep their own
 * secrets (owned by the host pod). Tokens are renewed before expiry; the reconcile is requeued for
 * the next renewal.
 */
export class PodTokens {
  private readonly hostSecrets: Informer<KubeObject>;
  private readonly bundles: TokenBundles;

  constructor(hostSecrets: Informer<KubeObject>, bundles: TokenBundles) {
    this.hostSecrets = hostSecrets;
    this.bundles = bundles;
  }

  /** Mints every token a new pod needs into bundles, before its host pod exists. */
  async prepare(ctx: ReconcileContext, virtualPod: KubeObject): Promise<PreparedTokens> {
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
    for (const need of tokenNeeds(virtualPod)) {
      const source = mountedTokenSource(hostPod, ctx.hostName, virtualUid, need.volumeName, need.tokenIndex);
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
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'Pod',
            name: hostPod.metadata?.name ?? '',
            uid: hostPod.metadata?.uid ?? '',
          },
        ],
      },
      type: 'Opaque',
      data: { [TOKEN_KEY]: Buffer.from(token).toString('base64') },
    };
  }
}
