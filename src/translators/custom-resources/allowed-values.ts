import { isJsonObject } from '../../util/json.ts';
import { controllerUrlRefusal, hostObjectAnnotationsRefusal } from '../shared/host-object-annotations.ts';
import { gatewayHostnamesOverlap, requestedNamesRefusal } from '../shared/reserved-hosts.ts';
import {
  conditionHolds,
  SECRET_TYPE,
  type CustomResourceAllowedKeys,
  type CustomResourceAllowedValues,
  type CustomResourceEntry,
} from './config.ts';
import { valuesAt, type PathSegment } from './path.ts';
import { serverRefusal } from './servers.ts';
import { HOST_REACHING_TEMPLATE_FUNCTIONS, refusedTemplateCall } from '../shared/go-template.ts';

/**
 * Why an object may not reach the host for a field the admin limited (`allowedValues`), or
 * undefined when every such field holds an allowed value (or is absent where that is allowed).
 * With `[]` in the path, every item is held to it. No values (optional only): the field may not be set.
 */
export function allowedValuesRefusal(
  obj: unknown,
  rules: readonly CustomResourceAllowedValues[],
): string | undefined {
  for (const rule of rules) {
    if (rule.when && !conditionHolds(rule.when, obj)) continue;
    const { values, problem } = valuesAt(obj, rule.segments, { absent: true });
    if (problem) return problem;
    const allowed = rule.pattern
      ? `it may only ${rule.values.length ? `be one of ${JSON.stringify(rule.values)} or ` : ''}match ${rule.pattern.source} here`
      : rule.values.length
        ? `it may only be one of ${JSON.stringify(rule.values)} here`
        : 'it may not be set here';
    for (const { location, value } of values) {
      if (value === undefined) {
        if (rule.optional) continue;
        // The field itself is missing, or a field on the way to it (then the message says which).
        return location.replace(/\[\d+\]/g, '[]') === rule.path
          ? `${location} is not set; ${allowed}`
          : `${location} is not set, so neither is ${rule.path}; ${allowed}`;
      }
      if (!rule.values.length && !rule.pattern) return `${location} is set; ${allowed}`;
      if (typeof value === 'string' && rule.pattern?.test(value)) continue;
      // A boolean or a number is held to the values as its text (`isCA: false` to "false").
      const text = typeof value === 'boolean' || typeof value === 'number' ? String(value) : value;
      if (typeof text !== 'string' || !rule.values.includes(text))
        return `${location} is ${JSON.stringify(value)}; ${allowed}`;
    }
  }
  return undefined;
}

/**
 * Why an object may not reach the host for a mapping the admin limited to some keys (`allowedKeys`),
 * or undefined. A key set to null counts as not set, as the API server's defaulting and the host
 * controller's decoding read it.
 */
export function allowedKeysRefusal(
  obj: unknown,
  rules: readonly CustomResourceAllowedKeys[],
): string | undefined {
  for (const rule of rules) {
    const { values, problem } = valuesAt(obj, rule.segments, { absent: true });
    if (problem) return problem;
    const allowed = `it may hold one of ${JSON.stringify(rule.keys)} here`;
    for (const { location, value } of values) {
      if (value === undefined) {
        // Only the field itself missing, under a parent that is set, leaves a choice to make.
        if (rule.required && location.replace(/\[\d+\]/g, '[]') === rule.path)
          return `${location} is not set; ${allowed}`;
        continue;
      }
      if (!isJsonObject(value)) return `${location} must be an object`;
      const set = Object.entries(value)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k]) => k);
      const other = set.find((k) => !rule.keys.includes(k));
      if (other !== undefined) return `${location}.${other} is set; ${allowed}`;
      if (rule.required && set.length === 0)
        return `${location} holds none of ${JSON.stringify(rule.keys)}; ${allowed}`;
    }
  }
  return undefined;
}

/**
 * Why a toHost custom resource may not be on the host at all: an annotation naming a host object a
 * host add-on would act on, or a field holding a value the admin did not allow (fields that are not
 * renamed reach the host as written); undefined when it may.
 */
export const customResourceRefusal = (
  obj: { metadata?: { annotations?: Record<string, string> } },
  entry: Pick<
    CustomResourceEntry,
    'allowedValues' | 'allowedKeys' | 'urls' | 'hosts' | 'servers' | 'references' | 'templates'
  >,
  rules: HostRules,
): string | undefined =>
  hostObjectAnnotationsRefusal(obj.metadata?.annotations) ??
  filledTypeRefusal(obj, entry.references) ??
  allowedValuesRefusal(obj, entry.allowedValues) ??
  allowedKeysRefusal(obj, entry.allowedKeys) ??
  urlsRefusal(obj, entry.urls, rules.hostNamespace) ??
  serversRefusal(obj, entry.servers, rules.allowedServers) ??
  templatesRefusal(obj, entry.templates) ??
  hostsRefusal(obj, entry.hosts, rules);

/**
 * Why the type a tenant gives a Secret its host controller fills (`typeFrom`) may not be made on the
 * host, or undefined. Kubernetes' own types are held to those that are only data: others are acted
 * on by the host (a service-account token Secret is filled by the host's token controller with a
 * token of a host ServiceAccount; a bootstrap token signs nodes in). A type the API server would
 * refuse, or one the host's controller would write otherwise (surrounding spaces), is said here
 * rather than at each retry.
 */
function filledTypeRefusal(obj: unknown, references: CustomResourceEntry['references']): string | undefined {
  for (const ref of references) {
    if (!ref.typeFrom) continue;
    const { values, problem } = valuesAt(obj, ref.typeFrom.segments);
    if (problem) return problem;
    const value = values[0]?.value;
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string' || !SECRET_TYPE.test(value))
      return `${ref.typeFrom.path} is ${JSON.stringify(value)}, which is not a Secret type`;
    if (/^([^/]*\.)?kubernetes\.io\//.test(value) && !DATA_SECRET_TYPES.includes(value))
      return `${ref.typeFrom.path} is ${value}: of Kubernetes' own types only ${DATA_SECRET_TYPES.join(', ')} may be made on the host (the host acts on the others: a service-account token Secret is filled with a token of a host ServiceAccount)`;
  }
  return undefined;
}
/** Kubernetes' Secret types that the host only stores. */
const DATA_SECRET_TYPES = [
  'kubernetes.io/tls',
  'kubernetes.io/basic-auth',
  'kubernetes.io/ssh-auth',
  'kubernetes.io/dockercfg',
  'kubernetes.io/dockerconfigjson',
];

/** What a custom resource's URLs and host names are held to. */
export interface HostRules {
  hostNamespace: string;
  /** --reserved-ingress-host: names no tenant object may serve on the host's shared controllers. */
  reservedHosts: readonly string[];
  /** --allowed-ingress-host: when set, the only names tenants may serve there. */
  allowedHosts: readonly string[];
  /** --allowed-server-url: servers tenants may name beyond a field's defaults (see servers.ts). */
  allowedServers: readonly string[];
}

/** Why a server a host controller would call may not be named (see servers.ts), or undefined. */
function serversRefusal(
  obj: unknown,
  servers: CustomResourceEntry['servers'],
  allowed: readonly string[],
): string | undefined {
  for (const server of servers) {
    const found = stringsAt(obj, server.segments);
    if (typeof found === 'string') return found;
    for (const { location, value } of found) {
      const refusal = serverRefusal(location, value, server.defaults, allowed);
      if (refusal) return refusal;
    }
  }
  return undefined;
}

/**
 * Why DNS names a host controller would serve or answer for on the host's shared ingress
 * controllers may not be written (a reserved name, such as the virtual API server's own; one outside
 * the allowed names), or undefined.
 */
function hostsRefusal(
  obj: unknown,
  hosts: Pick<CustomResourceEntry, 'hosts'>['hosts'],
  rules: HostRules,
): string | undefined {
  for (const host of hosts) {
    const found = stringsAt(obj, host.segments);
    if (typeof found === 'string') return found;
    const refusal = requestedNamesRefusal(
      found.map(({ value }) => value),
      rules,
      gatewayHostnamesOverlap,
    );
    if (refusal) return `${host.path}: ${refusal}`;
  }
  return undefined;
}

/** The non-empty strings at a path, or why the object is malformed there. */
function stringsAt(
  obj: unknown,
  segments: readonly PathSegment[],
): { location: string; value: string }[] | string {
  const { values, problem } = valuesAt(obj, segments);
  if (problem) return problem;
  const out: { location: string; value: string }[] = [];
  for (const { location, value } of values) {
    if (value === '') continue;
    if (typeof value !== 'string') return `${location} must be a string`;
    out.push({ location, value });
  }
  return out;
}

/**
 * Why a template the host's controller would render may not be written there: it calls a function
 * that reads beyond the object with the controller's rights (another namespace's Secret, the
 * controller's environment), and what it renders comes back to the tenant; undefined when none does.
 */
function templatesRefusal(obj: unknown, templates: CustomResourceEntry['templates']): string | undefined {
  for (const template of templates) {
    const { values, problem } = valuesAt(obj, template.segments);
    if (problem) return problem;
    for (const { location, value } of values)
      for (const text of stringsUnder(value, location)) {
        const call = refusedTemplateCall(text.value);
        if (call)
          return `${text.location} is a template calling ${call}, which the host's controller would run with its own rights (it reads beyond this object: ${[...HOST_REACHING_TEMPLATE_FUNCTIONS].join(', ')} are refused)`;
      }
  }
  return undefined;
}

/** Every string in a value: itself, or those of a mapping's values and a list's items, with where. */
function stringsUnder(value: unknown, location: string): { location: string; value: string }[] {
  if (typeof value === 'string') return [{ location, value }];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringsUnder(item, `${location}[${i}]`));
  if (isJsonObject(value))
    return Object.entries(value).flatMap(([key, item]) => stringsUnder(item, `${location}.${key}`));
  return [];
}

/**
 * Why a URL the host's controller would call from inside the host cluster may not be written there
 * (a private or cloud metadata address, a name the host resolves among its own Services), or
 * undefined: the answer, or its error, comes back to the tenant in the object's status.
 */
function urlsRefusal(
  obj: unknown,
  urls: Pick<CustomResourceEntry, 'urls'>['urls'],
  hostNamespace: string,
): string | undefined {
  for (const url of urls) {
    const found = stringsAt(obj, url.segments);
    if (typeof found === 'string') return found;
    for (const { location, value } of found) {
      const refusal = controllerUrlRefusal(value, hostNamespace);
      if (refusal)
        return `${location}: the host's controller would call it from inside the host cluster: ${refusal}`;
    }
  }
  return undefined;
}
