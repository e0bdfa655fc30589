import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readClusterInfo, REPO_ROOT, startClusters } from '../../hack/cluster/launcher.ts';

/**
 * Starts one host and one virtual cluster for every integration and e2e test of this run, and
 * builds the syncer they run as a process. Jest calls this once per project; the second call
 * finds the clusters already up and reuses them.
 */
export default async function globalSetup(): Promise<void> {
  if (
    process.env.VSYNC_TEST_STATE_DIR &&
    existsSync(join(process.env.VSYNC_TEST_STATE_DIR, 'clusters.json'))
  ) {
    readClusterInfo(process.env.VSYNC_TEST_STATE_DIR);
    return;
  }
  // As `npm run build`: type-check, then bundle dist/cmd/vsyncer.js (hack/bundle.ts).
  for (const step of [
    [
      join(REPO_ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(REPO_ROOT, 'tsconfig.build.json'),
      '--noEmit',
    ],
    [join(REPO_ROOT, 'hack/bundle.ts')],
  ]) {
    const build = spawnSync(process.execPath, step, { encoding: 'utf8', cwd: REPO_ROOT });
    if (build.status !== 0) throw new Error(`building the syncer failed:\n${build.stdout}${build.stderr}`);
  }
  const stateDir = process.env.VSYNC_TEST_STATE_DIR ?? mkdtempSync(join(tmpdir(), 'vsyncer-test-'));
  process.env.VSYNC_TEST_STATE_DIR = stateDir;
  process.env.VSYNC_TEST_OWNS_CLUSTERS = '1';
  const started = Date.now();
  await startClusters({ stateDir, ownerPid: process.pid, log: () => {} });
  process.stderr.write(
    `\ntest clusters ready in ${((Date.now() - started) / 1000).toFixed(1)}s (state: ${stateDir})\n`,
  );
}
