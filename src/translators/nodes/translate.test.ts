import { parseToleration } from '../shared/tolerations.ts';
import { fakeNode, goArch, realNodeCopy, withCurrentKubeletAddress } from './translate.ts';

describe('realNodeCopy', () => {
  it("keeps the node's own status but not the images and volumes of other tenants' workloads, nor the kubelet's address", () => {
    const copy = realNodeCopy(
      {
        metadata: { name: 'n1', labels: { zone: 'a' } },
        spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] },
        status: {
          capacity: { cpu: '4' },
          conditions: [{ type: 'Ready', status: 'True' }],
          images: [{ names: ['registry.example/other-tenant/secret-app:1'], sizeBytes: 1 }],
          volumesAttached: [{ name: 'kubernetes.io/csi/driver^vol-123', devicePath: '' }],
          volumesInUse: ['kubernetes.io/csi/driver^vol-123'],
          addresses: [
            { type: 'InternalIP', address: '10.0.0.7' },
            { type: 'ExternalIP', address: '203.0.113.7' },
          ],
          daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        },
      },
      'vc1',
    );
    // Nor where the host's kubelet is: the virtual API server must never dial it.
    expect(copy.status).toEqual({
      capacity: { cpu: '4' },
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'Hostname', address: 'n1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
    });
    // The host's labels and vCluster's marker only, as vCluster's copies carry.
    expect(copy.metadata?.labels).toEqual({ zone: 'a', 'vcluster.loft.sh/managed-by': 'vc1' });
  });

  it('leaves out the taints every synced pod tolerates (--enforce-toleration), and only those', () => {
    const copy = realNodeCopy(
      {
        metadata: { name: 'n1' },
        spec: {
          taints: [
            { key: 'dedicated', value: 'tenants', effect: 'NoSchedule' },
            { key: 'gpu', effect: 'NoSchedule' },
            { key: 'dedicated', value: 'other', effect: 'NoSchedule' },
          ],
        },
        status: {},
      },
      'vc1',
      [parseToleration('dedicated=tenants:NoSchedule')],
    );
    expect((copy.spec as { taints?: unknown[] }).taints).toEqual([
      { key: 'gpu', effect: 'NoSchedule' },
      { key: 'dedicated', value: 'other', effect: 'NoSchedule' },
    ]);
    const all = realNodeCopy(
      { metadata: { name: 'n1' }, spec: { taints: [{ key: 'gpu', effect: 'NoSchedule' }] } },
      'vc1',
      [parseToleration('*')],
    );
    expect((all.spec as { taints?: unknown[] }).taints).toBeUndefined();
    // vCluster's `:Effect`: every taint of that effect, whatever its key.
    const byEffect = realNodeCopy(
      {
        metadata: { name: 'n1' },
        spec: {
          taints: [
            { key: 'gpu', effect: 'NoSchedule' },
            { key: 'dedicated', value: 'x', effect: 'NoSchedule' },
            { key: 'gpu', effect: 'NoExecute' },
          ],
        },
      },
      'vc1',
      [parseToleration(':NoSchedule')],
    );
    expect((byEffect.spec as { taints?: unknown[] }).taints).toEqual([{ key: 'gpu', effect: 'NoExecute' }]);
  });

  it("replaces a kept address that is the host kubelet's own (a copy made before real copies left it out)", () => {
    const hostNode = {
      metadata: { name: 'n1' },
      status: {
        addresses: [
          { type: 'InternalIP', address: '10.0.0.7' },
          { type: 'Hostname', address: 'n1' },
        ],
      },
    };
    const desired = realNodeCopy(hostNode, 'vc1');
    const old = {
      metadata: { name: 'n1' },
      status: { ...(hostNode.status as object), daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } },
    };
    expect(withCurrentKubeletAddress(desired, old, hostNode).status).toMatchObject({
      addresses: [{ type: 'Hostname', address: 'n1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
    });
    // Another syncer's endpoint (not the host's) is kept, as before.
    const served = {
      metadata: { name: 'n1' },
      status: {
        addresses: [{ type: 'InternalIP', address: '10.244.9.9' }],
        daemonEndpoints: { kubeletEndpoint: { Port: 11000 } },
      },
    };
    expect(withCurrentKubeletAddress(desired, served, hostNode).status).toMatchObject({
      addresses: [{ type: 'InternalIP', address: '10.244.9.9' }],
    });
  });
});

describe('fakeNode', () => {
  it("says it has what vCluster's fake node says: tools and tests written for vCluster read it", () => {
    const node = fakeNode('n1', 'v1.37.2', '2026-01-01T00:00:00Z', 'vc1');
    const expected = {
      cpu: '16',
      memory: '32Gi',
      'ephemeral-storage': '100Gi',
      'hugepages-1Gi': '0',
      'hugepages-2Mi': '0',
      pods: '110',
    };
    expect(node.status).toMatchObject({ capacity: expected, allocatable: expected });
  });
});

describe('goArch', () => {
  it("names each of Node's architectures as Go (and kubernetes.io/arch) does", () => {
    const named = (arch: string, endian: 'BE' | 'LE' = 'LE') => goArch(arch, endian);
    expect(named('x64')).toBe('amd64');
    expect(named('arm64')).toBe('arm64');
    expect(named('arm')).toBe('arm');
    expect(named('ia32')).toBe('386');
    expect(named('ppc64')).toBe('ppc64le');
    expect(named('ppc64', 'BE')).toBe('ppc64');
    expect(named('mipsel')).toBe('mipsle');
    expect(named('mips', 'BE')).toBe('mips');
    expect(named('riscv64')).toBe('riscv64');
    expect(named('loong64')).toBe('loong64');
    expect(named('s390x', 'BE')).toBe('s390x');
  });
});
