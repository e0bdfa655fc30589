import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The directory of a Go module in the module cache, downloaded once and then reused. Public Helm
 * charts that live in a Go module's repository come this way: the Go module proxy is the registry
 * this machine reaches.
 */
export function goModuleDir(module: string, version: string): string {
  // A scratch module for `go mod download`; what it fetches lands in the module cache.
  const dir = mkdtempSync(join(tmpdir(), 'go-module-fetch-'));
  try {
    execFileSync('go', ['mod', 'init', 'modulefetch'], { cwd: dir, stdio: 'ignore' });
    const out = execFileSync('go', ['mod', 'download', '-json', `${module}@${version}`], {
      cwd: dir,
      encoding: 'utf8',
    });
    return (JSON.parse(out) as { Dir: string }).Dir;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A version pinned in hack/versions.env (`NAME=version`): what the tests build and read modules of. */
export function pinnedVersion(name: string): string {
  const file = join(import.meta.dirname, '..', '..', 'hack', 'versions.env');
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}=`));
  if (!line) throw new Error(`hack/versions.env has no ${name}`);
  return line.slice(name.length + 1).trim();
}
