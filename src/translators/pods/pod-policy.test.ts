import type { Pod, Volume, VolumeProjection } from '../../kube/types.ts';
import { podPolicyViolations, type PodPolicy } from './pod-policy.ts';

const pod = (volumes: Volume[]): Pod => ({
  metadata: { name: 'web', namespace: 'team' },
  spec: { containers: [{ name: 'main', image: 'app:1' }], volumes },
});
const projected = (name: string, ...sources: VolumeProjection[]): Volume => ({
  name,
  projected: { sources },
});
const certificate = (signerName: string) => ({
  podCertificate: { signerName, keyType: 'ED25519', credentialBundlePath: 'creds.pem' },
});
const signer = 'example.com/mesh';
const secretsStore = 'secrets-store.csi.k8s.io';

describe('podPolicyViolations: container names a host injector fills in', () => {
  const withContainers = (spec: Partial<NonNullable<Pod['spec']>>): Pod => ({
    metadata: { name: 'web', namespace: 'team' },
    spec: { containers: [{ name: 'main', image: 'app:1' }], ...spec },
  });
  const policy: PodPolicy = { reservedContainerNames: ['istio-proxy', 'istio-init'] };

  it('are refused in any list of containers, each named', () => {
    expect(
      podPolicyViolations(
        withContainers({
          initContainers: [{ name: 'istio-init', image: 'evil:1' }],
          containers: [
            { name: 'main', image: 'app:1' },
            { name: 'istio-proxy', image: 'evil:1' },
          ],
          ephemeralContainers: [{ name: 'istio-proxy', image: 'evil:1' }],
        }),
        policy,
      ),
    ).toEqual([
      'initContainers: the container name "istio-init" is the host\'s (its sidecar injector fills in a container of that name); rename it',
      'containers: the container name "istio-proxy" is the host\'s (its sidecar injector fills in a container of that name); rename it',
      'ephemeralContainers: the container name "istio-proxy" is the host\'s (its sidecar injector fills in a container of that name); rename it',
    ]);
  });

  it('are allowed when the list is empty (no injector on the host)', () => {
    const pod = withContainers({ containers: [{ name: 'istio-proxy', image: 'proxy:1' }] });
    expect(podPolicyViolations(pod, { reservedContainerNames: [] })).toEqual([]);
  });
});

describe('podPolicyViolations', () => {
  it.each([
    ['no volumes', [], {}, []],
    [
      'ordinary projected sources',
      [projected('v', { configMap: { name: 'ca' } }, { serviceAccountToken: { path: 't' } })],
      {},
      [],
    ],
    [
      'a projection this syncer does not know (one a newer Kubernetes adds)',
      [projected('v', { downwardAPI: { items: [] } }, { futureThing: { name: 'host-object' } } as never)],
      {},
      [
        'volume "v": projected.sources[1].futureThing is a projection this syncer does not know, which could name an object of the host namespace; it is not allowed',
      ],
    ],
    [
      'a trust bundle by name, even with the signer allowed',
      [projected('ca', { clusterTrustBundle: { name: 'example.com:mesh:root', path: 'ca.pem' } })],
      { allowedSigners: [signer] },
      [
        'volume "ca": projected.sources[0].clusterTrustBundle.name is not allowed in this virtual cluster; select bundles by an allowed signerName',
      ],
    ],
    [
      'a trust bundle by signer, by default',
      [
        projected(
          'ca',
          { configMap: { name: 'x' } },
          { clusterTrustBundle: { signerName: signer, path: 'ca.pem' } },
        ),
      ],
      {},
      [
        'volume "ca": projected.sources[1].clusterTrustBundle.signerName "example.com/mesh" is not an allowed signer in this virtual cluster',
      ],
    ],
    [
      'a trust bundle by an allowed signer',
      [
        projected('ca', {
          clusterTrustBundle: {
            signerName: signer,
            labelSelector: { matchLabels: { a: 'b' } },
            path: 'ca.pem',
          },
        }),
      ],
      { allowedSigners: [signer] },
      [],
    ],
    [
      'a pod certificate, by default',
      [projected('id', certificate(signer))],
      {},
      [
        'volume "id": projected.sources[0].podCertificate.signerName "example.com/mesh" is not an allowed signer in this virtual cluster',
      ],
    ],
    [
      'a pod certificate of another signer',
      [projected('id', certificate('kubernetes.io/kube-apiserver-client-pod'))],
      { allowedSigners: [signer] },
      [
        'volume "id": projected.sources[0].podCertificate.signerName "kubernetes.io/kube-apiserver-client-pod" is not an allowed signer in this virtual cluster',
      ],
    ],
    [
      'a pod certificate of an allowed signer',
      [projected('id', certificate(signer))],
      { allowedSigners: [signer] },
      [],
    ],
    [
      'an inline CSI volume, by default',
      [{ name: 'secrets', csi: { driver: secretsStore } }],
      {},
      [
        'volume "secrets": csi.driver "secrets-store.csi.k8s.io" is not allowed for inline volumes in this virtual cluster',
      ],
    ],
    [
      'an inline CSI volume of another driver',
      [{ name: 'disk', csi: { driver: 'ebs.csi.aws.com', volumeAttributes: { volumeID: 'vol-1' } } }],
      { allowedInlineCsiDrivers: [secretsStore] },
      [
        'volume "disk": csi.driver "ebs.csi.aws.com" is not allowed for inline volumes in this virtual cluster',
      ],
    ],
    [
      'an inline CSI volume of an allowed driver',
      [{ name: 'secrets', csi: { driver: secretsStore } }],
      { allowedInlineCsiDrivers: [secretsStore] },
      [],
    ],
    [
      'a secrets-store volume naming a SecretProviderClass, which would be one of the host namespace',
      [{ name: 'secrets', csi: { driver: secretsStore, volumeAttributes: { secretProviderClass: 'db' } } }],
      { allowedInlineCsiDrivers: [secretsStore] },
      [
        'volume "secrets": csi.volumeAttributes.secretProviderClass names an object of the host namespace, which tenant pods may not do',
      ],
    ],
    [
      "inline volumes of the pod's own objects, scratch space, claims and images",
      [
        { name: 'a', emptyDir: {} },
        { name: 'b', configMap: { name: 'c' } },
        { name: 'c', secret: { secretName: 's' } },
        { name: 'd', downwardAPI: { items: [] } },
        { name: 'e', persistentVolumeClaim: { claimName: 'data' } },
        { name: 'f', ephemeral: { volumeClaimTemplate: { spec: {} } } },
        { name: 'g', image: { reference: 'busybox' } },
        projected('h', certificate(signer)),
      ],
      { allowedSigners: [signer] },
      [],
    ],
    [
      'an inline NFS export or cloud disk, by default',
      [
        { name: 'share', nfs: { server: 'nfs.storage.svc', path: '/exports' } },
        { name: 'disk', awsElasticBlockStore: { volumeID: 'vol-0123' } },
        { name: 'repo', gitRepo: { repository: 'https://example.com/r.git' } },
      ],
      {},
      [
        'volume "share": the inline volume source "nfs" is not allowed in this virtual cluster; use a PersistentVolumeClaim',
        'volume "disk": the inline volume source "awsElasticBlockStore" is not allowed in this virtual cluster; use a PersistentVolumeClaim',
        'volume "repo": the inline volume source "gitRepo" is not allowed in this virtual cluster; use a PersistentVolumeClaim',
      ],
    ],
    [
      'an inline NFS volume where the operator allowed nfs, and a disk where it did not',
      [
        { name: 'share', nfs: { server: 'nfs.storage.svc', path: '/exports' } },
        { name: 'disk', gcePersistentDisk: { pdName: 'other' } },
      ],
      { allowedInlineVolumeSources: ['nfs'] },
      [
        'volume "disk": the inline volume source "gcePersistentDisk" is not allowed in this virtual cluster; use a PersistentVolumeClaim',
      ],
    ],
    [
      'several findings, in order',
      [
        { name: 'disk', csi: { driver: 'ebs.csi.aws.com' } },
        projected('id', certificate(signer), { clusterTrustBundle: { name: 'root', path: 'ca.pem' } }),
      ],
      {},
      [
        'volume "disk": csi.driver "ebs.csi.aws.com" is not allowed for inline volumes in this virtual cluster',
        'volume "id": projected.sources[0].podCertificate.signerName "example.com/mesh" is not an allowed signer in this virtual cluster',
        'volume "id": projected.sources[1].clusterTrustBundle.name is not allowed in this virtual cluster; select bundles by an allowed signerName',
      ],
    ],
  ] as [string, Volume[], PodPolicy, string[]][])('%s', (_what, volumes, policy, expected) => {
    expect(podPolicyViolations(pod(volumes), policy)).toEqual(expected);
  });

  it('never names the bundle a tenant asked for by name (it is a host object)', () => {
    const [message] = podPolicyViolations(
      pod([projected('ca', { clusterTrustBundle: { name: 'host-internal-root', path: 'ca.pem' } })]),
      {},
    );
    expect(message).not.toContain('host-internal-root');
  });
});

describe('podPolicyViolations: fields a newer Kubernetes may add where a pod names objects', () => {
  /** A pod whose first container has these env and envFrom entries, and these volumes. */
  const podWith = (env: unknown[], envFrom: unknown[] = [], volumes: unknown[] = []): Pod =>
    ({
      metadata: { name: 'web', namespace: 'team' },
      spec: { containers: [{ name: 'main', image: 'app:1', env, envFrom }], volumes },
    }) as Pod;
  const refusal = (field: string) =>
    `${field} is a field this syncer does not know, which could name an object of the host namespace; it is not allowed`;

  it('every field Kubernetes 1.37 has there passes', () => {
    const pod = podWith(
      [
        { name: 'a', valueFrom: { secretKeyRef: { name: 's', key: 'k', optional: true } } },
        { name: 'b', valueFrom: { configMapKeyRef: { name: 'c', key: 'k', optional: false } } },
        { name: 'c', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'd', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'e', valueFrom: { fileKeyRef: { volumeName: 'scratch', path: 'env', key: 'E' } } },
      ],
      [{ prefix: 'X_', secretRef: { name: 's', optional: true } }, { configMapRef: { name: 'c' } }],
      [
        {
          name: 's',
          secret: { secretName: 's', items: [{ key: 'k', path: 'p' }], defaultMode: 0o400, optional: true },
        },
        { name: 'c', configMap: { name: 'c', items: [], defaultMode: 0o444, optional: true } },
        { name: 'd', persistentVolumeClaim: { claimName: 'data', readOnly: true } },
        { name: 'e', ephemeral: { volumeClaimTemplate: { spec: {} } } },
        projected(
          'p',
          { secret: { name: 's', items: [], optional: true } },
          { configMap: { name: 'c', items: [], optional: true } },
          { serviceAccountToken: { audience: 'vault', expirationSeconds: 600, path: 't' } },
        ),
      ],
    );
    expect(podPolicyViolations(pod, {})).toEqual([]);
  });

  it('an unknown env or envFrom source, or an unknown field of a key or object reference, is refused, each named', () => {
    const pod = podWith(
      [
        { name: 'a', valueFrom: { hostSecretRef: { name: 'admin-token' } } },
        { name: 'b', valueFrom: { secretKeyRef: { name: 's', key: 'k', namespace: 'kube-system' } } },
      ],
      [{ secretRef: { name: 's', namespace: 'kube-system' } }, { clusterSecretRef: { name: 'x' } }],
    );
    expect(podPolicyViolations(pod, {})).toEqual([
      refusal('containers[0].env[0].valueFrom.hostSecretRef'),
      refusal('containers[0].env[1].valueFrom.secretKeyRef.namespace'),
      refusal('containers[0].envFrom[0].secretRef.namespace'),
      refusal('containers[0].envFrom[1].clusterSecretRef'),
    ]);
  });

  it('an unknown field of a volume source naming an object is refused', () => {
    const pod = podWith(
      [],
      [],
      [
        { name: 's', secret: { secretName: 's', namespace: 'kube-system' } },
        { name: 'd', persistentVolumeClaim: { claimName: 'data', volumeName: 'pv-of-another-tenant' } },
        projected('p', { serviceAccountToken: { path: 't', serviceAccountName: 'host-admin' } } as never),
      ],
    );
    expect(podPolicyViolations(pod, {})).toEqual([
      refusal('volume "s": secret.namespace'),
      refusal('volume "d": persistentVolumeClaim.volumeName'),
      refusal('volume "p": projected.sources[0].serviceAccountToken.serviceAccountName'),
    ]);
  });
});
