import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../../testing/state-table.ts';

const startTable = stateTables();

const NODES = Resources.nodes;
const PODS = Resources.pods;
/** A virtual pod bound to a node (its host copy, placed there by the host, comes with it in `start`). */
const podOn = (node: string, name = `p-${node}`): Seed => [
  PODS,
  { metadata: { name, namespace: 'team', uid: `uid-${name}` }, spec: { nodeName: node, containers: [] } },
];
/** The host copy of a virtual pod, where the host's scheduler placed it. */
const hostCopyOf = (pod: KubeObject, node = (pod.spec as { nodeName?: string }).nodeName): KubeObject => ({
  metadata: {
    name: `${pod.metadata?.name}-x-team-x-${VC}`,
    namespace: HOST_NS,
    labels: { 'vcluster.loft.sh/managed-by': VC },
  },
  spec: { nodeName: node, containers: [] },
});

/** Starts a table for one test (stopped afterwards), the host copy of each virtual pod placed on its node. */
const start: typeof startTable = (opts) =>
  startTable({
    ...opts,
    host: [
      ...(opts.host ?? []),
      ...(opts.virtual ?? [])
        .filter(([type]) => type === PODS)
        .map(([, pod]): Seed => [PODS, hostCopyOf(pod)]),
    ],
  });

/** A pod bound to the node in both clusters, as the pods kind and the host's scheduler leave it. */
async function addPodOn(t: StateTable, node: string, name: string): Promise<void> {
  const pod = podOn(node, name)[1];
  await t.host.create(PODS, HOST_NS, hostCopyOf(pod));
  await t.virtual.create(PODS, 'team', pod);
}

/** A DaemonSet's pod `agent` on the node in both clusters, its host copy marked as the pods kind marks it. */
async function addDaemonSetPodOn(t: StateTable, node: string): Promise<void> {
  const daemon = podOn(node, 'agent')[1];
  daemon.metadata!.ownerReferences = [
    { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-uid', controller: true },
  ];
  const copy = hostCopyOf(daemon);
  copy.metadata!.annotations = { 'cluster-autoscaler.kubernetes.io/daemonset-pod': 'true' };
  await t.host.create(PODS, HOST_NS, copy);
  await t.virtual.create(PODS, 'team', daemon);
}

/** Both a virtual pod and its host copy gone. */
async function deletePod(t: StateTable, name: string): Promise<void> {
  await t.host.delete(PODS, HOST_NS, `${name}-x-team-x-${VC}`);
  await t.virtual.delete(PODS, 'team', name);
}
const hostNode = (
  name: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): Seed => [
  NODES,
  {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels }, annotations },
    spec: {},
    status: { conditions: [{ type: 'Ready', status: 'True' }], capacity: { cpu: '4' } },
  },
];

const virtualNodes = (t: StateTable) => t.virtual.objects(NODES);
const virtualNode = (t: StateTable, name: string) => virtualNodes(t).find((n) => n.metadata?.name === name);
/** What the virtual scheduler and DaemonSet controller go by: cordon, taints, Ready, room for pods. */
const schedulingOf = (node: KubeObject | undefined) => {
  const status = node?.status as
    { conditions?: { type: string; status: string }[]; allocatable?: { pods?: string } } | undefined;
  return {
    fake: node?.metadata?.labels?.['vcluster.loft.sh/fake-node'] === 'true',
    spec: node?.spec,
    ready: status?.conditions?.find((c) => c.type === 'Ready')?.status,
    pods: status?.allocatable?.pods,
  };
};
/** A stand-in, as real-node mode shows a node the tenant may not use: it draws no pod. */
const STAND_IN = {
  fake: true,
  spec: { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }], unschedulable: true },
  ready: 'Unknown',
  pods: '0',
};
const nodeWrites = (t: StateTable) => t.writes().filter((w) => w.includes(' nodes'));

describe('nodes state table', () => {
  it("fake nodes: the API server's not-ready taint is removed once, and more pods (later) write nothing", async () => {
    const table = await start({ kinds: ['nodes'], virtual: [podOn('n1')] });
    await table.settle();
    // What the virtual API server's TaintNodesByCondition admission does to every new node.
    const node = virtualNodes(table)[0]!;
    await table.virtual.update(NODES, '', {
      ...node,
      spec: { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] },
    });
    await table.settle();
    expect(virtualNodes(table)[0]!.spec).toEqual({});
    const before = nodeWrites(table).length;
    for (let i = 0; i < 5; i++) {
      table.clock.advance(60_000);
      await addPodOn(table, 'n1', `more-${i}`);
      await table.settle();
    }
    expect(nodeWrites(table)).toHaveLength(before);
  });

  it("fake nodes: a DaemonSet's pod alone does not keep a node shown", async () => {
    const table = await start({ kinds: ['nodes'], virtual: [podOn('n1')] });
    await table.settle();
    await addDaemonSetPodOn(table, 'n1');
    await table.settle();
    expect(virtualNodes(table).map((n) => n.metadata?.name)).toEqual(['n1']);
    await deletePod(table, 'p-n1');
    await table.settle();
    expect(virtualNodes(table)).toEqual([]);
  });

  it("a DaemonSet's pod orphaned (--cascade=orphan) keeps its node shown from then on, fake or real", async () => {
    for (const syncRealNodes of [false, true]) {
      const table = await start({
        kinds: ['nodes'],
        flags: syncRealNodes ? { syncRealNodes: 'true' } : {},
        host: syncRealNodes ? [hostNode('n1')] : [],
      });
      await addDaemonSetPodOn(table, 'n1');
      await table.settle();
      expect(virtualNodes(table)).toEqual([]);
      // Orphaned: the virtual pod loses its owner, and the pods kind takes the mark off its host copy.
      const pod = table.virtual.objects(PODS)[0]!;
      await table.virtual.update(PODS, 'team', {
        ...pod,
        metadata: { ...pod.metadata, ownerReferences: undefined },
      });
      const copy = table.host.objects(PODS)[0]!;
      await table.host.update(PODS, HOST_NS, { ...copy, metadata: { ...copy.metadata, annotations: {} } });
      await table.settle();
      expect(virtualNodes(table).map((n) => n.metadata?.name)).toEqual(['n1']);
    }
  });

  it("fake nodes: a tenant's taint and cordon stay, and nothing is written for them", async () => {
    const table = await start({ kinds: ['nodes'], virtual: [podOn('n1')] });
    await table.settle();
    const node = virtualNodes(table)[0]!;
    const tenantTaint = { key: 'example.com/maintenance', value: 'yes', effect: 'NoSchedule' };
    await table.virtual.update(NODES, '', { ...node, spec: { taints: [tenantTaint], unschedulable: true } });
    await table.settle();
    const before = nodeWrites(table).length;
    table.clock.advance(60_000);
    await addPodOn(table, 'n1', 'later');
    await table.settle();
    expect(virtualNodes(table)[0]!.spec).toEqual({ taints: [tenantTaint], unschedulable: true });
    expect(nodeWrites(table)).toHaveLength(before);
  });

  it("real nodes: the host's taints and cordon follow the host, the tenant's own stay", async () => {
    const hostTaint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
    const [, host] = hostNode('n1');
    const table = await start({
      kinds: ['nodes'],
      flags: { syncRealNodes: 'true' },
      virtual: [podOn('n1')],
      host: [[NODES, { ...host, spec: { taints: [hostTaint], unschedulable: true } }]],
    });
    await table.settle();
    expect(virtualNodes(table)[0]!.spec).toEqual({ taints: [hostTaint], unschedulable: true });
    // The tenant adds a taint of its own.
    const tenantTaint = { key: 'example.com/tenant', effect: 'NoExecute' };
    const copy = virtualNodes(table)[0]!;
    await table.virtual.update(NODES, '', {
      ...copy,
      spec: { ...(copy.spec as object), taints: [hostTaint, tenantTaint] },
    });
    await table.settle();
    expect(virtualNodes(table)[0]!.spec).toEqual({ taints: [hostTaint, tenantTaint], unschedulable: true });
    // The host lifts its taint and its cordon: they go, the tenant's taint stays.
    const h = table.host.objects(NODES)[0]!;
    await table.host.update(NODES, '', { ...h, spec: {} });
    await table.settle();
    expect(virtualNodes(table)[0]!.spec).toEqual({ taints: [tenantTaint] });
    // The tenant cordons the node: that stays too, whatever the host's.
    const uncordoned = virtualNodes(table)[0]!;
    await table.virtual.update(NODES, '', {
      ...uncordoned,
      spec: { ...(uncordoned.spec as object), unschedulable: true },
    });
    await table.settle();
    expect(virtualNodes(table)[0]!.spec).toEqual({ taints: [tenantTaint], unschedulable: true });
  });

  it("real nodes: a tenant's cordon outlasts the host cordoning and uncordoning the node", async () => {
    const [, host] = hostNode('n1');
    const table = await start({
      kinds: ['nodes'],
      flags: { syncRealNodes: 'true' },
      virtual: [podOn('n1')],
      host: [[NODES, host]],
    });
    await table.settle();
    const setHostCordon = async (unschedulable: boolean) => {
      const h = table.host.objects(NODES)[0]!;
      await table.host.update(NODES, '', { ...h, spec: unschedulable ? { unschedulable } : {} });
      await table.settle();
    };
    const setTenantCordon = async (unschedulable: boolean) => {
      const v = virtualNodes(table)[0]!;
      await table.virtual.update(NODES, '', { ...v, spec: { ...(v.spec as object), unschedulable } });
      await table.settle();
    };
    await setTenantCordon(true);
    await setHostCordon(true);
    expect(virtualNodes(table)[0]!.spec).toEqual({ unschedulable: true });
    await setHostCordon(false);
    expect(virtualNodes(table)[0]!.spec).toEqual({ unschedulable: true });
    // The tenant uncordons while the host's cordon is on: the host's holds, and lifting it frees the node.
    await setHostCordon(true);
    await setTenantCordon(false);
    expect(virtualNodes(table)[0]!.spec).toEqual({ unschedulable: true });
    await setHostCordon(false);
    expect(virtualNodes(table)[0]!.spec).toEqual({});
  });

  it('fake nodes: one per node in use, with status; removed when no pod uses it', async () => {
    const table = await start({ kinds: ['nodes'], virtual: [podOn('n1')] });
    await table.settle();
    // A node is created with its status (as a kubelet registers one): no second write.
    expect(nodeWrites(table)).toEqual(['virtual: create nodes n1']);
    const node = virtualNodes(table)[0]!;
    expect(node.metadata?.labels).toMatchObject({
      'vcluster.loft.sh/fake-node': 'true',
      'kubernetes.io/os': 'linux',
      'beta.kubernetes.io/os': 'linux',
      'beta.kubernetes.io/arch': node.metadata?.labels?.['kubernetes.io/arch'],
    });
    // A kubelet's conditions: no pressure, Ready.
    expect(
      ((node.status as { conditions: { type: string; status: string }[] }).conditions ?? []).map((c) => [
        c.type,
        c.status,
      ]),
    ).toEqual([
      ['MemoryPressure', 'False'],
      ['DiskPressure', 'False'],
      ['PIDPressure', 'False'],
      ['Ready', 'True'],
    ]);
    await deletePod(table, 'p-n1');
    await table.settle();
    expect(virtualNodes(table)).toEqual([]);
  });

  it("real node copies carry the host's labels and vCluster's marker only; a copy an older syncer marked its way, or another release name, is taken over", async () => {
    const legacy: Seed = [
      NODES,
      {
        metadata: {
          name: 'n2',
          labels: { 'kubernetes.io/hostname': 'n2', 'vsyncer.dev/managed': 'true' },
          annotations: { 'vcluster.loft.sh/managed-labels': 'kubernetes.io/hostname\nvsyncer.dev/managed' },
        },
        spec: {},
      },
    ];
    // Left by a syncer of this virtual cluster under another release name: a syncer's node all the same.
    const otherName: Seed = [
      NODES,
      { metadata: { name: 'n3', labels: { 'vcluster.loft.sh/managed-by': 'old-release' } }, spec: {} },
    ];
    const table = await start({
      kinds: ['nodes'],
      flags: { syncRealNodes: 'true' },
      host: [hostNode('n1', { zone: 'a' }), hostNode('n2'), hostNode('n3')],
      virtual: [podOn('n1'), podOn('n2'), podOn('n3'), legacy, otherName],
    });
    await table.settle();
    const labels = (name: string) =>
      virtualNodes(table).find((n) => n.metadata?.name === name)?.metadata?.labels;
    expect(labels('n1')).toEqual({
      'kubernetes.io/hostname': 'n1',
      zone: 'a',
      'vcluster.loft.sh/managed-by': VC,
    });
    expect(labels('n2')).toEqual({ 'kubernetes.io/hostname': 'n2', 'vcluster.loft.sh/managed-by': VC });
    expect(labels('n3')).toEqual({ 'kubernetes.io/hostname': 'n3', 'vcluster.loft.sh/managed-by': VC });
  });

  it("fake nodes claim the syncer's own architecture; a real node's copy keeps the host's", async () => {
    const real = Object.getOwnPropertyDescriptor(process, 'arch')!;
    Object.defineProperty(process, 'arch', { ...real, value: 'arm64' });
    try {
      const table = await start({
        kinds: ['nodes'],
        flags: { syncRealNodes: 'true' },
        virtual: [podOn('n1'), podOn('gone')],
        host: [hostNode('n1', { 'kubernetes.io/arch': 's390x' })],
      });
      await table.settle();
      const archOf = (name: string) => {
        const node = virtualNode(table, name);
        const info = (node?.status as { nodeInfo?: { architecture?: string } }).nodeInfo;
        return [node?.metadata?.labels?.['kubernetes.io/arch'], info?.architecture];
      };
      expect(archOf('gone')).toEqual(['arm64', 'arm64']);
      expect(archOf('n1')[0]).toBe('s390x');
    } finally {
      Object.defineProperty(process, 'arch', real);
    }
  });

  it('a node the tenant made under the same name is never touched or deleted', async () => {
    const tenantNode: Seed = [NODES, { metadata: { name: 'n1', labels: { mine: 'yes' } }, spec: {} }];
    const table = await start({ kinds: ['nodes'], virtual: [tenantNode, podOn('n1')] });
    await table.settle();
    expect(nodeWrites(table)).toEqual([]);
    expect(virtualNodes(table)[0]?.metadata?.labels).toEqual({ mine: 'yes' });
  });

  it("an idle fake node is not rewritten, and the virtual TTL controller's annotation is left alone", async () => {
    const table = await start({ kinds: ['nodes'], virtual: [podOn('n1')] });
    await table.settle();
    const node = virtualNodes(table)[0]!;
    await table.virtual.update(NODES, '', {
      ...node,
      metadata: {
        ...node.metadata,
        annotations: { ...node.metadata!.annotations, 'node.alpha.kubernetes.io/ttl': '0' },
      },
    });
    table.virtual.clearWrites();
    await table.settle();
    table.clock.advance(60_000);
    await table.settle();
    expect(nodeWrites(table)).toEqual([]);
    expect(virtualNodes(table)[0]?.metadata?.annotations?.['node.alpha.kubernetes.io/ttl']).toBe('0');
  });

  it('real nodes: a copy of the host node; a tenant edit is reverted; host annotation changes follow', async () => {
    const table = await start({
      kinds: ['nodes'],
      flags: { syncRealNodes: 'true' },
      virtual: [podOn('n1')],
      host: [hostNode('n1', { zone: 'a' }, { 'example.com/rack': 'r1' }), hostNode('n2')],
    });
    await table.settle();
    expect(virtualNodes(table).map((n) => n.metadata?.name)).toEqual(['n1']);
    expect(virtualNodes(table)[0]?.metadata?.annotations?.['example.com/rack']).toBe('r1');

    const copy = virtualNodes(table)[0]!;
    await table.virtual.update(NODES, '', {
      ...copy,
      metadata: { ...copy.metadata, labels: { ...copy.metadata!.labels, zone: 'hacked' } },
    });
    await table.settle();
    expect(virtualNodes(table)[0]?.metadata?.labels?.zone).toBe('a');

    const h = table.host.objects(NODES).find((n) => n.metadata?.name === 'n1')!;
    await table.host.update(NODES, '', {
      ...h,
      metadata: { ...h.metadata, annotations: { 'example.com/rack': 'r2' } },
    } as KubeObject);
    await table.settle();
    expect(virtualNodes(table)[0]?.metadata?.annotations?.['example.com/rack']).toBe('r2');
  });

  it('a node whose changes another writer keeps undoing (a second syncer without --leader-elect) is written once per 10 s at most, not without end', async () => {
    const table = await start({
      kinds: ['nodes'],
      flags: { syncRealNodes: 'true' },
      virtual: [podOn('n1')],
      host: [hostNode('n1', { zone: 'a' })],
    });
    await table.settle();
    const undo = async () => {
      const copy = virtualNodes(table)[0]!;
      await table.virtual.update(NODES, '', {
        ...copy,
        metadata: { ...copy.metadata, labels: { ...copy.metadata!.labels, zone: 'other' } },
      });
      await table.settle();
    };
    table.virtual.clearWrites();
    for (let i = 0; i < 30; i++) await undo();
    const ours = () => nodeWrites(table).filter((w) => w === 'virtual: update nodes n1').length;
    // Each undo is itself an update: the syncer's own are the rest.
    expect(ours() - 30).toBe(10);
    expect(virtualNodes(table)[0]?.metadata?.labels?.zone).toBe('other');
    // Once the window has passed, it is written again.
    table.clock.advance(10_000);
    await table.settle();
    expect(virtualNodes(table)[0]?.metadata?.labels?.zone).toBe('a');
  });

  it("real nodes: nothing of the copy says where the host node is or which machine it is, nor the host's pod totals on it", async () => {
    const [type, node] = hostNode(
      'n1',
      {},
      {
        'example.com/rack': 'r1',
        'alpha.kubernetes.io/provided-node-ip': '10.0.0.7',
        'k3s.io/internal-ip': '10.0.0.7,fd00::7',
        'flannel.alpha.coreos.com/public-ip': '192.0.2.7',
        'projectcalico.org/IPv4Address': '10.0.0.7/24',
        'io.cilium.network.ipv6-pod-cidr': 'fd00:10:244::/64',
        'csi.volume.kubernetes.io/nodeid': '{"ebs.csi.aws.com":"i-0123456789abcdef0"}',
        'node.alpha.kubernetes.io/ttl': '0',
        'flannel.alpha.coreos.com/backend-data': '{"VNI":1,"VtepMAC":"5e:1a:2b:3c:4d:5e"}',
        'container.googleapis.com/instance_id': '1234567890',
        'example.com/endpoint': 'ip:fd00::7',
        'example.com/version': 'v1.2.3',
        // Rancher's sums of every pod's requests and limits on the node, the host's and other tenants'.
        'management.cattle.io/pod-requests': '{"cpu":"3750m","pods":"42"}',
        'management.cattle.io/pod-limits': '{"memory":"12Gi"}',
      },
    );
    (node.status as Record<string, unknown>).nodeInfo = {
      machineID: 'm-1',
      systemUUID: 'u-1',
      bootID: 'b-1',
      kubeletVersion: 'v1.37.2',
      architecture: 'amd64',
    };
    const table = await start({
      kinds: ['nodes'],
      flags: { syncRealNodes: 'true' },
      virtual: [podOn('n1')],
      host: [[type, node]],
    });
    await table.settle();
    const copy = virtualNodes(table)[0]!;
    expect(
      Object.keys(copy.metadata?.annotations ?? {})
        .filter((k) => !k.startsWith('vcluster.loft.sh/'))
        .sort(),
    ).toEqual(['example.com/rack', 'example.com/version', 'node.alpha.kubernetes.io/ttl']);
    expect((copy.status as Record<string, unknown>).nodeInfo).toEqual({
      machineID: '',
      systemUUID: '',
      bootID: '',
      kubeletVersion: 'v1.37.2',
      architecture: 'amd64',
    });
  });

  it('--virtual-scheduler: every real node is shown (the nodes --node-selector selects, when given), pods or not', async () => {
    const all = await start({
      kinds: ['nodes'],
      flags: { syncRealNodes: 'true', virtualScheduler: 'true' },
      host: [hostNode('n1'), hostNode('n2', { pool: 'tenants' })],
    });
    await all.settle();
    expect(virtualNodes(all).map((n) => n.metadata?.name)).toEqual(['n1', 'n2']);
    const selected = await start({
      kinds: ['nodes'],
      flags: { syncRealNodes: 'true', virtualScheduler: 'true', nodeSelector: 'pool=tenants' },
      host: [hostNode('n1'), hostNode('n2', { pool: 'tenants' })],
    });
    await selected.settle();
    expect(virtualNodes(selected).map((n) => n.metadata?.name)).toEqual(['n2']);
  });

  it('--virtual-scheduler: a host node drained and deleted under bound pods becomes a stand-in that draws no pods; back, it is the real copy again', async () => {
    const table = await start({
      kinds: ['nodes'],
      flags: { syncRealNodes: 'true', virtualScheduler: 'true' },
      virtual: [podOn('n1')],
      host: [hostNode('n1')],
    });
    await table.settle();
    const shown = { fake: false, spec: {}, ready: 'True', pods: undefined };
    expect(schedulingOf(virtualNode(table, 'n1'))).toEqual(shown);
    // A drain cordons the host node first; then it is deleted while the host's pod GC has yet to
    // remove its pods, so the virtual pod stays bound there.
    const h = table.host.objects(NODES)[0]!;
    await table.host.update(NODES, '', { ...h, spec: { unschedulable: true } });
    await table.settle();
    await table.host.delete(NODES, '', 'n1');
    await table.settle();
    expect(schedulingOf(virtualNode(table, 'n1'))).toEqual(STAND_IN);
    // As a node whose kubelet stopped reporting: every condition Unknown.
    expect(
      (virtualNode(table, 'n1')!.status as { conditions: { status: string }[] }).conditions.map(
        (c) => c.status,
      ),
    ).toEqual(['Unknown', 'Unknown', 'Unknown', 'Unknown']);
    // A node of that name joins the host again: the copy is schedulable again, nothing of the stand-in left.
    await table.host.create(NODES, '', hostNode('n1')[1]);
    await table.settle();
    expect(schedulingOf(virtualNode(table, 'n1'))).toEqual(shown);
  });

  it("--virtual-scheduler: a node a tenant's pod names, hidden by --node-selector or missing, is a stand-in that draws no pods", async () => {
    const naming = (node: string): Seed => [
      PODS,
      { metadata: { name: `sneaky-${node}`, namespace: 'team' }, spec: { nodeName: node, containers: [] } },
    ];
    const table = await startTable({
      kinds: ['nodes'],
      flags: { syncRealNodes: 'true', virtualScheduler: 'true', nodeSelector: 'pool=tenants' },
      virtual: [naming('hidden'), naming('ghost')],
      host: [hostNode('n1', { pool: 'tenants' }), hostNode('hidden')],
    });
    await table.settle();
    expect(schedulingOf(virtualNode(table, 'n1')).spec).toEqual({});
    expect(schedulingOf(virtualNode(table, 'hidden'))).toEqual(STAND_IN);
    // Alike but for the name: a tenant learns nothing of which the host has.
    const unnamed = (name: string) => {
      const { labels, annotations } = virtualNode(table, name)!.metadata!;
      const { spec, status } = virtualNode(table, name)!;
      return JSON.stringify({ labels, annotations, spec, status }).replaceAll(name, 'NAME');
    };
    expect(unnamed('ghost')).toEqual(unnamed('hidden'));
  });

  it("--virtual-scheduler: a real node's allocatable is what others' running pods leave of it, and follows them", async () => {
    const node = hostNode('n1');
    (node[1].status as Record<string, unknown>).allocatable = { cpu: '4', memory: '8Gi', pods: '110' };
    const othersPod = (
      name: string,
      namespace: string,
      cpu: string,
      labels: Record<string, string> = {},
    ): Seed => [
      PODS,
      {
        metadata: { name, namespace, labels },
        spec: {
          nodeName: 'n1',
          containers: [{ name: 'c', resources: { requests: { cpu, memory: '1Gi' } } }],
        },
        status: { phase: 'Running' },
      },
    ];
    const table = await start({
      kinds: ['nodes'],
      flags: { syncRealNodes: 'true', virtualScheduler: 'true' },
      host: [
        node,
        othersPod('db', 'host-apps', '1500m'),
        othersPod('web-x-ns-x-other', HOST_NS, '250m', { 'vcluster.loft.sh/managed-by': 'other' }),
        // Another team's virtual cluster of the same name, in its own host namespace.
        othersPod('api-x-ns-x-vc', 'team-b', '250m', { 'vcluster.loft.sh/managed-by': VC }),
        // This virtual cluster's own pods are in the virtual cluster already: its scheduler counts them.
        othersPod('mine-x-team-x-vc', HOST_NS, '1', { 'vcluster.loft.sh/managed-by': VC }),
      ],
    });
    await table.settle();
    const allocatable = () =>
      (virtualNodes(table)[0]?.status as { allocatable?: Record<string, string> } | undefined)?.allocatable;
    expect(allocatable()).toEqual({ cpu: '2000m', memory: String(5 * 2 ** 30), pods: '107' });
    const db = table.host.objects(PODS, 'host-apps')[0]!;
    await table.host.update(
      PODS,
      'host-apps',
      { ...db, status: { phase: 'Succeeded' } },
      { subresource: 'status' },
    );
    await table.settle();
    expect(allocatable()).toEqual({ cpu: '3500m', memory: String(6 * 2 ** 30), pods: '108' });
    await table.host.delete(PODS, HOST_NS, 'web-x-ns-x-other');
    await table.host.delete(PODS, 'team-b', 'api-x-ns-x-vc');
    await table.settle();
    expect(allocatable()).toEqual({ cpu: '4', memory: '8Gi', pods: '110' });
  });

  it('real nodes: a host node deleted removes its virtual copy; --node-selector shows unused matching nodes', async () => {
    const table = await start({
      kinds: ['nodes'],
      flags: { syncRealNodes: 'true', nodeSelector: 'pool=tenants' },
      virtual: [podOn('n1')],
      host: [hostNode('n1'), hostNode('n2', { pool: 'tenants' }), hostNode('n3')],
    });
    await table.settle();
    expect(virtualNodes(table).map((n) => n.metadata?.name)).toEqual(['n1', 'n2']);
    // The host node goes (its pods with it): its copy shows nothing of it any more, then goes.
    await table.host.delete(NODES, '', 'n1');
    await table.settle();
    expect(schedulingOf(virtualNode(table, 'n1'))).toEqual(STAND_IN);
    await deletePod(table, 'p-n1');
    await table.settle();
    expect(virtualNodes(table).map((n) => n.metadata?.name)).toEqual(['n2']);
  });
});

describe('nodes state table: a tenant naming a node', () => {
  /** A virtual pod naming a node itself (spec.nodeName), with no host copy placed there. */
  const naming = (node: string): Seed => [
    PODS,
    { metadata: { name: `sneaky-${node}`, namespace: 'team' }, spec: { nodeName: node, containers: [] } },
  ];

  it("shows a node the host placed none of its pods on as a fake one: nothing of the real node's", async () => {
    const table = await startTable({
      kinds: ['nodes'],
      flags: { syncRealNodes: 'true', nodeSelector: 'pool=tenants' },
      virtual: [naming('control-plane-1'), naming('no-such-node')],
      host: [hostNode('control-plane-1', { 'node-role.kubernetes.io/control-plane': '' })],
    });
    await table.settle();
    // The same whether the host has a node of that name or not: a tenant learns nothing by naming one.
    expect(virtualNodes(table).map((n) => n.metadata?.name)).toEqual(['control-plane-1', 'no-such-node']);
    for (const node of virtualNodes(table)) {
      expect(node.metadata?.labels?.['vcluster.loft.sh/fake-node']).toBe('true');
      expect(node.metadata?.labels?.['node-role.kubernetes.io/control-plane']).toBeUndefined();
    }
    // The host places one of this virtual cluster's pods there: the real node's copy.
    await table.host.create(PODS, HOST_NS, hostCopyOf(naming('control-plane-1')[1]));
    await table.settle();
    const real = virtualNodes(table).find((n) => n.metadata?.name === 'control-plane-1')!;
    expect(real.metadata?.labels?.['node-role.kubernetes.io/control-plane']).toBe('');
    expect(real.metadata?.labels?.['vcluster.loft.sh/fake-node']).toBeUndefined();
    expect((real.status as { capacity?: unknown }).capacity).toEqual({ cpu: '4' });
  });

  it('a node shown stays while a virtual pod is bound to it, after its host copy went; then it goes', async () => {
    const table = await start({ kinds: ['nodes'], virtual: [podOn('n1')] });
    await table.settle();
    await table.host.delete(PODS, HOST_NS, `p-n1-x-team-x-${VC}`);
    await table.settle();
    expect(virtualNodes(table).map((n) => n.metadata?.name)).toEqual(['n1']);
    await table.virtual.delete(PODS, 'team', 'p-n1');
    await table.settle();
    expect(virtualNodes(table)).toEqual([]);
  });
});

describe('nodes state table: the kubelet endpoint', () => {
  const kubeletFlags = {
    kubeletBindAddress: '127.0.0.1:10250',
    kubeletAdvertiseAddress: '127.0.0.1',
    kubeletTlsCertFile: '/tls.crt',
    kubeletTlsKeyFile: '/tls.key',
    kubeletClientCaFile: '/ca.crt',
  };
  const endpointOf = (node: KubeObject | undefined) => {
    const status = node?.status as { addresses?: unknown; daemonEndpoints?: unknown } | undefined;
    return { addresses: status?.addresses, daemonEndpoints: status?.daemonEndpoints };
  };
  const served = {
    addresses: [
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: 'n1' },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
  };

  it("fake nodes point at the syncer's kubelet API: InternalIP and port", async () => {
    const table = await start({ kinds: ['nodes'], virtual: [podOn('n1')], flags: kubeletFlags });
    await table.settle();
    expect(endpointOf(virtualNodes(table)[0])).toEqual(served);
  });

  it("a fake node vCluster's own syncer made (marked fake-node only) is taken over: the syncer's endpoint, labels and marker", async () => {
    const vclusters: Seed = [
      NODES,
      {
        metadata: {
          name: 'n1',
          labels: {
            'vcluster.loft.sh/fake-node': 'true',
            'kubernetes.io/hostname': 'fake-n1',
            'kubernetes.io/os': 'linux',
          },
        },
        spec: {},
        status: {
          addresses: [{ type: 'InternalIP', address: '10.96.125.68' }],
          daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        },
      },
    ];
    const table = await start({ kinds: ['nodes'], virtual: [podOn('n1'), vclusters], flags: kubeletFlags });
    await table.settle();
    const node = virtualNodes(table)[0]!;
    expect(endpointOf(node)).toEqual(served);
    expect(node.metadata?.labels).toMatchObject({
      'vcluster.loft.sh/fake-node': 'true',
      'kubernetes.io/hostname': 'n1',
      'vcluster.loft.sh/managed-by': VC,
    });
  });

  it("real node copies point there too, never at the host's kubelet", async () => {
    const host: Seed = [
      NODES,
      {
        ...hostNode('n1')[1],
        status: {
          conditions: [{ type: 'Ready', status: 'True' }],
          addresses: [{ type: 'InternalIP', address: '192.168.7.7' }],
          daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        },
      },
    ];
    const table = await start({
      kinds: ['nodes'],
      virtual: [podOn('n1')],
      host: [host],
      flags: { ...kubeletFlags, syncRealNodes: true },
    });
    await table.settle();
    expect(endpointOf(virtualNodes(table)[0])).toEqual(served);
  });

  it('without an endpoint of its own, a syncer leaves the kubelet address a node has: no tug of war', async () => {
    const table = await start({ kinds: ['nodes'], virtual: [podOn('n1')] });
    await table.settle();
    const node = virtualNodes(table)[0]!;
    await table.virtual.update(
      NODES,
      '',
      { ...node, status: { ...(node.status as object), ...served } },
      {
        subresource: 'status',
      },
    );
    table.virtual.clearWrites();
    table.clock.advance(60_000);
    await addPodOn(table, 'n1', 'another');
    await table.settle();
    expect(nodeWrites(table)).toEqual([]);
    expect(endpointOf(virtualNodes(table)[0])).toEqual(served);
  });

  it('with a port per node, each node advertises its own, and keeps it when the syncer restarts', async () => {
    const flags = { ...kubeletFlags, kubeletNodePorts: '11000-11009' };
    const table = await start({ kinds: ['nodes'], virtual: [podOn('n1'), podOn('n2')], flags });
    await table.settle();
    const portsOf = (t: StateTable) =>
      Object.fromEntries(virtualNodes(t).map((n) => [n.metadata!.name, endpointOf(n).daemonEndpoints]));
    expect(portsOf(table)).toEqual({
      n1: { kubeletEndpoint: { Port: 11000 } },
      n2: { kubeletEndpoint: { Port: 11001 } },
    });
    // A new syncer (a fresh allocator) meets n2 first: n2 keeps 11001, n1 keeps 11000.
    const [n1, n2] = [virtualNodes(table)[0]!, virtualNodes(table)[1]!];
    const again = await start({
      kinds: ['nodes'],
      virtual: [[NODES, n2], [NODES, n1], podOn('n2'), podOn('n1')],
      flags,
    });
    await again.settle();
    expect(portsOf(again)).toEqual(portsOf(table));
  });
});
