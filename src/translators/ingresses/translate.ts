import {
  ALB_OIDC_ANNOTATION,
  controllerAnnotationRole,
  controllerConfigTextRefusal,
  logFormatRefusal,
  controllerUrlRefusal,
  hostObjectAnnotationRefusal,
  snippetRefusal,
} from '../shared/host-object-annotations.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { hostName } from '../../naming/names.ts';
import type { Placement } from '../../sync/kind.ts';
import { hostMetadataFor, sameJson } from '../shared/host-metadata.ts';
import { isRequestHostUrl, requestHostRefusal } from './reserved-hosts.ts';
import { malformedIngress } from '../shared/shape.ts';
import { cloneJson } from '../../util/json.ts';

/** The parts of an Ingress spec the syncer reads or writes (the rest is copied as it is). */
export interface IngressBackend {
  service?: { name: string; port?: { name?: string; number?: number } } | null;
  resource?: { apiGroup?: string; kind?: string; name?: string } | null;
}

export interface IngressSpec {
  ingressClassName?: string | null;
  defaultBackend?: IngressBackend | null;
  tls?: { hosts?: string[]; secretName?: string | null }[] | null;
  rules?: { host?: string; http?: { paths: { path?: string; backend: IngressBackend }[] } | null }[] | null;
}

export const specOf = (ingress: KubeObject | undefined): IngressSpec => (ingress?.spec ?? {}) as IngressSpec;

/** A Service or Secret an Ingress names: the host's ingress controller reads it under the host name. */
export interface IngressReference {
  kind: 'Service' | 'Secret';
  /** The virtual namespace of the object (an annotation may name another namespace's secret). */
  namespace: string;
  name: string;
  /** Where the Ingress names it, as Kubernetes writes field paths. */
  field: string;
}

/** The name the host copy uses for a reference: its host name, or a name nobody holds. */
export type RenameReference = (ref: IngressReference) => string;

/** What naming needs: this virtual cluster, and the host namespace (for `namespace/name` values). */
export type IngressPlace = Pick<Placement, 'vcName' | 'hostNamespace'> & {
  /**
   * The host runs cert-manager for this virtual cluster (integrations.certManager): an Ingress's
   * `cert-manager.io/issuer` is judged and renamed by the Ingress kind (cert-manager.ts shimView), not
   * refused as naming an Issuer of the host namespace.
   */
  issuerJudged?: boolean;
};

/** cert-manager's namespaced Issuer annotation, which only the integration can translate. */
const ISSUER_ANNOTATION = 'cert-manager.io/issuer';

// Annotations of well-known ingress controllers that name objects or hold configuration are in the
// shared table (controllerAnnotationRole): on the host the controller reads them in the shared host
// namespace, so a name left as the tenant wrote it would let a tenant point the host's controller at a
// host Secret or at another tenant's copy. vCluster's ingress translator rewrites the ingress-nginx
// secret annotations (`name` and `namespace/name`) and the ALB `actions.*` / `conditions.*`
// annotations; the others are from the controllers' annotation references.

/**
 * AWS Load Balancer Controller: an IngressGroup is one load balancer shared by every Ingress naming
 * it, whose rules any member may order before the others' (`group.order`): a trust boundary the
 * controller's documentation draws around one team. Refused.
 */
const ALB_GROUP_NAME = 'alb.ingress.kubernetes.io/group.name';
const ALB = 'alb.ingress.kubernetes.io/';
/** ALB: `actions.<name>` is JSON for the backends named `<name>` with port `use-annotation`. */
const ALB_ACTIONS = `${ALB}actions.`;
/** ALB: `conditions.<name>` adds conditions to the rules of the backends named `<name>`. */
const ALB_CONDITIONS = `${ALB}conditions.`;
/** ALB: JSON naming the Secret (of the Ingress's namespace) with the OIDC client credentials. */
const ALB_OIDC = ALB_OIDC_ANNOTATION;
/** The ALB port name saying a backend's name is an action of the actions annotation, not a Service. */
const ALB_USE_ANNOTATION = 'use-annotation';
/** An annotation key's name part (after the prefix) is at most 63 characters. */
const MAX_KEY_NAME = 63;

/**
 * What in a path could end the `location` ingress-nginx writes it into and start directives of the
 * tenant's (CVE-2021-25745; an ImplementationSpecific path is not checked by the API server): white
 * space or another control character, a quote, a `;`, a brace that is not a regular expression's
 * repeat count (`{2}`, `{1,3}`), or a backslash at the end. A URL's path has none of them unescaped;
 * a regular expression's other backslashes stay.
 */
function pathBreakout(path: unknown): string | undefined {
  if (typeof path !== 'string') return undefined;
  const text = path.replace(/\{\d+(,\d*)?\}/g, '');
  // A backslash at the end would escape the quote ingress-nginx writes after a regular expression.
  if (text.endsWith('\\')) return '\\';
  // eslint-disable-next-line no-control-regex
  return /[\s\u0000-\u001f\u007f"'`;{}]/.exec(text)?.[0];
}

/** A reason the Ingress cannot be copied to the host, raised from deep inside the walk. */
class Refusal extends Error {}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const annotationField = (key: string) => `metadata.annotations[${JSON.stringify(key)}]`;

/** The spec and annotations an Ingress has on the host: every reference renamed. */
interface Rewritten {
  spec: IngressSpec;
  annotations: Record<string, string>;
}

/**
 * Walks an Ingress (of the shape malformedIngress accepts), renaming every Service and Secret it
 * names with `rename`; throws a Refusal for what cannot be copied to the host.
 */
function rewrite(ingress: KubeObject, rename: RenameReference, where: IngressPlace): Rewritten {
  const namespace = ingress.metadata?.namespace ?? '';
  const annotations = ingress.metadata?.annotations ?? {};
  const spec = cloneJson(specOf(ingress));
  const hasAction = (name: string) => Object.hasOwn(annotations, `${ALB_ACTIONS}${name}`);
  const service = (name: string, field: string) => rename({ kind: 'Service', namespace, name, field });
  const secret = (name: string, field: string, ns = namespace) =>
    rename({ kind: 'Secret', namespace: ns, name, field });

  const backend = (b: IngressBackend | null | undefined, field: string) => {
    if (!b) return;
    // A resource backend names any object (apiGroup, kind, name) in the Ingress's namespace, which on
    // the host is the namespace every tenant's copies and the virtual cluster itself share: the host's
    // controller would read whatever it names. Only Services are translated and judged.
    if (b.resource) throw new Refusal(`${field}.resource: resource backends cannot be synced to the host`);
    if (!b.service) return;
    if (b.service.port?.name === ALB_USE_ANNOTATION && hasAction(b.service.name)) {
      // An ALB action's name, renamed like its actions annotation key; the controller reads the
      // action from this Ingress's own annotations, no Service.
      b.service.name = hostName(b.service.name, namespace, where.vcName);
    } else {
      b.service.name = service(b.service.name, `${field}.service.name`);
    }
  };
  backend(spec.defaultBackend, 'spec.defaultBackend');
  spec.rules?.forEach((rule, i) =>
    rule?.http?.paths?.forEach((path, j) => {
      const breakout = pathBreakout(path.path);
      if (breakout)
        throw new Refusal(
          `spec.rules[${i}].http.paths[${j}].path: ${JSON.stringify(breakout)} could end a directive of the host's shared ingress controller's configuration, which would then run what follows (a path needs it escaped)`,
        );
      backend(path.backend, `spec.rules[${i}].http.paths[${j}].backend`);
    }),
  );
  spec.tls?.forEach((tls, i) => {
    if (tls.secretName) tls.secretName = secret(tls.secretName, `spec.tls[${i}].secretName`);
  });

  /** An ALB annotation key with the action or condition name renamed like the backends. */
  const albKey = (key: string, prefix: string) => {
    const renamed = `${prefix}${hostName(key.slice(prefix.length), namespace, where.vcName)}`;
    if (renamed.length - ALB.length > MAX_KEY_NAME)
      throw new Refusal(`${annotationField(key)}: the name is too long to be renamed for the host`);
    return renamed;
  };

  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(annotations)) {
    const field = annotationField(key);
    const hostObject = hostObjectAnnotationRefusal(key);
    if (hostObject && !(where.issuerJudged && key === ISSUER_ANNOTATION)) throw new Refusal(hostObject);
    const configText = controllerConfigTextRefusal(key, value);
    if (configText) throw new Refusal(configText);
    const role = controllerAnnotationRole(key);
    if (role === 'secret') {
      out[key] = namespacedSecret(value, field, secret, where);
    } else if (role === 'secret-name') {
      if (value === '' || value.includes('/'))
        throw new Refusal(`${field} must name a Secret of the Ingress's namespace`);
      out[key] = secret(value, field);
    } else if (role === 'service') {
      if (value === '' || value.includes('/'))
        throw new Refusal(`${field} must name a Service of the Ingress's namespace`);
      out[key] = service(value, field);
    } else if (role === 'configmap') {
      throw new Refusal(`${field}: config maps named by ingress annotations are not synced to the host`);
    } else if (role === 'url') {
      const refusal = isRequestHostUrl(value)
        ? requestHostRefusal(ingress, where.hostNamespace)
        : controllerUrlRefusal(value, where.hostNamespace);
      if (refusal) throw new Refusal(`${field}: ${refusal}`);
      out[key] = value;
    } else if (role === 'snippet') {
      throw new Refusal(snippetRefusal(key));
    } else if (role === 'log-format') {
      const refusal = logFormatRefusal(key, value);
      if (refusal) throw new Refusal(refusal);
      out[key] = value;
    } else if (key === ALB_GROUP_NAME) {
      throw new Refusal(`${field}: would join a load balancer shared with the host's other Ingresses`);
    } else if (key.startsWith(ALB_ACTIONS)) {
      out[albKey(key, ALB_ACTIONS)] = albAction(value, field, service);
    } else if (key.startsWith(ALB_CONDITIONS)) {
      out[albKey(key, ALB_CONDITIONS)] = value;
    } else if (key === ALB_OIDC) {
      out[key] = albOidc(value, field, secret);
    } else {
      out[key] = value;
    }
  }
  return { spec, annotations: out };
}

/**
 * A controller's secret annotation (`name` or `namespace/name`) on the host. `namespace/name` naming
 * another virtual namespace is translated to that namespace's copy, as vCluster does for
 * ingress-nginx's (and as the controllers themselves look in that namespace on an ordinary cluster):
 * it stays within this virtual cluster, and the copy is judged like any other reference. Any other
 * form (haproxy-ingress's `file://`, a file of the controller's) is refused rather than handed to the
 * host as is.
 */
function namespacedSecret(
  value: string,
  field: string,
  secret: (name: string, field: string, ns?: string) => string,
  where: IngressPlace,
): string {
  const parts = value.split('/');
  if (parts.length > 2 || parts.some((p) => p === ''))
    throw new Refusal(`${field} must name a Secret as "name" or "namespace/name"`);
  if (parts.length === 1) return secret(parts[0]!, field);
  return `${where.hostNamespace}/${secret(parts[1]!, field, parts[0])}`;
}

/** Parses an annotation's JSON object, or refuses the Ingress naming the annotation. */
function jsonObject(value: string, field: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Refusal(`${field} must be a JSON object`);
  }
  if (!isRecord(parsed)) throw new Refusal(`${field} must be a JSON object`);
  return parsed;
}

/**
 * A key as Go's encoding/json matches it to a field name: case-insensitively, with the two non-ASCII
 * letters Unicode folds onto ASCII ones (the long s and the Kelvin sign).
 */
const goFolded = (key: string): string =>
  key
    .replace(/\u017f/g, 's')
    .replace(/\u212a/g, 'k')
    .toLowerCase();

/**
 * The key of an object that a Go program decoding it into a struct reads as the field `name`, or
 * undefined. The AWS Load Balancer Controller decodes its annotations with encoding/json, which
 * matches keys to fields ignoring case, a later key overwriting an earlier one: `ServiceName` is read
 * as `serviceName`. Two keys for one field are refused, so the one renamed is the one read.
 */
function goFieldKey(object: Record<string, unknown>, name: string, at: string): string | undefined {
  const keys = Object.keys(object).filter((k) => goFolded(k) === goFolded(name));
  if (keys.length > 1)
    throw new Refusal(
      `${at}: ${keys.map((k) => JSON.stringify(k)).join(' and ')} are one field (${name}) to the host's controller`,
    );
  return keys[0];
}

/** The value of the field `name` as a Go program reads it (see goFieldKey), or undefined. */
function goField(object: Record<string, unknown>, name: string, at: string): unknown {
  const key = goFieldKey(object, name, at);
  return key === undefined ? undefined : object[key];
}

/**
 * An ALB action with the Services its forward config names renamed; the rest (target group ARNs,
 * weights, fixed responses, redirects) is kept. A value that cannot be read is refused: copied as it
 * is, a service name in it would reach the host untranslated. Fields are found as the controller
 * finds them (goFieldKey). Kept verbatim when nothing is renamed.
 */
function albAction(value: string, field: string, service: (name: string, field: string) => string): string {
  const action = jsonObject(value, field);
  const forward = goField(action, 'forwardConfig', field);
  if (forward === undefined || forward === null) return value;
  if (!isRecord(forward)) throw new Refusal(`${field}: forwardConfig must be an object`);
  const groups = goField(forward, 'targetGroups', `${field}.forwardConfig`);
  if (groups === undefined || groups === null) return value;
  if (!Array.isArray(groups)) throw new Refusal(`${field}: forwardConfig.targetGroups must be a list`);
  let renamed = false;
  groups.forEach((group: unknown, i) => {
    const at = `${field}.forwardConfig.targetGroups[${i}]`;
    if (!isRecord(group)) throw new Refusal(`${at} must be an object`);
    const key = goFieldKey(group, 'serviceName', at);
    if (key === undefined || group[key] === null) return;
    const name = group[key];
    if (typeof name !== 'string') throw new Refusal(`${at}.serviceName must be a string`);
    group[key] = service(name, `${at}.serviceName`);
    renamed = true;
  });
  return renamed ? JSON.stringify(action) : value;
}

/** The ALB OIDC settings with their client-credentials Secret renamed (found as in albAction). */
function albOidc(value: string, field: string, secret: (name: string, field: string) => string): string {
  const oidc = jsonObject(value, field);
  const key = goFieldKey(oidc, 'secretName', field);
  if (key === undefined || oidc[key] === null) return value;
  const name = oidc[key];
  if (typeof name !== 'string') throw new Refusal(`${field}: secretName must be a string`);
  oidc[key] = secret(name, `${field}.secretName`);
  return JSON.stringify(oidc);
}

const keepName: RenameReference = (ref) => ref.name;

/**
 * What keeps an Ingress (of the shape malformedIngress accepts) off the host, or undefined: a
 * resource backend, or an annotation naming objects in a form that cannot be translated.
 */
export function ingressRefusal(ingress: KubeObject, where: IngressPlace): string | undefined {
  try {
    rewrite(ingress, keepName, where);
    return undefined;
  } catch (err) {
    if (err instanceof Refusal) return err.message;
    throw err;
  }
}

/** Every Service and Secret an Ingress names, in field order; none when it is malformed or refused. */
export function ingressReferences(ingress: KubeObject, where: IngressPlace): IngressReference[] {
  if (malformedIngress(ingress)) return [];
  const refs: IngressReference[] = [];
  try {
    rewrite(ingress, (ref) => (refs.push(ref), ref.name), where);
  } catch (err) {
    if (err instanceof Refusal) return [];
    throw err;
  }
  return refs;
}

/** `namespace/name` keys of the Secrets an Ingress uses (the secrets kind syncs them while it does). */
export function ingressSecretKeys(ingress: KubeObject, where: IngressPlace): string[] {
  const keys = ingressReferences(ingress, where)
    .filter((r) => r.kind === 'Secret')
    .map((r) => `${r.namespace}/${r.name}`);
  return [...new Set(keys)];
}

/**
 * The host copy of a virtual Ingress (one ingressRefusal accepts): references renamed by `rename`,
 * translated metadata, and the rest of the spec as the tenant wrote it. The IngressClass is the
 * host's (a tenant sees the host's classes); one the host defaulted on its copy is kept.
 */
export function hostIngressFor(
  virtual: KubeObject,
  where: Placement & { hostName: string },
  rename: RenameReference,
  current?: KubeObject,
): KubeObject {
  const { spec, annotations } = rewrite(virtual, rename, where);
  const hostClass = specOf(current).ingressClassName;
  if (!spec.ingressClassName && hostClass) spec.ingressClassName = hostClass;
  // The renamed annotations go through hostMetadataFor, so the managed record lists the host keys.
  const renamed = { ...virtual, metadata: { ...virtual.metadata, annotations } };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: hostMetadataFor(renamed, Resources.ingresses, where),
    spec,
  };
}

/**
 * The IngressClass the host gave the copy of an Ingress that named none (the host's default class,
 * set by its admission), to show in the virtual cluster as vCluster does; undefined otherwise.
 */
export function ingressClassFromHost(virtual: KubeObject, host: KubeObject): string | undefined {
  if (specOf(virtual).ingressClassName) return undefined;
  return specOf(host).ingressClassName ?? undefined;
}

/**
 * True when the host Ingress's spec already says what the desired one says. Empty lists count as
 * absent: the API server drops them, and that must not read as a host edit to revert forever.
 */
export function hostSpecInSync(desired: KubeObject, host: KubeObject): boolean {
  return sameJson(dropEmptyLists(desired.spec), dropEmptyLists(host.spec));
}

function dropEmptyLists(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? v.map(dropEmptyLists) : undefined;
  if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, dropEmptyLists(x)]));
  return v;
}
