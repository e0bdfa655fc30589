import { Resources } from '../kube/resources.ts';
import { FakeCluster } from '../testing/fake-cluster.ts';
import { FakeClock } from '../util/clock.ts';
import { createLogger } from '../util/log.ts';
import { corednsObjects } from './coredns.ts';
import { MissingObjectCreator } from './create-missing.ts';

const OBJECTS = corednsObjects({ image: 'coredns:1', clusterDomain: 'cluster.local' });
const ALL = [
  'ServiceAccount kube-system/coredns',
  'ClusterRole system:coredns',
  'ClusterRoleBinding system:coredns',
  'ConfigMap kube-system/coredns',
  'Service kube-system/kube-dns',
  'Deployment kube-system/coredns',
];

function setup(virtual = new FakeCluster('virtual')) {
  const clock = new FakeClock();
  const lines: string[] = [];
  const creator = new MissingObjectCreator({
    client: virtual,
    what: 'CoreDNS',
    objects: OBJECTS,
    clock,
    logger: createLogger({ level: 'info', format: 'text', write: (l) => lines.push(l) }),
  });
  return { virtual, clock, lines, creator };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('MissingObjectCreator', () => {
  it('creates every missing object, in order, then a restart reads them and writes nothing', async () => {
    const { virtual, creator, lines } = setup();
    expect(await creator.start()).toEqual({ outcome: 'done', created: ALL, existing: [], refused: [] });
    expect(virtual.writeLog()).toEqual([
      'create serviceaccounts kube-system/coredns',
      'create clusterroles system:coredns',
      'create clusterrolebindings system:coredns',
      'create configmaps kube-system/coredns',
      'create services kube-system/kube-dns',
      'create deployments kube-system/coredns',
    ]);
    expect(virtual.objects(Resources.deployments, 'kube-system')[0]).toMatchObject(OBJECTS[5]!.object);
    expect(lines.filter((l) => l.includes(' INFO '))).toEqual([
      expect.stringContaining('created the CoreDNS objects missing from the virtual cluster'),
    ]);
    virtual.clearWrites();
    const again = setup(virtual);
    expect(await again.creator.start()).toEqual({ outcome: 'done', created: [], existing: ALL, refused: [] });
    expect(virtual.writeLog()).toEqual([]);
    expect(again.lines.join('\n')).toContain('the virtual cluster has every CoreDNS object already');
  });

  it('runAgain creates what was deleted since (quietly when nothing was), once the run before has ended, and nothing after stop', async () => {
    const { virtual, creator, lines } = setup();
    const first = creator.start();
    // While the first run is under way, the same run.
    expect(creator.runAgain()).toBe(first);
    await first;
    // Nothing missing: a check again reads, writes nothing and says nothing (it runs every half minute).
    const said = lines.length;
    virtual.clearWrites();
    expect((await creator.runAgain()).created).toEqual([]);
    expect({ writes: virtual.writeLog(), lines: lines.slice(said) }).toEqual({ writes: [], lines: [] });
    await virtual.delete(Resources.configMaps, 'kube-system', 'coredns');
    await virtual.delete(Resources.services, 'kube-system', 'kube-dns');
    virtual.clearWrites();
    expect(await creator.runAgain()).toEqual({
      outcome: 'done',
      created: ['ConfigMap kube-system/coredns', 'Service kube-system/kube-dns'],
      existing: ALL.filter(
        (o) => o !== 'ConfigMap kube-system/coredns' && o !== 'Service kube-system/kube-dns',
      ),
      refused: [],
    });
    expect(virtual.writeLog()).toEqual([
      'create configmaps kube-system/coredns',
      'create services kube-system/kube-dns',
    ]);
    creator.stop();
    await virtual.delete(Resources.configMaps, 'kube-system', 'coredns');
    virtual.clearWrites();
    await creator.runAgain();
    expect(virtual.writeLog()).toEqual([]);
  });

  it("leaves an existing object exactly as it is (an admin's edit, another kube-dns) and creates the rest", async () => {
    const virtual = new FakeCluster('virtual');
    const theirDns = virtual.seed(Resources.services, {
      metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { team: 'dns' } },
      spec: { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] },
    });
    const edited = virtual.seed(Resources.deployments, {
      ...OBJECTS[5]!.object,
      spec: { ...(OBJECTS[5]!.object.spec as object), replicas: 3 },
      metadata: { ...OBJECTS[5]!.object.metadata, labels: { edited: 'yes' } },
    });
    const { creator } = setup(virtual);
    const result = await creator.start();
    expect(result.existing).toEqual(['Service kube-system/kube-dns', 'Deployment kube-system/coredns']);
    expect(result.created).toEqual(ALL.slice(0, 4));
    expect(virtual.writeLog().filter((w) => w.includes('services') || w.includes('deployments'))).toEqual([]);
    expect(virtual.objects(Resources.services, 'kube-system')).toEqual([theirDns]);
    expect(virtual.objects(Resources.deployments, 'kube-system')).toEqual([edited]);
  });

  it('takes an object someone made between its read and its create for theirs', async () => {
    const { virtual, creator } = setup();
    virtual.failNext('create', 'configmaps', 'alreadyExists');
    const result = await creator.start();
    expect(result.existing).toEqual(['ConfigMap kube-system/coredns']);
    expect(result.created).toHaveLength(5);
  });

  it('retries API errors with backoff, without reading again what it has seen; a failing object holds up no other', async () => {
    const { virtual, creator, clock, lines } = setup();
    virtual.failNext('get', 'services', 'unavailable');
    // A fresh control plane: kube-system does not exist yet.
    virtual.failNext('create', 'services', 'notFound');
    const result = creator.start();
    await tick();
    // Everything but the Service, the Deployment after it included.
    expect(virtual.writeLog()).toEqual([
      'create serviceaccounts kube-system/coredns',
      'create clusterroles system:coredns',
      'create clusterrolebindings system:coredns',
      'create configmaps kube-system/coredns',
      'create deployments kube-system/coredns',
    ]);
    clock.advance(1_000);
    await tick();
    expect(virtual.writeLog()).toHaveLength(5);
    clock.advance(2_000);
    expect(await result).toEqual({
      outcome: 'done',
      created: [...ALL.slice(0, 4), ALL[5], ALL[4]],
      existing: [],
      refused: [],
    });
    const warnings = lines.filter((l) => l.includes(' WARN '));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('creating the CoreDNS objects in the virtual cluster failed, retrying');
    expect(warnings[0]).toContain('object=Service kube-system/kube-dns');
    expect(warnings[1]).toContain('retryInMs=2000');
  });

  it('gives up on an object the API server refuses as invalid (retrying cannot fix it), and creates the rest', async () => {
    const { virtual, creator, lines, clock } = setup();
    virtual.failNext('create', 'deployments', 'invalid');
    const result = await creator.start();
    expect(result.refused).toEqual(['Deployment kube-system/coredns']);
    expect(result.created).toEqual(ALL.slice(0, 5));
    expect(lines.filter((l) => l.includes(' ERROR '))).toEqual([
      expect.stringContaining(
        'the virtual API server refused the CoreDNS object Deployment kube-system/coredns; not created',
      ),
    ]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('stops retrying once stopped', async () => {
    const { virtual, creator, clock } = setup();
    virtual.failNext('get', 'serviceaccounts', 'unavailable');
    const result = creator.start();
    await tick();
    const written = virtual.writeLog().length;
    creator.stop();
    expect((await result).outcome).toBe('stopped');
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(60_000);
    // The ServiceAccount is never retried.
    expect(virtual.writeLog()).toHaveLength(written);
    expect(virtual.writeLog()).not.toContain('create serviceaccounts kube-system/coredns');
  });
});
