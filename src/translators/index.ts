import type { SyncerConfig } from '../config/config.ts';
import { TranslatorRegistry } from '../sync/registry.ts';
import { configMapTranslator } from './configmaps/translator.ts';

/** Every kind the syncer can sync, in the order their controllers start. */
export function builtinTranslators(): TranslatorRegistry<SyncerConfig> {
  const registry = new TranslatorRegistry<SyncerConfig>();
  registry.register('configmaps', (config) => configMapTranslator({ syncAll: config.syncAllConfigMaps }), true);
  return registry;
}
