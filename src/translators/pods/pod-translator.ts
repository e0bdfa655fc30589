import type { Informer } from '../../informer/informer.ts';
import { isApiError, isNotFound, type ApiError, type ApiErrorKind } from '../../kube/errors.ts';
import { getIfExists } from '../../kube/get-if-exists.ts';
import { deleteIncarnation } from '../../kube/delete-incarnation.ts';
import { LRUCache } from 'lru-cache';
import { TerminalError, WaitingError } from '../../controller/errors.ts';
import { objectKey, splitKey, type KubeObject } from '../../kube/object.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import type { EphemeralContainer, Pod } from '../../kube/types.ts';
import {
  CLUSTER_NAMESERVERS_ANNOTATION,
  CONTAINER_RESOURCES_ANNOTATION,
  POD_SPEC_RECORD_ANNOTATION,
  MANAGED_BY_LABEL,
  managedBySelector,
} from '../../naming/labels.ts';
import { explainAlreadyExists, NAME_TAKEN_RECHECK_MS, refuseHeldName } from '../../sync/engine.ts';
import type { KindSpec, Placement, ReconcileContext, SyncEnvironment, SyncResult } from '../../sync/kind.ts';
import {
  managedCopiesScope,
  namespacedToHost,
  ownedVirtualKey,
  recordedVirtualUid,
} from '../../sync/mappers.ts';
import type { MetadataPlan } from '../../sync/metadata-sync.ts';
import { writePlannedMetadataUp } from '../../sync/metadata-writes.ts';
import { sameJson } from '../shared/host-metadata.ts';
import { malformedPod } from '../shared/shape.ts';
import {
  checkPodSecurity,
  describeViolations,
  namespaceLevel,
  type PodSecurityLevel,
} from './pod-security.ts';
import { ephemeralClaimsNotOwned } from './ephemeral-claims.ts';
import { DEVICE_CLASS_RESOURCE_PREFIX, requestedResourceNames } from './device-class-requests.ts';
import { HOST_DEVICE_CLASSES_KIND } from '../resourceclaims/resourceclaims-kind.ts';
import { templatedClaimsNotOwned, templatedClaimsWaiting, withClaimsMadeForPod } from './resource-claims.ts';
import { forEachPodReference, type PodReference } from './reference-walker.ts';
import {
  absentReferenceName,
  JudgedNames,
  podReferrer,
  ReferenceJudge,
  referenceTargets,
  type JudgedReference,
} from './reference-safety.ts';
import { parseImageTranslations } from './image-translation.ts';
import { accountReference, PodHostIdentity, PRIORITY_FROM_HOST, RUNTIME_FROM_HOST } from './pod-identity.ts';
import { CLASS_WITHHELD_REASON, hostClassSelectorOf } from '../shared/from-host.ts';
import { podDifferences } from './differences.ts';
import { podPolicyViolations } from './pod-policy.ts';
import { missingReferenceMessage, missingReferences } from './references.ts';
import { HostNamespaceProbe } from '../../kube/host-namespace-probe.ts';
import { CopiesOfOtherNames } from './copies-of-other-names.ts';
import { atMostEvery } from '../../util/at-most-every.ts';
import { serviceLinkEnv } from './service-env.ts';
import { parseToleration } from '../shared/tolerations.ts';
import { TokenBundles } from './token-bundles.ts';
import { nodeSelectorTerms } from '../nodes/nodes-kind.ts';
import { hostConditionsWithGates, hostCustomConditionTypes, type PodCondition } from './readiness-gates.ts';
import { HostResizer, recordAfter } from './resize.ts';
import { scrubHostNames } from '../../sync/scrub.ts';
import { PodServiceAddresses } from './service-addresses.ts';
import { recordHostOwnedGates, refuseWithoutUserNamespace } from './host-dry-runs.ts';
import { CopyGrace } from '../shared/copy-grace.ts';
import { perPodTokenSecretName, TOKEN_POD_ANNOTATION } from './per-pod-token-secrets.ts';
import { TOKEN_POD_UID_ANNOTATION, tokenNeeds } from './token-requests.ts';
import { bundleSlotsOf, mountedTokenSource, PodTokens } from './tokens.ts';
import { markRefused } from './refused-condition.ts';
import { AbsentFills, absentFillPodKey } from './absent-fills.ts';
import {
  podStatusForVirtual,
  hostsRewriteTrouble,
  saysObservedGeneration,
  withoutObservedGenerations,
  podUpdatesForHost,
  translatePodToHost,
  type HostPodUpdate,
  type PodStatusView,
  type PodTranslationContext,
} from './translate.ts';

interface PodSpecLite {
  nodeName?: string;
  enableServiceLinks?: boolean;
}

const specOf = (pod: KubeObject): PodSpecLite => (pod.spec ?? {}) as PodSpecLite;

/** How soon a pod whose disruption budget held its eviction (for new nameservers) is tried again. */
const NAMESERVER_EVICTION_RETRY_MS = 10_000;

/** How soon a pod whose host copy the host has but the cache does not yet is looked at again. */
const HOST_CACHE_BEHIND_RECHECK_MS = 1000;
/**
 * Whether a pod's reference is in one of the debug containers named: those a running pod gains. What
 * else it names is on the host already, under the names it was made with, and cannot change.
 */
function inDebugContainers(pod: KubeObject, names: ReadonlySet<string>) {
  const debug = (pod.spec as { ephemeralContainers?: { name?: unknown }[] } | undefined)?.ephemeralContainers;
  return (ref: JudgedReference): boolean => {
    const index = /^spec\.ephemeralContainers\[(\d+)\]/.exec(ref.where.field)?.[1];
    const name = index === undefined ? undefined : debug?.[Number(index)]?.name;
    return typeof name === 'string' && names.has(name);
  };
}
/** How soon a debug container waiting for a copy is looked at again, if no event of it comes first. */
const DEBUG_CONTAINER_WAIT_RECHECK_MS = 10_000;

/**
 * The most service-account tokens one pod may project. Each is a TokenRequest to the virtual API
 * server, a key in a host Secret and a renewal before it expires: a spec listing thousands would
 * have the syncer mint and store them all. Real pods project a handful (the API access volume, a
 * mesh's, a cloud identity's).
 */
const MAX_POD_TOKENS = 64;

/** Virtual pods by the objects they reference: `<Kind>/<namespace>/<name>`. */
const REFERENCE_INDEX = 'pods/references';
/** Host pods by the token bundles they mount. */
const TOKEN_BUNDLE_INDEX = 'pods/token-bundles';
/** The relation of per-pod token Secrets to the virtual pods they were minted for. */
const PER_POD_TOKEN_SECRETS = 'per-pod-token-secrets';
/** How often a pod that ran is looked at again while the host namespace lacks the virtual API's Service. */
const NOT_OUR_NAMESPACE_RECHECK_MS = 30_000;
const referenceIndexKey = (kind: string, namespace: string, name: string) => `${kind}/${namespace}/${name}`;

/** Every object reference of a pod, by the one reference walker. */
function podReferences(pod: KubeObject): PodReference[] {
  const refs: PodReference[] = [];
  forEachPodReference(withClaimsMadeForPod(asPod(pod)).spec, (ref) => refs.push(ref));
  return refs;
}
const asPod = (obj: KubeObject): Pod => obj as unknown as Pod;

/** The pods kind's own settings. */
export interface PodOptions {
  clusterDomain: string;
  clusterDnsIp: string;
  /** --pod-dns-nameserver entries (see dns-nameservers.ts). */
  podDnsNameservers: string[];
  workloadServiceAccount: string;
  enforceTolerations: string[];
  deniedPodMetadata: string[];
  hostsRewriteImage: string;
  translateImages: string[];
  enforceRuntimeClass: string;
  enforcePriorityClass: string;
  podSecurityStandard: string;
  allowNodeName: boolean;
  /** --virtual-scheduler: a pod is copied once the virtual cluster's scheduler bound it, to that node. */
  virtualScheduler: boolean;
  allowedSchedulers: string[];
  allowedSigners: string[];
  allowedInlineCsiDrivers: string[];
  allowedInlineVolumeSources: string[];
  reservedContainerNames: string[];
  /** --pod-token-secrets: where new pods' tokens go (shared bundles, or vCluster's Secret per pod). */
  podTokenSecrets?: string;
  /** The nodes kind's --node-selector and --enforce-node-selector (NODE_SELECTOR_FIELDS). */
  nodeSelector: string;
  enforceNodeSelector: boolean;
}

/**
 * Pods: spec down, status up, binding, tokens, and deletion both ways. The pure translation lives in
 * translate.ts; this file decides which writes a situation needs and makes them.
 */
export function podKind(config: PodOptions, where: Placement): KindSpec {
  let virtualNamespaces: Informer<KubeObject>;
  let hostServices: Informer<KubeObject>;
  let virtualSecrets: Informer<KubeObject>;
  let virtualConfigMaps: Informer<KubeObject>;
  /** The tenant's claims, when claims are synced (a pod may mount none otherwise). */
  let virtualClaims: Informer<KubeObject> | undefined;
  /** The tenant's ResourceClaims, when synced (a pod may use none otherwise). */
  let virtualResourceClaims: Informer<KubeObject> | undefined;
  let tokens: PodTokens;
  /**
   * Virtual pods this syncer bound, until its cache shows the binding: host events for the pod keep
   * coming meanwhile, and binding again would only be refused (already assigned).
   */
  // Count-bounded without lru-cache's up-front allocation for `max` entries (see LastSynced).
  const recentlyBound = new LRUCache<string, string>({
    maxSize: 10_000,
    sizeCalculation: () => 1,
    ttl: 30_000,
  });
  /**
   * Debug container names found taken on a host pod, as `pod UID/names`: said once, not at every
   * reconcile of a running pod (a status change, a token refresh).
   */
  const takenNamesReported = new LRUCache<string, true>({ maxSize: 10_000, sizeCalculation: () => 1 });
  // Pod UID → the host pod's custom condition types as its status last came up; only pods whose
  // host pod has such conditions (a host controller's) have an entry.
  /** Whether the virtual API server drops pods' observed generations (see syncStatusUp). */
  let virtualDropsGenerations = false;
  const hostConditionTypes = new LRUCache<string, ReadonlySet<string>>({
    maxSize: 10_000,
    sizeCalculation: () => 1,
  });
  /** Pod metadata the host pod does not get: the pods' own list and every copy's. */
  const deniedPodMetadata = [...config.deniedPodMetadata, ...(where.deniedHostMetadata ?? [])];
  /** Host names out of a message of the host's components before a tenant reads it. */
  const scrubForTenant = (message: string) => scrubHostNames(message, where);
  /** The nameservers and service link variables pods get, and the waits for them. */
  const addresses = new PodServiceAddresses(config, where);
  /** Pods refused because a host pod that is not their copy holds their name (see create). */
  const nameTaken = new LRUCache<string, true>({ maxSize: 10_000, sizeCalculation: () => 1 });
  /** Refuses again, before any token is minted, a pod whose host name is still held by another. */
  const refuseIfNameStillTaken = async (ctx: ReconcileContext): Promise<void> => {
    let existing: KubeObject;
    try {
      existing = await ctx.host.get(Resources.pods, ctx.hostNamespace, ctx.hostName);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (spec.mapper.sourceKeyOf(existing) !== ctx.key) refuseHeldName(ctx, spec, existing);
  };
  /** The host pods this syncer made (the kind's own host cache). */
  let hostPodCache: Informer<KubeObject> | undefined;
  let tokenBundles: TokenBundles | undefined;
  /** Whether the host namespace is being deleted (see create); made in setup. */
  let namespaceProbe: HostNamespaceProbe | undefined;
  /** Copies another name's syncer holds (see create); made in setup. */
  let otherNames: CopiesOfOtherNames | undefined;
  /**
   * Says once a minute at most that the host namespace lacks the virtual API's Service, or is going
   * (see create).
   */
  const noServiceWarning = atMostEvery(60_000);
  const goingWarning = atMostEvery(60_000);
  const notOurNamespace = {
    warn(ctx: ReconcileContext): void {
      if (noServiceWarning(ctx.clock.monotonicNow()))
        ctx.log.warn(
          `the host namespace has no Service ${where.virtualApiService} (--virtual-api-service): pods that ran are not taken for gone there, nor deleted; check --host-namespace and the host kubeconfig`,
        );
    },
    warnGoing(ctx: ReconcileContext, state: 'terminating' | 'missing'): void {
      if (goingWarning(ctx.clock.monotonicNow()))
        ctx.log.warn(
          `the host namespace ${state === 'missing' ? 'is gone' : 'is being deleted'}: pods that ran are not taken for gone there, nor deleted`,
        );
    },
  };
  const otherNameGate = atMostEvery(60_000);
  const otherNameWarning = (ctx: ReconcileContext, holder: string) => {
    if (otherNameGate(ctx.clock.monotonicNow()))
      ctx.log.warn(
        `pods that ran have host copies marked as virtual cluster "${holder}"'s, not "${where.vcName}"'s: they are kept, not taken for gone; check --name (the chart's release name)`,
      );
  };
  /**
   * Pods whose host pods were found without the syncer's marks (hostPodOf), remembered so that their
   * deletion asks the host first (a deletion otherwise reads only the cache). Entries go with the pod.
   */
  const unmarkedHostPods = new Set<string>();
  /** Terminating pods whose host copies this process saw while they were deleted (see create). */
  const goingWithTheirCopies = new LRUCache<string, true>({ maxSize: 10_000, sizeCalculation: () => 1 });
  const unmarkedHostPodError = (ctx: ReconcileContext) =>
    new TerminalError(
      `its host pod ${ctx.hostName} is still there but no longer marked as this pod's copy (its vcluster.loft.sh/managed-by label or object annotations were changed on the host): the pod is kept, and not synced until they are put back`,
      'SyncError',
      { retryAfterMs: NAME_TAKEN_RECHECK_MS },
    );
  /** Pods waiting for claims whose copies are away: told after a grace (see create). */
  const claimGrace = new CopyGrace();
  /** Pods waiting for other copies (config maps, secrets, ...) that are away: told after a grace. */
  const copyGrace = new CopyGrace();
  /** Resizes the host refused, per pod (see HostResizer). */
  let resizer: HostResizer;
  let judge: ReferenceJudge;
  let fills: AbsentFills;
  let identity: PodHostIdentity;
  let virtualPods: Informer<KubeObject> | undefined;
  const defaultLevel = config.podSecurityStandard as PodSecurityLevel;

  /**
   * Pods waiting for a host copy to appear, or naming it optionally (see absent-fills.ts): the copy's
   * owner key → those pods' keys; a fill → its pod's key.
   */
  const podsWaitingFor = (kind: string, type: ResourceType) => (copy: KubeObject) => {
    const fillFor = absentFillPodKey(copy, where.vcName);
    if (fillFor) return [fillFor];
    const owner = ownedVirtualKey(copy, where, type);
    if (!owner || !virtualPods) return [];
    const { namespace, name } = splitKey(owner);
    return virtualPods.store
      .byIndex(REFERENCE_INDEX, referenceIndexKey(kind, namespace, name))
      .map(objectKey);
  };

  /**
   * What keeps a pod (or the debug containers a running pod gained, `newDebugContainers`) off the host: a refusal (Pod
   * Security, a host knob not allowed, a reference held by another object or of a kind not synced),
   * or the references still waiting for their host copies. Only a pod whose every reference resolves to
   * this tenant's copy of exactly that object reaches the host, and under the names judged here
   * (`names`, for its translation): never under names judged again later.
   */
  function hostAdmission(
    virtualPod: KubeObject,
    newDebugContainers?: ReadonlySet<string>,
  ): {
    refusal?: TerminalError;
    waiting: string[];
    claimsAway?: string[];
    copiesAway?: string[];
    names: JudgedNames;
  } {
    const running = newDebugContainers !== undefined;
    // A running pod's own volumes and containers, and its debug containers on the host already,
    // cannot change and hold the names they were made with: only what the new debug containers name
    // is judged for them. (An object the pod uses that went since holds up nothing; its copy stays
    // while the pod uses it.)
    const judgedNow = running ? inDebugContainers(virtualPod, newDebugContainers) : () => true;
    const namespace = virtualPod.metadata?.namespace ?? '';
    const level = securityLevel(namespace);
    const violations = checkPodSecurity(virtualPod, level);
    if (violations.length)
      return {
        refusal: new TerminalError(describeViolations(level, violations)),
        waiting: [],
        names: new JudgedNames(podReferrer(virtualPod), []),
      };
    const verdicts = judge.judgeAll(namespace, podReferences(virtualPod));
    const classAndAccount = identity.admission(asPod(virtualPod), running);
    const names = new JudgedNames(podReferrer(virtualPod), [
      ...verdicts,
      ...(classAndAccount.account ? [classAndAccount.account] : []),
    ]);
    const refused = [
      ...podPolicyViolations(asPod(virtualPod), config),
      ...verdicts.flatMap((v) =>
        v.verdict.state === 'refused' && judgedNow(v.ref) ? [v.verdict.message] : [],
      ),
      ...classAndAccount.refused,
    ];
    if (refused.length)
      return {
        refusal: new TerminalError(
          `cannot run this pod on the host: ${[...refused, ...classAndAccount.withheld].join('; ')}`,
        ),
        waiting: [],
        names,
      };
    // Only classes an admin's selector withholds: a warning in vCluster's words (see classWithheld).
    if (classAndAccount.withheld.length)
      return {
        refusal: new TerminalError(classAndAccount.withheld.join('; '), CLASS_WITHHELD_REASON),
        waiting: [],
        names,
      };
    return {
      waiting: [
        ...verdicts.flatMap((v) =>
          v.verdict.state === 'waiting' && judgedNow(v.ref) ? [v.verdict.message] : [],
        ),
        ...classAndAccount.waiting,
      ],
      // Copies of objects that exist, on their way or refused by the host (a quota, an admission
      // webhook): claims aside (claimsAway), and missing objects (told at once, see reportMissing).
      copiesAway: [
        ...verdicts.flatMap((v) =>
          v.verdict.state === 'waiting' &&
          !v.verdict.missing &&
          v.ref.kind !== 'PersistentVolumeClaim' &&
          judgedNow(v.ref)
            ? [v.verdict.message]
            : [],
        ),
        ...classAndAccount.waiting,
      ],
      // What the host's scheduler would tell of them, were the pod there: `persistentvolumeclaim "x" not found`.
      claimsAway: verdicts.flatMap((v) =>
        v.verdict.state === 'waiting' && v.ref.kind === 'PersistentVolumeClaim' && judgedNow(v.ref)
          ? [
              v.verdict.missing
                ? `persistentvolumeclaim "${v.ref.name}" not found`
                : `persistentvolumeclaim "${v.ref.name}" is not on the host yet (the claim's events say why)`,
            ]
          : [],
      ),
      names,
    };
  }

  /** The Pod Security level a namespace's pods are held to: the flag's, or the namespace's if stricter. */
  function securityLevel(namespace: string): PodSecurityLevel {
    return namespaceLevel(virtualNamespaces.store.get(namespace)?.metadata?.labels, defaultLevel);
  }

  /** Like a kubelet, says which secrets and config maps a held pod is missing. */
  async function reportMissing(ctx: ReconcileContext, virtualPod: KubeObject): Promise<void> {
    const ns = ctx.virtualNamespace;
    const missing = missingReferences(
      virtualPod,
      (kind, name) =>
        (kind === 'secret' ? virtualSecrets : virtualConfigMaps).store.get(`${ns}/${name}`) !== undefined,
    );
    for (const ref of missing) {
      const { reason, message } = missingReferenceMessage(ref);
      await ctx.events.record(virtualPod, 'Warning', reason, message);
    }
  }

  /**
   * Holds a pod whose generic ephemeral volume's claim is not its own, as the kubelet would: the host
   * pod mounts the claim by name (see ephemeral-claims.ts), where the host's kubelet no longer checks
   * that the pod owns it, so a claim a tenant made under that name (or an earlier pod's) would be
   * mounted. Retried with backoff, and when the claim's copy changes (the pod's own is made).
   */
  async function waitForOwnEphemeralClaims(ctx: ReconcileContext, virtualPod: KubeObject): Promise<void> {
    const notOwned = ephemeralClaimsNotOwned(asPod(virtualPod), (name) =>
      virtualClaims?.store.get(`${ctx.virtualNamespace}/${name}`),
    );
    if (notOwned.length === 0) return;
    for (const message of notOwned) await ctx.events.record(virtualPod, 'Warning', 'FailedMount', message);
    throw new WaitingError(notOwned.join('; '));
  }

  /**
   * Holds a pod until the virtual cluster has made the ResourceClaims of its templates, and while one
   * of that name is not the pod's own (see resource-claims.ts). Its status update, and the claim's
   * copy, bring it back.
   */
  async function waitForClaimsFromTemplates(ctx: ReconcileContext, virtualPod: KubeObject): Promise<void> {
    const waiting = templatedClaimsWaiting(asPod(virtualPod));
    if (waiting.length) throw new WaitingError(waiting.join('; '));
    const notOwned = templatedClaimsNotOwned(asPod(virtualPod), (name) =>
      virtualResourceClaims?.store.get(`${ctx.virtualNamespace}/${name}`),
    );
    if (notOwned.length === 0) return;
    for (const message of notOwned)
      await ctx.events.record(virtualPod, 'Warning', 'FailedPrepareDynamicResources', message);
    throw new WaitingError(notOwned.join('; '));
  }
  const enforcedTolerations = config.enforceTolerations.map(parseToleration);
  const imageTranslations = parseImageTranslations(config.translateImages ?? []);
  const enforcedNodeSelector = config.enforceNodeSelector ? nodeSelectorTerms(config.nodeSelector) : [];

  /**
   * Everything the pure translation needs that comes from other objects; `hostNameOf` names each
   * reference of the pod, and its service account (see JudgedNames).
   */
  function translationContext(
    ctx: ReconcileContext,
    virtualPod: KubeObject,
    hostPod: KubeObject | undefined,
    hostNameOf: (ref: JudgedReference) => string,
  ): PodTranslationContext {
    const apiService = hostServices.store.get(`${ctx.hostNamespace}/${where.virtualApiService}`);
    const apiSpec = (apiService?.spec ?? {}) as { clusterIP?: string; ports?: { port: number }[] };
    if (!apiSpec.clusterIP || apiSpec.clusterIP === 'None') {
      throw new WaitingError(
        `waiting for the virtual API service ${where.virtualApiService} to get a cluster IP`,
      );
    }
    const namespace = ctx.virtualNamespace;
    const services =
      specOf(virtualPod).enableServiceLinks === false ? [] : addresses.linkedServices(namespace);
    return {
      vcName: ctx.vcName,
      hostNamespace: ctx.hostNamespace,
      virtualNamespaceLabels: virtualNamespaces.store.get(namespace)?.metadata?.labels ?? {},
      workloadServiceAccount: config.workloadServiceAccount,
      // A new pod that needs it has waited for it (waitForDns); a running pod's DNS cannot change, so
      // its updates do not wait. A pod on its node's resolver has no use for it.
      dnsServiceIP: addresses.virtualDnsIP() ?? '',
      clusterNameservers: addresses.configuredNameserversNow(ctx),
      clusterDomain: config.clusterDomain,
      virtualApiServiceIP: apiSpec.clusterIP,
      virtualApiServicePort: apiSpec.ports?.[0]?.port ?? 443,
      serviceEnv: serviceLinkEnv(services),
      envFromKeys: (kind, name) => {
        const source = (kind === 'Secret' ? virtualSecrets : virtualConfigMaps).store.get(
          `${namespace}/${name}`,
        );
        const data = (source as { data?: Record<string, unknown> } | undefined)?.data;
        return source ? Object.keys(data ?? {}) : undefined;
      },
      enforcedTolerations,
      enforcedNodeSelector,
      deniedMetadataKeys: deniedPodMetadata,
      hostsRewriteImage: config.hostsRewriteImage || undefined,
      imageTranslations,
      enforcedRuntimeClass: config.enforceRuntimeClass || undefined,
      allowNodeName: config.allowNodeName,
      placedByVirtualScheduler: config.virtualScheduler,
      allowedSchedulers: config.allowedSchedulers,
      allowedSigners: config.allowedSigners,
      allowedInlineCsiDrivers: config.allowedInlineCsiDrivers,
      allowedInlineVolumeSources: config.allowedInlineVolumeSources,
      reservedContainerNames: config.reservedContainerNames,
      priorityClassNameFor: (name) => identity.priorityClassNameFor(name),
      hostServiceAccountFor: (name) =>
        identity.syncsServiceAccounts ? hostNameOf(accountReference(name)) : undefined,
      referenceHostName: hostNameOf,
      // A running pod's tokens are where it mounts them; a new pod's are prepared before it is made.
      tokenSourceFor: (volumeName: string, tokenIndex: number) => {
        if (!hostPod) throw new Error('the tokens of a new pod are prepared before its translation');
        return mountedTokenSource(
          hostPod,
          ctx.hostName,
          virtualPod.metadata?.uid ?? '',
          volumeName,
          tokenIndex,
          perPodTokenSecretName(virtualPod.metadata?.name ?? '', ctx.virtualNamespace, ctx.vcName),
        );
      },
    };
  }

  /**
   * Brings the host pod's status up to the virtual pod (podStatusForVirtual); the written pod, or
   * undefined when it had that status already. Once it has, the host's custom condition types are
   * remembered, so that one the host drops later is dropped on the virtual pod too.
   */
  async function syncStatusUp(
    ctx: ReconcileContext,
    hostPod: KubeObject,
    virtualPod: KubeObject,
    view: PodStatusView,
  ): Promise<KubeObject | undefined> {
    const uid = virtualPod.metadata?.uid ?? '';
    let status = podStatusForVirtual(asPod(hostPod), asPod(virtualPod), {
      ...view,
      hostConditionTypesBefore: hostConditionTypes.get(uid),
      scrub: scrubForTenant,
    });
    if (virtualDropsGenerations) status = withoutObservedGenerations(status);
    const written = sameJson(status, virtualPod.status)
      ? undefined
      : await ctx.virtual.update(
          Resources.pods,
          ctx.virtualNamespace,
          { ...virtualPod, status },
          { subresource: 'status' },
        );
    // Generations written and none kept: the virtual API server does not serve them (an older
    // Kubernetes); they are left out from now on, or the status would be written at every reconcile.
    if (written && saysObservedGeneration(status) && !saysObservedGeneration(asPod(written).status)) {
      ctx.log.info('the virtual API server keeps no observed generations of pods; not writing them');
      virtualDropsGenerations = true;
    }
    const custom = hostCustomConditionTypes(
      asPod(hostPod).status?.conditions as PodCondition[],
      asPod(virtualPod),
    );
    if (custom.length) hostConditionTypes.set(uid, new Set(custom));
    else hostConditionTypes.delete(uid);
    return written;
  }

  /**
   * Writes a running pod's debug containers (all of them: the subresource replaces the list); whether
   * it did. The host's refusal (a policy allowing no debug containers, a name a host sidecar such as
   * istio-proxy has) is told to the tenant, not thrown: it comes again at every reconcile, and thrown
   * it would end each before the pod's tokens are renewed, until they expire. A failure a retry may
   * settle (an outage, a conflict) is thrown.
   */
  async function writeDebugContainers(
    ctx: ReconcileContext,
    virtualPod: KubeObject,
    hostPod: KubeObject,
    containers: EphemeralContainer[],
  ): Promise<boolean> {
    try {
      await ctx.host.update(
        Resources.pods,
        ctx.hostNamespace,
        { ...hostPod, spec: { ...(hostPod.spec as object), ephemeralContainers: containers } },
        { subresource: 'ephemeralcontainers' },
      );
      return true;
    } catch (err) {
      if (!refusedByHost(err)) throw err;
      const names = newDebugContainerNames(virtualPod, hostPod).map((n) => `"${n}"`);
      ctx.log.debug('the host refused debug containers', { err });
      await ctx.events.record(
        virtualPod,
        'Warning',
        'SyncError',
        `the host cluster refused the debug container(s) ${names.join(', ')}: ${scrubForTenant(err.serverMessage)}`,
        { once: true },
      );
      return false;
    }
  }

  async function deletePod(
    ctx: ReconcileContext,
    cluster: 'host' | 'virtual',
    pod: KubeObject,
    gracePeriodSeconds?: number,
  ): Promise<void> {
    const client = cluster === 'host' ? ctx.host : ctx.virtual;
    const namespace = cluster === 'host' ? ctx.hostNamespace : ctx.virtualNamespace;
    try {
      await client.delete(Resources.pods, namespace, pod.metadata?.name ?? '', {
        uid: pod.metadata?.uid,
        gracePeriodSeconds,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  const podKeysOfNamespace = (namespace: KubeObject): string[] => {
    const prefix = `${namespace.metadata?.name ?? ''}/`;
    return virtualPods?.store.keys().filter((key) => key.startsWith(prefix)) ?? [];
  };

  /**
   * What the host has at this virtual pod's host name, read from the host, not the cache: its own
   * copy (`copy`), the pod it ran as with the syncer's marks changed there (`unmarked`: it records
   * this incarnation's UID, but no longer managed-by, or another object's name), or nothing of it.
   */
  async function hostPodOf(
    ctx: ReconcileContext,
    virtualPod: KubeObject,
  ): Promise<'copy' | 'unmarked' | undefined> {
    const onHost = await getIfExists(ctx.host, Resources.pods, ctx.hostNamespace, ctx.hostName);
    const uid = virtualPod.metadata?.uid;
    if (!onHost || !uid || recordedVirtualUid(onHost) !== uid) return undefined;
    return spec.mapper.sourceKeyOf(onHost) === ctx.key && spec.mapper.sourceUidOf?.(onHost) === uid
      ? 'copy'
      : 'unmarked';
  }

  const spec: KindSpec = {
    direction: 'both',
    virtualType: Resources.pods,
    hostType: Resources.pods,
    mapper: namespacedToHost(Resources.pods, where),
    onRefused: markRefused,
    // A pod held for a reference is retried as soon as that object's host copy appears or changes.
    relations: [
      {
        name: 'secret-copies',
        cluster: 'host',
        type: Resources.secrets,
        scope: managedCopiesScope(where),
        keys: podsWaitingFor('Secret', Resources.secrets),
      },
      // Per-pod token Secrets (--pod-token-secrets per-pod) by the virtual pod they were minted for:
      // one whose host pod never took it (the syncer stopped between the two writes) goes once that
      // pod is gone (leftovers). Indexed, so that the start lists them: an earlier run's go too.
      {
        name: PER_POD_TOKEN_SECRETS,
        cluster: 'host',
        type: Resources.secrets,
        scope: managedCopiesScope(where),
        membershipOnly: true,
        keys: (secret) => {
          const pod = secret.metadata?.annotations?.[TOKEN_POD_ANNOTATION];
          return pod ? [pod] : [];
        },
      },
      // A token bundle deleted behind the syncer's back: the pods whose host pods mount a key of it
      // write their tokens again (the kubelet cannot refresh their volumes meanwhile). Its writes
      // change nothing here, so only its adds and deletes enqueue: its keys (up to a bundle's
      // capacity of pods) are not even read for its writes, many in a pod burst.
      {
        name: 'token-bundles',
        cluster: 'host',
        type: Resources.secrets,
        scope: managedCopiesScope(where),
        unindexed: true,
        changed: () => false,
        keys: (secret) =>
          tokenBundles?.isBundle(secret)
            ? (hostPodCache?.store.byIndex(TOKEN_BUNDLE_INDEX, secret.metadata?.name ?? '') ?? []).flatMap(
                (pod) => ownedVirtualKey(pod, where, Resources.pods) ?? [],
              )
            : [],
      },
      {
        name: 'configmap-copies',
        cluster: 'host',
        type: Resources.configMaps,
        scope: managedCopiesScope(where),
        keys: podsWaitingFor('ConfigMap', Resources.configMaps),
      },
      {
        name: 'claim-copies',
        cluster: 'host',
        type: Resources.persistentVolumeClaims,
        scope: managedCopiesScope(where),
        whenKind: 'persistentvolumeclaims',
        keys: podsWaitingFor('PersistentVolumeClaim', Resources.persistentVolumeClaims),
      },
      {
        name: 'resourceclaim-copies',
        cluster: 'host',
        type: Resources.resourceClaims,
        scope: managedCopiesScope(where),
        whenKind: 'resourceclaims',
        keys: podsWaitingFor('ResourceClaim', Resources.resourceClaims),
      },
      // Pods waiting for the host copy of their priority class or service account, when synced.
      {
        name: 'priorityclass-copies',
        cluster: 'host',
        type: Resources.priorityClasses,
        scope: { labelSelector: managedBySelector(where, false) },
        whenKind: 'priorityclasses',
        keys: podsWaitingFor('PriorityClass', Resources.priorityClasses),
      },
      {
        name: 'serviceaccount-copies',
        cluster: 'host',
        type: Resources.serviceAccounts,
        scope: managedCopiesScope(where),
        whenKind: 'serviceaccounts',
        keys: podsWaitingFor('ServiceAccount', Resources.serviceAccounts),
      },
      // A pod refused for its runtime class is tried again when a host class of that name changes
      // (made, or labelled for this virtual cluster).
      {
        name: 'host-runtimeclasses',
        cluster: 'host',
        type: Resources.runtimeClasses,
        whenKind: RUNTIME_FROM_HOST,
        keys: (cls) =>
          (
            virtualPods?.store.byIndex(
              REFERENCE_INDEX,
              referenceIndexKey('RuntimeClass', '', cls.metadata?.name ?? ''),
            ) ?? []
          ).map(objectKey),
      },
      // A pod refused for a device class it asks for through an extended resource is tried again
      // when a host class of that name, or declaring that resource, changes.
      {
        name: 'host-deviceclasses',
        cluster: 'host',
        type: Resources.deviceClasses,
        whenKind: HOST_DEVICE_CLASSES_KIND,
        keys: (cls) => {
          const extended = (cls.spec as { extendedResourceName?: unknown } | undefined)?.extendedResourceName;
          const resources = [`${DEVICE_CLASS_RESOURCE_PREFIX}${cls.metadata?.name ?? ''}`];
          if (typeof extended === 'string') resources.push(extended);
          return resources.flatMap((name) =>
            (
              virtualPods?.store.byIndex(REFERENCE_INDEX, referenceIndexKey('ExtendedResource', '', name)) ??
              []
            ).map(objectKey),
          );
        },
      },
      // A namespace's labels are on each of its host pods (ns-label keys, for namespace selectors in
      // network policies and affinities): a change of them reaches the pods that already run.
      {
        name: 'namespace-labels',
        cluster: 'virtual',
        type: Resources.namespaces,
        keys: podKeysOfNamespace,
        changed: (old, current) => !sameJson(old.metadata?.labels ?? {}, current.metadata?.labels ?? {}),
        unindexed: true,
      },
      ...addresses.relations(),
    ],

    setup(env: SyncEnvironment, kinds) {
      namespaceProbe = new HostNamespaceProbe(env.host, env.hostNamespace, env.clock);
      otherNames = new CopiesOfOtherNames(env.host, env.hostNamespace, env.vcName, env.clock);
      const managed = { namespace: env.hostNamespace, labelSelector: `${MANAGED_BY_LABEL}=${env.vcName}` };
      judge = new ReferenceJudge(
        referenceTargets(kinds, (peer) => ({
          host: env.informers.get(env.host, peer.hostType, managed),
          virtual: env.informers.get(env.virtual, peer.virtualType),
        })),
      );
      fills = new AbsentFills({ judge, hostNamespace: env.hostNamespace, vcName: env.vcName });
      virtualPods = env.informers.get(env.virtual, Resources.pods);
      virtualPods.addIndexer(REFERENCE_INDEX, (pod) => [
        ...podReferences(pod).map((r) => referenceIndexKey(r.kind, pod.metadata?.namespace ?? '', r.name)),
        ...identityIndexKeys(pod),
      ]);
      const classesSynced = kinds.has('priorityclasses') || kinds.has(PRIORITY_FROM_HOST);
      // Every host class of the type (the runtime-classes relation reads the same informer).
      const shown = (kind: string, type: ResourceType) =>
        kinds.has(kind)
          ? { informer: env.informers.get(env.host, type), selector: hostClassSelectorOf(kinds, kind) }
          : undefined;
      identity = new PodHostIdentity({
        shownPriorityClasses: shown(PRIORITY_FROM_HOST, Resources.priorityClasses),
        shownRuntimeClasses: config.enforceRuntimeClass
          ? undefined
          : shown(RUNTIME_FROM_HOST, Resources.runtimeClasses),
        shownDeviceClasses: shown(HOST_DEVICE_CLASSES_KIND, Resources.deviceClasses),
        kinds,
        judge,
        enforcedPriorityClass: config.enforcePriorityClass || undefined,
        virtualClasses: classesSynced ? env.informers.get(env.virtual, Resources.priorityClasses) : undefined,
        hostClasses: kinds.has('priorityclasses')
          ? env.informers.get(env.host, Resources.priorityClasses, {
              labelSelector: managedBySelector(env, false),
            })
          : undefined,
      });
      virtualNamespaces = env.informers.get(env.virtual, Resources.namespaces);
      hostServices = env.informers.get(env.host, Resources.services, { namespace: env.hostNamespace });
      virtualSecrets = env.informers.get(env.virtual, Resources.secrets);
      virtualConfigMaps = env.informers.get(env.virtual, Resources.configMaps);
      if (kinds.has('persistentvolumeclaims'))
        virtualClaims = env.informers.get(env.virtual, Resources.persistentVolumeClaims);
      if (kinds.has('resourceclaims'))
        virtualResourceClaims = env.informers.get(env.virtual, Resources.resourceClaims);
      const hostSecrets = env.informers.get(env.host, Resources.secrets, managed);
      // The pods kind's own host informer (same scope): which bundle keys host pods still mount.
      const hostPods = env.informers.get(env.host, Resources.pods, managed);
      hostPodCache = hostPods;
      addresses.setup(env, kinds, hostPods);
      hostPods.addIndexer(TOKEN_BUNDLE_INDEX, (pod) => [
        ...new Set(bundleSlotsOf(pod, env.vcName).map((s) => s.secretName)),
      ]);
      const bundles = (tokenBundles = new TokenBundles({
        host: env.host,
        hostSecrets,
        vcName: env.vcName,
        hostNamespace: env.hostNamespace,
        clock: env.clock,
        logger: env.logger,
        keysInUse: (name) =>
          new Set(
            hostPods.store
              .byIndex(TOKEN_BUNDLE_INDEX, name)
              .flatMap((pod) => bundleSlotsOf(pod, env.vcName))
              .filter((s) => s.secretName === name)
              .map((s) => s.key),
          ),
      }));
      // A host pod gone: its tokens leave their bundle with the bundle's next write.
      hostPods.addHandlers({ onDelete: (pod) => bundles.release(bundleSlotsOf(pod, env.vcName)) });
      tokens = new PodTokens(
        hostSecrets,
        bundles,
        config.podTokenSecrets === 'per-pod' ? 'per-pod' : 'bundled',
      );
      resizer = new HostResizer(() => env.clock.now(), scrubForTenant);
    },

    /**
     * The per-pod token Secrets of a pod that is gone, which no host pod took as its own (written
     * before a host pod that never came, or before the syncer stopped): nothing else deletes them.
     * Only this virtual cluster's Secret of the pod's own token name, for the pod the virtual API
     * server says is gone (a cache behind it must not take a pod being made for gone).
     */
    async leftovers(ctx): Promise<SyncResult> {
      const { namespace, name } = splitKey(ctx.key);
      const tokenSecretName = perPodTokenSecretName(name, namespace, where.vcName);
      const left = ctx
        .related(PER_POD_TOKEN_SECRETS)
        .filter(
          (secret) =>
            secret.metadata?.name === tokenSecretName &&
            secret.metadata.annotations?.[TOKEN_POD_UID_ANNOTATION] !== undefined &&
            !(secret.metadata.ownerReferences ?? []).some((owner) => owner.kind === 'Pod'),
        );
      if (!left.length) return {};
      if (await getIfExists(ctx.virtual, Resources.pods, ctx.virtualNamespace, ctx.virtualName)) return {};
      for (const secret of left) await deleteIncarnation(ctx.host, Resources.secrets, secret);
      ctx.log.info("deleted the pod's token secret, which its host pod never took: the pod is gone");
      return { hostWritten: true };
    },

    earlierIncarnationRefusal: (virtualPod, hostPod) =>
      ranFrom(virtualPod, hostPod)
        ? `its host pod ${hostPod.metadata?.name} records another pod's UID (its vcluster.loft.sh/object-uid annotation was changed on the host, or the host restored from a backup), though this pod ran, which it could only have done from its own copy: both are kept, and this pod is not synced until the record is put back`
        : undefined,

    diff: (_ctx, virtualPod, hostPod) =>
      podDifferences(asPod(virtualPod), asPod(hostPod), imageTranslations, scrubForTenant),

    async create(ctx, source): Promise<SyncResult> {
      const virtualPod = source!;
      if (virtualPod.metadata?.deletionTimestamp) {
        // Its host pod was found without the syncer's marks (see below): it may run on, which the
        // tenant must not be told is over; it stays Terminating until the marks are back. That is
        // remembered in memory only: a pod that ran, whose copy this process did not see go, is
        // asked of the host too (after a restart, or on the replica that has just taken the lease).
        const ran = !!(virtualPod.status as { startTime?: string } | undefined)?.startTime;
        const ask = unmarkedHostPods.has(ctx.key) || (ran && !goingWithTheirCopies.has(ctx.key));
        if (ask && (await hostPodOf(ctx, virtualPod)) === 'unmarked') {
          unmarkedHostPods.add(ctx.key);
          throw unmarkedHostPodError(ctx);
        }
        unmarkedHostPods.delete(ctx.key);
        goingWithTheirCopies.delete(ctx.key);
        // Being deleted and nothing runs on the host: finish the deletion for the missing kubelet.
        await deletePod(ctx, 'virtual', virtualPod, 0);
        return { virtualWritten: true };
      }
      // Before anything reads the spec: a pod of the wrong shape is refused with the field named.
      const problem = malformedPod(virtualPod);
      if (problem) throw new TerminalError(`malformed pod: ${problem}`);
      const tokenCount = tokenNeeds(virtualPod).length;
      if (tokenCount > MAX_POD_TOKENS)
        throw new TerminalError(
          `the pod projects ${tokenCount} service account tokens; at most ${MAX_POD_TOKENS} are minted for one pod`,
        );
      // The virtual scheduler has not placed it yet: its binding (an update of the pod) brings it back.
      if (config.virtualScheduler && !specOf(virtualPod).nodeName) return {};
      if (
        specOf(virtualPod).nodeName &&
        (virtualPod.status as { startTime?: string } | undefined)?.startTime
      ) {
        // It ran on the host (it has a start time) and its host pod is gone (evicted, deleted by hand, node lost): like a
        // pod whose node vanished, it is deleted so its controller replaces it. Gone from the cache
        // is not gone: a cache behind the host (a replica that has just taken the lease) would
        // delete a running pod; the host is asked. Nor is a host namespace without the virtual API's
        // Service this virtual cluster's (a wrong --host-namespace, or host cluster): every pod that
        // ran would read as gone there, and be deleted.
        if (!hostServices.store.get(`${ctx.hostNamespace}/${where.virtualApiService}`)) {
          notOurNamespace.warn(ctx);
          throw new WaitingError(
            'its host pod is not there, in a host namespace without the virtual API service',
            {
              retryAfterMs: NOT_OUR_NAMESPACE_RECHECK_MS,
            },
          );
        }
        // Nor is a host namespace being deleted: its pods go before its Services do.
        const namespaceState = await namespaceProbe!.state();
        if (namespaceState === 'terminating' || namespaceState === 'missing') {
          notOurNamespace.warnGoing(ctx, namespaceState);
          throw new WaitingError(
            `its host pod is not there, in a host namespace that is ${namespaceState === 'missing' ? 'gone' : 'being deleted'}`,
            {
              retryAfterMs: NOT_OUR_NAMESPACE_RECHECK_MS,
            },
          );
        }
        const onHost = await hostPodOf(ctx, virtualPod);
        if (onHost === 'copy') {
          ctx.log.info('host pod not in the cache but still on the host; waiting for the cache');
          return { requeueAfterMs: HOST_CACHE_BEHIND_RECHECK_MS };
        }
        // Still running, perhaps, only no longer marked as this pod's: the tenant keeps its pod (an
        // admin's edit, a restore tool), and the syncer touches neither until the marks are back.
        if (onHost === 'unmarked') {
          unmarkedHostPods.add(ctx.key);
          throw unmarkedHostPodError(ctx);
        }
        unmarkedHostPods.delete(ctx.key);
        // Nor is a copy another name's syncer holds (this one started under the wrong --name).
        const holder = await otherNames!.holderOf(virtualPod.metadata?.uid);
        if (holder) {
          otherNameWarning(ctx, holder);
          throw new WaitingError(
            `its host pod is there, marked as virtual cluster "${holder}"'s copy, not "${where.vcName}"'s (is --name right?): the pod is kept`,
            { retryAfterMs: NOT_OUR_NAMESPACE_RECHECK_MS },
          );
        }
        // Logged once done: a delete the virtual API server refuses is retried, and said each time.
        await deletePod(ctx, 'virtual', virtualPod, 0);
        ctx.log.info('host pod disappeared: deleted the virtual pod');
        return { virtualWritten: true };
      }
      const admission = hostAdmission(virtualPod);
      if (admission.refusal) throw admission.refusal;
      // A claim a moment away is the usual start of a StatefulSet's pod; one still away after a grace
      // is told, as the host's scheduler would tell it (the pod is not on the host to be told there).
      const claimsAway = admission.claimsAway ?? [];
      if (claimGrace.tell(ctx.key, ctx.clock.monotonicNow(), claimsAway, true))
        await ctx.events.record(virtualPod, 'Warning', 'FailedScheduling', claimsAway.join('; '), {
          once: true,
        });
      // A copy a moment away is the usual start of a pod; one still away after a grace is told:
      // refused by the host (a quota, an admission webhook), the pod would otherwise wait in silence.
      const copiesAway = admission.copiesAway ?? [];
      if (copyGrace.tell(ctx.key, ctx.clock.monotonicNow(), copiesAway, true))
        await ctx.events.record(
          virtualPod,
          'Warning',
          'SyncWaiting',
          `not created on the host yet, waiting for: ${copiesAway.join('; ')} (the objects' own events say why their copies are not there)`,
          { once: true },
        );
      if (admission.waiting.length) {
        await reportMissing(ctx, virtualPod);
        throw new WaitingError(`waiting for references: ${admission.waiting.join('; ')}`);
      }
      await waitForOwnEphemeralClaims(ctx, virtualPod);
      await waitForClaimsFromTemplates(ctx, virtualPod);
      await addresses.waitForDns(ctx, virtualPod);
      addresses.waitForServiceLinks(ctx, virtualPod);
      // Refused before because a host pod that is not ours holds its name (tried again now and
      // then, see explainAlreadyExists): no token is minted and stored while it still does.
      if (nameTaken.has(ctx.key)) await refuseIfNameStillTaken(ctx);
      // Everything that can make the pod wait is checked before tokens are minted for it.
      const context = translationContext(ctx, virtualPod, undefined, (ref) =>
        admission.names.hostNameOf(ref),
      );
      // Its tokens are stored first (with other pods' in a shared write), so the pod starts with them.
      const prepared = await tokens.prepare(ctx, virtualPod);
      // That took a while: the pod is made only if every copy judged its own still is.
      const changed = admission.names.noLongerReady((ref) => judge.judge(ctx.virtualNamespace, ref));
      if (changed) throw new WaitingError(`${changed}; judging the pod again`);
      const hostPod = translatePodToHost(asPod(virtualPod), {
        ...context,
        tokenSourceFor: prepared.sourceFor,
      }) as unknown as KubeObject;
      // A pod is never created with debug containers (the API server refuses it): those the tenant
      // added while the pod waited for its copy follow through their subresource, as on any update.
      delete (hostPod.spec as { ephemeralContainers?: unknown }).ephemeralContainers;
      let created: KubeObject;
      try {
        await refuseWithoutUserNamespace(ctx, virtualPod, hostPod, securityLevel(ctx.virtualNamespace));
        await recordHostOwnedGates(ctx, hostPod);
        created = await ctx.host.create(Resources.pods, ctx.hostNamespace, hostPod);
      } catch (err) {
        if (isApiError(err, 'alreadyExists')) nameTaken.set(ctx.key, true);
        return explainAlreadyExists(ctx, spec, err);
      }
      nameTaken.delete(ctx.key);
      addresses.madeOnHost(ctx.key);
      // A per-pod token Secret, written before its pod, is now given the pod as owner.
      await tokens.adopt(ctx, virtualPod, created);
      return {
        hostWritten: true,
        createdTarget: true,
        created,
        requeueAfterMs: prepared.nextCheckMs,
        tenantWaitFrom: { 'virtual-to-host': Date.parse(virtualPod.metadata?.creationTimestamp ?? '') },
      };
    },

    async update(ctx, source, hostPod): Promise<SyncResult> {
      const virtualPod = source!;
      if (virtualPod.metadata?.deletionTimestamp) {
        const result: SyncResult = {};
        // Its host copy goes as the syncer's own doing (or the host's): once gone, the deletion is
        // finished without asking the host again (see create).
        goingWithTheirCopies.set(ctx.key, true);
        if (!hostPod.metadata?.deletionTimestamp) {
          await deletePod(ctx, 'host', hostPod, virtualPod.metadata.deletionGracePeriodSeconds);
          result.hostWritten = true;
        }
        // While both go, the host's status still comes up: the containers stopping, the final phase
        // and exit codes (a Job's controller counts a pod's success or failure by them).
        if (specOf(virtualPod).nodeName && !malformedPod(virtualPod)) {
          if (await syncStatusUp(ctx, hostPod, virtualPod, { hostSpecCurrent: false }))
            result.virtualWritten = true;
        }
        return result;
      }
      if (hostPod.metadata?.deletionTimestamp) {
        await deletePod(ctx, 'virtual', virtualPod, hostPod.metadata.deletionGracePeriodSeconds);
        return { virtualWritten: true };
      }
      // Deletions go through whatever the shape; binding, status and spec updates read the pod.
      const problem = malformedPod(virtualPod);
      if (problem) throw new TerminalError(`malformed pod: ${problem}`);
      const replacing = await addresses.replacement(ctx, virtualPod, hostPod);
      if (replacing === 'replaced') return { virtualWritten: true };
      const result: SyncResult = {};
      // Its disruption budget allows no eviction now: the rest of its sync goes on, and it is tried again.
      if (replacing === 'held') requeueWithin(result, NAMESERVER_EVICTION_RETRY_MS);
      const hostNode = specOf(hostPod).nodeName;
      if (specOf(virtualPod).nodeName) recentlyBound.delete(ctx.key);
      if (hostNode && !specOf(virtualPod).nodeName) {
        // Bound already, and the cache has not caught up: the pod's update event brings us back,
        // urgently (it continues the host change that led here).
        if (recentlyBound.get(ctx.key) === virtualPod.metadata?.uid) return { urgentFollowUp: true };
        await ctx.virtual.create(
          Resources.pods,
          ctx.virtualNamespace,
          {
            apiVersion: 'v1',
            kind: 'Binding',
            metadata: {
              name: ctx.virtualName,
              namespace: ctx.virtualNamespace,
              uid: virtualPod.metadata?.uid,
            },
            target: { apiVersion: 'v1', kind: 'Node', name: hostNode },
          },
          { subresource: 'binding', name: ctx.virtualName },
        );
        recentlyBound.set(ctx.key, virtualPod.metadata?.uid ?? '');
        // The binding changed the pod's resourceVersion; its update event brings us back for the
        // status, as urgently as the host change that led here.
        return { virtualWritten: true, urgentFollowUp: true };
      }
      // The tenant's resize first (rare): the status written next then says whether the host took it.
      const resize = await resizer.reconcile(ctx.key, asPod(virtualPod), asPod(hostPod), {
        resize: async (pod) =>
          asPod(
            await ctx.host.update(Resources.pods, ctx.hostNamespace, pod as unknown as KubeObject, {
              subresource: 'resize',
            }),
          ),
        tell: (what, message) =>
          ctx.events.record(
            virtualPod,
            'Warning',
            'ResizeRefused',
            `the host cluster refused the resize (${what}): ${message}`,
          ),
      });
      // Every later host write must carry the resourceVersion the one before it left.
      let latestHostPod = resize.hostPod as unknown as KubeObject;
      if (resize.wrote) result.hostWritten = true;
      requeueWithin(result, resize.retryInMs);
      if (resize.failure) ctx.log.warn('in-place resize failed, trying again', { err: resize.failure });
      // Debug containers (`kubectl debug`) face the same checks as a new pod, before they are
      // translated: they name what this admission judged, however long the writes before theirs take.
      // Each new one is judged on its own: one refused (kubectl's default profile adds SYS_PTRACE,
      // which the baseline level forbids) or waiting holds up neither the others nor later ones, and
      // none can be taken back. Only the admitted ones are translated (debugPod).
      const debugVerdicts = newDebugContainerNames(virtualPod, latestHostPod).map((name) => ({
        name,
        admission: hostAdmission(withDebugContainers(virtualPod, latestHostPod, [name]), new Set([name])),
      }));
      // Those refused are shown waiting in the pod's status, where kubectl debug looks for them.
      const debugRefused = new Map(
        debugVerdicts.flatMap((v) => (v.admission.refusal ? [[v.name, v.admission.refusal.message]] : [])),
      );
      const admittedNames = debugVerdicts
        .filter((v) => !v.admission.refusal && !v.admission.waiting.length)
        .map((v) => v.name);
      const newDebug = new Set(admittedNames);
      const debugPod = withDebugContainers(virtualPod, latestHostPod, admittedNames);
      const debugAdmission = newDebug.size ? hostAdmission(debugPod, newDebug) : undefined;
      const inNewDebugContainer = inDebugContainers(debugPod, newDebug);
      const debugAdmitted = !!debugAdmission && !debugAdmission.refusal && !debugAdmission.waiting.length;
      // Nothing else of a running pod names an object (its volumes and containers cannot change): a
      // translation adding no debug container gives its references placeholders, never a name of the
      // shared namespace.
      const hostNameOf = debugAdmitted
        ? (ref: JudgedReference) => {
            try {
              return debugAdmission.names.hostNameOf(ref);
            } catch (err) {
              // What the pod's own and earlier debug containers name, judged otherwise since (see
              // hostAdmission): they keep on the host the names they were made with; this
              // placeholder is never written.
              if ((err instanceof WaitingError || err instanceof TerminalError) && !inNewDebugContainer(ref))
                return absentReferenceName(podReferrer(virtualPod), ref);
              throw err;
            }
          }
        : (ref: JudgedReference) => absentReferenceName(podReferrer(virtualPod), ref);
      // What the host pod still needs, planned before the status: that says whether the host is
      // current. A translation that must wait (the virtual API Service has no IP) holds up only the
      // writes down; the status still goes up.
      let plan: MetadataPlan | undefined;
      let update: HostPodUpdate;
      try {
        update = podUpdatesForHost(
          asPod(debugPod),
          asPod(latestHostPod),
          translationContext(ctx, debugPod, latestHostPod, hostNameOf),
          (desired) => {
            // The resize record moves on only with the host's resources (see recordAfter); the
            // nameservers record stays what the pod was made with.
            const annotations = (desired.metadata!.annotations ??= {});
            const keep = (key: string, value: string | undefined) => {
              if (value === undefined) delete annotations[key];
              else annotations[key] = value;
            };
            keep(
              CONTAINER_RESOURCES_ANNOTATION,
              recordAfter(asPod(virtualPod), asPod(latestHostPod), resize),
            );
            keep(
              CLUSTER_NAMESERVERS_ANNOTATION,
              latestHostPod.metadata?.annotations?.[CLUSTER_NAMESERVERS_ANNOTATION],
            );
            // A pod an older syncer made has no spec record and gets none: writing one would update
            // every such pod at the first start of this one (spec-record.ts reads its absence).
            if (latestHostPod.metadata?.annotations?.[POD_SPEC_RECORD_ANNOTATION] === undefined)
              keep(POD_SPEC_RECORD_ANNOTATION, undefined);
            plan = ctx.planMetadata(virtualPod, latestHostPod, desired as unknown as KubeObject);
            return plan.host;
          },
        );
      } catch (err) {
        if (!(err instanceof WaitingError)) throw err;
        await syncStatusUp(ctx, latestHostPod, virtualPod, {
          hostSpecCurrent: false,
          resizeRefused: resize.refused,
          debugRefused,
        });
        throw err;
      }
      // A metadata write after the status write must carry the resourceVersion the status write left.
      let latestVirtualPod = virtualPod;
      const written = await syncStatusUp(ctx, latestHostPod, virtualPod, {
        hostSpecCurrent: !update.specChanged && !update.ephemeralContainers,
        resizeRefused: resize.refused,
        debugRefused,
      });
      if (written) {
        latestVirtualPod = written;
        result.virtualWritten = true;
        result.tenantWaitFrom = { 'host-to-virtual': latestTransition(hostPod) };
      }
      const rewriteTrouble = hostsRewriteTrouble(asPod(latestHostPod), asPod(virtualPod));
      if (rewriteTrouble)
        await ctx.events.record(
          virtualPod,
          'Warning',
          'HostsRewriteFailed',
          `the init container the syncer adds to write the pod's own name into /etc/hosts (for its hostname and subdomain) cannot start on the host: ${rewriteTrouble.reason}${rewriteTrouble.message ? `: ${scrubForTenant(rewriteTrouble.message)}` : ''}; its image is the admin's to set (--hosts-rewrite-image), or the pod's annotation vcluster.loft.sh/disable-subdomain-rewrite: "true" leaves it out`,
          { once: true, key: rewriteTrouble.reason },
        );
      // Labels or annotations changed on the host since the last sync flow up to the tenant's pod.
      if (plan && (await writePlannedMetadataUp(ctx, Resources.pods, latestVirtualPod, plan)))
        result.virtualWritten = true;
      if (update.changed) {
        latestHostPod = await ctx.host.update(
          Resources.pods,
          ctx.hostNamespace,
          update.pod as unknown as KubeObject,
        );
        result.hostWritten = true;
      }
      // Readiness gates: the tenant's controllers set their conditions on the virtual pod; the host
      // kubelet counts them into Ready once the host pod has them.
      const gateConditions = hostConditionsWithGates(asPod(virtualPod), asPod(latestHostPod));
      if (gateConditions) {
        latestHostPod = await ctx.host.update(
          Resources.pods,
          ctx.hostNamespace,
          { ...latestHostPod, status: { ...(latestHostPod.status as object), conditions: gateConditions } },
          { subresource: 'status' },
        );
        result.hostWritten = true;
      }
      const taken =
        update.debugNamesTaken && `${virtualPod.metadata?.uid}/${update.debugNamesTaken.join(',')}`;
      if (taken && !takenNamesReported.has(taken)) {
        takenNamesReported.set(taken, true);
        await ctx.events.record(
          virtualPod,
          'Warning',
          'SyncError',
          `debug container name(s) ${update.debugNamesTaken!.map((n) => `"${n}"`).join(', ')} already taken on the host pod by a container that is not this pod's: not added; use another name`,
        );
      }
      for (const { name, admission } of debugVerdicts) {
        if (admission.refusal)
          await ctx.events.record(
            virtualPod,
            'Warning',
            'SyncError',
            `debug container "${name}" not added: ${admission.refusal.message}`,
            { once: true },
          );
        else if (admission.waiting.length) {
          // Its references are not copied yet: add it once they are (the copy's relation brings us
          // back; the requeue only covers a copy whose event was missed).
          await ctx.events.record(
            virtualPod,
            'Warning',
            'DebugContainerWaiting',
            `debug container "${name}" not added yet: ${admission.waiting.join('; ')}`,
            { once: true },
          );
          requeueWithin(result, DEBUG_CONTAINER_WAIT_RECHECK_MS);
        }
      }
      if (debugAdmission?.refusal) {
        // Each admitted alone, not together (a name both take): told, and tried again with the pod.
        await ctx.events.record(virtualPod, 'Warning', 'SyncError', debugAdmission.refusal.message, {
          once: true,
        });
      } else if (update.ephemeralContainers && debugAdmitted) {
        // The writes above took a while: added only if every copy judged the pod's own still is, else
        // judged again soon (the copies' relations need not bring the pod back).
        const changed = debugAdmission.names.noLongerReady((ref) => judge.judge(ctx.virtualNamespace, ref));
        if (changed) {
          ctx.log.debug('debug containers judged again', { reason: changed });
          requeueWithin(result, 1000);
        } else if (await writeDebugContainers(ctx, debugPod, latestHostPod, update.ephemeralContainers))
          result.hostWritten = true;
      }
      const minted = await tokens.ensure(ctx, virtualPod, hostPod);
      if (minted.wrote) result.hostWritten = true;
      requeueWithin(result, minted.nextCheckMs);
      // Optional Secrets and ConfigMaps made since the host pod: written where it looks for them.
      const fillSteps = fills.plan(virtualPod, latestHostPod, podReferences(virtualPod));
      if (fillSteps.length && (await fills.apply(ctx.host, virtualPod, latestHostPod, fillSteps, ctx.log)))
        result.hostWritten = true;
      return result;
    },

    async remove(ctx, hostPod): Promise<SyncResult> {
      if (hostPod.metadata?.deletionTimestamp) return {};
      await deletePod(ctx, 'host', hostPod);
      return { hostWritten: true };
    },
  };
  return spec;
}

/**
 * The virtual pod with only these of its new debug containers (beside those whose names the host pod
 * has: added before, or taken by another's, which podUpdatesForHost reports).
 */
function withDebugContainers(
  virtualPod: KubeObject,
  hostPod: KubeObject,
  names: readonly string[],
): KubeObject {
  const all = asPod(virtualPod).spec?.ephemeralContainers;
  if (!all?.length) return virtualPod;
  const onHost = new Set((asPod(hostPod).spec?.ephemeralContainers ?? []).map((c) => c.name));
  const kept = all.filter((c) => onHost.has(c.name) || names.includes(c.name));
  if (kept.length === all.length) return virtualPod;
  return { ...virtualPod, spec: { ...(virtualPod.spec as object), ephemeralContainers: kept } };
}

/**
 * Whether the virtual pod may have run from this host pod: it started, and not before the host pod was
 * made. A copy made after it started (a later pod's of that name, once the virtual cluster was restored
 * from a backup) is not the one it ran from. Both times are the host's (the start is its kubelet's).
 */
function ranFrom(virtualPod: KubeObject, hostPod: KubeObject): boolean {
  const started = Date.parse((virtualPod.status as { startTime?: string } | undefined)?.startTime ?? '');
  const made = Date.parse(hostPod.metadata?.creationTimestamp ?? '');
  return Number.isFinite(started) && !(Number.isFinite(made) && made > started);
}

/** The virtual pod's debug containers its host pod does not have yet (by name, as podUpdatesForHost). */
function newDebugContainerNames(virtualPod: KubeObject, hostPod: KubeObject): string[] {
  const onHost = new Set((asPod(hostPod).spec?.ephemeralContainers ?? []).map((c) => c.name));
  return (asPod(virtualPod).spec?.ephemeralContainers ?? []).map((c) => c.name).filter((n) => !onHost.has(n));
}

/** Answers a retry may change: the object moved on or is gone, throttling, the syncer's own credentials. */
const RETRIED_CLIENT_ERRORS: ReadonlySet<ApiErrorKind> = new Set([
  'conflict',
  'alreadyExists',
  'notFound',
  'gone',
  'tooManyRequests',
  'unauthorized',
]);

/**
 * Whether the host refused a write for what it asks (4xx: admission, policy, validation), which asking
 * again will not change; not an answer a retry may change, nor an outage (5xx, network).
 */
function refusedByHost(err: unknown): err is ApiError {
  return (
    isApiError(err) && err.statusCode >= 400 && err.statusCode < 500 && !RETRIED_CLIENT_ERRORS.has(err.kind)
  );
}

/** Asks for the key to come back within ms (the soonest of every such ask of one reconcile). */
function requeueWithin(result: SyncResult, ms: number | undefined): void {
  if (ms !== undefined) result.requeueAfterMs = Math.min(ms, result.requeueAfterMs ?? Infinity);
}

/** The index keys of the priority and runtime class and service account a pod names (see PodHostIdentity). */
function identityIndexKeys(pod: KubeObject): string[] {
  const spec = asPod(pod).spec;
  const keys = [
    referenceIndexKey('ServiceAccount', pod.metadata?.namespace ?? '', spec?.serviceAccountName || 'default'),
  ];
  if (spec?.priorityClassName) keys.push(referenceIndexKey('PriorityClass', '', spec.priorityClassName));
  if (spec?.runtimeClassName) keys.push(referenceIndexKey('RuntimeClass', '', spec.runtimeClassName));
  // Extended resources a device class may stand for (device-class-requests.ts), by resource name.
  for (const name of requestedResourceNames(asPod(pod)))
    keys.push(referenceIndexKey('ExtendedResource', '', name));
  return keys;
}

/** When the host pod's status last changed, by its conditions' own (whole-second) timestamps. */
function latestTransition(hostPod: KubeObject): number {
  const conditions = (hostPod.status as { conditions?: { lastTransitionTime?: string }[] } | undefined)
    ?.conditions;
  return Math.max(
    ...(conditions ?? []).map((c) => Date.parse(c.lastTransitionTime ?? '')).filter(Number.isFinite),
  );
}
