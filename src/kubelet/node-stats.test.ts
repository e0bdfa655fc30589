import { throughLines } from './line-stream.ts';
import { NodePorts } from './node-ports.ts';
import {
  cadvisorMetricLines,
  probeMetricLines,
  resourceMetricLines,
  summaryForTenant,
  type OwnedPods,
} from './node-stats.ts';

const owned: OwnedPods = new Map([
  ['host-ns/web-x-team-x-vc', { namespace: 'team', name: 'web', uid: 'u1', hostUid: 'host-uid' }],
]);

describe('node statistics for a tenant', () => {
  it("keeps the node's summary and only the tenant's pods, renamed, without host volume names", () => {
    const summary = {
      node: {
        nodeName: 'n1',
        cpu: { usageNanoCores: 5 },
        memory: { workingSetBytes: 7 },
        fs: { usedBytes: 3 },
        systemContainers: [{ name: 'kubelet', cpu: { usageNanoCores: 4 } }],
        network: {
          name: 'eth0',
          rxBytes: 10,
          interfaces: [{ name: 'cali1a2b3c4d5e6', rxBytes: 99 }],
        },
        runtime: { imageFs: { usedBytes: 8 } },
        rlimit: { maxpid: 4194304 },
      },
      pods: [
        {
          podRef: { name: 'web-x-team-x-vc', namespace: 'host-ns', uid: 'host-uid' },
          cpu: { usageNanoCores: 1 },
          volume: [{ name: 'data', pvcRef: { name: 'data-x-team-x-vc', namespace: 'host-ns' } }],
        },
        { podRef: { name: 'secret-db', namespace: 'other-tenant' }, cpu: { usageNanoCores: 2 } },
        { podRef: { name: 'web-x-team-x-vc', namespace: 'elsewhere' } },
      ],
    };
    // The machine's size and use; not the host's cgroups, every interface of the host (one per pod,
    // other tenants' included), its runtime's image store or its limits.
    expect(summaryForTenant(summary, owned)).toEqual({
      node: {
        nodeName: 'n1',
        cpu: { usageNanoCores: 5 },
        memory: { workingSetBytes: 7 },
        fs: { usedBytes: 3 },
        network: { name: 'eth0', rxBytes: 10 },
      },
      pods: [{ podRef: { name: 'web', namespace: 'team', uid: 'u1' }, cpu: { usageNanoCores: 1 } }],
    });
    expect(() => summaryForTenant('nonsense', owned)).toThrow('not an object');
  });

  it("renames the tenant's pod series, drops other pods' and keeps the node's own (not what else a kubelet adds)", () => {
    const text = [
      '# HELP node_cpu_usage_seconds_total Cumulative cpu time',
      '# TYPE node_cpu_usage_seconds_total counter',
      'node_cpu_usage_seconds_total 12.5 1700000000000',
      'pod_cpu_usage_seconds_total{namespace="host-ns",pod="web-x-team-x-vc"} 1.5 1700000000000',
      'container_cpu_usage_seconds_total{container="app",namespace="host-ns",pod="web-x-team-x-vc"} 1 1700000000000',
      'pod_cpu_usage_seconds_total{namespace="other-tenant",pod="secret-db"} 9 1700000000000',
      'kubelet_runtime_operations_total{operation_type="create"} 4',
    ].join('\n');
    expect(throughLines(text, resourceMetricLines(owned)).split('\n')).toEqual([
      '# HELP node_cpu_usage_seconds_total Cumulative cpu time',
      '# TYPE node_cpu_usage_seconds_total counter',
      'node_cpu_usage_seconds_total 12.5 1700000000000',
      'pod_cpu_usage_seconds_total{namespace="team",pod="web"} 1.5 1700000000000',
      'container_cpu_usage_seconds_total{container="app",namespace="team",pod="web"} 1 1700000000000',
    ]);
  });
});

describe("a fake node's own use: its tenant's pods' sum, never the host node's total (other tenants' load)", () => {
  const two: OwnedPods = new Map([
    ['host-ns/web-x-team-x-vc', { namespace: 'team', name: 'web', uid: 'u1', hostUid: 'h1' }],
    ['host-ns/db-x-team-x-vc', { namespace: 'team', name: 'db', uid: 'u2', hostUid: 'h2' }],
  ]);

  it('in the summary', () => {
    const summary = {
      node: {
        nodeName: 'n1',
        startTime: '2026-12-01T00:00:00Z',
        cpu: { time: 't9', usageNanoCores: 4_000_000_000 },
        memory: { time: 't9', workingSetBytes: 8e9, availableBytes: 1e9 },
        fs: { usedBytes: 3e10 },
        network: { name: 'eth0', rxBytes: 9e9 },
      },
      pods: [
        {
          podRef: { name: 'web-x-team-x-vc', namespace: 'host-ns', uid: 'h1' },
          cpu: { time: 't1', usageNanoCores: 100, usageCoreNanoSeconds: 1000 },
          memory: { time: 't2', workingSetBytes: 10, usageBytes: 12 },
        },
        {
          podRef: { name: 'db-x-team-x-vc', namespace: 'host-ns', uid: 'h2' },
          cpu: { time: 't3', usageNanoCores: 50, usageCoreNanoSeconds: 500 },
          memory: { time: 't1', workingSetBytes: 5, usageBytes: 6, rssBytes: 4 },
        },
        {
          podRef: { name: 'other', namespace: 'other-tenant' },
          cpu: { usageNanoCores: 3_000_000_000 },
        },
      ],
    };
    const { node } = summaryForTenant(summary, two, 'own-pods') as { node: unknown };
    expect(node).toEqual({
      nodeName: 'n1',
      startTime: '2026-12-01T00:00:00Z',
      cpu: { time: 't3', usageNanoCores: 150, usageCoreNanoSeconds: 1500 },
      memory: { time: 't2', usageBytes: 18, workingSetBytes: 15, rssBytes: 4 },
    });
  });

  it('in /metrics/resource (the container series come first, as kubelets write them)', () => {
    const text = [
      'container_cpu_usage_seconds_total{container="app",namespace="host-ns",pod="web-x-team-x-vc"} 2.5 1700000000000',
      'container_cpu_usage_seconds_total{container="app",namespace="host-ns",pod="db-x-team-x-vc"} 1.5 1700000000000',
      'container_cpu_usage_seconds_total{container="x",namespace="other-tenant",pod="other"} 900 1700000000000',
      'container_memory_working_set_bytes{container="app",namespace="host-ns",pod="web-x-team-x-vc"} 100 1700000000000',
      'node_cpu_usage_seconds_total 12345.5 1700000000001',
      'node_memory_working_set_bytes 8e+09 1700000000001',
      'node_network_receive_bytes_total 9e9 1700000000001',
      'resource_scrape_error 0',
    ].join('\n');
    expect(throughLines(text, resourceMetricLines(two, 'own-pods')).split('\n')).toEqual([
      'container_cpu_usage_seconds_total{container="app",namespace="team",pod="web"} 2.5 1700000000000',
      'container_cpu_usage_seconds_total{container="app",namespace="team",pod="db"} 1.5 1700000000000',
      'container_memory_working_set_bytes{container="app",namespace="team",pod="web"} 100 1700000000000',
      'node_cpu_usage_seconds_total 4 1700000000001',
      'node_memory_working_set_bytes 100 1700000000001',
      'resource_scrape_error 0',
    ]);
  });
});

describe('cadvisor metrics for a tenant', () => {
  it("keeps the tenant's pods' series (renamed) and the machine's size; drops other pods', the host's cgroups and what cannot be read whole", () => {
    const text = [
      '# TYPE container_cpu_usage_seconds_total counter',
      'container_cpu_usage_seconds_total{container="app",id="/kubepods/podx/c1",image="app:1",name="c1",namespace="host-ns",pod="web-x-team-x-vc"} 3 1700000000000',
      'container_cpu_usage_seconds_total{container="",id="/system.slice/kubelet.service",image="",name="",namespace="",pod=""} 99 1700000000000',
      'container_cpu_usage_seconds_total{container="db",id="/kubepods/pody/c2",image="db:1",name="c2",namespace="other-tenant",pod="secret-db"} 5 1700000000000',
      'container_cpu_usage_seconds_total{id="/"} 1000 1700000000000',
      'machine_cpu_cores{boot_id="b",machine_id="m",system_uuid="s"} 4',
      // An image name with } and a quote: read by the format's rules, so this is still the tenant's own line.
      'container_last_seen{container="app",image="evil}\\"x",namespace="host-ns",pod="web-x-team-x-vc"} 1',
      'container_last_seen{image="broken} 1',
    ].join('\n');
    expect(throughLines(text, cadvisorMetricLines(owned)).split('\n')).toEqual([
      '# TYPE container_cpu_usage_seconds_total counter',
      'container_cpu_usage_seconds_total{container="app",id="/kubepods/podx/c1",image="app:1",name="c1",namespace="team",pod="web"} 3 1700000000000',
      'machine_cpu_cores 4',
      'container_last_seen{container="app",image="evil}\\"x",namespace="team",pod="web"} 1',
    ]);
  });

  it("puts the virtual pod's identity into cAdvisor's cgroup path (id) and cri-dockerd's container name", () => {
    const withHostUid: OwnedPods = new Map([
      ['host-ns/web-x-team-x-vc', { namespace: 'team', name: 'web', uid: 'aaaa-1111', hostUid: 'bbbb-2222' }],
    ]);
    const text = [
      'container_memory_rss{container="app",id="/kubepods/burstable/podbbbb-2222/c1",namespace="host-ns",pod="web-x-team-x-vc"} 5',
      'container_memory_rss{container="app",id="/kubepods.slice/kubepods-podbbbb_2222.slice/cri-containerd-c1.scope",name="k8s_app_web-x-team-x-vc_host-ns_bbbb-2222_0",namespace="host-ns",pod="web-x-team-x-vc"} 5',
    ].join('\n');
    expect(throughLines(text, cadvisorMetricLines(withHostUid)).split('\n')).toEqual([
      'container_memory_rss{container="app",id="/kubepods/burstable/podaaaa-1111/c1",namespace="team",pod="web"} 5',
      'container_memory_rss{container="app",id="/kubepods.slice/kubepods-podaaaa_1111.slice/cri-containerd-c1.scope",name="k8s_app_web_team_aaaa-1111_0",namespace="team",pod="web"} 5',
    ]);
  });

  it("drops a series whose cgroup path names another pod's UID (a pod of the same host name being torn down)", () => {
    const own: OwnedPods = new Map([
      [
        'host-ns/web-x-team-x-vc',
        {
          namespace: 'team',
          name: 'web',
          uid: '11111111-2222-3333-4444-555555555555',
          hostUid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
        },
      ],
    ]);
    const text = [
      'container_memory_rss{container="app",id="/kubepods/burstable/podaaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/c1",namespace="host-ns",pod="web-x-team-x-vc"} 5',
      'container_memory_rss{container="app",id="/kubepods/burstable/pod99999999-bbbb-cccc-dddd-eeeeeeeeeeee/c9",namespace="host-ns",pod="web-x-team-x-vc"} 999',
      'container_memory_rss{container="app",id="/kubepods.slice/kubepods-pod99999999_bbbb_cccc_dddd_eeeeeeeeeeee.slice/cri-containerd-c9.scope",namespace="host-ns",pod="web-x-team-x-vc"} 999',
    ].join('\n');
    expect(throughLines(text, cadvisorMetricLines(own)).split('\n')).toEqual([
      'container_memory_rss{container="app",id="/kubepods/burstable/pod11111111-2222-3333-4444-555555555555/c1",namespace="team",pod="web"} 5',
    ]);
  });

  it("labels are read by the format's rules: a `}` in a value does not end them, so another tenant's series is not taken for the node's", () => {
    // Kubelets' label values hold no `}` today (names are DNS labels); cadvisor's image label is the
    // tenant's to choose, so the parser must not stop at the first one.
    const line = 'pod_cpu_usage_seconds_total{container="x}",namespace="other-tenant",pod="secret-db"} 2';
    expect(throughLines(line, resourceMetricLines(owned))).toBe('');
  });
});

describe('probe metrics for a tenant', () => {
  it("keeps only the tenant's pods' probe results, renamed", () => {
    const text = [
      'prober_probe_total{container="app",namespace="host-ns",pod="web-x-team-x-vc",pod_uid="host-uid",probe_type="Liveness",result="successful"} 7',
      'prober_probe_total{container="db",namespace="other-tenant",pod="secret-db",pod_uid="o",probe_type="Liveness",result="successful"} 9',
      'process_start_time_seconds 1.7e+09',
      'odd{constructor="c",namespace="host-ns",pod="web-x-team-x-vc"} 1',
    ].join('\n');
    expect(throughLines(text, probeMetricLines(owned)).split('\n')).toEqual([
      'prober_probe_total{container="app",namespace="team",pod="web",pod_uid="u1",probe_type="Liveness",result="successful"} 7',
      'odd{constructor="c",namespace="team",pod="web"} 1',
    ]);
  });
});

describe('figures of the owned host pod only, by UID', () => {
  // The name is the owned pod's, the UID another's: the kubelet still reports a deleted pod being torn
  // down, or a pod someone else made under the name since.
  it("leaves out a summary pod whose UID is not the owned host pod's; a podRef without a UID is matched by name", () => {
    const summary = {
      pods: [
        { podRef: { name: 'web-x-team-x-vc', namespace: 'host-ns', uid: 'another' }, cpu: 1 },
        { podRef: { name: 'web-x-team-x-vc', namespace: 'host-ns', uid: 'host-uid' }, cpu: 2 },
        { podRef: { name: 'web-x-team-x-vc', namespace: 'host-ns' }, cpu: 3 },
      ],
    };
    expect(summaryForTenant(summary, owned)).toEqual({
      node: {},
      pods: [
        { podRef: { name: 'web', namespace: 'team', uid: 'u1' }, cpu: 2 },
        { podRef: { name: 'web', namespace: 'team', uid: 'u1' }, cpu: 3 },
      ],
    });
  });

  it("leaves out a series whose pod_uid is not the owned host pod's; one without pod_uid is matched by name", () => {
    const text = [
      'prober_probe_total{container="app",namespace="host-ns",pod="web-x-team-x-vc",pod_uid="another"} 1',
      'prober_probe_total{container="app",namespace="host-ns",pod="web-x-team-x-vc",pod_uid="host-uid"} 2',
      'container_memory_rss{container="app",namespace="host-ns",pod="web-x-team-x-vc"} 3',
    ].join('\n');
    expect(throughLines(text, cadvisorMetricLines(owned)).split('\n')).toEqual([
      'prober_probe_total{container="app",namespace="team",pod="web",pod_uid="u1"} 2',
      'container_memory_rss{container="app",namespace="team",pod="web"} 3',
    ]);
  });
});

describe('node ports', () => {
  it('gives each node one port, keeps a current port in range, and serves each new port', async () => {
    const ports = new NodePorts(11000, 11002);
    expect(ports.portFor('a', 11002)).toBe(11002);
    const seen: number[] = [];
    ports.serveWith(async (p) => void seen.push(p));
    expect(ports.portFor('b')).toBe(11000);
    expect(ports.portFor('c', 11002)).toBe(11001); // taken by a: the lowest free
    expect(ports.portFor('a')).toBe(11002);
    expect(ports.nodeAt(11001)).toBe('c');
    expect(seen).toEqual([11002, 11000, 11001]);
    await expect(ports.served(11001)).resolves.toBeUndefined();
    expect(() => ports.portFor('d')).toThrow('all 3 ports of the range are taken');
  });

  it('never hands out again a port that cannot be listened on; its node gets another', async () => {
    const ports = new NodePorts(11000, 11002);
    ports.serveWith(async (p) => {
      if (p === 11000) throw new Error('EADDRINUSE');
    });
    expect(ports.portFor('a')).toBe(11000);
    await expect(ports.served(11000)).rejects.toThrow('EADDRINUSE');
    expect(ports.nodeAt(11000)).toBeUndefined();
    // Its next try, even naming the port it advertised, takes another.
    expect(ports.portFor('a', 11000)).toBe(11001);
    await expect(ports.served(11001)).resolves.toBeUndefined();
    expect(ports.portFor('b')).toBe(11002);
    expect(() => ports.portFor('c')).toThrow('held by another process');
  });

  it("gives a gone node's port to the next node, so node churn never runs the range out", async () => {
    const ports = new NodePorts(11000, 11001);
    const served: number[] = [];
    ports.serveWith(async (p) => void served.push(p));
    expect(ports.portFor('a')).toBe(11000);
    expect(ports.portFor('b')).toBe(11001);
    ports.release('a');
    expect(ports.nodeAt(11000)).toBeUndefined();
    expect(ports.portFor('c')).toBe(11000);
    expect(ports.nodeAt(11000)).toBe('c');
    // Still listened on from before: not listened on twice.
    expect(served).toEqual([11000, 11001]);
    ports.release('unknown');
    expect(ports.portFor('b')).toBe(11001);
  });

  it('serves at once when no server listens (vsyncer check)', async () => {
    const ports = new NodePorts(11000, 11000);
    await expect(ports.served(ports.portFor('a'))).resolves.toBeUndefined();
  });

  it('parses a range and refuses anything else', () => {
    expect(NodePorts.parse('')).toBeUndefined();
    expect(NodePorts.parse('11000-11999')?.last).toBe(11999);
    for (const bad of ['11000', '2-1', '0-5', 'a-b', '1-70000']) expect(() => NodePorts.parse(bad)).toThrow();
  });
});

describe("only the tenant's containers", () => {
  const known: OwnedPods = new Map([
    [
      'host-ns/web-x-team-x-vc',
      { namespace: 'team', name: 'web', uid: 'u1', hostUid: 'h', containers: new Set(['app']) },
    ],
  ]);

  it('leaves out the figures of a container a host webhook or the syncer added; pod-level ones stay', () => {
    const summary = {
      node: { nodeName: 'n1' },
      pods: [
        {
          podRef: { name: 'web-x-team-x-vc', namespace: 'host-ns', uid: 'h' },
          containers: [{ name: 'app' }, { name: 'istio-proxy' }],
          cpu: { usageNanoCores: 3 },
        },
      ],
    };
    expect(summaryForTenant(summary, known)).toEqual({
      node: { nodeName: 'n1' },
      pods: [
        {
          podRef: { name: 'web', namespace: 'team', uid: 'u1' },
          containers: [{ name: 'app' }],
          cpu: { usageNanoCores: 3 },
        },
      ],
    });
    const text = [
      'container_memory_rss{container="app",namespace="host-ns",pod="web-x-team-x-vc"} 1',
      'container_memory_rss{container="istio-proxy",namespace="host-ns",pod="web-x-team-x-vc"} 2',
      'container_memory_rss{container="",namespace="host-ns",pod="web-x-team-x-vc"} 3',
    ].join('\n');
    expect(throughLines(text, cadvisorMetricLines(known)).split('\n')).toEqual([
      'container_memory_rss{container="app",namespace="team",pod="web"} 1',
      'container_memory_rss{container="",namespace="team",pod="web"} 3',
    ]);
  });
});
