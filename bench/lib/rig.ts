import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostNamespaceManifest } from '../../hack/cluster/host-namespace.ts';
import { REPO_ROOT, startClusters, stopClusters, type ClusterInfo } from '../../hack/cluster/launcher.ts';
import { freePort } from '../../hack/cluster/ports.ts';
import { syncerEnvironment, syncerNodeFlags } from '../../hack/node-flags.ts';
import { loadKubeConfig } from '../../src/kube/kubeconfig.ts';
import { RestClient } from '../../src/kube/rest-client.ts';
import { vsyncerMetrics, type SyncerMetrics } from './prom.ts';

export const VC = 'bench';
export const HOST_NS = 'vc-bench';

/** Fresh host and virtual clusters (the host with kwok nodes), and optionally the built syncer between them. */
export interface Rig {
  clusters: ClusterInfo;
  host: RestClient;
  virtual: RestClient;
  kubectl(cluster: 'host' | 'virtual', args: string[], input?: string): string;
  syncer?: SyncerHandle;
  stop(): Promise<void>;
}

/** A running syncer (vsyncer, or vCluster's in vcluster.ts): its process, log and metrics page. */
export interface SyncerHandle {
  child: ChildProcess;
  metricsUrl: string;
  logPath: string;
  /** How to read what this syncer's metrics page says. */
  reader: SyncerMetrics;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

/** A client for the bench's own requests: no client-side limit, so only the API server paces it. */
function benchClient(name: 'host' | 'virtual', kubeconfig: string): RestClient {
  return new RestClient({
    name,
    kubeConfig: loadKubeConfig(kubeconfig, name),
    qps: 100_000,
    burst: 100_000,
    requestTimeoutMs: 60_000,
    maxInFlight: 8,
  });
}

/** Starts fresh clusters in a temporary directory and prepares the host namespace as the chart would. */
/**
 * With VSYNC_BENCH_KEEP_LOGS=<dir>, the syncers' logs of each rig are copied there before its state
 * dir goes (to read what a round's syncer did, e.g. with `"--syncer-args=--log-level debug"`).
 */
function keepSyncerLogs(stateDir: string): void {
  const keep = process.env.VSYNC_BENCH_KEEP_LOGS;
  if (!keep) return;
  mkdirSync(keep, { recursive: true });
  for (const name of readdirSync(stateDir).filter((n) => /^syncer-\d+\.log$/.test(n)))
    copyFileSync(join(stateDir, name), join(keep, name));
}

export async function startRig(opts: { nodes: number; log: (line: string) => void }): Promise<Rig> {
  const stateDir = mkdtempSync(join(tmpdir(), 'vsyncer-bench-'));
  const clusters = await startClusters({ stateDir, nodes: opts.nodes, ownerPid: process.pid, log: opts.log });
  const kubectl = (cluster: 'host' | 'virtual', args: string[], input?: string) => {
    const res = spawnSync(clusters.kubectl, ['--kubeconfig', clusters[cluster].kubeconfig, ...args], {
      input,
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    });
    if (res.status !== 0) throw new Error(`kubectl ${args.join(' ')} on ${cluster}: ${res.stderr}`);
    return res.stdout;
  };
  kubectl('host', ['apply', '-f', '-'], hostNamespaceManifest(VC, HOST_NS));
  const rig: Rig = {
    clusters,
    host: benchClient('host', clusters.host.kubeconfig),
    virtual: benchClient('virtual', clusters.virtual.kubeconfig),
    kubectl,
    async stop() {
      await rig.syncer?.stop();
      await stopClusters(stateDir);
      keepSyncerLogs(stateDir);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return rig;
}

/** Which virtual cluster and host namespace, and the clusters' kubeconfigs: `vsyncer start` and `check` share them. */
export function placementArgs(rig: Rig): string[] {
  return [
    ...['--name', VC, '--host-namespace', HOST_NS],
    ...['--host-kubeconfig', rig.clusters.host.kubeconfig],
    ...['--virtual-kubeconfig', rig.clusters.virtual.kubeconfig],
    ...['--cluster-dns-ip', '10.96.0.10'],
  ];
}

/** A handle on a syncer process just spawned: its metrics page at metricsUrl, read with reader. */
export function syncerHandle(
  child: ChildProcess,
  metricsUrl: string,
  logPath: string,
  reader: SyncerMetrics,
): SyncerHandle {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    metricsUrl,
    logPath,
    reader,
    metrics: async () => (await fetch(`${metricsUrl}/metrics`)).text(),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs the built syncer (dist/cmd/vsyncer.js) between the rig's clusters and waits until it is ready. */
export async function startSyncer(
  rig: Rig,
  args: readonly string[],
  nodeArgs: readonly string[] = [],
): Promise<SyncerHandle> {
  const port = await freePort();
  const logPath = join(rig.clusters.stateDir, `syncer-${Date.now()}.log`);
  const out = openSync(logPath, 'a');
  const child = spawn(
    process.execPath,
    [
      // As the image runs it (Dockerfile ENTRYPOINT); --node-args come after and may override it.
      ...syncerNodeFlags(),
      ...nodeArgs,
      join(REPO_ROOT, 'dist/cmd/vsyncer.js'),
      'start',
      ...placementArgs(rig),
      '--metrics-bind-address',
      `127.0.0.1:${port}`,
      ...args,
    ],
    // The image's environment too (its malloc arenas); the bench's own environment can override it.
    {
      stdio: ['ignore', out, out],
      cwd: rig.clusters.stateDir,
      env: { ...syncerEnvironment(), ...process.env },
    },
  );
  closeSync(out);
  const handle = syncerHandle(child, `http://127.0.0.1:${port}`, logPath, vsyncerMetrics);
  const { metricsUrl } = handle;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`syncer exited during startup; see ${logPath}`);
    const ok = await fetch(`${metricsUrl}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`syncer not ready after 60s; see ${logPath}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  rig.syncer = handle;
  return handle;
}
