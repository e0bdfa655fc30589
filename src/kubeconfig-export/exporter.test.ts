import type { ClusterClient } from '../kube/client.ts';
import type { KubeObject, OwnerReference } from '../kube/object.ts';
import { OwningClient } from '../kube/owning-client.ts';
import { Resources } from '../kube/resources.ts';
import { FakeCluster } from '../testing/fake-cluster.ts';
import { FakeClock } from '../util/clock.ts';
import { createLogger } from '../util/log.ts';
import { KubeconfigExportError, type ExportedData } from './build.ts';
import { KubeconfigExporter } from './exporter.ts';
import { KUBECONFIG_OF_LABEL, planKubeconfigSecret } from './secret.ts';

const NS = 'host-ns';
const NAME = 'vc-vc1';
const OWNER: OwnerReference = {
  apiVersion: 'v1',
  kind: 'Service',
  name: 'vc1',
  uid: 'svc-uid',
  controller: false,
};
const DATA: ExportedData = { config: 'Y29uZmln', 'client-key': 'a2V5' };

function setup(
  opts: {
    data?: (existing: KubeObject | undefined) => ExportedData | Promise<ExportedData>;
    renewAt?: () => number | undefined;
    client?: (host: FakeCluster) => ClusterClient;
    host?: FakeCluster;
  } = {},
) {
  const host = opts.host ?? new FakeCluster('host');
  const clock = new FakeClock();
  const lines: string[] = [];
  const exporter = new KubeconfigExporter({
    host: opts.client?.(host) ?? host,
    namespace: NS,
    name: NAME,
    vcName: 'vc1',
    data: opts.data ?? (() => DATA),
    ...(opts.renewAt ? { renewAt: opts.renewAt } : {}),
    clock,
    logger: createLogger({ level: 'info', format: 'text', write: (l) => lines.push(l) }),
  });
  return { host, clock, lines, exporter };
}

const secret = (host: FakeCluster) =>
  host.objects(Resources.secrets, NS).find((s) => s.metadata?.name === NAME);
const theirs: KubeObject = {
  metadata: { name: NAME, namespace: NS, labels: { team: 'ops' } },
  type: 'Opaque',
  data: { config: 'b3RoZXI=' },
};

describe('KubeconfigExporter', () => {
  it('creates the labelled Secret (owned by the Service with --set-owner), then writes nothing while it holds the same', async () => {
    const { host, exporter } = setup({ client: (h) => new OwningClient(h, NS, () => OWNER) });
    expect(await exporter.start()).toBe('created');
    expect(secret(host)).toMatchObject({
      // vCluster's own labels too, which its tools and e2e tests select the Secret by.
      metadata: {
        labels: { [KUBECONFIG_OF_LABEL]: 'vc1', app: 'vcluster', 'vcluster-name': 'vc1' },
        ownerReferences: [OWNER],
      },
      type: 'Opaque',
      data: DATA,
    });
    expect(secret(host)!.metadata!.labels).not.toHaveProperty('vcluster.loft.sh/managed-by');
    host.clearWrites();
    // A restart: the same kubeconfig is found, nothing is written.
    expect(await setup({ host }).exporter.start()).toBe('unchanged');
    expect(host.writeLog()).toEqual([]);
  });

  it('updates a labelled Secret whose content differs, keeping its owner reference and other metadata', async () => {
    const { host, exporter } = setup();
    host.seed(Resources.secrets, {
      ...theirs,
      metadata: {
        ...theirs.metadata,
        labels: { [KUBECONFIG_OF_LABEL]: 'vc1', team: 'ops' },
        ownerReferences: [OWNER],
      },
    });
    expect(await exporter.start()).toBe('updated');
    expect(host.writeLog()).toEqual([`update secrets ${NS}/${NAME}`]);
    expect(secret(host)).toMatchObject({
      metadata: {
        labels: { [KUBECONFIG_OF_LABEL]: 'vc1', team: 'ops', app: 'vcluster', 'vcluster-name': 'vc1' },
        ownerReferences: [OWNER],
      },
      data: DATA,
    });
  });

  it("adds vCluster's labels to an earlier export that lacks them, even when its data is the same", async () => {
    const { host, exporter } = setup();
    expect(await exporter.start()).toBe('created');
    const made = secret(host)!;
    await host.update(Resources.secrets, NS, {
      ...made,
      metadata: { ...made.metadata, labels: { [KUBECONFIG_OF_LABEL]: 'vc1' } },
    });
    host.clearWrites();
    expect(await setup({ host }).exporter.start()).toBe('updated');
    expect(secret(host)!.metadata!.labels).toEqual({
      [KUBECONFIG_OF_LABEL]: 'vc1',
      app: 'vcluster',
      'vcluster-name': 'vc1',
    });
  });

  it('leaves a Secret of that name without the label untouched, logs an error naming it, and gives up', async () => {
    const { host, exporter, lines, clock } = setup();
    host.seed(Resources.secrets, theirs);
    expect(await exporter.start()).toBe('not-ours');
    expect(host.writeLog()).toEqual([]);
    expect(secret(host)).toMatchObject({ metadata: { labels: { team: 'ops' } }, data: theirs.data });
    expect(lines.filter((l) => l.includes(' ERROR '))).toEqual([
      expect.stringContaining(
        `host Secret ${NS}/${NAME} exists and is not this virtual cluster's kubeconfig export`,
      ),
    ]);
    expect(clock.pendingTimers()).toBe(0);
    // Another virtual cluster's export is not ours either.
    const other = { ...theirs, metadata: { ...theirs.metadata, labels: { [KUBECONFIG_OF_LABEL]: 'vc2' } } };
    expect(planKubeconfigSecret(other, other, 'vc1')).toEqual({ action: 'not-ours' });
  });

  it('retries API errors with backoff until it is written', async () => {
    const { host, exporter, clock, lines } = setup();
    host.failNext('get', 'secrets', 'unavailable');
    host.failNext('create', 'secrets', 'unavailable');
    const outcome = exporter.start();
    const tick = () => new Promise((r) => setImmediate(r));
    await tick();
    expect(secret(host)).toBeUndefined();
    clock.advance(1_000);
    await tick();
    expect(secret(host)).toBeUndefined();
    clock.advance(2_000);
    expect(await outcome).toBe('created');
    expect(lines.filter((l) => l.includes(' WARN '))).toHaveLength(2);
  });

  it('logs a kubeconfig it cannot export and gives up without writing', async () => {
    const { host, exporter, lines } = setup({
      data: () => {
        throw new KubeconfigExportError(
          'the user of --virtual-kubeconfig has no client certificate or token to export',
        );
      },
    });
    expect(await exporter.start()).toBe('failed');
    expect(host.writeLog()).toEqual([]);
    expect(lines.join('\n')).toContain(
      `cannot export the kubeconfig to host Secret ${NS}/${NAME}: the user of`,
    );
  });

  it('exports again when the credentials are due for renewal (a service account token), handing the builder what it wrote', async () => {
    let renewAt = Infinity;
    let minted = 0;
    const seen: (string | undefined)[] = [];
    const { host, exporter, clock } = setup({
      data: (existing) => {
        seen.push((existing?.data as Record<string, string> | undefined)?.config);
        if (clock.now() >= renewAt) {
          minted++;
          renewAt = clock.now() + 120_000;
        }
        return { config: `dG9rZW4t${minted}` };
      },
      renewAt: () => renewAt,
    });
    renewAt = clock.now() + 120_000;
    expect(await exporter.start()).toBe('created');
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(119_999);
    await new Promise((r) => setImmediate(r));
    expect(host.writeLog()).toEqual([`create secrets ${NS}/${NAME}`]);
    clock.advance(1);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(host.writeLog()).toEqual([`create secrets ${NS}/${NAME}`, `update secrets ${NS}/${NAME}`]);
    expect(secret(host)!.data).toEqual({ config: 'dG9rZW4t1' });
    expect(seen).toEqual([undefined, 'dG9rZW4t0']);
    exporter.stop();
    expect(clock.pendingTimers()).toBe(0);
  });

  it("builds nothing for someone else's Secret (no token is minted for it)", async () => {
    let built = 0;
    const { host, exporter } = setup({ data: () => (built++, DATA) });
    host.seed(Resources.secrets, theirs);
    expect(await exporter.start()).toBe('not-ours');
    expect(built).toBe(0);
  });

  it('stops retrying once stopped', async () => {
    const { host, exporter, clock } = setup();
    host.failNext('get', 'secrets', 'unavailable');
    const outcome = exporter.start();
    await new Promise((r) => setImmediate(r));
    exporter.stop();
    expect(await outcome).toBe('failed');
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(60_000);
    expect(host.writeLog()).toEqual([]);
  });
});
