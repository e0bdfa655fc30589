import type { ClusterClient } from '../../kube/client.ts';
import { isApiError } from '../../kube/errors.ts';
import { getIfExists } from '../../kube/get-if-exists.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import type { RbacRule } from '../../sync/kind.ts';
import { FROM_HOST_LABEL, managedBySelector, OBJECT_HOST_NAMESPACE_ANNOTATION } from '../../naming/labels.ts';
import type { Side, SyncEnvironment } from '../../sync/kind.ts';
import { sameJson } from '../shared/host-metadata.ts';
import { deleteIncarnation } from '../../kube/delete-incarnation.ts';
import type { CustomResourceEntry } from './config.ts';
import { ownedCustomResourceKey } from './ownership.ts';

/** CustomResourceDefinitions (cluster-scoped, read on both sides; written only to copy one). */
export const CRDS: ResourceType = Resources.customResourceDefinitions;

/** Marks a CRD the syncer copied into the host; such a CRD is never deleted by the syncer. */
export const COPIED_CRD_LABEL = 'app.kubernetes.io/managed-by';
export const COPIED_CRD_LABEL_VALUE = 'vsyncer';
/** On a CRD copied into the host: `<hostNamespace>/<vc>` of the virtual cluster it came from. */
export const CRD_COPIED_FROM_ANNOTATION = 'vsyncer.dev/crd-copied-from';
/** Approval of a CRD of a protected group (`*.k8s.io`, `*.kubernetes.io`), without which it is refused. */
const API_APPROVED_ANNOTATION = 'api-approved.kubernetes.io';

/** What the CRDs say about a configured resource, learnt by prepare. */
export interface ResolvedResource {
  /** Shared with every kind that reads this resource; its kind and scope are filled in by prepare. */
  type: ResourceType;
  /** Whether each side's CRD serves a status subresource for the configured version. */
  statusSubresource: Record<Side, boolean>;
  /**
   * Set once a CRD this syncer copied was brought in line with its source: that is done once per
   * start. A prepare that keeps failing (it retries every few seconds) must not let the source's
   * side rewrite the copy meanwhile: with `crd: toHost`, a tenant's edits of its CRD, written to a
   * CRD the whole host serves.
   */
  copyLinedUp?: boolean;
  /** Set once the host copies of a resource refused for its scope were removed: once per start. */
  refusedCopiesRemoved?: boolean;
  /**
   * The host CRD's schema of the synced version (its `openAPIV3Schema`), read at prepare: the
   * defaults the host's API server writes into what the syncer adds to a copy (schemaDefaultsAt).
   */
  hostSchema?: unknown;
}

/**
 * A fresh resource type for a configured entry: kind and scope unknown until its CRD is read, and the
 * version too when none is configured (the CRD's storage version then).
 */
export function unresolvedType(entry: CustomResourceEntry): ResourceType {
  return {
    group: entry.group,
    version: entry.version ?? '',
    resource: entry.plural,
    kind: '',
    namespaced: true,
    freeFormContent: true,
  };
}

interface CrdVersion {
  name?: string;
  served?: boolean;
  storage?: boolean;
  subresources?: { status?: unknown };
  schema?: { openAPIV3Schema?: unknown };
}
interface CrdSpec {
  group?: string;
  scope?: string;
  names?: { kind?: string; plural?: string; shortNames?: string[]; categories?: string[] };
  versions?: CrdVersion[];
  conversion?: { strategy?: string };
}
const specOf = (crd: KubeObject): CrdSpec => (crd.spec ?? {}) as CrdSpec;

function established(crd: KubeObject): boolean {
  const conditions = (crd.status as { conditions?: { type?: string; status?: string }[] } | undefined)
    ?.conditions;
  return (conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
}

/** The CRD named name, or undefined when the cluster has none. */
const getCrd = (client: ClusterClient, name: string): Promise<KubeObject | undefined> =>
  getIfExists(client, CRDS, '', name);

/**
 * The copy of a CRD for the other cluster: its spec (a conversion webhook, which would point at the
 * other cluster's Service, becomes no conversion), marked as the syncer's. A host CRD's labels go to
 * the virtual cluster; a tenant's CRD reaches the host without its labels, short names and categories,
 * with which it would reach into what the host's admins type (a short name `po` is kubectl's for any
 * kind that claims it, and `kubectl get all` lists the `all` category).
 */
export function crdCopyFor(
  source: KubeObject,
  to: Side,
  where: { vcName: string; hostNamespace: string },
): KubeObject {
  const spec: CrdSpec = { ...specOf(source) };
  if (spec.conversion?.strategy === 'Webhook') spec.conversion = { strategy: 'None' };
  if (to === 'host' && spec.names) {
    const { shortNames: _short, categories: _categories, ...names } = spec.names;
    spec.names = names;
  }
  const labels = to === 'virtual' ? { ...(source.metadata?.labels ?? {}) } : {};
  const annotations: Record<string, string> = {};
  if (to === 'virtual') {
    labels[FROM_HOST_LABEL] = 'true';
    // A CRD of a `*.k8s.io` group (Gateway API, CSI snapshots) is refused without its
    // `api-approved.kubernetes.io`; the API's own annotations (a bundle version) go along. Nothing else
    // of the host's (a Helm release and its namespace, kubectl's record of an admin's apply).
    const group = specOf(source).group ?? '';
    for (const [key, value] of Object.entries(source.metadata?.annotations ?? {}))
      if (key === API_APPROVED_ANNOTATION || (group && key.startsWith(`${group}/`))) annotations[key] = value;
  } else {
    labels[COPIED_CRD_LABEL] = COPIED_CRD_LABEL_VALUE;
    annotations[CRD_COPIED_FROM_ANNOTATION] = `${where.hostNamespace}/${where.vcName}`;
  }
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: source.metadata?.name, labels, annotations },
    spec: spec as Record<string, unknown>,
  };
}

/**
 * Whether a CRD on side is one this syncer copied there (and may bring in line with its source). A
 * host CRD serves the whole host: only the virtual cluster that copied it there (its annotation) may
 * change it, never another one configuring the same resource, whose tenant would otherwise rewrite the
 * schema every other virtual cluster's objects of that kind are held to.
 */
function isOurCopy(
  crd: KubeObject,
  side: Side,
  where: Pick<SyncEnvironment, 'hostNamespace' | 'vcName'>,
): boolean {
  const labels = crd.metadata?.labels ?? {};
  if (side === 'virtual') return labels[FROM_HOST_LABEL] === 'true';
  return (
    labels[COPIED_CRD_LABEL] === COPIED_CRD_LABEL_VALUE &&
    crd.metadata?.annotations?.[CRD_COPIED_FROM_ANNOTATION] === `${where.hostNamespace}/${where.vcName}`
  );
}

type CrdEnvironment = Pick<SyncEnvironment, 'virtual' | 'host' | 'logger' | 'hostNamespace' | 'vcName'>;

const clusterOf = (env: Pick<SyncEnvironment, 'host' | 'virtual'>, side: Side) =>
  side === 'host' ? env.host : env.virtual;

/**
 * What of a tenant's CRD reaches its copy on the host after the first copy: versions the copy lacks,
 * added as served and not stored. The host's copy governs every virtual cluster's objects of that kind
 * (others use it as they find it), so the tenant who copied it first may not change a version's
 * schema, validation rules, served flag or storage there, nor remove one: any of these would prune,
 * refuse or hide the others' objects. An admin updates the host's CRD.
 */
function hostCopyWithNewVersions(copy: KubeObject, desired: KubeObject): KubeObject['spec'] {
  type Version = { name?: string; storage?: boolean };
  const versionsOf = (crd: KubeObject) => (crd.spec as { versions?: Version[] } | undefined)?.versions ?? [];
  const have = new Set(versionsOf(copy).map((v) => v.name));
  const added = versionsOf(desired)
    .filter((v) => !have.has(v.name))
    .map((v) => ({ ...v, storage: false }));
  return added.length ? { ...(copy.spec as object), versions: [...versionsOf(copy), ...added] } : copy.spec;
}

/**
 * Brings a CRD this syncer copied to `to` in line with its source (a newer operator's or Gateway API's
 * CRD adds a version, say); one it did not copy is left be. On the host only new versions are added
 * (hostCopyWithNewVersions). Not fatal: the copy still serves; a change the API server refuses is
 * logged. True when it is settled (in line, not ours, or refused for good); false when it is worth
 * trying again (a conflict, a timeout).
 */
async function keepCopyInLine(
  env: CrdEnvironment,
  source: KubeObject,
  copy: KubeObject,
  to: Side,
): Promise<boolean> {
  const copied = crdCopyFor(source, to, env);
  const desired = to === 'host' ? { ...copied, spec: hostCopyWithNewVersions(copy, copied) } : copied;
  if (!isOurCopy(copy, to, env) || sameJson(desired.spec, copy.spec)) return true;
  const name = source.metadata?.name;
  try {
    await clusterOf(env, to).update(CRDS, '', { ...copy, spec: desired.spec });
    env.logger.info('updated a copied CRD', { crd: name, to });
    return true;
  } catch (err) {
    env.logger.warn('could not update a copied CRD', { crd: name, to, error: (err as Error).message });
    return isApiError(err, 'invalid');
  }
}
const sideName = (side: Side) => (side === 'host' ? 'the host' : 'the virtual cluster');

/**
 * Makes sure a configured custom resource can be synced: its CRD on both sides (copied from the
 * side `crd` names when the other lacks it), serving the configured version, established, of the
 * scope the entry needs, and readable by the syncer on the host. Fills in the resource's kind and
 * scope. Resolves undefined when the kind can start, or the reason it waits.
 */
export async function prepareCustomResource(
  env: SyncEnvironment,
  entry: CustomResourceEntry,
  resolved: ResolvedResource,
  logForbidden: (message: string) => void,
): Promise<string | undefined> {
  const name = entry.crdName;
  const crds: Partial<Record<Side, KubeObject>> = {};
  for (const side of ['host', 'virtual'] as const) {
    try {
      crds[side] = await getCrd(clusterOf(env, side), name);
    } catch (err) {
      if (!isApiError(err, 'forbidden')) throw err;
      const message = `the syncer may not read CRD ${name} on ${sideName(side)} (forbidden): grant get on customresourcedefinitions.apiextensions.k8s.io (the chart derives it from syncer.config.customResources; more in syncer.customResourceRules)`;
      logForbidden(message);
      return message;
    }
  }
  // Before any copy: with `crd: toHost` the tenant's CRD decides the scope the host would get.
  for (const crd of [crds.host, crds.virtual]) {
    const problem = crd && scopeProblem(entry, specOf(crd).scope === 'Namespaced');
    if (!problem) continue;
    if (crds.host && !resolved.refusedCopiesRemoved)
      resolved.refusedCopiesRemoved = await removeRefusedClusterScopedCopies(env, entry, crds.host);
    return problem;
  }
  const from: Side | undefined =
    entry.crd === 'fromHost' ? 'host' : entry.crd === 'toHost' ? 'virtual' : undefined;
  for (const side of ['host', 'virtual'] as const) {
    if (crds[side]) continue;
    if (!from || side === from) {
      return `waiting for CRD ${name} on ${sideName(side)}${from ? '' : ' (crd: existing: the syncer copies no CRD)'}`;
    }
    const source = crds[from];
    if (!source)
      return `waiting for CRD ${name} on ${sideName(from)} (crd: ${entry.crd} copies it from there)`;
    try {
      await clusterOf(env, side).create(CRDS, '', crdCopyFor(source, side, env));
    } catch (err) {
      if (isApiError(err, 'forbidden')) {
        const message = `the syncer may not create CRD ${name} on ${sideName(side)} (forbidden): grant create on customresourcedefinitions.apiextensions.k8s.io, or install the CRD there`;
        logForbidden(message);
        return message;
      }
      if (!isApiError(err, 'alreadyExists')) throw err;
    }
    env.logger.info('copied a CRD', { crd: name, to: side });
    return `copied CRD ${name} into ${sideName(side)}; waiting for it to be established`;
  }
  const host = crds.host!;
  const virtual = crds.virtual!;
  if (from && !resolved.copyLinedUp) {
    const to: Side = from === 'host' ? 'virtual' : 'host';
    resolved.copyLinedUp = await keepCopyInLine(env, crds[from]!, crds[to]!, to);
  }
  // No version configured: the one the host's CRD stores (where the host's controller reads them),
  // looked up at each prepare, so a CRD installed later is read as it is then.
  const wanted = entry.version ?? specOf(host).versions?.find((v) => v.storage)?.name;
  if (!wanted) return `CRD ${name} on the host names no storage version`;
  for (const [side, crd] of [
    ['host', host],
    ['virtual', virtual],
  ] as const) {
    const version = specOf(crd).versions?.find((v) => v.name === wanted);
    if (!version?.served)
      return `CRD ${name} on ${sideName(side)} does not serve version ${wanted}${entry.version ? '' : " (the host's storage version)"}`;
    if (!established(crd)) return `waiting for CRD ${name} on ${sideName(side)} to be established`;
    resolved.statusSubresource[side] = version.subresources?.status !== undefined;
    if (side === 'host') resolved.hostSchema = version.schema?.openAPIV3Schema;
  }
  const [hs, vs] = [specOf(host), specOf(virtual)];
  if (hs.names?.kind !== vs.names?.kind || hs.scope !== vs.scope)
    return `CRD ${name} differs between the clusters (kind ${hs.names?.kind}/${vs.names?.kind}, scope ${hs.scope}/${vs.scope})`;
  if (!hs.names?.kind) return `CRD ${name} names no kind`;
  const namespaced = hs.scope === 'Namespaced';
  resolved.type.version = wanted;
  resolved.type.kind = hs.names.kind;
  resolved.type.namespaced = namespaced;
  return probeHostAccess(env, entry, resolved.type, logForbidden);
}

/** What an entry's settings need of its resource's scope. */
export function scopeProblem(entry: CustomResourceEntry, namespaced: boolean): string | undefined {
  const where = `customResources.${entry.direction} ${entry.resource}`;
  const scope = namespaced ? 'Namespaced' : 'Cluster';
  if (entry.scope && entry.scope !== scope)
    return `${where}: scope ${entry.scope} is configured (${entry.field}.scope), but CRD ${entry.crdName} is ${scope}: correct the scope, or leave it out (the CRD tells it)`;
  // Host controllers read a cluster-scoped object (a ClusterIssuer, a ClusterSecretStore) for every
  // namespace: a tenant's would act with the host's authority far beyond its virtual cluster.
  if (entry.direction === 'toHost' && !namespaced)
    return `${where}: ${entry.crdName} is cluster-scoped, and a tenant's cluster-scoped object on the host would act on every namespace of the host (a ClusterIssuer naming any namespace's secret); only namespaced resources are synced to the host (show the host's own with fromHost)`;
  if (entry.direction === 'fromHost' && namespaced && Object.keys(entry.namespaces).length === 0)
    return `${where}: a namespaced resource from the host needs namespaces (host namespace: virtual namespace)`;
  if (entry.direction === 'fromHost' && !namespaced && Object.keys(entry.namespaces).length)
    return `${where}: namespaces apply only to namespaced resources, and ${entry.crdName} is cluster-scoped`;
  return undefined;
}

/**
 * Removes the host copies an earlier syncer made of a cluster-scoped resource now refused for toHost:
 * nothing syncs them any more, and each would keep acting on every namespace. Tried once per start
 * (a host that forbids it is logged, not asked every few seconds); resolves true once tried.
 */
async function removeRefusedClusterScopedCopies(
  env: SyncEnvironment,
  entry: CustomResourceEntry,
  hostCrd: KubeObject,
): Promise<boolean> {
  const kind = specOf(hostCrd).names?.kind;
  if (entry.direction !== 'toHost' || specOf(hostCrd).scope === 'Namespaced' || !kind) return true;
  // No version configured: the one the CRD stores, as prepare resolves it (an empty one would list
  // `/apis/<group>//<plural>`). Copies recorded under any version of the kind are the earlier syncer's.
  const version = entry.version ?? specOf(hostCrd).versions?.find((v) => v.storage)?.name;
  if (!version) {
    env.logger.warn('not removing host copies of a cluster-scoped custom resource refused for toHost', {
      resource: entry.crdName,
      reason: 'its CRD on the host names no storage version',
    });
    return true;
  }
  const type: ResourceType = { ...unresolvedType(entry), version, kind, namespaced: false };
  try {
    const copies = await env.host.list(type, '', { labelSelector: managedBySelector(env, false) });
    for (const copy of copies.items)
      if (
        ownedCustomResourceKey(copy, env, type) !== undefined &&
        // A copy recording no host namespace (vCluster's) may be another virtual cluster's whose
        // managed-by value reads the same (see clusterScopedToHost's deletable): left be.
        copy.metadata?.annotations?.[OBJECT_HOST_NAMESPACE_ANNOTATION]
      )
        await deleteIncarnation(env.host, type, copy);
  } catch (err) {
    if (!isApiError(err, 'forbidden')) throw err;
    env.logger.warn('could not remove host copies of a cluster-scoped custom resource refused for toHost', {
      resource: entry.crdName,
      error: (err as Error).message,
    });
  }
  return true;
}

/**
 * Lists the resource on the host the way the kind will watch it: a missing RBAC rule is reported
 * here, once, in words an operator can act on, instead of as an informer that never fills.
 */
async function probeHostAccess(
  env: SyncEnvironment,
  entry: CustomResourceEntry,
  type: ResourceType,
  logForbidden: (message: string) => void,
): Promise<string | undefined> {
  const toHost = entry.direction === 'toHost';
  const namespace = toHost && type.namespaced ? env.hostNamespace : '';
  try {
    await env.host.list(type, namespace, {
      limit: 1,
      labelSelector: toHost ? managedBySelector(env, type.namespaced) : undefined,
    });
  } catch (err) {
    if (!isApiError(err, 'forbidden')) throw err;
    const scope = namespace ? `in namespace ${namespace}` : 'cluster-wide';
    const verbs = toHost ? 'get, list, watch, create, update, patch, delete' : 'get, list, watch';
    const message = `the syncer may not list ${entry.crdName} on the host ${scope} (forbidden): grant ${verbs} on ${entry.crdName} (the chart derives it from syncer.config.customResources; more in syncer.customResourceRules)`;
    logForbidden(message);
    return message;
  }
  return undefined;
}

/** What virtualCrdFromHost needs on the host: reading its CRDs. */
export const HOST_CRD_READ: RbacRule = {
  scope: 'cluster',
  apiGroups: ['apiextensions.k8s.io'],
  resources: ['customresourcedefinitions'],
  verbs: ['get'],
};

/**
 * For a kind of a resource served only where its CRD is installed (Gateway API, CSI snapshots): the
 * virtual cluster gets the host's CRD when it has none, as vCluster installs them there, so tenants
 * can create what the kind syncs. Resolves undefined once there is nothing more to do: the virtual
 * cluster has the CRD established (its own or our copy), the host has none either, or the host's may
 * not be read (logged); else why not yet (a copy just made, not established yet).
 */
export async function virtualCrdFromHost(
  env: CrdEnvironment,
  type: ResourceType,
): Promise<string | undefined> {
  const name = `${type.resource}.${type.group}`;
  let host: KubeObject | undefined;
  try {
    host = await getCrd(env.host, name);
  } catch (err) {
    if (!isApiError(err, 'forbidden')) throw err;
    env.logger.warn(
      `the syncer may not read CRD ${name} on the host (forbidden), so it cannot copy it into the virtual cluster: grant get on customresourcedefinitions.apiextensions.k8s.io, or install the CRD there`,
    );
    return undefined;
  }
  const virtual = await getCrd(env.virtual, name);
  if (virtual) {
    if (!isOurCopy(virtual, 'virtual', env)) return undefined;
    if (host) await keepCopyInLine(env, host, virtual, 'virtual');
    return established(virtual)
      ? undefined
      : `waiting for CRD ${name}, copied from the host, to be established`;
  }
  if (!host) return undefined;
  try {
    await env.virtual.create(CRDS, '', crdCopyFor(host, 'virtual', env));
  } catch (err) {
    if (isApiError(err, 'invalid')) {
      // Trying again cannot help (a schema the virtual API server's version does not take).
      env.logger.warn(`the virtual API server refused the host's CRD ${name}; install it there yourself`, {
        error: err.serverMessage,
      });
      return undefined;
    }
    if (!isApiError(err, 'alreadyExists')) throw err;
  }
  env.logger.info('copied a CRD from the host', { crd: name, to: 'virtual' });
  return `copied CRD ${name} from the host; waiting for it to be established`;
}
