import type { Informer } from '../../informer/informer.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { MANAGED_BY_LABEL } from '../../naming/labels.ts';
import { safeConcatName } from '../../naming/safe-concat.ts';
import type { ReconcileContext } from '../../sync/kind.ts';

export const TOKEN_REFRESH_AT_ANNOTATION = 'vsyncer.dev/token-refresh-at';
export const TOKEN_EXPIRES_AT_ANNOTATION = 'vsyncer.dev/token-expires-at';
export const TOKEN_KEY = 'token';
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
 * The host secret holding a pod's token for one token source of one volume (`tokenIndex` counts the
 * volume's serviceAccountToken sources). The first keeps `<pod>-token-<volume>`, the name from before
 * several tokens per volume were supported, so running host pods keep reading a renewed secret. The
 * others add `.<index>`: a volume name is a DNS label and has no dot, so no other volume's first-token
 * name can equal it.
 */
export function tokenSecretName(hostPodName: string, volumeName: string, tokenIndex: number): string {
  return tokenIndex === 0
    ? safeConcatName(hostPodName, 'token', volumeName)
    : safeConcatName(hostPodName, 'token', `${volumeName}.${tokenIndex}`);
}

/** When to renew: after 80% of the token's life, as the kubelet does for projected tokens. */
export function refreshTime(issuedAtMs: number, expiresAtMs: number): number {
  return issuedAtMs + Math.floor((expiresAtMs - issuedAtMs) * 0.8);
}

/**
 * Keeps each projected token of a host pod minted by the *virtual* API server (TokenRequest bound
 * to the virtual pod), so workloads authenticate to their virtual cluster and never hold a host
 * credential. Tokens live in host secrets owned by the host pod (garbage-collected with it) and are
 * renewed before expiry; the reconcile is requeued for the next renewal.
 */
export class PodTokens {
  private readonly hostSecrets: Informer<KubeObject>;

  constructor(hostSecrets: Informer<KubeObject>) {
    this.hostSecrets = hostSecrets;
  }

  /** Mints or renews what is due; returns whether it wrote and when to look again. */
  async ensure(
    ctx: ReconcileContext,
    virtualPod: KubeObject,
    hostPod: KubeObject,
  ): Promise<{ wrote: boolean; nextCheckMs?: number }> {
    const now = ctx.clock.now();
    let wrote = false;
    let next: number | undefined;
    for (const need of tokenNeeds(virtualPod)) {
      const name = tokenSecretName(ctx.hostName, need.volumeName, need.tokenIndex);
      const existing = this.hostSecrets.store.get(`${ctx.hostNamespace}/${name}`);
      const refreshAt = Number(existing?.metadata?.annotations?.[TOKEN_REFRESH_AT_ANNOTATION] ?? 0);
      const ownedByThisPod = existing?.metadata?.ownerReferences?.some(
        (o) => o.uid === hostPod.metadata?.uid,
      );
      if (existing && ownedByThisPod && refreshAt > now) {
        next = Math.min(next ?? Infinity, refreshAt - now);
        continue;
      }
      const minted = await this.mint(ctx, virtualPod, need);
      const secret = this.secretFor(ctx, name, hostPod, minted.token, now, minted.expiresAt);
      if (existing)
        await ctx.host.update(Resources.secrets, ctx.hostNamespace, {
          ...secret,
          metadata: { ...secret.metadata, resourceVersion: existing.metadata?.resourceVersion },
        });
      else await ctx.host.create(Resources.secrets, ctx.hostNamespace, secret);
      wrote = true;
      next = Math.min(next ?? Infinity, refreshTime(now, minted.expiresAt) - now);
    }
    return { wrote, nextCheckMs: next === undefined ? undefined : Math.max(1000, next) };
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
    return { token: status.token, expiresAt };
  }

  private secretFor(
    ctx: ReconcileContext,
    name: string,
    hostPod: KubeObject,
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
