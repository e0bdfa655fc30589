import { gzipSync } from 'node:zlib';
import { Resources } from '../kube/resources.ts';
import { FakeCluster } from '../testing/fake-cluster.ts';
import { FakeClock } from '../util/clock.ts';
import { createLogger } from '../util/log.ts';
import { InitManifestsApplier, initManifestsRecordName, keptWithin } from './apply-manifests.ts';
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

function applier(
  virtual: FakeCluster,
  host: FakeCluster,
  text = MANIFESTS,
  clock = new FakeClock(),
  generation?: number,
  apiService?: string,
) {
  return new InitManifestsApplier({
    virtual,
    host,
    hostNamespace: 'host-ns',
    vcName: 'vc',
    apiService,
    text,
    source: 'init.yaml',
    generation,
    clock,
    logger: quiet(),
  });
}

/** A virtual cluster as a fresh control plane has it: its kube-system namespace (whose UID names it). */
function freshVirtual(uid = 'kube-system-1', Cluster = FakeCluster): FakeCluster {
  const virtual = new Cluster('virtual');
  virtual.seed(Resources.namespaces, { metadata: { name: 'kube-system', uid } });
  return virtual;
}

const ONE_CM = (name: string, data = 'x') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\ndata: {v: ${data}}\n`;

describe('init manifests, applied as vCluster applies them', () => {
  it('applies each object where it belongs (namespaced without a namespace: default), setting its manifest fields again, and records the manifests on the host', async () => {
    const virtual = freshVirtual();
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

  it("a host ConfigMap under the record's name that is not the record (another virtual cluster's tenant copy) is neither read nor replaced: the manifests wait", async () => {
    const virtual = freshVirtual();
    const host = new FakeCluster('host');
    // A neighbour's tenant copy (managed-by another virtual cluster) under this cluster's record name,
    // forged to look like a record of the manifests as they are, for this cluster.
    const forged = {
      metadata: {
        name: initManifestsRecordName('vc'),
        namespace: 'host-ns',
        labels: { 'vcluster.loft.sh/managed-by': 'other', 'vsyncer.dev/init-manifests-of': 'vc' },
        annotations: { 'vsyncer.dev/virtual-cluster-uid': 'kube-system-1' },
      },
      binaryData: { 'manifests.gz': gzipSync(MANIFESTS).toString('base64') },
    };
    host.seed(Resources.configMaps, forged);
    const clock = new FakeClock();
    const run = applier(virtual, host, MANIFESTS, clock);
    const result = run.start();
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(60_000);
    }
    run.stop();
    expect((await result).outcome).toBe('stopped');
    expect(host.writeLog()).toEqual([]);
    expect(virtual.objects(Resources.configMaps, 'tools')).toEqual([]);
  });

  it('while the manifests are unchanged, nothing is applied: a tenant may edit or delete what it was given', async () => {
    const virtual = freshVirtual();
    const host = new FakeCluster('host');
    await applier(virtual, host).start();
    await virtual.delete(Resources.configMaps, 'default', 'defaults');
    virtual.clearWrites();
    const again = await applier(virtual, host).start();
    expect(again.outcome).toBe('unchanged');
    expect(virtual.writeLog()).toEqual([]);
  });

  it('changed manifests: every object applied again, those no longer listed deleted (last first), the record replaced', async () => {
    const virtual = freshVirtual();
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

  it("an object dropped from the manifests that the tenant made anew under its name is the tenant's: it stays", async () => {
    const virtual = freshVirtual();
    const host = new FakeCluster('host');
    await applier(virtual, host).start();
    // The tenant deleted the applied ConfigMap and made its own of that name.
    await virtual.delete(Resources.configMaps, 'default', 'defaults');
    await virtual.create(Resources.configMaps, 'default', {
      metadata: { name: 'defaults', namespace: 'default' },
      data: { mine: 'yes' },
    });
    const changed = [
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: tools}',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: tools}\ndata: {mode: changed}',
    ].join('\n---\n');
    const result = await applier(virtual, host, changed).start();
    expect(result.deleted).toEqual(['PriorityClass tenant-batch']);
    expect(virtual.objects(Resources.configMaps, 'default').map((c) => c.data)).toEqual([{ mine: 'yes' }]);
  });

  it('an object the API server refuses is reported and not retried; the others are applied', async () => {
    const virtual = freshVirtual();
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
    const virtual = freshVirtual('kube-system-1', LateCrd) as LateCrd;
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
  it('a virtual cluster whose data was lost (another kube-system) gets every object again', async () => {
    const host = new FakeCluster('host');
    await applier(freshVirtual('first'), host).start();
    const again = freshVirtual('second');
    const result = await applier(again, host).start();
    expect(result.outcome).toBe('applied');
    expect(result.deleted).toEqual([]);
    expect(again.objects(Resources.configMaps, 'default').map((c) => c.metadata?.name)).toEqual(['defaults']);
  });

  it('older manifests than those recorded (a replica of the previous release leading for a while) undo nothing', async () => {
    const virtual = freshVirtual();
    const host = new FakeCluster('host');
    await applier(virtual, host, ONE_CM('new'), new FakeClock(), 3).start();
    virtual.clearWrites();
    const result = await applier(virtual, host, ONE_CM('old'), new FakeClock(), 2).start();
    expect(result.outcome).toBe('superseded');
    expect(virtual.writeLog()).toEqual([]);
  });

  it('a reinstall (the release revision back to 1, its API Service new) applies its manifests, though the record and the data outlived the uninstall', async () => {
    const virtual = freshVirtual();
    const host = new FakeCluster('host');
    host.seed(Resources.services, { metadata: { name: 'vc', namespace: 'host-ns', uid: 'first-install' } });
    await applier(virtual, host, ONE_CM('old'), new FakeClock(), 7, 'vc').start();
    // helm uninstall (syncer.setOwner=false: the record stays), then helm install.
    await host.delete(Resources.services, 'host-ns', 'vc');
    host.seed(Resources.services, { metadata: { name: 'vc', namespace: 'host-ns', uid: 'second-install' } });
    const result = await applier(virtual, host, ONE_CM('new'), new FakeClock(), 1, 'vc').start();
    expect(result).toMatchObject({ outcome: 'applied', deleted: ['ConfigMap default/old'] });
    expect(virtual.objects(Resources.configMaps, 'default').map((c) => c.metadata?.name)).toEqual(['new']);
    // Within that installation, older manifests (a replica of its revision 1 during an upgrade) undo nothing.
    await applier(virtual, host, ONE_CM('newer'), new FakeClock(), 2, 'vc').start();
    virtual.clearWrites();
    const late = await applier(virtual, host, ONE_CM('new'), new FakeClock(), 1, 'vc').start();
    expect(late.outcome).toBe('superseded');
    expect(virtual.writeLog()).toEqual([]);
  });

  it('a record that names no installation (written before it did) counts as an earlier one when it is older than the API Service', async () => {
    const clock = new FakeClock();
    const virtual = freshVirtual();
    const host = new FakeCluster('host', { clock });
    const apiService = { metadata: { name: 'vc', namespace: 'host-ns' } };
    const unnamed = async () => {
      const record = host.objects(Resources.configMaps, 'host-ns')[0]!;
      const { 'vsyncer.dev/init-manifests-installation': _, ...annotations } = record.metadata!.annotations!;
      await host.update(Resources.configMaps, 'host-ns', {
        ...record,
        metadata: { ...record.metadata, annotations },
      });
    };
    // Upgraded from such a syncer, within one installation: the generations are compared.
    host.seed(Resources.services, apiService);
    clock.advance(60_000);
    await applier(virtual, host, ONE_CM('v3'), new FakeClock(), 3, 'vc').start();
    await unnamed();
    expect((await applier(virtual, host, ONE_CM('v2'), new FakeClock(), 2, 'vc').start()).outcome).toBe(
      'superseded',
    );
    // Reinstalled: the API Service is newer than the record.
    await host.delete(Resources.services, 'host-ns', 'vc');
    clock.advance(60_000);
    host.seed(Resources.services, apiService);
    const result = await applier(virtual, host, ONE_CM('v1'), new FakeClock(), 1, 'vc').start();
    expect(result).toMatchObject({ outcome: 'applied', deleted: ['ConfigMap default/v3'] });
  });

  it('objects of a run that did not finish are deleted too once newer manifests drop them', async () => {
    const virtual = freshVirtual();
    const host = new FakeCluster('host');
    await applier(virtual, host, ONE_CM('v1')).start();
    // v2 is recorded as pending and its object applied, then the run stops (a restart, say).
    const clock = new FakeClock();
    virtual.failNext('delete', 'configmaps', 'unavailable');
    const interrupted = applier(virtual, host, ONE_CM('v2'), clock);
    const run = interrupted.start();
    await new Promise((r) => setImmediate(r));
    interrupted.stop();
    expect((await run).outcome).toBe('stopped');
    expect(
      virtual
        .objects(Resources.configMaps, 'default')
        .map((c) => c.metadata?.name)
        .sort(),
    ).toEqual(['v1', 'v2']);
    const result = await applier(virtual, host, ONE_CM('v3')).start();
    expect(result.deleted.sort()).toEqual(['ConfigMap default/v1', 'ConfigMap default/v2']);
  });

  it('objects of several runs in a row that did not finish are all deleted once later manifests drop them', async () => {
    const virtual = freshVirtual();
    const host = new FakeCluster('host');
    await applier(virtual, host, ONE_CM('v1')).start();
    // Each run stops midway (a restart): v1 fails and is retried later, the other object is applied.
    const interrupted = async (text: string) => {
      virtual.failNext('patch', 'configmaps', 'unavailable');
      const run = applier(virtual, host, text);
      const done = run.start();
      await new Promise((r) => setImmediate(r));
      run.stop();
      return (await done).outcome;
    };
    expect(await interrupted(ONE_CM('v1') + '---\n' + ONE_CM('xx'))).toBe('stopped');
    // The next manifests drop xx, and do not finish either.
    expect(await interrupted(ONE_CM('v1') + '---\n' + ONE_CM('yy'))).toBe('stopped');
    const result = await applier(virtual, host, ONE_CM('v1')).start();
    expect(result.deleted.sort()).toEqual(['ConfigMap default/xx', 'ConfigMap default/yy']);
    expect(virtual.objects(Resources.configMaps, 'default').map((c) => c.metadata?.name)).toEqual(['v1']);
    expect((await applier(virtual, host, ONE_CM('v1')).start()).outcome).toBe('unchanged');
  });

  it('the record keeps the newest objects of unfinished runs that fit in a ConfigMap; the oldest are forgotten', () => {
    const objects = Array.from({ length: 2_000 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `cm-${i}-${(i * 7919).toString(36)}` },
    }));
    expect(keptWithin(objects, 1024 * 1024)).toEqual({ kept: objects, forgotten: [] });
    const { kept, forgotten } = keptWithin(objects, 4_000);
    expect(kept.length).toBeGreaterThan(0);
    expect([...forgotten, ...kept]).toEqual(objects);
    expect(gzipSync(JSON.stringify(kept)).length).toBeLessThanOrEqual(4_000);
    expect(keptWithin(objects, -1).kept).toEqual([]);
  });

  it('an object the server will not let the syncer delete stays, with a warning; the run completes', async () => {
    const virtual = freshVirtual();
    const host = new FakeCluster('host');
    await applier(virtual, host, ONE_CM('dropped') + '---\n' + ONE_CM('kept')).start();
    virtual.failNext('delete', 'configmaps', 'forbidden');
    const result = await applier(virtual, host, ONE_CM('kept', 'y')).start();
    expect(result).toMatchObject({ outcome: 'applied', deleted: [] });
    expect((await applier(virtual, host, ONE_CM('kept', 'y')).start()).outcome).toBe('unchanged');
  });
});
