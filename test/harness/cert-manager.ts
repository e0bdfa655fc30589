import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { freePort } from '../../hack/cluster/ports.ts';
import { testClusters } from './clusters.ts';
import { goModuleDir, pinnedVersion } from './go-module.ts';
import { mustKubectl } from './objects.ts';

/*
 * The host's cert-manager, as an admin runs it: its CRDs from the release's module, and its
 * controller (built by hack/build-tools.sh cert-manager) watching the whole host cluster. No webhook
 * and no cainjector: the CRDs' schemas still check what is written, and nothing here needs either.
 */

const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** The pinned release (hack/versions.env), whose module holds the CRDs and the controller. */
export const certManagerVersion = (): string => pinnedVersion('CERT_MANAGER_VERSION');

/**
 * cert-manager's CRDs as its release ships them for Helm (deploy/crds), without the chart's
 * templated labels, which are not label values outside Helm.
 */
function certManagerCrds(): object[] {
  const dir = join(
    goModuleDir('github.com/cert-manager/cert-manager', certManagerVersion()),
    'deploy',
    'crds',
  );
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS()))
    .filter((crd): crd is { metadata: { labels?: unknown } } => Boolean(crd?.metadata))
    .map((crd) => ({ ...crd, metadata: { ...crd.metadata, labels: undefined } }));
}

/** Installs the CRDs on the host and waits until they are established. */
export async function installCertManagerCrds(): Promise<void> {
  const crds = certManagerCrds();
  await mustKubectl(
    'host',
    ['apply', '--server-side', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: crds }),
  );
  await mustKubectl('host', [
    'wait',
    '--for=condition=Established',
    ...crds.map((c) => `crd/${(c as { metadata: { name: string } }).metadata.name}`),
    '--timeout=60s',
  ]);
}

export interface CertManagerProcess {
  readonly child: ChildProcess;
  readonly logPath: string;
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Starts cert-manager's controller against the host (building it first if it is not built yet).
 * `clusterResourceNamespace` is where the Secrets of ClusterIssuers live (a CA's key pair).
 */
export async function startCertManager(clusterResourceNamespace: string): Promise<CertManagerProcess> {
  const build = join(REPO_ROOT, 'hack', 'build-tools.sh');
  execFileSync('bash', [build, 'cert-manager'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const dir = execFileSync('bash', [build, '--print-dir', 'cert-manager'], { encoding: 'utf8' }).trim();
  const clusters = testClusters();
  const logPath = join(clusters.stateDir, 'logs', `cert-manager-${Date.now()}.log`);
  const out = openSync(logPath, 'a');
  const metricsPort = await freePort();
  const child = spawn(
    join(dir, 'controller'),
    [
      `--kubeconfig=${clusters.host.kubeconfig}`,
      '--leader-elect=false',
      `--cluster-resource-namespace=${clusterResourceNamespace}`,
      `--metrics-listen-address=127.0.0.1:${metricsPort}`,
      '--v=2',
    ],
    { stdio: ['ignore', out, out] },
  );
  closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    logPath,
    logs: () => readFileSync(logPath, 'utf8'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
