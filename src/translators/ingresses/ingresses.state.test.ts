import type { KubeObject } from '../../kube/object.ts';
import { ApiError } from '../../kube/errors.ts';
import { Resources } from '../../kube/resources.ts';
import { FROM_HOST_LABEL } from '../../naming/labels.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../../testing/state-table.ts';
import { specOf } from './translate.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const ING = Resources.ingresses;
const SVC = Resources.services;
const SECRETS = Resources.secrets;
const hostName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;
const AUTH_SECRET = 'nginx.ingress.kubernetes.io/auth-secret';

function ingress(spec: Record<string, unknown>, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: 'team', labels: { app: 'web' }, annotations },
    spec,
  };
}

const backend = (name: string) => ({ service: { name, port: { number: 80 } } });
const routeTo = (name: string) => ({
  rules: [
    { host: 'web.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend(name) }] } },
  ],
});
const service = (name: string): KubeObject => ({
  metadata: { name, namespace: 'team' },
  spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
});
const secret = (name: string): KubeObject => ({
  metadata: { name, namespace: 'team' },
  type: 'kubernetes.io/tls',
  data: { 'tls.crt': 'Yw==', 'tls.key': 'aw==' },
});
const pod = (secretName: string): KubeObject => ({
  metadata: { name: 'p', namespace: 'team' },
  spec: { containers: [{ name: 'c', image: 'i' }], volumes: [{ name: 'v', secret: { secretName } }] },
});

const hostIngress = (t: StateTable) =>
  t.host.objects(ING, HOST_NS).find((i) => i.metadata?.name === hostName('web'));
const virtualIngress = (t: StateTable) =>
  t.virtual.objects(ING, 'team').find((i) => i.metadata?.name === 'web');
const hostSecrets = (t: StateTable) => t.host.objects(SECRETS, HOST_NS).map((s) => s.metadata?.name);
const events = (t: StateTable) =>
  t.virtual
    .objects(Resources.events, 'team')
    .filter((e) => (e.involvedObject as { kind?: string }).kind === 'Ingress')
    .map((e) => ({ reason: e.reason, message: e.message as string }));
const backendName = (i: KubeObject | undefined) =>
  specOf(i).rules?.[0]?.http?.paths[0]?.backend.service?.name;

/** A table running ingresses with the kinds that make the copies they name, objects created through the virtual API. */
async function withObjects(
  objects: [typeof ING, KubeObject][],
  opts: { kinds?: string[]; host?: [typeof ING, KubeObject][]; flags?: Record<string, unknown> } = {},
): Promise<StateTable> {
  const table = await start({
    kinds: opts.kinds ?? ['ingresses', 'secrets', 'services'],
    host: opts.host,
    flags: opts.flags,
  });
  for (const [type, obj] of objects) await table.virtual.create(type, obj.metadata!.namespace!, obj);
  await table.settle();
  return table;
}

describe('ingresses state table', () => {
  it("refuses an Ingress naming the virtual API server's reserved host, in rules or TLS, and removes a copy made before", async () => {
    const reserved = { reservedIngressHost: ['vc1.example.com'] };
    for (const spec of [
      { rules: [{ host: 'VC1.example.com', http: routeTo('web').rules[0]!.http }] },
      { ...routeTo('web'), tls: [{ hosts: ['*.example.com'], secretName: 'tls' }] },
    ]) {
      const table = await withObjects(
        [
          [SVC, service('web')],
          [ING, ingress(spec)],
        ],
        { flags: reserved },
      );
      expect(hostIngress(table)).toBeUndefined();
      expect(events(table)).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(
            /is reserved for the virtual cluster's API server \("vc1\.example\.com"\)/,
          ),
        }),
      ]);
    }
    // Another host is synced as ever.
    const other = await withObjects(
      [
        [SVC, service('web')],
        [ING, ingress(routeTo('web'))],
      ],
      { flags: reserved },
    );
    expect(backendName(hostIngress(other))).toBe(hostName('web'));
    // An Ingress changed to claim it loses its copy.
    const ing = virtualIngress(other)!;
    await other.virtual.update(ING, 'team', {
      ...ing,
      spec: { rules: [{ host: 'vc1.example.com', http: routeTo('web').rules[0]!.http }] },
    });
    await other.settle();
    expect(hostIngress(other)).toBeUndefined();
  });

  it("without the cert-manager integration, cert-manager's annotations reach the host as written but for secret-template and a common-name the tenant may not serve", async () => {
    const allowed = { allowedIngressHost: ['*.team-a.example.com'] };
    const spec = {
      rules: [{ host: 'web.team-a.example.com', http: routeTo('web').rules[0]!.http }],
    };
    const template = JSON.stringify({
      annotations: { 'reflector.v1.k8s.emberstack.com/reflects': 'kube-system/admin' },
    });
    const cases: [Record<string, string>, string[], string[]][] = [
      [
        {
          'cert-manager.io/cluster-issuer': 'letsencrypt',
          'cert-manager.io/common-name': 'grafana.corp.example.com',
          'cert-manager.io/secret-template': template,
        },
        ['cert-manager.io/cluster-issuer'],
        ['cert-manager.io/secret-template is not passed', 'cert-manager.io/common-name: '],
      ],
      [
        {
          'cert-manager.io/cluster-issuer': 'letsencrypt',
          'cert-manager.io/common-name': 'web.team-a.example.com',
        },
        ['cert-manager.io/cluster-issuer', 'cert-manager.io/common-name'],
        [],
      ],
    ];
    for (const [annotations, onHost, told] of cases) {
      const table = await withObjects(
        [
          [SVC, service('web')],
          [ING, ingress(spec, annotations)],
        ],
        { flags: allowed },
      );
      const hostKeys = Object.keys(hostIngress(table)?.metadata?.annotations ?? {}).filter((k) =>
        k.includes('cert-manager'),
      );
      const messages = events(table).map((e) => e.message);
      expect({ hostKeys: hostKeys.sort(), told: messages.length }).toEqual({
        hostKeys: onHost,
        told: told.length ? 1 : 0,
      });
      for (const part of told) expect(messages[0]).toContain(part);
      // The tenant's Ingress keeps what it wrote.
      expect(virtualIngress(table)?.metadata?.annotations).toEqual(annotations);
    }
  });

  it('with allowed hosts (--allowed-ingress-host), only Ingresses within them are synced: a host outside, a rule without a host or a defaultBackend is refused', async () => {
    const allowed = { allowedIngressHost: ['*.team-a.example.com', 'team-a.example.com'] };
    const http = routeTo('web').rules[0]!.http;
    for (const [spec, why] of [
      [
        { rules: [{ host: 'grafana.corp.example.com', http }] },
        /host "grafana\.corp\.example\.com" is not among/,
      ],
      [{ rules: [{ http }] }, /spec\.rules\[0\] has no host/],
      [{ defaultBackend: backend('web') }, /spec\.defaultBackend serves every host name/],
      [
        { rules: [{ host: 'a.team-a.example.com', http }], tls: [{ hosts: ['*.example.com'] }] },
        /"\*\.example\.com" is not among/,
      ],
    ] as [Record<string, unknown>, RegExp][]) {
      const table = await withObjects(
        [
          [SVC, service('web')],
          [ING, ingress(spec)],
        ],
        { flags: allowed },
      );
      expect(hostIngress(table)).toBeUndefined();
      expect(events(table)).toEqual([expect.objectContaining({ message: expect.stringMatching(why) })]);
    }
    const within = await withObjects(
      [
        [SVC, service('web')],
        [
          ING,
          ingress({
            rules: [
              { host: 'shop.eu.team-a.example.com', http },
              { host: 'team-a.example.com', http },
            ],
          }),
        ],
      ],
      { flags: allowed },
    );
    expect(backendName(hostIngress(within))).toBe(hostName('web'));
  });

  it("host copy: backends, TLS and an auth annotation renamed to this tenant's copies, which are synced", async () => {
    const table = await withObjects([
      [SVC, service('web')],
      [SECRETS, secret('tls')],
      [SECRETS, secret('basic')],
      [
        ING,
        ingress(
          { ...routeTo('web'), tls: [{ hosts: ['web.example.com'], secretName: 'tls' }] },
          { [AUTH_SECRET]: 'basic' },
        ),
      ],
    ]);
    const host = hostIngress(table)!;
    expect(backendName(host)).toBe(hostName('web'));
    expect(specOf(host).tls).toEqual([{ hosts: ['web.example.com'], secretName: hostName('tls') }]);
    expect(host.metadata?.annotations?.[AUTH_SECRET]).toBe(hostName('basic'));
    expect(host.metadata?.labels).toMatchObject({ app: 'web', 'vcluster.loft.sh/managed-by': VC });
    expect(hostSecrets(table)).toEqual([hostName('basic'), hostName('tls')]);
    expect(events(table)).toEqual([]);
    // Created once, after the copies it names: never first pointed elsewhere, nothing rewritten after.
    expect(table.host.writeLog().filter((w) => w.includes('ingresses'))).toEqual([
      `create ingresses ${HOST_NS}/${hostName('web')}`,
    ]);
  });

  it("HAProxy controllers' secret annotations, under any of their prefixes: renamed to this tenant's copies, which are synced; one in a namespace the tenant lacks names nothing", async () => {
    const table = await withObjects([
      [SVC, service('web')],
      [SECRETS, secret('client')],
      [SECRETS, secret('ca')],
      [
        ING,
        ingress(routeTo('web'), {
          'haproxy.org/server-crt': 'client',
          'haproxy-ingress.github.io/secure-verify-ca-secret': 'team/ca',
          'ingress.kubernetes.io/auth-tls-secret': 'kube-system/x',
        }),
      ],
    ]);
    const annotations = hostIngress(table)!.metadata?.annotations ?? {};
    expect(annotations['haproxy.org/server-crt']).toBe(hostName('client'));
    expect(annotations['haproxy-ingress.github.io/secure-verify-ca-secret']).toBe(
      `${HOST_NS}/${hostName('ca')}`,
    );
    // Never the host's kube-system/x, nor any host Secret: a name nobody holds.
    expect(annotations['ingress.kubernetes.io/auth-tls-secret']).toMatch(
      new RegExp(`^${HOST_NS}/vsyncer-absent-`),
    );
    expect(hostSecrets(table)).toEqual([hostName('ca'), hostName('client')]);
    expect(events(table).map((e) => e.message)).toEqual([
      expect.stringContaining('Secret "x" of namespace kube-system not found'),
    ]);
  });

  it('with --host-ingressclasses-selector: an Ingress naming a class not shown is refused, and synced once the class is', async () => {
    const IC = Resources.ingressClasses;
    const table = await start({
      kinds: ['ingresses', 'services', 'host-ingressclasses'],
      host: [[IC, { metadata: { name: 'internal' }, spec: { controller: 'example.com/ingress' } }]],
      flags: { hostIngressclassesSelector: 'tenants=yes' },
    });
    await table.virtual.create(SVC, 'team', service('web'));
    await table.virtual.create(ING, 'team', ingress({ ingressClassName: 'internal', ...routeTo('web') }));
    await table.settle();
    expect(hostIngress(table)).toBeUndefined();
    expect(events(table)).toEqual([
      {
        reason: 'SyncWarning',
        message: `did not sync ingress "web" to host because the ingress class "internal" in the host does not match the selector under 'sync.fromHost.ingressClasses.selector'`,
      },
    ]);
    const cls = table.host.objects(IC)[0]!;
    await table.host.update(IC, '', { ...cls, metadata: { ...cls.metadata, labels: { tenants: 'yes' } } });
    await table.settle();
    expect(specOf(hostIngress(table)).ingressClassName).toBe('internal');
    // Taken away again: the host copy goes, so that the host's controller no longer serves it.
    const relabelled = table.host.objects(IC)[0]!;
    await table.host.update(IC, '', { ...relabelled, metadata: { ...relabelled.metadata, labels: {} } });
    await table.settle();
    expect(hostIngress(table)).toBeUndefined();
  });

  it("host-ingressclasses shows the host's classes without their parameters (host objects of host namespaces)", async () => {
    const IC = Resources.ingressClasses;
    const parameters = {
      apiGroup: 'k8s.example.com',
      kind: 'IngressParameters',
      name: 'internal-lb',
      scope: 'Namespace',
      namespace: 'ingress-system',
    };
    const table = await start({
      kinds: ['host-ingressclasses'],
      host: [
        [IC, { metadata: { name: 'internal' }, spec: { controller: 'example.com/ingress', parameters } }],
      ],
    });
    await table.settle();
    expect(table.virtual.objects(IC).map((c) => c.spec)).toEqual([{ controller: 'example.com/ingress' }]);
  });

  it("with --host-ingressclasses-selector: the legacy class annotation is held to it too, and retried when the class is offered; one naming no class goes to the host's default, offered or not (as in vCluster)", async () => {
    const IC = Resources.ingressClasses;
    const table = await start({
      kinds: ['ingresses', 'services', 'host-ingressclasses'],
      host: [
        [
          IC,
          {
            metadata: {
              name: 'public',
              annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' },
            },
            spec: { controller: 'example.com/ingress' },
          },
        ],
      ],
      flags: { hostIngressclassesSelector: 'tenants=yes' },
    });
    await table.virtual.create(SVC, 'team', service('web'));
    await table.virtual.create(
      ING,
      'team',
      ingress(routeTo('web'), { 'kubernetes.io/ingress.class': 'public' }),
    );
    const unnamed = ingress(routeTo('web'));
    await table.virtual.create(ING, 'team', { ...unnamed, metadata: { ...unnamed.metadata, name: 'plain' } });
    await table.settle();
    expect(table.host.objects(ING, HOST_NS).map((i) => i.metadata?.name)).toEqual([hostName('plain')]);
    expect(events(table).map((e) => e.message)).toEqual([
      expect.stringContaining(
        `the ingress class "public" in the host does not match the selector under 'sync.fromHost.ingressClasses.selector'`,
      ),
    ]);
    // Offered now: the one naming it by its annotation is retried at once (it did not change).
    const cls = table.host.objects(IC)[0]!;
    await table.host.update(IC, '', { ...cls, metadata: { ...cls.metadata, labels: { tenants: 'yes' } } });
    await table.settle();
    expect(
      table.host
        .objects(ING, HOST_NS)
        .map((i) => i.metadata?.name)
        .sort(),
    ).toEqual([hostName('plain'), hostName('web')]);
  });

  /** A table with a host class `public` offered by the selector and `internal` not; the first the host's default. */
  const withOfferedAndWithheld = (opts: { defaultClass: 'public' | 'internal' }) => {
    const IC = Resources.ingressClasses;
    const hostClass = (name: string, labels: Record<string, string>): Seed => [
      IC,
      {
        metadata: {
          name,
          labels,
          annotations:
            opts.defaultClass === name ? { 'ingressclass.kubernetes.io/is-default-class': 'true' } : {},
        },
        spec: { controller: 'example.com/ingress' },
      },
    ];
    return start({
      kinds: ['ingresses', 'services', 'host-ingressclasses'],
      host: [hostClass('public', { tenants: 'yes' }), hostClass('internal', {})],
      flags: { hostIngressclassesSelector: 'tenants=yes' },
    });
  };

  it('with --host-ingressclasses-selector: an update adding a withheld class by the legacy annotation beside an offered field removes the copy', async () => {
    const table = await withOfferedAndWithheld({ defaultClass: 'public' });
    await table.virtual.create(SVC, 'team', service('web'));
    await table.virtual.create(ING, 'team', ingress({ ...routeTo('web'), ingressClassName: 'public' }));
    await table.settle();
    expect(specOf(hostIngress(table)).ingressClassName).toBe('public');
    const current = table.virtual.objects(ING, 'team')[0]!;
    await table.virtual.update(ING, 'team', {
      ...current,
      metadata: { ...current.metadata, annotations: { 'kubernetes.io/ingress.class': 'internal' } },
    });
    await table.settle();
    expect(hostIngress(table)).toBeUndefined();
    expect(events(table).map((e) => e.message)).toContainEqual(
      expect.stringContaining(`the ingress class "internal" in the host does not match the selector`),
    );
  });

  it("with --host-ingressclasses-selector: the host's default class filled in on a copy naming none is shown only when offered, and the copy stays", async () => {
    for (const defaultClass of ['public', 'internal'] as const) {
      const table = await withOfferedAndWithheld({ defaultClass });
      // The host's DefaultIngressClass admission.
      table.host.mutateOnCreate('ingresses', (o) => {
        const spec = o.spec as { ingressClassName?: string };
        spec.ingressClassName ??= defaultClass;
      });
      await table.virtual.create(SVC, 'team', service('web'));
      await table.virtual.create(ING, 'team', ingress(routeTo('web')));
      await table.settle();
      table.clock.advance(60_000);
      await table.settle();
      expect(specOf(hostIngress(table)).ingressClassName).toBe(defaultClass);
      const shown = specOf(table.virtual.objects(ING, 'team')[0]!).ingressClassName;
      expect({ defaultClass, shown, events: events(table) }).toEqual({
        defaultClass,
        shown: defaultClass === 'public' ? 'public' : undefined,
        events: [],
      });
      table.host.clearWrites();
      table.virtual.clearWrites();
      table.clock.advance(60_000);
      await table.settle();
      expect(table.writes()).toEqual([]);
    }
  });

  it('a TLS secret is on the host while an Ingress or a pod names it, and leaves once none does', async () => {
    const table = await withObjects([
      [SVC, service('web')],
      [SECRETS, secret('tls')],
      [Resources.pods, pod('tls')],
      [ING, ingress({ ...routeTo('web'), tls: [{ secretName: 'tls' }] })],
    ]);
    expect(hostSecrets(table)).toEqual([hostName('tls')]);
    await table.virtual.delete(ING, 'team', 'web');
    await table.settle();
    expect(hostIngress(table)).toBeUndefined();
    expect(hostSecrets(table)).toEqual([hostName('tls')]);
    await table.virtual.delete(Resources.pods, 'team', 'p');
    await table.settle();
    expect(hostSecrets(table)).toEqual([]);
  });

  it('an Ingress alone keeps its TLS secret synced; deleting the Ingress removes the copy', async () => {
    const table = await withObjects([
      [SVC, service('web')],
      [SECRETS, secret('tls')],
      [ING, ingress({ ...routeTo('web'), tls: [{ secretName: 'tls' }] })],
    ]);
    await table.virtual.delete(ING, 'team', 'web');
    await table.settle();
    expect(table.host.writeLog().filter((w) => w.includes('secrets'))).toEqual([
      `create secrets ${HOST_NS}/${hostName('tls')}`,
      `delete secrets ${HOST_NS}/${hostName('tls')}`,
    ]);
  });

  it('annotated since with what is refused (a Traefik middleware of a host namespace): the host copy goes', async () => {
    const table = await withObjects([
      [SVC, service('web')],
      [ING, ingress(routeTo('web'))],
    ]);
    expect(hostIngress(table)).toBeDefined();
    const current = virtualIngress(table)!;
    await table.virtual.update(ING, 'team', {
      ...current,
      metadata: {
        ...current.metadata,
        annotations: {
          'traefik.ingress.kubernetes.io/router.middlewares': 'kube-system-admin-auth@kubernetescrd',
        },
      },
    });
    await table.settle();
    expect(hostIngress(table)).toBeUndefined();
    expect(
      events(table)
        .map((e) => e.message)
        .join(' '),
    ).toContain('router.middlewares');
  });

  it("Rancher's public endpoints crosses neither way: the tenant's stays off the host copy, the host's (host names) never reaches the tenant", async () => {
    const KEY = 'field.cattle.io/publicEndpoints';
    const table = await withObjects([
      [SVC, service('web')],
      [ING, ingress(routeTo('web'), { [KEY]: '[{"addresses":["192.168.0.10"]}]', 'example.com/a': 'b' })],
    ]);
    expect(hostIngress(table)!.metadata?.annotations).not.toHaveProperty([KEY]);
    expect(hostIngress(table)!.metadata?.annotations?.['example.com/a']).toBe('b');
    const host = hostIngress(table)!;
    const hostsValue = `[{"ingressName":"${HOST_NS}:${host.metadata!.name}"}]`;
    await table.host.update(ING, HOST_NS, {
      ...host,
      metadata: { ...host.metadata, annotations: { ...host.metadata?.annotations, [KEY]: hostsValue } },
    });
    await table.settle();
    expect(virtualIngress(table)!.metadata?.annotations?.[KEY]).toBe('[{"addresses":["192.168.0.10"]}]');
    expect(hostIngress(table)!.metadata?.annotations?.[KEY]).toBe(hostsValue);
  });

  it("the host's load-balancer status flows up to the virtual Ingress", async () => {
    const table = await withObjects([
      [SVC, service('web')],
      [ING, ingress(routeTo('web'))],
    ]);
    const lb = { ingress: [{ ip: '203.0.113.7', ports: [{ port: 443, protocol: 'TCP' }] }] };
    await table.host.update(
      ING,
      HOST_NS,
      { ...hostIngress(table)!, status: { loadBalancer: lb } },
      { subresource: 'status' },
    );
    await table.settle();
    expect(virtualIngress(table)?.status).toEqual({ loadBalancer: lb });
    expect(table.virtual.writeLog()).toContain('update ingresses/status team/web');
  });

  it('an Ingress of a class the tenant made keeps the status its own controller wrote, until the host copy has an address', async () => {
    const IC = Resources.ingressClasses;
    const table = await withObjects([
      [SVC, service('web')],
      [ING, ingress({ ingressClassName: 'tenant-nginx', ...routeTo('web') })],
    ]);
    await table.virtual.create(IC, '', {
      metadata: { name: 'tenant-nginx' },
      spec: { controller: 'k8s.io/ingress-nginx' },
    });
    // The tenant's controller (running in the virtual cluster) writes its address.
    const tenantLb = { ingress: [{ ip: '198.51.100.9' }] };
    await table.virtual.update(
      ING,
      'team',
      { ...virtualIngress(table)!, status: { loadBalancer: tenantLb } },
      { subresource: 'status' },
    );
    await table.settle();
    expect(hostIngress(table)).toBeDefined();
    expect(virtualIngress(table)?.status).toEqual({ loadBalancer: tenantLb });
    // A host controller serving that class name too: its address is shown, as for any Ingress.
    const hostLb = { ingress: [{ ip: '203.0.113.7' }] };
    await table.host.update(
      ING,
      HOST_NS,
      { ...hostIngress(table)!, status: { loadBalancer: hostLb } },
      { subresource: 'status' },
    );
    await table.settle();
    expect(virtualIngress(table)?.status).toEqual({ loadBalancer: hostLb });
    // That host controller clears it (it stopped): the host's address shown is not kept.
    await table.host.update(
      ING,
      HOST_NS,
      { ...hostIngress(table)!, status: { loadBalancer: {} } },
      { subresource: 'status' },
    );
    await table.settle();
    expect(virtualIngress(table)?.status).toEqual({ loadBalancer: {} });
    // The tenant's controller writes its own again: kept.
    await table.virtual.update(
      ING,
      'team',
      { ...virtualIngress(table)!, status: { loadBalancer: tenantLb } },
      { subresource: 'status' },
    );
    await table.settle();
    expect(virtualIngress(table)?.status).toEqual({ loadBalancer: tenantLb });
  });

  it('an Ingress of a class shown from the host, or of none, shows the host copy status even when empty', async () => {
    const IC = Resources.ingressClasses;
    const table = await withObjects([
      [SVC, service('web')],
      [ING, ingress({ ingressClassName: 'shown', ...routeTo('web') })],
      [ING, { ...ingress(routeTo('web')), metadata: { name: 'plain', namespace: 'team' } }],
    ]);
    await table.virtual.create(IC, '', {
      metadata: { name: 'shown', labels: { [FROM_HOST_LABEL]: 'true' } },
      spec: { controller: 'k8s.io/ingress-nginx' },
    });
    const written = { ingress: [{ ip: '198.51.100.9' }] };
    for (const name of ['web', 'plain']) {
      const current = (await table.virtual.get(ING, 'team', name))!;
      await table.virtual.update(
        ING,
        'team',
        { ...current, status: { loadBalancer: written } },
        { subresource: 'status' },
      );
    }
    await table.settle();
    for (const name of ['web', 'plain'])
      expect((await table.virtual.get(ING, 'team', name))?.status).toEqual({ loadBalancer: {} });
  });

  it('a host edit of the spec is reverted', async () => {
    const table = await withObjects([
      [SVC, service('web')],
      [ING, ingress(routeTo('web'))],
    ]);
    const host = hostIngress(table)!;
    await table.host.update(ING, HOST_NS, { ...host, spec: { ...specOf(host), ...routeTo('someone-else') } });
    await table.settle();
    expect(backendName(hostIngress(table))).toBe(hostName('web'));
  });

  it('a Service that does not exist: synced pointing at nothing, SyncError names it; the Service arrives, the copy names it', async () => {
    const table = await withObjects([[ING, ingress(routeTo('later'))]]);
    expect(backendName(hostIngress(table))).toMatch(/^vsyncer-absent-[0-9a-f]{20}$/);
    expect(events(table)).toEqual([
      {
        reason: 'SyncError',
        message:
          'synced without what it names until that exists: Service "later" not found (spec.rules[0].http.paths[0].backend.service.name)',
      },
    ]);
    await table.virtual.create(SVC, 'team', service('later'));
    await table.settle();
    expect(backendName(hostIngress(table))).toBe(hostName('later'));
  });

  it("a Service whose copy goes (refused now): the Ingress's copy no longer names the freed host name, and the tenant is told", async () => {
    const table = await withObjects([
      [SVC, service('web')],
      [ING, ingress(routeTo('web'))],
    ]);
    expect(backendName(hostIngress(table))).toBe(hostName('web'));
    // An ExternalName to another namespace's Service is refused, so its host copy is deleted.
    const web = table.virtual.objects(SVC, 'team').find((s) => s.metadata?.name === 'web')!;
    await table.virtual.update(SVC, 'team', {
      ...web,
      spec: { type: 'ExternalName', externalName: 'web.prod.svc.cluster.local' },
    });
    await table.settle();
    expect(table.host.objects(SVC, HOST_NS).map((s) => s.metadata?.name)).not.toContain(hostName('web'));
    expect(backendName(hostIngress(table))).toMatch(/^vsyncer-absent-[0-9a-f]{20}$/);
    // A copy may be on its way: the tenant is told once it has stayed away a few seconds.
    expect(events(table)).toEqual([]);
    table.clock.advance(5000);
    await table.settle();
    expect(events(table)).toContainEqual({
      reason: 'SyncError',
      message:
        'synced without what it names until that exists: Service "web": its host copy is not there (spec.rules[0].http.paths[0].backend.service.name)',
    });
  });

  it('an Ingress changed to name another existing Secret: pointed at nothing until its copy comes a moment later, and no word to the tenant', async () => {
    const table = await withObjects([
      [SVC, service('web')],
      [SECRETS, secret('a')],
      [SECRETS, secret('b')],
      [ING, ingress(routeTo('web'), { [AUTH_SECRET]: 'a' })],
    ]);
    expect(hostIngress(table)?.metadata?.annotations?.[AUTH_SECRET]).toBe(hostName('a'));
    // The secrets kind copies b only once an Ingress names it: hold its create back a moment.
    table.host.holdWatchEvents('secrets');
    const v = table.virtual.objects(ING, 'team')[0]!;
    await table.virtual.update(ING, 'team', {
      ...v,
      metadata: { ...v.metadata, annotations: { ...v.metadata?.annotations, [AUTH_SECRET]: 'b' } },
    });
    await table.settle();
    table.host.releaseWatchEvents();
    await table.settle();
    expect(hostIngress(table)?.metadata?.annotations?.[AUTH_SECRET]).toBe(hostName('b'));
    expect(table.virtual.objects(ING, 'team')[0]!.metadata?.annotations?.[AUTH_SECRET]).toBe('b');
    table.clock.advance(10_000);
    await table.settle();
    expect(events(table)).toEqual([]);
  });

  it('a new Ingress naming a Service whose copy never comes is synced pointing at nothing after a few retries', async () => {
    const table = await withObjects([
      [
        SVC,
        { ...service('web'), spec: { type: 'ExternalName', externalName: 'web.prod.svc.cluster.local' } },
      ],
      [ING, ingress({ ...routeTo('web'), defaultBackend: backend('gone') })],
    ]);
    expect(hostIngress(table)).toBeUndefined();
    for (let i = 0; i < 10; i++) {
      table.clock.advance(2000);
      await table.settle();
    }
    expect(backendName(hostIngress(table))).toMatch(/^vsyncer-absent-[0-9a-f]{20}$/);
    // Told once, and not again in other words (a grace of the copy's own next time, without it).
    expect(events(table)).toEqual([
      {
        reason: 'SyncError',
        message:
          'synced without what it names until that exists: Service "gone" not found (spec.defaultBackend.service.name); Service "web": its host copy is not there (spec.rules[0].http.paths[0].backend.service.name)',
      },
    ]);
  });

  it('a resource backend: refused with the field named, nothing on the host', async () => {
    const table = await withObjects([
      [SECRETS, secret('tls')],
      [
        ING,
        ingress({
          defaultBackend: { resource: { apiGroup: '', kind: 'Secret', name: 'host-credentials' } },
          tls: [{ secretName: 'tls' }],
        }),
      ],
    ]);
    expect(table.host.writeLog()).toEqual([]);
    expect(events(table)).toEqual([
      {
        reason: 'SyncError',
        message:
          'cannot sync this ingress: spec.defaultBackend.resource: resource backends cannot be synced to the host',
      },
    ]);
  });

  it("an unmanaged host Ingress of that name: never overwritten, SyncError, the tenant's Ingress kept", async () => {
    const foreign: KubeObject = {
      metadata: { name: hostName('web'), namespace: HOST_NS },
      spec: routeTo('host-app'),
    };
    const table = await withObjects(
      [
        [SVC, service('web')],
        [ING, ingress(routeTo('web'))],
      ],
      { host: [[ING, foreign]] },
    );
    expect(table.host.writeLog().filter((w) => w.includes('ingresses'))).toEqual([]);
    expect(backendName(hostIngress(table))).toBe('host-app');
    expect(virtualIngress(table)).toBeDefined();
    expect(events(table).map((e) => e.reason)).toEqual(['SyncError']);
    expect(events(table)[0]!.message).not.toContain(HOST_NS);
  });

  it("a TLS secret whose host name another object holds: the Ingress waits, the host's controller is never pointed at it", async () => {
    const theirs: KubeObject = {
      metadata: { name: hostName('tls'), namespace: HOST_NS },
      data: { k: 'c2VjcmV0' },
    };
    const table = await withObjects(
      [
        [SVC, service('web')],
        [SECRETS, secret('tls')],
        [ING, ingress({ ...routeTo('web'), tls: [{ secretName: 'tls' }] })],
      ],
      { host: [[SECRETS, theirs]] },
    );
    expect(hostIngress(table)).toBeUndefined();
    expect(table.host.objects(SECRETS, HOST_NS)).toEqual([
      expect.objectContaining({ data: { k: 'c2VjcmV0' } }),
    ]);
  });

  it('the secrets kind without the ingresses kind: an Ingress does not make a secret synced', async () => {
    const table = await start({
      kinds: ['secrets'],
      virtual: [
        [SECRETS, secret('tls')],
        [ING, ingress({ tls: [{ secretName: 'tls' }] })],
      ],
    });
    await table.settle();
    expect(table.host.writeLog()).toEqual([]);
  });

  describe("a Service whose copy is to go (gone, refused now, made the control plane's own) keeps it until no Ingress copy names it: another namespace's Service waiting for that host name never gets the Ingress's traffic", () => {
    // Host names are ambiguous: Service s-x-b of namespace a and Service s of namespace b-x-a are
    // both s-x-b-x-a-x-<vc>; the second waits for the first's copy to go.
    const shared = hostName('s-x-b', 'a');
    const svc = (name: string, namespace: string): KubeObject => ({
      ...service(name),
      metadata: { name, namespace },
    });
    const changed = (table: StateTable, change: (s: KubeObject) => KubeObject) =>
      table.virtual.update(SVC, 'a', change(table.virtual.objects(SVC, 'a')[0]!));

    it.each<[string, (table: StateTable) => Promise<unknown>]>([
      ['deleted', (table) => table.virtual.delete(SVC, 'a', 's-x-b')],
      [
        'changed to a denied ExternalName',
        (table) =>
          changed(table, (s) => ({
            ...s,
            spec: { type: 'ExternalName', externalName: 'kubernetes.default', ports: [{ port: 80 }] },
          })),
      ],
      [
        "made the control plane's own",
        (table) =>
          changed(table, (s) => ({
            ...s,
            metadata: { ...s.metadata, labels: { 'vsyncer.dev/control-plane-local': 'true' } },
          })),
      ],
    ])('%s', async (_what, makeGo) => {
      const table = await withObjects([
        [SVC, svc('s-x-b', 'a')],
        [ING, { ...ingress(routeTo('s-x-b')), metadata: { name: 'web', namespace: 'a' } }],
        [SVC, svc('s', 'b-x-a')],
      ]);
      const holder = () =>
        table.host.objects(SVC, HOST_NS).find((s) => s.metadata?.name === shared)?.metadata?.annotations?.[
          'vcluster.loft.sh/object-namespace'
        ];
      const hostCopy = () =>
        table.host.objects(ING, HOST_NS).find((i) => i.metadata?.name === hostName('web', 'a'));
      expect(backendName(hostCopy())).toBe(shared);
      expect(holder()).toBe('a');
      table.host.clearWrites();

      await makeGo(table);
      // The Ingress's copy names it no more, which brings the Service's copy back to go (no clock moves).
      await table.settle();
      expect(holder()).toBe('b-x-a');
      expect(backendName(hostCopy())).not.toBe(shared);
      const writes = table.host.writeLog();
      const renamed = writes.indexOf(`update ingresses ${HOST_NS}/${hostName('web', 'a')}`);
      expect(renamed).toBeGreaterThanOrEqual(0);
      expect(writes.indexOf(`delete services ${HOST_NS}/${shared}`)).toBeGreaterThan(renamed);
    });
  });

  it("a TLS Secret's copy goes only once no Ingress copy names it: another namespace's Secret waiting for that host name never serves the Ingress's host", async () => {
    // Secret t-x-b of namespace a and Secret t of namespace b-x-a are both t-x-b-x-a-x-<vc>.
    const shared = hostName('t-x-b', 'a');
    const moved = (obj: KubeObject, name: string, namespace: string): KubeObject => ({
      ...obj,
      metadata: { ...obj.metadata, name, namespace },
    });
    const table = await withObjects([
      [SVC, moved(service('web'), 'web', 'a')],
      [SECRETS, moved(secret('t-x-b'), 't-x-b', 'a')],
      [ING, moved(ingress({ ...routeTo('web'), tls: [{ secretName: 't-x-b' }] }), 'web', 'a')],
      [SVC, moved(service('web'), 'web', 'b-x-a')],
      [SECRETS, moved(secret('t'), 't', 'b-x-a')],
      [ING, moved(ingress({ ...routeTo('web'), tls: [{ secretName: 't' }] }), 'web', 'b-x-a')],
    ]);
    const hostSecret = () => table.host.objects(SECRETS, HOST_NS).find((s) => s.metadata?.name === shared);
    const tlsOfCopy = () =>
      (
        table.host.objects(ING, HOST_NS).find((i) => i.metadata?.name === hostName('web', 'a'))?.spec as {
          tls?: { secretName?: string }[];
        }
      )?.tls?.[0]?.secretName;
    expect(tlsOfCopy()).toBe(shared);
    expect(hostSecret()?.metadata?.annotations?.['vcluster.loft.sh/object-namespace']).toBe('a');
    table.host.clearWrites();

    await table.virtual.delete(SECRETS, 'a', 't-x-b');
    // The Ingress's copy names it no more, which brings the Secret's copy back to go (no clock moves).
    await table.settle();
    expect(tlsOfCopy()).not.toBe(shared);
    expect(hostSecret()?.metadata?.annotations?.['vcluster.loft.sh/object-namespace']).toBe('b-x-a');
    const writes = table.host.writeLog();
    const renamed = writes.indexOf(`update ingresses ${HOST_NS}/${hostName('web', 'a')}`);
    expect(renamed).toBeGreaterThanOrEqual(0);
    expect(writes.indexOf(`delete secrets ${HOST_NS}/${shared}`)).toBeGreaterThan(renamed);
  });

  it("an Ingress copy the host will not update keeps a gone Service's copy 15 s at most: that copy still serves", async () => {
    const table = await withObjects([
      [
        SVC,
        {
          ...service('web'),
          spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }], type: 'LoadBalancer' },
        },
      ],
      [ING, ingress(routeTo('web'))],
    ]);
    // A host webhook refusing every change of the Ingress's copy.
    const refused = new ApiError(
      'host',
      400,
      { reason: 'BadRequest', message: 'denied by a webhook' },
      'badRequest',
    );
    for (let i = 0; i < 100; i++) table.host.failNext('update', 'ingresses', refused);
    const copy = () => table.host.objects(SVC, HOST_NS).find((s) => s.metadata?.name === hostName('web'));
    await table.virtual.delete(SVC, 'team', 'web');
    await table.settle();
    for (let s = 0; s < 10; s++) {
      table.clock.advance(1000);
      await table.settle();
    }
    expect(backendName(hostIngress(table))).toBe(hostName('web'));
    expect(copy()).toBeDefined();
    for (let s = 0; s < 10; s++) {
      table.clock.advance(1000);
      await table.settle();
    }
    expect(copy()).toBeUndefined();
  });
});
