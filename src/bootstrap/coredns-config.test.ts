import { Informer } from '../informer/informer.ts';
import type { KubeObject } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import { FakeCluster } from '../testing/fake-cluster.ts';
import { FakeClock } from '../util/clock.ts';
import { createLogger } from '../util/log.ts';
import { corednsObjects, corefile } from './coredns.ts';
import { CorednsConfigKeeper, nodeHostsOf } from './coredns-config.ts';

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

interface SetupOptions {
  labelled?: boolean;
  /** The host DNS the keeper is given (--fallback-host-dns). */
  hostDns?: string;
  /** The Corefile the ConfigMap starts with (default: the one the syncer makes without a fallback). */
  corefile?: string;
  /** Count the keeper's calls for the CoreDNS objects again. */
  onMissing?: boolean;
}

async function setup(opts: SetupOptions = {}) {
  const virtual = new FakeCluster('virtual');
  const configMap = corednsObjects({ image: 'coredns:1', clusterDomain: 'cluster.local' }).find(
    (o) => o.type === Resources.configMaps,
  )!.object as KubeObject & { data: Record<string, string> };
  if (!opts.labelled) configMap.metadata = { ...configMap.metadata, labels: {} };
  if (opts.corefile !== undefined) configMap.data.Corefile = opts.corefile;
  await virtual.create(Resources.configMaps, 'kube-system', configMap);
  await virtual.create(Resources.nodes, '', node('n1', [{ type: 'InternalIP', address: '10.0.0.1' }]));
  const clock = new FakeClock();
  const nodes = new Informer<KubeObject>({ client: virtual, type: Resources.nodes, namespace: '', clock });
  nodes.start();
  await nodes.waitForSync();
  const warnings: string[] = [];
  const missing = { count: 0 };
  const keeper = new CorednsConfigKeeper({
    client: virtual,
    nodes,
    clusterDomain: 'cluster.local',
    hostDns: opts.hostDns,
    recreateMissing: opts.onMissing ? () => missing.count++ : undefined,
    clock,
    logger: createLogger({
      level: 'warn',
      format: 'text',
      write: (line) => warnings.push(line),
    }),
  });
  const data = async () =>
    ((await virtual.get(Resources.configMaps, 'kube-system', 'coredns')) as { data?: Record<string, string> })
      .data;
  const nodeHosts = async () => (await data())?.NodeHosts;
  const corefileNow = async () => (await data())?.Corefile;
  const run = async (ms: number) => {
    await settle();
    clock.advance(ms);
    await settle();
  };
  return { virtual, nodes, keeper, nodeHosts, corefileNow, warnings, missing, run };
}

describe('CorednsConfigKeeper', () => {
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
    expect(t.warnings).toEqual([]);
    t.keeper.stop();
    t.nodes.stop();
  });

  it('gives the Corefile it made the host fallback of --fallback-host-dns, and takes it away when that is off', async () => {
    const on = await setup({ labelled: true, hostDns: '10.43.0.10' });
    on.keeper.start();
    await on.run(0);
    expect(await on.corefileNow()).toBe(corefile('cluster.local', '10.43.0.10'));
    expect(await on.nodeHosts()).toBe('10.0.0.1 n1');
    on.virtual.clearWrites();
    await on.run(20_000);
    expect(on.virtual.writeLog().filter((w) => w.startsWith('patch'))).toEqual([]);
    on.keeper.stop();
    on.nodes.stop();
    // Another address, then none: the Corefile follows, as long as it is one the syncer writes.
    for (const hostDns of ['[fd00::a]:53', undefined]) {
      const t = await setup({
        labelled: true,
        hostDns,
        corefile: corefile('cluster.local', '10.43.0.10'),
      });
      t.keeper.start();
      await t.run(0);
      expect(await t.corefileNow()).toBe(corefile('cluster.local', hostDns));
      expect(t.warnings).toEqual([]);
      t.keeper.stop();
      t.nodes.stop();
    }
  });

  it('has whatever CoreDNS object is missing made again at each check: every 30 s, and every 10 s while the ConfigMap is gone', async () => {
    const t = await setup({ labelled: true, onMissing: true });
    t.keeper.start();
    await t.run(0);
    expect(t.missing.count).toBe(1);
    // Nothing else happens: it checks again on its own.
    await t.run(29_000);
    expect(t.missing.count).toBe(1);
    await t.run(1000);
    expect(t.missing.count).toBe(2);
    await t.virtual.delete(Resources.configMaps, 'kube-system', 'coredns');
    await t.run(30_000);
    expect(t.missing.count).toBe(3);
    // The ConfigMap gone: again at each retry, until it is back.
    await t.run(10_000);
    expect(t.missing.count).toBe(4);
    t.keeper.stop();
    t.nodes.stop();
  });

  it('never overwrites an edit made between its read and its write: the write is made with the version read', async () => {
    const t = await setup({ labelled: true, hostDns: '10.43.0.10' });
    const edited = corefile('cluster.local').replace('cache 30', 'cache 300');
    // An admin's edit lands right after the keeper's read.
    const get = t.virtual.get.bind(t.virtual);
    let once = true;
    t.virtual.get = (async (...args: Parameters<typeof get>) => {
      const read = await get(...args);
      if (once && args[0] === Resources.configMaps) {
        once = false;
        const now = (await get(...args)) as KubeObject & { data: Record<string, string> };
        await t.virtual.update(Resources.configMaps, 'kube-system', {
          ...now,
          data: { ...now.data, Corefile: edited },
        });
      }
      return read;
    }) as typeof t.virtual.get;
    t.keeper.start();
    await t.run(0);
    await t.run(10_000);
    expect(await t.corefileNow()).toBe(edited);
    t.keeper.stop();
    t.nodes.stop();
  });

  it("never rewrites an edited Corefile or another's ConfigMap for the fallback, and says so once", async () => {
    const edited = corefile('cluster.local').replace('cache 30', 'cache 300');
    for (const labelled of [true, false]) {
      const t = await setup({ labelled, hostDns: '10.43.0.10', corefile: edited });
      t.keeper.start();
      await t.run(0);
      await t.virtual.create(Resources.nodes, '', node('n2', [{ type: 'InternalIP', address: '10.0.0.2' }]));
      await t.run(1000);
      expect(await t.corefileNow()).toBe(edited);
      expect(t.warnings).toHaveLength(1);
      expect(t.warnings[0]).toContain('--fallback-host-dns is not applied');
      expect(t.warnings[0]).toContain(labelled ? 'has an edited Corefile' : 'not the one the syncer made');
      // The nodes are still listed in the syncer's own ConfigMap.
      expect(await t.nodeHosts()).toBe(labelled ? '10.0.0.1 n1\n10.0.0.2 n2' : '');
      t.keeper.stop();
      t.nodes.stop();
    }
  });
});
