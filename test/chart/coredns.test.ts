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
});
