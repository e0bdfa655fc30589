import type { KubeObject } from '../../kube/object.ts';

/**
 * Put on a Service's host copy just before the syncer deletes the virtual Service to make it again
 * with the host's cluster IP, and taken off once the new one is made: what to make, should the
 * syncer stop (a crash, a lost lease) or an answer be lost (a delete that landed but timed out) in
 * between. Without it the next pass would find a host copy with no virtual Service, and delete it:
 * the tenant's Service gone from both clusters.
 */
export const RECREATING_ANNOTATION = 'vsyncer.dev/recreating-virtual-service';

/** What a pending re-create records: the Service deleted (its UID), and the two ways to make it again. */
export interface PendingRecreate {
  /** The UID of the virtual Service the syncer deletes. */
  uid: string;
  /** The Service with the host's cluster IP, to make first. */
  replacement: KubeObject;
  /** The tenant's Service as it was, without a cluster IP, should the replacement be refused. */
  original: KubeObject;
}

/** The annotation value recording a re-create. */
export function recreateRecord(pending: PendingRecreate): string {
  return JSON.stringify(pending);
}

/** The re-create a host copy records, or undefined (none, or not one the syncer could have written). */
export function pendingRecreate(copy: KubeObject): PendingRecreate | undefined {
  const text = copy.metadata?.annotations?.[RECREATING_ANNOTATION];
  if (typeof text !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const record = parsed as Partial<PendingRecreate> | null;
  const isService = (o: unknown): o is KubeObject =>
    typeof o === 'object' && o !== null && typeof (o as KubeObject).spec === 'object';
  if (
    typeof record?.uid !== 'string' ||
    !record.uid ||
    !isService(record.replacement) ||
    !isService(record.original)
  )
    return undefined;
  return { uid: record.uid, replacement: record.replacement, original: record.original };
}
