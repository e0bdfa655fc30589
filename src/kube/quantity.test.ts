import { parseQuantity } from './quantity.ts';

describe('parseQuantity', () => {
  it.each([
    ['100m', 0.1],
    ['1.5', 1.5],
    ['2', 2],
    ['128Mi', 128 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['2G', 2e9],
    ['1e3', 1000],
    ['1.5E-3', 0.0015],
    ['.5', 0.5],
    ['500u', 0.0005],
    [' 3k ', 3000],
    [4, 4],
  ])('%j is %d', (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value, 12);
  });

  it.each([
    '',
    'abc',
    '1Qi',
    '1 Mi',
    '--1',
    'Infinity',
    '1e400',
    '0e400',
    '9'.repeat(400),
    undefined,
    null,
    {},
    Number.NaN,
  ])('%j is not a quantity', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });
});
