import { byName, type KubeObject } from './object.ts';

const named = (name: string): KubeObject => ({ metadata: { name } });

describe('byName', () => {
  it('orders names as Go sorts strings: a hyphen before digits, digits before letters, a prefix first', () => {
    const names = ['web', 'web-1', 'a', 'web1', 'web-a', 'db', 'web-10', 'web-2', 'w'];
    expect(
      names
        .map(named)
        .sort(byName)
        .map((o) => o.metadata?.name),
    ).toEqual(['a', 'db', 'w', 'web', 'web-1', 'web-10', 'web-2', 'web-a', 'web1']);
  });

  it('puts an object without a name first', () => {
    expect([named('b'), {}].sort(byName)).toEqual([{}, named('b')]);
  });
});
