import { field } from '../../config/fields.ts';
import { defineKind } from '../../sync/kind.ts';
import { mappedHostServicesKind } from './host-services-kind.ts';
import {
  invalidHostServiceMappings,
  invalidVirtualServiceMappings,
  parseHostServiceMappings,
  parseVirtualServiceMappings,
} from './mappings.ts';
import { MAPPED_HOST_SERVICES, MAPPED_VIRTUAL_SERVICES } from './replicas.ts';
import { mappedVirtualServicesKind } from './virtual-services-kind.ts';

const READ = ['get', 'list', 'watch'];

/**
 * Host Services replicated into the virtual cluster (vCluster's networking.replicateServices.fromHost).
 * Always on: it reads Services and Endpoints of the host namespaces the mappings name, none when
 * there is no mapping (it then only deletes the replicas of mappings since removed, its own and
 * vCluster's: see vcluster-leftovers.ts).
 */
export const mappedHostServicesDescriptor = defineKind({
  name: MAPPED_HOST_SERVICES,
  description: 'host Services of --map-host-service, replicated into the virtual cluster',
  defaultOn: true,
  fields: [
    field({
      flag: 'map-host-service',
      key: 'mapHostServices',
      kind: 'list',
      default: [],
      repeatable: true,
      valueName: 'host-ns/name=virtual-ns/name',
      description:
        "host Service shown in the virtual cluster under this name (repeatable): a headless Service whose endpoints are the host Service's cluster IP (the virtual namespace is made when missing)",
      validate: invalidHostServiceMappings,
    }),
  ],
  hostRbac: [
    // A Role in each host namespace the mappings name (the chart reads them from the same values).
    {
      scope: 'mapped-namespaces',
      apiGroups: [''],
      resources: ['services', 'endpoints'],
      verbs: READ,
      whenOption: 'mapHostServices',
    },
  ],
  build: (options) => mappedHostServicesKind(parseHostServiceMappings(options.mapHostServices)),
});

/**
 * Tenant Services replicated in the host namespace under fixed names (replicateServices.toHost).
 * Always on, with no mapping too: it then only deletes the replicas of mappings since removed. It
 * reads the Services the services kind reads, and writes Services as that kind does.
 */
export const mappedVirtualServicesDescriptor = defineKind({
  name: MAPPED_VIRTUAL_SERVICES,
  description: 'virtual Services of --map-virtual-service, replicated in the host namespace',
  defaultOn: true,
  fields: [
    field({
      flag: 'map-virtual-service',
      key: 'mapVirtualServices',
      kind: 'list',
      default: [],
      repeatable: true,
      valueName: 'virtual-ns/name=host-name',
      description:
        'virtual Service replicated in the host namespace under this name (repeatable), selecting the same pods, so host workloads reach it by a fixed name',
      validate: (entries) => invalidVirtualServiceMappings(entries),
    }),
  ],
  hostRbac: [
    {
      scope: 'namespace',
      apiGroups: [''],
      resources: ['services'],
      verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
    },
  ],
  build: (options, where) =>
    mappedVirtualServicesKind(
      parseVirtualServiceMappings(options.mapVirtualServices, where.hostNamespace),
      where,
    ),
});
