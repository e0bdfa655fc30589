import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterStatus, startClusters, stopClusters, type ClusterInfo } from '../../hack/cluster/launcher.ts';
import { testClusters } from '../harness/clusters.ts';

/** Process ids that are alive right now (signal 0 probes without touching them). */
const alive = (pids: (number | undefined)[]) =>
  pids.filter((pid): pid is number => {
    if (!pid) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });

const namespaces = (info: ClusterInfo, cluster: 'host' | 'virtual') =>
  execFileSync(info.kubectl, ['--kubeconfig', info[cluster].kubeconfig, 'get', 'namespaces', '-o', 'name'], {
    encoding: 'utf8',
  });

describe('cluster launcher', () => {
  it('starts a second pair beside the shared one on other ports and directories, and stops only its own', async () => {
    const shared = testClusters();
    const stateDir = mkdtempSync(join(tmpdir(), 'vsyncer-second-'));
    try {
      const second = await startClusters({ stateDir, nodes: 1 });
      const sharedPorts = clusterStatus(shared.stateDir).map((c) => c.port);
      const secondComponents = clusterStatus(stateDir);
      expect(secondComponents.length).toBeGreaterThan(0);
      expect(secondComponents.every((c) => c.state === 'running')).toBe(true);
      for (const c of secondComponents) expect(sharedPorts).not.toContain(c.port);
      expect(second.host.kubeconfig.startsWith(stateDir)).toBe(true);
      expect(second.host.server).not.toBe(shared.host.server);
      expect(namespaces(second, 'virtual')).toContain('namespace/default');

      const pids = secondComponents.map((c) => c.pid);
      await stopClusters(stateDir);
      expect(alive(pids)).toEqual([]);
      expect(clusterStatus(shared.stateDir).every((c) => c.state === 'running')).toBe(true);
      expect(namespaces(shared, 'host')).toContain('namespace/default');
    } finally {
      await stopClusters(stateDir);
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 180_000);
});
