import { LRUCache } from 'lru-cache';
import { TerminalError, WaitingError } from '../../controller/errors.ts';
import type { Informer } from '../../informer/informer.ts';
import { objectKey, splitKey, type KubeObject } from '../../kube/object.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import type { LabelSelector } from '../../naming/labels.ts';
import { hostNameShort } from '../../naming/names.ts';
import { createHostCopy } from '../../sync/engine.ts';
import type { KindSpec, Placement, ReconcileContext, SyncResult } from '../../sync/kind.ts';
import {
  managedCopiesScope,
  namespacedToHost,
  ownedVirtualKey,
  recordedVirtualUid,
} from '../../sync/mappers.ts';
import { writePlannedMetadataUp } from '../../sync/metadata-writes.ts';
import { withMessagesScrubbed } from '../../sync/scrub.ts';
import {
  CLASS_WITHHELD_REASON,
  classWithheld,
  hostClassSelectorOf,
  isHostsOwnClass,
  offersClass,
} from '../shared/from-host.ts';
import { coversJson, sameJson } from '../shared/host-metadata.ts';
import { removeUnlessKept } from '../shared/remove-unless-kept.ts';
import {
  claimSpecOf,
  claimSpecPath,
  claimSpecProblem,
  deviceClassesOf,
  hostDraObjectFor,
  virtualClaimStatus,
  type ConsumerReference,
} from './translate.ts';
import { podDone, podNamesClaim, specClaimsOf } from './consumers.ts';

/** The kind that shows the host's device classes; with it on, a claim may name only those. */
export const HOST_DEVICE_CLASSES_KIND = 'host-deviceclasses';
/** Claims (or templates) by the device classes they name. */
const CLASS_INDEX = 'dra/device-classes';
/** Host pods by the claims (host names) they name. */
const NAMED_BY_HOST_PODS = 'dra/named-by-host-pods';

/** Whether the kind syncs ResourceClaimTemplates (their claim spec under spec.spec) or ResourceClaims. */
const isTemplate = (type: ResourceType) => type === Resources.resourceClaimTemplates;

/**
 * ResourceClaims or ResourceClaimTemplates, virtual → host; for claims, their allocation and
 * reservations back. A claim's devices are allocated by the host's scheduler from the host's
 * devices, so the classes a claim names are the host's: with host-deviceclasses on, only those it
 * shows (its selector) may be named, in vCluster's words otherwise. Admin access is never copied
 * (claimSpecProblem). Both kinds' specs are immutable: a copy of an earlier incarnation (the engine
 * tells by UID) is replaced, never edited.
 */
export function draKind(type: ResourceType, where: Placement): KindSpec {
  const templated = isTemplate(type);
  const path = claimSpecPath(templated);
  const place = (ctx: ReconcileContext) => ({ ...where, hostName: ctx.hostName });
  let hostClasses: Informer<KubeObject> | undefined;
  let offered: LabelSelector | undefined;
  let hostPods: Informer<KubeObject> | undefined;
  let virtualPods: Informer<KubeObject> | undefined;
  const words = templated ? 'resource claim template' : 'resource claim';
  /** The keys of the virtual objects naming a device class (filled by setup). */
  let byClass: (name: string) => string[] = () => [];
  /** The host copies of claims (the kind's own informer), read to find the claims a host pod names. */
  let hostCopies: Informer<KubeObject> | undefined;

  /** The virtual keys of the claims whose copies a host pod names. */
  function claimsNamedBy(pod: KubeObject): string[] {
    return specClaimsOf(pod).flatMap((name) => {
      const copy = hostCopies?.store.get(`${where.hostNamespace}/${name}`);
      const key = copy && ownedVirtualKey(copy, where, type);
      return key ? [key] : [];
    });
  }

  /** A spec the API server would refuse, or that asks for admin access, is refused with its field named. */
  function refuseMalformed(virtual: KubeObject): void {
    const problem = claimSpecProblem(claimSpecOf(virtual, templated), path);
    if (problem) throw new TerminalError(`malformed ${words}: ${problem}`);
  }

  /** The host copy to have; refused (with the field named) when the spec may not reach the host. */
  function desiredHost(ctx: ReconcileContext, virtual: KubeObject): KubeObject {
    refuseMalformed(virtual);
    const withheld = classWithheldFrom(virtual);
    if (withheld) throw withheld;
    return hostDraObjectFor(virtual, type, place(ctx));
  }

  /** The refusal of a well-formed spec naming a device class the host does not offer, if it does. */
  function classWithheldFrom(virtual: KubeObject): TerminalError | undefined {
    if (!hostClasses) return undefined;
    for (const cls of deviceClassesOf(claimSpecOf(virtual, templated), path)) {
      const host = hostClasses.store.get(cls.name);
      const exists = isHostsOwnClass(host);
      if (exists && offersClass(offered, host)) continue;
      return new TerminalError(
        classWithheld({ words, name: virtual.metadata?.name ?? '' }, 'DeviceClass', cls.name, exists),
        CLASS_WITHHELD_REASON,
      );
    }
    return undefined;
  }

  /** The virtual pod a host pod of the claim's namespace is the copy of, as a consumer reference. */
  function virtualPodOf(ctx: ReconcileContext, hostPodName: string) {
    const hostPod = hostPods?.store.get(`${ctx.hostNamespace}/${hostPodName}`);
    const owner = hostPod && ownedVirtualKey(hostPod, where, Resources.pods);
    if (!owner || splitKey(owner).namespace !== ctx.virtualNamespace) return undefined;
    const pod = virtualPods?.store.get(owner);
    const uid = pod?.metadata?.uid;
    // A copy recording no UID (an older syncer's) is taken as current, as the engine takes it.
    const recorded = recordedVirtualUid(hostPod);
    if (!uid || (recorded !== undefined && recorded !== uid)) return undefined;
    // One the virtual cluster's resourceclaim controller takes for done loses its reservation there.
    if (podDone(pod)) return undefined;
    return { name: pod.metadata?.name ?? '', uid };
  }

  /**
   * Reservations of the virtual claim that its own cluster's resourceclaim controller keeps: for a
   * pod that exists (that UID), is not done, is on a node and names the claim. It reserves an
   * allocated claim for such a pod, whether or not the pod reached the host; dropping those would
   * have the two write in turn for as long as the pod is held off the host.
   */
  function keptReservations(virtual: KubeObject): ConsumerReference[] {
    const reserved = (virtual.status as { reservedFor?: ConsumerReference[] } | undefined)?.reservedFor;
    if (!Array.isArray(reserved)) return [];
    const namespace = virtual.metadata?.namespace ?? '';
    return reserved.filter((r) => {
      if (!r || (r.apiGroup ?? '') !== '' || r.resource !== 'pods' || !r.name) return false;
      const pod = virtualPods?.store.get(`${namespace}/${r.name}`);
      return (
        pod !== undefined &&
        pod.metadata?.uid === r.uid &&
        !podDone(pod) &&
        !!(pod.spec as { nodeName?: string } | undefined)?.nodeName &&
        podNamesClaim(pod, virtual.metadata?.name ?? '')
      );
    });
  }

  /**
   * Why a claim's copy stays: a host pod names it. The virtual claim has no delete protection (no
   * scheduler allocates it there), so a tenant may delete one a pending pod names; were its copy to go,
   * another object's copy could take the (ambiguous) name and reach that pod.
   */
  function keptBecause(_ctx: ReconcileContext, copy: KubeObject): string | undefined {
    return (hostPods?.store.byIndex(NAMED_BY_HOST_PODS, copy.metadata?.name ?? '').length ?? 0) > 0
      ? 'a host pod still names it'
      : undefined;
  }

  /**
   * Writes the host's allocation up. The API keeps an allocation once set (it may only be removed):
   * one the host replaced (other devices) is removed first, with the reservations and device
   * statuses that need it. A virtual API server older than the host's drops the allocation fields it
   * does not know: what it kept of a status written for this very host status counts as written
   * (statusWritten), or the two would differ for ever and every reconcile write again.
   */
  async function writeStatusUp(ctx: ReconcileContext, virtual: KubeObject, host: KubeObject) {
    const wanted = virtualClaimStatus(host, (name) => virtualPodOf(ctx, name), keptReservations(virtual));
    if (!wanted) return undefined;
    const status = withMessagesScrubbed(wanted, where);
    const current = (virtual.status ?? {}) as Record<string, unknown>;
    const key = `${ctx.virtualNamespace}/${virtual.metadata?.name}`;
    const written = statusWritten.get(key);
    if (sameJson(status, current)) return undefined;
    if (written && written.asked === JSON.stringify(status) && written.kept === JSON.stringify(current))
      return undefined;
    let latest = virtual;
    // Replaced unless what the virtual claim holds is all in the new one (it may lack what an older
    // API server dropped): the host freed it and allocated anew, which the API takes only in two steps.
    if (current.allocation && status.allocation && !coversJson(current.allocation, status.allocation)) {
      const { allocation: _freed, reservedFor: _reserved, devices: _devices, ...rest } = current;
      latest = await ctx.virtual.update(
        type,
        ctx.virtualNamespace,
        { ...latest, status: rest },
        { subresource: 'status' },
      );
    }
    const stored = await ctx.virtual.update(
      type,
      ctx.virtualNamespace,
      { ...latest, status },
      { subresource: 'status' },
    );
    statusWritten.set(key, { asked: JSON.stringify(status), kept: JSON.stringify(stored.status ?? {}) });
    return stored;
  }

  /** Per virtual claim: the status last written, and what the virtual API server kept of it. */
  const statusWritten = new LRUCache<string, { asked: string; kept: string }>({
    maxSize: 10_000,
    sizeCalculation: () => 1,
  });

  const spec: KindSpec = {
    direction: templated ? 'to-host' : 'both',
    virtualType: type,
    hostType: type,
    // Named as vCluster names them: its short form (hostNameShort).
    mapper: namespacedToHost(type, where, {}, hostNameShort),
    relations: [
      // A claim refused for its class is tried again when a host class of that name changes.
      {
        name: 'host-deviceclasses',
        cluster: 'host',
        type: Resources.deviceClasses,
        whenKind: HOST_DEVICE_CLASSES_KIND,
        keys: (cls) => byClass(cls.metadata?.name ?? ''),
      },
      // A copy kept for a host pod naming it (keptBecause) is looked at again when that pod ends or
      // goes: removed, or replaced by the claim made again meanwhile.
      ...(templated
        ? []
        : [
            {
              name: 'host-pods',
              cluster: 'host' as const,
              type: Resources.pods,
              scope: managedCopiesScope(where),
              keys: (pod: KubeObject) => claimsNamedBy(pod),
              changed: (old: KubeObject, current: KubeObject) => podDone(old) !== podDone(current),
            },
          ]),
    ],

    setup(env, kinds) {
      if (kinds.has(HOST_DEVICE_CLASSES_KIND)) {
        hostClasses = env.informers.get(env.host, Resources.deviceClasses);
        offered = hostClassSelectorOf(kinds, HOST_DEVICE_CLASSES_KIND);
      }
      if (!templated) {
        hostPods = env.informers.get(env.host, Resources.pods, managedCopiesScope(where));
        // A pod that ended never prepares its claims again: it holds no copy.
        hostPods.addIndexer(NAMED_BY_HOST_PODS, (pod) => (podDone(pod) ? [] : specClaimsOf(pod)));
        hostCopies = env.informers.get(env.host, type, managedCopiesScope(where));
        virtualPods = env.informers.get(env.virtual, Resources.pods);
      }
      const virtualObjects = env.informers.get(env.virtual, type);
      virtualObjects.addIndexer(CLASS_INDEX, (obj) => {
        const claimSpec = claimSpecOf(obj, templated);
        return claimSpecProblem(claimSpec, path) ? [] : deviceClassesOf(claimSpec, path).map((c) => c.name);
      });
      byClass = (name) => virtualObjects.store.byIndex(CLASS_INDEX, name).map(objectKey);
    },

    keptBecause,
    remove: (ctx, copy) => removeUnlessKept(type, keptBecause)(ctx, copy),

    async create(ctx, virtual): Promise<SyncResult> {
      return createHostCopy(ctx, spec, desiredHost(ctx, virtual!));
    },

    async update(ctx, source, host): Promise<SyncResult> {
      const virtual = source!;
      refuseMalformed(virtual);
      // A copy of an earlier claim of the name, kept while a host pod names it (keptBecause), is not
      // taken over: its spec (not compared) and allocation are the earlier claim's. Its pod goes first.
      const recorded = recordedVirtualUid(host);
      if (recorded !== undefined && recorded !== virtual.metadata?.uid)
        throw new WaitingError(
          `the host still holds the copy of an earlier ${words} of this name, which a pod names; it is replaced once that pod is gone`,
        );
      // A class the admin withholds since the copy was made: a copy not allocated yet goes (the host
      // would allocate from that class), unless a host pod already names it (its name must not be
      // freed under that pod: see keptBecause); the tenant is told either way. An allocated copy keeps
      // its device, and its status flows.
      const withheld = classWithheldFrom(virtual);
      const allocatedOnHost = !!(host.status as { allocation?: unknown } | undefined)?.allocation;
      if (withheld && !allocatedOnHost && keptBecause(ctx, host)) throw withheld;
      if (withheld && !allocatedOnHost) {
        await ctx.host.delete(type, ctx.hostNamespace, host.metadata?.name ?? '', {
          uid: host.metadata?.uid,
        });
        // What the tenant sees of it goes with it: no device is allocated to the claim any more.
        if (!templated && virtual.status && Object.keys(virtual.status).length)
          await ctx.virtual.update(
            type,
            ctx.virtualNamespace,
            { ...virtual, status: {} },
            { subresource: 'status' },
          );
        throw withheld;
      }
      // The spec is not compared: immutable on both sides, a copy of another spec is an earlier
      // incarnation's, which the engine replaces by UID; and API servers of two versions default it
      // differently, which a comparison would take for a change and replace for ever.
      const desired = hostDraObjectFor(virtual, type, place(ctx));
      const result: SyncResult = {};
      const plan = ctx.planMetadata(virtual, host, desired);
      if (plan.hostChanged) {
        await ctx.host.update(type, ctx.hostNamespace, {
          ...host,
          metadata: { ...host.metadata, ...plan.host },
        });
        result.hostWritten = true;
      }
      let latest = virtual;
      if (!templated) {
        const written = await writeStatusUp(ctx, virtual, host);
        if (written) {
          latest = written;
          result.virtualWritten = true;
        }
      }
      if (await writePlannedMetadataUp(ctx, type, latest, plan)) result.virtualWritten = true;
      return result;
    },
  };
  return spec;
}
