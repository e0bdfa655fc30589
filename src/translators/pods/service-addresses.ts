import type { Informer } from '../../informer/informer.ts';
import { isApiError, isNotFound } from '../../kube/errors.ts';
import { WaitingError } from '../../controller/errors.ts';
import { objectKey, splitKey, type KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import type { Pod } from '../../kube/types.ts';
import { hostName } from '../../naming/names.ts';
import type { Placement, ReconcileContext, Relation, SyncEnvironment } from '../../sync/kind.ts';
import { ownedVirtualKey } from '../../sync/mappers.ts';
import type { Clock } from '../../util/clock.ts';
import { getsHostCopy } from '../services/services-kind.ts';
import {
  clusterIpOf,
  givenOtherNameservers,
  parseNameserverSource,
  recordedNameservers,
  resolveNameservers,
  selects,
  waitingForNameservers,
  type NameserverResolution,
} from './dns-nameservers.ts';
import { hasServiceLinks } from './service-env.ts';
import { DnsWaiters, usesVirtualDns, WAITING_FOR_DNS, WAITING_FOR_DNS_REASON } from './virtual-dns.ts';

/**
 * How long after a Service's creation a new pod of its namespace waits for the Service's host copy,
 * for the link variables (see waitForServiceLinks): the copy normally comes within a second.
 */
const SERVICE_COPY_WAIT_MS = 30_000;

/** Virtual Services by namespace: a new pod reads its namespace's (link variables, nameservers). */
const SERVICES_BY_NAMESPACE = 'pods/services-by-namespace';
/** Host Services this syncer copied, by the namespace of the virtual Service each stands for. */
const SERVICE_COPIES_BY_NAMESPACE = 'pods/service-copies-by-virtual-namespace';

/** A virtual Service a new pod waits for (see waitForServiceLinks), and how long it may still. */
interface PendingService {
  name: string;
  waitLeftMs: number;
}

/** The settings of the pods kind this part reads. */
export interface ServiceAddressOptions {
  /** --cluster-dns-ip: the nameserver pods get instead of the virtual kube-dns Service's IP. */
  clusterDnsIp: string;
  /** --pod-dns-nameserver entries (see dns-nameservers.ts). */
  podDnsNameservers: string[];
}

const asPod = (obj: KubeObject): Pod => obj as unknown as Pod;
const linksEnabled = (pod: KubeObject) =>
  (pod.spec as { enableServiceLinks?: boolean } | undefined)?.enableServiceLinks !== false;

/**
 * The addresses of Services a pod is given when its host copy is made, which it keeps for life: its
 * nameservers (the virtual DNS, or --pod-dns-nameserver's) and its service link variables. On the
 * host a virtual Service's address is its host copy's, so a new pod waits until the copies it needs
 * have theirs (and the tenant is told why); a running pod given nameservers that changed since is
 * replaced. The relations bring waiting pods back as soon as the Services or their copies change.
 */
export class PodServiceAddresses {
  /** Pods waiting for their cluster nameservers (the virtual DNS, or the configured ones). */
  private readonly dnsWaiters = new DnsWaiters();
  /** New pods waiting for a Service of their namespace to get its host copy (see waitForServiceLinks). */
  private readonly serviceLinkWaiters = new DnsWaiters();
  /** Finished or uncontrolled pods told once that they keep their old nameservers. */
  private readonly nameserverNotices = new DnsWaiters();
  /** The --pod-dns-nameserver resolution each reconcile made (see configuredNameservers). */
  private readonly nameserversOfReconcile = new WeakMap<ReconcileContext, NameserverResolution>();
  /** --pod-dns-nameserver: the Services whose IPs replace the virtual DNS for synced pods. */
  private readonly nameserverSources;
  private readonly hostNameserverNamespaces: string[];
  /** Host Services of the namespaces those sources name, by namespace. */
  private readonly nameserverServices = new Map<string, Informer<KubeObject>>();
  private readonly kubeDnsHostName: string;
  private virtualServices!: Informer<KubeObject>;
  private hostServices!: Informer<KubeObject>;
  /** The host pods the pods kind made (its own host cache). */
  private hostPods: Informer<KubeObject> | undefined;
  /** Whether the services kind runs (it gives virtual Services their host copies' IPs). */
  private servicesSynced = false;
  private clock!: Clock;
  private readonly config: ServiceAddressOptions;
  private readonly where: Placement;

  constructor(config: ServiceAddressOptions, where: Placement) {
    this.config = config;
    this.where = where;
    this.nameserverSources = (config.podDnsNameservers ?? []).map(parseNameserverSource);
    this.hostNameserverNamespaces = [
      ...new Set(this.nameserverSources.filter((s) => s.scope === 'host').map((s) => s.namespace)),
    ];
    this.kubeDnsHostName = hostName('kube-dns', 'kube-system', where.vcName);
  }

  /** The pods kind's relations for these waits: they name the pods waiting when a Service changes. */
  relations(): Relation[] {
    const where = this.where;
    return [
      // --pod-dns-nameserver: the Services it names, in each host namespace, and in the virtual cluster.
      ...this.hostNameserverNamespaces.map((namespace) => ({
        name: `dns-nameservers-${namespace}`,
        cluster: 'host' as const,
        type: Resources.services,
        scope: { namespace },
        keys: (service: KubeObject) => this.nameserverChangeKeys(service),
        unindexed: true,
        // An admin may name a namespace that does not exist yet, or one the syncer may not read:
        // that holds up the pods using the cluster DNS, never the syncer's start.
        optional: true,
      })),
      ...(this.nameserverSources.some((s) => s.scope === 'virtual')
        ? [
            {
              name: 'dns-nameservers-virtual',
              cluster: 'virtual' as const,
              type: Resources.services,
              keys: (service: KubeObject) => this.nameserverChangeKeys(service),
              unindexed: true,
            },
          ]
        : []),
      // The relations below name the pods waiting (or told) at the moment a Service changes: kept in
      // no index, which would file each Service under the waiters of its last change.
      // Pods waiting for the virtual DNS go as soon as kube-dns or its host copy changes (it appears, or
      // is re-created with the host's IP), not at their next backoff.
      {
        name: 'dns-service',
        cluster: 'virtual',
        type: Resources.services,
        keys: (service) => (objectKey(service) === 'kube-system/kube-dns' ? this.dnsWaiters.keys() : []),
        unindexed: true,
      },
      {
        name: 'dns-service-copy',
        cluster: 'host',
        type: Resources.services,
        scope: { namespace: where.hostNamespace },
        whenKind: 'services',
        // (and, for --pod-dns-nameserver, a copy of a virtual Service a source picks: it counts once
        // its copy has its IP)
        keys: (service) =>
          service.metadata?.name === this.kubeDnsHostName || this.copiesVirtualNameserver(service)
            ? this.dnsWaiters.keys()
            : [],
        unindexed: true,
      },
      // New pods held for the link variables of a new Service go once its host copy is there, and
      // once the Service is back after its re-create with the copy's IP (see copiesInFlux).
      {
        name: 'service-link-services',
        cluster: 'virtual',
        type: Resources.services,
        whenKind: 'services',
        keys: (service) => {
          const prefix = `${service.metadata?.namespace ?? ''}/`;
          return this.serviceLinkWaiters.keys().filter((key) => key.startsWith(prefix));
        },
        unindexed: true,
      },
      {
        name: 'service-link-copies',
        cluster: 'host',
        type: Resources.services,
        scope: { namespace: where.hostNamespace },
        whenKind: 'services',
        keys: (service) => {
          const owner = ownedVirtualKey(service, where, Resources.services);
          if (!owner) return [];
          const prefix = `${splitKey(owner).namespace}/`;
          return this.serviceLinkWaiters.keys().filter((key) => key.startsWith(prefix));
        },
        unindexed: true,
      },
    ];
  }

  /** Takes the caches it reads; `hostPods` is the pods kind's own host cache. */
  setup(env: SyncEnvironment, kinds: ReadonlyMap<string, unknown>, hostPods: Informer<KubeObject>): void {
    this.virtualServices = env.informers.get(env.virtual, Resources.services);
    this.virtualServices.addIndexer(SERVICES_BY_NAMESPACE, (service) => [service.metadata?.namespace ?? '']);
    this.hostServices = env.informers.get(env.host, Resources.services, { namespace: env.hostNamespace });
    this.hostServices.addIndexer(SERVICE_COPIES_BY_NAMESPACE, (copy) => {
      const owner = ownedVirtualKey(copy, this.where, Resources.services);
      return owner ? [splitKey(owner).namespace] : [];
    });
    for (const namespace of this.hostNameserverNamespaces)
      this.nameserverServices.set(
        namespace,
        env.informers.get(env.host, Resources.services, { namespace }, { optional: true }),
      );
    this.servicesSynced = kinds.has('services');
    this.hostPods = hostPods;
    this.clock = env.clock;
  }

  /**
   * The nameserver synced pods get: the flag's, or the virtual kube-dns Service's IP once its host copy
   * has the same. A new kube-dns first has an IP of the virtual cluster's choosing, which nothing on the
   * host routes, until the services kind re-creates it with the host's; a pod made in between would keep
   * the unroutable one for life (dnsConfig cannot change).
   */
  virtualDnsIP(): string | undefined {
    if (this.config.clusterDnsIp) return this.config.clusterDnsIp;
    const ip = clusterIpOf(this.virtualServices.store.get('kube-system/kube-dns'));
    return ip && this.hostCopyHasIp('kube-system', 'kube-dns', ip) ? ip : undefined;
  }

  /** The --pod-dns-nameserver nameservers now (undefined without the flag), none while one is missing. */
  configuredNameserversNow(ctx: ReconcileContext): string[] | undefined {
    if (!this.nameserverSources.length) return undefined;
    const resolved = this.configuredNameservers(ctx);
    return 'ips' in resolved ? resolved.ips : [];
  }

  /**
   * The Services a pod's link variables (`<NAME>_SERVICE_HOST`, ...) name, each with the cluster IP
   * of its host copy. Until the services kind re-creates a virtual Service with its copy's IP, the
   * virtual IP is the virtual cluster's choice, which on the host is nobody's Service or another
   * tenant's; the variables cannot be changed once the pod runs. A Service without a copy is left
   * out, like one made after the pod (a new pod first waits a little for a new one: waitForServiceLinks).
   */
  linkedServices(namespace: string): KubeObject[] {
    const services = this.servicesOf(namespace);
    if (!this.servicesSynced) return services;
    return services.flatMap((service) => {
      const ip = clusterIpOf(this.ownHostCopy(namespace, service.metadata?.name ?? ''));
      return ip ? [{ ...service, spec: { ...(service.spec as object), clusterIP: ip } }] : [];
    });
  }

  /**
   * Holds a new pod that needs the cluster DNS while it has no address, and tells the tenant why,
   * once per pod (it is retried until the Service is there): the wait is otherwise invisible to it.
   */
  async waitForDns(ctx: ReconcileContext, virtualPod: KubeObject): Promise<void> {
    if (!usesVirtualDns(asPod(virtualPod).spec)) return;
    const nameservers = this.clusterNameservers(ctx);
    if ('ips' in nameservers) return;
    if (this.dnsWaiters.wait(ctx.key, virtualPod.metadata?.uid ?? ''))
      await ctx.events.record(virtualPod, 'Warning', WAITING_FOR_DNS_REASON, nameservers.waiting);
    throw new WaitingError(nameservers.waiting);
  }

  /** The pod went to the host: it no longer waits for its nameservers. */
  madeOnHost(key: string): void {
    this.dnsWaiters.done(key);
  }

  /**
   * Holds a new pod while a Service of its namespace made moments ago has no host copy yet: a chart
   * creates its Services before its workloads, and their pods expect the link variables of them.
   * Only Services the services kind copies count, and the wait is bounded by both clocks: no pod
   * waits past SERVICE_COPY_WAIT_MS from its own creation, nor for a Service older than that (its
   * copy refused, or the host slow); the pod then starts without that Service's variables. The copy
   * appearing brings the pod back (the service-link-copies relation), as does the Service coming back
   * while it is re-created with its copy's IP (copiesInFlux); the retry at the bound is
   * outside the rate limiter, so a burst of pods waiting together costs other keys' retries nothing.
   */
  waitForServiceLinks(ctx: ReconcileContext, virtualPod: KubeObject): void {
    if (!this.servicesSynced || !linksEnabled(virtualPod)) return;
    const now = this.clock.now();
    const waitLeft = (obj: KubeObject) =>
      SERVICE_COPY_WAIT_MS - (now - Date.parse(obj.metadata?.creationTimestamp ?? ''));
    const podWaitLeft = waitLeft(virtualPod);
    const withoutCopy = this.servicesOf(ctx.virtualNamespace)
      .filter(
        (service) =>
          hasServiceLinks(service) &&
          getsHostCopy(service) &&
          waitLeft(service) > 0 &&
          !clusterIpOf(this.ownHostCopy(ctx.virtualNamespace, service.metadata?.name ?? '')),
      )
      .map((service) => ({ name: service.metadata?.name ?? '', waitLeftMs: waitLeft(service) }));
    const pending =
      podWaitLeft > 0 ? [...withoutCopy, ...this.copiesInFlux(ctx.virtualNamespace, waitLeft)] : [];
    if (!pending.length) {
      this.serviceLinkWaiters.done(ctx.key);
      return;
    }
    this.serviceLinkWaiters.wait(ctx.key, virtualPod.metadata?.uid ?? '');
    throw new WaitingError(
      `waiting for the host copy of Service(s) ${pending.map((s) => s.name).join(', ')}, whose addresses the pod's service link variables give`,
      { retryAfterMs: Math.max(100, Math.min(podWaitLeft, ...pending.map((s) => s.waitLeftMs))) },
    );
  }

  /**
   * With --pod-dns-nameserver: what to do about a pod whose host copy was given other nameservers
   * than the ones configured now (a Service re-created with a new IP, a selector now picking
   * another), which a running pod cannot change. Judged by the record the host pod was made with,
   * not its live spec (a host webhook may add a resolver). A pod a controller owns is evicted through
   * the virtual API, so that its PodDisruptionBudget paces the replacements (`held` while it says
   * not yet); a finished pod, or one no controller would make again, is left as it is and the tenant
   * told once. A pod made before the flag was set has no record, and is left alone.
   */
  async replacement(
    ctx: ReconcileContext,
    virtualPod: KubeObject,
    hostPod: KubeObject,
  ): Promise<'replaced' | 'held' | undefined> {
    if (!this.nameserverSources.length) return undefined;
    const resolved = this.configuredNameservers(ctx);
    if (!('ips' in resolved) || !givenOtherNameservers(hostPod, resolved.ips)) return undefined;
    const phase = asPod(hostPod).status?.phase;
    const owned = (virtualPod.metadata?.ownerReferences ?? []).some((o) => o.controller);
    const change = `the DNS nameservers this virtual cluster gives its pods changed (${recordedNameservers(hostPod).join(', ')} -> ${resolved.ips.join(', ')})`;
    if (phase === 'Succeeded' || phase === 'Failed' || !owned) {
      if (this.nameserverNotices.wait(ctx.key, `${virtualPod.metadata?.uid}/${resolved.ips.join(',')}`))
        await ctx.events.record(
          virtualPod,
          'Warning',
          'NameserversChanged',
          `${change}: this pod keeps the old ones (no controller would make it again); delete it to get the new ones`,
        );
      return undefined;
    }
    try {
      await ctx.virtual.create(
        Resources.pods,
        ctx.virtualNamespace,
        {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: ctx.virtualName, namespace: ctx.virtualNamespace },
        },
        { subresource: 'eviction', name: ctx.virtualName },
      );
    } catch (err) {
      if (isApiError(err, 'tooManyRequests')) return 'held';
      if (isNotFound(err)) return 'replaced';
      throw err;
    }
    await ctx.events.record(
      virtualPod,
      'Warning',
      'NameserversChanged',
      `${change}: the pod is evicted so that it is made again with them`,
    );
    return 'replaced';
  }

  /** Whether a host Service is this syncer's copy of a virtual Service a virtual source picks. */
  private copiesVirtualNameserver(service: KubeObject): boolean {
    const sources = this.nameserverSources.filter((s) => s.scope === 'virtual');
    if (!sources.length) return false;
    const key = ownedVirtualKey(service, this.where, Resources.services);
    const virtual = key ? this.virtualServices?.store.get(key) : undefined;
    return virtual !== undefined && sources.some((s) => selects(s, virtual));
  }

  /**
   * Whether a virtual Service's host copy has its IP yet: until then the IP is the virtual cluster's,
   * which nothing on the host routes. Without the services kind nothing gives it another: it is used
   * as it is.
   */
  private hostCopyHasIp(namespace: string, name: string, ip: string): boolean {
    if (!this.servicesSynced) return true;
    return clusterIpOf(this.ownHostCopy(namespace, name)) === ip;
  }

  /** The virtual Services of a namespace. */
  private servicesOf(namespace: string): KubeObject[] {
    return this.virtualServices.store.byIndex(SERVICES_BY_NAMESPACE, namespace);
  }

  /** This syncer's host copy of a virtual Service, proved by its metadata (names are ambiguous). */
  private ownHostCopy(namespace: string, name: string): KubeObject | undefined {
    const copy = this.hostServices.store.get(
      `${this.where.hostNamespace}/${hostName(name, namespace, this.where.vcName)}`,
    );
    return copy && ownedVirtualKey(copy, this.where, Resources.services) === `${namespace}/${name}`
      ? copy
      : undefined;
  }

  /**
   * New host copies whose virtual Service is not in the cache: the services kind is re-creating it
   * with the copy's IP (a delete, then a create), or the tenant deleted it and the copy goes next.
   * Either way the caches settle in moments; a pod made in between would start without the link
   * variables of a Service it was made after.
   */
  private copiesInFlux(namespace: string, waitLeft: (obj: KubeObject) => number): PendingService[] {
    return this.hostServices.store.byIndex(SERVICE_COPIES_BY_NAMESPACE, namespace).flatMap((copy) => {
      const owner = ownedVirtualKey(copy, this.where, Resources.services) ?? '';
      // A copy being deleted stands for a Service the tenant deleted (a re-create keeps the copy).
      const going = copy.metadata?.deletionTimestamp !== undefined;
      return hasServiceLinks(copy) && !going && waitLeft(copy) > 0 && !this.virtualServices.store.get(owner)
        ? [{ name: splitKey(owner).name, waitLeftMs: waitLeft(copy) }]
        : [];
    });
  }

  /**
   * With --pod-dns-nameserver: the nameservers pods get now. A virtual Service counts once its host
   * copy has its IP (before that the IP is the virtual cluster's, which nothing on the host routes).
   * Resolved once per reconcile (`ctx`): a pod's create and update each ask more than once.
   */
  private configuredNameservers(ctx?: ReconcileContext): NameserverResolution {
    const known = ctx && this.nameserversOfReconcile.get(ctx);
    if (known) return known;
    const resolved = resolveNameservers(
      this.nameserverSources,
      (source) => {
        if (source.scope === 'virtual') return this.servicesOf(source.namespace);
        const informer = this.nameserverServices.get(source.namespace);
        // Not read yet (or unreadable: the informer logs why, and retries): not the same as none.
        return informer?.hasSynced() ? informer.store.list() : undefined;
      },
      (source, service, ip) =>
        source.scope === 'host' || this.hostCopyHasIp(source.namespace, service.metadata?.name ?? '', ip),
    );
    if (ctx) this.nameserversOfReconcile.set(ctx, resolved);
    return resolved;
  }

  /** The nameservers a pod using the cluster DNS gets, or why it must wait for them. */
  private clusterNameservers(ctx: ReconcileContext): { ips: string[] } | { waiting: string } {
    if (this.nameserverSources.length) {
      const resolved = this.configuredNameservers(ctx);
      return 'ips' in resolved ? resolved : { waiting: waitingForNameservers(resolved) };
    }
    const ip = this.virtualDnsIP();
    return ip ? { ips: [ip] } : { waiting: WAITING_FOR_DNS };
  }

  /**
   * What a change of a Service concerns for --pod-dns-nameserver: nothing unless a source may pick
   * it; then the pods waiting for their nameservers, and the running pods whose host copies were
   * given other ones than those configured now (see replacement). From the caches alone, as a
   * relation's keys must be (its index asks too, per Service).
   */
  private nameserverChangeKeys(service: KubeObject): string[] {
    if (!this.nameserverSources.some((source) => selects(source, service))) return [];
    const keys = this.dnsWaiters.keys();
    const resolved = this.configuredNameservers();
    if (!('ips' in resolved) || !this.hostPods) return keys;
    for (const hostPod of this.hostPods.store.list()) {
      if (!givenOtherNameservers(hostPod, resolved.ips)) continue;
      const key = ownedVirtualKey(hostPod, this.where, Resources.pods);
      if (key) keys.push(key);
    }
    return keys;
  }
}
