import type { SyncerConfig } from '../config/config.ts';
import type { ControllerMetrics } from '../controller/controller.ts';
import { GenericSyncer, type SyncLatencyMetrics } from '../sync/generic-syncer.ts';
import { ComponentRegistry } from '../sync/registry.ts';
import type { SyncEnvironment, Translator } from '../sync/translator.ts';
import type { WorkQueueMetrics } from '../workqueue/metrics.ts';
import { configMapTranslator } from './configmaps/translator.ts';
import { EventSyncer } from './events/event-syncer.ts';
import { NodeSyncer } from './nodes/node-syncer.ts';
import { podTranslator } from './pods/pod-translator.ts';
import { secretTranslator } from './secrets/translator.ts';

/** What every kind's component is built from. */
export interface ComponentDeps {
  config: SyncerConfig;
  env: SyncEnvironment;
  metrics: ControllerMetrics & WorkQueueMetrics & SyncLatencyMetrics;
}

const generic = (make: (config: SyncerConfig) => Translator) => (deps: ComponentDeps) =>
  new GenericSyncer({
    env: deps.env,
    translator: make(deps.config),
    workers: deps.config.workers,
    controllerMetrics: deps.metrics,
    queueMetrics: deps.metrics,
    latencyMetrics: deps.metrics,
  });

/** Every kind the syncer can sync, in the order their controllers start. */
export function builtinComponents(): ComponentRegistry<ComponentDeps> {
  const registry = new ComponentRegistry<ComponentDeps>();
  registry.register(
    'configmaps',
    generic((c) => configMapTranslator({ syncAll: c.syncAllConfigMaps })),
    true,
  );
  registry.register(
    'secrets',
    generic((c) => secretTranslator({ syncAll: c.syncAllSecrets })),
    true,
  );
  registry.register(
    'pods',
    generic((c) => podTranslator(c)),
    true,
  );
  registry.register('events', (deps) => new EventSyncer(deps), true);
  registry.register('nodes', (deps) => new NodeSyncer(deps), true);
  return registry;
}
