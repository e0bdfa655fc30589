import { ENFORCE_TOLERATIONS_FIELD } from '../shared/tolerations.ts';
import { VIRTUAL_SCHEDULER_FIELD } from '../shared/virtual-scheduler.ts';
import { field } from '../../config/fields.ts';
import { defineKind } from '../../sync/kind.ts';
import { NODE_SELECTOR_FIELDS, SYNC_REAL_NODES_FIELD } from '../nodes/index.ts';
import { CRUD } from '../shared/data-object.ts';
import { invalidImageTranslations } from './image-translation.ts';
import { invalidNameserverSources, parseNameserverSource } from './dns-nameservers.ts';
import { podKind } from './pod-translator.ts';
import { POD_TOKEN_SECRET_MODES } from './tokens.ts';
import { POD_SECURITY_LEVELS, RESTRICTED_VOLUME_SOURCES } from './pod-security.ts';
import { DEFAULT_RESERVED_CONTAINER_NAMES, INLINE_VOLUME_SOURCES_ALWAYS_ALLOWED } from './pod-policy.ts';
import { invalidDeniedMetadataPatterns } from '../../naming/denied-metadata.ts';
import { DEFAULT_DENIED_POD_METADATA_KEYS, DEFAULT_HOSTS_REWRITE_IMAGE } from './translate.ts';
import { isDnsSubdomain } from '../../naming/dns-names.ts';
import { isStrictIP } from '../../util/ip.ts';

/** What is wrong with a class name (empty: none is enforced). */
const dnsSubdomainProblem = (name: string) =>
  name && !isDnsSubdomain(name)
    ? `must be a class name (a DNS subdomain), got ${JSON.stringify(name)}`
    : undefined;

/**
 * The in-tree volume sources of a pod (its `volumes[]` fields) --allowed-inline-volume-source may
 * name: those not always allowed (INLINE_VOLUME_SOURCES_ALWAYS_ALLOWED). The policy compares field
 * names exactly, so `NFS` would allow nothing.
 */
const INLINE_VOLUME_SOURCE_TYPES = RESTRICTED_VOLUME_SOURCES.filter(
  (source) => !INLINE_VOLUME_SOURCES_ALWAYS_ALLOWED.has(source),
);

/** What is wrong with --allowed-inline-volume-source: a name that is no such source, as --allowed-pv-source refuses. */
function invalidInlineVolumeSources(types: readonly string[]): string | undefined {
  for (const type of types) {
    // One always allowed (emptyDir, csi, hostPath...) allows nothing more, but is no mistake either.
    if (INLINE_VOLUME_SOURCE_TYPES.includes(type) || INLINE_VOLUME_SOURCES_ALWAYS_ALLOWED.has(type)) continue;
    const known = INLINE_VOLUME_SOURCE_TYPES.find((t) => t.toLowerCase() === type.toLowerCase());
    return known
      ? `unknown volume source type "${type}": did you mean "${known}"? (names are the pod's volume fields, case included)`
      : `unknown volume source type "${type}" (known: ${INLINE_VOLUME_SOURCE_TYPES.join(', ')})`;
  }
  return undefined;
}

/** Pods, virtual → host with status, node binding and tokens back; deleted from either side. */
/**
 * --denied-pod-metadata: also read by the Gateway kind, whose `infrastructure` labels and annotations
 * a host gateway controller puts on the pods it makes.
 */
export const DENIED_POD_METADATA_FIELD = field({
  flag: 'denied-pod-metadata',
  key: 'deniedPodMetadata',
  kind: 'list',
  default: DEFAULT_DENIED_POD_METADATA_KEYS,
  repeatable: true,
  valueName: 'key',
  description:
    'pod label or annotation keys a tenant may not set on host pods (host identity and policy hooks; also a Gateway\'s infrastructure metadata); "prefix/*" matches a prefix',
  validate: (patterns) => invalidDeniedMetadataPatterns(patterns as string[]),
});

export const podsKind = defineKind({
  name: 'pods',
  description: 'Pods, virtual → host; status and node binding back',
  defaultOn: true,
  eventKind: 'Pod',
  fields: [
    field({
      flag: 'cluster-domain',
      key: 'clusterDomain',
      kind: 'string',
      default: 'cluster.local',
      description: 'DNS domain of the virtual cluster',
      // Pods get it in their DNS search list and /etc/hosts: the host API refuses them all otherwise.
      validate: (domain: string) =>
        isDnsSubdomain(domain)
          ? undefined
          : `must be a DNS domain (lower-case letters, digits and '-' in dot-separated labels, at most 253 characters), got ${JSON.stringify(domain)}`,
    }),
    field({
      flag: 'cluster-dns-ip',
      key: 'clusterDnsIp',
      kind: 'string',
      default: '',
      defaultHelp: 'discovered',
      description:
        'virtual cluster DNS service IP for synced pods (empty: the kube-dns service of the virtual cluster)',
      validate: (ip: string) =>
        ip && !isStrictIP(ip) ? `must be an IP address, got ${JSON.stringify(ip)}` : undefined,
    }),
    field({
      flag: 'pod-dns-nameserver',
      key: 'podDnsNameservers',
      kind: 'list',
      default: [],
      repeatable: true,
      valueName: 'scope:namespace:selector',
      description:
        "nameservers synced pods get instead of the virtual cluster's DNS, as vCluster's sync.toHost.pods.dns.nameservers: the cluster IPs of the Services a label selector picks in a namespace of the host (scope host, or control-plane-host) or of the virtual cluster (virtual, or tenant-cluster); repeatable, at most 3; a pod waits until each has one, and running pods are replaced when they change",
      validate: invalidNameserverSources,
    }),
    field({
      flag: 'workload-service-account',
      key: 'workloadServiceAccount',
      kind: 'string',
      default: '',
      defaultHelp: 'vc-workload-<name>',
      defaultFromName: (name: string) => `vc-workload-${name}`,
      description: 'host service account synced pods run as',
      validate: (name: string) =>
        name && !isDnsSubdomain(name)
          ? `must be a ServiceAccount name (a DNS subdomain: lower-case letters, digits, '-' and '.'), got ${JSON.stringify(name)}`
          : undefined,
    }),
    ENFORCE_TOLERATIONS_FIELD,
    DENIED_POD_METADATA_FIELD,
    field({
      flag: 'hosts-rewrite-image',
      key: 'hostsRewriteImage',
      kind: 'string',
      default: DEFAULT_HOSTS_REWRITE_IMAGE,
      description:
        'image of the init container that gives pods with spec.subdomain their virtual FQDN in /etc/hosts ("" turns it off)',
    }),
    field({
      flag: 'translate-image',
      key: 'translateImages',
      kind: 'list',
      default: [],
      repeatable: true,
      valueName: 'virtual=host',
      description:
        'image a host pod runs instead of the one its virtual pod names (repeatable): an exact image, or a repository without tag or digest, whose tags and digests then carry over (nginx=mirror.example.com/nginx)',
      validate: invalidImageTranslations,
    }),
    field({
      flag: 'pod-security-standard',
      key: 'podSecurityStandard',
      kind: 'enum',
      choices: POD_SECURITY_LEVELS,
      default: 'baseline',
      description:
        "Pod Security Standard every tenant pod must meet before it reaches the host (a virtual namespace's pod-security.kubernetes.io/enforce label may only make it stricter)",
    }),
    field({
      flag: 'namespace-pod-security-label',
      key: 'namespacePodSecurityLabel',
      kind: 'bool',
      default: false,
      description:
        "write pod-security.kubernetes.io/enforce=<--pod-security-standard> on every virtual namespace (a stricter level a namespace has is kept), so the virtual API server refuses at once a pod the host would not run, as vCluster's isolated mode does",
    }),
    VIRTUAL_SCHEDULER_FIELD,
    field({
      flag: 'allow-node-name',
      key: 'allowNodeName',
      kind: 'bool',
      default: false,
      description:
        "keep a tenant's spec.nodeName on the host pod (default: it becomes a node affinity, so the host scheduler still decides)",
    }),
    field({
      flag: 'enforce-runtime-class',
      key: 'enforceRuntimeClass',
      kind: 'string',
      default: '',
      description:
        "RuntimeClass every host pod runs with, the tenant's own runtimeClassName replaced (vCluster's sync.toHost.pods.runtimeClassName; empty: the tenant's is kept)",
      validate: (name: string) => dnsSubdomainProblem(name),
    }),
    field({
      flag: 'enforce-priority-class',
      key: 'enforcePriorityClass',
      kind: 'string',
      default: '',
      description:
        "host PriorityClass every host pod runs with, whatever class the tenant named (vCluster's sync.toHost.pods.priorityClassName; empty: see priorityclasses)",
      validate: (name: string) => dnsSubdomainProblem(name),
    }),
    field({
      flag: 'allowed-scheduler',
      key: 'allowedSchedulers',
      kind: 'list',
      default: [],
      repeatable: true,
      valueName: 'name',
      description:
        'host scheduler a tenant pod may name in spec.schedulerName (others use the default scheduler)',
    }),
    field({
      flag: 'allowed-signer',
      key: 'allowedSigners',
      kind: 'list',
      default: [],
      repeatable: true,
      valueName: 'signer',
      description: 'signer whose clusterTrustBundle or podCertificate projected sources tenant pods may use',
    }),
    field({
      flag: 'allowed-inline-csi-driver',
      key: 'allowedInlineCsiDrivers',
      kind: 'list',
      default: [],
      repeatable: true,
      valueName: 'driver',
      description: 'CSI driver tenant pods may use as an inline (ephemeral) csi volume',
    }),
    field({
      flag: 'reserved-container-name',
      key: 'reservedContainerNames',
      kind: 'list',
      default: DEFAULT_RESERVED_CONTAINER_NAMES,
      repeatable: true,
      valueName: 'name',
      description:
        "container name tenant pods may not use: the host's sidecar injectors fill in a container of that name (Istio merges its own into it); empty for none",
    }),
    field({
      flag: 'allowed-inline-volume-source',
      key: 'allowedInlineVolumeSources',
      kind: 'list',
      default: [],
      repeatable: true,
      valueName: 'type',
      description:
        "in-tree volume source type tenant pods may use inline, e.g. nfs or iscsi (the host mounts what it names with host authority); by default only a pod's own objects, scratch space, claims and images",
      validate: (types) => invalidInlineVolumeSources(types as string[]),
    }),
    field({
      flag: 'pod-token-secrets',
      key: 'podTokenSecrets',
      kind: 'enum',
      choices: POD_TOKEN_SECRET_MODES,
      default: 'bundled',
      description:
        "where new pods' service-account tokens (minted by the virtual API server) are kept on the host: bundled, many pods' to a shared Secret (one key each); or per-pod, one Secret per pod named as vCluster's sync.toHost.pods.useSecretsForSATokens names it (<pod>-sa-token, translated), owned by the host pod, at one more host write per pod; running pods keep theirs where they read them",
    }),
  ],
  hostRbac: [
    { scope: 'namespace', apiGroups: [''], resources: ['pods'], verbs: CRUD },
    // `kubectl debug` adds ephemeral containers through their own subresource.
    { scope: 'namespace', apiGroups: [''], resources: ['pods/ephemeralcontainers'], verbs: ['update'] },
    // A tenant's in-place resize goes to the host pod through its own subresource.
    { scope: 'namespace', apiGroups: [''], resources: ['pods/resize'], verbs: ['update'] },
    // The conditions of a pod's readiness gates, which the tenant's controllers set.
    { scope: 'namespace', apiGroups: [''], resources: ['pods/status'], verbs: ['update'] },
    // Minted virtual tokens are kept in host secrets; optional secrets made after their pod are
    // written where it looks for them (absent-fills.ts).
    { scope: 'namespace', apiGroups: [''], resources: ['secrets'], verbs: CRUD },
    // The virtual API service's cluster IP, for KUBERNETES_SERVICE_HOST.
    { scope: 'namespace', apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
    // Host copies of config maps a pod names are checked for ownership before the pod is created; an
    // optional one made after its pod is written where the pod looks for it (absent-fills.ts).
    { scope: 'namespace', apiGroups: [''], resources: ['configmaps'], verbs: CRUD },
  ],
  reads: [...NODE_SELECTOR_FIELDS, SYNC_REAL_NODES_FIELD],
  settingNeedsOtherKind: (options, enabled) => {
    // A tenant-cluster nameserver counts once its host copy has its IP: only the services kind gives it one.
    if (
      !enabled.has('services') &&
      options.podDnsNameservers.some((entry) => parseNameserverSource(entry).scope === 'virtual')
    )
      return [
        '--pod-dns-nameserver',
        "a virtual (tenant-cluster) entry needs kind 'services' on: nothing else gives its Service an IP the host routes",
      ];
    if (options.virtualScheduler && (!enabled.has('nodes') || !options.syncRealNodes))
      return [
        '--virtual-scheduler',
        "needs --sync-real-nodes (kind 'nodes'): the virtual scheduler places pods on the host nodes it sees, and fake nodes are none of them",
      ];
    return undefined;
  },
  build: (options, where) => podKind(options, where),
});
