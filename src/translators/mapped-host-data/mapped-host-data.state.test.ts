import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../../testing/state-table.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const CM = Resources.configMaps;
const SECRET = Resources.secrets;
const NS = Resources.namespaces;

const cm = (namespace: string, name: string, data: Record<string, string>, labels = {}): Seed => [
  CM,
  { metadata: { name, namespace, labels, annotations: { note: 'from the host' } }, data },
];
const find = (t: StateTable, type = CM, namespace: string, name: string) =>
  t.virtual.objects(type, namespace).find((o) => o.metadata?.name === name);
const namesIn = (t: StateTable, namespace: string, type = CM) =>
  t.virtual
    .objects(type, namespace)
    .map((o) => o.metadata?.name)
    .sort();

async function mapped(opts: {
  configMaps?: string[];
  secrets?: string[];
  host?: Seed[];
  virtual?: Seed[];
  kinds?: string[];
}) {
  const table = await start({
    kinds: opts.kinds ?? ['mapped-host-configmaps', 'mapped-host-secrets'],
    flags: { mapHostConfigmap: opts.configMaps ?? [], mapHostSecret: opts.secrets ?? [] },
    host: opts.host,
    virtual: opts.virtual,
  });
  await table.settle();
  return table;
}

describe('mapped-host-configmaps and mapped-host-secrets (--map-host-configmap, --map-host-secret)', () => {
  it("a namespace's objects appear in the mapped virtual namespace (made when missing), with data, labels and annotations", async () => {
    const table = await mapped({
      configMaps: ['shared/*=team/*'],
      host: [
        cm('shared', 'settings', { mode: 'fast' }, { tier: 'db' }),
        cm('elsewhere', 'other', { a: 'b' }),
      ],
    });
    expect(table.virtual.objects(NS).map((n) => n.metadata?.name)).toContain('team');
    expect(find(table, CM, 'team', 'settings')).toMatchObject({
      metadata: {
        labels: { tier: 'db', 'vsyncer.dev/managed': 'true' },
        annotations: {
          note: 'from the host',
          'vcluster.loft.sh/object-host-name': 'settings',
          'vcluster.loft.sh/object-host-namespace': 'shared',
          'vsyncer.dev/replica-kind': 'mapped-host-configmaps',
        },
      },
      data: { mode: 'fast' },
    });
    // A host namespace no mapping names is not shown (nor read).
    expect(table.virtual.objects(CM).map((o) => o.metadata?.name)).not.toContain('other');
  });

  it('exact names are renamed; the host namespace of the virtual cluster has its own forms; an exact name wins over *', async () => {
    const table = await mapped({
      configMaps: [
        'default/my.cm=barfoo/cm-my',
        'default/*=all-default/*',
        `/specific=elsewhere/specific`,
        '=own',
        'shared/kept=team/*',
      ],
      host: [
        cm('default', 'my.cm', { a: '1' }),
        cm('default', 'plain', { b: '2' }),
        cm(HOST_NS, 'specific', { c: '3' }),
        cm(HOST_NS, 'anything', { d: '4' }),
        cm('shared', 'kept', { e: '5' }),
      ],
    });
    expect(find(table, CM, 'barfoo', 'cm-my')?.data).toEqual({ a: '1' });
    expect(namesIn(table, 'all-default')).toEqual(['plain']);
    expect(find(table, CM, 'elsewhere', 'specific')?.data).toEqual({ c: '3' });
    expect(namesIn(table, 'own')).toEqual(['anything']);
    expect(find(table, CM, 'team', 'kept')?.data).toEqual({ e: '5' });
  });

  it('follows host changes, reverts a tenant edit, makes a deleted replica again, and goes when the host object goes', async () => {
    const table = await mapped({
      configMaps: ['shared/*=team/*'],
      host: [cm('shared', 'settings', { mode: 'fast' })],
    });

    const host = table.host.objects(CM, 'shared')[0]!;
    await table.host.update(CM, 'shared', {
      ...host,
      data: { mode: 'slow' },
      metadata: { ...host.metadata, labels: { added: 'yes' } },
    });
    await table.settle();
    expect(find(table, CM, 'team', 'settings')).toMatchObject({
      data: { mode: 'slow' },
      metadata: { labels: { added: 'yes' } },
    });

    const replica = find(table, CM, 'team', 'settings')!;
    await table.virtual.update(CM, 'team', { ...replica, data: { mode: 'tenant' } });
    await table.settle();
    expect(find(table, CM, 'team', 'settings')?.data).toEqual({ mode: 'slow' });

    await table.virtual.delete(CM, 'team', 'settings');
    await table.settle();
    expect(find(table, CM, 'team', 'settings')?.data).toEqual({ mode: 'slow' });

    await table.host.delete(CM, 'shared', 'settings');
    await table.settle();
    expect(find(table, CM, 'team', 'settings')).toBeUndefined();
  });

  it("a tenant's controlled-by label on a replica opts nothing out: its edit is reverted, and it goes with the host object", async () => {
    const table = await mapped({
      configMaps: ['shared/*=team/*'],
      host: [cm('shared', 'settings', { mode: 'fast' })],
    });
    const replica = find(table, CM, 'team', 'settings')!;
    await table.virtual.update(CM, 'team', {
      ...replica,
      metadata: {
        ...replica.metadata,
        labels: { ...replica.metadata?.labels, 'vcluster.loft.sh/controlled-by': 'me' },
      },
      data: { mode: 'tenant' },
    });
    await table.settle();
    expect(find(table, CM, 'team', 'settings')?.data).toEqual({ mode: 'fast' });
    await table.host.delete(CM, 'shared', 'settings');
    await table.settle();
    expect(find(table, CM, 'team', 'settings')).toBeUndefined();
  });

  it('never shows what no tenant may read, even under a namespace-wide mapping', async () => {
    const secretNames = [
      'sa-token',
      'bootstrap-token-abcdef',
      'pki',
      'vc-kubeconfig',
      'bundle',
      'tls',
      'sh.helm.release.v1.vc.v1',
    ];
    const table = await mapped({
      configMaps: ['=own'],
      // The host namespace's Secrets only by name: even named, these are never shown.
      secrets: secretNames.map((name) => `/${name}=own/${name}`),
      host: [
        cm(HOST_NS, 'helm-release-cm', { release: 'everything' }, { owner: 'helm', name: 'vc' }),
        [
          SECRET,
          {
            metadata: { name: 'sh.helm.release.v1.vc.v1', namespace: HOST_NS, labels: { owner: 'helm' } },
            type: 'helm.sh/release.v1',
            data: { release: 'a2V5cw==' },
          },
        ],
        cm(HOST_NS, 'kube-root-ca.crt', { 'ca.crt': 'host CA' }),
        // A syncer's copy of a tenant object of another virtual namespace.
        cm(
          HOST_NS,
          'cfg-x-other-x-vc',
          { secret: 'of another namespace' },
          { 'vcluster.loft.sh/managed-by': VC },
        ),
        cm(HOST_NS, 'public', { ok: 'yes' }),
        // A host operator's output for an object of the host namespace: maybe another tenant's copy.
        [
          CM,
          {
            metadata: {
              name: 'rules-of-a-copy',
              namespace: HOST_NS,
              ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: 'db-x-other-x-vc2', uid: 'u1' }],
            },
            data: { rules: 'of another tenant' },
          },
        ],
        [
          SECRET,
          {
            metadata: { name: 'sa-token', namespace: HOST_NS },
            type: 'kubernetes.io/service-account-token',
            data: { token: 'aG9zdA==' },
          },
        ],
        [
          SECRET,
          {
            metadata: { name: 'bootstrap-token-abcdef', namespace: HOST_NS },
            type: 'bootstrap.kubernetes.io/token',
            data: { 'token-id': 'YWJjZGVm', 'token-secret': 'c2VjcmV0' },
          },
        ],
        [
          SECRET,
          {
            metadata: { name: 'pki', namespace: HOST_NS, labels: { 'app.kubernetes.io/name': 'vsyncer' } },
            data: { 'ca.key': 'a2V5' },
          },
        ],
        [
          SECRET,
          {
            metadata: {
              name: 'vc-kubeconfig',
              namespace: HOST_NS,
              labels: { 'vsyncer.dev/kubeconfig-of': VC },
            },
            data: { config: 'eA==' },
          },
        ],
        [
          SECRET,
          {
            metadata: { name: 'bundle', namespace: HOST_NS, labels: { 'vcluster.loft.sh/managed-by': VC } },
            data: { t: 'dG9rZW4=' },
          },
        ],
        [
          SECRET,
          {
            metadata: { name: 'tls', namespace: HOST_NS },
            type: 'kubernetes.io/tls',
            data: { 'tls.crt': 'Yw==', 'tls.key': 'aw==' },
          },
        ],
      ],
    });
    expect(namesIn(table, 'own')).toEqual(['public']);
    expect(namesIn(table, 'own', SECRET)).toEqual(['tls']);
    expect(find(table, SECRET, 'own', 'tls')).toMatchObject({
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': 'Yw==' },
    });
  });

  it("refuses to map the host namespace's Secrets all at once (the control plane's own are among them)", async () => {
    await expect(mapped({ secrets: ['=own'] })).rejects.toThrow(/may only be mapped object by object/);
    await expect(mapped({ secrets: [`${HOST_NS}/*=own/*`] })).rejects.toThrow(
      /may only be mapped object by object/,
    );
    await expect(mapped({ configMaps: ['shared/x=team/kube-root-ca.crt'] })).rejects.toThrow(
      /kept by the virtual control plane/,
    );
  });

  it('a mapped namespace the syncer may not read holds up that kind alone, until it may', async () => {
    const table = await start({
      kinds: ['mapped-host-secrets', 'mapped-host-configmaps'],
      flags: { mapHostSecret: ['vault/creds=team/creds'], mapHostConfigmap: ['shared/*=team/*'] },
      host: [
        [SECRET, { metadata: { name: 'creds', namespace: 'vault' }, data: { u: 'YQ==' } }],
        cm('shared', 'settings', { mode: 'fast' }),
      ],
    });
    table.host.failNext('list', 'secrets', 'forbidden');
    await table.settle();
    expect(find(table, CM, 'team', 'settings')?.data).toEqual({ mode: 'fast' });
    expect(find(table, SECRET, 'team', 'creds')).toBeUndefined();
    table.clock.advance(5_000);
    await table.settle();
    expect(find(table, SECRET, 'team', 'creds')?.data).toEqual({ u: 'YQ==' });
  });

  it('writes a new replica once', async () => {
    const table = await mapped({
      configMaps: ['shared/*=team/*'],
      host: [cm('shared', 'settings', { mode: 'fast' })],
    });
    expect(table.writes()).toEqual([
      'virtual: create namespaces team',
      'virtual: create configmaps team/settings',
    ]);
  });

  it("never touches a tenant's own object of the replica's name; once the tenant deletes it, the replica is made", async () => {
    const own: KubeObject = {
      metadata: { name: 'settings', namespace: 'team', uid: 'tenant-own' },
      data: { mine: 'yes' },
    };
    const table = await mapped({
      configMaps: ['shared/*=team/*'],
      host: [cm('shared', 'settings', { mode: 'fast' })],
      virtual: [
        [NS, { metadata: { name: 'team' } }],
        [CM, own],
      ],
    });
    expect(find(table, CM, 'team', 'settings')).toMatchObject({
      metadata: { uid: 'tenant-own' },
      data: { mine: 'yes' },
    });
    expect(table.writes().filter((w) => w.includes('configmaps'))).toEqual([]);
    await table.virtual.delete(CM, 'team', 'settings');
    await table.settle();
    expect(find(table, CM, 'team', 'settings')?.data).toEqual({ mode: 'fast' });
  });

  it("a tenant's copy of a replica in another namespace is the tenant's: left alone", async () => {
    const first = await mapped({
      configMaps: ['shared/*=team/*'],
      host: [cm('shared', 'settings', { mode: 'fast' })],
    });
    const replica = find(first, CM, 'team', 'settings')!;
    const copy = { ...replica, metadata: { ...replica.metadata, namespace: 'mine', uid: 'copy' } };
    const table = await mapped({
      configMaps: ['shared/*=team/*'],
      host: [cm('shared', 'settings', { mode: 'fast' })],
      virtual: [
        [NS, { metadata: { name: 'mine' } }],
        [CM, copy],
      ],
    });
    expect(find(table, CM, 'mine', 'settings')?.metadata?.uid).toBe('copy');
  });

  it('a replica whose mapping was removed goes, with no mapping left too', async () => {
    const first = await mapped({
      configMaps: ['shared/*=team/*'],
      host: [cm('shared', 'settings', { mode: 'fast' })],
    });
    const replica = find(first, CM, 'team', 'settings')!;
    const table = await mapped({
      configMaps: [],
      host: [cm('shared', 'settings', { mode: 'fast' })],
      virtual: [
        [NS, { metadata: { name: 'team' } }],
        [CM, replica],
      ],
    });
    expect(find(table, CM, 'team', 'settings')).toBeUndefined();
    expect(table.writes()).toEqual(['virtual: delete configmaps team/settings']);
  });

  it('a host Secret mapped by name keeps its type; a changed type replaces the replica', async () => {
    const secret = (type: string): Seed => [
      SECRET,
      { metadata: { name: 'creds', namespace: 'vault' }, type, data: { u: 'YQ==' } },
    ];
    const table = await mapped({ secrets: ['vault/creds=team/db-creds'], host: [secret('Opaque')] });
    expect(find(table, SECRET, 'team', 'db-creds')).toMatchObject({ type: 'Opaque', data: { u: 'YQ==' } });
    await table.host.delete(SECRET, 'vault', 'creds');
    await table.host.create(SECRET, 'vault', secret('kubernetes.io/basic-auth')[1]);
    await table.settle();
    expect(find(table, SECRET, 'team', 'db-creds')).toMatchObject({ type: 'kubernetes.io/basic-auth' });
  });

  it('a pod that uses a replica gets a host copy of it, and the two kinds settle', async () => {
    const pod: Seed = [
      Resources.pods,
      {
        metadata: { name: 'app', namespace: 'team', uid: 'pod-app' },
        spec: { containers: [{ name: 'c', image: 'i', envFrom: [{ configMapRef: { name: 'settings' } }] }] },
      },
    ];
    const table = await mapped({
      kinds: ['mapped-host-configmaps', 'configmaps'],
      configMaps: ['shared/*=team/*'],
      host: [cm('shared', 'settings', { mode: 'fast' })],
      virtual: [[NS, { metadata: { name: 'team' } }], pod],
    });
    const copy = table.host.objects(CM, HOST_NS).find((o) => o.metadata?.name === `settings-x-team-x-${VC}`);
    expect(copy).toMatchObject({
      data: { mode: 'fast' },
      metadata: { labels: { 'vcluster.loft.sh/managed-by': VC } },
    });
    // The copy is a syncer's: under a mapping of the host namespace it is never shown again.
    const writes = table.writes().length;
    await table.settle();
    expect(table.writes().length).toBe(writes);
  });
});
