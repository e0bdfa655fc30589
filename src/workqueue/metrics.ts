/** What a work queue reports; the metrics module implements it with Prometheus. */
export interface WorkQueueMetrics {
  depth(name: string, n: number): void;
  added(name: string): void;
  retried(name: string): void;
  /** Seconds from add to a worker taking the key. */
  queueDuration(name: string, seconds: number): void;
  /** Seconds from a worker taking the key to done. */
  workDuration(name: string, seconds: number): void;
}
