import type { KubeObject } from '../../kube/object.ts';
import { immutableFieldsMatch, mutableFieldsMatch, refusalOf } from './translate.ts';

const sc = (extra: Record<string, unknown>): KubeObject => ({
  metadata: { name: 'fast' },
  provisioner: 'csi.example.com',
  ...extra,
});

describe('storage class comparisons', () => {
  it("the server's defaults and its dropping of empty lists count as equal (no write at steady state)", () => {
    const desired = sc({ mountOptions: [], allowedTopologies: [], parameters: {} });
    const stored = sc({ reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
    expect(mutableFieldsMatch(desired, stored)).toBe(true);
    expect(immutableFieldsMatch(desired, stored)).toBe(true);
  });

  it('a real difference is one', () => {
    expect(mutableFieldsMatch(sc({ mountOptions: ['noatime'] }), sc({}))).toBe(false);
    expect(immutableFieldsMatch(sc({ reclaimPolicy: 'Retain' }), sc({}))).toBe(false);
  });
});

describe('refusalOf (storage classes)', () => {
  it.each([
    [{ parameters: { secretName: 'x' } }, ['*'], 'name a Secret'],
    [
      { parameters: { 'csi.storage.k8s.io/controller-expand-secret-namespace': 'kube-system' } },
      ['*'],
      'name a Secret',
    ],
    [{}, [], 'allowed: none'],
    [{ provisioner: 'other' }, ['csi.example.com'], 'allowed: csi.example.com'],
  ])('%j with %j: %s', (extra, allowed, message) => {
    expect(refusalOf(sc(extra), allowed)).toContain(message);
  });

  it('an allowed provisioner with plain parameters passes', () => {
    expect(refusalOf(sc({ parameters: { type: 'ssd' } }), ['csi.example.com'])).toBeUndefined();
    expect(refusalOf(sc({}), ['*'])).toBeUndefined();
  });
});
