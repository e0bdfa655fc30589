import { CustomResourceConfigError, type IntegrationItems } from './config.ts';
import { enabledAt, matchLabelsAt, onlyKeys } from './integration-sections.ts';

/**
 * vCluster's `integrations.externalSecrets`: the host runs the External Secrets Operator (ESO) for
 * the virtual cluster. The tenant's ExternalSecrets (and, when on, SecretStores) are synced to the
 * host, the host's ClusterSecretStores that the selector offers are shown in the virtual cluster,
 * and each ExternalSecret's target Secret, which ESO writes on the host, is copied back into the
 * tenant's namespace.
 *
 * What reaches the host is held to what the tenant owns. ESO reads every Secret and ConfigMap an
 * object names in the host namespace, where every tenant's copies are, and signs in to providers as
 * a store says: a store left to sign in "as itself" would use the host's identity (its cloud role,
 * its Vault token, a token of a host ServiceAccount), and one naming a server has ESO call it from
 * inside the host cluster. So a tenant's SecretStore may only use the providers below, signing in
 * with credentials the tenant gives in its own Secrets; the host's ClusterSecretStores offer the rest.
 */

const json = (v: unknown) => JSON.stringify(v);
const GROUP = 'external-secrets.io';

/**
 * Providers a tenant's SecretStore may use. Each other one is refused, as it would reach past the
 * tenant's own credentials from inside the host:
 * - Azure Key Vault takes a vault URL the tenant names, its client follows redirects (a public
 *   server redirecting to a Service of the host cluster has ESO read it into the tenant's Secret:
 *   a name check cannot see where a redirect or a DNS answer leads), and its `tenantId` is pasted
 *   into its token URL;
 * - GCP's key file names the token URL ESO posts to (`token_uri`), inside the tenant's Secret;
 * - the kubernetes provider signs in with a host ServiceAccount's token, or calls the host API;
 * - a webhook's URL is a template of each ExternalSecret's key;
 * - most others take a URL, or sign in as the host when their credentials are left out.
 * Vault is offered for the servers the admin trusts only (--allowed-server-url; none by default),
 * for the same redirects. An admin who lets tenants reach other servers can configure
 * secretstores.external-secrets.io under customResources instead (with stores off here), with
 * rules of their own (docs/custom-resources.md).
 */
const STORE_PROVIDERS = ['fake', 'aws', 'vault'];
const AWS = 'spec.provider.aws';
const VAULT = 'spec.provider.vault';
/**
 * How each provider signs in: with the tenant's own credentials only. Left out, AWS uses the
 * controller's own identity; Vault's Kubernetes and AWS IAM methods sign in as the host. (Vault's
 * `namespace` is Vault Enterprise's, beside a method.)
 */
const STORE_ALLOWED_KEYS = [
  { path: 'spec.provider', keys: STORE_PROVIDERS, required: true },
  { path: `${AWS}.auth`, keys: ['secretRef'], required: true },
  {
    path: `${VAULT}.auth`,
    keys: ['namespace', 'tokenSecretRef', 'appRole', 'ldap', 'jwt', 'cert', 'userPass'],
    required: true,
  },
];

/** The Secrets a store's credentials are in (ESO's SecretKeySelectors): `<path>.name`, `<path>.namespace`. */
const STORE_SECRET_SELECTORS = [
  `${AWS}.auth.secretRef.accessKeyIDSecretRef`,
  `${AWS}.auth.secretRef.secretAccessKeySecretRef`,
  `${AWS}.auth.secretRef.sessionTokenSecretRef`,
  `${VAULT}.auth.tokenSecretRef`,
  `${VAULT}.auth.appRole.roleRef`,
  `${VAULT}.auth.appRole.secretRef`,
  `${VAULT}.auth.ldap.secretRef`,
  `${VAULT}.auth.jwt.secretRef`,
  `${VAULT}.auth.cert.clientCert`,
  `${VAULT}.auth.cert.secretRef`,
  `${VAULT}.auth.userPass.secretRef`,
  `${VAULT}.tls.certSecretRef`,
  `${VAULT}.tls.keySecretRef`,
];

/**
 * A store field that would reach past the tenant's own objects:
 * - a selector's `namespace`: ESO reads a SecretStore's Secrets in its own namespace, and refuses
 *   another one; on the host that namespace is the shared one, so the tenant's value never holds;
 * - `controller`, which picks the host's ESO instance that serves the store (another instance than
 *   the one the admin runs for tenants, with its own environment and network);
 * - Vault's JWT sign-in with a token minted for a host ServiceAccount.
 * (A token in the controller's environment, VAULT_TOKEN, would be used before any store's own: the
 * host's ESO must run without one, and without VAULT_AGENT_ADDR, which replaces every server.)
 */
const STORE_FORBIDDEN_PATHS = [
  ...STORE_SECRET_SELECTORS.map((s) => `${s}.namespace`),
  `${VAULT}.caProvider.namespace`,
  'spec.controller',
  `${VAULT}.auth.jwt.kubernetesServiceAccountToken`,
];

/**
 * An ExternalSecret field refused on the host:
 * - a `sourceRef` of a data item names another store, or a generator (generators are not synced:
 *   a host one would be the host's), by a name ESO reads in the shared host namespace;
 * - a templateFrom `target` other than the Secret's data writes labels or annotations on the host
 *   Secret as the tenant's template renders them (the syncer's ownership metadata among them).
 */
const EXTERNAL_SECRET_FORBIDDEN_PATHS = ['spec.data[].sourceRef', 'spec.dataFrom[].sourceRef'];

/**
 * What an ExternalSecret's target may set: the Secret ESO fills, and how. Not `manifest` (a "generic
 * target": ESO, allowed to, writes an object of any kind under the name in the shared host namespace,
 * past every check of that kind), nor what a later release adds.
 */
const EXTERNAL_SECRET_ALLOWED_KEYS = [
  { path: 'spec.target', keys: ['name', 'creationPolicy', 'deletionPolicy', 'template', 'immutable'] },
];

/**
 * Where an ExternalSecret holds templates ESO renders on the host, with its own function map: from
 * v0.20.2 to v1.1.1 that map had `getSecretKey`, which reads any Secret of the host cluster with
 * ESO's credentials. Those of a templateFrom ConfigMap or Secret are judged when it is copied (see
 * data-object.ts).
 */
const EXTERNAL_SECRET_TEMPLATES = [
  'spec.target.template.data',
  'spec.target.template.metadata',
  'spec.target.template.templateFrom[].literal',
  'spec.dataFrom[].rewrite[].transform.template',
];

/**
 * The creation policies the syncer's model holds: ESO writes the whole host Secret, which replaces the
 * tenant's. `Merge` (ESO adds its keys to a Secret that exists) and `None` (ESO writes nothing) would
 * have the host Secret the syncer makes, empty, replace the keys the tenant's Secret holds.
 */
const CREATION_POLICIES = ['Owner', 'Orphan'];

/**
 * vCluster's `integrations.externalSecrets`, in its current form (`sync.toHost.{externalSecrets,
 * stores}`, `sync.fromHost.clusterStores`, selectors as matchLabels) or the form before it
 * (`sync.{externalSecrets, stores, clusterStores}`, a ClusterSecretStore selector as `labels`).
 */
export function externalSecretsItems(raw: unknown, at: string): IntegrationItems {
  const out: IntegrationItems = { toHost: [], fromHost: [] };
  const section = onlyKeys(raw, at, ['enabled', 'version', 'webhook', 'sync']);
  if (!enabledAt(section, at, false)) return out;
  if (enabledAt(section.webhook, `${at}.webhook`, false))
    throw new CustomResourceConfigError(
      `${at}.webhook.enabled`,
      "not offered by vsyncer: the host's ESO webhooks are not reused in the virtual cluster (the CRDs' schemas still check what tenants write, and the host's webhooks check the copies)",
    );
  const version = section.version ?? '';
  if (
    typeof version !== 'string' ||
    (version !== '' && !/^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$/.test(version))
  )
    throw new CustomResourceConfigError(
      `${at}.version`,
      `must be an API version such as v1 or v1beta1, got ${json(version)}`,
    );
  const parts = syncParts(section.sync, `${at}.sync`);
  const resource = (plural: string) => `${plural}.${GROUP}${version ? `/${version}` : ''}`;
  const selector = (labels: Record<string, string>) =>
    Object.keys(labels).length ? { selector: { labels } } : {};

  if (parts.clusterStores.enabled)
    out.fromHost.push({
      at: parts.clusterStores.at,
      item: { resource: resource('clustersecretstores'), ...selector(parts.clusterStores.labels) },
    });
  if (parts.stores.enabled)
    out.toHost.push({
      at: parts.stores.at,
      item: {
        resource: resource('secretstores'),
        ...selector(parts.stores.labels),
        references: [
          ...STORE_SECRET_SELECTORS.map((s) => ({ path: `${s}.name`, kind: 'Secret' })),
          ...(['Secret', 'ConfigMap'] as const).map((kind) => ({
            path: `${VAULT}.caProvider.name`,
            kind,
            when: { path: `${VAULT}.caProvider.type`, values: [kind] },
          })),
        ],
        allowedKeys: STORE_ALLOWED_KEYS,
        allowedValues: [
          ...STORE_FORBIDDEN_PATHS.map((path) => ({ path, values: [], optional: true })),
          { path: `${VAULT}.caProvider.type`, values: ['Secret', 'ConfigMap'], optional: true },
        ],
        // Vault's client follows a redirect: only a server the admin trusts (none by default).
        servers: [{ path: `${VAULT}.server`, defaults: [] }],
      },
    });
  // vCluster's earlier form could turn the ExternalSecrets off, leaving the stores only.
  if (!parts.externalSecrets.enabled) return out;
  const storeKinds = [
    ...(parts.stores.enabled ? ['SecretStore'] : []),
    ...(parts.clusterStores.enabled ? ['ClusterSecretStore'] : []),
  ];
  if (storeKinds.length === 0)
    throw new CustomResourceConfigError(
      parts.externalSecrets.at,
      "an ExternalSecret needs a store: turn on sync.toHost.stores (the tenant's SecretStores) or sync.fromHost.clusterStores (the host's ClusterSecretStores)",
    );
  out.toHost.push({
    at: parts.externalSecrets.at,
    item: {
      resource: resource('externalsecrets'),
      ...selector(parts.externalSecrets.labels),
      references: [
        {
          // ESO writes the target Secret on the host; its name is the ExternalSecret's unless set.
          path: 'spec.target.name',
          kind: 'Secret',
          filledByHost: 'Opaque',
          typeFrom: 'spec.target.template.type',
          template: 'spec.target.template.metadata',
          // Without a template, ESO puts the ExternalSecret's own labels and annotations on the Secret.
          ownMetadataUnless: 'spec.target.template',
          orOwnName: true,
          // ESO's default: the ExternalSecret owns its Secret, which goes with it.
          ownedWhen: { path: 'spec.target.creationPolicy', values: ['Owner'], orAbsent: true },
        },
        {
          path: 'spec.target.template.templateFrom[].configMap.name',
          kind: 'ConfigMap',
          holdsTemplates: true,
        },
        { path: 'spec.target.template.templateFrom[].secret.name', kind: 'Secret', holdsTemplates: true },
        ...(parts.stores.enabled
          ? [
              {
                path: 'spec.secretStoreRef.name',
                kind: `secretstores.${GROUP}`,
                when: { path: 'spec.secretStoreRef.kind', values: ['SecretStore'], orAbsent: true },
              },
            ]
          : []),
        ...(parts.clusterStores.enabled
          ? [
              {
                path: 'spec.secretStoreRef.name',
                kind: `clustersecretstores.${GROUP}`,
                when: { path: 'spec.secretStoreRef.kind', values: ['ClusterSecretStore'] },
              },
            ]
          : []),
      ],
      allowedKeys: EXTERNAL_SECRET_ALLOWED_KEYS,
      templates: EXTERNAL_SECRET_TEMPLATES.map((path) => ({ path })),
      allowedValues: [
        ...EXTERNAL_SECRET_FORBIDDEN_PATHS.map((path) => ({ path, values: [], optional: true })),
        { path: 'spec.target.creationPolicy', values: CREATION_POLICIES, optional: true },
        // Without a kind, ESO takes a SecretStore.
        {
          path: 'spec.secretStoreRef.kind',
          values: [...storeKinds, ...(parts.stores.enabled ? [''] : [])],
          optional: parts.stores.enabled,
        },
        { path: 'spec.target.template.templateFrom[].target', values: ['Data', ''], optional: true },
      ],
    },
  });
  return out;
}

interface Part {
  enabled: boolean;
  labels: Record<string, string>;
  /** The config field it is set at, for messages. */
  at: string;
}

/** Which parts of the integration are on, with their selectors, from either form of `sync`. */
function syncParts(raw: unknown, at: string): Record<'externalSecrets' | 'stores' | 'clusterStores', Part> {
  const sync = onlyKeys(raw, at, ['toHost', 'fromHost', 'externalSecrets', 'stores', 'clusterStores']);
  const legacy = ['externalSecrets', 'stores', 'clusterStores'].filter(
    (k) => sync[k] !== undefined && sync[k] !== null,
  );
  const current = ['toHost', 'fromHost'].filter((k) => sync[k] !== undefined && sync[k] !== null);
  if (legacy.length && current.length)
    throw new CustomResourceConfigError(
      `${at}.${legacy[0]}`,
      `vCluster's earlier form (sync.${legacy[0]}) and its current one (sync.${current[0]}) are both set: use one (the current: sync.toHost.{externalSecrets,stores}, sync.fromHost.clusterStores)`,
    );
  if (legacy.length) {
    const externalSecrets = onlyKeys(sync.externalSecrets, `${at}.externalSecrets`, ['enabled']);
    const stores = onlyKeys(sync.stores, `${at}.stores`, ['enabled']);
    const clusterStores = onlyKeys(sync.clusterStores, `${at}.clusterStores`, ['enabled', 'selector']);
    const labelsAt = `${at}.clusterStores.selector`;
    const clusterSelector = onlyKeys(clusterStores.selector, labelsAt, ['labels']);
    const part = (enabled: boolean, labels: Record<string, string>, field: string): Part => ({
      enabled,
      labels,
      at: field,
    });
    return {
      externalSecrets: part(
        enabledAt(externalSecrets, `${at}.externalSecrets`, true),
        {},
        `${at}.externalSecrets`,
      ),
      stores: part(enabledAt(stores, `${at}.stores`, false), {}, `${at}.stores`),
      clusterStores: part(
        enabledAt(clusterStores, `${at}.clusterStores`, false),
        matchLabelsAt({ matchLabels: clusterSelector.labels }, `${labelsAt}.labels`),
        `${at}.clusterStores`,
      ),
    };
  }
  const toHost = onlyKeys(sync.toHost, `${at}.toHost`, ['externalSecrets', 'stores']);
  const fromHost = onlyKeys(sync.fromHost, `${at}.fromHost`, ['clusterStores']);
  const switchWithSelector = (value: unknown, field: string, fallback: boolean, keys: string[]): Part => {
    const section = onlyKeys(value, field, keys);
    return {
      enabled: keys.includes('enabled') ? enabledAt(section, field, fallback) : fallback,
      labels: matchLabelsAt(section.selector, `${field}.selector`),
      at: field,
    };
  };
  return {
    // Always on with the integration; only its selector is set (vCluster's SelectorConfig).
    externalSecrets: switchWithSelector(toHost.externalSecrets, `${at}.toHost.externalSecrets`, true, [
      'selector',
    ]),
    stores: switchWithSelector(toHost.stores, `${at}.toHost.stores`, false, ['enabled', 'selector']),
    clusterStores: switchWithSelector(fromHost.clusterStores, `${at}.fromHost.clusterStores`, false, [
      'enabled',
      'selector',
    ]),
  };
}
