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
