import { CustomResourceConfigError, type IntegrationItem, type IntegrationItems } from './config.ts';
import { externalSecretsItems } from './external-secrets.ts';
import { enabledAt, onlyKeys } from './integration-sections.ts';
import { PUBLIC_ACME_DIRECTORIES, VENAFI_CLOUD_URLS } from './servers.ts';

/**
 * vCluster's `integrations` section (the syncer's config file, and the chart's vcluster.yaml), read
 * as the custom resources entries it stands for: `certManager` and `externalSecrets` (see
 * external-secrets.ts). `metricsServer` is a flag of its own (--metrics-server-proxy) and the others
 * are not offered.
 */

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const json = (v: unknown) => JSON.stringify(v);

/** The `integrations` keys this syncer takes. */
const KNOWN = ['certManager', 'externalSecrets'];

/** cert-manager's own kinds, at the version its CRDs serve and store since v1.0. */
const CERTIFICATES = 'certificates.cert-manager.io/v1';
const ISSUERS = 'issuers.cert-manager.io/v1';
const CLUSTER_ISSUERS = 'clusterissuers.cert-manager.io/v1';

/**
 * Secrets an Issuer names, each given by the tenant and copied to the host for cert-manager to read
 * (a CA's key pair, a Vault token, DNS providers' credentials for ACME DNS-01 challenges). A webhook
 * solver's `config` is the webhook's own, and not read.
 */
const ISSUER_SECRET_PATHS = [
  'spec.ca.secretName',
  'spec.vault.auth.tokenSecretRef.name',
  'spec.vault.auth.appRole.secretRef.name',
  'spec.vault.auth.kubernetes.secretRef.name',
  'spec.vault.caBundleSecretRef.name',
  'spec.vault.clientCertSecretRef.name',
  'spec.vault.clientKeySecretRef.name',
  'spec.vault.auth.clientCertificate.secretName',
  'spec.venafi.tpp.credentialsRef.name',
  'spec.venafi.tpp.caBundleSecretRef.name',
  'spec.venafi.cloud.apiTokenSecretRef.name',
  'spec.acme.privateKeySecretRef.name',
  'spec.acme.externalAccountBinding.keySecretRef.name',
  ...[
    'cloudflare.apiTokenSecretRef',
    'cloudflare.apiKeySecretRef',
    'route53.accessKeyIDSecretRef',
    'route53.secretAccessKeySecretRef',
    'azureDNS.clientSecretSecretRef',
    'digitalocean.tokenSecretRef',
    'akamai.clientTokenSecretRef',
    'akamai.clientSecretSecretRef',
    'akamai.accessTokenSecretRef',
    'acmeDNS.accountSecretRef',
  ].map((ref) => `spec.acme.solvers[].dns01.${ref}.name`),
];

/**
 * Issuer fields that would have cert-manager act on host objects of the shared host namespace by
 * name, or make host objects the syncer's checks never see. Refused: the Issuer gets a SyncError
 * event and no copy.
 * - a token minted for a host ServiceAccount (Vault's and Route53's Kubernetes auth);
 * - an existing host Ingress edited for a challenge, or HTTP routes attached to host Gateways;
 * - the solver's Ingress and pod templates: their labels and annotations land on host objects as
 *   written (an ingress controller's configuration snippet, a label that makes the pod another
 *   namespace's Service endpoint), their pod spec past the pod translator (priority class,
 *   tolerations, node selector, a host ServiceAccount or pull Secret);
 * - a DNS-01 webhook's `config`, which the webhook reads as it likes (the Secrets it names are read
 *   in the host namespace, any tenant's copy among them);
 * - DNS-01 solvers that send cert-manager where the tenant says, from inside the host cluster:
 *   RFC 2136 updates to any `host:port` (a host DNS server that trusts updates from the cluster's
 *   addresses would publish the tenant's challenge records for names the tenant does not own, and
 *   a trusted CA would issue for them), and Cloud DNS's key file, which names the token URL it
 *   posts to (`token_uri`, in the tenant's Secret). Azure DNS's `tenantID` is pasted into its token
 *   URL: held to a tenant ID's shape (ISSUER_SHAPES).
 */
const ISSUER_FORBIDDEN_PATHS = [
  'spec.vault.auth.kubernetes.serviceAccountRef',
  'spec.acme.solvers[].dns01.route53.auth',
  'spec.acme.solvers[].dns01.webhook',
  'spec.acme.solvers[].http01.ingress.name',
  'spec.acme.solvers[].http01.ingress.ingressTemplate',
  'spec.acme.solvers[].http01.ingress.podTemplate',
  'spec.acme.solvers[].http01.gatewayHTTPRoute',
  'spec.acme.solvers[].dns01.rfc2136',
  'spec.acme.solvers[].dns01.cloudDNS',
];

/** Issuer fields of free form held to a shape: an Azure tenant ID (a GUID, or a domain name). */
const ISSUER_SHAPES = [
  {
    path: 'spec.acme.solvers[].dns01.azureDNS.tenantID',
    pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$',
  },
];

/**
 * A Certificate's `secretTemplate` is the tenant's Secret's, not the host's: on the host it would put
 * the tenant's labels and annotations on the host Secret as written (a reflector's annotation that
 * copies a host Secret's data into it, which then comes back to the tenant; ownership annotations the
 * syncer reads). It is left off the copy, and laid over the tenant's Secret as cert-manager would.
 */
const CERTIFICATE_SECRET_TEMPLATE = 'spec.secretTemplate';

/**
 * Issuer fields naming a server cert-manager calls from inside the host cluster. Its clients follow
 * redirects (ACME's and Venafi's to any host; Vault's once), and put a failed answer's whole body in
 * the error that becomes the Issuer's (or a Certificate's) status: a public server redirecting to a
 * Service of the host cluster would have its answer read back to the tenant. The DNS-01 solvers'
 * servers answer into a Challenge the tenant does not see, but they are requests from inside the
 * host cluster all the same. So only servers the admin trusts may be named (servers.ts): the public
 * ACME CAs' directories and Venafi Cloud by default, and --allowed-server-url (an in-cluster Vault
 * among them, if the admin says so).
 */
const ISSUER_SERVERS = [
  { path: 'spec.acme.server', defaults: PUBLIC_ACME_DIRECTORIES },
  { path: 'spec.vault.server', defaults: [] },
  { path: 'spec.venafi.tpp.url', defaults: [] },
  { path: 'spec.venafi.cloud.url', defaults: VENAFI_CLOUD_URLS },
  // The DNS-01 solvers that call a server the tenant names (acme-dns's URL, Akamai's API host).
  { path: 'spec.acme.solvers[].dns01.acmeDNS.host', defaults: [] },
  { path: 'spec.acme.solvers[].dns01.akamai.serviceConsumerDomain', defaults: [] },
];

/**
 * The entries of `integrations` (vCluster's form), with the config field each comes from; none when
 * the section is absent or its integrations are off. A malformed or unknown key is a
 * CustomResourceConfigError naming it.
 */
export function integrationItems(raw: unknown, field = 'integrations'): IntegrationItems {
  const out: IntegrationItems = { toHost: [], fromHost: [] };
  if (raw === undefined || raw === null) return out;
  if (!isRecord(raw)) throw new CustomResourceConfigError(field, `must be a mapping, got ${json(raw)}`);
  for (const key of Object.keys(raw))
    // An integration that is off (vCluster's defaults list each one, `enabled: false`) asks for nothing.
    if (!KNOWN.includes(key) && !isOff(raw[key]))
      throw new CustomResourceConfigError(
        `${field}.${key}`,
        `not offered by vsyncer (known: ${KNOWN.join(', ')}; vCluster's metricsServer is --metrics-server-proxy); only an off section (enabled: false) is accepted`,
      );
  const certManager = certManagerItems(raw.certManager, `${field}.certManager`);
  const externalSecrets = externalSecretsItems(raw.externalSecrets, `${field}.externalSecrets`);
  for (const items of [certManager, externalSecrets]) {
    out.toHost.push(...items.toHost);
    out.fromHost.push(...items.fromHost);
  }
  if (certManager.hostCertManager) out.hostCertManager = true;
  return out;
}

/**
 * Whether a section asks for nothing: absent or empty, `enabled: false` (whatever else it holds), or
 * a mapping of such; as the chart reads vCluster's values (`enabled: "false"` too).
 */
function isOff(raw: unknown): boolean {
  if (raw === undefined || raw === null || raw === false || raw === '' || raw === 0) return true;
  if (Array.isArray(raw)) return raw.length === 0;
  if (!isRecord(raw)) return false;
  if (raw.enabled === false || raw.enabled === 'false') return true;
  return Object.values(raw).every(isOff);
}

/**
 * vCluster's `integrations.certManager`: the tenant's Certificates and Issuers synced to the host
 * for the host's cert-manager, the host's ClusterIssuers (those with the selector's labels) shown in
 * the virtual cluster, and each Certificate's Secret, which cert-manager writes on the host, copied
 * back into the tenant's namespace. A Certificate may name an Issuer of its own namespace (synced
 * with it) or a ClusterIssuer the virtual cluster shows, and nothing else.
 */
function certManagerItems(raw: unknown, at: string): IntegrationItems {
  const out: IntegrationItems = { toHost: [], fromHost: [] };
  const section = onlyKeys(raw, at, ['enabled', 'sync']);
  if (!enabledAt(section, at, false)) return out;
  out.hostCertManager = true;
  const sync = onlyKeys(section.sync, `${at}.sync`, ['toHost', 'fromHost']);
  const toHost = onlyKeys(sync.toHost, `${at}.sync.toHost`, ['certificates', 'issuers']);
  const fromHost = onlyKeys(sync.fromHost, `${at}.sync.fromHost`, ['clusterIssuers']);
  const certificatesAt = `${at}.sync.toHost.certificates`;
  const issuersAt = `${at}.sync.toHost.issuers`;
  const clusterIssuersAt = `${at}.sync.fromHost.clusterIssuers`;
  onlyKeys(toHost.certificates, certificatesAt, ['enabled']);
  onlyKeys(toHost.issuers, issuersAt, ['enabled']);
  const clusterIssuers = onlyKeys(fromHost.clusterIssuers, clusterIssuersAt, ['enabled', 'selector']);
  const certificates = enabledAt(toHost.certificates, certificatesAt, true);
  const issuers = enabledAt(toHost.issuers, issuersAt, true);
  const shown = enabledAt(clusterIssuers, clusterIssuersAt, true);

  const add = (direction: 'toHost' | 'fromHost', entryAt: string, item: Record<string, unknown>) =>
    out[direction].push({ item, at: entryAt } satisfies IntegrationItem);
  if (shown)
    add('fromHost', clusterIssuersAt, {
      resource: CLUSTER_ISSUERS,
      ...(clusterIssuers.selector !== undefined && clusterIssuers.selector !== null
        ? { selector: clusterIssuers.selector }
        : {}),
    });
  if (issuers)
    add('toHost', issuersAt, {
      resource: ISSUERS,
      references: ISSUER_SECRET_PATHS.map((path) => ({ path, kind: 'Secret' })),
      allowedValues: [
        ...ISSUER_FORBIDDEN_PATHS.map((path) => ({ path, values: [], optional: true })),
        ...ISSUER_SHAPES.map((shape) => ({ ...shape, optional: true })),
      ],
      servers: ISSUER_SERVERS,
      // The class of the Ingress cert-manager makes for an HTTP-01 challenge in the host namespace.
      ingressClasses: [
        { path: 'spec.acme.solvers[].http01.ingress.ingressClassName' },
        { path: 'spec.acme.solvers[].http01.ingress.class' },
      ],
    });
  if (certificates) {
    const issuerKinds = [...(issuers ? ['Issuer'] : []), ...(shown ? ['ClusterIssuer'] : [])];
    if (issuerKinds.length === 0)
      throw new CustomResourceConfigError(
        certificatesAt,
        'a Certificate needs an issuer: keep sync.toHost.issuers or sync.fromHost.clusterIssuers on',
      );
    add('toHost', certificatesAt, {
      resource: CERTIFICATES,
      references: [
        {
          path: 'spec.secretName',
          kind: 'Secret',
          filledByHost: 'kubernetes.io/tls',
          template: CERTIFICATE_SECRET_TEMPLATE,
        },
        ...(issuers
          ? [
              {
                path: 'spec.issuerRef.name',
                kind: 'issuers.cert-manager.io',
                when: { path: 'spec.issuerRef.kind', values: ['Issuer'], orAbsent: true },
              },
            ]
          : []),
        ...(shown
          ? [
              {
                path: 'spec.issuerRef.name',
                kind: 'clusterissuers.cert-manager.io',
                when: { path: 'spec.issuerRef.kind', values: ['ClusterIssuer'] },
              },
            ]
          : []),
        { path: 'spec.keystores.jks.passwordSecretRef.name', kind: 'Secret' },
        { path: 'spec.keystores.pkcs12.passwordSecretRef.name', kind: 'Secret' },
      ],
      allowedValues: [
        // Without a kind, cert-manager takes an Issuer.
        {
          path: 'spec.issuerRef.kind',
          values: [...issuerKinds, ...(issuers ? [''] : [])],
          optional: issuers,
        },
        // An external issuer's kind (another group) would be looked up in the host namespace by name.
        { path: 'spec.issuerRef.group', values: ['cert-manager.io', ''], optional: true },
      ],
      // The names cert-manager's HTTP-01 solver answers challenges for on the host's ingress
      // controllers: held to the names tenants may serve there.
      hosts: [{ path: 'spec.dnsNames[]' }, { path: 'spec.commonName' }],
    });
  }
  return out;
}
