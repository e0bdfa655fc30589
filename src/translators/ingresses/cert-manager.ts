import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import type { BuiltKind, Placement, SyncEnvironment } from '../../sync/kind.ts';
import type { SecretFiller } from '../shared/filled-secrets.ts';
import { ingressReferences, type IngressReference } from './translate.ts';

/*
 * cert-manager's ingress-shim, on the host: for an Ingress annotated for it, it keeps a Certificate
 * for each TLS Secret the Ingress names, and issues into that Secret. When the host runs cert-manager
 * for this virtual cluster (integrations.certManager), the host copy's TLS Secrets are such Secrets:
 * filled by the host, and copied back to the tenant (shared/filled-secrets.ts), as cert-manager in
 * the tenant's own cluster would fill them; and a ClusterIssuer an Ingress names must be one the
 * virtual cluster shows.
 */

/** The annotations that make ingress-shim issue for an Ingress (`tls-acme` with its default issuer). */
const CLUSTER_ISSUER_ANNOTATION = 'cert-manager.io/cluster-issuer';
const ISSUER_ANNOTATION = 'cert-manager.io/issuer';
const TLS_ACME_ANNOTATION = 'kubernetes.io/tls-acme';

/** Where a kind judges what the host shows: the environment and the kinds built beside it. */
export interface JudgingContext {
  env: SyncEnvironment;
  kinds: ReadonlyMap<string, BuiltKind>;
}

/** What the Ingress kind knows of the host's cert-manager. */
export interface HostCertManager {
  /**
   * Whether a host ClusterIssuer is one this virtual cluster shows (integrations.certManager's
   * fromHost clusterIssuers, judged on the host); absent when it shows none, so none may be named.
   */
  clusterIssuerOffered?: (at: JudgingContext, name: string) => 'offered' | 'not-offered' | 'starting';
}

/** The ClusterIssuer an Ingress names for ingress-shim, if any. */
export const namedClusterIssuer = (ingress: KubeObject): string | undefined =>
  ingress.metadata?.annotations?.[CLUSTER_ISSUER_ANNOTATION] || undefined;

/**
 * Whether a ClusterIssuer an Ingress names may be used by it: one the virtual cluster shows. A
 * tenant naming another (an admin's internal CA) gets no certificate from it.
 */
export const clusterIssuerVerdict = (
  certManager: HostCertManager,
  at: JudgingContext,
  name: string,
): 'offered' | 'not-offered' | 'starting' =>
  certManager.clusterIssuerOffered ? certManager.clusterIssuerOffered(at, name) : 'not-offered';

/** The Ingress without an annotation naming a ClusterIssuer it may not use. */
export function withoutClusterIssuer(ingress: KubeObject): KubeObject {
  const { [CLUSTER_ISSUER_ANNOTATION]: _issuer, ...annotations } = ingress.metadata?.annotations ?? {};
  return { ...ingress, metadata: { ...ingress.metadata, annotations } };
}

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
 * kubernetes.io/tls; none for one that is not annotated for it, that may not reach the host, or
 * (when `at` tells) that names a ClusterIssuer it may not use.
 */
export function issuedTlsSecretKeys(
  ingress: KubeObject,
  where: Placement,
  certManager: HostCertManager = {},
  at?: JudgingContext,
): Map<string, string> {
  const out = new Map<string, string>();
  if (!issuedByIngressShim(ingress)) return out;
  const issuer = namedClusterIssuer(ingress);
  if (issuer && at && clusterIssuerVerdict(certManager, at, issuer) === 'not-offered') return out;
  for (const ref of ingressReferences(ingress, where))
    if (isTlsSecret(ref)) out.set(`${ref.namespace}/${ref.name}`, 'kubernetes.io/tls');
  return out;
}

/** The secrets kind's filler for Ingresses the host's cert-manager issues for. */
export const ingressCertificatesFiller = (where: Placement, certManager: HostCertManager): SecretFiller => ({
  name: 'ingresses-issued',
  whenKind: 'ingresses',
  type: Resources.ingresses,
  filled: (ingress, at) => issuedTlsSecretKeys(ingress, where, certManager, at),
});
