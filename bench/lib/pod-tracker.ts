import type { ClusterClient, WatchEvent } from '../../src/kube/client.ts';
import type { KubeObject } from '../../src/kube/object.ts';
import { Resources } from '../../src/kube/resources.ts';

const NAME_ANNOTATION = 'vcluster.loft.sh/object-name';
const NAMESPACE_ANNOTATION = 'vcluster.loft.sh/object-namespace';

/** When this client saw what, per pod (`namespace/name` of the pod the tenant made), in ms since the epoch. */
export interface PodTimes {
  created: Map<string, number>;
  hostSeen: Map<string, number>;
  hostRunning: Map<string, number>;
  virtualRunning: Map<string, number>;
  /** The tenant's delete answered, and the host pod's DELETED event. */
  deleted: Map<string, number>;
  hostGone: Map<string, number>;
}

const isRunning = (pod: KubeObject) => (pod.status as { phase?: string } | undefined)?.phase === 'Running';

/**
 * Watches pods on both API servers and notes the first time each pod appears on the host and runs
 * on either side, timed by this process's clock as events arrive. `hostKey` says which tenant pod a
 * host pod stands for (its vCluster annotations; or its own name for pods made directly on the host).
 */
export class PodTracker {
  readonly times: PodTimes = {
    created: new Map(),
    hostSeen: new Map(),
    hostRunning: new Map(),
    virtualRunning: new Map(),
    deleted: new Map(),
    hostGone: new Map(),
  };
  private readonly abort = new AbortController();
  private readonly watches: Promise<void>[] = [];

  private readonly host: ClusterClient;
  private readonly hostNamespace: string;
  private readonly virtual: ClusterClient | undefined;
  private readonly hostKey: (pod: KubeObject) => string | undefined;

  constructor(
    host: ClusterClient,
    hostNamespace: string,
    virtual: ClusterClient | undefined,
    hostKey: (pod: KubeObject) => string | undefined = vclusterKey,
  ) {
    this.host = host;
    this.hostNamespace = hostNamespace;
    this.virtual = virtual;
    this.hostKey = hostKey;
  }

  async start(): Promise<void> {
    await this.watch(this.host, this.hostNamespace, (pod, now, type) => {
      const key = this.hostKey(pod);
      if (!key) return;
      if (type === 'DELETED') {
        this.times.hostGone.set(key, now);
        return;
      }
      if (!this.times.hostSeen.has(key)) this.times.hostSeen.set(key, now);
      if (isRunning(pod) && !this.times.hostRunning.has(key)) this.times.hostRunning.set(key, now);
    });
    if (this.virtual)
      await this.watch(this.virtual, '', (pod, now, type) => {
        if (type === 'DELETED') return;
        const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
        if (isRunning(pod) && !this.times.virtualRunning.has(key)) this.times.virtualRunning.set(key, now);
      });
  }

  stop(): void {
    this.abort.abort();
  }

  /** Lists (to get a starting point), then watches from there until stopped. */
  private async watch(
    client: ClusterClient,
    namespace: string,
    seen: (pod: KubeObject, now: number, type: WatchEvent['type']) => void,
  ) {
    const list = await client.list(Resources.pods, namespace);
    let resourceVersion = list.metadata?.resourceVersion ?? '';
    const onEvent = (e: WatchEvent) => {
      const now = Date.now();
      if (e.object.metadata?.resourceVersion) resourceVersion = e.object.metadata.resourceVersion;
      if (e.type === 'ADDED' || e.type === 'MODIFIED' || e.type === 'DELETED') seen(e.object, now, e.type);
    };
    const loop = async () => {
      while (!this.abort.signal.aborted) {
        await client
          .watch(
            Resources.pods,
            namespace,
            { resourceVersion, timeoutSeconds: 600, allowWatchBookmarks: true },
            onEvent,
            this.abort.signal,
          )
          .catch(() => new Promise((r) => setTimeout(r, 200)));
      }
    };
    this.watches.push(loop());
  }
}

/** The tenant pod a host pod stands for, from the annotations the syncer writes. */
export function vclusterKey(pod: KubeObject): string | undefined {
  const a = pod.metadata?.annotations ?? {};
  return a[NAME_ANNOTATION] && a[NAMESPACE_ANNOTATION]
    ? `${a[NAMESPACE_ANNOTATION]}/${a[NAME_ANNOTATION]}`
    : undefined;
}
