import type { WriteOptions } from '../kube/client.ts';
import { ForwardingClient } from '../kube/forwarding-client.ts';
import type { KubeObject } from '../kube/object.ts';
import type { ResourceType } from '../kube/resources.ts';
import type { LabelsAndAnnotations } from './managed-metadata.ts';
import type { MetadataPlan } from './metadata-sync.ts';

/**
 * One reconcile's host client, noting the labels and annotations that its last update of one host
 * object (by UID) sent. The engine keeps a metadata plan as the last-synced state only once the host
 * holds it, and learns that here rather than from each kind: a plan a kind made but did not write (a
 * copy it may not change yet) kept as written would make the next plan read the keys missing on the
 * host as the host's removal of them, and remove them from the tenant's object.
 */
export class NotedHostWrites extends ForwardingClient {
  private uid: string | undefined;
  private sent: LabelsAndAnnotations | undefined;
  private sentFrom: string | undefined;

  /** Notes updates of the object with this UID from now on; what was sent before no longer counts. */
  follow(uid: string | undefined): void {
    this.uid = uid;
    this.sent = undefined;
    this.sentFrom = undefined;
  }

  /**
   * The resourceVersion the last noted update was made from (the object as read before it), when
   * one was: a cached copy still at it has not shown that write yet.
   */
  get updatedFrom(): string | undefined {
    return this.sentFrom;
  }

  /**
   * Whether the followed object holds what `plan` (made from it) wants of it: it did already, or the
   * last update of it sent the plan's labels and annotations.
   */
  holds(plan: MetadataPlan): boolean {
    if (!plan.hostChanged) return true;
    const sent = this.sent;
    return (
      sent !== undefined &&
      sameMap(sent.labels, plan.host.labels) &&
      sameMap(sent.annotations, plan.host.annotations)
    );
  }

  override async update<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    object: KubeObject,
    options?: WriteOptions,
  ): Promise<T> {
    const written = await this.inner.update<T>(type, namespace, object, options);
    // A subresource write (status, ephemeral containers) leaves the object's metadata as it was.
    const meta = object.metadata;
    if (!options?.subresource && !options?.dryRun && this.uid !== undefined && meta?.uid === this.uid) {
      this.sent = { labels: { ...meta.labels }, annotations: { ...meta.annotations } };
      this.sentFrom = meta.resourceVersion;
    }
    return written;
  }
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}
