import type { ClusterClient, ListOptions, WatchEvent, WatchOptions } from '../kube/client.ts';
import { ApiError } from '../kube/errors.ts';
import type { KubeObject, ObjectList } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import { FakeClock } from '../util/clock.ts';
import { Informer } from './informer.ts';

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};
const cm = (name: string, rv: string): KubeObject => ({
  metadata: { name, namespace: 'ns', resourceVersion: rv },
});

interface OpenWatch {
  options: WatchOptions;
  push(e: WatchEvent): void;
  close(): void;
  fail(err: Error): void;
  signal: AbortSignal;
}

/** A fake API server for one resource: tests decide what each list returns and drive each watch. */
class FakeClient implements Pick<ClusterClient, 'name' | 'list' | 'watch'> {
  readonly name = 'host';
  lists: ObjectList[] = [];
  listCalls: ListOptions[] = [];
  watches: OpenWatch[] = [];

  async list<T extends KubeObject>(
    _t: unknown,
    _ns: string,
    options: ListOptions = {},
  ): Promise<ObjectList<T>> {
    this.listCalls.push(options);
    const page = this.lists.shift();
    if (!page) throw new ApiError('host', 503, undefined, 'no list prepared');
    return page as ObjectList<T>;
  }

  watch(
    _t: unknown,
    _ns: string,
    options: WatchOptions,
    onEvent: (e: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const w: OpenWatch = { options, push: onEvent, close: () => resolve(), fail: reject, signal };
      signal.addEventListener('abort', () => resolve());
      this.watches.push(w);
    });
  }

  get current(): OpenWatch {
    return this.watches[this.watches.length - 1]!;
  }
}

function setup() {
  const client = new FakeClient();
  const clock = new FakeClock(0);
  const informer = new Informer<KubeObject>({
    client: client as unknown as ClusterClient,
    type: Resources.configMaps,
    namespace: 'ns',
    clock,
    inactivityTimeoutMs: 60_000,
    watchTimeoutSeconds: [300, 300],
    backoff: { initialMs: 1000, maxMs: 8000 },
  });
  const events: string[] = [];
  informer.addHandlers({
    onAdd: (o) => events.push(`add ${o.metadata?.name}@${o.metadata?.resourceVersion}`),
    onUpdate: (a, b) =>
      events.push(
        `update ${a.metadata?.name}@${a.metadata?.resourceVersion}->${b.metadata?.resourceVersion}`,
      ),
    onDelete: (o) => events.push(`delete ${o.metadata?.name}`),
  });
  return { client, clock, informer, events };
}

describe('Informer', () => {
  it('lists, then watches from the list resourceVersion, and applies events', async () => {
    const { client, informer, events } = setup();
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [cm('a', '5'), cm('b', '6')] });
    informer.start();
    await informer.waitForSync();
    await settle();
    expect(informer.hasSynced()).toBe(true);
    expect(client.current.options).toMatchObject({
      resourceVersion: '10',
      allowWatchBookmarks: true,
      timeoutSeconds: 300,
    });
    client.current.push({ type: 'ADDED', object: cm('c', '11') });
    client.current.push({ type: 'MODIFIED', object: cm('a', '12') });
    client.current.push({ type: 'DELETED', object: cm('b', '13') });
    expect(events).toEqual(['add a@5', 'add b@6', 'add c@11', 'update a@5->12', 'delete b']);
    expect(informer.store.keys().sort()).toEqual(['ns/a', 'ns/c']);
    expect(informer.store.get('ns/a')?.kind).toBe('ConfigMap');
    await informer.stop();
  });

  it('re-watches from the last bookmark after a normal close, without re-listing', async () => {
    const { client, informer } = setup();
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [] });
    informer.start();
    await settle();
    client.current.push({ type: 'ADDED', object: cm('a', '11') });
    client.current.push({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '20' } } });
    client.current.close();
    await settle();
    expect(client.watches).toHaveLength(2);
    expect(client.current.options.resourceVersion).toBe('20');
    expect(client.listCalls).toHaveLength(1);
    await informer.stop();
  });

  it('on 410 re-lists and reports only real differences: no invented deletes', async () => {
    const { client, informer, events } = setup();
    client.lists.push({
      metadata: { resourceVersion: '10' },
      items: [cm('keep', '1'), cm('change', '2'), cm('gone', '3')],
    });
    informer.start();
    await settle();
    events.length = 0;
    client.lists.push({
      metadata: { resourceVersion: '50' },
      items: [cm('keep', '1'), cm('change', '40'), cm('new', '45')],
    });
    client.current.push({
      type: 'ERROR',
      object: {
        kind: 'Status',
        code: 410,
        reason: 'Expired',
        message: 'too old resource version',
      } as KubeObject,
    });
    await settle();
    expect(client.listCalls).toHaveLength(2);
    expect(events.sort()).toEqual(['add new@45', 'delete gone', 'update change@2->40']);
    expect(client.current.options.resourceVersion).toBe('50');
    await informer.stop();
  });

  it('backs off and retries when the server cannot be reached', async () => {
    const { client, clock, informer } = setup();
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [] });
    informer.start();
    await settle();
    client.current.fail(new ApiError('host', 0, undefined, 'connection refused'));
    await settle();
    expect(client.watches).toHaveLength(1); // waiting out the backoff
    clock.advance(1000);
    await settle();
    expect(client.watches).toHaveLength(2);
    expect(client.current.options.resourceVersion).toBe('10');
    await informer.stop();
  });

  it('gives up on a silent watch after the inactivity timeout and reconnects', async () => {
    const { client, clock, informer } = setup();
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [] });
    informer.start();
    await settle();
    const silent = client.current;
    clock.advance(59_000);
    await settle();
    expect(silent.signal.aborted).toBe(false);
    clock.advance(1_000);
    await settle();
    expect(silent.signal.aborted).toBe(true);
    clock.advance(1000);
    await settle();
    expect(client.watches).toHaveLength(2);
    await informer.stop();
  });

  it('follows continue tokens when listing', async () => {
    const { client, informer } = setup();
    client.lists.push({ metadata: { resourceVersion: '9', continue: 'page2' }, items: [cm('a', '1')] });
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [cm('b', '2')] });
    informer.start();
    await settle();
    expect(client.listCalls.map((c) => c.continue)).toEqual([undefined, 'page2']);
    expect(informer.hasSynced()).toBe(true);
    expect(informer.store.size).toBe(2);
    await informer.stop();
  });
});
