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
