import { InformerFactory } from '../informer/factory.ts';
import type { Informer } from '../informer/informer.ts';
import type { InformerView } from '../informer/namespaces-informer.ts';
import type { ClusterClient } from '../kube/client.ts';
import { objectKey, splitKey, type KubeObject } from '../kube/object.ts';
import { sourceControlledElsewhere, targetControlledElsewhere } from '../sync/controlled-elsewhere.ts';
import { EventRecorder } from '../sync/event-recorder.ts';
import { hostInformerFor } from '../sync/host-watch.ts';
import type { BuiltKind, KindSpec, ReconcileContext, Relation, Side, SyncEnvironment } from '../sync/kind.ts';
import { realClock } from '../util/clock.ts';
import { silentLogger, type Logger } from '../util/log.ts';
import { ListOnlyClient, ReadOnlyError } from './read-only.ts';

/** What can be wrong with one source key. */
export type Category = 'missing' | 'orphaned' | 'duplicated' | 'stale';

/** One difference between the clusters. */
export interface Difference {
  kind: string;
  category: Category;
  /** The source object's key (virtual for to-host kinds, host for from-host kinds). */
  key: string;
  /** The target object the difference is about, when there is one (`namespace/name` or `name`). */
  target?: string;
  detail: string;
  /** When, by the objects' own timestamps, the difference can have begun (ms); see ageOf. */
  since?: number;
}

/** One kind's result. */
export interface KindReport {
  kind: string;
  /** Where the kind's objects come from and where their copies go (reversed for from-host kinds). */
  source: Side;
  target: Side;
  /** Source keys looked at: source objects, copies claiming one, and keys related objects name. */
  checked: number;
  missing: number;
  orphaned: number;
  duplicated: number;
  /** Undefined when the kind cannot compute its desired objects purely: staleness not checked. */
  stale?: number;
  /** Why the kind was not compared at all (its CRD is missing, nothing is read back). */
  notChecked?: string;
  differences: Difference[];
}

export interface CheckReport {
  vcName: string;
  hostNamespace: string;
  /** When the check listed the clusters (ms). */
  at: number;
  kinds: KindReport[];
}

export interface CheckOptions {
  /** The enabled kinds, built as the syncer builds them. */
  kinds: ReadonlyMap<string, BuiltKind>;
  vcName: string;
  hostNamespace: string;
  virtual: ClusterClient;
  host: ClusterClient;
  logger?: Logger;
  now?: () => number;
  /** How long listing may take in all before the check gives up (default 2 minutes). */
  listTimeoutMs?: number;
  /** Only these virtual namespaces' objects (cluster-scoped ones are always checked); empty: all. */
  namespaces?: readonly string[];
}

/** The clusters agree: every checked kind has no difference. */
export function agrees(report: CheckReport): boolean {
  return report.kinds.every((k) => k.differences.length === 0);
}

/** How long ago a difference can have begun, in whole seconds (undefined when unknown). */
export function ageOf(difference: Difference, at: number): number | undefined {
  return difference.since === undefined ? undefined : Math.max(0, Math.floor((at - difference.since) / 1000));
}

/** The oldest difference's age of a kind, in whole seconds. */
export function oldestAge(kind: KindReport, at: number): number | undefined {
  const ages = kind.differences.map((d) => ageOf(d, at)).filter((a): a is number => a !== undefined);
  return ages.length ? Math.max(...ages) : undefined;
}

/** A failure to read the clusters: the check cannot say whether they agree. */
export class CheckError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CheckError';
  }
}

interface Wired {
  built: BuiltKind;
  sourceSide: Side;
  source?: InformerView<KubeObject>;
  target?: InformerView<KubeObject>;
  relations: Map<string, Informer<KubeObject>>;
  notChecked?: string;
}

const SOURCE_INDEX = (kind: string) => `check/${kind}/source-key`;
const RELATION_INDEX = (kind: string, relation: string) => `check/${kind}/${relation}`;

/**
 * Compares the two clusters for every enabled kind, from one list of each resource (no cache of the
 * syncer's), and decides with each kind's own mapper and wanted(): which source keys should have a
 * copy, which copies are ours and what they claim. It never writes: both clients refuse writes.
 */
export async function checkClusters(opts: CheckOptions): Promise<CheckReport> {
  const logger = opts.logger ?? silentLogger;
  const virtual = new ListOnlyClient(opts.virtual);
  const host = new ListOnlyClient(opts.host);
  const informers = new InformerFactory({ clock: realClock, logger });
  const env: SyncEnvironment = {
    vcName: opts.vcName,
    hostNamespace: opts.hostNamespace,
    virtual,
    host,
    informers,
    events: new EventRecorder({ client: virtual, component: 'vsyncer-check', clock: realClock, logger }),
    clock: realClock,
    logger,
  };
  try {
    const ready = new Set<string>();
    const notReady = new Map<string, string>();
    for (const [name, built] of opts.kinds) {
      const reason = await prepared(built.spec, env);
      if (reason === undefined) ready.add(name);
      else notReady.set(name, `not ready: ${reason}`);
    }
    const wired: Wired[] = [];
    for (const [name, built] of opts.kinds) {
      const reason = notReady.get(name);
      wired.push(reason ? emptyWiring(built, reason) : wire(built, env, opts.kinds, ready));
    }
    informers.start();
    await listed(informers, [virtual, host], opts.listTimeoutMs ?? 120_000);
    const at = (opts.now ?? Date.now)();
    return {
      vcName: opts.vcName,
      hostNamespace: opts.hostNamespace,
      at,
      kinds: wired.map((w) => compareKind(w, env, { virtual, host }, opts.namespaces)),
    };
  } finally {
    await informers.stop();
  }
}

/** Runs a kind's prepare step (its CRD served on both sides); a write it would make is refused. */
async function prepared(spec: KindSpec, env: SyncEnvironment): Promise<string | undefined> {
  if (!spec.prepare) return undefined;
  try {
    return await spec.prepare(env);
  } catch (err) {
    return err instanceof ReadOnlyError
      ? 'its prepare step would write (a CRD to copy), which the syncer has not done yet'
      : (err as Error).message;
  }
}

function emptyWiring(built: BuiltKind, notChecked: string): Wired {
  const sourceSide: Side = built.spec.direction === 'from-host' ? 'host' : 'virtual';
  return { built, sourceSide, relations: new Map(), notChecked };
}

/** Makes the informers a kind reads, scoped as the syncer scopes them, with its relations' indexes. */
function wire(
  built: BuiltKind,
  env: SyncEnvironment,
  kinds: ReadonlyMap<string, BuiltKind>,
  ready: ReadonlySet<string>,
): Wired {
  const { spec } = built;
  const sourceSide: Side = spec.direction === 'from-host' ? 'host' : 'virtual';
  const virtualInformer =
    spec.watchVirtual === false ? undefined : env.informers.get(env.virtual, spec.virtualType);
  const hostInformer = hostInformerFor(env, spec);
  const [source, target] =
    sourceSide === 'virtual' ? [virtualInformer, hostInformer] : [hostInformer, virtualInformer];
  const targetSide: Side = sourceSide === 'virtual' ? 'host' : 'virtual';
  if (!target)
    return emptyWiring(
      built,
      `the syncer writes its ${targetSide} objects and never reads them back: nothing to compare`,
    );
  target.addIndexer(SOURCE_INDEX(built.name), (t) => {
    const key = spec.mapper.sourceKeyOf(t);
    return key ? [key] : [];
  });
  const relations = new Map<string, Informer<KubeObject>>();
  for (const relation of spec.relations ?? []) {
    if (relation.whenKind && !(kinds.has(relation.whenKind) && ready.has(relation.whenKind))) continue;
    const client = relation.cluster === 'virtual' ? env.virtual : env.host;
    const informer = env.informers.get(client, relation.type, relation.scope);
    informer.addIndexer(RELATION_INDEX(built.name, relation.name), (obj) => relationKeys(relation, obj));
    relations.set(relation.name, informer);
  }
  try {
    spec.setup?.(env, kinds);
  } catch (err) {
    return emptyWiring(built, `its setup failed: ${(err as Error).message}`);
  }
  return { built, sourceSide, source, target, relations };
}

/** Waits until every informer has listed, failing on the first list that fails or at the deadline. */
async function listed(
  informers: InformerFactory,
  clients: ListOnlyClient[],
  timeoutMs: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new CheckError(
            `listing did not finish within ${timeoutMs / 1000} s (waiting for ${informers.notSynced().join(', ')})`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    await Promise.race([informers.waitForSync(), ...clients.map((c) => c.failed), timedOut]);
  } catch (err) {
    if (err instanceof CheckError) throw err;
    throw new CheckError((err as Error).message, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/** The source keys of one kind, judged as the engine would judge them in a reconcile. */
function compareKind(
  w: Wired,
  env: SyncEnvironment,
  clients: Record<Side, ListOnlyClient>,
  namespaces: readonly string[] = [],
): KindReport {
  const { built, sourceSide } = w;
  const { spec } = built;
  const targetSide: Side = sourceSide === 'virtual' ? 'host' : 'virtual';
  const report: KindReport = {
    kind: built.name,
    source: sourceSide,
    target: targetSide,
    checked: 0,
    missing: 0,
    orphaned: 0,
    duplicated: 0,
    stale: spec.diff ? 0 : undefined,
    differences: [],
  };
  if (w.notChecked || !w.target) {
    report.notChecked = w.notChecked;
    return report;
  }
  const target = w.target;
  const keys = new Set<string>();
  for (const obj of w.source?.store.list() ?? []) keys.add(objectKey(obj));
  for (const obj of target.store.list()) {
    const key = spec.mapper.sourceKeyOf(obj);
    if (key) keys.add(key);
  }
  for (const [name, informer] of w.relations) {
    const relation = spec.relations!.find((r) => r.name === name)!;
    for (const obj of informer.store.list()) for (const key of relationKeys(relation, obj)) keys.add(key);
  }
  const add = (category: Category, d: Omit<Difference, 'kind' | 'category'>) => {
    report.differences.push({ kind: built.name, category, ...d });
    report[category] = (report[category] ?? 0) + 1;
  };
  const lastChange = (side: Side, obj: KubeObject) => clients[side].lastChange(obj) ?? created(obj);

  // The virtual namespaces of a key: a virtual key's own, or (from-host kinds) its copies': where a
  // mapping would put it, and where copies of a mapping since changed still are. None: cluster-scoped.
  const virtualNamespacesOf = (key: string): string[] => {
    const virtualKeys =
      sourceSide === 'virtual'
        ? [key]
        : [
            spec.mapper.targetKey(key, w.source?.store.get(key)),
            ...target.store.byIndex(SOURCE_INDEX(built.name), key).map(objectKey),
          ];
    return virtualKeys.filter((k) => k?.includes('/')).map((k) => splitKey(k!).namespace);
  };
  for (const key of [...keys].sort()) {
    if (namespaces.length) {
      const inNamespaces = virtualNamespacesOf(key);
      if (inNamespaces.length && !inNamespaces.some((ns) => namespaces.includes(ns))) continue;
    }
    const source = w.source?.store.get(key);
    // Objects another tool controls are never synced (the engine skips them the same way).
    if (sourceControlledElsewhere(spec, source, built.name)) continue;
    const targetKey = spec.mapper.targetKey(key, source);
    const ctx = context(w, env, key, targetKey);
    let wanted: boolean;
    try {
      wanted = spec.wanted ? spec.wanted(ctx, source) : source !== undefined;
    } catch {
      wanted = source !== undefined;
    }
    const inTheWay = targetKey ? target.store.get(targetKey) : undefined;
    const copy = inTheWay && spec.mapper.sourceKeyOf(inTheWay) === key ? inTheWay : undefined;
    if (targetControlledElsewhere(spec, copy, built.name)) continue;
    report.checked++;
    const owned = target.store.byIndex(SOURCE_INDEX(built.name), key);
    const extras = owned.filter((o) => o !== copy);
    const terminating = (obj: KubeObject) => (obj.metadata?.deletionTimestamp ? ' (terminating)' : '');
    // A copy the kind keeps on purpose for now (a host pod still mounts it) is no orphan: the syncer
    // removes it once the reason is gone.
    const kept = (obj: KubeObject): boolean => {
      try {
        return spec.keptBecause?.(ctx, obj) !== undefined;
      } catch {
        return false;
      }
    };

    if (owned.length > 1) {
      add('duplicated', {
        key,
        target: targetKey,
        detail: `${owned.length} ${targetSide} objects claim it: ${owned.map(objectKey).sort().join(', ')}`,
        since: maxDefined(...owned.map(created)),
      });
    } else if (extras.length === 1 && !kept(extras[0]!)) {
      add('orphaned', {
        key,
        target: objectKey(extras[0]!),
        detail: `a ${targetSide} object claims it under another name than ${targetKey ?? '(none)'}${terminating(extras[0]!)}`,
        since: created(extras[0]!),
      });
    }
    if (wanted) {
      if (!copy) {
        add('missing', {
          key,
          target: targetKey,
          detail: inTheWay
            ? `its ${targetSide} name is taken by an object that is not its copy`
            : `no ${targetSide} copy`,
          since: source ? created(source) : undefined,
        });
        continue;
      }
      const recorded = spec.mapper.sourceUidOf?.(copy);
      const uid = source?.metadata?.uid;
      if (recorded !== undefined && recorded !== uid) {
        add('orphaned', {
          key,
          target: targetKey,
          detail: `the ${targetSide} copy records ${sourceSide} UID ${recorded}, the ${sourceSide} object is ${uid ?? 'gone'}${terminating(copy)}`,
          since: created(copy),
        });
        continue;
      }
      if (!spec.diff || !source) continue;
      let stale: string[];
      try {
        stale = spec.diff(ctx, source, copy);
      } catch (err) {
        stale = [`cannot compute the desired object: ${(err as Error).message}`];
      }
      if (stale.length)
        add('stale', {
          key,
          target: targetKey,
          detail: stale.join('; '),
          since: maxDefined(lastChange(sourceSide, source), lastChange(targetSide, copy)),
        });
    } else if (copy && owned.length <= 1 && !kept(copy)) {
      add('orphaned', {
        key,
        target: targetKey,
        detail: source
          ? `copy of a ${sourceSide} object that is not to be synced${terminating(copy)}`
          : `copy of a ${sourceSide} object that does not exist${terminating(copy)}`,
        since: created(copy),
      });
    }
  }
  return report;
}

/** The read-only view of one key that wanted() and diff() take; nothing in it writes. */
function context(
  w: Wired,
  env: SyncEnvironment,
  key: string,
  targetKey: string | undefined,
): ReconcileContext {
  const [virtualKey, hostKey] = w.sourceSide === 'virtual' ? [key, targetKey] : [targetKey ?? '', key];
  const { namespace, name } = splitKey(virtualKey);
  const kind = w.built.name;
  return {
    ...env,
    key,
    virtualKey,
    virtualNamespace: namespace,
    virtualName: name,
    hostName: hostKey ? splitKey(hostKey).name : '',
    retries: 0,
    log: env.logger.child({ kind, object: key }),
    related: (relation, relatedKey = key) =>
      w.relations.get(relation)?.store.byIndex(RELATION_INDEX(kind, relation), relatedKey) ?? [],
    planMetadata: () => {
      throw new ReadOnlyError('planning metadata (a sync step)');
    },
    expectSourceUid: () => {},
  };
}

function relationKeys(relation: Relation, obj: KubeObject): string[] {
  try {
    return relation.keys(obj);
  } catch {
    return [];
  }
}

function created(obj: KubeObject): number | undefined {
  const t = Date.parse(obj.metadata?.creationTimestamp ?? '');
  return Number.isFinite(t) ? t : undefined;
}

function maxDefined(...values: (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length ? Math.max(...defined) : undefined;
}
