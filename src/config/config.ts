import { NodePorts } from '../kubelet/node-ports.ts';
import type { Placement } from '../sync/kind.ts';
import { builtinKinds, type KindOptions } from '../translators/index.ts';
import { invalidVirtualServiceMappings } from '../translators/service-mappings/mappings.ts';
import {
  CustomResourceConfigError,
  integrationItems,
  parseCustomResources,
  type CustomResourcesConfig,
} from '../translators/custom-resources/index.ts';
import { LOG_LEVELS, type LogFormat, type LogLevel } from '../util/log.ts';
import { ConfigError } from './config-error.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { checkServingFiles } from './flag-file.ts';
import { MAX_TIMER_MS } from '../util/clock.ts';
import type { FieldSpec } from './fields.ts';
import { ALLOWED_SERVER_FIELD } from '../translators/custom-resources/servers.ts';
import {
  HostGatewaysConfigError,
  parseHostGatewaysConfig,
  type HostGatewaysConfig,
} from '../translators/host-gateways/config.ts';
import { HOST_GATEWAYS_KEY } from '../translators/host-gateways/index.ts';
import { isDnsLabel, isDnsSubdomain } from '../naming/dns-names.ts';
import {
  ADDITIONAL_SECRET_FORM,
  invalidAdditionalSecrets,
  kubeconfigSecretNamedTwice,
  parseAdditionalSecret,
  serviceAccountBoundTwice,
  type AdditionalKubeconfigSecret,
} from '../kubeconfig-export/additional.ts';
import { invalidClusterRole, parseServiceAccountRef } from '../kubeconfig-export/service-account.ts';
import { invalidDeniedMetadataPatterns } from '../naming/denied-metadata.ts';
import { invalidFallbackHostDns } from '../bootstrap/host-dns.ts';
import { isStrictIP, sameIP } from '../util/ip.ts';

export type { FieldSpec } from './fields.ts';

/** The most --workers may be. */
const MAX_WORKERS = 1000;

/** A number as flags must write it: decimal, with an optional fraction and exponent (no 0x, 0b, Infinity). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A raw value as an error message shows it; JSON would show YAML's .nan and .inf as null. */
const shown = (raw: unknown): string =>
  typeof raw === 'number' && !Number.isFinite(raw)
    ? Number.isNaN(raw)
      ? 'NaN (not a number)'
      : String(raw)
    : JSON.stringify(raw);

/** The settings of the syncer itself; each kind adds its own (see the kind descriptors). */
export interface CoreConfig {
  name: string;
  hostNamespace: string;
  /** The host Service that fronts the virtual API server (the chart's `<name>`). */
  virtualApiService: string;
  /** Give every object created in the host namespace an owner reference to virtualApiService. */
  setOwner: boolean;
  /** Empty: in-cluster configuration (the pod's service account). */
  hostKubeconfig: string;
  virtualKubeconfig: string;
  /** Host Secret the tenant's kubeconfig is written to ("" = none). */
  kubeconfigSecret: string;
  /** The API server URL that kubeconfig names. */
  kubeconfigSecretServer: string;
  /** The context's name in --kubeconfig-secret's kubeconfig; empty: the virtual cluster's name. */
  kubeconfigSecretContext: string;
  /** --kubeconfig-secret's kubeconfig skips verifying the server's certificate. */
  kubeconfigSecretInsecure: boolean;
  /** `[namespace/]name` of the service account whose token --kubeconfig-secret carries ("" = none). */
  kubeconfigSecretServiceAccount: string;
  /** The ClusterRole bound to that service account ("" = none). */
  kubeconfigSecretServiceAccountClusterRole: string;
  /** More host Secrets the kubeconfig is written to (see kubeconfig-export/additional.ts). */
  kubeconfigAdditionalSecrets: string[];
  /** CoreDNS image the syncer deploys into the virtual cluster when its DNS is missing ("" = none). */
  corednsImage: string;
  /** The host DNS that CoreDNS falls back to: "" (none), "auto" or an address (bootstrap/host-dns.ts). */
  fallbackHostDns: string;
  /** File of objects the syncer applies in the virtual cluster when changed ("" = none). */
  initManifests: string;
  /** Which version of the init manifests these are ("" = unknown): older ones never undo newer. */
  initManifestsGeneration: string;
  kubeletClientUser: string;
  /** `--sync` items as given (resolved against the kind registry at start). */
  sync: string[];
  hostQps: number;
  hostBurst: number;
  virtualQps: number;
  virtualBurst: number;
  requestTimeoutMs: number;
  workers: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
  metricsBindAddress: string;
  leaderElect: boolean;
  leaderElectLeaseDurationMs: number;
  leaderElectRenewDeadlineMs: number;
  leaderElectRetryPeriodMs: number;
  leaderElectIdentity: string;
  shutdownTimeoutMs: number;
  kubeletBindAddress: string;
  kubeletAdvertiseAddress: string;
  kubeletTlsCertFile: string;
  kubeletTlsKeyFile: string;
  kubeletClientCaFile: string;
  kubeletNodePorts: string;
  kubeletNodeStats: boolean;
  metricsServerProxy: boolean;
  metricsServerProxyPort: number;
  /** Port of the TCP passthrough to the virtual API server (0: off; see kube/api-passthrough.ts). */
  apiProxyPort: number;
  /** IP the passthrough of apiProxyPort listens on. */
  apiProxyBindAddress: string;
  /** Custom resources to sync (config file only: `customResources`, see docs/custom-resources.md). */
  customResources: CustomResourcesConfig;
  /** Host Gateways shown to tenants, with the host-gateways kind (config file only: `hostGateways`). */
  hostGateways?: HostGatewaysConfig;
  /** Tenant label and annotation keys no host copy gets (see translators/shared/denied-metadata.ts). */
  deniedHostMetadata: string[];
  /** Whether a tenant's value for a label or annotation the host set replaces the host's (vCluster's way). */
  tenantOverridesHostMetadata: boolean;
  /** Servers a tenant's custom resource may name for a host controller to call (see servers.ts). */
  allowedServerUrls: string[];
}

/** Everything the syncer needs to run, validated. One object, built from flags over an optional file. */
export type SyncerConfig = CoreConfig & KindOptions;

export { ConfigError };

/** The syncer's own settings, in the order --help shows them (the kinds' settings follow `--sync`). */
const CORE_FIELDS: readonly FieldSpec<keyof CoreConfig>[] = [
  {
    flag: 'name',
    key: 'name',
    kind: 'string',
    required: true,
    description: 'name of the virtual cluster (used in host object names and labels)',
  },
  {
    flag: 'host-namespace',
    key: 'hostNamespace',
    kind: 'string',
    required: true,
    description: 'host namespace the virtual cluster runs in; synced objects are created here',
  },
  {
    flag: 'virtual-api-service',
    key: 'virtualApiService',
    kind: 'string',
    default: '',
    defaultHelp: '<name>',
    defaultFromName: (name: string) => name,
    description: 'host Service that exposes the virtual API server to pods',
    validate: (name) =>
      name && !isDnsLabel(String(name))
        ? `must be a Service name (a DNS label: lower-case letters, digits, '-'), got ${JSON.stringify(name)}`
        : undefined,
  },
  {
    flag: 'set-owner',
    key: 'setOwner',
    kind: 'bool',
    default: false,
    description:
      'give every object the syncer creates in the host namespace (without owners of its own) an owner reference to --virtual-api-service, so deleting that Service deletes them all',
  },
  {
    flag: 'host-kubeconfig',
    key: 'hostKubeconfig',
    kind: 'string',
    default: '',
    defaultHelp: 'in-cluster',
    description: 'kubeconfig of the host cluster (empty: in-cluster service account)',
  },
  {
    flag: 'virtual-kubeconfig',
    key: 'virtualKubeconfig',
    kind: 'string',
    required: true,
    description: 'kubeconfig of the virtual cluster API server',
  },
  {
    flag: 'kubeconfig-secret',
    key: 'kubeconfigSecret',
    kind: 'string',
    default: '',
    description:
      'host Secret (in the host namespace) to write the tenant kubeconfig to: the credentials of --virtual-kubeconfig, with --kubeconfig-secret-server as server (empty: none is written)',
  },
  {
    flag: 'kubeconfig-secret-server',
    key: 'kubeconfigSecretServer',
    kind: 'string',
    default: 'https://localhost:8443',
    description: 'API server URL of the kubeconfig in --kubeconfig-secret',
  },
  {
    flag: 'kubeconfig-secret-context',
    key: 'kubeconfigSecretContext',
    kind: 'string',
    default: '',
    description:
      "name of the context (the current one) in the kubeconfig of --kubeconfig-secret, as vCluster's exportKubeConfig.context (empty: the virtual cluster's name)",
  },
  {
    flag: 'kubeconfig-secret-insecure',
    key: 'kubeconfigSecretInsecure',
    kind: 'bool',
    default: false,
    description:
      "the kubeconfig of --kubeconfig-secret skips verifying the server's certificate and carries no CA, as vCluster's exportKubeConfig.insecure: for a --kubeconfig-secret-server whose certificate is not the API server's",
  },
  {
    flag: 'kubeconfig-secret-service-account',
    key: 'kubeconfigSecretServiceAccount',
    kind: 'string',
    default: '',
    valueName: '[namespace/]name',
    description:
      "the kubeconfig of --kubeconfig-secret authenticates with a token of this service account of the virtual cluster (namespace default kube-system) instead of the syncer's own credentials, as vCluster's exportKubeConfig.serviceAccount; the account must exist unless a cluster role is given (empty: the syncer's credentials)",
    validate: (value) => {
      if (!value) return undefined;
      const parsed = parseServiceAccountRef(value as string);
      return typeof parsed === 'string' ? parsed : undefined;
    },
  },
  {
    flag: 'kubeconfig-secret-service-account-cluster-role',
    key: 'kubeconfigSecretServiceAccountClusterRole',
    kind: 'string',
    default: '',
    valueName: 'role',
    description:
      "ClusterRole bound to --kubeconfig-secret-service-account (binding vcluster-sa-<name>-<namespace>), which is then made if missing, as vCluster's exportKubeConfig.serviceAccount.clusterRole (empty: none bound)",
    validate: (value) => invalidClusterRole(value as string),
  },
  {
    flag: 'kubeconfig-additional-secret',
    key: 'kubeconfigAdditionalSecrets',
    kind: 'list',
    default: [],
    repeatable: true,
    valueName: ADDITIONAL_SECRET_FORM,
    description:
      "another host Secret to write the tenant kubeconfig to (repeatable), as vCluster's exportKubeConfig.additionalSecrets: in the host namespace unless namespace= names another, with its own server and context name when given",
    validate: (entries) => invalidAdditionalSecrets(entries as string[]),
  },
  {
    flag: 'coredns-image',
    key: 'corednsImage',
    kind: 'string',
    default: '',
    description:
      'create in the virtual kube-system what k3s deploys for DNS (CoreDNS of this image, its Service kube-dns, ConfigMap and RBAC), each object only when missing; for a control plane without a DNS of its own (empty: none)',
    validate: (image) =>
      /\s/.test(String(image))
        ? `must be an image reference without spaces, got ${JSON.stringify(image)}`
        : undefined,
  },
  {
    flag: 'fallback-host-dns',
    key: 'fallbackHostDns',
    kind: 'string',
    default: '',
    valueName: 'auto|<ip>[:port]',
    description:
      "the Corefile of the CoreDNS of --coredns-image asks the host cluster's DNS (auto: the first nameserver of this process's resolv.conf) for names the virtual cluster does not have, so tenants reach host Services as <service>.<host namespace>, as vCluster's fallbackHostCluster (empty: the node's resolver, for names outside the cluster domain only)",
    validate: (value) => invalidFallbackHostDns(String(value)),
  },
  {
    flag: 'init-manifests',
    key: 'initManifests',
    kind: 'string',
    default: '',
    description:
      "YAML file (documents or Lists) of objects to apply in the virtual cluster once the syncer runs, in order, as vCluster's init manifests: applied again only when the file changed since it was last applied in full, objects it no longer lists then deleted (empty: none)",
  },
  {
    flag: 'init-manifests-generation',
    key: 'initManifestsGeneration',
    kind: 'string',
    default: '',
    description:
      'version of the --init-manifests file, increasing (the chart passes its release revision): manifests older than those recorded as applied are never applied, so a replica still running old ones cannot undo new ones (empty: not compared)',
    validate: (value) =>
      /^\d*$/.test(String(value))
        ? undefined
        : `must be a non-negative integer, got ${JSON.stringify(value)}`,
  },
  {
    flag: 'sync',
    key: 'sync',
    kind: 'list',
    default: [],
    defaultHelp: builtinKinds().defaults().join(','),
    repeatable: true,
    description:
      'kinds to sync, comma separated (repeatable); "-kind" turns a default off, "*" all (vCluster v0.19 names such as fake-nodes or hoststorageclasses are accepted)',
  },
  {
    flag: 'host-qps',
    key: 'hostQps',
    kind: 'number',
    default: 40,
    description: 'requests per second to the host API server',
  },
  {
    flag: 'host-burst',
    key: 'hostBurst',
    kind: 'int',
    default: 80,
    description: 'request burst to the host API server',
  },
  {
    flag: 'virtual-qps',
    key: 'virtualQps',
    kind: 'number',
    default: 1000,
    description: 'requests per second to the virtual API server',
  },
  {
    flag: 'virtual-burst',
    key: 'virtualBurst',
    kind: 'int',
    default: 2000,
    description: 'request burst to the virtual API server',
  },
  {
    flag: 'request-timeout',
    key: 'requestTimeoutMs',
    kind: 'duration',
    default: 30_000,
    description: 'timeout of one API request (watches excepted)',
  },
  // Reconciles wait on the API servers, not on the CPU: a pod's create is a token request, a token
  // write and a pod create in sequence, so a burst needs many in flight (bench/pod-burst.ts: 4 → 32
  // workers halved the 200-pod burst's latency both ways). Beyond a thousand they only wait on the
  // rate limiters, each holding its object in memory.
  {
    flag: 'workers',
    key: 'workers',
    kind: 'int',
    default: 32,
    description: 'concurrent reconciles per kind',
    validate: (n) =>
      Number(n) > MAX_WORKERS
        ? `must be at most ${MAX_WORKERS} (reconciles per kind that may wait on the API servers at once), got ${n}`
        : undefined,
  },
  {
    flag: 'log-level',
    key: 'logLevel',
    kind: 'enum',
    choices: LOG_LEVELS,
    default: 'info',
    description: 'least severe level logged',
  },
  {
    flag: 'log-format',
    key: 'logFormat',
    kind: 'enum',
    choices: ['json', 'text'],
    default: 'json',
    description: 'log line format',
  },
  {
    flag: 'metrics-bind-address',
    key: 'metricsBindAddress',
    kind: 'string',
    default: ':8080',
    description: 'address of /metrics, /healthz and /readyz ("0" disables)',
  },
  {
    flag: 'leader-elect',
    key: 'leaderElect',
    kind: 'bool',
    default: false,
    description: 'elect a leader through a Lease in the host namespace; only the leader writes',
  },
  {
    flag: 'leader-elect-lease-duration',
    key: 'leaderElectLeaseDurationMs',
    kind: 'duration',
    default: 15_000,
    description: 'how long a lease is valid without renewal',
  },
  {
    flag: 'leader-elect-renew-deadline',
    key: 'leaderElectRenewDeadlineMs',
    kind: 'duration',
    default: 10_000,
    description: 'how long the leader keeps trying to renew before it gives up',
  },
  {
    flag: 'leader-elect-retry-period',
    key: 'leaderElectRetryPeriodMs',
    kind: 'duration',
    default: 2_000,
    description: 'interval between acquire and renew attempts',
  },
  {
    flag: 'leader-elect-identity',
    key: 'leaderElectIdentity',
    kind: 'string',
    default: '',
    defaultHelp: 'hostname',
    description: "this replica's identity in the lease; each process appends _<uuid> to it",
  },
  {
    flag: 'denied-host-metadata',
    key: 'deniedHostMetadata',
    kind: 'list',
    default: [],
    repeatable: true,
    valueName: 'key',
    description:
      'label or annotation keys a tenant may not set on any host copy (keys host controllers act on: external-dns hostnames, load-balancer addresses); "prefix/*" matches a prefix; dropped from the copy, the object still synced',
    validate: (patterns) => invalidDeniedMetadataPatterns(patterns as string[]),
  },
  {
    flag: 'tenant-overrides-host-metadata',
    key: 'tenantOverridesHostMetadata',
    kind: 'bool',
    default: false,
    description:
      "let a tenant's value for a label or annotation the host added to a copy (an admin's, a policy engine's; a key the tenant had not set) replace the host's, as vCluster's two-way metadata sync does (never for keys in --denied-host-metadata or --denied-pod-metadata); off, such keys keep the host's value",
  },
  {
    flag: 'shutdown-timeout',
    key: 'shutdownTimeoutMs',
    kind: 'duration',
    default: 30_000,
    description: 'on SIGTERM, how long in-flight reconciles may take to finish',
  },
  // The kubelet API of the virtual cluster's nodes (kubectl logs, exec, attach, port-forward).
  {
    flag: 'kubelet-bind-address',
    key: 'kubeletBindAddress',
    kind: 'string',
    default: '0',
    description:
      'address of the kubelet API the virtual nodes advertise, e.g. :10250 ("0" disables: no logs or exec for tenants)',
  },
  {
    flag: 'kubelet-advertise-address',
    key: 'kubeletAdvertiseAddress',
    kind: 'string',
    default: '127.0.0.1',
    description:
      'IP the virtual nodes give as their InternalIP, where the virtual API server reaches the kubelet API',
  },
  {
    flag: 'kubelet-tls-cert-file',
    key: 'kubeletTlsCertFile',
    kind: 'string',
    default: '',
    description: 'serving certificate of the kubelet API (trusted by the virtual API server)',
  },
  {
    flag: 'kubelet-tls-key-file',
    key: 'kubeletTlsKeyFile',
    kind: 'string',
    default: '',
    description: 'private key of --kubelet-tls-cert-file',
  },
  {
    flag: 'kubelet-client-ca-file',
    key: 'kubeletClientCaFile',
    kind: 'string',
    default: '',
    description:
      'CA of the client certificate the virtual API server presents to kubelets; no other caller is served',
  },
  {
    flag: 'kubelet-client-user',
    key: 'kubeletClientUser',
    kind: 'string',
    default: '',
    description:
      "user name of the virtual API server's kubelet client certificate: bound to system:kubelet-api-admin in the virtual cluster (created when missing) so it may use the kubelet API (empty: no binding)",
  },
  {
    flag: 'kubelet-node-ports',
    key: 'kubeletNodePorts',
    kind: 'string',
    default: '',
    description:
      'first-last: give each virtual node its own kubelet port from this range, so node-level requests name their node ("" = every node on the bind port)',
  },
  {
    flag: 'kubelet-node-stats',
    key: 'kubeletNodeStats',
    kind: 'bool',
    default: false,
    description:
      "serve /stats/summary, /metrics/resource (kubectl top) /metrics/cadvisor and /metrics/probes from the host node's, with this virtual cluster's pods only; needs --kubelet-node-ports and host nodes/proxy",
  },
  {
    flag: 'metrics-server-proxy',
    key: 'metricsServerProxy',
    kind: 'bool',
    default: false,
    description:
      "serve the virtual cluster's metrics API (metrics.k8s.io: kubectl top, HorizontalPodAutoscalers) from the host's metrics-server, with this virtual cluster's pods only, as vCluster's integrations.metricsServer; registered as an APIService naming localhost, so the virtual API server must run beside the syncer; uses the --kubelet-tls-* files (off: what an earlier run registered is removed)",
  },
  {
    flag: 'metrics-server-proxy-port',
    key: 'metricsServerProxyPort',
    kind: 'int',
    default: 9001,
    description: 'port on 127.0.0.1 of the metrics API (--metrics-server-proxy)',
  },
  // vCluster's CLI port-forwards to the control-plane pod's port 8443 (see kube/api-passthrough.ts).
  {
    flag: 'api-proxy-port',
    key: 'apiProxyPort',
    kind: 'int',
    default: 0,
    allowZero: true,
    valueName: 'port',
    description:
      "also serve the virtual API server on this port of the pod: TCP passed through to the server of --virtual-kubeconfig, so TLS and client authentication stay end to end; 8443 for vCluster's CLI (vcluster connect port-forwards to the pod's 8443, the port of the default --kubeconfig-secret-server) (0: off)",
    validate: (port) =>
      Number(port) > 65535 ? `must be a port from 1 to 65535, or 0 (off), got ${port}` : undefined,
  },
  {
    flag: 'api-proxy-bind-address',
    key: 'apiProxyBindAddress',
    kind: 'string',
    default: '0.0.0.0',
    valueName: 'ip',
    description:
      'IP address the --api-proxy-port passthrough listens on (0.0.0.0: every IPv4 address of the pod, port-forwards included; "::": every address)',
    validate: (ip) =>
      isStrictIP(String(ip))
        ? undefined
        : `must be an IP address such as 0.0.0.0, :: or 127.0.0.1 (the port is --api-proxy-port), got ${JSON.stringify(ip)}`,
  },
  // Read by the custom resources kinds, which the config file makes (so no builtin kind declares it).
  ALLOWED_SERVER_FIELD,
];

/** `host-qps` → `hostQps`: the config-file key of a flag. */
export function fileKeyOf(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The default as --help shows it. */
export function defaultForHelp(field: FieldSpec): string | undefined {
  if (field.defaultHelp) return field.defaultHelp;
  if (field.default === undefined) return undefined;
  if (field.kind === 'duration') return formatDuration(field.default as number);
  if (Array.isArray(field.default)) return field.default.join(',');
  return String(field.default);
}

/**
 * Every setting, in the order --help shows it: the syncer's own, then each kind's (the kinds'
 * settings are declared in their folders). The Helm chart maps its values onto these one for one.
 */
export const FIELDS: readonly FieldSpec[] = [...CORE_FIELDS, ...builtinKinds().fields()];

/** The config-file key (no flag: it is structured) naming custom resources to sync. */
const CUSTOM_RESOURCES_KEY = 'customResources';
/** The config-file key of vCluster's integrations (cert-manager), read as custom resources entries. */
const INTEGRATIONS_KEY = 'integrations';

/** What buildConfig checks beyond the values themselves. */
export interface BuildOptions {
  /**
   * Read the TLS files the kubelet API and metrics API will serve with (when they are on), as
   * `start` does: a bad file is named before anything starts, not by a failing listener.
   */
  readServingFiles?: boolean;
}

/**
 * Builds the config from raw values: file values first, then flags (flags win). Values may be
 * strings (from flags) or typed (from YAML). Throws ConfigError naming the first bad field.
 */
export function buildConfig(
  fileValues: Record<string, unknown>,
  flagValues: Record<string, unknown>,
  options: BuildOptions = {},
): SyncerConfig {
  const known = new Set([
    ...FIELDS.map((f) => fileKeyOf(f.flag)),
    CUSTOM_RESOURCES_KEY,
    INTEGRATIONS_KEY,
    HOST_GATEWAYS_KEY,
  ]);
  for (const key of Object.keys(fileValues)) {
    if (!known.has(key)) throw new ConfigError(key, `unknown config field (known: ${[...known].join(', ')})`);
  }
  const sync = fileValues.sync;
  if (sync !== null && typeof sync === 'object' && !Array.isArray(sync))
    throw new ConfigError(
      "config field 'sync'",
      `must be a list of kinds (such as [pods, -events, "+ingresses"]), got a mapping (${shown(sync)}): vCluster's sync.toHost / sync.fromHost layout is read by the chart from vcluster.yaml values (docs/helm.md), and its custom resources go under customResources.toHost / fromHost here (docs/custom-resources.md)`,
    );
  const out: Record<string, unknown> = {};
  const labels = new Map<string, string>();
  for (const field of FIELDS) {
    const fileKey = fileKeyOf(field.flag);
    const fromFlag = flagValues[fileKey];
    const fromFile = fileValues[fileKey];
    // A file's value the flag overrides is checked all the same: a malformed one (vCluster's `sync`
    // layout pasted in) would otherwise be taken silently for as long as the flag is given.
    if (fromFlag !== undefined && fromFile !== undefined && fromFile !== null) {
      const fileLabel = `config field '${fileKey}'`;
      const fileValue = parseValue(field, fromFile, fileLabel);
      const fileProblem = field.validate?.(fileValue as never);
      if (fileProblem) throw new ConfigError(fileLabel, fileProblem);
    }
    const raw = fromFlag !== undefined ? fromFlag : fromFile;
    const label =
      fromFlag !== undefined
        ? `--${field.flag}`
        : fileValues[fileKey] !== undefined
          ? `config field '${fileKey}'`
          : `--${field.flag}`;
    labels.set(field.key, label);
    if (raw === undefined || raw === null) {
      if (field.required) throw new ConfigError(label, 'is required');
      out[field.key] = Array.isArray(field.default) ? [...(field.default as string[])] : field.default;
      continue;
    }
    const value = parseValue(field, raw, label);
    const problem = field.validate?.(value as never);
    if (problem) throw new ConfigError(label, problem);
    out[field.key] = value;
  }
  try {
    out.customResources = parseCustomResources(
      fileValues[CUSTOM_RESOURCES_KEY],
      CUSTOM_RESOURCES_KEY,
      integrationItems(fileValues[INTEGRATIONS_KEY], INTEGRATIONS_KEY),
    );
  } catch (err) {
    if (err instanceof CustomResourceConfigError)
      throw new ConfigError(`config field '${err.field}'`, err.problem);
    throw err;
  }
  try {
    out.hostGateways = parseHostGatewaysConfig(fileValues[HOST_GATEWAYS_KEY], HOST_GATEWAYS_KEY);
  } catch (err) {
    if (err instanceof HostGatewaysConfigError)
      throw new ConfigError(`config field '${err.field}'`, err.problem);
    throw err;
  }
  // Defaults computed from the virtual cluster's name (e.g. the API service `<name>`).
  for (const field of FIELDS)
    if (field.defaultFromName && !out[field.key]) out[field.key] = field.defaultFromName(String(out.name));
  return finish(out as unknown as SyncerConfig, (key) => labels.get(key)!, options);
}

function parseValue(field: FieldSpec, raw: unknown, label: string): unknown {
  switch (field.kind) {
    case 'string':
      if (typeof raw !== 'string') throw new ConfigError(label, `must be a string, got ${shown(raw)}`);
      return raw.trim();
    case 'enum':
      if (typeof raw !== 'string' || !field.choices!.includes(raw)) {
        throw new ConfigError(label, `must be one of ${field.choices!.join(', ')}, got ${shown(raw)}`);
      }
      return raw;
    case 'int':
    case 'number': {
      const what = `${field.allowZero ? '0 or ' : ''}a positive ${field.kind === 'int' ? 'integer' : 'number'}`;
      const decimal = typeof raw === 'string' && DECIMAL.test(raw.trim());
      // Number() also reads 0x10, 0b1 and 0o7, which no flag of the syncer's means.
      if (typeof raw === 'string' && !decimal && raw.trim() !== '' && Number.isFinite(Number(raw)))
        throw new ConfigError(label, `must be ${what} in decimal notation, got ${shown(raw)}`);
      const n = typeof raw === 'number' ? raw : decimal ? Number(raw) : NaN;
      if (
        !Number.isFinite(n) ||
        n < 0 ||
        (n === 0 && !field.allowZero) ||
        (field.kind === 'int' && !Number.isInteger(n))
      ) {
        throw new ConfigError(label, `must be ${what}, got ${shown(raw)}`);
      }
      // -0 (from "-0") is 0.
      return n === 0 ? 0 : n;
    }
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      throw new ConfigError(label, `must be true or false, got ${shown(raw)}`);
    case 'duration': {
      const ms = typeof raw === 'string' ? parseDuration(raw) : undefined;
      if (ms === undefined || ms <= 0)
        throw new ConfigError(label, `must be a positive duration such as 30s or 1m, got ${shown(raw)}`);
      // Node's timers take at most 2^31 - 1 ms; a longer one fires at once (a request timeout of
      // 600h would abort every request).
      if (ms > MAX_TIMER_MS)
        throw new ConfigError(label, `must be at most 596h (Node's longest timer), got ${shown(raw)}`);
      return ms;
    }
    case 'list': {
      const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : undefined;
      if (!items || items.some((i) => typeof i !== 'string'))
        throw new ConfigError(label, `must be a list of strings, got ${shown(raw)}`);
      return (items as string[])
        .flatMap((i) => i.split(','))
        .map((i) => i.trim())
        .filter(Boolean);
    }
  }
}

/** The kubelet endpoint needs a fixed port (the nodes advertise it), its TLS files and an IP to advertise. */
function checkKubeletEndpoint(c: SyncerConfig, labelOf: (key: keyof CoreConfig) => string): void {
  if (c.kubeletBindAddress === '0') {
    if (c.kubeletNodePorts || c.kubeletNodeStats)
      throw new ConfigError(
        labelOf(c.kubeletNodePorts ? 'kubeletNodePorts' : 'kubeletNodeStats'),
        `needs the kubelet API (${labelOf('kubeletBindAddress')})`,
      );
    return;
  }
  const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(c.kubeletBindAddress);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) {
    throw new ConfigError(
      labelOf('kubeletBindAddress'),
      `must be host:port or :port with a port from 1 to 65535 (the nodes advertise it), or 0, got ${JSON.stringify(c.kubeletBindAddress)}`,
    );
  }
  if (!isStrictIP(c.kubeletAdvertiseAddress)) {
    throw new ConfigError(
      labelOf('kubeletAdvertiseAddress'),
      `must be an IP address, got ${JSON.stringify(c.kubeletAdvertiseAddress)}`,
    );
  }
  try {
    NodePorts.parse(c.kubeletNodePorts);
  } catch (err) {
    throw new ConfigError(labelOf('kubeletNodePorts'), (err as Error).message);
  }
  if (c.kubeletNodeStats && !c.kubeletNodePorts)
    throw new ConfigError(
      labelOf('kubeletNodeStats'),
      `needs ${labelOf('kubeletNodePorts')}: statistics are per node`,
    );
  for (const key of ['kubeletTlsCertFile', 'kubeletTlsKeyFile', 'kubeletClientCaFile'] as const) {
    if (!c[key])
      throw new ConfigError(labelOf(key), `is required when ${labelOf('kubeletBindAddress')} is set`);
  }
}

/** The metrics API serves TLS with the kubelet API's certificate, on a port of its own. */
function checkMetricsServerProxy(c: SyncerConfig, labelOf: (key: keyof CoreConfig) => string): void {
  if (c.metricsServerProxyPort > 65535)
    throw new ConfigError(
      labelOf('metricsServerProxyPort'),
      `must be a port (0-65535), got ${c.metricsServerProxyPort}`,
    );
  if (!c.metricsServerProxy) return;
  for (const key of ['kubeletTlsCertFile', 'kubeletTlsKeyFile'] as const) {
    if (!c[key])
      throw new ConfigError(
        labelOf('metricsServerProxy'),
        `needs ${labelOf(key)}: the metrics API serves TLS with the kubelet API's certificate`,
      );
  }
}

/** Hosts that mean every address of the pod: a listener there takes the port on all of them. */
const ANY_HOST = new Set(['', '0.0.0.0', '::']);

/**
 * The syncer's own listeners (metrics, kubelet API, metrics API, API passthrough) need a port each:
 * two on one port would fail at start with EADDRINUSE. Ports on two distinct addresses may be the
 * same; port 0 is any free one.
 */
function checkListeners(c: SyncerConfig, labelOf: (key: keyof CoreConfig) => string): void {
  const listeners: { key: keyof CoreConfig; host: string; port: number }[] = [];
  const add = (key: keyof CoreConfig, address: string) => {
    const colon = address.lastIndexOf(':');
    listeners.push({
      key,
      host: address.slice(0, colon).replace(/^\[|\]$/g, ''),
      port: Number(address.slice(colon + 1)),
    });
  };
  if (c.metricsBindAddress !== '0') add('metricsBindAddress', c.metricsBindAddress);
  if (c.kubeletBindAddress !== '0') add('kubeletBindAddress', c.kubeletBindAddress);
  if (c.metricsServerProxy) add('metricsServerProxyPort', `127.0.0.1:${c.metricsServerProxyPort}`);
  if (c.apiProxyPort) add('apiProxyPort', `[${c.apiProxyBindAddress}]:${c.apiProxyPort}`);
  listeners.forEach((a, i) => {
    for (const b of listeners.slice(0, i)) {
      const overlap =
        ANY_HOST.has(a.host) || ANY_HOST.has(b.host) || a.host === b.host || sameIP(a.host, b.host);
      if (a.port !== 0 && a.port === b.port && overlap)
        throw new ConfigError(
          labelOf(a.key),
          `port ${a.port} is already taken by ${labelOf(b.key)}: each listener of the syncer needs a port of its own`,
        );
    }
  });
}

/** The exported kubeconfig's Secret must be a valid object name, and its server a URL kubectl can use. */
function checkKubeconfigSecret(c: SyncerConfig, labelOf: (key: keyof CoreConfig) => string): void {
  if (c.kubeconfigSecret && !isDnsSubdomain(c.kubeconfigSecret)) {
    throw new ConfigError(
      labelOf('kubeconfigSecret'),
      `must be a valid Secret name (lower-case letters, digits, '-' and '.'), got ${JSON.stringify(c.kubeconfigSecret)}`,
    );
  }
  if (c.kubeconfigSecretServiceAccountClusterRole && !c.kubeconfigSecretServiceAccount)
    throw new ConfigError(
      labelOf('kubeconfigSecretServiceAccountClusterRole'),
      `is bound to ${labelOf('kubeconfigSecretServiceAccount')}, which is not given`,
    );
  if (c.kubeconfigSecretServiceAccount && !c.kubeconfigSecret)
    throw new ConfigError(
      labelOf('kubeconfigSecretServiceAccount'),
      `is the account of the kubeconfig in ${labelOf('kubeconfigSecret')}, which is not given (no kubeconfig is exported there)`,
    );
  const exports: AdditionalKubeconfigSecret[] = c.kubeconfigAdditionalSecrets.flatMap((e) => {
    const parsed = parseAdditionalSecret(e);
    return typeof parsed === 'string' ? [] : [parsed];
  });
  if (c.kubeconfigSecret && c.kubeconfigSecretServiceAccount)
    exports.unshift({
      name: c.kubeconfigSecret,
      serviceAccount: c.kubeconfigSecretServiceAccount,
      clusterRole: c.kubeconfigSecretServiceAccountClusterRole || undefined,
    });
  const boundTwice = serviceAccountBoundTwice(exports);
  if (boundTwice) throw new ConfigError(labelOf('kubeconfigAdditionalSecrets'), boundTwice);
  const twice = kubeconfigSecretNamedTwice(
    c.kubeconfigSecret,
    c.kubeconfigAdditionalSecrets,
    c.hostNamespace,
  );
  if (twice)
    throw new ConfigError(
      labelOf('kubeconfigAdditionalSecrets'),
      `names Secret ${twice} that another kubeconfig export (${labelOf('kubeconfigSecret')} or another entry) writes already; give each export its own Secret`,
    );
  let url: URL | undefined;
  try {
    url = new URL(c.kubeconfigSecretServer);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new ConfigError(
      labelOf('kubeconfigSecretServer'),
      `must be an http(s) URL such as https://localhost:8443, got ${JSON.stringify(c.kubeconfigSecretServer)}`,
    );
  }
}

/** The port the kubelet endpoint listens on and the nodes advertise; undefined when it is off. */
export function kubeletPort(c: Pick<CoreConfig, 'kubeletBindAddress'>): number | undefined {
  if (c.kubeletBindAddress === '0') return undefined;
  return Number(c.kubeletBindAddress.slice(c.kubeletBindAddress.lastIndexOf(':') + 1));
}

/** Where this virtual cluster lives on the host, as every kind sees it. */
export function placementOf(c: CoreConfig): Placement {
  const port = kubeletPort(c);
  return {
    vcName: c.name,
    hostNamespace: c.hostNamespace,
    virtualApiService: c.virtualApiService,
    deniedHostMetadata: c.deniedHostMetadata,
    kubeletEndpoint: port
      ? { address: c.kubeletAdvertiseAddress, port, nodePorts: NodePorts.parse(c.kubeletNodePorts) }
      : undefined,
  };
}

/** Whole-config checks; labelOf names where a value came from (its flag or its config-file field). */
function finish(
  c: SyncerConfig,
  labelOf: (key: keyof CoreConfig) => string,
  options: BuildOptions,
): SyncerConfig {
  if (!isDnsLabel(c.name) || c.name.length > 52) {
    throw new ConfigError(
      labelOf('name'),
      `must be a DNS label of at most 52 characters (lower-case letters, digits, '-'), got ${JSON.stringify(c.name)}`,
    );
  }
  if (!isDnsLabel(c.hostNamespace)) {
    throw new ConfigError(
      labelOf('hostNamespace'),
      `must be a valid namespace name, got ${JSON.stringify(c.hostNamespace)}`,
    );
  }
  if (!c.virtualKubeconfig) throw new ConfigError(labelOf('virtualKubeconfig'), 'is required');
  if (c.hostBurst < 1 || c.virtualBurst < 1) throw new ConfigError('--host-burst', 'must be at least 1');
  if (c.metricsBindAddress !== '0') {
    const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(c.metricsBindAddress);
    if (!match || Number(match[2]) > 65535)
      throw new ConfigError(
        labelOf('metricsBindAddress'),
        `must be host:port or :port with a port from 0 to 65535, or 0, got ${JSON.stringify(c.metricsBindAddress)}`,
      );
  }
  checkKubeletEndpoint(c, labelOf);
  checkMetricsServerProxy(c, labelOf);
  checkListeners(c, labelOf);
  if (options.readServingFiles && (c.kubeletBindAddress !== '0' || c.metricsServerProxy)) {
    const file = (key: keyof CoreConfig) => ({ label: labelOf(key), path: c[key] as string });
    checkServingFiles({
      cert: file('kubeletTlsCertFile'),
      key: file('kubeletTlsKeyFile'),
      ca: c.kubeletBindAddress !== '0' ? file('kubeletClientCaFile') : undefined,
    });
  }
  if (c.fallbackHostDns && !c.corednsImage)
    throw new ConfigError(
      labelOf('fallbackHostDns'),
      `needs ${labelOf('corednsImage')}: the syncer writes the Corefile only of the CoreDNS it deploys`,
    );
  checkKubeconfigSecret(c, labelOf);
  // Only now is the host namespace known: a replica must live in it to select the tenant's pods.
  const mappingProblem = invalidVirtualServiceMappings(c.mapVirtualServices, c.hostNamespace);
  if (mappingProblem)
    throw new ConfigError(labelOf('mapVirtualServices' as keyof CoreConfig), mappingProblem);
  if (c.leaderElect) {
    if (c.leaderElectRenewDeadlineMs >= c.leaderElectLeaseDurationMs) {
      throw new ConfigError(
        labelOf('leaderElectRenewDeadlineMs'),
        `must be shorter than ${labelOf('leaderElectLeaseDurationMs')}`,
      );
    }
    if (c.leaderElectRetryPeriodMs >= c.leaderElectRenewDeadlineMs) {
      throw new ConfigError(
        labelOf('leaderElectRetryPeriodMs'),
        `must be shorter than ${labelOf('leaderElectRenewDeadlineMs')}`,
      );
    }
  }
  return c;
}
