// Local clusters for development and tests: node hack/cluster/cli.ts up|down|status|ctl ...
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  clusterStatus,
  controlComponent,
  REPO_ROOT,
  startClusters,
  stopClusters,
  type ComponentAction,
} from './launcher.ts';

const USAGE = `usage: node hack/cluster/cli.ts <command> [--state-dir DIR]
  up [--nodes N] [--owner-pid PID]   start a host cluster (kwok nodes) and a virtual cluster
  down                               stop every process of the state dir
  status                             show each component
  ctl <cluster>/<component> stop|kill|pause|resume|start|restart`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'state-dir': { type: 'string' }, nodes: { type: 'string' }, 'owner-pid': { type: 'string' } },
});
const stateDir = values['state-dir'] ?? process.env.VSYNC_STATE_DIR ?? join(REPO_ROOT, '.state/clusters');
const [command, target, action] = positionals;

try {
  switch (command) {
    case 'up': {
      const started = Date.now();
      const info = await startClusters({
        stateDir,
        nodes: values.nodes ? Number(values.nodes) : 3,
        ownerPid: values['owner-pid'] ? Number(values['owner-pid']) : undefined,
      });
      console.log(`clusters ready in ${((Date.now() - started) / 1000).toFixed(1)}s (state: ${stateDir})`);
      console.log(`  host kubeconfig:    ${info.host.kubeconfig}`);
      console.log(`  virtual kubeconfig: ${info.virtual.kubeconfig}`);
      console.log(`  try: ${info.kubectl} --kubeconfig ${info.virtual.kubeconfig} get namespaces`);
      break;
    }
    case 'down':
      await stopClusters(stateDir);
      console.log(`stopped clusters of ${stateDir}`);
      break;
    case 'status':
      for (const c of clusterStatus(stateDir))
        console.log(`${c.id.padEnd(32)} ${c.state.padEnd(8)} pid=${c.pid ?? '-'} port=${c.port}`);
      break;
    case 'ctl': {
      const actions = ['stop', 'kill', 'pause', 'resume', 'start', 'restart'];
      if (!target || !action || !actions.includes(action)) throw new Error(USAGE);
      await controlComponent(stateDir, target, action as ComponentAction);
      break;
    }
    default:
      throw new Error(USAGE);
  }
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
