import { describe, expect, test } from '@jest/globals';
import { StringPool } from './string-pool.ts';

// Two equal strings built at run time are distinct heap objects; the pool's job is to hand out one.
// Identity of strings is not observable in JavaScript, so these tests look at what the pool holds.
const fresh = (s: string) => JSON.parse(JSON.stringify(s)) as string;

describe('StringPool', () => {
  test('equal strings are filed once, and other values are no strings', () => {
    const pool = new StringPool();
    for (const s of ['node-1', 'nginx:1', 'node-1', 'x', 'nginx:1']) expect(pool.intern(fresh(s))).toBe(s);
    expect(pool.size).toBe(3);
    expect(pool.has('node-1')).toBe(true);
    expect(pool.has('node-2')).toBe(false);
  });

  test('strings longer than maxLength are left out of the pool', () => {
    const pool = new StringPool({ maxLength: 8 });
    const long = fresh('x'.repeat(9));
    expect(pool.intern(long)).toBe(long);
    expect(pool.intern(fresh('12345678'))).toBe('12345678');
    expect(pool.size).toBe(1);
  });

  test('is bounded: strings seen once age out after two generations, strings in use stay', () => {
    const pool = new StringPool({ generationSize: 10 });
    pool.intern('kept');
    for (let i = 0; i < 100; i++) {
      pool.intern(`unique-${i}`);
      if (i % 5 === 0) pool.intern(fresh('kept'));
      expect(pool.size).toBeLessThanOrEqual(20);
    }
    // 'kept' was refiled every few strings, so it survived every change of generation, while the
    // first unique strings are gone and the last ones are still there.
    expect(pool.has('kept')).toBe(true);
    expect(pool.has('unique-0')).toBe(false);
    expect(pool.has('unique-99')).toBe(true);
  });
});
