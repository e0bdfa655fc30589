import type { KubeObject } from '../kube/object.ts';
import { checkPodSecurity } from '../translators/pods/pod-security.ts';
import { BOOTSTRAP_LABEL, corednsObjects, corefile, isSyncerCorefile } from './coredns.ts';
import { describeObject } from './create-missing.ts';

const objects = corednsObjects({
  image: 'registry.k8s.io/coredns/coredns:v1.12.1',
  clusterDomain: 'vc.example',
});
const byKind = (kind: string) => objects.find((o) => o.object.kind === kind)!.object;

interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: {
    serviceAccountName: string;
    dnsPolicy: string;
    containers: {
      image: string;
      command: string[];
      args: string[];
      ports: { containerPort: number; protocol: string }[];
      readinessProbe: { httpGet: { path: string; port: number } };
      livenessProbe: { httpGet: { path: string; port: number } };
      securityContext: Record<string, unknown>;
      volumeMounts: { name: string; mountPath: string }[];
    }[];
    volumes: { name: string; configMap: { name: string } }[];
  };
}

describe('the CoreDNS objects (--coredns-image)', () => {
  it('are what k3s deploys for DNS, in kube-system, in an order where each finds what it needs', () => {
    expect(objects.map(describeObject)).toEqual([
      'ServiceAccount kube-system/coredns',
      'ClusterRole system:coredns',
      'ClusterRoleBinding system:coredns',
      'ConfigMap kube-system/coredns',
      'Service kube-system/kube-dns',
      'Deployment kube-system/coredns',
    ]);
    for (const { type, object } of objects) {
      expect(object.apiVersion).toBe(type.group ? `${type.group}/${type.version}` : type.version);
      expect(object.kind).toBe(type.kind);
    }
  });

  it('each carries the bootstrap label, so an admin sees where it came from', () => {
    for (const { object } of objects) expect(object.metadata?.labels?.[BOOTSTRAP_LABEL]).toBe('coredns');
  });

  it('lets CoreDNS list and watch what its kubernetes plugin reads, and nothing more', () => {
    expect(byKind('ClusterRole').rules).toEqual([
      {
        apiGroups: [''],
        resources: ['endpoints', 'services', 'pods', 'namespaces'],
        verbs: ['list', 'watch'],
      },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
    ]);
    const binding = byKind('ClusterRoleBinding');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'system:coredns',
    });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'coredns', namespace: 'kube-system' }]);
  });

  it('serves the cluster domain of --cluster-domain and forwards everything else to the node resolver', () => {
    expect((byKind('ConfigMap').data as Record<string, string>).Corefile).toBe(corefile('vc.example'));
    const lines = corefile('vc.example')
      .split('\n')
      .map((l) => l.trim());
    expect(lines).toEqual(
      expect.arrayContaining([
        '.:53 {',
        'errors',
        'health',
        'ready',
        'kubernetes vc.example in-addr.arpa ip6.arpa {',
        'pods insecure',
        'fallthrough in-addr.arpa ip6.arpa',
        'forward . /etc/resolv.conf',
        'cache 30',
        'loop',
        'reload',
        'loadbalance',
      ]),
    );
  });

  it('with a host DNS, names of the cluster domain the virtual cluster lacks and all others go to it', () => {
    const text = corefile('vc.example', '10.43.0.10');
    const lines = text.split('\n').map((l) => l.trim());
    expect(lines).toEqual(
      expect.arrayContaining(['fallthrough vc.example in-addr.arpa ip6.arpa', 'forward . 10.43.0.10']),
    );
    expect(lines).not.toContain('forward . /etc/resolv.conf');
    // Only that differs from the Corefile without one.
    const plain = corefile('vc.example').split('\n');
    expect(text.split('\n').filter((l, i) => l !== plain[i])).toHaveLength(2);
    expect(
      corednsObjects({ image: 'coredns:1', clusterDomain: 'vc.example', hostDns: '10.43.0.10' }).find(
        (o) => o.object.kind === 'ConfigMap',
      )!.object.data,
    ).toEqual({ Corefile: text, NodeHosts: '' });
  });

  it('knows the Corefiles it writes, with or without a fallback, from any other', () => {
    expect(isSyncerCorefile(corefile('vc.example'), 'vc.example')).toBe(true);
    expect(isSyncerCorefile(corefile('vc.example', '10.43.0.10'), 'vc.example')).toBe(true);
    expect(isSyncerCorefile(corefile('vc.example', '[fd00::a]:53'), 'vc.example')).toBe(true);
    expect(isSyncerCorefile(corefile('vc.example'), 'cluster.local')).toBe(false);
    expect(isSyncerCorefile(corefile('vc.example').replace('cache 30', 'cache 60'), 'vc.example')).toBe(
      false,
    );
    expect(isSyncerCorefile(corefile('vc.example', '10.43.0.10') + '\n', 'vc.example')).toBe(false);
    expect(isSyncerCorefile(undefined, 'vc.example')).toBe(false);
  });

  it('kube-dns: the labels tools look for, a selector on the pods, DNS over UDP and TCP, metrics', () => {
    const service = byKind('Service');
    expect(service.metadata?.labels).toMatchObject({
      'k8s-app': 'kube-dns',
      'kubernetes.io/name': 'CoreDNS',
    });
    expect(service.spec).toEqual({
      selector: { 'k8s-app': 'kube-dns' },
      ports: [
        { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' },
        { name: 'metrics', port: 9153, targetPort: 9153, protocol: 'TCP' },
      ],
    });
  });

  it('the Deployment: one CoreDNS pod of the image, reading the ConfigMap, probed on ready and health', () => {
    const deployment = byKind('Deployment');
    const spec = deployment.spec as { replicas: number; selector: unknown; template: PodTemplate };
    expect(spec.replicas).toBe(1);
    expect(spec.selector).toEqual({ matchLabels: { 'k8s-app': 'kube-dns' } });
    // The Service selects the pods: the template carries its selector's labels.
    expect(spec.template.metadata.labels).toMatchObject(
      (byKind('Service').spec as { selector: object }).selector,
    );
    const pod = spec.template.spec;
    expect(pod.serviceAccountName).toBe('coredns');
    // Its own upstream is the node's resolver, not the cluster DNS (itself).
    expect(pod.dnsPolicy).toBe('Default');
    const [c] = pod.containers;
    expect(c).toMatchObject({
      image: 'registry.k8s.io/coredns/coredns:v1.12.1',
      command: ['/coredns'],
      args: ['-conf', '/etc/coredns/Corefile'],
      readinessProbe: { httpGet: { path: '/ready', port: 8181 } },
      livenessProbe: { httpGet: { path: '/health', port: 8080 } },
    });
    expect(c!.ports.map((p) => `${p.containerPort}/${p.protocol}`)).toEqual(
      expect.arrayContaining(['53/UDP', '53/TCP', '8181/TCP', '8080/TCP']),
    );
    expect(c!.volumeMounts).toEqual([{ name: 'config-volume', mountPath: '/etc/coredns', readOnly: true }]);
    expect(pod.volumes[0]).toMatchObject({ name: 'config-volume', configMap: { name: 'coredns' } });
  });

  it('runs CoreDNS non-root on a read-only root with NET_BIND_SERVICE only: restricted Pod Security passes', () => {
    const pod = (byKind('Deployment').spec as { template: PodTemplate }).template;
    expect(pod.spec.containers[0]!.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
    });
    // Port 53 without root, whether or not the image's binary carries the capability.
    expect((pod.spec as { securityContext?: unknown }).securityContext).toMatchObject({
      sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '53' }],
    });
    // A tenant's kube-system may be held to restricted: the syncer must not refuse its own DNS pod.
    const asPod: KubeObject = { metadata: { name: 'coredns-x', namespace: 'kube-system' }, spec: pod.spec };
    expect(checkPodSecurity(asPod, 'restricted')).toEqual([]);
  });
});
