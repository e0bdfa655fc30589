import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type StateTable } from '../../testing/state-table.ts';
import { specOf } from './translate.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const SVC = Resources.services;
const hostName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;

function service(name: string, spec: Record<string, unknown> = {}, ns = 'team'): KubeObject {
  return {
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      selector: { app: name },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
      ...spec,
    },
  };
}

const virtualSvc = (t: StateTable, name = 'web', ns = 'team') =>
  t.virtual.objects(SVC, ns).find((s) => s.metadata?.name === name);
const hostSvc = (t: StateTable, name = 'web', ns = 'team') =>
  t.host.objects(SVC, HOST_NS).find((s) => s.metadata?.name === hostName(name, ns));

/** The IP the fake virtual API server gives its first Service. */
const FIRST_VIRTUAL_IP = '10.96.1.1';

/** A host Service of the host's own holding an IP, so the host refuses it to a copy. */
const hostServiceHolding = (ip: string): [typeof SVC, KubeObject] => [
  SVC,
  { metadata: { name: 'holder', namespace: HOST_NS }, spec: { clusterIP: ip, ports: [{ port: 80 }] } },
];

/** A table running services, with the tenant's Service created through the virtual API (so it gets an IP there). */
async function withService(svc: KubeObject): Promise<StateTable> {
  const table = await start({ kinds: ['services'] });
  await table.virtual.create(SVC, svc.metadata!.namespace!, svc);
  await table.settle();
  return table;
}

describe('services state table', () => {
  it("ClusterIP: the host copy selects only this tenant namespace and takes the virtual Service's IP; the virtual Service stays as made", async () => {
    const table = await withService(service('web'));
    const host = hostSvc(table)!;
    expect(specOf(host).selector).toEqual({
      app: 'web',
      'vcluster.loft.sh/managed-by': VC,
      'vcluster.loft.sh/namespace': 'team',
    });
    expect(specOf(host).clusterIP).toMatch(/^10\.96\.1\./);
    expect(specOf(virtualSvc(table)).clusterIP).toBe(specOf(host).clusterIP);
    expect(host.metadata?.annotations?.['vcluster.loft.sh/object-uid']).toBe(
      virtualSvc(table)!.metadata?.uid,
    );
    expect(table.virtual.writeLog().filter((w) => w.includes(' services'))).toEqual([
      'create services team/web',
    ]);
  });

  it("a load balancer's address-sharing key stays off the host copy (every tenant's Services share one host namespace), the rest of it synced, with no write once settled", async () => {
    const shared = service('dns', { type: 'LoadBalancer' });
    shared.metadata!.annotations = {
      'metallb.universe.tf/allow-shared-ip': 'other-tenants-key',
      'metallb.io/allow-shared-ip': 'other-tenants-key',
      'lbipam.cilium.io/sharing-key': 'other-tenants-key',
      'io.cilium/lb-ipam-sharing-key': 'other-tenants-key',
      'io.cilium/lb-ipam-sharing-cross-namespace': '*',
      'purelb.io/allow-shared-ip': 'other-tenants-key',
      // Controllers that act on a Service's annotations as its namespace owner's orders.
      'ad.datadoghq.com/service.checks':
        '{"http_check": {"instances": [{"url": "http://169.254.169.254/"}]}}',
      'consul.hashicorp.com/service-sync': 'true',
      'consul.hashicorp.com/service-name': 'payments',
      'tailscale.com/expose': 'true',
      'example.com/team': 'dns',
    };
    const table = await withService(shared);
    const annotations = hostSvc(table, 'dns')!.metadata?.annotations ?? {};
    expect(annotations['example.com/team']).toBe('dns');
    for (const key of [
      'metallb.universe.tf/allow-shared-ip',
      'metallb.io/allow-shared-ip',
      'lbipam.cilium.io/sharing-key',
      'io.cilium/lb-ipam-sharing-key',
      'io.cilium/lb-ipam-sharing-cross-namespace',
      'purelb.io/allow-shared-ip',
      'ad.datadoghq.com/service.checks',
      'consul.hashicorp.com/service-sync',
      'consul.hashicorp.com/service-name',
      'tailscale.com/expose',
    ])
      expect(annotations).not.toHaveProperty([key]);
    // The tenant's own Service keeps them.
    expect(virtualSvc(table, 'dns')!.metadata?.annotations?.['metallb.io/allow-shared-ip']).toBe(
      'other-tenants-key',
    );
    table.host.clearWrites();
    table.virtual.clearWrites();
    table.clock.advance(60_000);
    await table.settle();
    expect(table.writes().filter((w) => !w.includes(' events '))).toEqual([]);
  });

  it("Rancher's public endpoints crosses neither way: the tenant's Rancher's stays off the host copy, the host's Rancher's (host names) never reaches the tenant; no write fight", async () => {
    const KEY = 'field.cattle.io/publicEndpoints';
    const svc = service('web');
    svc.metadata!.annotations = { [KEY]: '[{"addresses":["192.168.0.10"]}]', 'example.com/team': 'web' };
    const table = await withService(svc);
    expect(hostSvc(table)!.metadata?.annotations).not.toHaveProperty([KEY]);
    expect(hostSvc(table)!.metadata?.annotations?.['example.com/team']).toBe('web');
    const host = hostSvc(table)!;
    const hostsValue = `[{"serviceName":"${HOST_NS}:${host.metadata!.name}"}]`;
    await table.host.update(SVC, HOST_NS, {
      ...host,
      metadata: { ...host.metadata, annotations: { ...host.metadata?.annotations, [KEY]: hostsValue } },
    });
    await table.settle();
    expect(virtualSvc(table)!.metadata?.annotations?.[KEY]).toBe('[{"addresses":["192.168.0.10"]}]');
    expect(hostSvc(table)!.metadata?.annotations?.[KEY]).toBe(hostsValue);
    table.host.clearWrites();
    table.virtual.clearWrites();
    table.clock.advance(60_000);
    await table.settle();
    expect(table.writes().filter((w) => !w.includes(' events '))).toEqual([]);
  });

  it("ClusterIP the host has given out already: the host allocates, and the virtual Service is made again with the host's IP", async () => {
    const table = await start({ kinds: ['services'], host: [hostServiceHolding(FIRST_VIRTUAL_IP)] });
    await table.virtual.create(SVC, 'team', service('web'));
    await table.settle();
    const host = hostSvc(table)!;
    expect(specOf(virtualSvc(table)).clusterIP).not.toBe(FIRST_VIRTUAL_IP);
    expect(specOf(host).clusterIP).toMatch(/^10\.96\.2\./);
    expect(specOf(virtualSvc(table)).clusterIP).toBe(specOf(host).clusterIP);
    // The re-created virtual Service is claimed by the host copy (its UID recorded), so it is not replaced again.
    expect(host.metadata?.annotations?.['vcluster.loft.sh/object-uid']).toBe(
      virtualSvc(table)!.metadata?.uid,
    );
    expect(table.virtual.writeLog().filter((w) => w.includes(' services'))).toEqual([
      'create services team/web',
      'delete services team/web',
      'create services team/web',
    ]);
  });

  it("a Service whose annotations would not fit in the re-create's record on its host copy keeps its IP, and the tenant is told why and what its pods reach", async () => {
    const table = await start({ kinds: ['services'], host: [hostServiceHolding(FIRST_VIRTUAL_IP)] });
    const svc = service('web');
    // 90 KB: the copy holds them once, the record twice more (its replacement and the original).
    svc.metadata!.annotations = { 'example.com/notes': 'x'.repeat(90_000) };
    await table.virtual.create(SVC, 'team', svc);
    await table.settle();
    expect(specOf(virtualSvc(table)).clusterIP).toBe(FIRST_VIRTUAL_IP);
    expect(table.virtual.writeLog().filter((w) => w.includes(' services'))).toEqual([
      'create services team/web',
    ]);
    const events = table.virtual.objects(Resources.events, 'team');
    expect(events.map((e) => `${e.reason}: ${e.message}`)).toEqual([
      expect.stringMatching(
        /^SyncError: the host gave this Service cluster IP 10\.96\.2\.\d+, but it cannot be re-created with it: .*annotations \(90017 bytes\).*over the host's 262144: pods dialing 10\.96\.1\.1 reach whatever host Service has that address/,
      ),
    ]);
    expect(hostSvc(table)!.metadata?.annotations?.['example.com/notes']).toHaveLength(90_000);
    // Smaller, it is made again with the host's IP.
    const current = virtualSvc(table)!;
    await table.virtual.update(SVC, 'team', {
      ...current,
      metadata: { ...current.metadata, annotations: { 'example.com/notes': 'short' } },
    });
    await table.settle();
    expect(specOf(virtualSvc(table)).clusterIP).toBe(specOf(hostSvc(table)).clusterIP);
  });

  it("a Service with finalizers is never deleted to take the host's IP (the finalizer's holder would finish the delete): it stays, and the tenant is told", async () => {
    const table = await start({ kinds: ['services'], host: [hostServiceHolding(FIRST_VIRTUAL_IP)] });
    const svc = service('web');
    svc.metadata!.finalizers = ['operator.example.com/cleanup'];
    await table.virtual.create(SVC, 'team', svc);
    await table.settle();
    expect(specOf(virtualSvc(table)).clusterIP).toBe(FIRST_VIRTUAL_IP);
    expect(virtualSvc(table)!.metadata?.finalizers).toEqual(['operator.example.com/cleanup']);
    expect(table.virtual.writeLog().filter((w) => w.includes(' services'))).toEqual([
      'create services team/web',
    ]);
    const events = table.virtual.objects(Resources.events, 'team');
    expect(events.map((e) => `${e.reason}: ${e.message}`)).toEqual([
      expect.stringMatching(
        /^SyncError: the host gave this Service cluster IP 10\.96\.2\.\d+, but it cannot be re-created/,
      ),
    ]);
    // The host copy is synced all the same.
    expect(hostSvc(table)).toBeDefined();
    // Reconciled again while nothing changed: the warning is not counted again (no write).
    table.virtual.clearWrites();
    table.host.clearWrites();
    table.controllers.get('services')!.controller.enqueue('team/web');
    await table.settle();
    expect(table.writes()).toEqual([]);
  });

  it("selector-less: the tenant's Endpoints, which the virtual endpoints controller deletes when it sees the Service go, are put back", async () => {
    // The host holds the virtual IP already, so the virtual Service is made again with the host's.
    const table = await start({ kinds: ['services'], host: [hostServiceHolding(FIRST_VIRTUAL_IP)] });
    const endpoints: KubeObject = {
      metadata: { name: 'dns', namespace: 'team', labels: { mine: 'yes' } },
      subsets: [{ addresses: [{ ip: '10.245.0.1' }], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }],
    };
    await table.virtual.create(Resources.endpoints, 'team', endpoints);
    await table.virtual.create(SVC, 'team', service('dns', { selector: undefined }));
    await table.settle();
    expect(specOf(virtualSvc(table, 'dns')).clusterIP).toBe(specOf(hostSvc(table, 'dns')).clusterIP);
    // What the virtual endpoints controller does once it has seen the Service deleted.
    await table.virtual.delete(Resources.endpoints, 'team', 'dns');
    table.clock.advance(1500);
    await table.settle();
    const back = table.virtual.objects(Resources.endpoints, 'team').find((e) => e.metadata?.name === 'dns');
    expect(back?.subsets).toEqual(endpoints.subsets);
    expect(back?.metadata?.labels).toEqual({ mine: 'yes' });
    // Later deletions are the tenant's own: left alone.
    table.clock.advance(15_000);
    await table.settle();
    await table.virtual.delete(Resources.endpoints, 'team', 'dns');
    table.clock.advance(1500);
    await table.settle();
    expect(table.virtual.objects(Resources.endpoints, 'team')).toEqual([]);
  });

  it("a Service that loses its selector: the host EndpointSlice controller's slices of its copy, which the controller leaves (kubernetes/kubernetes#118376), are deleted; no other slice is", async () => {
    const table = await withService(service('web'));
    const copy = hostSvc(table)!;
    const SLICES = Resources.endpointSlices;
    const slice = (
      name: string,
      labels: Record<string, string>,
      ownerUid = copy.metadata!.uid!,
      service = hostName('web'),
    ): KubeObject => ({
      metadata: {
        name,
        namespace: HOST_NS,
        // The controller copies the Service's labels onto its slices.
        labels: {
          ...copy.metadata!.labels,
          'kubernetes.io/service-name': service,
          'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
          ...labels,
        },
        ownerReferences: [
          { apiVersion: 'v1', kind: 'Service', name: service, uid: ownerUid, controller: true },
        ],
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.0.50'] }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    const kept = [
      // Another incarnation's (the UID is not this copy's): not provably this copy's.
      slice('web-other-owner', {}, 'another-uid'),
      // The mirroring controller's, from the tenant's own Endpoints: the tenant's addresses.
      slice('web-mirrored', {
        'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io',
      }),
      // The syncer's copy of a tenant's slice.
      slice('web-synced', { 'endpointslice.kubernetes.io/managed-by': 'vsyncer.dev/endpointslices' }),
    ];
    for (const s of [slice('web-abcde', {}), ...kept]) await table.host.create(SLICES, HOST_NS, s);
    await table.settle();
    const names = () =>
      table.host
        .objects(SLICES, HOST_NS)
        .map((s) => s.metadata?.name)
        .sort();
    // With its selector, the slices are the controller's to maintain.
    expect(names()).toEqual(['web-abcde', 'web-mirrored', 'web-other-owner', 'web-synced']);
    const current = virtualSvc(table)!;
    const { selector: _s, ...spec } = specOf(current);
    await table.virtual.update(SVC, 'team', { ...current, spec });
    await table.settle();
    expect(specOf(hostSvc(table)).selector).toBeUndefined();
    expect(names()).toEqual(['web-mirrored', 'web-other-owner', 'web-synced']);
    // One written by a reconcile of the controller's in flight meanwhile goes too.
    await table.host.create(SLICES, HOST_NS, slice('web-fghij', {}));
    await table.settle();
    expect(names()).toEqual(['web-mirrored', 'web-other-owner', 'web-synced']);
  });

  it('headless: no IP anywhere, no re-create', async () => {
    const table = await withService(service('db', { clusterIP: 'None' }));
    expect(specOf(hostSvc(table, 'db')).clusterIP).toBe('None');
    expect(table.virtual.writeLog()).toEqual(['create services team/db']);
  });

  it("the control plane's own Service (the metrics API's, naming localhost) is never copied, and a copy goes once it is marked so", async () => {
    const local = service(
      'vsyncer-metrics-proxy',
      { type: 'ExternalName', externalName: 'localhost', selector: undefined },
      'kube-system',
    );
    local.metadata!.labels = { 'vsyncer.dev/control-plane-local': 'true' };
    const table = await withService(local);
    expect(hostSvc(table, 'vsyncer-metrics-proxy', 'kube-system')).toBeUndefined();
    expect(table.host.writeLog()).toEqual([]);
    // A tenant's Service marked later loses its copy.
    await table.virtual.create(SVC, 'team', service('web'));
    await table.settle();
    expect(hostSvc(table)).toBeDefined();
    const web = virtualSvc(table)!;
    await table.virtual.update(SVC, 'team', {
      ...web,
      metadata: { ...web.metadata, labels: { 'vsyncer.dev/control-plane-local': 'true' } },
    });
    await table.settle();
    expect(hostSvc(table)).toBeUndefined();
  });

  it('ExternalName: copied as is, no IP', async () => {
    const table = await withService(
      service('ext', { type: 'ExternalName', externalName: 'example.com', selector: undefined }),
    );
    expect(specOf(hostSvc(table, 'ext'))).toMatchObject({
      type: 'ExternalName',
      externalName: 'example.com',
    });
    expect(specOf(hostSvc(table, 'ext')).clusterIP).toBeUndefined();
  });

  /** A tenant's ExternalName Service `ext`, changed to ClusterIP (not reconciled yet), and how it was. */
  async function externalNameTurnedClusterIP() {
    const table = await withService(
      service('ext', { type: 'ExternalName', externalName: 'example.com', selector: undefined }),
    );
    const before = virtualSvc(table, 'ext')!;
    await table.virtual.update(SVC, 'team', {
      ...before,
      spec: { type: 'ClusterIP', selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    return { table, before };
  }

  it("ExternalName → ClusterIP: the host copy asks for the IP the virtual Service got, so the tenant's Service is not made again", async () => {
    const { table, before } = await externalNameTurnedClusterIP();
    await table.settle();
    const virtualIP = specOf(virtualSvc(table, 'ext')).clusterIP;
    expect(virtualIP).toMatch(/^10\.96\.1\./);
    expect(specOf(hostSvc(table, 'ext'))).toMatchObject({ type: 'ClusterIP', clusterIP: virtualIP });
    expect(virtualSvc(table, 'ext')!.metadata?.uid).toBe(before.metadata?.uid);
    expect(table.virtual.writeLog().filter((w) => w.includes(' services'))).not.toContainEqual(
      expect.stringMatching(/^delete services/),
    );
  });

  it("ExternalName → ClusterIP with an IP the host has given out: the virtual Service is made again with the host's", async () => {
    const { table } = await externalNameTurnedClusterIP();
    const virtualIP = specOf(virtualSvc(table, 'ext')).clusterIP!;
    await table.host.create(SVC, HOST_NS, hostServiceHolding(virtualIP)[1]);
    await table.settle();
    const hostIP = specOf(hostSvc(table, 'ext')).clusterIP;
    expect(hostIP).not.toBe(virtualIP);
    expect(specOf(virtualSvc(table, 'ext')).clusterIP).toBe(hostIP);
  });

  it('ClusterIP → NodePort → LoadBalancer (status up) → ClusterIP, consistent on both sides', async () => {
    const table = await withService(service('web'));
    const retype = async (spec: Record<string, unknown>) => {
      const v = virtualSvc(table!)!;
      await table!.virtual.update(SVC, 'team', { ...v, spec: { ...specOf(v), ...spec } });
      await table!.settle();
    };
    await retype({ type: 'NodePort' });
    const nodePort = specOf(hostSvc(table)).ports?.[0]?.nodePort;
    expect(nodePort).toBeGreaterThan(30000);
    expect(specOf(virtualSvc(table)).ports?.[0]?.nodePort).toBe(nodePort);

    await retype({ type: 'LoadBalancer' });
    const h = hostSvc(table)!;
    // A cloud controller writes the load balancer's address on the host.
    await table.host.update(
      SVC,
      HOST_NS,
      { ...h, status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } } },
      { subresource: 'status' },
    );
    await table.settle();
    expect(virtualSvc(table)?.status).toEqual({ loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } });
    expect(specOf(hostSvc(table)).type).toBe('LoadBalancer');

    const v = virtualSvc(table)!;
    await table.virtual.update(SVC, 'team', {
      ...v,
      spec: {
        ...specOf(v),
        type: 'ClusterIP',
        ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
      },
    });
    await table.settle();
    expect(specOf(hostSvc(table)).type).toBe('ClusterIP');
    expect(specOf(hostSvc(table)).ports?.[0]?.nodePort).toBeUndefined();
    expect(specOf(virtualSvc(table)).clusterIP).toBe(specOf(hostSvc(table)).clusterIP);
    // The host copy still holds the load balancer's address (its controller has not dropped it yet):
    // a Service of another type may hold none (the API server refuses it), so none is shown.
    expect(hostSvc(table)?.status).toEqual({ loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } });
    expect(virtualSvc(table)?.status).toEqual({ loadBalancer: {} });
  });

  describe("node ports: the virtual Service's asked for, the host's where it has given them out", () => {
    /** A NodePort Service of the host's own, holding the port the virtual API server picked. */
    const hostNodePortHolder: [typeof SVC, KubeObject] = [
      SVC,
      {
        metadata: { name: 'ingress', namespace: HOST_NS },
        spec: { type: 'NodePort', clusterIP: '10.96.2.200', ports: [{ port: 80, nodePort: 30080 }] },
      },
    ];

    it('a node port the tenant asks for, free on the host, is the one both sides have', async () => {
      const table = await start({ kinds: ['services'] });
      await table.virtual.create(
        SVC,
        'team',
        service('web', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }),
      );
      await table.settle();
      expect(specOf(hostSvc(table)).ports?.[0]?.nodePort).toBe(30080);
      expect(specOf(virtualSvc(table)).ports?.[0]?.nodePort).toBe(30080);
      // Asked for once, granted: no re-create, no second write.
      expect(table.virtual.writeLog().filter((w) => w.includes(' services'))).toEqual([
        'create services team/web',
      ]);
    });

    it('a new NodePort Service', async () => {
      const table = await start({ kinds: ['services'], host: [hostNodePortHolder] });
      await table.virtual.create(
        SVC,
        'team',
        service('web', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }),
      );
      await table.settle();
      const nodePort = specOf(hostSvc(table)).ports?.[0]?.nodePort;
      expect(nodePort).toBeGreaterThan(30000);
      expect(nodePort).not.toBe(30080);
      expect(specOf(virtualSvc(table)).ports?.[0]?.nodePort).toBe(nodePort);
      expect(table.virtual.objects(Resources.events, 'team')).toEqual([]);
    });

    it('a ClusterIP Service turned NodePort', async () => {
      const table = await start({ kinds: ['services'], host: [hostNodePortHolder] });
      await table.virtual.create(SVC, 'team', service('web'));
      await table.settle();
      const v = virtualSvc(table)!;
      await table.virtual.update(SVC, 'team', {
        ...v,
        spec: { ...specOf(v), type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] },
      });
      await table.settle();
      const nodePort = specOf(hostSvc(table)).ports?.[0]?.nodePort;
      expect(specOf(hostSvc(table)).type).toBe('NodePort');
      expect(nodePort).not.toBe(30080);
      expect(specOf(virtualSvc(table)).ports?.[0]?.nodePort).toBe(nodePort);
      expect(table.virtual.objects(Resources.events, 'team')).toEqual([]);
    });

    it("a tenant's nodePort change to a port the host has given out: no host write, and the virtual Service keeps the host's", async () => {
      const table = await start({ kinds: ['services'], host: [hostNodePortHolder] });
      await table.virtual.create(
        SVC,
        'team',
        service('web', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30090 }] }),
      );
      await table.settle();
      expect(specOf(hostSvc(table)).ports?.[0]?.nodePort).toBe(30090);
      const v = virtualSvc(table)!;
      table.host.clearWrites();
      await table.virtual.update(SVC, 'team', {
        ...v,
        spec: { ...specOf(v), ports: [{ name: 'http', port: 80, nodePort: 30080 }] },
      });
      await table.settle();
      expect(table.host.writeLog()).toEqual([]);
      expect(specOf(hostSvc(table)).ports?.[0]?.nodePort).toBe(30090);
      expect(specOf(virtualSvc(table)).ports?.[0]?.nodePort).toBe(30090);
    });

    it('a ClusterIP Service turned NodePort with a port free on the host gets that port on both sides; a later nodePort change is asked for too', async () => {
      const table = await start({ kinds: ['services'] });
      await table.virtual.create(SVC, 'team', service('web'));
      await table.settle();
      const v = virtualSvc(table)!;
      await table.virtual.update(SVC, 'team', {
        ...v,
        spec: { ...specOf(v), type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30081 }] },
      });
      await table.settle();
      expect(specOf(hostSvc(table)).ports?.[0]?.nodePort).toBe(30081);
      expect(specOf(virtualSvc(table)).ports?.[0]?.nodePort).toBe(30081);
      const again = virtualSvc(table)!;
      await table.virtual.update(SVC, 'team', {
        ...again,
        spec: { ...specOf(again), ports: [{ name: 'http', port: 80, nodePort: 30082 }] },
      });
      await table.settle();
      expect(specOf(hostSvc(table)).ports?.[0]?.nodePort).toBe(30082);
      expect(specOf(virtualSvc(table)).ports?.[0]?.nodePort).toBe(30082);
      table.virtual.clearWrites();
      table.host.clearWrites();
      table.controllers.get('services')!.controller.enqueue('team/web');
      await table.settle();
      expect(table.writes()).toEqual([]);
    });
  });

  it('a field the tenant removes is removed on the host too (an API server omits false and empty ones)', async () => {
    const table = await withService(
      service('web', {
        type: 'LoadBalancer',
        publishNotReadyAddresses: true,
        loadBalancerSourceRanges: ['192.0.2.0/24'],
        trafficDistribution: 'PreferClose',
      }),
    );
    expect(specOf(hostSvc(table))).toMatchObject({
      publishNotReadyAddresses: true,
      loadBalancerSourceRanges: ['192.0.2.0/24'],
      trafficDistribution: 'PreferClose',
    });
    const v = virtualSvc(table)!;
    const {
      publishNotReadyAddresses: _p,
      loadBalancerSourceRanges: _l,
      trafficDistribution: _t,
      ...rest
    } = specOf(v);
    await table.virtual.update(SVC, 'team', { ...v, spec: rest });
    await table.settle();
    const host = specOf(hostSvc(table));
    expect(host.publishNotReadyAddresses).toBeUndefined();
    expect(host.loadBalancerSourceRanges).toBeUndefined();
    expect(host.trafficDistribution).toBeUndefined();
  });

  it.each([
    ['a private address', '10.0.0.5'],
    ['the cloud metadata address', '169.254.169.254'],
    ['loopback', '127.0.0.1'],
    ['an IPv6 unique local address', 'fd00::1'],
    ['localhost', 'localhost'],
    ["a host cluster Service's DNS name", 'kubernetes.default.svc.cluster.local'],
    ["a host cluster Service's short DNS name", 'admin.kube-system.svc'],
    ["a host pod's DNS name (the API server's IP, dashed)", '10-96-0-1.default.pod.cluster.local'],
    ['the cloud metadata name', 'metadata.google.internal'],
    ['the cloud metadata address spelled into a wildcard DNS name', '169.254.169.254.nip.io'],
    ['a private address spelled into a wildcard DNS name, dashed', 'app-10-0-0-5.sslip.io'],
    ['a bare name (a host Service through the search path)', 'kubernetes'],
    ['a host system Service through the search path', 'kubernetes.default'],
    ["another virtual cluster's copy through the search path", 'db-x-prod-x-vc2.their-ns'],
    ['a Service of this host namespace through the search path', 'web.host-ns'],
    ['a Service of any other host namespace through the search path (no public TLD)', 'argocd-server.argocd'],
    ['an internal zone of no public TLD', 'db.corp'],
    ['a StatefulSet pod behind a headless Service of any host namespace', 'postgres-0.postgres.db'],
    ['the metadata address in a short form resolvers accept', '169.254.43518'],
    ['loopback in hex', '0x7f.0.0.1'],
  ])(
    "ExternalName naming %s is refused: the host's ingress and gateway controllers would send a tenant's traffic there (CVE-2021-25740)",
    async (_what, externalName) => {
      const table = await withService(
        service('ext', { type: 'ExternalName', externalName, selector: undefined }),
      );
      expect(hostSvc(table, 'ext')).toBeUndefined();
      expect(table.virtual.objects(Resources.events, 'team').map((e) => e.reason)).toEqual(['SyncError']);
    },
  );

  it.each([
    ['a public name', 'example.com'],
    ['a public name of more labels', 'db.eu-west-1.rds.amazonaws.com'],
    ['two labels ending in a public TLD', 'api.dev'],
    ['an internationalised TLD in its ASCII form', 'shop.xn--p1ai'],
  ])('ExternalName naming %s is copied', async (_what, externalName) => {
    const table = await withService(
      service('ext', { type: 'ExternalName', externalName, selector: undefined }),
    );
    expect(specOf(hostSvc(table, 'ext')!).externalName).toBe(externalName);
  });

  it('ExternalName changed to a denied address: the host copy goes', async () => {
    const table = await withService(
      service('ext', { type: 'ExternalName', externalName: 'example.com', selector: undefined }),
    );
    expect(hostSvc(table, 'ext')).toBeDefined();
    const virtual = virtualSvc(table, 'ext')!;
    await table.virtual.update(SVC, 'team', {
      ...virtual,
      spec: { ...specOf(virtual), externalName: '10.1.2.3' },
    });
    await table.settle();
    expect(hostSvc(table, 'ext')).toBeUndefined();
  });

  it('ExternalName naming a private address the host admin allowed is copied', async () => {
    const table = await start({ kinds: ['services'], flags: { allowedEndpointCidr: '10.1.0.0/16' } });
    await table.virtual.create(
      SVC,
      'team',
      service('ext', { type: 'ExternalName', externalName: '10.1.2.3', selector: undefined }),
    );
    await table.settle();
    expect(specOf(hostSvc(table, 'ext')).externalName).toBe('10.1.2.3');
  });

  describe("annotations the host's ingress controllers read from Services", () => {
    const annotated = (annotations: Record<string, string>) => {
      const svc = service('web');
      svc.metadata!.annotations = annotations;
      return svc;
    };
    const syncErrors = (t: StateTable) =>
      t.virtual
        .objects(Resources.events, 'team')
        .filter((e) => e.reason === 'SyncError')
        .map((e) => e.message as string);

    it.each<[string, string]>([
      ['haproxy.org/backend-config-snippet', 'http-request return status 200'],
      ['haproxy.com/backend-config-snippet', 'http-request return status 200'],
      ['ingress.kubernetes.io/backend-config-snippet', 'http-request return status 200'],
      ['haproxy.org/route-acl', 'always_true'],
      ['haproxy-ingress.github.io/config-backend', 'http-request return status 200'],
      ['ingress.kubernetes.io/config-backend', 'http-request return status 200'],
      // Emissary-ingress reads whole configuration objects from any Service's annotation.
      [
        'getambassador.io/config',
        'apiVersion: getambassador.io/v3alpha1\nkind: Mapping\nname: m\nprefix: /x/\nservice: http://169.254.169.254',
      ],
    ])('a configuration snippet (%s): no host copy, and a SyncError names it', async (key, value) => {
      const table = await withService(annotated({ [key]: value }));
      expect(hostSvc(table)).toBeUndefined();
      expect(syncErrors(table)).toEqual([
        `metadata.annotations[${JSON.stringify(key)}]: configuration snippets would run in the host's shared ingress controller`,
      ]);
    });

    it('an HAProxy header holding a sample fetch (the controller environment): no host copy', async () => {
      const key = 'haproxy.org/response-set-header';
      const table = await withService(annotated({ [key]: 'X-Leak %[env(LICENSE_KEY)]' }));
      expect(hostSvc(table)).toBeUndefined();
      expect(syncErrors(table)).toEqual([expect.stringContaining('a sample fetch (%[')]);
    });

    it.each<[string, string, string]>([
      ['haproxy.org/server-crt', 'kube-system/x', 'names a Secret'],
      ['haproxy.com/server-ca', 'x', 'names a Secret'],
      ['ingress.kubernetes.io/secure-crt-secret', 'x', 'names a Secret'],
      ['haproxy-ingress.github.io/secure-verify-ca-secret', 'kube-system/x', 'names a Secret'],
      ['haproxy.org/cr-backend', 'kube-system/admin', 'names HAProxy custom resources'],
      // The AWS Load Balancer Controller merges a backend Service's annotations into its Ingress's auth.
      [
        'alb.ingress.kubernetes.io/auth-idp-oidc',
        '{"issuer":"https://idp.example.com","secretName":"x"}',
        'names a Secret',
      ],
      [
        'traefik.ingress.kubernetes.io/service.serverstransport',
        'kube-system-mtls@kubernetescrd',
        'names a Traefik ServersTransport of host namespaces',
      ],
    ])(
      'an object of the host namespace (%s: %s): no host copy, and a SyncError names it',
      async (key, value, why) => {
        const table = await withService(annotated({ [key]: value }));
        expect(hostSvc(table)).toBeUndefined();
        expect(syncErrors(table)).toEqual([expect.stringContaining(`${JSON.stringify(key)}] ${why}`)]);
      },
    );

    it("a URL holding what would end the host controller's directive (a line break): no host copy", async () => {
      const key = 'haproxy-ingress.github.io/auth-url';
      const table = await withService(annotated({ [key]: 'https://auth.example.com/\nhttp-request x' }));
      expect(hostSvc(table)).toBeUndefined();
      expect(syncErrors(table)).toEqual([
        `metadata.annotations[${JSON.stringify(key)}]: "\\n" could end a directive of the host's shared ingress controller's configuration, which would then run what follows (no value of this annotation needs it)`,
      ]);
    });

    it('annotated since with a snippet: the host copy goes', async () => {
      const table = await withService(service('web'));
      expect(hostSvc(table)).toBeDefined();
      const current = virtualSvc(table)!;
      await table.virtual.update(SVC, 'team', {
        ...current,
        metadata: { ...current.metadata, annotations: { 'haproxy.org/backend-config-snippet': 'x' } },
      });
      await table.settle();
      expect(hostSvc(table)).toBeUndefined();
      expect(syncErrors(table).join(' ')).toContain('haproxy.org/backend-config-snippet');
    });

    it('other annotations are copied', async () => {
      const annotations = { 'haproxy.org/load-balance': 'leastconn', 'example.com/team': 'a' };
      const table = await withService(annotated(annotations));
      expect(hostSvc(table)?.metadata?.annotations).toMatchObject(annotations);
    });
  });

  it('externalIPs a tenant sets never reach the host', async () => {
    const table = await withService(service('web', { externalIPs: ['10.0.0.1'] }));
    expect(specOf(hostSvc(table)).externalIPs).toBeUndefined();
  });

  it("the virtual API server's own default/kubernetes Service is never copied", async () => {
    const table = await withService(service('kubernetes', { selector: undefined }, 'default'));
    expect(table.host.writeLog()).toEqual([]);
  });

  it('an unmanaged host Service in the way: untouched, SyncError, and the tenant keeps its Service', async () => {
    const table = await start({
      kinds: ['services'],
      host: [
        [
          SVC,
          {
            metadata: { name: hostName('web'), namespace: HOST_NS },
            spec: { clusterIP: '10.96.2.99', ports: [{ port: 1 }] },
          },
        ],
      ],
    });
    await table.virtual.create(SVC, 'team', service('web'));
    await table.settle();
    expect(table.host.writeLog()).toEqual([]);
    expect(virtualSvc(table)).toBeDefined();
    expect(table.virtual.objects(Resources.events, 'team').map((e) => e.reason)).toEqual(['SyncError']);
  });

  it('virtual Service deleted: its host copy goes', async () => {
    const table = await withService(service('web'));
    expect(hostSvc(table)).toBeDefined();
    await table.virtual.delete(SVC, 'team', 'web');
    await table.settle();
    expect(hostSvc(table)).toBeUndefined();
  });
});
