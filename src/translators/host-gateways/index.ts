import { ConfigError } from '../../config/config-error.ts';
import { Resources } from '../../kube/resources.ts';
import { defineKind } from '../../sync/kind.ts';
import { HOST_CRD_READ } from '../custom-resources/crd.ts';
import type { HostGatewaysConfig } from './config.ts';
import { hostGatewaysKind } from './kind.ts';
import { HOST_GATEWAYS_KIND } from './mirror.ts';

/** The config-file key of the host Gateways shown (vCluster's sync.fromHost.gateways, less enabled and patches). */
export const HOST_GATEWAYS_KEY = 'hostGateways';

/**
 * Host Gateways shown read-only in the virtual cluster, for tenants' routes to attach to (vCluster's
 * `sync.fromHost.gateways`): which ones, and on what terms, the config file's `hostGateways` says.
 */
export function hostGatewaysDescriptorFor(config: HostGatewaysConfig | undefined) {
  return defineKind({
    name: HOST_GATEWAYS_KIND,
    description: `host Gateways the config file's ${HOST_GATEWAYS_KEY} maps, shown read-only in the virtual cluster for tenants' routes to attach to`,
    defaultOn: false,
    notByStar: config === undefined,
    fields: [],
    hostRbac: [
      // A Role in each host namespace the mappings name (the chart reads them from the same values).
      {
        scope: 'mapped-namespaces',
        apiGroups: [Resources.gateways.group],
        resources: [Resources.gateways.resource],
        verbs: ['get', 'list', 'watch'],
      },
      HOST_CRD_READ,
    ],
    build: () => {
      if (!config)
        throw new ConfigError(
          HOST_GATEWAYS_KEY,
          `kind '${HOST_GATEWAYS_KIND}' is on, so the config file's ${HOST_GATEWAYS_KEY} must name the host Gateways to show (mappings.byName)`,
        );
      return hostGatewaysKind(config);
    },
  });
}
