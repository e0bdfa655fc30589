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

  it('records the taints it sets, and reads an unreadable record as none (a tenant taint then stays)', () => {
    const host = { key: 'h', effect: 'NoSchedule' };
    const made = withTenantNodeSpec(node({ taints: [host] }));
    expect(JSON.parse(made.metadata!.annotations![ORIGINAL_TAINTS_ANNOTATION]!)).toEqual([host]);
    const garbled = node(
      { taints: [{ key: 'old', effect: 'NoSchedule' }] },
      { [ORIGINAL_TAINTS_ANNOTATION]: '{not json' },
    );
    expect(withTenantNodeSpec(node({}), garbled).spec).toEqual({
      taints: [{ key: 'old', effect: 'NoSchedule' }],
    });
  });
});
