import type { KubeObject } from '../../kube/object.ts';

export const SERVICE_ACCOUNT_TOKEN_TYPE = 'kubernetes.io/service-account-token';
const SERVICE_ACCOUNT_ANNOTATION_PREFIX = 'kubernetes.io/service-account.';

/**
 * Makes a host secret inert for the host's own controllers. A tenant's service-account-token
 * secret copied as is would be filled by the host token controller with a token of a *host*
 * service account, handing the tenant host credentials; on the host it becomes Opaque, with the
 * annotations that name a service account removed. The tenant's own data is kept.
 */
export function neutraliseHostSecret(secret: KubeObject): KubeObject {
  const annotations = { ...(secret.metadata?.annotations ?? {}) };
  for (const key of Object.keys(annotations))
    if (key.startsWith(SERVICE_ACCOUNT_ANNOTATION_PREFIX)) delete annotations[key];
  const type = secret.type === SERVICE_ACCOUNT_TOKEN_TYPE ? 'Opaque' : secret.type;
  return { ...secret, type, metadata: { ...secret.metadata, annotations } };
}
