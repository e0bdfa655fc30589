import type { KubeObject } from '../../kube/object.ts';
import { ORIGINAL_TAINTS_ANNOTATION, withTenantNodeSpec } from './tenant-node-spec.ts';

const node = (spec: object, annotations?: Record<string, string>): KubeObject => ({
  metadata: { name: 'n1', annotations },
  spec,
});
const notReady = { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' };

describe('withTenantNodeSpec', () => {
  it("takes the API server's not-ready taint off, unless the host node has it too", () => {
    expect(withTenantNodeSpec(node({}), node({ taints: [notReady] })).spec).toEqual({});
    expect(withTenantNodeSpec(node({ taints: [notReady] }), node({ taints: [notReady] })).spec).toEqual({
      taints: [notReady],
    });
  });

  it("records the taints it sets ([] too); a node without a readable record is an older syncer's: all its taints were set", () => {
    const host = { key: 'h', effect: 'NoSchedule' };
    const made = withTenantNodeSpec(node({ taints: [host] }));
    expect(JSON.parse(made.metadata!.annotations![ORIGINAL_TAINTS_ANNOTATION]!)).toEqual([host]);
    expect(withTenantNodeSpec(node({})).metadata!.annotations![ORIGINAL_TAINTS_ANNOTATION]).toBe('[]');
    const old = { key: 'old', effect: 'NoSchedule' };
    for (const annotations of [undefined, { [ORIGINAL_TAINTS_ANNOTATION]: '{not json' }]) {
      expect(
        withTenantNodeSpec(node({}), node({ taints: [old], unschedulable: true }, annotations)).spec,
      ).toEqual({});
    }
  });

  it("lets the host's taint of the same key and effect win over the tenant's (the API server takes one)", () => {
    const tenant = { key: 'dedicated', value: 'a', effect: 'NoSchedule' };
    const host = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
    const current = node({ taints: [tenant] }, { [ORIGINAL_TAINTS_ANNOTATION]: '[]' });
    expect(withTenantNodeSpec(node({ taints: [host] }), current).spec).toEqual({ taints: [host] });
  });
});
