export { WorkQueue, type WorkQueueOptions } from './workqueue.ts';
export type { WorkQueueMetrics } from './metrics.ts';
export {
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  type RateLimiter,
} from './rate-limiters.ts';
