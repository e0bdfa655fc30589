import { ConfigError } from '../config/config.ts';
import { WaitingError } from '../controller/errors.ts';
import type { ClusterClient } from '../kube/client.ts';
import { isApiError, isNotFound } from '../kube/errors.ts';
import type { KubeObject, OwnerReference } from '../kube/object.ts';
import type { Informer } from '../informer/informer.ts';
import { Resources } from '../kube/resources.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { StoppableBackoff } from '../util/stoppable-backoff.ts';

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;
/** How soon a create waiting for a deleted owner Service is tried again. */
const OWNER_GONE_RECHECK_MS = 5_000;

/**
 * The owner `--set-owner` gives every object the syncer creates in its host namespace: the Service of
 * the virtual API (`--virtual-api-service`), which the chart makes, so `helm uninstall` deleting it
 * lets the host's garbage collector remove every synced object (vCluster does the same). Not a
 * controller, and without blockOwnerDeletion, which would need update on services/finalizers.
 */
export class OwnerService {
  private readonly client: ClusterClient;
  private readonly namespace: string;
  private readonly name: string;
  private resolved: OwnerReference | undefined;
  /** The Service was deleted and has not come back: nothing may be created (see reference). */
  private gone = false;

  constructor(client: ClusterClient, namespace: string, name: string) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
  }

  /**
   * Reads the Service's UID. A missing Service is a configuration error. Read once; afterwards the
   * Service's own watch (follow) keeps it current.
   */
  async resolve(): Promise<OwnerReference> {
    if (this.resolved) return this.resolved;
    const where = `host Service ${this.namespace}/${this.name}`;
    let uid: string | undefined;
    try {
      uid = (await this.client.get(Resources.services, this.namespace, this.name)).metadata?.uid;
    } catch (err) {
      if (isNotFound(err))
        throw new ConfigError(
          '--virtual-api-service',
          `${where} does not exist; --set-owner makes it the owner of every object the syncer creates (create it, name another, or turn --set-owner off)`,
        );
      if (isApiError(err, 'forbidden'))
        throw new ConfigError('--set-owner', `the syncer may not get ${where}: grant get on services`);
      throw err;
    }
    if (!uid) throw new Error(`${where} was returned without a UID`);
    this.resolved = { apiVersion: 'v1', kind: 'Service', name: this.name, uid, controller: false };
    return this.resolved;
  }

  /**
   * resolve(), retrying what may pass (the host API unreachable, answering 500) with backoff until it
   * succeeds or stopping() says to give up; a configuration error is thrown at once.
   */
  async resolveRetrying(opts: {
    clock: Clock;
    logger: Logger;
    stopping(): boolean;
  }): Promise<OwnerReference> {
    const backoff = new StoppableBackoff(opts.clock, RETRY_MIN_MS, RETRY_MAX_MS);
    for (;;) {
      try {
        return await this.resolve();
      } catch (err) {
        if (err instanceof ConfigError || opts.stopping()) throw err;
        opts.logger.warn(
          `--set-owner: reading host Service ${this.namespace}/${this.name} failed, retrying`,
          {
            error: (err as Error).message,
            retryInMs: backoff.nextDelayMs,
          },
        );
      }
      await backoff.wait();
    }
  }

  /**
   * Follows the Service through a watch of it alone: re-created under the same name (`kubectl
   * replace --force`, a reinstall while the syncer ran), it is another owner. The objects the old one
   * owned are gone with it, and a copy made afterwards still naming the old UID would be deleted by
   * the host's garbage collector as soon as it exists (an owner whose UID does not match is
   * missing), again on every try.
   */
  follow(service: Pick<Informer<KubeObject>, 'addHandlers'>, logger: Logger): void {
    const where = `${this.namespace}/${this.name}`;
    const seen = (svc: KubeObject) => {
      const uid = svc.metadata?.uid;
      if (svc.metadata?.name !== this.name || !uid || !this.resolved) return;
      if (this.resolved.uid === uid && !this.gone) return;
      logger.info(
        '--set-owner: the virtual API Service is there again; objects created from now on are owned by it',
        { service: where, uid },
      );
      this.resolved = { ...this.resolved, uid };
      this.gone = false;
    };
    // Deleted (helm uninstall under way, or by hand): what the syncer created is being deleted with
    // it, and a copy made now, owned by a Service that is gone, would be deleted by the host's garbage
    // collector as soon as it exists, then made again, and so on for every object.
    const deleted = (svc: KubeObject) => {
      if (svc.metadata?.name !== this.name || this.gone) return;
      this.gone = true;
      logger.warn(
        '--set-owner: the virtual API Service was deleted; nothing is created in the host namespace until it is there again',
        { service: where },
      );
    };
    service.addHandlers({ onAdd: seen, onUpdate: (_old, svc) => seen(svc), onDelete: deleted });
  }

  /** The field selector of a watch of the owner Service alone (see follow). */
  get fieldSelector(): string {
    return `metadata.name=${this.name}`;
  }

  /** True once the owner is known. */
  get resolvedYet(): boolean {
    return this.resolved !== undefined;
  }

  /**
   * The owner reference; throws until resolve() succeeded, so nothing is ever created without it,
   * and while the Service is deleted (a wait: the create is tried again, and the Service's return
   * brings nothing else, so every few seconds).
   */
  reference(): OwnerReference {
    if (!this.resolved)
      throw new Error(`--set-owner: the owner (host Service ${this.namespace}/${this.name}) is not read yet`);
    if (this.gone)
      throw new WaitingError(
        `--set-owner: the owner (host Service ${this.namespace}/${this.name}) was deleted; nothing is created in the host namespace until it is there again`,
        { retryAfterMs: OWNER_GONE_RECHECK_MS },
      );
    return this.resolved;
  }
}
