import { createPrivateKey, X509Certificate } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { render, renderText, type Manifest } from './render.ts';

interface Container {
  name: string;
  restartPolicy?: string;
  startupProbe?: unknown;
  image: string;
  command?: string[];
  args: string[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  initContainers?: Container[];
  containers: Container[];
  volumes: { name: string; secret?: { secretName: string; items?: { key: string; path: string }[] } }[];
}

const vanilla = { 'controlPlane.distro': 'vanilla' };
const podOf = (ms: Manifest[]) =>
  (ms.find((m) => m.kind === 'StatefulSet') as unknown as { spec: { template: { spec: PodSpec } } }).spec
    .template.spec;
const secretData = (ms: Manifest[], name: string) =>
  (
    ms.find((m) => m.kind === 'Secret' && m.metadata.name === name) as unknown as {
      data: Record<string, string>;
    }
  ).data;
const decoded = (data: Record<string, string>, key: string) => Buffer.from(data[key]!, 'base64').toString();

describe('helm chart, controlPlane.distro=vanilla', () => {
  it('runs etcd, kube-apiserver and kube-controller-manager beside the syncer, with the upstream commands', () => {
    const pod = podOf(render(vanilla));
    // etcd and the API server are sidecars (init containers that keep running): the controller manager
    // and the syncer start once the API server's startup probe passes.
    expect(pod.initContainers!.map((c) => [c.name, c.restartPolicy])).toEqual([
      ['kubelet-cert', undefined],
      ['apiserver-cert', undefined],
      ['etcd', 'Always'],
      ['kube-apiserver', 'Always'],
    ]);
    expect(pod.initContainers![3]!.startupProbe).toMatchObject({
      httpGet: { path: '/readyz', port: 6443, scheme: 'HTTPS' },
    });
    expect(pod.containers.map((c) => c.name)).toEqual(['kube-controller-manager', 'syncer']);
    const [etcd, kubeApiserver] = pod.initContainers!.slice(2);
    const kcm = pod.containers[0]!;
    expect([etcd!.command, kubeApiserver!.command, kcm.command]).toEqual([
      ['/usr/local/bin/etcd'],
      ['/usr/local/bin/kube-apiserver'],
      ['/usr/local/bin/kube-controller-manager'],
    ]);
    const apiserver = kubeApiserver!.args;
    expect(apiserver).toEqual(
      expect.arrayContaining([
        '--etcd-servers=http://127.0.0.1:2379',
        '--secure-port=6443',
        '--tls-cert-file=/etc/vsyncer/serving/apiserver.crt',
        '--token-auth-file=/etc/vsyncer/pki/tokens.csv',
        '--endpoint-reconciler-type=none',
        '--service-cluster-ip-range=10.96.0.0/12',
      ]),
    );
    // Every controller name given exists in this release of kube-controller-manager (an unknown one is fatal).
    const controllers = kcm.args.find((a) => a.startsWith('--controllers='))!;
    expect(controllers).toBe(
      '--controllers=*,-node-ipam-controller,-node-lifecycle-controller,-persistentvolume-binder-controller,-persistentvolume-attach-detach-controller,-persistentvolume-expander-controller,-ttl-controller',
    );
    // The syncer reads the chart's admin kubeconfig where k3s would have written its own.
    const kubeconfig = pod.volumes.find((v) => v.name === 'kubeconfig')!;
    expect(kubeconfig.secret).toMatchObject({
      secretName: 'vc1-pki',
      items: [{ key: 'admin.conf', path: 'kube-config.yaml' }],
    });
  });

  it("issues the API server's certificate at pod start for the Service's cluster IP and names", () => {
    const pod = podOf(render(vanilla));
    const init = pod.initContainers!.find((c) => c.name === 'apiserver-cert')!;
    expect(init.image).toBe('vsyncer:0.1.0');
    expect(init.args).toEqual(
      expect.arrayContaining([
        'issue-cert',
        '--ca-key=/etc/vsyncer/pki/ca.key',
        '--dns-name=localhost,vc1,vc1.team-a,vc1.team-a.svc,vc1.team-a.svc.cluster.local',
        '--ip-address=127.0.0.1',
        // The kubelet sets it to the cluster IP of Service vc1, which exists before the pod.
        '--ip-address=$(VC1_SERVICE_HOST)',
      ]),
    );
  });

  it('keeps its credentials after an uninstall while the data they go with stays', () => {
    const pkiAnnotations = (set: Record<string, string>) =>
      (
        render({ ...vanilla, ...set }).find((m) => m.metadata.name === 'vc1-pki')!.metadata as {
          annotations?: Record<string, string>;
        }
      ).annotations;
    expect(pkiAnnotations({})).toEqual({ 'helm.sh/resource-policy': 'keep' });
    expect(pkiAnnotations({ 'persistence.deleteOnUninstall': 'true' })).toBeUndefined();
    expect(pkiAnnotations({ 'persistence.enabled': 'false' })).toBeUndefined();
    // The data in the admin's own volume outlives an uninstall too.
    expect(
      pkiAnnotations({
        'persistence.enabled': 'false',
        'persistence.volume.persistentVolumeClaim.claimName': 'vc-data',
      }),
    ).toEqual({ 'helm.sh/resource-policy': 'keep' });
    // With a deployed etcd, its data decides.
    expect(pkiAnnotations({ 'deployedEtcd.enabled': 'true', 'persistence.enabled': 'false' })).toEqual({
      'helm.sh/resource-policy': 'keep',
    });
    expect(
      pkiAnnotations({
        'deployedEtcd.enabled': 'true',
        'deployedEtcd.persistence.deleteOnUninstall': 'true',
      }),
    ).toBeUndefined();
  });

  it('makes one CA, the signing key and a token per client, and kubeconfigs that carry them', () => {
    const data = secretData(render(vanilla), 'vc1-pki');
    const ca = new X509Certificate(decoded(data, 'ca.crt'));
    expect(ca.ca).toBe(true);
    expect(ca.checkPrivateKey(createPrivateKey(decoded(data, 'ca.key')))).toBe(true);
    expect(createPrivateKey(decoded(data, 'sa.key')).asymmetricKeyType).toBe('rsa');
    const tokens = decoded(data, 'tokens.csv')
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    expect(tokens.map((t) => t.slice(1))).toEqual([
      ['vsyncer-admin', 'vsyncer-admin', '"system:masters"'],
      ['system:kube-controller-manager', 'system:kube-controller-manager'],
    ]);
    for (const [file, token] of [
      ['admin.conf', tokens[0]![0]],
      ['controller-manager.conf', tokens[1]![0]],
    ] as const) {
      const config = parseYaml(decoded(data, file)) as {
        clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
        users: { user: { token: string } }[];
      };
      expect(config.clusters[0]!.cluster.server).toBe('https://127.0.0.1:6443');
      expect(
        Buffer.from(config.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString(),
      ).toBe(decoded(data, 'ca.crt'));
      expect(config.users[0]!.user.token).toBe(token);
      expect(token).toMatch(/^[A-Za-z0-9]{48}$/);
    }
  });

  it("serves the aggregation layer (APIServices): a front-proxy CA of its own, whose key is not kept, and the API server's flags", () => {
    const ms = render(vanilla);
    const data = secretData(ms, 'vc1-pki');
    const frontProxyCa = new X509Certificate(decoded(data, 'front-proxy-ca.crt'));
    const client = new X509Certificate(decoded(data, 'front-proxy-client.crt'));
    expect(frontProxyCa.ca).toBe(true);
    expect(client.subject).toBe('CN=front-proxy-client');
    expect(client.checkIssued(frontProxyCa) && client.verify(frontProxyCa.publicKey)).toBe(true);
    expect(client.checkPrivateKey(createPrivateKey(decoded(data, 'front-proxy-client.key')))).toBe(true);
    // Not the cluster CA: a certificate a tenant gets signed through a CSR cannot act as the proxy.
    expect(client.verify(new X509Certificate(decoded(data, 'ca.crt')).publicKey)).toBe(false);
    expect(
      Object.keys(data)
        .filter((k) => k.startsWith('front-proxy'))
        .sort(),
    ).toEqual(['front-proxy-ca.crt', 'front-proxy-client.crt', 'front-proxy-client.key']);
    const apiserver = podOf(ms).initContainers!.find((c) => c.name === 'kube-apiserver')!.args;
    expect(apiserver).toEqual(
      expect.arrayContaining([
        '--requestheader-client-ca-file=/etc/vsyncer/pki/front-proxy-ca.crt',
        '--requestheader-allowed-names=front-proxy-client',
        '--requestheader-username-headers=X-Remote-User',
        '--requestheader-group-headers=X-Remote-Group',
        '--requestheader-extra-headers-prefix=X-Remote-Extra-',
        '--proxy-client-cert-file=/etc/vsyncer/pki/front-proxy-client.crt',
        '--proxy-client-key-file=/etc/vsyncer/pki/front-proxy-client.key',
      ]),
    );
  });

  it("issues the kubelet API's serving certificate from the cluster CA, which the API server and metrics-server trust", () => {
    const pod = podOf(render(vanilla));
    const init = pod.initContainers!.find((c) => c.name === 'kubelet-cert')!;
    expect(init.args).toEqual(
      expect.arrayContaining(['--ca-cert=/etc/vsyncer/pki/ca.crt', '--ca-key=/etc/vsyncer/pki/ca.key']),
    );
    expect(init.volumeMounts).toContainEqual({ name: 'pki', mountPath: '/etc/vsyncer/pki', readOnly: true });
    const apiserver = pod.initContainers!.find((c) => c.name === 'kube-apiserver')!.args;
    expect(apiserver).toContain('--kubelet-certificate-authority=/etc/vsyncer/pki/ca.crt');
    const syncerArgs = (p: typeof pod) => p.containers.find((c) => c.name === 'syncer')!.args;
    expect(syncerArgs(pod).filter((a) => a.startsWith('--extra-root-ca-file'))).toEqual([]);
    // k3s makes its CA itself: there the chart's kubelet CA stays, and pods are given it to trust.
    const k3sPod = podOf(render({}));
    const k3s = k3sPod.initContainers!.find((c) => c.name === 'kubelet-cert')!;
    expect(k3s.args).toContain('--ca-cert=/etc/vsyncer/kubelet/ca.crt');
    expect(k3s.volumeMounts?.map((m) => m.name)).not.toContain('pki');
    expect(syncerArgs(k3sPod)).toContain('--extra-root-ca-file=/etc/vsyncer/kubelet/ca.crt');
  });

  it('runs kube-scheduler with syncer.virtualScheduler only, with a token of its own for system:kube-scheduler', () => {
    expect(podOf(render(vanilla)).containers.map((c) => c.name)).toEqual([
      'kube-controller-manager',
      'syncer',
    ]);
    const ms = render({ ...vanilla, 'syncer.virtualScheduler': 'true', 'syncer.syncRealNodes': 'true' });
    const scheduler = podOf(ms).containers.find((c) => c.name === 'kube-scheduler')!;
    expect(scheduler.command).toEqual(['/usr/local/bin/kube-scheduler']);
    expect(scheduler.args).toEqual(
      expect.arrayContaining(['--kubeconfig=/etc/vsyncer/pki/scheduler.conf', '--leader-elect=false']),
    );
    // Its kubeconfig only: not the CA's key, the signing key or the admin's token.
    expect(scheduler.volumeMounts).toEqual([
      { name: 'scheduler-kubeconfig', mountPath: '/etc/vsyncer/pki', readOnly: true },
    ]);
    expect(podOf(ms).volumes.find((v) => v.name === 'scheduler-kubeconfig')?.secret).toMatchObject({
      secretName: 'vc1-pki',
      items: [{ key: 'scheduler.conf', path: 'scheduler.conf' }],
    });
    // Without the virtual scheduler no token of system:kube-scheduler exists.
    expect(decoded(secretData(render(vanilla), 'vc1-pki'), 'tokens.csv')).not.toContain('kube-scheduler');
    const data = secretData(ms, 'vc1-pki');
    const tokens = decoded(data, 'tokens.csv').trim().split('\n');
    const schedulerLine = tokens.find((l) => l.endsWith(',system:kube-scheduler,system:kube-scheduler'))!;
    const config = parseYaml(decoded(data, 'scheduler.conf')) as { users: { user: { token: string } }[] };
    expect(config.users[0]!.user.token).toBe(schedulerLine.split(',')[0]);
    // Each client its own token.
    expect(new Set(tokens.map((l) => l.split(',')[0])).size).toBe(tokens.length);
  });

  it('refuses what it cannot run: several replicas, an unknown distro', () => {
    expect(() => renderText({ ...vanilla, 'syncer.replicas': '2' })).toThrow(
      /controlPlane.distro=vanilla runs one etcd in the pod: syncer.replicas .*must be 1, or the replicas share a deployed etcd/,
    );
    // k3s's external data store is no vanilla one (it was ignored before).
    expect(() => renderText({ ...vanilla, 'k3s.datastore.secretName': 'db' })).toThrow(
      /k3s.datastore \(an external data store\) is k3s's/,
    );
    expect(() => renderText({ 'controlPlane.distro': 'k0s' })).toThrow(
      /controlPlane.distro must be k3s or vanilla, not "k0s"/,
    );
  });

  it('places the pod as asked and gives k3s the Service IP as a certificate name too', () => {
    const pod = podOf(
      render({
        'controlPlane.nodeSelector.pool': 'cp',
        'controlPlane.tolerations[0].key': 'cp',
        'controlPlane.tolerations[0].operator': 'Exists',
      }),
    ) as PodSpec & {
      nodeSelector: Record<string, string>;
      tolerations: unknown[];
    };
    expect(pod.nodeSelector).toEqual({ pool: 'cp' });
    expect(pod.tolerations).toEqual([{ key: 'cp', operator: 'Exists' }]);
    expect(pod.containers[0]!.args).toContain('--tls-san=$(VC1_SERVICE_HOST)');
  });
});
