import type { KubeObject } from '../../kube/object.ts';
import { customResourceRefusal, type HostRules } from './allowed-values.ts';
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
  rules: HostRules,
): Map<string, string> {
  const out = new Map<string, string>();
  const namespace = obj.metadata?.namespace;
  if (!namespace || customResourceRefusal(obj, entry, rules)) return out;
  for (const ref of entry.references) {
    if (!ref.filledByHost || !referenceApplies(ref, obj)) continue;
    for (const { value } of valuesAt(obj, ref.segments).values)
      if (typeof value === 'string' && value && !out.has(`${namespace}/${value}`))
        out.set(`${namespace}/${value}`, ref.filledByHost);
  }
  return out;
}
