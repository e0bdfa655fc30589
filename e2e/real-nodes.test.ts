import { waitFor } from '../test/harness/clusters.ts';
import { apply, createTenantNamespace, getObject, mustKubectl, type List } from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

interface Node {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { nodeInfo?: { kubeletVersion?: string }; conditions?: { type: string; status: string }[] };
}
const vc = uniqueName('nodes');
const hostNs = `host-${vc}`;
const ns = uniqueName('apps');
let syncer: SyncerProcess;

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  await createTenantNamespace(ns);
  syncer = await startSyncer({
    name: vc,
    hostNamespace: hostNs,
    args: ['--sync-real-nodes', '--node-selector=type=kwok'],
  });
}, 120_000);

afterAll(async () => {
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await syncer?.stop();
});

describe('--sync-real-nodes', () => {
  it('shows copies of the selected host nodes, with their labels and status', async () => {
    // The selected ones: with VSYNC_REAL_NODE=1 the host has a real node too, which the selector leaves out.
    const hostNodes = (await getObject<List<Node>>('host', ['nodes', '-l', 'type=kwok']))!.items;
    expect(hostNodes.length).toBeGreaterThan(0);
    const copies = await waitFor(
      'virtual copies of the 3 kwok nodes',
      async () => {
        const nodes = (await getObject<List<Node>>('virtual', ['nodes']))!.items.filter(
          (n) => n.metadata.labels?.type === 'kwok',
        );
        return (
          nodes.length === hostNodes.length && nodes.every((n) => n.status?.nodeInfo?.kubeletVersion) && nodes
        );
      },
      60_000,
    );
    for (const copy of copies) {
      const original = hostNodes.find((h) => h.metadata.name === copy.metadata.name)!;
      expect(copy.metadata.labels).toMatchObject(original.metadata.labels ?? {});
      expect(copy.metadata.labels?.['vcluster.loft.sh/fake-node']).toBeUndefined();
      expect(copy.status?.nodeInfo?.kubeletVersion).toBe(original.status?.nodeInfo?.kubeletVersion);
      expect(copy.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
  }, 90_000);

  it('keeps copies current when a host node changes', async () => {
    await mustKubectl('host', ['label', 'node', 'kwok-node-1', `e2e-mark=${vc}`, '--overwrite']);
    try {
      await waitFor(
        'label copied to the virtual node',
        async () => {
          const node = await getObject<Node>('virtual', ['node', 'kwok-node-1']);
          return node?.metadata.labels?.['e2e-mark'] === vc;
        },
        60_000,
      );
    } finally {
      await mustKubectl('host', ['label', 'node', 'kwok-node-1', 'e2e-mark-']);
    }
  }, 90_000);

  it('binds pods to the real node names', async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: ns },
      spec: { containers: [{ name: 'c', image: 'registry.local/app:1' }] },
    });
    const pod = await waitFor(
      'pod bound and running',
      async () => {
        const p = await getObject<{ spec: { nodeName?: string }; status?: { phase?: string } }>('virtual', [
          'pod',
          'p',
          '-n',
          ns,
        ]);
        return p?.spec.nodeName !== undefined && p.status?.phase === 'Running' && p;
      },
      60_000,
    );
    expect(pod.spec.nodeName).toMatch(/^kwok-node-\d$/);
  }, 90_000);
});
