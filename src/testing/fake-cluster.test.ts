import type { WatchEvent } from '../kube/client.ts';
import { ApiError, isApiError, isConflict, isGone, isInvalid, isNotFound } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import { Informer } from '../informer/informer.ts';
import { FakeClock } from '../util/clock.ts';
import { apiError, FakeCluster, matchesLabelSelector } from './fake-cluster.ts';

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};
const cm = (name: string, namespace = 'ns', labels?: Record<string, string>): KubeObject => ({
  metadata: { name, namespace, ...(labels ? { labels } : {}) },
  data: { k: 'v' },
});
const pod = (name: string, extra: Partial<KubeObject> = {}): KubeObject => ({
  metadata: { name, namespace: 'ns' },
  spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
  ...extra,
});

/** Runs fn and returns what it threw, so a test can look at the error's fields. */
async function thrown(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

function watchAll(fake: FakeCluster, resourceVersion: string, labelSelector?: string) {
  const events: string[] = [];
  const controller = new AbortController();
  const done = fake.watch(
    Resources.configMaps,
    'ns',
    { resourceVersion, labelSelector, timeoutSeconds: 300, allowWatchBookmarks: true },
    (e: WatchEvent) =>
      events.push(`${e.type} ${e.object.metadata?.name}@${e.object.metadata?.resourceVersion}`),
    controller.signal,
  );
  return { events, done, stop: () => controller.abort() };
}

describe('FakeCluster: objects', () => {
  it('creates with uid, resourceVersion and timestamp, and hands out copies only', async () => {
    const fake = new FakeCluster('host', { clock: new FakeClock(0) });
    const input = cm('a');
    const created = await fake.create(Resources.configMaps, 'ns', input);
    expect(created.metadata).toMatchObject({
      name: 'a',
      namespace: 'ns',
      uid: 'a-uid-1',
      resourceVersion: '1',
      creationTimestamp: '1970-01-01T00:00:00Z',
    });
    expect(created).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
    (input.data as Record<string, string>).k = 'changed';
    (created.data as Record<string, string>).k = 'changed';
    const got = await fake.get(Resources.configMaps, 'ns', 'a');
    (got.data as Record<string, string>).k = 'changed';
    expect(fake.objects(Resources.configMaps)[0]!.data).toEqual({ k: 'v' });
    expect(fake.writeLog()).toEqual(['create configmaps ns/a']);
  });

  it('answers with the errors the REST client produces', async () => {
    const fake = new FakeCluster('virtual');
    await fake.create(Resources.configMaps, 'ns', cm('a'));
    const exists = await thrown(() => fake.create(Resources.configMaps, 'ns', cm('a')));
    expect(isApiError(exists, 'alreadyExists')).toBe(true);
    expect(isConflict(exists)).toBe(true);
    expect(exists).toMatchObject({ cluster: 'virtual', statusCode: 409, reason: 'AlreadyExists' });
    expect((exists as ApiError).message).toBe('virtual API: configmaps "a" already exists');
    const missing = await thrown(() => fake.get(Resources.leases, 'ns', 'x'));
    expect(isNotFound(missing)).toBe(true);
    expect((missing as ApiError).serverMessage).toBe('leases.coordination.k8s.io "x" not found');
    const withRv = await thrown(() =>
      fake.create(Resources.configMaps, 'ns', { metadata: { name: 'b', resourceVersion: '1' } }),
    );
    expect(withRv).toMatchObject({ statusCode: 500, kind: 'unavailable' });
    expect(fake.writeLog()).toEqual(['create configmaps ns/a']);
  });

  it('builds ApiErrors like a Status answer of each kind', () => {
    expect(apiError('gone', 'too old')).toMatchObject({ kind: 'gone', statusCode: 410, cluster: 'host' });
    expect(isGone(apiError('gone', 'x'))).toBe(true);
    expect(isInvalid(apiError('invalid', 'x', 'virtual'))).toBe(true);
    expect(apiError('forbidden', 'denied by quota').serverMessage).toBe('denied by quota');
    expect(apiError('network', 'connection refused')).toMatchObject({ kind: 'network', statusCode: 0 });
    for (const kind of [
      'conflict',
      'notFound',
      'tooManyRequests',
      'timeout',
      'unavailable',
      'other',
    ] as const)
      expect(apiError(kind, 'x').kind).toBe(kind);
  });

  it('names objects from generateName and logs cluster-scoped writes without a namespace', async () => {
    const fake = new FakeCluster('virtual');
    const a = await fake.create(Resources.configMaps, 'ns', { metadata: { generateName: 'gen-' } });
    const b = await fake.create(Resources.configMaps, 'ns', { metadata: { generateName: 'gen-' } });
    expect(a.metadata?.name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(b.metadata?.name).not.toBe(a.metadata?.name);
    await fake.create(Resources.nodes, '', { metadata: { name: 'kwok-node-0' }, status: { phase: 'x' } });
    expect(fake.objects(Resources.nodes)[0]!.status).toEqual({ phase: 'x' });
    expect(fake.writeLog().slice(2)).toEqual(['create nodes kwok-node-0']);
  });

  it('seeds fixtures without recording writes and keeps resourceVersions increasing', () => {
    const fake = new FakeCluster('host');
    const seeded = fake.seed(Resources.pods, pod('p', { status: { phase: 'Running' } }));
    expect(seeded.metadata).toMatchObject({ uid: 'p-uid-1', resourceVersion: '1' });
    expect(seeded.status).toEqual({ phase: 'Running' });
    fake.seed(Resources.configMaps, {
      ...cm('b'),
      metadata: { name: 'b', namespace: 'ns', resourceVersion: '40' },
    });
    expect(fake.seed(Resources.configMaps, cm('c')).metadata?.resourceVersion).toBe('41');
    expect(fake.writes).toEqual([]);
  });
});

describe('FakeCluster: update, patch, delete', () => {
  it('rejects a stale resourceVersion, keeps status on a plain update and skips no-op writes', async () => {
    const fake = new FakeCluster('host');
    const created = await fake.create(Resources.pods, 'ns', pod('p', { status: { phase: 'Running' } }));
    expect(created.status).toEqual({ phase: 'Pending' }); // create resets status, as the real API does
    const withStatus = await fake.update(
      Resources.pods,
      'ns',
      { ...created, status: { phase: 'Running' } },
      { subresource: 'status' },
    );
    const stale = await thrown(() =>
      fake.update(Resources.pods, 'ns', { ...created, metadata: created.metadata }),
    );
    expect(stale).toMatchObject({ kind: 'conflict', reason: 'Conflict' });
    const relabelled = await fake.update(Resources.pods, 'ns', {
      ...withStatus,
      metadata: { ...withStatus.metadata, labels: { a: 'b' } },
      status: { phase: 'Failed' },
    });
    expect(relabelled.status).toEqual({ phase: 'Running' });
    const again = await fake.update(Resources.pods, 'ns', relabelled);
    expect(again.metadata?.resourceVersion).toBe(relabelled.metadata?.resourceVersion);
    expect(fake.writeLog()).toEqual([
      'create pods ns/p',
      'update pods/status ns/p',
      'update pods ns/p',
      'update pods ns/p',
    ]);
  });

  it('refuses pod spec changes a real API server refuses, and data changes of immutable config maps', async () => {
    const fake = new FakeCluster('host');
    const p = await fake.create(Resources.pods, 'ns', pod('p'));
    const image = await fake.update(Resources.pods, 'ns', {
      ...p,
      spec: { containers: [{ name: 'c', image: 'nginx:2' }] },
    });
    expect(image.spec).toEqual({ containers: [{ name: 'c', image: 'nginx:2' }] });
    const renamed = await thrown(() =>
      fake.update(Resources.pods, 'ns', {
        ...image,
        spec: { containers: [{ name: 'd', image: 'nginx:2' }] },
      }),
    );
    expect(isInvalid(renamed)).toBe(true);
    const frozen = await fake.create(Resources.configMaps, 'ns', { ...cm('f'), immutable: true });
    const changed = await thrown(() =>
      fake.update(Resources.configMaps, 'ns', { ...frozen, data: { k: 'w' } }),
    );
    expect(changed).toMatchObject({ kind: 'invalid', statusCode: 422, reason: 'Invalid' });
    await fake.update(Resources.configMaps, 'ns', {
      ...frozen,
      metadata: { ...frozen.metadata, labels: { x: 'y' } },
    });
  });

  it('folds secret stringData into base64 data', async () => {
    const fake = new FakeCluster('host');
    const s = await fake.create(Resources.secrets, 'ns', {
      metadata: { name: 's' },
      stringData: { t: 'hi' },
    });
    expect(s.data).toEqual({ t: 'aGk=' });
    expect(s.stringData).toBeUndefined();
  });

  it('applies merge and json patches, with a resourceVersion in the patch as precondition', async () => {
    const fake = new FakeCluster('virtual');
    await fake.create(Resources.configMaps, 'ns', { ...cm('a', 'ns', { keep: '1', drop: '1' }) });
    const merged = await fake.patch(
      Resources.configMaps,
      'ns',
      'a',
      { metadata: { labels: { drop: null, add: '2' } }, data: { k2: 'v2' } },
      'merge',
    );
    expect(merged.metadata?.labels).toEqual({ keep: '1', add: '2' });
    expect(merged.data).toEqual({ k: 'v', k2: 'v2' });
    const patched = await fake.patch(
      Resources.configMaps,
      'ns',
      'a',
      [
        { op: 'replace', path: '/data/k', value: 'w' },
        { op: 'remove', path: '/data/k2' },
        { op: 'add', path: '/metadata/annotations', value: { 'x/y': 'z' } },
      ],
      'json',
    );
    expect(patched.data).toEqual({ k: 'w' });
    expect(patched.metadata?.annotations).toEqual({ 'x/y': 'z' });
    const stale = await thrown(() =>
      fake.patch(Resources.configMaps, 'ns', 'a', { metadata: { resourceVersion: '1' } }, 'merge'),
    );
    expect(isConflict(stale)).toBe(true);
    const bad = await thrown(() =>
      fake.patch(Resources.configMaps, 'ns', 'a', [{ op: 'remove', path: '/nope' }], 'json'),
    );
    expect(isInvalid(bad)).toBe(true);
    // Server-side apply, roughly: an existing object gets the applied fields, a missing one is made.
    const applied = await fake.patch(Resources.configMaps, 'ns', 'a', { data: { k2: 'applied' } }, 'apply');
    expect(applied.data).toEqual({ k: 'w', k2: 'applied' });
    await fake.patch(Resources.configMaps, 'ns', 'b', cm('b'), 'apply');
    expect(fake.writeLog()).toEqual([
      'create configmaps ns/a',
      'patch configmaps ns/a',
      'patch configmaps ns/a',
      'patch configmaps ns/a',
      'create configmaps ns/b',
    ]);
  });

  it('deletes with a uid precondition', async () => {
    const fake = new FakeCluster('host');
    await fake.create(Resources.configMaps, 'ns', cm('a'));
    const wrongUid = await thrown(() => fake.delete(Resources.configMaps, 'ns', 'a', { uid: 'other' }));
    expect(wrongUid).toMatchObject({ kind: 'conflict' });
    expect((wrongUid as ApiError).serverMessage).toMatch(/Precondition failed: UID in precondition: other/);
    await fake.delete(Resources.configMaps, 'ns', 'a', { uid: 'a-uid-1' });
    expect(fake.objects(Resources.configMaps)).toEqual([]);
    expect(isNotFound(await thrown(() => fake.delete(Resources.configMaps, 'ns', 'a')))).toBe(true);
    expect(fake.writeLog()).toEqual(['create configmaps ns/a', 'delete configmaps ns/a']);
  });

  it('keeps a scheduled pod terminating until finishDeletion when deletion is graceful', async () => {
    const fake = new FakeCluster('host', { podGraceful: true, clock: new FakeClock(0) });
    fake.seed(Resources.pods, pod('bound', { spec: { nodeName: 'n1', containers: [] } }));
    fake.seed(Resources.pods, pod('pending'));
    await fake.delete(Resources.pods, 'ns', 'bound');
    await fake.delete(Resources.pods, 'ns', 'pending'); // no kubelet runs it: gone at once
    const [terminating, ...rest] = fake.objects(Resources.pods);
    expect(rest).toEqual([]);
    expect(terminating!.metadata).toMatchObject({
      name: 'bound',
      deletionTimestamp: '1970-01-01T00:00:00Z',
      deletionGracePeriodSeconds: 30,
    });
    fake.finishDeletion(Resources.pods, 'ns', 'bound');
    expect(fake.objects(Resources.pods)).toEqual([]);
  });
});

describe('FakeCluster: subresources', () => {
  it('binds a pod to a node once, checking the uid', async () => {
    const fake = new FakeCluster('virtual');
    const p = await fake.create(Resources.pods, 'ns', pod('p'));
    const binding = (uid?: string) => ({
      metadata: { name: 'p', namespace: 'ns', uid },
      target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' },
    });
    const wrongUid = await thrown(() =>
      fake.create(Resources.pods, 'ns', binding('other'), { subresource: 'binding', name: 'p' }),
    );
    expect(isConflict(wrongUid)).toBe(true);
    await fake.create(Resources.pods, 'ns', binding(p.metadata?.uid), { subresource: 'binding', name: 'p' });
    const bound = await fake.get(Resources.pods, 'ns', 'p');
    expect((bound.spec as { nodeName?: string }).nodeName).toBe('node-1');
    const twice = await thrown(() =>
      fake.create(Resources.pods, 'ns', binding(), { subresource: 'binding', name: 'p' }),
    );
    expect(isApiError(twice, 'conflict')).toBe(true);
    expect(fake.writeLog()).toEqual(['create pods ns/p', 'create pods/binding ns/p']);
  });

  it('mints tokens for a service account without storing anything', async () => {
    const fake = new FakeCluster('virtual', { clock: new FakeClock(1_000_000) });
    fake.seed(Resources.serviceAccounts, { metadata: { name: 'default', namespace: 'ns' } });
    const request = { spec: { audiences: ['api'], expirationSeconds: 3600 } };
    const answer = await fake.create(Resources.serviceAccounts, 'ns', request, {
      subresource: 'token',
      name: 'default',
    });
    const status = answer.status as { token: string; expirationTimestamp: string };
    expect(status.token).toBeTruthy();
    expect(Date.parse(status.expirationTimestamp)).toBe(1_000_000 + 3600_000);
    expect(fake.objects(Resources.serviceAccounts)).toHaveLength(1);
    const noAccount = await thrown(() =>
      fake.create(Resources.serviceAccounts, 'ns', request, { subresource: 'token', name: 'missing' }),
    );
    expect(isNotFound(noAccount)).toBe(true);
    expect(fake.writeLog()).toEqual(['create serviceaccounts/token ns/default']);
  });

  it('writes only .status through status and only ephemeral containers through ephemeralcontainers', async () => {
    const fake = new FakeCluster('host');
    const p = await fake.create(Resources.pods, 'ns', pod('p'));
    const statusOnly = await fake.update(
      Resources.pods,
      'ns',
      { ...p, metadata: { ...p.metadata, labels: { ignored: 'yes' } }, status: { phase: 'Running' } },
      { subresource: 'status' },
    );
    expect(statusOnly.metadata?.labels).toBeUndefined();
    expect(statusOnly.status).toEqual({ phase: 'Running' });
    const debug = { name: 'debug', image: 'busybox' };
    const withDebug = await fake.update(
      Resources.pods,
      'ns',
      {
        ...statusOnly,
        spec: { containers: [{ name: 'c', image: 'changed' }], ephemeralContainers: [debug] },
      },
      { subresource: 'ephemeralcontainers' },
    );
    expect(withDebug.spec).toEqual({
      containers: [{ name: 'c', image: 'nginx:1' }],
      ephemeralContainers: [debug],
    });
    const removed = await thrown(() =>
      fake.update(Resources.pods, 'ns', { ...withDebug, spec: {} }, { subresource: 'ephemeralcontainers' }),
    );
    expect(isInvalid(removed)).toBe(true);
    const noStatus = await thrown(() =>
      fake.update(Resources.configMaps, 'ns', cm('x'), { subresource: 'status' }),
    );
    expect(isNotFound(noStatus)).toBe(true);
  });

  it('resize takes only container resources, refuses what the real API server refuses, and counts generations', async () => {
    const fake = new FakeCluster('host');
    const withResources = (cpu: string, extra: Record<string, string> = {}) => ({
      ...pod('p'),
      spec: { containers: [{ name: 'c', image: 'nginx:1', resources: { requests: { cpu, ...extra } } }] },
    });
    const p = await fake.create(Resources.pods, 'ns', withResources('100m'));
    expect(p.metadata?.generation).toBe(1);
    const resize = (body: KubeObject) => fake.update(Resources.pods, 'ns', body, { subresource: 'resize' });
    const resized = await resize({
      ...p,
      metadata: { ...p.metadata, labels: { ignored: 'yes' } },
      spec: { containers: [{ name: 'c', image: 'ignored', resources: { requests: { cpu: '200m' } } }] },
    });
    expect(resized.spec).toEqual(withResources('200m').spec);
    expect(resized.metadata?.labels).toBeUndefined();
    expect(resized.metadata?.generation).toBe(2);
    for (const refused of [
      { ...resized, spec: { containers: [{ name: 'c', resources: {} }] } },
      withResources('200m', { 'ephemeral-storage': '1Gi' }),
      { ...resized, spec: { containers: [{ name: 'other', resources: { requests: { cpu: '1' } } }] } },
    ])
      expect(isInvalid(await thrown(() => resize(refused)))).toBe(true);
    // A running container whose kubelet reports no resources cannot be resized.
    const running = await fake.update(
      Resources.pods,
      'ns',
      { ...resized, status: { containerStatuses: [{ name: 'c', state: { running: {} } }] } },
      { subresource: 'status' },
    );
    expect(running.metadata?.generation).toBe(2);
    expect(isInvalid(await thrown(() => resize(withResources('300m'))))).toBe(true);
  });
});

describe('FakeCluster: selectors and lists', () => {
  it('matches equality, existence and set-based label selectors', () => {
    const labels = { app: 'web', tier: 'front' };
    const cases: [string, boolean][] = [
      ['', true],
      ['app=web', true],
      ['app==web', true],
      ['app!=web', false],
      ['missing!=x', true],
      ['app', true],
      ['!app', false],
      ['!missing', true],
      ['app in (db, web)', true],
      ['app notin (web)', false],
      ['missing notin (web)', true],
      ['app=web,tier in (back,edge)', false],
      ['app=web, tier in (front,edge), !missing', true],
    ];
    for (const [selector, expected] of cases)
      expect([selector, matchesLabelSelector(selector, labels)]).toEqual([selector, expected]);
  });

  it('lists by namespace, labels and fields, without type meta on items', async () => {
    const fake = new FakeCluster('host');
    fake.seed(Resources.configMaps, cm('a', 'ns', { app: 'web' }));
    fake.seed(Resources.configMaps, cm('b', 'ns', { app: 'db' }));
    fake.seed(Resources.configMaps, cm('c', 'other', { app: 'web' }));
    const names = async (ns: string, labelSelector?: string, fieldSelector?: string) =>
      (await fake.list(Resources.configMaps, ns, { labelSelector, fieldSelector })).items.map(
        (o) => `${o.metadata?.namespace}/${o.metadata?.name}`,
      );
    expect(await names('ns')).toEqual(['ns/a', 'ns/b']);
    expect(await names('', 'app=web')).toEqual(['ns/a', 'other/c']);
    expect(await names('', undefined, 'metadata.name=b')).toEqual(['ns/b']);
    expect(await names('', 'app', 'metadata.namespace!=ns')).toEqual(['other/c']);
    const all = await fake.list(Resources.configMaps, '', { limit: 1 });
    expect(all).toMatchObject({ kind: 'ConfigMapList', metadata: { resourceVersion: '3' } });
    expect(all.items).toHaveLength(3);
    expect(all.items[0]!.kind).toBeUndefined();
    expect(
      isApiError(
        await thrown(() => fake.list(Resources.configMaps, '', { labelSelector: 'a in b' })),
        'invalid',
      ),
    ).toBe(true);
  });

  it('fails the next matching call once with an injected error', async () => {
    const fake = new FakeCluster('host');
    fake.seed(Resources.pods, pod('p'));
    fake.failNext('update', 'pods/status', 'forbidden');
    fake.failNext('get', 'pods', new Error('boom'));
    await expect(fake.get(Resources.pods, 'ns', 'p')).rejects.toThrow('boom');
    const p = await fake.get(Resources.pods, 'ns', 'p');
    await fake.update(Resources.pods, 'ns', p); // a plain update is not the status subresource
    const denied = await thrown(() => fake.update(Resources.pods, 'ns', p, { subresource: 'status' }));
    expect(denied).toMatchObject({ kind: 'forbidden', cluster: 'host', statusCode: 403 });
    await fake.update(Resources.pods, 'ns', p, { subresource: 'status' });
    expect(fake.writeLog()).toEqual(['update pods ns/p', 'update pods/status ns/p']);
    fake.clearWrites();
    expect(fake.writeLog()).toEqual([]);
    expect(await fake.serverVersion()).toBe('v1.37.2');
  });

  it('runs an action once, at the next matching call, before answering it', async () => {
    const fake = new FakeCluster('host');
    fake.seed(Resources.pods, pod('p'));
    const p = await fake.get(Resources.pods, 'ns', 'p');
    fake.actOnNext('update', 'pods', () =>
      fake.seed(Resources.pods, { ...p, metadata: { ...p.metadata, labels: { by: 'other' } } }),
    );
    // The other client's write came first: the caller's resourceVersion is stale.
    expect(await thrown(() => fake.update(Resources.pods, 'ns', p))).toMatchObject({ kind: 'conflict' });
    const current = await fake.get(Resources.pods, 'ns', 'p');
    expect(current.metadata?.labels).toEqual({ by: 'other' });
    await fake.update(Resources.pods, 'ns', current);
  });
});

describe('FakeCluster: watch', () => {
  it('delivers later writes asynchronously, in order, and ends when aborted', async () => {
    const fake = new FakeCluster('host');
    fake.seed(Resources.configMaps, cm('old'));
    const w = watchAll(fake, '1');
    const a = await fake.create(Resources.configMaps, 'ns', cm('a'));
    await fake.create(Resources.configMaps, 'other', cm('elsewhere', 'other'));
    await fake.create(Resources.secrets, 'ns', { metadata: { name: 'a' } });
    await fake.update(Resources.configMaps, 'ns', { ...a, data: { k: 'w' } });
    await fake.delete(Resources.configMaps, 'ns', 'a');
    fake.seed(Resources.configMaps, cm('z'));
    expect(w.events).toEqual(['ADDED a@2', 'MODIFIED a@5', 'DELETED a@6']); // z not yet: never synchronous
    await settle();
    expect(w.events).toEqual(['ADDED a@2', 'MODIFIED a@5', 'DELETED a@6', 'ADDED z@7']);
    w.stop();
    await w.done;
    await fake.create(Resources.configMaps, 'ns', cm('late'));
    await settle();
    expect(w.events).toHaveLength(4);
  });

  it('turns selector transitions into ADDED and DELETED', async () => {
    const fake = new FakeCluster('host');
    const w = watchAll(fake, '0', 'app=web');
    const a = await fake.create(Resources.configMaps, 'ns', cm('a', 'ns', { app: 'db' }));
    const web = await fake.update(Resources.configMaps, 'ns', {
      ...a,
      metadata: { ...a.metadata, labels: { app: 'web' } },
    });
    const webAgain = await fake.patch(Resources.configMaps, 'ns', 'a', { data: { k: 'x' } }, 'merge');
    await fake.update(Resources.configMaps, 'ns', {
      ...webAgain,
      metadata: { ...webAgain.metadata, labels: {} },
    });
    await settle();
    expect(web.metadata?.resourceVersion).toBe('2');
    expect(w.events).toEqual(['ADDED a@2', 'MODIFIED a@3', 'DELETED a@4']);
    w.stop();
  });

  it('replays history after an old resourceVersion, and sends 410 Gone after compact', async () => {
    const fake = new FakeCluster('host');
    fake.seed(Resources.configMaps, cm('a'));
    fake.seed(Resources.configMaps, cm('b'));
    const replay = watchAll(fake, '1');
    await settle();
    expect(replay.events).toEqual(['ADDED b@2']);
    replay.stop();
    fake.compact();
    const fresh = watchAll(fake, '2');
    const stale = watchAll(fake, '1');
    const staleEvents: WatchEvent[] = [];
    await fake.watch(
      Resources.configMaps,
      'ns',
      { resourceVersion: '1', timeoutSeconds: 300, allowWatchBookmarks: false },
      (e) => staleEvents.push(e),
      new AbortController().signal,
    );
    expect(staleEvents).toHaveLength(1);
    expect(staleEvents[0]).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
    await stale.done; // the server closes a watch after its ERROR event
    expect(stale.events).toEqual(['ERROR undefined@undefined']);
    fake.seed(Resources.configMaps, cm('c'));
    await settle();
    expect(fresh.events).toEqual(['ADDED c@3']);
    fresh.stop();
  });

  it('ends at its server-side timeout and on closeWatches', async () => {
    const clock = new FakeClock(0);
    const fake = new FakeCluster('host', { clock });
    let ended = false;
    const done = fake.watch(
      Resources.configMaps,
      '',
      { resourceVersion: '0', timeoutSeconds: 60, allowWatchBookmarks: false },
      () => {},
      new AbortController().signal,
    );
    void done.then(() => (ended = true));
    clock.advance(59_000);
    await settle();
    expect(ended).toBe(false);
    clock.advance(1000);
    await settle();
    expect(ended).toBe(true);
    const second = watchAll(fake, '0');
    fake.closeWatches();
    await second.done;
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('FakeCluster under the real Informer', () => {
  it('lists, then follows adds, updates and deletes through the watch', async () => {
    const fake = new FakeCluster('host');
    fake.seed(Resources.configMaps, cm('a'));
    fake.seed(Resources.configMaps, cm('b'));
    fake.seed(Resources.configMaps, cm('other-ns', 'other'));
    const informer = new Informer<KubeObject>({
      client: fake,
      type: Resources.configMaps,
      namespace: 'ns',
      clock: new FakeClock(0),
      watchTimeoutSeconds: [300, 300],
      inactivityTimeoutMs: 60_000,
    });
    const events: string[] = [];
    informer.addHandlers({
      onAdd: (o) => events.push(`add ${o.metadata?.name}`),
      onUpdate: (_old, o) => events.push(`update ${o.metadata?.name}`),
      onDelete: (o) => events.push(`delete ${o.metadata?.name}`),
    });
    informer.start();
    await informer.waitForSync();
    await settle();
    expect(informer.currentPhase).toBe('watching');
    const c = await fake.create(Resources.configMaps, 'ns', cm('c'));
    await fake.update(Resources.configMaps, 'ns', { ...c, data: { k: 'changed' } });
    await fake.delete(Resources.configMaps, 'ns', 'a');
    await fake.create(Resources.configMaps, 'other', cm('ignored', 'other'));
    await settle();
    expect(events).toEqual(['add a', 'add b', 'add c', 'update c', 'delete a']);
    const byName = (a: KubeObject, b: KubeObject) =>
      (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
    expect(informer.store.list().sort(byName)).toEqual(fake.objects(Resources.configMaps, 'ns'));
    await informer.stop();
  });

  it('re-lists after a 410 Gone from a compacted history', async () => {
    const fake = new FakeCluster('host');
    fake.seed(Resources.configMaps, cm('a'));
    const clock = new FakeClock(0);
    const informer = new Informer<KubeObject>({
      client: fake,
      type: Resources.configMaps,
      namespace: 'ns',
      clock,
      watchTimeoutSeconds: [300, 300],
    });
    informer.start();
    await informer.waitForSync();
    await settle();
    fake.seed(Resources.configMaps, cm('b'));
    fake.compact();
    // Closed before b's event arrived: the informer re-watches from a version that is now too old.
    fake.closeWatches();
    await settle();
    clock.advance(1000); // the backoff after a watch that delivered nothing
    await settle();
    fake.seed(Resources.configMaps, cm('c'));
    await settle();
    expect(informer.store.keys().sort()).toEqual(['ns/a', 'ns/b', 'ns/c']);
    await informer.stop();
  });
});
