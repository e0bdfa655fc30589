// vCluster's own syncer (the Go binary hack/vcluster/build.sh builds) between the bench's clusters,
// so both syncers run the same scenarios on the same rig, and what the bench reads from its metrics.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Resources } from '../../src/kube/resources.ts';
import { REPO_ROOT } from '../../hack/cluster/launcher.ts';
import { freePort } from '../../hack/cluster/ports.ts';
import { counterValues, metricValue, sumBy, WRITE_VERBS, type SyncerMetrics } from './prom.ts';
import { HOST_NS, syncerHandle, VC, type Rig, type SyncerHandle } from './rig.ts';

/** client-go's request methods as the verbs vsyncer's counter uses. */
const VERB_OF_METHOD: Record<string, string> = {
  GET: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/**
 * Reads vCluster's metrics page: its API requests come from client-go's `rest_client_requests_total`
 * (by method and API server address, no resource), its reconciles from controller-runtime's
 * `controller_runtime_reconcile_total`, its memory from the Go runtime's collector. `servers` are the
 * clusters' API server URLs, to tell the host's requests from the virtual cluster's.
 */
export function vclusterMetrics(servers: { host: string; virtual: string }): SyncerMetrics {
  const clusterOf = new Map([
    [new URL(servers.host).host, 'host'],
    [new URL(servers.virtual).host, 'virtual'],
  ]);
  const requests = (text: string) =>
    counterValues(text, 'rest_client_requests_total').map(({ labels, value }) => ({
      cluster: clusterOf.get(labels.host ?? '') ?? `other ${labels.host}`,
      // A GET is a read or a watch; client-go's counter does not say which.
      verb: VERB_OF_METHOD[labels.method ?? ''] ?? (labels.method ?? '?').toLowerCase(),
      value,
    }));
  const add = (out: Record<string, number>, key: string, value: number) => {
    out[key] = (out[key] ?? 0) + value;
    return out;
  };
  const writes = (text: string) => requests(text).filter((r) => WRITE_VERBS.has(r.verb));
  return {
    writesPerCluster: (text) => writes(text).reduce((out, r) => add(out, r.cluster, r.value), {}),
    writesByVerb: (text) => writes(text).reduce((out, r) => add(out, `${r.cluster} ${r.verb}`, r.value), {}),
    requestsByVerb: (text) =>
      requests(text).reduce((out, r) => add(out, `${r.cluster} ${r.verb}`, r.value), {}),
    reconcilesByKind: (text) => sumBy(text, 'controller_runtime_reconcile_total', 'controller'),
    memory: (text) => ({
      heapUsed: metricValue(text, 'go_memstats_heap_alloc_bytes'),
      // What the Go heap holds from the OS: obtained less what it gave back.
      heapTotal:
        metricValue(text, 'go_memstats_heap_sys_bytes') -
        metricValue(text, 'go_memstats_heap_released_bytes'),
      external: 0,
    }),
  };
}

/** Runs a repo script that prints one path; the path, or an error with what the script said. */
function scriptOutput(args: string[]): string {
  const res = spawnSync('bash', args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (res.status !== 0) throw new Error(`${args.join(' ')} failed: ${res.stderr.trim()}`);
  return res.stdout.trim();
}

/**
 * What vCluster's syncer finds in its pod and the chart around it, and these clusters lack: a
 * kube-dns Service in the virtual cluster (it holds pods until that Service has an IP). Made once:
 * the syncer then gives it the host copy's IP, as it does every Service. The host Service it fronts
 * (--service-name) is the rig's own.
 */
async function prepareVirtualCluster(rig: Rig): Promise<void> {
  const exists = await rig.virtual.get(Resources.services, 'kube-system', 'kube-dns').then(
    () => true,
    () => false,
  );
  if (exists) return;
  await rig.virtual.create(Resources.services, 'kube-system', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kube-dns', namespace: 'kube-system' },
    spec: { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] },
  });
}

/**
 * Starts vCluster's syncer between the rig's clusters as its pod would run it (the host kubeconfig
 * standing in for its in-cluster credentials, the virtual cluster's CA for its proxy's flags, helm
 * on PATH as its image has), and waits until its pod controller has started its workers (caches
 * synced). Builds the binary first if it is not cached (minutes).
 */
export async function startVcluster(rig: Rig, args: readonly string[]): Promise<SyncerHandle> {
  const binary = scriptOutput(['hack/vcluster/build.sh']);
  const helmDir = scriptOutput(['hack/build-tools.sh', '--print-dir', 'helm']);
  await prepareVirtualCluster(rig);
  const [proxyPort, metricsPort] = [await freePort(), await freePort()];
  const logPath = join(rig.clusters.stateDir, `vcluster-${Date.now()}.log`);
  const pki = join(rig.clusters.stateDir, 'virtual', 'pki');
  const out = openSync(logPath, 'a');
  const child = spawn(
    binary,
    [
      'start',
      ...['--name', VC, '--target-namespace', HOST_NS, '--service-name', VC],
      ...['--kube-config', rig.clusters.virtual.kubeconfig, '--leader-elect=false'],
      ...['--bind-address', '127.0.0.1', '--port', String(proxyPort)],
      ...['--host-metrics-bind-address', `127.0.0.1:${metricsPort}`],
      ...['--request-header-ca-cert', join(pki, 'ca.crt'), '--client-ca-cert', join(pki, 'ca.crt')],
      ...['--server-ca-cert', join(pki, 'ca.crt'), '--server-ca-key', join(pki, 'ca.key')],
      ...args,
    ],
    {
      stdio: ['ignore', out, out],
      cwd: rig.clusters.stateDir,
      env: {
        ...process.env,
        KUBECONFIG: rig.clusters.host.kubeconfig,
        POD_NAME: `${VC}-0`,
        NAMESPACE: HOST_NS,
        PATH: `${helmDir}:${process.env.PATH}`,
      },
    },
  );
  closeSync(out);
  const handle = syncerHandle(
    child,
    `http://127.0.0.1:${metricsPort}`,
    logPath,
    vclusterMetrics({ host: rig.clusters.host.server, virtual: rig.clusters.virtual.server }),
  );
  // controller-runtime logs this per controller once its caches have synced.
  const podWorkersStarted = /Starting workers.*"controller":\s*"pod"/;
  const deadline = Date.now() + 120_000;
  while (!podWorkersStarted.test(readFileSync(logPath, 'utf8'))) {
    if (child.exitCode !== null) throw new Error(`vCluster's syncer exited during startup; see ${logPath}`);
    if (Date.now() > deadline) throw new Error(`vCluster's syncer not ready after 120s; see ${logPath}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  rig.syncer = handle;
  return handle;
}
