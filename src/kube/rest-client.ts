import { HttpMethod, type KubeConfig, RequestContext } from '@kubernetes/client-node';
import PQueue from 'p-queue';
import { fetch, type Dispatcher } from 'undici';
import { realClock, type Clock } from '../util/clock.ts';
import type {
  ClusterClient,
  DeleteOptions,
  ListOptions,
  PatchOptions,
  PatchType,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from './client.ts';
import { ApiError, type ApiStatus } from './errors.ts';
import type { KubeObject, ObjectList } from './object.ts';
import { resourcePath, type ResourceType } from './resources.ts';
import { TokenBucket } from '../util/token-bucket.ts';

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
}

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
  private dispatcher: Dispatcher | undefined;
  private dispatcherReady = false;

  constructor(options: RestClientOptions) {
    this.options = options;
    this.name = options.name;
    this.kubeConfig = options.kubeConfig;
    const cluster = options.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error(`${options.name} kubeconfig has no current cluster`);
    this.server = cluster.server.replace(/\/+$/, '');
    this.bucket = new TokenBucket(options.qps, options.burst, options.clock ?? realClock);
    this.inFlight = new PQueue({ concurrency: options.maxInFlight ?? 64 });
  }

  async get<T extends KubeObject>(type: ResourceType, namespace: string, name: string): Promise<T> {
    return this.json<T>({
      verb: 'get',
      resource: type.resource,
      method: HttpMethod.GET,
      path: resourcePath(type, namespace, name),
    });
  }

  async list<T extends KubeObject>(
    type: ResourceType,
    namespace: string,
    options: ListOptions = {},
  ): Promise<ObjectList<T>> {
    return this.json<ObjectList<T>>({
      verb: 'list',
      resource: type.resource,
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
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of response.body) {
        buffered += decoder.decode(chunk as Uint8Array, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) onEvent(parseWatchLine(this.name, line));
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      throw new ApiError(this.name, 0, undefined, `watch stream broke: ${errorMessage(err)}`);
    }
  }

  private async json<T>(spec: RequestSpec): Promise<T> {
    const text = await this.inFlight.add(async () => {
      const res = await this.send(spec, () => AbortSignal.timeout(this.options.requestTimeoutMs));
      try {
        return await res.text();
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
      return JSON.parse(text) as T;
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
   * Sends one request after taking a rate-limit token; throws ApiError on any non-2xx answer.
   * `signal` is made after the token is taken, so time spent throttled does not count as a timeout.
   */
  private async send(spec: RequestSpec, makeSignal: () => AbortSignal) {
    const waited = await this.bucket.take();
    if (waited > 0) this.options.metrics?.throttled(this.name, waited / 1000);
    // Checked after the throttling wait: leadership may have been lost during it.
    if (spec.write) this.options.writeGuard?.();
    const signal = makeSignal();
    const url = new URL(this.server + spec.path);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    const context = new RequestContext(url.toString(), spec.method);
    await this.kubeConfig.applySecurityAuthentication(context);
    if (!this.dispatcherReady) {
      // Keep the first dispatcher client-node builds; later ones are dropped unused.
      this.dispatcher = context.getDispatcher() as Dispatcher | undefined;
      this.dispatcherReady = true;
    }
    const headers: Record<string, string> = { ...context.getHeaders(), accept: 'application/json' };
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers['content-type'] = spec.contentType ?? 'application/json';
    }
    let response;
    try {
      response = await fetch(url, {
        method: spec.method,
        headers,
        body,
        signal,
        dispatcher: this.dispatcher,
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
    this.options.metrics?.request(this.name, spec.verb, spec.resource ?? '', response.status);
    if (response.status >= 200 && response.status < 300) return response;
    const text = await response.text().catch(() => '');
    let status: ApiStatus | undefined;
    try {
      status = JSON.parse(text) as ApiStatus;
    } catch {
      status = undefined;
    }
    throw new ApiError(
      this.name,
      response.status,
      status,
      `${spec.verb} ${spec.path}: HTTP ${response.status} ${text.slice(0, 200)}`,
    );
  }
}

function writeQuery(options: WriteOptions): Record<string, string | undefined> {
  return { fieldManager: options.fieldManager, dryRun: options.dryRun ? 'All' : undefined };
}

function parseWatchLine(cluster: string, line: string): WatchEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new ApiError(cluster, 0, undefined, `watch sent a line that is not JSON: ${line.slice(0, 120)}`);
  }
  const event = parsed as Partial<WatchEvent>;
  if (!event || typeof event.type !== 'string' || typeof event.object !== 'object' || event.object === null) {
    throw new ApiError(
      cluster,
      0,
      undefined,
      `watch sent an event without type or object: ${line.slice(0, 120)}`,
    );
  }
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
