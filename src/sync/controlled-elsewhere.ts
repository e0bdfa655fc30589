import type { KubeObject } from '../kube/object.ts';
import { CONTROLLED_BY_LABEL } from '../naming/labels.ts';
import type { KindSpec } from './kind.ts';

/** The label value vCluster marks the Service replicas it makes with (and vsyncer's replica kinds too). */
export const VCLUSTER_REPLICA_MARK = 'vcluster';

/**
 * vCluster's opt-out, honoured on both sides: an object labelled `vcluster.loft.sh/controlled-by`
 * (any non-empty value), or annotated so with a value other than the kind's own name, is managed by
 * another tool. The syncer then leaves the pair alone: it does not copy, update or delete through it.
 * An empty value opts out of nothing, as in vCluster. One exception: labelled with vCluster's replica
 * mark (`vcluster`) and annotated with the kind's own name (or one of `alsoOurs`), it is a replica that
 * kind made, labelled as vCluster labels its replicas so that every other kind (and tool) keeps away.
 */
export function isControlledElsewhere(
  obj: KubeObject | undefined,
  kindName: string,
  /** Other kinds whose objects this one takes as its own sources (see KindSpec.sourcesOf). */
  alsoOurs: readonly string[] = [],
): boolean {
  const meta = obj?.metadata;
  if (!meta) return false;
  const annotated = meta.annotations?.[CONTROLLED_BY_LABEL];
  const ours = annotated !== undefined && (annotated === kindName || alsoOurs.includes(annotated));
  const labelled = meta.labels?.[CONTROLLED_BY_LABEL];
  if (labelled) return !(labelled === VCLUSTER_REPLICA_MARK && ours);
  return annotated !== undefined && annotated !== '' && !ours;
}

/**
 * The engine's opt-out rules for one key, which `vsyncer check` reads the same way: a source another
 * tool controls (bar the kinds this one takes sources of), and a target another tool controls, except
 * a from-host kind's (in the virtual cluster, kept as the host has it: a tenant's label there holds
 * nothing, what is shown being the host admin's).
 */
export function sourceControlledElsewhere(
  spec: KindSpec,
  source: KubeObject | undefined,
  kindName: string,
): boolean {
  return isControlledElsewhere(source, kindName, spec.sourcesOf);
}

export function targetControlledElsewhere(
  spec: KindSpec,
  target: KubeObject | undefined,
  kindName: string,
): boolean {
  return spec.direction !== 'from-host' && isControlledElsewhere(target, kindName);
}
