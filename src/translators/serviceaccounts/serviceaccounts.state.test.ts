import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../../testing/state-table.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const SA = Resources.serviceAccounts;
const PODS = Resources.pods;
const hostName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;
const ROLE = 'eks.amazonaws.com/role-arn';

function account(name: string, annotations: Record<string, string> = {}, ns = 'team'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace: ns, labels: { app: name }, annotations },
    secrets: [{ name: `${name}-token` }],
    imagePullSecrets: [{ name: 'registry' }],
  };
}

const hostAccount = (t: StateTable, name = 'app', ns = 'team') =>
  t.host.objects(SA, HOST_NS).find((a) => a.metadata?.name === hostName(name, ns));
const virtualAccount = (t: StateTable, name = 'app', ns = 'team') =>
  t.virtual.objects(SA, ns).find((a) => a.metadata?.name === name);

async function withAccounts(
  accounts: KubeObject[],
  flags: Record<string, unknown> = {},
): Promise<StateTable> {
  const table = await start({ kinds: ['serviceaccounts'], flags });
  for (const a of accounts) await table.virtual.create(SA, a.metadata!.namespace!, a);
  await table.settle();
  return table;
}

describe('serviceaccounts state table', () => {
  it('create: named, labelled, annotated, no secrets, no token automount', async () => {
    const table = await withAccounts([account('app', { [ROLE]: 'arn:aws:iam::1:role/app' })]);
    const host = hostAccount(table)!;
    expect(host.metadata?.labels).toEqual({
      app: 'app',
      'vcluster.loft.sh/managed-by': VC,
      'vcluster.loft.sh/namespace': 'team',
    });
    expect(host.metadata?.annotations).toMatchObject({
      [ROLE]: 'arn:aws:iam::1:role/app',
      'vcluster.loft.sh/object-name': 'app',
      'vcluster.loft.sh/object-namespace': 'team',
      'vcluster.loft.sh/object-kind': '/v1, Kind=ServiceAccount',
    });
    expect(host.automountServiceAccountToken).toBe(false);
    expect(host.secrets).toBeUndefined();
    expect(host.imagePullSecrets).toBeUndefined();
    expect(table.host.writeLog()).toEqual([`create serviceaccounts ${HOST_NS}/${hostName('app')}`]);
  });

  describe('--workload-image-pull-secret with --workload-image-pull-secret-selector', () => {
    const pull = (selector: string) => ({
      workloadImagePullSecret: ['registry-creds', 'mirror-creds'],
      workloadImagePullSecretSelector: selector,
    });
    const labelled = (name: string, labels: Record<string, string>) => {
      const a = account(name);
      return { ...a, metadata: { ...a.metadata, labels } };
    };
    const pullSecretsOf = (t: StateTable, name: string) => hostAccount(t, name)?.imagePullSecrets;

    it("the host copies of matching accounts name the host's pull secrets; others, and the tenant's own, none", async () => {
      const table = await withAccounts(
        [labelled('builder', { 'inject-pull-secrets': 'true' }), labelled('web', { app: 'web' })],
        pull('inject-pull-secrets=true'),
      );
      expect(pullSecretsOf(table, 'builder')).toEqual([{ name: 'registry-creds' }, { name: 'mirror-creds' }]);
      expect(pullSecretsOf(table, 'web')).toBeUndefined();
      table.host.clearWrites();
      for (const name of ['builder', 'web'])
        table.controllers.get('serviceaccounts')!.controller.enqueue(`team/${name}`);
      await table.settle();
      expect(table.host.writeLog()).toEqual([]);
    });

    it('the label removed: the copy loses them; added: it gains them; a host edit is reverted', async () => {
      const table = await withAccounts(
        [labelled('builder', { 'inject-pull-secrets': 'true' })],
        pull('inject-pull-secrets=true'),
      );
      const relabel = async (labels: Record<string, string>) => {
        const v = virtualAccount(table, 'builder')!;
        await table.virtual.update(SA, 'team', { ...v, metadata: { ...v.metadata, labels } });
        await table.settle();
      };
      await relabel({ other: 'x' });
      expect(pullSecretsOf(table, 'builder')).toBeUndefined();
      await relabel({ 'inject-pull-secrets': 'true' });
      expect(pullSecretsOf(table, 'builder')).toHaveLength(2);
      const h = hostAccount(table, 'builder')!;
      await table.host.update(SA, HOST_NS, { ...h, imagePullSecrets: [{ name: 'something-else' }] });
      await table.settle();
      expect(pullSecretsOf(table, 'builder')).toEqual([{ name: 'registry-creds' }, { name: 'mirror-creds' }]);
    });

    it('"*" gives them to every account; no selector to none', async () => {
      const all = await withAccounts([labelled('web', {})], pull('*'));
      expect(pullSecretsOf(all, 'web')).toHaveLength(2);
      const none = await withAccounts([labelled('web', { 'inject-pull-secrets': 'true' })], pull(''));
      expect(pullSecretsOf(none, 'web')).toBeUndefined();
    });
  });

  it('denied annotations (exact keys and prefixes) never reach the host; others do', async () => {
    const table = await withAccounts(
      [account('app', { [ROLE]: 'arn', 'iam.gke.io/gcp-service-account': 'x@y', note: 'hi' })],
      { deniedServiceAccountAnnotation: [ROLE, 'iam.gke.io/*'] },
    );
    const annotations = hostAccount(table)!.metadata?.annotations ?? {};
    expect(annotations[ROLE]).toBeUndefined();
    expect(annotations['iam.gke.io/gcp-service-account']).toBeUndefined();
    expect(annotations.note).toBe('hi');
    // The tenant's own object keeps what it set.
    expect(virtualAccount(table)!.metadata?.annotations?.[ROLE]).toBe('arn');
  });

  it("the EKS webhook's token audience and lifetime never reach the host, whatever the deny-list: the role does", async () => {
    const table = await withAccounts([
      account('app', {
        [ROLE]: 'arn:aws:iam::1:role/app',
        'eks.amazonaws.com/audience': 'https://kubernetes.default.svc',
        'eks.amazonaws.com/token-expiration': '604800',
      }),
    ]);
    const annotations = hostAccount(table)!.metadata?.annotations ?? {};
    expect(annotations[ROLE]).toBe('arn:aws:iam::1:role/app');
    expect(annotations['eks.amazonaws.com/audience']).toBeUndefined();
    expect(annotations['eks.amazonaws.com/token-expiration']).toBeUndefined();
  });

  it('annotation changes flow down; a token automount or secret added on the host is reverted', async () => {
    const table = await withAccounts([account('app')]);
    const v = virtualAccount(table)!;
    await table.virtual.update(SA, 'team', {
      ...v,
      metadata: { ...v.metadata, annotations: { [ROLE]: 'arn:new' } },
    });
    await table.settle();
    expect(hostAccount(table)!.metadata?.annotations?.[ROLE]).toBe('arn:new');
    await table.host.update(SA, HOST_NS, {
      ...hostAccount(table)!,
      automountServiceAccountToken: true,
      secrets: [{ name: 'host-secret' }],
    });
    await table.settle();
    expect(hostAccount(table)!.automountServiceAccountToken).toBe(false);
    expect(hostAccount(table)!.secrets).toBeUndefined();
  });

  it('steady state: a second pass writes nothing', async () => {
    const table = await withAccounts([account('app', { [ROLE]: 'arn' })]);
    table.virtual.clearWrites();
    table.host.clearWrites();
    table.controllers.get('serviceaccounts')!.controller.enqueue('team/app');
    await table.settle();
    expect(table.writes()).toEqual([]);
  });

  it('virtual account deleted: its host copy goes', async () => {
    const table = await withAccounts([account('app')]);
    expect(hostAccount(table)).toBeDefined();
    await table.virtual.delete(SA, 'team', 'app');
    await table.settle();
    expect(hostAccount(table)).toBeUndefined();
  });

  it('an unmanaged host account in the way: untouched, SyncError', async () => {
    const theirs: KubeObject = { metadata: { name: hostName('app'), namespace: HOST_NS } };
    const table = await start({ kinds: ['serviceaccounts'], host: [[SA, theirs]] });
    await table.virtual.create(SA, 'team', account('app'));
    await table.settle();
    expect(table.host.writeLog()).toEqual([]);
    expect(table.virtual.objects(Resources.events, 'team').map((e) => e.reason)).toEqual(['SyncError']);
  });
});

// --- pods run as the host copy of their account ------------------------------------------------------

const infrastructure: { virtual: Seed[]; host: Seed[] } = {
  virtual: [
    [
      Resources.services,
      { metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { clusterIP: '10.96.0.10' } },
    ],
    [Resources.namespaces, { metadata: { name: 'team' } }],
  ],
  host: [
    [
      Resources.services,
      {
        metadata: { name: VC, namespace: HOST_NS },
        spec: { clusterIP: '10.96.0.50', ports: [{ port: 443 }] },
      },
    ],
  ],
};

const pod = (name: string, serviceAccountName?: string): KubeObject => ({
  metadata: { name, namespace: 'team', uid: `uid-${name}` },
  spec: { containers: [{ name: 'main', image: 'app:1' }], serviceAccountName },
});
const hostPod = (t: StateTable, name: string) =>
  t.host.objects(PODS, HOST_NS).find((p) => p.metadata?.name === hostName(name));
const podSpec = (p: KubeObject | undefined) =>
  p?.spec as { serviceAccountName?: string; automountServiceAccountToken?: boolean };

describe('pods with synced service accounts', () => {
  it('a pod runs on the host as the copy of its virtual account, without a host token', async () => {
    const table = await start({
      kinds: ['pods', 'serviceaccounts'],
      virtual: [
        ...infrastructure.virtual,
        [SA, account('app', { [ROLE]: 'arn' })],
        [SA, account('default')],
        [PODS, pod('web', 'app')],
        [PODS, pod('plain')],
      ],
      host: infrastructure.host,
    });
    await table.settle();
    expect(podSpec(hostPod(table, 'web'))).toMatchObject({
      serviceAccountName: hostName('app'),
      automountServiceAccountToken: false,
    });
    expect(podSpec(hostPod(table, 'plain')).serviceAccountName).toBe(hostName('default'));
  });

  it('a pod waits while its account has no host copy of ours (its host name is held by another object)', async () => {
    const theirs: KubeObject = { metadata: { name: hostName('app'), namespace: HOST_NS } };
    const table = await start({
      kinds: ['pods', 'serviceaccounts'],
      virtual: [...infrastructure.virtual, [SA, account('app')], [PODS, pod('web', 'app')]],
      host: [...infrastructure.host, [SA, theirs]],
    });
    await table.settle();
    expect(hostPod(table, 'web')).toBeUndefined();
    expect(table.host.writeLog().filter((w) => w.includes(' pods '))).toEqual([]);
  });

  it('an account deleted while a host pod runs as it keeps its host copy until that pod is gone (its name must not pass to another account)', async () => {
    const table = await start({
      kinds: ['pods', 'serviceaccounts'],
      virtual: [
        ...infrastructure.virtual,
        [SA, account('app', { [ROLE]: 'arn' })],
        [PODS, pod('web', 'app')],
      ],
      host: infrastructure.host,
    });
    await table.settle();
    expect(podSpec(hostPod(table, 'web')).serviceAccountName).toBe(hostName('app'));
    await table.virtual.delete(SA, 'team', 'app');
    await table.settle();
    table.clock.advance(10_000);
    await table.settle();
    expect(hostAccount(table)).toBeDefined();
    await table.virtual.delete(PODS, 'team', 'web');
    await table.settle();
    expect(hostPod(table, 'web')).toBeUndefined();
    table.clock.advance(10_000);
    await table.settle();
    expect(hostAccount(table)).toBeUndefined();
  });

  it('without the kind, pods keep running as the workload account', async () => {
    const table = await start({
      kinds: ['pods'],
      virtual: [...infrastructure.virtual, [SA, account('app')], [PODS, pod('web', 'app')]],
      host: infrastructure.host,
    });
    await table.settle();
    expect(podSpec(hostPod(table, 'web')).serviceAccountName).toBe(`vc-workload-${VC}`);
  });
});
