/**
 * Annotations naming objects of kinds the syncer does not translate, which host add-ons read with
 * their own rights: cert-manager's namespaced Issuer (its ingress and gateway shims look it up in the
 * object's namespace, on the host the shared one, where it could only be another tenant's or the
 * host's: a ClusterIssuer, which an admin offers to everyone, is the way), and Traefik's Middlewares
 * and TLS options (`<namespace>-<name>@kubernetescrd`, any namespace of the host: an admin's
 * authentication middleware, say). vCluster copies them as they are.
 */
const HOST_OBJECT_ANNOTATIONS = new Map([
  [
    'cert-manager.io/issuer',
    "names an Issuer of the host namespace, which is not this tenant's: use a ClusterIssuer (cert-manager.io/cluster-issuer)",
  ],
  ['traefik.ingress.kubernetes.io/router.middlewares', 'names Traefik Middlewares of host namespaces'],
  ['traefik.ingress.kubernetes.io/router.tls.options', 'names Traefik TLS options of host namespaces'],
]);

/** Why an annotation key may not reach the host (see HOST_OBJECT_ANNOTATIONS), or undefined. */
export function hostObjectAnnotationRefusal(key: string): string | undefined {
  const why = HOST_OBJECT_ANNOTATIONS.get(key);
  return why && `metadata.annotations[${JSON.stringify(key)}] ${why}`;
}

/** The first refusal among an object's annotations, or undefined. */
export function hostObjectAnnotationsRefusal(
  annotations: Record<string, string> | undefined,
): string | undefined {
  for (const key of Object.keys(annotations ?? {})) {
    const refusal = hostObjectAnnotationRefusal(key);
    if (refusal) return refusal;
  }
  return undefined;
}
