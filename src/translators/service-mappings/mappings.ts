import { isDnsLabel } from '../../naming/dns-names.ts';

/**
 * The Service mappings of `--map-host-service` and `--map-virtual-service` (vCluster's
 * networking.replicateServices.fromHost and .toHost, and its v0.19 flags of the same names): which
 * Service of one cluster is replicated under which name in the other. The host's admin writes
 * them; a tenant never chooses what a mapping names.
 */

/** `namespace/name` on both sides: keys as the informers know them. */
export type ServiceMappings = ReadonlyMap<string, string>;

function checkKey(key: string, what: string, entry: string): string | undefined {
  const parts = key.split('/');
  if (parts.length !== 2 || !parts.every(isDnsLabel))
    return `${what} must be <namespace>/<name> (DNS labels), got ${JSON.stringify(key)} in ${JSON.stringify(entry)}`;
  return undefined;
}

function checkName(name: string, entry: string): string | undefined {
  if (!isDnsLabel(name))
    return `the host Service must be a DNS label, got ${JSON.stringify(name)} in ${JSON.stringify(entry)}`;
  return undefined;
}

function split(entry: string): [string, string] | undefined {
  const parts = entry.split('=');
  return parts.length === 2 ? [parts[0]!.trim(), parts[1]!.trim()] : undefined;
}

/** What is wrong with `--map-host-service` entries (`host-ns/name=virtual-ns/name`), or undefined. */
export function invalidHostServiceMappings(entries: readonly string[]): string | undefined {
  const targets = new Set<string>();
  const sources = new Set<string>();
  for (const entry of entries) {
    const pair = split(entry);
    if (!pair)
      return `must be <host-namespace>/<name>=<virtual-namespace>/<name>, got ${JSON.stringify(entry)}`;
    const problem =
      checkKey(pair[0], 'the host Service', entry) ?? checkKey(pair[1], 'the virtual Service', entry);
    if (problem) return problem;
    if (sources.has(pair[0])) return `host Service ${pair[0]} is mapped twice`;
    if (targets.has(pair[1])) return `virtual Service ${pair[1]} is the target of two mappings`;
    if (pair[1] === 'default/kubernetes')
      return 'virtual Service default/kubernetes is the virtual API server';
    sources.add(pair[0]);
    targets.add(pair[1]);
  }
  return undefined;
}

/**
 * What is wrong with `--map-virtual-service` entries (`virtual-ns/name=host-name`, or
 * `<host namespace>/host-name`), or undefined. The host side is a Service of the virtual cluster's
 * own host namespace: a Service selects pods of its namespace only, and the tenant's pods run there
 * (without `hostNamespace`, only the shape is checked).
 */
export function invalidVirtualServiceMappings(
  entries: readonly string[],
  hostNamespace?: string,
): string | undefined {
  const targets = new Set<string>();
  const sources = new Set<string>();
  for (const entry of entries) {
    const pair = split(entry);
    if (!pair) return `must be <virtual-namespace>/<name>=<host-name>, got ${JSON.stringify(entry)}`;
    const problem = checkKey(pair[0], 'the virtual Service', entry);
    if (problem) return problem;
    const host = pair[1].includes('/') ? pair[1].split('/') : [hostNamespace, pair[1]];
    if (host.length !== 2 || (hostNamespace !== undefined && host[0] !== hostNamespace))
      return `the host Service must be in the host namespace${hostNamespace ? ` ${hostNamespace}` : ''} (the tenant's pods run there), got ${JSON.stringify(pair[1])}`;
    const nameProblem = checkName(host[1]!, entry);
    if (nameProblem) return nameProblem;
    if (sources.has(pair[0])) return `virtual Service ${pair[0]} is mapped twice`;
    if (targets.has(host[1]!)) return `host Service ${host[1]} is the target of two mappings`;
    sources.add(pair[0]);
    targets.add(host[1]!);
  }
  return undefined;
}

/** `--map-host-service` entries as host key → virtual key (validated first). */
export function parseHostServiceMappings(entries: readonly string[]): ServiceMappings {
  return new Map(entries.map((e) => split(e)!));
}

/** `--map-virtual-service` entries as virtual key → host key in `hostNamespace` (validated first). */
export function parseVirtualServiceMappings(
  entries: readonly string[],
  hostNamespace: string,
): ServiceMappings {
  return new Map(
    entries.map((e) => {
      const [from, to] = split(e)!;
      return [from, to.includes('/') ? to : `${hostNamespace}/${to}`];
    }),
  );
}

/** The mapping the other way: target key → source key. */
export function reversed(mappings: ServiceMappings): ServiceMappings {
  return new Map([...mappings].map(([from, to]) => [to, from]));
}
