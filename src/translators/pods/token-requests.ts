import { TerminalError } from '../../controller/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import type { ReconcileContext } from '../../sync/kind.ts';

/*
 * What projected service-account tokens a pod asks for, and minting them: each is a TokenRequest to
 * the *virtual* API server bound to the virtual pod, so workloads authenticate to their virtual
 * cluster and never hold a host credential. Where the tokens are kept on the host is tokens.ts's
 * business (token bundles, per-pod Secrets, pods' own Secrets).
 */

/** When a Secret holding tokens is due for renewal (ms since the epoch). */
export const TOKEN_REFRESH_AT_ANNOTATION = 'vsyncer.dev/token-refresh-at';
export const TOKEN_EXPIRES_AT_ANNOTATION = 'vsyncer.dev/token-expires-at';
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
 * The largest token the syncer stores. A bound service-account token is about 1 KiB (more with a long
 * audience); a full bundle of BUNDLE_CAPACITY tokens this size stays below a Secret's 1 MiB.
 */
export const MAX_TOKEN_BYTES = 4096;

/** When to renew: after 80% of the token's life, as the kubelet does for projected tokens. */
export function refreshTime(issuedAtMs: number, expiresAtMs: number): number {
  return issuedAtMs + Math.floor((expiresAtMs - issuedAtMs) * 0.8);
}

/** Where a new pod's tokens went, for the host pod's volumes, and when to renew them. */
export interface PreparedTokens {
  sourceFor(volumeName: string, tokenIndex: number): { name: string; key: string };
  nextCheckMs?: number;
}

/** A minted token and when it expires (ms since the epoch). */
export interface MintedToken {
  token: string;
  expiresAt: number;
}

/** Mints one token the pod needs through the virtual API server's TokenRequest. */
export async function mintToken(
  ctx: ReconcileContext,
  virtualPod: KubeObject,
  need: TokenNeed,
): Promise<MintedToken> {
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
