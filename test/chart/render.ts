import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const CHART = join(REPO_ROOT, 'charts/vsyncer');

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** The helm binary built by hack/build-tools.sh; fails with a pointer to the build when it is missing. */
export function helmBinary(): string {
  const binary = join(
    execFileSync('bash', [join(REPO_ROOT, 'hack/build-tools.sh'), '--print-dir', 'helm'], {
      encoding: 'utf8',
    }).trim(),
    'helm',
  );
  if (!existsSync(binary)) throw new Error(`helm: ${binary} is missing; run 'make tools' (make test does)`);
  return binary;
}

/** Runs helm; throws with its stderr on failure. */
export function helm(args: string[]): string {
  const res = spawnSync(helmBinary(), args, { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`helm ${args.join(' ')} failed: ${res.error?.message ?? res.stderr}`);
  return res.stdout;
}

/** `helm template` of the chart as every render here starts it; helm's own arguments go after. */
export function templateArgs(namespace = 'team-a', release = 'vc1'): string[] {
  return ['template', release, CHART, '--namespace', namespace, '--kube-version', '1.37.2'];
}

/** Renders the chart with --set values as YAML text. */
export function renderText(set: Record<string, string> = {}, namespace = 'team-a', release = 'vc1'): string {
  const args = templateArgs(namespace, release);
  for (const [k, v] of Object.entries(set)) args.push('--set', `${k}=${v}`);
  return helm(args);
}

/** Every manifest of a rendering's YAML text. */
const manifestsOf = (text: string): Manifest[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);

/** Renders the chart with --set values and parses every manifest. */
export function render(set: Record<string, string> = {}): Manifest[] {
  return manifestsOf(renderText(set));
}

/** Renders the chart with values as a values file would give them (one --set-json per top-level key). */
export function renderValues(values: Record<string, unknown>): Manifest[] {
  const args = templateArgs();
  for (const [key, value] of Object.entries(values))
    args.push('--set-json', `${key}=${JSON.stringify(value)}`);
  return manifestsOf(helm(args));
}

/** The isolation objects of a rendering by kind (their names), and the syncer flags that come with them. */
export function isolationOf(manifests: Manifest[]): {
  quota: string[];
  limits: string[];
  policies: string[];
  egress: string[];
  label: string | undefined;
} {
  const named = (kind: string) => manifests.filter((m) => m.kind === kind).map((m) => m.metadata.name);
  const args = syncerArgs(manifests);
  return {
    quota: named('ResourceQuota'),
    limits: named('LimitRange'),
    policies: named('NetworkPolicy'),
    egress: args.filter((a) => a.startsWith('--tenant-egress-')),
    label: args.find((a) => a.startsWith('--namespace-pod-security-label=')),
  };
}

/** The syncer container's args in a rendering. */
export function syncerArgs(manifests: Manifest[]): string[] {
  const sts = manifests.find((m) => m.kind === 'StatefulSet') as
    { spec: { template: { spec: { containers: { name: string; args: string[] }[] } } } } | undefined;
  const syncer = sts?.spec.template.spec.containers.find((c) => c.name === 'syncer');
  if (!syncer) throw new Error('no syncer container in the rendered StatefulSet');
  return syncer.args;
}

/** Every optional feature on, every syncer value set to something that renders its flag. */
export const EVERYTHING_ON: Record<string, string> = {
  'syncer.replicas': '2',
  'controlPlane.podDisruptionBudget.enabled': 'true',
  'syncer.hostKubeconfigSecret.name': 'host-access',
  'k3s.datastore.secretName': 'vc1-datastore',
  'syncer.sync[0]': '*',
  'syncer.syncAllConfigMaps': 'true',
  'syncer.syncAllSecrets': 'true',
  'syncer.syncRealNodes': 'true',
  'syncer.virtualScheduler': 'true',
  'syncer.nodeSelector': 'pool=tenants',
  // The config file carries only what no flag sets (every other key is refused): custom resources,
  // and vCluster's cert-manager and External Secrets integrations (whose RBAC the chart adds).
  'syncer.config.customResources.fromHost[0].resource': 'clusterpolicies.kyverno.io/v1',
  'syncer.config.integrations.certManager.enabled': 'true',
  'syncer.config.integrations.externalSecrets.enabled': 'true',
  'syncer.config.integrations.externalSecrets.sync.toHost.stores.enabled': 'true',
  'syncer.config.integrations.externalSecrets.sync.fromHost.clusterStores.enabled': 'true',
  'syncer.clusterDnsIp': '10.96.0.10',
  'syncer.podDnsNameservers[0].service.scope': 'control-plane-host',
  'syncer.podDnsNameservers[0].service.namespace': 'team-a',
  'syncer.podDnsNameservers[0].service.labelSelector.matchLabels.dns': 'primary',
  'syncer.enforceTolerations[0]': 'dedicated=tenants:NoSchedule',
  'syncer.deniedPodMetadata[0]': 'example.com/*',
  'syncer.reservedContainerNames[0]': 'mesh-proxy',
  'syncer.deniedHostMetadata[0]': 'external-dns.alpha.kubernetes.io/*',
  'syncer.allowedSchedulers[0]': 'gpu-scheduler',
  'syncer.allowedSigners[0]': 'example.com/mesh',
  'syncer.allowedInlineCsiDrivers[0]': 'secrets-store.csi.k8s.io',
  'syncer.allowedInlineVolumeSources[0]': 'nfs',
  'syncer.deniedEndpointCidrs[0]': '10.0.0.0/8',
  'syncer.allowedEndpointCidrs[0]': '10.20.0.0/16',
  'syncer.allowedIngressHosts[0]': '*.team-a.example.com',
  'syncer.allowedServerUrls[0]': 'https://vault.team-a.example.com',
  'syncer.deniedServiceAccountAnnotations[0]': 'eks.amazonaws.com/role-arn',
  'syncer.workloadImagePullSecrets[0]': 'registry-creds',
  'syncer.workloadImagePullSecretSelector.matchLabels.inject-pull-secrets': 'yes',
  'syncer.hostClassSelectors.storageClasses.matchLabels.tenants': 'yes',
  'syncer.hostClassSelectors.ingressClasses.matchLabels.tenants': 'yes',
  'syncer.hostClassSelectors.priorityClasses.matchLabels.tenants': 'yes',
  'syncer.hostClassSelectors.runtimeClasses.matchLabels.tenants': 'yes',
  'syncer.hostClassSelectors.gatewayClasses.matchLabels.tenants': 'yes',
  'syncer.hostClassSelectors.deviceClasses.matchLabels.tenants': 'yes',
  'exportKubeconfig.context': 'team-a-admin',
  'exportKubeconfig.serviceAccount.name': 'argocd',
  'exportKubeconfig.serviceAccount.clusterRole': 'view',
  'exportKubeconfig.additionalSecrets[0].name': 'vc-extra',
  'syncer.allowedPvSources[0]': 'nfs',
  'syncer.allowedStorageProvisioners[0]': 'csi.example.com',
  'syncer.allowRetainStorageClass': 'true',
  'syncer.translateImage.nginx': 'mirror.example.com/nginx',
  'syncer.enforceRuntimeClass': 'gvisor',
  'syncer.enforcePriorityClass': 'tenant-low',
  'syncer.podTokenSecrets': 'per-pod',
  'syncer.mapHostServices[0]': 'shared/postgres=default/postgres',
  'syncer.mapVirtualServices[0]': 'default/web=tenant-web',
  'syncer.mapHostConfigMaps.shared/*': 'team/*',
  'syncer.mapHostSecrets.vault/creds': 'team/db-creds',
  'syncer.metricsServerProxy.enabled': 'true',
  'syncer.fallbackHostDns': 'auto',
  'controlPlane.service.spec.type': 'LoadBalancer',
  'controlPlane.service.httpsNodePort': '30443',
  'controlPlane.ingress.enabled': 'true',
  'controlPlane.proxy.extraSANs[0]': '192.0.2.7',
  'controlPlane.imagePullSecrets[0]': 'registry-creds',
  'controlPlane.priorityClassName': 'system-cluster-critical',
  'controlPlane.topologySpreadConstraints[0].maxSkew': '1',
  'controlPlane.topologySpreadConstraints[0].topologyKey': 'topology.kubernetes.io/zone',
  'controlPlane.topologySpreadConstraints[0].whenUnsatisfiable': 'ScheduleAnyway',
  'controlPlane.labels.team': 'platform',
  'controlPlane.annotations.owner': 'platform',
  'controlPlane.podLabels.tier': 'control-plane',
  'controlPlane.podAnnotations.owner': 'platform',
  'controlPlane.env[0].name': 'HTTPS_PROXY',
  'controlPlane.env[0].value': 'http://proxy.internal:3128',
  'controlPlane.extraVolumes[0].name': 'audit-log',
  'controlPlane.extraVolumes[0].emptyDir.sizeLimit': '1Gi',
  'controlPlane.extraVolumeMounts[0].name': 'audit-log',
  'controlPlane.extraVolumeMounts[0].mountPath': '/var/log/audit',
  'metrics.serviceMonitor.enabled': 'true',
  'isolation.enabled': 'true',
  // With the external datastore above, the control plane's egress to it.
  'isolation.networkPolicy.controlPlaneEgress[0].ports[0].port': '5432',
  'isolation.networkPolicy.hostApiCIDRs[0]': '10.0.0.1/32',
  'isolation.networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.role': 'monitoring',
  'isolation.networkPolicy.controlPlaneIngress[0].ports[0].port': '9443',
  'isolation.networkPolicy.workloadIngress[0].from[0].namespaceSelector.matchLabels.role': 'ingress',
  'isolation.networkPolicy.workloadEgress[0].ports[0].port': '5432',
  // A scoped quota counts pods and their resources only: `services` (a default) taken out.
  'isolation.resourceQuota.hard.services': 'null',
  // An object count beside the scope: the API server does not judge it against scopes, nor does the chart.
  'isolation.resourceQuota.hard.count/configmaps': '50',
  'isolation.resourceQuota.scopes[0]': 'NotTerminating',
  'isolation.resourceQuota.scopeSelector.matchExpressions[0].scopeName': 'PriorityClass',
  'isolation.resourceQuota.scopeSelector.matchExpressions[0].operator': 'In',
  'isolation.resourceQuota.scopeSelector.matchExpressions[0].values[0]': 'tenant-low',
  'isolation.resourceQuota.labels.team': 'platform',
  'isolation.limitRange.min.cpu': '10m',
  'isolation.limitRange.max.memory': '2Gi',
  'isolation.networkPolicy.annotations.owner': 'platform',
  'syncer.kubelet.nodeStats': 'true',
  'persistence.enabled': 'false',
  initManifests: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tools\n',
};

/** The syncer's config file in a rendering (undefined when the chart renders none). */
export function configFile(ms: Manifest[]): Record<string, unknown> | undefined {
  const cm = ms.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'vc1-syncer') as
    { data: { 'config.yaml': string } } | undefined;
  return cm ? (parse(cm.data['config.yaml']) as Record<string, unknown>) : undefined;
}

/** The manifests less the keys and certificates the chart generates at each render. */
export const ungenerated = (ms: Manifest[]) =>
  ms.map((m) => (m.kind === 'Secret' ? { ...m, data: undefined } : m));

/** The message a rendering fails with ('' when it renders). */
export function failure(values: Record<string, unknown>): string {
  try {
    renderValues(values);
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** The rules of the release's Role or ClusterRole (not those of mapped namespaces). */
export const rulesOf = (ms: Manifest[], kind: 'Role' | 'ClusterRole') =>
  (ms.find((m) => m.kind === kind && !m.metadata.name.includes(':mapped'))?.rules ?? []) as Rule[];

/**
 * What the release's Role or ClusterRole grants on an API group's resources and on CRDs (an
 * integration's kinds read the host's CRDs too), as `group/resource:verbs`, once each.
 */
export const grantsOn = (ms: Manifest[], kind: 'Role' | 'ClusterRole', group: string): string[] =>
  rulesOf(ms, kind)
    .filter((r) => r.apiGroups.some((g) => g === group || g === 'apiextensions.k8s.io'))
    .flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}:${r.verbs.join(',')}`)))
    .filter((grant, i, all) => all.indexOf(grant) === i)
    .sort();
