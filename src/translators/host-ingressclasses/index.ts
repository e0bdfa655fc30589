import { Resources } from '../../kube/resources.ts';
import { fromHostDescriptor } from '../shared/from-host.ts';

/** IngressClasses of the host, read-only in the virtual cluster (--sync +host-ingressclasses). */
export const hostIngressClassesKind = fromHostDescriptor(
  'host-ingressclasses',
  Resources.ingressClasses,
  'IngressClasses',
);
