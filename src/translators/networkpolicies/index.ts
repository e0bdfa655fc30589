import { defineKind } from '../../sync/kind.ts';
import { CRUD } from '../shared/data-object.ts';
import { networkPoliciesKind } from './networkpolicies-kind.ts';

/**
 * NetworkPolicies, virtual → host, each confined to its tenant's pods of its virtual namespace.
 * Off by default, as in vCluster: policies only matter where the host's network plugin enforces them.
 */
export const networkPoliciesDescriptor = defineKind({
  name: 'networkpolicies',
  description: "NetworkPolicies, virtual → host; selectors confined to this virtual cluster's pods",
  defaultOn: false,
  eventKind: 'NetworkPolicy',
  fields: [],
  hostRbac: [
    { scope: 'namespace', apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: CRUD },
  ],
  build: (_options, where) => networkPoliciesKind(where),
});
