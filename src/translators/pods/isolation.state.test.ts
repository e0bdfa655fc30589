import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../../testing/state-table.ts';
import { ABSENT_REFERENCE_PREFIX } from './reference-safety.ts';
import { bundleName } from './token-bundles.ts';
import { ApiError } from '../../kube/errors.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const PODS = Resources.pods;
const SECRETS = Resources.secrets;
const hostName = (name: string, ns: string) => `${name}-x-${ns}-x-${VC}`;

const infrastructure: Seed[] = [
  [
    Resources.services,
    { metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { clusterIP: '10.96.0.10' } },
  ],
];
const hostInfrastructure: Seed[] = [
  [
    Resources.services,
    { metadata: { name: VC, namespace: HOST_NS }, spec: { clusterIP: '10.96.0.50', ports: [{ port: 443 }] } },
  ],
];

const secret = (name: string, ns: string, value: string): Seed => [
  SECRETS,
  {
    metadata: { name, namespace: ns, uid: `uid-${ns}-${name}` },
    type: 'Opaque',
    data: { v: Buffer.from(value).toString('base64') },
  },
];
function mountingPod(name: string, ns: string, secretName: string, optional = false): KubeObject {
  return {
    metadata: { name, namespace: ns },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'i',
          env: [{ name: 'X', valueFrom: { secretKeyRef: { name: secretName, key: 'v', optional } } }],
        },
      ],
      volumes: [{ name: 'v', secret: { secretName, optional } }],
    },
  };
}

async function table(virtual: Seed[] = [], host: Seed[] = []): Promise<StateTable> {
  return start({
    kinds: ['secrets', 'configmaps', 'pods'],
    virtual: [...infrastructure, ...virtual],
    host: [...hostInfrastructure, ...host],
  });
}
const hostPod = (t: StateTable, name: string, ns: string) =>
  t.host.objects(PODS, HOST_NS).find((p) => p.metadata?.name === hostName(name, ns));
const eventsOf = (t: StateTable, ns: string, name: string) =>
  t.virtual
    .objects(Resources.events, ns)
    .filter((e) => (e.involvedObject as { name?: string }).name === name)
    .map((e) => `${e.reason}: ${e.message}`);
/** `kubectl debug`: adds debug containers to the virtual pod `name` (its ephemeralcontainers subresource). */
async function debugVirtualPod(
  t: StateTable,
  ns: string,
  name: string,
  ephemeralContainers: Record<string, unknown>[],
): Promise<KubeObject> {
  const running = t.virtual.objects(PODS, ns).find((p) => p.metadata?.name === name)!;
  return t.virtual.update(
    PODS,
    ns,
    { ...running, spec: { ...(running.spec as object), ephemeralContainers } },
    { subresource: 'ephemeralcontainers' },
  );
}
/** Every secret name the host pod reads, by volume or env. */
const secretsRead = (pod: KubeObject | undefined) => {
  const spec = (pod?.spec ?? {}) as {
    volumes?: { secret?: { secretName?: string } }[];
    containers?: { env?: { valueFrom?: { secretKeyRef?: { name?: string } } }[] }[];
  };
  return [
    ...(spec.volumes ?? []).flatMap((v) => (v.secret?.secretName ? [v.secret.secretName] : [])),
    ...(spec.containers ?? []).flatMap((c) =>
      (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef?.name ? [e.valueFrom.secretKeyRef.name] : [])),
    ),
  ];
};

describe('tenant isolation: a pod never reads a host object that is not its tenant copy of exactly that object', () => {
  it('an unmanaged host secret with the translated name of a missing secret is never mounted', async () => {
    const admin: Seed = [
      SECRETS,
      { metadata: { name: hostName('creds', 'team'), namespace: HOST_NS }, data: { v: 'aG9zdA==' } },
    ];
    const t = await table([], [admin]);
    await t.virtual.create(PODS, 'team', mountingPod('thief', 'team', 'creds'));
    await t.settle();
    expect(hostPod(t, 'thief', 'team')).toBeUndefined();
    expect(eventsOf(t, 'team', 'thief')).toContain(
      'FailedMount: MountVolume.SetUp failed for volume "v" : secret "creds" not found',
    );
  });

  it('-x- ambiguity, victim first: a pod naming `s-x-b` in `a` does not get the copy of `s` in `b-x-a`', async () => {
    const t = await table([secret('s', 'b-x-a', 'victim')]);
    await t.virtual.create(PODS, 'b-x-a', mountingPod('owner', 'b-x-a', 's'));
    await t.settle();
    expect(hostPod(t, 'owner', 'b-x-a')).toBeDefined();
    await t.virtual.create(PODS, 'a', mountingPod('thief', 'a', 's-x-b'));
    await t.settle();
    expect(hostPod(t, 'thief', 'a')).toBeUndefined();
    expect(
      eventsOf(t, 'a', 'thief').some((e) => e.startsWith('SyncError') || e.startsWith('FailedMount')),
    ).toBe(true);
  });

  it("-x- ambiguity, thief first: the held pod is never created once the victim's copy appears", async () => {
    const t = await table();
    await t.virtual.create(PODS, 'a', mountingPod('thief', 'a', 's-x-b'));
    await t.settle();
    expect(hostPod(t, 'thief', 'a')).toBeUndefined();
    await t.virtual.create(SECRETS, 'b-x-a', secret('s', 'b-x-a', 'victim')[1]);
    await t.virtual.create(PODS, 'b-x-a', mountingPod('owner', 'b-x-a', 's'));
    await t.settle();
    t.clock.advance(60_000);
    await t.settle();
    expect(hostPod(t, 'owner', 'b-x-a')).toBeDefined();
    expect(hostPod(t, 'thief', 'a')).toBeUndefined();
    // It reads as missing (the tenant learns nothing of the other namespace's object).
    expect(eventsOf(t, 'a', 'thief')).toContain(
      'FailedMount: MountVolume.SetUp failed for volume "v" : secret "s-x-b" not found',
    );
  });

  it('a copy a running pod mounts outlives its secret, so a later claimant of the name cannot feed that pod', async () => {
    const t = await table([secret('s-x-b', 'a', 'mine')]);
    await t.virtual.create(PODS, 'a', mountingPod('thief', 'a', 's-x-b'));
    await t.settle();
    expect(secretsRead(hostPod(t, 'thief', 'a'))).toEqual([hostName('s-x-b', 'a'), hostName('s-x-b', 'a')]);
    // The thief deletes its own secret, hoping the victim's copy takes the name its pod reads.
    await t.virtual.delete(SECRETS, 'a', 's-x-b');
    await t.virtual.create(SECRETS, 'b-x-a', secret('s', 'b-x-a', 'victim')[1]);
    await t.virtual.create(PODS, 'b-x-a', mountingPod('owner', 'b-x-a', 's'));
    await t.settle();
    const copy = t.host.objects(SECRETS, HOST_NS).find((s) => s.metadata?.name === hostName('s', 'b-x-a'));
    expect(Buffer.from(String((copy?.data as { v: string }).v), 'base64').toString()).toBe('mine');
    expect(copy?.metadata?.annotations?.['vcluster.loft.sh/object-namespace']).toBe('a');
    // The victim is told why its secret waits, and its pod waits with it.
    expect(eventsOf(t, 'b-x-a', 's').some((e) => e.startsWith('SyncError'))).toBe(true);
    expect(hostPod(t, 'owner', 'b-x-a')).toBeUndefined();
  });

  it('a secret of another virtual cluster under the same host name is never mounted', async () => {
    // vc `vc` namespace `c` naming `s-x-n` gives `s-x-n-x-c-x-vc`: also vc `c-x-vc`'s copy of `s` in `n`.
    const other: Seed = [
      SECRETS,
      {
        metadata: {
          name: hostName('s-x-n', 'c'),
          namespace: HOST_NS,
          labels: { 'vcluster.loft.sh/managed-by': 'c-x-vc' },
          annotations: {
            'vcluster.loft.sh/object-name': 's',
            'vcluster.loft.sh/object-namespace': 'n',
            'vcluster.loft.sh/object-kind': '/v1, Kind=Secret',
          },
        },
        data: { v: 'b3RoZXI=' },
      },
    ];
    const t = await table([secret('s-x-n', 'c', 'mine')], [other]);
    await t.virtual.create(PODS, 'c', mountingPod('p', 'c', 's-x-n'));
    await t.settle();
    expect(hostPod(t, 'p', 'c')).toBeUndefined();
    // Our secret cannot take the name either: it belongs to the other virtual cluster.
    expect(eventsOf(t, 'c', 's-x-n').some((e) => e.startsWith('SyncError'))).toBe(true);
  });

  it("an optional reference to a missing secret points at a name no tenant object can take, and no other pod's", async () => {
    const t = await table([secret('s', 'b-x-a', 'victim')]);
    await t.virtual.create(PODS, 'b-x-a', mountingPod('owner', 'b-x-a', 's'));
    await t.virtual.create(PODS, 'a', mountingPod('thief', 'a', 's-x-b', true));
    await t.virtual.create(PODS, 'a', mountingPod('other', 'a', 's-x-b', true));
    await t.settle();
    // The pod runs (the secret is optional), and reads neither the victim's copy nor its would-be name.
    const read = secretsRead(hostPod(t, 'thief', 'a'));
    expect(read).toEqual([expect.stringMatching(/^vsyncer-absent-[0-9a-f]{20}$/), read[0]]);
    expect(read[0]!.startsWith(ABSENT_REFERENCE_PREFIX)).toBe(true);
    // Nor a name another pod points at: whatever a host controller puts there reaches one pod only.
    expect(secretsRead(hostPod(t, 'other', 'a'))[0]).not.toBe(read[0]);
  });

  it("an optional reference judged absent stays pointed at nothing when the secret appears while the pod's token is stored", async () => {
    const t = await table([
      secret('s', 'b-x-a', 'victim'),
      [Resources.serviceAccounts, { metadata: { name: 'default', namespace: 'a' } }],
    ]);
    await t.virtual.create(PODS, 'b-x-a', mountingPod('owner', 'b-x-a', 's'));
    await t.settle();
    // The thief's pod names a missing optional secret and a token: admitted, it has its token stored
    // first. Meanwhile the thief makes the secret (its copy is refused: the victim's holds the name).
    let appeared = false;
    t.host.mutateOnCreate('secrets', (created) => {
      if (appeared || created.metadata?.name !== bundleName(VC, 0)) return;
      appeared = true;
      void t.virtual.create(SECRETS, 'a', secret('s-x-b', 'a', 'mine')[1]);
    });
    const thief = mountingPod('thief', 'a', 's-x-b', true);
    (thief.spec as { volumes: unknown[] }).volumes.push({
      name: 'token',
      projected: { sources: [{ serviceAccountToken: { path: 'token' } }] },
    });
    await t.virtual.create(PODS, 'a', thief);
    await t.settle();
    expect(appeared).toBe(true);
    // It gets what it was admitted with: the placeholder, never the victim's copy.
    const read = secretsRead(hostPod(t, 'thief', 'a'));
    expect(read).toEqual([expect.stringMatching(/^vsyncer-absent-[0-9a-f]{20}$/), read[0]]);
  });

  /**
   * What the victim's copy looks like once its kind took the shared host name: the metadata that
   * proves whose copy a host object is (`s` of `b-x-a`), under the name `s-x-b` of `a` translates to.
   */
  const victimsCopy = (kind: string): KubeObject => ({
    metadata: {
      name: hostName('s', 'b-x-a'),
      namespace: HOST_NS,
      labels: { 'vcluster.loft.sh/managed-by': VC, 'vcluster.loft.sh/namespace': 'b-x-a' },
      annotations: {
        'vcluster.loft.sh/object-name': 's',
        'vcluster.loft.sh/object-namespace': 'b-x-a',
        'vcluster.loft.sh/object-kind': `/v1, Kind=${kind}`,
      },
    },
    ...(kind === 'Secret' ? { data: { v: Buffer.from('victim').toString('base64') } } : {}),
  });
  const withToken = (pod: KubeObject): KubeObject => {
    const spec = pod.spec as { volumes?: unknown[] };
    spec.volumes = [
      ...(spec.volumes ?? []),
      { name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
    ];
    return pod;
  };

  it.each([
    ['a secret it mounts', 'Secret', SECRETS, mountingPod('thief', 'a', 's-x-b')],
    [
      'the service account it runs as',
      'ServiceAccount',
      Resources.serviceAccounts,
      {
        metadata: { name: 'thief', namespace: 'a' },
        spec: { serviceAccountName: 's-x-b', containers: [{ name: 'c', image: 'i' }] },
      },
    ],
  ])(
    "a copy judged the pod's own that another's takes over while the pod's token is stored (%s) is judged again, and the pod is not made with it",
    async (_what, kind, type, pod) => {
      const own: Seed = [type, { metadata: { name: 's-x-b', namespace: 'a', uid: 'uid-a-s-x-b' } }];
      const t = await start({
        kinds: ['secrets', 'configmaps', 'serviceaccounts', 'pods'],
        virtual: [
          ...infrastructure,
          own,
          [Resources.serviceAccounts, { metadata: { name: 'default', namespace: 'a' } }],
        ],
        host: hostInfrastructure,
      });
      // Admitted with the thief's own copy; while its token is stored, the thief deletes the object
      // and the victim's copy takes the name (its kind was waiting for it).
      let replaced = false;
      t.host.mutateOnCreate('secrets', (created) => {
        if (replaced || created.metadata?.name !== bundleName(VC, 0)) return;
        replaced = true;
        void t.virtual.delete(type, 'a', 's-x-b');
        t.host.seed(type, victimsCopy(kind));
      });
      await t.virtual.create(PODS, 'a', withToken(structuredClone(pod)));
      await t.settle();
      t.clock.advance(60_000);
      await t.settle();
      expect(replaced).toBe(true);
      expect(JSON.stringify(hostPod(t, 'thief', 'a') ?? {})).not.toContain(hostName('s', 'b-x-a'));
    },
  );

  it.each([
    ['an NFS export', { nfs: { server: 'nfs.storage.svc', path: '/exports' } }, 'nfs'],
    ['a cloud disk by ID', { awsElasticBlockStore: { volumeID: 'vol-0123' } }, 'awsElasticBlockStore'],
    [
      'an iSCSI LUN',
      { iscsi: { targetPortal: '10.0.0.5:3260', iqn: 'iqn.2001-04.com.example:s', lun: 0 } },
      'iscsi',
    ],
  ])(
    'an inline volume naming %s: the pod never reaches the host, and is told why',
    async (_what, source, type) => {
      const t = await table([]);
      await t.virtual.create(PODS, 'a', {
        metadata: { name: 'p', namespace: 'a' },
        spec: { containers: [{ name: 'c', image: 'i' }], volumes: [{ name: 'v', ...source }] },
      });
      await t.settle();
      expect(hostPod(t, 'p', 'a')).toBeUndefined();
      expect(
        eventsOf(t, 'a', 'p').some((e) => e.includes(`the inline volume source "${type}" is not allowed`)),
      ).toBe(true);
    },
  );

  /** Every way a pod spec names a Secret or ConfigMap, each pointed at another namespace's copy through `-x-`. */
  const referenceShapes: [string, string, Record<string, unknown>][] = [
    ['secret volume', 'Secret', { volumes: [{ name: 'v', secret: { secretName: 's-x-b' } }] }],
    [
      'projected secret',
      'Secret',
      { volumes: [{ name: 'v', projected: { sources: [{ secret: { name: 's-x-b' } }] } }] },
    ],
    ['configMap volume', 'ConfigMap', { volumes: [{ name: 'v', configMap: { name: 's-x-b' } }] }],
    [
      'projected configMap',
      'ConfigMap',
      { volumes: [{ name: 'v', projected: { sources: [{ configMap: { name: 's-x-b' } }] } }] },
    ],
    [
      'CSI credentials',
      'Secret',
      { volumes: [{ name: 'v', csi: { driver: 'd', nodePublishSecretRef: { name: 's-x-b' } } }] },
    ],
    ['azureFile', 'Secret', { volumes: [{ name: 'v', azureFile: { secretName: 's-x-b', shareName: 'x' } }] }],
    [
      'env secretKeyRef',
      'Secret',
      {
        containers: [
          {
            name: 'c',
            image: 'i',
            env: [{ name: 'E', valueFrom: { secretKeyRef: { name: 's-x-b', key: 'v' } } }],
          },
        ],
      },
    ],
    [
      'envFrom configMapRef',
      'ConfigMap',
      { containers: [{ name: 'c', image: 'i', envFrom: [{ configMapRef: { name: 's-x-b' } }] }] },
    ],
    [
      'init container envFrom secretRef',
      'Secret',
      { initContainers: [{ name: 'i', image: 'i', envFrom: [{ secretRef: { name: 's-x-b' } }] }] },
    ],
    ['image pull secret', 'Secret', { imagePullSecrets: [{ name: 's-x-b' }] }],
  ];

  it.each(referenceShapes)(
    "%s naming another namespace's copy: the pod never reaches the host, the tenant's own object of that name never syncs there",
    async (_shape, kind, spec) => {
      const type = kind === 'Secret' ? SECRETS : Resources.configMaps;
      const victim: Seed = [
        type,
        { metadata: { name: 's', namespace: 'b-x-a', uid: 'victim' }, data: { v: 'dmljdGlt' } },
      ];
      // The thief makes its own object of that name, hoping the name resolves to the victim's copy.
      const own: Seed = [
        type,
        { metadata: { name: 's-x-b', namespace: 'a', uid: 'thief' }, data: { v: 'bWluZQ==' } },
      ];
      const t = await table([victim, own]);
      // The victim's pod uses the victim's object, so its copy holds the shared host name first.
      const victimPod =
        kind === 'Secret'
          ? mountingPod('owner', 'b-x-a', 's')
          : {
              metadata: { name: 'owner', namespace: 'b-x-a' },
              spec: {
                containers: [{ name: 'c', image: 'i' }],
                volumes: [{ name: 'v', configMap: { name: 's' } }],
              },
            };
      await t.virtual.create(PODS, 'b-x-a', victimPod);
      await t.settle();
      await t.virtual.create(PODS, 'a', {
        metadata: { name: 'thief', namespace: 'a' },
        spec: { containers: [{ name: 'c', image: 'i' }], ...spec },
      });
      await t.settle();
      expect(hostPod(t, 'thief', 'a')).toBeUndefined();
      const copies = t.host.objects(type, HOST_NS).filter((o) => o.metadata?.name === hostName('s', 'b-x-a'));
      expect(copies.map((c) => c.metadata?.annotations?.['vcluster.loft.sh/object-namespace'])).toEqual([
        'b-x-a',
      ]);
      expect(eventsOf(t, 'a', 'thief').some((e) => e.startsWith('SyncError'))).toBe(true);
    },
  );

  it('forged ownership labels and annotations on a tenant object never change whose copy it is', async () => {
    const forged: Seed = [
      SECRETS,
      {
        metadata: {
          name: 'forged',
          namespace: 'a',
          uid: 'uid-forged',
          labels: { 'vcluster.loft.sh/managed-by': 'other-vc', 'vcluster.loft.sh/namespace': 'b' },
          annotations: { 'vcluster.loft.sh/object-name': 's', 'vcluster.loft.sh/object-namespace': 'b-x-a' },
        },
        data: { v: 'eA==' },
      },
    ];
    const t = await start({ kinds: ['secrets'], virtual: [forged], flags: { syncAllSecrets: 'true' } });
    await t.settle();
    const [copy] = t.host.objects(SECRETS, HOST_NS);
    expect(copy?.metadata?.labels?.['vcluster.loft.sh/managed-by']).toBe(VC);
    expect(copy?.metadata?.labels?.['vcluster.loft.sh/namespace']).toBe('a');
    expect(copy?.metadata?.annotations?.['vcluster.loft.sh/object-name']).toBe('forged');
    expect(copy?.metadata?.annotations?.['vcluster.loft.sh/object-namespace']).toBe('a');
  });

  it("a debug container added later (kubectl debug) naming another namespace's copy never reaches the running host pod", async () => {
    const t = await table([secret('s', 'b-x-a', 'victim'), secret('mine', 'a', 'own')]);
    await t.virtual.create(PODS, 'b-x-a', mountingPod('owner', 'b-x-a', 's'));
    await t.virtual.create(PODS, 'a', mountingPod('thief', 'a', 'mine'));
    await t.settle();
    expect(hostPod(t, 'thief', 'a')).toBeDefined();
    await debugVirtualPod(t, 'a', 'thief', [
      { name: 'dbg', image: 'i', envFrom: [{ secretRef: { name: 's-x-b' } }] },
    ]);
    await t.settle();
    expect(
      (hostPod(t, 'thief', 'a')?.spec as { ephemeralContainers?: unknown[] }).ephemeralContainers,
    ).toBeUndefined();
  });

  it('a debug container is added with the names it was admitted with: its secret deleted during a host write never frees the name', async () => {
    const t = await table([
      secret('s', 'b-x-a', 'victim'),
      secret('mine', 'a', 'own'),
      secret('s-x-b', 'a', 'decoy'),
    ]);
    await t.virtual.create(PODS, 'b-x-a', mountingPod('owner', 'b-x-a', 's'));
    await t.virtual.create(PODS, 'a', mountingPod('thief', 'a', 'mine'));
    await t.settle();
    // A debug container reading the thief's own `s-x-b`, optional: refused, as the victim's copy
    // holds its host name.
    await debugVirtualPod(t, 'a', 'thief', [
      { name: 'dbg', image: 'i', envFrom: [{ secretRef: { name: 's-x-b', optional: true } }] },
    ]);
    await t.settle();
    expect(eventsOf(t, 'a', 'thief')).toContainEqual(
      expect.stringContaining('Secret "s-x-b": its host name is held by another object'),
    );
    // As it is now: its status shows the refused container.
    const debugged = t.virtual.objects(PODS, 'a').find((p) => p.metadata?.name === 'thief')!;
    // The thief deletes the secret while the syncer writes a label of the pod to the host pod: the
    // debug container, now an optional reference to nothing, must not carry the name judged held.
    t.host.actOnNext('update', 'pods', () => void t.virtual.delete(SECRETS, 'a', 's-x-b'));
    await t.virtual.update(PODS, 'a', {
      ...debugged,
      metadata: { ...debugged.metadata, labels: { app: 'y' } },
    });
    await t.settle();
    expect(t.virtual.objects(SECRETS, 'a').map((s) => s.metadata?.name)).toEqual(['mine']);
    // Judged again (an optional reference to nothing now), it is added, pointing at a placeholder.
    const debug = (
      hostPod(t, 'thief', 'a')?.spec as {
        ephemeralContainers?: { name: string; envFrom?: { secretRef?: { name?: string } }[] }[];
      }
    ).ephemeralContainers;
    expect(debug?.map((c) => [c.name, c.envFrom?.[0]?.secretRef?.name])).toEqual([
      ['dbg', expect.stringMatching(/^vsyncer-absent-[0-9a-f]{20}$/)],
    ]);
  });

  it("a debug container's copy judged its own that another's takes over during a host write is judged again, and not added with it", async () => {
    const t = await table([secret('mine', 'a', 'own'), secret('s-x-b', 'a', 'own too')]);
    await t.virtual.create(PODS, 'a', mountingPod('thief', 'a', 'mine'));
    await t.settle();
    // A debug container reading the thief's own `s-x-b` (copied once it is named): admitted.
    const debugged = await debugVirtualPod(t, 'a', 'thief', [
      { name: 'dbg', image: 'i', envFrom: [{ secretRef: { name: 's-x-b' } }] },
    ]);
    // Before the syncer gets to it, a label change comes too; while that is written to the host pod,
    // the thief deletes the secret and the victim's copy takes the name.
    await t.virtual.update(PODS, 'a', {
      ...debugged,
      metadata: { ...debugged.metadata, labels: { app: 'y' } },
    });
    t.host.actOnNext('update', 'pods', () => {
      void t.virtual.delete(SECRETS, 'a', 's-x-b');
      t.host.seed(SECRETS, victimsCopy('Secret'));
    });
    await t.settle();
    t.clock.advance(60_000);
    await t.settle();
    expect(JSON.stringify(hostPod(t, 'thief', 'a')?.spec)).not.toContain(hostName('s', 'b-x-a'));
  });

  it("a tenant's debug container named like a host admin's on the host pod is never added, served or shown; one of its own name is added, marked", async () => {
    const t = await table([secret('mine', 'a', 'own')]);
    await t.virtual.create(PODS, 'a', mountingPod('web', 'a', 'mine'));
    await t.settle();
    // A host admin debugs the host pod in place: a privileged container the tenant must never enter.
    const host = hostPod(t, 'web', 'a')!;
    const admins = { name: 'debugger-ab12c', image: 'busybox', securityContext: { privileged: true } };
    await t.host.update(
      PODS,
      HOST_NS,
      { ...host, spec: { ...(host.spec as object), ephemeralContainers: [admins] } },
      { subresource: 'ephemeralcontainers' },
    );
    const running = hostPod(t, 'web', 'a')!;
    await t.host.update(
      PODS,
      HOST_NS,
      {
        ...running,
        status: {
          phase: 'Running',
          ephemeralContainerStatuses: [{ name: 'debugger-ab12c', state: { running: {} } }],
        },
      },
      { subresource: 'status' },
    );
    await t.settle();
    await debugVirtualPod(t, 'a', 'web', [
      { name: 'debugger-ab12c', image: 'busybox' },
      { name: 'mine', image: 'busybox' },
    ]);
    await t.settle();
    const debug = (hostPod(t, 'web', 'a')?.spec as { ephemeralContainers: Record<string, unknown>[] })
      .ephemeralContainers;
    expect(debug.map((c) => c.name)).toEqual(['debugger-ab12c', 'mine']);
    expect(debug[0]).toEqual(admins);
    expect(debug[1]!.env).toContainEqual({ name: 'VSYNCER_TENANT_DEBUG_CONTAINER', value: 'true' });
    expect(eventsOf(t, 'a', 'web')).toContainEqual(
      expect.stringContaining('debug container name(s) "debugger-ab12c" already taken on the host pod'),
    );
    const shown = t.virtual.objects(PODS, 'a').find((p) => p.metadata?.name === 'web')!;
    expect(
      (shown.status as { ephemeralContainerStatuses?: unknown[] }).ephemeralContainerStatuses ?? [],
    ).toEqual([]);
  });

  it("a debug container is added though an object the pod's own volumes use went since; one naming a missing object waits, told once", async () => {
    const t = await table([secret('mine', 'a', 'own')]);
    await t.virtual.create(PODS, 'a', mountingPod('web', 'a', 'mine'));
    await t.settle();
    expect(hostPod(t, 'web', 'a')).toBeDefined();
    // The pod's Secret goes; its copy stays while the host pod mounts it.
    await t.virtual.delete(SECRETS, 'a', 'mine');
    await t.settle();
    await debugVirtualPod(t, 'a', 'web', [{ name: 'dbg', image: 'busybox' }]);
    await t.settle();
    const debugNames = () =>
      (
        (hostPod(t, 'web', 'a')?.spec as { ephemeralContainers?: { name: string }[] }).ephemeralContainers ??
        []
      ).map((c) => c.name);
    expect(debugNames()).toEqual(['dbg']);

    // A second one reading a Secret that does not exist waits, and the tenant is told why once.
    await debugVirtualPod(t, 'a', 'web', [
      { name: 'dbg', image: 'busybox' },
      {
        name: 'dbg2',
        image: 'busybox',
        env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'later', key: 'v' } } }],
      },
    ]);
    await t.settle();
    t.clock.advance(60_000);
    await t.settle();
    expect(debugNames()).toEqual(['dbg']);
    const waiting = eventsOf(t, 'a', 'web').filter((e) => e.startsWith('DebugContainerWaiting'));
    expect(waiting).toEqual([expect.stringContaining('"later"')]);
    const [, later] = secret('later', 'a', 'now');
    await t.virtual.create(SECRETS, 'a', { ...later, metadata: { name: 'later', namespace: 'a' } });
    await t.settle();
    expect(debugNames()).toEqual(['dbg', 'dbg2']);

    // What an earlier debug container reads goes too: a third one naming nothing is still added.
    await t.virtual.delete(SECRETS, 'a', 'later');
    await t.settle();
    await debugVirtualPod(t, 'a', 'web', [
      { name: 'dbg', image: 'busybox' },
      {
        name: 'dbg2',
        image: 'busybox',
        env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'later', key: 'v' } } }],
      },
      { name: 'dbg3', image: 'busybox' },
    ]);
    await t.settle();
    expect(debugNames()).toEqual(['dbg', 'dbg2', 'dbg3']);
  });

  it('a pod whose Secret the host refuses to copy (a quota) is told after a grace, once, and runs once the copy is made', async () => {
    const t = await table([secret('s', 'a', 'v')]);
    let refusing = true;
    t.host.mutateOnCreate('secrets', (created) => {
      if (refusing && created.metadata?.name === hostName('s', 'a'))
        throw new ApiError(
          'host',
          403,
          undefined,
          'secrets "s-x-a-x-vc" is forbidden: exceeded quota: q, requested: count/secrets=1',
        );
    });
    await t.virtual.create(PODS, 'a', mountingPod('web', 'a', 's'));
    await t.settle();
    expect(eventsOf(t, 'a', 'web').filter((e) => e.startsWith('SyncWaiting'))).toEqual([]);
    for (let i = 0; i < 6; i++) {
      t.clock.advance(10_000);
      await t.settle();
    }
    expect(hostPod(t, 'web', 'a')).toBeUndefined();
    expect(eventsOf(t, 'a', 'web').filter((e) => e.startsWith('SyncWaiting'))).toEqual([
      expect.stringContaining('Secret "s": waiting for its host copy'),
    ]);
    refusing = false;
    for (let i = 0; i < 12 && !hostPod(t, 'web', 'a'); i++) {
      t.clock.advance(30_000);
      await t.settle();
    }
    expect(hostPod(t, 'web', 'a')).toBeDefined();
  });

  it("a debug container the pod security level refuses (kubectl debug's default profile) holds up neither another added with it nor a later one; each is told by name", async () => {
    const t = await table([]);
    await t.virtual.create(PODS, 'a', {
      metadata: { name: 'web', namespace: 'a', uid: 'uid-web' },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
    });
    await t.settle();
    expect(hostPod(t, 'web', 'a')).toBeDefined();
    const debugNames = () =>
      (
        (hostPod(t, 'web', 'a')?.spec as { ephemeralContainers?: { name: string }[] }).ephemeralContainers ??
        []
      ).map((c) => c.name);
    const general = {
      name: 'debugger-x1',
      image: 'busybox',
      securityContext: { capabilities: { add: ['SYS_PTRACE'] } },
    };
    await debugVirtualPod(t, 'a', 'web', [general]);
    await t.settle();
    expect(debugNames()).toEqual([]);
    // Neither waits behind it: one added later, nor two added together.
    await debugVirtualPod(t, 'a', 'web', [general, { name: 'dbg', image: 'busybox' }]);
    await t.settle();
    expect(debugNames()).toEqual(['dbg']);
    await debugVirtualPod(t, 'a', 'web', [
      general,
      { name: 'dbg', image: 'busybox' },
      { ...general, name: 'debugger-x2' },
      { name: 'dbg2', image: 'busybox' },
    ]);
    await t.settle();
    expect(debugNames()).toEqual(['dbg', 'dbg2']);
    const refused = eventsOf(t, 'a', 'web')
      .filter((e) => e.startsWith('SyncError'))
      .sort();
    expect(refused).toEqual([
      expect.stringContaining('debug container "debugger-x1" not added:'),
      expect.stringContaining('debug container "debugger-x2" not added:'),
    ]);
    expect(refused[0]).toContain('SYS_PTRACE');
    // kubectl debug waits for the container's status: the refused ones are shown waiting, with why.
    const virtualPod = t.virtual.objects(PODS, 'a').find((p) => p.metadata?.name === 'web');
    const statuses = (
      virtualPod?.status as {
        ephemeralContainerStatuses?: {
          name: string;
          state?: { waiting?: { reason?: string; message?: string } };
        }[];
      }
    ).ephemeralContainerStatuses;
    expect(statuses?.map((s) => [s.name, s.state?.waiting?.reason])).toEqual([
      ['debugger-x1', 'SyncError'],
      ['debugger-x2', 'SyncError'],
    ]);
    expect(statuses?.[0]!.state?.waiting?.message).toContain('SYS_PTRACE');
  });

  it('a debug container added while the pod waits for its copy follows the host pod through its subresource (a create carrying it is refused)', async () => {
    const t = await table();
    await t.virtual.create(PODS, 'a', mountingPod('web', 'a', 'later'));
    await t.settle();
    expect(hostPod(t, 'web', 'a')).toBeUndefined();
    await debugVirtualPod(t, 'a', 'web', [{ name: 'dbg', image: 'busybox' }]);
    await t.settle();
    const [, seed] = secret('later', 'a', 'own');
    await t.virtual.create(SECRETS, 'a', { ...seed, metadata: { name: 'later', namespace: 'a' } });
    await t.settle();
    const debug = (hostPod(t, 'web', 'a')?.spec as { ephemeralContainers?: Record<string, unknown>[] })
      ?.ephemeralContainers;
    expect(debug?.map((c) => c.name)).toEqual(['dbg']);
    expect(debug?.[0]!.env).toContainEqual({ name: 'VSYNCER_TENANT_DEBUG_CONTAINER', value: 'true' });
    expect(t.host.writeLog()).toContain(`update pods/ephemeralcontainers ${HOST_NS}/${hostName('web', 'a')}`);
  });
});

describe('user namespaces', () => {
  /** A pod that meets Pod Security "restricted" only because it runs in a user namespace. */
  const rootInUserNamespace = (name: string): KubeObject => ({
    metadata: { name, namespace: 'team' },
    spec: {
      hostUsers: false,
      securityContext: { runAsNonRoot: false, runAsUser: 0, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'c',
          image: 'i',
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  });
  const restricted = (t: (o: Parameters<typeof start>[0]) => ReturnType<typeof start>) =>
    t({
      kinds: ['pods'],
      virtual: [...infrastructure, [PODS, rootInUserNamespace('root')]],
      host: hostInfrastructure,
      flags: { podSecurityStandard: 'restricted' },
    });

  it('a pod that meets Pod Security only in a user namespace is refused on a host that drops hostUsers (it would run as root of the node)', async () => {
    const t = await restricted(start);
    // An API server with user namespaces off drops the field, as a dry run shows.
    t.host.mutateOnCreate('pods', (pod) => delete (pod.spec as { hostUsers?: boolean }).hostUsers);
    await t.settle();
    expect(hostPod(t, 'root', 'team')).toBeUndefined();
    expect(t.host.writeLog().filter((w) => w.includes(' pods '))).toEqual([]);
    expect(eventsOf(t, 'team', 'root').join('\n')).toContain(
      'the host cluster does not run pods in user namespaces (it drops spec.hostUsers)',
    );
  });

  it('on a host that keeps hostUsers, the same pod is created, in a user namespace', async () => {
    const t = await restricted(start);
    await t.settle();
    expect((hostPod(t, 'root', 'team')?.spec as { hostUsers?: boolean }).hostUsers).toBe(false);
  });
});
