import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../src/kube/object.ts';
import { renderAgainstHost as render, standInStatefulSet } from '../test/harness/chart-lookups.ts';
import { apply, mustKubectl } from '../test/harness/objects.ts';
import { uniqueName } from '../test/harness/syncer.ts';

/*
 * An upgrade that would move the virtual cluster's data store is refused by the chart, which reads
 * the release's StatefulSet from the host (helm's lookup, here through `helm template
 * --dry-run=server` against the test host API server): with an empty control plane the syncer
 * would remove every host copy it no longer finds. Nothing is installed; the StatefulSet stands for
 * one an earlier release made.
 */
const release = uniqueName('upg');
const hostNs = `host-${release}`;

const renderAgainstHost = (...set: string[]) => render(release, hostNs, set);

beforeAll(async () => {
  await mustKubectl('host', ['create', 'namespace', hostNs]);
  // As the chart left it: the data store it was installed with, recorded on the StatefulSet.
  await apply(
    'host',
    standInStatefulSet(release, hostNs, { annotations: { 'vsyncer.dev/data-store': 'k3s/embedded' } }),
  );
}, 120_000);

afterAll(async () => {
  await mustKubectl('host', ['delete', 'namespace', hostNs, '--wait=false']);
});

describe('chart upgrades that would move the data store', () => {
  it('are refused, naming the values and the way through', async () => {
    for (const set of [
      ['controlPlane.distro=vanilla'],
      ['k3s.datastore.secretName=external-db'],
      ['deployedEtcd.enabled=true'],
    ]) {
      const out = await renderAgainstHost(...set);
      expect(out.code).not.toBe(0);
      expect(out.stderr).toContain("this upgrade moves the virtual cluster's data store from k3s/embedded");
      expect(out.stderr).toContain('controlPlane.allowDataStoreChange=true');
    }
  });

  it('go ahead with the same data store, or once the change is acknowledged', async () => {
    const same = await renderAgainstHost();
    expect(same.stderr).toBe('');
    expect(same.stdout).toContain('vsyncer.dev/data-store: "k3s/embedded"');
    const moved = await renderAgainstHost(
      'controlPlane.distro=vanilla',
      'controlPlane.allowDataStoreChange=true',
    );
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain('vsyncer.dev/data-store: "vanilla/embedded"');
  });
});

describe('chart upgrades and where the data store is recorded', () => {
  it('refuse another database behind k3s.datastore.endpoint, not new credentials or options for the same one', async () => {
    const dbRelease = uniqueName('upg');
    await apply(
      'host',
      standInStatefulSet(dbRelease, hostNs, {
        annotations: { 'vsyncer.dev/data-store': 'k3s/endpoint:postgres://db:5432/vc1' },
      }),
    );
    const at = (endpoint: string) => render(dbRelease, hostNs, [`k3s.datastore.endpoint=${endpoint}`]);
    const rotated = await at('postgres://vc:new-password@db:5432/vc1?sslmode=verify-full');
    expect({ code: rotated.code, stderr: rotated.stderr }).toEqual({ code: 0, stderr: '' });
    const other = await at('postgres://vc:pw@other-db:5432/vc1');
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain(
      "this upgrade moves the virtual cluster's data store from k3s/endpoint:postgres://db:5432/vc1 to k3s/endpoint:postgres://other-db:5432/vc1",
    );
  });

  it("read an earlier release's k3s.datastore.secretName beside vanilla (which ignored it) as the pod's own etcd", async () => {
    const vanillaRelease = uniqueName('upg');
    await apply(
      'host',
      standInStatefulSet(vanillaRelease, hostNs, {
        annotations: { 'vsyncer.dev/data-store': 'vanilla/old-db' },
      }),
    );
    const out = await render(vanillaRelease, hostNs, ['controlPlane.distro=vanilla']);
    expect({ code: out.code, stderr: out.stderr }).toEqual({ code: 0, stderr: '' });
  });
});

describe("chart upgrades that would change a deployed etcd's member count", () => {
  it('are refused, naming the count to keep; the same count goes ahead', async () => {
    const etcdRelease = uniqueName('upg');
    // As an earlier release left them: its control plane on a deployed etcd of three members.
    await apply(
      'host',
      standInStatefulSet(etcdRelease, hostNs, {
        annotations: { 'vsyncer.dev/data-store': 'k3s/deployed-etcd' },
      }),
    );
    const members = standInStatefulSet(`${etcdRelease}-etcd`, hostNs, {});
    const claims = [
      {
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } },
      },
    ];
    await apply('host', {
      ...members,
      spec: { ...(members.spec as object), replicas: 3, volumeClaimTemplates: claims },
    });
    const etcd = (replicas: number) =>
      render(etcdRelease, hostNs, ['deployedEtcd.enabled=true', `deployedEtcd.replicas=${replicas}`]);
    const grown = await etcd(5);
    expect(grown.code).not.toBe(0);
    expect(grown.stderr).toContain(
      "deployedEtcd.replicas: the release's etcd has 3 members and this upgrade asks for 5; the member count is set at install (keep 3",
    );
    const same = await etcd(3);
    expect({ code: same.code, stderr: same.stderr }).toEqual({ code: 0, stderr: '' });
    expect(same.stdout).toContain('vsyncer.dev/data-store: "k3s/deployed-etcd"');
    // Nor can its members' claims come or go (a StatefulSet's claim templates are fixed).
    const single = standInStatefulSet(`${etcdRelease}-etcd`, hostNs, {});
    await apply('host', {
      ...single,
      spec: { ...(single.spec as object), replicas: 1, volumeClaimTemplates: claims },
    });
    const withoutClaims = await render(etcdRelease, hostNs, [
      'deployedEtcd.enabled=true',
      'deployedEtcd.persistence.enabled=false',
    ]);
    expect(withoutClaims.code).not.toBe(0);
    expect(withoutClaims.stderr).toContain(
      "deployedEtcd.persistence.enabled: the release's etcd runs on claims, and Kubernetes does not let an upgrade change a StatefulSet's claims (keep true)",
    );
  });
});

describe('chart upgrades that would change the pod management policy', () => {
  it('are refused before the API server refuses the whole upgrade, naming the value to keep', async () => {
    const out = await renderAgainstHost('controlPlane.podManagementPolicy=OrderedReady');
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain(
      "controlPlane.podManagementPolicy: the release's StatefulSet has Parallel, and Kubernetes does not let an upgrade change it; keep Parallel",
    );
    // A new release takes either.
    const fresh = await render(uniqueName('upg'), hostNs, ['controlPlane.podManagementPolicy=OrderedReady']);
    expect(fresh.stderr).toBe('');
    expect(fresh.stdout).toContain('podManagementPolicy: OrderedReady');
  });
});

describe("chart upgrades that would change the quota's scopes", () => {
  it('are refused before the API server refuses the whole upgrade; the same scopes go ahead', async () => {
    // As an earlier release left it, scoped to NotBestEffort.
    await apply('host', {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: `vc-${release}`, namespace: hostNs },
      spec: { hard: { pods: '10' }, scopes: ['NotBestEffort'] },
    });
    const quota = ['isolation.resourceQuota.enabled=true', 'isolation.resourceQuota.hard.services=null'];
    const unscoped = await renderAgainstHost(...quota);
    expect(unscoped.code).not.toBe(0);
    expect(unscoped.stderr).toContain(
      `the quota vc-${release} there has scopes ["NotBestEffort"], and Kubernetes lets no update change them`,
    );
    const same = await renderAgainstHost(...quota, 'isolation.resourceQuota.scopes[0]=NotBestEffort');
    expect({ code: same.code, stderr: same.stderr }).toEqual({ code: 0, stderr: '' });
  });
});

describe('chart upgrades that would turn leader election on or off with more than one syncer pod', () => {
  it('are refused (the roll would run an electing syncer beside one that is not); with one replica it may change', async () => {
    const haRelease = uniqueName('upg');
    const standIn = standInStatefulSet(haRelease, hostNs, {
      annotations: { 'vsyncer.dev/data-store': 'k3s/shared-db' },
    });
    const withSyncer = (replicas: number, leaderElect: boolean) => ({
      ...standIn,
      spec: {
        ...(standIn.spec as Record<string, unknown>),
        replicas,
        template: {
          metadata: { labels: { app: haRelease } },
          spec: {
            containers: [
              { name: 'k3s', image: 'rancher/k3s:v1.34.1-k3s1' },
              { name: 'syncer', image: 'vsyncer:dev', args: [`--leader-elect=${leaderElect}`] },
            ],
          },
        },
      },
    });
    const upgrade = (...set: string[]) =>
      render(haRelease, hostNs, ['k3s.datastore.secretName=shared-db', ...set]);
    // One replica without election, raised to two: refused.
    await apply('host', withSyncer(1, false));
    const raised = await upgrade('syncer.replicas=2');
    expect(raised.code).not.toBe(0);
    expect(raised.stderr).toContain(
      'this upgrade turns leader election on while more than one syncer pod runs or will (syncer.replicas 2 now, 1 before)',
    );
    // Turned on first with one replica: goes ahead.
    const first = await upgrade('syncer.leaderElect=true');
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    // Two electing replicas lowered to one that would not elect: refused; keeping election on: goes ahead.
    await apply('host', withSyncer(2, true));
    const lowered = await upgrade('syncer.replicas=1');
    expect(lowered.code).not.toBe(0);
    expect(lowered.stderr).toContain('this upgrade turns leader election off');
    const kept = await upgrade('syncer.replicas=1', 'syncer.leaderElect=true');
    expect({ code: kept.code, stderr: kept.stderr }).toEqual({ code: 0, stderr: '' });
  });
});

describe("chart upgrades that would change the data claim's template", () => {
  it('are refused naming the value to keep and the way to a larger volume; the same values go ahead', async () => {
    for (const [set, expected] of [
      ['persistence.size=20Gi', 'persistence.size: the release\'s data claim template has "5Gi"'],
      [
        'persistence.storageClassName=fast',
        'persistence.storageClassName: the release\'s data claim template has ""',
      ],
      [
        'persistence.accessModes[0]=ReadWriteMany',
        "persistence.accessModes: the release's data claim template has",
      ],
      ['persistence.enabled=false', "the release's StatefulSet has a data claim and these values make none"],
    ]) {
      const out = await renderAgainstHost(set!);
      expect(out.code).not.toBe(0);
      expect(out.stderr).toContain(expected);
    }
    const grown = await renderAgainstHost('persistence.size=20Gi');
    expect(grown.stderr).toContain(`resize the claim data-${release}-0 itself`);
    // The same size written another way (the API server keeps its own form of a quantity) goes ahead.
    for (const size of ['5Gi', '5120Mi', '5368709120']) {
      const same = await renderAgainstHost(`persistence.size=${size}`);
      expect({ size, code: same.code, stderr: same.stderr }).toEqual({ size, code: 0, stderr: '' });
    }
  });
});

describe("mapped host namespaces' RBAC (syncer.mappedNamespacesRbac: auto, the default)", () => {
  it('gives a Role in each namespace that exists, and the ClusterRole only for those not made yet', async () => {
    const fresh = uniqueName('rbac');
    const later = uniqueName('later');
    const out = await render(fresh, hostNs, [
      `syncer.mapHostSecrets.${hostNs}/creds=team/creds`,
      `syncer.mapHostConfigMaps.${later}/*=team/*`,
    ]);
    expect({ code: out.code, stderr: out.stderr }).toEqual({ code: 0, stderr: '' });
    const mapped = parseAllDocuments(out.stdout)
      .map((d) => d.toJSON() as KubeObject | null)
      .filter((m): m is KubeObject => !!m && String(m.metadata?.name).endsWith(':mapped'));
    expect(mapped.map((m) => [m.kind, m.metadata?.namespace])).toEqual([
      ['ClusterRole', undefined],
      ['ClusterRoleBinding', undefined],
      ['Role', hostNs],
      ['RoleBinding', hostNs],
    ]);
    // Each grants only its own namespaces' mappings: the existing one's Secret by name in its Role.
    expect(mapped.find((m) => m.kind === 'Role')!.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['creds'], verbs: ['get', 'list', 'watch'] },
    ]);
    expect(mapped.find((m) => m.kind === 'ClusterRole')!.rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
    ]);
  });
});
