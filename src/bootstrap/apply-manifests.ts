import { gunzipSync, gzipSync } from 'node:zlib';
import type { ClusterClient } from '../kube/client.ts';
import { isApiError, isNotFound } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import { Resources, type ResourceType } from '../kube/resources.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { StoppableBackoff } from '../util/stoppable-backoff.ts';
import { describeObject } from './create-missing.ts';
import { DiscoveryResolver, parseManifests, placed } from './init-manifests.ts';

/** The field manager the applied objects' fields are owned by. */
export const INIT_MANIFESTS_FIELD_MANAGER = 'vsyncer-init-manifests';
/** Labels of the host ConfigMap that records what was applied. */
export const INIT_MANIFESTS_RECORD_LABEL = 'vsyncer.dev/init-manifests-of';
const CONTROL_PLANE_LABELS = { 'app.kubernetes.io/name': 'vsyncer' };
const RECORD_KEY = 'manifests.gz';

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
  /** The manifests as given (documents), and where they came from, for messages. */
  text: string;
  source: string;
  clock: Clock;
  logger: Logger;
}

export interface ApplyManifestsResult {
  outcome: 'unchanged' | 'applied' | 'stopped';
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

/** Identifies an object across two versions of the manifests: its group, kind, namespace and name. */
const identity = ({ object, type }: Typed) =>
  `${type.group}/${type.kind}/${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;

/**
 * `--init-manifests` as vCluster applies its init manifests (`experimental.deploy.vcluster.manifests`):
 * when the manifests differ from the ones last applied in full, every object is applied (server-side
 * apply: created when missing, its fields of the manifest set again, fields others own left alone),
 * in order, a custom resource waiting until its CRD is served; then the objects of the last manifests
 * that these no longer hold are deleted, and the manifests are recorded. While they are unchanged,
 * nothing is applied, so a tenant may edit or delete what it was given. The record is a ConfigMap in
 * the host namespace (vCluster keeps it in the virtual cluster, where a tenant could make the syncer
 * delete any object by editing it). API errors are retried with backoff; nothing here holds up syncing.
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
    const { logger } = this.o;
    const result: ApplyManifestsResult = { outcome: 'applied', applied: [], refused: [], deleted: [] };
    const stopped = () => ({ ...result, outcome: 'stopped' as const });

    const record = await this.retrying('reading the record of the last applied init manifests', () =>
      this.readRecord(),
    );
    if (record === STOPPED) return stopped();
    if (record.text === this.o.text) {
      logger.info('init manifests unchanged since they were last applied: nothing to apply', {
        record: `${this.o.hostNamespace}/${initManifestsRecordName(this.o.vcName)}`,
      });
      return { ...result, outcome: 'unchanged' };
    }

    // Apply, in order; an object that fails does not hold up the ones after it.
    const current: Typed[] = [];
    let pending = [...this.objects];
    for (;;) {
      const failed: KubeObject[] = [];
      for (const object of pending) {
        if (this.backoff.stopped) return stopped();
        try {
          const typed = await this.apply(object);
          current.push(typed);
          result[typed.refused ? 'refused' : 'applied'].push(describeObject(typed));
        } catch (err) {
          failed.push(object);
          logger.warn('applying an init manifest in the virtual cluster failed, retrying', {
            object: `${object.kind} ${object.metadata?.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata?.name}`,
            error: (err as Error).message,
            retryInMs: this.backoff.nextDelayMs,
          });
        }
      }
      if (failed.length === 0) break;
      pending = failed;
      if (this.backoff.stopped) return stopped();
      await this.backoff.wait();
    }

    const gone = await this.retrying('deleting the objects the init manifests no longer hold', () =>
      this.deleteDropped(record.text, new Set(current.map(identity))),
    );
    if (gone === STOPPED) return stopped();
    result.deleted = gone;

    const written = await this.retrying('recording the applied init manifests', () => this.writeRecord());
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

  /** Server-side applies one object; an object the API server refuses as invalid is reported, not retried. */
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
      if (!isApiError(err, 'invalid')) throw err;
      this.o.logger.error('the virtual API server refused an init manifest; not applied', {
        object: describeObject({ object, type }),
        error: err.serverMessage,
      });
      return { object, type, refused: true };
    }
  }

  /**
   * Deletes, last first, the objects of the last applied manifests that the current ones do not
   * hold (custom resources before their CRDs, as they were listed after them). An object already
   * gone, or of a kind no longer served, is skipped.
   */
  private async deleteDropped(lastText: string | undefined, kept: ReadonlySet<string>): Promise<string[]> {
    if (!lastText) return [];
    let previous: KubeObject[];
    try {
      previous = parseManifests(lastText, 'the last applied init manifests');
    } catch (err) {
      this.o.logger.warn('the record of the last applied init manifests cannot be read: nothing deleted', {
        error: (err as Error).message,
      });
      return [];
    }
    const deleted: string[] = [];
    for (const given of previous.reverse()) {
      let type: ResourceType;
      try {
        type = await this.resolver.typeOf(given);
      } catch {
        continue; // not served any more: nothing of it to delete
      }
      const typed = { object: placed(given, type), type };
      if (kept.has(identity(typed))) continue;
      try {
        await this.o.virtual.delete(
          type,
          typed.object.metadata?.namespace ?? '',
          typed.object.metadata?.name ?? '',
        );
        deleted.push(describeObject(typed));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return deleted;
  }

  private async readRecord(): Promise<{ text?: string; existing?: KubeObject }> {
    const { host, hostNamespace, vcName } = this.o;
    let existing: KubeObject;
    try {
      existing = await host.get(Resources.configMaps, hostNamespace, initManifestsRecordName(vcName));
    } catch (err) {
      if (isNotFound(err)) return {};
      throw err;
    }
    const packed = (existing.binaryData as Record<string, string> | undefined)?.[RECORD_KEY];
    if (!packed) return { existing };
    try {
      return { existing, text: gunzipSync(Buffer.from(packed, 'base64')).toString('utf8') };
    } catch {
      // Unreadable: as if there were none (every object is applied again, none deleted).
      return { existing };
    }
  }

  /** Creates or replaces the record (read again first: a retry after a conflict sees the newest). */
  private async writeRecord(): Promise<void> {
    const { host, hostNamespace, vcName } = this.o;
    const binaryData = { [RECORD_KEY]: gzipSync(this.o.text).toString('base64') };
    const { existing } = await this.readRecord();
    if (existing) {
      await host.update(Resources.configMaps, hostNamespace, { ...existing, data: undefined, binaryData });
      return;
    }
    await host.create(Resources.configMaps, hostNamespace, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: initManifestsRecordName(vcName),
        namespace: hostNamespace,
        labels: { ...CONTROL_PLANE_LABELS, [INIT_MANIFESTS_RECORD_LABEL]: vcName },
      },
      binaryData,
    });
  }
}

const STOPPED = Symbol('stopped');
