import type { KubeObject } from '../kube/object.ts';
import type { Pod } from '../kube/types.ts';
import { podDifferences } from '../translators/pods/differences.ts';
import { serviceDifferences } from '../translators/services/differences.ts';
import { runCli, EXIT_USAGE, type CheckOutput } from '../cli/program.ts';
import type { SyncerConfig } from '../config/config.ts';

const pod = (spec: Record<string, unknown>, status: Record<string, unknown> = {}, deleting = false): Pod =>
  ({
    metadata: { name: 'p', deletionTimestamp: deleting ? '2026-01-01T00:00:00Z' : undefined },
    spec: { containers: [{ name: 'main', image: 'app:1' }], ...spec },
    status,
  }) as unknown as Pod;

describe('podDifferences', () => {
  const running = { phase: 'Running' };
  it('is empty for a bound pod whose status is the host pod’s', () => {
    expect(podDifferences(pod({ nodeName: 'n1' }, running), pod({ nodeName: 'n1' }, running))).toEqual([]);
  });

  it('names an image the host pod does not run, a missing binding and a status not carried back', () => {
    expect(podDifferences(pod({ containers: [{ name: 'main', image: 'app:2' }] }), pod({}))).toEqual([
      'host container main runs image app:1, not app:2',
    ]);
    expect(podDifferences(pod({}, running), pod({ nodeName: 'n1' }, running))).toEqual([
      'virtual pod is bound to no node, the host pod runs on n1',
    ]);
    expect(
      podDifferences(pod({ nodeName: 'n1' }, { phase: 'Pending' }), pod({ nodeName: 'n1' }, running)),
    ).toEqual(["virtual status differs from the host pod's (Pending vs Running)"]);
  });

  it('compares nothing of a pod being deleted on either side', () => {
    expect(podDifferences(pod({}, {}, true), pod({ nodeName: 'n1' }, running))).toEqual([]);
  });
});

describe('serviceDifferences', () => {
  const where = { vcName: 'vc', hostNamespace: 'h', virtualApiService: 'vc', hostName: 'web-x-team-x-vc' };
  const svc = (spec: Record<string, unknown>, status?: unknown): KubeObject => ({
    metadata: { name: 'web', namespace: 'team' },
    spec: { ports: [{ port: 80, protocol: 'TCP' }], ...spec },
    status,
  });
  it('names a cluster IP that differs and a load-balancer status not carried back', () => {
    const host = svc(
      { clusterIP: '10.0.0.2', selector: { app: 'x' } },
      { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } },
    );
    const out = serviceDifferences(svc({ clusterIP: '10.0.0.1' }), host, where);
    expect(out).toEqual(
      expect.arrayContaining([
        "virtual cluster IP is 10.0.0.1, the host's is 10.0.0.2",
        "virtual load-balancer status differs from the host's",
      ]),
    );
  });
});

describe('the check command line', () => {
  async function run(argv: string[]) {
    let err = '';
    let got: [SyncerConfig, CheckOutput] | undefined;
    const code = await runCli(
      argv,
      { out: () => {}, err: (t) => (err += t) },
      { start: async () => 0, check: async (config, output) => ((got = [config, output]), 1) },
    );
    return { code, err, got };
  }
  const base = ['check', '--name', 'vc', '--host-namespace', 'h', '--virtual-kubeconfig', '/k'];

  it('takes the settings of start, and -o json', async () => {
    const r = await run([...base, '--sync', '-events', '--sync-all-configmaps', '-o', 'json']);
    expect(r.code).toBe(1);
    expect(r.got![0]).toMatchObject({
      name: 'vc',
      hostNamespace: 'h',
      sync: ['-events'],
      syncAllConfigMaps: true,
    });
    expect(r.got![1]).toBe('json');
    expect((await run(base)).got![1]).toBe('table');
  });

  it('exits 2 on a missing setting or an unknown format', async () => {
    expect((await run(['check', '--name', 'vc', '--host-namespace', 'h'])).code).toBe(EXIT_USAGE);
    const r = await run([...base, '-o', 'yaml']);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toContain('yaml');
  });
});
