import { TerminalError } from '../../controller/errors.ts';
import type { Informer } from '../../informer/informer.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { createHostCopy } from '../../sync/engine.ts';
import type { KindSpec, Placement, ReconcileContext, SyncResult } from '../../sync/kind.ts';
import { managedCopiesScope, namespacedToHost } from '../../sync/mappers.ts';
import { writePlannedMetadataUp } from '../../sync/metadata-writes.ts';
import { removeUnlessKept } from '../shared/remove-unless-kept.ts';
import { malformedServiceAccount } from '../shared/shape.ts';
import { parseLabelSelector } from '../../util/label-selector.ts';
import {
  hostAccountInSync,
  hostServiceAccountFor,
  withDesiredAccountFields,
  type HostPullSecrets,
} from './translate.ts';

const ACCOUNTS = Resources.serviceAccounts;
/** This virtual cluster's host pods by the host service account they run as. */
const RUNS_AS_INDEX = 'serviceaccounts/host-pods-running-as';

/** The serviceaccounts kind's own settings. */
export interface ServiceAccountOptions {
  deniedServiceAccountAnnotations: string[];
  workloadImagePullSecrets: string[];
  workloadImagePullSecretSelector: string;
}

/** The flags' pull secrets and selector, read once (validated at start). */
function pullSecretsOf(options: ServiceAccountOptions): HostPullSecrets {
  const text = options.workloadImagePullSecretSelector.trim();
  return {
    names: options.workloadImagePullSecrets,
    selector: text === '' ? undefined : text === '*' ? '*' : parseLabelSelector(text),
  };
}

/**
 * ServiceAccounts, virtual → host, for host workload identity. Labels and annotations merge both
 * ways (denied annotations never go down); the host copy never mounts a token and holds no secrets
 * (a host edit adding them is reverted); it goes with the virtual account, once no host pod runs as
 * it. With this kind on, pods run on the host as the copy of their virtual account (see the pods kind).
 */
export function serviceAccountsKind(options: ServiceAccountOptions, where: Placement): KindSpec {
  const place = (ctx: ReconcileContext) => ({ ...where, hostName: ctx.hostName });
  const denied = options.deniedServiceAccountAnnotations;
  const pull = pullSecretsOf(options);

  function refuseMalformed(virtual: KubeObject): void {
    const problem = malformedServiceAccount(virtual);
    if (problem) throw new TerminalError(`malformed service account: ${problem}`);
  }

  let hostPods: Informer<KubeObject> | undefined;

  const spec: KindSpec = {
    direction: 'to-host',
    virtualType: ACCOUNTS,
    hostType: ACCOUNTS,
    mapper: namespacedToHost(ACCOUNTS, where),

    setup(env) {
      hostPods = env.informers.get(env.host, Resources.pods, managedCopiesScope(where));
      hostPods.addIndexer(RUNS_AS_INDEX, (pod) => {
        const account = (pod.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName;
        return account ? [account] : [];
      });
    },

    /**
     * A copy a host pod still runs as stays until that pod is gone, even when the tenant deleted the
     * account: host names are ambiguous, and another namespace's account taking the name meanwhile
     * would give the running pod that account's host identity (its cloud role, bound by name).
     */
    keptBecause: (_ctx, copy) =>
      (hostPods?.store.byIndex(RUNS_AS_INDEX, copy.metadata?.name ?? '').length ?? 0) > 0
        ? 'a host pod still runs as it'
        : undefined,

    remove: (ctx, copy) => removeUnlessKept(ACCOUNTS, spec.keptBecause!)(ctx, copy),

    async create(ctx, virtual): Promise<SyncResult> {
      refuseMalformed(virtual!);
      return createHostCopy(ctx, spec, hostServiceAccountFor(virtual!, place(ctx), denied, pull));
    },

    async update(ctx, source, host): Promise<SyncResult> {
      const virtual = source!;
      refuseMalformed(virtual);
      const result: SyncResult = {};
      const desired = hostServiceAccountFor(virtual, place(ctx), denied, pull);
      const plan = ctx.planMetadata(virtual, host, desired);
      if (plan.hostChanged || !hostAccountInSync(host, desired)) {
        const updated = withDesiredAccountFields(
          { ...host, metadata: { ...host.metadata, ...plan.host } },
          desired,
        );
        await ctx.host.update(ACCOUNTS, ctx.hostNamespace, updated);
        result.hostWritten = true;
      }
      if (await writePlannedMetadataUp(ctx, ACCOUNTS, virtual, plan)) result.virtualWritten = true;
      return result;
    },
  };
  return spec;
}
