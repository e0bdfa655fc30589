import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ClusterClient } from '../kube/client.ts';
import type { KubeObject } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import { realClock, type Clock } from '../util/clock.ts';
import { TokenBucket } from '../util/token-bucket.ts';
import { RouteError } from './routes.ts';

/** Who presented a client certificate: its CN is the user, its O entries the groups (as the API server reads it). */
export interface CertIdentity {
  user: string;
  groups: string[];
}

/** What a request asks to do, in a real kubelet's terms: a verb on a node subresource. */
export interface NodeAccess {
  verb: string;
  subresource: string;
  /** The node the request reaches, when known (a pod's node). */
  node?: string;
}

/**
 * Reviews the virtual API server is asked for, beyond those the caches answer, through the kubelet
 * API's own client (and its rate limit, which the pod reads share). Over budget, a caller is refused
 * (429) rather than queued, so a flood cannot hold back the reviews of real callers, which the caches
 * answer in the meantime. Anyone who reaches the port may send a token, so new tokens have the
 * tighter budget: a real caller brings one token, reviewed once per cache period. Access reviews come
 * only from authenticated callers: the API server's kubelet client and a metrics-server each need one
 * per node every 30 s, so the budget leaves room for hundreds of nodes.
 */
export const TOKEN_REVIEW_BUDGET = { qps: 10, burst: 50 };
/** Of the token budget, what one address may take: a pod sending junk is held to its own share. */
export const TOKEN_REVIEW_BUDGET_PER_SOURCE = { qps: 2, burst: 10 };
export const ACCESS_REVIEW_BUDGET = { qps: 40, burst: 200 };
/**
 * Reviews of tokens the virtual API server accepted in the last RENEWAL_MEMORY_MS, when their cached
 * answer runs out: a budget of their own, which tokens nobody has seen accepted (a flood of junk
 * from any pod that reaches the port) never spend, so such a flood cannot lock out a metrics-server
 * or Prometheus whose token the API server accepts. Only the virtual cluster's own identities spend it.
 */
export const TOKEN_RENEWAL_BUDGET = { qps: 5, burst: 20 };
const RENEWAL_MEMORY_MS = 10 * 60_000;
/** Cached decisions: a few callers on every node of a large cluster. */
const ACCESS_CACHE_SIZE = 10_000;

/**
 * Takes one of the budget's tokens, or refuses the request at once (429) saying what there is too
 * much of (`tooMany`, e.g. "too many new bearer tokens to review"), rather than queueing it.
 */
export function spend(budget: TokenBucket, tooMany: string): void {
  if (!budget.tryTake()) throw new RouteError(429, `${tooMany} right now; try again in a few seconds`);
}

/**
 * Asks the virtual API server whether an identity may do what it asks, as a real kubelet's webhook
 * authorizer does: a SubjectAccessReview on `nodes/<subresource>`. The API server's own kubelet client
 * identity is allowed by the cluster's RBAC (or system:masters); anyone else with a certificate of the
 * same CA (a tenant's user) gets exactly what the tenant's RBAC grants on nodes, and never a pod of
 * another virtual cluster, which the pod lookup refuses whatever the answer here.
 */
export class NodeAccessReviewer {
  // Decisions are cached briefly so that a log follow or an exec session does not review per request.
  private readonly cache = new LRUCache<string, boolean>({
    maxSize: ACCESS_CACHE_SIZE,
    sizeCalculation: () => 1,
    ttl: 30_000,
  });
  private readonly virtual: ClusterClient;
  private readonly budget: TokenBucket;

  constructor(virtual: ClusterClient, clock: Clock = realClock) {
    this.virtual = virtual;
    this.budget = new TokenBucket(ACCESS_REVIEW_BUDGET.qps, ACCESS_REVIEW_BUDGET.burst, clock);
  }

  async allowed(who: CertIdentity, access: NodeAccess): Promise<boolean> {
    const key = JSON.stringify([who.user, who.groups, access.verb, access.subresource, access.node ?? '']);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    spend(this.budget, 'too many new access requests to review');
    const review: KubeObject = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: who.user,
        groups: who.groups,
        resourceAttributes: {
          verb: access.verb,
          resource: 'nodes',
          subresource: access.subresource,
          ...(access.node ? { name: access.node } : {}),
        },
      },
    };
    const answer = await this.virtual.create<KubeObject & { status?: { allowed?: boolean } }>(
      Resources.subjectAccessReviews,
      '',
      review,
    );
    const allowed = answer.status?.allowed === true;
    this.cache.set(key, allowed);
    return allowed;
  }
}

/** The identity of a verified client certificate's subject (CN and O may repeat in a DN). */
export function identityOf(subject: Record<string, string | string[] | undefined>): CertIdentity | undefined {
  const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const user = list(subject.CN)[0];
  if (!user) return undefined;
  return { user, groups: list(subject.O) };
}

/**
 * Bearer tokens, checked by the virtual API server (a TokenReview), as a kubelet's webhook
 * authenticator does. Answers are cached briefly by the token's hash (never the token itself).
 */
export class TokenAuthenticator {
  // Refused tokens apart, so that a flood of junk cannot push accepted ones out.
  private readonly accepted: LRUCache<string, CertIdentity>;
  private readonly refused: LRUCache<string, true>;
  private readonly virtual: ClusterClient;
  private readonly clock: Clock;
  private readonly budget: TokenBucket;
  private readonly renewals: TokenBucket;
  /** Hashes of tokens accepted lately, whose next review is a renewal (TOKEN_RENEWAL_BUDGET). */
  private readonly acceptedLately: LRUCache<string, true>;
  private readonly bySource = new LRUCache<string, TokenBucket>({
    maxSize: 10_000,
    sizeCalculation: () => 1,
  });
  /** Reviews under way, by token hash: callers sending the same new token at once share one. */
  private readonly inFlight = new Map<string, Promise<CertIdentity | undefined>>();

  constructor(virtual: ClusterClient, clock: Clock = realClock) {
    this.virtual = virtual;
    this.clock = clock;
    this.budget = new TokenBucket(TOKEN_REVIEW_BUDGET.qps, TOKEN_REVIEW_BUDGET.burst, clock);
    this.renewals = new TokenBucket(TOKEN_RENEWAL_BUDGET.qps, TOKEN_RENEWAL_BUDGET.burst, clock);
    // A clock given (tests) is the caches' time too, read at every lookup; otherwise theirs (monotonic).
    const time = clock === realClock ? {} : { perf: { now: () => clock.now() }, ttlResolution: 0 };
    this.accepted = new LRUCache({ max: 1000, ttl: 30_000, ...time });
    this.refused = new LRUCache({ max: 1000, ttl: 30_000, ...time });
    this.acceptedLately = new LRUCache({ max: 1000, ttl: RENEWAL_MEMORY_MS, ...time });
  }

  /**
   * The token's user and groups, or undefined when the virtual API server does not accept it.
   * `source` is the caller's address, whose share of the budget a new token is taken from.
   */
  async review(token: string, source = ''): Promise<CertIdentity | undefined> {
    const key = createHash('sha256').update(token).digest('hex');
    const known = this.accepted.get(key);
    if (known) return known;
    if (this.refused.has(key)) return undefined;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    // A token accepted lately renews from its own budget while that lasts, then as a new one would.
    if (this.acceptedLately.has(key) && this.renewals.tryTake()) return this.track(key, token);
    let share = this.bySource.get(source);
    if (!share) {
      share = new TokenBucket(
        TOKEN_REVIEW_BUDGET_PER_SOURCE.qps,
        TOKEN_REVIEW_BUDGET_PER_SOURCE.burst,
        this.clock,
      );
      this.bySource.set(source, share);
    }
    spend(share, 'too many new bearer tokens from this address to review');
    spend(this.budget, 'too many new bearer tokens to review');
    return this.track(key, token);
  }

  /** Asks for a review, shared by whoever sends the same token meanwhile. */
  private track(key: string, token: string): Promise<CertIdentity | undefined> {
    const review = this.ask(token, key).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, review);
    return review;
  }

  private async ask(token: string, key: string): Promise<CertIdentity | undefined> {
    const answer = await this.virtual.create<
      KubeObject & { status?: { authenticated?: boolean; user?: { username?: string; groups?: string[] } } }
    >(Resources.tokenReviews, '', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token },
    });
    const user = answer.status?.authenticated ? answer.status.user : undefined;
    const who = user?.username ? { user: user.username, groups: user.groups ?? [] } : undefined;
    if (who) {
      this.accepted.set(key, who);
      this.acceptedLately.set(key, true);
    } else {
      // Revoked or expired since: it renews no more.
      this.refused.set(key, true);
      this.acceptedLately.delete(key);
    }
    return who;
  }
}
