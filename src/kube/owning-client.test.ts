import { FakeCluster } from '../testing/fake-cluster.ts';
import type { KubeObject, OwnerReference } from './object.ts';
import { OwningClient } from './owning-client.ts';
import { Resources } from './resources.ts';

const NS = 'host-ns';
const OWNER: OwnerReference = {
  apiVersion: 'v1',
  kind: 'Service',
  name: 'vc',
  uid: 'svc-uid',
  controller: false,
};
const POD_OWNER: OwnerReference = { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'pod-uid' };

function setup() {
  const inner = new FakeCluster('host');
  inner.seed(Resources.serviceAccounts, { metadata: { name: 'default', namespace: NS } });
  return { inner, client: new OwningClient(inner, NS, () => OWNER) };
}

const cm = (name: string, namespace = NS, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  metadata: { name, namespace, ...extra },
  data: { k: 'v' },
});
const ownersOf = (inner: FakeCluster, type = Resources.configMaps, ns = NS, name = 'a') =>
  inner.objects(type, ns).find((o) => o.metadata?.name === name)?.metadata?.ownerReferences;

describe('OwningClient (--set-owner)', () => {
  it('gives an object created in its namespace exactly the one owner, and leaves the caller’s object as it was', async () => {
    const { inner, client } = setup();
    const obj = cm('a');
    const created = await client.create(Resources.configMaps, NS, obj);
    expect(created.metadata?.ownerReferences).toEqual([OWNER]);
    expect(ownersOf(inner)).toEqual([OWNER]);
    expect(ownersOf(inner)![0]).not.toHaveProperty('blockOwnerDeletion');
    expect(obj.metadata).not.toHaveProperty('ownerReferences');
  });

  it('treats an empty owner list as no owners', async () => {
    const { inner, client } = setup();
    await client.create(Resources.configMaps, NS, cm('a', NS, { ownerReferences: [] }));
    expect(ownersOf(inner)).toEqual([OWNER]);
  });

  it('leaves an object that names owners of its own with those (a token secret goes with its pod)', async () => {
    const { inner, client } = setup();
    await client.create(Resources.secrets, NS, {
      metadata: { name: 'a', namespace: NS, ownerReferences: [POD_OWNER] },
      data: {},
    });
    expect(ownersOf(inner, Resources.secrets)).toEqual([POD_OWNER]);
  });

  it('gives no owner outside its namespace, to cluster-scoped objects, or to subresource creates', async () => {
    const { inner, client } = setup();
    await client.create(Resources.configMaps, 'elsewhere', cm('a', 'elsewhere'));
    expect(ownersOf(inner, Resources.configMaps, 'elsewhere')).toBeUndefined();
    await client.create(Resources.priorityClasses, '', { metadata: { name: 'a' }, value: 1 });
    expect(ownersOf(inner, Resources.priorityClasses, '')).toBeUndefined();
    const request = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} };
    await client.create(Resources.serviceAccounts, NS, request, { subresource: 'token', name: 'default' });
    expect(request).not.toHaveProperty('metadata');
    expect(inner.writeLog()).toEqual([
      'create configmaps elsewhere/a',
      'create priorityclasses a',
      `create serviceaccounts/token ${NS}/default`,
    ]);
  });

  it('passes updates, patches and deletes through untouched: it never adds an owner to an existing object', async () => {
    const { inner, client } = setup();
    inner.seed(Resources.configMaps, cm('a'));
    const existing = await client.get(Resources.configMaps, NS, 'a');
    await client.update(Resources.configMaps, NS, { ...existing, data: { k: 'w' } });
    await client.patch(Resources.configMaps, NS, 'a', { data: { k: 'x' } }, 'merge');
    expect(ownersOf(inner)).toBeUndefined();
    await client.delete(Resources.configMaps, NS, 'a');
    expect(inner.writeLog()).toEqual([
      `update configmaps ${NS}/a`,
      `patch configmaps ${NS}/a`,
      `delete configmaps ${NS}/a`,
    ]);
  });

  it('refuses a create before its owner is known rather than make an object without it', async () => {
    const inner = new FakeCluster('host');
    const client = new OwningClient(inner, NS, () => {
      throw new Error('owner not read yet');
    });
    await expect(client.create(Resources.configMaps, NS, cm('a'))).rejects.toThrow('owner not read yet');
    expect(inner.writeLog()).toEqual([]);
    expect(client.name).toBe('host');
  });
});
