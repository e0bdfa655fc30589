import { jest } from '@jest/globals';
import type { ClusterClient, ListOptions, WatchEvent, WatchOptions } from '../kube/client.ts';
import { ApiError } from '../kube/errors.ts';
import type { KubeObject, ObjectList } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import { FakeClock } from '../util/clock.ts';
import { Informer } from './informer.ts';

jest.setTimeout(10_000);

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
}

class FakeClient {
  readonly name = 'host';
  lists: (ObjectList | Error)[] = [];
  listCalls = 0;
  watches: OpenWatch[] = [];
  async list<T extends KubeObject>(_t: unknown, _ns: string, _o: ListOptions = {}): Promise<ObjectList<T>> {
    this.listCalls++;
    const page = this.lists.shift();
    if (!page) throw new ApiError('host', 503, undefined, 'no list prepared');
    if (page instanceof Error) throw page;
    return page as ObjectList<T>;
  }
  watch(
    _t: unknown,
    _ns: string,
    options: WatchOptions,
    onEvent: (e: WatchEvent) => void,
    signal: AbortSignal,
  ) {
    return new Promise<void>((resolve) => {
      this.watches.push({ options, push: onEvent, close: () => resolve() });
      signal.addEventListener('abort', () => resolve());
    });
  }
  get current() {
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
  return { client, clock, informer };
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
    let died: unknown;
    (informer as unknown as { running: Promise<void> }).running.catch((e) => (died = e));
    client.current.push({ type: 'ERROR', object: status as KubeObject });
    await settle();
    // After any backoff, a healthy informer watches again (or lists).
    client.lists.push({ metadata: { resourceVersion: '20' }, items: [cm('a', '5')] });
    for (let i = 0; i < 5; i++) {
      clock.advance(10_000);
      await settle();
    }
    expect(died).toBeUndefined();
    expect(client.watches.length).toBeGreaterThan(1);
    await informer.stop().catch(() => {});
  });

  it('a list answered with an HTTP error whose Status has causes that are not an array keeps the informer running', async () => {
    const { client, clock, informer } = setup();
    // What RestClient.send builds from a 500 whose body is {"details":{"causes":"x"}}.
    client.lists.push(new ApiError('host', 500, { details: { causes: 'x' } } as never, 'HTTP 500'));
    informer.start();
    let died: unknown;
    (informer as unknown as { running: Promise<void> }).running.catch((e) => (died = e));
    await settle();
    client.lists.push({ metadata: { resourceVersion: '20' }, items: [cm('a', '5')] });
    for (let i = 0; i < 5; i++) {
      clock.advance(10_000);
      await settle();
    }
    expect(died).toBeUndefined();
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
    expect(client.listCalls).toBeGreaterThan(1);
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
