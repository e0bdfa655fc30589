import { atMostEvery } from './at-most-every.ts';

describe('atMostEvery', () => {
  it('opens the first time, then once the interval has passed since it last opened', () => {
    const open = atMostEvery(60_000);
    expect([open(0), open(1), open(59_999), open(60_000), open(60_001), open(120_000)]).toEqual([
      true,
      false,
      false,
      true,
      false,
      true,
    ]);
  });
});
