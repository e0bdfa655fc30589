import { render, syncerArgs, type Manifest } from './render.ts';

const corednsFlag = (set: Record<string, string>) =>
  syncerArgs(render(set)).filter((a) => a.startsWith('--coredns-image'));
const dnsFlags = (set: Record<string, string>) =>
  syncerArgs(render(set)).filter(
    (a) => a.startsWith('--coredns-image') || a.startsWith('--fallback-host-dns'),
  );
const k3sDisable = (set: Record<string, string>) =>
  (
    render(set).find((m: Manifest) => m.kind === 'StatefulSet') as unknown as {
      spec: { template: { spec: { containers: { name: string; args: string[] }[] } } };
    }
  ).spec.template.spec.containers
    .find((c) => c.name === 'k3s')!
    .args.filter((a) => a.startsWith('--disable='));

describe('helm chart: the virtual cluster DNS (vanilla.coredns)', () => {
  it('has the syncer deploy CoreDNS with the vanilla control plane, which has no DNS of its own', () => {
    expect(corednsFlag({ 'controlPlane.distro': 'vanilla' })).toEqual([
      '--coredns-image=registry.k8s.io/coredns/coredns:v1.12.1',
    ]);
    expect(
      corednsFlag({
        'controlPlane.distro': 'vanilla',
        'vanilla.coredns.image': 'mirror.example/coredns:1.12.1',
      }),
    ).toEqual(['--coredns-image=mirror.example/coredns:1.12.1']);
  });

  it('renders the flag empty with k3s (it deploys CoreDNS itself), and when turned off', () => {
    expect(corednsFlag({})).toEqual(['--coredns-image=']);
    expect(corednsFlag({ 'controlPlane.distro': 'k3s', 'vanilla.coredns.enabled': 'true' })).toEqual([
      '--coredns-image=',
    ]);
    expect(corednsFlag({ 'controlPlane.distro': 'vanilla', 'vanilla.coredns.enabled': 'false' })).toEqual([
      '--coredns-image=',
    ]);
  });

  it("fallbackHostDns: the syncer's CoreDNS falls back to the host's DNS; with k3s it replaces k3s's own", () => {
    expect(dnsFlags({ 'controlPlane.distro': 'vanilla', 'syncer.fallbackHostDns': 'auto' })).toEqual([
      '--coredns-image=registry.k8s.io/coredns/coredns:v1.12.1',
      '--fallback-host-dns=auto',
    ]);
    expect(dnsFlags({ 'syncer.fallbackHostDns': '10.43.0.10' })).toEqual([
      '--coredns-image=registry.k8s.io/coredns/coredns:v1.12.1',
      '--fallback-host-dns=10.43.0.10',
    ]);
    expect(k3sDisable({ 'syncer.fallbackHostDns': '10.43.0.10' })).toEqual([
      '--disable=traefik,servicelb,metrics-server,local-storage,coredns',
    ]);
    // Off: k3s keeps its CoreDNS.
    expect(k3sDisable({})).toEqual(['--disable=traefik,servicelb,metrics-server,local-storage']);
    expect(dnsFlags({})).toEqual(['--coredns-image=']);
    expect(() =>
      render({
        'controlPlane.distro': 'vanilla',
        'vanilla.coredns.enabled': 'false',
        'syncer.fallbackHostDns': 'auto',
      }),
    ).toThrow(/syncer.fallbackHostDns needs vanilla.coredns.enabled/);
  });

  it('fallbackHostDns: true is auto (vCluster users write fallbackHostCluster: true); a value the syncer would refuse is refused here', () => {
    expect(dnsFlags({ 'controlPlane.distro': 'vanilla', 'syncer.fallbackHostDns': 'true' })).toContain(
      '--fallback-host-dns=auto',
    );
    expect(dnsFlags({ 'controlPlane.distro': 'vanilla', 'syncer.fallbackHostDns': 'false' })).toEqual([
      '--coredns-image=registry.k8s.io/coredns/coredns:v1.12.1',
    ]);
    for (const bad of ['kube-dns.kube-system', '10.0.0.1:70000', '[fd00::a]', '999.0.0.1']) {
      expect(() => render({ 'syncer.fallbackHostDns': bad })).toThrow(
        `syncer.fallbackHostDns must be auto, true, an IP address or IP:port ([IPv6]:port), not "${bad}"`,
      );
    }
  });

  it("with isolation, lets the syncer's CoreDNS pod (only) reach the host's DNS on port 53, and the address given", () => {
    const policy = (set: Record<string, string>) =>
      render({ 'isolation.enabled': 'true', ...set }).find(
        (m) => m.kind === 'NetworkPolicy' && m.metadata.name === 'vc-dns-vc1',
      ) as unknown as { spec: { podSelector: unknown; egress: unknown[] } } | undefined;
    expect(policy({})).toBeUndefined();
    const auto = policy({ 'syncer.fallbackHostDns': 'auto' })!;
    expect(auto.spec.podSelector).toEqual({
      matchLabels: {
        'vcluster.loft.sh/managed-by': 'vc1',
        'vcluster.loft.sh/namespace': 'kube-system',
        'k8s-app': 'kube-dns',
      },
    });
    const kubeDns = {
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
      ],
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    };
    expect(auto.spec.egress).toEqual([kubeDns]);
    const at = (cidr: string, port: number) => ({
      to: [{ ipBlock: { cidr } }],
      ports: [
        { port, protocol: 'UDP' },
        { port, protocol: 'TCP' },
      ],
    });
    expect(policy({ 'syncer.fallbackHostDns': '10.43.0.10:5353' })!.spec.egress).toEqual([
      kubeDns,
      at('10.43.0.10/32', 5353),
    ]);
    expect(policy({ 'syncer.fallbackHostDns': '[fd00::a]:53' })!.spec.egress).toEqual([
      kubeDns,
      at('fd00::a/128', 53),
    ]);
  });
});
