import { field } from '../../config/fields.ts';
import { defineKind } from '../../sync/kind.ts';
import { CRUD } from '../shared/data-object.ts';
import { ingressesKind } from './ingresses-kind.ts';
import { invalidReservedHosts } from '../shared/reserved-hosts.ts';
import type { HostCertManager } from './cert-manager.ts';

/**
 * The virtual API server's host names, which no tenant object may serve on the host's ingress or
 * gateway controllers. An Ingress setting (its flag keeps the name), read by the Gateway API kinds too.
 */
export const RESERVED_HOST_FIELD = field({
  flag: 'reserved-ingress-host',
  key: 'reservedIngressHosts',
  kind: 'list',
  default: [],
  repeatable: true,
  valueName: 'host',
  description:
    "host a tenant's Ingress (rules or TLS; a \"*.\" wildcard covers one label) or Gateway API Gateway or route (listener and route hostnames; a wildcard covers any depth) may not name: the virtual API server's own, on ingress or gateway controllers shared with it (the chart passes controlPlane.ingress's hosts and proxy.extraSANs names); a TLSRoute must then name hostnames",
  validate: (hosts) => invalidReservedHosts(hosts as string[]),
});

/**
 * The host names tenants may serve on the host's ingress and gateway controllers, when an admin
 * bounds them (empty: any but the reserved ones). An Ingress setting read by the Gateway API kinds too.
 */
export const ALLOWED_HOST_FIELD = field({
  flag: 'allowed-ingress-host',
  key: 'allowedIngressHosts',
  kind: 'list',
  default: [],
  repeatable: true,
  valueName: 'host',
  description:
    'host a tenant\'s Ingress or Gateway API Gateway or route may name, a "*." wildcard covering every name under it at any depth (none: any host not reserved); once one is given, every host must lie within one, and an Ingress rule or defaultBackend without a host, or a Gateway listener without a hostname, is refused (it serves every name)',
  validate: (hosts) => invalidReservedHosts(hosts as string[]),
});

/**
 * Ingresses, virtual → host, with the host's load-balancer status back. Off by default, as in
 * vCluster: an Ingress only means something where the host runs an ingress controller for it.
 * With `hostCertManager` (integrations.certManager), the TLS Secrets of an Ingress annotated for
 * cert-manager are filled by the host's (see cert-manager.ts).
 */
export const ingressesDescriptorFor = (hostCertManager: HostCertManager | undefined) =>
  defineKind({
    name: 'ingresses',
    description:
      "Ingresses, virtual → host; backends and secrets renamed to this tenant's copies, status back",
    defaultOn: false,
    eventKind: 'Ingress',
    fields: [RESERVED_HOST_FIELD, ALLOWED_HOST_FIELD],
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
    build: (options, where) =>
      ingressesKind(where, options.reservedIngressHosts, options.allowedIngressHosts, hostCertManager),
  });
