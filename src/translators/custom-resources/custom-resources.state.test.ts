import type { KubeObject } from '../../kube/object.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import { hostLabelKey } from '../../naming/labels.ts';
import { HOST_NS, stateTables, VC, type StateTable } from '../../testing/state-table.ts';
import { CRDS } from './crd.ts';

const start = stateTables();

const GROUP = 'certs.example.dev';
const CERT_KIND = 'cr:certificates.certs.example.dev';
const ISSUER_KIND = 'cr:clusterissuers.certs.example.dev';
const CERTS: ResourceType = {
  group: GROUP,
  version: 'v1',
  resource: 'certificates',
  kind: 'Certificate',
  namespaced: true,
};
const ISSUERS: ResourceType = {
  group: GROUP,
  version: 'v1',
  resource: 'clusterissuers',
  kind: 'ClusterIssuer',
  namespaced: false,
};
const POLICIES: ResourceType = {
  group: GROUP,
  version: 'v1',
  resource: 'policies',
  kind: 'Policy',
  namespaced: true,
};

/** A CRD as the API server stores it: established, serving v1 with a status subresource. */
function crd(
  type: ResourceType,
  opts: { status?: boolean; labels?: Record<string, string> } = {},
): KubeObject {
  return {
    metadata: { name: `${type.resource}.${type.group}`, ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: {
      group: type.group,
      scope: type.namespaced ? 'Namespaced' : 'Cluster',
      names: { kind: type.kind, plural: type.resource },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          ...(opts.status === false ? {} : { subresources: { status: {} } }),
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
    status: { conditions: [{ type: 'Established', status: 'True' }] },
  };
}

/** The Certificate CRD as a syncer copied it into the host (`crd: toHost`), this one by default. */
const hostCrdCopy = (from = `${HOST_NS}/${VC}`): KubeObject => ({
  ...crd(CERTS),
  metadata: {
    ...crd(CERTS).metadata,
    labels: { 'app.kubernetes.io/managed-by': 'vsyncer' },
    annotations: { 'vsyncer.dev/crd-copied-from': from },
  },
});

const certificatesConfig = (extra: Record<string, unknown> = {}) => ({
  customResources: {
    toHost: [
      {
        resource: 'certificates.certs.example.dev/v1',
        references: [
          { path: 'spec.secretName', kind: 'Secret' },
          { path: 'spec.extraSecrets[].name', kind: 'Secret' },
        ],
        ...extra,
      },
    ],
  },
});

function certificate(name: string, spec: Record<string, unknown>, ns = 'team'): KubeObject {
  return { apiVersion: `${GROUP}/v1`, kind: 'Certificate', metadata: { name, namespace: ns }, spec };
}
const secret = (name: string, ns = 'team'): KubeObject => ({
  metadata: { name, namespace: ns },
  data: { 'tls.crt': 'Y2VydA==' },
});

const hostName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;
const hostCert = (t: StateTable, name = 'web') =>
  t.host.objects(CERTS, HOST_NS).find((o) => o.metadata?.name === hostName(name));
const virtualCert = (t: StateTable, name = 'web') =>
  t.virtual.objects(CERTS, 'team').find((o) => o.metadata?.name === name);

/** Lets a kind that waits (its CRD missing or just copied) look again, and settles. */
async function retryPrepare(t: StateTable): Promise<void> {
  t.clock.advance(5_000);
  await t.settle();
}

/** A table syncing certificates (CRD on the host only, copied into the virtual cluster) and secrets. */
async function certificatesTable(extra: Record<string, unknown> = {}): Promise<StateTable> {
  const table = await start({
    kinds: ['secrets', CERT_KIND],
    file: certificatesConfig(extra),
    host: [[CRDS, crd(CERTS)]],
  });
  await table.settle();
  await retryPrepare(table);
  return table;
}

/** The copy an earlier syncer made of ClusterIssuer `old` (cluster-scoped: no longer synced to the host). */
const earlierIssuerCopy = (): KubeObject => ({
  metadata: {
    name: `vcluster-old-x-${HOST_NS}-x-${VC}`,
    labels: { 'vcluster.loft.sh/managed-by': `${HOST_NS}-x-${VC}` },
    annotations: {
      'vcluster.loft.sh/object-name': 'old',
      'vcluster.loft.sh/object-kind': `${GROUP}/v1, Kind=ClusterIssuer`,
      'vcluster.loft.sh/object-host-namespace': HOST_NS,
    },
  },
  spec: { ca: { secretName: 'cert-manager-ca' } },
});

/**
 * Certificates naming a policy (another configured custom resource) by spec.policyRef: certificate
 * `web` of `team` names policy `strict`, both synced, the reference renamed to the policy's copy.
 */
async function certificateNamingPolicy(): Promise<StateTable> {
  const table = await start({
    kinds: [CERT_KIND, 'cr:policies.certs.example.dev'],
    file: {
      customResources: {
        toHost: [
          {
            resource: 'certificates.certs.example.dev/v1',
            references: [{ path: 'spec.policyRef', kind: 'policies.certs.example.dev' }],
          },
          { resource: 'policies.certs.example.dev/v1' },
        ],
      },
    },
    host: [
      [CRDS, crd(CERTS)],
      [CRDS, crd(POLICIES)],
    ],
    virtual: [
      [CRDS, crd(CERTS)],
      [CRDS, crd(POLICIES)],
    ],
  });
  await table.virtual.create(POLICIES, 'team', { metadata: { name: 'strict' }, spec: {} });
  await table.virtual.create(CERTS, 'team', certificate('web', { policyRef: 'strict' }));
  await table.settle();
  table.clock.advance(1_000);
  await table.settle();
  expect(hostCert(table)!.spec).toEqual({ policyRef: hostName('strict') });
  return table;
}
describe('custom resources to the host (state table)', () => {
  it('copies the CRD from the host into the virtual cluster, marked as the syncer’s, then starts', async () => {
    const table = await start({ kinds: [CERT_KIND], file: certificatesConfig(), host: [[CRDS, crd(CERTS)]] });
    await table.settle();
    expect(table.writes()).toEqual([
      'virtual: create customresourcedefinitions certificates.certs.example.dev',
    ]);
    const copy = table.virtual.objects(CRDS)[0]!;
    expect(copy.metadata?.labels).toEqual({ 'vsyncer.dev/managed': 'true' });
    expect((copy.spec as { scope: string }).scope).toBe('Namespaced');
    await retryPrepare(table);
    expect(table.controllers.get(CERT_KIND)!.controller.isStarted).toBe(true);
  });

  it('waits while the CRD is missing everywhere, and starts once it is installed on the host', async () => {
    const table = await start({ kinds: [CERT_KIND], file: certificatesConfig() });
    await table.virtual.create(CERTS, 'team', certificate('web', {}));
    table.virtual.clearWrites();
    await table.settle();
    await retryPrepare(table);
    expect(table.writes()).toEqual([]);
    expect(table.controllers.get(CERT_KIND)!.controller.isStarted).toBe(false);
    table.host.seed(CRDS, crd(CERTS));
    await retryPrepare(table);
    await retryPrepare(table);
    expect(hostCert(table)).toBeDefined();
  });

  it("no version configured (vCluster's form): the CRD's storage version is synced, read once the CRD is there", async () => {
    // v1 is served but no longer stored: v2 is what the host's controller reads and writes.
    const twoVersions = crd(CERTS);
    const [v1] = (twoVersions.spec as { versions: Record<string, unknown>[] }).versions;
    (twoVersions.spec as { versions: unknown[] }).versions = [
      { ...v1, storage: false },
      { ...v1, name: 'v2', storage: true },
    ];
    const table = await start({
      kinds: ['secrets', CERT_KIND],
      file: {
        customResources: {
          toHost: {
            'certificates.certs.example.dev': {
              enabled: true,
              patches: [{ path: 'spec.secretName', reference: { apiVersion: 'v1', kind: 'Secret' } }],
            },
          },
        },
      },
    });
    await table.virtual.create(Resources.secrets, 'team', secret('web-tls'));
    await table.settle();
    await retryPrepare(table);
    expect(table.controllers.get(CERT_KIND)!.controller.isStarted).toBe(false);
    // The CRD comes later, as for a configured version not served yet.
    table.host.seed(CRDS, twoVersions);
    await retryPrepare(table);
    await retryPrepare(table);
    expect(table.controllers.get(CERT_KIND)!.controller.isStarted).toBe(true);
    await table.virtual.create(CERTS, 'team', {
      ...certificate('web', { secretName: 'web-tls' }),
      apiVersion: `${GROUP}/v2`,
    });
    await table.settle();
    const host = hostCert(table)!;
    expect(host.apiVersion).toBe(`${GROUP}/v2`);
    expect(host.metadata?.annotations?.['vcluster.loft.sh/object-kind']).toBe(
      `${GROUP}/v2, Kind=Certificate`,
    );
    // The reference patch is a Secret reference.
    expect(host.spec).toEqual({ secretName: hostName('web-tls') });
  });

  it('no version configured, the storage version changed since (an operator upgrade): the copies recorded under the old one are taken over, updated and deleted; another group or kind is not', async () => {
    // The CRD stored v1 when the copies were made; it serves both and stores v2 now.
    const upgraded = crd(CERTS);
    const [v1] = (upgraded.spec as { versions: Record<string, unknown>[] }).versions;
    (upgraded.spec as { versions: unknown[] }).versions = [
      { ...v1, storage: false },
      { ...v1, name: 'v2', storage: true },
    ];
    const earlierCopy = (name: string, kind: string): KubeObject => ({
      apiVersion: `${GROUP}/v2`,
      kind: 'Certificate',
      metadata: {
        name: hostName(name),
        namespace: HOST_NS,
        labels: { 'vcluster.loft.sh/managed-by': VC, 'vcluster.loft.sh/namespace': 'team' },
        annotations: {
          'vcluster.loft.sh/object-name': name,
          'vcluster.loft.sh/object-namespace': 'team',
          'vcluster.loft.sh/object-uid': `${name}-virtual-uid`,
          'vcluster.loft.sh/object-kind': kind,
        },
      },
      spec: { dnsNames: ['old.example'] },
    });
    const tenants = (name: string): KubeObject => ({
      ...certificate(name, { dnsNames: ['new.example'] }),
      apiVersion: `${GROUP}/v2`,
      metadata: { name, namespace: 'team', uid: `${name}-virtual-uid` },
    });
    const table = await start({
      kinds: [CERT_KIND],
      file: { customResources: { toHost: [{ resource: 'certificates.certs.example.dev' }] } },
      host: [
        [CRDS, upgraded],
        [CERTS, earlierCopy('web', `${GROUP}/v1, Kind=Certificate`)],
        [CERTS, earlierCopy('issuer', `${GROUP}/v1, Kind=Issuer`)],
        [CERTS, earlierCopy('foreign', `other.example.dev/v1, Kind=Certificate`)],
      ],
      virtual: [
        [CRDS, upgraded],
        [CERTS, tenants('web')],
        [CERTS, tenants('issuer')],
        [CERTS, tenants('foreign')],
      ],
    });
    await table.settle();
    await retryPrepare(table);
    expect(table.controllers.get(CERT_KIND)!.controller.isStarted).toBe(true);
    const web = hostCert(table)!;
    expect(web.spec).toEqual({ dnsNames: ['new.example'] });
    expect(web.metadata?.annotations?.['vcluster.loft.sh/object-kind']).toBe(`${GROUP}/v2, Kind=Certificate`);
    // Another kind's or group's copy of the same name is not this object's copy.
    for (const name of ['issuer', 'foreign'])
      expect(hostCert(table, name)!.spec).toEqual({ dnsNames: ['old.example'] });
    const refusals = table.virtual
      .objects(Resources.events, 'team')
      .filter((e) => e.reason === 'SyncError')
      .map((e) => String(e.message));
    expect(refusals).toEqual([
      expect.stringContaining('host name is already used by another object'),
      expect.stringContaining('host name is already used by another object'),
    ]);
    await table.virtual.delete(CERTS, 'team', 'web');
    await table.settle();
    expect(hostCert(table)).toBeUndefined();
    expect(hostCert(table, 'issuer')).toBeDefined();
  });

  it("while a kind whose objects may name secrets has not started, an unused secret's copy stays; one whose secret is gone goes", async () => {
    // No CRD anywhere: the certificates kind waits, and may never start.
    const table = await start({ kinds: ['secrets', CERT_KIND], file: certificatesConfig() });
    const forced = (name: string, sync: string): KubeObject => ({
      ...secret(name),
      metadata: { name, namespace: 'team', annotations: { 'vcluster.loft.sh/force-sync': sync } },
    });
    for (const name of ['kept', 'deleted'])
      await table.virtual.create(Resources.secrets, 'team', forced(name, 'true'));
    await table.settle();
    const hostSecrets = () =>
      table.host
        .objects(Resources.secrets, HOST_NS)
        .map((o) => o.metadata?.name)
        .sort();
    expect(hostSecrets()).toEqual([hostName('deleted'), hostName('kept')]);
    // Nothing uses them now, but a Certificate the kind has not read yet may name them.
    for (const name of ['kept', 'deleted']) {
      const current = table.virtual
        .objects(Resources.secrets, 'team')
        .find((o) => o.metadata?.name === name)!;
      await table.virtual.update(Resources.secrets, 'team', {
        ...current,
        metadata: forced(name, 'false').metadata,
      });
    }
    await retryPrepare(table);
    expect(hostSecrets()).toEqual([hostName('deleted'), hostName('kept')]);
    // A secret deleted in the virtual cluster is named by nothing that could be synced: its copy goes.
    await table.virtual.delete(Resources.secrets, 'team', 'deleted');
    await table.settle();
    expect(hostSecrets()).toEqual([hostName('kept')]);
  });

  it('with crd: toHost, copies the virtual CRD into the host, labelled as the syncer’s, without what would reach into the host admins’ kubectl', async () => {
    const tenantCrd = crd(CERTS, { labels: { 'team.example/owner': 'a' } });
    (tenantCrd.spec as { names: Record<string, unknown> }).names = {
      kind: CERTS.kind,
      plural: CERTS.resource,
      shortNames: ['po', 'cert'],
      categories: ['all'],
    };
    const table = await start({
      kinds: [CERT_KIND],
      file: certificatesConfig({ crd: 'toHost' }),
      virtual: [[CRDS, tenantCrd]],
    });
    await table.settle();
    const copy = table.host.objects(CRDS)[0]!;
    expect(copy.metadata?.labels).toEqual({ 'app.kubernetes.io/managed-by': 'vsyncer' });
    expect(copy.metadata?.annotations).toEqual({ 'vsyncer.dev/crd-copied-from': `${HOST_NS}/${VC}` });
    expect((copy.spec as { names: unknown }).names).toEqual({ kind: CERTS.kind, plural: CERTS.resource });
  });

  /** A CRD with one more version, a copy of its first (as an operator's next release adds one). */
  function withVersion(base: KubeObject, name: string, storage = false): KubeObject {
    const spec = structuredClone(base.spec) as { versions: { name: string; storage: boolean }[] };
    const versions = spec.versions.map((v) => ({ ...v, storage: storage ? false : v.storage }));
    return { ...base, spec: { ...spec, versions: [...versions, { ...versions[0]!, name, storage }] } };
  }
  const versionsOf = (copy: KubeObject | undefined) =>
    (copy?.spec as { versions: { name: string; served: boolean; storage: boolean }[] }).versions.map(
      (v) => `${v.name}${v.served ? ' served' : ''}${v.storage ? ' stored' : ''}`,
    );

  it("with crd: toHost, adds the tenant's new CRD versions to its own host copy (served, not stored), never to another virtual cluster's copy", async () => {
    const upgraded = withVersion(crd(CERTS), 'v2', true);
    const others = await start({
      kinds: [CERT_KIND],
      file: certificatesConfig({ crd: 'toHost' }),
      virtual: [[CRDS, upgraded]],
      host: [[CRDS, hostCrdCopy('other-ns/other-vc')]],
    });
    await others.settle();
    expect(others.host.objects(CRDS)[0]!.spec).toEqual(crd(CERTS).spec);

    const ours = await start({
      kinds: [CERT_KIND],
      file: certificatesConfig({ crd: 'toHost' }),
      virtual: [[CRDS, upgraded]],
      host: [[CRDS, hostCrdCopy()]],
    });
    await ours.settle();
    expect(versionsOf(ours.host.objects(CRDS)[0])).toEqual(['v1 served stored', 'v2 served']);
  });

  it("with crd: toHost, never changes what its host copy's versions say (the copy governs every virtual cluster's objects of the kind)", async () => {
    // The tenant narrows v1's schema, refuses every object, and serves it no more.
    const hostile = crd(CERTS);
    const version = (hostile.spec as { versions: Record<string, unknown>[] }).versions[0]!;
    version.served = false;
    version.schema = {
      openAPIV3Schema: {
        type: 'object',
        properties: {},
        'x-kubernetes-validations': [{ rule: 'false' }],
      },
    };
    const table = await start({
      kinds: [CERT_KIND],
      file: certificatesConfig({ crd: 'toHost' }),
      virtual: [[CRDS, hostile]],
      host: [[CRDS, hostCrdCopy()]],
    });
    await table.settle();
    expect(table.host.objects(CRDS)[0]!.spec).toEqual(crd(CERTS).spec);
    expect(table.host.writeLog()).toEqual([]);
  });

  it('with crd: toHost, brings its host copy in line once per start, not at each retry of a kind that cannot start', async () => {
    // The tenant's CRD serves the configured version no more: the kind retries every few seconds.
    const unserved = withVersion(crd(CERTS), 'v2');
    (unserved.spec as { versions: { served: boolean }[] }).versions[0]!.served = false;
    const table = await start({
      kinds: [CERT_KIND],
      file: certificatesConfig({ crd: 'toHost' }),
      virtual: [[CRDS, unserved]],
      host: [[CRDS, hostCrdCopy()]],
    });
    await table.settle();
    expect(versionsOf(table.host.objects(CRDS)[0])).toEqual(['v1 served stored', 'v2 served']);
    expect(table.controllers.get(CERT_KIND)!.controller.isStarted).toBe(false);
    // Meanwhile the tenant adds another version: the host's copy stays until the next start.
    await table.virtual.update(CRDS, '', withVersion(table.virtual.objects(CRDS)[0]!, 'v3'));
    await retryPrepare(table);
    await retryPrepare(table);
    expect(versionsOf(table.host.objects(CRDS)[0])).toEqual(['v1 served stored', 'v2 served']);
  });

  it('with crd: toHost, a line-up the host refused for now (a conflict) is tried again', async () => {
    const upgraded = withVersion(crd(CERTS), 'v2');
    // Not established yet: the kind waits, and its next try lines the copy up again.
    upgraded.status = { conditions: [] };
    const table = await start({
      kinds: [CERT_KIND],
      file: certificatesConfig({ crd: 'toHost' }),
      virtual: [[CRDS, upgraded]],
      host: [[CRDS, hostCrdCopy()]],
    });
    // The controllers start at the first settle: its line-up meets a conflict.
    table.host.failNext('update', 'customresourcedefinitions', 'conflict');
    await table.settle();
    expect(table.host.objects(CRDS)[0]!.spec).toEqual(crd(CERTS).spec);
    await retryPrepare(table);
    expect(versionsOf(table.host.objects(CRDS)[0])).toEqual(['v1 served stored', 'v2 served']);
  });

  it('a forbidden host list makes the kind wait (no informer that never fills), then start once allowed', async () => {
    const table = await start({
      kinds: [CERT_KIND],
      file: certificatesConfig(),
      host: [[CRDS, crd(CERTS)]],
      virtual: [[CRDS, crd(CERTS)]],
    });
    table.host.failNext('list', 'certificates', 'forbidden');
    await table.settle();
    expect(table.controllers.get(CERT_KIND)!.controller.isStarted).toBe(false);
    await retryPrepare(table);
    expect(table.controllers.get(CERT_KIND)!.controller.isStarted).toBe(true);
  });

  it('create: the host copy is named and owned like every kind, its secret reference renamed once the copy is ours', async () => {
    const table = await certificatesTable();
    await table.virtual.create(Resources.secrets, 'team', secret('web-tls'));
    await table.virtual.create(Resources.secrets, 'team', secret('unused'));
    await table.virtual.create(
      CERTS,
      'team',
      certificate('web', { secretName: 'web-tls', dnsNames: ['a.example'] }),
    );
    await table.settle();
    const host = hostCert(table)!;
    expect(host.spec).toEqual({ secretName: hostName('web-tls'), dnsNames: ['a.example'] });
    expect(host.metadata?.labels).toEqual({
      'vcluster.loft.sh/managed-by': VC,
      'vcluster.loft.sh/namespace': 'team',
    });
    expect(host.metadata?.annotations).toMatchObject({
      'vcluster.loft.sh/object-name': 'web',
      'vcluster.loft.sh/object-namespace': 'team',
      'vcluster.loft.sh/object-kind': `${GROUP}/v1, Kind=Certificate`,
      'vcluster.loft.sh/object-uid': virtualCert(table)!.metadata?.uid,
    });
    // The secret is synced because the certificate names it; the unnamed one is not.
    expect(table.host.objects(Resources.secrets, HOST_NS).map((s) => s.metadata?.name)).toEqual([
      hostName('web-tls'),
    ]);
  });

  it('a reference inside a list ([]) is renamed item by item', async () => {
    const table = await certificatesTable();
    for (const name of ['a', 'b']) await table.virtual.create(Resources.secrets, 'team', secret(name));
    await table.virtual.create(
      CERTS,
      'team',
      certificate('web', { extraSecrets: [{ name: 'a' }, { name: 'b' }] }),
    );
    await table.settle();
    expect(hostCert(table)!.spec).toEqual({
      extraSecrets: [{ name: hostName('a') }, { name: hostName('b') }],
    });
  });

  it('waits for a secret that does not exist, and syncs once the tenant creates it', async () => {
    const table = await certificatesTable();
    await table.virtual.create(CERTS, 'team', certificate('web', { secretName: 'later' }));
    await table.settle();
    expect(hostCert(table)).toBeUndefined();
    await table.virtual.create(Resources.secrets, 'team', secret('later'));
    await table.settle();
    table.clock.advance(1_000);
    await table.settle();
    expect(hostCert(table)!.spec).toEqual({ secretName: hostName('later') });
  });

  it('a host object of the referenced name that is not the tenant’s copy: refused, nothing named', async () => {
    const theirs: KubeObject = { metadata: { name: hostName('web-tls'), namespace: HOST_NS }, data: {} };
    const table = await start({
      kinds: ['secrets', CERT_KIND],
      file: certificatesConfig(),
      host: [
        [CRDS, crd(CERTS)],
        [Resources.secrets, theirs],
      ],
    });
    await table.settle();
    await retryPrepare(table);
    await table.virtual.create(Resources.secrets, 'team', secret('web-tls'));
    await table.virtual.create(CERTS, 'team', certificate('web', { secretName: 'web-tls' }));
    await table.settle();
    table.clock.advance(1_000);
    await table.settle();
    expect(hostCert(table)).toBeUndefined();
  });

  it('a reference to a kind that is not synced is refused with a SyncError', async () => {
    const table = await start({ kinds: [CERT_KIND], file: certificatesConfig(), host: [[CRDS, crd(CERTS)]] });
    await table.settle();
    await retryPrepare(table);
    await table.virtual.create(Resources.secrets, 'team', secret('web-tls'));
    await table.virtual.create(CERTS, 'team', certificate('web', { secretName: 'web-tls' }));
    await table.settle();
    expect(hostCert(table)).toBeUndefined();
    const events = table.virtual.objects(Resources.events, 'team');
    expect(events.map((e) => e.reason)).toEqual(['SyncError']);
    expect(events[0]!.message).toContain('objects of this kind are not synced');
  });

  it('status flows back; a host edit of the spec is reverted; steady state writes nothing', async () => {
    const table = await certificatesTable();
    await table.virtual.create(CERTS, 'team', certificate('web', { dnsNames: ['a.example'] }));
    await table.settle();
    const host = hostCert(table)!;
    await table.host.update(CERTS, HOST_NS, { ...host, status: { ready: true } }, { subresource: 'status' });
    await table.settle();
    expect(virtualCert(table)!.status).toEqual({ ready: true });
    await table.host.update(CERTS, HOST_NS, { ...hostCert(table)!, spec: { dnsNames: ['evil.example'] } });
    await table.settle();
    expect(hostCert(table)!.spec).toEqual({ dnsNames: ['a.example'] });
    table.virtual.clearWrites();
    table.host.clearWrites();
    table.controllers.get(CERT_KIND)!.controller.enqueue('team/web');
    await table.settle();
    expect(table.writes()).toEqual([]);
  });

  it('integers beyond 2^53 (exact, as the REST client reads them) go down and come back up as they are, and a steady state writes nothing', async () => {
    const exact = (digits: string) => (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON(digits);
    const table = await certificatesTable();
    await table.virtual.create(
      CERTS,
      'team',
      certificate('web', { dnsNames: ['a.example'], settings: { max: exact('9223372036854775807') } }),
    );
    await table.settle();
    expect(JSON.stringify(hostCert(table)!.spec)).toBe(
      '{"dnsNames":["a.example"],"settings":{"max":9223372036854775807}}',
    );
    const host = hostCert(table)!;
    await table.host.update(
      CERTS,
      HOST_NS,
      { ...host, status: { serial: exact('-9223372036854775808') } },
      { subresource: 'status' },
    );
    await table.settle();
    expect(JSON.stringify(virtualCert(table)!.status)).toBe('{"serial":-9223372036854775808}');
    table.virtual.clearWrites();
    table.host.clearWrites();
    table.controllers.get(CERT_KIND)!.controller.enqueue('team/web');
    await table.settle();
    expect(table.writes()).toEqual([]);
  });

  it('status: false keeps the host status on the host', async () => {
    const table = await certificatesTable({ status: false });
    await table.virtual.create(CERTS, 'team', certificate('web', {}));
    await table.settle();
    await table.host.update(
      CERTS,
      HOST_NS,
      { ...hostCert(table)!, status: { ready: true } },
      { subresource: 'status' },
    );
    await table.settle();
    expect(virtualCert(table)!.status).toBeUndefined();
  });

  it('a virtual edit reaches the host; a virtual delete removes the host copy', async () => {
    const table = await certificatesTable();
    await table.virtual.create(CERTS, 'team', certificate('web', { dnsNames: ['a.example'] }));
    await table.settle();
    await table.virtual.update(CERTS, 'team', { ...virtualCert(table)!, spec: { dnsNames: ['b.example'] } });
    await table.settle();
    expect(hostCert(table)!.spec).toEqual({ dnsNames: ['b.example'] });
    await table.virtual.delete(CERTS, 'team', 'web');
    await table.settle();
    expect(hostCert(table)).toBeUndefined();
  });

  it('a field the admin limits (allowedValues) and an annotation naming a host Issuer: refused, a copy made before removed', async () => {
    const table = await certificatesTable({
      allowedValues: [{ path: 'spec.issuerRef.kind', values: ['ClusterIssuer'] }],
    });
    const syncErrors = () =>
      table.virtual
        .objects(Resources.events, 'team')
        .filter((e) => e.reason === 'SyncError')
        .map((e) => String(e.message));
    // cert-manager looks a namespaced Issuer up in the copy's namespace: the shared host namespace.
    await table.virtual.create(
      CERTS,
      'team',
      certificate('web', { issuerRef: { name: 'ca-x-other-x-vc', kind: 'Issuer' } }),
    );
    // Without a kind, cert-manager takes an Issuer too.
    await table.virtual.create(CERTS, 'team', certificate('plain', { issuerRef: { name: 'ca' } }));
    await table.virtual.create(CERTS, 'team', {
      ...certificate('annotated', { issuerRef: { name: 'le', kind: 'ClusterIssuer' } }),
      metadata: { name: 'annotated', namespace: 'team', annotations: { 'cert-manager.io/issuer': 'ca' } },
    });
    await table.virtual.create(
      CERTS,
      'team',
      certificate('ok', { issuerRef: { name: 'le', kind: 'ClusterIssuer' } }),
    );
    await table.settle();
    expect(table.host.objects(CERTS, HOST_NS).map((o) => o.metadata?.name)).toEqual([hostName('ok')]);
    expect(syncErrors().sort()).toEqual([
      `cannot sync this Certificate: metadata.annotations["cert-manager.io/issuer"] names an Issuer of the host namespace, which is not this tenant's: use a ClusterIssuer (cert-manager.io/cluster-issuer)`,
      'cannot sync this Certificate: spec.issuerRef.kind is "Issuer"; it may only be one of ["ClusterIssuer"] here',
      'cannot sync this Certificate: spec.issuerRef.kind is not set; it may only be one of ["ClusterIssuer"] here',
    ]);
    // Changed to an Issuer: its copy goes.
    const ok = virtualCert(table, 'ok')!;
    await table.virtual.update(CERTS, 'team', { ...ok, spec: { issuerRef: { name: 'ca', kind: 'Issuer' } } });
    await table.settle();
    expect(hostCert(table, 'ok')).toBeUndefined();
    expect(syncErrors()).toContainEqual(expect.stringMatching(/"Issuer".*its host copy is removed$/));
  });

  it('an unmanaged host object of the same name is never touched: SyncError instead', async () => {
    const theirs: KubeObject = {
      metadata: { name: hostName('web'), namespace: HOST_NS },
      spec: { owner: 'ops' },
    };
    const table = await start({
      kinds: [CERT_KIND],
      file: certificatesConfig({ references: [] }),
      host: [
        [CRDS, crd(CERTS)],
        [CERTS, theirs],
      ],
    });
    await table.settle();
    await retryPrepare(table);
    await table.virtual.create(CERTS, 'team', certificate('web', { dnsNames: ['a.example'] }));
    await table.settle();
    expect(hostCert(table)!.spec).toEqual({ owner: 'ops' });
    expect(table.host.writeLog()).toEqual([]);
    expect(table.virtual.objects(Resources.events, 'team').map((e) => e.reason)).toEqual(['SyncError']);
  });

  it('a resource without a status subresource gets its status back in the object itself', async () => {
    const table = await start({
      kinds: [CERT_KIND],
      file: certificatesConfig({ references: [] }),
      host: [[CRDS, crd(CERTS, { status: false })]],
    });
    await table.settle();
    await retryPrepare(table);
    await table.virtual.create(CERTS, 'team', certificate('web', {}));
    await table.settle();
    await table.host.update(CERTS, HOST_NS, { ...hostCert(table)!, status: { ready: true } });
    await table.settle();
    expect(virtualCert(table)!.status).toEqual({ ready: true });
    expect(hostCert(table)!.status).toEqual({ ready: true });
  });

  it('a cluster-scoped resource is never synced to the host (its objects would act on every namespace); copies an earlier syncer made go', async () => {
    const earlierCopy = earlierIssuerCopy();
    const hostOwn: KubeObject = { metadata: { name: 'letsencrypt' }, spec: { acme: {} } };
    // Recording no host namespace (vCluster's form), it may be another virtual cluster's whose
    // managed-by value reads the same (namespace team-x-a with cluster b, say): left be.
    const unrecorded = earlierIssuerCopy();
    unrecorded.metadata!.name = `vcluster-other-x-${HOST_NS}-x-${VC}`;
    delete unrecorded.metadata!.annotations!['vcluster.loft.sh/object-host-namespace'];
    const table = await start({
      kinds: [ISSUER_KIND],
      file: { customResources: { toHost: [{ resource: 'clusterissuers.certs.example.dev/v1' }] } },
      host: [
        [CRDS, crd(ISSUERS)],
        [ISSUERS, earlierCopy],
        [ISSUERS, hostOwn],
        [ISSUERS, unrecorded],
      ],
      virtual: [[CRDS, crd(ISSUERS)]],
    });
    await table.virtual.create(ISSUERS, '', {
      metadata: { name: 'mine' },
      spec: { ca: { secretName: 'x' } },
    });
    await table.settle();
    await retryPrepare(table);
    expect(table.controllers.get(ISSUER_KIND)!.controller.isStarted).toBe(false);
    expect(table.host.objects(ISSUERS).map((o) => o.metadata?.name)).toEqual([
      'letsencrypt',
      unrecorded.metadata!.name,
    ]);
  });

  it("no version configured (vCluster's form): a cluster-scoped resource's copies an earlier syncer made go too, listed at the CRD's storage version", async () => {
    const earlierCopy = earlierIssuerCopy();
    const table = await start({
      kinds: [ISSUER_KIND],
      file: { customResources: { toHost: { 'clusterissuers.certs.example.dev': { enabled: true } } } },
      host: [
        [CRDS, crd(ISSUERS)],
        [ISSUERS, earlierCopy],
        [ISSUERS, { metadata: { name: 'letsencrypt' }, spec: { acme: {} } }],
      ],
      virtual: [[CRDS, crd(ISSUERS)]],
    });
    const listed: string[] = [];
    const list = table.host.list.bind(table.host);
    table.host.list = ((type, namespace, options) => {
      if (type.resource === ISSUERS.resource) listed.push(type.version);
      return list(type, namespace, options);
    }) as typeof table.host.list;
    await table.settle();
    await retryPrepare(table);
    expect(table.controllers.get(ISSUER_KIND)!.controller.isStarted).toBe(false);
    expect(table.host.objects(ISSUERS).map((o) => o.metadata?.name)).toEqual(['letsencrypt']);
    // Never `/apis/<group>//clusterissuers`.
    expect(listed).toEqual(['v1']);
  });

  it('a reference to another configured custom resource is renamed to its host copy', async () => {
    // The check is certificateNamingPolicy's own last step.
    await certificateNamingPolicy();
  });
});

describe('custom resources from the host (state table)', () => {
  const issuersFromHost = {
    customResources: { fromHost: [{ resource: 'clusterissuers.certs.example.dev/v1' }] },
  };
  const virtualIssuer = (t: StateTable) =>
    t.virtual.objects(ISSUERS).find((o) => o.metadata?.name === 'letsencrypt');

  async function issuersTable(): Promise<StateTable> {
    const table = await start({
      kinds: [ISSUER_KIND],
      file: issuersFromHost,
      host: [
        [CRDS, crd(ISSUERS)],
        [
          ISSUERS,
          {
            metadata: { name: 'letsencrypt', labels: { tier: 'prod' } },
            spec: { acme: { email: 'ops@example' } },
          },
        ],
      ],
    });
    await table.settle();
    await retryPrepare(table);
    return table;
  }

  it('a host object appears read-only in the virtual cluster under its own name', async () => {
    const table = await issuersTable();
    const copy = virtualIssuer(table)!;
    expect(copy.spec).toEqual({ acme: { email: 'ops@example' } });
    expect(copy.metadata?.labels).toMatchObject({ tier: 'prod', 'vsyncer.dev/managed': 'true' });
  });

  it('a tenant edit is reverted; a host delete removes the copy', async () => {
    const table = await issuersTable();
    await table.virtual.update(ISSUERS, '', {
      ...virtualIssuer(table)!,
      spec: { acme: { email: 'me@evil' } },
    });
    await table.settle();
    expect(virtualIssuer(table)!.spec).toEqual({ acme: { email: 'ops@example' } });
    await table.host.delete(ISSUERS, '', 'letsencrypt');
    await table.settle();
    expect(virtualIssuer(table)).toBeUndefined();
  });

  it("another virtual cluster's toHost copy (managed-by on the host) is never shown", async () => {
    const table = await start({
      kinds: [ISSUER_KIND],
      file: issuersFromHost,
      host: [
        [CRDS, crd(ISSUERS)],
        [ISSUERS, { metadata: { name: 'letsencrypt' }, spec: { acme: {} } }],
        [
          ISSUERS,
          {
            metadata: { name: 'vcluster-ca-x-other', labels: { 'vcluster.loft.sh/managed-by': 'other' } },
            spec: { ca: { secretName: 'their-ca' } },
          },
        ],
      ],
    });
    await table.settle();
    await retryPrepare(table);
    expect(table.virtual.objects(ISSUERS).map((o) => o.metadata?.name)).toEqual(['letsencrypt']);
  });

  it('a tenant’s own object of that name is left alone', async () => {
    const table = await start({
      kinds: [ISSUER_KIND],
      file: issuersFromHost,
      host: [
        [CRDS, crd(ISSUERS)],
        [ISSUERS, { metadata: { name: 'letsencrypt' }, spec: { acme: {} } }],
      ],
      virtual: [
        [CRDS, crd(ISSUERS)],
        [ISSUERS, { metadata: { name: 'letsencrypt' }, spec: { mine: true } }],
      ],
    });
    await table.settle();
    expect(virtualIssuer(table)!.spec).toEqual({ mine: true });
    expect(table.virtual.writeLog()).toEqual([]);
  });

  it('namespaced objects come from the configured host namespaces into their virtual namespaces', async () => {
    const table = await start({
      kinds: [CERT_KIND],
      file: {
        customResources: {
          fromHost: [
            { resource: 'certificates.certs.example.dev/v1', namespaces: { 'cert-manager': 'certs' } },
          ],
        },
      },
      host: [
        [CRDS, crd(CERTS)],
        [CERTS, certificate('shared', { dnsNames: ['x'] }, 'cert-manager')],
        [CERTS, certificate('other', {}, 'elsewhere')],
      ],
      virtual: [[CRDS, crd(CERTS)]],
    });
    await table.settle();
    expect(table.virtual.objects(CERTS).map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`)).toEqual([
      'certs/shared',
    ]);
  });
});

describe('custom resources: a reference whose copy goes while the object is on the host (state table)', () => {
  /** The host copy of Certificate `name` of virtual namespace `ns`. */
  const hostCertOf = (t: StateTable, name: string, ns: string) =>
    t.host.objects(CERTS, HOST_NS).find((o) => o.metadata?.name === hostName(name, ns));
  const syncErrors = (t: StateTable, ns: string) =>
    t.virtual
      .objects(Resources.events, ns)
      .filter((e) => e.reason === 'SyncError' && e.type === 'Warning')
      .map((e) => String(e.message));

  it('a deleted secret is named by nothing another namespace can take: not when its host name is taken next, nor when it comes back then', async () => {
    const table = await certificatesTable();
    // Host names are ambiguous: `s-x-b` of namespace a and `s` of namespace b-x-a share one.
    const shared = hostName('s-x-b', 'a');
    expect(hostName('s', 'b-x-a')).toBe(shared);
    await table.virtual.create(Resources.secrets, 'a', secret('s-x-b', 'a'));
    await table.virtual.create(CERTS, 'a', certificate('web', { secretName: 's-x-b' }, 'a'));
    await table.settle();
    expect(hostCertOf(table, 'web', 'a')!.spec).toEqual({ secretName: shared });

    await table.virtual.delete(Resources.secrets, 'a', 's-x-b');
    await table.settle();
    const afterDelete = hostCertOf(table, 'web', 'a')!.spec as { secretName: string };
    expect(afterDelete.secretName).not.toBe(shared);
    expect(afterDelete.secretName).toMatch(/^vsyncer-absent-/);
    expect(syncErrors(table, 'a')).toEqual([
      expect.stringContaining('spec.secretName: Secret "s-x-b" not found'),
    ]);

    // Namespace b-x-a's secret s is synced under the shared host name for its own Certificate.
    await table.virtual.create(Resources.secrets, 'b-x-a', secret('s', 'b-x-a'));
    await table.virtual.create(CERTS, 'b-x-a', certificate('theirs', { secretName: 's' }, 'b-x-a'));
    await table.settle();
    table.clock.advance(1_000);
    await table.settle();
    expect(hostCertOf(table, 'theirs', 'b-x-a')!.spec).toEqual({ secretName: shared });
    expect(hostCertOf(table, 'web', 'a')!.spec).toEqual(afterDelete);

    // The victim makes its secret again: the name is another's now, and still not given to it.
    await table.virtual.create(Resources.secrets, 'a', secret('s-x-b', 'a'));
    await table.settle();
    table.clock.advance(1_000);
    await table.settle();
    expect(hostCertOf(table, 'web', 'a')!.spec).toEqual(afterDelete);
  });

  it("a deleted secret's copy goes only once the custom resource's copy names it no more: another namespace's secret waiting for that host name never reaches it", async () => {
    const table = await certificatesTable();
    const shared = hostName('s-x-b', 'a');
    await table.virtual.create(Resources.secrets, 'a', secret('s-x-b', 'a'));
    await table.virtual.create(CERTS, 'a', certificate('web', { secretName: 's-x-b' }, 'a'));
    await table.settle();
    // Namespace b-x-a's secret s waits for the shared host name (its certificate names it).
    await table.virtual.create(Resources.secrets, 'b-x-a', secret('s', 'b-x-a'));
    await table.virtual.create(CERTS, 'b-x-a', certificate('theirs', { secretName: 's' }, 'b-x-a'));
    await table.settle();
    expect(hostCertOf(table, 'web', 'a')!.spec).toEqual({ secretName: shared });
    table.host.clearWrites();

    await table.virtual.delete(Resources.secrets, 'a', 's-x-b');
    await table.settle();
    // The copy is looked at again a second later (custom resources' copies are not followed).
    table.clock.advance(1_000);
    await table.settle();
    const writes = table.host.writeLog();
    const renamed = writes.indexOf(`update certificates ${HOST_NS}/${hostName('web', 'a')}`);
    expect(renamed).toBeGreaterThanOrEqual(0);
    expect(writes.indexOf(`delete secrets ${HOST_NS}/${shared}`)).toBeGreaterThan(renamed);
    table.clock.advance(1_000);
    await table.settle();
    expect(hostCertOf(table, 'theirs', 'b-x-a')!.spec).toEqual({ secretName: shared });
  });

  it('the real host name comes back once the secret and its copy are there again', async () => {
    const table = await certificatesTable();
    await table.virtual.create(Resources.secrets, 'team', secret('web-tls'));
    await table.virtual.create(CERTS, 'team', certificate('web', { secretName: 'web-tls', dnsNames: ['a'] }));
    await table.settle();
    await table.virtual.delete(Resources.secrets, 'team', 'web-tls');
    await table.settle();
    expect((hostCert(table)!.spec as { secretName: string }).secretName).toMatch(/^vsyncer-absent-/);
    expect(hostCert(table)!.spec).toMatchObject({ dnsNames: ['a'] });
    await table.virtual.create(Resources.secrets, 'team', secret('web-tls'));
    await table.settle();
    table.clock.advance(1_000);
    await table.settle();
    expect(hostCert(table)!.spec).toEqual({ secretName: hostName('web-tls'), dnsNames: ['a'] });
  });

  it('an object another tool takes over (controlled-by) loses a copy naming other copies, which it would freeze', async () => {
    const table = await certificatesTable();
    await table.virtual.create(Resources.secrets, 'team', secret('web-tls'));
    await table.virtual.create(CERTS, 'team', certificate('web', { secretName: 'web-tls' }));
    await table.settle();
    expect(hostCert(table)).toBeDefined();
    const current = virtualCert(table)!;
    await table.virtual.update(CERTS, 'team', {
      ...current,
      metadata: { ...current.metadata, labels: { 'vcluster.loft.sh/controlled-by': 'other-tool' } },
    });
    await table.settle();
    expect(hostCert(table)).toBeUndefined();
  });

  it('a reference to another custom resource whose copy goes points at nothing, and is renamed again once it is back', async () => {
    const table = await certificateNamingPolicy();
    await table.virtual.delete(POLICIES, 'team', 'strict');
    await table.settle();
    expect((hostCert(table)!.spec as { policyRef: string }).policyRef).toMatch(/^vsyncer-absent-/);
    await table.virtual.create(POLICIES, 'team', { metadata: { name: 'strict' }, spec: {} });
    await table.settle();
    await table.settle();
    expect(hostCert(table)!.spec).toEqual({ policyRef: hostName('strict') });
  });
});

describe('custom resources: label selectors scoped to the tenant on the host (state table)', () => {
  const MONITORS: ResourceType = {
    group: 'monitoring.example.dev',
    version: 'v1',
    resource: 'servicemonitors',
    kind: 'ServiceMonitor',
    namespaced: true,
  };
  const MONITOR_KIND = 'cr:servicemonitors.monitoring.example.dev';
  /** What every scoped selector carries: this virtual cluster's copies of namespace `team` only. */
  const scope = { 'vcluster.loft.sh/managed-by': VC, 'vcluster.loft.sh/namespace': 'team' };

  async function monitorsTable(): Promise<StateTable> {
    const table = await start({
      kinds: [MONITOR_KIND],
      file: {
        customResources: {
          toHost: [
            {
              resource: 'servicemonitors.monitoring.example.dev/v1',
              references: [
                { path: 'spec.selector', kind: 'LabelSelector' },
                { path: 'spec.workloadSelector.labels', kind: 'Labels' },
                { path: 'spec.extraSelectors[]', kind: 'LabelSelector' },
                { path: 'spec.rules[].podSelector', kind: 'LabelSelector' },
                { path: 'spec.rules[].from.selector', kind: 'LabelSelector' },
              ],
              // Host namespaces: never the tenant's to choose.
              allowedValues: [{ path: 'spec.namespaceSelector', values: [], optional: true }],
            },
          ],
        },
      },
      host: [[CRDS, crd(MONITORS)]],
    });
    await table.settle();
    await retryPrepare(table);
    return table;
  }
  const monitor = (name: string, spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'monitoring.example.dev/v1',
    kind: 'ServiceMonitor',
    metadata: { name, namespace: 'team' },
    spec,
  });
  const hostMonitor = (t: StateTable, name = 'web') =>
    t.host.objects(MONITORS, HOST_NS).find((o) => o.metadata?.name === hostName(name));
  const virtualMonitor = (t: StateTable, name = 'web') =>
    t.virtual.objects(MONITORS, 'team').find((o) => o.metadata?.name === name);
  const syncErrors = (t: StateTable) =>
    t.virtual
      .objects(Resources.events, 'team')
      .filter((e) => e.reason === 'SyncError')
      .map((e) => String(e.message));

  it("matchLabels get the tenant's scope, matchExpressions and label-map keys are translated as labels are", async () => {
    const table = await monitorsTable();
    await table.virtual.create(
      MONITORS,
      'team',
      monitor('web', {
        selector: {
          matchLabels: { app: 'web' },
          matchExpressions: [
            { key: 'release', operator: 'In', values: ['stable'] },
            { key: 'tier', operator: 'Exists' },
          ],
        },
        workloadSelector: { labels: { app: 'web', 'vcluster.loft.sh/namespace': 'other' } },
        extraSelectors: [{ matchLabels: { app: 'db' } }, {}],
        endpoints: [{ port: 'metrics' }],
      }),
    );
    await table.settle();
    expect(hostMonitor(table)!.spec).toEqual({
      selector: {
        matchLabels: { app: 'web', ...scope },
        matchExpressions: [
          { key: hostLabelKey('release', VC), operator: 'In', values: ['stable'] },
          { key: 'tier', operator: 'Exists' },
        ],
      },
      // A tenant's own scoping key cannot widen the selector: it is hashed like any reserved key.
      workloadSelector: {
        labels: { app: 'web', [hostLabelKey('vcluster.loft.sh/namespace', VC)]: 'other', ...scope },
      },
      extraSelectors: [{ matchLabels: { app: 'db', ...scope } }, { matchLabels: scope }],
      endpoints: [{ port: 'metrics' }],
    });
    expect(hostLabelKey('release', VC)).not.toBe('release');
    // The virtual object keeps what the tenant wrote.
    expect((virtualMonitor(table)!.spec as { selector: unknown }).selector).toEqual({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'release', operator: 'In', values: ['stable'] },
        { key: 'tier', operator: 'Exists' },
      ],
    });
  });

  it("annotations maps inside the content lose the syncer's own annotations on the host (a host operator copying them would make its objects pass for the syncer's copies)", async () => {
    const table = await monitorsTable();
    const forged = {
      'vcluster.loft.sh/object-kind': '/v1, Kind=Pod',
      'vcluster.loft.sh/object-name': 'web',
      'vcluster.loft.sh/object-namespace': 'team',
      'vcluster.loft.sh/object-uid': 'uid-of-the-tenants-pod',
      'vsyncer.dev/anything': 'x',
      'example.com/kept': 'yes',
    };
    await table.virtual.create(
      MONITORS,
      'team',
      monitor('web', {
        template: { metadata: { annotations: forged } },
        list: [{ annotations: forged }],
        values: { podAnnotations: { ...forged, 'example.com/null': null } },
      }),
    );
    await table.settle();
    const spec = hostMonitor(table)!.spec as {
      template: { metadata: { annotations: Record<string, string> } };
      list: { annotations: Record<string, string> }[];
    };
    expect(spec.template.metadata.annotations).toEqual({ 'example.com/kept': 'yes' });
    expect(spec.list[0]!.annotations).toEqual({ 'example.com/kept': 'yes' });
    expect((hostMonitor(table)!.spec as { values: unknown }).values).toEqual({
      podAnnotations: { 'example.com/kept': 'yes', 'example.com/null': null },
    });
    // The tenant's object keeps what it wrote.
    expect((virtualMonitor(table)!.spec as typeof spec).template.metadata.annotations).toEqual(forged);
  });

  it('a selector key that is no label key (`__proto__`, which would be lost on the way and select more) is refused', async () => {
    const table = await monitorsTable();
    const matchLabels = JSON.parse('{"__proto__": "x", "app": "web"}') as Record<string, string>;
    await table.virtual.create(MONITORS, 'team', monitor('web', { selector: { matchLabels } }));
    await table.virtual.create(
      MONITORS,
      'team',
      monitor('expr', { selector: { matchExpressions: [{ key: '__proto__', operator: 'Exists' }] } }),
    );
    await table.settle();
    // `in` is a label key like any other in a structured selector (a word only of the string syntax).
    await table.virtual.create(
      MONITORS,
      'team',
      monitor('words', { selector: { matchLabels: { in: 'yes' } } }),
    );
    await table.settle();
    expect((hostMonitor(table, 'words')!.spec as { selector: unknown }).selector).toEqual({
      matchLabels: { in: 'yes', ...scope },
    });
    expect(hostMonitor(table)).toBeUndefined();
    expect(hostMonitor(table, 'expr')).toBeUndefined();
    expect(syncErrors(table).sort()).toEqual([
      expect.stringContaining('spec.selector.matchExpressions[0].key must be a label key'),
      expect.stringContaining('spec.selector.matchLabels must be a map of label keys to string values'),
    ]);
  });

  it("an empty, absent or null selector, which selects everything, selects the tenant's namespace only", async () => {
    const table = await monitorsTable();
    await table.virtual.create(
      MONITORS,
      'team',
      monitor('all', { selector: {}, workloadSelector: { labels: {} } }),
    );
    // Istio's Sidecar without a workloadSelector, its AuthorizationPolicy without a selector: every
    // workload of the namespace, which on the host is every tenant's.
    await table.virtual.create(MONITORS, 'team', monitor('none', { endpoints: [] }));
    await table.virtual.create(
      MONITORS,
      'team',
      monitor('null', { selector: null, workloadSelector: { labels: null } }),
    );
    // The field's parent is missing: made, as the path has no list.
    await table.virtual.create(MONITORS, 'team', monitor('parentless', { workloadSelector: null }));
    await table.settle();
    const scoped = { selector: { matchLabels: scope }, workloadSelector: { labels: scope } };
    expect(hostMonitor(table, 'all')!.spec).toEqual(scoped);
    expect(hostMonitor(table, 'none')!.spec).toEqual({ ...scoped, endpoints: [] });
    expect(hostMonitor(table, 'null')!.spec).toEqual(scoped);
    expect(hostMonitor(table, 'parentless')!.spec).toEqual(scoped);
    // The virtual object keeps what the tenant wrote.
    expect(virtualMonitor(table, 'none')!.spec).toEqual({ endpoints: [] });
  });

  it('through a list: an item without the selector gets the scope, one without its parent and an absent list stay as they are', async () => {
    const table = await monitorsTable();
    await table.virtual.create(
      MONITORS,
      'team',
      monitor('web', {
        selector: {},
        workloadSelector: { labels: {} },
        rules: [{ podSelector: { matchLabels: { app: 'web' } }, from: {} }, { port: 80 }],
      }),
    );
    await table.settle();
    expect(hostMonitor(table)!.spec).toEqual({
      selector: { matchLabels: scope },
      workloadSelector: { labels: scope },
      rules: [
        {
          podSelector: { matchLabels: { app: 'web', ...scope } },
          from: { selector: { matchLabels: scope } },
        },
        // No `from`: left out, not made (a list's items are the tenant's to shape).
        { podSelector: { matchLabels: scope }, port: 80 },
      ],
    });
  });

  it('a selector that is not one is refused with a SyncError naming its path, and nothing is written to the host', async () => {
    const table = await monitorsTable();
    table.host.clearWrites();
    await table.virtual.create(MONITORS, 'team', monitor('text', { selector: 'app=web' }));
    await table.virtual.create(
      MONITORS,
      'team',
      monitor('numbers', { selector: { matchLabels: { app: 1 } } }),
    );
    await table.virtual.create(
      MONITORS,
      'team',
      monitor('extra', { selector: { matchLabels: { app: 'web' }, namespaces: ['kube-system'] } }),
    );
    await table.virtual.create(
      MONITORS,
      'team',
      monitor('item', { extraSelectors: [{}, { matchExpressions: [{ key: 'a', operator: 'Gt' }] }] }),
    );
    await table.virtual.create(MONITORS, 'team', monitor('map', { workloadSelector: { labels: ['app'] } }));
    await table.settle();
    expect(table.host.objects(MONITORS, HOST_NS)).toEqual([]);
    expect(table.host.writeLog()).toEqual([]);
    expect(syncErrors(table).sort()).toEqual([
      expect.stringMatching(
        /^malformed ServiceMonitor: spec\.extraSelectors\[1\]\.matchExpressions\[0\]\.operator must be one of In, NotIn, Exists, DoesNotExist/,
      ),
      expect.stringMatching(
        /^malformed ServiceMonitor: spec\.selector must be a label selector .*\(configured as a LabelSelector\)$/,
      ),
      expect.stringMatching(
        /^malformed ServiceMonitor: spec\.selector\.matchLabels must be a map of label keys to string values/,
      ),
      expect.stringMatching(
        /^malformed ServiceMonitor: spec\.selector\.namespaces is not a field of a label selector/,
      ),
      expect.stringMatching(
        /^malformed ServiceMonitor: spec\.workloadSelector\.labels must be a map of label keys to string values .*\(configured as a Labels\)$/,
      ),
    ]);
  });

  it("a tenant's change of the selector reaches the host scoped; a host edit widening it is reverted; steady state writes nothing", async () => {
    const table = await monitorsTable();
    await table.virtual.create(
      MONITORS,
      'team',
      monitor('web', { selector: { matchLabels: { app: 'web' } } }),
    );
    await table.settle();
    await table.virtual.update(MONITORS, 'team', {
      ...virtualMonitor(table)!,
      spec: { selector: { matchLabels: { app: 'api' } } },
    });
    await table.settle();
    expect(hostMonitor(table)!.spec).toEqual({
      selector: { matchLabels: { app: 'api', ...scope } },
      workloadSelector: { labels: scope },
    });
    await table.host.update(MONITORS, HOST_NS, {
      ...hostMonitor(table)!,
      spec: { selector: { matchLabels: { app: 'api' } } },
    });
    await table.settle();
    expect(hostMonitor(table)!.spec).toEqual({
      selector: { matchLabels: { app: 'api', ...scope } },
      workloadSelector: { labels: scope },
    });
    expect((virtualMonitor(table)!.spec as { selector: unknown }).selector).toEqual({
      matchLabels: { app: 'api' },
    });
    // With status flowing back too: the scoped form on the host is what is desired, nothing loops.
    await table.host.update(
      MONITORS,
      HOST_NS,
      { ...hostMonitor(table)!, status: { ok: true } },
      { subresource: 'status' },
    );
    await table.settle();
    expect(virtualMonitor(table)!.status).toEqual({ ok: true });
    table.virtual.clearWrites();
    table.host.clearWrites();
    table.controllers.get(MONITOR_KIND)!.controller.enqueue('team/web');
    await table.settle();
    expect(table.writes()).toEqual([]);
  });

  it('a namespaceSelector (host namespaces) the admin forbade is refused, whatever it holds', async () => {
    const table = await monitorsTable();
    await table.virtual.create(
      MONITORS,
      'team',
      monitor('any', { selector: {}, namespaceSelector: { any: true } }),
    );
    await table.virtual.create(
      MONITORS,
      'team',
      monitor('named', { selector: {}, namespaceSelector: { matchNames: ['kube-system'] } }),
    );
    await table.settle();
    expect(table.host.objects(MONITORS, HOST_NS)).toEqual([]);
    expect(syncErrors(table)).toEqual([
      'cannot sync this ServiceMonitor: spec.namespaceSelector is set; it may not be set here',
      'cannot sync this ServiceMonitor: spec.namespaceSelector is set; it may not be set here',
    ]);
  });

  it('a selector changed into a malformed one: SyncError, the host copy keeps its scoped selector', async () => {
    const table = await monitorsTable();
    await table.virtual.create(
      MONITORS,
      'team',
      monitor('web', { selector: { matchLabels: { app: 'web' } } }),
    );
    await table.settle();
    table.host.clearWrites();
    await table.virtual.update(MONITORS, 'team', { ...virtualMonitor(table)!, spec: { selector: ['app'] } });
    await table.settle();
    expect(table.host.writeLog()).toEqual([]);
    expect(hostMonitor(table)!.spec).toEqual({
      selector: { matchLabels: { app: 'web', ...scope } },
      workloadSelector: { labels: scope },
    });
    expect(syncErrors(table)).toEqual([
      expect.stringMatching(/^malformed ServiceMonitor: spec\.selector must be/),
    ]);
  });
});
