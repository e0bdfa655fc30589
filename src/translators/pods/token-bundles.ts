import { createHash } from 'node:crypto';
import type { Informer } from '../../informer/informer.ts';
import type { ClusterClient } from '../../kube/client.ts';
import { isApiError, isNotFound } from '../../kube/errors.ts';
import { getIfExists } from '../../kube/get-if-exists.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { MANAGED_BY_LABEL } from '../../naming/labels.ts';
import type { Clock } from '../../util/clock.ts';
import type { Logger } from '../../util/log.ts';

/** Marks a host Secret as a bundle of this syncer's pod tokens (one key per token). */
export const TOKEN_BUNDLE_ANNOTATION = 'vsyncer.dev/token-bundle';
/** Per key: when its token was written and when it is due for renewal (JSON, ms since the epoch). */
export const TOKEN_TIMES_ANNOTATION = 'vsyncer.dev/token-times';
/**
 * Tokens per bundle. A bound service-account token is about 1 KiB, so 200 keep a bundle far below
 * the 1 MiB Secret limit. Each write costs the host API server in proportion to the whole bundle
 * (bench/bundle-writes.ts: about 4.5 ms of its CPU per token filling bundles of 200, a third of that
 * at 25), but smaller bundles' quicker writes gather fewer tokens each, so a burst takes more writes
 * per pod; docs/performance-log.md has the rounds that kept 200.
 */
export const BUNDLE_CAPACITY = 200;
/**
 * A slot handed out and not written after this long is given back: its pod's reconcile failed before
 * the write (a token the virtual API server would not mint, say) and the pod may be gone, leaving no
 * host pod whose deletion would release it. A pod still retrying takes a slot afresh.
 */
const HANDED_OUT_TTL_MS = 10 * 60_000;
/** A key no host pod mounts is dropped once this old (a pod being created mounts it only after the write). */
const UNUSED_KEY_GRACE_MS = 5 * 60_000;

/** Where one token lives: a bundle Secret and a key in it. */
export interface TokenSlot {
  secretName: string;
  key: string;
}

export interface KeyTimes {
  issuedAt: number;
  refreshAt: number;
}

/** A token to store: its slot, the token, and its times. */
export interface TokenWrite extends KeyTimes {
  slot: TokenSlot;
  token: string;
}

/** The name a bundle's key cannot hold: someone else's object has the bundle's name. */
export class BundleTakenError extends Error {}

/** The key of one token of one pod incarnation: a hash of its UID, volume and token index. */
export function tokenKey(virtualPodUid: string, volumeName: string, tokenIndex: number): string {
  return createHash('sha256')
    .update(`${virtualPodUid}/${volumeName}/${tokenIndex}`)
    .digest('hex')
    .slice(0, 32);
}

/**
 * A bundle's name: `vsyncer-tokens-<hash of the virtual cluster>-<n>`. It has no `-x-`, so it is never
 * the host name of a tenant's Secret, and it differs between virtual clusters sharing a namespace.
 */
export function bundleName(vcName: string, n: number): string {
  return `${bundlePrefix(vcName)}${n}`;
}

/**
 * What every bundle name of a virtual cluster starts with. Remembered per virtual cluster: it is asked
 * for every host pod and Secret the caches receive, and each answer would otherwise be a sha256.
 */
export function bundlePrefix(vcName: string): string {
  let prefix = bundlePrefixes.get(vcName);
  if (prefix === undefined) {
    prefix = `vsyncer-tokens-${createHash('sha256').update(vcName).digest('hex').slice(0, 10)}-`;
    bundlePrefixes.set(vcName, prefix);
  }
  return prefix;
}

/** One syncer serves one virtual cluster (tests use a few), so this stays tiny. */
const bundlePrefixes = new Map<string, string>();

/**
 * Parsed times annotations by bundle object. Every reconcile of a running pod reads its key's times,
 * and the annotation holds up to BUNDLE_CAPACITY entries: parsing it each time made a pod burst
 * quadratic. Objects from the informer and from our own writes are never changed in place, so one
 * parse per object version holds.
 */
const parsedTimes = new WeakMap<KubeObject, Readonly<Record<string, KeyTimes>>>();

/** The key times a bundle records (read-only: copy before changing). */
export function bundleTimes(secret: KubeObject | undefined): Readonly<Record<string, KeyTimes>> {
  if (!secret) return {};
  let times = parsedTimes.get(secret);
  if (!times) {
    times = parseTimes(secret.metadata?.annotations?.[TOKEN_TIMES_ANNOTATION]);
    parsedTimes.set(secret, times);
  }
  return times;
}

function parseTimes(raw: string | undefined): Record<string, KeyTimes> {
  if (!raw) return {};
  try {
    const parsed = JSON.parse(raw) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, KeyTimes>) : {};
  } catch {
    return {};
  }
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

/** What one bundle still has to write, and who waits for it. */
interface BundleState {
  puts: Map<string, { data: string; times: KeyTimes }>;
  drops: Set<string>;
  waiters: Waiter[];
  writing: boolean;
  /** The bundle as our last write left it (the informer may not have caught up). */
  latest?: KubeObject;
  /** Keys handed out for pods not yet written, so concurrent pods do not overfill a bundle. */
  assigned: Set<string>;
}

export interface TokenBundleOptions {
  host: ClusterClient;
  hostSecrets: Informer<KubeObject>;
  vcName: string;
  hostNamespace: string;
  clock: Clock;
  logger: Logger;
  /** The keys of a bundle that host pods mount now. */
  keysInUse(secretName: string): Set<string>;
}

/**
 * Pod tokens kept many to a host Secret, so that a burst of new pods costs about one host write per
 * pod (the pod) instead of two (pod and token Secret). Writes to one bundle are coalesced: tokens
 * that arrive while a write is in flight go out together in the next one. Each host pod mounts only
 * its own key (a projected secret source with one item), so no container sees another pod's token.
 */
export class TokenBundles {
  private readonly states = new Map<string, BundleState>();
  private readonly taken = new Set<string>();
  /** The bundle each handed-out key went to and when, until its token is written (see BundleState.assigned). */
  private readonly handedOut = new Map<string, { name: string; at: number }>();
  private lastStaleSweep = 0;
  /**
   * Bundles numbered below this were full (or not ours) when a slot was last asked for; a key
   * leaving one moves it back. Spares each new pod a look at every full bundle before it.
   */
  private firstOpen = 0;
  private readonly o: TokenBundleOptions;

  constructor(options: TokenBundleOptions) {
    this.o = options;
    // The cache keeps a bundle's keys, not its tokens: nothing here reads a stored token (writes are
    // patches that name the keys they change), and the tokens, about 1.4 KB each, were the largest
    // part of the heap at ten thousand pods. Our last write's answer still carries them until the
    // informer catches up.
    options.hostSecrets.addCacheTransform((secret) => (this.isBundle(secret) ? keysOnly(secret) : secret));
    const caughtUp = (secret: KubeObject) => this.forgetLatestIfCached(secret.metadata?.name ?? '');
    options.hostSecrets.addHandlers({
      onAdd: caughtUp,
      onUpdate: (_old, secret) => caughtUp(secret),
      // Deleted (by an admin, a clean-up tool): our last write is no longer what is there, and its keys
      // are missing. The pods mounting them write them again (the pods kind follows the deletes).
      onDelete: (secret) => {
        const state = this.isBundle(secret) ? this.states.get(secret.metadata?.name ?? '') : undefined;
        if (state) state.latest = undefined;
      },
    });
  }

  /** True when a host Secret is one of this virtual cluster's token bundles. */
  isOurs(secret: KubeObject | undefined): boolean {
    const meta = secret?.metadata;
    return (
      meta?.labels?.[MANAGED_BY_LABEL] === this.o.vcName &&
      meta.annotations?.[TOKEN_BUNDLE_ANNOTATION] === 'v1'
    );
  }

  /**
   * One of our bundles by its name as well: a host copy of a tenant's Secret carries our managed-by
   * label and may carry any annotation the tenant chose, but its name always has `-x-` in it.
   */
  isBundle(secret: KubeObject): boolean {
    const name = secret.metadata?.name ?? '';
    const prefix = bundlePrefix(this.o.vcName);
    return this.isOurs(secret) && name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length));
  }

  /** The bundle as last seen: our own last write, or the informer's copy. */
  current(secretName: string): KubeObject | undefined {
    return this.states.get(secretName)?.latest ?? this.cached(secretName);
  }

  private cached(secretName: string): KubeObject | undefined {
    return this.o.hostSecrets.store.get(`${this.o.hostNamespace}/${secretName}`);
  }

  /**
   * Drops our copy of a bundle's last write once the informer holds that same version. A bundle
   * holds up to BUNDLE_CAPACITY tokens of about 1.4 KB each: two copies of every bundle were a tenth
   * of the heap after a pod burst. Checked when the informer delivers a version, and after each write
   * (its watch event may have come before the write's answer).
   */
  private forgetLatestIfCached(secretName: string): void {
    const state = this.states.get(secretName);
    const rv = state?.latest?.metadata?.resourceVersion;
    if (rv && this.cached(secretName)?.metadata?.resourceVersion === rv) state.latest = undefined;
  }

  /** The times of a stored key, or undefined when the bundle does not hold it. */
  timesOf(slot: TokenSlot): KeyTimes | undefined {
    const secret = this.current(slot.secretName);
    const data = secret?.data as Record<string, string> | undefined;
    if (!this.isOurs(secret) || !data || !Object.hasOwn(data, slot.key)) return undefined;
    return bundleTimes(secret)[slot.key];
  }

  /**
   * The slot for a new token: the one it was handed before (a pod's reconcile retried), or the first
   * bundle with room (keys stored, pending and handed out) from `firstOpen` on.
   */
  slotFor(key: string): TokenSlot {
    const now = this.o.clock.now();
    this.giveBackStaleSlots(now);
    const before = this.handedOut.get(key);
    if (before !== undefined) return { secretName: before.name, key };
    for (let n = this.firstOpen; ; n++) {
      const name = bundleName(this.o.vcName, n);
      const secret = this.current(name);
      const ours = !this.taken.has(name) && (!secret || this.isOurs(secret));
      const state = ours ? this.stateOf(name) : undefined;
      const stored = (secret?.data ?? {}) as Record<string, string>;
      if (
        state &&
        (state.puts.has(key) || Object.hasOwn(stored, key) || usedSlots(stored, state) < BUNDLE_CAPACITY)
      ) {
        state.assigned.add(key);
        this.handedOut.set(key, { name, at: now });
        return { secretName: name, key };
      }
      if (n === this.firstOpen) this.firstOpen = n + 1;
    }
  }

  /** Stores tokens (with whatever else is pending for their bundles); resolves once they are written. */
  async put(writes: readonly TokenWrite[]): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const w of writes) {
      const state = this.stateOf(w.slot.secretName);
      state.puts.set(w.slot.key, {
        data: Buffer.from(w.token).toString('base64'),
        times: { issuedAt: w.issuedAt, refreshAt: w.refreshAt },
      });
      state.drops.delete(w.slot.key);
      waits.push(new Promise<void>((resolve, reject) => state.waiters.push({ resolve, reject })));
    }
    for (const name of new Set(writes.map((w) => w.slot.secretName))) this.flush(name);
    await Promise.all(waits);
  }

  /** Forgets tokens whose pods are gone; written with the next write of their bundles (or now). */
  release(slots: readonly TokenSlot[]): void {
    for (const slot of slots) {
      const state = this.stateOf(slot.secretName);
      this.unassign(slot.secretName, state, slot.key);
      this.roomIn(slot.secretName);
      if (state.puts.has(slot.key)) continue; // a new incarnation is writing the same key
      state.drops.add(slot.key);
    }
    for (const name of new Set(slots.map((s) => s.secretName))) this.flush(name);
  }

  private unassign(name: string, state: BundleState, key: string): void {
    state.assigned.delete(key);
    if (this.handedOut.get(key)?.name === name) this.handedOut.delete(key);
  }

  /**
   * Gives back slots handed out longer than HANDED_OUT_TTL_MS ago and never written (at most once a
   * minute): otherwise a tenant could make pods whose tokens fail to mint, delete them, and grow this
   * map and fill bundles with slots nobody will use.
   */
  private giveBackStaleSlots(now: number): void {
    if (now - this.lastStaleSweep < 60_000) return;
    this.lastStaleSweep = now;
    for (const [key, { name, at }] of this.handedOut) {
      if (now - at < HANDED_OUT_TTL_MS) continue;
      const state = this.stateOf(name); // made when the slot was handed out
      if (state.puts.has(key)) continue; // being written now
      this.unassign(name, state, key);
      this.roomIn(name);
    }
  }

  /** Keys left bundle `name`: slots may be free there again. */
  private roomIn(name: string): void {
    const n = Number(name.slice(bundlePrefix(this.o.vcName).length));
    if (Number.isInteger(n)) this.firstOpen = Math.min(this.firstOpen, n);
  }

  private stateOf(name: string): BundleState {
    let state = this.states.get(name);
    if (!state) {
      state = { puts: new Map(), drops: new Set(), waiters: [], writing: false, assigned: new Set() };
      this.states.set(name, state);
    }
    return state;
  }

  /** Starts a write of the bundle unless one is running (that one writes what is pending when it ends). */
  private flush(name: string): void {
    const state = this.stateOf(name);
    if (state.writing) return;
    state.writing = true;
    void this.writeLoop(name, state);
  }

  private async writeLoop(name: string, state: BundleState): Promise<void> {
    try {
      while (state.puts.size || state.drops.size) {
        const puts = new Map(state.puts);
        const drops = new Set(state.drops);
        const waiters = state.waiters.splice(0);
        state.puts.clear();
        state.drops.clear();
        try {
          await this.write(name, state, puts, drops);
          for (const key of puts.keys()) this.unassign(name, state, key);
          for (const w of waiters) w.resolve();
        } catch (err) {
          // The pods retry, and take a slot afresh (another bundle, if this one's name is taken).
          for (const key of puts.keys()) this.unassign(name, state, key);
          for (const w of waiters) w.reject(err);
          this.o.logger.debug('token bundle write failed', { bundle: name, error: String(err) });
        }
      }
    } finally {
      state.writing = false;
    }
  }

  /** One write: create, patch or (when it ends up empty) delete the bundle, retrying conflicts. */
  private async write(
    name: string,
    state: BundleState,
    puts: Map<string, { data: string; times: KeyTimes }>,
    drops: Set<string>,
  ): Promise<void> {
    let base = this.current(name);
    for (let attempt = 0; ; attempt++) {
      if (base && !this.isOurs(base)) {
        this.taken.add(name);
        throw new BundleTakenError(
          `host secret ${name} exists and is not a token bundle of this virtual cluster`,
        );
      }
      try {
        state.latest = await this.writeOnce(name, base, puts, drops);
        // Keys that left with this write (released, or long unused) are slots for new pods again.
        const written = (state.latest?.data ?? {}) as Record<string, string>;
        if (usedSlots(written, state) < BUNDLE_CAPACITY) this.roomIn(name);
        this.forgetLatestIfCached(name);
        return;
      } catch (err) {
        const stale = isApiError(err, 'conflict') || isApiError(err, 'alreadyExists') || isNotFound(err);
        if (!stale || attempt >= 5) throw err;
        // Our view was behind: read the bundle as it is and apply the same change to it.
        base = await getIfExists(this.o.host, Resources.secrets, this.o.hostNamespace, name);
      }
    }
  }

  private async writeOnce(
    name: string,
    base: KubeObject | undefined,
    puts: Map<string, { data: string; times: KeyTimes }>,
    drops: Set<string>,
  ): Promise<KubeObject | undefined> {
    const now = this.o.clock.now();
    const stored = new Set(Object.keys((base?.data ?? {}) as Record<string, string>));
    const times = { ...bundleTimes(base) };
    const inUse = this.o.keysInUse(name);
    const removed = new Set<string>();
    for (const key of drops) {
      if (stored.has(key)) removed.add(key);
      delete times[key];
    }
    // Keys of pods long gone whose release was missed (deleted while the syncer was down).
    for (const key of stored) {
      if (!inUse.has(key) && !puts.has(key) && now - (times[key]?.issuedAt ?? 0) > UNUSED_KEY_GRACE_MS) {
        removed.add(key);
        delete times[key];
      }
    }
    for (const [key, put] of puts) {
      removed.delete(key);
      times[key] = put.times;
    }
    const host = this.o.host;
    const ns = this.o.hostNamespace;
    const timesJson = JSON.stringify(times);
    if (!base) {
      if (!puts.size) return undefined;
      return host.create(Resources.secrets, ns, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name,
          namespace: ns,
          labels: { [MANAGED_BY_LABEL]: this.o.vcName },
          annotations: { [TOKEN_BUNDLE_ANNOTATION]: 'v1', [TOKEN_TIMES_ANNOTATION]: timesJson },
        },
        type: 'Opaque',
        data: Object.fromEntries([...puts].map(([key, put]) => [key, put.data])),
      });
    }
    if (!puts.size && [...stored].every((key) => removed.has(key))) {
      await host.delete(Resources.secrets, ns, name, {
        uid: base.metadata?.uid,
        resourceVersion: base.metadata?.resourceVersion,
      });
      return undefined;
    }
    if (!puts.size && !removed.size && timesJson === JSON.stringify(bundleTimes(base))) return base;
    // A merge patch names only the keys it changes (null removes one), so it needs no stored token;
    // the resourceVersion makes it a conditional write, refused if the bundle changed meanwhile.
    const data: Record<string, string | null> = {};
    for (const key of removed) data[key] = null;
    for (const [key, put] of puts) data[key] = put.data;
    return host.patch(
      Resources.secrets,
      ns,
      name,
      {
        metadata: {
          resourceVersion: base.metadata?.resourceVersion,
          annotations: { [TOKEN_TIMES_ANNOTATION]: timesJson },
        },
        data,
      },
      'merge',
    );
  }
}

/**
 * How many keys a bundle holds or is about to: stored and pending, plus those handed out, less those
 * leaving. A key leaving is never pending (a put takes it back, a release skips a pending key).
 */
function usedSlots(stored: Record<string, string>, state: BundleState): number {
  let used = keyCount(stored);
  for (const key of state.puts.keys()) if (!Object.hasOwn(stored, key)) used++;
  for (const key of state.assigned)
    if (!Object.hasOwn(stored, key) && !state.puts.has(key) && !state.drops.has(key)) used++;
  for (const key of state.drops) if (Object.hasOwn(stored, key)) used--;
  return used;
}

/** Key counts by bundle data object (the cache's and our writes' objects are never changed in place). */
const keyCounts = new WeakMap<object, number>();

function keyCount(data: Record<string, string>): number {
  let count = keyCounts.get(data);
  if (count === undefined) {
    count = Object.keys(data).length;
    keyCounts.set(data, count);
  }
  return count;
}

/** A bundle with its keys and no tokens, as the cache keeps it (see the TokenBundles constructor). */
function keysOnly(secret: KubeObject): KubeObject {
  const data = (secret.data ?? {}) as Record<string, string>;
  return { ...secret, data: Object.fromEntries(Object.keys(data).map((key) => [key, ''])) };
}
