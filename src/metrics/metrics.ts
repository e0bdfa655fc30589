import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ControllerMetrics, ReconcileOutcome } from '../controller/controller.ts';
import type { InformerMetrics } from '../informer/informer.ts';
import type { ClientMetrics } from '../kube/rest-client.ts';
import type { SyncLatencyMetrics } from '../sync/engine.ts';
import type { WorkQueueMetrics } from '../workqueue/metrics.ts';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const QUEUE_BUCKETS = [0.0001, 0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60];

/** Every metric the syncer exports, on its own registry (no global state, so tests can make many). */
export class SyncerMetrics
  implements ClientMetrics, InformerMetrics, WorkQueueMetrics, ControllerMetrics, SyncLatencyMetrics
{
  readonly registry = new Registry();
  private readonly latency = new Histogram({
    name: 'vsyncer_sync_latency_seconds',
    help: 'Time from a change seen on one side to the write that carried it to the other side',
    labelNames: ['kind', 'direction'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly tenantWaits = new Histogram({
    name: 'vsyncer_tenant_wait_seconds',
    help: "Time from the object's own timestamp of a change (a pod's creation, a host condition's transition) to the write that carried it; whole-second resolution",
    labelNames: ['kind', 'direction'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly reconciles = new Counter({
    name: 'vsyncer_reconcile_total',
    help: 'Reconciles by kind and outcome (success, requeue, conflict, error, terminal)',
    labelNames: ['kind', 'result'],
    registers: [this.registry],
  });
  private readonly reconcileErrors = new Counter({
    name: 'vsyncer_reconcile_errors_total',
    help: 'Failed reconciles by kind and reason',
    labelNames: ['kind', 'reason'],
    registers: [this.registry],
  });
  private readonly depthGauge = new Gauge({
    name: 'vsyncer_workqueue_depth',
    help: 'Keys waiting in the work queue',
    labelNames: ['name'],
    registers: [this.registry],
  });
  private readonly adds = new Counter({
    name: 'vsyncer_workqueue_adds_total',
    help: 'Keys added to the work queue',
    labelNames: ['name'],
    registers: [this.registry],
  });
  private readonly retries = new Counter({
    name: 'vsyncer_workqueue_retries_total',
    help: 'Rate-limited re-adds',
    labelNames: ['name'],
    registers: [this.registry],
  });
  private readonly queueTime = new Histogram({
    name: 'vsyncer_workqueue_queue_duration_seconds',
    help: 'Time a key waits in the queue before a worker takes it',
    labelNames: ['name'],
    buckets: QUEUE_BUCKETS,
    registers: [this.registry],
  });
  private readonly workTime = new Histogram({
    name: 'vsyncer_workqueue_work_duration_seconds',
    help: 'Time a worker spends on one key',
    labelNames: ['name'],
    buckets: QUEUE_BUCKETS,
    registers: [this.registry],
  });
  private readonly requests = new Counter({
    name: 'vsyncer_api_requests_total',
    help: 'API requests by cluster, verb and HTTP code (0: no answer)',
    labelNames: ['cluster', 'verb', 'resource', 'code'],
    registers: [this.registry],
  });
  private readonly throttle = new Counter({
    name: 'vsyncer_api_throttle_seconds',
    help: 'Time requests waited for the client-side rate limiter',
    labelNames: ['cluster'],
    registers: [this.registry],
  });
  private readonly watchRestarts = new Counter({
    name: 'vsyncer_watch_restarts_total',
    help: 'Watches restarted after an error or inactivity',
    labelNames: ['cluster', 'resource', 'reason'],
    registers: [this.registry],
  });
  private readonly relists = new Counter({
    name: 'vsyncer_watch_relists_total',
    help: 'Full re-lists after 410 Gone',
    labelNames: ['cluster', 'resource'],
    registers: [this.registry],
  });
  private readonly kubeletRequests = new Counter({
    name: 'vsyncer_kubelet_requests_total',
    help: "requests to the syncer's kubelet endpoint (logs, exec, attach, port-forward), by action and HTTP status",
    labelNames: ['action', 'code'],
    registers: [this.registry],
  });
  /** Memory-reducing collections run once the process went quiet (src/util/heap-trimmer.ts). */
  readonly heapTrims = new Counter({
    name: 'vsyncer_heap_trims_total',
    help: 'Full memory-reducing garbage collections run once the process went quiet after work, to return the heap a burst grew',
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'vsyncer_leader',
    help: '1 while this replica holds the lease (or runs without election)',
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics)
      collectDefaultMetrics({
        register: this.registry,
        prefix: 'vsyncer_',
        eventLoopMonitoringPrecision: 100,
      });
  }

  syncLatency(kind: string, direction: string, seconds: number): void {
    this.latency.observe({ kind, direction }, seconds);
  }
  tenantWait(kind: string, direction: string, seconds: number): void {
    this.tenantWaits.observe({ kind, direction }, seconds);
  }
  reconciled(kind: string, outcome: ReconcileOutcome): void {
    this.reconciles.inc({ kind, result: outcome });
  }
  reconcileError(kind: string, reason: string): void {
    this.reconcileErrors.inc({ kind, reason });
  }
  depth(name: string, n: number): void {
    this.depthGauge.set({ name }, n);
  }
  added(name: string): void {
    this.adds.inc({ name });
  }
  retried(name: string): void {
    this.retries.inc({ name });
  }
  queueDuration(name: string, seconds: number): void {
    this.queueTime.observe({ name }, seconds);
  }
  workDuration(name: string, seconds: number): void {
    this.workTime.observe({ name }, seconds);
  }
  kubeletRequest(action: string, code: number): void {
    this.kubeletRequests.inc({ action, code: String(code) });
  }
  request(cluster: string, verb: string, resource: string, code: number): void {
    this.requests.inc({ cluster, verb, resource, code: String(code) });
  }
  throttled(cluster: string, seconds: number): void {
    this.throttle.inc({ cluster }, seconds);
  }
  watchRestart(cluster: string, resource: string, reason: string): void {
    this.watchRestarts.inc({ cluster, resource, reason });
  }
  relist(cluster: string, resource: string): void {
    this.relists.inc({ cluster, resource });
  }
}
