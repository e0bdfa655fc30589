/**
 * What the Helm chart makes in the host namespace before the syncer starts: the namespace, the
 * service account synced pods run as, and the Service that fronts the virtual API server. Local
 * clusters, tests and the bench apply this instead.
 */
export function hostNamespaceManifest(vcName: string, hostNamespace: string): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: ${hostNamespace}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: vc-workload-${vcName}, namespace: ${hostNamespace}}
automountServiceAccountToken: false
---
apiVersion: v1
kind: Service
metadata: {name: ${vcName}, namespace: ${hostNamespace}}
spec:
  ports: [{name: https, port: 443, targetPort: 6443, protocol: TCP}]
`;
}
