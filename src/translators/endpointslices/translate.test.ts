import { createHash } from 'node:crypto';
import type { KubeObject } from '../../kube/object.ts';
import type { AddressPolicy } from '../shared/address-policy.ts';
import { malformedEndpointSlice } from '../shared/shape.ts';
import {
  hostEndpointSliceFor,
  hostSliceInSync,
  managedByVirtualController,
  pinnedSliceLabels,
  serviceNameOf,
  SYNCER_SLICE_MANAGER,
} from './translate.ts';

const h10 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 10);
const VC = 'vc';
const where = { vcName: VC, hostNamespace: 'host-ns', virtualApiService: VC, hostName: 'db-abc-x-team-x-vc' };

/** A policy over fixed answers: this tenant's pods (`ns/name` → IPs) and other tenants' pod IPs. */
const policyOf = (
  pods: Record<string, string[]> = {},
  foreign: string[] = [],
  denied: string[] = [],
): AddressPolicy => ({
  tenantPod: (namespace, name) => {
    const ips = pods[`${namespace}/${name}`];
    return ips ? { hostName: `${name}-x-${namespace}-x-${VC}`, ips } : undefined;
  },
  isForeignPodIP: (ip) => foreign.includes(ip),
  isDeniedAddress: (ip) => denied.includes(ip),
});

const slice = (endpoints: unknown[], extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: {
    name: 'db-abc',
    namespace: 'team',
    uid: 'slice-uid',
    resourceVersion: '7',
    labels: { 'kubernetes.io/service-name': 'db', app: 'db' },
  },
  addressType: 'IPv4',
  endpoints,
  ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
  ...extra,
});
const endpointsOf = (s: KubeObject) => s.endpoints as Record<string, unknown>[];

describe('serviceNameOf and managedByVirtualController', () => {
  it('the Service is named by kubernetes.io/service-name; none when absent, empty or no string', () => {
    expect(serviceNameOf(slice([]))).toBe('db');
    expect(serviceNameOf({ metadata: { name: 's' } })).toBeUndefined();
    expect(serviceNameOf({ metadata: { labels: { 'kubernetes.io/service-name': '' } } })).toBeUndefined();
    expect(
      serviceNameOf({ metadata: { labels: { 'kubernetes.io/service-name': 7 as unknown as string } } }),
    ).toBeUndefined();
    expect(serviceNameOf(undefined)).toBeUndefined();
  });

  it.each([
    ['endpointslice-controller.k8s.io', true],
    ['endpointslicemirroring-controller.k8s.io', true],
    ['my-operator', false],
    [SYNCER_SLICE_MANAGER, false],
    [undefined, false],
  ])('managed-by %s: the virtual cluster’s own controller: %s', (manager, expected) => {
    const labels: Record<string, string> = manager
      ? { 'endpointslice.kubernetes.io/managed-by': manager }
      : {};
    expect(managedByVirtualController({ metadata: { labels } })).toBe(expected);
  });
});

describe('hostEndpointSliceFor', () => {
  it('names, labels and annotates the copy as vCluster does; the Service label names the host Service', () => {
    const virtual = slice([{ addresses: ['192.0.2.10'] }]);
    virtual.metadata!.labels!['endpointslice.kubernetes.io/managed-by'] = 'my-operator';
    virtual.metadata!.labels!.release = 'r1';
    virtual.metadata!.annotations = { note: 'x' };
    const { slice: host, dropped } = hostEndpointSliceFor(virtual, where, policyOf());
    expect(dropped).toEqual([]);
    expect(host.apiVersion).toBe('discovery.k8s.io/v1');
    expect(host.kind).toBe('EndpointSlice');
    expect(host.metadata).toMatchObject({
      name: 'db-abc-x-team-x-vc',
      namespace: 'host-ns',
      labels: {
        'kubernetes.io/service-name': 'db-x-team-x-vc',
        'endpointslice.kubernetes.io/managed-by': 'vsyncer.dev',
        app: 'db',
        [`vcluster.loft.sh/label-${VC}-x-${h10('release')}`]: 'r1',
        'vcluster.loft.sh/managed-by': VC,
        'vcluster.loft.sh/namespace': 'team',
      },
      annotations: {
        note: 'x',
        'vcluster.loft.sh/object-name': 'db-abc',
        'vcluster.loft.sh/object-namespace': 'team',
        'vcluster.loft.sh/object-uid': 'slice-uid',
        'vcluster.loft.sh/object-kind': 'discovery.k8s.io/v1, Kind=EndpointSlice',
        'vcluster.loft.sh/object-host-name': 'db-abc-x-team-x-vc',
        'vcluster.loft.sh/object-host-namespace': 'host-ns',
      },
    });
    expect(host.metadata?.labels?.release).toBeUndefined();
    // The pinned labels are in the record of keys the syncer set.
    expect(host.metadata?.annotations?.['vcluster.loft.sh/managed-labels']).toContain(
      'endpointslice.kubernetes.io/managed-by',
    );
    expect(host.metadata?.resourceVersion).toBeUndefined();
    expect(host.metadata?.uid).toBeUndefined();
  });

  it('keeps the address type and ports', () => {
    const { slice: host } = hostEndpointSliceFor(
      slice([{ addresses: ['2001:db8::1'] }], { addressType: 'IPv6' }),
      where,
      policyOf(),
    );
    expect(host.addressType).toBe('IPv6');
    expect(host.ports).toEqual([{ name: 'pg', port: 5432, protocol: 'TCP' }]);
    const { slice: noPorts } = hostEndpointSliceFor(slice([], { ports: null }), where, policyOf());
    expect(noPorts).not.toHaveProperty('ports');
  });

  it('keeps conditions, zone, hostname and zone hints; drops nodeName, node hints and unknown fields', () => {
    const { slice: host } = hostEndpointSliceFor(
      slice([
        {
          addresses: ['192.0.2.10'],
          conditions: { ready: true, serving: true, terminating: false },
          hostname: 'db-a',
          zone: 'zone-a',
          nodeName: 'host-node-1',
          hints: { forZones: [{ name: 'zone-a' }], forNodes: [{ name: 'host-node-1' }] },
          deprecatedTopology: { 'kubernetes.io/hostname': 'host-node-1' },
        },
        {
          addresses: ['192.0.2.11'],
          nodeName: 'host-node-2',
          hints: { forNodes: [{ name: 'host-node-2' }] },
        },
      ]),
      where,
      policyOf(),
    );
    expect(endpointsOf(host)).toEqual([
      {
        addresses: ['192.0.2.10'],
        conditions: { ready: true, serving: true, terminating: false },
        hostname: 'db-a',
        zone: 'zone-a',
        hints: { forZones: [{ name: 'zone-a' }] },
      },
      { addresses: ['192.0.2.11'] },
    ]);
  });

  it("points a targetRef of this tenant's pod at the host pod", () => {
    const { slice: host, dropped } = hostEndpointSliceFor(
      slice([{ addresses: ['10.244.0.7'], targetRef: { kind: 'Pod', name: 'db-0', uid: 'v-pod-uid' } }]),
      where,
      policyOf({ 'team/db-0': ['10.244.0.7'] }),
    );
    expect(dropped).toEqual([]);
    expect(endpointsOf(host)).toEqual([
      {
        addresses: ['10.244.0.7'],
        targetRef: { kind: 'Pod', name: 'db-0-x-team-x-vc', namespace: 'host-ns' },
      },
    ]);
  });

  it('drops unsafe endpoints, keeps the rest, and says why with virtual names only', () => {
    const { slice: host, dropped } = hostEndpointSliceFor(
      slice([
        { addresses: ['192.0.2.10'] },
        { addresses: ['10.244.0.9'] },
        { addresses: ['169.254.169.254'] },
        { addresses: ['127.0.0.1'] },
        { addresses: ['10.244.0.8'], targetRef: { kind: 'Pod', name: 'db-0' } },
        { addresses: ['10.244.0.7'], targetRef: { kind: 'Pod', name: 'gone' } },
        { addresses: ['192.0.2.12'], targetRef: { kind: 'Node', name: 'n1' } },
      ]),
      where,
      policyOf({ 'team/db-0': ['10.244.0.7'] }, ['10.244.0.9']),
    );
    expect(endpointsOf(host)).toEqual([{ addresses: ['192.0.2.10'] }, { addresses: ['192.0.2.12'] }]);
    expect(dropped).toEqual([
      `10.244.0.9: not an address this virtual cluster may name (its own pods' IPs, or another address in a block the host admin allows with --allowed-endpoint-cidr, never another tenant's pod)`,
      '169.254.169.254: a loopback, link-local, unspecified or cloud metadata address',
      '127.0.0.1: a loopback, link-local, unspecified or cloud metadata address',
      '10.244.0.8: not the IP of pod team/db-0',
      '10.244.0.7: not the IP of pod team/gone',
    ]);
    expect(dropped.join(' ')).not.toContain('host-ns');
    expect(dropped.join(' ')).not.toContain('-x-');
  });

  it('IPv6 link-local and loopback are dropped too', () => {
    const { slice: host, dropped } = hostEndpointSliceFor(
      slice([{ addresses: ['fe80::1'] }, { addresses: ['::1'] }, { addresses: ['2001:db8::1'] }], {
        addressType: 'IPv6',
      }),
      where,
      policyOf(),
    );
    expect(endpointsOf(host)).toEqual([{ addresses: ['2001:db8::1'] }]);
    expect(dropped).toHaveLength(2);
  });

  it('FQDN slices hold hostnames: kept; a Pod targetRef must still be a pod of this tenant', () => {
    const { slice: host, dropped } = hostEndpointSliceFor(
      slice(
        [
          { addresses: ['db.example.com'] },
          { addresses: ['db-0.example.com'], targetRef: { kind: 'Pod', name: 'db-0' } },
          { addresses: ['x.example.com'], targetRef: { kind: 'Pod', name: 'other' } },
        ],
        { addressType: 'FQDN' },
      ),
      where,
      policyOf({ 'team/db-0': ['10.244.0.7'] }),
    );
    expect(host.addressType).toBe('FQDN');
    expect(endpointsOf(host)).toEqual([
      { addresses: ['db.example.com'] },
      {
        addresses: ['db-0.example.com'],
        targetRef: { kind: 'Pod', name: 'db-0-x-team-x-vc', namespace: 'host-ns' },
      },
    ]);
    expect(dropped).toEqual(['x.example.com: not an address of pod team/other']);
  });

  it('FQDN addresses are held to the rules of an ExternalName: no host DNS names, no spelled-out private addresses', () => {
    const { slice: host, dropped } = hostEndpointSliceFor(
      slice(
        [
          { addresses: ['localhost'] },
          { addresses: ['kubernetes.default.svc.cluster.local'] },
          { addresses: ['169.254.169.254.nip.io'] },
          { addresses: ['db.example.com'] },
        ],
        { addressType: 'FQDN' },
      ),
      where,
      policyOf(),
    );
    expect(endpointsOf(host)).toEqual([{ addresses: ['db.example.com'] }]);
    expect(dropped).toHaveLength(3);
  });

  it('an endpoint with one unsafe address among several is dropped whole', () => {
    const { slice: host } = hostEndpointSliceFor(
      slice([{ addresses: ['192.0.2.10', '169.254.169.254'] }]),
      where,
      policyOf(),
    );
    expect(endpointsOf(host)).toEqual([]);
  });

  it('a slice without endpoints has an empty list; the input is left as it was', () => {
    const virtual = slice([
      { addresses: ['10.244.0.7'], targetRef: { kind: 'Pod', name: 'db-0' }, nodeName: 'n' },
    ]);
    const before = structuredClone(virtual);
    hostEndpointSliceFor(virtual, where, policyOf({ 'team/db-0': ['10.244.0.7'] }));
    expect(virtual).toEqual(before);
    const { slice: empty } = hostEndpointSliceFor(slice([], { endpoints: null }), where, policyOf());
    expect(empty.endpoints).toEqual([]);
  });
});

describe('pinnedSliceLabels', () => {
  it('the host Service name and the syncer as manager', () => {
    expect(pinnedSliceLabels(slice([]), VC)).toEqual({
      'kubernetes.io/service-name': 'db-x-team-x-vc',
      'endpointslice.kubernetes.io/managed-by': 'vsyncer.dev',
    });
  });
});

describe('hostSliceInSync', () => {
  const desired = hostEndpointSliceFor(slice([{ addresses: ['192.0.2.10'] }]), where, policyOf()).slice;

  it('equal endpoints and ports are in sync, whatever the API server renders as empty', () => {
    expect(hostSliceInSync(desired, structuredClone(desired))).toBe(true);
    const rendered = {
      ...desired,
      endpoints: [{ addresses: ['192.0.2.10'], conditions: {} }],
    };
    expect(hostSliceInSync(desired, rendered)).toBe(true);
    const none = hostEndpointSliceFor(slice([], { ports: null }), where, policyOf()).slice;
    expect(hostSliceInSync(none, { ...none, endpoints: null, ports: null })).toBe(true);
  });

  it('a changed endpoint or port is not', () => {
    expect(hostSliceInSync(desired, { ...desired, endpoints: [{ addresses: ['192.0.2.11'] }] })).toBe(false);
    expect(hostSliceInSync(desired, { ...desired, ports: [{ port: 1 }] })).toBe(false);
  });
});

describe('malformedEndpointSlice', () => {
  const valid = slice([
    {
      addresses: ['10.244.0.7'],
      targetRef: { kind: 'Pod', name: 'db-0' },
      conditions: { ready: true },
      hints: { forZones: [{ name: 'a' }] },
    },
  ]);

  it('accepts a slice the API server would serve', () => {
    expect(malformedEndpointSlice(valid)).toBeUndefined();
    expect(malformedEndpointSlice({ ...valid, endpoints: null, ports: null })).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no address type', { addressType: undefined }, 'addressType is required'],
    ['endpoints no list', { endpoints: {} }, 'endpoints must be a list'],
    ['an endpoint without addresses', { endpoints: [{}] }, 'endpoints[0].addresses is required'],
    [
      'an address no string',
      { endpoints: [{ addresses: [7] }] },
      'endpoints[0].addresses[0] must be a string',
    ],
    [
      'a targetRef name no string',
      { endpoints: [{ addresses: ['a'], targetRef: { kind: 'Pod', name: 1 } }] },
      'endpoints[0].targetRef.name must be a string',
    ],
    ['a port no number', { ports: [{ port: '80' }] }, 'ports[0].port must be a number'],
  ])('%s', (_what, change, problem) => {
    expect(malformedEndpointSlice({ ...valid, ...change })).toBe(problem);
  });
});
