import { isolationOf, renderValues, syncerArgs, type Manifest, ungenerated } from './render.ts';

const tolerationArgs = (tolerations: unknown[]) =>
  syncerArgs(renderValues({ syncer: { enforceTolerations: tolerations } })).filter((a) =>
    a.startsWith('--enforce-toleration='),
  );

describe('helm chart: syncer.enforceTolerations', () => {
  it("takes pod tolerations as vCluster's docs write them, as the flag's strings", () => {
    expect(
      tolerationArgs([
        'dedicated=tenants:NoSchedule',
        { key: 'gpu', operator: 'Exists', effect: 'NoExecute' },
        { operator: 'Exists' },
        { key: 'pool', value: 'tenants' },
        { key: 'pool', operator: 'Equal', value: 'tenants', effect: 'NoSchedule' },
        { operator: 'Exists', effect: 'NoSchedule' },
        ':PreferNoSchedule',
      ]),
    ).toEqual([
      '--enforce-toleration=dedicated=tenants:NoSchedule',
      '--enforce-toleration=gpu:NoExecute',
      '--enforce-toleration=*',
      '--enforce-toleration=pool=tenants',
      '--enforce-toleration=pool=tenants:NoSchedule',
      '--enforce-toleration=:NoSchedule',
      '--enforce-toleration=:PreferNoSchedule',
    ]);
  });

  it('refuses a toleration the flag cannot say, and a string the syncer would refuse at start', () => {
    // `gpu` alone would be Equal with an empty value: narrower than Exists.
    expect(() => tolerationArgs([{ key: 'gpu', operator: 'Exists' }])).toThrow(
      /operator Exists with a key needs an effect/,
    );
    expect(() =>
      tolerationArgs([
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 30,
        },
      ]),
    ).toThrow(/tolerationSeconds cannot be enforced/);
    expect(() => tolerationArgs([{ value: 'x' }])).toThrow(/operator Equal needs a key/);
    expect(() => tolerationArgs(['a b'])).toThrow(/"a b" is not a toleration --enforce-toleration takes/);
    expect(() => tolerationArgs([{ key: 'a', effect: 'Sometimes' }])).toThrow(/enforceTolerations\/0/);
  });
});

/** A vcluster.yaml of the keys this chart maps (docs/helm.md: vCluster values this chart reads). */
/**
 * vsyncer's own default quota (isolation.resourceQuota.hard), written out here rather than read from
 * the chart's values, so that a change of the default fails this test.
 */
const VSYNCER_QUOTA = {
  'requests.cpu': '10',
  'requests.memory': '20Gi',
  'requests.storage': '100Gi',
  pods: '100',
  services: '50',
  'services.nodeports': '0',
  'services.loadbalancers': '1',
  'count/secrets': '200',
  'count/configmaps': '100',
  'count/persistentvolumeclaims': '20',
};

/** vCluster's default quota and limit range, which vcluster.yaml's policies get (its chart's values). */
const VCLUSTER_QUOTA = {
  'requests.cpu': '10',
  'requests.memory': '20Gi',
  'requests.storage': '100Gi',
  'requests.ephemeral-storage': '60Gi',
  'limits.cpu': '20',
  'limits.memory': '40Gi',
  'limits.ephemeral-storage': '160Gi',
  'services.nodeports': '0',
  'services.loadbalancers': '1',
  'count/endpoints': '40',
  'count/pods': '20',
  'count/services': '20',
  'count/secrets': '100',
  'count/configmaps': '100',
  'count/persistentvolumeclaims': '20',
};
const VCLUSTER_LIMITS = {
  default: { 'ephemeral-storage': '8Gi', memory: '512Mi', cpu: '1' },
  defaultRequest: { 'ephemeral-storage': '3Gi', memory: '128Mi', cpu: '100m' },
};

const VCLUSTER_YAML = {
  sync: {
    toHost: {
      ingresses: { enabled: true },
      secrets: { enabled: true, all: true },
      configMaps: { all: true },
      podDisruptionBudgets: { enabled: false },
      pods: {
        enabled: true,
        translateImage: { nginx: 'mirror.example.com/nginx' },
        enforceTolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }],
        runtimeClassName: 'gvisor',
        priorityClassName: 'tenant-low',
        useSecretsForSATokens: true,
        rewriteHosts: {
          enabled: true,
          initContainer: { image: { registry: 'mirror.gcr.io', repository: 'library/alpine', tag: '3.21' } },
        },
        hybridScheduling: { enabled: false, hostSchedulers: [] },
      },
      namespaces: { enabled: false },
    },
    fromHost: {
      events: { enabled: false },
      csiDrivers: { enabled: 'auto' },
      ingressClasses: { enabled: true, selector: { matchLabels: { tenants: 'yes' } } },
      nodes: {
        enabled: true,
        clearImageStatus: true,
        syncBackChanges: false,
        selector: { labels: { pool: 'tenants' } },
      },
      configMaps: { enabled: true, mappings: { byName: { 'shared/*': 'team/*' } } },
      secrets: { enabled: true, mappings: { byName: { 'vault/creds': 'team/db-creds' } } },
    },
  },
  networking: {
    replicateServices: {
      fromHost: [{ from: 'shared/postgres', to: 'default/postgres' }],
      toHost: [{ from: 'default/web', to: 'team-a/tenant-web' }],
    },
    advanced: { clusterDomain: 'vc.local', fallbackHostCluster: true },
  },
  serviceCIDR: '10.43.0.0/16',
  policies: {
    podSecurityStandard: 'restricted',
    resourceQuota: { enabled: true, quota: { pods: '20' } },
    limitRange: { enabled: 'auto', default: { cpu: '2' } },
    networkPolicy: {
      enabled: true,
      workload: {
        publicEgress: { enabled: true, cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { role: 'ingress' } } }] }],
      },
      controlPlane: { egress: [{ ports: [{ port: 5432 }] }] },
    },
  },
  exportKubeConfig: {
    server: 'https://vc.example.com',
    context: 'team-a',
    additionalSecrets: [{ name: 'vc-extra', namespace: 'other', context: 'extra', insecure: true }],
    insecure: true,
  },
  controlPlane: {
    advanced: {
      virtualScheduler: { enabled: true },
      workloadServiceAccount: {
        enabled: true,
        name: 'workload',
        imagePullSecrets: [{ name: 'registry-creds' }],
        annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/tenants' },
        labels: { team: 'a' },
      },
    },
  },
};

/** The same virtual cluster in vsyncer's own values. */
const VSYNCER_VALUES = {
  syncer: {
    sync: ['-events', 'host-ingressclasses', 'ingresses', '-poddisruptionbudgets', 'pods', 'secrets'],
    syncAllSecrets: true,
    syncAllConfigMaps: true,
    translateImage: { nginx: 'mirror.example.com/nginx' },
    enforceTolerations: ['gpu:NoSchedule'],
    enforceRuntimeClass: 'gvisor',
    enforcePriorityClass: 'tenant-low',
    podTokenSecrets: 'per-pod',
    hostsRewriteImage: 'mirror.gcr.io/library/alpine:3.21',
    hostClassSelectors: { ingressClasses: { matchLabels: { tenants: 'yes' } } },
    syncRealNodes: true,
    nodeSelector: 'pool=tenants',
    mapHostConfigMaps: { 'shared/*': 'team/*' },
    mapHostSecrets: { 'vault/creds': 'team/db-creds' },
    mapHostServices: ['shared/postgres=default/postgres'],
    mapVirtualServices: ['default/web=tenant-web'],
    fallbackHostDns: 'auto',
    podSecurityStandard: 'restricted',
    virtualScheduler: true,
    workloadServiceAccount: 'workload',
    workloadImagePullSecrets: [{ name: 'registry-creds' }],
    workloadServiceAccountAnnotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/tenants' },
    workloadServiceAccountLabels: { team: 'a' },
  },
  k3s: { clusterDomain: 'vc.local', serviceCIDR: '10.43.0.0/16' },
  isolation: {
    enabled: true,
    // vCluster's defaults under the vcluster.yaml's keys; vsyncer's own default `services` taken out.
    resourceQuota: { hard: { ...VCLUSTER_QUOTA, pods: '20', services: null } },
    limitRange: {
      default: { ...VCLUSTER_LIMITS.default, cpu: '2' },
      defaultRequest: VCLUSTER_LIMITS.defaultRequest,
    },
    networkPolicy: {
      // vCluster's except, and link-local (cloud metadata), which vsyncer always keeps excepted.
      exceptCIDRs: ['10.0.0.0/8', '169.254.0.0/16'],
      workloadIngress: [{ from: [{ namespaceSelector: { matchLabels: { role: 'ingress' } } }] }],
      controlPlaneEgress: [{ ports: [{ port: 5432 }] }],
    },
  },
  exportKubeconfig: {
    server: 'https://vc.example.com',
    context: 'team-a',
    additionalSecrets: [{ name: 'vc-extra', namespace: 'other', context: 'extra', insecure: true }],
    insecure: true,
  },
};

describe("helm chart: vCluster's values that have an exact vsyncer value", () => {
  it('renders a vcluster.yaml of them as the same values written for vsyncer: every manifest, the syncer args among them', () => {
    const fromVcluster = renderValues(VCLUSTER_YAML);
    const fromVsyncer = renderValues(VSYNCER_VALUES);
    expect(syncerArgs(fromVcluster)).toEqual(syncerArgs(fromVsyncer));
    expect(syncerArgs(fromVcluster)).toContain(
      '--sync=-events,host-ingressclasses,ingresses,-poddisruptionbudgets,pods,secrets',
    );
    expect(syncerArgs(fromVcluster)).toContain('--kubeconfig-secret-context=team-a');
    expect(syncerArgs(fromVcluster)).toEqual(
      expect.arrayContaining([
        '--kubeconfig-secret-insecure=true',
        '--kubeconfig-additional-secret=name=vc-extra;namespace=other;context=extra;insecure=true',
      ]),
    );
    // The RBAC of the kinds turned on, the isolation objects, the workload account, the k3s flags.
    // (Less the keys and certificates the chart generates at each render.)
    const ungenerated = (ms: Manifest[]) =>
      ms.map((m) => (m.kind === 'Secret' ? { ...m, data: undefined } : m));
    expect(ungenerated(fromVcluster)).toEqual(ungenerated(fromVsyncer));
    const quota = fromVcluster.find((m) => m.kind === 'ResourceQuota') as unknown as {
      spec: { hard: Record<string, string> };
    };
    expect(quota.spec.hard.pods).toBe('20');
    // The workload account with the admin's annotations and labels (the chart's own labels kept).
    const account = fromVcluster.find((m) => m.kind === 'ServiceAccount' && m.metadata.name === 'workload');
    expect(account?.metadata).toMatchObject({
      annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/tenants' },
      labels: { team: 'a', 'app.kubernetes.io/name': 'vsyncer' },
    });
  });

  describe("policies: vCluster's ResourceQuota, LimitRange and NetworkPolicy switches, each on its own", () => {
    /** The isolation objects' names by kind; whether the egress limit and the namespace labels are on. */
    const isolation = (values: Record<string, unknown>) => {
      const found = isolationOf(renderValues(values));
      return {
        ...found,
        egress: found.egress.some((a) => a.startsWith('--tenant-egress-cidr=')),
        label: found.label === '--namespace-pod-security-label=true',
      };
    };
    const nothing = { quota: [], limits: [], policies: [], egress: false, label: false };

    it('resourceQuota on, limitRange off: the ResourceQuota alone, with its quota', () => {
      // vCluster's default limits.cpu, which no container of the control plane declares, taken out:
      // with it and no LimitRange the API server would admit no pod of the namespace (refused below).
      const values = {
        policies: {
          resourceQuota: { enabled: true, quota: { pods: '20', 'limits.cpu': null } },
          limitRange: { enabled: false },
        },
      };
      expect(isolation(values)).toEqual({ ...nothing, quota: ['vc-vc1'] });
      const quota = renderValues(values).find((m) => m.kind === 'ResourceQuota') as unknown as {
        spec: { hard: Record<string, string> };
      };
      // The quota over vCluster's defaults, as vCluster's chart merges it.
      const { 'limits.cpu': _cpu, ...withoutCpuLimit } = VCLUSTER_QUOTA;
      expect(quota.spec.hard).toEqual({ ...withoutCpuLimit, pods: '20' });
      // The same as vsyncer's own switch (whose default `services` is taken out).
      const ungenerated = (ms: Manifest[]) =>
        ms.map((m) => (m.kind === 'Secret' ? { ...m, data: undefined } : m));
      expect(ungenerated(renderValues(values))).toEqual(
        ungenerated(
          renderValues({
            isolation: { resourceQuota: { enabled: true, hard: { ...quota.spec.hard, services: null } } },
          }),
        ),
      );
    });

    it("gives a quota and limit range turned on by vcluster.yaml vCluster's defaults; vsyncer's own stay vsyncer's", () => {
      const specOf = (values: Record<string, unknown>, kind: string) =>
        (renderValues(values).find((m) => m.kind === kind) as unknown as { spec: Record<string, unknown> })
          .spec;
      for (const policies of [
        { resourceQuota: { enabled: true } },
        { limitRange: { enabled: true } },
        { resourceQuota: { enabled: true }, limitRange: { enabled: true } },
      ]) {
        expect(specOf({ policies }, 'ResourceQuota').hard).toEqual(VCLUSTER_QUOTA);
        expect((specOf({ policies }, 'LimitRange').limits as object[])[0]).toEqual({
          type: 'Container',
          ...VCLUSTER_LIMITS,
        });
      }
      // A quota and limits of vsyncer's own values are kept when the vcluster.yaml names none.
      const own = {
        policies: { resourceQuota: { enabled: true } },
        isolation: { resourceQuota: { hard: { pods: '7' } }, limitRange: { default: { cpu: '3' } } },
      };
      expect(specOf(own, 'ResourceQuota').hard).toEqual({ ...VSYNCER_QUOTA, pods: '7' });
      expect((specOf(own, 'LimitRange').limits as { default: object }[])[0]!.default).toEqual({
        cpu: '3',
        memory: '512Mi',
      });
      // vsyncer's isolation alone: vsyncer's defaults.
      expect(specOf({ isolation: { enabled: true } }, 'ResourceQuota').hard).toEqual(VSYNCER_QUOTA);
      // Its defaults that cannot hold beside other values are left out, not refused (releases that
      // rendered before they were added still do): a scope of pods counts no storage, node ports or
      // load balancers; a control-plane Service of type NodePort or LoadBalancer takes node ports.
      const {
        'requests.storage': _storage,
        'services.nodeports': _nodePorts,
        'services.loadbalancers': _loadBalancers,
        services: _services,
        ...countable
      } = VSYNCER_QUOTA;
      expect(
        specOf(
          {
            isolation: {
              enabled: true,
              resourceQuota: { scopes: ['NotBestEffort'], hard: { services: null } },
            },
          },
          'ResourceQuota',
        ).hard,
      ).toEqual(countable);
      const { 'services.nodeports': _ports, ...withoutNodePorts } = VSYNCER_QUOTA;
      for (const type of ['NodePort', 'LoadBalancer'])
        expect(
          specOf(
            { isolation: { enabled: true }, controlPlane: { service: { spec: { type } } } },
            'ResourceQuota',
          ).hard,
        ).toEqual(withoutNodePorts);
    });

    it("resourceQuota on alone: the LimitRange too (its enabled is vCluster's auto: on with the quota), no NetworkPolicy", () => {
      expect(isolation({ policies: { resourceQuota: { enabled: true } } })).toEqual({
        ...nothing,
        quota: ['vc-vc1'],
        limits: ['vc-vc1'],
      });
      expect(isolation({ policies: { limitRange: { enabled: true } } })).toEqual({
        ...nothing,
        quota: ['vc-vc1'],
        limits: ['vc-vc1'],
      });
      // auto yields to vsyncer's own switch.
      expect(
        isolation({
          isolation: { limitRange: { enabled: false } },
          policies: { resourceQuota: { enabled: true, quota: { 'limits.cpu': null } } },
        }),
      ).toEqual({ ...nothing, quota: ['vc-vc1'] });
      expect(
        isolation({ policies: { resourceQuota: { enabled: 'auto' }, limitRange: { enabled: 'auto' } } }),
      ).toEqual(nothing);
    });

    it('networkPolicy on alone: the three policies and the egress flags, no quota; podSecurityStandard labels the namespaces', () => {
      expect(isolation({ policies: { networkPolicy: { enabled: true } } })).toEqual({
        ...nothing,
        policies: ['vc-work-vc1', 'vc-dns-vc1', 'vc-cp-vc1'],
        egress: true,
      });
      // As in vCluster, the Pod Security Standard (its namespace labels) goes with podSecurityStandard alone.
      const args = syncerArgs(renderValues({ policies: { podSecurityStandard: 'restricted' } }));
      expect(args).toContain('--pod-security-standard=restricted');
      expect(args).toContain('--namespace-pod-security-label=true');
      expect(isolation({ policies: { podSecurityStandard: 'restricted' } })).toEqual({
        ...nothing,
        label: true,
      });
      // vCluster's default, no standard: vsyncer's own (baseline) still checks pods, without labels.
      expect(syncerArgs(renderValues({ policies: { podSecurityStandard: '' } }))).toEqual(
        expect.arrayContaining(['--pod-security-standard=baseline', '--namespace-pod-security-label=false']),
      );
    });

    it("refuses vCluster's false beside isolation.enabled: true (which was meant?), and takes it beside the object's own switch off", () => {
      expect(() =>
        renderValues({ isolation: { enabled: true }, policies: { networkPolicy: { enabled: false } } }),
      ).toThrow(
        /policies\.networkPolicy\.enabled \(false\) and isolation\.enabled \(true, which turns isolation\.networkPolicy on\)/,
      );
      expect(
        isolation({
          isolation: { enabled: true, networkPolicy: { enabled: false } },
          policies: { networkPolicy: { enabled: false } },
        }),
      ).toEqual({ ...nothing, quota: ['vc-vc1'], limits: ['vc-vc1'], label: true });
    });

    it('refuses an enabled that is neither true nor false (nor auto, where vCluster takes it)', () => {
      expect(() => renderValues({ policies: { networkPolicy: { enabled: 'auto' } } })).toThrow(
        /policies\.networkPolicy\.enabled must be true or false/,
      );
      expect(() => renderValues({ policies: { resourceQuota: { enabled: 'yes' } } })).toThrow(
        /policies\.resourceQuota\.enabled must be true or false \(or auto\)/,
      );
    });
  });

  describe("policies' scopes, scopeSelector, min, max, labels and annotations", () => {
    type Meta = { name: string; labels: Record<string, string>; annotations?: Record<string, string> };
    type Isolated = Manifest & { metadata: Meta; spec: Record<string, unknown> };
    const isolated = (values: Record<string, unknown>) =>
      renderValues(values).filter((m) =>
        ['ResourceQuota', 'LimitRange', 'NetworkPolicy'].includes(m.kind),
      ) as Isolated[];
    const scoped = {
      scopes: ['NotBestEffort'],
      scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['low'] }] },
    };
    // The defaults a scope of pods cannot count (object counts are not judged), taken out.
    const uncountable = {
      'requests.storage': null,
      'requests.ephemeral-storage': null,
      'limits.ephemeral-storage': null,
      'services.nodeports': null,
      'services.loadbalancers': null,
    };
    const metadata = {
      labels: { team: 'a', release: 'other' },
      annotations: { 'owner.example.com/id': '7' },
    };

    it("reach the quota, the LimitRange and the three policies as vsyncer's own values do; the chart's labels win", () => {
      const fromVcluster = isolated({
        policies: {
          // A scope of pods counts no storage or services: those of vCluster's defaults taken out (null).
          resourceQuota: { enabled: true, quota: uncountable, ...scoped, ...metadata },
          limitRange: { enabled: true, min: { cpu: '10m' }, max: { memory: '2Gi' }, ...metadata },
          networkPolicy: { enabled: true, ...metadata },
        },
      });
      const fromVsyncer = isolated({
        isolation: {
          enabled: true,
          resourceQuota: {
            hard: {
              ...Object.fromEntries(Object.entries(VCLUSTER_QUOTA).filter(([k]) => !(k in uncountable))),
              // vsyncer's own defaults that vCluster's quota does not have, or a scope cannot count.
              services: null,
              pods: null,
              'requests.storage': null,
              'services.nodeports': null,
              'services.loadbalancers': null,
            },
            ...scoped,
            ...metadata,
          },
          limitRange: { min: { cpu: '10m' }, max: { memory: '2Gi' }, ...VCLUSTER_LIMITS, ...metadata },
          networkPolicy: metadata,
        },
      });
      expect(fromVcluster).toEqual(fromVsyncer);
      expect(fromVcluster.map((m) => m.kind).sort()).toEqual([
        'LimitRange',
        'NetworkPolicy',
        'NetworkPolicy',
        'NetworkPolicy',
        'ResourceQuota',
      ]);
      const ofKind = (kind: string) => fromVcluster.find((m) => m.kind === kind);
      for (const m of fromVcluster) {
        // `release` is the chart's: the admin's `other` does not replace it.
        expect(m.metadata.labels).toMatchObject({
          team: 'a',
          release: 'vc1',
          'app.kubernetes.io/name': 'vsyncer',
        });
        expect(m.metadata.annotations).toEqual({ 'owner.example.com/id': '7' });
      }
      expect(ofKind('ResourceQuota')?.spec).toMatchObject(scoped);
      expect(ofKind('LimitRange')?.spec).toEqual({
        limits: [expect.objectContaining({ type: 'Container', min: { cpu: '10m' }, max: { memory: '2Gi' } })],
      });
    });

    it("vCluster's defaults (empty) add nothing: no scopes, bounds, labels or annotations", () => {
      const found = isolated({
        policies: {
          resourceQuota: {
            enabled: true,
            scopes: [],
            scopeSelector: { matchExpressions: [] },
            labels: {},
            annotations: {},
          },
          limitRange: { enabled: true, min: {}, max: {}, labels: {}, annotations: {} },
        },
      });
      const quota = found.find((m) => m.kind === 'ResourceQuota');
      const limits = found.find((m) => m.kind === 'LimitRange');
      expect(Object.keys(quota?.spec ?? {})).toEqual(['hard']);
      expect(Object.keys((limits?.spec.limits as object[])[0] ?? {}).sort()).toEqual([
        'default',
        'defaultRequest',
        'type',
      ]);
      expect(quota?.metadata.annotations).toBeUndefined();
    });

    it("refuses, at render, a quota the control plane's own pods could not be admitted under, naming the containers and the ways out", () => {
      // Quota admission requires every container to declare the cpu and memory the quota counts;
      // with no LimitRange to default them, the control plane's containers (no cpu limit) are refused.
      for (const values of [
        { policies: { resourceQuota: { enabled: true }, limitRange: { enabled: false } } },
        { isolation: { resourceQuota: { enabled: true, hard: { 'limits.cpu': '4' } } } },
      ])
        expect(() => renderValues(values)).toThrow(
          /counts limits\.cpu: with no LimitRange .* the control plane's do not: k3s \(limits\.cpu\), syncer \(limits\.cpu\), the certificate init containers \(limits\.cpu\)\. Turn the LimitRange on, set those quota keys to null/,
        );
      // vsyncer's own quota (requests only): every container of the chart declares them.
      expect(() => renderValues({ isolation: { resourceQuota: { enabled: true } } })).not.toThrow();
      // With the LimitRange, its defaults fill in what a container leaves out.
      expect(() => renderValues({ policies: { resourceQuota: { enabled: true } } })).not.toThrow();
      // vCluster's default of no node port, beside a control-plane Service that needs one.
      for (const type of ['NodePort', 'LoadBalancer'])
        expect(() =>
          renderValues({
            policies: { resourceQuota: { enabled: true } },
            controlPlane: { service: { spec: { type } } },
          }),
        ).toThrow(/allows no node port \(services\.nodeports: 0, vCluster's default\)/);
      expect(() =>
        renderValues({
          policies: { resourceQuota: { enabled: true } },
          controlPlane: { service: { spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false } } },
        }),
      ).not.toThrow();
    });

    it("takes a vcluster.yaml's null out of vCluster's limit range defaults; keeps vsyncer's defaults on a quota vsyncer's own switch turns on", () => {
      const limits = (values: Record<string, unknown>) =>
        (
          renderValues(values).find((m) => m.kind === 'LimitRange') as unknown as {
            spec: { limits: Record<string, unknown>[] };
          }
        ).spec.limits[0];
      expect(
        limits({
          policies: {
            limitRange: {
              enabled: true,
              default: { 'ephemeral-storage': null },
              defaultRequest: { 'ephemeral-storage': null, cpu: '50m' },
            },
          },
        }),
      ).toEqual({
        type: 'Container',
        default: { memory: '512Mi', cpu: '1' },
        defaultRequest: { memory: '128Mi', cpu: '50m' },
      });
      const quota = renderValues({
        isolation: { resourceQuota: { enabled: true } },
        policies: { limitRange: { enabled: true } },
      }).find((m) => m.kind === 'ResourceQuota') as unknown as { spec: { hard: Record<string, string> } };
      expect(quota.spec.hard).toEqual(VSYNCER_QUOTA);
    });

    it('refuses, at render, a scope that cannot count a hard limit (the API server would refuse the quota), naming the way out', () => {
      for (const values of [
        { isolation: { resourceQuota: { enabled: true, scopes: ['NotBestEffort'] } } },
        { policies: { resourceQuota: { enabled: true, scopes: ['NotBestEffort'] } } },
        {
          policies: {
            resourceQuota: {
              enabled: true,
              quota: { services: null },
              scopeSelector: { matchExpressions: [{ scopeName: 'BestEffort', operator: 'Exists' }] },
            },
          },
        },
      ])
        expect(() => renderValues(values)).toThrow(
          /a quota scoped to (NotBestEffort|BestEffort) counts only pods.*not .*(services|requests.cpu).* set those to null/,
        );
      // Object counts (count/*) and extended resources are not judged, as the API server does not judge them.
      expect(() =>
        renderValues({
          policies: {
            resourceQuota: {
              enabled: true,
              quota: { ...uncountable, 'count/deployments.apps': '5', 'requests.nvidia.com/gpu': '1' },
              scopes: ['NotBestEffort'],
            },
          },
        }),
      ).not.toThrow();
      // Without the keys it cannot count, the same quota renders.
      const quota = renderValues({
        policies: {
          resourceQuota: {
            enabled: true,
            quota: {
              ...uncountable,
              'requests.cpu': null,
              'requests.memory': null,
              'limits.cpu': null,
              'limits.memory': null,
              pods: '10',
            },
            scopeSelector: { matchExpressions: [{ scopeName: 'BestEffort', operator: 'Exists' }] },
          },
        },
      }).find((m) => m.kind === 'ResourceQuota') as unknown as { spec: { hard: Record<string, string> } };
      expect(quota.spec.hard).toEqual({
        ...Object.fromEntries(Object.entries(VCLUSTER_QUOTA).filter(([k]) => k.startsWith('count/'))),
        pods: '10',
      });
    });

    it('refuses what the objects could not hold, naming the key', () => {
      expect(() =>
        renderValues({ policies: { resourceQuota: { enabled: true, labels: { tier: 1 } } } }),
      ).toThrow(/policies\.resourceQuota\.labels\.tier must be a string \(quote it\), not 1/);
      expect(() =>
        renderValues({
          policies: { resourceQuota: { enabled: true, scopeSelector: { matchLabels: { a: 'b' } } } },
        }),
      ).toThrow(/policies\.resourceQuota\.scopeSelector\.matchLabels: vsyncer has no equivalent of this key/);
      expect(() => renderValues({ policies: { limitRange: { enabled: true, min: ['cpu'] } } })).toThrow(
        /policies\.limitRange\.min must be a map/,
      );
      expect(() =>
        renderValues({
          isolation: { limitRange: { max: { cpu: '1' } } },
          policies: { limitRange: { enabled: true, max: { cpu: '2' } } },
        }),
      ).toThrow(
        /policies\.limitRange\.max \(\{"cpu":"2"\}\) and isolation\.limitRange\.max \(\{"cpu":"1"\}\) are both set/,
      );
    });
  });

  it("takes publicEgress.enabled: false (no address beyond the virtual cluster) as isolation.networkPolicy.publicEgress: false, for the policy and the syncer's limit", () => {
    type Policy = Manifest & { spec: { egress: { to?: { ipBlock?: unknown }[] }[] } };
    const off = {
      policies: { networkPolicy: { enabled: true, workload: { publicEgress: { enabled: false } } } },
    };
    const manifests = renderValues(off);
    expect(ungenerated(manifests)).toEqual(
      ungenerated(renderValues({ isolation: { networkPolicy: { enabled: true, publicEgress: false } } })),
    );
    const work = manifests.find(
      (m) => m.kind === 'NetworkPolicy' && m.metadata.name === 'vc-work-vc1',
    ) as Policy;
    expect(work.spec.egress.flatMap((r) => r.to ?? []).filter((peer) => peer.ipBlock)).toEqual([]);
    const args = syncerArgs(manifests);
    expect(args).toContain('--tenant-public-egress=false');
    expect(args.filter((a) => a.startsWith('--tenant-egress-'))).toEqual([]);
    // On (vCluster's default), the block is there as before.
    const on = renderValues({
      policies: { networkPolicy: { enabled: true, workload: { publicEgress: { enabled: true } } } },
    });
    expect(syncerArgs(on)).toContain('--tenant-egress-cidr=0.0.0.0/0');
    expect(syncerArgs(on)).toContain('--tenant-public-egress=true');
    expect(() =>
      renderValues({
        policies: { networkPolicy: { enabled: true, workload: { publicEgress: { enabled: 'no' } } } },
      }),
    ).toThrow(/publicEgress.enabled must be true or false/);
  });

  it('keeps link-local (cloud metadata) excepted from a vCluster except list that leaves it out, for an IPv4 cidr', () => {
    const exceptFlags = (publicEgress: Record<string, unknown>) =>
      syncerArgs(renderValues({ policies: { networkPolicy: { enabled: true, workload: { publicEgress } } } }))
        .filter((a) => a.startsWith('--tenant-egress-except-cidr='))
        .map((a) => a.slice(a.indexOf('=') + 1));
    // vCluster's own default list.
    const vclusterDefault = ['100.64.0.0/10', '127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];
    // (vCluster's default sets nothing: vsyncer's default list, the same ranges.)
    expect(exceptFlags({ except: vclusterDefault }).sort()).toEqual(
      [...vclusterDefault, '169.254.0.0/16'].sort(),
    );
    expect(exceptFlags({ except: ['10.0.0.0/8'] })).toEqual(['10.0.0.0/8', '169.254.0.0/16']);
    expect(exceptFlags({ except: ['169.254.0.0/16'] })).toEqual(['169.254.0.0/16']);
    // A cidr that does not hold link-local takes no such except (the API server would refuse the policy).
    expect(exceptFlags({ cidr: '::/0', except: ['fc00::/7'] })).toEqual(['fc00::/7']);
    expect(exceptFlags({ cidr: '203.0.113.0/24', except: ['203.0.113.128/25'] })).toEqual([
      '203.0.113.128/25',
    ]);
  });

  it("reads exportKubeConfig.serviceAccount, for vc-<release> and exportKubeConfig.secret alike, and each additional Secret's own", () => {
    expect(
      syncerArgs(
        renderValues({
          exportKubeConfig: {
            serviceAccount: { name: 'argocd', clusterRole: 'cluster-admin' },
            secret: { name: 'argocd-kubeconfig' },
          },
        }),
      ),
    ).toEqual(
      expect.arrayContaining([
        '--kubeconfig-secret-service-account=kube-system/argocd',
        '--kubeconfig-secret-service-account-cluster-role=cluster-admin',
        '--kubeconfig-additional-secret=name=argocd-kubeconfig;serviceAccount=kube-system/argocd;clusterRole=cluster-admin',
      ]),
    );
    const args = syncerArgs(
      renderValues({
        exportKubeConfig: {
          additionalSecrets: [
            { name: 'ci', serviceAccount: { name: 'deployer', namespace: 'ci' } },
            { name: 'plain' },
          ],
        },
      }),
    );
    expect(args).toEqual(
      expect.arrayContaining([
        '--kubeconfig-additional-secret=name=ci;serviceAccount=ci/deployer',
        '--kubeconfig-additional-secret=name=plain',
      ]),
    );
    expect(args).not.toContainEqual(expect.stringMatching(/^--kubeconfig-secret-service-account/));
    // The flag's parts are separated by ';': a value holding one would set another part.
    expect(() =>
      renderValues({
        exportKubeConfig: {
          additionalSecrets: [{ name: 'a', serviceAccount: { name: 'x;clusterRole=admin' } }],
        },
      }),
    ).toThrow(/"x;clusterRole=admin" holds a ';'/);
    expect(() => renderValues({ exportKubeConfig: { serviceAccount: 'argocd' } })).toThrow(
      /exportKubeConfig\.serviceAccount must be a map/,
    );
  });

  it('writes exportKubeConfig.secret beside vc-<release>, as vCluster does (its CLI reads vc-<release>)', () => {
    const args = syncerArgs(
      renderValues({
        exportKubeConfig: {
          server: 'https://vc.example.com',
          context: 'team-a',
          secret: { name: 'my-kubeconfig', namespace: 'tools' },
        },
      }),
    );
    expect(args).toEqual(
      expect.arrayContaining([
        '--kubeconfig-secret=vc-vc1',
        '--kubeconfig-secret-server=https://vc.example.com',
        '--kubeconfig-additional-secret=name=my-kubeconfig;namespace=tools;server=https://vc.example.com;context=team-a',
      ]),
    );
    // vc-<release> itself is the default Secret: nothing more to write.
    expect(syncerArgs(renderValues({ exportKubeConfig: { secret: { name: 'vc-vc1' } } }))).not.toContainEqual(
      expect.stringMatching(/^--kubeconfig-additional-secret=/),
    );
    expect(() =>
      renderValues({
        exportKubeConfig: { secret: { name: 'a' }, additionalSecrets: [{ name: 'b' }] },
      }),
    ).toThrow(/exportKubeConfig.secret and exportKubeConfig.additionalSecrets are both set/);
  });

  it("reads a fromHost Service named alone as one of the release's namespace, as vCluster does", () => {
    const args = syncerArgs(
      renderValues({
        networking: {
          replicateServices: {
            fromHost: [
              { from: 'nginx', to: 'default/nginx' },
              { from: 'shared/postgres', to: 'default/postgres' },
            ],
          },
        },
      }),
    );
    expect(args.filter((a) => a.startsWith('--map-host-service='))).toEqual([
      '--map-host-service=team-a/nginx=default/nginx',
      '--map-host-service=shared/postgres=default/postgres',
    ]);
  });

  it('adds to syncer.sync, and takes a vsyncer value set to the same thing', () => {
    const args = syncerArgs(
      renderValues({
        syncer: { sync: ['networkpolicies'], syncAllSecrets: true },
        sync: { toHost: { ingresses: { enabled: true }, secrets: { all: true } } },
      }),
    );
    // The vCluster kinds after syncer.sync's own entries.
    expect(args).toContain('--sync=networkpolicies,ingresses');
    expect(args).toContain('--sync-all-secrets=true');
  });

  it.each([
    [
      { syncer: { sync: ['-ingresses'] }, sync: { toHost: { ingresses: { enabled: true } } } },
      /sync\.toHost\.ingresses\.enabled \(true\) and syncer\.sync \(\["-ingresses"\]\) are both set, to different things/,
    ],
    [
      { syncer: { sync: ['*'] }, sync: { fromHost: { events: { enabled: false } } } },
      /sync\.fromHost\.events\.enabled \(false\) and syncer\.sync/,
    ],
    [
      { syncer: { enforceRuntimeClass: 'kata' }, sync: { toHost: { pods: { runtimeClassName: 'gvisor' } } } },
      /sync\.toHost\.pods\.runtimeClassName \("gvisor"\) and syncer\.enforceRuntimeClass \("kata"\) are both set, to different things: set one/,
    ],
    [
      { k3s: { clusterDomain: 'a.local' }, networking: { advanced: { clusterDomain: 'b.local' } } },
      /networking\.advanced\.clusterDomain \("b\.local"\) and k3s\.clusterDomain \("a\.local"\)/,
    ],
    [
      { serviceCIDR: '10.43.0.0/16', networking: { serviceCIDR: '10.44.0.0/16' } },
      /networking\.serviceCIDR \("10\.44\.0\.0\/16"\) and k3s\.serviceCIDR \("10\.43\.0\.0\/16"\)/,
    ],
    [
      {
        exportKubeconfig: { additionalSecrets: [{ name: 'a' }] },
        exportKubeConfig: { secret: { name: 'b' } },
      },
      /exportKubeConfig\.secret \(\[\{"name":"b"\}\]\) and exportKubeconfig\.additionalSecrets \(\[\{"name":"a"\}\]\)/,
    ],
    [
      { isolation: { resourceQuota: { enabled: false } }, policies: { resourceQuota: { enabled: true } } },
      /policies\.resourceQuota\.enabled \(true\) and isolation\.resourceQuota\.enabled \(false\) are both set, to different things: set one/,
    ],
    [
      { isolation: { networkPolicy: { enabled: true } }, policies: { networkPolicy: { enabled: false } } },
      /policies\.networkPolicy\.enabled \(false\) and isolation\.networkPolicy\.enabled \(true\) are both set/,
    ],
  ])(
    'refuses a vCluster key and the vsyncer value it sets, set to different things, naming both (%#)',
    (values, message) => {
      expect(() => renderValues(values)).toThrow(message);
    },
  );

  it.each([
    [
      { sync: { toHost: { pods: { patches: [{ path: 'x' }] } } } },
      /sync\.toHost\.pods\.patches: vsyncer has no equivalent \(only an off value/,
    ],
    [
      { sync: { toHost: { pods: { noSuchKey: true } } } },
      /sync\.toHost\.pods\.noSuchKey: vsyncer has no equivalent of this key/,
    ],
    [
      { sync: { toHost: { namespaces: { enabled: true } } } },
      /sync\.toHost\.namespaces: vsyncer has no equivalent/,
    ],
    [
      { sync: { fromHost: { nodes: { enabled: true, clearImageStatus: false } } } },
      /clearImageStatus: vsyncer never shows the host node's images/,
    ],
    [
      { networking: { podCIDR: '10.244.0.0/16', noSuchKey: true } },
      /networking\.noSuchKey: vsyncer has no equivalent of this key/,
    ],
    [
      { networking: { replicateServices: { toHost: [{ from: 'default/web', to: 'other/web' }] } } },
      /the replica must be in the release's namespace, team-a/,
    ],
    [
      { exportKubeConfig: { serviceAccount: { name: 'admin', audience: 'x' } } },
      /exportKubeConfig\.serviceAccount\.audience: vsyncer has no equivalent of this key/,
    ],
    [
      { controlPlane: { advanced: { hostPathMapper: { enabled: true } } } },
      /controlPlane\.advanced\.hostPathMapper: vsyncer has no equivalent/,
    ],
    [
      { controlPlane: { coredns: { embedded: true } } },
      /controlPlane\.coredns\.embedded: vsyncer has no equivalent \(only an off value/,
    ],
    [
      { controlPlane: { backingStore: { etcd: { external: { enabled: true, endpoint: 'etcd:2379' } } } } },
      /controlPlane\.backingStore\.etcd\.external: vsyncer has no equivalent/,
    ],
    [
      { integrations: { metricsServer: { enabled: true, pods: false } } },
      /integrations\.metricsServer\.pods: vsyncer's metrics API serves both nodes and pods/,
    ],
  ])('still refuses what has no vsyncer equivalent, saying so (%#)', (values, message) => {
    expect(() => renderValues(values)).toThrow(message);
  });

  it('reports every problem at once, the unmapped keys among them', () => {
    expect(() =>
      renderValues({
        sync: { toHost: { pods: { patches: [{ path: 'x' }] } } },
        sleep: { afterInactivity: '1h' },
      }),
    ).toThrow(/sync\.toHost\.pods\.patches: .*; sleep: vsyncer has no sleep mode/);
  });
});

/** vCluster v0.19's default `sync` values (its k3s chart), with ingresses and network policies on. */
const V019_SYNC = {
  services: { enabled: true },
  configmaps: { enabled: true, all: false },
  secrets: { all: false, enabled: true },
  endpoints: { enabled: true },
  pods: { enabled: true, ephemeralContainers: false, status: false },
  events: { enabled: true },
  persistentvolumeclaims: { enabled: true },
  ingresses: { enabled: true },
  ingressclasses: {},
  'fake-nodes': { enabled: true },
  'fake-persistentvolumes': { enabled: true },
  nodes: {
    fakeKubeletIPs: true,
    enabled: false,
    syncAllNodes: false,
    nodeSelector: '',
    enableScheduler: false,
    syncNodeChanges: false,
  },
  persistentvolumes: { enabled: false },
  storageclasses: { enabled: false },
  hoststorageclasses: { enabled: false },
  priorityclasses: { enabled: false },
  networkpolicies: { enabled: true },
  volumesnapshots: { enabled: false },
  poddisruptionbudgets: { enabled: false },
  serviceaccounts: { enabled: false },
  generic: { config: '---' },
};

describe("helm chart: vCluster v0.19's sync layout (a section per kind under sync)", () => {
  it('reads each kind as its v0.20 section, its defaults included', () => {
    const args = syncerArgs(renderValues({ sync: V019_SYNC }));
    const kinds = args
      .find((a) => a.startsWith('--sync='))!
      .slice('--sync='.length)
      .split(',');
    for (const on of ['ingresses', 'networkpolicies', 'events', 'pods', 'services', 'configmaps'])
      expect(kinds).toContain(on);
    for (const off of [
      '-priorityclasses',
      '-poddisruptionbudgets',
      '-storageclasses',
      '-host-storageclasses',
    ])
      expect(kinds).toContain(off);
    expect(syncerArgs(renderValues({ sync: { secrets: { all: true } } }))).toContain(
      '--sync-all-secrets=true',
    );
    expect(
      syncerArgs(renderValues({ sync: { ingressclasses: { enabled: true } } })).find((a) =>
        a.startsWith('--sync='),
      ),
    ).toContain('host-ingressclasses');
  });

  it('real nodes: syncAllNodes, nodeSelector and enableScheduler, with fake nodes off', () => {
    const all = syncerArgs(
      renderValues({
        sync: { 'fake-nodes': { enabled: false }, nodes: { enabled: true, syncAllNodes: true } },
      }),
    );
    expect(all).toContain('--sync-real-nodes=true');
    expect(all).toContain('--node-selector=*');
    const some = syncerArgs(
      renderValues({
        sync: { nodes: { enabled: true, nodeSelector: 'pool=tenants', enableScheduler: true } },
      }),
    );
    expect(some).toContain('--node-selector=pool=tenants');
    expect(some).toContain('--virtual-scheduler=true');
  });

  it.each([
    [
      { generic: { config: 'version: v1beta1\nexport:\n- kind: Foo' } },
      /sync\.generic .*vsyncer has no equivalent/,
    ],
    [{ pods: { status: true } }, /sync\.pods\.status: vsyncer has no equivalent/],
    [{ 'fake-nodes': { enabled: false } }, /sync\.fake-nodes\.enabled: vsyncer always shows them/],
    [
      { nodes: { enabled: true, syncNodeChanges: true } },
      /sync\.fromHost\.nodes\.syncBackChanges: vsyncer has no equivalent/,
    ],
    [{ ingresses: true }, /sync\.ingresses \(vCluster v0\.19's layout\) must be a map/],
    [
      { ingresses: { enabled: true }, toHost: { ingresses: { enabled: false } } },
      /sync\.ingresses \(vCluster v0\.19's layout\) and sync\.toHost\.ingresses are both set: keep one/,
    ],
    [{ deployments: { enabled: true } }, /sync\.deployments: vsyncer has no equivalent of this key/],
  ])('refuses %j, naming it', (sync, error) => {
    expect(() => renderValues({ sync })).toThrow(error);
  });

  it("refuses v0.19's other top-level keys, naming what to write instead", () => {
    expect(() => renderValues({ mapServices: { fromVirtual: [{ from: 'a/b', to: 'c' }] } })).toThrow(
      /mapServices: vCluster v0\.19's: write networking\.replicateServices/,
    );
    expect(() => renderValues({ vcluster: { image: 'rancher/k3s:v1.29.0-k3s1' } })).toThrow(
      /vcluster: vCluster v0\.19's: set k3s\.image/,
    );
    expect(() => renderValues({ storage: { size: '10Gi' } })).toThrow(
      /storage: vCluster v0\.19's: set persistence/,
    );
  });
});
