import { render, syncerArgs } from './render.ts';

const corednsFlag = (set: Record<string, string>) =>
  syncerArgs(render(set)).filter((a) => a.startsWith('--coredns-image'));

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
});
