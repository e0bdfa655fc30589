import { buildConfig, ConfigError } from '../../config/config.ts';

const flags = { name: 'vc', hostNamespace: 'ns', virtualKubeconfig: '/dev/null' };
const build = (integrations: unknown, customResources?: unknown) =>
  buildConfig({ integrations, ...(customResources ? { customResources } : {}) }, flags).customResources;

/** The ConfigError message an integrations section gives, or '' when it is valid. */
function problem(integrations: unknown, customResources?: unknown): string {
  try {
    build(integrations, customResources);
    return '';
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message;
  }
}

describe('integrations config', () => {
  it('certManager at its defaults: Certificates and Issuers to the host, ClusterIssuers from it', () => {
    const config = build({ certManager: { enabled: true } });
    expect(config.toHost.map((e) => [e.resource, e.field])).toEqual([
      ['issuers.cert-manager.io/v1', 'integrations.certManager.sync.toHost.issuers'],
      ['certificates.cert-manager.io/v1', 'integrations.certManager.sync.toHost.certificates'],
    ]);
    expect(config.fromHost.map((e) => [e.resource, e.selectorLabels])).toEqual([
      ['clusterissuers.cert-manager.io/v1', {}],
    ]);
    const certificates = config.toHost[1]!;
    expect(certificates.references[0]!.template?.path).toBe('spec.secretTemplate');
    expect(certificates.references.map((r) => [r.path, r.kind, r.filledByHost, r.when?.values])).toEqual([
      ['spec.secretName', 'Secret', 'kubernetes.io/tls', undefined],
      ['spec.issuerRef.name', 'issuers.cert-manager.io', undefined, ['Issuer']],
      ['spec.issuerRef.name', 'clusterissuers.cert-manager.io', undefined, ['ClusterIssuer']],
      ['spec.keystores.jks.passwordSecretRef.name', 'Secret', undefined, undefined],
      ['spec.keystores.pkcs12.passwordSecretRef.name', 'Secret', undefined, undefined],
    ]);
    expect(certificates.allowedValues.map((a) => [a.path, a.values, a.optional])).toEqual([
      ['spec.issuerRef.kind', ['Issuer', 'ClusterIssuer', ''], true],
      ['spec.issuerRef.group', ['cert-manager.io', ''], true],
    ]);
  });

  it("off, or absent: nothing; vCluster's whole default section is taken as it is", () => {
    expect(build(undefined)).toEqual({ toHost: [], fromHost: [] });
    expect(
      build({ certManager: { enabled: false, sync: { toHost: { certificates: { enabled: true } } } } }),
    ).toEqual({
      toHost: [],
      fromHost: [],
    });
    const defaults = {
      certManager: {
        enabled: true,
        sync: {
          toHost: { certificates: { enabled: true }, issuers: { enabled: true } },
          fromHost: { clusterIssuers: { enabled: true, selector: { labels: {} } } },
        },
      },
    };
    expect(build(defaults).toHost).toHaveLength(2);
  });

  it('a selector of ClusterIssuers; issuers or ClusterIssuers off narrow what a Certificate may name', () => {
    const selected = build({
      certManager: {
        enabled: true,
        sync: { fromHost: { clusterIssuers: { selector: { labels: { a: 'b' } } } } },
      },
    });
    expect(selected.fromHost[0]!.selectorLabels).toEqual({ a: 'b' });
    const noIssuers = build({
      certManager: { enabled: true, sync: { toHost: { issuers: { enabled: false } } } },
    });
    expect(noIssuers.toHost.map((e) => e.crdName)).toEqual(['certificates.cert-manager.io']);
    expect(noIssuers.toHost[0]!.allowedValues[0]).toMatchObject({
      values: ['ClusterIssuer'],
      optional: false,
    });
    const noClusterIssuers = build({
      certManager: { enabled: true, sync: { fromHost: { clusterIssuers: { enabled: false } } } },
    });
    expect(noClusterIssuers.fromHost).toEqual([]);
    expect(noClusterIssuers.toHost[1]!.allowedValues[0]).toMatchObject({
      values: ['Issuer', ''],
      optional: true,
    });
  });

  it("accepts another integration only when it is off, as vCluster's defaults write each one", () => {
    expect(
      build({
        externalSecrets: { enabled: false, sync: { toHost: { stores: { enabled: true } } } },
        kubeVirt: { enabled: false },
        istio: {},
        metricsServer: { enabled: false, nodes: true, pods: true },
        // As the chart reads vCluster's values.
        kubeVirtAlso: { enabled: 'false' },
        empty: [],
      }),
    ).toEqual({ toHost: [], fromHost: [] });
    for (const on of [{ enabled: true }, { sync: { enabled: true } }, 'true', ['x'], 1])
      expect(() => build({ istio: on })).toThrow("'integrations.istio': not offered by vsyncer");
  });

  it.each([
    ['not a mapping', 'yes', "'integrations': must be a mapping"],
    [
      'another integration',
      { kubeVirt: { enabled: true } },
      "'integrations.kubeVirt': not offered by vsyncer (known: certManager, externalSecrets;",
    ],
    [
      'externalSecrets with no store to name',
      { externalSecrets: { enabled: true } },
      "'integrations.externalSecrets.sync.toHost.externalSecrets': an ExternalSecret needs a store: turn on sync.toHost.stores",
    ],
    [
      "externalSecrets reusing the host's webhooks",
      { externalSecrets: { enabled: true, webhook: { enabled: true } } },
      "'integrations.externalSecrets.webhook.enabled': not offered by vsyncer",
    ],
    [
      'externalSecrets with a version that is not one',
      { externalSecrets: { enabled: true, version: '1', sync: { toHost: { stores: { enabled: true } } } } },
      "'integrations.externalSecrets.version': must be an API version such as v1 or v1beta1",
    ],
    [
      'externalSecrets selecting by expressions',
      {
        externalSecrets: {
          enabled: true,
          sync: {
            toHost: {
              stores: { enabled: true, selector: { matchExpressions: [{ key: 'a', operator: 'Exists' }] } },
            },
          },
        },
      },
      "'integrations.externalSecrets.sync.toHost.stores.selector.matchExpressions': not offered by vsyncer",
    ],
    [
      "externalSecrets in both of vCluster's forms",
      {
        externalSecrets: {
          enabled: true,
          sync: { stores: { enabled: true }, toHost: { stores: { enabled: true } } },
        },
      },
      "'integrations.externalSecrets.sync.stores': vCluster's earlier form (sync.stores) and its current one (sync.toHost) are both set",
    ],
    [
      'externalSecrets with an unknown part',
      { externalSecrets: { enabled: true, sync: { toHost: { pushSecrets: { enabled: true } } } } },
      "'integrations.externalSecrets.sync.toHost.pushSecrets': unknown field (known: externalSecrets, stores)",
    ],
    [
      'enabled not a bool',
      { certManager: { enabled: 'yes' } },
      "'integrations.certManager.enabled': must be true or false",
    ],
    [
      'an unknown key',
      { certManager: { enabled: true, webhook: {} } },
      "'integrations.certManager.webhook': unknown field",
    ],
    [
      'an unknown sync key',
      { certManager: { enabled: true, sync: { toHost: { orders: { enabled: true } } } } },
      "'integrations.certManager.sync.toHost.orders': unknown field (known: certificates, issuers)",
    ],
    [
      'no issuer left',
      {
        certManager: {
          enabled: true,
          sync: { toHost: { issuers: { enabled: false } }, fromHost: { clusterIssuers: { enabled: false } } },
        },
      },
      "'integrations.certManager.sync.toHost.certificates': a Certificate needs an issuer",
    ],
  ])('%s', (_name, integrations, message) => {
    expect(problem(integrations)).toContain(message);
  });

  it("externalSecrets, as vCluster's docs enable it: ExternalSecrets and SecretStores to the host, ClusterSecretStores from it", () => {
    const config = build({
      externalSecrets: {
        enabled: true,
        version: 'v1',
        webhook: { enabled: false },
        sync: {
          toHost: { externalSecrets: { selector: { matchLabels: {} } }, stores: { enabled: true } },
          fromHost: { clusterStores: { enabled: true, selector: { matchLabels: { offer: 'tenants' } } } },
        },
      },
    });
    expect(config.toHost.map((e) => [e.resource, e.field, e.selectorLabels])).toEqual([
      ['secretstores.external-secrets.io/v1', 'integrations.externalSecrets.sync.toHost.stores', {}],
      [
        'externalsecrets.external-secrets.io/v1',
        'integrations.externalSecrets.sync.toHost.externalSecrets',
        {},
      ],
    ]);
    expect(config.fromHost.map((e) => [e.resource, e.selectorLabels])).toEqual([
      ['clustersecretstores.external-secrets.io/v1', { offer: 'tenants' }],
    ]);
    const externalSecrets = config.toHost[1]!;
    const target = externalSecrets.references[0]!;
    expect([
      target.path,
      target.filledByHost,
      target.typeFrom?.path,
      target.template?.path,
      target.orOwnName,
    ]).toEqual([
      'spec.target.name',
      'Opaque',
      'spec.target.template.type',
      'spec.target.template.metadata',
      true,
    ]);
    expect(externalSecrets.references.slice(1).map((r) => [r.path, r.kind, r.when?.values])).toEqual([
      ['spec.target.template.templateFrom[].configMap.name', 'ConfigMap', undefined],
      ['spec.target.template.templateFrom[].secret.name', 'Secret', undefined],
      ['spec.secretStoreRef.name', 'secretstores.external-secrets.io', ['SecretStore']],
      ['spec.secretStoreRef.name', 'clustersecretstores.external-secrets.io', ['ClusterSecretStore']],
    ]);
    expect(externalSecrets.allowedValues.find((a) => a.path === 'spec.secretStoreRef.kind')).toMatchObject({
      values: ['SecretStore', 'ClusterSecretStore', ''],
      optional: true,
    });
    const stores = config.toHost[0]!;
    expect(stores.allowedKeys[0]).toMatchObject({
      path: 'spec.provider',
      keys: ['fake', 'aws', 'vault'],
      required: true,
    });
    // Vault's server: only those the admin trusts (none by default).
    expect(stores.servers).toEqual([
      expect.objectContaining({ path: 'spec.provider.vault.server', defaults: [] }),
    ]);
  });

  it('externalSecrets with only the host ClusterSecretStores, or in the form before vCluster v0.25', () => {
    const clusterOnly = build({
      externalSecrets: { enabled: true, sync: { fromHost: { clusterStores: { enabled: true } } } },
    });
    expect(clusterOnly.toHost.map((e) => e.crdName)).toEqual(['externalsecrets.external-secrets.io']);
    expect(
      clusterOnly.toHost[0]!.allowedValues.find((a) => a.path === 'spec.secretStoreRef.kind'),
    ).toMatchObject({
      values: ['ClusterSecretStore'],
      optional: false,
    });
    const earlier = build({
      externalSecrets: {
        enabled: true,
        sync: {
          externalSecrets: { enabled: true },
          stores: { enabled: true },
          clusterStores: { enabled: true, selector: { labels: { a: 'b' } } },
        },
      },
    });
    expect(earlier.toHost.map((e) => e.resource)).toEqual([
      'secretstores.external-secrets.io',
      'externalsecrets.external-secrets.io',
    ]);
    expect(earlier.fromHost[0]!.selectorLabels).toEqual({ a: 'b' });
    // That form could turn the ExternalSecrets off, leaving the stores only.
    const storesOnly = build({
      externalSecrets: {
        enabled: true,
        sync: { externalSecrets: { enabled: false }, stores: { enabled: true } },
      },
    });
    expect(storesOnly.toHost.map((e) => e.crdName)).toEqual(['secretstores.external-secrets.io']);
    const selected = build({
      externalSecrets: {
        enabled: true,
        sync: {
          toHost: {
            externalSecrets: { selector: { matchLabels: { sync: 'yes' } } },
            stores: { enabled: true },
          },
        },
      },
    });
    expect(selected.toHost[1]!.selectorLabels).toEqual({ sync: 'yes' });
  });

  it('--allowed-server-url takes absolute http(s) URLs only', () => {
    const withServers = (allowedServerUrl: string[]) =>
      buildConfig({}, { ...flags, allowedServerUrl }).allowedServerUrls;
    expect(withServers(['https://vault.vault.svc:8200'])).toEqual(['https://vault.vault.svc:8200']);
    expect(() => withServers(['vault.example.com'])).toThrow('"vault.example.com" is not a URL');
    expect(() => withServers(['ftp://ca.example.com/'])).toThrow('is not an http or https URL');
  });

  it('a resource configured both by customResources and the integration is named at both', () => {
    expect(
      problem(
        { certManager: { enabled: true } },
        { toHost: [{ resource: 'certificates.cert-manager.io/v1' }] },
      ),
    ).toContain(
      "'integrations.certManager.sync.toHost.certificates': certificates.cert-manager.io is already configured at customResources.toHost[0]",
    );
  });
});
