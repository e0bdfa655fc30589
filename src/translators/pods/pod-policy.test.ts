import type { Pod, Volume, VolumeProjection } from '../../kube/types.ts';
import { isControlledByAnotherTool, podPolicyViolations, type PodPolicy } from './pod-policy.ts';

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

describe('isControlledByAnotherTool', () => {
  it.each([
    [{}, false],
    [{ metadata: { labels: { app: 'web' } } }, false],
    [{ metadata: { labels: { 'vcluster.loft.sh/controlled-by': 'argo' } } }, true],
    [{ metadata: { labels: { 'vcluster.loft.sh/controlled-by': '' } } }, true],
  ])('%j: %s', (obj, expected) => {
    expect(isControlledByAnotherTool(obj)).toBe(expected);
  });
});
