import type { KubeObject } from '../kube/object.ts';
import type { InformerHandlers } from './informer.ts';
import { NamespacesInformer, type InformerView } from './namespaces-informer.ts';
import { Store } from './store.ts';

/** A namespace's informer as a reader sees it: a cache it fills by hand, handlers it calls. */
class FakeNamespaceInformer implements InformerView<KubeObject> {
  readonly store = new Store<KubeObject>();
  readonly handlers: InformerHandlers<KubeObject>[] = [];
  synced = false;
  private waiters: (() => void)[] = [];
  readonly namespace: string;
  constructor(namespace: string) {
    this.namespace = namespace;
  }
  get description() {
    return `host/configmaps in ${this.namespace}`;
  }
  addIndexer(name: string, fn: (o: KubeObject) => string[]) {
    this.store.addIndexer(name, fn);
  }
  addHandlers(h: InformerHandlers<KubeObject>) {
    this.handlers.push(h);
  }
  hasSynced() {
    return this.synced;
  }
  covers(obj: KubeObject) {
    return obj.metadata?.namespace === this.namespace;
  }
  waitForSync() {
    return this.synced ? Promise.resolve() : new Promise<void>((r) => this.waiters.push(r));
  }
  add(name: string, labels: Record<string, string> = {}) {
    const obj = { metadata: { name, namespace: this.namespace, labels } };
    this.store.upsert(obj);
    for (const h of this.handlers) h.onAdd?.(obj);
  }
  markSynced() {
    this.synced = true;
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Scopes as `namespace` or `namespace/name`; parts by the same strings. */
function informerOver(...scopes: string[]) {
  const parts = new Map<string, FakeNamespaceInformer>();
  const view = new NamespacesInformer(
    scopes.map((s) =>
      s.includes('/') ? { namespace: s.split('/')[0]!, name: s.split('/')[1]! } : { namespace: s },
    ),
    (scope) => {
      const part = new FakeNamespaceInformer(scope.namespace);
      parts.set(scope.name ? `${scope.namespace}/${scope.name}` : scope.namespace, part);
      return part;
    },
  );
  return { view, parts };
}

describe('NamespacesInformer', () => {
  it('asks for one informer per distinct namespace', () => {
    const { parts, view } = informerOver('shared', 'team', 'shared');
    expect([...parts.keys()]).toEqual(['shared', 'team']);
    expect(view.description).toBe('host/configmaps in shared, host/configmaps in team');
  });

  it("looks a key up in its namespace's cache and lists, counts and indexes across all of them", () => {
    const { view, parts } = informerOver('shared', 'team');
    view.addIndexer('by-app', (o) => [o.metadata?.labels?.app ?? '']);
    parts.get('shared')!.add('db', { app: 'sql' });
    parts.get('team')!.add('db', { app: 'sql' });
    parts.get('team')!.add('web', { app: 'http' });
    expect(view.store.get('shared/db')?.metadata?.namespace).toBe('shared');
    expect(view.store.get('team/web')?.metadata?.name).toBe('web');
    expect(view.store.get('other/db')).toBeUndefined();
    expect(view.store.size).toBe(3);
    expect(view.store.keys().sort()).toEqual(['shared/db', 'team/db', 'team/web']);
    expect(view.store.list()).toHaveLength(3);
    expect(
      view.store
        .byIndex('by-app', 'sql')
        .map((o) => o.metadata?.namespace)
        .sort(),
    ).toEqual(['shared', 'team']);
  });

  it("hands every namespace's events to the handlers", () => {
    const { view, parts } = informerOver('shared', 'team');
    const added: string[] = [];
    view.addHandlers({ onAdd: (o) => added.push(`${o.metadata?.namespace}/${o.metadata?.name}`) });
    parts.get('team')!.add('a');
    parts.get('shared')!.add('b');
    expect(added).toEqual(['team/a', 'shared/b']);
  });

  it('has synced only once every namespace has', async () => {
    const { view, parts } = informerOver('shared', 'team');
    let done = false;
    const waiting = view.waitForSync().then(() => (done = true));
    parts.get('shared')!.markSynced();
    await Promise.resolve();
    expect(view.hasSynced()).toBe(false);
    expect(done).toBe(false);
    parts.get('team')!.markSynced();
    await waiting;
    expect(view.hasSynced()).toBe(true);
  });

  it('watches single objects on their own, unless their namespace is watched whole', () => {
    const { view, parts } = informerOver('vault/creds', 'vault/other', 'shared', 'shared/db');
    expect([...parts.keys()].sort()).toEqual(['shared', 'vault/creds', 'vault/other']);
    parts.get('vault/creds')!.add('creds');
    parts.get('shared')!.add('db');
    expect(view.store.get('vault/creds')?.metadata?.name).toBe('creds');
    expect(view.store.get('shared/db')?.metadata?.name).toBe('db');
    expect(view.store.get('vault/nope')).toBeUndefined();
  });

  it('with no namespace is empty and synced', async () => {
    const { view } = informerOver();
    expect(view.store.list()).toEqual([]);
    expect(view.hasSynced()).toBe(true);
    await view.waitForSync();
  });
});
