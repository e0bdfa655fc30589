import { render, renderValues, syncerArgs, type Manifest } from './render.ts';

interface Container {
  name: string;
  args: string[];
}
interface ServiceManifest extends Manifest {
  metadata: Manifest['metadata'] & { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { type: string; selector: Record<string, string>; ports: Record<string, unknown>[] } & Record<
    string,
    unknown
  >;
}

const apiService = (ms: Manifest[]) =>
  ms.find((m) => m.kind === 'Service' && m.metadata.name === 'vc1') as ServiceManifest;
const containers = (ms: Manifest[]): Container[] => {
  const spec = (
    ms.find((m) => m.kind === 'StatefulSet') as unknown as {
      spec: { template: { spec: { initContainers?: Container[]; containers: Container[] } } };
    }
  ).spec.template.spec;
  return [...(spec.initContainers ?? []), ...spec.containers];
};
const k3sSans = (ms: Manifest[]) =>
  containers(ms)
    .find((c) => c.name === 'k3s')!
    .args.filter((a) => a.startsWith('--tls-san='));
const vanillaSans = (ms: Manifest[]) =>
  containers(ms)
    .find((c) => c.name === 'apiserver-cert')!
    .args.filter((a) => a.startsWith('--dns-name=') || a.startsWith('--ip-address='));

describe('helm chart: reaching the virtual API server from outside (controlPlane.service, ingress, proxy.extraSANs)', () => {
  it('keeps the Service a ClusterIP by default, selecting the control-plane pod on the API port', () => {
    const svc = apiService(render());
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports).toEqual([{ name: 'https', port: 443, targetPort: 6443, protocol: 'TCP' }]);
    expect(svc.metadata.annotations).toBeUndefined();
    expect(render().some((m) => m.kind === 'Ingress')).toBe(false);
  });

  it("makes it a NodePort or LoadBalancer with vCluster's values, its labels, annotations and spec laid over", () => {
    const svc = apiService(
      render({
        'controlPlane.service.spec.type': 'LoadBalancer',
        'controlPlane.service.spec.loadBalancerSourceRanges[0]': '203.0.113.0/24',
        'controlPlane.service.spec.externalTrafficPolicy': 'Local',
        'controlPlane.service.httpsNodePort': '30443',
        'controlPlane.service.labels.exposed': 'yes',
        'controlPlane.service.annotations.service\\.beta\\.kubernetes\\.io/aws-load-balancer-type': 'nlb',
      }),
    );
    expect(svc.spec).toMatchObject({
      type: 'LoadBalancer',
      loadBalancerSourceRanges: ['203.0.113.0/24'],
      externalTrafficPolicy: 'Local',
      selector: { 'app.kubernetes.io/name': 'vsyncer', 'app.kubernetes.io/instance': 'vc1', release: 'vc1' },
    });
    expect(svc.spec.ports).toEqual([
      { name: 'https', port: 443, targetPort: 6443, protocol: 'TCP', nodePort: 30443 },
    ]);
    expect(svc.metadata.labels).toMatchObject({ exposed: 'yes', release: 'vc1' });
    // The chart's labels win: `release` is what selects the control plane's pods elsewhere.
    expect(apiService(render({ 'controlPlane.service.labels.release': 'x' })).metadata.labels?.release).toBe(
      'vc1',
    );
    expect(svc.metadata.annotations).toEqual({ 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' });
  });

  it.each<[Record<string, string>, RegExp | string]>([
    [{ 'controlPlane.service.spec.selector.app': 'x' }, /controlPlane.service.spec.selector is the chart's/],
    [{ 'controlPlane.service.spec.ports[0].port': '1' }, /controlPlane.service.spec.ports is the chart's/],
    [{ 'controlPlane.service.spec.clusterIP': 'None' }, /controlPlane.service.spec.clusterIP is the chart's/],
    [{ 'controlPlane.service.spec.type': 'ExternalName' }, /must be ClusterIP, NodePort or LoadBalancer/],
    [{ 'controlPlane.service.httpsNodePort': '30443' }, /httpsNodePort needs controlPlane.service.spec.type/],
    [
      { 'controlPlane.service.spec.ipFamilies[0]': 'IPv6' },
      /controlPlane.service.spec.ipFamilies is the chart's/,
    ],
    [{ 'controlPlane.service.spec.ipFamilyPolicy': 'RequireDualStack' }, /ipFamilyPolicy is the chart's/],
    [{ 'controlPlane.ingress.enabled': 'true', 'controlPlane.ingress.pathType': '' }, /pathType is required/],
    ...[
      'a b',
      'a..b',
      '999.1.1.1',
      'dead:beef',
      '1::2::3',
      '1:2:3',
      'fd00::1:',
      '1::2:3:4:5:6:7:8',
      '*foo.example.com',
      'api.example.com.',
    ].map((san): [Record<string, string>, string] => [
      { 'controlPlane.proxy.extraSANs[0]': san },
      `"${san}" (of controlPlane.proxy.extraSANs, the ingress or TLSRoute hosts or vanilla.apiServer.extraSANs) is neither a DNS name nor an IP address`,
    ]),
  ])('refuses %j', (set, message) => {
    expect(() => render(set)).toThrow(message);
  });

  it('makes an Ingress passing TLS through to the API server at controlPlane.ingress.host', () => {
    const ms = render({
      'controlPlane.ingress.enabled': 'true',
      'controlPlane.ingress.host': 'vc1.example.com',
    });
    const ingress = ms.find((m) => m.kind === 'Ingress') as unknown as {
      metadata: { name: string; annotations: Record<string, string> };
      spec: { rules: unknown[] };
    };
    expect(ingress.metadata.name).toBe('vc1');
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/ssl-passthrough']).toBe('true');
    expect(ingress.spec.rules).toEqual([
      {
        host: 'vc1.example.com',
        http: {
          paths: [
            {
              path: '/',
              pathType: 'ImplementationSpecific',
              backend: { service: { name: 'vc1', port: { name: 'https' } } },
            },
          ],
        },
      },
    ]);
    // Its own rules replace the chart's.
    const own = render({
      'controlPlane.ingress.enabled': 'true',
      'controlPlane.ingress.spec.ingressClassName': 'haproxy',
      'controlPlane.ingress.spec.rules[0].host': 'other.example.com',
    }).find((m) => m.kind === 'Ingress') as unknown as {
      spec: { ingressClassName: string; rules: unknown[] };
    };
    expect(own.spec).toMatchObject({ ingressClassName: 'haproxy', rules: [{ host: 'other.example.com' }] });
    // The certificate names the hosts its rules route, not the unused controlPlane.ingress.host.
    expect(
      k3sSans(
        render({
          'controlPlane.ingress.enabled': 'true',
          'controlPlane.ingress.spec.rules[0].host': 'other.example.com',
        }),
      ).slice(5),
    ).toEqual(['--tls-san=other.example.com']);
  });

  it("puts extra names and addresses, and the ingress host, in the API server's certificate on both control planes", () => {
    const set = {
      'controlPlane.proxy.extraSANs[0]': '192.0.2.7',
      'controlPlane.proxy.extraSANs[1]': 'api.example.com',
      'controlPlane.proxy.extraSANs[2]': 'fd00::7',
      'controlPlane.proxy.extraSANs[3]': '*.vc1.example.com',
      'controlPlane.ingress.enabled': 'true',
      'controlPlane.ingress.host': 'vc1.example.com',
    };
    expect(k3sSans(render(set))).toEqual([
      '--tls-san=vc1',
      '--tls-san=vc1.team-a',
      '--tls-san=vc1.team-a.svc',
      '--tls-san=vc1.team-a.svc.cluster.local',
      '--tls-san=$(VC1_SERVICE_HOST)',
      '--tls-san=192.0.2.7',
      '--tls-san=api.example.com',
      '--tls-san=fd00::7',
      '--tls-san=*.vc1.example.com',
      '--tls-san=vc1.example.com',
    ]);
    expect(
      vanillaSans(
        render({
          ...set,
          'controlPlane.distro': 'vanilla',
          'vanilla.apiServer.extraSANs[0]': 'old.example.com',
        }),
      ),
    ).toEqual([
      '--dns-name=localhost,vc1,vc1.team-a,vc1.team-a.svc,vc1.team-a.svc.cluster.local',
      '--dns-name=kubernetes,kubernetes.default,kubernetes.default.svc,kubernetes.default.svc.cluster.local',
      '--ip-address=192.0.2.7',
      '--dns-name=api.example.com',
      '--ip-address=fd00::7',
      '--dns-name=*.vc1.example.com',
      '--dns-name=old.example.com',
      '--dns-name=vc1.example.com',
      '--ip-address=127.0.0.1',
      '--ip-address=$(VC1_SERVICE_HOST)',
    ]);
  });

  it('names the release Service by each of its DNS names on both control planes, in the cluster domain given', () => {
    const set = { 'k3s.clusterDomain': 'tenants.example' };
    const serviceNames = ['vc1', 'vc1.team-a', 'vc1.team-a.svc', 'vc1.team-a.svc.tenants.example'];
    expect(k3sSans(render(set)).filter((a) => !a.includes('$('))).toEqual(
      serviceNames.map((n) => `--tls-san=${n}`),
    );
    // The vanilla control plane's certificate names the same (and localhost, the kubernetes names).
    const vanilla = vanillaSans(render({ ...set, 'controlPlane.distro': 'vanilla' }))
      .filter((a) => a.startsWith('--dns-name='))
      .flatMap((a) => a.slice('--dns-name='.length).split(','));
    expect(vanilla).toEqual(expect.arrayContaining(serviceNames));
  });

  it("reserves the API server's names from tenants' Ingresses, Gateways and routes when one of those kinds runs", () => {
    const reserved = (set: Record<string, string>) =>
      syncerArgs(render(set)).filter((a) => a.startsWith('--reserved-ingress-host'));
    const names = {
      'controlPlane.ingress.enabled': 'true',
      'controlPlane.ingress.host': 'vc1.example.com',
      'controlPlane.proxy.extraSANs[0]': '192.0.2.7',
      'controlPlane.proxy.extraSANs[1]': 'api.example.com',
    };
    expect(reserved({ ...names, 'syncer.sync[0]': '+ingresses' })).toEqual([
      '--reserved-ingress-host=api.example.com',
      '--reserved-ingress-host=vc1.example.com',
    ]);
    for (const kind of ['gateways', 'httproutes', 'grpcroutes', 'tlsroutes'])
      expect(reserved({ ...names, 'syncer.sync[0]': `+${kind}` })).toHaveLength(2);
    // Without those kinds, nothing of a tenant's serves a host name there: nothing to reserve.
    expect(reserved(names)).toEqual([]);
    expect(reserved({ ...names, 'syncer.sync[0]': '*', 'syncer.sync[1]': '-ingresses' })).toHaveLength(2);
  });
});

describe("helm chart: controlPlane.tlsRoute, a Gateway API TLSRoute to the API server (vCluster's)", () => {
  type Route = Manifest & {
    metadata: { annotations?: Record<string, string> };
    spec: Record<string, unknown>;
  };
  const routeOf = (ms: Manifest[]) => ms.find((m) => m.kind === 'TLSRoute') as Route | undefined;
  const parentRefs = [{ name: 'shared', namespace: 'gateways', sectionName: 'tls-passthrough' }];

  it('routes the host to the release Service on 443 through the Gateway named, as vCluster renders it', () => {
    const ms = renderValues({
      controlPlane: {
        tlsRoute: {
          enabled: true,
          host: 'vc1.example.com',
          parentRefs,
          labels: { team: 'a' },
          annotations: { note: 'x' },
        },
      },
    });
    const route = routeOf(ms)!;
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route.metadata).toMatchObject({
      name: 'vc1',
      labels: { team: 'a', release: 'vc1' },
      annotations: { note: 'x' },
    });
    expect(route.spec).toEqual({
      parentRefs,
      hostnames: ['vc1.example.com'],
      rules: [{ backendRefs: [{ name: 'vc1', port: 443 }] }],
    });
    // The host is in the API server's certificate, and reserved from tenants' routes.
    expect(k3sSans(ms)).toContain('--tls-san=vc1.example.com');
    expect(render({}).some((m) => m.kind === 'TLSRoute')).toBe(false);
    const reserved = syncerArgs(
      renderValues({
        controlPlane: { tlsRoute: { enabled: true, host: 'vc1.example.com', parentRefs } },
        syncer: { sync: ['+tlsroutes'] },
      }),
    ).filter((a) => a.startsWith('--reserved-ingress-host'));
    expect(reserved).toEqual(['--reserved-ingress-host=vc1.example.com']);
  });

  it("lays spec over the chart's: its hostnames (all in the certificate), parentRefs and rules replace the chart's", () => {
    const ms = renderValues({
      controlPlane: {
        distro: 'vanilla',
        tlsRoute: {
          enabled: true,
          apiVersion: 'gateway.networking.k8s.io/v1alpha2',
          spec: { parentRefs, hostnames: ['a.example.com', 'b.example.com'] },
        },
      },
    });
    const route = routeOf(ms)!;
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1alpha2');
    expect(route.spec).toMatchObject({ parentRefs, hostnames: ['a.example.com', 'b.example.com'] });
    expect(vanillaSans(ms)).toEqual(
      expect.arrayContaining(['--dns-name=a.example.com', '--dns-name=b.example.com']),
    );
  });

  it('refuses a route attached to no Gateway, an unknown key, and a host that is no DNS name', () => {
    expect(() => renderValues({ controlPlane: { tlsRoute: { enabled: true } } })).toThrow(
      /controlPlane.tlsRoute.parentRefs is empty: name the Gateway/,
    );
    expect(() => renderValues({ controlPlane: { tlsRoute: { enabled: true, parentRef: {} } } })).toThrow(
      /additional properties 'parentRef' not allowed/,
    );
    expect(() =>
      renderValues({ controlPlane: { tlsRoute: { enabled: true, host: 'a b', parentRefs } } }),
    ).toThrow(/"a b" \(of controlPlane.proxy.extraSANs, the ingress or TLSRoute hosts/);
  });
});

describe("helm chart: controlPlane.proxy.port, the pod's port vCluster's CLI port-forwards to", () => {
  const syncerPorts = (ms: Manifest[]) =>
    (containers(ms).find((c) => c.name === 'syncer') as Container & { ports: { name: string }[] }).ports;

  it('passes 8443 through to the API server by default, and 0 turns it off', () => {
    const on = render();
    expect(syncerArgs(on)).toEqual(
      expect.arrayContaining(['--api-proxy-port=8443', '--api-proxy-bind-address=0.0.0.0']),
    );
    expect(syncerPorts(on)).toContainEqual({ name: 'api-proxy', containerPort: 8443, protocol: 'TCP' });
    const off = render({ 'controlPlane.proxy.port': '0' });
    expect(syncerArgs(off)).toContain('--api-proxy-port=0');
    expect(syncerPorts(off).map((p) => p.name)).not.toContain('api-proxy');
  });

  it('refuses a port another listener of the pod holds, naming it', () => {
    expect(() => render({ 'controlPlane.proxy.port': '6443' })).toThrow(
      /controlPlane.proxy.port 6443 is taken in the control-plane pod by the API server/,
    );
    expect(() => render({ 'controlPlane.proxy.port': '10250' })).toThrow(/by syncer.kubelet.port/);
    expect(() => render({ 'controlPlane.proxy.port': '8080' })).toThrow(/by syncer.metricsPort/);
    expect(() => render({ 'controlPlane.proxy.port': '70000' })).toThrow(/proxy\/port/);
    expect(() => render({ 'controlPlane.proxy.port': '443' })).toThrow(/cannot listen below 1024/);
    expect(() => render({ 'controlPlane.distro': 'vanilla', 'controlPlane.proxy.port': '2379' })).toThrow(
      /taken in the control-plane pod by etcd/,
    );
    expect(() => render({ 'syncer.kubelet.nodeStats': 'true', 'controlPlane.proxy.port': '11000' })).toThrow(
      /is in syncer.kubelet.nodePorts/,
    );
    // The metrics API's port is free while it is off.
    expect(syncerArgs(render({ 'controlPlane.proxy.port': '9001' }))).toContain('--api-proxy-port=9001');
  });
});
