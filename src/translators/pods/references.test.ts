import { missingReferenceMessage, missingReferences } from './references.ts';

describe('missingReferences', () => {
  const pod = {
    spec: {
      volumes: [
        { name: 'creds', secret: { secretName: 'db-creds' } },
        { name: 'opt', secret: { secretName: 'maybe', optional: true } },
        { name: 'cfg', configMap: { name: 'app-config' } },
        {
          name: 'proj',
          projected: {
            sources: [{ configMap: { name: 'kube-root-ca.crt' } }, { secret: { name: 'proj-secret' } }],
          },
        },
      ],
      containers: [
        {
          env: [{ valueFrom: { secretKeyRef: { name: 'api-key' } } }],
          envFrom: [{ configMapRef: { name: 'env-cm' } }, { secretRef: { name: 'opt-env', optional: true } }],
        },
      ],
    },
  };

  it('lists only missing, non-optional references with the volume that mounts them', () => {
    const present = new Set(['configmap/app-config', 'configmap/kube-root-ca.crt']);
    expect(missingReferences(pod, (kind, name) => present.has(`${kind}/${name}`))).toEqual([
      { kind: 'secret', name: 'db-creds', volume: 'creds' },
      { kind: 'secret', name: 'proj-secret', volume: 'proj' },
      { kind: 'secret', name: 'api-key', volume: undefined },
      { kind: 'configmap', name: 'env-cm', volume: undefined },
    ]);
  });

  it('is empty when everything exists', () => {
    expect(missingReferences(pod, () => true)).toEqual([]);
  });

  it('words messages like the kubelet', () => {
    expect(missingReferenceMessage({ kind: 'secret', name: 'db-creds', volume: 'creds' })).toEqual({
      reason: 'FailedMount',
      message: 'MountVolume.SetUp failed for volume "creds" : secret "db-creds" not found',
    });
    expect(missingReferenceMessage({ kind: 'configmap', name: 'env-cm' }).message).toBe(
      'Error: configmap "env-cm" not found',
    );
  });
});

describe('missingReferences: every kubelet-blocking reference', () => {
  const pod = {
    spec: {
      volumes: [
        { name: 'csi', csi: { driver: 'd', nodePublishSecretRef: { name: 'csi-creds' } } },
        { name: 'flex', flexVolume: { driver: 'd', secretRef: { name: 'flex-creds' } } },
        { name: 'az', azureFile: { secretName: 'az-creds', shareName: 's' } },
        { name: 'data', persistentVolumeClaim: { claimName: 'missing-claim' } },
      ],
      initContainers: [{ name: 'i', envFrom: [{ configMapRef: { name: 'init-cm' } }] }],
      ephemeralContainers: [
        { name: 'debug', env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'dbg' } } }] },
      ],
      imagePullSecrets: [{ name: 'registry' }],
      resourceClaims: [{ name: 'gpu', resourceClaimName: 'missing-gpu' }],
    },
  };

  it('reports credential secrets, init and ephemeral containers; not pull secrets, claims or PVCs', () => {
    expect(missingReferences(pod, () => false)).toEqual([
      { kind: 'secret', name: 'csi-creds', volume: 'csi' },
      { kind: 'secret', name: 'flex-creds', volume: 'flex' },
      { kind: 'secret', name: 'az-creds', volume: 'az' },
      { kind: 'configmap', name: 'init-cm', volume: undefined },
      { kind: 'secret', name: 'dbg', volume: undefined },
    ]);
  });

  it('reports a secret once per volume or once for env', () => {
    const twice = {
      spec: {
        volumes: [
          { name: 'v', projected: { sources: [{ secret: { name: 's' } }, { secret: { name: 's' } }] } },
        ],
        containers: [
          { envFrom: [{ secretRef: { name: 's' } }] },
          { envFrom: [{ secretRef: { name: 's' } }] },
        ],
      },
    };
    expect(missingReferences(twice, () => false)).toEqual([
      { kind: 'secret', name: 's', volume: 'v' },
      { kind: 'secret', name: 's', volume: undefined },
    ]);
  });

  it('asks about a data source of a custom kind never', () => {
    const custom = {
      spec: {
        volumes: [
          {
            name: 'v',
            ephemeral: {
              volumeClaimTemplate: {
                spec: { dataSource: { apiGroup: 'x.io', kind: 'constructor', name: 'n' } },
              },
            },
          },
        ],
      },
    };
    const asked: string[] = [];
    expect(missingReferences(custom, (kind, name) => (asked.push(`${kind}/${name}`), false))).toEqual([]);
    expect(asked).toEqual([]);
  });
});
