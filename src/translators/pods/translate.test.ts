import { parseImageTranslations } from './image-translation.ts';
import { serviceLinkEnv } from './service-env.ts';
import { withoutHostOwnedGates } from './spec-record.ts';
import { markedDebugContainer } from './debug-containers.ts';
import { createHash } from 'node:crypto';
import type { Pod } from '../../kube/types.ts';
import { scrubHostNames } from '../../sync/scrub.ts';
import { hostKeyForReservedLabel } from '../../naming/labels.ts';
import { isDeniedMetadataKey } from '../../naming/denied-metadata.ts';
import {
  DEFAULT_DENIED_POD_METADATA_KEYS,
  DEFAULT_HOSTS_REWRITE_IMAGE,
  podStatusForVirtual,
  podUpdatesForHost,
  referencedConfigMaps,
  referencedPVCs,
  referencedSecrets,
  translatePodToHost,
  type PodTranslationContext,
} from './translate.ts';

const h10 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 10);
const ctx: PodTranslationContext = {
  vcName: 'vc1',
  hostNamespace: 'host-ns',
  virtualNamespaceLabels: { env: 'prod' },
  workloadServiceAccount: 'vc-workload-vc1',
  dnsServiceIP: '10.96.0.10',
  clusterDomain: 'cluster.local',
  virtualApiServiceIP: '10.96.0.50',
  virtualApiServicePort: 443,
  serviceEnv: [{ name: 'DB_SERVICE_HOST', value: '10.96.0.9' }],
  enforcedTolerations: [{ key: 'tenant', operator: 'Exists', effect: 'NoSchedule' }],
  tokenSourceFor: (volume, index) => ({
    name: index === 0 ? `web-x-team-x-vc1-token-${volume}` : `web-x-team-x-vc1-token-${volume}.${index}`,
    key: 'token',
  }),
  deniedMetadataKeys: DEFAULT_DENIED_POD_METADATA_KEYS,
};
const hn = (n: string) => `${n}-x-team-x-vc1`;
/** The names the host pod's /etc/hosts gives the virtual API service (its full name first). */
const API_ALIASES = [
  'kubernetes.default.svc.cluster.local',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
];

function pod(
  spec: Partial<NonNullable<Pod['spec']>> = {},
  labels: Record<string, string> = { app: 'web' },
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'team', uid: 'uid-1', labels, annotations: { note: 'kept' } },
    spec: { containers: [{ name: 'main', image: 'app:1' }], ...spec },
  };
}

describe('translatePodToHost', () => {
  it('renames the pod, translates labels and adds vCluster annotations', () => {
    const host = translatePodToHost(pod({}, { app: 'web', release: 'r1' }), ctx);
    expect(host.metadata?.name).toBe('web-x-team-x-vc1');
    expect(host.metadata?.namespace).toBe('host-ns');
    expect(host.metadata?.labels).toEqual({
      app: 'web',
      [`vcluster.loft.sh/label-vc1-x-${h10('release')}`]: 'r1',
      'vcluster.loft.sh/managed-by': 'vc1',
      'vcluster.loft.sh/namespace': 'team',
      [`vcluster.loft.sh/ns-label-vc1-x-${h10('env')}`]: 'prod',
    });
    expect(host.metadata?.annotations).toMatchObject({
      note: 'kept',
      'vcluster.loft.sh/object-name': 'web',
      'vcluster.loft.sh/object-namespace': 'team',
      'vcluster.loft.sh/object-uid': 'uid-1',
      'vcluster.loft.sh/object-kind': '/v1, Kind=Pod',
      'vcluster.loft.sh/name': 'web',
      'vcluster.loft.sh/namespace': 'team',
      'vcluster.loft.sh/uid': 'uid-1',
      'vcluster.loft.sh/service-account-name': 'default',
      'vcluster.loft.sh/labels': 'app="web"\nrelease="r1"',
    });
  });

  it('runs as the workload service account with no host token', () => {
    const host = translatePodToHost(
      pod({ serviceAccountName: 'builder', automountServiceAccountToken: true }),
      ctx,
    );
    expect(host.spec?.serviceAccountName).toBe('vc-workload-vc1');
    expect(host.spec?.automountServiceAccountToken).toBe(false);
    expect(host.metadata?.annotations?.['vcluster.loft.sh/service-account-name']).toBe('builder');
  });

  it.each([
    [
      'configMap volume',
      { volumes: [{ name: 'v', configMap: { name: 'cfg' } }] },
      (p: Pod) => p.spec?.volumes?.[0]?.configMap?.name,
      hn('cfg'),
    ],
    [
      'secret volume',
      { volumes: [{ name: 'v', secret: { secretName: 's' } }] },
      (p: Pod) => p.spec?.volumes?.[0]?.secret?.secretName,
      hn('s'),
    ],
    [
      'PVC volume',
      { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }] },
      (p: Pod) => p.spec?.volumes?.[0]?.persistentVolumeClaim?.claimName,
      hn('data'),
    ],
    [
      'projected configMap',
      { volumes: [{ name: 'v', projected: { sources: [{ configMap: { name: 'kube-root-ca.crt' } }] } }] },
      (p: Pod) => p.spec?.volumes?.[0]?.projected?.sources?.[0]?.configMap?.name,
      hn('kube-root-ca.crt'),
    ],
    [
      'projected secret',
      { volumes: [{ name: 'v', projected: { sources: [{ secret: { name: 'ps' } }] } }] },
      (p: Pod) => p.spec?.volumes?.[0]?.projected?.sources?.[0]?.secret?.name,
      hn('ps'),
    ],
    [
      'env secretKeyRef',
      {
        containers: [
          { name: 'c', env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] },
        ],
      },
      (p: Pod) => p.spec?.containers[0]?.env?.find((e) => e.name === 'A')?.valueFrom?.secretKeyRef?.name,
      hn('s'),
    ],
    [
      'env configMapKeyRef',
      {
        containers: [
          { name: 'c', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }] },
        ],
      },
      (p: Pod) => p.spec?.containers[0]?.env?.find((e) => e.name === 'A')?.valueFrom?.configMapKeyRef?.name,
      hn('cm'),
    ],
    [
      'envFrom secretRef',
      { containers: [{ name: 'c', envFrom: [{ secretRef: { name: 's' } }] }] },
      (p: Pod) => p.spec?.containers[0]?.envFrom?.[0]?.secretRef?.name,
      hn('s'),
    ],
    [
      'envFrom configMapRef in an init container',
      { initContainers: [{ name: 'i', envFrom: [{ configMapRef: { name: 'cm' } }] }] },
      (p: Pod) => p.spec?.initContainers?.[0]?.envFrom?.[0]?.configMapRef?.name,
      hn('cm'),
    ],
    [
      'env secretKeyRef in an ephemeral container',
      {
        ephemeralContainers: [
          { name: 'debug', env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] },
        ],
      },
      (p: Pod) =>
        p.spec?.ephemeralContainers?.[0]?.env?.find((e) => e.name === 'A')?.valueFrom?.secretKeyRef?.name,
      hn('s'),
    ],
    [
      'envFrom configMapRef in an ephemeral container',
      { ephemeralContainers: [{ name: 'debug', envFrom: [{ configMapRef: { name: 'cm' } }] }] },
      (p: Pod) => p.spec?.ephemeralContainers?.[0]?.envFrom?.[0]?.configMapRef?.name,
      hn('cm'),
    ],
    [
      'image pull secret',
      { imagePullSecrets: [{ name: 'reg' }] },
      (p: Pod) => p.spec?.imagePullSecrets?.[0]?.name,
      hn('reg'),
    ],
    [
      'downward API env',
      {
        containers: [
          { name: 'c', env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] },
        ],
      },
      (p: Pod) => p.spec?.containers[0]?.env?.find((e) => e.name === 'N')?.valueFrom?.fieldRef?.fieldPath,
      "metadata.annotations['vcluster.loft.sh/name']",
    ],
    [
      'downward API volume',
      {
        volumes: [
          { name: 'v', downwardAPI: { items: [{ path: 'l', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        ],
      },
      (p: Pod) => p.spec?.volumes?.[0]?.downwardAPI?.items?.[0]?.fieldRef?.fieldPath,
      "metadata.annotations['vcluster.loft.sh/labels']",
    ],
    [
      'downward API env of a reserved label (kept hashed on the host)',
      {
        containers: [
          {
            name: 'c',
            env: [{ name: 'R', valueFrom: { fieldRef: { fieldPath: "metadata.labels['release']" } } }],
          },
        ],
      },
      (p: Pod) => p.spec?.containers[0]?.env?.find((e) => e.name === 'R')?.valueFrom?.fieldRef?.fieldPath,
      `metadata.labels['${hostKeyForReservedLabel('release', ctx.vcName)}']`,
    ],
    [
      "downward API env of one of the syncer's own annotations (its host name and namespace): read as unset",
      {
        containers: [
          {
            name: 'c',
            env: [
              {
                name: 'H',
                valueFrom: {
                  fieldRef: { fieldPath: "metadata.annotations['vcluster.loft.sh/object-host-namespace']" },
                },
              },
            ],
          },
        ],
      },
      (p: Pod) => p.spec?.containers[0]?.env?.find((e) => e.name === 'H')?.valueFrom?.fieldRef?.fieldPath,
      "metadata.annotations['vsyncer.dev/unset']",
    ],
    [
      "downward API volume of the tenant's own annotation (unchanged)",
      {
        volumes: [
          {
            name: 'v',
            downwardAPI: {
              items: [{ path: 'a', fieldRef: { fieldPath: "metadata.annotations['team/owner']" } }],
            },
          },
        ],
      },
      (p: Pod) => p.spec?.volumes?.[0]?.downwardAPI?.items?.[0]?.fieldRef?.fieldPath,
      "metadata.annotations['team/owner']",
    ],
    [
      'downward API volume of an ordinary label (unchanged)',
      {
        volumes: [
          {
            name: 'v',
            downwardAPI: { items: [{ path: 'a', fieldRef: { fieldPath: "metadata.labels['app']" } }] },
          },
        ],
      },
      (p: Pod) => p.spec?.volumes?.[0]?.downwardAPI?.items?.[0]?.fieldRef?.fieldPath,
      "metadata.labels['app']",
    ],
  ] as [string, Partial<NonNullable<Pod['spec']>>, (p: Pod) => unknown, unknown][])(
    'renames %s',
    (_what, spec, read, expected) => {
      expect(read(translatePodToHost(pod(spec), ctx))).toBe(expected);
    },
  );

  it("shows a downward-API file of the whole annotations the virtual pod's, not the host pod's", () => {
    const reading = pod({
      volumes: [
        {
          name: 'info',
          downwardAPI: { items: [{ path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } }] },
        },
      ],
    });
    reading.metadata!.annotations = { note: 'kept', 'a.example/q': 'say "hi"\n' };
    const host = translatePodToHost(reading, ctx);
    expect(host.spec?.volumes?.[0]?.downwardAPI?.items?.[0]?.fieldRef?.fieldPath).toBe(
      "metadata.annotations['vsyncer.dev/annotations']",
    );
    expect(host.metadata?.annotations?.['vsyncer.dev/annotations']).toBe(
      'a.example/q="say \\"hi\\"\\n"\nnote="kept"',
    );
    // A pod that does not read them whole carries no such copy.
    expect(translatePodToHost(pod(), ctx).metadata?.annotations).not.toHaveProperty(
      'vsyncer.dev/annotations',
    );
  });

  it('leaves out an annotations rendering that would take the host pod past the API server limit', () => {
    const reading = pod({
      volumes: [
        {
          name: 'info',
          projected: {
            sources: [
              { downwardAPI: { items: [{ path: 'a', fieldRef: { fieldPath: 'metadata.annotations' } }] } },
            ],
          },
        },
      ],
    });
    reading.metadata!.annotations = { big: 'x'.repeat(120 * 1024) };
    const host = translatePodToHost(reading, ctx);
    expect(host.metadata?.annotations).not.toHaveProperty('vsyncer.dev/annotations');
    expect(host.metadata?.annotations?.big).toHaveLength(120 * 1024);
    // The file is empty then, never the host pod's annotations.
    expect(
      host.spec?.volumes?.[0]?.projected?.sources?.[0]?.downwardAPI?.items?.[0]?.fieldRef?.fieldPath,
    ).toBe("metadata.annotations['vsyncer.dev/annotations']");
  });

  it('replaces projected service-account tokens with the secret that holds a virtual token', () => {
    const host = translatePodToHost(
      pod({
        volumes: [
          {
            name: 'kube-api-access-x',
            projected: {
              sources: [
                { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
                { configMap: { name: 'kube-root-ca.crt' } },
              ],
            },
          },
        ],
      }),
      ctx,
    );
    expect(host.spec?.volumes?.[0]?.projected?.sources).toEqual([
      {
        secret: {
          name: 'web-x-team-x-vc1-token-kube-api-access-x',
          items: [{ key: 'token', path: 'token' }],
        },
      },
      { configMap: { name: hn('kube-root-ca.crt') } },
    ]);
  });

  // Every one of these names a Secret (or claim) of the pod's namespace; left alone it would name a host object.
  it.each([
    ['csi', { driver: 'd', nodePublishSecretRef: { name: 'creds' } }, 'nodePublishSecretRef'],
    ['flexVolume', { driver: 'd', secretRef: { name: 'creds' } }, 'secretRef'],
    ['iscsi', { targetPortal: 'p', iqn: 'i', lun: 0, secretRef: { name: 'creds' } }, 'secretRef'],
    ['rbd', { monitors: ['m'], image: 'i', secretRef: { name: 'creds' } }, 'secretRef'],
    ['cephfs', { monitors: ['m'], secretRef: { name: 'creds' } }, 'secretRef'],
    ['cinder', { volumeID: 'v', secretRef: { name: 'creds' } }, 'secretRef'],
    ['scaleIO', { gateway: 'g', system: 's', secretRef: { name: 'creds' } }, 'secretRef'],
    ['storageos', { volumeName: 'v', secretRef: { name: 'creds' } }, 'secretRef'],
  ] as [string, Record<string, unknown>, string][])(
    'renames the credentials secret of a %s volume, and syncs it',
    (type, source, refField) => {
      const virtual = pod({ volumes: [{ name: 'data', [type]: source }] });
      const host = translatePodToHost(virtual, ctx);
      const hostSource = (
        host.spec?.volumes?.[0] as unknown as Record<string, Record<string, { name: string }>>
      )[type]!;
      expect(hostSource[refField]).toEqual({ name: hn('creds') });
      expect(referencedSecrets(virtual as never)).toEqual(['creds']);
    },
  );

  it('renames the secret of an azureFile volume', () => {
    const virtual = pod({ volumes: [{ name: 'f', azureFile: { secretName: 'azure', shareName: 's' } }] });
    expect(translatePodToHost(virtual, ctx).spec?.volumes?.[0]?.azureFile?.secretName).toBe(hn('azure'));
    expect(referencedSecrets(virtual as never)).toEqual(['azure']);
  });

  it('mounts a generic ephemeral volume as the host copy of the claim the virtual cluster made for it', () => {
    const virtual = pod({
      volumes: [
        {
          name: 'scratch',
          ephemeral: {
            volumeClaimTemplate: {
              spec: {
                accessModes: ['ReadWriteOnce'],
                resources: { requests: { storage: '1Gi' } },
                dataSource: { kind: 'PersistentVolumeClaim', name: 'golden' },
              },
            },
          },
        },
      ],
    });
    // The claim is `<pod>-<volume>`; its data source is the claims kind's to judge, as for any claim.
    expect(translatePodToHost(virtual, ctx).spec?.volumes).toEqual([
      { name: 'scratch', persistentVolumeClaim: { claimName: hn('web-scratch') } },
    ]);
  });

  it('stores a tenant label under the vcluster.loft.sh/ prefix hashed, so it cannot forge a namespace label', () => {
    const forged = `vcluster.loft.sh/ns-label-vc1-x-${h10('env')}`;
    const host = translatePodToHost(pod({}, { app: 'web', [forged]: 'prod' }), {
      ...ctx,
      virtualNamespaceLabels: {},
    });
    expect(host.metadata?.labels?.[forged]).toBeUndefined();
    expect(host.metadata?.labels?.[`vcluster.loft.sh/label-vc1-x-${h10(forged)}`]).toBe('prod');
  });

  it("makes a dotted pod name's dots dashes for the hostname (one DNS label, as vCluster's), at most 63 characters", () => {
    const virtual = pod();
    virtual.metadata!.name = 'web.v1';
    expect(translatePodToHost(virtual, ctx).spec?.hostname).toBe('web-v1');
    virtual.metadata!.name = `${'a'.repeat(62)}.b`;
    expect(translatePodToHost(virtual, ctx).spec?.hostname).toBe('a'.repeat(62));
  });

  it('keeps a term or spread constraint without a label selector matching nothing', () => {
    const host = translatePodToHost(
      pod({
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { topologyKey: 'kubernetes.io/hostname', namespaces: ['other'] },
            ],
          },
        },
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }],
      }),
      ctx,
    );
    expect(host.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0]).toEqual(
      { topologyKey: 'kubernetes.io/hostname' },
    );
    expect(host.spec?.topologySpreadConstraints?.[0]?.labelSelector).toBeUndefined();
  });

  it("enforces the host admin's node selector: labels with values in nodeSelector (over the tenant's), bare keys as required affinity", () => {
    const enforced = { ...ctx, enforcedNodeSelector: [{ key: 'pool', value: 'tenants' }, { key: 'gpu' }] };
    const host = translatePodToHost(
      pod({
        nodeSelector: { pool: 'other', zone: 'a' },
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
                { matchExpressions: [{ key: 'disk', operator: 'In', values: ['nvme'] }] },
              ],
            },
          },
        },
      }),
      enforced,
    );
    expect(host.spec?.nodeSelector).toEqual({ pool: 'tenants', zone: 'a' });
    expect(
      host.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
    ).toEqual([
      {
        matchExpressions: [
          { key: 'disk', operator: 'In', values: ['ssd'] },
          { key: 'gpu', operator: 'Exists' },
        ],
      },
      {
        matchExpressions: [
          { key: 'disk', operator: 'In', values: ['nvme'] },
          { key: 'gpu', operator: 'Exists' },
        ],
      },
    ]);
    // A pod without affinity gets the requirement as its only term; a tenant's nodeName is ANDed in.
    const pinned = translatePodToHost(pod({ nodeName: 'node-1' }), enforced);
    expect(
      pinned.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
    ).toEqual([
      {
        matchExpressions: [{ key: 'gpu', operator: 'Exists' }],
        matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }],
      },
    ]);
  });

  it("tells the host's cluster autoscaler and tools what owns the pod, as vCluster does; a tenant's own value wins", () => {
    const owned = pod();
    owned.metadata!.ownerReferences = [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d4', uid: 'rs-1', controller: true },
    ];
    const annotations = translatePodToHost(owned, ctx).metadata?.annotations ?? {};
    expect(annotations['cluster-autoscaler.kubernetes.io/safe-to-evict']).toBe('true');
    expect(annotations['cluster-autoscaler.kubernetes.io/daemonset-pod']).toBeUndefined();
    expect(annotations['vcluster.loft.sh/owner-set-kind']).toBe('ReplicaSet');
    expect(JSON.parse(annotations['vcluster.loft.sh/owner-references']!)).toEqual(
      owned.metadata!.ownerReferences,
    );

    const daemon = pod();
    daemon.metadata!.ownerReferences = [
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-1', controller: true },
    ];
    expect(translatePodToHost(daemon, ctx).metadata?.annotations).toMatchObject({
      'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true',
      'cluster-autoscaler.kubernetes.io/daemonset-pod': 'true',
      'vcluster.loft.sh/owner-set-kind': 'DaemonSet',
    });

    const bare = translatePodToHost(pod(), ctx).metadata?.annotations ?? {};
    expect(bare['cluster-autoscaler.kubernetes.io/safe-to-evict']).toBe('false');
    expect(bare['vcluster.loft.sh/owner-references']).toBeUndefined();
    // A bare pod's own owner annotations would pass it off as a workload's to host tools.
    const forged = pod();
    forged.metadata!.annotations = {
      'vcluster.loft.sh/owner-references': JSON.stringify([{ kind: 'StatefulSet', name: 'db' }]),
      'vcluster.loft.sh/owner-set-kind': 'StatefulSet',
    };
    const forgedOnHost = translatePodToHost(forged, ctx).metadata?.annotations ?? {};
    expect(forgedOnHost['vcluster.loft.sh/owner-references']).toBeUndefined();
    expect(forgedOnHost['vcluster.loft.sh/owner-set-kind']).toBeUndefined();

    const pinned = pod();
    pinned.metadata!.annotations = { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true' };
    expect(
      translatePodToHost(pinned, ctx).metadata?.annotations?.[
        'cluster-autoscaler.kubernetes.io/safe-to-evict'
      ],
    ).toBe('true');
  });

  it('renames dynamic resource claims; a template becomes the claim the virtual cluster made from it', () => {
    const withTemplate = pod({
      resourceClaims: [
        { name: 'gpu', resourceClaimName: 'shared-gpu' },
        { name: 'tmp', resourceClaimTemplateName: 'gpu-template' },
      ],
    });
    // Not made yet (the pods kind waits for it before the host pod is made): nothing a copy can be named.
    expect(translatePodToHost(withTemplate, ctx).spec?.resourceClaims?.[1]).toEqual({
      name: 'tmp',
      resourceClaimName: expect.stringMatching(/^vsyncer-absent-[0-9a-f]{20}$/),
    });
    const host = translatePodToHost(
      {
        ...withTemplate,
        status: { resourceClaimStatuses: [{ name: 'tmp', resourceClaimName: 'web-tmp-x7k2q' }] },
      },
      ctx,
    );
    expect(host.spec?.resourceClaims).toEqual([
      { name: 'gpu', resourceClaimName: hn('shared-gpu') },
      { name: 'tmp', resourceClaimName: hn('web-tmp-x7k2q') },
    ]);
  });

  it('points DNS at the virtual cluster DNS service', () => {
    const host = translatePodToHost(pod(), ctx);
    expect(host.spec?.dnsPolicy).toBe('None');
    expect(host.spec?.dnsConfig).toEqual({
      nameservers: ['10.96.0.10'],
      searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      options: [{ name: 'ndots', value: '5' }],
    });
  });

  it("leaves a dnsPolicy Default pod on its node's resolver, as any cluster does (CoreDNS forwards there)", () => {
    const host = translatePodToHost(pod({ dnsPolicy: 'Default' }), { ...ctx, dnsServiceIP: '' });
    expect(host.spec?.dnsPolicy).toBe('Default');
    expect(host.spec?.dnsConfig).toBeUndefined();
  });

  it("merges the pod's own dnsConfig after the cluster's, as the kubelet does for ClusterFirst", () => {
    const host = translatePodToHost(
      pod({
        dnsConfig: {
          nameservers: ['1.1.1.1', '10.96.0.10'],
          searches: ['corp', 'cluster.local'],
          options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
        },
      }),
      ctx,
    );
    expect(host.spec?.dnsPolicy).toBe('None');
    expect(host.spec?.dnsConfig).toEqual({
      nameservers: ['10.96.0.10', '1.1.1.1'],
      searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp'],
      options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
    });
  });

  it('keeps at most three nameservers, the cluster DNS first (the API server refuses more)', () => {
    const host = translatePodToHost(
      pod({ dnsConfig: { nameservers: ['1.1.1.1', '8.8.8.8', '9.9.9.9'] } }),
      ctx,
    );
    expect(host.spec?.dnsConfig?.nameservers).toEqual(['10.96.0.10', '1.1.1.1', '8.8.8.8']);
  });

  it('keeps the merged search list within the API server limits (32 entries, 2048 characters)', () => {
    const many = Array.from({ length: 30 }, (_, i) => `s${i}.example.com`);
    const searches = translatePodToHost(pod({ dnsConfig: { searches: many } }), ctx).spec?.dnsConfig
      ?.searches;
    expect(searches).toHaveLength(32);
    expect(searches?.slice(0, 3)).toEqual(['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local']);
    const long = Array.from({ length: 10 }, (_, i) => `${String(i).padEnd(250, 'x')}.example.com`);
    const cut =
      translatePodToHost(pod({ dnsConfig: { searches: long } }), ctx).spec?.dnsConfig?.searches ?? [];
    expect(cut.join(' ').length).toBeLessThanOrEqual(2048);
    expect(cut.length).toBeGreaterThan(3);
  });

  it('leaves a dnsPolicy None pod with exactly the resolvers it names', () => {
    const dnsConfig = {
      nameservers: ['1.1.1.1'],
      searches: ['corp'],
      options: [{ name: 'ndots', value: '1' }],
    };
    const host = translatePodToHost(pod({ dnsPolicy: 'None', dnsConfig }), { ...ctx, dnsServiceIP: '' });
    expect(host.spec?.dnsPolicy).toBe('None');
    expect(host.spec?.dnsConfig).toEqual(dnsConfig);
  });

  it('gives a host-network pod the cluster DNS only with ClusterFirstWithHostNet', () => {
    const withHostNet = translatePodToHost(
      pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }),
      ctx,
    );
    expect(withHostNet.spec?.dnsConfig?.nameservers).toEqual(['10.96.0.10']);
    const clusterFirst = translatePodToHost(pod({ hostNetwork: true }), { ...ctx, dnsServiceIP: '' });
    expect(clusterFirst.spec?.dnsPolicy).toBeUndefined();
    expect(clusterFirst.spec?.dnsConfig).toBeUndefined();
  });

  it('points the kubernetes service at the virtual API, rebuilds service links, user env wins', () => {
    const host = translatePodToHost(
      pod({ containers: [{ name: 'c', env: [{ name: 'DB_SERVICE_HOST', value: 'mine' }] }] }),
      ctx,
    );
    const env = host.spec?.containers[0]?.env ?? [];
    expect(env).toContainEqual({ name: 'KUBERNETES_SERVICE_HOST', value: '10.96.0.50' });
    expect(env).toContainEqual({ name: 'KUBERNETES_SERVICE_PORT', value: '443' });
    expect(env.filter((e) => e.name === 'DB_SERVICE_HOST')).toEqual([
      { name: 'DB_SERVICE_HOST', value: 'mine' },
    ]);
    expect(host.spec?.enableServiceLinks).toBe(false);
    expect(host.spec?.hostAliases).toEqual([
      {
        ip: '10.96.0.50',
        hostnames: API_ALIASES,
      },
    ]);
  });

  it("keeps a tenant's own names for the virtual API's address, in the one entry for it; other aliases as they are", () => {
    const host = translatePodToHost(
      pod({
        containers: [{ name: 'c' }],
        hostAliases: [
          { ip: '10.96.0.50', hostnames: ['api.internal', 'kubernetes'] },
          { ip: '192.0.2.7', hostnames: ['db.internal'] },
        ],
      }),
      ctx,
    );
    expect(host.spec?.hostAliases).toEqual([
      { ip: '192.0.2.7', hostnames: ['db.internal'] },
      {
        ip: '10.96.0.50',
        hostnames: [...API_ALIASES, 'api.internal'],
      },
    ]);
  });

  it("gives each variable once in default, where the kubernetes Service's links are the namespace's too", () => {
    const kubernetes = {
      metadata: { name: 'kubernetes', namespace: 'default' },
      spec: { clusterIP: '10.96.0.50', ports: [{ name: 'https', port: 443 }] },
    };
    const env =
      translatePodToHost(pod(), { ...ctx, serviceEnv: serviceLinkEnv([kubernetes]) }).spec?.containers[0]
        ?.env ?? [];
    const names = env.map((e) => e.name);
    expect(names.filter((n) => n === 'KUBERNETES_SERVICE_HOST')).toHaveLength(1);
    expect(new Set(names).size).toBe(names.length);
  });

  it('adds no service links when the virtual pod turned them off', () => {
    const env = translatePodToHost(pod({ enableServiceLinks: false }), ctx).spec?.containers[0]?.env ?? [];
    expect(env.some((e) => e.name === 'DB_SERVICE_HOST')).toBe(false);
    expect(env.some((e) => e.name === 'KUBERNETES_SERVICE_HOST')).toBe(true);
  });

  it('sets hostname to the virtual pod name', () => {
    expect(translatePodToHost(pod(), ctx).spec?.hostname).toBe('web');
    expect(translatePodToHost(pod({ hostname: 'custom' }), ctx).spec?.hostname).toBe('custom');
  });

  it('scopes affinity and topology-spread selectors to the tenant', () => {
    const host = translatePodToHost(
      pod({
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } } },
            ],
          },
          podAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 1,
                podAffinityTerm: {
                  topologyKey: 'zone',
                  labelSelector: { matchLabels: { app: 'db' } },
                  namespaceSelector: { matchLabels: { env: 'prod' } },
                },
              },
            ],
          },
        },
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'zone',
            whenUnsatisfiable: 'DoNotSchedule',
            labelSelector: { matchLabels: { app: 'web' } },
          },
        ],
      }),
      ctx,
    );
    expect(
      host.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0]
        ?.labelSelector,
    ).toEqual({
      matchLabels: { app: 'web', 'vcluster.loft.sh/managed-by': 'vc1', 'vcluster.loft.sh/namespace': 'team' },
    });
    const preferred =
      host.spec?.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0]?.podAffinityTerm;
    expect(preferred?.namespaceSelector).toBeUndefined();
    expect(preferred?.labelSelector).toEqual({
      matchLabels: {
        app: 'db',
        'vcluster.loft.sh/managed-by': 'vc1',
        [`vcluster.loft.sh/ns-label-vc1-x-${h10('env')}`]: 'prod',
      },
    });
    expect(host.spec?.topologySpreadConstraints?.[0]?.labelSelector).toEqual({
      matchLabels: { app: 'web', 'vcluster.loft.sh/managed-by': 'vc1', 'vcluster.loft.sh/namespace': 'team' },
    });
  });

  it('copies tolerations and node selector and adds enforced tolerations once', () => {
    const own = { key: 'gpu', operator: 'Exists', effect: 'NoSchedule' };
    const host = translatePodToHost(
      pod({
        tolerations: [own, { key: 'tenant', operator: 'Exists', effect: 'NoSchedule' }],
        nodeSelector: { disk: 'ssd' },
      }),
      ctx,
    );
    expect(host.spec?.tolerations).toEqual([
      own,
      { key: 'tenant', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    expect(host.spec?.nodeSelector).toEqual({ disk: 'ssd' });
    expect(translatePodToHost(pod(), ctx).spec?.tolerations).toEqual([
      { key: 'tenant', operator: 'Exists', effect: 'NoSchedule' },
    ]);
  });

  it('drops host-scoped priority settings', () => {
    const host = translatePodToHost(
      pod({ priorityClassName: 'system-cluster-critical', priority: 2000000000 }),
      ctx,
    );
    expect(host.spec?.priorityClassName).toBeUndefined();
    expect(host.spec?.priority).toBeUndefined();
  });
});

describe('references', () => {
  const p = pod({
    volumes: [
      { name: 'a', configMap: { name: 'cm1' } },
      { name: 'b', secret: { secretName: 's1' } },
      { name: 'c', persistentVolumeClaim: { claimName: 'pvc1' } },
    ],
    containers: [{ name: 'c', envFrom: [{ configMapRef: { name: 'cm2' } }, { secretRef: { name: 's2' } }] }],
    imagePullSecrets: [{ name: 'reg' }],
  });
  it('lists the config maps, secrets and claims a pod uses', () => {
    expect(referencedConfigMaps(p as never).sort()).toEqual(['cm1', 'cm2']);
    expect(referencedSecrets(p as never).sort()).toEqual(['reg', 's1', 's2']);
    expect(referencedPVCs(p as never)).toEqual(['pvc1']);
  });
});

describe('pod spec fields', () => {
  it('leaves off the host pod what names objects never copied there, and fields it was not reviewed for', () => {
    const host = translatePodToHost(
      pod({
        containers: [{ name: 'main', image: 'app:1' }],
        schedulingGroup: { podGroupName: 'train-x-ml-x-other' },
        workloadRef: { name: 'job', podGroup: 'workers' },
        evictionResponders: [{ name: 'a.example.com/r', priority: 100000 }],
        someFutureField: { name: 'host-object' },
        hostUsers: false,
      } as never),
      ctx,
    );
    const spec = host.spec as unknown as Record<string, unknown>;
    for (const field of ['schedulingGroup', 'workloadRef', 'evictionResponders', 'someFutureField'])
      expect(spec[field]).toBeUndefined();
    expect(spec.hostUsers).toBe(false);
    expect(spec.containers).toHaveLength(1);
  });
});

describe('translatePodToHost: --translate-image', () => {
  it('maps image volumes as it maps container images', () => {
    const mirrored = {
      ...ctx,
      imageTranslations: parseImageTranslations(['private.example.com/x=mirror.example.com/x']),
    };
    const host = translatePodToHost(
      pod({
        containers: [{ name: 'main', image: 'private.example.com/x:1' }],
        volumes: [{ name: 'model', image: { reference: 'private.example.com/x:2' } }],
      }),
      mirrored,
    );
    expect(host.spec?.containers[0]?.image).toBe('mirror.example.com/x:1');
    expect(host.spec?.volumes?.find((v) => v.name === 'model')?.image?.reference).toBe(
      'mirror.example.com/x:2',
    );
  });
});

describe('podUpdatesForHost', () => {
  const base = pod({ containers: [{ name: 'main', image: 'app:1' }], schedulingGates: [{ name: 'wait' }] });
  const host = translatePodToHost(base, ctx);

  it('changes nothing when nothing changed', () => {
    expect(podUpdatesForHost(base, host, ctx).changed).toBe(false);
  });

  it('carries new images, deadlines, added tolerations and removed gates', () => {
    const changed = pod({
      containers: [{ name: 'main', image: 'app:2' }],
      activeDeadlineSeconds: 60,
      tolerations: [{ key: 'x', operator: 'Exists' }],
      schedulingGates: [],
    });
    const update = podUpdatesForHost(changed, host, ctx);
    expect(update.changed).toBe(true);
    expect(update.pod.spec?.containers[0]?.image).toBe('app:2');
    expect(update.pod.spec?.activeDeadlineSeconds).toBe(60);
    expect(update.pod.spec?.tolerations).toContainEqual({ key: 'x', operator: 'Exists' });
    expect(update.pod.spec?.schedulingGates).toEqual([]);
  });

  it("keeps what the host changed on its own: a webhook's image, a queue's scheduling gate", () => {
    const admitted = structuredClone(host);
    admitted.spec!.containers[0]!.image = 'registry.internal/app:1@sha256:abc';
    admitted.spec!.schedulingGates = [{ name: 'wait' }, { name: 'kueue.x-k8s.io/admission' }];
    expect(podUpdatesForHost(base, admitted, ctx).changed).toBe(false);

    // The tenant removes its own gate: only that one goes.
    const ungated = podUpdatesForHost(pod({ ...base.spec, schedulingGates: [] }), admitted, ctx);
    expect(ungated.pod.spec?.schedulingGates).toEqual([{ name: 'kueue.x-k8s.io/admission' }]);
    expect(ungated.pod.spec?.containers[0]?.image).toBe('registry.internal/app:1@sha256:abc');

    // The tenant changes its image: that is written, and the record follows it.
    const bumped = podUpdatesForHost(
      pod({ ...base.spec, containers: [{ name: 'main', image: 'app:2' }] }),
      admitted,
      ctx,
    );
    expect(bumped.pod.spec?.containers[0]?.image).toBe('app:2');
    const record = JSON.parse(bumped.pod.metadata?.annotations?.['vsyncer.dev/pod-spec'] ?? '{}');
    expect(record).toEqual({ images: { main: 'app:2' }, schedulingGates: ['wait'], tolerations: [] });
    expect(
      podUpdatesForHost(
        pod({ ...base.spec, containers: [{ name: 'main', image: 'app:2' }] }),
        bumped.pod,
        ctx,
      ).changed,
    ).toBe(false);
  });

  it('does not put back a toleration the host took off at create; adds one the tenant adds later', () => {
    const tolerant = pod({ ...base.spec, tolerations: [{ key: 'gpu', operator: 'Exists' }] });
    const stripped = translatePodToHost(tolerant, ctx);
    stripped.spec!.tolerations = (stripped.spec!.tolerations ?? []).filter((t) => t.key !== 'gpu');
    expect(podUpdatesForHost(tolerant, stripped, ctx).changed).toBe(false);
    const more = pod({
      ...base.spec,
      tolerations: [
        { key: 'gpu', operator: 'Exists' },
        { key: 'spot', operator: 'Exists' },
      ],
    });
    const update = podUpdatesForHost(more, stripped, ctx);
    const keys = update.pod.spec?.tolerations?.map((t) => t.key);
    expect(keys).toContain('spot');
    expect(keys).not.toContain('gpu');
  });

  it('a gate left out of the record (the host adds it itself) stays out when the record is written again, and stays on the host', () => {
    const gated = pod({
      ...base.spec,
      schedulingGates: [{ name: 'wait' }, { name: 'kueue.x-k8s.io/admission' }],
    });
    const made = translatePodToHost(gated, ctx);
    const annotations = made.metadata!.annotations!;
    annotations['vsyncer.dev/pod-spec'] = withoutHostOwnedGates(annotations['vsyncer.dev/pod-spec']!, [
      'kueue.x-k8s.io/admission',
    ]);
    // A label change writes the record again: the host's gate must not come back into it.
    const relabelled = podUpdatesForHost(pod(gated.spec, { tier: 'front' }), made, ctx);
    const record = JSON.parse(relabelled.pod.metadata!.annotations!['vsyncer.dev/pod-spec']!);
    expect(record.schedulingGates).toEqual(['wait']);
    // The tenant removes both gates: only its own goes from the host.
    const ungated = podUpdatesForHost(pod({ ...gated.spec, schedulingGates: [] }), relabelled.pod, ctx);
    expect(ungated.pod.spec?.schedulingGates).toEqual([{ name: 'kueue.x-k8s.io/admission' }]);
  });

  it('a record without tolerations (an earlier syncer wrote it) gains none, so an upgrade writes no pod', () => {
    const older = structuredClone(host);
    const record = JSON.parse(older.metadata!.annotations!['vsyncer.dev/pod-spec']!);
    delete record.tolerations;
    older.metadata!.annotations!['vsyncer.dev/pod-spec'] = JSON.stringify(record);
    expect(podUpdatesForHost(base, older, ctx).changed).toBe(false);
  });

  it('carries images and removed gates as before to a host pod without the record (an older syncer made it)', () => {
    const older = structuredClone(host);
    delete older.metadata!.annotations!['vsyncer.dev/pod-spec'];
    older.spec!.containers[0]!.image = 'registry.internal/app:1@sha256:abc';
    const update = podUpdatesForHost(pod({ ...base.spec, schedulingGates: [] }), older, ctx);
    expect(update.pod.spec?.containers[0]?.image).toBe('app:1');
    expect(update.pod.spec?.schedulingGates).toEqual([]);
  });

  it('keeps labels and annotations the host added, and follows the tenant on its own keys', () => {
    const injected = structuredClone(host);
    injected.metadata!.labels!['security.istio.io/tlsMode'] = 'istio';
    injected.metadata!.annotations!['sidecar.istio.io/status'] = '{"containers":["istio-proxy"]}';
    expect(podUpdatesForHost(base, injected, ctx).changed).toBe(false);

    const relabelled = pod(base.spec, { tier: 'front' });
    const update = podUpdatesForHost(relabelled, injected, ctx);
    expect(update.changed).toBe(true);
    expect(update.pod.metadata?.labels).toMatchObject({
      tier: 'front',
      'security.istio.io/tlsMode': 'istio',
    });
    expect(update.pod.metadata?.labels?.app).toBeUndefined(); // the tenant removed it
    expect(update.pod.metadata?.annotations?.['sidecar.istio.io/status']).toBe(
      '{"containers":["istio-proxy"]}',
    );
    expect(update.pod.metadata?.annotations?.['vcluster.loft.sh/managed-labels']).not.toContain('istio');
  });

  it('returns new ephemeral containers for their subresource', () => {
    const debug = pod({
      containers: [{ name: 'main', image: 'app:1' }],
      schedulingGates: [{ name: 'wait' }],
      ephemeralContainers: [{ name: 'debug', image: 'busybox' }],
    });
    const update = podUpdatesForHost(debug, host, ctx);
    expect(update.ephemeralContainers?.map((c) => c.name)).toEqual(['debug']);
  });
});

describe('podStatusForVirtual', () => {
  it("copies the status, keeping only the tenant's containers", () => {
    const hostPod = {
      status: {
        phase: 'Running',
        podIP: '10.244.0.5',
        podIPs: [{ ip: '10.244.0.5' }],
        hostIP: '10.0.0.1',
        startTime: '2026-01-01T00:00:00Z',
        qosClass: 'BestEffort',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [
          { name: 'main', ready: true, restartCount: 0, image: 'app:1', imageID: '', started: true },
          { name: 'injected-sidecar', ready: true, restartCount: 0, image: 'x', imageID: '' },
        ],
      },
    } as unknown as Pod;
    const status = podStatusForVirtual(hostPod, pod());
    expect(status.phase).toBe('Running');
    expect(status.podIP).toBe('10.244.0.5');
    expect(status.qosClass).toBe('BestEffort');
    expect(status.containerStatuses?.map((c) => c.name)).toEqual(['main']);
  });

  it("leaves out the init container statuses of a pod whose only init container is the host's hosts-rewrite one, as the API server stores none", () => {
    const hostPod = {
      status: {
        phase: 'Running',
        initContainerStatuses: [
          { name: 'vcluster-rewrite-hosts', ready: true, restartCount: 0, image: 'a', imageID: '' },
        ],
        containerStatuses: [{ name: 'main', ready: true, restartCount: 0, image: 'app:1', imageID: '' }],
      },
    } as unknown as Pod;
    expect(podStatusForVirtual(hostPod, pod())).not.toHaveProperty('initContainerStatuses');
    // One the virtual pod has (empty) stays, as it is.
    const withList = { ...pod(), status: { initContainerStatuses: [] } } as unknown as Pod;
    expect(podStatusForVirtual(hostPod, withList).initContainerStatuses).toEqual([]);
  });

  it("shows a debug container the syncer refused as waiting with why; `vsyncer check` (no verdicts) keeps it; the host pod's own status wins once it has the container", () => {
    const refusedStatus = {
      name: 'dbg',
      image: 'busybox',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { waiting: { reason: 'SyncError', message: 'adds SYS_PTRACE' } },
    };
    const virtual = pod({
      containers: [{ name: 'main', image: 'app:1' }],
      ephemeralContainers: [
        { name: 'dbg', image: 'busybox' },
        { name: 'other', image: 'busybox' },
      ],
    });
    const hostPod = { spec: {}, status: { phase: 'Running' } } as unknown as Pod;
    const refused = new Map([['dbg', 'adds SYS_PTRACE']]);
    const status = podStatusForVirtual(hostPod, virtual, { debugRefused: refused });
    expect(status.ephemeralContainerStatuses).toEqual([refusedStatus]);
    const shown = { ...virtual, status } as Pod;
    expect(podStatusForVirtual(hostPod, shown).ephemeralContainerStatuses).toEqual([refusedStatus]);
    // No longer refused (a policy relaxed, the container still to be added): no status of ours.
    expect(podStatusForVirtual(hostPod, shown, { debugRefused: new Map() })).not.toHaveProperty(
      'ephemeralContainerStatuses',
    );
    const running = {
      name: 'dbg',
      image: 'busybox',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { running: {} },
    };
    const hostWithIt = {
      spec: { ephemeralContainers: [markedDebugContainer({ name: 'dbg', image: 'busybox' })] },
      status: { phase: 'Running', ephemeralContainerStatuses: [running] },
    } as unknown as Pod;
    expect(
      podStatusForVirtual(hostWithIt, shown, { debugRefused: refused }).ephemeralContainerStatuses,
    ).toEqual([running]);
  });

  it('shows the image the tenant wrote where the host runs it under a mirror name (--translate-image), and a resolved one as reported', () => {
    const running = (image: string) => ({ name: 'main', ready: true, restartCount: 0, image, imageID: '' });
    const hostPod = (image: string, statusImage: string) =>
      ({
        spec: { containers: [{ name: 'main', image }] },
        status: { phase: 'Running', containerStatuses: [running(statusImage)] },
      }) as unknown as Pod;
    const tenants = pod({ containers: [{ name: 'main', image: 'nginx:1.25' }] });
    const mirror = 'mirror.local/library/nginx:1.25';
    expect(podStatusForVirtual(hostPod(mirror, mirror), tenants).containerStatuses?.[0]?.image).toBe(
      'nginx:1.25',
    );
    expect(podStatusForVirtual(hostPod(mirror, 'sha256:abc'), tenants).containerStatuses?.[0]?.image).toBe(
      'sha256:abc',
    );
    // The tenant changed the image and the host pod is not written yet: the status keeps what it showed.
    const changed = {
      ...pod({ containers: [{ name: 'main', image: 'nginx:1.26' }] }),
      status: { containerStatuses: [running('nginx:1.25')] },
    } as Pod;
    expect(
      podStatusForVirtual(hostPod(mirror, mirror), changed, { hostSpecCurrent: false }).containerStatuses?.[0]
        ?.image,
    ).toBe('nginx:1.25');
  });

  it("takes host names out of the host components' messages, not out of a container's termination message", () => {
    const where = { vcName: 'vc', hostNamespace: 'host-ns' };
    const scrub = (m: string) => scrubHostNames(m, where);
    const hostPod = {
      status: {
        phase: 'Pending',
        message: 'evicted from host-ns',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            message: 'persistentvolumeclaim "data-x-team-x-vc" not found',
          },
        ],
        containerStatuses: [
          {
            name: 'main',
            ready: false,
            restartCount: 0,
            image: 'app:1',
            imageID: '',
            state: {
              waiting: { reason: 'CreateContainerConfigError', message: 'secret "db-x-team-x-vc" not found' },
            },
            lastState: { terminated: { exitCode: 1, reason: 'Error', message: 'wrote app-x-team-x-vc' } },
          },
          {
            name: 'side',
            ready: false,
            restartCount: 1,
            image: 'app:1',
            imageID: '',
            state: {
              terminated: {
                exitCode: 128,
                reason: 'StartError',
                message: 'mount /var/lib/kubelet/pods/x/volumes/db-x-team-x-vc',
              },
            },
          },
        ],
      },
    } as unknown as Pod;
    const twoContainers = pod({
      containers: [
        { name: 'main', image: 'app:1' },
        { name: 'side', image: 'app:1' },
      ],
    });
    const status = podStatusForVirtual(hostPod, twoContainers, { scrub });
    expect(status.message).toBe('evicted from <host namespace>');
    expect(status.conditions?.[0]?.message).toBe('persistentvolumeclaim "data" not found');
    expect(status.containerStatuses?.[0]?.state?.waiting?.message).toBe('secret "db" not found');
    expect(status.containerStatuses?.[0]?.lastState?.terminated?.message).toBe('wrote app-x-team-x-vc');
    expect(status.containerStatuses?.[1]?.state?.terminated?.message).toBe(
      'mount /var/lib/kubelet/pods/x/volumes/db',
    );
    // Without a scrub (a pure call), the messages pass as they are.
    expect(podStatusForVirtual(hostPod, pod()).containerStatuses?.[0]?.state?.waiting?.message).toBe(
      'secret "db-x-team-x-vc" not found',
    );
  });

  it("keeps the virtual pod's QoS class, which its API server fixed at create (the host's counts injected containers)", () => {
    const hostPod = { status: { phase: 'Running', qosClass: 'Burstable' } } as unknown as Pod;
    const virtual = { ...pod(), status: { qosClass: 'BestEffort' } } as unknown as Pod;
    expect(podStatusForVirtual(hostPod, virtual).qosClass).toBe('BestEffort');
  });

  describe('generations, counted in the virtual pod', () => {
    // The host pod is at generation 5 (the syncer's writes count there too); the tenant's at 2.
    const hostAt = (observed: number) =>
      ({
        metadata: { generation: 5 },
        status: {
          phase: 'Running',
          observedGeneration: observed,
          conditions: [
            { type: 'Ready', status: 'True', observedGeneration: observed },
            { type: 'PodResizeInProgress', status: 'True', observedGeneration: observed },
          ],
        },
      }) as unknown as Pod;
    const virtual = { ...pod(), metadata: { ...pod().metadata, generation: 2 } } as unknown as Pod;
    const generations = (s: ReturnType<typeof podStatusForVirtual>) => [
      s.observedGeneration,
      ...(s.conditions ?? []).map((c) => (c as { observedGeneration?: number }).observedGeneration),
    ];

    it("the kubelet caught up with the host pod and nothing is left to write: the virtual pod's generation", () => {
      expect(generations(podStatusForVirtual(hostAt(5), virtual))).toEqual([2, 2, 2]);
    });

    it('the kubelet behind the host pod, or a write still to make: what the virtual pod said before, never ahead', () => {
      // Nothing said before: nothing said.
      expect(generations(podStatusForVirtual(hostAt(4), virtual))).toEqual([undefined, undefined, undefined]);
      // The tenant went from 2 to 4 quickly: the kubelet has seen 2 at most, not 3.
      const saidTwo = {
        ...virtual,
        metadata: { ...virtual.metadata, generation: 4 },
        status: { observedGeneration: 2 },
      } as unknown as Pod;
      expect(generations(podStatusForVirtual(hostAt(4), saidTwo))).toEqual([2, 2, 2]);
      expect(generations(podStatusForVirtual(hostAt(5), saidTwo, { hostSpecCurrent: false }))).toEqual([
        2, 2, 2,
      ]);
      // Said it was current at 2, the tenant now at 3: one behind.
      const saidCurrent = {
        ...virtual,
        metadata: { ...virtual.metadata, generation: 3 },
        status: { observedGeneration: 3 },
      };
      expect(generations(podStatusForVirtual(hostAt(4), saidCurrent as unknown as Pod))).toEqual([2, 2, 2]);
    });

    it('no generation on either pod (a host before 1.34): none shown', () => {
      const s = podStatusForVirtual({ ...hostAt(5), metadata: {} } as Pod, virtual);
      expect(generations(s)).toEqual([undefined, undefined, undefined]);
      expect(s.conditions![0]).not.toHaveProperty('observedGeneration');
    });

    it("a readiness gate's condition keeps the generation the tenant's controller wrote", () => {
      const gated = {
        ...virtual,
        spec: { ...virtual.spec, readinessGates: [{ conditionType: 'example.com/ready' }] },
        status: {
          conditions: [{ type: 'example.com/ready', status: 'True', observedGeneration: 2 }],
        },
      } as unknown as Pod;
      const s = podStatusForVirtual(hostAt(3), gated);
      expect(s.conditions?.find((c) => c.type === 'example.com/ready')).toMatchObject({
        observedGeneration: 2,
      });
    });
  });

  it("a resize the host refused shows as the kubelet's PodResizePending Infeasible, in place of the host's", () => {
    const hostPod = {
      status: {
        phase: 'Running',
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'PodResizePending', status: 'True', reason: 'Deferred' },
        ],
      },
    } as unknown as Pod;
    const virtual = { ...pod(), metadata: { ...pod().metadata, generation: 3 } } as unknown as Pod;
    const refused = { message: 'exceeded quota', since: '2026-12-03T10:00:00Z' };
    const s = podStatusForVirtual(hostPod, virtual, { resizeRefused: refused });
    expect(s.conditions).toEqual([
      { type: 'Ready', status: 'True' },
      {
        type: 'PodResizePending',
        status: 'True',
        reason: 'Infeasible',
        message: 'exceeded quota',
        lastTransitionTime: '2026-12-03T10:00:00Z',
        observedGeneration: 3,
      },
    ]);
    const noConditions = podStatusForVirtual({ status: { phase: 'Running' } } as Pod, virtual, {
      resizeRefused: refused,
    });
    expect(noConditions.conditions?.map((c) => c.type)).toEqual(['PodResizePending']);
  });
});

describe('translatePodToHost: one reference walk', () => {
  it('syncs what ephemeral containers and clone sources name', () => {
    const virtual = pod({
      volumes: [
        {
          name: 'clone',
          ephemeral: {
            volumeClaimTemplate: {
              spec: { dataSource: { kind: 'PersistentVolumeClaim', name: 'golden' } },
            },
          },
        },
        {
          name: 'snap',
          ephemeral: {
            volumeClaimTemplate: {
              spec: {
                dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'n' },
              },
            },
          },
        },
      ],
      ephemeralContainers: [{ name: 'debug', envFrom: [{ secretRef: { name: 'debug-creds' } }] }],
    });
    expect(referencedSecrets(virtual as never)).toEqual(['debug-creds']);
    // A snapshot is not a claim; a claim to clone from is.
    expect(referencedPVCs(virtual as never)).toEqual(['golden']);
  });
});

describe('translatePodToHost: projected tokens', () => {
  it('gives every token source of a volume its own secret, keeping each path', () => {
    const host = translatePodToHost(
      pod({
        volumes: [
          {
            name: 'creds',
            projected: {
              sources: [
                { serviceAccountToken: { path: 'vault', audience: 'vault' } },
                { configMap: { name: 'ca' } },
                { serviceAccountToken: { path: 'sts', audience: 'sts' } },
              ],
            },
          },
        ],
      }),
      ctx,
    );
    expect(host.spec?.volumes?.[0]?.projected?.sources).toEqual([
      { secret: { name: 'web-x-team-x-vc1-token-creds', items: [{ key: 'token', path: 'vault' }] } },
      { configMap: { name: hn('ca') } },
      { secret: { name: 'web-x-team-x-vc1-token-creds.1', items: [{ key: 'token', path: 'sts' }] } },
    ]);
  });
});

describe('translatePodToHost: subdomain', () => {
  const rewriting = { ...ctx, hostsRewriteImage: DEFAULT_HOSTS_REWRITE_IMAGE };
  const statefulPod = (
    spec: Partial<NonNullable<Pod['spec']>> = {},
    annotations: Record<string, string> = {},
  ) => {
    const p = pod({
      hostname: 'web-0',
      subdomain: 'nginx',
      initContainers: [{ name: 'init', image: 'init:1' }],
      ephemeralContainers: [{ name: 'debug', image: 'busybox' }],
      ...spec,
    });
    p.metadata!.annotations = { ...p.metadata!.annotations, ...annotations };
    return p;
  };
  const rewriteContainer = (p: Pod) =>
    p.spec?.initContainers?.find((c) => c.name === 'vcluster-rewrite-hosts');
  const etcHostsMount = { name: 'vcluster-rewrite-hosts', mountPath: '/etc/hosts', subPath: 'hosts' };

  it("maps the hosts rewriter's image by --translate-image, as the tenant's images are", () => {
    const mirrored = {
      ...rewriting,
      imageTranslations: parseImageTranslations(['library/alpine=mirror.example.com/library/alpine']),
    };
    expect(rewriteContainer(translatePodToHost(statefulPod(), mirrored))?.image).toBe(
      'mirror.example.com/library/alpine:3.20',
    );
  });

  it('drops the subdomain on the host and keeps the hostname', () => {
    for (const c of [ctx, rewriting]) {
      const host = translatePodToHost(statefulPod(), c);
      expect(host.spec?.subdomain).toBeUndefined();
      expect(host.spec?.hostname).toBe('web-0');
    }
  });

  it("writes the virtual namespace's FQDN into /etc/hosts through a first init container", () => {
    const host = translatePodToHost(statefulPod(), rewriting);
    const init = host.spec?.initContainers ?? [];
    expect(init.map((c) => c.name)).toEqual(['vcluster-rewrite-hosts', 'init']);
    expect(init[0]?.image).toBe(DEFAULT_HOSTS_REWRITE_IMAGE);
    expect(init[0]?.env).toEqual([
      { name: 'POD_HOSTNAME', value: 'web-0' },
      { name: 'POD_FQDN', value: 'web-0.nginx.team.svc.cluster.local' },
    ]);
    // Restricted Pod Security: non-root, no escalation, no capabilities, runtime seccomp.
    expect(init[0]?.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(host.spec?.volumes).toContainEqual({ name: 'vcluster-rewrite-hosts', emptyDir: {} });
    expect(host.spec?.containers[0]?.volumeMounts).toEqual([etcHostsMount]);
    expect(init[1]?.volumeMounts).toEqual([etcHostsMount]);
    // Ephemeral containers may not use subPath mounts.
    expect(host.spec?.ephemeralContainers?.[0]?.volumeMounts).toBeUndefined();
    expect(host.metadata?.annotations?.['vcluster.loft.sh/hosts-rewritten']).toBe('true');
    // The rewrite container is the syncer's: no injected environment, no status for the tenant.
    expect(init[0]?.env?.some((e) => e.name === 'KUBERNETES_SERVICE_HOST')).toBe(false);
  });

  it("asks no more than the pod's own resources allow (pod-level resources): the API server refuses an init container asking for more than the pod", () => {
    expect(rewriteContainer(translatePodToHost(statefulPod(), rewriting))?.resources).toEqual({
      requests: { cpu: '30m', memory: '64Mi' },
      limits: { cpu: '30m', memory: '64Mi' },
    });
    const small = statefulPod({
      resources: { requests: { cpu: '20m', memory: '100Mi' }, limits: { memory: '48Mi' } },
    });
    expect(rewriteContainer(translatePodToHost(small, rewriting))?.resources).toEqual({
      requests: { cpu: '20m', memory: '48Mi' },
      limits: { cpu: '20m', memory: '48Mi' },
    });
    // Larger, or not a quantity (the API server refuses such a pod anyway): its own.
    const large = statefulPod({ resources: { requests: { cpu: '2', memory: 'lots' } } });
    expect(rewriteContainer(translatePodToHost(large, rewriting))?.resources?.requests).toEqual({
      cpu: '30m',
      memory: '64Mi',
    });
  });

  it('leaves a container that mounts its own /etc/hosts alone', () => {
    const own = { name: 'hosts', mountPath: '/etc/hosts/' };
    const host = translatePodToHost(
      statefulPod({ containers: [{ name: 'main', image: 'app:1', volumeMounts: [own] }] }),
      rewriting,
    );
    expect(host.spec?.containers[0]?.volumeMounts).toEqual([own]);
  });

  it.each([
    ['no image is configured', statefulPod(), ctx],
    ['the pod has no subdomain', statefulPod({ subdomain: undefined }), rewriting],
    ['the pod uses the host network', statefulPod({ hostNetwork: true }), rewriting],
    ['the pod runs Windows', statefulPod({ os: { name: 'windows' } }), rewriting],
    [
      'the tenant opted out',
      statefulPod({}, { 'vcluster.loft.sh/disable-subdomain-rewrite': 'true' }),
      rewriting,
    ],
    [
      'the tenant uses the container name',
      statefulPod({ initContainers: [{ name: 'vcluster-rewrite-hosts' }] }),
      rewriting,
    ],
    [
      'the tenant uses the volume name',
      statefulPod({ volumes: [{ name: 'vcluster-rewrite-hosts', emptyDir: {} }] }),
      rewriting,
    ],
  ] as [string, Pod, PodTranslationContext][])('adds no rewrite when %s', (_what, virtual, c) => {
    const host = translatePodToHost(virtual, c);
    expect(host.spec?.initContainers?.filter((i) => i.image === DEFAULT_HOSTS_REWRITE_IMAGE) ?? []).toEqual(
      [],
    );
    expect(host.spec?.containers[0]?.volumeMounts).toBeUndefined();
    expect(host.metadata?.annotations?.['vcluster.loft.sh/hosts-rewritten']).toBeUndefined();
    expect(host.spec?.subdomain).toBeUndefined();
    expect(rewriteContainer(host)?.image).not.toBe(DEFAULT_HOSTS_REWRITE_IMAGE);
  });

  it('leaves the rewrite container alone on updates', () => {
    const virtual = statefulPod();
    const host = translatePodToHost(virtual, rewriting);
    expect(podUpdatesForHost(virtual, host, rewriting).changed).toBe(false);
    const status = podStatusForVirtual(
      {
        status: {
          initContainerStatuses: [
            { name: 'vcluster-rewrite-hosts', ready: false, restartCount: 0, image: 'a', imageID: '' },
            { name: 'init', ready: false, restartCount: 0, image: 'init:1', imageID: '' },
          ],
        },
      } as Pod,
      virtual,
    );
    expect(status.initContainerStatuses?.map((c) => c.name)).toEqual(['init']);
  });
});

describe('translatePodToHost: affinity terms with namespaces and a namespace selector', () => {
  const envKey = `vcluster.loft.sh/ns-label-vc1-x-${h10('env')}`;
  const term = (extra: Record<string, unknown> = {}) => ({
    topologyKey: 'zone',
    labelSelector: { matchLabels: { app: 'db' } },
    namespaces: ['other'],
    namespaceSelector: { matchLabels: { env: 'prod' } },
    ...extra,
  });
  const byList = (namespaces: string[]) => ({
    topologyKey: 'zone',
    labelSelector: {
      matchLabels: { app: 'db', 'vcluster.loft.sh/managed-by': 'vc1' },
      matchExpressions: [{ key: 'vcluster.loft.sh/namespace', operator: 'In', values: namespaces }],
    },
  });
  const bySelector = (notIn?: string[]) => ({
    topologyKey: 'zone',
    labelSelector: {
      matchLabels: { app: 'db', 'vcluster.loft.sh/managed-by': 'vc1', [envKey]: 'prod' },
      ...(notIn
        ? { matchExpressions: [{ key: 'vcluster.loft.sh/namespace', operator: 'NotIn', values: notIn }] }
        : {}),
    },
  });
  const affinity = (a: NonNullable<Pod['spec']>['affinity']) =>
    translatePodToHost(pod({ affinity: a }), ctx).spec?.affinity;

  it('splits required anti-affinity into one term per namespace source, without overlap', () => {
    expect(
      affinity({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term()] } })
        ?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
    ).toEqual([byList(['other']), bySelector(['other'])]);
  });

  it('splits preferred terms of both kinds, each part with the weight', () => {
    const preferred = [{ weight: 40, podAffinityTerm: term() }];
    const host = affinity({
      podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred },
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred },
    });
    const expected = [
      { weight: 40, podAffinityTerm: byList(['other']) },
      { weight: 40, podAffinityTerm: bySelector(['other']) },
    ];
    expect(host?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toEqual(expected);
    expect(host?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toEqual(expected);
  });

  it("narrows required affinity to the part holding the pod's own namespace", () => {
    const required = (t: ReturnType<typeof term>) =>
      affinity({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [t] } })?.podAffinity
        ?.requiredDuringSchedulingIgnoredDuringExecution;
    // The list names the pod's namespace: keep the list, so the first pod of the group can start.
    expect(required(term({ namespaces: ['team', 'other'] }))).toEqual([byList(['team', 'other'])]);
    // It does not: the selector is the only part that can hold the pod's namespace.
    expect(required(term())).toEqual([bySelector()]);
  });

  it('treats an empty namespace selector as every namespace, which the list adds nothing to', () => {
    const everywhere = {
      topologyKey: 'zone',
      labelSelector: { matchLabels: { app: 'db', 'vcluster.loft.sh/managed-by': 'vc1' } },
    };
    const host = affinity({
      podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ namespaceSelector: {} })] },
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ namespaceSelector: {} })] },
    });
    expect(host?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual([everywhere]);
    expect(host?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual([everywhere]);
  });

  it('keeps a term with only namespaces as one term', () => {
    expect(
      affinity({
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [term({ namespaceSelector: undefined })],
        },
      })?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
    ).toEqual([byList(['other'])]);
  });
});

describe('denied pod metadata', () => {
  it.each([
    ['iam.amazonaws.com/role', true],
    ['eks.amazonaws.com/role-arn', true],
    ['azure.workload.identity/use', true],
    ['azure.workload.identity/client-id', true],
    ['iam.gke.io/gcp-service-account', true],
    ['aadpodidbinding', true],
    ['aadpodidbinding-other', false],
    ['vault.security.banzaicloud.io/vault-role', true],
    ['sidecar.istio.io/userVolume', true],
    ['sidecar.istio.io/userVolumeMount', true],
    ['sidecar.istio.io/bootstrapOverride', true],
    ['sidecar.istio.io/proxyImage', true],
    ['proxy.istio.io/config', true],
    ['config.linkerd.io/proxy-image', true],
    ['k8s.v1.cni.cncf.io/networks', true],
    ['cni.projectcalico.org/ipAddrs', true],
    ['ipam.cilium.io/ip-pool', true],
    ['inject.istio.io/templates', true],
    ['v1.multus-cni.io/default-network', true],
    ['ovn.kubernetes.io/logical_switch', true],
    ['ipam.spidernet.io/ippool', true],
    ['ipam.antrea.io/ippools', true],
    ['config.alpha.linkerd.io/proxy-wait-before-exit-seconds', true],
    ['dapr.io/env-from-secret', true],
    ['dapr.io/sidecar-image', true],
    ['consul.hashicorp.com/connect-service', true],
    ['kuma.io/sidecar-injection', true],
    ['kueue.x-k8s.io/queue-name', true],
    ['kueue.x-k8s.io/pod-group-name', true],
    ['instrumentation.opentelemetry.io/inject-java', true],
    ['sidecar.opentelemetry.io/inject', true],
    ['admission.datadoghq.com/java-lib.custom-image', true],
    ['ad.datadoghq.com/main.checks', true],
    // Asking for the mesh's sidecar is the tenant's choice; what it mounts is not.
    ['sidecar.istio.io/inject', false],
    ['app', false],
    ['iam.amazonaws.com', false],
  ])('%s denied by default: %s', (key, denied) => {
    expect(isDeniedMetadataKey(key, DEFAULT_DENIED_POD_METADATA_KEYS)).toBe(denied);
  });

  it('matches exact keys exactly and prefixes with *', () => {
    expect(isDeniedMetadataKey('a/b', ['a/b'])).toBe(true);
    expect(isDeniedMetadataKey('a/bc', ['a/b'])).toBe(false);
    expect(isDeniedMetadataKey('a/bc', ['a/b*'])).toBe(true);
    expect(isDeniedMetadataKey('anything', ['*'])).toBe(true);
    expect(isDeniedMetadataKey('anything', [])).toBe(false);
  });

  const tenantPod = () => {
    const p = pod({}, { app: 'web', 'azure.workload.identity/use': 'true' });
    p.metadata!.annotations = {
      note: 'kept',
      'iam.amazonaws.com/role': 'arn:aws:iam::1:role/admin',
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/admin',
      'iam.gke.io/gcp-service-account': 'admin@p.iam.gserviceaccount.com',
    };
    return p;
  };

  it("drops the tenant's denied labels and annotations from the host pod", () => {
    const host = translatePodToHost(tenantPod(), ctx);
    expect(host.metadata?.labels?.['azure.workload.identity/use']).toBeUndefined();
    expect(host.metadata?.labels?.app).toBe('web');
    const annotations = host.metadata?.annotations ?? {};
    expect(
      Object.keys(annotations).filter((k) => isDeniedMetadataKey(k, DEFAULT_DENIED_POD_METADATA_KEYS)),
    ).toEqual([]);
    expect(annotations.note).toBe('kept');
    expect(annotations['vcluster.loft.sh/managed-annotations']).not.toContain('iam');
  });

  it("never drops the syncer's own keys, whatever the patterns", () => {
    const host = translatePodToHost(tenantPod(), { ...ctx, deniedMetadataKeys: ['vcluster.loft.sh/*'] });
    expect(host.metadata?.labels?.['vcluster.loft.sh/managed-by']).toBe('vc1');
    expect(host.metadata?.annotations?.['vcluster.loft.sh/object-name']).toBe('web');
    expect(host.metadata?.labels?.['azure.workload.identity/use']).toBe('true');
  });

  it('never writes them on update, and removes ones an earlier syncer wrote', () => {
    const clean = translatePodToHost(pod(), ctx);
    const update = podUpdatesForHost(tenantPod(), clean, ctx);
    expect(update.pod.metadata?.labels?.['azure.workload.identity/use']).toBeUndefined();
    expect(update.pod.metadata?.annotations?.['iam.amazonaws.com/role']).toBeUndefined();

    // A host pod synced before the deny-list, with the tenant's keys recorded as the syncer's.
    const earlier = translatePodToHost(tenantPod(), { ...ctx, deniedMetadataKeys: [] });
    expect(earlier.metadata?.annotations?.['iam.amazonaws.com/role']).toBeDefined();
    const cleaned = podUpdatesForHost(tenantPod(), earlier, ctx);
    expect(cleaned.changed).toBe(true);
    expect(cleaned.pod.metadata?.labels?.['azure.workload.identity/use']).toBeUndefined();
    expect(cleaned.pod.metadata?.annotations?.['iam.amazonaws.com/role']).toBeUndefined();
    expect(cleaned.pod.metadata?.annotations?.['eks.amazonaws.com/role-arn']).toBeUndefined();
  });
});

describe('translatePodToHost: host scheduling knobs', () => {
  const pin = (node: string) => ({ key: 'metadata.name', operator: 'In', values: [node] });
  type Affinity = NonNullable<NonNullable<Pod['spec']>['affinity']>;
  const zone = { key: 'zone', operator: 'In', values: ['a'] };
  const preferred = [{ weight: 1, preference: { matchExpressions: [zone] } }];

  it.each([
    [
      'no affinity: the pin is the only term',
      undefined,
      { nodeSelectorTerms: [{ matchFields: [pin('n1')] }] },
    ],
    [
      'required terms: the pin is ANDed into each, after the matchFields it has',
      {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [zone] }, { matchFields: [pin('n2')] }],
          },
        },
      },
      {
        nodeSelectorTerms: [
          { matchExpressions: [zone], matchFields: [pin('n1')] },
          { matchFields: [pin('n2'), pin('n1')] },
        ],
      },
    ],
    [
      'an empty term matches no node and is left so',
      {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{}, { matchExpressions: [zone] }],
          },
        },
      },
      { nodeSelectorTerms: [{}, { matchExpressions: [zone], matchFields: [pin('n1')] }] },
    ],
    [
      'only preferred node affinity: kept, and a required term added',
      { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred } },
      { nodeSelectorTerms: [{ matchFields: [pin('n1')] }] },
    ],
    [
      'an empty term list: the pin becomes the term',
      { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
      { nodeSelectorTerms: [{ matchFields: [pin('n1')] }] },
    ],
  ] as [string, Affinity | undefined, unknown][])(
    'turns a tenant nodeName into node affinity the host scheduler checks: %s',
    (_what, affinity, required) => {
      const host = translatePodToHost(pod({ nodeName: 'n1', affinity }), ctx);
      expect(host.spec?.nodeName).toBeUndefined();
      expect(host.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual(
        required,
      );
      expect(host.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toEqual(
        affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
      );
    },
  );

  it.each([
    ['allowed: kept as is, no affinity', { allowNodeName: true }, { nodeName: 'n1' }, 'n1', undefined],
    ['no nodeName: no affinity added', {}, {}, undefined, undefined],
  ] as [string, Partial<PodTranslationContext>, Partial<NonNullable<Pod['spec']>>, unknown, unknown][])(
    'nodeName %s',
    (_what, extra, spec, nodeName, affinity) => {
      const host = translatePodToHost(pod(spec), { ...ctx, ...extra });
      expect(host.spec?.nodeName).toBe(nodeName);
      expect(host.spec?.affinity).toBe(affinity);
    },
  );

  it('never writes node name or node affinity on update', () => {
    // Created with the pin; the host scheduler then sets spec.nodeName to the same node.
    const virtual = pod({ nodeName: 'n1' });
    const created = translatePodToHost(virtual, ctx);
    expect(created.spec?.nodeName).toBeUndefined();
    const scheduled = structuredClone(created);
    scheduled.spec!.nodeName = 'n1';
    const update = podUpdatesForHost(virtual, scheduled, ctx);
    expect(update.changed).toBe(false);
    expect(update.pod.spec).toEqual(scheduled.spec);

    // Scheduled first and then bound in the virtual cluster: the virtual pod now has the node name,
    // the running host pod has no pin, and gets none.
    const unpinned = translatePodToHost(pod(), ctx);
    unpinned.spec!.nodeName = 'n1';
    const bound = podUpdatesForHost(virtual, unpinned, ctx);
    expect(bound.changed).toBe(false);
    expect(bound.pod.spec?.affinity).toBeUndefined();
    expect(bound.pod.spec?.nodeName).toBe('n1');
  });

  it.each([
    ['an unlisted scheduler', 'gpu-scheduler', undefined, undefined],
    ['a scheduler not in the list', 'gpu-scheduler', ['batch'], undefined],
    ['the default scheduler by name (the host default anyway)', 'default-scheduler', [], undefined],
    ['an allowed scheduler', 'gpu-scheduler', ['batch', 'gpu-scheduler'], 'gpu-scheduler'],
  ] as [string, string, string[] | undefined, string | undefined][])(
    'schedulerName: %s',
    (_what, schedulerName, allowedSchedulers, expected) => {
      const host = translatePodToHost(pod({ schedulerName }), { ...ctx, allowedSchedulers });
      expect(host.spec?.schedulerName).toBe(expected);
    },
  );

  const synced = (name: string) => (name === 'batch' ? 'vcluster-batch-x-host-ns-x-vc1' : undefined);
  it.each([
    ['not synced: dropped', 'batch', undefined, undefined],
    ['synced: translated', 'batch', synced, 'vcluster-batch-x-host-ns-x-vc1'],
    ['synced, but no host copy: dropped', 'system-node-critical', synced, undefined],
  ] as [string, string, PodTranslationContext['priorityClassNameFor'], string | undefined][])(
    'priorityClassName %s; priority and preemption policy always left to the host',
    (_what, priorityClassName, priorityClassNameFor, expected) => {
      const host = translatePodToHost(pod({ priorityClassName, priority: 1000, preemptionPolicy: 'Never' }), {
        ...ctx,
        priorityClassNameFor,
      });
      expect(host.spec?.priorityClassName).toBe(expected);
      expect(host.spec?.priority).toBeUndefined();
      expect(host.spec?.preemptionPolicy).toBeUndefined();
    },
  );
});

describe('translatePodToHost: matchLabelKeys and mismatchLabelKeys', () => {
  const hashedRelease = `vcluster.loft.sh/label-vc1-x-${h10('release')}`;
  const scope = { 'vcluster.loft.sh/managed-by': 'vc1', 'vcluster.loft.sh/namespace': 'team' };
  const merged = { key: 'pod-template-hash', operator: 'In', values: ['abc'] };
  const mergedNot = { key: 'track', operator: 'NotIn', values: ['canary'] };
  type Selector = { matchLabels?: Record<string, string>; matchExpressions?: (typeof merged)[] };

  // [what, virtual selector, virtual keys, host keys]
  const cases: [string, Selector, string[], string[] | undefined][] = [
    [
      'merged by a ≥1.34 virtual API server: dropped',
      { matchLabels: { app: 'web' }, matchExpressions: [merged] },
      ['pod-template-hash'],
      undefined,
    ],
    [
      'not merged (older virtual API server): kept, translated like labels',
      { matchLabels: { app: 'web' } },
      ['pod-template-hash', 'release'],
      ['pod-template-hash', hashedRelease],
    ],
    [
      'some merged, some not',
      { matchLabels: { app: 'web' }, matchExpressions: [merged] },
      ['pod-template-hash', 'release'],
      [hashedRelease],
    ],
  ];

  it.each(cases)('topology spread matchLabelKeys %s', (_what, labelSelector, keys, expected) => {
    const host = translatePodToHost(
      pod({
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'zone',
            whenUnsatisfiable: 'DoNotSchedule',
            labelSelector,
            matchLabelKeys: keys,
          },
        ],
      }),
      ctx,
    );
    const constraint = host.spec?.topologySpreadConstraints?.[0];
    expect(constraint?.matchLabelKeys).toEqual(expected);
    // The merged requirement carries the meaning, translated like every selector.
    expect(constraint?.labelSelector).toEqual({
      matchLabels: { app: 'web', ...scope },
      ...(labelSelector.matchExpressions ? { matchExpressions: labelSelector.matchExpressions } : {}),
    });
  });

  it.each(cases)('pod affinity matchLabelKeys %s', (_what, labelSelector, keys, expected) => {
    const term = { topologyKey: 'zone', labelSelector, matchLabelKeys: keys };
    const affinity = translatePodToHost(
      pod({
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] },
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: term }],
          },
        },
      }),
      ctx,
    ).spec?.affinity;
    const required = affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0];
    expect(required?.matchLabelKeys).toEqual(expected);
    expect(required?.labelSelector?.matchExpressions).toEqual(labelSelector.matchExpressions);
    expect(
      affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0]?.podAffinityTerm
        .matchLabelKeys,
    ).toEqual(expected);
  });

  it.each([
    ['merged as NotIn: dropped', { matchLabels: { app: 'web' }, matchExpressions: [mergedNot] }, undefined],
    ['not merged: kept, translated like labels', { matchLabels: { app: 'web' } }, ['track', hashedRelease]],
  ] as [string, Selector, string[] | undefined][])(
    'pod anti-affinity mismatchLabelKeys %s, in every split term',
    (_what, labelSelector, expected) => {
      const keys = labelSelector.matchExpressions ? ['track'] : ['track', 'release'];
      const terms = translatePodToHost(
        pod({
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                {
                  topologyKey: 'zone',
                  labelSelector,
                  mismatchLabelKeys: keys,
                  namespaces: ['other'],
                  namespaceSelector: { matchLabels: { env: 'prod' } },
                },
              ],
            },
          },
        }),
        ctx,
      ).spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
      expect(terms).toHaveLength(2);
      for (const t of terms ?? []) {
        expect(t.mismatchLabelKeys).toEqual(expected);
        expect(t.matchLabelKeys).toBeUndefined();
      }
    },
  );
});
