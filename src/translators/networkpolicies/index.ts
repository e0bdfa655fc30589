import { ConfigError } from '../../config/config-error.ts';
import { field } from '../../config/fields.ts';
import { defineKind } from '../../sync/kind.ts';
import { invalidCidrs } from '../shared/address-policy.ts';
import { CRUD } from '../shared/data-object.ts';
import { networkPoliciesKind } from './networkpolicies-kind.ts';

/**
 * NetworkPolicies, virtual → host, each confined to its tenant's pods of its virtual namespace.
 * Off by default, as in vCluster: policies only matter where the host's network plugin enforces them.
 * Where the host limits the tenant's egress (the chart's isolation policy), --tenant-egress-cidr and
 * --tenant-egress-except-cidr say so, and tenant egress rules stay within it: policies add up, so a
 * copied rule allowing more would undo the limit. With --tenant-public-egress=false the host lets the
 * tenant's pods reach no address beyond the virtual cluster: egress rules keep its pods only.
 */
export const networkPoliciesDescriptor = defineKind({
  name: 'networkpolicies',
  description: "NetworkPolicies, virtual → host; selectors confined to this virtual cluster's pods",
  defaultOn: false,
  eventKind: 'NetworkPolicy',
  fields: [
    field({
      flag: 'tenant-egress-cidr',
      key: 'tenantEgressCidrs',
      kind: 'list',
      default: [],
      repeatable: true,
      valueName: 'cidr',
      description:
        "address block the host lets this virtual cluster's pods reach (as its isolation NetworkPolicy does); tenant egress rules are confined to these blocks and to the virtual cluster's pods (kind networkpolicies; empty: rules are copied as written)",
      validate: invalidCidrs,
    }),
    field({
      flag: 'tenant-egress-except-cidr',
      key: 'tenantEgressExceptCidrs',
      kind: 'list',
      default: [],
      repeatable: true,
      valueName: 'cidr',
      description:
        'address block inside --tenant-egress-cidr that tenant egress rules may never allow (other pods and nodes of the host, its API server)',
      validate: invalidCidrs,
    }),
    field({
      flag: 'tenant-public-egress',
      key: 'tenantPublicEgress',
      kind: 'bool',
      default: true,
      description:
        "false: the host lets this virtual cluster's pods reach no address outside it (its isolation NetworkPolicy without public egress); tenant egress rules keep only the virtual cluster's pods (kind networkpolicies)",
    }),
  ],
  hostRbac: [
    { scope: 'namespace', apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: CRUD },
  ],
  build: (options, where) => {
    const except = options.tenantEgressExceptCidrs as string[];
    let cidrs = options.tenantEgressCidrs as string[];
    if (options.tenantPublicEgress === false) {
      if (cidrs.length || except.length)
        throw new ConfigError(
          '--tenant-public-egress',
          'false allows no address outside the virtual cluster, so --tenant-egress-cidr and --tenant-egress-except-cidr have nothing to bound: leave them out',
        );
      return networkPoliciesKind(where, { cidrs: [], except: [] });
    }
    // Excepted blocks alone: everything else stays allowed.
    if (!cidrs.length && except.length) cidrs = ['0.0.0.0/0', '::/0'];
    return networkPoliciesKind(where, cidrs.length ? { cidrs, except } : undefined);
  },
});
