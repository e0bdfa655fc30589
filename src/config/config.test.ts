import { buildConfig, placementOf } from './config.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { configErrorOf as errorOf } from '../testing/config-error-of.ts';

const required = { name: 'vc1', hostNamespace: 'team-a', virtualKubeconfig: '/k' };

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
      workers: 32,
      requestTimeoutMs: 30_000,
      logFormat: 'json',
      metricsBindAddress: ':8080',
      leaderElect: false,
      virtualApiService: 'vc1',
      workloadServiceAccount: 'vc-workload-vc1',
      clusterDomain: 'cluster.local',
      setOwner: false,
      kubeconfigSecret: '',
      kubeconfigSecretServer: 'https://localhost:8443',
      kubeconfigSecretContext: '',
      kubeconfigSecretInsecure: false,
      corednsImage: '',
    });
  });

  it('takes --denied-host-metadata keys and prefixes, and gives them to every kind', () => {
    const c = buildConfig({}, { ...required, deniedHostMetadata: ['metallb.io/*', 'example.com/x'] });
    expect(c.deniedHostMetadata).toEqual(['metallb.io/*', 'example.com/x']);
    expect(placementOf(c).deniedHostMetadata).toEqual(['metallb.io/*', 'example.com/x']);
    expect(buildConfig({}, required).deniedHostMetadata).toEqual([]);
  });

  it('takes --coredns-image', () => {
    const c = buildConfig({}, { ...required, corednsImage: 'registry.k8s.io/coredns/coredns:v1.12.1' });
    expect(c.corednsImage).toBe('registry.k8s.io/coredns/coredns:v1.12.1');
    expect(c.fallbackHostDns).toBe('');
    expect(
      buildConfig({}, { ...required, corednsImage: 'c:1', fallbackHostDns: 'auto' }).fallbackHostDns,
    ).toBe('auto');
  });

  it('takes --set-owner and the kubeconfig Secret with its server', () => {
    const c = buildConfig(
      {},
      {
        ...required,
        setOwner: 'true',
        kubeconfigSecret: 'vc-vc1',
        kubeconfigSecretServer: 'https://vc1.example.com',
      },
    );
    expect(c).toMatchObject({
      setOwner: true,
      kubeconfigSecret: 'vc-vc1',
      kubeconfigSecretServer: 'https://vc1.example.com',
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
    [{}, { ...required, enforceToleration: ['nope:Never'] }, '--enforce-toleration', 'key[=value]'],
    [{}, { ...required, nodeSelector: 'env in (a,b)' }, '--node-selector', 'label terms'],
    [{}, { ...required, translateImage: ['nginx'] }, '--translate-image', 'virtual-image=host-image'],
    [{}, { ...required, enforceRuntimeClass: 'Bad Class' }, '--enforce-runtime-class', 'DNS subdomain'],
    [{}, { ...required, enforcePriorityClass: 'x_y' }, '--enforce-priority-class', 'DNS subdomain'],
    [{}, { ...required, initManifests: 5 }, '--init-manifests', 'must be a string'],
    [{}, { ...required, mapHostService: ['postgres=team/db'] }, '--map-host-service', '<namespace>/<name>'],
    [
      {},
      { ...required, mapHostService: ['a/x=team/db', 'b/y=team/db'] },
      '--map-host-service',
      'two mappings',
    ],
    [
      {},
      { ...required, mapVirtualService: ['web/web=other/web'] },
      '--map-virtual-service',
      'must be in the host namespace team-a',
    ],
    [{}, { ...required, mapVirtualService: ['web/web=Web_Host'] }, '--map-virtual-service', 'DNS label'],
    [{}, { ...required, nodeSelector: 'env!=prod' }, '--node-selector', 'label terms'],
    // A key's prefix is a DNS subdomain: at most 253 characters.
    [{}, { ...required, nodeSelector: `${'a'.repeat(254)}/pool=x` }, '--node-selector', 'label terms'],
    [{}, { ...required, setOwner: 'yes' }, '--set-owner', 'true or false'],
    [{}, { ...required, kubeconfigSecret: 'VC_1' }, '--kubeconfig-secret', 'valid Secret name'],
    [
      {},
      {
        ...required,
        kubeconfigSecret: 'vc-vc1',
        kubeconfigAdditionalSecret: ['name=vc-vc1;server=https://lb'],
      },
      '--kubeconfig-additional-secret',
      'names Secret team-a/vc-vc1 that another kubeconfig export',
    ],
    [
      {},
      { ...required, kubeconfigAdditionalSecret: ['name=a', 'name=a;namespace=team-a'] },
      '--kubeconfig-additional-secret',
      'names Secret team-a/a that another kubeconfig export',
    ],
    [
      {},
      { ...required, kubeconfigSecretServiceAccount: 'a/b/c' },
      '--kubeconfig-secret-service-account',
      'expected [namespace/]name',
    ],
    [
      {},
      { ...required, kubeconfigSecretServiceAccount: 'argocd' },
      '--kubeconfig-secret-service-account',
      'which is not given (no kubeconfig is exported there)',
    ],
    [
      {},
      { ...required, kubeconfigSecret: 'vc-vc1', kubeconfigSecretServiceAccountClusterRole: 'view' },
      '--kubeconfig-secret-service-account-cluster-role',
      'is bound to --kubeconfig-secret-service-account, which is not given',
    ],
    [
      {},
      {
        ...required,
        kubeconfigSecret: 'vc-vc1',
        kubeconfigSecretServiceAccount: 'argocd',
        kubeconfigSecretServiceAccountClusterRole: 'view',
        kubeconfigAdditionalSecret: ['name=other;serviceAccount=kube-system/argocd;clusterRole=admin'],
      },
      '--kubeconfig-additional-secret',
      'service account kube-system/argocd is bound to ClusterRole view by one export and to admin by another',
    ],
    [
      {},
      { ...required, kubeconfigAdditionalSecret: ['name=a;serviceAccount=x;clusterRole='] },
      '--kubeconfig-additional-secret',
      'clusterRole must not be empty',
    ],
    [{}, { ...required, corednsImage: 'coredns :1' }, '--coredns-image', 'without spaces'],
    [{}, { ...required, corednsImage: 'c:1', fallbackHostDns: 'kube-dns' }, '--fallback-host-dns', 'IP:port'],
    [{}, { ...required, fallbackHostDns: '10.43.0.10' }, '--fallback-host-dns', 'needs --coredns-image'],
    [
      {},
      { ...required, kubeconfigSecretServer: 'localhost:8443' },
      '--kubeconfig-secret-server',
      'http(s) URL',
    ],
    [{ kubeconfigSecretServer: 'ftp://x' }, required, "config field 'kubeconfigSecretServer'", 'http(s) URL'],
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
    [{}, { ...required, deniedHostMetadata: ['*'] }, '--denied-host-metadata', 'a bare "*"'],
    [
      {},
      { ...required, deniedHostMetadata: ['example.com/ok', 'bad key'] },
      '--denied-host-metadata',
      '"bad key" is not a label or annotation key',
    ],
    [
      { ...required, deniedHostMetadata: ['a/b/*'] },
      {},
      "config field 'deniedHostMetadata'",
      'not a key prefix',
    ],
    [{}, { ...required, deniedPodMetadata: ['*'] }, '--denied-pod-metadata', 'a bare "*"'],
    [
      {},
      { ...required, extraRootCaFile: '/nonexistent/ca.crt' },
      '--extra-root-ca-file',
      'cannot read /nonexistent/ca.crt: ENOENT',
    ],
    [
      {},
      { ...required, extraRootCaFile: import.meta.filename },
      '--extra-root-ca-file',
      'holds no certificate',
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

describe('parseDuration: more forms', () => {
  it.each([
    ['1h30m', 5_400_000],
    ['1m0s', 60_000],
    [' 45s ', 45_000],
    ['0.5m', 30_000],
  ])('%j', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['1m 30s', '30S', 'ms', '1.s', '+1s', '30s5'])('rejects %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});

describe('formatDuration', () => {
  it.each([
    [30_000, '30s'],
    [90_000, '90s'],
    [120_000, '2m'],
    [7_200_000, '2h'],
    [500, '500ms'],
    [0, '0s'],
  ])('%d → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('buildConfig: values', () => {
  it('reads each field kind from a file with its YAML type, and from flags as strings', () => {
    const file = {
      ...required,
      hostQps: 2.5,
      hostBurst: 7,
      syncAllSecrets: true,
      requestTimeout: '1m30s',
      logLevel: 'warn',
      sync: ['configmaps', '-pods'],
      enforceToleration: ['a:NoSchedule'],
    };
    expect(buildConfig(file, {})).toMatchObject({
      hostQps: 2.5,
      hostBurst: 7,
      syncAllSecrets: true,
      requestTimeoutMs: 90_000,
      logLevel: 'warn',
      sync: ['configmaps', '-pods'],
      enforceTolerations: ['a:NoSchedule'],
    });
    const flags = {
      ...required,
      hostQps: '2.5',
      hostBurst: '7',
      syncAllSecrets: 'true',
      requestTimeout: '500ms',
      sync: 'configmaps, -pods,,secrets',
      enforceToleration: ['a:NoSchedule', 'b=c:NoExecute,d:PreferNoSchedule'],
    };
    expect(buildConfig({}, flags)).toMatchObject({
      hostQps: 2.5,
      hostBurst: 7,
      syncAllSecrets: true,
      requestTimeoutMs: 500,
      sync: ['configmaps', '-pods', 'secrets'],
      enforceTolerations: ['a:NoSchedule', 'b=c:NoExecute', 'd:PreferNoSchedule'],
    });
  });

  it('lets a flag win over a good file value', () => {
    const c = buildConfig(
      { ...required, workers: 2, sync: ['configmaps'], logFormat: 'json' },
      { workers: '3', sync: 'pods', logFormat: 'text' },
    );
    expect(c).toMatchObject({ workers: 3, sync: ['pods'], logFormat: 'text' });
  });

  it.each([
    ['workers', 'many', '3'],
    ['hostQps', -1, '9'],
    ['leaderElect', 'yes', 'false'],
    ['requestTimeout', 30, '1m'],
    ['logFormat', 'xml', 'text'],
    // vCluster's layout pasted in: taken silently, no custom resource would sync.
    ['sync', { toHost: { customResources: {} } }, 'pods'],
    ['clusterDomain', 42, 'example.org'],
  ])(
    "refuses a bad file value of %s though a flag overrides it, naming the file's field",
    (key, bad, flag) => {
      const err = errorOf(() => buildConfig({ ...required, [key]: bad }, { [key]: flag }));
      expect(err.field).toBe(`config field '${key}'`);
      if (key === 'sync') expect(err.message).toContain('customResources.toHost');
    },
  );

  it('trims strings and keeps explicit service names instead of deriving them', () => {
    const c = buildConfig(
      { ...required, name: ' vc1 ' },
      { virtualApiService: 'api', workloadServiceAccount: 'runner' },
    );
    expect(c).toMatchObject({ name: 'vc1', virtualApiService: 'api', workloadServiceAccount: 'runner' });
  });

  it('treats a null file value as unset', () => {
    expect(buildConfig({ ...required, workers: null }, {}).workers).toBe(32);
    expect(errorOf(() => buildConfig({ ...required, name: null }, {})).field).toBe("config field 'name'");
  });

  it.each([
    'key:NoSchedule',
    'key=value:NoExecute',
    'example.com/gpu=true:PreferNoSchedule',
    'key=:NoSchedule',
    // vCluster's forms without an effect, and every taint.
    'key',
    'key=value',
    '*',
    // vCluster's every taint of one effect (an empty key).
    ':NoSchedule',
  ])('accepts the toleration %j', (t) =>
    expect(buildConfig({}, { ...required, enforceToleration: [t] }).enforceTolerations).toEqual([t]),
  );

  it.each([
    'key:Sometimes',
    ':',
    ':Sometimes',
    '=v:NoSchedule',
    'key=a b:NoSchedule',
    '-key:NoSchedule',
    '**',
    'key=a=b',
  ])('rejects the toleration %j', (t) => {
    const err = errorOf(() => buildConfig({}, { ...required, enforceToleration: [t] }));
    expect(err.field).toBe('--enforce-toleration');
    expect(err.message).toContain(JSON.stringify(t));
  });

  it('checks leader-election timing only when leader election is on', () => {
    const timings = {
      leaderElectLeaseDuration: '10s',
      leaderElectRenewDeadline: '20s',
      leaderElectRetryPeriod: '30s',
    };
    expect(buildConfig({}, { ...required, ...timings }).leaderElectRenewDeadlineMs).toBe(20_000);
    const equal = { leaderElect: 'true', leaderElectLeaseDuration: '10s', leaderElectRenewDeadline: '10s' };
    expect(errorOf(() => buildConfig({}, { ...required, ...equal })).field).toBe(
      '--leader-elect-renew-deadline',
    );
    const ok = buildConfig(
      {},
      {
        ...required,
        leaderElect: 'true',
        leaderElectLeaseDuration: '30s',
        leaderElectRenewDeadline: '20s',
        leaderElectRetryPeriod: '5s',
      },
    );
    expect(ok).toMatchObject({
      leaderElect: true,
      leaderElectLeaseDurationMs: 30_000,
      leaderElectRenewDeadlineMs: 20_000,
      leaderElectRetryPeriodMs: 5_000,
    });
  });

  it.each([':8080', '0', '127.0.0.1:9090', '[::1]:8080', 'metrics.local:80'])(
    'accepts the metrics address %j',
    (a) => expect(buildConfig({}, { ...required, metricsBindAddress: a }).metricsBindAddress).toBe(a),
  );
});

describe('buildConfig: errors name the flag or the config field', () => {
  it.each([
    [{ name: 5 }, "config field 'name'", 'must be a string'],
    [{ logFormat: 'xml' }, "config field 'logFormat'", 'one of json, text'],
    [{ hostQps: 0 }, "config field 'hostQps'", 'positive number'],
    [{ hostBurst: 1.5 }, "config field 'hostBurst'", 'positive integer'],
    [{ leaderElect: 'yes' }, "config field 'leaderElect'", 'true or false'],
    [{ requestTimeout: 30 }, "config field 'requestTimeout'", 'positive duration'],
    [{ requestTimeout: '0s' }, "config field 'requestTimeout'", 'positive duration'],
    [{ requestTimeout: '600h' }, "config field 'requestTimeout'", 'at most 596h'],
    [{ sync: [1, 2] }, "config field 'sync'", 'list of strings'],
    [{ sync: { pods: true } }, "config field 'sync'", 'must be a list of kinds'],
    [{ 'host-qps': 5 }, 'host-qps', 'unknown config field'],
  ] as [Record<string, unknown>, string, string][])('file %j', (file, field, message) => {
    const err = errorOf(() => buildConfig({ ...required, ...file }, {}));
    expect(err.field).toBe(field);
    expect(err.message).toBe(`${field}: ${err.message.slice(field.length + 2)}`);
    expect(err.message).toContain(message);
  });

  it.each([
    [{ name: 'Bad_Name' }, "config field 'name'", 'DNS label'],
    [{ name: 'x'.repeat(53) }, "config field 'name'", 'at most 52'],
    [{ hostNamespace: 'Team A' }, "config field 'hostNamespace'", 'namespace name'],
    [{ virtualKubeconfig: '' }, "config field 'virtualKubeconfig'", 'is required'],
    [{ metricsBindAddress: 'localhost' }, "config field 'metricsBindAddress'", 'host:port'],
    [{ clusterDnsIp: 'dns' }, "config field 'clusterDnsIp'", 'IP address'],
    [{ enforceToleration: ['nope:Never'] }, "config field 'enforceToleration'", 'key[=value]'],
    [
      { leaderElect: true, leaderElectRenewDeadline: '1m' },
      "config field 'leaderElectRenewDeadline'",
      'shorter than --leader-elect-lease-duration',
    ],
    [
      { leaderElect: true, leaderElectLeaseDuration: '5s' },
      '--leader-elect-renew-deadline',
      "shorter than config field 'leaderElectLeaseDuration'",
    ],
    [
      { leaderElect: true, leaderElectRetryPeriod: '10s' },
      "config field 'leaderElectRetryPeriod'",
      'shorter than --leader-elect-renew-deadline',
    ],
  ] as [Record<string, unknown>, string, string][])(
    'a file value that fails a whole-config check: %j',
    (file, field, message) => {
      const err = errorOf(() => buildConfig({ ...required, ...file }, {}));
      expect(err.field).toBe(field);
      expect(err.message).toContain(message);
    },
  );

  it('names the flag when a flag supplied the bad value, even if the file has the field too', () => {
    const err = errorOf(() => buildConfig({ ...required, name: 'good' }, { name: 'Bad_Name' }));
    expect(err.field).toBe('--name');
    const err2 = errorOf(() => buildConfig({ ...required, workers: 2 }, { workers: 'x' }));
    expect(err2.field).toBe('--workers');
  });

  it('lists the known fields when rejecting an unknown one', () => {
    const err = errorOf(() => buildConfig({ ...required, wrokers: 3 }, {}));
    expect(err.message).toContain('known: name, hostNamespace');
    expect(err.message).toContain('workers');
  });
});

describe('the kubelet API settings', () => {
  const files = { kubeletTlsCertFile: '/t.crt', kubeletTlsKeyFile: '/t.key', kubeletClientCaFile: '/ca.crt' };
  const on = { ...required, ...files, kubeletBindAddress: '127.0.0.1:10250' };

  it('is off by default, and on with a port, its TLS files and an IP to advertise', () => {
    expect(buildConfig({}, required).kubeletBindAddress).toBe('0');
    expect(buildConfig({}, on)).toMatchObject({
      kubeletBindAddress: '127.0.0.1:10250',
      kubeletAdvertiseAddress: '127.0.0.1',
    });
  });

  it.each([
    [{ ...on, kubeletBindAddress: ':0' }, '--kubelet-bind-address', 'port from 1 to 65535'],
    [{ ...on, kubeletBindAddress: 'localhost' }, '--kubelet-bind-address', 'host:port'],
    [{ ...on, kubeletAdvertiseAddress: 'kubelet.local' }, '--kubelet-advertise-address', 'must be an IP'],
    [{ ...on, kubeletAdvertiseAddress: 'fd00::1::2' }, '--kubelet-advertise-address', 'must be an IP'],
    [{ ...on, kubeletAdvertiseAddress: 'fe80::1%eth0' }, '--kubelet-advertise-address', 'must be an IP'],
    [{ ...on, kubeletAdvertiseAddress: '010.0.0.1' }, '--kubelet-advertise-address', 'must be an IP'],
    [{ ...on, kubeletTlsKeyFile: '' }, '--kubelet-tls-key-file', 'is required when --kubelet-bind-address'],
    [{ ...on, kubeletNodePorts: '11000' }, '--kubelet-node-ports', 'first-last'],
    [{ ...on, kubeletNodeStats: 'true' }, '--kubelet-node-stats', 'needs --kubelet-node-ports'],
    [{ ...required, kubeletNodePorts: '11000-11010' }, '--kubelet-node-ports', 'needs the kubelet API'],
  ])('refuses %j naming %s', (flags, field, message) => {
    const err = errorOf(() => buildConfig({}, flags));
    expect(err.field).toBe(field);
    expect(err.message).toContain(message);
  });
});

describe('pod DNS settings', () => {
  it.each(['10.96.0.10', 'fd00::10', ''])('accepts --cluster-dns-ip %j (empty: discovered)', (ip) =>
    expect(buildConfig({}, { ...required, clusterDnsIp: ip }).clusterDnsIp).toBe(ip),
  );

  // Each would be every host pod's nameserver, which the host API refuses.
  it.each(['cafe', ':', '999.1.1.1', '10.96.0.300', '010.96.0.10', 'fe80::1%eth0'])(
    'refuses --cluster-dns-ip %j',
    (ip) => {
      const err = errorOf(() => buildConfig({}, { ...required, clusterDnsIp: ip }));
      expect(err.field).toBe('--cluster-dns-ip');
      expect(err.message).toContain(`must be an IP address, got ${JSON.stringify(ip)}`);
    },
  );

  it.each(['cluster.local', 'example.org', 'k8s'])('accepts --cluster-domain %j', (domain) =>
    expect(buildConfig({}, { ...required, clusterDomain: domain }).clusterDomain).toBe(domain),
  );

  it.each([
    ['empty', ''],
    ['Cluster..Local', 'Cluster..Local'],
    ['cluster..local', 'cluster..local'],
    ['Cluster.Local', 'Cluster.Local'],
    ['.cluster.local', '.cluster.local'],
    ['cluster.local.', 'cluster.local.'],
    ['254 characters', `${'a'.repeat(63)}.`.repeat(3) + 'a'.repeat(62)],
  ])('refuses --cluster-domain %s', (_what, domain) => {
    const err = errorOf(() => buildConfig({}, { ...required, clusterDomain: domain }));
    expect(err.field).toBe('--cluster-domain');
    expect(err.message).toContain('must be a DNS domain');
  });
});

describe('names and numbers', () => {
  it.each([
    [{ workloadServiceAccount: 'Bad_Name' }, '--workload-service-account', 'ServiceAccount name'],
    [{ virtualApiService: 'Bad_Svc' }, '--virtual-api-service', 'Service name'],
    [{ virtualApiService: 'api.example' }, '--virtual-api-service', 'Service name'],
    [
      { allowedInlineVolumeSource: ['bogus'] },
      '--allowed-inline-volume-source',
      'unknown volume source type "bogus"',
    ],
    [{ allowedInlineVolumeSource: ['NFS'] }, '--allowed-inline-volume-source', 'did you mean "nfs"'],
    [{ workers: '100000000' }, '--workers', 'must be at most 1000'],
    [{ workers: '1001' }, '--workers', 'must be at most 1000'],
    [{ hostQps: '0x10' }, '--host-qps', 'positive number in decimal notation, got "0x10"'],
    [{ hostBurst: '0b11' }, '--host-burst', 'positive integer in decimal notation'],
    [{ workers: '0o7' }, '--workers', 'positive integer in decimal notation'],
    [{ virtualQps: 'Infinity' }, '--virtual-qps', 'must be a positive number, got "Infinity"'],
    [{ hostQps: '-3' }, '--host-qps', 'must be a positive number, got "-3"'],
  ] as [Record<string, unknown>, string, string][])('refuses %j', (flags, field, message) => {
    const err = errorOf(() => buildConfig({}, { ...required, ...flags }));
    expect(err.field).toBe(field);
    expect(err.message).toContain(message);
  });

  it('accepts the names and numbers those checks must let through', () => {
    const c = buildConfig(
      {},
      {
        ...required,
        workloadServiceAccount: 'runner.v2',
        virtualApiService: 'vc1-api',
        allowedInlineVolumeSource: ['nfs', 'awsElasticBlockStore', 'gitRepo', 'emptyDir'],
        workers: '1000',
        hostQps: '2.5',
        virtualQps: '1e3',
        hostBurst: '+7',
      },
    );
    expect(c).toMatchObject({
      workloadServiceAccount: 'runner.v2',
      virtualApiService: 'vc1-api',
      allowedInlineVolumeSources: ['nfs', 'awsElasticBlockStore', 'gitRepo', 'emptyDir'],
      workers: 1000,
      hostQps: 2.5,
      virtualQps: 1000,
      hostBurst: 7,
    });
  });

  it.each([
    [NaN, 'NaN (not a number)'],
    [Infinity, 'got Infinity'],
  ])('says a config file number %s is none', (value, message) => {
    const err = errorOf(() => buildConfig({ ...required, hostQps: value }, {}));
    expect(err.field).toBe("config field 'hostQps'");
    expect(err.message).toContain(message);
    expect(err.message).not.toContain('null');
  });
});

describe('the listeners', () => {
  const tls = { kubeletTlsCertFile: '/t.crt', kubeletTlsKeyFile: '/t.key', kubeletClientCaFile: '/ca.crt' };

  it.each([':99999', '127.0.0.1:65536'])('refuses --metrics-bind-address %j: no such port', (address) => {
    const err = errorOf(() => buildConfig({}, { ...required, metricsBindAddress: address }));
    expect(err.field).toBe('--metrics-bind-address');
    expect(err.message).toContain('port from 0 to 65535');
  });

  it.each([
    [
      { metricsBindAddress: ':10250', kubeletBindAddress: ':10250' },
      '--kubelet-bind-address',
      '--metrics-bind-address',
    ],
    [
      { metricsBindAddress: '127.0.0.1:10250', kubeletBindAddress: '0.0.0.0:10250' },
      '--kubelet-bind-address',
      '--metrics-bind-address',
    ],
    [
      { metricsBindAddress: ':9001', metricsServerProxy: 'true' },
      '--metrics-server-proxy-port',
      '--metrics-bind-address',
    ],
    [
      { kubeletBindAddress: '127.0.0.1:9001', metricsServerProxy: 'true' },
      '--metrics-server-proxy-port',
      '--kubelet-bind-address',
    ],
  ])('refuses two listeners on one port: %j', (flags, field, other) => {
    const err = errorOf(() =>
      buildConfig({}, { ...required, ...tls, kubeletBindAddress: ':10250', ...flags }),
    );
    expect(err.field).toBe(field);
    expect(err.message).toContain(`is already taken by ${other}`);
  });

  it('lets listeners share a port number on distinct addresses, and any number take port 0', () => {
    const c = buildConfig(
      {},
      {
        ...required,
        ...tls,
        metricsBindAddress: '10.0.0.5:10250',
        kubeletBindAddress: '127.0.0.1:10250',
      },
    );
    expect(c.metricsBindAddress).toBe('10.0.0.5:10250');
    expect(buildConfig({}, { ...required, metricsBindAddress: ':0' }).metricsBindAddress).toBe(':0');
  });
});

describe('the API passthrough settings', () => {
  it('is off by default, on every IPv4 address when on', () => {
    expect(buildConfig({}, required)).toMatchObject({ apiProxyPort: 0, apiProxyBindAddress: '0.0.0.0' });
    expect(buildConfig({}, { ...required, apiProxyPort: '8443' }).apiProxyPort).toBe(8443);
    expect(buildConfig({ ...required, apiProxyPort: 8443 }, {}).apiProxyPort).toBe(8443);
  });

  it.each([
    ['0', 0],
    ['-0', 0],
    ['1', 1],
    ['65535', 65535],
  ])('takes --api-proxy-port %j', (port, parsed) =>
    expect(Object.is(buildConfig({}, { ...required, apiProxyPort: port }).apiProxyPort, parsed)).toBe(true),
  );

  it.each(['::', '127.0.0.1', '10.0.0.5', 'fd00::5'])('takes --api-proxy-bind-address %j', (ip) =>
    expect(
      buildConfig({}, { ...required, apiProxyPort: '8443', apiProxyBindAddress: ip }).apiProxyBindAddress,
    ).toBe(ip),
  );

  it.each([
    [{ apiProxyPort: '65536' }, '--api-proxy-port', 'must be a port from 1 to 65535, or 0 (off), got 65536'],
    [{ apiProxyPort: '-1' }, '--api-proxy-port', 'must be 0 or a positive integer, got "-1"'],
    [{ apiProxyPort: '8443.5' }, '--api-proxy-port', 'must be 0 or a positive integer, got "8443.5"'],
    [{ apiProxyPort: 'https' }, '--api-proxy-port', 'must be 0 or a positive integer, got "https"'],
    [{ apiProxyPort: '0x20fb' }, '--api-proxy-port', '0 or a positive integer in decimal notation'],
    [{ apiProxyBindAddress: 'localhost' }, '--api-proxy-bind-address', 'must be an IP address'],
    [{ apiProxyBindAddress: ':8443' }, '--api-proxy-bind-address', '(the port is --api-proxy-port)'],
    [{ apiProxyBindAddress: '0.0.0.0:8443' }, '--api-proxy-bind-address', 'got "0.0.0.0:8443"'],
    [{ apiProxyBindAddress: 'fe80::1%eth0' }, '--api-proxy-bind-address', 'must be an IP address'],
  ] as [Record<string, unknown>, string, string][])('refuses %j naming %s', (flags, field, message) => {
    const err = errorOf(() => buildConfig({}, { ...required, ...flags }));
    expect(err.field).toBe(field);
    expect(err.message).toContain(message);
  });

  it('names the config-file field when the file gave the bad value', () => {
    const err = errorOf(() => buildConfig({ ...required, apiProxyPort: 70000 }, {}));
    expect(err.field).toBe("config field 'apiProxyPort'");
    expect(err.message).toContain('got 70000');
  });

  it.each([
    [{ metricsBindAddress: ':8443' }, '--metrics-bind-address'],
    [{ metricsBindAddress: '127.0.0.1:8443', apiProxyBindAddress: '::' }, '--metrics-bind-address'],
    [
      {
        kubeletBindAddress: '0.0.0.0:8443',
        kubeletTlsCertFile: '/t.crt',
        kubeletTlsKeyFile: '/t.key',
        kubeletClientCaFile: '/ca.crt',
      },
      '--kubelet-bind-address',
    ],
  ])("refuses another listener's port: %j", (flags, other) => {
    const err = errorOf(() => buildConfig({}, { ...required, apiProxyPort: '8443', ...flags }));
    expect(err.field).toBe('--api-proxy-port');
    expect(err.message).toContain(`port 8443 is already taken by ${other}`);
  });

  it('shares a port number with a listener on another address, and never checks a port that is off', () => {
    expect(
      buildConfig(
        {},
        {
          ...required,
          apiProxyPort: '8443',
          apiProxyBindAddress: '10.0.0.5',
          metricsBindAddress: '127.0.0.1:8443',
        },
      ).apiProxyPort,
    ).toBe(8443);
    expect(buildConfig({}, { ...required, metricsBindAddress: ':0' }).apiProxyPort).toBe(0);
  });
});
