import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import type { Placement } from '../../sync/kind.ts';
import { hostMetadataFor } from '../shared/host-metadata.ts';
import { isDeniedMetadataKey } from '../../naming/denied-metadata.ts';
import type { LabelSelector } from '../../naming/labels.ts';
import { selectorMatches } from '../../util/label-selector.ts';

/**
 * The host Secrets a host copy names as image pull secrets: the host admin's list, for accounts its
 * selector matches (vCluster's workloadServiceAccount.imagePullSecrets and imagePullSecretSelector).
 * The selector reads labels the tenant sets, so any tenant may opt in: it chooses who gets the
 * host's registry credentials for convenience, it does not guard them. A tenant's own pull secrets
 * are not copied: the virtual cluster already puts them into its pods, which reach the host
 * translated (and a host pod that names any gets none from its account).
 */
export interface HostPullSecrets {
  names: readonly string[];
  /** "*": every account; otherwise a kubectl label selector, or undefined (none). */
  selector: LabelSelector | '*' | undefined;
}

export function hostPullSecretsFor(virtual: KubeObject, pull: HostPullSecrets): { name: string }[] {
  if (!pull.names.length || pull.selector === undefined) return [];
  if (pull.selector !== '*' && !selectorMatches(pull.selector, virtual.metadata?.labels ?? {})) return [];
  return pull.names.map((name) => ({ name }));
}

/**
 * Annotations never copied to a host ServiceAccount, whatever the admin's deny-list: the EKS pod
 * identity webhook mounts into the account's pods a token of the host account, issued by the host,
 * for the audience (and lifetime) these name. Left to the tenant, the audience could be the host API
 * server's own (a host API credential) or any service that trusts the host's issuer; without them
 * the token is for STS alone, which the account's role annotation is for.
 */
export const ALWAYS_DENIED_ACCOUNT_ANNOTATIONS: readonly string[] = [
  'eks.amazonaws.com/audience',
  'eks.amazonaws.com/token-expiration',
];

/**
 * The host copy of a virtual ServiceAccount: the tenant's labels and annotations (those on the
 * deny-list, and ALWAYS_DENIED_ACCOUNT_ANNOTATIONS, dropped), and the host's image pull secrets when its selector matches (see
 * HostPullSecrets). It carries no secrets and never mounts a host token: a host pod running as it
 * still gets only the virtual cluster's token. Its use is host workload identity (IRSA, GKE workload
 * identity), which host webhooks read from its annotations, and pulling from the host's registries.
 */
export function hostServiceAccountFor(
  virtual: KubeObject,
  where: Placement & { hostName: string },
  deniedAnnotations: readonly string[],
  pull: HostPullSecrets = { names: [], selector: undefined },
): KubeObject {
  const meta = virtual.metadata ?? {};
  const annotations = Object.fromEntries(
    Object.entries(meta.annotations ?? {}).filter(
      ([key]) =>
        !isDeniedMetadataKey(key, deniedAnnotations) &&
        !isDeniedMetadataKey(key, ALWAYS_DENIED_ACCOUNT_ANNOTATIONS),
    ),
  );
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: hostMetadataFor(
      { ...virtual, metadata: { ...meta, annotations } },
      Resources.serviceAccounts,
      where,
    ),
    automountServiceAccountToken: false,
    ...withPullSecrets(hostPullSecretsFor(virtual, pull)),
  };
}

const withPullSecrets = (list: { name: string }[]) => (list.length ? { imagePullSecrets: list } : {});

/**
 * True when the host account says what the desired one says beyond metadata: no token automount,
 * no secrets, and exactly the desired image pull secrets.
 */
export function hostAccountInSync(host: KubeObject, desired: KubeObject): boolean {
  const h = host as {
    automountServiceAccountToken?: boolean;
    secrets?: unknown[];
    imagePullSecrets?: unknown[];
  };
  const want = (desired as { imagePullSecrets?: unknown[] }).imagePullSecrets ?? [];
  return (
    h.automountServiceAccountToken === false &&
    !h.secrets?.length &&
    JSON.stringify(h.imagePullSecrets ?? []) === JSON.stringify(want)
  );
}

/** The host account's spec fields set to the desired ones (metadata is planned separately). */
export function withDesiredAccountFields(host: KubeObject, desired: KubeObject): KubeObject {
  const updated: KubeObject = { ...host, automountServiceAccountToken: false };
  delete updated.secrets;
  delete updated.imagePullSecrets;
  return {
    ...updated,
    ...withPullSecrets((desired as { imagePullSecrets?: { name: string }[] }).imagePullSecrets ?? []),
  };
}
