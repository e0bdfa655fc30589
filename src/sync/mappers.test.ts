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

describe('ownedVirtualKey, pods another controller made', () => {
  const where = { hostNamespace: 'host-ns', vcName: 'vc' };
  /** What reads as the copy of `kind` team/a, with one owner. */
  const controlled = (
    owner: { apiVersion: string; kind: string; controller?: boolean },
    kind = 'Pod',
  ): KubeObject => {
    const made = earlierCopy({ annotations: { 'vcluster.loft.sh/object-kind': `/v1, Kind=${kind}` } });
    made.metadata!.ownerReferences = [{ ...owner, name: 'o', uid: 'u' }];
    return made;
  };
  const replicaSet = { apiVersion: 'apps/v1', kind: 'ReplicaSet' };

  it("is never a pod's copy, whatever its metadata says (a pod of a gateway controller's Deployment made from a Gateway copy)", () => {
    expect(
      ownedVirtualKey(controlled({ ...replicaSet, controller: true }), where, Resources.pods),
    ).toBeUndefined();
  });

  it("is a pod's copy when its controller is vCluster's own Service, or it only has owners", () => {
    const vclusters = controlled({ apiVersion: 'v1', kind: 'Service', controller: true });
    expect(ownedVirtualKey(vclusters, where, Resources.pods)).toBe('team/a');
    expect(ownedVirtualKey(controlled({ ...replicaSet, controller: false }), where, Resources.pods)).toBe(
      'team/a',
    );
  });

  it("leaves other copies under a host controller the tenant's (the Secret an ExternalSecret's copy has ESO fill)", () => {
    const filled = controlled(
      { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', controller: true },
      'Secret',
    );
    expect(ownedVirtualKey(filled, where, Resources.secrets)).toBe('team/a');
  });
});
