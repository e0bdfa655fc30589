import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { hostName } from '../src/naming/names.ts';
import { helmBinary } from '../test/chart/render.ts';
import { testClusters, waitFor } from '../test/harness/clusters.ts';
import { goModuleDir } from '../test/harness/go-module.ts';
import { apply, getObject, recordMeasurement, type List } from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

/*
 * A public chart installed into the virtual cluster as a tenant would: HashiCorp's Vault chart (HA
 * Raft: a StatefulSet with a claim per replica, a PodDisruptionBudget, service accounts, RBAC, a
 * mutating webhook) and its agent injector (a Deployment). Every object must land where vCluster
 * puts it at its defaults: workloads' pods, services, config and claims on the host; controllers,
 * budgets, service accounts, RBAC and webhooks only in the virtual cluster. The chart comes from its Go module (the Go
 * module proxy is the registry this machine reaches), pinned here.
 */
const VAULT_CHART = { module: 'github.com/hashicorp/vault-helm', version: 'v0.34.1' };

const vc = uniqueName('pub');
const hostNs = `host-${vc}`;
const ns = uniqueName('vault');
let syncer: SyncerProcess;

interface Named {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}
interface Claim extends Named {
  spec: { volumeName?: string; accessModes?: string[]; resources?: { requests?: { storage?: string } } };
  status?: { phase?: string };
}
interface Pod extends Named {
  spec: { nodeName?: string };
  status?: { phase?: string };
}

const names = async (cluster: 'host' | 'virtual', kind: string, namespace: string): Promise<string[]> =>
  ((await getObject<List<Named>>(cluster, [kind, '-n', namespace]))?.items ?? [])
    .map((o) => o.metadata.name)
    .sort();

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  syncer = await startSyncer({ name: vc, hostNamespace: hostNs });
  const clusters = testClusters();
  const started = Date.now();
  execFileSync(
    helmBinary(),
    [
      'install',
      'vault',
      goModuleDir(VAULT_CHART.module, VAULT_CHART.version),
      '--namespace',
      ns,
      '--create-namespace',
      '--kubeconfig',
      clusters.virtual.kubeconfig,
      '--values',
      join(import.meta.dirname, '..', 'test', 'fixtures', 'vault-values.yaml'),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // No provisioner runs on the host: the test binds each host claim as one would.
  const claims = await waitFor(
    'the three Raft claims on the host',
    async () => {
      const list = await getObject<List<Claim>>('host', ['pvc', '-n', hostNs]);
      return list && list.items.length === 3 && list.items;
    },
    120_000,
  );
  for (const claim of claims) {
    await apply('host', {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `pv-${claim.metadata.name}`.slice(0, 63) },
      spec: {
        capacity: { storage: claim.spec.resources?.requests?.storage ?? '1Gi' },
        accessModes: claim.spec.accessModes ?? ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: '',
        hostPath: { path: `/tmp/${claim.metadata.name}` },
        claimRef: { namespace: hostNs, name: claim.metadata.name },
      },
    });
  }
  await waitFor(
    'every Vault pod Running in the virtual cluster',
    async () => {
      const pods = (await getObject<List<Pod>>('virtual', ['pods', '-n', ns]))?.items ?? [];
      return pods.length === 4 && pods.every((p) => p.status?.phase === 'Running');
    },
    180_000,
  );
  recordMeasurement('public chart (vault) running through the syncer', (Date.now() - started) / 1000, {
    unit: 's',
    chart: `${VAULT_CHART.module}@${VAULT_CHART.version}`,
  });
}, 300_000);

afterAll(async () => {
  await syncer?.stop();
});

describe("a public chart (HashiCorp's Vault, HA Raft and agent injector) in the virtual cluster", () => {
  it("runs every pod on the host under vCluster's names, on the nodes the virtual cluster shows", async () => {
    const virtualPods = (await getObject<List<Pod>>('virtual', ['pods', '-n', ns]))!.items;
    // The virtual cluster is shared with other test files, and this syncer copies their pods into its
    // host namespace too: only the copies of this namespace's pods are compared.
    const hostPods = (await getObject<List<Pod>>('host', [
      'pods',
      '-n',
      hostNs,
      '-l',
      `vcluster.loft.sh/namespace=${ns}`,
    ]))!.items;
    expect(hostPods.map((p) => p.metadata.name).sort()).toEqual(
      virtualPods.map((p) => hostName(p.metadata.name, ns, vc)).sort(),
    );
    for (const p of virtualPods) expect(p.spec.nodeName).toMatch(/^kwok-node-/);
    expect(virtualPods.map((p) => p.metadata.name)).toEqual(
      expect.arrayContaining([
        'vault-0',
        'vault-1',
        'vault-2',
        expect.stringMatching(/^vault-agent-injector-/),
      ]),
    );
  }, 60_000);

  it('keeps its data: each Raft claim is on the host and Bound, with a fake volume in the virtual cluster', async () => {
    const claims = (await getObject<List<Claim>>('virtual', ['pvc', '-n', ns]))!.items;
    expect(claims.map((c) => c.metadata.name).sort()).toEqual([
      'data-vault-0',
      'data-vault-1',
      'data-vault-2',
    ]);
    for (const claim of claims) {
      expect(claim.status?.phase).toBe('Bound');
      const volume = await getObject<Named>('virtual', ['pv', claim.spec.volumeName!]);
      expect(volume?.metadata.labels?.['vcluster.loft.sh/fake-pv']).toBe('true');
    }
    expect(await names('host', 'pvc', hostNs)).toEqual(
      claims.map((c) => hostName(c.metadata.name, ns, vc)).sort(),
    );
  }, 60_000);

  it('keeps its disruption budget in the virtual cluster (budgets are not synced by default, as in vCluster)', async () => {
    expect(await names('virtual', 'pdb', ns)).toEqual(['vault']);
    expect(await names('host', 'pdb', hostNs)).toEqual([]);
  }, 60_000);

  it('puts its services and the config its pods mount on the host', async () => {
    const services = await names('host', 'services', hostNs);
    for (const svc of [
      'vault',
      'vault-active',
      'vault-standby',
      'vault-internal',
      'vault-agent-injector-svc',
    ])
      expect(services).toContain(hostName(svc, ns, vc));
    expect(await names('host', 'configmaps', hostNs)).toContain(hostName('vault-config', ns, vc));
  }, 60_000);

  it('keeps controllers, service accounts, RBAC and webhooks in the virtual cluster only', async () => {
    for (const kind of ['statefulsets', 'deployments', 'replicasets', 'roles', 'rolebindings'])
      expect(await names('host', kind, hostNs)).toEqual([]);
    // The host namespace's own accounts (the chart's), none of the tenant's.
    const hostAccounts = await names('host', 'serviceaccounts', hostNs);
    expect(hostAccounts.filter((a) => a.includes(`-x-${ns}-x-`))).toEqual([]);
    expect(await names('virtual', 'serviceaccounts', ns)).toEqual(
      expect.arrayContaining(['vault', 'vault-agent-injector']),
    );
    const webhooks = (await getObject<List<Named>>('host', ['mutatingwebhookconfigurations']))!.items;
    expect(webhooks.map((w) => w.metadata.name)).not.toContain('vault-agent-injector-cfg');
    const virtualWebhooks = (await getObject<List<Named>>('virtual', ['mutatingwebhookconfigurations']))!
      .items;
    expect(virtualWebhooks.map((w) => w.metadata.name)).toContain('vault-agent-injector-cfg');
  }, 60_000);
});
