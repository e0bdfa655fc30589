// One real node in the local host cluster, beside the kwok nodes (opt-in: VSYNC_REAL_NODE=1).
//
// containerd (Debian 1.6, overlayfs) + runc + CNI (bridge, host-local, portmap) + kubelet and kube-proxy
// (built from k8s.io/kubernetes by hack/build-tools.sh) run as managed processes of the state dir,
// with every file, socket and mount under <state>/realnode. The node is labelled
// vsyncer.dev/node-type=real and tainted vsyncer.dev/real-node=true:NoSchedule, so only pods that
// tolerate the taint (and select the label) land there. See README "Real node" for what this
// machine kind needs and why.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../cluster/ports.ts';
import {
  ComponentError,
  componentState,
  sleep,
  startComponent,
  stopComponent,
  waitReady,
  type ComponentSpec,
} from '../cluster/process.ts';

const HACK_DIR = join(import.meta.dirname, '..');
export const REAL_NODE_NAME = 'vsync-real-0';
export const REAL_NODE_LABEL = { key: 'vsyncer.dev/node-type', value: 'real' } as const;
export const REAL_NODE_TAINT = { key: 'vsyncer.dev/real-node', value: 'true', effect: 'NoSchedule' } as const;
/** Pod IPs of the real node: apart from kwok's 10.244.0.0/16 and the service range 10.96.0.0/16. */
export const REAL_POD_CIDR = '10.245.0.0/24';
/** The bridge's address (host-local's gateway): the host as the node's pods reach it (CoreDNS listens here). */
export const REAL_NODE_GATEWAY = '10.245.0.1';
const BRIDGE = 'vsync0';
const CNI_NETWORK = 'vsyncer-realnode';
/** The kubelet's cgroup root in every cgroup v1 hierarchy (and what `down` removes). */
const CGROUP_ROOT = 'vsyncer-realnode';
/** One real node per machine: kube-proxy and the CNI bridge own machine-wide iptables chains and links. */
const LOCK_FILE = '/run/vsyncer-realnode.owner';
const SNAPSHOTTER = 'overlayfs';

/** What startRealNode leaves in <state>/realnode.json for tests and people. */
export interface RealNodeInfo {
  node: string;
  label: string;
  taint: string;
  podCIDR: string;
  nodeIP: string;
  /** The host's address on the pod bridge (REAL_NODE_GATEWAY). */
  gateway: string;
  /** Image names imported into the runtime (use imagePullPolicy: Never or IfNotPresent). */
  images: { pause: string; httpserver: string; busybox: string };
  containerdSocket: string;
  crictl: string;
}

export interface RealNodeHost {
  stateDir: string;
  /** Host cluster admin kubeconfig, API server URL and CA (client certificates are signed by it). */
  kubeconfig: string;
  server: string;
  caCert: string;
  caKey: string;
  kubectl: string;
}

const dirOf = (stateDir: string) => join(stateDir, 'realnode');
const infoFile = (stateDir: string) => join(stateDir, 'realnode.json');
const specsFile = (stateDir: string) => join(dirOf(stateDir), 'components.json');

/** What a pod spec needs to land on the real node: its label selected, its taint tolerated. */
export function realNodePlacement(node: Pick<RealNodeInfo, 'label' | 'taint'>): {
  nodeSelector: Record<string, string>;
  tolerations: { key: string; operator: 'Exists'; effect: 'NoSchedule' }[];
} {
  const [labelKey, labelValue] = node.label.split('=') as [string, string];
  return {
    nodeSelector: { [labelKey]: labelValue },
    tolerations: [{ key: node.taint.split('=')[0]!, operator: 'Exists', effect: 'NoSchedule' }],
  };
}

export function readRealNodeInfo(stateDir: string): RealNodeInfo | undefined {
  if (!existsSync(infoFile(stateDir))) return undefined;
  return JSON.parse(readFileSync(infoFile(stateDir), 'utf8')) as RealNodeInfo;
}

function run(
  what: string,
  cmd: string,
  args: string[],
  opts: { log?: string; timeoutMs?: number; input?: string } = {},
): string {
  const res = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    input: opts.input,
  });
  if (opts.log)
    writeFileSync(opts.log, `$ ${cmd} ${args.join(' ')}\n${res.stdout}${res.stderr}`, { flag: 'a' });
  if (res.status !== 0) {
    const detail = (res.stderr || res.stdout || String(res.error ?? '')).trim().split('\n').pop();
    throw new ComponentError('host/realnode', `${what} failed: ${detail}`, opts.log);
  }
  return res.stdout;
}

/** Best effort: runs a command, ignores failure, returns stdout. */
function tryRun(cmd: string, args: string[], timeoutMs = 30_000): string {
  const res = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  return res.status === 0 ? res.stdout : '';
}

/** The IPv4 address of the interface holding the default route (127.0.0.1 when there is none). */
function detectNodeIP(): string {
  const routes = JSON.parse(tryRun('ip', ['-j', '-4', 'route', 'show', 'default']) || '[]') as {
    dev?: string;
  }[];
  const dev = routes[0]?.dev;
  if (!dev) return '127.0.0.1';
  const links = JSON.parse(tryRun('ip', ['-j', '-4', 'addr', 'show', 'dev', dev]) || '[]') as {
    addr_info?: { local?: string }[];
  }[];
  return links[0]?.addr_info?.[0]?.local ?? '127.0.0.1';
}

/** A key pair signed by the host CA (the API server trusts its client certificates and, for kubelets, servers). */
function issueCert(
  dir: string,
  base: string,
  subject: string,
  extensions: string,
  host: RealNodeHost,
  log: string,
) {
  const key = join(dir, `${base}.key`);
  const cert = join(dir, `${base}.crt`);
  const ext = join(dir, `${base}.ext`);
  const csr = join(dir, `${base}.csr`);
  writeFileSync(ext, extensions);
  run(
    'openssl req',
    'openssl',
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', subject],
    { log },
  );
  run(
    'openssl x509',
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      host.caCert,
      '-CAkey',
      host.caKey,
      '-CAcreateserial',
      '-out',
      cert,
      '-days',
      '365',
      '-extfile',
      ext,
    ],
    { log },
  );
  return { key, cert };
}

function kubeconfigFor(path: string, host: RealNodeHost, user: string, cred: { key: string; cert: string }) {
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: host
  cluster: {server: "${host.server}", certificate-authority: "${host.caCert}"}
users:
- name: ${user}
  user: {client-certificate: "${cred.cert}", client-key: "${cred.key}"}
contexts:
- name: ${user}
  context: {cluster: host, user: ${user}}
current-context: ${user}
`,
    { mode: 0o600 },
  );
}

/** Every cgroup v1 hierarchy mounted under /sys/fs/cgroup, and with unified, the cgroup2 one (runc uses it too). */
function cgroupHierarchies(unified = false): string[] {
  const types = unified ? ['cgroup', 'cgroup2'] : ['cgroup'];
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f.includes('-') && types.includes(f[f.indexOf('-') + 1]!))
    .map((f) => f[4]!)
    .filter((p) => p.startsWith('/sys/fs/cgroup/'));
}

/** The kubelet refuses a cgroupRoot that is missing in any hierarchy; cpuset needs cpus and mems set. */
function makeCgroupRoot(): void {
  for (const h of cgroupHierarchies()) {
    const dir = join(h, CGROUP_ROOT);
    mkdirSync(dir, { recursive: true });
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      if (existsSync(join(h, f)) && readFileSync(join(dir, f), 'utf8').trim() === '')
        writeFileSync(join(dir, f), readFileSync(join(h, f), 'utf8'));
    }
  }
}

/** Removes the kubelet's cgroup tree (depth first; only empty cgroups can go). */
function removeCgroupRoot(): void {
  const remove = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) remove(join(dir, e.name));
    try {
      rmdirSync(dir);
    } catch {
      // still has processes; the process sweep below should have ended them
    }
  };
  for (const h of cgroupHierarchies(true)) if (existsSync(join(h, CGROUP_ROOT))) remove(join(h, CGROUP_ROOT));
}

/** Processes still in the node's cgroups (containers whose shim died). */
function cgroupPids(): number[] {
  const pids = new Set<number>();
  const walk = (dir: string) => {
    try {
      for (const l of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (l) pids.add(Number(l));
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
    } catch {
      // gone meanwhile
    }
  };
  for (const h of cgroupHierarchies(true)) if (existsSync(join(h, CGROUP_ROOT))) walk(join(h, CGROUP_ROOT));
  return [...pids];
}

/** Processes whose command line names this node's containerd socket: containerd's shims. */
function shimPids(socket: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (cmd[0]?.endsWith('containerd-shim-runc-v2') && cmd.includes(socket)) pids.push(Number(p));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Mount points under dir, deepest first. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && (m === dir || m.startsWith(dir + '/')))
    .sort((a, b) => b.length - a.length);
}

/**
 * iptables state the node leaves after `kube-proxy --cleanup`: the kubelet's chains (KUBE-FIREWALL,
 * KUBE-KUBELET-CANARY, KUBE-IPTABLES-HINT, in both families) and, after a crash, the CNI bridge plugin's
 * per-pod masquerade chains (CNI-<hex>) and the rules jumping to them. Only one real node runs per machine
 * (the lock file), and nothing else here makes KUBE- or CNI- chains.
 */
function removeIptablesLeftovers(): void {
  for (const bin of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle']) {
      const lines = tryRun(bin, ['-t', table, '-S']).split('\n');
      const ours = (chain: string) => /^KUBE-/.test(chain) || /^CNI-[0-9a-f]{24}$/.test(chain);
      const chains = lines.map((l) => /^-N (\S+)$/.exec(l)?.[1]).filter((c): c is string => !!c && ours(c));
      if (chains.length === 0) continue;
      for (const rule of lines.filter((l) => l.startsWith('-A '))) {
        const [, chain, target] = /^-A (\S+) .*-j (\S+)/.exec(rule) ?? [];
        if (!chain || ours(chain) || !target || !chains.includes(target)) continue;
        // iptables -S quotes comments; split the rule back into argv, unquoting them.
        const argv = (rule.slice(3).match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? []).map((a) =>
          a.startsWith('"') ? (JSON.parse(a) as string) : a,
        );
        tryRun(bin, ['-t', table, '-D', ...argv]);
      }
      for (const chain of chains) tryRun(bin, ['-t', table, '-F', chain]);
      for (const chain of chains) tryRun(bin, ['-t', table, '-X', chain]);
    }
  }
}

function lockOwner(): string | undefined {
  try {
    return readFileSync(LOCK_FILE, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function ownerAlive(stateDir: string): boolean {
  if (!existsSync(specsFile(stateDir))) return false;
  const specs = JSON.parse(readFileSync(specsFile(stateDir), 'utf8')) as ComponentSpec[];
  return specs.some((s) => componentState(s) !== 'stopped');
}

/**
 * Starts the real node and waits until it is Ready; on failure stops what it started and throws one line.
 * One real node runs per machine: when another state dir's is running, this logs why and returns
 * undefined (a second cluster pair, e.g. the launcher test's, runs with kwok nodes only).
 */
export async function startRealNode(
  host: RealNodeHost,
  log: (line: string) => void,
): Promise<RealNodeInfo | undefined> {
  const { stateDir } = host;
  const owner = lockOwner();
  if (owner && owner !== stateDir && ownerAlive(owner)) {
    log(`real node: not started, ${owner} runs this machine's real node (one per machine)`);
    return undefined;
  }
  if (process.getuid?.() !== 0)
    throw new Error('error: host/realnode: needs root (containers, mounts, iptables)');
  await stopRealNode(stateDir); // leftovers of a crashed run
  const dir = dirOf(stateDir);
  rmSync(dir, { recursive: true, force: true });
  for (const d of ['pki', 'net.d', 'ipam', 'kubelet', 'pod-logs', 'containerd'])
    mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(LOCK_FILE, stateDir);
  try {
    return await startLocked(host, dir, log);
  } catch (err) {
    await stopRealNode(stateDir);
    throw err;
  }
}

async function startLocked(
  host: RealNodeHost,
  dir: string,
  log: (line: string) => void,
): Promise<RealNodeInfo> {
  const { stateDir } = host;
  const logs = join(stateDir, 'logs');
  const pids = join(stateDir, 'pids');
  mkdirSync(logs, { recursive: true });
  mkdirSync(pids, { recursive: true });
  const setupLog = join(logs, 'host-realnode.log');
  writeFileSync(setupLog, '');

  log('real node: installing/building what is missing (hack/realnode/prepare.sh)');
  const prep = spawnSync('bash', [join(HACK_DIR, 'realnode/prepare.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  process.stderr.write(
    prep.stderr
      .split('\n')
      .filter((l) => l && !l.startsWith('error:'))
      .map((l) => l + '\n')
      .join(''),
  );
  if (prep.status !== 0) {
    const line = prep.stderr.trim().split('\n').filter(Boolean).pop() ?? 'hack/realnode/prepare.sh failed';
    throw new Error(line.startsWith('error:') ? line : `error: host/realnode: ${line}`);
  }
  const env = Object.fromEntries(
    prep.stdout
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  ) as Record<string, string>;
  const [pause, httpserver, busybox] = env.IMAGE_NAMES!.split(',') as [string, string, string];

  const nodeIP = detectNodeIP();
  const sock = join(dir, 'containerd', 'containerd.sock');
  const ports = {
    containerdMetrics: await freePort(),
    kubelet: await freePort(),
    kubeletHealthz: await freePort(),
    proxyHealthz: await freePort(),
    proxyMetrics: await freePort(),
  };

  // containerd: private root, state, sockets and runc root; the CRI plugin with our sandbox image.
  // restrict_oom_score_adj: this sandbox has no CAP_SYS_RESOURCE, and runc fails on the kubelet's
  // oom_score_adj of -998 for sandboxes ("failed to update /proc/self/oom_score_adj: Permission denied").
  // netns_mounts_under_state_dir: pod network namespaces live under our state dir, not /var/run/netns.
  const c = join(dir, 'containerd');
  writeFileSync(
    join(c, 'config.toml'),
    `version = 2
root = "${c}/root"
state = "${c}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "${sock}"
[ttrpc]
  address = "${sock}.ttrpc"
[debug]
  address = ""
[metrics]
  address = "127.0.0.1:${ports.containerdMetrics}"
[plugins."io.containerd.internal.v1.opt"]
  path = "${c}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${pause}"
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "${SNAPSHOTTER}"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "${env.RUNC}"
        Root = "${c}/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${env.CNI_BIN_DIR}"
    conf_dir = "${dir}/net.d"
`,
  );
  writeFileSync(
    join(dir, 'net.d', '10-vsyncer.conflist'),
    JSON.stringify(
      {
        cniVersion: '1.0.0',
        name: CNI_NETWORK,
        plugins: [
          {
            type: 'bridge',
            bridge: BRIDGE,
            isGateway: true,
            ipMasq: true,
            hairpinMode: true,
            ipam: {
              type: 'host-local',
              ranges: [[{ subnet: REAL_POD_CIDR }]],
              routes: [{ dst: '0.0.0.0/0' }],
              dataDir: join(dir, 'ipam'),
            },
          },
          { type: 'portmap', capabilities: { portMappings: true } },
        ],
      },
      null,
      2,
    ),
  );

  const pki = join(dir, 'pki');
  const client = 'extendedKeyUsage=clientAuth\n';
  const kubeletCred = issueCert(
    pki,
    'kubelet',
    `/O=system:nodes/CN=system:node:${REAL_NODE_NAME}`,
    client,
    host,
    setupLog,
  );
  const proxyCred = issueCert(pki, 'kube-proxy', '/CN=system:kube-proxy', client, host, setupLog);
  // The API server checks kubelet serving certificates against the host CA (--kubelet-certificate-authority).
  const serving = issueCert(
    pki,
    'kubelet-serving',
    `/CN=${REAL_NODE_NAME}`,
    `subjectAltName=IP:${nodeIP},IP:127.0.0.1,DNS:${REAL_NODE_NAME}\nextendedKeyUsage=serverAuth\n`,
    host,
    setupLog,
  );
  kubeconfigFor(join(dir, 'kubelet.kubeconfig'), host, `system:node:${REAL_NODE_NAME}`, kubeletCred);
  kubeconfigFor(join(dir, 'kube-proxy.kubeconfig'), host, 'system:kube-proxy', proxyCred);

  // kubelet v1.37 on cgroup v1: failCgroupV1 false (it refuses v1 otherwise). containerd 1.6 has no
  // RuntimeConfig CRI call, so the kubelet takes cgroupDriver from here. The kubelet serves on the node
  // IP with a serving certificate of the host CA, and takes the API server's client certificate (host CA)
  // and, as a kubeadm kubelet does, bearer tokens (a host metrics-server's service account), each
  // caller's access reviewed by the host API server (webhook authorization).
  writeFileSync(
    join(dir, 'kubelet.yaml'),
    `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${nodeIP}
port: ${ports.kubelet}
readOnlyPort: 0
tlsCertFile: "${serving.cert}"
tlsPrivateKeyFile: "${serving.key}"
healthzBindAddress: 127.0.0.1
healthzPort: ${ports.kubeletHealthz}
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "${host.caCert}"}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
cgroupRoot: /${CGROUP_ROOT}
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://${sock}
podLogsDir: ${join(dir, 'pod-logs')}
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
registerWithTaints:
- {key: ${REAL_NODE_TAINT.key}, value: "${REAL_NODE_TAINT.value}", effect: ${REAL_NODE_TAINT.effect}}
`,
  );
  writeFileSync(
    join(dir, 'kube-proxy.yaml'),
    `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: "${join(dir, 'kube-proxy.kubeconfig')}"}
mode: iptables
clusterCIDR: ${REAL_POD_CIDR}
hostnameOverride: ${REAL_NODE_NAME}
healthzBindAddress: 127.0.0.1:${ports.proxyHealthz}
metricsBindAddress: 127.0.0.1:${ports.proxyMetrics}
nodePortAddresses: [primary]
conntrack: {maxPerCore: 0}
`,
  );

  const spec = (
    component: string,
    command: string,
    args: string[],
    port: number,
    readyUrl: string,
  ): ComponentSpec => ({
    id: `host/${component}`,
    command,
    args,
    log: join(logs, `host-${component}.log`),
    pidFile: join(pids, `host-${component}.pid`),
    port,
    readyUrl,
  });
  const containerd = spec(
    'containerd',
    env.CONTAINERD!,
    ['--config', join(c, 'config.toml')],
    ports.containerdMetrics,
    `http://127.0.0.1:${ports.containerdMetrics}/v1/metrics`,
  );
  const kubelet = spec(
    'kubelet',
    join(env.NODE_BIN_DIR!, 'kubelet'),
    [
      `--config=${join(dir, 'kubelet.yaml')}`,
      `--kubeconfig=${join(dir, 'kubelet.kubeconfig')}`,
      `--root-dir=${join(dir, 'kubelet')}`,
      `--hostname-override=${REAL_NODE_NAME}`,
      `--node-ip=${nodeIP}`,
      `--node-labels=${REAL_NODE_LABEL.key}=${REAL_NODE_LABEL.value}`,
      '--v=1',
    ],
    ports.kubelet,
    `http://127.0.0.1:${ports.kubeletHealthz}/healthz`,
  );
  const proxy = spec(
    'kube-proxy',
    join(env.NODE_BIN_DIR!, 'kube-proxy'),
    [`--config=${join(dir, 'kube-proxy.yaml')}`, '--v=1'],
    ports.proxyMetrics,
    `http://127.0.0.1:${ports.proxyMetrics}/metrics`,
  );
  const specs = [containerd, kubelet, proxy];
  writeFileSync(specsFile(stateDir), JSON.stringify(specs, null, 2));
  const kubectl = (args: string[], input?: string) =>
    run(`kubectl ${args[0]}`, host.kubectl, ['--kubeconfig', host.kubeconfig, ...args], {
      log: setupLog,
      input,
    });

  makeCgroupRoot();
  // The bridge with its gateway address before any pod (the CNI bridge plugin takes it as it is), so
  // that host processes serving pods (the virtual cluster's DNS) can bind that address at once.
  if (tryRun('ip', ['link', 'show', BRIDGE])) tryRun('ip', ['link', 'delete', BRIDGE]); // a crashed run's
  const gatewayCidr = `${REAL_NODE_GATEWAY}/${REAL_POD_CIDR.split('/')[1]}`;
  run('ip link add', 'ip', ['link', 'add', BRIDGE, 'type', 'bridge'], { log: setupLog });
  run('ip addr add', 'ip', ['addr', 'add', gatewayCidr, 'dev', BRIDGE], { log: setupLog });
  run('ip link set up', 'ip', ['link', 'set', BRIDGE, 'up'], { log: setupLog });
  // The bridge plugin turns forwarding on as well; bridged pod-to-pod Service traffic needs br_netfilter.
  for (const [key, value] of [
    ['net/ipv4/ip_forward', '1'],
    ['net/bridge/bridge-nf-call-iptables', '1'],
  ] as const) {
    try {
      writeFileSync(`/proc/sys/${key}`, value);
    } catch (err) {
      log(`real node: warning: cannot set ${key}=${value}: ${(err as Error).message}`);
    }
  }
  log('real node: starting containerd, importing images');
  startComponent(containerd);
  await waitReady(containerd, 60_000);
  for (const archive of env.IMAGES!.split(',')) {
    run(
      `ctr images import ${archive}`,
      env.CTR!,
      ['-a', sock, '-n', 'k8s.io', 'images', 'import', '--snapshotter', SNAPSHOTTER, archive],
      { log: setupLog },
    );
  }
  // RBAC only (no Node authorizer on the host): the kubelet's group gets the system:node role.
  kubectl(
    ['apply', '-f', '-'],
    `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: vsyncer-real-node}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:node}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:nodes}]
`,
  );
  log('real node: starting kubelet and kube-proxy');
  startComponent(kubelet);
  startComponent(proxy);
  await Promise.all([waitReady(kubelet, 60_000), waitReady(proxy, 60_000)]);
  const deadline = Date.now() + 90_000;
  for (;;) {
    const ready = spawnSync(
      host.kubectl,
      [
        '--kubeconfig',
        host.kubeconfig,
        'get',
        'node',
        REAL_NODE_NAME,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      ],
      { encoding: 'utf8' },
    );
    if (ready.stdout === 'True') break;
    for (const s of specs)
      if (componentState(s) === 'stopped') throw new ComponentError(s.id, 'exited during startup', s.log);
    if (Date.now() > deadline)
      throw new ComponentError('host/kubelet', `node ${REAL_NODE_NAME} not Ready after 90s`, kubelet.log);
    await sleep(500);
  }
  const info: RealNodeInfo = {
    node: REAL_NODE_NAME,
    label: `${REAL_NODE_LABEL.key}=${REAL_NODE_LABEL.value}`,
    taint: `${REAL_NODE_TAINT.key}=${REAL_NODE_TAINT.value}:${REAL_NODE_TAINT.effect}`,
    podCIDR: REAL_POD_CIDR,
    nodeIP,
    gateway: REAL_NODE_GATEWAY,
    images: { pause, httpserver, busybox },
    containerdSocket: sock,
    crictl: env.CRICTL!,
  };
  writeFileSync(infoFile(stateDir), JSON.stringify(info, null, 2));
  return info;
}

/**
 * Stops the real node of stateDir and removes what it made on the machine: pods (through the CRI, so
 * CNI tears their network down), processes, mounts under <state>/realnode, the bridge, kube-proxy's
 * and CNI's iptables rules, the kubelet's cgroups. Idempotent; a no-op for a state dir without one.
 */
export async function stopRealNode(stateDir: string): Promise<void> {
  const dir = dirOf(stateDir);
  if (!existsSync(dir)) return;
  const specs: ComponentSpec[] = existsSync(specsFile(stateDir))
    ? (JSON.parse(readFileSync(specsFile(stateDir), 'utf8')) as ComponentSpec[])
    : [];
  const byId = (id: string) => specs.find((s) => s.id === id);
  const sock = join(dir, 'containerd', 'containerd.sock');
  const proxy = byId('host/kube-proxy');
  const kubelet = byId('host/kubelet');
  const containerd = byId('host/containerd');
  await Promise.all([proxy, kubelet].map((s) => s && stopComponent(s)));
  const info = readRealNodeInfo(stateDir);
  if (containerd && componentState(containerd) === 'running' && info) {
    // Stop and remove every pod sandbox through the CRI: CNI DEL frees IPs and removes veths, rules, netns.
    tryRun(
      info.crictl,
      ['--runtime-endpoint', `unix://${sock}`, '--timeout', '20s', 'rmp', '--all', '--force'],
      60_000,
    );
  }
  if (containerd) await stopComponent(containerd);
  // What a crash can leave: shims, containers, mounts, the bridge, iptables rules, cgroups.
  for (const pid of [...shimPids(sock), ...cgroupPids()]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (let i = 0; i < 50 && (shimPids(sock).length > 0 || cgroupPids().length > 0); i++) await sleep(100);
  for (const m of mountsUnder(dir)) {
    if (spawnSync('umount', [m]).status !== 0) spawnSync('umount', ['-l', m]);
  }
  if (proxy && existsSync(proxy.command)) tryRun(proxy.command, ['--cleanup', '--v=0'], 60_000);
  removeIptablesLeftovers();
  if (tryRun('ip', ['link', 'show', BRIDGE])) tryRun('ip', ['link', 'delete', BRIDGE]);
  removeCgroupRoot();
  for (const s of specs) rmSync(s.pidFile, { force: true });
  rmSync(infoFile(stateDir), { force: true });
  if (lockOwner() === stateDir) rmSync(LOCK_FILE, { force: true });
  // Images, the containerd store and pod volumes (logs stay in <state>/logs); `up` makes them afresh.
  if (mountsUnder(dir).length === 0) rmSync(dir, { recursive: true, force: true });
}
