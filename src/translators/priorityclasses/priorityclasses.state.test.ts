import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../../testing/state-table.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const PC = Resources.priorityClasses;
const PODS = Resources.pods;
const hostClassName = (name: string) => `vcluster-${name}-x-${HOST_NS}-x-${VC}`;

function priorityClass(name: string, value: number, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name, labels: { tier: 'batch' } },
    value,
    description: 'batch jobs',
    ...extra,
  };
}

const hostClass = (t: StateTable, name = 'batch') =>
  t.host.objects(PC).find((c) => c.metadata?.name === hostClassName(name));
const virtualClass = (t: StateTable, name = 'batch') =>
  t.virtual.objects(PC).find((c) => c.metadata?.name === name);
const syncErrors = (t: StateTable) =>
  t.virtual
    .objects(Resources.events, 'default')
    .filter((e) => e.reason === 'SyncError')
    .map((e) => e.message);

/** A table running priorityclasses (cap 1000), with the tenant's classes created through the virtual API. */
async function withClasses(classes: KubeObject[], opts: { host?: Seed[]; virtual?: Seed[] } = {}) {
  const table = await start({
    kinds: ['priorityclasses'],
    flags: { priorityClassMaxValue: '1000' },
    host: opts.host,
    virtual: opts.virtual,
  });
  for (const c of classes) await table.virtual.create(PC, '', c);
  await table.settle();
  return table;
}

/** vCluster's copy of class `other` (uid-other): the cluster-scoped managed-by value, no host-namespace record. */
const vClusterCopyOfOther = (): KubeObject => ({
  metadata: {
    name: hostClassName('other'),
    labels: { 'vcluster.loft.sh/managed-by': `${HOST_NS}-x-${VC}` },
    annotations: {
      'vcluster.loft.sh/object-name': 'other',
      'vcluster.loft.sh/object-uid': 'uid-other',
      'vcluster.loft.sh/object-kind': 'scheduling.k8s.io/v1, Kind=PriorityClass',
    },
  },
  value: 500,
});

describe('priorityclasses state table (to the host)', () => {
  it('a class at or below the cap: cluster-scoped host copy, labelled, pointing back, never the default', async () => {
    const table = await withClasses([
      priorityClass('batch', 1000, { globalDefault: true, preemptionPolicy: 'Never' }),
    ]);
    const host = hostClass(table)!;
    expect(host).toMatchObject({
      value: 1000,
      description: 'batch jobs',
      preemptionPolicy: 'Never',
      metadata: {
        labels: { tier: 'batch', 'vcluster.loft.sh/managed-by': `${HOST_NS}-x-${VC}` },
        annotations: {
          'vcluster.loft.sh/object-name': 'batch',
          'vcluster.loft.sh/object-uid': virtualClass(table)!.metadata?.uid,
          'vcluster.loft.sh/object-kind': 'scheduling.k8s.io/v1, Kind=PriorityClass',
        },
      },
    });
    expect(host.globalDefault).toBeUndefined();
    expect(host.metadata?.namespace).toBeUndefined();
    expect(host.metadata?.annotations?.['vcluster.loft.sh/object-namespace']).toBeUndefined();
    expect(table.host.writeLog()).toEqual([`create priorityclasses ${hostClassName('batch')}`]);
  });

  it('a class above the cap: refused with a SyncError on the virtual class, nothing on the host', async () => {
    const table = await withClasses([priorityClass('urgent', 1001)]);
    expect(table.host.writeLog()).toEqual([]);
    expect(syncErrors(table)).toEqual([
      'priority class value 1001 is above the highest value this virtual cluster may use on the host (1000)',
    ]);
  });

  it("the virtual cluster's system classes and classes shown from the host are never copied", async () => {
    const table = await withClasses([], {
      virtual: [
        [PC, { metadata: { name: 'system-node-critical' }, value: 2000001000 }],
        [PC, { metadata: { name: 'shown', labels: { 'vsyncer.dev/managed': 'true' } }, value: 10 }],
      ],
    });
    expect(table.writes()).toEqual([]);
  });

  it('description changes flow down; an admin setting globalDefault on the copy is reverted', async () => {
    const table = await withClasses([priorityClass('batch', 10)]);
    await table.virtual.update(PC, '', { ...virtualClass(table)!, description: 'nightly jobs' });
    await table.settle();
    expect(hostClass(table)!.description).toBe('nightly jobs');
    await table.host.update(PC, '', { ...hostClass(table)!, globalDefault: true });
    await table.settle();
    expect(hostClass(table)!.globalDefault).toBe(false);
  });

  it('steady state: a second pass writes nothing', async () => {
    const table = await withClasses([priorityClass('batch', 10)]);
    table.virtual.clearWrites();
    table.host.clearWrites();
    table.controllers.get('priorityclasses')!.controller.enqueue('batch');
    await table.settle();
    expect(table.writes()).toEqual([]);
  });

  it('virtual class deleted: its host copy goes', async () => {
    const table = await withClasses([priorityClass('batch', 10)]);
    expect(hostClass(table)).toBeDefined();
    await table.virtual.delete(PC, '', 'batch');
    await table.settle();
    expect(hostClass(table)).toBeUndefined();
  });

  it("a tenant's annotations naming another object (the syncer's back-references) never reach the copy, which stays this syncer's", async () => {
    const forged = {
      'vcluster.loft.sh/object-namespace': 'team',
      'vcluster.loft.sh/object-name': 'other',
      'vcluster.loft.sh/object-uid': 'not-mine',
    };
    const table = await withClasses([
      priorityClass('batch', 10, { metadata: { name: 'batch', annotations: { ...forged, note: 'kept' } } }),
    ]);
    const annotations = hostClass(table)?.metadata?.annotations ?? {};
    expect(annotations['vcluster.loft.sh/object-namespace']).toBeUndefined();
    expect(annotations['vcluster.loft.sh/object-name']).toBe('batch');
    expect(annotations['vcluster.loft.sh/object-uid']).toBe(virtualClass(table)?.metadata?.uid);
    expect(annotations.note).toBe('kept');

    // Added later, the same: and the copy is still updated and deleted with its class.
    const current = virtualClass(table)!;
    await table.virtual.update(PC, '', {
      ...current,
      description: 'changed',
      metadata: { ...current.metadata, annotations: forged },
    });
    await table.settle();
    expect(hostClass(table)?.metadata?.annotations?.['vcluster.loft.sh/object-namespace']).toBeUndefined();
    expect(hostClass(table)?.description).toBe('changed');
    await table.virtual.delete(PC, '', 'batch');
    await table.settle();
    expect(hostClass(table)).toBeUndefined();
  });

  it.each([
    ['as this syncer labels them', `other-ns-x-${VC}`],
    ['labelled with the bare name (earlier syncers)', VC],
  ])(
    'never takes the copies of a virtual cluster of the same name in another host namespace, %s',
    async (_how, owner) => {
      // Cluster-scoped copies share the cluster: theirs are named and labelled for their namespace.
      const theirName = `vcluster-batch-x-other-ns-x-${VC}`;
      const theirs: KubeObject = {
        metadata: {
          name: theirName,
          labels: { 'vcluster.loft.sh/managed-by': owner },
          annotations: {
            'vcluster.loft.sh/object-name': 'batch',
            'vcluster.loft.sh/object-uid': 'uid-theirs',
            'vcluster.loft.sh/object-kind': 'scheduling.k8s.io/v1, Kind=PriorityClass',
          },
        },
        value: 5000,
      };
      const table = await withClasses([priorityClass('batch', 100)], { host: [[PC, theirs]] });
      expect(
        table.host
          .objects(PC)
          .map((c) => c.metadata?.name)
          .sort(),
      ).toEqual([hostClassName('batch'), theirName]);
      expect(table.host.objects(PC).find((c) => c.metadata?.name === theirName)?.value).toBe(5000);
    },
  );

  it('takes over its own copy that an earlier syncer labelled with the bare name, and relabels it', async () => {
    const virtual = { ...priorityClass('batch', 500), metadata: { name: 'batch', uid: 'uid-batch' } };
    const earlier: KubeObject = {
      metadata: {
        name: hostClassName('batch'),
        labels: { 'vcluster.loft.sh/managed-by': VC },
        annotations: {
          'vcluster.loft.sh/object-name': 'batch',
          'vcluster.loft.sh/object-uid': 'uid-batch',
          'vcluster.loft.sh/object-kind': 'scheduling.k8s.io/v1, Kind=PriorityClass',
        },
      },
      value: 500,
    };
    const table = await withClasses([], { virtual: [[PC, virtual]], host: [[PC, earlier]] });
    expect(syncErrors(table)).toEqual([]);
    expect(hostClass(table)?.metadata?.labels?.['vcluster.loft.sh/managed-by']).toBe(`${HOST_NS}-x-${VC}`);
    await table.virtual.delete(PC, '', 'batch');
    await table.settle();
    expect(hostClass(table)).toBeUndefined();
  });

  it("a copy that records no host namespace (vCluster's) and has no virtual class is left in place: another cluster's reads the same", async () => {
    // vCluster `prod` in host namespace `<ns>-x-blue` and this syncer's cluster `blue-x-prod` in `<ns>`
    // would both write this managed-by value and host name.
    const unrecorded = vClusterCopyOfOther();
    const table = await withClasses([], { host: [[PC, unrecorded]] });
    table.controllers.get('priorityclasses')!.controller.enqueue('other');
    await table.settle();
    expect(hostClass(table, 'other')).toBeDefined();
    expect(table.writes().filter((w) => w.startsWith('host:'))).toEqual([]);
    // A tenant class of that name made here is not what the copy was made from: the copy is not
    // touched (taking it over would hand it the record, and the tenant's delete would then take it).
    const before = hostClass(table, 'other');
    await table.virtual.create(PC, '', { ...priorityClass('other', 900), metadata: { name: 'other' } });
    await table.settle();
    expect(hostClass(table, 'other')).toEqual(before);
    expect(table.writes().filter((w) => w.startsWith('host:'))).toEqual([]);
    expect(syncErrors(table)).toEqual([expect.stringContaining('records no host namespace')]);
    await table.virtual.delete(PC, '', 'other');
    await table.settle();
    expect(hostClass(table, 'other')).toEqual(before);
  });

  it("a copy that records no host namespace, made from this very class (vCluster's, before this syncer), is taken over and gains the record", async () => {
    const unrecorded = vClusterCopyOfOther();
    const virtual = { ...priorityClass('other', 500), metadata: { name: 'other', uid: 'uid-other' } };
    const table = await withClasses([], { virtual: [[PC, virtual]], host: [[PC, unrecorded]] });
    expect(syncErrors(table)).toEqual([]);
    expect(hostClass(table, 'other')?.metadata?.annotations?.['vcluster.loft.sh/object-host-namespace']).toBe(
      HOST_NS,
    );
    await table.virtual.delete(PC, '', 'other');
    await table.settle();
    expect(hostClass(table, 'other')).toBeUndefined();
  });

  it("an earlier syncer's copy without the kind annotation: the tenant is told, and gets a copy once it is gone", async () => {
    const earlier: KubeObject = {
      metadata: {
        name: hostClassName('batch'),
        labels: { 'vcluster.loft.sh/managed-by': `${HOST_NS}-x-${VC}` },
        annotations: { 'vcluster.loft.sh/object-name': 'batch' },
      },
      value: 100,
    };
    const table = await withClasses([priorityClass('batch', 100)], { host: [[PC, earlier]] });
    expect(syncErrors(table).join('\n')).toContain('without the vcluster.loft.sh/object-kind annotation');
    await table.host.delete(PC, '', hostClassName('batch'));
    await table.settle();
    expect(hostClass(table)?.metadata?.annotations?.['vcluster.loft.sh/object-kind']).toBe(
      'scheduling.k8s.io/v1, Kind=PriorityClass',
    );
  });

  it('a copy made before the cap was lowered is deleted, with a SyncError', async () => {
    const virtual = { ...priorityClass('batch', 5000), metadata: { name: 'batch', uid: 'uid-batch' } };
    const copy: KubeObject = {
      metadata: {
        name: hostClassName('batch'),
        labels: { 'vcluster.loft.sh/managed-by': `${HOST_NS}-x-${VC}` },
        annotations: {
          'vcluster.loft.sh/object-name': 'batch',
          'vcluster.loft.sh/object-uid': 'uid-batch',
          'vcluster.loft.sh/object-kind': 'scheduling.k8s.io/v1, Kind=PriorityClass',
        },
      },
      value: 5000,
    };
    const table = await withClasses([], { virtual: [[PC, virtual]], host: [[PC, copy]] });
    expect(hostClass(table)).toBeUndefined();
    expect(syncErrors(table)).toHaveLength(1);
  });

  it('a host class of that name not made by this virtual cluster is never touched', async () => {
    const theirs: KubeObject = { metadata: { name: hostClassName('batch') }, value: 7 };
    const table = await withClasses([priorityClass('batch', 10)], { host: [[PC, theirs]] });
    expect(table.host.writeLog()).toEqual([]);
    expect(hostClass(table)!.value).toBe(7);
    expect(syncErrors(table)).toHaveLength(1);
  });

  it('cannot run together with host-priorityclasses', async () => {
    await expect(start({ kinds: ['priorityclasses', 'host-priorityclasses'] })).rejects.toThrow(
      "kinds 'priorityclasses' and 'host-priorityclasses' cannot both be enabled",
    );
  });
});

// --- pods naming a priority class ------------------------------------------------------------------

/** What every pod sync needs: the host Service of the virtual API and the virtual DNS service. */
const infrastructure: { virtual: Seed[]; host: Seed[] } = {
  virtual: [
    [
      Resources.services,
      { metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { clusterIP: '10.96.0.10' } },
    ],
    [Resources.namespaces, { metadata: { name: 'team' } }],
  ],
  host: [
    [
      Resources.services,
      {
        metadata: { name: VC, namespace: HOST_NS },
        spec: { clusterIP: '10.96.0.50', ports: [{ port: 443 }] },
      },
    ],
  ],
};

const pod = (name: string, priorityClassName: string): KubeObject => ({
  metadata: { name, namespace: 'team', uid: `uid-${name}` },
  spec: { containers: [{ name: 'main', image: 'app:1' }], priorityClassName, priority: 10 },
});
const hostPod = (t: StateTable, name: string) =>
  t.host.objects(PODS, HOST_NS).find((p) => p.metadata?.name === `${name}-x-team-x-${VC}`);
const podSpec = (p: KubeObject | undefined) => p?.spec as { priorityClassName?: string; priority?: number };

describe('pods with synced priority classes', () => {
  it('to the host: a pod gets the host class of its class; system classes are dropped', async () => {
    const table = await start({
      kinds: ['pods', 'priorityclasses'],
      virtual: [...infrastructure.virtual, [PC, priorityClass('batch', 10)]],
      host: infrastructure.host,
    });
    await table.settle();
    await table.virtual.create(PODS, 'team', pod('job', 'batch'));
    await table.virtual.create(PODS, 'team', pod('agent', 'system-node-critical'));
    await table.settle();
    expect(podSpec(hostPod(table, 'job'))).toMatchObject({ priorityClassName: hostClassName('batch') });
    expect(podSpec(hostPod(table, 'job')).priority).toBeUndefined();
    expect(podSpec(hostPod(table, 'agent')).priorityClassName).toBeUndefined();
  });

  it('to the host: a pod made with its class waits for the copy; one whose class has none never runs', async () => {
    const table = await start({
      kinds: ['pods', 'priorityclasses'],
      flags: { priorityClassMaxValue: '100' },
      virtual: [
        ...infrastructure.virtual,
        [PC, priorityClass('batch', 10)],
        [PC, priorityClass('big', 500)],
        [PODS, pod('job', 'batch')],
        [PODS, pod('huge', 'big')],
      ],
      host: infrastructure.host,
    });
    await table.settle();
    expect(podSpec(hostPod(table, 'job')).priorityClassName).toBe(hostClassName('batch'));
    // Above the cap: no copy, and the pod is held rather than run at another priority.
    expect(hostClass(table, 'big')).toBeUndefined();
    expect(hostPod(table, 'huge')).toBeUndefined();
  });

  it('from the host: a pod naming a host class shown in the virtual cluster keeps the name', async () => {
    const table = await start({
      kinds: ['pods', 'host-priorityclasses'],
      virtual: infrastructure.virtual,
      host: [...infrastructure.host, [PC, { metadata: { name: 'high' }, value: 100 }]],
    });
    await table.settle();
    await table.virtual.create(PODS, 'team', pod('job', 'high'));
    await table.virtual.create(PODS, 'team', pod('own', 'mine'));
    await table.settle();
    expect(podSpec(hostPod(table, 'job')).priorityClassName).toBe('high');
    expect(podSpec(hostPod(table, 'own')).priorityClassName).toBeUndefined();
  });

  it("from the host with a selector: only a class it shows is kept, a pod naming another waits with vCluster's warning; a tenant's class carrying the from-host label proves nothing", async () => {
    const table = await start({
      kinds: ['pods', 'host-priorityclasses'],
      virtual: [
        ...infrastructure.virtual,
        // The tenant's own class, named like a host class it is not shown, with the syncer's label forged.
        [PC, { metadata: { name: 'critical', labels: { 'vsyncer.dev/managed': 'true' } }, value: 5 }],
      ],
      host: [
        ...infrastructure.host,
        [PC, { metadata: { name: 'high', labels: { tenants: 'yes' } }, value: 100 }],
        [PC, { metadata: { name: 'critical' }, value: 1_000_000 }],
      ],
      flags: { hostPriorityclassesSelector: 'tenants=yes' },
    });
    await table.settle();
    await table.virtual.create(PODS, 'team', pod('job', 'high'));
    await table.virtual.create(PODS, 'team', pod('sneaky', 'critical'));
    await table.settle();
    expect(podSpec(hostPod(table, 'job')).priorityClassName).toBe('high');
    expect(hostPod(table, 'sneaky')).toBeUndefined();
    const warnings = table.virtual
      .objects(Resources.events, 'team')
      .filter((e) => e.reason === 'SyncWarning' && (e.involvedObject as { name?: string }).name === 'sneaky');
    expect(warnings.map((e) => e.message)).toEqual([
      `did not sync pod "sneaky" to host because the priority class "critical" in the host does not match the selector under 'sync.fromHost.priorityClasses.selector'`,
    ]);
  });
});
