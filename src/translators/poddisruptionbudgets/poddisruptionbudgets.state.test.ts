import { createHash } from 'node:crypto';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type StateTable } from '../../testing/state-table.ts';
import { specOf, type PodDisruptionBudgetSpec } from './translate.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const PDB = Resources.podDisruptionBudgets;
const hostName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;
const MANAGED_BY = 'vcluster.loft.sh/managed-by';
const NAMESPACE = 'vcluster.loft.sh/namespace';
const h10 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 10);
const reservedKey = (key: string) => `vcluster.loft.sh/label-${VC}-x-${h10(key)}`;

function budget(name: string, spec: PodDisruptionBudgetSpec, ns = 'team'): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec,
  };
}

const hostBudget = (t: StateTable, name = 'web', ns = 'team') =>
  t.host.objects(PDB, HOST_NS).find((p) => p.metadata?.name === hostName(name, ns));
const virtualBudget = (t: StateTable, name = 'web', ns = 'team') =>
  t.virtual.objects(PDB, ns).find((p) => p.metadata?.name === name);

/** A table running poddisruptionbudgets, with the tenant's budgets created through the virtual API. */
async function withBudgets(...budgets: KubeObject[]): Promise<StateTable> {
  const table = await start({ kinds: ['poddisruptionbudgets'] });
  for (const b of budgets) await table.virtual.create(PDB, b.metadata!.namespace!, b);
  await table.settle();
  return table;
}

describe('poddisruptionbudgets state table', () => {
  it('create: named, labelled, pointing back, and selecting only this namespace of this virtual cluster', async () => {
    const table = await withBudgets(
      budget('web', { selector: { matchLabels: { app: 'web' } }, minAvailable: 2 }),
    );
    const host = hostBudget(table)!;
    expect(host.metadata?.labels).toEqual({ app: 'web', [MANAGED_BY]: VC, [NAMESPACE]: 'team' });
    expect(host.metadata?.annotations).toMatchObject({
      'vcluster.loft.sh/object-name': 'web',
      'vcluster.loft.sh/object-namespace': 'team',
      'vcluster.loft.sh/object-uid': virtualBudget(table)!.metadata?.uid,
      'vcluster.loft.sh/object-kind': 'policy/v1, Kind=PodDisruptionBudget',
    });
    expect(specOf(host)).toEqual({
      selector: { matchLabels: { app: 'web', [MANAGED_BY]: VC, [NAMESPACE]: 'team' } },
      minAvailable: 2,
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
    expect(table.host.writeLog()).toEqual([`create poddisruptionbudgets ${HOST_NS}/${hostName('web')}`]);
  });

  it.each<[string, PodDisruptionBudgetSpec, PodDisruptionBudgetSpec]>([
    [
      'reserved keys hashed as on pods; expressions kept; maxUnavailable copied',
      {
        selector: {
          matchLabels: { release: 'r1', 'vcluster.loft.sh/namespace': 'other' },
          matchExpressions: [{ key: 'tier', operator: 'In', values: ['api'] }],
        },
        maxUnavailable: '25%',
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
      {
        selector: {
          matchLabels: {
            [reservedKey('release')]: 'r1',
            [reservedKey('vcluster.loft.sh/namespace')]: 'other',
            [MANAGED_BY]: VC,
            [NAMESPACE]: 'team',
          },
          matchExpressions: [{ key: 'tier', operator: 'In', values: ['api'] }],
        },
        maxUnavailable: '25%',
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    ],
    [
      'empty selector: every pod of this namespace of this virtual cluster, never the host namespace',
      { selector: {}, minAvailable: '50%' },
      {
        selector: { matchLabels: { [MANAGED_BY]: VC, [NAMESPACE]: 'team' } },
        minAvailable: '50%',
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    ],
    [
      'no selector (selects no pods in policy/v1): stays without one',
      { minAvailable: 1 },
      { minAvailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    ],
    [
      "a tenant's IfHealthyBudget: pods that are not Ready may still be evicted on the host (a never-Ready pod must not block host drains)",
      { minAvailable: '100%', unhealthyPodEvictionPolicy: 'IfHealthyBudget' },
      { minAvailable: '100%', unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    ],
  ])('translation: %s', async (_what, spec, expected) => {
    const table = await withBudgets(budget('web', spec));
    expect(specOf(hostBudget(table))).toEqual(expected);
  });

  it('two namespaces with the same budget: two host copies, each scoped to its own namespace', async () => {
    const spec = { selector: { matchLabels: { app: 'web' } }, minAvailable: 1 };
    const table = await withBudgets(budget('web', spec, 'a'), budget('web', spec, 'b'));
    expect(specOf(hostBudget(table, 'web', 'a')).selector?.matchLabels?.[NAMESPACE]).toBe('a');
    expect(specOf(hostBudget(table, 'web', 'b')).selector?.matchLabels?.[NAMESPACE]).toBe('b');
  });

  it('update: a changed virtual spec reaches the host copy', async () => {
    const table = await withBudgets(
      budget('web', { selector: { matchLabels: { app: 'web' } }, minAvailable: 2 }),
    );
    const v = virtualBudget(table)!;
    await table.virtual.update(PDB, 'team', {
      ...v,
      spec: { selector: { matchLabels: { app: 'web' } }, maxUnavailable: 1 },
    });
    await table.settle();
    expect(specOf(hostBudget(table))).toEqual({
      selector: { matchLabels: { app: 'web', [MANAGED_BY]: VC, [NAMESPACE]: 'team' } },
      maxUnavailable: 1,
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
  });

  it('host edit: a widened host selector is reverted; a tenant label edited on the host flows up', async () => {
    const table = await withBudgets(
      budget('web', { selector: { matchLabels: { app: 'web' } }, minAvailable: 2 }),
    );
    const before = specOf(hostBudget(table));
    const h = hostBudget(table)!;
    await table.host.update(PDB, HOST_NS, {
      ...h,
      metadata: { ...h.metadata, labels: { ...h.metadata?.labels, app: 'site' } },
      spec: { ...before, selector: { matchLabels: { app: 'web' } } },
    });
    table.host.clearWrites();
    await table.settle();
    expect(specOf(hostBudget(table))).toEqual(before);
    expect(table.host.writeLog()).toEqual([`update poddisruptionbudgets ${HOST_NS}/${hostName('web')}`]);
    expect(virtualBudget(table)!.metadata?.labels).toEqual({ app: 'site' });
  });

  it('status is left to the virtual cluster: host status never flows up', async () => {
    const table = await withBudgets(
      budget('web', { selector: { matchLabels: { app: 'web' } }, minAvailable: 1 }),
    );
    const h = hostBudget(table)!;
    await table.host.update(PDB, HOST_NS, { ...h, status: { expectedPods: 3, currentHealthy: 3 } });
    table.virtual.clearWrites();
    await table.settle();
    expect(table.virtual.writeLog()).toEqual([]);
    expect(virtualBudget(table)!.status).toBeUndefined();
  });

  it('steady state: a second pass writes nothing', async () => {
    const table = await withBudgets(
      budget('web', { selector: { matchLabels: { app: 'web' } }, minAvailable: 2 }),
    );
    table.virtual.clearWrites();
    table.host.clearWrites();
    table.controllers.get('poddisruptionbudgets')!.controller.enqueue('team/web');
    await table.settle();
    expect(table.writes()).toEqual([]);
  });

  it('virtual budget deleted: its host copy goes', async () => {
    const table = await withBudgets(budget('web', { minAvailable: 1 }));
    expect(hostBudget(table)).toBeDefined();
    await table.virtual.delete(PDB, 'team', 'web');
    await table.settle();
    expect(hostBudget(table)).toBeUndefined();
  });

  it('malformed: refused with a SyncError, nothing on the host', async () => {
    const table = await withBudgets(budget('web', { selector: { matchLabels: 'app=web' } } as never));
    expect(hostBudget(table)).toBeUndefined();
    const events = table.virtual.objects(Resources.events, 'team');
    expect(events.map((e) => e.reason)).toEqual(['SyncError']);
    expect(events[0]?.message).toContain('spec.selector.matchLabels');
  });

  it('an unmanaged host budget in the way: untouched, SyncError', async () => {
    const theirs: KubeObject = {
      metadata: { name: hostName('web'), namespace: HOST_NS },
      spec: { minAvailable: 5 },
    };
    const table = await start({ kinds: ['poddisruptionbudgets'], host: [[PDB, theirs]] });
    await table.virtual.create(PDB, 'team', budget('web', { minAvailable: 1 }));
    await table.settle();
    expect(table.host.writeLog()).toEqual([]);
    expect(specOf(hostBudget(table))).toEqual({ minAvailable: 5 });
    expect(table.virtual.objects(Resources.events, 'team').map((e) => e.reason)).toEqual(['SyncError']);
  });
});
