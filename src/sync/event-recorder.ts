import { LRUCache } from 'lru-cache';
import type { ClusterClient } from '../kube/client.ts';
import type { KubeObject } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import { eventName as eventNameFor } from '../naming/names.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';

export interface EventRecorderOptions {
  client: ClusterClient;
  component: string;
  clock: Clock;
  logger: Logger;
  /** Identical events on one object within this window are counted, not re-created. */
  dedupeWindowMs?: number;
}

interface Recorded {
  eventName: string;
  namespace: string;
  count: number;
  at: number;
}

/**
 * Writes Events about virtual objects into the virtual cluster. Repeats of the same event are folded
 * into one Event with a count, so a failing object cannot flood the tenant's event list.
 */
export class EventRecorder {
  private readonly opts: EventRecorderOptions;
  private readonly seen = new LRUCache<string, Recorded>({ max: 4096 });

  constructor(opts: EventRecorderOptions) {
    this.opts = opts;
  }

  /**
   * Records a Warning (or Normal) event about obj. Never throws: events are best effort. With `once`,
   * a repeat within the window is not counted either: for a state reported on every reconcile while
   * it lasts (each count is a write the tenant did not cause). `key` stands for the message in telling
   * repeats apart: for a state whose message names what changes while it lasts (the pods that hold
   * an object, one by one going).
   */
  async record(
    obj: KubeObject,
    type: 'Warning' | 'Normal',
    reason: string,
    message: string,
    opts: { once?: boolean; key?: string } = {},
  ): Promise<void> {
    const meta = obj.metadata ?? {};
    const namespace = meta.namespace || 'default';
    const dedupeKey = `${meta.uid}|${reason}|${opts.key ?? message}`;
    const now = this.opts.clock.now();
    const timestamp = new Date(now).toISOString();
    const previous = this.seen.get(dedupeKey);
    try {
      if (previous && now - previous.at < (this.opts.dedupeWindowMs ?? 10 * 60_000)) {
        if (opts.once) return;
        previous.count++;
        previous.at = now;
        await this.opts.client.patch(
          Resources.events,
          previous.namespace,
          previous.eventName,
          { count: previous.count, lastTimestamp: timestamp },
          'merge',
        );
        return;
      }
      const eventName = eventNameFor(
        meta.name ?? 'object',
        `${now.toString(16)}${Math.floor(Math.random() * 0xfff).toString(16)}`,
      );
      await this.opts.client.create(Resources.events, namespace, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: eventName, namespace },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: meta.name,
          namespace: meta.namespace,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        },
        reason,
        message,
        type,
        source: { component: this.opts.component },
        reportingComponent: this.opts.component,
        firstTimestamp: timestamp,
        lastTimestamp: timestamp,
        count: 1,
      });
      this.seen.set(dedupeKey, { eventName, namespace, count: 1, at: now });
    } catch (err) {
      this.seen.delete(dedupeKey);
      this.opts.logger.warn('could not record event', { reason, object: `${namespace}/${meta.name}`, err });
    }
  }
}
