import type { KubeObject } from '../../kube/object.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed } from '../../testing/state-table.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: 'team',
  uid: `v-${name}`,
  ...extra,
});

interface TenantRow {
  kind: string;
  flags?: Record<string, unknown>;
  type: ResourceType;
  object: KubeObject;
  /** The SyncError the tenant sees on its object. */
  message: string;
}

/** Malformed tenant objects, one per kind that copies them to the host. */
const tenantRows: [string, TenantRow][] = [
  [
    'a pod with a label value that is no string',
    {
      kind: 'pods',
      type: Resources.pods,
      object: {
        metadata: meta('web', { labels: { app: 7 } }),
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      },
      message: 'malformed pod: metadata.labels["app"] must be a string',
    },
  ],
  [
    'a service whose ports are no list',
    {
      kind: 'services',
      type: Resources.services,
      object: { metadata: meta('web'), spec: { selector: { app: 'web' }, ports: { port: 80 } } },
      message: 'malformed service: spec.ports must be a list',
    },
  ],
  [
    'a config map with a data value that is no string',
    {
      kind: 'configmaps',
      flags: { syncAllConfigmaps: 'true' },
      type: Resources.configMaps,
      object: { metadata: meta('cfg'), data: { k: 1 } },
      message: 'malformed ConfigMap: data["k"] must be a string',
    },
  ],
  [
    'a secret whose type is no string',
    {
      kind: 'secrets',
      flags: { syncAllSecrets: 'true' },
      type: Resources.secrets,
      object: { metadata: meta('creds'), type: { name: 'Opaque' }, data: { k: 'dg==' } },
      message: 'malformed Secret: type must be a string',
    },
  ],
  [
    'a network policy whose ingress is no list',
    {
      kind: 'networkpolicies',
      type: Resources.networkPolicies,
      object: { metadata: meta('db'), spec: { podSelector: {}, ingress: { from: [] } } },
      message: 'malformed network policy: spec.ingress must be a list',
    },
  ],
  [
    'an ingress whose TLS secret name is no string',
    {
      kind: 'ingresses',
      type: Resources.ingresses,
      object: { metadata: meta('web'), spec: { tls: [{ secretName: { name: 'tls' } }] } },
      message: 'malformed ingress: spec.tls[0].secretName must be a string',
    },
  ],
];

describe('malformed objects through their kinds', () => {
  it.each(tenantRows)('%s: nothing on the host, a SyncError that names the field', async (_what, row) => {
    const table = await start({ kinds: [row.kind], flags: row.flags, virtual: [[row.type, row.object]] });
    await table.settle();
    expect(table.host.writeLog()).toEqual([]);
    const events = table.virtual.objects(Resources.events, 'team');
    expect(events.map((e) => [e.reason, e.message])).toEqual([['SyncError', row.message]]);
    // Terminal: refused once, not retried.
    const key = `team/${row.object.metadata!.name}`;
    expect(table.controllers.get(row.kind)!.controller.queue.numRequeues(key)).toBe(0);
  });

  it('a malformed host node is shown to no tenant, and not retried', async () => {
    const pod: Seed = [
      Resources.pods,
      { metadata: meta('p'), spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i' }] } },
    ];
    const node: Seed = [
      Resources.nodes,
      { metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } }, spec: { taints: {} } },
    ];
    // The host placed the pod there: the node would be the host node's copy.
    const hostPod: Seed = [
      Resources.pods,
      {
        metadata: {
          name: `p-x-team-x-${VC}`,
          namespace: HOST_NS,
          labels: { 'vcluster.loft.sh/managed-by': VC },
        },
        spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i' }] },
      },
    ];
    const table = await start({
      kinds: ['nodes'],
      flags: { syncRealNodes: 'true' },
      virtual: [pod],
      host: [node, hostPod],
    });
    await table.settle();
    expect(table.virtual.writeLog()).toEqual([]);
    expect(table.controllers.get('nodes')!.controller.queue.numRequeues('n1')).toBe(0);
  });

  it('a malformed host storage class is shown to no tenant, and not retried', async () => {
    const storageClass: Seed = [
      Resources.storageClasses,
      // As a broken cache could hand it over: typed as a label map, holding a number.
      {
        metadata: { name: 'fast', labels: { tier: 7 } as Record<string, unknown> as Record<string, string> },
      },
    ];
    const table = await start({ kinds: ['host-storageclasses'], host: [storageClass] });
    await table.settle();
    expect(table.virtual.writeLog()).toEqual([]);
    expect(table.controllers.get('host-storageclasses')!.controller.queue.numRequeues('fast')).toBe(0);
  });

  it('a malformed host event is skipped without a retry; a well-formed one is still copied', async () => {
    const hostPod = `web-x-team-x-${VC}`;
    const virtualPod: Seed = [
      Resources.pods,
      { metadata: meta('web'), spec: { containers: [{ name: 'c', image: 'i' }] } },
    ];
    const hostPodSeed: Seed = [
      Resources.pods,
      {
        metadata: {
          name: hostPod,
          namespace: HOST_NS,
          uid: 'host-uid',
          labels: { 'vcluster.loft.sh/managed-by': VC },
          annotations: {
            'vcluster.loft.sh/object-name': 'web',
            'vcluster.loft.sh/object-namespace': 'team',
            'vcluster.loft.sh/object-uid': 'v-web',
            'vcluster.loft.sh/object-kind': '/v1, Kind=Pod',
          },
        },
        spec: { containers: [{ name: 'c', image: 'i' }] },
      },
    ];
    const event = (name: string, involvedName: unknown): Seed => [
      Resources.events,
      {
        metadata: { name, namespace: HOST_NS },
        involvedObject: { kind: 'Pod', name: involvedName, namespace: HOST_NS, uid: 'host-uid' },
        reason: 'Pulled',
        message: 'Successfully pulled image',
        type: 'Normal',
        count: 1,
      },
    ];
    const table = await start({
      kinds: ['pods', 'events'],
      virtual: [virtualPod],
      host: [hostPodSeed, event('broken.abc123', 42), event(`${hostPod}.def456`, hostPod)],
    });
    await table.settle();
    expect(table.virtual.objects(Resources.events, 'team').map((e) => e.metadata?.name)).toEqual([
      'web.def456',
    ]);
    expect(table.controllers.get('events')!.controller.queue.numRequeues(`${HOST_NS}/broken.abc123`)).toBe(0);
  });
});
