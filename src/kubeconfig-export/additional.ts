import { isDnsLabel, isDnsSubdomain } from '../naming/dns-names.ts';
import { invalidClusterRole, parseServiceAccountRef, type ExportServiceAccount } from './service-account.ts';

/**
 * One more host Secret the tenant's kubeconfig is written to (vCluster's
 * `exportKubeConfig.additionalSecrets`), with its own server, context name and service account when
 * given. The flag value is ADDITIONAL_SECRET_FORM (semicolons: lists of flag values are split at
 * commas).
 */
export interface AdditionalKubeconfigSecret {
  name: string;
  /** Undefined: the host namespace. */
  namespace?: string;
  /** Undefined: --kubeconfig-secret-server. */
  server?: string;
  /** The context name inside the kubeconfig; undefined: the virtual cluster's name. */
  context?: string;
  /** The kubeconfig skips verifying the server's certificate (vCluster's `insecure`). */
  insecure?: boolean;
  /**
   * `[namespace/]name` of the virtual cluster's service account whose token the kubeconfig carries
   * (vCluster's `serviceAccount`; see service-account.ts); undefined: the syncer's credentials.
   */
  serviceAccount?: string;
  /** The ClusterRole bound to that account (vCluster's `serviceAccount.clusterRole`). */
  clusterRole?: string;
}

const KEYS = ['name', 'namespace', 'server', 'context', 'insecure', 'serviceAccount', 'clusterRole'] as const;
export const ADDITIONAL_SECRET_FORM =
  'name=<secret>[;namespace=<ns>][;server=<url>][;context=<name>][;insecure=true][;serviceAccount=[<ns>/]<name>[;clusterRole=<role>]]';
const FORM = ADDITIONAL_SECRET_FORM;

/** Parses one `--kubeconfig-additional-secret` value, or says what is wrong with it. */
export function parseAdditionalSecret(entry: string): AdditionalKubeconfigSecret | string {
  const out: Partial<Record<(typeof KEYS)[number], string>> = {};
  for (const part of entry.split(';')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq < 0 || !(KEYS as readonly string[]).includes(key))
      return `${JSON.stringify(entry)}: expected ${FORM}, got ${JSON.stringify(part)}`;
    if (out[key as (typeof KEYS)[number]] !== undefined)
      return `${JSON.stringify(entry)}: ${key} given twice`;
    out[key as (typeof KEYS)[number]] = value;
  }
  if (!out.name || !isDnsSubdomain(out.name))
    return `${JSON.stringify(entry)}: name must be a valid Secret name, got ${JSON.stringify(out.name ?? '')}`;
  if (out.namespace !== undefined && !isDnsLabel(out.namespace))
    return `${JSON.stringify(entry)}: namespace must be a valid namespace name, got ${JSON.stringify(out.namespace)}`;
  if (out.server !== undefined && !isHttpUrl(out.server))
    return `${JSON.stringify(entry)}: server must be an http(s) URL, got ${JSON.stringify(out.server)}`;
  if (out.context !== undefined && !out.context) return `${JSON.stringify(entry)}: context must not be empty`;
  if (out.insecure !== undefined && out.insecure !== 'true' && out.insecure !== 'false')
    return `${JSON.stringify(entry)}: insecure must be true or false, got ${JSON.stringify(out.insecure)}`;
  if (out.serviceAccount !== undefined) {
    const account = parseServiceAccountRef(out.serviceAccount);
    if (typeof account === 'string') return `${JSON.stringify(entry)}: serviceAccount: ${account}`;
  }
  if (out.clusterRole !== undefined) {
    if (!out.clusterRole) return `${JSON.stringify(entry)}: clusterRole must not be empty`;
    if (out.serviceAccount === undefined)
      return `${JSON.stringify(entry)}: clusterRole is bound to the serviceAccount, which is not given`;
    const problem = invalidClusterRole(out.clusterRole);
    if (problem) return `${JSON.stringify(entry)}: clusterRole ${problem}`;
  }
  const { insecure, ...rest } = out;
  return { ...(rest as AdditionalKubeconfigSecret), ...(insecure === 'true' ? { insecure: true } : {}) };
}

/** The service account an export's kubeconfig authenticates as, if any (its values checked before). */
export function exportServiceAccount(target: AdditionalKubeconfigSecret): ExportServiceAccount | undefined {
  if (!target.serviceAccount) return undefined;
  const account = parseServiceAccountRef(target.serviceAccount);
  if (typeof account === 'string') throw new Error(`serviceAccount: ${account}`);
  return { ...account, clusterRole: target.clusterRole ?? '' };
}

/**
 * The first service account two exports bind to different cluster roles, described; undefined when
 * none is. Both would remake its one binding (`vcluster-sa-<name>-<namespace>`) at every export.
 */
export function serviceAccountBoundTwice(exports: readonly AdditionalKubeconfigSecret[]): string | undefined {
  const roles = new Map<string, string>();
  for (const target of exports) {
    const account = exportServiceAccount(target);
    if (!account?.clusterRole) continue;
    const key = `${account.namespace}/${account.name}`;
    const bound = roles.get(key);
    if (bound !== undefined && bound !== account.clusterRole)
      return `service account ${key} is bound to ClusterRole ${bound} by one export and to ${account.clusterRole} by another: give both the same role`;
    roles.set(key, account.clusterRole);
  }
  return undefined;
}

/** What is wrong with a list of `--kubeconfig-additional-secret` values (the first problem). */
export function invalidAdditionalSecrets(entries: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const entry of entries) {
    const parsed = parseAdditionalSecret(entry);
    if (typeof parsed === 'string') return parsed;
    const key = `${parsed.namespace ?? ''}/${parsed.name}`;
    if (seen.has(key)) return `${JSON.stringify(entry)}: the same Secret is named twice`;
    seen.add(key);
  }
  return undefined;
}

/**
 * The first Secret two exports would write (`--kubeconfig-secret` and the additional ones, a missing
 * namespace read as the host namespace), as `namespace/name`; undefined when each names its own. Two
 * exporters of one Secret would overwrite each other's server at every start.
 */
export function kubeconfigSecretNamedTwice(
  main: string,
  additional: readonly string[],
  hostNamespace: string,
): string | undefined {
  const seen = new Set<string>(main ? [`${hostNamespace}/${main}`] : []);
  for (const entry of additional) {
    const parsed = parseAdditionalSecret(entry);
    if (typeof parsed === 'string') continue;
    const key = `${parsed.namespace ?? hostNamespace}/${parsed.name}`;
    if (seen.has(key)) return key;
    seen.add(key);
  }
  return undefined;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
