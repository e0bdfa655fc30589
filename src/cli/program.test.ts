import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SyncerConfig } from '../config/config.ts';
import { FIELDS } from '../config/config.ts';
import { EXIT_USAGE, runCli } from './program.ts';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  let started: SyncerConfig | undefined;
  const code = await runCli(
    argv,
    { out: (t) => (out += t), err: (t) => (err += t) },
    {
      start: async (config) => {
        started = config;
        return 0;
      },
    },
  );
  return { code, out, err, started };
}

const base = ['start', '--name', 'vc1', '--host-namespace', 'team-a', '--virtual-kubeconfig', '/k'];
const dir = mkdtempSync(join(tmpdir(), 'vsyncer-cli-'));

describe('vsyncer CLI', () => {
  it('prints the version', async () => {
    const r = await run(['version']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^vsyncer \d+\.\d+\.\d+/);
  });

  it('shows every flag with its default in --help', async () => {
    const r = await run(['start', '--help']);
    expect(r.code).toBe(0);
    for (const f of FIELDS) expect(r.out).toContain(`--${f.flag}`);
    expect(r.out).toContain('(default: 40)');
    expect(r.out).toContain('(default: 30s)');
  });

  it.each([
    [['--bogus'], "unknown option '--bogus'"],
    [['--workers', '0'], '--workers: must be a positive integer'],
    [['--log-format', 'xml'], 'xml'],
    [['--sync=podz'], ''],
  ])('exits 2 and names the problem: %j', async (extra, message) => {
    const r = await run([...base, ...extra]);
    if (extra[0] === '--sync=podz') {
      // --sync is resolved against the registry when the syncer starts, not here.
      expect(r.started?.sync).toEqual(['podz']);
      return;
    }
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toContain(message);
    expect(r.started).toBeUndefined();
  });

  it('exits 2 when a required flag is missing', async () => {
    const r = await run(['start', '--name', 'vc1', '--virtual-kubeconfig', '/k']);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toContain('--host-namespace: is required');
  });

  it('exits 2 naming an unreadable or invalid config file', async () => {
    const missing = await run([...base, '--config', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(EXIT_USAGE);
    expect(missing.err).toContain(`--config: cannot read ${join(dir, 'nope.yaml')}`);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'workers: [unclosed\n');
    const invalid = await run([...base, '--config', bad]);
    expect(invalid.code).toBe(EXIT_USAGE);
    expect(invalid.err).toContain(`${bad} is not valid YAML`);
  });

  it('reads the config file and lets flags win', async () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(file, 'workers: 9\nhostQps: 5\nsync: ["-events"]\n');
    const r = await run([...base, '--config', file, '--workers', '3', '--leader-elect']);
    expect(r.code).toBe(0);
    expect(r.started).toMatchObject({ workers: 3, hostQps: 5, sync: ['-events'], leaderElect: true });
  });
});
