import { Resources } from '../../kube/resources.ts';
import type { Translator } from '../../sync/translator.ts';
import { referencedSecrets } from '../pods/translate.ts';
import { dataObjectTranslator } from '../shared/data-object.ts';
import { neutraliseHostSecret } from './translate.ts';

/** Secrets, virtual → host; only those a pod uses (volumes, env, image pull secrets) unless syncAll. */
export function secretTranslator(options: { syncAll: boolean }): Translator {
  return dataObjectTranslator({
    kind: 'secrets',
    type: Resources.secrets,
    payloadFields: ['data', 'type', 'immutable'],
    syncAll: options.syncAll,
    podReferences: (pod) => referencedSecrets(pod),
    hostTransform: neutraliseHostSecret,
  });
}
