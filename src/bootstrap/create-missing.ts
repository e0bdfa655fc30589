import type { ClusterClient } from '../kube/client.ts';
import type { KubeObject } from '../kube/object.ts';
import type { ResourceType } from '../kube/resources.ts';
import { isApiError } from '../kube/errors.ts';
import { getIfExists } from '../kube/get-if-exists.ts';
import { retryInPasses, StoppableBackoff } from '../util/stoppable-backoff.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { BootstrapObject } from './coredns.ts';

export interface CreateMissingOptions {
  /** The virtual client (leader-guarded: only the leader runs this). */
  client: ClusterClient;
  /** What the objects are for, in log lines: `CoreDNS`. */
  what: string;
  /** Created in this order; each one only when missing. */
  objects: readonly BootstrapObject[];
  clock: Clock;
  logger: Logger;
}

/** How a run ended, and what it found: objects as `Kind namespace/name`. */
export interface CreateMissingResult {
  outcome: 'done' | 'stopped';
  created: string[];
  /** Found in place (or made by someone else meanwhile): left exactly as they are. */
  existing: string[];
  /** Refused by the API server as invalid: retrying the same object cannot help. */
  refused: string[];
}

/** `Deployment kube-system/coredns`, `ClusterRole system:coredns` (the object's kind until its type is known). */
export function describeObject({ type, object }: { type?: ResourceType; object: KubeObject }): string {
  const ns = object.metadata?.namespace;
  return `${type?.kind ?? object.kind ?? ''} ${ns ? `${ns}/` : ''}${object.metadata?.name ?? ''}`;
}

/**
 * Creates the objects that are missing from a cluster, once the syncer runs, and never touches one
 * that exists: whoever runs the cluster may change or replace them, and the syncer must not fight
 * that. A restart creates again only what was deleted. API errors are retried with backoff (the
 * objects already seen are not read again); nothing here holds up the syncing.
 */
export class MissingObjectCreator {
  private readonly o: CreateMissingOptions;
  /** The backoff of the run under way (each run starts from the shortest delay). */
  private backoff: StoppableBackoff | undefined;
  private stopped = false;
  /** The run under way, if any: callers meanwhile share it. */
  private running: Promise<CreateMissingResult> | undefined;

  constructor(options: CreateMissingOptions) {
    this.o = options;
  }

  /** Starts a run (or joins the one under way); resolves when every object exists or on stop. */
  start(): Promise<CreateMissingResult> {
    return this.runOnce({ quietWhenComplete: false });
  }

  /**
   * Creates again what has gone missing since (someone deleted it), as start() does, saying nothing
   * when nothing was missing. Objects that exist are still left as they are.
   */
  runAgain(): Promise<CreateMissingResult> {
    return this.runOnce({ quietWhenComplete: true });
  }

  /** Ends a run waiting to retry (it resolves 'stopped'); no run starts after. */
  stop(): void {
    this.stopped = true;
    this.backoff?.stop();
  }

  private runOnce(opts: { quietWhenComplete: boolean }): Promise<CreateMissingResult> {
    if (this.stopped) return Promise.resolve({ outcome: 'stopped', created: [], existing: [], refused: [] });
    if (!this.running) {
      const backoff = new StoppableBackoff(this.o.clock);
      this.backoff = backoff;
      this.running = this.run(backoff, opts).finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  /**
   * Passes over the objects in order. One that fails (an API error, its namespace not made yet) does
   * not hold up the ones after it: they are tried in the same pass, and the failed ones again after a
   * backoff, still in their order, until each is done.
   */
  private async run(
    backoff: StoppableBackoff,
    opts: { quietWhenComplete: boolean },
  ): Promise<CreateMissingResult> {
    const { logger, what } = this.o;
    const result: CreateMissingResult = { outcome: 'done', created: [], existing: [], refused: [] };
    const done = await retryInPasses(
      this.o.objects,
      backoff,
      async (item) => {
        result[await this.ensure(item)].push(describeObject(item));
      },
      (item, err) =>
        logger.warn(`creating the ${what} objects in the virtual cluster failed, retrying`, {
          object: describeObject(item),
          error: (err as Error).message,
          retryInMs: backoff.nextDelayMs,
        }),
    );
    if (!done) return { ...result, outcome: 'stopped' };
    // A check again (runAgain) that found everything in place says nothing: it runs every half minute.
    if (opts.quietWhenComplete && result.created.length === 0) return result;
    logger.info(
      result.created.length
        ? `created the ${what} objects missing from the virtual cluster`
        : `the virtual cluster has every ${what} object already`,
      { created: result.created, leftAsTheyWere: result.existing },
    );
    return result;
  }

  /** Reads the object and creates it only when it is not there. */
  private async ensure(item: BootstrapObject): Promise<'created' | 'existing' | 'refused'> {
    const { client, logger, what } = this.o;
    const namespace = item.object.metadata?.namespace ?? '';
    const name = item.object.metadata?.name ?? '';
    if (await getIfExists(client, item.type, namespace, name, { unnamedNotFoundIsAbsent: true }))
      return 'existing';
    try {
      // A NotFound here (its namespace not made yet, on a fresh control plane) is retried like any
      // API error.
      await client.create(item.type, namespace, item.object);
      return 'created';
    } catch (err) {
      // Made meanwhile by someone else: theirs, left alone like any object found.
      if (isApiError(err, 'alreadyExists')) return 'existing';
      if (isApiError(err, 'invalid')) {
        logger.error(
          `the virtual API server refused the ${what} object ${describeObject(item)}; not created`,
          {
            error: err.serverMessage,
          },
        );
        return 'refused';
      }
      throw err;
    }
  }
}
