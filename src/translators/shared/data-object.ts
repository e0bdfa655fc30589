import type { Informer } from '../../informer/informer.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import { explainAlreadyExists } from '../../sync/generic-syncer.ts';
import type { ReconcileContext, SyncEnvironment, SyncResult, Translator } from '../../sync/translator.ts';
import { mergeManagedMetadata } from '../../sync/managed-metadata.ts';
import { hostMetadataFor, sameJson, type HostPlacement } from './host-metadata.ts';

/** Names of the virtual objects of one kind a pod uses. */
export type PodReferences = (pod: KubeObject) => string[];

export interface DataObjectOptions {
  kind: string;
  type: ResourceType;
  /** Top-level fields copied verbatim to the host, e.g. data, binaryData, immutable. */
  payloadFields: readonly string[];
  /** Sync every object rather than only those a pod uses. */
  syncAll: boolean;
  /** What a pod references; used unless syncAll. */
  podReferences: PodReferences;
  /** Last word on the host copy, e.g. to neutralise fields the host would act on. */
  hostTransform?: (host: KubeObject) => KubeObject;
}

/** The host copy of a config map or secret: translated metadata and the payload, nothing else. */
export function hostDataObject(
  virtual: KubeObject,
  opts: Pick<DataObjectOptions, 'type' | 'payloadFields' | 'hostTransform'>,
  where: HostPlacement,
): KubeObject {
  const out: KubeObject = {
    apiVersion: 'v1',
    kind: opts.type.kind,
    metadata: hostMetadataFor(virtual, opts.type, where),
  };
  for (const field of opts.payloadFields) if (virtual[field] !== undefined) out[field] = virtual[field];
  return opts.hostTransform ? opts.hostTransform(out) : out;
}

/**
 * Translator for kinds that are plain data (config maps, secrets): spec flows virtual → host only,
 * so a hand edit of the host copy is reverted, and by default only objects a pod uses are synced.
 */
export function dataObjectTranslator(opts: DataObjectOptions): Translator {
  let pods: Informer<KubeObject> | undefined;
  const indexName = `referenced-${opts.kind}`;
  const place = (ctx: ReconcileContext): HostPlacement => ({
    vcName: ctx.vcName,
    hostNamespace: ctx.hostNamespace,
    hostName: ctx.hostName,
  });

  const create = async (ctx: ReconcileContext, virtual: KubeObject): Promise<SyncResult> => {
    try {
      await ctx.host.create(opts.type, ctx.hostNamespace, hostDataObject(virtual, opts, place(ctx)));
    } catch (err) {
      await explainAlreadyExists(ctx, translator, err);
    }
    ctx.log.debug('created host copy');
    return { hostWritten: true };
  };

  const translator: Translator = {
    kind: opts.kind,
    virtualType: opts.type,
    hostType: opts.type,

    setup(env: SyncEnvironment, enqueue) {
      if (opts.syncAll) return;
      pods = env.informers.get(env.virtual, Resources.pods);
      pods.addIndexer(indexName, (pod) =>
        opts.podReferences(pod).map((name) => `${pod.metadata?.namespace}/${name}`),
      );
      const refsChanged = (...ps: KubeObject[]) => {
        for (const p of ps)
          for (const name of opts.podReferences(p)) enqueue(`${p.metadata?.namespace}/${name}`);
      };
      pods.addHandlers({
        onAdd: (p) => refsChanged(p),
        onUpdate: (o, n) => refsChanged(o, n),
        onDelete: (p) => refsChanged(p),
      });
    },

    shouldSync(virtual) {
      if (opts.syncAll || !pods) return true;
      return (
        pods.store.byIndex(indexName, `${virtual.metadata?.namespace}/${virtual.metadata?.name}`).length > 0
      );
    },

    createHost: create,

    async sync(ctx, virtual, host) {
      const desired = hostDataObject(virtual, opts, place(ctx));
      // Labels and annotations someone on the host added stay; the syncer's own keys follow the tenant.
      const metadata = mergeManagedMetadata(desired.metadata ?? {}, host.metadata ?? {});
      const metadataChanged =
        !sameJson(metadata.labels, host.metadata?.labels) ||
        !sameJson(metadata.annotations, host.metadata?.annotations);
      const payloadChanged = !opts.payloadFields.every((f) => sameJson(desired[f], host[f]));
      if (!metadataChanged && !payloadChanged) return {};
      if (host.immutable === true && payloadChanged) {
        // An immutable object cannot be edited; replace it (the UID precondition guards the delete).
        // Its delete event brings the key back, and the copy is then created afresh.
        await ctx.host.delete(opts.type, ctx.hostNamespace, ctx.hostName, { uid: host.metadata?.uid });
        return { hostWritten: true };
      }
      const updated: KubeObject = { ...host, metadata: { ...host.metadata, ...metadata } };
      for (const field of opts.payloadFields) {
        if (desired[field] === undefined) delete updated[field];
        else updated[field] = desired[field];
      }
      await ctx.host.update(opts.type, ctx.hostNamespace, updated);
      ctx.log.debug('updated host copy');
      return { hostWritten: true };
    },
  };
  return translator;
}
