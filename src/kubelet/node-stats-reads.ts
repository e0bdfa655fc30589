import { realClock, type Clock } from '../util/clock.ts';
import { RecentReads } from '../util/recent-reads.ts';
import { RouteError } from './routes.ts';

/**
 * How long one read of a node's endpoint answers every caller: scrapers of the same node (a
 * Prometheus, a metrics-server) share it, and a flood of callers is answered without the host's
 * node proxy being asked again.
 */
export const STATS_SHARE_MS = 5_000;

/**
 * Reads of host node statistics under way at once, at most: each holds a host connection and up to
 * a whole answer in memory (a stats summary is read whole). Beyond it a caller is refused (429).
 */
export const MAX_STATS_READS = 16;

/**
 * Node statistics as a tenant sees them, read from the host at most once per node and endpoint every
 * STATS_SHARE_MS (a failure is shared as well), and at most `max` reads at once.
 */
export class NodeStatsReads {
  private readonly recent: RecentReads<string, string>;
  private readonly max: number;
  private underWay = 0;

  constructor(clock: Clock = realClock, max = MAX_STATS_READS) {
    this.recent = new RecentReads(STATS_SHARE_MS, clock);
    this.max = max;
  }

  /** `path` of `node`: a recent read's answer, else what `read` gives; 429 when `max` reads are under way. */
  get(node: string, path: string, read: () => Promise<string>): Promise<string> {
    return this.recent.get(`${node} ${path}`, () => this.start(read));
  }

  private start(read: () => Promise<string>): Promise<string> {
    // Thrown at once, not returned as a rejection: RecentReads keeps nothing of a read that throws,
    // so the refusal is this caller's alone and the next caller may read.
    if (this.underWay >= this.max)
      throw new RouteError(
        429,
        `too many node statistics reads under way (${this.max}) right now; try again in a few seconds`,
      );
    this.underWay++;
    const result = new Promise<string>((resolve) => resolve(read()));
    const done = () => void this.underWay--;
    result.then(done, done);
    return result;
  }
}
