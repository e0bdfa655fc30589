import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { freePort } from '../../hack/cluster/ports.ts';
import { testClusters, waitFor } from './clusters.ts';
import { goModuleDir, pinnedVersion } from './go-module.ts';
import { mustKubectl } from './objects.ts';

/*
 * The host's External Secrets Operator, as an admin runs it: its CRDs from the release's module, and
 * its controller (built by hack/build-tools.sh external-secrets) watching the whole host cluster. No
 * webhook and no cert-controller: the CRDs' schemas still check what is written (the webhook's extra
 * provider checks are exactly what a syncer must not rely on), and nothing here needs either.
 */

const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** The pinned release (hack/versions.env), whose module holds the CRDs and the controller. */
export const externalSecretsVersion = (): string => pinnedVersion('EXTERNAL_SECRETS_VERSION');

/**
 * The CRDs the controller runs with here (config/crds/bases, what the release's Helm chart ships):
 * ExternalSecrets and both kinds of store, and GeneratorStates, which its generator-state controller
 * watches from the start (it cannot start without them). ClusterExternalSecrets and the PushSecrets
 * are left out with their controllers (startExternalSecrets turns them off), and so are the generator
 * kinds: nothing here generates, and a tenant's generatorRef must not reach the host.
 */
const CRD_FILES = [
  'external-secrets.io_externalsecrets.yaml',
  'external-secrets.io_secretstores.yaml',
  'external-secrets.io_clustersecretstores.yaml',
  'generators.external-secrets.io_generatorstates.yaml',
];

interface Crd {
  metadata: { name: string; labels?: Record<string, string> };
}

/**
 * ESO's CRDs as its release ships them. Their only label (external-secrets.io/component) is a plain
 * value, but the chart's templated ones would not be label values outside Helm: any label whose value
 * holds a template is dropped.
 */
function externalSecretsCrds(): Crd[] {
  const dir = join(
    goModuleDir('github.com/external-secrets/external-secrets', externalSecretsVersion()),
    'config',
    'crds',
    'bases',
  );
  return CRD_FILES.flatMap((f) =>
    parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as Crd | null),
  )
    .filter((crd): crd is Crd => Boolean(crd?.metadata))
    .map((crd) => ({
      ...crd,
      metadata: {
        ...crd.metadata,
        labels: Object.fromEntries(
          Object.entries(crd.metadata.labels ?? {}).filter(([, v]) => !v.includes('{{')),
        ),
      },
    }));
}

/** Installs the CRDs on the host (server-side: the store CRDs are too big for client-side apply). */
export async function installExternalSecretsCrds(): Promise<void> {
  const crds = externalSecretsCrds();
  await mustKubectl(
    'host',
    ['apply', '--server-side', '--force-conflicts', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: crds }),
  );
  await mustKubectl('host', [
    'wait',
    '--for=condition=Established',
    ...crds.map((c) => `crd/${c.metadata.name}`),
    '--timeout=60s',
  ]);
}

export interface ExternalSecretsProcess {
  readonly child: ChildProcess;
  readonly logPath: string;
  /** Where its Prometheus metrics are served (loopback). */
  readonly metricsUrl: string;
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Starts ESO's controller against the host (building it first if it is not built yet), and waits
 * until it serves its metrics. The controller only: ExternalSecrets, SecretStores, ClusterSecretStores
 * (and the GeneratorState garbage collector, which it always runs). No webhook (the `webhook`
 * subcommand), no cert-controller (`certcontroller`), no leader election, no ClusterExternalSecret or
 * PushSecret controllers. It watches every namespace, as the chart installs it. It listens on one
 * loopback port for metrics and nothing else (no health probe address is set; the webhook server is
 * created but never started by the controller command); it dials only the host's API server: no
 * provider is contacted unless a store names it.
 */
export async function startExternalSecrets(): Promise<ExternalSecretsProcess> {
  const build = join(REPO_ROOT, 'hack', 'build-tools.sh');
  execFileSync('bash', [build, 'external-secrets'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const dir = execFileSync('bash', [build, '--print-dir', 'external-secrets'], { encoding: 'utf8' }).trim();
  const clusters = testClusters();
  const logPath = join(clusters.stateDir, 'logs', `external-secrets-${Date.now()}.log`);
  const out = openSync(logPath, 'a');
  const metricsPort = await freePort();
  const child = spawn(
    join(dir, 'external-secrets'),
    [
      '--enable-leader-election=false',
      `--metrics-addr=127.0.0.1:${metricsPort}`,
      '--enable-cluster-store-reconciler=true',
      '--enable-cluster-external-secret-reconciler=false',
      '--enable-push-secret-reconciler=false',
      '--enable-cluster-push-secret-reconciler=false',
      '--concurrent=1',
      '--loglevel=debug',
      '--zap-time-encoding=iso8601',
    ],
    // The command reads no --kubeconfig flag (controller-runtime's Go flag is not on its cobra
    // command): KUBECONFIG is how it finds the host.
    { stdio: ['ignore', out, out], env: { ...process.env, KUBECONFIG: clusters.host.kubeconfig } },
  );
  closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const metricsUrl = `http://127.0.0.1:${metricsPort}`;
  const proc: ExternalSecretsProcess = {
    child,
    logPath,
    metricsUrl,
    logs: () => readFileSync(logPath, 'utf8'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  await waitFor(
    'External Secrets Operator serving its metrics',
    async () => {
      if (exitedEarly)
        throw new Error(
          `external-secrets exited during startup; log ${logPath}:\n${proc.logs().slice(-2000)}`,
        );
      const res = await fetch(`${metricsUrl}/metrics`).catch(() => undefined);
      return res?.status === 200;
    },
    60_000,
  ).catch(async (err: unknown) => {
    await proc.stop();
    throw err;
  });
  return proc;
}
