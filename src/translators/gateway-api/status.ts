import type { KubeObject } from '../../kube/object.ts';
import { scrubHostNames } from '../../sync/scrub.ts';
import { GATEWAY_GROUP } from './references.ts';
import { cloneJson } from '../../util/json.ts';

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The virtual object a host parent (a route's `parents[].parentRef`, a policy's `ancestors[].ancestorRef`)
 * stands for, as `{ namespace, name }`: the object a copy of this tenant's is the copy of, or the place
 * a host Gateway shown to the tenant has; undefined when it is neither.
 */
export type HostParentOwner = (
  group: string,
  kind: string,
  hostName: string,
  hostNamespace: string,
) => { namespace: string; name: string } | undefined;

/**
 * The status a virtual Gateway API object shows: its host copy's, with the parents and ancestors the
 * host's controller names translated back to the virtual objects (those that are not this tenant's
 * copies are left out), conditions' observedGeneration counted in the virtual object's generations,
 * and host names scrubbed from messages.
 */
export function virtualStatusFor(
  host: KubeObject,
  virtual: KubeObject,
  ownerOf: HostParentOwner,
  where: { vcName: string; hostNamespace: string },
): Json {
  const status: Json = isRecord(host.status) ? cloneJson(host.status) : {};
  const backToVirtual = (ref: unknown): Json | undefined => {
    if (!isRecord(ref) || typeof ref.name !== 'string') return undefined;
    // No namespace: the host object's own, the one of every copy.
    const hostNamespace = typeof ref.namespace === 'string' ? ref.namespace : where.hostNamespace;
    const group = typeof ref.group === 'string' ? ref.group : GATEWAY_GROUP;
    const kind = typeof ref.kind === 'string' ? ref.kind : 'Gateway';
    const owner = ownerOf(group, kind, ref.name, hostNamespace);
    if (!owner) return undefined;
    const { namespace: _hostNamespace, ...rest } = ref;
    // Written as the tenant wrote it: a parent of the object's own namespace named without one stays so.
    return impliedNamespace(virtual, ref, group, kind, owner)
      ? { ...rest, name: owner.name }
      : { ...rest, namespace: owner.namespace, name: owner.name };
  };
  for (const [list, refField] of [
    ['parents', 'parentRef'],
    ['ancestors', 'ancestorRef'],
  ] as const) {
    if (!Array.isArray(status[list])) continue;
    status[list] = (status[list] as unknown[]).flatMap((entry) => {
      if (!isRecord(entry)) return [];
      const ref = backToVirtual(entry[refField]);
      return ref ? [{ ...entry, [refField]: ref }] : [];
    });
  }
  if (Array.isArray(status.parents)) status.parents = withNarrowedParentsJoined(status.parents, virtual);
  const hostGeneration = host.metadata?.generation;
  const virtualGeneration = virtual.metadata?.generation;
  return fixUp(status, (obj) => {
    if (typeof obj.message === 'string') obj.message = scrubHostNames(obj.message, where);
    if (
      typeof obj.observedGeneration === 'number' &&
      hostGeneration !== undefined &&
      virtualGeneration !== undefined
    )
      // Current on the host means current for the virtual object (its spec is what the copy says);
      // anything older reads as one generation behind.
      obj.observedGeneration =
        obj.observedGeneration >= hostGeneration ? virtualGeneration : Math.max(0, virtualGeneration - 1);
  }) as Json;
}

/**
 * Whether the route names this parent (of its own namespace) without a namespace in the parentRef a
 * status entry answers, so that the entry should too: the one of the same section and port, else one
 * that names none (a reference narrowed to a listener on the host, see withNarrowedParentsJoined).
 */
function impliedNamespace(
  virtual: KubeObject,
  statusRef: Json,
  group: string,
  kind: string,
  owner: { namespace: string; name: string },
): boolean {
  const routeNamespace = virtual.metadata?.namespace;
  if (owner.namespace !== routeNamespace) return false;
  const refs = (
    isRecord(virtual.spec) && Array.isArray(virtual.spec.parentRefs) ? virtual.spec.parentRefs : []
  ).filter(
    (r): r is Json =>
      isRecord(r) &&
      r.name === owner.name &&
      (typeof r.namespace === 'string' ? r.namespace : routeNamespace) === owner.namespace &&
      (typeof r.group === 'string' ? r.group : GATEWAY_GROUP) === group &&
      (typeof r.kind === 'string' ? r.kind : 'Gateway') === kind,
  );
  const written =
    refs.find((r) => r.sectionName === statusRef.sectionName && r.port === statusRef.port) ??
    refs.find(
      (r) =>
        (r.sectionName === undefined || r.sectionName === statusRef.sectionName) &&
        (r.port === undefined || r.port === statusRef.port),
    );
  return written !== undefined && written.namespace === undefined;
}

/** A parent reference as the Gateway API reads it: defaults filled in, `namespace` the route's by default. */
function parentKey(ref: Json, routeNamespace: string): string {
  return JSON.stringify([
    typeof ref.group === 'string' ? ref.group : GATEWAY_GROUP,
    typeof ref.kind === 'string' ? ref.kind : 'Gateway',
    typeof ref.namespace === 'string' ? ref.namespace : routeNamespace,
    ref.name,
  ]);
}

const accepted = (entry: Json) =>
  Array.isArray(entry.conditions) &&
  entry.conditions.some((c: unknown) => isRecord(c) && c.type === 'Accepted' && c.status === 'True');

/**
 * A route's status parents with the entries of a parentRef the syncer narrowed on the host (one per
 * admitting listener, see narrowParents) joined back into one for the parentRef the tenant wrote, as a
 * controller reports it: accepted when the route attached to any of those listeners.
 */
function withNarrowedParentsJoined(parents: unknown[], virtual: KubeObject): unknown[] {
  const routeNamespace = virtual.metadata?.namespace ?? '';
  const specRefs = (
    isRecord(virtual.spec) && Array.isArray(virtual.spec.parentRefs) ? virtual.spec.parentRefs : []
  ).filter(isRecord);
  const joined: Json[] = [];
  const byRef = new Map<string, Json>();
  for (const entry of parents) {
    if (!isRecord(entry) || !isRecord(entry.parentRef)) continue;
    const ref = entry.parentRef;
    const same = specRefs.filter((r) => parentKey(r, routeNamespace) === parentKey(ref, routeNamespace));
    const written = same.find((r) => r.sectionName === ref.sectionName);
    const narrowed =
      !written &&
      typeof ref.sectionName === 'string' &&
      same.find((r) => r.sectionName === undefined && (r.port === undefined || r.port === ref.port));
    if (!narrowed) {
      joined.push(entry);
      continue;
    }
    const { sectionName: _section, ...parentRef } = ref;
    const key = JSON.stringify([parentKey(parentRef, routeNamespace), parentRef.port, entry.controllerName]);
    const first = byRef.get(key);
    if (!first) {
      const one = { ...entry, parentRef };
      byRef.set(key, one);
      joined.push(one);
    } else if (!accepted(first) && accepted(entry)) {
      Object.assign(first, { ...entry, parentRef });
    }
  }
  return joined;
}

/** Applies `fix` to every object in a JSON tree, depth first. */
function fixUp(v: unknown, fix: (obj: Json) => void): unknown {
  if (Array.isArray(v)) v.forEach((x) => fixUp(x, fix));
  else if (isRecord(v)) {
    for (const x of Object.values(v)) fixUp(x, fix);
    fix(v);
  }
  return v;
}
