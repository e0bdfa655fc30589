import { splitKey } from '../../kube/object.ts';
import { isDnsLabel, isDnsSubdomain } from '../../naming/dns-names.ts';

/**
 * The mappings of `--map-host-configmap` and `--map-host-secret` (vCluster's
 * sync.fromHost.configMaps/secrets.mappings.byName): which host objects are shown in the virtual
 * cluster, and under which namespace and name. The host's admin writes them; a tenant never
 * chooses what a mapping names. Each entry is `<host>=<virtual>`:
 *
 * | host          | virtual                      | shows                                               |
 * | ------------- | ---------------------------- | --------------------------------------------------- |
 * | `ns/name`     | `vns/vname` or `vns/*`       | that object, as vns/vname (or under its own name)   |
 * | `ns/*`        | `vns/*`                      | every object of host namespace ns, in vns           |
 * | `/name`       | `vns/vname` or `vns/*`       | that object of the virtual cluster's host namespace |
 * | `` (empty)    | `vns` or `vns/*`             | every object of the virtual cluster's host namespace |
 *
 * An object named exactly wins over a namespace's `*`.
 */

const ALL = '*';

/** Host objects → virtual objects, resolved from the entries against the host namespace. */
export interface HostDataMappings {
  /** `ns/name` → `vns/vname`, or `vns/*` to keep the host name. */
  readonly exact: ReadonlyMap<string, string>;
  /** Host namespace → virtual namespace, for every object of it. */
  readonly namespaces: ReadonlyMap<string, string>;
}

interface Entry {
  host: { namespace: string; name: string };
  virtual: { namespace: string; name: string };
}

const validNamespace = isDnsLabel;
/** An object name: a DNS subdomain (config map and secret names may hold dots). */
const validName = (name: string) => name === ALL || isDnsSubdomain(name);

/** Parses one entry, resolving the forms that mean the host namespace; a string says what is wrong. */
function parseEntry(entry: string, hostNamespace: string): Entry | string {
  const at = ` in ${JSON.stringify(entry)}`;
  const eq = entry.indexOf('=');
  if (eq < 0 || entry.indexOf('=', eq + 1) >= 0)
    return `must be <host-namespace>/<name>=<virtual-namespace>/<name> (or ns/*=vns/*, /name=vns/name, =vns), got ${JSON.stringify(entry)}`;
  const hostPart = entry.slice(0, eq).trim();
  const virtualPart = entry.slice(eq + 1).trim();

  let host: Entry['host'];
  if (hostPart === '') host = { namespace: hostNamespace, name: ALL };
  else {
    const parts = hostPart.split('/');
    if (parts.length !== 2)
      return `the host side must be <namespace>/<name>, <namespace>/*, /<name> or empty${at}`;
    host = { namespace: parts[0] || hostNamespace, name: parts[1]! };
    if (!validNamespace(host.namespace)) return `the host namespace is not a DNS label${at}`;
    if (!validName(host.name)) return `the host name is not a DNS subdomain or *${at}`;
  }

  let virtual: Entry['virtual'];
  if (!virtualPart.includes('/')) {
    if (hostPart !== '')
      return `the virtual side must be <namespace>/<name> or <namespace>/* (a namespace alone only with an empty host side)${at}`;
    virtual = { namespace: virtualPart, name: ALL };
  } else {
    const parts = virtualPart.split('/');
    if (parts.length !== 2) return `the virtual side must be <namespace>/<name> or <namespace>/*${at}`;
    virtual = { namespace: parts[0]!, name: parts[1]! };
    if (!validName(virtual.name)) return `the virtual name is not a DNS subdomain or *${at}`;
  }
  if (!validNamespace(virtual.namespace)) return `the virtual namespace is not a DNS label${at}`;
  if (host.name === ALL && virtual.name !== ALL)
    return `every object of host namespace ${host.namespace} must map to <namespace>/* (each keeps its name)${at}`;
  return { host, virtual };
}

/** What one type's mappings may not name. */
export interface MappingLimits {
  /**
   * False: the virtual cluster's own host namespace may be mapped only object by object (its
   * Secrets include the control plane's own: the datastore's credentials, the chart's release).
   */
  hostNamespaceWide?: boolean;
  /** Virtual names the virtual control plane keeps itself (`kube-root-ca.crt`): never a target. */
  reservedVirtualNames?: readonly string[];
}

/**
 * Reads the entries (host namespace: the virtual cluster's own, for the `/name` and empty forms), or
 * says what is wrong with the first bad one. The same host object or namespace named twice (`/x`
 * and `<host namespace>/x` are the same), or two named objects mapped to one virtual object, is an
 * error; two host namespaces mapped into one virtual namespace are not (a name both hold shows the
 * first object, and the other waits with the reason logged).
 */
export function parseHostDataMappings(
  entries: readonly string[],
  hostNamespace: string,
  limits: MappingLimits = {},
): HostDataMappings | string {
  const exact = new Map<string, string>();
  const namespaces = new Map<string, string>();
  const exactTargets = new Set<string>();
  for (const raw of entries) {
    const entry = parseEntry(raw, hostNamespace);
    if (typeof entry === 'string') return entry;
    const { host, virtual } = entry;
    const at = ` in ${JSON.stringify(raw)}`;
    if (virtual.name !== ALL && limits.reservedVirtualNames?.includes(virtual.name))
      return `virtual ${virtual.name} is kept by the virtual control plane itself and cannot be a target${at}`;
    if (host.name === ALL && host.namespace === hostNamespace && limits.hostNamespaceWide === false)
      return `the host namespace of this virtual cluster may only be mapped object by object (/<name>=<namespace>/<name>): it holds the control plane's own${at}`;
    if (host.name === ALL) {
      if (namespaces.has(host.namespace)) return `host namespace ${host.namespace} is mapped twice`;
      namespaces.set(host.namespace, virtual.namespace);
      continue;
    }
    const key = `${host.namespace}/${host.name}`;
    if (exact.has(key)) return `host object ${key} is mapped twice`;
    const target = `${virtual.namespace}/${virtual.name === ALL ? host.name : virtual.name}`;
    if (exactTargets.has(target)) return `virtual object ${target} is the target of two mappings`;
    exactTargets.add(target);
    exact.set(key, `${virtual.namespace}/${virtual.name}`);
  }
  return { exact, namespaces };
}

/**
 * What is wrong with the entries, or undefined. The real host namespace is not known here (a
 * placeholder stands in): what depends on it is checked again when the kind is built.
 */
export function invalidHostDataMappings(
  entries: readonly string[],
  limits: MappingLimits = {},
): string | undefined {
  const parsed = parseHostDataMappings(entries, 'host-namespace', limits);
  return typeof parsed === 'string' ? parsed : undefined;
}

/** The virtual key a host object (`ns/name`) is shown under, or undefined when no mapping names it. */
export function virtualKeyOf(mappings: HostDataMappings, hostKey: string): string | undefined {
  const { namespace, name } = splitKey(hostKey);
  const exact = mappings.exact.get(hostKey);
  if (exact !== undefined) return exact.endsWith(`/${ALL}`) ? `${exact.slice(0, -ALL.length)}${name}` : exact;
  const virtualNamespace = mappings.namespaces.get(namespace);
  return virtualNamespace === undefined ? undefined : `${virtualNamespace}/${name}`;
}

/** The host objects whose virtual key is this one (the mapping read backwards). */
export function hostKeysOf(mappings: HostDataMappings, virtualKey: string): string[] {
  const { namespace, name } = splitKey(virtualKey);
  const keys = [...mappings.exact.keys()].filter((hostKey) => virtualKeyOf(mappings, hostKey) === virtualKey);
  for (const [hostNamespace, virtualNamespace] of mappings.namespaces)
    if (virtualNamespace === namespace) keys.push(`${hostNamespace}/${name}`);
  return keys;
}

/**
 * What the mappings read on the host: the namespaces mapped whole, and the objects named one by one
 * in other namespaces (each watched alone, so that one named Secret is all a Role need allow).
 */
export function mappedHostScopes(mappings: HostDataMappings): { namespaces: string[]; objects: string[] } {
  const namespaces = [...mappings.namespaces.keys()];
  const objects = [...mappings.exact.keys()].filter((k) => !mappings.namespaces.has(splitKey(k).namespace));
  return { namespaces, objects };
}
