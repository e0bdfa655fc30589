import type { ClusterClient, ListOptions, WatchEvent, WatchOptions } from '../kube/client.ts';
import { ApiError } from '../kube/errors.ts';
import type { KubeObject, ObjectList } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import { FakeClock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { SubtreePool } from './subtree-pool.ts';
import { Informer, STORE_PROBE, type InformerOptions } from './informer.ts';
import { StoreTimeline } from './store-timeline.ts';

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};
const cm = (name: string, rv: string, labels?: Record<string, string>): KubeObject => ({
  metadata: { name, namespace: 'ns', resourceVersion: rv, ...(labels ? { labels } : {}) },
});
const goneStatus = { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' } as KubeObject;
const gone = () => new ApiError('host', 410, { code: 410, reason: 'Expired' }, 'gone');
const refused = () => new ApiError('host', 0, undefined, 'connection refused');
const notFound = () => new ApiError('host', 404, { code: 404, reason: 'NotFound' }, 'not found');

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Makes the backoff jitter deterministic: every delay is its full ceiling. */
async function withFullJitter(fn: () => Promise<void>): Promise<void> {
  const random = Math.random;
  Math.random = () => 1;
  try {
    await fn();
  } finally {
    Math.random = random;
  }
}

interface OpenWatch {
  options: WatchOptions;
  push(e: WatchEvent): void;
  close(): void;
  fail(err: Error): void;
  signal: AbortSignal;
}

/** A list answer a test prepares: a page, an error to throw, or a page the test releases later. */
type PreparedList = ObjectList | Error | Promise<ObjectList>;

/** A fake API server for one resource: tests decide what each list returns and drive each watch. */
class FakeClient implements Pick<ClusterClient, 'name' | 'list' | 'watch' | 'get' | 'servedResources'> {
  readonly name = 'host';
  lists: PreparedList[] = [];
  listCalls: ListOptions[] = [];
  /** What the next store probes answer (a revision, or an error), in turn; then no revision. */
  revisions: (string | Error | Promise<string>)[] = [];
  probes = 0;
  watches: OpenWatch[] = [];
  /** The CRDs a get finds, by name (an Error is thrown instead); any other name is not found. */
  crds = new Map<string, KubeObject | Error>();
  gets: string[] = [];
  /** What discovery lists per group version; a group version not here is not served (404). */
  discovery = new Map<string, string[]>();

  async servedResources(groupVersion: string) {
    const served = this.discovery.get(groupVersion);
    if (!served) throw notFound();
    return served.map((name) => ({ name, kind: name, namespaced: true }));
  }

  async get<T extends KubeObject>(_t: unknown, _ns: string, name: string): Promise<T> {
    this.gets.push(name);
    const crd = this.crds.get(name);
    if (crd instanceof Error) throw crd;
    // As the API server answers a missing object: its Status names it.
    if (!crd)
      throw new ApiError('host', 404, { code: 404, reason: 'NotFound', details: { name } }, 'not found');
    return crd as T;
  }

  async list<T extends KubeObject>(
    _t: unknown,
    _ns: string,
    options: ListOptions = {},
  ): Promise<ObjectList<T>> {
    if (options.fieldSelector === STORE_PROBE.fieldSelector) {
      // The informer asking for the store's revision (STORE_PROBE): a test's, else none said.
      this.probes++;
      const revision = this.revisions.shift() ?? '';
      if (revision instanceof Error) throw revision;
      return { metadata: { resourceVersion: await revision }, items: [] };
    }
    this.listCalls.push(options);
    const page = this.lists.shift();
    if (!page) throw new ApiError('host', 503, undefined, 'no list prepared');
    if (page instanceof Error) throw page;
    return (await page) as ObjectList<T>;
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

function setup(overrides: Partial<InformerOptions<KubeObject>> = {}) {
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
    ...overrides,
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

  it('covers an object it would list: its namespace, label selector and name field selector', () => {
    const obj = (namespace: string, name: string, labels: Record<string, string> = {}) => ({
      metadata: { namespace, name, labels },
    });
    const { informer: scoped } = setup({ namespace: 'ns', labelSelector: 'tier=fast,!legacy' });
    expect(scoped.covers(obj('ns', 'a', { tier: 'fast' }))).toBe(true);
    expect(scoped.covers(obj('other', 'a', { tier: 'fast' }))).toBe(false);
    expect(scoped.covers(obj('ns', 'a', { tier: 'slow' }))).toBe(false);
    expect(scoped.covers(obj('ns', 'a', { tier: 'fast', legacy: '' }))).toBe(false);
    const { informer: one } = setup({ namespace: 'ns', fieldSelector: 'metadata.name=a' });
    expect(one.covers(obj('ns', 'a'))).toBe(true);
    expect(one.covers(obj('ns', 'b'))).toBe(false);
    // A field it cannot read: not taken for listed, so nobody waits for it.
    const { informer: odd } = setup({ namespace: 'ns', fieldSelector: 'spec.nodeName=n1' });
    expect(odd.covers(obj('ns', 'a'))).toBe(false);
  });

  it('ignores a watch event of a type no API server sends (a broken proxy), as client-go does', async () => {
    const { client, informer, events } = setup();
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [cm('a', '5')] });
    informer.start();
    await informer.waitForSync();
    await settle();
    client.current.push({ type: 'REMOVED' as 'DELETED', object: cm('a', '11') });
    client.current.push({ type: 'added' as 'ADDED', object: cm('z', '12') });
    expect(events).toEqual(['add a@5']);
    expect(informer.store.get('ns/a')?.metadata?.resourceVersion).toBe('5');
    // The watch goes on.
    client.current.push({ type: 'ADDED', object: cm('c', '13') });
    expect(events).toEqual(['add a@5', 'add c@13']);
    await informer.stop();
  });

  it('keeps objects without their managedFields, listed or watched', async () => {
    const { client, informer } = setup();
    const managed = (name: string, rv: string) => ({
      ...cm(name, rv),
      metadata: { ...cm(name, rv).metadata, managedFields: [{ manager: 'kubectl', operation: 'Update' }] },
    });
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [managed('a', '5')] });
    informer.start();
    await informer.waitForSync();
    await settle();
    client.current.push({ type: 'ADDED', object: managed('b', '11') });
    expect(informer.store.get('ns/a')?.metadata).not.toHaveProperty('managedFields');
    expect(informer.store.get('ns/b')?.metadata).not.toHaveProperty('managedFields');
    expect(informer.store.get('ns/b')?.metadata?.resourceVersion).toBe('11');
    await informer.stop();
  });

  it('shares the strings and equal parts of listed and watched objects through its pool', async () => {
    const parts = new SubtreePool();
    const { client, informer } = setup({ parts });
    const withData = (name: string, rv: string, value: string) => ({ ...cm(name, rv), data: { k: value } });
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [withData('a', '5', 'same')] });
    informer.start();
    await informer.waitForSync();
    await settle();
    client.current.push({ type: 'ADDED', object: withData('b', '11', 'same') });
    client.current.push({ type: 'ADDED', object: withData('c', '12', 'other') });
    const data = (name: string) => informer.store.get(`ns/${name}`)?.data;
    expect(data('b')).toEqual({ k: 'same' });
    expect(data('b')).toBe(data('a'));
    expect(data('c')).toEqual({ k: 'other' });
    expect(Object.isFrozen(data('a'))).toBe(true);
    expect(Object.isFrozen(informer.store.get('ns/a'))).toBe(false);
    expect(parts.strings.has('same')).toBe(true);
    await informer.stop();
  });

  it('caches and hands out objects as its cache transforms leave them, and takes none once started', async () => {
    const { client, informer } = setup();
    const seen: unknown[] = [];
    informer.addCacheTransform((obj) => ({ ...obj, data: { kept: 'only this' } }));
    informer.addHandlers({ onAdd: (obj) => seen.push(obj.data) });
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [cm('a', '5')] });
    informer.start();
    await informer.waitForSync();
    await settle();
    client.current.push({ type: 'ADDED', object: cm('b', '11') });
    expect(informer.store.get('ns/a')?.data).toEqual({ kept: 'only this' });
    expect(informer.store.get('ns/b')?.data).toEqual({ kept: 'only this' });
    expect(seen).toEqual([{ kept: 'only this' }, { kept: 'only this' }]);
    expect(() => informer.addCacheTransform((obj) => obj)).toThrow(/started already/);
    await informer.stop();
  });

  it('keeps an object a cache transform cannot read as it came, and the rest of the list as ever', async () => {
    const { client, informer } = setup();
    informer.addCacheTransform((obj) => {
      if (obj.metadata?.name === 'odd') throw new TypeError('status is a string');
      return { ...obj, data: { kept: 'only this' } };
    });
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [cm('a', '5'), cm('odd', '6')] });
    informer.start();
    await informer.waitForSync();
    expect(informer.store.get('ns/a')?.data).toEqual({ kept: 'only this' });
    expect(informer.store.get('ns/odd')?.metadata?.name).toBe('odd');
    await informer.stop();
  });

  it('takes a list answering `items: null` (how some servers answer an empty list) for an empty one', async () => {
    const { client, informer } = setup();
    client.lists.push({
      metadata: { resourceVersion: '10' },
      items: null,
    } as unknown as (typeof client.lists)[number]);
    informer.start();
    await informer.waitForSync();
    expect(informer.hasSynced()).toBe(true);
    expect(informer.store.size).toBe(0);
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

describe('Informer: sync state', () => {
  it('is not synced until the first list completes; a failed first list backs off and retries', async () => {
    const { client, clock, informer, events } = setup();
    client.lists.push(refused());
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [cm('a', '1')] });
    let synced = false;
    void informer.waitForSync().then(() => (synced = true));
    informer.start();
    await settle();
    expect(client.listCalls).toHaveLength(1);
    expect(informer.hasSynced()).toBe(false);
    expect(synced).toBe(false);
    expect(client.watches).toHaveLength(0);
    expect(informer.currentPhase).toBe('backoff');
    clock.advance(499); // the first backoff is at least half of initialMs
    await settle();
    expect(client.listCalls).toHaveLength(1);
    clock.advance(501);
    await settle();
    expect(client.listCalls).toHaveLength(2);
    expect(informer.hasSynced()).toBe(true);
    expect(synced).toBe(true);
    expect(events).toEqual(['add a@1']);
    expect(informer.store.keys()).toEqual(['ns/a']);
    expect(client.current.options.resourceVersion).toBe('10');
    await informer.waitForSync(); // resolves at once when already synced
    await informer.stop();
  });

  it('a CRD-backed type the server does not serve (404): synced empty, listed again every minute, filled once served', async () => {
    const { client, clock, informer, events } = setup({ type: Resources.gateways });
    client.lists.push(notFound(), notFound());
    client.lists.push({ metadata: { resourceVersion: '7' }, items: [cm('gw', '1')] });
    informer.start();
    await settle();
    expect(informer.hasSynced()).toBe(true);
    expect(informer.store.keys()).toEqual([]);
    clock.advance(59_999);
    await settle();
    expect(client.listCalls).toHaveLength(1);
    clock.advance(1);
    await settle();
    expect(client.listCalls).toHaveLength(2);
    clock.advance(60_000);
    await settle();
    expect(client.listCalls).toHaveLength(3);
    expect(events).toEqual(['add gw@1']);
    expect(client.current.options.resourceVersion).toBe('7');
    await informer.stop();
  });

  it('a CRD-backed type not served is listed again at once when told its CRD was installed', async () => {
    const { client, informer, events } = setup({ type: Resources.gateways });
    client.lists.push(notFound());
    client.lists.push({ metadata: { resourceVersion: '7' }, items: [cm('gw', '1')] });
    informer.start();
    await settle();
    expect(client.listCalls).toHaveLength(1);
    informer.recheckIfNotServed();
    await settle();
    expect(client.listCalls).toHaveLength(2);
    expect(events).toEqual(['add gw@1']);
    // Served now: told again, it does nothing.
    informer.recheckIfNotServed();
    await settle();
    expect(client.listCalls).toHaveLength(2);
    await informer.stop();
  });

  const gatewaysCrd = (...versions: [name: string, served: boolean][]): KubeObject =>
    ({
      metadata: { name: 'gateways.gateway.networking.k8s.io' },
      spec: { versions: versions.map(([name, served]) => ({ name, served })) },
    }) as KubeObject;

  it('a 404 on a CRD-backed type whose CRD serves it (an API server starting): not synced, retried, and no false delete', async () => {
    const { client, clock, informer, events } = setup({ type: Resources.gateways });
    client.crds.set('gateways.gateway.networking.k8s.io', gatewaysCrd(['v1beta1', true], ['v1', true]));
    client.lists.push(notFound());
    client.lists.push({ metadata: { resourceVersion: '7' }, items: [cm('gw', '1')] });
    await withFullJitter(async () => {
      informer.start();
      await settle();
      expect(client.gets).toEqual(['gateways.gateway.networking.k8s.io']);
      expect(informer.hasSynced()).toBe(false);
      // Retried with the ordinary backoff (1 s here), not after the minute of a type not served.
      clock.advance(1000);
      await settle();
    });
    expect(client.listCalls).toHaveLength(2);
    expect(informer.hasSynced()).toBe(true);
    expect(events).toEqual(['add gw@1']);
    await informer.stop();
  });

  it('a 404 on a CRD-backed type whose CRD cannot be read is not taken for an empty collection', async () => {
    const { client, informer } = setup({ type: Resources.gateways });
    client.crds.set(
      'gateways.gateway.networking.k8s.io',
      new ApiError('host', 403, { code: 403, reason: 'Forbidden' }, 'forbidden'),
    );
    client.lists.push(notFound());
    informer.start();
    await settle();
    expect(informer.hasSynced()).toBe(false);
    expect(informer.store.keys()).toEqual([]);
    await informer.stop();
  });

  it('a 404 on a CRD-backed type whose CRD read answers a 404 naming nothing (a proxy) is not taken for an empty collection', async () => {
    const { client, informer } = setup({ type: Resources.gateways });
    client.crds.set('gateways.gateway.networking.k8s.io', notFound());
    client.lists.push(notFound());
    informer.start();
    await settle();
    expect(informer.hasSynced()).toBe(false);
    await informer.stop();
  });

  it('a CRD-backed type whose CRD does not serve this version is not served: synced empty', async () => {
    const { client, informer } = setup({ type: Resources.gateways });
    client.crds.set('gateways.gateway.networking.k8s.io', gatewaysCrd(['v1beta1', true], ['v1', false]));
    client.lists.push(notFound());
    informer.start();
    await settle();
    expect(informer.hasSynced()).toBe(true);
    expect(informer.store.keys()).toEqual([]);
    await informer.stop();
  });

  it.each([
    ['its group version is not served at all', undefined],
    ['discovery does not list it in its group version', ['resourceslices']],
  ])(
    'an optional built-in API (DRA) answering 404 when %s: synced empty, listed again every minute',
    async (_what, listed) => {
      const { client, clock, informer } = setup({ type: Resources.resourceClaims });
      if (listed) client.discovery.set('resource.k8s.io/v1', listed);
      client.lists.push(notFound());
      informer.start();
      await settle();
      expect(informer.hasSynced()).toBe(true);
      expect(informer.store.keys()).toEqual([]);
      clock.advance(60_000);
      await settle();
      expect(client.listCalls).toHaveLength(2);
      await informer.stop();
    },
  );

  it('a 404 on an optional built-in API that discovery lists (an API server starting): not synced, retried', async () => {
    const { client, informer } = setup({ type: Resources.resourceClaims });
    client.discovery.set('resource.k8s.io/v1', ['resourceclaims']);
    client.lists.push(notFound());
    informer.start();
    await settle();
    expect(informer.hasSynced()).toBe(false);
    await informer.stop();
  });

  it('a 404 on a built-in type is an ordinary failure: not synced, retried with backoff', async () => {
    const { client, informer } = setup();
    client.lists.push(notFound());
    informer.start();
    await settle();
    expect(informer.hasSynced()).toBe(false);
    await informer.stop();
  });

  it('passes selectors and the page size to list and watch', async () => {
    const { client, informer } = setup({
      labelSelector: 'app=x',
      fieldSelector: 'metadata.name=a',
      listPageSize: 7,
    });
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [] });
    informer.start();
    await settle();
    expect(client.listCalls[0]).toMatchObject({
      labelSelector: 'app=x',
      fieldSelector: 'metadata.name=a',
      limit: 7,
    });
    expect(client.current.options).toMatchObject({
      labelSelector: 'app=x',
      fieldSelector: 'metadata.name=a',
    });
    await informer.stop();
  });
});

describe('Informer: watch events', () => {
  it('gives onDelete the last cached state, and handlers old and new objects', async () => {
    const { client, informer } = setup();
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [cm('a', '1', { v: 'old' })] });
    const updates: [KubeObject, KubeObject][] = [];
    const deletes: KubeObject[] = [];
    informer.addHandlers({ onUpdate: (o, n) => updates.push([o, n]), onDelete: (o) => deletes.push(o) });
    informer.start();
    await settle();
    client.current.push({ type: 'MODIFIED', object: cm('a', '11', { v: 'new' }) });
    expect(updates).toHaveLength(1);
    expect(updates[0]![0].metadata?.labels).toEqual({ v: 'old' });
    expect(updates[0]![1].metadata?.labels).toEqual({ v: 'new' });
    // A delete event may carry less than the cache had; handlers see the cached object.
    client.current.push({ type: 'DELETED', object: cm('a', '12') });
    expect(deletes[0]?.metadata?.labels).toEqual({ v: 'new' });
    expect(informer.store.size).toBe(0);
    // A delete of something never seen still reaches handlers, typed.
    client.current.push({ type: 'DELETED', object: cm('ghost', '13') });
    expect(deletes[1]).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'ghost' } });
    await informer.stop();
  });

  it('keeps running and calls the other handlers when one handler throws', async () => {
    const { client, informer, events } = setup();
    informer.addHandlers({
      onAdd: () => {
        throw new Error('handler bug');
      },
    });
    const seen: string[] = [];
    informer.addHandlers({ onAdd: (o) => seen.push(o.metadata!.name!) });
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [] });
    informer.start();
    await settle();
    client.current.push({ type: 'ADDED', object: cm('a', '11') });
    client.current.push({ type: 'ADDED', object: cm('b', '12') });
    expect(seen).toEqual(['a', 'b']);
    expect(events).toEqual(['add a@11', 'add b@12']);
    expect(informer.store.size).toBe(2);
    expect(client.watches).toHaveLength(1);
    await informer.stop();
  });

  it('keeps its indexes current through watch events', async () => {
    const { client, informer } = setup({ indexers: { byApp: (o) => [o.metadata?.labels?.app ?? ''] } });
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [cm('a', '1', { app: 'x' })] });
    informer.start();
    await settle();
    client.current.push({ type: 'MODIFIED', object: cm('a', '2', { app: 'y' }) });
    client.current.push({ type: 'ADDED', object: cm('b', '3', { app: 'y' }) });
    expect(informer.store.byIndex('byApp', 'x')).toEqual([]);
    expect(informer.store.byIndex('byApp', 'y').map((o) => o.metadata?.name)).toEqual(['a', 'b']);
    informer.addIndexer('byName', (o) => [o.metadata!.name!]);
    expect(informer.store.byIndex('byName', 'b')).toHaveLength(1);
    client.current.push({ type: 'DELETED', object: cm('a', '4') });
    expect(informer.store.byIndex('byApp', 'y').map((o) => o.metadata?.name)).toEqual(['b']);
    await informer.stop();
  });
});

describe('Informer: resourceVersions and re-lists', () => {
  it('re-lists at once when opening the watch throws 410, reporting only real differences', async () => {
    const { client, clock, informer, events } = setup();
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [cm('same', '1'), cm('changed', '2')] });
    client.lists.push({ metadata: { resourceVersion: '30' }, items: [cm('same', '1'), cm('changed', '25')] });
    informer.start();
    await settle();
    events.length = 0;
    client.current.fail(gone());
    await settle(); // no clock advance: a 410 needs no backoff
    expect(client.listCalls).toHaveLength(2);
    expect(events).toEqual(['update changed@2->25']);
    expect(informer.store.get('ns/same')?.metadata?.resourceVersion).toBe('1');
    expect(client.watches).toHaveLength(2);
    expect(client.current.options.resourceVersion).toBe('30');
    expect(clock.now()).toBe(0);
    await informer.stop();
  });

  it('backs off before re-listing when the fresh watch is 410 again, so it cannot spin', async () => {
    await withFullJitter(async () => {
      const { client, clock, informer } = setup();
      for (const rv of ['10', '20', '30'])
        client.lists.push({ metadata: { resourceVersion: rv }, items: [] });
      informer.start();
      await settle();
      client.current.fail(gone());
      await settle();
      expect(client.listCalls).toHaveLength(2); // the first 410 re-lists at once
      client.current.fail(gone());
      await settle();
      expect(client.listCalls).toHaveLength(2); // the second in a row waits
      clock.advance(999);
      await settle();
      expect(client.listCalls).toHaveLength(2);
      clock.advance(1);
      await settle();
      expect(client.listCalls).toHaveLength(3);
      expect(client.current.options.resourceVersion).toBe('30');
      await informer.stop();
    });
  });

  it('counts watches that end at once with nothing delivered, and says so once after five in a row', async () => {
    await withFullJitter(async () => {
      const restarts: string[] = [];
      const warnings: string[] = [];
      const logger: Logger = {
        debug: () => {},
        info: () => {},
        warn: (msg) => warnings.push(msg),
        error: () => {},
        child: () => logger,
      };
      const { client, clock, informer } = setup({
        logger,
        metrics: { relist: () => {}, watchRestart: (_c, _r, why) => restarts.push(why) },
      });
      client.lists.push({ metadata: { resourceVersion: '10' }, items: [] });
      informer.start();
      await settle();
      for (const backoffMs of [1000, 2000, 4000, 8000, 16000, 30000]) {
        client.current.close();
        await settle();
        clock.advance(backoffMs);
        await settle();
      }
      expect(restarts).toEqual(Array(6).fill('closed-early'));
      expect(warnings).toEqual([expect.stringContaining('keeps ending watches of configmaps at once')]);
      await informer.stop();
    });
  });

  it('reports re-lists and watch restarts to its metrics', async () => {
    const relists: string[] = [];
    const restarts: string[] = [];
    const { client, clock, informer } = setup({
      metrics: {
        relist: (c, r) => relists.push(`${c}/${r}`),
        watchRestart: (_c, _r, why) => restarts.push(why),
      },
    });
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [] });
    client.lists.push({ metadata: { resourceVersion: '20' }, items: [] });
    informer.start();
    await settle();
    client.current.push({ type: 'ERROR', object: goneStatus });
    await settle();
    expect(relists).toEqual(['host/configmaps']);
    client.current.fail(refused());
    await settle();
    expect(restarts).toEqual(['network']);
    clock.advance(1000);
    await settle();
    clock.advance(60_000); // the watchdog gives up on the silent watch
    await settle();
    expect(restarts).toEqual(['network', 'inactive']);
    await informer.stop();
  });

  it('ignores events that follow a 410 in the same stream', async () => {
    const { client, informer } = setup();
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [] });
    client.lists.push({ metadata: { resourceVersion: '20' }, items: [cm('a', '15')] });
    informer.start();
    await settle();
    const stale = client.current;
    stale.push({ type: 'ERROR', object: goneStatus });
    stale.push({ type: 'ADDED', object: cm('late', '99') });
    await settle();
    expect(informer.store.keys()).toEqual(['ns/a']);
    expect(client.current.options.resourceVersion).toBe('20');
    await informer.stop();
  });

  it('re-watches from the last event after a non-410 watch error, without re-listing', async () => {
    const { client, clock, informer } = setup();
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [] });
    informer.start();
    await settle();
    client.current.push({ type: 'ADDED', object: cm('a', '11') });
    client.current.push({
      type: 'ERROR',
      object: { kind: 'Status', code: 500, reason: 'InternalError', message: 'etcd hiccup' } as KubeObject,
    });
    await settle();
    expect(client.watches).toHaveLength(1);
    clock.advance(1000);
    await settle();
    expect(client.watches).toHaveLength(2);
    expect(client.current.options.resourceVersion).toBe('11');
    expect(client.listCalls).toHaveLength(1);
    expect(informer.store.keys()).toEqual(['ns/a']);
    await informer.stop();
  });

  it('re-lists at once when the server has not the resourceVersion yet (its store restored from a backup), opening or mid-stream', async () => {
    const tooLarge = {
      kind: 'Status',
      code: 504,
      reason: 'Timeout',
      message: 'Too large resource version: 90, current: 40',
      details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }] },
    };
    const { client, clock, informer, events } = setup();
    client.lists.push({ metadata: { resourceVersion: '90' }, items: [cm('a', '80'), cm('b', '85')] });
    // The restored store: older versions of what the cache holds, and one object it never saw.
    client.lists.push({ metadata: { resourceVersion: '40' }, items: [cm('a', '30'), cm('c', '35')] });
    client.lists.push({ metadata: { resourceVersion: '50' }, items: [cm('a', '30'), cm('c', '45')] });
    informer.start();
    await settle();
    events.length = 0;
    client.current.fail(new ApiError('host', 504, tooLarge, 'watch'));
    await settle(); // no clock advance: like a 410, it needs no backoff
    expect(client.listCalls).toHaveLength(2);
    expect(client.listCalls[1]?.resourceVersion).toBeUndefined(); // from the store, not a cache
    expect(events.sort()).toEqual(['add c@35', 'delete b', 'update a@80->30']);
    expect(client.current.options.resourceVersion).toBe('40');
    client.current.push({ type: 'MODIFIED', object: cm('a', '42') });
    expect(clock.now()).toBe(0);
    // Answered so again, in an event: listed again too (after a backoff, as a second 410 in a row).
    client.current.push({ type: 'ERROR', object: tooLarge as KubeObject });
    await settle();
    clock.advance(1000);
    await settle();
    expect(client.listCalls).toHaveLength(3);
    expect(client.current.options.resourceVersion).toBe('50');
    await informer.stop();
  });

  it('re-lists when the server comes back on a store older than the cache (restored from a backup): its watch would stay silent until the store caught up', async () => {
    const { client, clock, informer, events } = setup();
    client.lists.push({ metadata: { resourceVersion: '90' }, items: [cm('a', '80'), cm('b', '85')] });
    client.lists.push({ metadata: { resourceVersion: '40' }, items: [cm('a', '30'), cm('c', '35')] });
    informer.start();
    await settle();
    events.length = 0;
    // The server restarts: first unreachable (the probe too), then back, on the restored store.
    client.revisions.push(refused(), '40');
    client.current.fail(refused());
    await settle();
    clock.advance(1000);
    await settle();
    expect(client.listCalls).toHaveLength(1);
    clock.advance(2000);
    await settle();
    expect(client.probes).toBe(2);
    expect(client.listCalls).toHaveLength(2);
    expect(events.sort()).toEqual(['add c@35', 'delete b', 'update a@80->30']);
    expect(client.current.options.resourceVersion).toBe('40');
    await informer.stop();
  });

  it('with a timeline shared by the informers of one server, a quiet resource whose last version the restored store has passed again re-lists too', async () => {
    const timeline = new StoreTimeline();
    const quiet = setup({ timeline });
    const busy = setup({ timeline });
    quiet.client.lists.push({ metadata: { resourceVersion: '200' }, items: [cm('a', '150')] });
    quiet.client.lists.push({ metadata: { resourceVersion: '241' }, items: [cm('a', '150')] });
    busy.client.lists.push({ metadata: { resourceVersion: '210' }, items: [] });
    busy.client.lists.push({ metadata: { resourceVersion: '241' }, items: [] });
    quiet.informer.start();
    busy.informer.start();
    await settle();
    // Writes of other resources the restore will lose: the busy informer saw them.
    busy.client.current.push({ type: 'ADDED', object: cm('lost', '252') });
    // Both lose their watches; the store is back at 241 (written anew since the restore).
    for (const t of [busy, quiet]) {
      t.client.revisions.push('241');
      t.client.current.fail(refused());
    }
    await settle();
    quiet.clock.advance(1000);
    busy.clock.advance(1000);
    await settle();
    expect(timeline.epoch).toBe(1);
    // 241 is past the quiet informer's own 200: only the timeline tells it.
    expect(quiet.client.listCalls).toHaveLength(2);
    expect(busy.client.listCalls).toHaveLength(2);
    expect(busy.informer.store.keys()).toEqual([]);
    await quiet.informer.stop();
    await busy.informer.stop();
  });

  it('a store read answered after another informer of the server saw newer versions (a busy server) is no going back', async () => {
    const timeline = new StoreTimeline();
    const a = setup({ timeline });
    const b = setup({ timeline });
    a.client.lists.push({ metadata: { resourceVersion: '250' }, items: [] });
    b.client.lists.push({ metadata: { resourceVersion: '250' }, items: [] });
    a.informer.start();
    b.informer.start();
    await settle();
    const answer = deferred<string>();
    a.client.revisions.push(answer.promise);
    a.client.current.fail(refused());
    await settle();
    a.clock.advance(1000);
    await settle();
    expect(a.client.probes).toBe(1);
    // While the read is on its way, the other informer sees newer writes; the read answers 260.
    b.client.current.push({ type: 'ADDED', object: cm('new', '300') });
    answer.resolve('260');
    await settle();
    expect(timeline.epoch).toBe(0);
    expect(a.client.listCalls).toHaveLength(1);
    expect(a.client.current.options.resourceVersion).toBe('250');
    await a.informer.stop();
    await b.informer.stop();
  });

  it('watches on from where it was when the store is where it was or further (an ordinary restart), or its version is not a number', async () => {
    const { client, clock, informer } = setup();
    client.lists.push({ metadata: { resourceVersion: '90' }, items: [cm('a', '80')] });
    informer.start();
    await settle();
    client.current.push({ type: 'MODIFIED', object: cm('a', '95') });
    for (const revision of [
      '95',
      '120',
      'opaque-token',
      new ApiError('host', 400, undefined, 'bad selector'),
    ]) {
      client.revisions.push(revision);
      client.current.fail(refused());
      await settle();
      clock.advance(8000);
      await settle();
      expect(client.current.options.resourceVersion).toBe('95');
    }
    expect(client.probes).toBe(4);
    expect(client.listCalls).toHaveLength(1);
    // A watch that ran its term is not followed by a probe, events or not; one a shutting-down server
    // ended early after events is.
    for (let i = 0; i < 6; i++) {
      clock.advance(50_000); // bookmarks keep it alive (the watchdog here: 60 s)
      client.current.push({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '95' } } });
    }
    client.current.push({ type: 'MODIFIED', object: cm('a', '96') });
    client.current.close();
    await settle();
    expect(client.probes).toBe(4);
    client.current.push({ type: 'MODIFIED', object: cm('a', '97') });
    client.revisions.push('97');
    client.current.close();
    await settle();
    expect(client.probes).toBe(5);
    expect(client.listCalls).toHaveLength(1);
    await informer.stop();
  });

  it('re-lists after three watches in a row fail other than by the network (an event it cannot take)', async () => {
    await withFullJitter(async () => {
      const { client, clock, informer } = setup();
      client.lists.push({ metadata: { resourceVersion: '10' }, items: [] });
      client.lists.push({ metadata: { resourceVersion: '30' }, items: [cm('a', '20')] });
      informer.start();
      await settle();
      // Every watch from resourceVersion 10 breaks on the line it cannot read.
      for (const backoffMs of [1000, 2000, 4000]) {
        expect(client.current.options.resourceVersion).toBe('10');
        client.current.fail(new ApiError('host', 500, undefined, 'watch line is not JSON'));
        await settle();
        clock.advance(backoffMs);
        await settle();
      }
      expect(client.listCalls).toHaveLength(2);
      expect(client.current.options.resourceVersion).toBe('30');
      expect(informer.store.keys()).toEqual(['ns/a']);
      await informer.stop();
    });
  });

  it('counts watches that fail in a row on an unreadable line or an error status, not network failures, nor across a watch that ended well', async () => {
    await withFullJitter(async () => {
      const { client, clock, informer } = setup({ backoff: { initialMs: 1000, maxMs: 1000 } });
      client.lists.push({ metadata: { resourceVersion: '10' }, items: [] });
      client.lists.push({ metadata: { resourceVersion: '20' }, items: [] });
      informer.start();
      await settle();
      const failWith = async (fail: () => void) => {
        fail();
        await settle();
        clock.advance(1000);
        await settle();
      };
      const unreadable = () =>
        client.current.fail(
          new ApiError(
            'host',
            500,
            { code: 500, reason: 'InternalError' },
            'watch sent a line that is not JSON',
          ),
        );
      for (let i = 0; i < 5; i++) await failWith(() => client.current.fail(refused()));
      await failWith(unreadable);
      await failWith(() => client.current.fail(new ApiError('host', 429, { code: 429 }, 'slow down')));
      await failWith(unreadable);
      await failWith(() => client.current.close()); // a watch that ended as it should
      await failWith(unreadable);
      await failWith(unreadable);
      expect(client.listCalls).toHaveLength(1);
      await failWith(() =>
        client.current.push({
          type: 'ERROR',
          object: { kind: 'Status', code: 500, reason: 'InternalError', message: 'x' } as KubeObject,
        }),
      );
      expect(client.listCalls).toHaveLength(2);
      expect(client.current.options.resourceVersion).toBe('20');
      await informer.stop();
    });
  });

  it('swaps a paged re-list into the store in one step, after the last page', async () => {
    const { client, informer, events } = setup({ listPageSize: 1 });
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [cm('a', '1')] });
    informer.start();
    await settle();
    events.length = 0;
    const page2 = deferred<ObjectList>();
    client.lists.push({ metadata: { resourceVersion: '19', continue: 'p2' }, items: [cm('b', '5')] });
    client.lists.push(page2.promise);
    client.current.push({ type: 'ERROR', object: goneStatus });
    await settle();
    expect(client.listCalls.map((c) => [c.limit, c.continue])).toEqual([
      [1, undefined],
      [1, undefined],
      [1, 'p2'],
    ]);
    // Half-way through the re-list readers still see the old, complete cache.
    expect(informer.store.keys()).toEqual(['ns/a']);
    expect(events).toEqual([]);
    page2.resolve({ metadata: { resourceVersion: '20' }, items: [cm('c', '6')] });
    await settle();
    expect(informer.store.keys().sort()).toEqual(['ns/b', 'ns/c']);
    expect(events).toEqual(['add b@5', 'add c@6', 'delete a']);
    expect(client.current.options.resourceVersion).toBe('20');
    await informer.stop();
  });

  it('restarts a paged list from the first page when its continue token expires', async () => {
    const { client, informer } = setup({ listPageSize: 1 });
    client.lists.push({ metadata: { resourceVersion: '9', continue: 'p2' }, items: [cm('a', '1')] });
    client.lists.push(gone());
    client.lists.push({ metadata: { resourceVersion: '12', continue: 'p2b' }, items: [cm('a', '1')] });
    client.lists.push({ metadata: { resourceVersion: '12' }, items: [cm('b', '11')] });
    informer.start();
    await settle();
    expect(client.listCalls.map((c) => c.continue)).toEqual([undefined, 'p2', undefined, 'p2b']);
    expect(informer.store.keys().sort()).toEqual(['ns/a', 'ns/b']);
    expect(client.current.options.resourceVersion).toBe('12');
    await informer.stop();
  });

  it('advances the watch resourceVersion with bookmarks only, without touching the store', async () => {
    const { client, clock, informer, events } = setup();
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [cm('a', '1')] });
    informer.start();
    await settle();
    events.length = 0;
    client.current.push({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '30' } } });
    client.current.push({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '31' } } });
    expect(events).toEqual([]);
    expect(informer.store.keys()).toEqual(['ns/a']);
    client.current.close();
    await settle();
    expect(client.watches).toHaveLength(2); // the watch delivered something: reconnect at once
    expect(client.current.options.resourceVersion).toBe('31');
    expect(client.listCalls).toHaveLength(1);
    expect(clock.now()).toBe(0);
    await informer.stop();
  });
});

describe('Informer: reconnecting', () => {
  it('paces re-watches after empty closes and failures with growing backoff, reset by a useful watch', async () => {
    await withFullJitter(async () => {
      const { client, clock, informer } = setup();
      client.lists.push({ metadata: { resourceVersion: '10' }, items: [] });
      informer.start();
      await settle();
      const waitFor = async (ms: number, watches: number) => {
        clock.advance(ms - 1);
        await settle();
        expect(client.watches).toHaveLength(watches - 1);
        clock.advance(1);
        await settle();
        expect(client.watches).toHaveLength(watches);
      };
      client.current.close(); // closed with nothing delivered: a flapping server, so wait
      await settle();
      await waitFor(1000, 2);
      client.current.fail(refused());
      await settle();
      await waitFor(2000, 3);
      client.current.fail(refused());
      await settle();
      await waitFor(4000, 4);
      client.current.push({ type: 'ADDED', object: cm('a', '11') });
      client.current.close();
      await settle();
      expect(client.watches).toHaveLength(5); // a watch that delivered events resets the backoff
      client.current.fail(refused());
      await settle();
      await waitFor(1000, 6);
      expect(client.current.options.resourceVersion).toBe('11');
      expect(client.listCalls).toHaveLength(1);
      await informer.stop();
    });
  });

  it('reopens at once a watch that ran its term with nothing to deliver (a quiet type), and forgets the backoff', async () => {
    await withFullJitter(async () => {
      const { client, clock, informer } = setup({ inactivityTimeoutMs: 3_600_000 });
      client.lists.push({ metadata: { resourceVersion: '10' }, items: [] });
      informer.start();
      await settle();
      // A flapping start grows the backoff: two silent closes at once, 1 s then 2 s apart.
      client.current.close();
      await settle();
      clock.advance(1000);
      await settle();
      client.current.close();
      await settle();
      clock.advance(2000);
      await settle();
      expect(client.watches).toHaveLength(3);
      // Then quiet watches, each closed by the server at the timeout it asked for (300 s here).
      for (let term = 0; term < 12; term++) {
        clock.advance(client.current.options.timeoutSeconds! * 1000);
        client.current.close();
        await settle();
        expect(client.watches).toHaveLength(4 + term); // no wait: a change now is seen now
      }
      // Closed early and silent again: paced from the first step, not from where the flapping left it.
      client.current.close();
      await settle();
      clock.advance(999);
      await settle();
      expect(client.watches).toHaveLength(15);
      clock.advance(1);
      await settle();
      expect(client.watches).toHaveLength(16);
      expect(client.listCalls).toHaveLength(1);
      await informer.stop();
    });
  });

  it('by default takes a watch silent for three minutes (three missed bookmarks) for dead, long before its term', async () => {
    const { client, clock, informer } = setup({
      inactivityTimeoutMs: undefined,
      watchTimeoutSeconds: [600, 600],
    });
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [] });
    informer.start();
    await settle();
    const stalled = client.current;
    clock.advance(179_000);
    await settle();
    expect(stalled.signal.aborted).toBe(false);
    clock.advance(1000);
    await settle();
    expect(stalled.signal.aborted).toBe(true);
    await settle();
    expect(client.watches).toHaveLength(2);
    expect(client.current.options.resourceVersion).toBe('10');
    await informer.stop();
  });

  it('re-arms the inactivity watchdog on every event, bookmarks included', async () => {
    const { client, clock, informer } = setup();
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [] });
    informer.start();
    await settle();
    const w = client.current;
    clock.advance(50_000);
    w.push({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '12' } } });
    clock.advance(50_000);
    await settle();
    expect(w.signal.aborted).toBe(false);
    clock.advance(10_000);
    await settle();
    expect(w.signal.aborted).toBe(true);
    clock.advance(1000);
    await settle();
    expect(client.watches).toHaveLength(2);
    expect(client.current.options.resourceVersion).toBe('12');
    expect(client.listCalls).toHaveLength(1);
    await informer.stop();
  });
});

describe('Informer: stop', () => {
  it('aborts the open watch and starts nothing more', async () => {
    const { client, clock, informer } = setup();
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [cm('a', '1')] });
    informer.start();
    await settle();
    const w = client.current;
    await informer.stop();
    expect(w.signal.aborted).toBe(true);
    expect(informer.currentPhase).toBe('stopped');
    clock.advance(10 * 60_000);
    await settle();
    expect(client.watches).toHaveLength(1);
    expect(client.listCalls).toHaveLength(1);
    expect(clock.pendingTimers()).toBe(0);
    expect(informer.store.keys()).toEqual(['ns/a']); // readers keep the last state
  });

  it('returns at once when called during a backoff', async () => {
    const { client, clock, informer } = setup();
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [] });
    informer.start();
    await settle();
    client.current.fail(refused());
    await settle();
    expect(informer.currentPhase).toBe('backoff');
    await informer.stop(); // would hang if the backoff sleep ignored stop
    clock.advance(60_000);
    await settle();
    expect(client.watches).toHaveLength(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('drops a list that completes after stop', async () => {
    const { client, informer, events } = setup();
    const page = deferred<ObjectList>();
    client.lists.push(page.promise);
    informer.start();
    await settle();
    const stopped = informer.stop();
    page.resolve({ metadata: { resourceVersion: '10' }, items: [cm('a', '1')] });
    await settle();
    expect(client.watches).toHaveLength(0); // a watch opened now would outlive stop()
    await stopped;
    expect(informer.store.size).toBe(0);
    expect(events).toEqual([]);
    expect(informer.hasSynced()).toBe(false);
    expect(client.watches).toHaveLength(0);
  });
});

/** What ended an informer's loop, once it ends (it should not while the informer runs). */
function loopEnding(informer: Informer<KubeObject>): { ended?: unknown } {
  const loop: { ended?: unknown } = {};
  (informer as unknown as { running: Promise<void> }).running.catch((e) => (loop.ended = e));
  return loop;
}

/** Moves the clock past the backoffs of a few failed tries (at most 8 s each). */
async function pastBackoffs(clock: FakeClock): Promise<void> {
  for (let i = 0; i < 5; i++) {
    clock.advance(10_000);
    await settle();
  }
}

describe('Informer against a malformed Status', () => {
  it.each([
    ['causes is a string', { kind: 'Status', code: 500, details: { causes: 'boom' } }],
    ['causes holds null', { kind: 'Status', code: 500, details: { causes: [null] } }],
    ['causes is an object', { kind: 'Status', code: 500, details: { causes: { reason: 'x' } } }],
  ])('a watch ERROR event whose %s keeps the informer running', async (_what, status) => {
    const { client, clock, informer } = setup();
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [cm('a', '5')] });
    informer.start();
    await informer.waitForSync();
    await settle();
    const loop = loopEnding(informer);
    client.current.push({ type: 'ERROR', object: status as KubeObject });
    await settle();
    // After any backoff, a healthy informer watches again (or lists).
    client.lists.push({ metadata: { resourceVersion: '20' }, items: [cm('a', '5')] });
    await pastBackoffs(clock);
    expect(loop.ended).toBeUndefined();
    expect(client.watches.length).toBeGreaterThan(1);
    await informer.stop().catch(() => {});
  });

  it('a list answered with an HTTP error whose Status has causes that are not an array keeps the informer running', async () => {
    const { client, clock, informer } = setup();
    // What RestClient.send builds from a 500 whose body is {"details":{"causes":"x"}}.
    client.lists.push(new ApiError('host', 500, { details: { causes: 'x' } } as never, 'HTTP 500'));
    informer.start();
    const loop = loopEnding(informer);
    await settle();
    client.lists.push({ metadata: { resourceVersion: '20' }, items: [cm('a', '5')] });
    await pastBackoffs(clock);
    expect(loop.ended).toBeUndefined();
    expect(informer.hasSynced()).toBe(true);
    await informer.stop().catch(() => {});
  });

  it('a watch ERROR event whose Status says Expired without a code leads to a re-list (bounded: 6 watches)', async () => {
    const { client, clock, informer } = setup();
    client.lists.push({ metadata: { resourceVersion: '10' }, items: [cm('a', '5')] });
    client.lists.push({ metadata: { resourceVersion: '20' }, items: [cm('a', '5')] });
    informer.start();
    await informer.waitForSync();
    await settle();
    const expired = {
      kind: 'Status',
      status: 'Failure',
      reason: 'Expired',
      message: 'too old resource version: 10 (15)',
    };
    for (let i = 0; i < 6; i++) {
      client.current.push({ type: 'ERROR', object: expired as KubeObject });
      await settle();
      clock.advance(10_000);
      await settle();
    }
    // client-go reads the reason (IsResourceExpired) and lists again at once.
    expect(client.listCalls.length).toBeGreaterThan(1);
    expect(client.watches.every((w) => w.options.resourceVersion === '10')).toBe(false);
    await informer.stop().catch(() => {});
  });

  it('a list whose pages hand out a continue token again fails with that said, and is retried after a backoff (bounded: 2,000 pages)', async () => {
    const { client, informer } = setup();
    let pages = 0;
    // A broken proxy or aggregated API: every page says "continue from x" again, with the same items.
    client.list = (async () => {
      pages++;
      if (pages >= 2000) await informer.stop(); // the test's bound, not the informer's
      return { metadata: { resourceVersion: '10', continue: 'x' }, items: [cm('a', '5'), cm('b', '6')] };
    }) as never;
    const errors: string[] = [];
    (informer as unknown as { log: { warn: (m: string, f?: { err?: Error }) => void } }).log = {
      ...(informer as unknown as { log: object }).log,
      warn: (_m: string, f?: { err?: Error }) => errors.push(String(f?.err?.message)),
    } as never;
    informer.start();
    for (let i = 0; i < 400 && pages < 2000; i++) await settle();
    // The second page hands out the first's token again: the list fails there, and waits its backoff.
    expect(pages).toBe(2);
    expect(errors).toEqual(['host API: list of configmaps answered a continue token it had answered before']);
    expect(informer.hasSynced()).toBe(false);
    await informer.stop();
  });
});
