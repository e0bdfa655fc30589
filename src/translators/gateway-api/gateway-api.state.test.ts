import type { KubeObject } from '../../kube/object.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type StateTable } from '../../testing/state-table.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const GW = Resources.gateways;
const HR = Resources.httpRoutes;
const SVC = Resources.services;
const SECRETS = Resources.secrets;
const CM = Resources.configMaps;
const GRANTS = Resources.referenceGrants;
const GROUP = 'gateway.networking.k8s.io';
/** Where a reference to nothing points: a name of the referring object's own. */
const ABSENT = expect.stringMatching(/^vsyncer-absent-[0-9a-f]{20}$/);
const hostName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;
const ALL_KINDS = [
  'gateways',
  'httproutes',
  'grpcroutes',
  'tlsroutes',
  'referencegrants',
  'backendtlspolicies',
  'services',
  'secrets',
  'configmaps',
];

const obj = (type: ResourceType, name: string, spec: unknown, ns = 'team'): KubeObject => ({
  apiVersion: `${type.group}/${type.version}`,
  kind: type.kind,
  metadata: { name, namespace: ns, labels: { app: name } },
  spec,
});
const service = (name: string, ns = 'team'): KubeObject => ({
  metadata: { name, namespace: ns },
  spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
});
const secret = (name: string, ns = 'team'): KubeObject => ({
  metadata: { name, namespace: ns },
  type: 'kubernetes.io/tls',
  data: { 'tls.crt': 'Yw==', 'tls.key': 'aw==' },
});
const configMap = (name: string, ns = 'team'): KubeObject => ({
  metadata: { name, namespace: ns },
  data: { 'ca.crt': 'c' },
});
const listener = (extra: Record<string, unknown> = {}) => ({
  name: 'http',
  port: 80,
  protocol: 'HTTP',
  ...extra,
});
const gateway = (name: string, listeners: unknown[], ns = 'team') =>
  obj(GW, name, { gatewayClassName: 'host-class', listeners }, ns);
const route = (parentRefs: unknown[], rules: unknown[], ns = 'team', name = 'web') =>
  obj(HR, name, { parentRefs, rules }, ns);
const backend = (name: string, namespace?: string) => ({
  name,
  port: 80,
  ...(namespace ? { namespace } : {}),
});
const grant = (ns: string, fromKind: string, fromNs: string, to: Record<string, unknown>) =>
  obj(GRANTS, 'allow', { from: [{ group: GROUP, kind: fromKind, namespace: fromNs }], to: [to] }, ns);

const hostObject = (t: StateTable, type: ResourceType, name: string, ns = 'team') =>
  t.host.objects(type, HOST_NS).find((o) => o.metadata?.name === hostName(name, ns));
const virtualObject = (t: StateTable, type: ResourceType, name: string, ns = 'team') =>
  t.virtual.objects(type, ns).find((o) => o.metadata?.name === name);
type Spec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const specOf = (o: KubeObject | undefined) => (o?.spec ?? {}) as Spec;
const events = (t: StateTable, kind: string, ns = 'team') =>
  t.virtual
    .objects(Resources.events, ns)
    .filter((e) => (e.involvedObject as { kind?: string }).kind === kind)
    .map((e) => ({ reason: e.reason, message: e.message as string }));

/** A table running the Gateway API kinds and the kinds whose copies they name. */
async function withObjects(
  objects: [ResourceType, KubeObject][],
  host: [ResourceType, KubeObject][] = [],
  flags?: Record<string, unknown>,
) {
  const table = await start({ kinds: ALL_KINDS, host, flags });
  for (const [type, o] of objects) await table.virtual.create(type, o.metadata!.namespace!, o);
  await table.settle();
  return table;
}

describe('gateways state table', () => {
  it("a Gateway: certificates renamed to this tenant's copies (synced for it), class kept, routes only from its own host namespace", async () => {
    const table = await withObjects([
      [SECRETS, secret('tls')],
      [
        GW,
        gateway('gw', [
          listener({
            name: 'https',
            port: 443,
            protocol: 'HTTPS',
            tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'tls' }] },
            allowedRoutes: { namespaces: { from: 'All' } },
          }),
        ]),
      ],
    ]);
    const host = hostObject(table, GW, 'gw')!;
    expect(specOf(host)).toEqual({
      gatewayClassName: 'host-class',
      listeners: [
        {
          name: 'https',
          port: 443,
          protocol: 'HTTPS',
          tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: hostName('tls') }] },
          allowedRoutes: { namespaces: { from: 'Same' } },
        },
      ],
    });
    expect(host.metadata?.annotations).toMatchObject({
      'vcluster.loft.sh/object-kind': 'gateway.networking.k8s.io/v1, Kind=Gateway',
      'vcluster.loft.sh/object-name': 'gw',
    });
    expect(table.host.objects(SECRETS, HOST_NS).map((s) => s.metadata?.name)).toEqual([hostName('tls')]);
    expect(events(table, 'Gateway')).toEqual([]);
    // Created once, after the secret copy it names: never pointed elsewhere first.
    expect(table.host.writeLog().filter((w) => w.includes('gateways'))).toEqual([
      `create gateways ${HOST_NS}/${hostName('gw')}`,
    ]);
    // Deleting the Gateway deletes its copy and the secret copy nobody else uses.
    await table.virtual.delete(GW, 'team', 'gw');
    await table.settle();
    expect(table.host.objects(GW, HOST_NS)).toEqual([]);
    expect(table.host.objects(SECRETS, HOST_NS)).toEqual([]);
  });

  it('a certificate of another namespace: the Gateway is refused without a ReferenceGrant there (RefNotPermitted), synced once one allows it', async () => {
    const gw = gateway('gw', [
      listener({
        port: 443,
        protocol: 'HTTPS',
        tls: { certificateRefs: [{ name: 'tls', namespace: 'certs' }] },
      }),
    ]);
    const table = await withObjects([
      [SECRETS, secret('tls', 'certs')],
      [GW, gw],
    ]);
    const certName = () => specOf(hostObject(table, GW, 'gw')).listeners[0].tls.certificateRefs[0];
    expect(hostObject(table, GW, 'gw')).toBeUndefined();
    expect(events(table, 'Gateway')).toEqual([
      {
        reason: 'RefNotPermitted',
        message:
          'Gateway API reference not permitted: Secret "tls" of namespace certs (spec.listeners[0].tls.certificateRefs[0].name): no ReferenceGrant in namespace certs allows it; this Gateway is not synced',
      },
    ]);
    await table.virtual.create(
      GRANTS,
      'certs',
      grant('certs', 'Gateway', 'team', { group: '', kind: 'Secret' }),
    );
    await table.settle();
    expect(certName()).toEqual({ name: hostName('tls', 'certs') });
  });

  it("another namespace's Secrets and CA bundle a Gateway names are copied only while a ReferenceGrant there allows it (the host namespace is shared), and their copies go with it; the Gateway is synced only while all are allowed", async () => {
    const table = await withObjects([
      [SECRETS, secret('db-creds', 'certs')],
      [SECRETS, secret('client', 'certs')],
      [CM, configMap('ca', 'certs')],
      [
        GW,
        obj(GW, 'gw', {
          gatewayClassName: 'host-class',
          listeners: [
            listener({
              port: 443,
              protocol: 'HTTPS',
              tls: { certificateRefs: [{ name: 'db-creds', namespace: 'certs' }] },
            }),
          ],
          tls: {
            backend: { clientCertificateRef: { name: 'client', namespace: 'certs' } },
            frontend: {
              default: { validation: { caCertificateRefs: [{ name: 'ca', namespace: 'certs' }] } },
            },
          },
        }),
      ],
    ]);
    const copies = (type: ResourceType) => table.host.objects(type, HOST_NS).map((o) => o.metadata?.name);
    const named = () => {
      const spec = specOf(hostObject(table, GW, 'gw'));
      return [
        spec.listeners[0].tls.certificateRefs[0].name,
        spec.tls.backend.clientCertificateRef.name,
        spec.tls.frontend.default.validation.caCertificateRefs[0].name,
      ];
    };
    const setGrant = async (to: Record<string, unknown>[], fromKind = 'Gateway') => {
      const current = virtualObject(table, GRANTS, 'allow', 'certs');
      const spec = { from: [{ group: GROUP, kind: fromKind, namespace: 'team' }], to };
      if (current) await table.virtual.update(GRANTS, 'certs', { ...current, spec });
      else await table.virtual.create(GRANTS, 'certs', obj(GRANTS, 'allow', spec, 'certs'));
      await table.settle();
    };
    expect(hostObject(table, GW, 'gw')).toBeUndefined();
    expect(copies(SECRETS)).toEqual([]);
    expect(copies(CM)).toEqual([]);
    // A grant to another kind of object allows nothing.
    await setGrant([{ group: '', kind: 'Secret' }], 'HTTPRoute');
    expect(copies(SECRETS)).toEqual([]);
    await setGrant([{ group: '', kind: 'Secret' }]);
    expect(copies(SECRETS).sort()).toEqual([hostName('client', 'certs'), hostName('db-creds', 'certs')]);
    expect(copies(CM)).toEqual([]);
    // The CA bundle is still not allowed: no Gateway on the host.
    expect(hostObject(table, GW, 'gw')).toBeUndefined();
    await setGrant([
      { group: '', kind: 'Secret', name: 'db-creds' },
      { group: '', kind: 'ConfigMap', name: 'ca' },
    ]);
    expect(copies(SECRETS)).toEqual([hostName('db-creds', 'certs')]);
    expect(copies(CM)).toEqual([hostName('ca', 'certs')]);
    expect(hostObject(table, GW, 'gw')).toBeUndefined();
    await setGrant([
      { group: '', kind: 'Secret' },
      { group: '', kind: 'ConfigMap', name: 'ca' },
    ]);
    expect(named()).toEqual([
      hostName('db-creds', 'certs'),
      hostName('client', 'certs'),
      hostName('ca', 'certs'),
    ]);
    await table.virtual.delete(GRANTS, 'certs', 'allow');
    await table.settle();
    expect(copies(SECRETS)).toEqual([]);
    expect(copies(CM)).toEqual([]);
    expect(hostObject(table, GW, 'gw')).toBeUndefined();
  });

  it("a Gateway naming a cert-manager Issuer (of the host namespace, never the tenant's) is refused, and its copy goes once it does", async () => {
    const issuer = { 'cert-manager.io/issuer': 'internal-ca' };
    const refused = await withObjects([
      [
        GW,
        { ...gateway('gw', [listener()]), metadata: { name: 'gw', namespace: 'team', annotations: issuer } },
      ],
    ]);
    expect(hostObject(refused, GW, 'gw')).toBeUndefined();
    expect(
      events(refused, 'Gateway')
        .map((e) => e.message)
        .join(' '),
    ).toContain('cert-manager.io/issuer');

    const table = await withObjects([[GW, gateway('gw', [listener()])]]);
    expect(hostObject(table, GW, 'gw')).toBeDefined();
    const current = virtualObject(table, GW, 'gw')!;
    await table.virtual.update(GW, 'team', {
      ...current,
      metadata: { ...current.metadata, annotations: issuer },
    });
    await table.settle();
    expect(hostObject(table, GW, 'gw')).toBeUndefined();
  });

  it.each([
    [
      'metadata.annotations',
      (gw: KubeObject, a: Record<string, string>) => ({
        ...gw,
        metadata: { ...gw.metadata, annotations: a },
      }),
    ],
    [
      'spec.infrastructure.annotations',
      (gw: KubeObject, a: Record<string, string>) => ({
        ...gw,
        spec: { ...specOf(gw), infrastructure: { annotations: a } },
      }),
    ],
  ])(
    'a Gateway telling Istio which host ServiceAccount its pods run as, or what to name what it makes (%s), is refused',
    async (field, annotate) => {
      const tries: Record<string, string>[] = [
        { 'gateway.istio.io/service-account': 'vc-vsyncer' },
        { 'gateway.istio.io/name-override': 'db-x-prod-x-othervc' },
      ];
      for (const annotations of tries) {
        const table = await withObjects([[GW, annotate(gateway('gw', [listener()]), annotations)]]);
        expect(hostObject(table, GW, 'gw')).toBeUndefined();
        const key = Object.keys(annotations)[0]!;
        expect(events(table, 'Gateway').map((e) => e.message)).toContainEqual(
          expect.stringContaining(`${field}[${JSON.stringify(key)}]`),
        );
        await table.stop();
      }
    },
  );

  it("a Gateway of the layout before Gateway API v1.4 (listener frontendValidation, spec.backendTLS) names only this tenant's copies, never a host name as written", async () => {
    const table = await withObjects([
      [SECRETS, secret('client', 'team')],
      [
        GW,
        obj(GW, 'gw', {
          gatewayClassName: 'host-class',
          listeners: [
            listener({
              port: 443,
              protocol: 'HTTPS',
              tls: {
                mode: 'Terminate',
                certificateRefs: [{ name: 'client' }],
                frontendValidation: { caCertificateRefs: [{ kind: 'ConfigMap', name: 'ca-x-other-x-vc' }] },
              },
            }),
          ],
          backendTLS: { clientCertificateRef: { kind: 'Secret', name: 'client-cert-x-victim-x-vc' } },
        }),
      ],
    ]);
    const spec = specOf(hostObject(table, GW, 'gw'));
    expect(spec.listeners[0].tls.frontendValidation.caCertificateRefs[0].name).toEqual(ABSENT);
    expect(spec.backendTLS.clientCertificateRef.name).toEqual(ABSENT);
    // One the tenant has is its copy, as in the current layout.
    const current = virtualObject(table, GW, 'gw')!;
    await table.virtual.update(GW, 'team', {
      ...current,
      spec: { ...specOf(current), backendTLS: { clientCertificateRef: { kind: 'Secret', name: 'client' } } },
    });
    await table.settle();
    expect(specOf(hostObject(table, GW, 'gw')).backendTLS.clientCertificateRef.name).toBe(hostName('client'));
  });

  it("a Gateway's infrastructure annotations lose the load-balancer address sharing keys, as a Service copy does", async () => {
    const table = await withObjects([
      [
        GW,
        obj(GW, 'gw', {
          gatewayClassName: 'c',
          listeners: [listener()],
          infrastructure: {
            annotations: {
              'metallb.universe.tf/allow-shared-ip': 'victim-key',
              'lbipam.cilium.io/sharing-key': 'victim-key',
              'example.com/kept': 'yes',
            },
          },
        }),
      ],
    ]);
    expect(specOf(hostObject(table, GW, 'gw')).infrastructure.annotations).toEqual({
      'example.com/kept': 'yes',
    });
  });

  it("a Gateway's own labels and annotations are held to the same keys: with no infrastructure, Istio puts them on the gateway's pods and Service, and reads its proxy image there", async () => {
    const gw = obj(GW, 'gw', { gatewayClassName: 'c', listeners: [listener()] });
    gw.metadata = {
      ...gw.metadata,
      labels: { app: 'gw', 'azure.workload.identity/use': 'true' },
      annotations: {
        'sidecar.istio.io/proxyImage': 'docker.io/attacker/evil:latest',
        'iam.amazonaws.com/role': 'arn:aws:iam::111122223333:role/host-admin',
        'metallb.universe.tf/allow-shared-ip': 'victim-key',
        'lbipam.cilium.io/sharing-key': 'victim-key',
        'example.com/kept': 'yes',
      },
    };
    const table = await withObjects([[GW, gw]]);
    const copy = hostObject(table, GW, 'gw')!;
    expect(copy.metadata?.labels?.app).toBe('gw');
    expect(copy.metadata?.labels?.['azure.workload.identity/use']).toBeUndefined();
    expect(
      Object.keys(copy.metadata?.annotations ?? {}).filter(
        (k) => !/^(vcluster.loft.sh|vsyncer.dev)\//.test(k),
      ),
    ).toEqual(['example.com/kept']);
    // The tenant's Gateway keeps what it wrote.
    expect(virtualObject(table, GW, 'gw')?.metadata?.annotations?.['sidecar.istio.io/proxyImage']).toBe(
      'docker.io/attacker/evil:latest',
    );
  });

  it('an infrastructure parametersRef names no host object', async () => {
    const table = await withObjects([
      [
        GW,
        obj(GW, 'gw', {
          gatewayClassName: 'c',
          listeners: [listener()],
          infrastructure: { parametersRef: { group: '', kind: 'ConfigMap', name: 'params' } },
        }),
      ],
    ]);
    expect(specOf(hostObject(table, GW, 'gw')).infrastructure.parametersRef.name).toEqual(ABSENT);
    expect(events(table, 'Gateway')[0]!.message).toContain('objects of this kind are not synced to the host');
  });

  it("infrastructure labels cannot forge the syncer's ownership of what the host's gateway controller makes from them", async () => {
    // Gateway controllers (Istio, Envoy Gateway, Cilium, ...) put spec.infrastructure.labels and
    // annotations on the Deployment, Service and pods they make for a Gateway in its namespace: on the
    // host, the shared host namespace.
    const forged = {
      labels: { 'vcluster.loft.sh/managed-by': VC, tier: 'edge' },
      annotations: {
        'vcluster.loft.sh/object-kind': '/v1, Kind=Service',
        'vcluster.loft.sh/object-name': 'gone',
        'vcluster.loft.sh/object-namespace': 'team',
      },
    };
    const table = await withObjects([
      [GW, obj(GW, 'gw', { gatewayClassName: 'c', listeners: [listener()], infrastructure: forged })],
    ]);
    const infrastructure = specOf(hostObject(table, GW, 'gw')).infrastructure;
    expect(infrastructure.labels.tier).toBe('edge');
    expect(infrastructure.labels['vcluster.loft.sh/managed-by']).toBeUndefined();
    // What the host's controller makes from the copy: not the syncer's, so never deleted by it.
    await table.host.create(SVC, HOST_NS, {
      metadata: {
        name: `${hostName('gw')}-c`,
        namespace: HOST_NS,
        labels: infrastructure.labels,
        annotations: infrastructure.annotations,
      },
      spec: { ports: [{ port: 80 }] },
    });
    await table.settle();
    expect(table.host.objects(SVC, HOST_NS).map((s) => s.metadata?.name)).toEqual([`${hostName('gw')}-c`]);
  });

  it("infrastructure annotations alone cannot forge it either: Istio then labels what it makes with the copy's own labels", async () => {
    const forged = {
      annotations: {
        'vcluster.loft.sh/object-kind': '/v1, Kind=Service',
        'vcluster.loft.sh/object-name': 'gone',
        'vcluster.loft.sh/object-namespace': 'team',
        'vsyncer.dev/anything': 'x',
        tier: 'edge',
      },
    };
    const table = await withObjects([
      [GW, obj(GW, 'gw', { gatewayClassName: 'c', listeners: [listener()], infrastructure: forged })],
    ]);
    const copy = hostObject(table, GW, 'gw')!;
    expect(specOf(copy).infrastructure.annotations).toEqual({ tier: 'edge' });
    // Istio's Service for the copy: owned by the Gateway copy, but not as its controller.
    await table.host.create(SVC, HOST_NS, {
      metadata: {
        name: `${hostName('gw')}-istio`,
        namespace: HOST_NS,
        labels: copy.metadata?.labels,
        annotations: specOf(copy).infrastructure.annotations,
      },
      spec: { ports: [{ port: 80 }] },
    });
    await table.settle();
    expect(table.host.objects(SVC, HOST_NS).map((s) => s.metadata?.name)).toEqual([
      `${hostName('gw')}-istio`,
    ]);
  });

  it('infrastructure metadata a host system acts on (--denied-pod-metadata) is left out, as on pods', async () => {
    const infrastructure = {
      labels: { 'azure.workload.identity/use': 'true', tier: 'edge' },
      annotations: {
        'sidecar.istio.io/userVolume': '{"v":{"secret":{"secretName":"host-secret"}}}',
        'sidecar.istio.io/bootstrapOverride': 'cm',
        'vault.hashicorp.com/agent-inject': 'true',
        note: 'kept',
      },
    };
    const table = await withObjects([
      [GW, obj(GW, 'gw', { gatewayClassName: 'c', listeners: [listener()], infrastructure })],
    ]);
    expect(specOf(hostObject(table, GW, 'gw')).infrastructure).toEqual({
      labels: { tier: 'edge' },
      annotations: { note: 'kept' },
    });
  });

  it("the host's status flows up, host names scrubbed; a host edit of the spec is reverted; host defaults are left alone", async () => {
    const table = await withObjects([[GW, gateway('gw', [listener()])]]);
    const host = hostObject(table, GW, 'gw')!;
    const status = {
      addresses: [{ type: 'IPAddress', value: '203.0.113.9' }],
      conditions: [
        { type: 'Programmed', status: 'True', reason: 'Programmed', message: `${hostName('gw')} programmed` },
      ],
      listeners: [{ name: 'http', attachedRoutes: 1, supportedKinds: [{ group: GROUP, kind: 'HTTPRoute' }] }],
    };
    await table.host.update(GW, HOST_NS, { ...host, status }, { subresource: 'status' });
    await table.settle();
    expect(virtualObject(table, GW, 'gw')?.status).toEqual({
      ...status,
      conditions: [{ ...status.conditions[0], message: 'gw programmed' }],
    });
    const latest = hostObject(table, GW, 'gw')!;
    await table.host.update(GW, HOST_NS, {
      ...latest,
      spec: {
        ...specOf(latest),
        gatewayClassName: 'other',
        addresses: [{ type: 'IPAddress', value: '1.2.3.4' }],
      },
    });
    await table.settle();
    // The class is the tenant's to choose; a field only the host has reads as the host's default.
    expect(specOf(hostObject(table, GW, 'gw')).gatewayClassName).toBe('host-class');
    table.host.clearWrites();
    table.virtual.clearWrites();
    await table.settle();
    expect(table.writes()).toEqual([]);
  });
});

describe('httproutes state table', () => {
  const tableWithRoute = (
    r: KubeObject,
    more: [ResourceType, KubeObject][] = [],
    host: [ResourceType, KubeObject][] = [],
  ) => withObjects([[SVC, service('web')], [GW, gateway('gw', [listener()])], ...more, [HR, r]], host);

  it('parents, backends and mirrors renamed to the copies; an extension filter names nothing', async () => {
    const table = await tableWithRoute(
      route(
        [{ name: 'gw', sectionName: 'http' }],
        [
          {
            filters: [
              { type: 'RequestMirror', requestMirror: { backendRef: { name: 'web', port: 80 } } },
              { type: 'ExtensionRef', extensionRef: { group: 'example.com', kind: 'Auth', name: 'a' } },
            ],
            backendRefs: [{ ...backend('web'), weight: 1 }],
          },
        ],
      ),
    );
    expect(specOf(hostObject(table, HR, 'web'))).toEqual({
      parentRefs: [{ name: hostName('gw'), sectionName: 'http' }],
      rules: [
        {
          filters: [
            { type: 'RequestMirror', requestMirror: { backendRef: { name: hostName('web'), port: 80 } } },
            { type: 'ExtensionRef', extensionRef: { group: 'example.com', kind: 'Auth', name: ABSENT } },
          ],
          backendRefs: [{ name: hostName('web'), port: 80, weight: 1 }],
        },
      ],
    });
    expect(events(table, 'HTTPRoute')).toEqual([
      {
        reason: 'SyncError',
        message:
          'synced pointing at nothing in place of: Auth "a" (spec.rules[0].filters[1].extensionRef.name): objects of this kind are not synced to the host',
      },
    ]);
  });

  it("a backend whose copy goes (the Service turned into a refused ExternalName): the route's copy points at nothing at once, never at the freed host name", async () => {
    const table = await tableWithRoute(route([{ name: 'gw' }], [{ backendRefs: [backend('web')] }]));
    const backendNames = () =>
      specOf(hostObject(table, HR, 'web')).rules[0].backendRefs.map((b: Spec) => b.name);
    expect(backendNames()).toEqual([hostName('web')]);
    const web = virtualObject(table, SVC, 'web')!;
    await table.virtual.update(SVC, 'team', {
      ...web,
      spec: { type: 'ExternalName', externalName: 'web.prod.svc.cluster.local' },
    });
    // No time passes: the copy must not wait out retries naming the freed name.
    await table.settle();
    expect(hostObject(table, SVC, 'web')).toBeUndefined();
    expect(backendNames()).toEqual([ABSENT]);
    // A copy may be on its way: the tenant is told once it has stayed away a few seconds.
    expect(events(table, 'HTTPRoute')).toEqual([]);
    table.clock.advance(5000);
    await table.settle();
    expect(events(table, 'HTTPRoute')).toEqual([
      {
        reason: 'SyncError',
        message:
          'synced pointing at nothing in place of: Service "web" (spec.rules[0].backendRefs[0].name): its host copy is not there',
      },
    ]);
  });

  it('a route moved to a Gateway made a moment ago: its copy stays attached where it was until the new copy comes, and no word to the tenant', async () => {
    const table = await tableWithRoute(route([{ name: 'gw' }], [{ backendRefs: [backend('web')] }]));
    const parentNames = () => specOf(hostObject(table, HR, 'web')).parentRefs.map((p: Spec) => p.name);
    expect(parentNames()).toEqual([hostName('gw')]);
    // The host cache shows the new Gateway's copy only a moment after it is made.
    table.host.holdWatchEvents('gateways');
    await table.virtual.create(GW, 'team', gateway('next', [listener()]));
    const r = virtualObject(table, HR, 'web')!;
    await table.virtual.update(HR, 'team', { ...r, spec: { ...specOf(r), parentRefs: [{ name: 'next' }] } });
    await table.settle();
    expect(parentNames()).toEqual([hostName('gw')]);
    table.host.releaseWatchEvents();
    await table.settle();
    expect(parentNames()).toEqual([hostName('next')]);
    table.clock.advance(10_000);
    await table.settle();
    expect(parentNames()).toEqual([hostName('next')]);
    expect(events(table, 'HTTPRoute')).toEqual([]);
  });

  it("a route whose Gateway's copy goes (refused now) is removed at once, not kept naming the freed host name while a grace runs", async () => {
    const table = await tableWithRoute(route([{ name: 'gw' }], [{ backendRefs: [backend('web')] }]));
    expect(hostObject(table, HR, 'web')).toBeDefined();
    const gw = virtualObject(table, GW, 'gw')!;
    await table.virtual.update(GW, 'team', {
      ...gw,
      metadata: { ...gw.metadata, annotations: { 'cert-manager.io/issuer': 'internal-ca' } },
    });
    // No time passes.
    await table.settle();
    expect(hostObject(table, GW, 'gw')).toBeUndefined();
    expect(hostObject(table, HR, 'web')).toBeUndefined();
    expect(events(table, 'HTTPRoute').map((e) => e.message)).toEqual([
      'cannot sync this HTTPRoute: none of its parents can take it (Gateway "gw" (spec.parentRefs[0].name): its host copy is not there); its host copy is removed',
    ]);
  });

  it('a route moved to a Gateway whose copy never comes: removed from the host once the grace is over, the tenant told why', async () => {
    const table = await tableWithRoute(route([{ name: 'gw' }], [{ backendRefs: [backend('web')] }]));
    table.host.holdWatchEvents('gateways');
    await table.virtual.create(GW, 'team', gateway('next', [listener()]));
    const r = virtualObject(table, HR, 'web')!;
    await table.virtual.update(HR, 'team', { ...r, spec: { ...specOf(r), parentRefs: [{ name: 'next' }] } });
    await table.settle();
    expect(hostObject(table, HR, 'web')).toBeDefined();
    table.clock.advance(5000);
    await table.settle();
    expect(hostObject(table, HR, 'web')).toBeUndefined();
    expect(events(table, 'HTTPRoute').map((e) => e.message)).toEqual([
      'cannot sync this HTTPRoute: none of its parents can take it (Gateway "next" (spec.parentRefs[0].name): its host copy is not there); its host copy is removed',
    ]);
  });

  it('a backend in another namespace: the route is kept off the host without a ReferenceGrant there; synced once granted; removed when the grant goes', async () => {
    const table = await tableWithRoute(
      route([{ name: 'gw' }], [{ backendRefs: [backend('api', 'other')] }]),
      [[SVC, service('api', 'other')]],
    );
    const backendName = () => specOf(hostObject(table, HR, 'web')).rules[0].backendRefs[0].name;
    expect(hostObject(table, HR, 'web')).toBeUndefined();
    expect(events(table, 'HTTPRoute')[0]).toEqual({
      reason: 'RefNotPermitted',
      message:
        'Gateway API reference not permitted: Service "api" of namespace other (spec.rules[0].backendRefs[0].name): no ReferenceGrant in namespace other allows it; this HTTPRoute is not synced',
    });
    // A grant for another kind of route, or for another namespace, allows nothing.
    await table.virtual.create(
      GRANTS,
      'other',
      grant('other', 'GRPCRoute', 'team', { group: '', kind: 'Service' }),
    );
    await table.settle();
    expect(hostObject(table, HR, 'web')).toBeUndefined();
    await table.virtual.delete(GRANTS, 'other', 'allow');
    await table.virtual.create(
      GRANTS,
      'other',
      grant('other', 'HTTPRoute', 'team', { group: '', kind: 'Service', name: 'api' }),
    );
    await table.settle();
    expect(backendName()).toBe(hostName('api', 'other'));
    expect(specOf(hostObject(table, HR, 'web')).rules[0].backendRefs[0].namespace).toBeUndefined();
    await table.virtual.delete(GRANTS, 'other', 'allow');
    await table.settle();
    expect(hostObject(table, HR, 'web')).toBeUndefined();
  });

  it('a tenant cannot name a host Service that is not its copy: missing, or its host name held by another object', async () => {
    const foreign: KubeObject = {
      metadata: { name: hostName('taken'), namespace: HOST_NS },
      spec: { ports: [{ port: 80 }] },
    };
    const hostOnly: KubeObject = {
      metadata: { name: 'host-api', namespace: HOST_NS },
      spec: { ports: [{ port: 80 }] },
    };
    const table = await tableWithRoute(
      route([{ name: 'gw' }], [{ backendRefs: [backend('host-api'), backend('taken')] }]),
      [[SVC, service('taken')]],
      [
        [SVC, foreign],
        [SVC, hostOnly],
      ],
    );
    // The copy of "taken" never comes (its host name is held): after a few retries the route goes
    // to the host without it.
    expect(hostObject(table, HR, 'web')).toBeUndefined();
    for (let i = 0; i < 10; i++) {
      table.clock.advance(2000);
      await table.settle();
    }
    expect(specOf(hostObject(table, HR, 'web')).rules[0].backendRefs.map((b: Spec) => b.name)).toEqual([
      ABSENT,
      ABSENT,
    ]);
    // Told once, and not again in other words (a grace of the copy's own next time, without it).
    expect(events(table, 'HTTPRoute')).toHaveLength(1);
    const message = events(table, 'HTTPRoute')[0]!.message;
    expect(message).toContain('Service "host-api" (spec.rules[0].backendRefs[0].name): not found');
    expect(message).toContain(
      'Service "taken" (spec.rules[0].backendRefs[1].name): its host copy is not there',
    );
    expect(message).not.toContain(HOST_NS);
  });

  it("a Gateway of another namespace: attached only when its allowedRoutes admit the route's namespace", async () => {
    const table = await withObjects([
      [SVC, service('web')],
      [GW, gateway('same', [listener()], 'infra')],
      [GW, gateway('all', [listener({ allowedRoutes: { namespaces: { from: 'All' } } })], 'infra')],
      [
        GW,
        gateway(
          'selected',
          [
            listener({
              allowedRoutes: {
                namespaces: { from: 'Selector', selector: { matchLabels: { shared: 'yes' } } },
              },
            }),
          ],
          'infra',
        ),
      ],
      [
        HR,
        route(
          ['same', 'all', 'selected'].map((name) => ({ name, namespace: 'infra' })),
          [{ backendRefs: [backend('web')] }],
        ),
      ],
    ]);
    const parents = () => specOf(hostObject(table, HR, 'web')).parentRefs.map((p: Spec) => p.name);
    expect(parents()).toEqual([ABSENT, hostName('all', 'infra'), ABSENT]);
    expect(events(table, 'HTTPRoute')[0]!.message).toContain(
      'Gateway "same" of namespace infra (spec.parentRefs[0].name): the Gateway does not allow routes from namespace team',
    );
    await table.virtual.create(Resources.namespaces, '', {
      metadata: { name: 'team', labels: { shared: 'yes' } },
    });
    const r = virtualObject(table, HR, 'web')!;
    await table.virtual.update(HR, 'team', {
      ...r,
      metadata: { ...r.metadata, labels: { app: 'web', v: '2' } },
    });
    await table.settle();
    expect(parents()).toEqual([ABSENT, hostName('all', 'infra'), hostName('selected', 'infra')]);
  });

  it('a Service parent (GAMMA) of its own namespace is renamed to the copy; one of another namespace points at nothing, even with a ReferenceGrant there (on the host it would redirect every client of that Service)', async () => {
    const table = await tableWithRoute(
      route(
        [
          { group: '', kind: 'Service', name: 'api', namespace: 'other' },
          { group: '', kind: 'Service', name: 'web' },
        ],
        [{ backendRefs: [backend('web')] }],
      ),
      [
        [SVC, service('api', 'other')],
        [GRANTS, grant('other', 'HTTPRoute', 'team', { group: '', kind: 'Service' })],
      ],
    );
    expect(specOf(hostObject(table, HR, 'web')).parentRefs).toEqual([
      { group: '', kind: 'Service', name: ABSENT },
      { group: '', kind: 'Service', name: hostName('web') },
    ]);
    expect(events(table, 'HTTPRoute')).toEqual([
      {
        reason: 'SyncError',
        message:
          'synced pointing at nothing in place of: Service "api" of namespace other (spec.parentRefs[0].name): a route may name a Service of its own namespace only as its parent (on the host it would apply to every client of that Service)',
      },
    ]);
  });

  it("a parent without a sectionName attaches on the host only to the Gateway's listeners that admit the route's namespace (every host listener admits the one host namespace); the status shows the parent as written", async () => {
    const listeners = [
      listener({ name: 'public', allowedRoutes: { namespaces: { from: 'All' } } }),
      listener({ name: 'admin', port: 8080, allowedRoutes: { namespaces: { from: 'Same' } } }),
      listener({ name: 'also-public', port: 8443, allowedRoutes: { namespaces: { from: 'All' } } }),
    ];
    const table = await withObjects([
      [SVC, service('web')],
      [SVC, service('web', 'infra')],
      [GW, gateway('gw', listeners, 'infra')],
      [HR, route([{ name: 'gw', namespace: 'infra' }], [{ backendRefs: [backend('web')] }])],
      [HR, route([{ name: 'gw' }], [{ backendRefs: [backend('web')] }], 'infra')],
      [
        HR,
        route(
          [{ name: 'gw', namespace: 'infra', port: 8080 }],
          [{ backendRefs: [backend('web')] }],
          'team',
          'by-port',
        ),
      ],
    ]);
    const gw = hostName('gw', 'infra');
    expect(specOf(hostObject(table, HR, 'web')).parentRefs).toEqual([
      { name: gw, sectionName: 'public' },
      { name: gw, sectionName: 'also-public' },
    ]);
    // The Gateway's own namespace is admitted by every listener: the reference is kept as written.
    expect(specOf(hostObject(table, HR, 'web', 'infra')).parentRefs).toEqual([{ name: gw }]);
    // By port, to the admin listener only: not admitted anywhere, so no parent takes it: not synced.
    expect(hostObject(table, HR, 'by-port')).toBeUndefined();

    const host = hostObject(table, HR, 'web')!;
    const entry = (sectionName: string, status: string) => ({
      parentRef: { group: GROUP, kind: 'Gateway', name: gw, namespace: HOST_NS, sectionName },
      controllerName: 'example.com/gateway',
      conditions: [{ type: 'Accepted', status, reason: 'r', message: 'm' }],
    });
    await table.host.update(
      HR,
      HOST_NS,
      { ...host, status: { parents: [entry('public', 'False'), entry('also-public', 'True')] } },
      { subresource: 'status' },
    );
    await table.settle();
    expect(virtualObject(table, HR, 'web')?.status).toEqual({
      parents: [
        {
          parentRef: { group: GROUP, kind: 'Gateway', name: 'gw', namespace: 'infra' },
          controllerName: 'example.com/gateway',
          conditions: [{ type: 'Accepted', status: 'True', reason: 'r', message: 'm' }],
        },
      ],
    });
  });

  it('references to one Gateway told apart by port: once one is narrowed, the others name their sections too (the API refuses a mix)', async () => {
    const listeners = [
      listener({ name: 'public', port: 80, allowedRoutes: { namespaces: { from: 'All' } } }),
      listener({ name: 'admin', port: 8443, allowedRoutes: { namespaces: { from: 'Same' } } }),
      listener({ name: 'also-public', port: 8443, allowedRoutes: { namespaces: { from: 'All' } } }),
    ];
    const table = await withObjects([
      [SVC, service('web')],
      [GW, gateway('gw', listeners, 'infra')],
      [
        HR,
        route(
          [
            { name: 'gw', namespace: 'infra', port: 80 },
            { name: 'gw', namespace: 'infra', port: 8443 },
          ],
          [{ backendRefs: [backend('web')] }],
        ),
      ],
    ]);
    const gw = hostName('gw', 'infra');
    expect(specOf(hostObject(table, HR, 'web')).parentRefs).toEqual([
      { name: gw, port: 80, sectionName: 'public' },
      { name: gw, port: 8443, sectionName: 'also-public' },
    ]);
  });

  it('a parent whose admitting listeners are more than a route may name on the host: refused, no host copy', async () => {
    const listeners = [
      listener({ name: 'admin', allowedRoutes: { namespaces: { from: 'Same' } } }),
      ...Array.from({ length: 33 }, (_, i) =>
        listener({ name: `l${i}`, port: 9000 + i, allowedRoutes: { namespaces: { from: 'All' } } }),
      ),
    ];
    const table = await withObjects([
      [SVC, service('web')],
      [GW, gateway('gw', listeners, 'infra')],
      [HR, route([{ name: 'gw', namespace: 'infra' }], [{ backendRefs: [backend('web')] }])],
    ]);
    expect(hostObject(table, HR, 'web')).toBeUndefined();
    expect(events(table, 'HTTPRoute').map((e) => e.message)).toContainEqual(
      expect.stringContaining('more listeners that admit it than the 32 parentRefs'),
    );
  });

  it("a namespace's label taken off (its access to a Selector listener revoked) takes its routes off the host, and put back brings them, without a change to the routes", async () => {
    const selected = listener({
      allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { shared: 'yes' } } } },
    });
    const table = await withObjects([
      [Resources.namespaces, { metadata: { name: 'team', namespace: '', labels: { shared: 'yes' } } }],
      [SVC, service('web')],
      [GW, gateway('selected', [selected], 'infra')],
      [HR, route([{ name: 'selected', namespace: 'infra' }], [{ backendRefs: [backend('web')] }])],
    ]);
    const parents = () => specOf(hostObject(table, HR, 'web')).parentRefs.map((p: Spec) => p.name);
    expect(parents()).toEqual([hostName('selected', 'infra')]);
    // The host's controller accepted it.
    const host = hostObject(table, HR, 'web')!;
    const parentRef = {
      group: GROUP,
      kind: 'Gateway',
      name: hostName('selected', 'infra'),
      namespace: HOST_NS,
    };
    const accepted = [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'ok' }];
    await table.host.update(
      HR,
      HOST_NS,
      {
        ...host,
        status: { parents: [{ parentRef, controllerName: 'example.com/gateway', conditions: accepted }] },
      },
      { subresource: 'status' },
    );
    await table.settle();
    expect(virtualObject(table, HR, 'web')?.status).toBeDefined();
    const relabel = async (labels: Record<string, string>) => {
      const ns = table.virtual.objects(Resources.namespaces, '').find((n) => n.metadata?.name === 'team')!;
      await table.virtual.update(Resources.namespaces, '', { ...ns, metadata: { ...ns.metadata, labels } });
      await table.settle();
    };
    await relabel({});
    expect(hostObject(table, HR, 'web')).toBeUndefined();
    // What the host's controller said of the removed copy no longer holds.
    expect(virtualObject(table, HR, 'web')?.status).toBeUndefined();
    await relabel({ shared: 'yes' });
    expect(parents()).toEqual([hostName('selected', 'infra')]);
  });

  it('a route no parent takes is told once, not again at each status change of its Gateway', async () => {
    const table = await withObjects([
      [SVC, service('web')],
      [GW, gateway('shared', [listener()], 'infra')],
      [HR, route([{ name: 'shared', namespace: 'infra' }], [{ backendRefs: [backend('web')] }])],
    ]);
    expect(hostObject(table, HR, 'web')).toBeUndefined();
    const told = () =>
      table.virtual
        .objects(Resources.events, 'team')
        .filter((e) => (e.involvedObject as { kind?: string }).kind === 'HTTPRoute')
        .reduce((n, e) => n + Number(e.count ?? 1), 0);
    const before = told();
    expect(before).toBeGreaterThan(0);
    for (const n of [1, 2, 3]) {
      const copy = hostObject(table, GW, 'shared', 'infra')!;
      await table.host.update(
        GW,
        HOST_NS,
        {
          ...copy,
          status: { listeners: [{ name: 'http', attachedRoutes: n, supportedKinds: [], conditions: [] }] },
        },
        { subresource: 'status' },
      );
      await table.settle();
    }
    expect(told()).toBe(before);
  });

  it('status: each entry names its parent as the parentRef it answers does, with or without a namespace', async () => {
    const twoListeners = [listener(), listener({ name: 'alt', port: 8080 })];
    const table = await withObjects([
      [SVC, service('web')],
      [GW, gateway('gw', twoListeners)],
      [
        HR,
        route(
          [
            { name: 'gw', sectionName: 'http' },
            { name: 'gw', namespace: 'team', sectionName: 'alt' },
          ],
          [{ backendRefs: [backend('web')] }],
        ),
      ],
    ]);
    const host = hostObject(table, HR, 'web')!;
    const entry = (sectionName: string) => ({
      parentRef: { group: GROUP, kind: 'Gateway', name: hostName('gw'), namespace: HOST_NS, sectionName },
      controllerName: 'example.com/gateway',
      conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'ok' }],
    });
    await table.host.update(
      HR,
      HOST_NS,
      { ...host, status: { parents: [entry('http'), entry('alt')] } },
      { subresource: 'status' },
    );
    await table.settle();
    const parents = (virtualObject(table, HR, 'web')?.status as { parents: { parentRef: unknown }[] })
      .parents;
    expect(parents.map((p) => p.parentRef)).toEqual([
      { group: GROUP, kind: 'Gateway', name: 'gw', sectionName: 'http' },
      { group: GROUP, kind: 'Gateway', name: 'gw', namespace: 'team', sectionName: 'alt' },
    ]);
  });

  it('status: parents the host controller names are translated back to the virtual Gateways as the route names them; others are left out', async () => {
    const table = await tableWithRoute(route([{ name: 'gw' }], [{ backendRefs: [backend('web')] }]));
    const host = hostObject(table, HR, 'web')!;
    const accepted = { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'ok' };
    await table.host.update(
      HR,
      HOST_NS,
      {
        ...host,
        status: {
          parents: [
            {
              parentRef: { group: GROUP, kind: 'Gateway', name: hostName('gw'), namespace: HOST_NS },
              controllerName: 'example.com/gateway',
              conditions: [accepted],
            },
            {
              parentRef: { name: 'host-gateway' },
              controllerName: 'example.com/gateway',
              conditions: [accepted],
            },
          ],
        },
      },
      { subresource: 'status' },
    );
    await table.settle();
    // The route names its Gateway without a namespace: so does its status.
    expect(virtualObject(table, HR, 'web')?.status).toEqual({
      parents: [
        {
          parentRef: { group: GROUP, kind: 'Gateway', name: 'gw' },
          controllerName: 'example.com/gateway',
          conditions: [accepted],
        },
      ],
    });
  });

  it('a Gateway that has no copy (the gateways kind is off) takes no route: one naming only it is not synced, one with another parent goes without it', async () => {
    const table = await start({ kinds: ['httproutes', 'services'] });
    await table.virtual.create(SVC, 'team', service('web'));
    await table.virtual.create(HR, 'team', route([{ name: 'gw' }], [{ backendRefs: [backend('web')] }]));
    await table.virtual.create(
      HR,
      'team',
      route(
        [{ name: 'gw' }, { group: '', kind: 'Service', name: 'web' }],
        [{ backendRefs: [backend('web')] }],
        'team',
        'mesh',
      ),
    );
    await table.settle();
    expect(hostObject(table, HR, 'web')).toBeUndefined();
    expect(events(table, 'HTTPRoute').map((e) => e.message)).toContainEqual(
      expect.stringMatching(
        /^cannot sync this HTTPRoute: none of its parents can take it \(Gateway "gw" \(spec\.parentRefs\[0\]\.name\): /,
      ),
    );
    expect(specOf(hostObject(table, HR, 'mesh')).parentRefs).toEqual([
      { name: ABSENT },
      { group: '', kind: 'Service', name: hostName('web') },
    ]);
    expect(specOf(hostObject(table, HR, 'mesh')).rules[0].backendRefs[0].name).toBe(hostName('web'));
  });
});

describe('fields the tenant removes', () => {
  const mirror = { type: 'RequestMirror', requestMirror: { backendRef: { name: 'mirror', port: 80 } } };
  const edit = async (t: StateTable, type: ResourceType, name: string, change: (spec: Spec) => void) => {
    const current = virtualObject(t, type, name)!;
    const spec = structuredClone(specOf(current));
    change(spec);
    await t.virtual.update(type, 'team', { ...current, spec });
    await t.settle();
  };

  it("leave the host copy too: a route's hostnames, mirror filter and parent's sectionName; a Gateway's TLS settings and infrastructure metadata (its addresses never reach it)", async () => {
    const table = await withObjects([
      [SVC, service('web')],
      [SVC, service('mirror')],
      [SECRETS, secret('client')],
      [CM, configMap('ca')],
      [
        GW,
        obj(GW, 'gw', {
          gatewayClassName: 'host-class',
          listeners: [listener()],
          addresses: [{ type: 'IPAddress', value: '203.0.113.7' }],
          infrastructure: { labels: { tier: 'edge' }, annotations: { note: 'n' } },
          tls: {
            backend: { clientCertificateRef: { name: 'client' } },
            frontend: { default: { validation: { caCertificateRefs: [{ name: 'ca' }] } } },
          },
        }),
      ],
      [
        HR,
        obj(HR, 'web', {
          parentRefs: [{ name: 'gw', sectionName: 'http' }],
          hostnames: ['web.example.com'],
          rules: [{ filters: [mirror], backendRefs: [backend('web')] }],
        }),
      ],
    ]);
    expect(specOf(hostObject(table, HR, 'web')).rules[0].filters).toHaveLength(1);
    expect(specOf(hostObject(table, GW, 'gw')).tls.backend.clientCertificateRef.name).toBe(
      hostName('client'),
    );
    // The host's controller assigns a Gateway's address: one asked for could be anyone's traffic.
    expect(specOf(hostObject(table, GW, 'gw')).addresses).toBeUndefined();
    expect(events(table, 'Gateway')).toContainEqual({
      reason: 'SyncWarning',
      message:
        "spec.addresses is not copied to the host: the host's gateway controller assigns the address (see status.addresses)",
    });

    await edit(table, HR, 'web', (spec) => {
      delete spec.hostnames;
      delete spec.rules[0].filters;
      delete spec.parentRefs[0].sectionName;
    });
    await edit(table, GW, 'gw', (spec) => {
      delete spec.addresses;
      delete spec.infrastructure;
      delete spec.tls.frontend;
      delete spec.tls.backend.clientCertificateRef;
    });
    expect(specOf(hostObject(table, HR, 'web'))).toEqual({
      parentRefs: [{ name: hostName('gw') }],
      rules: [{ backendRefs: [{ name: hostName('web'), port: 80 }] }],
    });
    expect(specOf(hostObject(table, GW, 'gw'))).toEqual({
      gatewayClassName: 'host-class',
      listeners: [listener()],
      tls: { backend: {} },
    });
    // The mirrored Service goes: its copy goes, and no host route names its (ambiguous) host name.
    await table.virtual.delete(SVC, 'team', 'mirror');
    await table.settle();
    expect(table.host.objects(SVC, HOST_NS).map((s) => s.metadata?.name)).toEqual([hostName('web')]);
    expect(JSON.stringify(table.host.objects(HR, HOST_NS))).not.toContain(hostName('mirror'));
    // Nothing names the certificate and the CA bundle any more: their copies went with the fields.
    expect(table.host.objects(SECRETS, HOST_NS)).toEqual([]);
    expect(table.host.objects(CM, HOST_NS)).toEqual([]);
  });

  it("a copy an older syncer wrote (no record of its spec) is written once; the host's defaults cause no write", async () => {
    const table = await withObjects([
      [SVC, service('web')],
      [GW, gateway('gw', [listener()])],
      [HR, route([{ name: 'gw' }], [{ backendRefs: [backend('web')] }])],
    ]);
    const written = hostObject(table, HR, 'web')!;
    expect(Object.keys(written.metadata?.annotations ?? {})).toContain('vsyncer.dev/spec-digest');
    // As an older syncer left it: no digest, and the hostnames the tenant has removed since.
    const { 'vsyncer.dev/spec-digest': _digest, ...annotations } = written.metadata!.annotations!;
    await table.host.update(HR, HOST_NS, {
      ...written,
      metadata: { ...written.metadata, annotations },
      spec: { ...specOf(written), hostnames: ['web.example.com'] },
    });
    await table.settle();
    expect(specOf(hostObject(table, HR, 'web')).hostnames).toBeUndefined();
    // The host's API server fills in its defaults: the tenant set none of them, nothing is written.
    const latest = hostObject(table, HR, 'web')!;
    const rules = [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [{ group: '', kind: 'Service', name: hostName('web'), port: 80, weight: 1 }],
      },
    ];
    await table.host.update(HR, HOST_NS, { ...latest, spec: { ...specOf(latest), rules } });
    table.host.clearWrites();
    table.virtual.clearWrites();
    await table.settle();
    expect(table.writes()).toEqual([]);
    expect(specOf(hostObject(table, HR, 'web')).rules).toEqual(rules);
  });
});

describe('grpcroutes and tlsroutes state table', () => {
  it.each([
    [Resources.grpcRoutes, 'GRPCRoute'],
    [Resources.tlsRoutes, 'TLSRoute'],
  ])('%s: parents and backends renamed to the copies', async (type) => {
    const table = await withObjects([
      [SVC, service('web')],
      [GW, gateway('gw', [listener()])],
      [type, obj(type, 'r', { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [backend('web')] }] })],
    ]);
    expect(specOf(hostObject(table, type, 'r'))).toEqual({
      parentRefs: [{ name: hostName('gw') }],
      rules: [{ backendRefs: [{ name: hostName('web'), port: 80 }] }],
    });
  });
});

describe('referencegrants state table', () => {
  it('the copy names only the host namespace and this tenant’s copies: it grants nothing on the host', async () => {
    const table = await withObjects([
      [SVC, service('api', 'other')],
      [
        GRANTS,
        obj(
          GRANTS,
          'allow',
          {
            from: [{ group: GROUP, kind: 'HTTPRoute', namespace: 'team' }],
            to: [
              { group: '', kind: 'Service', name: 'api' },
              { group: '', kind: 'Secret' },
            ],
          },
          'other',
        ),
      ],
    ]);
    expect(specOf(hostObject(table, GRANTS, 'allow', 'other'))).toEqual({
      from: [{ group: GROUP, kind: 'HTTPRoute', namespace: HOST_NS }],
      to: [
        { group: '', kind: 'Service', name: hostName('api', 'other') },
        { group: '', kind: 'Secret' },
      ],
    });
  });
});

describe('backendtlspolicies state table', () => {
  it('targets and CA bundles renamed to the copies (the config map synced for it); ancestors in the status translated back', async () => {
    const table = await withObjects([
      [SVC, service('web')],
      [CM, configMap('ca')],
      [GW, gateway('gw', [listener()])],
      [
        Resources.backendTLSPolicies,
        obj(Resources.backendTLSPolicies, 'tls', {
          targetRefs: [{ group: '', kind: 'Service', name: 'web' }],
          validation: {
            caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'ca' }],
            hostname: 'web.example',
          },
        }),
      ],
    ]);
    const host = hostObject(table, Resources.backendTLSPolicies, 'tls')!;
    expect(specOf(host)).toEqual({
      targetRefs: [{ group: '', kind: 'Service', name: hostName('web') }],
      validation: {
        caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: hostName('ca') }],
        hostname: 'web.example',
      },
    });
    expect(table.host.objects(CM, HOST_NS).map((c) => c.metadata?.name)).toEqual([hostName('ca')]);
    const ancestors = [
      {
        ancestorRef: { group: GROUP, kind: 'Gateway', name: hostName('gw') },
        controllerName: 'example.com/gateway',
        conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: '' }],
      },
    ];
    await table.host.update(
      Resources.backendTLSPolicies,
      HOST_NS,
      { ...host, status: { ancestors } },
      { subresource: 'status' },
    );
    await table.settle();
    expect(virtualObject(table, Resources.backendTLSPolicies, 'tls')?.status).toEqual({
      ancestors: [
        { ...ancestors[0], ancestorRef: { group: GROUP, kind: 'Gateway', name: 'gw', namespace: 'team' } },
      ],
    });
  });
});

describe('host-gatewayclasses with gateways (vCluster sync.fromHost.gatewayClasses)', () => {
  const GC = Resources.gatewayClasses;
  const hostClass = (name: string, labels: Record<string, string> = {}): KubeObject => ({
    apiVersion: `${GROUP}/v1`,
    kind: 'GatewayClass',
    metadata: {
      name,
      labels,
      // As `kubectl apply` leaves it: the whole spec again, parametersRef included.
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
          spec: { parametersRef: { name: 'gw-config', namespace: 'gateway-system' } },
        }),
      },
    },
    spec: {
      controllerName: 'example.com/gateway-controller',
      description: `${name} gateways`,
      parametersRef: { group: 'example.com', kind: 'Config', name: 'gw-config', namespace: 'gateway-system' },
    },
  });
  const classGateway = (name: string, className: string) =>
    obj(GW, name, { gatewayClassName: className, listeners: [listener()] });
  const setClass = async (t: StateTable, name: string, className: string) => {
    const g = virtualObject(t, GW, name)!;
    await t.virtual.update(GW, 'team', { ...g, spec: { ...specOf(g), gatewayClassName: className } });
    await t.settle();
  };
  const relabel = async (t: StateTable, name: string, labels: Record<string, string>) => {
    const cls = t.host.objects(GC).find((c) => c.metadata?.name === name)!;
    await t.host.update(GC, '', { ...cls, metadata: { ...cls.metadata, labels } });
    await t.settle();
  };

  async function withClasses(selector?: string): Promise<StateTable> {
    const table = await start({
      kinds: ['gateways', 'host-gatewayclasses'],
      host: [
        [GC, hostClass('public', { tenants: 'yes' })],
        [GC, hostClass('internal')],
      ],
      flags: selector ? { hostGatewayclassesSelector: selector } : {},
    });
    await table.settle();
    return table;
  }

  it('shows the host classes the selector picks, without their parametersRef; a relabelled class comes and goes', async () => {
    const table = await withClasses('tenants=yes');
    expect(table.virtual.objects(GC).map((c) => [c.metadata?.name, c.spec])).toEqual([
      ['public', { controllerName: 'example.com/gateway-controller', description: 'public gateways' }],
    ]);
    expect(JSON.stringify(table.virtual.objects(GC))).not.toContain('gateway-system');
    // The host's classes are never written.
    expect(table.host.writeLog()).toEqual([]);
    await relabel(table, 'internal', { tenants: 'yes' });
    expect(
      table.virtual
        .objects(GC)
        .map((c) => c.metadata?.name)
        .sort(),
    ).toEqual(['internal', 'public']);
    await relabel(table, 'internal', {});
    expect(table.virtual.objects(GC).map((c) => c.metadata?.name)).toEqual(['public']);
  });

  it("a Gateway naming a class not shown gets no host copy and a SyncWarning in vCluster's words; one naming a shown class is synced, and loses its copy when it names a hidden one", async () => {
    const table = await withClasses('tenants=yes');
    for (const g of [classGateway('bad', 'internal'), classGateway('good', 'public')])
      await table.virtual.create(GW, 'team', g);
    await table.settle();
    expect(hostObject(table, GW, 'bad')).toBeUndefined();
    expect(specOf(hostObject(table, GW, 'good')).gatewayClassName).toBe('public');
    expect(events(table, 'Gateway')).toEqual([
      { reason: 'SyncWarning', message: 'GatewayClass "internal" is not available in this virtual cluster' },
    ]);
    await setClass(table, 'good', 'internal');
    expect(hostObject(table, GW, 'good')).toBeUndefined();
    expect(events(table, 'Gateway').filter((e) => e.reason === 'SyncWarning')).toHaveLength(2);
    // The class offered later: both Gateways reach the host.
    await relabel(table, 'internal', { tenants: 'yes' });
    expect(specOf(hostObject(table, GW, 'bad')).gatewayClassName).toBe('internal');
    expect(specOf(hostObject(table, GW, 'good')).gatewayClassName).toBe('internal');
  });

  it('a class the host deletes (its controller reinstalled, say) takes no host copy away', async () => {
    const table = await withClasses('tenants=yes');
    await table.virtual.create(GW, 'team', classGateway('gw', 'public'));
    await table.settle();
    await table.host.delete(GC, '', 'public');
    await setClass(table, 'gw', 'public'); // any change of the Gateway brings it back
    const g = virtualObject(table, GW, 'gw')!;
    await table.virtual.update(GW, 'team', { ...g, metadata: { ...g.metadata, labels: { touched: 'yes' } } });
    await table.settle();
    expect(specOf(hostObject(table, GW, 'gw')).gatewayClassName).toBe('public');
    expect(events(table, 'Gateway').map((e) => e.message)).toContain(
      'GatewayClass "public" is not available in this virtual cluster',
    );
  });

  it('without a selector: every host class is shown, and a Gateway naming a class the host lacks waits for it', async () => {
    const table = await withClasses();
    expect(
      table.virtual
        .objects(GC)
        .map((c) => c.metadata?.name)
        .sort(),
    ).toEqual(['internal', 'public']);
    await table.virtual.create(GW, 'team', classGateway('gw', 'missing'));
    await table.settle();
    expect(hostObject(table, GW, 'gw')).toBeUndefined();
    expect(events(table, 'Gateway')).toEqual([
      { reason: 'SyncWarning', message: 'GatewayClass "missing" is not available in this virtual cluster' },
    ]);
    await table.host.create(GC, '', hostClass('missing'));
    await table.settle();
    expect(specOf(hostObject(table, GW, 'gw')).gatewayClassName).toBe('missing');
  });
});

describe('allowed host names (--allowed-ingress-host)', () => {
  const allowed = { allowedIngressHost: ['*.team-a.example.com'] };

  it('a Gateway listener without a hostname or outside them, or a route naming another host, gets no copy; within them all is synced', async () => {
    for (const [type, object, why] of [
      [GW, gateway('gw', [listener()]), /spec\.listeners\[0\] has no hostname/],
      [GW, gateway('gw', [listener({ hostname: '*.example.com' })]), /"\*\.example\.com" is not among/],
      [
        HR,
        obj(HR, 'r', { parentRefs: [{ name: 'gw' }], hostnames: ['admin.corp.example.com'] }),
        /"admin\.corp\.example\.com" is not among/,
      ],
    ] as [ResourceType, KubeObject, RegExp][]) {
      const ok = gateway('gw', [listener({ hostname: '*.team-a.example.com' })]);
      const table = await withObjects(
        [...(type === GW ? [] : ([[GW, ok]] as [ResourceType, KubeObject][])), [type, object]],
        [],
        allowed,
      );
      expect(hostObject(table, type, object.metadata!.name!)).toBeUndefined();
      expect(events(table, type.kind)).toEqual([
        { reason: 'SyncError', message: expect.stringMatching(why) },
      ]);
    }
    const table = await withObjects(
      [
        [
          GW,
          gateway('gw', [
            listener({ hostname: '*.team-a.example.com' }),
            listener({ name: 'db', port: 5432, protocol: 'TCP' }),
          ]),
        ],
        [HR, obj(HR, 'r', { parentRefs: [{ name: 'gw' }] })],
        [HR, obj(HR, 'shop', { parentRefs: [{ name: 'gw' }], hostnames: ['shop.eu.team-a.example.com'] })],
      ],
      [],
      allowed,
    );
    expect(hostObject(table, GW, 'gw')).toBeDefined();
    expect(hostObject(table, HR, 'r')).toBeDefined();
    expect(specOf(hostObject(table, HR, 'shop')).hostnames).toEqual(['shop.eu.team-a.example.com']);
  });
});

describe("the virtual API server's reserved host names (--reserved-ingress-host)", () => {
  const reserved = { reservedIngressHost: ['vc1.example.com'] };
  const RESERVED = /is reserved for the virtual cluster's API server \("vc1\.example\.com"\)/;

  it('a Gateway listener or a route naming one (a wildcard at any depth above it too) gets no copy and a SyncError', async () => {
    for (const [type, object] of [
      [GW, gateway('gw', [listener({ hostname: 'VC1.example.com' })])],
      [GW, gateway('gw', [listener(), listener({ name: 'other', hostname: '*.com' })])],
      [HR, obj(HR, 'r', { parentRefs: [{ name: 'gw' }], hostnames: ['web.example.com', '*.example.com'] })],
      [
        Resources.tlsRoutes,
        obj(Resources.tlsRoutes, 'r', { parentRefs: [{ name: 'gw' }], hostnames: ['vc1.example.com'] }),
      ],
    ] as [ResourceType, KubeObject][]) {
      const table = await withObjects(
        [
          ...(type === GW ? [] : ([[GW, gateway('gw', [listener()])]] as [ResourceType, KubeObject][])),
          [type, object],
        ],
        [],
        reserved,
      );
      expect(hostObject(table, type, object.metadata!.name!)).toBeUndefined();
      expect(events(table, type.kind)).toEqual([
        { reason: 'SyncError', message: expect.stringMatching(RESERVED) },
      ]);
    }
  });

  it('other host names, and listeners without one, are synced; a route changed to claim one loses its copy', async () => {
    const table = await withObjects(
      [
        [GW, gateway('gw', [listener(), listener({ name: 'web', hostname: 'web.example.com' })])],
        [HR, obj(HR, 'r', { parentRefs: [{ name: 'gw' }], hostnames: ['web.example.com'] })],
      ],
      [],
      reserved,
    );
    expect(hostObject(table, GW, 'gw')).toBeDefined();
    expect(specOf(hostObject(table, HR, 'r')).hostnames).toEqual(['web.example.com']);
    // A TLSRoute without hostnames would take every server name on a shared entry point: refused.
    await table.virtual.create(
      Resources.tlsRoutes,
      'team',
      obj(Resources.tlsRoutes, 'catch-all', { parentRefs: [{ name: 'gw' }], rules: [] }),
    );
    await table.settle();
    expect(hostObject(table, Resources.tlsRoutes, 'catch-all')).toBeUndefined();
    expect(events(table, 'TLSRoute')).toEqual([
      {
        reason: 'SyncError',
        message:
          "cannot sync this TLSRoute: a TLSRoute without hostnames takes every TLS server name, the virtual cluster's API server's too: list its hostnames",
      },
    ]);
    const r = virtualObject(table, HR, 'r')!;
    await table.virtual.update(HR, 'team', { ...r, spec: { ...specOf(r), hostnames: ['*.example.com'] } });
    await table.settle();
    expect(hostObject(table, HR, 'r')).toBeUndefined();
    // Removed, then refused as any new one would be (the two events in either order).
    const seen = events(table, 'HTTPRoute');
    expect(seen).toHaveLength(2);
    expect(seen).toEqual(
      expect.arrayContaining([
        { reason: 'SyncError', message: expect.stringMatching(/its host copy is removed$/) },
        { reason: 'SyncError', message: expect.not.stringMatching(/its host copy is removed$/) },
      ]),
    );
    expect(seen.every((e) => RESERVED.test(e.message))).toBe(true);
  });

  it("a route's backend Service that goes keeps its copy until the route's copy names it no more: another namespace's Service waiting for that host name never gets the route's traffic", async () => {
    // Service s-x-b of namespace a and Service s of namespace b-x-a are both s-x-b-x-a-x-<vc> on the host.
    const shared = hostName('s-x-b', 'a');
    const table = await withObjects([
      [GW, gateway('gw', [listener()], 'a')],
      [SVC, service('s-x-b', 'a')],
      [HR, route([{ name: 'gw' }], [{ backendRefs: [backend('s-x-b')] }], 'a')],
      [SVC, service('s', 'b-x-a')],
    ]);
    const hostService = () => table.host.objects(SVC, HOST_NS).find((s) => s.metadata?.name === shared);
    const routeBackend = () => specOf(hostObject(table, HR, 'web', 'a')).rules[0].backendRefs[0].name;
    expect(routeBackend()).toBe(shared);
    table.host.clearWrites();

    await table.virtual.delete(SVC, 'a', 's-x-b');
    // The route's copy names it no more, which brings the Service's copy back to go (no clock moves).
    await table.settle();
    expect(routeBackend()).toEqual(ABSENT);
    expect(hostService()?.metadata?.annotations?.['vcluster.loft.sh/object-namespace']).toBe('b-x-a');
    const writes = table.host.writeLog();
    const renamed = writes.indexOf(`update httproutes ${HOST_NS}/${hostName('web', 'a')}`);
    expect(renamed).toBeGreaterThanOrEqual(0);
    expect(writes.indexOf(`delete services ${HOST_NS}/${shared}`)).toBeGreaterThan(renamed);
  });

  it("a Gateway's certificate and a policy's CA bundle that go keep their copies until the copies naming them name them no more: another namespace's objects waiting for those host names never serve or check that TLS", async () => {
    // Objects t-x-b of namespace a and t of namespace b-x-a are both t-x-b-x-a-x-<vc> on the host.
    const shared = hostName('t-x-b', 'a');
    const table = await withObjects(
      [
        [SECRETS, secret('t-x-b', 'a')],
        [CM, configMap('t-x-b', 'a')],
        [SVC, service('web', 'a')],
        [
          GW,
          gateway(
            'gw',
            [
              listener({
                name: 'https',
                port: 443,
                protocol: 'HTTPS',
                tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 't-x-b' }] },
              }),
            ],
            'a',
          ),
        ],
        [
          Resources.backendTLSPolicies,
          obj(
            Resources.backendTLSPolicies,
            'tls',
            {
              targetRefs: [{ group: '', kind: 'Service', name: 'web' }],
              validation: {
                caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 't-x-b' }],
                hostname: 'web.example',
              },
            },
            'a',
          ),
        ],
        [SECRETS, secret('t', 'b-x-a')],
        [CM, configMap('t', 'b-x-a')],
      ],
      [],
      { syncAllSecrets: 'true', syncAllConfigmaps: 'true' },
    );
    const holder = (type: ResourceType) =>
      table.host.objects(type, HOST_NS).find((o) => o.metadata?.name === shared)?.metadata?.annotations?.[
        'vcluster.loft.sh/object-namespace'
      ];
    const certificate = () =>
      specOf(hostObject(table, GW, 'gw', 'a')).listeners[0].tls.certificateRefs[0].name;
    const caBundle = () =>
      specOf(hostObject(table, Resources.backendTLSPolicies, 'tls', 'a')).validation.caCertificateRefs[0]
        .name;
    expect([certificate(), caBundle(), holder(SECRETS), holder(CM)]).toEqual([shared, shared, 'a', 'a']);
    table.host.clearWrites();

    await table.virtual.delete(SECRETS, 'a', 't-x-b');
    await table.virtual.delete(CM, 'a', 't-x-b');
    // The copies naming them change, which brings theirs back to go (no clock moves).
    await table.settle();
    expect([certificate(), caBundle(), holder(SECRETS), holder(CM)]).toEqual([
      ABSENT,
      ABSENT,
      'b-x-a',
      'b-x-a',
    ]);
    const writes = table.host.writeLog();
    const at = (write: string) => {
      const i = writes.indexOf(write);
      expect(i).toBeGreaterThanOrEqual(0);
      return i;
    };
    expect(at(`delete secrets ${HOST_NS}/${shared}`)).toBeGreaterThan(
      at(`update gateways ${HOST_NS}/${hostName('gw', 'a')}`),
    );
    expect(at(`delete configmaps ${HOST_NS}/${shared}`)).toBeGreaterThan(
      at(`update backendtlspolicies ${HOST_NS}/${hostName('tls', 'a')}`),
    );
  });
});
