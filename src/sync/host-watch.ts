import { NamespacesInformer, type InformerView } from '../informer/namespaces-informer.ts';
import type { KubeObject } from '../kube/object.ts';
import { managedBySelector } from '../naming/labels.ts';
import type { KindSpec, SyncEnvironment } from './kind.ts';

/**
 * The host informer a kind reads, scoped as its hostWatch says (undefined for `none`); the syncer
 * and `vsyncer check` both take it from here, so that they see the same objects.
 */
export function hostInformerFor(env: SyncEnvironment, spec: KindSpec): InformerView<KubeObject> | undefined {
  const watch = spec.hostWatch ?? 'managed';
  if (watch === 'none') return undefined;
  if (typeof watch === 'object')
    return new NamespacesInformer(watch.namespaces, (namespace) =>
      env.informers.get(env.host, spec.hostType, { namespace }),
    );
  return env.informers.get(env.host, spec.hostType, {
    namespace: spec.hostType.namespaced && watch !== 'all-namespaces' ? env.hostNamespace : '',
    labelSelector: watch === 'managed' ? managedBySelector(env, spec.hostType.namespaced) : undefined,
  });
}
