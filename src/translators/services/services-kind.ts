import { TerminalError, WaitingError } from '../../controller/errors.ts';
import type { Informer } from '../../informer/informer.ts';
import { deleteIncarnation } from '../../kube/delete-incarnation.ts';
import { getIfExists } from '../../kube/get-if-exists.ts';
import { annotationBytes, MAX_ANNOTATION_BYTES, objectKey, type KubeObject } from '../../kube/object.ts';
import { isApiError, isInvalid, isNotFound } from '../../kube/errors.ts';
import {
  pendingRecreate,
  RECREATING_ANNOTATION,
  recreateRecord,
  type PendingRecreate,
} from './pending-recreate.ts';
import { Resources } from '../../kube/resources.ts';
import { CONTROL_PLANE_LOCAL_LABEL, OBJECT_UID_ANNOTATION } from '../../naming/labels.ts';
import { isControlledElsewhere } from '../../sync/controlled-elsewhere.ts';
import { createHostCopy } from '../../sync/engine.ts';
import type { KindSpec, Placement, ReconcileContext, SyncResult } from '../../sync/kind.ts';
import { managedCopiesScope, namespacedToHost, ownedVirtualKey } from '../../sync/mappers.ts';
import { writePlannedMetadataUp } from '../../sync/metadata-writes.ts';
import type { Clock } from '../../util/clock.ts';
import { sameJson } from '../shared/host-metadata.ts';
import {
  isRancherEndpointKey,
  RANCHER_ENDPOINT_KEYS,
  SERVICE_COPY_DENIED_KEYS,
} from '../../naming/denied-metadata.ts';
import { serviceDifferences } from './differences.ts';
import {
  BoundedKeep,
  hostCopiesNaming,
  hostReferrerRelations,
  MAX_NAMED_KEEP_MS,
  NAMED_COPY_RECHECK_MS,
} from '../shared/host-copies-naming.ts';
import { SERVICE_REFERRERS } from '../shared/referrer-copies.ts';
import { writeLoadBalancerStatusUp } from '../shared/load-balancer-status.ts';
import { malformedService } from '../shared/shape.ts';
import { externalNameRefusal, type EndpointAddressBounds } from '../shared/address-policy.ts';
import { serviceAnnotationsRefusal } from '../shared/host-object-annotations.ts';
import { SERVICE_NAME_LABEL, SLICE_MANAGED_BY_LABEL } from '../endpointslices/translate.ts';
import {
  askingForVirtualClusterIPs,
  askingForVirtualNodePorts,
  hostServiceFor,
  hostSpecInSync,
  needsRecreate,
  recreatedVirtualService,
  specOf,
  portKey,
  withHostNodePorts,
  type ServicePort,
} from './translate.ts';
import { clusterIPAskedFor, nodePortsAskedFor } from './asked-fields.ts';

const SERVICES = Resources.services;
const SLICES = Resources.endpointSlices;
/** The host's EndpointSlice controller, as the managed-by label of its slices names it. */
const HOST_SLICE_CONTROLLER = 'endpointslice-controller.k8s.io';
/** Index of the host controller's slices by the host Service they belong to. */
const CONTROLLER_SLICES = 'services/controller-slices';
/** The virtual API server's own Service: the virtual cluster's API stands behind the host Service `<vc>`. */
const KUBERNETES_SERVICE = 'default/kubernetes';
/** The kind's name, as vcluster.loft.sh/controlled-by names it (see isControlledElsewhere). */
const SERVICES_KIND = 'services';

/** A Service of the control plane's own (the metrics API's, naming localhost): no copy on the host. */
const isControlPlaneLocal = (virtual: KubeObject): boolean =>
  virtual.metadata?.labels?.[CONTROL_PLANE_LOCAL_LABEL] === 'true';

/**
 * Whether a virtual Service is one the syncer copies to the host: not the virtual API's own
 * `default/kubernetes` (the host Service of the control plane stands for it), nor the control plane's
 * own (the metrics API's, naming localhost: nothing on the host serves it), nor one another tool
 * controls (vcluster.loft.sh/controlled-by), which the engine leaves alone.
 */
export function getsHostCopy(virtual: KubeObject): boolean {
  return (
    objectKey(virtual) !== KUBERNETES_SERVICE &&
    !isControlPlaneLocal(virtual) &&
    !isControlledElsewhere(virtual, SERVICES_KIND)
  );
}
/** Re-creates that wait for another virtual Service to free the host's IP, before trying anyway. */
const MAX_IP_WAITS = 10;
/** How long a re-created selector-less Service's Endpoints are watched over (the controller is quick). */
const KEEP_ENDPOINTS_MS = 10_000;

/**
 * Writes the first of `attempts` the host accepts. Each asks for what the virtual Service has (its
 * cluster IPs, its node ports) and the next asks for less: an attempt the host finds invalid (taken,
 * or outside its range) gives way to the next, and the host allocates what the last one leaves out.
 * The last one's refusal is thrown.
 */
async function firstAccepted<T>(
  ctx: ReconcileContext,
  attempts: KubeObject[],
  write: (attempt: KubeObject) => Promise<T>,
): Promise<T> {
  for (const [i, attempt] of attempts.entries()) {
    try {
      return await write(attempt);
    } catch (err) {
      if (!isInvalid(err) || i === attempts.length - 1) throw err;
      ctx.log.debug('the host refused what the virtual Service has, letting it allocate', {
        err: String(err),
      });
    }
  }
  throw new Error('no attempt to write the Service');
}

/** The tenant's Service as it was, without a cluster IP: made should the replacement be refused. */
function originalOf(virtual: KubeObject, replacement: KubeObject): KubeObject {
  const original = { ...replacement, spec: { ...specOf(virtual) } } as KubeObject;
  delete (original.spec as Record<string, unknown>).clusterIP;
  delete (original.spec as Record<string, unknown>).clusterIPs;
  return original;
}

/**
 * The size the host copy's annotations would have with the record of a re-create (see
 * RECREATING_ANNOTATION): it holds the Service, its annotations included, so large ones may not fit.
 */
function recreateRecordSize(virtual: KubeObject, host: KubeObject): number {
  const replacement = recreatedVirtualService(virtual, host);
  const record = recreateRecord({
    uid: virtual.metadata?.uid ?? '',
    replacement,
    original: originalOf(virtual, replacement),
  });
  return annotationBytes({ ...host.metadata?.annotations, [RECREATING_ANNOTATION]: record });
}

/** A Service of the wrong shape is refused with the field named, before anything reads its spec. */
function refuseMalformed(virtual: KubeObject): void {
  const problem = malformedService(virtual);
  if (problem) throw new TerminalError(`malformed service: ${problem}`);
}

/**
 * Services, virtual → host, with the host's cluster IPs, node ports and load-balancer status back.
 * The host allocates addresses; a virtual Service whose cluster IP differs from its host copy's is
 * re-created with the host's (cluster IPs cannot change in place), so that clients in the virtual
 * cluster and on the host reach the same address.
 */
export function servicesKind(where: Placement, bounds: EndpointAddressBounds): KindSpec {
  const place = (ctx: ReconcileContext) => ({
    ...where,
    hostName: ctx.hostName,
    deniedHostMetadata: [
      ...(where.deniedHostMetadata ?? []),
      ...SERVICE_COPY_DENIED_KEYS,
      ...RANCHER_ENDPOINT_KEYS,
    ],
  });

  /**
   * Why the Service may not have a host copy, or undefined: an annotation the host's ingress
   * controllers read as configuration or as the name of a host object, or its ExternalName.
   */
  const refusalOf = (virtual: KubeObject): string | undefined => {
    const annotations = serviceAnnotationsRefusal(virtual.metadata?.annotations, where.hostNamespace);
    if (annotations) return annotations;
    const v = specOf(virtual);
    if (v.type !== 'ExternalName' || typeof v.externalName !== 'string') return undefined;
    const problem = externalNameRefusal(v.externalName, bounds, where.hostNamespace);
    return problem && `spec.externalName: ${problem}`;
  };
  /**
   * Tenant-written Endpoints of selector-less Services being re-created, by Service key. The virtual
   * endpoints controller deletes a Service's Endpoints once it sees the Service gone, which a
   * re-create makes it see; they are put back (only while missing) for a while after.
   */
  const endpointsToKeep = new Map<string, { endpoints: KubeObject; until: number }>();

  /** Puts back a re-created Service's Endpoints if they went; true when it wrote. */
  async function keepEndpoints(ctx: ReconcileContext): Promise<boolean> {
    const kept = endpointsToKeep.get(ctx.key);
    if (!kept) return false;
    if (ctx.clock.monotonicNow() > kept.until) {
      endpointsToKeep.delete(ctx.key);
      return false;
    }
    if (await getIfExists(ctx.virtual, Resources.endpoints, ctx.virtualNamespace, ctx.virtualName))
      return false;
    const { metadata, ...rest } = kept.endpoints;
    await ctx.virtual.create(Resources.endpoints, ctx.virtualNamespace, {
      ...rest,
      metadata: {
        name: metadata?.name,
        namespace: metadata?.namespace,
        labels: metadata?.labels,
        annotations: metadata?.annotations,
      },
    });
    ctx.log.info('put back the endpoints of the re-created service');
    return true;
  }

  /**
   * The virtual Service as the API server has it, with the managed fields the caches leave out (see
   * asked-fields.ts); read only when its IP or node ports are to be replaced. The cached one if the
   * read fails: nothing is told then.
   */
  async function withManagedFields(ctx: ReconcileContext, virtual: KubeObject): Promise<KubeObject> {
    try {
      const live = await ctx.virtual.get(SERVICES, ctx.virtualNamespace, ctx.virtualName);
      return live.metadata?.uid === virtual.metadata?.uid ? live : virtual;
    } catch {
      return virtual;
    }
  }

  /**
   * Tells the tenant of node ports its manifest asked for that the Service is to carry no more (the
   * host gave them to another of its Services): a re-apply would conflict, or take them back.
   */
  async function tellNodePortsTaken(
    ctx: ReconcileContext,
    virtual: KubeObject,
    ports: ServicePort[] | undefined,
  ): Promise<void> {
    const asked = nodePortsAskedFor(virtual);
    if (!asked.size) return;
    const given = new Map((ports ?? []).map((p) => [portKey(p), p.nodePort]));
    const replaced = (specOf(virtual).ports ?? []).filter(
      (p) => p.nodePort !== undefined && asked.has(portKey(p)) && given.get(portKey(p)) !== p.nodePort,
    );
    if (!replaced.length) return;
    await ctx.events.record(
      virtual,
      'Warning',
      'NodePortTaken',
      `node port(s) ${replaced.map((p) => `${p.nodePort} (port ${p.port})`).join(', ')} in use in the host cluster, whose nodes serve every tenant's: the Service has the host's ${replaced.map((p) => given.get(portKey(p)) ?? 'none').join(', ')}; leave nodePort out of its manifest, or ask for a free one`,
    );
  }

  /**
   * Replaces the virtual Service with one carrying the host's cluster IP. The delete and create run
   * back to back; if the create fails the tenant's Service is put back as it was (with an IP of the
   * virtual cluster's choosing) so nothing of theirs is lost, and the re-create is retried.
   */
  async function recreateVirtual(
    ctx: ReconcileContext,
    virtual: KubeObject,
    host: KubeObject,
  ): Promise<SyncResult> {
    const hostIP = specOf(host).clusterIP;
    const holder = ctx.informers
      .get(ctx.virtual, SERVICES)
      .store.list()
      .find((s) => s !== virtual && specOf(s).clusterIP === hostIP);
    if (holder && ctx.retries < MAX_IP_WAITS) {
      // Another virtual Service still holds that IP (the virtual API server chose it before the host
      // did); it is re-created with its own host IP soon, which frees this one.
      throw new WaitingError(`waiting for cluster IP ${hostIP} to be freed in the virtual cluster`);
    }
    const replacement = recreatedVirtualService(virtual, host);
    // Asked for by value (a manifest's clusterIP): the manifest now says an IP the Service cannot
    // have, and a re-apply is refused; without a word the tenant would not know why.
    // Not for kube-system's (k3s's own kube-dns asks for 10.96.0.10, which a host's DNS often holds):
    // the control plane's add-ons, whose manifests the tenant does not write.
    const asked = await withManagedFields(ctx, virtual);
    if (ctx.virtualNamespace !== 'kube-system' && clusterIPAskedFor(asked))
      await ctx.events.record(
        virtual,
        'Warning',
        'ClusterIPTaken',
        `cluster IP ${specOf(virtual).clusterIP} is in use in the host cluster, whose Services share the range: the Service is made again with ${hostIP}, its host copy's; leave spec.clusterIP out of its manifest (a cluster IP cannot change, so re-applying it is refused)`,
      );
    await tellNodePortsTaken(ctx, asked, specOf(replacement).ports);
    if (!specOf(virtual).selector) {
      const endpoints = await getIfExists(
        ctx.virtual,
        Resources.endpoints,
        ctx.virtualNamespace,
        ctx.virtualName,
      );
      if (endpoints)
        endpointsToKeep.set(ctx.key, { endpoints, until: ctx.clock.monotonicNow() + KEEP_ENDPOINTS_MS });
    }
    const original = originalOf(virtual, replacement);
    // Written down first: should the syncer stop before the new one is made, or the delete's answer
    // be lost, the next pass makes the Service again instead of deleting its host copy.
    const recorded = await recordOnCopy(ctx, host, {
      [RECREATING_ANNOTATION]: recreateRecord({ uid: virtual.metadata?.uid ?? '', replacement, original }),
    });
    if (!(await deletedForRecreate(ctx, virtual, recorded))) return { hostWritten: true };
    if (!(await makeAgain(ctx, recorded, { replacement, original }))) return { hostWritten: true };
    ctx.log.info('re-created the virtual service with the host cluster IP', { clusterIP: hostIP });
    await keepEndpoints(ctx);
    return {
      virtualWritten: true,
      hostWritten: true,
      ...(endpointsToKeep.has(ctx.key) ? { requeueAfterMs: 1000 } : {}),
    };
  }

  /**
   * Writes annotations on that very host copy (its UID: the name is ambiguous, and another object
   * could hold it by now); the copy as written.
   */
  function recordOnCopy(
    ctx: ReconcileContext,
    copy: KubeObject,
    annotations: Record<string, string | null>,
  ): Promise<KubeObject> {
    return ctx.host.patch(
      SERVICES,
      ctx.hostNamespace,
      ctx.hostName,
      { metadata: { uid: copy.metadata?.uid, annotations } },
      'merge',
    );
  }

  /**
   * Deletes the virtual Service for its re-create; whether the delete is the syncer's own (then the
   * Service is made again). Gone already, the tenant deleted it first: the record goes, and with it
   * the copy at the next pass. An answer lost (a timeout) is settled by reading the Service: still
   * there, the delete did not land and the record goes; gone, it did (or, in that same moment, the
   * tenant's did: then the Service comes back, which loses nothing).
   */
  async function deletedForRecreate(
    ctx: ReconcileContext,
    virtual: KubeObject,
    recorded: KubeObject,
  ): Promise<boolean> {
    const dropRecord = () => recordOnCopy(ctx, recorded, { [RECREATING_ANNOTATION]: null });
    try {
      await ctx.virtual.delete(SERVICES, ctx.virtualNamespace, ctx.virtualName, {
        uid: virtual.metadata?.uid,
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) {
        await dropRecord();
        return false;
      }
      // The answer to the delete was lost: what the Service is now says whether it landed (a read that
      // fails too leaves that open, and the delete's failure is the one told).
      let current: KubeObject | undefined;
      try {
        current = await getIfExists(ctx.virtual, SERVICES, ctx.virtualNamespace, ctx.virtualName);
      } catch {
        throw err;
      }
      if (current === undefined) return true;
      await dropRecord();
      throw err;
    }
  }

  /** Whether the tenant is deleting the Service's virtual namespace (it terminates, or is gone). */
  async function virtualNamespaceGoing(ctx: ReconcileContext): Promise<boolean> {
    const namespace = await getIfExists(ctx.virtual, Resources.namespaces, '', ctx.virtualNamespace);
    const phase = (namespace?.status as { phase?: string } | undefined)?.phase;
    return !namespace || namespace.metadata?.deletionTimestamp !== undefined || phase === 'Terminating';
  }

  /**
   * Makes the virtual Service a re-create deleted: with the host's cluster IP, or, refused, as the
   * tenant had it (with an IP of the virtual cluster's choosing; the re-create is tried again). The
   * host copy then records the new Service as its own, and the pending re-create goes. Both refused
   * because the tenant is deleting the namespace: the Service is not coming back, the copy goes as
   * any whose Service went, and undefined is returned (else the record would be tried for ever).
   */
  async function makeAgain(
    ctx: ReconcileContext,
    copy: KubeObject,
    pending: Pick<PendingRecreate, 'replacement' | 'original'>,
  ): Promise<KubeObject | undefined> {
    const named = (service: KubeObject): KubeObject => ({
      ...service,
      metadata: { ...service.metadata, name: ctx.virtualName, namespace: ctx.virtualNamespace },
    });
    let made: KubeObject;
    let refused: unknown;
    try {
      made = await ctx.virtual.create(SERVICES, ctx.virtualNamespace, named(pending.replacement));
    } catch (err) {
      refused = err;
      try {
        made = await ctx.virtual.create(SERVICES, ctx.virtualNamespace, named(pending.original));
      } catch (restoreErr) {
        if (await virtualNamespaceGoing(ctx)) {
          await deleteIncarnation(ctx.host, SERVICES, copy);
          ctx.log.info('did not make the virtual service again: its namespace is being deleted');
          return undefined;
        }
        // The virtual API server refused both (an admission webhook of the tenant's, say). The host
        // copy keeps the record: the next pass tries again, and never deletes the copy meanwhile.
        ctx.log.error('could not re-create the virtual service, nor put it back as it was', {
          err: String(err),
          restoreErr: String(restoreErr),
          service: JSON.stringify(pending.original),
        });
        throw restoreErr;
      }
    }
    ctx.expectSourceUid(made.metadata?.uid ?? '');
    // The host copy now stands for the new incarnation; without this it would look like a leftover.
    await recordOnCopy(ctx, copy, {
      [OBJECT_UID_ANNOTATION]: made.metadata?.uid ?? '',
      [RECREATING_ANNOTATION]: null,
    });
    if (refused) throw refused;
    return made;
  }

  /**
   * A host copy whose virtual Service is not there: made again when the copy records a re-create of
   * exactly the incarnation it stands for (the syncer deleted it, and stopped before making the new
   * one); otherwise deleted, as any copy whose Service went, once no host copy of a referrer names
   * it (keptBecause).
   */
  async function removeCopy(ctx: ReconcileContext, copy: KubeObject): Promise<SyncResult> {
    const pending = pendingRecreate(copy);
    const virtualThere = ctx.informers.get(ctx.virtual, SERVICES).store.get(ctx.key) !== undefined;
    if (!pending || virtualThere || pending.uid !== copy.metadata?.annotations?.[OBJECT_UID_ANNOTATION]) {
      const kept = keptBecause(ctx, copy);
      if (kept) {
        ctx.log.debug(`host copy kept for now: ${kept}`);
        return { requeueAfterMs: NAMED_COPY_RECHECK_MS };
      }
      const stillNamed = virtualThere ? undefined : namedBy?.(copy);
      if (stillNamed)
        ctx.log.info(
          `deleting the host copy though ${stillNamed}: its kind did not name it away within ${MAX_NAMED_KEEP_MS / 1000} s`,
        );
      await deleteIncarnation(ctx.host, SERVICES, copy);
      namedKeep.forget(copy);
      return { hostWritten: true };
    }
    try {
      if (!(await makeAgain(ctx, copy, pending))) return { hostWritten: true };
    } catch (err) {
      // Made meanwhile (the cache had not shown it): the next pass finds it.
      if (isApiError(err, 'alreadyExists')) return { requeueAfterMs: 1000 };
      throw err;
    }
    ctx.log.info('made the virtual service again: its re-create had been cut short');
    return { virtualWritten: true, hostWritten: true };
  }

  // Host informers, set in setup (relations may be asked before).
  let hostServices: Informer<KubeObject> | undefined;
  let hostSlices: Informer<KubeObject> | undefined;
  const selectorless = (copy: KubeObject) => Object.keys(specOf(copy).selector ?? {}).length === 0;
  let namedBy: ((copy: KubeObject) => string | undefined) | undefined;
  let clock: Clock | undefined;
  const namedKeep = new BoundedKeep(MAX_NAMED_KEEP_MS);

  /**
   * Why the copy of a Service that is gone (or gets no copy any more: withholds) stays a little
   * longer: a referrer's copy still names its host name (see hostCopiesNaming), and its kind renames
   * that away at its next reconcile. Only for such a Service (one that is to have its copy reads as
   * ready to its referrers, which would name its copy for as long as they are there), and for
   * MAX_NAMED_KEEP_MS at most: a referrer whose host
   * copy cannot be written (a host webhook refusing it) must not keep the copy, which still serves,
   * for good.
   */
  function keptBecause(ctx: ReconcileContext, copy: KubeObject): string | undefined {
    const virtual = ctx.informers.get(ctx.virtual, SERVICES).store.get(ctx.key);
    if (virtual !== undefined && getsHostCopy(virtual)) return undefined;
    return namedNow(copy);
  }

  /** Why a copy that is to go stays yet: a referrer's host copy names it, within MAX_NAMED_KEEP_MS. */
  const namedNow = (copy: KubeObject): string | undefined =>
    namedBy && clock ? namedKeep.reason(copy, clock.monotonicNow(), namedBy(copy)) : undefined;

  /**
   * The slices the host's EndpointSlice controller made for a host Service copy (that very object:
   * its UID is their owner). The controller copies the Service's labels onto its slices, so they are
   * in this virtual cluster's managed-by scope; they carry no back-reference, and are never the
   * syncer's copies (those are managed by the syncer's own name).
   */
  const controllerSlicesOf = (copy: KubeObject): KubeObject[] =>
    (hostSlices?.store.byIndex(CONTROLLER_SLICES, copy.metadata?.name ?? '') ?? []).filter((slice) =>
      (slice.metadata?.ownerReferences ?? []).some(
        (owner) => owner.kind === 'Service' && owner.uid !== undefined && owner.uid === copy.metadata?.uid,
      ),
    );

  /**
   * Deletes the host controller's slices of a host copy that has no selector: the controller stops
   * maintaining a Service's slices when its selector goes but does not delete them
   * (kubernetes/kubernetes#118376), so the pod IPs they list (which the host may give to anyone's pod
   * since) would go on receiving the Service's traffic. True when it deleted one.
   */
  async function deleteStaleSlices(ctx: ReconcileContext, copy: KubeObject): Promise<boolean> {
    const stale = controllerSlicesOf(copy);
    for (const slice of stale) await deleteIncarnation(ctx.host, SLICES, slice);
    if (stale.length)
      ctx.log.info("deleted the host controller's slices of the service, which lost its selector");
    return stale.length > 0;
  }

  /** A Service the syncer may delete and make again: one nobody else holds up or is deleting. */
  const mayRecreate = (virtual: KubeObject) =>
    !virtual.metadata?.deletionTimestamp && (virtual.metadata?.finalizers ?? []).length === 0;

  const mapper = namespacedToHost(SERVICES, where);
  const spec: KindSpec = {
    direction: 'both',
    virtualType: SERVICES,
    hostType: SERVICES,
    mapper,
    hostOnlyMetadata: { annotations: isRancherEndpointKey },
    relations: [
      ...hostReferrerRelations(SERVICE_REFERRERS, where, () => hostServices, mapper),
      // A stale slice of the host's controller (left when the selector went, or written by a
      // reconcile of the controller's in flight meanwhile) brings the selector-less Service back to
      // have it deleted.
      {
        name: 'host-controller-slices',
        cluster: 'host',
        type: SLICES,
        scope: managedCopiesScope(where),
        keys: (slice) => {
          const labels = slice.metadata?.labels ?? {};
          if (labels[SLICE_MANAGED_BY_LABEL] !== HOST_SLICE_CONTROLLER) return [];
          const copy = hostServices?.store.get(`${where.hostNamespace}/${labels[SERVICE_NAME_LABEL] ?? ''}`);
          const key = copy && selectorless(copy) ? ownedVirtualKey(copy, where, SERVICES) : undefined;
          return key ? [key] : [];
        },
      },
    ],

    setup(env, kinds) {
      hostServices = env.informers.get(env.host, SERVICES, managedCopiesScope(where));
      namedBy = hostCopiesNaming(env, kinds, SERVICE_REFERRERS, 'services-named', 'Service');
      clock = env.clock;
      hostSlices = env.informers.get(env.host, SLICES, managedCopiesScope(where));
      hostSlices.addIndexer(CONTROLLER_SLICES, (slice) => {
        const labels = slice.metadata?.labels ?? {};
        const service = labels[SERVICE_NAME_LABEL];
        return labels[SLICE_MANAGED_BY_LABEL] === HOST_SLICE_CONTROLLER && service ? [service] : [];
      });
    },

    wanted: (_ctx, virtual) => virtual !== undefined && getsHostCopy(virtual),
    // Refused as it is now, or made the control plane's own (which gets no copy): its referrers name
    // it no more before its copy goes.
    withholds: (virtual) =>
      malformedService(virtual) === undefined &&
      (refusalOf(virtual) !== undefined || isControlPlaneLocal(virtual)),
    remove: removeCopy,
    keptBecause,
    // The Service a re-create made, when the syncer stopped before its host copy recorded it: the
    // copy is its own (it carries the copy's cluster IP), taken over rather than made again.
    adoptsEarlierIncarnations: (source) => {
      const copy = source && hostServices?.store.get(spec.mapper.targetKey(objectKey(source), source) ?? '');
      const pending = copy && pendingRecreate(copy);
      return !!pending && specOf(source!).clusterIP === specOf(pending.replacement).clusterIP;
    },
    diff: (ctx, virtual, host) => serviceDifferences(virtual, host, place(ctx)),

    async create(ctx, virtual): Promise<SyncResult> {
      refuseMalformed(virtual!);
      const refusal = refusalOf(virtual!);
      if (refusal) throw new TerminalError(refusal);
      const copy = hostServiceFor(virtual!, place(ctx));
      // What the virtual Service has already (its cluster IPs, its node ports), asked for first, so that
      // it need not change; what the host refuses, it allocates.
      const withIPs = askingForVirtualClusterIPs(copy, virtual!);
      // Its node ports asked for without its IPs too: an IP the host holds must not lose it ports
      // that are free.
      const attempts = [
        askingForVirtualNodePorts(withIPs ?? copy, virtual!, { healthCheck: true }),
        withIPs,
        withIPs && askingForVirtualNodePorts(copy, virtual!, { healthCheck: true }),
        copy,
      ].filter((a): a is KubeObject => a !== undefined);
      return firstAccepted(ctx, attempts, (attempt) => createHostCopy(ctx, spec, attempt));
    },

    async update(ctx, source, host): Promise<SyncResult> {
      const virtual = source!;
      if (pendingRecreate(host)) {
        // A re-create cut short whose Service is there (made before the syncer stopped, or never
        // deleted): the copy stands for it, and the record goes (it would make a Service the tenant
        // deletes later come back).
        host = await recordOnCopy(ctx, host, {
          [OBJECT_UID_ANNOTATION]: virtual.metadata?.uid ?? '',
          [RECREATING_ANNOTATION]: null,
        });
      }
      refuseMalformed(virtual);
      const refusal = refusalOf(virtual);
      if (refusal) {
        // Changed to what it may not have (a name, an annotation): the copy goes rather than keep
        // serving what is refused now; once no referrer's copy names it (those kinds are told it is
        // withheld: spec.withholds), as for a Service that is gone (keptBecause).
        const named = namedNow(host);
        if (named) {
          ctx.log.debug(`host copy of the refused service kept for now: ${named}`);
          throw new TerminalError(refusal, 'SyncError', { retryAfterMs: NAMED_COPY_RECHECK_MS });
        }
        await deleteIncarnation(ctx.host, SERVICES, host);
        namedKeep.forget(host);
        throw new TerminalError(refusal);
      }
      if (needsRecreate(virtual, host)) {
        const recordSize = recreateRecordSize(virtual, host);
        if (mayRecreate(virtual) && recordSize <= MAX_ANNOTATION_BYTES)
          return recreateVirtual(ctx, virtual, host);
        if (recordSize > MAX_ANNOTATION_BYTES)
          // The record the re-create needs (the Service, on its host copy) would not fit there.
          await ctx.events.record(
            virtual,
            'Warning',
            'SyncError',
            `the host gave this Service cluster IP ${specOf(host).clusterIP}, but it cannot be re-created with it: the syncer records the Service on its host copy meanwhile, and with this Service's annotations (${annotationBytes(virtual.metadata?.annotations)} bytes) the copy's would be ${recordSize} bytes, over the host's ${MAX_ANNOTATION_BYTES}: pods dialing ${specOf(virtual).clusterIP} reach whatever host Service has that address, not this one; make its annotations smaller`,
            { once: true },
          );
        else
          // A delete would only mark it terminating, and whoever holds the finalizer would then
          // finish deleting the tenant's Service: it keeps its virtual IP, and the tenant is told.
          await ctx.events.record(
            virtual,
            'Warning',
            'SyncError',
            `the host gave this Service cluster IP ${specOf(host).clusterIP}, but it cannot be re-created with it while it has finalizers or is being deleted: pods dialing ${specOf(virtual).clusterIP} reach whatever host Service has that address, not this one; re-create it without finalizers`,
            { once: true },
          );
      }
      const result: SyncResult = {};
      if (await keepEndpoints(ctx)) result.virtualWritten = true;
      if (endpointsToKeep.has(ctx.key)) result.requeueAfterMs = 1000;
      const desired = hostServiceFor(virtual, place(ctx), host);
      const plan = ctx.planMetadata(virtual, host, desired);
      // Node ports the virtual Service has and the host copy lacks (a type changed to NodePort, a new
      // port, a tenant's new nodePort) are asked for first, as on create; what the host refuses, it
      // allocates, and the virtual Service takes that (below), so the ask is not made again.
      // The health-check port too while the host has none yet (a type or policy changed to
      // LoadBalancer with Local traffic): once allocated it stays.
      // So are the virtual Service's cluster IPs while the copy has none (an ExternalName turned
      // ClusterIP): granted, the tenant's Service need not be made again with the host's.
      const withIPs = askingForVirtualClusterIPs(desired, virtual);
      const healthCheck = { healthCheck: !specOf(host).healthCheckNodePort };
      const asking = askingForVirtualNodePorts(withIPs ?? desired, virtual, healthCheck);
      const portsOnly = withIPs && askingForVirtualNodePorts(desired, virtual, healthCheck);
      const attempts = [
        asking && !hostSpecInSync(asking, host) ? asking : undefined,
        withIPs,
        portsOnly && !hostSpecInSync(portsOnly, host) ? portsOnly : undefined,
        desired,
      ].filter((a): a is KubeObject => a !== undefined);
      const latestHost = await firstAccepted(ctx, attempts, async (attempt) => {
        // Refused the ports asked for, with nothing else to change: the copy stays as it is.
        if (!plan.hostChanged && hostSpecInSync(attempt, host)) return host;
        const written = await ctx.host.update(SERVICES, ctx.hostNamespace, {
          ...host,
          metadata: { ...host.metadata, ...plan.host },
          spec: attempt.spec,
        });
        result.hostWritten = true;
        return written;
      });
      if (selectorless(desired) && (await deleteStaleSlices(ctx, latestHost))) result.hostWritten = true;
      let latest = virtual;
      const v = specOf(virtual);
      const ports = withHostNodePorts(v, specOf(latestHost));
      if (!sameJson(ports, v.ports)) {
        await tellNodePortsTaken(ctx, await withManagedFields(ctx, virtual), ports);
        latest = await ctx.virtual.update(SERVICES, ctx.virtualNamespace, {
          ...virtual,
          spec: { ...v, ports },
        });
        result.virtualWritten = true;
      }
      const up = await writeLoadBalancerStatusUp(ctx, SERVICES, virtual, latest, host);
      latest = up.latest;
      if (up.written) result.virtualWritten = true;
      if (await writePlannedMetadataUp(ctx, SERVICES, latest, plan)) result.virtualWritten = true;
      return result;
    },
  };
  return spec;
}
