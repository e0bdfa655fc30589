import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import type { Placement } from '../../sync/kind.ts';
import { hostMetadataFor } from '../shared/host-metadata.ts';
import { isDeniedMetadataKey } from '../pods/translate.ts';

/**
 * The host copy of a virtual ServiceAccount: the tenant's labels and annotations (those on the
 * deny-list dropped), and nothing else. It carries no secrets and no image pull secrets (the
 * virtual cluster already puts a service account's pull secrets into its pods, and they reach the
 * host pod translated), and never mounts a host token: a host pod running as it still gets only the
 * virtual cluster's token. Its use is host workload identity (IRSA, GKE workload identity), which
 * host webhooks read from its annotations.
 */
export function hostServiceAccountFor(
  virtual: KubeObject,
  where: Placement & { hostName: string },
  deniedAnnotations: readonly string[],
): KubeObject {
  const meta = virtual.metadata ?? {};
  const annotations = Object.fromEntries(
    Object.entries(meta.annotations ?? {}).filter(([key]) => !isDeniedMetadataKey(key, deniedAnnotations)),
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
  };
}

/** True when the host account says what the desired one says beyond metadata: no token automount, no secrets. */
export function hostAccountInSync(host: KubeObject): boolean {
  const h = host as {
    automountServiceAccountToken?: boolean;
    secrets?: unknown[];
    imagePullSecrets?: unknown[];
  };
  return h.automountServiceAccountToken === false && !h.secrets?.length && !h.imagePullSecrets?.length;
}
