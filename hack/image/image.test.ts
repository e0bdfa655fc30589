// The syncer image built here (hack/image/build.sh, `make image`) and run as the chart runs it:
// from its OCI archive with runc, as uid 65532, on a read-only root filesystem (hack/image/run.sh).
// Opt-in (VSYNC_IMAGE_TEST=1, `make image-test`): a build after any change to src/ takes 3 to 5
// minutes on 2 cores, so it stays out of the default `make test`. Its size is written to
// test-results/image.json as a measurement.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const root = join(import.meta.dirname, '..', '..');
const script = (name: string) => join(root, 'hack', 'image', name);

function skipReason(): string | undefined {
  if (process.env.VSYNC_IMAGE_TEST !== '1') return 'set VSYNC_IMAGE_TEST=1 or run make image-test';
  if (process.getuid?.() !== 0) return 'buildah (vfs) and runc need root here';
  for (const tool of ['runc', 'tar']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} not found`;
  }
  if (spawnSync('sh', ['-c', 'command -v buildah || command -v apt-get']).status !== 0)
    return 'no buildah and no apt-get to install it';
  return undefined;
}
const skip = skipReason();

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}
let archive = '';
function run(args: string[]): Run {
  const r = spawnSync('bash', [script('run.sh'), '--archive', archive, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

(skip ? describe.skip : describe)(skip ? `syncer image (skipped: ${skip})` : 'syncer image', () => {
  let buildSeconds = 0;

  beforeAll(() => {
    const started = Date.now();
    const r = spawnSync('bash', [script('build.sh')], { encoding: 'utf8', timeout: 20 * 60_000 });
    buildSeconds = (Date.now() - started) / 1000;
    if (r.status !== 0) throw new Error(`hack/image/build.sh failed:\n${r.stderr}`);
    archive = r.stdout.trim().split('\n').pop()!;
  }, 21 * 60_000);

  test('the archive is one linux/amd64 image for uid 65532; its size is recorded', () => {
    const dir = spawnSync('mktemp', ['-d'], { encoding: 'utf8' }).stdout.trim();
    try {
      expect(spawnSync('tar', ['-xf', archive, '-C', dir]).status).toBe(0);
      const blob = (digest: string) => join(dir, 'blobs', ...digest.split(':'));
      const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
      expect(index.manifests).toHaveLength(1);
      const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
      const config = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8'));
      expect(config.os).toBe('linux');
      expect(config.architecture).toBe('amd64');
      expect(config.config.User).toBe('65532:65532');
      expect(config.config.Env).toEqual(expect.arrayContaining(['MALLOC_ARENA_MAX=2']));
      expect(config.config.Entrypoint).toEqual([
        'node',
        '--max-semi-space-size=4',
        '--heap-growing-percent=20',
        '/app/dist/cmd/vsyncer.js',
      ]);
      const layers = manifest.layers as { digest: string; size: number; mediaType: string }[];
      const compressed = layers.reduce((n, l) => n + l.size, 0);
      const uncompressed = layers.reduce((n, l) => {
        const data = readFileSync(blob(l.digest));
        return n + (l.mediaType.endsWith('gzip') ? gunzipSync(data).length : data.length);
      }, 0);
      const result = {
        image: index.manifests[0].annotations?.['org.opencontainers.image.ref.name'],
        archive,
        layers: layers.length,
        compressedBytes: compressed,
        uncompressedBytes: uncompressed,
        buildOrReuseSeconds: Math.round(buildSeconds),
        measuredAt: new Date().toISOString(),
      };
      mkdirSync(join(root, 'test-results'), { recursive: true });
      writeFileSync(join(root, 'test-results', 'image.json'), JSON.stringify(result, null, 2) + '\n');
      process.stderr.write(
        `image: ${(compressed / 2 ** 20).toFixed(1)} MiB compressed, ${(uncompressed / 2 ** 20).toFixed(1)} MiB uncompressed, ${layers.length} layers\n`,
      );
      // A sanity bound only (a dev-dependency tree would be several times larger).
      expect(uncompressed).toBeLessThan(1024 * 2 ** 20);
    } finally {
      spawnSync('rm', ['-rf', dir]);
    }
  });

  test('vsyncer version, --help and start --help work on a read-only root as uid 65532', () => {
    const version = run(['--', 'version']);
    expect(version.stderr).toBe('');
    expect(version.status).toBe(0);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(version.stdout.trim()).toBe(`vsyncer ${pkg.version}`);
    const help = run(['--', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('start [options]');
    const startHelp = run(['--', 'start', '--help']);
    expect(startHelp.status).toBe(0);
    expect(startHelp.stdout).toContain('--virtual-kubeconfig');
  });

  test('start without its kubeconfigs exits 2 with one clear line', () => {
    const r = run([
      '--',
      'start',
      '--name=demo',
      '--host-namespace=vc-demo',
      '--virtual-kubeconfig=/data/kubeconfig/config',
      '--host-kubeconfig=/data/kubeconfig/host',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('error: --host-kubeconfig /data/kubeconfig/host: file does not exist');
  });

  test('non-root, nothing writable, the bundle and no node_modules', () => {
    // The build bundles the production dependencies into dist/cmd/vsyncer.js (hack/bundle.ts), so
    // the image carries no node_modules at all: no dev dependency can slip in.
    const probe = `
      const fs = require('node:fs');
      const writable = ['/app/x', '/app/dist/x', '/tmp/x', '/x', '/home/nonroot/x'].filter((p) => {
        try { fs.writeFileSync(p, 'x'); return true; } catch { return false; }
      });
      const rootMount = fs.readFileSync('/proc/self/mounts', 'utf8').split('\\n').find((l) => l.split(' ')[1] === '/');
      console.log(JSON.stringify({
        uid: process.getuid(), gid: process.getgid(), node: process.version, writable,
        rootOptions: rootMount.split(' ')[3].split(','),
        nodeModules: fs.existsSync('/app/node_modules'),
        dist: fs.readdirSync('/app/dist/cmd').sort(),
        src: fs.existsSync('/app/src'),
      }));`;
    const r = run(['--entrypoint', 'node', '--', '-e', probe]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const seen = JSON.parse(r.stdout);
    expect(seen).toMatchObject({
      uid: 65532,
      gid: 65532,
      writable: [],
      nodeModules: false,
      dist: ['vsyncer.js', 'vsyncer.js.map'],
      src: false,
    });
    expect(seen.rootOptions).toContain('ro');
    expect(seen.node).toMatch(/^v24\./);
    expect(existsSync(archive)).toBe(true);
  });
});
