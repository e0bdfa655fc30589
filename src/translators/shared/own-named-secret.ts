import { FORCE_SYNC_ANNOTATION } from '../../naming/labels.ts';
import type { ReconcileContext } from '../../sync/kind.ts';
import type { ReferenceJudge } from '../pods/reference-safety.ts';

/**
 * Why the host Secret a class names after an object (a claim, a snapshot: `${pvc.name}`,
 * `${volumesnapshot.name}`) may not be read for it: that host name must hold the copy of the tenant's
 * Secret of the object's own name and namespace, under the object's own host name, and nothing else
 * (host names are ambiguous). Undefined when it does. `reads` names the class, `field` the object's
 * field that chose it, `what` the object ("claim").
 */
export function ownNamedSecretProblem(
  judge: ReferenceJudge,
  ctx: ReconcileContext,
  reads: string,
  field: string,
  what: string,
): string | undefined {
  const verdict = judge.judge(ctx.virtualNamespace, {
    kind: 'Secret',
    apiGroup: '',
    name: ctx.virtualName,
    optional: false,
    where: { field },
  });
  switch (verdict.state) {
    case 'ready':
      return verdict.hostName === ctx.hostName
        ? undefined
        : `${reads}: the Secret's host copy has another name than the ${what}'s`;
    case 'waiting':
      return verdict.missing
        ? `${reads}: ${verdict.message}`
        : `${reads}: ${verdict.message} (a Secret is copied once a pod uses it, or annotated ${FORCE_SYNC_ANNOTATION}=true)`;
    case 'refused':
      return `${reads}: ${verdict.message}`;
    default:
      return `${reads}: Secret "${ctx.virtualName}" not found`;
  }
}
