import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, type StateTable } from '../../testing/state-table.ts';
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

/*
 * vCluster's integrations.externalSecrets, end to end through the engine between two in-memory
 * clusters: the test plays the host's External Secrets Operator, writing what a store holds into
 * the host Secret an ExternalSecret's copy names, as ESO does.
 */

const start = stateTables();

const GROUP = 'external-secrets.io';
const type = (resource: string, kind: string, namespaced: boolean) =>
  customResourceType(GROUP, resource, kind, namespaced);

const EXTERNAL_SECRETS = type('externalsecrets', 'ExternalSecret', true);
const STORES = type('secretstores', 'SecretStore', true);
const CLUSTER_STORES = type('clustersecretstores', 'ClusterSecretStore', false);
const ES_KIND = 'cr:externalsecrets.external-secrets.io';
const STORE_KIND = 'cr:secretstores.external-secrets.io';
const CLUSTER_STORE_KIND = 'cr:clustersecretstores.external-secrets.io';

/** ESO's ExternalSecret schema, as much of it as gives defaults to a template the syncer adds. */
const EXTERNAL_SECRET_SCHEMA = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        target: {
          type: 'object',
          default: { creationPolicy: 'Owner', deletionPolicy: 'Retain' },
          properties: {
            template: {
              type: 'object',
              properties: {
                engineVersion: { type: 'string', default: 'v2' },
                mergePolicy: { type: 'string', default: 'Replace' },
                type: { type: 'string' },
              },
            },
          },
        },
      },
    },
  },
};

const fakeStore = (name: string, data: Record<string, string> = { db: 's3cr3t' }): KubeObject => ({
  metadata: { name },
  spec: { provider: { fake: { data: Object.entries(data).map(([key, value]) => ({ key, value })) } } },
});
const clusterStore = (name: string, labels: Record<string, string>): KubeObject => ({
  ...fakeStore(name),
  metadata: { name, labels },
});
const externalSecret = (name: string, spec: Record<string, unknown>, labels?: Record<string, string>) => ({
  metadata: { name, ...(labels ? { labels } : {}) },
  spec: { refreshInterval: '1h', data: [{ secretKey: 'password', remoteRef: { key: 'db' } }], ...spec },
});
const fromStore = (name: string) => ({ secretStoreRef: { name, kind: 'SecretStore' } });

/**
 * What ESO writes into an ExternalSecret's target Secret on the host (data base64, as the API holds
 * it), taking it under the ExternalSecret's copy as its controller when that one owns it
 * (creationPolicy Owner, the default).
 */
async function fill(t: StateTable, secretHostName: string, data: Record<string, string>): Promise<void> {
  const current = hostObject(t, Resources.secrets, secretHostName)!;
  const owner = t.host
    .objects(EXTERNAL_SECRETS, HOST_NS)
    .find((es) => (es.spec as { target?: { name?: string } }).target?.name === secretHostName);
  const policy = (owner?.spec as { target?: { creationPolicy?: string } } | undefined)?.target
    ?.creationPolicy;
  const controller =
    owner && (policy ?? 'Owner') === 'Owner'
      ? [
          {
            apiVersion: 'external-secrets.io/v1',
            kind: 'ExternalSecret',
            name: owner.metadata?.name ?? '',
            uid: owner.metadata?.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ]
      : [];
  await t.host.update(Resources.secrets, HOST_NS, {
    ...current,
    metadata: {
      ...current.metadata,
      ownerReferences: [...(current.metadata?.ownerReferences ?? []), ...controller],
      labels: { ...current.metadata?.labels, 'reconcile.external-secrets.io/managed': 'true' },
      annotations: { ...current.metadata?.annotations, 'reconcile.external-secrets.io/data-hash': 'h' },
    },
    data,
  });
}

/** The integration as vCluster's docs turn it on, the host offering stores labelled offer=tenants. */
const DOCUMENTED = {
  enabled: true,
  sync: {
    toHost: { stores: { enabled: true } },
    fromHost: { clusterStores: { enabled: true, selector: { matchLabels: { offer: 'tenants' } } } },
  },
};

async function externalSecretsTable(
  externalSecrets: Record<string, unknown> = DOCUMENTED,
  flags?: Record<string, unknown>,
): Promise<StateTable> {
  const table = await start({
    ...(flags ? { flags } : {}),
    kinds: [
      'secrets',
      'configmaps',
      ES_KIND,
      STORE_KIND,
      ...(JSON.stringify(externalSecrets).includes('clusterStores') ? [CLUSTER_STORE_KIND] : []),
    ],
    file: { integrations: { externalSecrets } },
    host: [
      [CRDS, crd(EXTERNAL_SECRETS, EXTERNAL_SECRET_SCHEMA)],
      [CRDS, crd(STORES)],
      [CRDS, crd(CLUSTER_STORES)],
      [CLUSTER_STORES, clusterStore('shared-vault', { offer: 'tenants' })],
      [CLUSTER_STORES, clusterStore('admins-only', { offer: 'admins' })],
    ],
  });
  await settled(table);
  await settled(table);
  return table;
}

describe('integrations.externalSecrets (state table)', () => {
  it('shows the host ClusterSecretStores the selector offers, and no other', async () => {
    const table = await externalSecretsTable();
    expect(table.virtual.objects(CLUSTER_STORES).map((o) => o.metadata?.name)).toEqual(['shared-vault']);
  });

  it("an ExternalSecret over the tenant's SecretStore: its target Secret (the ExternalSecret's name) is made on the host, the copy names it and the store's copy, and what ESO writes there comes back", async () => {
    const table = await externalSecretsTable();
    await table.virtual.create(STORES, 'team', fakeStore('fake'));
    await table.virtual.create(EXTERNAL_SECRETS, 'team', {
      ...externalSecret('db', fromStore('fake')),
      metadata: {
        name: 'db',
        labels: { app: 'web' },
        annotations: { 'reflector.v1.k8s.emberstack.com/reflection-allowed': 'true' },
      },
    });
    await settled(table);

    expect(hostObject(table, STORES, hostName('fake'))!.spec).toEqual(fakeStore('fake').spec);
    const hostSecret = hostObject(table, Resources.secrets, hostName('db'))!;
    expect(hostSecret.type).toBe('Opaque');
    expect(hostSecret.metadata?.labels).toMatchObject({ 'vcluster.loft.sh/namespace': 'team' });
    expect(hostSecret.metadata?.annotations).toMatchObject({ 'vcluster.loft.sh/object-name': 'db' });
    // With no template, ESO would put the ExternalSecret's own labels and annotations on the host
    // Secret (the copy's: the syncer's ownership annotations, a reflector's): the copy has an empty
    // one, as the host's API server defaults it (or the copy would differ from what it stores, and be
    // written again at every reconcile).
    expect(hostObject(table, EXTERNAL_SECRETS, hostName('db'))!.spec).toMatchObject({
      secretStoreRef: { name: hostName('fake'), kind: 'SecretStore' },
      target: { name: hostName('db'), template: { engineVersion: 'v2', mergePolicy: 'Replace' } },
    });
    // The tenant's ExternalSecret is left as written.
    expect(
      table.virtual.objects(EXTERNAL_SECRETS, 'team').find((o) => o.metadata?.name === 'db')!.spec,
    ).not.toHaveProperty('target');
    expect(virtualSecret(table, 'db')).toBeUndefined();

    await fill(table, hostName('db'), { password: 'czNjcjN0' });
    await settled(table);
    const filled = virtualSecret(table, 'db')!;
    expect(filled.type).toBe('Opaque');
    expect(filled.data).toEqual({ password: 'czNjcjN0' });
    // What ESO does in the tenant's own cluster: the ExternalSecret owns the Secret (creationPolicy
    // Owner, the default), whose labels and annotations are the ExternalSecret's.
    const es = table.virtual.objects(EXTERNAL_SECRETS, 'team').find((o) => o.metadata?.name === 'db')!;
    expect(filled.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        name: 'db',
        uid: es.metadata!.uid,
        controller: true,
        blockOwnerDeletion: false,
      },
    ]);
    expect(filled.metadata?.labels).toMatchObject({ app: 'web' });
    expect(filled.metadata?.annotations).toMatchObject({
      'reflector.v1.k8s.emberstack.com/reflection-allowed': 'true',
    });
    await expectSteady(table);

    // ESO's status on the host copy comes back to the tenant, host names read back to the tenant's.
    const hostEs = hostObject(table, EXTERNAL_SECRETS, hostName('db'))!;
    await table.host.update(
      EXTERNAL_SECRETS,
      HOST_NS,
      {
        ...hostEs,
        status: {
          binding: { name: hostName('db') },
          conditions: [{ type: 'Ready', status: 'True', reason: 'SecretSynced', message: 'secret synced' }],
        },
      },
      { subresource: 'status' },
    );
    await settled(table);
    const status = table.virtual.objects(EXTERNAL_SECRETS, 'team').find((o) => o.metadata?.name === 'db')!
      .status as { binding: { name: string }; conditions: { type: string; status: string }[] };
    expect(status.conditions).toMatchObject([{ type: 'Ready', status: 'True' }]);
    expect(status.binding.name).toBe('db');
  });

  it("a target named, of the type its template gives, with the template's labels on the tenant's Secret and not on the host's", async () => {
    const table = await externalSecretsTable();
    await table.virtual.create(STORES, 'team', fakeStore('fake'));
    await table.virtual.create(Resources.configMaps, 'team', {
      metadata: { name: 'tpl' },
      data: { 'config.json': '{"auth": "{{ .password }}"}' },
    });
    await table.virtual.create(
      EXTERNAL_SECRETS,
      'team',
      externalSecret('pull', {
        ...fromStore('fake'),
        target: {
          name: 'registry',
          template: {
            type: 'kubernetes.io/dockerconfigjson',
            metadata: { labels: { team: 'a' }, annotations: { note: 'from ESO' } },
            templateFrom: [{ configMap: { name: 'tpl', items: [{ key: 'config.json' }] } }],
          },
        },
      }),
    );
    await settled(table);

    const hostSecret = hostObject(table, Resources.secrets, hostName('registry'))!;
    expect(hostSecret.type).toBe('kubernetes.io/dockerconfigjson');
    const copy = hostObject(table, EXTERNAL_SECRETS, hostName('pull'))!;
    expect((copy.spec as { target: unknown }).target).toEqual({
      name: hostName('registry'),
      template: {
        type: 'kubernetes.io/dockerconfigjson',
        templateFrom: [{ configMap: { name: hostName('tpl'), items: [{ key: 'config.json' }] } }],
      },
    });
    // The template's ConfigMap is copied for ESO to read.
    expect(hostObject(table, Resources.configMaps, hostName('tpl'))!.data).toEqual({
      'config.json': '{"auth": "{{ .password }}"}',
    });

    await fill(table, hostName('registry'), { '.dockerconfigjson': 'e30=' });
    await settled(table);
    const filled = virtualSecret(table, 'registry')!;
    expect(filled.type).toBe('kubernetes.io/dockerconfigjson');
    expect(filled.metadata?.labels).toMatchObject({ team: 'a' });
    expect(filled.metadata?.annotations).toMatchObject({ note: 'from ESO' });
    expect(hostObject(table, Resources.secrets, hostName('registry'))!.metadata?.labels).not.toHaveProperty(
      'team',
    );
  });

  it('an ExternalSecret over a ClusterSecretStore the host offers keeps its name; one the host withholds gets no copy until offered', async () => {
    const table = await externalSecretsTable();
    await table.virtual.create(
      EXTERNAL_SECRETS,
      'team',
      externalSecret('shared', { secretStoreRef: { name: 'shared-vault', kind: 'ClusterSecretStore' } }),
    );
    await table.virtual.create(
      EXTERNAL_SECRETS,
      'team',
      externalSecret('stolen', { secretStoreRef: { name: 'admins-only', kind: 'ClusterSecretStore' } }),
    );
    await settled(table);
    expect(hostObject(table, EXTERNAL_SECRETS, hostName('shared'))!.spec).toMatchObject({
      secretStoreRef: { name: 'shared-vault', kind: 'ClusterSecretStore' },
    });
    expect(hostObject(table, EXTERNAL_SECRETS, hostName('stolen'))).toBeUndefined();
    expect(hostObject(table, Resources.secrets, hostName('stolen'))).toBeUndefined();
    expect(events(table)).toContain(
      'Waiting: waiting for what it names: spec.secretStoreRef.name: clustersecretstores.external-secrets.io "admins-only" not found',
    );
    // Waiting, as for a store not made yet: the host offering it later lets the copy through.
    const withheld = table.host.objects(CLUSTER_STORES).find((o) => o.metadata?.name === 'admins-only')!;
    await table.host.update(CLUSTER_STORES, '', {
      ...withheld,
      metadata: { ...withheld.metadata, labels: { offer: 'tenants' } },
    });
    await settled(table);
    expect(hostObject(table, EXTERNAL_SECRETS, hostName('stolen'))!.spec).toMatchObject({
      secretStoreRef: { name: 'admins-only', kind: 'ClusterSecretStore' },
    });
  });

  it.each([
    [
      'the kubernetes provider (a host ServiceAccount, the host API)',
      { kubernetes: { auth: { serviceAccount: { name: 'default' } } } },
      'spec.provider.kubernetes is set',
    ],
    [
      'AWS signing in as the host (no credentials)',
      { aws: { service: 'SecretsManager', region: 'eu-west-1' } },
      'spec.provider.aws.auth is not set',
    ],
    [
      'AWS with a host ServiceAccount',
      {
        aws: {
          service: 'SecretsManager',
          region: 'eu-west-1',
          auth: { jwt: { serviceAccountRef: { name: 'default' } } },
        },
      },
      'spec.provider.aws.auth.jwt is set',
    ],
    [
      'Vault at a server the admin does not trust (its client follows redirects into the host cluster)',
      { vault: { server: 'https://vault.example.com', auth: { tokenSecretRef: { name: 't', key: 'k' } } } },
      'spec.provider.vault.server is "https://vault.example.com": the host\'s controller would call it',
    ],
    [
      "Vault's Kubernetes sign-in (a host ServiceAccount)",
      { vault: { server: 'https://vault.example.com', auth: { kubernetes: { mountPath: 'k', role: 'r' } } } },
      'spec.provider.vault.auth.kubernetes is set',
    ],
    [
      'GCP (its key file names the token URL ESO posts to)',
      {
        gcpsm: { projectID: 'p', auth: { secretRef: { secretAccessKeySecretRef: { name: 'k', key: 'k' } } } },
      },
      'spec.provider.gcpsm is set',
    ],
    [
      'Azure Key Vault (a vault URL of the tenant; its tenantId pasted into a URL)',
      { azurekv: { vaultUrl: 'https://v.vault.azure.net', tenantId: 'http://10.0.0.7/#' } },
      'spec.provider.azurekv is set',
    ],
    [
      'a credential Secret of another namespace',
      {
        aws: {
          service: 'SecretsManager',
          region: 'eu-west-1',
          auth: {
            secretRef: {
              accessKeyIDSecretRef: { name: 'k', key: 'id', namespace: 'kube-system' },
              secretAccessKeySecretRef: { name: 'k', key: 'secret' },
            },
          },
        },
      },
      'spec.provider.aws.auth.secretRef.accessKeyIDSecretRef.namespace is set',
    ],
    [
      'a webhook (its URL a template)',
      { webhook: { url: 'http://{{ .remoteRef.key }}/' } },
      'spec.provider.webhook is set',
    ],
  ])('a SecretStore with %s is refused: no copy, a SyncError', async (_name, provider, why) => {
    const table = await externalSecretsTable();
    await table.virtual.create(STORES, 'team', { metadata: { name: 'bad' }, spec: { provider } });
    await settled(table);
    expect(hostObject(table, STORES, hostName('bad'))).toBeUndefined();
    expect(events(table).join('\n')).toContain(why);
  });

  it('a SecretStore on a Vault the admin trusts (--allowed-server-url): synced, its token Secret copied and renamed', async () => {
    const table = await externalSecretsTable(DOCUMENTED, { allowedServerUrl: ['https://vault.example.com'] });
    await table.virtual.create(Resources.secrets, 'team', {
      metadata: { name: 'vault-token' },
      data: { t: 'dA==' },
    });
    await table.virtual.create(STORES, 'team', {
      metadata: { name: 'vault' },
      spec: {
        provider: {
          vault: {
            server: 'https://vault.example.com',
            path: 'secret',
            version: 'v2',
            auth: { tokenSecretRef: { name: 'vault-token', key: 't' } },
          },
        },
      },
    });
    await settled(table);
    expect(hostObject(table, STORES, hostName('vault'))!.spec).toMatchObject({
      provider: { vault: { auth: { tokenSecretRef: { name: hostName('vault-token'), key: 't' } } } },
    });
    expect(hostObject(table, Resources.secrets, hostName('vault-token'))!.data).toEqual({ t: 'dA==' });
  });

  it("templates calling getSecretKey (ESO v0.20.2 to v1.1.1 reads any host Secret with it) never reach the host, inline or from a ConfigMap or Secret; the tenant's other templates do", async () => {
    const table = await externalSecretsTable();
    await table.virtual.create(STORES, 'team', fakeStore('fake'));
    const stealing = '{{ getSecretKey "vc-other" "vc-other" "config" }}';
    const templated = (
      name: string,
      template: Record<string, unknown>,
      extra: Record<string, unknown> = {},
    ) => externalSecret(name, { ...fromStore('fake'), target: { template }, ...extra });
    await table.virtual.create(
      EXTERNAL_SECRETS,
      'team',
      templated('inline', { data: { kubeconfig: stealing } }),
    );
    await table.virtual.create(
      EXTERNAL_SECRETS,
      'team',
      templated('literal', {
        templateFrom: [{ literal: `x: {{- /* c */ -}} {{ (getSecretKey "a" "kube-system" "k") | b64enc }}` }],
      }),
    );
    await table.virtual.create(
      EXTERNAL_SECRETS,
      'team',
      externalSecret('rewritten', {
        ...fromStore('fake'),
        dataFrom: [
          {
            find: { name: { regexp: '.*' } },
            rewrite: [{ transform: { template: `{{ env "AWS_SECRET" }}` } }],
          },
        ],
      }),
    );
    // Strings, fields and comments naming a function are no call of it (getSecretKey aside: named at all, refused).
    await table.virtual.create(
      EXTERNAL_SECRETS,
      'team',
      templated('benign', {
        data: {
          dsn: '{{ .password | upper }} {{ "env" }} {{/* lookup */}} {{ .env }}',
        },
      }),
    );
    // A template kept in a ConfigMap (templateFrom) is judged as that ConfigMap is copied.
    await table.virtual.create(Resources.configMaps, 'team', {
      metadata: { name: 'tpl' },
      data: { 'config.yaml': `token: {{ getSecretKey "x" "kube-system" "token" }}` },
    });
    await table.virtual.create(
      EXTERNAL_SECRETS,
      'team',
      templated('from-configmap', {
        templateFrom: [{ configMap: { name: 'tpl', items: [{ key: 'config.yaml' }] } }],
      }),
    );
    await table.virtual.create(Resources.secrets, 'team', {
      metadata: { name: 'tpl-secret' },
      data: { t: Buffer.from('{{getSecretKey "x" "y" "z"}}').toString('base64') },
    });
    await table.virtual.create(
      EXTERNAL_SECRETS,
      'team',
      templated('from-secret', { templateFrom: [{ secret: { name: 'tpl-secret', items: [{ key: 't' }] } }] }),
    );
    await settled(table);

    for (const name of ['inline', 'literal', 'rewritten'])
      expect(hostObject(table, EXTERNAL_SECRETS, hostName(name))).toBeUndefined();
    expect(hostObject(table, Resources.configMaps, hostName('tpl'))).toBeUndefined();
    expect(hostObject(table, Resources.secrets, hostName('tpl-secret'))).toBeUndefined();
    expect(hostObject(table, EXTERNAL_SECRETS, hostName('benign'))).toBeDefined();
    const said = events(table).join('\n');
    expect(said).toContain('spec.target.template.data.kubeconfig is a template calling getSecretKey');
    expect(said).toContain('spec.target.template.templateFrom[0].literal is a template calling getSecretKey');
    expect(said).toContain('spec.dataFrom[0].rewrite[0].transform.template is a template calling env');
    expect(said).toContain('data key "config.yaml" holds a template calling getSecretKey');
    expect(said).toContain('data key "t" holds a template calling getSecretKey');

    // One synced already that turns to it loses its copy: the host's ESO must not act on it.
    const benign = table.virtual
      .objects(EXTERNAL_SECRETS, 'team')
      .find((o) => o.metadata?.name === 'benign')!;
    await table.virtual.update(EXTERNAL_SECRETS, 'team', {
      ...benign,
      spec: { ...(benign.spec as object), target: { template: { data: { dsn: stealing } } } },
    });
    await settled(table);
    expect(hostObject(table, EXTERNAL_SECRETS, hostName('benign'))).toBeUndefined();
    expect(events(table).join('\n')).toContain('its host copy is removed');
  });

  it('a templateFrom ConfigMap calling getHostByName (a lookup in the host network) keeps its ExternalSecret off the host, as inline; one changed to it later is named by the copy no more', async () => {
    const table = await externalSecretsTable();
    await table.virtual.create(STORES, 'team', fakeStore('fake'));
    await table.virtual.create(Resources.configMaps, 'team', {
      metadata: { name: 'dns' },
      data: { t: '{{ getHostByName "kubernetes.default" }}' },
    });
    await table.virtual.create(Resources.configMaps, 'team', {
      metadata: { name: 'plain' },
      data: { t: '{{ .password }}' },
    });
    const fromMap = (name: string, map: string) =>
      externalSecret(name, {
        ...fromStore('fake'),
        target: { template: { templateFrom: [{ configMap: { name: map, items: [{ key: 't' }] } }] } },
      });
    await table.virtual.create(EXTERNAL_SECRETS, 'team', fromMap('looks-up', 'dns'));
    await table.virtual.create(EXTERNAL_SECRETS, 'team', fromMap('plain', 'plain'));
    await settled(table);
    expect(hostObject(table, EXTERNAL_SECRETS, hostName('looks-up'))).toBeUndefined();
    expect(hostObject(table, EXTERNAL_SECRETS, hostName('plain'))).toBeDefined();
    expect(events(table).join('\n')).toContain('holds a template calling getHostByName');
    type Rendering = { target: { template: { templateFrom: { configMap: { name: string } }[] } } };
    const renders = () =>
      (hostObject(table, EXTERNAL_SECRETS, hostName('plain'))!.spec as Rendering).target.template
        .templateFrom[0]!.configMap.name;
    expect(renders()).toBe(hostName('plain'));
    // The ConfigMap it renders turns to it: the copy names it no more (an absent name in its place).
    const plain = table.virtual
      .objects(Resources.configMaps, 'team')
      .find((c) => c.metadata?.name === 'plain')!;
    await table.virtual.update(Resources.configMaps, 'team', {
      ...plain,
      data: { t: '{{ getHostByName "x" }}' },
    });
    await settled(table);
    expect(renders()).toMatch(/^vsyncer-absent-/);
  });

  it("a Secret another ExternalSecret fills on the host is no template source: what ESO wrote there (a template the tenant's store held) is nobody's to check", async () => {
    const table = await externalSecretsTable();
    await table.virtual.create(
      STORES,
      'team',
      fakeStore('fake', { tpl: '{{ getSecretKey "x" "kube-system" "k" }}' }),
    );
    // A: no template, its target Secret `stage` filled by the host's ESO with the store's text.
    await table.virtual.create(EXTERNAL_SECRETS, 'team', {
      ...externalSecret('stage', fromStore('fake')),
      spec: { ...fromStore('fake'), data: [{ secretKey: 't', remoteRef: { key: 'tpl' } }] },
    });
    await settled(table);
    await fill(table, hostName('stage'), {
      t: Buffer.from('{{ getSecretKey "x" "kube-system" "k" }}').toString('base64'),
    });
    await settled(table);
    // B renders `stage` as its template.
    await table.virtual.create(
      EXTERNAL_SECRETS,
      'team',
      externalSecret('render', {
        ...fromStore('fake'),
        target: { template: { templateFrom: [{ secret: { name: 'stage', items: [{ key: 't' }] } }] } },
      }),
    );
    await settled(table);
    expect(hostObject(table, EXTERNAL_SECRETS, hostName('render'))).toBeUndefined();
    expect(events(table).join('\n')).toContain('a Secret a host controller fills is no template source');
  });

  it("a SecretStore picking the host's ESO instance (spec.controller) is refused", async () => {
    const table = await externalSecretsTable();
    await table.virtual.create(STORES, 'team', {
      metadata: { name: 'routed' },
      spec: { controller: 'platform-admin', provider: { fake: { data: [] } } },
    });
    await settled(table);
    expect(hostObject(table, STORES, hostName('routed'))).toBeUndefined();
    expect(events(table).join('\n')).toContain('spec.controller is set; it may not be set here');
  });

  it("a SecretStore signing in with the tenant's own credentials: its Secret is copied and named by its copy", async () => {
    const table = await externalSecretsTable();
    await table.virtual.create(Resources.secrets, 'team', {
      metadata: { name: 'aws-creds' },
      data: { id: 'aWQ=', secret: 'c2VjcmV0' },
    });
    await table.virtual.create(STORES, 'team', {
      metadata: { name: 'aws' },
      spec: {
        provider: {
          aws: {
            service: 'SecretsManager',
            region: 'eu-west-1',
            auth: {
              secretRef: {
                accessKeyIDSecretRef: { name: 'aws-creds', key: 'id' },
                secretAccessKeySecretRef: { name: 'aws-creds', key: 'secret' },
              },
            },
          },
        },
      },
    });
    await settled(table);
    expect(hostObject(table, STORES, hostName('aws'))!.spec).toMatchObject({
      provider: {
        aws: {
          auth: {
            secretRef: {
              accessKeyIDSecretRef: { name: hostName('aws-creds'), key: 'id' },
              secretAccessKeySecretRef: { name: hostName('aws-creds'), key: 'secret' },
            },
          },
        },
      },
    });
    expect(hostObject(table, Resources.secrets, hostName('aws-creds'))!.data).toEqual({
      id: 'aWQ=',
      secret: 'c2VjcmV0',
    });
  });

  it.each([
    [
      'a generator',
      { dataFrom: [{ sourceRef: { generatorRef: { kind: 'Password', name: 'p' } } }] },
      'spec.dataFrom[0].sourceRef is set',
    ],
    [
      'another store per item',
      { data: [{ secretKey: 'k', remoteRef: { key: 'db' }, sourceRef: { storeRef: { name: 'x' } } }] },
      'spec.data[0].sourceRef is set',
    ],
    [
      'a template writing labels on the host Secret',
      { target: { template: { templateFrom: [{ literal: 'a: b', target: 'Labels' }] } } },
      'spec.target.template.templateFrom[0].target is "Labels"',
    ],
    [
      "a service-account token Secret (the host's token controller would fill it)",
      { target: { template: { type: 'kubernetes.io/service-account-token' } } },
      "spec.target.template.type is kubernetes.io/service-account-token: of Kubernetes' own types only",
    ],
    [
      'a bootstrap token Secret',
      { target: { template: { type: 'bootstrap.kubernetes.io/token' } } },
      "spec.target.template.type is bootstrap.kubernetes.io/token: of Kubernetes' own types only",
    ],
    [
      'a Secret type the API server refuses',
      { target: { template: { type: 'not a type' } } },
      'spec.target.template.type is "not a type", which is not a Secret type',
    ],
    [
      'a store kind that is not offered',
      { secretStoreRef: { name: 'fake', kind: 'Provider' } },
      'spec.secretStoreRef.kind is "Provider"',
    ],
    [
      // ESO would merge into the host Secret the syncer makes empty, which then replaces the tenant's keys.
      'creationPolicy Merge',
      { target: { creationPolicy: 'Merge' } },
      'spec.target.creationPolicy is "Merge"; it may only be one of ["Owner","Orphan"] here',
    ],
    [
      // ESO would write nothing: the empty host Secret would replace the tenant's keys.
      'creationPolicy None',
      { target: { creationPolicy: 'None' } },
      'spec.target.creationPolicy is "None"',
    ],
    [
      // A generic target: ESO (with --unsafe-allow-generic-targets) writes any kind under the name.
      'a manifest target (an object of another kind)',
      { target: { manifest: { apiVersion: 'v1', kind: 'ConfigMap' } } },
      'spec.target.manifest is set',
    ],
  ])(
    'an ExternalSecret with %s is refused: no copy, no Secret made, a SyncError',
    async (_name, spec, why) => {
      const table = await externalSecretsTable();
      await table.virtual.create(STORES, 'team', fakeStore('fake'));
      await table.virtual.create(
        EXTERNAL_SECRETS,
        'team',
        externalSecret('bad', { ...fromStore('fake'), ...spec }),
      );
      await settled(table);
      expect(hostObject(table, EXTERNAL_SECRETS, hostName('bad'))).toBeUndefined();
      expect(hostObject(table, Resources.secrets, hostName('bad'))).toBeUndefined();
      expect(events(table).join('\n')).toContain(why);
    },
  );

  it('with a selector, only the ExternalSecrets carrying its labels are synced; one that loses them loses its copy', async () => {
    const table = await externalSecretsTable({
      enabled: true,
      sync: {
        toHost: {
          externalSecrets: { selector: { matchLabels: { sync: 'yes' } } },
          stores: { enabled: true },
        },
      },
    });
    await table.virtual.create(STORES, 'team', fakeStore('fake'));
    await table.virtual.create(
      EXTERNAL_SECRETS,
      'team',
      externalSecret('picked', fromStore('fake'), { sync: 'yes' }),
    );
    await table.virtual.create(EXTERNAL_SECRETS, 'team', externalSecret('left', fromStore('fake')));
    await settled(table);
    expect(hostObject(table, EXTERNAL_SECRETS, hostName('picked'))).toBeDefined();
    expect(hostObject(table, EXTERNAL_SECRETS, hostName('left'))).toBeUndefined();
    expect(hostObject(table, Resources.secrets, hostName('left'))).toBeUndefined();

    const picked = table.virtual
      .objects(EXTERNAL_SECRETS, 'team')
      .find((o) => o.metadata?.name === 'picked')!;
    await table.virtual.update(EXTERNAL_SECRETS, 'team', {
      ...picked,
      metadata: { ...picked.metadata, labels: {} },
    });
    await settled(table);
    expect(hostObject(table, EXTERNAL_SECRETS, hostName('picked'))).toBeUndefined();
  });

  it("an ExternalSecret deleted: its copy and host Secret go; the tenant's Secret is left to the tenant's garbage collector (owned), or kept (creationPolicy Orphan)", async () => {
    const table = await externalSecretsTable();
    await table.virtual.create(STORES, 'team', fakeStore('fake'));
    await table.virtual.create(
      EXTERNAL_SECRETS,
      'team',
      externalSecret('db', { ...fromStore('fake'), target: { creationPolicy: 'Orphan' } }),
    );
    await settled(table);
    await fill(table, hostName('db'), { password: 'czNjcjN0' });
    await settled(table);
    // Orphan: ESO would not own it, so nothing removes it with the ExternalSecret.
    expect(virtualSecret(table, 'db')!.metadata?.ownerReferences).toBeUndefined();

    // Owner again: the reference comes; Orphan again: it goes, and nothing else of the tenant's does.
    const es = () => table.virtual.objects(EXTERNAL_SECRETS, 'team').find((o) => o.metadata?.name === 'db')!;
    const withPolicy = (policy: string) => ({
      ...es(),
      spec: { ...(es().spec as object), target: { creationPolicy: policy } },
    });
    await table.virtual.update(EXTERNAL_SECRETS, 'team', withPolicy('Owner'));
    await settled(table);
    expect(virtualSecret(table, 'db')!.metadata?.ownerReferences).toMatchObject([
      { name: 'db', controller: true },
    ]);
    const secret = virtualSecret(table, 'db')!;
    const tenantOwner = { apiVersion: 'v1', kind: 'ConfigMap', name: 'keeper', uid: 'u-1' };
    await table.virtual.update(Resources.secrets, 'team', {
      ...secret,
      metadata: { ...secret.metadata, ownerReferences: [...secret.metadata!.ownerReferences!, tenantOwner] },
    });
    await table.virtual.update(EXTERNAL_SECRETS, 'team', withPolicy('Orphan'));
    await settled(table);
    expect(virtualSecret(table, 'db')!.metadata?.ownerReferences).toEqual([tenantOwner]);

    await table.virtual.delete(EXTERNAL_SECRETS, 'team', 'db');
    await settled(table);
    expect(hostObject(table, EXTERNAL_SECRETS, hostName('db'))).toBeUndefined();
    expect(hostObject(table, Resources.secrets, hostName('db'))).toBeUndefined();
    expect(virtualSecret(table, 'db')!.data).toEqual({ password: 'czNjcjN0' });
  });
});
