import { cloneJson, isJsonObject, isRawJson, parseExactJson } from './json.ts';

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

describe('parseExactJson', () => {
  const text =
    '{"max":9223372036854775807,"min":-9223372036854775808,"u":18446744073709551615,"next":9007199254740993,"list":[1,9007199254740993],"safe":9007199254740991,"f":1.5,"e":1e21,"s":"x,12345678901234567890"}';

  it('keeps integers beyond 2^53 exact, so writing the value gives back the text it was read from', () => {
    const value = parseExactJson(text) as Record<string, unknown>;
    expect(JSON.stringify(value)).toBe(text.replace('1e21', '1e+21'));
    expect(isRawJson(value.max)).toBe(true);
    expect(isRawJson((value.list as unknown[])[1])).toBe(true);
    // JSON.parse alone rounds them: the difference this parse exists for.
    expect(JSON.stringify(JSON.parse(text))).toContain('"max":9223372036854776000');
  });

  it('leaves every other value as JSON.parse reads it: safe integers, fractions, exponents, strings', () => {
    const value = parseExactJson(text) as Record<string, unknown>;
    expect(value.safe).toBe(9007199254740991);
    expect(value.f).toBe(1.5);
    expect(value.e).toBe(1e21);
    expect(value.s).toBe('x,12345678901234567890');
    expect(parseExactJson('{"a":[1,2],"b":"c"}')).toEqual({ a: [1, 2], b: 'c' });
  });

  it('a raw value is a scalar to the helpers: copied as it is, not a JSON object', () => {
    const value = parseExactJson('{"spec":{"bytes":18446744073709551615}}') as { spec: { bytes: unknown } };
    const copy = cloneJson(value);
    expect(copy.spec.bytes).toBe(value.spec.bytes);
    expect(JSON.stringify(copy)).toBe('{"spec":{"bytes":18446744073709551615}}');
    expect(isJsonObject(value.spec.bytes)).toBe(false);
    expect(isJsonObject(value.spec)).toBe(true);
    expect(isJsonObject([])).toBe(false);
    expect(isRawJson({ rawJSON: '1' })).toBe(false);
  });

  it('refuses text that is not JSON, as JSON.parse does', () => {
    expect(() => parseExactJson('{"a":12345678901234567890')).toThrow(SyntaxError);
  });
});
