import type { KubeObject } from '../../kube/object.ts';
import { allowedValuesRefusal } from './allowed-values.ts';
import type { CustomResourceAllowedValues } from './config.ts';
import { parsePath } from './path.ts';

/*
 * What a tenant's Certificate may not ask of a host ClusterIssuer that signs under a CA of the host's
 * (every kind but selfSigned: ca, vault, venafi, acme, an external issuer). `isCA: true` would hand the
 * tenant an intermediate under that CA, its key included, to sign any name or identity the host's
 * workloads trust. A URI (a mesh's SPIFFE identity), an IP address, an e-mail address, an other-name
 * or a literal subject is an identity no host bound judges (`--allowed-ingress-host` holds dnsNames
 * and commonName). A self-signed ClusterIssuer signs each certificate with that certificate's own key:
 * nothing chains to the host, so a tenant may bootstrap its own CA with it. An Issuer of the tenant's
 * own, over its own CA key, may sign them all.
 */

/** The CRD whose objects a Certificate names by `issuerRef.kind: ClusterIssuer`. */
export const CLUSTER_ISSUERS_CRD = 'clusterissuers.cert-manager.io';

const field = (path: string, values: string[]): CustomResourceAllowedValues => ({
  path,
  segments: parsePath(path),
  values,
  optional: true,
});

const CLUSTER_ISSUED_LIMITS: readonly CustomResourceAllowedValues[] = [
  field('spec.isCA', ['false']),
  ...['spec.uris', 'spec.ipAddresses', 'spec.emailAddresses', 'spec.otherNames', 'spec.literalSubject'].map(
    (path) => field(path, []),
  ),
];

/** Whether a ClusterIssuer signs under a CA (any kind but selfSigned). */
function signsUnderItsCa(issuer: KubeObject): boolean {
  const spec = issuer.spec as Record<string, unknown> | undefined;
  return !(spec && typeof spec.selfSigned === 'object' && spec.selfSigned !== null);
}

/**
 * Why a Certificate may not be issued by the host ClusterIssuer it names (issuer: the host's object,
 * undefined while the virtual cluster does not show it, when the reference makes it wait), or
 * undefined.
 */
export function clusterIssuedRefusal(
  certificate: KubeObject,
  issuer: KubeObject | undefined,
): string | undefined {
  if (!issuer || !signsUnderItsCa(issuer)) return undefined;
  const refusal = allowedValuesRefusal(certificate, CLUSTER_ISSUED_LIMITS);
  return (
    refusal &&
    `${refusal} (asked of ClusterIssuer "${issuer.metadata?.name}", which signs under a CA of the host's)`
  );
}
