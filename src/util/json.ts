/**
 * JSON.rawJSON and JSON.isRawJSON (Node 21+), which TypeScript's ES2024 library does not declare yet.
 * A raw JSON value is a frozen object with no prototype whose one field, `rawJSON`, holds the text
 * JSON.stringify writes in its place.
 */
const RAW_JSON = JSON as JSON & {
  rawJSON(text: string): object;
  isRawJSON(value: unknown): boolean;
};

/** A number in JSON text long enough (16 digits or more) that it may be beyond 2^53. */
const LONG_NUMBER = /[:,[]\s*-?\d{16}/;
const INTEGER = /^-?\d+$/;

/**
 * JSON text to a value, as JSON.parse does, except that an integer a double cannot hold exactly
 * (beyond 2^53: a custom resource's int64 field, an operator's counter or byte size) is
 * kept as its text in a raw JSON value, which JSON.stringify writes back unchanged. JSON.parse
 * alone rounds it, and the syncer would write the rounded number to the host copy, or into the
 * tenant's status on the way up, and the API server refuses a rounded int64 beyond its range. The
 * reviver costs time on every value, so it runs only on text that holds a number that long.
 */
export function parseExactJson(text: string): unknown {
  if (!LONG_NUMBER.test(text)) return JSON.parse(text);
  return JSON.parse(text, keepExactIntegers);
}

function keepExactIntegers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== 'number' || Number.isSafeInteger(value)) return value;
  const source = context?.source;
  return source !== undefined && INTEGER.test(source) ? RAW_JSON.rawJSON(source) : value;
}

/** Whether a value is a raw JSON value (parseExactJson's exact integer): a scalar, for all its being an object. */
export function isRawJson(value: unknown): boolean {
  return typeof value === 'object' && value !== null && RAW_JSON.isRawJSON(value);
}

/** A JSON object (a mapping): not null, not an array, not a raw JSON value. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !RAW_JSON.isRawJSON(value);
}

/**
 * A deep copy of a JSON value (plain objects, arrays, scalars), as API objects are. About ten
 * times faster than structuredClone, which serializes through a generic algorithm; reconciles copy
 * a pod's spec and status on every pass. A raw JSON value (parseExactJson) is immutable: kept as it is.
 */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  if (isJsonObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value))
      setOwn(out, key, cloneJson((value as Record<string, unknown>)[key]));
    return out as T;
  }
  return value;
}

/**
 * Sets a key of an object built from JSON as its own property. A key `__proto__` (free-form content
 * of a custom resource may have one, JSON.parse keeps it as data) would otherwise set the object's
 * prototype: the key lost, and whatever it held read through every other key the object lacks.
 */
export function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}
