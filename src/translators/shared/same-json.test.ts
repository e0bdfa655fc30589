import { Rng } from '../../testing/random-objects.ts';
import { sameJson } from './host-metadata.ts';

/** The definition sameJson must keep: JSON with sorted keys, undefined dropped, an empty map as missing. */
function oracle(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
      if (entries.length === 0) return undefined;
      return Object.fromEntries(entries.map(([k, x]) => [k, canonical(x)]));
    }
    return v;
  };
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** 0 to n - 1. */
const below = (rng: Rng, n: number) => rng.int(0, n - 1);

/** Small values with the awkward cases close together: undefined, null, {}, [], nested empties. */
function randomValue(rng: Rng, depth: number): unknown {
  const pick = below(rng, depth > 2 ? 6 : 9);
  switch (pick) {
    case 0:
      return undefined;
    case 1:
      return null;
    case 2:
      return below(rng, 3);
    case 3:
      return ['a', 'b', ''][below(rng, 3)];
    case 4:
      return below(rng, 2) === 0;
    case 5:
      return {};
    case 6:
    case 7: {
      const out: Record<string, unknown> = {};
      for (let i = below(rng, 4); i > 0; i--)
        out[['x', 'y', 'z'][below(rng, 3)]!] = randomValue(rng, depth + 1);
      return out;
    }
    default:
      return Array.from({ length: below(rng, 3) }, () => randomValue(rng, depth + 1));
  }
}

/** b, or a value that reads the same with its keys in another order. */
function reordered(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reordered);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .reverse()
        .map(([k, x]) => [k, reordered(x)]),
    );
  return v;
}

describe('sameJson', () => {
  it.each([
    [undefined, {}, true],
    [{ a: undefined }, undefined, true],
    [{ a: {} }, {}, false],
    [{ c: { x: {} } }, { c: { y: {} } }, true],
    [[{}], [null], true],
    [[{ x: {} }], [null], false],
    [{ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, true],
    [{ a: 1 }, { a: '1' }, false],
    [[], undefined, false],
    [null, undefined, false],
  ])('sameJson(%j, %j) is %s', (a, b, want) => {
    expect(sameJson(a, b)).toBe(want);
    expect(sameJson(b, a)).toBe(want);
    expect(oracle(a, b)).toBe(want);
  });

  it('answers as the JSON comparison does on 20,000 random pairs', () => {
    const rng = new Rng(20261201);
    let equal = 0;
    for (let i = 0; i < 20_000; i++) {
      const a = randomValue(rng, 0);
      const b = below(rng, 3) === 0 ? reordered(a) : randomValue(rng, 0);
      const want = oracle(a, b);
      if (sameJson(a, b) !== want)
        throw new Error(`sameJson(${JSON.stringify(a)}, ${JSON.stringify(b)}) !== ${want}`);
      if (want) equal++;
    }
    // Both answers occur often enough for the comparison to mean something.
    expect(equal).toBeGreaterThan(5000);
    expect(equal).toBeLessThan(15_000);
  });
});
