import { Resources } from '../../kube/resources.ts';
import { selectableFromHostDescriptor } from '../shared/from-host.ts';

/**
 * IngressClasses of the host, read-only in the virtual cluster (--sync +host-ingressclasses); an admin may
 * limit them by label (--host-ingressclasses-selector).
 */
export const hostIngressClassesKind = selectableFromHostDescriptor(
  'host-ingressclasses',
  Resources.ingressClasses,
  'IngressClasses',
  'hostIngressclassesSelector',
);
