import { hostName } from '../src/naming/names.ts';
import { waitFor } from '../test/harness/clusters.ts';
import {
  apply,
  createTenantNamespace,
  getObject,
  mustKubectl,
  waitForEvents,
  type Cluster,
  type List,
} from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

interface Service {
  metadata: {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    selector?: Record<string, string>;
    externalName?: string;
    ports?: { port: number; nodePort?: number }[];
    healthCheckNodePort?: number;
    externalIPs?: string[];
    externalTrafficPolicy?: string;
  };
  status?: { loadBalancer?: { ingress?: { ip: string }[] } };
}
interface EndpointSlice {
  metadata: { name: string };
  endpoints?: { addresses: string[]; targetRef?: { kind: string; name: string } }[];
}
const vc = uniqueName('svc');
const hostNs = `host-${vc}`;
const ns = uniqueName('net');
let syncer: SyncerProcess;

const virtualService = (name: string, namespace = ns) =>
  getObject<Service>('virtual', ['service', name, '-n', namespace]);
const hostService = (name: string, namespace = ns) =>
  getObject<Service>('host', ['service', hostName(name, namespace, vc), '-n', hostNs]);

/** Waits until the virtual and the host Service agree on the cluster IP; returns both. */
async function aligned(name: string, namespace = ns): Promise<{ virtual: Service; host: Service }> {
  return waitFor(
    `service ${namespace}/${name} with the host's cluster IP in both clusters`,
    async () => {
      const [virtual, host] = [await virtualService(name, namespace), await hostService(name, namespace)];
      return (
        !!virtual?.spec.clusterIP &&
        virtual.spec.clusterIP === host?.spec.clusterIP &&
        host.metadata.annotations?.['vcluster.loft.sh/object-uid'] === virtual.metadata.uid && {
          virtual,
          host,
        }
      );
    },
    60_000,
  );
}

const slicesOf = async (cluster: Cluster, namespace: string, service: string) =>
  (
    await getObject<List<EndpointSlice>>(cluster, [
      'endpointslices',
      '-n',
      namespace,
      '-l',
      `kubernetes.io/service-name=${service}`,
    ])
  )?.items ?? [];
const addresses = (slices: EndpointSlice[]) =>
  slices
    .flatMap((s) => s.endpoints ?? [])
    .flatMap((e) => e.addresses)
    .sort();

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  await createTenantNamespace(ns);
  // No --cluster-dns-ip: pods must find the virtual cluster's DNS Service as a synced Service.
  syncer = await startSyncer({
    name: vc,
    hostNamespace: hostNs,
    args: [
      '--cluster-dns-ip=',
      '--sync=+ingresses,+host-ingressclasses',
      // The virtual API server's own name on a shared ingress controller (the chart's controlPlane.ingress).
      `--reserved-ingress-host=${vc}.vcluster.example.com`,
    ],
  });
}, 180_000);

afterAll(async () => {
  await mustKubectl('host', ['delete', 'ingressclass', `host-nginx-${vc}`, '--ignore-not-found']);
  await mustKubectl('virtual', ['delete', 'service', 'kube-dns', '-n', 'kube-system', '--ignore-not-found']);
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await syncer?.stop();
});

describe('Services', () => {
  // First: without --cluster-dns-ip, no pod can be synced before the virtual DNS Service exists.
  it('kube-system/kube-dns is an ordinary synced Service, and new pods use its host IP as nameserver', async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
      spec: { selector: { 'k8s-app': 'kube-dns' }, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] },
    });
    const { virtual } = await aligned('kube-dns', 'kube-system');
    await mustKubectl('virtual', [
      'run',
      'dns-user',
      '-n',
      ns,
      '--image=registry.local/tool:1',
      '--restart=Never',
    ]);
    const pod = await waitFor(
      'host pod of dns-user',
      () =>
        getObject<{ spec: { dnsConfig?: { nameservers?: string[] } } }>('host', [
          'pod',
          hostName('dns-user', ns, vc),
          '-n',
          hostNs,
        ]),
      60_000,
    );
    expect(pod.spec.dnsConfig?.nameservers?.[0]).toBe(virtual.spec.clusterIP);
  }, 120_000);

  it('a ClusterIP Service has one IP in both clusters; both sides list the same Ready pod IPs', async () => {
    await mustKubectl('virtual', [
      'create',
      'deployment',
      'web',
      '-n',
      ns,
      '--image=registry.local/web:1',
      '--replicas=2',
    ]);
    await mustKubectl('virtual', [
      'expose',
      'deployment',
      'web',
      '-n',
      ns,
      '--port=80',
      '--target-port=8080',
    ]);
    const { host } = await aligned('web');
    expect(host.spec.selector).toEqual({
      app: 'web',
      'vcluster.loft.sh/managed-by': vc,
      'vcluster.loft.sh/namespace': ns,
    });
    const hostIPs = await waitFor(
      'host EndpointSlices list the two Ready host pods',
      async () => {
        const ips = addresses(await slicesOf('host', hostNs, hostName('web', ns, vc)));
        return ips.length === 2 && ips;
      },
      120_000,
    );
    const virtualSlices = await waitFor(
      'virtual EndpointSlices list the same IPs',
      async () => {
        const slices = await slicesOf('virtual', ns, 'web');
        return JSON.stringify(addresses(slices)) === JSON.stringify(hostIPs) && slices;
      },
      60_000,
    );
    const targets = virtualSlices.flatMap((s) => s.endpoints ?? []).map((e) => e.targetRef);
    expect(targets.every((t) => t?.kind === 'Pod' && t.name.startsWith('web-'))).toBe(true);
  }, 240_000);

  it('walks ClusterIP → NodePort → LoadBalancer (status up) → ClusterIP, consistent at each step', async () => {
    const patch = (spec: object) =>
      mustKubectl('virtual', [
        'patch',
        'service',
        'web',
        '-n',
        ns,
        '--type=merge',
        '-p',
        JSON.stringify({ spec }),
      ]);
    await patch({ type: 'NodePort' });
    const nodePort = await waitFor(
      'NodePort on both sides with the host node port',
      async () => {
        const [v, h] = [await virtualService('web'), await hostService('web')];
        const port = h?.spec.ports?.[0]?.nodePort;
        return h?.spec.type === 'NodePort' && port && v?.spec.ports?.[0]?.nodePort === port && port;
      },
      60_000,
    );
    expect(nodePort).toBeGreaterThanOrEqual(30000);

    await patch({ type: 'LoadBalancer' });
    await waitFor(
      'LoadBalancer on the host',
      async () => (await hostService('web'))?.spec.type === 'LoadBalancer',
      60_000,
    );
    // The test plays the cloud controller: it writes the load balancer's address on the host.
    await mustKubectl('host', [
      'patch',
      'service',
      hostName('web', ns, vc),
      '-n',
      hostNs,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } } }),
    ]);
    await waitFor(
      'load-balancer status in the virtual cluster',
      async () => (await virtualService('web'))?.status?.loadBalancer?.ingress?.[0]?.ip === '203.0.113.10',
      60_000,
    );

    await mustKubectl('virtual', [
      'patch',
      'service',
      'web',
      '-n',
      ns,
      '--type=json',
      '-p',
      JSON.stringify([
        { op: 'replace', path: '/spec/type', value: 'ClusterIP' },
        { op: 'remove', path: '/spec/ports/0/nodePort' },
      ]),
    ]);
    const back = await waitFor(
      'ClusterIP again on both sides, without node ports',
      async () => {
        const [v, h] = [await virtualService('web'), await hostService('web')];
        return (
          h?.spec.type === 'ClusterIP' &&
          v?.spec.type === 'ClusterIP' &&
          h.spec.ports?.[0]?.nodePort === undefined &&
          v.spec.clusterIP === h.spec.clusterIP && { v, h }
        );
      },
      60_000,
    );
    expect(back.v.spec.clusterIP).toBeTruthy();
  }, 240_000);

  it('a LoadBalancer with Local traffic has one health-check node port in both clusters, created so or changed to it', async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'lb-local', namespace: ns },
      spec: {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        selector: { app: 'lb' },
        ports: [{ port: 80 }],
      },
    });
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'lb-later', namespace: ns },
      spec: { type: 'LoadBalancer', selector: { app: 'lb' }, ports: [{ port: 80 }] },
    });
    await waitFor('lb-later on the host', () => hostService('lb-later'), 60_000);
    await mustKubectl('virtual', [
      'patch',
      'service',
      'lb-later',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { externalTrafficPolicy: 'Local' } }),
    ]);
    for (const name of ['lb-local', 'lb-later']) {
      const port = await waitFor(
        `${name}: the same health-check node port on both sides`,
        async () => {
          const [v, h] = [await virtualService(name), await hostService(name)];
          const hostPort = h?.spec.healthCheckNodePort;
          return hostPort !== undefined && v?.spec.healthCheckNodePort === hostPort && hostPort;
        },
        60_000,
      );
      expect(port).toBeGreaterThanOrEqual(30000);
    }
  }, 150_000);

  it('dual-stack: both families carry the host IPs in both clusters, through dual → single → dual', async () => {
    /** Waits until both sides hold the same IPs, as many as expected. */
    const sameIPs = (count: number) =>
      waitFor(
        `service dual with ${count} identical cluster IPs`,
        async () => {
          const [v, h] = [await virtualService('dual'), await hostService('dual')];
          const ips = v?.spec.clusterIPs ?? [];
          return (
            ips.length === count &&
            JSON.stringify(ips) === JSON.stringify(h?.spec.clusterIPs) && {
              v: v!,
              h: h! as Service & { spec: { ipFamilies?: string[]; ipFamilyPolicy?: string } },
            }
          );
        },
        60_000,
      );
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'dual', namespace: ns },
      spec: { ipFamilyPolicy: 'RequireDualStack', selector: { app: 'dual' }, ports: [{ port: 80 }] },
    });
    const dual = await sameIPs(2);
    expect(dual.h.spec.ipFamilies).toEqual(['IPv4', 'IPv6']);
    expect(dual.v.spec.clusterIPs![1]).toContain(':');
    // Down to one family: the tenant drops the secondary, as the API server asks of anyone.
    await mustKubectl('virtual', [
      'patch',
      'service',
      'dual',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({
        spec: { ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'], clusterIPs: [dual.v.spec.clusterIP] },
      }),
    ]);
    const single = await sameIPs(1);
    expect(single.h.spec.ipFamilyPolicy).toBe('SingleStack');
    expect(single.v.spec.clusterIP).toBe(dual.v.spec.clusterIP);
    // And up again: the host allocates the new IPv6 address, the virtual Service is made to carry it.
    await mustKubectl('virtual', [
      'patch',
      'service',
      'dual',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { ipFamilyPolicy: 'PreferDualStack' } }),
    ]);
    const again = await sameIPs(2);
    expect(again.v.spec.clusterIP).toBe(dual.v.spec.clusterIP);
  }, 180_000);

  it('headless and ExternalName Services are synced as they are', async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'db', namespace: ns },
      spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] },
    });
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'ext', namespace: ns },
      spec: { type: 'ExternalName', externalName: 'example.com' },
    });
    const db = await waitFor('headless host copy', () => hostService('db'), 60_000);
    expect(db.spec.clusterIP).toBe('None');
    expect((await virtualService('db'))?.spec.clusterIP).toBe('None');
    const ext = await waitFor('ExternalName host copy', () => hostService('ext'), 60_000);
    expect(ext.spec).toMatchObject({ type: 'ExternalName', externalName: 'example.com' });
  }, 120_000);

  it('a ClusterIP Service with externalIPs reaches the host without them (and without the traffic policy they bring)', async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'eip', namespace: ns },
      spec: { externalIPs: ['192.0.2.10'], selector: { app: 'eip' }, ports: [{ port: 443 }] },
    });
    // The virtual API server sets externalTrafficPolicy on it: externalIPs make it external.
    expect((await virtualService('eip'))?.spec.externalTrafficPolicy).toBe('Cluster');
    const copy = await waitFor('host copy of a Service with externalIPs', () => hostService('eip'), 60_000);
    expect(copy.spec.type).toBe('ClusterIP');
    expect(copy.spec.externalIPs).toBeUndefined();
    expect(copy.spec.externalTrafficPolicy).toBeUndefined();
    // Later changes reach the copy too.
    await mustKubectl('virtual', [
      'patch',
      'service',
      'eip',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({
        spec: {
          ports: [
            { port: 443, name: 'https' },
            { port: 8443, name: 'alt' },
          ],
        },
      }),
    ]);
    await waitFor(
      'both ports on the host copy',
      async () => ((await hostService('eip'))?.spec.ports?.length === 2 ? true : undefined),
      60_000,
    );
  }, 120_000);

  it('labels and annotations both ways: what the host adds is shown in the virtual Service, what the tenant adds reaches the host', async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'both-ways', namespace: ns, annotations: { 'set-by': 'tenant' } },
      spec: { clusterIP: 'None' },
    });
    await waitFor('host copy', () => hostService('both-ways'), 60_000);
    const hostCopy = hostName('both-ways', ns, vc);
    await mustKubectl('host', [
      'annotate',
      'service',
      hostCopy,
      '-n',
      hostNs,
      'host-annotation=from the host',
    ]);
    await mustKubectl('host', ['label', 'service', hostCopy, '-n', hostNs, 'host-label=host_value']);
    const shown = await waitFor(
      "the host's label and annotation in the virtual Service",
      async () => {
        const v = await virtualService('both-ways');
        return (
          v?.metadata.annotations?.['host-annotation'] === 'from the host' &&
          v.metadata.labels?.['host-label'] === 'host_value' &&
          v
        );
      },
      30_000,
    );
    expect(shown.metadata.annotations?.['set-by']).toBe('tenant');

    await mustKubectl('virtual', [
      'annotate',
      'service',
      'both-ways',
      '-n',
      ns,
      'tenant-annotation=from the tenant',
    ]);
    // A value the tenant gives a key the host set, in the same write as a label of its own: once that
    // is on the host the write was planned, and the host's key kept its value.
    await mustKubectl('virtual', [
      'label',
      'service',
      'both-ways',
      '-n',
      ns,
      '--overwrite',
      'tenant-label=tenant_value',
      'host-label=tenant',
    ]);
    const host = await waitFor(
      "the tenant's label and annotation on the host Service",
      async () => {
        const h = await hostService('both-ways');
        return (
          h?.metadata.annotations?.['tenant-annotation'] === 'from the tenant' &&
          h.metadata.labels?.['tenant-label'] === 'tenant_value' &&
          h
        );
      },
      30_000,
    );
    expect(host.metadata.labels?.['host-label']).toBe('host_value');
    expect(host.metadata.annotations?.['host-annotation']).toBe('from the host');

    // The host removes its annotation: gone from the tenant's view too.
    await mustKubectl('host', ['annotate', 'service', hostCopy, '-n', hostNs, 'host-annotation-']);
    await waitFor(
      "the host's removal in the virtual Service",
      async () =>
        (await virtualService('both-ways'))?.metadata.annotations?.['host-annotation'] === undefined,
      30_000,
    );
  }, 120_000);

  it("node ports are the host's to pick; a Service whose host name is taken gets a SyncError and nothing on the host changes", async () => {
    // A host Service elsewhere holds a node port the virtual cluster does not know is taken. As in
    // vCluster, the host copy never asks for the virtual API server's pick: the host allocates one,
    // and the virtual Service shows it.
    const holder = `holder-${vc}`;
    await mustKubectl('host', ['create', 'namespace', holder]);
    await apply('host', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'holder', namespace: holder },
      spec: { type: 'NodePort', selector: { a: 'b' }, ports: [{ port: 80, nodePort: 31777 }] },
    });
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'taken-port', namespace: ns },
      spec: { type: 'NodePort', selector: { app: 'x' }, ports: [{ port: 80, nodePort: 31777 }] },
    });
    const nodePort = await waitFor(
      "the host's node port in both clusters",
      async () => {
        const [virtual, host] = [await virtualService('taken-port'), await hostService('taken-port')];
        const port = host?.spec.ports?.[0]?.nodePort;
        return port !== undefined && virtual?.spec.ports?.[0]?.nodePort === port && port;
      },
      60_000,
    );
    expect(nodePort).not.toBe(31777);
    // The manifest asked for it: told, or a re-apply failing would be a mystery.
    const [told] = await waitForEvents('virtual', ns, 'taken-port', 'NodePortTaken');
    expect(told!.message).toContain(`31777 (port 80) in use in the host cluster`);
    expect(told!.message).toContain(`the host's ${nodePort}`);

    // So with a cluster IP the host holder has: the Service gets its host copy's, and is told.
    const holderIP = (await getObject<Service>('host', ['service', 'holder', '-n', holder]))!.spec.clusterIP!;
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'taken-ip', namespace: ns },
      spec: {
        type: 'NodePort',
        clusterIP: holderIP,
        selector: { app: 'x' },
        ports: [{ port: 80, nodePort: 31778 }],
      },
    });
    const { virtual: moved } = await aligned('taken-ip');
    expect(moved.spec.clusterIP).not.toBe(holderIP);
    const [ipTold] = await waitForEvents('virtual', ns, 'taken-ip', 'ClusterIPTaken');
    expect(ipTold!.message).toContain(`cluster IP ${holderIP} is in use in the host cluster`);
    // Its node port is free: kept, and nothing said of it.
    expect(moved.spec.ports?.[0]?.nodePort).toBe(31778);
    expect((await hostService('taken-ip'))?.spec.ports?.[0]?.nodePort).toBe(31778);
    const ipEvents = await getObject<List<{ reason: string }>>('virtual', [
      'events',
      '-n',
      ns,
      '--field-selector',
      'involvedObject.name=taken-ip',
    ]);
    expect(ipEvents?.items.map((e) => e.reason)).not.toContain('NodePortTaken');
    // Not for kube-system's (the control plane's add-ons: k3s's kube-dns asks for 10.96.0.10).
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'taken-ip-addon', namespace: 'kube-system' },
      spec: { clusterIP: holderIP, selector: { app: 'x' }, ports: [{ port: 80 }] },
    });
    await aligned('taken-ip-addon', 'kube-system');
    const addonEvents = await getObject<List<{ reason: string }>>('virtual', [
      'events',
      '-n',
      'kube-system',
      '--field-selector',
      'involvedObject.name=taken-ip-addon',
    ]);
    expect(addonEvents?.items.map((e) => e.reason)).not.toContain('ClusterIPTaken');
    await mustKubectl('virtual', ['delete', 'service', 'taken-ip-addon', '-n', 'kube-system']);

    // An unmanaged host Service already has the name this one would get.
    await apply('host', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: hostName('clash', ns, vc), namespace: hostNs, labels: { owner: 'admin' } },
      spec: { selector: { a: 'b' }, ports: [{ port: 81 }] },
    });
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'clash', namespace: ns },
      spec: { selector: { app: 'x' }, ports: [{ port: 80 }] },
    });
    await waitForEvents('virtual', ns, 'clash', 'SyncError');
    const untouched = await hostService('clash');
    expect(untouched?.spec.ports?.[0]?.port).toBe(81);
    expect((untouched?.metadata as { labels?: Record<string, string> }).labels).toEqual({ owner: 'admin' });
    await mustKubectl('host', ['delete', 'namespace', holder, '--wait=false']);
  }, 120_000);

  it("a selector-less Service's Endpoints reach the host; another tenant's pod IP is dropped", async () => {
    // A pod on the host that is not this virtual cluster's (an admin's, or another tenant's).
    await apply('host', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'not-yours', namespace: hostNs },
      spec: { containers: [{ name: 'main', image: 'registry.local/app:1' }] },
    });
    const foreignIP = await waitFor(
      'the host pod has an IP',
      async () =>
        (await getObject<{ status?: { podIP?: string } }>('host', ['pod', 'not-yours', '-n', hostNs]))?.status
          ?.podIP,
      60_000,
    );
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'external-db', namespace: ns },
      spec: { ports: [{ port: 5432 }] },
    });
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'external-db', namespace: ns },
      subsets: [{ addresses: [{ ip: '93.184.216.10' }, { ip: foreignIP }], ports: [{ port: 5432 }] }],
    });
    const copy = await waitFor(
      'host Endpoints of external-db',
      () =>
        getObject<{ subsets?: { addresses?: { ip: string }[] }[] }>('host', [
          'endpoints',
          hostName('external-db', ns, vc),
          '-n',
          hostNs,
        ]),
      60_000,
    );
    expect(copy.subsets?.flatMap((s) => s.addresses ?? []).map((a) => a.ip)).toEqual(['93.184.216.10']);
    const refused = await waitForEvents('virtual', ns, 'external-db', 'SyncError');
    expect(refused[0]!.message).toContain(foreignIP);
    expect(refused[0]!.message).not.toContain(hostNs);
    // The host mirrors the Endpoints into an EndpointSlice of the host Service.
    const mirrored = await waitFor(
      'host EndpointSlice mirrored from the Endpoints',
      async () => {
        const ips = addresses(await slicesOf('host', hostNs, hostName('external-db', ns, vc)));
        return ips.length > 0 && ips;
      },
      60_000,
    );
    expect(mirrored).toEqual(['93.184.216.10']);
  }, 120_000);
  it("a Service that loses its selector: the tenant's Endpoints replace those the host's controller left", async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'backend', namespace: ns, labels: { app: 'backend' } },
      spec: { containers: [{ name: 'main', image: 'registry.local/app:1' }] },
    });
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'moving', namespace: ns },
      spec: { selector: { app: 'backend' }, ports: [{ port: 80 }] },
    });
    type Endpoints = {
      metadata: { annotations?: Record<string, string> };
      subsets?: { addresses?: { ip: string }[] }[];
    };
    const hostEndpoints = () =>
      getObject<Endpoints>('host', ['endpoints', hostName('moving', ns, vc), '-n', hostNs]);
    const ipsOf = (e: Endpoints | undefined) =>
      e?.subsets?.flatMap((s) => s.addresses ?? []).map((a) => a.ip) ?? [];
    // The host's endpoints controller lists the host pod for the Service's host copy.
    await waitFor(
      'the host controller Endpoints of the Service',
      async () => ipsOf(await hostEndpoints()).length === 1,
      60_000,
    );
    // Now the tenant points the Service elsewhere by hand, as for a database outside the cluster. The
    // host's controller leaves its Endpoints behind (it stops maintaining them), under the same name.
    await mustKubectl('virtual', [
      'patch',
      'service',
      'moving',
      '-n',
      ns,
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/spec/selector"}]',
    ]);
    await mustKubectl('virtual', ['delete', 'endpoints', 'moving', '-n', ns, '--ignore-not-found']);
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'moving', namespace: ns },
      subsets: [{ addresses: [{ ip: '93.184.216.20' }], ports: [{ port: 80 }] }],
    });
    const copy = await waitFor(
      "the tenant's Endpoints on the host",
      async () => {
        const e = await hostEndpoints();
        return ipsOf(e).join() === '93.184.216.20' && e;
      },
      60_000,
    );
    expect(copy.metadata.annotations?.['vcluster.loft.sh/object-name']).toBe('moving');
    await mustKubectl('virtual', ['delete', 'pod', 'backend', '-n', ns, '--wait=false']);
  }, 120_000);

  it("a tenant's own EndpointSlice of a selector-less Service reaches the host; another tenant's pod IP is dropped", async () => {
    const foreignIP = (
      await getObject<{ status?: { podIP?: string } }>('host', ['pod', 'not-yours', '-n', hostNs])
    )?.status?.podIP;
    expect(foreignIP).toBeTruthy();
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'sliced', namespace: ns },
      spec: { ports: [{ name: 'db', port: 5432 }] },
    });
    await aligned('sliced');
    await apply('virtual', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'sliced-own',
        namespace: ns,
        labels: {
          'kubernetes.io/service-name': 'sliced',
          'endpointslice.kubernetes.io/managed-by': 'tenant.example.com',
        },
      },
      addressType: 'IPv4',
      ports: [{ name: 'db', port: 5432, protocol: 'TCP' }],
      endpoints: [{ addresses: ['93.184.216.20'] }, { addresses: [foreignIP!] }],
    });
    const copy = await waitFor(
      'host copy of the tenant EndpointSlice',
      () =>
        getObject<EndpointSlice & { metadata: { labels: Record<string, string> } }>('host', [
          'endpointslice',
          hostName('sliced-own', ns, vc),
          '-n',
          hostNs,
        ]),
      60_000,
    );
    expect(copy.metadata.labels['kubernetes.io/service-name']).toBe(hostName('sliced', ns, vc));
    expect(addresses([copy])).toEqual(['93.184.216.20']);
    const refused = await waitForEvents('virtual', ns, 'sliced-own', 'SyncError');
    expect(refused[0]!.message).toContain(foreignIP!);
    // The host's slice controllers leave it alone (not theirs by its managed-by label).
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(addresses(await slicesOf('host', hostNs, hostName('sliced', ns, vc)))).toEqual(['93.184.216.20']);
  }, 120_000);

  it('virtual default/kubernetes carries the host API service IP, and its endpoints follow the host', async () => {
    const hostApi = await waitFor(
      'host API service IP',
      () => getObject<Service>('host', ['service', vc, '-n', hostNs]),
      30_000,
    );
    const moved = await waitFor(
      'default/kubernetes with the host API service IP',
      async () => {
        const svc = await getObject<Service>('virtual', ['service', 'kubernetes', '-n', 'default']);
        return svc?.spec.clusterIP === hostApi.spec.clusterIP && svc;
      },
      60_000,
    );
    // The virtual API server's own ports stay (it reconciles them; a fight would re-create forever).
    expect(moved.spec.ports?.[0]?.port).toBe(443);
    // Where the virtual API server listens, as the host sees it (in a real install, the k3s pod).
    await apply('host', {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: vc, namespace: hostNs },
      subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }],
    });
    try {
      const endpoints = await waitFor(
        'virtual default/kubernetes endpoints from the host',
        async () => {
          const ep = await getObject<{
            subsets?: { addresses?: { ip: string }[]; ports?: { name?: string; port: number }[] }[];
          }>('virtual', ['endpoints', 'kubernetes', '-n', 'default']);
          return ep?.subsets?.[0]?.addresses?.[0]?.ip === '10.0.0.1' && ep;
        },
        60_000,
      );
      expect(endpoints.subsets?.[0]?.ports).toEqual([{ name: 'https', port: 6443, protocol: 'TCP' }]);
      // One EndpointSlice, named kubernetes as the API server names its own: the Endpoints skip mirroring.
      const slice = await waitFor(
        'virtual EndpointSlice kubernetes of default/kubernetes',
        async () => {
          const ips = addresses(
            (await getObject<EndpointSlice>('virtual', ['endpointslice', 'kubernetes', '-n', 'default']))
              ? await slicesOf('virtual', 'default', 'kubernetes')
              : [],
          );
          return ips.length > 0 && ips;
        },
        60_000,
      );
      expect(slice).toEqual(['10.0.0.1']);
      // Still the host IP some API-server reconcile periods later: no fight with the virtual API server.
      await new Promise((resolve) => setTimeout(resolve, 12_000));
      const after = await getObject<Service>('virtual', ['service', 'kubernetes', '-n', 'default']);
      expect(after?.spec.clusterIP).toBe(hostApi.spec.clusterIP);
      expect(after?.metadata.uid).toBe(moved.metadata.uid);
      // And no mirrored slice beside it (the mirroring controller removes one it made before).
      const slices = await slicesOf('virtual', 'default', 'kubernetes');
      expect(slices.map((s) => (s as { metadata?: { name?: string } }).metadata?.name)).toEqual([
        'kubernetes',
      ]);
    } finally {
      await mustKubectl('host', ['delete', 'endpoints', vc, '-n', hostNs, '--ignore-not-found']);
    }
  }, 120_000);
});

describe('Ingresses', () => {
  interface Ingress {
    spec: {
      ingressClassName?: string;
      rules?: { http?: { paths?: { backend: { service?: { name: string } } }[] } }[];
      tls?: { secretName?: string }[];
    };
    status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
  }
  const backends = (i: Ingress) =>
    (i.spec.rules ?? []).flatMap((r) => r.http?.paths ?? []).map((p) => p.backend.service?.name);

  it('an Ingress reaches the host with its Service and TLS Secret renamed (the Secret synced for it); status flows back', async () => {
    // The host's ingress class, shown read-only to the tenant.
    await apply('host', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: `host-nginx-${vc}` },
      spec: { controller: 'example.com/ingress' },
    });
    await waitFor(
      'host IngressClass in the virtual cluster',
      () => getObject('virtual', ['ingressclass', `host-nginx-${vc}`]),
      60_000,
    );
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'site', namespace: ns },
      spec: { selector: { app: 'site' }, ports: [{ port: 80 }] },
    });
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'site-tls', namespace: ns },
      type: 'kubernetes.io/tls',
      stringData: { 'tls.crt': 'cert', 'tls.key': 'key' },
    });
    await apply('virtual', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'site', namespace: ns },
      spec: {
        ingressClassName: `host-nginx-${vc}`,
        tls: [{ hosts: ['site.example.com'], secretName: 'site-tls' }],
        rules: [
          {
            host: 'site.example.com',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'site', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    });
    const copy = await waitFor(
      'host copy of the Ingress',
      () => getObject<Ingress>('host', ['ingress', hostName('site', ns, vc), '-n', hostNs]),
      60_000,
    );
    expect(backends(copy)).toEqual([hostName('site', ns, vc)]);
    expect(copy.spec.tls?.[0]?.secretName).toBe(hostName('site-tls', ns, vc));
    expect(copy.spec.ingressClassName).toBe(`host-nginx-${vc}`);
    // The Secret is synced because the Ingress names it (no pod uses it).
    await waitFor(
      'host copy of the TLS secret',
      () => getObject('host', ['secret', hostName('site-tls', ns, vc), '-n', hostNs]),
      60_000,
    );
    // A load balancer answers on the host, as an ingress controller would write it.
    await mustKubectl('host', [
      'patch',
      'ingress',
      hostName('site', ns, vc),
      '-n',
      hostNs,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } } }),
    ]);
    await waitFor(
      'load-balancer status on the virtual Ingress',
      async () =>
        (await getObject<Ingress>('virtual', ['ingress', 'site', '-n', ns]))?.status?.loadBalancer
          ?.ingress?.[0]?.ip === '203.0.113.7',
      60_000,
    );
    // Deleting the Ingress lets the Secret go from the host (nothing uses it any more).
    await mustKubectl('virtual', ['delete', 'ingress', 'site', '-n', ns]);
    await waitFor(
      'TLS secret copy removed',
      async () =>
        (await getObject('host', ['secret', hostName('site-tls', ns, vc), '-n', hostNs])) === undefined,
      60_000,
    );
  }, 180_000);

  it('an Ingress naming a missing Service gets a SyncError and a backend no host object holds', async () => {
    await apply('virtual', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'dangling', namespace: ns },
      spec: { defaultBackend: { service: { name: 'not-there', port: { number: 80 } } } },
    });
    const events = await waitForEvents('virtual', ns, 'dangling', 'SyncError');
    expect(events.map((e) => e.message).join('\n')).toContain('not-there');
    expect(events.map((e) => e.message).join('\n')).not.toContain(hostNs);
    const copy = await waitFor(
      'host copy of the dangling Ingress',
      () =>
        getObject<{ spec: { defaultBackend?: { service?: { name: string } } } }>('host', [
          'ingress',
          hostName('dangling', ns, vc),
          '-n',
          hostNs,
        ]),
      60_000,
    );
    expect(copy.spec.defaultBackend?.service?.name).toMatch(/^vsyncer-absent-[0-9a-f]{20}$/);
  }, 120_000);

  it("refuses an Ingress claiming the virtual API server's reserved host, with a SyncError, and copies nothing", async () => {
    await apply('virtual', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'takeover', namespace: ns },
      spec: {
        rules: [
          {
            host: `${vc}.vcluster.example.com`,
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'web', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    });
    const events = await waitForEvents('virtual', ns, 'takeover', 'SyncError');
    expect(events.map((e) => e.message).join('\n')).toContain(
      `host "${vc}.vcluster.example.com" is reserved for the virtual cluster's API server`,
    );
    expect(await getObject('host', ['ingress', hostName('takeover', ns, vc), '-n', hostNs])).toBeUndefined();
  }, 120_000);
});
