import { corednsObjects } from '../../src/bootstrap/coredns.ts';
import { hostLabels } from '../../src/naming/labels.ts';
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

  it("with isolation, lets the virtual cluster's DNS pod (only) reach port 53 anywhere, as its node's resolver is at a private address", () => {
    type Policy = {
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        policyTypes: string[];
        egress: unknown[];
      };
    };
    const policy = (set: Record<string, string>) =>
      render({ 'isolation.enabled': 'true', ...set }).find(
        (m) => m.kind === 'NetworkPolicy' && m.metadata.name === 'vc-dns-vc1',
      ) as unknown as Policy | undefined;
    const dns53 = {
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    };
    // By default (no fallback): CoreDNS forwards to its node's resolver (dnsPolicy Default), which
    // vc-work's except list covers on kind (172.18.0.1), EKS (the VPC's .2) and GKE (169.254.169.254).
    const byDefault = policy({})!;
    expect(byDefault.spec.policyTypes).toEqual(['Egress']);
    expect(byDefault.spec.egress).toEqual([dns53]);
    // It selects the host copy of the CoreDNS pod the syncer deploys (and k3s's, of the same labels),
    // and no pod of another namespace or virtual cluster.
    const deployment = corednsObjects({ image: 'coredns', clusterDomain: 'cluster.local' }).find(
      (o) => o.object.kind === 'Deployment',
    )!.object as unknown as { spec: { template: { metadata: { labels: Record<string, string> } } } };
    const hostCopy = hostLabels(deployment.spec.template.metadata.labels, {
      vcName: 'vc1',
      virtualNamespace: 'kube-system',
    });
    expect(byDefault.spec.podSelector.matchLabels).toEqual({
      'vcluster.loft.sh/managed-by': 'vc1',
      'vcluster.loft.sh/namespace': 'kube-system',
      'k8s-app': 'kube-dns',
    });
    for (const [key, value] of Object.entries(byDefault.spec.podSelector.matchLabels))
      expect([key, hostCopy[key]]).toEqual([key, value]);
    expect(policy({ 'syncer.fallbackHostDns': 'auto' })!.spec.egress).toEqual([dns53]);
    const at = (cidr: string, port: number) => ({
      to: [{ ipBlock: { cidr } }],
      ports: [
        { port, protocol: 'UDP' },
        { port, protocol: 'TCP' },
      ],
    });
    expect(policy({ 'syncer.fallbackHostDns': '10.43.0.10:5353' })!.spec.egress).toEqual([
      dns53,
      at('10.43.0.10/32', 5353),
    ]);
    expect(policy({ 'syncer.fallbackHostDns': '[fd00::a]:53' })!.spec.egress).toEqual([dns53]);
    // Without isolation there is no policy to open.
    expect(render().some((m) => m.kind === 'NetworkPolicy')).toBe(false);
  });
});
