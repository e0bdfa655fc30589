import { TerminalError } from '../../controller/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { createHostCopy } from '../../sync/engine.ts';
import type { KindSpec, Placement, ReconcileContext, SyncResult } from '../../sync/kind.ts';
import { namespacedToHost } from '../../sync/mappers.ts';
import { writePlannedMetadataUp } from '../../sync/metadata-writes.ts';
import { malformedServiceAccount } from '../shared/shape.ts';
import { hostAccountInSync, hostServiceAccountFor } from './translate.ts';

const ACCOUNTS = Resources.serviceAccounts;

/** The serviceaccounts kind's own settings. */
export interface ServiceAccountOptions {
  deniedServiceAccountAnnotations: string[];
}

/**
 * ServiceAccounts, virtual → host, for host workload identity. Labels and annotations merge both
 * ways (denied annotations never go down); the host copy never mounts a token and holds no secrets
 * (a host edit adding them is reverted); it goes with the virtual account. With this kind on, pods
 * run on the host as the copy of their virtual account (see the pods kind).
 */
export function serviceAccountsKind(options: ServiceAccountOptions, where: Placement): KindSpec {
  const place = (ctx: ReconcileContext) => ({ ...where, hostName: ctx.hostName });
  const denied = options.deniedServiceAccountAnnotations;

  function refuseMalformed(virtual: KubeObject): void {
    const problem = malformedServiceAccount(virtual);
    if (problem) throw new TerminalError(`malformed service account: ${problem}`);
  }

  const spec: KindSpec = {
    direction: 'to-host',
    virtualType: ACCOUNTS,
    hostType: ACCOUNTS,
    mapper: namespacedToHost(ACCOUNTS, where),

    async create(ctx, virtual): Promise<SyncResult> {
      refuseMalformed(virtual!);
      return createHostCopy(ctx, spec, hostServiceAccountFor(virtual!, place(ctx), denied));
    },

    async update(ctx, source, host): Promise<SyncResult> {
      const virtual = source!;
      refuseMalformed(virtual);
      const result: SyncResult = {};
      const desired = hostServiceAccountFor(virtual, place(ctx), denied);
      const plan = ctx.planMetadata(virtual, host, desired);
      if (plan.hostChanged || !hostAccountInSync(host)) {
        const updated: KubeObject = {
          ...host,
          metadata: { ...host.metadata, ...plan.host },
          automountServiceAccountToken: false,
        };
        delete updated.secrets;
        delete updated.imagePullSecrets;
        await ctx.host.update(ACCOUNTS, ctx.hostNamespace, updated);
        result.hostWritten = true;
      }
      if (await writePlannedMetadataUp(ctx, ACCOUNTS, virtual, plan)) result.virtualWritten = true;
      return result;
    },
  };
  return spec;
}
