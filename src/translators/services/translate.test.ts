import type { KubeObject } from '../../kube/object.ts';
import {
  askingForVirtualNodePorts,
  hostServiceFor,
  needsRecreate,
  recreatedVirtualService,
  specOf,
} from './translate.ts';

const where = {
  vcName: 'vc',
  hostNamespace: 'host-ns',
  virtualApiService: 'vc',
  hostName: 'web-x-team-x-vc',
};
const service = (spec: Record<string, unknown>): KubeObject => ({
  metadata: { name: 'web', namespace: 'team', uid: 'v-uid' },
  spec: { ports: [{ port: 80 }], ...spec },
});

describe('askingForVirtualNodePorts', () => {
  const lb = service({
    type: 'LoadBalancer',
    externalTrafficPolicy: 'Local',
    healthCheckNodePort: 31999,
    ports: [{ port: 80, nodePort: 30080 }],
  });
  const copy = hostServiceFor(lb, where);

  it("asks for the node ports, and on request the load balancer's health-check port", () => {
    expect(specOf(askingForVirtualNodePorts(copy, lb)!).healthCheckNodePort).toBeUndefined();
    const asking = specOf(askingForVirtualNodePorts(copy, lb, { healthCheck: true })!);
    expect(asking.healthCheckNodePort).toBe(31999);
    expect(asking.ports?.[0]?.nodePort).toBe(30080);
  });

  it('asks for no health-check port without Local traffic, and for nothing when there is nothing to ask', () => {
    const cluster = service({ type: 'LoadBalancer', healthCheckNodePort: 31999, ports: [{ port: 80 }] });
    expect(
      askingForVirtualNodePorts(hostServiceFor(cluster, where), cluster, { healthCheck: true }),
    ).toBeUndefined();
  });
});

describe('dual-stack Services', () => {
  const v4 = '10.96.0.10';
  const v6 = 'fd00:10:96::a';

  it('a new host copy asks for the families the tenant asked for; the host allocates the IPs', () => {
    const host = hostServiceFor(
      service({
        ipFamilyPolicy: 'RequireDualStack',
        ipFamilies: ['IPv6', 'IPv4'],
        clusterIPs: ['fd00::1', '10.1.1.1'],
      }),
      where,
    );
    expect(specOf(host)).toMatchObject({ ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv6', 'IPv4'] });
    expect(specOf(host).clusterIPs).toBeUndefined();
  });

  it('both families of the host are carried up on re-create', () => {
    const virtual = service({
      ipFamilyPolicy: 'PreferDualStack',
      clusterIP: '10.96.5.5',
      clusterIPs: ['10.96.5.5', 'fd00:10:96::5'],
    });
    const host = service({
      ipFamilyPolicy: 'PreferDualStack',
      clusterIP: v4,
      clusterIPs: [v4, v6],
      ipFamilies: ['IPv4', 'IPv6'],
    });
    expect(needsRecreate(virtual, host)).toBe(true);
    expect(specOf(recreatedVirtualService(virtual, host))).toMatchObject({
      clusterIP: v4,
      clusterIPs: [v4, v6],
      ipFamilies: ['IPv4', 'IPv6'],
    });
  });

  it('the same primary but another secondary IP still needs a re-create; a family count the host has not caught up with waits', () => {
    const host = service({ clusterIP: v4, clusterIPs: [v4, v6] });
    expect(needsRecreate(service({ clusterIP: v4, clusterIPs: [v4, 'fd00:10:96::b'] }), host)).toBe(true);
    expect(needsRecreate(service({ clusterIP: v4, clusterIPs: [v4, v6] }), host)).toBe(false);
    // The tenant just turned dual-stack on: the host has not allocated its second IP yet.
    expect(
      needsRecreate(
        service({ clusterIP: v4, clusterIPs: [v4, 'fd00:10:96::b'] }),
        service({ clusterIP: v4, clusterIPs: [v4] }),
      ),
    ).toBe(false);
  });

  it('dual → single stack keeps only the host primary family, as the API server requires', () => {
    const current = service({
      ipFamilyPolicy: 'PreferDualStack',
      clusterIP: v4,
      clusterIPs: [v4, v6],
      ipFamilies: ['IPv4', 'IPv6'],
    });
    const host = hostServiceFor(
      service({ ipFamilyPolicy: 'SingleStack', clusterIP: v4, clusterIPs: [v4] }),
      where,
      current,
    );
    expect(specOf(host)).toMatchObject({
      ipFamilyPolicy: 'SingleStack',
      clusterIP: v4,
      clusterIPs: [v4],
      ipFamilies: ['IPv4'],
    });
  });

  it('single → dual stack asks the host for the second family without inventing an IP', () => {
    const current = service({
      ipFamilyPolicy: 'SingleStack',
      clusterIP: v4,
      clusterIPs: [v4],
      ipFamilies: ['IPv4'],
    });
    const host = hostServiceFor(
      service({ ipFamilyPolicy: 'PreferDualStack', clusterIP: v4 }),
      where,
      current,
    );
    expect(specOf(host)).toMatchObject({
      ipFamilyPolicy: 'PreferDualStack',
      clusterIPs: [v4],
      ipFamilies: ['IPv4'],
    });
  });
});
