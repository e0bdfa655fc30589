import { ComponentRegistry, resolveEnabledKinds } from './registry.ts';

describe('resolveEnabledKinds', () => {
  const known = ['configmaps', 'secrets', 'pods', 'events', 'nodes'];
  const defaults = ['configmaps', 'secrets', 'pods'];
  it.each([
    [[], ['configmaps', 'secrets', 'pods']],
    [['-pods'], ['configmaps', 'secrets']],
    [
      ['events', '+nodes'],
      ['configmaps', 'secrets', 'pods', 'events', 'nodes'],
    ],
    [
      ['*', '-secrets'],
      ['configmaps', 'pods', 'events', 'nodes'],
    ],
  ])('%j', (spec, expected) => {
    expect([...resolveEnabledKinds(spec, known, defaults)].sort()).toEqual([...expected].sort());
  });

  it('rejects an unknown kind by name', () => {
    expect(() => resolveEnabledKinds(['podz'], known, defaults)).toThrow("unknown kind 'podz'");
  });
});

describe('ComponentRegistry', () => {
  it('builds only enabled kinds, in registration order', () => {
    const registry = new ComponentRegistry<string>();
    const make = (kind: string) => (deps: string) => ({
      kind: `${kind}:${deps}`,
      start() {},
      stop: async () => true,
    });
    registry.register('b', make('b'), true);
    registry.register('a', make('a'), false);
    expect(registry.build(new Set(['a', 'b']), 'x').map((c) => c.kind)).toEqual(['b:x', 'a:x']);
    expect(registry.defaults()).toEqual(['b']);
    expect(() => registry.register('a', make('a'), true)).toThrow('registered twice');
  });
});
