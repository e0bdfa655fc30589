import { field } from '../../config/fields.ts';

/**
 * --virtual-scheduler: the virtual cluster's own scheduler places tenant pods (vCluster's
 * `controlPlane.advanced.virtualScheduler`). Declared here, where the pods kind (which waits for a
 * pod's binding and sends it to that node), the nodes kind (which shows every node it may use) and
 * the claims kind (which lets the scheduler's chosen node reach the host's provisioner) all read it.
 */
export const VIRTUAL_SCHEDULER_FIELD = field({
  flag: 'virtual-scheduler',
  key: 'virtualScheduler',
  kind: 'bool',
  default: false,
  description:
    "the virtual cluster's own scheduler places tenant pods, as vCluster's virtualScheduler: a pod reaches the host once bound there, and must run on that node; needs --sync-real-nodes (the nodes --node-selector selects, or every node, are shown)",
});

/**
 * The annotation a scheduler sets on a claim of a WaitForFirstConsumer class: the node the
 * provisioner must make the volume for. With the virtual scheduler it is the virtual scheduler's
 * (a node of the host's, shown under its own name), and the host's provisioner needs it.
 */
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';

/**
 * What the virtual scheduler brings with it when claims are synced, as vCluster's `auto` does: the
 * host's storage classes and CSI objects, which it reads to place pods with volumes.
 */
export const ON_WITH_VIRTUAL_SCHEDULER = {
  option: 'virtualScheduler',
  kind: 'persistentvolumeclaims',
} as const;
