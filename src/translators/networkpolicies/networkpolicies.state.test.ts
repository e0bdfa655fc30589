import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import type { LabelSelector } from '../../naming/labels.ts';
import { HOST_NS, stateTables, VC, type StateTable } from '../../testing/state-table.ts';
import { specOf, type NetworkPolicySpec } from './translate.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const NP = Resources.networkPolicies;
const hostName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;
const MANAGED_BY = 'vcluster.loft.sh/managed-by';

function policy(name: string, spec: NetworkPolicySpec, ns = 'team'): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec,
  };
}

/** Lets the API pods of this namespace, and every pod of prod namespaces, reach the database. */
const allowApi: NetworkPolicySpec = {
  podSelector: { matchLabels: { app: 'db' } },
  ingress: [
    {
      from: [
        { podSelector: { matchLabels: { app: 'api' } } },
        { namespaceSelector: { matchLabels: { env: 'prod' } }, podSelector: {} },
        { ipBlock: { cidr: '10.0.0.0/8' } },
      ],
      ports: [{ protocol: 'TCP', port: 5432 }],
    },
  ],
  egress: [{ to: [{ namespaceSelector: {} }] }],
  policyTypes: ['Ingress', 'Egress'],
};

const hostPolicy = (t: StateTable, name = 'db', ns = 'team') =>
  t.host.objects(NP, HOST_NS).find((p) => p.metadata?.name === hostName(name, ns));
const virtualPolicy = (t: StateTable, name = 'db', ns = 'team') =>
  t.virtual.objects(NP, ns).find((p) => p.metadata?.name === name);

/** A table running networkpolicies, with the tenant's policy created through the virtual API. */
async function withPolicy(p: KubeObject): Promise<StateTable> {
  const table = await start({ kinds: ['networkpolicies'] });
  await table.virtual.create(NP, p.metadata!.namespace!, p);
  await table.settle();
  return table;
}

describe('networkpolicies state table', () => {
  it('create: the host copy is named, labelled and points back at the virtual policy', async () => {
    const table = await withPolicy(policy('db', allowApi));
    const host = hostPolicy(table)!;
    expect(host.metadata?.labels).toEqual({
      app: 'db',
      [MANAGED_BY]: VC,
      'vcluster.loft.sh/namespace': 'team',
    });
    expect(host.metadata?.annotations).toMatchObject({
      'vcluster.loft.sh/object-name': 'db',
      'vcluster.loft.sh/object-namespace': 'team',
      'vcluster.loft.sh/object-uid': virtualPolicy(table)!.metadata?.uid,
      'vcluster.loft.sh/object-kind': 'networking.k8s.io/v1, Kind=NetworkPolicy',
    });
    expect(table.host.writeLog()).toEqual([`create networkpolicies ${HOST_NS}/${hostName('db')}`]);
  });

  it('translation: every host selector is scoped to this virtual cluster, and no peer selects namespaces', async () => {
    const table = await withPolicy(policy('db', allowApi));
    const spec = specOf(hostPolicy(table));
    const peers = [
      ...(spec.ingress ?? []).flatMap((r) => r.from ?? []),
      ...(spec.egress ?? []).flatMap((r) => r.to ?? []),
    ];
    const selectors: LabelSelector[] = [
      spec.podSelector!,
      ...peers.filter((p) => !p.ipBlock).map((p) => p.podSelector!),
    ];
    expect(selectors).toHaveLength(4);
    for (const s of selectors) expect(s.matchLabels?.[MANAGED_BY]).toBe('vc');
    for (const p of peers) expect(p.namespaceSelector).toBeUndefined();
    expect(spec.podSelector?.matchLabels).toEqual({
      app: 'db',
      [MANAGED_BY]: VC,
      'vcluster.loft.sh/namespace': 'team',
    });
    expect(spec.ingress?.[0]?.from?.[2]).toEqual({ ipBlock: { cidr: '10.0.0.0/8' } });
    expect(spec.ingress?.[0]?.ports).toEqual([{ protocol: 'TCP', port: 5432 }]);
    expect(spec.egress?.[0]?.to).toEqual([{ podSelector: { matchLabels: { [MANAGED_BY]: VC } } }]);
    expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
  });

  it('update: a changed virtual spec reaches the host copy', async () => {
    const table = await withPolicy(policy('db', allowApi));
    const v = virtualPolicy(table)!;
    await table.virtual.update(NP, 'team', { ...v, spec: { podSelector: {}, policyTypes: ['Ingress'] } });
    await table.settle();
    expect(specOf(hostPolicy(table))).toEqual({
      podSelector: { matchLabels: { [MANAGED_BY]: VC, 'vcluster.loft.sh/namespace': 'team' } },
      policyTypes: ['Ingress'],
    });
  });

  it('host edit: a widened host selector is reverted; a tenant label edited on the host flows up, a host key stays and is shown', async () => {
    const table = await withPolicy(policy('db', allowApi));
    const before = specOf(hostPolicy(table));
    const h = hostPolicy(table)!;
    await table.host.update(NP, HOST_NS, {
      ...h,
      metadata: { ...h.metadata, labels: { ...h.metadata?.labels, app: 'database', owner: 'ops' } },
      spec: { ...before, podSelector: {} },
    });
    table.host.clearWrites();
    await table.settle();
    expect(specOf(hostPolicy(table))).toEqual(before);
    expect(table.host.writeLog()).toEqual([`update networkpolicies ${HOST_NS}/${hostName('db')}`]);
    expect(hostPolicy(table)!.metadata?.labels).toMatchObject({ app: 'database', owner: 'ops' });
    expect(virtualPolicy(table)!.metadata?.labels).toEqual({ app: 'database', owner: 'ops' });
  });

  it('steady state: a second pass writes nothing', async () => {
    const table = await withPolicy(policy('db', allowApi));
    table.virtual.clearWrites();
    table.host.clearWrites();
    table.controllers.get('networkpolicies')!.controller.enqueue('team/db');
    await table.settle();
    expect(table.writes()).toEqual([]);
  });

  it('virtual policy deleted: its host copy goes', async () => {
    const table = await withPolicy(policy('db', allowApi));
    expect(hostPolicy(table)).toBeDefined();
    await table.virtual.delete(NP, 'team', 'db');
    await table.settle();
    expect(hostPolicy(table)).toBeUndefined();
  });

  it('an unmanaged host policy in the way: untouched, SyncError, and the tenant keeps its policy', async () => {
    const theirs: KubeObject = {
      metadata: { name: hostName('db'), namespace: HOST_NS },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    };
    const table = await start({ kinds: ['networkpolicies'], host: [[NP, theirs]] });
    await table.virtual.create(NP, 'team', policy('db', allowApi));
    await table.settle();
    expect(table.host.writeLog()).toEqual([]);
    expect(specOf(hostPolicy(table))).toEqual(theirs.spec);
    expect(hostPolicy(table)!.metadata?.labels).toBeUndefined();
    expect(virtualPolicy(table)).toBeDefined();
    expect(table.virtual.objects(Resources.events, 'team').map((e) => e.reason)).toEqual(['SyncError']);
  });

  it("with the host's egress limit given, a tenant's allow-all egress stays within it", async () => {
    const table = await start({
      kinds: ['networkpolicies'],
      flags: { tenantEgressCidr: '0.0.0.0/0', tenantEgressExceptCidr: '10.0.0.0/8' },
    });
    await table.virtual.create(
      NP,
      'team',
      policy('escape', { podSelector: {}, policyTypes: ['Egress'], egress: [{}] }),
    );
    await table.virtual.create(
      NP,
      'team',
      policy('private', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '10.1.0.0/16' } }] }],
      }),
    );
    await table.settle();
    expect(specOf(hostPolicy(table, 'escape')).egress).toEqual([
      {
        to: [
          { podSelector: { matchLabels: { [MANAGED_BY]: VC } } },
          { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } },
        ],
      },
    ]);
    // Nothing of it was within the limit: no egress rule, so no destination beyond the host's own policy.
    expect(specOf(hostPolicy(table, 'private')).egress ?? []).toEqual([]);
  });

  it("with no public egress (--tenant-public-egress=false), egress rules keep only the virtual cluster's pods", async () => {
    const table = await start({ kinds: ['networkpolicies'], flags: { tenantPublicEgress: false } });
    await table.virtual.create(
      NP,
      'team',
      policy('escape', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 443 }] }] }),
    );
    await table.virtual.create(
      NP,
      'team',
      policy('mixed', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { podSelector: { matchLabels: { app: 'db' } } }] },
        ],
      }),
    );
    await table.settle();
    expect(specOf(hostPolicy(table, 'escape')).egress).toEqual([
      { ports: [{ port: 443 }], to: [{ podSelector: { matchLabels: { [MANAGED_BY]: VC } } }] },
    ]);
    const mixed = specOf(hostPolicy(table, 'mixed')).egress!;
    expect(mixed).toHaveLength(1);
    expect(mixed[0]!.to!.some((peer) => peer.ipBlock)).toBe(false);
    expect(mixed[0]!.to).toHaveLength(1);
  });

  it('refuses --tenant-public-egress=false beside egress blocks, which it would leave meaningless', async () => {
    await expect(
      start({
        kinds: ['networkpolicies'],
        flags: { tenantPublicEgress: false, tenantEgressCidr: '0.0.0.0/0' },
      }),
    ).rejects.toThrow(/--tenant-public-egress.*leave them out/);
  });

  it('a block the syncer cannot read is refused with its field named, and the copy keeps what it had', async () => {
    const table = await start({
      kinds: ['networkpolicies'],
      flags: { tenantEgressCidr: '0.0.0.0/0', tenantEgressExceptCidr: '10.0.0.0/8' },
    });
    const egressTo = (cidr: string) =>
      policy('out', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr } }] }] });
    await table.virtual.create(NP, 'team', egressTo('203.0.113.0/24'));
    await table.settle();
    const before = specOf(hostPolicy(table, 'out'));
    const virtual = table.virtual.objects(NP, 'team')[0]!;
    await table.virtual.update(NP, 'team', { ...virtual, spec: egressTo('10.0.0.0/8 ').spec });
    await table.settle();
    expect(specOf(hostPolicy(table, 'out'))).toEqual(before);
    const events = table.virtual.objects(Resources.events, 'team');
    expect(events.map((e) => [e.reason, e.message])).toContainEqual([
      'SyncError',
      expect.stringContaining(
        'spec.egress[0].to[0].ipBlock.cidr: not a CIDR block (address/prefix): "10.0.0.0/8 "',
      ),
    ]);
  });
});
