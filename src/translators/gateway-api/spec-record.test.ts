import { specDigest, withSpecDigest } from './spec-record.ts';

describe('specDigest', () => {
  it('is the same whatever the key order, and differs once a field is removed', () => {
    const spec = { hostnames: ['a.example'], rules: [{ backendRefs: [{ name: 'b', port: 80 }] }] };
    const reordered = { rules: [{ backendRefs: [{ port: 80, name: 'b' }] }], hostnames: ['a.example'] };
    expect(specDigest(reordered)).toBe(specDigest(spec));
    expect(specDigest({ rules: spec.rules })).not.toBe(specDigest(spec));
    expect(specDigest({ ...spec, filters: undefined })).toBe(specDigest(spec));
  });
});

describe('withSpecDigest', () => {
  it("puts the digest among the syncer's recorded annotations", () => {
    const meta = withSpecDigest({ name: 'n', labels: { a: 'b' }, annotations: { note: 'x' } }, { x: 1 });
    expect(meta.annotations).toEqual({
      note: 'x',
      'vsyncer.dev/spec-digest': specDigest({ x: 1 }),
      'vcluster.loft.sh/managed-annotations': 'note\nvsyncer.dev/spec-digest',
      'vcluster.loft.sh/managed-labels': 'a',
    });
  });
});
