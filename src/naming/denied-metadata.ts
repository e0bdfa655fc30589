import { isLabelKey } from '../util/label-selector.ts';

/**
 * Label and annotation keys an admin keeps off host copies: patterns that are an exact key, or a
 * prefix ending in `*` (`external-dns.alpha.kubernetes.io/*`). Used for pods (--denied-pod-metadata,
 * with the syncer's own defaults) and for every copy (--denied-host-metadata).
 */

/**
 * Keys no host copy of a ConfigMap or Secret gets, whatever the admin configured: those of the
 * replication controllers that act on any namespace's Secrets and ConfigMaps by their annotations.
 * A copy asking to reflect or replicate a host Secret would be filled with it (host data in a copy
 * the tenant's pods mount), and one asking to be spread would put the tenant's content into other
 * host namespaces. And the labels by which the host's Grafana loads configuration from every
 * namespace (its chart's sidecar, searchNamespace ALL as kube-prometheus-stack sets it for
 * dashboards): a copy would put the tenant's dashboards (a stock one's uid among them), data
 * sources (replacing the host's Prometheus), alerting and plugins into the host operators' Grafana.
 * The tenant's own object keeps them, for a Grafana of its own.
 */
export const DATA_COPY_DENIED_KEYS: readonly string[] = [
  'reflector.v1.k8s.emberstack.com/*',
  'replicator.v1.mittwald.de/*',
  // AppsCode's Config Syncer (formerly kubed): `sync` copies the object, labels and annotations
  // included, into every namespace its selector matches, `sync-contexts` into other clusters.
  'kubed.appscode.com/*',
  // The Grafana chart's sidecar labels (its defaults).
  'grafana_dashboard',
  'grafana_datasource',
  'grafana_alert',
  'grafana_notifier',
  'grafana_plugin',
];

/**
 * Keys no host copy of a Service gets: load-balancer implementations give one address to the
 * Services of a namespace that carry the same sharing key, and on the host every tenant's Services
 * are in one namespace: a tenant naming another's key would be given that tenant's address, and
 * receive the traffic for its other ports. The Service is synced without sharing.
 */
export const SERVICE_COPY_DENIED_KEYS: readonly string[] = [
  'metallb.universe.tf/allow-shared-ip',
  'metallb.io/allow-shared-ip',
  'lbipam.cilium.io/sharing-key',
  'lbipam.cilium.io/sharing-cross-namespace',
  // The names Cilium read before, which it still reads.
  'io.cilium/lb-ipam-sharing-key',
  'io.cilium/lb-ipam-sharing-cross-namespace',
  'purelb.io/allow-shared-ip',
  // Controllers that read a Service's annotations as orders from its namespace's owner, which on the
  // host is the host's admin: Datadog's cluster agent runs the checks these configure (any URL, from
  // the agent's network, with its secrets resolved in them); Consul's catalog sync registers the
  // Service under the Consul name given here (any of the organisation's services); the Tailscale
  // operator publishes it on the tailnet, or makes an egress proxy to a tailnet address.
  'ad.datadoghq.com/*',
  'consul.hashicorp.com/*',
  'tailscale.com/*',
];

/**
 * Rancher's record of where a Service or Ingress is reached, written by the Rancher of the cluster
 * the object is in: copied neither way (as vCluster). Down, a host Rancher would overwrite the
 * tenant's Rancher's value and the syncer write it back, without end; up, the host's names host
 * namespaces and copies.
 */
export const RANCHER_ENDPOINT_KEYS: readonly string[] = ['field.cattle.io/publicEndpoints'];

/** Whether a host annotation is Rancher's record of where the object is reached (RANCHER_ENDPOINT_KEYS). */
export const isRancherEndpointKey = (key: string): boolean => isDeniedMetadataKey(key, RANCHER_ENDPOINT_KEYS);

/**
 * The leader election record of client-go's Endpoints lock (before Leases, still used by older
 * controllers), which the virtual cluster's mirroring controller copies onto the Endpoints' slices:
 * it changes at every renewal, every few seconds, and means nothing on the host. Copied, each renewal
 * would cost a host write (as vCluster, left off).
 */
export const LEADER_ELECTION_KEYS: readonly string[] = ['control-plane.alpha.kubernetes.io/leader'];

/**
 * Keys no host copy of a PersistentVolumeClaim gets: a provisioner's per-claim configuration that
 * overrides its class's. OpenEBS Local PV (before its --allow-insecure-pvc-basepath-override) lets a
 * claim's `cas.openebs.io/config` choose the node directory its hostPath volume is made under.
 */
export const CLAIM_COPY_DENIED_KEYS: readonly string[] = ['cas.openebs.io/config'];

/** Whether a label or annotation key matches one of the patterns. */
export function isDeniedMetadataKey(key: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? key.startsWith(p.slice(0, -1)) : key === p));
}

/**
 * Values by which a pod opts out of a host injector whose keys are denied: they can only turn the
 * injector off, so they pass, else a tenant's pod could not escape an injector the host runs for
 * every pod of its namespace (Datadog's `mutateUnlabelled`, a namespace-wide OpenTelemetry
 * injection). Patterns as in isDeniedMetadataKey, each with the values that mean off.
 */
const INJECTOR_OPT_OUTS: readonly [pattern: string, values: readonly string[]][] = [
  ['sidecar.opentelemetry.io/inject', ['false']],
  ['instrumentation.opentelemetry.io/inject-*', ['false']],
  ['admission.datadoghq.com/enabled', ['false']],
  ['vault.hashicorp.com/agent-inject', ['false']],
  ['vault.security.banzaicloud.io/mutate', ['skip']],
  ['dapr.io/enabled', ['false']],
  ['consul.hashicorp.com/connect-inject', ['false']],
  ['consul.hashicorp.com/service-sync', ['false']],
  ['kuma.io/sidecar-injection', ['false', 'disabled']],
];

/** Whether a key and value only turn a host injector off (INJECTOR_OPT_OUTS). */
export const isInjectorOptOut = (key: string, value: string): boolean =>
  INJECTOR_OPT_OUTS.some(
    ([pattern, values]) => isDeniedMetadataKey(key, [pattern]) && values.includes(value),
  );

/**
 * A label or annotation map without the denied keys (the same map when no pattern is given); a
 * denied key whose value only turns a host injector off is kept (isInjectorOptOut).
 */
export function withoutDeniedKeys(
  map: Record<string, string>,
  patterns: readonly string[],
): Record<string, string> {
  if (!patterns.length) return map;
  return Object.fromEntries(
    Object.entries(map).filter(
      ([key, value]) => !isDeniedMetadataKey(key, patterns) || isInjectorOptOut(key, value),
    ),
  );
}

/** Characters of a key (prefix and name), for a pattern's prefix part. */
const KEY_CHARACTERS = /^[A-Za-z0-9._/-]+$/;

/**
 * What is wrong with a pattern, or undefined. A bare `*` is refused: it would take every tenant
 * label off the copies, pods' included, and with them what the host's Services select.
 */
export function deniedMetadataPatternProblem(pattern: string): string | undefined {
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    if (prefix === '') return 'a bare "*" would drop every label; name a prefix such as "example.com/*"';
    if (!KEY_CHARACTERS.test(prefix) || (prefix.match(/\//g)?.length ?? 0) > 1)
      return `${JSON.stringify(pattern)} is not a key prefix followed by "*"`;
    return undefined;
  }
  return isLabelKey(pattern)
    ? undefined
    : `${JSON.stringify(pattern)} is not a label or annotation key (such as example.com/name)`;
}

/** The first problem of a pattern list, naming the pattern, or undefined. */
export function invalidDeniedMetadataPatterns(patterns: readonly string[]): string | undefined {
  for (const pattern of patterns) {
    const problem = deniedMetadataPatternProblem(pattern);
    if (problem) return problem;
  }
  return undefined;
}
