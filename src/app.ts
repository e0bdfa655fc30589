import { UnreachableApiLog } from './controller/unreachable-log.ts';
import { Resources } from './kube/resources.ts';
import { managedCopiesScope } from './sync/mappers.ts';
import { NAMESPACE_POD_SECURITY, NamespacePodSecurityLabels } from './policy/namespace-pod-security.ts';
import type { PodSecurityLevel } from './translators/pods/pod-security.ts';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Server } from 'node:http';
import { corednsObjects } from './bootstrap/coredns.ts';
import { CorednsConfigKeeper } from './bootstrap/coredns-config.ts';
import { resolveHostDns } from './bootstrap/host-dns.ts';
import { MissingObjectCreator } from './bootstrap/create-missing.ts';
import { InitManifestsApplier } from './bootstrap/apply-manifests.ts';
import { CrdsFromHost } from './bootstrap/crds-from-host.ts';
import {
  exportServiceAccount,
  parseAdditionalSecret,
  type AdditionalKubeconfigSecret,
} from './kubeconfig-export/additional.ts';
import { kubeletClientObjects } from './bootstrap/kubelet-client.ts';
import { ConfigError, kubeletPort, placementOf, type SyncerConfig } from './config/config.ts';
import { InformerFactory, type SharedInformers } from './informer/factory.ts';
import { ApiPassthrough, apiServerAddress } from './kube/api-passthrough.ts';
import type { ClusterClient } from './kube/client.ts';
import { loadKubeConfig } from './kube/kubeconfig.ts';
import { OwningClient } from './kube/owning-client.ts';
import { RestClient } from './kube/rest-client.ts';
import { exportedKubeconfig, exportedToken } from './kubeconfig-export/build.ts';
import { ServiceAccountTokens } from './kubeconfig-export/service-account.ts';
import { KubeconfigExporter } from './kubeconfig-export/exporter.ts';
import { HOST_HEADERS_TIMEOUT_MS, HostStreams } from './kubelet/host-streams.ts';
import { KubeletServer } from './kubelet/server.ts';
import { MetricsApiRegistration } from './metrics-api/registration.ts';
import { MetricsApiServer } from './metrics-api/server.ts';
import { LeaderElector, processIdentity } from './leaderelection/leader-elector.ts';
import { SyncerMetrics } from './metrics/metrics.ts';
import { startHealthServer } from './metrics/server.ts';
import { KindController, type SyncComponent } from './sync/engine.ts';
import { EventRecorder } from './sync/event-recorder.ts';
import { startOnceFilled, type CacheReader } from './sync/start-once-filled.ts';
import type { SyncEnvironment } from './sync/kind.ts';
import { OwnerService } from './sync/owner-service.ts';
import { HostNamespaceProbe } from './kube/host-namespace-probe.ts';
import { StoppableBackoff } from './util/stoppable-backoff.ts';
import { userWithTokenFile } from './kube/token-file-auth.ts';
import { warnOfCollidingNeighbours } from './sync/neighbours.ts';
import { builtinKinds } from './translators/index.ts';
import { realClock, type Clock } from './util/clock.ts';
import type { Logger } from './util/log.ts';

/** Refused write: this replica is not (or no longer) the leader. */
export class NotLeaderError extends Error {
  constructor() {
    super('not the leader: write refused');
    this.name = 'NotLeaderError';
  }
}

/** How often, at most, a refused kubelet client of the virtual API server has its binding looked for. */
const KUBELET_CLIENT_RECHECK_MS = 10_000;
/** How long the kinds wait, at the start, for the CRDs copied from the host to be established. */
const CRD_COPY_WAIT_MS = 30_000;
/** The informer users (see InformerFactory.forUser) of what starts with the kinds but is not one. */
const COREDNS_CONFIG = 'coredns-config';
const METRICS_API = 'metrics-api';

export interface SyncerAppOptions {
  config: SyncerConfig;
  logger: Logger;
  clock?: Clock;
  /** Called when the process must end (leadership lost); the CLI exits non-zero. */
  onFatal(reason: string): void;
}

/** The running syncer: clients, informers, one controller per enabled kind, metrics, leader election. */
export class SyncerApp {
  readonly metrics = new SyncerMetrics({ processMetrics: true });
  readonly components: SyncComponent[];
  readonly informers: InformerFactory;
  private readonly opts: SyncerAppOptions;
  private readonly elector: LeaderElector | undefined;
  private server: Server | undefined;
  private readonly kubelet: KubeletServer | undefined;
  private readonly metricsApi: MetricsApiServer | undefined;
  private readonly apiPassthrough: ApiPassthrough | undefined;
  private readonly metricsApiRegistration: MetricsApiRegistration;
  private readonly owner: OwnerService | undefined;
  /** Whether --host-namespace is there; asked before anything syncs (see waitForHostNamespace). */
  private readonly hostNamespace: HostNamespaceProbe;
  private hostNamespaceMissing = false;
  private readonly kubeconfigExporters: KubeconfigExporter[];
  private readonly corednsBootstrap: MissingObjectCreator | undefined;
  private readonly corednsConfig: CorednsConfigKeeper | undefined;
  private readonly kubeletClientBootstrap: MissingObjectCreator | undefined;
  /** When a refusal of the kubelet client last had its binding looked for (monotonic ms). */
  private kubeletClientCheckedAt = -Infinity;
  private readonly initManifests: InitManifestsApplier | undefined;
  private readonly crdsFromHost: CrdsFromHost | undefined;
  /** Warns of another virtual cluster in the host namespace whose host names can be this one's. */
  private readonly neighbourCheck: () => Promise<unknown>;
  private controllersStarted = false;
  private stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(opts: SyncerAppOptions) {
    this.opts = opts;
    const { config, logger } = opts;
    const clock = opts.clock ?? realClock;
    const hostKubeConfig = loadKubeConfig(config.hostKubeconfig, 'host');
    const virtualKubeConfig = loadKubeConfig(config.virtualKubeconfig, 'virtual');
    const writeGuard = config.leaderElect
      ? () => {
          if (!this.elector?.isLeader()) throw new NotLeaderError();
        }
      : undefined;
    const common = { requestTimeoutMs: config.requestTimeoutMs, metrics: this.metrics, writeGuard, clock };
    const hostRest = new RestClient({
      name: 'host',
      kubeConfig: hostKubeConfig,
      qps: config.hostQps,
      burst: config.hostBurst,
      ...common,
    });
    // Writes that are not the leader's work (the lease; the dry run asking whether the host namespace
    // is there, made before this replica leads): a small client of their own, never write-guarded.
    const unguardedHost = new RestClient({
      name: 'host',
      kubeConfig: hostKubeConfig,
      qps: 5,
      burst: 10,
      requestTimeoutMs: config.requestTimeoutMs,
      clock,
    });
    this.hostNamespace = new HostNamespaceProbe(unguardedHost, config.hostNamespace, clock);
    // Every create of the syncer's in its host namespace goes through this one client (the kinds'
    // copies, host pods, token secrets, the exported kubeconfig): --set-owner decorates it there.
    let host: ClusterClient = hostRest;
    if (config.setOwner) {
      const owner = new OwnerService(hostRest, config.hostNamespace, config.virtualApiService);
      this.owner = owner;
      host = new OwningClient(hostRest, config.hostNamespace, () => owner.reference());
    }
    const virtual = new RestClient({
      name: 'virtual',
      kubeConfig: virtualKubeConfig,
      qps: config.virtualQps,
      burst: config.virtualBurst,
      ...common,
    });
    this.informers = new InformerFactory({ clock, logger, metrics: this.metrics });
    this.neighbourCheck = () =>
      warnOfCollidingNeighbours({
        host: hostRest,
        hostNamespace: config.hostNamespace,
        vcName: config.name,
        logger,
      });
    this.owner?.follow(
      this.informers.get(
        hostRest,
        Resources.services,
        { namespace: config.hostNamespace, fieldSelector: this.owner.fieldSelector },
        // Read with get at the start (see resolve); its watch only follows a re-creation.
        { optional: true },
      ),
      logger,
    );
    const env: SyncEnvironment = {
      vcName: config.name,
      hostNamespace: config.hostNamespace,
      host,
      virtual,
      informers: this.informers,
      events: new EventRecorder({ client: virtual, component: 'vsyncer', clock, logger }),
      clock,
      logger,
      tenantOverridesHostMetadata: config.tenantOverridesHostMetadata,
    };
    const registry = builtinKinds(config.customResources, config.hostGateways);
    let enabled: Set<string>;
    try {
      enabled = registry.enabledKinds(config.sync, config as unknown as Record<string, unknown>);
      registry.checkConflicts(enabled);
    } catch (err) {
      throw new ConfigError('--sync', (err as Error).message);
    }
    const unused = registry.settingWithoutKind(enabled, config as unknown as Record<string, unknown>);
    if (unused) throw new ConfigError(...unused);
    const placement = placementOf(config);
    const kinds = registry.build(enabled, config as unknown as Record<string, unknown>, placement);
    // What the kubelet and metrics API read of pods: the same caches the pods kind reads (one watch
    // each), filled on every replica; made only for those that run.
    const podCaches = (informers: SharedInformers) => ({
      virtual: informers.get(virtual, Resources.pods),
      host: informers.get(host, Resources.pods, managedCopiesScope(placement)),
    });
    if (kubeletPort(config)) {
      this.kubelet = new KubeletServer({
        bindAddress: config.kubeletBindAddress,
        tlsCertFile: config.kubeletTlsCertFile,
        tlsKeyFile: config.kubeletTlsKeyFile,
        clientCaFile: config.kubeletClientCaFile,
        vcName: config.name,
        hostNamespace: config.hostNamespace,
        host,
        // Every replica serves the kubelet API, leader or not: its reviews must not be write-guarded.
        virtual: new RestClient({
          name: 'virtual',
          kubeConfig: virtualKubeConfig,
          qps: 50,
          burst: 100,
          requestTimeoutMs: config.requestTimeoutMs,
          metrics: this.metrics,
          clock,
        }),
        hostStreams: new HostStreams(hostKubeConfig, HOST_HEADERS_TIMEOUT_MS, () => hostRest.paced()),
        // The nodes kind gives out the ports; the server listens on each (the same allocator).
        nodePorts: placement.kubeletEndpoint?.nodePorts,
        podCaches: podCaches(this.informers),
        nodeStats: config.kubeletNodeStats,
        realNodes: config.syncRealNodes,
        logger,
        metrics: this.metrics,
        onRefused: (user) => this.kubeletClientRefused(user),
      });
    }
    if (config.metricsServerProxy)
      this.metricsApi = new MetricsApiServer({
        bindAddress: `127.0.0.1:${config.metricsServerProxyPort}`,
        tlsCertFile: config.kubeletTlsCertFile,
        tlsKeyFile: config.kubeletTlsKeyFile,
        vcName: config.name,
        hostNamespace: config.hostNamespace,
        host,
        virtual,
        // Every replica serves it (its virtual API server calls its own pod); it is registered once
        // these caches are full.
        podCaches: podCaches(this.informers.forUser(METRICS_API)),
        virtualNodes: this.informers.forUser(METRICS_API).get(virtual, Resources.nodes),
        realNodes: config.syncRealNodes,
        logger,
      });
    if (config.apiProxyPort) {
      try {
        this.apiPassthrough = new ApiPassthrough({
          bindAddress: config.apiProxyBindAddress,
          port: config.apiProxyPort,
          target: apiServerAddress(virtualKubeConfig.getCurrentCluster()!.server),
          logger,
        });
      } catch (err) {
        throw new ConfigError(
          '--api-proxy-port',
          `cannot pass through to the server of --virtual-kubeconfig: ${(err as Error).message}`,
        );
      }
    }
    // On or off: off, it removes what an earlier run registered.
    this.metricsApiRegistration = new MetricsApiRegistration({
      virtual,
      port: config.metricsServerProxy ? config.metricsServerProxyPort : undefined,
      vcName: config.name,
      logger,
    });
    // The tenant's kubeconfig: --kubeconfig-secret, and each --kubeconfig-additional-secret.
    const exports: AdditionalKubeconfigSecret[] = [
      ...(config.kubeconfigSecret
        ? [
            {
              name: config.kubeconfigSecret,
              context: config.kubeconfigSecretContext || undefined,
              insecure: config.kubeconfigSecretInsecure,
              serviceAccount: config.kubeconfigSecretServiceAccount || undefined,
              clusterRole: config.kubeconfigSecretServiceAccountClusterRole || undefined,
            },
          ]
        : []),
      ...config.kubeconfigAdditionalSecrets.map(
        (e) => parseAdditionalSecret(e) as AdditionalKubeconfigSecret,
      ),
    ];
    const tokens = new ServiceAccountTokens({ virtual, clock, logger });
    this.kubeconfigExporters = exports.map((target) => {
      const account = exportServiceAccount(target);
      /** When the exported service account token is due for renewal. */
      let renewAt: number | undefined;
      return new KubeconfigExporter({
        host,
        namespace: target.namespace ?? config.hostNamespace,
        name: target.name,
        vcName: config.name,
        data: async (existing) => {
          const token = account ? await tokens.tokenFor(account, exportedToken(existing)) : undefined;
          renewAt = token?.renewAt;
          return exportedKubeconfig({
            vcName: config.name,
            server: target.server ?? config.kubeconfigSecretServer,
            context: target.context,
            insecure: target.insecure,
            cluster: virtualKubeConfig.getCurrentCluster()!,
            user: userWithTokenFile(virtualKubeConfig.getCurrentUser()!),
            ...(token ? { serviceAccountToken: token.token } : {}),
            baseDir: dirname(config.virtualKubeconfig),
            readFile: (path) => readFileSync(path),
          });
        },
        renewAt: () => renewAt,
        clock,
        logger,
      });
    });
    if (config.kubeletBindAddress !== '0' && config.kubeletClientUser) {
      this.kubeletClientBootstrap = new MissingObjectCreator({
        client: virtual,
        what: 'kubelet API access of the virtual API server',
        objects: kubeletClientObjects(config.kubeletClientUser),
        clock,
        logger,
      });
    }
    if (config.corednsImage) {
      // Through the leader-guarded virtual client: it runs only once this replica leads, as every
      // other virtual write does.
      let hostDns: string | undefined;
      try {
        hostDns = resolveHostDns(config.fallbackHostDns);
      } catch (err) {
        throw new ConfigError('--fallback-host-dns', (err as Error).message);
      }
      const corednsBootstrap = new MissingObjectCreator({
        client: virtual,
        what: 'CoreDNS',
        objects: corednsObjects({
          image: config.corednsImage,
          clusterDomain: config.clusterDomain,
          hostDns,
        }),
        clock,
        logger,
      });
      // Its NodeHosts, as k3s's server keeps its own CoreDNS's, and its Corefile's host fallback.
      this.corednsConfig = new CorednsConfigKeeper({
        client: virtual,
        nodes: this.informers.forUser(COREDNS_CONFIG).get(virtual, Resources.nodes),
        clusterDomain: config.clusterDomain,
        hostDns,
        recreateMissing: () =>
          void corednsBootstrap
            .runAgain()
            .catch((err: unknown) => logger.error('creating the missing CoreDNS objects failed', { err })),
        clock,
        logger,
      });
      this.corednsBootstrap = corednsBootstrap;
    }
    if (config.initManifests) {
      try {
        this.initManifests = new InitManifestsApplier({
          virtual,
          host,
          hostNamespace: config.hostNamespace,
          vcName: config.name,
          apiService: config.virtualApiService,
          text: readFileSync(config.initManifests, 'utf8'),
          source: config.initManifests,
          generation: Number(config.initManifestsGeneration || 0),
          clock,
          logger,
        });
      } catch (err) {
        throw new ConfigError('--init-manifests', (err as Error).message);
      }
    }
    // The CRD-served resources the kinds sync or read (Gateway API, CSI snapshots): a virtual cluster
    // without their CRDs gets the host's.
    const crdServed = [...kinds.values()]
      .flatMap((k) => [k.spec.virtualType, ...(k.spec.virtualCrdsRead ?? [])])
      .filter((t) => t.fromCrd);
    if (crdServed.length)
      this.crdsFromHost = new CrdsFromHost({
        host,
        virtual,
        informers: this.informers,
        types: [...new Map(crdServed.map((t) => [`${t.resource}.${t.group}`, t])).values()],
        hostNamespace: config.hostNamespace,
        vcName: config.name,
        clock,
        logger,
      });
    const unreachable = new UnreachableApiLog(logger, clock);
    this.components = [...kinds.values()].map(
      (kind) =>
        new KindController({
          kind,
          kinds,
          // Each kind's own view: it waits for exactly the caches it reads (see startControllers).
          env: { ...env, informers: this.informers.forUser(kind.name) },
          workers: config.workers,
          controllerMetrics: this.metrics,
          queueMetrics: this.metrics,
          latencyMetrics: this.metrics,
          unreachable,
        }),
    );
    if (config.namespacePodSecurityLabel)
      this.components.push(
        new NamespacePodSecurityLabels({
          virtual,
          informers: this.informers.forUser(NAMESPACE_POD_SECURITY),
          level: config.podSecurityStandard as PodSecurityLevel,
          clock,
          logger,
          metrics: this.metrics,
        }),
      );
    if (config.leaderElect) {
      this.elector = new LeaderElector({
        client: unguardedHost,
        namespace: config.hostNamespace,
        leaseName: `vsyncer-${config.name}`,
        identity: processIdentity(config.leaderElectIdentity),
        leaseDurationMs: config.leaderElectLeaseDurationMs,
        renewDeadlineMs: config.leaderElectRenewDeadlineMs,
        retryPeriodMs: config.leaderElectRetryPeriodMs,
        clock,
        logger,
        onStartedLeading: () => {
          this.metrics.leader.set(1);
          void this.startControllers();
        },
        onStoppedLeading: () => {
          this.metrics.leader.set(0);
          opts.onFatal('lost leadership');
        },
      });
    }
    logger.info('syncer configured', {
      kinds: this.components.map((c) => c.kind),
      leaderElect: config.leaderElect,
    });
  }

  /** Starts serving health and metrics, the informers, and (once leading) the controllers. */
  async start(): Promise<void> {
    const { config, logger } = this.opts;
    if (config.metricsBindAddress !== '0') {
      const { server, address } = await startHealthServer({
        bindAddress: config.metricsBindAddress,
        registry: this.metrics.registry,
        notReady: () => this.notReady(),
        logger,
      });
      this.server = server;
      logger.info('serving /metrics, /healthz and /readyz', {
        address: `${address.address}:${address.port}`,
      });
    }
    // Every replica, leader or not, and before the owner is looked for (which may wait): it needs
    // nothing but the virtual API server.
    if (this.apiPassthrough) {
      const address = await this.apiPassthrough.start();
      logger.info('passing TCP connections through to the virtual API server', {
        address: `${address.address}:${address.port}`,
        target: this.apiPassthrough.target,
      });
    }
    await this.waitForHostNamespace();
    // Before anything syncs: no object may be created without its owner, and a missing Service is a
    // configuration error the operator sees at once (the process exits 2).
    if (this.owner) {
      const owner = await this.owner.resolveRetrying({
        clock: this.opts.clock ?? realClock,
        logger,
        stopping: () => this.stopping,
      });
      logger.info('objects created in the host namespace are owned by the virtual API Service', {
        service: owner.name,
        uid: owner.uid,
      });
    }
    if (this.kubelet) {
      const address = await this.kubelet.start();
      logger.info('serving the kubelet API of the virtual nodes', {
        address: `${address.address}:${address.port}`,
        advertised: `${config.kubeletAdvertiseAddress}:${address.port}`,
      });
    }
    if (this.metricsApi) {
      const address = await this.metricsApi.start();
      logger.info("serving the virtual cluster's metrics API from the host's", {
        address: `${address.address}:${address.port}`,
      });
    }
    this.informers.start();
    if (this.elector) this.elector.start();
    else {
      this.metrics.leader.set(1);
      this.startControllers();
    }
  }

  /**
   * Waits, before anything syncs, while the host namespace does not exist (a wrong --host-namespace,
   * or one not made yet): every create there would fail, each told to the tenant as a SyncError. The
   * operator is told instead, and /readyz says so.
   */
  private async waitForHostNamespace(): Promise<void> {
    const { config, logger } = this.opts;
    const backoff = new StoppableBackoff(this.opts.clock ?? realClock, 1_000, 30_000);
    while (!this.stopping && (await this.hostNamespace.state()) === 'missing') {
      if (!this.hostNamespaceMissing)
        logger.error(
          `the host namespace ${config.hostNamespace} does not exist (--host-namespace): nothing is synced until it does; waiting for it`,
        );
      this.hostNamespaceMissing = true;
      await backoff.wait();
    }
    if (this.hostNamespaceMissing) logger.info(`the host namespace ${config.hostNamespace} is there now`);
    this.hostNamespaceMissing = false;
  }

  /** What keeps /readyz from answering ok: every cache not full yet, and what it holds up. */
  notReady(): string[] {
    const waiting = this.informers
      .unfilled()
      .map(
        (u) =>
          `informer ${u.informer} not synced` + (u.heldUp.length ? ` (holds up ${u.heldUp.join(', ')})` : ''),
      );
    if (this.owner && !this.owner.resolvedYet) waiting.unshift('owner Service (--set-owner) not read yet');
    if (this.hostNamespaceMissing)
      waiting.unshift(`host namespace ${this.opts.config.hostNamespace} does not exist (--host-namespace)`);
    return waiting;
  }

  /** True once this replica leads and starts its controllers (each once its own caches are full). */
  get active(): boolean {
    return this.controllersStarted;
  }

  /**
   * Starts, as the leader, each kind (and what else reads caches) once the caches it reads are full
   * (see startOnceFilled): a cache that cannot fill holds up only those that read it.
   */
  private startControllers(): void {
    if (this.stopping || this.controllersStarted) return;
    this.controllersStarted = true;
    const { logger } = this.opts;
    const start = (reader: CacheReader, after?: Promise<void>) =>
      void startOnceFilled(reader, this.informers, { after, stopping: () => this.stopping, logger });
    // CRDs the virtual cluster lacks come first (for a while at most): kinds that start before them
    // would fail their first writes and retry with backoff.
    const crdsCopied = this.crdsFromHost
      ? settlesWithin(this.crdsFromHost.start(), CRD_COPY_WAIT_MS).then((settled) => {
          if (!settled)
            logger.warn('CRDs copied from the host are not established yet; starting the kinds anyway');
        })
      : undefined;
    for (const component of this.components) start(component, crdsCopied);
    // Only now, as the leader (this replica writes), and never in the way of the syncing; these read
    // no cache, so no kind's caches hold them up.
    for (const exporter of this.kubeconfigExporters) void exporter.start();
    void this.neighbourCheck();
    void this.corednsBootstrap?.start();
    const corednsConfig = this.corednsConfig;
    if (corednsConfig) start({ kind: COREDNS_CONFIG, start: () => corednsConfig.start() });
    void this.kubeletClientBootstrap?.start();
    void this.initManifests?.start();
    // Registered once the caches the metrics API answers from are full (or, turned off, removed).
    start({ kind: METRICS_API, start: () => this.metricsApiRegistration.start() });
  }

  /**
   * The virtual API server's kubelet client refused by the virtual cluster's RBAC: its binding was
   * deleted (a tenant admin, a GitOps prune). The leader makes it again, looking at most every
   * KUBELET_CLIENT_RECHECK_MS, so that `kubectl logs` and `exec` work again without a restart; an
   * idle syncer does not poll for it.
   */
  private kubeletClientRefused(user: string): void {
    if (user !== this.opts.config.kubeletClientUser || !this.controllersStarted || this.stopping) return;
    const now = (this.opts.clock ?? realClock).monotonicNow();
    if (now - this.kubeletClientCheckedAt < KUBELET_CLIENT_RECHECK_MS) return;
    this.kubeletClientCheckedAt = now;
    void this.kubeletClientBootstrap
      ?.runAgain()
      .catch((err: unknown) =>
        this.opts.logger.error('creating the kubelet API access of the virtual API server failed', { err }),
      );
  }

  /** Stops new work, lets in-flight reconciles finish within the shutdown timeout, releases the lease. */
  stop(): Promise<void> {
    // Every caller (a signal, then a fatal error during the drain) waits for the one shutdown.
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    const { logger, config } = this.opts;
    for (const exporter of this.kubeconfigExporters) exporter.stop();
    this.corednsBootstrap?.stop();
    this.corednsConfig?.stop();
    this.kubeletClientBootstrap?.stop();
    this.initManifests?.stop();
    this.metricsApiRegistration.stop();
    this.crdsFromHost?.stop();
    const deadline = Date.now() + config.shutdownTimeoutMs;
    const finished = await Promise.all(this.components.map((c) => c.stop(config.shutdownTimeoutMs)));
    if (finished.some((ok) => !ok)) logger.warn('some reconciles did not finish before the shutdown timeout');
    // Releasing the lease and closing watches talk to the API servers, which may hang: the shutdown
    // timeout bounds the whole shutdown, not only the drain, so the process always exits in time.
    const rest = (async () => {
      await this.elector?.stop();
      await this.kubelet?.stop();
      await this.metricsApi?.stop();
      await this.apiPassthrough?.stop();
      await this.informers.stop();
      await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    })();
    if (!(await settlesWithin(rest, deadline - Date.now())))
      logger.warn(
        'shutdown timeout reached before the lease was released and watches closed; exiting anyway',
      );
    logger.info('stopped');
  }
}

/** True when the promise settles within ms (a rejection counts as settled; it is logged by its owner). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>(
    (resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))),
  );
  const settled = promise.then(
    () => true as const,
    () => true as const,
  );
  const result = await Promise.race([settled, timedOut]);
  clearTimeout(timer);
  return result;
}
