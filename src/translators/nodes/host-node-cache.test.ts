import { InformerFactory } from '../../informer/factory.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import type { SyncEnvironment } from '../../sync/kind.ts';
import { FakeCluster } from '../../testing/fake-cluster.ts';
import { FakeClock } from '../../util/clock.ts';
import { hostCSINodesKind } from '../host-csinodes/index.ts';
import { nodesKind } from './nodes-kind.ts';

const NODES = Resources.nodes;
const where = { vcName: 'vc', hostNamespace: 'host-ns' };
/** What a kubelet reports of a busy node: the images and volumes are most of it. */
const busyStatus = (image: string) => ({
  conditions: [{ type: 'Ready', status: 'True' }],
  capacity: { cpu: '4' },
  nodeInfo: { kubeletVersion: 'v1.37.2' },
  images: [{ names: [image], sizeBytes: 1 }],
  volumesAttached: [{ name: 'kubernetes.io/csi/driver^vol-1', devicePath: '' }],
  volumesInUse: ['kubernetes.io/csi/driver^vol-1'],
});
const kept = {
  conditions: [{ type: 'Ready', status: 'True' }],
  capacity: { cpu: '4' },
  nodeInfo: { kubeletVersion: 'v1.37.2' },
};

/** The host's nodes, its informer factory, and a kind environment around them. */
function hostWithNode() {
  const clock = new FakeClock(0);
  const host = new FakeCluster('host', { clock });
  host.seed(NODES, { metadata: { name: 'n1' }, spec: {}, status: busyStatus('registry.example/other:1') });
  const informers = new InformerFactory({ clock });
  const env = {
    ...where,
    host,
    virtual: new FakeCluster('virtual', { clock }),
    informers,
    clock,
  } as unknown as SyncEnvironment;
  return { host, informers, env };
}

describe('the host node cache', () => {
  const started: InformerFactory[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((f) => f.stop()));
  });
  async function filled(informers: InformerFactory) {
    started.push(informers);
    informers.start();
    await informers.waitForSync();
  }

  it('keeps no images or volumes of a host node (no copy shows them), on list and on update; the rest stays', async () => {
    const { host, informers, env } = hostWithNode();
    nodesKind({ syncRealNodes: true, nodeSelector: '' }, where).setup!(env, new Map());
    await filled(informers);
    const cached = () => informers.get(host, NODES).store.get('n1') as KubeObject;
    expect(cached().status).toEqual(kept);
    await host.update(NODES, '', { ...cached(), status: busyStatus('registry.example/other:2') });
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    expect(cached().metadata?.resourceVersion).toBe(host.objects(NODES)[0]!.metadata?.resourceVersion);
    expect(cached().status).toEqual(kept);
  });

  it('is kept the same way for host-csinodes, which reads it too, whether the nodes kind runs or not; given the transform once', async () => {
    for (const kinds of [['host-csinodes'], ['nodes', 'host-csinodes']]) {
      const { host, informers, env } = hostWithNode();
      const informer = informers.get(host, NODES);
      let transforms = 0;
      const add = informer.addCacheTransform.bind(informer);
      informer.addCacheTransform = (fn) => {
        transforms++;
        add(fn);
      };
      const options = { syncRealNodes: true, nodeSelector: '*', virtualScheduler: true };
      if (kinds.includes('nodes')) nodesKind(options, where).setup!(env, new Map());
      hostCSINodesKind(options, where).setup!(env, new Map());
      expect(transforms).toBe(1);
      await filled(informers);
      expect(informer.store.get('n1')?.status).toEqual(kept);
    }
  });

  it('is not made for a kind that does not read host nodes (fake nodes; host-csinodes without --sync-real-nodes)', () => {
    const { informers, env } = hostWithNode();
    const asked: unknown[] = [];
    const get = informers.get.bind(informers);
    informers.get = (client, type, ...rest) => (asked.push(type), get(client, type, ...rest));
    nodesKind({ syncRealNodes: false, nodeSelector: '' }, where).setup!(env, new Map());
    hostCSINodesKind({ syncRealNodes: false, nodeSelector: '', virtualScheduler: false }, where).setup!(
      env,
      new Map(),
    );
    expect(asked.filter((type) => type === NODES)).toEqual([]);
  });
});
