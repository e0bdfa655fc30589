import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { tempDirs } from '../../src/testing/temp-dirs.ts';
import {
  CHART,
  EVERYTHING_ON,
  helm,
  helmBinary,
  isolationOf,
  REPO_ROOT,
  render,
  renderText,
  syncerArgs,
  type Manifest,
} from './render.ts';

const kinds = (ms: Manifest[]) => ms.map((m) => m.kind).sort();
const tempDir = tempDirs();

describe('helm chart', () => {
  it('passes helm lint, with defaults and with everything on', () => {
    for (const set of [[], Object.entries(EVERYTHING_ON).flatMap(([k, v]) => ['--set', `${k}=${v}`])]) {
      const res = spawnSync(helmBinary(), ['lint', CHART, '--strict', ...set], { encoding: 'utf8' });
      expect({ code: res.status, out: res.stdout + res.stderr }).toMatchObject({ code: 0 });
    }
  });

  it('renders the defaults: k3s and the syncer in one StatefulSet pod, services, RBAC, a cluster role reading storage classes', () => {
    const ms = render();
    expect(kinds(ms)).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'Secret',
      'Service',
      'Service',
      'ServiceAccount',
      'ServiceAccount',
      'StatefulSet',
    ]);
    const sts = ms.find((m) => m.kind === 'StatefulSet') as unknown as {
      spec: {
        volumeClaimTemplates?: unknown[];
        template: {
          metadata: { annotations: Record<string, string> };
          spec: { containers: { name: string; args: string[] }[] };
        };
      };
    };
    expect(sts.spec.template.spec.containers.map((c) => c.name)).toEqual(['k3s', 'syncer']);
    const k3sArgs = sts.spec.template.spec.containers[0]!.args;
    expect(k3sArgs).toEqual(
      expect.arrayContaining(['server', '--disable-agent', '--service-cidr=10.96.0.0/12']),
    );
    // Only the host schedules: a virtual scheduler would bind tenant pods before the host places them.
    expect(k3sArgs).toContain('--disable-scheduler');
    expect(sts.spec.volumeClaimTemplates).toHaveLength(1);
    expect(sts.spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
    });
    expect(syncerArgs(ms)).toEqual([
      'start',
      '--name=vc1',
      '--host-namespace=team-a',
      '--host-kubeconfig=',
      '--virtual-kubeconfig=/data/kubeconfig/kube-config.yaml',
      '--sync-all-configmaps=false',
      '--sync-all-secrets=false',
      '--sync-real-nodes=false',
      '--enforce-node-selector=true',
      '--host-qps=40',
      '--host-burst=80',
      '--virtual-qps=1000',
      '--virtual-burst=2000',
      '--request-timeout=30s',
      '--workers=32',
      '--log-level=info',
      '--log-format=json',
      '--metrics-bind-address=:8080',
      '--api-proxy-port=8443',
      '--api-proxy-bind-address=0.0.0.0',
      '--kubelet-bind-address=:10250',
      '--kubelet-advertise-address=$(POD_IP)',
      '--kubelet-tls-cert-file=/etc/vsyncer/serving/kubelet.crt',
      '--kubelet-tls-key-file=/etc/vsyncer/serving/kubelet.key',
      '--kubelet-client-ca-file=/etc/vsyncer/kubelet/ca.crt',
      '--kubelet-client-user=kube-apiserver-kubelet-client',
      '--extra-root-ca-file=/etc/vsyncer/kubelet/ca.crt',
      '--kubelet-node-ports=',
      '--kubelet-node-stats=false',
      '--metrics-server-proxy=false',
      '--leader-elect=false',
      '--leader-elect-lease-duration=15s',
      '--leader-elect-renew-deadline=10s',
      '--leader-elect-retry-period=2s',
      '--leader-elect-identity=$(POD_NAME)',
      '--cluster-domain=cluster.local',
      '--coredns-image=',
      '--virtual-api-service=vc1',
      '--set-owner=true',
      '--kubeconfig-secret=vc-vc1',
      '--kubeconfig-secret-server=https://localhost:8443',
      '--kubeconfig-secret-insecure=false',
      '--workload-service-account=vc-workload-vc1',
      '--hosts-rewrite-image=library/alpine:3.20',
      '--pod-security-standard=baseline',
      '--namespace-pod-security-label=false',
      '--allow-node-name=false',
      '--virtual-scheduler=false',
      '--tenant-overrides-host-metadata=false',
      '--priority-class-max-value=1000000000',
      '--allow-retain-storage-class=false',
      '--shutdown-timeout=30s',
    ]);
    const workload = ms.find((m) => m.kind === 'ServiceAccount' && m.metadata.name === 'vc-workload-vc1');
    expect(workload?.automountServiceAccountToken).toBe(false);
  });

  it('mounts syncer.hostKubeconfigSecret into the syncer alone and passes it as --host-kubeconfig', () => {
    const ms = render({
      'syncer.hostKubeconfigSecret.name': 'host-access',
      'syncer.hostKubeconfigSecret.key': 'kc.yaml',
    });
    expect(syncerArgs(ms)).toContain('--host-kubeconfig=/etc/vsyncer/host-kubeconfig/kc.yaml');
    const pod = (
      ms.find((m) => m.kind === 'StatefulSet') as unknown as {
        spec: {
          template: {
            spec: {
              containers: { name: string; volumeMounts: { name: string; mountPath: string }[] }[];
              volumes: {
                name: string;
                secret?: { secretName: string; items: { key: string; path: string }[] };
              }[];
            };
          };
        };
      }
    ).spec.template.spec;
    expect(pod.volumes.find((v) => v.name === 'host-kubeconfig')?.secret).toMatchObject({
      secretName: 'host-access',
      items: [{ key: 'kc.yaml', path: 'kc.yaml' }],
    });
    const mounting = pod.containers.filter((c) => c.volumeMounts.some((m) => m.name === 'host-kubeconfig'));
    expect(mounting.map((c) => c.name)).toEqual(['syncer']);
    expect(mounting[0]!.volumeMounts.find((m) => m.name === 'host-kubeconfig')?.mountPath).toBe(
      '/etc/vsyncer/host-kubeconfig',
    );
    // A path in the image is passed as it is, with nothing mounted.
    const byPath = render({ 'syncer.hostKubeconfig': '/etc/host.conf' });
    expect(syncerArgs(byPath)).toContain('--host-kubeconfig=/etc/host.conf');
    expect(JSON.stringify(byPath)).not.toContain('host-kubeconfig"');
  });

  it('owns synced objects by the release Service and exports the kubeconfig to vc-<release>, both overridable', () => {
    const args = syncerArgs(
      render({
        'syncer.setOwner': 'false',
        'syncer.virtualApiService': 'api',
        'exportKubeconfig.secret': 'tenant-kubeconfig',
        'exportKubeconfig.server': 'https://vc1.example.com',
      }),
    );
    expect(args).toEqual(
      expect.arrayContaining([
        '--virtual-api-service=api',
        '--set-owner=false',
        '--kubeconfig-secret=tenant-kubeconfig',
        '--kubeconfig-secret-server=https://vc1.example.com',
      ]),
    );
  });

  it('turns leader election on when there is more than one replica', () => {
    const ha = { 'syncer.replicas': '2', 'k3s.datastore.secretName': 'vc1-datastore' };
    expect(syncerArgs(render(ha))).toContain('--leader-elect=true');
    expect(syncerArgs(render({ 'syncer.leaderElect': 'true' }))).toContain('--leader-elect=true');
  });

  it('gives every replica one shared k3s data store, and refuses more than one replica without it', () => {
    const k3s = (ms: Manifest[]) =>
      (
        ms.find((m) => m.kind === 'StatefulSet') as unknown as {
          spec: { template: { spec: { containers: { name: string; env?: unknown[] }[] } } };
        }
      ).spec.template.spec.containers.find((c) => c.name === 'k3s')!;
    expect(k3s(render()).env).toBeUndefined();
    expect(k3s(render({ 'syncer.replicas': '2', 'k3s.datastore.secretName': 'vc1-datastore' })).env).toEqual([
      {
        name: 'K3S_DATASTORE_ENDPOINT',
        valueFrom: { secretKeyRef: { name: 'vc1-datastore', key: 'endpoint' } },
      },
      { name: 'K3S_TOKEN', valueFrom: { secretKeyRef: { name: 'vc1-datastore', key: 'token' } } },
    ]);
    expect(() => render({ 'syncer.replicas': '2' })).toThrow(
      /syncer.replicas > 1 .*needs one data store every replica shares: a deployed etcd .* or an external one \(k3s.datastore.secretName or k3s.datastore.endpoint\)/,
    );
  });

  it('virtualScheduler: k3s runs its scheduler, the syncer waits for its bindings; refused without real nodes', () => {
    const k3sArgs = (ms: Manifest[]) =>
      (
        ms.find((m) => m.kind === 'StatefulSet') as unknown as {
          spec: { template: { spec: { containers: { name: string; args: string[] }[] } } };
        }
      ).spec.template.spec.containers.find((c) => c.name === 'k3s')!.args;
    expect(k3sArgs(render())).toContain('--disable-scheduler');
    const on = render({ 'syncer.virtualScheduler': 'true', 'syncer.syncRealNodes': 'true' });
    expect(k3sArgs(on)).not.toContain('--disable-scheduler');
    expect(syncerArgs(on)).toContain('--virtual-scheduler=true');
    expect(() => render({ 'syncer.virtualScheduler': 'true' })).toThrow(
      /syncer.virtualScheduler needs syncer.syncRealNodes/,
    );
  });

  it('selects the control-plane pod by release, a label no tenant pod can carry on the host', () => {
    const svc = render().find((m) => m.kind === 'Service' && m.metadata.name === 'vc1') as unknown as {
      spec: { selector: Record<string, string> };
    };
    expect(svc.spec.selector).toMatchObject({ release: 'vc1' });
  });

  it("labels the StatefulSet, its pod and Services app=vcluster, as vCluster's CLI finds them, outside the fixed selector", () => {
    // A Service label of the same key does not take it away.
    const ms = render({ 'controlPlane.service.labels.app': 'mine', 'controlPlane.service.labels.team': 'a' });
    const sts = ms.find((m) => m.kind === 'StatefulSet') as unknown as Manifest & {
      spec: {
        selector: { matchLabels: Record<string, string> };
        template: { metadata: { labels: Record<string, string> } };
      };
    };
    const labelled = { app: 'vcluster', release: 'vc1' };
    expect(sts.metadata.labels).toMatchObject(labelled);
    expect(sts.spec.template.metadata.labels).toMatchObject(labelled);
    // The selector of a running StatefulSet cannot change: an upgrade adding a key would be refused.
    expect(sts.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'vsyncer',
      'app.kubernetes.io/instance': 'vc1',
      release: 'vc1',
    });
    for (const name of ['vc1', 'vc1-headless']) {
      const svc = ms.find((m) => m.kind === 'Service' && m.metadata.name === name)!;
      expect([name, svc.metadata.labels]).toEqual([name, expect.objectContaining(labelled)]);
      expect((svc as unknown as { spec: { selector: Record<string, string> } }).spec.selector).toEqual(
        sts.spec.selector.matchLabels,
      );
    }
    expect(ms.find((m) => m.metadata.name === 'vc1' && m.kind === 'Service')!.metadata.labels).toMatchObject({
      team: 'a',
    });
  });

  it.each(['k3s', 'vanilla'])(
    '%s: pulls the control-plane images with controlPlane.imagePullSecrets (names or {name}), none by default',
    (distro) => {
      const pod = (set: Record<string, string>) =>
        (
          render({ 'controlPlane.distro': distro, ...set }).find(
            (m) => m.kind === 'StatefulSet',
          ) as unknown as {
            spec: { template: { spec: { imagePullSecrets?: unknown } } };
          }
        ).spec.template.spec;
      expect(pod({}).imagePullSecrets).toBeUndefined();
      expect(
        pod({
          'controlPlane.imagePullSecrets[0]': 'regcred',
          'controlPlane.imagePullSecrets[1].name': 'mirror',
        }).imagePullSecrets,
      ).toEqual([{ name: 'regcred' }, { name: 'mirror' }]);
      expect(() => render({ 'controlPlane.imagePullSecrets[0].secret': 'regcred' })).toThrow(
        "at '/controlPlane/imagePullSecrets/0': missing property 'name'",
      );
    },
  );

  it('uses an emptyDir instead of a claim when persistence is off', () => {
    const sts = render({ 'persistence.enabled': 'false' }).find(
      (m) => m.kind === 'StatefulSet',
    ) as unknown as {
      spec: {
        volumeClaimTemplates?: unknown[];
        template: { spec: { volumes: { name: string; emptyDir?: object }[] } };
      };
    };
    expect(sts.spec.volumeClaimTemplates).toBeUndefined();
    expect(sts.spec.template.spec.volumes.find((v) => v.name === 'data')?.emptyDir).toEqual({});
  });

  it('init manifests: initManifests, then initManifestsTemplate rendered as a template, in one file; the record ConfigMap may be written', () => {
    const ms = render({
      initManifests: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tools\n',
      initManifestsTemplate:
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-info\ndata:\n  release: "{{ .Release.Name }}"\n',
    });
    const file = ms.find((m) => m.kind === 'ConfigMap' && m.metadata?.name === 'vc1-init-manifests') as
      { data: Record<string, string> } | undefined;
    expect(file?.data['manifests.yaml']).toBe(
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tools\n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-info\ndata:\n  release: "vc1"\n',
    );
    expect(syncerArgs(ms)).toEqual(
      expect.arrayContaining([
        '--init-manifests=/etc/vsyncer/init/manifests.yaml',
        '--init-manifests-generation=1',
      ]),
    );
    // What the next upgrade reads to keep the generation while the manifests stay the same (the
    // lookup itself: test/integration/chart-dryrun.test.ts); the pod restarts only on the checksum.
    const sts = ms.find((m) => m.kind === 'StatefulSet') as unknown as {
      spec: { template: { metadata: { annotations: Record<string, string> } } };
    };
    const checksum = sts.spec.template.metadata.annotations['checksum/init-manifests'];
    expect(checksum).toMatch(/^[0-9a-f]{64}$/);
    expect((file as unknown as Manifest).metadata).toMatchObject({
      annotations: {
        'vsyncer.dev/init-manifests-checksum': checksum,
        'vsyncer.dev/init-manifests-generation': '1',
      },
    });
    const role = ms.find((m) => m.kind === 'Role') as unknown as {
      rules: { resources: string[]; resourceNames?: string[]; verbs: string[] }[];
    };
    expect(role.rules).toContainEqual({
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: ['vc1-init-manifests-applied'],
      // Created with an owner reference (syncer.setOwner): admission then wants delete too.
      verbs: ['get', 'update', 'delete'],
    });
    // Without either, no file and no flag.
    expect(syncerArgs(render()).some((a) => a.startsWith('--init-manifests'))).toBe(false);
  });

  it('reads storage classes (persistentvolumeclaims checks them), and nodes only for real-node sync', () => {
    const rulesOf = (ms: Manifest[]) =>
      (
        ms.find((m) => m.kind === 'ClusterRole') as unknown as {
          rules: { resources: string[]; verbs: string[] }[];
        }
      ).rules;
    const classes = {
      apiGroups: ['storage.k8s.io'],
      resources: ['storageclasses'],
      verbs: ['get', 'list', 'watch'],
    };
    const ms = render({ 'syncer.syncRealNodes': 'true' });
    expect(rulesOf(ms)).toEqual([
      classes,
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
    ]);
    expect(syncerArgs(ms)).toContain('--sync-real-nodes=true');
    expect(rulesOf(render())).toEqual([classes]);
    expect(render({ 'syncer.sync': '{-persistentvolumeclaims}' }).some((m) => m.kind === 'ClusterRole')).toBe(
      false,
    );
  });

  it("labels the ServiceMonitor with metrics.serviceMonitor.labels, which win over the chart's (a Prometheus's release=)", () => {
    const text = renderText({
      'metrics.serviceMonitor.enabled': 'true',
      'metrics.serviceMonitor.labels.release': 'kube-prometheus-stack',
      'metrics.serviceMonitor.labels.team': 'a',
    });
    const monitorText = text.slice(text.indexOf('kind: ServiceMonitor'));
    // One key each: a duplicate `release:` is invalid YAML, which some clients refuse and others cut.
    expect(monitorText.slice(0, monitorText.indexOf('spec:')).match(/^ +release:/gm)).toHaveLength(1);
    const monitor = render({
      'metrics.serviceMonitor.enabled': 'true',
      'metrics.serviceMonitor.labels.release': 'kube-prometheus-stack',
      'metrics.serviceMonitor.labels.team': 'a',
    }).find((m) => m.kind === 'ServiceMonitor')!;
    expect(monitor.metadata.labels).toMatchObject({
      release: 'kube-prometheus-stack',
      team: 'a',
      'app.kubernetes.io/instance': 'vc1',
    });
    // It still selects the release's Services, the headless one with the metrics port among them.
    expect(
      (monitor as unknown as { spec: { selector: { matchLabels: object } } }).spec.selector.matchLabels,
    ).toEqual({ 'app.kubernetes.io/name': 'vsyncer', 'app.kubernetes.io/instance': 'vc1', release: 'vc1' });
  });

  it('NOTES.txt names the Service that carries the metrics port', () => {
    // helm template leaves NOTES.txt out: a copy of the chart renders it into a ConfigMap.
    const chart = join(tempDir('vsyncer-notes-'), 'vsyncer');
    cpSync(CHART, chart, { recursive: true });
    const notes = readFileSync(join(CHART, 'templates/NOTES.txt'), 'utf8');
    writeFileSync(
      join(chart, 'templates/_notes-test.tpl'),
      `{{- define "notes-test" -}}\n${notes}{{- end -}}\n`,
    );
    writeFileSync(
      join(chart, 'templates/notes-test.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\ndata: {notes: {{ include "notes-test" . | quote }}}\n',
    );
    const ms = parseAllDocuments(
      helm([
        'template',
        'vc1',
        chart,
        '--namespace',
        'team-a',
        '--kube-version',
        '1.37.2',
        '--show-only',
        'templates/notes-test.yaml',
      ]),
    ).map((d) => d.toJS() as { data: { notes: string } });
    const line = ms[0]!.data.notes.split('\n').find((l) => l.startsWith('Metrics:'))!;
    const service = /of service (\S+?),? /.exec(line)?.[1];
    const metricsService = render().find(
      (m) =>
        m.kind === 'Service' &&
        (m as unknown as { spec: { ports: { name: string }[] } }).spec.ports.some(
          (p) => p.name === 'metrics',
        ),
    );
    expect(service).toBe(metricsService?.metadata.name);
    expect(service).toBe('vc1-headless');
  });

  it.each(['k3s', 'vanilla'])(
    '%s: every container of the control plane that runs as non-root has the RuntimeDefault seccomp profile (Pod Security restricted)',
    (distro) => {
      type Container = { name: string; securityContext?: Record<string, unknown> };
      const pod = (
        render({
          'controlPlane.distro': distro,
          'syncer.virtualScheduler': 'true',
          'syncer.syncRealNodes': 'true',
        }).find((m) => m.kind === 'StatefulSet') as unknown as {
          spec: { template: { spec: { containers: Container[]; initContainers?: Container[] } } };
        }
      ).spec.template.spec;
      const all = [...(pod.initContainers ?? []), ...pod.containers];
      // k3s runs as root (its data directory), which no restricted pod may; every other one may.
      const nonRoot = all.filter((c) => c.name !== 'k3s');
      expect(nonRoot.length).toBeGreaterThanOrEqual(distro === 'k3s' ? 2 : 6);
      for (const c of nonRoot)
        expect([c.name, c.securityContext]).toEqual([
          c.name,
          expect.objectContaining({
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          }),
        ]);
    },
  );

  it('renders every optional object and flag when everything is on', () => {
    const ms = render(EVERYTHING_ON);
    expect(kinds(ms)).toEqual(
      expect.arrayContaining([
        'ClusterRole',
        'ClusterRoleBinding',
        'ConfigMap',
        'LimitRange',
        'NetworkPolicy',
        'ResourceQuota',
        'ServiceMonitor',
      ]),
    );
    const args = syncerArgs(ms);
    expect(args).toEqual(
      expect.arrayContaining([
        '--sync=*',
        '--sync-all-configmaps=true',
        '--node-selector=pool=tenants',
        '--config=/etc/vsyncer/config/config.yaml',
        '--cluster-dns-ip=10.96.0.10',
        '--enforce-toleration=dedicated=tenants:NoSchedule',
        '--leader-elect=true',
      ]),
    );
    const config = ms.find((m) => m.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
    expect(config.data['config.yaml']).toContain('resource: clusterpolicies.kyverno.io/v1');
    expect(config.data['config.yaml']).toContain('certManager:');
  });

  it('reads mapped host namespaces through a Role in each, or (mappedNamespacesRbac: ClusterRole) one ClusterRole, for namespaces made later', () => {
    const mappings = {
      'syncer.mapHostSecrets.vault/creds': 'team/db-creds',
      'syncer.mapHostServices[0]': 'shared/postgres=default/postgres',
    };
    const mapped = (ms: Manifest[]) =>
      ms
        .filter((m) => String(m.metadata?.name).endsWith(':mapped'))
        .map((m) => [m.kind, m.metadata?.namespace]);
    expect(mapped(render({ ...mappings, 'syncer.mappedNamespacesRbac': 'Role' }))).toEqual([
      ['Role', 'shared'],
      ['Role', 'vault'],
      ['RoleBinding', 'shared'],
      ['RoleBinding', 'vault'],
    ]);
    // auto (the default): `helm template` reaches no cluster to look in, so it renders Roles, never a
    // ClusterRole nobody asked for (e2e/chart-upgrade.test.ts has auto against a real API server).
    expect(mapped(render(mappings))).toEqual([
      ['Role', 'shared'],
      ['Role', 'vault'],
      ['RoleBinding', 'shared'],
      ['RoleBinding', 'vault'],
    ]);
    const clusterWide = render({ ...mappings, 'syncer.mappedNamespacesRbac': 'ClusterRole' });
    expect(mapped(clusterWide)).toEqual([
      ['ClusterRole', undefined],
      ['ClusterRoleBinding', undefined],
    ]);
    const role = clusterWide.find(
      (m) => m.kind === 'ClusterRole' && String(m.metadata?.name).endsWith(':mapped'),
    );
    // Objects named one by one stay named: the role reads them in any namespace, nothing else.
    expect((role as unknown as { rules: unknown[] }).rules).toEqual([
      {
        apiGroups: [''],
        resources: ['endpoints'],
        resourceNames: ['postgres'],
        verbs: ['get', 'list', 'watch'],
      },
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['creds'], verbs: ['get', 'list', 'watch'] },
      {
        apiGroups: [''],
        resources: ['services'],
        resourceNames: ['postgres'],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
    // A namespace mapped whole makes its type readable everywhere.
    const whole = render({
      'syncer.mapHostConfigMaps.shared/*': 'team/*',
      'syncer.mappedNamespacesRbac': 'ClusterRole',
    }).find((m) => m.kind === 'ClusterRole' && String(m.metadata?.name).endsWith(':mapped'));
    expect((whole as unknown as { rules: unknown[] }).rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
    ]);
    expect(() => render({ ...mappings, 'syncer.mappedNamespacesRbac': 'Everything' })).toThrow(
      /mappedNamespacesRbac.*(must be one of|auto, Role or ClusterRole)/,
    );
  });

  it("exportKubeconfig.additionalSecrets (vCluster's): a flag each, and the syncer may write exactly those Secrets", () => {
    const ms = render({
      'exportKubeconfig.additionalSecrets[0].name': 'vc-extra',
      'exportKubeconfig.additionalSecrets[0].context': 'admin',
      'exportKubeconfig.additionalSecrets[1].name': 'tenant-kubeconfig',
      'exportKubeconfig.additionalSecrets[1].namespace': 'team',
      'exportKubeconfig.additionalSecrets[1].server': 'https://vc.example.com',
    });
    expect(syncerArgs(ms)).toEqual(
      expect.arrayContaining([
        '--kubeconfig-additional-secret=name=vc-extra;context=admin',
        '--kubeconfig-additional-secret=name=tenant-kubeconfig;namespace=team;server=https://vc.example.com',
      ]),
    );
    type Rule = { resources: string[]; resourceNames?: string[]; verbs: string[] };
    const roles = ms.filter((m) => m.kind === 'Role') as unknown as {
      metadata: { name: string; namespace?: string };
      rules: Rule[];
    }[];
    const namedSecrets = (rules: Rule[]) =>
      rules
        .filter((r) => r.resources.includes('secrets') && r.resourceNames)
        .flatMap((r) => r.resourceNames!);
    const own = roles.find((r) => r.metadata.name === 'vc1')!;
    expect(namedSecrets(own.rules)).toEqual(['vc-vc1', 'vc-extra']);
    const team = roles.find((r) => r.metadata.namespace === 'team')!;
    expect(namedSecrets(team.rules)).toEqual(['tenant-kubeconfig']);
    expect(ms.some((m) => m.kind === 'RoleBinding' && m.metadata?.namespace === 'team')).toBe(true);
    // A namespace alone: the Secret is named as the main one (vCluster's vc-<name>) in that namespace.
    const byNamespace = render({ 'exportKubeconfig.additionalSecrets[0].namespace': 'team' });
    expect(syncerArgs(byNamespace)).toContain('--kubeconfig-additional-secret=name=vc-vc1;namespace=team');
    const teamRole = byNamespace.find(
      (m) => m.kind === 'Role' && m.metadata?.namespace === 'team',
    ) as unknown as {
      rules: Rule[];
    };
    expect(namedSecrets(teamRole.rules)).toEqual(['vc-vc1']);
    expect(() => render({ 'exportKubeconfig.additionalSecrets[0].context': 'admin' })).toThrow(
      /needs a name, a namespace or both/,
    );
    // In the release's own namespace that is the main Secret.
    expect(() => render({ 'exportKubeconfig.additionalSecrets[0].namespace': 'team-a' })).toThrow(
      /Secret team-a\/vc-vc1 is exported already/,
    );
    // Two exports of one Secret would overwrite each other's server: the syncer refuses them, so does the chart.
    const exportedTwice: Record<string, string>[] = [
      {
        'exportKubeconfig.additionalSecrets[0].name': 'vc-vc1',
        'exportKubeconfig.additionalSecrets[0].server': 'https://lb',
      },
      {
        'exportKubeconfig.additionalSecrets[0].name': 'a',
        'exportKubeconfig.additionalSecrets[1].name': 'a',
        'exportKubeconfig.additionalSecrets[1].namespace': 'team-a',
      },
    ];
    for (const twice of exportedTwice) expect(() => render(twice)).toThrow(/is exported already/);
  });

  it("isolation: vCluster's isolated mode, its objects under vCluster's names and the namespaces' Pod Security label", () => {
    const ms = render({ 'isolation.enabled': 'true' });
    const named = (kind: string) => ms.filter((m) => m.kind === kind).map((m) => m.metadata?.name);
    expect([named('ResourceQuota'), named('LimitRange'), named('NetworkPolicy')]).toEqual([
      ['vc-vc1'],
      ['vc-vc1'],
      ['vc-work-vc1', 'vc-dns-vc1', 'vc-cp-vc1'],
    ]);
    // The control plane reaches the tenant's pods (webhooks, aggregated APIs), as in vCluster's policy.
    const policy = ms.find(
      (m) => m.kind === 'NetworkPolicy' && m.metadata?.name === 'vc-work-vc1',
    ) as unknown as {
      spec: { ingress: { from: { podSelector: { matchLabels: Record<string, string> } }[] }[] };
    };
    expect(policy.spec.ingress[0]!.from.map((f) => f.podSelector.matchLabels)).toEqual([
      { 'vcluster.loft.sh/managed-by': 'vc1' },
      { 'app.kubernetes.io/name': 'vsyncer', 'app.kubernetes.io/instance': 'vc1', release: 'vc1' },
    ]);
    const controlPlane = ms.find((m) => m.kind === 'StatefulSet') as unknown as {
      spec: { template: { metadata: { labels: Record<string, string> } } };
    };
    expect(controlPlane.spec.template.metadata.labels).toMatchObject(
      policy.spec.ingress[0]!.from[1]!.podSelector.matchLabels,
    );
    // The control plane's own egress: DNS, the host API's ports, its peers and the tenant's pods, and
    // what the admin adds; a tenant's webhook URL at any other port of the host network is not dialled.
    const cp = ms.find((m) => m.kind === 'NetworkPolicy' && m.metadata?.name === 'vc-cp-vc1') as unknown as {
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        policyTypes: string[];
        egress: { to?: unknown[]; ports?: { port: number }[] }[];
      };
    };
    expect(cp.spec.podSelector.matchLabels).toEqual(policy.spec.ingress[0]!.from[1]!.podSelector.matchLabels);
    expect(cp.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(cp.spec.egress.map((r) => (r.ports ?? []).map((p) => p.port))).toEqual([
      [53, 53],
      [443, 6443, 8443],
      [],
    ]);
    expect(cp.spec.egress[1]!.to).toBeUndefined();
    const pinned = render({
      'isolation.enabled': 'true',
      'isolation.networkPolicy.hostApiCIDRs[0]': '10.0.0.1/32',
    });
    const cpPinned = pinned.find((m) => m.metadata?.name === 'vc-cp-vc1') as unknown as typeof cp;
    expect(cpPinned.spec.egress[1]!.to).toEqual([{ ipBlock: { cidr: '10.0.0.1/32' } }]);
    // An external datastore would be cut off without a rule for it: refused at render, with the way out.
    expect(() => render({ 'isolation.enabled': 'true', 'k3s.datastore.secretName': 'db' })).toThrow(
      /controlPlaneEgress/,
    );
    const extra = { to: [{ ipBlock: { cidr: '10.9.0.5/32' } }], ports: [{ port: 5432 }] };
    const withDatastore = render({
      'isolation.enabled': 'true',
      'isolation.networkPolicy.controlPlaneEgress[0].to[0].ipBlock.cidr': '10.9.0.5/32',
      'isolation.networkPolicy.controlPlaneEgress[0].ports[0].port': '5432',
    });
    const cpWith = withDatastore.find((m) => m.metadata?.name === 'vc-cp-vc1') as unknown as typeof cp;
    expect(cpWith.spec.egress.at(-1)).toEqual(extra);
    // Tenant pods never reach link-local (cloud metadata), shared or loopback addresses.
    const work = policy as unknown as { spec: { egress: { to: { ipBlock?: { except: string[] } }[] }[] } };
    expect(work.spec.egress[0]!.to.at(-1)!.ipBlock!.except).toEqual(
      expect.arrayContaining(['100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8']),
    );
    expect(syncerArgs(ms)).toContain('--namespace-pod-security-label=true');
    expect(syncerArgs(render({ 'syncer.namespacePodSecurityLabel': 'true' }))).toContain(
      '--namespace-pod-security-label=true',
    );
  });

  describe('isolation: each object has its own switch, following isolation.enabled when unset', () => {
    /** The isolation objects' names by kind, and the flags that come with them. */
    const isolation = (set: Record<string, string>) => isolationOf(render(set));
    const egress = [
      '--tenant-egress-cidr=0.0.0.0/0',
      ...[
        '10.0.0.0/8',
        '172.16.0.0/12',
        '192.168.0.0/16',
        '100.64.0.0/10',
        '169.254.0.0/16',
        '127.0.0.0/8',
      ].map((c) => `--tenant-egress-except-cidr=${c}`),
    ];

    it('isolation.enabled alone makes all three, the egress flags and the Pod Security label, as before', () => {
      expect(isolation({ 'isolation.enabled': 'true' })).toEqual({
        quota: ['vc-vc1'],
        limits: ['vc-vc1'],
        policies: ['vc-work-vc1', 'vc-dns-vc1', 'vc-cp-vc1'],
        egress,
        label: '--namespace-pod-security-label=true',
      });
      expect(isolation({})).toEqual({
        quota: [],
        limits: [],
        policies: [],
        egress: [],
        label: '--namespace-pod-security-label=false',
      });
    });

    it('isolation.resourceQuota.enabled alone makes the ResourceQuota only', () => {
      expect(isolation({ 'isolation.resourceQuota.enabled': 'true' })).toEqual({
        quota: ['vc-vc1'],
        limits: [],
        policies: [],
        egress: [],
        label: '--namespace-pod-security-label=false',
      });
      expect(isolation({ 'isolation.limitRange.enabled': 'true' })).toMatchObject({
        quota: [],
        limits: ['vc-vc1'],
        policies: [],
      });
    });

    it('isolation.networkPolicy.enabled alone makes the three policies and the egress flags, no quota', () => {
      expect(isolation({ 'isolation.networkPolicy.enabled': 'true' })).toEqual({
        quota: [],
        limits: [],
        policies: ['vc-work-vc1', 'vc-dns-vc1', 'vc-cp-vc1'],
        egress,
        label: '--namespace-pod-security-label=false',
      });
      // Its render-time checks come with it, and only with it.
      expect(() =>
        render({ 'isolation.networkPolicy.enabled': 'true', 'k3s.datastore.secretName': 'db' }),
      ).toThrow(/controlPlaneEgress/);
      expect(
        isolation({ 'isolation.resourceQuota.enabled': 'true', 'k3s.datastore.secretName': 'db' }).quota,
      ).toEqual(['vc-vc1']);
    });

    it('a switch set to false turns its object off under isolation.enabled', () => {
      expect(isolation({ 'isolation.enabled': 'true', 'isolation.networkPolicy.enabled': 'false' })).toEqual({
        quota: ['vc-vc1'],
        limits: ['vc-vc1'],
        policies: [],
        egress: [],
        label: '--namespace-pod-security-label=true',
      });
      expect(
        isolation({ 'isolation.enabled': 'true', 'isolation.limitRange.enabled': 'false' }),
      ).toMatchObject({
        quota: ['vc-vc1'],
        limits: [],
        policies: ['vc-work-vc1', 'vc-dns-vc1', 'vc-cp-vc1'],
      });
    });
  });

  it("isolation: the control plane admits its API port from anywhere, its peers, the kubelet API from the tenant's pods and the metrics port; the admin's rules are added", () => {
    type Rule = { from?: unknown[]; ports?: { port: number; endPort?: number; protocol?: string }[] };
    type Policy = { spec: { ingress: Rule[]; egress: Rule[] } };
    const policies = (set: Record<string, string>) => {
      const ms = render({ 'isolation.enabled': 'true', ...set });
      const named = (name: string) => ms.find((m) => m.kind === 'NetworkPolicy' && m.metadata.name === name);
      return { cp: named('vc-cp-vc1') as unknown as Policy, work: named('vc-work-vc1') as unknown as Policy };
    };
    const peers = {
      podSelector: {
        matchLabels: {
          'app.kubernetes.io/name': 'vsyncer',
          'app.kubernetes.io/instance': 'vc1',
          release: 'vc1',
        },
      },
    };
    const tenants = { podSelector: { matchLabels: { 'vcluster.loft.sh/managed-by': 'vc1' } } };
    // The Service's targetPort and the probes' port: what the cluster's clients reach.
    const sts = render().find((m) => m.kind === 'StatefulSet') as unknown as {
      spec: { template: { spec: { containers: { name: string; ports?: { containerPort: number }[] }[] } } };
    };
    const apiPort = sts.spec.template.spec.containers.find((c) => c.name === 'k3s')!.ports![0]!.containerPort;
    const { cp } = policies({});
    expect(cp.spec.ingress).toEqual([
      { ports: [{ port: apiPort, protocol: 'TCP' }] },
      { from: [peers] },
      { from: [tenants], ports: [{ port: 10250, protocol: 'TCP' }] },
      { ports: [{ port: 8080, protocol: 'TCP' }] },
    ]);
    // Node statistics: each virtual node's port; without the kubelet API, none of its ports.
    expect(
      policies({ 'syncer.kubelet.nodeStats': 'true', 'syncer.kubelet.nodePorts': '12000-12099' }).cp.spec
        .ingress[2],
    ).toEqual({
      from: [tenants],
      ports: [
        { port: 10250, protocol: 'TCP' },
        { port: 12000, endPort: 12099, protocol: 'TCP' },
      ],
    });
    expect(policies({ 'syncer.kubelet.enabled': 'false' }).cp.spec.ingress).toHaveLength(3);
    expect(() => render({ 'syncer.kubelet.nodePorts': '12000' })).toThrow(/\/syncer\/kubelet\/nodePorts/);
    // The admin's: who scrapes the metrics, more ingress for the control plane and the tenant's pods.
    const opened = policies({
      'syncer.metricsPort': '9090',
      'isolation.networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.role': 'monitoring',
      'isolation.networkPolicy.controlPlaneIngress[0].ports[0].port': '9443',
      'isolation.networkPolicy.workloadIngress[0].from[0].namespaceSelector.matchLabels.role': 'ingress',
      'isolation.networkPolicy.workloadEgress[0].to[0].ipBlock.cidr': '10.9.0.5/32',
      'isolation.networkPolicy.workloadEgress[0].ports[0].port': '5432',
    });
    expect(opened.cp.spec.ingress.slice(3)).toEqual([
      {
        ports: [{ port: 9090, protocol: 'TCP' }],
        from: [{ namespaceSelector: { matchLabels: { role: 'monitoring' } } }],
      },
      { ports: [{ port: 9443 }] },
    ]);
    const defaults = policies({}).work;
    expect(opened.work.spec.ingress).toEqual([
      ...defaults.spec.ingress,
      { from: [{ namespaceSelector: { matchLabels: { role: 'ingress' } } }] },
    ]);
    expect(opened.work.spec.egress).toEqual([
      ...defaults.spec.egress,
      { to: [{ ipBlock: { cidr: '10.9.0.5/32' } }], ports: [{ port: 5432 }] },
    ]);
  });

  it.each(['k3s', 'vanilla'])(
    '%s: the host token only in the syncer container, the kubelet CA key only where certificates are issued',
    (distro) => {
      const ms = render({ 'controlPlane.distro': distro, 'syncer.kubelet.enabled': 'true' });
      const sa = ms.find((m) => m.kind === 'ServiceAccount' && m.metadata?.name === 'vc1') as unknown as {
        automountServiceAccountToken?: boolean;
      };
      expect(sa.automountServiceAccountToken).toBe(false);
      type Container = { name: string; volumeMounts?: { name: string; mountPath: string }[] };
      const pod = (
        ms.find((m) => m.kind === 'StatefulSet') as unknown as {
          spec: {
            template: {
              spec: {
                automountServiceAccountToken?: boolean;
                containers: Container[];
                initContainers?: Container[];
                volumes: { name: string; secret?: { secretName: string; items?: { key: string }[] } }[];
              };
            };
          };
        }
      ).spec.template.spec;
      expect(pod.automountServiceAccountToken).toBe(false);
      const all = [...pod.containers, ...(pod.initContainers ?? [])];
      const mounting = (volume: string) =>
        all.filter((c) => c.volumeMounts?.some((m) => m.name === volume)).map((c) => c.name);
      expect(mounting('host-api-token')).toEqual(['syncer']);
      expect(
        all.find((c) => c.name === 'syncer')!.volumeMounts!.find((m) => m.name === 'host-api-token')!
          .mountPath,
      ).toBe('/var/run/secrets/kubernetes.io/serviceaccount');
      // Which containers see the kubelet CA's key: only the init container issuing the serving
      // certificate from it (with k3s; the vanilla one issues it from the cluster CA).
      const withKey = pod.volumes
        .filter((v) => v.secret?.secretName === 'vc1-kubelet-tls')
        .filter((v) => !v.secret!.items || v.secret!.items.some((i) => i.key === 'ca.key'))
        .flatMap((v) => mounting(v.name));
      expect(withKey).toEqual(distro === 'k3s' ? ['kubelet-cert'] : []);
      expect(mounting('kubelet-ca')).toEqual(['syncer']);
      expect(mounting('kubelet-client')).toEqual([distro === 'k3s' ? 'k3s' : 'kube-apiserver']);
    },
  );

  it("serves the virtual nodes' kubelet API from the syncer: certificates k3s and the syncer agree on", () => {
    const ms = render();
    const secret = ms.find(
      (m) => m.kind === 'Secret' && m.metadata?.name === 'vc1-kubelet-tls',
    ) as unknown as {
      data: Record<string, string>;
    };
    const text = (key: string) => Buffer.from(secret.data[key]!, 'base64').toString();
    const ca = new X509Certificate(text('ca.crt'));
    const client = new X509Certificate(text('client.crt'));
    // The client certificate chains to the chart's CA and names the API server's kubelet client; the
    // CA key is there for the init container that issues the serving certificate for the pod IP.
    expect(client.verify(ca.publicKey)).toBe(true);
    expect(client.subject).toContain('CN=kube-apiserver-kubelet-client');
    expect(ca.checkPrivateKey(createPrivateKey(text('ca.key')))).toBe(true);
    const init = (
      ms.find((m) => m.kind === 'StatefulSet') as unknown as {
        spec: { template: { spec: { initContainers: { name: string; args: string[] }[] } } };
      }
    ).spec.template.spec.initContainers;
    expect(init.find((c) => c.name === 'kubelet-cert')?.args).toEqual(
      expect.arrayContaining([
        'issue-cert',
        '--ca-key=/etc/vsyncer/kubelet/ca.key',
        '--ip-address=$(POD_IP)',
        '--cert-out=/etc/vsyncer/serving/kubelet.crt',
      ]),
    );
    const sts = ms.find((m) => m.kind === 'StatefulSet') as unknown as {
      spec: { template: { spec: { containers: { name: string; args: string[] }[] } } };
    };
    expect(sts.spec.template.spec.containers[0]!.args).toEqual(
      expect.arrayContaining([
        '--kube-apiserver-arg=kubelet-certificate-authority=/etc/vsyncer/kubelet/ca.crt',
        '--kube-apiserver-arg=kubelet-client-certificate=/etc/vsyncer/kubelet/client.crt',
        '--kube-apiserver-arg=kubelet-client-key=/etc/vsyncer/kubelet/client.key',
      ]),
    );
    const role = ms.find((m) => m.kind === 'Role') as unknown as {
      rules: { resources: string[]; verbs: string[] }[];
    };
    const canStream = (resource: string, verb: string) =>
      role.rules.some((r) => r.resources.includes(resource) && r.verbs.includes(verb));
    expect([
      canStream('pods/log', 'get'),
      canStream('pods/exec', 'create'),
      canStream('pods/attach', 'create'),
      canStream('pods/portforward', 'create'),
    ]).toEqual([true, true, true, true]);
    // kubectl top (off by default): a port per node, and the host nodes' statistics through their proxy.
    expect(syncerArgs(ms)).toContain('--kubelet-node-stats=false');
    expect(ms.some((m) => m.kind === 'ClusterRole' && JSON.stringify(m).includes('nodes/proxy'))).toBe(false);
    const top = render({ 'syncer.kubelet.nodeStats': 'true' });
    expect(syncerArgs(top)).toEqual(
      expect.arrayContaining(['--kubelet-node-ports=11000-11999', '--kubelet-node-stats=true']),
    );
    const clusterRole = top.find((m) => m.kind === 'ClusterRole') as unknown as {
      rules: { resources: string[]; verbs: string[] }[];
    };
    expect(clusterRole.rules).toEqual(
      expect.arrayContaining([{ apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'] }]),
    );
    const off = render({ 'syncer.kubelet.enabled': 'false' });
    expect(off.some((m) => m.kind === 'Secret')).toBe(false);
    expect(syncerArgs(off)).toContain('--kubelet-bind-address=0');
  });

  it("serves the metrics API from the host's with syncer.metricsServerProxy, with read access to the host's metrics only then", () => {
    type Rules = { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
    const metricsRules = (ms: ReturnType<typeof render>, kind: string) =>
      ((ms.find((m) => m.kind === kind) as unknown as Rules | undefined)?.rules ?? []).filter((r) =>
        r.apiGroups.includes('metrics.k8s.io'),
      );
    const off = render({});
    expect(syncerArgs(off)).toContain('--metrics-server-proxy=false');
    expect([...metricsRules(off, 'Role'), ...metricsRules(off, 'ClusterRole')]).toEqual([]);
    const on = render({ 'syncer.metricsServerProxy.enabled': 'true' });
    expect(syncerArgs(on)).toEqual(
      expect.arrayContaining(['--metrics-server-proxy=true', '--metrics-server-proxy-port=9001']),
    );
    expect(metricsRules(on, 'Role')).toEqual([
      { apiGroups: ['metrics.k8s.io'], resources: ['pods'], verbs: ['get', 'list'] },
    ]);
    expect(metricsRules(on, 'ClusterRole')).toEqual([
      { apiGroups: ['metrics.k8s.io'], resources: ['nodes'], verbs: ['get', 'list'] },
    ]);
    expect(() =>
      render({ 'syncer.metricsServerProxy.enabled': 'true', 'syncer.kubelet.enabled': 'false' }),
    ).toThrow('needs syncer.kubelet.enabled');
  });

  it("turns vCluster's label selectors into the syncer's (kubectl syntax), refusing numbers YAML would mangle", () => {
    const args = syncerArgs(
      render({
        'syncer.hostClassSelectors.storageClasses.matchLabels.tier': 'gold',
        'syncer.hostClassSelectors.runtimeClasses.matchExpressions[0].key': 'sandbox',
        'syncer.hostClassSelectors.runtimeClasses.matchExpressions[0].operator': 'Exists',
        'syncer.hostClassSelectors.priorityClasses.matchExpressions[0].key': 'tier',
        'syncer.hostClassSelectors.priorityClasses.matchExpressions[0].operator': 'NotIn',
        'syncer.hostClassSelectors.priorityClasses.matchExpressions[0].values[0]': 'system',
        'syncer.workloadImagePullSecrets[0].name': 'registry',
      }),
    );
    expect(args).toEqual(
      expect.arrayContaining([
        '--host-storageclasses-selector=tier=gold',
        '--host-runtimeclasses-selector=sandbox',
        '--host-priorityclasses-selector=tier notin (system)',
        '--workload-image-pull-secret=registry',
      ]),
    );
    // No selector: no account gets the pull secrets, every class is shown.
    expect(args.filter((a) => a.startsWith('--workload-image-pull-secret-selector'))).toEqual([]);
    expect(args.filter((a) => a.startsWith('--host-ingressclasses-selector'))).toEqual([]);
    expect(() =>
      renderText({ 'syncer.hostClassSelectors.storageClasses.matchLabels.version': '1.10' }, 'x', 'y'),
    ).not.toThrow();
    expect(() =>
      helm([
        'template',
        'x',
        CHART,
        '--kube-version',
        '1.37.2',
        '--set-json',
        'syncer.hostClassSelectors.storageClasses={"matchLabels":{"v":1.1}}',
      ]),
    ).toThrow('must be a string');
  });

  it("turns vCluster's pods.dns.nameservers into --pod-dns-nameserver, refusing an entry that selects nothing", () => {
    const entry = (i: number, scope: string, namespace: string, labels: Record<string, string>) =>
      Object.fromEntries([
        [`syncer.podDnsNameservers[${i}].service.scope`, scope],
        [`syncer.podDnsNameservers[${i}].service.namespace`, namespace],
        ...Object.entries(labels).map(([k, v]) => [
          `syncer.podDnsNameservers[${i}].service.labelSelector.matchLabels.${k}`,
          v,
        ]),
      ]);
    const ms = render({
      ...entry(0, 'control-plane-host', 'dns', { role: 'primary' }),
      ...entry(1, 'tenant-cluster', 'kube-system', { 'k8s-app': 'kube-dns' }),
      'syncer.mappedNamespacesRbac': 'Role',
    });
    expect(syncerArgs(ms)).toEqual(
      expect.arrayContaining([
        '--pod-dns-nameserver=control-plane-host:dns:role=primary',
        '--pod-dns-nameserver=tenant-cluster:kube-system:k8s-app=kube-dns',
      ]),
    );
    // The host namespace gets a Role to read Services there; the virtual one none.
    const roles = ms.filter((m) => m.kind === 'Role').map((m) => m.metadata?.namespace);
    expect(roles).toContain('dns');
    expect(roles).not.toContain('kube-system');
    expect(() => render(entry(0, 'control-plane-host', 'dns', {}))).toThrow('must select something');
    expect(() => render(entry(0, 'cluster', 'dns', { a: 'b' }))).toThrow('scope must be');
  });

  it('maps every syncer flag to a value and every rendered flag to a real flag', () => {
    const help = spawnSync(process.execPath, [join(REPO_ROOT, 'cmd/vsyncer.ts'), 'start', '--help'], {
      encoding: 'utf8',
    });
    expect(help.status).toBe(0);
    const helpFlags = new Set(
      [...help.stdout.matchAll(/^\s+(--[a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((f) => f !== '--help'),
    );
    expect(helpFlags.size).toBeGreaterThan(20);
    const rendered = new Set(
      syncerArgs(render(EVERYTHING_ON))
        .filter((a) => a.startsWith('--'))
        .map((a) => a.split('=')[0]!),
    );
    const withoutValue = [...helpFlags].filter((f) => !rendered.has(f));
    const unknown = [...rendered].filter((f) => !helpFlags.has(f));
    expect({ flagsWithoutHelmValue: withoutValue, renderedFlagsUnknownToSyncer: unknown }).toEqual({
      flagsWithoutHelmValue: [],
      renderedFlagsUnknownToSyncer: [],
    });
  });
});
