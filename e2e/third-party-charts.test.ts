import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostName } from '../src/naming/names.ts';
import { helmBinary } from '../test/chart/render.ts';
import { testClusters, waitFor } from '../test/harness/clusters.ts';
import { goModuleDir } from '../test/harness/go-module.ts';
import { getObject, mustKubectl, recordMeasurement, type List } from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

/*
 * Two more public charts, installed and uninstalled with Helm as a tenant would, pinned to the Go
 * modules whose repositories hold them: metrics-server (cluster roles and bindings, a service
 * account, a Deployment and its Service) and external-secrets (two validating webhooks, a cert
 * controller that fills their certificate Secret, and three Deployments; its definitions are
 * generated at release, so the repository's chart has none). Each must install with `--wait`, land
 * where vCluster puts it at its defaults, and leave nothing on the host once it is uninstalled.
 */
const METRICS_SERVER = {
  module: 'sigs.k8s.io/metrics-server',
  version: 'v0.8.0',
  dir: 'charts/metrics-server',
};
const EXTERNAL_SECRETS = {
  module: 'github.com/external-secrets/external-secrets',
  version: 'v0.16.2',
  dir: 'deploy/charts/external-secrets',
};

const vc = uniqueName('charts');
const hostNs = `host-${vc}`;
const metricsNs = uniqueName('metrics');
const esoNs = uniqueName('eso');
let syncer: SyncerProcess;
let scratch: string;

interface Named {
  metadata: { name: string; labels?: Record<string, string> };
}
interface Pod extends Named {
  status?: { phase?: string };
}

function helm(args: string[]): string {
  return execFileSync(helmBinary(), [...args, '--kubeconfig', testClusters().virtual.kubeconfig], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * external-secrets' chart, copied out of the read-only module cache without its one dependency (the
 * Bitwarden SDK server, off by default, whose OCI registry this machine does not reach; Helm wants
 * every declared dependency present, enabled or not).
 */
function externalSecretsChart(): string {
  const chart = join(scratch, 'external-secrets');
  cpSync(join(goModuleDir(EXTERNAL_SECRETS.module, EXTERNAL_SECRETS.version), EXTERNAL_SECRETS.dir), chart, {
    recursive: true,
  });
  const chartYaml = join(chart, 'Chart.yaml');
  const text = readFileSync(chartYaml, 'utf8');
  const cut = text.indexOf('\ndependencies:');
  if (cut < 0) throw new Error(`${chartYaml}: no dependencies block to drop; the chart changed`);
  writeFileSync(chartYaml, text.slice(0, cut + 1));
  rmSync(join(chart, 'Chart.lock'), { force: true });
  return chart;
}

/** This test's host copies of one virtual namespace's objects of a kind. */
const hostCopies = async (kind: string, namespace: string): Promise<string[]> =>
  (
    (
      await getObject<List<Named>>('host', [
        kind,
        '-n',
        hostNs,
        '-l',
        `vcluster.loft.sh/managed-by=${vc},vcluster.loft.sh/namespace=${namespace}`,
      ])
    )?.items ?? []
  )
    .map((o) => o.metadata.name)
    .sort();

const virtualPods = async (namespace: string) =>
  (await getObject<List<Pod>>('virtual', ['pods', '-n', namespace]))?.items ?? [];

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'third-party-charts-'));
  await prepareHostNamespace(vc, hostNs);
  syncer = await startSyncer({ name: vc, hostNamespace: hostNs });
  const started = Date.now();
  // No APIService: nothing answers behind it on kwok's nodes, and an unavailable aggregated API
  // stalls namespace deletion for every test that shares this virtual cluster.
  helm([
    'install',
    'metrics',
    join(goModuleDir(METRICS_SERVER.module, METRICS_SERVER.version), METRICS_SERVER.dir),
    '--namespace',
    metricsNs,
    '--create-namespace',
    '--set',
    'apiService.create=false',
    '--wait',
    '--timeout',
    '180s',
  ]);
  helm([
    'install',
    'eso',
    externalSecretsChart(),
    '--namespace',
    esoNs,
    '--create-namespace',
    '--wait',
    '--timeout',
    '180s',
  ]);
  recordMeasurement(
    'third-party charts (metrics-server, external-secrets) installed with --wait',
    (Date.now() - started) / 1000,
    {
      unit: 's',
      charts: [METRICS_SERVER, EXTERNAL_SECRETS].map((c) => `${c.module}@${c.version}`),
    },
  );
}, 420_000);

afterAll(async () => {
  for (const [release, namespace] of [
    ['metrics', metricsNs],
    ['eso', esoNs],
  ])
    try {
      helm(['uninstall', release!, '--namespace', namespace!, '--ignore-not-found']);
    } catch {
      // Already gone (the uninstall test below) or the install never happened.
    }
  await mustKubectl('virtual', [
    'delete',
    'namespace',
    metricsNs,
    esoNs,
    '--wait=false',
    '--ignore-not-found',
  ]);
  await syncer?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('third-party charts installed by a tenant (metrics-server, external-secrets)', () => {
  it('run every pod on the host under its translated name, and report them Running', async () => {
    for (const namespace of [metricsNs, esoNs]) {
      const pods = await virtualPods(namespace);
      expect(pods.every((p) => p.status?.phase === 'Running')).toBe(true);
      expect(await hostCopies('pods', namespace)).toEqual(
        pods.map((p) => hostName(p.metadata.name, namespace, vc)).sort(),
      );
    }
    expect((await virtualPods(metricsNs)).length).toBe(1);
    // The controller, its webhook and its cert controller.
    expect((await virtualPods(esoNs)).length).toBe(3);
  }, 60_000);

  it('put their Services on the host, and the webhook certificate Secret the webhook mounts', async () => {
    expect(await hostCopies('services', metricsNs)).toEqual([
      hostName('metrics-metrics-server', metricsNs, vc),
    ]);
    expect(await hostCopies('services', esoNs)).toContain(
      hostName('eso-external-secrets-webhook', esoNs, vc),
    );
    expect(await hostCopies('secrets', esoNs)).toContain(hostName('eso-external-secrets-webhook', esoNs, vc));
  }, 60_000);

  it('keep webhooks, RBAC, controllers and service accounts in the virtual cluster only', async () => {
    // The chart's webhooks (its definitions are generated at release, not in its repository).
    const webhookNames = async (cluster: 'host' | 'virtual') =>
      (await getObject<List<Named>>(cluster, ['validatingwebhookconfigurations']))!.items.map(
        (w) => w.metadata.name,
      );
    expect(await webhookNames('virtual')).toEqual(
      expect.arrayContaining(['secretstore-validate', 'externalsecret-validate']),
    );
    expect((await webhookNames('host')).filter((n) => n.endsWith('-validate'))).toEqual([]);
    const hostRoles = (await getObject<List<Named>>('host', ['clusterroles']))!.items.map(
      (r) => r.metadata.name,
    );
    expect(hostRoles.filter((n) => n.includes('metrics-server') || n.includes('external-secrets'))).toEqual(
      [],
    );
    for (const namespace of [metricsNs, esoNs]) {
      expect(await hostCopies('serviceaccounts', namespace)).toEqual([]);
      expect(await hostCopies('roles', namespace)).toEqual([]);
      expect(await hostCopies('deployments', namespace)).toEqual([]);
    }
  }, 60_000);

  it('leave no host copy behind once uninstalled', async () => {
    helm(['uninstall', 'metrics', '--namespace', metricsNs, '--wait', '--timeout', '120s']);
    helm(['uninstall', 'eso', '--namespace', esoNs, '--wait', '--timeout', '120s']);
    for (const namespace of [metricsNs, esoNs])
      await waitFor(
        `no host pod, Service, Secret or Endpoints of ${namespace} left`,
        async () => {
          const left = [
            ...(await hostCopies('pods', namespace)),
            ...(await hostCopies('services', namespace)),
            ...(await hostCopies('secrets', namespace)),
            ...(await hostCopies('endpoints', namespace)),
          ];
          return left.length === 0;
        },
        90_000,
      );
  }, 300_000);
});
