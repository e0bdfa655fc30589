import { Resources } from '../../kube/resources.ts';
import { selectableFromHostDescriptor } from '../shared/from-host.ts';
import { withoutSpecField } from '../shared/without-spec-field.ts';

/**
 * IngressClasses of the host, read-only in the virtual cluster (--sync +host-ingressclasses); an admin may
 * limit them by label (--host-ingressclasses-selector). A class's `parameters` names a host object
 * (often in a host namespace, with `scope: Namespace`) and is not shown, as for GatewayClasses.
 */
export const hostIngressClassesKind = selectableFromHostDescriptor(
  'host-ingressclasses',
  Resources.ingressClasses,
  'IngressClasses',
  'hostIngressclassesSelector',
  withoutSpecField('parameters'),
);
