import { field } from '../../config/fields.ts';
import { defineKind } from '../../sync/kind.ts';
import { DEFAULT_DENIED_ENDPOINT_CIDRS, invalidCidrs } from '../shared/address-policy.ts';
import { CRUD } from '../shared/data-object.ts';
import { endpointsKind } from './endpoints-kind.ts';

/**
 * Which private addresses a tenant's endpoints may name (see EndpointAddressBounds). Declared here,
 * read by the endpointslices kind too (the same addresses are refused in either form) and by the
 * services kind (an ExternalName may not name them either).
 */
export const ENDPOINT_ADDRESS_FIELDS = [
  field({
    flag: 'denied-endpoint-cidr',
    key: 'deniedEndpointCidrs',
    kind: 'list',
    default: DEFAULT_DENIED_ENDPOINT_CIDRS,
    repeatable: true,
    valueName: 'cidr',
    description:
      "address block the Endpoints and EndpointSlices of a tenant's selector-less Services (and its ExternalName Services) may not name unless it is one of the virtual cluster's pods: the host's other pods, nodes and API server live there (by default the private ranges and the special-purpose blocks no outside service has)",
    validate: invalidCidrs,
  }),
  field({
    flag: 'allowed-endpoint-cidr',
    key: 'allowedEndpointCidrs',
    kind: 'list',
    default: [],
    repeatable: true,
    valueName: 'cidr',
    description:
      'address block inside --denied-endpoint-cidr that tenant endpoints may name after all (a service outside the cluster on a private address)',
    validate: invalidCidrs,
  }),
] as const;

/** Endpoints of selector-less Services, virtual → host, with addresses a tenant may not use dropped. */
export const endpointsDescriptor = defineKind({
  name: 'endpoints',
  description: 'Endpoints of Services without a selector, virtual → host',
  defaultOn: true,
  eventKind: 'Endpoints',
  fields: ENDPOINT_ADDRESS_FIELDS,
  hostRbac: [
    { scope: 'namespace', apiGroups: [''], resources: ['endpoints'], verbs: CRUD },
    // Every pod of the namespace: an Endpoints address must not be another tenant's pod.
    { scope: 'namespace', apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    // The host controller's Endpoints are replaced only once the Service's host copy is provably ours.
    { scope: 'namespace', apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
  ],
  build: (options, where) =>
    endpointsKind(where, { denied: options.deniedEndpointCidrs, allowed: options.allowedEndpointCidrs }),
});
