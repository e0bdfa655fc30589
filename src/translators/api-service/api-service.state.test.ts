import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type StateTable } from '../../testing/state-table.ts';
import { specOf } from '../services/translate.ts';

const start = stateTables();
const SVC = Resources.services;
const EP = Resources.endpoints;
const HOST_API_IP = '10.96.2.200';

/** The host Service the chart puts in front of the virtual API server. */
const hostApiService = (ip = HOST_API_IP): KubeObject => ({
  metadata: { name: VC, namespace: HOST_NS, uid: 'host-api-uid' },
  spec: {
    clusterIP: ip,
    clusterIPs: [ip],
    ports: [{ name: 'https', port: 443, targetPort: 6443, protocol: 'TCP' }],
  },
});
/** The virtual API server's own Service, with the IP it picked itself. */
const virtualKubernetes = (): KubeObject => ({
  metadata: {
    name: 'kubernetes',
    namespace: 'default',
    uid: 'own-uid',
    labels: { component: 'apiserver', provider: 'kubernetes' },
  },
  spec: {
    clusterIP: '10.96.1.1',
    clusterIPs: ['10.96.1.1'],
    ports: [{ name: 'https', port: 443, targetPort: 6443, protocol: 'TCP' }],
  },
});
const hostApiEndpoints = (ip: string): KubeObject => ({
  metadata: { name: VC, namespace: HOST_NS },
  subsets: [
    {
      addresses: [{ ip, targetRef: { kind: 'Pod', name: `${VC}-0`, namespace: HOST_NS } }],
      ports: [{ name: 'api', port: 6443, protocol: 'TCP' }],
    },
  ],
});

const kubernetesService = (t: StateTable) =>
  t.virtual.objects(SVC, 'default').find((s) => s.metadata?.name === 'kubernetes');
const kubernetesEndpoints = (t: StateTable) =>
  t.virtual.objects(EP, 'default').find((s) => s.metadata?.name === 'kubernetes');
const kubernetesSlices = (t: StateTable) => t.virtual.objects(Resources.endpointSlices, 'default');

describe('api-service state table', () => {
  it("with the chart's metrics port beside the API's: the virtual Endpoints hold the API's port only", async () => {
    const twoPorts: KubeObject = {
      ...hostApiService(),
      spec: {
        ...specOf(hostApiService()),
        ports: [
          { name: 'https', port: 443, targetPort: 6443, protocol: 'TCP' },
          { name: 'metrics', port: 8080, targetPort: 8080, protocol: 'TCP' },
        ],
      },
    };
    const endpoints: KubeObject = {
      metadata: { name: VC, namespace: HOST_NS },
      subsets: [
        {
          addresses: [{ ip: '10.244.0.7' }],
          ports: [
            { name: 'metrics', port: 8080, protocol: 'TCP' },
            { name: 'https', port: 6443, protocol: 'TCP' },
          ],
        },
        // Addresses serving only the other port (mid-rollout): no API endpoint.
        { addresses: [{ ip: '10.244.0.8' }], ports: [{ name: 'metrics', port: 8080, protocol: 'TCP' }] },
      ],
    };
    const table = await start({
      kinds: ['api-service'],
      host: [
        [SVC, twoPorts],
        [EP, endpoints],
      ],
      virtual: [[SVC, virtualKubernetes()]],
    });
    await table.settle();
    expect(kubernetesEndpoints(table)!.subsets).toEqual([
      { addresses: [{ ip: '10.244.0.7' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] },
    ]);
  });

  it('moves default/kubernetes to the host API service IP, keeping what the API server set', async () => {
    const table = await start({
      kinds: ['api-service'],
      host: [[SVC, hostApiService()]],
      virtual: [[SVC, virtualKubernetes()]],
    });
    await table.settle();
    const svc = kubernetesService(table)!;
    expect(specOf(svc).clusterIP).toBe(HOST_API_IP);
    expect(specOf(svc).ports).toEqual(specOf(virtualKubernetes()).ports);
    expect(svc.metadata?.labels).toEqual({ component: 'apiserver', provider: 'kubernetes' });
    expect(table.writes()).toEqual([
      'virtual: delete services default/kubernetes',
      'virtual: create services default/kubernetes',
    ]);
    // Settled: nothing more to write.
    await table.settle();
    expect(table.writes()).toHaveLength(2);
  });

  it('makes default/kubernetes when the API server has none yet', async () => {
    const table = await start({ kinds: ['api-service'], host: [[SVC, hostApiService()]] });
    await table.settle();
    expect(specOf(kubernetesService(table)).clusterIP).toBe(HOST_API_IP);
    expect(specOf(kubernetesService(table)).ports).toEqual([
      { name: 'https', protocol: 'TCP', port: 443, targetPort: 6443 },
    ]);
  });

  it('copies the host endpoints under the virtual port name, without host pod references, and reverts tenant edits', async () => {
    const table = await start({
      kinds: ['api-service'],
      host: [
        [SVC, hostApiService()],
        [EP, hostApiEndpoints('10.244.0.7')],
      ],
      virtual: [[SVC, virtualKubernetes()]],
    });
    await table.settle();
    expect(kubernetesEndpoints(table)!.subsets).toEqual([
      { addresses: [{ ip: '10.244.0.7' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] },
    ]);

    // The API server's pod moves: the virtual endpoints follow.
    const hostEp = table.host.objects(EP, HOST_NS)[0]!;
    await table.host.update(EP, HOST_NS, {
      ...hostEp,
      ...hostApiEndpoints('10.244.0.9'),
      metadata: hostEp.metadata,
    });
    await table.settle();
    expect(kubernetesEndpoints(table)!.subsets).toEqual([
      { addresses: [{ ip: '10.244.0.9' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] },
    ]);

    // A tenant points the API endpoints elsewhere: put back.
    const ep = kubernetesEndpoints(table)!;
    await table.virtual.update(EP, 'default', {
      ...ep,
      subsets: [{ addresses: [{ ip: '6.6.6.6' }], ports: [{ port: 1 }] }],
    });
    await table.settle();
    expect(
      (kubernetesEndpoints(table)!.subsets as { addresses: { ip: string }[] }[])[0]!.addresses[0]!.ip,
    ).toBe('10.244.0.9');
  });

  it('writes the EndpointSlice default/kubernetes as the API server does (the Endpoints skip mirroring), follows the host and reverts tenant edits', async () => {
    const table = await start({
      kinds: ['api-service'],
      host: [
        [SVC, hostApiService()],
        [EP, hostApiEndpoints('10.244.0.7')],
      ],
      virtual: [[SVC, virtualKubernetes()]],
    });
    await table.settle();
    const slice = () => {
      const all = kubernetesSlices(table);
      expect(all.map((s) => s.metadata?.name)).toEqual(['kubernetes']);
      return all[0]!;
    };
    expect(slice()).toMatchObject({
      metadata: { labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.0.7'], conditions: { ready: true } }],
      ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
    });
    expect(kubernetesEndpoints(table)!.metadata?.labels).toEqual({
      'endpointslice.kubernetes.io/skip-mirror': 'true',
    });

    // The API server's pod moves: the slice follows.
    const hostEp = table.host.objects(EP, HOST_NS)[0]!;
    await table.host.update(EP, HOST_NS, {
      ...hostEp,
      ...hostApiEndpoints('10.244.0.9'),
      metadata: hostEp.metadata,
    });
    await table.settle();
    expect(slice().endpoints).toEqual([{ addresses: ['10.244.0.9'], conditions: { ready: true } }]);

    // A tenant points it elsewhere: put back.
    await table.virtual.update(Resources.endpointSlices, 'default', {
      ...slice(),
      endpoints: [{ addresses: ['6.6.6.6'], conditions: { ready: true } }],
    });
    await table.settle();
    expect(slice().endpoints).toEqual([{ addresses: ['10.244.0.9'], conditions: { ready: true } }]);

    // Deleted: made again. And once in place, nothing more is written.
    await table.virtual.delete(Resources.endpointSlices, 'default', 'kubernetes');
    await table.settle();
    expect(slice().endpoints).toEqual([{ addresses: ['10.244.0.9'], conditions: { ready: true } }]);
    table.virtual.clearWrites();
    table.host.clearWrites();
    table.controllers.get('api-service')!.controller.enqueue(`${HOST_NS}/${VC}`);
    await table.settle();
    expect(table.writes()).toEqual([]);
  });

  it('an IPv6 API server gets an IPv6 slice; the Endpoints an earlier syncer left unlabelled get skip-mirror', async () => {
    const table = await start({
      kinds: ['api-service'],
      host: [
        [SVC, hostApiService()],
        [EP, hostApiEndpoints('fd00:10:244::7')],
      ],
      virtual: [
        [SVC, virtualKubernetes()],
        [
          EP,
          {
            metadata: { name: 'kubernetes', namespace: 'default' },
            subsets: [
              {
                addresses: [{ ip: 'fd00:10:244::7' }],
                ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
              },
            ],
          },
        ],
      ],
    });
    await table.settle();
    expect(kubernetesSlices(table)[0]).toMatchObject({
      addressType: 'IPv6',
      endpoints: [{ addresses: ['fd00:10:244::7'] }],
    });
    expect(kubernetesEndpoints(table)!.metadata?.labels?.['endpointslice.kubernetes.io/skip-mirror']).toBe(
      'true',
    );
  });

  it('a tenant re-creating default/kubernetes with another IP gets the host IP back', async () => {
    const table = await start({
      kinds: ['api-service'],
      host: [[SVC, hostApiService()]],
      virtual: [[SVC, virtualKubernetes()]],
    });
    await table.settle();
    const svc = kubernetesService(table)!;
    await table.virtual.delete(SVC, 'default', 'kubernetes', { uid: svc.metadata?.uid });
    await table.virtual.create(SVC, 'default', virtualKubernetes());
    await table.settle();
    expect(specOf(kubernetesService(table)).clusterIP).toBe(HOST_API_IP);
  });

  it('waits while a tenant Service holds the host API IP, quietly, and takes the IP once it is free', async () => {
    const squatter: KubeObject = {
      metadata: { name: 'squatter', namespace: 'default', uid: 'squatter-uid' },
      spec: { clusterIP: HOST_API_IP, clusterIPs: [HOST_API_IP], ports: [{ port: 80, protocol: 'TCP' }] },
    };
    const table = await start({
      kinds: ['api-service'],
      host: [[SVC, hostApiService()]],
      virtual: [
        [SVC, virtualKubernetes()],
        [SVC, squatter],
      ],
    });
    await table.settle();
    // Refused (the IP is allocated): a wait, not a failure the tenant is told about.
    expect(table.virtual.objects(Resources.events)).toEqual([]);
    await table.virtual.delete(SVC, 'default', 'squatter', { uid: 'squatter-uid' });
    for (let i = 0; i < 6 && specOf(kubernetesService(table)).clusterIP !== HOST_API_IP; i++) {
      table.clock.advance(1_000 * 2 ** i);
      await table.settle();
    }
    expect(specOf(kubernetesService(table)).clusterIP).toBe(HOST_API_IP);
  });

  it('keeps default/kubernetes when the host API service goes, and ignores every other host Service', async () => {
    const table = await start({
      kinds: ['api-service'],
      host: [
        [SVC, hostApiService()],
        [SVC, { metadata: { name: 'other', namespace: HOST_NS }, spec: { clusterIP: '10.96.2.201' } }],
      ],
      virtual: [[SVC, virtualKubernetes()]],
    });
    await table.settle();
    const before = table.virtual.writeLog().length;
    await table.host.delete(SVC, HOST_NS, VC);
    await table.settle();
    expect(table.virtual.writeLog()).toHaveLength(before);
    expect(specOf(kubernetesService(table)).clusterIP).toBe(HOST_API_IP);
    expect(table.writes().some((w) => w.includes('other'))).toBe(false);
  });
});
