import { buildConfig, placementOf } from '../config/config.ts';
import { InformerFactory } from '../informer/factory.ts';
import type { KubeObject, OwnerReference } from '../kube/object.ts';
import { OwningClient } from '../kube/owning-client.ts';
import { Resources, type ResourceType } from '../kube/resources.ts';
import { KindController } from '../sync/engine.ts';
import { OwnerService } from '../sync/owner-service.ts';
import { EventRecorder } from '../sync/event-recorder.ts';
import type { SyncEnvironment } from '../sync/kind.ts';
import { builtinKinds } from '../translators/index.ts';
import { FakeClock } from '../util/clock.ts';
import { createLogger, silentLogger, type Logger } from '../util/log.ts';
import { FakeCluster } from './fake-cluster.ts';

export const VC = 'vc';

/** VSYNC_TABLE_LOG=debug (or info, warn) shows the engine's log while a table runs. */
const logger: Logger = process.env.VSYNC_TABLE_LOG
  ? createLogger({ level: process.env.VSYNC_TABLE_LOG as 'debug', format: 'text' })
  : silentLogger;
export const HOST_NS = 'host-ns';

/** Objects to seed into one cluster before the syncer starts. */
export type Seed = readonly [ResourceType, KubeObject];

/**
 * The metadata of a host copy as a to-host kind writes it (name, managed-by, object annotations) for
 * the virtual object `namespace/name` of `kind` (`Pod`, `Service`), made by virtual cluster `vc`.
 */
function hostCopyMetadata(kind: string, namespace: string, name: string, vc = VC) {
  return {
    name: `${name}-x-${namespace}-x-${VC}`,
    namespace: HOST_NS,
    labels: { 'vcluster.loft.sh/managed-by': vc },
    annotations: {
      'vcluster.loft.sh/object-name': name,
      'vcluster.loft.sh/object-namespace': namespace,
      'vcluster.loft.sh/object-kind': `/v1, Kind=${kind}`,
    },
  };
}

/**
 * The host copy of the virtual pod `namespace/name` as the pods kind makes it, with the IP the host
 * kubelet gave it, if any: for kinds that check a pod is this virtual cluster's without running the
 * pods kind.
 */
export function ownHostPod(namespace: string, name: string, ip?: string): Seed {
  return [
    Resources.pods,
    {
      metadata: hostCopyMetadata('Pod', namespace, name),
      spec: { containers: [] },
      status: ip ? { podIP: ip } : {},
    },
  ];
}

/**
 * The host copy of a virtual Service, as the services kind makes it; with `vc`, the same host name
 * held by another virtual cluster's copy (host names are ambiguous).
 */
export function ownHostService(namespace: string, name: string, vc = VC): Seed {
  return [
    Resources.services,
    { metadata: hostCopyMetadata('Service', namespace, name, vc), spec: { ports: [{ port: 5432 }] } },
  ];
}

export interface StateTableOptions {
  /** The kinds to run (their controllers are built as the syncer would). */
  kinds: readonly string[];
  /** Flag values as the CLI would take them, e.g. `{ syncAllConfigMaps: 'true' }`. */
  flags?: Record<string, unknown>;
  /** Config-file values (for settings with no flag, such as customResources). */
  file?: Record<string, unknown>;
  virtual?: readonly Seed[];
  host?: readonly Seed[];
  /** Pods deleted on the host stay terminating until finishDeletion (a kubelet's grace period). */
  podGraceful?: boolean;
  /** The same for pods bound to a node in the virtual cluster. */
  virtualPodGraceful?: boolean;
  /** --set-owner: the syncer's host client gives objects it creates in HOST_NS this owner. */
  owner?: OwnerReference;
  /**
   * --set-owner as the syncer runs it: the owner is the host Service VC of HOST_NS (seeded by the
   * test), read at the start and followed through its watch (OwnerService).
   */
  ownerService?: boolean;
}

/**
 * The syncer's engine and kinds between two in-memory clusters: seed both, reconcile a key until
 * nothing more happens, then compare the clusters and the writes made. No API server is involved;
 * the real informers, engine and kinds are.
 */
export class StateTable {
  readonly virtual: FakeCluster;
  readonly host: FakeCluster;
  readonly clock = new FakeClock(Date.parse('2026-11-30T12:00:00Z'));
  readonly controllers = new Map<string, KindController>();
  /** Every latency the kinds reported, as `<metric> <kind> <direction> <seconds>`. */
  readonly latencies: string[] = [];
  /** Reconciles per kind since the table started (any outcome). */
  readonly reconciles = new Map<string, number>();
  private readonly informers: InformerFactory;
  private readonly ownerService?: OwnerService;
  private started = false;

  private constructor(opts: StateTableOptions) {
    this.virtual = new FakeCluster('virtual', {
      clock: this.clock,
      podGraceful: opts.virtualPodGraceful,
      serviceIPBase: '10.96.1',
    });
    this.host = new FakeCluster('host', {
      clock: this.clock,
      podGraceful: opts.podGraceful,
      serviceIPBase: '10.96.2',
    });
    for (const [type, obj] of opts.virtual ?? []) this.virtual.seed(type, obj);
    for (const [type, obj] of opts.host ?? []) this.host.seed(type, obj);
    this.informers = new InformerFactory({ clock: this.clock, logger });
    if (opts.ownerService) {
      this.ownerService = new OwnerService(this.host, HOST_NS, VC);
      this.ownerService.follow(
        this.informers.get(
          this.host,
          Resources.services,
          { namespace: HOST_NS, fieldSelector: this.ownerService.fieldSelector },
          { optional: true },
        ),
        logger,
      );
    }
    const env: SyncEnvironment = {
      vcName: VC,
      hostNamespace: HOST_NS,
      virtual: this.virtual,
      host: this.ownerService
        ? new OwningClient(this.host, HOST_NS, () => this.ownerService!.reference())
        : opts.owner
          ? new OwningClient(this.host, HOST_NS, () => opts.owner!)
          : this.host,
      informers: this.informers,
      events: new EventRecorder({ client: this.virtual, component: 'vsyncer', clock: this.clock, logger }),
      clock: this.clock,
      logger,
    };
    const config = buildConfig(opts.file ?? {}, {
      name: VC,
      hostNamespace: HOST_NS,
      virtualKubeconfig: '/dev/null',
      sync: ['*'],
      ...opts.flags,
    });
    env.tenantOverridesHostMetadata = config.tenantOverridesHostMetadata;
    const kinds = builtinKinds(config.customResources, config.hostGateways).build(
      new Set(opts.kinds),
      config as unknown as Record<string, unknown>,
      placementOf(config),
    );
    for (const kind of kinds.values())
      this.controllers.set(
        kind.name,
        new KindController({
          kind,
          kinds,
          env,
          workers: 1,
          controllerMetrics: {
            reconciled: (k) => this.reconciles.set(k, (this.reconciles.get(k) ?? 0) + 1),
            reconcileError: () => {},
          },
          latencyMetrics: {
            syncLatency: (k, direction, seconds) => this.latencies.push(`sync ${k} ${direction} ${seconds}`),
            tenantWait: (k, direction, seconds) => this.latencies.push(`tenant ${k} ${direction} ${seconds}`),
          },
        }),
      );
  }

  /** Seeds both clusters, starts the informers and waits until every cache is full. */
  static async start(opts: StateTableOptions): Promise<StateTable> {
    const table = new StateTable(opts);
    await table.ownerService?.resolve();
    table.informers.start();
    await table.informers.waitForSync();
    table.virtual.clearWrites();
    table.host.clearWrites();
    return table;
  }

  /**
   * Starts the controllers (every key in the caches is queued, as at a real start) and runs until
   * every queue is empty, no reconcile is in flight and a round of watch deliveries wrote nothing
   * more. Retries wait on the fake clock, which only moves when a test advances it.
   */
  async settle(): Promise<void> {
    if (!this.started) {
      for (const c of this.controllers.values()) c.start();
      this.started = true;
    }
    let writes = -1;
    // A reconcile may wait on work off the event loop (a key made on libuv's thread pool): waited
    // for in real time, up to this, without counting the rounds.
    const offLoopUntil = Date.now() + 20_000;
    for (let round = 0; round < 200;) {
      await this.delivered();
      const controllers = [...this.controllers.values()];
      const idle = controllers.every(
        (c) => c.controller.queue.len() === 0 && c.controller.busy === 0 && !c.starting,
      );
      const now = this.virtual.writes.length + this.host.writes.length;
      if (idle && now === writes) return;
      const busy = controllers.some((c) => c.controller.busy > 0);
      if (busy && now === writes && Date.now() < offLoopUntil) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        continue;
      }
      writes = now;
      round++;
    }
    throw new Error('the syncer did not settle: it keeps writing');
  }

  /** Lets queued watch events reach the informers. */
  async delivered(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  /** Every write made since the table started, as `<cluster>: <verb> <resource> <key>` lines. */
  writes(): string[] {
    return [
      ...this.virtual.writeLog().map((w) => `virtual: ${w}`),
      ...this.host.writeLog().map((w) => `host: ${w}`),
    ];
  }

  async stop(): Promise<void> {
    await Promise.all([...this.controllers.values()].map((c) => c.stop(1000)));
    await this.informers.stop();
  }
}

/**
 * For a describe block: a `start` that runs a table and stops it after the test, so each test
 * reads `const table = await start({...})` with no teardown of its own.
 */
export function stateTables(): (opts: StateTableOptions) => Promise<StateTable> {
  const running: StateTable[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((t) => t.stop()));
  });
  return async (opts) => {
    const table = await StateTable.start(opts);
    running.push(table);
    return table;
  };
}
