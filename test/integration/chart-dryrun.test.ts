import { parseAllDocuments } from 'yaml';
import { EVERYTHING_ON, helm, renderText, templateArgs, type Manifest } from '../chart/render.ts';
import { kubectl, testClusters } from '../harness/clusters.ts';
import { apply, mustKubectl } from '../harness/objects.ts';
import { uniqueName } from '../harness/syncer.ts';

// The Prometheus Operator is not installed on the test host; a minimal CRD lets the API server
// accept (and validate the envelope of) the ServiceMonitor.
const SERVICE_MONITOR_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'servicemonitors.monitoring.coreos.com' },
  spec: {
    group: 'monitoring.coreos.com',
    names: {
      kind: 'ServiceMonitor',
      plural: 'servicemonitors',
      singular: 'servicemonitor',
      listKind: 'ServiceMonitorList',
    },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

describe('helm chart against the real host API server', () => {
  const ns = uniqueName('chart');

  beforeAll(async () => {
    await mustKubectl('host', ['create', 'namespace', ns]);
    await apply('host', SERVICE_MONITOR_CRD);
    await mustKubectl('host', [
      'wait',
      '--for=condition=Established',
      'crd/servicemonitors.monitoring.coreos.com',
      '--timeout=60s',
    ]);
  }, 90_000);

  afterAll(async () => {
    await kubectl('host', ['delete', 'namespace', ns, '--wait=false']);
  });

  /**
   * Every feature on, its mappings naming host objects of the release's own namespace: `kubectl
   * apply -n` takes one namespace, and a mapped namespace must exist (the chart puts a Role there).
   */
  const everythingHere = () => {
    const values = Object.fromEntries(
      Object.entries(EVERYTHING_ON).filter(
        ([key]) => !/^syncer\.(mapHost(ConfigMaps|Secrets|Services)|podDnsNameservers)/.test(key),
      ),
    );
    return {
      ...values,
      [`syncer.mapHostConfigMaps.${ns}/\\*`]: 'team/*',
      'syncer.mapHostSecrets./creds': 'team/db-creds',
      'syncer.mapHostServices[0]': `${ns}/postgres=default/postgres`,
      'syncer.podDnsNameservers[0].service.scope': 'control-plane-host',
      'syncer.podDnsNameservers[0].service.namespace': ns,
      'syncer.podDnsNameservers[0].service.labelSelector.matchLabels.dns': 'primary',
    };
  };

  it.each([
    ['default values', () => ({}), false],
    ['every optional feature on', everythingHere, true],
    [
      "the vanilla control plane with the admin's environment and volumes (an audit log)",
      () => ({
        'controlPlane.distro': 'vanilla',
        'syncer.virtualScheduler': 'true',
        'syncer.syncRealNodes': 'true',
        'controlPlane.env[0].name': 'GOMEMLIMIT',
        'controlPlane.env[0].valueFrom.resourceFieldRef.resource': 'limits.memory',
        'controlPlane.extraVolumes[0].name': 'audit-log',
        'controlPlane.extraVolumes[0].emptyDir.sizeLimit': '1Gi',
        'controlPlane.extraVolumeMounts[0].name': 'audit-log',
        'controlPlane.extraVolumeMounts[0].mountPath': '/var/log/audit',
        'vanilla.apiServer.extraArgs[0]': '--audit-log-path=/var/log/audit/audit.log',
        // The data on a claim made beforehand (vCluster's persistence.dataVolume).
        'persistence.enabled': 'false',
        'persistence.volume.persistentVolumeClaim.claimName': 'vc-data',
      }),
      false,
    ],
    [
      'two k3s replicas on a data source given as k3s.datastore.endpoint, with TLS files',
      () => ({
        'syncer.replicas': '2',
        'k3s.datastore.endpoint': 'postgres://vc:pw@db:5432/vc1?sslmode=verify-full',
        'k3s.datastore.caFile': '/etc/db/ca.crt',
      }),
      false,
    ],
    [
      "a service account and RBAC of the admin's, run as the platform's user (no RBAC or account of the chart's)",
      () => ({
        'controlPlane.distro': 'vanilla',
        'syncer.hostRole': 'false',
        'syncer.hostClusterRole': 'false',
        'syncer.serviceAccount.create': 'false',
        'syncer.serviceAccount.name': 'admin-made',
        'syncer.sync[0]': '-persistentvolumeclaims',
        'controlPlane.runAsUser': 'null',
        'controlPlane.runAsGroup': 'null',
        'controlPlane.fsGroup': 'null',
      }),
      false,
    ],
    [
      'two vanilla replicas on a deployed etcd of three members, isolated, with their own DNS',
      () => ({
        'controlPlane.distro': 'vanilla',
        'syncer.replicas': '2',
        'deployedEtcd.enabled': 'true',
        'deployedEtcd.replicas': '3',
        'deployedEtcd.persistence.deleteOnUninstall': 'true',
        'deployedEtcd.extraArgs[0]': '--quota-backend-bytes=4294967296',
        'deployedEtcd.topologySpreadConstraints[0].maxSkew': '1',
        'deployedEtcd.topologySpreadConstraints[0].topologyKey': 'topology.kubernetes.io/zone',
        'deployedEtcd.topologySpreadConstraints[0].whenUnsatisfiable': 'ScheduleAnyway',
        'deployedEtcd.dnsPolicy': 'None',
        'deployedEtcd.dnsConfig.nameservers[0]': '10.96.0.10',
        'controlPlane.dnsPolicy': 'None',
        'controlPlane.dnsConfig.nameservers[0]': '10.96.0.10',
        'isolation.enabled': 'true',
      }),
      false,
    ],
    [
      "vCluster's policies turned on by a vcluster.yaml (its default quota and limit range, ephemeral storage included)",
      () => ({
        'policies.resourceQuota.enabled': 'true',
        'policies.limitRange.enabled': 'true',
        'policies.networkPolicy.enabled': 'true',
        'policies.podSecurityStandard': 'restricted',
      }),
      false,
    ],
  ])(
    'passes server-side dry-run apply with %s',
    async (_what, values, mappedRole) => {
      const manifests = renderText(values(), ns);
      expect(manifests.includes(`name: vsyncer:${ns}:vc1:mapped`)).toBe(mappedRole);
      const res = await kubectl(
        'host',
        ['apply', '--server-side', '--dry-run=server', '--field-manager=chart-test', '-n', ns, '-f', '-'],
        manifests,
      );
      expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
      expect(res.stdout).toContain('statefulset.apps/vc1 serverside-applied (server dry run)');
      if ((values() as Record<string, string>)['deployedEtcd.enabled'])
        for (const object of [
          'statefulset.apps/vc1-etcd',
          'service/vc1-etcd-headless',
          'networkpolicy.networking.k8s.io/vc-etcd-vc1',
        ])
          expect(res.stdout).toContain(`${object} serverside-applied (server dry run)`);
    },
    60_000,
  );

  it("gives the init manifests the generation of the release that last changed them (Helm's lookup), so an upgrade that keeps them restarts nothing", async () => {
    type StatefulSet = {
      spec: { template: { spec: { containers: { name: string; args: string[] }[] } } };
    };
    const manifests = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tools\n';
    // As `helm upgrade` renders: lookups answered by the API server (`helm template` is revision 1).
    const renderLive = (initManifests: string) => {
      const ms = parseAllDocuments(
        helm([
          ...templateArgs(ns),
          '--dry-run=server',
          '--kubeconfig',
          testClusters().host.kubeconfig,
          '--set-string',
          `initManifests=${initManifests}`,
        ]),
      )
        .map((d) => d.toJS() as Manifest | null)
        .filter((m): m is Manifest => m !== null);
      const configMap = ms.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'vc1-init-manifests')!;
      const sts = ms.find((m) => m.kind === 'StatefulSet') as unknown as StatefulSet;
      const flag = sts.spec.template.spec.containers
        .find((c) => c.name === 'syncer')!
        .args.find((a) => a.startsWith('--init-manifests-generation='));
      return { configMap, flag, template: JSON.stringify(sts.spec.template) };
    };
    const first = renderLive(manifests);
    expect(first.flag).toBe('--init-manifests-generation=1');
    // The ConfigMap as an earlier release (revision 7) that last changed these manifests left it.
    const annotationsOf = (m: { metadata: object }) =>
      (m.metadata as { annotations?: Record<string, string> }).annotations ?? {};
    const annotations = annotationsOf(first.configMap);
    const earlier = {
      ...first.configMap,
      metadata: {
        ...first.configMap.metadata,
        annotations: { ...annotations, 'vsyncer.dev/init-manifests-generation': '7' },
      },
    };
    const applied = await kubectl(
      'host',
      ['apply', '--server-side', '--field-manager=chart-test', '-n', ns, '-f', '-'],
      JSON.stringify(earlier),
    );
    expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 0, stderr: '' });
    const same = renderLive(manifests);
    expect(same.flag).toBe('--init-manifests-generation=7');
    expect(annotationsOf(same.configMap)).toMatchObject({
      'vsyncer.dev/init-manifests-generation': '7',
    });
    // Changed manifests take this release's revision.
    expect(renderLive(`${manifests}  labels: {team: a}\n`).flag).toBe('--init-manifests-generation=1');
    // Only the generation differs between the two renders of the same manifests.
    expect(same.template.replace('=7"', '=1"')).toBe(first.template);
  }, 60_000);

  it('is rejected by the API server when a manifest is invalid (the check can fail)', async () => {
    const broken = renderText({}, ns).replace('replicas: 1', 'replicas: -1');
    const res = await kubectl(
      'host',
      ['apply', '--server-side', '--dry-run=server', '-n', ns, '-f', '-'],
      broken,
    );
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/replicas/);
  }, 60_000);
});
