import { createHash } from 'node:crypto';
import type { KubeObject } from '../../kube/object.ts';
import type { LabelSelector } from '../../naming/labels.ts';
import {
  hostNetworkPolicyFor,
  hostSpecInSync,
  translateNetworkPolicySpec,
  unreadableIpBlock,
  translatePeer,
  type NetworkPolicyPeer,
  type NetworkPolicySpec,
} from './translate.ts';

const h10 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 10);
const VC = 'vc1';
const where = { vcName: VC, virtualNamespace: 'team' };
const MANAGED = { 'vcluster.loft.sh/managed-by': VC };
const IN_TEAM = { ...MANAGED, 'vcluster.loft.sh/namespace': 'team' };
/** The ns-label key synced pods carry for a label of their virtual namespace. */
const nsKey = (key: string) => `vcluster.loft.sh/ns-label-${VC}-x-${h10(key)}`;
/** Where a reserved (or vcluster.loft.sh/) pod label key lives on the host. */
const reservedKey = (key: string) => `vcluster.loft.sh/label-${VC}-x-${h10(key)}`;

describe('translatePeer', () => {
  it.each<[string, NetworkPolicyPeer, NetworkPolicyPeer]>([
    [
      'podSelector alone: the policy namespace, this virtual cluster',
      { podSelector: { matchLabels: { app: 'db' } } },
      { podSelector: { matchLabels: { app: 'db', ...IN_TEAM } } },
    ],
    [
      'empty podSelector: every pod of the policy namespace of this virtual cluster',
      { podSelector: {} },
      { podSelector: { matchLabels: IN_TEAM } },
    ],
    [
      'podSelector expressions: keys translated like labels, reserved keys hashed',
      {
        podSelector: {
          matchExpressions: [
            { key: 'tier', operator: 'In', values: ['api'] },
            { key: 'release', operator: 'NotIn', values: ['old'] },
            { key: 'vcluster.loft.sh/namespace', operator: 'Exists' },
          ],
        },
      },
      {
        podSelector: {
          matchLabels: IN_TEAM,
          matchExpressions: [
            { key: 'tier', operator: 'In', values: ['api'] },
            { key: reservedKey('release'), operator: 'NotIn', values: ['old'] },
            { key: reservedKey('vcluster.loft.sh/namespace'), operator: 'Exists' },
          ],
        },
      },
    ],
    [
      'reserved matchLabels key: hashed, so a tenant cannot name another namespace',
      { podSelector: { matchLabels: { 'vcluster.loft.sh/namespace': 'other' } } },
      { podSelector: { matchLabels: { [reservedKey('vcluster.loft.sh/namespace')]: 'other', ...IN_TEAM } } },
    ],
    [
      'namespaceSelector alone: ns-label keys, every pod of those namespaces of this virtual cluster',
      { namespaceSelector: { matchLabels: { env: 'prod' } } },
      { podSelector: { matchLabels: { ...MANAGED, [nsKey('env')]: 'prod' } } },
    ],
    [
      'namespaceSelector by name (kubernetes.io/metadata.name)',
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } },
      { podSelector: { matchLabels: { ...MANAGED, [nsKey('kubernetes.io/metadata.name')]: 'other' } } },
    ],
    [
      'empty namespaceSelector: every namespace of this virtual cluster (managed-by only)',
      { namespaceSelector: {} },
      { podSelector: { matchLabels: MANAGED } },
    ],
    [
      'namespaceSelector expressions: ns-label keys',
      {
        namespaceSelector: {
          matchExpressions: [
            { key: 'env', operator: 'In', values: ['prod', 'stage'] },
            { key: 'team', operator: 'DoesNotExist' },
          ],
        },
      },
      {
        podSelector: {
          matchLabels: MANAGED,
          matchExpressions: [
            { key: nsKey('env'), operator: 'In', values: ['prod', 'stage'] },
            { key: nsKey('team'), operator: 'DoesNotExist' },
          ],
        },
      },
    ],
    [
      'namespaceSelector and podSelector: both, ANDed, without the policy namespace',
      {
        namespaceSelector: {
          matchLabels: { env: 'prod' },
          matchExpressions: [{ key: 'zone', operator: 'Exists' }],
        },
        podSelector: {
          matchLabels: { app: 'web', release: 'r1' },
          matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['batch'] }],
        },
      },
      {
        podSelector: {
          matchLabels: { app: 'web', [reservedKey('release')]: 'r1', ...MANAGED, [nsKey('env')]: 'prod' },
          matchExpressions: [
            { key: 'tier', operator: 'NotIn', values: ['batch'] },
            { key: nsKey('zone'), operator: 'Exists' },
          ],
        },
      },
    ],
    [
      'empty namespaceSelector with empty podSelector: every pod of this virtual cluster',
      { namespaceSelector: {}, podSelector: {} },
      { podSelector: { matchLabels: MANAGED } },
    ],
    [
      'ipBlock: kept as is',
      { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } },
      { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } },
    ],
  ])('%s', (_name, virtual, host) => {
    const out = translatePeer(virtual, where);
    expect(out).toEqual(host);
    expect(out.namespaceSelector).toBeUndefined();
  });

  it('never aliases the virtual object', () => {
    const peer: NetworkPolicyPeer = { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } };
    translatePeer(peer, where).ipBlock!.except!.push('10.2.0.0/16');
    expect(peer.ipBlock?.except).toEqual(['10.1.0.0/16']);
  });
});

describe('translateNetworkPolicySpec', () => {
  const ports = [
    { protocol: 'TCP', port: 5432 },
    { protocol: 'UDP', port: 53, endPort: 60 },
    { port: 'http' },
  ];
  it.each<[string, NetworkPolicySpec, NetworkPolicySpec]>([
    [
      'empty podSelector: only this namespace of this virtual cluster; deny-all ingress kept',
      { podSelector: {}, policyTypes: ['Ingress'] },
      { podSelector: { matchLabels: IN_TEAM }, policyTypes: ['Ingress'] },
    ],
    [
      'missing podSelector: as empty',
      { policyTypes: ['Ingress'] },
      { podSelector: { matchLabels: IN_TEAM }, policyTypes: ['Ingress'] },
    ],
    [
      'podSelector with expressions',
      {
        podSelector: {
          matchLabels: { app: 'db' },
          matchExpressions: [{ key: 'release', operator: 'Exists' }],
        },
      },
      {
        podSelector: {
          matchLabels: { app: 'db', ...IN_TEAM },
          matchExpressions: [{ key: reservedKey('release'), operator: 'Exists' }],
        },
      },
    ],
    [
      'ingress: peers translated, ports kept; a rule without from (every source) kept so',
      {
        podSelector: { matchLabels: { app: 'db' } },
        ingress: [
          { from: [{ podSelector: { matchLabels: { app: 'api' } } }, { namespaceSelector: {} }], ports },
          { ports: [{ port: 9090 }] },
          {},
        ],
        policyTypes: ['Ingress'],
      },
      {
        podSelector: { matchLabels: { app: 'db', ...IN_TEAM } },
        ingress: [
          {
            from: [
              { podSelector: { matchLabels: { app: 'api', ...IN_TEAM } } },
              { podSelector: { matchLabels: MANAGED } },
            ],
            ports,
          },
          { ports: [{ port: 9090 }] },
          {},
        ],
        policyTypes: ['Ingress'],
      },
    ],
    [
      'egress: peers translated (namespaces, CIDRs), ports kept, policyTypes kept',
      {
        podSelector: {},
        egress: [
          {
            to: [
              { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } },
              { ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } },
            ],
            ports: [{ protocol: 'UDP', port: 53 }],
          },
          { to: [] },
        ],
        policyTypes: ['Ingress', 'Egress'],
      },
      {
        podSelector: { matchLabels: IN_TEAM },
        egress: [
          {
            to: [
              {
                podSelector: {
                  matchLabels: { ...MANAGED, [nsKey('kubernetes.io/metadata.name')]: 'kube-system' },
                },
              },
              { ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } },
            ],
            ports: [{ protocol: 'UDP', port: 53 }],
          },
          { to: [] },
        ],
        policyTypes: ['Ingress', 'Egress'],
      },
    ],
  ])('%s', (_name, virtual, host) => {
    const out = translateNetworkPolicySpec(virtual, where);
    expect(out).toEqual(host);
    // Nothing on the host may reach beyond this virtual cluster: every selector is scoped.
    const selectors: LabelSelector[] = [
      out.podSelector!,
      ...[
        ...(out.ingress ?? []).flatMap((r) => r.from ?? []),
        ...(out.egress ?? []).flatMap((r) => r.to ?? []),
      ]
        .filter((p) => !p.ipBlock)
        .map((p) => p.podSelector!),
    ];
    for (const s of selectors) expect(s.matchLabels?.['vcluster.loft.sh/managed-by']).toBe(VC);
  });
});

describe('translateNetworkPolicySpec within the host egress bounds', () => {
  // The chart's isolation policy: the outside world, not the private ranges (other tenants, nodes, the host API).
  const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];
  const bounded = { ...where, egress: { cidrs: ['0.0.0.0/0'], except: PRIVATE } };
  const egressOf = (egress: NetworkPolicySpec['egress']) =>
    translateNetworkPolicySpec({ podSelector: {}, policyTypes: ['Egress'], egress }, bounded).egress;

  it.each<[string, NetworkPolicySpec['egress'], NetworkPolicySpec['egress']]>([
    [
      "every destination becomes this virtual cluster's pods and the allowed addresses",
      [{}],
      [
        {
          to: [
            { podSelector: { matchLabels: MANAGED } },
            { ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE } },
          ],
        },
      ],
    ],
    [
      'so does an empty destination list, ports kept',
      [{ to: [], ports: [{ port: 443 }] }],
      [
        {
          ports: [{ port: 443 }],
          to: [
            { podSelector: { matchLabels: MANAGED } },
            { ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE } },
          ],
        },
      ],
    ],
    [
      'a block inside an excepted one goes, and its rule with it',
      [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }],
      [],
    ],
    [
      'a block holding excepted ones excepts them too, besides its own',
      [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['8.8.8.0/24'] } }] }],
      [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['8.8.8.0/24', ...PRIVATE] } }] }],
    ],
    [
      'a public block is kept as it is, pod peers too',
      [{ to: [{ ipBlock: { cidr: '203.0.113.0/24' } }, { podSelector: { matchLabels: { app: 'db' } } }] }],
      [
        {
          to: [
            { ipBlock: { cidr: '203.0.113.0/24' } },
            { podSelector: { matchLabels: { app: 'db', ...IN_TEAM } } },
          ],
        },
      ],
    ],
    [
      // The host's API server and network plugins read leading zeros (Go's sloppy parser): so does the syncer.
      'blocks written with leading zeros are confined as the host reads them',
      [
        { to: [{ ipBlock: { cidr: '10.0.0.0/0008' } }] },
        { to: [{ ipBlock: { cidr: '0010.0.0.0/8' } }] },
        { to: [{ ipBlock: { cidr: '0.0.0.0/0000' } }] },
      ],
      [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE } }] }],
    ],
    [
      'an IPv6 block outside every allowed block goes',
      [{ to: [{ ipBlock: { cidr: '::/0' } }, { ipBlock: { cidr: '1.2.3.4/32' } }] }],
      [{ to: [{ ipBlock: { cidr: '1.2.3.4/32' } }] }],
    ],
  ])('%s', (_name, egress, expected) => {
    expect(egressOf(egress)).toEqual(expected);
  });

  it('cuts a tenant block to the allowed blocks it holds', () => {
    const out = translateNetworkPolicySpec(
      { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] },
      { ...where, egress: { cidrs: ['203.0.113.0/24', '198.51.100.0/24'], except: ['203.0.113.128/25'] } },
    );
    expect(out.egress).toEqual([
      {
        to: [
          { ipBlock: { cidr: '203.0.113.0/24', except: ['203.0.113.128/25'] } },
          { ipBlock: { cidr: '198.51.100.0/24' } },
        ],
      },
    ]);
  });

  it('names the first block it cannot read, and confines none of them', () => {
    expect(
      unreadableIpBlock({
        podSelector: {},
        ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }],
        egress: [{ to: [{ podSelector: {} }, { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8x'] } }] }],
      }),
    ).toBe('spec.egress[0].to[1].ipBlock.except[0]: not a CIDR block (address/prefix): "10.0.0.0/8x"');
    expect(
      unreadableIpBlock({ podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.1' } }] }] }),
    ).toBe('spec.ingress[0].from[0].ipBlock.cidr: not a CIDR block (address/prefix): "10.0.0.1"');
    expect(
      unreadableIpBlock({ podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '::/0000' } }] }] }),
    ).toBeUndefined();
    expect(egressOf([{ to: [{ ipBlock: { cidr: 'nope/8' } }] }])).toEqual([]);
  });

  it("leaves ingress rules as they are: opening its own pods is the tenant's choice", () => {
    const out = translateNetworkPolicySpec({ podSelector: {}, ingress: [{}] }, bounded);
    expect(out.ingress).toEqual([{}]);
  });
});

describe('hostNetworkPolicyFor', () => {
  it('host name, namespace, labels and back-references, translated spec', () => {
    const virtual: KubeObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'deny', namespace: 'team', uid: 'uid-1', labels: { app: 'x' } },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    };
    const host = hostNetworkPolicyFor(virtual, {
      vcName: VC,
      hostNamespace: 'host-ns',
      virtualApiService: VC,
      hostName: 'deny-x-team-x-vc1',
    });
    expect(host.metadata).toMatchObject({
      name: 'deny-x-team-x-vc1',
      namespace: 'host-ns',
      labels: { app: 'x', ...IN_TEAM },
      annotations: {
        'vcluster.loft.sh/object-name': 'deny',
        'vcluster.loft.sh/object-namespace': 'team',
        'vcluster.loft.sh/object-uid': 'uid-1',
        'vcluster.loft.sh/object-kind': 'networking.k8s.io/v1, Kind=NetworkPolicy',
      },
    });
    expect(host.spec).toEqual({ podSelector: { matchLabels: IN_TEAM }, policyTypes: ['Ingress'] });
  });
});

describe('hostSpecInSync', () => {
  const base: NetworkPolicySpec = {
    podSelector: { matchLabels: IN_TEAM },
    ingress: [{ from: [{ podSelector: { matchLabels: IN_TEAM } }], ports: [{ port: 80 }] }],
  };
  const obj = (spec: NetworkPolicySpec): KubeObject => ({ spec });
  it.each<[string, NetworkPolicySpec, boolean]>([
    ['identical', base, true],
    [
      'server defaults (protocol TCP, policyTypes from the rules)',
      {
        ...base,
        ingress: [{ ...base.ingress![0], ports: [{ protocol: 'TCP', port: 80 }] }],
        policyTypes: ['Ingress'],
      },
      true,
    ],
    [
      'empty lists the server drops',
      { ...base, egress: [], podSelector: { ...base.podSelector, matchExpressions: [] } },
      true,
    ],
    ['a widened peer', { ...base, ingress: [{ from: [{ podSelector: { matchLabels: MANAGED } }] }] }, false],
    ['a widened podSelector', { ...base, podSelector: { matchLabels: MANAGED } }, false],
    ['an extra policy type', { ...base, policyTypes: ['Ingress', 'Egress'] }, false],
    ['a removed rule', { ...base, ingress: [] }, false],
  ])('%s: %s', (_name, host, inSync) => {
    expect(hostSpecInSync(obj(base), obj(host))).toBe(inSync);
  });
});
