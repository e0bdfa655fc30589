import type { Pod } from '../../kube/types.ts';

/**
 * Host-side facilities a tenant pod may reach only where the operator allowed them. Each list is
 * empty by default: the host's signers and CSI drivers act with host authority, and nothing in the
 * virtual cluster tells who may use them.
 */
export interface PodPolicy {
  /**
   * Signer names (`example.com/name`) whose ClusterTrustBundles and pod certificates tenant pods may
   * project. The host kubelet asks the host's signer for them, so a tenant that names a signer gets
   * a certificate with whatever identity that signer hands out on the host.
   */
  allowedSigners?: readonly string[];
  /**
   * CSI drivers tenant pods may use as inline volumes (`volumes[].csi`). An inline volume goes to the
   * host's driver with no claim, no storage class and no quota in between, with attributes the
   * tenant chooses and the syncer passes on unread. Allow only drivers whose attributes name nothing
   * of the host. The secrets-store driver's `secretProviderClass` would name any SecretProviderClass
   * of the host namespace, another tenant's or the host admin's: a volume setting it is refused.
   */
  allowedInlineCsiDrivers?: readonly string[];
  /**
   * In-tree volume source types tenant pods may use inline (`nfs`, `iscsi`, `awsElasticBlockStore`,
   * ...). The host kubelet and attach-detach controller mount or attach what such a volume names
   * (a server's export, a cloud disk by its ID, a LUN) with host authority, bypassing claims, classes
   * and the storage a tenant was given: the whole NFS export behind every tenant's claims, another
   * tenant's disk. Sources that only carry the pod's own objects (INLINE_VOLUME_SOURCES_ALWAYS_ALLOWED)
   * need no listing; `hostPath` is the Pod Security Standard's to judge.
   */
  allowedInlineVolumeSources?: readonly string[];
  /**
   * Container names a host injector fills in (DEFAULT_RESERVED_CONTAINER_NAMES): Istio merges its
   * sidecar and init containers into a pod's container of the same name, the pod's fields winning,
   * so a tenant's `istio-proxy` would run the tenant's image with the mesh identity and certificates
   * the host mints, and its `istio-init` the tenant's command as root with NET_ADMIN, past the Pod
   * Security check, which saw only the virtual pod.
   */
  reservedContainerNames?: readonly string[];
}

/** The containers the host's mesh injectors (Istio, Linkerd) add, or merge into one of that name. */
export const DEFAULT_RESERVED_CONTAINER_NAMES: readonly string[] = [
  'istio-proxy',
  'istio-init',
  'istio-validation',
  'enable-core-dump',
  'linkerd-proxy',
  'linkerd-init',
  'linkerd-network-validator',
];

/** The secrets-store CSI driver's attribute naming a SecretProviderClass of the pod's namespace. */
const SECRET_PROVIDER_CLASS_ATTRIBUTE = 'secretProviderClass';

/**
 * Volume sources made of the pod's own objects or scratch space, or judged elsewhere (`csi` by
 * allowedInlineCsiDrivers, `hostPath` by the Pod Security Standard).
 */
export const INLINE_VOLUME_SOURCES_ALWAYS_ALLOWED: ReadonlySet<string> = new Set([
  'emptyDir',
  'configMap',
  'secret',
  'downwardAPI',
  'projected',
  'persistentVolumeClaim',
  'ephemeral',
  'image',
  'csi',
  'hostPath',
]);

/**
 * The projections a projected volume may be made of, each judged here or by the reference walker.
 * One a newer Kubernetes adds could name an object of the host namespace by plain name, copied
 * as written: it is refused until the syncer knows it.
 */
const KNOWN_PROJECTIONS: ReadonlySet<string> = new Set([
  'secret',
  'configMap',
  'downwardAPI',
  'serviceAccountToken',
  'clusterTrustBundle',
  'podCertificate',
]);

/**
 * The fields of the structures through which a pod names objects for the kubelet, as of Kubernetes
 * 1.37: env and envFrom sources, and the volume sources naming the pod's objects. The pod spec's
 * allow-list (spec-fields.ts) covers its top level only: a field a newer Kubernetes adds in one of
 * these (as `fileKeyRef` came to env sources in 1.34) could name an object of the host namespace by
 * plain name, copied as written, so it is refused until the syncer knows it.
 */
const KNOWN_NAMING_FIELDS = {
  envSource: new Set(['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef']),
  keyRef: new Set(['name', 'key', 'optional']),
  envFrom: new Set(['prefix', 'configMapRef', 'secretRef']),
  objectRef: new Set(['name', 'optional']),
  secretVolume: new Set(['secretName', 'items', 'defaultMode', 'optional']),
  configMapVolume: new Set(['name', 'items', 'defaultMode', 'optional']),
  claimVolume: new Set(['claimName', 'readOnly']),
  projectedVolume: new Set(['sources', 'defaultMode']),
  projectedObject: new Set(['name', 'items', 'optional']),
  tokenProjection: new Set(['audience', 'expirationSeconds', 'path']),
  ephemeralVolume: new Set(['volumeClaimTemplate']),
} as const;

/** `path.field` for each field of `value` (an object) not among `known`. */
function unknownFields(value: unknown, known: ReadonlySet<string>, path: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.keys(value)
    .filter((field) => !known.has(field))
    .map((field) => `${path}.${field}`);
}

/** The fields of a pod's naming structures this syncer does not know (KNOWN_NAMING_FIELDS). */
function unknownNamingFields(pod: Pod): string[] {
  const k = KNOWN_NAMING_FIELDS;
  const out: string[] = [];
  for (const field of ['initContainers', 'containers', 'ephemeralContainers'] as const)
    (pod.spec?.[field] ?? []).forEach((container, c) => {
      const at = `${field}[${c}]`;
      (container.env ?? []).forEach((env, e) => {
        const source = env.valueFrom as Record<string, unknown> | undefined;
        const path = `${at}.env[${e}].valueFrom`;
        out.push(...unknownFields(source, k.envSource, path));
        out.push(...unknownFields(source?.configMapKeyRef, k.keyRef, `${path}.configMapKeyRef`));
        out.push(...unknownFields(source?.secretKeyRef, k.keyRef, `${path}.secretKeyRef`));
      });
      (container.envFrom ?? []).forEach((from, f) => {
        const path = `${at}.envFrom[${f}]`;
        const source = from as Record<string, unknown>;
        out.push(...unknownFields(source, k.envFrom, path));
        out.push(...unknownFields(source.configMapRef, k.objectRef, `${path}.configMapRef`));
        out.push(...unknownFields(source.secretRef, k.objectRef, `${path}.secretRef`));
      });
    });
  for (const volume of pod.spec?.volumes ?? []) {
    const at = `volume ${JSON.stringify(volume.name)}:`;
    const v = volume as unknown as Record<string, unknown>;
    out.push(...unknownFields(v.secret, k.secretVolume, `${at} secret`));
    out.push(...unknownFields(v.configMap, k.configMapVolume, `${at} configMap`));
    out.push(...unknownFields(v.persistentVolumeClaim, k.claimVolume, `${at} persistentVolumeClaim`));
    out.push(...unknownFields(v.ephemeral, k.ephemeralVolume, `${at} ephemeral`));
    out.push(...unknownFields(v.projected, k.projectedVolume, `${at} projected`));
    (volume.projected?.sources ?? []).forEach((source, i) => {
      const path = `${at} projected.sources[${i}]`;
      const s = (source ?? {}) as Record<string, unknown>;
      out.push(...unknownFields(s.secret, k.projectedObject, `${path}.secret`));
      out.push(...unknownFields(s.configMap, k.projectedObject, `${path}.configMap`));
      out.push(...unknownFields(s.serviceAccountToken, k.tokenProjection, `${path}.serviceAccountToken`));
    });
  }
  return out;
}

/**
 * What in a virtual pod the host would act on with host authority and the policy does not allow:
 * one message per finding, naming the volume and field (and the tenant's own value), never a host
 * object, so it can be shown to the tenant as is. Empty when the pod may be synced.
 */
export function podPolicyViolations(pod: Pod, policy: PodPolicy): string[] {
  const signers = policy.allowedSigners ?? [];
  const drivers = policy.allowedInlineCsiDrivers ?? [];
  const sources = policy.allowedInlineVolumeSources ?? [];
  const out: string[] = [];
  const reserved = policy.reservedContainerNames ?? [];
  for (const field of ['initContainers', 'containers', 'ephemeralContainers'] as const)
    for (const container of pod.spec?.[field] ?? [])
      if (reserved.includes(container.name))
        out.push(
          `${field}: the container name ${JSON.stringify(container.name)} is the host's (its sidecar injector fills in a container of that name); rename it`,
        );
  for (const volume of pod.spec?.volumes ?? []) {
    const where = `volume ${JSON.stringify(volume.name)}`;
    for (const source of Object.keys(volume)) {
      if (source === 'name' || INLINE_VOLUME_SOURCES_ALWAYS_ALLOWED.has(source) || sources.includes(source))
        continue;
      out.push(
        `${where}: the inline volume source ${JSON.stringify(source)} is not allowed in this virtual cluster; use a PersistentVolumeClaim`,
      );
    }
    if (volume.csi && !drivers.includes(volume.csi.driver)) {
      out.push(
        `${where}: csi.driver ${JSON.stringify(volume.csi.driver)} is not allowed for inline volumes in this virtual cluster`,
      );
    } else if (volume.csi?.volumeAttributes?.[SECRET_PROVIDER_CLASS_ATTRIBUTE] !== undefined) {
      // The secrets-store driver reads the class from the pod's namespace, the shared host one: no
      // name the tenant writes there can be proved to be its own class.
      out.push(
        `${where}: csi.volumeAttributes.${SECRET_PROVIDER_CLASS_ATTRIBUTE} names an object of the host namespace, which tenant pods may not do`,
      );
    }
    (volume.projected?.sources ?? []).forEach((source, i) => {
      const field = `projected.sources[${i}]`;
      for (const projection of Object.keys(source ?? {}))
        if (!KNOWN_PROJECTIONS.has(projection))
          out.push(
            `${where}: ${field}.${projection} is a projection this syncer does not know, which could name an object of the host namespace; it is not allowed`,
          );
      const bundle = source.clusterTrustBundle;
      if (bundle?.name !== undefined) {
        // A bundle by name can be any bundle on the host, of any signer: there is nothing to check it against.
        out.push(
          `${where}: ${field}.clusterTrustBundle.name is not allowed in this virtual cluster; select bundles by an allowed signerName`,
        );
      } else if (bundle?.signerName !== undefined && !signers.includes(bundle.signerName)) {
        out.push(
          `${where}: ${field}.clusterTrustBundle.signerName ${JSON.stringify(bundle.signerName)} is not an allowed signer in this virtual cluster`,
        );
      }
      const certificate = source.podCertificate;
      if (certificate && !signers.includes(certificate.signerName)) {
        out.push(
          `${where}: ${field}.podCertificate.signerName ${JSON.stringify(certificate.signerName)} is not an allowed signer in this virtual cluster`,
        );
      }
    });
  }
  for (const field of unknownNamingFields(pod))
    out.push(
      `${field} is a field this syncer does not know, which could name an object of the host namespace; it is not allowed`,
    );
  return out;
}
