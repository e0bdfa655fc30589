import { TerminalError, WaitingError } from '../../controller/errors.ts';
import { deleteIncarnation } from '../../kube/delete-incarnation.ts';
import type { Informer } from '../../informer/informer.ts';
import { objectKey, splitKey, type KubeObject } from '../../kube/object.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import { hostName } from '../../naming/names.ts';
import { createHostCopy } from '../../sync/engine.ts';
import type { KindSpec, Placement, ReconcileContext, Relation, SyncResult } from '../../sync/kind.ts';
import {
  managedCopiesScope,
  namespacedToHost,
  ownedVirtualKey,
  referenceKey,
  referrersOfCopy,
  referrersOfVirtual,
} from '../../sync/mappers.ts';
import { writePlannedMetadataUp } from '../../sync/metadata-writes.ts';
import {
  ABSENT_REFERENCE_PREFIX,
  absentReferenceName,
  ReferenceJudge,
  referenceTargets,
  type JudgedReference,
  mayWaitForCopies,
} from '../pods/reference-safety.ts';
import {
  CLASS_WITHHELD_REASON,
  hostClassSelectorOf,
  isHostsOwnClass,
  offersClass,
} from '../shared/from-host.ts';
import { CopyGrace } from '../shared/copy-grace.ts';
import { hostMetadataFor, sameJson } from '../shared/host-metadata.ts';
import { hostObjectAnnotationsRefusal } from '../shared/host-object-annotations.ts';
import type { LabelSelector } from '../../naming/labels.ts';
import { admittingSections, gatewayAdmits, referenceGranted } from './admission.ts';
import {
  GATEWAY_GROUP,
  gatewayApiReferences,
  groupKind,
  hostSpecFor,
  type GatewayApiReference,
  type RenameReference,
} from './references.ts';
import { hostnamesOf, reservedHostnameRefusal, unallowedHostnameRefusal } from './reserved-hosts.ts';
import { withSpecDigest } from './spec-record.ts';
import { virtualStatusFor } from './status.ts';
import type { HostGatewaysConfig } from '../host-gateways/config.ts';
import {
  importedGatewayRelations,
  ImportedGateways,
  type ImportedGateway,
} from '../host-gateways/imported-parents.ts';
import { HOST_GATEWAYS_KIND } from '../host-gateways/mirror.ts';
import { replicaOf } from '../mapped-host-data/kind.ts';
import { virtualObjectsRelation } from '../shared/host-copies-naming.ts';

/** The event reason of a reference into another namespace that nothing there allows (vCluster's). */
const REF_NOT_PERMITTED_REASON = 'RefNotPermitted';

/** Virtual objects by what they name: `Kind/namespace/name`, and `grants/<namespace>` for cross-namespace references. */
const REFERENCE_INDEX = 'gateway-api/references';
const grantsKey = (namespace: string) => `grants/${namespace}`;
/** Virtual ReferenceGrants by namespace (one index per kind: the informer is shared). */
const grantIndex = (type: ResourceType) => `gateway-api/grants-by-namespace/${type.resource}`;

/** The most parentRefs a route may have (the Gateway API's limit). */
const MAX_PARENT_REFS = 32;

/** Virtual Gateways by the class they name. */
const CLASS_INDEX = 'gateway-api/gateway-class';
/** The kind that shows the host's GatewayClasses; with it on, a Gateway may name only those. */
const HOST_CLASSES_KIND = 'host-gatewayclasses';
const classOf = (gateway: KubeObject): string =>
  String((gateway.spec as { gatewayClassName?: unknown } | undefined)?.gatewayClassName ?? '');

/** The kinds Gateway API objects name that the syncer can translate, when their kinds are synced. */
const PEER_KINDS = ['Service', 'Secret', 'ConfigMap', 'Gateway'];

/** What an admin decides for a Gateway API kind. */
export interface GatewayApiKindOptions {
  /** Label and annotation keys the copy may not carry (a Gateway's own and its infrastructure metadata). */
  deniedMetadataKeys?: readonly string[];
  /** Host names the tenant may not serve (--reserved-ingress-host): the virtual API server's own. */
  reservedHosts?: readonly string[];
  /** Host names the tenant may serve, when the admin bounded them (--allowed-ingress-host). */
  allowedHosts?: readonly string[];
  /**
   * The host Gateways the host-gateways kind shows (the config file's hostGateways): routes may attach
   * to them, and no tenant Gateway may take their places. Read only while that kind is on.
   */
  hostGateways?: HostGatewaysConfig;
}

/**
 * One Gateway API kind, virtual → host, with the status the host's gateway controller writes back
 * when `statusBack`. Every object it names (parents, backends, certificates, CA bundles, policy
 * targets) is renamed to this tenant's copy, and only once that copy provably is the copy of
 * exactly that object (host names are ambiguous); a reference into another virtual namespace is
 * renamed only when the virtual cluster's own rules allow it (a ReferenceGrant there, or the
 * Gateway's allowedRoutes). Anything else points at a name nobody holds, and the tenant is told.
 */
export function gatewayApiKind(
  type: ResourceType,
  statusBack: boolean,
  where: Placement,
  {
    deniedMetadataKeys = [],
    reservedHosts = [],
    allowedHosts = [],
    hostGateways,
  }: GatewayApiKindOptions = {},
): KindSpec {
  const managed = managedCopiesScope(where);
  /**
   * Where a copy goes, its metadata held to deniedMetadataKeys: with no infrastructure metadata, a
   * host gateway controller (Istio) puts the Gateway's own labels and annotations on the pods and
   * Service it makes, and reads some of them itself (the proxy image).
   */
  const place = (ctx: ReconcileContext) => ({
    ...where,
    hostName: ctx.hostName,
    deniedHostMetadata: [...(where.deniedHostMetadata ?? []), ...deniedMetadataKeys],
  });
  let judge: ReferenceJudge;
  let virtualObjects: Informer<KubeObject> | undefined;
  let virtualGrants: Informer<KubeObject> | undefined;
  let virtualGateways: Informer<KubeObject> | undefined;
  let virtualNamespaces: Informer<KubeObject> | undefined;
  /** With host-gateways on: the host Gateways shown, which routes may name as parents. */
  let imports: ImportedGateways | undefined;
  /** Host copies of the kinds a status may name (Gateways, Services), when those kinds are synced. */
  const hostCopies = new Map<string, { type: ResourceType; informer: Informer<KubeObject> }>();
  const refersToGateways = type.kind !== 'Gateway' && type.kind !== 'ReferenceGrant';
  /**
   * With host-gatewayclasses on (Gateways only): the host's classes and the admin's selector of
   * them, if any. The tenant sees those classes, and its Gateways may name no other.
   */
  let offeredClasses: { informer: Informer<KubeObject>; selector?: LabelSelector } | undefined;

  /**
   * Why a Gateway's class is not one the tenant may use: the host lacks it, or the admin's selector
   * does not offer it. In vCluster's words, which its e2e suite matches.
   */
  function classRefusal(virtual: KubeObject): string | undefined {
    if (!offeredClasses) return undefined;
    const name = classOf(virtual);
    const cls = offeredClasses.informer.store.get(name);
    if (isHostsOwnClass(cls) && offersClass(offeredClasses.selector, cls)) return undefined;
    return `GatewayClass "${name}" is not available in this virtual cluster`;
  }

  /** Objects that name the virtual object a host copy stands for: retried when the copy changes. */
  const namingTheOwnerOf = referrersOfCopy(where, () => virtualObjects, REFERENCE_INDEX);
  const naming = referrersOfVirtual(() => virtualObjects, REFERENCE_INDEX);
  const copyRelation = (kind: string, copyType: ResourceType, whenKind: string): Relation => ({
    name: `${copyType.resource}-copies`,
    cluster: 'host',
    type: copyType,
    scope: managed,
    whenKind,
    keys: namingTheOwnerOf(kind, copyType),
    // A copy's coming, going and whose it is decide; its status (a Gateway's, written whenever any
    // route attaches) does not, and would re-judge, and re-report, every route naming it.
    changed: (old, current) => metadataChanged(old, current),
  });

  /** Why a reference may not be renamed to its copy, or undefined when it may (once the copy is there). */
  function crossNamespaceRefusal(virtual: KubeObject, ref: GatewayApiReference): string | undefined {
    const ns = virtual.metadata?.namespace ?? '';
    if (ref.namespace === ns) {
      if (ref.crossNamespace !== 'allowed-routes') return undefined;
    } else if (ref.crossNamespace === 'reference-grant') {
      const grants = virtualGrants?.store.byIndex(grantIndex(type), ref.namespace) ?? [];
      const from = { group: GATEWAY_GROUP, kind: type.kind, namespace: ns };
      if (!referenceGranted(grants, from, { group: ref.group, kind: ref.kind, name: ref.name }))
        return `no ReferenceGrant in namespace ${ref.namespace} allows it`;
      return undefined;
    }
    // A Service parent (GAMMA, a mesh): one of another namespace is a consumer route there, which
    // applies to the route's namespace's clients only; on the host every namespace is the one, so it
    // would redirect every client of that Service, other namespaces' included. Only a Service of the
    // route's own namespace may be a parent.
    if (ref.group === '' && ref.kind === 'Service')
      return ref.namespace === ns
        ? undefined
        : `a route may name a Service of its own namespace only as its parent (on the host it would apply to every client of that Service)`;
    // A route's parent Gateway decides which namespaces' routes may attach.
    if (ref.group !== GATEWAY_GROUP || ref.kind !== 'Gateway') return undefined;
    const gateway = virtualGateways?.store.get(`${ref.namespace}/${ref.name}`);
    if (!gateway) return undefined;
    const parent = parentRefAt(virtual, ref.field);
    const labels = virtualNamespaces?.store.get(ns)?.metadata?.labels ?? {};
    if (!gatewayAdmits(gateway, parent, ns, labels))
      return `the Gateway does not allow routes from namespace ${ns}`;
    return undefined;
  }

  /** Objects naming an object whose copy is on its way: told to the tenant only past the grace. */
  const copiesComing = new CopyGrace();

  /**
   * How each reference reads on the host: its copy's host name once that copy provably is the copy
   * of exactly that object; a wait while a copy is on its way; otherwise (missing, a kind not synced,
   * a name held by another object) a name nobody holds, reported. Only a new object waits
   * (mayWaitForCopies). A reference into another namespace that no ReferenceGrant there allows keeps
   * the whole object off the host (the Gateway API: implementations "MUST NOT permit" it; vCluster
   * does the same). A parent that does not take the route (its listeners do not admit the route's
   * namespace, the admin's hostname policy of a host Gateway) is left out, and a route no parent
   * takes is not synced at all: nothing would serve it.
   */
  async function resolveReferences(
    ctx: ReconcileContext,
    virtual: KubeObject,
    current: KubeObject | undefined,
  ): Promise<{
    rename: RenameReference;
    namespaceOf: (ref: GatewayApiReference) => string | undefined;
    importedAt: (field: string) => ImportedGateway | undefined;
  }> {
    const mayWait = mayWaitForCopies(ctx, current);
    const waiting: string[] = [];
    const problems: string[] = [];
    /** References whose object exists and whose copy is on its way (CopyGrace), by field. */
    const coming = new Map<string, string>();
    const forbidden: string[] = [];
    const absent = new Set<string>();
    /** Parents that are host Gateways shown here, by field: the host Gateway each names on the host. */
    const importedParents = new Map<string, ImportedGateway>();
    const ns = ctx.virtualNamespace;
    for (const ref of gatewayApiReferences(virtual)) {
      const what = `${ref.kind || 'object'} "${ref.name}"${ref.namespace === ns ? '' : ` of namespace ${ref.namespace}`}`;
      const refuse = (why: string) => {
        problems.push(`${what} (${ref.field}): ${why}`);
        absent.add(ref.field);
      };
      const forbid = (why: string) => forbidden.push(`${what} (${ref.field}): ${why}`);
      if (!ref.accepts.includes(groupKind(ref.group, ref.kind))) {
        refuse(`objects of this kind are not synced to the host`);
        continue;
      }
      // The place of a host Gateway shown here names that host Gateway, never a tenant's.
      if (isGatewayParent(ref) && imports?.reserves(`${ref.namespace}/${ref.name}`)) {
        const imported = imports.at(`${ref.namespace}/${ref.name}`);
        const notTaken = imported
          ? importedParentRefusal(virtual, ref, imported)
          : 'no host Gateway is shown there now';
        if (notTaken) refuse(notTaken);
        else importedParents.set(ref.field, imported!);
        continue;
      }
      const notAllowed = crossNamespaceRefusal(virtual, ref);
      if (notAllowed) {
        if (ref.crossNamespace === 'reference-grant') forbid(notAllowed);
        else refuse(notAllowed);
        continue;
      }
      const verdict = judge.judge(ref.namespace, {
        kind: ref.kind as JudgedReference['kind'],
        apiGroup: ref.group,
        name: ref.name,
        optional: true,
        where: { field: ref.field },
      });
      if (verdict.state === 'waiting') {
        // A copy on its way comes within a few retries; one that does not (its host name held by an
        // object the syncer does not manage, a copy refused) must not keep the rest off the host.
        if (mayWait) waiting.push(`${ref.field}: ${verdict.message}`);
        else if (verdict.missing) refuse('not found');
        else {
          coming.set(ref.field, `${what} (${ref.field}): its host copy is not there`);
          absent.add(ref.field);
        }
      } else if (verdict.state === 'absent-optional') refuse('not found');
      else if (verdict.state === 'refused') refuse(verdict.message.replace(/^[^:]*: /, ''));
    }
    // vCluster's reason and words for a reference the virtual cluster does not allow.
    if (forbidden.length)
      throw new TerminalError(
        `Gateway API reference not permitted: ${forbidden.join('; ')}; this ${type.kind} is not synced`,
        REF_NOT_PERMITTED_REASON,
      );
    // An existing object that comes to name a copy on its way (a Gateway made a moment ago) is told
    // only if the copy stays away past the grace; a new one has waited for it already.
    const told = copiesComing.tell(ctx.key, ctx.clock.monotonicNow(), [...coming.values()], !!current);
    if (told) problems.push(...coming.values());
    const inGrace = coming.size > 0 && !told;
    const parents = gatewayApiReferences(virtual).filter((r) => r.crossNamespace === 'allowed-routes');
    if (parents.length && parents.every((p) => absent.has(p.field)) && !waiting.length) {
      // No parent takes it only because one's copy is on its way: the copy (still attached to what it
      // named before) stays until the grace is over, rather than being removed for a moment; not
      // if what it named is gone (a freed host name is never kept).
      if (inGrace && parents.some((p) => coming.has(p.field)) && current && parentsStillThere(current))
        throw new WaitingError([...coming.values()].join('; '), {
          retryAfterMs: copiesComing.takeRecheck(ctx.key),
        });
      // Removed: the tenant is told why, copies on their way included.
      const why = inGrace ? [...problems, ...coming.values()] : problems;
      throw new TerminalError(
        `cannot sync this ${type.kind}: none of its parents can take it (${why.join('; ')})`,
      );
    }
    if (waiting.length) throw new WaitingError(waiting.join('; '));
    if (problems.length)
      await ctx.events.record(
        virtual,
        'Warning',
        'SyncError',
        `synced pointing at nothing in place of: ${problems.join('; ')}`,
        { once: true },
      );
    const referrer = `${virtual.kind}/${virtual.metadata?.namespace}/${virtual.metadata?.name}/${virtual.metadata?.uid}`;
    const importedHost = (field: string) => {
      const imported = importedParents.get(field);
      return imported && splitKey(imported.hostKey);
    };
    return {
      rename: (ref) =>
        absent.has(ref.field)
          ? absentReferenceName(referrer, { kind: ref.kind, name: `${ref.namespace}/${ref.name}` })
          : (importedHost(ref.field)?.name ?? hostName(ref.name, ref.namespace, where.vcName)),
      namespaceOf: (ref) => (absent.has(ref.field) ? undefined : importedHost(ref.field)?.namespace),
      importedAt: (field) => importedParents.get(field),
    };
  }

  /** Whether every parent a host copy names is there and is this virtual cluster's (or points at nothing). */
  const parentsStillThere = (copy: KubeObject): boolean => {
    const refs = (copy.spec as { parentRefs?: unknown } | undefined)?.parentRefs;
    if (!Array.isArray(refs)) return false;
    return refs.every((ref: { group?: unknown; kind?: unknown; name?: unknown; namespace?: unknown }) => {
      if (typeof ref?.name !== 'string') return false;
      if (ref.name.startsWith(ABSENT_REFERENCE_PREFIX)) return true;
      const group = typeof ref.group === 'string' ? ref.group : GATEWAY_GROUP;
      const kind = typeof ref.kind === 'string' ? ref.kind : 'Gateway';
      const namespace = typeof ref.namespace === 'string' ? ref.namespace : where.hostNamespace;
      return ownerOf(group, kind, ref.name, namespace) !== undefined;
    });
  };

  const isGatewayParent = (ref: GatewayApiReference) =>
    ref.crossNamespace === 'allowed-routes' && ref.group === GATEWAY_GROUP && ref.kind === 'Gateway';

  /**
   * Why a route may not attach to the host Gateway shown at the place its parent names, or undefined
   * when it may: the listeners of its copy as the admin's config shows them (not as the tenant may
   * have edited it) admit the route's namespace, and the route keeps to the hostnames the admin
   * allows there.
   */
  function importedParentRefusal(
    virtual: KubeObject,
    ref: GatewayApiReference,
    imported: ImportedGateway,
  ): string | undefined {
    const ns = virtual.metadata?.namespace ?? '';
    const labels = virtualNamespaces?.store.get(ns)?.metadata?.labels ?? {};
    if (!gatewayAdmits(imported.mirror, parentRefAt(virtual, ref.field), ns, labels))
      return `the Gateway does not allow routes from namespace ${ns}`;
    const hostnames = hostnamesOf(type.kind, virtual);
    // Without hostnames a route takes every name its listeners serve: on a tenant's own Gateway
    // those are bounded by --allowed-ingress-host, on the host's shared one they are the admin's.
    if (allowedHosts.length && !hostnames.length)
      return `a ${type.kind} without hostnames would serve every name of the host's shared Gateway: name hostnames (this virtual cluster may serve ${allowedHosts.join(', ')})`;
    return imports!.hostnameRefusal(imported, type.kind, hostnames);
  }

  /** A tenant's Gateway at a host Gateway's place (in vCluster's words): routes naming it attach to the host's. */
  const reservedPlaceRefusal = (virtual: KubeObject): string | undefined => {
    const key = objectKey(virtual);
    return type.kind === 'Gateway' && imports?.reserves(key)
      ? `Gateway ${key} is reserved for an imported Gateway`
      : undefined;
  };

  /** A Gateway's infrastructure annotations reach what its controller makes, and are read as its own. */
  const infrastructureAnnotationsRefusal = (virtual: KubeObject): string | undefined => {
    const infrastructure = (virtual.spec as { infrastructure?: { annotations?: unknown } } | undefined)
      ?.infrastructure;
    const annotations = infrastructure?.annotations;
    if (type.kind !== 'Gateway' || typeof annotations !== 'object' || annotations === null) return undefined;
    const refusal = hostObjectAnnotationsRefusal(annotations as Record<string, string>);
    return refusal?.replace(/^metadata\.annotations/, 'spec.infrastructure.annotations');
  };

  /** Why the object may not be on the host at all, whatever it names; undefined when it may. */
  const refusalOf = (virtual: KubeObject): string | undefined =>
    reservedPlaceRefusal(virtual) ??
    hostObjectAnnotationsRefusal(virtual.metadata?.annotations) ??
    infrastructureAnnotationsRefusal(virtual) ??
    reservedHostnameRefusal(type.kind, virtual, reservedHosts) ??
    unallowedHostnameRefusal(type.kind, virtual, allowedHosts);

  async function desiredHost(
    ctx: ReconcileContext,
    virtual: KubeObject,
    current?: KubeObject,
  ): Promise<KubeObject> {
    const withheld = classRefusal(virtual);
    if (withheld) throw new TerminalError(withheld, CLASS_WITHHELD_REASON);
    const refusal = refusalOf(virtual);
    if (refusal) throw new TerminalError(`cannot sync this ${type.kind}: ${refusal}`);
    const { rename, namespaceOf, importedAt } = await resolveReferences(ctx, virtual, current);
    const askedAddresses = (virtual.spec as { addresses?: unknown } | undefined)?.addresses;
    if (type.kind === 'Gateway' && Array.isArray(askedAddresses) && askedAddresses.length)
      await ctx.events.record(
        virtual,
        'Warning',
        'SyncWarning',
        "spec.addresses is not copied to the host: the host's gateway controller assigns the address (see status.addresses)",
        { once: true },
      );
    const spec = hostSpecFor(virtual, rename, { ...where, deniedMetadataKeys }, namespaceOf);
    if (refersToGateways) narrowParents(virtual, spec, importedAt);
    // The digest of the spec makes a field the tenant removed a difference (spec-record.ts).
    const metadata = hostMetadataFor(virtual, type, place(ctx));
    return {
      apiVersion: virtual.apiVersion,
      kind: type.kind,
      metadata: withSpecDigest(metadata, spec),
      spec,
    };
  }

  /**
   * A route's host parentRefs with each Gateway parent that names no section, and whose Gateway has
   * listeners that do not admit the route's namespace, replaced by one parentRef per listener that
   * does (admittingSections): on the host every listener admits the one host namespace, so the
   * reference as written would attach the route to the refusing listeners too (an `admin` listener
   * with `from: Same` in another namespace's Gateway).
   */
  function narrowParents(
    virtual: KubeObject,
    hostSpec: Record<string, unknown>,
    importedAt: (field: string) => ImportedGateway | undefined,
  ): void {
    const virtualRefs = (virtual.spec as { parentRefs?: unknown } | undefined)?.parentRefs;
    const hostRefs = hostSpec.parentRefs;
    if (!Array.isArray(virtualRefs) || !Array.isArray(hostRefs) || virtualRefs.length !== hostRefs.length)
      return;
    const ns = virtual.metadata?.namespace ?? '';
    const labels = virtualNamespaces?.store.get(ns)?.metadata?.labels ?? {};
    // Per parentRef: the sections it must name on the host (narrowed), and those it would name if
    // another reference to the same Gateway is narrowed (every admitting listener it matches).
    const plans = hostRefs.map((hostRef: Record<string, unknown>, i) => {
      const ref = virtualRefs[i] as Record<string, unknown> | undefined;
      if (!ref || typeof ref.name !== 'string' || (ref.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP) return {};
      if ((ref.kind ?? 'Gateway') !== 'Gateway') return {};
      const gatewayNamespace = typeof ref.namespace === 'string' ? ref.namespace : ns;
      const key = `${gatewayNamespace}/${ref.name}`;
      // The host Gateway this parent was found to name, if it names one (decided once, above).
      const imported = importedAt(`spec.parentRefs[${i}].name`);
      // Pointing at nothing already (not admitted at all, or no copy): nothing to narrow.
      const named = imported
        ? splitKey(imported.hostKey)
        : { name: hostName(ref.name, gatewayNamespace, where.vcName), namespace: undefined };
      if (hostRef.name !== named.name || hostRef.namespace !== named.namespace) return {};
      const gateway = imported ? imported.mirror : virtualGateways?.store.get(key);
      if (!gateway) return {};
      const parent = parentRefAt(virtual, `spec.parentRefs[${i}]`);
      return {
        narrowed: admittingSections(gateway, parent, ns, labels),
        spelledOut: admittingSections(gateway, parent, ns, labels, { evenWhenAllAdmit: true }),
      };
    });
    // References to one parent must all name a section or none (the Gateway API refuses a route
    // that mixes them): once one is narrowed, the others to that Gateway are spelled out too.
    const parentOf = (r: Record<string, unknown> | undefined) =>
      JSON.stringify([r?.namespace ?? null, r?.name]);
    const narrowedParents = new Set(
      hostRefs.filter((_, i) => plans[i]?.narrowed !== undefined).map((r) => parentOf(r)),
    );
    const named = new Set(
      hostRefs.map((r) => JSON.stringify([r?.namespace ?? null, r?.name, r?.sectionName ?? null])),
    );
    const narrowed = hostRefs.flatMap((hostRef: Record<string, unknown>, i): unknown[] => {
      const plan = plans[i] ?? {};
      const sections =
        plan.narrowed ?? (narrowedParents.has(parentOf(hostRef)) ? plan.spelledOut : undefined);
      if (!sections) return [hostRef];
      return sections.flatMap((sectionName) => {
        const key = JSON.stringify([hostRef.namespace ?? null, hostRef.name, sectionName]);
        if (named.has(key)) return [];
        named.add(key);
        return [{ ...hostRef, sectionName }];
      });
    });
    if (narrowed.length > MAX_PARENT_REFS)
      throw new TerminalError(
        `cannot sync this ${type.kind}: its parents name more listeners that admit it than the ${MAX_PARENT_REFS} parentRefs a route may have on the host, where each must be named (give them a sectionName)`,
      );
    hostSpec.parentRefs = narrowed;
  }

  /**
   * The virtual parent a host status entry names: the object a copy of this tenant's stands for, or
   * the place a host Gateway shown here has.
   */
  const ownerOf = (group: string, kind: string, name: string, hostNamespace: string) => {
    // A host Gateway shown here first: one the admin keeps in this release's own namespace is no copy.
    const shownAt =
      group === GATEWAY_GROUP && kind === 'Gateway'
        ? imports?.virtualKeyOf(`${hostNamespace}/${name}`)
        : undefined;
    if (shownAt) return splitKey(shownAt);
    if (hostNamespace !== where.hostNamespace) return undefined;
    const copies = hostCopies.get(groupKind(group, kind));
    if (!copies) return undefined;
    const copy = copies.informer.store.get(`${where.hostNamespace}/${name}`);
    const key = copy && ownedVirtualKey(copy, where, copies.type);
    if (!key) return undefined;
    const [namespace, virtualName] = key.split('/') as [string, string];
    return { namespace, name: virtualName };
  };

  /**
   * Removes the host copy of a refused object, and the status its host controller wrote, which no
   * longer holds (a route would read Accepted on a Gateway it is no longer attached to).
   */
  async function removeCopy(ctx: ReconcileContext, virtual: KubeObject, host: KubeObject): Promise<void> {
    await deleteIncarnation(ctx.host, type, host);
    if (!statusBack || virtual.status === undefined || sameJson(virtual.status, {})) return;
    const { status: _stale, ...withoutStatus } = virtual;
    await ctx.virtual.update(type, ctx.virtualNamespace, withoutStatus, { subresource: 'status' });
  }

  const spec: KindSpec = {
    direction: statusBack ? 'both' : 'to-host',
    virtualType: type,
    hostType: type,
    mapper: namespacedToHost(type, where),
    copyNamesOtherCopies: true,
    // The copies of host Gateways (the host-gateways kind's) are the host's own Gateways, never a tenant's.
    ...(type.kind === 'Gateway'
      ? {
          wanted: (_ctx: ReconcileContext, v: KubeObject | undefined) =>
            v !== undefined && !replicaOf(v, HOST_GATEWAYS_KIND),
        }
      : {}),
    virtualCrdsRead: [
      ...(type.kind === 'ReferenceGrant' ? [] : [Resources.referenceGrants]),
      ...(refersToGateways ? [Resources.gateways] : []),
    ],
    relations: [
      copyRelation('Service', Resources.services, 'services'),
      virtualObjectsRelation(Resources.services, 'services', naming('Service')),
      copyRelation('Secret', Resources.secrets, 'secrets'),
      copyRelation('ConfigMap', Resources.configMaps, 'configmaps'),
      // Certificates and CA bundles: as Services, named no more before their copies go.
      ...(type.kind === 'Gateway'
        ? [virtualObjectsRelation(Resources.secrets, 'secrets', naming('Secret'))]
        : []),
      ...(['Gateway', 'BackendTLSPolicy'].includes(type.kind)
        ? [virtualObjectsRelation(Resources.configMaps, 'configmaps', naming('ConfigMap'))]
        : []),
      ...(refersToGateways ? [copyRelation('Gateway', Resources.gateways, 'gateways')] : []),
      // A host Gateway shown here that comes, changes (its listeners) or goes decides again for the
      // routes naming its place.
      ...(refersToGateways
        ? importedGatewayRelations(
            hostGateways,
            (virtualKey) =>
              virtualObjects?.store
                .byIndex(REFERENCE_INDEX, referenceKey('Gateway', virtualKey))
                .map(objectKey) ?? [],
          )
        : []),
      // A grant that comes, changes or goes decides again for the references into its namespace.
      {
        name: 'virtual-grants',
        cluster: 'virtual',
        type: Resources.referenceGrants,
        keys: (grant) =>
          virtualObjects?.store
            .byIndex(REFERENCE_INDEX, grantsKey(grant.metadata?.namespace ?? ''))
            .map(objectKey) ?? [],
      },
      // A Gateway's allowedRoutes decide which routes attach, whether or not its copy changes.
      ...(refersToGateways
        ? [
            {
              name: 'virtual-gateways',
              cluster: 'virtual' as const,
              type: Resources.gateways,
              // Its listeners decide, not its status (copied back whenever the host's changes).
              changed: (old: KubeObject, current: KubeObject) =>
                metadataChanged(old, current) || !sameJson(old.spec, current.spec),
              keys: (gateway: KubeObject) =>
                virtualObjects?.store
                  .byIndex(REFERENCE_INDEX, referenceKey('Gateway', objectKey(gateway)))
                  .map(objectKey) ?? [],
            },
          ]
        : []),
      // A namespace's labels decide which listeners with `from: Selector` admit its routes: a label
      // taken off (access revoked) or put on is decided again for every route of that namespace, or a
      // route would stay attached on the host to a listener that no longer admits it.
      ...(refersToGateways
        ? [
            {
              name: 'virtual-namespace-labels',
              cluster: 'virtual' as const,
              type: Resources.namespaces,
              keys: (namespace: KubeObject) => {
                const prefix = `${namespace.metadata?.name ?? ''}/`;
                return virtualObjects?.store.keys().filter((key) => key.startsWith(prefix)) ?? [];
              },
              changed: (old: KubeObject, current: KubeObject) =>
                !sameJson(old.metadata?.labels ?? {}, current.metadata?.labels ?? {}),
              unindexed: true,
            },
          ]
        : []),
      // A Gateway refused for its class is synced once the host offers the class; one whose class is
      // no longer offered loses its host copy.
      ...(type.kind === 'Gateway'
        ? [
            {
              name: 'host-gatewayclasses',
              cluster: 'host' as const,
              type: Resources.gatewayClasses,
              whenKind: HOST_CLASSES_KIND,
              keys: (cls: KubeObject) =>
                virtualObjects?.store.byIndex(CLASS_INDEX, cls.metadata?.name ?? '').map(objectKey) ?? [],
            },
          ]
        : []),
    ],

    setup(env, kinds) {
      const peers = new Map([...kinds].filter(([, k]) => PEER_KINDS.includes(k.spec.virtualType.kind)));
      const targets = referenceTargets(peers, (peer) => ({
        host: env.informers.get(env.host, peer.hostType, managed),
        virtual: env.informers.get(env.virtual, peer.virtualType),
      }));
      judge = new ReferenceJudge(targets);
      for (const target of targets.values()) {
        const t = target.spec.hostType;
        hostCopies.set(groupKind(t.group, t.kind), { type: target.spec.virtualType, informer: target.host });
      }
      virtualObjects = env.informers.get(env.virtual, type);
      virtualObjects.addIndexer(REFERENCE_INDEX, (obj) =>
        gatewayApiReferences(obj).flatMap((r) => [
          referenceKey(r.kind, `${r.namespace}/${r.name}`),
          ...(r.namespace !== obj.metadata?.namespace ? [grantsKey(r.namespace)] : []),
        ]),
      );
      if (type.kind === 'Gateway' && kinds.has(HOST_CLASSES_KIND)) {
        offeredClasses = {
          informer: env.informers.get(env.host, Resources.gatewayClasses),
          selector: hostClassSelectorOf(kinds, HOST_CLASSES_KIND),
        };
        virtualObjects.addIndexer(CLASS_INDEX, (gateway) => [classOf(gateway)]);
      }
      if (hostGateways && kinds.has(HOST_GATEWAYS_KIND)) imports = new ImportedGateways(hostGateways, env);
      virtualGrants = env.informers.get(env.virtual, Resources.referenceGrants);
      virtualGrants.addIndexer(grantIndex(type), (g) => [g.metadata?.namespace ?? '']);
      if (refersToGateways) {
        virtualGateways = env.informers.get(env.virtual, Resources.gateways);
        virtualNamespaces = env.informers.get(env.virtual, Resources.namespaces);
      }
    },

    async create(ctx, virtual): Promise<SyncResult> {
      return createHostCopy(ctx, spec, await desiredHost(ctx, virtual!));
    },

    async update(ctx, source, host): Promise<SyncResult> {
      const virtual = source!;
      const withheld = classRefusal(virtual);
      if (withheld) {
        // Its class was taken from the tenant (or it names one not offered now): the host's controller
        // must no longer serve it. A class that is only missing (its controller reinstalled, say) takes
        // nothing from the tenant: the copy stays, and its addresses with it.
        if (offeredClasses?.informer.store.get(classOf(virtual))) await removeCopy(ctx, virtual, host);
        throw new TerminalError(withheld, CLASS_WITHHELD_REASON);
      }
      const refusal = refusalOf(virtual);
      if (refusal) {
        // Refused now (annotated or renamed since, or by a syncer that refuses more than the one that
        // made the copy): the copy must not keep what is refused.
        await removeCopy(ctx, virtual, host);
        throw new TerminalError(`cannot sync this ${type.kind}: ${refusal}; its host copy is removed`);
      }
      let desired: KubeObject;
      try {
        desired = await desiredHost(ctx, virtual, host);
      } catch (err) {
        if (!(err instanceof TerminalError)) throw err;
        // Refused for what it names (a reference not permitted, no parent that takes it, too many
        // listeners to name one by one): the copy made before must not stay attached.
        await removeCopy(ctx, virtual, host);
        throw new TerminalError(`${err.message}; its host copy is removed`, err.reason);
      }
      // A spec the tenant changed (a field removed too) changes the digest among the planned metadata;
      // specHolds finds what the host changed of the tenant's fields.
      const plan = ctx.planMetadata(virtual, host, desired);
      const result: SyncResult = {};
      if (plan.hostChanged || !specHolds(desired.spec, host.spec)) {
        await ctx.host.update(type, ctx.hostNamespace, {
          ...host,
          metadata: { ...host.metadata, ...plan.host },
          spec: desired.spec,
        });
        result.hostWritten = true;
      }
      let latest = virtual;
      if (statusBack) {
        const status = virtualStatusFor(host, virtual, ownerOf, where);
        if (!sameJson(status, virtual.status)) {
          latest = await ctx.virtual.update(
            type,
            ctx.virtualNamespace,
            { ...virtual, status },
            { subresource: 'status' },
          );
          result.virtualWritten = true;
        }
      }
      if (await writePlannedMetadataUp(ctx, type, latest, plan)) result.virtualWritten = true;
      // A copy on its way not told yet (resolveReferences): looked at again once the grace is over.
      const recheck = copiesComing.takeRecheck(ctx.key);
      if (recheck !== undefined) result.requeueAfterMs = recheck;
      return result;
    },
  };
  return spec;
}

/** Whether what says whose an object is, or that it is going, changed (labels, annotations, deletion). */
const metadataChanged = (old: KubeObject, current: KubeObject): boolean =>
  !sameJson(old.metadata?.labels ?? {}, current.metadata?.labels ?? {}) ||
  !sameJson(old.metadata?.annotations ?? {}, current.metadata?.annotations ?? {}) ||
  old.metadata?.deletionTimestamp !== current.metadata?.deletionTimestamp;

/** The parent reference at a `spec.parentRefs[i].name` field: its sectionName and port. */
function parentRefAt(virtual: KubeObject, field: string): { sectionName?: string; port?: number } {
  const index = /^spec\.parentRefs\[(\d+)\]/.exec(field)?.[1];
  const refs = (virtual.spec as { parentRefs?: unknown } | undefined)?.parentRefs;
  const ref =
    index !== undefined && Array.isArray(refs) ? (refs[Number(index)] as Record<string, unknown>) : {};
  return {
    sectionName: typeof ref?.sectionName === 'string' ? ref.sectionName : undefined,
    port: typeof ref?.port === 'number' ? ref.port : undefined,
  };
}

/**
 * True when the host's spec says everything the desired one says. Fields only the host has are its
 * API server's defaults (the host's CRDs may be newer than the virtual cluster's) and are left alone;
 * empty lists and maps count as absent. A field the tenant removed is no longer in the desired spec:
 * that change is found by the spec's digest (spec-record.ts), not here.
 */
export function specHolds(desired: unknown, host: unknown): boolean {
  if (Array.isArray(desired)) {
    if (!Array.isArray(host)) return desired.length === 0 && host === undefined;
    return desired.length === host.length && desired.every((d, i) => specHolds(d, host[i]));
  }
  if (desired && typeof desired === 'object') {
    const entries = Object.entries(desired as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (!host || typeof host !== 'object' || Array.isArray(host))
      return entries.length === 0 && host === undefined;
    return entries.every(([k, v]) => specHolds(v, (host as Record<string, unknown>)[k]));
  }
  return desired === host;
}
