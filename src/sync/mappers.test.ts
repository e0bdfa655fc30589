import type { KubeObject } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import { claimedVirtualKey, copyWithoutKind, ownedVirtualKey } from './mappers.ts';

const earlierCopy = (extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}) =>
  ({
    metadata: {
      name: 'a-x-team-x-vc',
      labels: { 'vcluster.loft.sh/managed-by': 'vc', ...extra.labels },
      annotations: {
        'vcluster.loft.sh/object-name': 'a',
        'vcluster.loft.sh/object-namespace': 'team',
        ...extra.annotations,
      },
    },
  }) as KubeObject;

describe('copyWithoutKind', () => {
  it('recognises our managed-by label and the key in the object annotations, with no kind', () => {
    expect(copyWithoutKind(earlierCopy(), 'vc', 'team/a')).toBe(true);
  });

  it.each([
    [
      'another virtual cluster',
      earlierCopy({ labels: { 'vcluster.loft.sh/managed-by': 'other' } }),
      'team/a',
    ],
    [
      'a kind annotation (then ownership is judged by it)',
      earlierCopy({ annotations: { 'vcluster.loft.sh/object-kind': '/v1, Kind=ConfigMap' } }),
      'team/a',
    ],
    ['another virtual object', earlierCopy(), 'team/b'],
    ['another virtual namespace', earlierCopy(), 'other/a'],
    [
      'no object annotations at all',
      { metadata: { labels: { 'vcluster.loft.sh/managed-by': 'vc' } } } as KubeObject,
      'team/a',
    ],
  ])('not for %s', (_what, host, key) => {
    expect(copyWithoutKind(host, 'vc', key)).toBe(false);
  });

  it('takes a cluster-scoped key as the bare name', () => {
    const host = earlierCopy({ annotations: { 'vcluster.loft.sh/object-namespace': '' } });
    expect(copyWithoutKind(host, 'vc', 'a')).toBe(true);
  });
});

describe('claimedVirtualKey', () => {
  it('reads the key a host object of this virtual cluster names, kind or not', () => {
    expect(claimedVirtualKey(earlierCopy(), 'vc')).toBe('team/a');
  });

  it('names nothing for another virtual cluster, or without object annotations', () => {
    expect(claimedVirtualKey(earlierCopy(), 'other')).toBeUndefined();
    expect(
      claimedVirtualKey({ metadata: { labels: { 'vcluster.loft.sh/managed-by': 'vc' } } }, 'vc'),
    ).toBeUndefined();
  });
});

describe('ownedVirtualKey, cluster-scoped copies', () => {
  const SC = Resources.storageClasses;
  /** A class copy labelled `team-x-blue-x-prod`: what both placements below write. */
  const copy = (annotations: Record<string, string> = {}): KubeObject => ({
    metadata: {
      name: 'vcluster-sc1-x-team-x-blue-x-prod',
      labels: { 'vcluster.loft.sh/managed-by': 'team-x-blue-x-prod' },
      annotations: {
        'vcluster.loft.sh/object-name': 'sc1',
        'vcluster.loft.sh/object-kind': 'storage.k8s.io/v1, Kind=StorageClass',
        ...annotations,
      },
    },
  });
  const victim = { hostNamespace: 'team-x-blue', vcName: 'prod' };
  const attacker = { hostNamespace: 'team', vcName: 'blue-x-prod' };

  it('is not taken by another host namespace whose managed-by value reads the same', () => {
    const made = copy({ 'vcluster.loft.sh/object-host-namespace': 'team-x-blue' });
    expect(ownedVirtualKey(made, victim, SC)).toBe('sc1');
    expect(ownedVirtualKey(made, attacker, SC)).toBeUndefined();
  });

  it("is taken when it records no host namespace (vCluster's own copies record none)", () => {
    expect(ownedVirtualKey(copy(), victim, SC)).toBe('sc1');
  });
});

describe('ownedVirtualKey, objects another controller made', () => {
  const where = { hostNamespace: 'host-ns', vcName: 'vc' };
  /** What reads as the copy of Service team/a, with one owner. */
  const controlled = (owner: { apiVersion: string; kind: string; controller?: boolean }): KubeObject => {
    const made = earlierCopy({ annotations: { 'vcluster.loft.sh/object-kind': '/v1, Kind=Service' } });
    made.metadata!.ownerReferences = [{ ...owner, name: 'o', uid: 'u' }];
    return made;
  };

  it("is never a copy, whatever its metadata says (a Service an operator made from a custom resource's copy)", () => {
    const made = controlled({ apiVersion: 'db.example.com/v1', kind: 'Database', controller: true });
    expect(ownedVirtualKey(made, where, Resources.services)).toBeUndefined();
  });

  it("is a copy when its controller is vCluster's own Service, or it only has owners", () => {
    expect(
      ownedVirtualKey(
        controlled({ apiVersion: 'v1', kind: 'Service', controller: true }),
        where,
        Resources.services,
      ),
    ).toBe('team/a');
    const owned = controlled({ apiVersion: 'apps/v1', kind: 'ReplicaSet', controller: false });
    expect(ownedVirtualKey(owned, where, Resources.services)).toBe('team/a');
  });
});
