import type { KubeConfig } from '@kubernetes/client-node';
import type {
  ClusterClient,
  DeleteOptions,
  ListOptions,
  PatchOptions,
  PatchType,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from '../kube/client.ts';
import { isNotFound } from '../kube/errors.ts';
import { ForwardingClient } from '../kube/forwarding-client.ts';
import type { KubeObject, ObjectList } from '../kube/object.ts';
import type { ResourceType } from '../kube/resources.ts';
import { RestClient } from '../kube/rest-client.ts';

/** A write `vsyncer check` refused: it only reads. */
export class ReadOnlyError extends Error {
  constructor(what = 'a write') {
    super(`vsyncer check only reads: refused ${what}`);
    this.name = 'ReadOnlyError';
  }
}

/** The REST client `vsyncer check` talks through: its write guard refuses every write before it is sent. */
export function readOnlyRestClient(options: {
  name: 'host' | 'virtual';
  kubeConfig: KubeConfig;
  qps: number;
  burst: number;
  requestTimeoutMs: number;
}): RestClient {
  return new RestClient({
    ...options,
    writeGuard: () => {
      throw new ReadOnlyError();
    },
  });
}

/**
 * One cluster as `vsyncer check` reads it: lists pass through (and are remembered: when each object
 * last changed, and the first list that failed), watches open nothing and end when they are stopped,
 * so an informer over this client holds exactly what one list returned. Writes are refused here too.
 */
export class ListOnlyClient extends ForwardingClient {
  private readonly changed = new Map<string, number>();
  private failure: ((err: Error) => void) | undefined;
  /** Rejects with the first list that failed (a CRD-backed type that is not served is not a failure). */
  readonly failed: Promise<never>;

  constructor(inner: ClusterClient) {
    super(inner);
    this.failed = new Promise<never>((_, reject) => (this.failure = reject));
    // Nobody may be waiting yet: a failure is still reported to whoever races it later.
    this.failed.catch(() => {});
  }

  /**
   * When an object last changed, by its own timestamps (creation, and each field manager's last
   * write), in ms; undefined for an object this client never listed.
   */
  lastChange(obj: KubeObject): number | undefined {
    return this.changed.get(obj.metadata?.uid ?? '');
  }

  override async list<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    options?: ListOptions,
  ): Promise<ObjectList<T>> {
    try {
      const list = await this.inner.list<T>(type, namespace, options);
      for (const item of list.items ?? []) this.remember(item);
      return list;
    } catch (err) {
      if (!(type.fromCrd && isNotFound(err))) {
        const where = namespace ? ` in ${namespace}` : '';
        const scope = options?.labelSelector ? ` (${options.labelSelector})` : '';
        this.failure?.(
          new Error(`${this.name}: list ${type.resource}${where}${scope}: ${(err as Error).message}`, {
            cause: err,
          }),
        );
      }
      throw err;
    }
  }

  /** Opens nothing: resolves when stopped, so the informer keeps what its list returned. */
  override watch(
    _type: ResourceType,
    _namespace: string,
    _options: WatchOptions,
    _onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  override create<T extends KubeObject = KubeObject>(
    type: ResourceType,
    _namespace: string,
    _object: KubeObject,
    options?: WriteOptions,
  ): Promise<T> {
    return Promise.reject(new ReadOnlyError(`create ${type.resource}${sub(options?.subresource)}`));
  }

  override update<T extends KubeObject = KubeObject>(
    type: ResourceType,
    _namespace: string,
    _object: KubeObject,
    options?: WriteOptions,
  ): Promise<T> {
    return Promise.reject(new ReadOnlyError(`update ${type.resource}${sub(options?.subresource)}`));
  }

  override patch<T extends KubeObject = KubeObject>(
    type: ResourceType,
    _namespace: string,
    _name: string,
    _patch: unknown,
    _patchType: PatchType,
    options?: PatchOptions,
  ): Promise<T> {
    return Promise.reject(new ReadOnlyError(`patch ${type.resource}${sub(options?.subresource)}`));
  }

  override delete(
    type: ResourceType,
    _namespace: string,
    _name: string,
    _options?: DeleteOptions,
  ): Promise<void> {
    return Promise.reject(new ReadOnlyError(`delete ${type.resource}`));
  }

  private remember(obj: KubeObject): void {
    const meta = obj.metadata;
    if (!meta?.uid) return;
    const times = [meta.creationTimestamp, ...(meta.managedFields ?? []).map(managedFieldsTime)]
      .map((t) => Date.parse(t ?? ''))
      .filter(Number.isFinite);
    if (times.length) this.changed.set(meta.uid, Math.max(...times));
  }
}

const sub = (subresource: string | undefined) => (subresource ? `/${subresource}` : '');

function managedFieldsTime(entry: unknown): string | undefined {
  const time = (entry as { time?: unknown } | null)?.time;
  return typeof time === 'string' ? time : undefined;
}
