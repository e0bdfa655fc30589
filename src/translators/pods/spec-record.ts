import type { Container, Pod } from '../../kube/types.ts';
import { POD_SPEC_RECORD_ANNOTATION } from '../../naming/labels.ts';
import { translateImage, type ImageTranslations } from './image-translation.ts';

/**
 * What of a running pod's spec the tenant may still change (container images, and scheduling gates,
 * which may only be removed) is carried to the host pod three-way, as resize.ts does for resources:
 * the host pod records (annotation POD_SPEC_RECORD_ANNOTATION) the images and gates it was last
 * written with from the virtual pod, and only what the tenant changed since is written again. What
 * the host did on its own stays: an admission webhook pinning an image to a digest or pointing it at a
 * mirror, a queue's or an admin's scheduling gate (Kueue's, for one) that holds the pod until the host
 * admits it. Overwritten on every update, those would let the tenant's pods past the host's own
 * admission, or fight a webhook that mutates updates too, one write per pod at a time.
 */
export interface PodSpecRecord {
  /** The image each container and init container was written with (after --translate-image), by name. */
  images: Record<string, string>;
  /** The tenant's scheduling gates the host pod was written with. */
  schedulingGates: string[];
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
  };
  return JSON.stringify(record);
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
    if (!images || typeof images !== 'object' || Array.isArray(images)) return undefined;
    if (!Array.isArray(gates) || !gates.every((g) => typeof g === 'string')) return undefined;
    if (!Object.values(images).every((i) => typeof i === 'string')) return undefined;
    return { images, schedulingGates: gates };
  } catch {
    return undefined;
  }
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
