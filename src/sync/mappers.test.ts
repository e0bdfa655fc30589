import type { KubeObject } from '../kube/object.ts';
import { claimedVirtualKey, copyWithoutKind } from './mappers.ts';

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
