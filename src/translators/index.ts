import type { ValuesOf } from '../config/fields.ts';
import { KindRegistry } from '../sync/registry.ts';
import { configMapsKind } from './configmaps/index.ts';
import { eventsDescriptor } from './events/index.ts';
import { nodesDescriptor } from './nodes/index.ts';
import { podsKind } from './pods/index.ts';
import { secretsKind } from './secrets/index.ts';
import { servicesDescriptor } from './services/index.ts';

/** Every kind the syncer can sync, one line each, in the order their controllers start. */
export function builtinKinds(): KindRegistry {
  return new KindRegistry()
    .register(configMapsKind)
    .register(secretsKind)
    .register(podsKind)
    .register(servicesDescriptor)
    .register(eventsDescriptor)
    .register(nodesDescriptor);
}

/** The settings every kind declares, as one typed object (part of the syncer's configuration). */
export type KindOptions = ValuesOf<typeof configMapsKind.fields> &
  ValuesOf<typeof secretsKind.fields> &
  ValuesOf<typeof podsKind.fields> &
  ValuesOf<typeof servicesDescriptor.fields> &
  ValuesOf<typeof eventsDescriptor.fields> &
  ValuesOf<typeof nodesDescriptor.fields>;
