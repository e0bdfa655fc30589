import { Resources } from '../kube/resources.ts';
import { FakeCluster } from '../testing/fake-cluster.ts';
import { FakeClock } from '../util/clock.ts';
import { createLogger } from '../util/log.ts';
import { InitManifestsApplier, initManifestsRecordName } from './apply-manifests.ts';
import { ManifestError, parseManifests } from './init-manifests.ts';

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

const quiet = () => createLogger({ level: 'error', format: 'text', write: () => {} });

function applier(virtual: FakeCluster, host: FakeCluster, text = MANIFESTS, clock = new FakeClock()) {
  return new InitManifestsApplier({
    virtual,
    host,
    hostNamespace: 'host-ns',
    vcName: 'vc',
    text,
    source: 'init.yaml',
    clock,
    logger: quiet(),
  });
}

describe('init manifests, applied as vCluster applies them', () => {
  it('applies each object where it belongs (namespaced without a namespace: default), setting its manifest fields again, and records the manifests on the host', async () => {
    const virtual = new FakeCluster('virtual');
    const host = new FakeCluster('host');
    virtual.seed(Resources.configMaps, {
      metadata: { name: 'settings', namespace: 'tools', labels: { tenant: 'added' } },
      data: { mode: 'edited' },
    });
    const result = await applier(virtual, host).start();
    expect(result).toEqual({
      outcome: 'applied',
      applied: [
        'Namespace tools',
        'ConfigMap tools/settings',
        'ConfigMap default/defaults',
        'PriorityClass tenant-batch',
      ],
      refused: [],
      deleted: [],
    });
    const settings = virtual.objects(Resources.configMaps, 'tools')[0]!;
    expect(settings.data).toEqual({ mode: 'strict' });
    expect(settings.metadata?.labels).toEqual({ tenant: 'added' });
    expect(virtual.objects(Resources.configMaps, 'default')[0]!.data).toEqual({ mode: 'lax' });
    // Cluster-scoped: the namespace a manifest gave it is dropped.
    expect(virtual.objects(Resources.priorityClasses)[0]!.metadata?.namespace).toBeUndefined();
    const record = host.objects(Resources.configMaps, 'host-ns')[0]!;
    expect(record.metadata).toMatchObject({
      name: initManifestsRecordName('vc'),
      labels: { 'app.kubernetes.io/name': 'vsyncer', 'vsyncer.dev/init-manifests-of': 'vc' },
    });
  });

  it('while the manifests are unchanged, nothing is applied: a tenant may edit or delete what it was given', async () => {
    const virtual = new FakeCluster('virtual');
    const host = new FakeCluster('host');
    await applier(virtual, host).start();
    await virtual.delete(Resources.configMaps, 'default', 'defaults');
    virtual.clearWrites();
    const again = await applier(virtual, host).start();
    expect(again.outcome).toBe('unchanged');
    expect(virtual.writeLog()).toEqual([]);
  });

  it('changed manifests: every object applied again, those no longer listed deleted (last first), the record replaced', async () => {
    const virtual = new FakeCluster('virtual');
    const host = new FakeCluster('host');
    await applier(virtual, host).start();
    const changed = [
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: tools}',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: tools}\ndata: {mode: changed}',
    ].join('\n---\n');
    virtual.clearWrites();
    const result = await applier(virtual, host, changed).start();
    expect(result.deleted).toEqual(['PriorityClass tenant-batch', 'ConfigMap default/defaults']);
    expect(virtual.objects(Resources.configMaps, 'tools')[0]!.data).toEqual({ mode: 'changed' });
    expect(virtual.objects(Resources.priorityClasses)).toEqual([]);
    expect(virtual.objects(Resources.configMaps, 'default')).toEqual([]);
    // Recorded: the same manifests once more change nothing.
    expect((await applier(virtual, host, changed).start()).outcome).toBe('unchanged');
  });

  it('an object the API server refuses is reported and not retried; the others are applied', async () => {
    const virtual = new FakeCluster('virtual');
    const host = new FakeCluster('host');
    virtual.failNext('patch', 'configmaps', 'invalid');
    const result = await applier(virtual, host).start();
    expect(result.refused).toEqual(['ConfigMap tools/settings']);
    expect(result.applied).toContain('ConfigMap default/defaults');
  });

  it('a kind not served yet holds up none of the objects after it, and is applied once it is served', async () => {
    class LateCrd extends FakeCluster {
      served = false;
      override async servedResources(groupVersion: string) {
        if (groupVersion !== 'example.com/v1') return super.servedResources(groupVersion);
        if (!this.served) throw new Error('example.com/v1 is not served');
        return [{ name: 'configmaps', kind: 'Widget', namespaced: true }];
      }
    }
    const virtual = new LateCrd('virtual');
    const clock = new FakeClock();
    const run = applier(
      virtual,
      new FakeCluster('host'),
      'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: after}\n',
      clock,
    ).start();
    await new Promise((r) => setImmediate(r));
    expect(virtual.writeLog()).toEqual(['create configmaps default/after']);
    virtual.served = true;
    clock.advance(1_000);
    expect((await run).applied).toEqual(['ConfigMap default/after', 'Widget default/w']);
  });
});
