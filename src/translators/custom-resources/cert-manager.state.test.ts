import type { KubeObject } from '../../kube/object.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type StateTable } from '../../testing/state-table.ts';
import { CRDS } from './crd.ts';
import {
  crdOf as crd,
  customResourceType,
  events,
  expectSteady,
  hostName,
  hostObject,
  settled,
  virtualSecret,
} from '../../testing/custom-resource-tables.ts';
import { FILLED_FROM_HOST_ANNOTATION } from '../shared/filled-secrets.ts';

/*
 * vCluster's integrations.certManager, end to end through the engine between two in-memory
 * clusters: the test plays the host's cert-manager, writing the issued certificate into the host
 * Secret a Certificate's copy names, as cert-manager does.
 */

const start = stateTables();

const GROUP = 'cert-manager.io';
const type = (resource: string, kind: string, namespaced: boolean) =>
  customResourceType(GROUP, resource, kind, namespaced);

const CERTS = type('certificates', 'Certificate', true);
const ISSUERS = type('issuers', 'Issuer', true);
const CLUSTER_ISSUERS = type('clusterissuers', 'ClusterIssuer', false);
const CERT_KIND = 'cr:certificates.cert-manager.io';
const ISSUER_KIND = 'cr:issuers.cert-manager.io';
const CLUSTER_ISSUER_KIND = 'cr:clusterissuers.cert-manager.io';

const certificate = (name: string, spec: Record<string, unknown>, ns = 'team'): KubeObject => ({
  apiVersion: `${GROUP}/v1`,
  kind: 'Certificate',
  metadata: { name, namespace: ns },
  spec,
});
const selfSigned = (name: string, labels: Record<string, string> = { offer: 'tenants' }): KubeObject => ({
  metadata: { name, labels },
  spec: { selfSigned: {} },
});

/** What cert-manager writes into the Secret of an issued certificate (data base64, as the API holds it). */
function issue(
  t: StateTable,
  secretHostName: string,
  certHostName: string,
  crt = 'Y2VydA==',
): Promise<unknown> {
  const current = hostObject(t, Resources.secrets, secretHostName)!;
  return t.host.update(Resources.secrets, HOST_NS, {
    ...current,
    metadata: {
      ...current.metadata,
      labels: { ...current.metadata?.labels, 'controller.cert-manager.io/fao': 'true' },
      annotations: {
        ...current.metadata?.annotations,
        'cert-manager.io/certificate-name': certHostName,
        'cert-manager.io/issuer-name': 'selfsigned',
        'cert-manager.io/issuer-kind': 'ClusterIssuer',
        'cert-manager.io/alt-names': `web.${HOST_NS}.example`,
      },
    },
    data: { 'tls.crt': crt, 'tls.key': 'a2V5', 'ca.crt': crt },
  });
}

/** The ClusterIssuer the host offers tenants in these tables. */
const OFFERED = { name: 'selfsigned', kind: 'ClusterIssuer' };

/** A tenant's own CA: its key pair in Secret `ca-key-pair` of `team`, and Issuer `ca` over it. */
async function tenantCa(t: StateTable): Promise<void> {
  await t.virtual.create(Resources.secrets, 'team', {
    metadata: { name: 'ca-key-pair' },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': 'Y2E=', 'tls.key': 'a2V5' },
  });
  await t.virtual.create(ISSUERS, 'team', {
    metadata: { name: 'ca' },
    spec: { ca: { secretName: 'ca-key-pair' } },
  });
}

/** The integration on (vCluster's defaults), the host offering ClusterIssuers labelled offer=tenants. */
async function certManagerTable(
  opts: {
    host?: [ResourceType, KubeObject][];
    certManager?: Record<string, unknown>;
    flags?: Record<string, unknown>;
    /** Kinds run besides the integration's. */
    kinds?: string[];
    /** Without the secrets kind. */
    noSecrets?: boolean;
  } = {},
): Promise<StateTable> {
  const toHost = (
    opts.certManager?.sync as
      { toHost?: { issuers?: { enabled?: boolean }; certificates?: { enabled?: boolean } } } | undefined
  )?.toHost;
  const issuersOff = toHost?.issuers?.enabled === false;
  const certificatesOff = toHost?.certificates?.enabled === false;
  const table = await start({
    kinds: [
      ...(opts.noSecrets ? [] : ['secrets']),
      'configmaps',
      'ingresses',
      ...(certificatesOff ? [] : [CERT_KIND]),
      ...(issuersOff ? [] : [ISSUER_KIND]),
      CLUSTER_ISSUER_KIND,
      ...(opts.kinds ?? []),
    ],
    ...(opts.flags ? { flags: opts.flags } : {}),
    file: {
      integrations: {
        certManager: opts.certManager ?? {
          enabled: true,
          sync: { fromHost: { clusterIssuers: { selector: { labels: { offer: 'tenants' } } } } },
        },
      },
    },
    host: [
      [CRDS, crd(CERTS)],
      [CRDS, crd(ISSUERS)],
      [CRDS, crd(CLUSTER_ISSUERS)],
      [CLUSTER_ISSUERS, selfSigned('selfsigned')],
      [CLUSTER_ISSUERS, selfSigned('internal', { offer: 'admins' })],
      ...(opts.host ?? []),
    ],
  });
  await settled(table);
  await settled(table);
  return table;
}

describe('integrations.certManager (state table)', () => {
  it('shows the host ClusterIssuers the selector offers, and no other', async () => {
    const table = await certManagerTable();
    expect(table.virtual.objects(CLUSTER_ISSUERS).map((o) => o.metadata?.name)).toEqual(['selfsigned']);
  });

  it("a Certificate: its Secret is made on the host, empty and the tenant's, before the copy names it; what cert-manager writes there comes back to the tenant", async () => {
    const table = await certManagerTable();
    await table.virtual.create(
      CERTS,
      'team',
      certificate('web', {
        secretName: 'web-tls',
        dnsNames: ['web.example'],
        issuerRef: { name: 'selfsigned', kind: 'ClusterIssuer', group: GROUP },
      }),
    );
    await settled(table);

    const hostSecret = hostObject(table, Resources.secrets, hostName('web-tls'))!;
    expect(hostSecret.type).toBe('kubernetes.io/tls');
    expect(hostSecret.data).toEqual({ 'tls.crt': '', 'tls.key': '' });
    expect(hostSecret.metadata?.labels).toMatchObject({
      'vcluster.loft.sh/managed-by': VC,
      'vcluster.loft.sh/namespace': 'team',
    });
    expect(hostSecret.metadata?.annotations).toMatchObject({
      'vcluster.loft.sh/object-name': 'web-tls',
      'vcluster.loft.sh/object-namespace': 'team',
    });
    expect(hostSecret.metadata?.annotations?.['vcluster.loft.sh/object-uid']).toBeUndefined();
    expect(hostObject(table, CERTS, hostName('web'))!.spec).toEqual({
      secretName: hostName('web-tls'),
      dnsNames: ['web.example'],
      issuerRef: { name: 'selfsigned', kind: 'ClusterIssuer', group: GROUP },
    });
    // Nothing issued yet: the tenant has no Secret, as with cert-manager before it issues.
    expect(virtualSecret(table, 'web-tls')).toBeUndefined();

    await issue(table, hostName('web-tls'), hostName('web'));
    await settled(table);
    const filled = virtualSecret(table, 'web-tls')!;
    expect(filled.type).toBe('kubernetes.io/tls');
    expect(filled.data).toEqual({ 'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5', 'ca.crt': 'Y2VydA==' });
    expect(filled.metadata?.annotations).toEqual({
      'cert-manager.io/certificate-name': 'web',
      'cert-manager.io/issuer-name': 'selfsigned',
      'cert-manager.io/issuer-kind': 'ClusterIssuer',
      // Not a host object's name: kept as cert-manager wrote it.
      'cert-manager.io/alt-names': `web.${HOST_NS}.example`,
      [FILLED_FROM_HOST_ANNOTATION]: 'true',
    });
    expect(filled.metadata?.labels).toEqual({ 'controller.cert-manager.io/fao': 'true' });

    await expectSteady(table);

    // A renewal reaches the tenant; the tenant's own edit is replaced by what the host holds.
    await issue(table, hostName('web-tls'), hostName('web'), 'cmVuZXdlZA==');
    await settled(table);
    expect(virtualSecret(table, 'web-tls')!.data).toMatchObject({ 'tls.crt': 'cmVuZXdlZA==' });
    await table.virtual.update(Resources.secrets, 'team', {
      ...virtualSecret(table, 'web-tls')!,
      data: { 'tls.crt': 'bWluZQ==', 'tls.key': 'a2V5' },
    });
    await settled(table);
    expect(virtualSecret(table, 'web-tls')!.data).toMatchObject({ 'tls.crt': 'cmVuZXdlZA==' });
    expect(hostObject(table, Resources.secrets, hostName('web-tls'))!.data).toMatchObject({
      'tls.crt': 'cmVuZXdlZA==',
    });
  });

  it('a Certificate deleted: its host Secret goes, the tenant keeps the Secret it was given', async () => {
    const table = await certManagerTable();
    await table.virtual.create(
      CERTS,
      'team',
      certificate('web', { secretName: 'web-tls', issuerRef: OFFERED }),
    );
    await settled(table);
    await issue(table, hostName('web-tls'), hostName('web'));
    await settled(table);
    await table.virtual.delete(CERTS, 'team', 'web');
    await settled(table);
    expect(hostObject(table, CERTS, hostName('web'))).toBeUndefined();
    expect(hostObject(table, Resources.secrets, hostName('web-tls'))).toBeUndefined();
    expect(virtualSecret(table, 'web-tls')!.data).toMatchObject({ 'tls.crt': 'Y2VydA==' });
  });

  it("an Issuer of the tenant's namespace is synced with the Secret it names, and a Certificate naming it (no kind: an Issuer) names its copy", async () => {
    const table = await certManagerTable();
    await tenantCa(table);
    await table.virtual.create(
      CERTS,
      'team',
      certificate('web', { secretName: 'web-tls', issuerRef: { name: 'ca' } }),
    );
    await settled(table);
    expect(hostObject(table, ISSUERS, hostName('ca'))!.spec).toEqual({
      ca: { secretName: hostName('ca-key-pair') },
    });
    expect(hostObject(table, Resources.secrets, hostName('ca-key-pair'))!.data).toEqual({
      'tls.crt': 'Y2E=',
      'tls.key': 'a2V5',
    });
    expect(hostObject(table, CERTS, hostName('web'))!.spec).toEqual({
      secretName: hostName('web-tls'),
      issuerRef: { name: hostName('ca') },
    });
  });

  it("an ACME Issuer whose account key Secret is missing: the key is made in the tenant's namespace as cert-manager would, copied down, and the host's cert-manager may not make one of its own", async () => {
    const table = await certManagerTable();
    const acme = (privateKeySecretRef: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
      acme: {
        server: 'https://acme-v02.api.letsencrypt.org/directory',
        privateKeySecretRef,
        solvers: [{ http01: { ingress: {} } }],
        ...more,
      },
    });
    await table.virtual.create(ISSUERS, 'team', {
      metadata: { name: 'le' },
      spec: acme({ name: 'le-account' }),
    });
    await table.virtual.create(ISSUERS, 'team', {
      metadata: { name: 'keyed' },
      spec: acme({ name: 'keyed-account', key: 'account.pem' }),
    });
    // The tenant's own key is never replaced.
    await table.virtual.create(Resources.secrets, 'team', {
      metadata: { name: 'own' },
      data: { 'tls.key': 'a2V5' },
    });
    await table.virtual.create(ISSUERS, 'team', { metadata: { name: 'own' }, spec: acme({ name: 'own' }) });
    // Generation off: the tenant gives the key, the Issuer waits for it.
    await table.virtual.create(ISSUERS, 'team', {
      metadata: { name: 'given' },
      spec: acme({ name: 'given-account' }, { disableAccountKeyGeneration: true }),
    });
    await settled(table);
    await settled(table);

    const pem = (secret: string, key: string) =>
      Buffer.from(
        String((virtualSecret(table, secret)?.data as Record<string, string> | undefined)?.[key] ?? ''),
        'base64',
      ).toString();
    expect(pem('le-account', 'tls.key')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(pem('keyed-account', 'account.pem')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(virtualSecret(table, 'own')!.data).toEqual({ 'tls.key': 'a2V5' });
    expect(virtualSecret(table, 'given-account')).toBeUndefined();
    expect(events(table).join('\n')).toContain(
      'created the ACME account key Secret le-account (key tls.key)',
    );

    for (const [issuer, secret] of [
      ['le', 'le-account'],
      ['keyed', 'keyed-account'],
      ['own', 'own'],
    ] as const) {
      const copy = hostObject(table, ISSUERS, hostName(issuer))!;
      const spec = (
        copy.spec as {
          acme: { privateKeySecretRef: { name: string }; disableAccountKeyGeneration?: boolean };
        }
      ).acme;
      expect(spec.privateKeySecretRef.name).toBe(hostName(secret));
      expect(spec.disableAccountKeyGeneration).toBe(true);
      expect(hostObject(table, Resources.secrets, hostName(secret))!.data).toEqual(
        virtualSecret(table, secret)!.data,
      );
    }
    expect(hostObject(table, ISSUERS, hostName('given'))).toBeUndefined();
  });

  it('an ACME account key is not made while Secrets are not synced (it could never reach the host), and a create the virtual cluster refuses is said on the Issuer', async () => {
    const acmeIssuer = (name: string) => ({
      metadata: { name },
      spec: {
        acme: {
          server: 'https://acme-v02.api.letsencrypt.org/directory',
          privateKeySecretRef: { name: `${name}-account` },
          solvers: [{ http01: { ingress: {} } }],
        },
      },
    });
    const off = await certManagerTable({ noSecrets: true });
    await off.virtual.create(ISSUERS, 'team', acmeIssuer('le'));
    await settled(off);
    expect(virtualSecret(off, 'le-account')).toBeUndefined();
    expect(events(off).join('\n')).toContain('objects of this kind are not synced');

    const table = await certManagerTable();
    // A quota on Secrets in the virtual namespace, say.
    table.virtual.failNext('create', 'secrets', 'forbidden');
    await table.virtual.create(ISSUERS, 'team', acmeIssuer('le'));
    await settled(table);
    expect(events(table).join('\n')).toContain('cannot create the ACME account key Secret le-account');
    // Retried, it is made once the virtual cluster takes it.
    table.clock.advance(60_000);
    await settled(table);
    expect(virtualSecret(table, 'le-account')).toBeDefined();
    expect(hostObject(table, ISSUERS, hostName('le'))).toBeDefined();
  });

  it('a ClusterIssuer the virtual cluster does not show is not named on the host: the Certificate waits, and syncs once the host offers it', async () => {
    const table = await certManagerTable();
    await table.virtual.create(
      CERTS,
      'team',
      certificate('web', { secretName: 'web-tls', issuerRef: { name: 'internal', kind: 'ClusterIssuer' } }),
    );
    await settled(table);
    expect(hostObject(table, CERTS, hostName('web'))).toBeUndefined();
    const internal = table.host.objects(CLUSTER_ISSUERS).find((o) => o.metadata?.name === 'internal')!;
    await table.host.update(CLUSTER_ISSUERS, '', {
      ...internal,
      metadata: { ...internal.metadata, labels: { offer: 'tenants' } },
    });
    await settled(table);
    expect(hostObject(table, CERTS, hostName('web'))!.spec).toMatchObject({
      issuerRef: { name: 'internal', kind: 'ClusterIssuer' },
    });
  });

  it("a tenant's own look-alike of a shown ClusterIssuer (the label is the tenant's to write) is not taken for one the host offers", async () => {
    const table = await certManagerTable();
    await table.virtual.create(CLUSTER_ISSUERS, '', {
      metadata: { name: 'internal', labels: { 'vsyncer.dev/managed': 'true' }, finalizers: ['tenant/keep'] },
      spec: { selfSigned: {} },
    });
    await table.virtual.create(
      CERTS,
      'team',
      certificate('web', { secretName: 'web-tls', issuerRef: { name: 'internal', kind: 'ClusterIssuer' } }),
    );
    await settled(table);
    expect(hostObject(table, CERTS, hostName('web'))).toBeUndefined();
    expect(table.host.objects(Resources.secrets, HOST_NS)).toEqual([]);
  });

  it('a Certificate on the host whose secretName changes names the new host Secret, made for it, never a name nobody holds', async () => {
    const table = await certManagerTable();
    await table.virtual.create(
      CERTS,
      'team',
      certificate('web', { secretName: 'web-tls', issuerRef: OFFERED }),
    );
    await settled(table);
    const current = table.virtual.objects(CERTS, 'team')[0]!;
    await table.virtual.update(CERTS, 'team', {
      ...current,
      spec: { ...(current.spec as object), secretName: 'web-tls-2' },
    });
    await settled(table);
    expect((hostObject(table, CERTS, hostName('web'))!.spec as { secretName: string }).secretName).toBe(
      hostName('web-tls-2'),
    );
    expect(hostObject(table, Resources.secrets, hostName('web-tls-2'))!.type).toBe('kubernetes.io/tls');
    // The old one is named by nothing any more.
    expect(hostObject(table, Resources.secrets, hostName('web-tls'))).toBeUndefined();
    expect(events(table).join('\n')).not.toContain('pointing at nothing');
  });

  it("a host object the syncer does not own at the Secret's host name: the Certificate is refused, saying so", async () => {
    const table = await certManagerTable({
      host: [
        [
          Resources.secrets,
          { metadata: { name: hostName('web-tls'), namespace: HOST_NS }, data: { a: 'Yg==' } },
        ],
      ],
    });
    await table.virtual.create(
      CERTS,
      'team',
      certificate('web', { secretName: 'web-tls', issuerRef: OFFERED }),
    );
    await settled(table);
    expect(hostObject(table, CERTS, hostName('web'))).toBeUndefined();
    expect(hostObject(table, Resources.secrets, hostName('web-tls'))!.data).toEqual({ a: 'Yg==' });
    expect(events(table).join('\n')).toContain('its host name is held by an object the syncer does not own');
  });

  it("a Certificate annotated to have cert-manager's HTTP-01 solver edit a host Ingress by name is refused", async () => {
    const table = await certManagerTable();
    await table.virtual.create(CERTS, 'team', {
      ...certificate('web', {
        secretName: 'web-tls',
        issuerRef: OFFERED,
      }),
      metadata: {
        name: 'web',
        namespace: 'team',
        annotations: { 'acme.cert-manager.io/http01-override-ingress-name': 'app-x-other-x-vc' },
      },
    });
    await settled(table);
    expect(hostObject(table, CERTS, hostName('web'))).toBeUndefined();
    expect(table.host.objects(Resources.secrets, HOST_NS)).toEqual([]);
    expect(events(table).join('\n')).toContain('http01-override-ingress-name');
  });

  it('a Secret a pod uses is copied down as ever while the Certificate naming it waits (its ClusterIssuer not offered), and taken once it is', async () => {
    const table = await certManagerTable();
    await table.virtual.create(Resources.secrets, 'team', {
      metadata: { name: 'web-tls', annotations: { 'vcluster.loft.sh/force-sync': 'true' } },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': 'bWluZQ==', 'tls.key': 'a2V5' },
    });
    await table.virtual.create(
      CERTS,
      'team',
      certificate('web', { secretName: 'web-tls', issuerRef: { name: 'internal', kind: 'ClusterIssuer' } }),
    );
    await settled(table);
    const copy = hostObject(table, Resources.secrets, hostName('web-tls'))!;
    expect(copy.data).toEqual({ 'tls.crt': 'bWluZQ==', 'tls.key': 'a2V5' });
    expect(copy.metadata?.annotations?.['vcluster.loft.sh/object-uid']).toBe(
      virtualSecret(table, 'web-tls')!.metadata?.uid,
    );
    // The tenant's edit still reaches the host.
    await table.virtual.update(Resources.secrets, 'team', {
      ...virtualSecret(table, 'web-tls')!,
      data: { 'tls.crt': 'ZWRpdGVk', 'tls.key': 'a2V5' },
    });
    await settled(table);
    expect(hostObject(table, Resources.secrets, hostName('web-tls'))!.data).toMatchObject({
      'tls.crt': 'ZWRpdGVk',
    });

    // Offered: the Certificate takes the host Secret, which the host fills from then on.
    const internal = table.host.objects(CLUSTER_ISSUERS).find((o) => o.metadata?.name === 'internal')!;
    await table.host.update(CLUSTER_ISSUERS, '', {
      ...internal,
      metadata: { ...internal.metadata, labels: { offer: 'tenants' } },
    });
    await settled(table);
    expect(hostObject(table, CERTS, hostName('web'))).toBeDefined();
    expect(
      hostObject(table, Resources.secrets, hostName('web-tls'))!.metadata?.annotations?.[
        'vcluster.loft.sh/object-uid'
      ],
    ).toBeUndefined();
    await issue(table, hostName('web-tls'), hostName('web'));
    await settled(table);
    expect(virtualSecret(table, 'web-tls')!.data).toMatchObject({ 'tls.crt': 'Y2VydA==' });
    expect(hostObject(table, Resources.secrets, hostName('web-tls'))!.data).toMatchObject({
      'tls.crt': 'Y2VydA==',
    });
  });

  it("a Certificate for a name tenants may not serve on the host's ingress controllers (the virtual API server's, one outside the allowed) is refused", async () => {
    const table = await certManagerTable({
      flags: { reservedIngressHost: ['api.vc.example.com'], allowedIngressHost: ['*.tenants.example.com'] },
    });
    const issuerRef = { name: 'selfsigned', kind: 'ClusterIssuer' };
    await table.virtual.create(
      CERTS,
      'team',
      certificate('api', { secretName: 'a', dnsNames: ['api.vc.example.com'], issuerRef }),
    );
    await table.virtual.create(
      CERTS,
      'team',
      certificate('out', { secretName: 'o', commonName: 'shop.example.org', issuerRef }),
    );
    await table.virtual.create(
      CERTS,
      'team',
      certificate('ok', { secretName: 'k', dnsNames: ['web.tenants.example.com'], issuerRef }),
    );
    await settled(table);
    expect(table.host.objects(CERTS, HOST_NS).map((c) => c.metadata?.name)).toEqual([hostName('ok')]);
    const said = events(table).join('\n');
    expect(said).toContain('spec.dnsNames[]: ');
    expect(said).toContain('api.vc.example.com');
    expect(said).toContain('spec.commonName: ');
  });

  it("a Certificate asking a host ClusterIssuer that signs under the host's CA for a CA, or for an identity no host bound judges (URI, IP, e-mail, other name, literal subject), is refused; a self-signed ClusterIssuer and the tenant's own Issuer may sign them", async () => {
    const hostCa: KubeObject = {
      metadata: { name: 'host-ca', labels: { offer: 'tenants' } },
      spec: { ca: { secretName: 'host-ca-key-pair' } },
    };
    const table = await certManagerTable({
      flags: { allowedIngressHost: ['*.tenants.example.com'] },
      host: [[CLUSTER_ISSUERS, hostCa]],
    });
    await tenantCa(table);
    const dnsNames = ['web.tenants.example.com'];
    const byHostCa = { name: 'host-ca', kind: 'ClusterIssuer' };
    const asked: [string, Record<string, unknown>][] = [
      ['ca', { isCA: true }],
      ['uri', { uris: ['spiffe://cluster.local/ns/prod/sa/payments'] }],
      ['ip', { ipAddresses: ['10.96.0.1'] }],
      ['mail', { emailAddresses: ['admin@host.example'] }],
      ['other', { otherNames: [{ oid: '1.3.6.1.4.1.311.20.2.3', utf8Value: 'admin@host.example' }] }],
      ['literal', { literalSubject: 'CN=payments.prod.svc.cluster.local' }],
    ];
    for (const [name, fields] of asked)
      await table.virtual.create(
        CERTS,
        'team',
        certificate(`host-${name}`, { secretName: `h-${name}`, dnsNames, issuerRef: byHostCa, ...fields }),
      );
    const allowed: [string, Record<string, unknown>][] = [
      ['host-leaf', { dnsNames, issuerRef: byHostCa, isCA: false }],
      // Self-signed: the certificate signs itself, nothing chains to the host.
      ['self-ca', { commonName: 'team CA', isCA: true, uris: ['spiffe://team.local'], issuerRef: OFFERED }],
      [
        'own-ca',
        {
          isCA: true,
          uris: ['spiffe://team.local/ns/team/sa/web'],
          issuerRef: { name: 'ca', kind: 'Issuer' },
        },
      ],
    ];
    for (const [name, fields] of allowed)
      await table.virtual.create(CERTS, 'team', certificate(name, { secretName: `s-${name}`, ...fields }));
    await settled(table);
    expect(
      table.host
        .objects(CERTS, HOST_NS)
        .map((c) => c.metadata?.name)
        .sort(),
    ).toEqual(allowed.map(([name]) => hostName(name)).sort());
    const said = events(table).join('\n');
    expect(said).toContain('spec.isCA is true');
    expect(said).toContain('ClusterIssuer "host-ca", which signs under a CA');
    for (const field of ['uris', 'ipAddresses', 'emailAddresses', 'otherNames', 'literalSubject'])
      expect(said).toContain(`spec.${field}`);
  });

  it('a Certificate refused after its Secret was taken (its names no longer allowed) gives the Secret back to the tenant', async () => {
    const table = await certManagerTable({ flags: { allowedIngressHost: ['*.tenants.example.com'] } });
    const issuerRef = { name: 'selfsigned', kind: 'ClusterIssuer' };
    await table.virtual.create(
      CERTS,
      'team',
      certificate('web', { secretName: 'web-tls', dnsNames: ['web.tenants.example.com'], issuerRef }),
    );
    await settled(table);
    await issue(table, hostName('web-tls'), hostName('web'));
    await settled(table);
    const cert = table.virtual.objects(CERTS, 'team')[0]!;
    await table.virtual.update(CERTS, 'team', {
      ...cert,
      spec: { ...(cert.spec as object), dnsNames: ['shop.example.org'] },
    });
    await settled(table);
    expect(hostObject(table, CERTS, hostName('web'))).toBeUndefined();
    await table.virtual.update(Resources.secrets, 'team', {
      ...virtualSecret(table, 'web-tls')!,
      metadata: {
        ...virtualSecret(table, 'web-tls')!.metadata,
        annotations: { 'vcluster.loft.sh/force-sync': 'true' },
      },
      data: { 'tls.crt': 'bWluZQ==', 'tls.key': 'a2V5' },
    });
    await settled(table);
    expect(virtualSecret(table, 'web-tls')!.data).toEqual({ 'tls.crt': 'bWluZQ==', 'tls.key': 'a2V5' });
    expect(hostObject(table, Resources.secrets, hostName('web-tls'))!.data).toEqual({
      'tls.crt': 'bWluZQ==',
      'tls.key': 'a2V5',
    });
  });

  it('a Certificate that waits does not keep an ordinary copy wanted: deleting the Secret a host pod mounts leaves its copy in place', async () => {
    const table = await certManagerTable({
      host: [
        [
          Resources.pods,
          {
            metadata: {
              name: hostName('app'),
              namespace: HOST_NS,
              labels: { 'vcluster.loft.sh/managed-by': VC },
              annotations: {
                'vcluster.loft.sh/object-name': 'app',
                'vcluster.loft.sh/object-namespace': 'team',
              },
            },
            spec: { containers: [], volumes: [{ name: 'tls', secret: { secretName: hostName('web-tls') } }] },
          },
        ],
      ],
    });
    await table.virtual.create(Resources.secrets, 'team', {
      metadata: { name: 'web-tls', annotations: { 'vcluster.loft.sh/force-sync': 'true' } },
      data: { 'tls.crt': 'bWluZQ==' },
    });
    await table.virtual.create(
      CERTS,
      'team',
      certificate('web', { secretName: 'web-tls', issuerRef: { name: 'internal', kind: 'ClusterIssuer' } }),
    );
    await settled(table);
    expect(hostObject(table, Resources.secrets, hostName('web-tls'))).toBeDefined();
    await table.virtual.delete(Resources.secrets, 'team', 'web-tls');
    await settled(table);
    expect(hostObject(table, Resources.secrets, hostName('web-tls'))!.data).toEqual({
      'tls.crt': 'bWluZQ==',
    });
  });

  it('a Certificate naming a Secret an admin shows from the host (--map-host-secret) is refused: nothing fills it, nothing fights its sync', async () => {
    const adminData = { 'tls.crt': 'QURNSU4=', 'tls.key': 'QURNSU4=' };
    const table = await certManagerTable({
      kinds: ['mapped-host-secrets'],
      flags: { mapHostSecret: ['shared/wildcard-tls=team/wildcard-tls'] },
      host: [
        [
          Resources.secrets,
          {
            metadata: { name: 'wildcard-tls', namespace: 'shared' },
            type: 'kubernetes.io/tls',
            data: adminData,
          },
        ],
      ],
    });
    await settled(table);
    expect(virtualSecret(table, 'wildcard-tls')?.data).toEqual(adminData);
    await table.virtual.create(
      CERTS,
      'team',
      certificate('web', { secretName: 'wildcard-tls', issuerRef: { ...OFFERED, group: GROUP } }),
    );
    await settled(table);
    expect(events(table).join('\n')).toContain(
      'Secret "wildcard-tls": a Secret shown from the host cluster, which no host controller may fill',
    );
    expect(hostObject(table, CERTS, hostName('web'))).toBeUndefined();
    expect(hostObject(table, Resources.secrets, hostName('wildcard-tls'))).toBeUndefined();
    expect(virtualSecret(table, 'wildcard-tls')?.data).toEqual(adminData);
    await expectSteady(table);
  });

  it('an issuer of another kind or group (an external issuer, looked up in the host namespace) is refused with a SyncError', async () => {
    const table = await certManagerTable();
    await table.virtual.create(
      CERTS,
      'team',
      certificate('pca', {
        secretName: 'pca-tls',
        issuerRef: { name: 'pca', kind: 'AWSPCAIssuer', group: 'awspca.cert-manager.io' },
      }),
    );
    await table.virtual.create(
      CERTS,
      'team',
      certificate('grouped', { secretName: 'g-tls', issuerRef: { name: 'x', group: 'example.com' } }),
    );
    await settled(table);
    expect(table.host.objects(CERTS, HOST_NS)).toEqual([]);
    expect(table.host.objects(Resources.secrets, HOST_NS)).toEqual([]);
    expect(events(table).join('\n')).toContain('spec.issuerRef.kind is "AWSPCAIssuer"');
    expect(events(table).join('\n')).toContain('spec.issuerRef.group is "example.com"');
  });

  it("a Secret name whose host name is another namespace's copy is refused: cert-manager never writes into it", async () => {
    // `s` of namespace `other-x-team` and `s-x-other` of `team` share the host name s-x-other-x-team-x-vc.
    const table = await certManagerTable();
    await table.virtual.create(Resources.secrets, 'other-x-team', {
      metadata: { name: 's', annotations: { 'vcluster.loft.sh/force-sync': 'true' } },
      data: { password: 'c2VjcmV0' },
    });
    await settled(table);
    const theirs = hostObject(table, Resources.secrets, hostName('s-x-other'))!;
    expect(theirs.data).toEqual({ password: 'c2VjcmV0' });

    await table.virtual.create(
      CERTS,
      'team',
      certificate('web', {
        secretName: 's-x-other',
        issuerRef: OFFERED,
      }),
    );
    await settled(table);
    expect(hostObject(table, CERTS, hostName('web'))).toBeUndefined();
    expect(hostObject(table, Resources.secrets, hostName('s-x-other'))).toEqual(theirs);
    expect(virtualSecret(table, 's-x-other')).toBeUndefined();
    expect(events(table).join('\n')).toContain('its host name is held by another object');
  });

  it('an Issuer that would have cert-manager act on host objects by name is refused', async () => {
    const table = await certManagerTable();
    await table.virtual.create(ISSUERS, 'team', {
      metadata: { name: 'vault' },
      spec: {
        vault: {
          server: 'https://vault.example',
          path: 'pki/sign/x',
          auth: { kubernetes: { role: 'r', serviceAccountRef: { name: 'cert-manager' } } },
        },
      },
    });
    await table.virtual.create(ISSUERS, 'team', {
      metadata: { name: 'acme' },
      spec: {
        acme: {
          server: 'https://acme.example',
          privateKeySecretRef: { name: 'acme-key' },
          solvers: [{ http01: { ingress: { name: 'someone-elses-ingress' } } }],
        },
      },
    });
    await settled(table);
    expect(table.host.objects(ISSUERS, HOST_NS)).toEqual([]);
    const said = events(table).join('\n');
    expect(said).toContain('spec.vault.auth.kubernetes.serviceAccountRef is set; it may not be set here');
    expect(said).toContain('spec.acme.solvers[0].http01.ingress.name is set; it may not be set here');
  });

  it("a Certificate's secretTemplate goes on the tenant's Secret, not the host's (a reflector's annotation there would copy a host Secret's data in), and never sets the syncer's keys", async () => {
    const table = await certManagerTable();
    const template = {
      labels: { app: 'web', 'vcluster.loft.sh/managed-by': 'forged' },
      annotations: {
        'reflector.v1.k8s.emberstack.com/reflects': 'kube-system/admin',
        'vsyncer.dev/filled-from-host': 'false',
      },
    };
    await table.virtual.create(
      CERTS,
      'team',
      certificate('web', { secretName: 'web-tls', issuerRef: OFFERED, secretTemplate: template }),
    );
    await settled(table);
    expect(hostObject(table, CERTS, hostName('web'))!.spec).toEqual({
      secretName: hostName('web-tls'),
      issuerRef: OFFERED,
    });
    await issue(table, hostName('web-tls'), hostName('web'));
    await settled(table);
    const hostSecret = hostObject(table, Resources.secrets, hostName('web-tls'))!;
    expect(hostSecret.metadata?.annotations).not.toHaveProperty('reflector.v1.k8s.emberstack.com/reflects');
    expect(hostSecret.metadata?.labels).not.toHaveProperty('app');
    const filled = virtualSecret(table, 'web-tls')!;
    expect(filled.metadata?.labels).toMatchObject({ app: 'web', 'controller.cert-manager.io/fao': 'true' });
    expect(filled.metadata?.labels).not.toHaveProperty('vcluster.loft.sh/managed-by');
    expect(filled.metadata?.annotations).toMatchObject({
      'reflector.v1.k8s.emberstack.com/reflects': 'kube-system/admin',
      [FILLED_FROM_HOST_ANNOTATION]: 'true',
    });
    await expectSteady(table);
    // A template changed later reaches the tenant's Secret too: keys it no longer names are taken off
    // (the tenant's own stay), keys the API server would refuse and cert-manager's own are not taken.
    const cert = table.virtual.objects(CERTS, 'team')[0]!;
    const secret = virtualSecret(table, 'web-tls')!;
    await table.virtual.update(Resources.secrets, 'team', {
      ...secret,
      metadata: { ...secret.metadata, labels: { ...secret.metadata?.labels, mine: 'yes' } },
    });
    await table.virtual.update(CERTS, 'team', {
      ...cert,
      spec: {
        ...(cert.spec as object),
        secretTemplate: {
          labels: { app: 'web', tier: 'front', 'bad key!': 'x', long: 'v'.repeat(64) },
          annotations: { 'cert-manager.io/certificate-name': 'forged' },
        },
      },
    });
    await settled(table);
    const after = virtualSecret(table, 'web-tls')!.metadata!;
    expect(after.labels).toMatchObject({ app: 'web', tier: 'front', mine: 'yes' });
    expect(after.labels).not.toHaveProperty('bad key!');
    expect(after.labels).not.toHaveProperty('long');
    expect(after.annotations).not.toHaveProperty('reflector.v1.k8s.emberstack.com/reflects');
    expect(after.annotations?.['cert-manager.io/certificate-name']).toBe('web');
    await expectSteady(table);
  });

  it("an Issuer's solver templates, Route53's Kubernetes auth and a DNS-01 webhook's config are refused", async () => {
    const table = await certManagerTable();
    const acme = (solver: Record<string, unknown>) => ({
      acme: { server: 'https://acme.example', privateKeySecretRef: { name: 'k' }, solvers: [solver] },
    });
    const issuers = {
      templated: acme({ http01: { ingress: { podTemplate: { metadata: { labels: { app: 'db' } } } } } }),
      annotated: acme({
        http01: { ingress: { ingressTemplate: { metadata: { annotations: { 'x/server-snippet': 'y' } } } } },
      }),
      route53: acme({ dns01: { route53: { auth: { kubernetes: { serviceAccountRef: { name: 'sa' } } } } } }),
      webhook: acme({ dns01: { webhook: { groupName: 'g', solverName: 's', config: { secret: 'x' } } } }),
    };
    for (const name of ['k', 'c'])
      await table.virtual.create(Resources.secrets, 'team', { metadata: { name }, data: { k: 'dA==' } });
    for (const [name, spec] of Object.entries(issuers))
      await table.virtual.create(ISSUERS, 'team', { metadata: { name }, spec });
    await settled(table);
    expect(table.host.objects(ISSUERS, HOST_NS)).toEqual([]);
    const said = events(table).join('\n');
    for (const field of [
      'http01.ingress.podTemplate',
      'http01.ingress.ingressTemplate',
      'dns01.route53.auth',
      'dns01.webhook',
    ])
      expect(said).toContain(`spec.acme.solvers[0].${field} is set; it may not be set here`);
  });

  it('with --host-ingressclasses-selector, an Issuer whose HTTP-01 solver names a class the tenant is not offered is refused, as an Ingress naming it would be; an offered class syncs', async () => {
    const IC = Resources.ingressClasses;
    const table = await certManagerTable({
      kinds: ['host-ingressclasses'],
      flags: { hostIngressclassesSelector: 'tenants=yes' },
      host: [
        [
          IC,
          { metadata: { name: 'public', labels: { tenants: 'yes' } }, spec: { controller: 'example.com/i' } },
        ],
        [IC, { metadata: { name: 'admins-internal' }, spec: { controller: 'example.com/i' } }],
      ],
    });
    await table.virtual.create(Resources.secrets, 'team', { metadata: { name: 'k' }, data: { k: 'dA==' } });
    const issuer = (name: string, ingress: Record<string, unknown>) => ({
      metadata: { name },
      spec: {
        acme: {
          server: 'https://acme-v02.api.letsencrypt.org/directory',
          privateKeySecretRef: { name: 'k' },
          solvers: [{ http01: { ingress } }],
        },
      },
    });
    await table.virtual.create(ISSUERS, 'team', issuer('by-name', { ingressClassName: 'admins-internal' }));
    await table.virtual.create(ISSUERS, 'team', issuer('legacy', { class: 'admins-internal' }));
    await table.virtual.create(ISSUERS, 'team', issuer('missing', { ingressClassName: 'nowhere' }));
    await table.virtual.create(ISSUERS, 'team', issuer('offered', { ingressClassName: 'public' }));
    await settled(table);
    expect(table.host.objects(ISSUERS, HOST_NS).map((i) => i.metadata?.name)).toEqual([hostName('offered')]);
    const said = events(table).join('\n');
    expect(said).toContain(
      `spec.acme.solvers[0].http01.ingress.ingressClassName: did not sync Issuer "by-name" to host because the ingress class "admins-internal" in the host does not match the selector`,
    );
    expect(said).toContain('spec.acme.solvers[0].http01.ingress.class: did not sync Issuer "legacy"');
    expect(said).toContain('ingress class "nowhere" couldn\'t be reached in the host');

    // Offered later (the admin labels the class): the Issuers naming it are tried again and synced.
    const internal = table.host.objects(IC).find((c) => c.metadata?.name === 'admins-internal')!;
    await table.host.update(IC, '', {
      ...internal,
      metadata: { ...internal.metadata, labels: { tenants: 'yes' } },
    });
    await settled(table);
    expect(
      table.host
        .objects(ISSUERS, HOST_NS)
        .map((i) => i.metadata?.name)
        .sort(),
    ).toEqual([hostName('by-name'), hostName('legacy'), hostName('offered')].sort());
  });

  it("an Issuer naming a server the admin does not trust is refused (cert-manager calls it from inside the host cluster, follows its redirects, and puts a failed answer's body in the status); the public ACME CAs are trusted", async () => {
    const table = await certManagerTable();
    const issuers: Record<string, Record<string, unknown>> = {
      metadata: {
        acme: { server: 'http://169.254.169.254/latest/meta-data/', privateKeySecretRef: { name: 'k' } },
      },
      'in-cluster': { vault: { server: 'https://vault.vault.svc:8200', path: 'pki' } },
      'public-vault': { vault: { server: 'https://vault.example.com:8200', path: 'pki' } },
      'own-acme': {
        acme: { server: 'https://acme.example.com/directory', privateKeySecretRef: { name: 'k' } },
      },
      tpp: {
        venafi: { zone: 'z', tpp: { url: 'https://tpp.example.com/vedsdk', credentialsRef: { name: 'c' } } },
      },
      letsencrypt: {
        acme: {
          server: 'https://acme-v02.api.letsencrypt.org/directory',
          privateKeySecretRef: { name: 'k' },
        },
      },
      'venafi-cloud': { venafi: { zone: 'z', cloud: { apiTokenSecretRef: { name: 'c', key: 'k' } } } },
      'acme-dns': {
        acme: {
          server: 'https://acme-v02.api.letsencrypt.org/directory',
          privateKeySecretRef: { name: 'k' },
          solvers: [
            {
              dns01: {
                acmeDNS: { host: 'http://acme-dns.internal:8080', accountSecretRef: { name: 'c', key: 'k' } },
              },
            },
          ],
        },
      },
    };
    for (const name of ['k', 'c'])
      await table.virtual.create(Resources.secrets, 'team', { metadata: { name }, data: { k: 'dA==' } });
    for (const [name, spec] of Object.entries(issuers))
      await table.virtual.create(ISSUERS, 'team', { metadata: { name }, spec });
    await settled(table);
    expect(
      table.host
        .objects(ISSUERS, HOST_NS)
        .map((i) => i.metadata?.name)
        .sort(),
    ).toEqual([hostName('letsencrypt'), hostName('venafi-cloud')]);
    const said = events(table).join('\n');
    for (const field of [
      'spec.acme.server',
      'spec.vault.server',
      'spec.venafi.tpp.url',
      'spec.acme.solvers[0].dns01.acmeDNS.host',
    ])
      expect(said).toContain(`${field} is `);
    expect(said).toContain(
      'spec.vault.server is "https://vault.example.com:8200": the host\'s controller would call it from inside the host cluster, following its redirects',
    );
    expect(said).toContain('an admin adds one with --allowed-server-url');
  });

  it('an Issuer whose DNS-01 solver would send cert-manager where the tenant says is refused (RFC 2136 updates to any server, Cloud DNS key files naming their token URL, an Azure tenant ID pasted into its token URL)', async () => {
    const table = await certManagerTable();
    await table.virtual.create(Resources.secrets, 'team', { metadata: { name: 'k' }, data: { k: 'dA==' } });
    const acme = (name: string, dns01: Record<string, unknown>) =>
      table.virtual.create(ISSUERS, 'team', {
        metadata: { name },
        spec: {
          acme: {
            server: 'https://acme-v02.api.letsencrypt.org/directory',
            privateKeySecretRef: { name: 'k' },
            solvers: [{ dns01 }],
          },
        },
      });
    const azure = (tenantID: string) => ({
      azureDNS: {
        clientID: 'x',
        clientSecretSecretRef: { name: 'k', key: 'k' },
        tenantID,
        subscriptionID: 's',
        resourceGroupName: 'r',
      },
    });
    await acme('rfc2136', { rfc2136: { nameserver: '10.0.0.53:53' } });
    await acme('clouddns', { cloudDNS: { project: 'p', serviceAccountSecretRef: { name: 'k', key: 'k' } } });
    await acme('azure-url', azure('//evil.example'));
    await acme('azure', azure('0d1c2b3a-1111-2222-3333-444455556666'));
    await settled(table);
    expect(table.host.objects(ISSUERS, HOST_NS).map((i) => i.metadata?.name)).toEqual([hostName('azure')]);
    const said = events(table).join('\n');
    expect(said).toContain('spec.acme.solvers[0].dns01.rfc2136 is set; it may not be set here');
    expect(said).toContain('spec.acme.solvers[0].dns01.cloudDNS is set; it may not be set here');
    expect(said).toContain(
      'spec.acme.solvers[0].dns01.azureDNS.tenantID is "//evil.example"; it may only match',
    );
  });

  it('an Issuer naming a server the admin allows (--allowed-server-url) is synced, an in-cluster Vault too', async () => {
    const table = await certManagerTable({
      flags: { allowedServerUrl: ['https://vault.vault.svc:8200', 'https://acme.example.com/directory/'] },
    });
    await table.virtual.create(Resources.secrets, 'team', { metadata: { name: 'k' }, data: { k: 'dA==' } });
    await table.virtual.create(ISSUERS, 'team', {
      metadata: { name: 'vault' },
      spec: { vault: { server: 'https://vault.vault.svc:8200', path: 'pki' } },
    });
    await table.virtual.create(ISSUERS, 'team', {
      metadata: { name: 'acme' },
      spec: { acme: { server: 'https://acme.example.com/directory', privateKeySecretRef: { name: 'k' } } },
    });
    await table.virtual.create(ISSUERS, 'team', {
      metadata: { name: 'other' },
      spec: { vault: { server: 'https://vault.vault.svc:8201', path: 'pki' } },
    });
    await settled(table);
    expect(
      table.host
        .objects(ISSUERS, HOST_NS)
        .map((i) => i.metadata?.name)
        .sort(),
    ).toEqual([hostName('acme'), hostName('vault')]);
  });

  it('with issuers off, a Certificate naming an Issuer is refused', async () => {
    const table = await certManagerTable({
      certManager: { enabled: true, sync: { toHost: { issuers: { enabled: false } } } },
    });
    await table.virtual.create(
      CERTS,
      'team',
      certificate('web', { secretName: 'web-tls', issuerRef: { name: 'ca', kind: 'Issuer' } }),
    );
    await table.virtual.create(
      CERTS,
      'team',
      certificate('bare', { secretName: 'b-tls', issuerRef: { name: 'ca' } }),
    );
    await settled(table);
    expect(table.host.objects(CERTS, HOST_NS)).toEqual([]);
    const said = events(table).join('\n');
    expect(said).toContain('spec.issuerRef.kind is "Issuer"; it may only be one of ["ClusterIssuer"] here');
    expect(said).toContain('spec.issuerRef.kind is not set; it may only be one of ["ClusterIssuer"] here');
  });

  it('a restart writes only the CRD copies and what the host renewed meanwhile: no host Secret, issued or pending, deleted or overwritten while the kinds start, no name flipped', async () => {
    const first = await certManagerTable();
    await tenantCa(first);
    await first.virtual.create(
      CERTS,
      'team',
      certificate('web', { secretName: 'web-tls', issuerRef: OFFERED }),
    );
    await first.virtual.create(
      CERTS,
      'team',
      certificate('api', { secretName: 'api-tls', issuerRef: { name: 'ca' } }),
    );
    // Not issued yet when the syncer restarts: its host Secret is there, empty, and the tenant has none.
    await first.virtual.create(
      CERTS,
      'team',
      certificate('pending', {
        secretName: 'pending-tls',
        issuerRef: OFFERED,
      }),
    );
    await first.virtual.create(Resources.ingresses, 'team', {
      metadata: { name: 'shop', annotations: { 'cert-manager.io/cluster-issuer': 'selfsigned' } },
      spec: { tls: [{ secretName: 'shop-tls' }], rules: [{ host: 'shop.example.com' }] },
    });
    await settled(first);
    await issue(first, hostName('web-tls'), hostName('web'));
    await issue(first, hostName('api-tls'), hostName('api'));
    await issue(first, hostName('shop-tls'), hostName('shop-tls'));
    await settled(first);
    expect(virtualSecret(first, 'shop-tls')).toBeDefined();
    expect(hostObject(first, Resources.secrets, hostName('pending-tls'))).toBeDefined();

    // A new syncer, on what the first left, but for the virtual cluster's copies of the CRDs (as after
    // a tenant deleted them, or a restore): the cert-manager kinds wait for them while the others run.
    const types = [
      CRDS,
      CERTS,
      ISSUERS,
      CLUSTER_ISSUERS,
      Resources.secrets,
      Resources.ingresses,
      Resources.namespaces,
    ];
    const snapshot = (cluster: StateTable['host']) =>
      types.flatMap((t) => cluster.objects(t).map((o) => [t, o] as [ResourceType, KubeObject]));
    const second = await start({
      kinds: ['secrets', 'configmaps', 'ingresses', CERT_KIND, ISSUER_KIND, CLUSTER_ISSUER_KIND],
      file: {
        integrations: {
          certManager: {
            enabled: true,
            sync: { fromHost: { clusterIssuers: { selector: { labels: { offer: 'tenants' } } } } },
          },
        },
      },
      host: snapshot(first.host),
      virtual: snapshot(first.virtual)
        .filter(([t]) => t !== CRDS)
        .map(([t, o]) =>
          // web-tls was renewed on the host while no syncer ran, and the tenant has it synced for
          // itself too (force-sync): what it holds is older than the host's.
          o.metadata?.name === 'web-tls' && t === Resources.secrets
            ? [
                t,
                {
                  ...o,
                  metadata: {
                    ...o.metadata,
                    annotations: { ...o.metadata?.annotations, 'vcluster.loft.sh/force-sync': 'true' },
                  },
                  data: { 'tls.crt': 'b2xk', 'tls.key': 'b2xk' },
                },
              ]
            : [t, o],
        ),
    });
    await second.settle();
    await settled(second);
    await settled(second);
    expect(second.writes().sort()).toEqual([
      'virtual: create customresourcedefinitions certificates.cert-manager.io',
      'virtual: create customresourcedefinitions clusterissuers.cert-manager.io',
      'virtual: create customresourcedefinitions issuers.cert-manager.io',
      'virtual: update secrets team/web-tls',
    ]);
    // The host's, newer, came back; the tenant's older one never went down.
    expect(virtualSecret(second, 'web-tls')!.data).toMatchObject({ 'tls.crt': 'Y2VydA==' });
  });

  it("a Gateway's cert-manager annotations are left off its copy: gateway-shim would issue into the tenant's listener Secret", async () => {
    const table = await start({
      kinds: ['gateways', CERT_KIND, CLUSTER_ISSUER_KIND],
      file: { integrations: { certManager: { enabled: true } } },
      host: [
        [CRDS, crd(CERTS)],
        [CRDS, crd(CLUSTER_ISSUERS)],
      ],
    });
    await settled(table);
    await table.virtual.create(Resources.gateways, 'team', {
      metadata: { name: 'gw', annotations: { 'cert-manager.io/cluster-issuer': 'selfsigned', keep: 'me' } },
      spec: { gatewayClassName: 'host-class', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
    });
    await settled(table);
    const copy = hostObject(table, Resources.gateways, hostName('gw'))!;
    expect(copy.metadata?.annotations?.['cert-manager.io/cluster-issuer']).toBeUndefined();
    expect(copy.metadata?.annotations?.keep).toBe('me');
  });

  describe("an Ingress the host's ingress-shim issues for", () => {
    const ingress = (annotations: Record<string, string>, ns = 'team'): KubeObject => ({
      metadata: { name: 'web', namespace: ns, annotations },
      spec: {
        tls: [{ hosts: ['web.example.com'], secretName: 'web-tls' }],
        rules: [{ host: 'web.example.com' }],
      },
    });
    const hostIngress = (t: StateTable) => hostObject(t, Resources.ingresses, hostName('web'));
    /** Sets annotations on the tenant's Ingress `web` (the others kept), and settles. */
    const annotateIngress = async (t: StateTable, annotations: Record<string, string>) => {
      const current = t.virtual.objects(Resources.ingresses, 'team').find((i) => i.metadata?.name === 'web')!;
      await t.virtual.update(Resources.ingresses, 'team', {
        ...current,
        metadata: { ...current.metadata, annotations: { ...current.metadata?.annotations, ...annotations } },
      });
      await settled(t);
    };

    it('its TLS Secret is made on the host and named by the copy; what ingress-shim issues comes back', async () => {
      const table = await certManagerTable();
      await table.virtual.create(
        Resources.ingresses,
        'team',
        ingress({ 'cert-manager.io/cluster-issuer': 'selfsigned' }),
      );
      await settled(table);
      const made = hostObject(table, Resources.secrets, hostName('web-tls'))!;
      expect(made.type).toBe('kubernetes.io/tls');
      expect(made.metadata?.annotations?.['vcluster.loft.sh/object-name']).toBe('web-tls');
      expect((hostIngress(table)!.spec as { tls: unknown }).tls).toEqual([
        { hosts: ['web.example.com'], secretName: hostName('web-tls') },
      ]);
      expect(hostIngress(table)!.metadata?.annotations?.['cert-manager.io/cluster-issuer']).toBe(
        'selfsigned',
      );
      expect(virtualSecret(table, 'web-tls')).toBeUndefined();

      // ingress-shim names its Certificate after the Secret.
      await issue(table, hostName('web-tls'), hostName('web-tls'));
      await settled(table);
      const filled = virtualSecret(table, 'web-tls')!;
      expect(filled.data).toMatchObject({ 'tls.crt': 'Y2VydA==' });
      expect(filled.metadata?.annotations?.['cert-manager.io/certificate-name']).toBe('web-tls');
      await expectSteady(table);
    });

    it("a tenant's own TLS Secret of that name is what cert-manager issues over, as in the tenant's own cluster: no write loop", async () => {
      const table = await certManagerTable();
      await table.virtual.create(Resources.secrets, 'team', {
        metadata: { name: 'web-tls' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': 'b2xk', 'tls.key': 'b2xk' },
      });
      await table.virtual.create(
        Resources.ingresses,
        'team',
        ingress({ 'cert-manager.io/cluster-issuer': 'selfsigned' }),
      );
      await settled(table);
      await issue(table, hostName('web-tls'), hostName('web-tls'));
      await settled(table);
      expect(virtualSecret(table, 'web-tls')!.data).toMatchObject({ 'tls.crt': 'Y2VydA==' });
      expect(hostObject(table, Resources.secrets, hostName('web-tls'))!.data).toMatchObject({
        'tls.crt': 'Y2VydA==',
      });
      await expectSteady(table);
    });

    it('an Ingress not annotated for cert-manager keeps the tenant-given TLS Secret, which goes down as ever', async () => {
      const table = await certManagerTable();
      await table.virtual.create(Resources.secrets, 'team', {
        metadata: { name: 'web-tls' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': 'bWluZQ==', 'tls.key': 'a2V5' },
      });
      await table.virtual.create(Resources.ingresses, 'team', ingress({}));
      await settled(table);
      expect(hostObject(table, Resources.secrets, hostName('web-tls'))!.data).toEqual({
        'tls.crt': 'bWluZQ==',
        'tls.key': 'a2V5',
      });
    });

    it('a ClusterIssuer the virtual cluster does not show is left off the copy, with a SyncError: no certificate is issued from it', async () => {
      const table = await certManagerTable();
      await table.virtual.create(
        Resources.ingresses,
        'team',
        ingress({ 'cert-manager.io/cluster-issuer': 'internal' }),
      );
      await settled(table);
      const copy = hostIngress(table)!;
      expect(copy.metadata?.annotations?.['cert-manager.io/cluster-issuer']).toBeUndefined();
      expect(hostObject(table, Resources.secrets, hostName('web-tls'))).toBeUndefined();
      expect(events(table).join('\n')).toContain(
        'names ClusterIssuer "internal", which this virtual cluster does not show',
      );
    });

    it("kubernetes.io/tls-acme (the host's default issuer, in any spelling ingress-shim reads), issuer-kind and the solver's annotations are left off; the TLS Secret stays the tenant's, and nothing loops", async () => {
      const table = await certManagerTable();
      await table.virtual.create(Resources.secrets, 'team', {
        metadata: { name: 'web-tls' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': 'bWluZQ==', 'tls.key': 'a2V5' },
      });
      await table.virtual.create(
        Resources.ingresses,
        'team',
        ingress({
          'kubernetes.io/tls-acme': 'True',
          'cert-manager.io/issuer-kind': 'Issuer',
          'acme.cert-manager.io/http01-edit-in-place': 'true',
          'cert-manager.io/cluster-issuer': 'internal',
        }),
      );
      await settled(table);
      const annotations = hostIngress(table)!.metadata?.annotations ?? {};
      for (const key of [
        'kubernetes.io/tls-acme',
        'cert-manager.io/issuer-kind',
        'acme.cert-manager.io/http01-edit-in-place',
        'cert-manager.io/cluster-issuer',
      ])
        expect(annotations[key]).toBeUndefined();
      expect(hostObject(table, Resources.secrets, hostName('web-tls'))!.data).toEqual({
        'tls.crt': 'bWluZQ==',
        'tls.key': 'a2V5',
      });
      expect(events(table).join('\n')).toContain(
        "kubernetes.io/tls-acme has the host's default issuer issue",
      );
      await expectSteady(table);
    });

    it("an Ingress no longer issued for: ingress-shim's Certificate for its copy goes (it would renew into a Secret that is the tenant's again), no other", async () => {
      const table = await certManagerTable();
      await table.virtual.create(
        Resources.ingresses,
        'team',
        ingress({ 'cert-manager.io/cluster-issuer': 'selfsigned' }),
      );
      await settled(table);
      const copy = hostIngress(table)!;
      // What ingress-shim makes: a Certificate named after the Secret, controlled by the Ingress copy.
      const shim = (name: string, uid: string): KubeObject => ({
        metadata: {
          name,
          namespace: HOST_NS,
          ownerReferences: [
            {
              apiVersion: 'networking.k8s.io/v1',
              kind: 'Ingress',
              name: copy.metadata!.name!,
              uid,
              controller: true,
            },
          ],
        },
        spec: { secretName: name, issuerRef: OFFERED },
      });
      table.host.seed(CERTS, shim(hostName('web-tls'), copy.metadata!.uid!));
      table.host.seed(CERTS, shim('someone-elses', 'another-uid'));
      await issue(table, hostName('web-tls'), hostName('web-tls'));
      await settled(table);
      const current = table.virtual.objects(Resources.ingresses, 'team')[0]!;
      await table.virtual.update(Resources.ingresses, 'team', {
        ...current,
        metadata: { ...current.metadata, annotations: {} },
      });
      await settled(table);
      expect(table.host.objects(CERTS, HOST_NS).map((c) => c.metadata?.name)).toEqual(['someone-elses']);
      // ingress-shim making it again from a cache that still showed the annotation: it goes again.
      table.host.seed(CERTS, shim(hostName('web-tls'), copy.metadata!.uid!));
      await settled(table);
      expect(table.host.objects(CERTS, HOST_NS).map((c) => c.metadata?.name)).toEqual(['someone-elses']);
      // The tenant's Secret, as last issued, is its own again, and goes down as ever.
      expect(hostObject(table, Resources.secrets, hostName('web-tls'))!.data).toMatchObject({
        'tls.crt': 'Y2VydA==',
      });
      await expectSteady(table);
    });

    it("ingress-shim's other annotations are passed only when they shape the certificate: a common name only when it may be served, secret-template onto the tenant's Secret, unknown ones left off", async () => {
      const table = await certManagerTable({ flags: { reservedIngressHost: ['api.vc.example.com'] } });
      const template = {
        labels: { tier: 'web', 'vcluster.loft.sh/managed-by': 'forged' },
        annotations: { 'reflector.v1.k8s.emberstack.com/reflection-allowed': 'true' },
      };
      await table.virtual.create(
        Resources.ingresses,
        'team',
        ingress({
          'cert-manager.io/cluster-issuer': 'selfsigned',
          'cert-manager.io/duration': '2160h',
          'cert-manager.io/secret-template': JSON.stringify(template),
          'cert-manager.io/common-name': 'api.vc.example.com',
          'cert-manager.io/some-future-key': 'x',
          'cert-manager.io/email-sans': 'admin@host.example',
        }),
      );
      await settled(table);
      const annotations = hostIngress(table)!.metadata?.annotations ?? {};
      expect(annotations['cert-manager.io/cluster-issuer']).toBe('selfsigned');
      expect(annotations['cert-manager.io/duration']).toBe('2160h');
      for (const key of ['secret-template', 'common-name', 'some-future-key', 'email-sans'])
        expect(annotations[`cert-manager.io/${key}`]).toBeUndefined();
      const said = events(table).join('\n');
      expect(said).toContain(
        'cert-manager.io/common-name: host "api.vc.example.com" is reserved for the virtual cluster\'s API server',
      );
      expect(said).toContain("cert-manager.io/some-future-key is not passed to the host's cert-manager");
      expect(said).not.toContain('secret-template');
      await issue(table, hostName('web-tls'), hostName('web-tls'));
      await settled(table);
      const filled = virtualSecret(table, 'web-tls')!;
      expect(filled.metadata?.labels).toMatchObject({ tier: 'web' });
      expect(filled.metadata?.labels).not.toHaveProperty('vcluster.loft.sh/managed-by');
      expect(filled.metadata?.annotations).toMatchObject(template.annotations);
      expect(hostObject(table, Resources.secrets, hostName('web-tls'))!.metadata?.labels).not.toHaveProperty(
        'tier',
      );

      // A name it may serve is passed; a template that is no {labels, annotations} is said to be wrong.
      await annotateIngress(table, {
        'cert-manager.io/common-name': 'api.vc.example.com.',
        'cert-manager.io/secret-template': '{"labels": ["x"]}',
      });
      // A trailing dot is the same name to a resolver and to a certificate check: still reserved.
      expect(hostIngress(table)!.metadata?.annotations?.['cert-manager.io/common-name']).toBeUndefined();
      expect(events(table).join('\n')).toContain(
        'cert-manager.io/common-name: host "api.vc.example.com" is reserved',
      );
      await annotateIngress(table, { 'cert-manager.io/common-name': ' web.example.com' });
      // Spaces around it are read away: the name is a name it may serve, passed as written.
      expect(hostIngress(table)!.metadata?.annotations?.['cert-manager.io/common-name']).toBe(
        ' web.example.com',
      );
      await annotateIngress(table, { 'cert-manager.io/common-name': ' API.vc.example.com. ' });
      expect(hostIngress(table)!.metadata?.annotations?.['cert-manager.io/common-name']).toBeUndefined();
      await annotateIngress(table, { 'cert-manager.io/common-name': 'web.example.com' });
      expect(hostIngress(table)!.metadata?.annotations?.['cert-manager.io/common-name']).toBe(
        'web.example.com',
      );
      expect(events(table).join('\n')).toContain(
        'cert-manager.io/secret-template must be a JSON object {"labels": {...}, "annotations": {...}} of strings',
      );
    });

    it('an offer withdrawn reaches the Ingress: its annotation is left off from then on', async () => {
      const table = await certManagerTable();
      await table.virtual.create(
        Resources.ingresses,
        'team',
        ingress({ 'cert-manager.io/cluster-issuer': 'selfsigned' }),
      );
      await settled(table);
      expect(hostIngress(table)!.metadata?.annotations?.['cert-manager.io/cluster-issuer']).toBe(
        'selfsigned',
      );
      const offered = table.host.objects(CLUSTER_ISSUERS).find((o) => o.metadata?.name === 'selfsigned')!;
      await table.host.update(CLUSTER_ISSUERS, '', {
        ...offered,
        metadata: { ...offered.metadata, labels: {} },
      });
      await settled(table);
      expect(hostIngress(table)!.metadata?.annotations?.['cert-manager.io/cluster-issuer']).toBeUndefined();
    });

    it("an Ingress naming the tenant's own Issuer: its copy names the Issuer's host copy, as cert-manager's kind and group, and the TLS Secret is filled; the tenant's Ingress keeps its own words", async () => {
      const table = await certManagerTable();
      await tenantCa(table);
      await table.virtual.create(
        Resources.ingresses,
        'team',
        ingress({ 'cert-manager.io/issuer': 'ca', 'cert-manager.io/issuer-kind': 'Issuer' }),
      );
      await settled(table);
      const annotations = hostIngress(table)!.metadata?.annotations ?? {};
      expect(annotations['cert-manager.io/issuer']).toBe(hostName('ca'));
      expect(annotations['cert-manager.io/issuer-kind']).toBe('Issuer');
      expect(annotations['cert-manager.io/issuer-group']).toBe('cert-manager.io');
      expect(hostObject(table, Resources.secrets, hostName('web-tls'))!.type).toBe('kubernetes.io/tls');
      expect((hostIngress(table)!.spec as { tls: unknown }).tls).toEqual([
        { hosts: ['web.example.com'], secretName: hostName('web-tls') },
      ]);
      await issue(table, hostName('web-tls'), hostName('web-tls'));
      await settled(table);
      expect(virtualSecret(table, 'web-tls')!.data).toMatchObject({ 'tls.crt': 'Y2VydA==' });
      const tenants = table.virtual.objects(Resources.ingresses, 'team')[0]!.metadata?.annotations ?? {};
      expect(tenants['cert-manager.io/issuer']).toBe('ca');
      expect(tenants['cert-manager.io/issuer-kind']).toBe('Issuer');
      expect(tenants['cert-manager.io/issuer-group']).toBeUndefined();
      await expectSteady(table);
    });

    it("an Issuer of another kind or group (an external issuer's), or a ClusterIssuer with a kind or group (cert-manager refuses it), is left off: the tenant's own Issuer of that name is not what was asked for", async () => {
      const table = await certManagerTable();
      await tenantCa(table);
      await table.virtual.create(
        Resources.ingresses,
        'team',
        ingress({ 'cert-manager.io/issuer': 'ca', 'cert-manager.io/issuer-group': 'awspca.cert-manager.io' }),
      );
      await table.virtual.create(Resources.ingresses, 'team', {
        ...ingress({
          'cert-manager.io/cluster-issuer': 'selfsigned',
          'cert-manager.io/issuer-kind': 'Issuer',
        }),
        metadata: {
          name: 'shop',
          annotations: {
            'cert-manager.io/cluster-issuer': 'selfsigned',
            'cert-manager.io/issuer-kind': 'Issuer',
          },
        },
        spec: { tls: [{ secretName: 'shop-tls' }], rules: [{ host: 'shop.example.com' }] },
      });
      await settled(table);
      const annotations = hostIngress(table)!.metadata?.annotations ?? {};
      expect(annotations['cert-manager.io/issuer']).toBeUndefined();
      expect(annotations['cert-manager.io/issuer-group']).toBeUndefined();
      const shop = hostObject(table, Resources.ingresses, hostName('shop'))!.metadata?.annotations ?? {};
      expect(shop['cert-manager.io/cluster-issuer']).toBeUndefined();
      expect(hostObject(table, Resources.secrets, hostName('web-tls'))).toBeUndefined();
      expect(hostObject(table, Resources.secrets, hostName('shop-tls'))).toBeUndefined();
      const said = events(table).join('\n');
      expect(said).toContain('names "ca" of kind "Issuer" in group "awspca.cert-manager.io"');
      expect(said).toContain('cert-manager.io/cluster-issuer with cert-manager.io/issuer-kind or');
    });

    it('the Secrets an Ingress naming an Issuer names otherwise go down as ever: an ingress-nginx auth Secret, and its TLS Secret while the Issuer cannot be used or once it is gone', async () => {
      const table = await certManagerTable();
      await tenantCa(table);
      await table.virtual.create(Resources.secrets, 'team', {
        metadata: { name: 'basic-auth' },
        data: { auth: 'dXNlcjpwYXNz' },
      });
      await table.virtual.create(Resources.secrets, 'team', {
        metadata: { name: 'web-tls' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': 'bWluZQ==', 'tls.key': 'a2V5' },
      });
      await table.virtual.create(
        Resources.ingresses,
        'team',
        ingress({
          'cert-manager.io/issuer': 'nope',
          'nginx.ingress.kubernetes.io/auth-type': 'basic',
          'nginx.ingress.kubernetes.io/auth-secret': 'basic-auth',
        }),
      );
      await settled(table);
      expect(hostObject(table, Resources.secrets, hostName('basic-auth'))!.data).toEqual({
        auth: 'dXNlcjpwYXNz',
      });
      const copy = hostIngress(table)!;
      expect(copy.metadata?.annotations?.['nginx.ingress.kubernetes.io/auth-secret']).toBe(
        hostName('basic-auth'),
      );
      expect((copy.spec as { tls: { secretName: string }[] }).tls[0]!.secretName).toBe(hostName('web-tls'));
      expect(hostObject(table, Resources.secrets, hostName('web-tls'))!.data).toEqual({
        'tls.crt': 'bWluZQ==',
        'tls.key': 'a2V5',
      });
      // Named to an Issuer that can be used: issued over the tenant's Secret; the Issuer deleted, the
      // Secret (as last issued) is the tenant's again, and the copy keeps naming it.
      await annotateIngress(table, { 'cert-manager.io/issuer': 'ca' });
      await issue(table, hostName('web-tls'), hostName('web-tls'));
      await settled(table);
      expect(virtualSecret(table, 'web-tls')!.data).toMatchObject({ 'tls.crt': 'Y2VydA==' });
      await table.virtual.delete(ISSUERS, 'team', 'ca');
      await settled(table);
      const tenantTls = virtualSecret(table, 'web-tls')!;
      await table.virtual.update(Resources.secrets, 'team', {
        ...tenantTls,
        metadata: { ...tenantTls.metadata, labels: { touched: 'yes' } },
      });
      await settled(table);
      expect(hostObject(table, Resources.secrets, hostName('web-tls'))!.data).toMatchObject({
        'tls.crt': 'Y2VydA==',
      });
      expect((hostIngress(table)!.spec as { tls: { secretName: string }[] }).tls[0]!.secretName).toBe(
        hostName('web-tls'),
      );
      expect(hostObject(table, Resources.secrets, hostName('basic-auth'))).toBeDefined();
    });

    it('a restart with Certificates not synced writes only the CRD copies: no TLS Secret an Issuer or ClusterIssuer issued into is handed back or taken again while those kinds start', async () => {
      const certManager = {
        enabled: true,
        sync: {
          toHost: { certificates: { enabled: false } },
          fromHost: { clusterIssuers: { selector: { labels: { offer: 'tenants' } } } },
        },
      };
      const first = await certManagerTable({ certManager });
      await tenantCa(first);
      await first.virtual.create(Resources.ingresses, 'team', ingress({ 'cert-manager.io/issuer': 'ca' }));
      await first.virtual.create(Resources.ingresses, 'team', {
        metadata: { name: 'shop', annotations: { 'cert-manager.io/cluster-issuer': 'selfsigned' } },
        spec: { tls: [{ secretName: 'shop-tls' }], rules: [{ host: 'shop.example.com' }] },
      });
      await settled(first);
      await issue(first, hostName('web-tls'), hostName('web-tls'));
      await issue(first, hostName('shop-tls'), hostName('shop-tls'));
      await settled(first);
      expect(virtualSecret(first, 'web-tls')).toBeDefined();
      expect(virtualSecret(first, 'shop-tls')).toBeDefined();
      const types = [
        CRDS,
        ISSUERS,
        CLUSTER_ISSUERS,
        Resources.secrets,
        Resources.ingresses,
        Resources.namespaces,
      ];
      const snapshot = (cluster: StateTable['host']) =>
        types.flatMap((t) => cluster.objects(t).map((o) => [t, o] as [ResourceType, KubeObject]));
      const second = await start({
        kinds: ['secrets', 'configmaps', 'ingresses', ISSUER_KIND, CLUSTER_ISSUER_KIND],
        file: { integrations: { certManager } },
        host: snapshot(first.host),
        virtual: snapshot(first.virtual).filter(([t]) => t !== CRDS),
      });
      await second.settle();
      await settled(second);
      await settled(second);
      expect(second.writes().sort()).toEqual([
        'virtual: create customresourcedefinitions clusterissuers.cert-manager.io',
        'virtual: create customresourcedefinitions issuers.cert-manager.io',
      ]);
    });

    it('an Ingress made before its Issuer is synced without it, saying so, and names it once its copy is there; the Issuer deleted, it is left off again', async () => {
      const table = await certManagerTable();
      await table.virtual.create(Resources.ingresses, 'team', ingress({ 'cert-manager.io/issuer': 'ca' }));
      await settled(table);
      expect(hostIngress(table)!.metadata?.annotations?.['cert-manager.io/issuer']).toBeUndefined();
      expect(hostObject(table, Resources.secrets, hostName('web-tls'))).toBeUndefined();
      expect(events(table).join('\n')).toContain(
        'cert-manager.io/issuer names Issuer "ca": it does not exist; no certificate is issued for this ingress until it can be',
      );
      await tenantCa(table);
      await settled(table);
      expect(hostIngress(table)!.metadata?.annotations?.['cert-manager.io/issuer']).toBe(hostName('ca'));
      expect(hostObject(table, Resources.secrets, hostName('web-tls'))!.type).toBe('kubernetes.io/tls');
      await table.virtual.delete(ISSUERS, 'team', 'ca');
      await settled(table);
      expect(hostObject(table, ISSUERS, hostName('ca'))).toBeUndefined();
      const annotations = hostIngress(table)!.metadata?.annotations ?? {};
      expect(annotations['cert-manager.io/issuer']).toBeUndefined();
      expect(annotations['cert-manager.io/issuer-kind']).toBeUndefined();
    });

    it("an Issuer is looked for in the Ingress's own namespace only: a host name another namespace's Issuer copy holds is never named", async () => {
      const table = await certManagerTable();
      // Issuer "a" of namespace "b-x-team" has the host name Issuer "a-x-b" of "team" would have.
      await table.virtual.create(ISSUERS, 'b-x-team', { metadata: { name: 'a' }, spec: { selfSigned: {} } });
      await settled(table);
      expect(hostObject(table, ISSUERS, hostName('a', 'b-x-team'))).toBeDefined();
      await table.virtual.create(Resources.ingresses, 'team', ingress({ 'cert-manager.io/issuer': 'a-x-b' }));
      await settled(table);
      expect(hostIngress(table)!.metadata?.annotations?.['cert-manager.io/issuer']).toBeUndefined();
      expect(events(table).join('\n')).toContain('names Issuer "a-x-b": it does not exist');
      // The tenant making one of that name in "team": its host name is held by the other's copy.
      await table.virtual.create(ISSUERS, 'team', { metadata: { name: 'a-x-b' }, spec: { selfSigned: {} } });
      await settled(table);
      expect(hostIngress(table)!.metadata?.annotations?.['cert-manager.io/issuer']).toBeUndefined();
      expect(events(table).join('\n')).toContain(
        'names Issuer "a-x-b": its host name is held by another object',
      );
      expect(hostObject(table, Resources.secrets, hostName('web-tls'))).toBeUndefined();
    });

    it('an Issuer and a ClusterIssuer both named (cert-manager refuses the pair): neither reaches the copy', async () => {
      const table = await certManagerTable();
      await tenantCa(table);
      await table.virtual.create(
        Resources.ingresses,
        'team',
        ingress({ 'cert-manager.io/issuer': 'ca', 'cert-manager.io/cluster-issuer': 'selfsigned' }),
      );
      await settled(table);
      const annotations = hostIngress(table)!.metadata?.annotations ?? {};
      expect(annotations['cert-manager.io/issuer']).toBeUndefined();
      expect(annotations['cert-manager.io/cluster-issuer']).toBeUndefined();
      expect(hostObject(table, Resources.secrets, hostName('web-tls'))).toBeUndefined();
      expect(events(table).join('\n')).toContain(
        'both cert-manager.io/issuer and cert-manager.io/cluster-issuer are set',
      );
    });

    it('with issuers off, an Ingress naming an Issuer is synced without it, saying so', async () => {
      const table = await certManagerTable({
        certManager: {
          enabled: true,
          sync: {
            toHost: { issuers: { enabled: false } },
            fromHost: { clusterIssuers: { selector: { labels: { offer: 'tenants' } } } },
          },
        },
      });
      await table.virtual.create(Resources.ingresses, 'team', ingress({ 'cert-manager.io/issuer': 'ca' }));
      await settled(table);
      expect(hostIngress(table)!.metadata?.annotations?.['cert-manager.io/issuer']).toBeUndefined();
      expect(events(table).join('\n')).toContain('Issuers are not synced to the host');
    });

    it("its issuer withdrawn (the Issuer deleted, a ClusterIssuer no longer offered), the TLS Secret it filled becomes an ordinary copy of the tenant's at once", async () => {
      const table = await certManagerTable();
      await tenantCa(table);
      await table.virtual.create(Resources.ingresses, 'team', ingress({ 'cert-manager.io/issuer': 'ca' }));
      await table.virtual.create(Resources.ingresses, 'team', {
        metadata: { name: 'shop', annotations: { 'cert-manager.io/cluster-issuer': 'selfsigned' } },
        spec: { tls: [{ secretName: 'shop-tls' }], rules: [{ host: 'shop.example.com' }] },
      });
      await settled(table);
      await issue(table, hostName('web-tls'), hostName('web-tls'));
      await issue(table, hostName('shop-tls'), hostName('shop-tls'));
      await settled(table);
      const uidRecord = (name: string) =>
        hostObject(table, Resources.secrets, hostName(name))!.metadata?.annotations?.[
          'vcluster.loft.sh/object-uid'
        ];
      // Taken for the host's controller: no record of the tenant Secret's UID.
      expect(uidRecord('web-tls')).toBeUndefined();
      expect(uidRecord('shop-tls')).toBeUndefined();
      await table.virtual.delete(ISSUERS, 'team', 'ca');
      const offered = table.host.objects(CLUSTER_ISSUERS).find((o) => o.metadata?.name === 'selfsigned')!;
      await table.host.update(CLUSTER_ISSUERS, '', {
        ...offered,
        metadata: { ...offered.metadata, labels: {} },
      });
      await settled(table);
      expect(uidRecord('web-tls')).toBe(virtualSecret(table, 'web-tls')!.metadata?.uid);
      expect(uidRecord('shop-tls')).toBe(virtualSecret(table, 'shop-tls')!.metadata?.uid);
      // As last issued, on both sides; the Ingress copies still name them.
      expect(hostObject(table, Resources.secrets, hostName('web-tls'))!.data).toMatchObject({
        'tls.crt': 'Y2VydA==',
      });
      expect((hostIngress(table)!.spec as { tls: { secretName: string }[] }).tls[0]!.secretName).toBe(
        hostName('web-tls'),
      );
      await expectSteady(table);
    });

    it("a TLS Secret whose host name is another namespace's copy: the Ingress is refused, the copy untouched", async () => {
      const table = await certManagerTable();
      await table.virtual.create(Resources.secrets, 'tls-x-team', {
        metadata: { name: 'web', annotations: { 'vcluster.loft.sh/force-sync': 'true' } },
        data: { password: 'c2VjcmV0' },
      });
      await settled(table);
      const theirs = hostObject(table, Resources.secrets, hostName('web-x-tls'))!;
      await table.virtual.create(Resources.ingresses, 'team', {
        ...ingress({ 'cert-manager.io/cluster-issuer': 'selfsigned' }),
        spec: { tls: [{ secretName: 'web-x-tls' }], rules: [{ host: 'web.example.com' }] },
      });
      await settled(table);
      expect(hostIngress(table)).toBeUndefined();
      expect(hostObject(table, Resources.secrets, hostName('web-x-tls'))).toEqual(theirs);
      expect(events(table).join('\n')).toContain('its host name is held by another object');
    });
  });
});
