import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  installExternalSecretsCrds,
  startExternalSecrets,
  type ExternalSecretsProcess,
} from '../test/harness/external-secrets.ts';
import { waitFor } from '../test/harness/clusters.ts';
import {
  apply,
  createTenantNamespace,
  getObject,
  mustKubectl,
  waitForEvents,
  applyOnceServed,
} from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

/*
 * vCluster's integrations.externalSecrets with the real thing: External Secrets Operator's controller
 * (the pinned release, built from its Go module) runs against the host and fills the Secrets a tenant
 * asks for in the virtual cluster. The syncer copies the tenant's SecretStores and ExternalSecrets
 * down (toHost.stores), shows the host's ClusterSecretStores that the selector offers
 * (fromHost.clusterStores), and brings each filled Secret back into the tenant's namespace. A store
 * that would act with the host's identity (its service account, its cloud credentials) and a
 * generator (which would run on the host) stay in the virtual cluster.
 */

interface Secret {
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; controller?: boolean }[];
  };
  type?: string;
  data?: Record<string, string>;
}
interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface ExternalSecretObject {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    secretStoreRef: { name: string; kind?: string };
    target?: { name?: string; template?: unknown };
  };
  status?: { conditions?: Condition[] };
}
interface SecretStoreObject {
  metadata: { name: string };
  spec: { provider: { fake?: { data: { key: string; value: string }[] } } };
}

const vc = uniqueName('eso');
const hostNs = `host-${vc}`;
const ns = uniqueName('secrets');
/** Host ClusterSecretStores: one the selector offers to tenants, one it does not. */
const offered = uniqueName('offered');
const withheld = uniqueName('withheld');
const OFFER_LABEL = 'e2e.vsyncer.dev/offer';
let syncer: SyncerProcess;
let eso: ExternalSecretsProcess;
let dir: string;

const hostName = (name: string) => `${name}-x-${ns}-x-${vc}`;
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A store over ESO's fake provider, which serves the key/value pairs it is given (no network). */
const fakeProvider = (data: { key: string; value: string }[]) => ({ fake: { data } });
const secretStore = (name: string, provider: object) => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'SecretStore',
  metadata: { name, namespace: ns },
  spec: { provider },
});
const clusterSecretStore = (name: string, labels: Record<string, string>, value: string) => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'ClusterSecretStore',
  metadata: { name, labels },
  spec: { provider: fakeProvider([{ key: 'shared', value }]) },
});
const externalSecret = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'ExternalSecret',
  metadata: { name, namespace: ns },
  spec: { refreshInterval: '10s', ...spec },
});
/** data: [{secretKey: password, remoteRef: {key: db}}], ESO's plainest ask. */
const passwordFrom = (store: string, kind = 'SecretStore') => ({
  secretStoreRef: { name: store, kind },
  data: [{ secretKey: 'password', remoteRef: { key: 'db' } }],
});

/** The tenant's Secret once its key holds the expected value (ESO filled the host Secret, the syncer brought it up). */
async function filled(name: string, key: string, value: string, timeoutMs = 90_000): Promise<Secret> {
  return waitFor(
    `the Secret ${name} in the virtual cluster with ${key}=${value}`,
    async () => {
      const s = await getObject<Secret>('virtual', ['secret', name, '-n', ns]);
      return s?.data?.[key] === b64(value) ? s : undefined;
    },
    timeoutMs,
    500,
  );
}

/** Applies an External Secrets object in the virtual cluster once its kind has started there. */
const applyVirtual = (manifest: object) =>
  applyOnceServed('virtual', manifest, 'the External Secrets kinds in the virtual cluster');

/** A Warning event with reason SyncError on a tenant's object (the syncer's refusal). */
async function refused(name: string): Promise<{ type: string; message: string }> {
  const events = await waitForEvents('virtual', ns, name, 'SyncError', 90_000);
  const warning = events.find((e) => e.type === 'Warning');
  expect(warning).toBeDefined();
  return warning!;
}

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  await installExternalSecretsCrds();
  eso = await startExternalSecrets();
  await apply('host', clusterSecretStore(offered, { [OFFER_LABEL]: 'tenants' }, 'for-tenants'));
  await apply('host', clusterSecretStore(withheld, { [OFFER_LABEL]: 'admins' }, 'for-admins'));
  dir = mkdtempSync(join(tmpdir(), 'vsyncer-eso-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      integrations: {
        externalSecrets: {
          enabled: true,
          sync: {
            toHost: { stores: { enabled: true } },
            fromHost: {
              clusterStores: { enabled: true, selector: { matchLabels: { [OFFER_LABEL]: 'tenants' } } },
            },
          },
        },
      },
    }),
  );
  syncer = await startSyncer({ name: vc, hostNamespace: hostNs, args: ['--config', config] });
  await createTenantNamespace(ns);
}, 600_000);

afterAll(async () => {
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await syncer?.stop();
  await eso?.stop();
  for (const name of [offered, withheld])
    await mustKubectl('host', ['delete', 'clustersecretstore', name, '--ignore-not-found']).catch(
      () => undefined,
    );
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('integrations.externalSecrets with a real External Secrets Operator on the host', () => {
  it("a tenant's SecretStore and ExternalSecret: ESO fills the host Secret, which the tenant gets, and the status comes back", async () => {
    const cfg = JSON.stringify({ host: 'db.internal', port: 5432 });
    await applyVirtual(
      secretStore(
        'vault-a',
        fakeProvider([
          { key: 'db', value: 's3cr3t' },
          { key: 'cfg', value: cfg },
        ]),
      ),
    );
    await applyVirtual(
      externalSecret('db-creds', {
        secretStoreRef: { name: 'vault-a', kind: 'SecretStore' },
        data: [
          { secretKey: 'password', remoteRef: { key: 'db' } },
          { secretKey: 'host', remoteRef: { key: 'cfg', property: 'host' } },
        ],
      }),
    );
    const secret = await filled('db-creds', 'password', 's3cr3t');
    expect(secret.data?.host).toBe(b64('db.internal'));

    // The host copies: the store as written, the ExternalSecret naming the store's copy and, as its
    // target, the host name of a Secret named like the ExternalSecret (the tenant wrote no target).
    const storeCopy = await getObject<SecretStoreObject>('host', [
      'secretstore',
      hostName('vault-a'),
      '-n',
      hostNs,
    ]);
    expect(storeCopy?.spec.provider.fake?.data).toEqual([
      { key: 'db', value: 's3cr3t' },
      { key: 'cfg', value: cfg },
    ]);
    const copy = await getObject<ExternalSecretObject>('host', [
      'externalsecret',
      hostName('db-creds'),
      '-n',
      hostNs,
    ]);
    expect(copy?.spec.secretStoreRef).toMatchObject({ name: hostName('vault-a'), kind: 'SecretStore' });
    expect(copy?.spec.target?.name).toBe(hostName('db-creds'));
    const hostSecret = await getObject<Secret>('host', ['secret', hostName('db-creds'), '-n', hostNs]);
    expect(hostSecret?.data?.password).toBe(secret.data?.password);
    expect(hostSecret?.data?.host).toBe(secret.data?.host);

    // Its status comes back: Ready, as the tenant's tooling (argo, kubectl wait) expects.
    const ready = await waitFor(
      'the ExternalSecret Ready in the virtual cluster',
      async () => {
        const es = await getObject<ExternalSecretObject>('virtual', ['externalsecret', 'db-creds', '-n', ns]);
        return es?.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
      },
      90_000,
    );
    expect(ready.message ?? '').not.toContain(hostNs);
  }, 240_000);

  it("a change to the store's data reaches the tenant's Secret at the next refresh", async () => {
    await applyVirtual(secretStore('vault-b', fakeProvider([{ key: 'db', value: 's3cr3t' }])));
    await applyVirtual(externalSecret('rotating', passwordFrom('vault-b')));
    await filled('rotating', 'password', 's3cr3t');

    await apply('virtual', secretStore('vault-b', fakeProvider([{ key: 'db', value: 'n3w' }])));
    // ESO refreshes every 10 s; an annotation change (ESO's force-sync idiom) refreshes at once,
    // when annotations reach the host copy. Best effort: the refresh interval alone must also do.
    await waitFor(
      "the store's new data on its host copy",
      async () => {
        const s = await getObject<SecretStoreObject>('host', [
          'secretstore',
          hostName('vault-b'),
          '-n',
          hostNs,
        ]);
        return s?.spec.provider.fake?.data[0]?.value === 'n3w';
      },
      90_000,
    );
    await mustKubectl('virtual', [
      'annotate',
      'externalsecret',
      'rotating',
      '-n',
      ns,
      `force-sync=${Date.now()}`,
      '--overwrite',
    ]).catch(() => undefined);
    await filled('rotating', 'password', 'n3w', 90_000);
  }, 240_000);

  it("a target name and a template: the tenant's Secret of that name holds the rendered data and the template's labels", async () => {
    await applyVirtual(secretStore('vault-c', fakeProvider([{ key: 'db', value: 's3cr3t' }])));
    await applyVirtual(
      externalSecret('app-db', {
        ...passwordFrom('vault-c'),
        target: {
          name: 'app-db-url',
          template: {
            type: 'Opaque',
            metadata: { labels: { team: 'a' } },
            data: { url: 'postgres://u:{{ .password }}@db' },
          },
        },
      }),
    );
    const secret = await filled('app-db-url', 'url', 'postgres://u:s3cr3t@db');
    expect(secret.type).toBe('Opaque');
    expect(secret.metadata.labels?.team).toBe('a');
    // The template's data replaces the fetched keys (ESO's default mergePolicy: Replace).
    expect(Object.keys(secret.data ?? {})).toEqual(['url']);
    // Named as the tenant asked, not after the ExternalSecret.
    expect(await getObject('virtual', ['secret', 'app-db', '-n', ns])).toBeUndefined();

    const copy = await getObject<ExternalSecretObject>('host', [
      'externalsecret',
      hostName('app-db'),
      '-n',
      hostNs,
    ]);
    expect(copy?.spec.target?.name).toBe(hostName('app-db-url'));
    const hostSecret = await getObject<Secret>('host', ['secret', hostName('app-db-url'), '-n', hostNs]);
    expect(hostSecret?.data?.url).toBe(secret.data?.url);
  }, 240_000);

  it('the host ClusterSecretStores the selector offers are shown in the virtual cluster, no other', async () => {
    await waitFor(
      'the offered ClusterSecretStore in the virtual cluster',
      () => getObject('virtual', ['clustersecretstore', offered]),
      90_000,
    );
    expect(await getObject('virtual', ['clustersecretstore', withheld])).toBeUndefined();
  }, 120_000);

  it("an ExternalSecret naming an offered ClusterSecretStore gets its Secret from the host's store", async () => {
    await waitFor(
      'the offered ClusterSecretStore in the virtual cluster',
      () => getObject('virtual', ['clustersecretstore', offered]),
      90_000,
    );
    await applyVirtual(
      externalSecret('from-cluster', {
        secretStoreRef: { name: offered, kind: 'ClusterSecretStore' },
        data: [{ secretKey: 'token', remoteRef: { key: 'shared' } }],
      }),
    );
    await filled('from-cluster', 'token', 'for-tenants');
    const copy = await getObject<ExternalSecretObject>('host', [
      'externalsecret',
      hostName('from-cluster'),
      '-n',
      hostNs,
    ]);
    // A ClusterSecretStore is the host's own: named as it is.
    expect(copy?.spec.secretStoreRef).toMatchObject({ name: offered, kind: 'ClusterSecretStore' });
  }, 240_000);

  it('an ExternalSecret naming a ClusterSecretStore the host does not offer waits, saying so, and is not copied to the host', async () => {
    await applyVirtual(
      externalSecret('from-withheld', {
        secretStoreRef: { name: withheld, kind: 'ClusterSecretStore' },
        data: [{ secretKey: 'token', remoteRef: { key: 'shared' } }],
      }),
    );
    const waiting = await waitForEvents('virtual', ns, 'from-withheld', 'Waiting', 90_000);
    expect(waiting[0]?.message).toContain(`clustersecretstores.external-secrets.io "${withheld}" not found`);
    expect(
      await getObject('host', ['externalsecret', hostName('from-withheld'), '-n', hostNs]),
    ).toBeUndefined();
    expect(await getObject('virtual', ['secret', 'from-withheld', '-n', ns])).toBeUndefined();
  }, 180_000);

  it("a SecretStore that would act with the host's service account is not copied to the host", async () => {
    await applyVirtual(
      secretStore('host-sa', {
        kubernetes: {
          remoteNamespace: 'kube-system',
          server: { caProvider: { type: 'ConfigMap', name: 'kube-root-ca.crt', key: 'ca.crt' } },
          auth: { serviceAccount: { name: 'default' } },
        },
      }),
    );
    // Refused for its provider (not one a tenant's store may use), not for some other reason.
    expect((await refused('host-sa')).message).toContain('spec.provider.kubernetes is set');
    expect(await getObject('host', ['secretstore', hostName('host-sa'), '-n', hostNs])).toBeUndefined();
  }, 180_000);

  it("a SecretStore that would use the host's ambient cloud credentials is not copied to the host", async () => {
    // No auth.secretRef: the AWS SDK's default chain, i.e. the node's or the pod's identity.
    await applyVirtual(
      secretStore('ambient-aws', { aws: { service: 'SecretsManager', region: 'eu-west-1' } }),
    );
    expect((await refused('ambient-aws')).message).toContain('spec.provider.aws.auth is not set');
    expect(await getObject('host', ['secretstore', hostName('ambient-aws'), '-n', hostNs])).toBeUndefined();
  }, 180_000);

  it('an ExternalSecret with a generator is not copied to the host', async () => {
    await applyVirtual(
      externalSecret('generated', {
        dataFrom: [
          {
            sourceRef: {
              generatorRef: {
                apiVersion: 'generators.external-secrets.io/v1alpha1',
                kind: 'Password',
                name: 'pw',
              },
            },
          },
        ],
      }),
    );
    expect((await refused('generated')).message).toContain('spec.dataFrom[0].sourceRef is set');
    expect(await getObject('host', ['externalsecret', hostName('generated'), '-n', hostNs])).toBeUndefined();
    expect(await getObject('virtual', ['secret', 'generated', '-n', ns])).toBeUndefined();
  }, 180_000);

  it("a deleted ExternalSecret takes its host copy and host Secret with it, and its Secret goes with it in the tenant's cluster (ESO's creationPolicy Owner)", async () => {
    await applyVirtual(secretStore('vault-f', fakeProvider([{ key: 'db', value: 's3cr3t' }])));
    await applyVirtual(externalSecret('short-lived', passwordFrom('vault-f')));
    const before = await filled('short-lived', 'password', 's3cr3t');
    // Owned by the ExternalSecret, as ESO's default makes it: the virtual cluster's garbage collector
    // removes it with the ExternalSecret.
    expect(before.metadata.ownerReferences).toMatchObject([
      { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'short-lived', controller: true },
    ]);
    await waitFor(
      'the host ExternalSecret',
      () => getObject('host', ['externalsecret', hostName('short-lived'), '-n', hostNs]),
      60_000,
    );
    await mustKubectl('virtual', ['delete', 'externalsecret', 'short-lived', '-n', ns]);
    await waitFor(
      'the host ExternalSecret and Secret gone',
      async () =>
        (await getObject('host', ['externalsecret', hostName('short-lived'), '-n', hostNs])) === undefined &&
        (await getObject('host', ['secret', hostName('short-lived'), '-n', hostNs])) === undefined,
      90_000,
    );
    await waitFor(
      "the tenant's Secret removed by the virtual cluster's garbage collector",
      async () => (await getObject('virtual', ['secret', 'short-lived', '-n', ns])) === undefined,
      90_000,
    );
  }, 240_000);
});
