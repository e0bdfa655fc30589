import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import type { Placement } from '../../sync/kind.ts';
import type { SecretFiller } from '../shared/filled-secrets.ts';
import { ingressReferences, type IngressReference } from './translate.ts';

/*
 * cert-manager's ingress-shim, on the host: for an Ingress annotated for it, it keeps a Certificate
 * for each TLS Secret the Ingress names, and issues into that Secret. When the host runs cert-manager
 * for this virtual cluster (integrations.certManager), the host copy's TLS Secrets are such Secrets:
 * filled by the host, and copied back to the tenant (shared/filled-secrets.ts), as cert-manager in
 * the tenant's own cluster would fill them.
 */

/** The annotations that make ingress-shim issue for an Ingress (`tls-acme` with its default issuer). */
const CLUSTER_ISSUER_ANNOTATION = 'cert-manager.io/cluster-issuer';
const ISSUER_ANNOTATION = 'cert-manager.io/issuer';
const TLS_ACME_ANNOTATION = 'kubernetes.io/tls-acme';

/** Whether the host's ingress-shim issues certificates into this Ingress's TLS Secrets. */
export function issuedByIngressShim(ingress: KubeObject): boolean {
  const annotations = ingress.metadata?.annotations ?? {};
  return Boolean(
    annotations[CLUSTER_ISSUER_ANNOTATION] ||
    annotations[ISSUER_ANNOTATION] ||
    annotations[TLS_ACME_ANNOTATION] === 'true',
  );
}

/** Whether a reference of an Ingress is one of its TLS Secrets (not an annotation's Secret). */
export const isTlsSecret = (ref: IngressReference): boolean =>
  ref.kind === 'Secret' && ref.field.startsWith('spec.tls[');

/**
 * The TLS Secrets (`namespace/name`) the host's cert-manager fills for an Ingress, each of type
 * kubernetes.io/tls; none for one that is not annotated for it, or that may not reach the host.
 */
export function issuedTlsSecretKeys(ingress: KubeObject, where: Placement): Map<string, string> {
  const out = new Map<string, string>();
  if (!issuedByIngressShim(ingress)) return out;
  for (const ref of ingressReferences(ingress, where))
    if (isTlsSecret(ref)) out.set(`${ref.namespace}/${ref.name}`, 'kubernetes.io/tls');
  return out;
}

/** The secrets kind's filler for Ingresses the host's cert-manager issues for. */
export const ingressCertificatesFiller = (where: Placement): SecretFiller => ({
  name: 'ingresses-issued',
  whenKind: 'ingresses',
  type: Resources.ingresses,
  filled: (ingress) => issuedTlsSecretKeys(ingress, where),
});
