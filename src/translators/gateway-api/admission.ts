import type { KubeObject } from '../../kube/object.ts';
import type { LabelSelector } from '../../naming/labels.ts';
import { selectorMatches } from '../../util/label-selector.ts';

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const records = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isRecord) : []);

/**
 * Whether the ReferenceGrants of a namespace let objects of `from` (group, kind, namespace) name the
 * object `to` there, as the Gateway API defines it: one grant must list both (a `to` without a name
 * covers every object of its kind).
 */
export function referenceGranted(
  grants: readonly KubeObject[],
  from: { group: string; kind: string; namespace: string },
  to: { group: string; kind: string; name: string },
): boolean {
  return grants.some((grant) => {
    const spec = isRecord(grant.spec) ? grant.spec : {};
    const fromOk = records(spec.from).some(
      (f) => (f.group ?? '') === from.group && f.kind === from.kind && f.namespace === from.namespace,
    );
    const toOk = records(spec.to).some(
      (t) =>
        (t.group ?? '') === to.group &&
        t.kind === to.kind &&
        (t.name === undefined || t.name === null || t.name === '' || t.name === to.name),
    );
    return fromOk && toOk;
  });
}

/** A listener's allowedRoutes admit a route of `routeNamespace` (`Same` by default, `All`, a `Selector`). */
function listenerAdmits(
  listener: Json,
  gatewayNamespace: string,
  routeNamespace: string,
  namespaceLabels: Record<string, string>,
): boolean {
  const allowed = isRecord(listener.allowedRoutes) ? listener.allowedRoutes : {};
  const namespaces = isRecord(allowed.namespaces) ? allowed.namespaces : {};
  const from = namespaces.from ?? 'Same';
  if (from === 'All') return true;
  if (from === 'Same') return routeNamespace === gatewayNamespace;
  if (from === 'Selector')
    return selectorMatches(namespaces.selector as LabelSelector | undefined, namespaceLabels);
  return false;
}

/** The listeners of a Gateway a parent reference names: those its sectionName and port select. */
function matchingListeners(gateway: KubeObject, parent: { sectionName?: string; port?: number }): Json[] {
  const spec = isRecord(gateway.spec) ? gateway.spec : {};
  return records(spec.listeners).filter(
    (listener) =>
      (parent.sectionName === undefined || listener.name === parent.sectionName) &&
      (parent.port === undefined || listener.port === parent.port),
  );
}

/**
 * Whether a virtual Gateway lets a route of `routeNamespace` attach through a parent reference
 * (its sectionName and port narrow the listeners): some such listener's allowedRoutes admits that
 * namespace (`Same` by default, `All`, or a `Selector` over the namespace's labels). Route kinds are
 * left to the host's controller: the copy keeps allowedRoutes.kinds.
 */
export function gatewayAdmits(
  gateway: KubeObject,
  parent: { sectionName?: string; port?: number },
  routeNamespace: string,
  namespaceLabels: Record<string, string>,
): boolean {
  const gatewayNamespace = gateway.metadata?.namespace ?? '';
  return matchingListeners(gateway, parent).some((l) =>
    listenerAdmits(l, gatewayNamespace, routeNamespace, namespaceLabels),
  );
}

/**
 * The names of the listeners a route may attach to through a parent reference without a
 * sectionName, when only some of those it names admit the route's namespace; undefined when the
 * reference needs no narrowing (it names a section, or every listener it names admits the route). On
 * the host every listener admits only its own namespace, which holds every tenant namespace's routes:
 * the reference must name the admitting listeners one by one there, or the route would attach to all.
 */
export function admittingSections(
  gateway: KubeObject,
  parent: { sectionName?: string; port?: number },
  routeNamespace: string,
  namespaceLabels: Record<string, string>,
  opts: { evenWhenAllAdmit?: boolean } = {},
): string[] | undefined {
  if (parent.sectionName !== undefined) return undefined;
  const gatewayNamespace = gateway.metadata?.namespace ?? '';
  const matching = matchingListeners(gateway, parent);
  const admitting = matching.filter((l) =>
    listenerAdmits(l, gatewayNamespace, routeNamespace, namespaceLabels),
  );
  if (admitting.length === matching.length && !opts.evenWhenAllAdmit) return undefined;
  return admitting.map((l) => l.name).filter((name): name is string => typeof name === 'string');
}
