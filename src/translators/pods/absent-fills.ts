/**
 * Optional Secrets and ConfigMaps made after their pod.
 *
 * A host pod made while an optional Secret or ConfigMap it names did not exist names
 * `vsyncer-absent-<digest>` in its place (reference-safety.ts): a name no copy of a tenant's object
 * can take, the pod's own. The host pod cannot be renamed later (volumes and env are immutable), yet
 * a kubelet fills an optional volume in once its object appears, and gives a restarted container the
 * object's env: operators that write their own certificate Secret at start (KEDA's) count on it.
 *
 * So once the object has its proven host copy, its content is written under the pod's absent name as
 * well: a "fill", for that one pod (the name is a digest of the pod incarnation), owned by the host pod
 * (the host's garbage collector removes it with the pod), kept equal to the copy, and removed when the
 * object goes. A fill carries no copy's ownership annotations, so no kind takes it for a copy; what
 * marks it is the managed-by label, the pod it is for, and its owner reference to that host pod: an
 * object under the name without all three is someone else's and is never touched.
 */
import { isApiError } from '../../kube/errors.ts';
import type { ClusterClient } from '../../kube/client.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { PodSpec } from '../../kube/types.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import { MANAGED_BY_LABEL } from '../../naming/labels.ts';
import type { Logger } from '../../util/log.ts';
import { sameJson } from '../shared/host-metadata.ts';
import { hostPodOwner } from './host-pod-owner.ts';
import { absentReferenceName, podReferrer, type ReferenceJudge } from './reference-safety.ts';
import { referencedNames, type PodReference } from './reference-walker.ts';

/** On a fill: the virtual pod (`namespace/name`) it is for, which its changes bring back. */
export const ABSENT_FILL_POD_ANNOTATION = 'vsyncer.dev/absent-fill-for';

/** The kinds a fill stands in for, and what of their host copy it carries. */
const FILLED: Record<string, { type: ResourceType; content: readonly string[] }> = {
  Secret: { type: Resources.secrets, content: ['type', 'data'] },
  ConfigMap: { type: Resources.configMaps, content: ['data', 'binaryData'] },
};

/** The virtual pod a host object is this virtual cluster's fill for, if it is one. */
export function absentFillPodKey(obj: KubeObject, vcName: string): string | undefined {
  const meta = obj.metadata;
  if (meta?.labels?.[MANAGED_BY_LABEL] !== vcName) return undefined;
  return meta.annotations?.[ABSENT_FILL_POD_ANNOTATION] || undefined;
}

/** One fill a pod should have (`content` set), or should not (`content` undefined). */
export interface FillStep {
  kind: 'Secret' | 'ConfigMap';
  /** The pod's absent name for the reference: where the fill lives. */
  name: string;
  /** What the fill must hold: the copy's content; undefined when the fill must go. */
  content?: Record<string, unknown>;
  /** The fill there now, this pod's own (a foreign object under the name gives no step). */
  existing?: KubeObject;
}

export interface AbsentFillsOptions {
  judge: ReferenceJudge;
  hostNamespace: string;
  vcName: string;
}

/** Keeps each host pod's fills (see the module comment). */
export class AbsentFills {
  private readonly o: AbsentFillsOptions;

  constructor(options: AbsentFillsOptions) {
    this.o = options;
  }

  /**
   * What the pod's fills should be, from the caches: one step per optional Secret or ConfigMap the
   * host pod names by its absent name, except while the object's copy is on its way (the fill waits
   * with what it has). Pods that name none cost one walk of the virtual pod's references.
   */
  plan(virtualPod: KubeObject, hostPod: KubeObject, references: readonly PodReference[]): FillStep[] {
    const optional = references.filter((r) => r.optional && FILLED[r.kind] && !r.apiGroup);
    if (!optional.length || !hostPod.metadata?.uid || hostPod.metadata.deletionTimestamp) return [];
    // A finished pod reads nothing more; its fills go with it.
    const phase = (hostPod.status as { phase?: string } | undefined)?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return [];
    const namespace = virtualPod.metadata?.namespace ?? '';
    const podKey = `${namespace}/${virtualPod.metadata?.name ?? ''}`;
    const referrer = podReferrer(virtualPod);
    const steps = new Map<string, FillStep>();
    const namedOnHost = new Map<string, string[]>();
    const hostNames = (kind: FillStep['kind']) => {
      let names = namedOnHost.get(kind);
      if (!names) namedOnHost.set(kind, (names = referencedNames(hostPod.spec as PodSpec | undefined, kind)));
      return names;
    };
    for (const ref of optional) {
      const kind = ref.kind as FillStep['kind'];
      const name = absentReferenceName(referrer, ref);
      if (steps.has(name) || !hostNames(kind).includes(name)) continue;
      const target = this.o.judge.targetOf(kind);
      if (!target) continue;
      const there = target.host.store.get(`${this.o.hostNamespace}/${name}`);
      const existing = there && this.isFillOf(there, podKey, hostPod) ? there : undefined;
      // Something else holds the name (it is in this cache only with our label): never touched.
      if (there && !existing) continue;
      const verdict = this.o.judge.judge(namespace, ref);
      if (verdict.state === 'waiting') continue;
      if (verdict.state !== 'ready') {
        if (existing) steps.set(name, { kind, name, existing });
        continue;
      }
      const copy = target.host.store.get(`${this.o.hostNamespace}/${verdict.hostName}`);
      if (!copy) continue;
      steps.set(name, { kind, name, existing, content: contentOf(copy, FILLED[kind]!.content) });
    }
    return [...steps.values()];
  }

  /**
   * Brings the fills to their plan: made, updated, or deleted (each only if it differs). Returns
   * whether anything was written. A name taken meanwhile by an object that is not the pod's fill is
   * left to its owner, and said.
   */
  async apply(
    host: ClusterClient,
    virtualPod: KubeObject,
    hostPod: KubeObject,
    steps: readonly FillStep[],
    log: Logger,
  ): Promise<boolean> {
    let wrote = false;
    for (const step of steps) {
      const { type } = FILLED[step.kind]!;
      const { existing, content } = step;
      if (!content) {
        if (!existing) continue;
        await this.remove(host, type, existing);
        wrote = true;
      } else if (!existing) {
        try {
          await host.create(type, this.o.hostNamespace, this.fill(step, content, virtualPod, hostPod));
          wrote = true;
        } catch (err) {
          if (!isApiError(err, 'alreadyExists')) throw err;
          log.warn(
            'the name of an optional object the pod may mount later is held by another host object; not filled',
            {
              name: step.name,
            },
          );
        }
      } else if (!sameContent(existing, content, FILLED[step.kind]!.content)) {
        // A Secret's type cannot change: that fill is made again, the next time (its delete brings
        // the pod back).
        if (step.kind === 'Secret' && (existing.type ?? 'Opaque') !== (content.type ?? 'Opaque'))
          await this.remove(host, type, existing);
        else
          await host.update(type, this.o.hostNamespace, {
            ...withoutFields(existing, FILLED[step.kind]!.content),
            ...content,
          });
        wrote = true;
      }
    }
    return wrote;
  }

  private async remove(host: ClusterClient, type: ResourceType, existing: KubeObject): Promise<void> {
    try {
      await host.delete(type, this.o.hostNamespace, existing.metadata?.name ?? '', {
        uid: existing.metadata?.uid,
      });
    } catch (err) {
      // Gone already (the pod's garbage collection, say), or another object under the name since.
      if (!isApiError(err, 'notFound') && !isApiError(err, 'conflict')) throw err;
    }
  }

  private isFillOf(obj: KubeObject, podKey: string, hostPod: KubeObject): boolean {
    return (
      absentFillPodKey(obj, this.o.vcName) === podKey &&
      (obj.metadata?.ownerReferences ?? []).some((o) => o.uid === hostPod.metadata?.uid)
    );
  }

  private fill(
    step: FillStep,
    content: Record<string, unknown>,
    virtualPod: KubeObject,
    hostPod: KubeObject,
  ): KubeObject {
    return {
      apiVersion: 'v1',
      kind: step.kind,
      metadata: {
        name: step.name,
        namespace: this.o.hostNamespace,
        labels: { [MANAGED_BY_LABEL]: this.o.vcName },
        annotations: {
          [ABSENT_FILL_POD_ANNOTATION]: `${virtualPod.metadata?.namespace}/${virtualPod.metadata?.name}`,
        },
        ownerReferences: [hostPodOwner(hostPod)],
      },
      ...content,
    };
  }
}

/** The fields of a copy a fill carries (absent ones stay absent). */
function contentOf(copy: KubeObject, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (copy[f] !== undefined) out[f] = copy[f];
  return out;
}

function sameContent(
  existing: KubeObject,
  content: Record<string, unknown>,
  fields: readonly string[],
): boolean {
  return fields.every((f) => sameJson(normalized(existing[f]), normalized(content[f])));
}

/** The API server keeps no empty map: an absent one and `{}` are the same content. */
const normalized = (value: unknown): unknown =>
  value === undefined ||
  (value !== null && typeof value === 'object' && !Array.isArray(value) && !Object.keys(value).length)
    ? null
    : value;

function withoutFields(existing: KubeObject, fields: readonly string[]): KubeObject {
  const out: KubeObject = { ...existing };
  for (const f of fields) delete out[f];
  return out;
}
