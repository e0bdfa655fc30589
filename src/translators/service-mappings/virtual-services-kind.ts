import { TerminalError } from '../../controller/errors.ts';
import { type KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { createHostCopy } from '../../sync/engine.ts';
import type { KindSpec, Placement } from '../../sync/kind.ts';
import { specOf } from '../services/translate.ts';
import { malformedService } from '../shared/shape.ts';
import { type ServiceMappings } from './mappings.ts';
import { hostReplicaInSync, hostReplicaOf, isHostReplica, REPLICA_OF_ANNOTATION } from './replicas.ts';

const SERVICES = Resources.services;

/**
 * `--map-virtual-service virtual-ns/name=host-name`: a tenant's Service replicated in the host
 * namespace under a name the host's admin chose, so host workloads reach the tenant's pods by a
 * fixed name (vCluster's replicateServices.toHost). The replica selects the same host pods as the
 * Service's own copy; it is made, changed and deleted with the virtual Service, and with its mapping
 * (the kind always runs, on the informers the services kind has anyway, so a replica whose mapping
 * was removed is deleted at the next start). A host object of that name that is not this replica is
 * never touched.
 */
export function mappedVirtualServicesKind(mappings: ServiceMappings, where: Placement): KindSpec {
  const refuse = (virtual: KubeObject) => {
    const problem = malformedService(virtual);
    if (problem) throw new TerminalError(`malformed service: ${problem}`);
    const s = specOf(virtual);
    if (s.type === 'ExternalName')
      throw new TerminalError(
        'an ExternalName Service selects no pods: it has nothing to replicate on the host',
      );
    if (!s.selector || Object.keys(s.selector).length === 0)
      throw new TerminalError(
        'the Service has no selector: its host replica would select no pods (map a Service with a selector)',
      );
  };

  const spec: KindSpec = {
    direction: 'to-host',
    virtualType: SERVICES,
    replica: true,
    hostType: SERVICES,
    mapper: {
      targetKey: (virtualKey) => mappings.get(virtualKey),
      // Every replica of this virtual cluster, mapped or not: one whose mapping was changed or
      // removed is then a stale copy of its Service, and goes.
      sourceKeyOf: (host) =>
        isHostReplica(host, where) ? host.metadata?.annotations?.[REPLICA_OF_ANNOTATION] : undefined,
    },

    wanted: (ctx, virtual) =>
      virtual !== undefined && !virtual.metadata?.deletionTimestamp && mappings.has(ctx.key),

    async create(ctx, virtual) {
      refuse(virtual!);
      return createHostCopy(
        ctx,
        spec,
        hostReplicaOf(virtual!, `${ctx.hostNamespace}/${ctx.hostName}`, where),
      );
    },

    async update(ctx, virtual, current) {
      try {
        refuse(virtual!);
      } catch (err) {
        // The Service no longer selects pods the replica could reach: the replica, which still
        // routes to the pods it selected, goes, and the tenant is told why.
        await ctx.host.delete(SERVICES, ctx.hostNamespace, ctx.hostName, { uid: current.metadata?.uid });
        throw err;
      }
      const desired = hostReplicaOf(virtual!, `${ctx.hostNamespace}/${ctx.hostName}`, where);
      if (hostReplicaInSync(desired, current)) return {};
      const headless = (o: KubeObject) => specOf(o).clusterIP === 'None';
      if (headless(desired) !== headless(current)) {
        // A cluster IP cannot be added or taken off in place: replace the replica.
        await ctx.host.delete(SERVICES, ctx.hostNamespace, ctx.hostName, { uid: current.metadata?.uid });
        return { hostWritten: true };
      }
      const s = specOf(desired);
      await ctx.host.update(SERVICES, ctx.hostNamespace, {
        ...current,
        spec: {
          ...(current.spec as object),
          ports: s.ports,
          selector: s.selector,
          publishNotReadyAddresses: s.publishNotReadyAddresses,
        },
      });
      return { hostWritten: true };
    },
  };
  return spec;
}
