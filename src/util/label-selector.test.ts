import { parseLabelSelector, selectorMatches } from './label-selector.ts';

describe('parseLabelSelector', () => {
  it("reads kubectl's requirements", () => {
    expect(
      parseLabelSelector('app=web, tier==front,env!=prod,zone in (a, b),team notin (x),owner,!legacy'),
    ).toEqual({
      matchLabels: { app: 'web', tier: 'front' },
      matchExpressions: [
        { key: 'env', operator: 'NotIn', values: ['prod'] },
        { key: 'zone', operator: 'In', values: ['a', 'b'] },
        { key: 'team', operator: 'NotIn', values: ['x'] },
        { key: 'owner', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
    expect(parseLabelSelector('example.com/inject-pull-secrets=true')).toEqual({
      matchLabels: { 'example.com/inject-pull-secrets': 'true' },
    });
  });

  it('the empty string selects everything', () => {
    const all = parseLabelSelector('  ');
    expect(all).toEqual({});
    expect(selectorMatches(all, { any: 'thing' })).toBe(true);
  });

  it.each([
    ['a=b,', 'empty requirement'],
    ['a b', 'cannot read "a b"'],
    ['zone in (a', 'cannot read'],
    ['-bad=1', 'cannot read "-bad=1"'],
    ['a=b c', 'cannot read'],
    ['a in (x y)', '"x y" is not a label value'],
    ['a..b/c=d', 'cannot read'],
    ['a.-b/c=d', 'cannot read'],
    ['in=b', 'cannot read'],
  ])('%j is refused, naming the problem', (text, message) => {
    expect(() => parseLabelSelector(text)).toThrow(message);
  });
});

describe('selectorMatches', () => {
  it('a key required twice with different values matches nothing, as the API server reads it', () => {
    const selector = parseLabelSelector('a=b,a=c');
    expect(selectorMatches(selector, { a: 'b' })).toBe(false);
    expect(selectorMatches(selector, { a: 'c' })).toBe(false);
    expect(selectorMatches(parseLabelSelector('a=b,a==b'), { a: 'b' })).toBe(true);
  });

  it('every requirement must hold; no selector selects nothing', () => {
    const selector = parseLabelSelector('app=web,env notin (prod),!legacy');
    expect(selectorMatches(selector, { app: 'web', env: 'dev' })).toBe(true);
    expect(selectorMatches(selector, { app: 'web' })).toBe(true);
    expect(selectorMatches(selector, { app: 'web', env: 'prod' })).toBe(false);
    expect(selectorMatches(selector, { app: 'web', legacy: '' })).toBe(false);
    expect(selectorMatches(selector, { app: 'db' })).toBe(false);
    expect(selectorMatches(undefined, {})).toBe(false);
  });
});
