import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

/**
 * Assembles what the Dockerfile's final stage holds (package.json, production dependencies only,
 * dist/) in a temporary directory and runs it with plain node, as the image's ENTRYPOINT does.
 * This catches a runtime import of a dev dependency, or a file the build does not emit.
 */
describe('production layout (the Dockerfile final stage, without Docker)', () => {
  const app = mkdtempSync(join(tmpdir(), 'vsyncer-image-'));

  beforeAll(() => {
    cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
    cpSync(join(ROOT, 'package-lock.json'), join(app, 'package-lock.json'));
    const install = spawnSync(
      'npm',
      ['install', '--omit=dev', '--no-audit', '--no-fund', '--ignore-scripts'],
      { cwd: app, encoding: 'utf8' },
    );
    if (install.status !== 0) throw new Error(`npm install --omit=dev failed: ${install.stderr}`);
    cpSync(join(ROOT, 'dist'), join(app, 'dist'), { recursive: true });
  }, 180_000);

  afterAll(() => rmSync(app, { recursive: true, force: true }));

  const run = (...args: string[]) =>
    spawnSync(process.execPath, [join(app, 'dist/cmd/vsyncer.js'), ...args], { cwd: app, encoding: 'utf8' });

  it('holds no dev dependency', () => {
    const lock = JSON.parse(readFileSync(join(app, 'node_modules/.package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    expect(
      Object.keys(lock.packages).filter(
        (p) => p.startsWith('node_modules/jest') || p.startsWith('node_modules/typescript'),
      ),
    ).toEqual([]);
  });

  it('prints its version', () => {
    const r = run('version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(
      `vsyncer ${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}`,
    );
  });

  it('shows start --help', () => {
    const r = run('start', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--virtual-kubeconfig');
  });

  it('exits 2 naming a kubeconfig file that is not there', () => {
    const r = run(
      'start',
      '--name',
      'vc',
      '--host-namespace',
      'h',
      '--host-kubeconfig',
      '/nonexistent/host.kubeconfig',
      '--virtual-kubeconfig',
      '/nonexistent/v.kubeconfig',
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--host-kubeconfig /nonexistent/host.kubeconfig: file does not exist');
  });
});
