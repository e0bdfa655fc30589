import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SyncerConfig } from '../config/config.ts';
import { readFileSync } from 'node:fs';
import { ConfigError, defaultForHelp, FIELDS } from '../config/config.ts';
import { KubeconfigError } from '../kube/kubeconfig.ts';
import { tempDirs } from '../testing/temp-dirs.ts';
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
const dir = tempDirs()('vsyncer-cli-');

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
    [
      ['--api-proxy-port', '70000'],
      '--api-proxy-port: must be a port from 1 to 65535, or 0 (off), got 70000',
    ],
    [['--api-proxy-bind-address', ':8443'], '--api-proxy-bind-address: must be an IP address'],
    [['--log-format', 'xml'], 'xml'],
  ])('exits 2 and names the problem: %j', async (extra, message) => {
    const r = await run([...base, ...extra]);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toContain(message);
    expect(r.started).toBeUndefined();
  });

  it('takes the API passthrough flags, and --api-proxy-port 0 (off) as given', async () => {
    const on = await run([...base, '--api-proxy-port', '8443', '--api-proxy-bind-address', '::']);
    expect(on.code).toBe(0);
    expect(on.started).toMatchObject({ apiProxyPort: 8443, apiProxyBindAddress: '::' });
    const off = await run([...base, '--api-proxy-port=0']);
    expect(off.code).toBe(0);
    expect(off.started).toMatchObject({ apiProxyPort: 0, apiProxyBindAddress: '0.0.0.0' });
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

async function runWith(argv: string[], start: (config: SyncerConfig) => Promise<number>) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) }, { start });
  return { code, out, err };
}

describe('vsyncer CLI: commands and help', () => {
  it('prints exactly the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const r = await run(['version']);
    expect(r.out).toBe(`vsyncer ${pkg.version}\n`);
    expect(r.err).toBe('');
  });

  it('shows every flag with its default, or (required), in start --help', async () => {
    const r = await run(['start', '--help']);
    expect(r.code).toBe(0);
    expect(r.started).toBeUndefined();
    const help = r.out.replace(/\s+/g, ' '); // help lines may wrap on a narrow terminal
    const signature = (flag: string) => new RegExp(`--${flag} [<[]`).exec(help)?.index ?? -1;
    FIELDS.forEach((f, i) => {
      const next = FIELDS[i + 1];
      expect(signature(f.flag)).toBeGreaterThan(0);
      const line = help.slice(signature(f.flag), next ? signature(next.flag) : help.indexOf('-h, --help'));
      expect(line).toContain(f.description);
      if (f.required) expect(line).toContain('(required)');
      const def = defaultForHelp(f);
      if (def !== undefined) expect(line).toContain(`(default: ${def === '' ? '""' : def})`);
    });
    expect(help).toContain('--config <file>');
  });

  it.each([
    [[], 'Usage: vsyncer'],
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['start', 'extra', ...base.slice(1)], 'too many arguments'],
    [[...base, '--workers'], "option '--workers <value>' argument missing"],
    [[...base, '--log-format', 'xml'], "option '--log-format <format>' argument 'xml' is invalid"],
    [[...base, '--log-level', 'trace'], '--log-level'],
    [[...base, '--leader-elect', 'maybe'], '--leader-elect: must be true or false'],
    [[...base, '--request-timeout', '5 minutes'], '--request-timeout: must be a positive duration'],
    [[...base, '--enforce-toleration', 'gpu:Sometimes'], '--enforce-toleration: must look like'],
    [['start', '--host-namespace', 'h', '--virtual-kubeconfig', '/k'], '--name: is required'],
  ])('exits 2 without starting: %j', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toContain(message);
    expect(r.started).toBeUndefined();
  });
});

describe('vsyncer CLI: flags and config file', () => {
  it('parses durations, booleans and repeated tolerations from flags', async () => {
    const r = await run([
      ...base,
      '--request-timeout',
      '1m30s',
      '--leader-elect',
      'false',
      '--sync-all-secrets',
      '--enforce-toleration',
      'a:NoSchedule',
      '--enforce-toleration=b=c:NoExecute',
      '--sync',
      'configmaps,-pods',
    ]);
    expect(r.code).toBe(0);
    expect(r.started).toMatchObject({
      requestTimeoutMs: 90_000,
      leaderElect: false,
      syncAllSecrets: true,
      enforceTolerations: ['a:NoSchedule', 'b=c:NoExecute'],
      sync: ['configmaps', '-pods'],
      virtualApiService: 'vc1',
      workloadServiceAccount: 'vc-workload-vc1',
    });
  });

  it('takes every setting from the file when no flag is given', async () => {
    const file = join(dir, 'all.yaml');
    writeFileSync(
      file,
      [
        'name: vc2',
        'hostNamespace: team-b',
        'virtualKubeconfig: /etc/vc/kubeconfig',
        'requestTimeout: 45s',
        'leaderElect: true',
        'enforceToleration: ["x=y:NoSchedule"]',
        '',
      ].join('\n'),
    );
    const r = await run(['start', '--config', file]);
    expect(r.code).toBe(0);
    expect(r.started).toMatchObject({
      name: 'vc2',
      hostNamespace: 'team-b',
      virtualKubeconfig: '/etc/vc/kubeconfig',
      requestTimeoutMs: 45_000,
      leaderElect: true,
      enforceTolerations: ['x=y:NoSchedule'],
      workloadServiceAccount: 'vc-workload-vc2',
    });
  });

  it('accepts an empty config file', async () => {
    const file = join(dir, 'empty.yaml');
    writeFileSync(file, '# nothing set here\n');
    const r = await run([...base, '--config', file]);
    expect(r.code).toBe(0);
    expect(r.started?.workers).toBe(32);
  });

  it.each([
    ['list.yaml', '- workers\n', 'must hold a mapping of settings'],
    ['scalar.yaml', 'just text\n', 'must hold a mapping of settings'],
    ['zero.yaml', 'workers: 0\n', "config field 'workers': must be a positive integer"],
    ['unknown.yaml', 'wrokers: 2\n', 'wrokers: unknown config field'],
    ['flagstyle.yaml', 'host-qps: 2\n', 'host-qps: unknown config field'],
    ['badname.yaml', 'name: Bad_Name\n', "config field 'name': must be a DNS label"],
  ])('exits 2 naming the problem in %s', async (fileName, content, message) => {
    const file = join(dir, fileName);
    writeFileSync(file, content);
    const argv =
      fileName === 'badname.yaml'
        ? ['start', '--config', file, ...base.slice(3)]
        : [...base, '--config', file];
    const r = await run(argv);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toContain(message);
    expect(r.started).toBeUndefined();
  });

  it('names the file when it is a directory', async () => {
    const r = await run([...base, '--config', dir]);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toContain(`--config: cannot read ${dir}: EISDIR`);
  });
});

describe('vsyncer CLI: --sync', () => {
  it('is not checked while parsing: the start handler gets it as written (the registry judges it at start)', async () => {
    const r = await run([...base, '--sync=podz']);
    expect(r.code).not.toBe(EXIT_USAGE);
    expect(r.started?.sync).toEqual(['podz']);
  });
});

describe('vsyncer CLI: the start handler', () => {
  it('returns the exit code the syncer stops with', async () => {
    expect((await runWith(base, async () => 3)).code).toBe(3);
  });

  it('exits 2 for configuration problems found at start, 1 for anything else', async () => {
    const kubeconfig = await runWith(base, async () => {
      throw new KubeconfigError('cannot read virtual kubeconfig /k: ENOENT');
    });
    expect(kubeconfig.code).toBe(EXIT_USAGE);
    expect(kubeconfig.err).toBe('error: cannot read virtual kubeconfig /k: ENOENT\n');
    const config = await runWith(base, async () => {
      throw new ConfigError('--sync', "unknown kind 'podz'");
    });
    expect(config.code).toBe(EXIT_USAGE);
    expect(config.err).toContain("--sync: unknown kind 'podz'");
    const crash = await runWith(base, async () => {
      throw new Error('host API unreachable');
    });
    expect(crash.code).toBe(1);
    expect(crash.err).toContain('host API unreachable');
  });
});

describe('vsyncer CLI: start-up problems', () => {
  const kubelet = [
    '--kubelet-bind-address=:10250',
    '--kubelet-tls-cert-file=/nonexistent/tls.crt',
    '--kubelet-tls-key-file=/nonexistent/tls.key',
    '--kubelet-client-ca-file=/nonexistent/ca.crt',
  ];

  it('takes every --sync given, as vCluster does', async () => {
    const r = await run([...base, '--sync=ingresses', '--sync=networkpolicies,-events']);
    expect(r.code).toBe(0);
    expect(r.started?.sync).toEqual(['ingresses', 'networkpolicies', '-events']);
  });

  it.each([
    [
      ['--metrics-bind-address=:99999'],
      '--metrics-bind-address: must be host:port or :port with a port from 0 to 65535, or 0, got ":99999"',
    ],
    [kubelet, '--kubelet-tls-cert-file: cannot read /nonexistent/tls.crt: ENOENT'],
    [
      [...kubelet, '--metrics-bind-address=:10250'],
      '--kubelet-bind-address: port 10250 is already taken by --metrics-bind-address: each listener of the syncer needs a port of its own',
    ],
    [['--host-qps=0x10'], '--host-qps: must be a positive number in decimal notation, got "0x10"'],
  ])('exits 2 with one line naming the flag: %j', async (extra, message) => {
    const r = await run([...base, ...extra]);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toBe(`error: ${message}\n`);
    expect(r.started).toBeUndefined();
  });

  it('reads the serving files for start only: check serves nothing', async () => {
    let checked: SyncerConfig | undefined;
    const code = await runCli(
      ['check', ...base.slice(1), ...kubelet],
      { out: () => {}, err: () => {} },
      {
        start: async () => 0,
        check: async (config) => {
          checked = config;
          return 0;
        },
      },
    );
    expect(code).toBe(0);
    expect(checked?.kubeletTlsCertFile).toBe('/nonexistent/tls.crt');
  });

  it('shows an unexpected failure by its message, with the stack only at --log-level debug', async () => {
    const fail = async () => {
      throw new Error('host API unreachable');
    };
    const plain = await runWith(base, fail);
    expect(plain.code).toBe(1);
    expect(plain.err).toBe('error: host API unreachable\n');
    const debug = await runWith([...base, '--log-level', 'debug'], fail);
    expect(debug.code).toBe(1);
    expect(debug.err).toMatch(/^error: Error: host API unreachable\n\s+at /);
  });
});
