import { ConfigError } from '../../config/config-error.ts';
import { field } from '../../config/fields.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import { defineKind, type Placement } from '../../sync/kind.ts';
import { mappedHostDataKind } from './kind.ts';
import { invalidHostDataMappings, parseHostDataMappings, type MappingLimits } from './mappings.ts';

const READ = ['get', 'list', 'watch'];
const FORMS =
  'host-ns/name=virtual-ns/name, host-ns/*=virtual-ns/*, /name=virtual-ns/name for the host namespace of this virtual cluster, =virtual-ns for all of it';

/** Reads the mappings of one flag for this virtual cluster's host namespace, or stops with the flag named. */
function mappingsOf(flag: string, entries: readonly string[], where: Placement, limits: MappingLimits) {
  const parsed = parseHostDataMappings(entries, where.hostNamespace, limits);
  if (typeof parsed === 'string') throw new ConfigError(`--${flag}`, parsed);
  return parsed;
}

/**
 * One descriptor per type. Always on (with no mapping they read nothing on the host and only delete
 * the replicas of mappings since removed); the host reads of other namespaces are granted only
 * while a mapping is given.
 */
function mappedHostDataDescriptor(opts: {
  name: string;
  type: ResourceType;
  flag: string;
  key: 'mapHostConfigMaps' | 'mapHostSecrets';
  what: string;
  limits: MappingLimits;
}) {
  return defineKind({
    name: opts.name,
    description: `host ${opts.what} of --${opts.flag}, replicated into the virtual cluster`,
    defaultOn: true,
    fields: [
      field({
        flag: opts.flag,
        key: opts.key,
        kind: 'list',
        default: [],
        repeatable: true,
        valueName: 'host=virtual',
        description: `host ${opts.what} shown read-only in the virtual cluster (repeatable; vCluster's sync.fromHost mappings): ${FORMS}. The virtual namespace is made when missing`,
        validate: (entries) => invalidHostDataMappings(entries, opts.limits),
      }),
    ],
    hostRbac: [
      // A Role in each host namespace the mappings name (the chart reads them from the same values).
      {
        scope: 'mapped-namespaces',
        apiGroups: [''],
        resources: [opts.type.resource],
        verbs: READ,
        whenOption: opts.key,
      },
    ],
    build: (options, where) =>
      mappedHostDataKind(opts.type, opts.name, mappingsOf(opts.flag, options[opts.key], where, opts.limits)),
  });
}

/** Host ConfigMaps shown in the virtual cluster (vCluster's sync.fromHost.configMaps). */
export const mappedHostConfigMapsDescriptor = mappedHostDataDescriptor({
  name: 'mapped-host-configmaps',
  type: Resources.configMaps,
  flag: 'map-host-configmap',
  key: 'mapHostConfigMaps',
  what: 'ConfigMaps',
  // The root CA bundle publisher of the virtual cluster keeps its own in every namespace.
  limits: { reservedVirtualNames: ['kube-root-ca.crt'] },
});

/** Host Secrets shown in the virtual cluster (vCluster's sync.fromHost.secrets). */
export const mappedHostSecretsDescriptor = mappedHostDataDescriptor({
  name: 'mapped-host-secrets',
  type: Resources.secrets,
  flag: 'map-host-secret',
  key: 'mapHostSecrets',
  what: 'Secrets',
  // The host namespace holds the control plane's own Secrets: only named ones may be shown.
  limits: { hostNamespaceWide: false },
});
