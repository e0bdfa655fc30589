import { jest } from '@jest/globals';
import { Resources } from '../kube/resources.ts';
import { podInfrastructure } from '../testing/pod-seeds.ts';
import { HOST_NS, stateTables, VC } from '../testing/state-table.ts';

jest.setTimeout(30_000);
const start = stateTables();
const PODS = Resources.pods;
const HOST_NAME = `web-x-team-x-${VC}`;

/*
 * A replica that has just taken the lease may have caches behind what the old leader wrote. Gone from
 * a cache is not gone: before deleting on what a cache says (a copy of an earlier incarnation, a host
 * pod vanished), the syncer asks the cluster.
 */
/** A table running pods, with the tenant's pod `web` (uid-1) just made, not yet on the host. */
const withPendingWeb = () =>
  start({
    kinds: ['pods'],
    virtual: [
      ...podInfrastructure.virtual,
      [
        PODS,
        {
          metadata: { name: 'web', namespace: 'team', uid: 'uid-1' },
          spec: { containers: [{ name: 'main', image: 'app:1' }] },
          status: { phase: 'Pending' },
        },
      ],
    ],
    host: podInfrastructure.host,
  });

describe('caches behind the clusters (a leader handover)', () => {
  it("a virtual cache behind: the new incarnation's running host pod is not taken for an earlier one's, nor the tenant's pod deleted", async () => {
    const t = await withPendingWeb();
    await t.settle();
    const firstCopy = t.host.objects(PODS, HOST_NS).find((p) => p.metadata?.name === HOST_NAME)!;
    expect(firstCopy.metadata?.annotations?.['vcluster.loft.sh/object-uid']).toBe('uid-1');

    // This replica's virtual watch lags (k3s under load); its host watch does not.
    t.virtual.holdWatchEvents('pods');
    t.host.holdWatchEvents('pods');
    // The tenant replaces the pod (same name, new UID) ...
    await t.virtual.delete(PODS, 'team', 'web');
    const v2 = await t.virtual.create(PODS, 'team', {
      metadata: { name: 'web', namespace: 'team' },
      spec: { containers: [{ name: 'main', image: 'app:1' }], nodeName: 'n1' },
    });
    const uid2 = v2.metadata!.uid!;
    await t.virtual.update(
      PODS,
      'team',
      { ...v2, status: { phase: 'Running', startTime: '2026-11-30T12:00:00Z' } },
      { subresource: 'status' },
    );
    // ... and the other replica (the leader until a moment ago, whose caches were current) replaced
    // the host copy for the new incarnation, which the host scheduled and started.
    await t.host.delete(PODS, HOST_NS, HOST_NAME, { uid: firstCopy.metadata?.uid });
    const copy2 = structuredClone(firstCopy);
    delete copy2.metadata!.resourceVersion;
    delete copy2.metadata!.uid;
    copy2.metadata!.annotations!['vcluster.loft.sh/object-uid'] = uid2;
    (copy2.spec as Record<string, unknown>).nodeName = 'n1';
    const created = await t.host.create(PODS, HOST_NS, copy2);
    await t.host.update(
      PODS,
      HOST_NS,
      { ...created, status: { phase: 'Running', startTime: '2026-11-30T12:00:00Z' } },
      { subresource: 'status' },
    );
    t.host.clearWrites();
    t.virtual.clearWrites();

    // This replica now leads: its host cache shows the new copy; its virtual cache still the old pod.
    t.host.releaseWatchEvents();
    await t.settle();
    t.virtual.releaseWatchEvents();
    await t.settle();

    const deletes = t.writes().filter((w) => w.includes(' delete '));
    const hostNow = t.host.objects(PODS, HOST_NS).find((p) => p.metadata?.name === HOST_NAME);
    const virtualNow = t.virtual.objects(PODS, 'team').find((p) => p.metadata?.name === 'web');
    // The standard: a copy whose virtual object exists is never deleted; the tenant's pod stays.
    expect({
      deletes,
      hostCopyKept: hostNow?.metadata?.uid === created.metadata?.uid,
      virtualPod: virtualNow?.metadata?.uid === uid2,
    }).toEqual({ deletes: [], hostCopyKept: true, virtualPod: true });
  });

  it.each([
    ['', false],
    [', and the live read of it answered by a 404 that names nothing (a proxy)', true],
  ])(
    "a host cache behind (the old leader's host pod not yet seen)%s: the tenant's running pod is not taken for one whose host pod went",
    async (_, unnamedNotFound) => {
      // Replica A leads: it makes the host pod, the host schedules and starts it, A binds the virtual
      // pod and brings its status up.
      const a = await withPendingWeb();
      await a.settle();
      const made = a.host.objects(PODS, HOST_NS).find((p) => p.metadata?.name === HOST_NAME)!;
      await a.host.create(
        PODS,
        HOST_NS,
        {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name: HOST_NAME, uid: made.metadata!.uid },
          target: { name: 'n1' },
        },
        { subresource: 'binding', name: HOST_NAME },
      );
      const bound = a.host.objects(PODS, HOST_NS).find((p) => p.metadata?.name === HOST_NAME)!;
      await a.host.update(
        PODS,
        HOST_NS,
        { ...bound, status: { phase: 'Running', startTime: '2026-11-30T12:00:01Z' } },
        { subresource: 'status' },
      );
      await a.settle();
      const virtualPod = a.virtual.objects(PODS, 'team').find((p) => p.metadata?.name === 'web')!;
      expect((virtualPod.spec as { nodeName?: string }).nodeName).toBe('n1');
      expect((virtualPod.status as { startTime?: string }).startTime).toBeDefined();
      const hostPod = a.host.objects(PODS, HOST_NS).find((p) => p.metadata?.name === HOST_NAME)!;

      // Replica B, standing by, listed the host pods just before A made its pod; its host watch lags.
      // Its virtual cache is current. A's lease ends; B leads.
      const b = await start({
        kinds: ['pods'],
        virtual: [
          ...a.virtual.objects(Resources.namespaces).map((o) => [Resources.namespaces, o] as const),
          ...a.virtual.objects(Resources.services).map((o) => [Resources.services, o] as const),
          [PODS, virtualPod],
        ],
        host: podInfrastructure.host,
      });
      b.host.holdWatchEvents('pods');
      const { resourceVersion: _rv, uid: _uid, ...meta } = hostPod.metadata!;
      void _rv;
      void _uid;
      await b.host.create(PODS, HOST_NS, { ...hostPod, metadata: meta });
      b.host.clearWrites();
      if (unnamedNotFound) b.host.failNext('get', 'pods', 'notFound');
      await b.settle();
      b.host.releaseWatchEvents();
      await b.settle();
      const deletes = b.writes().filter((w) => w.includes(' delete '));
      expect({
        deletes,
        virtualPod: b.virtual.objects(PODS, 'team').map((p) => p.metadata?.uid),
        hostPods: b.host.objects(PODS, HOST_NS).length,
      }).toEqual({ deletes: [], virtualPod: ['uid-1'], hostPods: 1 });
    },
  );
});

/** A host copy as the old leader wrote it for the virtual object `team/<name>` of uid, and kind. */
const oldLeadersCopy = (name: string, uid: string, objectKind: string) => ({
  name: `${name}-x-team-x-${VC}`,
  namespace: HOST_NS,
  labels: { 'vcluster.loft.sh/managed-by': VC, 'vcluster.loft.sh/namespace': 'team' },
  annotations: {
    'vcluster.loft.sh/object-name': name,
    'vcluster.loft.sh/object-namespace': 'team',
    'vcluster.loft.sh/object-uid': uid,
    'vcluster.loft.sh/object-kind': objectKind,
  },
});
const PDBS = Resources.podDisruptionBudgets;
const PDB_KIND = 'policy/v1, Kind=PodDisruptionBudget';
const hostNames = (
  t: { host: { objects(type: typeof PODS, ns: string): { metadata?: { name?: string } }[] } },
  type: typeof PODS,
) => t.host.objects(type, HOST_NS).map((o) => o.metadata?.name);

/** A settled table running poddisruptionbudgets: the kind with nothing but the generic removal. */
async function pdbTable() {
  const t = await start({
    kinds: ['poddisruptionbudgets'],
    virtual: podInfrastructure.virtual,
    host: podInfrastructure.host,
  });
  await t.settle();
  return t;
}

describe('a source the virtual cache has not shown yet (a leader handover)', () => {
  it("the old leader's running host pod of a brand-new pod is not deleted while the cache lags", async () => {
    const t = await start({
      kinds: ['pods'],
      virtual: podInfrastructure.virtual,
      host: podInfrastructure.host,
    });
    await t.settle();
    // This replica's virtual watch lags; the tenant makes a pod, the old leader copied it and the
    // host started it.
    t.virtual.holdWatchEvents('pods');
    const pod = await t.virtual.create(PODS, 'team', {
      metadata: { name: 'web', namespace: 'team' },
      spec: { containers: [{ name: 'main', image: 'app:1' }] },
    });
    const copy = await t.host.create(PODS, HOST_NS, {
      metadata: oldLeadersCopy('web', pod.metadata!.uid!, '/v1, Kind=Pod'),
      spec: { containers: [{ name: 'main', image: 'app:1' }], nodeName: 'n1' },
    });
    await t.host.update(
      PODS,
      HOST_NS,
      { ...copy, status: { phase: 'Running', startTime: '2026-11-30T12:00:00Z' } },
      { subresource: 'status' },
    );
    t.host.clearWrites();
    t.virtual.clearWrites();
    await t.settle();
    const whileBehind = t.host.writeLog().filter((w) => w.startsWith('delete '));
    t.virtual.releaseWatchEvents();
    await t.settle();
    expect({
      whileBehind,
      deletes: t.writes().filter((w) => w.includes(' delete ')),
      hostCopyKept: t.host.objects(PODS, HOST_NS).some((p) => p.metadata?.uid === copy.metadata?.uid),
    }).toEqual({ whileBehind: [], deletes: [], hostCopyKept: true });
  });

  it('a brand-new PodDisruptionBudget keeps its copy too (the generic removal)', async () => {
    const t = await pdbTable();
    t.virtual.holdWatchEvents('poddisruptionbudgets');
    const pdb = await t.virtual.create(PDBS, 'team', {
      metadata: { name: 'budget', namespace: 'team' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
    });
    await t.host.create(PDBS, HOST_NS, {
      metadata: oldLeadersCopy('budget', pdb.metadata!.uid!, PDB_KIND),
      spec: { minAvailable: 1 },
    });
    t.host.clearWrites();
    await t.settle();
    expect(t.host.writeLog().filter((w) => w.startsWith('delete '))).toEqual([]);
    expect(hostNames(t, PDBS)).toEqual([`budget-x-team-x-${VC}`]);
    t.virtual.releaseWatchEvents();
    await t.settle();
    expect(t.writes().filter((w) => w.includes(' delete '))).toEqual([]);
  });

  it('a copy whose source is gone goes: a delete the cache saw needs no read, one it missed is read first', async () => {
    const t = await pdbTable();
    await t.virtual.create(PDBS, 'team', {
      metadata: { name: 'seen', namespace: 'team' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
    });
    await t.settle();
    expect(hostNames(t, PDBS)).toEqual([`seen-x-team-x-${VC}`]);
    let reads = 0;
    t.virtual.actOnNext('get', 'poddisruptionbudgets', () => reads++);
    await t.virtual.delete(PDBS, 'team', 'seen');
    await t.settle();
    expect({ hostCopies: hostNames(t, PDBS), reads }).toEqual({ hostCopies: [], reads: 0 });

    // A copy of a source this cache never showed, and which the virtual cluster does not have (made
    // and deleted while another replica led): read, found gone, removed.
    await t.host.create(PDBS, HOST_NS, {
      metadata: oldLeadersCopy('missed', 'uid-gone', PDB_KIND),
      spec: { minAvailable: 1 },
    });
    await t.settle();
    expect({ hostCopies: hostNames(t, PDBS), reads }).toEqual({ hostCopies: [], reads: 1 });
  });
});

describe('a source the virtual cache shows behind the cluster, or cannot read', () => {
  it('a copy of an earlier incarnation is not judged while the cache has not shown the new one (a kind may take it over)', async () => {
    const t = await pdbTable();
    t.virtual.holdWatchEvents('poddisruptionbudgets');
    await t.virtual.create(PDBS, 'team', {
      metadata: { name: 'budget', namespace: 'team' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
    });
    await t.host.create(PDBS, HOST_NS, {
      metadata: oldLeadersCopy('budget', 'earlier-uid', PDB_KIND),
      spec: { minAvailable: 1 },
    });
    t.host.clearWrites();
    await t.settle();
    expect(t.host.writeLog()).toEqual([]);
    // Shown now: the copy of the earlier incarnation is replaced, as ever.
    t.virtual.releaseWatchEvents();
    await t.settle();
    expect(t.host.writeLog().map((w) => w.split(' ')[0])).toEqual(['delete', 'create']);
  });

  it('a NotFound naming no object (the virtual API server stopped serving the resource) keeps the copies', async () => {
    const t = await pdbTable();
    await t.host.create(PDBS, HOST_NS, {
      metadata: oldLeadersCopy('budget', 'uid-1', PDB_KIND),
      spec: { minAvailable: 1 },
    });
    // As a server answers for a resource it does not serve: a Status naming no object.
    t.virtual.failNext('get', 'poddisruptionbudgets', 'notFound');
    t.host.clearWrites();
    await t.settle();
    expect(hostNames(t, PDBS)).toEqual([`budget-x-team-x-${VC}`]);
    expect(t.host.writeLog()).toEqual([]);
    // Served again, the read names the object missing: the copy goes.
    t.clock.advance(60_000);
    await t.settle();
    expect(hostNames(t, PDBS)).toEqual([]);
  });
});

describe('a host source the new leader host cache lacks (its watch behind)', () => {
  const SC = Resources.storageClasses;
  const hostClass = (name: string, labels: Record<string, string> = {}) => ({
    metadata: { name, labels },
    provisioner: 'csi.example.com',
    reclaimPolicy: 'Delete',
  });
  /** The old leader's copies of these host classes, as the host-storageclasses kind made them. */
  const oldLeadersCopies = async (classes: ReturnType<typeof hostClass>[], flags = {}) => {
    const a = await start({
      kinds: ['host-storageclasses'],
      host: classes.map((c) => [SC, c] as const),
      flags,
    });
    await a.settle();
    return a.virtual.objects(SC);
  };

  it('keeps the copy the old leader showed while the cache catches up, and removes nothing after', async () => {
    const copies = await oldLeadersCopies([hostClass('fast')]);
    expect(copies.map((c) => c.metadata?.name)).toEqual(['fast']);
    const b = await start({ kinds: ['host-storageclasses'], virtual: copies.map((c) => [SC, c] as const) });
    b.host.holdWatchEvents('storageclasses');
    await b.host.create(SC, '', hostClass('fast'));
    b.host.clearWrites();
    await b.settle();
    b.clock.advance(5_000);
    await b.settle();
    expect(b.writes()).toEqual([]);
    b.host.releaseWatchEvents();
    await b.settle();
    expect(b.writes()).toEqual([]);
    expect(b.virtual.objects(SC).map((c) => c.metadata?.uid)).toEqual(copies.map((c) => c.metadata?.uid));
  });

  it('keeps the copy when the host cannot be asked (a timeout), and goes on once it answers', async () => {
    const copies = await oldLeadersCopies([hostClass('fast')]);
    const b = await start({ kinds: ['host-storageclasses'], virtual: copies.map((c) => [SC, c] as const) });
    b.host.holdWatchEvents('storageclasses');
    await b.host.create(SC, '', hostClass('fast'));
    b.host.clearWrites();
    b.host.failNext('get', 'storageclasses', 'timeout');
    b.host.failNext('get', 'storageclasses', 'timeout');
    await b.settle();
    b.clock.advance(5_000);
    await b.settle();
    expect(b.writes()).toEqual([]);
    b.host.releaseWatchEvents();
    await b.settle();
    expect(b.writes()).toEqual([]);
    expect(b.virtual.objects(SC).map((c) => c.metadata?.uid)).toEqual(copies.map((c) => c.metadata?.uid));
  });

  it('removes a copy of a host object the cache would not list (outside the selector), and one it never shows after a minute', async () => {
    // Shown before the admin set a selector that leaves it out: the host has it, the cache never will.
    const copies = await oldLeadersCopies([hostClass('two', { value: 'two' })]);
    const b = await start({
      kinds: ['host-storageclasses'],
      host: [[SC, hostClass('two', { value: 'two' })]],
      virtual: copies.map((c) => [SC, c] as const),
      flags: { hostStorageclassesSelector: 'value=one' },
    });
    await b.settle();
    expect(b.virtual.objects(SC)).toEqual([]);

    // In the cache's scope, but never delivered: waited for a minute, then the cache is believed.
    const c = await start({ kinds: ['host-storageclasses'], virtual: copies.map((o) => [SC, o] as const) });
    c.host.holdWatchEvents('storageclasses');
    await c.host.create(SC, '', hostClass('two', { value: 'two' }));
    await c.settle();
    c.clock.advance(30_000);
    await c.settle();
    expect(c.virtual.objects(SC).map((o) => o.metadata?.name)).toEqual(['two']);
    c.clock.advance(31_000);
    await c.settle();
    expect(c.virtual.objects(SC)).toEqual([]);
  });
});

describe('a host cache behind the syncer’s own write of labels and annotations', () => {
  it("does not take the copy's older labels for the host's change and write them up over the tenant's", async () => {
    const CM = Resources.configMaps;
    const t = await start({
      kinds: ['configmaps'],
      virtual: [
        // A pod that uses it: config maps are synced while a pod names them.
        [
          PODS,
          {
            metadata: { name: 'uses-app', namespace: 'team', uid: 'pod-1' },
            spec: { containers: [{ name: 'c', image: 'i', envFrom: [{ configMapRef: { name: 'app' } }] }] },
          },
        ],
        [
          CM,
          {
            metadata: { name: 'app', namespace: 'team', uid: 'cm-1', labels: { tier: 'a' } },
            data: { k: 'v' },
          },
        ],
      ],
    });
    await t.settle();
    const hostCopy = () => t.host.objects(CM, HOST_NS)[0]!;
    expect(hostCopy().metadata?.labels?.tier).toBe('a');

    // The host's watch is slow: the syncer's next write is answered, its event held back.
    t.host.holdWatchEvents('configmaps');
    const v = t.virtual.objects(CM, 'team')[0]!;
    await t.virtual.update(CM, 'team', { ...v, metadata: { ...v.metadata, labels: { tier: 'b' } } });
    await t.delivered();
    await t.settle();
    expect(hostCopy().metadata?.labels?.tier).toBe('b');
    // Something else brings the key back while the cache still shows the copy as it was.
    t.controllers.get('configmaps')!.controller.enqueue('team/app');
    await t.settle();
    expect(t.virtual.objects(CM, 'team')[0]!.metadata?.labels?.tier).toBe('b');

    t.host.releaseWatchEvents();
    await t.delivered();
    await t.settle();
    expect(t.virtual.objects(CM, 'team')[0]!.metadata?.labels?.tier).toBe('b');
    expect(hostCopy().metadata?.labels?.tier).toBe('b');
  });
});
