import { kubectl, waitFor } from '../test/harness/clusters.ts';
import { apply, createTenantNamespace, getObject, mustKubectl, type List } from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

interface DataObject {
  metadata: {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  type?: string;
  data?: Record<string, string>;
}

const vc = uniqueName('hostdata');
const hostNs = `host-${vc}`;
/** A host namespace of the host's own, whose ConfigMaps are all mapped. */
const sharedNs = uniqueName('shared');
/** A host namespace with one Secret mapped by name. */
const vaultNs = uniqueName('vault');
/** Virtual namespaces the syncer makes: the shared ConfigMaps and the Secret; the host namespace's objects. */
const appNs = uniqueName('app');
const ownNs = uniqueName('own');
/** A tenant namespace whose ConfigMap is copied down (--sync-all-configmaps). */
const tenantNs = uniqueName('tenant');
const b64 = (s: string) => Buffer.from(s).toString('base64');

let syncer: SyncerProcess | undefined;
const mappingArgs = [
  `--map-host-configmap=${sharedNs}/*=${appNs}/*`,
  `--map-host-configmap==${ownNs}`,
  `--map-host-secret=${vaultNs}/creds=${appNs}/db-creds`,
  // The host namespace's Secrets are mapped one by one; a service account token never shows.
  `--map-host-secret=/shared-tls=${ownNs}/shared-tls`,
  `--map-host-secret=/host-robot-token=${ownNs}/host-robot-token`,
  '--sync-all-configmaps',
];

const virtualObject = (kind: string, namespace: string, name: string) =>
  getObject<DataObject>('virtual', [kind, name, '-n', namespace]);
const virtualNames = async (kind: string, namespace: string) =>
  ((await getObject<List<DataObject>>('virtual', [kind, '-n', namespace]))?.items ?? []).map(
    (o) => o.metadata.name,
  );

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  await mustKubectl('host', ['create', 'namespace', sharedNs]);
  await mustKubectl('host', ['create', 'namespace', vaultNs]);
  await apply('host', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', namespace: sharedNs, labels: { tier: 'db' } },
    data: { mode: 'fast' },
  });
  await apply('host', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: vaultNs },
    type: 'kubernetes.io/basic-auth',
    data: { username: b64('app'), password: b64('s3cret') },
  });
  // In the virtual cluster's own host namespace: one ConfigMap to show, and Secrets never to show.
  await apply('host', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'public', namespace: hostNs },
    data: { motd: 'hello' },
  });
  await apply('host', {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'host-robot', namespace: hostNs },
  });
  await apply('host', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'host-robot-token',
      namespace: hostNs,
      annotations: { 'kubernetes.io/service-account.name': 'host-robot' },
    },
    type: 'kubernetes.io/service-account-token',
  });
  await apply('host', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'shared-tls', namespace: hostNs },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64('cert'), 'tls.key': b64('key') },
  });
  await createTenantNamespace(tenantNs);
  await apply('virtual', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'private', namespace: tenantNs },
    data: { only: 'for the tenant namespace' },
  });
  syncer = await startSyncer({ name: vc, hostNamespace: hostNs, args: mappingArgs });
}, 180_000);

afterAll(async () => {
  await mustKubectl('virtual', ['delete', 'namespace', appNs, ownNs, tenantNs, '--wait=false']).catch(
    () => undefined,
  );
  await syncer?.stop();
  await mustKubectl('host', ['delete', 'namespace', sharedNs, vaultNs, '--wait=false']).catch(
    () => undefined,
  );
});

describe('host ConfigMaps and Secrets mapped into the virtual cluster (vCluster sync.fromHost)', () => {
  it('a mapped host ConfigMap appears (its namespace made), follows the host, and is restored after a tenant edit or delete', async () => {
    const replica = await waitFor(
      'the replica of the host ConfigMap',
      () => virtualObject('configmap', appNs, 'settings'),
      60_000,
    );
    expect(replica.data).toEqual({ mode: 'fast' });
    expect(replica.metadata.labels).toMatchObject({ tier: 'db' });

    await mustKubectl('host', ['label', 'configmap', 'settings', '-n', sharedNs, 'updated=yes']);
    await mustKubectl('host', [
      'patch',
      'configmap',
      'settings',
      '-n',
      sharedNs,
      '-p',
      '{"data":{"mode":"slow"}}',
    ]);
    await waitFor(
      'the host change in the replica',
      async () => {
        const now = await virtualObject('configmap', appNs, 'settings');
        return now?.data?.mode === 'slow' && now.metadata.labels?.updated === 'yes';
      },
      60_000,
    );

    await mustKubectl('virtual', [
      'patch',
      'configmap',
      'settings',
      '-n',
      appNs,
      '-p',
      '{"data":{"mode":"tenant"}}',
    ]);
    await waitFor(
      'the tenant edit reverted',
      async () => (await virtualObject('configmap', appNs, 'settings'))?.data?.mode === 'slow',
      60_000,
    );

    const before = (await virtualObject('configmap', appNs, 'settings'))!.metadata.uid;
    await mustKubectl('virtual', ['delete', 'configmap', 'settings', '-n', appNs]);
    const again = await waitFor(
      'the deleted replica made again',
      async () => {
        const now = await virtualObject('configmap', appNs, 'settings');
        return now && now.metadata.uid !== before ? now : undefined;
      },
      60_000,
    );
    expect(again.data).toEqual({ mode: 'slow' });
  }, 240_000);

  it('a Secret mapped by name keeps its type and data under the virtual name', async () => {
    const replica = await waitFor(
      'the replica of the host Secret',
      () => virtualObject('secret', appNs, 'db-creds'),
      60_000,
    );
    expect(replica.type).toBe('kubernetes.io/basic-auth');
    expect(replica.data).toEqual({ username: b64('app'), password: b64('s3cret') });
  }, 120_000);

  it("the host namespace's own objects are shown, but never a service account token, nor a syncer's copy of another tenant namespace's object", async () => {
    await waitFor(
      'the shared ConfigMap of the host namespace',
      () => virtualObject('configmap', ownNs, 'public'),
      60_000,
    );
    await waitFor(
      'the shared TLS Secret of the host namespace',
      () => virtualObject('secret', ownNs, 'shared-tls'),
      60_000,
    );
    // The tenant's ConfigMap has its host copy in the host namespace by now.
    await waitFor(
      "the tenant ConfigMap's host copy",
      () => getObject('host', ['configmap', `private-x-${tenantNs}-x-${vc}`, '-n', hostNs]),
      60_000,
    );
    // A barrier, not a sleep: a host ConfigMap made after that copy, which the syncer must show. The
    // host watch brings the two in order and the queue hands them out in order, so once the new one
    // is shown the syncer has had the copy in hand too.
    const barrier = uniqueName('barrier');
    await apply('host', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: barrier, namespace: hostNs },
    });
    await waitFor(`${barrier} shown in ${ownNs}`, () => virtualObject('configmap', ownNs, barrier), 60_000);
    await mustKubectl('host', ['delete', 'configmap', barrier, '-n', hostNs, '--wait=false']);
    expect(await virtualNames('configmap', ownNs)).not.toContain(`private-x-${tenantNs}-x-${vc}`);
    const secrets = await virtualNames('secret', ownNs);
    expect(secrets).toContain('shared-tls');
    expect(secrets).not.toContain('host-robot-token');
  }, 120_000);

  it("the chart's grant for a Secret mapped by name (a Role naming it) is enough to list and watch it alone, and nothing else", async () => {
    const account = `system:serviceaccount:${hostNs}:reader`;
    await apply('host', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'mapped', namespace: vaultNs },
      rules: [
        {
          apiGroups: [''],
          resources: ['secrets'],
          resourceNames: ['creds'],
          verbs: ['get', 'list', 'watch'],
        },
      ],
    });
    await apply('host', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'mapped', namespace: vaultNs },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'mapped' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: hostNs }],
    });
    const as = (args: string[]) => kubectl('host', [...args, '-n', vaultNs, `--as=${account}`]);
    // What the syncer's informer does for one object: list, then watch, by a metadata.name field selector.
    const listed = await as(['get', 'secrets', '--field-selector=metadata.name=creds', '-o', 'name']);
    expect(listed).toMatchObject({ code: 0, stdout: 'secret/creds\n' });
    const watched = await as([
      'get',
      'secrets',
      '--field-selector=metadata.name=creds',
      '--watch-only',
      '--request-timeout=2s',
    ]);
    expect(watched.stderr).not.toMatch(/forbidden/i);
    expect((await as(['get', 'secrets', '-o', 'name'])).stderr).toMatch(/forbidden/i);
    expect(
      (await as(['get', 'secrets', '--field-selector=metadata.name=other', '-o', 'name'])).stderr,
    ).toMatch(/forbidden/i);
  }, 60_000);

  it('a host object deleted takes its replica with it; with the mappings removed, the replicas go at the next start', async () => {
    await mustKubectl('host', ['delete', 'secret', 'creds', '-n', vaultNs]);
    await waitFor(
      'the replica of the deleted Secret gone',
      async () => !(await virtualObject('secret', appNs, 'db-creds')),
      60_000,
    );

    await syncer!.stop();
    syncer = await startSyncer({ name: vc, hostNamespace: hostNs, args: ['--sync-all-configmaps'] });
    await waitFor(
      'the replicas of removed mappings gone',
      async () =>
        !(await virtualObject('configmap', appNs, 'settings')) &&
        !(await virtualObject('configmap', ownNs, 'public')) &&
        !(await virtualObject('secret', ownNs, 'shared-tls')),
      60_000,
    );
    // The tenant's own ConfigMap is untouched.
    expect((await virtualObject('configmap', tenantNs, 'private'))?.data).toEqual({
      only: 'for the tenant namespace',
    });
  }, 240_000);
});
