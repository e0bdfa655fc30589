import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import {
  MANAGED_BY_LABEL,
  namespaceSelectorAsPodSelector,
  translateLabelSelector,
  type LabelSelector,
} from '../../naming/labels.ts';
import type { Placement } from '../../sync/kind.ts';
import { hostMetadataFor, sameJson } from '../shared/host-metadata.ts';
import { cidrContainsCidr, formatCidr, parseCidr, type Cidr } from '../../util/ip.ts';
import { cloneJson } from '../../util/json.ts';

/** A CIDR peer; it names addresses, not pods, so it means the same on the host. */
export interface IPBlock {
  cidr: string;
  except?: string[];
}

/** One peer of a rule: pods (by pod and/or namespace labels) or an address block. */
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}

export interface NetworkPolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicyIngressRule {
  ports?: NetworkPolicyPort[];
  from?: NetworkPolicyPeer[];
}

export interface NetworkPolicyEgressRule {
  ports?: NetworkPolicyPort[];
  to?: NetworkPolicyPeer[];
}

/** The parts of a NetworkPolicy spec the syncer reads and writes (all of it). */
export interface NetworkPolicySpec {
  podSelector?: LabelSelector;
  ingress?: NetworkPolicyIngressRule[];
  egress?: NetworkPolicyEgressRule[];
  policyTypes?: string[];
}

/** Where a policy is translated: this virtual cluster, and the virtual namespace the policy lives in. */
export interface PolicyPlace {
  vcName: string;
  virtualNamespace: string;
  /** Where this virtual cluster's pods may send traffic at most; unset: tenant rules are copied as written. */
  egress?: EgressBounds;
}

/**
 * The host's own limit on where this virtual cluster's pods may send traffic (the chart's isolation
 * NetworkPolicy: every synced pod, addresses in `cidrs` but not in `except`). NetworkPolicies add up,
 * so a tenant rule allowing more would undo that limit; with bounds set, tenant egress rules are
 * confined to them and to this virtual cluster's pods.
 */
export interface EgressBounds {
  cidrs: readonly string[];
  except: readonly string[];
}

export const specOf = (policy: KubeObject | undefined): NetworkPolicySpec =>
  (policy?.spec ?? {}) as NetworkPolicySpec;

/** Every label requirement of the parts, ANDed into one selector (keys of the parts never clash but managed-by, which agrees). */
function allOf(...parts: LabelSelector[]): LabelSelector {
  const matchLabels = Object.assign({}, ...parts.map((p) => p.matchLabels ?? {})) as Record<string, string>;
  const matchExpressions = parts.flatMap((p) => p.matchExpressions ?? []);
  return matchExpressions.length ? { matchLabels, matchExpressions } : { matchLabels };
}

/**
 * One peer as it must read on the host, where every tenant's pods share one namespace and a
 * namespaceSelector would select other host namespaces (other tenants', the host's own). So no host
 * peer carries a namespaceSelector:
 * - podSelector alone (the policy's own namespace): pod keys translated, scoped to this virtual
 *   cluster and the policy's namespace;
 * - namespaceSelector (with or without podSelector): the namespace labels become the ns-label copies
 *   synced pods carry, scoped to this virtual cluster (an empty one: every namespace of it), ANDed
 *   with the translated pod keys when a podSelector is given;
 * - ipBlock: addresses mean the same on the host, kept.
 * An invalid peer (ipBlock together with selectors) stays invalid, so the host rejects it rather
 * than widening it.
 */
export function translatePeer(peer: NetworkPolicyPeer, where: PolicyPlace): NetworkPolicyPeer {
  const out: NetworkPolicyPeer = {};
  if (peer.namespaceSelector) {
    // Pods of other namespaces: the pod keys without the policy's namespace, the namespaces by ns-labels.
    const pods = peer.podSelector
      ? translateLabelSelector(peer.podSelector, { vcName: where.vcName, virtualNamespace: '' })
      : {};
    out.podSelector = allOf(pods, namespaceSelectorAsPodSelector(peer.namespaceSelector, where.vcName));
  } else if (peer.podSelector) {
    out.podSelector = translateLabelSelector(peer.podSelector, where);
  }
  if (peer.ipBlock) out.ipBlock = cloneJson(peer.ipBlock);
  return out;
}

const translatePeers = (peers: NetworkPolicyPeer[] | undefined, where: PolicyPlace) =>
  peers?.map((p) => translatePeer(p, where));

/**
 * The host spec for a virtual policy's spec. The selected pods are only this virtual cluster's pods
 * of the policy's namespace (an empty podSelector included), else a tenant could isolate another
 * tenant's pods; peers are translated as in translatePeer. Ports and policyTypes mean the same on
 * the host (named ports resolve against the same containers) and are kept; a missing or empty
 * `from`/`to` (every source or destination) is kept as it is.
 */
export function translateNetworkPolicySpec(spec: NetworkPolicySpec, where: PolicyPlace): NetworkPolicySpec {
  const out: NetworkPolicySpec = { podSelector: translateLabelSelector(spec.podSelector ?? {}, where) };
  if (spec.ingress)
    out.ingress = spec.ingress.map((rule) => {
      const r: NetworkPolicyIngressRule = {};
      if (rule.ports) r.ports = cloneJson(rule.ports);
      if (rule.from) r.from = translatePeers(rule.from, where);
      return r;
    });
  if (spec.egress)
    out.egress = spec.egress.flatMap((rule) => {
      const r: NetworkPolicyEgressRule = {};
      if (rule.ports) r.ports = cloneJson(rule.ports);
      if (rule.to) r.to = translatePeers(rule.to, where);
      if (where.egress) {
        // Within bounds, "every destination" is this virtual cluster's pods and the allowed addresses.
        const to = r.to?.length ? r.to : [ownPods(where.vcName), ...allowedBlocks(where.egress)];
        r.to = to.flatMap((peer) =>
          peer.ipBlock ? confinedBlocks(peer.ipBlock, where.egress!).map((ipBlock) => ({ ipBlock })) : [peer],
        );
        // A rule left with no destination would allow every one: it goes.
        if (!r.to.length) return [];
      }
      return [r];
    });
  if (spec.policyTypes) out.policyTypes = [...spec.policyTypes];
  return out;
}

const parsedBlocks = (list: readonly string[]): Cidr[] =>
  list.map(parseCidr).filter((block): block is Cidr => block !== undefined);

/** Every pod of this virtual cluster, in any of its namespaces. */
const ownPods = (vcName: string): NetworkPolicyPeer => ({
  podSelector: { matchLabels: { [MANAGED_BY_LABEL]: vcName } },
});

/** A block inside another and smaller: what an ipBlock's `except` may hold. */
const strictlyInside = (outer: Cidr, inner: Cidr) =>
  cidrContainsCidr(outer, inner) && inner.prefix > outer.prefix;

/** The allowed address blocks as peers, each with the excepted blocks inside it. */
function allowedBlocks(bounds: EgressBounds): NetworkPolicyPeer[] {
  return parsedBlocks(bounds.cidrs).map((block) => ({ ipBlock: withExcepts(block, [], bounds) }));
}

/**
 * A tenant's address block within the bounds: cut to each allowed block it overlaps (one peer per
 * allowed block), each carrying the excepted blocks inside it besides the tenant's own excepts.
 * Nothing when it lies outside every allowed block or inside an excepted one. CIDR blocks either
 * nest or are disjoint, so this is exact.
 */
function confinedBlocks(tenant: IPBlock, bounds: EgressBounds): IPBlock[] {
  const block = parseCidr(tenant.cidr);
  // Unreadable: refused before translation (unreadableIpBlock); nothing is allowed for it here.
  if (!block) return [];
  const tenantExcepts = parsedBlocks(tenant.except ?? []);
  const out: IPBlock[] = [];
  for (const allowed of parsedBlocks(bounds.cidrs)) {
    const inner = cidrContainsCidr(allowed, block)
      ? block
      : cidrContainsCidr(block, allowed)
        ? allowed
        : undefined;
    if (!inner) continue;
    if (parsedBlocks(bounds.except).some((denied) => cidrContainsCidr(denied, inner))) continue;
    if (tenantExcepts.some((e) => cidrContainsCidr(e, inner))) continue;
    out.push(withExcepts(inner, tenantExcepts, bounds));
  }
  return out;
}

/** An ipBlock of `block`, excepting those of `own` and of the bounds' excepted blocks inside it. */
function withExcepts(block: Cidr, own: readonly Cidr[], bounds: EgressBounds): IPBlock {
  const except = [
    ...new Set(
      [...own, ...parsedBlocks(bounds.except)].filter((e) => strictlyInside(block, e)).map(formatCidr),
    ),
  ];
  return except.length ? { cidr: formatCidr(block), except } : { cidr: formatCidr(block) };
}

/**
 * The first ipBlock address block of the spec that cannot be read, as `field: "text"`, or undefined.
 * Blocks are read as the host's API server and network plugin read them (leading zeros and all,
 * see util/ip.ts); one read differently here could be confined as one block and enforced as another.
 */
export function unreadableIpBlock(spec: NetworkPolicySpec): string | undefined {
  const peers = [
    ...(spec.ingress ?? []).flatMap((rule, i) =>
      (rule.from ?? []).map((peer, j) => ({ peer, path: `spec.ingress[${i}].from[${j}].ipBlock` })),
    ),
    ...(spec.egress ?? []).flatMap((rule, i) =>
      (rule.to ?? []).map((peer, j) => ({ peer, path: `spec.egress[${i}].to[${j}].ipBlock` })),
    ),
  ];
  for (const { peer, path } of peers) {
    if (!peer.ipBlock) continue;
    const blocks = [
      { field: `${path}.cidr`, text: peer.ipBlock.cidr },
      ...(peer.ipBlock.except ?? []).map((text, k) => ({ field: `${path}.except[${k}]`, text })),
    ];
    const bad = blocks.find((b) => !parseCidr(b.text));
    if (bad) return `${bad.field}: not a CIDR block (address/prefix): ${JSON.stringify(bad.text)}`;
  }
  return undefined;
}

/** The host copy of a virtual NetworkPolicy: translated metadata and spec. */
export function hostNetworkPolicyFor(
  virtual: KubeObject,
  where: Placement & { hostName: string; egress?: EgressBounds },
): KubeObject {
  const virtualNamespace = virtual.metadata?.namespace ?? '';
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: hostMetadataFor(virtual, Resources.networkPolicies, where),
    spec: translateNetworkPolicySpec(specOf(virtual), {
      vcName: where.vcName,
      virtualNamespace,
      egress: where.egress,
    }),
  };
}

/**
 * True when the host policy already says what the desired one says. What the API server defaults or
 * drops (protocol TCP, policyTypes from the rules, empty lists) counts as equal, so a server's
 * normalisation never reads as a host edit to revert, which would rewrite the policy forever.
 */
export function hostSpecInSync(desired: KubeObject, host: KubeObject): boolean {
  return sameJson(normaliseSpec(specOf(desired)), normaliseSpec(specOf(host)));
}

function normaliseSpec(spec: NetworkPolicySpec): unknown {
  const ports = (list: NetworkPolicyPort[] | undefined) =>
    list?.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP' }));
  const policyTypes = spec.policyTypes?.length
    ? spec.policyTypes
    : spec.egress?.length
      ? ['Ingress', 'Egress']
      : ['Ingress'];
  return dropEmptyLists({
    podSelector: spec.podSelector,
    ingress: spec.ingress?.map((r) => ({ ...r, ports: ports(r.ports) })),
    egress: spec.egress?.map((r) => ({ ...r, ports: ports(r.ports) })),
    policyTypes,
  });
}

/** A JSON value with empty lists removed: Kubernetes omits them, and none differs in meaning from absent. */
function dropEmptyLists(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? v.map(dropEmptyLists) : undefined;
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, dropEmptyLists(x)]),
    );
  return v;
}
