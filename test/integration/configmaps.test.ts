import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostName } from '../../src/naming/names.ts';
import { opensslCa } from '../../src/testing/openssl-ca.ts';
import { tempDirs } from '../../src/testing/temp-dirs.ts';
import { waitFor } from '../harness/clusters.ts';
import { apply, getObject, mustKubectl, waitForEvents } from '../harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../harness/syncer.ts';

interface ConfigMap {
  metadata: {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion: string;
  };
  data?: Record<string, string>;
}

const tempDir = tempDirs();
const vc = uniqueName('cm');
const hostNs = `host-${vc}`;
const ns = uniqueName('team');
let syncer: SyncerProcess;
const SYNCER_ARGS = [
  '--sync=-secrets,-pods,-events,-nodes,-services,-api-service,-endpoints,-endpointslices',
  '--sync-all-configmaps',
];

/** A ConfigMap manifest to apply. */
const configMap = (metadata: Record<string, unknown>, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata,
  data,
});

const hostCopy = (name: string) =>
  getObject<ConfigMap>('host', ['configmap', '-n', hostNs, hostName(name, ns, vc)]);

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  await mustKubectl('virtual', ['create', 'namespace', ns]);
  syncer = await startSyncer({
    name: vc,
    hostNamespace: hostNs,
    args: SYNCER_ARGS,
  });
}, 120_000);

afterAll(async () => {
  await syncer?.stop();
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
});

describe('ConfigMaps, virtual to host', () => {
  it('creates the host copy with the translated name, labels and annotations', async () => {
    await apply(
      'virtual',
      configMap({ name: 'app', namespace: ns, labels: { tier: 'web', release: 'r1' } }, { key: 'v1' }),
    );
    const virtual = (await getObject<ConfigMap>('virtual', ['configmap', '-n', ns, 'app']))!;
    const host = await waitFor('host copy of app', hostCopy.bind(null, 'app'), 30_000);
    expect(host.metadata.name).toBe(`app-x-${ns}-x-${vc}`);
    expect(host.data).toEqual({ key: 'v1' });
    expect(host.metadata.labels).toMatchObject({
      tier: 'web',
      'vcluster.loft.sh/managed-by': vc,
      'vcluster.loft.sh/namespace': ns,
    });
    // `release` is reserved on the host, so it is stored under a hashed key instead.
    expect(host.metadata.labels?.release).toBeUndefined();
    expect(
      Object.keys(host.metadata.labels ?? {}).some((k) => k.startsWith(`vcluster.loft.sh/label-${vc}-x-`)),
    ).toBe(true);
    expect(host.metadata.annotations).toMatchObject({
      'vcluster.loft.sh/object-name': 'app',
      'vcluster.loft.sh/object-namespace': ns,
      'vcluster.loft.sh/object-uid': virtual.metadata.uid,
      'vcluster.loft.sh/object-kind': '/v1, Kind=ConfigMap',
      'vcluster.loft.sh/object-host-name': `app-x-${ns}-x-${vc}`,
      'vcluster.loft.sh/object-host-namespace': hostNs,
    });
    // The API server names the writer after the User-Agent: the copy is the syncer's by name.
    const written = await getObject<{ metadata: { managedFields?: { manager?: string }[] } }>('host', [
      'configmap',
      '-n',
      hostNs,
      hostName('app', ns, vc),
      '--show-managed-fields',
    ]);
    expect(written?.metadata.managedFields?.map((f) => f.manager)).toEqual(['vsyncer']);
  });

  it('carries updates down', async () => {
    await mustKubectl('virtual', [
      'patch',
      'configmap',
      'app',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"data":{"key":"v2","extra":"x"}}',
    ]);
    await waitFor(
      'host copy updated',
      async () => {
        const host = await hostCopy('app');
        return host?.data?.key === 'v2' && host.data.extra === 'x' && host;
      },
      30_000,
    );
  });

  it('reverts a hand edit of the host data; a label edited on the host flows up; host keys are shown, and a value the tenant gives one goes down', async () => {
    await mustKubectl('host', [
      'patch',
      'configmap',
      hostName('app', ns, vc),
      '-n',
      hostNs,
      '--type=merge',
      '-p',
      JSON.stringify({
        data: { key: 'tampered' },
        // tier is the tenant's label; the other two are what a host policy engine might add.
        metadata: {
          labels: { tier: 'edited-on-host', 'policy.example.com/scanned': 'true' },
          annotations: { 'policy.example.com/report': 'ok' },
        },
      }),
    ]);
    // Data is the tenant's spec: reverted. Labels and annotations sync both ways (as vCluster
    // documents): the host's change of the tenant's label since the last sync wins and comes up.
    const host = await waitFor(
      'hand edit of the data reverted',
      async () => {
        const h = await hostCopy('app');
        return h?.data?.key === 'v2' && h;
      },
      30_000,
    );
    expect(host.data).toEqual({ key: 'v2', extra: 'x' });
    const virtual = await waitFor(
      'host label edits reach the virtual config map',
      async () => {
        const v = await getObject<ConfigMap>('virtual', ['configmap', '-n', ns, 'app']);
        return (
          v?.metadata.labels?.tier === 'edited-on-host' &&
          v.metadata.labels['policy.example.com/scanned'] === 'true' &&
          v
        );
      },
      30_000,
    );
    // Keys the syncer never set are the host's, shown to the tenant; a value the tenant gives one stays
    // in the virtual cluster (--tenant-overrides-host-metadata would take it to the host, as vCluster does).
    expect(virtual.metadata.annotations?.['policy.example.com/report']).toBe('ok');
    await mustKubectl('virtual', [
      'label',
      'configmap',
      'app',
      '-n',
      ns,
      '--overwrite',
      'policy.example.com/scanned=false',
      'tier=tenant',
    ]);
    const latest = await waitFor(
      "the tenant's label edits reach the host",
      async () => {
        const h = await hostCopy('app');
        return h?.metadata.labels?.tier === 'tenant' && h;
      },
      30_000,
    );
    expect(latest.metadata.labels?.['policy.example.com/scanned']).toBe('true');
    expect(latest.metadata.annotations?.['policy.example.com/report']).toBe('ok');
  });

  it('never touches an unmanaged host object with the same name, and reports a SyncError without host names', async () => {
    const clashName = hostName('clash', ns, vc);
    await apply('host', configMap({ name: clashName, namespace: hostNs }, { owner: 'someone-else' }));
    await apply('virtual', configMap({ name: 'clash', namespace: ns }, { owner: 'tenant' }));
    const events = await waitForEvents('virtual', ns, 'clash', 'SyncError', 30_000);
    expect(events[0]!.type).toBe('Warning');
    expect(events[0]!.message).not.toContain(clashName);
    expect(events[0]!.message).not.toContain(hostNs);
    const untouched = await hostCopy('clash');
    expect(untouched?.data).toEqual({ owner: 'someone-else' });
    expect(untouched?.metadata.labels?.['vcluster.loft.sh/managed-by']).toBeUndefined();
    // Deleting the virtual object must not delete the host object we never owned.
    await apply('virtual', configMap({ name: 'clash-sentinel', namespace: ns }, { owner: 'tenant' }));
    await waitFor(
      'host copy of clash-sentinel',
      async () => (await hostCopy('clash-sentinel')) !== undefined,
      30_000,
    );
    await mustKubectl('virtual', ['delete', 'configmap', 'clash', '-n', ns]);
    // A barrier, not a sleep: a delete after it in the same namespace, which the syncer must carry out.
    // The watch brings the two in order and the queue hands them out in order, so once the second
    // copy is gone the syncer has had the first delete in hand too.
    await mustKubectl('virtual', ['delete', 'configmap', 'clash-sentinel', '-n', ns]);
    await waitFor(
      'host copy of clash-sentinel deleted',
      async () => (await hostCopy('clash-sentinel')) === undefined,
      30_000,
    );
    expect((await hostCopy('clash'))?.data).toEqual({ owner: 'someone-else' });
  });

  it('leaves a copy vCluster 0.19 made (no object-kind) alone, says so, and never deletes it', async () => {
    // What vCluster v0.19 leaves on the host for a synced config map: our label and the object
    // annotations, no kind. Names are ambiguous, so only the kind would prove it is this object's copy.
    const oldName = hostName('legacy', ns, vc);
    await apply(
      'host',
      configMap(
        {
          name: oldName,
          namespace: hostNs,
          labels: { 'vcluster.loft.sh/managed-by': vc, 'vcluster.loft.sh/namespace': ns },
          annotations: { 'vcluster.loft.sh/object-name': 'legacy', 'vcluster.loft.sh/object-namespace': ns },
        },
        { from: 'vcluster-0.19' },
      ),
    );
    await apply('virtual', configMap({ name: 'legacy', namespace: ns }, { from: 'tenant' }));
    const events = await waitForEvents('virtual', ns, 'legacy', 'SyncError', 30_000);
    expect(events[0]!.message).toContain(
      'an earlier syncer made without the vcluster.loft.sh/object-kind annotation',
    );
    expect(events[0]!.message).not.toContain(hostNs);
    expect((await hostCopy('legacy'))?.data).toEqual({ from: 'vcluster-0.19' });
    // Deleted by its owner on the host, the syncer makes its own copy.
    await mustKubectl('host', ['delete', 'configmap', oldName, '-n', hostNs]);
    const fresh = await waitFor(
      "the syncer's own copy of legacy",
      async () => {
        const copy = await hostCopy('legacy');
        return copy?.data?.from === 'tenant' ? copy : undefined;
      },
      30_000,
    );
    expect(fresh.metadata.annotations?.['vcluster.loft.sh/object-kind']).toBe('/v1, Kind=ConfigMap');
  });

  it('deletes the host copy when the virtual object is deleted', async () => {
    await mustKubectl('virtual', ['delete', 'configmap', 'app', '-n', ns]);
    await waitFor('host copy deleted', async () => (await hostCopy('app')) === undefined, 30_000);
  });

  it('converges after a restart: orphans deleted, changes made while stopped applied', async () => {
    await apply('virtual', configMap({ name: 'keep', namespace: ns }, { v: '1' }));
    await apply('virtual', configMap({ name: 'gone', namespace: ns }, { v: '1' }));
    await waitFor(
      'both synced',
      async () => (await hostCopy('keep')) !== undefined && (await hostCopy('gone')) !== undefined,
      30_000,
    );
    expect(await syncer.stop()).toBe(0);
    await mustKubectl('virtual', ['delete', 'configmap', 'gone', '-n', ns]);
    await mustKubectl('virtual', [
      'patch',
      'configmap',
      'keep',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"data":{"v":"2"}}',
    ]);
    syncer = await startSyncer({
      name: vc,
      hostNamespace: hostNs,
      args: SYNCER_ARGS,
    });
    await waitFor(
      'orphan deleted and change applied',
      async () => (await hostCopy('gone')) === undefined && (await hostCopy('keep'))?.data?.v === '2',
      30_000,
    );
    // A stop and a start (waiting for /readyz) take seconds on a loaded 2-core machine: the test's
    // own deadline is its waits', not Jest's 5 s default.
  }, 90_000);

  it('keeps the keys the admin denies off the copies (--denied-host-metadata), a copy made before too', async () => {
    const tagged = (name: string) =>
      configMap(
        {
          name,
          namespace: ns,
          labels: { tier: 'web', 'example.com/team': 'a' },
          annotations: { 'external-dns.alpha.kubernetes.io/hostname': 'www.example.com', note: 'kept' },
        },
        { v: '1' },
      );
    await apply('virtual', tagged('before'));
    await waitFor(
      'a copy with every key, none denied yet',
      async () => (await hostCopy('before'))?.metadata.labels?.['example.com/team'] === 'a',
      30_000,
    );
    expect(await syncer.stop()).toBe(0);
    syncer = await startSyncer({
      name: vc,
      hostNamespace: hostNs,
      args: [
        ...SYNCER_ARGS,
        '--denied-host-metadata=external-dns.alpha.kubernetes.io/*',
        '--denied-host-metadata=example.com/team',
      ],
    });
    await apply('virtual', tagged('after'));
    for (const name of ['before', 'after']) {
      const copy = await waitFor(
        `${name}: the copy without the denied keys`,
        async () => {
          const c = await hostCopy(name);
          return c && !c.metadata.labels?.['example.com/team'] ? c : undefined;
        },
        30_000,
      );
      expect(copy.metadata.labels?.tier).toBe('web');
      expect(copy.metadata.annotations?.note).toBe('kept');
      expect(copy.metadata.annotations?.['external-dns.alpha.kubernetes.io/hostname']).toBeUndefined();
      // The tenant's object keeps them: only the copy goes without.
      const virtual = await getObject<ConfigMap>('virtual', ['configmap', '-n', ns, name]);
      expect(virtual?.metadata.labels?.['example.com/team']).toBe('a');
      expect(virtual?.metadata.annotations?.['external-dns.alpha.kubernetes.io/hostname']).toBe(
        'www.example.com',
      );
    }
    // A key a host controller writes on the copy is the host's, denied pattern or not: it stays.
    const after = hostName('after', ns, vc);
    await mustKubectl('host', [
      'annotate',
      'configmap',
      '-n',
      hostNs,
      after,
      'external-dns.alpha.kubernetes.io/ttl=60',
    ]);
    await mustKubectl('virtual', [
      'patch',
      'configmap',
      'after',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"data":{"v":"2"}}',
    ]);
    const edited = await waitFor(
      'the tenant edit synced',
      async () => {
        const c = await hostCopy('after');
        return c?.data?.v === '2' ? c : undefined;
      },
      30_000,
    );
    expect(edited.metadata.annotations?.['external-dns.alpha.kubernetes.io/ttl']).toBe('60');
  }, 90_000);

  it("adds --extra-root-ca-file's CAs to the host copies of kube-root-ca.crt only, and refuses a key in it", async () => {
    const dir = tempDir('vsyncer-extra-ca-');
    const extra = opensslCa('ec');
    writeFileSync(join(dir, 'ca.crt'), extra.certPem);
    writeFileSync(join(dir, 'with-key.crt'), extra.certPem + extra.keyPem);
    // A tenant's own config map with a ca.crt is copied as it is.
    await apply('virtual', configMap({ name: 'tenant-ca', namespace: ns }, { 'ca.crt': 'mine\n' }));
    expect(await syncer.stop()).toBe(0);
    const refused = await startSyncer({
      name: vc,
      hostNamespace: hostNs,
      args: [...SYNCER_ARGS, `--extra-root-ca-file=${join(dir, 'with-key.crt')}`],
      waitReady: false,
    });
    expect(await refused.exited).not.toBe(0);
    expect(refused.logs()).toContain(`${join(dir, 'with-key.crt')} holds a PRIVATE KEY block`);
    syncer = await startSyncer({
      name: vc,
      hostNamespace: hostNs,
      args: [...SYNCER_ARGS, `--extra-root-ca-file=${join(dir, 'ca.crt')}`],
    });
    const virtualBundle = (await getObject<ConfigMap>('virtual', [
      'configmap',
      '-n',
      ns,
      'kube-root-ca.crt',
    ]))!.data!['ca.crt']!;
    const copy = await waitFor(
      'the root CA copy with the extra CA',
      async () => {
        const c = await hostCopy('kube-root-ca.crt');
        return c?.data?.['ca.crt']?.includes(extra.certPem.trim()) ? c : undefined;
      },
      30_000,
    );
    expect(copy.data!['ca.crt']).toBe(`${virtualBundle.trimEnd()}\n${extra.certPem.trimEnd()}\n`);
    expect(
      (await getObject<ConfigMap>('virtual', ['configmap', '-n', ns, 'kube-root-ca.crt']))!.data,
    ).toEqual({
      'ca.crt': virtualBundle,
    });
    await waitFor('the tenant config map synced', async () => (await hostCopy('tenant-ca'))?.data, 30_000);
    expect((await hostCopy('tenant-ca'))!.data).toEqual({ 'ca.crt': 'mine\n' });
  }, 120_000);
});
