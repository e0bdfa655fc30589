import { ApiError } from '../../kube/errors.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../../testing/state-table.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const hostPod = `web-x-team-x-${VC}`;

/** A synced pair: virtual pod team/web and its host copy. */
function pair(hostUid = 'host-uid'): { virtual: Seed[]; host: Seed[] } {
  return {
    virtual: [
      [
        Resources.pods,
        { metadata: { name: 'web', namespace: 'team', uid: 'v-uid' }, spec: { containers: [] } },
      ],
    ],
    host: [
      [
        Resources.pods,
        {
          metadata: {
            name: hostPod,
            namespace: HOST_NS,
            uid: hostUid,
            labels: { 'vcluster.loft.sh/managed-by': VC },
            annotations: {
              'vcluster.loft.sh/object-name': 'web',
              'vcluster.loft.sh/object-namespace': 'team',
              'vcluster.loft.sh/object-uid': 'v-uid',
              'vcluster.loft.sh/object-kind': '/v1, Kind=Pod',
            },
          },
          spec: { containers: [] },
        },
      ],
    ],
  };
}

function hostEvent(involvedName: string, uid = 'host-uid', name = `${involvedName}.abc123`): Seed {
  return [
    Resources.events,
    {
      metadata: { name, namespace: HOST_NS },
      involvedObject: { kind: 'Pod', name: involvedName, namespace: HOST_NS, uid },
      reason: 'Pulled',
      message: `Successfully pulled image for ${involvedName} in ${HOST_NS}`,
      type: 'Normal',
      count: 1,
    },
  ];
}

async function run(virtual: Seed[], host: Seed[]) {
  // A DNS IP given, so that a pod held here waits without an event of the syncer's own about it.
  const table = await start({
    kinds: ['pods', 'events'],
    virtual,
    host,
    flags: { clusterDnsIp: '10.96.0.10' },
  });
  return table;
}

const virtualEvents = (t: StateTable) => t.virtual.objects(Resources.events, 'team');

describe('events state table', () => {
  it('an event about our host pod is copied with virtual names and no host names', async () => {
    const { virtual, host } = pair();
    const table = await run(virtual, [...host, hostEvent(hostPod)]);
    await table.settle();
    const [event] = virtualEvents(table);
    expect(event?.metadata?.name).toBe('web.abc123');
    expect(event?.involvedObject).toMatchObject({
      kind: 'Pod',
      name: 'web',
      namespace: 'team',
      uid: 'v-uid',
    });
    expect(event?.message).toBe('Successfully pulled image for web in <host namespace>');
  });

  it("the scheduler's `namespace/name` of the host pod reads as the tenant's own, as vCluster shows it", async () => {
    const { virtual, host } = pair();
    const [type, event] = hostEvent(hostPod, 'host-uid', `${hostPod}.sched1`);
    const scheduled: Seed = [
      type,
      {
        ...event,
        reason: 'Scheduled',
        message: `Successfully assigned ${HOST_NS}/${hostPod} to node-a`,
        reportingComponent: 'default-scheduler',
        reportingInstance: 'default-scheduler-control-plane-7.host.internal',
      },
    ];
    const table = await run(virtual, [...host, scheduled]);
    await table.settle();
    expect(virtualEvents(table).map((e) => e.message)).toEqual(['Successfully assigned team/web to node-a']);
    // The host's control-plane machine is not named: the scheduler reports as itself.
    expect(virtualEvents(table)[0]).toMatchObject({
      reportingComponent: 'default-scheduler',
      reportingInstance: 'default-scheduler',
    });
  });

  it("the kubelet's `name_namespace(uid)` of the host pod reads as the tenant's pod, with its UID", async () => {
    const { virtual, host } = pair();
    const [type, event] = hostEvent(hostPod, 'host-uid', `${hostPod}.backoff1`);
    const backOff: Seed = [
      type,
      {
        ...event,
        reason: 'BackOff',
        message: `Back-off restarting failed container app in pod ${hostPod}_${HOST_NS}(host-uid)`,
      },
    ];
    const table = await run(virtual, [...host, backOff]);
    await table.settle();
    expect(virtualEvents(table).map((e) => e.message)).toEqual([
      'Back-off restarting failed container app in pod web_team(v-uid)',
    ]);
  });

  it("copies a container's events only for the containers the tenant declared, not the host's sidecars or debug containers", async () => {
    const { virtual, host } = pair();
    const virtualPod = virtual[0]![1];
    virtualPod.spec = {
      containers: [{ name: 'app' }],
      ephemeralContainers: [{ name: 'debugger' }, { name: 'admin-debug' }],
    };
    const hostCopy = host[0]![1];
    hostCopy.spec = {
      containers: [{ name: 'app' }, { name: 'istio-proxy' }],
      initContainers: [{ name: 'vcluster-rewrite-hosts' }],
      ephemeralContainers: [
        { name: 'debugger', env: [{ name: 'VSYNCER_TENANT_DEBUG_CONTAINER', value: 'true' }] },
        // A host admin's `kubectl debug` of the host pod, of a name the tenant also used.
        { name: 'admin-debug' },
      ],
    };
    const about = (fieldPath: string, id: string): Seed => {
      const [type, event] = hostEvent(hostPod, 'host-uid', `${hostPod}.${id}`);
      return [type, { ...event, involvedObject: { ...(event.involvedObject as object), fieldPath } }];
    };
    const table = await run(virtual, [
      ...host,
      about('spec.containers{app}', 'a1'),
      about('spec.containers{istio-proxy}', 'a2'),
      about('spec.initContainers{vcluster-rewrite-hosts}', 'a3'),
      about('spec.ephemeralContainers{debugger}', 'a4'),
      about('spec.ephemeralContainers{admin-debug}', 'a5'),
    ]);
    await table.settle();
    expect(virtualEvents(table).map((e) => (e.involvedObject as { fieldPath?: string }).fieldPath)).toEqual([
      'spec.containers{app}',
      'spec.ephemeralContainers{debugger}',
    ]);
  });

  it('a restart over events an earlier run copied writes no event; one that changed since is updated', async () => {
    const { virtual, host } = pair();
    // Happened an hour before this start (the table's clock).
    const [type, old] = hostEvent(hostPod);
    const earlier: Seed = [type, { ...old, lastTimestamp: '2026-11-30T11:00:00Z' }];
    const first = await run(virtual, [...host, earlier]);
    await first.settle();
    const copied = virtualEvents(first)[0]!;
    const { resourceVersion: _rv, uid: _uid, ...copyMeta } = copied.metadata!;
    const copy: Seed = [Resources.events, { ...copied, metadata: copyMeta }];

    const restarted = await run([...virtual, copy], [...host, earlier]);
    await restarted.settle();
    expect(restarted.virtual.writeLog().filter((w) => w.includes(' events '))).toEqual([]);

    const changed: Seed = [type, { ...old, lastTimestamp: '2026-11-30T11:30:00Z', count: 2 }];
    const again = await run([...virtual, copy], [...host, changed]);
    await again.settle();
    expect(again.virtual.writeLog().filter((w) => w.includes(' events '))).toEqual([
      'patch events team/web.abc123',
    ]);
    expect(virtualEvents(again)[0]?.count).toBe(2);
  });

  it('an event about a host pod that is not ours is ignored, without retries', async () => {
    const { virtual, host } = pair();
    const table = await run(virtual, [...host, hostEvent('admin-pod')]);
    await table.settle();
    expect(virtualEvents(table)).toEqual([]);
    expect(table.controllers.get('events')!.controller.queue.numRequeues(`${HOST_NS}/admin-pod.abc123`)).toBe(
      0,
    );
  });

  it("an event about an object of another API group that has our pod's kind and name is not copied; the core group's is", async () => {
    const { virtual, host } = pair();
    const about = (apiVersion: string, name: string): Seed => {
      const [type, event] = hostEvent(hostPod, '', name);
      return [
        type,
        {
          ...event,
          message: `about a ${apiVersion} Pod`,
          involvedObject: { ...(event.involvedObject as object), apiVersion, uid: undefined },
        },
      ];
    };
    const table = await run(virtual, [
      ...host,
      about('example.com/v1', `${hostPod}.other`),
      about('v1', `${hostPod}.ours`),
    ]);
    await table.settle();
    expect(virtualEvents(table).map((e) => e.message)).toEqual(['about a v1 Pod']);
  });

  it('an event about an earlier incarnation of the host pod (other UID) is not copied', async () => {
    const { virtual, host } = pair('host-uid');
    const table = await run(virtual, [...host, hostEvent(hostPod, 'older-uid')]);
    await table.settle();
    expect(virtualEvents(table)).toEqual([]);
  });

  it('an event that arrives before its pod is cached is retried, and copied once the pod is there', async () => {
    const { virtual, host } = pair();
    const table = await run(virtual, [hostEvent(hostPod)]);
    await table.settle();
    expect(virtualEvents(table)).toEqual([]);
    table.host.seed(host[0]![0], host[0]![1]);
    await table.delivered();
    table.clock.advance(2_000);
    await table.settle();
    expect(virtualEvents(table).map((e) => e.metadata?.name)).toEqual(['web.abc123']);
  });

  describe("vCluster's force-sync: an admin's host event for the tenant", () => {
    const forced = (name: string, labels?: Record<string, string>): Seed => [
      Resources.events,
      {
        metadata: {
          name,
          namespace: HOST_NS,
          labels,
          annotations: { 'vcluster.loft.sh/force-sync': 'true' },
        },
        involvedObject: { kind: 'ConfigMap', name: 'admin-notes', namespace: HOST_NS, uid: 'admin-uid' },
        reason: 'Maintenance',
        message: 'this virtual cluster sleeps at 22:00',
        type: 'Warning',
        count: 1,
      },
    ];
    const defaultEvents = (t: StateTable) => t.virtual.objects(Resources.events, 'default');

    it('is shown in the default namespace under its name, about no object, its text as written', async () => {
      const table = await run([], [forced('notice')]);
      await table.settle();
      const [event] = defaultEvents(table);
      expect(event).toMatchObject({
        metadata: { name: 'notice', namespace: 'default' },
        involvedObject: { namespace: 'default' },
        reason: 'Maintenance',
        message: 'this virtual cluster sleeps at 22:00',
        type: 'Warning',
      });
      // Marked as the copy of that host event, so that only it is ever updated.
      expect(event?.metadata?.annotations).toEqual({ 'vsyncer.dev/forced-from-host-event': 'notice' });
      expect((event?.involvedObject as { name?: string }).name).toBeUndefined();
    });

    it('never one some virtual cluster synced (a tenant may have chosen its annotations)', async () => {
      const table = await run([], [forced('copied', { 'vcluster.loft.sh/managed-by': 'other-vc' })]);
      await table.settle();
      expect(defaultEvents(table)).toEqual([]);
    });

    it("never overwrites a tenant's own event of that name", async () => {
      const own: Seed = [
        Resources.events,
        {
          metadata: { name: 'notice', namespace: 'default' },
          // About no object either, as a forced copy is: only the mark tells them apart.
          involvedObject: { namespace: 'default' },
          reason: 'Mine',
          message: 'tenant text',
          count: 1,
        },
      ];
      const table = await run([own], [forced('notice')]);
      await table.settle();
      expect(defaultEvents(table).map((e) => e.message)).toEqual(['tenant text']);
    });
  });
});

describe('events of the host side only', () => {
  const PDB = Resources.podDisruptionBudgets;
  const hostBudget = `web-x-team-x-${VC}`;
  const budgetEvent = (reason: string, name: string, uid: string): Seed => [
    Resources.events,
    {
      metadata: { name, namespace: HOST_NS },
      involvedObject: {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        name: hostBudget,
        namespace: HOST_NS,
        uid,
      },
      reason,
      message: `${reason} about ${hostBudget} (selector: vcluster.loft.sh/managed-by: ${VC})`,
      type: 'Warning',
      count: 1,
    },
  ];

  it("the host disruption controller's word on a budget's bare host pods is not shown; its other events are", async () => {
    const table = await start({ kinds: ['poddisruptionbudgets', 'events'] });
    await table.virtual.create(PDB, 'team', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web', namespace: 'team' },
      spec: { maxUnavailable: '25%', selector: { matchLabels: { app: 'web' } } },
    });
    await table.settle();
    const uid = table.host.objects(PDB, HOST_NS).find((p) => p.metadata?.name === hostBudget)!.metadata!.uid!;
    for (const [i, reason] of ['UnmanagedPods', 'CalculateExpectedPodCountFailed', 'NoPods'].entries()) {
      const [type, event] = budgetEvent(reason, `${hostBudget}.${i}`, uid);
      await table.host.create(type, HOST_NS, event);
    }
    table.clock.advance(5000);
    await table.settle();
    expect(virtualEvents(table).map((e) => e.reason)).toEqual(['NoPods']);
  });

  it('an event whose namespace is being deleted is dropped, not retried', async () => {
    const { virtual, host } = pair();
    const table = await run(virtual, host);
    await table.settle();
    table.virtual.failNext(
      'create',
      'events',
      new ApiError(
        'virtual',
        403,
        {
          reason: 'Forbidden',
          message:
            'events "web.abc123" is forbidden: unable to create new content in namespace team because it is being terminated',
          details: {
            causes: [{ reason: 'NamespaceTerminating', message: 'namespace team is being terminated' }],
          },
        },
        'HTTP 403',
      ),
    );
    const [type, event] = hostEvent(hostPod);
    await table.host.create(type, HOST_NS, event);
    for (let i = 0; i < 5; i++) {
      table.clock.advance(2000);
      await table.settle();
    }
    expect(virtualEvents(table)).toEqual([]);
  });
});
