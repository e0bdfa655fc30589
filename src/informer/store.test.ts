import type { KubeObject } from '../kube/object.ts';
import { Store } from './store.ts';
import { StringPool } from './string-pool.ts';

interface Pod extends KubeObject {
  secrets?: string[];
}

const pod = (name: string, rv: string, secrets: string[] = [], namespace = 'ns'): Pod => ({
  metadata: { name, namespace, resourceVersion: rv },
  secrets,
});
const names = (objs: KubeObject[]) => objs.map((o) => o.metadata?.name).sort();

function store() {
  return new Store<Pod>({ bySecret: (p) => p.secrets ?? [] });
}

describe('Store', () => {
  it('gets, lists and counts by namespace/name key (name alone when cluster-scoped)', () => {
    const s = store();
    s.upsert(pod('a', '1'));
    s.upsert({ metadata: { name: 'node-1', resourceVersion: '1' } });
    expect(s.size).toBe(2);
    expect(s.keys().sort()).toEqual(['node-1', 'ns/a']);
    expect(s.get('ns/a')?.metadata?.name).toBe('a');
    expect(s.get('node-1')).toBeDefined();
    expect(s.get('a')).toBeUndefined();
    expect(names(s.list())).toEqual(['a', 'node-1']);
  });

  it('upsert returns the previous version and re-files the object under its new index values', () => {
    const s = store();
    expect(s.upsert(pod('a', '1', ['s1', 's2']))).toBeUndefined();
    expect(names(s.byIndex('bySecret', 's1'))).toEqual(['a']);
    expect(s.upsert(pod('a', '2', ['s2', 's3']))?.metadata?.resourceVersion).toBe('1');
    expect(s.byIndex('bySecret', 's1')).toEqual([]);
    expect(names(s.byIndex('bySecret', 's2'))).toEqual(['a']);
    expect(names(s.byIndex('bySecret', 's3'))).toEqual(['a']);
    expect(s.byIndex('bySecret', 's2')[0]?.metadata?.resourceVersion).toBe('2');
  });

  it('files several objects under one value, and the same name in two namespaces apart', () => {
    const s = store();
    s.upsert(pod('a', '1', ['shared']));
    s.upsert(pod('b', '1', ['shared']));
    s.upsert(pod('a', '1', ['shared'], 'other'));
    expect(s.byIndex('bySecret', 'shared')).toHaveLength(3);
    s.remove('other/a');
    expect(s.byIndex('bySecret', 'shared').map((p) => p.metadata?.namespace)).toEqual(['ns', 'ns']);
  });

  it('remove returns the object and unfiles it; removing an absent key is a no-op', () => {
    const s = store();
    s.upsert(pod('a', '1', ['s1']));
    s.upsert(pod('b', '1', ['s1']));
    expect(s.remove('ns/a')?.metadata?.name).toBe('a');
    expect(s.remove('ns/a')).toBeUndefined();
    expect(names(s.byIndex('bySecret', 's1'))).toEqual(['b']);
    s.remove('ns/b');
    expect(s.byIndex('bySecret', 's1')).toEqual([]);
    expect(s.size).toBe(0);
  });

  it('keeps a value filed right as it goes from one object to several and back', () => {
    const s = store();
    s.upsert(pod('a', '1', ['v']));
    s.upsert(pod('b', '1', ['v']));
    s.remove('ns/a');
    s.upsert(pod('c', '1', ['v', 'w']));
    expect(names(s.byIndex('bySecret', 'v'))).toEqual(['b', 'c']);
    s.upsert(pod('b', '2', ['w']));
    expect(names(s.byIndex('bySecret', 'v'))).toEqual(['c']);
    expect(names(s.byIndex('bySecret', 'w'))).toEqual(['b', 'c']);
    s.upsert(pod('c', '2', ['v', 'w']));
    expect(names(s.byIndex('bySecret', 'v'))).toEqual(['c']);
    s.remove('ns/c');
    expect(s.byIndex('bySecret', 'v')).toEqual([]);
    expect(names(s.byIndex('bySecret', 'w'))).toEqual(['b']);
  });

  it('tolerates an index function that returns a value twice', () => {
    const s = new Store<Pod>({ bySecret: (p) => p.secrets ?? [] });
    s.upsert(pod('a', '1', ['s1', 's1']));
    expect(s.byIndex('bySecret', 's1')).toHaveLength(1);
    s.remove('ns/a');
    expect(s.byIndex('bySecret', 's1')).toEqual([]);
  });

  it('replace reports added, changed and deleted objects, and nothing for unchanged ones', () => {
    const s = store();
    s.upsert(pod('keep', '1'));
    s.upsert(pod('change', '2'));
    s.upsert(pod('gone', '3'));
    const diff = s.replace([pod('keep', '1'), pod('change', '5'), pod('new', '6')]);
    expect(names(diff.added)).toEqual(['new']);
    expect(
      diff.updated.map(([o, n]) => `${o.metadata?.resourceVersion}->${n.metadata?.resourceVersion}`),
    ).toEqual(['2->5']);
    expect(names(diff.deleted)).toEqual(['gone']);
    expect(s.keys().sort()).toEqual(['ns/change', 'ns/keep', 'ns/new']);
    expect(s.get('ns/change')?.metadata?.resourceVersion).toBe('5');
  });

  it('replace rebuilds every index from the new content', () => {
    const s = store();
    s.upsert(pod('a', '1', ['old']));
    s.upsert(pod('b', '1', ['kept']));
    s.replace([pod('b', '2', ['kept', 'added']), pod('c', '1', ['added'])]);
    expect(s.byIndex('bySecret', 'old')).toEqual([]);
    expect(names(s.byIndex('bySecret', 'kept'))).toEqual(['b']);
    expect(names(s.byIndex('bySecret', 'added'))).toEqual(['b', 'c']);
    // Later writes keep the rebuilt index consistent.
    s.upsert(pod('c', '2', []));
    s.remove('ns/b');
    expect(s.byIndex('bySecret', 'added')).toEqual([]);
    expect(s.byIndex('bySecret', 'kept')).toEqual([]);
  });

  it('addIndexer files objects already cached and those that come later', () => {
    const s = new Store<Pod>();
    s.upsert(pod('a', '1', ['s1']));
    s.addIndexer('bySecret', (p) => p.secrets ?? []);
    expect(names(s.byIndex('bySecret', 's1'))).toEqual(['a']);
    s.upsert(pod('b', '1', ['s1']));
    expect(names(s.byIndex('bySecret', 's1'))).toEqual(['a', 'b']);
    s.replace([pod('b', '1', ['s2'])]);
    expect(s.byIndex('bySecret', 's1')).toEqual([]);
    expect(names(s.byIndex('bySecret', 's2'))).toEqual(['b']);
  });

  it('keeps several indexes apart, an object filed in some of them only', () => {
    const s = new Store<Pod>({
      first: (p) => (p.secrets ?? []).slice(0, 1),
      byNamespace: (p) => [p.metadata!.namespace!],
    });
    s.upsert(pod('a', '1', ['s1', 's2']));
    s.upsert(pod('b', '1', [], 'other'));
    s.addIndexer('last', (p) => (p.secrets ?? []).slice(-1));
    s.upsert(pod('c', '1', ['s2']));
    expect(names(s.byIndex('first', 's1'))).toEqual(['a']);
    expect(names(s.byIndex('first', 's2'))).toEqual(['c']);
    expect(names(s.byIndex('last', 's2'))).toEqual(['a', 'c']);
    expect(names(s.byIndex('byNamespace', 'other'))).toEqual(['b']);
    s.remove('ns/a');
    s.upsert(pod('b', '2', ['s1'], 'other'));
    expect(names(s.byIndex('first', 's1'))).toEqual(['b']);
    expect(names(s.byIndex('last', 's2'))).toEqual(['c']);
    expect(names(s.byIndex('last', 's1'))).toEqual(['b']);
    expect(names(s.byIndex('byNamespace', 'ns'))).toEqual(['c']);
    s.remove('other/b');
    s.remove('ns/c');
    for (const [index, value] of [
      ['first', 's1'],
      ['last', 's2'],
      ['byNamespace', 'ns'],
      ['byNamespace', 'other'],
    ])
      expect(s.byIndex(index!, value!)).toEqual([]);
  });

  it('files index values through the string pool it is given', () => {
    const strings = new StringPool();
    const s = new Store<Pod>({ bySecret: (p) => (p.secrets ?? []).map((n) => `Secret/${n}`) }, { strings });
    s.upsert(pod('a', '1', ['s1']));
    s.upsert(pod('b', '1', ['s1', 's2']));
    expect(strings.has('Secret/s1')).toBe(true);
    expect(strings.has('Secret/s2')).toBe(true);
    expect(names(s.byIndex('bySecret', 'Secret/s1'))).toEqual(['a', 'b']);
  });

  it('refuses a duplicate index name and a lookup in an unknown index', () => {
    const s = store();
    expect(() => s.addIndexer('bySecret', () => [])).toThrow(/already has an index named 'bySecret'/);
    expect(() => s.byIndex('nope', 'x')).toThrow(/no index named 'nope'/);
  });
});

describe('Store indexes with index functions that fail or change their mind', () => {
  it('files an object an index function cannot read nowhere, and keeps filing the others', () => {
    const store = new Store<KubeObject>({
      byApp: (o) => {
        const labels = o.metadata!.labels!;
        if (labels.app === 'bad') throw new TypeError('cannot read');
        return [labels.app!];
      },
    });
    store.upsert({ metadata: { name: 'a', namespace: 'n', labels: { app: 'bad' } } });
    store.upsert({ metadata: { name: 'b', namespace: 'n', labels: { app: 'web' } } });
    expect(store.byIndex('byApp', 'web').map((o) => o.metadata?.name)).toEqual(['b']);
    expect(store.size).toBe(2);
  });

  it('unfiles by what was filed, even when the function now answers differently', () => {
    let answer = 'x';
    const store = new Store<KubeObject>({ external: () => [answer] });
    store.upsert({ metadata: { name: 'a', namespace: 'n' } });
    answer = 'y';
    store.remove('n/a');
    expect(store.byIndex('external', 'x')).toEqual([]);
  });
});
