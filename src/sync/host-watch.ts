import type { InformerScope } from '../informer/factory.ts';
import { NamespacesInformer, type InformerView, type ObjectScope } from '../informer/namespaces-informer.ts';
import { splitKey, type KubeObject } from '../kube/object.ts';
import { managedBySelector } from '../naming/labels.ts';
import type { KindSpec, SyncEnvironment } from './kind.ts';

/**
 * The host informer a kind reads, scoped as its hostWatch says (undefined for `none`); the syncer
 * and `vsyncer check` both take it from here, so that they see the same objects.
 */
export function hostInformerFor(env: SyncEnvironment, spec: KindSpec): InformerView<KubeObject> | undefined {
  const watch = spec.hostWatch ?? 'managed';
  if (watch === 'none') return undefined;
  if (typeof watch === 'object') {
    const scopes: ObjectScope[] = [
      ...watch.namespaces.map((namespace) => ({ namespace })),
      ...(watch.objects ?? []).map((key) => splitKey(key)),
    ];
    return new NamespacesInformer(scopes, (scope) =>
      env.informers.get(env.host, spec.hostType, objectScope(scope)),
    );
  }
  return env.informers.get(env.host, spec.hostType, {
    namespace: spec.hostType.namespaced && watch !== 'all-namespaces' ? env.hostNamespace : '',
    labelSelector: watch === 'managed' ? managedBySelector(env, spec.hostType.namespaced) : undefined,
  });
}

/**
 * The informer scope of a namespace, or of one object of it: listed and watched by a
 * `metadata.name` field selector, which a Role's resourceNames allow.
 */
export function objectScope(scope: ObjectScope): InformerScope {
  return scope.name === undefined
    ? { namespace: scope.namespace }
    : { namespace: scope.namespace, fieldSelector: `metadata.name=${scope.name}` };
}
