import type { KubeObject } from '../../kube/object.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import type { Referrer } from '../shared/data-object.ts';
import { referenceGranted } from './admission.ts';
import { GATEWAY_GROUP, gatewayApiReferences, namesCoreKind, referencedKeys } from './references.ts';

type DataKind = 'Secret' | 'ConfigMap';

/**
 * A Gateway API kind as a reason to sync the Secrets or ConfigMaps its objects name (certificates,
 * CA bundles). One of another namespace counts only while a ReferenceGrant there allows it, as the
 * kind's own copy names it only then: without one, the copy of the referrer points at nothing, and
 * the Secret (a tls.key) must not be copied into the shared host namespace either, where the host's
 * gateway controllers and admins read Secrets.
 */
export function gatewayApiReferrer(kind: string, type: ResourceType, dataKind: DataKind): Referrer {
  return {
    kind,
    type,
    references: (obj) => referencedKeys(obj, dataKind),
    permission: {
      type: Resources.referenceGrants,
      allows: (referrer, key, granting) => referenceAllowed(referrer, type.kind, dataKind, key, granting),
      concerns: (grant, keysIn) => grantedKeys(grant, dataKind, keysIn),
    },
  };
}

/**
 * Whether an object names `key` where the virtual cluster allows it: in its own namespace, or in
 * one whose ReferenceGrants let objects of its kind and namespace name it (gateway-api-kind.ts
 * renames the reference to the copy on the same terms).
 */
function referenceAllowed(
  referrer: KubeObject,
  referrerKind: string,
  dataKind: DataKind,
  key: string,
  granting: (namespace: string) => KubeObject[],
): boolean {
  const namespace = referrer.metadata?.namespace ?? '';
  const from = { group: GATEWAY_GROUP, kind: referrerKind, namespace };
  return gatewayApiReferences(referrer).some((ref) => {
    if (!namesCoreKind(ref, dataKind) || `${ref.namespace}/${ref.name}` !== key) return false;
    if (ref.namespace === namespace) return true;
    const to = { group: '', kind: dataKind, name: ref.name };
    return ref.crossNamespace === 'reference-grant' && referenceGranted(granting(ref.namespace), from, to);
  });
}

/**
 * Keys of the objects of one core kind a ReferenceGrant's `to` may allow in its namespace: those it
 * names, or every one when an entry names none (as referenceGranted reads it).
 */
function grantedKeys(grant: KubeObject, kind: DataKind, keysIn: (namespace: string) => string[]): string[] {
  const namespace = grant.metadata?.namespace ?? '';
  const to = (grant.spec as { to?: unknown } | undefined)?.to;
  const entries = (Array.isArray(to) ? to : []).filter(
    (t): t is Record<string, unknown> =>
      typeof t === 'object' && t !== null && (t.group ?? '') === '' && t.kind === kind,
  );
  if (entries.some((t) => t.name === undefined || t.name === null || t.name === '')) return keysIn(namespace);
  return [...new Set(entries.map((t) => `${namespace}/${String(t.name)}`))];
}
