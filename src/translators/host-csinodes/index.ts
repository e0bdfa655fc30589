import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { defineKind, type KindSpec, type Placement } from '../../sync/kind.ts';
import { NODE_READ_RULES, NODE_SELECTOR_FIELDS, SYNC_REAL_NODES_FIELD } from '../nodes/index.ts';
import {
  hostCopyKeepsNode,
  hostPodsOnNodes,
  nodesShownRegardless,
  slimHostNodeCache,
} from '../nodes/nodes-kind.ts';
import { fromHostClusterScoped, readRule } from '../shared/from-host.ts';
import { VIRTUAL_SCHEDULER_FIELD, ON_WITH_VIRTUAL_SCHEDULER } from '../shared/virtual-scheduler.ts';

interface CSINodeOptions {
  syncRealNodes: boolean;
  nodeSelector: string;
  virtualScheduler: boolean;
}

/**
 * The host's CSINodes, read-only in the virtual cluster, for the nodes the tenant may see as real
 * ones: where the host placed one of its pods, or, with --sync-real-nodes, those --node-selector
 * shows (with --virtual-scheduler and no selector, every node). A CSINode names its node and the
 * drivers' node IDs (cloud instance IDs): every host node's would show the tenant the host's whole
 * inventory; the IDs are shown as the node's name (withoutDriverNodeIds). A node a tenant's pod merely names
 * (`spec.nodeName`) reveals nothing, as for the nodes kind.
 */
export function hostCSINodesKind(
  options: CSINodeOptions,
  where: Pick<Placement, 'vcName' | 'hostNamespace'>,
): KindSpec {
  const selected = nodesShownRegardless(options);
  return {
    ...fromHostClusterScoped(Resources.csiNodes, '', withoutDriverNodeIds),
    relations: [
      hostPodsOnNodes(where),
      ...(selected
        ? [
            {
              name: 'host-nodes',
              cluster: 'host' as const,
              type: Resources.nodes,
              keys: (node: KubeObject) => [node.metadata?.name ?? ''],
            },
          ]
        : []),
    ],
    // The host nodes' cache is the nodes kind's too: it keeps them as that kind does.
    setup: (env) => {
      if (selected) slimHostNodeCache(env);
    },
    wanted: (ctx, host) =>
      host !== undefined &&
      (ctx.related('host-pods').some(hostCopyKeepsNode) ||
        (selected !== undefined && ctx.related('host-nodes').some(selected))),
  };
}

/** The longest node ID a CSINode may hold (the API server's validation). */
const MAX_NODE_ID_LENGTH = 192;

/**
 * A CSINode with each driver's node ID (a cloud instance or volume-host ID, which the node copy's
 * `csi.volume.kubernetes.io/nodeid` annotation is stripped of too) replaced by the node's name: the
 * virtual scheduler reads the drivers, their topology keys and volume limits, never the IDs.
 */
function withoutDriverNodeIds(copy: KubeObject): KubeObject {
  const spec = copy.spec as { drivers?: { nodeID?: string }[] } | undefined;
  if (!Array.isArray(spec?.drivers)) return copy;
  const stand = (copy.metadata?.name ?? 'node').slice(0, MAX_NODE_ID_LENGTH);
  return { ...copy, spec: { ...spec, drivers: spec.drivers.map((d) => ({ ...d, nodeID: stand })) } };
}

/**
 * CSINodes of the host, read-only in the virtual cluster (--sync +host-csinodes; on by default with
 * the virtual scheduler).
 */
export const hostCSINodesDescriptor = defineKind({
  name: 'host-csinodes',
  description: 'CSINodes of the host, shown read-only in the virtual cluster',
  defaultOn: false,
  defaultOnWith: ON_WITH_VIRTUAL_SCHEDULER,
  fields: [],
  reads: [SYNC_REAL_NODES_FIELD, ...NODE_SELECTOR_FIELDS, VIRTUAL_SCHEDULER_FIELD],
  // Which nodes it may show: where this virtual cluster's host pods run, or the nodes selected.
  hostRbac: [...readRule(Resources.csiNodes), ...NODE_READ_RULES],
  build: (options, where) => hostCSINodesKind(options, where),
});
