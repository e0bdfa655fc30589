import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostName } from '../src/naming/names.ts';
import { builtinKinds } from '../src/translators/index.ts';
import { runVsyncerCheck } from '../test/harness/check.ts';
import { testClusters, waitFor } from '../test/harness/clusters.ts';
import { apply, createTenantNamespace, getObject, mustKubectl, type List } from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

/*
 * What `helm uninstall` relies on (the chart's defaults): with --set-owner every object the syncer
 * creates in its host namespace is owned by the virtual API Service, so the host's garbage collector
 * (the local host cluster's kube-controller-manager) deletes them once that Service is gone; and with
 * --kubeconfig-secret the tenant's kubeconfig is in a host Secret, as vCluster's vc-<name>.
 */
const vc = uniqueName('own');
const hostNs = `host-${vc}`;
const ns = uniqueName('tenant');
const secretName = `vc-${vc}`;
/** A host namespace of someone's, where an additional kubeconfig Secret goes (vCluster's additionalSecrets). */
const elsewhere = uniqueName('kubeconfigs');
const syncerArgs = [
  '--set-owner',
  '--kubeconfig-secret',
  secretName,
  '--kubeconfig-secret-context',
  'team-a-admin',
  '--kubeconfig-additional-secret',
  'name=vc-extra;context=tenant-admin;insecure=true',
  '--kubeconfig-additional-secret',
  `name=tenant-kubeconfig;namespace=${elsewhere};server=https://vc.example.com:8443;context=cross`,
  // vCluster's serviceAccount: a token of a (made) account bound to the view role, not the admin's.
  '--kubeconfig-additional-secret',
  'name=vc-viewer;serviceAccount=kube-system/e2e-viewer;clusterRole=view',
];
const tmp = mkdtempSync(join(tmpdir(), 'vsyncer-uninstall-'));
let syncer: SyncerProcess | undefined;

interface Meta {
  metadata: {
    name: string;
    uid: string;
    resourceVersion: string;
    labels?: Record<string, string>;
    ownerReferences?: Record<string, unknown>[];
    deletionTimestamp?: string;
  };
}
interface Secret extends Meta {
  data?: Record<string, string>;
}

const hostObject = <T = Meta>(kind: string, name: string) => getObject<T>('host', [kind, name, '-n', hostNs]);
const decode = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64').toString();

beforeAll(async () => {
  // The chart's Service `<vc>` (the virtual API) among what the chart would make.
  await prepareHostNamespace(vc, hostNs);
  await mustKubectl('host', ['create', 'namespace', elsewhere]);
  await createTenantNamespace(ns);
  await mustKubectl('virtual', ['create', 'configmap', 'app-config', '-n', ns, '--from-literal=key=a']);
  await apply('virtual', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: ns },
    spec: {
      containers: [{ name: 'main', image: 'registry.local/web:1' }],
      volumes: [{ name: 'a', configMap: { name: 'app-config' } }],
    },
  });
  // Someone else's Secret under the name the kubeconfig is to be exported to.
  await mustKubectl('host', [
    'create',
    'secret',
    'generic',
    secretName,
    '-n',
    hostNs,
    '--from-literal=config=theirs',
  ]);
  syncer = await startSyncer({ name: vc, hostNamespace: hostNs, args: syncerArgs });
}, 180_000);

afterAll(async () => {
  await syncer?.stop();
  rmSync(tmp, { recursive: true, force: true });
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await mustKubectl('host', ['delete', 'namespace', hostNs, '--wait=false']).catch(() => undefined);
  await mustKubectl('host', ['delete', 'namespace', elsewhere, '--wait=false']).catch(() => undefined);
});

describe('--set-owner and --kubeconfig-secret (helm install and uninstall)', () => {
  it('refuses to start with --set-owner when the owner Service does not exist, naming it and the flag', async () => {
    const other = uniqueName('noowner');
    const refused = await startSyncer({
      name: other,
      hostNamespace: hostNs,
      args: ['--set-owner'],
      waitReady: false,
    });
    expect(await refused.exited).toBe(2);
    expect(refused.logs()).toContain(
      `error: --virtual-api-service: host Service ${hostNs}/${other} does not exist; --set-owner makes it the owner`,
    );
  }, 60_000);

  it('waits while --host-namespace does not exist, saying so in the log and /readyz, and syncs once it does', async () => {
    const late = uniqueName('late');
    const lateNs = `host-${late}`;
    // Events only: a second syncer of the shared virtual cluster must not sync its pods too.
    const waiting = await startSyncer({
      name: late,
      hostNamespace: lateNs,
      args: [
        `--sync=${builtinKinds()
          .defaults()
          .filter((k) => k !== 'events')
          .map((k) => `-${k}`)
          .join(',')}`,
      ],
      waitReady: false,
    });
    try {
      await waitFor(
        'the syncer to say the host namespace does not exist',
        async () => waiting.logs().includes(`the host namespace ${lateNs} does not exist (--host-namespace)`),
        30_000,
      );
      const readyz = await fetch(`${waiting.metricsUrl}/readyz`);
      expect(readyz.status).toBe(503);
      expect(await readyz.text()).toContain(`host namespace ${lateNs} does not exist`);
      // Nothing was tried in the meantime: no tenant object told of a failed create.
      expect(waiting.logs()).not.toContain('SyncError');
      await prepareHostNamespace(late, lateNs);
      await waitFor(
        'the syncer to start syncing',
        async () => (await fetch(`${waiting.metricsUrl}/readyz`)).status === 200,
        90_000,
      );
      expect(waiting.logs()).toContain(`the host namespace ${lateNs} is there now`);
    } finally {
      await waiting.stop();
      await mustKubectl('host', ['delete', 'namespace', lateNs, '--wait=false']).catch(() => undefined);
    }
  }, 180_000);

  it('leaves an unlabelled Secret of the kubeconfig’s name untouched, says so, and syncs on', async () => {
    const before = (await hostObject<Secret>('secret', secretName))!;
    await waitFor(
      'the syncer to log that the Secret is not its own',
      async () =>
        syncer!
          .logs()
          .includes(
            `host Secret ${hostNs}/${secretName} exists and is not this virtual cluster's kubeconfig export`,
          ),
      60_000,
    );
    const after = (await hostObject<Secret>('secret', secretName))!;
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(decode(after.data?.config)).toBe('theirs');
    expect(after.metadata.labels).toBeUndefined();
    expect(after.metadata.ownerReferences).toBeUndefined();
    expect(syncer!.child.exitCode).toBeNull();
    expect(syncer!.child.signalCode).toBeNull();
  }, 90_000);

  it('gives the synced host pod and config map the virtual API Service as their one owner', async () => {
    const service = (await hostObject('service', vc))!;
    const owner = {
      apiVersion: 'v1',
      kind: 'Service',
      name: vc,
      uid: service.metadata.uid,
      controller: false,
    };
    for (const [kind, name] of [
      ['pod', hostName('web', ns, vc)],
      ['configmap', hostName('app-config', ns, vc)],
    ] as const) {
      const copy = await waitFor<Meta>(`host ${kind} ${name}`, () => hostObject(kind, name), 90_000);
      expect({ kind, owners: copy.metadata.ownerReferences }).toEqual({ kind, owners: [owner] });
    }
    // The pod's service-account token, in a secret of the syncer's: owned the same way.
    const secrets = await getObject<List<Meta>>('host', [
      'secrets',
      '-n',
      hostNs,
      '-l',
      `vcluster.loft.sh/managed-by=${vc}`,
    ]);
    expect(secrets!.items.length).toBeGreaterThan(0);
    for (const s of secrets!.items) expect(s.metadata.ownerReferences).toEqual([owner]);
  }, 120_000);

  it('exports a kubeconfig that reaches the virtual API server once the Secret is free, and rewrites nothing on a restart', async () => {
    await mustKubectl('host', ['delete', 'secret', secretName, '-n', hostNs]);
    await syncer!.stop();
    syncer = await startSyncer({ name: vc, hostNamespace: hostNs, args: syncerArgs });
    const exported = await waitFor(
      `the kubeconfig in host Secret ${secretName}`,
      async () => {
        const s = await hostObject<Secret>('secret', secretName);
        return s?.data?.config ? s : undefined;
      },
      60_000,
    );
    const service = (await hostObject('service', vc))!;
    expect(exported.metadata.labels).toEqual({
      'vsyncer.dev/kubeconfig-of': vc,
      app: 'vcluster',
      'vcluster-name': vc,
    });
    expect(exported.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Service', name: vc, uid: service.metadata.uid, controller: false },
    ]);
    expect(decode(exported.data!['certificate-authority'])).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(decode(exported.data!['client-certificate'])).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(decode(exported.data!['client-key'])).toMatch(/^-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    const config = decode(exported.data!.config);
    expect(config).toContain('server: https://localhost:8443');
    // vCluster's exportKubeConfig.context: the context's name, the current one.
    expect(config).toContain('current-context: team-a-admin');

    // The additional Secrets: the same credentials, each with its own server and context name.
    const additional = async (namespace: string, name: string) =>
      waitFor(
        `the kubeconfig in host Secret ${namespace}/${name}`,
        async () => {
          const s = await getObject<Secret>('host', ['secret', name, '-n', namespace]);
          return s?.data?.config ? s : undefined;
        },
        60_000,
      );
    const extra = await additional(hostNs, 'vc-extra');
    expect(extra.metadata.labels).toMatchObject({ app: 'vcluster', 'vcluster-name': vc });
    expect(decode(extra.data!.config)).toContain('server: https://localhost:8443');
    expect(decode(extra.data!.config)).toContain('current-context: tenant-admin');
    // insecure (vCluster's additionalSecrets[].insecure): no CA, the server's certificate not checked.
    expect(decode(extra.data!.config)).toContain('insecure-skip-tls-verify: true');
    expect(decode(extra.data!.config)).not.toContain('certificate-authority-data');
    expect(config).toContain('certificate-authority-data');
    expect(extra.data!['client-key']).toBe(exported.data!['client-key']);
    const cross = await additional(elsewhere, 'tenant-kubeconfig');
    expect(cross.metadata.labels).toMatchObject({ app: 'vcluster', 'vcluster-name': vc });
    expect(decode(cross.data!.config)).toContain('server: https://vc.example.com:8443');
    expect(decode(cross.data!.config)).toContain('current-context: cross');

    // Used as it is, but for the server: the local virtual API server instead of a port-forward.
    const file = join(tmp, 'tenant.kubeconfig');
    writeFileSync(file, config);
    const clusters = testClusters();
    const get = spawnSync(
      clusters.kubectl,
      ['--kubeconfig', file, '--server', clusters.virtual.server, 'get', 'ns'],
      {
        encoding: 'utf8',
      },
    );
    expect({ code: get.status, stderr: get.stderr }).toEqual({ code: 0, stderr: '' });
    expect(get.stdout).toContain(ns);

    // A service account's token (vCluster's exportKubeConfig.serviceAccount): the account and its
    // binding to the role made in the virtual cluster, the syncer's own credentials not exported.
    const viewer = await additional(hostNs, 'vc-viewer');
    expect(Object.keys(viewer.data!).sort()).toEqual(['certificate-authority', 'config', 'token']);
    const viewerConfig = decode(viewer.data!.config);
    expect(viewerConfig).toMatch(/token: eyJ/);
    // vCluster's `token` key: the same token, for tools that read it alone.
    expect(viewerConfig).toContain(`token: ${decode(viewer.data!.token)}`);
    expect(viewerConfig).not.toContain('client-key-data');
    const binding = await getObject<{ roleRef: { name: string }; subjects: unknown[] }>('virtual', [
      'clusterrolebinding',
      'vcluster-sa-e2e-viewer-kube-system',
    ]);
    expect(binding?.roleRef.name).toBe('view');
    expect(binding?.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'e2e-viewer', namespace: 'kube-system' },
    ]);
    const viewerFile = join(tmp, 'viewer.kubeconfig');
    writeFileSync(viewerFile, viewerConfig);
    const asViewer = (...args: string[]) =>
      spawnSync(
        clusters.kubectl,
        ['--kubeconfig', viewerFile, '--server', clusters.virtual.server, ...args],
        {
          encoding: 'utf8',
        },
      );
    const pods = asViewer('get', 'pods', '-n', ns, '-o', 'name');
    expect({ code: pods.status, stderr: pods.stderr }).toEqual({ code: 0, stderr: '' });
    expect(pods.stdout).toContain('pod/web');
    expect(asViewer('auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}').stdout).toBe(
      'system:serviceaccount:kube-system:e2e-viewer',
    );
    expect(asViewer('auth', 'can-i', 'create', 'namespaces').stdout.trim()).toBe('no');

    await syncer!.stop();
    syncer = await startSyncer({ name: vc, hostNamespace: hostNs, args: syncerArgs });
    await waitFor(
      'the restarted syncer to find the kubeconfigs current',
      async () =>
        syncer!.logs().includes(`host Secret ${hostNs}/${secretName} holds the kubeconfig already`) &&
        syncer!.logs().includes(`host Secret ${hostNs}/vc-viewer holds the kubeconfig already`),
      60_000,
    );
    expect((await hostObject<Secret>('secret', secretName))!.metadata.resourceVersion).toBe(
      exported.metadata.resourceVersion,
    );
    // The token still accepted is kept: nothing minted, nothing written.
    expect((await hostObject<Secret>('secret', 'vc-viewer'))!.metadata.resourceVersion).toBe(
      viewer.metadata.resourceVersion,
    );
  }, 180_000);

  it('vsyncer check finds the clusters agreeing: owner references and the kubeconfig Secret are no difference', async () => {
    const report = await waitFor(
      'vsyncer check to exit 0',
      async () => {
        const r = await runVsyncerCheck(vc, hostNs, [ns]);
        if (r.code !== 0)
          throw new Error(`exit ${r.code}: ${r.stderr}${JSON.stringify(r.report?.differences ?? [])}`);
        return r.report ?? false;
      },
      120_000,
      1000,
    );
    // Agreeing because the objects were compared, not because nothing was: the owner-referenced
    // config map and pod were checked, the config map's content too.
    expect(report).toMatchObject({ agree: true, differences: [] });
    const byKind = Object.fromEntries(report.kinds.map((k) => [k.kind, k]));
    expect(byKind.configmaps).toMatchObject({ staleChecked: true, notChecked: null });
    expect(byKind.configmaps!.checked).toBeGreaterThanOrEqual(1);
    expect(byKind.pods!.checked).toBeGreaterThanOrEqual(1);
    expect(report.totals.checked).toBeGreaterThanOrEqual(2);
  }, 150_000);

  it('deleting the virtual API Service (helm uninstall) lets the host garbage collector delete every synced object', async () => {
    // helm uninstall stops the syncer (its StatefulSet) and deletes the Service.
    await syncer!.stop();
    syncer = undefined;
    await mustKubectl('host', ['delete', 'service', vc, '-n', hostNs]);
    await waitFor(
      'the garbage collector to delete the synced objects',
      async () => {
        const left: string[] = [];
        const pod = await hostObject('pod', hostName('web', ns, vc));
        // A pod the collector deleted may still be terminating on its node.
        if (pod && !pod.metadata.deletionTimestamp) left.push('pod');
        if (await hostObject('configmap', hostName('app-config', ns, vc))) left.push('configmap');
        if (await hostObject('secret', secretName)) left.push('kubeconfig secret');
        const synced = await getObject<List<Meta>>('host', [
          'secrets',
          '-n',
          hostNs,
          '-l',
          `vcluster.loft.sh/managed-by=${vc}`,
        ]);
        left.push(...synced!.items.map((s) => `secret ${s.metadata.name}`));
        if (left.length) throw new Error(`still there: ${left.join(', ')}`);
        return true;
      },
      90_000,
    );
  }, 120_000);
});
