import type { InformerScope } from '../informer/factory.ts';
import { NamespacesInformer, type InformerView, type ObjectScope } from '../informer/namespaces-informer.ts';
import { isApiError } from '../kube/errors.ts';
import { splitKey, type KubeObject } from '../kube/object.ts';
import type { ResourceType } from '../kube/resources.ts';
import { managedBySelector } from '../naming/labels.ts';
import type { HostWatch, KindSpec, SyncEnvironment } from './kind.ts';

/**
 * The host informer a kind reads, scoped as its hostWatch says (undefined for `none`); the syncer
 * and `vsyncer check` both take it from here, so that they see the same objects.
 */
export function hostInformerFor(env: SyncEnvironment, spec: KindSpec): InformerView<KubeObject> | undefined {
  const watch = spec.hostWatch ?? 'managed';
  if (watch === 'none') return undefined;
  if (typeof watch === 'object')
    return new NamespacesInformer(scopesOf(watch), (scope) =>
      env.informers.get(env.host, spec.hostType, objectScope(scope)),
    );
  return env.informers.get(env.host, spec.hostType, {
    namespace: spec.hostType.namespaced && watch !== 'all-namespaces' ? env.hostNamespace : '',
    labelSelector:
      watch === 'managed'
        ? managedBySelector(env, spec.hostType.namespaced)
        : spec.hostLabelSelector || undefined,
  });
}

/** What a `{ namespaces, objects }` watch names: each namespace whole, and each single object. */
type ScopedWatch = Extract<HostWatch, object>;

export function scopesOf(watch: ScopedWatch): ObjectScope[] {
  return [
    ...watch.namespaces.map((namespace) => ({ namespace })),
    ...(watch.objects ?? []).map((key) => splitKey(key)),
  ];
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

/**
 * Whether the syncer may read what a `{ namespaces, objects }` watch names on the host (one list of
 * each, a single item): undefined when it may, or why not. A kind that reads host namespaces an
 * admin mapped checks this as its prepare step, so that a namespace it may not read (a Role that
 * could not be made there) holds up that kind alone, with the reason logged, not the whole syncer.
 */
export async function unreadableHostScope(
  env: SyncEnvironment,
  types: readonly ResourceType[],
  watch: ScopedWatch,
): Promise<string | undefined> {
  const scopes = scopesOf(watch);
  for (const type of types)
    for (const scope of scopes) {
      const { namespace, fieldSelector } = objectScope(scope);
      try {
        await env.host.list(type, namespace ?? '', { fieldSelector, limit: 1 });
      } catch (err) {
        if (!isApiError(err, 'forbidden')) throw err;
        const what = scope.name
          ? `${scope.name} in host namespace ${namespace}`
          : `in host namespace ${namespace}`;
        return `may not read ${type.resource} ${what} (${err.serverMessage}): grant it, or remove the mapping`;
      }
    }
  return undefined;
}
