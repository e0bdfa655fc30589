import type { KubeObject } from '../../kube/object.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import type { InformerScope } from '../../informer/factory.ts';
import type { BuiltKind, Placement, ReconcileContext, SyncEnvironment } from '../../sync/kind.ts';
import { deleteIncarnation } from '../../kube/delete-incarnation.ts';
import type { SecretFiller } from '../shared/filled-secrets.ts';
import { ingressReferences, type IngressReference } from './translate.ts';

/*
 * cert-manager's ingress-shim, on the host: for an Ingress annotated for it, it keeps a Certificate
 * for each TLS Secret the Ingress names, and issues into that Secret. When the host runs cert-manager
 * for this virtual cluster (integrations.certManager), an Ingress naming a ClusterIssuer the virtual
 * cluster shows has its TLS Secrets filled by the host and copied back to the tenant
 * (shared/filled-secrets.ts), as cert-manager in the tenant's own cluster would fill them; what it
 * may not use is left off its host copy.
 */

const CLUSTER_ISSUER_ANNOTATION = 'cert-manager.io/cluster-issuer';
/** ingress-shim issues with the host's default issuer for it (its --auto-certificate-annotations). */
const TLS_ACME_ANNOTATION = 'kubernetes.io/tls-acme';
/** ingress-shim reads `tls-acme` as Go's strconv.ParseBool does. */
const TRUE_SPELLINGS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

/**
 * The cert-manager annotations of an Ingress that reach its host copy: the offered ClusterIssuer
 * (judged apart) and what only shapes the certificate issued into the tenant's own Secret. Every other
 * `cert-manager.io/` and `acme.cert-manager.io/` key is left off, those ingress-shim reads today and
 * any it reads tomorrow: the kind and group of the issuer (an Issuer of the host namespace, an
 * external issuer kind), `secret-template` (labels and annotations on the host Secret as written: a
 * reflector's, the syncer's own ownership keys), `common-name` (not held to the names tenants may
 * serve), the HTTP-01 solver's class, and the solver editing the Ingress's copy.
 */
const PASSED_ANNOTATIONS = new Set([
  'cert-manager.io/duration',
  'cert-manager.io/renew-before',
  'cert-manager.io/usages',
  'cert-manager.io/revision-history-limit',
  'cert-manager.io/private-key-algorithm',
  'cert-manager.io/private-key-encoding',
  'cert-manager.io/private-key-size',
  'cert-manager.io/private-key-rotation-policy',
  'cert-manager.io/email-sans',
  'cert-manager.io/subject-organizations',
  'cert-manager.io/subject-organizationalunits',
  'cert-manager.io/subject-countries',
  'cert-manager.io/subject-provinces',
  'cert-manager.io/subject-localities',
  'cert-manager.io/subject-postalcodes',
  'cert-manager.io/subject-streetaddresses',
  'cert-manager.io/subject-serialnumber',
]);
const CERT_MANAGER_PREFIXES = ['cert-manager.io/', 'acme.cert-manager.io/'];

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
  /** The host ClusterIssuers that kind reads: a change there retries the Ingresses naming one. */
  clusterIssuers?: { type: ResourceType; scope: InformerScope; kind: string };
}

/** The ClusterIssuer an Ingress names for ingress-shim, if any (present, even empty). */
export const namedClusterIssuer = (ingress: KubeObject): string | undefined =>
  ingress.metadata?.annotations?.[CLUSTER_ISSUER_ANNOTATION];

/** What the host's ingress-shim may read of an Ingress, with the integration on. */
export interface ShimView {
  /** The Ingress as its host copy is written: annotations the tenant may not use left off. */
  ingress: KubeObject;
  /** Whether ingress-shim issues into its TLS Secrets: an offered ClusterIssuer is named. */
  issued: boolean;
  /** Whether the ClusterIssuers shown are not known yet (at a start): nothing can be decided. */
  starting: boolean;
  /** What was left off, and why, for the tenant. */
  withheld: string[];
}

/**
 * The Ingress as the host's ingress-shim may read it (with the integration on): a ClusterIssuer the
 * virtual cluster does not show (an admin's internal CA) is left off, so no certificate is issued
 * from it; so is `kubernetes.io/tls-acme`, which has the host's default issuer issue (one the syncer
 * cannot judge); and so are the annotations choosing an issuer's kind or group or the solver's
 * class. The Ingress itself still serves. Without `at` (which keys an object may concern), a named
 * ClusterIssuer is taken as offered.
 */
export function shimView(ingress: KubeObject, certManager: HostCertManager, at?: JudgingContext): ShimView {
  const annotations = { ...(ingress.metadata?.annotations ?? {}) };
  const withheld: string[] = [];
  let starting = false;
  for (const key of Object.keys(annotations))
    if (
      CERT_MANAGER_PREFIXES.some((p) => key.startsWith(p)) &&
      key !== CLUSTER_ISSUER_ANNOTATION &&
      !PASSED_ANNOTATIONS.has(key)
    ) {
      delete annotations[key];
      withheld.push(`${key} is not passed to the host's cert-manager`);
    }
  const acme = annotations[TLS_ACME_ANNOTATION];
  if (acme !== undefined) {
    delete annotations[TLS_ACME_ANNOTATION];
    if (TRUE_SPELLINGS.has(acme))
      withheld.push(
        `${TLS_ACME_ANNOTATION} has the host's default issuer issue, which this virtual cluster cannot judge: name an offered ClusterIssuer with ${CLUSTER_ISSUER_ANNOTATION}`,
      );
  }
  let issued = false;
  const name = annotations[CLUSTER_ISSUER_ANNOTATION];
  if (name !== undefined) {
    const verdict = !at
      ? 'offered'
      : name && certManager.clusterIssuerOffered
        ? certManager.clusterIssuerOffered(at, name)
        : 'not-offered';
    if (verdict === 'offered') issued = true;
    else if (verdict === 'starting') starting = true;
    else {
      delete annotations[CLUSTER_ISSUER_ANNOTATION];
      withheld.push(
        `${CLUSTER_ISSUER_ANNOTATION} names ClusterIssuer "${name}", which this virtual cluster does not show: no certificate is issued for this ingress`,
      );
    }
  }
  return {
    ingress: { ...ingress, metadata: { ...ingress.metadata, annotations } },
    issued,
    starting,
    withheld,
  };
}

/**
 * cert-manager's gateway-shim reads the same annotations on a Gateway, and would issue into its
 * listeners' Secrets, which are the tenant's (copied down, and put back). With the integration on,
 * they are left off Gateway copies: a Certificate naming the listener's Secret is the way (its Secret
 * is filled by the host, and a Gateway names it as any other).
 */
export const GATEWAY_SHIM_ANNOTATIONS = [
  CLUSTER_ISSUER_ANNOTATION,
  'cert-manager.io/issuer',
  'cert-manager.io/issuer-kind',
  'cert-manager.io/issuer-group',
  TLS_ACME_ANNOTATION,
] as const;

/** cert-manager's Certificates, which ingress-shim makes on the host for an Ingress's copy. */
export const CERTIFICATES: ResourceType = {
  group: 'cert-manager.io',
  version: 'v1',
  resource: 'certificates',
  kind: 'Certificate',
  namespaced: true,
};

/** The name and UID of the Ingress that controls a host object (ingress-shim's Certificates), if any. */
export function controllingIngress(obj: KubeObject): { name: string; uid: string } | undefined {
  const owner = obj.metadata?.ownerReferences?.find(
    (o) => o.controller === true && o.kind === 'Ingress' && o.apiVersion.startsWith('networking.k8s.io/'),
  );
  return owner ? { name: owner.name, uid: owner.uid } : undefined;
}

/**
 * Removes the Certificates ingress-shim made for an Ingress's host copy (controlled by that very
 * copy: its UID) while the copy does not ask for them: ingress-shim itself leaves them when the
 * annotation goes, and would keep renewing into Secrets that are the tenant's again, which the
 * syncer then puts back (a write fight at every renewal). Asked at every reconcile of the Ingress, and
 * again when such a Certificate appears (ingress-shim may make it again from a cache that still shows
 * the annotation). A failed delete throws, so the Ingress is tried again. Nothing else is touched.
 */
export async function removeShimCertificates(
  ctx: ReconcileContext,
  hostIngress: KubeObject,
  related: readonly KubeObject[],
): Promise<boolean> {
  const uid = hostIngress.metadata?.uid;
  if (!uid) return false;
  let removed = false;
  for (const cert of related)
    if (controllingIngress(cert)?.uid === uid && !cert.metadata?.deletionTimestamp) {
      await deleteIncarnation(ctx.host, CERTIFICATES, cert);
      removed = true;
    }
  return removed;
}

/**
 * Whether a host Ingress copy asks ingress-shim for certificates, as ingress-shim reads it: an
 * issuer named, or `tls-acme` true (a copy an older syncer wrote may carry either).
 */
export function asksIngressShim(hostIngress: KubeObject | undefined): boolean {
  const annotations = hostIngress?.metadata?.annotations ?? {};
  return (
    CLUSTER_ISSUER_ANNOTATION in annotations ||
    'cert-manager.io/issuer' in annotations ||
    TRUE_SPELLINGS.has(annotations[TLS_ACME_ANNOTATION] ?? '')
  );
}

/** Whether a reference of an Ingress is one of its TLS Secrets (not an annotation's Secret). */
export const isTlsSecret = (ref: IngressReference): boolean =>
  ref.kind === 'Secret' && ref.field.startsWith('spec.tls[');

/**
 * The TLS Secrets (`namespace/name`) the host's cert-manager fills for an Ingress, each of type
 * kubernetes.io/tls: those of an Ingress naming an offered ClusterIssuer (shimView; without `at`,
 * one naming any) that may reach the host.
 */
function issuedTlsSecretKeys(
  ingress: KubeObject,
  where: Placement,
  certManager: HostCertManager = {},
  at?: JudgingContext,
): Map<string, string> {
  const out = new Map<string, string>();
  const view = shimView(ingress, certManager, at);
  if (!view.issued) return out;
  for (const ref of ingressReferences(view.ingress, where))
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
