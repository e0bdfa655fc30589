import { TerminalError, WaitingError } from '../../controller/errors.ts';
import { deleteIncarnation } from '../../kube/delete-incarnation.ts';
import type { Informer } from '../../informer/informer.ts';
import { objectKey, type KubeObject } from '../../kube/object.ts';
import { FROM_HOST_LABEL, type LabelSelector } from '../../naming/labels.ts';
import {
  CLASS_WITHHELD_REASON,
  classWithheld,
  hostClassSelectorOf,
  offersClass,
} from '../shared/from-host.ts';
import { Resources } from '../../kube/resources.ts';
import { isRancherEndpointKey, RANCHER_ENDPOINT_KEYS } from '../../naming/denied-metadata.ts';
import { hostName } from '../../naming/names.ts';
import { createHostCopy } from '../../sync/engine.ts';
import type { KindSpec, Placement, ReconcileContext, SyncResult } from '../../sync/kind.ts';
import {
  managedCopiesScope,
  namespacedToHost,
  referenceKey,
  referrersOfCopy,
  referrersOfVirtual,
} from '../../sync/mappers.ts';
import { writePlannedMetadataUp } from '../../sync/metadata-writes.ts';
import {
  absentReferenceName,
  ReferenceJudge,
  referenceTargets,
  mayWaitForCopies,
  type JudgedReference,
} from '../pods/reference-safety.ts';
import { writeLoadBalancerStatusUp } from '../shared/load-balancer-status.ts';
import { malformedIngress } from '../shared/shape.ts';
import { reservedIngressHostRefusal, unallowedIngressHostRefusal } from './reserved-hosts.ts';
import { ingressHostsOverlap, requestedNamesRefusal } from '../shared/reserved-hosts.ts';
import {
  asksIngressShim,
  isTlsSecret,
  shimDependencies,
  controllingIngress,
  removeShimCertificates,
  CERTIFICATES,
  shimView,
  unintegratedShimView,
  type HostCertManager,
  type JudgingContext,
} from './cert-manager.ts';
import { judgeOrMakeFilled } from '../shared/filled-secrets.ts';
import { CopyGrace } from '../shared/copy-grace.ts';
import {
  hostIngressFor,
  hostSpecInSync,
  ingressClassFromHost,
  ingressReferences,
  ingressRefusal,
  specOf,
  type IngressPlace,
  type IngressReference,
  type RenameReference,
} from './translate.ts';
import { virtualObjectsRelation } from '../shared/host-copies-naming.ts';

const INGRESSES = Resources.ingresses;
/** The kind that shows the host's ingress classes; its selector limits which an Ingress may name. */
const HOST_CLASSES_KIND = 'host-ingressclasses';
const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
/** The relation of ingress-shim's host Certificates, by the Ingress copy controlling them. */
const SHIM_RELATION = 'shim-certificates';
/** Virtual ingresses by the objects they name (`Kind/namespace/name`), to find those a copy concerns. */
const REFERENCE_INDEX = 'ingresses/references';

/** How many Ingresses' shown statuses are remembered (see statusOfTenantController). */
const STATUSES_REMEMBERED = 10_000;

/** An Ingress's load-balancer status, as text to compare. */
const statusText = (ingress: KubeObject): string =>
  JSON.stringify((ingress.status as { loadBalancer?: unknown } | undefined)?.loadBalancer ?? {});

/** Whether an Ingress's status shows an address (a controller serves it). */
function hasAddress(ingress: KubeObject): boolean {
  const status = ingress.status as { loadBalancer?: { ingress?: unknown[] } } | undefined;
  return (status?.loadBalancer?.ingress?.length ?? 0) > 0;
}

/**
 * The classes an Ingress names: the field and the legacy annotation controllers still honour. Both
 * count: the API server refuses them differing only on create, and some controllers read the
 * annotation first, so an update adding another class there would reach that class's controller.
 */
function namedClasses(ingress: KubeObject): string[] {
  const named = [specOf(ingress).ingressClassName, ingress.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION]];
  return [...new Set(named.filter((name): name is string => Boolean(name)))];
}

/**
 * Ingresses, virtual → host, with the host's load-balancer status back. Every Service and Secret an
 * Ingress names (backends, TLS, well-known controller annotations) is renamed to this tenant's
 * copy, and only once that copy provably is the copy of exactly that object (host names are
 * ambiguous): an Ingress never hands the host's controller a host object it did not name.
 */
export function ingressesKind(
  placement: Placement,
  reservedHosts: readonly string[] = [],
  allowedHosts: readonly string[] = [],
  hostCertManager?: HostCertManager,
): KindSpec {
  // With the host's cert-manager, shimView judges the Issuer an Ingress names (see IngressPlace).
  const where: Placement & IngressPlace = hostCertManager ? { ...placement, issuerJudged: true } : placement;
  const place = (ctx: ReconcileContext) => ({
    ...where,
    hostName: ctx.hostName,
    deniedHostMetadata: [...(where.deniedHostMetadata ?? []), ...RANCHER_ENDPOINT_KEYS],
  });
  const managed = managedCopiesScope(where);
  let judge: ReferenceJudge;
  let judging: JudgingContext | undefined;
  let hostIngresses: Informer<KubeObject> | undefined;
  let virtualIngresses: Informer<KubeObject> | undefined;
  /** The virtual cluster's IngressClasses: those the tenant made itself are served by its own controller. */
  let virtualClasses: Informer<KubeObject> | undefined;
  /** With host-ingressclasses and its selector: the host classes an Ingress may name. */
  let offeredClasses: { informer: Informer<KubeObject>; selector: LabelSelector } | undefined;

  /**
   * Why the Ingress's class is not one the tenant may use, if it is not: the class it names (field, or
   * the legacy annotation controllers still honour). One naming none goes to the host's default
   * class whatever the selector offers, as in vCluster: the selector limits the classes a tenant
   * names, and the default is the host admin's own choice for everyone.
   */
  function classRefusal(virtual: KubeObject): string | undefined {
    if (!offeredClasses) return undefined;
    const { informer, selector } = offeredClasses;
    for (const name of namedClasses(virtual)) {
      const cls = informer.store.get(name);
      if (cls && offersClass(selector, cls)) continue;
      const ingress = { words: 'ingress', name: virtual.metadata?.name ?? '' };
      return classWithheld(ingress, 'IngressClass', name, cls !== undefined);
    }
    return undefined;
  }

  /**
   * The load-balancer status each Ingress was last shown by this syncer (the host copy's). A Map, not
   * an LRUCache (which allocates its whole capacity up front); cleared whole past its bound, which
   * forgets only whose an address was, as a restart does.
   */
  const statusShown = new Map<string, string>();
  /** Ingresses naming an object whose copy is on its way: told to the tenant only past the grace. */
  const copiesComing = new CopyGrace();

  /**
   * Whether the load-balancer status the virtual Ingress shows is its own ingress controller's, to be
   * left as it is: the Ingress names a class the tenant made in the virtual cluster (not one shown
   * from the host), the host copy has no address and the virtual one has. A tenant running its own
   * controller (an ingress-nginx chart in the virtual cluster) would otherwise see the host's empty
   * status erase the address its controller wrote, the two taking turns for ever. Once the host copy
   * has an address (a host controller serves that class name too), the host's is shown, as ever.
   */
  function statusOfTenantController(key: string, virtual: KubeObject, host: KubeObject): boolean {
    if (hasAddress(host) || !hasAddress(virtual)) return false;
    // The address this syncer showed last (the host's, which a host controller has since cleared: it
    // stopped, or no longer serves the class) is not the tenant controller's to keep.
    if (statusShown.get(key) === statusText(virtual)) return false;
    return namedClasses(virtual).some((name) => {
      const cls = virtualClasses?.store.get(name);
      return cls !== undefined && cls.metadata?.labels?.[FROM_HOST_LABEL] !== 'true';
    });
  }

  /**
   * Why ingress-shim may not be asked for a certificate of this common name: as for the Ingress's own
   * hosts, a name reserved for the virtual API server or outside the allowed ones (cert-manager's
   * HTTP-01 solver answers for it on the shared ingress controllers).
   */
  const commonNameRefusal = (name: string): string | undefined =>
    requestedNamesRefusal([name], { reservedHosts, allowedHosts }, ingressHostsOverlap);
  /** The host's cert-manager as this kind's shimView reads it: with the common names it may ask for. */
  const shimCertManager = hostCertManager && { ...hostCertManager, commonNameRefusal };

  /** The keys of the virtual Ingresses that name this IngressClass (field or legacy annotation). */
  const ingressesNaming = (cls: KubeObject): string[] =>
    (virtualIngresses?.store.list() ?? [])
      .filter((i) => namedClasses(i).includes(cls.metadata?.name ?? ''))
      .map(objectKey);

  /** Ingresses that name the virtual object a host copy stands for: retried when the copy changes. */
  const namingTheOwnerOf = referrersOfCopy(where, () => virtualIngresses, REFERENCE_INDEX);
  const naming = referrersOfVirtual(() => virtualIngresses, REFERENCE_INDEX);

  /**
   * How each reference reads on the host: the copy's host name once it is provably that object's
   * copy, a name nobody holds while the object does not exist (reported to the tenant; the Service
   * may come later, and controllers cope with a missing one), a wait while the copy is on its way;
   * a name held by another object, or a kind that is not synced, refuses the Ingress.
   * Only a new Ingress waits, and only a few retries (mayWaitForCopies): a copy that stays away (a
   * Service turned into a refused ExternalName, say) must not leave the host copy naming a freed host name.
   */
  async function resolveReferences(
    ctx: ReconcileContext,
    virtual: KubeObject,
    current: KubeObject | undefined,
    issued: boolean,
  ): Promise<RenameReference> {
    const mayWait = mayWaitForCopies(ctx, current);
    const refused: string[] = [];
    const waiting: string[] = [];
    const missing: string[] = [];
    /** References whose object exists and whose copy is on its way (the secrets kind makes it). */
    const coming: string[] = [];
    const absent = new Set<string>();
    const ns = ctx.virtualNamespace;
    // The host's cert-manager issues into the TLS Secrets of an Ingress naming an offered
    // ClusterIssuer (`issued`): they are the host's to fill (made empty on the host first), not the
    // tenant's to give.
    /** Filled TLS Secrets whose host Secret is not made yet: made once nothing else refuses. */
    const toMake: { ref: IngressReference; judged: JudgedReference }[] = [];
    for (const ref of ingressReferences(virtual, where)) {
      const judged = { kind: ref.kind, name: ref.name, optional: true, where: { field: ref.field } };
      const filled = issued && isTlsSecret(ref);
      const verdict = filled ? judge.judgeFilled(ref.namespace, judged) : judge.judge(ref.namespace, judged);
      if (filled && verdict.state === 'waiting') {
        toMake.push({ ref, judged });
        continue;
      }
      const what = `${ref.kind} "${ref.name}"${ref.namespace === ns ? '' : ` of namespace ${ref.namespace}`}`;
      if (verdict.state === 'refused') refused.push(`${ref.field}: ${verdict.message}`);
      else if (verdict.state === 'waiting' && mayWait) waiting.push(`${ref.field}: ${verdict.message}`);
      else if (verdict.state === 'waiting') {
        coming.push(`${what}: its host copy is not there (${ref.field})`);
        absent.add(referenceKey(ref.kind, `${ref.namespace}/${ref.name}`));
      } else if (verdict.state === 'absent-optional') {
        missing.push(`${what} not found (${ref.field})`);
        absent.add(referenceKey(ref.kind, `${ref.namespace}/${ref.name}`));
      }
    }
    if (refused.length) throw new TerminalError(`cannot sync this ingress: ${refused.join('; ')}`);
    if (waiting.length) throw new WaitingError(waiting.join('; '));
    for (const { ref, judged } of toMake) {
      const made = await judgeOrMakeFilled(ctx, judge, judged, ref.namespace, 'kubernetes.io/tls');
      if (made.state === 'refused')
        throw new TerminalError(`cannot sync this ingress: ${ref.field}: ${made.message}`);
    }
    // A copy on its way (the tenant named a Secret that exists, in an update) usually comes within a
    // moment, renaming the reference: only one still missing after the grace is told. (A new
    // Ingress has waited for it already: mayWaitForCopies.)
    if (copiesComing.tell(ctx.key, ctx.clock.monotonicNow(), coming, current !== undefined))
      missing.push(...coming);
    if (missing.length)
      await ctx.events.record(
        virtual,
        'Warning',
        'SyncError',
        `synced without what it names until that exists: ${missing.join('; ')}`,
        { once: true },
      );
    return (ref: IngressReference) =>
      absent.has(referenceKey(ref.kind, `${ref.namespace}/${ref.name}`))
        ? absentReferenceName(`ingress/${ns}/${virtual.metadata?.name}/${virtual.metadata?.uid}`, {
            kind: ref.kind,
            name: `${ref.namespace}/${ref.name}`,
          })
        : hostName(ref.name, ref.namespace, where.vcName);
  }

  /** The host copy to have, or why there is none: refused with the field named, or waiting. */
  async function desiredHost(
    ctx: ReconcileContext,
    virtual: KubeObject,
    current?: KubeObject,
  ): Promise<KubeObject> {
    const problem = malformedIngress(virtual);
    if (problem) throw new TerminalError(`malformed ingress: ${problem}`);
    const refusal = ingressRefusal(virtual, where);
    if (refusal) throw new TerminalError(`cannot sync this ingress: ${refusal}`);
    const reserved =
      reservedIngressHostRefusal(virtual, reservedHosts) ??
      unallowedIngressHostRefusal(virtual, allowedHosts);
    if (reserved) throw new TerminalError(`cannot sync this ingress: ${reserved}`);
    const withheld = classRefusal(virtual);
    if (withheld) throw new TerminalError(withheld, CLASS_WITHHELD_REASON);
    if (!shimCertManager) {
      const plain = unintegratedShimView(virtual, commonNameRefusal);
      await reportWithheld(ctx, virtual, plain.withheld);
      return hostIngressFor(
        plain.ingress,
        place(ctx),
        await resolveReferences(ctx, plain.ingress, current, false),
        current,
      );
    }
    // What the host's cert-manager may read of it (see shimView): the same view the secrets kind
    // takes, so that both agree on which TLS Secrets the host fills.
    const view = shimView(virtual, shimCertManager, judging);
    if (view.starting)
      throw new WaitingError(
        'the ClusterIssuers this virtual cluster shows, or its Issuers, are not known yet',
      );
    // A new Ingress waits a little for its Issuer's copy (made beside it, by a chart), as it does for
    // its Services' and Secrets': issued from the start, its TLS Secrets never change hands.
    if (view.waiting && mayWaitForCopies(ctx, current)) throw new WaitingError(view.waiting);
    await reportWithheld(ctx, virtual, view.withheld);
    const rename = await resolveReferences(ctx, view.ingress, current, view.issued);
    return hostIngressFor(view.ingress, place(ctx), rename, current);
  }

  /** Tells the tenant, once, which annotations were left off the host copy, and why. */
  async function reportWithheld(ctx: ReconcileContext, virtual: KubeObject, withheld: string[]) {
    if (!withheld.length) return;
    const message = `left off the host copy: ${withheld.join('; ')}`;
    await ctx.events.record(virtual, 'Warning', 'SyncError', message, { once: true });
  }

  /** Removes this Ingress's host copy (that very object: its UID), when it is still there. */
  const deleteCopy = (ctx: ReconcileContext, host: KubeObject) =>
    deleteIncarnation(ctx.host, INGRESSES, host);

  const spec: KindSpec = {
    direction: 'both',
    virtualType: INGRESSES,
    hostType: INGRESSES,
    mapper: namespacedToHost(INGRESSES, where),
    hostOnlyMetadata: { annotations: isRancherEndpointKey },
    copyNamesOtherCopies: true,
    // An Ingress waiting for a copy, or pointing nowhere for a missing object, is retried as soon as
    // that copy appears, changes or goes (only while the kind that makes the copies runs).
    relations: [
      // An Ingress refused for its class is tried again when a host class it depends on changes: the
      // class it names (either way), or, naming none, a class that is or was the host's default.
      {
        name: 'host-ingressclasses',
        cluster: 'host',
        type: Resources.ingressClasses,
        whenKind: HOST_CLASSES_KIND,
        // Without a selector every class may be used: a class's change decides nothing here.
        keys: (cls) => (offeredClasses ? ingressesNaming(cls) : []),
      },
      // What shimView's verdict depends on (an offered ClusterIssuer, a tenant's Issuer or its copy)
      // retries the Ingresses naming it.
      // A class the tenant makes or removes decides whose status its Ingresses show.
      {
        name: 'virtual-ingressclasses',
        cluster: 'virtual',
        type: Resources.ingressClasses,
        unindexed: true,
        keys: ingressesNaming,
      },
      ...(hostCertManager
        ? shimDependencies(hostCertManager, where).map(({ naming, ...dependency }) => ({
            ...dependency,
            keys: (obj: KubeObject) => naming(obj, virtualIngresses?.store.list() ?? []).map(objectKey),
            unindexed: true,
          }))
        : []),
      // ingress-shim's Certificates, by the Ingress copy controlling them (see removeShimCertificates).
      ...(hostCertManager
        ? [
            {
              name: SHIM_RELATION,
              cluster: 'host' as const,
              type: CERTIFICATES,
              scope: { namespace: where.hostNamespace },
              // The syncer may not read them (Certificates not synced): the Ingress goes on without.
              optional: true,
              keys: (cert: KubeObject) => {
                const owner = controllingIngress(cert);
                const copy = owner && hostIngresses?.store.get(`${where.hostNamespace}/${owner.name}`);
                if (!copy || copy.metadata?.uid !== owner.uid) return [];
                const key = spec.mapper.sourceKeyOf(copy);
                return key ? [key] : [];
              },
            },
          ]
        : []),
      {
        name: 'secret-copies',
        cluster: 'host',
        type: Resources.secrets,
        scope: managed,
        whenKind: 'secrets',
        keys: namingTheOwnerOf('Secret', Resources.secrets),
      },
      {
        name: 'service-copies',
        cluster: 'host',
        type: Resources.services,
        scope: managed,
        whenKind: 'services',
        keys: namingTheOwnerOf('Service', Resources.services),
      },
      virtualObjectsRelation(Resources.services, 'services', naming('Service')),
      virtualObjectsRelation(Resources.secrets, 'secrets', naming('Secret')),
    ],

    setup(env, kinds) {
      judging = { env, kinds };
      // Only Services and Secrets are named by ingresses: judge against those kinds' copies.
      const peers = new Map(
        [...kinds].filter(([, k]) => ['Service', 'Secret'].includes(k.spec.virtualType.kind)),
      );
      judge = new ReferenceJudge(
        referenceTargets(peers, (peer) => ({
          host: env.informers.get(env.host, peer.hostType, managed),
          virtual: env.informers.get(env.virtual, peer.virtualType),
        })),
      );
      const selector = hostClassSelectorOf(kinds, HOST_CLASSES_KIND);
      offeredClasses = selector && {
        informer: env.informers.get(env.host, Resources.ingressClasses),
        selector,
      };
      virtualIngresses = env.informers.get(env.virtual, INGRESSES);
      virtualClasses = env.informers.get(env.virtual, Resources.ingressClasses);
      hostIngresses = env.informers.get(env.host, INGRESSES, managed);
      virtualIngresses.addIndexer(REFERENCE_INDEX, (ingress) =>
        ingressReferences(ingress, where).map((r) => referenceKey(r.kind, `${r.namespace}/${r.name}`)),
      );
    },

    async create(ctx, virtual): Promise<SyncResult> {
      return createHostCopy(ctx, spec, await desiredHost(ctx, virtual!));
    },

    async update(ctx, source, host): Promise<SyncResult> {
      const virtual = source!;
      const refusedClass = classRefusal(virtual);
      if (refusedClass) {
        // Its class was taken from the tenant (the selector changed): the host's controller must no
        // longer serve it.
        await deleteCopy(ctx, host);
        throw new TerminalError(`${refusedClass}; its host copy is removed`, CLASS_WITHHELD_REASON);
      }
      let desired: KubeObject;
      try {
        desired = await desiredHost(ctx, virtual, host);
      } catch (err) {
        if (!(err instanceof TerminalError)) throw err;
        // Refused now (changed, or by a syncer that refuses more than the one that made the copy):
        // the copy it had must not keep serving what is refused.
        await deleteCopy(ctx, host);
        throw new TerminalError(`${err.message}; its host copy is removed`, err.reason);
      }
      const plan = ctx.planMetadata(virtual, host, desired);
      const result: SyncResult = {};
      // Not issued for (any more): ingress-shim's Certificates for its copy go (removeShimCertificates).
      if (
        hostCertManager &&
        !asksIngressShim(desired) &&
        (await removeShimCertificates(ctx, host, ctx.related(SHIM_RELATION)))
      )
        result.hostWritten = true;
      if (plan.hostChanged || !hostSpecInSync(desired, host)) {
        await ctx.host.update(INGRESSES, ctx.hostNamespace, {
          ...host,
          metadata: { ...host.metadata, ...plan.host },
          spec: desired.spec,
        });
        result.hostWritten = true;
      }
      let latest = virtual;
      const ingressClassName = ingressClassFromHost(virtual, host);
      // The host's default class, filled in on the host copy, is shown only when the tenant could
      // name it: shown, a class not offered would read as the tenant's choice, refused next time.
      if (ingressClassName && !classRefusal({ ...virtual, spec: { ...specOf(virtual), ingressClassName } })) {
        latest = await ctx.virtual.update(INGRESSES, ctx.virtualNamespace, {
          ...virtual,
          spec: { ...specOf(virtual), ingressClassName },
        });
        result.virtualWritten = true;
      }
      if (!statusOfTenantController(ctx.key, virtual, host)) {
        const up = await writeLoadBalancerStatusUp(ctx, INGRESSES, virtual, latest, host);
        latest = up.latest;
        if (up.written) result.virtualWritten = true;
        if (statusShown.size >= STATUSES_REMEMBERED) statusShown.clear();
        statusShown.set(ctx.key, statusText(latest));
      }
      if (await writePlannedMetadataUp(ctx, INGRESSES, latest, plan)) result.virtualWritten = true;
      // A copy on its way not told yet (resolveReferences): looked at again once the grace is over.
      const recheck = copiesComing.takeRecheck(ctx.key);
      if (recheck !== undefined) result.requeueAfterMs = recheck;
      return result;
    },
  };
  return spec;
}
