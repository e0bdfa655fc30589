import type { KubeObject } from '../../kube/object.ts';

/** The label Velero puts on every object it restores (the restore's name). */
export const RESTORED_BY_VELERO_LABEL = 'velero.io/restore-name';

/**
 * Whether Velero restored the object into the virtual cluster: a new incarnation (UID) of an object
 * that was there before, whose host copy (and the data it holds) is its own again.
 */
export const restoredByVelero = (obj: KubeObject | undefined): boolean =>
  obj?.metadata?.labels?.[RESTORED_BY_VELERO_LABEL] !== undefined;
