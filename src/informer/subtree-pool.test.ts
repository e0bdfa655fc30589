import { StringPool } from './string-pool.ts';
import { SubtreePool } from './subtree-pool.ts';

type Json = Record<string, unknown>;

const pod = (name: string, image = 'nginx:1.27'): Json => ({
  metadata: { name, namespace: 'shop', labels: { app: 'web' } },
  spec: {
    containers: [
      { name: 'web', image, env: [{ name: 'MODE', value: 'prod' }], ports: [{ containerPort: 80 }] },
    ],
    tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 }],
    securityContext: {},
  },
  status: { phase: 'Running', podIP: `10.0.${name.length}.${name.charCodeAt(name.length - 1)}` },
});

/** Parses a fresh copy, as a watch event would deliver it. */
const fresh = (value: Json): Json => JSON.parse(JSON.stringify(value)) as Json;
const spec = (obj: Json) => obj.spec as Json;
const containers = (obj: Json) => spec(obj).containers as Json[];

describe('SubtreePool', () => {
  it('gives equal parts of different objects one frozen instance, and leaves the objects themselves alone', () => {
    const pool = new SubtreePool();
    const a = fresh(pod('a'));
    const b = fresh(pod('b'));
    pool.shareParts(a);
    pool.shareParts(b);
    expect(spec(b).tolerations).toBe(spec(a).tolerations);
    expect(spec(b).securityContext).toBe(spec(a).securityContext);
    expect(containers(b)[0]).toBe(containers(a)[0]);
    expect((b.metadata as Json).labels).toBe((a.metadata as Json).labels);
    expect(Object.isFrozen(spec(a).tolerations)).toBe(true);
    expect(b.metadata).not.toBe(a.metadata); // the names differ
    expect(b.status).not.toBe(a.status);
    expect(Object.isFrozen(a)).toBe(false);
    expect(a).toEqual(pod('a'));
    expect(b).toEqual(pod('b'));
  });

  it('shares the unchanged parts of a part that differs somewhere below', () => {
    const pool = new SubtreePool();
    const a = fresh(pod('a', 'nginx:1.27'));
    const b = fresh(pod('b', 'nginx:1.28'));
    pool.shareParts(a);
    pool.shareParts(b);
    expect(containers(b)[0]).not.toBe(containers(a)[0]);
    expect(containers(b)[0]!.env).toBe(containers(a)[0]!.env);
    expect(containers(b)[0]!.image).toBe('nginx:1.28');
  });

  it('tells apart values JSON tells apart: key order, numbers from strings, booleans, null', () => {
    const pool = new SubtreePool();
    const variants: Json[] = [
      { p: { a: 1, b: 2 } },
      { p: { b: 2, a: 1 } },
      { p: { a: '1', b: 2 } },
      { p: { a: true, b: 2 } },
      { p: { a: 'true', b: 2 } },
      { p: { a: null, b: 2 } },
      { p: { a: 1.5, b: 2 } },
      { p: { a: [1], b: 2 } },
      { p: { a: {}, b: 2 } },
      { p: { a: [], b: 2 } },
      { p: [1, 2] },
      { p: [2, 1] },
      { p: { 0: 1, 1: 2 } },
    ];
    const shared = variants.map((v) => {
      const copy = fresh(v);
      pool.shareParts(copy);
      return copy;
    });
    shared.forEach((copy, i) => expect(JSON.stringify(copy)).toBe(JSON.stringify(variants[i])));
    const distinct = new Set(shared.map((c) => c.p));
    expect(distinct.size).toBe(variants.length);
  });

  it('keeps every object equal to what it was, over many random objects', () => {
    // Small value alphabets make equal parts (and hash candidates) common.
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const value = (depth: number): unknown => {
      switch (random(depth > 2 ? 4 : 7)) {
        case 0:
          return ['a', 'b', '1', ''][random(4)];
        case 1:
          return [0, 1, -1, 2.5][random(4)];
        case 2:
          return random(2) === 0;
        case 3:
          return null;
        case 4:
        case 5: {
          const out: Json = {};
          for (let i = random(4); i > 0; i--) out[['x', 'y', 'z'][random(3)]!] = value(depth + 1);
          return out;
        }
        default:
          return Array.from({ length: random(4) }, () => value(depth + 1));
      }
    };
    const pool = new SubtreePool({ generationSize: 50 });
    for (let i = 0; i < 3000; i++) {
      const original = { v: value(0), w: value(0) };
      const copy = fresh(original);
      pool.shareParts(copy);
      expect(JSON.stringify(copy)).toBe(JSON.stringify(original));
    }
  });

  it('leaves parts holding strings too long to pool as they are, and pools their siblings', () => {
    const pool = new SubtreePool({ strings: new StringPool({ maxLength: 8 }) });
    const secret = (token: string): Json => ({
      data: { token },
      metadata: { labels: { app: 'x' } },
    });
    const a = fresh(secret('a-long-token-value'));
    const b = fresh(secret('a-long-token-value'));
    pool.shareParts(a);
    pool.shareParts(b);
    expect(Object.isFrozen(a.data)).toBe(false);
    expect(b.data).not.toBe(a.data);
    expect(b.data).toEqual({ token: 'a-long-token-value' });
    expect((b.metadata as Json).labels).toBe((a.metadata as Json).labels);
  });

  it('makes an edit of a shared part fail loudly instead of changing other objects', () => {
    const pool = new SubtreePool();
    const a = fresh(pod('a'));
    const b = fresh(pod('b'));
    pool.shareParts(a);
    pool.shareParts(b);
    expect(() => {
      (spec(a).tolerations as unknown[]).push({ key: 'x' });
    }).toThrow(TypeError);
    expect(() => {
      (containers(a)[0]!.env as Json[])[0]!.value = 'dev';
    }).toThrow(TypeError);
    expect(b).toEqual(pod('b'));
  });

  it('leaves a __proto__ key an ordinary property', () => {
    const pool = new SubtreePool();
    const obj = JSON.parse(
      '{"labels":{"__proto__":"x","a":"b"},"spec":{"__proto__":{"polluted":true}}}',
    ) as Json;
    pool.shareParts(obj);
    const labels = obj.labels as Json;
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(labels, '__proto__')?.value).toBe('x');
    expect(labels.a).toBe('b');
    expect(Object.getPrototypeOf(obj.spec)).toBe(Object.prototype);
    expect(JSON.stringify(obj)).toBe(
      '{"labels":{"__proto__":"x","a":"b"},"spec":{"__proto__":{"polluted":true}}}',
    );
  });

  it('keeps parts nested deeper than any real object as they are, without running out of stack', () => {
    const pool = new SubtreePool();
    // Deep enough to run a recursive walk out of stack (JSON.stringify too, so it is read in a loop).
    const depth = 20_000;
    const text = `{"spec":${'{"a":'.repeat(depth)}"leaf"${'}'.repeat(depth)},"status":{"phase":"x"}}`;
    const deep = JSON.parse(text) as Json;
    expect(() => pool.shareParts(deep)).not.toThrow();
    let level: unknown = deep.spec;
    for (let i = 0; i < depth; i++) level = (level as Json).a;
    expect(level).toBe('leaf');
    const shallow = JSON.parse('{"spec":{"a":{"a":"leaf"}},"status":{"phase":"x"}}') as Json;
    pool.shareParts(shallow);
    expect(shallow.status).toBe(deep.status);
  });

  it('accepts an object whose parts it pooled before, changing nothing', () => {
    const pool = new SubtreePool();
    const a = fresh(pod('a'));
    pool.shareParts(a);
    const again = { ...a };
    expect(() => pool.shareParts(again)).not.toThrow();
    expect(again.spec).toBe(a.spec);
  });

  it('holds at most two generations, so parts seen once age out', () => {
    const pool = new SubtreePool({ generationSize: 10 });
    for (let i = 0; i < 200; i++)
      pool.shareParts(fresh({ status: { podIP: `10.0.${i}.1`, phase: 'Running' } }));
    expect(pool.size).toBeLessThanOrEqual(20);
  });

  it('keeps a part that keeps coming, across generations', () => {
    // A generation holds a few pods' parts (about a dozen each): many generations pass in the loop.
    const pool = new SubtreePool({ generationSize: 40 });
    const first = fresh(pod('a'));
    pool.shareParts(first);
    let last = first;
    for (let i = 0; i < 100; i++) {
      last = fresh(pod(`p${i}`));
      pool.shareParts(last);
    }
    expect(spec(last).tolerations).toBe(spec(first).tolerations);
  });
});
