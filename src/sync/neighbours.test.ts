import { virtualClusterNamesCollide } from './neighbours.ts';

describe('virtualClusterNamesCollide', () => {
  it("is true when one name is the other's with a '-x-' part before it, either way round", () => {
    expect(virtualClusterNamesCollide('b', 'x-b')).toBe(true);
    expect(virtualClusterNamesCollide('x-b', 'b')).toBe(true);
    expect(virtualClusterNamesCollide('b', 'team-x-b')).toBe(true);
    expect(virtualClusterNamesCollide('x-b', 'a-x-x-b')).toBe(true);
  });

  it('is false for the same name, a name merely ending in the other, or one with -x- after it', () => {
    expect(virtualClusterNamesCollide('b', 'b')).toBe(false);
    expect(virtualClusterNamesCollide('b', 'ab')).toBe(false);
    expect(virtualClusterNamesCollide('b', 'a-b')).toBe(false);
    expect(virtualClusterNamesCollide('b', 'b-x')).toBe(false);
    expect(virtualClusterNamesCollide('b', 'b-x-c')).toBe(false);
  });
});
