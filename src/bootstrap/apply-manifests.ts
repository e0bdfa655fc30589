import { gunzipSync, gzipSync } from 'node:zlib';
import type { ClusterClient } from '../kube/client.ts';
import { ApiError, isApiError, isNotFound } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import { Resources, type ResourceType } from '../kube/resources.ts';
import { MANAGED_BY_LABEL } from '../naming/labels.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { retryInPasses, StoppableBackoff } from '../util/stoppable-backoff.ts';
import { describeObject } from './create-missing.ts';
import { DiscoveryResolver, NotServedError, parseManifests, placed } from './init-manifests.ts';

/** The field manager the applied objects' fields are owned by. */
export const INIT_MANIFESTS_FIELD_MANAGER = 'vsyncer-init-manifests';
/** Labels of the host ConfigMap that records what was applied. */
export const INIT_MANIFESTS_RECORD_LABEL = 'vsyncer.dev/init-manifests-of';
/** The virtual cluster the record was written for: the UID of its kube-system namespace. */
export const RECORD_CLUSTER_ANNOTATION = 'vsyncer.dev/virtual-cluster-uid';
/** The generation (Helm's release revision) of the manifests recorded. */
export const RECORD_GENERATION_ANNOTATION = 'vsyncer.dev/init-manifests-generation';
/** The installation of the release that generation counts in: the UID of its virtual API Service. */
export const RECORD_INSTALLATION_ANNOTATION = 'vsyncer.dev/init-manifests-installation';
const CONTROL_PLANE_LABELS = { 'app.kubernetes.io/name': 'vsyncer' };
/** The manifests last applied in full, and those being applied (a run not finished yet). */
const APPLIED_KEY = 'manifests.gz';
const PENDING_KEY = 'pending.gz';
/**
 * The objects of earlier runs that did not finish either and that neither text above holds (only
 * their apiVersion, kind, namespace and name: enough to delete them), as gzipped JSON.
 */
const UNSETTLED_KEY = 'unsettled.json.gz';
/**
 * What the record's binaryData may hold: the API server refuses a ConfigMap of more than 1 MiB. The
 * unsettled objects get what the two texts leave; past that the oldest are forgotten (with a warning).
 */
const RECORD_DATA_MAX_BYTES = 1024 * 1024 - 4 * 1024;

/** The host ConfigMap (in the host namespace) that records the manifests last applied in full. */
export function initManifestsRecordName(vcName: string): string {
  return `${vcName}-init-manifests-applied`;
}

export interface ApplyManifestsOptions {
  /** The virtual client (leader-guarded: only the leader runs this). */
  virtual: ClusterClient;
  /** The host client: the record lives in the host namespace, where no tenant can change it. */
  host: ClusterClient;
  hostNamespace: string;
  vcName: string;
  /**
   * The host Service of the virtual API (`--virtual-api-service`; the chart's `<release>`), made anew
   * by each install of the release: its UID tells a reinstall, whose revisions start at 1 again,
   * from an older syncer of the same installation. Unset, missing or not readable: not told apart.
   */
  apiService?: string;
  /** The manifests as given (documents), and where they came from, for messages. */
  text: string;
  source: string;
  /**
   * Which version of the manifests these are (Helm's release revision; 0: unknown). A syncer never
   * applies manifests older than those recorded: during a rolling update a replica still running
   * the old ones may lead for a while, and must not undo the new ones. Compared only within one
   * installation of the release (see apiService).
   */
  generation?: number;
  clock: Clock;
  logger: Logger;
}

export interface ApplyManifestsResult {
  outcome: 'unchanged' | 'applied' | 'superseded' | 'stopped';
  applied: string[];
  /** Refused by the API server as invalid: applying the same object again cannot help. */
  refused: string[];
  /** Objects of the manifests applied last time that these no longer hold. */
  deleted: string[];
}

interface Typed {
  object: KubeObject;
  type: ResourceType;
}

/** What the record says: the manifests applied in full, those being applied, and for which cluster. */
interface RecordState {
  existing?: KubeObject;
  applied?: string;
  pending?: string;
  /** Objects of earlier unfinished runs (oldest first) that may exist: see UNSETTLED_KEY. */
  unsettled?: KubeObject[];
  clusterUid?: string;
  generation?: number;
  installation?: string;
}

/** The virtual API Service: its UID, and when it was made. */
interface Installation {
  uid: string;
  created: number;
}

/** Identifies an object across two versions of the manifests: its group, kind, namespace and name. */
const identity = ({ object, type }: Typed) =>
  `${type.group}/${type.kind}/${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;

/** The same without discovery, as written (group of its apiVersion): to tell which objects a text holds. */
const writtenIdentity = (object: KubeObject) =>
  `${(object.apiVersion ?? '').split('/').slice(0, -1).join('/')}/${object.kind ?? ''}/${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;

/** What deleting an object needs of it. */
function stub({ apiVersion, kind, metadata }: KubeObject): KubeObject {
  const { name, namespace } = metadata ?? {};
  return { apiVersion, kind, metadata: namespace ? { name, namespace } : { name } };
}

/** A server-side apply the server cannot make for this object, whatever is retried. */
function refusedApply(err: unknown): err is ApiError {
  if (isApiError(err, 'invalid')) return true;
  // A field the schema does not know fails as 500 "failed to create typed patch object".
  return err instanceof ApiError && err.statusCode === 500 && /typed patch object/.test(err.message);
}

/**
 * `--init-manifests` as vCluster applies its init manifests (`experimental.deploy.vcluster.manifests`):
 * when the manifests differ from the ones last applied in full, every object is applied (server-side
 * apply: created when missing, its fields of the manifest set again, fields others own left alone),
 * in order, a custom resource waiting until its CRD is served; then the objects of the last manifests
 * (and of earlier runs that did not finish) that these no longer hold are deleted, and the
 * manifests are recorded. While they are unchanged, nothing is applied, so a tenant may edit or
 * delete what it was given.
 *
 * The record is a ConfigMap in the host namespace: vCluster keeps its own in the virtual cluster,
 * where a tenant who may edit it could make the syncer delete any object. It names the virtual
 * cluster it was written for (its kube-system namespace's UID), so a virtual cluster whose data was
 * lost gets every object again. API errors are retried with backoff; nothing here holds up syncing.
 */
export class InitManifestsApplier {
  private readonly o: ApplyManifestsOptions;
  private readonly objects: KubeObject[];
  private readonly resolver: DiscoveryResolver;
  private readonly backoff: StoppableBackoff;
  private running: Promise<ApplyManifestsResult> | undefined;

  /** Throws a ManifestError naming the document when the text cannot be read. */
  constructor(options: ApplyManifestsOptions) {
    this.o = options;
    this.objects = parseManifests(options.text, options.source);
    this.resolver = new DiscoveryResolver(options.virtual);
    this.backoff = new StoppableBackoff(options.clock);
  }

  /** Starts (once; later calls return the same run); resolves when done or on stop. */
  start(): Promise<ApplyManifestsResult> {
    this.running ??= this.run();
    return this.running;
  }

  /** Ends a run waiting to retry (it resolves 'stopped'). */
  stop(): void {
    this.backoff.stop();
  }

  private async run(): Promise<ApplyManifestsResult> {
    const { logger, text } = this.o;
    const generation = this.o.generation ?? 0;
    const result: ApplyManifestsResult = { outcome: 'applied', applied: [], refused: [], deleted: [] };
    const stopped = () => ({ ...result, outcome: 'stopped' as const });

    const clusterUid = await this.retrying('reading the virtual cluster kube-system namespace', () =>
      this.virtualClusterUid(),
    );
    if (clusterUid === STOPPED) return stopped();
    let record = await this.retrying('reading the record of the last applied init manifests', () =>
      this.readRecord(),
    );
    if (record === STOPPED) return stopped();
    if (record.clusterUid !== undefined && record.clusterUid !== clusterUid) {
      logger.info('the init manifests were recorded for an earlier virtual cluster: applying them all', {
        recordedFor: record.clusterUid,
        now: clusterUid,
      });
      record = { existing: record.existing };
    }
    const installation = await this.retrying('reading the virtual API Service', () => this.installation());
    if (installation === STOPPED) return stopped();
    if (
      generation > 0 &&
      (record.generation ?? 0) > generation &&
      this.sameInstallation(record, installation)
    ) {
      logger.warn('newer init manifests were applied by a newer syncer: leaving them', {
        recorded: record.generation,
        mine: generation,
      });
      return { ...result, outcome: 'superseded' };
    }
    if (record.applied === text && record.pending === undefined && !record.unsettled?.length) {
      logger.info('init manifests unchanged since they were last applied: nothing to apply', {
        record: `${this.o.hostNamespace}/${initManifestsRecordName(this.o.vcName)}`,
      });
      return { ...result, outcome: 'unchanged' };
    }

    // Recorded as pending first: if this run stops midway, the next one still knows what it applied.
    // So are the objects of an earlier run that did not finish either (the pending text replaced):
    // otherwise, should this one not finish, those no later manifests hold would stay for good.
    const applied = this.objectsOf(record.applied);
    const pending = this.objectsOf(record.pending);
    const unsettled = this.unsettledNow(record, applied, pending);
    const pendingWritten = await this.retrying('recording the init manifests being applied', () =>
      this.writeRecord({
        applied: record.applied,
        pending: text,
        unsettled,
        clusterUid,
        generation,
        installation: installation?.uid,
      }),
    );
    if (pendingWritten === STOPPED) return stopped();

    // Apply, in order; an object that fails does not hold up the ones after it.
    const current: Typed[] = [];
    const appliedAll = await retryInPasses(
      this.objects,
      this.backoff,
      async (object) => {
        const typed = await this.apply(object);
        current.push(typed);
        result[typed.refused ? 'refused' : 'applied'].push(describeObject(typed));
      },
      (object, err) =>
        logger.warn('applying an init manifest in the virtual cluster failed, retrying', {
          object: describeObject({ object }),
          error: (err as Error).message,
          retryInMs: this.backoff.nextDelayMs,
        }),
    );
    if (!appliedAll) return stopped();

    const kept = new Set(current.map(identity));
    const gone = await this.retrying('deleting the objects the init manifests no longer hold', () =>
      this.deleteDropped([...applied, ...(record.unsettled ?? []), ...pending], kept),
    );
    if (gone === STOPPED) return stopped();
    result.deleted = gone;

    const written = await this.retrying('recording the applied init manifests', () =>
      this.writeRecord({ applied: text, clusterUid, generation, installation: installation?.uid }),
    );
    if (written === STOPPED) return stopped();
    logger.info('applied the init manifests', {
      applied: result.applied,
      refused: result.refused,
      deleted: result.deleted,
    });
    return result;
  }

  /** Runs a step until it succeeds (with backoff), or STOPPED once stop() was called. */
  private async retrying<T>(what: string, step: () => Promise<T>): Promise<T | typeof STOPPED> {
    for (;;) {
      if (this.backoff.stopped) return STOPPED;
      try {
        return await step();
      } catch (err) {
        this.o.logger.warn(`${what} failed, retrying`, {
          error: (err as Error).message,
          retryInMs: this.backoff.nextDelayMs,
        });
        await this.backoff.wait();
      }
    }
  }

  /** The virtual API Service's UID and creation; undefined when it is not known or missing. */
  private async installation(): Promise<Installation | undefined> {
    const { apiService, host, hostNamespace, logger } = this.o;
    if (!apiService) return undefined;
    let service: KubeObject;
    try {
      service = await host.get(Resources.services, hostNamespace, apiService);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      if (!isApiError(err, 'forbidden')) throw err;
      logger.warn('the virtual API Service cannot be read: a reinstall of the release is not told apart', {
        service: `${hostNamespace}/${apiService}`,
        error: err.serverMessage,
      });
      return undefined;
    }
    const uid = service.metadata?.uid;
    return uid ? { uid, created: Date.parse(service.metadata?.creationTimestamp ?? '') } : undefined;
  }

  /**
   * Whether the record was written by this installation of the release, so its generation is one
   * this one's may be compared with. A record that names none (written before records did, or when
   * the Service could not be read) is from an earlier one when it was made before the Service.
   */
  private sameInstallation(record: RecordState, mine: Installation | undefined): boolean {
    if (!mine) return true; // cannot tell: as one, so an older syncer never undoes newer manifests
    const created = Date.parse(record.existing?.metadata?.creationTimestamp ?? '');
    const same = record.installation ? record.installation === mine.uid : !(created < mine.created);
    if (!same)
      this.o.logger.info(
        'the init manifests were recorded by an earlier install of the release: applying these',
        {
          recorded: record.generation,
          mine: this.o.generation,
        },
      );
    return same;
  }

  private async virtualClusterUid(): Promise<string> {
    const ns = await this.o.virtual.get(Resources.namespaces, '', 'kube-system');
    return ns.metadata?.uid ?? '';
  }

  /** Server-side applies one object; an object the API server refuses is reported, not retried. */
  private async apply(given: KubeObject): Promise<Typed & { refused?: boolean }> {
    const type = await this.resolver.typeOf(given);
    const object = placed(given, type);
    const { metadata } = object;
    try {
      await this.o.virtual.patch(type, metadata?.namespace ?? '', metadata?.name ?? '', object, 'apply', {
        fieldManager: INIT_MANIFESTS_FIELD_MANAGER,
        force: true,
      });
      return { object, type };
    } catch (err) {
      if (!refusedApply(err)) throw err;
      this.o.logger.error('the virtual API server refused an init manifest; not applied', {
        object: describeObject({ object, type }),
        error: err.serverMessage,
      });
      return { object, type, refused: true };
    }
  }

  /** The objects of a recorded text; none when it cannot be read (they stay, with a warning). */
  private objectsOf(text: string | undefined): KubeObject[] {
    if (text === undefined || text === this.o.text) return []; // this run applies them all again
    try {
      return parseManifests(text, 'the last applied init manifests');
    } catch (err) {
      this.o.logger.warn('a recorded version of the init manifests cannot be read: its objects stay', {
        error: (err as Error).message,
      });
      return [];
    }
  }

  /**
   * The objects that may exist from unfinished runs and that neither the applied manifests nor these
   * hold: those recorded so already, then those of the pending text this run replaces, oldest first,
   * as many as the record has room for.
   */
  private unsettledNow(record: RecordState, applied: KubeObject[], pending: KubeObject[]): KubeObject[] {
    const held = new Set([...applied, ...this.objects].map(writtenIdentity));
    const unsettled: KubeObject[] = [];
    for (const object of [...(record.unsettled ?? []), ...pending]) {
      const id = writtenIdentity(object);
      if (held.has(id)) continue;
      held.add(id);
      unsettled.push(stub(object));
    }
    const room = RECORD_DATA_MAX_BYTES - packedBytes(record.applied) - packedBytes(this.o.text);
    const { kept, forgotten } = keptWithin(unsettled, room);
    if (forgotten.length)
      this.o.logger.warn(
        'the record has no room for every object of earlier unfinished runs: those forgotten stay in the virtual cluster if no later manifests hold them',
        { forgotten: forgotten.map((object) => describeObject({ object })) },
      );
    return kept;
  }

  /**
   * Deletes, last first, the objects of earlier manifests that the current ones do not hold (custom
   * resources before their CRDs, as they were listed after them). One already gone, or of a kind no
   * longer served, is skipped; so is one the server will not let the syncer delete (a system
   * namespace listed only to label it), with a warning, and one the syncer never applied: an object
   * of that name the tenant made after deleting the one applied (no field of it is the syncer's).
   * Only that very object (its UID) is deleted.
   */
  private async deleteDropped(previous: readonly KubeObject[], kept: ReadonlySet<string>): Promise<string[]> {
    const deleted: string[] = [];
    const seen = new Set<string>();
    for (const given of [...previous].reverse()) {
      let type: ResourceType;
      try {
        type = await this.resolver.typeOf(given);
      } catch (err) {
        if (err instanceof NotServedError) continue; // nothing of that kind left to delete
        throw err;
      }
      const typed = { object: placed(given, type), type };
      const id = identity(typed);
      if (kept.has(id) || seen.has(id)) continue;
      seen.add(id);
      const described = describeObject(typed);
      const namespace = typed.object.metadata?.namespace ?? '';
      const name = typed.object.metadata?.name ?? '';
      try {
        const current = await this.o.virtual.get(type, namespace, name);
        const applied = (current.metadata?.managedFields ?? []).some(
          (entry) => (entry as { manager?: string }).manager === INIT_MANIFESTS_FIELD_MANAGER,
        );
        if (!applied) {
          this.o.logger.warn(
            'an object the init manifests no longer hold was made anew by someone else: it stays',
            {
              object: described,
            },
          );
          continue;
        }
        await this.o.virtual.delete(type, namespace, name, { uid: current.metadata?.uid });
        deleted.push(described);
      } catch (err) {
        if (isNotFound(err)) continue;
        if (isApiError(err, 'forbidden') || (err instanceof ApiError && err.statusCode === 405)) {
          this.o.logger.warn('an object the init manifests no longer hold cannot be deleted: it stays', {
            object: described,
            error: err.serverMessage,
          });
          continue;
        }
        throw err;
      }
    }
    return deleted;
  }

  private async readRecord(): Promise<RecordState> {
    const { host, hostNamespace, vcName } = this.o;
    let existing: KubeObject;
    try {
      existing = await host.get(Resources.configMaps, hostNamespace, initManifestsRecordName(vcName));
    } catch (err) {
      if (isNotFound(err)) return {};
      throw err;
    }
    // Host names are ambiguous: a tenant's ConfigMap copy of another virtual cluster in this namespace
    // can hold this name. Only the record this syncer writes is read (and ever replaced).
    const labels = existing.metadata?.labels ?? {};
    if (labels[INIT_MANIFESTS_RECORD_LABEL] !== vcName || labels[MANAGED_BY_LABEL] !== undefined)
      throw new Error(
        `host ConfigMap ${hostNamespace}/${existing.metadata?.name} holds the name of this virtual cluster's init-manifests record but is not it (a copy of another virtual cluster's, say): the init manifests wait until it is gone`,
      );
    const binary = (existing.binaryData ?? {}) as Record<string, string>;
    const annotations = existing.metadata?.annotations ?? {};
    const generation = Number(annotations[RECORD_GENERATION_ANNOTATION]);
    return {
      existing,
      applied: unpack(binary[APPLIED_KEY]),
      pending: unpack(binary[PENDING_KEY]),
      unsettled: unpackObjects(unpack(binary[UNSETTLED_KEY])),
      clusterUid: annotations[RECORD_CLUSTER_ANNOTATION],
      generation: Number.isInteger(generation) ? generation : undefined,
      installation: annotations[RECORD_INSTALLATION_ANNOTATION] || undefined,
    };
  }

  /** Creates or replaces the record (read again first: a retry after a conflict sees the newest). */
  private async writeRecord(state: Omit<RecordState, 'existing'>): Promise<void> {
    const { host, hostNamespace, vcName } = this.o;
    const binaryData: Record<string, string> = {};
    if (state.applied !== undefined) binaryData[APPLIED_KEY] = pack(state.applied);
    if (state.pending !== undefined) binaryData[PENDING_KEY] = pack(state.pending);
    if (state.unsettled?.length) binaryData[UNSETTLED_KEY] = pack(JSON.stringify(state.unsettled));
    const annotations = {
      [RECORD_CLUSTER_ANNOTATION]: state.clusterUid ?? '',
      [RECORD_GENERATION_ANNOTATION]: String(state.generation ?? 0),
      [RECORD_INSTALLATION_ANNOTATION]: state.installation ?? '',
    };
    const { existing } = await this.readRecord();
    if (existing) {
      await host.update(Resources.configMaps, hostNamespace, {
        ...existing,
        metadata: {
          ...existing.metadata,
          annotations: { ...existing.metadata?.annotations, ...annotations },
        },
        data: undefined,
        binaryData,
      });
      return;
    }
    await host.create(Resources.configMaps, hostNamespace, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: initManifestsRecordName(vcName),
        namespace: hostNamespace,
        labels: { ...CONTROL_PLANE_LABELS, [INIT_MANIFESTS_RECORD_LABEL]: vcName },
        annotations,
      },
      binaryData,
    });
  }
}

const pack = (text: string) => gzipSync(text).toString('base64');

/** What a text takes of the record's data (binaryData counts decoded bytes). */
const packedBytes = (text: string | undefined) => (text === undefined ? 0 : gzipSync(text).length);

/**
 * The newest of the objects (oldest first) whose packed list fits in room bytes, and the rest. Cut
 * an eighth at a time (a few more forgotten than need be): one at a time would gzip once per object.
 */
export function keptWithin(
  objects: readonly KubeObject[],
  room: number,
): { kept: KubeObject[]; forgotten: KubeObject[] } {
  let start = 0;
  while (start < objects.length && packedBytes(JSON.stringify(objects.slice(start))) > room)
    start += Math.ceil((objects.length - start) / 8);
  return { kept: objects.slice(start), forgotten: objects.slice(0, start) };
}

/** The objects of the unsettled entry; none when missing or unreadable. */
function unpackObjects(json: string | undefined): KubeObject[] {
  if (json === undefined) return [];
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value)
      ? value.filter((o): o is KubeObject => typeof o === 'object' && o !== null)
      : [];
  } catch {
    return [];
  }
}

/** The text of a packed entry; undefined when missing or unreadable (treated as never applied). */
function unpack(packed: string | undefined): string | undefined {
  if (!packed) return undefined;
  try {
    return gunzipSync(Buffer.from(packed, 'base64')).toString('utf8');
  } catch {
    return undefined;
  }
}

const STOPPED = Symbol('stopped');
