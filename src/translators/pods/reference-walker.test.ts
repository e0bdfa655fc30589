import type { PodSpec } from '../../kube/types.ts';
import { forEachPodReference, referencedNames, type PodReference } from './reference-walker.ts';

/** What the walker reports, without the setter. */
const refsOf = (spec: Partial<PodSpec>) => {
  const out: Omit<PodReference, 'rename'>[] = [];
  forEachPodReference(spec as PodSpec, ({ rename: _rename, ...ref }) => out.push(ref));
  return out;
};

describe('forEachPodReference', () => {
  it.each([
    [
      'secret volume',
      { volumes: [{ name: 'v', secret: { secretName: 's', optional: true } }] },
      {
        kind: 'Secret',
        name: 's',
        optional: true,
        where: { volume: 'v', field: 'spec.volumes[0].secret.secretName' },
      },
    ],
    [
      'configMap volume',
      { volumes: [{ name: 'v', configMap: { name: 'c' } }] },
      {
        kind: 'ConfigMap',
        name: 'c',
        optional: false,
        where: { volume: 'v', field: 'spec.volumes[0].configMap.name' },
      },
    ],
    [
      'projected secret',
      { volumes: [{ name: 'v', projected: { sources: [{ downwardAPI: {} }, { secret: { name: 's' } }] } }] },
      {
        kind: 'Secret',
        name: 's',
        optional: false,
        where: { volume: 'v', field: 'spec.volumes[0].projected.sources[1].secret.name' },
      },
    ],
    [
      'projected configMap',
      { volumes: [{ name: 'v', projected: { sources: [{ configMap: { name: 'c', optional: true } }] } }] },
      {
        kind: 'ConfigMap',
        name: 'c',
        optional: true,
        where: { volume: 'v', field: 'spec.volumes[0].projected.sources[0].configMap.name' },
      },
    ],
    [
      'PVC volume',
      { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }] },
      {
        kind: 'PersistentVolumeClaim',
        name: 'data',
        optional: false,
        where: { volume: 'v', field: 'spec.volumes[0].persistentVolumeClaim.claimName' },
      },
    ],
    [
      'azureFile secret',
      { volumes: [{ name: 'v', azureFile: { secretName: 'az', shareName: 's' } }] },
      {
        kind: 'Secret',
        name: 'az',
        optional: false,
        where: { volume: 'v', field: 'spec.volumes[0].azureFile.secretName' },
      },
    ],
    ...(
      [
        ['csi', { driver: 'd', nodePublishSecretRef: { name: 'k' } }, 'nodePublishSecretRef'],
        ['flexVolume', { driver: 'd', secretRef: { name: 'k' } }, 'secretRef'],
        ['iscsi', { targetPortal: 'p', iqn: 'i', lun: 0, secretRef: { name: 'k' } }, 'secretRef'],
        ['rbd', { monitors: ['m'], image: 'i', secretRef: { name: 'k' } }, 'secretRef'],
        ['cephfs', { monitors: ['m'], secretRef: { name: 'k' } }, 'secretRef'],
        ['cinder', { volumeID: 'v', secretRef: { name: 'k' } }, 'secretRef'],
        ['scaleIO', { gateway: 'g', system: 's', secretRef: { name: 'k' } }, 'secretRef'],
        ['storageos', { volumeName: 'v', secretRef: { name: 'k' } }, 'secretRef'],
      ] as [string, object, string][]
    ).map(([type, source, field]) => [
      `${type} credential secret`,
      { volumes: [{ name: 'v', [type]: source }] },
      {
        kind: 'Secret',
        name: 'k',
        optional: false,
        where: { volume: 'v', field: `spec.volumes[0].${type}.${field}.name` },
      },
    ]),
    [
      'ephemeral volume snapshot source',
      {
        volumes: [
          {
            name: 'v',
            ephemeral: {
              volumeClaimTemplate: {
                spec: {
                  dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'snap' },
                },
              },
            },
          },
        ],
      },
      {
        kind: 'VolumeSnapshot',
        apiGroup: 'snapshot.storage.k8s.io',
        name: 'snap',
        optional: false,
        where: { volume: 'v', field: 'spec.volumes[0].ephemeral.volumeClaimTemplate.spec.dataSource.name' },
      },
    ],
    [
      'ephemeral volume claim source (dataSourceRef)',
      {
        volumes: [
          {
            name: 'v',
            ephemeral: {
              volumeClaimTemplate: {
                spec: { dataSourceRef: { kind: 'PersistentVolumeClaim', name: 'golden' } },
              },
            },
          },
        ],
      },
      {
        kind: 'PersistentVolumeClaim',
        apiGroup: undefined,
        name: 'golden',
        optional: false,
        where: {
          volume: 'v',
          field: 'spec.volumes[0].ephemeral.volumeClaimTemplate.spec.dataSourceRef.name',
        },
      },
    ],
    [
      'env secretKeyRef of an init container',
      {
        initContainers: [
          { name: 'i', env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] },
        ],
      },
      {
        kind: 'Secret',
        name: 's',
        optional: false,
        where: { container: 'i', field: 'spec.initContainers[0].env[0].valueFrom.secretKeyRef.name' },
      },
    ],
    [
      'env configMapKeyRef of a container',
      {
        containers: [
          {
            name: 'c',
            env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'm', key: 'k', optional: true } } }],
          },
        ],
      },
      {
        kind: 'ConfigMap',
        name: 'm',
        optional: true,
        where: { container: 'c', field: 'spec.containers[0].env[0].valueFrom.configMapKeyRef.name' },
      },
    ],
    [
      'envFrom secretRef of an ephemeral container',
      { ephemeralContainers: [{ name: 'debug', envFrom: [{ secretRef: { name: 's' } }] }] },
      {
        kind: 'Secret',
        name: 's',
        optional: false,
        where: { container: 'debug', field: 'spec.ephemeralContainers[0].envFrom[0].secretRef.name' },
      },
    ],
    [
      'envFrom configMapRef of an ephemeral container',
      { ephemeralContainers: [{ name: 'debug', envFrom: [{ configMapRef: { name: 'm' } }] }] },
      {
        kind: 'ConfigMap',
        name: 'm',
        optional: false,
        where: { container: 'debug', field: 'spec.ephemeralContainers[0].envFrom[0].configMapRef.name' },
      },
    ],
    [
      'image pull secret (optional to a kubelet)',
      { imagePullSecrets: [{ name: 'reg' }] },
      { kind: 'Secret', name: 'reg', optional: true, where: { field: 'spec.imagePullSecrets[0].name' } },
    ],
    [
      'resource claim',
      { resourceClaims: [{ name: 'gpu', resourceClaimName: 'shared' }] },
      {
        kind: 'ResourceClaim',
        apiGroup: 'resource.k8s.io',
        name: 'shared',
        optional: false,
        where: { field: 'spec.resourceClaims[0].resourceClaimName' },
      },
    ],
  ] as [string, Partial<PodSpec>, Omit<PodReference, 'rename'>][])('visits a %s', (_what, spec, expected) => {
    expect(refsOf(spec)).toEqual([expected]);
  });

  it('never visits a resource claim template: the host pod names the claim made from it (resource-claims.ts)', () => {
    expect(refsOf({ resourceClaims: [{ name: 'gpu', resourceClaimTemplateName: 'tpl' }] })).toEqual([]);
  });

  it('visits nothing for an empty spec, nameless references or tokens', () => {
    expect(refsOf({})).toEqual([]);
    forEachPodReference(undefined, () => {
      throw new Error('visited');
    });
    expect(
      refsOf({
        volumes: [
          { name: 'e', emptyDir: {} },
          { name: 't', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
          { name: 's', secret: {} },
        ],
        imagePullSecrets: [{}],
        resourceClaims: [{ name: 'unset' }],
      }),
    ).toEqual([]);
  });

  it('walks volumes, then init, regular and ephemeral containers, then pull secrets and claims', () => {
    const order = refsOf({
      resourceClaims: [{ name: 'r', resourceClaimName: 'claim' }],
      imagePullSecrets: [{ name: 'pull' }],
      ephemeralContainers: [{ name: 'e', envFrom: [{ secretRef: { name: 'eph' } }] }],
      containers: [{ name: 'c', envFrom: [{ secretRef: { name: 'main' } }] }],
      initContainers: [{ name: 'i', envFrom: [{ secretRef: { name: 'init' } }] }],
      volumes: [{ name: 'v', secret: { secretName: 'vol' } }],
    }).map((r) => r.name);
    expect(order).toEqual(['vol', 'init', 'main', 'eph', 'pull', 'claim']);
  });

  it('renames every reference in place', () => {
    const spec = {
      volumes: [
        { name: 'a', secret: { secretName: 's' } },
        { name: 'b', csi: { driver: 'd', nodePublishSecretRef: { name: 'k' } } },
        { name: 'c', projected: { sources: [{ configMap: { name: 'm' } }] } },
        {
          name: 'd',
          ephemeral: {
            volumeClaimTemplate: {
              spec: {
                dataSource: { kind: 'PersistentVolumeClaim', name: 'p' },
                dataSourceRef: { kind: 'PersistentVolumeClaim', name: 'p' },
              },
            },
          },
        },
      ],
      containers: [{ name: 'x', env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }],
      ephemeralContainers: [{ name: 'y', envFrom: [{ configMapRef: { name: 'm' } }] }],
      imagePullSecrets: [{ name: 'r' }],
      resourceClaims: [{ name: 'g', resourceClaimName: 'c' }],
    } as PodSpec;
    let count = 0;
    forEachPodReference(spec, (ref) => {
      count++;
      ref.rename(`host-${ref.name}`);
    });
    expect(count).toBe(9);
    expect(refsOf(spec).every((r) => r.name.startsWith('host-'))).toBe(true);
    expect(spec.volumes?.[3]?.ephemeral?.volumeClaimTemplate?.spec.dataSourceRef).toEqual({
      kind: 'PersistentVolumeClaim',
      name: 'host-p',
    });
    expect(spec.imagePullSecrets).toEqual([{ name: 'host-r' }]);
  });
});

describe('referencedNames', () => {
  const spec = {
    volumes: [
      { name: 'a', secret: { secretName: 's1' } },
      { name: 'b', persistentVolumeClaim: { claimName: 'p1' } },
      {
        name: 'c',
        ephemeral: {
          volumeClaimTemplate: {
            spec: { dataSource: { apiGroup: 'example.com', kind: 'PersistentVolumeClaim', name: 'custom' } },
          },
        },
      },
    ],
    containers: [{ name: 'x', envFrom: [{ secretRef: { name: 's1' } }, { secretRef: { name: 's2' } }] }],
  } as PodSpec;

  it('lists distinct names of one kind in walk order', () => {
    expect(referencedNames(spec, 'Secret')).toEqual(['s1', 's2']);
  });

  it('counts a custom group reusing a core kind name as that group only', () => {
    expect(referencedNames(spec, 'PersistentVolumeClaim')).toEqual(['p1']);
    expect(referencedNames(spec, 'PersistentVolumeClaim', 'example.com')).toEqual(['custom']);
  });
});
