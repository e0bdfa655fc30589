import type { Container, Pod } from '../../kube/types.ts';
import { sameJson } from '../shared/host-metadata.ts';
import { translateImage, type ImageTranslations } from './image-translation.ts';
import { resizeChanges } from './resize.ts';
import { imageToWrite, podSpecRecordOn } from './spec-record.ts';
import { podStatusForVirtual } from './translate.ts';

/**
 * For `vsyncer check`: what of a synced pod pair is not as the syncer would leave it, from the two
 * pods alone (and --translate-image). Down: the spec fields a running host pod follows (container images,
 * cpu and memory of an in-place resize, activeDeadlineSeconds). Up: the node binding, then the status. A pod being deleted on either side
 * is on its way out, and its contents are not compared.
 */
export function podDifferences(
  virtual: Pod,
  host: Pod,
  translations: ImageTranslations = new Map(),
  scrub?: (message: string) => string,
): string[] {
  if (virtual.metadata?.deletionTimestamp || host.metadata?.deletionTimestamp) return [];
  const out: string[] = [];
  // An image the host changed on its own since the syncer wrote it (a webhook's digest) is the host's.
  const record = podSpecRecordOn(host);
  const images = (have: Container[] | undefined, want: Container[] | undefined, what: string) => {
    for (const c of have ?? []) {
      const wanted = want?.find((w) => w.name === c.name)?.image;
      const image = imageToWrite(record, c.name, c.image, wanted && translateImage(wanted, translations));
      if (image) out.push(`host ${what} ${c.name} runs image ${c.image}, not ${image}`);
    }
  };
  images(host.spec?.containers, virtual.spec?.containers, 'container');
  images(host.spec?.initContainers, virtual.spec?.initContainers, 'init container');
  for (const c of resizeChanges(virtual, host))
    out.push(
      `host container ${c.container} has ${c.field}.${c.resource} ${c.have ?? 'unset'}, not ${c.want}`,
    );
  const deadline = virtual.spec?.activeDeadlineSeconds;
  if (deadline !== undefined && deadline !== host.spec?.activeDeadlineSeconds)
    out.push(`host activeDeadlineSeconds is ${host.spec?.activeDeadlineSeconds ?? 'unset'}, not ${deadline}`);
  const hostNode = host.spec?.nodeName;
  if (hostNode && virtual.spec?.nodeName !== hostNode) {
    out.push(
      `virtual pod is bound to ${virtual.spec?.nodeName || 'no node'}, the host pod runs on ${hostNode}`,
    );
  } else if (!sameJson(podStatusForVirtual(host, virtual, { scrub }), virtual.status)) {
    // The binding comes first: until it is made, the syncer writes no status either.
    out.push(
      `virtual status differs from the host pod's (${statusSummary(virtual)} vs ${statusSummary(host)})`,
    );
  }
  return out;
}

function statusSummary(pod: Pod): string {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return `${pod.status?.phase ?? 'no phase'}${ready ? `, Ready=${ready}` : ''}`;
}
