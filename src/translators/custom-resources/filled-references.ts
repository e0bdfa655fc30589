import type { KubeObject } from '../../kube/object.ts';
import { customResourceRefusal } from './allowed-values.ts';
import { referenceApplies, type CustomResourceEntry } from './config.ts';
import { valuesAt } from './path.ts';

/**
 * The Secrets obj names through references configured `filledByHost` (`namespace/name`), each with
 * the type the host's controller writes (see shared/filled-secrets.ts). An object that may not
 * reach the host gets nothing made there for it.
 */
export function filledSecretKeys(
  obj: KubeObject,
  entry: CustomResourceEntry,
  hostNamespace: string,
): Map<string, string> {
  const out = new Map<string, string>();
  const namespace = obj.metadata?.namespace;
  // Host names are judged when the object is written (before its Secret is taken), not here.
  if (!namespace || customResourceRefusal(obj, entry, { hostNamespace, reservedHosts: [], allowedHosts: [] }))
    return out;
  for (const ref of entry.references) {
    if (!ref.filledByHost || !referenceApplies(ref, obj)) continue;
    for (const { value } of valuesAt(obj, ref.segments).values)
      if (typeof value === 'string' && value && !out.has(`${namespace}/${value}`))
        out.set(`${namespace}/${value}`, ref.filledByHost);
  }
  return out;
}
