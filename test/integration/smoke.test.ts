import { kubectl, testClusters, waitFor } from '../harness/clusters.ts';
import { getObject, mustKubectl, type List } from '../harness/objects.ts';
import { uniqueName } from '../harness/syncer.ts';

describe('test clusters', () => {
  it('host: a Deployment gets Ready pods with IPs from kwok, and its Service gets endpoints', async () => {
    const ns = uniqueName('smoke');
    await mustKubectl('host', ['create', 'namespace', ns]);
    await mustKubectl('host', [
      'create',
      'deployment',
      'web',
      '-n',
      ns,
      '--image=registry.local/app:1',
      '--replicas=2',
    ]);
    await mustKubectl('host', ['expose', 'deployment', 'web', '-n', ns, '--port=80']);
    const ips = await waitFor(
      '2 Running and Ready pods with IPs',
      async () => {
        const pods = await getObject<
          List<{ status: { phase: string; podIP?: string; conditions?: { type: string; status: string }[] } }>
        >('host', ['pods', '-n', ns]);
        const ready = (pods?.items ?? []).filter(
          (p) =>
            p.status.phase === 'Running' &&
            p.status.podIP &&
            p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        return ready.length === 2 && ready.map((p) => p.status.podIP!).sort();
      },
      60_000,
    );
    const endpointIPs = await waitFor(
      'endpoint slice lists the pods',
      async () => {
        const slices = await getObject<List<{ endpoints?: { addresses: string[] }[] }>>('host', [
          'endpointslices',
          '-n',
          ns,
          '-l',
          'kubernetes.io/service-name=web',
        ]);
        const addrs = (slices?.items ?? [])
          .flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses))
          .sort();
        return addrs.length === 2 && addrs;
      },
      60_000,
    );
    expect(endpointIPs).toEqual(ips);
    await kubectl('host', ['delete', 'namespace', ns, '--wait=false']);
  }, 90_000);

  it('host: lists 3 Ready kwok nodes', async () => {
    const nodes = await getObject<
      List<{ metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }>
    >('host', ['nodes']);
    const ready = nodes!.items.filter((n) =>
      n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    expect(ready.map((n) => n.metadata.name).sort()).toEqual(['kwok-node-0', 'kwok-node-1', 'kwok-node-2']);
  });

  it('virtual: lists namespaces and the default service account, and has no real nodes', async () => {
    const namespaces = await getObject<List<{ metadata: { name: string } }>>('virtual', ['namespaces']);
    expect(namespaces!.items.map((n) => n.metadata.name)).toEqual(
      expect.arrayContaining(['default', 'kube-system']),
    );
    const sas = await getObject<List<{ metadata: { name: string } }>>('virtual', [
      'serviceaccounts',
      '-n',
      'default',
    ]);
    expect(sas!.items.map((s) => s.metadata.name)).toContain('default');
    // It has no kubelets: the only nodes it may show are ones a syncer made (fake nodes or copies of
    // host nodes, left by earlier suites), all carrying a syncer's marker (vCluster's, or an older one).
    const nodes = await getObject<List<{ metadata: { name: string; labels?: Record<string, string> } }>>(
      'virtual',
      ['nodes'],
    );
    expect(
      nodes!.items
        .filter(
          (n) =>
            n.metadata.labels?.['vcluster.loft.sh/managed-by'] === undefined &&
            n.metadata.labels?.['vsyncer.dev/managed'] !== 'true',
        )
        .map((n) => n.metadata.name),
    ).toEqual([]);
  });

  it('gives each cluster its own kubeconfig user', () => {
    const info = testClusters();
    expect(info.host.kubeconfig).not.toBe(info.virtual.kubeconfig);
    expect(info.host.server).not.toBe(info.virtual.server);
  });
});
