import { ConfigError, placementOf, type SyncerConfig } from '../config/config.ts';
import type { CliIO, CheckOutput } from '../cli/program.ts';
import type { ClusterClient } from '../kube/client.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { builtinKinds } from '../translators/index.ts';
import { createLogger } from '../util/log.ts';
import { agrees, checkClusters } from './check.ts';
import { readOnlyRestClient } from './read-only.ts';
import { formatTable, toJson } from './report.ts';

/** Exit codes of `vsyncer check`. */
export const CHECK_AGREE = 0;
export const CHECK_DIFFER = 1;
export const CHECK_ERROR = 2;

/**
 * `vsyncer check`: builds the enabled kinds exactly as `start` would, reads both clusters through
 * clients that refuse every write, prints the report and says by its exit code whether they agree.
 */
export async function runCheck(
  config: SyncerConfig,
  output: CheckOutput,
  io: CliIO,
  /** Tests pass in-memory clusters; otherwise read-only REST clients from the kubeconfigs. */
  clients?: { host: ClusterClient; virtual: ClusterClient },
  /** Only these virtual namespaces (`--namespace`); empty: the whole virtual cluster. */
  namespaces: readonly string[] = [],
): Promise<number> {
  // Kinds and informers log as they would in the syncer; only problems are worth showing here.
  const logger = createLogger({
    level: config.logLevel === 'debug' ? 'debug' : 'error',
    format: config.logFormat,
  });
  const registry = builtinKinds(config.customResources, config.hostGateways);
  let kinds;
  try {
    const enabled = registry.enabledKinds(config.sync, config as unknown as Record<string, unknown>);
    kinds = registry.build(enabled, config as unknown as Record<string, unknown>, placementOf(config));
  } catch (err) {
    throw new ConfigError('--sync', (err as Error).message);
  }
  const { host, virtual } = clients ?? readOnlyClients(config);
  let report;
  try {
    report = await checkClusters({
      kinds,
      vcName: config.name,
      hostNamespace: config.hostNamespace,
      virtual,
      host,
      logger,
      namespaces,
    });
  } catch (err) {
    // Whatever stopped the comparison (an API server down or refusing a list), the answer is unknown:
    // never 1, which would claim the clusters differ.
    io.err(`error: cannot check the clusters: ${(err as Error).message}\n`);
    return CHECK_ERROR;
  }
  io.out(output === 'json' ? JSON.stringify(toJson(report), null, 2) + '\n' : formatTable(report));
  return agrees(report) ? CHECK_AGREE : CHECK_DIFFER;
}

/** Both clusters' clients from the kubeconfigs, each refusing every write. */
function readOnlyClients(config: SyncerConfig): { host: ClusterClient; virtual: ClusterClient } {
  const common = { requestTimeoutMs: config.requestTimeoutMs };
  return {
    host: readOnlyRestClient({
      name: 'host',
      kubeConfig: loadKubeConfig(config.hostKubeconfig, 'host'),
      qps: config.hostQps,
      burst: config.hostBurst,
      ...common,
    }),
    virtual: readOnlyRestClient({
      name: 'virtual',
      kubeConfig: loadKubeConfig(config.virtualKubeconfig, 'virtual'),
      qps: config.virtualQps,
      burst: config.virtualBurst,
      ...common,
    }),
  };
}
