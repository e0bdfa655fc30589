import type { Informer } from '../../informer/informer.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { MANAGED_BY_LABEL } from '../../naming/labels.ts';
import { hostName } from '../../naming/names.ts';
import type { InformerScope } from '../../informer/factory.ts';
import type { Placement, ReconcileContext, Relation, SyncEnvironment } from '../../sync/kind.ts';
import { ownedVirtualKey } from '../../sync/mappers.ts';
import { isPublicTld } from '../../naming/public-tlds.ts';
import {
  cidrContainsIP,
  embeddedIPv4,
  ipIndexKey,
  parseCidr,
  parseIP,
  parseIPv4,
  parseIPv6,
  sameIP,
  type Cidr,
} from '../../util/ip.ts';

/**
 * Which addresses a tenant may point a host Service at, shared by the kinds that copy a tenant's own
 * endpoints to the host (Endpoints and EndpointSlices of Services without a selector). Every pod of
 * every tenant sharing the host namespace is reachable from it, so an address is kept only when it
 * is safe there: a reference to a pod must be this tenant's pod, with that pod's IP; no address may
 * be another tenant's (or the host's) pod in the host namespace, nor loopback, link-local (cloud
 * metadata services live at 169.254.169.254) or unspecified.
 */

/** What the rules may ask about the clusters, to decide which addresses a tenant may use. */
export interface AddressPolicy {
  /**
   * The host pod standing for a virtual pod, when that pod is this tenant's (and no other object
   * holds its host name): its host name and IPs.
   */
  tenantPod(namespace: string, name: string): { hostName: string; ips: string[] } | undefined;
  /** True when the IP belongs to a host pod that is not this virtual cluster's. */
  isForeignPodIP(ip: string): boolean;
  /**
   * True when the IP lies in a block tenants may not name (EndpointAddressBounds) and is not the IP
   * of one of this virtual cluster's host pods.
   */
  isDeniedAddress(ip: string): boolean;
}

/**
 * Address blocks a tenant's own endpoints may not name, besides the rules above: where the host's
 * pods of other namespaces, its nodes and its API server live, which the syncer cannot see (it reads
 * one host namespace). A host Service, NodePort or load balancer, or the host's ingress controller,
 * would otherwise carry traffic there for the tenant (CVE-2021-25740). `allowed` carves blocks back
 * out (a database outside the cluster on a private address); this virtual cluster's own pods are
 * always allowed.
 */
export interface EndpointAddressBounds {
  denied: readonly string[];
  allowed: readonly string[];
}

/**
 * The private and shared address ranges (RFC 1918, RFC 6598, IPv6 unique local), and NAT64's
 * local-use prefix (RFC 8215), whose IPv4 address an operator may embed at any of several offsets.
 * Addresses embedding an IPv4 address by NAT64's well-known prefix or 6to4 are judged by that IPv4
 * address too (see embeddedIPv4).
 *
 * Then the special-purpose blocks no service on the internet has (IANA's registry: not globally
 * reachable), which clusters take for their pods, Services and nodes once the private ranges run
 * short: GKE accepts each of the IPv4 ones for its ranges, and Google suggests class E (240.0.0.0/4)
 * for pods. And 34.118.224.0/20, public space that GKE gives every cluster's Services by default
 * (Autopilot from 1.27, Standard from 1.29): on such a host the other namespaces' Services are
 * there. No tenant names an outside service at any of these.
 */
export const DEFAULT_DENIED_ENDPOINT_CIDRS: readonly string[] = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  'fc00::/7',
  '64:ff9b:1::/48',
  // Not globally reachable (RFC 6890 and its successors).
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '240.0.0.0/4',
  '100::/64',
  '2001:db8::/32',
  '3fff::/20',
  // GKE's default Service range.
  '34.118.224.0/20',
];

/** A reference from an address to the object behind it (an ObjectReference). */
export interface TargetRef {
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

/** A targetRef pointed at the host pod of a tenant's pod. */
export interface HostPodRef {
  kind: 'Pod';
  name: string;
  namespace: string;
}

/**
 * Addresses no tenant may send host traffic to, whatever the admin allows: loopback, link-local
 * (most clouds' metadata services live at 169.254.169.254) and unspecified addresses, in IPv4 and
 * IPv6 (IPv4-mapped IPv6 included, and an IPv4 address carried by NAT64 or 6to4), and the metadata
 * and host agent services that live elsewhere: AWS's IPv6 ones (fd00:ec2::254 metadata, ::23 the EKS
 * Pod Identity agent), Google Cloud's IPv6 one (fd20:ce::254), Alibaba Cloud's
 * (100.100.100.200, inside the carrier-grade 100.64.0.0/10 an admin may well allow) and Azure's
 * WireServer (168.63.129.16, a public address every Azure VM reaches).
 */
export function isForbiddenAddress(ip: string): boolean {
  const v4 = parseIPv4(ip);
  if (v4) return forbiddenIPv4(v4);
  const v6 = parseIPv6(ip);
  if (!v6) return false;
  if (v6.slice(0, 5).every((h) => h === 0) && v6[5] === 0xffff)
    return forbiddenIPv4([v6[6]! >> 8, v6[6]! & 0xff, v6[7]! >> 8, v6[7]! & 0xff]);
  const carried = embeddedIPv4(ip);
  if (carried) return forbiddenIPv4(parseIPv4(carried)!);
  const zeroes = v6.slice(0, 7).every((h) => h === 0);
  // ::, ::1, fe80::/10, the cloud services below
  return (
    (zeroes && (v6[7] === 0 || v6[7] === 1)) ||
    (v6[0]! & 0xffc0) === 0xfe80 ||
    CLOUD_SERVICES_V6.some((service) => service.every((h, i) => v6[i] === h))
  );
}

/**
 * Cloud services a node reaches over IPv6 at fixed addresses, inside fc00::/7, which an admin with an
 * IPv6 unique-local network may well allow: AWS's instance metadata (fd00:ec2::254) and EKS Pod
 * Identity agent (fd00:ec2::23), which hand out credentials; Google Cloud's metadata (fd20:ce::254).
 */
const CLOUD_SERVICES_V6 = [
  [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254],
  [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23],
  [0xfd20, 0xce, 0, 0, 0, 0, 0, 0x254],
];

function forbiddenIPv4([a, b, c, d]: number[]): boolean {
  return (
    a === 127 ||
    a === 0 ||
    (a === 169 && b === 254) ||
    (a === 100 && b === 100 && c === 100 && d === 200) ||
    (a === 168 && b === 63 && c === 129 && d === 16)
  );
}

/** Host namespaces every cluster has: `<service>.<one of these>` is a host system's Service. */
const SYSTEM_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);
/** Domains reserved for private use: the host's own resolvers answer them (cloud metadata, the cluster's names). */
const PRIVATE_DOMAINS = ['internal', 'local', 'localdomain', 'home.arpa', 'localhost'];

/**
 * Why a DNS name a tenant gives (a Service's ExternalName, an FQDN endpoint) may not reach the host,
 * or undefined when it may. The host's ingress and gateway controllers send traffic for it to that
 * name (ingress-nginx uses an IP-like name as the address itself) and resolve names in the host
 * cluster's DNS, through their own search path: a name must not reach what the endpoint rules keep
 * tenants from (CVE-2021-25740). Refused: an address the tenant's own endpoints may not name (see
 * vetEndpoint), also spelled into a name (`169.254.169.254.nip.io`, `10-0-0-1.sslip.io`), localhost,
 * private-use domains (`metadata.google.internal`, `*.cluster.local`), a cluster DNS name of a Service
 * or pod (`<name>.<namespace>.svc|pod[.<domain>]`), a bare name, and `<service>.<namespace>` where the
 * namespace is the host's own (this host namespace, `default`, `kube-system`...) or the service
 * another virtual cluster's copy (`-x-`), or any name whose last label is no public top-level domain
 * (only a private resolver or a search path resolves those, into the host's Services and pods), and
 * any name ending in this host namespace's name (`db-0.db.<host namespace>`), even one named like a
 * public TLD (`dev`, `app`). Another host namespace named like a public TLD cannot be told from the
 * Internet's and is not judged here.
 */
export function hostNameRefusal(
  given: string,
  rules: { isDeniedAddress: (ip: string) => boolean; hostNamespace: string },
): string | undefined {
  const name = given.toLowerCase().replace(/\.$/, '');
  const addressRefusal = (ip: string, spelled: boolean) => {
    const what = spelled ? `${given} spells out ${ip}, which` : given;
    if (isForbiddenAddress(ip))
      return `${what} is a loopback, link-local, unspecified or cloud metadata address`;
    if (rules.isDeniedAddress(ip))
      return `${what} is a private address (the host admin may allow it with --allowed-endpoint-cidr)`;
    return undefined;
  };
  if (parseIP(name)) return addressRefusal(name, false);
  const labels = name.split('.');
  if (PRIVATE_DOMAINS.some((d) => name === d || name.endsWith(`.${d}`)))
    return `${given} is in a private-use domain, which the host's own resolvers answer`;
  if (labels.slice(2).some((l) => l === 'svc' || l === 'pod'))
    return `${given} is a cluster DNS name, which the host resolves among its own Services and pods`;
  if (labels.length === 1) return `${given} is a bare name, which the host resolves among its own Services`;
  if (
    labels.length === 2 &&
    (labels[0]!.includes('-x-') || labels[1] === rules.hostNamespace || SYSTEM_NAMESPACES.has(labels[1]!))
  )
    return `${given} names a Service of the host cluster (<service>.<namespace>)`;
  // Whatever its length (`<pod>.<headless service>.<ns>`, `<a>.<b>.<c>.<ns>`): the host's search path
  // resolves it into this host namespace, among every tenant's copies and the virtual clusters' own
  // control planes, even when the namespace is named like a public TLD (`dev`, `app`).
  if (labels.at(-1) === rules.hostNamespace)
    return `${given} names a Service or pod of the host cluster (<...>.<namespace>)`;
  // A name ending in no public TLD resolves only through a private resolver or the resolver's search
  // path, which on the host tries `<name>.svc.<cluster domain>` first: a Service of any host namespace
  // (`argocd-server.argocd`), a StatefulSet pod behind a headless one (`db-0.db.data`). Numbers that
  // some resolvers read as an address (`169.254.43518`, `0x7f.0.0.1`) end in no TLD either.
  if (!isPublicTld(labels.at(-1)!))
    return `${given} ends in no public top-level domain, so the host resolves it among its own Services and pods`;
  for (const ip of spelledAddresses(labels)) {
    const refusal = addressRefusal(ip, true);
    if (refusal) return refusal;
  }
  return undefined;
}

/**
 * Wildcard DNS services that also answer an address in hex (`app-a9fea9fe.nip.io`) or an IPv6 address
 * with dashes for colons (`fe80--1.sslip.io`). Those spellings are read only under these: elsewhere
 * eight hex digits are an ordinary name's (`myaks-dns-7f3a1b2c.hcp.eastus.azmk8s.io`).
 */
const WILDCARD_DNS_DOMAINS = ['nip.io', 'sslip.io', 'xip.io', 'traefik.me'];

/**
 * Addresses spelled into a name's labels, as wildcard DNS services answer them: four labels
 * (`10.0.0.1.nip.io`) or one label ending in four dashed numbers (`app-10-0-0-1.sslip.io`) in any
 * name, and under a known wildcard DNS service four numbers or eight hex digits anywhere, bounded by
 * dots or dashes, and a label that is an IPv6 address with dashes. A name that resolves to such an address some other way (a record of the
 * tenant's own domain) cannot be told from its text.
 */
function spelledAddresses(labels: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 4 <= labels.length; i++) {
    const quad = labels.slice(i, i + 4).join('.');
    if (parseIPv4(quad)) out.push(quad);
  }
  const name = labels.join('.');
  const wildcard = WILDCARD_DNS_DOMAINS.some((d) => name === d || name.endsWith(`.${d}`));
  if (wildcard) {
    // sslip.io (which serves nip.io too) reads an address anywhere in the name, its parts and their
    // ends bounded by dots or dashes (`169-254-169-254-app`, `x-169.254.169.254-y`): every run of four.
    const parts = name.split(/[.-]/);
    for (let i = 0; i + 4 <= parts.length; i++) {
      const quad = parts.slice(i, i + 4);
      if (quad.every((p) => /^\d{1,3}$/.test(p)) && parseIPv4(quad.join('.'))) out.push(quad.join('.'));
    }
    for (const part of parts) {
      if (/^[0-9a-f]{8}$/.test(part))
        out.push([0, 2, 4, 6].map((i) => parseInt(part.slice(i, i + 2), 16)).join('.'));
    }
  }
  for (const label of labels) {
    const dashed = /(?:^|-)(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})$/.exec(label);
    if (dashed && parseIPv4(dashed.slice(1).join('.'))) out.push(dashed.slice(1).join('.'));
    if (!wildcard) continue;
    const v6 = label.replaceAll('-', ':');
    if (parseIPv6(v6)) out.push(v6);
  }
  return out;
}

/** The rules of hostNameRefusal for a Service's ExternalName, from the address bounds alone. */
export function externalNameRefusal(
  externalName: string,
  bounds: EndpointAddressBounds,
  hostNamespace: string,
): string | undefined {
  return hostNameRefusal(externalName, { isDeniedAddress: deniedByBounds(bounds), hostNamespace });
}

/**
 * Whether an address is in a denied block and no allowed one (by value; false for no IP). An IPv6
 * address carrying an IPv4 one (NAT64, 6to4) is denied when either is: the packets reach the IPv4 one.
 */
export function deniedByBounds(bounds: EndpointAddressBounds): (ip: string) => boolean {
  const denied = blocks(bounds.denied);
  const allowed = blocks(bounds.allowed);
  const deniedAddress = (ip: string) => {
    const address = parseIP(ip);
    return (
      !!address &&
      denied.some((b) => cidrContainsIP(b, address)) &&
      !allowed.some((b) => cidrContainsIP(b, address))
    );
  };
  return (ip) => {
    const carried = embeddedIPv4(ip);
    return deniedAddress(ip) || (carried !== undefined && deniedAddress(carried));
  };
}

/** A pod's IPs, from its status (podIP and podIPs), without repeats. */
export function podIPs(pod: KubeObject): string[] {
  const status = (pod.status ?? {}) as { podIP?: unknown; podIPs?: unknown };
  const listed = Array.isArray(status.podIPs)
    ? status.podIPs.map((p) => (p && typeof p === 'object' ? (p as { ip?: unknown }).ip : undefined))
    : [];
  return [
    ...new Set([status.podIP, ...listed].filter((ip): ip is string => typeof ip === 'string' && ip !== '')),
  ];
}

/**
 * The IPs a host pod of this virtual cluster holds as its own: none once it has finished (the network
 * plugin gives a finished pod's IP back to the pool, while the pod's status still shows it) or is
 * being deleted, and none when it shares its node's network (its IP is the node's).
 */
export function heldPodIPs(pod: KubeObject): string[] {
  const phase = (pod.status as { phase?: unknown } | undefined)?.phase;
  if (phase === 'Succeeded' || phase === 'Failed' || pod.metadata?.deletionTimestamp) return [];
  if ((pod.spec as { hostNetwork?: unknown } | undefined)?.hostNetwork === true) return [];
  return podIPs(pod);
}

/**
 * Whether a virtual Service takes the endpoints its tenant writes: it exists, has no selector (with
 * one, the controllers make its endpoints) and is not an ExternalName (which has none).
 */
export function takesTenantEndpoints(service: KubeObject | undefined): boolean {
  if (!service) return false;
  const spec = (service.spec ?? {}) as { selector?: unknown; type?: unknown };
  return spec.type !== 'ExternalName' && Object.keys((spec.selector ?? {}) as object).length === 0;
}

/** Where a tenant's pod IPs are indexed in the shared host pod informer (by every kind using the policy). */
const HOST_POD_IP_INDEX = 'address-policy/pod-ip';
/** Host pod informers that already carry the index: shared informers refuse a second index of a name. */
const indexed = new WeakSet<Informer<KubeObject>>();

/** The informers the policy reads, for kinds that also watch them (as relations). */
export interface AddressPolicyInformers {
  virtualPods: Informer<KubeObject>;
  /** Pods of the host namespace that are not this virtual cluster's (see foreignHostPods). */
  foreignHostPods: Informer<KubeObject>;
}

/**
 * The pods of the host namespace that are not this virtual cluster's: the host's own and other
 * virtual clusters'. Watched apart from this cluster's own pods (which the pods kind watches), so no
 * pod is cached twice: at ten thousand pods a second full copy would be most of the syncer's memory.
 */
export function foreignHostPods(where: Pick<Placement, 'vcName' | 'hostNamespace'>): InformerScope {
  return { namespace: where.hostNamespace, labelSelector: `${MANAGED_BY_LABEL}!=${where.vcName}` };
}
/** This virtual cluster's host pods: the same scope as the pods kind's own host informer. */
export const ownHostPods = (where: Pick<Placement, 'vcName' | 'hostNamespace'>): InformerScope => ({
  namespace: where.hostNamespace,
  labelSelector: `${MANAGED_BY_LABEL}=${where.vcName}`,
});

/**
 * The address policy of this virtual cluster, over shared informers: the virtual pods, and every pod
 * of the host namespace (other tenants' too: their IPs are what a tenant must not target) indexed by
 * IP. Call it from a kind's setup; kinds calling it share the informers and the index.
 */
export function tenantAddressPolicy(
  env: SyncEnvironment,
  bounds: EndpointAddressBounds,
): AddressPolicy & AddressPolicyInformers {
  const virtualPods = env.informers.get(env.virtual, Resources.pods);
  const ownPods = env.informers.get(env.host, Resources.pods, ownHostPods(env));
  const foreign = env.informers.get(env.host, Resources.pods, foreignHostPods(env));
  // Another's pod's IP is refused however that pod stands; this cluster's own pod's only vouches for
  // an address while the pod holds it.
  for (const [pods, ips] of [
    [foreign, podIPs],
    [ownPods, heldPodIPs],
  ] as const) {
    if (indexed.has(pods)) continue;
    pods.addIndexer(HOST_POD_IP_INDEX, (pod) => ips(pod).map(ipIndexKey));
    indexed.add(pods);
  }
  const denied = deniedByBounds(bounds);
  return {
    virtualPods,
    foreignHostPods: foreign,
    tenantPod(namespace, name) {
      const pod = virtualPods.store.get(`${namespace}/${name}`);
      if (!pod) return undefined;
      const host = hostName(name, namespace, env.vcName);
      const key = `${env.hostNamespace}/${host}`;
      // Host names are ambiguous: a host pod of that name that is not this pod's copy is someone
      // else's, and a reference must never point at it.
      if (foreign.store.get(key)) return undefined;
      const holder = ownPods.store.get(key);
      if (holder && ownedVirtualKey(holder, env, Resources.pods) !== `${namespace}/${name}`) return undefined;
      return { hostName: host, ips: podIPs(pod) };
    },
    isForeignPodIP: (ip) => foreign.store.byIndex(HOST_POD_IP_INDEX, ipIndexKey(ip)).length > 0,
    isDeniedAddress(ip) {
      if (!denied(ip)) return false;
      // The host kubelet wrote these IPs (the virtual pod's status is the tenant's to write).
      return ownPods.store.byIndex(HOST_POD_IP_INDEX, ipIndexKey(ip)).length === 0;
    },
  };
}

/**
 * What a kind whose objects list addresses vetted by this policy watches, so that an address kept or
 * dropped is checked again when the pod it names changes: a pod of another's taking an IP, and one of
 * this cluster's own getting, changing or giving back its IP (finished, deleted). Without them an
 * address allowed once would stay on the host after its pod was gone and the IP given to someone
 * else. `listing(ipKey)` gives the kind's keys listing an address (by ipIndexKey).
 */
export function addressPolicyRelations(
  where: Pick<Placement, 'vcName' | 'hostNamespace'>,
  listing: (ipKey: string) => string[],
): Relation[] {
  // Enqueued for the old and the new version, so an IP given back re-checks what listed it; only
  // when the IPs that count change, not on a pod's every status write.
  const onIpChanges = (
    name: string,
    scope: InformerScope,
    counted: (pod: KubeObject) => string[],
  ): Relation => ({
    name,
    cluster: 'host',
    type: Resources.pods,
    scope,
    keys: (pod) => podIPs(pod).flatMap((ip) => listing(ipIndexKey(ip))),
    changed: (old, current) => counted(old).join() !== counted(current).join(),
    unindexed: true,
  });
  return [
    onIpChanges('host-pods', foreignHostPods(where), podIPs),
    onIpChanges('own-host-pods', ownHostPods(where), heldPodIPs),
  ];
}

const blocks = (list: readonly string[]): Cidr[] =>
  list.map(parseCidr).filter((block): block is Cidr => block !== undefined);

/** A flag's problem when one of its blocks is not `address/prefix`. */
export function invalidCidrs(list: readonly string[]): string | undefined {
  const bad = list.find((cidr) => !parseCidr(cidr));
  return bad === undefined ? undefined : `not a CIDR block (address/prefix): ${JSON.stringify(bad)}`;
}

/**
 * The rules for one endpoint: its addresses and what it points at. With a `Pod` targetRef the pod
 * must be this tenant's (in the endpoint's namespace unless the reference names another) and, when
 * `ips` is set, every address one of its IPs; the reference is pointed at the host pod. Any other
 * targetRef is dropped (it would name a virtual object on the host). With `ips` (addresses that are
 * IPs, not FQDNs) no address may be loopback, link-local or unspecified, nor a pod IP that is not
 * this virtual cluster's: a tenant's pod status is the tenant's to write, so its IPs prove nothing
 * on their own. Returns the host targetRef, or why the endpoint is dropped (virtual names only).
 */
export function vetEndpoint(
  addresses: readonly unknown[],
  ref: TargetRef | undefined,
  opts: { namespace: string; hostNamespace: string; policy: AddressPolicy; ips: boolean },
): { ok: true; targetRef?: HostPodRef } | { ok: false; problem: string } {
  const { policy } = opts;
  for (const address of addresses) {
    if (typeof address !== 'string') return { ok: false, problem: `${String(address)}: not an address` };
    // Read as the host reads it (leading zeros and all): one read otherwise here would pass the
    // checks below as no address and reach the host as one.
    if (opts.ips && !parseIP(address)) return { ok: false, problem: `${address}: not an IP address` };
    if (opts.ips && isForbiddenAddress(address))
      return {
        ok: false,
        problem: `${address}: a loopback, link-local, unspecified or cloud metadata address`,
      };
    // An FQDN endpoint is resolved by whoever uses it on the host: held to the rules of an ExternalName.
    const refusal = opts.ips
      ? undefined
      : hostNameRefusal(address, {
          isDeniedAddress: (ip) => policy.isDeniedAddress(ip),
          hostNamespace: opts.hostNamespace,
        });
    if (refusal) return { ok: false, problem: refusal };
  }
  let targetRef: HostPodRef | undefined;
  if (ref?.kind === 'Pod') {
    const namespace = ref.namespace || opts.namespace;
    const pod = ref.name ? policy.tenantPod(namespace, ref.name) : undefined;
    if (!pod)
      return {
        ok: false,
        problem: `${String(addresses[0])}: ${opts.ips ? 'not the IP of' : 'not an address of'} pod ${namespace}/${ref.name ?? ''}`,
      };
    const stray = opts.ips
      ? addresses.find((a) => !pod.ips.some((ip) => sameIP(ip, a as string)))
      : undefined;
    if (stray !== undefined)
      return { ok: false, problem: `${String(stray)}: not the IP of pod ${namespace}/${ref.name ?? ''}` };
    targetRef = { kind: 'Pod', name: pod.hostName, namespace: opts.hostNamespace };
  }
  // One message for both: telling another tenant's pod from the host's own address would let a
  // tenant map which addresses of the host are other tenants' pods.
  if (opts.ips)
    for (const address of addresses as string[]) {
      if (policy.isForeignPodIP(address) || policy.isDeniedAddress(address))
        return {
          ok: false,
          problem: `${address}: not an address this virtual cluster may name (its own pods' IPs, or another address in a block the host admin allows with --allowed-endpoint-cidr, never another tenant's pod)`,
        };
    }
  return targetRef ? { ok: true, targetRef } : { ok: true };
}

/** Tells the tenant which of their addresses stayed behind, on the object that listed them. */
export async function reportDropped(
  ctx: ReconcileContext,
  virtual: KubeObject,
  what: string,
  dropped: readonly string[],
): Promise<void> {
  if (!dropped.length) return;
  await ctx.events.record(
    virtual,
    'Warning',
    'SyncError',
    `${what} not synced to the host: ${dropped.join('; ')}`,
    { once: true },
  );
}
