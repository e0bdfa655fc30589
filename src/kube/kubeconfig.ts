import { existsSync, readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

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
      kc.loadFromString(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new KubeconfigError(
        `--${role}-kubeconfig ${path}: not a valid kubeconfig: ${(err as Error).message}`,
      );
    }
  }
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  const where = path || 'in-cluster config';
  if (!cluster)
    throw new KubeconfigError(`--${role}-kubeconfig ${where}: the current context names no cluster`);
  if (!user) throw new KubeconfigError(`--${role}-kubeconfig ${where}: the current context names no user`);
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
