import type { InformerFactory } from '../informer/factory.ts';
import type { Logger } from '../util/log.ts';

/** Something the syncer starts once the caches it reads are full: a kind, or what else reads caches. */
export interface CacheReader {
  /** Its name as an informer user (see InformerFactory.forUser); a kind's is its `--sync` name. */
  readonly kind: string;
  start(): void;
}

export interface StartOnceFilledOptions {
  /** Settles before the start as well (the CRDs copied from the host, for a while at most). */
  after?: Promise<void>;
  /** True once the syncer is shutting down: nothing starts then. */
  stopping(): boolean;
  logger: Logger;
}

/**
 * Starts the reader once every informer it asked for has filled its cache: never from half-filled
 * caches, where a missing object would look deleted. Each reader waits for its own caches alone, so
 * one that cannot fill (its list refused by RBAC, its group not served) holds up only the readers
 * that read it, not the whole syncer; the factory warns meanwhile, naming it and its list's error.
 */
export async function startOnceFilled(
  reader: CacheReader,
  informers: InformerFactory,
  opts: StartOnceFilledOptions,
): Promise<void> {
  await informers.waitForSync(reader.kind);
  await opts.after;
  if (opts.stopping()) return;
  opts.logger.info('caches filled: starting', { component: reader.kind });
  reader.start();
}
