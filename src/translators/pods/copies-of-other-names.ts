import type { ClusterClient } from '../../kube/client.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { MANAGED_BY_LABEL } from '../../naming/labels.ts';
import { recordedVirtualUid } from '../../sync/mappers.ts';
import type { Clock } from '../../util/clock.ts';

/*
 * Host pods that another name's syncer marks as its copies, by the virtual pod UID they record. A
 * syncer started under the wrong name (a release renamed, a typo in --name) finds none of its own
 * copies: every pod that ran would read as gone from the host and be deleted, its controller's
 * replacement started beside the running copy, a bare pod lost. A virtual pod's UID is its own (random,
 * never reused), so a copy recording it under another name is that very pod's, running: the pod
 * is kept. Asked only when a pod that ran is found without its copy, at most once per interval.
 */

/** How long one answer stands. */
const LIST_TTL_MS = 5_000;

export class CopiesOfOtherNames {
  private readonly host: ClusterClient;
  private readonly namespace: string;
  private readonly vcName: string;
  private readonly clock: Clock;
  private last: { atMs: number; holders: Promise<ReadonlyMap<string, string>> } | undefined;

  constructor(host: ClusterClient, namespace: string, vcName: string, clock: Clock) {
    this.host = host;
    this.namespace = namespace;
    this.vcName = vcName;
    this.clock = clock;
  }

  /** The name whose syncer holds a copy of the virtual pod of this UID, or undefined. */
  async holderOf(uid: string | undefined): Promise<string | undefined> {
    if (!uid) return undefined;
    const now = this.clock.monotonicNow();
    if (!this.last || now - this.last.atMs >= LIST_TTL_MS) {
      const holders = this.list();
      this.last = { atMs: now, holders };
      // A failed list is not kept: the next pod asks again.
      holders.catch(() => (this.last = undefined));
    }
    return (await this.last.holders).get(uid);
  }

  private async list(): Promise<ReadonlyMap<string, string>> {
    const pods = await this.host.list<KubeObject>(Resources.pods, this.namespace, {
      labelSelector: `${MANAGED_BY_LABEL},${MANAGED_BY_LABEL}!=${this.vcName}`,
    });
    const holders = new Map<string, string>();
    for (const pod of pods.items) {
      const uid = recordedVirtualUid(pod);
      const holder = pod.metadata?.labels?.[MANAGED_BY_LABEL];
      if (uid && holder) holders.set(uid, holder);
    }
    return holders;
  }
}
