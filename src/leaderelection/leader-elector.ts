import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClusterClient } from '../kube/client.ts';
import { isConflict, isNotFound } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

/**
 * This process's identity in the lease: the configured name (the pod's, say) or the hostname, kept
 * readable, then a UUID of this process. A pod name is not unique over time: a force-deleted pod whose
 * process still runs and its replacement share it, and would each take the other's lease for its own.
 */
export function processIdentity(configured: string | undefined): string {
  return `${configured || hostname()}_${randomUUID()}`;
}

export interface LeaderElectorOptions {
  /** A client used only for the lease: its writes must not be blocked by the leader guard. */
  client: ClusterClient;
  namespace: string;
  leaseName: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  clock: Clock;
  logger: Logger;
  onStartedLeading(): void;
  /** Called once when leadership is lost (renewals failed past the deadline, or someone else took it). */
  onStoppedLeading(): void;
}

/**
 * Leader election through a coordination.k8s.io Lease. Expiry is judged by our own monotonic clock
 * from when we last saw the lease change, not by the timestamps in it, so clock skew between replicas
 * does not matter, nor does a wall clock stepped (NTP, a VM resumed): a standby whose wall clock
 * jumped would otherwise take a lease its holder still renews. `isLeader()` turns false the moment renewals have failed for the renew deadline,
 * before anyone else can hold the lease, so a deposed leader never writes next to a new one.
 */
export class LeaderElector {
  private readonly opts: LeaderElectorOptions;
  private observed: { record: string; at: number } | undefined;
  private lastRenewal = 0;
  private leading = false;
  /**
   * Our last write to the lease succeeded. Unlike `leading`, it is set even when stop() came first.
   * Only this makes a lease naming our identity ours: one we never wrote is someone else's.
   */
  private holdsLease = false;
  /** The holder this standby last said it waits for: said once per holder, not every retry. */
  private standingBy: string | undefined;
  private stopped = false;
  private cancelTimer: () => void = () => {};
  /** The acquire/renew attempt in progress, if any: stop() waits for it so its release is not stale. */
  private attempt: Promise<void> = Promise.resolve();

  constructor(opts: LeaderElectorOptions) {
    this.opts = opts;
  }

  /** True while we hold a lease renewed within the renew deadline. */
  isLeader(): boolean {
    return this.leading && !this.renewalOverdue(this.opts.clock.monotonicNow());
  }

  /** The last renewal (monotonic) is older than the renew deadline, or cannot be placed. */
  private renewalOverdue(now: number): boolean {
    const since = now - this.lastRenewal;
    return since < 0 || since >= this.opts.renewDeadlineMs;
  }

  /** Starts trying to acquire, then keeps renewing. */
  start(): void {
    this.stopped = false;
    this.attempt = this.tick();
  }

  /** Stops renewing and, if we lead, releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer();
    // A renewal in flight would bump the lease's resourceVersion under our release and make it conflict.
    await this.attempt.catch(() => {});
    this.leading = false;
    // Release even a lease we won while stopping: otherwise standbys wait out its whole duration.
    if (!this.holdsLease) return;
    this.holdsLease = false;
    try {
      const lease = await this.opts.client.get<Lease>(
        Resources.leases,
        this.opts.namespace,
        this.opts.leaseName,
      );
      if (lease.spec?.holderIdentity !== this.opts.identity) return;
      await this.opts.client.update(Resources.leases, this.opts.namespace, {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: microTime(this.opts.clock.now()),
        },
      });
      this.opts.logger.info('released leader lease');
    } catch (err) {
      this.opts.logger.warn('could not release leader lease', { err });
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let ok = false;
    // The lease runs from when it was written, at the latest: counting from the answer would
    // stretch it by the request's time, and with it the time two replicas could both lead.
    const attemptedAt = this.opts.clock.monotonicNow();
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      if (!isConflict(err)) this.opts.logger.warn('leader lease update failed', { err });
    }
    // A failed renewal leaves the lease ours until it expires, so only a success changes this.
    if (ok) this.holdsLease = true;
    if (this.stopped) return;
    const now = this.opts.clock.monotonicNow();
    if (ok) {
      this.lastRenewal = attemptedAt;
      if (!this.leading) {
        this.leading = true;
        this.standingBy = undefined;
        this.opts.logger.info('became leader', { identity: this.opts.identity });
        this.opts.onStartedLeading();
      }
    } else if (this.leading && this.renewalOverdue(now)) {
      this.leading = false;
      this.opts.logger.error('lost leadership: could not renew the lease in time');
      this.opts.onStoppedLeading();
      return;
    }
    this.cancelTimer = this.opts.clock.setTimer(() => {
      this.attempt = this.tick();
    }, this.opts.retryPeriodMs);
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, leaseName, identity, clock } = this.opts;
    // The lease's own times are wall-clock (others read them); expiry is judged on the monotonic one.
    const wallNow = clock.now();
    const now = clock.monotonicNow();
    const desired: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.opts.leaseDurationMs / 1000),
      renewTime: microTime(wallNow),
    };
    let lease: Lease;
    try {
      lease = await client.get<Lease>(Resources.leases, namespace, leaseName);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await client.create(Resources.leases, namespace, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: leaseName, namespace },
        spec: { ...desired, acquireTime: microTime(wallNow), leaseTransitions: 0 },
      });
      this.observed = { record: JSON.stringify(desired), at: now };
      return true;
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds]);
    if (!this.observed || this.observed.record !== record) this.observed = { record, at: now };
    const holder = spec.holderIdentity ?? '';
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    // Our name on a lease this process never wrote is another process's (an earlier one of the same
    // pod, still running somewhere): it is waited out like anyone's, not renewed at once.
    const ours = holder === identity && this.holdsLease;
    if (holder && !ours && this.observed.at + durationMs > now) {
      this.holdsLease = false;
      if (!this.leading && this.standingBy !== holder) {
        this.standingBy = holder;
        this.opts.logger.info('standing by: another replica holds the leader lease', {
          holder,
          lease: `${namespace}/${leaseName}`,
        });
      }
      if (this.leading) {
        // Someone else renewed the lease while we thought we held it: we are no longer the leader.
        // (Not 0: a clock may read less than the renew deadline, and we must step down regardless.)
        this.lastRenewal = Number.NEGATIVE_INFINITY;
      }
      return false;
    }
    const takingOver = !ours;
    const updated = await client.update<Lease>(Resources.leases, namespace, {
      ...lease,
      spec: {
        ...spec,
        ...desired,
        acquireTime: takingOver ? microTime(wallNow) : spec.acquireTime,
        // Every change of holder counts, taking over a released (empty) lease included, as in client-go.
        leaseTransitions: (spec.leaseTransitions ?? 0) + (takingOver ? 1 : 0),
      },
    });
    const u = updated.spec ?? {};
    this.observed = {
      record: JSON.stringify([u.holderIdentity, u.renewTime, u.leaseDurationSeconds]),
      at: now,
    };
    return true;
  }
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
