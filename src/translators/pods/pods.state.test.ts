import type { KubeObject } from '../../kube/object.ts';
import { ApiError } from '../../kube/errors.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../../testing/state-table.ts';
import { podInfrastructure } from '../../testing/pod-seeds.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const PODS = Resources.pods;
const hostPodName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;

/** What every pod sync needs: the host Service of the virtual API and the virtual DNS service. */
const infrastructure = podInfrastructure;

function virtualPod(
  name: string,
  extra: {
    spec?: Record<string, unknown>;
    status?: Record<string, unknown>;
    labels?: Record<string, string>;
  } = {},
): Seed {
  return [
    PODS,
    {
      metadata: { name, namespace: 'team', uid: `uid-${name}`, labels: extra.labels ?? { app: name } },
      spec: { containers: [{ name: 'main', image: 'app:1' }], ...extra.spec },
      // As the API server leaves a new pod: Pending, as the host pod starts too.
      status: extra.status ?? { phase: 'Pending' },
    },
  ];
}

/** A virtual pod that ran: bound to node-1, with the start time its host pod's kubelet gave it. */
const ranOnNode = (name: string): Seed =>
  virtualPod(name, {
    spec: { nodeName: 'node-1' },
    status: { phase: 'Running', startTime: '2026-11-30T11:00:00Z' },
  });

/** Runs a table with the pods kind only. */
async function podTable(
  virtual: Seed[],
  host: Seed[] = [],
  opts: { podGraceful?: boolean; flags?: Record<string, unknown> } = {},
) {
  return start({
    kinds: ['pods'],
    virtual: [...infrastructure.virtual, ...virtual],
    host: [...infrastructure.host, ...host],
    podGraceful: opts.podGraceful,
    flags: opts.flags,
  });
}

const hostPods = (t: StateTable) => t.host.objects(PODS, HOST_NS);
const podWrites = (t: StateTable) => t.writes().filter((w) => !w.includes(' events '));
/** The lane (urgent or ordinary) of each add of `key` to the pods queue from now on. */
function recordLanes(table: StateTable, key: string): string[] {
  const queue = table.controllers.get('pods')!.controller.queue;
  const adds: string[] = [];
  const add = queue.add.bind(queue);
  queue.add = (k, opts) => {
    if (k === key) adds.push(opts?.urgent ? 'urgent' : 'ordinary');
    add(k, opts);
  };
  return adds;
}

/** What the host scheduler does: binds a host pod to a node. */
const scheduleOnHost = (t: StateTable, pod: KubeObject, node: string) =>
  t.host.create(
    PODS,
    HOST_NS,
    {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: pod.metadata!.name, uid: pod.metadata!.uid },
      target: { name: node },
    },
    { subresource: 'binding', name: pod.metadata!.name },
  );

/** A pod's conditions as `type=status`, sorted. */
const conditionsOf = (pod: KubeObject | undefined) =>
  ((pod?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [])
    .map((c) => `${c.type}=${c.status}`)
    .sort();

describe('pods state table', () => {
  it("reports the tenant's wait: from the virtual pod's creation to its host pod, and from the host's change to the status", async () => {
    const t = await podTable([virtualPod('timed')]);
    t.clock.advance(3000);
    await t.settle();
    expect(t.latencies).toContain('tenant pods virtual-to-host 3');
    const hp = hostPods(t)[0]!;
    await scheduleOnHost(t, hp, 'n1');
    await t.settle();
    t.clock.advance(2000);
    const bound = hostPods(t)[0]!;
    const changedAt = new Date(t.clock.now()).toISOString();
    await t.host.update(
      PODS,
      HOST_NS,
      {
        ...bound,
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: changedAt }],
        },
      },
      { subresource: 'status' },
    );
    t.clock.advance(1000);
    await t.settle();
    expect(t.latencies).toContain('tenant pods host-to-virtual 1');
  });

  it('only virtual: the host pod is created once, translated, and nothing else is written', async () => {
    const table = await podTable([virtualPod('web')]);
    await table.settle();
    expect(podWrites(table)).toEqual([`host: create pods ${HOST_NS}/${hostPodName('web')}`]);
    const [host] = hostPods(table);
    expect(host?.metadata?.labels).toMatchObject({ app: 'web', 'vcluster.loft.sh/managed-by': VC });
    expect(host?.metadata?.annotations).toMatchObject({ 'vcluster.loft.sh/object-uid': 'uid-web' });
  });

  it("--denied-host-metadata keeps its keys off host pods, with the pods' own denied list still applied", async () => {
    const table = await podTable(
      [
        virtualPod('web', {
          labels: { app: 'web', 'example.com/team': 'a', 'k8s.v1.cni.cncf.io/networks': 'x' },
        }),
      ],
      [],
      { flags: { deniedHostMetadata: ['example.com/*'] } },
    );
    await table.settle();
    const [host] = hostPods(table);
    expect(host?.metadata?.labels?.app).toBe('web');
    expect(host?.metadata?.labels).not.toHaveProperty(['example.com/team']);
    expect(host?.metadata?.labels).not.toHaveProperty(['k8s.v1.cni.cncf.io/networks']);
  });

  it("a host mesh injector's merge is not the tenant's to steer: its overrides annotation stays off the host pod, a container of its names is refused", async () => {
    const overrides = JSON.stringify({
      initContainers: [{ name: 'istio-init', image: 'evil:1', securityContext: { privileged: true } }],
    });
    const [, annotated] = virtualPod('web');
    const table = await podTable([
      [
        PODS,
        {
          ...annotated,
          metadata: { ...annotated.metadata, annotations: { 'proxy.istio.io/overrides': overrides } },
        },
      ],
      virtualPod('proxy', {
        spec: {
          containers: [
            { name: 'main', image: 'app:1' },
            { name: 'istio-proxy', image: 'evil:1' },
          ],
        },
      }),
    ]);
    await table.settle();
    expect(hostPods(table).map((p) => p.metadata?.name)).toEqual([hostPodName('web')]);
    expect(hostPods(table)[0]?.metadata?.annotations).not.toHaveProperty(['proxy.istio.io/overrides']);
    expect(
      table.virtual
        .objects(Resources.events, 'team')
        .filter((e) => (e.involvedObject as { name?: string }).name === 'proxy')
        .map((e) => e.message),
    ).toContainEqual(expect.stringContaining('the container name "istio-proxy" is the host\'s'));
  });

  it('a pod refused (Pod Security) says why in its PodScheduled condition too, written once', async () => {
    const table = await podTable([
      virtualPod('priv', {
        spec: { containers: [{ name: 'main', image: 'app:1', securityContext: { privileged: true } }] },
      }),
    ]);
    await table.settle();
    expect(hostPods(table)).toEqual([]);
    const virtual = () => table.virtual.objects(PODS, 'team').find((p) => p.metadata?.name === 'priv');
    const conditions = (virtual()?.status as { conditions?: Record<string, string>[] }).conditions ?? [];
    const scheduled = conditions.find((c) => c.type === 'PodScheduled');
    expect(scheduled).toMatchObject({ status: 'False', reason: 'SyncError' });
    expect(scheduled?.message).toContain('violates PodSecurity "baseline:latest": privileged');
    expect(scheduled?.message).not.toContain(HOST_NS);
    // Refused again (reconciled for no change): the same condition is not written again.
    table.virtual.clearWrites();
    table.controllers.get('pods')!.controller.enqueue('team/priv');
    await table.settle();
    expect(table.virtual.writeLog().filter((w) => w.includes('pods/status'))).toEqual([]);
  });

  it('a refused pod made with its node named (kubectl debug node/...) says why in its conditions too', async () => {
    const hostNetwork = { hostNetwork: true, hostPID: true, nodeName: 'node-1' };
    const table = await podTable([
      virtualPod('node-debugger', {
        spec: { ...hostNetwork, containers: [{ name: 'd', image: 'busybox' }] },
      }),
    ]);
    await table.settle();
    expect(hostPods(table)).toEqual([]);
    const conditionsOf = (name: string) =>
      (
        (table.virtual.objects(PODS, 'team').find((p) => p.metadata?.name === name)?.status ?? {}) as {
          conditions?: Record<string, string>[];
        }
      ).conditions ?? [];
    expect(conditionsOf('node-debugger').find((c) => c.type === 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'SyncError',
      message: expect.stringContaining('host namespaces'),
    });
  });

  it("a pod whose hosts-rewrite init container (the syncer's) cannot start on the host is told why, once, though its status leaves that container out", async () => {
    const table = await podTable([virtualPod('db-0', { spec: { hostname: 'db-0', subdomain: 'db' } })]);
    await table.settle();
    const [copy] = hostPods(table);
    expect(
      ((copy?.spec as { initContainers?: { name: string }[] }).initContainers ?? []).map((c) => c.name),
    ).toEqual(['vcluster-rewrite-hosts']);
    const pulling = (message: string) => ({
      phase: 'Pending',
      initContainerStatuses: [
        {
          name: 'vcluster-rewrite-hosts',
          image: 'library/alpine:3.20',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'ImagePullBackOff', message } },
        },
      ],
    });
    await table.host.update(
      PODS,
      HOST_NS,
      { ...copy!, status: pulling('Back-off pulling image "library/alpine:3.20"') },
      { subresource: 'status' },
    );
    await table.settle();
    const latest = hostPods(table)[0]!;
    await table.host.update(
      PODS,
      HOST_NS,
      { ...latest, status: pulling('Back-off pulling image "library/alpine:3.20" (2m)') },
      { subresource: 'status' },
    );
    await table.settle();
    const told = table.virtual
      .objects(Resources.events, 'team')
      .filter((e) => e.reason === 'HostsRewriteFailed')
      .map((e) => String(e.message));
    expect(told).toEqual([
      expect.stringContaining('cannot start on the host: ImagePullBackOff: Back-off pulling image'),
    ]);
    expect(told[0]).toContain('--hosts-rewrite-image');
  });

  it("a refusal of a pod that has a host copy (an update the host denies) writes no condition: the copy's status is shown, and the two would overwrite each other without end", async () => {
    const table = await podTable([virtualPod('web', { spec: { nodeName: 'node-1' } })]);
    await table.settle();
    expect(hostPods(table)).toHaveLength(1);
    // Bounded: past 50 status writes the host stops denying, so a loop ends and is counted.
    let statusWrites = 0;
    let deny = true;
    table.virtual.mutateOnUpdate('pods/status', () => {
      if (++statusWrites > 50) deny = false;
    });
    table.host.mutateOnUpdate('pods', () => {
      if (deny)
        throw new ApiError(
          'host',
          403,
          { reason: 'Forbidden', message: 'admission webhook "policy.example.com" denied the request' },
          'forbidden',
        );
    });
    const pod = table.virtual.objects(PODS, 'team')[0]!;
    const spec = pod.spec as { containers: { name: string; image: string }[] };
    await table.virtual.update(PODS, 'team', {
      ...pod,
      spec: { ...spec, containers: [{ ...spec.containers[0]!, image: 'app:2' }] },
    });
    await table.settle();
    expect(statusWrites).toBe(0);
    expect(
      table.virtual
        .objects(Resources.events, 'team')
        .filter((e) => e.reason === 'SyncError')
        .map((e) => String(e.message)),
    ).toEqual([expect.stringContaining('denied the request')]);
  });

  it('--enforce-runtime-class and --enforce-priority-class replace whatever a pod names, and apply to pods naming none', async () => {
    const table = await podTable(
      [
        virtualPod('named', {
          spec: {
            runtimeClassName: 'privileged-runtime',
            overhead: { cpu: '1' },
            priorityClassName: 'urgent',
            priority: 1000,
            containers: [{ name: 'main', image: 'app:1' }],
          },
        }),
        virtualPod('plain'),
      ],
      [],
      { flags: { enforceRuntimeClass: 'gvisor', enforcePriorityClass: 'tenant-low' } },
    );
    await table.settle();
    const specs = hostPods(table).map((p) => p.spec as Record<string, unknown>);
    expect(specs).toHaveLength(2);
    for (const spec of specs) {
      expect(spec).toMatchObject({ runtimeClassName: 'gvisor', priorityClassName: 'tenant-low' });
      expect(spec.overhead).toBeUndefined();
      expect(spec.priority).toBeUndefined();
    }
  });

  it('--enforce-priority-class with priorityclasses on: a pod naming a tenant class without a host copy does not wait for it', async () => {
    const table = await start({
      kinds: ['pods', 'priorityclasses'],
      virtual: [
        ...infrastructure.virtual,
        [Resources.priorityClasses, { metadata: { name: 'urgent' }, value: 2_000_000_000 }],
        virtualPod('named', {
          spec: { priorityClassName: 'urgent', containers: [{ name: 'main', image: 'app:1' }] },
        }),
      ],
      host: infrastructure.host,
      flags: { enforcePriorityClass: 'tenant-low' },
    });
    await table.settle();
    // The class is above the allowed maximum: it never gets a copy, and the pod runs with the admin's.
    expect(hostPods(table).map((p) => (p.spec as { priorityClassName?: string }).priorityClassName)).toEqual([
      'tenant-low',
    ]);
  });

  it('--translate-image: the host pod runs the mapped images, an image change follows mapped, and nothing loops', async () => {
    const table = await podTable(
      [
        virtualPod('web', {
          spec: {
            initContainers: [{ name: 'init', image: 'busybox:1.36' }],
            containers: [{ name: 'main', image: 'nginx:1.27' }],
          },
        }),
      ],
      [],
      {
        flags: { translateImage: ['nginx=mirror.example.com/nginx', 'busybox:1.36=mirror.example.com/bb:1'] },
      },
    );
    await table.settle();
    const host = () =>
      hostPods(table)[0]!.spec as { containers: { image: string }[]; initContainers: { image: string }[] };
    expect(host().containers[0]!.image).toBe('mirror.example.com/nginx:1.27');
    expect(host().initContainers[0]!.image).toBe('mirror.example.com/bb:1');
    const virtual = table.virtual.objects(PODS, 'team')[0]!;
    await table.virtual.update(PODS, 'team', {
      ...virtual,
      spec: { ...(virtual.spec as object), containers: [{ name: 'main', image: 'nginx:1.28' }] },
    });
    await table.settle();
    expect(host().containers[0]!.image).toBe('mirror.example.com/nginx:1.28');
    const writes = podWrites(table).length;
    await table.settle();
    expect(podWrites(table)).toHaveLength(writes);
    // The virtual pod keeps the image its tenant wrote.
    expect(
      (table.virtual.objects(PODS, 'team')[0]!.spec as { containers: { image: string }[] }).containers[0]!
        .image,
    ).toBe('nginx:1.28');
  });

  it('a pod reconciled again before the cache shows its host pod is not created a second time', async () => {
    const table = await podTable([]);
    // Every create asked of the host, answered or refused (the fake records only those it stored).
    const asked: string[] = [];
    const create = table.host.create.bind(table.host);
    table.host.create = ((...args: Parameters<typeof create>) => {
      asked.push(`${args[0].resource} ${args[2].metadata?.name}`);
      return create(...args);
    }) as typeof create;
    table.host.holdWatchEvents('pods'); // the host answers the create; the watch is slow
    await table.virtual.create(PODS, 'team', virtualPod('web')[1]);
    await table.settle();
    // A retry's timer or a related object's change brings the key back while the cache still lags.
    table.controllers.get('pods')!.controller.enqueue('team/web');
    await table.settle();
    expect(asked).toEqual([`pods ${hostPodName('web')}`]);
    table.host.releaseWatchEvents();
    await table.settle();
    expect(asked).toHaveLength(1);
    expect(hostPods(table).map((p) => p.metadata!.name)).toEqual([hostPodName('web')]);
  });

  it('a host pod deleted before the cache ever showed it is created again once the wait for it ends', async () => {
    const table = await podTable([]);
    table.host.holdWatchEvents('pods');
    await table.virtual.create(PODS, 'team', virtualPod('web')[1]);
    await table.settle();
    await table.host.delete(PODS, HOST_NS, hostPodName('web'));
    table.controllers.get('pods')!.controller.enqueue('team/web');
    await table.settle();
    expect(hostPods(table)).toHaveLength(0); // still waiting for the first one to show
    table.clock.advance(31_000); // it looks again every second, and stops waiting after 30 s
    await table.settle();
    expect(hostPods(table)).toHaveLength(1);
    table.host.releaseWatchEvents();
    await table.settle();
    expect(hostPods(table)).toHaveLength(1);
    expect(podWrites(table).filter((w) => w.startsWith('host: create pods'))).toHaveLength(2);
  });

  it('the host change and the echo of the binding it leads to go in the urgent lane', async () => {
    const table = await podTable([virtualPod('web')]);
    await table.settle();
    const adds = recordLanes(table, 'team/web');
    const host = hostPods(table)[0]!;
    await scheduleOnHost(table, host, 'node-1');
    await table.settle();
    // Host pod scheduled (urgent) → virtual binding → its echo continues the flow: whether it came in
    // while the binding's reconcile ran (then it is moved ahead) or after, it is queued urgent.
    expect(adds[0]).toBe('urgent');
    expect(adds.slice(1)).toContain('urgent');
    expect(podWrites(table).filter((w) => w.startsWith('virtual:'))).toContain(
      'virtual: create pods/binding team/web',
    );
  });

  it("the binding's echo is urgent even when the host pod's next change came in first", async () => {
    const table = await podTable([virtualPod('web')]);
    await table.settle();
    const adds = recordLanes(table, 'team/web');
    // The host pod runs while the binding is written, and the binding's echo comes after that
    // reconcile (a slow watch): the binding is answered at once, and stored only later.
    const create = table.virtual.create.bind(table.virtual);
    let storeBinding: (() => Promise<unknown>) | undefined;
    table.virtual.create = (async (...args: Parameters<typeof create>) => {
      if (args[3]?.subresource !== 'binding' || storeBinding) return create(...args);
      const host = hostPods(table)[0]!;
      await table.host.update(
        PODS,
        HOST_NS,
        { ...host, status: { phase: 'Running', podIP: '10.0.0.7' } },
        { subresource: 'status' },
      );
      storeBinding = () => create(...args);
      return args[2];
    }) as typeof create;
    await scheduleOnHost(table, hostPods(table)[0]!, 'node-1');
    await table.settle();
    expect(storeBinding).toBeDefined();
    adds.length = 0;
    await storeBinding!();
    await table.settle();
    expect(adds[0]).toBe('urgent');
    expect(table.virtual.objects(PODS, 'team')[0]!.status).toMatchObject({ phase: 'Running' });
  });

  it('host pod scheduled: the virtual pod is bound to the same node, then its status follows', async () => {
    const table = await podTable([virtualPod('web')]);
    await table.settle();
    const host = hostPods(table)[0]!;
    await scheduleOnHost(table, host, 'node-1');
    const bound = table.host.objects(PODS, HOST_NS)[0]!;
    await table.host.update(
      PODS,
      HOST_NS,
      {
        ...bound,
        status: { phase: 'Running', podIP: '10.0.0.7', conditions: [{ type: 'Ready', status: 'True' }] },
      },
      { subresource: 'status' },
    );
    await table.settle();
    expect(podWrites(table).filter((w) => w.startsWith('virtual:'))).toEqual([
      'virtual: create pods/binding team/web',
      'virtual: update pods/status team/web',
    ]);
    const virtual = table.virtual.objects(PODS, 'team')[0]!;
    expect((virtual.spec as { nodeName?: string }).nodeName).toBe('node-1');
    expect(virtual.status).toMatchObject({ phase: 'Running', podIP: '10.0.0.7' });
  });

  it("a running pod's status still comes up while the virtual API Service has no cluster IP (writes down wait)", async () => {
    const table = await podTable([virtualPod('web')]);
    await table.settle();
    await scheduleOnHost(table, hostPods(table)[0]!, 'node-1');
    await table.settle();
    await table.host.delete(Resources.services, HOST_NS, VC);
    const bound = hostPods(table)[0]!;
    await table.host.update(
      PODS,
      HOST_NS,
      { ...bound, status: { phase: 'Running', podIP: '10.0.0.9' } },
      { subresource: 'status' },
    );
    await table.settle();
    expect(table.virtual.objects(PODS, 'team')[0]!.status).toMatchObject({
      phase: 'Running',
      podIP: '10.0.0.9',
    });
  });

  it('with --host-runtimeclasses-selector: a pod naming a runtime class not shown is refused, and made once the host class is', async () => {
    const RC = Resources.runtimeClasses;
    const table = await start({
      kinds: ['pods', 'host-runtimeclasses'],
      virtual: [
        ...infrastructure.virtual,
        // The tenant's own class of that name satisfies its API server's admission, nothing more.
        [RC, { metadata: { name: 'runc' }, handler: 'runc' }],
        virtualPod('web', { spec: { runtimeClassName: 'runc' } }),
      ],
      host: [...infrastructure.host, [RC, { metadata: { name: 'runc' }, handler: 'runc' }]],
      flags: { hostRuntimeclassesSelector: 'tenants=yes' },
    });
    await table.settle();
    expect(hostPods(table)).toEqual([]);
    expect(table.virtual.objects(Resources.events, 'team').map((e) => [e.reason, String(e.message)])).toEqual(
      [
        [
          'SyncWarning',
          `did not sync pod "web" to host because the runtime class "runc" in the host does not match the selector under 'sync.fromHost.runtimeClasses.selector'`,
        ],
      ],
    );
    const runc = table.host.objects(RC)[0]!;
    await table.host.update(RC, '', { ...runc, metadata: { ...runc.metadata, labels: { tenants: 'yes' } } });
    await table.settle();
    expect((hostPods(table)[0]?.spec as { runtimeClassName?: string }).runtimeClassName).toBe('runc');
  });

  it('only our host pod (virtual deleted): the host pod is deleted', async () => {
    const table = await podTable([virtualPod('web')]);
    await table.settle();
    await table.virtual.delete(PODS, 'team', 'web');
    table.host.clearWrites();
    table.virtual.clearWrites();
    await table.settle();
    expect(podWrites(table)).toEqual([`host: delete pods ${HOST_NS}/${hostPodName('web')}`]);
    expect(hostPods(table)).toEqual([]);
  });

  it('host pod of an earlier incarnation (UID mismatch): replaced', async () => {
    const table = await podTable([virtualPod('web')]);
    await table.settle();
    // The tenant re-creates the pod under the same name: a new UID.
    await table.virtual.delete(PODS, 'team', 'web');
    await table.virtual.create(PODS, 'team', virtualPod('web')[1] as KubeObject);
    const newUid = table.virtual.objects(PODS, 'team')[0]!.metadata!.uid!;
    table.host.clearWrites();
    await table.settle();
    expect(hostPods(table).map((p) => p.metadata?.annotations?.['vcluster.loft.sh/object-uid'])).toEqual([
      newUid,
    ]);
  });

  it('a host pod that ran and vanished: the virtual pod is deleted so its controller replaces it', async () => {
    const table = await podTable([ranOnNode('web')]);
    await table.settle();
    expect(podWrites(table)).toEqual(['virtual: delete pods team/web']);
  });

  it("host pods whose syncer marks were changed on the host (managed-by taken off, another pod's name recorded) keep their tenants' pods, and neither is deleted as a stale copy", async () => {
    const bound = (name: string) => virtualPod(name, { spec: { nodeName: 'node-1' } });
    const table = await podTable([bound('a'), bound('b'), bound('c')]);
    await table.settle();
    const onHost = (name: string) => hostPods(table).find((p) => p.metadata?.name === hostPodName(name))!;
    // They run: the kubelet started them, and the syncer copied that up.
    for (const name of ['a', 'b', 'c'])
      await table.host.update(
        PODS,
        HOST_NS,
        { ...onHost(name), status: { phase: 'Running', startTime: '2026-11-30T11:00:00Z' } },
        { subresource: 'status' },
      );
    await table.settle();
    expect(
      table.virtual.objects(PODS, 'team').map((p) => (p.status as { startTime?: string }).startTime),
    ).toEqual(['2026-11-30T11:00:00Z', '2026-11-30T11:00:00Z', '2026-11-30T11:00:00Z']);
    const a = onHost('a');
    const { ['vcluster.loft.sh/managed-by']: _managed, ...unmarked } = a.metadata!.labels!;
    await table.host.update(PODS, HOST_NS, { ...a, metadata: { ...a.metadata, labels: unmarked } });
    const b = onHost('b');
    await table.host.update(PODS, HOST_NS, {
      ...b,
      metadata: {
        ...b.metadata,
        annotations: { ...b.metadata!.annotations, 'vcluster.loft.sh/object-name': 'c' },
      },
    });
    table.host.clearWrites();
    table.virtual.clearWrites();
    await table.settle();
    expect(
      table.virtual
        .objects(PODS, 'team')
        .map((p) => p.metadata?.name)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
    expect(
      hostPods(table)
        .map((p) => p.metadata?.name)
        .sort(),
    ).toEqual(['a', 'b', 'c'].map((n) => hostPodName(n)));
    expect(table.host.writeLog().filter((w) => w.startsWith('delete'))).toEqual([]);
    const told = table.virtual
      .objects(Resources.events, 'team')
      .filter((e) => e.reason === 'SyncError')
      .map((e) => (e.involvedObject as { name?: string }).name)
      .sort();
    expect(told).toEqual(['a', 'b']);
  });

  it("pods that ran are not deleted from a host namespace that is not this virtual cluster's (no virtual API Service there: a wrong --host-namespace or host cluster), where none of their host pods is", async () => {
    const table = await start({
      kinds: ['pods'],
      virtual: [...infrastructure.virtual, ranOnNode('a'), ranOnNode('b')],
      host: [],
    });
    await table.settle();
    table.clock.advance(60_000);
    await table.settle();
    expect(table.virtual.objects(PODS, 'team').map((p) => p.metadata?.name)).toEqual(['a', 'b']);
    expect(podWrites(table)).toEqual([]);
    // The namespace is this virtual cluster's after all (its API Service made late): judged as ever.
    await table.host.create(Resources.services, HOST_NS, infrastructure.host[0]![1] as KubeObject);
    table.clock.advance(30_000);
    await table.settle();
    expect(table.virtual.objects(PODS, 'team')).toEqual([]);
  });

  it('pods that ran are not deleted while the host namespace is being deleted (its pods go before its Services); once it is not, they are', async () => {
    const table = await start({
      kinds: ['pods'],
      virtual: [...infrastructure.virtual, ranOnNode('a'), ranOnNode('b')],
      host: infrastructure.host,
    });
    let terminating = true;
    const refusal = () =>
      new ApiError(
        'host',
        403,
        {
          reason: 'Forbidden',
          message: `configmaps "vsyncer-namespace-probe" is forbidden: unable to create new content in namespace ${HOST_NS} because it is being terminated`,
          details: {
            causes: [{ reason: 'NamespaceTerminating', message: `namespace ${HOST_NS} is being terminated` }],
          },
        },
        'forbidden',
      );
    table.host.mutateOnCreate('configmaps', () => {
      if (terminating) throw refusal();
    });
    await table.settle();
    table.clock.advance(60_000);
    await table.settle();
    expect(table.virtual.objects(PODS, 'team').map((p) => p.metadata?.name)).toEqual(['a', 'b']);
    expect(podWrites(table)).toEqual([]);
    // Its deletion stopped (a finalizer removed, the namespace kept): judged as ever.
    terminating = false;
    table.clock.advance(30_000);
    await table.settle();
    expect(table.virtual.objects(PODS, 'team')).toEqual([]);
  });

  it("pods that ran are not deleted when their running host copies are another name's (a syncer started under the wrong --name); one whose copy is gone is", async () => {
    // Copies the syncer of the same virtual cluster made under its earlier name.
    const copyUnder = (name: string, vcName: string): Seed => [
      PODS,
      {
        metadata: {
          name: `${name}-x-team-x-${vcName}`,
          namespace: HOST_NS,
          labels: { 'vcluster.loft.sh/managed-by': vcName, 'vcluster.loft.sh/namespace': 'team' },
          annotations: {
            'vcluster.loft.sh/object-name': name,
            'vcluster.loft.sh/object-namespace': 'team',
            'vcluster.loft.sh/object-uid': `uid-${name}`,
            'vcluster.loft.sh/object-kind': 'Pod',
          },
        },
        spec: { containers: [{ name: 'main', image: 'app:1' }], nodeName: 'node-1' },
      },
    ];
    const table = await start({
      kinds: ['pods'],
      virtual: [...infrastructure.virtual, ranOnNode('a'), ranOnNode('b'), ranOnNode('gone')],
      host: [...infrastructure.host, copyUnder('a', 'old-release'), copyUnder('b', 'old-release')],
    });
    await table.settle();
    table.clock.advance(60_000);
    await table.settle();
    expect(table.virtual.objects(PODS, 'team').map((p) => p.metadata?.name)).toEqual(['a', 'b']);
    // The other name's copies are left as they are.
    expect(table.host.writeLog().filter((w) => w.includes(' pods '))).toEqual([]);
  });

  it("a running pod's copy vCluster 0.19 made (no object-kind, this pod's UID recorded) is taken over: not re-created, its status shown, its deletion followed", async () => {
    const copy: Seed = [
      PODS,
      {
        metadata: {
          name: hostPodName('web'),
          namespace: HOST_NS,
          uid: 'host-uid-web',
          labels: { 'vcluster.loft.sh/managed-by': VC, 'vcluster.loft.sh/namespace': 'team' },
          annotations: {
            'vcluster.loft.sh/object-name': 'web',
            'vcluster.loft.sh/object-namespace': 'team',
            'vcluster.loft.sh/object-uid': 'uid-web',
          },
        },
        spec: { containers: [{ name: 'main', image: 'app:1' }], nodeName: 'node-1' },
        status: { phase: 'Running', startTime: '2026-11-30T11:00:00Z', podIP: '10.244.0.9' },
      },
    ];
    const table = await start({
      kinds: ['pods'],
      virtual: [...infrastructure.virtual, ranOnNode('web')],
      host: [...infrastructure.host, copy],
    });
    await table.settle();
    const [host] = hostPods(table);
    expect(host?.metadata?.uid).toBe('host-uid-web');
    expect(host?.metadata?.annotations?.['vcluster.loft.sh/object-kind']).toBe('/v1, Kind=Pod');
    expect(table.host.writeLog().filter((w) => /^(create|delete) pods/.test(w))).toEqual([]);
    expect((table.virtual.objects(PODS, 'team')[0]?.status as { podIP?: string }).podIP).toBe('10.244.0.9');
  });

  it('a pod whose copy the host refuses as too large (413) is told why and what to do, and not sent again at once', async () => {
    const table = await podTable([]);
    let refusing = true;
    let attempts = 0;
    table.host.mutateOnCreate('pods', () => {
      attempts++;
      if (refusing)
        throw new ApiError(
          'host',
          413,
          {
            code: 413,
            reason: 'RequestEntityTooLarge',
            message: 'Request entity too large: limit is 3145728',
          },
          'too large',
        );
    });
    await table.virtual.create(PODS, 'team', virtualPod('many')[1]);
    await table.settle();
    // Once, and again for the refusal's own condition on the pod; then not for a minute.
    const first = attempts;
    expect(first).toBeLessThanOrEqual(2);
    table.clock.advance(30_000);
    await table.settle();
    expect(attempts).toBe(first);
    const told = table.virtual
      .objects(Resources.events, 'team')
      .filter((e) => e.reason === 'SyncError')
      .map((e) => String(e.message));
    expect(told).toEqual([
      expect.stringContaining('refused the copy as too large (Request entity too large: limit is 3145728)'),
    ]);
    expect(told[0]).toContain('enableServiceLinks: false');
    // The pod made smaller (its Services gone): the retry a minute on takes it.
    refusing = false;
    table.clock.advance(31_000);
    await table.settle();
    expect(hostPods(table).map((p) => p.metadata?.name)).toEqual([hostPodName('many')]);
  });

  it("a running pod's copy whose recorded UID a host admin changed is kept, and the pod with it (it could only have run from its own copy)", async () => {
    const table = await podTable([virtualPod('a'), virtualPod('b')]);
    await table.settle();
    const copyOf = (name: string) => hostPods(table).find((p) => p.metadata?.name === hostPodName(name))!;
    // The host's kubelet runs them: their start shows on the virtual pods.
    for (const name of ['a', 'b']) {
      const copy = copyOf(name);
      await table.host.update(
        PODS,
        HOST_NS,
        { ...copy, status: { phase: 'Running', startTime: copy.metadata?.creationTimestamp } },
        { subresource: 'status' },
      );
    }
    await table.settle();
    expect(
      (table.virtual.objects(PODS, 'team')[0]?.status as { startTime?: string }).startTime,
    ).toBeDefined();
    const hostUid = copyOf('a').metadata?.uid;
    const edited = copyOf('a');
    await table.host.update(PODS, HOST_NS, {
      ...edited,
      metadata: {
        ...edited.metadata,
        annotations: { ...edited.metadata?.annotations, 'vcluster.loft.sh/object-uid': 'uid-someone-else' },
      },
    });
    await table.settle();
    table.clock.advance(60_000);
    await table.settle();
    expect(
      table.virtual
        .objects(PODS, 'team')
        .map((p) => p.metadata?.name)
        .sort(),
    ).toEqual(['a', 'b']);
    expect(copyOf('a').metadata?.uid).toBe(hostUid);
    expect(
      table.virtual
        .objects(Resources.events, 'team')
        .filter((e) => e.reason === 'SyncError')
        .map((e) => String(e.message)),
    ).toEqual([expect.stringContaining("records another pod's UID")]);
    // It ran: its conditions are its kubelet's, no refusal written among them.
    const aStatus = table.virtual.objects(PODS, 'team').find((p) => p.metadata?.name === 'a')!.status as {
      conditions?: { type: string; reason?: string }[];
    };
    expect((aStatus.conditions ?? []).filter((c) => c.reason === 'SyncError')).toEqual([]);
    // A copy made after the pod started (a later pod of that name, the virtual cluster restored from a
    // backup) is not the one it ran from: it goes, as an earlier incarnation's copy does.
    const { uid: _uid, resourceVersion: _rv, creationTimestamp: _made, ...laterMeta } = copyOf('b').metadata!;
    await table.host.delete(PODS, HOST_NS, hostPodName('b'));
    table.clock.advance(60_000);
    await table.host.create(PODS, HOST_NS, {
      ...copyOf('b'),
      metadata: {
        ...laterMeta,
        annotations: { ...laterMeta.annotations, 'vcluster.loft.sh/object-uid': 'uid-b-later' },
      },
    });
    await table.settle();
    table.clock.advance(60_000);
    await table.settle();
    expect(copyOf('b')?.metadata?.annotations?.['vcluster.loft.sh/object-uid']).not.toBe('uid-b-later');
    expect(
      table.virtual
        .objects(Resources.events, 'team')
        .filter((e) => e.reason === 'SyncError')
        .map((e) => (e.involvedObject as { name?: string }).name),
    ).toEqual(['a']);
  });

  it('a virtual pod created with nodeName preset (never ran) is synced, not deleted', async () => {
    const table = await podTable([virtualPod('web', { spec: { nodeName: 'node-1' } })]);
    await table.settle();
    expect(podWrites(table)).toEqual([`host: create pods ${HOST_NS}/${hostPodName('web')}`]);
  });

  it('an unmanaged host pod in the way: untouched, SyncError on the virtual pod', async () => {
    const admin: Seed = [
      PODS,
      {
        metadata: { name: hostPodName('web'), namespace: HOST_NS },
        spec: { containers: [{ name: 'x', image: 'admin' }] },
      },
    ];
    const table = await podTable([virtualPod('web')], [admin]);
    await table.settle();
    // Nothing on the host; the virtual pod's PodScheduled condition says why.
    expect(podWrites(table)).toEqual(['virtual: update pods/status team/web']);
    expect(hostPods(table)[0]?.spec).toMatchObject({ containers: [{ image: 'admin' }] });
    expect(table.virtual.objects(Resources.events, 'team').map((e) => e.reason)).toEqual(['SyncError']);
  });

  it('a write that keeps conflicting is told as vCluster tells it (SyncError, once, without host names); one or two in a row are not', async () => {
    const table = await podTable([virtualPod('web')]);
    await table.settle();
    const conflict = () =>
      new ApiError(
        'host',
        409,
        {
          reason: 'Conflict',
          message: `Operation cannot be fulfilled on pods "${hostPodName('web')}": the object has been modified; please apply your changes to the latest version and try again`,
        },
        'conflict',
      );
    const changeImage = async (image: string) => {
      const v = table.virtual.objects(PODS, 'team')[0]!;
      const spec = v.spec as { containers: { image: string }[] };
      await table.virtual.update(PODS, 'team', {
        ...v,
        spec: { ...spec, containers: [{ ...spec.containers[0]!, image }] },
      });
      for (let i = 0; i < 5; i++) {
        await table.settle();
        table.clock.advance(1000);
      }
      await table.settle();
    };
    const syncErrors = () =>
      table.virtual.objects(Resources.events, 'team').filter((e) => e.reason === 'SyncError');

    table.host.failNext('update', 'pods', conflict());
    await changeImage('app:2');
    expect(syncErrors()).toEqual([]);
    expect((hostPods(table)[0]!.spec as { containers: { image: string }[] }).containers[0]!.image).toBe(
      'app:2',
    );

    // Two in a row come of an ordinary race (a resize, the kubelet's status, the syncer's write up).
    table.host.failNext('update', 'pods', conflict());
    table.host.failNext('update', 'pods', conflict());
    await changeImage('app:2b');
    expect(syncErrors()).toEqual([]);

    table.host.failNext('update', 'pods', conflict());
    table.host.failNext('update', 'pods', conflict());
    table.host.failNext('update', 'pods', conflict());
    await changeImage('app:3');
    expect(syncErrors().map((e) => [e.message, e.count])).toEqual([
      [
        'Error syncing: Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again',
        1,
      ],
    ]);
    expect((hostPods(table)[0]!.spec as { containers: { image: string }[] }).containers[0]!.image).toBe(
      'app:3',
    );

    // A host that cannot be reached (no status code) is said in words, not as "answered 0".
    for (let i = 0; i < 3; i++)
      table.host.failNext(
        'update',
        'pods',
        new ApiError('host', 0, undefined, 'connect ECONNREFUSED 10.0.0.1:6443'),
      );
    await changeImage('app:4');
    expect(syncErrors().map((e) => e.message)).toContain(
      "Error syncing: the host cluster's API server could not be reached; trying again",
    );
    expect(JSON.stringify(syncErrors())).not.toContain('10.0.0.1');
  });

  it('a virtual API server that keeps no observed generations (before 1.34) is not written the status again at every reconcile', async () => {
    const table = await podTable([virtualPod('web')]);
    await table.settle();
    let sentGenerations = 0;
    table.virtual.mutateOnUpdate('pods/status', (pod) => {
      const status = pod.status as {
        observedGeneration?: number;
        conditions?: { observedGeneration?: number }[];
      };
      if (status.observedGeneration !== undefined) sentGenerations++;
      delete status.observedGeneration;
      for (const c of status.conditions ?? []) delete c.observedGeneration;
    });
    const hostPod = hostPods(table)[0]!;
    const generation = hostPod.metadata!.generation!;
    await table.host.update(
      PODS,
      HOST_NS,
      {
        ...hostPod,
        status: {
          phase: 'Running',
          observedGeneration: generation,
          conditions: [{ type: 'Ready', status: 'True', observedGeneration: generation }],
        },
      },
      { subresource: 'status' },
    );
    await table.settle();
    const statusWrites = () =>
      table.writes().filter((w) => w === 'virtual: update pods/status team/web').length;
    const after = statusWrites();
    expect(sentGenerations).toBeGreaterThan(0);
    expect((table.virtual.objects(PODS, 'team')[0]!.status as { phase?: string }).phase).toBe('Running');
    // Later reconciles (the host labels its pod, which goes up) find the status as it is stored.
    for (const value of ['a', 'b', 'c']) {
      const current = hostPods(table)[0]!;
      await table.host.update(PODS, HOST_NS, {
        ...current,
        metadata: { ...current.metadata, labels: { ...current.metadata!.labels, scanned: value } },
      });
      await table.settle();
    }
    expect(table.virtual.objects(PODS, 'team')[0]!.metadata?.labels?.scanned).toBe('c');
    expect(statusWrites()).toBe(after);
  });

  it("a reconcile before the cache shows the syncer's own write up does not take the older labels for the tenant's", async () => {
    const table = await podTable([virtualPod('web')]);
    await table.settle();
    const labelHost = async (zone: string) => {
      const current = hostPods(table)[0]!;
      await table.host.update(PODS, HOST_NS, {
        ...current,
        metadata: { ...current.metadata, labels: { ...current.metadata!.labels, zone } },
      });
      await table.settle();
    };
    await labelHost('h1');
    expect(table.virtual.objects(PODS, 'team')[0]!.metadata?.labels?.zone).toBe('h1');
    // The host changes its label; the syncer writes it up, and the virtual cache does not show that yet
    // when the next host change (one never shown to the tenant: nothing goes up) brings the pod back.
    table.virtual.holdWatchEvents('pods');
    await labelHost('h2');
    const current = hostPods(table)[0]!;
    await table.host.update(PODS, HOST_NS, {
      ...current,
      metadata: {
        ...current.metadata,
        annotations: {
          ...current.metadata!.annotations,
          'kubectl.kubernetes.io/last-applied-configuration': '{}',
        },
      },
    });
    await table.settle();
    expect(hostPods(table)[0]!.metadata?.labels?.zone).toBe('h2');
    table.virtual.releaseWatchEvents();
    await table.settle();
    const host = hostPods(table)[0]!;
    expect(host.metadata?.labels?.zone).toBe('h2');
    expect(host.metadata?.annotations?.['vcluster.loft.sh/managed-labels']).not.toContain('zone');
    expect(table.virtual.objects(PODS, 'team')[0]!.metadata?.labels?.zone).toBe('h2');
  });

  it('image change: the host pod is updated in place', async () => {
    const table = await podTable([virtualPod('web')]);
    await table.settle();
    const v = table.virtual.objects(PODS, 'team')[0]!;
    await table.virtual.update(PODS, 'team', {
      ...v,
      spec: { ...(v.spec as object), containers: [{ name: 'main', image: 'app:2' }] },
    });
    table.host.clearWrites();
    table.virtual.clearWrites();
    await table.settle();
    expect(podWrites(table)).toEqual([`host: update pods ${HOST_NS}/${hostPodName('web')}`]);
    expect((hostPods(table)[0]!.spec as { containers: { image: string }[] }).containers[0]!.image).toBe(
      'app:2',
    );
  });

  it("a downward-API file of the whole annotations follows the tenant's annotation changes, once", async () => {
    const [, reading] = virtualPod('web', {
      spec: {
        volumes: [
          {
            name: 'info',
            downwardAPI: { items: [{ path: 'a', fieldRef: { fieldPath: 'metadata.annotations' } }] },
          },
        ],
      },
    });
    reading.metadata!.annotations = { team: 'a' };
    const table = await podTable([[PODS, reading]]);
    await table.settle();
    const record = () => hostPods(table)[0]?.metadata?.annotations?.['vsyncer.dev/annotations'];
    expect(record()).toBe('team="a"');
    const v = table.virtual.objects(PODS, 'team')[0]!;
    await table.virtual.update(PODS, 'team', {
      ...v,
      metadata: { ...v.metadata, annotations: { team: 'b', extra: 'x' } },
    });
    table.host.clearWrites();
    table.virtual.clearWrites();
    await table.settle();
    expect(record()).toBe('extra="x"\nteam="b"');
    expect(podWrites(table)).toEqual([`host: update pods ${HOST_NS}/${hostPodName('web')}`]);
    // The record is the syncer's: it never comes up to the tenant's pod.
    expect(table.virtual.objects(PODS, 'team')[0]!.metadata?.annotations).toEqual({ team: 'b', extra: 'x' });
  });

  describe('in-place resize', () => {
    const resources = (cpu: string) => ({
      requests: { cpu, memory: '64Mi' },
      limits: { cpu, memory: '64Mi' },
    });
    const containersOf = (p: KubeObject) => (p.spec as { containers: { resources?: unknown }[] }).containers;
    type Status = { observedGeneration?: number; conditions?: { type: string; reason?: string }[] };
    const statusOf = (p: KubeObject) => p.status as Status;

    /** A running pod whose host kubelet reports container resources (so either API server allows a resize). */
    async function runningPod() {
      const table = await podTable([
        virtualPod('web', {
          spec: { containers: [{ name: 'main', image: 'app:1', resources: resources('100m') }] },
        }),
      ]);
      await table.settle();
      await scheduleOnHost(table, hostPods(table)[0]!, 'n1');
      await kubeletReports(table);
      return table;
    }
    /** What the host kubelet does: reports the host pod running with its spec's resources, at its generation. */
    async function kubeletReports(table: StateTable) {
      const h = hostPods(table)[0]!;
      await table.host.update(
        PODS,
        HOST_NS,
        {
          ...h,
          status: {
            phase: 'Running',
            observedGeneration: h.metadata!.generation,
            containerStatuses: [
              { name: 'main', ready: true, state: { running: {} }, resources: containersOf(h)[0]!.resources },
            ],
          },
        },
        { subresource: 'status' },
      );
      await table.settle();
    }
    const resizeVirtual = async (table: StateTable, cpu: string) => {
      const v = table.virtual.objects(PODS, 'team')[0]!;
      await table.virtual.update(
        PODS,
        'team',
        {
          ...v,
          spec: {
            ...(v.spec as object),
            containers: [{ name: 'main', image: 'app:1', resources: resources(cpu) }],
          },
        },
        { subresource: 'resize' },
      );
    };

    it("the tenant's resize reaches the host pod through its resize subresource; generations follow the kubelet", async () => {
      const table = await runningPod();
      expect(statusOf(table.virtual.objects(PODS, 'team')[0]!).observedGeneration).toBe(
        table.virtual.objects(PODS, 'team')[0]!.metadata!.generation,
      );
      table.host.clearWrites();
      await resizeVirtual(table, '200m');
      await table.settle();
      // The resize, then the record of what it was made from (the next one is measured against it).
      expect(table.host.writeLog()).toEqual([
        `update pods/resize ${HOST_NS}/${hostPodName('web')}`,
        `update pods ${HOST_NS}/${hostPodName('web')}`,
      ]);
      expect(containersOf(hostPods(table)[0]!)[0]!.resources).toEqual(resources('200m'));
      expect(
        JSON.parse(hostPods(table)[0]!.metadata!.annotations!['vsyncer.dev/container-resources']!),
      ).toEqual({ main: resources('200m') });
      // The kubelet has not seen the resize yet: the tenant's pod reads as one generation behind.
      const v = table.virtual.objects(PODS, 'team')[0]!;
      expect(statusOf(v).observedGeneration).toBe(v.metadata!.generation! - 1);
      await kubeletReports(table);
      expect(statusOf(table.virtual.objects(PODS, 'team')[0]!).observedGeneration).toBe(
        v.metadata!.generation,
      );
      table.host.clearWrites();
      await table.settle();
      expect(table.host.writeLog()).toEqual([]);
    });

    it("what the host does to a pod's resources on its own (a policy, a host VPA) is left alone; only the tenant's next change goes down", async () => {
      const table = await runningPod();
      const h = hostPods(table)[0]!;
      await table.host.update(
        PODS,
        HOST_NS,
        {
          ...h,
          spec: {
            ...(h.spec as object),
            containers: [{ ...containersOf(h)[0], resources: resources('50m') }],
          },
        },
        { subresource: 'resize' },
      );
      table.host.clearWrites();
      await kubeletReports(table);
      await table.settle();
      expect(table.host.writeLog().filter((w) => !w.includes('/status'))).toEqual([]);
      expect(containersOf(hostPods(table)[0]!)[0]!.resources).toEqual(resources('50m'));
      await resizeVirtual(table, '300m');
      await table.settle();
      expect(containersOf(hostPods(table)[0]!)[0]!.resources).toEqual(resources('300m'));
    });

    it('a resize the host refuses is told once, shown as PodResizePending Infeasible, tried again a minute later, and holds up nothing else', async () => {
      const table = await runningPod();
      table.host.failNext(
        'update',
        'pods/resize',
        new ApiError('host', 403, { reason: 'Forbidden', message: `exceeded quota: q, in ${HOST_NS}` }, 'x'),
      );
      table.host.clearWrites();
      await resizeVirtual(table, '300m');
      await table.settle();
      const refusedPod = table.virtual.objects(PODS, 'team')[0]!;
      expect(statusOf(refusedPod).conditions?.find((c) => c.type === 'PodResizePending')).toMatchObject({
        reason: 'Infeasible',
        message: 'exceeded quota: q, in <host namespace>',
      });
      const told = table.virtual
        .objects(Resources.events, 'team')
        .filter((e) => e.reason === 'ResizeRefused');
      expect(told.map((e) => (e as { message?: string }).message)).toEqual([
        'the host cluster refused the resize (main requests.cpu 100m -> 300m, main limits.cpu 100m -> 300m): exceeded quota: q, in <host namespace>',
      ]);
      // An image change meanwhile goes through; the refused resize is not sent again with it.
      const v = table.virtual.objects(PODS, 'team')[0]!;
      await table.virtual.update(PODS, 'team', {
        ...v,
        spec: {
          ...(v.spec as object),
          containers: [{ name: 'main', image: 'app:2', resources: resources('300m') }],
        },
      });
      await table.settle();
      expect(table.host.writeLog()).toEqual([`update pods ${HOST_NS}/${hostPodName('web')}`]);
      expect(containersOf(hostPods(table)[0]!)[0]).toMatchObject({
        image: 'app:2',
        resources: resources('100m'),
      });
      // A minute on, it is tried again, and taken: the condition goes.
      table.clock.advance(60_000);
      await table.settle();
      expect(table.host.writeLog()).toContain(`update pods/resize ${HOST_NS}/${hostPodName('web')}`);
      expect(containersOf(hostPods(table)[0]!)[0]!.resources).toEqual(resources('300m'));
      const after = table.virtual.objects(PODS, 'team')[0]!;
      expect(statusOf(after).conditions ?? []).not.toContainEqual(
        expect.objectContaining({ type: 'PodResizePending' }),
      );
    });
  });

  it('a label changed on the host since the last sync comes up to the virtual pod', async () => {
    const table = await podTable([virtualPod('web')]);
    await table.settle();
    const h = hostPods(table)[0]!;
    await table.host.update(PODS, HOST_NS, {
      ...h,
      metadata: { ...h.metadata, labels: { ...h.metadata!.labels, app: 'web-v2' } },
    });
    await table.settle();
    expect(table.virtual.objects(PODS, 'team')[0]!.metadata?.labels).toEqual({ app: 'web-v2' });
    expect(hostPods(table)[0]!.metadata?.labels?.app).toBe('web-v2');
  });

  it('a pod whose host name a pod not of this syncer holds: tried again every 5 minutes, minting no token while the name is held', async () => {
    const foreign: Seed = [
      PODS,
      {
        metadata: { name: hostPodName('web'), namespace: HOST_NS },
        spec: { containers: [{ name: 'admin', image: 'admin:1' }] },
      },
    ];
    const tokenVolume = {
      name: 'token',
      projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] },
    };
    const table = await podTable(
      [
        [Resources.serviceAccounts, { metadata: { name: 'default', namespace: 'team' } }],
        virtualPod('web', { spec: { volumes: [tokenVolume] } }),
      ],
      [foreign],
    );
    await table.settle();
    expect(table.virtual.objects(Resources.events).map((e) => e.reason)).toContain('SyncError');
    table.virtual.clearWrites();
    table.host.clearWrites();
    for (let i = 0; i < 3; i++) {
      table.clock.advance(5 * 60_000);
      await table.settle();
    }
    expect(podWrites(table).filter((w) => !w.startsWith('virtual: patch events'))).toEqual([]);
    // Its owner deletes it: at the next try the pod gets its copy.
    await table.host.delete(PODS, HOST_NS, hostPodName('web'));
    table.clock.advance(5 * 60_000);
    await table.settle();
    expect(hostPods(table)[0]?.metadata?.annotations?.['vcluster.loft.sh/object-name']).toBe('web');
  });

  it('a host pod an older syncer made (no spec record) is not written at start to get one', async () => {
    const first = await podTable([virtualPod('web')]);
    await first.settle();
    const older = structuredClone(hostPods(first)[0]!);
    const annotations = older.metadata!.annotations!;
    delete annotations['vsyncer.dev/pod-spec'];
    const managed = 'vcluster.loft.sh/managed-annotations';
    annotations[managed] = annotations[managed]!.split('\n')
      .filter((key) => key !== 'vsyncer.dev/pod-spec')
      .join('\n');
    delete older.metadata!.resourceVersion;
    const virtual = structuredClone(first.virtual.objects(PODS, 'team')[0]!);
    delete virtual.metadata!.resourceVersion;
    const restarted = await podTable([[PODS, virtual]], [[PODS, older]]);
    await restarted.settle();
    expect(podWrites(restarted).filter((w) => w.startsWith('host:'))).toEqual([]);
  });

  it("a host webhook's image and a host scheduling gate stay; the tenant's own changes still go down", async () => {
    const table = await podTable([
      virtualPod('web', { spec: { schedulingGates: [{ name: 'tenant.example.com/wait' }] } }),
    ]);
    type Spec = { containers: { image: string }[]; schedulingGates?: { name: string }[] };
    table.host.mutateOnCreate('pods', (pod) => {
      const spec = pod.spec as Spec;
      for (const c of spec.containers) c.image = `${c.image}@sha256:abc`;
      spec.schedulingGates = [...(spec.schedulingGates ?? []), { name: 'kueue.x-k8s.io/admission' }];
    });
    await table.settle();
    expect((hostPods(table)[0]!.spec as Spec).schedulingGates).toHaveLength(2);
    expect(podWrites(table).filter((w) => w.startsWith('host: update pods'))).toEqual([]);

    const v = table.virtual.objects(PODS, 'team')[0]!;
    await table.virtual.update(PODS, 'team', { ...v, spec: { ...(v.spec as object), schedulingGates: [] } });
    await table.settle();
    const after = hostPods(table)[0]!.spec as Spec;
    expect(after.schedulingGates).toEqual([{ name: 'kueue.x-k8s.io/admission' }]);
    expect(after.containers[0]!.image).toMatch(/@sha256:abc$/);
  });

  it("a gate the tenant named that the host's admission adds itself stays when the tenant removes its own (a dry run tells them apart)", async () => {
    const KUEUE = 'kueue.x-k8s.io/admission';
    const table = await podTable([
      virtualPod('web', {
        spec: { schedulingGates: [{ name: KUEUE }, { name: 'tenant.example.com/wait' }] },
      }),
    ]);
    type Spec = { schedulingGates?: { name: string }[] };
    // Kueue's webhook gates every pod it manages, unless it is gated so already.
    table.host.mutateOnCreate('pods', (pod) => {
      const spec = pod.spec as Spec;
      if (!(spec.schedulingGates ?? []).some((g) => g.name === KUEUE))
        spec.schedulingGates = [...(spec.schedulingGates ?? []), { name: KUEUE }];
    });
    await table.settle();
    expect((hostPods(table)[0]!.spec as Spec).schedulingGates).toHaveLength(2);
    const v = table.virtual.objects(PODS, 'team')[0]!;
    await table.virtual.update(PODS, 'team', { ...v, spec: { ...(v.spec as object), schedulingGates: [] } });
    await table.settle();
    expect((hostPods(table)[0]!.spec as Spec).schedulingGates).toEqual([{ name: KUEUE }]);
  });

  it('virtual pod deleted with a grace period: the host pod is deleted and the virtual pod waits for it', async () => {
    const table = await podTable([virtualPod('web', { spec: { nodeName: 'node-1' } })], [], {
      podGraceful: true,
    });
    await table.settle();
    // The host scheduler binds the host pod (a tenant's nodeName only asks for that node), and the
    // fake keeps a pod on a node terminating as a kubelet's grace period would.
    const h = hostPods(table)[0]!;
    if (!(h.spec as { nodeName?: string }).nodeName) await scheduleOnHost(table, h, 'node-1');
    await table.virtual.delete(PODS, 'team', 'web', { gracePeriodSeconds: 30 });
    table.host.clearWrites();
    table.virtual.clearWrites();
    await table.settle();
    expect(podWrites(table)).toEqual([`host: delete pods ${HOST_NS}/${hostPodName('web')}`]);
    expect(hostPods(table)[0]?.metadata?.deletionTimestamp).toBeDefined();
    // The host kubelet finishes: the virtual pod goes too.
    table.host.finishDeletion(PODS, HOST_NS, hostPodName('web'));
    await table.settle();
    expect(table.virtual.objects(PODS, 'team')).toEqual([]);
  });

  it("a pod whose host pod lost the syncer's marks stays Terminating when the tenant deletes it, until the marks are back: that host pod may run on", async () => {
    const table = await start({
      kinds: ['pods'],
      virtual: [...infrastructure.virtual, virtualPod('web', { spec: { nodeName: 'node-1' } })],
      host: infrastructure.host,
      podGraceful: true,
      virtualPodGraceful: true,
    });
    await table.settle();
    const onHost = () => hostPods(table).find((p) => p.metadata?.name === hostPodName('web'))!;
    await table.host.update(
      PODS,
      HOST_NS,
      { ...onHost(), status: { phase: 'Running', startTime: '2026-11-30T11:00:00Z' } },
      { subresource: 'status' },
    );
    await table.settle();
    const { ['vcluster.loft.sh/managed-by']: _managed, ...unmarked } = onHost().metadata!.labels!;
    const marked = onHost().metadata!.labels!;
    await table.host.update(PODS, HOST_NS, {
      ...onHost(),
      metadata: { ...onHost().metadata, labels: unmarked },
    });
    await table.settle();
    await table.virtual.delete(PODS, 'team', 'web', { gracePeriodSeconds: 30 });
    await table.settle();
    const virtualPods = () => table.virtual.objects(PODS, 'team');
    expect(virtualPods()[0]?.metadata?.deletionTimestamp).toBeDefined();
    expect(onHost().metadata?.deletionTimestamp).toBeUndefined();
    // The marks back: the host pod is the syncer's again, and goes with its pod.
    await table.host.update(PODS, HOST_NS, {
      ...onHost(),
      metadata: { ...onHost().metadata, labels: marked },
    });
    await table.settle();
    table.host.finishDeletion(PODS, HOST_NS, hostPodName('web'));
    await table.settle();
    expect(virtualPods()).toEqual([]);
  });

  it('a pod kept Terminating for its unmarked host pod stays so across a restart (or a new leader): the host is asked, not the cache', async () => {
    const first = await start({
      kinds: ['pods'],
      virtual: [...infrastructure.virtual, virtualPod('web', { spec: { nodeName: 'node-1' } })],
      host: infrastructure.host,
      podGraceful: true,
      virtualPodGraceful: true,
    });
    await first.settle();
    const onHost = () => hostPods(first).find((p) => p.metadata?.name === hostPodName('web'))!;
    await first.host.update(
      PODS,
      HOST_NS,
      { ...onHost(), status: { phase: 'Running', startTime: '2026-11-30T11:00:00Z' } },
      { subresource: 'status' },
    );
    await first.settle();
    const { ['vcluster.loft.sh/managed-by']: _managed, ...unmarked } = onHost().metadata!.labels!;
    await first.host.update(PODS, HOST_NS, {
      ...onHost(),
      metadata: { ...onHost().metadata, labels: unmarked },
    });
    await first.settle();
    await first.virtual.delete(PODS, 'team', 'web', { gracePeriodSeconds: 30 });
    await first.settle();
    const terminating = first.virtual.objects(PODS, 'team')[0]!;
    expect(terminating.metadata?.deletionTimestamp).toBeDefined();

    // What the next process finds: the pod Terminating, its host pod running without the marks.
    const restarted = await start({
      kinds: ['pods'],
      virtual: [...infrastructure.virtual, [PODS, terminating]],
      host: [...infrastructure.host, [PODS, onHost()]],
      podGraceful: true,
      virtualPodGraceful: true,
    });
    await restarted.settle();
    restarted.clock.advance(60_000);
    await restarted.settle();
    expect(restarted.virtual.objects(PODS, 'team').map((p) => p.metadata?.name)).toEqual(['web']);
    expect(restarted.virtual.objects(Resources.events, 'team').map((e) => e.message)).toContainEqual(
      expect.stringContaining('no longer marked as this pod'),
    );
  });

  it("an eviction's DisruptionTarget, set by the virtual control plane, stays on the virtual pod while the host's status comes up", async () => {
    const table = await start({
      kinds: ['pods'],
      virtual: [...infrastructure.virtual, virtualPod('web')],
      host: infrastructure.host,
      podGraceful: true,
      virtualPodGraceful: true,
    });
    await table.settle();
    await scheduleOnHost(table, hostPods(table)[0]!, 'node-1');
    await table.settle();
    const v = table.virtual.objects(PODS, 'team')[0]!;
    const disruption = { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI' };
    await table.virtual.update(
      PODS,
      'team',
      { ...v, status: { ...(v.status as object), conditions: [disruption] } },
      { subresource: 'status' },
    );
    await table.virtual.delete(PODS, 'team', 'web', { gracePeriodSeconds: 30 });
    await table.settle();
    const h = hostPods(table)[0]!;
    await table.host.update(
      PODS,
      HOST_NS,
      { ...h, status: { phase: 'Failed', conditions: [{ type: 'Ready', status: 'False' }] } },
      { subresource: 'status' },
    );
    await table.settle();
    const types = (
      (table.virtual.objects(PODS, 'team')[0]!.status as { conditions?: { type: string }[] }).conditions ?? []
    ).map((c) => c.type);
    expect(types.sort()).toEqual(['DisruptionTarget', 'Ready']);
  });

  it("while both pods terminate, the host's status still comes up: the final phase and exit codes", async () => {
    const table = await start({
      kinds: ['pods'],
      virtual: [...infrastructure.virtual, virtualPod('web')],
      host: infrastructure.host,
      podGraceful: true,
      virtualPodGraceful: true,
    });
    await table.settle();
    await scheduleOnHost(table, hostPods(table)[0]!, 'node-1');
    await table.settle();
    await table.virtual.delete(PODS, 'team', 'web', { gracePeriodSeconds: 30 });
    await table.settle();
    const h = hostPods(table)[0]!;
    expect(h.metadata?.deletionTimestamp).toBeDefined();
    // The host kubelet stops the container: it exits 0, the pod Succeeded, and then it is gone.
    await table.host.update(
      PODS,
      HOST_NS,
      {
        ...h,
        status: {
          phase: 'Succeeded',
          containerStatuses: [{ name: 'main', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
        },
      },
      { subresource: 'status' },
    );
    await table.settle();
    const v = table.virtual.objects(PODS, 'team')[0]!;
    expect(v.metadata?.deletionTimestamp).toBeDefined();
    expect(v.status).toMatchObject({
      phase: 'Succeeded',
      containerStatuses: [{ name: 'main', state: { terminated: { exitCode: 0 } } }],
    });
    table.host.finishDeletion(PODS, HOST_NS, hostPodName('web'));
    await table.settle();
    expect(table.virtual.objects(PODS, 'team')).toEqual([]);
  });

  describe('--virtual-scheduler (the virtual cluster places pods)', () => {
    const withVirtualScheduler = (virtual: Seed[]) =>
      start({
        kinds: ['pods', 'nodes'],
        virtual: [...infrastructure.virtual, ...virtual],
        host: infrastructure.host,
        flags: { virtualScheduler: 'true', syncRealNodes: 'true' },
      });
    const placed = {
      spec: {
        nodeSelector: { disk: 'ssd' },
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' },
            ],
          },
        },
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }],
      },
    };

    it('a pod reaches the host only once the virtual scheduler bound it, and then must run on that node', async () => {
      const table = await withVirtualScheduler([virtualPod('web', placed)]);
      await table.settle();
      expect(hostPods(table)).toEqual([]);
      expect(podWrites(table).filter((w) => w.startsWith('host:'))).toEqual([]);

      // The virtual scheduler binds it.
      await table.virtual.create(
        PODS,
        'team',
        {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name: 'web' },
          target: { kind: 'Node', name: 'node-2' },
        },
        { subresource: 'binding', name: 'web' },
      );
      await table.settle();
      const spec = hostPods(table)[0]?.spec as Record<string, unknown>;
      expect(spec.nodeName).toBeUndefined();
      // Only that node: the tenant's selector, affinities and spread were the virtual scheduler's to apply.
      expect(spec.nodeSelector).toBeUndefined();
      expect(spec.topologySpreadConstraints).toBeUndefined();
      expect(spec.affinity).toEqual({
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-2'] }] },
            ],
          },
        },
      });
      // Bound already: the syncer writes no binding of its own (the one in the log is the scheduler's).
      expect(table.virtual.writeLog().filter((w) => w.includes('binding'))).toHaveLength(1);
    });
  });

  it("a readiness gate's condition, set by the tenant's controller on the virtual pod, reaches the host pod and stays on the virtual pod", async () => {
    const GATE = 'example.com/load-balancer-ready';
    const table = await podTable([
      virtualPod('web', { spec: { readinessGates: [{ conditionType: GATE }] } }),
    ]);
    await table.settle();
    const v = table.virtual.objects(PODS, 'team')[0]!;
    const gate = {
      type: GATE,
      status: 'True',
      reason: 'Registered',
      lastTransitionTime: '2026-12-02T10:00:00Z',
    };
    await table.virtual.update(
      PODS,
      'team',
      { ...v, status: { ...(v.status as object), conditions: [gate] } },
      { subresource: 'status' },
    );
    table.host.clearWrites();
    table.virtual.clearWrites();
    await table.settle();
    expect(podWrites(table)).toEqual([`host: update pods/status ${HOST_NS}/${hostPodName('web')}`]);
    const conditionsOf = (pod: KubeObject | undefined) =>
      (
        (pod?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []
      ).map((c) => `${c.type}=${c.status}`);
    expect(conditionsOf(hostPods(table)[0])).toContain(`${GATE}=True`);

    // The host kubelet counts the gate in: Ready comes up, and the virtual pod keeps its gate condition.
    const h = hostPods(table)[0]!;
    await table.host.update(
      PODS,
      HOST_NS,
      {
        ...h,
        status: {
          ...(h.status as object),
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True' }, gate],
        },
      },
      { subresource: 'status' },
    );
    table.host.clearWrites();
    await table.settle();
    expect(conditionsOf(table.virtual.objects(PODS, 'team')[0]).sort()).toEqual([
      'Ready=True',
      `${GATE}=True`,
    ]);
    // Nothing more goes down: the host already has the gate as the tenant set it.
    expect(podWrites(table).filter((w) => w.startsWith('host:'))).toEqual([]);
  });

  it("a condition of the tenant's own type on the virtual pod stays there when the host's status comes up, and goes nowhere else", async () => {
    const table = await podTable([virtualPod('web')]);
    await table.settle();
    const v = table.virtual.objects(PODS, 'team')[0]!;
    const own = { type: 'example.com/warmed-up', status: 'True', reason: 'CacheLoaded' };
    // A tenant's tool also tries to set Ready itself: the host decides that one.
    await table.virtual.update(
      PODS,
      'team',
      { ...v, status: { ...(v.status as object), conditions: [own, { type: 'Ready', status: 'True' }] } },
      { subresource: 'status' },
    );
    const h = hostPods(table)[0]!;
    await table.host.update(
      PODS,
      HOST_NS,
      {
        ...h,
        status: {
          ...(h.status as object),
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'False' }],
        },
      },
      { subresource: 'status' },
    );
    table.host.clearWrites();
    await table.settle();
    expect(conditionsOf(table.virtual.objects(PODS, 'team')[0])).toEqual([
      'Ready=False',
      'example.com/warmed-up=True',
    ]);
    expect(conditionsOf(hostPods(table)[0])).toEqual(['Ready=False']);
    expect(podWrites(table).filter((w) => w.startsWith('host:'))).toEqual([]);
  });

  it("a host controller's custom condition comes up, and goes from the virtual pod when the host drops it; the tenant's own stays", async () => {
    const table = await podTable([virtualPod('web')]);
    await table.settle();
    const setHostConditions = async (list: { type: string; status: string }[]) => {
      const h = hostPods(table)[0]!;
      await table.host.update(
        PODS,
        HOST_NS,
        { ...h, status: { ...(h.status as object), phase: 'Running', conditions: list } },
        { subresource: 'status' },
      );
      await table.settle();
    };
    const v = table.virtual.objects(PODS, 'team')[0]!;
    await table.virtual.update(
      PODS,
      'team',
      {
        ...v,
        status: { ...(v.status as object), conditions: [{ type: 'tenant.example/ok', status: 'True' }] },
      },
      { subresource: 'status' },
    );
    await setHostConditions([
      { type: 'Ready', status: 'True' },
      { type: 'mesh.example/injected', status: 'True' },
    ]);
    expect(conditionsOf(table.virtual.objects(PODS, 'team')[0])).toEqual([
      'Ready=True',
      'mesh.example/injected=True',
      'tenant.example/ok=True',
    ]);
    await setHostConditions([{ type: 'Ready', status: 'True' }]);
    expect(conditionsOf(table.virtual.objects(PODS, 'team')[0])).toEqual([
      'Ready=True',
      'tenant.example/ok=True',
    ]);
  });

  it('a readiness gate naming a condition the host decides (Ready) is not written to the host pod', async () => {
    const table = await podTable([
      virtualPod('web', { spec: { readinessGates: [{ conditionType: 'Ready' }] } }),
    ]);
    await table.settle();
    const v = table.virtual.objects(PODS, 'team')[0]!;
    await table.virtual.update(
      PODS,
      'team',
      { ...v, status: { ...(v.status as object), conditions: [{ type: 'Ready', status: 'True' }] } },
      { subresource: 'status' },
    );
    table.host.clearWrites();
    await table.settle();
    expect(podWrites(table).filter((w) => w.startsWith('host:'))).toEqual([]);
  });

  it.each([
    [{ nodeSelector: 'pool=tenants' }, { pool: 'tenants' }],
    [{ nodeSelector: 'pool=tenants', enforceNodeSelector: false }, undefined],
    [{ nodeSelector: '*' }, undefined],
  ])('with %j the host pod has nodeSelector %j', async (flags, expected) => {
    const table = await start({
      kinds: ['pods'],
      virtual: [...infrastructure.virtual, virtualPod('web')],
      host: infrastructure.host,
      flags,
    });
    await table.settle();
    expect((hostPods(table)[0]?.spec as { nodeSelector?: Record<string, string> }).nodeSelector).toEqual(
      expected,
    );
  });

  const ephemeralTemplate = {
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  };

  /** Pods and claims synced, the pod `web` having the generic ephemeral volume `scratch`, and these claims. */
  const ephemeralVolumeTable = (claims: Seed[] = []) =>
    start({
      kinds: ['pods', 'persistentvolumeclaims'],
      virtual: [
        ...infrastructure.virtual,
        virtualPod('web', {
          spec: { volumes: [{ name: 'scratch', ephemeral: { volumeClaimTemplate: ephemeralTemplate } }] },
        }),
        ...claims,
      ],
      host: [
        ...infrastructure.host,
        // The template names no class: its claim gets the host's default.
        [
          Resources.storageClasses,
          {
            metadata: {
              name: 'standard',
              annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
            },
            provisioner: 'csi.example.com',
          },
        ],
      ],
    });

  /** The claim `web-scratch`, owned by the pod of this UID (as its controller, or not). */
  const scratchClaim = (ownerUid?: string, controller = true): Seed => [
    Resources.persistentVolumeClaims,
    {
      metadata: {
        name: 'web-scratch',
        namespace: 'team',
        ...(ownerUid
          ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'web', uid: ownerUid, controller }] }
          : {}),
      },
      ...ephemeralTemplate,
    },
  ];

  it('a generic ephemeral volume waits for the claim made for it, then mounts its host copy', async () => {
    const template = ephemeralTemplate;
    const table = await ephemeralVolumeTable();
    await table.settle();
    // No claim yet (the ephemeral-volume controller has not made it): no host pod either.
    expect(hostPods(table)).toEqual([]);
    await table.virtual.create(Resources.persistentVolumeClaims, 'team', {
      metadata: {
        name: 'web-scratch',
        namespace: 'team',
        ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'uid-web', controller: true }],
      },
      ...template,
    });
    await table.settle();
    expect((hostPods(table)[0]?.spec as { volumes?: unknown[] } | undefined)?.volumes).toContainEqual({
      name: 'scratch',
      persistentVolumeClaim: { claimName: hostPodName('web-scratch') },
    });
    expect(
      table.host.objects(Resources.persistentVolumeClaims, HOST_NS).map((c) => c.metadata?.name),
    ).toEqual([hostPodName('web-scratch')]);
  });

  it.each([
    ['made by the tenant (no owner)', scratchClaim()],
    ["an earlier pod's of the same name", scratchClaim('uid-of-an-earlier-web')],
    ['owned by the pod, not as its controller', scratchClaim('uid-web', false)],
  ])(
    "a generic ephemeral volume's claim %s is not mounted: the pod waits, told as a kubelet tells it",
    async (_name, claim) => {
      const table = await ephemeralVolumeTable([claim]);
      await table.settle();
      expect(hostPods(table)).toEqual([]);
      const events = table.virtual.objects(Resources.events, 'team');
      expect(events.map((e) => [e.type, e.reason, e.message])).toContainEqual([
        'Warning',
        'FailedMount',
        'PVC team/web-scratch was not created for pod team/web (pod is not owner)',
      ]);
      // The ephemeral-volume controller makes the pod's own claim once that one is gone.
      await table.virtual.delete(Resources.persistentVolumeClaims, 'team', 'web-scratch');
      await table.settle();
      await table.virtual.create(Resources.persistentVolumeClaims, 'team', scratchClaim('uid-web')[1]);
      await table.settle();
      expect(hostPods(table)).toHaveLength(1);
    },
  );

  describe("vCluster's controlled-by opt-out", () => {
    const CONTROLLED_BY = 'vcluster.loft.sh/controlled-by';

    it('a virtual pod labelled controlled-by another tool is not copied to the host', async () => {
      const table = await podTable([virtualPod('web', { labels: { app: 'web', [CONTROLLED_BY]: 'argo' } })]);
      await table.settle();
      expect(hostPods(table)).toEqual([]);
      expect(podWrites(table)).toEqual([]);
    });

    it('a synced pod that becomes controlled elsewhere (annotation) keeps its host copy, untouched', async () => {
      const table = await podTable([virtualPod('web')]);
      await table.settle();
      const v = table.virtual.objects(PODS, 'team')[0]!;
      await table.virtual.update(PODS, 'team', {
        ...v,
        metadata: { ...v.metadata, annotations: { [CONTROLLED_BY]: 'another-syncer' } },
        spec: { ...(v.spec as object), containers: [{ name: 'main', image: 'app:2' }] },
      });
      table.host.clearWrites();
      table.virtual.clearWrites();
      await table.settle();
      expect(podWrites(table)).toEqual([]);
      expect(
        hostPods(table).map((p) => (p.spec as { containers: { image: string }[] }).containers[0]!.image),
      ).toEqual(['app:1']);
    });

    it('a host copy a host admin labelled controlled-by is neither updated nor deleted', async () => {
      const table = await podTable([virtualPod('web')]);
      await table.settle();
      const h = hostPods(table)[0]!;
      await table.host.update(PODS, HOST_NS, {
        ...h,
        metadata: { ...h.metadata, labels: { ...h.metadata!.labels, [CONTROLLED_BY]: 'admin' } },
      });
      await table.virtual.delete(PODS, 'team', 'web', { gracePeriodSeconds: 0 });
      table.host.clearWrites();
      table.virtual.clearWrites();
      await table.settle();
      expect(podWrites(table)).toEqual([]);
      expect(hostPods(table).map((p) => p.metadata?.name)).toEqual([hostPodName('web')]);
    });

    it('an opt-out does not hold up a deletion: the host copy goes with the virtual pod', async () => {
      const table = await start({
        kinds: ['pods'],
        virtual: [...infrastructure.virtual, virtualPod('web')],
        host: infrastructure.host,
        podGraceful: true,
        virtualPodGraceful: true,
      });
      await table.settle();
      // Scheduled and bound: the virtual pod then terminates gracefully, as on a node.
      await scheduleOnHost(table, hostPods(table)[0]!, 'node-1');
      await table.settle();
      const v = table.virtual.objects(PODS, 'team')[0]!;
      await table.virtual.update(PODS, 'team', {
        ...v,
        metadata: { ...v.metadata, labels: { ...v.metadata!.labels, [CONTROLLED_BY]: 'mine' } },
      });
      await table.virtual.delete(PODS, 'team', 'web', { gracePeriodSeconds: 30 });
      await table.settle();
      expect(table.virtual.objects(PODS, 'team')[0]?.metadata?.deletionTimestamp).toBeDefined();
      expect(podWrites(table)).toContain(`host: delete pods ${HOST_NS}/${hostPodName('web')}`);
    });

    it('an empty value opts out of nothing: the pod is synced, the label stored hashed', async () => {
      const table = await podTable([virtualPod('web', { labels: { app: 'web', [CONTROLLED_BY]: '' } })]);
      await table.settle();
      const labels = hostPods(table)[0]?.metadata?.labels ?? {};
      expect(labels[CONTROLLED_BY]).toBeUndefined();
      expect(
        Object.entries(labels).some(([k, v]) => k.startsWith(`vcluster.loft.sh/label-${VC}-x-`) && v === ''),
      ).toBe(true);
    });
  });
});
