import { cloneJson } from './json.ts';

describe('cloneJson', () => {
  it('copies every level, so changing the copy leaves the original as it was', () => {
    const original = {
      metadata: { name: 'p', labels: { a: 'b' } },
      spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }], hostNetwork: false },
      status: { podIP: null, conditions: [] as unknown[] },
      count: 0,
      missing: undefined,
    };
    const copy = cloneJson(original);
    expect(copy).toEqual(original);
    expect(Object.keys(copy)).toEqual(Object.keys(original));
    copy.metadata.labels.a = 'changed';
    copy.spec.containers[0]!.ports[0]!.containerPort = 81;
    copy.status.conditions.push({});
    expect(original.metadata.labels.a).toBe('b');
    expect(original.spec.containers[0]!.ports[0]!.containerPort).toBe(80);
    expect(original.status.conditions).toEqual([]);
  });

  it('keeps a `__proto__` key of parsed JSON as data, never as the prototype', () => {
    const parsed = JSON.parse('{"__proto__": {"secretName": "x"}, "b": 2}') as Record<string, unknown>;
    const copy = cloneJson(parsed);
    expect(Object.keys(copy)).toEqual(['__proto__', 'b']);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as { secretName?: string }).secretName).toBeUndefined();
    expect(JSON.stringify(copy)).toBe('{"__proto__":{"secretName":"x"},"b":2}');
  });

  it('returns scalars and null as they are', () => {
    expect(cloneJson('x')).toBe('x');
    expect(cloneJson(null)).toBeNull();
    expect(cloneJson(undefined)).toBeUndefined();
  });
});
