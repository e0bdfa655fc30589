import type { InformerFactory } from '../informer/factory.ts';
import type { ClusterClient } from '../kube/client.ts';
import type { ResourceType } from '../kube/resources.ts';
import { virtualCrdFromHost } from '../translators/custom-resources/crd.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { retryInPasses, StoppableBackoff } from '../util/stoppable-backoff.ts';

export interface CrdsFromHostOptions {
  host: ClusterClient;
  /** The virtual client (leader-guarded: only the leader runs this). */
  virtual: ClusterClient;
  informers: InformerFactory;
  /** The CRD-served resources the enabled kinds read in the virtual cluster. */
  types: readonly ResourceType[];
  hostNamespace: string;
  vcName: string;
  clock: Clock;
  logger: Logger;
}

/**
 * Gives the virtual cluster the host's CRDs of the CRD-served resources the enabled kinds sync
 * (Gateway API, CSI snapshots) when it lacks them, as vCluster installs them there, so a tenant can
 * create what those kinds sync without installing anything. A CRD the virtual cluster has is left as
 * it is. Once one is established, the informers that found the resource not served list it at once
 * instead of at their next recheck. Runs once the syncer leads; nothing here holds up the syncing.
 */
export class CrdsFromHost {
  private readonly o: CrdsFromHostOptions;
  private readonly backoff: StoppableBackoff;
  private running: Promise<boolean> | undefined;

  constructor(options: CrdsFromHostOptions) {
    this.o = options;
    this.backoff = new StoppableBackoff(options.clock, 500, 30_000);
  }

  /** Starts (once); resolves true when every CRD is settled, false on stop. */
  start(): Promise<boolean> {
    this.running ??= retryInPasses(
      this.o.types,
      this.backoff,
      async (type) => {
        const notYet = await virtualCrdFromHost(this.o, type);
        if (notYet) throw new Error(notYet);
        this.o.informers.recheckIfNotServed(this.o.virtual, type);
      },
      (type, err) =>
        this.o.logger.info('waiting for a CRD copied from the host', {
          resource: `${type.resource}.${type.group}`,
          reason: (err as Error).message,
        }),
    );
    return this.running;
  }

  stop(): void {
    this.backoff.stop();
  }
}
