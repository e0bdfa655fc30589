import type { Informer } from '../../informer/informer.ts';
import { isNotFound } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import type { Pod } from '../../kube/types.ts';
import { MANAGED_BY_LABEL } from '../../naming/labels.ts';
import { explainAlreadyExists } from '../../sync/engine.ts';
import type { KindSpec, Placement, ReconcileContext, SyncEnvironment, SyncResult } from '../../sync/kind.ts';
import { namespacedToHost } from '../../sync/mappers.ts';
import type { MetadataPlan } from '../../sync/metadata-sync.ts';
import { writeVirtualMetadata } from '../../sync/metadata-writes.ts';
import { sameJson } from '../shared/host-metadata.ts';
import { missingReferenceMessage, missingReferences } from './references.ts';
import { parseToleration, serviceLinkEnv } from './service-env.ts';
import { PodTokens, tokenSecretName } from './tokens.ts';
import {
  podStatusForVirtual,
  podUpdatesForHost,
  translatePodToHost,
  type PodTranslationContext,
} from './translate.ts';

/** Not an error of the pod: something it needs is not there yet. Retried with backoff. */
export class WaitingError extends Error {}

interface PodSpecLite {
  nodeName?: string;
  enableServiceLinks?: boolean;
}

const specOf = (pod: KubeObject): PodSpecLite => (pod.spec ?? {}) as PodSpecLite;
const asPod = (obj: KubeObject): Pod => obj as unknown as Pod;

/** The pods kind's own settings. */
export interface PodOptions {
  clusterDomain: string;
  clusterDnsIp: string;
  virtualApiService: string;
  workloadServiceAccount: string;
  enforceTolerations: string[];
  deniedPodMetadata: string[];
  hostsRewriteImage: string;
}

/**
 * Pods: spec down, status up, binding, tokens, and deletion both ways. The pure translation lives in
 * translate.ts; this file decides which writes a situation needs and makes them.
 */
export function podKind(config: PodOptions, where: Placement): KindSpec {
  let virtualServices: Informer<KubeObject>;
  let virtualNamespaces: Informer<KubeObject>;
  let hostServices: Informer<KubeObject>;
  let virtualSecrets: Informer<KubeObject>;
  let virtualConfigMaps: Informer<KubeObject>;
  let tokens: PodTokens;
  const enforcedTolerations = config.enforceTolerations.map(parseToleration);

  /** Everything the pure translation needs that comes from other objects. */
  function translationContext(ctx: ReconcileContext, virtualPod: KubeObject): PodTranslationContext {
    const apiService = hostServices.store.get(`${ctx.hostNamespace}/${config.virtualApiService}`);
    const apiSpec = (apiService?.spec ?? {}) as { clusterIP?: string; ports?: { port: number }[] };
    if (!apiSpec.clusterIP || apiSpec.clusterIP === 'None') {
      throw new WaitingError(
        `waiting for the virtual API service ${config.virtualApiService} to get a cluster IP`,
      );
    }
    const dnsIP =
      config.clusterDnsIp ||
      ((virtualServices.store.get('kube-system/kube-dns')?.spec ?? {}) as { clusterIP?: string }).clusterIP;
    if (!dnsIP)
      throw new WaitingError(
        'waiting for the virtual cluster DNS service kube-system/kube-dns (or set --cluster-dns-ip)',
      );
    const namespace = ctx.virtualNamespace;
    const services =
      specOf(virtualPod).enableServiceLinks === false
        ? []
        : virtualServices.store.list().filter((s) => s.metadata?.namespace === namespace);
    return {
      vcName: ctx.vcName,
      hostNamespace: ctx.hostNamespace,
      virtualNamespaceLabels: virtualNamespaces.store.get(namespace)?.metadata?.labels ?? {},
      workloadServiceAccount: config.workloadServiceAccount,
      dnsServiceIP: dnsIP,
      clusterDomain: config.clusterDomain,
      virtualApiServiceIP: apiSpec.clusterIP,
      virtualApiServicePort: apiSpec.ports?.[0]?.port ?? 443,
      serviceEnv: serviceLinkEnv(services),
      enforcedTolerations,
      deniedMetadataKeys: config.deniedPodMetadata,
      hostsRewriteImage: config.hostsRewriteImage || undefined,
      tokenSecretNameFor: (volumeName: string, sourceIndex: number) =>
        tokenSecretName(ctx.hostName, volumeName, sourceIndex),
    };
  }

  async function deletePod(
    ctx: ReconcileContext,
    cluster: 'host' | 'virtual',
    pod: KubeObject,
    gracePeriodSeconds?: number,
  ): Promise<void> {
    const client = cluster === 'host' ? ctx.host : ctx.virtual;
    const namespace = cluster === 'host' ? ctx.hostNamespace : ctx.virtualNamespace;
    try {
      await client.delete(Resources.pods, namespace, pod.metadata?.name ?? '', {
        uid: pod.metadata?.uid,
        gracePeriodSeconds,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  const spec: KindSpec = {
    direction: 'both',
    virtualType: Resources.pods,
    hostType: Resources.pods,
    mapper: namespacedToHost(Resources.pods, where),

    setup(env: SyncEnvironment) {
      virtualServices = env.informers.get(env.virtual, Resources.services);
      virtualNamespaces = env.informers.get(env.virtual, Resources.namespaces);
      hostServices = env.informers.get(env.host, Resources.services, { namespace: env.hostNamespace });
      virtualSecrets = env.informers.get(env.virtual, Resources.secrets);
      virtualConfigMaps = env.informers.get(env.virtual, Resources.configMaps);
      tokens = new PodTokens(
        env.informers.get(env.host, Resources.secrets, {
          namespace: env.hostNamespace,
          labelSelector: `${MANAGED_BY_LABEL}=${env.vcName}`,
        }),
      );
    },

    async create(ctx, source): Promise<SyncResult> {
      const virtualPod = source!;
      if (virtualPod.metadata?.deletionTimestamp) {
        // Being deleted and nothing runs on the host: finish the deletion for the missing kubelet.
        await deletePod(ctx, 'virtual', virtualPod, 0);
        return { virtualWritten: true };
      }
      if (
        specOf(virtualPod).nodeName &&
        (virtualPod.status as { startTime?: string } | undefined)?.startTime
      ) {
        // It ran on the host (it has a start time) and its host pod is gone (evicted, deleted by hand, node lost): like a
        // pod whose node vanished, it is deleted so its controller replaces it.
        ctx.log.info('host pod disappeared, deleting the virtual pod');
        await deletePod(ctx, 'virtual', virtualPod, 0);
        return { virtualWritten: true };
      }
      // Like a kubelet, say what is missing; the pod is synced anyway and starts once it appears.
      const ns = ctx.virtualNamespace;
      const missing = missingReferences(
        virtualPod,
        (kind, name) =>
          (kind === 'secret' ? virtualSecrets : virtualConfigMaps).store.get(`${ns}/${name}`) !== undefined,
      );
      for (const ref of missing) {
        const { reason, message } = missingReferenceMessage(ref);
        await ctx.events.record(virtualPod, 'Warning', reason, message);
      }
      const hostPod = translatePodToHost(
        asPod(virtualPod),
        translationContext(ctx, virtualPod),
      ) as unknown as KubeObject;
      let created: KubeObject;
      try {
        created = await ctx.host.create(Resources.pods, ctx.hostNamespace, hostPod);
      } catch (err) {
        return explainAlreadyExists(ctx, spec, err);
      }
      const minted = await tokens.ensure(ctx, virtualPod, created);
      return { hostWritten: true, requeueAfterMs: minted.nextCheckMs };
    },

    async update(ctx, source, hostPod): Promise<SyncResult> {
      const virtualPod = source!;
      if (virtualPod.metadata?.deletionTimestamp) {
        if (hostPod.metadata?.deletionTimestamp) return {};
        await deletePod(ctx, 'host', hostPod, virtualPod.metadata.deletionGracePeriodSeconds);
        return { hostWritten: true };
      }
      if (hostPod.metadata?.deletionTimestamp) {
        await deletePod(ctx, 'virtual', virtualPod, hostPod.metadata.deletionGracePeriodSeconds);
        return { virtualWritten: true };
      }
      const result: SyncResult = {};
      const hostNode = specOf(hostPod).nodeName;
      if (hostNode && !specOf(virtualPod).nodeName) {
        await ctx.virtual.create(
          Resources.pods,
          ctx.virtualNamespace,
          {
            apiVersion: 'v1',
            kind: 'Binding',
            metadata: {
              name: ctx.virtualName,
              namespace: ctx.virtualNamespace,
              uid: virtualPod.metadata?.uid,
            },
            target: { apiVersion: 'v1', kind: 'Node', name: hostNode },
          },
          { subresource: 'binding', name: ctx.virtualName },
        );
        // The binding changed the pod's resourceVersion; its update event brings us back for the status.
        return { virtualWritten: true };
      }
      const status = podStatusForVirtual(asPod(hostPod), asPod(virtualPod));
      // A metadata write after the status write must carry the resourceVersion the status write left.
      let latestVirtualPod = virtualPod;
      if (!sameJson(status, virtualPod.status)) {
        latestVirtualPod = await ctx.virtual.update(
          Resources.pods,
          ctx.virtualNamespace,
          { ...virtualPod, status },
          { subresource: 'status' },
        );
        result.virtualWritten = true;
      }
      let plan: MetadataPlan | undefined;
      const update = podUpdatesForHost(
        asPod(virtualPod),
        asPod(hostPod),
        translationContext(ctx, virtualPod),
        (desired) => {
          plan = ctx.planMetadata(virtualPod, hostPod, desired as unknown as KubeObject);
          return plan.host;
        },
      );
      if (plan?.virtualChanged && plan.virtual) {
        // Labels or annotations changed on the host since the last sync flow up to the tenant's pod.
        await writeVirtualMetadata(ctx, Resources.pods, latestVirtualPod, plan.virtual);
        result.virtualWritten = true;
      }
      // The ephemeral-container write must carry the resourceVersion the spec write left behind.
      let latestHostPod = hostPod;
      if (update.changed) {
        latestHostPod = await ctx.host.update(
          Resources.pods,
          ctx.hostNamespace,
          update.pod as unknown as KubeObject,
        );
        result.hostWritten = true;
      }
      if (update.ephemeralContainers) {
        await ctx.host.update(
          Resources.pods,
          ctx.hostNamespace,
          {
            ...latestHostPod,
            spec: { ...(latestHostPod.spec as object), ephemeralContainers: update.ephemeralContainers },
          },
          { subresource: 'ephemeralcontainers' },
        );
        result.hostWritten = true;
      }
      const minted = await tokens.ensure(ctx, virtualPod, hostPod);
      if (minted.wrote) result.hostWritten = true;
      if (minted.nextCheckMs !== undefined) result.requeueAfterMs = minted.nextCheckMs;
      return result;
    },

    async remove(ctx, hostPod): Promise<SyncResult> {
      if (hostPod.metadata?.deletionTimestamp) return {};
      await deletePod(ctx, 'host', hostPod);
      return { hostWritten: true };
    },
  };
  return spec;
}
