import { X509Certificate } from 'node:crypto';
import { failure, render, renderText, renderValues, type Manifest } from './render.ts';

// deployedEtcd (vCluster's controlPlane.backingStore.etcd.deploy): templates/deployed-etcd.yaml and
// the control plane's side of it.

interface Container {
  name: string;
  args?: string[];
  env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Volume {
  name: string;
  secret?: { secretName: string; items?: { key: string; path: string }[] };
  emptyDir?: unknown;
}
interface StatefulSet extends Manifest {
  metadata: Manifest['metadata'] & { annotations?: Record<string, string> };
  spec: {
    replicas: number;
    podManagementPolicy: string;
    serviceName: string;
    selector: { matchLabels: Record<string, string> };
    persistentVolumeClaimRetentionPolicy?: unknown;
    volumeClaimTemplates?: {
      spec: { storageClassName?: string; resources: { requests: { storage: string } } };
    }[];
    template: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: {
        initContainers?: Container[];
        containers: Container[];
        volumes: Volume[];
        automountServiceAccountToken?: boolean;
        dnsPolicy?: string;
        dnsConfig?: unknown;
        affinity?: unknown;
        tolerations?: unknown[];
      };
    };
  };
}
interface Secret extends Manifest {
  data: Record<string, string>;
}
interface NetworkPolicy extends Manifest {
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    ingress?: {
      from?: { podSelector?: { matchLabels: Record<string, string> } }[];
      ports?: { port: number }[];
    }[];
    egress?: {
      to?: { podSelector?: { matchLabels: Record<string, string> } }[];
      ports?: { port: number }[];
    }[];
  };
}

const find = <T extends Manifest>(ms: Manifest[], kind: string, name: string) =>
  ms.find((m) => m.kind === kind && m.metadata.name === name) as T | undefined;
const controlPlane = (ms: Manifest[]) => find<StatefulSet>(ms, 'StatefulSet', 'vc1')!;
const etcd = (ms: Manifest[]) => find<StatefulSet>(ms, 'StatefulSet', 'vc1-etcd');
const container = (ss: StatefulSet, name: string) =>
  [...(ss.spec.template.spec.initContainers ?? []), ...ss.spec.template.spec.containers].find(
    (c) => c.name === name,
  );
const members = (n: number) =>
  Array.from({ length: n }, (_, i) => `vc1-etcd-${i}.vc1-etcd-headless.team-a.svc`);
/** The message a rendering with a deployed etcd under release name `release` fails with ('' when it renders). */
const renderError = (release: string) => {
  try {
    renderText({ 'deployedEtcd.enabled': 'true' }, 'team-a', release);
    return '';
  } catch (err) {
    return (err as Error).message;
  }
};
/** Every member's client URL, as the control plane is given them. */
const clientUrls = (n: number) =>
  members(n)
    .map((host) => `https://${host}:2379`)
    .join(',');
const decoded = (secret: Secret, key: string) => Buffer.from(secret.data[key]!, 'base64').toString();
/** Whether every label of `selector` is on `labels`. */
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('helm chart: a deployed etcd (deployedEtcd, vCluster controlPlane.backingStore.etcd.deploy)', () => {
  it('renders nothing of it by default, and the data store stays the embedded one', () => {
    const ms = render();
    expect(ms.filter((m) => m.metadata.name.startsWith('vc1-etcd'))).toEqual([]);
    expect(controlPlane(ms).metadata.annotations!['vsyncer.dev/data-store']).toBe('k3s/embedded');
    expect(container(controlPlane(ms), 'k3s')!.args!.some((a) => a.startsWith('--datastore-'))).toBe(false);
  });

  it('runs three members that find each other by name, over TLS with client certificates, and k3s on all three', () => {
    const ms = render({
      'deployedEtcd.enabled': 'true',
      'deployedEtcd.replicas': '3',
      'syncer.replicas': '3',
    });
    const set = etcd(ms)!;
    expect(set.spec).toMatchObject({
      replicas: 3,
      podManagementPolicy: 'Parallel',
      serviceName: 'vc1-etcd-headless',
    });
    const args = container(set, 'etcd')!.args!;
    expect(args).toContain(
      `--initial-cluster=${members(3)
        .map((host, i) => `vc1-etcd-${i}=https://${host}:2380`)
        .join(',')}`,
    );
    expect(args).toEqual(
      expect.arrayContaining([
        '--client-cert-auth=true',
        '--peer-client-cert-auth=true',
        '--listen-client-urls=https://0.0.0.0:2379',
        '--listen-peer-urls=https://0.0.0.0:2380',
      ]),
    );
    // No host token in a pod that needs none.
    expect(set.spec.template.spec.automountServiceAccountToken).toBe(false);

    const headless = find<Manifest & { spec: Record<string, unknown> }>(ms, 'Service', 'vc1-etcd-headless')!;
    expect(headless.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(find(ms, 'Service', 'vc1-etcd')).toBeDefined();
    expect(find<Manifest & { spec: unknown }>(ms, 'PodDisruptionBudget', 'vc1-etcd')!.spec).toMatchObject({
      maxUnavailable: 1,
    });

    const cp = controlPlane(ms);
    expect(cp.spec.replicas).toBe(3);
    expect(cp.metadata.annotations!['vsyncer.dev/data-store']).toBe('k3s/deployed-etcd');
    const k3s = container(cp, 'k3s')!;
    expect(k3s.args).toEqual(
      expect.arrayContaining([
        `--datastore-endpoint=${clientUrls(3)}`,
        '--datastore-cafile=/etc/vsyncer/etcd/ca.crt',
        '--datastore-certfile=/etc/vsyncer/etcd/client.crt',
        '--datastore-keyfile=/etc/vsyncer/etcd/client.key',
      ]),
    );
    // One token for every replica's k3s, kept with the etcd's credentials.
    expect(k3s.env).toContainEqual({
      name: 'K3S_TOKEN',
      valueFrom: { secretKeyRef: { name: 'vc1-etcd-pki', key: 'k3s-token' } },
    });
  });

  it("gives the members' key to the members only and the client key to the control plane only", () => {
    const ms = render({ 'deployedEtcd.enabled': 'true' });
    const keysOf = (ss: StatefulSet, volume: string) =>
      ss.spec.template.spec.volumes.find((v) => v.name === volume)!.secret!.items!.map((i) => i.key);
    expect(keysOf(etcd(ms)!, 'pki')).toEqual(['ca.crt', 'member.crt', 'member.key']);
    expect(keysOf(controlPlane(ms), 'etcd-client')).toEqual(['ca.crt', 'client.crt', 'client.key']);
    // Only the k3s container mounts the client certificate, not the syncer's.
    const mounts = (c: string) => (container(controlPlane(ms), c)!.volumeMounts ?? []).map((m) => m.name);
    expect(mounts('k3s')).toContain('etcd-client');
    expect(mounts('syncer')).not.toContain('etcd-client');
  });

  it('issues a member certificate naming every member and a client certificate, both of one CA', () => {
    const secret = find<Secret>(
      render({ 'deployedEtcd.enabled': 'true', 'deployedEtcd.replicas': '5' }),
      'Secret',
      'vc1-etcd-pki',
    )!;
    const ca = new X509Certificate(decoded(secret, 'ca.crt'));
    const member = new X509Certificate(decoded(secret, 'member.crt'));
    const client = new X509Certificate(decoded(secret, 'client.crt'));
    expect(member.verify(ca.publicKey)).toBe(true);
    expect(client.verify(ca.publicKey)).toBe(true);
    const names = member.subjectAltName!.split(', ');
    for (const host of members(5)) expect(names).toContain(`DNS:${host}`);
    expect(names).toEqual(expect.arrayContaining(['DNS:vc1-etcd.team-a.svc', 'IP Address:127.0.0.1']));
    // Exact names: a wildcard would make etcd check peers through reverse lookups.
    expect(names.filter((n) => n.includes('*'))).toEqual([]);
    // The CA's key is not kept; nothing more is issued from it.
    expect(Object.keys(secret.data).sort()).toEqual(
      ['ca.crt', 'client.crt', 'client.key', 'k3s-token', 'member.crt', 'member.key'].sort(),
    );
  });

  it('labels the members apart from the control plane: its Service, budget and policies do not select them', () => {
    const ms = render({
      'deployedEtcd.enabled': 'true',
      'deployedEtcd.replicas': '3',
      'controlPlane.podDisruptionBudget.enabled': 'true',
    });
    const etcdLabels = etcd(ms)!.spec.template.metadata.labels;
    const apiService = find<Manifest & { spec: { selector: Record<string, string> } }>(ms, 'Service', 'vc1')!;
    expect(selects(apiService.spec.selector, etcdLabels)).toBe(false);
    expect(selects(controlPlane(ms).spec.selector.matchLabels, etcdLabels)).toBe(false);
    const budget = find<Manifest & { spec: { selector: { matchLabels: Record<string, string> } } }>(
      ms,
      'PodDisruptionBudget',
      'vc1',
    )!;
    expect(selects(budget.spec.selector.matchLabels, etcdLabels)).toBe(false);
    // And the other way round.
    expect(selects(etcd(ms)!.spec.selector.matchLabels, controlPlane(ms).spec.template.metadata.labels)).toBe(
      false,
    );
    expect(etcdLabels).toMatchObject({ app: 'vcluster-etcd', release: 'vc1' });
    // Nothing of the chart's version on the pods: an upgrade of the chart alone restarts no member.
    expect(Object.keys(etcdLabels).filter((k) => k.startsWith('helm.sh/'))).toEqual([]);
  });

  it('runs the vanilla control plane on it: no etcd in the pod, no data volume, leader election with replicas', () => {
    const ms = render({
      'controlPlane.distro': 'vanilla',
      'deployedEtcd.enabled': 'true',
      'deployedEtcd.replicas': '3',
      'syncer.replicas': '2',
      'syncer.virtualScheduler': 'true',
      'syncer.syncRealNodes': 'true',
    });
    const cp = controlPlane(ms);
    expect(cp.metadata.annotations!['vsyncer.dev/data-store']).toBe('vanilla/deployed-etcd');
    expect(container(cp, 'etcd')).toBeUndefined();
    expect(cp.spec.template.spec.volumes.map((v) => v.name)).not.toContain('data');
    expect(cp.spec.volumeClaimTemplates).toBeUndefined();
    expect(container(cp, 'kube-apiserver')!.args).toEqual(
      expect.arrayContaining([
        `--etcd-servers=${clientUrls(3)}`,
        '--etcd-cafile=/etc/vsyncer/etcd/ca.crt',
        '--etcd-certfile=/etc/vsyncer/etcd/client.crt',
        '--etcd-keyfile=/etc/vsyncer/etcd/client.key',
      ]),
    );
    expect(container(cp, 'kube-controller-manager')!.args).toContain('--leader-elect=true');
    expect(container(cp, 'kube-scheduler')!.args).toContain('--leader-elect=true');
    // One replica elects no leader (as before).
    const single = controlPlane(render({ 'controlPlane.distro': 'vanilla' }));
    expect(container(single, 'kube-controller-manager')!.args).toContain('--leader-elect=false');
  });

  it('keeps its claims, or lets them go with the release, and an emptyDir when persistence is off', () => {
    const kept = etcd(
      render({
        'deployedEtcd.enabled': 'true',
        'deployedEtcd.persistence.size': '20Gi',
        'deployedEtcd.persistence.storageClassName': 'fast',
      }),
    )!;
    expect(kept.spec.volumeClaimTemplates![0]!.spec).toMatchObject({
      storageClassName: 'fast',
      resources: { requests: { storage: '20Gi' } },
    });
    expect(kept.spec.persistentVolumeClaimRetentionPolicy).toBeUndefined();
    const deleted = etcd(
      render({ 'deployedEtcd.enabled': 'true', 'deployedEtcd.persistence.deleteOnUninstall': 'true' }),
    )!;
    expect(deleted.spec.persistentVolumeClaimRetentionPolicy).toEqual({
      whenDeleted: 'Delete',
      whenScaled: 'Retain',
    });
    const ephemeral = etcd(
      render({ 'deployedEtcd.enabled': 'true', 'deployedEtcd.persistence.enabled': 'false' }),
    )!;
    expect(ephemeral.spec.volumeClaimTemplates).toBeUndefined();
    expect(ephemeral.spec.template.spec.volumes).toContainEqual({ name: 'data', emptyDir: {} });
    // The credentials stay after an uninstall while the claims do: a reinstall over the kept data
    // needs the token k3s encrypted it with.
    const pkiAnnotations = (set: Record<string, string>) =>
      (
        render({ 'deployedEtcd.enabled': 'true', ...set }).find((m) => m.metadata.name === 'vc1-etcd-pki')!
          .metadata as { annotations?: Record<string, string> }
      ).annotations;
    expect(pkiAnnotations({})).toEqual({ 'helm.sh/resource-policy': 'keep' });
    expect(pkiAnnotations({ 'deployedEtcd.persistence.deleteOnUninstall': 'true' })).toBeUndefined();
    expect(pkiAnnotations({ 'deployedEtcd.persistence.enabled': 'false' })).toBeUndefined();
  });

  it("takes the admin's scheduling, DNS, metadata and etcd flags, refusing the chart's own labels", () => {
    const ms = renderValues({
      deployedEtcd: {
        enabled: true,
        extraArgs: ['--quota-backend-bytes=4294967296'],
        tolerations: [{ key: 'dedicated', value: 'etcd', effect: 'NoSchedule' }],
        dnsPolicy: 'None',
        dnsConfig: { nameservers: ['10.0.0.10'] },
        labels: { team: 'platform' },
        podAnnotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' },
        serviceAnnotations: { owner: 'platform' },
      },
      controlPlane: { dnsPolicy: 'None', dnsConfig: { nameservers: ['10.0.0.10'] } },
    });
    const set = etcd(ms)!;
    expect(container(set, 'etcd')!.args).toContain('--quota-backend-bytes=4294967296');
    expect(set.spec.template.spec).toMatchObject({
      tolerations: [{ key: 'dedicated', value: 'etcd', effect: 'NoSchedule' }],
      dnsPolicy: 'None',
      dnsConfig: { nameservers: ['10.0.0.10'] },
    });
    expect(set.metadata.labels).toMatchObject({ team: 'platform' });
    expect(set.spec.template.metadata.annotations).toMatchObject({
      'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false',
    });
    for (const name of ['vc1-etcd', 'vc1-etcd-headless'])
      expect((find(ms, 'Service', name)!.metadata as { annotations?: unknown }).annotations).toEqual({
        owner: 'platform',
      });
    expect(controlPlane(ms).spec.template.spec).toMatchObject({
      dnsPolicy: 'None',
      dnsConfig: { nameservers: ['10.0.0.10'] },
    });
    expect(failure({ deployedEtcd: { enabled: true, podLabels: { release: 'other' } } })).toContain(
      "deployedEtcd.podLabels.release is the chart's own key",
    );
  });

  it('refuses an even member count, members without claims, names too long, two data stores, and replicas without a shared store', () => {
    expect(failure({ deployedEtcd: { enabled: true, replicas: 2 } })).toContain('/deployedEtcd/replicas');
    // A member made anew without its data cannot rejoin: only one member may go without a claim.
    expect(
      failure({ deployedEtcd: { enabled: true, replicas: 3, persistence: { enabled: false } } }),
    ).toContain('deployedEtcd.persistence.enabled: false with more than one member');
    expect(failure({ deployedEtcd: { enabled: true, persistence: { enabled: false } } })).toBe('');
    // <name>-etcd-<10-character revision hash> is a label value of at most 63 characters.
    const long = 'v'.repeat(48);
    expect(renderError(long)).toContain(`the release name ${long} is 48 characters`);
    expect(renderError('v'.repeat(47))).toBe('');
    expect(failure({ deployedEtcd: { enabled: true }, k3s: { datastore: { secretName: 'db' } } })).toContain(
      'deployedEtcd.enabled and k3s.datastore (secretName or endpoint) name two data stores',
    );
    expect(failure({ controlPlane: { distro: 'vanilla' }, syncer: { replicas: 2 } })).toContain(
      'or the replicas share a deployed etcd (deployedEtcd.enabled',
    );
    expect(failure({ syncer: { replicas: 2 } })).toContain('a deployed etcd (deployedEtcd.enabled');
  });

  it('lets only the control plane and the members reach the members under isolation, and tenants not at all', () => {
    const ms = render({
      'deployedEtcd.enabled': 'true',
      'deployedEtcd.replicas': '3',
      'isolation.enabled': 'true',
    });
    const etcdLabels = etcd(ms)!.spec.template.metadata.labels;
    const cpLabels = controlPlane(ms).spec.template.metadata.labels;
    const policy = find<NetworkPolicy>(ms, 'NetworkPolicy', 'vc-etcd-vc1')!;
    expect(selects(policy.spec.podSelector.matchLabels, etcdLabels)).toBe(true);
    const clientFrom = policy.spec.ingress!.find((r) => r.ports?.some((p) => p.port === 2379))!;
    const peerFrom = policy.spec.ingress!.find((r) => r.ports?.some((p) => p.port === 2380))!;
    const sources = (r: { from?: { podSelector?: { matchLabels: Record<string, string> } }[] }) =>
      r.from!.map((f) => f.podSelector!.matchLabels);
    expect(sources(clientFrom).some((s) => selects(s, cpLabels))).toBe(true);
    expect(sources(peerFrom).every((s) => selects(s, etcdLabels))).toBe(true);
    expect(sources(peerFrom).some((s) => selects(s, cpLabels))).toBe(false);
    // The control plane may dial the members' client port.
    const cp = find<NetworkPolicy>(ms, 'NetworkPolicy', 'vc-cp-vc1')!;
    expect(
      cp.spec.egress!.some(
        (r) =>
          r.to?.some((t) => t.podSelector && selects(t.podSelector.matchLabels, etcdLabels)) &&
          r.ports?.[0]?.port === 2379,
      ),
    ).toBe(true);
    // Tenant pods' egress selects no member.
    const work = find<NetworkPolicy>(ms, 'NetworkPolicy', 'vc-work-vc1')!;
    expect(
      work.spec
        .egress!.flatMap((r) => r.to ?? [])
        .some((t) => t.podSelector && selects(t.podSelector.matchLabels, etcdLabels)),
    ).toBe(false);
  });
});

describe("helm chart: vCluster's controlPlane.backingStore.etcd.deploy", () => {
  it('runs its high-availability example: three members and three control-plane replicas', () => {
    const ms = renderValues({
      controlPlane: {
        backingStore: {
          etcd: { deploy: { enabled: true, statefulSet: { highAvailability: { replicas: 3 } } } },
        },
        statefulSet: { highAvailability: { replicas: 3 } },
      },
    });
    expect(etcd(ms)!.spec.replicas).toBe(3);
    expect(controlPlane(ms).spec.replicas).toBe(3);
    expect(controlPlane(ms).metadata.annotations!['vsyncer.dev/data-store']).toBe('k3s/deployed-etcd');
  });

  it('maps its claim, image, resources, scheduling and metadata; its defaults set nothing', () => {
    const ms = renderValues({
      controlPlane: {
        backingStore: {
          etcd: {
            deploy: {
              enabled: true,
              statefulSet: {
                enabled: true,
                image: { registry: 'mirror.example.com', repository: 'etcd', tag: '3.6.9-0' },
                resources: { requests: { cpu: '100m', memory: '256Mi' } },
                extraArgs: ['--auto-compaction-retention=1'],
                annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' },
                pods: { labels: { team: 'platform' } },
                scheduling: { podManagementPolicy: 'Parallel', nodeSelector: { pool: 'etcd' } },
                persistence: {
                  volumeClaim: {
                    enabled: true,
                    retentionPolicy: 'Delete',
                    size: '10Gi',
                    storageClass: 'fast',
                  },
                },
                env: [],
                security: { podSecurityContext: {}, containerSecurityContext: {} },
              },
              service: { enabled: true, annotations: { owner: 'platform' } },
              headlessService: { annotations: { owner: 'platform' } },
            },
          },
        },
      },
    });
    const set = etcd(ms)!;
    const c = set.spec.template.spec.containers[0] as Container & { image: string; resources: unknown };
    expect(c.image).toBe('mirror.example.com/etcd:3.6.9-0');
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' } });
    expect(c.args).toContain('--auto-compaction-retention=1');
    expect(set.metadata.annotations).toEqual({ 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' });
    expect(set.spec.template.metadata.labels).toMatchObject({ team: 'platform' });
    expect(set.spec.template.spec).toMatchObject({ nodeSelector: { pool: 'etcd' } });
    expect(set.spec.persistentVolumeClaimRetentionPolicy).toEqual({
      whenDeleted: 'Delete',
      whenScaled: 'Retain',
    });
    expect(set.spec.volumeClaimTemplates![0]!.spec).toMatchObject({
      storageClassName: 'fast',
      resources: { requests: { storage: '10Gi' } },
    });
    // vCluster's default image and resources leave vsyncer's.
    const defaults = etcd(
      renderValues({
        controlPlane: {
          backingStore: {
            etcd: {
              deploy: {
                enabled: true,
                statefulSet: {
                  image: { registry: 'registry.k8s.io', repository: 'etcd', tag: '3.6.8-0' },
                  resources: { requests: { cpu: '20m', memory: '150Mi' } },
                },
              },
            },
          },
        },
      }),
    )!;
    expect(defaults.spec.template.spec.containers[0]).toMatchObject({
      image: 'registry.k8s.io/etcd:3.7.0-0',
      resources: { requests: { cpu: '50m', memory: '128Mi' } },
    });
  });

  it('refuses what vsyncer does not run: an etcd of your own, ordered start, extra env and volumes, different Service annotations', () => {
    const deploy = (d: Record<string, unknown>) =>
      failure({ controlPlane: { backingStore: { etcd: { deploy: { enabled: true, ...d } } } } });
    expect(deploy({ statefulSet: { enabled: false } })).toContain(
      'controlPlane.backingStore.etcd.deploy.statefulSet.enabled: vsyncer runs the etcd it deploys',
    );
    expect(deploy({ statefulSet: { scheduling: { podManagementPolicy: 'OrderedReady' } } })).toContain(
      'podManagementPolicy: the members start together',
    );
    expect(deploy({ statefulSet: { env: [{ name: 'X', value: '1' }] } })).toContain(
      'controlPlane.backingStore.etcd.deploy.statefulSet.env',
    );
    expect(deploy({ statefulSet: { persistence: { addVolumes: [{ name: 'x', emptyDir: {} }] } } })).toContain(
      'controlPlane.backingStore.etcd.deploy.statefulSet.persistence.addVolumes',
    );
    expect(
      deploy({ service: { annotations: { a: '1' } }, headlessService: { annotations: { a: '2' } } }),
    ).toContain(
      'controlPlane.backingStore.etcd.deploy.service.annotations and headlessService.annotations differ',
    );
    // vCluster would take the embedded etcd, vsyncer the deployed one: neither guesses.
    expect(
      failure({
        controlPlane: { backingStore: { etcd: { embedded: { enabled: true }, deploy: { enabled: true } } } },
      }),
    ).toContain('etcd.embedded.enabled and controlPlane.backingStore.etcd.deploy.enabled are both on');
  });

  it("maps the control plane's dnsPolicy and dnsConfig", () => {
    const dnsConfig = { nameservers: ['10.0.0.10'], searches: ['corp.example.com'] };
    const cp = controlPlane(
      renderValues({ controlPlane: { statefulSet: { dnsPolicy: 'None', dnsConfig } } }),
    );
    expect(cp.spec.template.spec).toMatchObject({ dnsPolicy: 'None', dnsConfig });
    expect(failure({ controlPlane: { statefulSet: { dnsPolicy: 'Sometimes' } } })).toContain(
      "controlPlane.statefulSet.dnsPolicy: a pod's DNS policy",
    );
  });
});
