import { Resources } from '../kube/resources.ts';
import { FakeCluster } from '../testing/fake-cluster.ts';
import { FakeClock } from '../util/clock.ts';
import { createLogger } from '../util/log.ts';
import { MissingObjectCreator } from './create-missing.ts';
import { DiscoveryResolver, initManifestObjects, ManifestError, parseManifests } from './init-manifests.ts';

const MANIFESTS = `
apiVersion: v1
kind: Namespace
metadata:
  name: tools
---
# an empty document is skipped
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: { name: settings, namespace: tools }
    data: { mode: strict }
  - apiVersion: v1
    kind: ConfigMap
    metadata: { name: defaults }
    data: { mode: lax }
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: { name: tenant-batch, namespace: ignored }
value: 100
`;

describe('parseManifests', () => {
  it('reads documents in order, expands Lists, skips empty documents', () => {
    const objects = parseManifests(MANIFESTS, 'init.yaml');
    expect(objects.map((o) => `${o.kind} ${o.metadata?.name}`)).toEqual([
      'Namespace tools',
      'ConfigMap settings',
      'ConfigMap defaults',
      'PriorityClass tenant-batch',
    ]);
  });

  it.each([
    [
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n- 1\n',
      'init.yaml, document 2: must be an object',
    ],
    [
      'kind: ConfigMap\nmetadata: {name: a}\n',
      'init.yaml, document 1: apiVersion must be a non-empty string',
    ],
    [
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: a-}\n',
      'document 1: metadata.name must be a non-empty string',
    ],
    ['apiVersion: v1\nkind: List\nitems: {}\n', 'document 1: a List must have items'],
    [
      'apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: ConfigMap}]\n',
      'document 1, item 1: metadata.name',
    ],
    ['apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [\n', 'init.yaml, document 1:'],
  ])('refuses %j, naming the document', (text, message) => {
    expect(() => parseManifests(text, 'init.yaml')).toThrow(ManifestError);
    expect(() => parseManifests(text, 'init.yaml')).toThrow(message);
  });
});

describe('parseManifests, as kubectl reads', () => {
  it('YAML 1.1: octal modes, merge keys; lists in lists; a custom *List kind without items is an object', () => {
    const [secret, nested, shopping] = parseManifests(
      [
        'apiVersion: v1',
        'kind: Secret',
        'metadata: {name: s}',
        'defaults: &d {defaultMode: 0644}',
        'spec:',
        '  <<: *d',
        '---',
        'apiVersion: v1',
        'kind: List',
        'items:',
        '  - apiVersion: v1',
        '    kind: List',
        '    items: [{apiVersion: v1, kind: ConfigMap, metadata: {name: inner}}]',
        '---',
        'apiVersion: example.com/v1',
        'kind: ShoppingList',
        'metadata: {name: groceries}',
      ].join('\n'),
      'init.yaml',
    );
    expect(secret!.spec).toEqual({ defaultMode: 0o644 });
    expect(nested!.metadata?.name).toBe('inner');
    expect(shopping!.kind).toBe('ShoppingList');
  });
});

describe('init manifests, created through discovery', () => {
  function creator(virtual: FakeCluster) {
    const objects = parseManifests(MANIFESTS, 'init.yaml');
    return new MissingObjectCreator({
      client: virtual,
      what: 'init manifest',
      objects: initManifestObjects(objects, new DiscoveryResolver(virtual)),
      clock: new FakeClock(),
      logger: createLogger({ level: 'error', format: 'text', write: () => {} }),
    });
  }

  it('creates each missing object where it belongs (namespaced without a namespace: default); an existing one is left as it is', async () => {
    const virtual = new FakeCluster('virtual');
    virtual.seed(Resources.configMaps, {
      metadata: { name: 'settings', namespace: 'tools' },
      data: { mode: 'edited' },
    });
    const result = await creator(virtual).start();
    expect(result).toEqual({
      outcome: 'done',
      created: ['Namespace tools', 'ConfigMap default/defaults', 'PriorityClass tenant-batch'],
      existing: ['ConfigMap tools/settings'],
      refused: [],
    });
    expect(virtual.objects(Resources.configMaps, 'tools')[0]!.data).toEqual({ mode: 'edited' });
    expect(virtual.objects(Resources.configMaps, 'default')[0]!.data).toEqual({ mode: 'lax' });
    // Cluster-scoped: the namespace a manifest gave it is dropped.
    expect(virtual.objects(Resources.priorityClasses)[0]!.metadata?.namespace).toBeUndefined();
  });

  it('a kind not served yet holds up none of the objects after it, and is created once it is served', async () => {
    const virtual = new FakeCluster('virtual');
    const objects = parseManifests(
      'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: after}\n',
      'x.yaml',
    );
    const clock = new FakeClock();
    let served = false;
    const widgets = {
      group: 'example.com',
      version: 'v1',
      resource: 'configmaps',
      kind: 'Widget',
      namespaced: true,
    };
    const items = initManifestObjects(objects, new DiscoveryResolver(virtual));
    const first = items[0]!;
    first.resolveType = async () => {
      if (!served) throw new Error('Widget is not served in example.com/v1 (yet)');
      return widgets;
    };
    const run = new MissingObjectCreator({
      client: virtual,
      what: 'init manifest',
      objects: items,
      clock,
      logger: createLogger({ level: 'error', format: 'text', write: () => {} }),
    }).start();
    await new Promise((r) => setImmediate(r));
    expect(virtual.writeLog()).toEqual(['create configmaps default/after']);
    served = true;
    clock.advance(1_000);
    expect((await run).created).toEqual(['ConfigMap default/after', 'Widget default/w']);
  });

  it('a kind the server does not serve is waited for (retried), never skipped', async () => {
    const virtual = new FakeCluster('virtual');
    const objects = parseManifests(
      'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n',
      'x.yaml',
    );
    const resolver = new DiscoveryResolver(virtual);
    await expect(initManifestObjects(objects, resolver)[0]!.resolveType!()).rejects.toThrow(
      'example.com/v1 is not served',
    );
  });
});
