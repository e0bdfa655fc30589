import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makePki, type Pki } from './certs.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { freePort, portInUse } from './ports.ts';
import { startVirtualDns, VIRTUAL_DNS_ID } from '../realnode/dns.ts';
import { startRealNode, stopRealNode } from '../realnode/realnode.ts';
import {
  ComponentError,
  componentState,
  signalComponent,
  sleep,
  startComponent,
  stopComponent,
  waitReady,
  type ComponentSpec,
  type ComponentState,
} from './process.ts';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
/** Dual-stack service ranges (IPv4 primary), the same in both clusters: a Service keeps one IP set in both. */
export const SERVICE_CIDR = '10.96.0.0/16,fd00:10:96::/112';
export const POD_CIDR = '10.244.0.1/16';
const CLUSTERS = ['host', 'virtual'] as const;
export type ClusterName = (typeof CLUSTERS)[number];

export interface ClusterEndpoint {
  kubeconfig: string;
  server: string;
  logDir: string;
}

/** What `up` leaves in <stateDir>/clusters.json for tests, scripts and people. */
export interface ClusterInfo {
  stateDir: string;
  host: ClusterEndpoint;
  virtual: ClusterEndpoint;
  kubectl: string;
  binDirs: { kubernetes: string; etcd: string; kwok: string };
  nodes: string[];
  /** What kwok's simulated kubelet serves for every host pod (logs, previous logs, the exec working dir). */
  simulatedKubelet: SimulatedKubelet;
  /** Files a syncer needs to serve the virtual nodes' kubelet API that the virtual API server trusts. */
  virtualKubelet: { certFile: string; keyFile: string; clientCaFile: string };
}

export interface SimulatedKubelet {
  logsFile: string;
  previousLogsFile: string;
  /** Exec runs here, on this machine, as user nobody (kwok's simulation of a container). */
  execDir: string;
}

export interface StartOptions {
  stateDir: string;
  nodes?: number;
  /** When this process exits, a reaper stops the clusters (test runs). */
  ownerPid?: number;
  log?: (line: string) => void;
}

const componentsFile = (stateDir: string) => join(stateDir, 'components.json');
const infoFile = (stateDir: string) => join(stateDir, 'clusters.json');

function buildTools(): ClusterInfo['binDirs'] {
  const build = spawnSync('bash', [join(REPO_ROOT, 'hack/build-tools.sh'), 'kubernetes', 'etcd', 'kwok'], {
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
  });
  if (build.status !== 0) {
    const line =
      (build.stderr ?? '').trim().split('\n').filter(Boolean).pop() ?? 'hack/build-tools.sh failed';
    throw new Error(line.startsWith('error:') ? line : `error: build: ${line}`);
  }
  process.stderr.write(build.stderr ?? '');
  const dir = (c: string) =>
    execFileSync('bash', [join(REPO_ROOT, 'hack/build-tools.sh'), '--print-dir', c], {
      encoding: 'utf8',
    }).trim();
  return { kubernetes: dir('kubernetes'), etcd: dir('etcd'), kwok: dir('kwok') };
}

/** A port for a component: VSYNC_<CLUSTER>_<COMPONENT>_PORT pins one (and must be free), else any free port. */
async function portFor(id: string, log: string): Promise<number> {
  const envName = `VSYNC_${id.replace(/[/-]/g, '_').toUpperCase()}_PORT`;
  const pinned = process.env[envName];
  if (pinned) {
    const port = Number(pinned);
    if (await portInUse(port))
      throw new ComponentError(id, `port ${port} (from ${envName}) is already in use`, log);
    return port;
  }
  return freePort();
}

export function readComponents(stateDir: string): Record<string, ComponentSpec> {
  if (!existsSync(componentsFile(stateDir))) return {};
  return JSON.parse(readFileSync(componentsFile(stateDir), 'utf8')) as Record<string, ComponentSpec>;
}

function saveComponents(stateDir: string, specs: Record<string, ComponentSpec>): void {
  writeFileSync(componentsFile(stateDir), JSON.stringify(specs, null, 2));
}

export function readClusterInfo(stateDir: string): ClusterInfo {
  if (!existsSync(infoFile(stateDir)))
    throw new Error(`no clusters in ${stateDir} (run: node hack/cluster/cli.ts up)`);
  return JSON.parse(readFileSync(infoFile(stateDir), 'utf8')) as ClusterInfo;
}

interface ClusterPlan {
  name: ClusterName;
  dir: string;
  pki: Pki;
  kubeconfig: string;
  specs: ComponentSpec[];
  server: string;
}

async function planCluster(
  stateDir: string,
  name: ClusterName,
  bins: ClusterInfo['binDirs'],
): Promise<ClusterPlan> {
  const dir = join(stateDir, name);
  const logs = join(stateDir, 'logs');
  const pids = join(stateDir, 'pids');
  mkdirSync(logs, { recursive: true });
  mkdirSync(pids, { recursive: true });
  const pki = makePki(join(dir, 'pki'), `${name}-admin`);
  const kubeconfig = join(stateDir, `${name}.kubeconfig`);
  const spec = async (
    component: string,
    command: string,
    args: (port: number) => string[],
    ready: (port: number) => string,
    tls?: ComponentSpec['tls'],
  ): Promise<ComponentSpec> => {
    const id = `${name}/${component}`;
    const log = join(logs, `${name}-${component}.log`);
    const port = await portFor(id, log);
    // VSYNC_<CLUSTER>_<COMPONENT>_EXTRA_ARGS adds flags to one component (debugging, fault tests).
    const extraArgs = process.env[`VSYNC_${id.replace(/[/-]/g, '_').toUpperCase()}_EXTRA_ARGS`];
    return {
      id,
      command,
      args: [...args(port), ...(extraArgs?.split(' ').filter(Boolean) ?? [])],
      log,
      pidFile: join(pids, `${name}-${component}.pid`),
      port,
      readyUrl: ready(port),
      tls,
    };
  };
  const k8s = (b: string) => join(bins.kubernetes, b);
  const peerPort = await freePort();
  const etcd = await spec(
    'etcd',
    join(bins.etcd, 'etcd'),
    (port) => [
      '--name=default',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${port}`,
      `--advertise-client-urls=http://127.0.0.1:${port}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    (port) => `http://127.0.0.1:${port}/health`,
  );
  const apiserver = await spec(
    'kube-apiserver',
    k8s('kube-apiserver'),
    (port) => [
      `--etcd-servers=http://127.0.0.1:${etcd.port}`,
      // With the real node, its pods reach both API servers on the bridge: the virtual one through
      // the host Service <vc>, the host one through `kubernetes` (in-cluster credentials, as the
      // chart's syncer uses them).
      `--bind-address=${process.env.VSYNC_REAL_NODE === '1' ? '0.0.0.0' : '127.0.0.1'}`,
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      '--authorization-mode=RBAC',
      '--endpoint-reconciler-type=none',
      '--allow-privileged=true',
      '--enable-priority-and-fairness=false',
      // Kubelets (kwok's on the host, the syncer's for the virtual nodes) are reached at their
      // InternalIP on loopback, with a serving certificate of this cluster's CA.
      `--kubelet-client-certificate=${pki.kubeletClientCert}`,
      `--kubelet-client-key=${pki.kubeletClientKey}`,
      `--kubelet-certificate-authority=${pki.caCert}`,
      '--kubelet-preferred-address-types=InternalIP,Hostname',
      // Aggregated APIs (the syncer's metrics API, a tenant's metrics-server): the front proxy's
      // identity, and the headers it passes the caller's in.
      `--requestheader-client-ca-file=${pki.caCert}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${pki.frontProxyClientCert}`,
      `--proxy-client-key-file=${pki.frontProxyClientKey}`,
      '--v=1',
    ],
    (port) => `https://127.0.0.1:${port}/readyz`,
    { ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey },
  );
  const server = `https://127.0.0.1:${apiserver.port}`;
  // The virtual cluster has no nodes: no node lifecycle (it would evict pods from the syncer's
  // nodes), no node IPAM. Nor, as the chart starts it (and vCluster), the volume binder, attach-detach
  // and expander: volumes are bound, attached and resized on the host, and the syncer shows the
  // binding. The host keeps the controllers a real cluster runs.
  // What kube-controller-manager and kube-scheduler share: admin access, loopback serving.
  const controlPlaneClientArgs = (port: number, certDir: string) => [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, certDir)}`,
    '--leader-elect=false',
    '--v=1',
  ];
  const controllers =
    name === 'virtual'
      ? '*,-nodeipam,-nodelifecycle,-ttl,-bootstrapsigner,-tokencleaner,-persistentvolume-binder,-attachdetach,-persistentvolume-expander'
      : '*,-nodeipam,-bootstrapsigner,-tokencleaner';
  const kcm = await spec(
    'kube-controller-manager',
    k8s('kube-controller-manager'),
    (port) => [
      ...controlPlaneClientArgs(port, 'kcm-certs'),
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      `--controllers=${controllers}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--use-service-account-credentials=false',
      '--concurrent-gc-syncs=5',
    ],
    (port) => `https://127.0.0.1:${port}/healthz`,
    { insecure: true },
  );
  const specs = [etcd, apiserver, kcm];
  if (name === 'host') {
    specs.push(
      await spec(
        'kube-scheduler',
        k8s('kube-scheduler'),
        (port) => controlPlaneClientArgs(port, 'scheduler-certs'),
        (port) => `https://127.0.0.1:${port}/healthz`,
        { insecure: true },
      ),
      await spec(
        'kwok',
        join(bins.kwok, 'kwok'),
        (port) => [
          `--kubeconfig=${kubeconfig}`,
          '--manage-all-nodes=false',
          '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
          `--cidr=${POD_CIDR}`,
          // The nodes' kubelet is kwok's own server: logs, exec, attach and port-forward of host pods.
          '--node-ip=127.0.0.1',
          `--node-port=${port}`,
          `--server-address=127.0.0.1:${port}`,
          `--tls-cert-file=${pki.kubeletServingCert}`,
          `--tls-private-key-file=${pki.kubeletServingKey}`,
          ...['node-initialize', 'node-heartbeat', 'pod-ready', 'pod-complete', 'pod-delete'].map(
            (s) => `--config=${join(bins.kwok, 'stages', `${s}.yaml`)}`,
          ),
          `--config=${writeSimulatedKubelet(stateDir, simulatedKubeletOf(stateDir))}`,
          `--config=${writeSyncedCompletionStages(stateDir)}`,
        ],
        (port) => `https://127.0.0.1:${port}/healthz`,
        { insecure: true },
      ),
    );
  }
  return { name, dir, pki, kubeconfig, specs, server };
}

/** One line of a container log file as the kubelet stores it (CRI format), which kwok parses. */
export function criLogLine(text: string, stream: 'stdout' | 'stderr' = 'stdout'): string {
  return `${new Date().toISOString()} ${stream} F ${text}\n`;
}

/** Where kwok's simulated kubelet keeps what it serves, in the state dir. */
function simulatedKubeletOf(stateDir: string): SimulatedKubelet {
  const dir = join(stateDir, 'host', 'kwok');
  return {
    logsFile: join(dir, 'container.log'),
    previousLogsFile: join(dir, 'container-previous.log'),
    execDir: join(dir, 'exec'),
  };
}

/**
 * kwok's configuration of what its kubelet server answers for every pod: a log file (followable),
 * exec of local commands in a scratch directory as user nobody, attach to the log, and port-forward
 * to `cat` (an echo). Returns the file's path.
 */
function writeSimulatedKubelet(stateDir: string, sim: SimulatedKubelet): string {
  mkdirSync(sim.execDir, { recursive: true, mode: 0o777 });
  chmodSync(sim.execDir, 0o777);
  // User nobody must reach the exec dir: let others traverse (not list) its parents up to the state
  // dir, which test runs make private (mkdtemp's 0700).
  for (let dir = dirname(sim.execDir); dir.startsWith(stateDir); dir = dirname(dir)) {
    chmodSync(dir, statSync(dir).mode | 0o001);
    if (dir === stateDir) break;
  }
  if (!existsSync(sim.logsFile)) writeFileSync(sim.logsFile, criLogLine('simulated container log: started'));
  if (!existsSync(sim.previousLogsFile))
    writeFileSync(sim.previousLogsFile, criLogLine('simulated container log: previous instance'));
  const file = join(dirname(sim.logsFile), 'kubelet.yaml');
  writeFileSync(
    file,
    `apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata: {name: all-pods}
spec:
  logs:
  - logsFile: ${JSON.stringify(sim.logsFile)}
    previousLogsFile: ${JSON.stringify(sim.previousLogsFile)}
    follow: true
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterExec
metadata: {name: all-pods}
spec:
  execs:
  - local:
      workDir: ${JSON.stringify(sim.execDir)}
      securityContext: {runAsUser: 65534, runAsGroup: 65534}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterAttach
metadata: {name: all-pods}
spec:
  attaches:
  - logsFile: ${JSON.stringify(sim.logsFile)}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterPortForward
metadata: {name: all-pods}
spec:
  forwards:
  - command: [cat]
`,
  );
  return file;
}

/**
 * kwok stages that finish host copies of a tenant's pods that run to completion. kwok's own
 * pod-complete stage picks pods a Job owns, but a host copy has no owner (its Job is in the virtual
 * cluster), so without these a tenant's Jobs, and the Helm hooks of the charts they install, would
 * run forever. A Job pod's copy keeps the Job controller's `batch.kubernetes.io/job-name` label; a
 * Helm hook that is a bare pod (`helm test`'s pods) keeps its `helm.sh/hook` annotation. The
 * managed-by label limits the stages to pods the syncer made. Each waits a second so that the pod
 * is seen Running first.
 */
function writeSyncedCompletionStages(stateDir: string): string {
  const file = join(stateDir, 'host', 'kwok', 'synced-job-pod-complete.yaml');
  mkdirSync(dirname(file), { recursive: true });
  const stage = (name: string, marker: string) => `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: ${name}}
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - {key: '.metadata.deletionTimestamp', operator: DoesNotExist}
    - {key: '.status.phase', operator: In, values: [Running]}
    - {key: '${marker}', operator: Exists}
    - {key: '.metadata.labels["vcluster.loft.sh/managed-by"]', operator: Exists}
  delay: {durationMilliseconds: 1000}
  next:
    statusTemplate: |
      {{ $now := Now }}
      phase: Succeeded
      containerStatuses:
      {{ range .spec.containers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        ready: false
        started: false
        restartCount: 0
        state:
          terminated: {exitCode: 0, reason: Completed, startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }}}
      {{ end }}
`;
  writeFileSync(
    file,
    [
      stage('vsyncer-synced-job-pod-complete', '.metadata.labels["batch.kubernetes.io/job-name"]'),
      stage('vsyncer-synced-hook-pod-complete', '.metadata.annotations["helm.sh/hook"]'),
    ].join('---\n'),
  );
  return file;
}

function kubectl(
  info: Pick<ClusterInfo, 'kubectl'>,
  kubeconfig: string,
  args: string[],
  input?: string,
): { code: number; stdout: string; stderr: string } {
  const res = spawnSync(info.kubectl, ['--kubeconfig', kubeconfig, ...args], {
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: res.status ?? 1, stdout: res.stdout ?? '', stderr: res.stderr ?? '' };
}

async function waitUntil(what: string, fn: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`error: ${what}: not reached after ${timeoutMs / 1000}s`);
    await sleep(500);
  }
}

/**
 * A kwok node as a kubelet reports one: ephemeral storage included, which charts request (Bitnami's
 * resource presets do), and without which the host's scheduler finds no room for their pods.
 */
function nodeManifest(name: string): string {
  return `apiVersion: v1
kind: Node
metadata:
  name: ${name}
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {type: kwok, kubernetes.io/hostname: ${name}, kubernetes.io/os: linux, kubernetes.io/arch: amd64}
spec: {}
status:
  allocatable: {cpu: "32", memory: 256Gi, ephemeral-storage: 500Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, ephemeral-storage: 500Gi, pods: "110"}
`;
}

/** Starts a host and a virtual cluster in stateDir; on any failure stops what it started and throws a one-line error. */
export async function startClusters(opts: StartOptions): Promise<ClusterInfo> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const stateDir = opts.stateDir;
  mkdirSync(stateDir, { recursive: true });
  if (Object.values(readComponents(stateDir)).some((s) => componentState(s) !== 'stopped')) {
    throw new Error(`error: clusters: ${stateDir} already has running components (run 'down' first)`);
  }
  const bins = buildTools();
  const started: ComponentSpec[] = [];
  try {
    const plans = await Promise.all(CLUSTERS.map((c) => planCluster(stateDir, c, bins)));
    const all = Object.fromEntries(plans.flatMap((p) => p.specs).map((s) => [s.id, s]));
    saveComponents(stateDir, all);
    const info: ClusterInfo = {
      stateDir,
      host: { kubeconfig: plans[0]!.kubeconfig, server: plans[0]!.server, logDir: join(stateDir, 'logs') },
      virtual: { kubeconfig: plans[1]!.kubeconfig, server: plans[1]!.server, logDir: join(stateDir, 'logs') },
      kubectl: join(bins.kubernetes, 'kubectl'),
      binDirs: bins,
      nodes: Array.from({ length: opts.nodes ?? 3 }, (_, i) => `kwok-node-${i}`),
      simulatedKubelet: simulatedKubeletOf(stateDir),
      virtualKubelet: {
        certFile: plans[1]!.pki.kubeletServingCert,
        keyFile: plans[1]!.pki.kubeletServingKey,
        clientCaFile: plans[1]!.pki.caCert,
      },
    };
    for (const p of plans) writeKubeconfig(p.kubeconfig, p.name, p.server, p.pki);
    if (opts.ownerPid) startReaper(stateDir, opts.ownerPid);
    const launch = async (specs: ComponentSpec[], timeoutMs: number) => {
      for (const s of specs) {
        startComponent(s);
        started.push(s);
      }
      await Promise.all(specs.map((s) => waitReady(s, timeoutMs)));
    };
    const byComponent = (c: string) => plans.flatMap((p) => p.specs.filter((s) => s.id.endsWith(`/${c}`)));
    log('starting etcd (host, virtual)');
    await launch(byComponent('etcd'), 60_000);
    log('starting kube-apiserver (host, virtual)');
    await launch(byComponent('kube-apiserver'), 120_000);
    log('starting controllers, scheduler and kwok');
    await launch(
      [...byComponent('kube-controller-manager'), ...byComponent('kube-scheduler'), ...byComponent('kwok')],
      120_000,
    );
    const nodes = kubectl(
      info,
      info.host.kubeconfig,
      ['apply', '-f', '-'],
      info.nodes.map(nodeManifest).join('---\n'),
    );
    if (nodes.code !== 0) throw new Error(`error: host/kwok: creating nodes failed: ${nodes.stderr.trim()}`);
    // kwok fills a node's kubelet address only when it has none: nodes kept from an earlier run of
    // this state dir would still point at that run's kubelet port.
    const kwokPort = plans[0]!.specs.find((spec) => spec.id === 'host/kwok')!.port;
    for (const node of info.nodes) {
      const endpoint = {
        status: {
          addresses: [
            { type: 'InternalIP', address: '127.0.0.1' },
            { type: 'Hostname', address: node },
          ],
          daemonEndpoints: { kubeletEndpoint: { Port: kwokPort } },
        },
      };
      const res = kubectl(info, info.host.kubeconfig, [
        'patch',
        'node',
        node,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify(endpoint),
      ]);
      if (res.code !== 0)
        throw new Error(`error: host/kwok: pointing ${node} at kwok failed: ${res.stderr.trim()}`);
    }
    await waitUntil(
      `host: ${info.nodes.length} Ready kwok nodes`,
      () => {
        const res = kubectl(info, info.host.kubeconfig, [
          'get',
          'nodes',
          '-o',
          'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
        ]);
        return (
          res.code === 0 && res.stdout.split('\n').filter((l) => l === 'True').length >= info.nodes.length
        );
      },
      120_000,
    );
    for (const c of CLUSTERS) {
      await waitUntil(
        `${c}: default service account`,
        () =>
          kubectl(info, info[c].kubeconfig, ['get', 'serviceaccount', 'default', '-n', 'default']).code === 0,
        120_000,
      );
    }
    // Opt-in: a real kubelet node beside the kwok ones (hack/realnode; its info in <state>/realnode.json).
    if (process.env.VSYNC_REAL_NODE === '1') {
      const { caCert, caKey } = plans[0]!.pki;
      const node = await startRealNode({ stateDir, ...info.host, caCert, caKey, kubectl: info.kubectl }, log);
      // ... and the virtual cluster's DNS where that node's pods reach it (hack/realnode/dns.ts).
      if (node) {
        pointKubernetesServiceAt(info, node.gateway);
        const dnsOpts = { stateDir, bindIP: node.gateway, virtualKubeconfig: info.virtual.kubeconfig };
        const dns = await startVirtualDns(
          { ...dnsOpts, readyPort: await freePort(), kubectl: info.kubectl },
          log,
        ).catch(async (err: unknown) => {
          await stopRealNode(stateDir);
          throw err;
        });
        started.push(dns);
        saveComponents(stateDir, { ...all, [dns.id]: dns });
      }
    }
    writeFileSync(infoFile(stateDir), JSON.stringify(info, null, 2));
    return info;
  } catch (err) {
    for (const s of started.reverse()) await stopComponent(s, 2000);
    throw err;
  }
}

/**
 * The host's `kubernetes` Service as the real node's pods reach it: its API server listens on every
 * address, and the node's pods see the host on the bridge. The API server's own endpoint reconciler
 * is off (it would advertise 127.0.0.1, the pod itself), so the endpoints are written here; the
 * EndpointSlice that kube-proxy reads is mirrored from them by the controller manager.
 */
function pointKubernetesServiceAt(info: ClusterInfo, address: string): void {
  const endpoints = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default' },
    subsets: [
      {
        addresses: [{ ip: address }],
        ports: [{ name: 'https', port: Number(new URL(info.host.server).port), protocol: 'TCP' }],
      },
    ],
  };
  const res = kubectl(info, info.host.kubeconfig, ['apply', '-f', '-'], JSON.stringify(endpoints));
  if (res.code !== 0)
    throw new Error(
      `error: host: pointing the kubernetes Service at ${address} failed: ${res.stderr.trim()}`,
    );
}

/** A detached watcher that runs `down` for stateDir once ownerPid has exited. */
function startReaper(stateDir: string, ownerPid: number): void {
  const node = process.execPath;
  const cli = join(REPO_ROOT, 'hack/cluster/cli.ts');
  const script = `while kill -0 ${ownerPid} 2>/dev/null; do sleep 1; done; exec "${node}" "${cli}" down --state-dir "${stateDir}"`;
  const child = spawn('bash', ['-c', script], { detached: true, stdio: 'ignore' });
  child.unref();
  writeFileSync(join(stateDir, 'reaper.pid'), String(child.pid));
}

/**
 * Removes what stopped clusters stored: their data stores and certificates, over 100 MB a run. The
 * logs (a few hundred KB) stay for reading a failure afterwards.
 */
export function removeClusterData(stateDir: string): void {
  for (const cluster of ['host', 'virtual'])
    rmSync(join(stateDir, cluster), { recursive: true, force: true });
}

/** Stops every component of stateDir (and its reaper); leaves no process behind. Idempotent. */
export async function stopClusters(stateDir: string): Promise<void> {
  const reaper = join(stateDir, 'reaper.pid');
  if (existsSync(reaper)) {
    const pid = Number(readFileSync(reaper, 'utf8'));
    if (pid && pid !== process.pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(reaper, { force: true });
  }
  const specs = Object.values(readComponents(stateDir));
  await Promise.all(specs.filter((s) => s.id === VIRTUAL_DNS_ID).map((s) => stopComponent(s)));
  await stopRealNode(stateDir); // a no-op unless VSYNC_REAL_NODE=1 started one
  // Stop the clients before the servers so nothing logs a storm of connection errors.
  const order = ['kwok', 'kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd'];
  for (const component of order) {
    await Promise.all(specs.filter((s) => s.id.endsWith(`/${component}`)).map((s) => stopComponent(s)));
  }
}

export type ComponentAction = 'stop' | 'kill' | 'pause' | 'resume' | 'start' | 'restart';

/** Fault injection on one component, e.g. ('host/kube-apiserver', 'kill'). `start` reuses its flags and ports. */
export async function controlComponent(stateDir: string, id: string, action: ComponentAction): Promise<void> {
  const spec = readComponents(stateDir)[id];
  if (!spec)
    throw new Error(
      `error: ${id}: no such component in ${stateDir} (known: ${Object.keys(readComponents(stateDir)).join(', ')})`,
    );
  switch (action) {
    case 'stop':
      return stopComponent(spec);
    case 'kill':
      signalComponent(spec, 'SIGKILL');
      while (componentState(spec) !== 'stopped') await sleep(50);
      return;
    case 'pause':
      signalComponent(spec, 'SIGSTOP');
      return;
    case 'resume':
      signalComponent(spec, 'SIGCONT');
      return;
    case 'restart':
      await stopComponent(spec);
      return controlComponent(stateDir, id, 'start');
    case 'start':
      if (componentState(spec) !== 'stopped') return;
      startComponent(spec);
      return waitReady(spec, 120_000);
  }
}

export function clusterStatus(
  stateDir: string,
): { id: string; pid?: number; state: ComponentState; port: number }[] {
  return Object.values(readComponents(stateDir)).map((s) => ({
    id: s.id,
    state: componentState(s),
    port: s.port,
    pid: existsSync(s.pidFile) ? Number(readFileSync(s.pidFile, 'utf8')) : undefined,
  }));
}
