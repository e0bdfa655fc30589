import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostNamespaceManifest } from '../../hack/cluster/host-namespace.ts';
import { freePort } from '../../hack/cluster/ports.ts';
import { kubectl, testClusters, waitFor } from './clusters.ts';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

export interface SyncerProcess {
  readonly name: string;
  readonly hostNamespace: string;
  readonly metricsUrl: string;
  /** `https://127.0.0.1:<port>` of the kubelet API, when started with `kubelet: true`. */
  readonly kubeletUrl?: string;
  readonly logPath: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or null when killed by a signal). */
  readonly exited: Promise<number | null>;
  logs(): string;
  /** SIGTERM, then waits for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL, then waits for exit. */
  kill(): Promise<number | null>;
  /** Fetches a metrics page and returns it as text. */
  metrics(): Promise<string>;
}

export interface StartSyncerOptions {
  name: string;
  hostNamespace: string;
  args?: string[];
  /** The host kubeconfig the syncer uses (default: the test clusters' admin one). */
  hostKubeconfig?: string;
  /** Wait for /readyz before returning (default true). */
  waitReady?: boolean;
  /**
   * Serve the virtual nodes' kubelet API on a free loopback port (the virtual API server trusts its
   * certificate). Off by default: every syncer on the shared virtual cluster would otherwise point its
   * nodes at its own port.
   */
  kubelet?: boolean;
}

/** A unique, DNS-safe name for a test's virtual cluster or namespace. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Creates what the Helm chart would in the host namespace: the namespace, workload SA and virtual API Service. */
export async function prepareHostNamespace(name: string, hostNamespace: string): Promise<void> {
  const manifest = hostNamespaceManifest(name, hostNamespace);
  const res = await kubectl('host', ['apply', '-f', '-'], manifest);
  if (res.code !== 0) throw new Error(`preparing host namespace ${hostNamespace} failed: ${res.stderr}`);
}

/** Runs the built syncer (dist/cmd/vsyncer.js) as its own process between the test clusters. */
export async function startSyncer(opts: StartSyncerOptions): Promise<SyncerProcess> {
  const clusters = testClusters();
  const port = await freePort();
  const kubeletPort = opts.kubelet ? await freePort() : undefined;
  const kubeletArgs = kubeletPort
    ? [
        `--kubelet-bind-address=127.0.0.1:${kubeletPort}`,
        '--kubelet-advertise-address=127.0.0.1',
        `--kubelet-tls-cert-file=${clusters.virtualKubelet.certFile}`,
        `--kubelet-tls-key-file=${clusters.virtualKubelet.keyFile}`,
        `--kubelet-client-ca-file=${clusters.virtualKubelet.clientCaFile}`,
      ]
    : [];
  const logPath = join(clusters.stateDir, 'logs', `syncer-${opts.name}-${Date.now()}.log`);
  const out = openSync(logPath, 'a');
  const child = spawn(
    process.execPath,
    [
      join(REPO_ROOT, 'dist/cmd/vsyncer.js'),
      'start',
      '--name',
      opts.name,
      '--host-namespace',
      opts.hostNamespace,
      '--host-kubeconfig',
      opts.hostKubeconfig ?? clusters.host.kubeconfig,
      '--virtual-kubeconfig',
      clusters.virtual.kubeconfig,
      '--metrics-bind-address',
      `127.0.0.1:${port}`,
      '--cluster-dns-ip',
      '10.96.0.10',
      '--log-level',
      'debug',
      ...kubeletArgs,
      ...(opts.args ?? []),
    ],
    { stdio: ['ignore', out, out], env: { ...process.env } },
  );
  closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const metricsUrl = `http://127.0.0.1:${port}`;
  const proc: SyncerProcess = {
    name: opts.name,
    hostNamespace: opts.hostNamespace,
    metricsUrl,
    kubeletUrl: kubeletPort ? `https://127.0.0.1:${kubeletPort}` : undefined,
    logPath,
    child,
    exited,
    logs: () => readFileSync(logPath, 'utf8'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
    async metrics() {
      const res = await fetch(`${metricsUrl}/metrics`);
      return res.text();
    },
  };
  if (opts.waitReady ?? true) {
    let exitedEarly = false;
    void exited.then(() => (exitedEarly = true));
    await waitFor(
      `syncer ${opts.name} /readyz`,
      async () => {
        if (exitedEarly)
          throw new Error(`syncer exited during startup; log ${logPath}:\n${proc.logs().slice(-2000)}`);
        const res = await fetch(`${metricsUrl}/readyz`).catch(() => undefined);
        return res?.status === 200;
      },
      60_000,
    );
  }
  return proc;
}
