import type { KubeObject, OwnerReference } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { hostName } from '../../naming/names.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../../testing/state-table.ts';
import { tokenVolumeSecrets } from '../../testing/pod-seeds.ts';
import { bundleName, bundleTimes, tokenKey } from './token-bundles.ts';
import { perPodTokenSecretName, TOKEN_POD_ANNOTATION } from './per-pod-token-secrets.ts';
import { TOKEN_POD_UID_ANNOTATION, TOKEN_REFRESH_AT_ANNOTATION } from './token-requests.ts';

/**
 * --pod-token-secrets per-pod: vCluster's sync.toHost.pods.useSecretsForSATokens, one host Secret per
 * pod (`<pod>-sa-token`, translated), against the fake API servers.
 */
const start = stateTables();
const PODS = Resources.pods;
const SECRETS = Resources.secrets;
const VOLUME = 'kube-api-access-x';
const PER_POD = { podTokenSecrets: 'per-pod' };

const infrastructure = (namespaces: string[] = ['team']) => ({
  virtual: [
    [
      Resources.services,
      { metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { clusterIP: '10.96.0.10' } },
    ],
    ...namespaces.flatMap((ns): Seed[] => [
      [Resources.namespaces, { metadata: { name: ns } }],
      [Resources.serviceAccounts, { metadata: { name: 'default', namespace: ns } }],
    ]),
  ] as Seed[],
  host: [
    [
      Resources.services,
      {
        metadata: { name: VC, namespace: HOST_NS },
        spec: { clusterIP: '10.96.0.50', ports: [{ port: 443 }] },
      },
    ],
  ] as Seed[],
});

/** A pod as the virtual API server leaves it: a service-account token projected into a volume. */
const podWithToken = (name: string, namespace = 'team', extra: object[] = []): Seed => [
  PODS,
  {
    metadata: { name, namespace, uid: `uid-${name}` },
    spec: {
      containers: [{ name: 'main', image: 'app:1' }],
      volumes: [
        {
          name: VOLUME,
          projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] },
        },
        ...extra,
      ],
    },
    status: { phase: 'Pending' },
  },
];

const hostPodOf = (t: StateTable, name: string, namespace = 'team') =>
  t.host.objects(PODS, HOST_NS).find((p) => p.metadata?.name === hostName(name, namespace, VC));
const hostSecret = (t: StateTable, name: string) =>
  t.host.objects(SECRETS, HOST_NS).find((s) => s.metadata?.name === name);
const bundles = (t: StateTable) =>
  t.host.objects(SECRETS, HOST_NS).filter((s) => s.metadata?.name?.startsWith('vsyncer-tokens-'));
/** The secret sources of a host pod's token volume. */
const tokenMounts = (pod: KubeObject | undefined) => tokenVolumeSecrets(pod, VOLUME);
const decoded = (secret: KubeObject | undefined, key: string) =>
  Buffer.from((secret?.data as Record<string, string>)[key]!, 'base64').toString();
const syncErrors = (t: StateTable, namespace = 'team') =>
  t.virtual
    .objects(Resources.events, namespace)
    .filter((e) => e.reason === 'SyncError')
    .map((e) => e.message as string);
const tokenRequests = (t: StateTable) => t.virtual.writeLog().filter((w) => w.includes('token'));

/** The host copy of tenant Secret `namespace/name`, as the secrets kind writes it. */
const tenantCopy = (namespace: string, name: string, annotations: Record<string, string> = {}): Seed => [
  SECRETS,
  {
    metadata: {
      name: hostName(name, namespace, VC),
      namespace: HOST_NS,
      labels: { 'vcluster.loft.sh/managed-by': VC },
      annotations: {
        'vcluster.loft.sh/object-name': name,
        'vcluster.loft.sh/object-namespace': namespace,
        'vcluster.loft.sh/object-kind': '/v1, Kind=Secret',
        ...annotations,
      },
    },
    data: { password: Buffer.from('tenant-secret').toString('base64') },
  },
];

async function table(pods: Seed[], opts: { flags?: object; host?: Seed[]; namespaces?: string[] } = {}) {
  const infra = infrastructure(opts.namespaces);
  const t = await start({
    kinds: ['pods'],
    flags: { ...PER_POD, ...opts.flags },
    virtual: [...infra.virtual, ...pods],
    host: [...infra.host, ...(opts.host ?? [])],
  });
  await t.settle();
  return t;
}

describe('per-pod token Secrets (state table)', () => {
  it("keeps a pod's tokens in vCluster's <pod>-sa-token Secret, written before the pod and owned by it", async () => {
    const t = await table([podWithToken('a')]);
    const name = hostName('a-sa-token', 'team', VC);
    expect(perPodTokenSecretName('a', 'team', VC)).toBe(name);
    const pod = hostPodOf(t, 'a')!;
    const secret = hostSecret(t, name)!;
    expect(secret.metadata?.labels).toEqual({ 'vcluster.loft.sh/managed-by': VC });
    expect(secret.metadata?.annotations).toMatchObject({
      'vcluster.loft.sh/skip-backsync': 'true',
      [TOKEN_POD_ANNOTATION]: 'team/a',
      [TOKEN_POD_UID_ANNOTATION]: 'uid-a',
    });
    // No object annotations: it is no copy of a tenant object, and nothing takes it for one.
    expect(Object.keys(secret.metadata?.annotations ?? {}).filter((k) => k.includes('object-'))).toEqual([]);
    expect(secret.type).toBe('Opaque');
    expect(Object.keys(secret.data as object)).toEqual([VOLUME]);
    expect(decoded(secret, VOLUME)).toMatch(/^fake-token\.virtual\.team\.default\./);
    expect(secret.metadata?.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid },
    ]);
    // The host pod reads it from the Secret, only its own key: no token annotation, no bundle.
    expect(tokenMounts(pod)).toEqual([{ name, items: [{ key: VOLUME, path: 'token' }] }]);
    expect(Object.keys(pod.metadata?.annotations ?? {}).filter((k) => /token/i.test(k))).toEqual([]);
    expect(bundles(t)).toEqual([]);
    // Written before the pod (it starts with its token), given the pod as owner once it exists:
    // one write more per pod than bundles, whose write many new pods share.
    expect(t.host.writeLog().filter((w) => !w.includes(' events '))).toEqual([
      `create secrets ${HOST_NS}/${name}`,
      `create pods ${HOST_NS}/${pod.metadata?.name}`,
      `update secrets ${HOST_NS}/${name}`,
    ]);
  });

  it("names a long pod's Secret as vCluster cuts and hashes long names, and keys each token of a volume", async () => {
    const long = `web-${'x'.repeat(70)}`;
    const [, pod] = podWithToken(long);
    const spec = pod.spec as { volumes: { projected: { sources: object[] } }[] };
    spec.volumes[0]!.projected.sources.push({ serviceAccountToken: { path: 'vault', audience: 'vault' } });
    const t = await table([[PODS, pod]]);
    const name = hostName(`${long}-sa-token`, 'team', VC);
    expect(name).toHaveLength(63);
    const secret = hostSecret(t, name)!;
    expect(Object.keys(secret.data as object).sort()).toEqual([VOLUME, `${VOLUME}.1`]);
    expect(decoded(secret, `${VOLUME}.1`)).toMatch(/^fake-token\./);
    expect(decoded(secret, `${VOLUME}.1`)).not.toBe(decoded(secret, VOLUME));
    expect(tokenMounts(hostPodOf(t, long))).toEqual([
      { name, items: [{ key: VOLUME, path: 'token' }] },
      { name, items: [{ key: `${VOLUME}.1`, path: 'vault' }] },
    ]);
  });

  it('renews the tokens in place at 80% of their life, without touching the pod', async () => {
    const t = await table([podWithToken('a')]);
    const name = perPodTokenSecretName('a', 'team', VC);
    const before = hostSecret(t, name)!;
    const refreshAt = Number(before.metadata?.annotations?.[TOKEN_REFRESH_AT_ANNOTATION]);
    // 80% of the 3607 s the pod asked for.
    expect(refreshAt - t.clock.now()).toBe(Math.floor(3607_000 * 0.8));
    t.host.clearWrites();
    t.clock.advance(refreshAt - t.clock.now() - 1000);
    await t.settle();
    expect(t.host.writeLog().filter((w) => w.includes(' secrets '))).toEqual([]);
    t.clock.advance(2000);
    await t.settle();
    const after = hostSecret(t, name)!;
    expect(decoded(after, VOLUME)).not.toBe(decoded(before, VOLUME));
    expect(Number(after.metadata?.annotations?.[TOKEN_REFRESH_AT_ANNOTATION])).toBeGreaterThan(refreshAt);
    expect(after.metadata?.ownerReferences).toEqual(before.metadata?.ownerReferences);
    expect(t.host.writeLog().filter((w) => !w.includes(' events '))).toEqual([
      `update secrets ${HOST_NS}/${name}`,
    ]);
  });

  it.each([
    ['a tenant Secret copy', {}],
    [
      'a tenant Secret copy carrying forged token annotations',
      { [TOKEN_POD_ANNOTATION]: 'team/q-x-r', [TOKEN_POD_UID_ANNOTATION]: 'uid-q-x-r' },
    ],
  ])(
    'refuses a pod whose Secret name %s holds, minting nothing and leaving that object as it was',
    async (_, annotations) => {
      // Pod q-x-r of namespace team and Secret q of namespace r-sa-token-x-team: the same host name.
      const copy = tenantCopy('r-sa-token-x-team', 'q', annotations);
      expect(copy[1].metadata?.name).toBe(perPodTokenSecretName('q-x-r', 'team', VC));
      const t = await table([podWithToken('q-x-r')], { host: [copy] });
      expect(hostPodOf(t, 'q-x-r')).toBeUndefined();
      const held = hostSecret(t, copy[1].metadata!.name!)!;
      expect(held.data).toEqual(copy[1].data);
      expect(held.metadata?.annotations).toEqual(copy[1].metadata?.annotations);
      expect(held.metadata?.ownerReferences).toBeUndefined();
      expect(t.host.writeLog().filter((w) => w.includes(' secrets ') || w.includes(' pods '))).toEqual([]);
      expect(tokenRequests(t)).toEqual([]);
      expect(syncErrors(t)).toEqual([
        expect.stringContaining('service-account token Secret (<pod>-sa-token) is held by another object'),
      ]);
    },
  );

  it("refuses a pod with a Secret that someone else's object (outside the cache) holds under the name", async () => {
    const name = perPodTokenSecretName('a', 'team', VC);
    const t = await table([podWithToken('a')], {
      host: [[SECRETS, { metadata: { name, namespace: HOST_NS }, data: { x: 'eA==' } }]],
    });
    expect(hostPodOf(t, 'a')).toBeUndefined();
    expect(hostSecret(t, name)!.data).toEqual({ x: 'eA==' });
    expect(syncErrors(t)).toEqual([expect.stringContaining('is held by another object')]);
  });

  it("deletes at start the Secrets an earlier run wrote for pods gone since, which no host pod took (it stopped between the two writes); not a live pod's, a host pod's, nor a tenant's copy", async () => {
    const left = (pod: string, extra: { ownerReferences?: OwnerReference[] } = {}): Seed => [
      SECRETS,
      {
        metadata: {
          name: perPodTokenSecretName(pod, 'team', VC),
          namespace: HOST_NS,
          labels: { 'vcluster.loft.sh/managed-by': VC },
          annotations: { [TOKEN_POD_ANNOTATION]: `team/${pod}`, [TOKEN_POD_UID_ANNOTATION]: `uid-${pod}` },
          ...extra,
        },
        data: { [VOLUME]: 'b2xk' },
      },
    ];
    const t = await table([podWithToken('live')], {
      host: [
        left('gone'),
        left('live'),
        left('owned', { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'p-uid' }] }),
        // A tenant's Secret copy of that name, its pod annotation written by the tenant: no token UID.
        tenantCopy('team', 'x-sa-token', { [TOKEN_POD_ANNOTATION]: 'team/x' }),
      ],
    });
    const names = t.host
      .objects(SECRETS, HOST_NS)
      .map((s) => s.metadata?.name)
      .sort();
    expect(names).toEqual(['live', 'owned', 'x'].map((pod) => perPodTokenSecretName(pod, 'team', VC)).sort());
    expect(t.host.writeLog()).toContain(
      `delete secrets ${HOST_NS}/${perPodTokenSecretName('gone', 'team', VC)}`,
    );
  });

  it('takes over the Secret an earlier incarnation of the same pod left (its host pod gone)', async () => {
    const name = perPodTokenSecretName('a', 'team', VC);
    const t = await table([podWithToken('a')], {
      host: [
        [
          SECRETS,
          {
            metadata: {
              name,
              namespace: HOST_NS,
              labels: { 'vcluster.loft.sh/managed-by': VC },
              annotations: { [TOKEN_POD_ANNOTATION]: 'team/a', [TOKEN_POD_UID_ANNOTATION]: 'uid-earlier' },
              ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'gone', uid: 'gone-uid' }],
            },
            data: { [VOLUME]: 'b2xk' },
          },
        ],
      ],
    });
    const pod = hostPodOf(t, 'a')!;
    const secret = hostSecret(t, name)!;
    expect(secret.metadata?.annotations?.[TOKEN_POD_UID_ANNOTATION]).toBe('uid-a');
    expect(decoded(secret, VOLUME)).toMatch(/^fake-token\./);
    expect(secret.metadata?.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid },
    ]);
  });

  it('refuses a pod naming a Secret whose host name a token Secret holds; the token Secret stays as it is', async () => {
    // Pod q-x-r of namespace a has its token Secret at q-x-r-sa-token-x-a-x-vc, the host name of
    // Secret q of namespace r-sa-token-x-a, which pod p of that namespace mounts.
    const tenantNs = 'r-sa-token-x-a';
    const reader: Seed = [
      PODS,
      {
        metadata: { name: 'p', namespace: tenantNs, uid: 'uid-p' },
        spec: {
          containers: [{ name: 'main', image: 'app:1' }],
          volumes: [{ name: 'creds', secret: { secretName: 'q' } }],
        },
        status: { phase: 'Pending' },
      },
    ];
    const infra = infrastructure(['a', tenantNs]);
    const t = await start({
      kinds: ['pods', 'secrets'],
      flags: PER_POD,
      virtual: [...infra.virtual, podWithToken('q-x-r', 'a')],
      host: infra.host,
    });
    await t.settle();
    // Then the tenant of the other namespace makes Secret q and a pod mounting it.
    await t.virtual.create(SECRETS, tenantNs, {
      metadata: { name: 'q', namespace: tenantNs },
      data: { password: 'cA==' },
    });
    await t.virtual.create(PODS, tenantNs, reader[1]);
    await t.settle();
    const name = perPodTokenSecretName('q-x-r', 'a', VC);
    expect(name).toBe(hostName('q', tenantNs, VC));
    const tokenSecret = hostSecret(t, name)!;
    expect(tokenSecret.metadata?.annotations?.[TOKEN_POD_UID_ANNOTATION]).toBe('uid-q-x-r');
    expect(Object.keys(tokenSecret.data as object)).toEqual([VOLUME]);
    expect(hostPodOf(t, 'q-x-r', 'a')).toBeDefined();
    // The reader never mounts the token: no host pod, and told why.
    expect(hostPodOf(t, 'p', tenantNs)).toBeUndefined();
    expect(syncErrors(t, tenantNs)).toEqual(
      expect.arrayContaining([expect.stringContaining('its host name is held by another object')]),
    );
  });

  /** The objects of a table, to start another on (a syncer restarted with other flags). */
  function snapshot(t: StateTable): { virtual: Seed[]; host: Seed[] } {
    const of = (cluster: StateTable['virtual'], types: (typeof PODS)[], ns?: string) =>
      types.flatMap((type) => cluster.objects(type, ns).map((o): Seed => [type, o]));
    return {
      virtual: of(t.virtual, [Resources.namespaces, Resources.serviceAccounts, Resources.services, PODS]),
      host: of(t.host, [Resources.services, PODS, SECRETS], HOST_NS),
    };
  }

  it('a mode change leaves running pods reading where they do: renewals go there, new pods take the new mode', async () => {
    const bundled = await table([podWithToken('a')], { flags: { podTokenSecrets: 'bundled' } });
    const bundleKey = tokenKey('uid-a', VOLUME, 0);
    expect(tokenMounts(hostPodOf(bundled, 'a'))).toEqual([
      { name: bundleName(VC, 0), items: [{ key: bundleKey, path: 'token' }] },
    ]);
    const before = snapshot(bundled);
    await bundled.stop();

    // Restarted per-pod: a keeps its bundle key, b gets its own Secret.
    const perPod = await start({ kinds: ['pods'], flags: PER_POD, ...before });
    await perPod.settle();
    await perPod.virtual.create(PODS, 'team', podWithToken('b')[1]);
    await perPod.settle();
    const podA = hostPodOf(perPod, 'a')!;
    expect(tokenMounts(podA)).toEqual([
      { name: bundleName(VC, 0), items: [{ key: bundleKey, path: 'token' }] },
    ]);
    expect(hostSecret(perPod, perPodTokenSecretName('a', 'team', VC))).toBeUndefined();
    const bName = perPodTokenSecretName('b', 'team', VC);
    expect(tokenMounts(hostPodOf(perPod, 'b'))).toEqual([
      { name: bName, items: [{ key: VOLUME, path: 'token' }] },
    ]);
    const { refreshAt } = bundleTimes(bundles(perPod)[0])[bundleKey]!;
    perPod.host.clearWrites();
    perPod.clock.advance(refreshAt - perPod.clock.now() + 1000);
    await perPod.settle();
    // a's token renewed in its bundle, b's in its Secret; neither pod touched.
    expect(bundleTimes(bundles(perPod)[0])[bundleKey]!.refreshAt).toBeGreaterThan(refreshAt);
    expect(perPod.host.writeLog().filter((w) => w.includes(' pods '))).toEqual([]);
    expect(hostSecret(perPod, perPodTokenSecretName('a', 'team', VC))).toBeUndefined();
    const after = snapshot(perPod);
    await perPod.stop();

    // Back to bundles: b keeps reading its own Secret, renewed there.
    const back = await start({ kinds: ['pods'], flags: { podTokenSecrets: 'bundled' }, ...after });
    await back.settle();
    const bSecret = hostSecret(back, bName)!;
    const bRefresh = Number(bSecret.metadata?.annotations?.[TOKEN_REFRESH_AT_ANNOTATION]);
    back.host.clearWrites();
    back.clock.advance(bRefresh - back.clock.now() + 1000);
    await back.settle();
    expect(tokenMounts(hostPodOf(back, 'b'))).toEqual([
      { name: bName, items: [{ key: VOLUME, path: 'token' }] },
    ]);
    expect(decoded(hostSecret(back, bName), VOLUME)).not.toBe(decoded(bSecret, VOLUME));
    expect(back.host.writeLog().filter((w) => w.includes(' pods '))).toEqual([]);
    expect(Object.keys(bundles(back)[0]!.data as object)).toEqual([bundleKey]);
  });
});
