// The Helm chart installed for real on the local host cluster's real node (hack/realnode): the
// images it needs, built here and imported into the node's runtime, the values that point the
// chart at them, and the tenant's view through the kubeconfig the syncer exports. Shared by
// e2e/chart-install.test.ts and bench/chart-startup.ts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { freePort } from '../../hack/cluster/ports.ts';
import { REPO_ROOT } from '../../hack/cluster/launcher.ts';
import { realNodePlacement, type RealNodeInfo } from '../../hack/realnode/realnode.ts';
import { runCommand, type CommandResult } from './clusters.ts';

export const CHART_DIR = join(REPO_ROOT, 'charts/vsyncer');
/** A storage class no provisioner serves: the test's own hostPath volume is the only one it binds. */
export const LOCAL_STORAGE_CLASS = 'vsyncer-chart-local';

/** Where the host cluster is and how to reach it. */
export interface HostAccess {
  kubectl: string;
  kubeconfig: string;
  stateDir: string;
}

export interface ChartImages {
  syncer: string;
  controlPlane: string;
  /** A tenant's metrics-server (hack/image/metrics-server.sh), for kubectl top in the virtual cluster. */
  metricsServer: string;
}

type Run = CommandResult;

function runSync(cmd: string, args: string[], timeoutMs = 120_000): Run {
  const res = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  return { code: res.status ?? 1, stdout: res.stdout ?? '', stderr: res.stderr ?? res.error?.message ?? '' };
}

/** Runs a command; resolves with its output, whatever its exit code (killed after two minutes by default). */
export function run(cmd: string, args: string[], input?: string, timeoutMs = 120_000): Promise<Run> {
  return runCommand(cmd, args, input, timeoutMs);
}

/**
 * The syncer image (hack/image/build.sh, the project's Dockerfile) and the vanilla control plane's
 * image (hack/image/control-plane.sh), built when missing and imported into the real node's
 * containerd. A changed source tree rebuilds the syncer image (minutes).
 */
export function buildAndImportImages(): ChartImages {
  const image = (script: string) => {
    const path = join(REPO_ROOT, 'hack/image', script);
    const build = runSync('bash', [path, '--import-realnode'], 20 * 60_000);
    if (build.code !== 0)
      throw new Error(`${script} failed: ${build.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    if (!/imported .* into containerd/.test(build.stderr))
      throw new Error(`${script} did not import its image into the real node: ${build.stderr.trim()}`);
    return runSync('bash', [path, '--name']).stdout.trim();
  };
  return {
    syncer: image('build.sh'),
    controlPlane: image('control-plane.sh'),
    metricsServer: image('metrics-server.sh'),
  };
}

/** Values that install the chart on the local host cluster: the vanilla distro, local images, the real node. */
export function localValues(
  node: RealNodeInfo,
  images: ChartImages,
  serviceCidr: string,
): Record<string, unknown> {
  const [repository, tag] = splitImage(images.syncer);
  const component = { image: images.controlPlane };
  return {
    controlPlane: {
      distro: 'vanilla',
      ...realNodePlacement(node),
    },
    vanilla: {
      imagePullPolicy: 'Never',
      apiServer: component,
      controllerManager: component,
      scheduler: component,
      etcd: component,
      // The same image has CoreDNS as /coredns, where the public CoreDNS image has it.
      coredns: component,
    },
    // The virtual API server must accept the cluster IPs the host allocates.
    k3s: { serviceCIDR: serviceCidr },
    persistence: {
      enabled: true,
      storageClassName: LOCAL_STORAGE_CLASS,
      size: '1Gi',
      deleteOnUninstall: true,
    },
    syncer: {
      image: { repository, tag, pullPolicy: 'Never' },
      // kubectl top's source: each virtual node's statistics from its host node's, renamed.
      kubelet: { nodeStats: true },
    },
  };
}

function splitImage(image: string): [string, string] {
  const at = image.lastIndexOf(':');
  return [image.slice(0, at), image.slice(at + 1)];
}

/**
 * A hostPath volume on the real node for the control plane's data claim (the local host cluster has
 * no storage provisioner). Its folder is the non-root control plane's (uid 65532 unless `owner` says
 * another, as controlPlane.runAsUser would), under the state dir: a hostPath takes no fsGroup.
 */
export async function createDataVolume(
  host: HostAccess,
  node: RealNodeInfo,
  name: string,
  owner = '65532:65532',
): Promise<string> {
  const dir = join(host.stateDir, 'chart-volumes', name);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o700);
  runSync('chown', [owner, dir]);
  const pv = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: LOCAL_STORAGE_CLASS,
      hostPath: { path: dir, type: 'Directory' },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node.node] }] },
          ],
        },
      },
    },
  };
  const res = await run(
    host.kubectl,
    ['--kubeconfig', host.kubeconfig, 'apply', '-f', '-'],
    JSON.stringify(pv),
  );
  if (res.code !== 0) throw new Error(`creating PersistentVolume ${name} failed: ${res.stderr}`);
  return dir;
}

/** The helm binary built by hack/build-tools.sh. */
export function helmBinary(): string {
  const dir = runSync('bash', [join(REPO_ROOT, 'hack/build-tools.sh'), '--print-dir', 'helm']).stdout.trim();
  return join(dir, 'helm');
}

/** Runs helm against the host cluster with values given as an object (written to a file). */
export async function helm(
  host: HostAccess,
  args: string[],
  values?: Record<string, unknown>,
  timeoutMs = 300_000,
): Promise<Run> {
  const full = ['--kubeconfig', host.kubeconfig, ...args];
  if (values) {
    const file = join(host.stateDir, `helm-values-${process.pid}-${Date.now()}.yaml`);
    writeFileSync(file, toYaml(values));
    full.push('-f', file);
  }
  return run(helmBinary(), full, undefined, timeoutMs);
}

/**
 * The tenant's kubeconfig from the Secret the syncer exports (vc-<release>, key `config`), pointed
 * at `server` (a port-forward on this machine); written to a file. Undefined while the Secret is missing.
 */
export async function tenantKubeconfig(
  host: HostAccess,
  namespace: string,
  secret: string,
  server: string,
  name = `tenant-${namespace}`,
): Promise<string | undefined> {
  const res = await run(host.kubectl, [
    '--kubeconfig',
    host.kubeconfig,
    'get',
    'secret',
    secret,
    '-n',
    namespace,
    '-o',
    'jsonpath={.data.config}',
  ]);
  if (res.code !== 0 || !res.stdout) return undefined;
  const config = parseYaml(Buffer.from(res.stdout, 'base64').toString('utf8')) as {
    clusters: { cluster: { server: string } }[];
  };
  for (const c of config.clusters) c.cluster.server = server;
  const file = join(host.stateDir, `${name}.kubeconfig`);
  writeFileSync(file, toYaml(config), { mode: 0o600 });
  return file;
}

/** `kubectl port-forward svc/<service> <local>:443` on the host; stopped by the returned function. */
export async function portForward(
  host: HostAccess,
  namespace: string,
  service: string,
  target: { resource: string; port: number } = { resource: `svc/${service}`, port: 443 },
): Promise<{ url: string; stop: () => void; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    host.kubectl,
    [
      '--kubeconfig',
      host.kubeconfig,
      'port-forward',
      '-n',
      namespace,
      target.resource,
      `${port}:${target.port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`port-forward to ${service}: no answer in 30 s: ${err}`)),
      30_000,
    );
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('Forwarding from')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`port-forward to ${service} exited (${code}): ${err}`));
    });
  });
  return { url: `https://localhost:${port}`, stop: () => child.kill('SIGTERM'), process: child };
}

/**
 * kubectl against the host cluster as its admin, and as the tenant through the exported kubeconfig,
 * for a test whose host access and tenant kubeconfig are set once it has installed the release.
 */
export function releaseKubectl(access: () => HostAccess, tenantConfig: () => string) {
  const hostCtl = (args: string[], input?: string) => {
    const host = access();
    return run(host.kubectl, ['--kubeconfig', host.kubeconfig, ...args], input);
  };
  const tenant = (args: string[], input?: string) =>
    run(access().kubectl, ['--kubeconfig', tenantConfig(), ...args], input);
  return {
    hostCtl,
    /** The parsed object, or undefined when kubectl fails (not found). */
    async hostJson<T>(args: string[]): Promise<T | undefined> {
      const res = await hostCtl([...args, '-o', 'json']);
      return res.code === 0 ? (JSON.parse(res.stdout) as T) : undefined;
    },
    tenant,
    /** The tenant's kubectl output; throws with its stderr when it fails. */
    async mustTenant(args: string[], input?: string): Promise<string> {
      const res = await tenant(args, input);
      if (res.code !== 0) throw new Error(`tenant kubectl ${args.join(' ')} failed: ${res.stderr}`);
      return res.stdout;
    },
  };
}
