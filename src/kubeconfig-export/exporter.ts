import type { ClusterClient } from '../kube/client.ts';
import { getIfExists } from '../kube/get-if-exists.ts';
import type { KubeObject } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import { StoppableBackoff } from '../util/stoppable-backoff.ts';
import { MAX_TIMER_MS, type Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { KubeconfigExportError, type ExportedData } from './build.ts';
import { KUBECONFIG_OF_LABEL, kubeconfigSecret, planKubeconfigSecret } from './secret.ts';

export interface KubeconfigExporterOptions {
  /** The host client; with --set-owner, the owning one, so a Secret it creates gets the owner too. */
  host: ClusterClient;
  namespace: string;
  /** The Secret's name (`--kubeconfig-secret`). */
  name: string;
  vcName: string;
  /**
   * Builds the kubeconfig (reading credential files, or asking for a service account's token, which
   * may keep the one `existing` holds); throws KubeconfigExportError when it cannot.
   */
  data(existing: KubeObject | undefined): ExportedData | Promise<ExportedData>;
  /**
   * When the exported credentials are due for renewal (ms since the epoch), read after each export:
   * a service account's token. Undefined: never (the syncer's own credentials).
   */
  renewAt?(): number | undefined;
  clock: Clock;
  logger: Logger;
}

/** The shortest wait before credentials are renewed again. */
const MIN_RENEWAL_WAIT_MS = 60_000;

/** How one attempt ended. */
export type ExportOutcome = 'created' | 'updated' | 'unchanged' | 'not-ours' | 'failed';

/**
 * Writes the tenant's kubeconfig to a host Secret once the syncer runs (vCluster's `vc-<name>`):
 * created, or updated when its content differs, and left alone when it is the same. Nothing here stops
 * the syncing: a Secret of that name that is not ours, or a kubeconfig that cannot be exported, is
 * logged as an error and given up; an API error is retried with backoff. Credentials due for renewal
 * (renewAt) are exported again then.
 */
export class KubeconfigExporter {
  private readonly o: KubeconfigExporterOptions;
  private backoff: StoppableBackoff;
  private running: Promise<ExportOutcome> | undefined;
  private stopped = false;
  private cancelRenewal = () => {};

  constructor(options: KubeconfigExporterOptions) {
    this.o = options;
    this.backoff = new StoppableBackoff(options.clock);
  }

  /** Starts exporting (once; later calls return the same run); resolves with the first outcome. */
  start(): Promise<ExportOutcome> {
    this.running ??= this.run().then((outcome) => {
      this.scheduleRenewal(outcome);
      return outcome;
    });
    return this.running;
  }

  /** Ends a run waiting to retry (it resolves 'failed'), and any renewal to come. */
  stop(): void {
    this.stopped = true;
    this.backoff.stop();
    this.cancelRenewal();
  }

  /** After an export, waits for its credentials' renewal time, if any, and exports again then. */
  private scheduleRenewal(outcome: ExportOutcome): void {
    if (this.stopped || outcome === 'failed' || outcome === 'not-ours') return;
    const at = this.o.renewAt?.();
    if (at === undefined) return;
    // A wait past the longest timer fires early, and waits again. A token granted already due (a
    // clock far behind the API server's) is renewed no more than once a minute.
    const wait = Math.min(Math.max(at - this.o.clock.now(), MIN_RENEWAL_WAIT_MS), MAX_TIMER_MS);
    this.cancelRenewal = this.o.clock.setTimer(() => {
      if (this.o.clock.now() < at) return this.scheduleRenewal(outcome);
      this.backoff = new StoppableBackoff(this.o.clock);
      void this.run().then((next) => this.scheduleRenewal(next));
    }, wait);
  }

  private async run(): Promise<ExportOutcome> {
    const { logger } = this.o;
    const secret = `${this.o.namespace}/${this.o.name}`;
    for (;;) {
      if (this.backoff.stopped) return 'failed';
      try {
        const outcome = await this.exportOnce();
        if (outcome === 'not-ours')
          logger.error(
            `host Secret ${secret} exists and is not this virtual cluster's kubeconfig export (it lacks the label ${KUBECONFIG_OF_LABEL}=${this.o.vcName}): left untouched, the kubeconfig is not exported; delete it or choose another --kubeconfig-secret`,
            { secret },
          );
        else if (outcome === 'unchanged')
          logger.debug(`host Secret ${secret} holds the kubeconfig already`, { secret });
        else logger.info(`exported the kubeconfig to host Secret ${secret}`, { secret });
        return outcome;
      } catch (err) {
        if (err instanceof KubeconfigExportError) {
          logger.error(`cannot export the kubeconfig to host Secret ${secret}: ${err.message}`, { secret });
          return 'failed';
        }
        logger.warn(`exporting the kubeconfig to host Secret ${secret} failed, retrying`, {
          secret,
          error: (err as Error).message,
          retryInMs: this.backoff.nextDelayMs,
        });
      }
      await this.backoff.wait();
    }
  }

  /** One attempt: reads the Secret and writes it only when it is missing or differs. */
  async exportOnce(): Promise<Exclude<ExportOutcome, 'failed'>> {
    const { host, namespace, name, vcName } = this.o;
    const existing = await getIfExists(host, Resources.secrets, namespace, name);
    // Someone else's Secret: nothing is built for it (no token minted).
    if (existing && existing.metadata?.labels?.[KUBECONFIG_OF_LABEL] !== vcName) return 'not-ours';
    const data = await this.o.data(existing);
    const desired = kubeconfigSecret({ name, namespace, vcName, data });
    const plan = planKubeconfigSecret(existing, desired, vcName);
    switch (plan.action) {
      case 'none':
        return 'unchanged';
      case 'not-ours':
        return 'not-ours';
      case 'create':
        // Made meanwhile (AlreadyExists), or changed meanwhile (a conflict on update): the retry reads
        // it again and decides afresh.
        await host.create(Resources.secrets, namespace, plan.secret);
        return 'created';
      case 'update':
        await host.update(Resources.secrets, namespace, plan.secret);
        return 'updated';
    }
  }
}
