/**
 * The metrics API (`metrics.k8s.io/v1beta1`) of the virtual cluster, served from the host's: what
 * vCluster calls its metrics-server proxy integration. The virtual API server's aggregator calls
 * this server (an APIService pointing at a Service that names localhost, see registration.ts); each
 * request is answered from the host's metrics API (read through the host API server with the
 * syncer's credentials) with only this virtual cluster's pods, renamed (translate.ts). So
 * `kubectl top` and HorizontalPodAutoscalers work without a metrics-server in the virtual cluster.
 *
 * Only the virtual API server may call it: a client certificate of its front proxy, checked against
 * the request-header CA it publishes (`kube-system/extension-apiserver-authentication`), as any
 * aggregated API server checks it. What the caller may read was authorized by the virtual API
 * server before it proxied (RBAC on `pods.metrics.k8s.io` and `nodes.metrics.k8s.io`).
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { readFlagFile } from '../config/flag-file.ts';
import type { ClusterClient } from '../kube/client.ts';
import { ApiError } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import type { Informer } from '../informer/informer.ts';
import { ownedAmong } from '../kubelet/pod-target.ts';
import { splitBindAddress } from '../metrics/server.ts';
import type { Clock } from '../util/clock.ts';
import { RecentReads } from '../util/recent-reads.ts';
import type { Logger } from '../util/log.ts';
import { parseLabelSelector } from '../util/label-selector.ts';
import { listenOn } from '../util/listen.ts';
import { parseRequestUrl, RouteError } from '../kubelet/routes.ts';
import {
  apiGroup,
  apiResourceList,
  METRICS_GROUP,
  METRICS_GROUP_VERSION,
  tenantNodeMetrics,
  tenantPodMetrics,
  type MetricsItem,
  type MetricsQuery,
  type OwnedHostPod,
} from './translate.ts';

/** Where the virtual API server publishes how its front proxy authenticates to aggregated APIs. */
const AUTHENTICATION_CONFIGMAP = { namespace: 'kube-system', name: 'extension-apiserver-authentication' };
/** How often that configuration is read again (a CA rotated by the control plane). */
const AUTHENTICATION_REFRESH_MS = 5 * 60_000;
/**
 * How long one read of the host's metrics answers every request. metrics-server itself refreshes
 * every 15 s by default; without this, each HorizontalPodAutoscaler's check every 15 s (and every
 * `kubectl top`) would list the whole host namespace's metrics against the syncer's host rate limit.
 */
const HOST_READ_TTL_MS = 5_000;

export interface MetricsApiServerOptions {
  /** `host:port` to listen on; the chart gives 127.0.0.1, so only the control-plane pod reaches it. */
  bindAddress: string;
  tlsCertFile: string;
  tlsKeyFile: string;
  vcName: string;
  hostNamespace: string;
  host: ClusterClient;
  virtual: ClusterClient;
  /** The caches the pods kind reads: virtual pods, and this virtual cluster's host pods. */
  podCaches: { virtual: Informer<KubeObject>; host: Informer<KubeObject> };
  /** The virtual nodes, for node metrics. */
  virtualNodes: Informer<KubeObject>;
  /** --sync-real-nodes: virtual nodes stand for host nodes, whose figures they may show. */
  realNodes: boolean;
  logger: Logger;
  clock?: Clock;
}

/** A request answered with a Status of this code and message. */
class StatusError extends Error {
  readonly code: number;
  readonly reason: string;
  constructor(code: number, message: string, reason = 'InternalError') {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

/** What the front proxy's certificate must be: of this CA, and (when the list is not empty) of one of these names. */
interface FrontProxyTrust {
  ca: string;
  allowedNames: string[];
}

/** A request's route in the metrics API: discovery, or nodes and pods (all, of a namespace, one). */
type MetricsRoute =
  | { kind: 'document'; body: Record<string, unknown> }
  | { kind: 'health' }
  | { kind: 'nodes'; name?: string }
  | { kind: 'pods'; namespace?: string; name?: string };

const segment = /^[^/]+$/;

/** The route of a path; undefined when the metrics API has nothing there. */
export function metricsRouteOf(path: string): MetricsRoute | undefined {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (trimmed === '/healthz' || trimmed === '/readyz' || trimmed === '/livez') return { kind: 'health' };
  if (trimmed === '/apis')
    return { kind: 'document', body: { kind: 'APIGroupList', apiVersion: 'v1', groups: [apiGroup()] } };
  if (trimmed === `/apis/${METRICS_GROUP}`) return { kind: 'document', body: apiGroup() };
  const base = `/apis/${METRICS_GROUP_VERSION}`;
  if (trimmed === base) return { kind: 'document', body: apiResourceList() };
  if (!trimmed.startsWith(`${base}/`)) return undefined;
  let parts: string[];
  try {
    parts = trimmed
      .slice(base.length + 1)
      .split('/')
      .map(decodeURIComponent);
  } catch {
    return undefined;
  }
  if (!parts.every((p) => segment.test(p))) return undefined;
  const [first, second, third, fourth, ...rest] = parts;
  if (rest.length) return undefined;
  if (first === 'nodes' && third === undefined) return { kind: 'nodes', name: second };
  if (first === 'pods' && second === undefined) return { kind: 'pods' };
  if (first === 'namespaces' && second && third === 'pods')
    return { kind: 'pods', namespace: second, name: fourth };
  return undefined;
}

export class MetricsApiServer {
  private readonly o: MetricsApiServerOptions;
  private server: Server | undefined;
  private trust: FrontProxyTrust | undefined;
  /** The host's last answers (in flight or done), shared by the requests of a few seconds. */
  private readonly hostReads: RecentReads<'pods' | 'nodes', unknown>;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(options: MetricsApiServerOptions) {
    this.o = options;
    this.hostReads = new RecentReads(HOST_READ_TTL_MS, options.clock);
  }

  /**
   * Listens, and reads the front proxy's CA from the virtual cluster (until then callers are refused).
   * Rejects with what is wrong with a file or the port.
   */
  async start(): Promise<AddressInfo> {
    const cert = readFlagFile('kubelet-tls-cert-file', this.o.tlsCertFile);
    const key = readFlagFile('kubelet-tls-key-file', this.o.tlsKeyFile);
    // No CA until the virtual cluster's is read (refreshTrust): until then every caller is refused.
    const server = createServer({
      cert,
      key,
      requestCert: true,
      // Unverified clients are answered 401 with a reason, instead of a bare TLS failure.
      rejectUnauthorized: false,
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.onRequest(req, res));
    server.on('tlsClientError', (err) =>
      this.o.logger.debug('metrics API: TLS handshake failed', { error: err.message }),
    );
    const { host, port } = splitBindAddress(this.o.bindAddress);
    await listenOn(
      server,
      port,
      host,
      (err) =>
        new Error(
          `cannot listen on ${this.o.bindAddress} (--metrics-server-proxy-port): ${err.code ?? err.message}`,
        ),
      this.o.logger,
      'metrics API',
    );
    this.server = server;
    void this.refreshTrust(server, 1000);
    return server.address() as AddressInfo;
  }

  async stop(): Promise<void> {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The front proxy's CA and names, as the virtual API server publishes them. */
  private async readTrust(): Promise<FrontProxyTrust> {
    const { namespace, name } = AUTHENTICATION_CONFIGMAP;
    const cm = await this.o.virtual.get(Resources.configMaps, namespace, name);
    const data = (cm.data ?? {}) as Record<string, string>;
    const ca = data['requestheader-client-ca-file'];
    if (!ca?.includes('BEGIN CERTIFICATE'))
      throw new Error(
        `the virtual API server has no front proxy CA (${namespace}/${name} lacks requestheader-client-ca-file): it cannot call aggregated APIs`,
      );
    let allowedNames: string[] = [];
    try {
      const parsed: unknown = JSON.parse(data['requestheader-allowed-names'] ?? '[]');
      if (Array.isArray(parsed)) allowedNames = parsed.filter((n): n is string => typeof n === 'string');
    } catch {
      throw new Error(`${namespace}/${name}: requestheader-allowed-names is not a JSON list`);
    }
    return { ca, allowedNames };
  }

  /**
   * Reads the front proxy's configuration, then again every few minutes (a rotated CA); a failure is
   * retried sooner, doubling the wait (`retryMs`), and the last configuration read stays in force.
   */
  private async refreshTrust(server: Server, retryMs: number): Promise<void> {
    let next = AUTHENTICATION_REFRESH_MS;
    try {
      const trust = await this.readTrust();
      if (trust.ca !== this.trust?.ca) server.setSecureContext({ ...readTls(this.o), ca: trust.ca });
      if (!this.trust) this.o.logger.info('metrics API: the front proxy configuration is read; serving');
      this.trust = trust;
    } catch (err) {
      next = retryMs;
      this.o.logger.warn('metrics API: cannot read the front proxy configuration of the virtual cluster', {
        error: (err as Error).message,
        retryInMs: retryMs,
      });
    }
    if (this.server !== server) return;
    this.refreshTimer = setTimeout(() => void this.refreshTrust(server, Math.min(retryMs * 2, 30_000)), next);
    this.refreshTimer.unref();
  }

  /** Only the virtual API server's front proxy: a verified certificate of an allowed name. */
  private authenticate(req: IncomingMessage): void {
    if (!this.trust)
      throw new StatusError(
        503,
        "the virtual API server's front proxy configuration is not read yet",
        'ServiceUnavailable',
      );
    const socket = req.socket as TLSSocket;
    const cert = socket.getPeerCertificate?.();
    if (!cert || !cert.subject)
      throw new StatusError(401, 'a client certificate of the front proxy is required', 'Unauthorized');
    if (!socket.authorized)
      throw new StatusError(
        401,
        `client certificate not accepted: ${String(socket.authorizationError ?? 'unknown CA')}`,
        'Unauthorized',
      );
    const cn = (cert.subject as unknown as Record<string, string | string[]>).CN;
    const names = Array.isArray(cn) ? cn : cn ? [cn] : [];
    const allowed = this.trust?.allowedNames ?? [];
    if (allowed.length && !names.some((n) => allowed.includes(n)))
      throw new StatusError(
        401,
        `client certificate ${names.join(',')} is not the front proxy's`,
        'Unauthorized',
      );
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let path = '/';
    try {
      const url = parseRequestUrl(req.url ?? '/');
      path = url.pathname;
      const route = metricsRouteOf(path);
      if (route?.kind === 'health') return this.send(res, 200, 'ok', 'text/plain; charset=utf-8');
      this.authenticate(req);
      if (req.method !== 'GET')
        throw new StatusError(
          405,
          `${req.method} is not supported: the metrics API is read-only`,
          'MethodNotAllowed',
        );
      if (!route) throw new StatusError(404, `the metrics API has nothing at ${path}`, 'NotFound');
      if (route.kind === 'document') return this.sendJson(res, 200, route.body);
      const query = queryOf(url.searchParams);
      if (route.kind === 'nodes')
        return this.sendJson(res, 200, await this.nodes({ ...query, name: route.name }));
      return this.sendJson(
        res,
        200,
        await this.pods({ ...query, namespace: route.namespace, name: route.name }),
      );
    } catch (err) {
      const status =
        err instanceof StatusError
          ? err
          : err instanceof RouteError
            ? new StatusError(err.status, err.message, 'BadRequest')
            : new StatusError(500, 'the metrics API failed; see the syncer log');
      if (status.code === 500)
        this.o.logger.error('metrics API request failed', { path, error: (err as Error).message });
      else
        this.o.logger.debug('metrics API request refused', {
          path,
          code: status.code,
          error: status.message,
        });
      // A caller refused before the front proxy's CA was read (or before it rotated) keeps its
      // handshake's verdict for the life of the connection: it must dial again.
      if (status.code === 401 || status.code === 503) res.setHeader('connection', 'close');
      this.sendJson(res, status.code, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: status.message,
        reason: status.reason,
        code: status.code,
      });
    }
  }

  private async nodes(query: MetricsQuery): Promise<Record<string, unknown>> {
    const nodes = this.o.virtualNodes;
    const { virtual, host } = this.o.podCaches;
    if (!nodes.hasSynced() || !virtual.hasSynced() || !host.hasSynced())
      throw new StatusError(503, 'the nodes and pods are not read yet', 'ServiceUnavailable');
    const [hostNodeMetrics, hostPodMetrics] = await Promise.all([
      this.readHost('nodes', () => this.o.host.list(Resources.nodeMetrics, '')),
      this.readHost('pods', () => this.o.host.list(Resources.podMetrics, this.o.hostNamespace)),
    ]);
    const items = tenantNodeMetrics(
      hostNodeMetrics,
      {
        hostPodsByNode: this.ownedHostPodsByNode(),
        hostPodMetrics,
        virtualNode: (_ns, name) => nodes.store.get(name),
        realNodes: this.o.realNodes,
      },
      query,
    );
    return this.answer('NodeMetrics', items, query, query.name);
  }

  /** This virtual cluster's host pods (proven copies), by node, with the tenant's containers in each. */
  private ownedHostPodsByNode(): Map<string, OwnedHostPod[]> {
    const { virtual, host } = this.o.podCaches;
    const hostPods = host.store.list();
    const owned = ownedAmong(hostPods, this.o, (namespace, name) =>
      virtual.store.get(`${namespace}/${name}`),
    );
    const byNode = new Map<string, OwnedHostPod[]>();
    for (const pod of hostPods) {
      const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
      const name = pod.metadata?.name ?? '';
      const identity = owned.get(`${this.o.hostNamespace}/${name}`);
      if (!node || !identity) continue;
      byNode.set(node, [...(byNode.get(node) ?? []), { name, containers: identity.containers }]);
    }
    return byNode;
  }

  private async pods(query: MetricsQuery): Promise<Record<string, unknown>> {
    const { virtual, host } = this.o.podCaches;
    if (!virtual.hasSynced() || !host.hasSynced())
      throw new StatusError(503, 'the pods are not read yet', 'ServiceUnavailable');
    const hostList = await this.readHost('pods', () =>
      this.o.host.list(Resources.podMetrics, this.o.hostNamespace),
    );
    const lookup = (namespace: string, name: string) => virtual.store.get(`${namespace}/${name}`);
    const owned = ownedAmong(host.store.list(), this.o, lookup);
    const items = tenantPodMetrics(hostList, this.o.hostNamespace, owned, lookup, query);
    return this.answer('PodMetrics', items, query, query.name && `${query.namespace}/${query.name}`);
  }

  /** One object when a name was asked for (404 when there is none), else the list. */
  private answer(kind: string, items: MetricsItem[], query: MetricsQuery, named: string | undefined) {
    const typed = items.map((item) => ({ kind, apiVersion: METRICS_GROUP_VERSION, ...item }));
    if (query.name === undefined)
      return { kind: `${kind}List`, apiVersion: METRICS_GROUP_VERSION, metadata: {}, items: typed };
    if (!typed[0])
      throw new StatusError(404, `${kind.toLowerCase()}.${METRICS_GROUP} "${named}" not found`, 'NotFound');
    return typed[0];
  }

  /** A read of the host's metrics API; its failures say what is wrong without host details. */
  private readHost(what: 'pods' | 'nodes', read: () => Promise<unknown>): Promise<unknown> {
    return this.hostReads.get(what, () => this.readHostOnce(read));
  }

  private async readHostOnce(read: () => Promise<unknown>): Promise<unknown> {
    try {
      return await read();
    } catch (err) {
      this.o.logger.warn('metrics API: reading the host metrics API failed', {
        error: (err as Error).message,
      });
      if (err instanceof ApiError && err.statusCode === 404)
        throw new StatusError(
          503,
          'the host cluster serves no metrics API (metrics.k8s.io): a metrics-server must run on the host',
          'ServiceUnavailable',
        );
      if (err instanceof ApiError && err.statusCode === 403)
        throw new StatusError(
          503,
          'the syncer may not read the host metrics API (RBAC)',
          'ServiceUnavailable',
        );
      throw new StatusError(503, 'the host metrics API is not available', 'ServiceUnavailable');
    }
  }

  private sendJson(res: ServerResponse, code: number, body: unknown): void {
    this.send(res, code, JSON.stringify(body), 'application/json');
  }

  private send(res: ServerResponse, code: number, body: string, contentType: string): void {
    if (res.headersSent) return;
    res.writeHead(code, { 'content-type': contentType });
    res.end(body);
  }
}

/** The label selector of a request; a field selector is refused rather than ignored. */
function queryOf(params: URLSearchParams): MetricsQuery {
  if (params.get('fieldSelector'))
    throw new StatusError(400, 'field selectors are not supported by this metrics API', 'BadRequest');
  try {
    return { selector: parseLabelSelector(params.get('labelSelector') ?? '') };
  } catch (err) {
    throw new StatusError(400, (err as Error).message, 'BadRequest');
  }
}

function readTls(o: MetricsApiServerOptions): { cert: Buffer; key: Buffer } {
  return {
    cert: readFlagFile('kubelet-tls-cert-file', o.tlsCertFile),
    key: readFlagFile('kubelet-tls-key-file', o.tlsKeyFile),
  };
}
