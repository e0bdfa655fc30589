import { LRUCache } from 'lru-cache';
import type { PodSpec } from '../../kube/types.ts';

/**
 * Whether a pod's host copy is pointed at the virtual cluster's DNS, and so cannot be made before
 * that DNS has an IP: what the kubelet gives the cluster's DNS to. Not a `dnsPolicy: Default` pod: it
 * takes its node's resolver (CoreDNS itself is one: it forwards to `/etc/resolv.conf`, and with the
 * cluster DNS there it would forward to itself). Not a `None` pod: it names its resolvers itself. A
 * host-network pod only with `ClusterFirstWithHostNet`; with `ClusterFirst` it keeps the node's.
 */
export function usesVirtualDns(spec: Pick<PodSpec, 'dnsPolicy' | 'hostNetwork'> | undefined): boolean {
  const policy = spec?.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'Default' || policy === 'None') return false;
  return !spec?.hostNetwork || policy === 'ClusterFirstWithHostNet';
}

/** Why a pod is held while the virtual DNS has no IP (the syncer's log line, the tenant's event). */
export const WAITING_FOR_DNS =
  "waiting for the virtual cluster DNS Service kube-system/kube-dns (or the syncer's --cluster-dns-ip): the pod starts once the DNS has an address";
/** The kubelet's reason when it has no cluster DNS to give a pod: the same trouble, said the same way. */
export const WAITING_FOR_DNS_REASON = 'MissingClusterDNS';

/**
 * The pods waiting for the virtual DNS, by key, with the UID each was told about: the tenant gets one
 * event per pod however often it is retried (the event recorder would fold repeats into a count, but
 * still write each one), and the pods are retried as soon as the DNS Service or its host copy changes.
 * Count-bounded, without lru-cache's up-front allocation for `max` entries (see LastSynced): a pod
 * deleted while it waits is dropped in time, and retrying its key finds nothing to do.
 */
export class DnsWaiters {
  private readonly waiting = new LRUCache<string, string>({ maxSize: 10_000, sizeCalculation: () => 1 });

  /** Records that the pod waits; true the first time for this incarnation (tell the tenant now). */
  wait(key: string, uid: string): boolean {
    const first = this.waiting.get(key) !== uid;
    this.waiting.set(key, uid);
    return first;
  }

  /** The pod no longer waits (it went to the host). */
  done(key: string): void {
    this.waiting.delete(key);
  }

  /** The keys of the pods waiting now. */
  keys(): string[] {
    return [...this.waiting.keys()];
  }
}
