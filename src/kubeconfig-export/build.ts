import { isAbsolute, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import type { KubeObject } from '../kube/object.ts';

/** The cluster of the syncer's virtual kubeconfig (client-node's Cluster fits). */
export interface SourceCluster {
  readonly caData?: string | null;
  readonly caFile?: string | null;
  readonly skipTLSVerify?: boolean | null;
  readonly tlsServerName?: string | null;
}

/** The user of the syncer's virtual kubeconfig (client-node's User fits). */
export interface SourceUser {
  readonly certData?: string | null;
  readonly certFile?: string | null;
  readonly keyData?: string | null;
  readonly keyFile?: string | null;
  readonly token?: string | null;
  /** A file holding the token (read at each export, trimmed, as the syncer reads it: TokenFileAuth). */
  readonly tokenFile?: string | null;
}

export interface ExportInput {
  /** Names the cluster, user and context inside the kubeconfig, unless `context` is given. */
  vcName: string;
  /** The API server URL the tenant uses (`--kubeconfig-secret-server`). */
  server: string;
  /** The name of the context, and of its cluster and user; default vcName (an additional Secret may name its own). */
  context?: string;
  /**
   * The kubeconfig skips verifying the server's certificate and carries no CA (vCluster's
   * `exportKubeConfig.insecure`): for a server whose certificate is not the API server's.
   */
  insecure?: boolean;
  cluster: SourceCluster;
  user: SourceUser;
  /**
   * A service account's token the kubeconfig authenticates with instead of the user's credentials
   * (vCluster's `exportKubeConfig.serviceAccount`): the user's are then not exported at all.
   */
  serviceAccountToken?: string;
  /** Relative credential paths are read from here: the kubeconfig's own directory, as kubectl does. */
  baseDir: string;
  readFile(path: string): Buffer;
}

/** The exported kubeconfig as the data of vCluster's `vc-<name>` Secret (every value base64). */
export interface ExportedData {
  config: string;
  'certificate-authority'?: string;
  'client-certificate'?: string;
  'client-key'?: string;
  /** The kubeconfig's bearer token, empty with a client certificate: vCluster always writes the key. */
  token?: string;
}

/** The syncer's own kubeconfig has nothing a tenant could use, or a credential file cannot be read. */
export class KubeconfigExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigExportError';
  }
}

/**
 * Builds the tenant's kubeconfig from the syncer's virtual kubeconfig: the same CA and credentials
 * (files read and inlined, since whoever reads the Secret has none of the syncer's files), with the
 * server replaced. Pure but for readFile. Exec plugins and auth providers run on the syncer's
 * machine and cannot be handed over: a user with only those is refused.
 */
export function exportedKubeconfig(input: ExportInput): ExportedData {
  const { cluster } = input;
  const user: SourceUser = input.serviceAccountToken ? { token: input.serviceAccountToken } : input.user;
  const base64Of = (data: string | null | undefined, file: string | null | undefined, what: string) =>
    data || readCredentialFile(file, what, input)?.toString('base64');
  const ca = base64Of(cluster.caData, cluster.caFile, 'certificate authority');
  const cert = base64Of(user.certData, user.certFile, 'client certificate');
  const key = base64Of(user.keyData, user.keyFile, 'client key');
  if (Boolean(cert) !== Boolean(key))
    throw new KubeconfigExportError(
      'the user of --virtual-kubeconfig has a client certificate without its key (or a key without its certificate)',
    );
  // A token file is read at each export, trimmed, as the syncer reads it (TokenFileAuth).
  const token =
    user.token || readCredentialFile(user.tokenFile, 'token file', input)?.toString().trim() || undefined;
  if (!cert && !token)
    throw new KubeconfigExportError(
      'the user of --virtual-kubeconfig has no client certificate or token to export (exec plugins and auth providers cannot be exported)',
    );
  // A context named by the admin names its cluster and user too (as vCluster exchanges them), so
  // that kubeconfigs of two virtual clusters of one name, merged, keep each context's own server and
  // credentials (kubectl keeps the first of two entries of one name).
  const name = input.context ?? input.vcName;
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: input.server,
          // kubectl refuses a CA beside insecure-skip-tls-verify.
          ...(ca && !input.insecure ? { 'certificate-authority-data': ca } : {}),
          ...(cluster.skipTLSVerify || input.insecure ? { 'insecure-skip-tls-verify': true } : {}),
          ...(cluster.tlsServerName ? { 'tls-server-name': cluster.tlsServerName } : {}),
        },
      },
    ],
    users: [
      {
        name,
        user: {
          ...(cert ? { 'client-certificate-data': cert, 'client-key-data': key } : {}),
          ...(token ? { token } : {}),
        },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  };
  const data: ExportedData = {
    config: Buffer.from(stringify(kubeconfig)).toString('base64'),
    // Tools that register a virtual cluster elsewhere (a CD system's cluster Secret, CI) read it alone.
    token: Buffer.from(token ?? '').toString('base64'),
  };
  if (ca) data['certificate-authority'] = ca;
  if (cert) data['client-certificate'] = cert;
  if (key) data['client-key'] = key;
  return data;
}

/** A credential file the kubeconfig names (relative to its directory), or undefined when it names none. */
function readCredentialFile(
  file: string | null | undefined,
  what: string,
  input: Pick<ExportInput, 'baseDir' | 'readFile'>,
): Buffer | undefined {
  if (!file) return undefined;
  const path = isAbsolute(file) ? file : resolve(input.baseDir, file);
  try {
    return input.readFile(path);
  } catch (err) {
    throw new KubeconfigExportError(
      `cannot read the ${what} of --virtual-kubeconfig (${path}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** The token of the kubeconfig an exported Secret holds (its first user's), if any. */
export function exportedToken(secret: KubeObject | undefined): string | undefined {
  const config = (secret?.data as Record<string, string> | undefined)?.config;
  if (!config) return undefined;
  try {
    const parsed = parse(Buffer.from(config, 'base64').toString()) as {
      users?: { user?: { token?: unknown } }[];
    } | null;
    const token = parsed?.users?.[0]?.user?.token;
    return typeof token === 'string' && token ? token : undefined;
  } catch {
    // Not a kubeconfig (edited by hand): nothing to keep.
    return undefined;
  }
}
