import type { KubeObject } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import { BOOTSTRAP_LABEL, type BootstrapObject } from './coredns.ts';

export const KUBELET_CLIENT_BOOTSTRAP = 'kubelet-client';
/** The built-in ClusterRole of every Kubernetes cluster that may use a kubelet's whole API. */
const KUBELET_API_ADMIN = 'system:kubelet-api-admin';

/**
 * The virtual API server's identity towards kubelets (`--kubelet-client-user`: the common name of
 * its kubelet client certificate) allowed the kubelet API, which the syncer serves for the virtual
 * nodes and authorizes as a kubelet does (a SubjectAccessReview on nodes/proxy, nodes/stats ...).
 * kubeadm makes the same binding for its API server; a certificate made by Helm carries no
 * organization, so it cannot rely on system:masters instead.
 */
export function kubeletClientObjects(user: string): BootstrapObject[] {
  const binding: KubeObject = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'vsyncer:kubelet-api-client', labels: { [BOOTSTRAP_LABEL]: KUBELET_CLIENT_BOOTSTRAP } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: KUBELET_API_ADMIN },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
  } as KubeObject;
  return [{ type: Resources.clusterRoleBindings, object: binding }];
}
