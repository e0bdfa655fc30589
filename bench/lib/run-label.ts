import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { REPO_ROOT } from '../../hack/cluster/launcher.ts';

/**
 * What a results file is named and labelled by: the date, the commit (with "+dirty" when tracked
 * files differ from it, so results of uncommitted code never pass for a commit's), the machine's cores
 * and load when the run started.
 */
export function runLabel(): { date: string; commit: string; cores: number; loadavg: number[] } {
  const git = (args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  return {
    date: new Date().toISOString().slice(0, 10),
    commit: dirty ? `${commit}+dirty` : commit,
    cores: cpus().length,
    loadavg: loadavg(),
  };
}
