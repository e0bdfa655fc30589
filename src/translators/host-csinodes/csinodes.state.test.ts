import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed } from '../../testing/state-table.ts';

const start = stateTables();

const CSINODES = Resources.csiNodes;
const csiNode = (name: string): Seed => [
  CSINODES,
  {
    metadata: { name },
    spec: { drivers: [{ name: 'pd.csi.example.com', nodeID: `projects/p/zones/z/instances/${name}` }] },
  },
];
const hostNode = (name: string, labels: Record<string, string> = {}): Seed => [
  Resources.nodes,
  { metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: {}, status: {} },
];
/** A host pod of this virtual cluster, placed on the node by the host. */
const ourHostPodOn = (node: string): Seed => [
  Resources.pods,
  {
    metadata: { name: `p-x-team-x-${VC}`, namespace: HOST_NS, labels: { 'vcluster.loft.sh/managed-by': VC } },
    spec: { nodeName: node, containers: [] },
  },
];
/** Another tenant's (or the host's own) pod: not ours. */
const otherHostPodOn = (node: string): Seed => [
  Resources.pods,
  { metadata: { name: 'other', namespace: HOST_NS }, spec: { nodeName: node, containers: [] } },
];
const shown = (objects: KubeObject[]) => objects.map((o) => o.metadata?.name).sort();

describe('host-csinodes state table: only the CSINodes of nodes the tenant may see', () => {
  it("shows the CSINode of a node where the host placed one of this cluster's pods, not the others", async () => {
    const table = await start({
      kinds: ['host-csinodes'],
      host: [csiNode('n1'), csiNode('n2'), csiNode('n3'), ourHostPodOn('n2'), otherHostPodOn('n3')],
      // A tenant's pod naming n1 proves nothing: it shows no CSINode of the host.
      virtual: [[Resources.pods, { metadata: { name: 'p', namespace: 'team' }, spec: { nodeName: 'n1' } }]],
    });
    await table.settle();
    expect(shown(table.virtual.objects(CSINODES))).toEqual(['n2']);
    // The driver's node ID (a cloud instance ID) is not shown: the node's name stands in for it.
    expect(table.virtual.objects(CSINODES)[0]!.spec).toEqual({
      drivers: [{ name: 'pd.csi.example.com', nodeID: 'n2' }],
    });
  });

  it('removes the copy once no pod of this cluster runs on the node', async () => {
    const table = await start({ kinds: ['host-csinodes'], host: [csiNode('n2'), ourHostPodOn('n2')] });
    await table.settle();
    expect(shown(table.virtual.objects(CSINODES))).toEqual(['n2']);
    await table.host.delete(Resources.pods, HOST_NS, `p-x-team-x-${VC}`);
    await table.settle();
    expect(table.virtual.objects(CSINODES)).toEqual([]);
  });

  it('with --sync-real-nodes and --node-selector, also the CSINodes of the selected nodes', async () => {
    const table = await start({
      kinds: ['host-csinodes'],
      flags: { syncRealNodes: 'true', nodeSelector: 'pool=tenants' },
      host: [csiNode('n1'), csiNode('n2'), hostNode('n1', { pool: 'tenants' }), hostNode('n2')],
    });
    await table.settle();
    expect(shown(table.virtual.objects(CSINODES))).toEqual(['n1']);
  });
});
