import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed } from '../../testing/state-table.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const CM = Resources.configMaps;
const hostName = (name: string, ns: string) => `${name}-x-${ns}-x-${VC}`;

function virtualCm(name: string, ns = 'team', extra: Partial<KubeObject> = {}): Seed {
  return [CM, { metadata: { name, namespace: ns, uid: `v-${ns}-${name}` }, data: { k: 'v' }, ...extra }];
}

/** A host copy as the syncer writes it, claiming virtual `ns/name` with the given UID. */
function hostCm(
  name: string,
  ns = 'team',
  opts: { uid?: string; data?: Record<string, string>; hostAs?: string } = {},
): Seed {
  const managed = 'vcluster.loft.sh/managed-by';
  return [
    CM,
    {
      metadata: {
        name: opts.hostAs ?? hostName(name, ns),
        namespace: HOST_NS,
        labels: { [managed]: VC, 'vcluster.loft.sh/namespace': ns },
        annotations: {
          'vcluster.loft.sh/object-name': name,
          'vcluster.loft.sh/object-namespace': ns,
          'vcluster.loft.sh/object-uid': opts.uid ?? `v-${ns}-${name}`,
          'vcluster.loft.sh/object-kind': '/v1, Kind=ConfigMap',
          'vcluster.loft.sh/object-host-name': opts.hostAs ?? hostName(name, ns),
          'vcluster.loft.sh/object-host-namespace': HOST_NS,
          'vcluster.loft.sh/managed-labels': `${managed}\nvcluster.loft.sh/namespace`,
          'vcluster.loft.sh/managed-annotations': [
            'vcluster.loft.sh/object-host-name',
            'vcluster.loft.sh/object-host-namespace',
            'vcluster.loft.sh/object-kind',
            'vcluster.loft.sh/object-name',
            'vcluster.loft.sh/object-namespace',
            'vcluster.loft.sh/object-uid',
          ].join('\n'),
        },
      },
      data: opts.data ?? { k: 'v' },
    },
  ];
}

/** A host pod of this virtual cluster mounting a config map's host copy. */
const hostPodMounting = (cm: string, ns = 'team'): Seed => [
  Resources.pods,
  {
    metadata: {
      name: hostName(`uses-${cm}`, ns),
      namespace: HOST_NS,
      labels: { 'vcluster.loft.sh/managed-by': VC },
    },
    spec: {
      containers: [{ name: 'c', image: 'i', envFrom: [{ configMapRef: { name: hostName(cm, ns) } }] }],
    },
  },
];

const podUsing = (cm: string, ns = 'team'): Seed => [
  Resources.pods,
  {
    metadata: { name: `uses-${cm}`, namespace: ns, uid: `pod-${cm}` },
    spec: { containers: [{ name: 'c', image: 'i', envFrom: [{ configMapRef: { name: cm } }] }] },
  },
];

interface Row {
  name: string;
  virtual: Seed[];
  host: Seed[];
  flags?: Record<string, unknown>;
  /** The host config maps afterwards, by name → data. */
  expectHost: Record<string, Record<string, string>>;
  expectWrites: string[];
  /** A Warning event on the virtual object with this reason, when the row must be refused. */
  expectEvent?: string;
}

const rows: Row[] = [
  {
    name: 'only virtual, used by a pod: the host copy is created',
    virtual: [virtualCm('a'), podUsing('a')],
    host: [],
    expectHost: { [hostName('a', 'team')]: { k: 'v' } },
    expectWrites: [`host: create configmaps ${HOST_NS}/${hostName('a', 'team')}`],
  },
  {
    name: 'only virtual, used by no pod: nothing is synced',
    virtual: [virtualCm('a')],
    host: [],
    expectHost: {},
    expectWrites: [],
  },
  {
    // Every token volume mounts it: copied ahead, the first pods of a new namespace need not wait.
    name: "only virtual, a namespace's root CA bundle used by no pod yet: synced",
    virtual: [virtualCm('kube-root-ca.crt'), virtualCm('kube-root-ca.crt.bak')],
    host: [],
    expectHost: { [hostName('kube-root-ca.crt', 'team')]: { k: 'v' } },
    expectWrites: [`host: create configmaps ${HOST_NS}/${hostName('kube-root-ca.crt', 'team')}`],
  },
  {
    name: 'only virtual, --sync-all-configmaps: synced without a pod',
    virtual: [virtualCm('a')],
    host: [],
    flags: { syncAllConfigmaps: 'true' },
    expectHost: { [hostName('a', 'team')]: { k: 'v' } },
    expectWrites: [`host: create configmaps ${HOST_NS}/${hostName('a', 'team')}`],
  },
  {
    name: 'both, in sync: no write',
    virtual: [virtualCm('a'), podUsing('a')],
    host: [hostCm('a')],
    expectHost: { [hostName('a', 'team')]: { k: 'v' } },
    expectWrites: [],
  },
  {
    name: 'both, host data edited by hand: reverted',
    virtual: [virtualCm('a'), podUsing('a')],
    host: [hostCm('a', 'team', { data: { k: 'hacked' } })],
    expectHost: { [hostName('a', 'team')]: { k: 'v' } },
    expectWrites: [`host: update configmaps ${HOST_NS}/${hostName('a', 'team')}`],
  },
  {
    name: 'only our host copy: deleted',
    virtual: [],
    host: [hostCm('a')],
    expectHost: {},
    expectWrites: [`host: delete configmaps ${HOST_NS}/${hostName('a', 'team')}`],
  },
  {
    name: 'host copy of an earlier incarnation (UID mismatch): replaced',
    virtual: [virtualCm('a'), podUsing('a')],
    host: [hostCm('a', 'team', { uid: 'old-uid', data: { k: 'old' } })],
    expectHost: { [hostName('a', 'team')]: { k: 'v' } },
    expectWrites: [
      `host: delete configmaps ${HOST_NS}/${hostName('a', 'team')}`,
      `host: create configmaps ${HOST_NS}/${hostName('a', 'team')}`,
    ],
  },
  {
    // Deleting it would free its (ambiguous) name while a host pod still reads it: another object
    // taking the name would hand its content to that pod.
    name: 'host copy of an earlier incarnation that a host pod mounts: taken over in place, its name never freed',
    virtual: [virtualCm('a'), podUsing('a')],
    host: [hostCm('a', 'team', { uid: 'old-uid', data: { k: 'old' } }), hostPodMounting('a')],
    expectHost: { [hostName('a', 'team')]: { k: 'v' } },
    expectWrites: [`host: update configmaps ${HOST_NS}/${hostName('a', 'team')}`],
  },
  {
    name: 'an immutable one that a host pod mounts: left as it is until no pod mounts it, never deleted before',
    virtual: [virtualCm('a', 'team', { immutable: true, data: { k: 'new' } }), podUsing('a')],
    host: [
      [CM, { ...hostCm('a', 'team', { uid: 'old-uid', data: { k: 'old' } })[1], immutable: true }],
      hostPodMounting('a'),
    ],
    expectHost: { [hostName('a', 'team')]: { k: 'old' } },
    expectWrites: [],
    // Told: the pods made since wait for it (a Deployment's rollout would wait for ever).
    expectEvent: 'SyncWaiting',
  },
  {
    // `s-x-b` in namespace `a` and `s` in namespace `b-x-a` have the same host name.
    name: 'host name claimed by another virtual object (-x- ambiguity): untouched, SyncError',
    virtual: [
      virtualCm('s-x-b', 'a'),
      podUsing('s-x-b', 'a'),
      virtualCm('s', 'b-x-a'),
      podUsing('s', 'b-x-a'),
    ],
    host: [hostCm('s', 'b-x-a')],
    expectHost: { [hostName('s', 'b-x-a')]: { k: 'v' } },
    expectWrites: [],
    expectEvent: 'SyncError',
  },
  {
    name: 'an unmanaged host object in the way: untouched, SyncError',
    virtual: [virtualCm('a'), podUsing('a')],
    host: [[CM, { metadata: { name: hostName('a', 'team'), namespace: HOST_NS }, data: { admin: 'x' } }]],
    expectHost: { [hostName('a', 'team')]: { admin: 'x' } },
    expectWrites: [],
    expectEvent: 'SyncError',
  },
  {
    name: 'immutable host copy whose data changed: replaced',
    virtual: [virtualCm('a', 'team', { immutable: true, data: { k: 'new' } }), podUsing('a')],
    host: [[CM, { ...hostCm('a')[1], immutable: true }]],
    expectHost: { [hostName('a', 'team')]: { k: 'new' } },
    expectWrites: [
      `host: delete configmaps ${HOST_NS}/${hostName('a', 'team')}`,
      `host: create configmaps ${HOST_NS}/${hostName('a', 'team')}`,
    ],
  },
];

describe('configmaps state table', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    const table = await start({
      kinds: ['configmaps'],
      virtual: row.virtual,
      host: row.host,
      flags: row.flags,
    });
    await table.settle();
    const hostData = Object.fromEntries(
      table.host.objects(CM, HOST_NS).map((o) => [o.metadata!.name!, o.data as Record<string, string>]),
    );
    expect(hostData).toEqual(row.expectHost);
    const writes = table.writes().filter((w) => !w.includes(' events '));
    expect(writes).toEqual(row.expectWrites);
    const events = table.virtual.objects(Resources.events).map((e) => e.reason);
    expect(events).toEqual(row.expectEvent ? [row.expectEvent] : []);
  });

  it("a copy an earlier syncer made without object-kind, recording this very object's UID (vCluster 0.19's), is taken over and kept up to date", async () => {
    const [, copy] = hostCm('a', 'team', { data: { k: 'old' } });
    const annotations = { ...copy.metadata!.annotations };
    delete annotations['vcluster.loft.sh/object-kind'];
    const old: KubeObject = { ...copy, metadata: { ...copy.metadata, uid: 'host-uid-a', annotations } };
    const table = await start({
      kinds: ['configmaps'],
      virtual: [virtualCm('a'), podUsing('a')],
      host: [[CM, old]],
    });
    await table.settle();
    const [taken] = table.host.objects(CM, HOST_NS);
    expect(taken?.metadata?.uid).toBe('host-uid-a');
    expect(taken?.metadata?.annotations?.['vcluster.loft.sh/object-kind']).toBe('/v1, Kind=ConfigMap');
    expect(taken?.data).toEqual({ k: 'v' });
    expect(table.virtual.objects(Resources.events).map((e) => e.reason)).toEqual([]);
  });

  it('a copy an earlier syncer made without object-kind, recording another UID: untouched, and the SyncError says what to do', async () => {
    // As vCluster 0.19 leaves a synced config map: our label and the object annotations, no kind;
    // its recorded UID another object's (an earlier one of that name).
    const [, copy] = hostCm('a', 'team', { uid: 'v-team-a-earlier' });
    const annotations = { ...copy.metadata!.annotations };
    delete annotations['vcluster.loft.sh/object-kind'];
    const old: KubeObject = { ...copy, metadata: { ...copy.metadata, annotations } };
    const table = await start({
      kinds: ['configmaps'],
      virtual: [virtualCm('a'), podUsing('a')],
      host: [[CM, old]],
    });
    await table.settle();
    expect(table.host.objects(CM, HOST_NS)).toEqual([
      expect.objectContaining({ metadata: expect.objectContaining({ annotations }) }),
    ]);
    expect(table.writes().filter((w) => !w.includes(' events '))).toEqual([]);
    const [event] = table.virtual.objects(Resources.events);
    expect(event?.reason).toBe('SyncError');
    expect(event?.message).toContain(
      'an earlier syncer made without the vcluster.loft.sh/object-kind annotation',
    );
    expect(event?.message).not.toContain(HOST_NS);
    // Its deletion on the host brings the tenant's object back to the syncer, which makes its own copy.
    await table.host.delete(CM, HOST_NS, hostName('a', 'team'));
    await table.settle();
    const [own] = table.host.objects(CM, HOST_NS);
    expect(own?.metadata?.annotations?.['vcluster.loft.sh/object-kind']).toBe('/v1, Kind=ConfigMap');
  });

  it('a config map refused because another one holds its host name (-x- ambiguity) gets its copy once that one is deleted', async () => {
    const table = await start({
      kinds: ['configmaps'],
      virtual: [virtualCm('s', 'b-x-a'), virtualCm('s-x-b', 'a', { data: { k: 'mine' } })],
      flags: { syncAllConfigmaps: 'true' },
    });
    await table.settle();
    const holder = table.host.objects(CM, HOST_NS)[0]!;
    const holderOf = holder.metadata?.annotations?.['vcluster.loft.sh/object-namespace'];
    expect(table.virtual.objects(Resources.events).map((e) => e.reason)).toEqual(['SyncError']);
    // The tenant deletes the one that got the name: the refused one is tried again, at once.
    await table.virtual.delete(CM, holderOf!, holderOf === 'a' ? 's-x-b' : 's');
    await table.settle();
    const [copy] = table.host.objects(CM, HOST_NS);
    expect(copy?.metadata?.annotations?.['vcluster.loft.sh/object-namespace']).toBe(
      holderOf === 'a' ? 'b-x-a' : 'a',
    );
  });

  it('a config map refused because a host object that is not ours holds its name is tried again later', async () => {
    const table = await start({
      kinds: ['configmaps'],
      virtual: [virtualCm('a'), podUsing('a')],
      host: [[CM, { metadata: { name: hostName('a', 'team'), namespace: HOST_NS }, data: { admin: 'x' } }]],
    });
    await table.settle();
    expect(table.host.objects(CM, HOST_NS)[0]?.data).toEqual({ admin: 'x' });
    // Its owner deletes it; the host informers (this virtual cluster's objects only) never tell.
    await table.host.delete(CM, HOST_NS, hostName('a', 'team'));
    await table.settle();
    expect(table.host.objects(CM, HOST_NS)).toEqual([]);
    table.clock.advance(5 * 60_000);
    await table.settle();
    expect(table.host.objects(CM, HOST_NS)[0]?.data).toEqual({ k: 'v' });
  });

  it.each([
    ['off', false],
    ['on', true],
  ])(
    'metadata: a tenant label goes down; a host edit of a tenant label comes up; a host admin key is shown, and a value the tenant gives it reaches the host only with --tenant-overrides-host-metadata (%s)',
    async (_flag, overrides) => {
      const table = await start({
        kinds: ['configmaps'],
        flags: { tenantOverridesHostMetadata: String(overrides) },
        virtual: [virtualCm('a'), podUsing('a')],
        host: [],
      });
      await table.settle();
      const v = table.virtual.objects(CM, 'team').find((o) => o.metadata?.name === 'a')!;
      await table.virtual.update(CM, 'team', { ...v, metadata: { ...v.metadata, labels: { tier: 'web' } } });
      await table.delivered();
      await table.settle();
      const hostOf = () => table.host.objects(CM, HOST_NS)[0]!;
      expect(hostOf().metadata?.labels).toMatchObject({ tier: 'web' });

      // The host changes the tenant's label and adds one of its own.
      const h = hostOf();
      await table.host.update(CM, HOST_NS, {
        ...h,
        metadata: { ...h.metadata, labels: { ...h.metadata!.labels, tier: 'db', 'host-policy': 'enforced' } },
      });
      await table.delivered();
      await table.settle();
      const virtualLabels = table.virtual.objects(CM, 'team').find((o) => o.metadata?.name === 'a')!.metadata
        ?.labels;
      expect(virtualLabels).toEqual({ tier: 'db', 'host-policy': 'enforced' });
      expect(hostOf().metadata?.labels).toMatchObject({ tier: 'db', 'host-policy': 'enforced' });
      expect(hostOf().metadata?.annotations?.['vcluster.loft.sh/managed-labels']).not.toContain(
        'host-policy',
      );

      // The tenant gives the host's key a value of its own (and changes a label of its own in the same
      // write): the host keeps its value, unless the admin lets tenants override host keys (vCluster's
      // two-way sync; keys in --denied-host-metadata still never).
      const v2 = table.virtual.objects(CM, 'team').find((o) => o.metadata?.name === 'a')!;
      await table.virtual.update(CM, 'team', {
        ...v2,
        metadata: { ...v2.metadata, labels: { tier: 'cache', 'host-policy': 'mine' } },
      });
      await table.delivered();
      await table.settle();
      expect(hostOf().metadata?.labels?.tier).toBe('cache');
      expect(hostOf().metadata?.labels?.['host-policy']).toBe(overrides ? 'mine' : 'enforced');
    },
  );

  it("a re-created immutable one a host pod still mounts keeps its labels and annotations: the copy not updated is not taken for the host's removal of them", async () => {
    const table = await start({
      kinds: ['configmaps'],
      virtual: [
        virtualCm('a', 'team', {
          immutable: true,
          data: { k: 'new' },
          metadata: {
            name: 'a',
            namespace: 'team',
            uid: 'v-team-a',
            labels: { app: 'web', tier: 'db' },
            annotations: { owner: 'alice' },
          },
        }),
        podUsing('a'),
      ],
      host: [
        [CM, { ...hostCm('a', 'team', { uid: 'old-uid', data: { k: 'old' } })[1], immutable: true }],
        hostPodMounting('a'),
      ],
    });
    await table.settle();
    // Past the recheck of a copy kept while mounted (10 s): it is still mounted, still not updated.
    for (let i = 0; i < 3; i++) {
      table.clock.advance(11_000);
      await table.settle();
    }
    const virtual = table.virtual.objects(CM, 'team').find((o) => o.metadata?.name === 'a')!;
    expect(virtual.metadata?.labels).toEqual({ app: 'web', tier: 'db' });
    expect(virtual.metadata?.annotations).toEqual({ owner: 'alice' });
    expect(table.writes().filter((w) => !w.includes(' events '))).toEqual([]);
    expect(table.host.objects(CM, HOST_NS)[0]?.data).toEqual({ k: 'old' });
    // Once no host pod mounts it, the copy is made again, with the tenant's labels and annotations.
    await table.host.delete(Resources.pods, HOST_NS, hostName('uses-a', 'team'));
    table.clock.advance(11_000);
    await table.settle();
    const [copy] = table.host.objects(CM, HOST_NS);
    expect(copy?.data).toEqual({ k: 'new' });
    expect(copy?.metadata?.labels).toMatchObject({ app: 'web', tier: 'db' });
    expect(copy?.metadata?.annotations).toMatchObject({ owner: 'alice' });
  });

  it('an immutable one re-created while host pods mount the old one: the tenant is told once which pods hold it, however they go, and the copy goes with them', async () => {
    const [, pod] = hostPodMounting('a');
    const holder = (name: string): Seed => [
      Resources.pods,
      {
        ...pod,
        metadata: {
          ...pod.metadata,
          name: hostName(name, 'team'),
          annotations: { 'vcluster.loft.sh/object-name': name },
        },
      },
    ];
    const table = await start({
      kinds: ['configmaps'],
      virtual: [virtualCm('a', 'team', { immutable: true, data: { k: 'new' } }), podUsing('a')],
      host: [
        [CM, { ...hostCm('a', 'team', { uid: 'old-uid', data: { k: 'old' } })[1], immutable: true }],
        holder('uses-a'),
        holder('uses-a-2'),
      ],
    });
    await table.settle();
    table.clock.advance(60_000);
    await table.settle();
    const told = () => table.virtual.objects(Resources.events).filter((e) => e.reason === 'SyncWaiting');
    expect(told().map((e) => e.message)).toEqual([
      expect.stringContaining(
        'earlier content, which cannot change in place while pod(s) uses-a, uses-a-2 in this namespace mount it',
      ),
    ]);
    expect(told()[0]!.count ?? 1).toBe(1);
    // Its holders going one by one tell nothing more.
    await table.host.delete(Resources.pods, HOST_NS, hostName('uses-a', 'team'));
    await table.settle();
    table.clock.advance(60_000);
    await table.settle();
    expect(told()).toHaveLength(1);
    expect(table.host.objects(CM, HOST_NS)[0]!.data).toEqual({ k: 'old' });
    await table.host.delete(Resources.pods, HOST_NS, hostName('uses-a-2', 'team'));
    await table.settle();
    table.clock.advance(60_000);
    await table.settle();
    expect(table.host.objects(CM, HOST_NS)[0]!.data).toEqual({ k: 'new' });
  });

  it("a pod's status changes do not re-reconcile the config maps it mounts; pods coming and going do", async () => {
    const table = await start({
      kinds: ['configmaps'],
      virtual: [virtualCm('a'), virtualCm('b'), podUsing('a')],
    });
    await table.settle();
    expect(table.host.objects(CM, HOST_NS).map((o) => o.metadata?.name)).toEqual([hostName('a', 'team')]);
    const settled = table.reconciles.get('configmaps') ?? 0;
    const pod = () => table.virtual.objects(Resources.pods, 'team')[0]!;

    for (const phase of ['Pending', 'Running', 'Running']) {
      await table.virtual.update(
        Resources.pods,
        'team',
        { ...pod(), status: { phase, podIP: '10.0.0.9' } },
        { subresource: 'status' },
      );
      await table.settle();
    }
    expect(table.reconciles.get('configmaps') ?? 0).toBe(settled);

    // A pod's references are immutable: what it mounts changes by pods coming and going.
    await table.virtual.delete(Resources.pods, 'team', pod().metadata!.name!);
    await table.virtual.create(Resources.pods, 'team', podUsing('b')[1]);
    await table.settle();
    expect(table.reconciles.get('configmaps')).toBeGreaterThan(settled);
    expect(table.host.objects(CM, HOST_NS).map((o) => o.metadata?.name)).toEqual([hostName('b', 'team')]);
  });

  it('the labels by which a host Grafana loads dashboards, data sources and alerting from every namespace never reach the copy; the tenant keeps them, and nothing loops', async () => {
    const grafanaLabels = {
      grafana_dashboard: '1',
      grafana_datasource: '1',
      grafana_alert: '1',
      grafana_notifier: '1',
      grafana_plugin: '1',
    };
    const dashboard = virtualCm('dash', 'team', {
      metadata: {
        name: 'dash',
        namespace: 'team',
        uid: 'v-team-dash',
        labels: { ...grafanaLabels, 'team.example/kept': 'yes' },
      },
    });
    const table = await start({ kinds: ['configmaps'], virtual: [dashboard, podUsing('dash')] });
    await table.settle();
    const [copy] = table.host.objects(CM, HOST_NS);
    expect(copy!.metadata!.name).toBe(hostName('dash', 'team'));
    expect(Object.keys(copy!.metadata!.labels!).filter((k) => k.startsWith('grafana_'))).toEqual([]);
    expect(copy!.metadata!.labels!['team.example/kept']).toBe('yes');
    expect(table.virtual.objects(CM, 'team')[0]!.metadata!.labels).toMatchObject(grafanaLabels);
    table.host.clearWrites();
    table.virtual.clearWrites();
    table.controllers.get('configmaps')!.controller.enqueue('team/dash');
    await table.settle();
    expect(table.writes()).toEqual([]);
  });
});

describe('sync latency', () => {
  it('a config map controlled elsewhere for an hour is measured from its change once it is ours again, not from an hour before', async () => {
    const controlled = { labels: { 'vcluster.loft.sh/controlled-by': 'other-tool' } };
    const table = await start({
      kinds: ['configmaps'],
      virtual: [
        virtualCm('a', 'team', {
          metadata: {
            name: 'a',
            namespace: 'team',
            uid: 'v-team-a',
            ...controlled,
          },
        }),
        podUsing('a'),
      ],
    });
    await table.settle();
    const a = table.virtual.objects(CM, 'team')[0]!;
    await table.virtual.update(CM, 'team', { ...a, data: { k: 'changed' } });
    await table.settle();
    expect(table.host.objects(CM, HOST_NS)).toEqual([]);
    // An hour, in steps (watches time out and are opened again meanwhile, as they would).
    for (let i = 0; i < 360; i++) {
      table.clock.advance(10_000);
      await table.delivered();
    }
    const changed = table.virtual.objects(CM, 'team')[0]!;
    await table.virtual.update(CM, 'team', { ...changed, metadata: { ...changed.metadata, labels: {} } });
    await table.settle();
    expect(table.host.objects(CM, HOST_NS).map((c) => c.metadata?.name)).toEqual([hostName('a', 'team')]);
    expect(table.latencies.filter((l) => l.startsWith('sync configmaps'))).toEqual([
      'sync configmaps virtual-to-host 0',
    ]);
  });
});

describe('sync latency across a step of the wall clock', () => {
  it('is measured on the monotonic clock: a wall clock set back an hour meanwhile changes nothing', async () => {
    const table = await start({ kinds: ['configmaps'], virtual: [virtualCm('a'), podUsing('a')] });
    await table.settle();
    const a = table.virtual.objects(CM, 'team')[0]!;
    table.latencies.length = 0;
    // The change is seen, and before its write is answered the wall clock is set back an hour.
    table.host.actOnNext('update', 'configmaps', () => table.clock.stepWall(-3_600_000));
    await table.virtual.update(CM, 'team', { ...a, data: { k: 'changed' } });
    await table.settle();
    expect(table.latencies.filter((l) => l.startsWith('sync configmaps'))).toEqual([
      'sync configmaps virtual-to-host 0',
    ]);
  });
});
