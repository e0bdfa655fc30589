import type { KubeObject } from '../../kube/object.ts';
import { apiVersionOf, type ResourceType } from '../../kube/resources.ts';
import type { FilledSecret } from '../shared/filled-secrets.ts';
import { customResourceRefusal, type HostRules } from './allowed-values.ts';
import {
  conditionHolds,
  filledTypeOf,
  referenceApplies,
  selectedForSync,
  withOwnNames,
  type CustomResourceEntry,
} from './config.ts';
import { valuesAt } from './path.ts';

/**
 * The Secrets obj names through references configured `filledByHost` (`namespace/name`), each with
 * the type the host's controller writes and the reference's template (see shared/filled-secrets.ts).
 * An object that may not reach the host gets nothing made there for it.
 */
export function filledSecretKeys(
  virtual: KubeObject,
  entry: CustomResourceEntry,
  rules: HostRules,
  /** The object's kind as resolved (ownedWhen's controller reference names it). */
  type?: ResourceType,
): Map<string, FilledSecret> {
  const out = new Map<string, FilledSecret>();
  const namespace = virtual.metadata?.namespace;
  if (!namespace || !selectedForSync(entry, virtual) || customResourceRefusal(virtual, entry, rules))
    return out;
  const obj = withOwnNames(virtual, entry);
  for (const ref of entry.references) {
    if (!ref.filledByHost || !referenceApplies(ref, obj)) continue;
    const template =
      ref.ownMetadataUnless && valuesAt(obj, ref.ownMetadataUnless.segments).values.length === 0
        ? { labels: { ...obj.metadata?.labels }, annotations: { ...obj.metadata?.annotations } }
        : ref.template && templateAt(obj, ref.template.segments);
    for (const { value } of valuesAt(obj, ref.segments).values)
      if (typeof value === 'string' && value && !out.has(`${namespace}/${value}`))
        out.set(`${namespace}/${value}`, {
          type: filledTypeOf(ref, obj)!,
          ...(template ? { template } : {}),
          ...(ref.ownedWhen && type && virtual.metadata?.uid && virtual.metadata.name
            ? {
                owner: {
                  apiVersion: apiVersionOf(type),
                  kind: type.kind,
                  name: virtual.metadata.name,
                  uid: virtual.metadata.uid,
                  controls: conditionHolds(ref.ownedWhen, obj),
                },
              }
            : {}),
        });
  }
  return out;
}

/**
 * The labels and annotations of a template field (`{labels, annotations}`, each of strings), or
 * undefined when there is none. What is not a string there is skipped: cert-manager's own schema
 * refuses it, and a CRD without one is the tenant's to fill as it likes.
 */
function templateAt(
  obj: KubeObject,
  segments: CustomResourceEntry['references'][number]['segments'],
): FilledSecret['template'] {
  const found = valuesAt(obj, segments).values[0]?.value as
    { labels?: unknown; annotations?: unknown } | undefined;
  if (typeof found !== 'object' || found === null) return undefined;
  const strings = (raw: unknown): Record<string, string> =>
    typeof raw === 'object' && raw !== null && !Array.isArray(raw)
      ? Object.fromEntries(Object.entries(raw).filter((e): e is [string, string] => typeof e[1] === 'string'))
      : {};
  return { labels: strings(found.labels), annotations: strings(found.annotations) };
}
