import type { KubeObject } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import { FakeCluster } from '../testing/fake-cluster.ts';
import type { MetadataPlan } from './metadata-sync.ts';
import { NotedHostWrites } from './noted-host-writes.ts';

const NS = 'host-ns';
const CM = Resources.configMaps;

/** A plan that wants the host's labels to be `labels`, its annotations none. */
const planFor = (labels: Record<string, string>, hostChanged = true): MetadataPlan => ({
  host: { labels, annotations: {} },
  hostChanged,
  virtualChanged: false,
});

async function setup() {
  const inner = new FakeCluster('host');
  inner.seed(CM, { metadata: { name: 'a', namespace: NS, uid: 'a-uid' }, data: { k: 'v' } });
  inner.seed(CM, { metadata: { name: 'b', namespace: NS, uid: 'b-uid' }, data: { k: 'v' } });
  inner.seed(Resources.pods, {
    metadata: { name: 'p', namespace: NS, uid: 'p-uid' },
    spec: { containers: [] },
  });
  const client = new NotedHostWrites(inner);
  const get = (name: string) => inner.get(CM, NS, name);
  return { inner, client, get };
}

const withLabels = (obj: KubeObject, labels: Record<string, string>): KubeObject => ({
  ...obj,
  metadata: { ...obj.metadata, labels, annotations: {} },
});

describe('NotedHostWrites', () => {
  it('holds a plan that changes nothing on the host, written or not', async () => {
    const { client } = await setup();
    client.follow('a-uid');
    expect(client.holds(planFor({ app: 'web' }, false))).toBe(true);
  });

  it('holds a plan only once an update of the followed object sent its labels and annotations', async () => {
    const { client, get } = await setup();
    const plan = planFor({ app: 'web' });
    client.follow('a-uid');
    expect(client.holds(plan)).toBe(false);
    await client.update(CM, NS, withLabels(await get('a'), { app: 'other' }));
    expect(client.holds(plan)).toBe(false);
    await client.update(CM, NS, withLabels(await get('a'), { app: 'web' }));
    expect(client.holds(plan)).toBe(true);
  });

  it('does not count writes of other objects, or made before it followed the object', async () => {
    const { client, get } = await setup();
    const plan = planFor({ app: 'web' });
    await client.update(CM, NS, withLabels(await get('a'), { app: 'web' }));
    client.follow('a-uid');
    expect(client.holds(plan)).toBe(false);
    await client.update(CM, NS, withLabels(await get('b'), { app: 'web' }));
    expect(client.holds(plan)).toBe(false);
  });

  it('does not count a status write, which leaves the metadata as it was', async () => {
    const { client, inner } = await setup();
    const pod = await inner.get(Resources.pods, NS, 'p');
    client.follow('p-uid');
    await client.update(Resources.pods, NS, withLabels(pod, { app: 'web' }), { subresource: 'status' });
    expect(client.holds(planFor({ app: 'web' }))).toBe(false);
  });

  it('does not count an update the server refused', async () => {
    const { client, get } = await setup();
    client.follow('a-uid');
    const stale = { ...(await get('a')) };
    await client.update(CM, NS, withLabels(await get('a'), {}));
    await expect(client.update(CM, NS, withLabels(stale, { app: 'web' }))).rejects.toThrow();
    expect(client.holds(planFor({ app: 'web' }))).toBe(false);
  });
});
