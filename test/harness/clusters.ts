import { spawn } from 'node:child_process';
import { readClusterInfo, type ClusterInfo } from '../../hack/cluster/launcher.ts';
import { readRealNodeInfo, type RealNodeInfo } from '../../hack/realnode/realnode.ts';

export { controlComponent } from '../../hack/cluster/launcher.ts';

/** The clusters global setup started for this run (shared by every integration and e2e test). */
export function testClusters(): ClusterInfo {
  const stateDir = process.env.VSYNC_TEST_STATE_DIR;
  if (!stateDir)
    throw new Error(
      'VSYNC_TEST_STATE_DIR is not set: run tests through jest (global setup starts the clusters)',
    );
  return readClusterInfo(stateDir);
}

/** The real node of the test clusters (VSYNC_REAL_NODE=1); throws when they were started without one. */
export function testRealNode(): RealNodeInfo {
  const info = readRealNodeInfo(testClusters().stateDir);
  if (!info) throw new Error('VSYNC_REAL_NODE=1 but the test clusters have no real node (realnode.json)');
  return info;
}

/** What a command printed and how it exited. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** What kubectl printed and how it exited. */
export type KubectlResult = CommandResult;

/**
 * Runs a command with `input` on its stdin; resolves with its output whatever its exit code, and
 * kills it after `timeoutMs` if given (it then resolves with what it printed and a nonzero code).
 */
export function runCommand(
  cmd: string,
  args: string[],
  input?: string,
  timeoutMs?: number,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code: code ?? 1 });
    });
    child.stdin.end(input ?? '');
  });
}

/** Runs kubectl against one of the test clusters. */
export function kubectl(cluster: 'host' | 'virtual', args: string[], input?: string): Promise<KubectlResult> {
  const info = testClusters();
  return runCommand(info.kubectl, ['--kubeconfig', info[cluster].kubeconfig, ...args], input);
}

/**
 * Polls fn until it returns something other than undefined/false, and returns that. On timeout it
 * throws an error naming what was awaited and the last value or error seen.
 */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}; last: ${detail}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
