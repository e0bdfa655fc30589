import { LOG_LEVELS, type LogFormat, type LogLevel } from '../util/log.ts';
import { formatDuration, parseDuration } from './duration.ts';

/** Everything the syncer needs to run, validated. One object, built from flags over an optional file. */
export interface SyncerConfig {
  name: string;
  hostNamespace: string;
  /** Empty: in-cluster configuration (the pod's service account). */
  hostKubeconfig: string;
  virtualKubeconfig: string;
  /** `--sync` items as given (resolved against the translator registry at start). */
  sync: string[];
  syncAllConfigMaps: boolean;
  syncAllSecrets: boolean;
  syncRealNodes: boolean;
  nodeSelector: string;
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
  clusterDomain: string;
  clusterDnsIp: string;
  virtualApiService: string;
  workloadServiceAccount: string;
  enforceTolerations: string[];
  shutdownTimeoutMs: number;
}

/** A bad flag or config field: names it, so the CLI can say exactly what to fix. */
export class ConfigError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'ConfigError';
    this.field = field;
  }
}

type FieldKind = 'string' | 'int' | 'number' | 'bool' | 'duration' | 'list' | 'enum';

interface FieldSpec {
  /** Flag name without dashes; the config-file key is the camelCase of it. */
  flag: string;
  key: keyof SyncerConfig;
  kind: FieldKind;
  description: string;
  default?: string | number | boolean | string[];
  choices?: readonly string[];
  required?: boolean;
  /** Shown instead of the default in --help when the default is computed. */
  defaultHelp?: string;
}

/** Every setting, in the order --help shows it. The Helm chart maps its values onto these one for one. */
export const FIELDS: readonly FieldSpec[] = [
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
    flag: 'sync',
    key: 'sync',
    kind: 'list',
    default: [],
    defaultHelp: 'configmaps,secrets,pods,events,nodes',
    description: 'kinds to sync, comma separated; "-kind" turns a default off, "*" all',
  },
  {
    flag: 'sync-all-configmaps',
    key: 'syncAllConfigMaps',
    kind: 'bool',
    default: false,
    description: 'sync every config map, not only those a pod references',
  },
  {
    flag: 'sync-all-secrets',
    key: 'syncAllSecrets',
    kind: 'bool',
    default: false,
    description: 'sync every secret, not only those a pod references',
  },
  {
    flag: 'sync-real-nodes',
    key: 'syncRealNodes',
    kind: 'bool',
    default: false,
    description: 'show copies of the real host nodes instead of minimal fake nodes',
  },
  {
    flag: 'node-selector',
    key: 'nodeSelector',
    kind: 'string',
    default: '',
    description:
      'with --sync-real-nodes: also show host nodes matching this label selector even without pods ("*" for all)',
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
  { flag: 'workers', key: 'workers', kind: 'int', default: 4, description: 'concurrent reconciles per kind' },
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
    defaultHelp: 'hostname_pid',
    description: "this replica's identity in the lease",
  },
  {
    flag: 'cluster-domain',
    key: 'clusterDomain',
    kind: 'string',
    default: 'cluster.local',
    description: 'DNS domain of the virtual cluster',
  },
  {
    flag: 'cluster-dns-ip',
    key: 'clusterDnsIp',
    kind: 'string',
    default: '',
    defaultHelp: 'discovered',
    description:
      'virtual cluster DNS service IP for synced pods (empty: the kube-dns service of the virtual cluster)',
  },
  {
    flag: 'virtual-api-service',
    key: 'virtualApiService',
    kind: 'string',
    default: '',
    defaultHelp: '<name>',
    description: 'host Service that exposes the virtual API server to pods',
  },
  {
    flag: 'workload-service-account',
    key: 'workloadServiceAccount',
    kind: 'string',
    default: '',
    defaultHelp: 'vc-workload-<name>',
    description: 'host service account synced pods run as',
  },
  {
    flag: 'enforce-toleration',
    key: 'enforceTolerations',
    kind: 'list',
    default: [],
    description: 'toleration added to every synced pod, key[=value]:effect (repeatable)',
  },
  {
    flag: 'shutdown-timeout',
    key: 'shutdownTimeoutMs',
    kind: 'duration',
    default: 30_000,
    description: 'on SIGTERM, how long in-flight reconciles may take to finish',
  },
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

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const TOLERATION =
  /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?(=[A-Za-z0-9._-]*)?:(NoSchedule|PreferNoSchedule|NoExecute)$/;

/**
 * Builds the config from raw values: file values first, then flags (flags win). Values may be
 * strings (from flags) or typed (from YAML). Throws ConfigError naming the first bad field.
 */
export function buildConfig(
  fileValues: Record<string, unknown>,
  flagValues: Record<string, unknown>,
): SyncerConfig {
  const known = new Set(FIELDS.map((f) => fileKeyOf(f.flag)));
  for (const key of Object.keys(fileValues)) {
    if (!known.has(key)) throw new ConfigError(key, `unknown config field (known: ${[...known].join(', ')})`);
  }
  const out: Record<string, unknown> = {};
  const labels = new Map<keyof SyncerConfig, string>();
  for (const field of FIELDS) {
    const fileKey = fileKeyOf(field.flag);
    const fromFlag = flagValues[fileKey];
    const raw = fromFlag !== undefined ? fromFlag : fileValues[fileKey];
    const label =
      fromFlag !== undefined
        ? `--${field.flag}`
        : fileValues[fileKey] !== undefined
          ? `config field '${fileKey}'`
          : `--${field.flag}`;
    labels.set(field.key, label);
    if (raw === undefined || raw === null) {
      if (field.required) throw new ConfigError(label, 'is required');
      out[field.key] = field.default;
      continue;
    }
    out[field.key] = parseValue(field, raw, label);
  }
  const config = out as unknown as SyncerConfig;
  return finish(config, (key) => labels.get(key)!);
}

function parseValue(field: FieldSpec, raw: unknown, label: string): unknown {
  switch (field.kind) {
    case 'string':
      if (typeof raw !== 'string')
        throw new ConfigError(label, `must be a string, got ${JSON.stringify(raw)}`);
      return raw.trim();
    case 'enum':
      if (typeof raw !== 'string' || !field.choices!.includes(raw)) {
        throw new ConfigError(
          label,
          `must be one of ${field.choices!.join(', ')}, got ${JSON.stringify(raw)}`,
        );
      }
      return raw;
    case 'int':
    case 'number': {
      const n =
        typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n) || n <= 0 || (field.kind === 'int' && !Number.isInteger(n))) {
        throw new ConfigError(
          label,
          `must be a positive ${field.kind === 'int' ? 'integer' : 'number'}, got ${JSON.stringify(raw)}`,
        );
      }
      return n;
    }
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      throw new ConfigError(label, `must be true or false, got ${JSON.stringify(raw)}`);
    case 'duration': {
      const ms = typeof raw === 'string' ? parseDuration(raw) : undefined;
      if (ms === undefined || ms <= 0)
        throw new ConfigError(
          label,
          `must be a positive duration such as 30s or 1m, got ${JSON.stringify(raw)}`,
        );
      return ms;
    }
    case 'list': {
      const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : undefined;
      if (!items || items.some((i) => typeof i !== 'string'))
        throw new ConfigError(label, `must be a list of strings, got ${JSON.stringify(raw)}`);
      return (items as string[])
        .flatMap((i) => i.split(','))
        .map((i) => i.trim())
        .filter(Boolean);
    }
  }
}

/** Whole-config checks; labelOf names where a value came from (its flag or its config-file field). */
function finish(c: SyncerConfig, labelOf: (key: keyof SyncerConfig) => string): SyncerConfig {
  if (!DNS_LABEL.test(c.name) || c.name.length > 52) {
    throw new ConfigError(
      labelOf('name'),
      `must be a DNS label of at most 52 characters (lower-case letters, digits, '-'), got ${JSON.stringify(c.name)}`,
    );
  }
  if (!DNS_LABEL.test(c.hostNamespace) || c.hostNamespace.length > 63) {
    throw new ConfigError(
      labelOf('hostNamespace'),
      `must be a valid namespace name, got ${JSON.stringify(c.hostNamespace)}`,
    );
  }
  if (!c.virtualKubeconfig) throw new ConfigError(labelOf('virtualKubeconfig'), 'is required');
  if (c.hostBurst < 1 || c.virtualBurst < 1) throw new ConfigError('--host-burst', 'must be at least 1');
  if (
    c.metricsBindAddress !== '0' &&
    !/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*):\d{1,5}$/.test(c.metricsBindAddress)
  ) {
    throw new ConfigError(
      labelOf('metricsBindAddress'),
      `must be host:port, :port or 0, got ${JSON.stringify(c.metricsBindAddress)}`,
    );
  }
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
  if (c.clusterDnsIp && !/^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-fA-F:]+$/.test(c.clusterDnsIp)) {
    throw new ConfigError(
      labelOf('clusterDnsIp'),
      `must be an IP address, got ${JSON.stringify(c.clusterDnsIp)}`,
    );
  }
  for (const t of c.enforceTolerations) {
    if (!TOLERATION.test(t))
      throw new ConfigError(
        labelOf('enforceTolerations'),
        `must look like key[=value]:NoSchedule|PreferNoSchedule|NoExecute, got ${JSON.stringify(t)}`,
      );
  }
  return {
    ...c,
    virtualApiService: c.virtualApiService || c.name,
    workloadServiceAccount: c.workloadServiceAccount || `vc-workload-${c.name}`,
  };
}
