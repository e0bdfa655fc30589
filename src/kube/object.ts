/** Object metadata as it travels over the wire (timestamps are RFC 3339 strings). */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Any Kubernetes object, kept as the plain JSON the server sent so no field is ever dropped. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

export interface ObjectList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** `namespace/name` (or `name` for cluster-scoped objects): the key stores and queues use. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

/**
 * Orders objects by name, code unit by code unit as Go's sort of strings does. Not localeCompare: for
 * the names Kubernetes allows the order is the same, and the first localeCompare loads ICU's collation
 * data into the process (about 2 MB of resident memory for the life of the syncer).
 */
export function byName(a: KubeObject, b: KubeObject): number {
  const x = a.metadata?.name ?? '';
  const y = b.metadata?.name ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Splits a key made by objectKey. */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: '', name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The API server's limit on an object's annotations, keys and values together (in bytes). */
export const MAX_ANNOTATION_BYTES = 256 * 1024;

/** The size of annotations as the API server counts it against MAX_ANNOTATION_BYTES. */
export function annotationBytes(annotations: Record<string, string> | undefined): number {
  let bytes = 0;
  for (const [key, value] of Object.entries(annotations ?? {}))
    bytes += Buffer.byteLength(key) + Buffer.byteLength(String(value));
  return bytes;
}
