import { Resources } from '../../kube/resources.ts';
import type { Translator } from '../../sync/translator.ts';
import { referencedConfigMaps } from '../pods/translate.ts';
import { dataObjectTranslator } from '../shared/data-object.ts';

/** ConfigMaps, virtual → host; only those a pod uses unless syncAll. */
export function configMapTranslator(options: { syncAll: boolean }): Translator {
  return dataObjectTranslator({
    kind: 'configmaps',
    type: Resources.configMaps,
    payloadFields: ['data', 'binaryData', 'immutable'],
    syncAll: options.syncAll,
    podReferences: (pod) => referencedConfigMaps(pod),
  });
}
