import { createHash } from 'node:crypto';
import type { ObjectMeta } from '../../kube/object.ts';
import { SPEC_DIGEST_ANNOTATION } from '../../naming/labels.ts';
import { withManagedRecord } from '../../sync/managed-metadata.ts';

/**
 * A Gateway API copy's spec cannot be compared field for field with what the syncer wants: the host's
 * API server and controllers fill in fields the tenant never set (the host's CRDs may be newer than
 * the virtual cluster's), so a field only the host has is no difference. But a field the syncer wrote
 * and the tenant has since removed is one (a route's hostnames, a RequestMirror to a Service whose
 * ambiguous host name another object may take next), and the host copy alone cannot tell the two
 * apart. So the copy records (annotation SPEC_DIGEST_ANNOTATION) a digest of the spec it was last
 * written with: a desired spec with another digest is a change of the tenant's, written whole; fields
 * the host filled in are in neither digest, and never cause a write. A digest, not the spec: whether
 * the spec changed is all the syncer asks, and a copy of a route's spec would double its size.
 */
export function specDigest(spec: unknown): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 32);
}

/**
 * Host metadata with the digest of the spec it goes with, inside the record of the syncer's keys (as
 * any of its annotations): a copy without a digest (one an older syncer wrote) differs from every
 * desired one, so it is written once, and from then on only when the tenant changes something.
 */
export function withSpecDigest(metadata: ObjectMeta, spec: unknown): ObjectMeta {
  const managed = withManagedRecord({
    labels: metadata.labels,
    annotations: { ...metadata.annotations, [SPEC_DIGEST_ANNOTATION]: specDigest(spec) },
  });
  return { ...metadata, ...managed };
}

/** JSON with every map's keys sorted and undefined entries left out: one text per value, whatever the key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
