import { defineKind } from '../../sync/kind.ts';
import { CRUD } from '../shared/data-object.ts';
import { ingressesKind } from './ingresses-kind.ts';

/**
 * Ingresses, virtual → host, with the host's load-balancer status back. Off by default, as in
 * vCluster: an Ingress only means something where the host runs an ingress controller for it.
 */
export const ingressesDescriptor = defineKind({
  name: 'ingresses',
  description: "Ingresses, virtual → host; backends and secrets renamed to this tenant's copies, status back",
  defaultOn: false,
  eventKind: 'Ingress',
  fields: [],
  hostRbac: [
    { scope: 'namespace', apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: CRUD },
    // The copies of the Services and Secrets an Ingress names, to prove them ours before naming them.
    {
      scope: 'namespace',
      apiGroups: [''],
      resources: ['services', 'secrets'],
      verbs: ['get', 'list', 'watch'],
    },
  ],
  build: (_options, where) => ingressesKind(where),
});
