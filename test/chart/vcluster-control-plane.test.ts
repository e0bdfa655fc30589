import { renderValues, syncerArgs, type Manifest, ungenerated } from './render.ts';

// vCluster's values for the control-plane pod and its top-level sections (templates/_vcluster-values.tpl).

interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  spec: {
    nodeSelector?: Record<string, string>;
    tolerations?: unknown[];
    topologySpreadConstraints?: unknown[];
    priorityClassName?: string;
    imagePullSecrets?: { name: string }[];
    initContainers?: PodTemplate['spec']['containers'];
    containers: {
      name: string;
      image: string;
      imagePullPolicy: string;
      args?: string[];
      resources: unknown;
    }[];
  };
}
interface StatefulSet extends Manifest {
  metadata: Manifest['metadata'] & { annotations?: Record<string, string> };
  spec: {
    replicas: number;
    template: PodTemplate;
    persistentVolumeClaimRetentionPolicy?: unknown;
    volumeClaimTemplates?: {
      spec: { accessModes: string[]; storageClassName?: string; resources: unknown };
    }[];
  };
}
const statefulSetOf = (ms: Manifest[]) => ms.find((m) => m.kind === 'StatefulSet') as StatefulSet;
/** A container of the control-plane pod, native sidecars (init containers that keep running) among them. */
const container = (ms: Manifest[], name: string) => {
  const { containers, initContainers = [] } = statefulSetOf(ms).spec.template.spec;
  return [...initContainers, ...containers].find((c) => c.name === name)!;
};

/** A vcluster.yaml of controlPlane.statefulSet and the top-level sections vsyncer reads. */
const VCLUSTER_YAML = {
  controlPlane: {
    distro: { k3s: { enabled: true, image: { repository: 'rancher/k3s', tag: 'v1.33.4-k3s1' } } },
    backingStore: { database: { embedded: { enabled: true } } },
    statefulSet: {
      labels: { team: 'platform' },
      annotations: { 'backup.example.com/skip': 'true' },
      pods: { labels: { tier: 'control-plane' }, annotations: { 'sidecar.istio.io/inject': 'false' } },
      imagePullPolicy: 'Always',
      image: { registry: 'ghcr.io', repository: 'loft-sh/vcluster-pro', tag: '0.30.0' },
      resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '3Gi' } },
      persistence: {
        volumeClaim: { enabled: true, size: '20Gi', storageClass: 'fast', retentionPolicy: 'Delete' },
        binariesVolume: [{ name: 'binaries', emptyDir: {} }],
      },
      enableServiceLinks: true,
      scheduling: {
        nodeSelector: { pool: 'control-planes' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'vc', effect: 'NoSchedule' }],
        priorityClassName: 'vc-critical',
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
        ],
        podManagementPolicy: 'OrderedReady',
      },
      probes: { livenessProbe: { enabled: true, failureThreshold: 10 }, readinessProbe: { enabled: true } },
      security: { containerSecurityContext: { allowPrivilegeEscalation: false, runAsUser: 0 } },
    },
    serviceMonitor: { enabled: true, labels: { prometheus: 'main' } },
    advanced: { serviceAccount: { enabled: true, imagePullSecrets: [{ name: 'registry-creds' }] } },
  },
  integrations: { metricsServer: { enabled: true, nodes: true, pods: true } },
  experimental: {
    syncSettings: { setOwner: false },
    deploy: { vcluster: { manifests: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n' } },
  },
  logging: { encoding: 'json' },
  rbac: { role: { enabled: true }, clusterRole: { enabled: 'auto' } },
  telemetry: { enabled: true },
  privateNodes: { enabled: false, autoUpgrade: { enabled: true } },
};

/** The same control plane in vsyncer's own values. */
const VSYNCER_VALUES = {
  controlPlane: {
    distro: 'k3s',
    labels: { team: 'platform' },
    annotations: { 'backup.example.com/skip': 'true' },
    podLabels: { tier: 'control-plane' },
    podAnnotations: { 'sidecar.istio.io/inject': 'false' },
    nodeSelector: { pool: 'control-planes' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'vc', effect: 'NoSchedule' }],
    priorityClassName: 'vc-critical',
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
    ],
    imagePullSecrets: [{ name: 'registry-creds' }],
    podManagementPolicy: 'OrderedReady',
  },
  k3s: {
    image: 'rancher/k3s:v1.33.4-k3s1',
    imagePullPolicy: 'Always',
    resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '3Gi' } },
  },
  vanilla: { imagePullPolicy: 'Always' },
  persistence: { enabled: true, size: '20Gi', storageClassName: 'fast', deleteOnUninstall: true },
  initManifests: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n',
  metrics: { serviceMonitor: { enabled: true, labels: { prometheus: 'main' } } },
  syncer: {
    image: { pullPolicy: 'Always' },
    metricsServerProxy: { enabled: true },
    kubelet: { enabled: true },
    setOwner: false,
    logFormat: 'json',
  },
};

describe("helm chart: vCluster's control-plane values (controlPlane.statefulSet, distro, backingStore) and top-level sections", () => {
  it('renders a vcluster.yaml of them as the same values written for vsyncer', () => {
    const fromVcluster = renderValues({ ...VCLUSTER_YAML, syncer: { kubelet: { enabled: true } } });
    const fromVsyncer = renderValues(VSYNCER_VALUES);
    expect(ungenerated(fromVcluster)).toEqual(ungenerated(fromVsyncer));

    // And what the vsyncer values do to the pod, so that the comparison above compares something.
    const sts = statefulSetOf(fromVcluster);
    const pod = sts.spec.template;
    expect(sts.metadata.labels).toMatchObject({ team: 'platform', app: 'vcluster', release: 'vc1' });
    expect(sts.metadata.annotations).toMatchObject({ 'backup.example.com/skip': 'true' });
    expect(pod.metadata.labels).toMatchObject({ tier: 'control-plane', app: 'vcluster' });
    expect(pod.metadata.annotations).toMatchObject({ 'sidecar.istio.io/inject': 'false' });
    expect(pod.spec).toMatchObject({
      nodeSelector: { pool: 'control-planes' },
      priorityClassName: 'vc-critical',
      imagePullSecrets: [{ name: 'registry-creds' }],
    });
    // A constraint given without a labelSelector spreads the release's replicas (none would count no pod).
    expect(pod.spec.topologySpreadConstraints).toEqual([
      expect.objectContaining({
        labelSelector: { matchLabels: expect.objectContaining({ release: 'vc1' }) },
      }),
    ]);
    expect(container(fromVcluster, 'k3s')).toMatchObject({
      image: 'rancher/k3s:v1.33.4-k3s1',
      imagePullPolicy: 'Always',
      resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '3Gi' } },
    });
    expect(container(fromVcluster, 'syncer').imagePullPolicy).toBe('Always');
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({
      whenDeleted: 'Delete',
      whenScaled: 'Retain',
    });
    expect(sts.spec.volumeClaimTemplates?.[0]?.spec).toMatchObject({
      storageClassName: 'fast',
      resources: { requests: { storage: '20Gi' } },
    });
    const args = syncerArgs(fromVcluster);
    expect(args).toEqual(
      expect.arrayContaining(['--log-format=json', '--set-owner=false', '--metrics-server-proxy=true']),
    );
    expect(fromVcluster.some((m) => m.kind === 'ServiceMonitor')).toBe(true);
  });

  it("takes a whole vcluster.yaml at vCluster's defaults: it installs what vsyncer's defaults do, but the kinds it names and its hosts-rewrite image's mirror", () => {
    const withoutSync = (ms: Manifest[]) => {
      const sts = statefulSetOf(ms);
      const syncer = container(ms, 'syncer');
      const args = syncer.args?.filter(
        (a) => !a.startsWith('--sync=') && !a.startsWith('--hosts-rewrite-image='),
      );
      return ungenerated(ms).map((m) =>
        m === sts ? JSON.stringify(m).replace(JSON.stringify(syncer.args), JSON.stringify(args)) : m,
      );
    };
    const manifests = renderValues(VCLUSTER_DEFAULTS);
    expect(syncerArgs(manifests)).toContainEqual(expect.stringMatching(/^--sync=.*\bpods\b/));
    expect(syncerArgs(manifests)).toContain('--hosts-rewrite-image=mirror.gcr.io/library/alpine:3.20');
    expect(withoutSync(manifests)).toEqual(withoutSync(renderValues({})));
  });

  it("takes earlier releases' keys (v0.20 to v0.35) at their defaults, and maps their network policy keys", () => {
    const earlier = {
      sync: { toHost: { volumeSnapshotContents: { enabled: false } } },
      experimental: { reuseNamespace: false },
      rbac: { enableVolumeSnapshotRules: { enabled: 'auto' } },
      policies: {
        networkPolicy: {
          enabled: false,
          extraControlPlaneRules: [],
          extraWorkloadRules: [],
          outgoingConnections: {
            platform: true,
            ipBlock: {
              cidr: '0.0.0.0/0',
              except: ['100.64.0.0/10', '127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
            },
          },
        },
      },
      controlPlane: {
        statefulSet: {
          resources: {
            limits: { 'ephemeral-storage': '8Gi', memory: '2Gi' },
            requests: { 'ephemeral-storage': '400Mi', cpu: '200m', memory: '256Mi' },
          },
        },
        coredns: {
          deployment: {
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: 'kubernetes.io/hostname',
                whenUnsatisfiable: 'DoNotSchedule',
                labelSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
              },
            ],
          },
        },
      },
    };
    expect(ungenerated(renderValues(earlier))).toEqual(ungenerated(renderValues({})));
    // Set, the earlier keys do what publicEgress and the rules of workload and controlPlane do now.
    const policy = {
      networkPolicy: {
        enabled: true,
        outgoingConnections: { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } },
        extraWorkloadRules: [{ ports: [{ port: 5432 }] }],
        extraControlPlaneRules: [{ ports: [{ port: 9000 }] }],
      },
    };
    const now = {
      networkPolicy: {
        enabled: true,
        workload: {
          publicEgress: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] },
          egress: [{ ports: [{ port: 5432 }] }],
        },
        controlPlane: { egress: [{ ports: [{ port: 9000 }] }] },
      },
    };
    const policies = (ms: Manifest[]) => ungenerated(ms).filter((m) => m.kind === 'NetworkPolicy');
    expect(policies(renderValues({ policies: policy }))).toEqual(policies(renderValues({ policies: now })));
    expect(JSON.stringify(policies(renderValues({ policies: policy })))).toContain('"port":9000');
  });

  it('takes the lease timings together: one at its vCluster default is kept beside the others', () => {
    const args = syncerArgs(
      renderValues({
        controlPlane: {
          statefulSet: {
            highAvailability: { replicas: 3, leaseDuration: 60, renewDeadline: 30, retryPeriod: 5 },
          },
        },
        k3s: { datastore: { secretName: 'pg' } },
      }),
    );
    expect(args).toEqual(
      expect.arrayContaining([
        '--leader-elect-lease-duration=60s',
        '--leader-elect-renew-deadline=30s',
        '--leader-elect-retry-period=5s',
      ]),
    );
  });

  it("reads v0.20 to v0.24's per-component k8s images as the vanilla control plane's", () => {
    const images = (ms: Manifest[]) =>
      ['kube-apiserver', 'kube-controller-manager'].map((c) => container(ms, c).image);
    const manifests = renderValues({
      controlPlane: {
        distro: {
          k8s: {
            enabled: true,
            apiServer: {
              image: { registry: 'registry.k8s.io', repository: 'kube-apiserver', tag: 'v1.30.2' },
            },
            controllerManager: {
              imagePullPolicy: 'Always',
              image: { registry: 'registry.k8s.io', repository: 'kube-controller-manager', tag: 'v1.30.2' },
            },
          },
        },
      },
    });
    expect(images(manifests)).toEqual([
      'registry.k8s.io/kube-apiserver:v1.30.2',
      'registry.k8s.io/kube-controller-manager:v1.30.2',
    ]);
    expect(container(manifests, 'kube-apiserver').imagePullPolicy).toBe('Always');
  });

  it("goes with vsyncer values of one's own: vCluster's defaults in it conflict with none", () => {
    const own = {
      controlPlane: { nodeSelector: { pool: 'cp' }, labels: { team: 'a' } },
      persistence: { size: '20Gi' },
      k3s: { resources: { requests: { cpu: '1' } } },
      syncer: { leaderElectLeaseDuration: '30s', logFormat: 'json' },
    };
    const manifests = renderValues({
      ...VCLUSTER_DEFAULTS,
      ...own,
      controlPlane: { ...VCLUSTER_DEFAULTS.controlPlane, ...own.controlPlane },
    });
    expect(statefulSetOf(manifests).spec.template.spec.nodeSelector).toEqual({ pool: 'cp' });
    expect(container(manifests, 'k3s').resources).toMatchObject({ requests: { cpu: '1' } });
    expect(syncerArgs(manifests)).toContain('--leader-elect-lease-duration=30s');
    // A number given by --set (an integer) and by a values file (a float) is the same number.
    expect(() =>
      renderValues({
        controlPlane: { statefulSet: { highAvailability: { replicas: 2 } } },
        syncer: { replicas: 2 },
        k3s: { datastore: { secretName: 'db' } },
      }),
    ).not.toThrow();
  });

  describe('controlPlane.distro', () => {
    it("k8s is the vanilla control plane, its version the components' images, its arguments theirs", () => {
      const manifests = renderValues({
        controlPlane: {
          distro: {
            k8s: {
              enabled: true,
              version: 'v1.35.1',
              apiServer: { enabled: true, extraArgs: ['--audit-log-maxage=3'] },
              controllerManager: { extraArgs: ['--concurrent-deployment-syncs=10'] },
            },
            k3s: { enabled: false, image: { tag: 'ignored' } },
          },
          coredns: {
            enabled: true,
            deployment: { image: 'registry.k8s.io/coredns/coredns:v1.11.3', replicas: 1 },
          },
        },
      });
      const fromVsyncer = renderValues({
        controlPlane: { distro: 'vanilla' },
        vanilla: {
          apiServer: { image: 'registry.k8s.io/kube-apiserver:v1.35.1', extraArgs: ['--audit-log-maxage=3'] },
          controllerManager: {
            image: 'registry.k8s.io/kube-controller-manager:v1.35.1',
            extraArgs: ['--concurrent-deployment-syncs=10'],
          },
          scheduler: { image: 'registry.k8s.io/kube-scheduler:v1.35.1' },
          coredns: { image: 'registry.k8s.io/coredns/coredns:v1.11.3' },
        },
      });
      expect(ungenerated(manifests)).toEqual(ungenerated(fromVsyncer));
      expect(container(manifests, 'kube-apiserver').image).toBe('registry.k8s.io/kube-apiserver:v1.35.1');
      expect(container(manifests, 'kube-apiserver').args).toContain('--audit-log-maxage=3');
      expect(statefulSetOf(manifests).spec.template.spec.containers.some((c) => c.name === 'k3s')).toBe(
        false,
      );
    });

    it("neither enabled leaves vsyncer's k3s; both enabled is refused", () => {
      const manifests = renderValues({
        controlPlane: { distro: { k8s: { enabled: false }, k3s: { enabled: false } } },
      });
      expect(container(manifests, 'k3s')).toBeDefined();
      expect(() =>
        renderValues({ controlPlane: { distro: { k8s: { enabled: true }, k3s: { enabled: true } } } }),
      ).toThrow(/controlPlane.distro: k3s and k8s are both enabled: enable one/);
    });

    it("neither enabled but k8s set up (a version, an image's tag, a component's arguments) is vCluster's default distro, k8s: the vanilla control plane", () => {
      // vCluster's docs pin the Kubernetes version (air-gapped) by the image alone, and give the API
      // server's arguments without `enabled` (its only distro since v0.33).
      const asked = [
        { version: 'v1.35.1' },
        { image: { tag: 'v1.35.1' } },
        { image: { registry: 'ghcr.io', repository: 'loft-sh/kubernetes', tag: 'v1.35.1' } },
      ];
      for (const k8s of asked) {
        const manifests = renderValues({ controlPlane: { distro: { k8s } } });
        expect(container(manifests, 'kube-apiserver').image).toBe('registry.k8s.io/kube-apiserver:v1.35.1');
        expect(container(manifests, 'k3s')).toBeUndefined();
      }
      const withArgs = renderValues({
        controlPlane: { distro: { k8s: { apiServer: { extraArgs: ['--audit-log-maxage=3'] } } } },
      });
      expect(container(withArgs, 'kube-apiserver').args).toContain('--audit-log-maxage=3');
      expect(ungenerated(withArgs)).toEqual(
        ungenerated(
          renderValues({
            controlPlane: {
              distro: { k8s: { enabled: true, apiServer: { extraArgs: ['--audit-log-maxage=3'] } } },
            },
          }),
        ),
      );
      // vCluster's default image of a release, and the scheduler alone, set nothing up: k3s stays.
      const defaults = renderValues({
        controlPlane: {
          distro: {
            k8s: { image: { tag: 'v1.36.0' }, apiServer: { enabled: true }, scheduler: { enabled: true } },
          },
        },
        sync: { fromHost: { nodes: { enabled: true } } },
      });
      expect(container(defaults, 'k3s')).toBeDefined();
      expect(syncerArgs(defaults)).toContain('--virtual-scheduler=true');
    });
  });

  it("runs vCluster's rootless mode as the vanilla control plane, every container as the user given, the pod with its fsGroup", () => {
    type Pod = {
      securityContext?: { fsGroup?: number };
      initContainers?: { name: string; securityContext?: Record<string, unknown> }[];
      containers: { name: string; securityContext?: Record<string, unknown> }[];
    };
    const podOf = (ms: Manifest[]) =>
      (ms.find((m) => m.kind === 'StatefulSet') as unknown as { spec: { template: { spec: Pod } } }).spec
        .template.spec;
    // The example of vCluster's rootless and OpenShift guides; no distro chosen.
    const rootless = podOf(
      renderValues({
        controlPlane: {
          statefulSet: {
            security: {
              podSecurityContext: { fsGroup: 12345 },
              containerSecurityContext: { runAsUser: 12345, runAsNonRoot: true },
            },
          },
        },
      }),
    );
    expect(rootless.securityContext).toEqual({ fsGroup: 12345 });
    const all = [...(rootless.initContainers ?? []), ...rootless.containers];
    expect(all.map((c) => c.name)).toContain('kube-apiserver');
    for (const c of all)
      expect(c.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 12345, runAsGroup: 65532 });
    // vCluster's default (root) sets nothing: k3s as before.
    const defaults = podOf(
      renderValues({
        controlPlane: {
          statefulSet: {
            security: {
              containerSecurityContext: { allowPrivilegeEscalation: false, runAsUser: 0, runAsGroup: 0 },
            },
          },
        },
      }),
    );
    expect(defaults.containers.map((c) => c.name)).toContain('k3s');
    expect(defaults.securityContext).toEqual({ fsGroup: 65532 });
    // The restricted profile asked for is the non-root control plane's; anything beyond it is refused.
    const restricted = podOf(
      renderValues({
        controlPlane: {
          statefulSet: {
            security: {
              containerSecurityContext: {
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
                privileged: false,
              },
            },
          },
        },
      }),
    );
    expect([...(restricted.initContainers ?? []), ...restricted.containers].map((c) => c.name)).toContain(
      'kube-apiserver',
    );
    expect(() =>
      renderValues({
        controlPlane: {
          statefulSet: { security: { containerSecurityContext: { capabilities: { add: ['NET_ADMIN'] } } } },
        },
      }),
    ).toThrow(
      /containerSecurityContext.capabilities: vsyncer's non-root containers have capabilities \{"drop":\["ALL"\]\}/,
    );
    // An external database is k3s's: said naming vCluster's keys when the values run the vanilla one.
    expect(() =>
      renderValues({
        controlPlane: {
          distro: { k8s: { enabled: true } },
          backingStore: { database: { external: { enabled: true, dataSource: 'postgres://db/vc1' } } },
        },
      }),
    ).toThrow(/controlPlane.backingStore.database.external: an external database is k3s's in vsyncer/);
    // Group 0 is a group like any (the Secrets' group), not "unset".
    expect(
      podOf(
        renderValues({ controlPlane: { statefulSet: { security: { podSecurityContext: { fsGroup: 0 } } } } }),
      ).securityContext,
    ).toEqual({ fsGroup: 0 });
    // null: the platform assigns the IDs (OpenShift's restricted SCC); the containers still refuse root.
    const assigned = podOf(
      renderValues({ controlPlane: { distro: 'vanilla', runAsUser: null, runAsGroup: null, fsGroup: null } }),
    );
    expect(assigned.securityContext).toBeUndefined();
    for (const c of [...(assigned.initContainers ?? []), ...assigned.containers]) {
      expect(c.securityContext).toMatchObject({ runAsNonRoot: true });
      expect(c.securityContext).not.toHaveProperty('runAsUser');
    }
  });

  it("takes the host client's rate limit from vCluster's environment variables (its sizing guide's), passing them on to no container", () => {
    const ms = renderValues({
      controlPlane: {
        statefulSet: {
          env: [
            { name: 'VCLUSTER_PHYSICAL_CLIENT_QPS', value: '400' },
            { name: 'VCLUSTER_PHYSICAL_CLIENT_BURST', value: '800' },
            { name: 'GOMEMLIMIT', value: '1GiB' },
          ],
        },
      },
    });
    expect(syncerArgs(ms)).toEqual(expect.arrayContaining(['--host-qps=400', '--host-burst=800']));
    const set = ms.find((m) => m.kind === 'StatefulSet') as unknown as {
      spec: { template: { spec: { containers: { name: string; env?: { name: string }[] }[] } } };
    };
    for (const c of set.spec.template.spec.containers) {
      const names = (c.env ?? []).map((e) => e.name);
      expect(names).toContain('GOMEMLIMIT');
      expect(names.filter((n) => n.startsWith('VCLUSTER_'))).toEqual([]);
    }
  });

  it("takes statefulSet.env and persistence.addVolumes / addVolumeMounts as vCluster's docs use them (a proxy; an audit policy and log): env in every control-plane container and the syncer's, mounts in the control plane's", () => {
    type Container = {
      name: string;
      env?: { name: string }[];
      volumeMounts?: { name: string; mountPath: string }[];
    };
    type Pod = {
      spec: { containers: Container[]; initContainers?: Container[]; volumes: { name: string }[] };
    };
    const env = [
      { name: 'HTTP_PROXY', value: 'http://proxy.internal:3128' },
      { name: 'NO_PROXY', value: '.svc,10.0.0.0/8' },
    ];
    const addVolumes = [
      { name: 'audit-log', emptyDir: {} },
      { name: 'audit-policy', configMap: { name: 'audit-config' } },
    ];
    const addVolumeMounts = [
      { name: 'audit-log', mountPath: '/var/log' },
      { name: 'audit-policy', mountPath: '/etc/kubernetes' },
    ];
    for (const distro of [{ k3s: { enabled: true } }, { k8s: { enabled: true } }]) {
      const fromVcluster = renderValues({
        controlPlane: { distro, statefulSet: { env, persistence: { addVolumes, addVolumeMounts } } },
      });
      // The distro's own env follows the statefulSet's, in the same containers, as in vCluster's.
      const withDistroEnv = renderValues({
        controlPlane: {
          distro: Object.fromEntries(
            Object.entries(distro).map(([k, v]) => [
              k,
              { ...v, env: [{ name: 'GOMEMLIMIT', value: '1GiB' }] },
            ]),
          ),
          statefulSet: { env },
        },
      });
      expect(ungenerated(withDistroEnv)).toEqual(
        ungenerated(
          renderValues({ controlPlane: { distro, env: [...env, { name: 'GOMEMLIMIT', value: '1GiB' }] } }),
        ),
      );
      const fromVsyncer = renderValues({
        controlPlane: { distro, env, extraVolumes: addVolumes, extraVolumeMounts: addVolumeMounts },
      });
      expect(ungenerated(fromVcluster)).toEqual(ungenerated(fromVsyncer));
      const pod = statefulSetOf(fromVcluster).spec.template as unknown as Pod;
      const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
      const named = (names: string[]) => all.filter((c) => names.includes(c.name));
      const controlPlane = named(['k3s', 'kube-apiserver', 'kube-controller-manager']);
      expect(controlPlane.length).toBeGreaterThan(0);
      for (const c of [...controlPlane, ...named(['syncer'])])
        expect(c.env?.map((e) => e.name)).toEqual(expect.arrayContaining(['HTTP_PROXY', 'NO_PROXY']));
      for (const c of controlPlane) expect(c.volumeMounts).toEqual(expect.arrayContaining(addVolumeMounts));
      // Not where nothing reads them: etcd and the certificate init containers; no mounts in the syncer.
      for (const c of named(['etcd', 'kubelet-cert', 'apiserver-cert']))
        expect(c.env?.map((e) => e.name) ?? []).not.toContain('HTTP_PROXY');
      for (const c of named(['etcd', 'kubelet-cert', 'apiserver-cert', 'syncer']))
        expect(c.volumeMounts?.map((m) => m.name) ?? []).not.toContain('audit-log');
      expect(pod.spec.volumes.map((v) => v.name)).toEqual(
        expect.arrayContaining(['audit-log', 'audit-policy']),
      );
    }
  });

  it("adds rbac.role.extraRules to the syncer's Role and rbac.clusterRole.extraRules to a ClusterRole, as syncer.customResourceRules", () => {
    type Role = Manifest & { rules: unknown[] };
    const namespaced = { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch'] };
    const cluster = { apiGroups: [''], resources: ['nodes'], verbs: ['get'] };
    const fromVcluster = renderValues({
      rbac: { role: { extraRules: [namespaced] }, clusterRole: { extraRules: [cluster] } },
    });
    expect(ungenerated(fromVcluster)).toEqual(
      ungenerated(
        renderValues({ syncer: { customResourceRules: { namespace: [namespaced], cluster: [cluster] } } }),
      ),
    );
    const role = fromVcluster.find((m) => m.kind === 'Role' && m.metadata.name === 'vc1') as Role;
    expect(role.rules).toContainEqual(namespaced);
    const clusterRole = fromVcluster.find((m) => m.kind === 'ClusterRole') as Role;
    expect(clusterRole.rules).toContainEqual(cluster);
    // Both given, differently: refused, naming both.
    expect(() =>
      renderValues({
        rbac: { role: { extraRules: [namespaced] } },
        syncer: { customResourceRules: { namespace: [cluster] } },
      }),
    ).toThrow(/rbac.role.extraRules .* and syncer.customResourceRules.namespace .* are both set/);
  });

  it("pulls every image of the chart's own from controlPlane.advanced.defaultImageRegistry (registry replaced, Docker Hub's prefixed), tenants' images left alone", () => {
    const images = (ms: Manifest[]) => {
      const spec = statefulSetOf(ms).spec.template.spec;
      return [...(spec.initContainers ?? []), ...spec.containers].map((c) => c.image);
    };
    const flags = (ms: Manifest[]) =>
      syncerArgs(ms).filter((a) =>
        /^--(coredns-image|hosts-rewrite-image|system-default-registry|translate-image)=/.test(a),
      );
    for (const distro of [{ k3s: { enabled: true } }, { k8s: { enabled: true } }]) {
      const fromVcluster = renderValues({
        controlPlane: { distro, advanced: { defaultImageRegistry: 'registry.internal:5000/vc' } },
        sync: { toHost: { pods: { translateImage: { nginx: 'mirror.example.com/nginx' } } } },
      });
      expect(ungenerated(fromVcluster)).toEqual(
        ungenerated(
          renderValues({
            controlPlane: { distro, defaultImageRegistry: 'registry.internal:5000/vc' },
            syncer: { translateImage: { nginx: 'mirror.example.com/nginx' } },
          }),
        ),
      );
      for (const image of images(fromVcluster)) expect(image).toMatch(/^registry\.internal:5000\/vc\//);
      expect(flags(fromVcluster)).toContain(
        '--hosts-rewrite-image=registry.internal:5000/vc/library/alpine:3.20',
      );
      expect(flags(fromVcluster)).toContain('--translate-image=nginx=mirror.example.com/nginx');
    }
    const vanilla = renderValues({
      controlPlane: { distro: 'vanilla', defaultImageRegistry: 'registry.internal' },
    });
    expect(images(vanilla)).toContain('registry.internal/kube-apiserver:v1.37.2');
    expect(flags(vanilla)).toContain('--coredns-image=registry.internal/coredns/coredns:v1.12.1');
    const k3s = renderValues({ controlPlane: { defaultImageRegistry: 'registry.internal' } });
    expect(images(k3s)).toContain('registry.internal/rancher/k3s:v1.34.1-k3s1');
    // What k3s deploys itself (its CoreDNS) from there too.
    const k3sArgs = statefulSetOf(k3s).spec.template.spec.containers.find((c) => c.name === 'k3s')!.args;
    expect(k3sArgs).toContain('--system-default-registry=registry.internal');
    expect(() =>
      renderValues({ controlPlane: { defaultImageRegistry: 'https://registry.internal' } }),
    ).toThrow(/defaultImageRegistry/);
  });

  it('makes no ClusterRole with rbac.clusterRole.enabled: false (syncer.hostClusterRole: false), and refuses it where a setting needs one, naming the resources', () => {
    const withoutClaims = { sync: { toHost: { persistentVolumeClaims: { enabled: false } } } };
    const off = renderValues({ rbac: { clusterRole: { enabled: false } }, ...withoutClaims });
    expect(off.filter((m) => m.kind === 'ClusterRole' || m.kind === 'ClusterRoleBinding')).toEqual([]);
    expect(ungenerated(off)).toEqual(
      ungenerated(renderValues({ syncer: { hostClusterRole: false }, ...withoutClaims })),
    );
    // The claims kind (on by default) reads the host's storage classes.
    expect(() => renderValues({ rbac: { clusterRole: { enabled: false } } })).toThrow(
      /syncer.hostClusterRole: false \(vCluster's rbac.clusterRole.enabled: false\), yet the settings need cluster-wide host access to storageclasses/,
    );
    expect(() =>
      renderValues({
        rbac: { clusterRole: { enabled: false } },
        sync: {
          toHost: { persistentVolumeClaims: { enabled: false } },
          fromHost: { nodes: { enabled: true } },
        },
      }),
    ).toThrow(/cluster-wide host access to nodes/);
  });

  it("uses a service account and RBAC the admin made, as vCluster's guide does (rbac.role.enabled: false, controlPlane.advanced.serviceAccount)", () => {
    type Binding = Manifest & { subjects?: { kind: string; name: string }[] };
    const withoutClaims = { sync: { toHost: { persistentVolumeClaims: { enabled: false } } } };
    const ms = renderValues({
      controlPlane: { advanced: { serviceAccount: { enabled: false, name: 'custom-vc-sa' } } },
      rbac: { role: { enabled: false }, clusterRole: { enabled: false } },
      ...withoutClaims,
    });
    expect(
      ms.filter((m) => ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].includes(m.kind)),
    ).toEqual([]);
    // Only the tenants' workload service account is the chart's.
    expect(ms.filter((m) => m.kind === 'ServiceAccount').map((m) => m.metadata.name)).toEqual([
      'vc-workload-vc1',
    ]);
    expect(
      (statefulSetOf(ms).spec.template.spec as unknown as { serviceAccountName: string }).serviceAccountName,
    ).toBe('custom-vc-sa');
    expect(ungenerated(ms)).toEqual(
      ungenerated(
        renderValues({
          syncer: {
            hostRole: false,
            hostClusterRole: false,
            serviceAccount: { create: false, name: 'custom-vc-sa' },
          },
          ...withoutClaims,
        }),
      ),
    );
    // Named and made by the chart (vCluster's default enabled: true), with its metadata; every
    // binding names it.
    const named = renderValues({
      controlPlane: {
        advanced: { serviceAccount: { name: 'vc-sa', labels: { team: 'a' }, annotations: { note: 'x' } } },
      },
    });
    const account = named.find((m) => m.kind === 'ServiceAccount' && m.metadata.name === 'vc-sa')!;
    expect(account.metadata.labels).toMatchObject({ team: 'a' });
    for (const binding of named.filter((m) => m.kind.endsWith('Binding')) as Binding[])
      expect(binding.subjects).toEqual([expect.objectContaining({ kind: 'ServiceAccount', name: 'vc-sa' })]);
    expect(() => renderValues({ syncer: { serviceAccount: { create: false } } })).toThrow(
      /syncer.serviceAccount.create: false uses a service account made beforehand: name it/,
    );
    // Never the tenants' own host identity, nor the namespace's default made anew.
    expect(() =>
      renderValues({ syncer: { serviceAccount: { create: false, name: 'vc-workload-vc1' } } }),
    ).toThrow(
      /syncer.serviceAccount.name vc-workload-vc1 is the account every tenant pod runs as on the host/,
    );
    expect(() => renderValues({ syncer: { serviceAccount: { name: 'default' } } })).toThrow(
      /every namespace has that account already/,
    );
    // vCluster's enabled: false without a name is its own name for the account, vc-<release>.
    const unnamed = renderValues({ controlPlane: { advanced: { serviceAccount: { enabled: false } } } });
    expect(
      (statefulSetOf(unnamed).spec.template.spec as unknown as { serviceAccountName: string })
        .serviceAccountName,
    ).toBe('vc-vc1');
  });

  it("keeps the data on persistence.dataVolume (a volume named data, as vCluster's) instead of a claim: persistence.volume", () => {
    type Volume = { name: string; persistentVolumeClaim?: { claimName: string }; emptyDir?: object };
    const volumesOf = (ms: Manifest[]) =>
      (statefulSetOf(ms).spec.template.spec as unknown as { volumes: Volume[] }).volumes;
    const fromVcluster = renderValues({
      controlPlane: {
        statefulSet: {
          persistence: {
            volumeClaim: { enabled: false },
            dataVolume: [{ name: 'data', persistentVolumeClaim: { claimName: 'vc-data' } }],
          },
        },
      },
    });
    expect(ungenerated(fromVcluster)).toEqual(
      ungenerated(
        renderValues({
          persistence: { enabled: false, volume: { persistentVolumeClaim: { claimName: 'vc-data' } } },
        }),
      ),
    );
    expect(volumesOf(fromVcluster).filter((v) => v.name === 'data')).toEqual([
      { name: 'data', persistentVolumeClaim: { claimName: 'vc-data' } },
    ]);
    expect(statefulSetOf(fromVcluster).spec.volumeClaimTemplates).toBeUndefined();
    // Without it, an emptyDir as before.
    expect(
      volumesOf(renderValues({ persistence: { enabled: false } })).find((v) => v.name === 'data'),
    ).toEqual({
      name: 'data',
      emptyDir: {},
    });
  });

  it('refuses what vsyncer cannot do, naming each value and what vsyncer does instead', () => {
    const refused: [Record<string, unknown>, RegExp][] = [
      // A false is a choice: Retain beside vsyncer's delete-on-uninstall conflicts.
      [
        {
          controlPlane: { statefulSet: { persistence: { volumeClaim: { retentionPolicy: 'Retain' } } } },
          persistence: { deleteOnUninstall: true },
        },
        /retentionPolicy \(false\) and persistence.deleteOnUninstall \(true\) are both set/,
      ],
      [
        { controlPlane: { statefulSet: { enableServiceLinks: false } } },
        /enableServiceLinks: the control plane reads its Service's address from the service links/,
      ],
      // k8s set up without `enabled` is vCluster's default distro: what vanilla cannot do is refused.
      [
        { controlPlane: { distro: { k8s: { securityContext: { runAsUser: 1000 } } } } },
        /controlPlane.distro.k8s.securityContext: vsyncer has no equivalent/,
      ],
      [
        { controlPlane: { distro: { k8s: { controllerManager: { enabled: false } } } } },
        /controlPlane.distro.k8s.controllerManager.enabled: the vanilla control plane always runs it/,
      ],
      [
        { controlPlane: { distro: { k8s: { image: { tag: 'v1.34.2-fips' } } } } },
        /controlPlane.distro.k8s.image.tag: v1.34.2-fips is a tag of vCluster's own bundle/,
      ],
      [
        { controlPlane: { distro: { k8s: { bogusKey: 1 } } } },
        /controlPlane.distro.k8s.bogusKey: vsyncer has no equivalent/,
      ],
      [
        { controlPlane: { distro: { k8s: { enabled: true, image: { tag: 'v1.34.2-fips' } } } } },
        /controlPlane.distro.k8s.image.tag: v1.34.2-fips is a tag of vCluster's own bundle/,
      ],
      [
        { policies: { podSecurityStandard: 'Restricted' } },
        /policies.podSecurityStandard: a Pod Security Standard's level; only privileged or baseline or restricted is accepted, not "Restricted"/,
      ],
      [
        { sync: { fromHost: { secrets: { enabled: true, mappings: { byName: { '': 'my-virtual' } } } } } },
        /syncer.mapHostSecrets \(vCluster's sync.fromHost.secrets.mappings.byName\) "": the release's own namespace holds the control plane's Secrets/,
      ],
      [
        {
          controlPlane: {
            distro: { k8s: { enabled: true, image: { registry: 'mirror.internal', tag: 'v1.34.2' } } },
          },
        },
        /controlPlane.distro.k8s.image: vsyncer runs the components' own images/,
      ],
      [
        { controlPlane: { coredns: { deployment: { nodeSelector: { pool: 'dns' } } } } },
        /controlPlane.coredns.deployment.nodeSelector: vsyncer has no equivalent/,
      ],
      [
        { controlPlane: { coredns: { deployment: { resources: { limits: { memory: '1Gi' } } } } } },
        /controlPlane.coredns.deployment.resources: the DNS is deployed with its own/,
      ],
      [
        { controlPlane: { statefulSet: { highAvailability: { leaseDuration: '1m' } } } },
        /leaseDuration must be a whole number of seconds, not "1m"/,
      ],
      [
        { controlPlane: { statefulSet: { labels: { 'cost-center': 12345678 } } } },
        /controlPlane.labels.cost-center must be a string, not 12345678 \(quote it/,
      ],
      [
        { controlPlane: { statefulSet: { persistence: { volumeClaim: { accessModes: ['RWO'] } } } } },
        /volumeClaim.accessModes: RWO is not an access mode/,
      ],
      [
        { controlPlane: { statefulSet: { scheduling: { topologySpreadConstraints: ['zone'] } } } },
        /topologySpreadConstraints\[0\] must be a constraint/,
      ],
      [
        {
          controlPlane: { statefulSet: { env: [{ name: 'VCLUSTER_PHYSICAL_CLIENT_TIMEOUT', value: '30' }] } },
        },
        /controlPlane.statefulSet.env: VCLUSTER_PHYSICAL_CLIENT_TIMEOUT is a setting of vCluster's own binary/,
      ],
      [
        {
          controlPlane: { statefulSet: { env: [{ name: 'VCLUSTER_PHYSICAL_CLIENT_BURST', value: '8.5' }] } },
        },
        /VCLUSTER_PHYSICAL_CLIENT_BURST \(vCluster's environment variable\) sets syncer.hostBurst: give it a value, a whole number/,
      ],
      [
        {
          controlPlane: {
            statefulSet: {
              env: [
                {
                  name: 'VCLUSTER_PHYSICAL_CLIENT_QPS',
                  valueFrom: { configMapKeyRef: { name: 'x', key: 'qps' } },
                },
              ],
            },
          },
        },
        /VCLUSTER_PHYSICAL_CLIENT_QPS \(vCluster's environment variable\) sets syncer.hostQps: give it a value/,
      ],
      [
        { controlPlane: { statefulSet: { env: [{ name: 'POD_IP', value: '10.0.0.1' }] } } },
        /controlPlane.statefulSet.env: POD_IP is set by the chart itself/,
      ],
      [
        { controlPlane: { statefulSet: { env: [{ name: 'VC1_SERVICE_HOST', value: '10.0.0.1' }] } } },
        /controlPlane.statefulSet.env: VC1_SERVICE_HOST is set by the chart itself/,
      ],
      [
        {
          controlPlane: {
            distro: { k3s: { enabled: true, env: [{ name: 'K3S_URL', value: 'https://x:6443' }] } },
          },
        },
        /controlPlane.distro.k3s.env: K3S_URL: k3s's own settings/,
      ],
      [
        { controlPlane: { env: [{ name: 'KUBERNETES_SERVICE_HOST', value: '203.0.113.9' }] } },
        /controlPlane.env \(vCluster's controlPlane.statefulSet.env\): KUBERNETES_SERVICE_HOST would point the syncer's in-cluster client/,
      ],
      [
        { controlPlane: { extraVolumes: [{ name: 'tmp', emptyDir: {} }] } },
        /controlPlane.extraVolumes .*: tmp is a volume of the chart's own/,
      ],
      [
        {
          controlPlane: {
            statefulSet: {
              persistence: {
                addVolumes: [{ name: 'audit', emptyDir: {} }],
                addVolumeMounts: [{ name: 'host-api-token', mountPath: '/var/run/token' }],
              },
            },
          },
        },
        /controlPlane.extraVolumeMounts .*: host-api-token is not one of controlPlane.extraVolumes \(audit\)/,
      ],
      [
        {
          controlPlane: {
            extraVolumes: [{ name: 'audit', emptyDir: {} }],
            extraVolumeMounts: [{ name: 'audit', mountPath: '/data/k3s/server/logs' }],
          },
        },
        /audit at \/data\/k3s\/server\/logs would cover or lie inside \/data, where the chart mounts/,
      ],
      [
        { controlPlane: { statefulSet: { probes: { livenessProbe: { enabled: false } } } } },
        /controlPlane.statefulSet.probes.livenessProbe.enabled: vsyncer always probes its containers; only true is accepted, not false/,
      ],
      [
        { controlPlane: { statefulSet: { scheduling: { podManagementPolicy: 'InOrder' } } } },
        /podManagementPolicy: a StatefulSet's pod management policy; only Parallel or OrderedReady is accepted, not "InOrder"/,
      ],
      [
        { controlPlane: { statefulSet: { security: { containerSecurityContext: { privileged: true } } } } },
        /containerSecurityContext.privileged: vsyncer's non-root containers have privileged false \(k3s's runs as root\), and take no other, not true/,
      ],
      [
        {
          controlPlane: {
            distro: { k3s: { enabled: true } },
            statefulSet: { security: { containerSecurityContext: { runAsUser: 1000, runAsNonRoot: true } } },
          },
        },
        /controlPlane.statefulSet.security: a non-root control plane is the vanilla one \(controlPlane.distro.k8s\); vsyncer's k3s container runs as root/,
      ],
      [
        {
          controlPlane: {
            statefulSet: {
              security: {
                podSecurityContext: { runAsUser: 1000 },
                containerSecurityContext: { runAsUser: 2000 },
              },
            },
          },
        },
        /podSecurityContext.runAsUser and containerSecurityContext.runAsUser differ/,
      ],
      [
        { controlPlane: { statefulSet: { persistence: { dataVolume: [{ name: 'x', emptyDir: {} }] } } } },
        /controlPlane.statefulSet.persistence.dataVolume: one volume named data is taken/,
      ],
      [
        {
          controlPlane: {
            statefulSet: {
              persistence: { volumeClaim: { enabled: true }, dataVolume: [{ name: 'data', emptyDir: {} }] },
            },
          },
        },
        /persistence.volumeClaim.enabled \(true\) and persistence.enabled \(false\) are both set/,
      ],
      [
        { persistence: { volume: { emptyDir: {} } } },
        /persistence.volume .* replaces the data claim: set persistence.enabled: false/,
      ],
      [
        { controlPlane: { statefulSet: { highAvailability: { replicas: 3 } } } },
        /syncer.replicas > 1 .*needs one data store every replica shares: a deployed etcd/,
      ],
      [
        { controlPlane: { statefulSet: { pods: { labels: { app: 'mine' } } } } },
        /controlPlane.podLabels.app is the chart's own key on that object/,
      ],
      [
        {
          controlPlane: {
            backingStore: { database: { external: { enabled: true, connector: 'platform-db' } } },
          },
        },
        /controlPlane.backingStore.database.external.connector: vsyncer has no equivalent/,
      ],
      [
        { controlPlane: { backingStore: { etcd: { external: { enabled: true, endpoint: 'etcd:2379' } } } } },
        /controlPlane.backingStore.etcd.external: vsyncer has no equivalent \(only an off value/,
      ],
      [
        { controlPlane: { coredns: { enabled: false } } },
        /controlPlane.coredns.enabled: k3s deploys its CoreDNS/,
      ],
      [
        { controlPlane: { coredns: { deployment: { replicas: 2 } } } },
        /controlPlane.coredns.deployment.replicas: the DNS starts with one replica/,
      ],
      [
        { controlPlane: { service: { enabled: false } } },
        /controlPlane.service.enabled: the chart always makes the Service/,
      ],
      [
        { integrations: { istio: { enabled: true } } },
        /integrations.istio: vsyncer has no equivalent \(only an off value/,
      ],
      [{ privateNodes: { enabled: true } }, /privateNodes: vsyncer has no private nodes/],
      [
        { rbac: { role: { overwriteRules: [{ verbs: ['get'] }] } } },
        /rbac.role.overwriteRules: vsyncer has no equivalent/,
      ],
      [
        { logging: { encoding: 'logfmt' } },
        /logging.encoding: the syncer logs text or JSON; only console or json is accepted/,
      ],
      [
        {
          sync: {
            toHost: { pods: { rewriteHosts: { initContainer: { resources: { limits: { cpu: '1' } } } } } },
          },
        },
        /rewriteHosts.initContainer.resources: the syncer gives the init container 30m CPU and 64Mi memory/,
      ],
      // Both a vCluster key and its vsyncer value, set to different things.
      [
        {
          controlPlane: { statefulSet: { scheduling: { priorityClassName: 'a' } } },
          'controlPlane.priorityClassName': 'b',
        },
        /controlPlane.statefulSet.scheduling.priorityClassName \("a"\) and controlPlane.priorityClassName \("b"\) are both set/,
      ],
    ];
    for (const [values, message] of refused) {
      const { 'controlPlane.priorityClassName': own, ...rest } = values as Record<string, unknown>;
      const merged =
        own === undefined
          ? rest
          : { ...rest, controlPlane: { ...(rest.controlPlane as object), priorityClassName: own } };
      expect(() => renderValues(merged)).toThrow(message);
    }
  });

  it('runs the virtual scheduler for controlPlane.distro.k8s.scheduler.enabled whichever distro runs, as vCluster does', () => {
    for (const distro of [
      { k8s: { scheduler: { enabled: true } } },
      { k3s: { enabled: true }, k8s: { scheduler: { enabled: true } } },
    ]) {
      const args = syncerArgs(
        renderValues({ controlPlane: { distro }, sync: { fromHost: { nodes: { enabled: true } } } }),
      );
      expect(args).toContain('--virtual-scheduler=true');
    }
  });

  it("runs the virtual scheduler when either of vCluster's switches is on, as vCluster does", () => {
    const args = syncerArgs(
      renderValues({
        controlPlane: {
          distro: { k8s: { enabled: true, scheduler: { enabled: true } } },
          advanced: { virtualScheduler: { enabled: false } },
        },
        syncer: { syncRealNodes: true },
      }),
    );
    expect(args).toContain('--virtual-scheduler=true');
  });

  it("renders vCluster's manifestsTemplate with the vcluster.yaml's values and the release, as vCluster does", () => {
    const manifests = renderValues({
      networking: { advanced: { clusterDomain: 'corp.local' } },
      experimental: {
        deploy: {
          vcluster: {
            manifestsTemplate:
              'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: info\ndata:\n  domain: "{{ .Values.networking.advanced.clusterDomain }}"\n  release: "{{ .Release.Name }}"\n',
          },
        },
      },
    });
    const init = manifests.find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('-init-manifests'),
    ) as (Manifest & { data: Record<string, string> }) | undefined;
    expect(Object.values(init?.data ?? {}).join('\n')).toContain('domain: "corp.local"\n  release: "vc1"');
  });

  it("gives the syncer's CoreDNS vCluster's image when the syncer deploys one (k3s with the host's DNS as fallback)", () => {
    const args = syncerArgs(
      renderValues({
        networking: { advanced: { fallbackHostCluster: true } },
        controlPlane: { coredns: { deployment: { image: 'mirror.internal/coredns:1.11.3' } } },
      }),
    );
    expect(args).toContain('--coredns-image=mirror.internal/coredns:1.11.3');
  });

  it('accepts useSecretsForSATokens false: tokens stay in shared host Secrets (bundles), as by default', () => {
    const off = renderValues({ sync: { toHost: { pods: { useSecretsForSATokens: false } } } });
    expect(ungenerated(off)).toEqual(ungenerated(renderValues({})));
    expect(syncerArgs(off).filter((a) => a.startsWith('--pod-token-secrets'))).toEqual([]);
  });

  it("renders --pod-token-secrets=per-pod for useSecretsForSATokens true: vCluster's <pod>-sa-token Secret per pod", () => {
    const on = renderValues({ sync: { toHost: { pods: { useSecretsForSATokens: true } } } });
    expect(syncerArgs(on)).toContain('--pod-token-secrets=per-pod');
    expect(syncerArgs(on).filter((a) => a.startsWith('--pod-token-secrets'))).toEqual([
      '--pod-token-secrets=per-pod',
    ]);
    // The same as vsyncer's own value.
    expect(ungenerated(on)).toEqual(ungenerated(renderValues({ syncer: { podTokenSecrets: 'per-pod' } })));
    expect(() => renderValues({ sync: { toHost: { pods: { useSecretsForSATokens: 'yes' } } } })).toThrow(
      /sync\.toHost\.pods\.useSecretsForSATokens: a switch; only true or false is accepted, not "yes"/,
    );
  });
});

/**
 * vCluster's defaults for the sections this chart reads beside sync and policies (a vcluster.yaml as
 * `helm show values` gives it, abridged to those sections), as facts of its interface.
 */
const VCLUSTER_DEFAULTS = {
  sync: {
    toHost: {
      pods: {
        enabled: true,
        useSecretsForSATokens: false,
        rewriteHosts: {
          enabled: true,
          initContainer: {
            image: { registry: 'mirror.gcr.io', repository: 'library/alpine', tag: '3.20' },
            resources: { limits: { cpu: '30m', memory: '64Mi' }, requests: { cpu: '30m', memory: '64Mi' } },
          },
        },
      },
      namespaces: { enabled: false, mappings: { byName: {} }, mappingsOnly: false, extraLabels: {} },
    },
  },
  integrations: {
    metricsServer: { enabled: false, nodes: true, pods: true },
    kubeVirt: { enabled: false, webhook: { enabled: true } },
    certManager: {
      enabled: false,
      sync: {
        toHost: { certificates: { enabled: true }, issuers: { enabled: true } },
        fromHost: { clusterIssuers: { enabled: true, selector: { labels: {} } } },
      },
    },
    istio: { enabled: false, sync: { toHost: { destinationRules: { enabled: true } } } },
  },
  experimental: {
    docker: { loadBalancer: { enabled: true, forwardPorts: true }, registryProxy: { enabled: true } },
    proxy: { customResources: {} },
    syncSettings: { setOwner: true },
    deploy: {
      host: { manifests: '', manifestsTemplate: '' },
      vcluster: { manifests: '', manifestsTemplate: '', helm: [] },
    },
    nodeMonitors: [],
  },
  deploy: {
    localPathProvisioner: { enabled: true },
    cni: { flannel: { enabled: true } },
    kubeProxy: { enabled: true, image: '', extraArgs: [] },
    metallb: { enabled: false, ipAddressPool: { addresses: [], l2Advertisement: true } },
    ingressNginx: { enabled: false, defaultIngressClass: true },
    metricsServer: { enabled: false },
  },
  logging: { encoding: 'console', file: { enabled: false } },
  rbac: {
    role: { enabled: true, overwriteRules: [], extraRules: [] },
    clusterRole: { enabled: 'auto', overwriteRules: [], extraRules: [] },
  },
  telemetry: { enabled: true },
  privateNodes: { enabled: false, autoUpgrade: { enabled: true, concurrency: 1 }, vpn: { enabled: false } },
  networking: {
    podCIDR: '10.244.0.0/16',
    replicateServices: { toHost: [], fromHost: [] },
    resolveDNS: [],
    advanced: {
      clusterDomain: 'cluster.local',
      fallbackHostCluster: false,
      proxyKubelets: { byHostname: true, byIP: true },
    },
  },
  policies: { networkPolicy: { enabled: false, fallbackDns: '8.8.8.8' } },
  controlPlane: {
    distro: {
      k8s: {
        enabled: false,
        image: { registry: 'ghcr.io', repository: 'loft-sh/kubernetes', tag: 'v1.36.0' },
        apiServer: { enabled: true, command: [], extraArgs: [] },
        resources: { limits: { cpu: '100m', memory: '256Mi' } },
      },
    },
    backingStore: {
      database: { embedded: { enabled: false, extraArgs: [] }, external: { enabled: false, dataSource: '' } },
      etcd: {
        embedded: { enabled: false, migrateFromDeployedEtcd: false, extraArgs: [] },
        external: { enabled: false, endpoint: '' },
        deploy: { enabled: false, statefulSet: { enabled: true, highAvailability: { replicas: 1 } } },
      },
    },
    proxy: { bindAddress: '0.0.0.0', port: 8443, extraSANs: [] },
    coredns: {
      enabled: true,
      embedded: false,
      overwriteManifests: '',
      overwriteConfig: '',
      priorityClassName: '',
      service: { annotations: {}, labels: {}, spec: { type: 'ClusterIP' } },
      deployment: {
        image: '',
        replicas: 1,
        resources: { limits: { cpu: '1000m', memory: '170Mi' }, requests: { cpu: '20m', memory: '64Mi' } },
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'kubernetes.io/hostname',
            whenUnsatisfiable: 'DoNotSchedule',
            labelSelector: { matchLabels: { 'k8s-app': 'vcluster-kube-dns' } },
          },
        ],
        nodeSelector: {},
        affinity: {},
        tolerations: [],
        labels: {},
        annotations: {},
        pods: { labels: {}, annotations: {} },
      },
    },
    service: {
      enabled: true,
      labels: {},
      annotations: {},
      kubeletNodePort: 0,
      httpsNodePort: 0,
      spec: { type: 'ClusterIP' },
    },
    ingress: {
      enabled: false,
      host: 'my-host.com',
      pathType: 'ImplementationSpecific',
      labels: {},
      spec: { tls: [] },
    },
    tlsRoute: { enabled: false, host: 'my-host.com', parentRefs: [] },
    standalone: { dataDir: '/var/lib/vcluster', joinNode: { enabled: true } },
    statefulSet: {
      labels: {},
      annotations: {},
      imagePullPolicy: '',
      image: { registry: 'ghcr.io', repository: 'loft-sh/vcluster-pro', tag: '' },
      workingDir: '',
      command: [],
      args: [],
      env: [],
      resources: {
        limits: { 'ephemeral-storage': '10Gi', memory: '4Gi' },
        requests: { 'ephemeral-storage': '1Gi', cpu: '200m', memory: '256Mi' },
      },
      pods: { labels: {}, annotations: {} },
      highAvailability: { replicas: 1, leaseDuration: 60, renewDeadline: 40, retryPeriod: 15 },
      security: {
        podSecurityContext: {},
        containerSecurityContext: { allowPrivilegeEscalation: false, runAsUser: 0, runAsGroup: 0 },
      },
      persistence: {
        volumeClaim: {
          enabled: 'auto',
          retentionPolicy: 'Retain',
          size: '5Gi',
          storageClass: '',
          accessModes: ['ReadWriteOnce'],
        },
        volumeClaimTemplates: [],
        addVolumeMounts: [],
        addVolumes: [],
        dataVolume: [],
        binariesVolume: [{ name: 'binaries', emptyDir: {} }],
      },
      enableServiceLinks: true,
      scheduling: {
        podManagementPolicy: 'Parallel',
        topologySpreadConstraints: [],
        priorityClassName: '',
        nodeSelector: {},
        affinity: {},
        tolerations: [],
      },
      probes: {
        livenessProbe: {
          enabled: true,
          failureThreshold: 60,
          initialDelaySeconds: 60,
          timeoutSeconds: 3,
          periodSeconds: 2,
        },
        readinessProbe: { enabled: true, failureThreshold: 60, timeoutSeconds: 3, periodSeconds: 2 },
        startupProbe: { enabled: true, failureThreshold: 300, timeoutSeconds: 3, periodSeconds: 6 },
      },
    },
    serviceMonitor: { enabled: false, labels: {}, annotations: {} },
    advanced: {
      defaultImageRegistry: '',
      virtualScheduler: { enabled: false },
      serviceAccount: { enabled: true, name: '', imagePullSecrets: [], labels: {}, annotations: {} },
      workloadServiceAccount: { enabled: true, name: '', imagePullSecrets: [], annotations: {}, labels: {} },
      headlessService: { labels: {}, annotations: {} },
      konnectivity: { server: { enabled: true, extraArgs: [] }, agent: { enabled: true, replicas: 1 } },
      cloudControllerManager: { enabled: true },
      registry: { enabled: false, anonymousPull: true, config: {} },
      kubeVip: { enabled: false },
      globalMetadata: { annotations: {} },
      podDisruptionBudget: { enabled: false },
    },
  },
};
