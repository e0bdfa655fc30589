import { Resources } from '../../kube/resources.ts';
import { selectableFromHostDescriptor } from '../shared/from-host.ts';
import { withoutSpecField } from '../shared/without-spec-field.ts';

/**
 * GatewayClasses of the host, read-only in the virtual cluster (vCluster's
 * `sync.fromHost.gatewayClasses`; --sync +host-gatewayclasses); an admin may limit them by label
 * (--host-gatewayclasses-selector). With this kind on, a tenant's Gateway may name only a class shown
 * here (see the gateways kind). A class's `parametersRef` names a host object (often in a host
 * namespace) and is not shown, as vCluster leaves it out.
 */
export const hostGatewayClassesKind = selectableFromHostDescriptor(
  'host-gatewayclasses',
  Resources.gatewayClasses,
  'GatewayClasses',
  'hostGatewayclassesSelector',
  withoutSpecField('parametersRef'),
);
