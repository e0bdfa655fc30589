import { TerminalError } from '../../controller/errors.ts';
import type { Informer } from '../../informer/informer.ts';
import { isApiError, isNotFound } from '../../kube/errors.ts';
import { objectKey, splitKey, type KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import type { KindSpec, ReconcileContext, Relation, SyncResult } from '../../sync/kind.ts';
import { objectScope, unreadableHostScope } from '../../sync/host-watch.ts';
import { recordedHostKey } from '../shared/from-host.ts';
import { specOf } from '../services/translate.ts';
import { malformedService } from '../shared/shape.ts';
import { ensureVirtualNamespace } from '../shared/virtual-namespace.ts';
import { reversed, type ServiceMappings } from './mappings.ts';
import {
  hostServiceRefusal,
  MAPPED_VIRTUAL_SERVICES,
  isVirtualReplica,
  virtualEndpointsInSync,
  virtualEndpointsOf,
  virtualReplicaInSync,
  virtualReplicaOf,
  withReplicaMarks,
} from './replicas.ts';
import {
  isVclusterLeftover,
  leftoverAdoptedMessage,
  leftoverDeletedMessage,
  leftoverSourceKey,
} from './vcluster-leftovers.ts';

const SERVICES = Resources.services;
const ENDPOINTS = Resources.endpoints;

/**
 * `--map-host-service host-ns/name=virtual-ns/name`: a host Service (of any host namespace the admin
 * names) shown in the virtual cluster as a headless Service whose Endpoints are the host Service's
 * cluster IP, so a tenant's pod resolves the virtual name and dials the host Service itself. The
 * virtual namespace is made when missing, as vCluster does. A tenant's own Service or Endpoints of
 * that name is never touched (the mapping waits, with the reason logged, until it goes); a tenant's
 * edit of the replica is reverted; the replica goes when the host Service does, or its mapping.
 * Replicas vCluster left (see vcluster-leftovers.ts) are taken over at a mapped name, deleted
 * elsewhere: the kind watches every virtual Service, so this holds at start and whenever one appears.
 */
export function mappedHostServicesKind(mappings: ServiceMappings): KindSpec {
  const virtualKeys = reversed(mappings);
  let virtualEndpoints: Informer<KubeObject>;
  /** The host Endpoints informer of each mapped host Service (each watched alone, by name). */
  const hostEndpoints = new Map<string, Informer<KubeObject>>();
  const hostEndpointsOf = (hostKey: string) => hostEndpoints.get(hostKey)?.store.get(hostKey);

  /** Creates or brings in line the replica's Endpoints (a tenant's own of that name stays untouched). */
  async function writeEndpoints(ctx: ReconcileContext, host: KubeObject): Promise<boolean> {
    const desired = virtualEndpointsOf(host, ctx.virtualKey, hostEndpointsOf(ctx.key));
    const current = virtualEndpoints.store.get(ctx.virtualKey);
    if (!desired) {
      if (!current || !isVirtualReplica(current)) return false;
      await ctx.virtual.delete(ENDPOINTS, ctx.virtualNamespace, ctx.virtualName, {
        uid: current.metadata?.uid,
      });
      return true;
    }
    if (!current) {
      await ctx.virtual.create(ENDPOINTS, ctx.virtualNamespace, desired);
      return true;
    }
    // vCluster's Endpoints of a replica taken over are taken over with it.
    if (!isVirtualReplica(current) && !isVclusterLeftover(current))
      throw new TerminalError(
        `virtual Endpoints ${ctx.virtualKey} exist and are not the replica's: delete them, or map the host Service to another name`,
      );
    if (virtualEndpointsInSync(desired, current)) return false;
    await ctx.virtual.update(ENDPOINTS, ctx.virtualNamespace, {
      ...current,
      metadata: withReplicaMarks(current, desired),
      subsets: desired.subsets,
    });
    return true;
  }

  function checked(host: KubeObject): KubeObject {
    const problem = malformedService(host);
    if (problem) throw new TerminalError(`malformed host Service ${objectKey(host)}: ${problem}`);
    const refusal = hostServiceRefusal(host);
    if (refusal) throw new TerminalError(`host Service ${objectKey(host)}: ${refusal}`);
    return host;
  }

  const mappedServices = [...mappings.keys()];
  // Each mapped host Service alone: a Role naming those Services is all the syncer needs.
  const watch = { namespaces: [], objects: mappedServices };
  // The host Endpoints of each mapped host Service (a headless one's addresses), watched alone.
  const endpointRelations: Relation[] = mappedServices.map((hostKey) => ({
    name: `host-endpoints-${hostKey}`,
    cluster: 'host',
    type: ENDPOINTS,
    scope: objectScope(splitKey(hostKey)),
    keys: (ep) => (objectKey(ep) === hostKey ? [hostKey] : []),
  }));

  const spec: KindSpec = {
    direction: 'from-host',
    virtualType: SERVICES,
    replica: true,
    // What another virtual cluster exposes under a host name is made to be mapped (vCluster's way
    // for two virtual clusters to talk).
    sourcesOf: [MAPPED_VIRTUAL_SERVICES],
    hostType: SERVICES,
    hostWatch: watch,
    // A mapped Service the syncer may not read holds up this kind alone, with the reason logged.
    prepare: (env) => unreadableHostScope(env, [SERVICES, ENDPOINTS], watch),
    mapper: {
      targetKey: (hostKey) => mappings.get(hostKey),
      // Every replica, mapped or not (by the host Service it records): one whose mapping was changed
      // or removed is then a stale copy, and goes. And vCluster's, which record none.
      sourceKeyOf: (virtual) =>
        isVirtualReplica(virtual) ? recordedHostKey(virtual) : leftoverSourceKey(virtual, virtualKeys),
      // A tenant's own Service that held the mapped name is gone: the host Service may show there.
      sourceKeysFor: (virtualKey) => {
        const hostKey = virtualKeys.get(virtualKey);
        return hostKey ? [hostKey] : [];
      },
    },
    relations: [
      ...endpointRelations,
      // A tenant's edit of the replica's Endpoints (or their deletion) is reverted.
      {
        name: 'virtual-endpoints',
        cluster: 'virtual',
        type: ENDPOINTS,
        keys: (ep) => {
          const hostKey = virtualKeys.get(objectKey(ep));
          return hostKey ? [hostKey] : [];
        },
      },
    ],

    setup(env) {
      virtualEndpoints = env.informers.get(env.virtual, ENDPOINTS);
      for (const hostKey of mappedServices)
        hostEndpoints.set(hostKey, env.informers.get(env.host, ENDPOINTS, objectScope(splitKey(hostKey))));
    },

    wanted: (ctx, host) => host !== undefined && !host.metadata?.deletionTimestamp && mappings.has(ctx.key),

    async create(ctx, source): Promise<SyncResult> {
      const host = checked(source!);
      const madeNamespace = await ensureVirtualNamespace(ctx, ctx.virtualNamespace);
      try {
        await ctx.virtual.create(SERVICES, ctx.virtualNamespace, virtualReplicaOf(host, ctx.virtualKey));
      } catch (err) {
        if (!isApiError(err, 'alreadyExists')) throw err;
        throw new TerminalError(
          `virtual Service ${ctx.virtualKey} exists and is not the replica of host Service ${ctx.key}: delete it, or map the host Service to another name`,
        );
      }
      await writeEndpoints(ctx, host);
      ctx.log.info(
        `replicated host Service ${ctx.key} as ${ctx.virtualKey}${madeNamespace ? ' (namespace made)' : ''}`,
      );
      return { virtualWritten: true, createdTarget: true };
    },

    async update(ctx, source, current): Promise<SyncResult> {
      const refusal = hostServiceRefusal(source!);
      if (refusal) {
        // Refused since it was replicated (or by a syncer that refused less): the replica goes.
        await spec.remove!(ctx, current);
        throw new TerminalError(`host Service ${objectKey(source!)}: ${refusal}; its replica was deleted`);
      }
      const host = checked(source!);
      const desired = virtualReplicaOf(host, ctx.virtualKey);
      if (isVclusterLeftover(current)) {
        const message = leftoverAdoptedMessage(ctx.key);
        ctx.log.info(`virtual Service ${ctx.virtualKey} ${message}`);
        await ctx.events.record(current, 'Normal', 'ReplicaTakenOver', message, { once: true });
      }
      let written = false;
      if (!virtualReplicaInSync(desired, current)) {
        const shape = (o: KubeObject) => `${specOf(o).type ?? 'ClusterIP'}/${specOf(o).clusterIP === 'None'}`;
        if (shape(current) !== shape(desired)) {
          // A cluster IP cannot be taken off, nor a type turned into ExternalName in place:
          // replace the replica (its delete event brings the key back).
          await ctx.virtual.delete(SERVICES, ctx.virtualNamespace, ctx.virtualName, {
            uid: current.metadata?.uid,
          });
          return { virtualWritten: true };
        }
        await ctx.virtual.update(SERVICES, ctx.virtualNamespace, {
          ...current,
          metadata: withReplicaMarks(current, desired),
          spec: {
            ...(current.spec as object),
            ports: specOf(desired).ports,
            ...(specOf(desired).externalName ? { externalName: specOf(desired).externalName } : {}),
          },
        });
        written = true;
      }
      if (await writeEndpoints(ctx, host)) written = true;
      return written ? { virtualWritten: true } : {};
    },

    async remove(ctx, current): Promise<SyncResult> {
      const { namespace, name } = splitKey(objectKey(current));
      if (isVclusterLeftover(current)) {
        // The label is all that says vCluster made it, and a tenant may have put it on its own
        // Service: the tenant is told, on the Service, why it went.
        const message = leftoverDeletedMessage(virtualKeys.get(objectKey(current)));
        ctx.log.info(`virtual Service ${objectKey(current)} ${message}`);
        await ctx.events.record(current, 'Warning', 'ReplicaDeleted', message, { once: true });
      }
      try {
        await ctx.virtual.delete(SERVICES, namespace, name, { uid: current.metadata?.uid });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const endpoints = virtualEndpoints.store.get(objectKey(current));
      if (endpoints && (isVirtualReplica(endpoints) || isVclusterLeftover(endpoints))) {
        try {
          await ctx.virtual.delete(ENDPOINTS, namespace, name, { uid: endpoints.metadata?.uid });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return { virtualWritten: true };
    },
  };
  return spec;
}
