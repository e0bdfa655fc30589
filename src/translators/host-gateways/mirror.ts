import { splitKey, type KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { OBJECT_HOST_NAMESPACE_ANNOTATION } from '../../naming/labels.ts';
import { cloneJson } from '../../util/json.ts';
import { selectorMatches } from '../../util/label-selector.ts';
import { REPLICA_KEY_ANNOTATION, REPLICA_KIND_ANNOTATION } from '../mapped-host-data/kind.ts';
import { virtualCopyOf } from '../shared/from-host.ts';
import { isDnsSubdomain } from '../../naming/dns-names.ts';
import type { HostGatewaysConfig, VirtualNamespacePolicy } from './config.ts';

/** The kind that shows host Gateways: its name marks its copies (REPLICA_KIND_ANNOTATION). */
export const HOST_GATEWAYS_KIND = 'host-gateways';
/** vCluster's label on a Gateway imported from the host, which its users select by. */
export const IMPORTED_GATEWAY_LABEL = 'vcluster.loft.sh/imported-gateway';
/** vCluster's annotation naming the host Gateway (`namespace/name`), with metadata.exposeSourceGateway. */
export const SOURCE_GATEWAY_ANNOTATION = 'vcluster.loft.sh/source-gateway';
/**
 * A TLS option marking listeners whose certificateRefs were left out: the Gateway API requires a
 * terminating listener to name certificates or options, and the copy must still be a valid Gateway.
 */
export const CERTIFICATE_REFS_SANITIZED_OPTION = 'vcluster.loft.sh/certificate-refs-sanitized';

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const records = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isRecord) : []);

/**
 * Whether a host Gateway is shown: mapped by name (always), or in a namespace mapped whole and
 * selected by the admin's selector (none: every one).
 */
export function isImported(config: HostGatewaysConfig, host: KubeObject): boolean {
  const key = `${host.metadata?.namespace ?? ''}/${host.metadata?.name ?? ''}`;
  if (config.mappings.exact.has(key)) return true;
  if (!config.mappings.namespaces.has(host.metadata?.namespace ?? '')) return false;
  return !config.selector || selectorMatches(config.selector, host.metadata?.labels ?? {});
}

/** The policy shown on a host Gateway's listeners: its override's, else the default; none keeps the host's. */
export function policyFor(config: HostGatewaysConfig, hostKey: string): VirtualNamespacePolicy | undefined {
  return config.overrides.get(hostKey)?.policy ?? config.defaultPolicy;
}

/**
 * The spec a host Gateway shows: the host's, with the listeners' allowedRoutes replaced by the
 * admin's policy (when there is one: the host's own name host namespaces, which mean nothing to a
 * tenant), and, as the admin chose, without certificateRefs (host Secrets) and infrastructure.
 */
function mirroredSpec(config: HostGatewaysConfig, host: KubeObject, hostKey: string): Json {
  const spec: Json = isRecord(host.spec) ? cloneJson(host.spec) : {};
  const policy = policyFor(config, hostKey);
  if (config.sanitizeInfrastructure) delete spec.infrastructure;
  for (const listener of records(spec.listeners)) {
    if (policy)
      listener.allowedRoutes = {
        namespaces: {
          from: policy.from,
          ...(policy.selector ? { selector: cloneJson(policy.selector) } : {}),
        },
      };
    const tls = listener.tls;
    if (config.sanitizeCertificateRefs && isRecord(tls)) {
      delete tls.certificateRefs;
      const terminates = tls.mode === undefined || tls.mode === 'Terminate';
      if (terminates && !(isRecord(tls.options) && Object.keys(tls.options).length))
        tls.options = { [CERTIFICATE_REFS_SANITIZED_OPTION]: 'true' };
    }
  }
  return spec;
}

/**
 * The virtual Gateway a host Gateway is shown as, at `virtualKey`: its labels and annotations, the
 * syncer's records (whose copy, of which host object, made where), vCluster's imported label, and the
 * mirrored spec. Status is written apart (mirroredStatus).
 */
export function mirroredGateway(
  config: HostGatewaysConfig,
  host: KubeObject,
  virtualKey: string,
): KubeObject {
  const hostKey = `${host.metadata?.namespace ?? ''}/${host.metadata?.name ?? ''}`;
  const { namespace, name } = splitKey(virtualKey);
  const { [SOURCE_GATEWAY_ANNOTATION]: _source, ...hostAnnotations } = host.metadata?.annotations ?? {};
  const copy = virtualCopyOf(
    {
      ...host,
      metadata: {
        ...host.metadata,
        labels: { ...(host.metadata?.labels ?? {}), [IMPORTED_GATEWAY_LABEL]: 'true' },
        annotations: hostAnnotations,
      },
      spec: mirroredSpec(config, host, hostKey),
    },
    Resources.gateways,
    {
      namespace,
      name,
      annotations: {
        [OBJECT_HOST_NAMESPACE_ANNOTATION]: host.metadata?.namespace ?? '',
        [REPLICA_KIND_ANNOTATION]: HOST_GATEWAYS_KIND,
        [REPLICA_KEY_ANNOTATION]: virtualKey,
        ...(config.exposeSourceGateway ? { [SOURCE_GATEWAY_ANNOTATION]: hostKey } : {}),
      },
    },
  );
  return copy;
}

/**
 * The status a host Gateway shows: the host's, without its addresses unless the admin exposes them,
 * with conditions current on the host current on the copy (its generations are the virtual API
 * server's).
 */
export function mirroredStatus(
  config: HostGatewaysConfig,
  host: KubeObject,
  virtualGeneration: number | undefined,
): Json {
  const status: Json = isRecord(host.status) ? cloneJson(host.status) : {};
  if (!config.exposeAddresses) delete status.addresses;
  const hostGeneration = host.metadata?.generation;
  const conditionLists = [status.conditions, ...records(status.listeners).map((l) => l.conditions)];
  for (const condition of conditionLists.flatMap(records)) {
    if (typeof condition.observedGeneration !== 'number' || hostGeneration === undefined) continue;
    if (virtualGeneration === undefined) delete condition.observedGeneration;
    else
      condition.observedGeneration =
        condition.observedGeneration >= hostGeneration
          ? virtualGeneration
          : Math.max(0, virtualGeneration - 1);
  }
  return status;
}

/** A route's hostname as the Gateway API allows it: a DNS name, or `*.` and one. */
const isRouteHostname = (h: string) => isDnsSubdomain(h.startsWith('*.') ? h.slice(2) : h);

/**
 * Whether a route's hostnames keep to an override's allowedHostnames (exact, or `*.domain` for any
 * name below the domain, not the domain itself), or why not. No override, or one without hostnames,
 * limits nothing here.
 */
export function hostnameRefusal(
  config: HostGatewaysConfig,
  hostKey: string,
  virtualName: string,
  kind: string,
  hostnames: readonly string[],
): string | undefined {
  const allowed = config.overrides.get(hostKey)?.allowedHostnames ?? [];
  if (!allowed.length) return undefined;
  if (!hostnames.length)
    return `a ${kind} with no hostnames is not permitted by imported Gateway "${virtualName}"'s hostname policy`;
  for (const raw of hostnames) {
    // As the Gateway API writes hostnames (the host's CRD checks the same; the tenant's need not).
    if (!isRouteHostname(raw)) return `hostname "${raw}" is not a hostname`;
    const hostname = raw.toLowerCase();
    // `*.example.com` allows any name below example.com (a route's own wildcards too), not example.com.
    const ok = allowed.some((pattern) =>
      pattern.startsWith('*.') ? hostname.endsWith(pattern.slice(1)) : hostname === pattern,
    );
    if (!ok)
      return `hostname "${raw}" is not permitted by imported Gateway "${virtualName}"'s hostname policy`;
  }
  return undefined;
}
