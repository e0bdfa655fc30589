import { buildConfig, ConfigError } from './config.ts';
import { parseDuration } from './duration.ts';

const required = { name: 'vc1', hostNamespace: 'team-a', virtualKubeconfig: '/k' };

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1.5s', 1500],
  ])('%s', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', '5 minutes', '10', 's', '-1s', '1d'])('rejects %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});

describe('buildConfig', () => {
  it('fills defaults and derived names', () => {
    const c = buildConfig({}, required);
    expect(c).toMatchObject({
      hostQps: 40,
      hostBurst: 80,
      virtualQps: 1000,
      virtualBurst: 2000,
      workers: 4,
      requestTimeoutMs: 30_000,
      logFormat: 'json',
      metricsBindAddress: ':8080',
      leaderElect: false,
      virtualApiService: 'vc1',
      workloadServiceAccount: 'vc-workload-vc1',
      clusterDomain: 'cluster.local',
    });
  });

  it('lets flags override the file', () => {
    const c = buildConfig({ ...required, workers: 8, logLevel: 'debug' }, { workers: '2' });
    expect(c.workers).toBe(2);
    expect(c.logLevel).toBe('debug');
  });

  it.each([
    [{}, { hostNamespace: 'h', virtualKubeconfig: '/k' }, '--name', 'is required'],
    [{}, { ...required, workers: '0' }, '--workers', 'positive integer'],
    [{}, { ...required, workers: '2.5' }, '--workers', 'positive integer'],
    [{}, { ...required, hostQps: 'fast' }, '--host-qps', 'positive number'],
    [{}, { ...required, logFormat: 'xml' }, '--log-format', 'one of json, text'],
    [{}, { ...required, requestTimeout: '5 minutes' }, '--request-timeout', 'duration'],
    [{}, { ...required, leaderElect: 'yes' }, '--leader-elect', 'true or false'],
    [{}, { ...required, name: 'Bad_Name' }, '--name', 'DNS label'],
    [{}, { ...required, metricsBindAddress: 'localhost' }, '--metrics-bind-address', 'host:port'],
    [{}, { ...required, clusterDnsIp: 'dns' }, '--cluster-dns-ip', 'IP address'],
    [{}, { ...required, enforceToleration: ['nope'] }, '--enforce-toleration', 'key[=value]'],
    [{ workers: 'many' }, required, "config field 'workers'", 'positive integer'],
    [{ wrokers: 3 }, required, 'wrokers', 'unknown config field'],
    [
      {},
      { ...required, leaderElect: 'true', leaderElectRenewDeadline: '20s' },
      '--leader-elect-renew-deadline',
      'shorter than --leader-elect-lease-duration',
    ],
    [
      {},
      { ...required, leaderElect: 'true', leaderElectRetryPeriod: '10s' },
      '--leader-elect-retry-period',
      'shorter than --leader-elect-renew-deadline',
    ],
  ] as [Record<string, unknown>, Record<string, unknown>, string, string][])(
    'names the field: %j %j',
    (file, flags, field, message) => {
      const err = errorOf(() => buildConfig(file, flags));
      expect(err.field).toBe(field);
      expect(err.message).toContain(message);
    },
  );
});
