import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../../testing/state-table.ts';
import { WAITING_FOR_DNS, WAITING_FOR_DNS_REASON } from './virtual-dns.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const PODS = Resources.pods;

/** The host Service of the virtual API, and a tenant namespace; no virtual DNS Service. */
const withoutDns = {
  virtual: [[Resources.namespaces, { metadata: { name: 'team' } }]] as Seed[],
  host: [
    [
      Resources.services,
      {
        metadata: { name: VC, namespace: HOST_NS },
        spec: { clusterIP: '10.96.0.50', ports: [{ port: 443 }] },
      },
    ],
  ] as Seed[],
};

const virtualPod = (name: string, spec: Record<string, unknown> = {}): Seed => [
  PODS,
  {
    metadata: { name, namespace: 'team', uid: `uid-${name}` },
    spec: { containers: [{ name: 'main', image: 'app:1' }], ...spec },
    status: { phase: 'Pending' },
  },
];

const events = (t: StateTable) =>
  t.virtual.objects(Resources.events, 'team').map((e) => ({
    pod: (e.involvedObject as { name: string }).name,
    type: e.type,
    reason: e.reason,
    message: e.message,
    count: e.count,
  }));
const hostPods = (t: StateTable) => t.host.objects(PODS, HOST_NS);

/** Lets the pods kind retry a few times (its backoff runs on the fake clock). */
async function retries(t: StateTable, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    t.clock.advance(1_000 * 2 ** i);
    await t.settle();
  }
}

describe('pods waiting for the virtual DNS (no --cluster-dns-ip)', () => {
  it('are held, and the tenant is told once per pod, however often the pod is retried', async () => {
    const t = await start({
      kinds: ['pods'],
      flags: { clusterDnsIp: '' },
      virtual: [...withoutDns.virtual, virtualPod('web'), virtualPod('api')],
      host: withoutDns.host,
    });
    await t.settle();
    const before = t.reconciles.get('pods') ?? 0;
    await retries(t, 5);
    expect(t.reconciles.get('pods')! - before).toBeGreaterThanOrEqual(5);
    expect(hostPods(t)).toEqual([]);
    const told = { type: 'Warning', reason: WAITING_FOR_DNS_REASON, message: WAITING_FOR_DNS, count: 1 };
    expect(events(t).sort((a, b) => a.pod.localeCompare(b.pod))).toEqual([
      { pod: 'api', ...told },
      { pod: 'web', ...told },
    ]);
    // One write per pod: the event, never a count patch.
    expect(
      t
        .writes()
        .map((w) => w.replace(/\.[0-9a-f]+$/, ''))
        .sort(),
    ).toEqual(['virtual: create events team/api', 'virtual: create events team/web']);
  });

  it('go to the host with the DNS Service IP as nameserver as soon as it has one, not at their next retry', async () => {
    const t = await start({
      kinds: ['pods'],
      flags: { clusterDnsIp: '' },
      virtual: [...withoutDns.virtual, virtualPod('web')],
      host: withoutDns.host,
    });
    await t.settle();
    expect(hostPods(t)).toEqual([]);
    await t.virtual.create(Resources.services, 'kube-system', {
      metadata: { name: 'kube-dns', namespace: 'kube-system' },
      spec: { clusterIP: '10.96.0.10' },
    } as KubeObject);
    // No time passes: the Service's appearance itself brings the pod back.
    await t.settle();
    expect(
      hostPods(t).map((p) => (p.spec as { dnsConfig?: { nameservers?: string[] } }).dnsConfig?.nameservers),
    ).toEqual([['10.96.0.10']]);
    expect(events(t).map((e) => e.reason)).toEqual([WAITING_FOR_DNS_REASON]);
  });

  it("a new kube-dns whose IP the host refuses: pods wait for the host copy's IP, never taking the virtual cluster's first choice", async () => {
    // On the host, the virtual API server's choice belongs to somebody else's Service.
    const holder: Seed = [
      Resources.services,
      {
        metadata: { name: 'holder', namespace: HOST_NS },
        spec: { clusterIP: '10.96.1.77', ports: [{ port: 53 }] },
      },
    ];
    const t = await start({
      kinds: ['pods', 'services'],
      flags: { clusterDnsIp: '' },
      virtual: [
        ...withoutDns.virtual,
        // Just created: the IP the virtual API server chose, which nothing on the host routes.
        [
          Resources.services,
          {
            metadata: { name: 'kube-dns', namespace: 'kube-system' },
            spec: { clusterIP: '10.96.1.77', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] },
          },
        ],
        virtualPod('web'),
      ],
      host: [...withoutDns.host, holder],
    });
    await retries(t, 4);
    const hostDns = t.host
      .objects(Resources.services, HOST_NS)
      .find((s) => s.metadata?.name === `kube-dns-x-kube-system-x-${VC}`);
    const hostIP = (hostDns?.spec as { clusterIP?: string } | undefined)?.clusterIP;
    expect(hostIP).toMatch(/^10\.96\.2\./);
    expect(
      hostPods(t).map((p) => (p.spec as { dnsConfig?: { nameservers?: string[] } }).dnsConfig?.nameservers),
    ).toEqual([[hostIP]]);
  });

  it('a new kube-dns whose IP the host grants: pods use that IP, the same on both sides', async () => {
    const t = await start({
      kinds: ['pods', 'services'],
      flags: { clusterDnsIp: '' },
      virtual: [
        ...withoutDns.virtual,
        [
          Resources.services,
          {
            metadata: { name: 'kube-dns', namespace: 'kube-system' },
            spec: { clusterIP: '10.96.1.77', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] },
          },
        ],
        virtualPod('web'),
      ],
      host: withoutDns.host,
    });
    await retries(t, 4);
    const hostDns = t.host
      .objects(Resources.services, HOST_NS)
      .find((s) => s.metadata?.name === `kube-dns-x-kube-system-x-${VC}`);
    expect((hostDns?.spec as { clusterIP?: string } | undefined)?.clusterIP).toBe('10.96.1.77');
    expect(
      hostPods(t).map((p) => (p.spec as { dnsConfig?: { nameservers?: string[] } }).dnsConfig?.nameservers),
    ).toEqual([['10.96.1.77']]);
  });

  it('a headless kube-dns is no DNS IP: the pod keeps waiting', async () => {
    const t = await start({
      kinds: ['pods'],
      flags: { clusterDnsIp: '' },
      virtual: [
        ...withoutDns.virtual,
        [
          Resources.services,
          { metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { clusterIP: 'None' } },
        ],
        virtualPod('web'),
      ],
      host: withoutDns.host,
    });
    await retries(t, 2);
    expect(hostPods(t)).toEqual([]);
    expect(events(t).map((e) => e.reason)).toEqual([WAITING_FOR_DNS_REASON]);
  });

  it("a dnsPolicy Default pod (CoreDNS's own) needs no virtual DNS: synced at once, nothing told", async () => {
    const t = await start({
      kinds: ['pods'],
      flags: { clusterDnsIp: '' },
      virtual: [...withoutDns.virtual, virtualPod('coredns', { dnsPolicy: 'Default' })],
      host: withoutDns.host,
    });
    await t.settle();
    expect(hostPods(t).map((p) => (p.spec as { dnsPolicy?: string }).dnsPolicy)).toEqual(['Default']);
    expect(events(t)).toEqual([]);
  });

  it("a running pod's updates do not wait for the DNS (its DNS cannot change)", async () => {
    const t = await start({
      kinds: ['pods'],
      flags: { clusterDnsIp: '' },
      virtual: [
        ...withoutDns.virtual,
        [
          Resources.services,
          { metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { clusterIP: '10.96.0.10' } },
        ],
        virtualPod('web'),
      ],
      host: withoutDns.host,
    });
    await t.settle();
    expect(hostPods(t)).toHaveLength(1);
    await t.virtual.delete(Resources.services, 'kube-system', 'kube-dns');
    const v = t.virtual.objects(PODS, 'team')[0]!;
    await t.virtual.update(PODS, 'team', {
      ...v,
      spec: { ...(v.spec as object), containers: [{ name: 'main', image: 'app:2' }] },
    });
    await t.settle();
    expect((hostPods(t)[0]!.spec as { containers: { image: string }[] }).containers[0]!.image).toBe('app:2');
    expect(events(t)).toEqual([]);
  });

  it('with --cluster-dns-ip nothing waits for the Service', async () => {
    const t = await start({
      kinds: ['pods'],
      flags: { clusterDnsIp: '10.96.0.99' },
      virtual: [...withoutDns.virtual, virtualPod('web')],
      host: withoutDns.host,
    });
    await t.settle();
    expect(hostPods(t)).toHaveLength(1);
    expect(events(t)).toEqual([]);
  });
});
