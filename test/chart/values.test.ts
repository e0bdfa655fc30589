import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { tempDirs } from '../../src/testing/temp-dirs.ts';
import { FIELDS, fileKeyOf } from '../../src/config/config.ts';
import { managedByValue } from '../../src/naming/labels.ts';
import { hostClusterScopedName } from '../../src/naming/names.ts';
import {
  CHART,
  EVERYTHING_ON,
  helm,
  REPO_ROOT,
  render,
  renderText,
  syncerArgs,
  templateArgs,
  type Manifest,
} from './render.ts';

const tempDir = tempDirs();

/** Renders the chart with helm's own arguments after the usual ones (--set-json, -f, ...). */
const renderWith = (...args: string[]) => helm([...templateArgs(), ...args]);

const VALUES = parseYaml(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;

/** Whether a dotted path (`syncer.kubelet.port`) names a value of values.yaml. */
function isValue(path: string): boolean {
  let at: unknown = VALUES;
  for (const part of path.split('.')) {
    if (typeof at !== 'object' || at === null || !(part in at)) return false;
    at = (at as Record<string, unknown>)[part];
  }
  return true;
}

describe('helm chart: syncer.config carries only what no flag sets', () => {
  it('refuses settings the chart passes as flags, which override the file, naming the value to set instead', () => {
    // Both would be silently ignored: the chart renders --host-qps and --log-level from its own values.
    expect(() => renderWith('--set-json', 'syncer.config={"hostQps":100,"logLevel":"debug"}')).toThrow(
      /syncer\.config\.hostQps \(--host-qps\): set syncer\.hostQps instead; syncer\.config\.logLevel \(--log-level\): set syncer\.logLevel instead/,
    );
    // The syncer would obey this one, and find no host RBAC for ingresses: no controller would start.
    expect(() => render({ 'syncer.config.sync[0]': 'ingresses' })).toThrow(
      /syncer\.config\.sync \(--sync\): set syncer\.sync instead/,
    );
    // A value's own name (which the syncer would refuse as unknown) points at that value.
    expect(() => render({ 'syncer.config.syncAllConfigMaps': 'true' })).toThrow(
      /syncer\.config\.syncAllConfigMaps: set syncer\.syncAllConfigMaps instead/,
    );
    expect(() => render({ 'syncer.config.noSuchSetting': 'true' })).toThrow(
      /syncer\.config\.noSuchSetting is not a setting of the syncer's config file/,
    );
  });

  it("refuses every key of the syncer's config file but customResources and integrations, each naming a value of values.yaml or saying the chart sets it", () => {
    const keys = FIELDS.map((f) => fileKeyOf(f.flag));
    const config = Object.fromEntries(keys.map((k) => [k, 'x']));
    let message = '';
    try {
      renderWith('--set-json', `syncer.config=${JSON.stringify(config)}`);
    } catch (err) {
      message = (err as Error).message;
    }
    const clauses = new Map(
      [...message.matchAll(/syncer\.config\.([A-Za-z]+)([^;\n]*)/g)].map((m) => [m[1]!, m[2]!.trim()]),
    );
    const wrong: string[] = [];
    for (const key of keys) {
      const clause = clauses.get(key) ?? '(not refused)';
      const instead = /^\(--[a-z-]+\): set ([A-Za-z0-9.]+) instead$/.exec(clause)?.[1];
      const byChart = /^\(--[a-z-]+\) is set by the chart \(.+\)$/.test(clause);
      if (!(byChart || (instead && isValue(instead)))) wrong.push(`${key}: ${clause}`);
    }
    expect(wrong).toEqual([]);
  });

  it('passes customResources through the config file (--config), which only the file reaches', () => {
    const ms = render({
      'syncer.config.customResources.toHost[0].resource': 'certificates.cert-manager.io/v1',
    });
    expect(syncerArgs(ms)).toContain('--config=/etc/vsyncer/config/config.yaml');
    const file = ms.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'vc1-syncer') as
      { data: Record<string, string> } | undefined;
    expect(parseYaml(file!.data['config.yaml']!)).toEqual({
      customResources: { toHost: [{ resource: 'certificates.cert-manager.io/v1' }] },
    });
    expect(syncerArgs(render()).some((a) => a.startsWith('--config'))).toBe(false);
  });

  it("passes integrations through the config file: vCluster's certManager and externalSecrets, as vCluster writes them", () => {
    const ms = render({ 'syncer.config.integrations.certManager.enabled': 'true' });
    expect(syncerArgs(ms)).toContain('--config=/etc/vsyncer/config/config.yaml');
    const file = ms.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'vc1-syncer') as
      { data: Record<string, string> } | undefined;
    expect(parseYaml(file!.data['config.yaml']!)).toEqual({
      integrations: { certManager: { enabled: true } },
    });
    const externalSecrets = render({
      'syncer.config.integrations.externalSecrets.enabled': 'true',
      'syncer.config.integrations.externalSecrets.sync.toHost.stores.enabled': 'true',
    });
    const esFile = externalSecrets.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'vc1-syncer') as
      { data: Record<string, string> } | undefined;
    expect(parseYaml(esFile!.data['config.yaml']!)).toEqual({
      integrations: { externalSecrets: { enabled: true, sync: { toHost: { stores: { enabled: true } } } } },
    });
    // The other integrations of vCluster's are not offered (metricsServer is a value of its own).
    expect(() => render({ 'syncer.config.integrations.metricsServer.enabled': 'true' })).toThrow(
      /syncer\.config\.integrations\.metricsServer: set syncer\.metricsServerProxy\.enabled instead/,
    );
    expect(() => render({ 'syncer.config.integrations.kubeVirt.enabled': 'true' })).toThrow(
      /syncer\.config\.integrations\.kubeVirt: vsyncer has no equivalent/,
    );
  });
});

describe('helm chart: syncer.sync read as the syncer reads --sync', () => {
  const roleResources = (ms: Manifest[]) =>
    ((ms.find((m) => m.kind === 'Role')?.rules ?? []) as { apiGroups: string[]; resources: string[] }[])
      .filter((r) => r.apiGroups.includes('networking.k8s.io'))
      .flatMap((r) => r.resources)
      .sort();

  it('grants the kinds of an entry holding several, and renders the entries as given', () => {
    const ms = render({ 'syncer.sync[0]': 'ingresses\\,networkpolicies' });
    expect(syncerArgs(ms)).toContain('--sync=ingresses,networkpolicies');
    expect(roleResources(ms)).toEqual(['ingresses', 'networkpolicies']);
  });

  it('lets the last mention of a kind decide', () => {
    expect(roleResources(render({ 'syncer.sync[0]': '-ingresses', 'syncer.sync[1]': 'ingresses' }))).toEqual([
      'ingresses',
    ]);
    expect(roleResources(render({ 'syncer.sync[0]': 'ingresses\\, -ingresses' }))).toEqual([]);
  });

  it('refuses a syncer.sync that is not a list, with the way to write one', () => {
    expect(() => render({ 'syncer.sync': 'ingresses' })).toThrow(
      /at '\/syncer\/sync': got string, want array/,
    );
    // The chart's own check, should the schema be skipped.
    expect(() => renderWith('--skip-schema-validation', '--set', 'syncer.sync=ingresses')).toThrow(
      `syncer.sync must be a list of kinds, such as [ingresses, -events] (--set 'syncer.sync={ingresses,-events}' or --set 'syncer.sync[0]=ingresses'), not the string "ingresses"`,
    );
    expect(() => render({ 'syncer.sync[0]': '+*' })).toThrow('"+*" is not a kind');
  });
});

describe('helm chart: values that would render a broken or an open manifest are refused', () => {
  it('refuses an empty isolation.networkPolicy.hostApiPorts, which would allow the control plane all egress', () => {
    expect(() =>
      renderWith('--set', 'isolation.enabled=true', '--set-json', 'isolation.networkPolicy.hostApiPorts=[]'),
    ).toThrow(/isolation\.networkPolicy\.hostApiPorts is empty: .* allows all egress/);
  });

  it('refuses a host kubeconfig named twice, and a Secret key that is no file name', () => {
    expect(() =>
      render({
        'syncer.hostKubeconfig': '/etc/host.conf',
        'syncer.hostKubeconfigSecret.name': 'host-access',
      }),
    ).toThrow(
      'syncer.hostKubeconfig and syncer.hostKubeconfigSecret.name both name the host kubeconfig: set one',
    );
    for (const key of ['..', 'a/b', ''])
      expect(() =>
        render({ 'syncer.hostKubeconfigSecret.name': 'host-access', 'syncer.hostKubeconfigSecret.key': key }),
      ).toThrow(/hostKubeconfigSecret.*key/);
  });

  it.each(['team.a', '1team'])('refuses release name %s, which is no RFC 1035 label', (release) => {
    expect(() => renderText({}, 'team-a', release)).toThrow(
      `release name "${release}": the chart names the virtual cluster and its objects (Services among them) after the release, so it must be an RFC 1035 label`,
    );
  });

  it('takes release names that are RFC 1035 labels, the longest cut to 52 characters', () => {
    const long = `a${'b'.repeat(50)}-c`; // 53 characters, Helm's limit
    expect(syncerArgs(render())).toContain('--name=vc1');
    expect(renderText({}, 'team-a', long)).toContain(`"--name=${long.slice(0, 51)}"\n`);
  });

  it.each([
    ['exportKubeconfig.secret.name', 'foo', "at '/exportKubeconfig/secret': got object, want string"],
    ['syncer.metricsPort', 'abc', "at '/syncer/metricsPort': got string, want integer"],
    ['syncer.metricsPort', '0', "at '/syncer/metricsPort': minimum: got 0, want 1"],
    ['syncer.kubelet.port', '65536', "at '/syncer/kubelet/port': maximum: got 65,536, want 65,535"],
    [
      'controlPlane.service.httpsNodePort',
      '70000',
      "at '/controlPlane/service/httpsNodePort': maximum: got 70,000, want 65,535",
    ],
    [
      'isolation.networkPolicy.hostApiPorts[0]',
      '0',
      "at '/isolation/networkPolicy/hostApiPorts/0': minimum: got 0, want 1",
    ],
    ['k3s.extraArgs', '--foo', "at '/k3s/extraArgs': got string, want array"],
    ['syncer.enforceTolerations', 'a:NoSchedule', "at '/syncer/enforceTolerations': got string, want array"],
    ['syncer.allowedPvSources', 'nfs', "at '/syncer/allowedPvSources': got string, want array"],
    ['syncer.deniedHostMetadata', 'a/b', "at '/syncer/deniedHostMetadata': got string, want array"],
    ['syncer.nodeSelector.pool', 'tenants', "at '/syncer/nodeSelector': got object, want string"],
    // A number YAML reads from 1.10 would render as 1.1.
    ['syncer.image.tag', '110', "at '/syncer/image/tag': got number, want string"],
    // A misspelt key under syncer would be ignored.
    ['syncer.syncAllConfigmaps', 'true', "additional properties 'syncAllConfigmaps' not allowed"],
    ['syncer.kubelet.nodestats', 'true', "additional properties 'nodestats' not allowed"],
    // Nor under the chart's other sections: a misspelt isolation switch would leave a tenant with no
    // quota or network policy, a misspelt quota limit at the default.
    ['isolation.enabeld', 'true', "at '/isolation': additional properties 'enabeld' not allowed"],
    [
      'isolation.resourceQuota.hrad.pods',
      '10',
      "at '/isolation/resourceQuota': additional properties 'hrad' not allowed",
    ],
    // vCluster v0.19's isolation keys, which vsyncer names otherwise (resourceQuota.hard).
    [
      'isolation.resourceQuota.quota.pods',
      '10',
      "at '/isolation/resourceQuota': additional properties 'quota' not allowed",
    ],
    [
      'isolation.podSecurityStandard',
      'restricted',
      "additional properties 'podSecurityStandard' not allowed",
    ],
    ['isolation.networkPolicy.enable', 'true', "additional properties 'enable' not allowed"],
    ['isolation.limitRange.defaults.cpu', '1', "additional properties 'defaults' not allowed"],
    ['persistence.enable', 'false', "at '/persistence': additional properties 'enable' not allowed"],
    ['metrics.serviceMonitor.enable', 'true', "additional properties 'enable' not allowed"],
    [
      'exportKubeconfig.sercet.name',
      'x',
      "at '/exportKubeconfig': additional properties 'sercet' not allowed",
    ],
    ['k3s.datastore.endpiont', 'x', "additional properties 'endpiont' not allowed"],
    ['vanilla.coredns.enable', 'true', "additional properties 'enable' not allowed"],
  ])('refuses %s=%s by the schema', (key, value, error) => {
    expect(() => render({ [key]: value })).toThrow(error);
  });

  it('takes only the choices the syncer takes for the values of its enumerated flags (--log-level, ...)', () => {
    const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as {
      properties: { syncer: { properties: Record<string, { enum?: string[] }> } };
    };
    const enums = FIELDS.filter((f) => f.kind === 'enum');
    expect(enums.map((f) => f.flag).sort()).toEqual([
      'log-format',
      'log-level',
      'pod-security-standard',
      'pod-token-secrets',
    ]);
    for (const field of enums) {
      const key = fileKeyOf(field.flag);
      expect([key, schema.properties.syncer.properties[key]?.enum]).toEqual([key, field.choices]);
      expect(() => render({ [`syncer.${key}`]: 'verbose' })).toThrow(
        `at '/syncer/${key}': value must be one of`,
      );
    }
  });

  it.each([
    // (vCluster's keys that have an exact vsyncer value are read: test/chart/vcluster-values.test.ts.)
    [
      'exportKubeConfig.serviceAccount.audience',
      'admin',
      /exportKubeConfig\.serviceAccount\.audience: vsyncer has no equivalent of this key/,
    ],
    [
      'exportKubeconfig.serviceAccount.clusterRole',
      'view',
      /serviceAccount\.clusterRole is bound to serviceAccount\.name, which is not given/,
    ],
    // A misspelt key would export the syncer's admin credentials instead of the account's token.
    [
      'exportKubeconfig.serviceAccount.nmae',
      'argocd',
      /at '\/exportKubeconfig\/serviceAccount': additional properties 'nmae' not allowed/,
    ],
    ['sync.toHost.namespaces.enabled', 'true', /sync\.toHost\.namespaces: vsyncer has no equivalent/],
    ['privateNodes.enabled', 'true', /privateNodes: vsyncer has no private nodes/],
    [
      'controlPlane.backingStore.database.external.enabled',
      'true',
      /database\.external: .*k3s\.datastore\.secretName/,
    ],
    [
      'controlPlane.statefulSet.workingDir',
      '/srv',
      /controlPlane\.statefulSet\.workingDir: vsyncer has no equivalent/,
    ],
  ])(
    "refuses vCluster's %s, which it does not read, naming the value to set instead",
    (key, value, message) => {
      expect(() => render({ [key]: value })).toThrow(message);
    },
  );

  it("refuses every top-level key of vCluster's chart (0.20 on) but controlPlane, and takes other keys", () => {
    // vCluster's values.schema.json, top-level properties.
    const vclusters = [
      'global',
      'exportKubeConfig',
      'sync',
      'integrations',
      'deploy',
      'networking',
      'policies',
      'controlPlane',
      'privateNodes',
      'rbac',
      'plugins',
      'experimental',
      'telemetry',
      'serviceCIDR',
      'pro',
      'plugin',
      'logging',
      'sleep',
      'snapshots',
      'deletion',
      'platform',
    ];
    const refused = (key: string) => {
      try {
        render({ [`${key}.x`]: 'y' });
        return false;
      } catch (err) {
        // A key whose section is read (sync, networking, ...) is refused as `<key>.x: ...` or `<key> must ...`.
        return new RegExp(`: ${key}[ .:]`).test((err as Error).message);
      }
    };
    // global is Helm's (an umbrella chart's), controlPlane this chart's own.
    expect(vclusters.filter((k) => !refused(k))).toEqual(['global', 'controlPlane']);
    expect(() => render({ 'someTool.enabled': 'true' })).not.toThrow();
  });

  it('validates the values of the values examples in the docs', () => {
    const tops = new Set(Object.keys(VALUES));
    const examples: string[] = [];
    for (const doc of ['docs/helm.md', 'docs/custom-resources.md']) {
      const text = readFileSync(join(REPO_ROOT, doc), 'utf8');
      for (const m of text.matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
        const docs = parseAllDocuments(m[1]!).map((d) => d.toJS() as unknown);
        const values = docs.length === 1 ? docs[0] : undefined;
        if (values && typeof values === 'object' && Object.keys(values).every((k) => tops.has(k)))
          examples.push(m[1]!);
      }
    }
    expect(examples.length).toBeGreaterThanOrEqual(2);
    const dir = tempDir('vsyncer-values-');
    for (const [i, example] of examples.entries()) {
      const file = join(dir, `example-${i}.yaml`);
      writeFileSync(file, example);
      expect(() => renderWith('-f', file)).not.toThrow();
    }
  });
});

describe('helm chart: strings of the values reach args, env and images as written', () => {
  type Container = { name: string; image: string; args?: string[]; env?: { valueFrom?: unknown }[] };
  const podContainers = (text: string): Container[] => {
    const sts = parseAllDocuments(text)
      .map((d) => d.toJS() as Manifest | null)
      .find((m) => m?.kind === 'StatefulSet') as unknown as {
      spec: { template: { spec: { containers: Container[]; initContainers?: Container[] } } };
    };
    return [...(sts.spec.template.spec.initContainers ?? []), ...sts.spec.template.spec.containers];
  };
  const withValues = (values: unknown) => {
    const file = join(tempDir('vsyncer-strings-'), 'values.yaml');
    writeFileSync(file, JSON.stringify(values));
    return podContainers(renderWith('-f', file));
  };
  // A trailing colon (a YAML map when unquoted), ": " inside, " #" (a comment), a leading quote.
  const awkward = ['--kube-apiserver-arg=oidc-username-prefix=oidc:', '--a=b: c', '--a=b #x', '--a="b"'];

  it("passes k3s's extra args unchanged", () => {
    const k3s = withValues({ k3s: { extraArgs: awkward } }).find((c) => c.name === 'k3s')!;
    expect(k3s.args!.slice(-awkward.length)).toEqual(awkward);
  });

  it("passes the vanilla control plane's extra args unchanged, each container its own", () => {
    const cs = withValues({
      controlPlane: { distro: 'vanilla' },
      syncer: { virtualScheduler: true, syncRealNodes: true },
      vanilla: Object.fromEntries(
        ['etcd', 'apiServer', 'controllerManager', 'scheduler'].map((c) => [
          c,
          { extraArgs: awkward.map((a) => `${a}-${c}`) },
        ]),
      ),
    });
    for (const [container, key] of [
      ['etcd', 'etcd'],
      ['kube-apiserver', 'apiServer'],
      ['kube-controller-manager', 'controllerManager'],
      ['kube-scheduler', 'scheduler'],
    ])
      expect([container, cs.find((c) => c.name === container)!.args!.slice(-awkward.length)]).toEqual([
        container,
        awkward.map((a) => `${a}-${key}`),
      ]);
  });

  it("passes the syncer's string values unchanged, and the data store's Secret name and images", () => {
    const cs = withValues({
      k3s: { image: 'registry.example.com:5000/k3s:v1 #x', datastore: { secretName: 'db' } },
      isolation: { enabled: true, networkPolicy: { controlPlaneEgress: [{ ports: [{ port: 5432 }] }] } },
      syncer: {
        replicas: 2,
        image: { repository: 'registry.example.com:5000/vsyncer', tag: 'v1: x' },
        deniedHostMetadata: ['a: b', 'c #d'],
        nodeSelector: 'pool: x',
        hostsRewriteImage: 'alpine:3 #x',
      },
      exportKubeconfig: { server: 'https://vc.example.com:443/#x' },
    });
    const syncer = cs.find((c) => c.name === 'syncer')!;
    expect(syncer.image).toBe('registry.example.com:5000/vsyncer:v1: x');
    expect(syncer.args).toEqual(
      expect.arrayContaining([
        '--denied-host-metadata=a: b',
        '--denied-host-metadata=c #d',
        '--node-selector=pool: x',
        '--hosts-rewrite-image=alpine:3 #x',
        '--kubeconfig-secret-server=https://vc.example.com:443/#x',
      ]),
    );
    expect(cs.find((c) => c.name === 'k3s')!.image).toBe('registry.example.com:5000/k3s:v1 #x');
  });
});

describe('docs/helm.md: Values and the flags they set', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs/helm.md'), 'utf8');
  const start = doc.indexOf('## Values and the flags they set');
  const table = doc
    .slice(start, doc.indexOf('\n\n', doc.indexOf('\n|', start)))
    .split('\n')
    .filter((l) => l.startsWith('|'));

  it('has a row for every flag the chart renders', () => {
    const flags = new Set(
      [
        ...syncerArgs(render(EVERYTHING_ON)),
        ...syncerArgs(render({ 'syncer.kubelet.enabled': 'false', 'syncer.config.customResources.x': 'y' })),
      ]
        .filter((a) => a.startsWith('--'))
        .map((a) => a.split('=')[0]!),
    );
    expect([...flags].filter((f) => !table.some((row) => row.includes(`\`${f}\``)))).toEqual([]);
  });

  it('has a row for every syncer value that sets a flag', () => {
    const chartOnly = [
      'image',
      'replicas',
      'resources',
      'customResourceRules',
      'hostClusterRole',
      'hostRole',
      'serviceAccount',
    ];
    const missing = Object.keys(VALUES.syncer as object)
      .filter((k) => !chartOnly.includes(k))
      .filter((k) => !table.some((row) => row.includes(`\`syncer.${k}`)));
    expect(missing).toEqual([]);
  });

  it('gives --kubelet-bind-address as the chart renders it', () => {
    const rendered = syncerArgs(render()).find((a) => a.startsWith('--kubelet-bind-address='));
    expect(rendered).toBe('--kubelet-bind-address=:10250');
    const row = table.find((r) => r.includes('`--kubelet-bind-address`'));
    expect(row).toContain('`:<port>`');
    expect(row).not.toContain('127.0.0.1');
  });
});

describe('docs/helm.md: Uninstalling names what helm uninstall leaves, as the syncer names it', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs/helm.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Uninstalling'), doc.indexOf('## Upgrading'));
  const where = { vcName: '<release>', hostNamespace: '<ns>' };

  it('gives the cluster-scoped copies their names and managed-by label, and deletes every kind the syncer copies there', () => {
    expect(section).toContain(`\`${hostClusterScopedName('<name>', '<ns>', '<release>')}\``);
    const selector = `-l vcluster.loft.sh/managed-by=${managedByValue(where, false)}`;
    const commands = section.split('\n').filter((l) => l.includes(selector));
    expect(commands.map((l) => l.trim().split(' ').slice(0, 2).join(' '))).toEqual([
      'kubectl get',
      'kubectl delete',
    ]);
    // The kinds whose copies the syncer may create at the cluster scope (its ClusterRole's create).
    const ms = render({ 'syncer.sync[0]': '*' });
    const created = ms
      .filter((m) => m.kind === 'ClusterRole')
      .flatMap((m) => (m as unknown as { rules: { resources: string[]; verbs: string[] }[] }).rules)
      .filter((r) => r.verbs.includes('create'))
      .flatMap((r) => r.resources)
      .sort();
    expect(created).toEqual(['persistentvolumes', 'priorityclasses', 'storageclasses']);
    for (const command of commands) expect(command.trim().split(' ')[2]!.split(',').sort()).toEqual(created);
  });

  it('names the leader-election Lease the chart lets the syncer hold', () => {
    const role = render({ 'syncer.leaderElect': 'true' }).find(
      (m) => m.kind === 'Role' && m.metadata.name === 'vc1',
    );
    const leases = (
      role as unknown as { rules: { resources: string[]; resourceNames?: string[] }[] }
    ).rules.find((r) => r.resources.includes('leases') && r.resourceNames)!.resourceNames!;
    expect(leases).toEqual(['vsyncer-vc1']);
    expect(section).toContain('`kubectl -n <ns> delete lease vsyncer-<release>`');
  });
});

describe('helm chart: syncer.shutdownTimeout and the pod grace period', () => {
  it("gives the pod the syncer's shutdown and 30 s more (at least 60 s), so the lease is released before SIGKILL", () => {
    const grace = (timeout: string) => {
      const sts = render({ 'syncer.shutdownTimeout': timeout }).find((m) => m.kind === 'StatefulSet')!;
      return (sts.spec as { template: { spec: { terminationGracePeriodSeconds: number } } }).template.spec
        .terminationGracePeriodSeconds;
    };
    expect(grace('30s')).toBe(60);
    expect(grace('45s')).toBe(75);
    expect(grace('1m30s')).toBe(120);
    expect(grace('1.5s')).toBe(60);
    expect(grace('2h')).toBe(7230);
  });
});
