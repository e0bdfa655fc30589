import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { KubeConfig, type User } from '@kubernetes/client-node';
import { parse } from 'yaml';

/** A kubeconfig that cannot be used; names the file so the operator knows what to fix. */
export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigError';
  }
}

/**
 * Loads a kubeconfig file, or the in-cluster service account when path is empty. Each cluster's
 * user is renamed (`vsyncer-host`, `vsyncer-virtual`) because client-node caches credentials by
 * user name, and two kubeconfigs both saying `admin` would otherwise share one set.
 */
export function loadKubeConfig(path: string, role: 'host' | 'virtual'): KubeConfig {
  const kc = new KubeConfig();
  let fileTokens = new Map<string, string>();
  if (!path) {
    if (!process.env.KUBERNETES_SERVICE_HOST) {
      throw new KubeconfigError(
        `--${role}-kubeconfig is empty and this is not a pod (KUBERNETES_SERVICE_HOST unset)`,
      );
    }
    kc.loadFromCluster();
  } else {
    if (!existsSync(path)) throw new KubeconfigError(`--${role}-kubeconfig ${path}: file does not exist`);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
      kc.loadFromString(text);
    } catch (err) {
      throw new KubeconfigError(
        `--${role}-kubeconfig ${path}: not a valid kubeconfig: ${(err as Error).message}`,
      );
    }
    fileTokens = tokenFilesOf(text, path);
  }
  const cluster = kc.getCurrentCluster();
  const found = kc.getCurrentUser();
  const where = path || 'in-cluster config';
  if (!cluster)
    throw new KubeconfigError(`--${role}-kubeconfig ${where}: the current context names no cluster`);
  if (!found) throw new KubeconfigError(`--${role}-kubeconfig ${where}: the current context names no user`);
  const user = withTokenFile(found, fileTokens.get(found.name));
  if (!hasCredentials(user))
    throw new KubeconfigError(
      `--${role}-kubeconfig ${where}: user ${JSON.stringify(found.name)} has no credentials the syncer can use (token, tokenFile, client certificate, exec or auth-provider): its requests would be anonymous`,
    );
  try {
    new URL(cluster.server);
  } catch {
    throw new KubeconfigError(
      `--${role}-kubeconfig ${where}: cluster server '${cluster.server}' is not a URL`,
    );
  }
  const userName = `vsyncer-${role}`;
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ ...user, name: userName }],
    contexts: [{ name: userName, cluster: cluster.name, user: userName }],
    currentContext: userName,
  });
  return kc;
}

/**
 * The token files users of a kubeconfig name, by user: client-go's `tokenFile` (what kubectl reads)
 * or `token-file`, relative paths from the kubeconfig's directory, as client-go resolves them.
 * client-node knows only `token-file`, and reads it once; unread, a user with only `tokenFile` would
 * be sent anonymous.
 */
function tokenFilesOf(text: string, path: string): Map<string, string> {
  const files = new Map<string, string>();
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return files;
  }
  const users = (doc as { users?: unknown } | null)?.users;
  if (!Array.isArray(users)) return files;
  for (const entry of users as { name?: unknown; user?: Record<string, unknown> }[]) {
    const file = entry?.user?.tokenFile ?? entry?.user?.['token-file'];
    if (typeof entry?.name !== 'string' || typeof file !== 'string' || !file) continue;
    files.set(entry.name, isAbsolute(file) ? file : resolve(dirname(path), file));
  }
  return files;
}

/**
 * A user whose token is in a file reads it as client-node's in-cluster config does, through its
 * `tokenFile` auth provider, again whenever it may have been rotated; as in client-go, the file's
 * token wins over a `token` beside it.
 */
function withTokenFile(user: User, file: string | undefined): User {
  if (!file || user.authProvider || user.exec) return user;
  return { ...user, token: undefined, authProvider: { name: 'tokenFile', config: { tokenFile: file } } };
}

/** Whether a user has any credentials at all (none: every request would be anonymous). */
function hasCredentials(user: User): boolean {
  return Boolean(
    user.token ||
    user.certData ||
    user.certFile ||
    user.exec ||
    user.authProvider ||
    (user.username && user.password),
  );
}
