import { splitKey } from '../../kube/object.ts';
import { isDnsLabel, isDnsSubdomain } from '../../naming/dns-names.ts';
import type { LabelSelector, LabelSelectorRequirement } from '../../naming/labels.ts';
import { isLabelKey, isLabelValue } from '../../util/label-selector.ts';
import { virtualKeyOf, type HostDataMappings } from '../mapped-host-data/mappings.ts';

/**
 * The config-file section `hostGateways`: which host Gateways a virtual cluster shows its tenants,
 * and on what terms their routes may attach to them (vCluster's `sync.fromHost.gateways`, in its
 * shape, less `enabled` and `patches`: the kind `host-gateways` is the switch). The host's admin
 * writes it; nothing in it is a tenant's choice.
 */
export interface HostGatewaysConfig {
  /**
   * Host Gateways by name (`ns/name` → `vns/vname`) and whole host namespaces (`ns` → `vns`, each
   * Gateway under its own name).
   */
  readonly mappings: HostDataMappings;
  /** Which Gateways of a namespace mapped whole are shown (none: all); one mapped by name always is. */
  readonly selector?: LabelSelector;
  /** The namespaces whose routes may attach, shown on every listener; none: the host's own allowedRoutes. */
  readonly defaultPolicy?: VirtualNamespacePolicy;
  /** Per host Gateway (`ns/name`): its own policy, and the hostnames its routes may claim. */
  readonly overrides: ReadonlyMap<string, GatewayOverride>;
  /** Show the host Gateway's status addresses (off: its load balancer's addresses stay the host's). */
  readonly exposeAddresses: boolean;
  /** Record the host Gateway (`ns/name`) on its virtual copy, in an annotation. */
  readonly exposeSourceGateway: boolean;
  /** Leave out listeners' certificateRefs (host Secrets' names). */
  readonly sanitizeCertificateRefs: boolean;
  /** Leave out `spec.infrastructure` (the host's labels, annotations and parameters). */
  readonly sanitizeInfrastructure: boolean;
}

/** Which virtual namespaces' routes may attach (a listener's allowedRoutes.namespaces, as the tenant sees it). */
export interface VirtualNamespacePolicy {
  readonly from: 'All' | 'Same' | 'Selector';
  readonly selector?: LabelSelector;
}

export interface GatewayOverride {
  readonly policy?: VirtualNamespacePolicy;
  /** Hostnames (`*.example.com` for any name below it) a route must keep to; none: no limit here. */
  readonly allowedHostnames: readonly string[];
}

/** A problem with the section, named by its field path under the config-file key. */
export class HostGatewaysConfigError extends Error {
  readonly field: string;
  readonly problem: string;

  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'HostGatewaysConfigError';
    this.field = field;
    this.problem = problem;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const json = (v: unknown) => JSON.stringify(v);
const ALL = '*';
/** Virtual namespaces the virtual cluster's own components keep: never a target. */
const RESERVED_TARGET_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];

function mapping(raw: unknown, at: string, keys: readonly string[]): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) throw new HostGatewaysConfigError(at, `must be a mapping, got ${json(raw)}`);
  for (const key of Object.keys(raw))
    if (!keys.includes(key))
      throw new HostGatewaysConfigError(`${at}.${key}`, `unknown field (known: ${keys.join(', ')})`);
  return raw;
}

function bool(raw: unknown, at: string, fallback: boolean): boolean {
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw !== 'boolean')
    throw new HostGatewaysConfigError(at, `must be true or false, got ${json(raw)}`);
  return raw;
}

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** A label selector as Kubernetes writes one; undefined when absent or empty. */
export function labelSelectorAt(raw: unknown, at: string): LabelSelector | undefined {
  const s = mapping(raw, at, ['matchLabels', 'matchExpressions']);
  const labels = s.matchLabels ?? {};
  if (!isRecord(labels))
    throw new HostGatewaysConfigError(`${at}.matchLabels`, `must be a mapping, got ${json(labels)}`);
  for (const [key, value] of Object.entries(labels)) {
    if (!isLabelKey(key))
      throw new HostGatewaysConfigError(`${at}.matchLabels`, `${json(key)} is not a label key`);
    if (typeof value !== 'string' || !isLabelValue(value))
      throw new HostGatewaysConfigError(
        `${at}.matchLabels.${key}`,
        `must be a label value, got ${json(value)}`,
      );
  }
  const rawExpressions = s.matchExpressions ?? [];
  if (!Array.isArray(rawExpressions))
    throw new HostGatewaysConfigError(
      `${at}.matchExpressions`,
      `must be a list, got ${json(rawExpressions)}`,
    );
  const expressions = rawExpressions.map((e, i): LabelSelectorRequirement => {
    const eAt = `${at}.matchExpressions[${i}]`;
    const r = mapping(e, eAt, ['key', 'operator', 'values']);
    if (typeof r.key !== 'string' || !isLabelKey(r.key))
      throw new HostGatewaysConfigError(`${eAt}.key`, `must be a label key, got ${json(r.key)}`);
    if (typeof r.operator !== 'string' || !OPERATORS.includes(r.operator))
      throw new HostGatewaysConfigError(
        `${eAt}.operator`,
        `must be one of ${OPERATORS.join(', ')}, got ${json(r.operator)}`,
      );
    const values = r.values ?? [];
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'string'))
      throw new HostGatewaysConfigError(`${eAt}.values`, `must be a list of strings, got ${json(values)}`);
    const needsValues = r.operator === 'In' || r.operator === 'NotIn';
    if (needsValues !== values.length > 0)
      throw new HostGatewaysConfigError(
        `${eAt}.values`,
        needsValues ? `must not be empty with ${r.operator}` : `must be empty with ${r.operator}`,
      );
    return {
      key: r.key,
      operator: r.operator as LabelSelectorRequirement['operator'],
      ...(needsValues ? { values } : {}),
    };
  });
  if (!Object.keys(labels).length && !expressions.length) return undefined;
  return {
    ...(Object.keys(labels).length ? { matchLabels: labels as Record<string, string> } : {}),
    ...(expressions.length ? { matchExpressions: expressions } : {}),
  };
}

/** A `{from, selector}` policy; undefined when `from` is empty (unset, as vCluster reads it). */
function policyAt(raw: unknown, at: string): VirtualNamespacePolicy | undefined {
  const p = mapping(raw, at, ['from', 'selector']);
  if (p.from === undefined || p.from === null || p.from === '') {
    if (labelSelectorAt(p.selector, `${at}.selector`))
      throw new HostGatewaysConfigError(`${at}.from`, 'must be Selector when a selector is given');
    return undefined;
  }
  if (p.from !== 'All' && p.from !== 'Same' && p.from !== 'Selector')
    throw new HostGatewaysConfigError(
      `${at}.from`,
      `must be one of: All, Same, Selector, got ${json(p.from)}`,
    );
  const selector = labelSelectorAt(p.selector, `${at}.selector`);
  if (p.from === 'Selector' && !selector)
    throw new HostGatewaysConfigError(`${at}.selector`, 'must not be empty when from is Selector');
  if (p.from !== 'Selector' && selector)
    throw new HostGatewaysConfigError(`${at}.selector`, `is read only with from: Selector, not ${p.from}`);
  return { from: p.from, ...(selector ? { selector } : {}) };
}

/** `ns/name` or `ns/*`, each part checked; a string says what is wrong. */
function parseSide(side: string): { namespace: string; name: string } | string {
  const parts = side.split('/');
  if (parts.length !== 2) return 'must be <namespace>/<name> or <namespace>/*';
  const [namespace, name] = parts as [string, string];
  if (namespace === '') return 'needs its namespace (the host namespace is not implied)';
  if (!isDnsLabel(namespace)) return `namespace ${json(namespace)} is not a namespace name`;
  if (name === '') return 'needs a name, or *';
  if (name !== ALL && name.includes(ALL)) return '* may only stand for the whole name';
  if (name !== ALL && !isDnsSubdomain(name)) return `name ${json(name)} is not an object name`;
  return { namespace, name };
}

/**
 * `mappings.byName`: `"<host-ns>/<name>": "<virtual-ns>/<name>"` (a Gateway by name, under that
 * name) or `"<host-ns>/*": "<virtual-ns>/*"` (every Gateway of a host namespace, each under its own
 * name). One host Gateway or virtual Gateway appears once: a name inside a namespace mapped whole,
 * on either side, is an error, as are two namespaces mapped into one.
 */
function mappingsAt(raw: unknown, at: string): HostDataMappings {
  const byName = mapping(raw, at, ['byName']).byName;
  const byNameAt = `${at}.byName`;
  if (byName === undefined || byName === null || (isRecord(byName) && !Object.keys(byName).length))
    throw new HostGatewaysConfigError(byNameAt, 'is empty: name the host Gateways to show');
  if (!isRecord(byName))
    throw new HostGatewaysConfigError(byNameAt, `must be a mapping, got ${json(byName)}`);
  const exact = new Map<string, string>();
  const namespaces = new Map<string, string>();
  const targetNamespaces = new Map<string, string>();
  const exactTargets = new Map<string, string>();
  for (const [rawKey, rawValue] of Object.entries(byName)) {
    const entryAt = `${byNameAt}[${json(rawKey)}]`;
    if (typeof rawValue !== 'string')
      throw new HostGatewaysConfigError(entryAt, `must be a string, got ${json(rawValue)}`);
    const host = parseSide(rawKey);
    if (typeof host === 'string') throw new HostGatewaysConfigError(entryAt, `the host side ${host}`);
    const virtual = parseSide(rawValue);
    if (typeof virtual === 'string')
      throw new HostGatewaysConfigError(entryAt, `the virtual side ${virtual}`);
    if (RESERVED_TARGET_NAMESPACES.includes(virtual.namespace))
      throw new HostGatewaysConfigError(
        entryAt,
        `virtual namespace ${virtual.namespace} is the cluster's own`,
      );
    if ((host.name === ALL) !== (virtual.name === ALL))
      throw new HostGatewaysConfigError(
        entryAt,
        host.name === ALL
          ? 'a whole host namespace maps to a whole virtual namespace (<namespace>/*)'
          : 'a host Gateway named maps to a virtual Gateway named (<namespace>/<name>)',
      );
    if (host.name === ALL) {
      const earlier = targetNamespaces.get(virtual.namespace);
      if (earlier)
        throw new HostGatewaysConfigError(
          entryAt,
          `virtual namespace ${virtual.namespace} is the target of ${json(earlier)} too`,
        );
      targetNamespaces.set(virtual.namespace, rawKey);
      namespaces.set(host.namespace, virtual.namespace);
    } else {
      const target = `${virtual.namespace}/${virtual.name}`;
      const earlier = exactTargets.get(target);
      if (earlier)
        throw new HostGatewaysConfigError(
          entryAt,
          `virtual Gateway ${target} is the target of ${json(earlier)} too`,
        );
      exactTargets.set(target, rawKey);
      exact.set(`${host.namespace}/${host.name}`, target);
    }
  }
  for (const [hostKey, target] of exact) {
    const { namespace } = splitKey(hostKey);
    if (namespaces.has(namespace))
      throw new HostGatewaysConfigError(
        byNameAt,
        `${json(hostKey)} is inside ${json(`${namespace}/*`)}, mapped whole`,
      );
    const into = targetNamespaces.get(splitKey(target).namespace);
    if (into)
      throw new HostGatewaysConfigError(
        byNameAt,
        `the target ${json(target)} is inside the namespace ${json(into)} maps into`,
      );
  }
  return { exact, namespaces };
}

const HOSTNAME_PATTERN = (h: string) => (h.startsWith('*.') ? isDnsSubdomain(h.slice(2)) : isDnsSubdomain(h));

/** Reads the section (undefined when absent); throws HostGatewaysConfigError naming the field. */
export function parseHostGatewaysConfig(raw: unknown, at = 'hostGateways'): HostGatewaysConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const s = mapping(raw, at, ['mappings', 'selector', 'allowedRoutes', 'status', 'metadata', 'sanitize']);
  const mappings = mappingsAt(s.mappings, `${at}.mappings`);
  const routes = mapping(s.allowedRoutes, `${at}.allowedRoutes`, [
    'defaultVirtualNamespacePolicy',
    'overrides',
  ]);
  const defaultPolicy = policyAt(
    routes.defaultVirtualNamespacePolicy,
    `${at}.allowedRoutes.defaultVirtualNamespacePolicy`,
  );
  const rawOverrides = routes.overrides ?? [];
  if (!Array.isArray(rawOverrides))
    throw new HostGatewaysConfigError(
      `${at}.allowedRoutes.overrides`,
      `must be a list, got ${json(rawOverrides)}`,
    );
  const overrides = new Map<string, GatewayOverride>();
  rawOverrides.forEach((o, i) => {
    const oAt = `${at}.allowedRoutes.overrides[${i}]`;
    const r = mapping(o, oAt, ['hostNamespace', 'name', 'virtualNamespacePolicy', 'allowedHostnames']);
    const key = `${typeof r.hostNamespace === 'string' ? r.hostNamespace : ''}/${typeof r.name === 'string' ? r.name : ''}`;
    // One Gateway, by its exact name: a pattern (`*`) would be taken and then match nothing.
    if (
      typeof r.hostNamespace !== 'string' ||
      !isDnsLabel(r.hostNamespace) ||
      typeof r.name !== 'string' ||
      !isDnsSubdomain(r.name)
    )
      throw new HostGatewaysConfigError(
        oAt,
        `must name one host Gateway by hostNamespace and name, got ${json(key)}`,
      );
    if (!virtualKeyOf(mappings, key))
      throw new HostGatewaysConfigError(
        oAt,
        `names host Gateway ${key}, which mappings.byName does not show`,
      );
    if (overrides.has(key))
      throw new HostGatewaysConfigError(oAt, `host Gateway ${key} has an override already`);
    const hostnames = r.allowedHostnames ?? [];
    if (!Array.isArray(hostnames))
      throw new HostGatewaysConfigError(`${oAt}.allowedHostnames`, `must be a list, got ${json(hostnames)}`);
    const allowedHostnames = hostnames.map((h, j) => {
      const name = typeof h === 'string' ? h.trim().toLowerCase() : '';
      if (!HOSTNAME_PATTERN(name))
        throw new HostGatewaysConfigError(
          `${oAt}.allowedHostnames[${j}]`,
          `is not a hostname or *.<domain>: ${json(h)}`,
        );
      return name;
    });
    overrides.set(key, {
      policy: policyAt(r.virtualNamespacePolicy, `${oAt}.virtualNamespacePolicy`),
      allowedHostnames,
    });
  });
  const status = mapping(s.status, `${at}.status`, ['exposeAddresses']);
  const metadata = mapping(s.metadata, `${at}.metadata`, ['exposeSourceGateway']);
  const sanitize = mapping(s.sanitize, `${at}.sanitize`, ['certificateRefs', 'infrastructure']);
  return {
    mappings,
    selector: labelSelectorAt(s.selector, `${at}.selector`),
    defaultPolicy,
    overrides,
    exposeAddresses: bool(status.exposeAddresses, `${at}.status.exposeAddresses`, false),
    exposeSourceGateway: bool(metadata.exposeSourceGateway, `${at}.metadata.exposeSourceGateway`, false),
    // Both on unless the admin says otherwise, as vCluster's defaults.
    sanitizeCertificateRefs: bool(sanitize.certificateRefs, `${at}.sanitize.certificateRefs`, true),
    sanitizeInfrastructure: bool(sanitize.infrastructure, `${at}.sanitize.infrastructure`, true),
  };
}
