import {
  OBJECT_HOST_NAME_ANNOTATION,
  OBJECT_HOST_NAMESPACE_ANNOTATION,
  OBJECT_KIND_ANNOTATION,
  OBJECT_NAME_ANNOTATION,
  OBJECT_NAMESPACE_ANNOTATION,
  OBJECT_UID_ANNOTATION,
} from './labels.ts';

/**
 * Marks the host copy of a DaemonSet's pod, for the host's cluster autoscaler (vCluster's too); the
 * nodes kind reads it to let such pods go with their node.
 */
export const DAEMONSET_POD_ANNOTATION = 'cluster-autoscaler.kubernetes.io/daemonset-pod';

/** The back-references every host object carries to the virtual object it stands for. */
export function objectAnnotations(o: {
  name: string;
  namespace: string;
  uid: string;
  kind: string;
  hostName: string;
  hostNamespace: string;
}): Record<string, string> {
  const out: Record<string, string> = {
    [OBJECT_NAME_ANNOTATION]: o.name,
    [OBJECT_UID_ANNOTATION]: o.uid,
    [OBJECT_KIND_ANNOTATION]: o.kind,
    [OBJECT_HOST_NAME_ANNOTATION]: o.hostName,
    [OBJECT_HOST_NAMESPACE_ANNOTATION]: o.hostNamespace,
  };
  if (o.namespace) out[OBJECT_NAMESPACE_ANNOTATION] = o.namespace;
  return out;
}
