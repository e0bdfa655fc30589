import { deleteIncarnation } from '../../kube/delete-incarnation.ts';
import type { Informer } from '../../informer/informer.ts';
import type { KubeObject } from '../../kube/object.ts';
import { isPrepared } from '../../sync/engine.ts';
import {
  defineKind,
  type BuiltKind,
  type KindDescriptor,
  type KindSpec,
  type Placement,
  type Relation,
} from '../../sync/kind.ts';
import { ConfigError } from '../../config/config-error.ts';
import {
  customResourceKindName,
  ownHostNamespaceProblem,
  selectedForSync,
  withOwnNames,
  type CustomResourceEntry,
  type CustomResourcesConfig,
} from './config.ts';
import { unresolvedType, type ResolvedResource } from './crd.ts';
import {
  fromHostCustomResourceKind,
  judgeCopy,
  referenceTargetOf,
  toHostCustomResourceKind,
} from './custom-resource-kind.ts';
import { valuesAt } from './path.ts';
import { withFilledSecrets, type SecretFiller } from '../shared/filled-secrets.ts';
import {
  ingressCertificatesFiller,
  type HostCertManager,
  type IssuerCopyVerdict,
  type JudgingContext,
} from '../ingresses/cert-manager.ts';
import { selectorOf, shownVerdict } from './shown.ts';
import type { HostRules } from './allowed-values.ts';
import { ALLOWED_HOST_FIELD, RESERVED_HOST_FIELD } from '../ingresses/index.ts';
import { ALLOWED_SERVER_FIELD } from './servers.ts';

import { filledSecretKeys } from './filled-references.ts';
import { ownedCustomResourceKey } from './ownership.ts';

/** cert-manager's ClusterIssuers and Issuers, which an Ingress names by annotation. */
const CLUSTER_ISSUERS = 'clusterissuers.cert-manager.io';
const ISSUERS = 'issuers.cert-manager.io';
const CERTIFICATES = 'certificates.cert-manager.io';

export { parseCustomResources, CustomResourceConfigError, type CustomResourcesConfig } from './config.ts';
export { integrationItems } from './integrations.ts';

/** How often a copy that a not-yet-started custom resource kind may still name is looked at again. */
const KEEP_WHILE_REFERRERS_START_MS = 5_000;

/** The kinds of configured custom resources, and what they add to the built-in kinds. */
export interface CustomResourceKinds {
  /** One kind per configured resource, named `cr:<plural>.<group>`, on by default. */
  descriptors: KindDescriptor[];
  /**
   * The secrets or config maps kind, made to also sync the objects a configured custom resource
   * names (as ingresses make TLS secrets sync), while it names them.
   */
  following(descriptor: KindDescriptor, referencedKind: 'Secret' | 'ConfigMap'): KindDescriptor;
  /** With integrations.certManager: what Ingresses need to know of the host's cert-manager. */
  hostCertManager: HostCertManager | undefined;
}

/** The keys (`namespace/name`) of the objects of referencedKind a custom resource names. */
function referencedKeys(obj: KubeObject, entry: CustomResourceEntry, referencedKind: string): string[] {
  const namespace = obj.metadata?.namespace;
  if (!namespace || !selectedForSync(entry, obj)) return [];
  const named = withOwnNames(obj, entry);
  return entry.references
    .filter((r) => r.kind === referencedKind && !r.filledByHost)
    .flatMap((r) => valuesAt(named, r.segments).values)
    .flatMap(({ value }) => (typeof value === 'string' && value ? [`${namespace}/${value}`] : []));
}

/**
 * The host copy of the tenant's Issuer `namespace/name`, as a Certificate's issuerRef is judged: its
 * host name once the copy provably stands for exactly that Issuer (ReferenceJudge).
 */
function issuerCopyVerdict(at: JudgingContext, namespace: string, name: string): IssuerCopyVerdict {
  const target = referenceTargetOf(at.env, at.kinds, ISSUERS);
  if (target === 'starting') return { state: 'starting' };
  if (!target) return { state: 'unusable', message: `${ISSUERS} is not synced by this syncer (--sync)` };
  const verdict = judgeCopy(target, namespace, 'Issuer', 'metadata.annotations', name);
  if ('hostName' in verdict) return { state: 'ready', hostName: verdict.hostName };
  // The messages begin with the Issuer they are about, which the Ingress's message names already.
  const subject = `Issuer "${name}": `;
  const why = verdict.message.startsWith(subject) ? verdict.message.slice(subject.length) : verdict.message;
  if (verdict.state === 'refused') return { state: 'unusable', message: why };
  return verdict.missing
    ? { state: 'unusable', message: 'it does not exist' }
    : { state: 'waiting', message: why };
}

/** The kinds for the configured custom resources (none when nothing is configured). */
export function customResourceKinds(config: CustomResourcesConfig | undefined): CustomResourceKinds {
  const entries = [...(config?.toHost ?? []), ...(config?.fromHost ?? [])];
  const resolved = new Map<string, ResolvedResource>(
    entries.map((e) => [
      e.crdName,
      { type: unresolvedType(e), statusSubresource: { host: false, virtual: false } },
    ]),
  );
  const clusterIssuers = config?.fromHost.find((e) => e.crdName === CLUSTER_ISSUERS);
  const issuers = config?.toHost.find((e) => e.crdName === ISSUERS);
  const hostCertManager: HostCertManager | undefined = config?.hostCertManager
    ? {
        ...(issuers
          ? {
              issuers: {
                type: resolved.get(ISSUERS)!.type,
                kind: customResourceKindName(issuers),
                ownerOf: (copy, where) => ownedCustomResourceKey(copy, where, resolved.get(ISSUERS)!.type),
              },
              issuerCopy: issuerCopyVerdict,
            }
          : {}),
        ...(clusterIssuers
          ? {
              clusterIssuers: {
                type: resolved.get(CLUSTER_ISSUERS)!.type,
                scope: { namespace: '', labelSelector: selectorOf(clusterIssuers) },
                kind: customResourceKindName(clusterIssuers),
              },
            }
          : {}),
        clusterIssuerOffered: clusterIssuers
          ? (at, name) => {
              const verdict = shownVerdict(at.env, at.kinds, clusterIssuers, name);
              return verdict.state === 'shown'
                ? 'offered'
                : verdict.state === 'starting'
                  ? 'starting'
                  : 'not-offered';
            }
          : undefined,
      }
    : undefined;
  /** fromHost resources, which a toHost one may name as they are (see judgeShown). */
  const shownFromHost = new Map((config?.fromHost ?? []).map((e) => [e.crdName, e]));
  const descriptors = entries.map(
    (entry): KindDescriptor =>
      defineKind({
        name: customResourceKindName(entry),
        description:
          entry.direction === 'toHost'
            ? `${entry.resource}, virtual → host${entry.status ? ', status back' : ''} (config file: customResources)`
            : `${entry.resource} of the host, shown read-only in the virtual cluster (config file: customResources)`,
        defaultOn: true,
        fields: [],
        // Names a custom resource has served on the host's ingress controllers (`hosts`) are held to
        // these, and servers a host controller calls for it (`servers`) to the admin's.
        reads: [RESERVED_HOST_FIELD, ALLOWED_HOST_FIELD, ALLOWED_SERVER_FIELD],
        // Per entry: the chart derives them from syncer.config.customResources (vsyncer.customResourceRules).
        hostRbac: [],
        build: (options, where) => {
          const problem = ownHostNamespaceProblem(entry, where.hostNamespace);
          if (problem) throw new ConfigError(`config field '${problem.field}'`, problem.problem);
          return entry.direction === 'toHost'
            ? toHostCustomResourceKind(
                entry,
                resolved.get(entry.crdName)!,
                where,
                (name) => resolved.get(name),
                shownFromHost,
                {
                  reservedHosts: options.reservedIngressHosts,
                  allowedHosts: options.allowedIngressHosts,
                  allowedServers: options.allowedServerUrls,
                },
                config?.hostCertManager !== true
                  ? undefined
                  : entry.crdName === ISSUERS
                    ? 'issuers'
                    : entry.crdName === CERTIFICATES
                      ? 'certificates'
                      : undefined,
              )
            : fromHostCustomResourceKind(entry, resolved.get(entry.crdName)!);
        },
      }) as KindDescriptor,
  );

  function following(descriptor: KindDescriptor, referencedKind: 'Secret' | 'ConfigMap'): KindDescriptor {
    const referrers = (config?.toHost ?? []).filter((e) =>
      e.references.some((r) => r.kind === referencedKind && !r.filledByHost),
    );
    // Secrets a host controller fills (shared/filled-secrets.ts): named by custom resources, or the
    // TLS Secrets of Ingresses the host's cert-manager issues for.
    const fillingEntries =
      referencedKind === 'Secret'
        ? (config?.toHost ?? []).filter((e) => e.references.some((r) => r.filledByHost))
        : [];
    const ingressCertificates = referencedKind === 'Secret' && config?.hostCertManager === true;
    const fillersOf = (where: Placement, rules: HostRules): SecretFiller[] => [
      ...fillingEntries.map((entry) => ({
        name: `${customResourceKindName(entry)}-filled`,
        whenKind: customResourceKindName(entry),
        type: resolved.get(entry.crdName)!.type,
        filled: (obj: KubeObject) => filledSecretKeys(obj, entry, rules, resolved.get(entry.crdName)!.type),
      })),
      ...(ingressCertificates && hostCertManager ? [ingressCertificatesFiller(where, hostCertManager)] : []),
    ];
    if (referrers.length === 0 && fillingEntries.length === 0 && !ingressCertificates) return descriptor;
    return {
      ...descriptor,
      // The filled Secrets' objects are judged as their own kinds judge them (hosts included).
      reads: [...(descriptor.reads ?? []), RESERVED_HOST_FIELD, ALLOWED_HOST_FIELD, ALLOWED_SERVER_FIELD],
      build(options, where) {
        const limits = options as {
          reservedIngressHosts?: string[];
          allowedIngressHosts?: string[];
          allowedServerUrls?: string[];
        };
        const hostRules = {
          hostNamespace: where.hostNamespace,
          reservedHosts: limits.reservedIngressHosts ?? [],
          allowedHosts: limits.allowedIngressHosts ?? [],
          allowedServers: limits.allowedServerUrls ?? [],
        };
        // The fill wraps last: what it leaves to the kind (copying a Secret down) includes the
        // Secrets custom resources name.
        const base = descriptor.build(options, where);
        if (referrers.length === 0) return withFilledSecrets(base, fillersOf(where, hostRules));
        let kinds: ReadonlyMap<string, BuiltKind> = new Map();
        let virtualObjects: Informer<KubeObject> | undefined;
        const relations: Relation[] = referrers.map((entry) => ({
          name: customResourceKindName(entry),
          cluster: 'virtual',
          type: resolved.get(entry.crdName)!.type,
          whenKind: customResourceKindName(entry),
          keys: (obj) => referencedKeys(obj, entry, referencedKind),
          membershipOnly: true,
        }));
        /** Enabled referrer kinds that have not read their objects yet: what they name is unknown. */
        const referrersStarting = () =>
          relations.some((r) => {
            const kind = kinds.get(r.whenKind!);
            return kind !== undefined && !isPrepared(kind.spec);
          });
        const spec: KindSpec = {
          ...base,
          relations: [...(base.relations ?? []), ...relations],
          setup(env, all) {
            kinds = all;
            virtualObjects = env.informers.get(env.virtual, base.virtualType);
            base.setup?.(env, all);
          },
          wanted: (ctx, source) =>
            (base.wanted ? base.wanted(ctx, source) : source !== undefined) ||
            (source !== undefined && relations.some((r) => ctx.related(r.name).length > 0)),
          async remove(ctx, target) {
            // A copy only a custom resource may name is kept until that kind has started; one whose
            // virtual object is gone is named by nothing that could be synced, and goes (a kind that
            // never starts, its CRD missing or changed by the tenant, must not keep deleted
            // credentials on the host).
            if (referrersStarting() && virtualObjects?.store.get(ctx.key))
              return { requeueAfterMs: KEEP_WHILE_REFERRERS_START_MS };
            if (base.remove) return base.remove(ctx, target);
            await deleteIncarnation(ctx.host, base.hostType, target);
            return { hostWritten: true };
          },
        };
        return withFilledSecrets(spec, fillersOf(where, hostRules));
      },
    };
  }

  return { descriptors, following, hostCertManager };
}
