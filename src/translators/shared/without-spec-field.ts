import type { KubeObject } from '../../kube/object.ts';

/**
 * A from-host copy's sanitizer that leaves out one spec field: a class's parameters, which name host
 * objects (often in host namespaces) the tenant has no use for.
 */
export function withoutSpecField(field: string): (copy: KubeObject) => KubeObject {
  return (copy) => {
    const spec = { ...((copy.spec ?? {}) as Record<string, unknown>) };
    delete spec[field];
    return { ...copy, spec };
  };
}
