import type { KubeObject } from '../../kube/object.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import type { BuiltKind, Relation, SyncEnvironment } from '../../sync/kind.ts';
import { managedCopiesScope } from '../../sync/mappers.ts';
import { gatewayApiReferences } from '../gateway-api/references.ts';
import { ingressReferences } from '../ingresses/translate.ts';

/**
 * A referrer kind's relation on virtual Services: when one comes or goes, the objects naming it
 * (`naming`: their keys) are judged again at once, so that a Service that goes is named no more
 * before its copy goes (which waits for that: see serviceReferrers), not after.
 */
export const virtualServicesRelation = (naming: (obj: KubeObject) => string[]): Relation => ({
  name: 'virtual-services',
  cluster: 'virtual',
  type: Resources.services,
  whenKind: 'services',
  unindexed: true,
  keys: naming,
  changed: () => false,
});

/** The index of a referrer's host copies by the host names of the Services they name. */
const SERVICES_NAMED = 'services-named';

/** A kind whose host copies send traffic to Services by their host names. */
interface ServiceReferrer {
  /** The kind's name: nothing is read unless it runs (no copies, caches or RBAC without it). */
  kind: string;
  type: ResourceType;
  serviceNames(copy: KubeObject, env: SyncEnvironment): string[];
}

const gatewayApiReferrer = (type: ResourceType): ServiceReferrer => ({
  kind: type.resource,
  type,
  // Backends, mirrors, mesh parents and a policy's targets alike.
  serviceNames: (copy) =>
    gatewayApiReferences(copy)
      .filter((ref) => ref.group === '' && ref.kind === 'Service')
      .map((ref) => ref.name),
});

const REFERRERS: readonly ServiceReferrer[] = [
  {
    kind: 'ingresses',
    type: Resources.ingresses,
    // A copy's issuer annotation names the host's Issuer copy: read, not refused as a host one.
    serviceNames: (copy, env) =>
      ingressReferences(copy, { vcName: env.vcName, hostNamespace: env.hostNamespace, issuerJudged: true })
        .filter((ref) => ref.kind === 'Service')
        .map((ref) => ref.name),
  },
  gatewayApiReferrer(Resources.httpRoutes),
  gatewayApiReferrer(Resources.grpcRoutes),
  gatewayApiReferrer(Resources.tlsRoutes),
  gatewayApiReferrer(Resources.backendTLSPolicies),
];

/**
 * Why a Service copy must stay a little longer: a host copy of this virtual cluster (an Ingress, a
 * Gateway API route or policy) still names its host name. Host names are ambiguous, and the Service
 * of another virtual namespace (or virtual cluster) whose name reads the same waits for it: freed
 * before the referrer's own kind renames its reference away (at its next reconcile, which a busy
 * queue delays), the host's ingress or gateway controller would send the referrer's traffic to that
 * Service. Undefined when nothing names it. Only kinds that run are read.
 */
export function serviceReferrers(
  env: SyncEnvironment,
  kinds: ReadonlyMap<string, BuiltKind>,
): (copy: KubeObject) => string | undefined {
  const watched = REFERRERS.filter((referrer) => kinds.has(referrer.kind)).map((referrer) => {
    const copies = env.informers.get(env.host, referrer.type, managedCopiesScope(env));
    copies.addIndexer(SERVICES_NAMED, (copy) => [...new Set(referrer.serviceNames(copy, env))]);
    return { referrer, copies };
  });
  return (service) => {
    const name = service.metadata?.name ?? '';
    for (const { referrer, copies } of watched) {
      const named = copies.store.byIndex(SERVICES_NAMED, name)[0];
      if (named) return `host ${referrer.type.kind} ${named.metadata?.name ?? ''} still names it`;
    }
    return undefined;
  };
}
