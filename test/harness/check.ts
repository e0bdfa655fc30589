import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { testClusters } from './clusters.ts';

/** The parts of `vsyncer check -o json` the tests read. */
export interface CheckJson {
  agree: boolean;
  totals: { checked: number; missing: number; orphaned: number; duplicated: number; stale: number };
  kinds: { kind: string; checked: number | null; staleChecked: boolean; notChecked: string | null }[];
  differences: { kind: string; category: string; key: string; target: string | null; detail: string }[];
}

/**
 * Runs the built `vsyncer check -o json` between the test clusters with the settings the test
 * syncers run with, limited to these virtual namespaces (the clusters are shared by other tests).
 */
export function runVsyncerCheck(
  vc: string,
  hostNamespace: string,
  namespaces: string[],
): Promise<{ code: number | null; report?: CheckJson; stderr: string }> {
  const clusters = testClusters();
  return runCheckJson([
    ...['--name', vc, '--host-namespace', hostNamespace],
    ...['--host-kubeconfig', clusters.host.kubeconfig, '--virtual-kubeconfig', clusters.virtual.kubeconfig],
    ...['--cluster-dns-ip', '10.96.0.10'],
    ...namespaces.flatMap((ns) => ['--namespace', ns]),
  ]);
}

/** Runs the built `vsyncer check <args> -o json` (the tests' runner above, and the bench's). */
export function runCheckJson(
  args: readonly string[],
): Promise<{ code: number | null; report?: CheckJson; stderr: string }> {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, '..', '..', 'dist/cmd/vsyncer.js'), 'check', ...args, '-o', 'json'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.on('close', (code) =>
      resolve({ code, stderr, report: stdout.trim() ? (JSON.parse(stdout) as CheckJson) : undefined }),
    ),
  );
}
