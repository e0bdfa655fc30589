import type { KubeObject } from '../../kube/object.ts';
import { scrubHostNames } from '../../sync/scrub.ts';
import { GATEWAY_GROUP } from './references.ts';
import { cloneJson } from '../../util/json.ts';

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The virtual object a host parent (a route's `parents[].parentRef`, a policy's `ancestors[].ancestorRef`)
 * is the copy of, as `{ namespace, name }`, or undefined when it is not provably this tenant's copy.
 */
export type HostParentOwner = (
  group: string,
  kind: string,
  hostName: string,
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
    if (ref.namespace !== undefined && ref.namespace !== where.hostNamespace) return undefined;
    const group = typeof ref.group === 'string' ? ref.group : GATEWAY_GROUP;
    const kind = typeof ref.kind === 'string' ? ref.kind : 'Gateway';
    const owner = ownerOf(group, kind, ref.name);
    return owner ? { ...ref, namespace: owner.namespace, name: owner.name } : undefined;
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

/** Applies `fix` to every object in a JSON tree, depth first. */
function fixUp(v: unknown, fix: (obj: Json) => void): unknown {
  if (Array.isArray(v)) v.forEach((x) => fixUp(x, fix));
  else if (isRecord(v)) {
    for (const x of Object.values(v)) fixUp(x, fix);
    fix(v);
  }
  return v;
}
