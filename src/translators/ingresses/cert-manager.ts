import type { KubeObject } from '../../kube/object.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import type { InformerScope } from '../../informer/factory.ts';
import type { BuiltKind, Placement, ReconcileContext, SyncEnvironment } from '../../sync/kind.ts';
import { deleteIncarnation } from '../../kube/delete-incarnation.ts';
import { managedCopiesScope } from '../../sync/mappers.ts';
import type { FilledSecret, FillerDependency, SecretFiller } from '../shared/filled-secrets.ts';
import { ingressReferences, type IngressPlace, type IngressReference } from './translate.ts';

/*
 * cert-manager's ingress-shim, on the host: for an Ingress annotated for it, it keeps a Certificate
 * for each TLS Secret the Ingress names, and issues into that Secret. When the host runs cert-manager
 * for this virtual cluster (integrations.certManager), an Ingress naming a ClusterIssuer the virtual
 * cluster shows has its TLS Secrets filled by the host and copied back to the tenant
 * (shared/filled-secrets.ts), as cert-manager in the tenant's own cluster would fill them; what it
 * may not use is left off its host copy.
 */

const CLUSTER_ISSUER_ANNOTATION = 'cert-manager.io/cluster-issuer';
/** An Issuer of the Ingress's own namespace: the tenant's, whose host copy the host copy names. */
const ISSUER_ANNOTATION = 'cert-manager.io/issuer';
/**
 * The kind and group of the issuer ingress-shim uses. A tenant's are withheld; with an Issuer named,
 * the host copy gets cert-manager's own (ingress-shim would otherwise take the group from the host's
 * --default-issuer-group, which an admin may have set to an external issuer's).
 */
const ISSUER_KIND_ANNOTATION = 'cert-manager.io/issuer-kind';
const ISSUER_GROUP_ANNOTATION = 'cert-manager.io/issuer-group';
/** ingress-shim issues with the host's default issuer for it (its --auto-certificate-annotations). */
const TLS_ACME_ANNOTATION = 'kubernetes.io/tls-acme';
/** ingress-shim reads `tls-acme` as Go's strconv.ParseBool does. */
const TRUE_SPELLINGS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

/**
 * The cert-manager annotations of an Ingress that reach its host copy: the offered ClusterIssuer or the
 * tenant's Issuer (judged apart) and what only shapes the certificate issued into the tenant's own
 * Secret. Every other `cert-manager.io/` and `acme.cert-manager.io/` key is left off, those
 * ingress-shim reads today and any it reads tomorrow: the kind and group of the issuer (an external
 * issuer kind, whose objects are not synced), `secret-template` (labels and annotations on the host Secret as written: a
 * reflector's, the syncer's own ownership keys), `common-name` (not held to the names tenants may
 * serve), `email-sans` (an identity no host bound judges, as a Certificate's emailAddresses: see
 * custom-resources/cluster-issued.ts), the HTTP-01 solver's class, and the solver editing the
 * Ingress's copy.
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
/** The Certificate's common name: passed when it is a name the tenant may serve (see shimView). */
const COMMON_NAME_ANNOTATION = 'cert-manager.io/common-name';
/**
 * Labels and annotations for the issued Secret (JSON `{labels, annotations}`): the tenant's Secret's,
 * laid over it by the syncer, never the host's (see ingressCertificatesFiller).
 */
const SECRET_TEMPLATE_ANNOTATION = 'cert-manager.io/secret-template';

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
  /**
   * Why a common name may not be asked for (a host the tenant may not serve: reserved, or outside the
   * allowed ones), or undefined when it may; absent: none may (it is left off).
   */
  commonNameRefusal?: (name: string) => string | undefined;
  /**
   * The host copy of the tenant's Issuer `namespace/name` (integrations.certManager's toHost issuers),
   * judged as any reference to a copy is (ReferenceJudge); absent when Issuers are not synced, so none
   * may be named.
   */
  issuerCopy?: (at: JudgingContext, namespace: string, name: string) => IssuerCopyVerdict;
  /**
   * The host copies of Issuers (the issuers kind's own cache): one that comes, changes or goes retries
   * the Ingresses naming its Issuer. `ownerOf` gives the virtual `namespace/name` a copy provably stands for.
   */
  issuers?: {
    type: ResourceType;
    kind: string;
    ownerOf: (copy: KubeObject, where: Pick<Placement, 'vcName' | 'hostNamespace'>) => string | undefined;
  };
}

/** Whether the host copy of a tenant's Issuer may be named, and under which name. */
export type IssuerCopyVerdict =
  | { state: 'ready'; hostName: string }
  | { state: 'starting' }
  /** On its way (the Issuer exists, its copy is not there yet, or is being replaced). */
  | { state: 'waiting'; message: string }
  /** Missing, refused (no copy), or its host name held by another object. */
  | { state: 'unusable'; message: string };

/**
 * What shimView's verdict for an Ingress depends on besides the Ingress itself: an offered
 * ClusterIssuer, a tenant's Issuer, that Issuer's host copy. Both the Ingress kind and the secrets
 * kind (the TLS Secrets the host fills) follow them.
 */
export function shimDependencies(
  certManager: HostCertManager,
  where: Pick<Placement, 'vcName' | 'hostNamespace'>,
): FillerDependency[] {
  const out: FillerDependency[] = [];
  const { clusterIssuers, issuers } = certManager;
  // A ClusterIssuer offered or withdrawn.
  if (clusterIssuers)
    out.push({
      name: 'offered-cluster-issuers',
      cluster: 'host',
      type: clusterIssuers.type,
      scope: clusterIssuers.scope,
      whenKind: clusterIssuers.kind,
      naming: (issuer, ingresses) => ingresses.filter((i) => namedClusterIssuer(i) === issuer.metadata?.name),
    });
  if (issuers) {
    /** The Ingresses naming the tenant's Issuer `namespace/name`. */
    const namingIssuer = (issuerKey: string | undefined, ingresses: readonly KubeObject[]) => {
      if (!issuerKey) return [];
      const [namespace, name] = issuerKey.split('/');
      return ingresses.filter((i) => i.metadata?.namespace === namespace && namedIssuer(i) === name);
    };
    // A tenant's Issuer, or its copy, that comes, changes or goes.
    out.push(
      {
        name: 'issuers',
        cluster: 'virtual',
        type: issuers.type,
        whenKind: issuers.kind,
        naming: (issuer, ingresses) =>
          namingIssuer(`${issuer.metadata?.namespace}/${issuer.metadata?.name}`, ingresses),
      },
      {
        name: 'issuer-copies',
        cluster: 'host',
        type: issuers.type,
        scope: managedCopiesScope(where),
        whenKind: issuers.kind,
        naming: (copy, ingresses) => namingIssuer(issuers.ownerOf(copy, where), ingresses),
      },
    );
  }
  return out;
}

/** The ClusterIssuer an Ingress names for ingress-shim, if any (present, even empty). */
export const namedClusterIssuer = (ingress: KubeObject): string | undefined =>
  ingress.metadata?.annotations?.[CLUSTER_ISSUER_ANNOTATION];

/** The Issuer (of its own namespace) an Ingress names for ingress-shim, if any (present, even empty). */
export const namedIssuer = (ingress: KubeObject): string | undefined =>
  ingress.metadata?.annotations?.[ISSUER_ANNOTATION];

/** What the host's ingress-shim may read of an Ingress, with the integration on. */
/**
 * The Ingress as its host copy is written without the integration, whose cert-manager annotations
 * otherwise reach the host as written: left off are `secret-template`, with which the host's
 * cert-manager would put labels and annotations of the tenant's choosing on the Secret copy (a
 * replication controller's, which would fill that copy with a host Secret the tenant's pods mount),
 * and a `common-name` the tenant may not serve (the HTTP-01 solver answers for it on the shared
 * ingress controllers).
 */
export function unintegratedShimView(
  ingress: KubeObject,
  commonNameRefusal: (name: string) => string | undefined,
): Pick<ShimView, 'ingress' | 'withheld'> {
  const annotations = ingress.metadata?.annotations ?? {};
  const withheld: string[] = [];
  const leftOff: string[] = [];
  if (annotations[SECRET_TEMPLATE_ANNOTATION] !== undefined) {
    leftOff.push(SECRET_TEMPLATE_ANNOTATION);
    withheld.push(
      `${SECRET_TEMPLATE_ANNOTATION} is not passed to the host's cert-manager (it would label the host's copy of the Secret)`,
    );
  }
  const commonName = annotations[COMMON_NAME_ANNOTATION];
  const refusal = commonName !== undefined ? commonNameRefusal(commonName) : undefined;
  if (refusal) {
    leftOff.push(COMMON_NAME_ANNOTATION);
    withheld.push(`${COMMON_NAME_ANNOTATION}: ${refusal}`);
  }
  if (!leftOff.length) return { ingress, withheld };
  const kept = Object.fromEntries(Object.entries(annotations).filter(([key]) => !leftOff.includes(key)));
  return { ingress: { ...ingress, metadata: { ...ingress.metadata, annotations: kept } }, withheld };
}

export interface ShimView {
  /** The Ingress as its host copy is written: annotations the tenant may not use left off. */
  ingress: KubeObject;
  /**
   * Whether ingress-shim issues into its TLS Secrets: an offered ClusterIssuer is named, or an Issuer
   * of the Ingress's namespace whose host copy is provably the tenant's.
   */
  issued: boolean;
  /** Whether the ClusterIssuers shown, or the Issuers synced, are not known yet (at a start). */
  starting: boolean;
  /**
   * Why the named Issuer is not usable yet, when its copy is on its way: it is withheld meanwhile
   * (a new Ingress may wait for it instead).
   */
  waiting?: string;
  /** What was left off, and why, for the tenant. */
  withheld: string[];
}

/**
 * The Ingress as the host's ingress-shim may read it (with the integration on): a ClusterIssuer the
 * virtual cluster does not show (an admin's internal CA) is left off, so no certificate is issued
 * from it; an Issuer is named by its host copy's name once that copy is provably the tenant's Issuer
 * of the Ingress's namespace, and left off until then; `kubernetes.io/tls-acme`, which has the host's
 * default issuer issue (one the syncer cannot judge), is left off, and so are the annotations choosing
 * an issuer's kind or group or the solver's class. The Ingress itself still serves. Without `at`
 * (which keys an object may concern), a named ClusterIssuer is taken as offered and a named Issuer
 * as ready.
 */
export function shimView(ingress: KubeObject, certManager: HostCertManager, at?: JudgingContext): ShimView {
  const annotations = { ...(ingress.metadata?.annotations ?? {}) };
  const withheld: string[] = [];
  // The tenant's kind and group, read before they are left off: they change which issuer is meant.
  const issuerKind = annotations[ISSUER_KIND_ANNOTATION];
  const issuerGroup = annotations[ISSUER_GROUP_ANNOTATION];
  for (const key of Object.keys(annotations)) {
    if (
      !CERT_MANAGER_PREFIXES.some((p) => key.startsWith(p)) ||
      key === CLUSTER_ISSUER_ANNOTATION ||
      key === ISSUER_ANNOTATION ||
      PASSED_ANNOTATIONS.has(key)
    )
      continue;
    const value = annotations[key]!;
    if (key === COMMON_NAME_ANNOTATION && certManager.commonNameRefusal) {
      // The solver answers challenges for it on the shared ingress controllers, as for the TLS hosts.
      const refusal = certManager.commonNameRefusal(value);
      if (!refusal) continue;
      delete annotations[key];
      withheld.push(`${key}: ${refusal}`);
      continue;
    }
    delete annotations[key];
    // The template goes on the tenant's Secret (ingressCertificatesFiller), as cert-manager would put it.
    if (key === SECRET_TEMPLATE_ANNOTATION && secretTemplateOf(ingress) !== undefined) continue;
    withheld.push(
      key === SECRET_TEMPLATE_ANNOTATION
        ? `${key} must be a JSON object {"labels": {...}, "annotations": {...}} of strings`
        : `${key} is not passed to the host's cert-manager`,
    );
  }
  const acme = annotations[TLS_ACME_ANNOTATION];
  if (acme !== undefined) {
    delete annotations[TLS_ACME_ANNOTATION];
    if (TRUE_SPELLINGS.has(acme))
      withheld.push(
        `${TLS_ACME_ANNOTATION} has the host's default issuer issue, which this virtual cluster cannot judge: name an offered ClusterIssuer with ${CLUSTER_ISSUER_ANNOTATION}`,
      );
  }
  if (annotations[CLUSTER_ISSUER_ANNOTATION] !== undefined && annotations[ISSUER_ANNOTATION] !== undefined) {
    // ingress-shim refuses the pair; so does the tenant's own cert-manager.
    delete annotations[CLUSTER_ISSUER_ANNOTATION];
    delete annotations[ISSUER_ANNOTATION];
    withheld.push(
      `both ${ISSUER_ANNOTATION} and ${CLUSTER_ISSUER_ANNOTATION} are set, which cert-manager refuses: no certificate is issued for this ingress`,
    );
  }
  if (annotations[CLUSTER_ISSUER_ANNOTATION] !== undefined && (issuerKind ?? issuerGroup) !== undefined) {
    delete annotations[CLUSTER_ISSUER_ANNOTATION];
    withheld.push(
      `${CLUSTER_ISSUER_ANNOTATION} with ${ISSUER_KIND_ANNOTATION} or ${ISSUER_GROUP_ANNOTATION}, which cert-manager refuses: no certificate is issued for this ingress`,
    );
  }
  const name = annotations[ISSUER_ANNOTATION];
  if (
    name !== undefined &&
    ((issuerKind !== undefined && issuerKind !== 'Issuer') ||
      (issuerGroup !== undefined && issuerGroup !== 'cert-manager.io'))
  ) {
    // Another kind (a ClusterIssuer by this annotation) or an external issuer's: not the tenant's
    // Issuer of this name, which is all the syncer can name.
    delete annotations[ISSUER_ANNOTATION];
    withheld.push(
      `${ISSUER_ANNOTATION} names "${name}" of kind ${JSON.stringify(issuerKind ?? 'Issuer')} in group ${JSON.stringify(issuerGroup ?? 'cert-manager.io')}: only cert-manager's own Issuers are synced (name a ClusterIssuer with ${CLUSTER_ISSUER_ANNOTATION}); no certificate is issued for this ingress`,
    );
  }
  const issuer = issuerView(ingress, annotations, certManager, at);
  withheld.push(...issuer.withheld);
  let issued = issuer.issued;
  let starting = issuer.starting;
  const clusterIssuer = annotations[CLUSTER_ISSUER_ANNOTATION];
  if (clusterIssuer !== undefined) {
    const verdict = !at
      ? 'offered'
      : clusterIssuer && certManager.clusterIssuerOffered
        ? certManager.clusterIssuerOffered(at, clusterIssuer)
        : 'not-offered';
    if (verdict === 'offered') issued = true;
    else if (verdict === 'starting') starting = true;
    else {
      delete annotations[CLUSTER_ISSUER_ANNOTATION];
      withheld.push(
        `${CLUSTER_ISSUER_ANNOTATION} names ClusterIssuer "${clusterIssuer}", which this virtual cluster does not show: no certificate is issued for this ingress`,
      );
    }
  }
  return {
    ingress: { ...ingress, metadata: { ...ingress.metadata, annotations } },
    issued,
    starting,
    withheld,
    ...(issuer.waiting ? { waiting: issuer.waiting } : {}),
  };
}

/**
 * The `cert-manager.io/issuer` part of shimView, on `annotations` (the host copy's, edited in place):
 * the tenant's Issuer named by its host copy's name, with cert-manager's own kind and group, once
 * that copy is provably the Issuer of this name in the Ingress's namespace; left off otherwise.
 */
function issuerView(
  ingress: KubeObject,
  annotations: Record<string, string>,
  certManager: HostCertManager,
  at: JudgingContext | undefined,
): Pick<ShimView, 'issued' | 'starting' | 'withheld' | 'waiting'> {
  const name = annotations[ISSUER_ANNOTATION];
  if (name === undefined) return { issued: false, starting: false, withheld: [] };
  if (!at) return { issued: true, starting: false, withheld: [] };
  const namespace = ingress.metadata?.namespace ?? '';
  const verdict: IssuerCopyVerdict = !name
    ? { state: 'unusable', message: 'it is empty' }
    : certManager.issuerCopy
      ? certManager.issuerCopy(at, namespace, name)
      : { state: 'unusable', message: 'Issuers are not synced to the host (integrations.certManager)' };
  if (verdict.state === 'ready') {
    annotations[ISSUER_ANNOTATION] = verdict.hostName;
    annotations[ISSUER_KIND_ANNOTATION] = 'Issuer';
    annotations[ISSUER_GROUP_ANNOTATION] = 'cert-manager.io';
    return { issued: true, starting: false, withheld: [] };
  }
  delete annotations[ISSUER_ANNOTATION];
  if (verdict.state === 'starting') return { issued: false, starting: true, withheld: [] };
  const withheld = [
    `${ISSUER_ANNOTATION} names Issuer "${name}": ${verdict.message}; no certificate is issued for this ingress until it can be`,
  ];
  return verdict.state === 'waiting'
    ? { issued: false, starting: false, withheld, waiting: `Issuer "${name}": ${verdict.message}` }
    : { issued: false, starting: false, withheld };
}

/**
 * cert-manager's gateway-shim reads the same annotations on a Gateway, and would issue into its
 * listeners' Secrets, which are the tenant's (copied down, and put back). With the integration on,
 * they are left off Gateway copies: a Certificate naming the listener's Secret is the way (its Secret
 * is filled by the host, and a Gateway names it as any other).
 */
export const GATEWAY_SHIM_ANNOTATIONS = [
  CLUSTER_ISSUER_ANNOTATION,
  ISSUER_ANNOTATION,
  ISSUER_KIND_ANNOTATION,
  ISSUER_GROUP_ANNOTATION,
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
    ISSUER_ANNOTATION in annotations ||
    TRUE_SPELLINGS.has(annotations[TLS_ACME_ANNOTATION] ?? '')
  );
}

/** Whether a reference of an Ingress is one of its TLS Secrets (not an annotation's Secret). */
export const isTlsSecret = (ref: IngressReference): boolean =>
  ref.kind === 'Secret' && ref.field.startsWith('spec.tls[');

/**
 * The TLS Secrets (`namespace/name`) the host's cert-manager fills for an Ingress, each of type
 * kubernetes.io/tls: those of an Ingress naming an offered ClusterIssuer or a synced Issuer (shimView;
 * without `at`, one naming any) that may reach the host.
 */
function issuedTlsSecretKeys(
  ingress: KubeObject,
  where: IngressPlace,
  certManager: HostCertManager,
  at?: JudgingContext,
): Map<string, FilledSecret> {
  const out = new Map<string, FilledSecret>();
  const view = shimView(ingress, certManager, at);
  if (!view.issued) return out;
  const template = secretTemplateOf(ingress);
  for (const ref of ingressReferences(view.ingress, where))
    if (isTlsSecret(ref))
      out.set(`${ref.namespace}/${ref.name}`, {
        type: 'kubernetes.io/tls',
        ...(template ? { template } : {}),
      });
  return out;
}

/**
 * An Ingress's `cert-manager.io/secret-template`, read: labels and annotations of strings. Undefined
 * when absent or not of that shape (the Ingress is told so).
 */
function secretTemplateOf(ingress: KubeObject): FilledSecret['template'] {
  const raw = ingress.metadata?.annotations?.[SECRET_TEMPLATE_ANNOTATION];
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const isStrings = (v: unknown): v is Record<string, string> =>
    v === undefined ||
    (typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      Object.values(v).every((s) => typeof s === 'string'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const { labels, annotations, ...rest } = parsed as Record<string, unknown>;
  if (Object.keys(rest).length || !isStrings(labels) || !isStrings(annotations)) return undefined;
  return { labels: labels ?? {}, annotations: annotations ?? {} };
}

/** The secrets kind's filler for Ingresses the host's cert-manager issues for. */
export function ingressCertificatesFiller(where: Placement, certManager: HostCertManager): SecretFiller {
  // An Ingress's Issuer is judged (shimView), not refused, as the Ingress kind reads it.
  const place = { ...where, issuerJudged: true };
  return {
    name: 'ingresses-issued',
    whenKind: 'ingresses',
    type: Resources.ingresses,
    filled: (ingress, at) => issuedTlsSecretKeys(ingress, place, certManager, at),
    undecided: (ingress, at) => shimView(ingress, certManager, at).starting,
    dependencies: shimDependencies(certManager, where),
  };
}
