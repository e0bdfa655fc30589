import { removeClusterData, stopClusters } from '../../hack/cluster/launcher.ts';

/**
 * Jest calls this once per project after all tests have run; the first call stops the clusters,
 * later ones find nothing running. A reaper started with the clusters also stops them if this
 * process dies before getting here.
 */
export default async function globalTeardown(): Promise<void> {
  const stateDir = process.env.VSYNC_TEST_STATE_DIR;
  if (process.env.VSYNC_TEST_OWNS_CLUSTERS !== '1' || !stateDir) return;
  await stopClusters(stateDir);
  removeClusterData(stateDir);
}
