import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { KubeConfig, type User } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { TOKEN_FILE_PROVIDER, TokenFileAuth } from './token-file-auth.ts';

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
    try {
      const taken = takeTokenFiles(readFileSync(path, 'utf8'), path);
      fileTokens = taken.files;
      kc.loadFromString(taken.text);
    } catch (err) {
      throw new KubeconfigError(
        `--${role}-kubeconfig ${path}: not a valid kubeconfig: ${(err as Error).message}`,
      );
    }
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
  kc.addAuthenticator(new TokenFileAuth());
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
 * The token files users of a kubeconfig name, by user (client-go's `tokenFile`, what kubectl reads,
 * or `token-file`; relative paths from the kubeconfig's directory, as client-go resolves them), and
 * the kubeconfig without them. client-node knows only `token-file`, reads it once, untrimmed, from a
 * path relative to the working directory; `tokenFile` it does not know, and would send such a user
 * anonymous. The files are read by TokenFileAuth instead.
 */
function takeTokenFiles(text: string, path: string): { text: string; files: Map<string, string> } {
  const files = new Map<string, string>();
  const doc = parse(text) as { users?: unknown } | null;
  const users = doc?.users;
  if (!Array.isArray(users)) return { text, files };
  for (const entry of users as { name?: unknown; user?: Record<string, unknown> }[]) {
    const user = entry?.user;
    const file = user?.tokenFile ?? user?.['token-file'];
    if (!user || typeof entry.name !== 'string' || typeof file !== 'string' || !file) continue;
    files.set(entry.name, isAbsolute(file) ? file : resolve(dirname(path), file));
    delete user.tokenFile;
    delete user['token-file'];
  }
  return { text: files.size ? stringify(doc) : text, files };
}

/**
 * A user whose token is in a file reads it through TokenFileAuth (trimmed, again each minute, as
 * client-go does); as in client-go, the file's token wins over a `token` beside it.
 */
function withTokenFile(user: User, file: string | undefined): User {
  if (!file || user.authProvider || user.exec) return user;
  return {
    ...user,
    token: undefined,
    authProvider: { name: TOKEN_FILE_PROVIDER, config: { path: file } },
  };
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
