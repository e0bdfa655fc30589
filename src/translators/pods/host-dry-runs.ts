import { isApiError } from '../../kube/errors.ts';
import { TerminalError } from '../../controller/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { POD_SPEC_RECORD_ANNOTATION } from '../../naming/labels.ts';
import type { ReconcileContext } from '../../sync/kind.ts';
import { describeViolations, excusedByUserNamespace, type PodSecurityLevel } from './pod-security.ts';
import { withoutHostOwnedGates } from './spec-record.ts';

// Dry runs of a new host pod, which tell what the host's API server does to it before it is made.

/**
 * A pod that meets its namespace's Pod Security level only by running in a user namespace is first
 * created as a dry run: a host whose API server drops `hostUsers` (user namespaces off, Kubernetes
 * before 1.33 by default) would run it as root of the node, so there it is refused instead.
 */
export async function refuseWithoutUserNamespace(
  ctx: ReconcileContext,
  virtualPod: KubeObject,
  hostPod: KubeObject,
  level: PodSecurityLevel,
): Promise<void> {
  const excused = excusedByUserNamespace(virtualPod, level);
  if (excused.length === 0) return;
  const tried = await ctx.host.create<KubeObject>(Resources.pods, ctx.hostNamespace, hostPod, {
    dryRun: true,
  });
  if ((tried.spec as { hostUsers?: boolean } | undefined)?.hostUsers === false) return;
  throw new TerminalError(
    `the host cluster does not run pods in user namespaces (it drops spec.hostUsers), which this pod needs to meet its Pod Security level: ${describeViolations(level, excused)}`,
  );
}

/**
 * A pod with the tenant's scheduling gates is first created as a dry run without them: a gate the
 * host's admission then adds itself (a queue's, Kueue's `kueue.x-k8s.io/admission`) is the host's,
 * though the tenant named it too, and is left out of the record, so the tenant removing its gate
 * never takes the host's off (which would let the pod past the host's admission). A host that
 * cannot dry-run the pod (a webhook without dry-run support) tells nothing; the gates count as the
 * tenant's, as before.
 */
export async function recordHostOwnedGates(ctx: ReconcileContext, hostPod: KubeObject): Promise<void> {
  const spec = hostPod.spec as { schedulingGates?: { name: string }[] };
  const tenantGates = (spec.schedulingGates ?? []).map((g) => g.name);
  if (tenantGates.length === 0) return;
  const { schedulingGates: _tenants, ...ungated } = spec;
  let tried: KubeObject;
  try {
    tried = await ctx.host.create<KubeObject>(
      Resources.pods,
      ctx.hostNamespace,
      { ...hostPod, spec: ungated },
      { dryRun: true },
    );
  } catch (err) {
    if (
      isApiError(err, 'alreadyExists') ||
      !isApiError(err) ||
      err.statusCode >= 500 ||
      err.statusCode === 429
    )
      throw err;
    ctx.log.debug('dry run of the ungated pod refused; its gates count as the tenant’s', {
      error: (err as Error).message,
    });
    return;
  }
  const added = ((tried.spec as typeof spec | undefined)?.schedulingGates ?? []).map((g) => g.name);
  const hostOwned = tenantGates.filter((g) => added.includes(g));
  if (hostOwned.length === 0) return;
  const annotations = hostPod.metadata!.annotations!;
  annotations[POD_SPEC_RECORD_ANNOTATION] = withoutHostOwnedGates(
    annotations[POD_SPEC_RECORD_ANNOTATION]!,
    hostOwned,
  );
}
