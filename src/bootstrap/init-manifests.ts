import { parseAllDocuments } from 'yaml';
import type { ClusterClient, ServedResource } from '../kube/client.ts';
import { isNotFound } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import type { ResourceType } from '../kube/resources.ts';

/**
 * `--init-manifests`: reading the objects an admin wants in every new virtual cluster (vCluster's
 * init manifests, `experimental.deploy.vcluster.manifests`) and finding their types; applying them
 * is apply-manifests.ts's.
 */

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Thrown for a manifest that cannot be read: names the file and the document. */
export class ManifestError extends Error {}

/**
 * The objects of a multi-document YAML text, in order: empty documents skipped, `kind: List` (and
 * `*List` kinds, as kubectl writes them) expanded. Each object needs apiVersion, kind and
 * metadata.name; a namespaced object without a namespace goes to `default`, as kubectl puts it.
 */
export function parseManifests(text: string, source: string): KubeObject[] {
  const objects: KubeObject[] = [];
  // YAML 1.1, as kubectl reads manifests: `0644` is octal, `<<` merges.
  const docs = parseAllDocuments(text, { version: '1.1', merge: true });
  docs.forEach((doc, index) => {
    const where = `${source}, document ${index + 1}`;
    if (doc.errors.length) throw new ManifestError(`${where}: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    collect(value, where, objects);
  });
  return objects;
}

/**
 * Adds an object, or the items of a list (`kind: List`, or any `*List` kind with items, as kubectl
 * expands them; lists in lists too), checking each has what creating it needs.
 */
function collect(value: unknown, where: string, into: KubeObject[]): void {
  if (!isRecord(value)) throw new ManifestError(`${where}: must be an object`);
  const kind = typeof value.kind === 'string' ? value.kind : '';
  if (kind === 'List' || (kind.endsWith('List') && Array.isArray(value.items))) {
    const items = value.items ?? [];
    if (!Array.isArray(items)) throw new ManifestError(`${where}: a List must have items`);
    items.forEach((item: unknown, i) => collect(item, `${where}, item ${i + 1}`, into));
    return;
  }
  for (const field of ['apiVersion', 'kind'])
    if (typeof value[field] !== 'string' || value[field] === '')
      throw new ManifestError(`${where}: ${field} must be a non-empty string`);
  const meta = value.metadata;
  if (!isRecord(meta) || typeof meta.name !== 'string' || meta.name === '')
    throw new ManifestError(
      `${where}: metadata.name must be a non-empty string (generateName is not supported)`,
    );
  into.push(value as KubeObject);
}

/** An object's kind is not served by the API server (yet, or any more). */
export class NotServedError extends Error {}

/** A resource type for an object, found by discovery of the virtual API server. */
export class DiscoveryResolver {
  private readonly client: ClusterClient;
  private readonly cache = new Map<string, ServedResource[]>();

  constructor(client: ClusterClient) {
    this.client = client;
  }

  /**
   * The type the object's apiVersion and kind name. Rejects while it is not served (a CRD made by an
   * earlier manifest is not established yet) with a NotServedError: the caller retries, and a new
   * answer is asked for then. Other errors (the server unreachable) reject as they are.
   */
  async typeOf(object: KubeObject): Promise<ResourceType> {
    const groupVersion = object.apiVersion ?? '';
    let served = this.cache.get(groupVersion);
    let resource = served?.find((r) => r.kind === object.kind);
    if (!resource) {
      try {
        served = await this.client.servedResources(groupVersion);
      } catch (err) {
        if (isNotFound(err)) throw new NotServedError(`${groupVersion} is not served (yet)`);
        throw err;
      }
      this.cache.set(groupVersion, served);
      resource = served.find((r) => r.kind === object.kind);
    }
    if (!resource) throw new NotServedError(`${object.kind} is not served in ${groupVersion} (yet)`);
    const [group, version] = groupVersion.includes('/') ? groupVersion.split('/') : ['', groupVersion];
    return {
      group: group!,
      version: version!,
      resource: resource.name,
      kind: resource.kind,
      namespaced: resource.namespaced,
    };
  }
}

/** The object as it is created: in `default` when namespaced and given no namespace, with none otherwise. */
export function placed(object: KubeObject, type: ResourceType): KubeObject {
  const { namespace: _ignored, ...meta } = object.metadata ?? {};
  return type.namespaced
    ? { ...object, metadata: { ...meta, namespace: object.metadata?.namespace || 'default' } }
    : { ...object, metadata: meta };
}
