import type {
  Container,
  EnvVar,
  EphemeralContainer,
  LabelSelector,
  Pod,
  PodAffinityTerm,
  PodSpec,
  PodStatus,
  Toleration,
  Volume,
} from '../../kube/types.ts';
import type { KubeObject } from '../../kube/object.ts';
import { hostName } from '../../naming/names.ts';
import {
  hostLabels,
  namespaceLabelsForPod,
  namespaceSelectorAsPodSelector,
  POD_LABELS_ANNOTATION,
  POD_NAME_ANNOTATION,
  POD_NAMESPACE_ANNOTATION,
  POD_SERVICE_ACCOUNT_ANNOTATION,
  POD_UID_ANNOTATION,
  translateLabelSelector,
} from '../../naming/labels.ts';
import { objectAnnotations } from '../../naming/annotations.ts';
import { mergeManagedMetadata, withManagedRecord } from '../../sync/managed-metadata.ts';
import { TOKEN_KEY } from './tokens.ts';

/** Everything the pure pod translation needs besides the pod itself. */
export interface PodTranslationContext {
  vcName: string;
  hostNamespace: string;
  virtualNamespaceLabels: Record<string, string>;
  workloadServiceAccount: string;
  dnsServiceIP: string;
  clusterDomain: string;
  virtualApiServiceIP: string;
  virtualApiServicePort: number;
  /** Service-link variables rebuilt from the virtual services of the pod's namespace. */
  serviceEnv: EnvVar[];
  enforcedTolerations: Toleration[];
  /** The host secret that holds the minted token of a projected volume. */
  tokenSecretNameFor(volumeName: string): string;
}

type Containerish = Container | EphemeralContainer;

const DOWNWARD_FIELD_ANNOTATIONS: Record<string, string> = {
  'metadata.name': POD_NAME_ANNOTATION,
  'metadata.namespace': POD_NAMESPACE_ANNOTATION,
  'metadata.uid': POD_UID_ANNOTATION,
  'spec.serviceAccountName': POD_SERVICE_ACCOUNT_ANNOTATION,
  'metadata.labels': POD_LABELS_ANNOTATION,
};

const clone = <T>(v: T): T => structuredClone(v);
const allContainers = (spec: PodSpec): Containerish[] => [
  ...(spec.initContainers ?? []),
  ...(spec.containers ?? []),
  ...(spec.ephemeralContainers ?? []),
];

/** Names of the virtual ConfigMaps a pod uses (volumes, projected sources, env, envFrom). */
export function referencedConfigMaps(pod: KubeObject): string[] {
  const spec = (pod.spec ?? { containers: [] }) as PodSpec;
  const names = new Set<string>();
  for (const v of spec.volumes ?? []) {
    if (v.configMap?.name) names.add(v.configMap.name);
    for (const s of v.projected?.sources ?? []) if (s.configMap?.name) names.add(s.configMap.name);
  }
  for (const c of allContainers(spec)) {
    for (const e of c.env ?? [])
      if (e.valueFrom?.configMapKeyRef?.name) names.add(e.valueFrom.configMapKeyRef.name);
    for (const e of c.envFrom ?? []) if (e.configMapRef?.name) names.add(e.configMapRef.name);
  }
  return [...names];
}

/**
 * The secret references inside volume sources that hand a Secret of the pod's namespace to the
 * kubelet or a storage driver (credentials of CSI, flex and in-tree network volumes). Each one names
 * a host secret once the pod is on the host, so each is renamed like every other reference.
 */
function volumeCredentialRefs(v: Volume): { name?: string }[] {
  const refs = [
    v.csi?.nodePublishSecretRef,
    v.flexVolume?.secretRef,
    v.iscsi?.secretRef,
    v.rbd?.secretRef,
    v.cephfs?.secretRef,
    v.cinder?.secretRef,
    v.scaleIO?.secretRef,
    v.storageos?.secretRef,
  ];
  return refs.filter((r): r is { name?: string } => !!r);
}

/** Names of the virtual Secrets a pod uses (volumes, projected sources, env, envFrom, image pull secrets). */
export function referencedSecrets(pod: KubeObject): string[] {
  const spec = (pod.spec ?? { containers: [] }) as PodSpec;
  const names = new Set<string>();
  for (const v of spec.volumes ?? []) {
    if (v.secret?.secretName) names.add(v.secret.secretName);
    if (v.azureFile?.secretName) names.add(v.azureFile.secretName);
    for (const ref of volumeCredentialRefs(v)) if (ref.name) names.add(ref.name);
    for (const s of v.projected?.sources ?? []) if (s.secret?.name) names.add(s.secret.name);
  }
  for (const c of allContainers(spec)) {
    for (const e of c.env ?? [])
      if (e.valueFrom?.secretKeyRef?.name) names.add(e.valueFrom.secretKeyRef.name);
    for (const e of c.envFrom ?? []) if (e.secretRef?.name) names.add(e.secretRef.name);
  }
  for (const s of spec.imagePullSecrets ?? []) if (s.name) names.add(s.name);
  return [...names];
}

/** Names of the virtual PersistentVolumeClaims a pod mounts. */
export function referencedPVCs(pod: KubeObject): string[] {
  const spec = (pod.spec ?? { containers: [] }) as PodSpec;
  return [
    ...new Set(
      (spec.volumes ?? []).map((v) => v.persistentVolumeClaim?.claimName).filter((n): n is string => !!n),
    ),
  ];
}

/** `key="value"` lines, sorted: the downward-API rendering of a label map. */
export function labelsAnnotationValue(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join('\n');
}

/**
 * The host pod for a virtual pod. Every object it names is renamed to its host copy, it runs as the
 * workload service account with no host token, its projected service-account tokens come from
 * secrets the syncer fills with tokens of the *virtual* API server, DNS and the kubernetes service
 * point at the virtual cluster, and selectors are scoped to this virtual cluster and namespace.
 */
export function translatePodToHost(virtual: Pod, ctx: PodTranslationContext): Pod {
  const meta = virtual.metadata ?? {};
  const ns = meta.namespace ?? '';
  const name = meta.name ?? '';
  const rename = (n: string) => hostName(n, ns, ctx.vcName);
  const spec = clone(virtual.spec ?? { containers: [] });
  const virtualLabels = meta.labels ?? {};
  const managed = withManagedRecord({
    labels: {
      ...hostLabels(virtualLabels, { vcName: ctx.vcName, virtualNamespace: ns }),
      ...namespaceLabelsForPod(ctx.virtualNamespaceLabels, ctx.vcName),
    },
    annotations: {
      ...(meta.annotations ?? {}),
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
      [POD_LABELS_ANNOTATION]: labelsAnnotationValue(virtualLabels),
    },
  });
  const host: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: rename(name), namespace: ctx.hostNamespace, ...managed },
    spec,
  };

  // Identity: a host account with no token of its own; tokens come from the virtual cluster.
  spec.serviceAccountName = ctx.workloadServiceAccount;
  delete spec.serviceAccount;
  spec.automountServiceAccountToken = false;
  spec.volumes = (spec.volumes ?? []).map((v) => translateVolume(v, rename, ctx));
  for (const s of spec.imagePullSecrets ?? []) if (s.name) s.name = rename(s.name);
  // Dynamic resource claims are namespaced objects too: a claim named as-is would be a host claim.
  for (const c of spec.resourceClaims ?? []) {
    if (c.resourceClaimName) c.resourceClaimName = rename(c.resourceClaimName);
    if (c.resourceClaimTemplateName) c.resourceClaimTemplateName = rename(c.resourceClaimTemplateName);
  }

  // DNS: the virtual cluster's DNS service, with the virtual namespace's search path.
  if (!spec.hostNetwork) {
    const domain = ctx.clusterDomain;
    const userConfig = spec.dnsPolicy === 'None' ? spec.dnsConfig : undefined;
    spec.dnsPolicy = 'None';
    spec.dnsConfig = {
      nameservers: [
        ctx.dnsServiceIP,
        ...(userConfig?.nameservers ?? []).filter((n) => n !== ctx.dnsServiceIP),
      ],
      searches: [`${ns}.svc.${domain}`, `svc.${domain}`, domain, ...(userConfig?.searches ?? [])],
      options: [
        { name: 'ndots', value: '5' },
        ...(userConfig?.options ?? []).filter((o) => o.name !== 'ndots'),
      ],
    };
  }
  // A hostname is one DNS label: cut at the first dot, as the kubelet does, and at 63 characters.
  spec.hostname ??= name.split('.')[0]!.slice(0, 63).replace(/-+$/, '');

  // The kubernetes service of the virtual cluster, by env and by name.
  const apiEnv = kubernetesServiceEnv(ctx.virtualApiServiceIP, ctx.virtualApiServicePort);
  const serviceEnv = virtual.spec?.enableServiceLinks === false ? [] : ctx.serviceEnv;
  spec.enableServiceLinks = false;
  for (const c of allContainers(spec)) translateContainer(c, rename, [...apiEnv, ...serviceEnv]);
  const aliasNames = [
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    `kubernetes.default.svc.${ctx.clusterDomain}`,
  ];
  spec.hostAliases = [
    ...(spec.hostAliases ?? []).filter((a) => a.ip !== ctx.virtualApiServiceIP),
    { ip: ctx.virtualApiServiceIP, hostnames: aliasNames },
  ];

  // Scheduling: selectors scoped to this tenant; tolerations plus the enforced ones.
  const where = { vcName: ctx.vcName, virtualNamespace: ns };
  if (spec.affinity) {
    for (const group of [spec.affinity.podAffinity, spec.affinity.podAntiAffinity]) {
      if (!group) continue;
      group.requiredDuringSchedulingIgnoredDuringExecution =
        group.requiredDuringSchedulingIgnoredDuringExecution?.map((t) => translateAffinityTerm(t, where));
      group.preferredDuringSchedulingIgnoredDuringExecution =
        group.preferredDuringSchedulingIgnoredDuringExecution?.map((w) => ({
          ...w,
          podAffinityTerm: translateAffinityTerm(w.podAffinityTerm, where),
        }));
    }
  }
  spec.topologySpreadConstraints = spec.topologySpreadConstraints?.map((c) =>
    // No selector counts no pods; scoping it would make it count every pod of the namespace.
    c.labelSelector
      ? { ...c, labelSelector: translateLabelSelector(c.labelSelector as never, where) as LabelSelector }
      : c,
  );
  spec.tolerations = mergeTolerations(spec.tolerations ?? [], ctx.enforcedTolerations);
  // A priority class is a host-cluster object the tenant cannot see or create; drop the name and
  // keep scheduling neutral rather than letting a tenant pick host priorities.
  delete spec.priorityClassName;
  delete spec.priority;
  delete spec.preemptionPolicy;
  return host;
}

function kubernetesServiceEnv(ip: string, port: number): EnvVar[] {
  return [
    { name: 'KUBERNETES_SERVICE_HOST', value: ip },
    { name: 'KUBERNETES_SERVICE_PORT', value: String(port) },
    { name: 'KUBERNETES_SERVICE_PORT_HTTPS', value: String(port) },
    { name: 'KUBERNETES_PORT', value: `tcp://${ip}:${port}` },
    { name: `KUBERNETES_PORT_${port}_TCP`, value: `tcp://${ip}:${port}` },
    { name: `KUBERNETES_PORT_${port}_TCP_PROTO`, value: 'tcp' },
    { name: `KUBERNETES_PORT_${port}_TCP_PORT`, value: String(port) },
    { name: `KUBERNETES_PORT_${port}_TCP_ADDR`, value: ip },
  ];
}

function translateVolume(volume: Volume, rename: (n: string) => string, ctx: PodTranslationContext): Volume {
  const v = volume;
  if (v.configMap?.name) v.configMap.name = rename(v.configMap.name);
  if (v.secret?.secretName) v.secret.secretName = rename(v.secret.secretName);
  if (v.azureFile?.secretName) v.azureFile.secretName = rename(v.azureFile.secretName);
  for (const ref of volumeCredentialRefs(v)) if (ref.name) ref.name = rename(ref.name);
  if (v.persistentVolumeClaim?.claimName)
    v.persistentVolumeClaim.claimName = rename(v.persistentVolumeClaim.claimName);
  const claimSpec = v.ephemeral?.volumeClaimTemplate?.spec;
  if (claimSpec) {
    // A generic ephemeral volume's claim may be cloned from another claim or a snapshot: those name
    // objects of the tenant's namespace, so rename them, and never let one reach into another namespace.
    if (claimSpec.dataSource?.name) claimSpec.dataSource.name = rename(claimSpec.dataSource.name);
    if (claimSpec.dataSourceRef?.name) claimSpec.dataSourceRef.name = rename(claimSpec.dataSourceRef.name);
    if (claimSpec.dataSourceRef) delete claimSpec.dataSourceRef.namespace;
    // Binding to a named or selected PersistentVolume could take a host volume meant for someone else.
    delete claimSpec.volumeName;
    delete claimSpec.selector;
  }
  if (v.downwardAPI?.items) for (const item of v.downwardAPI.items) rewriteFieldRef(item.fieldRef);
  if (v.projected?.sources) {
    v.projected.sources = v.projected.sources.map((source) => {
      if (source.serviceAccountToken) {
        // The host kubelet would mint a host token here; mount the virtual token's secret instead.
        return {
          secret: {
            name: ctx.tokenSecretNameFor(v.name),
            items: [{ key: TOKEN_KEY, path: source.serviceAccountToken.path }],
          },
        };
      }
      if (source.configMap?.name) source.configMap.name = rename(source.configMap.name);
      if (source.secret?.name) source.secret.name = rename(source.secret.name);
      for (const item of source.downwardAPI?.items ?? []) rewriteFieldRef(item.fieldRef);
      return source;
    });
  }
  return v;
}

/** Downward-API references to the pod's own identity now read the annotations that hold the virtual values. */
function rewriteFieldRef(ref: { fieldPath: string } | undefined): void {
  if (!ref) return;
  const annotation = DOWNWARD_FIELD_ANNOTATIONS[ref.fieldPath];
  if (annotation) ref.fieldPath = `metadata.annotations['${annotation}']`;
}

function translateContainer(c: Containerish, rename: (n: string) => string, injectedEnv: EnvVar[]): void {
  for (const e of c.env ?? []) {
    if (e.valueFrom?.configMapKeyRef?.name)
      e.valueFrom.configMapKeyRef.name = rename(e.valueFrom.configMapKeyRef.name);
    if (e.valueFrom?.secretKeyRef?.name)
      e.valueFrom.secretKeyRef.name = rename(e.valueFrom.secretKeyRef.name);
    rewriteFieldRef(e.valueFrom?.fieldRef);
  }
  for (const e of c.envFrom ?? []) {
    if (e.configMapRef?.name) e.configMapRef.name = rename(e.configMapRef.name);
    if (e.secretRef?.name) e.secretRef.name = rename(e.secretRef.name);
  }
  // Ours first, so a variable the user sets explicitly (later in the list) wins, as with the kubelet.
  const userNames = new Set((c.env ?? []).map((e) => e.name));
  c.env = [...injectedEnv.filter((e) => !userNames.has(e.name)), ...(c.env ?? [])];
}

function translateAffinityTerm(
  term: PodAffinityTerm,
  where: { vcName: string; virtualNamespace: string },
): PodAffinityTerm {
  const out: PodAffinityTerm = { ...term };
  if (!term.labelSelector) {
    // A term without a label selector matches no pod; scoped, it would match the whole namespace.
    delete out.namespaceSelector;
    delete out.namespaces;
    return out;
  }
  if (term.namespaceSelector) {
    // All tenants share one host namespace: a namespace selector becomes a selector on the
    // ns-label pod labels; an empty one means every namespace of this virtual cluster.
    const nsSel = namespaceSelectorAsPodSelector(term.namespaceSelector as never, where.vcName);
    const podSel = translateLabelSelector(term.labelSelector as never, where);
    delete podSel.matchLabels?.['vcluster.loft.sh/namespace'];
    out.labelSelector = {
      matchLabels: { ...podSel.matchLabels, ...nsSel.matchLabels },
      matchExpressions: [...(podSel.matchExpressions ?? []), ...(nsSel.matchExpressions ?? [])],
    } as LabelSelector;
    if (!out.labelSelector.matchExpressions?.length) delete out.labelSelector.matchExpressions;
  } else if (term.namespaces?.length) {
    const podSel = translateLabelSelector(term.labelSelector as never, where);
    delete podSel.matchLabels?.['vcluster.loft.sh/namespace'];
    podSel.matchExpressions = [
      ...(podSel.matchExpressions ?? []),
      { key: 'vcluster.loft.sh/namespace', operator: 'In', values: term.namespaces },
    ];
    out.labelSelector = podSel as LabelSelector;
  } else {
    out.labelSelector = translateLabelSelector(term.labelSelector as never, where) as LabelSelector;
  }
  delete out.namespaceSelector;
  delete out.namespaces;
  return out;
}

function mergeTolerations(own: Toleration[], enforced: Toleration[]): Toleration[] {
  const key = (t: Toleration) =>
    JSON.stringify([t.key, t.operator ?? 'Equal', t.value ?? '', t.effect ?? '']);
  const seen = new Set(own.map(key));
  return [...own, ...enforced.filter((t) => !seen.has(key(t)))];
}

export interface HostPodUpdate {
  /** True when `pod` differs from the current host pod and must be written. */
  changed: boolean;
  pod: Pod;
  /** Ephemeral containers to write through their subresource, when the virtual pod has new ones. */
  ephemeralContainers?: EphemeralContainer[];
}

/**
 * What may change on a running host pod, as Kubernetes allows: container images,
 * activeDeadlineSeconds, added tolerations, removed scheduling gates, labels and annotations, and
 * (through their own subresource) new ephemeral containers.
 */
export function podUpdatesForHost(virtual: Pod, current: Pod, ctx: PodTranslationContext): HostPodUpdate {
  const desired = translatePodToHost(virtual, ctx);
  const pod = clone(current);
  const spec = pod.spec!;
  const want = desired.spec!;
  let changed = false;
  const setImages = (have: Container[] | undefined, wanted: Container[] | undefined) => {
    for (const c of have ?? []) {
      const image = wanted?.find((w) => w.name === c.name)?.image;
      if (image && image !== c.image) {
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
  const merged = mergeTolerations(spec.tolerations ?? [], want.tolerations ?? []);
  if (merged.length !== (spec.tolerations ?? []).length) {
    spec.tolerations = merged;
    changed = true;
  }
  const gates = (spec.schedulingGates ?? []).filter((g) =>
    (want.schedulingGates ?? []).some((w) => w.name === g.name),
  );
  if (gates.length !== (spec.schedulingGates ?? []).length) {
    spec.schedulingGates = gates;
    changed = true;
  }
  // Labels and annotations the host added (e.g. a sidecar injector's) stay; the syncer's keys follow the tenant.
  const metadata = mergeManagedMetadata(desired.metadata ?? {}, current.metadata ?? {});
  for (const field of ['labels', 'annotations'] as const) {
    const have = pod.metadata?.[field] ?? {};
    if (JSON.stringify(sortKeys(metadata[field])) !== JSON.stringify(sortKeys(have))) {
      pod.metadata![field] = metadata[field];
      changed = true;
    }
  }
  const haveEphemeral = new Set((current.spec?.ephemeralContainers ?? []).map((c) => c.name));
  const newEphemeral = (want.ephemeralContainers ?? []).filter((c) => !haveEphemeral.has(c.name));
  return {
    changed,
    pod,
    ephemeralContainers: newEphemeral.length
      ? [...(current.spec?.ephemeralContainers ?? []), ...newEphemeral]
      : undefined,
  };
}

function sortKeys(m: Record<string, string>): [string, string][] {
  return Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The virtual pod's status from the host pod: everything the kubelet reports, but container
 * statuses only for containers the tenant declared (nothing the host injected).
 */
export function podStatusForVirtual(host: Pod, virtual: Pod): PodStatus {
  const status = clone(host.status ?? {});
  const names = (list: { name: string }[] | undefined) => new Set((list ?? []).map((c) => c.name));
  const keep = <T extends { name: string }>(statuses: T[] | undefined, allowed: Set<string>) =>
    statuses?.filter((s) => allowed.has(s.name));
  const vspec = virtual.spec;
  const out: PodStatus = {
    phase: status.phase,
    conditions: status.conditions,
    message: status.message,
    reason: status.reason,
    hostIP: status.hostIP,
    hostIPs: status.hostIPs,
    podIP: status.podIP,
    podIPs: status.podIPs,
    startTime: status.startTime,
    qosClass: status.qosClass,
    nominatedNodeName: status.nominatedNodeName,
    containerStatuses: keep(status.containerStatuses, names(vspec?.containers)),
    initContainerStatuses: keep(status.initContainerStatuses, names(vspec?.initContainers)),
    ephemeralContainerStatuses: keep(status.ephemeralContainerStatuses, names(vspec?.ephemeralContainers)),
  };
  for (const k of Object.keys(out) as (keyof PodStatus)[]) if (out[k] === undefined) delete out[k];
  return out;
}
