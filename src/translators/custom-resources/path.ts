/**
 * The JSON paths of configured references: field names joined by `.`, a field holding a list
 * followed by `[]` (every item), e.g. `spec.tls[].secretName`. Nothing else (no indexes, filters or
 * quoting): small enough to validate fully at start.
 */
import { isJsonObject } from '../../util/json.ts';
export interface PathSegment {
  field: string;
  /** The field holds a list: the rest of the path applies to each item. */
  each: boolean;
}

const SEGMENT = /^(?<field>[A-Za-z_][A-Za-z0-9_-]*)(?<each>\[\])?$/;
/** Fields a reference may not live in: the syncer's own, or the server's. */
const RESERVED_ROOTS = new Set(['apiVersion', 'kind', 'metadata', 'status']);

/** Parses a path; throws an Error saying what is wrong with it. */
export function parsePath(path: string): PathSegment[] {
  if (!path) throw new Error('must be a dot path such as spec.secretName or spec.tls[].secretName');
  const segments = path.split('.').map((part) => {
    const match = SEGMENT.exec(part);
    if (!match)
      throw new Error(
        `${JSON.stringify(path)} is not a dot path of field names (with [] after a list), e.g. spec.tls[].secretName: bad part ${JSON.stringify(part)}`,
      );
    const field = match.groups!.field!;
    // Names every JavaScript object answers to without holding them.
    if (['__proto__', 'constructor', 'prototype'].includes(field))
      throw new Error(`${JSON.stringify(path)}: ${JSON.stringify(field)} is not a field of an object's JSON`);
    return { field, each: match.groups!.each !== undefined };
  });
  if (RESERVED_ROOTS.has(segments[0]!.field))
    throw new Error(
      `must not start at ${segments[0]!.field} (references live in the object's own fields, e.g. spec)`,
    );
  // A path ending in `[]` (spec.secretNames[]) names each item of a list of names.
  return segments;
}

/** One value found at a path: where it is (for messages) and what it holds. */
export interface PathValue {
  /** The concrete location, e.g. `spec.tls[1].secretName`. */
  location: string;
  value: unknown;
}

const isRecord = isJsonObject;

/**
 * Every value at the path in obj (missing fields and null yield nothing, or with `absent` a value
 * `undefined` where the path stops). A value of the wrong shape on the way (a scalar where a mapping
 * is expected, a non-list under `[]`) is reported as a problem rather than skipped, so a tenant
 * cannot hide a reference from the rewrite.
 */
export function valuesAt(
  obj: unknown,
  segments: readonly PathSegment[],
  opts: { absent?: boolean } = {},
): { values: PathValue[]; problem?: string } {
  const values: PathValue[] = [];
  let problem: string | undefined;
  const walk = (node: unknown, i: number, location: string) => {
    if (problem) return;
    if (i === segments.length) {
      values.push({ location, value: node });
      return;
    }
    if (node === undefined || node === null) {
      if (opts.absent) values.push({ location: location || '(root)', value: undefined });
      return;
    }
    if (!isRecord(node)) {
      problem = `${location || '(root)'} must be an object`;
      return;
    }
    const { field, each } = segments[i]!;
    const here = location ? `${location}.${field}` : field;
    const child = node[field];
    if (child === undefined || child === null) {
      if (opts.absent) values.push({ location: here, value: undefined });
      return;
    }
    if (!each) return walk(child, i + 1, here);
    if (!Array.isArray(child)) {
      problem = `${here} must be a list`;
      return;
    }
    child.forEach((item, n) => walk(item, i + 1, `${here}[${n}]`));
  };
  walk(obj, 0, '');
  return problem ? { values, problem } : { values };
}

/**
 * A copy of obj with every string at the path replaced by rename(value); the rest is shared with
 * obj only where untouched (callers never mutate either).
 */
export function rewriteAt(
  obj: unknown,
  segments: readonly PathSegment[],
  rename: (value: string) => string,
): unknown {
  return replaceAt(obj, segments, (value) => (typeof value === 'string' ? rename(value) : value));
}

/**
 * A copy of obj with every value at the path (of any type) replaced by replace(value, location),
 * location as valuesAt gives it. Missing fields and null are left as they are, unless `fillAbsent`:
 * then a missing or null value at the path's end is replaced too (replace gets it as it is) wherever
 * the object holding it exists, and missing or null objects on the way are made (`{}`) when the path
 * has no `[]`. Through a list they are not: an item without the field's parent is left as it is, and
 * an absent list has no items to fill. Shared with obj where untouched, as rewriteAt.
 */
export function replaceAt(
  obj: unknown,
  segments: readonly PathSegment[],
  replace: (value: unknown, location: string) => unknown,
  opts: { fillAbsent?: boolean } = {},
): unknown {
  const makeParents = opts.fillAbsent === true && !segments.some((s) => s.each);
  const walk = (node: unknown, i: number, location: string): unknown => {
    if (i === segments.length) return replace(node, location);
    if (!isRecord(node)) return node;
    const { field, each } = segments[i]!;
    const here = location ? `${location}.${field}` : field;
    const child = node[field];
    if (child === undefined || child === null) {
      // A list that is not there has no items to fill.
      if (!opts.fillAbsent || each) return node;
      const last = i === segments.length - 1;
      if (last) return { ...node, [field]: replace(child, here) };
      return makeParents ? { ...node, [field]: walk({}, i + 1, here) } : node;
    }
    if (!each) return { ...node, [field]: walk(child, i + 1, here) };
    if (!Array.isArray(child)) return node;
    return { ...node, [field]: child.map((item, n) => walk(item, i + 1, `${here}[${n}]`)) };
  };
  return walk(obj, 0, '');
}

/**
 * A copy of obj without the field at the path (one without `[]`); obj itself when it is not there.
 * Shared with obj where untouched, as rewriteAt.
 */
export function withoutAt(obj: unknown, segments: readonly PathSegment[]): unknown {
  const walk = (node: unknown, i: number): unknown => {
    if (!isRecord(node)) return node;
    const { field } = segments[i]!;
    if (!Object.hasOwn(node, field)) return node;
    if (i === segments.length - 1) {
      const { [field]: _dropped, ...rest } = node;
      return rest;
    }
    return { ...node, [field]: walk(node[field], i + 1) };
  };
  return segments.length ? walk(obj, 0) : obj;
}

/**
 * What an API server's structural defaulting writes into an empty object set at the path: each of
 * that object's properties the schema gives a `default` (an OpenAPI v3 schema, as a CRD version's
 * `openAPIV3Schema`). An empty object when the schema is absent or does not reach the path. A field
 * the syncer adds to a copy is written so, or the copy would never compare equal to what the host
 * stored, and be written again at every reconcile.
 */
export function schemaDefaultsAt(schema: unknown, segments: readonly PathSegment[]): Record<string, unknown> {
  let node: unknown = schema;
  for (const { field, each } of segments) {
    node = isRecord(node) && isRecord(node.properties) ? node.properties[field] : undefined;
    if (each) node = isRecord(node) ? node.items : undefined;
  }
  if (!isRecord(node) || !isRecord(node.properties)) return {};
  return Object.fromEntries(
    Object.entries(node.properties).flatMap(([key, property]) =>
      isRecord(property) && property.default !== undefined ? [[key, property.default]] : [],
    ),
  );
}
