import type { ClusterClient } from '../kube/client.ts';
import { isApiError, isNotFound } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import { Resources, type ResourceType } from '../kube/resources.ts';
import { isDnsLabel, isDnsSubdomain } from '../naming/dns-names.ts';
import { safeConcatName } from '../naming/safe-concat.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';

/**
 * vCluster's `exportKubeConfig.serviceAccount`: the exported kubeconfig authenticates with a token of
 * a service account of the virtual cluster instead of the syncer's own credentials (which are the
 * virtual cluster's admin). With a cluster role, the account and a binding of it to that role are
 * made when missing, as vCluster makes them; without one, the account must exist (an admin made it,
 * with the rights the kubeconfig's holders are meant to have).
 */
export interface ExportServiceAccount {
  /** Default kube-system, as vCluster's. */
  namespace: string;
  name: string;
  /** A ClusterRole bound to the account (binding `vcluster-sa-<name>-<namespace>`); "" binds none. */
  clusterRole: string;
}

/** vCluster's default namespace of the account. */
export const DEFAULT_SERVICE_ACCOUNT_NAMESPACE = 'kube-system';

/** The token lifetime vCluster asks for; the API server may grant less (its maximum). */
const REQUESTED_SECONDS = 10 * 365 * 24 * 60 * 60;
// No audiences are named: the API server then gives its own (its issuer, whatever the cluster
// domain), the one it accepts from clients. vCluster names those of cluster.local.

/** A token is replaced once this share of its lifetime has passed (as the kubelet renews at 80%). */
const RENEW_AT = 0.8;

/** Parses `[namespace/]name`, or says what is wrong with it. */
export function parseServiceAccountRef(text: string): { namespace: string; name: string } | string {
  const parts = text.split('/');
  if (parts.length > 2) return `expected [namespace/]name, got ${JSON.stringify(text)}`;
  const name = parts.at(-1)!;
  const namespace = parts.length === 2 ? parts[0]! : DEFAULT_SERVICE_ACCOUNT_NAMESPACE;
  if (!isDnsLabel(namespace))
    return `the namespace must be a valid namespace name, got ${JSON.stringify(namespace)}`;
  if (!isDnsSubdomain(name))
    return `the service account must be a valid object name, got ${JSON.stringify(name)}`;
  return { namespace, name };
}

/** What is wrong with a ClusterRole name, if anything ("" is none). */
export function invalidClusterRole(name: string): string | undefined {
  // ClusterRole names are path segments: any characters but '/', '%' and the names '.' and '..'.
  if (name === '' || (!/[/%]/.test(name) && name !== '.' && name !== '..')) return undefined;
  return `must be a valid ClusterRole name, got ${JSON.stringify(name)}`;
}

/** The binding vCluster names for the account: `vcluster-sa-<name>-<namespace>`, cut to 63 characters. */
export const clusterRoleBindingName = (sa: ExportServiceAccount): string =>
  safeConcatName('vcluster', 'sa', sa.name, sa.namespace);

/** A token, and when it should be replaced (ms since the epoch). */
export interface ServiceAccountToken {
  token: string;
  renewAt: number;
}

/** The account cannot be used yet (its namespace or the account missing): tried again later. */
export class ServiceAccountNotReady extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceAccountNotReady';
  }
}

/** The claims of a service-account token read without checking it (the API server checks it). */
function claimsOf(token: string): { sub?: string; iat?: number; exp?: number } | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as unknown;
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, number>) : undefined;
  } catch {
    return undefined;
  }
}

/** When a token of this issue and expiry (seconds since the epoch) should be replaced, in ms. */
const renewTime = (issuedAt: number, expiresAt: number) =>
  Math.round((issuedAt + (expiresAt - issuedAt) * RENEW_AT) * 1000);

export interface ServiceAccountTokensOptions {
  /** The virtual cluster, with the syncer's (admin) rights. */
  virtual: ClusterClient;
  clock: Clock;
  logger: Logger;
}

/**
 * Tokens of service accounts of the virtual cluster for exported kubeconfigs. The token already
 * exported is kept while it is the account's, far from its expiry and still accepted by the virtual
 * API server (a TokenReview: the account may have been deleted and made again), so a restart writes
 * nothing; otherwise a new one is asked for.
 */
export class ServiceAccountTokens {
  private readonly o: ServiceAccountTokensOptions;

  constructor(options: ServiceAccountTokensOptions) {
    this.o = options;
  }

  /** A token for the account: `current` (the one exported now) when still good, else a new one. */
  async tokenFor(sa: ExportServiceAccount, current?: string): Promise<ServiceAccountToken> {
    await this.ensureAccount(sa);
    const kept = current ? await this.stillGood(sa, current) : undefined;
    if (kept) return kept;
    return this.mint(sa);
  }

  /** The namespace must exist; the account is made with a cluster role, and the role bound to it. */
  private async ensureAccount(sa: ExportServiceAccount): Promise<void> {
    const { virtual } = this.o;
    const what = `service account ${sa.namespace}/${sa.name}`;
    try {
      await virtual.get(Resources.namespaces, '', sa.namespace);
    } catch (err) {
      if (isNotFound(err))
        throw new ServiceAccountNotReady(`the namespace of ${what} does not exist in the virtual cluster`);
      throw err;
    }
    try {
      await virtual.get(Resources.serviceAccounts, sa.namespace, sa.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      // Without a cluster role the account is an admin's to make, with the rights it is to have.
      if (!sa.clusterRole)
        throw new ServiceAccountNotReady(
          `${what} does not exist in the virtual cluster (it is made only with a cluster role to bind)`,
        );
      await this.createIfMissing(Resources.serviceAccounts, sa.namespace, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: sa.name, namespace: sa.namespace },
      });
      this.o.logger.info(`made ${what} for the exported kubeconfig`);
    }
    if (sa.clusterRole) await this.ensureBinding(sa);
  }

  /** The binding of the account to its cluster role; one bound to another role is made again. */
  private async ensureBinding(sa: ExportServiceAccount): Promise<void> {
    const { virtual } = this.o;
    const name = clusterRoleBindingName(sa);
    const desired: KubeObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: sa.clusterRole },
      subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace }],
    };
    let existing: KubeObject | undefined;
    try {
      existing = await virtual.get(Resources.clusterRoleBindings, '', name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (existing) {
      const roleRef = existing.roleRef as { kind?: string; name?: string } | undefined;
      if (roleRef?.kind === 'ClusterRole' && roleRef.name === sa.clusterRole) {
        // Subjects an admin added stay; the account is added when missing.
        const subjects = (existing.subjects ?? []) as { kind?: string; name?: string; namespace?: string }[];
        const bound = subjects.some(
          (s) => s.kind === 'ServiceAccount' && s.name === sa.name && s.namespace === sa.namespace,
        );
        if (!bound)
          await virtual.update(Resources.clusterRoleBindings, '', {
            ...existing,
            subjects: [...subjects, ...(desired.subjects as object[])],
          });
        return;
      }
      // roleRef cannot change: the binding is made again (its UID as read, so a newer one stays).
      await virtual.delete(Resources.clusterRoleBindings, '', name, { uid: existing.metadata?.uid });
      this.o.logger.info(`binding ${name} named another role: made again`);
    }
    await this.createIfMissing(Resources.clusterRoleBindings, '', desired);
  }

  /** Creates the object; one made meanwhile (by another replica, an admin) is as good. */
  private async createIfMissing(type: ResourceType, namespace: string, object: KubeObject): Promise<void> {
    try {
      await this.o.virtual.create(type, namespace, object);
    } catch (err) {
      if (!isApiError(err, 'alreadyExists')) throw err;
    }
  }

  /** The exported token, kept when it is this account's, not due for renewal, and still accepted. */
  private async stillGood(sa: ExportServiceAccount, token: string): Promise<ServiceAccountToken | undefined> {
    const claims = claimsOf(token);
    const subject = `system:serviceaccount:${sa.namespace}:${sa.name}`;
    if (claims?.sub !== subject || typeof claims.iat !== 'number' || typeof claims.exp !== 'number')
      return undefined;
    const renewAt = renewTime(claims.iat, claims.exp);
    if (this.o.clock.now() >= renewAt) return undefined;
    let review: KubeObject & { status?: { authenticated?: boolean; user?: { username?: string } } };
    try {
      review = await this.o.virtual.create(Resources.tokenReviews, '', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token },
      });
    } catch (err) {
      // Not allowed to ask: a new token is as good (only a restart's write is lost).
      if (!isApiError(err, 'forbidden')) throw err;
      this.o.logger.warn('cannot review the exported token (TokenReview forbidden): a new one is minted');
      return undefined;
    }
    return review.status?.authenticated && review.status.user?.username === subject
      ? { token, renewAt }
      : undefined;
  }

  private async mint(sa: ExportServiceAccount): Promise<ServiceAccountToken> {
    const request = await this.o.virtual.create<KubeObject>(
      Resources.serviceAccounts,
      sa.namespace,
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: REQUESTED_SECONDS },
      },
      { subresource: 'token', name: sa.name },
    );
    const status = (request.status ?? {}) as { token?: string; expirationTimestamp?: string };
    const expiresAt = Date.parse(status.expirationTimestamp ?? '');
    if (!status.token || Number.isNaN(expiresAt))
      throw new Error(`the TokenRequest for service account ${sa.namespace}/${sa.name} returned no token`);
    const now = this.o.clock.now();
    this.o.logger.info(
      `minted a token of service account ${sa.namespace}/${sa.name} for the exported kubeconfig`,
      {
        expires: new Date(expiresAt).toISOString(),
      },
    );
    return { token: status.token, renewAt: Math.round(now + (expiresAt - now) * RENEW_AT) };
  }
}
