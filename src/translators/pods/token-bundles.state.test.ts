import type { Informer, InformerHandlers } from '../../informer/informer.ts';
import { ApiError } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { FakeCluster } from '../../testing/fake-cluster.ts';
import { MANAGED_BY_LABEL } from '../../naming/labels.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../../testing/state-table.ts';
import { tokenVolumeSecrets } from '../../testing/pod-seeds.ts';
import { FakeClock } from '../../util/clock.ts';
import { silentLogger } from '../../util/log.ts';
import {
  BUNDLE_CAPACITY,
  bundleName,
  bundleTimes,
  TOKEN_BUNDLE_ANNOTATION,
  TokenBundles,
  tokenKey,
} from './token-bundles.ts';

const start = stateTables();
const PODS = Resources.pods;
const SECRETS = Resources.secrets;
const VOLUME = 'kube-api-access-x';

const infrastructure = {
  virtual: [
    [
      Resources.services,
      { metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { clusterIP: '10.96.0.10' } },
    ],
    [Resources.namespaces, { metadata: { name: 'team' } }],
    [Resources.serviceAccounts, { metadata: { name: 'default', namespace: 'team' } }],
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
};

/** A pod as the virtual API server leaves it: the service-account token projected into a volume. */
const podWithToken = (name: string): Seed => [
  PODS,
  {
    metadata: { name, namespace: 'team', uid: `uid-${name}` },
    spec: {
      containers: [{ name: 'main', image: 'app:1' }],
      volumes: [
        {
          name: VOLUME,
          projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] },
        },
      ],
    },
    status: { phase: 'Pending' },
  },
];

const bundles = (t: StateTable) =>
  t.host.objects(SECRETS, HOST_NS).filter((s) => s.metadata?.name?.startsWith('vsyncer-tokens-'));
const hostPod = (t: StateTable, name: string) =>
  t.host.objects(PODS, HOST_NS).find((p) => p.metadata?.name === `${name}-x-team-x-${VC}`);
/** The secret sources of a host pod's token volume. */
const tokenMounts = (pod: KubeObject | undefined) => tokenVolumeSecrets(pod, VOLUME);

async function table(pods: string[], host: Seed[] = []) {
  const t = await start({
    kinds: ['pods'],
    virtual: [...infrastructure.virtual, ...pods.map(podWithToken)],
    host: [...infrastructure.host, ...host],
  });
  await t.settle();
  return t;
}

/** The pod's token under `key` was minted again: another value, a later refresh time. */
function expectRenewed(before: KubeObject, after: KubeObject, key: string, refreshAt: number): void {
  expect((after.data as Record<string, string>)[key]).not.toBe((before.data as Record<string, string>)[key]);
  expect(bundleTimes(after)[key]!.refreshAt).toBeGreaterThan(refreshAt);
}

describe('token bundles (state table)', () => {
  it('a pod projecting more tokens than one pod may have is refused, naming the limit: nothing is minted or stored', async () => {
    const sources = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        serviceAccountToken: { path: `token-${i}`, audience: `a${i}` },
      }));
    const [, many] = podWithToken('many');
    const t = await start({
      kinds: ['pods'],
      virtual: [
        ...infrastructure.virtual,
        [
          PODS,
          {
            ...many,
            spec: {
              ...(many.spec as object),
              volumes: [{ name: VOLUME, projected: { sources: sources(65) } }],
            },
          },
        ],
      ],
      host: infrastructure.host,
    });
    await t.settle();
    expect(hostPod(t, 'many')).toBeUndefined();
    expect(bundles(t)).toEqual([]);
    expect(t.virtual.writeLog().filter((w) => w.includes('token'))).toEqual([]);
    expect(t.virtual.objects(Resources.events, 'team').map((e) => [e.reason, e.message])).toEqual([
      ['SyncError', expect.stringContaining('projects 65 service account tokens; at most 64')],
    ]);
  });

  it('new pods share one bundle; each host pod mounts only its own key, minted by the virtual API server', async () => {
    const t = await table(['a', 'b', 'c']);
    const [bundle, ...others] = bundles(t);
    expect(others).toEqual([]);
    expect(bundle!.metadata?.name).toBe(bundleName(VC, 0));
    expect(bundle!.metadata?.labels).toEqual({ 'vcluster.loft.sh/managed-by': VC });
    for (const name of ['a', 'b', 'c']) {
      const key = tokenKey(`uid-${name}`, VOLUME, 0);
      expect(tokenMounts(hostPod(t, name))).toEqual([
        { name: bundleName(VC, 0), items: [{ key, path: 'token' }] },
      ]);
      const token = Buffer.from((bundle!.data as Record<string, string>)[key]!, 'base64').toString();
      expect(token).toMatch(/^fake-token\.virtual\.team\.default\./);
    }
    // The pods are created after their tokens are stored: no pod waits for its token.
    const hostWrites = t.host.writeLog();
    for (const name of ['a', 'b', 'c']) {
      const podCreate = hostWrites.indexOf(`create pods ${HOST_NS}/${name}-x-team-x-${VC}`);
      expect(podCreate).toBeGreaterThan(0);
      expect(
        hostWrites.slice(0, podCreate).some((w) => w.includes(`secrets ${HOST_NS}/${bundleName(VC, 0)}`)),
      ).toBe(true);
    }
  });

  it('a bundle deleted on the host (an admin, a clean-up tool) is written again with the tokens of the running pods that mount it, at once', async () => {
    const t = await table(['a', 'b']);
    const keys = ['a', 'b'].map((name) => tokenKey(`uid-${name}`, VOLUME, 0)).sort();
    expect(Object.keys(bundles(t)[0]!.data as object).sort()).toEqual(keys);
    await t.host.delete(SECRETS, HOST_NS, bundleName(VC, 0));
    await t.settle();
    const [bundle] = bundles(t);
    expect(Object.keys((bundle?.data ?? {}) as object).sort()).toEqual(keys);
    // Minted afresh: the deleted tokens are not in the syncer's memory.
    for (const key of keys)
      expect(Buffer.from((bundle!.data as Record<string, string>)[key]!, 'base64').toString()).toMatch(
        /^fake-token\.virtual\.team\.default\./,
      );
  });

  it("a deleted pod's token check is dropped from the queue, not kept until its time", async () => {
    const t = await table(['a', 'b']);
    const queue = t.controllers.get('pods')!.controller.queue;
    expect(queue.delayedLen()).toBe(2);
    await t.virtual.delete(PODS, 'team', 'a');
    await t.settle();
    expect(queue.delayedLen()).toBe(1);
  });

  it("a pod's key leaves the bundle when its host pod goes; the last one takes the bundle with it", async () => {
    const t = await table(['a', 'b']);
    await t.virtual.delete(PODS, 'team', 'a');
    await t.settle();
    expect(Object.keys(bundles(t)[0]!.data as object)).toEqual([tokenKey('uid-b', VOLUME, 0)]);
    await t.virtual.delete(PODS, 'team', 'b');
    await t.settle();
    expect(bundles(t)).toEqual([]);
  });

  it('renews a token in place before it expires, without touching the pod', async () => {
    const t = await table(['a']);
    const key = tokenKey('uid-a', VOLUME, 0);
    const before = bundles(t)[0]!;
    const { refreshAt } = bundleTimes(before)[key]!;
    t.clock.advance(refreshAt - t.clock.now() + 1000);
    await t.settle();
    expectRenewed(before, bundles(t)[0]!, key, refreshAt);
    expect(t.host.writeLog().filter((w) => w.includes(' pods '))).toEqual([
      `create pods ${HOST_NS}/a-x-team-x-${VC}`,
    ]);
  });

  /** Adds a debug container to virtual pod `name` (kubectl debug). */
  async function debug(t: StateTable, name: string, container: string): Promise<void> {
    const pod = t.virtual.objects(PODS, 'team').find((p) => p.metadata?.name === name)!;
    await t.virtual.update(
      PODS,
      'team',
      {
        ...pod,
        spec: { ...(pod.spec as object), ephemeralContainers: [{ name: container, image: 'busybox' }] },
      },
      { subresource: 'ephemeralcontainers' },
    );
  }
  const hostDebugContainers = (t: StateTable, name: string) =>
    ((hostPod(t, name)?.spec as { ephemeralContainers?: { name: string }[] }).ephemeralContainers ?? []).map(
      (c) => c.name,
    );
  const warnings = (t: StateTable) =>
    t.virtual
      .objects(Resources.events, 'team')
      .map((e) => `${e.reason}: ${(e as { message?: string }).message}`);

  it.each([
    [
      'a host policy allowing none',
      403,
      'Forbidden',
      `admission webhook "no-debug.policy.example" denied the request: ephemeral containers are not allowed in ${HOST_NS}`,
      'admission webhook "no-debug.policy.example" denied the request: ephemeral containers are not allowed in <host namespace>',
    ],
    [
      "a host sidecar's name",
      422,
      'Invalid',
      `Pod "a-x-team-x-${VC}" is invalid: spec.ephemeralContainers[0].name: Duplicate value: "mesh-sidecar"`,
      'Pod "a" is invalid: spec.ephemeralContainers[0].name: Duplicate value: "mesh-sidecar"',
    ],
  ])(
    'a debug container the host refuses (%s) is told, scrubbed, and holds up no token renewal',
    async (_why, code, reason, hostMessage, told) => {
      const t = await table(['a']);
      const key = tokenKey('uid-a', VOLUME, 0);
      const before = bundles(t)[0]!;
      const { refreshAt } = bundleTimes(before)[key]!;
      // Refused at every try.
      for (let i = 0; i < 10; i++)
        t.host.failNext(
          'update',
          'pods/ephemeralcontainers',
          new ApiError('host', code, { reason, message: hostMessage }, 'x'),
        );
      await debug(t, 'a', 'mesh-sidecar');
      await t.settle();
      t.clock.advance(refreshAt - t.clock.now() + 1000);
      await t.settle();
      expectRenewed(before, bundles(t)[0]!, key, refreshAt);
      expect(hostDebugContainers(t, 'a')).toEqual([]);
      // Told (again once the recorder's window has passed, while it lasts), and never as anything else.
      expect([...new Set(warnings(t))]).toEqual([
        `SyncError: the host cluster refused the debug container(s) "mesh-sidecar": ${told}`,
      ]);
    },
  );

  it('a debug container write that fails for a while (an outage) is tried again, and not told', async () => {
    const t = await table(['a']);
    t.host.failNext('update', 'pods/ephemeralcontainers', 'unavailable');
    await debug(t, 'a', 'debugger');
    await t.settle();
    expect(hostDebugContainers(t, 'a')).toEqual([]);
    t.clock.advance(1000);
    await t.settle();
    expect(hostDebugContainers(t, 'a')).toEqual(['debugger']);
    expect(warnings(t)).toEqual([]);
  });

  it("a bundle name someone else's object holds is skipped, and that object is never touched", async () => {
    const foreign: Seed = [
      SECRETS,
      { metadata: { name: bundleName(VC, 0), namespace: HOST_NS }, data: { x: 'eA==' } },
    ];
    const t = await table(['a'], [foreign]);
    // The first try learns (from the API server: the object is not ours to watch) that the name is taken.
    t.clock.advance(10_000);
    await t.settle();
    expect(tokenMounts(hostPod(t, 'a'))[0]!.name).toBe(bundleName(VC, 1));
    expect(
      t.host.objects(SECRETS, HOST_NS).find((s) => s.metadata?.name === bundleName(VC, 0))!.data,
    ).toEqual({ x: 'eA==' });
    expect(t.host.writeLog().some((w) => w.includes(bundleName(VC, 0)))).toBe(false);
  });
});

describe('TokenBundles writes', () => {
  /** The parts of the host secrets informer TokenBundles uses; by default it never sees anything. */
  function stubSecrets(
    parts: {
      get?: (key: string) => KubeObject | undefined;
      addHandlers?: (handlers: InformerHandlers<KubeObject>) => void;
      addCacheTransform?: (fn: (obj: KubeObject) => KubeObject) => void;
    } = {},
  ): Informer<KubeObject> {
    return {
      store: { get: parts.get ?? (() => undefined) },
      addHandlers: parts.addHandlers ?? (() => {}),
      addCacheTransform: parts.addCacheTransform ?? (() => {}),
    } as unknown as Informer<KubeObject>;
  }

  function bundlesOn(
    host: FakeCluster,
    hostSecrets?: Informer<KubeObject>,
    clock = new FakeClock(Date.parse('2026-12-01T00:00:00Z')),
  ) {
    return new TokenBundles({
      host,
      // By default the informer never sees anything: the writer relies on its own last write.
      hostSecrets: hostSecrets ?? stubSecrets(),
      vcName: VC,
      hostNamespace: HOST_NS,
      clock,
      logger: silentLogger,
      keysInUse: () => new Set(),
    });
  }

  /** The host, with its creates held until `release` is called: a write stays in flight meanwhile. */
  function hostHoldingCreates(host: FakeCluster): { client: FakeCluster; release(): void } {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const client = Object.create(host) as FakeCluster;
    client.create = async (...args: Parameters<FakeCluster['create']>) => {
      await held;
      return host.create(...args);
    };
    return { client, release };
  }

  /** Lets every pending promise callback run (the fake cluster answers within them). */
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  const write = (b: TokenBundles, key: string) => {
    const now = Date.now();
    return b.put([{ slot: b.slotFor(key), token: `t-${key}`, issuedAt: now, refreshAt: now + 1000 }]);
  };
  const keysOf = (secret: KubeObject | undefined) => Object.keys((secret?.data ?? {}) as object).sort();

  it('coalesces the tokens that arrive while a write is in flight into the next write', async () => {
    const host = new FakeCluster('host');
    const { client, release } = hostHoldingCreates(host);
    const b = bundlesOn(client);
    const first = write(b, 'k0');
    await settle();
    const rest = Array.from({ length: 9 }, (_, i) => write(b, `k${i + 1}`));
    release();
    await Promise.all([first, ...rest]);
    expect(host.writeLog()).toEqual([
      `create secrets ${HOST_NS}/${bundleName(VC, 0)}`,
      `patch secrets ${HOST_NS}/${bundleName(VC, 0)}`,
    ]);
    expect(keysOf(host.objects(SECRETS, HOST_NS)[0])).toHaveLength(10);
  });

  it('has the cache keep its bundles without their tokens, and every other secret as it is', () => {
    let transform: (obj: KubeObject) => KubeObject = (obj) => obj;
    const hostSecrets = stubSecrets({ addCacheTransform: (fn) => (transform = fn) });
    bundlesOn(new FakeCluster('host'), hostSecrets);
    const secret = (name: string, vc = VC): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name,
        namespace: HOST_NS,
        labels: { [MANAGED_BY_LABEL]: vc },
        annotations: { [TOKEN_BUNDLE_ANNOTATION]: 'v1' },
      },
      data: { k0: 'dDA=', k1: 'dDE=' },
    });
    expect(transform(secret(bundleName(VC, 3))).data).toEqual({ k0: '', k1: '' });
    // A tenant's Secret named like a bundle, annotated like one, copied to the host: its data stays.
    const copy = secret(`${bundleName(VC, 0)}-x-shop-x-${VC}`);
    expect(transform(copy)).toBe(copy);
    const otherCluster = secret(bundleName('other', 0), 'other');
    expect(transform(otherCluster)).toBe(otherCluster);
  });

  it('starts a new bundle when one is full', async () => {
    const host = new FakeCluster('host');
    const b = bundlesOn(host);
    const slots = Array.from({ length: BUNDLE_CAPACITY + 1 }, (_, i) => b.slotFor(`k${i}`));
    expect(slots[BUNDLE_CAPACITY - 1]!.secretName).toBe(bundleName(VC, 0));
    expect(slots[BUNDLE_CAPACITY]!.secretName).toBe(bundleName(VC, 1));
  });

  it('hands a retried pod the slot it had, and a freed slot of a full bundle to the next pod', async () => {
    const host = new FakeCluster('host');
    const b = bundlesOn(host);
    const first = Array.from({ length: BUNDLE_CAPACITY }, (_, i) => b.slotFor(`k${i}`));
    expect(b.slotFor(`k${BUNDLE_CAPACITY}`).secretName).toBe(bundleName(VC, 1));
    // k3's reconcile failed before its token was written: asked again, it keeps its slot.
    expect(b.slotFor('k3')).toEqual(first[3]);
    const now = Date.now();
    await b.put(first.map((slot, i) => ({ slot, token: `t${i}`, issuedAt: now, refreshAt: now + 1000 })));
    expect(b.slotFor('next').secretName).toBe(bundleName(VC, 1));
    // k7's pod went: once its key has left the bundle, a new pod takes the slot.
    b.release([first[7]!]);
    // Until the write that removes it is answered, the bundle still holds it.
    expect(b.slotFor('during-write').secretName).toBe(bundleName(VC, 1));
    await settle();
    expect(keysOf(b.current(bundleName(VC, 0)))).not.toContain('k7');
    expect(b.slotFor('after-release').secretName).toBe(bundleName(VC, 0));
  });

  it('gives back slots handed out ten minutes ago and never written (their pods failed and went)', () => {
    const clock = new FakeClock(Date.parse('2026-12-01T00:00:00Z'));
    const b = bundlesOn(new FakeCluster('host'), undefined, clock);
    for (let i = 0; i < BUNDLE_CAPACITY; i++) b.slotFor(`failed-${i}`);
    expect(b.slotFor('next').secretName).toBe(bundleName(VC, 1));
    clock.advance(9 * 60_000);
    expect(b.slotFor('nine-minutes-on').secretName).toBe(bundleName(VC, 1));
    clock.advance(60_000);
    expect(b.slotFor('ten-minutes-on').secretName).toBe(bundleName(VC, 0));
    // One of those pods still retrying takes a slot afresh, like any new pod.
    expect(b.slotFor('failed-3').secretName).toBe(bundleName(VC, 0));
  });

  it('keeps no copy of its last write once the informer holds that version', async () => {
    const host = new FakeCluster('host');
    const cache = new Map<string, KubeObject>();
    let handlers: InformerHandlers<KubeObject> = {};
    const hostSecrets = stubSecrets({ get: (key) => cache.get(key), addHandlers: (h) => (handlers = h) });
    const b = bundlesOn(host, hostSecrets);
    const now = Date.now();
    const slot = b.slotFor('k0');
    await b.put([{ slot, token: 't0', issuedAt: now, refreshAt: now + 1000 }]);
    const written = b.current(slot.secretName)!;
    expect(written.data).toEqual({ k0: 'dDA=' });

    // The informer delivers the version the write made, as an object of its own.
    const delivered = JSON.parse(JSON.stringify(written)) as KubeObject;
    cache.set(`${HOST_NS}/${slot.secretName}`, delivered);
    handlers.onAdd?.(delivered);
    expect(b.current(slot.secretName)).toBe(delivered);

    // A later write is relied on again until the informer shows it.
    await b.put([{ slot: b.slotFor('k1'), token: 't1', issuedAt: now, refreshAt: now + 1000 }]);
    expect(Object.keys(b.current(slot.secretName)!.data as object).sort()).toEqual(['k0', 'k1']);
    expect(b.current(slot.secretName)).not.toBe(delivered);
  });

  it('keeps no copy of its last write when the informer showed that version before the write answered', async () => {
    const host = new FakeCluster('host');
    // An informer that is always caught up: it holds whatever the host holds, one object per version.
    const versions = new Map<string, KubeObject>();
    const get = (key: string) => {
      const obj = host.objects(SECRETS, HOST_NS).find((o) => `${HOST_NS}/${o.metadata?.name}` === key);
      if (!obj) return undefined;
      const version = `${key}@${obj.metadata?.resourceVersion}`;
      if (!versions.has(version)) versions.set(version, obj);
      return versions.get(version);
    };
    const hostSecrets = stubSecrets({ get });
    const b = bundlesOn(host, hostSecrets);
    const now = Date.now();
    const slot = b.slotFor('k0');
    await b.put([{ slot, token: 't0', issuedAt: now, refreshAt: now + 1000 }]);
    expect(b.current(slot.secretName)).toBe(get(`${HOST_NS}/${slot.secretName}`));
  });
  it('forgets its last write of a bundle deleted on the host before the informer showed it: its keys read as missing, so their pods write them again', async () => {
    const host = new FakeCluster('host');
    let handlers: InformerHandlers<KubeObject> = {};
    const b = bundlesOn(host, stubSecrets({ addHandlers: (h) => (handlers = h) }));
    const now = Date.now();
    const slot = b.slotFor('k0');
    await b.put([{ slot, token: 't0', issuedAt: now, refreshAt: now + 1000 }]);
    expect(b.timesOf(slot)).toEqual({ issuedAt: now, refreshAt: now + 1000 });
    const deleted = b.current(slot.secretName)!;
    await host.delete(SECRETS, HOST_NS, slot.secretName);
    handlers.onDelete?.(deleted);
    expect(b.timesOf(slot)).toBeUndefined();
  });
});
