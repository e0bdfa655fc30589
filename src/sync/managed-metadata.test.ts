import { mergeManagedMetadata, withManagedRecord } from './managed-metadata.ts';

const RECORD_L = 'vcluster.loft.sh/managed-labels';
const RECORD_A = 'vcluster.loft.sh/managed-annotations';

describe('withManagedRecord', () => {
  it('records the keys it sets, sorted, one per line', () => {
    expect(withManagedRecord({ labels: { b: '1', a: '2' }, annotations: { note: 'x' } })).toEqual({
      labels: { b: '1', a: '2' },
      annotations: { note: 'x', [RECORD_L]: 'a\nb', [RECORD_A]: 'note' },
    });
  });

  it('does not let a virtual object supply its own record', () => {
    const out = withManagedRecord({ annotations: { [RECORD_A]: 'host-key', [RECORD_L]: 'x' } });
    expect(out.annotations).toEqual({ [RECORD_L]: '', [RECORD_A]: '' });
  });
});

describe('mergeManagedMetadata', () => {
  const created = withManagedRecord({ labels: { app: 'web', tier: 'a' }, annotations: { note: 'x' } });

  it('keeps labels and annotations the host added, and changes only the syncer’s keys', () => {
    const current = {
      labels: { ...created.labels, 'security.istio.io/tlsMode': 'istio' },
      annotations: { ...created.annotations, 'sidecar.istio.io/status': '{}' },
    };
    const merged = mergeManagedMetadata(
      { labels: { app: 'web', tier: 'b' }, annotations: { note: 'x' } },
      current,
    );
    expect(merged.labels).toEqual({ app: 'web', tier: 'b', 'security.istio.io/tlsMode': 'istio' });
    expect(merged.annotations).toEqual({ ...created.annotations, 'sidecar.istio.io/status': '{}' });
  });

  it('removes a key the tenant removed, but not a host key', () => {
    const current = { labels: { ...created.labels, host: 'h' }, annotations: created.annotations };
    const merged = mergeManagedMetadata({ labels: { app: 'web' }, annotations: {} }, current);
    expect(merged.labels).toEqual({ app: 'web', host: 'h' });
    expect(merged.annotations).toEqual({ [RECORD_L]: 'app', [RECORD_A]: '' });
  });

  it('reverts a host edit of a key the syncer owns', () => {
    const current = { labels: { ...created.labels, tier: 'edited' }, annotations: created.annotations };
    const merged = mergeManagedMetadata(
      { labels: { app: 'web', tier: 'a' }, annotations: { note: 'x' } },
      current,
    );
    expect(merged).toEqual(created);
  });

  it('treats every key as the syncer’s on an object written before records existed', () => {
    const merged = mergeManagedMetadata(
      { labels: { app: 'web' }, annotations: {} },
      { labels: { app: 'web', old: '1' }, annotations: { stale: 'y' } },
    );
    expect(merged).toEqual({ labels: { app: 'web' }, annotations: { [RECORD_L]: 'app', [RECORD_A]: '' } });
  });

  it('changes nothing when the host already matches', () => {
    const current = {
      labels: { ...created.labels, host: 'h' },
      annotations: { ...created.annotations, k: 'v' },
    };
    expect(
      mergeManagedMetadata({ labels: { app: 'web', tier: 'a' }, annotations: { note: 'x' } }, current),
    ).toEqual(current);
  });
});
