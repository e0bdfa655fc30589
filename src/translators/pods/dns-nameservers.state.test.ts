import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../../testing/state-table.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const PODS = Resources.pods;
const SVC = Resources.services;
const DNS_NS = 'dns-test';
const hostPodName = (name: string) => `${name}-x-team-x-${VC}`;

const dnsService = (name: string, ip: string, role?: string): Seed => [
  SVC,
  {
    metadata: { name, namespace: DNS_NS, labels: role ? { 'example.com/dns-ns': role } : {} },
    spec: { clusterIP: ip, ports: [{ port: 53, protocol: 'UDP' }] },
  },
];
/** A pod a ReplicaSet owns (it would be made again), unless `bare`. */
const virtualPod = (name: string, spec: Record<string, unknown> = {}, bare = false): Seed => [
  PODS,
  {
    metadata: {
      name,
      namespace: 'team',
      uid: `uid-${name}`,
      ...(bare
        ? {}
        : {
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs-uid', controller: true },
            ],
          }),
    },
    spec: { containers: [{ name: 'main', image: 'app:1' }], ...spec },
    status: { phase: 'Pending' },
  },
];
const FLAGS = {
  podDnsNameserver: [
    `host:${DNS_NS}:example.com/dns-ns=primary`,
    `control-plane-host:${DNS_NS}:example.com/dns-ns=secondary`,
  ],
};

async function table(virtual: Seed[], host: Seed[] = []): Promise<StateTable> {
  const t = await start({
    kinds: ['pods'],
    virtual: [
      [SVC, { metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { clusterIP: '10.96.0.10' } }],
      [Resources.namespaces, { metadata: { name: 'team' } }],
      ...virtual,
    ],
    host: [
      [
        SVC,
        {
          metadata: { name: VC, namespace: HOST_NS },
          spec: { clusterIP: '10.96.0.50', ports: [{ port: 443 }] },
        },
      ],
      ...host,
    ],
    flags: FLAGS,
  });
  await t.settle();
  return t;
}
const hostPod = (t: StateTable, name: string) =>
  t.host.objects(PODS, HOST_NS).find((p) => p.metadata?.name === hostPodName(name));
const dnsOf = (p: KubeObject | undefined) =>
  p?.spec as { dnsPolicy?: string; dnsConfig?: { nameservers?: string[]; searches?: string[] } } | undefined;
const events = (t: StateTable) =>
  t.virtual.objects(Resources.events, 'team').map((e) => `${e.reason}: ${String(e.message)}`);

describe('--pod-dns-nameserver (vCluster sync.toHost.pods.dns.nameservers)', () => {
  const services = [
    dnsService('primary-dns', '10.96.5.1', 'primary'),
    dnsService('secondary-dns', '10.96.5.2', 'secondary'),
  ];

  it('a pod using the cluster DNS gets the selected Services’ IPs, in order, with the virtual search path', async () => {
    const t = await table([virtualPod('web')], services);
    expect(dnsOf(hostPod(t, 'web'))).toMatchObject({
      dnsPolicy: 'None',
      dnsConfig: {
        nameservers: ['10.96.5.1', '10.96.5.2'],
        searches: expect.arrayContaining(['team.svc.cluster.local']),
      },
    });
  });

  it('a host-network pod and a pod naming its own nameservers are left as they are', async () => {
    const t = await table(
      [
        virtualPod('hostnet', { hostNetwork: true }),
        virtualPod('own', { dnsPolicy: 'None', dnsConfig: { nameservers: ['8.8.8.8'] } }),
      ],
      services,
    );
    expect(dnsOf(hostPod(t, 'hostnet'))?.dnsConfig?.nameservers ?? []).toEqual([]);
    expect(dnsOf(hostPod(t, 'own'))?.dnsConfig?.nameservers).toEqual(['8.8.8.8']);
  });

  it('a pod waits (told once) while one source selects no Service, and starts once one is labelled', async () => {
    const t = await table([virtualPod('web')], [services[0]!, dnsService('secondary-dns', '10.96.5.2')]);
    expect(hostPod(t, 'web')).toBeUndefined();
    expect(events(t)).toEqual([
      expect.stringMatching(/^MissingClusterDNS: waiting for the DNS nameserver Services/),
    ]);
    expect(events(t)[0]).not.toContain(DNS_NS);
    const unlabelled = t.host.objects(SVC, DNS_NS).find((s) => s.metadata?.name === 'secondary-dns')!;
    await t.host.update(SVC, DNS_NS, {
      ...unlabelled,
      metadata: { ...unlabelled.metadata, labels: { 'example.com/dns-ns': 'secondary' } },
    });
    await t.settle();
    expect(dnsOf(hostPod(t, 'web'))?.dnsConfig?.nameservers).toEqual(['10.96.5.1', '10.96.5.2']);
  });

  it('a running pod whose nameservers changed (a Service re-created with a new IP) is evicted so that it is made again; a gap changes nothing; a bare pod is told and kept', async () => {
    const t = await table([virtualPod('web'), virtualPod('bare', {}, true)], services);
    expect(hostPod(t, 'web')).toBeDefined();
    await t.host.delete(SVC, DNS_NS, 'primary-dns');
    await t.settle();
    // Gone for a moment: nothing to resolve to, and nothing is done to running pods.
    expect(t.virtual.objects(PODS, 'team').map((p) => p.metadata?.name)).toEqual(['bare', 'web']);
    await t.host.create(SVC, DNS_NS, dnsService('primary-dns', '10.96.5.9', 'primary')[1]);
    await t.settle();
    expect(t.virtual.objects(PODS, 'team').map((p) => p.metadata?.name)).toEqual(['bare']);
    expect(t.virtual.writeLog()).toContain('create pods/eviction team/web');
    const change =
      'NameserversChanged: the DNS nameservers this virtual cluster gives its pods changed (10.96.5.1, 10.96.5.2 -> 10.96.5.9, 10.96.5.2)';
    expect(events(t).sort()).toEqual([
      `${change}: the pod is evicted so that it is made again with them`,
      `${change}: this pod keeps the old ones (no controller would make it again); delete it to get the new ones`,
    ]);
    // Told once, however often it is reconciled.
    t.controllers.get('pods')!.controller.enqueue('team/bare');
    await t.settle();
    expect(events(t)).toHaveLength(2);
  });
});
