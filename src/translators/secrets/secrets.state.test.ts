import { ApiError } from '../../kube/errors.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed } from '../../testing/state-table.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const SECRETS = Resources.secrets;
const hostName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;
const secret = (name: string, extra: Record<string, unknown> = {}): Seed => [
  SECRETS,
  {
    metadata: { name, namespace: 'team', uid: `uid-${name}` },
    type: 'Opaque',
    data: { k: 'dg==' },
    ...extra,
  },
];
const pod = (spec: Record<string, unknown>): Seed => [
  Resources.pods,
  {
    metadata: { name: 'p', namespace: 'team', uid: 'uid-p' },
    spec: { containers: [{ name: 'c', image: 'i' }], ...spec },
  },
];

describe('secrets state table', () => {
  it('a secret used only as an image pull secret is synced', async () => {
    const table = await start({
      kinds: ['secrets'],
      virtual: [secret('pull'), pod({ imagePullSecrets: [{ name: 'pull' }] })],
    });
    await table.settle();
    expect(table.writes()).toEqual([`host: create secrets ${HOST_NS}/${hostName('pull')}`]);
  });

  it('a secret used by an ephemeral container (kubectl debug) is synced', async () => {
    const debug = {
      ephemeralContainers: [{ name: 'dbg', image: 'i', envFrom: [{ secretRef: { name: 'dbg' } }] }],
    };
    const table = await start({ kinds: ['secrets'], virtual: [secret('dbg'), pod(debug)] });
    await table.settle();
    expect(table.host.objects(SECRETS, HOST_NS).map((s) => s.metadata?.name)).toEqual([hostName('dbg')]);
  });

  it("a tenant's service-account-token secret is inert on the host (Opaque, no service-account annotation)", async () => {
    const token = secret('sa-token', {
      type: 'kubernetes.io/service-account-token',
      metadata: {
        name: 'sa-token',
        namespace: 'team',
        uid: 'uid-t',
        annotations: { 'kubernetes.io/service-account.name': 'default' },
      },
    });
    const table = await start({
      kinds: ['secrets'],
      flags: { syncAllSecrets: 'true' },
      virtual: [token],
    });
    await table.settle();
    const [host] = table.host.objects(SECRETS, HOST_NS);
    expect(host?.type).toBe('Opaque');
    expect(host?.metadata?.annotations?.['kubernetes.io/service-account.name']).toBeUndefined();
  });

  it("a tenant's Secret or ConfigMap marked as a Helm release record is none on the host: Helm, listing owner=helm in the host namespace, never finds it", async () => {
    const record = {
      metadata: {
        name: 'sh.helm.release.v1.vc.v9999',
        namespace: 'team',
        uid: 'uid-rec',
        labels: { owner: 'helm', name: VC, status: 'deployed', version: '9999' },
        annotations: { 'vcluster.loft.sh/force-sync': 'true' },
      },
      type: 'helm.sh/release.v1',
      data: { release: 'H4sI' },
    };
    const table = await start({
      kinds: ['secrets', 'configmaps'],
      virtual: [
        [SECRETS, record],
        [Resources.configMaps, { ...record, type: undefined, data: { release: 'x' } }],
      ],
    });
    await table.settle();
    const copies = [
      ...table.host.objects(SECRETS, HOST_NS),
      ...table.host.objects(Resources.configMaps, HOST_NS),
    ];
    expect(copies).toHaveLength(2);
    for (const copy of copies) {
      expect(copy.metadata?.labels?.owner).toBeUndefined();
      expect(copy.metadata?.labels).toMatchObject({ name: VC, status: 'deployed' });
    }
    expect(copies[0]!.type).toBe('Opaque');
    expect(copies[0]!.data).toEqual({ release: 'H4sI' });
    // The tenant's own objects keep what it wrote.
    expect(table.virtual.objects(SECRETS, 'team')[0]!.metadata?.labels?.owner).toBe('helm');
  });

  it.each([
    ['mounted by no pod: replaced by one that is none', false, false],
    ['still mounted by a host pod: unmarked now, replaced once the pod is gone', true, false],
    ['immutable and still mounted: unmarked now, replaced once the pod is gone', true, true],
  ])(
    "a Helm release record copied before copies were unmarked (the record's type, owner=helm) %s",
    async (_what, mounted, immutable) => {
      const record = {
        metadata: {
          name: 'sh.helm.release.v1.vc.v9999',
          namespace: 'team',
          uid: 'uid-rec',
          labels: { owner: 'helm', name: VC },
          annotations: { 'vcluster.loft.sh/force-sync': 'true' },
        },
        type: 'helm.sh/release.v1',
        data: { release: 'H4sI' },
        ...(immutable ? { immutable: true } : {}),
      };
      const table = await start({ kinds: ['secrets'] });
      // What an earlier syncer made: the record's type and Helm's own label on the copy.
      let earlier = true;
      table.host.mutateOnCreate('secrets', (copy) => {
        if (!earlier) return;
        earlier = false;
        copy.type = 'helm.sh/release.v1';
        copy.metadata!.labels = { ...copy.metadata!.labels, owner: 'helm' };
      });
      const copyName = hostName('sh.helm.release.v1.vc.v9999');
      const hostPod = {
        metadata: { name: 'user', namespace: HOST_NS, labels: { 'vcluster.loft.sh/managed-by': VC } },
        spec: {
          containers: [{ name: 'c', image: 'i' }],
          volumes: [{ name: 'v', secret: { secretName: copyName } }],
        },
      };
      if (mounted) await table.host.create(Resources.pods, HOST_NS, hostPod);
      await table.virtual.create(SECRETS, 'team', record);
      await table.settle();
      const copy = () => table.host.objects(SECRETS, HOST_NS).find((c) => c.metadata?.name === copyName)!;
      // Helm lists owner=helm: the copy is never found so, whatever its type still is.
      expect(copy().metadata?.labels?.owner).toBeUndefined();
      expect(copy().type).toBe(mounted ? 'helm.sh/release.v1' : 'Opaque');
      if (mounted) {
        await table.host.delete(Resources.pods, HOST_NS, 'user');
        table.clock.advance(60_000);
        await table.settle();
        expect(copy().type).toBe('Opaque');
      }
      expect(copy().data).toEqual({ release: 'H4sI' });
    },
  );

  it("replication controllers' annotations never reach the copy (a host Secret reflected into it, the tenant's spread over the host); the tenant keeps them, and nothing loops", async () => {
    const asking = secret('wild', {
      metadata: {
        name: 'wild',
        namespace: 'team',
        uid: 'uid-wild',
        annotations: {
          'reflector.v1.k8s.emberstack.com/reflects': 'ingress/wildcard-tls',
          'replicator.v1.mittwald.de/replicate-to': '.*',
          'kubed.appscode.com/sync': '',
          'kubed.appscode.com/sync-contexts': 'other-cluster',
          'team.example/kept': 'yes',
        },
      },
    });
    const table = await start({ kinds: ['secrets'], flags: { syncAllSecrets: 'true' }, virtual: [asking] });
    await table.settle();
    const [copy] = table.host.objects(SECRETS, HOST_NS);
    expect(
      Object.keys(copy!.metadata!.annotations!).filter((k) => !k.startsWith('vcluster.loft.sh/')),
    ).toEqual(['team.example/kept']);
    expect(Object.keys(table.virtual.objects(SECRETS, 'team')[0]!.metadata!.annotations!)).toHaveLength(5);
    table.host.clearWrites();
    table.virtual.clearWrites();
    table.controllers.get('secrets')!.controller.enqueue('team/wild');
    await table.settle();
    expect(table.writes()).toEqual([]);
  });

  it("a tenant's vsyncer.dev/ annotations (the syncer's own: a pod's token record) never reach its copy; the tenant keeps them", async () => {
    const forged = secret('tokens', {
      metadata: {
        name: 'tokens',
        namespace: 'team',
        uid: 'uid-tokens',
        annotations: { 'vsyncer.dev/token-pod-uid': 'uid-of-a-pod', 'team.example/kept': 'yes' },
      },
    });
    const table = await start({ kinds: ['secrets'], flags: { syncAllSecrets: 'true' }, virtual: [forged] });
    await table.settle();
    const [copy] = table.host.objects(SECRETS, HOST_NS);
    expect(copy!.metadata!.annotations!['vsyncer.dev/token-pod-uid']).toBeUndefined();
    expect(copy!.metadata!.annotations!['team.example/kept']).toBe('yes');
    expect(
      table.virtual.objects(SECRETS, 'team')[0]!.metadata!.annotations!['vsyncer.dev/token-pod-uid'],
    ).toBe('uid-of-a-pod');
  });

  it("a host refusal naming another virtual cluster's object reaches the tenant without that name", async () => {
    const table = await start({ kinds: ['secrets'], flags: { syncAllSecrets: 'true' } });
    const policy = `admission webhook denied the request: same data as secret db-x-prod-x-othervc in ${HOST_NS}`;
    table.host.failNext(
      'create',
      'secrets',
      new ApiError('host', 403, { reason: 'Forbidden', message: policy }, 'forbidden'),
    );
    await table.virtual.create(SECRETS, 'team', secret('creds')[1]);
    await table.settle();
    const events = table.virtual
      .objects(Resources.events, 'team')
      .filter((e) => e.reason === 'SyncError')
      .map((e) => String(e.message));
    expect(events).toEqual([
      'the host cluster rejected the object: admission webhook denied the request: same data as secret <host object> in <host namespace>',
    ]);
  });

  it('a host quota refusing the copy again and again is told once, in its own words; synced once the host allows it', async () => {
    const table = await start({ kinds: ['secrets'], flags: { syncAllSecrets: 'true' } });
    const quota =
      'exceeded quota: tenant-quota, requested: count/secrets=1, used: count/secrets=10, limited: count/secrets=10';
    const refused = () => new ApiError('host', 403, { reason: 'Forbidden', message: quota }, 'forbidden');
    for (let i = 0; i < 3; i++) table.host.failNext('create', 'secrets', refused());
    await table.virtual.create(SECRETS, 'team', secret('creds')[1]);
    for (let s = 0; s < 5; s++) {
      table.clock.advance(1000);
      await table.settle();
    }
    expect(
      table.virtual
        .objects(Resources.events, 'team')
        .filter((e) => e.reason === 'SyncError')
        .map((e) => String(e.message)),
    ).toEqual([`the host cluster rejected the object: ${quota}`]);
    expect(table.host.objects(SECRETS, HOST_NS)).toHaveLength(1);
  });

  it("a host admission policy's refusal (422) is told as the host's, and tried again a minute later: the admin may lift it", async () => {
    const table = await start({ kinds: ['secrets'], flags: { syncAllSecrets: 'true' } });
    const policy =
      "secrets \"x\" is forbidden: ValidatingAdmissionPolicy 'no-secrets' with binding 'b' denied request: no";
    table.host.failNext(
      'create',
      'secrets',
      new ApiError('host', 422, { reason: 'Invalid', message: policy }, 'invalid'),
    );
    await table.virtual.create(SECRETS, 'team', secret('creds')[1]);
    await table.settle();
    expect(table.host.objects(SECRETS, HOST_NS)).toEqual([]);
    expect(
      table.virtual
        .objects(Resources.events, 'team')
        .filter((e) => e.reason === 'SyncError')
        .map((e) => String(e.message)),
    ).toEqual([`the host cluster rejected the object: ${policy}`]);
    table.clock.advance(60_000);
    await table.settle();
    expect(table.host.objects(SECRETS, HOST_NS)).toHaveLength(1);
  });

  it("vCluster's force-sync annotation: synced though nothing uses it, inert if a token; unmarked, its copy goes", async () => {
    const marked = (name: string, type = 'Opaque') =>
      secret(name, {
        type,
        metadata: {
          name,
          namespace: 'team',
          uid: `uid-${name}`,
          annotations: {
            'vcluster.loft.sh/force-sync': 'true',
            'kubernetes.io/service-account.name': 'default',
          },
        },
      });
    const table = await start({
      kinds: ['secrets'],
      virtual: [marked('forced'), marked('token', 'kubernetes.io/service-account-token'), secret('unused')],
    });
    await table.settle();
    const hostSecrets = () => table.host.objects(SECRETS, HOST_NS);
    expect(hostSecrets().map((s) => s.metadata?.name)).toEqual([hostName('forced'), hostName('token')]);
    const token = hostSecrets().find((s) => s.metadata?.name === hostName('token'))!;
    expect(token.type).toBe('Opaque');
    expect(token.metadata?.annotations?.['kubernetes.io/service-account.name']).toBeUndefined();
    // The mark taken off (or set to anything but "true"): nothing uses it any more.
    const forced = table.virtual.objects(SECRETS, 'team').find((s) => s.metadata?.name === 'forced')!;
    await table.virtual.update(SECRETS, 'team', {
      ...forced,
      metadata: { ...forced.metadata, annotations: { 'vcluster.loft.sh/force-sync': 'false' } },
    });
    await table.settle();
    expect(hostSecrets().map((s) => s.metadata?.name)).toEqual([hostName('token')]);
  });

  it('the last pod using a secret goes: its host copy is deleted', async () => {
    const table = await start({
      kinds: ['secrets'],
      virtual: [secret('s'), pod({ volumes: [{ name: 'v', secret: { secretName: 's' } }] })],
    });
    await table.settle();
    await table.virtual.delete(Resources.pods, 'team', 'p');
    await table.settle();
    expect(table.host.writeLog()).toEqual([
      `create secrets ${HOST_NS}/${hostName('s')}`,
      `delete secrets ${HOST_NS}/${hostName('s')}`,
    ]);
  });
});
