/**
 * A deep copy of a JSON value (plain objects, arrays, scalars), as API objects are. About ten
 * times faster than structuredClone, which serializes through a generic algorithm; reconciles copy
 * a pod's spec and status on every pass.
 */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  if (value !== null && typeof value === 'object') {
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
