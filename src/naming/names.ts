import { safeConcatName } from './safe-concat.ts';

export { hash10 } from './safe-concat.ts';

/** Host name of a namespaced virtual object: `<name>-x-<namespace>-x-<vc>`, hashed past 63 characters. */
export function hostName(virtualName: string, virtualNamespace: string, vcName: string): string {
  return safeConcatName(virtualName, 'x', virtualNamespace, 'x', vcName);
}

/** Host name of a cluster-scoped virtual object: `vcluster-<name>-x-<hostNamespace>-x-<vc>`. */
export function hostClusterScopedName(name: string, hostNamespace: string, vcName: string): string {
  return safeConcatName('vcluster', name, 'x', hostNamespace, 'x', vcName);
}
