import type { KubeObject } from '../kube/object.ts';
import type { OwnedPods } from './node-stats.ts';
import { podListKindOf, podsOnNode, runningPods } from './pod-lists.ts';
import { ownedAmong } from './pod-target.ts';

const pod = (name: string, node: string | undefined, phase = 'Running', uid = `uid-${name}`): KubeObject => ({
  metadata: { name, namespace: 'team', uid },
  spec: {
    nodeName: node,
    containers: [
      { name: 'main', image: 'app:1' },
      { name: 'side', image: 'side:1' },
    ],
  },
  status: {
    phase,
    containerStatuses: [
      { name: 'main', state: { running: {} } },
      { name: 'side', state: { waiting: {} } },
    ],
  },
});
const owned = (...names: string[]): OwnedPods =>
  new Map(names.map((n) => [`host-ns/${n}-x-team-x-vc`, { namespace: 'team', name: n, uid: `uid-${n}` }]));
const names = (list: KubeObject) => ((list.items as KubeObject[]) ?? []).map((p) => p.metadata?.name);

describe('kubelet pod lists', () => {
  it('reads /pods and /runningpods, with or without a trailing slash, and nothing else', () => {
    expect(['/pods', '/pods/', '/runningpods', '/runningpods/', '/podsx', '/'].map(podListKindOf)).toEqual([
      'pods',
      'pods',
      'runningpods',
      'runningpods',
      undefined,
      undefined,
    ]);
  });

  it("/pods: the node's virtual pods whose host copy runs, as Pods; none of another node, unbound, or without a copy", () => {
    const pods = [
      pod('a', 'n1'),
      pod('b', 'n2'),
      pod('unbound', undefined),
      pod('no-copy', 'n1'),
      pod('replaced', 'n1', 'Running', 'uid-new'),
    ];
    const list = podsOnNode(pods, owned('a', 'b', 'unbound', 'replaced'), 'n1');
    expect(list).toMatchObject({ apiVersion: 'v1', kind: 'PodList' });
    expect(names(list)).toEqual(['a']);
    expect((list.items as KubeObject[])[0]).toMatchObject({ apiVersion: 'v1', kind: 'Pod' });
    // No node known (every node on one port): every bound pod of this virtual cluster.
    expect(names(podsOnNode(pods, owned('a', 'b', 'unbound'), undefined))).toEqual(['a', 'b']);
  });

  it("/runningpods: the running ones, in the kubelet's short form with their running containers", () => {
    const list = runningPods(
      podsOnNode([pod('a', 'n1'), pod('done', 'n1', 'Succeeded')], owned('a', 'done'), 'n1'),
    );
    expect(list.items).toEqual([
      {
        metadata: { name: 'a', namespace: 'team', uid: 'uid-a' },
        spec: { containers: [{ name: 'main', image: 'app:1' }] },
        status: {},
      },
    ]);
  });
});

describe('ownedAmong', () => {
  const where = { vcName: 'vc', hostNamespace: 'host-ns' };
  const hostPod = (
    name: string,
    extra: { namespace?: string; managedBy?: string; kind?: string } = {},
  ): KubeObject => ({
    metadata: {
      name: `${name}-x-team-x-vc`,
      namespace: extra.namespace ?? 'host-ns',
      labels: { 'vcluster.loft.sh/managed-by': extra.managedBy ?? 'vc' },
      annotations: {
        'vcluster.loft.sh/object-name': name,
        'vcluster.loft.sh/object-namespace': 'team',
        'vcluster.loft.sh/object-uid': `uid-${name}`,
        'vcluster.loft.sh/object-kind': extra.kind ?? '/v1, Kind=Pod',
      },
    },
  });

  it("keeps only this virtual cluster's proven copies in its host namespace, under their virtual names", () => {
    const owned = ownedAmong(
      [
        hostPod('mine'),
        hostPod('other-vc', { managedBy: 'other' }),
        hostPod('elsewhere', { namespace: 'other-ns' }),
        hostPod('not-a-pod', { kind: '/v1, Kind=Secret' }),
      ],
      where,
    );
    expect([...owned.entries()]).toEqual([
      ['host-ns/mine-x-team-x-vc', { namespace: 'team', name: 'mine', uid: 'uid-mine' }],
    ]);
  });
});
