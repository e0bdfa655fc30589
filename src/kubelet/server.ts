import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { TLSSocket } from 'node:tls';
import { readFlagFile } from '../config/flag-file.ts';
import type { Informer } from '../informer/informer.ts';
import type { ClusterClient } from '../kube/client.ts';
import type { KubeObject } from '../kube/object.ts';
import { resourcePath, Resources } from '../kube/resources.ts';
import { splitBindAddress } from '../metrics/server.ts';
import { scrubHostNames } from '../sync/scrub.ts';
import { realClock, type Clock } from '../util/clock.ts';
import { listenOn } from '../util/listen.ts';
import type { Logger } from '../util/log.ts';
import { TokenBucket } from '../util/token-bucket.ts';
import {
  identityOf,
  NodeAccessReviewer,
  spend,
  TokenAuthenticator,
  type CertIdentity,
  type NodeAccess,
} from './authorize.ts';
import { HostHeadersTimeout, HostStreams, splice, upgradeHeadersOf, writeHead } from './host-streams.ts';
import type { NodePorts } from './node-ports.ts';
import { keptThroughLines, type LineView } from './line-stream.ts';
import {
  cadvisorMetricLines,
  probeMetricLines,
  resourceMetricLines,
  summaryForTenant,
  type NodeUse,
  type OwnedPods,
} from './node-stats.ts';
import { NodeStatsReads } from './node-stats-reads.ts';
import { podListKindOf, podsOnNode, runningPods, type PodListKind } from './pod-lists.ts';
import {
  isStillTarget,
  ownedAmong,
  ownedHostPods,
  placedOn,
  POD_LOOKUP_BUDGET,
  readVirtualPod,
  resolvePodTarget,
  type PodTarget,
  type VirtualPodLookup,
} from './pod-target.ts';
import {
  HOST_SUBRESOURCE,
  nodeSubresourceOf,
  parseKubeletRoute,
  parseRequestUrl,
  RouteError,
  verbOf,
  type KubeletRoute,
} from './routes.ts';
import { closeSilentConnections, HANDSHAKE_TIMEOUT_MS, MAX_CONNECTIONS } from './silent-connections.ts';
import { StreamLimit } from './stream-limit.ts';
import { UpgradedSockets } from './upgraded-sockets.ts';

export interface KubeletServerOptions {
  bindAddress: string;
  tlsCertFile: string;
  tlsKeyFile: string;
  /** CA of the client certificate the virtual API server presents to kubelets. */
  clientCaFile: string;
  vcName: string;
  hostNamespace: string;
  host: ClusterClient;
  /** Reads pods and reviews access; must not be the leader-guarded client (every replica serves). */
  virtual: ClusterClient;
  hostStreams: HostStreams;
  logger: Logger;
  metrics?: { kubeletRequest(action: string, code: number): void };
  /** One port per virtual node, also listened on; the port tells which node a request is for. */
  nodePorts?: NodePorts;
  /**
   * Serve `/stats/summary` and the `/metrics/*` of NODE_ENDPOINTS from the host node's (needs
   * nodePorts, podCaches and host nodes/proxy).
   */
  nodeStats?: boolean;
  /** The virtual nodes are copies of the host's (--sync-real-nodes): their own figures are shown. */
  realNodes?: boolean;
  /**
   * The virtual pods and this virtual cluster's host pods, cached: `/pods` and `/runningpods` (which
   * agents poll on every node) are answered from them once filled, instead of two lists each; node
   * statistics only from them.
   */
  podCaches?: { virtual: Informer<KubeObject>; host: Informer<KubeObject> };
  /** The budgets' and shared reads' time (tests); the real clock otherwise. */
  clock?: Clock;
  /**
   * Told the user of every caller the virtual cluster's RBAC refused: the virtual API server's own
   * identity refused means the binding that allows it is gone (see bootstrap/kubelet-client.ts).
   */
  onRefused?: (user: string) => void;
}

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4';

/** A node-level endpoint: its authorization subresource, the host kubelet's path, the tenant's view. */
interface NodeEndpoint {
  action: 'stats' | 'metrics';
  hostPath: string;
  contentType: string;
  /**
   * The tenant's view: of the whole answer (a JSON summary, read whole), or line by line (Prometheus
   * text, read through as it arrives, since cAdvisor's answer grows with the node's pods: only what the
   * tenant may see is held, to be shared).
   */
  forTenant:
    | { whole(body: string, owned: OwnedPods, nodeUse: NodeUse): string }
    | { lines(owned: OwnedPods, nodeUse: NodeUse): LineView };
}

/** The node-level endpoints served (with nodeStats), by path: each reads the host kubelet's. */
const NODE_ENDPOINTS: Record<string, NodeEndpoint> = {
  '/stats/summary': {
    action: 'stats',
    hostPath: 'stats/summary',
    contentType: 'application/json',
    forTenant: {
      whole: (body, owned, nodeUse) => JSON.stringify(summaryForTenant(JSON.parse(body), owned, nodeUse)),
    },
  },
  '/metrics/resource': {
    action: 'metrics',
    hostPath: 'metrics/resource',
    contentType: PROMETHEUS_TEXT,
    forTenant: { lines: resourceMetricLines },
  },
  '/metrics/cadvisor': {
    action: 'metrics',
    hostPath: 'metrics/cadvisor',
    contentType: PROMETHEUS_TEXT,
    forTenant: { lines: cadvisorMetricLines },
  },
  '/metrics/probes': {
    action: 'metrics',
    hostPath: 'metrics/probes',
    contentType: PROMETHEUS_TEXT,
    forTenant: { lines: probeMetricLines },
  },
};

/** A request that passed authentication, authorization and the pod lookup. */
interface Admitted {
  route: KubeletRoute;
  target: PodTarget;
  who: CertIdentity;
}

/**
 * The kubelet API of the virtual cluster's nodes. The virtual API server calls it for `kubectl logs`,
 * `exec`, `attach`, `port-forward` (and so `cp`); each call is mapped to the host pod's subresource
 * and streamed through the host API with the syncer's credentials. Only a caller with a client
 * certificate of the configured CA (or a token the virtual API server accepts), allowed `nodes/proxy`
 * by the virtual cluster, reaches anything but `/healthz`, and only pods of this virtual cluster exist
 * here: `/pods` and `/runningpods` list those, a pod it does not have is forbidden.
 */
export class KubeletServer {
  private readonly opts: KubeletServerOptions;
  private readonly reviewer: NodeAccessReviewer;
  private readonly tokens: TokenAuthenticator;
  private readonly podLookups: TokenBucket;
  private readonly statsReads: NodeStatsReads;
  private server: Server | undefined;
  private readonly nodeServers: Server[] = [];
  /** Host streams open now (log follows and upgraded sessions), held to a maximum. */
  private readonly streams = new StreamLimit();
  /** Callers' upgraded sockets and the host sockets spliced to them, which stop() must close itself. */
  private readonly upgraded = new UpgradedSockets();
  private tls: { cert: Buffer; key: Buffer; ca: Buffer } | undefined;

  constructor(opts: KubeletServerOptions) {
    this.opts = opts;
    const clock = opts.clock ?? realClock;
    this.reviewer = new NodeAccessReviewer(opts.virtual, clock);
    this.tokens = new TokenAuthenticator(opts.virtual, clock);
    this.podLookups = new TokenBucket(POD_LOOKUP_BUDGET.qps, POD_LOOKUP_BUDGET.burst, clock);
    this.statsReads = new NodeStatsReads(clock);
  }

  /** Listens; resolves with the bound address. Bad files or a taken port reject with the flag named. */
  async start(): Promise<AddressInfo> {
    this.tls = {
      cert: readFlagFile('kubelet-tls-cert-file', this.opts.tlsCertFile),
      key: readFlagFile('kubelet-tls-key-file', this.opts.tlsKeyFile),
      ca: readFlagFile('kubelet-client-ca-file', this.opts.clientCaFile),
    };
    const { host, port } = splitBindAddress(this.opts.bindAddress);
    this.server = await this.listen(host, port, '--kubelet-bind-address');
    const nodePorts = this.opts.nodePorts;
    if (nodePorts) {
      // Ports are given out as the nodes kind meets nodes; each is listened on from then on.
      nodePorts.serveWith((p) =>
        this.listen(host, p, '--kubelet-node-ports').then(
          (server) => void this.nodeServers.push(server),
          (err: Error) => {
            this.opts.logger.error("cannot serve a node's kubelet port; the node gets another", {
              port: p,
              error: err.message,
            });
            throw err;
          },
        ),
      );
    }
    return this.server.address() as AddressInfo;
  }

  /** One TLS listener; every listener serves the same API (the port only names the node). */
  private async listen(host: string | undefined, port: number, flag: string): Promise<Server> {
    const server = createServer({
      ...this.tls!,
      requestCert: true,
      // Unverified clients are answered 401 with a reason, instead of a bare TLS failure.
      rejectUnauthorized: false,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    });
    // Every tenant pod can reach this port: connections that never send a request are closed.
    closeSilentConnections(server);
    server.maxConnections = MAX_CONNECTIONS;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.onRequest(req, res));
    server.on(
      'upgrade',
      (req: IncomingMessage, socket: Socket, head: Buffer) => void this.onUpgrade(req, socket, head),
    );
    server.on('tlsClientError', (err) =>
      this.opts.logger.debug('kubelet endpoint: TLS handshake failed', { error: err.message }),
    );
    await listenOn(
      server,
      port,
      host,
      (err) => new Error(`cannot listen on ${flag} ${host ?? ''}:${port}: ${err.code ?? err.message}`),
      this.opts.logger,
      'kubelet endpoint',
    );
    return server;
  }

  /** Stops listening and closes every connection, open sessions included, on every port. */
  async stop(): Promise<void> {
    const servers = [...(this.server ? [this.server] : []), ...this.nodeServers.splice(0)];
    this.server = undefined;
    this.upgraded.destroyAll();
    await Promise.all(
      servers.map((server) => {
        server.closeAllConnections();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      }),
    );
  }

  /** Who the verified client certificate names; throws RouteError 401 otherwise. */
  private async authenticate(req: IncomingMessage): Promise<CertIdentity> {
    const socket = req.socket as TLSSocket;
    const cert = socket.getPeerCertificate?.();
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    // As a kubelet does: a verified client certificate, else a bearer token the virtual API server
    // vouches for (a TokenReview), e.g. a metrics-server's service account.
    if ((!cert || !cert.subject) && bearer) {
      const who = await this.tokens.review(bearer, req.socket.remoteAddress);
      if (!who) throw new RouteError(401, 'the bearer token was not accepted by the virtual API server');
      return who;
    }
    if (!cert || !cert.subject)
      throw new RouteError(401, 'a client certificate or a bearer token is required');
    if (!socket.authorized)
      throw new RouteError(
        401,
        `client certificate not accepted: ${String(socket.authorizationError ?? 'unknown CA')}`,
      );
    const who = identityOf(cert.subject as unknown as Record<string, string | string[]>);
    if (!who) throw new RouteError(401, 'client certificate has no common name');
    return who;
  }

  /**
   * Authenticates, authorizes and resolves the pod; throws RouteError with the status to answer. The
   * access review comes before anything is said about the pod, so a caller who may not use the node
   * (any pod's service account, say) learns nothing of which pods or containers exist.
   */
  private async admit(req: IncomingMessage): Promise<Admitted> {
    const who = await this.authenticate(req);
    const route = parseKubeletRoute(req.url ?? '/');
    const access = (pod: KubeObject | undefined): NodeAccess => ({
      // exec, attach and port-forward run commands or open ports in the pod, whatever the method
      // (a WebSocket upgrade is a GET): `create`, never the `get` a read-only role holds.
      verb: route.action === 'logs' ? verbOf(req.method ?? 'GET') : 'create',
      subresource: nodeSubresourceOf(parseRequestUrl(req.url ?? '/').pathname),
      // The pod's node, as a real kubelet is that node; without a pod, every node (fails closed).
      node: (pod?.spec as { nodeName?: string } | undefined)?.nodeName,
    });
    const virtualPod = await this.authorizedVirtualPod(who, route, access);
    // The host copy's read is paid for by the lookup that read the virtual pod.
    const target = await resolvePodTarget(this.opts, this.opts, virtualPod, route);
    // What the virtual API server itself checks before it proxies (`container X is not valid for pod`),
    // checked again here, since a node proxy or a direct call skips it.
    if ('container' in route && !target.containers.has(route.container))
      throw new RouteError(
        403,
        `container ${route.container} is not valid for pod ${route.namespace}/${route.pod}`,
      );
    return { route, target, who };
  }

  /**
   * The virtual pod a request names, read fresh (a cache could hand out one just replaced), once the
   * caller is allowed its node. Once the pod cache is filled, the caller is authorized before anything
   * is read: for the pod's node when the cache has the pod, else for every node (fails closed), so a
   * caller who may not use the node, sending names that do not exist, costs a cached review and no read.
   * Before that, the pod's node is not known without reading the pod, which is never done for a caller
   * not yet authorized: only a caller allowed every node (the virtual API server's own) is served, others
   * are told to come back once the syncer has read the pods (503, a few seconds at start).
   */
  private async authorizedVirtualPod(
    who: CertIdentity,
    route: KubeletRoute,
    access: (pod: KubeObject | undefined) => NodeAccess,
  ): Promise<KubeObject | undefined> {
    const lookup = this.virtualPodLookup();
    if (!lookup) {
      if (!(await this.reviewer.allowed(who, access(undefined))))
        throw new RouteError(
          503,
          "a caller allowed only some nodes is served once the syncer has read the virtual cluster's pods (it is starting); try again in a few seconds",
        );
      return this.lookUpVirtualPod(route);
    }
    const first = access(lookup(route.namespace, route.pod));
    await this.authorize(who, first);
    const pod = await this.lookUpVirtualPod(route);
    // Replaced since on another node: that node is the one to be allowed (a caller allowed every node
    // needs no other review).
    const fresh = access(pod);
    if (first.node !== undefined && fresh.node !== first.node) await this.authorize(who, fresh);
    return pod;
  }

  /** Reads the virtual pod within the pod lookup budget (POD_LOOKUP_BUDGET): 429 once it is spent. */
  private lookUpVirtualPod(route: KubeletRoute): Promise<KubeObject | undefined> {
    spend(this.podLookups, 'too many pod lookups');
    return readVirtualPod(this.opts.virtual, route.namespace, route.pod);
  }

  /** As a kubelet authorizes: a verb on a node subresource, reviewed by the virtual cluster; 403 otherwise. */
  private async authorize(who: CertIdentity, access: NodeAccess): Promise<void> {
    if (await this.reviewer.allowed(who, access)) return;
    this.opts.onRefused?.(who.user);
    throw new RouteError(403, `${who.user} may not ${access.verb} nodes/${access.subresource}`);
  }

  /** Whether the host pod is still the proven copy (isStillTarget); false too when it cannot be read. */
  private async stillTarget(admitted: Admitted): Promise<boolean> {
    try {
      return await isStillTarget(this.opts, admitted.target);
    } catch (err) {
      this.failure(err);
      return false;
    }
  }

  private hostPath(admitted: Admitted): string {
    const { target, route } = admitted;
    return resourcePath(Resources.pods, target.hostNamespace, target.hostPod, HOST_SUBRESOURCE[route.action]);
  }

  private record(
    action: string,
    code: number,
    who: CertIdentity | undefined,
    detail: Record<string, unknown> = {},
  ) {
    this.opts.metrics?.kubeletRequest(action, code);
    this.opts.logger.debug('kubelet endpoint request', { action, code, user: who?.user, ...detail });
  }

  /** Plain requests: logs are streamed; the other actions need a protocol upgrade. */
  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let path: string;
    try {
      path = parseRequestUrl(req.url ?? '/').pathname;
    } catch (err) {
      const { status, message } = this.asRouteError(err);
      return this.answer(res, status, message, 'unknown', undefined);
    }
    // As a kubelet's, and so that a pod may probe its node by name: says nothing but that it answers.
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('ok');
      this.record('healthz', 200, undefined);
      return;
    }
    const podList = podListKindOf(path);
    if (podList) return this.servePodList(req, res, podList);
    const endpoint = Object.hasOwn(NODE_ENDPOINTS, path) ? NODE_ENDPOINTS[path] : undefined;
    if (endpoint) return this.serveNodeStats(req, res, endpoint);
    let admitted: Admitted | undefined;
    try {
      admitted = await this.admit(req);
      if (admitted.route.action !== 'logs')
        throw new RouteError(400, `${admitted.route.action} needs a connection upgrade (SPDY or WebSocket)`);
      // The caller left while it was admitted: no stream is opened on the host for nobody.
      if (!this.streams.hold(res, admitted.route.namespace)) return;
      const upstream = await this.opts.hostStreams.open(
        'GET',
        this.hostPath(admitted),
        admitted.route.hostQuery,
        {},
      );
      if (res.destroyed) return void upstream.destroy();
      upstream.on('response', (hostRes: IncomingMessage) => {
        const status = hostRes.statusCode ?? 502;
        const recordAnswer = () =>
          this.record('logs', status, admitted?.who, {
            pod: `${admitted!.route.namespace}/${admitted!.route.pod}`,
          });
        if (status >= 300) {
          recordAnswer();
          // The host API wraps the kubelet's text in a Status, which the virtual API server would show
          // whole: its message alone is passed on, as a kubelet answers.
          void this.refusalForCaller(hostRes).then(
            (refusal) => {
              const message = statusMessageOf(refusal.body);
              res.writeHead(refusal.status, {
                'content-type': message === undefined ? refusal.contentType : 'text/plain',
              });
              res.end(message ?? refusal.body);
            },
            () => res.destroy(),
          );
          return;
        }
        // Nothing of the log reaches the caller before the pod is proven the one the request was for.
        hostRes.pause();
        void this.stillTarget(admitted!).then((same) => {
          if (res.destroyed) return void hostRes.destroy();
          if (!same) {
            hostRes.destroy();
            return this.answer(res, 404, replacedMessage(admitted!), 'logs', admitted?.who);
          }
          recordAnswer();
          res.writeHead(status, { 'content-type': hostRes.headers['content-type'] ?? 'text/plain' });
          // A host stream that breaks ends the caller's too (a follow would otherwise hang open).
          pipeline(hostRes, res).catch(() => res.destroy());
        });
      });
      upstream.on('error', (err: Error) => {
        if (res.headersSent) return void res.destroy();
        const { status, message } = this.asRouteError(err);
        this.answer(res, status, message, 'logs', admitted?.who);
      });
      // A follow ends when the client goes: stop reading the host's stream too.
      res.on('close', () => upstream.destroy());
      upstream.end();
    } catch (err) {
      const { status, message } = this.asRouteError(err);
      this.answer(res, status, message, admitted?.route.action ?? 'unknown', admitted?.who);
    }
  }

  /** Upgrade requests (exec, attach, port-forward): the host's switched connection is spliced to the caller's. */
  private async onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    let admitted: Admitted | undefined;
    const refuse = (status: number, message: string) => {
      this.record(admitted?.route.action ?? 'unknown', status, admitted?.who, { error: message });
      endWith(socket, status, 'text/plain', `${message}\n`);
    };
    socket.on('error', () => socket.destroy());
    this.upgraded.track(socket);
    try {
      admitted = await this.admit(req);
      if (admitted.route.action === 'logs')
        throw new RouteError(400, 'logs are not served over an upgraded connection');
      // The caller left while it was admitted: no session is opened on the host for nobody.
      if (!this.streams.hold(socket, admitted.route.namespace)) return;
      const upstream = await this.opts.hostStreams.open(
        req.method ?? 'POST',
        this.hostPath(admitted),
        admitted.route.hostQuery,
        upgradeHeadersOf(req.rawHeaders),
      );
      // Or while the host's connection was made: it is not sent.
      if (socket.destroyed) return void upstream.destroy();
      const action = admitted.route.action;
      upstream.on('upgrade', (hostRes: IncomingMessage, hostSocket: Socket, hostHead: Buffer) => {
        // The caller left while the host switched: its session must not stay open on the host.
        if (socket.destroyed) return void hostSocket.destroy();
        this.upgraded.track(hostSocket);
        // Node hands the switched socket over without its own error listener, and splice adds one
        // only after the check below: a reset meanwhile would otherwise be an uncaught error.
        hostSocket.on('error', () => hostSocket.destroy());
        // Spliced only once the pod is proven the one the request was for (the host's bytes wait).
        void this.stillTarget(admitted!).then((same) => {
          if (socket.destroyed) return void hostSocket.destroy();
          if (hostSocket.destroyed) return refuse(502, 'the host closed the session before it began');
          if (!same) {
            hostSocket.destroy();
            return refuse(404, replacedMessage(admitted!));
          }
          writeHead(socket, hostRes);
          splice(socket, head, hostSocket, hostHead);
          this.record(action, 101, admitted?.who, {
            pod: `${admitted!.route.namespace}/${admitted!.route.pod}`,
          });
        });
      });
      upstream.on('response', (hostRes: IncomingMessage) => {
        // The host refused the upgrade (pod not running, container missing): as a whole answer (its
        // body arrives de-chunked, so its own head would lie).
        this.record(action, hostRes.statusCode ?? 502, admitted?.who);
        void this.refusalForCaller(hostRes).then(
          ({ status, body, contentType }) => endWith(socket, status, contentType, body),
          () => socket.destroy(),
        );
      });
      upstream.on('error', (err: Error) => {
        const { status, message } = this.asRouteError(err);
        refuse(status, message);
      });
      socket.on('close', () => upstream.destroy());
      upstream.end();
    } catch (err) {
      const { status, message } = this.asRouteError(err);
      refuse(status, message);
    }
  }

  /**
   * `/pods` or `/runningpods`: the virtual pods of the node this port was given to (of every node on
   * the bind port, which names none) that run on the host. Authorized as a kubelet authorizes them
   * (`nodes/proxy`).
   */
  private async servePodList(req: IncomingMessage, res: ServerResponse, kind: PodListKind) {
    let who: CertIdentity | undefined;
    try {
      who = await this.authenticate(req);
      const node = this.opts.nodePorts?.nodeAt(req.socket.localPort ?? 0);
      const access = { verb: verbOf(req.method ?? 'GET'), subresource: 'proxy', node };
      await this.authorize(who, access);
      const caches = this.opts.podCaches;
      const [virtualPods, owned] =
        caches?.virtual.hasSynced() && caches.host.hasSynced()
          ? [caches.virtual.store.list(), ownedAmong(caches.host.store.list(), this.opts)]
          : await Promise.all([
              this.opts.virtual
                .list(Resources.pods, '', node ? { fieldSelector: `spec.nodeName=${node}` } : {})
                .then((l) => l.items),
              ownedHostPods(this.opts, this.opts),
            ]);
      const pods = podsOnNode(virtualPods, owned, node);
      const body = JSON.stringify(kind === 'pods' ? pods : runningPods(pods));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
      this.record(kind, 200, who, { node });
    } catch (err) {
      const { status, message } = this.asRouteError(err);
      this.answer(res, status, message, kind, who);
    }
  }

  /** Virtual pods from the cache, once it is filled (undefined before: containers are not told apart). */
  private virtualPodLookup(): VirtualPodLookup | undefined {
    const pods = this.opts.podCaches?.virtual;
    if (!pods?.hasSynced()) return undefined;
    return (namespace, name) => pods.store.get(`${namespace}/${name}`);
  }

  /**
   * A node-level endpoint (NODE_ENDPOINTS) of the node this port was given to: the host node's, read
   * through the host API's node proxy, with only this virtual cluster's pods, renamed.
   */
  private async serveNodeStats(req: IncomingMessage, res: ServerResponse, endpoint: NodeEndpoint) {
    const { action } = endpoint;
    let who: CertIdentity | undefined;
    try {
      who = await this.authenticate(req);
      if (!this.opts.nodeStats)
        throw new RouteError(404, 'node statistics are not served (--kubelet-node-stats is off)');
      const node = this.opts.nodePorts?.nodeAt(req.socket.localPort ?? 0);
      if (!node) throw new RouteError(404, "node statistics are served on each node's own port only");
      const access = { verb: verbOf(req.method ?? 'GET'), subresource: action, node };
      await this.authorize(who, access);
      const body = await this.nodeStatsFor(node, endpoint);
      res.writeHead(200, { 'content-type': endpoint.contentType });
      res.end(body);
      this.record(action, 200, who, { node });
    } catch (err) {
      const { status, message } = this.asRouteError(err);
      this.answer(res, status, message, action, who);
    }
  }

  /**
   * The tenant's view of a node endpoint, one read shared by the callers of a few seconds
   * (NodeStatsReads). Only where the host placed one of this virtual cluster's pods: a tenant naming
   * a node (a pod's spec.nodeName shows a fake node of that name) learns nothing of it.
   */
  private nodeStatsFor(node: string, endpoint: NodeEndpoint): Promise<string> {
    const owned = this.ownedOnNode(node);
    if (owned.size === 0) throw new RouteError(404, `no pod of this virtual cluster runs on node ${node}`);
    return this.statsReads.get(node, endpoint.hostPath, () => this.readNodeStats(node, endpoint, owned));
  }

  /**
   * This virtual cluster's host pods on `node`, from the pod caches, each with the tenant's containers.
   * 503 until both caches have synced: before, a host webhook's sidecar could not be told from the
   * tenant's containers, and every scrape would list the host's pods.
   */
  private ownedOnNode(node: string): OwnedPods {
    const caches = this.opts.podCaches;
    if (!caches?.virtual.hasSynced() || !caches.host.hasSynced())
      throw new RouteError(
        503,
        'node statistics are served once the syncer has read the pods of both clusters (it is starting); try again in a few seconds',
      );
    const lookup: VirtualPodLookup = (namespace, name) => caches.virtual.store.get(`${namespace}/${name}`);
    return ownedAmong(placedOn(caches.host.store.list(), node), this.opts, lookup);
  }

  /** Reads a node endpoint from the host's node proxy, as the tenant may see it (see NodeEndpoint.forTenant). */
  private async readNodeStats(node: string, endpoint: NodeEndpoint, owned: OwnedPods): Promise<string> {
    const hostPath = `${resourcePath(Resources.nodes, '', node)}/proxy/${endpoint.hostPath}`;
    const view = endpoint.forTenant;
    // A fake node shows nothing of the host node: its use is its tenant's pods' (see NodeUse).
    const nodeUse: NodeUse = this.opts.realNodes ? 'host' : 'own-pods';
    if ('whole' in view) return view.whole(await this.opts.hostStreams.read(hostPath), owned, nodeUse);
    const answer = await this.opts.hostStreams.get(hostPath);
    return keptThroughLines(answer, view.lines(owned, nodeUse), MAX_TENANT_VIEW_BYTES);
  }

  private answer(
    res: ServerResponse,
    status: number,
    message: string,
    action: string,
    who: CertIdentity | undefined,
  ) {
    this.record(action, status, who, { error: message });
    // Cut off mid-stream (the host's answer broke, or the caller left): the caller sees it cut short.
    if (res.headersSent) return void res.destroy();
    // A caller without a credential gets no keep-alive: repeating requests on one connection, it
    // could otherwise hold connections (MAX_CONNECTIONS in all) without ever proving who it is.
    if (status === 401) res.setHeader('connection', 'close');
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(message + '\n');
  }

  /**
   * What the caller is told of a failure that is not its request's (an API server unreachable, a
   * host answer that could not be read): the clusters' own words name host addresses, the host
   * namespace and the syncer's host identity, so they go to the syncer's log, not to the tenant.
   */
  private failure(err: unknown): string {
    this.opts.logger.warn('kubelet endpoint: the request failed', { error: (err as Error).message });
    return "this request could not be served (the syncer's log has the cause)";
  }

  private asRouteError(err: unknown): { status: number; message: string } {
    if (err instanceof RouteError) return { status: err.status, message: err.message };
    // A scraper that hung up mid-stream: nothing failed, and nobody is left to tell.
    if ((err as NodeJS.ErrnoException)?.code === 'ERR_STREAM_PREMATURE_CLOSE')
      return { status: 499, message: 'the caller left' };
    // Says only that the host was slow (no host name): the caller may try again.
    if (err instanceof HostHeadersTimeout) {
      this.opts.logger.warn('kubelet endpoint: the host API did not answer in time', { error: err.message });
      return { status: 504, message: err.message };
    }
    return { status: 502, message: this.failure(err) };
  }

  /**
   * A host refusal (a non-2xx answer, read up to 64 KiB) as the caller may read it: a 4xx is about the
   * request (a container still waiting, no previous container) and passes with host names scrubbed;
   * a 5xx is the host's failure (a node proxy's dial error names node addresses), logged, the caller
   * told only that it failed, but for the kubelet's word that the container is not there (yet): a 500
   * too, about the tenant's own container, which tells it to wait or look at the container's state.
   * A 401 or 403 is logged and not told either: it is about the syncer's own host credentials, and
   * its text names the syncer's host identity and what the host's RBAC lacks.
   */
  private async refusalForCaller(
    hostRes: IncomingMessage,
  ): Promise<{ status: number; body: string; contentType: string }> {
    const status = hostRes.statusCode ?? 502;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of hostRes as AsyncIterable<Buffer>) {
      if (size >= MAX_REFUSAL_BYTES) continue;
      chunks.push(chunk);
      size += chunk.length;
    }
    const text = Buffer.concat(chunks).subarray(0, MAX_REFUSAL_BYTES).toString('utf8');
    if (status >= 500 && isContainerState(statusMessageOf(text) ?? text))
      return {
        status,
        body: scrubHostNames(text, this.opts),
        contentType: hostRes.headers['content-type'] ?? 'text/plain',
      };
    if (
      status >= 500 ||
      status === 401 ||
      (status === 403 && deniesTheSyncersOwnRights(statusMessageOf(text) ?? text))
    )
      return {
        status: 502,
        body: this.failure(new Error(`host API answered ${status}: ${text.slice(0, 1000)}`)),
        contentType: 'text/plain',
      };
    return {
      status,
      body: scrubHostNames(text, this.opts),
      contentType: hostRes.headers['content-type'] ?? 'text/plain',
    };
  }
}

const MAX_REFUSAL_BYTES = 64 * 1024;

/**
 * The kubelet's answers, as 500s, to a session for a container that is not running (created a moment
 * ago, crash-looping, finished): `container not found ("app")` for exec, `container app not found in
 * pod <pod>_<namespace>` for attach, `pod not found ("<pod>_<namespace>")`. Nothing but names in them.
 */
const KUBELET_CONTAINER_STATES = [
  /^container not found \("[A-Za-z0-9._-]*"\)$/,
  /^container [A-Za-z0-9._-]+ not found in pod [A-Za-z0-9._-]+$/,
  /^pod not found \("[A-Za-z0-9._-]*"\)$/,
];
const isContainerState = (message: string) =>
  KUBELET_CONTAINER_STATES.some((state) => state.test(message.trim()));

/**
 * Whether a host 403 is RBAC refusing the syncer's own identity (`User "..." cannot create resource
 * "pods/exec"`), which concerns its credentials and names its host user and rules, rather than a
 * host policy refusing the request itself (an admission webhook's reason, which the tenant may read).
 */
function deniesTheSyncersOwnRights(text: string): boolean {
  return /\bUser "[^"]*" cannot /.test(text);
}
/** What one node's Prometheus text may hold of the tenant's series (the host's whole answer is not held). */
const MAX_TENANT_VIEW_BYTES = 16 * 1024 * 1024;

/**
 * How long a refused upgrade's connection stays open after its answer, for the caller to read it and
 * close. The server only ends its own side: a caller that keeps its side open would otherwise hold the
 * socket, and one of MAX_CONNECTIONS, for ever, as no HTTP timeout applies to a connection that has
 * left HTTP parsing (anyone who reaches the port could fill them without a credential).
 */
export const REFUSED_UPGRADE_CLOSE_MS = 2_000;

/** What a caller is told when the host pod was replaced while its request was made (see isStillTarget). */
function replacedMessage(admitted: Admitted): string {
  return `pod ${admitted.route.namespace}/${admitted.route.pod} was replaced on the host while the request was made; try again`;
}

/** Answers a caller whose connection left HTTP parsing (an upgrade request) with a whole response, then closes it. */
function endWith(socket: Socket, status: number, contentType: string, body: string): void {
  const close = setTimeout(() => socket.destroy(), REFUSED_UPGRADE_CLOSE_MS);
  close.unref();
  socket.once('close', () => clearTimeout(close));
  socket.end(
    `HTTP/1.1 ${status} ${statusText(status)}\r\ncontent-type: ${contentType}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** The message of a Kubernetes Status (JSON), or undefined for any other text. */
function statusMessageOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { kind?: unknown; message?: unknown };
    return parsed?.kind === 'Status' && typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}

function statusText(status: number): string {
  return (
    {
      400: 'Bad Request',
      401: 'Unauthorized',
      403: 'Forbidden',
      404: 'Not Found',
      429: 'Too Many Requests',
      499: 'Client Closed Request',
      502: 'Bad Gateway',
      503: 'Service Unavailable',
      504: 'Gateway Timeout',
    }[status] ?? 'Error'
  );
}
