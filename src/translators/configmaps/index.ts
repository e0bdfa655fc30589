import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { readCertificateBundle, withCertificates } from '../../pki/certificate-bundle.ts';
import { field } from '../../config/fields.ts';
import { defineKind } from '../../sync/kind.ts';
import { gatewayApiReferrer } from '../gateway-api/data-referrers.ts';
import { referencedConfigMaps } from '../pods/translate.ts';
import { CRUD, dataObjectKind } from '../shared/data-object.ts';
import { CONFIGMAP_REFERRERS } from '../shared/referrer-copies.ts';

/** The config map the root CA publisher keeps in every namespace, for service-account token volumes. */
const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';

/**
 * ConfigMaps, virtual → host; only those a pod uses (or, while those kinds run, a Gateway or a
 * BackendTLSPolicy names as a CA bundle, another namespace's only as a ReferenceGrant there allows)
 * and each namespace's root CA bundle, unless --sync-all-configmaps.
 */
export const configMapsKind = defineKind({
  name: 'configmaps',
  description: 'ConfigMaps, virtual → host (those pods use, or all)',
  defaultOn: true,
  eventKind: 'ConfigMap',
  fields: [
    field({
      flag: 'extra-root-ca-file',
      key: 'extraRootCaFile',
      kind: 'string',
      default: '',
      description:
        "PEM file of CA certificates added to the ca.crt of every namespace's kube-root-ca.crt on the host, which pods' service-account volumes mount, so pods trust what those CAs issued (the chart gives its kubelet CA with k3s)",
      validate: (path) => {
        if (!path) return undefined;
        try {
          readCertificateBundle(path);
          return undefined;
        } catch (err) {
          return (err as Error).message;
        }
      },
    }),
    field({
      flag: 'sync-all-configmaps',
      key: 'syncAllConfigMaps',
      kind: 'bool',
      default: false,
      description: 'sync every config map, not only those a pod references',
    }),
  ],
  hostRbac: [
    { scope: 'namespace', apiGroups: [''], resources: ['configmaps'], verbs: CRUD },
    // A copy a host pod still mounts is kept until that pod is gone.
    { scope: 'namespace', apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
  ],
  build: (options, where) => {
    const extraRootCas = options.extraRootCaFile ? readCertificateBundle(options.extraRootCaFile) : [];
    return dataObjectKind(
      {
        type: Resources.configMaps,
        payloadFields: ['data', 'binaryData', 'immutable'],
        syncAll: options.syncAllConfigMaps,
        podReferences: referencedConfigMaps,
        // Every pod with a service-account token mounts its namespace's root CA bundle, and a pod is
        // created on the host only once the copies it mounts exist: copied when it appears (the
        // namespace is new), the first pods of a namespace do not wait for it.
        syncedAhead: (cm) => cm.metadata?.name === ROOT_CA_CONFIGMAP,
        hostTransform: (copy, virtual) => withExtraRootCas(copy, virtual, extraRootCas),
        referrers: [
          gatewayApiReferrer('gateways', Resources.gateways, 'ConfigMap'),
          gatewayApiReferrer('backendtlspolicies', Resources.backendTLSPolicies, 'ConfigMap'),
        ],
        namedByHostCopies: CONFIGMAP_REFERRERS,
      },
      where,
    );
  },
});

/**
 * The host copy of a namespace's root CA bundle with the extra CAs added to its `ca.crt`. Only there:
 * a tenant's own config maps are copied as they are, and the virtual one keeps what its control
 * plane publishes.
 */
function withExtraRootCas(copy: KubeObject, virtual: KubeObject, extra: readonly string[]): KubeObject {
  const data = copy.data as Record<string, string> | undefined;
  if (!extra.length || virtual.metadata?.name !== ROOT_CA_CONFIGMAP || typeof data?.['ca.crt'] !== 'string')
    return copy;
  return { ...copy, data: { ...data, 'ca.crt': withCertificates(data['ca.crt'], extra) } };
}
