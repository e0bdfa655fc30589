import type { Container, Pod, Toleration } from '../../kube/types.ts';
import { POD_SPEC_RECORD_ANNOTATION } from '../../naming/labels.ts';
import { translateImage, type ImageTranslations } from './image-translation.ts';

/**
 * What of a running pod's spec the tenant may still change (container images, tolerations, which may
 * only be added, and scheduling gates, which may only be removed) is carried to the host pod three-way, as resize.ts does for resources:
 * the host pod records (annotation POD_SPEC_RECORD_ANNOTATION) the images, tolerations and gates it
 * was last written with from the virtual pod, and only what the tenant changed since is written again. What
 * the host did on its own stays: an admission webhook pinning an image to a digest or pointing it at a
 * mirror, a queue's or an admin's scheduling gate (Kueue's, for one) that holds the pod until the host
 * admits it. Overwritten on every update, those would let the tenant's pods past the host's own
 * admission, or fight a webhook that mutates updates too, one write per pod at a time.
 */
export interface PodSpecRecord {
  /** The image each container and init container was written with (after --translate-image), by name. */
  images: Record<string, string>;
  /**
   * The tenant's scheduling gates the host pod was written with, less any the host's admission adds
   * itself (see hostOwnedGates): those are the host's to remove, even when the tenant named them too.
   */
  schedulingGates: string[];
  /** The tenant's tolerations the host pod was written with (tolerationKey); absent on older records. */
  tolerations?: string[];
}

/** What tells two tolerations apart (as the API server merges them): key, operator, value, effect. */
export function tolerationKey(t: Toleration): string {
  return JSON.stringify([t.key, t.operator ?? 'Equal', t.value ?? '', t.effect ?? '']);
}

/** The record of what a host pod is written with from this virtual pod. */
export function podSpecRecordOf(virtual: Pod, translations?: ImageTranslations): string {
  const images: Record<string, string> = {};
  const containers: Container[] = [
    ...(virtual.spec?.containers ?? []),
    ...(virtual.spec?.initContainers ?? []),
  ];
  for (const c of containers)
    if (c.image) images[c.name] = translations ? translateImage(c.image, translations) : c.image;
  const record: PodSpecRecord = {
    images,
    schedulingGates: (virtual.spec?.schedulingGates ?? []).map((g) => g.name),
    tolerations: (virtual.spec?.tolerations ?? []).map(tolerationKey),
  };
  return JSON.stringify(record);
}

/**
 * A record whose gates leave out `hostOwned`: gates the host's admission adds to such a pod itself
 * (a queue's), which the tenant happened to name too. Removing the tenant's gate must not remove the
 * host's, which would let the pod past the host's admission.
 */
export function withoutHostOwnedGates(record: string, hostOwned: readonly string[]): string {
  const parsed = JSON.parse(record) as PodSpecRecord;
  return JSON.stringify({
    ...parsed,
    schedulingGates: parsed.schedulingGates.filter((g) => !hostOwned.includes(g)),
  });
}

/**
 * The record to write on an update: the tenant's images and tolerations now, and of the gates only
 * those the last record held that the tenant still has (gates are only ever removed; one the record
 * left out is the host's, and stays so). A record without tolerations (an earlier syncer's) gains
 * none: that would update every such pod at once after an upgrade.
 */
export function nextPodSpecRecord(desired: string, previous: PodSpecRecord | undefined): string {
  if (!previous) return desired;
  const { tolerations, ...next } = JSON.parse(desired) as PodSpecRecord;
  return JSON.stringify({
    ...next,
    schedulingGates: next.schedulingGates.filter((g) => previous.schedulingGates.includes(g)),
    ...(previous.tolerations ? { tolerations } : {}),
  });
}

/** The record a host pod carries, or undefined (none, or unreadable: a pod an older syncer made). */
export function podSpecRecordOn(host: Pod): PodSpecRecord | undefined {
  const text = host.metadata?.annotations?.[POD_SPEC_RECORD_ANNOTATION];
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<PodSpecRecord> | null;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    const images = parsed.images;
    const gates = parsed.schedulingGates;
    const tolerations = parsed.tolerations;
    if (!images || typeof images !== 'object' || Array.isArray(images)) return undefined;
    if (!isStringList(gates)) return undefined;
    if (!Object.values(images).every((i) => typeof i === 'string')) return undefined;
    if (tolerations !== undefined && !isStringList(tolerations)) return undefined;
    return { images, schedulingGates: gates, ...(tolerations ? { tolerations } : {}) };
  } catch {
    return undefined;
  }
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * The tolerations to add to a running host pod (tolerations may only be added): those wanted that it
 * lacks, less the tenant's that it was written with and that the host took off (an admission policy
 * stripping a toleration at create must not see it put back by the next update). Without the list (an
 * older syncer's record), every one it lacks.
 */
export function tolerationsToAdd(
  record: PodSpecRecord | undefined,
  have: readonly Toleration[],
  wanted: readonly Toleration[],
): Toleration[] {
  const present = new Set(have.map(tolerationKey));
  const written = new Set(record?.tolerations ?? []);
  return wanted.filter((t) => !present.has(tolerationKey(t)) && !written.has(tolerationKey(t)));
}

/**
 * The image the host container must be changed to, or undefined to leave it: only when the tenant's
 * image differs from the one last written. A container the record does not name (an older syncer's
 * pod; a container of the syncer's own) is compared with the host's image itself.
 */
export function imageToWrite(
  record: PodSpecRecord | undefined,
  container: string,
  hostImage: string | undefined,
  wanted: string | undefined,
): string | undefined {
  if (!wanted || wanted === hostImage) return undefined;
  const written = record?.images[container];
  if (written !== undefined && written === wanted) return undefined;
  return wanted;
}

/**
 * Whether a scheduling gate the host pod has must stay: the tenant still has it, or it is not the
 * tenant's (the host added it). Without a record, only the tenant's gates are known.
 */
export function keepsSchedulingGate(
  record: PodSpecRecord | undefined,
  gate: string,
  tenantGates: readonly string[],
): boolean {
  if (tenantGates.includes(gate)) return true;
  return record !== undefined && !record.schedulingGates.includes(gate);
}
