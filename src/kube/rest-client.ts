import { HttpMethod, type KubeConfig, RequestContext } from '@kubernetes/client-node';
import PQueue from 'p-queue';
import { request, type Dispatcher } from 'undici';
import { realClock, type Clock } from '../util/clock.ts';
import { parseExactJson } from '../util/json.ts';
import type {
  ClusterClient,
  DeleteOptions,
  ListOptions,
  PatchOptions,
  PatchType,
  ServedResource,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from './client.ts';
import { ApiError, type ApiStatus } from './errors.ts';
import type { KubeObject, ObjectList } from './object.ts';
import { resourcePath, type ResourceType } from './resources.ts';
import { TokenBucket } from '../util/token-bucket.ts';
import { userAgent } from '../version.ts';

/** Counters the client reports; the metrics module implements them. */
export interface ClientMetrics {
  request(cluster: string, verb: string, resource: string, code: number): void;
  throttled(cluster: string, seconds: number): void;
}

export interface RestClientOptions {
  name: string;
  kubeConfig: KubeConfig;
  qps: number;
  burst: number;
  /** Per-request timeout (not applied to watches, which have their own server-side timeout). */
  requestTimeoutMs: number;
  /** Upper bound on requests in flight at once, so a burst of work cannot exhaust sockets. */
  maxInFlight?: number;
  metrics?: ClientMetrics;
  /** Called before every write; throws to refuse it (used by leader election). */
  writeGuard?: () => void;
  clock?: Clock;
}

const CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

interface RequestSpec {
  verb: string;
  /** The resource (and subresource) for metrics, e.g. `pods/status`; empty for non-resource paths. */
  resource?: string;
  method: HttpMethod;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  write?: boolean;
  /** Parse the answer with parseExactJson (ResourceType.freeFormContent). */
  exactIntegers?: boolean | undefined;
  /**
   * A stream that may stay quiet for minutes (a watch): undici's body timeout (300 s between two
   * chunks) is off, so silence is judged by the caller (the informer's watchdog), not taken for a
   * broken connection every 5 minutes on a server that sends no bookmarks.
   */
  stream?: boolean;
}

/**
 * How long the credential headers client-node computed are reused. client-node re-reads and
 * decodes the TLS material and builds a new connection pool on every call (about 0.1 ms of CPU
 * each, several times per synced pod); tokens that rotate (exec plugins, projected token files)
 * are still picked up within this time, and at once after a 401.
 */
const CREDENTIALS_TTL_MS = 10_000;

/**
 * The only code that speaks HTTP to an API server. client-node supplies credentials and TLS
 * settings (kubeconfig, in-cluster, exec plugins); requests go through one long-lived undici
 * dispatcher per cluster, because client-node would otherwise build a new connection pool per call.
 */
export class RestClient implements ClusterClient {
  readonly name: string;
  private readonly kubeConfig: KubeConfig;
  private readonly server: string;
  private readonly bucket: TokenBucket;
  private readonly inFlight: PQueue;
  private readonly options: RestClientOptions;
  private readonly clock: Clock;
  private dispatcher: Dispatcher | undefined;
  private dispatcherReady = false;
  private credentials: { headers: Promise<Record<string, string>>; at: number } | undefined;

  constructor(options: RestClientOptions) {
    this.options = options;
    this.name = options.name;
    this.kubeConfig = options.kubeConfig;
    const cluster = options.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error(`${options.name} kubeconfig has no current cluster`);
    this.server = cluster.server.replace(/\/+$/, '');
    this.clock = options.clock ?? realClock;
    this.bucket = new TokenBucket(options.qps, options.burst, this.clock);
    this.inFlight = new PQueue({ concurrency: options.maxInFlight ?? 64 });
  }

  async get<T extends KubeObject>(type: ResourceType, namespace: string, name: string): Promise<T> {
    const path = resourcePath(type, namespace, name);
    const obj = await this.json<T>({
      verb: 'get',
      resource: type.resource,
      exactIntegers: type.freeFormContent,
      method: HttpMethod.GET,
      path,
    });
    // An empty or nameless answer (a proxy's) is no object: read as one, it would say the object has
    // no UID, which callers take for "gone".
    if (typeof obj?.metadata?.name !== 'string')
      throw new ApiError(
        this.name,
        0,
        undefined,
        `get ${path}: the answer is not an object (no metadata.name)`,
      );
    return obj;
  }

  async list<T extends KubeObject>(
    type: ResourceType,
    namespace: string,
    options: ListOptions = {},
  ): Promise<ObjectList<T>> {
    return this.json<ObjectList<T>>({
      verb: 'list',
      resource: type.resource,
      exactIntegers: type.freeFormContent,
      method: HttpMethod.GET,
      path: resourcePath(type, namespace),
      query: { ...options },
    });
  }

  async create<T extends KubeObject>(
    type: ResourceType,
    namespace: string,
    object: KubeObject,
    options: WriteOptions & { name?: string } = {},
  ): Promise<T> {
    const path = options.subresource
      ? resourcePath(type, namespace, options.name ?? object.metadata?.name ?? '', options.subresource)
      : resourcePath(type, namespace);
    return this.json<T>({
      verb: 'create',
      resource: resourceLabel(type, options.subresource),
      exactIntegers: type.freeFormContent,
      method: HttpMethod.POST,
      path,
      body: object,
      query: writeQuery(options),
      write: true,
    });
  }

  async update<T extends KubeObject>(
    type: ResourceType,
    namespace: string,
    object: KubeObject,
    options: WriteOptions = {},
  ): Promise<T> {
    return this.json<T>({
      verb: 'update',
      resource: resourceLabel(type, options.subresource),
      exactIntegers: type.freeFormContent,
      method: HttpMethod.PUT,
      path: resourcePath(type, namespace, object.metadata?.name ?? '', options.subresource),
      body: object,
      query: writeQuery(options),
      write: true,
    });
  }

  async patch<T extends KubeObject>(
    type: ResourceType,
    namespace: string,
    name: string,
    patch: unknown,
    patchType: PatchType,
    options: PatchOptions = {},
  ): Promise<T> {
    return this.json<T>({
      verb: 'patch',
      resource: resourceLabel(type, options.subresource),
      exactIntegers: type.freeFormContent,
      method: HttpMethod.PATCH,
      path: resourcePath(type, namespace, name, options.subresource),
      body: patch,
      contentType: CONTENT_TYPES[patchType],
      query: { ...writeQuery(options), force: patchType === 'apply' && options.force ? true : undefined },
      write: true,
    });
  }

  async delete(
    type: ResourceType,
    namespace: string,
    name: string,
    options: DeleteOptions = {},
  ): Promise<void> {
    const preconditions =
      options.uid || options.resourceVersion
        ? { uid: options.uid, resourceVersion: options.resourceVersion }
        : undefined;
    await this.json<KubeObject>({
      verb: 'delete',
      resource: type.resource,
      method: HttpMethod.DELETE,
      path: resourcePath(type, namespace, name),
      body: {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        preconditions,
        gracePeriodSeconds: options.gracePeriodSeconds,
        propagationPolicy: options.propagationPolicy,
      },
      write: true,
    });
  }

  async serverVersion(): Promise<string> {
    const info = await this.json<{ gitVersion?: string }>({
      verb: 'get',
      method: HttpMethod.GET,
      path: '/version',
    });
    if (!info.gitVersion) throw new ApiError(this.name, 0, undefined, '/version answered without gitVersion');
    return info.gitVersion;
  }

  async servedResources(groupVersion: string): Promise<ServedResource[]> {
    const list = await this.json<{ resources?: ServedResource[] }>({
      verb: 'get',
      method: HttpMethod.GET,
      path: groupVersion.includes('/') ? `/apis/${groupVersion}` : `/api/${groupVersion}`,
    });
    return (list.resources ?? [])
      .filter((r) => typeof r.name === 'string' && !r.name.includes('/'))
      .map((r) => ({ name: r.name, kind: r.kind, namespaced: r.namespaced === true }));
  }

  async watch(
    type: ResourceType,
    namespace: string,
    options: WatchOptions,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const response = await this.send(
      {
        verb: 'watch',
        resource: type.resource,
        method: HttpMethod.GET,
        path: resourcePath(type, namespace),
        stream: true,
        query: {
          watch: true,
          resourceVersion: options.resourceVersion,
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          timeoutSeconds: options.timeoutSeconds,
          allowWatchBookmarks: options.allowWatchBookmarks,
        },
      },
      () => signal,
    );
    const decoder = new TextDecoder();
    const deliver = (line: string) => {
      const trimmed = line.trim();
      if (trimmed) onEvent(parseWatchLine(this.name, trimmed, type.freeFormContent === true));
    };
    // One event per line. Each chunk is scanned once from a moving index: re-slicing the rest of
    // the buffer after every line cost time quadratic in the chunk (a burst brings many per chunk).
    let partial = '';
    try {
      for await (const chunk of response.body) {
        const text = decoder.decode(chunk as Buffer, { stream: true });
        let newline = text.indexOf('\n');
        if (newline < 0) {
          partial += text;
          continue;
        }
        deliver(partial + text.slice(0, newline));
        let start = newline + 1;
        while ((newline = text.indexOf('\n', start)) >= 0) {
          deliver(text.slice(start, newline));
          start = newline + 1;
        }
        partial = text.slice(start);
      }
    } catch (err) {
      if (signal.aborted) return;
      // A line the server sent that cannot be read (parseWatchLine): its answer, not the connection's failure.
      if (err instanceof ApiError) throw err;
      throw new ApiError(this.name, 0, undefined, `watch stream broke: ${errorMessage(err)}`);
    }
  }

  private async json<T>(spec: RequestSpec): Promise<T> {
    const text = await this.inFlight.add(async () => {
      const res = await this.send(spec, () => AbortSignal.timeout(this.options.requestTimeoutMs));
      try {
        return await res.body.text();
      } catch (err) {
        throw new ApiError(
          this.name,
          0,
          undefined,
          `${spec.verb} ${spec.path}: reading the answer failed: ${errorMessage(err)}`,
        );
      }
    });
    if (!text) return {} as T;
    try {
      return (spec.exactIntegers ? parseExactJson(text) : JSON.parse(text)) as T;
    } catch {
      // e.g. a proxy's HTML page in front of the API server
      throw new ApiError(
        this.name,
        0,
        undefined,
        `${spec.verb} ${spec.path}: answer is not JSON: ${text.slice(0, 120)}`,
      );
    }
  }

  /**
   * Waits for one of this client's rate-limit tokens, for a request sent another way (a stream the
   * kubelet API opens to the host): it counts against the same QPS as this client's own.
   */
  async paced(): Promise<void> {
    const waited = await this.bucket.take();
    if (waited > 0) this.options.metrics?.throttled(this.name, waited / 1000);
  }

  /**
   * Sends one request after taking a rate-limit token; throws ApiError on any non-2xx answer.
   * `signal` is made after the token is taken, so time spent throttled does not count as a timeout.
   */
  private async send(spec: RequestSpec, makeSignal: () => AbortSignal) {
    await this.paced();
    // Checked after the throttling wait, and again after the credentials (a plugin may take its
    // time): leadership may have been lost during either. A refused write runs no plugin.
    if (spec.write) this.options.writeGuard?.();
    const headers: Record<string, string> = {
      ...(await this.credentialHeaders()),
      accept: 'application/json',
      'user-agent': userAgent(),
    };
    if (spec.write) this.options.writeGuard?.();
    const signal = makeSignal();
    const url = new URL(this.server + spec.path);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers['content-type'] = spec.contentType ?? 'application/json';
    }
    let response;
    try {
      // undici's request(), not fetch(): the same pool without WHATWG streams and Request/Response
      // objects, which cost the syncer more CPU than anything it does itself (measured in make bench).
      response = await request(url, {
        method: spec.method as Dispatcher.HttpMethod,
        headers,
        body,
        signal,
        dispatcher: this.dispatcher,
        ...(spec.stream ? { bodyTimeout: 0 } : {}),
      });
    } catch (err) {
      this.options.metrics?.request(this.name, spec.verb, spec.resource ?? '', 0);
      const timedOut = signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError';
      throw new ApiError(
        this.name,
        timedOut ? 504 : 0,
        undefined,
        `${spec.verb} ${spec.path}: ${errorMessage(err)}`,
      );
    }
    const code = response.statusCode;
    this.options.metrics?.request(this.name, spec.verb, spec.resource ?? '', code);
    if (code >= 200 && code < 300) return response;
    // A rotated token or certificate: ask client-node again on the next request.
    if (code === 401) this.credentials = undefined;
    const text = await response.body.text().catch(() => '');
    let status: ApiStatus | undefined;
    try {
      status = JSON.parse(text) as ApiStatus;
    } catch {
      status = undefined;
    }
    throw new ApiError(
      this.name,
      code,
      status,
      `${spec.verb} ${spec.path}: HTTP ${code} ${text.slice(0, 200)}`,
    );
  }

  /** client-node's headers for this cluster (Authorization, impersonation), computed at most every CREDENTIALS_TTL_MS. */
  private credentialHeaders(): Promise<Record<string, string>> {
    const now = this.clock.now();
    if (!this.credentials || now - this.credentials.at >= CREDENTIALS_TTL_MS) {
      const headers = (async () => {
        const context = new RequestContext(this.server, HttpMethod.GET);
        await this.kubeConfig.applySecurityAuthentication(context);
        if (!this.dispatcherReady) {
          // Keep the first dispatcher client-node builds; later ones are dropped unused.
          this.dispatcher = context.getDispatcher() as Dispatcher | undefined;
          this.dispatcherReady = true;
        }
        return context.getHeaders();
      })();
      this.credentials = { headers, at: now };
      // A failure (an exec plugin erring) is not kept: the next request asks again.
      headers.catch(() => {
        if (this.credentials?.headers === headers) this.credentials = undefined;
      });
    }
    return this.credentials.headers;
  }
}

function writeQuery(options: WriteOptions): Record<string, string | undefined> {
  return { fieldManager: options.fieldManager, dryRun: options.dryRun ? 'All' : undefined };
}

/**
 * One watch line as an event. One that cannot be read fails as client-go's does, as an internal error
 * of the server (not of the network): a watch that keeps failing on it is not a connection to retry.
 */
function parseWatchLine(cluster: string, line: string, exactIntegers: boolean): WatchEvent {
  const unreadable = (what: string) =>
    new ApiError(
      cluster,
      500,
      { code: 500, reason: 'InternalError', message: `${what}: ${line.slice(0, 120)}` },
      what,
    );
  let parsed: unknown;
  try {
    parsed = exactIntegers ? parseExactJson(line) : JSON.parse(line);
  } catch {
    throw unreadable('watch sent a line that is not JSON');
  }
  const event = parsed as Partial<WatchEvent>;
  if (!event || typeof event.type !== 'string' || typeof event.object !== 'object' || event.object === null)
    throw unreadable('watch sent an event without type or object');
  return event as WatchEvent;
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}

/** `pods` or `pods/status`: the metrics label of a request's resource. */
function resourceLabel(type: ResourceType, subresource: string | undefined): string {
  return subresource ? `${type.resource}/${subresource}` : type.resource;
}
