import { hostPort } from './service-env.ts';
import type {
  Container,
  EnvFromSource,
  EnvVar,
  EphemeralContainer,
  LabelSelector,
  Pod,
  PodAffinityTerm,
  PodDnsConfig,
  PodSpec,
  PodStatus,
  Toleration,
  Volume,
} from '../../kube/types.ts';
import type { KubeObject } from '../../kube/object.ts';
import { hostName } from '../../naming/names.ts';
import { parseQuantity } from '../../kube/quantity.ts';
import {
  hostLabelKey,
  hostLabels,
  NAMESPACE_LABEL,
  namespaceLabelsForPod,
  namespaceSelectorAsPodSelector,
  POD_LABELS_ANNOTATION,
  POD_ANNOTATIONS_ANNOTATION,
  CONTAINER_RESOURCES_ANNOTATION,
  POD_SPEC_RECORD_ANNOTATION,
  CLUSTER_NAMESERVERS_ANNOTATION,
  OWNER_REFERENCES_ANNOTATION,
  OWNER_SET_KIND_ANNOTATION,
  POD_NAME_ANNOTATION,
  POD_NAMESPACE_ANNOTATION,
  POD_SERVICE_ACCOUNT_ANNOTATION,
  POD_UID_ANNOTATION,
  translateLabelSelector,
} from '../../naming/labels.ts';
import { objectAnnotations } from '../../naming/annotations.ts';
import {
  mergeManagedMetadata,
  withManagedRecord,
  type LabelsAndAnnotations,
} from '../../sync/managed-metadata.ts';
import { withoutSyncerAnnotations } from '../../sync/metadata-sync.ts';
import { cloneJson } from '../../util/json.ts';
import {
  markedDebugContainer,
  refusedDebugContainerStatuses,
  tenantDebugContainerNames,
} from './debug-containers.ts';
import { withClaimsMadeForPod } from './resource-claims.ts';
import { absentReferenceName, podReferrer } from './reference-safety.ts';
import type { PodPolicy } from './pod-policy.ts';
import { translateImage, type ImageTranslations } from './image-translation.ts';
import { virtualConditionsWithGates, type PodCondition } from './readiness-gates.ts';
import { forEachPodReference, referencedNames, type PodReference } from './reference-walker.ts';
import { usesVirtualDns } from './virtual-dns.ts';
import { resourceRecordOf } from './resize.ts';
import { dropUnreviewedPodSpecFields } from './spec-fields.ts';
import { downwardMapText, readsWholeMap } from './downward-maps.ts';
import {
  imageToWrite,
  keepsSchedulingGate,
  nextPodSpecRecord,
  podSpecRecordOf,
  podSpecRecordOn,
  tolerationKey,
  tolerationsToAdd,
} from './spec-record.ts';
import { withoutDeniedKeys } from '../../naming/denied-metadata.ts';
import { DAEMONSET_POD_ANNOTATION } from '../../naming/annotations.ts';

/**
 * Everything the pure pod translation needs besides the pod itself. The PodPolicy fields are not
 * used here: they are the same knobs for podPolicyViolations, so one context serves both.
 */
export interface PodTranslationContext extends PodPolicy {
  vcName: string;
  hostNamespace: string;
  virtualNamespaceLabels: Record<string, string>;
  workloadServiceAccount: string;
  /** The virtual cluster's DNS IP; '' while there is none, for a pod that does not use it (usesVirtualDns). */
  dnsServiceIP: string;
  /** --pod-dns-nameserver: the cluster's nameservers, in place of dnsServiceIP, when configured. */
  clusterNameservers?: readonly string[];
  clusterDomain: string;
  virtualApiServiceIP: string;
  virtualApiServicePort: number;
  /** Service-link variables rebuilt from the virtual services of the pod's namespace. */
  serviceEnv: EnvVar[];
  /**
   * The keys of a ConfigMap or Secret of the pod's namespace, as the virtual cluster holds it now
   * (undefined: not there): what a container's envFrom gives, which a kubelet puts above the service
   * links. Unset (pure tests), envFrom gives nothing the links could clash with.
   */
  envFromKeys?: (kind: 'ConfigMap' | 'Secret', name: string) => readonly string[] | undefined;
  enforcedTolerations: Toleration[];
  /** Node labels every pod must run on (--node-selector with --enforce-node-selector); a term without a value needs the key only. */
  enforcedNodeSelector?: readonly { key: string; value?: string }[];
  /**
   * The host name each reference takes. The pod translator gives the names the pod's admission
   * judged (JudgedNames): its copy's, or for an optional reference to a missing object a name no
   * copy can have; it throws for any other, so no translated name is ever used unjudged (another
   * namespace's copy may hold it). Unset (pure tests), the translated name.
   */
  referenceHostName?: (ref: PodReference) => string;
  /**
   * The host secret and key holding the minted token of one serviceAccountToken source of a projected
   * volume; `tokenIndex` counts only the volume's token sources (0 for the first). See tokens.ts.
   */
  tokenSourceFor(volumeName: string, tokenIndex: number): { name: string; key: string };
  /**
   * Label and annotation keys a tenant may not set on its host pod, because host-side systems act on
   * them with host privileges: an exact key, or a prefix ending in `*`. See
   * DEFAULT_DENIED_POD_METADATA_KEYS.
   */
  deniedMetadataKeys: readonly string[];
  /**
   * The image of the init container that puts a pod's virtual FQDN into its /etc/hosts when the pod
   * sets spec.subdomain (DEFAULT_HOSTS_REWRITE_IMAGE unless configured). Unset, no container is added
   * and the FQDN resolves only through the virtual cluster's DNS.
   */
  hostsRewriteImage?: string;
  /** --enforce-runtime-class: the RuntimeClass every host pod runs with, the tenant's replaced. */
  enforcedRuntimeClass?: string;
  /** --translate-image: the image a host container runs for a virtual one's (see image-translation.ts). */
  imageTranslations?: ImageTranslations;
  /**
   * Keep a tenant's spec.nodeName on the host pod. Off by default: a pod created with a node name
   * never passes the host scheduler, so host taints, resource fit and scheduling policies are
   * skipped. Off, the node becomes a required node affinity instead (see requireNode).
   */
  allowNodeName?: boolean;
  /**
   * The virtual cluster's scheduler placed the pod (--virtual-scheduler), by its node selector,
   * affinities and spread: the host copy only has to run on that node (its node name, as above), so
   * they are left out, as vCluster does; counted again against the host's pods, they could keep it
   * from the node the tenant sees it bound to. The admin's enforced selector and tolerations stay.
   */
  placedByVirtualScheduler?: boolean;
  /**
   * Scheduler names a tenant pod may ask for on the host. Any other spec.schedulerName is dropped
   * (the host's default scheduler), because a host scheduler is a host component with its own
   * policies, which the tenant would otherwise pick. Default none.
   */
  allowedSchedulers?: readonly string[];
  /**
   * The host PriorityClass that stands for a virtual one (`''` for a pod naming none), or undefined
   * for none: the class's copy when priority classes are synced, the admin's for every pod with
   * --enforce-priority-class. It must never return a host class the tenant may not use (system
   * classes). Unset, every priority class name is dropped.
   */
  priorityClassNameFor?: (virtualName: string) => string | undefined;
  /**
   * The host service account a pod of this virtual service account runs as, when service accounts
   * are synced (their host copies, for host workload identity); unset, workloadServiceAccount.
   */
  hostServiceAccountFor?: (virtualName: string) => string | undefined;
}

/**
 * Pod metadata keys host-side systems act on with host privileges, denied to tenants by default:
 * each would let a tenant pod pick up a host cloud identity or host secrets.
 */
export const DEFAULT_DENIED_POD_METADATA_KEYS: readonly string[] = [
  // kube2iam / kiam: the annotation names the AWS role (and external id) the node proxy assumes.
  'iam.amazonaws.com/*',
  // EKS pod identity webhook options (token audience, expiry, containers to inject into).
  'eks.amazonaws.com/*',
  // Azure workload identity: the `use` label makes the webhook inject a token of the host service account.
  'azure.workload.identity/*',
  // AAD pod identity (deprecated but still deployed): the label binds the pod to an Azure identity.
  'aadpodidbinding',
  // GKE workload identity.
  'iam.gke.io/*',
  // Vault agent injector: logs in to the host's Vault as the pod's host service account.
  'vault.hashicorp.com/*',
  // Bank-Vaults' webhook, the same with its own keys.
  'vault.security.banzaicloud.io/*',
  // Istio's injector mounts the volumes these name (host Secrets and ConfigMaps of the host namespace)
  // into the sidecar it adds, and reads the proxy's bootstrap from a host ConfigMap named here.
  'sidecar.istio.io/userVolume*',
  'sidecar.istio.io/bootstrapOverride',
  // ... and runs the images (init: root with NET_ADMIN), templates and proxy config these name, with a
  // host-issued mesh identity; Linkerd's injector likewise.
  'sidecar.istio.io/proxyImage',
  'inject.istio.io/templates',
  'sidecar.istio.io/templates',
  'proxy.istio.io/config',
  // ... and merges these containers over the ones it injects: image, command, securityContext.
  'proxy.istio.io/overrides',
  'config.linkerd.io/*',
  'config.alpha.linkerd.io/*',
  // Dapr's injector adds a sidecar running the image named here, with environment variables and API
  // tokens read from any Secret of the pod's (host) namespace named here; Consul's and Kuma's
  // injectors give the pod the mesh service identity and upstreams named here.
  'dapr.io/*',
  'consul.hashicorp.com/*',
  'kuma.io/*',
  // Kueue admits the pod into the LocalQueue, and joins it to the pod group, named here by plain name
  // in the host namespace, which other virtual clusters' pods may share: their quota, their group.
  'kueue.x-k8s.io/*',
  // Network plugins: Multus attaches the networks named here (another namespace's too), and its
  // `default-network` replaces the pod's primary network (onto an underlay the host's network
  // policies do not cover); Calico, Cilium, Kube-OVN, Spiderpool and Antrea give the pod the
  // addresses, pools, subnets or logical switches named here.
  'k8s.v1.cni.cncf.io/*',
  'v1.multus-cni.io/*',
  'cni.projectcalico.org/*',
  'ipam.cilium.io/*',
  'ovn.kubernetes.io/*',
  'ipam.spidernet.io/*',
  'ipam.antrea.io/*',
  // The OpenTelemetry operator injects the Instrumentation (`namespace/name`: any namespace's, with
  // its exporter endpoints and credentials) or the collector sidecar (a host-namespace collector,
  // another tenant's copy among them) named here; Datadog's admission controller injects libraries
  // and mounts of its agent's socket, and its node agent runs the checks these configure from the
  // node's network.
  'instrumentation.opentelemetry.io/*',
  'sidecar.opentelemetry.io/*',
  'admission.datadoghq.com/*',
  'ad.datadoghq.com/*',
];

/**
 * The /etc/hosts rewrite image: vCluster's repository and tag (sync.toHost.pods.rewriteHosts.initContainer),
 * from the node's default registry. vCluster's chart pulls it from mirror.gcr.io; a default changed
 * here would patch the init container of every running pod at the upgrade and miss existing
 * --translate-image rules for `library/alpine`, so it stays (the chart value sets any other).
 */
export const DEFAULT_HOSTS_REWRITE_IMAGE = 'library/alpine:3.20';
/** vCluster's names for the init container and volume that rewrite /etc/hosts, and its markers. */
const HOSTS_REWRITE_NAME = 'vcluster-rewrite-hosts';
const HOSTS_REWRITTEN_ANNOTATION = 'vcluster.loft.sh/hosts-rewritten';
/** A tenant sets this on a virtual pod to keep its subdomain pod free of the rewrite container, as in vCluster. */
export const DISABLE_SUBDOMAIN_REWRITE_ANNOTATION = 'vcluster.loft.sh/disable-subdomain-rewrite';

/** Waiting reasons of a container on its way to start: no trouble. */
const STARTING_REASONS = new Set(['PodInitializing', 'ContainerCreating']);

/**
 * Why the hosts-rewrite init container the syncer adds to the host pod cannot start there (its image
 * cannot be pulled, it keeps failing), or undefined. The tenant's status leaves that container out (the
 * virtual pod does not declare it), so the pod would read PodInitializing with no word of why.
 */
export function hostsRewriteTrouble(
  host: Pod,
  virtual: Pod,
): { reason: string; message: string } | undefined {
  if (virtual.spec?.initContainers?.some((c) => c.name === HOSTS_REWRITE_NAME)) return undefined;
  const waiting = host.status?.initContainerStatuses?.find((s) => s.name === HOSTS_REWRITE_NAME)?.state
    ?.waiting;
  if (!waiting?.reason || STARTING_REASONS.has(waiting.reason)) return undefined;
  return { reason: waiting.reason, message: waiting.message ?? '' };
}

type Containerish = Container | EphemeralContainer;

const DOWNWARD_FIELD_ANNOTATIONS: Record<string, string> = {
  'metadata.name': POD_NAME_ANNOTATION,
  'metadata.namespace': POD_NAMESPACE_ANNOTATION,
  'metadata.uid': POD_UID_ANNOTATION,
  'spec.serviceAccountName': POD_SERVICE_ACCOUNT_ANNOTATION,
  'metadata.labels': POD_LABELS_ANNOTATION,
  'metadata.annotations': POD_ANNOTATIONS_ANNOTATION,
};

const allContainers = (spec: PodSpec): Containerish[] => [
  ...(spec.initContainers ?? []),
  ...(spec.containers ?? []),
  ...(spec.ephemeralContainers ?? []),
];
const specOf = (pod: KubeObject): PodSpec | undefined => pod.spec as PodSpec | undefined;

/** Names of the virtual ConfigMaps a pod uses (volumes, projected sources, env, envFrom). */
export function referencedConfigMaps(pod: KubeObject): string[] {
  return referencedNames(specOf(pod), 'ConfigMap');
}

/**
 * Names of the virtual Secrets a pod uses: volumes, projected sources, the credential secrets of
 * azureFile, CSI, flex and in-tree network volumes, env and envFrom of every container, image pull
 * secrets.
 */
export function referencedSecrets(pod: KubeObject): string[] {
  return referencedNames(specOf(pod), 'Secret');
}

/** Names of the virtual PersistentVolumeClaims a pod mounts, or clones a generic ephemeral volume from. */
export function referencedPVCs(pod: KubeObject): string[] {
  return referencedNames(specOf(pod), 'PersistentVolumeClaim');
}

/**
 * The largest rendering of the virtual pod's annotations kept on its host pod. The API server allows
 * 256 KiB of annotations in all, and the host pod also carries the tenant's annotations themselves
 * (about as large): a larger rendering is left out, and the pod's downward-API file stays empty.
 */
const MAX_ANNOTATIONS_RECORD_BYTES = 100 * 1024;

/** The annotation holding the virtual pod's annotations for the downward API, when the pod reads them whole. */
function annotationsRecord(virtual: Pod): Record<string, string> {
  if (!readsWholeMap(virtual.spec, 'metadata.annotations')) return {};
  const text = downwardMapText(virtual.metadata?.annotations ?? {});
  return Buffer.byteLength(text) <= MAX_ANNOTATIONS_RECORD_BYTES
    ? { [POD_ANNOTATIONS_ANNOTATION]: text }
    : {};
}

/**
 * The host pod for a virtual pod. Every object it names is renamed to its host copy, it runs as the
 * workload service account with no host token, its projected service-account tokens come from
 * secrets the syncer fills with tokens of the *virtual* API server, DNS and the kubernetes service
 * point at the virtual cluster, selectors are scoped to this virtual cluster and namespace, and
 * tenant metadata host systems would act on (deniedMetadataKeys) is left out. Host scheduling knobs
 * stay with the host unless the context allows them: a node name becomes a node affinity the host
 * scheduler checks, other schedulers and priority classes are dropped. What cannot be translated
 * safely (host signers, inline CSI drivers) is refused beforehand: see podPolicyViolations.
 */
export function translatePodToHost(virtual: Pod, ctx: PodTranslationContext): Pod {
  const meta = virtual.metadata ?? {};
  const ns = meta.namespace ?? '';
  const name = meta.name ?? '';
  const rename = (n: string) => hostName(n, ns, ctx.vcName);
  const spec = cloneJson(withClaimsMadeForPod(virtual).spec ?? { containers: [] });
  dropUnreviewedPodSpecFields(spec);
  // The kubelet names the container after the pod, but the host pod's name is another: the hostname
  // keeps the virtual one. It must be one DNS label: at most 63 characters, dots made dashes (as
  // vCluster does, so `my.app` is `my-app`), no dash at the end.
  spec.hostname ??= name.slice(0, 63).replaceAll('.', '-').replace(/-+$/, '');
  const fqdn = virtualFqdn(virtual, spec, ctx);
  const virtualLabels = meta.labels ?? {};
  // Only the tenant's keys are filtered: the syncer's own keys below are added afterwards.
  const tenantLabels = withoutDeniedKeys(virtualLabels, ctx.deniedMetadataKeys);
  const tenantAnnotations = withoutSyncerAnnotations(
    withoutDeniedKeys(meta.annotations ?? {}, ctx.deniedMetadataKeys),
  );
  const managed = withManagedRecord({
    labels: {
      ...hostLabels(tenantLabels, { vcName: ctx.vcName, virtualNamespace: ns }),
      ...namespaceLabelsForPod(ctx.virtualNamespaceLabels, ctx.vcName),
    },
    annotations: {
      // The host's cluster autoscaler reads these; a tenant's own value wins, as for any pod author.
      ...autoscalerAnnotations(meta),
      ...tenantAnnotations,
      ...ownerAnnotations(meta),
      ...objectAnnotations({
        name,
        namespace: ns,
        uid: meta.uid ?? '',
        kind: '/v1, Kind=Pod',
        hostName: rename(name),
        hostNamespace: ctx.hostNamespace,
      }),
      [POD_NAME_ANNOTATION]: name,
      [POD_NAMESPACE_ANNOTATION]: ns,
      [POD_UID_ANNOTATION]: meta.uid ?? '',
      [POD_SERVICE_ACCOUNT_ANNOTATION]: spec.serviceAccountName ?? 'default',
      // The downward API shows the virtual pod's labels, denied ones included: this is only text.
      [POD_LABELS_ANNOTATION]: downwardMapText(virtualLabels),
      ...annotationsRecord(virtual),
      // What a later in-place resize is measured against (resize.ts).
      [CONTAINER_RESOURCES_ANNOTATION]: resourceRecordOf(virtual),
      // What a later change of images or scheduling gates is measured against (spec-record.ts).
      [POD_SPEC_RECORD_ANNOTATION]: podSpecRecordOf(virtual, ctx.imageTranslations),
      // The --pod-dns-nameserver nameservers it is made with (a later change replaces the pod).
      ...(ctx.clusterNameservers && usesVirtualDns(virtual.spec)
        ? { [CLUSTER_NAMESERVERS_ANNOTATION]: JSON.stringify(ctx.clusterNameservers) }
        : {}),
      ...(fqdn ? { [HOSTS_REWRITTEN_ANNOTATION]: 'true' } : {}),
    },
  });
  const host: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: rename(name), namespace: ctx.hostNamespace, ...managed },
    spec,
  };

  // Every object the pod names is a virtual object: point each at its host copy. This runs before
  // tokens become secret sources below, which already carry host names.
  forEachPodReference(spec, (ref) =>
    ref.rename(ctx.referenceHostName ? ctx.referenceHostName(ref) : rename(ref.name)),
  );
  // A template is never named on the host (the host would make a claim the tenant never sees): the
  // pod waits for the claim the virtual cluster makes from it before it is made. Were one still
  // unmade here, its entry names a claim no copy can be, so the host pod waits too.
  if (spec.resourceClaims)
    spec.resourceClaims = spec.resourceClaims.map((entry) =>
      entry.resourceClaimTemplateName
        ? {
            name: entry.name,
            resourceClaimName: absentReferenceName(podReferrer(virtual), {
              kind: 'ResourceClaimTemplate',
              name: entry.resourceClaimTemplateName,
            }),
          }
        : entry,
    );

  // Identity: a host account with no token of its own; tokens come from the virtual cluster.
  spec.serviceAccountName =
    ctx.hostServiceAccountFor?.(virtual.spec?.serviceAccountName || 'default') ?? ctx.workloadServiceAccount;
  delete spec.serviceAccount;
  spec.automountServiceAccountToken = false;
  spec.volumes = (spec.volumes ?? []).map((v) => translateVolume(v, ctx));

  // DNS: what a kubelet makes of the pod's policy, with the virtual cluster's DNS service and the
  // virtual namespace's search path as the cluster's (see usesVirtualDns for who gets them).
  if (usesVirtualDns(spec)) {
    spec.dnsConfig = clusterDnsConfig(
      ctx.clusterNameservers ?? [ctx.dnsServiceIP],
      ns,
      ctx.clusterDomain,
      spec.dnsConfig,
    );
    spec.dnsPolicy = 'None';
  }
  // spec.subdomain names a Service of the pod's namespace, and the kubelet builds the pod's FQDN from
  // the namespace the pod runs in: on the host that is `<hostname>.<subdomain>.<host ns>.svc...`, a
  // name of the host namespace that would point at a host Service of that name. So, as vCluster
  // does, the host pod gets no subdomain. The virtual FQDN still resolves for other pods through the
  // virtual cluster's DNS (from the virtual headless Service's endpoints). For the pod itself, which
  // a kubelet serves from /etc/hosts before any DNS record exists, see addFqdnToEtcHosts.
  delete spec.subdomain;

  // The kubernetes service of the virtual cluster, by env and by name.
  const apiEnv = kubernetesServiceEnv(ctx.virtualApiServiceIP, ctx.virtualApiServicePort);
  const serviceEnv = virtual.spec?.enableServiceLinks === false ? [] : ctx.serviceEnv;
  spec.enableServiceLinks = false;
  // In `default` the kubernetes Service's links are among the namespace's too: each variable once.
  const apiNames = new Set(apiEnv.map((e) => e.name));
  const injected = [...apiEnv, ...serviceEnv.filter((e) => !apiNames.has(e.name))];
  // envFrom as the tenant wrote it (the host spec's names are its copies').
  const virtualContainers = new Map(
    allContainers(virtual.spec ?? { containers: [] }).map((c) => [c.name, c]),
  );
  for (const c of allContainers(spec)) {
    const fromSources = envFromNames(virtualContainers.get(c.name)?.envFrom, ctx.envFromKeys);
    translateContainer(c, injected, ctx.vcName, fromSources);
    if (c.image && ctx.imageTranslations) c.image = translateImage(c.image, ctx.imageTranslations);
  }
  // The full name first, as a lookup through the search path would answer (and as vCluster writes it).
  const aliasNames = [
    `kubernetes.default.svc.${ctx.clusterDomain}`,
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
  ];
  // One entry for the address: the tenant's own names for it (an alias of its API server) join ours.
  const tenantsForApi = (spec.hostAliases ?? [])
    .filter((a) => a.ip === ctx.virtualApiServiceIP)
    .flatMap((a) => a.hostnames ?? [])
    .filter((name) => !aliasNames.includes(name));
  spec.hostAliases = [
    ...(spec.hostAliases ?? []).filter((a) => a.ip !== ctx.virtualApiServiceIP),
    { ip: ctx.virtualApiServiceIP, hostnames: [...aliasNames, ...new Set(tenantsForApi)] },
  ];
  // After the containers are translated: the rewrite container needs none of their environment.
  // Its image is mapped as the tenant's are (--translate-image): a host pulling through a mirror only.
  if (fqdn && ctx.hostsRewriteImage) {
    const image = ctx.imageTranslations
      ? translateImage(ctx.hostsRewriteImage, ctx.imageTranslations)
      : ctx.hostsRewriteImage;
    addFqdnToEtcHosts(spec, spec.hostname, fqdn, image);
  }

  if (ctx.placedByVirtualScheduler && spec.nodeName) {
    delete spec.nodeSelector;
    delete spec.affinity;
    delete spec.topologySpreadConstraints;
  }
  // Scheduling: selectors scoped to this tenant; tolerations plus the enforced ones.
  const where = { vcName: ctx.vcName, virtualNamespace: ns };
  if (spec.affinity) {
    const { podAffinity, podAntiAffinity } = spec.affinity;
    // Anti-affinity of a union is the anti-affinity of each part, and preferred terms add up per
    // matching pod, so these split exactly (see translateAffinityTerm).
    for (const [group, requiredUnion] of [
      [podAffinity, 'narrow'],
      [podAntiAffinity, 'split'],
    ] as const) {
      if (!group) continue;
      group.requiredDuringSchedulingIgnoredDuringExecution =
        group.requiredDuringSchedulingIgnoredDuringExecution?.flatMap((t) =>
          translateAffinityTerm(t, where, requiredUnion),
        );
      group.preferredDuringSchedulingIgnoredDuringExecution =
        group.preferredDuringSchedulingIgnoredDuringExecution?.flatMap((w) =>
          translateAffinityTerm(w.podAffinityTerm, where, 'split').map((podAffinityTerm) => ({
            ...w,
            podAffinityTerm,
          })),
        );
    }
  }
  spec.topologySpreadConstraints = spec.topologySpreadConstraints?.map((c) => {
    // No selector counts no pods; scoping it would make it count every pod of the namespace.
    const out = c.labelSelector
      ? { ...c, labelSelector: translateLabelSelector(c.labelSelector, where) }
      : { ...c };
    setLabelKeys(out, 'matchLabelKeys', hostLabelKeys(c.matchLabelKeys, c.labelSelector, ctx.vcName));
    return out;
  });
  spec.tolerations = mergeTolerations(spec.tolerations ?? [], ctx.enforcedTolerations);
  // The host admin's node selector wins over the tenant's own value for the same label.
  for (const { key, value } of ctx.enforcedNodeSelector ?? []) {
    if (value !== undefined) spec.nodeSelector = { ...spec.nodeSelector, [key]: value };
    else andIntoRequiredNodeTerms(spec, { matchExpressions: [{ key, operator: 'Exists' }] });
  }
  if (spec.nodeName && !ctx.allowNodeName) {
    requireNode(spec, spec.nodeName);
    delete spec.nodeName;
  }
  if (spec.schedulerName && !(ctx.allowedSchedulers ?? []).includes(spec.schedulerName))
    delete spec.schedulerName;
  // A priority class is a host-cluster object: without a synced copy the name is dropped rather than
  // letting a tenant pick host priorities. Priority and preemption policy always go: the host's
  // admission sets both from the class (or the host default) and refuses a pod whose values differ.
  // An admin's enforced class (see PodHostIdentity) stands for every pod's, named or not.
  const priorityClass = ctx.priorityClassNameFor?.(spec.priorityClassName ?? '');
  if (priorityClass) spec.priorityClassName = priorityClass;
  else delete spec.priorityClassName;
  delete spec.priority;
  // The admin's runtime class replaces the tenant's. The host's RuntimeClass admission then sets the
  // overhead (and refuses a pod whose overhead differs), as for the priority above.
  if (ctx.enforcedRuntimeClass) {
    spec.runtimeClassName = ctx.enforcedRuntimeClass;
    delete spec.overhead;
  }
  delete spec.preemptionPolicy;
  return host;
}

type OwnerReference = { apiVersion?: string; kind?: string; controller?: boolean };
const ownersOf = (meta: Pod['metadata']): OwnerReference[] =>
  Array.isArray(meta?.ownerReferences) ? (meta.ownerReferences as OwnerReference[]) : [];

/**
 * What the host's cluster autoscaler needs to know about a pod, as vCluster tells it: a pod with a
 * controller is safe to evict (its controller makes another), a bare pod is not; a DaemonSet's pod
 * says so.
 */
function autoscalerAnnotations(meta: Pod['metadata']): Record<string, string> {
  const controller = ownersOf(meta).find((o) => o?.controller === true);
  return {
    [SAFE_TO_EVICT_ANNOTATION]: String(controller !== undefined),
    ...(controller?.kind === 'DaemonSet' ? { [DAEMONSET_POD_ANNOTATION]: 'true' } : {}),
  };
}

/** The virtual pod's owners, for host tools that group pods by workload (vCluster's annotations). */
function ownerAnnotations(meta: Pod['metadata']): Record<string, string> {
  const owners = ownersOf(meta);
  if (!owners.length) return {};
  const set = owners.find((o) => o?.apiVersion === 'apps/v1' && OWNER_SET_KINDS.has(o.kind ?? ''));
  return {
    [OWNER_REFERENCES_ANNOTATION]: JSON.stringify(owners),
    ...(set ? { [OWNER_SET_KIND_ANNOTATION]: set.kind! } : {}),
  };
}

const SAFE_TO_EVICT_ANNOTATION = 'cluster-autoscaler.kubernetes.io/safe-to-evict';
const OWNER_SET_KINDS = new Set(['DaemonSet', 'ReplicaSet', 'StatefulSet']);

/** metadata.name as a node selector field, the way the DaemonSet controller pins a pod to its node. */
const NODE_NAME_FIELD = 'metadata.name';

/**
 * Makes the host scheduler place the pod on `node` instead of binding it there directly: a
 * `metadata.name In [node]` field requirement is ANDed into every required node selector term, or
 * is the only term. The pod then lands on that node, or stays Pending when the node's taints,
 * resources or the pod's other rules do not allow it: host policy applies as to any other pod. A
 * term with no requirements matches no node and stays so: adding one would make it match.
 */
function requireNode(spec: PodSpec, node: string): void {
  andIntoRequiredNodeTerms(spec, { matchFields: [{ key: NODE_NAME_FIELD, operator: 'In', values: [node] }] });
}

type NodeRequirement = { key: string; operator: string; values?: string[] };

/**
 * ANDs requirements into every required node selector term of the pod, or makes them its only term.
 * A term with no requirements matches no node and stays so: adding one would make it match.
 */
function andIntoRequiredNodeTerms(
  spec: PodSpec,
  add: { matchFields?: NodeRequirement[]; matchExpressions?: NodeRequirement[] },
): void {
  const affinity = (spec.affinity ??= {});
  const nodeAffinity = (affinity.nodeAffinity ??= {});
  const terms = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const extend = <T>(list: T[] | undefined, more: T[] | undefined) =>
    more?.length ? [...(list ?? []), ...more] : list;
  nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = {
    nodeSelectorTerms: terms.length
      ? terms.map((t) =>
          t.matchExpressions?.length || t.matchFields?.length
            ? {
                ...t,
                ...(add.matchFields ? { matchFields: extend(t.matchFields, add.matchFields) } : {}),
                ...(add.matchExpressions
                  ? { matchExpressions: extend(t.matchExpressions, add.matchExpressions) }
                  : {}),
              }
            : t,
        )
      : [{ ...add }],
  };
}

/**
 * matchLabelKeys / mismatchLabelKeys of a term or spread constraint as the host must read them. A
 * virtual API server of Kubernetes ≥1.34 has already merged each listed key the pod carries into
 * the label selector (`key In [value]`, resp. `NotIn`), which is translated like every selector; a
 * host API server refuses the key in both places, and would merge it a second time. So a key the
 * virtual selector already requires is dropped. A key it does not (an older virtual API server, or a
 * label the pod lacks) stays, translated like the pod's labels, so the host looks up the same label.
 */
function hostLabelKeys(
  keys: string[] | undefined,
  virtualSelector: LabelSelector | undefined,
  vcName: string,
): string[] | undefined {
  if (!keys) return undefined;
  const required = new Set([
    ...Object.keys(virtualSelector?.matchLabels ?? {}),
    ...(virtualSelector?.matchExpressions ?? []).map((e) => e.key),
  ]);
  const out = keys.filter((k) => !required.has(k)).map((k) => hostLabelKey(k, vcName));
  return out.length ? out : undefined;
}

/** Sets or, when there are none, removes a label-key list, so the host object has no empty list. */
function setLabelKeys<F extends 'matchLabelKeys' | 'mismatchLabelKeys'>(
  target: { [K in F]?: string[] },
  field: F,
  keys: string[] | undefined,
): void {
  if (keys) target[field] = keys;
  else delete target[field];
}

/** Most nameservers a pod's resolv.conf may have (the API server refuses more). */
export const MAX_NAMESERVERS = 3;
/** The API server's limits on a pod's search list: entries, and characters joined by spaces. */
const MAX_SEARCHES = 32;
const MAX_SEARCH_CHARS = 2048;

/** The leading searches that fit the API server's limits (the kubelet drops the rest the same way). */
function withinSearchLimits(searches: string[]): string[] {
  const out: string[] = [];
  let chars = -1;
  for (const search of searches) {
    if (out.length === MAX_SEARCHES || chars + 1 + search.length > MAX_SEARCH_CHARS) break;
    out.push(search);
    chars += 1 + search.length;
  }
  return out;
}

/** A cluster-DNS pod's nameservers: the cluster's, then its own, without repeats, at most three. */
export function podNameservers(cluster: readonly string[], own: PodDnsConfig | undefined): string[] {
  return [...new Set([...cluster, ...(own?.nameservers ?? [])])].slice(0, MAX_NAMESERVERS);
}

/**
 * A cluster-DNS pod's resolver settings, as the kubelet merges them: the cluster's nameserver and
 * searches first, then the pod's own `dnsConfig` ones (without repeats, at most three nameservers);
 * `ndots:5`, unless the pod sets its own value of an option.
 */
function clusterDnsConfig(
  cluster: readonly string[],
  namespace: string,
  domain: string,
  own: PodDnsConfig | undefined,
): PodDnsConfig {
  const options = new Map<string, string | undefined>([['ndots', '5']]);
  for (const option of own?.options ?? []) if (option.name) options.set(option.name, option.value);
  return {
    nameservers: podNameservers(cluster, own),
    searches: withinSearchLimits([
      ...new Set([`${namespace}.svc.${domain}`, `svc.${domain}`, domain, ...(own?.searches ?? [])]),
    ]),
    options: [...options].map(([name, value]) => (value === undefined ? { name } : { name, value })),
  };
}

function kubernetesServiceEnv(ip: string, port: number): EnvVar[] {
  const url = `tcp://${hostPort(ip, port)}`;
  return [
    { name: 'KUBERNETES_SERVICE_HOST', value: ip },
    { name: 'KUBERNETES_SERVICE_PORT', value: String(port) },
    { name: 'KUBERNETES_SERVICE_PORT_HTTPS', value: String(port) },
    { name: 'KUBERNETES_PORT', value: url },
    { name: `KUBERNETES_PORT_${port}_TCP`, value: url },
    { name: `KUBERNETES_PORT_${port}_TCP_PROTO`, value: 'tcp' },
    { name: `KUBERNETES_PORT_${port}_TCP_PORT`, value: String(port) },
    { name: `KUBERNETES_PORT_${port}_TCP_ADDR`, value: ip },
  ];
}

/**
 * What is left of a volume once its references are renamed: tokens and downward API. (Generic
 * ephemeral volumes are references to their claims by now: see ephemeral-claims.ts.)
 */
function translateVolume(volume: Volume, ctx: PodTranslationContext): Volume {
  const v = volume;
  // An image volume is pulled as a container's image is: through the same mirror (--translate-image).
  if (v.image?.reference && ctx.imageTranslations)
    v.image.reference = translateImage(v.image.reference, ctx.imageTranslations);
  if (v.downwardAPI?.items)
    for (const item of v.downwardAPI.items) rewriteFieldRef(item.fieldRef, ctx.vcName);
  if (v.projected?.sources) {
    let tokenIndex = 0;
    v.projected.sources = v.projected.sources.map((source) => {
      if (source.serviceAccountToken) {
        // The host kubelet would mint a host token here; mount the virtual token instead, one key
        // per token source (each keeps its own audience and lifetime), and only that key.
        const { name, key } = ctx.tokenSourceFor(v.name, tokenIndex++);
        return { secret: { name, items: [{ key, path: source.serviceAccountToken.path }] } };
      }
      for (const item of source.downwardAPI?.items ?? []) rewriteFieldRef(item.fieldRef, ctx.vcName);
      return source;
    });
  }
  return v;
}

/**
 * Downward-API references to the pod's own identity now read the annotations that hold the virtual
 * values; one label now reads the key the host pod keeps it under (reserved keys are hashed).
 */
function rewriteFieldRef(ref: { fieldPath: string } | undefined, vcName: string): void {
  if (!ref) return;
  const annotation = DOWNWARD_FIELD_ANNOTATIONS[ref.fieldPath];
  if (annotation) {
    ref.fieldPath = `metadata.annotations['${annotation}']`;
    return;
  }
  const label = /^metadata\.labels\['(.+)'\]$/.exec(ref.fieldPath)?.[1];
  if (label !== undefined) ref.fieldPath = `metadata.labels['${hostLabelKey(label, vcName)}']`;
  // The syncer's own keys on the host pod (its host name and namespace among them) never reach the
  // virtual pod: read one, it reads as a key the pod does not have, empty.
  const key = /^metadata\.annotations\['(.+)'\]$/.exec(ref.fieldPath)?.[1];
  if (key !== undefined && SYNCER_ANNOTATION_PREFIXES.some((p) => key.startsWith(p)))
    ref.fieldPath = `metadata.annotations['${UNSET_ANNOTATION}']`;
}

/** Prefixes of the annotations the syncer keeps on host pods for itself. */
const SYNCER_ANNOTATION_PREFIXES = ['vcluster.loft.sh/', 'vsyncer.dev/'];
/** An annotation no host pod has: a downward reference to it reads as empty. */
const UNSET_ANNOTATION = 'vsyncer.dev/unset';

/**
 * The service-link and `KUBERNETES_*` variables go into a host container's env, where they would rank
 * above its envFrom: a kubelet ranks them below both (env, then envFrom, then the links). So a name the
 * container sets either way is not injected: its own value stands, as on any cluster (a ConfigMap's
 * `REDIS_PORT=6379` beside a Service `redis`). Ours first, so that the container's own env (later in
 * the list) also wins where a later change of its sources adds a name.
 */
function translateContainer(
  c: Containerish,
  injectedEnv: EnvVar[],
  vcName: string,
  envFromNames: ReadonlySet<string>,
): void {
  for (const e of c.env ?? []) rewriteFieldRef(e.valueFrom?.fieldRef, vcName);
  const userNames = new Set((c.env ?? []).map((e) => e.name));
  c.env = [
    ...injectedEnv.filter((e) => !userNames.has(e.name) && !envFromNames.has(e.name)),
    ...(c.env ?? []),
  ];
}

/** The variable names a container's envFrom gives: each key of each source, after its prefix. */
function envFromNames(
  sources: readonly EnvFromSource[] | undefined,
  keysOf: PodTranslationContext['envFromKeys'],
): ReadonlySet<string> {
  const names = new Set<string>();
  if (!keysOf) return names;
  for (const source of sources ?? []) {
    const keys = source.configMapRef?.name
      ? keysOf('ConfigMap', source.configMapRef.name)
      : source.secretRef?.name
        ? keysOf('Secret', source.secretRef.name)
        : undefined;
    for (const key of keys ?? []) names.add(`${source.prefix ?? ''}${key}`);
  }
  return names;
}

/**
 * The virtual FQDN to put into the host pod's /etc/hosts, when the pod has a subdomain and the
 * rewrite can be done: not for host-network or Windows pods (the kubelet writes no pod line in their
 * hosts file), not when the tenant opted out, not when the tenant already uses the container or
 * volume name (two of either would make the pod invalid).
 */
function virtualFqdn(virtual: Pod, spec: PodSpec, ctx: PodTranslationContext): string | undefined {
  const subdomain = virtual.spec?.subdomain;
  if (!subdomain || !ctx.hostsRewriteImage || spec.hostNetwork || spec.os?.name === 'windows')
    return undefined;
  if (virtual.metadata?.annotations?.[DISABLE_SUBDOMAIN_REWRITE_ANNOTATION] === 'true') return undefined;
  const taken =
    (spec.volumes ?? []).some((v) => v.name === HOSTS_REWRITE_NAME) ||
    allContainers(spec).some((c) => c.name === HOSTS_REWRITE_NAME);
  if (taken) return undefined;
  return `${spec.hostname}.${subdomain}.${virtual.metadata?.namespace ?? ''}.svc.${ctx.clusterDomain}`;
}

/**
 * Makes the pod's virtual FQDN resolve inside the pod, as vCluster's hosts rewrite does. A kubelet
 * writes `<pod IP> <fqdn> <hostname>` into /etc/hosts for a pod with a subdomain; without one (see
 * above) it writes `<pod IP> <hostname>`. A hostAlias cannot add the FQDN: it needs the pod IP, which
 * is unknown until the pod runs, and host aliases cannot change afterwards. So a first init container
 * copies the kubelet's hosts file into an emptyDir with the FQDN added to the pod's own line(s), and
 * every container mounts that copy over /etc/hosts (the kubelet then skips its own mount there).
 * The hostname stays the short one, and `hostname -f` gives the FQDN, as on a real cluster.
 *
 * Ephemeral containers keep the kubelet's file: they may not use subPath mounts. A container that
 * mounts something at /etc/hosts itself keeps it.
 */
function addFqdnToEtcHosts(spec: PodSpec, hostname: string, fqdn: string, image: string): void {
  const mount = { name: HOSTS_REWRITE_NAME, mountPath: '/etc/hosts', subPath: 'hosts' };
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    if ((c.volumeMounts ?? []).some((m) => m.mountPath.replace(/\/+$/, '') === '/etc/hosts')) continue;
    c.volumeMounts = [...(c.volumeMounts ?? []), mount];
  }
  spec.volumes = [...(spec.volumes ?? []), { name: HOSTS_REWRITE_NAME, emptyDir: {} }];
  spec.initContainers = [
    {
      name: HOSTS_REWRITE_NAME,
      image,
      imagePullPolicy: 'IfNotPresent',
      // The names travel in the environment, not in the script: nothing of the tenant's is parsed
      // as shell or awk. Each kubelet line `<ip> <hostname>` (one per pod IP) gains the FQDN.
      command: [
        'sh',
        '-c',
        'awk -v h="$POD_HOSTNAME" -v f="$POD_FQDN" \'NF == 2 && $2 == h { print $1 "\\t" f "\\t" h; next } { print }\' /etc/hosts > /hosts/hosts',
      ],
      env: [
        { name: 'POD_HOSTNAME', value: hostname },
        { name: 'POD_FQDN', value: fqdn },
      ],
      // Passes the restricted Pod Security level, and fits a namespace that requires limits.
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65534,
        runAsGroup: 65534,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      },
      resources: rewriteHostsResources(spec.resources),
      volumeMounts: [{ name: HOSTS_REWRITE_NAME, mountPath: '/hosts' }],
    },
    ...(spec.initContainers ?? []),
  ];
}

/** What the hosts rewrite asks for of each resource (its requests and limits alike). */
const REWRITE_HOSTS_RESOURCES: Readonly<Record<string, string>> = { cpu: '30m', memory: '64Mi' };

/**
 * The hosts rewrite's requests and limits: REWRITE_HOSTS_RESOURCES, each cut down to the pod's own
 * request or limit of it where that is less (pod-level resources): the API server refuses a pod
 * whose init container asks for more than the pod as a whole.
 */
function rewriteHostsResources(pod: PodSpec['resources']): {
  requests: Record<string, string>;
  limits: Record<string, string>;
} {
  const amounts: Record<string, string> = {};
  for (const [resource, own] of Object.entries(REWRITE_HOSTS_RESOURCES)) {
    const bounds = [pod?.requests?.[resource], pod?.limits?.[resource]].filter(
      (q): q is string => typeof q === 'string' && parseQuantity(q) !== undefined,
    );
    amounts[resource] = bounds.reduce(
      (least, bound) => (parseQuantity(bound)! < parseQuantity(least)! ? bound : least),
      own,
    );
  }
  return { requests: { ...amounts }, limits: { ...amounts } };
}

/** A label selector that requires everything each part requires. */
function allOf(...parts: LabelSelector[]): LabelSelector {
  const matchLabels = Object.assign({}, ...parts.map((p) => p.matchLabels ?? {})) as Record<string, string>;
  const matchExpressions = parts.flatMap((p) => p.matchExpressions ?? []);
  return matchExpressions.length ? { matchLabels, matchExpressions } : { matchLabels };
}

/**
 * The host terms for one virtual affinity term. All tenants share one host namespace, so the term's
 * namespaces become requirements on the pod labels the syncer sets: `namespaces` on the namespace
 * label, a namespaceSelector on the ns-label copies of the namespace's labels (an empty selector:
 * every namespace of this virtual cluster).
 *
 * Kubernetes matches pods in the union of `namespaces` and the namespaces a namespaceSelector
 * selects, and one label selector cannot say "or". With `union: 'split'` the term becomes two terms,
 * one per namespace source, the second excluding the listed namespaces so no pod matches both: for
 * anti-affinity a pod may not be near any pod of the union iff it is near none of either part, and
 * preferred terms add their weight per matching pod, so both are exact.
 *
 * Required pod affinity (`union: 'narrow'`) cannot be split: two required terms must both be met,
 * which asks for a pod of each part. Widening to every namespace of the virtual cluster would break
 * the rule the tenant asked for. So the host term keeps one part: a hard rule is never violated,
 * at worst the pod waits in Pending where the union would have found a place (visible in its
 * events). The part kept is the one holding the pod's own namespace, when the list names it, else
 * the selector's: the scheduler lets the first pod of a group that is affine to itself start when
 * no pod matches yet, and that only works if the pod matches its own term.
 */
function translateAffinityTerm(
  term: PodAffinityTerm,
  where: { vcName: string; virtualNamespace: string },
  union: 'split' | 'narrow',
): PodAffinityTerm[] {
  const base: PodAffinityTerm = { ...term };
  delete base.namespaceSelector;
  delete base.namespaces;
  setLabelKeys(base, 'matchLabelKeys', hostLabelKeys(term.matchLabelKeys, term.labelSelector, where.vcName));
  setLabelKeys(
    base,
    'mismatchLabelKeys',
    hostLabelKeys(term.mismatchLabelKeys, term.labelSelector, where.vcName),
  );
  // A term without a label selector matches no pod; scoped, it would match the whole namespace.
  if (!term.labelSelector) return [base];
  const pods = translateLabelSelector(term.labelSelector, where);
  const listed = term.namespaces ?? [];
  const selector = term.namespaceSelector;
  // Neither source: the pod's own namespace, which translateLabelSelector already requires.
  if (!selector && !listed.length) return [{ ...base, labelSelector: pods }];
  delete pods.matchLabels?.[NAMESPACE_LABEL];
  const scoped = (...namespaces: LabelSelector[]) => ({ ...base, labelSelector: allOf(pods, ...namespaces) });
  const inListed = { matchExpressions: [{ key: NAMESPACE_LABEL, operator: 'In', values: listed }] };
  if (!selector) return [scoped(inListed)];
  const selected = namespaceSelectorAsPodSelector(selector, where.vcName);
  const selectsAll = !Object.keys(selector.matchLabels ?? {}).length && !selector.matchExpressions?.length;
  // An empty selector already covers every listed namespace.
  if (!listed.length || selectsAll) return [scoped(selected)];
  if (union === 'narrow')
    return [listed.includes(where.virtualNamespace) ? scoped(inListed) : scoped(selected)];
  const notListed = { matchExpressions: [{ key: NAMESPACE_LABEL, operator: 'NotIn', values: listed }] };
  return [scoped(inListed), scoped(selected, notListed)];
}

function mergeTolerations(own: Toleration[], enforced: Toleration[]): Toleration[] {
  const seen = new Set(own.map(tolerationKey));
  return [...own, ...enforced.filter((t) => !seen.has(tolerationKey(t)))];
}

export interface HostPodUpdate {
  /** True when `pod` differs from the current host pod and must be written. */
  changed: boolean;
  /** True when that write changes the spec (not only labels or annotations). */
  specChanged: boolean;
  pod: Pod;
  /** Ephemeral containers to write through their subresource, when the virtual pod has new ones. */
  ephemeralContainers?: EphemeralContainer[];
  /**
   * The tenant's debug containers whose name a host debug container that is not the tenant's holds
   * (see debug-containers.ts): never added, nor served, nor shown.
   */
  debugNamesTaken?: string[];
}

/**
 * What may change on a running host pod, as Kubernetes allows: container images,
 * activeDeadlineSeconds, added tolerations, removed scheduling gates, labels and annotations, and
 * (through their own subresource) new ephemeral containers. Container resources go through the
 * resize subresource (resize.ts). Nothing else of the spec is compared,
 * so the node affinity that stands for a tenant's node name, and the node name the host scheduler
 * then sets, are never written (both are immutable once the pod exists).
 */
export function podUpdatesForHost(
  virtual: Pod,
  current: Pod,
  ctx: PodTranslationContext,
  metadataFor: (desired: Pod) => LabelsAndAnnotations = (desired) =>
    mergeManagedMetadata(desired.metadata ?? {}, current.metadata ?? {}),
): HostPodUpdate {
  const desired = translatePodToHost(virtual, ctx);
  // Its status goes with it unchanged (the update ignores it): only what may be edited is copied.
  const pod: Pod = { ...current, metadata: cloneJson(current.metadata ?? {}), spec: cloneJson(current.spec) };
  const spec = pod.spec!;
  const want = desired.spec!;
  let changed = false;
  // Only what the tenant changed since the host pod was written: what the host changed stays.
  const record = podSpecRecordOn(current);
  const desiredAnnotations = desired.metadata!.annotations!;
  desiredAnnotations[POD_SPEC_RECORD_ANNOTATION] = nextPodSpecRecord(
    desiredAnnotations[POD_SPEC_RECORD_ANNOTATION]!,
    record,
  );
  const setImages = (have: Container[] | undefined, wanted: Container[] | undefined) => {
    for (const c of have ?? []) {
      const image = imageToWrite(record, c.name, c.image, wanted?.find((w) => w.name === c.name)?.image);
      if (image) {
        c.image = image;
        changed = true;
      }
    }
  };
  setImages(spec.containers, want.containers);
  setImages(spec.initContainers, want.initContainers);
  if (want.activeDeadlineSeconds !== spec.activeDeadlineSeconds && want.activeDeadlineSeconds !== undefined) {
    spec.activeDeadlineSeconds = want.activeDeadlineSeconds;
    changed = true;
  }
  const added = tolerationsToAdd(record, spec.tolerations ?? [], want.tolerations ?? []);
  if (added.length) {
    spec.tolerations = [...(spec.tolerations ?? []), ...added];
    changed = true;
  }
  const tenantGates = (want.schedulingGates ?? []).map((g) => g.name);
  const gates = (spec.schedulingGates ?? []).filter((g) => keepsSchedulingGate(record, g.name, tenantGates));
  if (gates.length !== (spec.schedulingGates ?? []).length) {
    spec.schedulingGates = gates;
    changed = true;
  }
  // Labels and annotations the host added (e.g. a sidecar injector's) stay; the syncer's keys follow
  // the tenant (the caller may plan them three-way instead).
  const metadata = metadataFor(desired);
  for (const field of ['labels', 'annotations'] as const) {
    const have = pod.metadata?.[field] ?? {};
    if (JSON.stringify(sortKeys(metadata[field])) !== JSON.stringify(sortKeys(have))) {
      pod.metadata![field] = metadata[field];
      changed = true;
    }
  }
  const haveEphemeral = new Set((current.spec?.ephemeralContainers ?? []).map((c) => c.name));
  const ours = tenantDebugContainerNames(current);
  const newEphemeral = (want.ephemeralContainers ?? []).filter((c) => !haveEphemeral.has(c.name));
  const debugNamesTaken = (want.ephemeralContainers ?? [])
    .filter((c) => haveEphemeral.has(c.name) && !ours.has(c.name))
    .map((c) => c.name);
  return {
    changed,
    specChanged: changed && JSON.stringify(pod.spec) !== JSON.stringify(current.spec),
    pod,
    ephemeralContainers: newEphemeral.length
      ? [...(current.spec?.ephemeralContainers ?? []), ...newEphemeral.map(markedDebugContainer)]
      : undefined,
    ...(debugNamesTaken.length ? { debugNamesTaken } : {}),
  };
}

const intersect = (a: Set<string>, b: Set<string>) => new Set([...a].filter((x) => b.has(x)));

function sortKeys(m: Record<string, string>): [string, string][] {
  return Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** What the status of a virtual pod depends on besides the two pods. */
export interface PodStatusView {
  /**
   * The host pod's spec says what the virtual pod's says (no image, resize or debug-container write is
   * still to be made): only then does the kubelet having seen the host pod's newest generation mean
   * it has seen the virtual pod's. Default true (`vsyncer check`, which compares settled pods).
   */
  hostSpecCurrent?: boolean;
  /** The host refused the virtual pod's resize: shown as the kubelet shows an infeasible one. */
  resizeRefused?: { message: string; since: string };
  /**
   * The tenant's debug containers the syncer refused, name → why: shown waiting with that message
   * (refusedDebugContainerStatuses). Unset: those the virtual status shows are kept.
   */
  debugRefused?: ReadonlyMap<string, string>;
  /** The host pod's custom condition types when its status last came up (hostCustomConditionTypes). */
  hostConditionTypesBefore?: ReadonlySet<string>;
  /**
   * Takes host names out of what the host's components wrote (scrubHostNames): the pod's message,
   * its conditions', a waiting container's (`secret "<host name>" not found`), a container the
   * runtime could not start. A container's own termination message (its termination log: reasons
   * Completed, Error, OOMKilled) is left as it is.
   */
  scrub?: (message: string) => string;
}

/** Whether a status says any observed generation (its own, or a condition's). */
export function saysObservedGeneration(status: PodStatus | undefined): boolean {
  return (
    typeof status?.observedGeneration === 'number' ||
    ((status?.conditions ?? []) as PodCondition[]).some((c) => typeof c?.observedGeneration === 'number')
  );
}

/**
 * The status without observed generations: what a virtual API server that does not serve them (before
 * Kubernetes 1.34, or its gate off) keeps of it. Compared as written, a status with them would never
 * equal the stored one, and every reconcile would write it again.
 */
export function withoutObservedGenerations(status: PodStatus): PodStatus {
  const { observedGeneration: _dropped, ...rest } = status;
  const conditions = (status.conditions as PodCondition[] | undefined)?.map((c) => {
    if (typeof c?.observedGeneration !== 'number') return c;
    const { observedGeneration: _gone, ...kept } = c;
    return kept;
  });
  return conditions ? { ...rest, conditions: conditions as PodStatus['conditions'] } : rest;
}

/**
 * The virtual pod's status from the host pod: everything the kubelet reports, but container
 * statuses only for containers the tenant declared (nothing the host injected), the conditions
 * of the pod's readiness gates as the tenant's controllers set them, and generations counted in
 * the virtual pod's.
 */
export function podStatusForVirtual(host: Pod, virtual: Pod, view: PodStatusView = {}): PodStatus {
  const status = cloneJson(host.status ?? {});
  const generation = observedGenerationMapper(host, virtual, view.hostSpecCurrent ?? true);
  const scrub = view.scrub ?? ((message: string) => message);
  const hostConditions = (status.conditions as PodCondition[] | undefined)
    ?.filter((c) => !(view.resizeRefused && c?.type === RESIZE_PENDING))
    .map((c) => (typeof c?.message === 'string' ? { ...c, message: scrub(c.message) } : c))
    .map((c) => {
      if (typeof c?.observedGeneration !== 'number') return c;
      const { observedGeneration, ...rest } = c;
      const mapped = generation(observedGeneration);
      return mapped === undefined ? rest : { ...rest, observedGeneration: mapped };
    });
  if (view.resizeRefused) {
    hostConditions?.push(resizeRefusedCondition(virtual, view.resizeRefused));
  }
  const names = (list: { name: string }[] | undefined) => new Set((list ?? []).map((c) => c.name));
  const keep = <T extends { name: string; image?: string }>(
    statuses: T[] | undefined,
    allowed: Set<string>,
  ) =>
    statuses
      ?.filter((s) => allowed.has(s.name))
      .map((s) => {
        const scrubbed = withScrubbedMessages(s, scrub);
        return withTenantsImage(scrubbed, host, virtual, view.hostSpecCurrent ?? true);
      });
  const vspec = virtual.spec;
  const out: PodStatus = {
    phase: status.phase,
    observedGeneration:
      typeof status.observedGeneration === 'number' ? generation(status.observedGeneration) : undefined,
    conditions: virtualConditionsWithGates(
      view.resizeRefused && !hostConditions
        ? [resizeRefusedCondition(virtual, view.resizeRefused)]
        : hostConditions,
      virtual,
      view.hostConditionTypesBefore,
    ) as PodStatus['conditions'],
    message: typeof status.message === 'string' ? scrub(status.message) : status.message,
    reason: status.reason,
    hostIP: status.hostIP,
    hostIPs: status.hostIPs,
    podIP: status.podIP,
    podIPs: status.podIPs,
    startTime: status.startTime,
    // Fixed by the virtual API server at create and immutable after; the host's may differ, since
    // the host pod has containers the tenant did not declare (the hosts-rewrite init container).
    qosClass: virtual.status?.qosClass ?? status.qosClass,
    // The virtual cluster's resourceclaim controller writes which claims it made for the pod (the
    // host pod names those claims' copies, and has none of its own).
    resourceClaimStatuses: virtual.status?.resourceClaimStatuses,
    nominatedNodeName: status.nominatedNodeName,
    containerStatuses: keep(status.containerStatuses, names(vspec?.containers)),
    initContainerStatuses: keep(status.initContainerStatuses, names(vspec?.initContainers)),
    // Only the tenant's own debug containers: a host admin's may carry one's name (debug-containers.ts).
    ephemeralContainerStatuses: keep(
      status.ephemeralContainerStatuses,
      intersect(names(vspec?.ephemeralContainers), tenantDebugContainerNames(host)),
    ),
  };
  const refusedDebug = refusedDebugContainerStatuses(
    virtual,
    names(out.ephemeralContainerStatuses),
    view.debugRefused,
  );
  if (refusedDebug.length)
    out.ephemeralContainerStatuses = [...(out.ephemeralContainerStatuses ?? []), ...refusedDebug];
  // An empty list the virtual status lacks (no init container of the tenant's, beside the host's
  // hosts-rewrite one) is left out, as the API server stores it: else the two never read the same.
  for (const k of Object.keys(out) as (keyof PodStatus)[]) {
    const value = out[k];
    if (value === undefined || (Array.isArray(value) && !value.length && !Array.isArray(virtual.status?.[k])))
      delete out[k];
  }
  return out;
}

/**
 * A container status showing the image the tenant wrote where the host pod runs it under another name
 * (--translate-image: a mirror): the kubelet reports the host spec's image, and tools compare a
 * status's image with the spec's to tell a rollout done. While an image write to the host pod is
 * still to be made, the tenant's spec says the new image and the host's the old: the status keeps the
 * image it showed. Any other image (a digest the runtime resolved) is left as the kubelet reports it.
 */
function withTenantsImage<T extends { name: string; image?: string }>(
  status: T,
  host: Pod,
  virtual: Pod,
  hostSpecCurrent: boolean,
): T {
  const imageOf = (pod: Pod) =>
    allContainers(pod.spec ?? { containers: [] }).find((c) => c.name === status.name)?.image;
  const hostImage = imageOf(host);
  const tenantsImage = imageOf(virtual);
  if (hostImage === undefined || tenantsImage === undefined || status.image !== hostImage) return status;
  if (hostSpecCurrent) return hostImage === tenantsImage ? status : { ...status, image: tenantsImage };
  const shown = [
    ...(virtual.status?.containerStatuses ?? []),
    ...(virtual.status?.initContainerStatuses ?? []),
    ...(virtual.status?.ephemeralContainerStatuses ?? []),
  ].find((c) => c.name === status.name)?.image;
  return shown === undefined ? status : { ...status, image: shown };
}

/**
 * Terminations whose message is the container's own (its termination log); any other reason's
 * (StartError, ContainerCannotRun) is the runtime's, about the host.
 */
const CONTAINERS_OWN_TERMINATIONS = new Set(['Completed', 'Error', 'OOMKilled']);

type ContainerState = {
  waiting?: { message?: unknown };
  terminated?: { reason?: unknown; message?: unknown };
};

/** A container state with the kubelet's and runtime's messages through scrub. */
function scrubbedState(state: ContainerState | undefined, scrub: (message: string) => string) {
  if (!state) return state;
  let out = state;
  const waiting = state.waiting?.message;
  const waitingScrubbed = typeof waiting === 'string' ? scrub(waiting) : waiting;
  if (waitingScrubbed !== waiting) out = { ...out, waiting: { ...state.waiting, message: waitingScrubbed } };
  const terminated = state.terminated;
  const ended = terminated?.message;
  const endedScrubbed =
    typeof ended === 'string' && !CONTAINERS_OWN_TERMINATIONS.has(String(terminated?.reason))
      ? scrub(ended)
      : ended;
  if (endedScrubbed !== ended) out = { ...out, terminated: { ...terminated, message: endedScrubbed } };
  return out;
}

/** A container status whose host-written messages (the kubelet's, the runtime's) went through scrub. */
function withScrubbedMessages<T>(containerStatus: T, scrub: (message: string) => string): T {
  const s = containerStatus as { state?: ContainerState; lastState?: ContainerState };
  const state = scrubbedState(s.state, scrub);
  const lastState = scrubbedState(s.lastState, scrub);
  if (state === s.state && lastState === s.lastState) return containerStatus;
  return {
    ...containerStatus,
    ...(state ? { state } : {}),
    ...(lastState ? { lastState } : {}),
  };
}

/** The kubelet's condition for a resize it has not made yet (reason Deferred or Infeasible). */
const RESIZE_PENDING = 'PodResizePending';

function resizeRefusedCondition(virtual: Pod, refused: { message: string; since: string }): PodCondition {
  const condition: PodCondition = {
    type: RESIZE_PENDING,
    status: 'True',
    reason: 'Infeasible',
    message: refused.message,
    lastTransitionTime: refused.since,
  };
  const generation = virtual.metadata?.generation;
  return generation === undefined ? condition : { ...condition, observedGeneration: generation };
}

/**
 * A host generation the kubelet observed, as the virtual pod's: the two count separately (the host
 * pod's also counts the syncer's own writes). Caught up on the host with nothing left to write means
 * caught up with the tenant's pod. Behind, the virtual pod keeps what it said before (never more than
 * one behind its own generation): the kubelet has seen no later tenant generation than that, however
 * many the tenant made meanwhile. Nothing said before, nothing is said.
 */
function observedGenerationMapper(
  host: Pod,
  virtual: Pod,
  hostSpecCurrent: boolean,
): (observed: number) => number | undefined {
  const hostGeneration = host.metadata?.generation;
  const virtualGeneration = virtual.metadata?.generation;
  const before = virtual.status?.observedGeneration;
  return (observed) => {
    if (hostGeneration === undefined || virtualGeneration === undefined) return undefined;
    if (observed >= hostGeneration && hostSpecCurrent) return virtualGeneration;
    return typeof before === 'number' ? Math.min(before, virtualGeneration - 1) : undefined;
  };
}
