import { Informer } from '../informer/informer.ts';
import type { KubeObject } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import { FakeCluster } from '../testing/fake-cluster.ts';
import { FakeClock } from '../util/clock.ts';
import { silentLogger } from '../util/log.ts';
import { corednsObjects } from './coredns.ts';
import { NodeHostsKeeper, nodeHostsOf } from './node-hosts.ts';

const node = (name: string, addresses: { type: string; address: unknown }[]): KubeObject => ({
  metadata: { name },
  status: { addresses },
});

describe('nodeHostsOf', () => {
  it('lists each node with an InternalIP as "<ip> <host name>", sorted; the Hostname address names it', () => {
    expect(
      nodeHostsOf([
        node('b', [{ type: 'InternalIP', address: '10.0.0.2' }]),
        node('a', [
          { type: 'Hostname', address: 'a.example' },
          { type: 'InternalIP', address: '10.0.0.1' },
          { type: 'ExternalIP', address: '203.0.113.1' },
        ]),
        node('no-ip', [{ type: 'Hostname', address: 'no-ip' }]),
        node('odd', [{ type: 'InternalIP', address: '10.0.0.3\n10.0.0.4 evil' }]),
        node('bad', [{ type: 'InternalIP', address: 7 }]),
        { metadata: { name: 'no-status' } },
      ]),
    ).toBe('10.0.0.1 a.example\n10.0.0.2 b');
  });
});

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

async function setup(opts: { labelled?: boolean } = {}) {
  const virtual = new FakeCluster('virtual');
  const configMap = corednsObjects({ image: 'coredns:1', clusterDomain: 'cluster.local' }).find(
    (o) => o.type === Resources.configMaps,
  )!.object;
  if (!opts.labelled) configMap.metadata = { ...configMap.metadata, labels: {} };
  await virtual.create(Resources.configMaps, 'kube-system', configMap);
  await virtual.create(Resources.nodes, '', node('n1', [{ type: 'InternalIP', address: '10.0.0.1' }]));
  const clock = new FakeClock();
  const nodes = new Informer<KubeObject>({ client: virtual, type: Resources.nodes, namespace: '', clock });
  nodes.start();
  await nodes.waitForSync();
  const keeper = new NodeHostsKeeper({ client: virtual, nodes, clock, logger: silentLogger });
  const nodeHosts = async () =>
    ((await virtual.get(Resources.configMaps, 'kube-system', 'coredns')) as { data?: Record<string, string> })
      .data?.NodeHosts;
  const run = async (ms: number) => {
    await settle();
    clock.advance(ms);
    await settle();
  };
  return { virtual, nodes, keeper, nodeHosts, run };
}

describe('NodeHostsKeeper', () => {
  it("keeps the syncer's CoreDNS ConfigMap listing the nodes as they come and go, and writes nothing when in step", async () => {
    const t = await setup({ labelled: true });
    t.keeper.start();
    await t.run(0);
    expect(await t.nodeHosts()).toBe('10.0.0.1 n1');
    await t.virtual.create(Resources.nodes, '', node('n2', [{ type: 'InternalIP', address: '10.0.0.2' }]));
    await t.run(1000);
    expect(await t.nodeHosts()).toBe('10.0.0.1 n1\n10.0.0.2 n2');
    await t.virtual.delete(Resources.nodes, '', 'n1');
    await t.run(1000);
    expect(await t.nodeHosts()).toBe('10.0.0.2 n2');
    t.virtual.clearWrites();
    // A node's other changes (its conditions) write nothing.
    const n2 = await t.virtual.get(Resources.nodes, '', 'n2');
    await t.virtual.update(Resources.nodes, '', { ...n2, metadata: { ...n2.metadata, labels: { a: 'b' } } });
    await t.run(1000);
    expect(t.virtual.writeLog().filter((w) => w.includes('configmaps'))).toEqual([]);
    t.keeper.stop();
    t.nodes.stop();
  });

  it("leaves an admin's CoreDNS ConfigMap (without the syncer's label) alone", async () => {
    const t = await setup();
    t.keeper.start();
    await t.run(0);
    expect(await t.nodeHosts()).toBe('');
    expect(t.virtual.writeLog().filter((w) => w.startsWith('patch'))).toEqual([]);
    t.keeper.stop();
    t.nodes.stop();
  });
});
