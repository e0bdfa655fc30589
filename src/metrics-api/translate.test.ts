import type { KubeObject } from '../kube/object.ts';
import type { OwnedPods } from '../kubelet/node-stats.ts';
import { parseLabelSelector } from '../util/label-selector.ts';
import { metricsRouteOf } from './server.ts';
import { tenantNodeMetrics, tenantPodMetrics, type MetricsQuery } from './translate.ts';

const HOST_NS = 'vc-host';
const all: MetricsQuery = { selector: parseLabelSelector('') };

const podMetrics = (name: string, containers: string[]) => ({
  metadata: { name, namespace: HOST_NS, labels: { 'vcluster.loft.sh/managed-by': 'vc1', app: 'host-label' } },
  timestamp: '2026-12-04T10:00:00Z',
  window: '15s',
  containers: containers.map((c) => ({ name: c, usage: { cpu: '1m', memory: '1Mi' } })),
});

const virtualPods: Record<string, KubeObject> = {
  'team/web': { metadata: { name: 'web', namespace: 'team', uid: 'u-web', labels: { app: 'web' } } },
  'team/db': { metadata: { name: 'db', namespace: 'team', uid: 'u-db', labels: { app: 'db' } } },
  'other/web': { metadata: { name: 'web', namespace: 'other', uid: 'u-other', labels: { app: 'web' } } },
};
const lookup = (namespace: string, name: string) => virtualPods[`${namespace}/${name}`];

const owned: OwnedPods = new Map([
  [
    `${HOST_NS}/web-x-team-x-vc1`,
    { namespace: 'team', name: 'web', uid: 'u-web', containers: new Set(['app']) },
  ],
  [`${HOST_NS}/db-x-team-x-vc1`, { namespace: 'team', name: 'db', uid: 'u-db', containers: new Set(['db']) }],
  // The host pod of a virtual pod replaced since (another UID): not the pod the cache has now.
  [`${HOST_NS}/web-x-other-x-vc1`, { namespace: 'other', name: 'web', uid: 'u-old' }],
]);

const hostPods = {
  kind: 'PodMetricsList',
  items: [
    podMetrics('web-x-team-x-vc1', ['app', 'istio-proxy']),
    podMetrics('db-x-team-x-vc1', ['db']),
    podMetrics('web-x-other-x-vc1', ['app']),
    // Another tenant's, or the host's own: not owned.
    podMetrics('api-x-team-x-vc2', ['api']),
  ],
};

describe('tenantPodMetrics', () => {
  it("renames this virtual cluster's pods, with their labels and declared containers; drops every other pod", () => {
    const items = tenantPodMetrics(hostPods, HOST_NS, owned, lookup, all);
    expect(items).toEqual([
      {
        metadata: { name: 'web', namespace: 'team', labels: { app: 'web' } },
        timestamp: '2026-12-04T10:00:00Z',
        window: '15s',
        containers: [{ name: 'app', usage: { cpu: '1m', memory: '1Mi' } }],
      },
      {
        metadata: { name: 'db', namespace: 'team', labels: { app: 'db' } },
        timestamp: '2026-12-04T10:00:00Z',
        window: '15s',
        containers: [{ name: 'db', usage: { cpu: '1m', memory: '1Mi' } }],
      },
    ]);
  });

  it('keeps what the query asks for: a namespace, a name, a label selector on the virtual labels', () => {
    const names = (query: Partial<MetricsQuery>) =>
      tenantPodMetrics(hostPods, HOST_NS, owned, lookup, { ...all, ...query }).map(
        (i) => `${i.metadata?.namespace}/${i.metadata?.name}`,
      );
    expect(names({ namespace: 'team', name: 'db' })).toEqual(['team/db']);
    expect(names({ namespace: 'other' })).toEqual([]);
    expect(names({ selector: parseLabelSelector('app=web') })).toEqual(['team/web']);
    // The host copy's labels are not the tenant's.
    expect(names({ selector: parseLabelSelector('app=host-label') })).toEqual([]);
  });

  it('reads a list without items, or items of the wrong shape, as none', () => {
    expect(tenantPodMetrics({}, HOST_NS, owned, lookup, all)).toEqual([]);
    expect(tenantPodMetrics({ items: [null, 'x', 3] }, HOST_NS, owned, lookup, all)).toEqual([]);
    expect(tenantPodMetrics(undefined, HOST_NS, owned, lookup, all)).toEqual([]);
  });
});

describe('tenantNodeMetrics', () => {
  const nodes: Record<string, KubeObject> = {
    real: { metadata: { name: 'real', labels: { 'vcluster.loft.sh/managed-by': 'vc1', pool: 'a' } } },
    fake: {
      metadata: {
        name: 'fake',
        labels: { 'vcluster.loft.sh/managed-by': 'vc1', 'vcluster.loft.sh/fake-node': 'true' },
      },
    },
    // A Node the tenant made itself, or marked as the syncer's: no pod of this virtual cluster runs there.
    forged: { metadata: { name: 'forged', labels: { 'vcluster.loft.sh/managed-by': 'vc1' } } },
    // The tenant's own Node under the name of a host node where its pods do run.
    own: { metadata: { name: 'own', labels: { pool: 'a' } } },
    going: {
      metadata: { name: 'going', labels: { 'vcluster.loft.sh/managed-by': 'vc1' }, deletionTimestamp: 't' },
    },
  };
  const hostNodes = {
    items: ['real', 'fake', 'forged', 'own', 'going', 'hidden'].map((name) => ({
      metadata: { name, labels: { 'host-only': 'x' } },
      timestamp: 't',
      window: '20s',
      usage: { cpu: '3500m', memory: '12Gi' },
    })),
  };
  const hostPodMetrics = {
    items: [
      {
        metadata: { name: 'a' },
        containers: [{ name: 'x', usage: { cpu: '250000000n', memory: '1024Ki' } }],
      },
      {
        metadata: { name: 'b' },
        containers: [
          { name: 'x', usage: { cpu: '5m', memory: '1Mi' } },
          { name: 'y', usage: { cpu: '1m', memory: '2048Ki' } },
        ],
      },
    ],
  };
  const sources = {
    hostPodsByNode: new Map([
      ['real', [{ name: 'a' }]],
      // Of pod b, only container x is the tenant's (y: a host webhook's sidecar).
      ['fake', [{ name: 'a' }, { name: 'b', containers: new Set(['x']) }]],
      ['own', [{ name: 'a' }]],
      ['going', [{ name: 'a' }]],
    ]),
    hostPodMetrics,
    virtualNode: (_ns: string, name: string) => nodes[name],
    realNodes: true,
  };
  const names = (query: MetricsQuery) =>
    tenantNodeMetrics(hostNodes, sources, query).map((i) => i.metadata?.name);

  it("a real node's copy gets its host node's figures; a fake node the sum of this virtual cluster's pods on it", () => {
    const items = tenantNodeMetrics(hostNodes, sources, all);
    expect(items).toEqual([
      {
        metadata: { name: 'real', labels: { 'vcluster.loft.sh/managed-by': 'vc1', pool: 'a' } },
        timestamp: 't',
        window: '20s',
        usage: { cpu: '3500m', memory: '12Gi' },
      },
      {
        metadata: {
          name: 'fake',
          labels: { 'vcluster.loft.sh/managed-by': 'vc1', 'vcluster.loft.sh/fake-node': 'true' },
        },
        timestamp: 't',
        window: '20s',
        // Pod a's 250m and 1Mi, and pod b's declared container's 5m and 1Mi.
        usage: { cpu: '255000000n', memory: '2048Ki' },
      },
    ]);
  });

  it('without --sync-real-nodes every node is fake, whatever its labels say: a marker the tenant took off shows no host total', () => {
    const usage = tenantNodeMetrics(hostNodes, { ...sources, realNodes: false }, { ...all, name: 'real' })[0]
      ?.usage;
    // Pod a's figures only, not the host node's 3500m and 12Gi.
    expect(usage).toEqual({ cpu: '250000000n', memory: '1024Ki' });
  });

  it('shows only nodes where its pods run, by its own host pods: no forged, foreign, going or hidden node', () => {
    expect(names(all)).toEqual(['real', 'fake']);
    expect(names({ ...all, name: 'forged' })).toEqual([]);
    expect(names({ ...all, name: 'own' })).toEqual([]);
    expect(names({ selector: parseLabelSelector('pool=a') })).toEqual(['real']);
  });
});

describe('metricsRouteOf', () => {
  it.each([
    ['/apis/metrics.k8s.io/v1beta1/nodes', { kind: 'nodes' }],
    ['/apis/metrics.k8s.io/v1beta1/nodes/n1', { kind: 'nodes', name: 'n1' }],
    ['/apis/metrics.k8s.io/v1beta1/pods', { kind: 'pods' }],
    ['/apis/metrics.k8s.io/v1beta1/namespaces/team/pods', { kind: 'pods', namespace: 'team' }],
    [
      '/apis/metrics.k8s.io/v1beta1/namespaces/team/pods/web/',
      { kind: 'pods', namespace: 'team', name: 'web' },
    ],
    ['/healthz', { kind: 'health' }],
  ])('%s', (path, route) => expect(metricsRouteOf(path)).toEqual(route));

  it('serves the discovery documents', () => {
    expect(metricsRouteOf('/apis/metrics.k8s.io/v1beta1')).toMatchObject({
      kind: 'document',
      body: { kind: 'APIResourceList', groupVersion: 'metrics.k8s.io/v1beta1' },
    });
    expect(metricsRouteOf('/apis/metrics.k8s.io')).toMatchObject({ body: { kind: 'APIGroup' } });
    expect(metricsRouteOf('/apis')).toMatchObject({ body: { kind: 'APIGroupList' } });
  });

  it.each([
    '/api/v1/pods',
    '/apis/metrics.k8s.io/v1beta1/namespaces/team/pods/web/log',
    '/apis/metrics.k8s.io/v1beta1/namespaces/team',
    '/apis/metrics.k8s.io/v1beta1/nodes/n1/proxy',
    '/apis/metrics.k8s.io/v1beta1/namespaces//pods',
    '/apis/metrics.k8s.io/v1beta1/namespaces/%2F/pods',
  ])('has nothing at %s', (path) => expect(metricsRouteOf(path)).toBeUndefined());
});
