// The syncer as it speaks to the host in a pod: a service account of the host namespace, not the
// harness's admin (in system:masters, which RBAC never limits and API priority and fairness exempts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHART_DIR, helmBinary, run } from './chart.ts';
import { testClusters } from './clusters.ts';
import { mustKubectl } from './objects.ts';

/** A kubeconfig (written to `path`) for a service account of the host, with a token good for a day. */
export async function serviceAccountKubeconfig(
  namespace: string,
  account: string,
  path: string,
): Promise<string> {
  const token = (
    await mustKubectl('host', ['create', 'token', account, '-n', namespace, '--duration=24h'])
  ).trim();
  const host = testClusters().host;
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'host',
          cluster: {
            server: host.server,
            'certificate-authority': join(testClusters().stateDir, 'host/pki/ca.crt'),
          },
        },
      ],
      users: [{ name: account, user: { token } }],
      contexts: [{ name: account, context: { cluster: 'host', user: account } }],
      'current-context': account,
    }),
    { mode: 0o600 },
  );
  return path;
}

/**
 * What the chart grants the syncer on the host, for release `release` in `namespace` with the chart's
 * default values: its service accounts and RBAC, rendered by helm and applied. The syncer's account
 * is named after the release. Resolves with the kubeconfig of that account.
 */
export async function chartIdentityKubeconfig(release: string, namespace: string): Promise<string> {
  const rendered = await run(helmBinary(), [
    'template',
    release,
    CHART_DIR,
    '--namespace',
    namespace,
    '--kube-version',
    '1.34.0',
    '--show-only',
    'templates/serviceaccounts.yaml',
    '--show-only',
    'templates/rbac.yaml',
  ]);
  if (rendered.code !== 0) throw new Error(`helm template failed: ${rendered.stderr}`);
  await mustKubectl('host', ['apply', '-n', namespace, '-f', '-'], rendered.stdout);
  return serviceAccountKubeconfig(
    namespace,
    release,
    join(testClusters().stateDir, `${release}-host.kubeconfig`),
  );
}
