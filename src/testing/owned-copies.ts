import type { ObjectMeta } from '../kube/object.ts';

/**
 * The metadata a syncer's host copy of a pod carries, which proves it is the copy of that virtual
 * pod in that virtual cluster: for fixtures of code that checks ownership (kubelet API, metrics).
 */
export function ownedPodCopyMetadata(o: {
  hostName: string;
  hostNamespace: string;
  vcName: string;
  virtual: { namespace: string; name: string; uid: string };
}): ObjectMeta {
  return {
    name: o.hostName,
    namespace: o.hostNamespace,
    labels: { 'vcluster.loft.sh/managed-by': o.vcName },
    annotations: {
      'vcluster.loft.sh/object-name': o.virtual.name,
      'vcluster.loft.sh/object-namespace': o.virtual.namespace,
      'vcluster.loft.sh/object-uid': o.virtual.uid,
      'vcluster.loft.sh/object-kind': '/v1, Kind=Pod',
    },
  };
}
